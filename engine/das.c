/* das.c - distributed alignment search: the tuples, the minibatch objective through the frozen
 * network, Adam on the basis and its retraction (das.h). */
#include "das.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "budget.h"
#include "causal.h"
#include "iia.h"
#include "kinds.h"
#include "metrics.h"
#include "optim.h"
#include "rng.h"

/* Tuples whose counterfactuals are computed at once: bounds the scratch of that step. */
#define TARGET_CHUNK 4096L
/* Keeps Q's starting draws apart from the tuples' and the shuffles'. */
#define START_STREAM 0x6a09e667f3bcc909ULL

void iv_das_spec_default(iv_das_spec *s)
{
    memset(s, 0, sizeof *s);
    s->pairs = IV_DAS_DEFAULT_PAIRS;
    s->epochs = 10;
    s->batch = 64;
    s->lr = 0.01;
    s->seed = 1;
    s->holdout = 0.2;
    s->tol = IV_IIA_DEFAULT_TOL;
}

/* ---- checking ---------------------------------------------------------------------------------- */

static long holdout_count(const iv_das_spec *s)
{
    if (s->holdout <= 0)
        return 0;
    long h = (long)(s->holdout * (double)s->pairs + 0.5);
    return h < 1 ? 1 : h;
}

static int check_options(const iv_das_spec *s, iv_error *err)
{
    if (s->pairs < 2 || s->pairs > IV_DAS_MAX_PAIRS)
        return iv_error_set(err, "pairs=%ld: expected a whole number from 2 to %ld", s->pairs,
                            IV_DAS_MAX_PAIRS);
    if (iv_optim_check(s->epochs, IV_DAS_MAX_EPOCHS, s->batch, s->lr, s->holdout, err) < 0)
        return -1;
    if (s->pairs - holdout_count(s) < 1)
        return iv_error_set(err, "holdout=%g of %ld pairs leaves none to train on", s->holdout,
                            s->pairs);
    if (!(s->tol >= 0) || !isfinite(s->tol))
        return iv_error_set(err, "tol=%g: expected a finite number >= 0", s->tol);
    return 0;
}

static int check_variables(const iv_workspace *ws, const iv_das_spec *s, iv_error *err)
{
    const iv_causal *c = ws->causal;
    int width = ws->model->sites[s->site].width, total = 0;
    if (s->n_vars < 1 || s->n_vars > IV_DAS_MAX_VARS)
        return iv_error_set(err, "expected 1 to %d variables", IV_DAS_MAX_VARS);
    for (int v = 0; v < s->n_vars; v++) {
        if (s->vars[v] < 0 || s->vars[v] >= c->n_vars)
            return iv_error_set(err, "variable %d is not one of the causal model's", s->vars[v]);
        for (int u = 0; u < v; u++)
            if (s->vars[u] == s->vars[v])
                return iv_error_set(err, "variable '%s' is named twice", c->names[s->vars[v]]);
        if (s->dims[v] < 1)
            return iv_error_set(err, "dims: '%s' needs at least 1 dimension",
                                c->names[s->vars[v]]);
        total += s->dims[v];
    }
    if (total > width) {
        char site[128];
        iv_model_site_name(ws->model, s->site, site, sizeof site);
        return iv_error_set(err, "dims: %d dimensions in all, more than the %d neurons of %s",
                            total, width, site);
    }
    return 0;
}

int iv_das_check(iv_workspace *ws, const iv_das_spec *s, iv_error *err)
{
    if (!ws->causal)
        return iv_error_set(err, "no causal model: set one first with 'causal FILE' or "
                            "'causal \"NAME = EXPRESSION; ...\"'");
    if (!ws->data) {
        char *hint = iv_workspace_dataset_try(ws);
        iv_error_set(err, "no dataset to draw the pairs from; %s", hint);
        free(hint);
        return -1;
    }
    if (s->site < 0 || s->site >= ws->model->n_sites)
        return iv_error_set(err, "site %d is not a site of the model", s->site);
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled)
            return iv_error_set(err, "intervention #%d (%s) is on: das trains on the clean "
                                "network; switch it off ('toggle %d') or 'clear' the list",
                                ws->list[i].id, iv_kind_name(ws->list[i].kind), ws->list[i].id);
    if (check_options(s, err) < 0 || check_variables(ws, s, err) < 0)
        return -1;
    int k = 0;
    for (int v = 0; v < s->n_vars; v++)
        k += s->dims[v];
    double w = ws->model->sites[s->site].width;
    return iv_budget_check(6.0 * k * w * sizeof(double),
                           "the basis, its gradient and Adam's moments", err);
}

