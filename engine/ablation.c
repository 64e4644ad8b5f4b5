/* ablation.c - loss gaps, the search for optimal constants, and the comparison of ablations. */
#include "ablation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "metrics.h"
#include "optim.h"
#include "pass.h"

#define MAX_CANDIDATES 256 /* reference examples tried as constants */
#define GRID_POINTS 81     /* one-neuron grid, before golden-section refinement */
#define GOLDEN_STEPS 40
#define ADAM_STEPS 300

static int add_loss(const iv_pass_chunk *c, void *user, iv_error *err)
{
    (void)err;
    iv_metrics_add(user, c->acts->site[c->acts->n_sites - 1], c->first, c->n, c->samples, false);
    return 0;
}

int iv_loss_gap(iv_workspace *ws, const iv_intervention *list, int count, double *gap,
                iv_error *err)
{
    iv_metrics_acc acc;
    if (iv_workspace_reference(ws, err) < 0 || iv_metrics_begin(ws, &acc, err) < 0)
        return -1;
    int rc = iv_workspace_pass(ws, list, count, iv_model_output_site(ws->model), add_loss, &acc,
                               err);
    iv_metrics mt;
    iv_metrics_end(&acc, &mt);
    *gap = mt.loss_gap;
    return rc;
}

/* ---- the objective: the gap of setting the neurons to constants ------------------------------ */

typedef struct objective {
    iv_workspace *ws;
    iv_intervention iv; /* an IV_OPTIMAL intervention whose values are the point evaluated */
    double best;
    double *best_values;
    int evaluations;
} objective;

/* f(values): the gap, remembering the best point seen. */
static double evaluate(objective *o, const double *values, iv_error *err)
{
    memcpy(o->iv.values, values, sizeof(double) * (size_t)o->iv.addr.n);
    double gap;
    if (iv_loss_gap(o->ws, &o->iv, 1, &gap, err) < 0)
        return NAN;
    o->evaluations++;
    if (gap < o->best) {
        o->best = gap;
        memcpy(o->best_values, values, sizeof(double) * (size_t)o->iv.addr.n);
    }
    return gap;
}

/* Zero, the mean, and the values of (up to MAX_CANDIDATES evenly spread) reference examples. */
static int try_candidates(objective *o, iv_error *err)
{
    const iv_workspace *ws = o->ws;
    const iv_addr *a = &o->iv.addr;
    int site = a->site, w = iv_model_site_width(ws->model, site);
    double *v = iv_xcalloc((size_t)a->n, sizeof(double));
    int rc = isnan(evaluate(o, v, err)) ? -1 : 0;
    for (int j = 0; j < a->n; j++)
        v[j] = ws->stats->mean[site][a->idx[j]];
    if (rc == 0 && isnan(evaluate(o, v, err)))
        rc = -1;
    long n = ws->ref_acts->n, step = n > MAX_CANDIDATES ? n / MAX_CANDIDATES : 1;
    for (long r = 0; rc == 0 && r < n; r += step) {
        for (int j = 0; j < a->n; j++)
            v[j] = ws->ref_acts->site[site][r * w + a->idx[j]];
        if (isnan(evaluate(o, v, err)))
            rc = -1;
    }
    free(v);
    return rc;
}

/* Golden-section search of coordinate j on [lo, hi], the other coordinates fixed at the best. */
static int golden(objective *o, int j, double lo, double hi, iv_error *err)
{
    const double ratio = 0.6180339887498949;
    int n = o->iv.addr.n;
    double *v = iv_xmalloc(sizeof(double) * (size_t)n);
    memcpy(v, o->best_values, sizeof(double) * (size_t)n);
    double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
    v[j] = a;
    double fa = evaluate(o, v, err);
    v[j] = b;
    double fb = evaluate(o, v, err);
    for (int step = 0; step < GOLDEN_STEPS && !isnan(fa) && !isnan(fb); step++) {
        if (fa < fb) {
            hi = b, b = a, fb = fa;
            a = hi - ratio * (hi - lo);
            v[j] = a;
            fa = evaluate(o, v, err);
        } else {
            lo = a, a = b, fa = fb;
            b = lo + ratio * (hi - lo);
            v[j] = b;
            fb = evaluate(o, v, err);
        }
    }
    free(v);
    return isnan(fa) || isnan(fb) ? -1 : 0;
}

/* The range searched for neuron j: its values over the dataset, widened by a quarter each way. */
static void search_range(const objective *o, int j, double *lo, double *hi)
{
    const iv_acts *ref = o->ws->ref_acts;
    int site = o->iv.addr.site, w = ref->width[site], i = o->iv.addr.idx[j];
    double mn = INFINITY, mx = -INFINITY;
    for (long r = 0; r < ref->n; r++) {
        mn = fmin(mn, ref->site[site][r * w + i]);
        mx = fmax(mx, ref->site[site][r * w + i]);
    }
    double span = mx > mn ? mx - mn : 1;
    *lo = fmin(mn, 0) - span / 4;
    *hi = fmax(mx, 0) + span / 4;
}

/* One neuron: a fine grid, then golden-section search between the grid points around the best. */
static int search_one(objective *o, iv_error *err)
{
    double lo, hi, v;
    search_range(o, 0, &lo, &hi);
    double step = (hi - lo) / (GRID_POINTS - 1);
    for (int g = 0; g < GRID_POINTS; g++) {
        v = lo + g * step;
        if (isnan(evaluate(o, &v, err)))
            return -1;
    }
    double c = o->best_values[0];
    return golden(o, 0, c - step, c + step, err);
}

