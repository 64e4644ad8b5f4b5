/* backward.c - the batched backward pass: the operations in reverse, each through its own
 * vector-Jacobian product, with a hook at each site; and the parameter gradients. */
#include "backward.h"

#include "ops.h"

#include <stdlib.h>
#include <string.h>

/* Adds a contribution into a site that an earlier-visited operation already wrote. */
static void add_into(float *dst, const float *src, long count)
{
    for (long i = 0; i < count; i++)
        dst[i] += src[i];
}

static void backward(const iv_model *m, const iv_acts *acts, const float *grad_out,
                     iv_acts *grads, int stop_site, const int *cols, int n_cols,
                     iv_grad_hook hook, void *user)
{
    const long n = acts->n;
    const int out = iv_model_output_site(m);
    if (stop_site < 0)
        stop_site = 0;
    if (stop_site > out)
        return; /* no site at or above it */
    float *gout = grads->site[out]; /* (n, output width) */
    if (grad_out != gout)
        memcpy(gout, grad_out, sizeof(float) * (size_t)n * (size_t)iv_model_output_width(m));
    /* written[s]: some operation has put its contribution into grads->site[s]; the next one adds.
     * In a chain of dense layers every site has one reader and nothing is added. */
    bool *written = iv_xcalloc((size_t)m->n_sites, sizeof(bool));
    written[out] = true;
    float *scratch[2] = {NULL, NULL};
    for (int k = m->n_ops - 1; k >= 0; k--) {
        const iv_op *op = &m->ops[k];
        if (op->out < stop_site)
            break; /* operations write sites in order, so every earlier one is below too */
        iv_op_io x, g;
        iv_op_io_of(m, op, acts, &x);
        iv_op_io_of(m, op, grads, &g);
        if (!written[op->out]) /* read by nothing: the loss does not depend on it */
            memset(g.out, 0, sizeof(float) * (size_t)(n * g.out_width));
        /* Every reader of op->out comes after op, so its gradient is complete now. */
        if (hook)
            hook(op->out, g.out, n, g.out_width, user);
        float *into[2] = {NULL, NULL};
        for (int i = 0; i < 2; i++) {
            int s = op->in[i];
            if (s < stop_site)
                continue;
            if (!written[s]) {
                into[i] = (float *)g.in[i];
                written[s] = true;
            } else {
                if (!scratch[i])
                    scratch[i] = iv_xmalloc(sizeof(float) * (size_t)(n * g.in_width[i]));
                into[i] = scratch[i];
            }
        }
        const iv_op_type *type = iv_op_type_of(op->kind);
        if (cols && op->in[0] == stop_site && op->in[1] < 0 && type->backward_columns &&
            into[0] == g.in[0])
            type->backward_columns(m, op, &x, g.out, into[0], cols, n_cols);
        else
            type->backward(m, op, &x, g.out, into);
        for (int i = 0; i < 2; i++)
            if (into[i] && into[i] == scratch[i])
                add_into((float *)g.in[i], scratch[i], n * g.in_width[i]);
        for (int i = 0; i < 2; i++) { /* widths differ from operation to operation */
            free(scratch[i]);
            scratch[i] = NULL;
        }
    }
    if (stop_site == 0 && hook) {
        if (!written[0])
            memset(grads->site[0], 0, sizeof(float) * (size_t)(n * m->n_inputs));
        hook(0, grads->site[0], n, m->n_inputs, user);
    }
    free(written);
}

void iv_backward_hooked(const iv_model *m, const iv_acts *acts, const float *grad_out,
                        iv_acts *grads, int stop_site, iv_grad_hook hook, void *user)
{
    backward(m, acts, grad_out, grads, stop_site, NULL, 0, hook, user);
}

void iv_backward_columns(const iv_model *m, const iv_acts *acts, const float *grad_out,
                         iv_acts *grads, int stop_site, const int *cols, int k, iv_grad_hook hook,
                         void *user)
{
    backward(m, acts, grad_out, grads, stop_site, cols, k, hook, user);
}

void iv_backward(const iv_model *m, const iv_acts *acts, const float *grad_out, iv_acts *grads,
                 int stop_site)
{
    iv_backward_hooked(m, acts, grad_out, grads, stop_site, NULL, NULL);
}

void iv_backward_param_block(const iv_model *m, const iv_acts *acts, const iv_acts *grads,
                             float *dparams)
{
    for (int k = 0; k < m->n_ops; k++) {
        const iv_op *op = &m->ops[k];
        const iv_op_type *type = iv_op_type_of(op->kind);
        if (!type->param_grad)
            continue;
        iv_op_io x, g;
        iv_op_io_of(m, op, acts, &x);
        iv_op_io_of(m, op, grads, &g);
        type->param_grad(m, op, &x, g.out, dparams);
    }
}

void iv_backward_params(const iv_model *m, const iv_acts *acts, const iv_acts *grads, int layer,
                        float *dW, float *db)
{
    const iv_layer *L = &m->layers[layer];
    const iv_op *op = &m->ops[L->linear_op];
    iv_linear_param_grad(acts->n, L->n_in, L->n_out, grads->site[op->out], acts->site[op->in[0]],
                         dW, db);
}
