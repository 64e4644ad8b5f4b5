/* erasure.h - concept erasure (INLP and LEACE) and principal components of a site's activations.
 *
 * Both erasers come as one affine map of low rank, r(x) = x - L R^T (x - mu) (iv_lowrank,
 * linalg.h; apply it with iv_lowrank_apply_rows or iv_lowrank_apply):
 *
 * INLP (Ravfogel et al. 2020) removes, one probe at a time, the directions linear probes read the
 * class from: fit a probe on the rows x P, score it on held-out rows seen the same way, stop once
 * that accuracy is at chance (at most the held-out majority rate + eps), otherwise add the probe's
 * weight rows to the directions removed and set P = I - B^T B, B an orthonormal basis of all of them
 * (iv_la_orth of the stacked, unit-length weight rows). Every probe is fitted on the ORIGINAL rows
 * seen through the current P: ridge from statistics formed in one pass, in d x d space; logistic on
 * the projected rows, in double. As an eraser: L = R = B (as rows), mu = 0.
 *
 * LEACE (Belrose et al. 2023) is the least-squares change of x that makes every class's mean the
 * same, in closed form: with Sigma the covariance (n - 1), Sigma_XZ the cross-covariance with the
 * class indicators (class 1 for two classes; classes 0..k-2 for more, whose span is that of all k
 * centred indicators), W = (Sigma^{1/2})^+ from Sigma's eigen-decomposition (eigenvalues kept above
 * lambda_max d DBL_EPSILON) and U an orthonormal basis of the columns of W Sigma_XZ (at most k - 1):
 * L = Sigma^{1/2} U, R = W U, mu the mean. Its rank is at most k - 1.
 *
 * PCA: the top k eigenvectors of the covariance (dsyevd), each with its variance and its fraction of
 * the total (the covariance's trace). */
#ifndef IV_ERASURE_H
#define IV_ERASURE_H

#include "probe.h"

#define IV_INLP_MAX_ITERATIONS 100000

typedef struct iv_inlp_options {
    int iterations;            /* probes at most (default 10) */
    iv_probe_kind classifier;  /* IV_PROBE_RIDGE (default) or IV_PROBE_LOGISTIC */
    double lambda;             /* each probe's penalty (default 1; ridge may take 0) */
    double eps;                /* at chance: held-out accuracy <= majority + eps (default 0.01;
                                  -1 never stops early) */
} iv_inlp_options;

void iv_inlp_options_default(iv_inlp_options *o);

typedef enum iv_inlp_stop {
    IV_INLP_ITERATIONS,        /* ran every iteration asked for */
    IV_INLP_AT_CHANCE,         /* the last step's probe scored at chance: its directions stay */
    IV_INLP_NO_DIRECTION,      /* the last step's probe had no weight outside what was removed */
} iv_inlp_stop;

typedef struct iv_inlp_step {
    iv_probe probe;            /* fitted on the rows x P of the steps before */
    double train_acc, heldout_acc;
    int rank;                  /* directions removed once this step is done */
    bool removed;              /* its directions were added (false for the stopping step) */
} iv_inlp_step;

typedef struct iv_inlp_result {
    int d, steps;
    iv_inlp_step *step;        /* (steps) */
    double majority;           /* the held-out majority rate */
    iv_inlp_stop stop;
    int rank;                  /* directions removed in all */
    double *basis;             /* (rank, d) orthonormal rows B: P = I - B^T B */
} iv_inlp_result;

/* Runs INLP on `train`, scoring on `heldout` (the same width and classes). Returns 0 with every
 * step kept, or -1 with a message naming the argument. */
int iv_inlp_fit(const iv_labelled *train, const iv_labelled *heldout, const iv_inlp_options *o,
                iv_inlp_result *out, iv_error *err);
void iv_inlp_result_free(iv_inlp_result *r);
/* The eraser of the first `upto` steps (0 to r->steps): the directions those steps removed,
 * orthonormalised exactly as the loop did, as L = R = B, mu = 0. */
int iv_inlp_eraser(const iv_inlp_result *r, int upto, iv_lowrank *out, iv_error *err);

/* LEACE's eraser of the classes of s (n >= 2). */
int iv_leace_fit(const iv_labelled *s, iv_lowrank *out, iv_error *err);

typedef struct iv_pca {
    int d, k;
    double *mu;                /* (d) */
    double *components;        /* (k, d) unit rows, variance descending, largest |entry| > 0 */
    double *variance;          /* (k) */
    double *fraction;          /* (k) of the total variance */
    double total;              /* the covariance's trace */
} iv_pca;

/* The top k (1 to d) principal components of rows x (n >= 2, d). */
int iv_pca_fit(const float *x, long n, int d, int k, iv_pca *out, iv_error *err);
/* The coordinates (n, k) of rows x (n, d) along the components, about the mean. */
int iv_pca_project(const iv_pca *p, const float *x, long n, int d, double *out, iv_error *err);
void iv_pca_free(iv_pca *p);

#endif
