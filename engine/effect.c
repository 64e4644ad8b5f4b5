/* effect.c - the enabled interventions over the whole reference dataset. */
#include "effect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

void iv_effect_free(iv_effect *e)
{
    free(e->clean);
    free(e->intervened);
    free(e->change);
    memset(e, 0, sizeof *e);
}

int iv_workspace_effect(iv_workspace *ws, iv_effect *e, iv_error *err)
{
    memset(e, 0, sizeof *e);
    iv_acts *acts = iv_workspace_run_data(ws, ws->list, ws->count, err);
    if (!acts)
        return -1;
    const iv_model *m = ws->model;
    long n = ws->data->n, S = acts->n / n;
    int w = iv_model_output_width(m), out = iv_model_output_site(m);
    e->n = n;
    e->width = w;
    e->samples = S;
    e->clean = iv_big_alloc((size_t)(n * w), sizeof(float), "the clean outputs", err);
    e->intervened = e->clean ? iv_big_alloc((size_t)(n * w), sizeof(float), "the outputs", err)
                             : NULL;
    e->change = e->intervened ? iv_big_alloc((size_t)n, sizeof(double), "the changes", err) : NULL;
    if (!e->change || iv_metrics_compute(ws, acts, &e->metrics, err) < 0) {
        iv_effect_free(e);
        iv_acts_free(acts);
        return -1;
    }
    memcpy(e->clean, ws->ref_acts->site[out], sizeof(float) * (size_t)(n * w));
    const float *y = acts->site[out]; /* (n * S, w) */
    double total = 0;
    for (long r = 0; r < n; r++) {
        for (long s = 0; s < S; s++) {
            double sq = 0;
            for (int k = 0; k < w; k++) {
                double delta = (double)y[(r * S + s) * w + k] - e->clean[r * w + k];
                sq += delta * delta;
                e->intervened[r * w + k] += (float)(y[(r * S + s) * w + k] / (double)S);
            }
            e->change[r] += sqrt(sq) / (double)S;
        }
        total += e->change[r];
        if (r == 0 || e->change[r] > e->max_change) {
            e->max_change = e->change[r];
            e->argmax = r;
        }
    }
    e->mean_change = total / (double)n;
    iv_acts_free(acts);
    return 0;
}
