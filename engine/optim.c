/* optim.c - Adam. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
