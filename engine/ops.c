/* ops.c - every kind of operation: its forward arithmetic and its vector-Jacobian product side by
 * side, one section each, and the table that names them. */
#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- linear: out = in W^T + b ------------------------------------------------------------------ */

static const char *linear_check(const iv_op *op, const iv_site *sites, long n_params, char *why,
                                size_t n)
{
    long n_in = sites[op->in[0]].width, n_out = sites[op->out].width;
    if (op->weight < 0 || op->weight > n_params - n_in * n_out ||
        (op->bias >= 0 && op->bias > n_params - n_out)) {
        snprintf(why, n, "its %ld x %ld weights%s run past the %ld parameters", n_out, n_in,
                 op->bias >= 0 ? " and bias" : "", n_params);
        return why;
    }
    return NULL;
}

/* Through sgemm: the bias is broadcast into out first so that sgemm adds onto it (beta 1). */
static void blas_linear(const float *W, const float *bias, int n_in, int n_out, const float *in,
                        float *out, long n)
{
    if (bias)
        for (long r = 0; r < n; r++)
            memcpy(out + r * n_out, bias, sizeof(float) * (size_t)n_out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, n_out, n_in, 1.0f, in, n_in, W,
                n_in, bias ? 1.0f : 0.0f, out, n_out);
}

/* The same for layers of a few weights, like the lecture network's: sgemm's fixed cost per call
 * (packing, blocking) is several times the arithmetic of a 2 -> 4 layer, even over 10,000 rows.
 * The row loop is instantiated for each small input width, so that the compiler sees a constant
 * n_in and unrolls it into straight-line code. */
#define TINY_IN 4
#define TINY_LAYER 64 /* weights */

static inline __attribute__((always_inline)) void
tiny_rows(const float *W, const float *bias, int n_out, const float *restrict in,
          float *restrict out, long n, const int n_in)
{
    /* Local copies: the compiler may keep them in registers, as nothing can write to them. */
    float w[TINY_LAYER], b[TINY_LAYER];
    memcpy(w, W, sizeof(float) * (size_t)(n_in * n_out));
    for (int o = 0; o < n_out; o++)
        b[o] = bias ? bias[o] : 0;
    for (long r = 0; r < n; r++) {
        const float *x = in + r * n_in; /* (n_in) */
        float *y = out + r * n_out;     /* (n_out) */
        for (int o = 0; o < n_out; o++) {
            float acc = b[o];
            for (int i = 0; i < n_in; i++)
                acc += w[o * n_in + i] * x[i];
            y[o] = acc;
        }
    }
}

static void linear_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    const float *W = m->params + op->weight, *bias = op->bias >= 0 ? m->params + op->bias : NULL;
    int n_in = io->in_width[0], n_out = io->out_width;
    if (n_in > TINY_IN || (long)n_in * n_out > TINY_LAYER) {
        blas_linear(W, bias, n_in, n_out, io->in[0], io->out, io->n);
        return;
    }
    switch (n_in) {
    case 1: tiny_rows(W, bias, n_out, io->in[0], io->out, io->n, 1); break;
    case 2: tiny_rows(W, bias, n_out, io->in[0], io->out, io->n, 2); break;
    case 3: tiny_rows(W, bias, n_out, io->in[0], io->out, io->n, 3); break;
    default: tiny_rows(W, bias, n_out, io->in[0], io->out, io->n, 4); break;
    }
}

#define SMALL_UPDATE 8 /* columns up to which a rank-k update is written out rather than sgemm */

/* y = c + a x, and y += a x, in blocks of eight so that the compiler vectorizes them at -O2 (as
 * activate_copy). */
#define LANES 8
static void add_scaled_into(float *restrict y, const float *restrict x, float a, int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++)
            y[i + l] += a * x[i + l];
    for (; i < n; i++)
        y[i] += a * x[i];
}

static void add_scaled(float *restrict y, const float *restrict c, const float *restrict x, float a,
                       int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++)
            y[i + l] = c[i + l] + a * x[i + l];
    for (; i < n; i++)
        y[i] = c[i] + a * x[i];
}

