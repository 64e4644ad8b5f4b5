/* patch_scan.h - a transformer's activation-patching scans: the residual stream at each block's
 * input and each position (TransformerLens's get_act_patch_resid_pre), and each head's output at
 * every position (get_act_patch_attn_head_out_all_pos), each cell patched alone from the source
 * prompt into the base run, with the workspace's interventions on, and measured by the metric.
 *
 * The metric is the logit difference of `metric logit-diff A B` at the last position, or else the
 * logit of the base run's top next token. Every cell is a row of one batched forward pass (as
 * many rows at a time as the pass limit holds, budget.h), with progress and cancel; a cell's
 * figure is what `patch CELL; show logits` would show. */
#ifndef IV_PATCH_SCAN_H
#define IV_PATCH_SCAN_H

#include "workspace.h"

typedef enum { IV_PATCH_SCAN_RESID, IV_PATCH_SCAN_HEADS } iv_patch_scan_kind;

typedef struct iv_patch_scan {
    iv_patch_scan_kind kind;
    int rows, cols;       /* blocks x positions, or blocks x heads */
    double *value;        /* (rows, cols) the metric with that cell patched */
    double base, source;  /* the metric of the base run (interventions on) and of the source */
    int token_a, token_b; /* the metric's tokens: A and B, or the top token and -1 */
} iv_patch_scan;

/* Runs a scan; needs a transformer, a source prompt and no random intervention on. 0, or -1
 * with a message (out is then empty). */
int iv_patch_scan_run(iv_workspace *ws, iv_patch_scan_kind kind, iv_patch_scan *out,
                      iv_error *err);
void iv_patch_scan_free(iv_patch_scan *s);

#endif
