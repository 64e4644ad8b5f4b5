/* metrics.c - losses between clean and intervened outputs, averaged over a pass on the dataset. */
#include "metrics.h"

#include "budget.h"
#include "gpt2.h"
#include "tokenizer.h"

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

double iv_label_loss(const float *y, int w, int label, bool logits)
{
    if (!logits)
        return -log(fmax(y[label], PROB_FLOOR));
    double top = y[0], sum = 0;
    for (int k = 1; k < w; k++)
        top = fmax(top, y[k]);
    for (int k = 0; k < w; k++)
        sum += exp((double)y[k] - top); /* shifted by the largest, so exp cannot overflow */
    return top + log(sum) - y[label];
}

/* d/dy of -log y[label] (floored as the loss is), or of log-sum-exp minus the label's logit:
 * softmax(y) minus the label's indicator. */
void iv_label_loss_grad(const float *y, int w, int label, bool logits, float *grad)
{
    if (!logits) {
        for (int k = 0; k < w; k++)
            grad[k] = 0;
        grad[label] = y[label] > PROB_FLOOR ? (float)(-1.0 / y[label]) : 0;
        return;
    }
    double top = y[0], sum = 0;
    for (int k = 1; k < w; k++)
        top = fmax(top, y[k]);
    for (int k = 0; k < w; k++)
        sum += exp((double)y[k] - top);
    for (int k = 0; k < w; k++)
        grad[k] = (float)(exp((double)y[k] - top) / sum - (k == label));
}

/* log sum exp of w logits, shifted by the largest so that exp cannot overflow. */
static double log_sum_exp(const float *y, int w)
{
    double top = y[0], sum = 0;
    for (int k = 1; k < w; k++)
        top = fmax(top, y[k]);
    for (int k = 0; k < w; k++)
        sum += exp((double)y[k] - top);
    return top + log(sum);
}

/* KL(softmax(clean) || softmax(y)) of two rows of w logits, in double; and its gradient with
 * respect to y, softmax(y) - softmax(clean). */
static double logit_kl(const float *clean, const float *y, int w)
{
    double lc = log_sum_exp(clean, w), ly = log_sum_exp(y, w), kl = 0;
    for (int k = 0; k < w; k++) {
        double lp = clean[k] - lc, lq = y[k] - ly;
        kl += exp(lp) * (lp - lq);
    }
    return kl;
}

static void logit_kl_grad(const float *clean, const float *y, int w, float *grad)
{
    double lc = log_sum_exp(clean, w), ly = log_sum_exp(y, w);
    for (int k = 0; k < w; k++)
        grad[k] = (float)(exp((double)y[k] - ly) - exp((double)clean[k] - lc));
}

static int top_class(const float *p, int w)
{
    int top = 0;
    for (int k = 1; k < w; k++)
        top = p[k] > p[top] ? k : top;
    return top;
}

static bool outputs_are_logits(const iv_model *m) { return !iv_model_is_classifier(m); }

/* The class of example r in the label column (checked by iv_metrics_set_label). */
static int label_of(const iv_workspace *ws, long r)
{
    const iv_dataset *ds = ws->data;
    return (int)ds->labels[r * ds->n_labels + ws->label_column];
}

/* 'metric label': each example's class, as floats in a new array (*owned), and the clean
 * network's mean cross-entropy to them, subtracted so the figure is a gap. */
static const float *label_reference(const iv_workspace *ws, double *clean_loss, float **owned,
                                    iv_error *err)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    long n = ws->data->n;
    const float *clean = ws->ref_acts->site[out]; /* (n, w) */
    float *ref = iv_big_alloc((size_t)n, sizeof(float), "the labels", err); /* (n) */
    if (!ref)
        return NULL;
    bool logits = outputs_are_logits(m);
    for (long r = 0; r < n; r++) {
        ref[r] = (float)label_of(ws, r);
        *clean_loss += iv_label_loss(clean + r * w, w, label_of(ws, r), logits) / (double)n;
    }
    return *owned = ref;
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
    if (ws->label_column >= 0)
        return label_reference(ws, clean_loss, owned, err);
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
    acc->labelled = ws->label_column >= 0;
    acc->logits = outputs_are_logits(ws->model);
    acc->diff_a = acc->labelled ? -1 : ws->logit_diff[0];
    acc->diff_b = acc->labelled ? -1 : ws->logit_diff[1];
    acc->next_token = ws->model->gpt2 && !acc->labelled && acc->diff_a < 0;
    iv_model_prediction(ws->model, &acc->pred_off, &acc->pred_w);
    return acc->ref ? 0 : -1;
}