/* out = clean + delta W[:, idx]^T: (n, k) x (k, n_out), the weights of the k columns gathered. */
static void linear_update(const iv_model *m, const iv_op *op, const iv_op_io *io,
                          const float *clean_out, const float *delta, const int *idx, int k)
{
    int n_in = io->in_width[0], n_out = io->out_width;
    const float *W = m->params + op->weight;
    float *Wk = iv_xmalloc(sizeof(float) * (size_t)n_out * (size_t)k); /* (n_out, k) */
    for (int o = 0; o < n_out; o++)
        for (int j = 0; j < k; j++)
            Wk[o * k + j] = W[(size_t)o * (size_t)n_in + (size_t)idx[j]];
    if (k > SMALL_UPDATE) {
        if (io->out != clean_out)
            memcpy(io->out, clean_out, sizeof(float) * (size_t)(io->n * n_out));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)io->n, n_out, k, 1.0f, delta, k,
                    Wk, k, 1.0f, io->out, n_out);
        free(Wk);
        return;
    }
    /* A product of a few columns is mostly sgemm's packing: written out, the inner loop over the
     * outputs is a plain multiply-add the compiler vectorizes. */
    float *wt = iv_xmalloc(sizeof(float) * (size_t)k * (size_t)n_out); /* (k, n_out) */
    for (int j = 0; j < k; j++)
        for (int o = 0; o < n_out; o++)
            wt[j * n_out + o] = Wk[o * k + j];
    for (long r = 0; r < io->n; r++) {
        /* The first column adds onto the clean row as it is copied: one sweep, not two. */
        float *y = io->out + r * n_out;
        if (io->out == clean_out)
            add_scaled_into(y, wt, delta[r * k], n_out);
        else
            add_scaled(y, clean_out + r * n_out, wt, delta[r * k], n_out);
        for (int j = 1; j < k; j++)
            add_scaled_into(y, wt + j * n_out, delta[r * k + j], n_out);
    }
    free(wt);
    free(Wk);
}

/* out = in W^T + b, so dL/d in = dL/d out . W: (n, n_out) x (n_out, n_in). */
static void linear_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                            const float *grad_out, float *const grad_in[2])
{
    if (!grad_in[0])
        return;
    int n_in = x->in_width[0], n_out = x->out_width;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)x->n, n_in, n_out, 1.0f, grad_out,
                n_out, m->params + op->weight, n_in, 0.0f, grad_in[0], n_in);
}

void iv_linear_param_grad(long n, int n_in, int n_out, const float *grad_out, const float *in,
                          float *dW, float *db)
{
    /* dW[o][i] = sum over rows of gout[r][o] in[r][i]: (n_out, n) x (n, n_in); `in` is what the
     * operation read, after any intervention. */
    if (dW)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, (int)n, 1.0f, grad_out,
                    n_out, in, n_in, 0.0f, dW, n_in);
    if (!db)
        return;
    /* Summed in double: a float running sum over tens of thousands of rows drifts by more than the
     * last digits a trainer's small steps depend on. */
    double *sum = iv_xcalloc((size_t)n_out, sizeof(double)); /* (n_out) */
    for (long r = 0; r < n; r++)
        for (int o = 0; o < n_out; o++)
            sum[o] += grad_out[r * n_out + o];
    for (int o = 0; o < n_out; o++)
        db[o] = (float)sum[o];
    free(sum);
}

/* dL/d in[:, cols] = dL/d out . W[:, cols]: (n, n_out) x (n_out, k), the k columns gathered. */
static void linear_backward_columns(const iv_model *m, const iv_op *op, const iv_op_io *x,
                                    const float *grad_out, float *grad_in, const int *cols, int k)
{
    int n_in = x->in_width[0], n_out = x->out_width;
    long n = x->n;
    const float *W = m->params + op->weight;
    float *Wk = iv_xmalloc(sizeof(float) * (size_t)n_out * (size_t)k); /* (n_out, k) */
    float *gk = iv_xmalloc(sizeof(float) * (size_t)n * (size_t)k);     /* (n, k) */
    for (int o = 0; o < n_out; o++)
        for (int j = 0; j < k; j++)
            Wk[o * k + j] = W[(size_t)o * (size_t)n_in + (size_t)cols[j]];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, k, n_out, 1.0f, grad_out, n_out,
                Wk, k, 0.0f, gk, k);
    memset(grad_in, 0, sizeof(float) * (size_t)n * (size_t)n_in);
    for (long r = 0; r < n; r++)
        for (int j = 0; j < k; j++)
            grad_in[r * n_in + cols[j]] = gk[r * k + j];
    free(gk);
    free(Wk);
}

static void linear_param_grad(const iv_model *m, const iv_op *op, const iv_op_io *x,
                              const float *grad_out, float *dparams)
{
    (void)m;
    iv_linear_param_grad(x->n, x->in_width[0], x->out_width, grad_out, x->in[0],
                         dparams + op->weight, op->bias >= 0 ? dparams + op->bias : NULL);
}

