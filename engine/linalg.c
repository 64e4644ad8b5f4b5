/* linalg.c - row-major wrappers over LAPACKE and CBLAS, statistics of float rows, and the low-rank
 * affine map (linalg.h). */
#include "linalg.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

/* Rows converted to double at once: bounds the scratch of a pass over float rows (about 2 MiB)
 * while keeping each BLAS call large enough to run at full speed. */
#define BLOCK_DOUBLES (1L << 18)

static int block_rows(long n, int width)
{
    long c = BLOCK_DOUBLES / (width > 0 ? width : 1);
    if (c < 1)
        c = 1;
    if (c > n)
        c = n;
    return (int)(c > INT_MAX ? INT_MAX : c);
}

/* info < 0 is a wrong argument or LAPACKE's own allocation failing; info > 0 is the routine's
 * report on the matrix, which the caller words. */
static int lapack_fail(iv_error *err, const char *routine, lapack_int info)
{
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return iv_error_set(err, "%s: out of memory for its workspace", routine);
    return iv_error_set(err, "%s: argument %d is invalid", routine, (int)-info);
}

/* The upper triangle from the lower one. */
static void mirror_lower(double *a, int d)
{
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++)
            a[(size_t)i * d + j] = a[(size_t)j * d + i];
}

/* ---- checks --------------------------------------------------------------------------------- */

int iv_la_check_rows(const float *x, long n, int d, long min_rows, const char *name,
                     iv_error *err)
{
    if (d < 1)
        return iv_error_set(err, "%s: d=%d columns, expected at least 1", name, d);
    if (n < min_rows)
        return iv_error_set(err, "%s: n=%ld row%s, expected at least %ld", name, n,
                            n == 1 ? "" : "s", min_rows);
    if (n > LONG_MAX / d)
        return iv_error_set(err, "%s: %ld rows of %d columns are more than can be addressed", name,
                            n, d);
    if (n > 0 && !x)
        return iv_error_set(err, "%s: no rows given", name);
    for (long i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(x[i * d + j]))
                return iv_error_set(err, "%s: row %ld column %d is %g, expected a finite number",
                                    name, i, j, (double)x[i * d + j]);
    return 0;
}

/* ---- solves and decompositions -------------------------------------------------------------- */

int iv_la_spd_solve(double *a, int d, double *b, int nrhs, const char *what, iv_error *err)
{
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', d, nrhs, a, d, b, nrhs);
    if (info > 0)
        return iv_error_set(err, "%s is not positive definite (dposv info %d)", what, (int)info);
    return info < 0 ? lapack_fail(err, "dposv", info) : 0;
}

int iv_la_cholesky(double *a, int d, const char *what, iv_error *err)
{
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', d, a, d);
    if (info > 0)
        return iv_error_set(err, "%s is not positive definite (dpotrf info %d)", what, (int)info);
    return info < 0 ? lapack_fail(err, "dpotrf", info) : 0;
}

int iv_la_cholesky_solve(const double *l, int d, double *b, int nrhs, iv_error *err)
{
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', d, nrhs, l, d, b, nrhs);
    return info != 0 ? lapack_fail(err, "dpotrs", info) : 0;
}

int iv_la_lstsq(double *a, int m, int n, double *b, int nrhs, double rcond, int *rank,
                iv_error *err)
{
    int k = m < n ? m : n;
    double *s = iv_xmalloc(sizeof(double) * (size_t)(k > 0 ? k : 1));
    lapack_int r = 0;
    lapack_int info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, m, n, nrhs, a, n, b, nrhs, s, rcond, &r);
    free(s);
    if (info > 0)
        return iv_error_set(err, "the least-squares SVD did not converge (dgelsd info %d)",
                            (int)info);
    if (info < 0)
        return lapack_fail(err, "dgelsd", info);
    if (rank)
        *rank = (int)r;
    return 0;
}

int iv_la_sym_eig(double *a, int d, double *w, iv_error *err)
{
    /* A symmetric matrix reads the same in either layout; asked in column-major order, LAPACK
     * leaves the eigenvectors in its columns, which are this layout's rows, and LAPACKE makes no
     * transposed copies. */
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', d, a, d, w);
    if (info > 0)
        return iv_error_set(err, "the eigen-decomposition did not converge (dsyevd info %d)",
                            (int)info);
    return info < 0 ? lapack_fail(err, "dsyevd", info) : 0;
}

