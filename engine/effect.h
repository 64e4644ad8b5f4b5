/* effect.h - the enabled interventions over the whole reference dataset: each example's output
 * clean and intervened, the size of the change, and the metrics of the pass (what `effect`
 * reports and the explorer's map and histogram show). */
#ifndef IV_EFFECT_H
#define IV_EFFECT_H

#include "metrics.h"

/* The enabled interventions over the whole reference dataset. */
typedef struct iv_effect {
    long n;                 /* examples */
    int width;              /* output width */
    float *clean;           /* (n, width) */
    float *intervened;      /* (n, width) mean over samples */
    double *change;         /* (n) Euclidean norm of intervened - clean (its absolute value when
                               the output is one number), mean over samples */
    double mean_change, max_change; /* of the size of the change: never negative */
    double mean_signed;     /* one output: the mean of intervened - clean, which says which way
                               it moved (a mean size of 2 may be +2 everywhere, or -2); NAN for
                               several outputs */
    long argmax;            /* example with the largest change */
    long samples;
    iv_metrics metrics;
} iv_effect;

int iv_workspace_effect(iv_workspace *ws, iv_effect *out, iv_error *err);
void iv_effect_free(iv_effect *e);

#endif