/* Two neurons: alternate golden-section searches on each, narrowing around the best point. */
static int search_two(objective *o, iv_error *err)
{
    double width[2];
    for (int j = 0; j < 2; j++) {
        double lo, hi;
        search_range(o, j, &lo, &hi);
        width[j] = (hi - lo) / 2;
    }
    for (int round = 0; round < 8; round++)
        for (int j = 0; j < 2; j++) {
            double c = o->best_values[j];
            if (golden(o, j, c - width[j], c + width[j], err) < 0)
                return -1;
            width[j] /= 2;
        }
    return 0;
}

/* More neurons: Adam on the constants from the best candidate, gradients by the backward pass. */
static int search_adam(objective *o, iv_error *err)
{
    iv_workspace *ws = o->ws;
    const iv_model *m = ws->model;
    int n = o->iv.addr.n, site = o->iv.addr.site;
    int w_out = iv_model_output_width(m);
    double *v = iv_xmalloc(sizeof(double) * (size_t)n), *g = iv_xcalloc((size_t)n, sizeof(double));
    memcpy(v, o->best_values, sizeof(double) * (size_t)n);
    double lr = 0;
    for (int j = 0; j < n; j++)
        lr = fmax(lr, ws->stats->std[site][o->iv.addr.idx[j]]);
    iv_adam adam;
    iv_adam_init(&adam, n, 0.02 * (lr > 0 ? lr : 1));
    int rc = 0;
    for (int step = 1; step <= ADAM_STEPS && rc == 0; step++) {
        memcpy(o->iv.values, v, sizeof(double) * (size_t)n);
        iv_acts *acts = iv_workspace_run_data(ws, &o->iv, 1, err);
        if (!acts) {
            rc = -1;
            break;
        }
        iv_acts *grads = iv_acts_new(m, acts->n, err);
        if (!grads) {
            iv_acts_free(acts);
            rc = -1;
            break;
        }
        double gap;
        float *grad_out = iv_big_alloc((size_t)(acts->n * w_out), sizeof(float),
                                       "the output gradients", err); /* (rows, w_out) */
        if (!grad_out || iv_metrics_loss_gap(ws, acts, &gap, err) < 0 ||
            iv_metrics_loss_grad(ws, acts, grad_out, err) < 0) {
            free(grad_out);
            iv_acts_free(grads);
            iv_acts_free(acts);
            rc = -1;
            break;
        }
        if (gap < o->best) {
            o->best = gap;
            memcpy(o->best_values, v, sizeof(double) * (size_t)n);
        }
        /* The intervention's own backward gives the gradient of its constants, summed over rows. */
        memset(g, 0, sizeof(double) * (size_t)n);
        double *param_grad[1] = {g};
        iv_workspace_backward_data(ws, &o->iv, 1, acts, grad_out, grads, site, param_grad);
        for (int j = 0; j < n; j++)
            g[j] /= (double)acts->n;
        iv_adam_step(&adam, v, g);
        free(grad_out);
        iv_acts_free(grads);
        iv_acts_free(acts);
    }
    free(v);
    free(g);
    iv_adam_free(&adam);
    return rc;
}

int iv_optimal_ablation(iv_workspace *ws, const iv_addr *addr, double *values, double *gap,
                        iv_error *err)
{
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    iv_workspace_stats_site(ws, addr->site); /* the mean and the spread the search starts from */
    objective o = {.ws = ws, .best = INFINITY};
    o.iv.kind = IV_OPTIMAL;
    o.iv.enabled = true;
    o.iv.addr = *addr; /* borrowed */
    o.iv.values = iv_xcalloc((size_t)addr->n, sizeof(double));
    o.best_values = iv_xcalloc((size_t)addr->n, sizeof(double));
    int rc = try_candidates(&o, err);
    if (rc == 0)
        rc = addr->n == 1 ? search_one(&o, err) : addr->n == 2 ? search_two(&o, err)
                                                               : search_adam(&o, err);
    memcpy(values, o.best_values, sizeof(double) * (size_t)addr->n);
    *gap = o.best;
    free(o.iv.values);
    free(o.best_values);
    return rc;
}

/* ---- the comparison ----------------------------------------------------------------------------- */

static int gap_of(iv_workspace *ws, const iv_addr *addr, iv_kind kind, double *gap, iv_error *err)
{
    iv_intervention iv = {.kind = kind, .enabled = true, .addr = *addr, .k = IV_DEFAULT_NOISE_K,
                          .samples = IV_DEFAULT_SAMPLES, .seed = ws->seed};
    return iv_loss_gap(ws, &iv, 1, gap, err);
}

int iv_compare_ablations(iv_workspace *ws, const iv_addr *addr, iv_comparison *c, iv_error *err)
{
    memset(c, 0, sizeof *c);
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    if (ws->data->n < 2)
        return iv_error_set(err, "compare needs a reference dataset of at least 2 examples");
    c->optimal_values = iv_xcalloc((size_t)addr->n, sizeof(double));
    if (gap_of(ws, addr, IV_ZERO, &c->zero, err) < 0 || gap_of(ws, addr, IV_MEAN, &c->mean, err) < 0 ||
        gap_of(ws, addr, IV_RESAMPLE, &c->resample, err) < 0 ||
        gap_of(ws, addr, IV_NOISE, &c->noise, err) < 0 ||
        iv_optimal_ablation(ws, addr, c->optimal_values, &c->optimal, err) < 0) {
        iv_comparison_free(c);
        return -1;
    }
    return 0;
}

void iv_comparison_free(iv_comparison *c)
{
    free(c->optimal_values);
    c->optimal_values = NULL;
}
