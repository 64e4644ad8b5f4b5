/* kinds.c - the table of intervention kinds and each kind's functions (kinds.h).
 *
 * ADDING A KIND: write its functions in this file and add its entry to `kinds` below (at the place
 * where help and Tab should list it); the one line outside this file is its constant in iv_kind
 * (intervention.h, before IV_KIND_COUNT), with any field it keeps in iv_intervention. Then add its
 * tests to tests/test_kinds.c (which checks every constant has an entry). The forward and backward
 * hooks, ablate's words and errors, help, the manual page, Tab completion, the parameter text of
 * the list and the panels, and saved sessions all come from the entry. */
#include "kinds.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds_affine.h"
#include "rng.h"

/* ---- what kinds share ------------------------------------------------------------------------ */

/* Every row's addressed neurons = a constant: per[i] of neuron i when per is given, else all. */
static void apply_constant(const iv_addr *a, float *values, long n, int width, const double *per,
                           double all)
{
    for (long r = 0; r < n; r++)
        for (int j = 0; j < a->n; j++)
            values[r * width + a->idx[j]] = (float)(per ? per[a->idx[j]] : all);
}

/* Every row's addressed neurons = the same neurons of a row of `from`: from_row[r], else
 * r / broadcast_div. */
static void apply_copy(const iv_addr *a, float *values, long n, int width, const float *from,
                       const long *from_row, long broadcast_div)
{
    for (long r = 0; r < n; r++) {
        long fr = from_row ? from_row[r] : r / broadcast_div;
        for (int j = 0; j < a->n; j++)
            values[r * width + a->idx[j]] = from[fr * width + a->idx[j]];
    }
}

/* A replaced value does not depend on the one below it: no gradient flows through. */
static void backward_replaced(const iv_intervention *iv, const iv_apply_ctx *ctx, int index,
                              int site, float *grad, long n, int width)
{
    (void)ctx, (void)index, (void)site;
    for (long r = 0; r < n; r++)
        for (int j = 0; j < iv->addr.n; j++)
            grad[r * width + iv->addr.idx[j]] = 0;
}

/* samples= and seed=, of every random kind. */
static int random_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                         iv_error *err)
{
    long l;
    if (klen == 7 && strncmp(key, "samples", 7) == 0) {
        if (iv_parse_int(val, 1, IV_MAX_SAMPLES, &l) < 0)
            return iv_error_set(err, "samples=%s: expected a whole number from 1 to %d", val,
                                IV_MAX_SAMPLES);
        iv->samples = (int)l;
        return 0;
    }
    if (klen == 4 && strncmp(key, "seed", 4) == 0) {
        if (iv_parse_int(val, 0, LONG_MAX, &l) < 0)
            return iv_error_set(err, "seed=%s: expected a whole number >= 0", val);
        iv->seed = (uint64_t)l;
        return 0;
    }
    return 1;
}

static double fixed_zero(const iv_intervention *iv, const iv_apply_ctx *ctx, int j)
{
    (void)iv, (void)ctx, (void)j;
    return 0;
}

/* ---- zero: a = 0 ----------------------------------------------------------------------------- */

static void apply_zero(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                       long n, int width)
{
    (void)ctx, (void)site;
    apply_constant(&iv->addr, values, n, width, NULL, 0);
}

/* ---- set: a = value -------------------------------------------------------------------------- */

static int set_args(iv_intervention *iv, int argc, char **argv, iv_error *err)
{
    if (argc < 1 || iv_parse_double(argv[0], &iv->value) < 0)
        return iv_error_set(err, "set needs a finite value, e.g. 'ablate h1[0] set 2'");
    return 1;
}

static int set_check(const iv_intervention *iv, iv_error *err)
{
    if (!isfinite(iv->value))
        return iv_error_set(err, "set: the value must be a finite number");
    return 0;
}

static void apply_set(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                      long n, int width)
{
    (void)ctx, (void)site;
    apply_constant(&iv->addr, values, n, width, NULL, iv->value);
}

