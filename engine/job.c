/* job.c - progress and cancellation of long work (job.h). */
#include "job.h"

void iv_job_init(iv_job *job)
{
    atomic_init(&job->cancel, false);
    atomic_init(&job->permille, 0);
    job->start = 0;
    job->span = 1;
    job->on_progress = NULL;
    job->user = NULL;
}

int iv_job_progress(iv_job *job, double done, double total, iv_error *err)
{
    if (!job)
        return 0;
    double f = total > 0 ? done / total : 0;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    long permille = (long)(1000 * (job->start + job->span * f));
    /* Parts may be re-entered (a search that narrows); the bar never runs backwards. */
    if (permille > atomic_load(&job->permille))
        atomic_store(&job->permille, permille);
    if (job->on_progress)
        job->on_progress(job, job->user);
    if (atomic_load(&job->cancel))
        return iv_error_set(err, "cancelled");
    return 0;
}

iv_job_range iv_job_part(iv_job *job, double from, double to)
{
    if (!job)
        return (iv_job_range){0, 1};
    iv_job_range was = {job->start, job->span};
    job->start = was.start + was.span * from;
    job->span = was.span * (to - from);
    return was;
}

void iv_job_restore(iv_job *job, iv_job_range was)
{
    if (!job)
        return;
    job->start = was.start;
    job->span = was.span;
}

void iv_job_cancel(iv_job *job)
{
    if (job)
        atomic_store(&job->cancel, true);
}

bool iv_job_cancelled(const iv_job *job)
{
    return job && atomic_load(&((iv_job *)job)->cancel);
}

double iv_job_fraction(const iv_job *job)
{
    return job ? (double)atomic_load(&((iv_job *)job)->permille) / 1000 : 0;
}
