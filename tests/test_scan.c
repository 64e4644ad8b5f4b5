/* test_scan.c - scan and attribute, against the commands they stand for (each row one `patch` /
 * `ablate` and `show out` or `effect`), LECTURE.md's worked values, and the analytic cases of
 * attribution patching: exact on a linear network, and on a ReLU network wherever a patch stays
 * in one linear region. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "formats/formats.h"
#include "job.h"
#include "scan.h"

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    if (!ws)
        fail_msg("%s", err.msg);
    return ws;
}

/* ---- results --------------------------------------------------------------------------------- */

static void keep_last(iv_result_type type, json_object *obj, void *user)
{
    (void)type;
    json_object **last = user;
    json_object_put(*last);
    *last = obj;
}

/* The last result of a line that must succeed (the caller puts it). */
static json_object *result_of(iv_workspace *ws, const char *line)
{
    json_object *last = NULL;
    iv_sink sink = {keep_last, &last};
    iv_error err;
    if (iv_script_run(ws, line, "t", &sink, false, NULL, NULL, &err) != 0)
        fail_msg("'%s' failed: %s", line, err.msg);
    if (!last)
        fail_msg("'%s' gave no result", line);
    return last;
}

static double number(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    if (!v)
        fail_msg("no number '%s' in %s", key, json_object_to_json_string(obj));
    if (json_object_is_type(v, json_type_array))
        v = json_object_array_get_idx(v, 0);
    return json_object_get_double(v);
}

static json_object *rows_of(json_object *obj)
{
    json_object *rows = json_object_object_get(obj, "rows");
    assert_non_null(rows);
    return rows;
}

static const char *row_neuron(json_object *rows, size_t i)
{
    return json_object_get_string(json_object_object_get(json_object_array_get_idx(rows, i),
                                                         "neuron"));
}

static double row_number(json_object *rows, size_t i, const char *key)
{
    return number(json_object_array_get_idx(rows, i), key);
}

/* The change of output k after `prefix NEURON suffix; show out`, from the existing commands;
 * the interventions it added are dropped again (the list before it is kept). */
static double change_by_commands(iv_workspace *ws, const char *prefix, const char *neuron,
                                 const char *suffix, int k)
{
    int count = ws->count;
    char line[256];
    snprintf(line, sizeof line, "%s %s %s; show out", prefix, neuron, suffix);
    json_object *out = result_of(ws, line);
    double change = json_object_get_double(
        json_object_array_get_idx(json_object_object_get(out, "change"), (size_t)k));
    json_object_put(out);
    while (ws->count > count) {
        snprintf(line, sizeof line, "drop %d", ws->list[ws->count - 1].id);
        test_run(ws, line);
    }
    return change;
}

/* The loss gap `ablate NEURON KIND; effect` reports (the whole list, with it added). */
static double gap_by_commands(iv_workspace *ws, const char *neuron, const char *kind)
{
    int count = ws->count;
    char line[256];
    snprintf(line, sizeof line, "ablate %s %s; effect", neuron, kind);
    json_object *e = result_of(ws, line);
    double gap = number(e, "loss_gap");
    json_object_put(e);
    snprintf(line, sizeof line, "drop %d", ws->list[ws->count - 1].id);
    test_run(ws, line);
    assert_int_equal(ws->count, count);
    return gap;
}

/* Every row of `scan ARGS` against the command it stands for, one at a time. */
static void check_scan_against_commands(iv_workspace *ws, const char *args, const char *prefix,
                                        const char *suffix, double tol)
{
    char line[128];
    snprintf(line, sizeof line, "scan %s", args);
    json_object *r = result_of(ws, line);
    json_object *rows = rows_of(r);
    for (size_t i = 0; i < json_object_array_length(rows); i++) {
        double want = change_by_commands(ws, prefix, row_neuron(rows, i), suffix, 0);
        double got = row_number(rows, i, "value");
        if (fabs(got - want) > tol)
            fail_msg("scan %s: row %s is %.9g, the commands give %.9g", args, row_neuron(rows, i),
                     got, want);
    }
    json_object_put(r);
}

/* ---- scan at the base input ------------------------------------------------------------------ */

