/* test_job.c - progress and cancellation of long work (engine/job.h): parts nest and map their
 * steps into the whole, the fraction never runs backwards, a cancel makes the next progress call
 * fail with "cancelled", the callback sees every call, a NULL job is a no-op - and a cancelled
 * command leaves the session as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "formats/formats.h"
#include "job.h"

static void test_fresh_job(void **state)
{
    (void)state;
    iv_job job;
    iv_job_init(&job);
    assert_false(iv_job_cancelled(&job));
    assert_true(iv_job_fraction(&job) == 0);
    iv_error err;
    assert_int_equal(iv_job_progress(&job, 1, 4, &err), 0);
    assert_true(iv_job_fraction(&job) == 0.25);
    assert_int_equal(iv_job_progress(&job, 4, 4, &err), 0);
    assert_true(iv_job_fraction(&job) == 1);
}

static void test_parts_nest(void **state)
{
    (void)state;
    iv_job job;
    iv_job_init(&job);
    iv_error err;
    /* Two halves; the second split again in [0.5, 0.75) and [0.75, 1). */
    iv_job_range whole = iv_job_part(&job, 0, 0.5);
    assert_int_equal(iv_job_progress(&job, 1, 2, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.25, 1e-9);
    iv_job_restore(&job, whole);
    whole = iv_job_part(&job, 0.5, 1);
    iv_job_range half = iv_job_part(&job, 0, 0.5);
    assert_int_equal(iv_job_progress(&job, 1, 1, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.75, 1e-9);
    iv_job_restore(&job, half);
    half = iv_job_part(&job, 0.5, 1);
    assert_int_equal(iv_job_progress(&job, 1, 10, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.775, 1e-9);
    iv_job_restore(&job, half);
    iv_job_restore(&job, whole);
    /* Back at the whole: a step of it counts in the whole again. */
    assert_true(job.start == 0 && job.span == 1);
    assert_int_equal(iv_job_progress(&job, 9, 10, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.9, 1e-9);
}

static void test_never_backwards(void **state)
{
    (void)state;
    iv_job job;
    iv_job_init(&job);
    iv_error err;
    assert_int_equal(iv_job_progress(&job, 6, 10, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.6, 1e-9);
    assert_int_equal(iv_job_progress(&job, 2, 10, &err), 0); /* a search that starts over */
    assert_float_equal(iv_job_fraction(&job), 0.6, 1e-9);
    /* A part that lies before what was reached does not pull the bar back either. */
    iv_job_range was = iv_job_part(&job, 0, 0.5);
    assert_int_equal(iv_job_progress(&job, 1, 1, &err), 0);
    assert_float_equal(iv_job_fraction(&job), 0.6, 1e-9);
    iv_job_restore(&job, was);
    /* Steps past the total, negative ones and an empty total stay within [0, 1]. */
    assert_int_equal(iv_job_progress(&job, 30, 10, &err), 0);
    assert_true(iv_job_fraction(&job) == 1);
    iv_job_init(&job);
    assert_int_equal(iv_job_progress(&job, -3, 10, &err), 0);
    assert_true(iv_job_fraction(&job) == 0);
    assert_int_equal(iv_job_progress(&job, 3, 0, &err), 0);
    assert_true(iv_job_fraction(&job) == 0);
}

static void test_cancel(void **state)
{
    (void)state;
    iv_job job;
    iv_job_init(&job);
    iv_error err;
    assert_int_equal(iv_job_progress(&job, 1, 10, &err), 0);
    iv_job_cancel(&job);
    assert_true(iv_job_cancelled(&job));
    assert_int_equal(iv_job_progress(&job, 2, 10, &err), -1);
    assert_string_equal(err.msg, "cancelled");
    /* It stays cancelled, and the fraction still records how far the work got. */
    assert_int_equal(iv_job_progress(&job, 3, 10, &err), -1);
    assert_float_equal(iv_job_fraction(&job), 0.3, 1e-9);
    /* Inside a part too. */
    iv_job_range was = iv_job_part(&job, 0.5, 1);
    assert_int_equal(iv_job_progress(&job, 0, 1, &err), -1);
    iv_job_restore(&job, was);
}

typedef struct seen {
    int calls;
    double last;
} seen;

static void count_call(const iv_job *job, void *user)
{
    seen *s = user;
    s->calls++;
    s->last = iv_job_fraction(job);
}

static void test_callback(void **state)
{
    (void)state;
    iv_job job;
    iv_job_init(&job);
    seen s = {0, -1};
    job.on_progress = count_call;
    job.user = &s;
    iv_error err;
    for (int i = 1; i <= 5; i++)
        assert_int_equal(iv_job_progress(&job, i, 5, &err), 0);
    assert_int_equal(s.calls, 5);
    assert_true(s.last == 1); /* the callback sees the fraction already recorded */
    iv_job_cancel(&job);
    assert_int_equal(iv_job_progress(&job, 5, 5, &err), -1);
    assert_int_equal(s.calls, 6); /* called on the failing call too: the line shows to the end */
}

static void test_null_job(void **state)
{
    (void)state;
    iv_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(iv_job_progress(NULL, 1, 2, &err), 0);
    assert_string_equal(err.msg, "");
    iv_job_range was = iv_job_part(NULL, 0.25, 0.5);
    assert_true(was.start == 0 && was.span == 1);
    iv_job_restore(NULL, was);
    iv_job_cancel(NULL);
    assert_false(iv_job_cancelled(NULL));
    assert_true(iv_job_fraction(NULL) == 0);
}

/* ---- a cancelled command --------------------------------------------------------------------- */

static int run(iv_workspace *ws, const char *line, iv_error *err)
{
    return iv_script_run(ws, line, "t", &iv_sink_discard, false, NULL, NULL, err);
}

static void test_cancelled_commands_change_nothing(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    assert_int_equal(run(ws, "input 3 5; ablate h1[1] zero", &err), 0);
    char *before = iv_session_script(ws);
    iv_job job;
    iv_job_init(&job);
    iv_job_cancel(&job);
    ws->job = &job;
    /* Each of these reports progress as it goes, so a cancelled job stops it at once. */
    const char *lines[] = {"sweep h1[0] 0 10 101", "regions h1", "export \"activations h1\" "
                           "/nonexistent/never-written.csv", "export \"sweep input[x] 0 1\" "
                           "/nonexistent/never-written.csv"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        assert_int_equal(run(ws, lines[i], &err), 1);
        assert_non_null(strstr(err.msg, "cancelled"));
    }
    ws->job = NULL;
    char *after = iv_session_script(ws);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Without the job the same commands run. */
    assert_int_equal(run(ws, "sweep h1[0] 0 10 101; regions h1", &err), 0);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_job),
        cmocka_unit_test(test_parts_nest),
        cmocka_unit_test(test_never_backwards),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_callback),
        cmocka_unit_test(test_null_job),
        cmocka_unit_test(test_cancelled_commands_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
