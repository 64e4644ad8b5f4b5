/* optim.c - Adam. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "util.h"

void iv_adam_init(iv_adam *a, int n, double lr)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->rest1 = 0.1;
    a->rest2 = 0.001;
    a->eps = 1e-12;
    a->m1 = iv_xcalloc((size_t)(n ? n : 1), sizeof(double));
    a->m2 = iv_xcalloc((size_t)(n ? n : 1), sizeof(double));
}

void iv_adam_step(iv_adam *a, double *params, const double *grad)
{
    a->t++;
    for (int j = 0; j < a->n; j++) {
        a->m1[j] = a->beta1 * a->m1[j] + a->rest1 * grad[j];
        a->m2[j] = a->beta2 * a->m2[j] + a->rest2 * grad[j] * grad[j];
        double mh = a->m1[j] / (1 - pow(a->beta1, a->t));
        double vh = a->m2[j] / (1 - pow(a->beta2, a->t));
        params[j] -= a->lr * mh / (sqrt(vh) + a->eps);
    }
}

void iv_adam_free(iv_adam *a)
{
    free(a->m1);
    free(a->m2);
    memset(a, 0, sizeof *a);
}

/* ---- float32 parameters ---------------------------------------------------------------------- */

void iv_adam32_init(iv_adam32 *a, long n, double lr)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
}

int iv_adam32_alloc(iv_adam32 *a, iv_error *err)
{
    size_t n = (size_t)(a->n ? a->n : 1);
    a->m1 = iv_big_alloc(n, sizeof(float), "Adam's first moments", err);
    a->m2 = a->m1 ? iv_big_alloc(n, sizeof(float), "Adam's second moments", err) : NULL;
    if (!a->m2) {
        free(a->m1);
        a->m1 = NULL;
        return -1;
    }
    return 0;
}

/* p -= (lr / c1) m / (sqrt(v) / sqrt(c2) + eps), with c1 = 1 - beta1^t and c2 = 1 - beta2^t: the
 * bias-corrected step, its corrections folded into two constants of the step, so the loop over the
 * parameters is one pass of float arithmetic. */
void iv_adam32_step(iv_adam32 *a, float *restrict params, const float *restrict grad)
{
    a->t++;
    const float b1 = (float)a->beta1, b2 = (float)a->beta2;
    const float r1 = (float)(1 - a->beta1), r2 = (float)(1 - a->beta2);
    const float step = (float)(a->lr / (1 - pow(a->beta1, a->t)));
    const float root = (float)(1 / sqrt(1 - pow(a->beta2, a->t)));
    const float eps = (float)a->eps;
    float *restrict m1 = a->m1, *restrict m2 = a->m2;
    for (long j = 0; j < a->n; j++) {
        float g = grad[j];
        m1[j] = b1 * m1[j] + r1 * g;
        m2[j] = b2 * m2[j] + r2 * g * g;
        params[j] -= step * m1[j] / (sqrtf(m2[j]) * root + eps);
    }
}

void iv_adam32_free(iv_adam32 *a)
{
    free(a->m1);
    free(a->m2);
    memset(a, 0, sizeof *a);
}

int iv_optim_check(int epochs, int max_epochs, long batch, double lr, double holdout,
                   iv_error *err)
{
    if (epochs < 1 || epochs > max_epochs)
        return iv_error_set(err, "epochs=%d: expected a whole number from 1 to %d", epochs,
                            max_epochs);
    if (batch < 1)
        return iv_error_set(err, "batch=%ld: expected a whole number of at least 1", batch);
    if (!isfinite(lr) || lr <= 0)
        return iv_error_set(err, "lr=%g: expected a finite number above 0", lr);
    if (!(holdout >= 0 && holdout < 1))
        return iv_error_set(err, "holdout=%g: expected a fraction from 0 up to (not including) 1",
                            holdout);
    return 0;
}
