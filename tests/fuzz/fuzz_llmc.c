/* fuzz_llmc.c - libFuzzer target: llm.c's GPT-2 checkpoints (llmc.h), from a file (the reader
 * takes only a path) in the private directory, which holds no tokenizer.
 *
 * An opened checkpoint must give a config that passes iv_gpt2_config_check and hand over every
 * tensor gpt2.h names, finite, or refuse it with a message; the whole load must then agree (a
 * model exactly when every tensor was handed over, with as many parameters). */
#include <stdio.h>
#include <stdlib.h>

#include "budget.h"
#include "formats/llmc.h"
#include "fuzz_gpt2.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_write("fuzz.bin", data, size);
    iv_gpt2_config c;
    iv_error err;
    iv_gpt2_llmc_file *f = iv_gpt2_llmc_open(path, &c, &err);
    if (!f)
        return 0;
    fuzz_gpt2_config_passes(&c);
    iv_gpt2_source src = iv_gpt2_llmc_source(f);
    long params = fuzz_gpt2_ask_all(&src, &c);
    iv_gpt2_llmc_close(f);
    iv_model *m = iv_model_load_llmc(path, &err);
    fuzz_gpt2_load_agrees(m, params);
    iv_model_free(m);
    return 0;
}