/* ---- the retraction ---------------------------------------------------------------------------- */

int iv_das_retract(double *q, int k, int w, iv_error *err)
{
    double *s = iv_xmalloc(sizeof(double) * (size_t)k), *u = iv_xmalloc(sizeof(double) * (size_t)k *
                                                                        (size_t)k);
    double *vt = iv_xmalloc(sizeof(double) * (size_t)k * (size_t)w);
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', k, w, q, w, s, u, k, vt, w);
    if (info == 0) /* q = U V^T: the singular values all set to 1 */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, w, k, 1.0, u, k, vt, w, 0.0, q,
                    w);
    free(s);
    free(u);
    free(vt);
    if (info != 0)
        return iv_error_set(err, "the SVD of the basis failed (LAPACK dgesdd: %d)", (int)info);
    return 0;
}

/* ---- the problem: tuples, targets, working memory ---------------------------------------------- */

struct iv_das_problem {
    iv_workspace *ws;
    const iv_model *m;
    const iv_das_spec *s;
    int site, start, width, rows, out_site, out_w, stride; /* stride: 1 + variables */
    int pred_off, pred_w; /* the prediction within an output row (iv_model_prediction) */
    bool argmax, logits;
    int *offset;          /* (variables) each one's first row of Q */
    int *idx;             /* 0 .. width - 1: the neurons the rotate arithmetic runs over */
    long n_pairs, n_hold, n_train;
    long *tuples;         /* (n_pairs, stride): base, then a source per variable */
    double *target;       /* (n_pairs) the causal model's counterfactual output */
    long cap;             /* rows of a batch */
    iv_acts *acts, *grads;
    float *before;        /* (cap, width) the base's values at the site, as the shift read them */
    double *shift, *g, *gq; /* scratch: 2 width, width, rows */
    const double *q;      /* the basis the hook applies */
    const long *which;    /* the batch's tuples */
};

void iv_das_problem_free(iv_das_problem *p)
{
    if (!p)
        return;
    free(p->offset);
    free(p->idx);
    free(p->tuples);
    free(p->target);
    iv_acts_free(p->acts);
    iv_acts_free(p->grads);
    free(p->before);
    free(p->shift);
    free(p->g);
    free(p->gq);
    free(p);
}

static void draw_tuples(iv_das_problem *p, long rows)
{
    iv_rng rng;
    iv_rng_seed(&rng, p->s->seed);
    for (long i = 0; i < p->n_pairs * p->stride; i++)
        p->tuples[i] = (long)iv_rng_below(&rng, (uint64_t)rows);
}

/* One tuple's target, or why it cannot be one. */
static int check_target(const iv_das_problem *p, long t, double v, iv_error *err)
{
    const iv_causal *c = p->ws->causal;
    if (!isfinite(v))
        return iv_error_set(err, "the causal model's output '%s' is %g on pair %ld (base row %ld), "
                            "not a finite number", c->names[c->output], v, t, p->tuples[t * p->stride]);
    if (p->argmax && !(v >= 0 && v < p->pred_w && v == floor(v)))
        return iv_error_set(err, "the causal model's output '%s' is %g on pair %ld (base row %ld), "
                            "not a class of the network's %d outputs (0 to %d)",
                            c->names[c->output], v, t, p->tuples[t * p->stride], p->pred_w,
                            p->pred_w - 1);
    return 0;
}

/* The counterfactual of every tuple, a chunk at a time: the base with each variable set to its
 * value on its own source. */
