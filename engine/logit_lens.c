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

/* The logits the final layer norm and the unembedding make of one row of a residual site's
 * values (every position), by those operations' own forward passes: into logits (T, V), with
 * normed (T, d) for the layer norm's output. */
static void unembed(const iv_model *m, const iv_op *ln, const iv_op *un, const float *resid,
                    float *normed, float *logits)
{
    const iv_op *op[2] = {ln, un};
    const float *in[2] = {resid, normed};
    float *out[2] = {normed, logits};
    for (int k = 0; k < 2; k++) {
        iv_op_io io = {{in[k], NULL}, {m->sites[op[k]->in[0]].width, 0}, out[k],
                       m->sites[op[k]->out].width, 1};
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
    float *normed = iv_xmalloc(sizeof(float) * (size_t)T * (size_t)d);
    float *logits = iv_xmalloc(sizeof(float) * (size_t)T * (size_t)V);
    for (int L = 0; L < out->rows; L++) {
        char name[32];
        snprintf(name, sizeof name, "resid%d", L);
        int site = iv_model_site_find(m, name);
        unembed(m, ln, un, acts->site[site] + row * m->sites[site].width, normed, logits);
        for (int p = 0; p < T; p++)
            out->top[L * T + p] = top_of(logits + (long)p * V, V, &out->prob[L * T + p]);
    }
    free(normed);
    free(logits);
    return 0;
}

void iv_logit_lens_free(iv_logit_lens *l)
{
    free(l->top);
    free(l->prob);
    memset(l, 0, sizeof *l);
}
