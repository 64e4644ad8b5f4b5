/* probe.h - linear probes: how well a linear reader recovers a class from a site's activations.
 *
 * The rows are float activations x (n, d) with a class y in 0..k-1 each (k >= 2). A probe has one
 * weight row for two classes and k for more, each with an intercept; it predicts from the scores
 * s_j = w_j . x + b_j: with one row, class 1 when s_0 exceeds the probe's threshold, otherwise the
 * class of the largest score.
 *
 * Ridge (least squares): on centred rows, the intercept unpenalised, (Xc^T Xc + lambda I) B =
 * Xc^T Yc, with Y the 0/1 column of class 1 for two classes (threshold 0.5) and the k one-hot
 * columns for more; lambda = 0 is the least-squares fit of minimum norm (dgelsd). The same fit runs
 * from the sufficient statistics (the mean, Xc^T Xc, Xc^T Yc) under a projection P, in d x d
 * space, without the rows: the system (P S P + lambda I) b = P s. INLP (erasure.h) forms the
 * statistics once and fits every later probe from them.
 *
 * Logistic: Newton's method (IRLS) on the penalised log-likelihood
 *     sum_i [t_i z_i - log(1 + e^z_i)] - lambda/2 |w|^2,   z_i = w . x_i + b,
 * the intercept unpenalised; each step solves (X~^T W X~ + lambda Lambda) D = X~^T (t - p) -
 * lambda Lambda beta (X~ the rows with a column of ones, W = diag(p (1 - p)), Lambda the identity
 * without the intercept), the Hessian by dsyrk over the sqrt(W)-scaled rows and Cholesky; steps are
 * halved until the penalised log-likelihood does not fall, and it stops when |D|_inf < 1e-8 or after
 * 50 steps. lambda > 0 is required: on separable classes the unpenalised optimum is at infinity.
 * Two classes: one row (threshold 0 on the logit); more: one-vs-rest, a row per class.
 *
 * A probe can be fitted on, and scored on, the rows seen through an eraser r(x) = x - L R^T (x - mu)
 * (linalg.h), computed in double without writing the rows. */
#ifndef IV_PROBE_H
#define IV_PROBE_H

#include <stdbool.h>

#include "linalg.h"

#define IV_PROBE_MAX_STEPS 50
#define IV_PROBE_STEP_TOL 1e-8

typedef enum iv_probe_kind { IV_PROBE_RIDGE, IV_PROBE_LOGISTIC } iv_probe_kind;

/* Labelled rows: borrowed, never freed here. */
typedef struct iv_labelled {
    const float *x;   /* (n, d) row-major */
    const int *y;     /* (n) classes 0 .. k-1 */
    long n;
    int d, k;
} iv_labelled;

/* At least min_rows rows, d >= 1, k >= 2, every x finite and every y a class. `name` names the
 * rows in the message ("held-out: row 4 has class 3, expected 0 to 2"). */
int iv_labelled_check(const iv_labelled *s, long min_rows, const char *name, iv_error *err);

typedef struct iv_probe {
    iv_probe_kind kind;
    int d, k;
    int rows;          /* weight rows: 1 for two classes, k for more */
    double *w;         /* (rows, d) */
    double *b;         /* (rows) intercepts */
    double lambda;
    double threshold;  /* one row: class 1 when the score exceeds it (ridge 0.5, logistic 0) */
    int rank;          /* ridge: the rank of the system dgelsd found (lambda = 0), else d */
    int steps;         /* logistic: Newton steps, the most any row took */
    bool converged;    /* logistic: every row stopped on |D|_inf < 1e-8 */
} iv_probe;

void iv_probe_free(iv_probe *p);
/* A deep copy. */
void iv_probe_copy(iv_probe *dst, const iv_probe *src);

/* Ridge on the rows (through the eraser when `through` is not NULL); lambda >= 0. */
int iv_probe_ridge(const iv_labelled *s, double lambda, const iv_lowrank *through, iv_probe *out,
                   iv_error *err);

/* The sufficient statistics of ridge, from one pass over the rows. */
typedef struct iv_probe_stats {
    int d, k, cols;    /* cols: the target columns, 1 for two classes, else k */
    long n;
    double *mu;        /* (d) */
    double *ybar;      /* (cols) the targets' means */
    double *sxx;       /* (d, d) Xc^T Xc */
    double *sxy;       /* (d, cols) Xc^T Yc */
    long *count;       /* (k) rows of each class */
} iv_probe_stats;

int iv_probe_stats_new(const iv_labelled *s, iv_probe_stats *out, iv_error *err);
void iv_probe_stats_free(iv_probe_stats *st);
/* Ridge on the rows x P from their statistics: P (d, d) symmetric (NULL: the identity). The weights
 * lie in P's range, so they score x P and x alike. */
int iv_probe_ridge_stats(const iv_probe_stats *st, const double *p, double lambda, iv_probe *out,
                         iv_error *err);

/* Logistic on the rows (through the eraser when `through` is not NULL); lambda > 0, and every class
 * must have rows. */
int iv_probe_logistic(const iv_labelled *s, double lambda, const iv_lowrank *through,
                      iv_probe *out, iv_error *err);

/* The fraction of rows (at least one) the probe classifies right, through the eraser when given. */
int iv_probe_accuracy(const iv_probe *p, const iv_labelled *s, const iv_lowrank *through,
                      double *acc, iv_error *err);
/* The class the probe gives one row x (d). */
int iv_probe_predict(const iv_probe *p, const double *x);
/* The fraction of the most common class: what a reader that ignores x scores. NAN for n < 1. */
double iv_majority_rate(const int *y, long n, int k);

#endif
