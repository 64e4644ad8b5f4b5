/* ops_transformer.c - the operations of a transformer (gpt2.h), forward and backward side by side:
 * token and position embeddings, layer norm, a linear map at every position, and attention split in
 * two, the causal pattern from queries and keys and the mix of values it weighs.
 *
 * A batch row holds every position of a site, position-major (model.h: positions x heads x inner),
 * so an operation that acts at each position alone (layer norm, the linear maps) sees n x positions
 * rows of one position's width, and one sgemm covers the whole batch at every position. */
#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one position holds at a site: its width over its positions. */
static int per_position(const iv_site *s) { return s->width / (s->positions ? s->positions : 1); }

static int positions_of(const iv_model *m, const iv_op *op) { return m->sites[op->out].positions; }

/* The sites an operation joins are a transformer's, with the same positions. */
static const char *positions_check(const iv_op *op, const iv_site *sites, char *why, size_t n)
{
    const iv_site *out = &sites[op->out];
    if (out->positions < 1 || out->width % out->positions != 0) {
        snprintf(why, n, "%s has no position axis", out->name);
        return why;
    }
    for (int k = 0; k < 2; k++) {
        const iv_site *in = op->in[k] >= 0 ? &sites[op->in[k]] : NULL;
        int want = in && in->kind == IV_SITE_INPUT ? in->width : in ? in->positions : 0;
        if (in && want != out->positions) {
            snprintf(why, n, "it reads %s of %d positions into %s of %d", in->name, want,
                     out->name, out->positions);
            return why;
        }
    }
    return NULL;
}

static const char *params_fit(long offset, long count, long n_params, const char *what, char *why,
                              size_t n)
{
    if (offset < 0 || count < 0 || offset > n_params - count) {
        snprintf(why, n, "its %s (%ld values) runs past the %ld parameters", what, count, n_params);
        return why;
    }
    return NULL;
}

/* ---- embeddings: out[p] = table row token[p], or row p ---------------------------------------- */

/* A token id as the input holds it: a whole number within the table, else -1 (its row is then
 * zero: the workspace checks tokens as they come, so this only keeps a bad value from reading
 * outside the table). */
static long token_row(float v, int rows)
{
    if (!(v >= 0 && v < rows) || v != floorf(v))
        return -1;
    return (long)v;
}

static const char *embed_check(const iv_op *op, const iv_site *sites, long n_params, char *why,
                               size_t n)
{
    if (positions_check(op, sites, why, n))
        return why;
    int d = per_position(&sites[op->out]);
    if (op->rows < 1 || (op->kind == IV_OP_POS_EMBED && op->rows < sites[op->out].positions)) {
        snprintf(why, n, "its table has %d rows for %d positions", op->rows,
                 sites[op->out].positions);
        return why;
    }
    return params_fit(op->weight, (long)op->rows * d, n_params, "table", why, n);
}

static void embed_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    int T = positions_of(m, op), d = io->out_width / T;
    const float *table = m->params + op->weight;
    for (long r = 0; r < io->n; r++)
        for (int p = 0; p < T; p++) {
            long row = op->kind == IV_OP_EMBED ? token_row(io->in[0][r * T + p], op->rows) : p;
            float *out = io->out + (r * T + p) * d;
            if (row < 0)
                memset(out, 0, sizeof(float) * (size_t)d);
            else
                memcpy(out, table + row * d, sizeof(float) * (size_t)d);
        }
}

/* Token ids are not differentiable: their gradient is zero. */
static void embed_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                           const float *grad_out, float *const grad_in[2])
{
    (void)m, (void)op, (void)grad_out;
    if (grad_in[0])
        memset(grad_in[0], 0, sizeof(float) * (size_t)(x->n * x->in_width[0]));
}

