/* tokenizer.c - GPT-2's byte-level BPE and a word-level vocabulary behind one interface.
 *
 * Byte-level BPE, as GPT-2 defined it:
 *   - a text is first cut around the special tokens written in it (vocabulary entries <|...|>);
 *   - each part is split into pieces by GPT-2's pre-tokenizing pattern (words with their leading
 *     space, runs of digits, runs of punctuation, runs of whitespace);
 *   - a piece starts as one symbol per UTF-8 byte, and the merges of merges.txt are applied to
 *     it, lowest rank first, until none applies; each final symbol is a vocabulary entry.
 * vocab.json and merges.txt write byte strings in GPT-2's printable alphabet: the 188 printable
 * latin-1 bytes stand for themselves and the 68 others (controls, space, DEL, NBSP, soft hyphen)
 * for U+0100 onwards, in byte order. Tokens are kept here as the bytes they stand for, which is
 * what iv_tokenizer_token shows and iv_tokenizer_find takes.
 *
 * The word-level vocabulary is one token a line, a text split at ASCII whitespace (and around
 * the special tokens, when the vocabulary has any). */
#include "tokenizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "files.h"

/* vocab.json of GPT-2 is 1 MB, merges.txt 456 KB: 64 MB leaves room for any real vocabulary
 * while refusing a wrong file (a checkpoint, say) before reading it. */
#define TOKENIZER_MAX_FILE_BYTES ((size_t)64 << 20)

static const char PRETOKENIZE_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* ---- quoting user text in one-line messages -------------------------------------------------- */

/* s (n bytes) in double quotes, control bytes escaped and a long text cut (at a character
 * boundary), so that a message stays one readable line. */
static const char *quote(char *buf, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i;
    buf[o++] = '"';
    for (i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 12 >= cap && (c & 0xC0) != 0x80)
            break;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (i < n)
        o += (size_t)snprintf(buf + o, cap - o, "...");
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
#define QUOTE_CAP 80

/* ---- UTF-8 and GPT-2's byte alphabet --------------------------------------------------------- */

/* Decodes the character at s[*i] (n bytes in all), advancing *i; -1 when the bytes there are not
 * UTF-8 (a stray continuation byte, a truncated sequence, an overlong form, a surrogate or a code
 * point above U+10FFFF), as Unicode defines well-formed UTF-8. */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
    unsigned char c = s[*i];
    int more;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return 0;
    } else if ((c & 0xE0) == 0xC0) {
        more = 1, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        more = 2, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        more = 3, v = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (n - *i <= (size_t)more)
        return -1;
    for (int k = 1; k <= more; k++) {
        unsigned char d = s[*i + (size_t)k];
        if ((d & 0xC0) != 0x80)
            return -1;
        v = v << 6 | (d & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    *cp = v;
    *i += (size_t)more + 1;
    return 0;
}

/* The offset of the first byte that is not well-formed UTF-8, or -1 when all of s is. */
static long utf8_invalid_at(const char *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n)
        if (utf8_next((const unsigned char *)s, n, &i, &cp) != 0)
            return (long)i;
    return -1;
}

/* GPT-2's alphabet: byte -> code point. The printable latin-1 bytes ('!'..'~', U+00A1..U+00AC,
 * U+00AE..U+00FF) map to themselves; the others, in byte order, to U+0100 onwards: 0..32 to
 * U+0100..U+0120, 127..160 to U+0121..U+0142, 173 to U+0143. */
static uint32_t alphabet_of_byte(unsigned char b)
{
    if (b <= 32)
        return 256u + b;
    if (b >= 127 && b <= 160)
        return (uint32_t)b + 162u;
    if (b == 173)
        return 323;
    return b;
}

/* The inverse: the byte a code point stands for, or -1 outside the alphabet. */
static int byte_of_alphabet(uint32_t cp)
{
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255))
        return (int)cp;
    if (cp >= 256 && cp <= 288)
        return (int)(cp - 256);
    if (cp >= 289 && cp <= 322)
        return (int)(cp - 162);
    if (cp == 323)
        return 173;
    return -1;
}

/* Decodes a symbol written in the alphabet into the bytes it stands for (into out, which must
 * hold n bytes: a byte never takes more than one character). Returns their count, or -1 with
 * why filled in. */
