/* forward.c - the batched forward pass: one sgemm per layer, every site kept, a hook at each site. */
#include "forward.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#define IV_MAX_ACTS_BYTES (8UL << 30)

iv_acts *iv_acts_new(const iv_model *m, long n, iv_error *err)
{
    int sites = iv_model_site_count(m);
    size_t per_row = 0;
    for (int s = 0; s < sites; s++)
        per_row += (size_t)iv_model_site_width(m, s);
    if (n < 1 || (double)n * (double)per_row * sizeof(float) > (double)IV_MAX_ACTS_BYTES) {
        iv_error_set(err, "%ld rows of %zu activations each is more than this tool keeps in memory",
                     n, per_row);
        return NULL;
    }
    iv_acts *a = iv_xcalloc(1, sizeof *a);
    a->n = n;
    a->n_sites = sites;
    a->width = iv_xmalloc(sizeof(int) * (size_t)sites);
    a->site = iv_xmalloc(sizeof(float *) * (size_t)sites);
    a->block = iv_xcalloc((size_t)n * per_row, sizeof(float));
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
        /* pre = in W^T + b: the bias is broadcast into pre first so sgemm adds onto it (beta 1). */
        if (L->bias)
            for (long r = 0; r < n; r++)
                memcpy(pre + r * L->n_out, L->bias, sizeof(float) * (size_t)L->n_out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, L->n_out, L->n_in, 1.0f, in,
                    L->n_in, L->weight, L->n_in, L->bias ? 1.0f : 0.0f, pre, L->n_out);
        if (hook)
            hook(2 * l + 1, pre, n, L->n_out, user);
        memcpy(post, pre, sizeof(float) * (size_t)n * (size_t)L->n_out);
        iv_activation_apply(L->act, L->alpha, post, n, L->n_out);
        if (hook)
            hook(2 * l + 2, post, n, L->n_out, user);
    }
}