static int compute_targets(iv_das_problem *p, const double *vals, iv_error *err)
{
    const iv_causal *c = p->ws->causal;
    int nv = c->n_vars, k = p->s->n_vars;
    double *base = iv_xmalloc(sizeof(double) * (size_t)(TARGET_CHUNK * nv));
    double *setv = iv_xmalloc(sizeof(double) * (size_t)(TARGET_CHUNK * k));
    double *cf = iv_xmalloc(sizeof(double) * (size_t)(TARGET_CHUNK * nv));
    int rc = 0;
    for (long first = 0; first < p->n_pairs && rc == 0; first += TARGET_CHUNK) {
        long n = p->n_pairs - first < TARGET_CHUNK ? p->n_pairs - first : TARGET_CHUNK;
        for (long i = 0; i < n; i++) {
            const long *t = p->tuples + (first + i) * p->stride;
            memcpy(base + i * nv, vals + t[0] * nv, sizeof(double) * (size_t)nv);
            for (int v = 0; v < k; v++)
                setv[i * k + v] = vals[t[1 + v] * nv + p->s->vars[v]];
        }
        iv_causal_intervene(c, base, n, p->s->vars, k, setv, cf);
        for (long i = 0; i < n && rc == 0; i++) {
            p->target[first + i] = cf[i * nv + c->output];
            rc = check_target(p, first + i, p->target[first + i], err);
        }
    }
    free(base);
    free(setv);
    free(cf);
    return rc;
}

static int alloc_work(iv_das_problem *p, iv_error *err)
{
    p->cap = p->s->batch < p->n_pairs ? p->s->batch : p->n_pairs;
    p->acts = iv_acts_new(p->m, p->cap, err);
    p->grads = p->acts ? iv_acts_new(p->m, p->cap, err) : NULL;
    p->before = p->grads ? iv_big_alloc((size_t)p->cap, sizeof(float) * (size_t)p->width,
                                        "the site's values of a minibatch", err)
                         : NULL;
    if (!p->before)
        return -1;
    p->shift = iv_xmalloc(sizeof(double) * 2 * (size_t)p->width);
    p->g = iv_xmalloc(sizeof(double) * (size_t)p->width);
    p->gq = iv_xmalloc(sizeof(double) * (size_t)p->rows);
    return 0;
}

static int problem_setup(iv_das_problem *p, iv_error *err)
{
    iv_workspace *ws = p->ws;
    const iv_das_spec *s = p->s;
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    p->m = ws->model;
    p->site = s->site;
    p->start = iv_model_pass_start(p->m, s->site);
    p->width = p->m->sites[s->site].width;
    p->out_site = iv_model_output_site(p->m);
    p->out_w = iv_model_output_width(p->m);
    iv_model_prediction(p->m, &p->pred_off, &p->pred_w);
    p->argmax = p->pred_w > 1;
    p->logits = !iv_model_is_classifier(p->m);
    p->stride = 1 + s->n_vars;
    p->offset = iv_xmalloc(sizeof(int) * (size_t)s->n_vars);
    for (int v = 0; v < s->n_vars; v++) {
        p->offset[v] = p->rows;
        p->rows += s->dims[v];
    }
    p->idx = iv_xmalloc(sizeof(int) * (size_t)p->width);
    for (int j = 0; j < p->width; j++)
        p->idx[j] = j;
    p->n_pairs = s->pairs;
    p->n_hold = holdout_count(s);
    p->n_train = p->n_pairs - p->n_hold;
    long rows = ws->data->n;
    int nv = ws->causal->n_vars;
    p->tuples = iv_big_alloc((size_t)p->n_pairs, sizeof(long) * (size_t)p->stride,
                             "the pairs of das", err);
    p->target = p->tuples ? iv_big_alloc((size_t)p->n_pairs, sizeof(double),
                                         "the counterfactuals of das", err)
                          : NULL;
    double *vals = p->target ? iv_big_alloc((size_t)rows, sizeof(double) * (size_t)nv,
                                            "the causal model's values on the dataset", err)
                             : NULL;
    if (!vals)
        return -1;
    draw_tuples(p, rows);
    iv_causal_eval(ws->causal, ws->data->x, rows, vals);
    int rc = compute_targets(p, vals, err);
    free(vals);
    return rc < 0 ? -1 : alloc_work(p, err);
}

