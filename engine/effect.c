/* effect.c - the enabled interventions over the whole reference dataset. */
#include "effect.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "pass.h"

void iv_effect_free(iv_effect *e)
{
    free(e->clean);
    free(e->intervened);
    free(e->change);
    memset(e, 0, sizeof *e);
}

typedef struct effect_pass {
    iv_effect *e;
    iv_metrics_acc metrics;
    double total, signed_total;
} effect_pass;

/* Each example's change, and the metrics, from one chunk of the pass. */
static int add_chunk(const iv_pass_chunk *c, void *user, iv_error *err)
{
    (void)err;
    effect_pass *p = user;
    iv_effect *e = p->e;
    int w = e->width;
    long S = c->samples;
    const float *y = c->acts->site[c->acts->n_sites - 1]; /* (c->n * S, w) */
    iv_metrics_add(&p->metrics, y, c->first, c->n, S, true);
    for (long k = 0; k < c->n; k++) {
        long r = c->first + k;
        for (long s = 0; s < S; s++) {
            double sq = 0;
            for (int j = 0; j < w; j++) {
                double delta = (double)y[(k * S + s) * w + j] - e->clean[r * w + j];
                sq += delta * delta;
                e->intervened[r * w + j] += (float)(y[(k * S + s) * w + j] / (double)S);
            }
            e->change[r] += sqrt(sq) / (double)S;
        }
        if (w == 1)
            p->signed_total += (double)e->intervened[r] - e->clean[r];
        p->total += e->change[r];
        if (r == 0 || e->change[r] > e->max_change) {
            e->max_change = e->change[r];
            e->argmax = r;
        }
    }
    return 0;
}

/* ---- the last effect, kept ------------------------------------------------------------------- */

/* What the effect depends on: the evaluation count moves with every change of the interventions,
 * the inputs and the dataset (the command runner re-runs the workspace after each), and the loss
 * and the model are named besides. */
static void effect_key(const iv_workspace *ws, long key[4])
{
    key[0] = ws->evaluations;
    key[1] = (long)(intptr_t)ws->model;
    key[2] = (long)(intptr_t)ws->data;
    key[3] = ws->loss_vs_target;
}

static void free_cached(void *p)
{
    iv_effect_free(p);
    free(p);
}

/* A copy with its own arrays; false (nothing allocated) when they cannot be had. The cache is only
 * a saving, never a reason for a command to fail, so it asks malloc directly rather than through
 * the budget's checked path (whose every failure fails the command): its size is that of an
 * effect the budget has just allowed. */
static bool copy_effect(iv_effect *to, const iv_effect *from)
{
    *to = *from;
    size_t outs = (size_t)(from->n * from->width);
    to->clean = malloc(sizeof(float) * outs);
    to->intervened = malloc(sizeof(float) * outs);
    to->change = malloc(sizeof(double) * (size_t)from->n);
    if (!to->clean || !to->intervened || !to->change) {
        iv_effect_free(to);
        return false;
    }
    memcpy(to->clean, from->clean, sizeof(float) * outs);
    memcpy(to->intervened, from->intervened, sizeof(float) * outs);
    memcpy(to->change, from->change, sizeof(double) * (size_t)from->n);
    return true;
}

static bool cached(const iv_workspace *ws, iv_effect *e)
{
    long key[4];
    effect_key(ws, key);
    if (!ws->effect_cache || memcmp(key, ws->effect_key, sizeof key) != 0)
        return false;
    return copy_effect(e, ws->effect_cache);
}

static void keep(iv_workspace *ws, const iv_effect *e)
{
    if (ws->effect_cache)
        ws->effect_free(ws->effect_cache);
    ws->effect_cache = NULL;
    iv_effect *copy = iv_xmalloc(sizeof *copy);
    if (!copy_effect(copy, e)) {
        free(copy);
        return;
    }
    ws->effect_cache = copy;
    ws->effect_free = free_cached;
    effect_key(ws, ws->effect_key);
}

int iv_workspace_effect(iv_workspace *ws, iv_effect *e, iv_error *err)
{
    memset(e, 0, sizeof *e);
    if (ws->data && cached(ws, e)) {
        iv_job_progress(ws->job, 1, 1, NULL); /* done at once: the bar says so */
        return 0;
    }
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    const iv_model *m = ws->model;
    long n = ws->data->n;
    int w = iv_model_output_width(m), out = iv_model_output_site(m);
    e->n = n;
    e->width = w;
    e->samples = iv_list_samples(ws->list, ws->count);
    e->clean = iv_big_alloc((size_t)(n * w), sizeof(float), "the clean outputs", err);
    e->intervened = e->clean ? iv_big_alloc((size_t)(n * w), sizeof(float), "the outputs", err)
                             : NULL;
    e->change = e->intervened ? iv_big_alloc((size_t)n, sizeof(double), "the changes", err) : NULL;
    effect_pass p = {.e = e};
    if (!e->change || iv_metrics_begin(ws, &p.metrics, err) < 0) {
        iv_effect_free(e);
        return -1;
    }
    memcpy(e->clean, ws->ref_acts->site[out], sizeof(float) * (size_t)(n * w));
    if (iv_workspace_pass(ws, ws->list, ws->count, out, add_chunk, &p, err) < 0) {
        iv_metrics_end(&p.metrics, &e->metrics);
        iv_effect_free(e);
        return -1;
    }
    iv_metrics_end(&p.metrics, &e->metrics);
    e->mean_change = p.total / (double)n;
    e->mean_signed = w == 1 ? p.signed_total / (double)n : NAN;
    keep(ws, e);
    return 0;
}
