/* forward.h - the batched forward pass, keeping every site's activations.
 *
 * A batch is n rows; the pass runs the model's operations in order (ops.c), a linear one as one
 * sgemm (n, n_in) x (n_in, n_out)^T, so a 10,000-input pass over a 784-512-512-10 MLP runs at BLAS
 * speed. Every site's values are kept: that is what the heatmaps show and what later analyses
 * (probes, DAS, the backward pass) read. */
#ifndef IV_FORWARD_H
#define IV_FORWARD_H

#include "model.h"

/* Activations of every site for a batch of n rows. */
typedef struct iv_acts {
    long n;          /* rows */
    int n_sites;
    int *width;      /* (n_sites) */
    float **site;    /* (n_sites) pointers into block: site[s] is (n, width[s]) row-major */
    float *block;    /* one allocation for all sites */
} iv_acts;

/* Allocates activations for n rows of the model's sites (zeroed); NULL with a message when they
 * would need more than the memory limit or cannot be had (budget.h). */
iv_acts *iv_acts_new(const iv_model *m, long n, iv_error *err);
void iv_acts_free(iv_acts *a);

/* Called at every site once its values for the whole batch are computed, before the next layer
 * reads them; it may rewrite them in place (that is how interventions act). */
typedef void (*iv_site_hook)(int site, float *values, long n, int width, void *user);

/* Runs the model on `input` (n rows of n_inputs, where n = acts->n), filling every site of acts.
 * The hook may be NULL. */
void iv_forward(const iv_model *m, const float *input, iv_acts *acts, iv_site_hook hook, void *user);

/* The same, for a batch whose values at `start` are already in acts (the clean values a pass
 * starts from): the hook runs at `start`, then every operation that writes a later site runs.
 * Sites before `start` are neither read nor written, so they may be left out of acts (NULL); start
 * must come from iv_model_pass_start, which makes sure no later operation reads them. */
void iv_forward_from(const iv_model *m, iv_acts *acts, int start, iv_site_hook hook, void *user);
/* The operations that write sites after `site`, with the hook at each of their sites (not at
 * `site` itself). */
void iv_forward_after(const iv_model *m, iv_acts *acts, int site, iv_site_hook hook, void *user);

#endif
