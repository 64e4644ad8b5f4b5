/* metrics.c - losses between clean and intervened outputs, averaged over a pass on the dataset. */
#include "metrics.h"

#include "budget.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PROB_FLOOR 1e-12 /* keeps log finite when an intervention drives a probability to 0 */

double iv_row_loss(bool classifier, const float *clean, const float *y, int w)
{
    double loss = 0;
    for (int k = 0; k < w; k++) {
        if (classifier) {
            if (clean[k] > 0)
                loss += clean[k] * (log(clean[k]) - log(fmax(y[k], PROB_FLOOR)));
        } else {
            double d = (double)y[k] - clean[k];
            loss += d * d;
        }
    }
    return loss;
}

void iv_row_loss_grad(bool classifier, const float *clean, const float *y, int w, float *grad)
{
    for (int k = 0; k < w; k++)
        grad[k] = classifier ? (float)(clean[k] > 0 ? -clean[k] / fmax(y[k], PROB_FLOOR) : 0)
                             : (float)(2.0 * ((double)y[k] - clean[k]));
}

static int top_class(const float *p, int w)
{
    int top = 0;
    for (int k = 1; k < w; k++)
        top = p[k] > p[top] ? k : top;
    return top;
}

/* What each row's output is compared with: the clean outputs themselves, or ('metric target') the
 * target, in a new array the caller frees (*owned), whose clean loss is then subtracted so the
 * figure stays a gap. NULL with a message when that array does not fit the budget. */
static const float *loss_reference(const iv_workspace *ws, double *clean_loss, float **owned,
                                   iv_error *err)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    long n = ws->data->n;
    const float *clean = ws->ref_acts->site[out]; /* (n, w) */
    *clean_loss = 0;
    *owned = NULL;
    if (!ws->loss_vs_target || !ws->target || w != 1)
        return clean;
    float *ref = iv_big_alloc((size_t)n, sizeof(float), "the targets", err); /* (n) */
    if (!ref)
        return NULL;
    for (long r = 0; r < n; r++) {
        ref[r] = (float)iv_workspace_target(ws, ws->data->x + r * m->n_inputs);
        *clean_loss += iv_row_loss(false, ref + r, clean + r, 1) / (double)n;
    }
    return *owned = ref;
}

int iv_metrics_begin(const iv_workspace *ws, iv_metrics_acc *acc, iv_error *err)
{
    memset(acc, 0, sizeof *acc);
    acc->ws = ws;
    acc->ref = loss_reference(ws, &acc->clean_loss, &acc->owned, err);
    return acc->ref ? 0 : -1;
}

void iv_metrics_add(iv_metrics_acc *acc, const float *y, long first, long n, long S, bool all)
{
    const iv_workspace *ws = acc->ws;
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m), d = m->n_inputs;
    bool classifier = iv_model_is_classifier(m);
    const float *clean = ws->ref_acts->site[out]; /* (examples, w) */
    bool has_target = !classifier && ws->target && w == 1;
    for (long e = 0; e < n; e++) {
        long r = first + e; /* the example, in the whole set */
        for (long s = 0; s < S; s++)
            acc->loss += iv_row_loss(classifier, acc->ref + r * w, y + (e * S + s) * w, w);
        if (!all)
            continue;
        int top = top_class(clean + r * w, w);
        double target = has_target ? iv_workspace_target(ws, ws->data->x + r * d) : 0;
        if (has_target)
            acc->t_clean += (clean[r] - target) * (clean[r] - target) * (double)S;
        for (long s = 0; s < S; s++) {
            const float *row = y + (e * S + s) * w;
            if (classifier) {
                acc->same += top_class(row, w) == top;
                acc->logit += log(fmax(row[top], PROB_FLOOR)) - log(fmax(clean[r * w + top],
                                                                         PROB_FLOOR));
            }
            if (has_target)
                acc->t_int += (row[0] - target) * (row[0] - target);
        }
    }
    acc->rows += n * S;
}

