/* linalg.h - dense linear algebra in double for the probes and erasers: thin row-major wrappers
 * over LAPACKE and CBLAS, the statistics of float rows, and the low-rank affine map both erasers
 * produce.
 *
 * Matrices are row-major double arrays, named by their shape (rows, columns). Activations come as
 * float rows (what model files store); every sum over them and every factorisation is in double.
 * Each function that can fail returns 0 or -1 with a one-line message naming what failed and
 * LAPACK's info; nothing here factorises by hand. */
#ifndef IV_LINALG_H
#define IV_LINALG_H

#include <stdbool.h>

#include "util.h"

/* ---- checks --------------------------------------------------------------------------------- */

/* Float rows x (n, d) that statistics can be taken of: d >= 1, n >= min_rows, every value finite.
 * `name` names the rows in the message ("x: 1 row, expected at least 2"). */
int iv_la_check_rows(const float *x, long n, int d, long min_rows, const char *name,
                     iv_error *err);

/* ---- solves and decompositions (a and b are overwritten) ----------------------------------- */

/* Solves A X = B for symmetric positive definite A (d, d) and B (d, nrhs) by Cholesky (dposv):
 * B becomes X, A its factor. `what` names A in the message ("the covariance is not positive
 * definite (dposv info 3)"). */
int iv_la_spd_solve(double *a, int d, double *b, int nrhs, const char *what, iv_error *err);

/* The Cholesky factor of symmetric positive definite A (d, d) in place (dpotrf; the lower triangle
 * is the factor), and solves with it (dpotrs): B (d, nrhs) becomes A^-1 B. */
int iv_la_cholesky(double *a, int d, const char *what, iv_error *err);
int iv_la_cholesky_solve(const double *l, int d, double *b, int nrhs, iv_error *err);

/* The least-squares solution of minimum norm of A X = B, A (m, n), by the SVD (dgelsd): singular
 * values <= rcond * s_max count as zero, and *rank (may be NULL) gets how many did not. B holds
 * max(m, n) rows of nrhs: the right-hand sides in its first m on entry, X in its first n on exit. */
int iv_la_lstsq(double *a, int m, int n, double *b, int nrhs, double rcond, int *rank,
                iv_error *err);

/* Eigen-decomposition of symmetric A (d, d, both triangles set) by dsyevd: w (d) the eigenvalues
 * ascending, and A's row j becomes the unit eigenvector of w[j]. */
int iv_la_sym_eig(double *a, int d, double *w, iv_error *err);

/* Thin SVD A = U diag(s) V^T of A (m, n), k = min(m, n), by dgesdd: s (k) descending, u (m, k),
 * vt (k, n). u and vt both NULL: the singular values only. A is destroyed. */
int iv_la_svd(double *a, int m, int n, double *s, double *u, double *vt, iv_error *err);

/* An orthonormal basis of the row space of A (k, d): its right singular vectors whose singular
 * values exceed max(k, d) * s_max * DBL_EPSILON, as the first *rank rows of basis (room for
 * min(k, d) rows of d). A is left as it was; k = 0 (or A = 0) gives rank 0. */
int iv_la_orth(const double *a, int k, int d, double *basis, int *rank, iv_error *err);

/* ---- statistics of float rows ---------------------------------------------------------------- */

/* The mean of rows x (n >= 1, d), summed in double. */
void iv_la_mean(const float *x, long n, int d, double *mu);

/* The centred Gram matrix G = (X - mu)^T (X - mu) (d, d, both triangles) in one pass of dsyrk over
 * the rows, a block at a time, and with z (n, k) not NULL also the cross products
 * C = (X - mu)^T (Z - zmu) (d, k) in the same pass (dgemm); zmu NULL means Z's own mean. */
int iv_la_centred_gram(const float *x, long n, int d, const double *mu, const double *z, int k,
                       const double *zmu, double *gram, double *cross, iv_error *err);

/* The mean mu (d) and the covariance (d, d) of rows x, normalised by n - 1 (n >= 2). */
int iv_la_mean_cov(const float *x, long n, int d, double *mu, double *cov, iv_error *err);

/* ---- the low-rank affine map x -> x - L R^T (x - mu) ------------------------------------------ */

/* An eraser as INLP and LEACE give it (erasure.h): L and R (d, r) kept as r rows of d each, so the
 * map costs 2 r d per row whatever d. r = 0 is the identity. */
typedef struct iv_lowrank {
    int d, r;
    double *l;    /* (r, d): row a is column a of L */
    double *rt;   /* (r, d): R^T */
    double *mu;   /* (d) */
} iv_lowrank;

/* Room for rank r at width d, zeroed. */
void iv_lowrank_init(iv_lowrank *e, int d, int r);
void iv_lowrank_free(iv_lowrank *e);
/* Applies the map to float rows (n, d) in place, the products in double. -1 when d is not the
 * map's width. */
int iv_lowrank_apply_rows(const iv_lowrank *e, float *x, long n, int d, iv_error *err);
/* The same on double rows (n, e->d) in place. */
void iv_lowrank_apply_block(const iv_lowrank *e, double *x, long n);
/* One vector: out = x - L R^T (x - mu); out may be x. */
void iv_lowrank_apply(const iv_lowrank *e, const double *x, double *out);
/* The linear part L R^T as a (d, d) matrix (for checks and for the eraser's projection). */
void iv_lowrank_matrix(const iv_lowrank *e, double *m);

#endif
