/* fuzz_tokenizer.c - libFuzzer target: the tokenizers (tokenizer.h), from files (the readers take
 * only paths).
 *
 * The input is three parts separated by two 0xFF bytes (which UTF-8 never holds): a vocab.json,
 * a merges.txt and a text; a missing part is empty. The first part is also read as a word-level
 * vocabulary. A text a tokenizer encodes must come back: byte-level BPE decodes to exactly the
 * text, and the words decoded encode to the same ids again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "fuzz_util.h"
#include "tokenizer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

/* The part of data[*at, size) up to the next separator (or the end), moving *at past it. */
static size_t next_part(const uint8_t *data, size_t size, size_t *at)
{
    size_t start = *at, i = start;
    while (i + 1 < size && !(data[i] == 0xFF && data[i + 1] == 0xFF))
        i++;
    if (i + 1 >= size)
        i = size;
    *at = i < size ? i + 2 : size;
    return i - start;
}

/* Every token has a text, and the token find gives for that text has the same text. */
static void check_tokens(const iv_tokenizer *t)
{
    int n = iv_tokenizer_vocab_size(t);
    if (n < 1 || iv_tokenizer_token(t, -1) || iv_tokenizer_token(t, n))
        abort();
    for (int id = 0; id < n; id++) {
        const char *s = iv_tokenizer_token(t, id);
        if (!s)
            abort();
        int found = iv_tokenizer_find(t, s);
        if (found >= 0 && strcmp(iv_tokenizer_token(t, found), s) != 0)
            abort();
        /* Only a token holding a NUL byte (BPE's byte 0) has a text find cannot be given. */
        if (found < 0 && strcmp(iv_tokenizer_kind(t), "bpe") != 0)
            abort();
    }
}

static void check_bpe(const iv_tokenizer *t, const char *text)
{
    check_tokens(t);
    int *ids, n;
    iv_error err;
    if (iv_tokenizer_encode(t, text, &ids, &n, &err) != 0)
        return;
    char *back = iv_tokenizer_decode(t, ids, n);
    if (strcmp(back, text) != 0) {
        fprintf(stderr, "fuzz: BPE decodes \"%s\" to \"%s\"\n", text, back);
        abort();
    }
    free(back);
    free(ids);
}

static void check_words(const iv_tokenizer *t, const char *text)
{
    check_tokens(t);
    int *ids, n;
    iv_error err;
    if (iv_tokenizer_encode(t, text, &ids, &n, &err) != 0)
        return;
    char *back = iv_tokenizer_decode(t, ids, n);
    int *again, n_again;
    if (iv_tokenizer_encode(t, back, &again, &n_again, &err) != 0 || n_again != n ||
        (n && memcmp(again, ids, (size_t)n * sizeof *ids) != 0)) {
        fprintf(stderr, "fuzz: the words of \"%s\", decoded to \"%s\", encode otherwise\n", text,
                back);
        abort();
    }
    free(again);
    free(back);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0;
    size_t vocab_start = at, vocab_len = next_part(data, size, &at);
    size_t merges_start = at, merges_len = next_part(data, size, &at);
    char *text = iv_fuzz_text_dup(data + at, size - at);
    const char *vocab = iv_fuzz_file_write("vocab.json", data + vocab_start, vocab_len);
    const char *merges = iv_fuzz_file_write("merges.txt", data + merges_start, merges_len);
    iv_error err;
    iv_tokenizer *t = iv_tokenizer_load_bpe(vocab, merges, &err);
    if (t)
        check_bpe(t, text);
    iv_tokenizer_free(t);
    t = iv_tokenizer_load_words(vocab, &err);
    if (t)
        check_words(t, text);
    iv_tokenizer_free(t);
    free(text);
    return 0;
}