iv_das_problem *iv_das_problem_new(iv_workspace *ws, const iv_das_spec *s, iv_error *err)
{
    if (iv_das_check(ws, s, err) < 0)
        return NULL;
    iv_das_problem *p = iv_xcalloc(1, sizeof *p);
    p->ws = ws;
    p->s = s;
    if (problem_setup(p, err) < 0) {
        iv_das_problem_free(p);
        return NULL;
    }
    return p;
}

/* ---- one minibatch ----------------------------------------------------------------------------- */

/* At the site: each row moved to h + sum_v (h_{s_v} - h) Q_v^T Q_v, every shift from the base's h
 * (kept in `before` for the basis's gradient). */
static void das_hook(int site, float *values, long n, int width, void *user)
{
    iv_das_problem *p = user;
    if (site != p->site)
        return;
    const float *ref = p->ws->ref_acts->site[site];
    double *shift = p->shift, *d = p->shift + width;
    for (long r = 0; r < n; r++) {
        float *h = values + r * width, *before = p->before + r * width;
        const long *t = p->tuples + p->which[r] * p->stride;
        memcpy(before, h, sizeof(float) * (size_t)width);
        memset(shift, 0, sizeof(double) * (size_t)width);
        for (int v = 0; v < p->s->n_vars; v++)
            iv_rotate_shift(p->q + (size_t)p->offset[v] * width, p->s->dims[v], width, p->idx,
                            before, ref + t[1 + v] * width, shift, d);
        for (int j = 0; j < width; j++)
            h[j] = (float)(before[j] + shift[j]);
    }
}

/* y is the prediction's part of an output row. */
static bool agrees(const iv_das_problem *p, const float *y, double expected)
{
    if (p->argmax) {
        int top = 0;
        for (int k = 1; k < p->pred_w; k++)
            top = y[k] > y[top] ? k : top;
        return expected == top;
    }
    return fabs((double)y[0] - expected) <= p->s->tol * fmax(1.0, fabs(expected));
}

/* One row's loss against its tuple's target, and (grad not NULL) its gradient. */
static double row_loss(const iv_das_problem *p, const float *y, double target, float *grad)
{
    if (p->argmax) {
        if (grad)
            iv_label_loss_grad(y, p->pred_w, (int)target, p->logits, grad);
        return iv_label_loss(y, p->pred_w, (int)target, p->logits);
    }
    double diff = (double)y[0] - target;
    if (grad)
        grad[0] = (float)(2 * diff);
    return diff * diff;
}

/* dL/dQ of the batch into grad (zeroed by the caller), from the gradient at the site. */
static void basis_gradient(iv_das_problem *p, long n, double *grad)
{
    int w = p->width;
    const float *ref = p->ws->ref_acts->site[p->site];
    for (long r = 0; r < n; r++) {
        const float *gr = p->grads->site[p->site] + r * w;
        const long *t = p->tuples + p->which[r] * p->stride;
        for (int j = 0; j < w; j++)
            p->g[j] = gr[j];
        for (int v = 0; v < p->s->n_vars; v++) {
            const double *q = p->q + (size_t)p->offset[v] * w;
            for (int a = 0; a < p->s->dims[v]; a++) {
                double sum = 0;
                for (int j = 0; j < w; j++)
                    sum += p->g[j] * q[a * w + j];
                p->gq[a] = sum;
            }
            iv_rotate_basis_grad(q, p->s->dims[v], w, p->idx, p->before + r * w,
                                 ref + t[1 + v] * w, p->g, p->gq, grad + (size_t)p->offset[v] * w);
        }
    }
}

/* Runs tuples which[0..n) (n <= cap) with basis q; adds their losses and agreements to the sums;
 * with grad, fills it with the gradient of their mean loss. */
