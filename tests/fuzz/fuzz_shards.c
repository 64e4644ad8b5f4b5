/* fuzz_shards.c - libFuzzer target: checkpoints saved in shards (shards.h). The input is
 * model.safetensors.index.json up to its first NUL byte (JSON holds none), then two shards, split
 * at the next NUL: a.safetensors and b.safetensors, in the private directory beside the index.
 *
 * An index that opens must hold to what the reader promises: every tensor is numbered once across
 * the shards, found again by its name at its number, and named with the file it is in; each float
 * tensor reads, or is refused with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "formats/shards.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

/* The part of data from `from` up to the next NUL (or the end), and where the rest starts. */
static size_t part(const uint8_t *data, size_t size, size_t from, size_t *next)
{
    const uint8_t *nul = from < size ? memchr(data + from, 0, size - from) : NULL;
    size_t end = nul ? (size_t)(nul - data) : size;
    *next = nul ? end + 1 : size;
    return end - from;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0, next, len = part(data, size, 0, &next);
    const char *index = iv_fuzz_file_write("model.safetensors.index.json", data, len);
    at = next;
    len = part(data, size, at, &next);
    iv_fuzz_file_write("a.safetensors", data + at, len);
    iv_fuzz_file_write("b.safetensors", next < size ? data + next : NULL, size - next);
    iv_error err;
    iv_shards *s = iv_shards_open(index, &err);
    if (!s)
        return 0;
    for (int i = 0; i < iv_shards_count(s); i++) {
        const iv_safetensors_entry *e = iv_shards_entry_at(s, i);
        if (!e || iv_shards_find(s, e->name) != i ||
            !strstr(iv_shards_file_of(s, i), ".safetensors")) {
            fprintf(stderr, "fuzz: tensor %d is not found again at its number\n", i);
            abort();
        }
        if (!e->is_float || e->elems > 4096)
            continue;
        float *out = malloc(sizeof(float) * (size_t)(e->elems ? e->elems : 1));
        iv_shards_read(s, i, out, false, &err);
        free(out);
    }
    iv_shards_close(s);
    return 0;
}
