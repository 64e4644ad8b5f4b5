/* intervention.c - checking an intervention, reference statistics, and the hooks that apply a list
 * in the forward and the backward pass (each kind's own part is in kinds.c). */
#include "intervention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"

int iv_intervention_value_count(const iv_intervention *iv)
{
    if (iv->n_values > 0)
        return iv->n_values;
    return iv->dims > 0 ? iv->dims * iv->addr.n : iv->addr.n;
}

void iv_intervention_copy(iv_intervention *dst, const iv_intervention *src)
{
    *dst = *src;
    iv_addr_copy(&dst->addr, &src->addr);
    if (src->values) {
        int n = iv_intervention_value_count(src);
        dst->values = iv_xmalloc(sizeof(double) * (size_t)(n ? n : 1));
        memcpy(dst->values, src->values, sizeof(double) * (size_t)n);
    }
}

void iv_intervention_clear(iv_intervention *iv)
{
    iv_addr_clear(&iv->addr);
    free(iv->values);
    iv->values = NULL;
}

int iv_intervention_check(const iv_model *m, const iv_intervention *iv, bool have_source,
                          bool have_reference, iv_error *err)
{
    if (iv->addr.site < 0 || iv->addr.site >= iv_model_site_count(m) || iv->addr.n < 1)
        return iv_error_set(err, "the intervention addresses no neuron");
    const iv_kind_info *info = iv_kind_info_of(iv->kind);
    if (!info)
        return iv_error_set(err, "no such kind of intervention");
    if ((info->flags & IV_KIND_NEEDS_SOURCE) && !have_source)
        return iv_error_set(err, "%s needs a source input: set one with 'source'", info->name);
    if (iv_intervention_uses_reference(iv) && !have_reference)
        return iv_error_set(err, "%s ablation needs a reference dataset: set one with 'data'",
                            info->name);
    if (info->check && info->check(iv, err) < 0)
        return -1;
    if ((info->flags & IV_KIND_RANDOM) && (iv->samples < 1 || iv->samples > IV_MAX_SAMPLES))
        return iv_error_set(err, "samples must be between 1 and %d", IV_MAX_SAMPLES);
    return 0;
}

/* ---- statistics of the reference dataset ------------------------------------------------------- */

iv_stats *iv_stats_new(const iv_acts *ref)
{
    iv_stats *st = iv_xcalloc(1, sizeof *st);
    st->n = ref->n;
    st->n_sites = ref->n_sites;
    st->mean = iv_xcalloc((size_t)ref->n_sites, sizeof(double *));
    st->std = iv_xcalloc((size_t)ref->n_sites, sizeof(double *));
    st->site_std = iv_xcalloc((size_t)ref->n_sites, sizeof(double));
    return st;
}

void iv_stats_site(iv_stats *st, const iv_acts *ref, int s)
{
    if (st->mean[s])
        return;
    int w = ref->width[s];
    const float *x = ref->site[s]; /* (n, w) */
    double *mean = st->mean[s] = iv_xcalloc((size_t)w, sizeof(double));
    double *var = st->std[s] = iv_xcalloc((size_t)w, sizeof(double));
    /* Two passes in double: mean first, then squared deviations, which stays accurate when the
     * values sit far from zero. */
    for (long r = 0; r < ref->n; r++)
        for (int i = 0; i < w; i++)
            mean[i] += x[r * w + i];
    double grand = 0;
    for (int i = 0; i < w; i++) {
        grand += mean[i];
        mean[i] /= (double)ref->n;
    }
    grand /= (double)ref->n * w;
    double pooled = 0;
    for (long r = 0; r < ref->n; r++)
        for (int i = 0; i < w; i++) {
            double d = x[r * w + i] - mean[i], g = x[r * w + i] - grand;
            var[i] += d * d;
            pooled += g * g;
        }
    long dof = ref->n > 1 ? ref->n - 1 : 1;
    for (int i = 0; i < w; i++)
        var[i] = sqrt(var[i] / (double)dof);
    long total = ref->n * w;
    st->site_std[s] = sqrt(pooled / (double)(total > 1 ? total - 1 : 1));
}

void iv_stats_free(iv_stats *st)
{
    if (!st)
        return;
    for (int s = 0; s < st->n_sites; s++) {
        free(st->mean[s]);
        free(st->std[s]);
    }
    free(st->mean);
    free(st->std);
    free(st->site_std);
    free(st);
}

/* ---- applying interventions -------------------------------------------------------------------- */

void iv_apply_hook(int site, float *values, long n, int width, void *user)
{
    const iv_apply_ctx *ctx = user;
    for (int k = 0; k < ctx->count; k++) {
        const iv_intervention *iv = &ctx->list[k];
        const iv_kind_info *info = iv_kind_info_of(iv->kind);
        if (iv->enabled && iv->addr.site == site && info)
            info->apply(iv, ctx, site, values, n, width);
    }
}

void iv_apply_backward_hook(int site, float *grad, long n, int width, void *user)
{
    const iv_apply_ctx *ctx = user;
    for (int k = ctx->count - 1; k >= 0; k--) {
        const iv_intervention *iv = &ctx->list[k];
        const iv_kind_info *info = iv_kind_info_of(iv->kind);
        if (iv->enabled && iv->addr.site == site && info && info->backward)
            info->backward(iv, ctx, k, site, grad, n, width);
    }
}
