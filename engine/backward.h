/* backward.h - vector-Jacobian products through the model, for a batch: the gradient of a scalar
 * loss with respect to every site's values, and with respect to a layer's weights and bias.
 *
 * The backward pass mirrors iv_forward: one sgemm per layer, (n, n_out) x (n_out, n_in), and the
 * result for every site is kept in an iv_acts of the same shapes as the activations, so that the
 * gradient at "h1" sits next to the activation at "h1" (attribution, gradient x activation, and a
 * trainer later all read it that way).
 *
 * Interventions. The Jacobians are evaluated at the activations the caller passes, i.e. after the
 * interventions, and each layer's derivative is taken at its pre-activation (act'(pre)), not
 * recovered from its output: an intervention that adds to a site (noise) leaves d post / d pre =
 * act'(pre), which an output-based formula like sigmoid's s (1 - s) would get wrong. An
 * intervention that replaces values (zero, set, mean, resample, patch) makes those neurons constant
 * with respect to everything below them; this pass does not know about interventions and still
 * propagates through them, so for such neurons the gradients below the intervened site are those of
 * the network as if the replaced values had been computed by it. */
#ifndef IV_BACKWARD_H
#define IV_BACKWARD_H

#include "forward.h"

/* Gradients of a scalar loss with respect to the values of every site at or above `stop_site`,
 * given the forward activations of the batch (acts, as iv_forward filled them, interventions
 * included) and dL/d(output) for each row: grad_out is (n, output width). grads must come from
 * iv_acts_new for the same model and n; grads->site[s] gets dL/d(site s values), the same shape as
 * acts->site[s]. Sites below stop_site are left untouched (pass 0 for all, down to the input).
 * grad_out may be grads->site[output site] itself. */
void iv_backward(const iv_model *m, const iv_acts *acts, const float *grad_out, iv_acts *grads,
                 int stop_site);

/* dL/dW and dL/db of layer l summed over the batch, given the gradient at its pre-activation site
 * (for a trainer later): dW (n_out, n_in) = grad_pre^T in, db (n_out) = column sums. grads must
 * hold the pre-activation site of layer l (iv_backward with stop_site <= 1 + 2 l). Either dW or db
 * may be NULL when it is not wanted (db for a layer without bias). */
void iv_backward_params(const iv_model *m, const iv_acts *acts, const iv_acts *grads, int layer,
                        float *dW, float *db);

#endif
