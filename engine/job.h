/* job.h - long work that reports how far it has got and can be told to stop.
 *
 * A front end that runs a command which may take more than a moment gives the workspace a job
 * (ws->job). The work - a pass over a large dataset, each candidate of compare or of optimal
 * ablation, each step of a sweep - calls iv_job_progress as it goes. That call records the fraction
 * done, and, when the front end has asked the job to stop (Esc, Ctrl-C, SIGINT), fails with
 * "cancelled"; the work returns that error like any other, and the command runner puts the
 * workspace back as it was before the command.
 *
 * The work and the front end may run on different threads: the explorer keeps reading keys and
 * drawing the progress bar while a worker thread runs the command. Only the fields below marked
 * atomic are shared while the job runs.
 *
 * Work made of parts (compare runs five ablations, each many passes) gives each part its share of
 * the whole with iv_job_part, so the bar moves steadily from 0 to 1 however deep the work nests.
 * All calls accept a NULL job and then do nothing (and never cancel). */
#ifndef IV_JOB_H
#define IV_JOB_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

typedef struct iv_job {
    atomic_bool cancel;      /* set by the front end; the work stops at its next progress call */
    atomic_long permille;    /* fraction done of the whole, in thousandths */
    double start, span;      /* the part being worked on: [start, start + span) of the whole */
    /* Called on the working thread at each progress call (the batch mode's progress line); may
     * be NULL. */
    void (*on_progress)(const struct iv_job *job, void *user);
    void *user;
} iv_job;

/* A job at 0, not cancelled, whose whole is [0, 1). */
void iv_job_init(iv_job *job);
/* Records that `done` of `total` steps of the current part are done. Returns -1 with the message
 * "cancelled" when the job was asked to stop, else 0. */
int iv_job_progress(iv_job *job, double done, double total, iv_error *err);
/* Narrows the current part to its piece [from, to) (fractions of the part) and returns the part
 * it was, to be given back to iv_job_restore when the piece is done. */
typedef struct iv_job_range {
    double start, span;
} iv_job_range;
iv_job_range iv_job_part(iv_job *job, double from, double to);
void iv_job_restore(iv_job *job, iv_job_range was);
/* Asks the work to stop (any thread). */
void iv_job_cancel(iv_job *job);
bool iv_job_cancelled(const iv_job *job);
/* The fraction done, 0 to 1 (any thread). */
double iv_job_fraction(const iv_job *job);

#endif