static long alphabet_decode(const char *s, size_t n, char *out, char *why, size_t why_cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t at = i;
        uint32_t cp;
        if (utf8_next((const unsigned char *)s, n, &i, &cp) != 0) {
            snprintf(why, why_cap, "not valid UTF-8 (at byte %zu)", at);
            return -1;
        }
        int b = byte_of_alphabet(cp);
        if (b < 0) {
            snprintf(why, why_cap, "character U+%04X is outside GPT-2's byte alphabet",
                     (unsigned)cp);
            return -1;
        }
        out[o++] = (char)b;
    }
    return (long)o;
}

/* Bytes written in the alphabet, as vocab.json would write them (for messages). */
static void alphabet_encode(const char *s, size_t n, iv_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = alphabet_of_byte((unsigned char)s[i]);
        char u[2];
        if (cp < 0x80) {
            u[0] = (char)cp;
            iv_buf_append(out, u, 1);
        } else {
            u[0] = (char)(0xC0 | cp >> 6);
            u[1] = (char)(0x80 | (cp & 0x3F));
            iv_buf_append(out, u, 2);
        }
    }
}

/* ---- the tokens and a hash table from their text to their id --------------------------------- */

typedef struct token_table {
    int n;
    char **text;   /* (n) each NUL-terminated; NULL while a BPE vocabulary is being read */
    size_t *len;   /* (n) bytes of each, which may include NUL bytes (BPE's byte 0) */
    int *slots;    /* open addressing: an id, or -1 */
    size_t mask;   /* slots - 1, a power of two minus one */
} token_table;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static void table_init(token_table *t, int n)
{
    t->n = n;
    t->text = iv_xcalloc((size_t)n, sizeof *t->text);
    t->len = iv_xcalloc((size_t)n, sizeof *t->len);
    size_t slots = 16;
    while (slots < 2 * (size_t)n)
        slots *= 2;
    t->slots = iv_xmalloc(slots * sizeof *t->slots);
    memset(t->slots, 0xFF, slots * sizeof *t->slots);
    t->mask = slots - 1;
}

static void table_free(token_table *t)
{
    for (int i = 0; t->text && i < t->n; i++)
        free(t->text[i]);
    free(t->text);
    free(t->len);
    free(t->slots);
}

static int table_find(const token_table *t, const char *s, size_t n)
{
    for (size_t k = hash_bytes(s, n) & t->mask;; k = (k + 1) & t->mask) {
        int id = t->slots[k];
        if (id < 0)
            return -1;
        if (t->len[id] == n && memcmp(t->text[id], s, n) == 0)
            return id;
    }
}

/* Gives token id its text (a copy of s) and enters it in the table. Returns -1, or the id that
 * already has this text (then nothing changes). */
static int table_add(token_table *t, int id, const char *s, size_t n)
{
    size_t k = hash_bytes(s, n) & t->mask;
    for (; t->slots[k] >= 0; k = (k + 1) & t->mask) {
        int other = t->slots[k];
        if (t->len[other] == n && memcmp(t->text[other], s, n) == 0)
            return other;
    }
    t->slots[k] = id;
    t->text[id] = iv_xmalloc(n + 1);
    memcpy(t->text[id], s, n);
    t->text[id][n] = '\0';
    t->len[id] = n;
    return -1;
}

/* ---- merges: (left id, right id) -> rank and the merged token -------------------------------- */

typedef struct merge {
    uint64_t pair; /* left << 32 | right; UINT64_MAX for an empty slot */
    int rank, result;
} merge;

typedef struct merge_table {
    merge *slots;
    size_t mask;
} merge_table;

static size_t merge_slot(uint64_t pair, size_t mask)
{
    return (size_t)((pair * 0x9E3779B97F4A7C15u) >> 20) & mask;
}

static void merges_init(merge_table *m, size_t most)
{
    size_t slots = 16;
    while (slots < 2 * most)
        slots *= 2;
    m->slots = iv_xmalloc(slots * sizeof *m->slots);
    for (size_t i = 0; i < slots; i++)
        m->slots[i].pair = UINT64_MAX;
    m->mask = slots - 1;
}

/* A pair that repeats takes its later rank, as OpenAI's encoder and HuggingFace's (which read
 * the merges into a map, line after line) both do. */
static void merges_put(merge_table *m, int left, int right, int rank, int result)
{
    uint64_t pair = (uint64_t)left << 32 | (uint32_t)right;
    size_t k = merge_slot(pair, m->mask);
    while (m->slots[k].pair != UINT64_MAX && m->slots[k].pair != pair)
        k = (k + 1) & m->mask;
    m->slots[k] = (merge){pair, rank, result};
}

