/* ops.h - what each kind of operation does, forward and backward (engine-private).
 *
 * One table row per iv_op_kind. The forward pass (forward.c) and the backward pass (backward.c)
 * are loops over the model's operations that call these; they know nothing of what an operation
 * computes. Adding an operation is a section in ops.c and its row in the table (doc/engine.md). */
#ifndef IV_OPS_H
#define IV_OPS_H

#include "forward.h"

/* The values one operation reads and writes, for a batch of n rows; each is (n, width) row-major.
 * In the backward direction, `out` holds dL/d(output) and `in[k]` is where dL/d(input k) goes; an
 * entry of `in` is NULL when that gradient is not wanted (below the pass's stop site). */
typedef struct iv_op_io {
    const float *in[2];
    int in_width[2];
    float *out;
    int out_width;
    long n;
} iv_op_io;

typedef struct iv_op_type {
    const char *name;
    int n_inputs;
    /* io.out = f(io.in). */
    void (*forward)(const iv_model *m, const iv_op *op, const iv_op_io *io);
    /* Writes (not adds) dL/d in[k] = J_k^T dL/d out into grad_in[k] where it is not NULL. `x` holds
     * the forward pass's inputs and output (x.out), at which the Jacobian is taken. */
    void (*backward)(const iv_model *m, const iv_op *op, const iv_op_io *x, const float *grad_out,
                     float *const grad_in[2]);
    /* Whether the operation fits the sites it joins and the parameters there are (the model check
     * asks every operation); NULL when it does, else why not, into why. */
    const char *(*check)(const iv_op *op, const iv_site *sites, long n_params, char *why,
                         size_t n);
    /* out = its clean output plus the effect of a change to k columns of its input: delta
     * (n, k) is in - clean in at columns idx. For an operation linear in its input that is a
     * product of rank k, far cheaper than the whole operation when k is small (every candidate of
     * compare and optimal ablation changes a few neurons). NULL when the operation has no such
     * shortcut. */
    void (*forward_update)(const iv_model *m, const iv_op *op, const iv_op_io *io,
                           const float *clean_out, const float *delta, const int *idx, int k);
    /* Writes dL/d(its parameters), summed over the batch, at their offsets in dparams (laid out
     * as the model's params); NULL for an operation without parameters. */
    void (*param_grad)(const iv_model *m, const iv_op *op, const iv_op_io *x, const float *grad_out,
                       float *dparams);
    /* As backward, for input 0 only and only its columns cols (k of them): grad_in keeps the
     * input's full width, the other columns are zeroed. For a search whose parameters sit on a few
     * neurons (optimal ablation's constants) that is all the gradient it reads, at a fraction of
     * the product. NULL: the operation has no such shortcut and backward runs whole. */
    void (*backward_columns)(const iv_model *m, const iv_op *op, const iv_op_io *x,
                             const float *grad_out, float *grad_in, const int *cols, int k);
} iv_op_type;

const iv_op_type *iv_op_type_of(iv_op_kind kind);
/* The two halves of the table, which iv_op_type_of joins (ops_table.c): the operations of dense
 * networks, before IV_OP_EMBED (ops.c), and a transformer's, from it on (ops_transformer.c). */
const iv_op_type *iv_dense_op_type(iv_op_kind kind);
const iv_op_type *iv_transformer_op_type(iv_op_kind kind);
const char *iv_op_kind_name(iv_op_kind kind);
/* A linear operation's dW = grad_out^T in, (n_out, n_in), and db = the column sums of grad_out
 * (in double); either may be NULL. */
void iv_linear_param_grad(long n, int n_in, int n_out, const float *grad_out, const float *in,
                          float *dW, float *db);
/* What operation `op` reads and writes in acts (which may hold values or gradients). */
void iv_op_io_of(const iv_model *m, const iv_op *op, const iv_acts *acts, iv_op_io *io);

#endif
