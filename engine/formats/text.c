/* text.c - the model text format (doc/model-format.md): reading it, and writing a model back in it.
 *
 * The parser walks the text one line at a time. Each line is copied, checked and split into tokens
 * (bare words, or double-quoted strings with \" and \\ escapes); its first token is a keyword or,
 * for the rows of a `weights` or `bias` block, a number. The inputs go to the model builder
 * (build.h) at their line, and the layer being read is kept as a draft in growable heap arrays and
 * handed to the builder once it is complete; the builder's check judges names, shapes and values,
 * at the line of the layer they belong to. Header texts and labels are kept in a scratch arena
 * until the builder copies them. On any error the draft, the scratch buffers, the arena and the
 * builder are all freed, so a failed parse leaves nothing behind. The writer puts its texts through
 * the parser's own line checks, so what it writes always reads back. */
#include "text.h"

#include "build.h"
#include "files.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE (1L << 20) /* bytes in one line, newline excluded */
#define MAX_LABEL 255       /* bytes in a neuron label */
#define BIAS_PER_LINE 16    /* numbers per line when the writer spreads a wide bias over lines */
#define INDENT_MAX_WIDTH 1024 /* wider rows are written unindented, see write_layer */
#define DEFAULT_ALPHA 0.01f

/* ---- parser state ------------------------------------------------------------------------------ */

typedef struct token {
    char *s;            /* NUL-terminated text, escapes of a quoted string already resolved */
    bool quoted;
    size_t start, end;  /* byte range in the raw line, quotes included */
} token;

typedef struct floats {
    float *v;
    size_t n, cap;
} floats;

typedef enum { BLOCK_NONE, BLOCK_WEIGHTS, BLOCK_BIAS } block_kind;

/* The layer being read. Line numbers are 0 for keywords not seen yet. */
typedef struct draft {
    iv_layer L; /* name, act, alpha and n_in are set at the `layer` line */
    int line, weights_line, bias_line, labels_line;
    int rows;
    floats weight, bias;
    char **labels; /* heap array of arena strings */
    int n_labels;
} draft;

enum { HDR_MODEL, HDR_INPUTS, HDR_TARGET, HDR_DATA, HDR_COUNT };

typedef struct parser {
    const char *file;
    iv_error *err;
    iv_model *m;
    int line;                  /* 1-based number of the current line */
    const char *raw;           /* the current line in the text, not NUL-terminated */
    char *buf;                 /* its tokenised copy */
    size_t buf_cap;
    token *tok;
    int n_tok, tok_cap;
    int header_line[HDR_COUNT]; /* line of each header keyword, 0 if absent */
    iv_builder *b;             /* where finished layers go */
    iv_layer *layers;          /* finished layers' names and widths (the builder has the rest) */
    int n_layers, layers_cap;
    bool in_layer;
    draft cur;
    block_kind block;          /* where a row of numbers goes */
    long params;
} parser;

/* Sets "FILE:LINE: message" (err may be NULL). Always returns -1. */
static int fail_at(parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, int line, const char *fmt, ...)
{
    if (!p->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    iv_error_prefix(p->err, "%s:%d", p->file, line);
    return -1;
}

/* Copies a token for a message: non-printable bytes become \xNN and long tokens are cut, so that
 * binary junk gives a readable one-line error. */
static const char *shown(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 8 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (*s)
        o += (size_t)snprintf(out + o, n - o, "...");
    out[o] = '\0';
    return out;
}

static const char *plural(long n) { return n == 1 ? "" : "s"; }

static void floats_push(floats *f, float v)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->v = iv_xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = v;
}

