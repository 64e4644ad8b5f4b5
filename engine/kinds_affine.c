/* kinds_affine.c - the two kinds that move activations by a fitted linear map rather than
 * replace them: project (an eraser: INLP's projection, LEACE) and add (a steering vector).
 *
 * Their entries are in the table of kinds.c; this file holds their functions (kinds_affine.h).
 *   project  h = h - L^T R (h - mu) over the addressed neurons: L and R are (rank, neurons), mu
 *            (neurons). INLP's projection onto the nullspace of its probes is L = R = B (B's rows
 *            an orthonormal basis of the directions removed) and mu = 0; LEACE's eraser is oblique
 *            (L != R) about the mean. values holds mu, then L, then R.
 *   add      h = h + alpha v: values holds v (neurons), value alpha. */
#include "kinds_affine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NUMBERS ((long)IV_MAX_WIDTH * 64) /* numbers one option may give */

static void write_numbers(iv_buf *b, const double *v, long n)
{
    for (long i = 0; i < n; i++) /* %.17g: a session puts back the very same doubles */
        iv_buf_printf(b, "%s%.17g", i ? "," : "", v[i]);
}

/* ---- project --------------------------------------------------------------------------------- */

const char *const iv_project_words[] = {"rank=", "eraser=", NULL};

int iv_project_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                      iv_error *err)
{
    long l;
    if (klen == 4 && strncmp(key, "rank", 4) == 0) {
        if (iv_parse_int(val, 1, IV_MAX_WIDTH, &l) < 0)
            return iv_error_set(err, "rank=%s: expected a whole number >= 1", val);
        iv->dims = (int)l;
        return 0;
    }
    if (klen == 6 && strncmp(key, "eraser", 6) == 0)
        return iv_parse_number_list("eraser", val, MAX_NUMBERS, &iv->values, &iv->n_given, err);
    return 1;
}

int iv_project_prepare(iv_intervention *iv, iv_error *err)
{
    int m = iv->addr.n;
    if (iv->dims < 1 || iv->dims > m)
        return iv_error_set(err, "project needs rank=K, the directions it removes (1 to %d)", m);
    long want = (2L * iv->dims + 1) * m;
    if (!iv->values || iv->n_given != want)
        return iv_error_set(err, "eraser=: %d numbers given; rank=%d over %d neurons needs %ld "
                            "(the mean, then L and R row by row; inlp and leace write them)",
                            iv->n_given, iv->dims, m, want);
    iv->n_values = (int)want;
    return 0;
}

int iv_project_check(const iv_intervention *iv, iv_error *err)
{
    if (iv->dims < 1 || !iv->values || iv->n_values != (2 * iv->dims + 1) * iv->addr.n)
        return iv_error_set(err, "project: no eraser of rank 1 to %d", iv->addr.n);
    return 0;
}

void iv_project_row(const double *eraser, int rank, int m, const int *idx, float *h,
                    double *scratch)
{
    const double *mu = eraser, *L = eraser + m, *R = L + (size_t)rank * m;
    double *c = scratch; /* (rank) R (h - mu) */
    for (int a = 0; a < rank; a++) {
        double s = 0;
        for (int j = 0; j < m; j++)
            s += R[(size_t)a * m + j] * ((double)h[idx[j]] - mu[j]);
        c[a] = s;
    }
    for (int j = 0; j < m; j++) {
        double s = h[idx[j]];
        for (int a = 0; a < rank; a++)
            s -= c[a] * L[(size_t)a * m + j];
        h[idx[j]] = (float)s;
    }
}

void iv_apply_project(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                      long n, int width)
{
    (void)ctx, (void)site;
    double *scratch = iv_xmalloc(sizeof(double) * (size_t)iv->dims);
    for (long r = 0; r < n; r++)
        iv_project_row(iv->values, iv->dims, iv->addr.n, iv->addr.idx, values + r * width,
                       scratch);
    free(scratch);
}

/* h' = h - L^T R (h - mu): dL/dh = g - (g L^T) R. */
void iv_backward_project(const iv_intervention *iv, const iv_apply_ctx *ctx, int index, int site,
                         float *grad, long n, int width)
{
    (void)ctx, (void)index, (void)site;
    int m = iv->addr.n, k = iv->dims;
    const double *L = iv->values + m, *R = L + (size_t)k * m;
    double *c = iv_xmalloc(sizeof(double) * (size_t)k);
    for (long r = 0; r < n; r++) {
        float *g = grad + r * width;
        for (int a = 0; a < k; a++) {
            double s = 0;
            for (int j = 0; j < m; j++)
                s += (double)g[iv->addr.idx[j]] * L[(size_t)a * m + j];
            c[a] = s;
        }
        for (int j = 0; j < m; j++) {
            double s = g[iv->addr.idx[j]];
            for (int a = 0; a < k; a++)
                s -= c[a] * R[(size_t)a * m + j];
            g[iv->addr.idx[j]] = (float)s;
        }
    }
    free(c);
}

char *iv_project_params(const iv_intervention *iv)
{
    return iv_xasprintf("rank=%d of %d", iv->dims, iv->addr.n);
}

char *iv_project_session(const iv_intervention *iv)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "rank=%d eraser=", iv->dims);
    write_numbers(&b, iv->values, iv->n_values);
    return b.data;
}

/* ---- add ----------------------------------------------------------------------------------------- */

const char *const iv_add_words[] = {"alpha=", "vector=", NULL};

int iv_add_args(iv_intervention *iv, int argc, char **argv, iv_error *err)
{
    (void)argc, (void)argv, (void)err;
    iv->value = 1; /* alpha, until alpha= says otherwise */
    return 0;
}

int iv_add_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                  iv_error *err)
{
    if (klen == 5 && strncmp(key, "alpha", 5) == 0) {
        if (iv_parse_double(val, &iv->value) < 0)
            return iv_error_set(err, "alpha=%s: expected a finite number", val);
        return 0;
    }
    if (klen == 6 && strncmp(key, "vector", 6) == 0)
        return iv_parse_number_list("vector", val, MAX_NUMBERS, &iv->values, &iv->n_given, err);
    return 1;
}

int iv_add_prepare(iv_intervention *iv, iv_error *err)
{
    if (!iv->values || iv->n_given != iv->addr.n)
        return iv_error_set(err, "vector=: %d numbers given for %d neurons (steer SITE LABEL "
                            "writes them)", iv->n_given, iv->addr.n);
    return 0;
}

int iv_add_check(const iv_intervention *iv, iv_error *err)
{
    if (!iv->values)
        return iv_error_set(err, "add: no vector");
    return 0;
}

void iv_apply_add(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                  long n, int width)
{
    (void)ctx, (void)site;
    for (long r = 0; r < n; r++)
        for (int j = 0; j < iv->addr.n; j++)
            values[r * width + iv->addr.idx[j]] =
                (float)((double)values[r * width + iv->addr.idx[j]] + iv->value * iv->values[j]);
}

char *iv_add_params(const iv_intervention *iv)
{
    double norm = 0;
    for (int j = 0; j < iv->addr.n; j++)
        norm += iv->values[j] * iv->values[j];
    return iv_xasprintf("alpha=%g |v|=%.4g", iv->value, sqrt(norm));
}

char *iv_add_session(const iv_intervention *iv)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "alpha=%.17g vector=", iv->value);
    write_numbers(&b, iv->values, iv->addr.n);
    return b.data;
}
