/* train.c - minibatch training of a model's parameters by Adam over the backward pass. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "budget.h"
#include "metrics.h"
#include "optim.h"
#include "rng.h"

/* Bytes per parameter the trainer holds: its copy, the gradient and Adam's two moments. */
#define BYTES_PER_PARAM (4 * sizeof(float))
#define INIT_STREAM 0x9e3779b97f4a7c15ULL /* keeps the initialisation's draws apart from the
                                             shuffle's, so changing one never moves the other */

void iv_train_spec_default(iv_train_spec *s)
{
    memset(s, 0, sizeof *s);
    s->loss = IV_TRAIN_CE;
    s->epochs = 10;
    s->batch = 32;
    s->lr = 1e-3;
    s->seed = 1;
}

/* ---- checking the spec against the model and the data ------------------------------------------- */

static long holdout_rows(const iv_train_spec *s, long n)
{
    if (s->holdout <= 0)
        return 0;
    long h = (long)(s->holdout * (double)n + 0.5);
    return h < 1 ? 1 : h;
}

static int check_options(const iv_train_spec *s, long n, iv_error *err)
{
    if (iv_optim_check(s->epochs, IV_TRAIN_MAX_EPOCHS, s->batch, s->lr, s->holdout, err) < 0)
        return -1;
    if (n - holdout_rows(s, n) < 1)
        return iv_error_set(err, "holdout=%g of %ld rows leaves none to train on", s->holdout, n);
    return 0;
}

/* ce: one column of classes 0 .. w - 1 (w >= 2); mse: one column per output. */
static int check_columns(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s,
                         iv_error *err)
{
    int w = iv_model_output_width(m);
    if (s->n_columns < 1)
        return iv_error_set(err, "no label column given");
    for (int c = 0; c < s->n_columns; c++)
        if (s->columns[c] < 0 || s->columns[c] >= ds->n_labels)
            return iv_error_set(err, "label column %d is not one of the dataset's %d",
                                s->columns[c], ds->n_labels);
    if (s->loss == IV_TRAIN_MSE && s->n_columns != w)
        return iv_error_set(err, "loss=mse needs one label column per output: the model has %d "
                            "output%s, %d column%s given", w, w == 1 ? "" : "s", s->n_columns,
                            s->n_columns == 1 ? " was" : "s were");
    if (s->loss == IV_TRAIN_CE && s->n_columns != 1)
        return iv_error_set(err, "loss=ce trains against one column of classes, not %d",
                            s->n_columns);
    if (s->loss == IV_TRAIN_CE && w < 2)
        return iv_error_set(err, "loss=ce needs a model with at least 2 outputs (one per class); "
                            "this one has %d (use loss=mse)", w);
    return 0;
}

/* Every input and every label used is finite, and ce's labels are classes of the model. */
static int check_values(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s,
                        iv_error *err)
{
    int w = iv_model_output_width(m);
    for (long r = 0; r < ds->n; r++) {
        for (int i = 0; i < ds->d; i++)
            if (!isfinite(ds->x[r * ds->d + i]))
                return iv_error_set(err, "row %ld of %s: input '%s' is %g, not a finite number",
                                    r, ds->spec, m->input_names[i], ds->x[r * ds->d + i]);
        for (int c = 0; c < s->n_columns; c++) {
            double v = ds->labels[r * ds->n_labels + s->columns[c]];
            const char *name = ds->label_names[s->columns[c]];
            if (!isfinite(v))
                return iv_error_set(err, "row %ld of %s: label '%s' is %g, not a finite number",
                                    r, ds->spec, name, v);
            if (s->loss == IV_TRAIN_CE && (v != floor(v) || v < 0 || v >= w))
                return iv_error_set(err, "row %ld of %s: label '%s' is %g, not a class of the "
                                    "model's %d outputs (0 to %d)", r, ds->spec, name, v, w,
                                    w - 1);
        }
    }
    return 0;
}

