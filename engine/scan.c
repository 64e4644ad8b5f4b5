/* scan.c - activation-patching scans at the base input and over the dataset, and attribution
 * patching (scan.h). */
#include "scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "kinds.h"
#include "metrics.h"

/* ---- rows and the measured output ------------------------------------------------------------ */

/* A site of one neuron gets no row for the site whole: it would repeat the neuron's. */
static int whole_row(const iv_model *m, int site) { return iv_model_site_width(m, site) > 1; }

int iv_scan_rows(const iv_model *m, int site, iv_scan_row **rows)
{
    int first = site < 0 ? 0 : site, last = site < 0 ? iv_model_site_count(m) - 1 : site;
    int n = 0;
    for (int s = first; s <= last; s++)
        n += iv_model_site_width(m, s) + whole_row(m, s);
    iv_scan_row *r = iv_xmalloc(sizeof *r * (size_t)n);
    int k = 0;
    for (int s = first; s <= last; s++) {
        for (int i = 0; i < iv_model_site_width(m, s); i++)
            r[k++] = (iv_scan_row){s, i};
        if (whole_row(m, s))
            r[k++] = (iv_scan_row){s, IV_SCAN_WHOLE};
    }
    *rows = r;
    return n;
}

int iv_scan_default_output(const iv_workspace *ws)
{
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    const float *y = ws->clean->site[out];
    int top = 0;
    for (int k = 1; k < w; k++)
        top = y[k] > y[top] ? k : top;
    return top;
}

int iv_scan_check_kind(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n,
                       iv_error *err)
{
    if (kind != IV_PATCH && kind != IV_ZERO && kind != IV_MEAN)
        return iv_error_set(err, "a scan applies patch, zero or mean, not %s", iv_kind_name(kind));
    if (kind == IV_PATCH && (!ws->has_source || !ws->source_acts))
        return iv_error_set(err, "patch needs a source input: set one with 'source'");
    if (kind != IV_MEAN)
        return 0;
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    for (int r = 0; r < n; r++)
        iv_workspace_stats_site(ws, rows[r].site);
    return 0;
}

/* ---- at the base input: one batched pass ----------------------------------------------------- */

/* The batch: group g (samples rows) is rows[g] of the scan. */
typedef struct scan_batch {
    const iv_scan_row *rows;
    int n;
    long samples;
    float **value;            /* (sites) what the scan's kind writes at each neuron, or NULL */
    const iv_apply_ctx *ctx;  /* the workspace's interventions */
    bool random;              /* some intervention on is random: each group draws on its own */
} scan_batch;

/* The scan's replacement at `site`, for the groups whose row is there. */
static void replace_rows(const scan_batch *b, int site, float *values, int width)
{
    const float *v = b->value[site];
    for (int g = 0; g < b->n; g++) {
        if (b->rows[g].site != site)
            continue;
        for (long s = 0; s < b->samples; s++) {
            float *row = values + ((long)g * b->samples + s) * width;
            if (b->rows[g].neuron == IV_SCAN_WHOLE)
                memcpy(row, v, sizeof(float) * (size_t)width);
            else
                row[b->rows[g].neuron] = v[b->rows[g].neuron];
        }
    }
}

/* The workspace's interventions, then the scan's, at each site. A random intervention seeds its
 * draws at each call, so calling it once per group gives every group the draws of the base run
 * (and `show out`'s numbers); the others act on each row alike and are applied to all at once. */
static void scan_hook(int site, float *values, long n, int width, void *user)
{
    const scan_batch *b = user;
    if (b->random)
        for (int g = 0; g < b->n; g++)
            iv_apply_hook(site, values + (long)g * b->samples * width, b->samples, width,
                          (void *)b->ctx);
    else
        iv_apply_hook(site, values, n, width, (void *)b->ctx);
    if (b->value[site])
        replace_rows(b, site, values, width);
}