static const merge *merges_get(const merge_table *m, int left, int right)
{
    uint64_t pair = (uint64_t)left << 32 | (uint32_t)right;
    for (size_t k = merge_slot(pair, m->mask);; k = (k + 1) & m->mask) {
        if (m->slots[k].pair == pair)
            return &m->slots[k];
        if (m->slots[k].pair == UINT64_MAX)
            return NULL;
    }
}

/* ---- the tokenizer --------------------------------------------------------------------------- */

struct iv_tokenizer {
    bool bpe;
    char *path;          /* the vocabulary's file, for messages */
    token_table tokens;  /* BPE: each token's bytes; words: each word */
    /* words */
    int unk;             /* the id of "<unk>", or -1 */
    /* BPE */
    int byte_token[256]; /* the token of each single byte, or -1 */
    merge_table merges;
    /* The lengths of the special tokens (entries of the form <|...|>), longest first, each
     * once: trying each is the quick way to find the longest at a point of the text, as there
     * are few (GPT-2 has one). */
    size_t *special_lens;
    int n_special_lens;
    pcre2_code *pretokenize;
};

void iv_tokenizer_free(iv_tokenizer *t)
{
    if (!t)
        return;
    table_free(&t->tokens);
    free(t->special_lens);
    free(t->merges.slots);
    pcre2_code_free(t->pretokenize);
    free(t->path);
    free(t);
}

const char *iv_tokenizer_kind(const iv_tokenizer *t)
{
    return t->bpe ? "bpe" : "words";
}

int iv_tokenizer_vocab_size(const iv_tokenizer *t)
{
    return t->tokens.n;
}

const char *iv_tokenizer_token(const iv_tokenizer *t, int id)
{
    return id >= 0 && id < t->tokens.n ? t->tokens.text[id] : NULL;
}

int iv_tokenizer_find(const iv_tokenizer *t, const char *token)
{
    return table_find(&t->tokens, token, strlen(token));
}

/* A whole tokenizer file, after checking its size (so that a wrong, huge file is refused before
 * it is read). */
static char *read_tokenizer_file(const char *path, size_t *len, iv_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (uintmax_t)st.st_size > TOKENIZER_MAX_FILE_BYTES) {
        iv_error_set(err, "%s: %jd MB is more than the %zu MB a tokenizer file may have", path,
                     (intmax_t)(st.st_size >> 20), TOKENIZER_MAX_FILE_BYTES >> 20);
        return NULL;
    }
    return iv_read_file(path, TOKENIZER_MAX_FILE_BYTES, len, err);
}

/* json-c's name for the type of v, with its article: "an array", "a string". */
static const char *json_kind(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number with a fraction or an exponent";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "of an unknown type";
}

static bool is_special(const char *s, size_t n)
{
    return n >= 4 && s[0] == '<' && s[1] == '|' && s[n - 2] == '|' && s[n - 1] == '>';
}

static int length_descending(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Finds the special tokens of a vocabulary just read. */
static void find_specials(iv_tokenizer *t)
{
    int n = 0;
    for (int id = 0; id < t->tokens.n; id++)
        n += is_special(t->tokens.text[id], t->tokens.len[id]);
    if (n == 0)
        return;
    t->special_lens = iv_xmalloc((size_t)n * sizeof *t->special_lens);
    n = 0;
    for (int id = 0; id < t->tokens.n; id++)
        if (is_special(t->tokens.text[id], t->tokens.len[id]))
            t->special_lens[n++] = t->tokens.len[id];
    qsort(t->special_lens, (size_t)n, sizeof *t->special_lens, length_descending);
    t->n_special_lens = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || t->special_lens[i] != t->special_lens[i - 1])
            t->special_lens[t->n_special_lens++] = t->special_lens[i];
}

/* The length of the longest special token at s (n bytes left), its id in *id; 0 when none. */
static size_t special_at(const iv_tokenizer *t, const char *s, size_t n, int *id)
{
    if (t->n_special_lens == 0 || n < 4 || s[0] != '<' || s[1] != '|')
        return 0;
    for (int i = 0; i < t->n_special_lens; i++) {
        size_t len = t->special_lens[i];
        if (len <= n && s[len - 2] == '|' && s[len - 1] == '>' &&
            (*id = table_find(&t->tokens, s, len)) >= 0)
            return len;
    }
    return 0;
}

/* ---- reading vocab.json ---------------------------------------------------------------------- */