static double set_fixed(const iv_intervention *iv, const iv_apply_ctx *ctx, int j)
{
    (void)ctx, (void)j;
    return iv->value;
}

static char *set_params(const iv_intervention *iv)
{
    char v[32];
    iv_format_number(v, sizeof v, iv->value);
    return iv_xasprintf("value=%s", v);
}

static char *set_session(const iv_intervention *iv)
{
    return iv_xasprintf("%.9g", iv->value); /* the value, as ablate reads it */
}

/* ---- mean: a = its mean over the reference dataset ------------------------------------------- */

static void apply_mean(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                       long n, int width)
{
    apply_constant(&iv->addr, values, n, width, ctx->stats->mean[site], 0);
}

static double mean_fixed(const iv_intervention *iv, const iv_apply_ctx *ctx, int j)
{
    return ctx->stats->mean[iv->addr.site][iv->addr.idx[j]];
}

/* ---- noise: a = a + sigma * N(0, 1) ---------------------------------------------------------- */

static int noise_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                        iv_error *err)
{
    if (klen == 1 && key[0] == 'k') {
        if (iv_parse_double(val, &iv->k) < 0 || iv->k < 0)
            return iv_error_set(err, "k=%s: expected a number >= 0", val);
    } else if (klen == 5 && strncmp(key, "sigma", 5) == 0) {
        if (iv_parse_double(val, &iv->sigma) < 0 || iv->sigma <= 0)
            return iv_error_set(err, "sigma=%s: expected a number > 0", val);
    } else if (klen == 3 && strncmp(key, "std", 3) == 0) {
        if (strcmp(val, "neuron") && strcmp(val, "site"))
            return iv_error_set(err, "std=%s: expected std=neuron or std=site", val);
        iv->site_std = strcmp(val, "site") == 0;
    } else {
        return random_option(iv, key, klen, val, err);
    }
    return 0;
}

static int noise_check(const iv_intervention *iv, iv_error *err)
{
    if (!(iv->k >= 0) || !(iv->sigma >= 0) || !isfinite(iv->k) || !isfinite(iv->sigma))
        return iv_error_set(err, "noise: k and sigma must be finite and not negative");
    return 0;
}

/* An absolute sigma needs no statistics. */
static bool noise_uses_reference(const iv_intervention *iv) { return !(iv->sigma > 0); }

/* One stream from the seed, drawn row by row, neuron by neuron. */
static void apply_noise(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                        long n, int width)
{
    iv_rng own, *rng = ctx->streams ? &ctx->streams[iv - ctx->list] : &own;
    if (!ctx->streams)
        iv_rng_seed(&own, iv->seed);
    for (long r = 0; r < n; r++)
        for (int j = 0; j < iv->addr.n; j++) {
            int i = iv->addr.idx[j];
            double sigma = iv->sigma > 0 ? iv->sigma
                         : iv->k * (iv->site_std ? ctx->stats->site_std[site]
                                                 : ctx->stats->std[site][i]);
            values[r * width + i] += (float)(sigma * iv_rng_normal(rng));
        }
}

static char *noise_params(const iv_intervention *iv)
{
    char v[32];
    if (iv->sigma > 0) {
        iv_format_number(v, sizeof v, iv->sigma);
        return iv_xasprintf("sigma=%s samples=%d seed=%llu", v, iv->samples,
                            (unsigned long long)iv->seed);
    }
    iv_format_number(v, sizeof v, iv->k);
    return iv_xasprintf("k=%s std=%s samples=%d seed=%llu", v, iv->site_std ? "site" : "neuron",
                        iv->samples, (unsigned long long)iv->seed);
}

/* ---- resample: a = its value on another example of the reference dataset --------------------- */

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

long *iv_resample_plan(const iv_intervention *iv, long n_ref, long samples)
{
    long *plan = iv_xmalloc(sizeof(long) * (size_t)(samples * n_ref));
    iv_rng rng;
    iv_rng_seed(&rng, iv->seed);
    for (long s = 0; s < samples; s++)
        random_derangement(&rng, plan + s * n_ref, n_ref);
    return plan;
}