static void draft_free(draft *d)
{
    free(d->weight.v);
    free(d->bias.v);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

static void parser_free(parser *p)
{
    draft_free(&p->cur);
    free(p->buf);
    free(p->tok);
    free(p->layers);
}

static char *arena_strndup(iv_arena *a, const char *s, size_t n)
{
    char *d = iv_arena_alloc(a, n + 1); /* zeroed, so already terminated */
    memcpy(d, s, n);
    return d;
}

/* ---- lines and tokens -------------------------------------------------------------------------- */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool is_control(unsigned char c) { return (c < 0x20 && !is_blank((char)c)) || c == 0x7f; }

static void push_token(parser *p, char *s, bool quoted, size_t start, size_t end)
{
    if (p->n_tok == p->tok_cap) {
        p->tok_cap = p->tok_cap ? 2 * p->tok_cap : 32;
        p->tok = iv_xrealloc(p->tok, (size_t)p->tok_cap * sizeof *p->tok);
    }
    p->tok[p->n_tok++] = (token){s, quoted, start, end};
}

/* Reads the quoted string starting at buf[*i] (the opening quote) and resolves its escapes in
 * place; the text can only shrink, so writing behind the read position is safe. */
static int scan_quoted(parser *p, size_t len, size_t *i)
{
    char *b = p->buf;
    size_t start = *i, r = start + 1, w = start + 1;
    while (r < len && b[r] != '"') {
        if (b[r] == '\\' && r + 1 < len && (b[r + 1] == '"' || b[r + 1] == '\\'))
            r++;
        b[w++] = b[r++];
    }
    if (r >= len)
        return fail_at(p, p->line, "unterminated quoted string (a '\"' is missing)");
    r++;
    if (r < len && !is_blank(b[r]) && b[r] != '#')
        return fail_at(p, p->line, "text right after a closing quote (put a space between tokens)");
    b[w] = '\0';
    push_token(p, b + start + 1, true, start, r);
    *i = r;
    return 0;
}

/* Splits buf (a copy of the line, len bytes) into tokens, stopping at a '#' outside quotes. */
static int tokenize(parser *p, size_t len)
{
    char *b = p->buf;
    size_t i = 0;
    p->n_tok = 0;
    while (i < len) {
        if (is_blank(b[i])) {
            i++;
        } else if (b[i] == '#') {
            break;
        } else if (b[i] == '"') {
            if (scan_quoted(p, len, &i) < 0)
                return -1;
        } else {
            size_t start = i;
            while (i < len && !is_blank(b[i]) && b[i] != '#') {
                if (b[i] == '"')
                    return fail_at(p, p->line, "stray '\"' inside a word (quotes may only "
                                   "surround a whole token)");
                i++;
            }
            char stop = b[i]; /* a blank, a '#' or the terminator */
            b[i] = '\0';
            push_token(p, b + start, false, start, i);
            if (stop == '#')
                break;
            i++; /* past the blank now overwritten by the terminator */
        }
    }
    return 0;
}

/* Copies line p->raw (len bytes, newline excluded) into the scratch buffer after checking its
 * length and bytes. */
static int load_line(parser *p, size_t len)
{
    if (len > (size_t)MAX_LINE)
        return fail_at(p, p->line, "line is longer than %ld bytes (1 MiB)", MAX_LINE);
    if (len > 0 && p->raw[len - 1] == '\r')
        len--; /* a Windows line end; any other CR is refused below */
    for (size_t i = 0; i < len; i++)
        if (is_control((unsigned char)p->raw[i]))
            return fail_at(p, p->line, "control character 0x%02x in column %zu (is this a text "
                           "file?)", (unsigned char)p->raw[i], i + 1);
    if (len + 1 > p->buf_cap) {
        p->buf_cap = len + 1 > 256 ? len + 1 : 256;
        free(p->buf);
        p->buf = iv_xmalloc(p->buf_cap);
    }
    memcpy(p->buf, p->raw, len);
    p->buf[len] = '\0';
    return tokenize(p, len);
}

/* The raw text from token `from` to the end of the last token, trimmed: what `target` and `data`
 * keep verbatim. */
static char *rest_of_line(parser *p, int from)
{
    size_t a = p->tok[from].start, b = p->tok[p->n_tok - 1].end;
    return arena_strndup(p->m->arena, p->raw + a, b - a);
}

/* ---- names and numbers ------------------------------------------------------------------------- */

/* Checks an input or layer name; `what` is "input" or "layer". */
static int check_name(parser *p, const token *t, const char *what)
{
    char show[80];
    if (t->quoted || !iv_is_identifier(t->s))
        return fail_at(p, p->line, "%s name '%s' is not a valid name (a name starts with a letter "
                       "or '_' and has only letters, digits and '_')", what,
                       shown(t->s, show, sizeof show));
    if (strlen(t->s) > IV_MAX_NAME)
        return fail_at(p, p->line, "%s name '%s' is longer than %d characters", what,
                       shown(t->s, show, sizeof show), IV_MAX_NAME);
    return 0;
}

/* Compares ASCII letters without regard to case. */
static bool same_word(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20))
            return false;
    return *a == *b;
}

