/* fuzz_npz.c - libFuzzer target: .npz archives (a zip of .npy members, stored or deflated) loaded
 * as a dataset of inputs x and y from a file (iv_dataset_load_npy, which reads them through
 * iv_npz_read and libzip). */
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
    const char *path = iv_fuzz_file_write("fuzz.npz", data, size);
    iv_error err;
    iv_dataset_free(iv_dataset_load_npy(path, 2, names, &err));
    return 0;
}
