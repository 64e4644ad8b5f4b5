/* test_tokenizer.c - the tokenizers against an independent reference and against hostile files.
 *
 * GPT-2's byte-level BPE is checked against tests/fixtures/tokenizer/cases.txt, the encodings
 * make_reference.py computes with its own implementation (in Python) for the vocabulary it
 * trained (vocab.json, merges.txt beside it). The word-level tokenizer, the directory lookup and
 * every file in tests/bad_tokenizers are checked against what their files say. Fixture paths are
 * relative to the environment variable `srcdir` (default "."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "support.h"
#include "tokenizer.h"

/* srcdir/rel, to free. */
static char *fixture(const char *rel)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    return iv_xasprintf("%s/%s", srcdir, rel);
}

static iv_tokenizer *load_reference(void)
{
    char *vocab = fixture("tests/fixtures/tokenizer/vocab.json");
    char *merges = fixture("tests/fixtures/tokenizer/merges.txt");
    iv_error err;
    iv_tokenizer *t = iv_tokenizer_load_bpe(vocab, merges, &err);
    if (!t)
        fail_msg("%s", err.msg);
    free(vocab);
    free(merges);
    return t;
}

static iv_tokenizer *load_bpe_from(const char *vocab_rel, const char *merges_rel, iv_error *err)
{
    char *vocab = fixture(vocab_rel), *merges = fixture(merges_rel);
    iv_tokenizer *t = iv_tokenizer_load_bpe(vocab, merges, err);
    free(vocab);
    free(merges);
    return t;
}

/* Encodes text, which must succeed; returns the ids (to free) and their count in *n. */
static int *encode_ok(const iv_tokenizer *t, const char *text, int *n)
{
    int *ids;
    iv_error err;
    if (iv_tokenizer_encode(t, text, &ids, n, &err) != 0)
        fail_msg("encoding \"%s\": %s", text, err.msg);
    return ids;
}

static void expect_ids(const iv_tokenizer *t, const char *text, int n_want, const int *want)
{
    int n, *ids = encode_ok(t, text, &n);
    assert_int_equal(n, n_want);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
    free(ids);
}

/* ---- a temporary directory ------------------------------------------------------------------- */

static char temp_dir[256];