int iv_train_check(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s,
                   iv_error *err)
{
    if (!ds || ds->n < 1)
        return iv_error_set(err, "no examples to train on");
    if (check_options(s, ds->n, err) < 0 || check_columns(m, ds, s, err) < 0)
        return -1;
    if (iv_budget_check((double)m->n_params * (double)BYTES_PER_PARAM,
                        "the trainer's copy of the parameters and Adam's moments", err) < 0)
        return -1;
    return check_values(m, ds, s, err);
}

/* ---- initialisation ------------------------------------------------------------------------------ */

/* The activation applied to a linear operation's output, or identity when none reads it. */
static iv_activation activation_after(const iv_model *m, const iv_op *linear)
{
    for (int k = 0; k < m->n_ops; k++)
        if (m->ops[k].kind == IV_OP_ACTIVATION && m->ops[k].in[0] == linear->out)
            return m->ops[k].act;
    return IV_ACT_IDENTITY;
}

static bool relu_like(iv_activation a)
{
    return a == IV_ACT_RELU || a == IV_ACT_LEAKY_RELU || a == IV_ACT_GELU || a == IV_ACT_GELU_TANH;
}

void iv_train_init_random(const iv_model *m, float *params, uint64_t seed)
{
    iv_rng rng;
    iv_rng_seed(&rng, seed ^ INIT_STREAM);
    for (int k = 0; k < m->n_ops; k++) {
        const iv_op *op = &m->ops[k];
        if (op->kind != IV_OP_LINEAR)
            continue;
        int n_in = m->sites[op->in[0]].width, n_out = m->sites[op->out].width;
        double std = relu_like(activation_after(m, op)) ? sqrt(2.0 / n_in)
                                                        : sqrt(2.0 / (n_in + n_out));
        for (long i = 0; i < (long)n_in * n_out; i++)
            params[op->weight + i] = (float)(std * iv_rng_normal(&rng));
        if (op->bias >= 0)
            memset(params + op->bias, 0, sizeof(float) * (size_t)n_out);
    }
}

/* ---- one batch: forward, loss, gradient ---------------------------------------------------------- */

/* The working memory of batches of up to cap rows, kept from step to step. */
typedef struct batch {
    long cap;
    iv_acts *acts, *grads; /* grads only when gradients are wanted */
    float *input;          /* (cap, inputs) */
} batch;

static void batch_free(batch *b)
{
    iv_acts_free(b->acts);
    iv_acts_free(b->grads);
    free(b->input);
    memset(b, 0, sizeof *b);
}

static int batch_new(batch *b, const iv_model *m, long cap, bool grads, iv_error *err)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->input = iv_big_alloc((size_t)cap, sizeof(float) * (size_t)m->n_inputs,
                            "the inputs of a minibatch", err);
    b->acts = b->input ? iv_acts_new(m, cap, err) : NULL;
    b->grads = b->acts && grads ? iv_acts_new(m, cap, err) : NULL;
    if (!b->acts || (grads && !b->grads)) {
        batch_free(b);
        return -1;
    }
    return 0;
}

static int top_class(const float *y, int w)
{
    int top = 0;
    for (int k = 1; k < w; k++)
        top = y[k] > y[top] ? k : top;
    return top;
}

/* One row's loss against its labels, and (grad not NULL) its gradient with respect to y. */
static double row_loss(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s, long r,
                       const float *y, float *grad)
{
    int w = iv_model_output_width(m);
    const double *labels = ds->labels + r * ds->n_labels;
    if (s->loss == IV_TRAIN_CE) {
        int label = (int)labels[s->columns[0]];
        bool logits = !iv_model_is_classifier(m);
        if (grad)
            iv_label_loss_grad(y, w, label, logits, grad);
        return iv_label_loss(y, w, label, logits);
    }
    double loss = 0;
    for (int k = 0; k < w; k++) {
        double d = (double)y[k] - labels[s->columns[k]];
        loss += d * d;
        if (grad)
            grad[k] = (float)(2 * d);
    }
    return loss;
}

/* Runs rows[0..n) (n <= b->cap) through `work`; adds their losses to *loss_sum and their right
 * answers to *correct; with dparams, fills it with the gradient of the mean loss over the rows. */