/* Writes the table's gradient: each row the sum of the gradients at the positions that read it. */
static void embed_param_grad(const iv_model *m, const iv_op *op, const iv_op_io *x,
                             const float *grad_out, float *dparams)
{
    int T = positions_of(m, op), d = x->out_width / T;
    float *dt = dparams + op->weight;
    memset(dt, 0, sizeof(float) * (size_t)op->rows * (size_t)d);
    for (long r = 0; r < x->n; r++)
        for (int p = 0; p < T; p++) {
            long row = op->kind == IV_OP_EMBED ? token_row(x->in[0][r * T + p], op->rows) : p;
            if (row < 0)
                continue;
            const float *g = grad_out + (r * T + p) * d;
            for (int k = 0; k < d; k++)
                dt[row * d + k] += g[k];
        }
}

/* ---- layer norm, at each position ------------------------------------------------------------- */

static const char *layernorm_check(const iv_op *op, const iv_site *sites, long n_params,
                                   char *why, size_t n)
{
    if (positions_check(op, sites, why, n))
        return why;
    if (sites[op->in[0]].width != sites[op->out].width) {
        snprintf(why, n, "it reads %d values into %d", sites[op->in[0]].width,
                 sites[op->out].width);
        return why;
    }
    if (!(op->alpha > 0)) {
        snprintf(why, n, "its epsilon %g is not positive", op->alpha);
        return why;
    }
    int d = per_position(&sites[op->out]);
    if (params_fit(op->weight, d, n_params, "weight", why, n) ||
        params_fit(op->bias, d, n_params, "bias", why, n))
        return why;
    return NULL;
}

/* One position's mean and 1 / sqrt(var + eps), in double: PyTorch's float32 layer norm keeps its
 * sums in higher precision too, and the fixtures are compared to 1e-4. */
static void moments(const float *x, int d, float eps, double *mean, double *inv_sd)
{
    double s = 0, ss = 0;
    for (int k = 0; k < d; k++)
        s += x[k];
    *mean = s / d;
    for (int k = 0; k < d; k++)
        ss += (x[k] - *mean) * (x[k] - *mean);
    *inv_sd = 1.0 / sqrt(ss / d + eps);
}

static void layernorm_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    int T = positions_of(m, op), d = io->out_width / T;
    const float *w = m->params + op->weight, *b = m->params + op->bias;
    for (long r = 0; r < io->n * T; r++) {
        const float *x = io->in[0] + r * d;
        float *y = io->out + r * d;
        double mean, inv_sd;
        moments(x, d, op->alpha, &mean, &inv_sd);
        for (int k = 0; k < d; k++)
            y[k] = (float)((x[k] - mean) * inv_sd) * w[k] + b[k];
    }
}

/* With xhat = (x - mean) / sd and g = dL/dy * w: dL/dx = (g - mean(g) - xhat mean(g xhat)) / sd. */
static void layernorm_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                               const float *grad_out, float *const grad_in[2])
{
    if (!grad_in[0])
        return;
    int T = positions_of(m, op), d = x->out_width / T;
    const float *w = m->params + op->weight;
    for (long r = 0; r < x->n * T; r++) {
        const float *in = x->in[0] + r * d, *gy = grad_out + r * d;
        float *gx = grad_in[0] + r * d;
        double mean, inv_sd, sum_g = 0, sum_gx = 0;
        moments(in, d, op->alpha, &mean, &inv_sd);
        for (int k = 0; k < d; k++) {
            double g = (double)gy[k] * w[k];
            sum_g += g;
            sum_gx += g * (in[k] - mean) * inv_sd;
        }
        for (int k = 0; k < d; k++) {
            double xhat = (in[k] - mean) * inv_sd;
            gx[k] = (float)(((double)gy[k] * w[k] - sum_g / d - xhat * sum_gx / d) * inv_sd);
        }
    }
}