/* What `kind` writes at every neuron of `site`, as its own pass would write it. */
static float *kind_values(const iv_workspace *ws, iv_kind kind, int site)
{
    int w = iv_model_site_width(ws->model, site);
    int *idx = iv_xmalloc(sizeof(int) * (size_t)w);
    for (int i = 0; i < w; i++)
        idx[i] = i;
    iv_intervention iv = {.kind = kind, .enabled = true, .addr = {site, w, idx}};
    iv_apply_ctx ctx = {.stats = ws->stats, .source = ws->source_acts};
    const iv_kind_info *info = iv_kind_info_of(kind);
    float *v = iv_xmalloc(sizeof(float) * (size_t)w);
    for (int i = 0; i < w; i++)
        v[i] = (float)info->fixed_value(&iv, &ctx, i);
    free(idx);
    return v;
}

static bool any_random(const iv_workspace *ws)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && iv_kind_is_stochastic(ws->list[i].kind))
            return true;
    return false;
}

/* The reference row whose inputs are the base input's, so resample skips it as the run did. */
static long base_row(const iv_workspace *ws)
{
    int d = ws->model->n_inputs;
    for (long r = 0; ws->data && r < ws->data->n; r++)
        if (memcmp(ws->data->x + r * d, ws->base, sizeof(float) * (size_t)d) == 0)
            return r;
    return -1;
}

/* Mean over `samples` rows of output k, minus the clean value: as show's change is computed. */
static double change_of(const float *y, long samples, int w, int k, float clean)
{
    double sum = 0;
    for (long s = 0; s < samples; s++)
        sum += y[s * w + k];
    return sum / (double)samples - clean;
}

static int evaluated(const iv_workspace *ws, iv_error *err)
{
    if (!ws->clean || !ws->intervened)
        return iv_error_set(err, "nothing is evaluated (the last run failed; see its message)");
    return 0;
}

int iv_scan_output(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n, int out_k,
                   double *change, double *baseline, iv_error *err)
{
    if (evaluated(ws, err) < 0 || iv_scan_check_kind(ws, kind, rows, n, err) < 0)
        return -1;
    const iv_model *m = ws->model;
    long S = ws->intervened->n;
    iv_acts *acts = iv_acts_new(m, (long)n * S, err);
    if (!acts)
        return -1;
    /* Every row is the base run up to the first scanned site: start from the intervened run's
     * values there (its interventions at that site applied), as a pass over the dataset starts
     * from the clean ones. */
    int first = rows[0].site;
    for (int g = 1; g < n; g++)
        first = rows[g].site < first ? rows[g].site : first;
    int start = iv_model_pass_start(m, first), w = iv_model_site_width(m, start);
    for (int g = 0; g < n; g++)
        memcpy(acts->site[start] + (long)g * S * w, ws->intervened->site[start],
               sizeof(float) * (size_t)(S * w));

    float **value = iv_xcalloc((size_t)m->n_sites, sizeof(float *));
    for (int g = 0; g < n; g++)
        if (!value[rows[g].site])
            value[rows[g].site] = kind_values(ws, kind, rows[g].site);
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, S);
    long self = base_row(ws);
    ctx.self_row = &self;
    scan_batch b = {rows, n, S, value, &ctx, any_random(ws)};
    if (value[start])
        replace_rows(&b, start, acts->site[start], w);
    iv_forward_after(m, acts, start, scan_hook, &b);

    int out = iv_model_output_site(m), wo = iv_model_output_width(m);
    float clean = ws->clean->site[out][out_k];
    for (int g = 0; g < n; g++)
        change[g] = change_of(acts->site[out] + (long)g * S * wo, S, wo, out_k, clean);
    *baseline = change_of(ws->intervened->site[out], S, wo, out_k, clean);
    for (int s = 0; s < m->n_sites; s++)
        free(value[s]);
    free(value);
    iv_acts_free(acts);
    return 0;
}

/* ---- over the dataset: a pass per row -------------------------------------------------------- */

