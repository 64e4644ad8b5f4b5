/* ablation.c - loss gaps, and the comparison of every kind of ablation on the same neurons (the
 * search for optimal constants is optimal.c). */
#include "ablation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "pass.h"

/* ---- the comparison ----------------------------------------------------------------------------- */

static int gap_of(iv_workspace *ws, const iv_addr *addr, iv_kind kind, double *gap, iv_error *err)
{
    iv_intervention iv = {.kind = kind, .enabled = true, .addr = *addr, .k = IV_DEFAULT_NOISE_K,
                          .samples = IV_DEFAULT_SAMPLES, .seed = ws->seed};
    return iv_loss_gap(ws, &iv, 1, gap, err);
}

int iv_compare_ablations(iv_workspace *ws, const iv_addr *addr, iv_comparison *c, iv_error *err)
{
    memset(c, 0, sizeof *c);
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    if (ws->data->n < 2)
        return iv_error_set(err, "compare needs a reference dataset of at least 2 examples");
    c->optimal_values = iv_xcalloc((size_t)addr->n, sizeof(double));
    /* Shares of the job, roughly what each costs: a pass, a pass, ten passes each for the random
     * kinds (their samples), and the search, which dwarfs them. */
    iv_job *job = iv_pass_job(ws);
    iv_job_range r;
    int rc = 0;
    r = iv_job_part(job, 0.00, 0.01), rc = rc ? rc : gap_of(ws, addr, IV_ZERO, &c->zero, err);
    iv_job_restore(job, r);
    r = iv_job_part(job, 0.01, 0.02), rc = rc ? rc : gap_of(ws, addr, IV_MEAN, &c->mean, err);
    iv_job_restore(job, r);
    r = iv_job_part(job, 0.02, 0.07), rc = rc ? rc : gap_of(ws, addr, IV_RESAMPLE, &c->resample, err);
    iv_job_restore(job, r);
    r = iv_job_part(job, 0.07, 0.12), rc = rc ? rc : gap_of(ws, addr, IV_NOISE, &c->noise, err);
    iv_job_restore(job, r);
    r = iv_job_part(job, 0.12, 1.00);
    rc = rc ? rc : iv_optimal_ablation(ws, addr, c->optimal_values, &c->optimal, err);
    iv_job_restore(job, r);
    if (rc < 0) {
        iv_comparison_free(c);
        return -1;
    }
    return 0;
}

void iv_comparison_free(iv_comparison *c)
{
    free(c->optimal_values);
    c->optimal_values = NULL;
}
