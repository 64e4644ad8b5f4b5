/* backward.c - the batched backward pass: per layer, the activation's derivative element by element
 * (softmax by rows), then one sgemm back through the weights; and the weight and bias gradients. */
#include "backward.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* d post / d pre is taken at pre for every activation (see backward.h): it is the derivative of the
 * layer at the point the forward pass actually evaluated it, whatever an intervention later wrote
 * into the post site. For sigmoid and tanh that costs one exp or tanh per value, which is small
 * beside the layer's sgemm. */

/* One row of softmax: gpre = p (g - sum(g p)), with p recomputed from pre exactly as the forward
 * pass computes it (max subtracted, float exp, double sum). gpre holds the exponentials, then p,
 * then the result, so no scratch buffer is needed. */
static void softmax_row_backward(const float *restrict pre, const float *restrict gpost,
                                 float *restrict gpre, int width)
{
    float top = pre[0];
    for (int i = 1; i < width; i++)
        top = fmaxf(top, pre[i]);
    double sum = 0;
    for (int i = 0; i < width; i++) {
        gpre[i] = expf(pre[i] - top);
        sum += gpre[i];
    }
    double dot = 0; /* sum over the row of g p */
    for (int i = 0; i < width; i++) {
        gpre[i] = (float)(gpre[i] / sum);
        dot += (double)gpost[i] * gpre[i];
    }
    for (int i = 0; i < width; i++)
        gpre[i] = (float)(gpre[i] * (gpost[i] - dot));
}

/* gpre = gpost (.) act'(pre) for a (n, n_out) block; softmax by rows. */
static void activation_backward(const iv_layer *L, const float *restrict pre,
                                const float *restrict gpost, float *restrict gpre, long n)
{
    long count = n * L->n_out;
    switch (L->act) {
    case IV_ACT_IDENTITY:
        memcpy(gpre, gpost, sizeof(float) * (size_t)count);
        break;
    case IV_ACT_RELU:
        /* The forward pass passes pre > 0 and zeroes the rest, so the kink (pre = 0) gets 0. */
        for (long i = 0; i < count; i++)
            gpre[i] = pre[i] > 0 ? gpost[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU: {
        const float alpha = L->alpha;
        for (long i = 0; i < count; i++)
            gpre[i] = pre[i] > 0 ? gpost[i] : alpha * gpost[i];
        break;
    }
    case IV_ACT_SIGMOID:
        for (long i = 0; i < count; i++) {
            float s = 1.0f / (1.0f + expf(-pre[i]));
            gpre[i] = gpost[i] * s * (1.0f - s);
        }
        break;
    case IV_ACT_TANH:
        for (long i = 0; i < count; i++) {
            float t = tanhf(pre[i]);
            gpre[i] = gpost[i] * (1.0f - t * t);
        }
        break;
    case IV_ACT_GELU:
        /* d/dx [x Phi(x)] = Phi(x) + x phi(x), Phi and phi the standard normal cdf and density. */
        for (long i = 0; i < count; i++) {
            float x = pre[i];
            float cdf = 0.5f * (1.0f + erff(x * 0.70710678f));
            float pdf = 0.39894228f * expf(-0.5f * x * x);
            gpre[i] = gpost[i] * (cdf + x * pdf);
        }
        break;
    case IV_ACT_SOFTMAX:
        for (long r = 0; r < n; r++)
            softmax_row_backward(pre + r * L->n_out, gpost + r * L->n_out, gpre + r * L->n_out,
                                 L->n_out);
        break;
    }
}

void iv_backward(const iv_model *m, const iv_acts *acts, const float *grad_out, iv_acts *grads,
                 int stop_site)
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
    for (int l = m->n_layers - 1; l >= 0; l--) {
        const iv_layer *L = &m->layers[l];
        if (2 * l + 1 < stop_site)
            break;
        const float *pre = acts->site[2 * l + 1];    /* (n, n_out) */
        const float *gpost = grads->site[2 * l + 2]; /* (n, n_out) */
        float *gpre = grads->site[2 * l + 1];        /* (n, n_out) */
        activation_backward(L, pre, gpost, gpre, n);
        if (2 * l < stop_site)
            break;
        /* pre = in W^T + b, so dL/d in = dL/d pre . W: (n, n_out) x (n_out, n_in). */
        float *gin = grads->site[2 * l]; /* (n, n_in) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, L->n_in, L->n_out, 1.0f,
                    gpre, L->n_out, L->weight, L->n_in, 0.0f, gin, L->n_in);
    }
}

void iv_backward_params(const iv_model *m, const iv_acts *acts, const iv_acts *grads, int layer,
                        float *dW, float *db)
{
    const iv_layer *L = &m->layers[layer];
    const long n = acts->n;
    const float *in = acts->site[2 * layer];        /* (n, n_in), after any intervention */
    const float *gpre = grads->site[2 * layer + 1]; /* (n, n_out) */
    if (dW) /* dW[o][i] = sum over rows of gpre[r][o] in[r][i]: (n_out, n) x (n, n_in) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->n_out, L->n_in, (int)n, 1.0f, gpre,
                    L->n_out, in, L->n_in, 0.0f, dW, L->n_in);
    if (db) {
        /* Summed in double: a float running sum over tens of thousands of rows drifts by more
         * than the last digits a trainer's small steps depend on. */
        double *sum = iv_xcalloc((size_t)L->n_out, sizeof(double)); /* (n_out) */
        for (long r = 0; r < n; r++)
            for (int o = 0; o < L->n_out; o++)
                sum[o] += gpre[r * L->n_out + o];
        for (int o = 0; o < L->n_out; o++)
            db[o] = (float)sum[o];
        free(sum);
    }
}