int iv_scan_loss(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n, double *gap,
                 iv_error *err)
{
    if (iv_scan_check_kind(ws, kind, rows, n, err) < 0 || iv_workspace_reference(ws, err) < 0)
        return -1;
    const iv_model *m = ws->model;
    int count = ws->count;
    /* The workspace's list, shared, with the row's intervention after it. */
    iv_intervention *list = iv_xcalloc((size_t)count + 1, sizeof *list);
    if (count)
        memcpy(list, ws->list, sizeof *list * (size_t)count);
    int max_w = 1;
    for (int s = 0; s < m->n_sites; s++)
        max_w = iv_model_site_width(m, s) > max_w ? iv_model_site_width(m, s) : max_w;
    int *all = iv_xmalloc(sizeof(int) * (size_t)max_w);
    for (int i = 0; i < max_w; i++)
        all[i] = i;
    int rc = 0;
    for (int g = 0; g < n && rc == 0; g++) {
        const iv_scan_row *r = &rows[g];
        bool whole = r->neuron == IV_SCAN_WHOLE;
        int one = r->neuron;
        iv_addr addr = {r->site, whole ? iv_model_site_width(m, r->site) : 1, whole ? all : &one};
        list[count] = (iv_intervention){.kind = kind, .enabled = true, .addr = addr,
                                        .k = IV_DEFAULT_NOISE_K, .samples = IV_DEFAULT_SAMPLES,
                                        .seed = ws->seed};
        iv_job_range was = iv_job_part(ws->job, (double)g / n, (double)(g + 1) / n);
        rc = iv_loss_gap(ws, list, count + 1, &gap[g], err);
        iv_job_restore(ws->job, was);
    }
    free(all);
    free(list);
    return rc;
}

/* ---- attribution patching -------------------------------------------------------------------- */

/* Keeps the gradient at `site` as the next operation read it (after the interventions there,
 * where the scan's patch would act), then lets the interventions rewrite it as usual. */
typedef struct capture {
    int site;
    float *grad;               /* (rows, width) */
    const iv_apply_ctx *ctx;
} capture;

static void capture_hook(int site, float *grad, long n, int width, void *user)
{
    const capture *c = user;
    if (site == c->site)
        memcpy(c->grad, grad, sizeof(float) * (size_t)(n * width));
    iv_apply_backward_hook(site, grad, n, width, (void *)c->ctx);
}

int iv_attribute(iv_workspace *ws, int site, int out_k, iv_attribution *a, iv_error *err)
{
    memset(a, 0, sizeof *a);
    if (evaluated(ws, err) < 0)
        return -1;
    if (!ws->has_source || !ws->source_acts)
        return iv_error_set(err, "attribution patching needs a source input: set one with "
                            "'source'");
    const iv_model *m = ws->model;
    const iv_acts *run = ws->intervened;
    long S = run->n;
    int w = iv_model_site_width(m, site), wo = iv_model_output_width(m);
    iv_acts *grads = iv_acts_new(m, S, err);
    if (!grads)
        return -1;
    /* d(mean over the samples of output k) / d(each row's output) */
    float *grad_out = iv_xcalloc((size_t)(S * wo), sizeof(float));
    for (long s = 0; s < S; s++)
        grad_out[s * wo + out_k] = (float)(1.0 / (double)S);
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, S);
    capture c = {site, iv_xcalloc((size_t)(S * w), sizeof(float)), &ctx};
    iv_backward_hooked(m, run, grad_out, grads, site, capture_hook, &c);

    a->width = w;
    a->source = iv_xcalloc((size_t)w, sizeof(double));
    a->base = iv_xcalloc((size_t)w, sizeof(double));
    a->gradient = iv_xcalloc((size_t)w, sizeof(double));
    a->estimate = iv_xcalloc((size_t)w, sizeof(double));
    const float *src = ws->source_acts->site[site], *x = run->site[site];
    for (int i = 0; i < w; i++) {
        a->source[i] = src[i];
        for (long s = 0; s < S; s++) {
            double g = c.grad[s * w + i];
            a->base[i] += x[s * w + i];
            a->gradient[i] += g;
            a->estimate[i] += ((double)src[i] - x[s * w + i]) * g;
        }
        a->base[i] /= (double)S;
    }
    free(c.grad);
    free(grad_out);
    iv_acts_free(grads);
    return 0;
}

void iv_attribution_free(iv_attribution *a)
{
    free(a->source);
    free(a->base);
    free(a->gradient);
    free(a->estimate);
    memset(a, 0, sizeof *a);
}

double iv_pearson(const double *x, const double *y, int n)
{
    if (n < 2)
        return NAN;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (!(sxx > 0) || !(syy > 0))
        return NAN;
    return sxy / sqrt(sxx * syy);
}