static void batch_run(const iv_model *work, const iv_dataset *ds, const iv_train_spec *s,
                      batch *b, const long *rows, long n, float *dparams, double *loss_sum,
                      long *correct)
{
    int d = work->n_inputs, out = iv_model_output_site(work), w = iv_model_output_width(work);
    for (long i = 0; i < n; i++)
        memcpy(b->input + i * d, ds->x + rows[i] * d, sizeof(float) * (size_t)d);
    b->acts->n = n; /* a short batch uses the front of each site's block */
    iv_forward(work, b->input, b->acts, NULL, NULL);
    const float *y = b->acts->site[out];
    float *gout = dparams ? b->grads->site[out] : NULL;
    for (long i = 0; i < n; i++) {
        *loss_sum += row_loss(work, ds, s, rows[i], y + i * w, gout ? gout + i * w : NULL);
        if (s->loss == IV_TRAIN_CE)
            *correct += top_class(y + i * w, w) ==
                        (int)ds->labels[rows[i] * ds->n_labels + s->columns[0]];
    }
    if (!dparams)
        return;
    for (long i = 0; i < n * w; i++)
        gout[i] /= (float)n; /* the mean over the batch */
    b->grads->n = n;
    iv_backward(work, b->acts, gout, b->grads, 1);
    iv_backward_param_block(work, b->acts, b->grads, dparams);
}

/* The model with another parameter block: the passes read parameters only through m->params. */
static iv_model with_params(const iv_model *m, float *params)
{
    iv_model work = *m;
    work.params = params;
    return work;
}

int iv_train_objective(const iv_model *m, const float *params, const iv_dataset *ds,
                       const iv_train_spec *s, const long *rows, long n, double *loss,
                       float *dparams, long *correct, iv_error *err)
{
    batch b;
    if (batch_new(&b, m, n, dparams != NULL, err) < 0)
        return -1;
    iv_model work = with_params(m, (float *)params); /* only read */
    double sum = 0;
    long right = 0;
    if (dparams)
        memset(dparams, 0, sizeof(float) * (size_t)m->n_params);
    batch_run(&work, ds, s, &b, rows, n, dparams, &sum, &right);
    *loss = sum / (double)n;
    if (correct)
        *correct = right;
    batch_free(&b);
    return 0;
}

/* ---- the training loop --------------------------------------------------------------------------- */

typedef struct trainer {
    const iv_dataset *ds;
    const iv_train_spec *s;
    iv_model work;        /* the model over `params` */
    long n_params;
    float *params, *dparams;
    iv_adam32 adam;
    long *order;          /* (rows) the held-out rows first, then the training rows */
    long n_hold, n_train;
    batch b;
    iv_rng shuffle;
} trainer;

static void trainer_free(trainer *t)
{
    free(t->params);
    free(t->dparams);
    iv_adam32_free(&t->adam);
    free(t->order);
    batch_free(&t->b);
}

/* A seeded permutation of a[0..n). */
static void shuffle(iv_rng *rng, long *a, long n)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)iv_rng_below(rng, (uint64_t)i + 1);
        long tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
    }
}

static int trainer_new(trainer *t, const iv_model *m, const iv_dataset *ds,
                       const iv_train_spec *s, iv_error *err)
{
    memset(t, 0, sizeof *t);
    t->ds = ds;
    t->s = s;
    t->n_params = m->n_params;
    size_t np = (size_t)(m->n_params ? m->n_params : 1);
    t->params = iv_big_alloc(np, sizeof(float), "the trained parameters", err);
    t->dparams = t->params ? iv_big_alloc(np, sizeof(float), "the parameters' gradient", err)
                           : NULL;
    iv_adam32_init(&t->adam, m->n_params, s->lr);
    int adam = t->dparams ? iv_adam32_alloc(&t->adam, err) : -1;
    t->order = adam == 0 ? iv_big_alloc((size_t)ds->n, sizeof(long), "the order of the rows", err)
                         : NULL;
    t->n_hold = holdout_rows(s, ds->n);
    t->n_train = ds->n - t->n_hold;
    long cap = s->batch < ds->n ? s->batch : ds->n;
    if (!t->order || batch_new(&t->b, m, cap, true, err) < 0) {
        trainer_free(t);
        return -1;
    }
    memcpy(t->params, m->params, sizeof(float) * (size_t)m->n_params);
    if (s->init_random)
        iv_train_init_random(m, t->params, s->seed);
    t->work = with_params(m, t->params);
    for (long r = 0; r < ds->n; r++)
        t->order[r] = r;
    iv_rng_seed(&t->shuffle, s->seed);
    if (t->n_hold)
        shuffle(&t->shuffle, t->order, ds->n); /* its first n_hold rows are held out */
    return 0;
}