static void batch_run(iv_das_problem *p, const double *q, const long *which, long n, double *grad,
                      double *loss_sum, long *agree)
{
    int ws_start = p->m->sites[p->start].width;
    const float *ref = p->ws->ref_acts->site[p->start];
    for (long r = 0; r < n; r++)
        memcpy(p->acts->site[p->start] + r * ws_start,
               ref + p->tuples[which[r] * p->stride] * ws_start, sizeof(float) * (size_t)ws_start);
    p->q = q;
    p->which = which;
    p->acts->n = n;
    iv_forward_from(p->m, p->acts, p->start, das_hook, p);
    const float *y = p->acts->site[p->out_site];
    float *gout = grad ? p->grads->site[p->out_site] : NULL;
    for (long r = 0; r < n; r++) {
        double target = p->target[which[r]];
        const float *row = y + r * p->out_w + p->pred_off;
        if (gout && p->pred_w < p->out_w) /* the loss reads only the prediction */
            memset(gout + r * p->out_w, 0, sizeof(float) * (size_t)p->out_w);
        *loss_sum += row_loss(p, row, target, gout ? gout + r * p->out_w + p->pred_off : NULL);
        *agree += agrees(p, row, target);
    }
    if (!grad)
        return;
    for (long i = 0; i < n * p->out_w; i++)
        gout[i] /= (float)n; /* the mean over the batch */
    p->grads->n = n;
    iv_backward_hooked(p->m, p->acts, gout, p->grads, p->site, NULL, NULL);
    memset(grad, 0, sizeof(double) * (size_t)p->rows * (size_t)p->width);
    basis_gradient(p, n, grad);
}

int iv_das_objective(iv_das_problem *p, const double *q, long first, long n, double *loss,
                     double *grad)
{
    if (first < 0 || n < 1 || n > p->cap || first + n > p->n_train)
        return -1;
    long *which = iv_xmalloc(sizeof(long) * (size_t)n);
    for (long i = 0; i < n; i++)
        which[i] = p->n_hold + first + i;
    double sum = 0;
    long agree = 0;
    batch_run(p, q, which, n, grad, &sum, &agree);
    *loss = sum / (double)n;
    free(which);
    return 0;
}

/* ---- training ---------------------------------------------------------------------------------- */

typedef struct das_trainer {
    iv_das_problem *p;
    double *q, *grad;
    iv_adam adam;
    long *order;          /* (n_pairs) the held-out tuples, then the training ones, shuffled */
    iv_rng shuffle;
} das_trainer;

static void shuffle(iv_rng *rng, long *a, long n)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)iv_rng_below(rng, (uint64_t)i + 1);
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Q's start: seeded Gaussian rows, retracted to orthonormal ones. */
static int start_basis(das_trainer *t, iv_error *err)
{
    const iv_das_problem *p = t->p;
    iv_rng rng;
    iv_rng_seed(&rng, p->s->seed ^ START_STREAM);
    for (long i = 0; i < (long)p->rows * p->width; i++)
        t->q[i] = iv_rng_normal(&rng);
    return iv_das_retract(t->q, p->rows, p->width, err);
}

/* The held-out tuples' mean loss and agreements with basis q, a batch at a time. */
static int evaluate(das_trainer *t, const double *q, double *loss, long *agree, iv_error *err)
{
    iv_das_problem *p = t->p;
    double sum = 0;
    *agree = 0;
    for (long first = 0; first < p->n_hold; first += p->cap) {
        long n = p->n_hold - first < p->cap ? p->n_hold - first : p->cap;
        batch_run(p, q, t->order + first, n, NULL, &sum, agree);
        if (iv_job_cancelled(p->ws->job))
            return iv_job_progress(p->ws->job, 0, 1, err); /* says "cancelled" */
    }
    *loss = sum / (double)p->n_hold;
    return 0;
}