/* The loss of one output row against what example r is compared with (a label, and a
 * transformer's next token, read the prediction's part of the row). */
static double row_loss(const iv_metrics_acc *acc, bool classifier, long r, const float *y, int w)
{
    if (acc->diff_a >= 0) {
        const float *c = acc->ref + r * w + acc->pred_off, *p = y + acc->pred_off;
        return ((double)c[acc->diff_a] - c[acc->diff_b]) - ((double)p[acc->diff_a] - p[acc->diff_b]);
    }
    if (acc->labelled)
        return iv_label_loss(y + acc->pred_off, acc->pred_w, (int)acc->ref[r], acc->logits);
    if (acc->next_token)
        return logit_kl(acc->ref + r * w + acc->pred_off, y + acc->pred_off, acc->pred_w);
    return iv_row_loss(classifier, acc->ref + r * w, y, w);
}

static void row_loss_grad(const iv_metrics_acc *acc, bool classifier, long r, const float *y,
                          int w, float *grad)
{
    if (acc->pred_w < w || acc->diff_a >= 0) /* only the prediction's part has a gradient */
        memset(grad, 0, sizeof(float) * (size_t)w);
    if (acc->diff_a >= 0) {
        grad[acc->pred_off + acc->diff_a] -= 1;
        grad[acc->pred_off + acc->diff_b] += 1;
    } else if (acc->labelled)
        iv_label_loss_grad(y + acc->pred_off, acc->pred_w, (int)acc->ref[r], acc->logits,
                           grad + acc->pred_off);
    else if (acc->next_token)
        logit_kl_grad(acc->ref + r * w + acc->pred_off, y + acc->pred_off, acc->pred_w,
                      grad + acc->pred_off);
    else
        iv_row_loss_grad(classifier, acc->ref + r * w, y, w, grad);
}

void iv_metrics_add(iv_metrics_acc *acc, const float *y, long first, long n, long S, bool all)
{
    const iv_workspace *ws = acc->ws;
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m), d = m->n_inputs;
    bool classifier = iv_model_is_classifier(m);
    const float *clean = ws->ref_acts->site[out]; /* (examples, w) */
    bool has_target = !classifier && ws->target && w == 1;
    int off = acc->pred_off, pw = acc->pred_w; /* the prediction's part of a row */
    for (long e = 0; e < n; e++) {
        long r = first + e; /* the example, in the whole set */
        for (long s = 0; s < S; s++)
            acc->loss += row_loss(acc, classifier, r, y + (e * S + s) * w, w);
        if (!all)
            continue;
        int top = top_class(clean + r * w + off, pw);
        if (acc->labelled) {
            int label = (int)acc->ref[r];
            acc->label_right_clean += (double)S * (top == label);
            for (long s = 0; s < S; s++)
                acc->label_right += top_class(y + (e * S + s) * w + off, pw) == label;
        }
        if (acc->diff_a >= 0) {
            const float *c = clean + r * w + off;
            acc->ld_clean += S * ((double)c[acc->diff_a] - c[acc->diff_b]);
            for (long s = 0; s < S; s++) {
                const float *row = y + (e * S + s) * w + off;
                acc->ld_int += (double)row[acc->diff_a] - row[acc->diff_b];
            }
        }
        if (acc->next_token) /* the clean top token: kept, and its log-probability's change */
            for (long s = 0; s < S; s++) {
                const float *row = y + (e * S + s) * w + off, *c = clean + r * w + off;
                acc->same += top_class(row, pw) == top;
                acc->logit += iv_label_loss(c, pw, top, true) - iv_label_loss(row, pw, top, true);
            }
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
        row_loss_grad(acc, classifier, first + r / S, y + r * w, w, grad + r * w);
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
    mt->classifier = iv_model_is_classifier(m) || acc->next_token; /* accuracy is reported */
    mt->has_target = !mt->classifier && ws->target && iv_model_output_width(m) == 1;
    double rows = (double)acc->rows;
    mt->loss_gap = acc->loss / rows - acc->clean_loss;
    mt->accuracy = acc->same / rows;
    mt->logit_diff = acc->logit / rows;
    mt->target_mse_clean = acc->t_clean / rows;
    mt->target_mse = acc->t_int / rows;
    mt->labelled = acc->labelled;
    mt->label_accuracy_clean = acc->label_right_clean / rows;
    mt->label_accuracy = acc->label_right / rows;
    mt->logit_diff_set = acc->diff_a >= 0;
    mt->logit_diff_clean = acc->ld_clean / rows;
    mt->logit_diff_intervened = acc->ld_int / rows;
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
    iv_metrics_acc acc;
    if (iv_metrics_begin(ws, &acc, err) < 0)
        return -1;
    long n = ws->data->n;
    iv_metrics_grad(&acc, acts->site[iv_model_output_site(ws->model)], 0, n, acts->n / n, grad);
    free(acc.owned);
    return 0;
}

