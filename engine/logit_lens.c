/* logit_lens.c - each residual site unembedded by the model's own last two operations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2.h"
#include "logit_lens.h"
#include "ops.h"
#include "util.h"

/* The operation that writes `site`. */
static const iv_op *writer_of(const iv_model *m, int site)
{
    for (int k = 0; k < m->n_ops; k++)
        if (m->ops[k].out == site)
            return &m->ops[k];
    return NULL;
}

/* The logits the final layer norm and the unembedding make of `rows` rows of a residual site's
 * values (every position of each), by those operations' own forward passes: into logits
 * (rows, T, V), with normed (rows, T, d) for the layer norm's output. All rows go through one
 * product: the unembedding is 50,257 x 768 on GPT-2 small, and a product of a few rows costs
 * about as much as packing it. */
static void unembed(const iv_model *m, const iv_op *ln, const iv_op *un, const float *resid,
                    long rows, float *normed, float *logits)
{
    const iv_op *op[2] = {ln, un};
    const float *in[2] = {resid, normed};
    float *out[2] = {normed, logits};
    for (int k = 0; k < 2; k++) {
        iv_op_io io = {{in[k], NULL}, {m->sites[op[k]->in[0]].width, 0}, out[k],
                       m->sites[op[k]->out].width, rows};
        iv_op_type_of(op[k]->kind)->forward(m, op[k], &io);
    }
}

/* The top of w logits and its softmax probability. */
static int top_of(const float *y, int w, double *p)
{
    int top = 0;
    for (int k = 1; k < w; k++)
        top = y[k] > y[top] ? k : top;
    double sum = 0;
    for (int k = 0; k < w; k++)
        sum += exp((double)y[k] - y[top]);
    *p = 1 / sum;
    return top;
}

int iv_logit_lens_run(const iv_model *m, const iv_acts *acts, long row, iv_logit_lens *out)
{
    return iv_logit_lens_like(m, acts, row, NULL, NULL, out);
}

#define LENS_BATCH_BYTES (64L << 20) /* the logits of the residual sites unembedded at once */

int iv_logit_lens_like(const iv_model *m, const iv_acts *acts, long row, const iv_logit_lens *like,
                       const iv_acts *like_acts, iv_logit_lens *out)
{
    memset(out, 0, sizeof *out);
    if (!m->gpt2)
        return -1;
    const iv_op *un = writer_of(m, iv_model_output_site(m));
    const iv_op *ln = writer_of(m, un->in[0]);
    int T = m->positions, d = m->gpt2->d_model, V = m->gpt2->d_vocab;
    out->rows = m->gpt2->n_layer + 1;
    out->cols = T;
    out->top = iv_xmalloc(sizeof(int) * (size_t)out->rows * (size_t)T);
    out->prob = iv_xmalloc(sizeof(double) * (size_t)out->rows * (size_t)T);
    /* The blocks to unembed: those whose residual stream is not the same as like's. */
    int *need = iv_xmalloc(sizeof(int) * (size_t)out->rows), n_need = 0;
    const float **resid = iv_xmalloc(sizeof(float *) * (size_t)out->rows);
    for (int L = 0; L < out->rows; L++) {
        char name[32];
        snprintf(name, sizeof name, "resid%d", L);
        int site = iv_model_site_find(m, name), w = m->sites[site].width;
        resid[L] = acts->site[site] + row * w;
        if (like && like->rows == out->rows && like->cols == T &&
            memcmp(resid[L], like_acts->site[site], sizeof(float) * (size_t)w) == 0) {
            memcpy(out->top + L * T, like->top + L * T, sizeof(int) * (size_t)T);
            memcpy(out->prob + L * T, like->prob + L * T, sizeof(double) * (size_t)T);
        } else {
            need[n_need++] = L;
        }
    }
    long per_block = (long)T * V * (long)sizeof(float);
    int batch = (int)(LENS_BATCH_BYTES / per_block);
    batch = batch < 1 ? 1 : batch > n_need ? n_need : batch;
    float *in = NULL, *normed = NULL, *logits = NULL;
    if (n_need) {
        in = iv_xmalloc(sizeof(float) * (size_t)batch * (size_t)T * (size_t)d);
        normed = iv_xmalloc(sizeof(float) * (size_t)batch * (size_t)T * (size_t)d);
        logits = iv_xmalloc(sizeof(float) * (size_t)batch * (size_t)T * (size_t)V);
    }
    for (int first = 0; first < n_need; first += batch) {
        int n = n_need - first < batch ? n_need - first : batch;
        for (int k = 0; k < n; k++)
            memcpy(in + (long)k * T * d, resid[need[first + k]], sizeof(float) * (size_t)T * d);
        unembed(m, ln, un, in, n, normed, logits);
        for (int k = 0; k < n; k++) {
            int L = need[first + k];
            for (int p = 0; p < T; p++)
                out->top[L * T + p] = top_of(logits + ((long)k * T + p) * V, V,
                                             &out->prob[L * T + p]);
        }
    }
    free(in);
    free(normed);
    free(logits);
    free(need);
    free(resid);
    return 0;
}

void iv_logit_lens_free(iv_logit_lens *l)
{
    free(l->top);
    free(l->prob);
    memset(l, 0, sizeof *l);
}
