/* fuzz_csv.c - libFuzzer target: CSV datasets (iv_dataset_load_csv) for a model with inputs x
 * and y, from a file (the reader takes only a path). */
#include "budget.h"
#include "dataset.h"
#include "formats/csv.h"
#include "fuzz_util.h"

static char *names[] = {"x", "y", NULL};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_write("fuzz.csv", data, size);
    iv_error err;
    iv_dataset_free(iv_dataset_load_csv(path, 2, names, &err));
    return 0;
}
