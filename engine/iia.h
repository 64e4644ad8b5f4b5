/* iia.h - interchange intervention accuracy (Geiger et al. 2021): how often the network, with the
 * neurons aligned with the causal model's variables patched from a source input, gives what the
 * causal model gives with those variables set to their values on the source.
 *
 * Over pairs (base b, source s) of rows of the reference dataset: every ordered pair when there
 * are at most IV_IIA_ALL_PAIRS of them, else (or when a count is asked for) seeded pairs drawn
 * uniformly with replacement. With sources=each a pair is a tuple: a base and one source per
 * alignment (b, s_1, ..., s_k), each variable patched from its own source and set in the causal
 * model to its value there - what distributed alignment search trains on; with one alignment it
 * is the same measurement, drawn the same way. With one source for all, alignments that cover a
 * whole layer between them patch the source's whole layer, and the IIA is then the network's
 * accuracy, whatever the alignment. The sources' activations are the clean reference activations (one
 * pass, kept by the workspace); the bases run in chunks of bounded memory, one batched forward pass
 * each, every row patched from its own source, from the earliest site anything changes. The
 * workspace's interventions that are on stay applied to the base runs (after them come the
 * patches), as `patch` does, and the sources stay clean; random ones are refused, since a pair
 * would then have no one answer. Agreement: the argmax of the outputs against the causal model's
 * output as a class index when the network has several outputs; else |network - causal| <=
 * tol x max(1, |causal|). */
#ifndef IV_IIA_H
#define IV_IIA_H

#include "causal.h"
#include "workspace.h"

#define IV_IIA_ALL_PAIRS 1000000L     /* every pair when n x n is at most this */
#define IV_IIA_DEFAULT_PAIRS 10000L   /* else this many seeded pairs */
#define IV_IIA_MAX_PAIRS 10000000L
#define IV_IIA_DEFAULT_TOL 1e-6
#define IV_IIA_SHOWN_FAILURES 10

typedef struct iv_iia_options {
    bool all;          /* pairs=all: every pair (refused when there are too many) */
    long pairs;        /* > 0: this many seeded pairs; 0: the default choice above */
    uint64_t seed;
    double tol;
    bool each;         /* sources=each: a source per alignment (below), else one for all */
    struct iv_iia_record *record; /* NULL, or where the joint measurement's pairs go (below) */
} iv_iia_options;

typedef struct iv_iia_failure {
    long base, source; /* dataset rows; with sources=each, source is the first alignment's */
    double network;    /* its argmax class, or its output */
    double expected;   /* the causal model's output */
} iv_iia_failure;

typedef struct iv_iia_result {
    long pairs, agree;
    bool all;          /* every ordered pair, else seeded ones */
    bool argmax;       /* compared by argmax, else with the tolerance */
    double iia;
    long rows, factual_agree;
    double factual;    /* the network against the causal model on the dataset's rows */
    double *alone;     /* (ws->n_alignments) each alignment's IIA on its own, when there are
                          several; else NULL. Free with iv_iia_result_free. */
    int n_failures;    /* the first failing pairs, in pair order */
    iv_iia_failure failures[IV_IIA_SHOWN_FAILURES];
    bool each;         /* sources=each */
    int n_sources;     /* sources per pair: 1, or ws->n_alignments with sources=each */
    long *failure_sources; /* with sources=each, (n_failures, n_sources) each failure's sources,
                              in the alignments' order; else NULL */
} iv_iia_result;

/* Measures the alignments of ws (at least one) over the reference dataset. Returns 0, or -1 with
 * a message (no causal model, nothing aligned, no dataset, too many pairs, memory, cancel). */
int iv_iia_run(iv_workspace *ws, const iv_iia_options *opt, iv_iia_result *out, iv_error *err);
/* The same over given pairs (base[i], source[i]) of dataset rows; factual and alone as above. */
int iv_iia_run_pairs(iv_workspace *ws, const long *base, const long *source, long n_pairs,
                     double tol, iv_iia_result *out, iv_error *err);
void iv_iia_result_free(iv_iia_result *r);

/* ---- each pair's outcome: the failing pairs to browse, and the interchange matrix --------------
 *
 * The result keeps the first IV_IIA_SHOWN_FAILURES failing pairs; a caller that wants more (a
 * browser of every failure, a map of every pair) passes a record: the joint measurement (all the
 * alignments patched; not the factual rows, nor each alignment alone) puts its pairs there in
 * pair order, each with the network's answer and the causal model's, until it is full. */

#define IV_IIA_MAX_LISTED 100000L /* failures=N lists at most this many failing pairs */
#define IV_IIA_MATRIX_ROWS 128    /* the interchange matrix's side at most: 128 columns fit a
                                     160-column screen, and 16,384 pairs take milliseconds */

typedef struct iv_iia_record {
    long capacity;          /* pairs it holds at most */
    bool failing_only;      /* keep only the pairs that fail */
    long n;                 /* kept so far */
    iv_iia_failure *pairs;  /* (capacity) rows, the network's answer, the causal model's */
    bool *agree;            /* (capacity) whether the pair agrees */
    int n_sources;          /* with sources=each, sources per pair (set by the run), else 0 */
    long *sources;          /* with sources=each, (capacity, n_sources) each pair's sources */
} iv_iia_record;

/* Makes room for capacity pairs, within the memory limit. Returns 0, or -1 with a message. */
int iv_iia_record_init(iv_iia_record *rec, long capacity, bool failing_only, iv_error *err);
void iv_iia_record_free(iv_iia_record *rec);

/* The interchange matrix: every ordered pair of the n_rows given dataset rows, base-major (pair
 * b * n_rows + s is base rows[b], source rows[s]), recorded whole in rec (n_rows^2 pairs, every
 * one kept); out as iv_iia_run_pairs gives it. */
int iv_iia_run_matrix(iv_workspace *ws, const long *rows, int n_rows, double tol,
                      iv_iia_record *rec, iv_iia_result *out, iv_error *err);

/* The hook's half that patches one alignment: rows (n, width) of the site move to the source's
 * values, given as (n, addr.n) for neurons and (n, width) for a subspace. */
void iv_alignment_patch(const iv_alignment *a, float *values, long n, int width,
                        const float *source);

#endif
