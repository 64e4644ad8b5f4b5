/* scan.h - activation-patching scans and attribution patching.
 *
 * A scan applies one intervention (patch from the source, zero or mean) to each neuron of a site
 * alone, and to the site whole, and measures each: the change of one output at the base input, or
 * the loss gap over the reference dataset. The workspace's interventions stay applied, and the
 * scan's comes after them, as `ablate` would add it; so a row's figure is what `ablate ROW KIND;
 * show out` (the change) or `...; effect` (the loss gap) would report.
 *
 * At the base input the whole scan is one batched forward pass: each row of the batch is the
 * base run (its values at the first scanned site copied from the last intervened run) with one
 * neuron, or one site, replaced. Over the dataset each row is its own chunked pass (pass.h), with
 * progress and cancel.
 *
 * Attribution patching estimates a patch to first order from one backward pass at the base:
 * estimate_i = (source_i - base_i) * d(output)/d(site_i), the gradient taken through the
 * workspace's interventions (iv_backward_hooked) with respect to the site's values as the next
 * operation reads them, that is after the interventions at the site, where the scan's patch
 * acts. */
#ifndef IV_SCAN_H
#define IV_SCAN_H

#include "workspace.h"

/* One row of a scan: a neuron of a site, or the site whole (neuron -1). */
typedef struct iv_scan_row {
    int site;
    int neuron;
} iv_scan_row;

#define IV_SCAN_WHOLE (-1)

/* The rows for one site (each neuron, then the site whole, unless it has one neuron) or, for
 * site < 0, for every site, input to output. Returns the count; free *rows with free(). */
int iv_scan_rows(const iv_model *m, int site, iv_scan_row **rows);

/* The output a scan measures when none is named: the only output, or for several the clean top
 * class at the base input (the largest clean output: its probability after a softmax, its logit
 * otherwise). */
int iv_scan_default_output(const iv_workspace *ws);

/* The kinds a scan applies: patch, zero, mean. Checks that the workspace can provide what kind
 * needs (a source, a dataset) and makes its statistics; 0, or -1 with a message. */
int iv_scan_check_kind(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n,
                       iv_error *err);

/* For each row, the change of output `out_k` at the base input (intervened - clean, the mean over
 * the samples when interventions on are random), into change (n); *baseline gets the change of
 * the interventions on alone. One forward pass of n x samples rows. */
int iv_scan_output(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n, int out_k,
                   double *change, double *baseline, iv_error *err);

/* For each row, the loss gap over the reference dataset of the interventions on with the row's
 * added after them (metrics.h), into gap (n); a pass per row, each its share of ws->job. */
int iv_scan_loss(iv_workspace *ws, iv_kind kind, const iv_scan_row *rows, int n, double *gap,
                 iv_error *err);

/* Attribution patching of every neuron of `site` for output out_k: per neuron (width of the
 * site), the source value, the base value (after the interventions at the site; mean over
 * samples), the gradient and the estimate. Needs a source input. */
typedef struct iv_attribution {
    int width;
    double *source, *base, *gradient, *estimate;
} iv_attribution;
int iv_attribute(iv_workspace *ws, int site, int out_k, iv_attribution *out, iv_error *err);
void iv_attribution_free(iv_attribution *a);

/* Pearson's correlation of x and y (n); NAN when n < 2 or either does not vary. */
double iv_pearson(const double *x, const double *y, int n);

#endif
