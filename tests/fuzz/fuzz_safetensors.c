/* fuzz_safetensors.c - libFuzzer target: safetensors import (iv_model_load_safetensors), from a
 * file (the reader takes only a path). No companion .arch file exists, so the architecture comes
 * from the header's metadata or from the tensor names.
 *
 * An accepted model must pass iv_fuzz_model_check, and also write as safetensors and load back. */
#include <stdio.h>
#include <stdlib.h>

#include "budget.h"
#include "fuzz_util.h"
#include "formats/safetensors.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_write("fuzz.safetensors", data, size);
    iv_error err;
    iv_model *m = iv_model_load_safetensors(path, &err);
    if (!m)
        return 0;
    iv_fuzz_model_check(m, false);
    const char *out = iv_fuzz_file_path("written.safetensors");
    if (iv_model_write_safetensors(m, out, &err) != 0) {
        fprintf(stderr, "fuzz: an accepted model does not write as safetensors: %s\n", err.msg);
        abort();
    }
    iv_model *back = iv_model_load_safetensors(out, &err);
    if (!back) {
        fprintf(stderr, "fuzz: a model written as safetensors does not load back: %s\n", err.msg);
        abort();
    }
    iv_model_free(back);
    iv_model_free(m);
    return 0;
}