void iv_metrics_grad(const iv_metrics_acc *acc, const float *y, long first, long n, long S,
                     float *grad)
{
    const iv_model *m = acc->ws->model;
    int w = iv_model_output_width(m);
    bool classifier = iv_model_is_classifier(m);
    for (long r = 0; r < n * S; r++)
        iv_row_loss_grad(classifier, acc->ref + (first + r / S) * w, y + r * w, w, grad + r * w);
}

int iv_metrics_pass_loss(const iv_pass_chunk *c, void *acc, iv_error *err)
{
    (void)err;
    iv_metrics_add(acc, c->acts->site[c->acts->n_sites - 1], c->first, c->n, c->samples, false);
    return 0;
}

int iv_loss_gap(iv_workspace *ws, const iv_intervention *list, int count, double *gap,
                iv_error *err)
{
    iv_metrics_acc acc;
    if (iv_workspace_reference(ws, err) < 0 || iv_metrics_begin(ws, &acc, err) < 0)
        return -1;
    int rc = iv_workspace_pass(ws, list, count, iv_model_output_site(ws->model), iv_metrics_pass_loss, &acc,
                               err);
    iv_metrics mt;
    iv_metrics_end(&acc, &mt);
    *gap = mt.loss_gap;
    return rc;
}

void iv_metrics_end(iv_metrics_acc *acc, iv_metrics *mt)
{
    const iv_workspace *ws = acc->ws;
    const iv_model *m = ws->model;
    memset(mt, 0, sizeof *mt);
    mt->classifier = iv_model_is_classifier(m);
    mt->has_target = !mt->classifier && ws->target && iv_model_output_width(m) == 1;
    double rows = (double)acc->rows;
    mt->loss_gap = acc->loss / rows - acc->clean_loss;
    mt->accuracy = acc->same / rows;
    mt->logit_diff = acc->logit / rows;
    mt->target_mse_clean = acc->t_clean / rows;
    mt->target_mse = acc->t_int / rows;
    free(acc->owned);
    acc->owned = NULL;
}

/* Over a whole pass held at once: one chunk of all examples. */
static int whole_pass(const iv_workspace *ws, const iv_acts *acts, bool all, iv_metrics *mt,
                      iv_error *err)
{
    iv_metrics_acc acc;
    if (iv_metrics_begin(ws, &acc, err) < 0)
        return -1;
    long n = ws->data->n;
    iv_metrics_add(&acc, acts->site[iv_model_output_site(ws->model)], 0, n, acts->n / n, all);
    iv_metrics_end(&acc, mt);
    return 0;
}

int iv_metrics_loss_gap(const iv_workspace *ws, const iv_acts *acts, double *gap, iv_error *err)
{
    iv_metrics mt;
    if (whole_pass(ws, acts, false, &mt, err) < 0)
        return -1;
    *gap = mt.loss_gap;
    return 0;
}

int iv_metrics_loss_grad(const iv_workspace *ws, const iv_acts *acts, float *grad, iv_error *err)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    long n = ws->data->n, S = acts->n / n;
    double clean_loss;
    float *owned;
    const float *ref = loss_reference(ws, &clean_loss, &owned, err);
    if (!ref)
        return -1;
    for (long r = 0; r < n * S; r++)
        iv_row_loss_grad(iv_model_is_classifier(m), ref + (r / S) * w, acts->site[out] + r * w, w,
                         grad + r * w);
    free(owned);
    return 0;
}

int iv_metrics_compute(const iv_workspace *ws, const iv_acts *acts, iv_metrics *mt, iv_error *err)
{
    return whole_pass(ws, acts, true, mt, err);
}

const char *iv_loss_name(const iv_workspace *ws)
{
    if (iv_model_is_classifier(ws->model))
        return "KL(clean || intervened)";
    return ws->loss_vs_target ? "squared error to the target, minus the clean network's"
                              : "squared error to the clean output";
}
