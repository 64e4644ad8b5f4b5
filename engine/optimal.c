/* optimal.c - optimal ablation: the constants that minimise the loss gap (Li & Janson 2024).
 *
 * Candidates first, so the result is never worse than zero or the mean (or a reference example's
 * values, resample's ingredients); then for one neuron a grid and a golden-section search, for
 * two alternating golden-section searches, for more Adam on the constants through the backward
 * pass. Every evaluation is a pass from the site down (pass.h). On a large set (LARGE_SET) the
 * candidates and the grid are screened on a sample, the golden section stops when the bracket is
 * tiny, and Adam reads minibatches; a small set, the lecture's, is searched exactly as always. */
#include "ablation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "budget.h"
#include "metrics.h"
#include "optim.h"
#include "pass.h"

#define MAX_CANDIDATES 256 /* reference examples tried as constants */
#define GRID_POINTS 81     /* one-neuron grid, before golden-section refinement */
#define GOLDEN_STEPS 40
#define GOLDEN_TOLERANCE 1e-5 /* of the first bracket: where a large set's search may stop */
#define ADAM_STEPS 300
#define LARGE_SET 4096       /* examples past which the search screens and Adam takes minibatches */
#define ADAM_FULL_BATCH LARGE_SET /* examples up to which every step reads the whole set */
#define SCREEN_EXAMPLES 1024 /* the sample candidates are screened on, in a large set */
#define SCREEN_BLOCKS 8
#define SCREEN_KEEP 8        /* screened candidates judged on the whole set */
#define ADAM_BATCH 1024      /* examples in a minibatch of a larger set */
#define ADAM_CHECK 25        /* steps between judging the point on the whole set */
#define ADAM_PATIENCE 3      /* checks without progress before stopping */
#define ADAM_PROGRESS 1e-4   /* what counts as progress: this fraction of the gap */
#define COLUMNS_MAX_SHARE 4  /* the gradient of a few columns only, when at most a quarter */

/* ---- the objective: the gap of setting the neurons to constants ------------------------------ */

typedef struct objective {
    iv_workspace *ws;
    iv_intervention iv; /* an IV_OPTIMAL intervention whose values are the point evaluated */
    double best;
    double *best_values;
    int evaluations;
    int planned;        /* evaluations the search expects to make: each is its share of the job */
} objective;

/* A share of what is left of the job for one more step of the search, so that the bar moves
 * evenly through the evaluations the search expects (o->planned). */
static iv_job_range share_begin(objective *o, double *share)
{
    *share = o->planned > o->evaluations ? 1.0 / (o->planned - o->evaluations) : 1;
    return iv_job_part(iv_pass_job(o->ws), 0, *share);
}

static void share_end(objective *o, iv_job_range was, double share)
{
    iv_job *job = iv_pass_job(o->ws);
    iv_job_restore(job, was);
    if (job) { /* this step is done: what is left starts after it */
        job->start += job->span * share;
        job->span *= 1 - share;
    }
}

/* f(values): the gap, remembering the best point seen. */
static double evaluate(objective *o, const double *values, iv_error *err)
{
    memcpy(o->iv.values, values, sizeof(double) * (size_t)o->iv.addr.n);
    double gap, share;
    iv_job_range was = share_begin(o, &share);
    int rc = iv_loss_gap(o->ws, &o->iv, 1, &gap, err);
    share_end(o, was, share);
    if (rc < 0)
        return NAN;
    o->evaluations++;
    if (gap < o->best) {
        o->best = gap;
        memcpy(o->best_values, values, sizeof(double) * (size_t)o->iv.addr.n);
    }
    return gap;
}

/* A candidate's loss gap on a sample of a large set: SCREEN_BLOCKS runs of examples spread evenly
 * over it, SCREEN_EXAMPLES in all, a tenth of the work of the whole set at 10,000 examples. */
static int screen_gap(objective *o, const double *values, double *gap, iv_error *err)
{
    iv_workspace *ws = o->ws;
    memcpy(o->iv.values, values, sizeof(double) * (size_t)o->iv.addr.n);
    iv_metrics_acc acc;
    if (iv_metrics_begin(ws, &acc, err) < 0)
        return -1;
    long n = ws->data->n, run = SCREEN_EXAMPLES / SCREEN_BLOCKS;
    int rc = 0, out = iv_model_output_site(ws->model);
    for (int b = 0; b < SCREEN_BLOCKS && rc == 0; b++)
        rc = iv_workspace_pass_range(ws, &o->iv, 1, out, b * (n / SCREEN_BLOCKS), run, iv_metrics_pass_loss,
                                     &acc, err);
    iv_metrics mt;
    iv_metrics_end(&acc, &mt);
    *gap = mt.loss_gap;
    return rc;
}

typedef struct candidate {
    double gap;
    long row;
} candidate;

static int by_gap(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    return x->gap < y->gap ? -1 : x->gap > y->gap ? 1 : (x->row > y->row) - (x->row < y->row);
}