/* One entry of vocab.json: key (in the alphabet) has the id val. */
static int vocab_entry(iv_tokenizer *t, const char *path, const char *key, json_object *val,
                       char *bytes, iv_error *err)
{
    char q[QUOTE_CAP], q2[QUOTE_CAP], why[96];
    size_t key_len = strlen(key);
    int n = t->tokens.n;
    quote(q, sizeof q, key, key_len);
    if (!json_object_is_type(val, json_type_int))
        return iv_error_set(err, "%s: key %s: the id is not an integer (it is %s)", path, q,
                            json_kind(val));
    int64_t id = json_object_get_int64(val);
    if (id < 0)
        return iv_error_set(err, "%s: key %s: the id %lld is negative", path, q, (long long)id);
    /* json-c saturates integers beyond 64 bits, so a huge id is not shown. */
    if (id > IV_TOKENIZER_MAX_VOCAB)
        return iv_error_set(err, "%s: key %s: the id is too large (%d tokens must have the ids 0 "
                            "to %d)", path, q, n, n - 1);
    if (id >= n)
        return iv_error_set(err, "%s: key %s: the id %lld leaves a gap (%d tokens must have the "
                            "ids 0 to %d)", path, q, (long long)id, n, n - 1);
    if (key_len == 0)
        return iv_error_set(err, "%s: an empty key (a token has at least one byte)", path);
    long n_bytes = alphabet_decode(key, key_len, bytes, why, sizeof why);
    if (n_bytes < 0)
        return iv_error_set(err, "%s: key %s: %s", path, q, why);
    if (t->tokens.text[id]) {
        iv_buf other = {0};
        alphabet_encode(t->tokens.text[id], t->tokens.len[id], &other);
        quote(q2, sizeof q2, other.data, other.len);
        iv_buf_free(&other);
        return iv_error_set(err, "%s: keys %s and %s both have the id %lld", path, q2, q,
                            (long long)id);
    }
    int same = table_add(&t->tokens, (int)id, bytes, (size_t)n_bytes);
    if (same >= 0) /* only when JSON's escapes wrote one key two ways */
        return iv_error_set(err, "%s: key %s: the same token as id %d", path, q, same);
    return 0;
}

static int vocab_read(iv_tokenizer *t, const char *path, iv_error *err)
{
    size_t len;
    char *text = read_tokenizer_file(path, &len, err);
    if (!text)
        return -1;
    int rc = -1;
    char *bytes = NULL;
    json_tokener *tok = json_tokener_new();
    /* The length with the NUL after the text, which ends a bare number at the end. */
    json_object *root = json_tokener_parse_ex(tok, text, (int)len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    while (root && end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (!root || jerr != json_tokener_success) {
        iv_error_set(err, "%s: not JSON: %s (at byte %zu)", path, json_tokener_error_desc(jerr),
                     end);
        goto done;
    }
    if (end < len) {
        iv_error_set(err, "%s: not JSON: more text after the object (at byte %zu)", path, end);
        goto done;
    }
    if (!json_object_is_type(root, json_type_object)) {
        iv_error_set(err, "%s: not a JSON object of tokens and their ids (it is %s)", path,
                     json_kind(root));
        goto done;
    }
    int n = json_object_object_length(root);
    if (n == 0) {
        iv_error_set(err, "%s: no tokens", path);
        goto done;
    }
    if (n > IV_TOKENIZER_MAX_VOCAB) {
        iv_error_set(err, "%s: %d tokens, more than the %d a vocabulary may have", path, n,
                     IV_TOKENIZER_MAX_VOCAB);
        goto done;
    }
    table_init(&t->tokens, n);
    bytes = iv_xmalloc(len + 1);
    struct json_object_iterator it = json_object_iter_begin(root);
    struct json_object_iterator stop = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &stop); json_object_iter_next(&it))
        if (vocab_entry(t, path, json_object_iter_peek_name(&it), json_object_iter_peek_value(&it),
                        bytes, err) != 0)
            goto done;
    /* n distinct ids, each below n: every id from 0 to n - 1 is there. */
    rc = 0;
done:
    free(bytes);
    json_object_put(root);
    json_tokener_free(tok);
    free(text);
    return rc;
}

/* ---- reading merges.txt ---------------------------------------------------------------------- */

