/* backward.h - vector-Jacobian products through the model, for a batch: the gradient of a scalar
 * loss with respect to every site's values, and with respect to the parameters.
 *
 * The backward pass mirrors iv_forward: the operations in reverse, each through its own
 * vector-Jacobian product (ops.c), and the result for every site kept in an iv_acts of the same
 * shapes as the activations, so that the gradient at "h1" sits next to the activation at "h1"
 * (attribution, gradient x activation and a trainer all read it that way). A site read by several
 * operations gets the sum of their contributions.
 *
 * Interventions. Every Jacobian is taken at the activations the caller passes, i.e. after the
 * interventions: an activation's derivative at the input it actually read. What an intervention
 * does to the gradient is its own to say: a hook, the backward twin of the forward hook, is called
 * at each site once the gradient with respect to the site's values as the next operations read
 * them is complete, and rewrites it in place into the gradient with respect to the values the site
 * had before the interventions (iv_apply_backward_hook: a replaced neuron passes nothing below it,
 * added noise passes everything, a trainable intervention takes the gradient for its parameters).
 * The gradient kept for a site is the rewritten one. Without a hook the pass treats every site as
 * computed by the network. */
#ifndef IV_BACKWARD_H
#define IV_BACKWARD_H

#include "forward.h"

/* Called at a site with dL/d(values after the interventions); rewrites it to dL/d(values before). */
typedef void (*iv_grad_hook)(int site, float *grad, long n, int width, void *user);

/* Gradients of a scalar loss with respect to the values of every site at or above `stop_site`
 * (sites are numbered in forward order), given the forward activations of the batch (acts, as
 * iv_forward filled them, interventions included) and dL/d(output) for each row: grad_out is
 * (n, output width). grads must come from iv_acts_new for the same model and n; grads->site[s]
 * gets dL/d(site s), the same shape as acts->site[s]. Sites below stop_site are left untouched
 * (pass 0 for all, down to the input). grad_out may be grads->site[output site] itself. The hook
 * may be NULL. */
void iv_backward_hooked(const iv_model *m, const iv_acts *acts, const float *grad_out,
                        iv_acts *grads, int stop_site, iv_grad_hook hook, void *user);
void iv_backward(const iv_model *m, const iv_acts *acts, const float *grad_out, iv_acts *grads,
                 int stop_site);
/* The same, when only columns cols (k of them) of stop_site's gradient are wanted: where the
 * operation reading stop_site can compute just those (a linear one), the rest of that site's
 * gradient is left zero; everything above stop_site is whole. */
void iv_backward_columns(const iv_model *m, const iv_acts *acts, const float *grad_out,
                         iv_acts *grads, int stop_site, const int *cols, int k, iv_grad_hook hook,
                         void *user);

/* dL/d(parameters) summed over the batch, for every operation, into dparams laid out as the
 * model's params (m->n_params floats). grads must hold every site (stop_site 0 or 1). */
void iv_backward_param_block(const iv_model *m, const iv_acts *acts, const iv_acts *grads,
                             float *dparams);
/* The same for one dense layer, into separate dW (n_out, n_in) and db (n_out); either may be NULL
 * (db for a layer without bias). grads must hold the layer's pre-activation site. */
void iv_backward_params(const iv_model *m, const iv_acts *acts, const iv_acts *grads, int layer,
                        float *dW, float *db);

#endif
