/* test_pass.c - a pass over the dataset gives the same numbers however it is cut into chunks and
 * wherever it starts: chunked effect and loss gaps equal the whole-batch pass bit for bit, random
 * interventions included; a pass starts at the first intervened site; a cancelled job stops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "budget.h"
#include "build.h"
#include "commands.h"
#include "effect.h"
#include "formats/formats.h"
#include "pass.h"

static void grab(iv_result_type type, json_object *result, void *user)
{
    (void)type;
    json_object **slot = user;
    if (*slot)
        json_object_put(*slot);
    *slot = result;
}

static iv_workspace *max_workspace(void)
{
    iv_error err = {{0}};
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    if (!ws)
        fail_msg("%s", err.msg);
    test_run(ws, "data grid x=0:10:1 y=0:10:1");
    test_run(ws, "ablate h1[1] mean");
    test_run(ws, "ablate h2[0] noise samples=7 seed=3");
    test_run(ws, "ablate h1[2] resample samples=5 seed=2");
    return ws;
}

static void effect_of(iv_workspace *ws, iv_effect *e)
{
    iv_error err = {{0}};
    if (iv_workspace_effect(ws, e, &err) < 0)
        fail_msg("%s", err.msg);
}

/* One example per chunk, a few per chunk, all in one: every figure the same, to the bit. */
static void test_chunks_change_nothing(void **state)
{
    (void)state;
    iv_workspace *ws = max_workspace();
    iv_effect whole, cut;
    effect_of(ws, &whole);
    size_t sizes[] = {1, 3 * 7 * 9 * sizeof(float), 40 * 7 * 9 * sizeof(float)};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        iv_pass_limit_set(sizes[k]);
        effect_of(ws, &cut);
        assert_int_equal(cut.n, whole.n);
        assert_memory_equal(cut.intervened, whole.intervened, sizeof(float) * (size_t)whole.n);
        assert_memory_equal(cut.change, whole.change, sizeof(double) * (size_t)whole.n);
        assert_true(cut.mean_change == whole.mean_change);
        assert_true(cut.metrics.loss_gap == whole.metrics.loss_gap);
        assert_true(cut.metrics.target_mse == whole.metrics.target_mse);
        iv_effect_free(&cut);
    }
    iv_pass_limit_set(IV_DEFAULT_PASS_LIMIT);
    iv_effect_free(&whole);
    iv_workspace_free(ws);
}

/* The pass from the first intervened site equals the full forward pass from the input. */
static void test_start_site_changes_nothing(void **state)
{
    (void)state;
    iv_workspace *ws = max_workspace();
    iv_error err = {{0}};
    iv_acts *full = iv_workspace_run_data(ws, ws->list, ws->count, &err);
    double gap_full, gap_pass;
    assert_int_equal(iv_metrics_loss_gap(ws, full, &gap_full, &err), 0);
    assert_int_equal(iv_loss_gap(ws, ws->list, ws->count, &gap_pass, &err), 0);
    assert_true(gap_full == gap_pass);
    iv_acts_free(full);
    iv_workspace_free(ws);
}

typedef struct seen {
    int start;
    long chunks;
    bool aliased;
} seen;

static int look(const iv_pass_chunk *c, void *user, iv_error *err)
{
    (void)err;
    seen *s = user;
    s->start = c->start;
    s->chunks++;
    s->aliased = c->acts->site[0] != NULL;
    return 0;
}

static void test_pass_starts_at_first_site(void **state)
{
    (void)state;
    iv_error err = {{0}};
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    test_run(ws, "data grid x=0:10:1 y=0:10:1");
    test_run(ws, "ablate h2[1] zero");
    seen s = {0};
    int out = iv_model_output_site(ws->model);
    assert_int_equal(iv_workspace_pass(ws, ws->list, ws->count, out, look, &s, &err), 0);
    assert_int_equal(s.start, iv_model_site_find(ws->model, "h2"));
    assert_int_equal(s.chunks, 1);
    assert_true(s.aliased); /* one sample per example: the clean input rows, not a copy */
    /* With nothing to do before it, a loss pass starts at the output. */
    memset(&s, 0, sizeof s);
    assert_int_equal(iv_workspace_pass(ws, ws->list, 0, out, look, &s, &err), 0);
    assert_int_equal(s.start, out);
    iv_workspace_free(ws);
}

