/* causal.c - reading a high-level causal model, and evaluating it factually and under
 * interventions on its variables. */
#include "causal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

#define CAUSAL_MAX_VARS 1024

/* Names an expression cannot give a variable: it would read them as operators or constants. */
static const char *const reserved[] = {"and", "or", "not", "true", "false"};

void iv_causal_free(iv_causal *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_vars; i++) {
        free(c->vars[i].name);
        free(c->vars[i].text);
        free(c->vars[i].parents);
        iv_expr_free(c->vars[i].expr);
    }
    free(c->vars);
    free(c->names);
    free(c->origin);
    free(c);
}

int iv_causal_find(const iv_causal *c, const char *name)
{
    for (int i = 0; i < c->n_vars; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    return -1;
}

char *iv_causal_names(const iv_causal *c)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (int i = 0; i < c->n_vars; i++)
        iv_buf_printf(&b, "%s%s", i ? ", " : "", c->names[i]);
    return b.data;
}

char *iv_causal_text(const iv_causal *c)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (int i = c->n_inputs; i < c->n_vars; i++)
        iv_buf_printf(&b, "%s%s = %s", i > c->n_inputs ? "; " : "", c->vars[i].name,
                      c->vars[i].text);
    return b.data;
}

/* ---- reading ----------------------------------------------------------------------------------- */

typedef struct reader {
    iv_causal *c;
    int cap;
    const char *origin;
    bool multi_line;   /* name the line in messages even without a file */
    int line;
    iv_error *err;
} reader;

static void add_var(reader *r, const char *name, size_t len)
{
    iv_causal *c = r->c;
    if (c->n_vars == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        c->vars = iv_xrealloc(c->vars, sizeof *c->vars * (size_t)r->cap);
        c->names = iv_xrealloc(c->names, sizeof *c->names * (size_t)r->cap);
    }
    iv_causal_var *v = &c->vars[c->n_vars];
    memset(v, 0, sizeof *v);
    v->name = iv_xmalloc(len + 1);
    memcpy(v->name, name, len);
    v->name[len] = '\0';
    c->names[c->n_vars++] = v->name;
}

/* "causal.txt:2: ", "line 2: " or "" before a message, as the model came. */
static int fail_at(reader *r, iv_error *err)
{
    if (r->origin)
        iv_error_prefix(err, "%s:%d", r->origin, r->line);
    else if (r->multi_line)
        iv_error_prefix(err, "line %d", r->line);
    return -1;
}

static bool is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(reserved[i], name) == 0)
            return true;
    return false;
}

/* Why a new variable may not take this name, or 0. */
static int check_name(reader *r, const char *name)
{
    iv_causal *c = r->c;
    int old = iv_causal_find(c, name);
    if (old >= 0 && old < c->n_inputs)
        return iv_error_set(r->err, "variable '%s' is an input of the network; give it another "
                            "name", name);
    if (old >= 0)
        return iv_error_set(r->err, "variable '%s' is assigned twice (first on line %d)", name,
                            c->vars[old].line);
    if (is_reserved(name))
        return iv_error_set(r->err, "'%s' is a word of the expressions; give the variable another "
                            "name", name);
    if (c->n_vars >= CAUSAL_MAX_VARS)
        return iv_error_set(r->err, "more than %d variables", CAUSAL_MAX_VARS);
    return 0;
}

/* The expression of the statement whose text starts at `expr` on `line`: a copy of the line up to
 * `end` with everything before the expression blanked, so that the columns the expression parser
 * reports are columns of the line. */
static iv_expr *parse_expression(reader *r, const char *line, const char *expr, const char *end)
{
    size_t len = (size_t)(end - line);
    char *copy = iv_xmalloc(len + 1);
    memset(copy, ' ', (size_t)(expr - line));
    memcpy(copy + (expr - line), expr, (size_t)(end - expr));
    copy[len] = '\0';
    iv_expr *e = iv_expr_parse(copy, r->c->n_vars, r->c->names, r->err);
    free(copy);
    return e;
}

static char *trimmed(const char *a, const char *b)
{
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    char *s = iv_xmalloc((size_t)(b - a) + 1);
    memcpy(s, a, (size_t)(b - a));
    s[b - a] = '\0';
    return s;
}

