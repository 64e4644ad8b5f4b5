/* fuzz_model.c - libFuzzer target: the text model format (iv_model_parse), in memory.
 *
 * Every model the parser accepts must also write back and parse to the same model, and open in a
 * workspace (iv_fuzz_model_check). */
#include <stdlib.h>

#include "budget.h"
#include "formats/text.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* A default dataset of millions of examples is refused at once instead of being built. */
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = iv_fuzz_text_dup(data, size);
    iv_error err;
    iv_model *m = iv_model_parse(text, "fuzz.nn", &err);
    if (m)
        iv_fuzz_model_check(m, true);
    iv_model_free(m);
    free(text);
    return 0;
}