static void temp_make(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(temp_dir, sizeof temp_dir, "%s/test_tokenizer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(temp_dir));
}

/* temp_dir/name, to free, holding text (n bytes). */
static char *temp_file(const char *name, const char *text, size_t n)
{
    char *path = iv_xasprintf("%s/%s", temp_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void temp_remove(const char *name)
{
    char *path = iv_xasprintf("%s/%s", temp_dir, name);
    unlink(path);
    free(path);
}

/* ---- the reference cases --------------------------------------------------------------------- */

/* Reads a string in double quotes with C escapes (\\ \" \n \t \r \xHH) at *p, advancing *p past
 * it; returns it (to free) with its length in *len. */
static char *parse_quoted(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    assert_int_equal(*s, '"');
    s++;
    iv_buf b = {0};
    while (*s != '"') {
        assert_true(*s != '\0' && *s != '\n');
        char c = *s++;
        if (c == '\\') {
            c = *s++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'r')
                c = '\r';
            else if (c == 'x') {
                char hex[3] = {s[0], s[1], '\0'};
                c = (char)strtol(hex, NULL, 16);
                s += 2;
            } else
                assert_true(c == '\\' || c == '"');
        }
        iv_buf_append(&b, &c, 1);
    }
    *p = s + 1;
    *len = b.len;
    return b.data ? b.data : iv_xstrdup("");
}

/* The value of a line "KEY REST" of cases.txt at *p, advancing *p to the next line. */
static const char *case_line(const char **p, const char *key)
{
    size_t k = strlen(key);
    if (strncmp(*p, key, k) != 0 || ((*p)[k] != ' ' && (*p)[k] != '\n'))
        fail_msg("cases.txt: expected a line '%s', got '%.40s'", key, *p);
    const char *value = *p + k;
    const char *nl = strchr(value, '\n');
    assert_non_null(nl);
    *p = nl + 1;
    return value;
}

static void test_bpe_reference_cases(void **state)
{
    (void)state;
    iv_tokenizer *t = load_reference();
    assert_string_equal(iv_tokenizer_kind(t), "bpe");
    char *path = fixture("tests/fixtures/tokenizer/cases.txt");
    iv_error err;
    char *file = iv_read_file(path, 1 << 20, NULL, &err);
    if (!file)
        fail_msg("%s", err.msg);
    int cases = 0;
    bool saw_mary = false, saw_special = false, saw_empty = false;
    for (const char *p = file; *p;) {
        if (*p == '#') {
            p = strchr(p, '\n') + 1;
            continue;
        }
        const char *v = case_line(&p, "text");
        size_t text_len;
        char *text = parse_quoted(&v, &text_len);
        assert_int_equal(strlen(text), text_len);

        int n, *ids = encode_ok(t, text, &n);
        v = case_line(&p, "ids");
        for (int i = 0; i < n; i++) {
            char *end;
            long want = strtol(v, &end, 10);
            if (end == v)
                fail_msg("case \"%s\": %d ids where the reference has %d", text, n, i);
            if (ids[i] != want)
                fail_msg("case \"%s\": id %d is %d where the reference has %ld", text, i, ids[i],
                         want);
            v = end;
        }
        while (*v == ' ')
            v++;
        if (*v != '\n')
            fail_msg("case \"%s\": %d ids where the reference has more", text, n);

        /* Each token's text as the reference decodes it. */
        v = case_line(&p, "tokens");
        for (int i = 0; i < n; i++) {
            size_t len;
            char *want = parse_quoted(&v, &len);
            const char *got = iv_tokenizer_token(t, ids[i]);
            assert_non_null(got);
            assert_int_equal(strlen(got), len);
            assert_memory_equal(got, want, len);
            saw_mary |= strcmp(got, " Mary") == 0;
            saw_special |= strcmp(got, "<|endoftext|>") == 0 && text_len > strlen(got);
            free(want);
        }

        /* The round trip. */
        char *back = iv_tokenizer_decode(t, ids, n);
        assert_string_equal(back, text);
        saw_empty |= n == 0;
        free(back);
        free(ids);
        free(text);
        cases++;
    }
    assert_true(cases >= 30);
    assert_true(saw_mary && saw_special && saw_empty);
    free(file);
    free(path);
    iv_tokenizer_free(t);
}

static void test_bpe_tokens_and_find(void **state)
{
    (void)state;
    iv_tokenizer *t = load_reference();
    int n = iv_tokenizer_vocab_size(t);
    assert_true(n > 256);
    int mary = iv_tokenizer_find(t, " Mary");
    assert_true(mary >= 256);
    assert_string_equal(iv_tokenizer_token(t, mary), " Mary");
    int eot = iv_tokenizer_find(t, "<|endoftext|>");
    assert_true(eot >= 0);
    expect_ids(t, "<|endoftext|>", 1, &eot);
    assert_int_equal(iv_tokenizer_find(t, "no such token"), -1);
    assert_null(iv_tokenizer_token(t, -1));
    assert_null(iv_tokenizer_token(t, n));
    /* Every token is found by its text, but the byte 0, whose text a C string cannot hold. */
    int nul = -1;
    for (int id = 0; id < n; id++) {
        const char *s = iv_tokenizer_token(t, id);
        if (s[0] == '\0') {
            assert_int_equal(nul, -1);
            nul = id;
            continue;
        }
        assert_int_equal(iv_tokenizer_find(t, s), id);
    }
    assert_true(nul >= 0);
    /* A token that is part of a UTF-8 character is its raw bytes. */
    int emoji_start = iv_tokenizer_find(t, "\xf0\x9f");
    assert_true(emoji_start >= 0);
    int ids[] = {mary, -3, n, eot};
    char *text = iv_tokenizer_decode(t, ids, 4);
    char *want = iv_xasprintf(" Mary<id -3><id %d><|endoftext|>", n);
    assert_string_equal(text, want);
    free(want);
    free(text);
    text = iv_tokenizer_decode(t, NULL, 0);
    assert_string_equal(text, "");
    free(text);
    /* An empty text is no tokens (and an array to free all the same). */
    int *none;
    iv_error err;
    assert_int_equal(iv_tokenizer_encode(t, "", &none, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_non_null(none);
    free(none);
    iv_tokenizer_free(t);
}

static void test_bpe_invalid_utf8(void **state)
{
    (void)state;
    iv_tokenizer *t = load_reference();
    static const struct {
        const char *text, *where;
    } bad[] = {
        {"ab\xff", "at byte 2"},            /* never in UTF-8 */
        {"caf\xc3", "at byte 3"},           /* cut short */
        {"x \x80y", "at byte 2"},           /* a stray continuation byte */
        {"\xc0\xaf", "at byte 0"},          /* overlong '/' */
        {"ok \xed\xa0\x80", "at byte 3"},   /* a surrogate */
        {"\xf4\x90\x80\x80", "at byte 0"},  /* above U+10FFFF */
        {"<|endoftext|>\xe4\xb8", "at byte 13"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int *ids = (int *)1, n = 7;
        iv_error err;
        int rc = iv_tokenizer_encode(t, bad[i].text, &ids, &n, &err);
        test_expect_error(rc, &err, "not valid UTF-8");
        test_expect_error(rc, &err, bad[i].where);
        assert_null(ids);
        assert_int_equal(n, 0);
    }
    iv_tokenizer_free(t);
}

/* A text of `count` copies of unit. */
static char *repeat(const char *unit, int count)
{
    size_t k = strlen(unit);
    char *s = iv_xmalloc(k * (size_t)count + 1);
    for (int i = 0; i < count; i++)
        memcpy(s + k * (size_t)i, unit, k);
    s[k * (size_t)count] = '\0';
    return s;
}

static void test_bpe_limits(void **state)
{
    (void)state;
    iv_tokenizer *t = load_reference();
    /* An emoji is three tokens here: 20,000 in one piece are 60,000 tokens, 30,000 too many. */
    char *text = repeat("\xf0\x9f\x98\x80", 20000);
    int n, *ids = encode_ok(t, text, &n);
    assert_int_equal(n, 60000);
    char *back = iv_tokenizer_decode(t, ids, n);
    assert_string_equal(back, text);
    free(back);
    free(ids);
    free(text);
    text = repeat("\xf0\x9f\x98\x80", 30000);
    iv_error err;
    test_expect_error(iv_tokenizer_encode(t, text, &ids, &n, &err), &err, "more than 65536 tokens");
    free(text);
    iv_tokenizer_free(t);
}

/* The merges applied by rank, on a vocabulary small enough to follow by hand. */
static void test_bpe_merge_rules(void **state)
{
    (void)state;
    iv_error err;
    iv_tokenizer *t = load_bpe_from("tests/bad_tokenizers/tiny_vocab.json",
                                    "tests/bad_tokenizers/tiny_merges.txt", &err);
    if (!t)
        fail_msg("%s", err.msg);
    /* a=0 b=1 c=2 ab=3 bc=4 abc=5 " "=6 <|endoftext|>=7; merges "a b", then "ab c". */
    expect_ids(t, "abc", 1, (int[]){5});
    expect_ids(t, "abcab", 2, (int[]){5, 3});
    expect_ids(t, "bc", 2, (int[]){1, 2});
    expect_ids(t, "cab", 2, (int[]){2, 3});
    expect_ids(t, " a", 2, (int[]){6, 0});
    expect_ids(t, "ab<|endoftext|>c", 3, (int[]){3, 7, 2});
    int *ids, n;
    test_expect_error(iv_tokenizer_encode(t, "abx", &ids, &n, &err), &err,
                      "no token for the byte 0x78 (at byte 2 of the text)");
    iv_tokenizer_free(t);

    /* CRLF lines and blank lines at the end read as the plain file does. */
    const char *same[] = {"tests/bad_tokenizers/merges_crlf.txt",
                          "tests/bad_tokenizers/merges_blank_end.txt"};
    for (int i = 0; i < 2; i++) {
        t = load_bpe_from("tests/bad_tokenizers/tiny_vocab.json", same[i], &err);
        if (!t)
            fail_msg("%s: %s", same[i], err.msg);
        expect_ids(t, "abcab", 2, (int[]){5, 3});
        iv_tokenizer_free(t);
    }

    /* A merge given twice takes its later rank: "b c" (rank 1) now goes before "a b" (rank 2). */
    temp_make();
    char *vocab = fixture("tests/bad_tokenizers/tiny_vocab.json");
    const char twice[] = "#version: 0.2\na b\nb c\na b\n";
    char *merges = temp_file("merges.txt", twice, sizeof twice - 1);
    t = iv_tokenizer_load_bpe(vocab, merges, &err);
    if (!t)
        fail_msg("%s", err.msg);
    expect_ids(t, "abc", 2, (int[]){0, 4});
    iv_tokenizer_free(t);
    /* No merges at all: one token a byte. */
    const char none[] = "#version: 0.2\n";
    free(temp_file("merges.txt", none, sizeof none - 1));
    t = iv_tokenizer_load_bpe(vocab, merges, &err);
    if (!t)
        fail_msg("%s", err.msg);
    expect_ids(t, "abc", 3, (int[]){0, 1, 2});
    iv_tokenizer_free(t);
    /* The longest special token at a point is the one taken. */
    const char specials[] = "{\"a\": 0, \"b\": 1, \"<|x|>\": 2, \"<|x|>a|>\": 3, \"<\": 4, "
                            "\"|\": 5, \"x\": 6}";
    char *special_vocab = temp_file("vocab.json", specials, sizeof specials - 1);
    t = iv_tokenizer_load_bpe(special_vocab, merges, &err);
    if (!t)
        fail_msg("%s", err.msg);
    expect_ids(t, "<|x|>a|>", 1, (int[]){3});
    expect_ids(t, "<|x|>a<|x|>", 3, (int[]){2, 0, 2});
    expect_ids(t, "<|x|", 4, (int[]){4, 5, 6, 5});
    iv_tokenizer_free(t);
    temp_remove("vocab.json");
    free(special_vocab);
    temp_remove("merges.txt");
    rmdir(temp_dir);
    free(merges);
    free(vocab);
}

/* Each hostile file is refused with one line naming it and saying what is wrong. */
static void test_bad_tokenizers(void **state)
{
    (void)state;
    static const struct {
        const char *vocab, *merges; /* in tests/bad_tokenizers; the file at fault is named */
        bool merges_at_fault;
        const char *part1, *part2;
    } bad[] = {
        {"vocab_not_json.json", "tiny_merges.txt", false, "not JSON", "at byte"},
        {"vocab_not_object.json", "tiny_merges.txt", false, "not a JSON object", "it is an array"},
        {"vocab_id_string.json", "tiny_merges.txt", false, "key \"a\"", "not an integer"},
        {"vocab_id_float.json", "tiny_merges.txt", false, "key \"b\"",
         "not an integer (it is a number with a fraction"},
        {"vocab_id_negative.json", "tiny_merges.txt", false, "key \"b\"", "-1 is negative"},
        {"vocab_id_repeated.json", "tiny_merges.txt", false, "\"a\" and \"b\"",
         "both have the id 0"},
        {"vocab_id_gap.json", "tiny_merges.txt", false, "the id 2 leaves a gap", "ids 0 to 1"},
        {"vocab_id_huge.json", "tiny_merges.txt", false, "key \"b\"", "the id is too large"},
        {"vocab_nul.json", "tiny_merges.txt", false, "NUL byte", ""},
        {"vocab_empty.json", "tiny_merges.txt", false, "not JSON", "end of data"},
        {"vocab_no_tokens.json", "tiny_merges.txt", false, "no tokens", ""},
        {"vocab_bad_char.json", "tiny_merges.txt", false, "U+4E2D", "byte alphabet"},
        {"vocab_trailing.json", "tiny_merges.txt", false, "more text after the object", "byte 9"},
        {"vocab_empty_key.json", "tiny_merges.txt", false, "an empty key", ""},
        {"tiny_vocab.json", "merges_one_symbol.txt", true, ":3:", "two symbols"},
        {"tiny_vocab.json", "merges_three_symbols.txt", true, ":2:", "3 fields"},
        {"tiny_vocab.json", "merges_double_space.txt", true, ":2:", "two symbols with one space"},
        {"tiny_vocab.json", "merges_unknown_symbol.txt", true, ":3: symbol \"d\"",
         "not in the vocabulary"},
        {"tiny_vocab.json", "merges_result_missing.txt", true, ":2: merging \"c\" and \"a\"",
         "gives \"ca\", which is not in the vocabulary"},
        {"tiny_vocab.json", "merges_nul.txt", true, "NUL byte", ""},
        {"tiny_vocab.json", "merges_empty.txt", true, "an empty file", "#version"},
        {"tiny_vocab.json", "merges_blank_middle.txt", true, ":3: a blank line", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *vocab = iv_xasprintf("tests/bad_tokenizers/%s", bad[i].vocab);
        char *merges = iv_xasprintf("tests/bad_tokenizers/%s", bad[i].merges);
        iv_error err;
        iv_tokenizer *t = load_bpe_from(vocab, merges, &err);
        if (t)
            fail_msg("%s + %s: loaded", bad[i].vocab, bad[i].merges);
        test_expect_error(-1, &err, bad[i].merges_at_fault ? bad[i].merges : bad[i].vocab);
        test_expect_error(-1, &err, bad[i].part1);
        test_expect_error(-1, &err, bad[i].part2);
        free(vocab);
        free(merges);
    }

    static const struct {
        const char *file, *part1, *part2;
    } bad_words[] = {
        {"words_blank.txt", "words_blank.txt:2:", "a blank line"},
        {"words_duplicate.txt", "words_duplicate.txt:3:", "token \"a\" repeats line 1"},
        {"words_nul.txt", "words_nul.txt", "NUL byte"},
        {"words_empty.txt", "words_empty.txt", "no tokens"},
        {"words_space.txt", "words_space.txt:1:", "holds whitespace"},
    };
    for (size_t i = 0; i < sizeof bad_words / sizeof bad_words[0]; i++) {
        char *rel = iv_xasprintf("tests/bad_tokenizers/%s", bad_words[i].file);
        char *path = fixture(rel);
        iv_error err;
        iv_tokenizer *t = iv_tokenizer_load_words(path, &err);
        if (t)
            fail_msg("%s: loaded", bad_words[i].file);
        test_expect_error(-1, &err, bad_words[i].part1);
        test_expect_error(-1, &err, bad_words[i].part2);
        free(path);
        free(rel);
    }

    /* Files that are not there. */
    iv_error err;
    assert_null(load_bpe_from("tests/bad_tokenizers/none.json",
                              "tests/bad_tokenizers/tiny_merges.txt", &err));
    test_expect_error(-1, &err, "none.json: cannot open");
    assert_null(load_bpe_from("tests/bad_tokenizers/tiny_vocab.json",
                              "tests/bad_tokenizers/none.txt", &err));
    test_expect_error(-1, &err, "none.txt: cannot open");
}

/* A file too large is refused before it is read (a sparse file: no disk is used). */
static void test_huge_file(void **state)
{
    (void)state;
    temp_make();
    char *path = temp_file("vocab.json", "{", 1);
    assert_int_equal(truncate(path, (off_t)65 << 20), 0);
    iv_error err;
    assert_null(iv_tokenizer_load_bpe(path, path, &err));
    test_expect_error(-1, &err, "65 MB is more than the 64 MB");
    test_expect_error(-1, &err, "vocab.json");
    assert_null(iv_tokenizer_load_words(path, &err));
    test_expect_error(-1, &err, "64 MB");
    unlink(path);
    rmdir(temp_dir);
    free(path);
}

/* ---- the word-level vocabulary --------------------------------------------------------------- */

static void test_words(void **state)
{
    (void)state;
    char *path = fixture("tests/fixtures/tokenizer/words/tokens.txt");
    iv_error err;
    iv_tokenizer *t = iv_tokenizer_load_words(path, &err);
    if (!t)
        fail_msg("%s", err.msg);
    assert_string_equal(iv_tokenizer_kind(t), "words");
    assert_int_equal(iv_tokenizer_vocab_size(t), 13);
    /* the cat sat on mat Mary John gave a drink to . , */
    expect_ids(t, "Mary gave John a drink .", 6, (int[]){5, 7, 6, 8, 9, 11});
    expect_ids(t, "\t the\n\ncat \r\n", 2, (int[]){0, 1});
    expect_ids(t, "", 0, NULL);
    expect_ids(t, "   ", 0, NULL);
    assert_string_equal(iv_tokenizer_token(t, 5), "Mary");
    assert_null(iv_tokenizer_token(t, 13));
    assert_int_equal(iv_tokenizer_find(t, "John"), 6);
    assert_int_equal(iv_tokenizer_find(t, "john"), -1);
    char *text = iv_tokenizer_decode(t, (int[]){5, 7, 6, 99}, 4);
    assert_string_equal(text, "Mary gave John <id 99>");
    free(text);

    int *ids, n;
    test_expect_error(iv_tokenizer_encode(t, "Mary gave a dog", &ids, &n, &err), &err,
                      "has no token \"dog\"");
    test_expect_error(-1, &err, "tokens.txt");
    assert_null(ids);
    char *many = repeat("the ", 70000);
    test_expect_error(iv_tokenizer_encode(t, many, &ids, &n, &err), &err, "more than 65536 tokens");
    free(many);
    iv_tokenizer_free(t);
    free(path);

    /* With <unk>, unknown words are that token. */
    path = fixture("tests/fixtures/tokenizer/words_unk.txt");
    t = iv_tokenizer_load_words(path, &err);
    if (!t)
        fail_msg("%s", err.msg);
    int want[] = {0, 2, 3, 2};
    expect_ids(t, "the dog sat quietly", 4, want);
    text = iv_tokenizer_decode(t, want, 4);
    assert_string_equal(text, "the <unk> sat <unk>");
    free(text);
    /* A special token is one even when written against a word. */
    expect_ids(t, "the<|endoftext|>cat <|endoftext|>", 4, (int[]){0, 4, 1, 4});
    expect_ids(t, "<|endoftext|><|endoftext|>sat.", 3, (int[]){4, 4, 2});
    iv_tokenizer_free(t);
    free(path);

    /* CRLF lines. */
    path = fixture("tests/bad_tokenizers/words_crlf.txt");
    t = iv_tokenizer_load_words(path, &err);
    if (!t)
        fail_msg("%s", err.msg);
    assert_int_equal(iv_tokenizer_vocab_size(t), 3);
    assert_string_equal(iv_tokenizer_token(t, 1), "cat");
    expect_ids(t, "the cat", 2, (int[]){0, 1});
    iv_tokenizer_free(t);
    free(path);
}

/* ---- a checkpoint's directory ---------------------------------------------------------------- */

static void test_load_dir(void **state)
{
    (void)state;
    iv_error err;
    bool found = false;
    char *dir = fixture("tests/fixtures/tokenizer");
    iv_tokenizer *t = iv_tokenizer_load_dir(dir, &found, &err);
    if (!t)
        fail_msg("%s", err.msg);
    assert_true(found);
    assert_string_equal(iv_tokenizer_kind(t), "bpe");
    iv_tokenizer_free(t);
    free(dir);

    dir = fixture("tests/fixtures/tokenizer/words");
    t = iv_tokenizer_load_dir(dir, &found, &err);
    if (!t)
        fail_msg("%s", err.msg);
    assert_true(found);
    assert_string_equal(iv_tokenizer_kind(t), "words");
    iv_tokenizer_free(t);
    free(dir);

    temp_make();
    found = true;
    assert_null(iv_tokenizer_load_dir(temp_dir, &found, &err));
    assert_false(found);
    free(temp_file("vocab.json", "{}", 2));
    assert_null(iv_tokenizer_load_dir(temp_dir, &found, &err));
    assert_true(found);
    test_expect_error(-1, &err, "has vocab.json but no merges.txt");
    temp_remove("vocab.json");
    free(temp_file("merges.txt", "", 0));
    found = false;
    assert_null(iv_tokenizer_load_dir(temp_dir, &found, &err));
    assert_true(found);
    test_expect_error(-1, &err, "has merges.txt but no vocab.json");
    temp_remove("merges.txt");
    free(temp_file("tokens.txt", "a\na\n", 4));
    found = false;
    assert_null(iv_tokenizer_load_dir(temp_dir, &found, &err));
    assert_true(found);
    test_expect_error(-1, &err, "tokens.txt:2: token \"a\" repeats line 1");
    temp_remove("tokens.txt");
    rmdir(temp_dir);

    found = true;
    assert_null(iv_tokenizer_load_dir("/nonexistent/directory", &found, &err));
    assert_false(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_reference_cases), cmocka_unit_test(test_bpe_tokens_and_find),
        cmocka_unit_test(test_bpe_invalid_utf8),    cmocka_unit_test(test_bpe_limits),
        cmocka_unit_test(test_bpe_merge_rules),     cmocka_unit_test(test_bad_tokenizers),
        cmocka_unit_test(test_huge_file),           cmocka_unit_test(test_words),
        cmocka_unit_test(test_load_dir),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, NULL, NULL);
}