static void set_parents(iv_causal_var *v, int n_vars)
{
    bool *reads = iv_xcalloc((size_t)n_vars, sizeof(bool));
    iv_expr_reads(v->expr, reads);
    v->parents = iv_xmalloc(sizeof(int) * (size_t)(n_vars ? n_vars : 1));
    for (int i = 0; i < n_vars; i++)
        if (reads[i])
            v->parents[v->n_parents++] = i;
    free(reads);
}

/* One statement, NAME = EXPR, in [a, b) of the line that starts at `line`. */
static int read_statement(reader *r, const char *line, const char *a, const char *b)
{
    while (a < b && isspace((unsigned char)*a))
        a++;
    const char *name = a;
    while (a < b && (isalnum((unsigned char)*a) || *a == '_'))
        a++;
    size_t len = (size_t)(a - name);
    if (len == 0 || isdigit((unsigned char)*name))
        return iv_error_set(r->err, "column %d: expected NAME = EXPRESSION", (int)(name - line) + 1);
    char *var = trimmed(name, a);
    while (a < b && isspace((unsigned char)*a))
        a++;
    if (a == b || *a != '=' || (a + 1 < b && a[1] == '=')) {
        iv_error_set(r->err, "column %d: expected '=' after '%s' (NAME = EXPRESSION)",
                     (int)(a - line) + 1, var);
        free(var);
        return -1;
    }
    int rc = check_name(r, var);
    iv_expr *e = rc == 0 ? parse_expression(r, line, a + 1, b) : NULL;
    if (!e) {
        if (rc == 0)
            iv_error_prefix(r->err, "variable '%s'", var);
        free(var);
        return -1;
    }
    add_var(r, var, len);
    free(var);
    iv_causal_var *v = &r->c->vars[r->c->n_vars - 1];
    v->expr = e;
    v->text = trimmed(a + 1, b);
    v->line = r->line;
    set_parents(v, r->c->n_vars - 1);
    return 0;
}

/* One line: statements separated by ';', up to a '#'. */
static int read_line(reader *r, const char *line, const char *end)
{
    const char *hash = memchr(line, '#', (size_t)(end - line));
    if (hash)
        end = hash;
    for (const char *a = line; a < end;) {
        const char *semi = memchr(a, ';', (size_t)(end - a));
        const char *b = semi ? semi : end;
        const char *p = a;
        while (p < b && isspace((unsigned char)*p))
            p++;
        if (p < b && read_statement(r, line, a, b) < 0)
            return -1;
        a = semi ? semi + 1 : end;
    }
    return 0;
}

/* Whether the statements of the text lie on more than one line. */
static bool spans_lines(const char *text)
{
    int lines = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        for (size_t i = 0; i < len && p[i] != '#'; i++)
            if (!isspace((unsigned char)p[i])) {
                lines++;
                break;
            }
        p += len + (nl ? 1 : 0);
    }
    return lines > 1;
}

iv_causal *iv_causal_parse(const char *text, const char *origin, int n_inputs,
                           char *const *input_names, iv_error *err)
{
    iv_causal *c = iv_xcalloc(1, sizeof *c);
    reader r = {.c = c, .origin = origin, .multi_line = spans_lines(text), .err = err};
    for (int i = 0; i < n_inputs; i++)
        add_var(&r, input_names[i], strlen(input_names[i]));
    c->n_inputs = n_inputs;
    int rc = 0;
    for (const char *p = text; *p && rc == 0;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        r.line++;
        rc = read_line(&r, p, end);
        p = nl ? nl + 1 : end;
    }
    if (rc == 0 && c->n_vars == n_inputs) {
        rc = iv_error_set(err, "no variables: expected NAME = EXPRESSION, e.g. 'gt = %s > %s; out "
                          "= gt ? %s : %s'", n_inputs > 0 ? input_names[0] : "a",
                          n_inputs > 1 ? input_names[1] : "b", n_inputs > 0 ? input_names[0] : "a",
                          n_inputs > 1 ? input_names[1] : "b");
        r.line = 0;
        if (origin)
            iv_error_prefix(err, "%s", origin);
    } else if (rc < 0) {
        fail_at(&r, err);
    }
    if (rc < 0) {
        iv_causal_free(c);
        return NULL;
    }
    c->origin = origin ? iv_xstrdup(origin) : NULL;
    int out = iv_causal_find(c, "out");
    c->output = out >= n_inputs ? out : c->n_vars - 1;
    return c;
}

