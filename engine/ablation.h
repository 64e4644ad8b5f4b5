/* ablation.h - loss gaps over the reference dataset, optimal ablation, and the comparison of every
 * kind of ablation on the same neurons: the numbers behind "why zero ablation misleads".
 *
 * The loss gap of an intervention is Delta = E_x L(M_{A <- a~}(x)) - E_x L(M(x)), with L the row
 * loss of metrics.h against the clean output (so E_x L(M(x)) = 0). Each is measured on its own:
 * the workspace's other interventions are not applied. */
#ifndef IV_ABLATION_H
#define IV_ABLATION_H

#include "metrics.h"
#include "workspace.h"

/* Optimal ablation: the constants a* (one per addressed neuron, into values) that minimise the loss
 * gap, and that gap. Candidates first (zero, the mean, and the neuron values of reference examples,
 * so the result is never worse than zero, mean or resample ablation up to sampling), then, for one
 * neuron, a fine grid and golden-section search; for two, alternating golden-section searches; for
 * more, Adam on the constants (the paper's method) with the model frozen. */
int iv_optimal_ablation(iv_workspace *ws, const iv_addr *addr, double *values, double *gap,
                        iv_error *err);

/* One line of the comparison: the loss gap of each kind of ablation of the same neurons. */
typedef struct iv_comparison {
    double zero, mean, resample, noise, optimal;
    double *optimal_values; /* (n of the address) */
} iv_comparison;

int iv_compare_ablations(iv_workspace *ws, const iv_addr *addr, iv_comparison *out, iv_error *err);
void iv_comparison_free(iv_comparison *c);

#endif