static void test_cancel_stops_the_pass(void **state)
{
    (void)state;
    iv_workspace *ws = max_workspace();
    iv_job job;
    iv_job_init(&job);
    iv_job_cancel(&job);
    ws->job = &job;
    iv_effect e;
    iv_error err = {{0}};
    assert_int_equal(iv_workspace_effect(ws, &e, &err), -1);
    assert_string_equal(err.msg, "cancelled");
    /* Progress went somewhere before it stopped, and the workspace still works without a job. */
    assert_true(iv_job_fraction(&job) > 0);
    ws->job = NULL;
    effect_of(ws, &e);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* 3 -> 40 relu -> 40 tanh -> 2, weights from a fixed formula: sites wide enough that a pass
 * changing a few neurons of `a` runs b.pre as its clean values plus a rank-k update. */
static iv_workspace *wide_workspace(void)
{
    iv_builder *b = iv_builder_new("wide", NULL);
    char *names[] = {"x", "y", "z"};
    iv_error err = {{0}};
    assert_int_equal(iv_builder_inputs(b, 3, names, NULL, &err), 0);
    int widths[] = {3, 40, 40, 2};
    iv_activation acts[] = {IV_ACT_RELU, IV_ACT_TANH, IV_ACT_IDENTITY};
    const char *layer[] = {"a", "b", "out"};
    for (int l = 0; l < 3; l++) {
        int n_in = widths[l], n_out = widths[l + 1];
        float *w = iv_xmalloc(sizeof(float) * (size_t)(n_in * n_out));
        float *bias = iv_xmalloc(sizeof(float) * (size_t)n_out);
        for (int i = 0; i < n_in * n_out; i++)
            w[i] = (float)(0.6 * sin(1.7 * i + l) / sqrt(n_in));
        for (int o = 0; o < n_out; o++)
            bias[o] = (float)(0.1 * cos(o + 3.0 * l));
        iv_dense_spec d = {.name = layer[l], .n_in = n_in, .n_out = n_out, .weight = w,
                           .bias = bias, .act = acts[l]};
        assert_int_equal(iv_builder_dense(b, &d, &err), 0);
        free(w);
        free(bias);
    }
    iv_model *m = iv_builder_finish(b, &err);
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    test_run(ws, "data sample 60 x=-2:2 y=-2:2 z=-2:2");
    return ws;
}

/* The rank-k update agrees with running the whole operation, to float rounding; with too many
 * neurons changed the pass runs the operation itself and agrees to the bit. */
static void test_update_agrees_with_full_pass(void **state)
{
    (void)state;
    const char *cases[] = {"ablate a[3] zero", "ablate a[0,7,9] mean",
                           "ablate a[5] noise samples=4 seed=7", "ablate a[2] set 1.5",
                           "ablate a[1] resample samples=3", "ablate a[0:20] mean"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        iv_workspace *ws = wide_workspace();
        test_run(ws, cases[k]);
        iv_error err = {{0}};
        iv_acts *full = iv_workspace_run_data(ws, ws->list, ws->count, &err);
        double gap_full, gap_pass;
        assert_int_equal(iv_metrics_loss_gap(ws, full, &gap_full, &err), 0);
        assert_int_equal(iv_loss_gap(ws, ws->list, ws->count, &gap_pass, &err), 0);
        if (k + 1 == sizeof cases / sizeof cases[0])
            assert_true(gap_pass == gap_full); /* 20 of 40 changed: no update */
        else if (!(fabs(gap_pass - gap_full) <= 1e-5 * fabs(gap_full) + 1e-12))
            fail_msg("%s: pass %.9g, full %.9g", cases[k], gap_pass, gap_full);
        assert_true(gap_full > 0);
        iv_acts_free(full);
        iv_workspace_free(ws);
    }
}

/* On a set large enough that the search screens its candidates on a sample and Adam takes
 * minibatches, optimal ablation is still never worse than zero, mean or resample ablation. */
static void test_large_set_optimal_never_worse(void **state)
{
    (void)state;
    const char *addrs[] = {"a[4]", "a[1,6]", "a[0,2,3,8]"};
    for (size_t k = 0; k < sizeof addrs / sizeof addrs[0]; k++) {
        iv_workspace *ws = wide_workspace();
        test_run(ws, "data sample 5000 x=-2:2 y=-2:2 z=-2:2");
        iv_error err = {{0}};
        iv_addr a;
        assert_int_equal(iv_addr_parse(ws->model, addrs[k], &a, &err), 0);
        iv_comparison c;
        if (iv_compare_ablations(ws, &a, &c, &err) < 0)
            fail_msg("%s: %s", addrs[k], err.msg);
        if (!(c.optimal <= c.zero && c.optimal <= c.mean && c.optimal <= c.resample))
            fail_msg("%s: optimal %g, zero %g, mean %g, resample %g", addrs[k], c.optimal, c.zero,
                     c.mean, c.resample);
        assert_true(c.optimal < c.zero); /* and it found something: zero is far from optimal */
        iv_comparison_free(&c);
        iv_addr_clear(&a);
        iv_workspace_free(ws);
    }
}

/* `ablate` measures its loss gap in the pass the map and `effect` then read: one pass, not three;
 * any change makes the next effect a new pass. */
static void test_ablate_and_effect_share_a_pass(void **state)
{
    (void)state;
    iv_error err = {{0}};
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    test_run(ws, "data grid x=0:10:1 y=0:10:1");
    long before = ws->passes;
    test_run(ws, "ablate h1[1] zero");
    iv_effect e, again;
    effect_of(ws, &e);
    assert_int_equal(ws->passes - before, 1);
    effect_of(ws, &again);
    assert_int_equal(ws->passes - before, 1);
    assert_memory_equal(e.change, again.change, sizeof(double) * (size_t)e.n);
    assert_true(e.metrics.loss_gap == again.metrics.loss_gap);
    iv_effect_free(&again);
    test_run(ws, "toggle 1");
    effect_of(ws, &again);
    assert_int_equal(ws->passes - before, 2);
    assert_true(again.mean_change == 0);
    iv_effect_free(&again);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* `limit pass` sets the chunks' memory, refuses sizes under 1M, and effect is the same under it. */
static void test_limit_pass(void **state)
{
    (void)state;
    iv_workspace *ws = max_workspace();
    iv_effect big, small;
    effect_of(ws, &big);
    test_run(ws, "limit pass 1M");
    assert_int_equal(iv_pass_limit(), 1 << 20);
    char **argv;
    iv_error err = {{0}};
    int argc = iv_words_split("limit pass 12", &argv, &err);
    assert_int_equal(iv_command_run(ws, argc, argv, &iv_sink_discard, &err), -1);
    assert_string_equal(err.msg, "limit: '12' is not a size of at least 1M (e.g. 512M, 4G)");
    iv_words_free(argv);
    assert_int_equal(iv_pass_limit(), 1 << 20);
    test_run(ws, "toggle 1"); /* new evaluations: the kept effect does not answer */
    test_run(ws, "toggle 1");
    effect_of(ws, &small);
    assert_memory_equal(small.change, big.change, sizeof(double) * (size_t)big.n);
    test_run(ws, "limit pass 256M");
    iv_effect_free(&big);
    iv_effect_free(&small);
    iv_workspace_free(ws);
}

static void cancel_now(const iv_job *job, void *user)
{
    (void)user;
    iv_job_cancel((iv_job *)job);
}

/* compare works on its neurons two at a time (one on a helper thread): the rows are those of one
 * at a time, in order, and a cancel stops both threads. */
static void test_compare_rows_two_at_a_time(void **state)
{
    (void)state;
    iv_workspace *ws = wide_workspace();
    iv_error err = {{0}};
    iv_addr a;
    assert_int_equal(iv_addr_parse(ws->model, "a[3:6]", &a, &err), 0);
    iv_comparison alone[3];
    for (int j = 0; j < 3; j++) {
        iv_addr one = {.site = a.site, .n = 1, .idx = &a.idx[j]};
        assert_int_equal(iv_compare_ablations(ws, &one, &alone[j], &err), 0);
    }
    json_object *got = NULL;
    char **argv;
    int argc = iv_words_split("compare a[3:6]", &argv, &err);
    iv_sink keep = {grab, &got};
    assert_int_equal(iv_command_run(ws, argc, argv, &keep, &err), 0);
    json_object *rows = json_object_object_get(got, "loss_gaps");
    assert_int_equal(json_object_array_length(rows), 4); /* three neurons, then the set */
    for (int j = 0; j < 3; j++) {
        json_object *row = json_object_array_get_idx(rows, j);
        /* (the result prints float32's digits) */
        double printed = json_object_get_double(json_object_object_get(row, "optimal"));
        assert_true(fabs(printed - alone[j].optimal) <= 1e-6 * alone[j].optimal);
        iv_comparison_free(&alone[j]);
    }
    json_object_put(got);
    /* Cancelled at once: both threads stop, the command fails, nothing is left running. */
    iv_job job;
    iv_job_init(&job);
    job.on_progress = cancel_now;
    ws->job = &job;
    assert_int_equal(iv_command_run(ws, argc, argv, &iv_sink_discard, &err), -1);
    assert_string_equal(err.msg, "compare: cancelled");
    ws->job = NULL;
    iv_words_free(argv);
    iv_addr_clear(&a);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_change_nothing),
        cmocka_unit_test(test_start_site_changes_nothing),
        cmocka_unit_test(test_pass_starts_at_first_site),
        cmocka_unit_test(test_cancel_stops_the_pass),
        cmocka_unit_test(test_update_agrees_with_full_pass),
        cmocka_unit_test(test_large_set_optimal_never_worse),
        cmocka_unit_test(test_ablate_and_effect_share_a_pass),
        cmocka_unit_test(test_limit_pass),
        cmocka_unit_test(test_compare_rows_two_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