int iv_la_svd(double *a, int m, int n, double *s, double *u, double *vt, iv_error *err)
{
    int k = m < n ? m : n;
    if (k < 1)
        return 0;
    char job = u && vt ? 'S' : 'N';
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, job, m, n, a, n, s, u, k, vt, n);
    if (info > 0)
        return iv_error_set(err, "the SVD did not converge (dgesdd info %d)", (int)info);
    return info < 0 ? lapack_fail(err, "dgesdd", info) : 0;
}

int iv_la_orth(const double *a, int k, int d, double *basis, int *rank, iv_error *err)
{
    *rank = 0;
    int m = k < d ? k : d;
    if (m < 1)
        return 0;
    double *copy = iv_big_alloc((size_t)k * (size_t)d, sizeof(double),
                                "the matrix to orthonormalise", err);
    double *u = copy ? iv_big_alloc((size_t)k * (size_t)m, sizeof(double),
                                    "its left singular vectors", err)
                     : NULL;
    double *vt = u ? iv_big_alloc((size_t)m * (size_t)d, sizeof(double),
                                  "its right singular vectors", err)
                   : NULL;
    double *s = iv_xmalloc(sizeof(double) * (size_t)m);
    int rc = -1;
    if (vt) {
        memcpy(copy, a, sizeof(double) * (size_t)k * (size_t)d);
        rc = iv_la_svd(copy, k, d, s, u, vt, err);
    }
    if (rc == 0) {
        double tol = (double)(k > d ? k : d) * s[0] * DBL_EPSILON;
        int r = 0;
        while (r < m && s[r] > tol)
            r++;
        memcpy(basis, vt, sizeof(double) * (size_t)r * (size_t)d);
        *rank = r;
    }
    free(copy);
    free(u);
    free(vt);
    free(s);
    return rc;
}

/* ---- statistics of float rows ---------------------------------------------------------------- */

void iv_la_mean(const float *x, long n, int d, double *mu)
{
    memset(mu, 0, sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mu[j] += x[i * d + j];
    for (int j = 0; j < d; j++)
        mu[j] /= (double)n;
}

static void column_mean(const double *z, long n, int k, double *mu)
{
    memset(mu, 0, sizeof(double) * (size_t)k);
    for (long i = 0; i < n; i++)
        for (int j = 0; j < k; j++)
            mu[j] += z[i * k + j];
    for (int j = 0; j < k; j++)
        mu[j] /= (double)n;
}

int iv_la_centred_gram(const float *x, long n, int d, const double *mu, const double *z, int k,
                       const double *zmu, double *gram, double *cross, iv_error *err)
{
    if (!z)
        k = 0;
    int c = block_rows(n, d > k ? d : k);
    double *xc = iv_big_alloc((size_t)c, sizeof(double) * (size_t)d, "a block of centred rows",
                              err);
    double *zc = xc && k ? iv_big_alloc((size_t)c, sizeof(double) * (size_t)k,
                                        "a block of centred targets", err)
                         : NULL;
    if (!xc || (k && !zc)) {
        free(xc);
        return -1;
    }
    double *zmean = NULL;
    if (k && !zmu) {
        zmean = iv_xmalloc(sizeof(double) * (size_t)k);
        column_mean(z, n, k, zmean);
        zmu = zmean;
    }
    memset(gram, 0, sizeof(double) * (size_t)d * (size_t)d);
    if (k)
        memset(cross, 0, sizeof(double) * (size_t)d * (size_t)k);
    for (long first = 0; first < n; first += c) {
        int rows = n - first < c ? (int)(n - first) : c;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++)
                xc[(size_t)i * d + j] = x[(first + i) * d + j] - mu[j];
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, rows, 1.0, xc, d, 1.0, gram, d);
        if (!k)
            continue;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++)
                zc[(size_t)i * k + j] = z[(first + i) * k + j] - zmu[j];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, k, rows, 1.0, xc, d, zc, k, 1.0,
                    cross, k);
    }
    mirror_lower(gram, d);
    free(xc);
    free(zc);
    free(zmean);
    return 0;
}

int iv_la_mean_cov(const float *x, long n, int d, double *mu, double *cov, iv_error *err)
{
    if (n < 2)
        return iv_error_set(err, "n=%ld: a covariance needs at least 2 rows", n);
    iv_la_mean(x, n, d, mu);
    if (iv_la_centred_gram(x, n, d, mu, NULL, 0, NULL, cov, NULL, err) < 0)
        return -1;
    double scale = 1.0 / (double)(n - 1);
    for (size_t i = 0; i < (size_t)d * (size_t)d; i++)
        cov[i] *= scale;
    return 0;
}

