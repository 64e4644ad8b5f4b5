/* architecture.c - the "intervene.architecture" language (doc/safetensors.md): parsing its text
 * into the fields of an iv_arch, and writing a model's architecture as that text.
 *
 * Syntax: items separated by ';' or newlines, each KEY=VALUE; list values separated by ','; a
 * backslash makes the next character literal; spaces around items and list entries are trimmed;
 * an item starting with '#' is a comment. The text comes from a file we do not trust, so counts
 * are checked against the model's limits as they are read and messages clip what they quote; what
 * is kept goes into the caller's arena, so nothing needs freeing but the layer array. The checks a
 * model needs (names, shapes, softmax last) are left to the builder, as for every other format. */
#include "architecture.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABEL 255

/* ---- reading ----------------------------------------------------------------------------------- */

typedef struct arch_parser {
    const char *source;  /* prefix of every message */
    iv_arena *arena;
    iv_arch *a;
    iv_error *err;
} arch_parser;

/* Sets the error, prefixed with where the text came from. */
static int arch_fail(arch_parser *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int arch_fail(arch_parser *P, const char *fmt, ...)
{
    if (!P->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err->msg, sizeof P->err->msg, fmt, ap);
    va_end(ap);
    iv_error_prefix(P->err, "%s", P->source);
    return -1;
}

/* The end of the piece starting at s (length n): the first unescaped separator, or n. */
static size_t piece_end(const char *s, size_t n, const char *seps)
{
    size_t i = 0;
    while (i < n && !strchr(seps, s[i])) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        i++;
    }
    return i;
}

/* Resolves escapes and trims unescaped blanks at both ends, into the arena. */
static char *unescape_trim(iv_arena *a, const char *s, size_t n)
{
    char *out = iv_arena_alloc(a, n + 1);
    size_t o = 0, keep = 0;
    for (size_t i = 0; i < n; i++) {
        bool esc = s[i] == '\\' && i + 1 < n;
        if (esc)
            i++;
        if (!esc && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
            if (o > 0)
                out[o++] = s[i];
            continue;
        }
        out[o++] = s[i];
        keep = o;
    }
    out[keep] = '\0';
    return out;
}

/* Splits a list value at unescaped commas into an arena array. */
static char **split_list(iv_arena *a, const char *s, size_t n, int *count)
{
    int k = 1;
    for (size_t i = 0; i < n; i += piece_end(s + i, n - i, ",") + 1)
        if (i + piece_end(s + i, n - i, ",") < n)
            k++;
    char **v = iv_arena_alloc(a, (size_t)k * sizeof *v);
    size_t i = 0;
    for (int j = 0; j < k; j++) {
        size_t e = piece_end(s + i, n - i, ",");
        v[j] = unescape_trim(a, s + i, e);
        i += e + 1;
    }
    *count = k;
    return v;
}

static int arch_layers(arch_parser *P, char **items, int n)
{
    iv_arch *A = P->a;
    A->layers = iv_xcalloc((size_t)n, sizeof *A->layers);
    A->n_layers = n;
    for (int i = 0; i < n; i++) {
        iv_arch_layer *al = &A->layers[i];
        char *spec = items[i], *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1)
            return arch_fail(P, "layers: '%.80s' needs NAME:ACTIVATION, e.g. h1:relu", spec);
        *c1 = '\0';
        if (c2)
            *c2 = '\0';
        al->name = spec;
        al->alpha = IV_ARCH_DEFAULT_ALPHA;
        if (iv_activation_parse(c1 + 1, &al->act) < 0)
            return arch_fail(P, "layers: layer %.64s: unknown activation '%.40s' (expected "
                             "identity, relu, leaky_relu, sigmoid, tanh, gelu or softmax)",
                             spec, c1 + 1);
        if (c2) {
            double alpha;
            if (al->act != IV_ACT_LEAKY_RELU)
                return arch_fail(P, "layers: layer %.64s: %s takes no parameter (only "
                                 "leaky_relu takes an alpha)", spec, c1 + 1);
            if (iv_parse_double(c2 + 1, &alpha) < 0 || fabs(alpha) > 3.4e38)
                return arch_fail(P, "layers: layer %.64s: alpha '%.40s' is not a finite number",
                                 spec, c2 + 1);
            al->alpha = (float)alpha;
        }
    }
    return 0;
}