/* One Adam step on the gradient of rows[0..n); adds their loss and right answers to the sums. */
static void train_step(trainer *t, const long *rows, long n, double *loss_sum, long *correct)
{
    batch_run(&t->work, t->ds, t->s, &t->b, rows, n, t->dparams, loss_sum, correct);
    iv_adam32_step(&t->adam, t->params, t->dparams);
}

/* The held-out rows' mean loss and accuracy with the current weights, a batch at a time. */
static int evaluate_holdout(trainer *t, iv_train_epoch *e, iv_job *job, iv_error *err)
{
    double sum = 0;
    long right = 0;
    for (long first = 0; first < t->n_hold; first += t->b.cap) {
        long n = t->n_hold - first < t->b.cap ? t->n_hold - first : t->b.cap;
        batch_run(&t->work, t->ds, t->s, &t->b, t->order + first, n, NULL, &sum, &right);
        if (iv_job_cancelled(job))
            return iv_job_progress(job, 0, 1, err); /* says "cancelled" */
    }
    e->holdout_loss = sum / (double)t->n_hold;
    e->holdout_accuracy = t->s->loss == IV_TRAIN_CE ? (double)right / (double)t->n_hold : NAN;
    return 0;
}

static int train_epoch(trainer *t, int epoch, long steps_per_epoch, iv_train_epoch *e,
                       iv_job *job, iv_error *err)
{
    long *train = t->order + t->n_hold;
    shuffle(&t->shuffle, train, t->n_train);
    double sum = 0;
    long right = 0, step = 0;
    for (long first = 0; first < t->n_train; first += t->b.cap, step++) {
        long n = t->n_train - first < t->b.cap ? t->n_train - first : t->b.cap;
        train_step(t, train + first, n, &sum, &right);
        double done = (double)epoch * (double)steps_per_epoch + (double)step + 1;
        if (iv_job_progress(job, done, (double)t->s->epochs * (double)steps_per_epoch, err) < 0)
            return -1;
    }
    e->loss = sum / (double)t->n_train;
    e->accuracy = t->s->loss == IV_TRAIN_CE ? (double)right / (double)t->n_train : NAN;
    e->holdout_loss = e->holdout_accuracy = NAN;
    return t->n_hold ? evaluate_holdout(t, e, job, err) : 0;
}

int iv_train_run(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s, iv_job *job,
                 iv_train_result *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (iv_train_check(m, ds, s, err) < 0)
        return -1;
    trainer t;
    if (trainer_new(&t, m, ds, s, err) < 0)
        return -1;
    iv_train_epoch *record = iv_xcalloc((size_t)s->epochs, sizeof *record);
    long steps = (t.n_train + t.b.cap - 1) / t.b.cap;
    for (int e = 0; e < s->epochs; e++)
        if (train_epoch(&t, e, steps, &record[e], job, err) < 0) {
            free(record);
            trainer_free(&t);
            return -1;
        }
    out->params = t.params;
    t.params = NULL;
    out->n_params = m->n_params;
    out->epochs = s->epochs;
    out->record = record;
    out->train_rows = t.n_train;
    out->holdout_rows = t.n_hold;
    out->steps = steps * s->epochs;
    trainer_free(&t);
    return 0;
}

void iv_train_result_free(iv_train_result *r)
{
    free(r->params);
    free(r->record);
    memset(r, 0, sizeof *r);
}