/* True when a row of numbers starts with this token. "nan" and "inf" count, so that they are
 * rejected as numbers that are not finite rather than called unknown keywords. */
static bool looks_numeric(const token *t)
{
    const char *s = t->s;
    if (t->quoted)
        return false;
    if (*s == '+' || *s == '-')
        s++;
    return (*s && strchr(".0123456789", *s)) || same_word(s, "nan") || same_word(s, "inf") ||
           same_word(s, "infinity");
}

/* Parses one number of layer `layer` into a float; `what` is "weight", "bias" or "alpha". strtof
 * rounds correctly, and strtod tells a literal infinity from a float32 overflow. */
static int parse_number(parser *p, const token *t, const char *layer, const char *what, float *out)
{
    char show[80], *end = NULL;
    shown(t->s, show, sizeof show);
    errno = 0;
    double v = t->quoted ? 0 : strtod(t->s, &end);
    if (t->quoted || end == t->s || *end != '\0')
        return fail_at(p, p->line, "layer %s: %s is not a number: '%s'", layer, what, show);
    if (isnan(v) || (isinf(v) && errno != ERANGE))
        return fail_at(p, p->line, "layer %s: %s is not a finite number: '%s'", layer, what, show);
    float f = strtof(t->s, NULL);
    if (isinf(f))
        return fail_at(p, p->line, "layer %s: %s is too large for a float32: '%s'", layer, what,
                       show);
    *out = f;
    return 0;
}

static int count_params(parser *p, long n)
{
    p->params += n;
    if (p->params > IV_MAX_PARAMS)
        return fail_at(p, p->line, "the model has more than %ld parameters (weights and biases), "
                       "the most this tool loads", IV_MAX_PARAMS);
    return 0;
}

/* ---- header keywords --------------------------------------------------------------------------- */

static const char *const header_words[HDR_COUNT] = {"model", "inputs", "target", "data"};

/* A header keyword may appear once, and only before the first layer. */
static int header_check(parser *p, int which)
{
    const char *w = header_words[which];
    if (p->header_line[which])
        return fail_at(p, p->line, "duplicate `%s` line (the first is on line %d)", w,
                       p->header_line[which]);
    if (p->in_layer)
        return fail_at(p, p->line, "`%s` must come before the first `layer`", w);
    p->header_line[which] = p->line;
    return 0;
}

static int kw_model(parser *p)
{
    if (header_check(p, HDR_MODEL) < 0)
        return -1;
    if (p->n_tok != 2 || !p->tok[1].s[0])
        return fail_at(p, p->line, "model: expected one name, e.g. `model max` (quote a name "
                       "with spaces)");
    p->m->name = iv_arena_strdup(p->m->arena, p->tok[1].s);
    return 0;
}

static int kw_inputs(parser *p)
{
    if (header_check(p, HDR_INPUTS) < 0)
        return -1;
    int n = p->n_tok - 1;
    if (n == 0)
        return fail_at(p, p->line, "inputs: expected at least one input name, e.g. `inputs x y`");
    if (n > IV_MAX_WIDTH)
        return fail_at(p, p->line, "inputs: %d inputs, more than the limit of %d", n,
                       IV_MAX_WIDTH);
    char **names = iv_arena_alloc(p->m->arena, (size_t)n * sizeof *names);
    for (int i = 0; i < n; i++) {
        if (check_name(p, &p->tok[i + 1], "input") < 0)
            return -1;
        names[i] = iv_arena_strdup(p->m->arena, p->tok[i + 1].s);
    }
    p->m->n_inputs = n;
    p->m->input_names = names;
    char where[512];
    snprintf(where, sizeof where, "%s:%d", p->file, p->line);
    return iv_builder_inputs(p->b, n, names, where, p->err);
}

