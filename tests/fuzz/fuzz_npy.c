/* fuzz_npy.c - libFuzzer target: .npy arrays parsed in memory (iv_npy_parse), and an array that
 * parses also loaded as a dataset from a file (iv_dataset_load_npy: the column plan and the
 * finiteness checks). */
#include "budget.h"
#include "fuzz_util.h"
#include "formats/npy.h"

static char *names[] = {"x", "y", NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iv_npy_array a;
    iv_error err;
    if (iv_npy_parse(data, size, "fuzz.npy", &a, &err) != 0)
        return 0;
    /* One input for a 1-D array (the only layout a 1-D array loads as), two otherwise. */
    int n_inputs = a.ndim == 1 ? 1 : 2;
    iv_npy_free(&a);
    const char *path = iv_fuzz_file_write("fuzz.npy", data, size);
    iv_dataset_free(iv_dataset_load_npy(path, n_inputs, names, &err));
    return 0;
}