/* ---- evaluating -------------------------------------------------------------------------------- */

void iv_causal_eval(const iv_causal *c, const float *inputs, long n, double *vals)
{
    int nv = c->n_vars;
    for (long r = 0; r < n; r++) {
        double *row = vals + r * nv;
        for (int i = 0; i < c->n_inputs; i++)
            row[i] = inputs[r * c->n_inputs + i];
        for (int i = c->n_inputs; i < nv; i++)
            row[i] = iv_expr_eval(c->vars[i].expr, row);
    }
}

void iv_causal_intervene(const iv_causal *c, const double *base_vals, long n, const int *set,
                         int k, const double *values, double *out)
{
    int nv = c->n_vars;
    /* which: -1 computed, -2 copied from the base (nothing set reaches it), else its index in set */
    int *which = iv_xmalloc(sizeof(int) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        which[v] = -2;
        for (int j = 0; j < k; j++)
            if (set[j] == v)
                which[v] = j;
        for (int p = 0; which[v] == -2 && p < c->vars[v].n_parents; p++)
            if (which[c->vars[v].parents[p]] != -2)
                which[v] = -1;
    }
    for (long r = 0; r < n; r++) {
        double *row = out + r * nv;
        for (int v = 0; v < nv; v++)
            row[v] = which[v] >= 0  ? values[r * k + which[v]]
                     : which[v] == -2 ? base_vals[r * nv + v]
                                      : iv_expr_eval(c->vars[v].expr, row);
    }
    free(which);
}

/* ---- alignments -------------------------------------------------------------------------------- */

void iv_alignment_copy(iv_alignment *dst, const iv_alignment *src)
{
    *dst = *src;
    iv_addr_copy(&dst->addr, &src->addr);
    dst->basis = NULL;
    if (src->k > 0) {
        size_t n = (size_t)src->k * (size_t)src->addr.n;
        dst->basis = iv_xmalloc(sizeof(float) * n);
        memcpy(dst->basis, src->basis, sizeof(float) * n);
    }
}

void iv_alignment_clear(iv_alignment *a)
{
    iv_addr_clear(&a->addr);
    free(a->basis);
    memset(a, 0, sizeof *a);
}

/* ---- counterfactual outputs over a dataset's rows, remembered ---------------------------------- */

#define TUPLES_MAX_DOUBLES (1L << 22) /* keys numbered at most (32 MiB) */
#define ANSWERS_MAX_TABLE (1L << 22)  /* answers kept at most (36 MiB) */

/* Numbers tuples of doubles in the order first seen. Keys are compared by their bits: equal bits
 * give the same answer, whatever they mean (-0, NaN). */
typedef struct tuples {
    int n_key;
    long cap, used;
    double *keys;
    int *ids;
    bool *taken;
} tuples;

/* Small whole numbers, the usual values, differ only in their high bits: each word is mixed
 * through whole (the splitmix64 finaliser) before the slot is taken from the low bits. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t key_hash(const double *key, int n)
{
    uint64_t h = 0x243F6A8885A308D3u;
    for (int i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &key[i], sizeof bits);
        h = mix(h ^ bits);
    }
    return h;
}

static long find_slot(const tuples *t, const double *key)
{
    long mask = t->cap - 1;
    size_t bytes = sizeof(double) * (size_t)t->n_key;
    for (long s = (long)(key_hash(key, t->n_key) & (uint64_t)mask);; s = (s + 1) & mask)
        if (!t->taken[s] || memcmp(t->keys + s * t->n_key, key, bytes) == 0)
            return s;
}

static void tuples_free(tuples *t)
{
    free(t->keys);
    free(t->ids);
    free(t->taken);
    memset(t, 0, sizeof *t);
}

/* Doubles the table (or makes the first one); false when it may not grow any more. */
static bool tuples_grow(tuples *t)
{
    long cap = t->cap ? 2 * t->cap : 256;
    int w = t->n_key ? t->n_key : 1;
    if ((double)cap * w > (double)TUPLES_MAX_DOUBLES)
        return false;
    tuples old = *t;
    t->cap = cap;
    t->keys = iv_xmalloc(sizeof(double) * (size_t)cap * (size_t)w);
    t->ids = iv_xmalloc(sizeof(int) * (size_t)cap);
    t->taken = iv_xcalloc((size_t)cap, sizeof(bool));
    for (long s = 0; s < old.cap; s++)
        if (old.taken[s]) {
            long d = find_slot(t, old.keys + s * w);
            memcpy(t->keys + d * w, old.keys + s * w, sizeof(double) * (size_t)t->n_key);
            t->ids[d] = old.ids[s];
            t->taken[d] = true;
        }
    tuples_free(&old);
    return true;
}