int iv_metrics_compute(const iv_workspace *ws, const iv_acts *acts, iv_metrics *mt, iv_error *err)
{
    return whole_pass(ws, acts, true, mt, err);
}

const char *iv_loss_name(const iv_workspace *ws)
{
    if (ws->label_column >= 0)
        return "cross-entropy to the labels";
    if (iv_model_is_classifier(ws->model))
        return "KL(clean || intervened)";
    if (ws->model->gpt2 && ws->logit_diff[0] >= 0)
        return "fall of the logit difference (clean minus intervened)";
    if (ws->model->gpt2)
        return "KL(clean || intervened) of the next token";
    return ws->loss_vs_target ? "squared error to the target, minus the clean network's"
                              : "squared error to the clean output";
}

/* ---- metric label ------------------------------------------------------------------------------- */

static int find_label_column(const iv_dataset *ds, const char *column, iv_error *err)
{
    int col = iv_dataset_label_column(ds, column);
    if (col >= 0)
        return col;
    char *names = iv_dataset_join_names(ds->n_labels, ds->label_names);
    iv_error_set(err, "label '%s': the dataset (%s) has no such column; its label columns: %s",
                 column, ds->spec, names);
    free(names);
    return -1;
}

/* Every value of the column a class of the w outputs: an integer 0 .. w-1. */
static int check_classes(const iv_dataset *ds, int col, const char *column, int w, iv_error *err)
{
    for (long r = 0; r < ds->n; r++) {
        double v = ds->labels[r * ds->n_labels + col];
        if (v != floor(v) || v < 0)
            return iv_error_set(err, "label '%s': row %ld holds %.9g, not a class (an integer "
                                "0 to %d)", column, r, v, w - 1);
        if (v >= w)
            return iv_error_set(err, "label '%s': row %ld holds class %.0f, but the model has %d "
                                "outputs (classes 0 to %d)", column, r, v, w, w - 1);
    }
    return 0;
}

/* A token named by its text, by its id written id:N, or by a bare id the tokenizer does not have
 * as a text. */
static int token_of(const iv_model *m, const char *word, iv_error *err)
{
    long v;
    if (strncmp(word, "id:", 3) == 0 && iv_parse_int(word + 3, 0, m->gpt2->d_vocab - 1, &v) == 0)
        return (int)v;
    int id = m->tokenizer ? iv_tokenizer_find(m->tokenizer, word) : -1;
    if (id < 0 && iv_parse_int(word, 0, m->gpt2->d_vocab - 1, &v) == 0)
        id = (int)v;
    if (id < 0 || id >= m->gpt2->d_vocab)
        return iv_error_set(err, "logit-diff: no token \"%s\" (give a token as the tokenizer "
                            "writes it, e.g. \" Mary\" with its space, or its id, id:0 to id:%d)",
                            word,
                            m->gpt2->d_vocab - 1);
    return id;
}

int iv_metrics_set_logit_diff(iv_workspace *ws, const char *a, const char *b, iv_error *err)
{
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "logit-diff: %s is not a transformer (it compares two next "
                            "tokens)", m->path);
    int ia = token_of(m, a, err), ib = ia < 0 ? -1 : token_of(m, b, err);
    if (ia < 0 || ib < 0)
        return -1;
    if (ia == ib)
        return iv_error_set(err, "logit-diff: \"%s\" and \"%s\" are the same token", a, b);
    ws->logit_diff[0] = ia;
    ws->logit_diff[1] = ib;
    ws->label_column = -1;
    ws->loss_vs_target = false;
    return 0;
}

int iv_metrics_set_label(iv_workspace *ws, const char *column, iv_error *err)
{
    const iv_dataset *ds = ws->data;
    if (!ds)
        return iv_error_set(err, "label '%s': no reference dataset: set one with 'data'", column);
    int off, w;
    iv_model_prediction(ws->model, &off, &w); /* a transformer's classes: its next tokens */
    if (w < 2)
        return iv_error_set(err, "label '%s': the model has %d output; cross-entropy to labels "
                            "needs one output per class", column, w);
    int col = find_label_column(ds, column, err);
    if (col < 0 || check_classes(ds, col, column, w, err) < 0)
        return -1;
    ws->label_column = col;
    ws->loss_vs_target = false;
    ws->logit_diff[0] = ws->logit_diff[1] = -1;
    return 0;
}
