/* mlp.h - the student-sized network the benchmarks measure, made the same way by each: a
 * 784-512-512-10 MLP, ReLU on the hidden layers, inputs p0..p783, weights and biases uniform in
 * +-1/sqrt(n_in) drawn from rng (each layer's weights, then its bias). */
#ifndef IV_BENCH_MLP_H
#define IV_BENCH_MLP_H

#include "model.h"
#include "rng.h"

#define MLP_LAYERS 3
extern const int mlp_width[MLP_LAYERS + 1]; /* inputs, then each layer's outputs */

float mlp_uniform(iv_rng *r, float lo, float hi);
/* The network, its layers named names[0..2]; exits with a message naming `who` on failure. */
iv_model *mlp_build(iv_rng *rng, const char *const names[MLP_LAYERS], const char *who);

#endif
