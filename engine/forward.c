/* forward.c - the batched forward pass: one sgemm per layer, every site kept, a hook at each site. */
#include "forward.h"

#include "budget.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

iv_acts *iv_acts_new(const iv_model *m, long n, iv_error *err)
{
    int sites = iv_model_site_count(m);
    size_t per_row = 0;
    for (int s = 0; s < sites; s++)
        per_row += (size_t)iv_model_site_width(m, s);
    if (n < 1) {
        iv_error_set(err, "a pass needs at least one row (got %ld)", n);
        return NULL;
    }
    char what[96];
    snprintf(what, sizeof what, "a pass over %ld rows of %zu activations", n, per_row);
    float *block = iv_big_alloc((size_t)n, per_row * sizeof(float), what, err);
    if (!block)
        return NULL;
    iv_acts *a = iv_xcalloc(1, sizeof *a);
    a->n = n;
    a->n_sites = sites;
    a->width = iv_xmalloc(sizeof(int) * (size_t)sites);
    a->site = iv_xmalloc(sizeof(float *) * (size_t)sites);
    a->block = block;
    float *p = a->block;
    for (int s = 0; s < sites; s++) {
        a->width[s] = iv_model_site_width(m, s);
        a->site[s] = p;
        p += (size_t)n * (size_t)a->width[s];
    }
    return a;
}

void iv_acts_free(iv_acts *a)
{
    if (!a)
        return;
    free(a->width);
    free(a->site);
    free(a->block);
    free(a);
}

/* pre = in W^T + b through sgemm: the bias is broadcast into pre first so that sgemm adds onto it
 * (beta 1). */
static void blas_layer(const iv_layer *L, const float *in, float *pre, long n)
{
    if (L->bias)
        for (long r = 0; r < n; r++)
            memcpy(pre + r * L->n_out, L->bias, sizeof(float) * (size_t)L->n_out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, L->n_out, L->n_in, 1.0f, in,
                L->n_in, L->weight, L->n_in, L->bias ? 1.0f : 0.0f, pre, L->n_out);
}

/* The same for layers of a few weights, like the lecture network's: sgemm's fixed cost per call
 * (packing, blocking) is several times the arithmetic of a 2 -> 4 layer, even over 10,000 rows.
 * The row loop is instantiated for each small input width, so that the compiler sees a constant
 * n_in and unrolls it into straight-line code. */
#define TINY_IN 4
#define TINY_LAYER 64 /* weights */

static inline __attribute__((always_inline)) void
tiny_rows(const iv_layer *L, const float *restrict in, float *restrict pre, long n, const int n_in)
{
    /* Local copies: the compiler may keep them in registers, as nothing can write to them. */
    const int n_out = L->n_out;
    float w[TINY_LAYER], b[TINY_LAYER];
    memcpy(w, L->weight, sizeof(float) * (size_t)(n_in * n_out));
    for (int o = 0; o < n_out; o++)
        b[o] = L->bias ? L->bias[o] : 0;
    for (long r = 0; r < n; r++) {
        const float *x = in + r * n_in; /* (n_in) */
        float *y = pre + r * n_out;     /* (n_out) */
        for (int o = 0; o < n_out; o++) {
            float acc = b[o];
            for (int i = 0; i < n_in; i++)
                acc += w[o * n_in + i] * x[i];
            y[o] = acc;
        }
    }
}

static bool is_tiny(const iv_layer *L)
{
    return L->n_in <= TINY_IN && (long)L->n_in * L->n_out <= TINY_LAYER;
}

static void tiny_layer(const iv_layer *L, const float *in, float *pre, long n)
{
    switch (L->n_in) {
    case 1: tiny_rows(L, in, pre, n, 1); break;
    case 2: tiny_rows(L, in, pre, n, 2); break;
    case 3: tiny_rows(L, in, pre, n, 3); break;
    default: tiny_rows(L, in, pre, n, 4); break;
    }
}

/* post = act(pre), element by element (softmax by rows). ReLU and leaky ReLU are written
 * branch-free in blocks of eight over separate arrays, a shape the compiler vectorizes even at -O2:
 * a branchy ReLU mispredicts on half of its inputs and took half as long again as the layer's sgemm. */
#define BLOCK 8
static void activate_copy(const iv_layer *L, const float *restrict pre, float *restrict post,
                          long count)
{
    long i = 0;
    switch (L->act) {
    case IV_ACT_RELU:
        for (; i + BLOCK <= count; i += BLOCK)
            for (int k = 0; k < BLOCK; k++)
                post[i + k] = pre[i + k] > 0 ? pre[i + k] : 0;
        for (; i < count; i++)
            post[i] = pre[i] > 0 ? pre[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU: {
        const float alpha = L->alpha;
        for (; i + BLOCK <= count; i += BLOCK)
            for (int k = 0; k < BLOCK; k++)
                post[i + k] = pre[i + k] > 0 ? pre[i + k] : alpha * pre[i + k];
        for (; i < count; i++)
            post[i] = pre[i] > 0 ? pre[i] : alpha * pre[i];
        break;
    }
    default:
        memcpy(post, pre, sizeof(float) * (size_t)count);
        iv_activation_apply(L->act, L->alpha, post, count / L->n_out, L->n_out);
        break;
    }
}

void iv_forward(const iv_model *m, const float *input, iv_acts *acts, iv_site_hook hook, void *user)
{
    long n = acts->n;
    memcpy(acts->site[0], input, sizeof(float) * (size_t)n * (size_t)m->n_inputs);
    if (hook)
        hook(0, acts->site[0], n, m->n_inputs, user);
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *L = &m->layers[l];
        const float *in = acts->site[2 * l];      /* (n, n_in) */
        float *pre = acts->site[2 * l + 1];       /* (n, n_out) */
        float *post = acts->site[2 * l + 2];      /* (n, n_out) */
        if (is_tiny(L))
            tiny_layer(L, in, pre, n);
        else
            blas_layer(L, in, pre, n);
        if (hook)
            hook(2 * l + 1, pre, n, L->n_out, user);
        activate_copy(L, pre, post, n * L->n_out);
        if (hook)
            hook(2 * l + 2, post, n, L->n_out, user);
    }
}