/* One merge line "A B" (line number line_no, the merge's rank). */
static int merge_line(iv_tokenizer *t, const char *path, int line_no, int rank, char *line,
                      size_t n, char *bytes, iv_error *err)
{
    char q[QUOTE_CAP], q2[QUOTE_CAP], q3[QUOTE_CAP], why[96];
    char *space = memchr(line, ' ', n);
    size_t a_len = space ? (size_t)(space - line) : n;
    if (!space || a_len == 0 || a_len + 1 == n || memchr(space + 1, ' ', n - a_len - 1)) {
        int fields = 1;
        for (size_t i = 0; i < n; i++)
            fields += line[i] == ' ';
        return iv_error_set(err, "%s:%d: %s is not a merge: a merge is two symbols with one "
                            "space between (this line has %d field%s)", path, line_no,
                            quote(q, sizeof q, line, n), fields, fields == 1 ? "" : "s");
    }
    const char *sym[2] = {line, space + 1};
    size_t sym_len[2] = {a_len, n - a_len - 1};
    int id[2];
    long total = 0;
    for (int k = 0; k < 2; k++) {
        quote(q, sizeof q, sym[k], sym_len[k]);
        long got = alphabet_decode(sym[k], sym_len[k], bytes + total, why, sizeof why);
        if (got < 0)
            return iv_error_set(err, "%s:%d: symbol %s: %s", path, line_no, q, why);
        id[k] = table_find(&t->tokens, bytes + total, (size_t)got);
        if (id[k] < 0)
            return iv_error_set(err, "%s:%d: symbol %s is not in the vocabulary", path, line_no,
                                q);
        total += got;
    }
    int result = table_find(&t->tokens, bytes, (size_t)total);
    if (result < 0) {
        quote(q, sizeof q, sym[0], sym_len[0]);
        quote(q2, sizeof q2, sym[1], sym_len[1]);
        iv_buf joined = {0};
        alphabet_encode(bytes, (size_t)total, &joined);
        quote(q3, sizeof q3, joined.data, joined.len);
        iv_buf_free(&joined);
        return iv_error_set(err, "%s:%d: merging %s and %s gives %s, which is not in the "
                            "vocabulary", path, line_no, q, q2, q3);
    }
    merges_put(&t->merges, id[0], id[1], rank, result);
    return 0;
}

static int merges_read(iv_tokenizer *t, const char *path, iv_error *err)
{
    size_t len;
    char *text = read_tokenizer_file(path, &len, err);
    if (!text)
        return -1;
    int rc = -1;
    char *bytes = iv_xmalloc(len + 1);
    if (len == 0) {
        iv_error_set(err, "%s: an empty file (a merges file has at least its #version line)",
                     path);
        goto done;
    }
    size_t most = 1;
    for (size_t i = 0; i < len; i++)
        most += text[i] == '\n';
    merges_init(&t->merges, most);
    int line_no = 0, rank = 0, blank_line = 0;
    for (char *line = text; line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *next = nl ? nl + 1 : text + len;
        size_t n = (size_t)((nl ? nl : text + len) - line);
        line_no++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (line_no == 1 && n >= 8 && memcmp(line, "#version", 8) == 0) {
            line = next;
            continue;
        }
        if (n == 0) { /* blank lines may end the file, nothing else */
            if (!blank_line)
                blank_line = line_no;
            line = next;
            continue;
        }
        if (blank_line) {
            iv_error_set(err, "%s:%d: a blank line among the merges", path, blank_line);
            goto done;
        }
        if (merge_line(t, path, line_no, rank++, line, n, bytes, err) != 0)
            goto done;
        line = next;
    }
    rc = 0;
done:
    free(bytes);
    free(text);
    return rc;
}

iv_tokenizer *iv_tokenizer_load_bpe(const char *vocab_json, const char *merges_txt, iv_error *err)
{
    iv_tokenizer *t = iv_xcalloc(1, sizeof *t);
    t->bpe = true;
    t->unk = -1;
    t->path = iv_xstrdup(vocab_json);
    if (vocab_read(t, vocab_json, err) != 0 || merges_read(t, merges_txt, err) != 0) {
        iv_tokenizer_free(t);
        return NULL;
    }
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        t->byte_token[b] = table_find(&t->tokens, &c, 1);
    }
    find_specials(t);
    int code;
    PCRE2_SIZE at;
    t->pretokenize = pcre2_compile((PCRE2_SPTR)PRETOKENIZE_PATTERN, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP, &code, &at, NULL);
    if (!t->pretokenize) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof msg);
        iv_error_set(err, "%s: the pre-tokenizing pattern does not compile: %s", vocab_json,
                     (const char *)msg);
        iv_tokenizer_free(t);
        return NULL;
    }
    /* The JIT makes matching several times faster; without it (an architecture it does not
     * support) the interpreter gives the same matches. */
    (void)pcre2_jit_compile(t->pretokenize, PCRE2_JIT_COMPLETE);
    return t;
}

