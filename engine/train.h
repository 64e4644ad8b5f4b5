/* train.h - training a model's parameters on the label columns of a dataset.
 *
 * Every parameter of the model (the one block, model.h) is trained by Adam (optim.h) over
 * minibatches of a seeded shuffle: the forward pass of a batch (forward.h, one sgemm a layer), the
 * loss's gradient at the output, the backward pass and the parameter gradients in the block's
 * layout (backward.h). Two losses: softmax cross-entropy of the outputs (the cross-entropy of the
 * probabilities when the model ends in softmax) against a column of classes 0 .. outputs - 1, and
 * squared error against one numeric column per output. The clean network is trained: the
 * interventions of a workspace play no part.
 *
 * The trainer works on its own copy of the parameters and never writes the model: the caller
 * decides whether to install the result (a cancelled job leaves nothing to undo). The same seed
 * gives the same weights bit for bit: the shuffle, the held-out split and the initialisation come
 * from seeded streams, and every sum runs in a fixed order. */
#ifndef IV_TRAIN_H
#define IV_TRAIN_H

#include "dataset.h"
#include "job.h"
#include "model.h"

typedef enum {
    IV_TRAIN_CE,  /* cross-entropy against a class column */
    IV_TRAIN_MSE, /* squared error, summed over the outputs, against one column per output */
} iv_train_loss;

#define IV_TRAIN_MAX_COLUMNS 256
#define IV_TRAIN_MAX_EPOCHS 100000

typedef struct iv_train_spec {
    int n_columns;
    int columns[IV_TRAIN_MAX_COLUMNS]; /* label columns of the dataset: one for ce, one per
                                          output for mse */
    iv_train_loss loss;
    int epochs;
    long batch;          /* examples per step (the last step of an epoch may be short) */
    double lr;           /* Adam's step size */
    uint64_t seed;       /* the shuffle, the held-out split and a random initialisation */
    bool init_random;    /* re-initialise every layer first (He for ReLU-like layers, else
                            Xavier; biases zero) */
    double holdout;      /* fraction of the rows held out of training, seeded; 0 for none */
} iv_train_spec;

/* A spec with the defaults: 10 epochs, batch 32, lr 1e-3, seed 1, no holdout, keep weights. */
void iv_train_spec_default(iv_train_spec *s);

/* One epoch's figures. loss and accuracy are over the epoch's minibatches as each was trained
 * (before its step); the held-out ones use the weights at the epoch's end. NAN where there is none
 * (no held-out rows; accuracy under mse). */
typedef struct iv_train_epoch {
    double loss, accuracy;
    double holdout_loss, holdout_accuracy;
} iv_train_epoch;

typedef struct iv_train_result {
    float *params;          /* (n_params) the trained parameters, owned */
    long n_params;
    int epochs;
    iv_train_epoch *record; /* (epochs) */
    long train_rows, holdout_rows, steps;
} iv_train_result;

/* Checks the spec against the model and the dataset: the columns (classes in range for ce, one
 * column per output for mse), every input and label used finite, the options in range. Returns 0,
 * or -1 with a message naming the argument, or the row and column of the dataset. */
int iv_train_check(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s,
                   iv_error *err);

/* Trains a copy of m's parameters (checked first, as above). Reports progress per minibatch to job
 * (NULL for none) and stops with "cancelled" when it is cancelled. Returns 0 with the result, or
 * -1 with a message (nothing is allocated then). */
int iv_train_run(const iv_model *m, const iv_dataset *ds, const iv_train_spec *s, iv_job *job,
                 iv_train_result *out, iv_error *err);
void iv_train_result_free(iv_train_result *r);

/* Seeded random initialisation of every linear operation's parameters in params (laid out as
 * m->params): weights normal with std sqrt(2 / n_in) when the layer's activation is ReLU-like
 * (relu, leaky_relu, gelu), else sqrt(2 / (n_in + n_out)); biases zero. */
void iv_train_init_random(const iv_model *m, float *params, uint64_t seed);

/* The trainer's objective on rows rows[0..n) of the dataset, with the parameters `params` (laid out
 * as m->params): the mean loss over the rows, and, when dparams is not NULL, its gradient
 * (n_params floats), exactly as a training step takes it. *correct (may be NULL) gets how many rows
 * the top output classifies right under ce. Returns 0, or -1 when the memory limit refuses the
 * batch's activations. */
int iv_train_objective(const iv_model *m, const float *params, const iv_dataset *ds,
                       const iv_train_spec *s, const long *rows, long n, double *loss,
                       float *dparams, long *correct, iv_error *err);

#endif