/* LECTURE.md: at (3, 5) with source (5, 3), patching h1[0] gives out 0 (change -5); patching h1
 * whole gives the source's own output, 5 (change 0). And each row is `patch h1[i]; show out`. */
static void test_patch_rows_are_patch_commands(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3");
    json_object *r = result_of(ws, "scan h1");
    json_object *rows = rows_of(r);
    assert_int_equal(json_object_array_length(rows), 5);
    assert_string_equal(row_neuron(rows, 0), "h1[0]");
    assert_string_equal(row_neuron(rows, 4), "h1");
    assert_float_equal(row_number(rows, 0, "value"), -5, 0);
    assert_float_equal(row_number(rows, 4, "value"), 0, 0);
    assert_float_equal(number(r, "clean"), 5, 0);
    assert_float_equal(number(r, "baseline"), 0, 0);
    assert_string_equal(json_object_get_string(json_object_object_get(r, "kind")), "patch");
    json_object_put(r);
    check_scan_against_commands(ws, "h1", "patch", "", 0);
    check_scan_against_commands(ws, "h2 patch", "patch", "", 0);
    assert_int_equal(ws->count, 0); /* a scan adds nothing */
    iv_workspace_free(ws);
}

/* LECTURE.md: zero-ablating h1[1] at (3, 5) moves the output 5 -> 8; mean-ablating h1[0] (its
 * mean 1.818 over the grid) gives 0. */
static void test_zero_and_mean_rows(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5");
    json_object *r = result_of(ws, "scan h1 zero");
    assert_float_equal(row_number(rows_of(r), 1, "value"), 3, 0);
    json_object_put(r);
    r = result_of(ws, "scan h1 mean");
    assert_float_equal(row_number(rows_of(r), 0, "value"), -5, 0);
    json_object_put(r);
    check_scan_against_commands(ws, "h1 zero", "ablate", "zero", 0);
    check_scan_against_commands(ws, "h1 mean", "ablate", "mean", 0);
    iv_workspace_free(ws);
}

/* The interventions on stay applied, the scan's after them: each row is what ablate on top of
 * them gives, and the baseline is their change alone (h1[2] set to 1: out 5 -> 5). */
static void test_interventions_stay_applied(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3; ablate h1[2] set 1; ablate h2[0] set 4");
    json_object *r = result_of(ws, "scan h1 zero");
    assert_float_equal(number(r, "baseline"), -1, 0); /* h2 = [4, 0]: out 4 */
    assert_non_null(json_object_object_get(r, "note"));
    json_object_put(r);
    check_scan_against_commands(ws, "h1 zero", "ablate", "zero", 0);
    check_scan_against_commands(ws, "h1", "patch", "", 0);
    /* An intervention at the scanned neuron comes first, and the scan's overrides it. */
    check_scan_against_commands(ws, "h2 patch", "patch", "", 0);
    assert_int_equal(ws->count, 2);
    iv_workspace_free(ws);
}

/* With random interventions on, each row of the batch draws what the run at the base drew, so
 * every row equals its commands (the mean over the samples) and not merely in distribution. */
static void test_random_interventions_stay_applied(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3; ablate h1[3] noise sigma=0.5 samples=7 seed=3; "
                 "ablate h2[1] resample samples=4 seed=9");
    check_scan_against_commands(ws, "h1", "patch", "", 1e-5);
    check_scan_against_commands(ws, "h1 zero", "ablate", "zero", 1e-5);
    check_scan_against_commands(ws, "input mean", "ablate", "mean", 1e-5);
    iv_workspace_free(ws);
}

/* scan all: every neuron of every site, and every site of several neurons whole, each the
 * command it stands for. */
static void test_scan_all(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3");
    json_object *r = result_of(ws, "scan all zero");
    json_object *rows = rows_of(r);
    /* input 2, h1.pre 4, h1 4, h2.pre 2, h2 2, out.pre 1, out 1; whole rows for five sites */
    assert_int_equal(json_object_array_length(rows), 16 + 5);
    assert_string_equal(row_neuron(rows, 0), "input[0]");
    assert_string_equal(row_neuron(rows, 20), "out");
    json_object_put(r);
    check_scan_against_commands(ws, "all zero", "ablate", "zero", 0);
    check_scan_against_commands(ws, "all", "patch", "", 0);
    iv_workspace_free(ws);
}

