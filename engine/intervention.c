/* intervention.c - intervention kinds, reference statistics, and the hook that applies a list. */
#include "intervention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static const char *const kind_names[IV_KIND_COUNT] = {
    [IV_ZERO] = "zero",   [IV_SET] = "set",           [IV_MEAN] = "mean",
    [IV_NOISE] = "noise", [IV_RESAMPLE] = "resample", [IV_PATCH] = "patch",
    [IV_OPTIMAL] = "optimal",
};

void iv_intervention_copy(iv_intervention *dst, const iv_intervention *src)
{
    *dst = *src;
    iv_addr_copy(&dst->addr, &src->addr);
    if (src->values) {
        dst->values = iv_xmalloc(sizeof(double) * (size_t)(src->addr.n ? src->addr.n : 1));
        memcpy(dst->values, src->values, sizeof(double) * (size_t)src->addr.n);
    }
}

void iv_intervention_clear(iv_intervention *iv)
{
    iv_addr_clear(&iv->addr);
    free(iv->values);
    iv->values = NULL;
}

const char *iv_kind_name(iv_kind k) { return kind_names[k]; }

int iv_kind_parse(const char *name, iv_kind *out)
{
    for (int k = 0; k < IV_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (iv_kind)k;
            return 0;
        }
    return -1;
}

bool iv_kind_is_stochastic(iv_kind k) { return k == IV_NOISE || k == IV_RESAMPLE; }

bool iv_kind_needs_stats(iv_kind k)
{
    return k == IV_MEAN || k == IV_NOISE || k == IV_RESAMPLE || k == IV_OPTIMAL;
}

char *iv_intervention_params(const iv_intervention *iv)
{
    char v[32];
    switch (iv->kind) {
    case IV_SET:
        iv_format_number(v, sizeof v, iv->value);
        return iv_xasprintf("value=%s", v);
    case IV_NOISE:
        if (iv->sigma > 0) {
            iv_format_number(v, sizeof v, iv->sigma);
            return iv_xasprintf("sigma=%s samples=%d seed=%llu", v, iv->samples,
                                (unsigned long long)iv->seed);
        }
        iv_format_number(v, sizeof v, iv->k);
        return iv_xasprintf("k=%s std=%s samples=%d seed=%llu", v, iv->site_std ? "site" : "neuron",
                            iv->samples, (unsigned long long)iv->seed);
    case IV_RESAMPLE:
        return iv_xasprintf("samples=%d seed=%llu", iv->samples, (unsigned long long)iv->seed);
    case IV_OPTIMAL: {
        iv_buf b = {0};
        iv_buf_printf(&b, "a=");
        for (int j = 0; j < iv->addr.n && iv->values && b.len < 200; j++) {
            iv_format_number(v, sizeof v, iv->values[j]);
            iv_buf_printf(&b, "%s%s", j ? "," : "", v);
        }
        return b.data;
    }
    default:
        return iv_xstrdup("");
    }
}

int iv_intervention_check(const iv_model *m, const iv_intervention *iv, bool have_source,
                          bool have_reference, iv_error *err)
{
    if (iv->addr.site < 0 || iv->addr.site >= iv_model_site_count(m) || iv->addr.n < 1)
        return iv_error_set(err, "the intervention addresses no neuron");
    if (iv->kind == IV_PATCH && !have_source)
        return iv_error_set(err, "patch needs a source input: set one with 'source'");
    if (iv_kind_needs_stats(iv->kind) && !(iv->kind == IV_NOISE && iv->sigma > 0) &&
        !have_reference)
        return iv_error_set(err, "%s ablation needs a reference dataset: set one with 'data'",
                            iv_kind_name(iv->kind));
    if (iv->kind == IV_OPTIMAL && !iv->values)
        return iv_error_set(err, "optimal: the constants have not been found");
    if (iv->kind == IV_SET && !isfinite(iv->value))
        return iv_error_set(err, "set: the value must be a finite number");
    if (iv->kind == IV_NOISE && (!(iv->k >= 0) || !(iv->sigma >= 0) || !isfinite(iv->k) ||
                                 !isfinite(iv->sigma)))
        return iv_error_set(err, "noise: k and sigma must be finite and not negative");
    if (iv_kind_is_stochastic(iv->kind) && (iv->samples < 1 || iv->samples > IV_MAX_SAMPLES))
        return iv_error_set(err, "samples must be between 1 and %d", IV_MAX_SAMPLES);
    return 0;
}

/* ---- statistics of the reference dataset ------------------------------------------------------- */

