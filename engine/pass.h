/* pass.h - a list of interventions over the reference dataset, evaluated only where it can change
 * anything, in chunks of bounded memory, handed to a consumer chunk by chunk.
 *
 * The clean activations of the reference set are computed once and kept (iv_workspace_reference).
 * A pass whose first intervention acts at site s starts from the clean values at s and runs only the
 * operations after it: at the first hidden layer of a 784-512-512-10 MLP that skips the largest
 * product, at a later site nearly all of the work. The rows (examples x samples) run in chunks
 * sized to the pass limit (budget.h), in one buffer the workspace keeps from pass to pass, so
 * that memory does not grow with the dataset or the sample count and no pass pays to have fresh
 * pages faulted in. Random interventions draw exactly what one pass over all rows would: their
 * streams carry on from chunk to chunk. Each chunk reports progress to ws->job and stops when it is
 * cancelled. */
#ifndef IV_PASS_H
#define IV_PASS_H

#include "workspace.h"

/* One chunk: examples [first, first + n) of the reference set, each with `samples` rows
 * (row r is sample r % samples of example first + r / samples). acts holds this chunk's values
 * at every site from `start` on; sites before it hold the clean reference values when samples is
 * 1 and are NULL otherwise. */
typedef struct iv_pass_chunk {
    const iv_acts *acts;
    int start;
    long first, n, samples;
} iv_pass_chunk;

/* Called for each chunk in order; returns 0, or -1 with a message to stop the pass. */
typedef int (*iv_pass_fn)(const iv_pass_chunk *chunk, void *user, iv_error *err);

/* Runs the enabled interventions of list over the reference dataset, chunk by chunk. keep_from is
 * the earliest site the consumer reads (the output site for a loss): the pass starts there if no
 * intervention comes earlier. Returns 0, or -1 with a message (memory, cancel, the consumer's). */
int iv_workspace_pass(iv_workspace *ws, const iv_intervention *list, int count, int keep_from,
                      iv_pass_fn fn, void *user, iv_error *err);

/* Helper threads. compare works on its neurons two at a time, on the thread that runs the command
 * and on a helper (cmd_report.c). A helper's passes keep their own working memory (not the
 * workspace's buffer, which the other thread uses), report no progress (the job's parts belong to
 * the other thread) and stop with "cancelled" when the job is cancelled. Everything else they read
 * - the reference activations, statistics computed beforehand - is only read.
 * iv_pass_helper_begin marks the calling thread as one, iv_pass_helper_end frees its memory;
 * iv_pass_job is the job a thread's work reports to: ws->job, or NULL on a helper. */
void iv_pass_helper_begin(void);
void iv_pass_helper_end(void);
iv_job *iv_pass_job(const iv_workspace *ws);

/* The same over examples [from, from + examples) of the reference set only (a minibatch). */
int iv_workspace_pass_range(iv_workspace *ws, const iv_intervention *list, int count,
                            int keep_from, long from, long examples, iv_pass_fn fn, void *user,
                            iv_error *err);

#endif
