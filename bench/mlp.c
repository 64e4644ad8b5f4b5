/* mlp.c - the benchmarks' network (mlp.h). */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "build.h"

const int mlp_width[MLP_LAYERS + 1] = {784, 512, 512, 10};

float mlp_uniform(iv_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)iv_rng_uniform(r);
}

static void check(int rc, const iv_error *err, const char *who)
{
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", who, err->msg);
        exit(1);
    }
}

iv_model *mlp_build(iv_rng *rng, const char *const names[MLP_LAYERS], const char *who)
{
    iv_builder *b = iv_builder_new("bench:mlp", NULL);
    iv_builder_name(b, "mlp");
    char **inputs = iv_xmalloc(sizeof(char *) * (size_t)mlp_width[0]); /* (n_inputs) */
    for (int i = 0; i < mlp_width[0]; i++)
        inputs[i] = iv_xasprintf("p%d", i);
    iv_error err;
    check(iv_builder_inputs(b, mlp_width[0], inputs, NULL, &err), &err, who);
    for (int l = 0; l < MLP_LAYERS; l++) {
        int n_in = mlp_width[l], n_out = mlp_width[l + 1];
        size_t nw = (size_t)n_out * (size_t)n_in;
        float *w = iv_xmalloc(sizeof(float) * nw), *bias = iv_xmalloc(sizeof(float) * (size_t)n_out);
        float scale = 1.0f / sqrtf((float)n_in);
        for (size_t i = 0; i < nw; i++)
            w[i] = mlp_uniform(rng, -scale, scale);
        for (int o = 0; o < n_out; o++)
            bias[o] = mlp_uniform(rng, -scale, scale);
        iv_dense_spec d = {.name = names[l], .n_in = n_in, .n_out = n_out, .weight = w,
                           .bias = bias, .act = l + 1 < MLP_LAYERS ? IV_ACT_RELU : IV_ACT_IDENTITY};
        check(iv_builder_dense(b, &d, &err), &err, who);
        free(w);
        free(bias);
    }
    for (int i = 0; i < mlp_width[0]; i++)
        free(inputs[i]);
    free(inputs);
    iv_model *m = iv_builder_finish(b, &err);
    check(m ? 0 : -1, &err, who);
    return m;
}