/* ---- the word-level vocabulary --------------------------------------------------------------- */

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

iv_tokenizer *iv_tokenizer_load_words(const char *path, iv_error *err)
{
    size_t len;
    char *text = read_tokenizer_file(path, &len, err);
    if (!text)
        return NULL;
    iv_tokenizer *t = iv_xcalloc(1, sizeof *t);
    t->path = iv_xstrdup(path);
    t->unk = -1;
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n' || i + 1 == len;
    if (lines == 0) {
        iv_error_set(err, "%s: no tokens", path);
        goto fail;
    }
    if (lines > IV_TOKENIZER_MAX_VOCAB) {
        iv_error_set(err, "%s: %d tokens, more than the %d a vocabulary may have", path, lines,
                     IV_TOKENIZER_MAX_VOCAB);
        goto fail;
    }
    table_init(&t->tokens, lines);
    char *line = text;
    for (int id = 0; id < lines; id++) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        size_t n = (size_t)((nl ? nl : text + len) - line);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        size_t blanks = 0;
        for (size_t i = 0; i < n; i++)
            blanks += is_ascii_space(line[i]);
        char q[QUOTE_CAP];
        if (blanks == n) {
            iv_error_set(err, "%s:%d: a blank line (each line is one token)", path, id + 1);
            goto fail;
        }
        if (blanks) {
            iv_error_set(err, "%s:%d: token %s holds whitespace, where texts are split", path,
                         id + 1, quote(q, sizeof q, line, n));
            goto fail;
        }
        int same = table_add(&t->tokens, id, line, n);
        if (same >= 0) {
            iv_error_set(err, "%s:%d: token %s repeats line %d", path, id + 1,
                         quote(q, sizeof q, line, n), same + 1);
            goto fail;
        }
        line = nl ? nl + 1 : text + len;
    }
    t->unk = table_find(&t->tokens, "<unk>", 5);
    find_specials(t);
    free(text);
    return t;
fail:
    /* Tokens not yet read have no text: the table stays valid for freeing. */
    free(text);
    iv_tokenizer_free(t);
    return NULL;
}

/* ---- a checkpoint's directory ---------------------------------------------------------------- */

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

iv_tokenizer *iv_tokenizer_load_dir(const char *dir, bool *found, iv_error *err)
{
    char *vocab = iv_xasprintf("%s/vocab.json", dir);
    char *merges = iv_xasprintf("%s/merges.txt", dir);
    char *words = iv_xasprintf("%s/tokens.txt", dir);
    bool has_vocab = file_exists(vocab), has_merges = file_exists(merges);
    iv_tokenizer *t = NULL;
    *found = true;
    if (has_vocab && has_merges)
        t = iv_tokenizer_load_bpe(vocab, merges, err);
    else if (has_vocab || has_merges)
        iv_error_set(err, "%s: has %s but no %s beside it (a BPE tokenizer needs both)",
                     dir, has_vocab ? "vocab.json" : "merges.txt",
                     has_vocab ? "merges.txt" : "vocab.json");
    else if (file_exists(words))
        t = iv_tokenizer_load_words(words, err);
    else
        *found = false;
    free(vocab);
    free(merges);
    free(words);
    return t;
}

/* ---- encoding -------------------------------------------------------------------------------- */

typedef struct id_list {
    int *ids;
    int n, cap;
} id_list;

static int push_id(id_list *out, int id, iv_error *err)
{
    if (out->n == IV_TOKENIZER_MAX_TOKENS)
        return iv_error_set(err, "the text is more than %d tokens long", IV_TOKENIZER_MAX_TOKENS);
    if (out->n == out->cap) {
        out->cap = out->cap ? 2 * out->cap : 64;
        out->ids = iv_xrealloc(out->ids, (size_t)out->cap * sizeof *out->ids);
    }
    out->ids[out->n++] = id;
    return 0;
}

/* A possible merge of the symbols at left and right (positions in the piece), valid while both
 * still hold the tokens they held when it was queued. */
typedef struct candidate {
    int rank, left, right, left_id, right_id;
} candidate;

