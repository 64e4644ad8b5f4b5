/* intervention.h - interventions as values, and how each rewrites a site.
 *
 * An intervention is a plain value: a kind, the neurons it acts on (one site), its parameters and an
 * on/off switch. A list of them is applied in order, at each site, before the next layer reads the
 * site. Statistics (means, stds) and the values a patch or a resample copies come from an
 * iv_apply_ctx that the workspace fills, so the same intervention runs on one input, on a whole
 * dataset, or on N noise samples of one input. */
#ifndef IV_INTERVENTION_H
#define IV_INTERVENTION_H

#include "address.h"
#include "forward.h"
#include "rng.h"

/* ---- interventions ------------------------------------------------------------------------------ */

/* What each kind does, in both passes, and how it is read, described and saved, is its entry in
 * the table of kinds.c (kinds.h); a new kind is a constant here and an entry there. */
typedef enum {
    IV_ZERO,      /* a = 0 */
    IV_SET,       /* a = value */
    IV_MEAN,      /* a = mean over the reference dataset */
    IV_NOISE,     /* a = a + sigma * eps, eps ~ N(0, 1); sigma absolute or k x std */
    IV_RESAMPLE,  /* a = the value on another example of the reference dataset */
    IV_PATCH,     /* a = the value on the source input (interchange intervention) */
    IV_OPTIMAL,   /* a = the constants that minimise the loss gap over the reference dataset
                     (Li & Janson 2024), found when the intervention is added (ablation.h) */
    IV_ROTATE,    /* h = h + (h_source - h) Q^T Q: the source's part of h in a subspace with an
                     orthonormal basis Q (dims x neurons), the rest of h kept (distributed
                     interchange intervention; DAS learns Q) */
    IV_PROJECT,   /* h = h - L^T R (h - mu): an eraser (INLP's projection, LEACE), kinds_affine.c */
    IV_ADD,       /* h = h + alpha v: a steering vector */
    IV_KIND_COUNT
} iv_kind;

typedef struct iv_intervention {
    int id;              /* shown to the user; stable while it exists */
    iv_kind kind;
    bool enabled;
    iv_addr addr;
    double value;        /* IV_SET; IV_ADD: alpha */
    double sigma;        /* IV_NOISE: absolute std; 0 means k x the reference std */
    double k;            /* IV_NOISE: multiple of the std (default 3, as in causal tracing) */
    bool site_std;       /* IV_NOISE: one std for the whole site (ROME's rule) instead of per neuron */
    int samples;         /* IV_NOISE, IV_RESAMPLE: draws that make up the distribution */
    uint64_t seed;       /* IV_NOISE, IV_RESAMPLE */
    double *values;      /* IV_OPTIMAL: (addr.n) one constant per addressed neuron; IV_ROTATE:
                            (dims, addr.n) the basis, row-major; owned */
    int dims;            /* IV_ROTATE: the subspace's dimension; 0 for every other kind */
    int n_given;         /* IV_ROTATE, IV_PROJECT, IV_ADD: numbers read from basis=, eraser= or
                            vector= before the address was known */
    int n_values;        /* how many numbers values holds when neither rule below says
                            (IV_PROJECT: (2 dims + 1) x addr.n); 0 otherwise */
} iv_intervention;

/* How many numbers `values` holds: n_values when set, else dims x addr.n when dims is set, else
 * addr.n. */
int iv_intervention_value_count(const iv_intervention *iv);

#define IV_DEFAULT_NOISE_K 3.0
#define IV_DEFAULT_SAMPLES 10
#define IV_MAX_SAMPLES 100000

/* Copies an intervention with its own address and values; frees what one owns. */
void iv_intervention_copy(iv_intervention *dst, const iv_intervention *src);
void iv_intervention_clear(iv_intervention *iv);

/* From the table of kinds (kinds.h). */
const char *iv_kind_name(iv_kind k);
int iv_kind_parse(const char *name, iv_kind *out);
bool iv_kind_is_stochastic(iv_kind k);    /* noise, resample: results are distributions */
bool iv_kind_needs_stats(iv_kind k);      /* mean, noise, resample, optimal */
/* Whether this one reads the reference dataset: as its kind, but noise with an absolute sigma
 * does not. */