/* The key's number, new ones counting up from 0; -1 when there is no more room. */
static long tuples_number(tuples *t, const double *key)
{
    if (2 * (t->used + 1) > t->cap && !tuples_grow(t))
        return -1;
    long s = find_slot(t, key);
    if (!t->taken[s]) {
        memcpy(t->keys + s * (t->n_key ? t->n_key : 1), key, sizeof(double) * (size_t)t->n_key);
        t->ids[s] = (int)t->used++;
        t->taken[s] = true;
    }
    return t->ids[s];
}

/* What to recompute for the output, and the frontier it reads, as iv_causal_intervene decides. */
static void plan_answers(iv_causal_answers *a)
{
    const iv_causal *c = a->c;
    int nv = c->n_vars;
    int *which = iv_xmalloc(sizeof(int) * (size_t)nv); /* -2 copied, -1 computed, else set's j */
    bool *needed = iv_xcalloc((size_t)nv, sizeof(bool));
    bool *front = iv_xcalloc((size_t)nv, sizeof(bool));
    for (int v = 0; v < nv; v++) {
        which[v] = -2;
        for (int j = 0; j < a->k; j++)
            if (a->set[j] == v)
                which[v] = j;
        for (int p = 0; which[v] == -2 && p < c->vars[v].n_parents; p++)
            if (which[c->vars[v].parents[p]] != -2)
                which[v] = -1;
    }
    a->output_set = which[c->output] >= 0 ? which[c->output] : -1;
    front[c->output] = which[c->output] == -2;
    needed[c->output] = which[c->output] == -1;
    for (int v = nv - 1; v >= 0; v--) /* parents come before their children */
        for (int p = 0; needed[v] && p < c->vars[v].n_parents; p++) {
            int u = c->vars[v].parents[p];
            needed[u] = needed[u] || which[u] == -1;
            front[u] = front[u] || which[u] == -2;
        }
    a->front = iv_xmalloc(sizeof(int) * (size_t)nv);
    a->redo = iv_xmalloc(sizeof(int) * (size_t)nv);
    for (int v = 0; v < nv; v++) {
        if (front[v])
            a->front[a->n_front++] = v;
        if (needed[v])
            a->redo[a->n_redo++] = v;
    }
    free(which);
    free(needed);
    free(front);
}

/* Numbers every row's values of the given variables; returns the count, or -1 (too many, or no
 * memory: the caller then computes each answer). rep gets a row for each number. */
static long number_rows(const iv_causal_answers *a, const int *vars, int n, int *id, long **rep)
{
    tuples t = {.n_key = n};
    double *key = iv_xmalloc(sizeof(double) * (size_t)(n ? n : 1));
    long count = 0;
    *rep = NULL;
    for (long r = 0; r < a->n_rows && count >= 0; r++) {
        for (int i = 0; i < n; i++)
            key[i] = a->vals[r * a->c->n_vars + vars[i]];
        long num = tuples_number(&t, key);
        if (num == count) {
            *rep = iv_xrealloc(*rep, sizeof(long) * (size_t)(count + 1));
            (*rep)[count++] = r;
        }
        if (num < 0)
            count = -1;
        else
            id[r] = (int)num;
    }
    free(key);
    tuples_free(&t);
    return count;
}

