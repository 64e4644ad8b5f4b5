/* fuzz_onnx.c - libFuzzer target: ONNX import (iv_model_load_onnx), which reads only from a path,
 * so each input is written to a file first. Accepted models get iv_fuzz_model_check. */
#include "budget.h"
#include "fuzz_util.h"
#include "formats/onnx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_write("fuzz.onnx", data, size);
    iv_error err;
    iv_model *m = iv_model_load_onnx(path, &err);
    if (m)
        iv_fuzz_model_check(m, false);
    iv_model_free(m);
    return 0;
}