/* ---- scan over the dataset ------------------------------------------------------------------- */

/* metric=loss is the loss gap ablate reports for the row alone (zeroing h1[1]: 825/121 over the
 * grid, test_ablation's analytic value), and effect's with interventions on. */
static void test_loss_rows(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3");
    const char *kinds[] = {"zero", "mean", "patch"};
    for (int k = 0; k < 3; k++) {
        char line[64];
        snprintf(line, sizeof line, "scan h1 %s metric=loss", kinds[k]);
        json_object *r = result_of(ws, line);
        json_object *rows = rows_of(r);
        if (k == 0)
            assert_float_equal(row_number(rows, 1, "value"), 825.0 / 121.0, 1e-9);
        for (size_t i = 0; i < json_object_array_length(rows); i++) {
            snprintf(line, sizeof line, "ablate %s %s", row_neuron(rows, i), kinds[k]);
            json_object *added = result_of(ws, line);
            double want = number(json_object_object_get(added, "added"), "loss_gap");
            json_object_put(added);
            test_run(ws, "clear");
            assert_float_equal(row_number(rows, i, "value"), want, 1e-12);
        }
        json_object_put(r);
    }
    test_run(ws, "ablate h2[1] zero");
    json_object *r = result_of(ws, "scan h1 zero metric=loss");
    json_object *rows = rows_of(r);
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        assert_float_equal(row_number(rows, i, "value"), gap_by_commands(ws, row_neuron(rows, i),
                                                                         "zero"), 1e-12);
    json_object_put(r);
    iv_workspace_free(ws);
}

static int progress_calls;

static void count_progress(const iv_job *job, void *user)
{
    (void)job, (void)user;
    progress_calls++;
}

/* The loss scan runs in chunks of bounded memory: a pass limit of 1M (three chunks of the 60,000
 * examples at h1 and after, 40 bytes each) gives the same numbers. */
static void test_loss_rows_chunked(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "data sample 60000 x=0:10 y=0:10 seed=4");
    json_object *whole = result_of(ws, "scan h1 zero metric=loss");
    test_run(ws, "limit pass 1M");
    iv_job job;
    iv_job_init(&job);
    job.on_progress = count_progress;
    ws->job = &job;
    progress_calls = 0;
    json_object *chunked = result_of(ws, "scan h1 zero metric=loss");
    assert_int_equal(progress_calls, 5 * 3); /* each row's pass in three chunks */
    ws->job = NULL;
    test_run(ws, "limit pass 256M");
    for (size_t i = 0; i < 5; i++)
        assert_float_equal(row_number(rows_of(whole), i, "value"),
                           row_number(rows_of(chunked), i, "value"), 1e-9);
    json_object_put(whole);
    json_object_put(chunked);
    iv_workspace_free(ws);
}

/* A loss scan is a job: it reports progress as it goes, and a cancel stops it, changing nothing. */
static void test_loss_scan_is_a_job(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    iv_job job;
    iv_job_init(&job);
    job.on_progress = count_progress;
    ws->job = &job;
    progress_calls = 0;
    json_object_put(result_of(ws, "scan h1 zero metric=loss"));
    assert_true(progress_calls >= 5); /* a pass per row */
    assert_true(iv_job_fraction(&job) > 0.99);
    iv_job_init(&job);
    iv_job_cancel(&job);
    assert_non_null(strstr(test_run_fails(ws, "scan all zero metric=loss"), "cancelled"));
    assert_int_equal(ws->count, 0);
    ws->job = NULL;
    iv_workspace_free(ws);
}

/* ---- attribution patching -------------------------------------------------------------------- */

/* Identity activations: the output is linear in every site, so the first-order estimate is the
 * patch's effect exactly. Two outputs: the default is the clean top class. */
static const char linear_net[] =
    "inputs a b c\n"
    "layer h identity\n  weights\n    0.5 -1 2\n    1.5 0.25 -0.5\n    -2 1 1\n"
    "  bias 0.1 -0.3 0.2\n"
    "layer g identity\n  weights\n    1 -0.5 0.75\n    0.2 2 -1\n  bias 0 1\n"
    "layer out identity\n  weights\n    1 2\n    -1 0.5\n";