static void layernorm_param_grad(const iv_model *m, const iv_op *op, const iv_op_io *x,
                                 const float *grad_out, float *dparams)
{
    int T = positions_of(m, op), d = x->out_width / T;
    double *dw = iv_xcalloc((size_t)d * 2, sizeof(double)), *db = dw + d;
    for (long r = 0; r < x->n * T; r++) {
        const float *in = x->in[0] + r * d, *gy = grad_out + r * d;
        double mean, inv_sd;
        moments(in, d, op->alpha, &mean, &inv_sd);
        for (int k = 0; k < d; k++) {
            dw[k] += gy[k] * (in[k] - mean) * inv_sd;
            db[k] += gy[k];
        }
    }
    for (int k = 0; k < d; k++) {
        dparams[op->weight + k] = (float)dw[k];
        dparams[op->bias + k] = (float)db[k];
    }
    free(dw);
}

/* ---- a linear map at every position: out[p] = in[p] W^T + b ---------------------------------- */

static const char *linear_pos_check(const iv_op *op, const iv_site *sites, long n_params,
                                    char *why, size_t n)
{
    if (positions_check(op, sites, why, n))
        return why;
    long n_in = per_position(&sites[op->in[0]]), n_out = per_position(&sites[op->out]);
    if (params_fit(op->weight, n_in * n_out, n_params, "weights", why, n) ||
        (op->bias >= 0 && params_fit(op->bias, n_out, n_params, "bias", why, n)))
        return why;
    return NULL;
}

static void linear_pos_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    int T = positions_of(m, op), n_in = io->in_width[0] / T, n_out = io->out_width / T;
    long rows = io->n * T;
    const float *W = m->params + op->weight;
    if (op->bias >= 0)
        for (long r = 0; r < rows; r++)
            memcpy(io->out + r * n_out, m->params + op->bias, sizeof(float) * (size_t)n_out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, n_out, n_in, 1.0f, io->in[0],
                n_in, W, n_in, op->bias >= 0 ? 1.0f : 0.0f, io->out, n_out);
}

static void linear_pos_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                                const float *grad_out, float *const grad_in[2])
{
    if (!grad_in[0])
        return;
    int T = positions_of(m, op), n_in = x->in_width[0] / T, n_out = x->out_width / T;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(x->n * T), n_in, n_out, 1.0f,
                grad_out, n_out, m->params + op->weight, n_in, 0.0f, grad_in[0], n_in);
}

static void linear_pos_param_grad(const iv_model *m, const iv_op *op, const iv_op_io *x,
                                  const float *grad_out, float *dparams)
{
    int T = positions_of(m, op), n_in = x->in_width[0] / T, n_out = x->out_width / T;
    long rows = x->n * T;
    float *dW = dparams + op->weight;
    if (op->shared) /* a tied unembedding: its gradient adds onto the embedding's */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, (int)rows, 1.0f,
                    grad_out, n_out, x->in[0], n_in, 1.0f, dW, n_in);
    else
        iv_linear_param_grad(rows, n_in, n_out, grad_out, x->in[0], dW, NULL);
    if (op->bias >= 0) {
        double *sum = iv_xcalloc((size_t)n_out, sizeof(double));
        for (long r = 0; r < rows; r++)
            for (int o = 0; o < n_out; o++)
                sum[o] += grad_out[r * n_out + o];
        for (int o = 0; o < n_out; o++)
            dparams[op->bias + o] = (float)sum[o];
        free(sum);
    }
}

/* ---- attention: the causal pattern, and the mix of values ------------------------------------- */

/* Heads and head width of a head site (positions, heads, inner). */
static bool head_site(const iv_site *s, int T, int H, int dh)
{
    return s->kind == IV_SITE_HEAD && s->positions == T && s->heads == H && s->inner == dh &&
           s->width == T * H * dh;
}