iv_stats *iv_stats_compute(const iv_acts *ref)
{
    iv_stats *st = iv_xcalloc(1, sizeof *st);
    st->n = ref->n;
    st->n_sites = ref->n_sites;
    st->mean = iv_xcalloc((size_t)ref->n_sites, sizeof(double *));
    st->std = iv_xcalloc((size_t)ref->n_sites, sizeof(double *));
    st->site_std = iv_xcalloc((size_t)ref->n_sites, sizeof(double));
    for (int s = 0; s < ref->n_sites; s++) {
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
    return st;
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

static void apply_constant(const iv_addr *a, float *values, long n, int width, const double *per,
                           double all)
{
    for (long r = 0; r < n; r++)
        for (int j = 0; j < a->n; j++)
            values[r * width + a->idx[j]] = (float)(per ? per[a->idx[j]] : all);
}

static void apply_noise(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                        long n, int width)
{
    iv_rng rng;
    iv_rng_seed(&rng, iv->seed);
    for (long r = 0; r < n; r++)
        for (int j = 0; j < iv->addr.n; j++) {
            int i = iv->addr.idx[j];
            double sigma = iv->sigma > 0 ? iv->sigma
                         : iv->k * (iv->site_std ? ctx->stats->site_std[site]
                                                 : ctx->stats->std[site][i]);
            values[r * width + i] += (float)(sigma * iv_rng_normal(&rng));
        }
}

/* Fills perm with a uniformly random cyclic permutation (Sattolo): no element maps to itself. */
static void random_derangement(iv_rng *rng, long *perm, long n)
{
    for (long i = 0; i < n; i++)
        perm[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)iv_rng_below(rng, (uint64_t)i); /* j < i: never i itself */
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* Picks, for each batch row, the reference row whose value it takes, never the example's own. */
static long *resample_rows(const iv_intervention *iv, const iv_apply_ctx *ctx, long n)
{
    long n_ref = ctx->reference->n, S = ctx->samples;
    long *row = iv_xmalloc(sizeof(long) * (size_t)n);
    iv_rng rng;
    iv_rng_seed(&rng, iv->seed);
    if (ctx->batch_is_reference && n_ref > 1) {
        /* One derangement of the whole set per sample, as in resample ablation over a batch. */
        long *perm = iv_xmalloc(sizeof(long) * (size_t)n_ref);
        for (long s = 0; s < S; s++) {
            random_derangement(&rng, perm, n_ref);
            for (long e = 0; e < n / S; e++)
                row[e * S + s] = perm[e];
        }
        free(perm);
        return row;
    }
    for (long r = 0; r < n; r++) {
        long self = ctx->self_row ? ctx->self_row[r / S] : -1;
        if (self >= 0 && n_ref > 1) {
            long pick = (long)iv_rng_below(&rng, (uint64_t)(n_ref - 1));
            row[r] = pick >= self ? pick + 1 : pick; /* skip the example itself */
        } else {
            row[r] = (long)iv_rng_below(&rng, (uint64_t)n_ref);
        }
    }
    return row;
}

static void apply_copy(const iv_addr *a, float *values, long n, int width, const float *from,
                       const long *from_row, long broadcast_div)
{
    for (long r = 0; r < n; r++) {
        long fr = from_row ? from_row[r] : r / broadcast_div;
        for (int j = 0; j < a->n; j++)
            values[r * width + a->idx[j]] = from[fr * width + a->idx[j]];
    }
}

void iv_apply_hook(int site, float *values, long n, int width, void *user)
{
    const iv_apply_ctx *ctx = user;
    long S = ctx->samples > 0 ? ctx->samples : 1;
    for (int k = 0; k < ctx->count; k++) {
        const iv_intervention *iv = &ctx->list[k];
        if (!iv->enabled || iv->addr.site != site)
            continue;
        switch (iv->kind) {
        case IV_ZERO:
            apply_constant(&iv->addr, values, n, width, NULL, 0);
            break;
        case IV_SET:
            apply_constant(&iv->addr, values, n, width, NULL, iv->value);
            break;
        case IV_MEAN:
            apply_constant(&iv->addr, values, n, width, ctx->stats->mean[site], 0);
            break;
        case IV_NOISE:
            apply_noise(iv, ctx, site, values, n, width);
            break;
        case IV_RESAMPLE: {
            long *rows = resample_rows(iv, ctx, n);
            apply_copy(&iv->addr, values, n, width, ctx->reference->site[site], rows, 1);
            free(rows);
            break;
        }
        case IV_OPTIMAL:
            for (long r = 0; r < n; r++)
                for (int j = 0; j < iv->addr.n; j++)
                    values[r * width + iv->addr.idx[j]] = (float)iv->values[j];
            break;
        case IV_PATCH:
            /* One source row is broadcast to the batch; otherwise example e reads source row e. */
            apply_copy(&iv->addr, values, n, width, ctx->source->site[site], NULL,
                       ctx->source->n == 1 ? n : S);
            break;
        default:
            break;
        }
    }
}