static void check_attribution_exact(iv_workspace *ws, const char *line)
{
    json_object *r = result_of(ws, line);
    json_object *rows = rows_of(r);
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        assert_float_equal(row_number(rows, i, "estimate"), row_number(rows, i, "actual"), 1e-5);
    assert_float_equal(number(r, "correlation"), 1, 1e-9);
    json_object_put(r);
}

static void test_linear_attribution_is_exact(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_net);
    test_run(ws, "input 1 2 -1; source -0.5 3 2");
    json_object *r = result_of(ws, "attribute h");
    json_object *rows = rows_of(r);
    assert_int_equal(json_object_array_length(rows), 4);
    /* actual is scan's value: the same patch, by `patch h[i]; show out` */
    const char *out = json_object_get_string(json_object_object_get(r, "output"));
    int k = out[strlen(out) - 2] - '0';
    for (size_t i = 0; i < 4; i++)
        assert_float_equal(row_number(rows, i, "actual"),
                           change_by_commands(ws, "patch", row_neuron(rows, i), "", k), 1e-5);
    json_object_put(r);
    check_attribution_exact(ws, "attribute h");
    check_attribution_exact(ws, "attribute g.pre metric=out[0]");
    check_attribution_exact(ws, "attribute input metric=out[1]");
    /* With an intervention at the very neuron patched: the estimate takes the gradient at the
     * value after it (where the patch acts), not the zero it leaves below. */
    test_run(ws, "set h[0] 2; ablate g[1] set 0.5");
    check_attribution_exact(ws, "attribute h");
    check_attribution_exact(ws, "attribute g metric=out[1]");
    iv_workspace_free(ws);
}

/* On the max network at (3, 5) from (5, 3): patching y (h1[3], 5 -> 3) keeps h2[0] on, in one
 * linear region, and the estimate (3 - 5) x 1 is the change, -2; patching x (h1[2]) meets a shut
 * h2[1], 0 and 0. Patching h1[0] (0 -> 2) crosses into h2[0]'s off region: the estimate
 * (2 - 0) x (-100) = -200 is far from the true -5, and is the largest disagreement. */
static void test_relu_attribution(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3");
    json_object *r = result_of(ws, "attribute h1");
    json_object *rows = rows_of(r);
    assert_float_equal(row_number(rows, 3, "estimate"), -2, 0);
    assert_float_equal(row_number(rows, 3, "actual"), -2, 0);
    assert_float_equal(row_number(rows, 3, "gradient"), 1, 0);
    assert_float_equal(row_number(rows, 2, "estimate"), 0, 0);
    assert_float_equal(row_number(rows, 2, "actual"), 0, 0);
    assert_float_equal(row_number(rows, 0, "estimate"), -200, 0);
    assert_float_equal(row_number(rows, 0, "actual"), -5, 0);
    json_object *worst = json_object_object_get(r, "largest_disagreement");
    assert_string_equal(json_object_get_string(json_object_object_get(worst, "neuron")), "h1[0]");
    assert_float_equal(number(worst, "difference"), -195, 0);
    /* Pearson over (est, actual) = (-200, -5), (0, 3), (0, 0), (-2, -2), by hand */
    double est[] = {-200, 0, 0, -2}, act[] = {-5, 3, 0, -2};
    double me = -50.5, ma = -1, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 4; i++) {
        sxy += (est[i] - me) * (act[i] - ma);
        sxx += (est[i] - me) * (est[i] - me);
        syy += (act[i] - ma) * (act[i] - ma);
    }
    assert_float_equal(number(r, "correlation"), sxy / sqrt(sxx * syy), 1e-6);
    json_object_put(r);
    iv_workspace_free(ws);
}

/* A softmax classifier: the default output is the clean top class's probability. */
static const char softmax_net[] =
    "inputs x y\n"
    "layer h relu\n  weights\n    1 -1\n    0.5 1\n    -1 0.3\n  bias 0 0.1 0.2\n"
    "layer out softmax\n  weights\n    1 0 -1\n    0 2 0.5\n    -1 1 1\n";

