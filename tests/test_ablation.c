/* test_ablation.c - loss gaps, optimal ablation and the comparison, against METHODS.md's oracles
 * and analytic values on the lecture network. */
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
#include "commands.h"
#include "effect.h"
#include "formats/formats.h"
#include "formats/text.h"
#include "metrics.h"

static iv_workspace *ws_from(const char *text)
{
    iv_error err;
    iv_model *m = text ? iv_model_parse(text, "test.nn", &err) : iv_model_builtin_max();
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        fail_msg("%s", err.msg);
    return ws;
}

static double gap_of(iv_workspace *ws, const char *addr, iv_kind kind)
{
    iv_intervention iv = {.kind = kind, .enabled = true, .k = 3, .samples = 10, .seed = 1};
    iv_error err;
    assert_int_equal(iv_addr_parse(ws->model, addr, &iv.addr, &err), 0);
    double gap;
    assert_int_equal(iv_loss_gap(ws, &iv, 1, &gap, &err), 0);
    iv_addr_clear(&iv.addr);
    return gap;
}

/* Zeroing relu(y - x) adds x to the output wherever y > x: the gap is the mean of x^2 there,
 * sum over x of x^2 (10 - x) = 825, over 121 grid points. */
static void test_zero_gap_analytic(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from(NULL);
    assert_float_equal(gap_of(ws, "h1[1]", IV_ZERO), 825.0 / 121.0, 1e-9);
    /* Mean ablation of relu(x - y) (1.818) shuts h2[0] everywhere: out becomes relu(x - 100 h1[1]),
     * which is x where x >= y and 0 elsewhere, so the gap is the mean of y^2 over y > x plus the
     * diagonal's x^2: (sum_y y^2 y) + 385 = 3025 + 385 = 3410 over 121. */
    assert_float_equal(gap_of(ws, "h1[0]", IV_MEAN), 3410.0 / 121.0, 1e-6);
    iv_effect e;
    iv_error err;
    test_run(ws, "ablate h1[1] zero");
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_float_equal(e.metrics.loss_gap, 825.0 / 121.0, 1e-9);
    /* The clean network is wrong only on the diagonal: out = 2x against max = x. */
    assert_true(e.metrics.has_target);
    assert_float_equal(e.metrics.target_mse_clean, 385.0 / 121.0, 1e-9);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* Optimal ablation is never worse than zero, mean or resample ablation (METHODS.md), on one, two
 * and four neurons (the last by gradient steps). */
static void test_optimal_is_never_worse(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from(NULL);
    const char *addrs[] = {"h1[0]", "h1[1]", "h1[2]", "h1[0:2]", "h2[0]", "h1", "input"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        iv_addr a;
        iv_error err;
        assert_int_equal(iv_addr_parse(ws->model, addrs[i], &a, &err), 0);
        iv_comparison c;
        if (iv_compare_ablations(ws, &a, &c, &err) < 0)
            fail_msg("%s: %s", addrs[i], err.msg);
        if (!(c.optimal <= c.zero + 1e-9 && c.optimal <= c.mean + 1e-9 &&
              c.optimal <= c.resample + 1e-9 && c.optimal <= c.noise + 1e-9))
            fail_msg("%s: optimal %g, zero %g, mean %g, resample %g, noise %g", addrs[i], c.optimal,
                     c.zero, c.mean, c.resample, c.noise);
        /* The constants found give the gap reported. */
        iv_intervention iv = {.kind = IV_OPTIMAL, .enabled = true, .addr = a,
                              .values = c.optimal_values};
        double gap;
        assert_int_equal(iv_loss_gap(ws, &iv, 1, &gap, &err), 0);
        assert_float_equal(gap, c.optimal, 1e-9);
        iv_comparison_free(&c);
        iv_addr_clear(&a);
    }
    iv_workspace_free(ws);
}

/* With a linear readout and squared loss, the optimal constant is the mean exactly. */
static void test_linear_readout_optimal_is_mean(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from("inputs x y z\n"
                               "data sample 300 x=0:10 y=-2:4 z=1:2 seed=5\n"
                               "layer o identity\n  weights\n    1 2 -3\n    0.5 0 1\n");
    iv_error err;
    assert_int_equal(iv_workspace_reference(ws, &err), 0);
    const char *addrs[] = {"input[0]", "input[0:2]", "input"}; /* grid, golden, Adam */
    double tol[] = {1e-4, 1e-3, 2e-2};
    for (int i = 0; i < 3; i++) {
        iv_addr a;
        assert_int_equal(iv_addr_parse(ws->model, addrs[i], &a, &err), 0);
        double v[3], gap;
        assert_int_equal(iv_optimal_ablation(ws, &a, v, &gap, &err), 0);
        for (int j = 0; j < a.n; j++)
            if (fabs(v[j] - ws->stats->mean[0][a.idx[j]]) > tol[i])
                fail_msg("%s neuron %d: optimal %g, mean %g", addrs[i], j, v[j],
                         ws->stats->mean[0][a.idx[j]]);
        iv_addr_clear(&a);
    }
    iv_workspace_free(ws);
}

/* A classifier's loss is KL(clean || intervened): zero for an intervention that changes nothing. */
static void test_classifier_metrics(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from("inputs a b\n"
                               "data grid a=-1:1:0.5 b=-1:1:0.5\n"
                               "layer h tanh\n  weights\n    1 -1\n    1 1\n"
                               "layer p softmax\n  labels yes no\n  weights\n    2 -1\n    -1 2\n");
    float c[2] = {0.25f, 0.75f}, y[2] = {0.5f, 0.5f};
    assert_float_equal(iv_row_loss(true, c, y, 2), 0.25 * log(0.5) + 0.75 * log(1.5), 1e-6);
    assert_float_equal(iv_row_loss(true, c, c, 2), 0, 0);
    /* Patching clean into clean changes nothing: KL 0, accuracy 1. */
    test_run(ws, "source 0 0; input 0 0; patch input");
    iv_effect e;
    iv_error err;
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_true(e.metrics.classifier);
    assert_true(e.metrics.loss_gap > 0); /* every example takes the source's input: it changes */
    iv_effect_free(&e);
    test_run(ws, "clear; set h[0] 0.3; toggle 1");
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_float_equal(e.metrics.loss_gap, 0, 0);
    assert_float_equal(e.metrics.accuracy, 1, 0);
    assert_float_equal(e.metrics.logit_diff, 0, 0);
    iv_effect_free(&e);
    test_run(ws, "toggle 1");
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_true(e.metrics.loss_gap > 0);
    assert_true(e.metrics.accuracy < 1);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* ablate ADDR optimal adds the constants found; a saved session finds them again. */
static void test_ablate_optimal_command(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from(NULL);
    test_run(ws, "input 3 5; ablate h1[1] optimal");
    assert_int_equal(ws->count, 1);
    assert_int_equal(ws->list[0].kind, IV_OPTIMAL);
    double v = ws->list[0].values[0];
    char *script = iv_session_script(ws);
    assert_non_null(strstr(script, "ablate h1[1] optimal\n"));
    iv_workspace *again = ws_from(NULL);
    test_run(again, script);
    assert_float_equal(again->list[0].values[0], v, 0);
    free(script);
    iv_workspace_free(again);
    iv_workspace_free(ws);
}

/* 'metric target': the gap is the squared error to the target minus the clean network's, the
 * same figure effect reports as target_mse - target_mse_clean. */
static void test_metric_target(void **state)
{
    (void)state;
    iv_workspace *ws = ws_from(NULL);
    test_run(ws, "metric target; ablate h1[0] mean");
    iv_effect e;
    iv_error err;
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_float_equal(e.metrics.loss_gap, e.metrics.target_mse - e.metrics.target_mse_clean, 1e-9);
    iv_effect_free(&e);
    /* No intervention: a gap of exactly 0 against the target too. */
    double none;
    assert_int_equal(iv_loss_gap(ws, NULL, 0, &none, &err), 0);
    assert_float_equal(none, 0, 1e-12);
    iv_addr a;
    assert_int_equal(iv_addr_parse(ws->model, "h1[0]", &a, &err), 0);
    iv_comparison c;
    assert_int_equal(iv_compare_ablations(ws, &a, &c, &err), 0);
    assert_true(c.optimal <= c.zero && c.optimal <= c.mean);
    iv_comparison_free(&c);
    iv_addr_clear(&a);
    char *script = iv_session_script(ws);
    assert_non_null(strstr(script, "\nmetric target\n"));
    free(script);
    iv_workspace_free(ws);
    /* A classifier has no target metric. */
    ws = ws_from("inputs a\nlayer p softmax\n  weights\n    1\n    -1\n");
    assert_int_equal(iv_script_run(ws, "metric target", "t", &iv_sink_discard, false, NULL, NULL,
                                   &err), 1);
    assert_non_null(strstr(err.msg, "needs a regression model"));
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_gap_analytic),
        cmocka_unit_test(test_optimal_is_never_worse),
        cmocka_unit_test(test_linear_readout_optimal_is_mean),
        cmocka_unit_test(test_classifier_metrics),
        cmocka_unit_test(test_ablate_optimal_command),
        cmocka_unit_test(test_metric_target),
    };
    return cmocka_run_group_tests_name("ablation", tests, NULL, NULL);
}
