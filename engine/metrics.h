/* metrics.h - how far intervened outputs are from the clean ones: the loss whose mean over the
 * reference dataset is an intervention's loss gap (Li & Janson 2024): squared error to the clean
 * output for a regression head, KL(clean || intervened) for a classifier, and for a transformer
 * KL(clean || intervened) of the next token after the last position, from its logits. */
#ifndef IV_METRICS_H
#define IV_METRICS_H

#include "pass.h"
#include "workspace.h"

/* How far the intervened outputs are from the clean ones (and from the target) over the dataset.
 * Every figure is a mean over examples and samples. */
typedef struct iv_metrics {
    bool classifier;
    double loss_gap;        /* mean loss against the clean output: squared error summed over the
                               outputs for a regression head, KL(clean || intervened) for a
                               classifier (the clean loss is 0, so this is the loss gap) */
    bool has_target;        /* regression with a target expression */
    double target_mse_clean, target_mse; /* squared error against the target, before and after */
    double accuracy;        /* classifier: how often the top class is still the clean top class */
    double logit_diff;      /* classifier: mean change of log p(clean top class) */
    bool labelled;          /* 'metric label COLUMN': the loss is cross-entropy to the labels */
    double label_accuracy_clean, label_accuracy; /* how often the top output is the label */
    bool logit_diff_set;    /* 'metric logit-diff A B': the loss is the fall of logit(A) - logit(B) */
    double logit_diff_clean, logit_diff_intervened; /* its mean, clean and intervened */
} iv_metrics;

/* Loss of one row: clean and intervened outputs of width w. */
double iv_row_loss(bool classifier, const float *clean, const float *y, int w);
/* Its gradient with respect to y, for the backward pass. */
void iv_row_loss_grad(bool classifier, const float *clean, const float *y, int w, float *grad);

/* Cross-entropy of one output row to a class: -log y[label], or for logits (a model without a
 * final softmax) -log softmax(y)[label]; and its gradient with respect to y. */
double iv_label_loss(const float *y, int w, int label, bool logits);
void iv_label_loss_grad(const float *y, int w, int label, bool logits, float *grad);
/* 'metric label COLUMN': loss gaps against a label column of the dataset, whose values must be
 * the classes 0 .. (output width - 1). Returns 0, or -1 naming the columns, the first bad row or
 * the widths; the workspace is unchanged then. */
int iv_metrics_set_label(iv_workspace *ws, const char *column, iv_error *err);
/* 'metric logit-diff A B': a transformer's loss gaps as the fall of logit(A) - logit(B) at its
 * last position, clean minus intervened (positive when an intervention closes the gap). Each
 * token is its text as the tokenizer writes it (" Mary"), or its id. Returns 0 or -1. */
int iv_metrics_set_logit_diff(iv_workspace *ws, const char *a, const char *b, iv_error *err);

/* The mean loss gap of a pass over the dataset (acts from iv_workspace_run_data: examples x
 * samples rows), against the clean outputs of ws->ref_acts, or with 'metric target' the squared
 * error to the target minus the clean network's. */
int iv_metrics_loss_gap(const iv_workspace *ws, const iv_acts *acts, double *gap, iv_error *err);
/* dL/d(output) of every row of such a pass, into grad (rows, output width). */
int iv_metrics_loss_grad(const iv_workspace *ws, const iv_acts *acts, float *grad, iv_error *err);
/* The loss loss gaps are measured in, in words (as results name it). */
const char *iv_loss_name(const iv_workspace *ws);
/* The same figures gathered chunk by chunk (pass.h): begin, add the output rows of each chunk
 * (examples [first, first + n), S rows each; `all` for every metric, else the loss alone), end. */
typedef struct iv_metrics_acc {
    const iv_workspace *ws;
    const float *ref;       /* what each example's output is compared with */
    float *owned;
    double clean_loss;
    double loss, same, logit, t_clean, t_int; /* sums over rows */
    bool labelled, logits;  /* ref holds each example's class (metric label); outputs are logits */
    bool next_token;        /* a transformer's: KL of the next token's distribution, read from the
                               prediction's logits (iv_model_prediction) */
    int pred_off, pred_w;   /* the part of an output row the loss reads */
    int diff_a, diff_b;     /* 'metric logit-diff': the two tokens, or -1 */
    double ld_clean, ld_int; /* sums over rows of their logit difference */
    double label_right_clean, label_right; /* examples (rows) whose top output is the label */
    long rows;
} iv_metrics_acc;
int iv_metrics_begin(const iv_workspace *ws, iv_metrics_acc *acc, iv_error *err);
void iv_metrics_add(iv_metrics_acc *acc, const float *y, long first, long n, long S, bool all);
void iv_metrics_end(iv_metrics_acc *acc, iv_metrics *out);
/* The loss gap of a list of interventions over the dataset, measured on its own (random ones:
 * mean over samples). */
int iv_loss_gap(iv_workspace *ws, const iv_intervention *list, int count, double *gap,
                iv_error *err);
/* A pass consumer (pass.h) that adds each chunk's loss to the accumulator `acc` points to. */
int iv_metrics_pass_loss(const iv_pass_chunk *chunk, void *acc, iv_error *err);
/* dL/d(output) of a chunk's rows (as iv_metrics_add takes them), into grad (n * S, width). */
void iv_metrics_grad(const iv_metrics_acc *acc, const float *y, long first, long n, long S,
                     float *grad);
/* Every metric of such a pass. Each returns 0, or -1 with a message when memory runs short. */
int iv_metrics_compute(const iv_workspace *ws, const iv_acts *acts, iv_metrics *out, iv_error *err);

#endif