static int train_epoch(das_trainer *t, int epoch, long steps, iv_das_epoch *e, iv_error *err)
{
    iv_das_problem *p = t->p;
    long *train = t->order + p->n_hold;
    shuffle(&t->shuffle, train, p->n_train);
    double sum = 0;
    long agree = 0, step = 0;
    for (long first = 0; first < p->n_train; first += p->cap, step++) {
        long n = p->n_train - first < p->cap ? p->n_train - first : p->cap;
        batch_run(p, t->q, train + first, n, t->grad, &sum, &agree);
        iv_adam_step(&t->adam, t->q, t->grad);
        if (iv_das_retract(t->q, p->rows, p->width, err) < 0)
            return -1;
        if (p->s->on_step)
            p->s->on_step(t->q, p->rows, p->width, p->s->user);
        double done = (double)epoch * (double)steps + (double)step + 1;
        if (iv_job_progress(p->ws->job, done, (double)p->s->epochs * (double)steps, err) < 0)
            return -1;
    }
    e->loss = sum / (double)p->n_train;
    e->train_iia = (double)agree / (double)p->n_train;
    e->holdout_loss = e->iia = NAN;
    if (!p->n_hold)
        return 0;
    long right;
    if (evaluate(t, t->q, &e->holdout_loss, &right, err) < 0)
        return -1;
    e->iia = (double)right / (double)p->n_hold;
    return 0;
}

static void trainer_free(das_trainer *t)
{
    iv_das_problem_free(t->p);
    free(t->q);
    free(t->grad);
    iv_adam_free(&t->adam);
    free(t->order);
}

static int trainer_new(das_trainer *t, iv_workspace *ws, const iv_das_spec *s, iv_error *err)
{
    memset(t, 0, sizeof *t);
    t->p = iv_das_problem_new(ws, s, err);
    if (!t->p)
        return -1;
    const iv_das_problem *p = t->p;
    size_t nq = (size_t)p->rows * (size_t)p->width;
    t->q = iv_xmalloc(sizeof(double) * nq);
    t->grad = iv_xmalloc(sizeof(double) * nq);
    iv_adam_init(&t->adam, (int)nq, s->lr);
    t->order = iv_big_alloc((size_t)p->n_pairs, sizeof(long), "the order of the pairs", err);
    if (!t->order || start_basis(t, err) < 0) {
        trainer_free(t);
        return -1;
    }
    for (long i = 0; i < p->n_pairs; i++)
        t->order[i] = i; /* the first n_hold tuples, drawn like the rest, are held out */
    iv_rng_seed(&t->shuffle, s->seed);
    return 0;
}

/* The held-out IIA of the basis as an alignment keeps it, in float. */
static int final_iia(das_trainer *t, iv_das_result *out, iv_error *err)
{
    size_t nq = (size_t)t->p->rows * (size_t)t->p->width;
    double *rounded = iv_xmalloc(sizeof(double) * nq), loss;
    for (size_t i = 0; i < nq; i++)
        rounded[i] = (float)t->q[i];
    out->iia = NAN;
    int rc = t->p->n_hold ? evaluate(t, rounded, &loss, &out->agree, err) : 0;
    if (rc == 0 && t->p->n_hold)
        out->iia = (double)out->agree / (double)t->p->n_hold;
    free(rounded);
    return rc;
}

int iv_das_run(iv_workspace *ws, const iv_das_spec *s, iv_das_result *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    das_trainer t;
    if (trainer_new(&t, ws, s, err) < 0)
        return -1;
    const iv_das_problem *p = t.p;
    iv_das_epoch *record = iv_xcalloc((size_t)s->epochs, sizeof *record);
    long steps = (p->n_train + p->cap - 1) / p->cap;
    int rc = 0;
    for (int e = 0; e < s->epochs && rc == 0; e++)
        rc = train_epoch(&t, e, steps, &record[e], err);
    if (rc == 0)
        rc = final_iia(&t, out, err);
    if (rc < 0) {
        free(record);
        trainer_free(&t);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->rows = p->rows;
    out->width = p->width;
    out->q = t.q;
    t.q = NULL;
    out->epochs = s->epochs;
    out->record = record;
    out->train_pairs = p->n_train;
    out->holdout_pairs = p->n_hold;
    out->steps = steps * s->epochs;
    out->argmax = p->argmax;
    trainer_free(&t);
    return 0;
}

void iv_das_result_free(iv_das_result *r)
{
    free(r->q);
    free(r->record);
    memset(r, 0, sizeof *r);
}
