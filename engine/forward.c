/* forward.c - the batched forward pass: the operations in order, every site kept, a hook at each
 * site. */
#include "forward.h"

#include "ops.h"

#include "budget.h"

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

void iv_forward_from(const iv_model *m, iv_acts *acts, int start, iv_site_hook hook, void *user)
{
    if (hook)
        hook(start, acts->site[start], acts->n, m->sites[start].width, user);
    iv_forward_after(m, acts, start, hook, user);
}

void iv_forward_after(const iv_model *m, iv_acts *acts, int site, iv_site_hook hook, void *user)
{
    long n = acts->n;
    for (int k = 0; k < m->n_ops; k++) {
        const iv_op *op = &m->ops[k];
        if (op->out <= site)
            continue;
        iv_op_io io;
        iv_op_io_of(m, op, acts, &io);
        iv_op_type_of(op->kind)->forward(m, op, &io);
        if (hook)
            hook(op->out, io.out, n, io.out_width, user);
    }
}

void iv_forward(const iv_model *m, const float *input, iv_acts *acts, iv_site_hook hook, void *user)
{
    long n = acts->n;
    memcpy(acts->site[0], input, sizeof(float) * (size_t)n * (size_t)m->n_inputs);
    if (hook)
        hook(0, acts->site[0], n, m->n_inputs, user);
    for (int k = 0; k < m->n_ops; k++) {
        const iv_op *op = &m->ops[k];
        iv_op_io io;
        iv_op_io_of(m, op, acts, &io);
        iv_op_type_of(op->kind)->forward(m, op, &io);
        if (hook) /* before any later operation reads the site */
            hook(op->out, io.out, n, io.out_width, user);
    }
}