/* The table over the rows' numbers, or false when it would be too large. */
static bool number_answers(iv_causal_answers *a)
{
    iv_error err;
    a->count = iv_xcalloc((size_t)a->k + 1, sizeof(long));
    a->value_id = iv_xcalloc((size_t)(a->k ? a->k : 1), sizeof(int *));
    a->value_row = iv_xcalloc((size_t)(a->k ? a->k : 1), sizeof(long *));
    a->front_id = iv_big_alloc((size_t)a->n_rows, sizeof(int), "the causal model's answers", &err);
    if (!a->front_id)
        return false;
    a->count[0] = number_rows(a, a->front, a->n_front, a->front_id, &a->front_row);
    double size = (double)a->count[0];
    for (int j = 0; j < a->k && size > 0; j++) {
        a->value_id[j] = iv_big_alloc((size_t)a->n_rows, sizeof(int), "the causal model's "
                                      "answers", &err);
        if (!a->value_id[j])
            return false;
        a->count[1 + j] = number_rows(a, &a->set[j], 1, a->value_id[j], &a->value_row[j]);
        size *= a->count[1 + j] > 0 ? (double)a->count[1 + j] : -1;
    }
    if (!(size > 0 && size <= ANSWERS_MAX_TABLE))
        return false;
    a->table = iv_big_alloc((size_t)size, sizeof(double), "the causal model's answers", &err);
    a->known = a->table ? iv_big_alloc((size_t)size, 1, "the causal model's answers", &err)
                        : NULL;
    return a->known != NULL;
}

void iv_causal_answers_init(iv_causal_answers *a, const iv_causal *c, const double *vals,
                            long n_rows, const int *set, int k)
{
    memset(a, 0, sizeof *a);
    a->c = c;
    a->vals = vals;
    a->n_rows = n_rows;
    a->k = k;
    a->set = iv_xmalloc(sizeof(int) * (size_t)(k ? k : 1));
    memcpy(a->set, set, sizeof(int) * (size_t)k);
    a->row = iv_xcalloc((size_t)c->n_vars, sizeof(double));
    plan_answers(a);
    if (a->output_set < 0)
        a->direct = !number_answers(a);
}

void iv_causal_answers_free(iv_causal_answers *a)
{
    for (int j = 0; a->value_id && j < a->k; j++) {
        free(a->value_id[j]);
        free(a->value_row[j]);
    }
    free(a->value_id);
    free(a->value_row);
    free(a->front_id);
    free(a->front_row);
    free(a->count);
    free(a->table);
    free(a->known);
    free(a->set);
    free(a->front);
    free(a->redo);
    free(a->row);
    memset(a, 0, sizeof *a);
}

/* The output with the frontier taken from row `base` and set[j] from row value_rows[j]. */
static double compute_answer(iv_causal_answers *a, long base, const long *value_rows)
{
    int nv = a->c->n_vars;
    double *row = a->row;
    for (int i = 0; i < a->n_front; i++)
        row[a->front[i]] = a->vals[base * nv + a->front[i]];
    for (int j = 0; j < a->k; j++)
        row[a->set[j]] = a->vals[value_rows[j] * nv + a->set[j]];
    for (int i = 0; i < a->n_redo; i++)
        row[a->redo[i]] = iv_expr_eval(a->c->vars[a->redo[i]].expr, row);
    return row[a->c->output];
}

double iv_causal_answer(iv_causal_answers *a, long base, const long *value_rows)
{
    if (a->output_set >= 0)
        return a->vals[value_rows[a->output_set] * a->c->n_vars + a->set[a->output_set]];
    if (a->direct)
        return compute_answer(a, base, value_rows);
    long at = a->front_id[base];
    for (int j = 0; j < a->k; j++)
        at = at * a->count[1 + j] + a->value_id[j][value_rows[j]];
    if (!a->known[at]) {
        /* Rows with the same numbers hold the same bits: their representatives answer for all. */
        long rows[64] = {0}, *reps = a->k <= 64 ? rows : iv_xmalloc(sizeof(long) * (size_t)a->k);
        for (int j = 0; j < a->k; j++)
            reps[j] = a->value_row[j][a->value_id[j][value_rows[j]]];
        a->table[at] = compute_answer(a, a->front_row[a->front_id[base]], reps);
        a->known[at] = 1;
        if (reps != rows)
            free(reps);
    }
    return a->table[at];
}