static int arch_item(arch_parser *P, const char *raw, size_t n)
{
    iv_arch *A = P->a;
    iv_arena *ar = P->arena;
    size_t eq = piece_end(raw, n, "=");
    char *key = unescape_trim(ar, raw, eq);
    if (!*key && eq == n)
        return 0; /* empty item */
    if (key[0] == '#')
        return 0; /* comment */
    if (eq == n)
        return arch_fail(P, "item '%.80s' is not KEY=VALUE", key);
    const char *val = raw + eq + 1;
    size_t vn = n - eq - 1;
    char **text = NULL;
    if (strcmp(key, "model") == 0)
        text = &A->model;
    else if (strcmp(key, "target") == 0)
        text = &A->target;
    else if (strcmp(key, "data") == 0)
        text = &A->data;
    if (text) {
        if (*text)
            return arch_fail(P, "duplicate '%s'", key);
        *text = unescape_trim(ar, val, vn);
        if (!**text)
            return arch_fail(P, "'%s' is empty", key);
        return 0;
    }
    int k;
    if (strcmp(key, "inputs") == 0) {
        if (A->inputs)
            return arch_fail(P, "duplicate 'inputs'");
        A->inputs = split_list(ar, val, vn, &k);
        if (k > IV_MAX_WIDTH)
            return arch_fail(P, "inputs: %d inputs, more than the limit of %d", k, IV_MAX_WIDTH);
        A->n_inputs = k;
        return 0;
    }
    if (strcmp(key, "layers") == 0) {
        if (A->has_layers)
            return arch_fail(P, "duplicate 'layers'");
        A->has_layers = true;
        char **items = split_list(ar, val, vn, &k);
        if (k > IV_MAX_LAYERS)
            return arch_fail(P, "layers: %d layers, more than the limit of %d", k, IV_MAX_LAYERS);
        return arch_layers(P, items, k);
    }
    if (strncmp(key, "labels.", 7) == 0) {
        if (!A->has_layers)
            return arch_fail(P, "'%.80s' must come after 'layers'", key);
        for (int l = 0; l < A->n_layers; l++)
            if (strcmp(A->layers[l].name, key + 7) == 0) {
                if (A->layers[l].labels)
                    return arch_fail(P, "duplicate '%.80s'", key);
                A->layers[l].labels = split_list(ar, val, vn, &A->layers[l].n_labels);
                for (int i = 0; i < A->layers[l].n_labels; i++) {
                    if (strlen(A->layers[l].labels[i]) > MAX_LABEL)
                        return arch_fail(P, "%s: label %d is longer than %d bytes", key, i + 1,
                                         MAX_LABEL);
                    if (!A->layers[l].labels[i][0])
                        A->layers[l].labels[i] = NULL; /* empty: unlabelled */
                }
                return 0;
            }
        return arch_fail(P, "'%.80s' names no layer in 'layers'", key);
    }
    return arch_fail(P, "unknown key '%.80s' (expected model, inputs, layers, target, data or "
                     "labels.LAYER)", key);
}

int iv_arch_parse(const char *text, const char *source, iv_arena *arena, iv_arch *a,
                  iv_error *err)
{
    arch_parser P = {.source = source, .arena = arena, .a = a, .err = err};
    size_t n = strlen(text), i = 0;
    while (i <= n) {
        size_t e = piece_end(text + i, n - i, ";\n");
        if (arch_item(&P, text + i, e) < 0)
            return -1;
        i += e + 1;
    }
    return 0;
}

void iv_arch_free(iv_arch *a)
{
    free(a->layers);
    a->layers = NULL;
}

/* ---- writing ----------------------------------------------------------------------------------- */

/* Appends s with backslashes before the characters that would split it (`specials`) and before
 * blanks at either end, which the reader trims. */
static void put_escaped(iv_buf *b, const char *s, const char *specials)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        bool edge = (i == 0 || i == n - 1) && strchr(" \t\r", s[i]);
        if (s[i] == '\\' || strchr(specials, s[i]) || edge || s[i] == '\n')
            iv_buf_append(b, "\\", 1);
        iv_buf_append(b, s + i, 1);
    }
}

void iv_arch_write(const iv_model *m, iv_buf *b)
{
    iv_buf_append(b, "", 0);
    if (m->name) {
        iv_buf_printf(b, "model=");
        put_escaped(b, m->name, ";");
        iv_buf_printf(b, "; ");
    }
    iv_buf_printf(b, "inputs=");
    for (int i = 0; i < m->n_inputs; i++) {
        iv_buf_printf(b, i ? "," : "");
        put_escaped(b, m->input_names[i], ";,");
    }
    iv_buf_printf(b, "; layers=");
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *ly = &m->layers[l];
        iv_buf_printf(b, "%s%s:%s", l ? "," : "", ly->name, iv_activation_name(ly->act));
        if (ly->act == IV_ACT_LEAKY_RELU)
            iv_buf_printf(b, ":%.9g", (double)ly->alpha);
    }
    if (m->target) {
        iv_buf_printf(b, "; target=");
        put_escaped(b, m->target, ";");
    }
    if (m->dataset) {
        iv_buf_printf(b, "; data=");
        put_escaped(b, m->dataset, ";");
    }
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *ly = &m->layers[l];
        if (!ly->labels)
            continue;
        iv_buf_printf(b, "; labels.%s=", ly->name);
        for (int o = 0; o < ly->n_out; o++) {
            iv_buf_printf(b, o ? "," : "");
            if (ly->labels[o])
                put_escaped(b, ly->labels[o], ";,");
        }
    }
}