/* Picks, for each batch row, the reference row whose value it takes, never the example's own. */
static long *resample_rows(const iv_intervention *iv, const iv_apply_ctx *ctx, long n)
{
    long n_ref = ctx->reference->n, S = ctx->samples > 0 ? ctx->samples : 1;
    long *row = iv_xmalloc(sizeof(long) * (size_t)n);
    if (ctx->batch_is_reference && n_ref > 1) {
        /* One derangement of the whole set per sample, as in resample ablation over a batch; a
         * chunk of the set reads its examples' part of the plan of the whole. */
        const long *given = ctx->resample_plans ? ctx->resample_plans[iv - ctx->list] : NULL;
        long *plan = given ? (long *)given : iv_resample_plan(iv, n_ref, S);
        for (long s = 0; s < S; s++)
            for (long e = 0; e < n / S; e++)
                row[e * S + s] = plan[s * n_ref + ctx->first_example + e];
        if (!given)
            free(plan);
        return row;
    }
    iv_rng rng;
    iv_rng_seed(&rng, iv->seed);
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

static void apply_resample(const iv_intervention *iv, const iv_apply_ctx *ctx, int site,
                           float *values, long n, int width)
{
    long *rows = resample_rows(iv, ctx, n);
    apply_copy(&iv->addr, values, n, width, ctx->reference->site[site], rows, 1);
    free(rows);
}

static char *resample_params(const iv_intervention *iv)
{
    return iv_xasprintf("samples=%d seed=%llu", iv->samples, (unsigned long long)iv->seed);
}

/* ---- patch: a = its value on the source input (interchange intervention) --------------------- */

static void apply_patch(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                        long n, int width)
{
    /* One source row is broadcast to the batch; otherwise example e reads source row e. */
    long S = ctx->samples > 0 ? ctx->samples : 1;
    apply_copy(&iv->addr, values, n, width, ctx->source->site[site], NULL,
               ctx->source->n == 1 ? n : S);
}

static double patch_fixed(const iv_intervention *iv, const iv_apply_ctx *ctx, int j)
{
    return ctx->source->site[iv->addr.site][iv->addr.idx[j]];
}

#define MAX_NUMBERS ((long)IV_MAX_WIDTH * 64) /* numbers an option may give */

/* ---- rotate: h = h + (h_source - h) Q^T Q, the source's part in a subspace -------------------- */

static const char *const rotate_words[] = {"dims=", "seed=", "basis=", NULL};

static int rotate_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                         iv_error *err)
{
    long l;
    if (klen == 4 && strncmp(key, "dims", 4) == 0) {
        if (iv_parse_int(val, 1, IV_MAX_WIDTH, &l) < 0)
            return iv_error_set(err, "dims=%s: expected a whole number >= 1", val);
        iv->dims = (int)l;
        return 0;
    }
    if (klen == 5 && strncmp(key, "basis", 5) == 0) /* checked once the address is known */
        return iv_parse_number_list("basis", val, MAX_NUMBERS, &iv->values, &iv->n_given, err);
    return random_option(iv, key, klen, val, err) == 0 && klen == 4 ? 0 : 1;
}

/* Whether the rows of q (k, n) are orthonormal, to single precision. */
static bool orthonormal(const double *q, int k, int n)
{
    for (int a = 0; a < k; a++)
        for (int b = 0; b <= a; b++) {
            double dot = 0;
            for (int j = 0; j < n; j++)
                dot += q[a * n + j] * q[b * n + j];
            if (fabs(dot - (a == b)) > 1e-5)
                return false;
        }
    return true;
}

/* A seeded random orthonormal basis: Gaussian rows, made orthonormal by Gram-Schmidt (twice, for
 * accuracy); a row that comes out too short is drawn again. */
