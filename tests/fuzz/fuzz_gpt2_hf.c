/* fuzz_gpt2_hf.c - libFuzzer target: HuggingFace GPT-2 checkpoints (gpt2_hf.h). The input is
 * config.json up to its first NUL byte (JSON holds none) and model.safetensors after it, both
 * written beside each other in the private directory, which holds no tokenizer.
 *
 * An opened checkpoint must give a config that passes iv_gpt2_config_check and hand over every
 * tensor gpt2.h names, finite, or refuse it with a message; the whole load must then agree (a
 * model exactly when every tensor was handed over, with as many parameters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "formats/gpt2_hf.h"
#include "fuzz_gpt2.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t config_len = nul ? (size_t)(nul - data) : size;
    iv_fuzz_file_write("config.json", data, config_len);
    const char *path = nul ? iv_fuzz_file_write("model.safetensors", nul + 1,
                                                size - config_len - 1)
                           : iv_fuzz_file_write("model.safetensors", NULL, 0);
    iv_gpt2_config c;
    iv_error err;
    iv_gpt2_hf_file *f = iv_gpt2_hf_open(path, &c, &err);
    if (!f)
        return 0;
    fuzz_gpt2_config_passes(&c);
    iv_gpt2_source src = iv_gpt2_hf_source(f);
    long params = fuzz_gpt2_ask_all(&src, &c);
    iv_gpt2_hf_close(f);
    iv_model *m = iv_model_load_gpt2_hf(path, &err);
    fuzz_gpt2_load_agrees(m, params);
    iv_model_free(m);
    return 0;
}