/* `target` and `data` keep the rest of their line as text; others check it. */
static int kw_text(parser *p, int which, char **out, const char *example)
{
    if (header_check(p, which) < 0)
        return -1;
    if (p->n_tok < 2)
        return fail_at(p, p->line, "%s: expected text after the keyword, e.g. `%s %s`",
                       header_words[which], header_words[which], example);
    *out = rest_of_line(p, 1);
    return 0;
}

/* ---- layers ------------------------------------------------------------------------------------ */

static int layer_width(const parser *p, int l)
{
    return l < 0 ? p->m->n_inputs : p->layers[l].n_out;
}

static void append_layer(parser *p)
{
    if (p->n_layers == p->layers_cap) {
        p->layers_cap = p->layers_cap ? 2 * p->layers_cap : 8;
        p->layers = iv_xrealloc(p->layers, (size_t)p->layers_cap * sizeof *p->layers);
    }
    p->layers[p->n_layers++] = p->cur.L;
}

/* Checks the draft's counts, then hands it to the builder; names, shapes and values are the
 * model check's (build.h), which reports them at the layer's line. */
static int finish_layer(parser *p)
{
    draft *d = &p->cur;
    const char *name = d->L.name;
    if (!d->weights_line)
        return fail_at(p, d->line, "layer %s: no `weights` (a layer needs one row of weights per "
                       "neuron)", name);
    if (d->rows == 0)
        return fail_at(p, d->weights_line, "layer %s: `weights` has no rows below it", name);
    if (d->bias_line && d->bias.n != (size_t)d->rows)
        return fail_at(p, d->bias_line, "layer %s: bias has %zu number%s, expected %d (one per "
                       "weight row)", name, d->bias.n, plural((long)d->bias.n), d->rows);
    if (d->labels_line && d->n_labels != d->rows)
        return fail_at(p, d->labels_line, "layer %s: labels has %d label%s, expected %d (one per "
                       "weight row)", name, d->n_labels, plural(d->n_labels), d->rows);
    d->L.n_out = d->rows;
    char where[512];
    snprintf(where, sizeof where, "%s:%d", p->file, d->line);
    iv_dense_spec spec = {.name = name, .n_in = d->L.n_in, .n_out = d->rows,
                          .weight = d->weight.v, .bias = d->bias_line ? d->bias.v : NULL,
                          .act = d->L.act, .alpha = d->L.alpha,
                          .labels = d->labels_line ? d->labels : NULL, .where = where,
                          .line = d->line};
    if (iv_builder_dense(p->b, &spec, p->err) < 0) {
        iv_error_prefix(p->err, "%s", where);
        return -1;
    }
    append_layer(p);
    draft_free(d);
    p->in_layer = false;
    return 0;
}

/* A new layer's name is checked at its line, by the token's rules and then the model's. */
static int check_layer_name(parser *p, const token *t)
{
    if (check_name(p, t, "layer") < 0)
        return -1;
    char where[512];
    snprintf(where, sizeof where, "%s:%d", p->file, p->line);
    return iv_builder_check_name(p->b, t->s, where, p->err);
}

static void activation_list(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int a = IV_ACT_IDENTITY; a <= IV_ACT_SOFTMAX && used < n; a++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", a ? ", " : "",
                                 iv_activation_name((iv_activation)a));
}

/* Reads ACTIVATION [ALPHA | alpha=ALPHA] from the tokens after the layer name. */
static int parse_activation(parser *p, draft *d)
{
    char list[160], show[80];
    activation_list(list, sizeof list);
    if (p->n_tok < 3)
        return fail_at(p, p->line, "layer %s: missing activation (expected one of: %s)",
                       d->L.name, list);
    const token *act = &p->tok[2];
    if (act->quoted || iv_activation_parse(act->s, &d->L.act) < 0)
        return fail_at(p, p->line, "layer %s: unknown activation '%s' (expected one of: %s)",
                       d->L.name, shown(act->s, show, sizeof show), list);
    d->L.alpha = DEFAULT_ALPHA;
    if (p->n_tok == 3)
        return 0;
    if (d->L.act != IV_ACT_LEAKY_RELU)
        return fail_at(p, p->line, "layer %s: %s takes no parameter (only leaky_relu takes an "
                       "alpha)", d->L.name, act->s);
    if (p->n_tok > 4)
        return fail_at(p, p->line, "layer %s: unexpected '%s' after the alpha", d->L.name,
                       shown(p->tok[4].s, show, sizeof show));
    token alpha = p->tok[3];
    if (!alpha.quoted && strncmp(alpha.s, "alpha=", 6) == 0)
        alpha.s += 6;
    return parse_number(p, &alpha, d->L.name, "alpha", &d->L.alpha);
}