static void random_basis(double *q, int k, int n, uint64_t seed)
{
    iv_rng rng;
    iv_rng_seed(&rng, seed);
    for (int a = 0; a < k; a++) {
        double norm = 0;
        while (norm < 1e-6) {
            for (int j = 0; j < n; j++)
                q[a * n + j] = iv_rng_normal(&rng);
            for (int pass = 0; pass < 2; pass++)
                for (int b = 0; b < a; b++) {
                    double dot = 0;
                    for (int j = 0; j < n; j++)
                        dot += q[a * n + j] * q[b * n + j];
                    for (int j = 0; j < n; j++)
                        q[a * n + j] -= dot * q[b * n + j];
                }
            norm = 0;
            for (int j = 0; j < n; j++)
                norm += q[a * n + j] * q[a * n + j];
            norm = sqrt(norm);
        }
        for (int j = 0; j < n; j++)
            q[a * n + j] /= norm;
    }
}

bool iv_rotate_orthonormal(const double *q, int k, int n) { return orthonormal(q, k, n); }

static int rotate_prepare(iv_intervention *iv, iv_error *err)
{
    int n = iv->addr.n;
    if (iv->dims < 1)
        return iv_error_set(err, "rotate needs dims=K, the subspace's dimension (1 to %d)", n);
    if (iv->dims > n)
        return iv_error_set(err, "dims=%d: the subspace cannot have more dimensions than the %d "
                            "neurons addressed", iv->dims, n);
    if (!iv->values) {
        iv->values = iv_xmalloc(sizeof(double) * (size_t)(iv->dims * n));
        random_basis(iv->values, iv->dims, n, iv->seed);
        return 0;
    }
    if (iv->n_given != iv->dims * n)
        return iv_error_set(err, "basis=: %d numbers given; dims=%d over %d neurons needs %d",
                            iv->n_given, iv->dims, n, iv->dims * n);
    if (!orthonormal(iv->values, iv->dims, n))
        return iv_error_set(err, "basis=: its %d rows are not orthonormal", iv->dims);
    return 0;
}

static int rotate_check(const iv_intervention *iv, iv_error *err)
{
    if (iv->dims < 1 || iv->dims > iv->addr.n || !iv->values)
        return iv_error_set(err, "rotate: no basis of 1 to %d dimensions", iv->addr.n);
    return 0;
}

/* The source row that batch row r reads (one row broadcast, or one per example). */
static long source_row(const iv_apply_ctx *ctx, long r)
{
    long S = ctx->samples > 0 ? ctx->samples : 1;
    return ctx->source->n == 1 ? 0 : r / S;
}

/* The rotate kind's arithmetic, shared with the subspace alignments (iia.c) and DAS (das.c):
 * shift[j] += sum_a ((hs - h) . q_a) q_a[j] over the m neurons idx of one row, in double. d is
 * scratch of m doubles. */
void iv_rotate_shift(const double *q, int k, int m, const int *idx, const float *h,
                     const float *hs, double *shift, double *d)
{
    for (int j = 0; j < m; j++)
        d[j] = (double)hs[idx[j]] - h[idx[j]];
    for (int a = 0; a < k; a++) {
        const double *qa = q + (size_t)a * m;
        double c = 0;
        for (int j = 0; j < m; j++)
            c += d[j] * qa[j];
        for (int j = 0; j < m; j++)
            shift[j] += c * qa[j];
    }
}

void iv_rotate_row(const double *q, int k, int m, const int *idx, float *h, const float *hs,
                   double *scratch)
{
    double *shift = scratch, *d = scratch + m;
    memset(shift, 0, sizeof(double) * (size_t)m);
    iv_rotate_shift(q, k, m, idx, h, hs, shift, d);
    for (int j = 0; j < m; j++)
        h[idx[j]] = (float)(h[idx[j]] + shift[j]);
}

