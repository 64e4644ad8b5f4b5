/* optim.h - the engine's one optimiser: Adam (Kingma & Ba 2015) over a vector of parameters in
 * double, and its twin for float32 weights (train.c). Deterministic: the same gradients give the same steps on every run and machine. Used by
 * optimal ablation, and meant for every later method that trains parameters (DAS, probes). */
#ifndef IV_OPTIM_H
#define IV_OPTIM_H

#include "util.h"

typedef struct iv_adam {
    int n;             /* parameters */
    double lr;         /* step size */
    double beta1, beta2, eps;
    double rest1, rest2; /* 1 - beta1 and 1 - beta2, written as 0.1 and 0.001: in binary 1 - 0.9
                            is not 0.1, and the steps must not move by a rounding */
    int t;             /* steps taken */
    double *m1, *m2;   /* (n) first and second moment estimates */
} iv_adam;

/* Adam with the usual moments (0.9, 0.999) and eps 1e-12 (the parameters here are activations,
 * whose gradients can be tiny). */
void iv_adam_init(iv_adam *a, int n, double lr);
/* One step: params -= lr * m1^ / (sqrt(m2^) + eps), with the bias-corrected moments. */
void iv_adam_step(iv_adam *a, double *params, const double *grad);
void iv_adam_free(iv_adam *a);

/* The same rule for float32 parameters with float32 moments, as the training frameworks keep them
 * for float32 weights: a trainer's step over a million weights then reads and writes a quarter of
 * the bytes the double one would. Moments (0.9, 0.999) and eps 1e-8, the usual ones for weights.
 * Deterministic as the one above: each parameter's update depends only on its own gradients. */
typedef struct iv_adam32 {
    long n;
    double lr, beta1, beta2, eps;
    long t;
    float *m1, *m2;    /* (n) */
} iv_adam32;
void iv_adam32_init(iv_adam32 *a, long n, double lr);
/* The moments, zeroed; -1 with a message when the memory limit refuses them (budget.h). */
int iv_adam32_alloc(iv_adam32 *a, iv_error *err);
void iv_adam32_step(iv_adam32 *a, float *params, const float *grad);
void iv_adam32_free(iv_adam32 *a);

/* The options every minibatch trainer takes (train, das): epochs from 1 to max_epochs, a batch of at
 * least 1, a finite learning rate above 0 and a held-out fraction in [0, 1). 0, or -1 with a
 * message naming the option. */
int iv_optim_check(int epochs, int max_epochs, long batch, double lr, double holdout,
                   iv_error *err);

#endif