/* ---- activation: out = act(in), element by element --------------------------------------------- */

/* For every operation that keeps the width: activation, softmax, add. */
static const char *same_width_check(const iv_op *op, const iv_site *sites, long n_params,
                                    char *why, size_t n)
{
    (void)n_params;
    for (int k = 0; k < 2; k++)
        if (op->in[k] >= 0 && sites[op->in[k]].width != sites[op->out].width) {
            snprintf(why, n, "it reads %s of %d values into %s of %d", sites[op->in[k]].name,
                     sites[op->in[k]].width, sites[op->out].name, sites[op->out].width);
            return why;
        }
    return NULL;
}

#define GELU_C 0.7978845608f /* sqrt(2 / pi), of GPT-2's tanh approximation */

void iv_activation_apply(iv_activation a, float alpha, float *x, long rows, int width)
{
    long n = rows * width;
    switch (a) {
    case IV_ACT_IDENTITY:
        break;
    case IV_ACT_RELU:
        for (long i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU:
        for (long i = 0; i < n; i++)
            x[i] = x[i] < 0 ? alpha * x[i] : x[i];
        break;
    case IV_ACT_SIGMOID:
        for (long i = 0; i < n; i++)
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case IV_ACT_TANH:
        for (long i = 0; i < n; i++)
            x[i] = tanhf(x[i]);
        break;
    case IV_ACT_GELU:
        for (long i = 0; i < n; i++)
            x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f));
        break;
    case IV_ACT_GELU_TANH:
        /* 0.5 x (1 + tanh u) = x / (1 + exp(-2u)): one expf, which costs a fifth of a tanhf
         * (GPT-2 small's MLPs spent as long in tanhf as in a third of their products). A large
         * negative u sends exp to infinity and the value to -0, as the limit is. */
        for (long i = 0; i < n; i++) {
            float v = x[i];
            x[i] = v / (1.0f + expf(-2.0f * GELU_C * (v + 0.044715f * v * v * v)));
        }
        break;
    case IV_ACT_SOFTMAX:
        for (long r = 0; r < rows; r++) {
            float *row = x + r * width;
            float top = row[0];
            for (int i = 1; i < width; i++)
                top = fmaxf(top, row[i]);
            double sum = 0; /* subtracting the max keeps exp from overflowing */
            for (int i = 0; i < width; i++) {
                row[i] = expf(row[i] - top);
                sum += row[i];
            }
            for (int i = 0; i < width; i++)
                row[i] = (float)(row[i] / sum);
        }
        break;
    }
}

/* ReLU and leaky ReLU are written branch-free in blocks of eight over separate arrays, a shape the
 * compiler vectorizes even at -O2: a branchy ReLU mispredicts on half of its inputs and took half as
 * long again as the layer's sgemm. */
#define BLOCK 8
/* The arrays are restrict parameters, not restrict locals: only on parameters does the compiler
 * take the promise that they do not overlap and vectorize (as locals this ran at half the speed). */
static void activate_copy(iv_activation act, float alpha, const float *restrict pre,
                          float *restrict post, long rows, int width)
{
    long count = rows * width, i = 0;
    switch (act) {
    case IV_ACT_RELU:
        for (; i + BLOCK <= count; i += BLOCK)
            for (int k = 0; k < BLOCK; k++)
                post[i + k] = pre[i + k] > 0 ? pre[i + k] : 0;
        for (; i < count; i++)
            post[i] = pre[i] > 0 ? pre[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU:
        for (; i + BLOCK <= count; i += BLOCK)
            for (int k = 0; k < BLOCK; k++)
                post[i + k] = pre[i + k] > 0 ? pre[i + k] : alpha * pre[i + k];
        for (; i < count; i++)
            post[i] = pre[i] > 0 ? pre[i] : alpha * pre[i];
        break;
    default:
        memcpy(post, pre, sizeof(float) * (size_t)count);
        iv_activation_apply(act, alpha, post, rows, width);
        break;
    }
}

static void activation_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    (void)m;
    activate_copy(op->act, op->alpha, io->in[0], io->out, io->n, io->out_width);
}

/* d out / d in is taken at in for every activation: the derivative at the point the forward pass
 * actually evaluated, whatever an intervention later wrote into the output site (an added noise
 * leaves it act'(in), which an output-based formula like sigmoid's s (1 - s) would get wrong). For
 * sigmoid and tanh that costs one exp or tanh per value, small beside the layer's sgemm. */