void iv_rotate_basis_grad(const double *q, int k, int m, const int *idx, const float *h,
                          const float *hs, const double *g, const double *gq, double *pg)
{
    for (int a = 0; a < k; a++) {
        const double *qa = q + (size_t)a * m;
        double c = 0;
        for (int j = 0; j < m; j++)
            c += ((double)hs[idx[j]] - h[idx[j]]) * qa[j];
        for (int j = 0; j < m; j++)
            pg[a * m + j] += c * g[j] + gq[a] * ((double)hs[idx[j]] - h[idx[j]]);
    }
}

static void apply_rotate(const iv_intervention *iv, const iv_apply_ctx *ctx, int site,
                         float *values, long n, int width)
{
    int m = iv->addr.n;
    const float *src = ctx->source->site[site];
    double *scratch = iv_xmalloc(sizeof(double) * 2 * (size_t)m);
    for (long r = 0; r < n; r++)
        iv_rotate_row(iv->values, iv->dims, m, iv->addr.idx, values + r * width,
                      src + source_row(ctx, r) * width, scratch);
    free(scratch);
}

/* h' = h + (hs - h) P with P = Q^T Q: dL/dh = g (I - P), the source run held fixed; and with
 * d = hs - h, c_a = d . q_a: dL/dq_a = sum over rows of c_a g + (g . q_a) d. That needs h as the
 * rewrite read it, which h' no longer holds (its part in the subspace is the source's): the
 * caller that wants the basis's gradient passes those values in ctx->before. */
static void backward_rotate(const iv_intervention *iv, const iv_apply_ctx *ctx, int index,
                            int site, float *grad, long n, int width)
{
    (void)site;
    int k = iv->dims, m = iv->addr.n;
    double *pg = ctx->param_grad ? ctx->param_grad[index] : NULL;
    double *g = iv_xmalloc(sizeof(double) * (size_t)m), *gq = iv_xmalloc(sizeof(double) * (size_t)k);
    for (long r = 0; r < n; r++) {
        float *gr = grad + r * width;
        for (int j = 0; j < m; j++)
            g[j] = gr[iv->addr.idx[j]];
        for (int a = 0; a < k; a++) {
            const double *q = iv->values + (size_t)a * m;
            gq[a] = 0;
            for (int j = 0; j < m; j++)
                gq[a] += g[j] * q[j];
        }
        if (pg && ctx->before) /* d = hs - h, from the values the rewrite read */
            iv_rotate_basis_grad(iv->values, k, m, iv->addr.idx,
                                 ctx->before->site[iv->addr.site] + r * width,
                                 ctx->source->site[iv->addr.site] + source_row(ctx, r) * width,
                                 g, gq, pg);
        for (int a = 0; a < k; a++) {
            const double *q = iv->values + (size_t)a * m;
            for (int j = 0; j < m; j++)
                g[j] -= gq[a] * q[j];
        }
        for (int j = 0; j < m; j++)
            gr[iv->addr.idx[j]] = (float)g[j];
    }
    free(g);
    free(gq);
}

static char *rotate_params(const iv_intervention *iv)
{
    return iv_xasprintf("dims=%d of %d", iv->dims, iv->addr.n);
}

/* The basis in full, so that a saved session puts back the very subspace (DAS learns it). */
static char *rotate_session(const iv_intervention *iv)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "dims=%d basis=", iv->dims);
    for (int i = 0; i < iv->dims * iv->addr.n; i++)
        iv_buf_printf(&b, "%s%.9g", i ? "," : "", iv->values[i]);
    return b.data;
}

/* ---- optimal: a = the constants that minimise the loss gap (Li & Janson 2024) ---------------- */

static int optimal_check(const iv_intervention *iv, iv_error *err)
{
    if (!iv->values)
        return iv_error_set(err, "optimal: the constants have not been found");
    return 0;
}

static void apply_optimal(const iv_intervention *iv, const iv_apply_ctx *ctx, int site,
                          float *values, long n, int width)
{
    (void)ctx, (void)site;
    for (long r = 0; r < n; r++)
        for (int j = 0; j < iv->addr.n; j++)
            values[r * width + iv->addr.idx[j]] = (float)iv->values[j];
}

