/* das.h - distributed alignment search (Geiger, Wu et al. 2023): learn subspaces of a site's
 * activations that carry variables of the causal model.
 *
 * A rotation of the site (width w) is learned whose first k_1 rows align with the first variable,
 * the next k_2 with the second, and so on; only those K = k_1 + ... rows matter (the rest of a
 * rotation completes them arbitrarily), so what is kept and trained is a K x w matrix Q with
 * orthonormal rows, Q_v its block of variable v. The data are seeded tuples of dataset rows: a base
 * b and, for each variable, its own source s_v. The network runs on b with the site moved to
 *     h + sum_v (h_{s_v} - h) Q_v^T Q_v,
 * every shift computed from the base's h, and is asked to give the causal model's counterfactual:
 * its output on b with each variable set to its value on s_v. Loss: the cross-entropy of the logits
 * (of the probabilities, for a model ending in softmax) against that output as a class when the
 * network has several outputs, else the squared error. The network is frozen and clean (DAS refuses
 * to run while an intervention is on). Each minibatch is one batched forward pass from the site
 * and one backward pass to it; Q's gradient is the rotate kind's (kinds.h); Adam (optim.h) steps Q
 * and a retraction puts it back on the nearest matrix with orthonormal rows, U V^T from its SVD
 * (LAPACK dgesdd). Seeded and deterministic: the same seed gives the same Q, bit for bit.
 * Agreement, for the IIA of the held-out tuples, is iia.h's: the argmax against the class, or
 * |network - causal| <= tol x max(1, |causal|). */
#ifndef IV_DAS_H
#define IV_DAS_H

#include "workspace.h"

#define IV_DAS_MAX_VARS 16
#define IV_DAS_DEFAULT_PAIRS 10000L
#define IV_DAS_MAX_PAIRS 10000000L
#define IV_DAS_MAX_EPOCHS 100000

typedef struct iv_das_spec {
    int n_vars;
    int vars[IV_DAS_MAX_VARS];  /* variables of the workspace's causal model */
    int dims[IV_DAS_MAX_VARS];  /* each one's dimensions, in this order along Q's rows */
    int site;
    long pairs;                 /* tuples drawn (base and a source per variable) */
    int epochs;
    long batch;
    double lr;
    uint64_t seed;              /* the tuples, their split, the shuffles and Q's start */
    double holdout;             /* fraction of the tuples held out of training, 0 to < 1 */
    double tol;                 /* agreement of a one-output network (iia.h) */
    /* Called after every step with Q (K rows of width), once retracted; may be NULL (tests). */
    void (*on_step)(const double *q, int rows, int width, void *user);
    void *user;
} iv_das_spec;

/* The defaults: 10000 pairs, 10 epochs, batch 64, lr 0.01, seed 1, holdout 0.2, tol 1e-6. */
void iv_das_spec_default(iv_das_spec *s);

typedef struct iv_das_epoch {
    double loss, train_iia;     /* over the epoch's minibatches, each as it was trained */
    double holdout_loss, iia;   /* on the held-out tuples with Q at the epoch's end; NAN without */
} iv_das_epoch;

typedef struct iv_das_result {
    int rows, width;            /* Q: K x w */
    double *q;                  /* (rows, width) row-major, orthonormal rows; owned */
    int epochs;
    iv_das_epoch *record;       /* (epochs) */
    long train_pairs, holdout_pairs, steps;
    bool argmax;                /* cross-entropy and argmax agreement, else squared error */
    double iia;                 /* held-out IIA of Q rounded to float, as it is aligned; NAN
                                   without held-out tuples */
    long agree;                 /* held-out tuples that agree */
} iv_das_result;

/* Checks the spec against the workspace: a causal model, a dataset, a site, distinct variables,
 * dimensions that fit the site, every intervention off, the options in range. Returns 0, or -1
 * with a message naming the argument. */
int iv_das_check(iv_workspace *ws, const iv_das_spec *s, iv_error *err);

/* Learns Q (checked first). Progress per minibatch to ws->job, which can cancel it. Changes nothing
 * in the workspace (the caller installs the alignments). Returns 0 with the result, or -1. */
int iv_das_run(iv_workspace *ws, const iv_das_spec *s, iv_das_result *out, iv_error *err);
void iv_das_result_free(iv_das_result *r);

/* The nearest matrix with orthonormal rows to q (k <= w rows of w), in place: U V^T from the SVD
 * q = U S V^T. Returns 0, or -1 when the SVD fails. */
int iv_das_retract(double *q, int k, int w, iv_error *err);

/* The objective as training sees it, for tests: the tuples, targets and working memory of a run
 * of spec s, and the mean loss over training tuples [first, first + n) (in draw order, n at most
 * the batch) with the basis q (not necessarily orthonormal), and its gradient (K x w) when grad is
 * not NULL, exactly as a minibatch step takes it. */
typedef struct iv_das_problem iv_das_problem;
iv_das_problem *iv_das_problem_new(iv_workspace *ws, const iv_das_spec *s, iv_error *err);
int iv_das_objective(iv_das_problem *p, const double *q, long first, long n, double *loss,
                     double *grad);
void iv_das_problem_free(iv_das_problem *p);

#endif