static int kw_layer(parser *p)
{
    if (p->in_layer && finish_layer(p) < 0)
        return -1;
    if (!p->header_line[HDR_INPUTS])
        return fail_at(p, p->line, "missing `inputs` line before the first layer (e.g. `inputs x "
                       "y`)");
    if (p->n_layers == IV_MAX_LAYERS)
        return fail_at(p, p->line, "more than %d layers, the most a model may have",
                       IV_MAX_LAYERS);
    if (p->n_tok < 2)
        return fail_at(p, p->line, "layer: expected `layer NAME ACTIVATION`, e.g. `layer h1 relu`");
    if (check_layer_name(p, &p->tok[1]) < 0)
        return -1;
    draft *d = &p->cur;
    d->L.name = iv_arena_strdup(p->m->arena, p->tok[1].s);
    d->L.n_in = layer_width(p, p->n_layers - 1);
    d->line = p->line;
    p->in_layer = true; /* set before the activation, so an error there frees the draft */
    return parse_activation(p, d);
}

/* The keywords inside a layer: each at most once, and only after a `layer` line. */
static int layer_keyword_check(parser *p, const char *word, int first_line)
{
    if (!p->in_layer)
        return fail_at(p, p->line, "`%s` outside a layer (start one with `layer NAME "
                       "ACTIVATION`)", word);
    if (first_line)
        return fail_at(p, p->line, "layer %s: duplicate `%s` (the first is on line %d)",
                       p->cur.L.name, word, first_line);
    return 0;
}

static int kw_weights(parser *p)
{
    if (layer_keyword_check(p, "weights", p->cur.weights_line) < 0)
        return -1;
    if (p->n_tok > 1)
        return fail_at(p, p->line, "layer %s: nothing may follow `weights` on its line; put one "
                       "row of numbers per line below it", p->cur.L.name);
    p->cur.weights_line = p->line;
    p->block = BLOCK_WEIGHTS;
    return 0;
}

static int add_bias(parser *p, int from)
{
    draft *d = &p->cur;
    if (d->bias.n + (size_t)(p->n_tok - from) > IV_MAX_WIDTH)
        return fail_at(p, p->line, "layer %s: bias has more than %d numbers", d->L.name,
                       IV_MAX_WIDTH);
    if (count_params(p, p->n_tok - from) < 0)
        return -1;
    for (int i = from; i < p->n_tok; i++) {
        float v;
        if (parse_number(p, &p->tok[i], d->L.name, "bias", &v) < 0)
            return -1;
        floats_push(&d->bias, v);
    }
    return 0;
}

static int kw_bias(parser *p)
{
    if (layer_keyword_check(p, "bias", p->cur.bias_line) < 0)
        return -1;
    p->cur.bias_line = p->line;
    if (p->n_tok > 1)
        return add_bias(p, 1);
    p->block = BLOCK_BIAS; /* the numbers follow on the next lines */
    return 0;
}

static int kw_labels(parser *p)
{
    draft *d = &p->cur;
    char show[80];
    if (layer_keyword_check(p, "labels", d->labels_line) < 0)
        return -1;
    if (p->n_tok < 2)
        return fail_at(p, p->line, "layer %s: `labels` needs one label per neuron", d->L.name);
    d->labels_line = p->line;
    d->n_labels = p->n_tok - 1;
    d->labels = iv_xcalloc((size_t)d->n_labels, sizeof *d->labels);
    for (int i = 0; i < d->n_labels; i++) {
        const char *s = p->tok[i + 1].s;
        if (strlen(s) > MAX_LABEL)
            return fail_at(p, p->line, "layer %s: label '%s' is longer than %d bytes", d->L.name,
                           shown(s, show, sizeof show), MAX_LABEL);
        if (*s) /* "" leaves the neuron unlabelled */
            d->labels[i] = iv_arena_strdup(p->m->arena, s);
    }
    return 0;
}