/* Scratch space for merging one piece, grown to the longest piece seen. */
typedef struct bpe_work {
    size_t cap;
    int *id, *next, *prev; /* the piece's symbols as a list: merged symbols drop out */
    candidate *heap;       /* min-heap by (rank, left) */
    size_t heap_n;
} bpe_work;

static void work_reserve(bpe_work *w, size_t n)
{
    if (n <= w->cap)
        return;
    w->cap = n;
    w->id = iv_xrealloc(w->id, n * sizeof *w->id);
    w->next = iv_xrealloc(w->next, n * sizeof *w->next);
    w->prev = iv_xrealloc(w->prev, n * sizeof *w->prev);
    /* At most n - 1 candidates to start with and two more for each of at most n - 1 merges. */
    w->heap = iv_xrealloc(w->heap, 3 * n * sizeof *w->heap);
}

static void work_free(bpe_work *w)
{
    free(w->id);
    free(w->next);
    free(w->prev);
    free(w->heap);
}

static bool candidate_before(const candidate *a, const candidate *b)
{
    return a->rank != b->rank ? a->rank < b->rank : a->left < b->left;
}

/* Queues the merge of the symbols at left and right, when merges.txt has one. */
static void heap_push(const iv_tokenizer *t, bpe_work *w, int left, int right)
{
    if (left < 0 || right < 0)
        return;
    const merge *m = merges_get(&t->merges, w->id[left], w->id[right]);
    if (!m)
        return;
    size_t i = w->heap_n++;
    candidate c = {m->rank, left, right, w->id[left], w->id[right]};
    while (i > 0 && candidate_before(&c, &w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = c;
}

static candidate heap_pop(bpe_work *w)
{
    candidate top = w->heap[0], last = w->heap[--w->heap_n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= w->heap_n)
            break;
        if (child + 1 < w->heap_n && candidate_before(&w->heap[child + 1], &w->heap[child]))
            child++;
        if (!candidate_before(&w->heap[child], &last))
            break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (w->heap_n > 0)
        w->heap[i] = last;
    return top;
}

/* Merges one piece of n bytes (at byte offset `at` of the text, for messages) and appends its
 * tokens. The merge of lowest rank applies first, the leftmost of equal ones first, as
 * HuggingFace's tokenizers do; for merges files where a merge's symbols come from earlier lines
 * (as every trained one does) this is also OpenAI's rule of merging all occurrences of the
 * lowest-ranked pair at once. */
static int bpe_piece(const iv_tokenizer *t, bpe_work *w, const char *piece, size_t n, size_t at,
                     id_list *out, iv_error *err)
{
    work_reserve(w, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)piece[i];
        w->id[i] = t->byte_token[b];
        if (w->id[i] < 0)
            return iv_error_set(err, "the vocabulary has no token for the byte 0x%02x (at byte "
                                "%zu of the text)", b, at + i);
        w->prev[i] = (int)i - 1;
        w->next[i] = i + 1 < n ? (int)i + 1 : -1;
    }
    w->heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++)
        heap_push(t, w, (int)i, (int)i + 1);
    while (w->heap_n > 0) {
        candidate c = heap_pop(w);
        /* Stale when either symbol was merged into another since. A symbol merged away
         * keeps its id but leaves the list, so its left neighbour no longer points to it. */
        if (w->next[c.left] != c.right || w->id[c.left] != c.left_id ||
            w->id[c.right] != c.right_id)
            continue;
        w->id[c.left] = merges_get(&t->merges, c.left_id, c.right_id)->result;
        w->next[c.left] = w->next[c.right];
        if (w->next[c.right] >= 0)
            w->prev[w->next[c.right]] = c.left;
        w->next[c.right] = -2; /* gone */
        heap_push(t, w, w->prev[c.left], c.left);
        heap_push(t, w, c.left, w->next[c.left]);
    }
    for (int i = 0; i >= 0; i = w->next[i])
        if (push_id(out, w->id[i], err) != 0)
            return -1;
    return 0;
}