static const char *attention_check(const iv_op *op, const iv_site *sites, long n_params,
                                   char *why, size_t n)
{
    (void)n_params;
    bool pattern_op = op->kind == IV_OP_ATTN_PATTERN;
    const iv_site *pattern = &sites[pattern_op ? op->out : op->in[0]];
    const iv_site *heads = &sites[pattern_op ? op->in[0] : op->out];
    int T = pattern->positions, H = pattern->heads, dh = heads->inner;
    bool fits = pattern->kind == IV_SITE_ATTN && T > 0 && H > 0 && pattern->inner == T &&
                pattern->width == H * T * T && head_site(heads, T, H, dh) &&
                head_site(&sites[op->in[1]], T, H, dh);
    if (!fits) {
        snprintf(why, n, "its sites are not of %d heads over %d positions", H, T);
        return why;
    }
    return NULL;
}

typedef struct {
    int T, H, dh;
} attn_shape;

static attn_shape shape_of(const iv_model *m, const iv_op *op)
{
    const iv_site *heads = &m->sites[op->kind == IV_OP_ATTN_PATTERN ? op->in[0] : op->out];
    return (attn_shape){heads->positions, heads->heads, heads->inner};
}

/* One head's pattern for one batch row, into P (T, T): softmax over keys k <= q of
 * q . k / sqrt(dh), zero above the diagonal. q and k are the row's (T, H, dh) values, head h. */
static void head_pattern(const float *q, const float *k, attn_shape s, int h, float *P)
{
    int stride = s.H * s.dh;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.T, s.T, s.dh,
                1.0f / sqrtf((float)s.dh), q + h * s.dh, stride, k + h * s.dh, stride, 0.0f, P,
                s.T);
    for (int i = 0; i < s.T; i++) {
        float *row = P + i * s.T, top = row[0];
        for (int j = 1; j <= i; j++)
            top = fmaxf(top, row[j]);
        double sum = 0;
        for (int j = 0; j <= i; j++) {
            row[j] = expf(row[j] - top);
            sum += row[j];
        }
        for (int j = 0; j <= i; j++)
            row[j] = (float)(row[j] / sum);
        for (int j = i + 1; j < s.T; j++)
            row[j] = 0;
    }
}

static void pattern_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    attn_shape s = shape_of(m, op);
    long head_row = (long)s.T * s.H * s.dh, pattern_row = (long)s.H * s.T * s.T;
    for (long r = 0; r < io->n; r++)
        for (int h = 0; h < s.H; h++)
            head_pattern(io->in[0] + r * head_row, io->in[1] + r * head_row, s, h,
                         io->out + r * pattern_row + (long)h * s.T * s.T);
}

/* P is recomputed from q and k (an intervention may have rewritten the pattern site, as softmax's
 * backward in ops.c explains). dS = P (dP - rowsum(dP P)), then dq = dS k / sqrt(dh) and
 * dk = dS^T q / sqrt(dh). */
static void pattern_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                             const float *grad_out, float *const grad_in[2])
{
    attn_shape s = shape_of(m, op);
    long head_row = (long)s.T * s.H * s.dh, pattern_row = (long)s.H * s.T * s.T;
    int stride = s.H * s.dh;
    float scale = 1.0f / sqrtf((float)s.dh);
    float *P = iv_xmalloc(sizeof(float) * (size_t)s.T * (size_t)s.T * 2), *dS = P + s.T * s.T;
    for (long r = 0; r < x->n; r++)
        for (int h = 0; h < s.H; h++) {
            const float *q = x->in[0] + r * head_row, *k = x->in[1] + r * head_row;
            const float *dP = grad_out + r * pattern_row + (long)h * s.T * s.T;
            head_pattern(q, k, s, h, P);
            for (int i = 0; i < s.T; i++) {
                double dot = 0;
                for (int j = 0; j <= i; j++)
                    dot += (double)dP[i * s.T + j] * P[i * s.T + j];
                for (int j = 0; j < s.T; j++)
                    dS[i * s.T + j] = j <= i ? (float)(P[i * s.T + j] * (dP[i * s.T + j] - dot)) : 0;
            }
            if (grad_in[0])
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.T, s.dh, s.T, scale, dS,
                            s.T, k + h * s.dh, stride, 0.0f, grad_in[0] + r * head_row + h * s.dh,
                            stride);
            if (grad_in[1])
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.T, s.dh, s.T, scale, dS,
                            s.T, q + h * s.dh, stride, 0.0f, grad_in[1] + r * head_row + h * s.dh,
                            stride);
        }
    free(P);
}