/* dL/d values[j] is the sum over the rows of the gradient at neuron j, added in row order in
 * double (as ablation.c's search has always summed it); then, replaced, nothing flows below. */
static void backward_optimal(const iv_intervention *iv, const iv_apply_ctx *ctx, int index,
                             int site, float *grad, long n, int width)
{
    double *pg = ctx->param_grad ? ctx->param_grad[index] : NULL;
    if (pg)
        for (int j = 0; j < iv->addr.n; j++)
            for (long r = 0; r < n; r++)
                pg[j] += grad[r * width + iv->addr.idx[j]];
    backward_replaced(iv, ctx, index, site, grad, n, width);
}

static double optimal_fixed(const iv_intervention *iv, const iv_apply_ctx *ctx, int j)
{
    (void)ctx;
    return iv->values[j];
}

static char *optimal_params(const iv_intervention *iv)
{
    char v[32];
    iv_buf b = {0};
    iv_buf_printf(&b, "a=");
    for (int j = 0; j < iv->addr.n && iv->values && b.len < 200; j++) {
        iv_format_number(v, sizeof v, iv->values[j]);
        iv_buf_printf(&b, "%s%s", j ? "," : "", v);
    }
    return b.data;
}

/* The constants are found again from the dataset when the session is replayed. */
static char *optimal_session(const iv_intervention *iv)
{
    (void)iv;
    return iv_xstrdup("");
}

/* ---- the table ------------------------------------------------------------------------------- */

static const char *const noise_words[] = {"k=", "sigma=", "std=neuron", "std=site", "samples=",
                                          "seed=", NULL};
static const char *const resample_words[] = {"samples=", "seed=", NULL};

/* In the order help and Tab list them. See the top of the file for adding a kind. */
static const iv_kind_info kinds[] = {
    {
        .kind = IV_ZERO, .name = "zero", .flags = IV_KIND_REPLACES,
        .usage = "zero", .help = "a = 0",
        .apply = apply_zero, .backward = backward_replaced, .fixed_value = fixed_zero,
    },
    {
        .kind = IV_MEAN, .name = "mean", .flags = IV_KIND_REPLACES | IV_KIND_NEEDS_STATS,
        .usage = "mean", .help = "a = its mean over the reference dataset",
        .apply = apply_mean, .backward = backward_replaced, .fixed_value = mean_fixed,
    },
    {
        .kind = IV_NOISE, .name = "noise", .flags = IV_KIND_RANDOM | IV_KIND_NEEDS_STATS,
        .usage = "noise",
        .help = "a = a + sigma * N(0, 1); options k=K (sigma = K x std, default 3),\n"
                "std=neuron|site (per-neuron std, or one std for the site),\n"
                "sigma=S (absolute), samples=N (default 10), seed=N",
        .completions = noise_words,
        .option = noise_option, .check = noise_check, .uses_reference = noise_uses_reference,
        .apply = apply_noise, /* a + sigma * eps: the gradient passes through */
        .params = noise_params,
    },
    {
        .kind = IV_RESAMPLE, .name = "resample",
        .flags = IV_KIND_RANDOM | IV_KIND_NEEDS_STATS | IV_KIND_REPLACES,
        .usage = "resample",
        .help = "a = its value on another example of the dataset (samples=, seed=)",
        .completions = resample_words,
        .option = random_option,
        .apply = apply_resample, .backward = backward_replaced, .plan = iv_resample_plan,
        .params = resample_params,
    },
    {
        .kind = IV_OPTIMAL, .name = "optimal",
        .flags = IV_KIND_NEEDS_STATS | IV_KIND_TRAINABLE | IV_KIND_REPLACES,
        .usage = "optimal", .help = "a = the constant that minimises the loss gap over the dataset",
        .check = optimal_check,
        .apply = apply_optimal, .backward = backward_optimal, .fixed_value = optimal_fixed,
        .params = optimal_params, .session = optimal_session,
    },
    {
        .kind = IV_SET, .name = "set", .flags = IV_KIND_REPLACES,
        .usage = "set V", .help = "a = V",
        .args = set_args, .check = set_check,
        .apply = apply_set, .backward = backward_replaced, .fixed_value = set_fixed,
        .params = set_params, .session = set_session,
    },
    {
        .kind = IV_PATCH, .name = "patch", .flags = IV_KIND_REPLACES | IV_KIND_NEEDS_SOURCE,
        .usage = "patch", .help = "a = its value on the source input",
        .apply = apply_patch, .backward = backward_replaced, .fixed_value = patch_fixed,
    },
    {
        .kind = IV_ROTATE, .name = "rotate", .flags = IV_KIND_NEEDS_SOURCE,
        .usage = "rotate dims=K",
        .help = "h = h + (h_source - h) Q^T Q: the source's part of the addressed neurons in a\n"
                "K-dimensional subspace, the rest kept; Q orthonormal (K x neurons), seeded\n"
                "random (seed=) or given row by row (basis=q11,q12,...); das learns it",
        .completions = rotate_words,
        .option = rotate_option, .prepare = rotate_prepare, .check = rotate_check,
        .apply = apply_rotate, .backward = backward_rotate,
        .params = rotate_params, .session = rotate_session,
    },
    {
        .kind = IV_PROJECT, .name = "project", .flags = 0,
        .usage = "project rank=K eraser=...",
        .help = "h = h - L^T R (h - mu): an eraser of K directions (inlp and leace add it;\n"
                "eraser= gives mu, then L and R row by row, each K x neurons)",
        .completions = iv_project_words,
        .option = iv_project_option, .prepare = iv_project_prepare, .check = iv_project_check,
        .apply = iv_apply_project, .backward = iv_backward_project,
        .params = iv_project_params, .session = iv_project_session,
    },
    {
        .kind = IV_ADD, .name = "add", .flags = 0,
        .usage = "add alpha=A vector=...",
        .help = "h = h + A v: a steering vector v, one number per neuron (steer adds it);\n"
                "alpha=A defaults to 1",
        .completions = iv_add_words,
        .args = iv_add_args, .option = iv_add_option, .prepare = iv_add_prepare, .check = iv_add_check,
        .apply = iv_apply_add, /* a shift: the gradient passes through */
        .params = iv_add_params, .session = iv_add_session,
    },
};

