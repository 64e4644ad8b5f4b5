/* kinds.h - the table of intervention kinds: everything that differs from one kind to the next.
 *
 * Each kind is one entry of a table (kinds.c): its name, its flags, how ablate reads its words,
 * how it rewrites a site in the forward pass and its gradient in the backward pass, how it is
 * described and saved, and what Tab offers after it. Nothing outside kinds.c switches on the kind:
 * the hooks, ablate, help, the manual page, completion and saved sessions all read this table. */
#ifndef IV_KINDS_H
#define IV_KINDS_H

#include "intervention.h"

enum {
    IV_KIND_RANDOM = 1u << 0,       /* results are distributions over draws (samples=, seed=) */
    IV_KIND_NEEDS_STATS = 1u << 1,  /* reads the reference dataset (statistics, values) */
    IV_KIND_NEEDS_SOURCE = 1u << 2, /* copies from the source run */
    IV_KIND_TRAINABLE = 1u << 3,    /* its values are parameters, found by optimisation when added */
    IV_KIND_REPLACES = 1u << 4,     /* writes values that do not depend on the ones it replaces */
};

typedef struct iv_kind_info {
    iv_kind kind;
    const char *name;
    unsigned flags;            /* IV_KIND_* */
    const char *usage;         /* its words in ablate's usage, e.g. "set V" */
    const char *help;          /* for `help ablate`; each '\n' continues on an indented line */
    const char *const *completions; /* what Tab offers after the kind (its options), NULL-ended */

    /* Reads the words after the kind. args reads its leading words (set's value) and returns how
     * many it took, or -1; option reads one KEY=VALUE (key not NUL-terminated, klen long) and
     * returns 0, -1 with a message, or 1 when the kind takes no such key. Either may be NULL. */
    int (*args)(iv_intervention *iv, int argc, char **argv, iv_error *err);
    int (*option)(iv_intervention *iv, const char *key, size_t klen, const char *val,
                  iv_error *err);
    /* Completes its parameters once its address is known (rotate: its basis, drawn or checked);
     * NULL: nothing to do. */
    int (*prepare)(iv_intervention *iv, iv_error *err);
    /* Checks its own parameters, after the checks every kind shares (iv_intervention_check). */
    int (*check)(const iv_intervention *iv, iv_error *err);
    /* Whether this intervention reads the reference dataset; NULL: as IV_KIND_NEEDS_STATS says. */
    bool (*uses_reference)(const iv_intervention *iv);

    /* The forward rewrite of the site's values, (n, width) row-major. */
    void (*apply)(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                  long n, int width);
    /* Turns dL/d(values after it) into dL/d(values before it), in place, adding the gradients of
     * its own parameters into ctx->param_grad[index] when that is given. NULL: the identity. */
    void (*backward)(const iv_intervention *iv, const iv_apply_ctx *ctx, int index, int site,
                     float *grad, long n, int width);
    /* The random choices a pass over the whole reference set makes once for all its chunks
     * (resample's derangements, iv_resample_plan), or NULL for a kind that makes none. */
    long *(*plan)(const iv_intervention *iv, long n_ref, long samples);
    /* The value it writes at its j-th neuron, when that is one number for every row (ctx gives
     * stats and the source run, its first row); NULL when the values vary from row to row. */
    double (*fixed_value)(const iv_intervention *iv, const iv_apply_ctx *ctx, int j);

    /* Its parameters in one line (iv_intervention_params); NULL: none, "". */
    char *(*params)(const iv_intervention *iv);
    /* The words after the kind in a saved session, read back by ablate; NULL: params. */
    char *(*session)(const iv_intervention *iv);
} iv_kind_info;

/* The table, in the order help and completion list the kinds. */
const iv_kind_info *iv_kinds(int *count);
/* The entry of a kind, or NULL for a value that names none. */
const iv_kind_info *iv_kind_info_of(iv_kind kind);
const iv_kind_info *iv_kind_find(const char *name);

/* Reads the words after the kind (its arguments, then KEY=VALUE options) into iv, whose kind is
 * set. Messages carry no command prefix. */
int iv_kind_parse_words(iv_intervention *iv, int argc, char **argv, iv_error *err);
/* The words a saved session writes after the kind (allocated). */
char *iv_kind_session_words(const iv_intervention *iv);

/* Text made from the table, in its order, for help and messages: the names joined by ", "
 * ("zero, mean, ..."; static), ablate's usage of the kinds joined by "|" ("zero|...|set V|patch";
 * static), and a line per kind for `help ablate` (allocated): `indent` blanks, the usage padded to
 * `column`, the help, its further lines indented to `column`. */
const char *iv_kinds_names(void);
const char *iv_kinds_usage(void);
char *iv_kinds_help(int indent, int column);

/* The rotate kind's arithmetic, which the subspace alignments (iia.c) and distributed alignment
 * search (das.c) share. q is a basis of k orthonormal rows over the m neurons idx of a row (k, m),
 * row-major, in double; every sum runs in double, in the same order wherever it is used.
 *   iv_rotate_shift: shift[j] += sum_a ((hs - h) . q_a) q_a[j] (d: scratch of m doubles);
 *   iv_rotate_row: h[idx] = h[idx] + (hs - h) Q^T Q in place (scratch: 2 m doubles);
 *   iv_rotate_basis_grad: the basis's gradient of one row, pg (k, m) += c_a g + (g . q_a) d with
 *     d = hs - h, c_a = d . q_a, g = dL/d(the rewritten row) at the m neurons and gq[a] = g . q_a. */
void iv_rotate_shift(const double *q, int k, int m, const int *idx, const float *h,
                     const float *hs, double *shift, double *d);
void iv_rotate_row(const double *q, int k, int m, const int *idx, float *h, const float *hs,
                   double *scratch);
/* Whether the k rows of q (k, n) are orthonormal to single precision (1e-5), as basis= requires. */
bool iv_rotate_orthonormal(const double *q, int k, int n);
void iv_rotate_basis_grad(const double *q, int k, int m, const int *idx, const float *h,
                          const float *hs, const double *g, const double *gq, double *pg);

#endif