static void activation_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                                const float *restrict gpost, float *const grad_in[2])
{
    (void)m;
    float *restrict gpre = grad_in[0];
    if (!gpre)
        return;
    const float *restrict pre = x->in[0];
    long count = x->n * x->out_width;
    switch (op->act) {
    case IV_ACT_IDENTITY:
    case IV_ACT_SOFTMAX: /* not an activation operation: built as IV_OP_SOFTMAX */
        memcpy(gpre, gpost, sizeof(float) * (size_t)count);
        break;
    case IV_ACT_RELU:
        /* The forward pass passes pre > 0 and zeroes the rest, so the kink (pre = 0) gets 0. */
        for (long i = 0; i < count; i++)
            gpre[i] = pre[i] > 0 ? gpost[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU: {
        const float alpha = op->alpha;
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
            float v = pre[i];
            float cdf = 0.5f * (1.0f + erff(v * 0.70710678f));
            float pdf = 0.39894228f * expf(-0.5f * v * v);
            gpre[i] = gpost[i] * (cdf + v * pdf);
        }
        break;
    case IV_ACT_GELU_TANH:
        /* u = c (x + a x^3): d/dx [x (1 + tanh u) / 2] = (1 + t) / 2 + x (1 - t^2) c (1 + 3 a x^2) / 2 */
        for (long i = 0; i < count; i++) {
            float v = pre[i];
            float t = tanhf(GELU_C * (v + 0.044715f * v * v * v));
            gpre[i] = gpost[i] * (0.5f * (1.0f + t) +
                                  0.5f * v * (1.0f - t * t) * GELU_C * (1.0f + 0.134145f * v * v));
        }
        break;
    }
}

/* ---- softmax: out = softmax(in), by rows -------------------------------------------------------- */

static void softmax_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    (void)m;
    (void)op;
    memcpy(io->out, io->in[0], sizeof(float) * (size_t)(io->n * io->out_width));
    iv_activation_apply(IV_ACT_SOFTMAX, 0, io->out, io->n, io->out_width);
}

/* One row: gin = p (g - sum(g p)), with p recomputed from the input exactly as the forward pass
 * computes it (max subtracted, float exp, double sum), not read from the output site, which an
 * intervention may have rewritten. gin holds the exponentials, then p, then the result, so no
 * scratch buffer is needed. */
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

static void softmax_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                             const float *grad_out, float *const grad_in[2])
{
    (void)m;
    (void)op;
    if (!grad_in[0])
        return;
    int w = x->out_width;
    for (long r = 0; r < x->n; r++)
        softmax_row_backward(x->in[0] + r * w, grad_out + r * w, grad_in[0] + r * w, w);
}

/* ---- add: out = in0 + in1 ----------------------------------------------------------------------- */

static void add_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    (void)m;
    (void)op;
    long count = io->n * io->out_width;
    for (long i = 0; i < count; i++)
        io->out[i] = io->in[0][i] + io->in[1][i];
}

static void add_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                         const float *grad_out, float *const grad_in[2])
{
    (void)m;
    (void)op;
    for (int k = 0; k < 2; k++)
        if (grad_in[k])
            memcpy(grad_in[k], grad_out, sizeof(float) * (size_t)(x->n * x->out_width));
}

void iv_op_io_of(const iv_model *m, const iv_op *op, const iv_acts *acts, iv_op_io *io)
{
    for (int k = 0; k < 2; k++) {
        io->in[k] = op->in[k] >= 0 ? acts->site[op->in[k]] : NULL;
        io->in_width[k] = op->in[k] >= 0 ? m->sites[op->in[k]].width : 0;
    }
    io->out = acts->site[op->out];
    io->out_width = m->sites[op->out].width;
    io->n = acts->n;
}

/* ---- the table ---------------------------------------------------------------------------------- */

static const iv_op_type op_types[IV_OP_EMBED] = {
    [IV_OP_LINEAR] = {"linear", 1, linear_forward, linear_backward, linear_check, linear_update,
                      linear_param_grad, linear_backward_columns},
    [IV_OP_ACTIVATION] = {"activation", 1, activation_forward, activation_backward,
                          same_width_check, NULL, NULL},
    [IV_OP_SOFTMAX] = {"softmax", 1, softmax_forward, softmax_backward, same_width_check, NULL,
                       NULL},
    [IV_OP_ADD] = {"add", 2, add_forward, add_backward, same_width_check, NULL, NULL},
};

const iv_op_type *iv_dense_op_type(iv_op_kind kind) { return &op_types[kind]; }