bool iv_intervention_uses_reference(const iv_intervention *iv);
/* One-line description of the parameters, e.g. "k=3 (per-neuron std) samples=10 seed=1". */
char *iv_intervention_params(const iv_intervention *iv);

/* ---- statistics of the reference dataset -------------------------------------------------------- */

typedef struct iv_stats {
    long n;              /* examples they were computed over */
    int n_sites;
    double **mean;       /* (n_sites) x (width) */
    double **std;        /* (n_sites) x (width), sample std (n - 1) */
    double *site_std;    /* (n_sites) one std over all values of the site */
} iv_stats;

/* Statistics are computed a site at a time, when something first needs that site: a command
 * usually reads one, and all sites of a 784-512-512-10 MLP over 10,000 examples cost three
 * forward passes. iv_stats_new makes them with no site computed; iv_stats_site computes one (once).
 * mean[s] is NULL until then. */
iv_stats *iv_stats_new(const iv_acts *reference);
void iv_stats_site(iv_stats *st, const iv_acts *reference, int site);
void iv_stats_free(iv_stats *s);

/* ---- applying a list ---------------------------------------------------------------------------- */

typedef struct iv_apply_ctx {
    const iv_intervention *list; /* applied in order; disabled ones are skipped */
    int count;
    long samples;                /* batch row r is sample r % samples of example r / samples */
    const iv_stats *stats;       /* needed by mean, noise (k x std), resample */
    const iv_acts *reference;    /* clean activations of the reference dataset (resample) */
    /* For resample: reference row of each example, so it never resamples itself; -1 when the
     * example is not in the reference set. NULL means no example is. When batch_is_reference is
     * set, example e is reference row e and each sample draws a derangement of the set. */
    const long *self_row;
    bool batch_is_reference;
    const iv_acts *source;       /* clean source activations: 1 row (broadcast) or one per example */
    /* For the backward hook, optional: NULL, or (count) entries, each NULL or a buffer (zeroed by
     * the caller) of one double per parameter of list[i] (trainable kinds: one per addressed
     * neuron), into which the backward pass adds dL/d(parameter). */
    double **param_grad;
    /* Optional: the values each site held before this list rewrote them, as (rows, width) per
     * site; a kind whose parameters' gradient depends on them (rotate) adds that gradient only
     * when they are given. */
    const iv_acts *before;
    /* Set by a pass that runs the dataset in chunks (pass.c), so that a chunk draws exactly what
     * the whole batch would: the chunk's first example, and per entry of the list a random stream
     * that carries on from chunk to chunk (NULL: each call seeds its own) and resample's plan for
     * the whole set (NULL: drawn per call). */
    long first_example;
    iv_rng *streams;             /* (count) */
    long **resample_plans;       /* (count), each (samples, reference rows) or NULL */
} iv_apply_ctx;

/* Resample's derangements of the reference set for every sample, drawn as one pass over the whole
 * set draws them: (samples, n_ref), row s a derangement. Free with free(). */
long *iv_resample_plan(const iv_intervention *iv, long n_ref, long samples);

/* The forward hook that applies ctx's interventions (user must point to an iv_apply_ctx). */
void iv_apply_hook(int site, float *values, long n, int width, void *user);

/* The same interventions in the backward pass (user points to the same iv_apply_ctx): grad holds
 * dL/d(the site's values after the interventions, as the next operation read them), (n, width)
 * row-major, and becomes dL/d(its values before them). Walks the list in reverse, skipping
 * disabled ones and those at other sites: a kind that replaces values (zero, set, mean, resample,
 * patch, optimal) zeroes the gradient at its neurons, noise passes it through, and a trainable one
 * (optimal) first adds, for each neuron j, the sum over rows of its gradient into
 * ctx->param_grad[i][j]. */
void iv_apply_backward_hook(int site, float *grad, long n, int width, void *user);

/* Checks an intervention against the model and what the context can provide, e.g. a patch with no
 * source input, or a mean with no reference dataset. */
int iv_intervention_check(const iv_model *m, const iv_intervention *iv, bool have_source,
                          bool have_reference, iv_error *err);

#endif