static int add_weight_row(parser *p)
{
    draft *d = &p->cur;
    int n = p->n_tok, n_in = d->L.n_in;
    if (d->rows == IV_MAX_WIDTH)
        return fail_at(p, p->line, "layer %s: more than %d weight rows (a layer has at most %d "
                       "neurons)", d->L.name, IV_MAX_WIDTH, IV_MAX_WIDTH);
    if (n != n_in) {
        char why[96];
        if (p->n_layers == 0)
            snprintf(why, sizeof why, "the number of inputs");
        else
            snprintf(why, sizeof why, "the width of %s", p->layers[p->n_layers - 1].name);
        return fail_at(p, p->line, "layer %s: weights row %d has %d number%s, expected %d (%s)",
                       d->L.name, d->rows + 1, n, plural(n), n_in, why);
    }
    if (count_params(p, n) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        float v;
        if (parse_number(p, &p->tok[i], d->L.name, "weight", &v) < 0)
            return -1;
        floats_push(&d->weight, v);
    }
    d->rows++;
    return 0;
}

static int parse_row(parser *p)
{
    if (p->block == BLOCK_WEIGHTS)
        return add_weight_row(p);
    if (p->block == BLOCK_BIAS)
        return add_bias(p, 0);
    return fail_at(p, p->line, "row of numbers outside a `weights` or `bias` block");
}

/* ---- driver ------------------------------------------------------------------------------------ */

static const char keyword_list[] = "model, inputs, target, data, layer, weights, bias or labels";

typedef int (*keyword_fn)(parser *p);

static int kw_target(parser *p)
{
    if (kw_text(p, HDR_TARGET, &p->m->target, "max(x, y)") < 0)
        return -1;
    if (strchr(p->m->target, '"')) /* a quote has no place in an expression */
        return fail_at(p, p->line, "target: '%s' is not an expression (no quotes: e.g. `target "
                       "max(x, y)`)", p->m->target);
    return 0;
}

static int kw_data(parser *p) { return kw_text(p, HDR_DATA, &p->m->dataset, "grid x=0:10:1"); }

/* The handler of a keyword, or NULL for any other word. */
static keyword_fn find_keyword(const char *w)
{
    static const struct {
        const char *word;
        keyword_fn fn;
    } table[] = {
        {"model", kw_model},     {"inputs", kw_inputs},   {"target", kw_target},
        {"data", kw_data},       {"layer", kw_layer},     {"weights", kw_weights},
        {"bias", kw_bias},       {"labels", kw_labels},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(w, table[i].word) == 0)
            return table[i].fn;
    return NULL;
}

static int parse_line(parser *p, size_t len)
{
    if (load_line(p, len) < 0)
        return -1;
    if (p->n_tok == 0)
        return 0;
    keyword_fn fn = p->tok[0].quoted ? NULL : find_keyword(p->tok[0].s);
    if (fn) {
        p->block = BLOCK_NONE; /* any keyword ends a block of rows */
        return fn(p);
    }
    if (looks_numeric(&p->tok[0]))
        return parse_row(p);
    char show[80];
    return fail_at(p, p->line, "unknown keyword '%s' (expected %s)",
                   shown(p->tok[0].s, show, sizeof show), keyword_list);
}

static int parse_lines(parser *p, const char *text)
{
    if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
        text += 3; /* a UTF-8 byte order mark, as some editors write */
    size_t left = strlen(text);
    while (left > 0) {
        p->line++;
        /* Look no further than one byte past the longest line allowed. */
        size_t span = left < (size_t)MAX_LINE + 1 ? left : (size_t)MAX_LINE + 1;
        const char *nl = memchr(text, '\n', span);
        size_t len = nl ? (size_t)(nl - text) : span;
        p->raw = text;
        if (parse_line(p, len) < 0)
            return -1;
        if (!nl)
            break; /* the last line had no newline */
        left -= len + 1;
        text = nl + 1;
    }
    return 0;
}