/* z (T, H, dh): head h's rows are P_h v_h, (T, T) x (T, dh). */
static void mix_forward(const iv_model *m, const iv_op *op, const iv_op_io *io)
{
    attn_shape s = shape_of(m, op);
    long head_row = (long)s.T * s.H * s.dh, pattern_row = (long)s.H * s.T * s.T;
    int stride = s.H * s.dh;
    for (long r = 0; r < io->n; r++)
        for (int h = 0; h < s.H; h++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.T, s.dh, s.T, 1.0f,
                        io->in[0] + r * pattern_row + (long)h * s.T * s.T, s.T,
                        io->in[1] + r * head_row + h * s.dh, stride, 0.0f,
                        io->out + r * head_row + h * s.dh, stride);
}

/* dP_h = dz_h v_h^T and dv_h = P_h^T dz_h, P as the pattern site holds it (what z was made of). */
static void mix_backward(const iv_model *m, const iv_op *op, const iv_op_io *x,
                         const float *grad_out, float *const grad_in[2])
{
    attn_shape s = shape_of(m, op);
    long head_row = (long)s.T * s.H * s.dh, pattern_row = (long)s.H * s.T * s.T;
    int stride = s.H * s.dh;
    for (long r = 0; r < x->n; r++)
        for (int h = 0; h < s.H; h++) {
            const float *dz = grad_out + r * head_row + h * s.dh;
            const float *P = x->in[0] + r * pattern_row + (long)h * s.T * s.T;
            if (grad_in[0])
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.T, s.T, s.dh, 1.0f, dz,
                            stride, x->in[1] + r * head_row + h * s.dh, stride, 0.0f,
                            grad_in[0] + r * pattern_row + (long)h * s.T * s.T, s.T);
            if (grad_in[1])
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.T, s.dh, s.T, 1.0f, P, s.T,
                            dz, stride, 0.0f, grad_in[1] + r * head_row + h * s.dh, stride);
        }
}

/* ---- the table ---------------------------------------------------------------------------------- */

static const iv_op_type transformer_types[] = {
    [IV_OP_EMBED - IV_OP_EMBED] = {"embed", 1, embed_forward, embed_backward, embed_check, NULL,
                                   embed_param_grad, NULL},
    [IV_OP_POS_EMBED - IV_OP_EMBED] = {"pos_embed", 1, embed_forward, embed_backward, embed_check,
                                       NULL, embed_param_grad, NULL},
    [IV_OP_LAYERNORM - IV_OP_EMBED] = {"layernorm", 1, layernorm_forward, layernorm_backward,
                                       layernorm_check, NULL, layernorm_param_grad, NULL},
    [IV_OP_LINEAR_POS - IV_OP_EMBED] = {"linear_pos", 1, linear_pos_forward, linear_pos_backward,
                                        linear_pos_check, NULL, linear_pos_param_grad, NULL},
    [IV_OP_ATTN_PATTERN - IV_OP_EMBED] = {"attn_pattern", 2, pattern_forward, pattern_backward,
                                          attention_check, NULL, NULL, NULL},
    [IV_OP_ATTN_MIX - IV_OP_EMBED] = {"attn_mix", 2, mix_forward, mix_backward, attention_check,
                                      NULL, NULL, NULL},
};

const iv_op_type *iv_transformer_op_type(iv_op_kind kind)
{
    return &transformer_types[kind - IV_OP_EMBED];
}