#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

const iv_kind_info *iv_kinds(int *count)
{
    *count = N_KINDS;
    return kinds;
}

const iv_kind_info *iv_kind_info_of(iv_kind kind)
{
    for (int i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind)
            return &kinds[i];
    return NULL;
}

const iv_kind_info *iv_kind_find(const char *name)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(name, kinds[i].name) == 0)
            return &kinds[i];
    return NULL;
}

/* ---- what the rest of the engine asks of a kind ---------------------------------------------- */

const char *iv_kind_name(iv_kind k)
{
    const iv_kind_info *info = iv_kind_info_of(k);
    return info ? info->name : "?";
}

int iv_kind_parse(const char *name, iv_kind *out)
{
    const iv_kind_info *info = iv_kind_find(name);
    if (!info)
        return -1;
    *out = info->kind;
    return 0;
}

static bool has_flag(iv_kind k, unsigned flag)
{
    const iv_kind_info *info = iv_kind_info_of(k);
    return info && (info->flags & flag);
}

bool iv_kind_is_stochastic(iv_kind k) { return has_flag(k, IV_KIND_RANDOM); }

bool iv_kind_needs_stats(iv_kind k) { return has_flag(k, IV_KIND_NEEDS_STATS); }

bool iv_intervention_uses_reference(const iv_intervention *iv)
{
    const iv_kind_info *info = iv_kind_info_of(iv->kind);
    if (!info || !(info->flags & IV_KIND_NEEDS_STATS))
        return false;
    return info->uses_reference ? info->uses_reference(iv) : true;
}

char *iv_intervention_params(const iv_intervention *iv)
{
    const iv_kind_info *info = iv_kind_info_of(iv->kind);
    return info && info->params ? info->params(iv) : iv_xstrdup("");
}