/* Checks what only the end of the file can show, then finishes the last layer. */
static int parse_end(parser *p)
{
    int last = p->line > 0 ? p->line : 1;
    bool any = p->in_layer;
    for (int h = 0; h < HDR_COUNT; h++)
        any = any || p->header_line[h];
    if (!any)
        return fail_at(p, last, "empty model file (expected an `inputs` line and at least one "
                       "`layer`)");
    if (!p->header_line[HDR_INPUTS])
        return fail_at(p, last, "missing `inputs` line (e.g. `inputs x y`)");
    if (!p->in_layer)
        return fail_at(p, last, "the model has no layers (add `layer NAME ACTIVATION` and its "
                       "`weights`)");
    return finish_layer(p);
}


/* Hands the headers to the builder and finishes the model. */
static iv_model *build(parser *p)
{
    const iv_model *h = p->m;
    if (h->name)
        iv_builder_name(p->b, h->name);
    iv_builder_target(p->b, h->target);
    iv_builder_dataset(p->b, h->dataset);
    iv_builder *b = p->b;
    p->b = NULL; /* finishing frees it, whatever the outcome */
    return iv_builder_finish(b, p->err);
}

iv_model *iv_model_parse(const char *text, const char *filename, iv_error *err)
{
    parser p = {.file = filename ? filename : "<model>", .err = err};
    /* The headers are kept in a scratch model's arena while parsing; the builder copies them. */
    iv_arena *a = iv_arena_new();
    p.m = iv_arena_alloc(a, sizeof *p.m);
    p.m->arena = a;
    p.b = iv_builder_new(p.file, p.file);
    int rc = parse_lines(&p, text);
    if (rc == 0)
        rc = parse_end(&p);
    iv_model *m = rc == 0 ? build(&p) : NULL;
    iv_builder_free(p.b);
    parser_free(&p);
    iv_arena_free(a);
    return m;
}

iv_model *iv_model_load_text(const char *path, iv_error *err)
{
    char *text = iv_read_file(path, (size_t)IV_MAX_MODEL_FILE, NULL, err);
    if (!text)
        return NULL;
    iv_model *m = iv_model_parse(text, path, err);
    free(text);
    return m;
}

/* ---- writing ----------------------------------------------------------------------------------- */

/* True when s can be written as a bare token (otherwise it is quoted). */
static bool is_bare(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '#' || *s == '"' || *s == 0x7f)
            return false;
    return true;
}

/* True when s has no byte the parser would refuse in a line (control characters). */
static bool is_printable(const char *s)
{
    for (; *s; s++)
        if (is_control((unsigned char)*s))
            return false;
    return true;
}

static void buf_token(iv_buf *b, const char *s)
{
    if (is_bare(s)) {
        iv_buf_append(b, s, strlen(s));
        return;
    }
    iv_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            iv_buf_append(b, "\\", 1);
        iv_buf_append(b, s, 1);
    }
    iv_buf_append(b, "\"", 1);
}

/* Whether `KEYWORD TEXT` reads back with TEXT as what the keyword keeps: the line is put through
 * the parser's own line checks and tokenizer, so quotes, escapes and comments are judged exactly
 * as reading will judge them. */
static bool text_reads_back(const char *keyword, const char *text)
{
    char *line = iv_xasprintf("%s %s", keyword, text);
    parser p = {.file = "", .raw = line};
    bool ok = load_line(&p, strlen(line)) == 0 && p.n_tok >= 2 &&
              p.tok[1].start == strlen(keyword) + 1 && p.tok[p.n_tok - 1].end == strlen(line);
    free(p.buf);
    free(p.tok);
    free(line);
    return ok;
}

/* Whether the model can be written so that it reads back the same; a model from the parser always
 * can, one built in code might not. */