/* Splits a part of the text without special tokens into pieces and merges each. */
static int bpe_part(const iv_tokenizer *t, bpe_work *w, pcre2_match_data *match, const char *text,
                    size_t n, size_t at, id_list *out, iv_error *err)
{
    size_t offset = 0;
    while (offset < n) {
        /* The text is checked for UTF-8 once, not again at every piece. */
        int rc = pcre2_match(t->pretokenize, (PCRE2_SPTR)text, n, offset, PCRE2_NO_UTF_CHECK,
                             match, NULL);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match);
        /* Every character is a letter, a digit, whitespace or none of these, so the pattern
         * matches at every offset; anything else would be a fault in PCRE2. */
        if (rc < 0 || ov[0] != offset || ov[1] <= offset)
            return iv_error_set(err, "the pre-tokenizing pattern does not match at byte %zu of "
                                "the text (PCRE2 error %d)", at + offset, rc);
        if (bpe_piece(t, w, text + offset, ov[1] - offset, at + offset, out, err) != 0)
            return -1;
        offset = ov[1];
    }
    return 0;
}

static int encode_bpe(const iv_tokenizer *t, const char *text, id_list *out, iv_error *err)
{
    size_t n = strlen(text);
    /* Positions within a piece are ints; a text this long would be far more tokens anyway. */
    if (n > INT32_MAX / 4)
        return iv_error_set(err, "the text is longer than %d bytes", INT32_MAX / 4);
    long bad = utf8_invalid_at(text, n);
    if (bad >= 0)
        return iv_error_set(err, "the text is not valid UTF-8 (at byte %ld)", bad);
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(t->pretokenize, NULL);
    if (!match)
        return iv_error_set(err, "out of memory for matching the text");
    bpe_work w = {0};
    int rc = 0;
    size_t part = 0; /* where the text since the last special token starts */
    for (size_t i = 0; i < n && rc == 0;) {
        int special;
        size_t len = special_at(t, text + i, n - i, &special);
        if (len == 0) {
            i++;
            continue;
        }
        rc = bpe_part(t, &w, match, text + part, i - part, part, out, err);
        if (rc == 0)
            rc = push_id(out, special, err);
        i += len;
        part = i;
    }
    if (rc == 0)
        rc = bpe_part(t, &w, match, text + part, n - part, part, out, err);
    work_free(&w);
    pcre2_match_data_free(match);
    return rc;
}

/* One word (n bytes, at least one) of a text: its token, else <unk>. */
static int encode_word(const iv_tokenizer *t, const char *word, size_t n, id_list *out,
                       iv_error *err)
{
    int id = table_find(&t->tokens, word, n);
    if (id < 0 && t->unk < 0) {
        char q[QUOTE_CAP];
        return iv_error_set(err, "the vocabulary (%s) has no token %s", t->path,
                            quote(q, sizeof q, word, n));
    }
    return push_id(out, id >= 0 ? id : t->unk, err);
}

static int encode_words(const iv_tokenizer *t, const char *text, id_list *out, iv_error *err)
{
    const char *s = text;
    for (;;) {
        while (is_ascii_space(*s))
            s++;
        if (!*s)
            return 0;
        const char *word = s;
        while (*s && !is_ascii_space(*s))
            s++;
        /* A special token written against a word ("end.<|endoftext|>") is a token of its own. */
        const char *part = word;
        for (const char *c = word; c < s;) {
            int special;
            size_t len = special_at(t, c, (size_t)(s - c), &special);
            if (len == 0) {
                c++;
                continue;
            }
            if ((c > part && encode_word(t, part, (size_t)(c - part), out, err) != 0) ||
                push_id(out, special, err) != 0)
                return -1;
            c += len;
            part = c;
        }
        if (s > part && encode_word(t, part, (size_t)(s - part), out, err) != 0)
            return -1;
    }
}

int iv_tokenizer_encode(const iv_tokenizer *t, const char *text, int **ids, int *n, iv_error *err)
{
    id_list out = {0};
    int rc = t->bpe ? encode_bpe(t, text, &out, err) : encode_words(t, text, &out, err);
    if (rc != 0) {
        free(out.ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    *ids = out.ids ? out.ids : iv_xmalloc(sizeof(int)); /* never NULL on success */
    *n = out.n;
    return 0;
}

/* ---- decoding -------------------------------------------------------------------------------- */

char *iv_tokenizer_decode(const iv_tokenizer *t, const int *ids, int n)
{
    iv_buf b = {0};
    for (int i = 0; i < n; i++) {
        if (!t->bpe && i > 0)
            iv_buf_append(&b, " ", 1);
        if (ids[i] >= 0 && ids[i] < t->tokens.n)
            iv_buf_append(&b, t->tokens.text[ids[i]], t->tokens.len[ids[i]]);
        else
            iv_buf_printf(&b, "<id %d>", ids[i]);
    }
    return b.data ? b.data : iv_xstrdup("");
}
