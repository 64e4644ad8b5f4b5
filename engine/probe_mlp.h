/* probe_mlp.h - a small nonlinear probe (a ReLU hidden layer) trained by the trainer on float rows
 * with classes, scored on a seeded held-out share of them. */
#ifndef IV_PROBE_MLP_H
#define IV_PROBE_MLP_H

#include "job.h"
#include "util.h"

typedef struct iv_probe_mlp_options {
    int hidden;     /* ReLU units (default 16) */
    int epochs;     /* default 30 */
    double lr;      /* Adam's step (default 3e-3) */
    double holdout; /* the share held out (the workspace's split) */
    uint64_t seed;  /* the initialisation, the shuffle and the held-out rows */
} iv_probe_mlp_options;

typedef struct iv_probe_mlp_result {
    double train_accuracy, holdout_accuracy; /* the last epoch's, as the trainer reports them */
    long train_rows, holdout_rows;
} iv_probe_mlp_result;

/* Trains the probe on rows x (n, width) with classes y (0 .. k - 1); progress to job, which may
 * cancel it. */
int iv_probe_mlp(const float *x, long n, int width, const int *y, int k,
                 const iv_probe_mlp_options *o, iv_job *job, iv_probe_mlp_result *out,
                 iv_error *err);

#endif