static bool model_writable(const iv_model *m)
{
    if ((m->name && (!*m->name || !is_printable(m->name))) || m->n_inputs < 1 ||
        m->n_layers < 1)
        return false;
    const char *texts[2] = {m->target, m->dataset}, *keywords[2] = {"target", "data"};
    for (int i = 0; i < 2; i++)
        if (texts[i] && !text_reads_back(keywords[i], texts[i]))
            return false;
    for (int i = 0; i < m->n_inputs; i++)
        if (!iv_is_identifier(m->input_names[i]) || strlen(m->input_names[i]) > IV_MAX_NAME)
            return false;
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *L = &m->layers[l];
        if (!iv_is_identifier(L->name) || strlen(L->name) > IV_MAX_NAME)
            return false;
        for (long k = 0; k < (long)L->n_in * L->n_out; k++)
            if (!isfinite(L->weight[k]))
                return false;
        for (int o = 0; L->bias && o < L->n_out; o++)
            if (!isfinite(L->bias[o]))
                return false;
        for (int o = 0; L->labels && o < L->n_out; o++)
            if (L->labels[o] && (!is_printable(L->labels[o]) || strlen(L->labels[o]) > MAX_LABEL))
                return false;
    }
    return true;
}

static void write_numbers(FILE *f, const char *indent, const float *v, int n)
{
    fputs(indent, f);
    for (int i = 0; i < n; i++)
        fprintf(f, i ? " %.9g" : "%.9g", (double)v[i]);
    fputc('\n', f);
}

/* Writes the labels line; fails if it would exceed the parser's line limit. */
static int write_labels(const iv_layer *L, FILE *f)
{
    iv_buf b = {0};
    iv_buf_append(&b, "  labels", 8);
    for (int o = 0; o < L->n_out; o++) {
        iv_buf_append(&b, " ", 1);
        buf_token(&b, L->labels[o] ? L->labels[o] : "");
    }
    int rc = b.len <= (size_t)MAX_LINE ? 0 : -1;
    if (rc == 0)
        fprintf(f, "%s\n", b.data);
    iv_buf_free(&b);
    return rc;
}

static int write_layer(const iv_layer *L, FILE *f)
{
    fprintf(f, "\nlayer %s %s", L->name, iv_activation_name(L->act));
    if (L->act == IV_ACT_LEAKY_RELU)
        fprintf(f, " %.9g", (double)L->alpha);
    fputc('\n', f);
    if (L->labels && write_labels(L, f) < 0)
        return -1;
    fputs("  weights\n", f);
    /* %.9g takes at most 15 bytes, so an unindented row of the widest layer still fits in 1 MiB. */
    const char *indent = L->n_in <= INDENT_MAX_WIDTH ? "    " : "";
    for (int o = 0; o < L->n_out; o++)
        write_numbers(f, indent, L->weight + (size_t)o * (size_t)L->n_in, L->n_in);
    if (!L->bias)
        return 0;
    if (L->n_out <= BIAS_PER_LINE) {
        write_numbers(f, "  bias ", L->bias, L->n_out);
        return 0;
    }
    fputs("  bias\n", f);
    for (int o = 0; o < L->n_out; o += BIAS_PER_LINE)
        write_numbers(f, "    ", L->bias + o, L->n_out - o < BIAS_PER_LINE ? L->n_out - o
                                                                            : BIAS_PER_LINE);
    return 0;
}

int iv_model_write(const iv_model *m, FILE *f)
{
    if (!model_writable(m))
        return -1;
    iv_buf b = {0};
    if (m->name) {
        iv_buf_append(&b, "model ", 6);
        buf_token(&b, m->name);
        fprintf(f, "%s\n", b.data);
        iv_buf_free(&b);
    }
    fputs("inputs", f);
    for (int i = 0; i < m->n_inputs; i++)
        fprintf(f, " %s", m->input_names[i]);
    fputc('\n', f);
    if (m->target)
        fprintf(f, "target %s\n", m->target);
    if (m->dataset)
        fprintf(f, "data %s\n", m->dataset);
    for (int l = 0; l < m->n_layers; l++)
        if (write_layer(&m->layers[l], f) < 0)
            return -1;
    return ferror(f) ? -1 : 0;
}

int iv_model_write_text(const iv_model *m, const char *path, iv_error *err)
{
    iv_atomic_file out;
    FILE *f = iv_atomic_open(&out, path, err);
    if (!f)
        return -1;
    if (iv_model_write(m, f) < 0) {
        iv_atomic_abort(&out);
        return iv_error_set(err, "%s: write error", path);
    }
    return iv_atomic_commit(&out, err);
}