/* Zero, the mean, and the values of (up to MAX_CANDIDATES evenly spread) reference examples. On a
 * large set the examples' values are first screened on a sample of it, and only the best
 * SCREEN_KEEP are judged on the whole (zero and the mean always are). */
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
    bool screen = n > LARGE_SET;
    /* One neuron on a large set: its examples' values all lie in the range search_one grids more
     * densely, so only zero and the mean are tried here (a small set tries them all, as always). */
    if (screen && a->n == 1)
        n = 0;
    candidate *cand = iv_xmalloc(sizeof *cand * (size_t)(n / step + 1));
    long count = 0;
    for (long r = 0; rc == 0 && r < n; r += step) {
        for (int j = 0; j < a->n; j++)
            v[j] = ws->ref_acts->site[site][r * w + a->idx[j]];
        if (!screen) {
            if (isnan(evaluate(o, v, err)))
                rc = -1;
            continue;
        }
        double share;
        iv_job_range was = share_begin(o, &share);
        cand[count].row = r;
        rc = screen_gap(o, v, &cand[count++].gap, err);
        share_end(o, was, share);
        o->evaluations++;
    }
    if (screen && rc == 0) {
        qsort(cand, (size_t)count, sizeof *cand, by_gap);
        for (long c = 0; rc == 0 && c < count && c < SCREEN_KEEP; c++) {
            for (int j = 0; j < a->n; j++)
                v[j] = ws->ref_acts->site[site][cand[c].row * w + a->idx[j]];
            if (isnan(evaluate(o, v, err)))
                rc = -1;
        }
    }
    free(cand);
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
    /* On a large set the search stops once the bracket is a hundred-thousandth of where it began,
     * far below what the loss can tell apart there; a small set runs every step, as it always has. */
    double stop = o->ws->data->n > LARGE_SET ? GOLDEN_TOLERANCE * (hi - lo) : 0;
    for (int step = 0; step < GOLDEN_STEPS && !isnan(fa) && !isnan(fb) && hi - lo > stop; step++) {
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
    bool screen = o->ws->data->n > LARGE_SET;
    candidate grid[GRID_POINTS];
    for (int g = 0; g < GRID_POINTS; g++) {
        v = lo + g * step;
        if (!screen) {
            if (isnan(evaluate(o, &v, err)))
                return -1;
            continue;
        }
        /* On a large set the grid is screened on the sample, as the candidates are. */
        double share;
        iv_job_range was = share_begin(o, &share);
        grid[g].row = g;
        int rc = screen_gap(o, &v, &grid[g].gap, err);
        share_end(o, was, share);
        o->evaluations++;
        if (rc < 0)
            return -1;
    }
    if (screen) {
        qsort(grid, GRID_POINTS, sizeof *grid, by_gap);
        for (int g = 0; g < SCREEN_KEEP / 2; g++) {
            v = lo + (double)grid[g].row * step;
            if (isnan(evaluate(o, &v, err)))
                return -1;
        }
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

/* One step of Adam over a chunk of examples: the loss's gradient at the output of each row, back
 * to the site, where the intervention's own backward adds its constants' gradient into g. */
typedef struct adam_pass {
    objective *o;
    iv_metrics_acc acc;
    bool want_gap;      /* the whole set is the batch: the loss of this point comes too */
    double *g;          /* (addressed neurons) */
    long rows;          /* rows the gradient was summed over */
    float **block;      /* the gradients' memory, kept from step to step (fresh pages cost) */
    size_t *block_floats;
} adam_pass;

static int adam_chunk(const iv_pass_chunk *c, void *user, iv_error *err)
{
    adam_pass *p = user;
    iv_workspace *ws = p->o->ws;
    const iv_model *m = ws->model;
    const iv_acts *acts = c->acts;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    long rows = acts->n;
    if (p->want_gap)
        iv_metrics_add(&p->acc, acts->site[out], c->first, c->n, c->samples, false);
    size_t per_row = 0; /* the gradients of the sites the pass computed */
    for (int s = c->start; s < m->n_sites; s++)
        per_row += (size_t)m->sites[s].width;
    if (*p->block_floats < (size_t)rows * per_row) {
        free(*p->block);
        *p->block_floats = 0;
        *p->block = iv_big_alloc((size_t)rows, per_row * sizeof(float), "the gradients", err);
        if (!*p->block)
            return -1;
        *p->block_floats = (size_t)rows * per_row;
    }
    float *block = *p->block;
    iv_acts grads = {.n = rows, .n_sites = m->n_sites, .width = acts->width, .block = block};
    grads.site = iv_xcalloc((size_t)m->n_sites, sizeof(float *));
    float *q = block;
    for (int s = c->start; s < m->n_sites; s++) {
        grads.site[s] = q;
        q += (size_t)rows * (size_t)m->sites[s].width;
    }
    iv_metrics_grad(&p->acc, acts->site[out], c->first, c->n, c->samples, grads.site[out]);
    (void)w;
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, c->samples);
    ctx.list = &p->o->iv;
    ctx.count = 1;
    ctx.batch_is_reference = true;
    double *param_grad[1] = {p->g};
    ctx.param_grad = param_grad;
    /* The constants' gradient reads only their own neurons' columns at the site: when those are
     * few, the last product back computes only them (a 16-neuron search on a 512-wide layer:
     * 1/32 of the product). */
    const iv_addr *a = &p->o->iv.addr;
    if (a->n * COLUMNS_MAX_SHARE <= m->sites[a->site].width)
        iv_backward_columns(m, acts, grads.site[out], &grads, a->site, a->idx, a->n,
                            iv_apply_backward_hook, &ctx);
    else
        iv_backward_hooked(m, acts, grads.site[out], &grads, a->site, iv_apply_backward_hook,
                           &ctx);
    p->rows += rows;
    free(grads.site);
    return 0;
}

/* More neurons: Adam on the constants from the best candidate, gradients by the backward pass
 * from the output down to the site only. A set of up to ADAM_FULL_BATCH examples is the batch
 * itself, and every step's point is a candidate; a larger one is read in minibatches of
 * ADAM_BATCH, in order, and the point is judged on the whole set every ADAM_CHECK steps, stopping
 * when that has not improved for ADAM_PATIENCE checks. The best point seen is kept, so the search
 * never returns anything worse than zero or the mean (the first candidates). */
static int search_adam(objective *o, iv_error *err)
{
    iv_workspace *ws = o->ws;
    int n = o->iv.addr.n, site = o->iv.addr.site;
    long examples = ws->data->n;
    bool full = examples <= ADAM_FULL_BATCH;
    long batch = full ? examples : ADAM_BATCH;
    double *v = iv_xmalloc(sizeof(double) * (size_t)n), *g = iv_xcalloc((size_t)n, sizeof(double));
    memcpy(v, o->best_values, sizeof(double) * (size_t)n);
    double lr = 0;
    for (int j = 0; j < n; j++)
        lr = fmax(lr, ws->stats->std[site][o->iv.addr.idx[j]]);
    iv_adam adam;
    iv_adam_init(&adam, n, 0.02 * (lr > 0 ? lr : 1));
    int rc = 0, stale = 0;
    double checked = o->best;
    float *block = NULL;
    size_t block_floats = 0;
    int out = iv_model_output_site(ws->model);
    for (int step = 1; step <= ADAM_STEPS && rc == 0; step++) {
        memcpy(o->iv.values, v, sizeof(double) * (size_t)n);
        adam_pass p = {.o = o, .want_gap = full, .g = g, .block = &block,
                       .block_floats = &block_floats};
        memset(g, 0, sizeof(double) * (size_t)n);
        long first = full ? 0 : ((long)(step - 1) * batch) % examples;
        long count = examples - first < batch ? examples - first : batch;
        double share;
        iv_job_range was = share_begin(o, &share);
        rc = iv_metrics_begin(ws, &p.acc, err);
        if (rc == 0)
            rc = iv_workspace_pass_range(ws, &o->iv, 1, site, first, count, adam_chunk, &p, err);
        iv_metrics gap;
        iv_metrics_end(&p.acc, &gap);
        share_end(o, was, share);
        if (rc < 0)
            break;
        o->evaluations++;
        if (full && gap.loss_gap < o->best) {
            o->best = gap.loss_gap;
            memcpy(o->best_values, v, sizeof(double) * (size_t)n);
        }
        for (int j = 0; j < n; j++)
            g[j] /= (double)p.rows;
        iv_adam_step(&adam, v, g);
        if (!full && (step % ADAM_CHECK == 0 || step == ADAM_STEPS)) {
            if (isnan(evaluate(o, v, err))) {
                rc = -1;
                break;
            }
            stale = o->best < checked * (1 - ADAM_PROGRESS) ? 0 : stale + 1;
            checked = fmin(checked, o->best);
            if (stale >= ADAM_PATIENCE)
                break;
        }
    }
    (void)out;
    free(block);
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
    /* What the search will evaluate, so that progress moves evenly (an estimate for Adam, which
     * may stop early). */
    long n_ref = ws->ref_acts->n, step = n_ref > MAX_CANDIDATES ? n_ref / MAX_CANDIDATES : 1;
    bool no_examples = n_ref > LARGE_SET && addr->n == 1; /* as try_candidates decides */
    o.planned = 2 + (no_examples ? 0 : (int)((n_ref + step - 1) / step)) +
                (addr->n == 1 ? GRID_POINTS + 2 + GOLDEN_STEPS
                              : addr->n == 2 ? 8 * 2 * (2 + GOLDEN_STEPS) : ADAM_STEPS);
    iv_job_range whole = iv_job_part(iv_pass_job(ws), 0, 1);
    int rc = try_candidates(&o, err);
    if (rc == 0)
        rc = addr->n == 1 ? search_one(&o, err) : addr->n == 2 ? search_two(&o, err)
                                                               : search_adam(&o, err);
    iv_job_restore(iv_pass_job(ws), whole);
    memcpy(values, o.best_values, sizeof(double) * (size_t)addr->n);
    *gap = o.best;
    free(o.iv.values);
    free(o.best_values);
    return rc;
}