/* ---- the low-rank affine map ----------------------------------------------------------------- */

void iv_lowrank_init(iv_lowrank *e, int d, int r)
{
    e->d = d;
    e->r = r;
    size_t cells = (size_t)(r > 0 ? r : 1) * (size_t)d;
    e->l = iv_xcalloc(cells, sizeof(double));
    e->rt = iv_xcalloc(cells, sizeof(double));
    e->mu = iv_xcalloc((size_t)d, sizeof(double));
}

void iv_lowrank_free(iv_lowrank *e)
{
    free(e->l);
    free(e->rt);
    free(e->mu);
    memset(e, 0, sizeof *e);
}

/* x (n, d) -= ((x - mu) R) L^T with t (n, r) scratch: two products of rank r. */
static void apply_with(const iv_lowrank *e, double *x, int n, double *t, const double *mur)
{
    int d = e->d, r = e->r;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r, d, 1.0, x, d, e->rt, d, 0.0, t, r);
    for (int i = 0; i < n; i++)
        for (int a = 0; a < r; a++)
            t[(size_t)i * r + a] -= mur[a];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, r, -1.0, t, r, e->l, d, 1.0, x, d);
}

/* R^T mu: the shift of the map, the same for every row. */
static double *shift_of(const iv_lowrank *e)
{
    double *mur = iv_xcalloc((size_t)(e->r > 0 ? e->r : 1), sizeof(double));
    if (e->r > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, e->r, e->d, 1.0, e->rt, e->d, e->mu, 1, 0.0, mur,
                    1);
    return mur;
}

void iv_lowrank_apply_block(const iv_lowrank *e, double *x, long n)
{
    if (e->r < 1 || n < 1)
        return;
    int c = block_rows(n, e->d);
    double *t = iv_xmalloc(sizeof(double) * (size_t)c * (size_t)e->r), *mur = shift_of(e);
    for (long first = 0; first < n; first += c) {
        int rows = n - first < c ? (int)(n - first) : c;
        apply_with(e, x + first * e->d, rows, t, mur);
    }
    free(t);
    free(mur);
}

int iv_lowrank_apply_rows(const iv_lowrank *e, float *x, long n, int d, iv_error *err)
{
    if (d != e->d)
        return iv_error_set(err, "d=%d: the rows have %d columns, the eraser %d", d, d, e->d);
    if (e->r < 1 || n < 1)
        return 0;
    int c = block_rows(n, d);
    double *block = iv_big_alloc((size_t)c, sizeof(double) * (size_t)d, "a block of rows", err);
    if (!block)
        return -1;
    double *t = iv_xmalloc(sizeof(double) * (size_t)c * (size_t)e->r), *mur = shift_of(e);
    for (long first = 0; first < n; first += c) {
        int rows = n - first < c ? (int)(n - first) : c;
        float *xf = x + first * d;
        for (size_t i = 0; i < (size_t)rows * (size_t)d; i++)
            block[i] = xf[i];
        apply_with(e, block, rows, t, mur);
        for (size_t i = 0; i < (size_t)rows * (size_t)d; i++)
            xf[i] = (float)block[i];
    }
    free(block);
    free(t);
    free(mur);
    return 0;
}

void iv_lowrank_apply(const iv_lowrank *e, const double *x, double *out)
{
    int d = e->d, r = e->r;
    double *c = iv_xmalloc(sizeof(double) * (size_t)(r > 0 ? r : 1)), *mur = shift_of(e);
    if (r > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, r, d, 1.0, e->rt, d, x, 1, 0.0, c, 1);
    for (int a = 0; a < r; a++)
        c[a] -= mur[a];
    if (out != x)
        memcpy(out, x, sizeof(double) * (size_t)d);
    if (r > 0)
        cblas_dgemv(CblasRowMajor, CblasTrans, r, d, -1.0, e->l, d, c, 1, 1.0, out, 1);
    free(c);
    free(mur);
}

void iv_lowrank_matrix(const iv_lowrank *e, double *m)
{
    int d = e->d;
    memset(m, 0, sizeof(double) * (size_t)d * (size_t)d);
    if (e->r > 0)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, e->r, 1.0, e->l, d, e->rt, d,
                    0.0, m, d);
}