char *iv_kind_session_words(const iv_intervention *iv)
{
    const iv_kind_info *info = iv_kind_info_of(iv->kind);
    return info && info->session ? info->session(iv) : iv_intervention_params(iv);
}

/* ---- reading ablate's words ------------------------------------------------------------------ */

/* Whether list (keys with ", " between them) holds key, klen long. */
static bool has_key(const char *list, const char *key, size_t klen)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == klen && strncmp(p, key, klen) == 0)
            return true;
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return false;
}

/* Appends the keys of a list of completions ("k=", "std=site": k, std) that b does not hold yet. */
static void append_keys(iv_buf *b, const char *const *words)
{
    for (int w = 0; words && words[w]; w++) {
        size_t klen = strcspn(words[w], "=");
        if (!has_key(b->data, words[w], klen))
            iv_buf_printf(b, "%s%.*s", b->len ? ", " : "", (int)klen, words[w]);
    }
}

/* The keys every kind takes, e.g. "k, sigma, std, samples, seed". */
static const char *all_option_keys(void)
{
    static char *text;
    if (!text) {
        iv_buf b = {0};
        iv_buf_printf(&b, "%s", "");
        for (int i = 0; i < N_KINDS; i++)
            append_keys(&b, kinds[i].completions);
        text = b.data;
    }
    return text;
}

int iv_kind_parse_words(iv_intervention *iv, int argc, char **argv, iv_error *err)
{
    const iv_kind_info *info = iv_kind_info_of(iv->kind);
    if (!info)
        return iv_error_set(err, "no such kind of intervention");
    int a = 0;
    if (info->args) {
        a = info->args(iv, argc, argv, err);
        if (a < 0)
            return -1;
    }
    for (; a < argc; a++) {
        const char *opt = argv[a], *eq = strchr(opt, '=');
        if (!eq)
            return iv_error_set(err, "'%s': options are KEY=VALUE (%s)", opt, all_option_keys());
        size_t klen = (size_t)(eq - opt);
        int rc = info->option ? info->option(iv, opt, klen, eq + 1, err) : 1;
        if (rc < 0)
            return -1;
        if (rc > 0) {
            iv_buf keys = {0};
            iv_buf_printf(&keys, "%s", "");
            append_keys(&keys, info->completions);
            bool any = keys.len > 0;
            iv_error_set(err, "'%s': %s ablation takes no option '%.*s'%s%s%s", opt, info->name,
                         (int)klen, opt, any ? " (options: " : "", keys.data, any ? ")" : "");
            iv_buf_free(&keys);
            return -1;
        }
    }
    return 0;
}

/* ---- text for help --------------------------------------------------------------------------- */

const char *iv_kinds_names(void)
{
    static char *text;
    if (!text) {
        iv_buf b = {0};
        for (int i = 0; i < N_KINDS; i++)
            iv_buf_printf(&b, "%s%s", i ? ", " : "", kinds[i].name);
        text = b.data;
    }
    return text;
}

const char *iv_kinds_usage(void)
{
    static char *text;
    if (!text) {
        iv_buf b = {0};
        for (int i = 0; i < N_KINDS; i++)
            iv_buf_printf(&b, "%s%s", i ? "|" : "", kinds[i].usage);
        text = b.data;
    }
    return text;
}

char *iv_kinds_help(int indent, int column)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "%s", "");
    for (int i = 0; i < N_KINDS; i++) {
        iv_buf_printf(&b, "%*s%-*s", indent, "", column - indent, kinds[i].usage);
        if (!*kinds[i].help)
            iv_buf_printf(&b, "\n");
        for (const char *line = kinds[i].help; *line;) {
            size_t len = strcspn(line, "\n");
            iv_buf_printf(&b, "%*s%.*s\n", line == kinds[i].help ? 0 : column, "", (int)len,
                          line);
            line += len;
            if (*line == '\n')
                line++;
        }
    }
    return b.data;
}