static void test_classifier_output(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(softmax_net);
    test_run(ws, "input 1 2; source -1 0.5");
    int top = iv_scan_default_output(ws);
    const float *p = ws->clean->site[iv_model_output_site(ws->model)];
    for (int k = 0; k < 3; k++)
        assert_true(p[k] <= p[top]);
    json_object *r = result_of(ws, "scan h");
    char name[16];
    snprintf(name, sizeof name, "out[%d]", top);
    assert_string_equal(json_object_get_string(json_object_object_get(r, "output")), name);
    assert_non_null(strstr(json_object_get_string(json_object_object_get(r, "measure")),
                           "probability"));
    json_object *rows = rows_of(r);
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        assert_float_equal(row_number(rows, i, "value"),
                           change_by_commands(ws, "patch", row_neuron(rows, i), "", top), 1e-6);
    json_object_put(r);
    r = result_of(ws, "scan h zero metric=out[0]");
    rows = rows_of(r);
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        assert_float_equal(row_number(rows, i, "value"),
                           change_by_commands(ws, "ablate", row_neuron(rows, i), "zero", 0), 1e-6);
    json_object_put(r);
    iv_workspace_free(ws);
}

/* ---- bad input ------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    assert_non_null(strstr(test_run_fails(ws, "scan h9"), "h9"));
    assert_non_null(strstr(test_run_fails(ws, "attribute h9"), "h9"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1[0]"), "is a neuron address"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1"), "patch needs a source input"));
    assert_non_null(strstr(test_run_fails(ws, "attribute h1"), "needs a source input"));
    test_run(ws, "source 5 3");
    assert_non_null(strstr(test_run_fails(ws, "scan h1 metric=foo"), "metric=foo: expected"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 metric=out[1]"), "K from 0 to 0"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 metric=h1[0]"), "metric=h1[0]"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 noise"), "'noise': expected"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 zero mean"), "'mean': the kind is given "
                                                                     "twice"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 metric=loss metric=output"),
                           "the metric is given twice"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 nan"), "'nan': expected"));
    assert_non_null(strstr(test_run_fails(ws, "attribute h1 metric=loss"), "not offered"));
    assert_non_null(strstr(test_run_fails(ws, "attribute h1 zero"), "expected metric="));
    assert_non_null(strstr(test_run_fails(ws, "attribute all"), "all"));
    test_run(ws, "data none");
    assert_non_null(strstr(test_run_fails(ws, "scan h1 mean"), "no reference dataset"));
    assert_non_null(strstr(test_run_fails(ws, "scan h1 zero metric=loss"), "no reference dataset"));
    /* A scan too large for the memory limit is refused with what it would need. */
    test_run(ws, "data grid x=0:10 y=0:10; ablate h1[0] noise samples=20000 sigma=1");
    test_run(ws, "limit memory 16M");
    assert_non_null(strstr(test_run_fails(ws, "scan all"), "memory limit"));
    test_run(ws, "limit memory 2G");
    assert_int_equal(ws->count, 1);
    iv_workspace_free(ws);
}

static void test_pearson(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4}, y[] = {2, 4, 6, 8}, z[] = {-1, -2, -3, -4}, c[] = {1, 1, 1, 1};
    assert_float_equal(iv_pearson(x, y, 4), 1, 1e-12);
    assert_float_equal(iv_pearson(x, z, 4), -1, 1e-12);
    assert_true(isnan(iv_pearson(x, c, 4)));
    assert_true(isnan(iv_pearson(x, y, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_rows_are_patch_commands),
        cmocka_unit_test(test_zero_and_mean_rows),
        cmocka_unit_test(test_interventions_stay_applied),
        cmocka_unit_test(test_random_interventions_stay_applied),
        cmocka_unit_test(test_scan_all),
        cmocka_unit_test(test_loss_rows),
        cmocka_unit_test(test_loss_rows_chunked),
        cmocka_unit_test(test_loss_scan_is_a_job),
        cmocka_unit_test(test_linear_attribution_is_exact),
        cmocka_unit_test(test_relu_attribution),
        cmocka_unit_test(test_classifier_output),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pearson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
