/* test_grad_interventions.c - the backward pass with interventions on, against finite differences,
 * for every kind of intervention, on the lecture's max network and on a 3-layer tanh network. The
 * function differentiated is what an intervened network computes from its input with each
 * intervention's values held fixed: L(X) = sum over rows r and outputs k of c[k] out[r][k], over
 * the rows of a sampled dataset X, with zero, set, mean, resample, patch, optimal, noise or rotate
 * acting on a neuron (rotate: on a subspace of a layer). Finite differences move the dataset's
 * inputs in place without telling the workspace, so the statistics, the reference activations and
 * the source that the interventions copy from stay as they were: exactly the "held fixed" the
 * backward hook assumes. Each replacing kind must pass no gradient below the neuron it replaces
 * (checked exactly), noise must pass all of it, and optimal ablation's constants get their own
 * gradient (checked against differences in the constants). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "commands.h"
#include "formats/formats.h"
#include "formats/text.h"
#include "workspace.h"

/* The tolerance of test_backward.c, for the same five-point difference: right to 0.1 % or 1e-4. */
#define EPS 1e-2
#define REL 1e-3
#define ABS 1e-4

static const char tanh_net[] =
    "inputs x y\n"
    "layer a tanh\n  weights\n    0.8 -0.5\n    -0.3 0.9\n    0.5 0.4\n  bias 0.1 -0.2 0.05\n"
    "layer b tanh\n  weights\n    0.7 -0.6 0.2\n    0.4 0.3 -0.8\n  bias -0.1 0.2\n"
    "layer out tanh\n  weights\n    1.1 -0.7\n    0.3 0.9\n  bias 0 0.1\n";

static iv_workspace *workspace(const char *model_text, const char *data)
{
    iv_error err = {{0}};
    iv_model *m = model_text ? iv_model_parse(model_text, "test.nn", &err) : iv_model_builtin_max();
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        fail_msg("%s", err.msg);
    test_run(ws, data);
    return ws;
}

/* L over the dataset with the workspace's interventions, and its weights c (one per output). */
static double loss(iv_workspace *ws, const float *c)
{
    iv_error err = {{0}};
    iv_acts *a = iv_workspace_run_data(ws, ws->list, ws->count, &err);
    if (!a)
        fail_msg("%s", err.msg);
    int w = iv_model_output_width(ws->model);
    const float *out = a->site[iv_model_output_site(ws->model)];
    double sum = 0;
    for (long r = 0; r < a->n; r++)
        for (int k = 0; k < w; k++)
            sum += (double)c[k] * out[r * w + k];
    iv_acts_free(a);
    return sum;
}

static double five_point(double f2m, double fm, double fp, double f2p, double h)
{
    return (f2m - 8 * fm + 8 * fp - f2p) / (12 * h);
}

/* The analytic gradient at every site (hooks on), for the workspace's list; caller frees both. */
static iv_acts *gradients(iv_workspace *ws, const float *c, iv_acts **acts_out, double **param_grad)
{
    iv_error err = {{0}};
    iv_acts *a = iv_workspace_run_data(ws, ws->list, ws->count, &err);
    if (!a)
        fail_msg("%s", err.msg);
    iv_acts *g = iv_acts_new(ws->model, a->n, &err);
    int w = iv_model_output_width(ws->model);
    float *gout = iv_xmalloc(sizeof(float) * (size_t)(a->n * w));
    for (long r = 0; r < a->n; r++)
        memcpy(gout + r * w, c, sizeof(float) * (size_t)w);
    iv_workspace_backward_data(ws, ws->list, ws->count, a, gout, g, 0, param_grad);
    free(gout);
    *acts_out = a;
    return g;
}

static bool close_enough(double analytic, double fd)
{
    return fabs(analytic - fd) <= REL * fabs(fd) + ABS;
}

/* A ReLU network is not differentiable where a pre-activation crosses 0; a difference over a step
 * that straddles such a kink measures nothing. Being piecewise linear, it has equal one-sided slopes
 * everywhere else, so a point whose slopes disagree is skipped; the caller checks that few are.
 * (A smooth network has no kinks and nothing is skipped.) */
static bool piecewise_linear;
static long kinks, points;

/* dL/d(every input of every example) against finite differences; returns the disagreements. */
static int check_inputs(iv_workspace *ws, const float *c, const char *what)
{
    iv_acts *a;
    iv_acts *g = gradients(ws, c, &a, NULL);
    int d = ws->model->n_inputs, bad = 0;
    long n = ws->data->n, S = a->n / n;
    for (long r = 0; r < n; r++)
        for (int i = 0; i < d; i++) {
            float *x = &ws->data->x[r * d + i], keep = *x;
            double f[4], steps[4] = {-2 * EPS, -EPS, EPS, 2 * EPS};
            for (int k = 0; k < 4; k++) {
                *x = (float)(keep + steps[k]);
                f[k] = loss(ws, c);
            }
            *x = keep;
            double f0 = loss(ws, c);
            double fd = five_point(f[0], f[1], f[2], f[3], EPS), analytic = 0;
            double left = (f0 - f[0]) / (2 * EPS), right = (f[3] - f0) / (2 * EPS);
            points++;
            if (piecewise_linear && fabs(left - right) > REL * fabs(fd) + ABS) {
                kinks++;
                continue;
            }
            for (long s = 0; s < S; s++) /* every sample row of the example reads the input */
                analytic += g->site[0][(r * S + s) * d + i];
            if (!close_enough(analytic, fd)) {
                print_message("%s: example %ld input %d: backward %.6g, differences %.6g\n", what,
                              r, i, analytic, fd);
                bad++;
            }
        }
    iv_acts_free(a);
    iv_acts_free(g);
    return bad;
}

/* The gradient kept at a site for one neuron, summed over all rows. */
static double site_grad_sum(iv_workspace *ws, const float *c, const char *addr)
{
    iv_error err = {{0}};
    iv_addr ad;
    if (iv_addr_parse(ws->model, addr, &ad, &err) < 0)
        fail_msg("%s", err.msg);
    iv_acts *a;
    iv_acts *g = gradients(ws, c, &a, NULL);
    double sum = 0;
    int w = iv_model_site_width(ws->model, ad.site);
    for (long r = 0; r < a->n; r++)
        sum += fabs(g->site[ad.site][r * w + ad.idx[0]]);
    iv_addr_clear(&ad);
    iv_acts_free(a);
    iv_acts_free(g);
    return sum;
}

/* Each kind on one neuron of each network: the whole input gradient agrees with differences. */
static const char *const kinds[] = {
    "ablate %s zero", "set %s 0.75", "ablate %s mean", "ablate %s resample samples=3 seed=4",
    "patch %s", "ablate %s noise sigma=0.5 samples=3 seed=9", "ablate %s noise k=1 samples=2",
    "ablate %s optimal",
};

static void check_every_kind(const char *model_text, const char *data, const char *addr,
                             const float *c)
{
    int bad = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        iv_workspace *ws = workspace(model_text, data);
        test_run(ws, "source x=2.5 y=1.25");
        char cmd[128];
        snprintf(cmd, sizeof cmd, kinds[k], addr);
        test_run(ws, cmd);
        bad += check_inputs(ws, c, cmd);
        /* Replacing kinds cut the neuron off from below; noise leaves its gradient in place. */
        double below = site_grad_sum(ws, c, addr);
        if (strstr(cmd, "noise"))
            assert_true(below > 0);
        else
            assert_true(below == 0);
        iv_workspace_free(ws);
    }
    if (bad)
        fail_msg("%d gradients disagree with finite differences", bad);
    assert_true(kinks * 20 <= points); /* at most 5 % of the points were skipped */
}

static void test_max_network(void **state)
{
    (void)state;
    const float c[1] = {1};
    piecewise_linear = true;
    /* h1[0] = relu(x - y) feeds h2 with weight -100: replacing it changes which way max goes. */
    check_every_kind(NULL, "data sample 12 x=0:10 y=0:10", "h1[0]", c);
    check_every_kind(NULL, "data sample 12 x=0:10 y=0:10", "h2.pre[1]", c);
}

static void test_tanh_network(void **state)
{
    (void)state;
    const float c[2] = {0.7f, -1.3f};
    piecewise_linear = false;
    check_every_kind(tanh_net, "data sample 10 x=-2:2 y=-2:2", "a[1]", c);
    check_every_kind(tanh_net, "data sample 10 x=-2:2 y=-2:2", "b.pre[0]", c);
    check_every_kind(tanh_net, "data sample 10 x=-2:2 y=-2:2", "input[1]", c);
}

/* A rotation of a subspace of a layer: the gradient below it is the part outside the subspace,
 * and the whole input gradient agrees with differences (the source run held fixed). */
static void test_rotate_in_a_network(void **state)
{
    (void)state;
    const float c[2] = {0.7f, -1.3f};
    piecewise_linear = false;
    const char *const cmds[] = {"ablate a rotate dims=2 seed=3", "ablate a[0,2] rotate dims=1 seed=8",
                                "ablate b.pre rotate dims=1 basis=0.6,-0.8"};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        iv_workspace *ws = workspace(tanh_net, "data sample 10 x=-2:2 y=-2:2");
        test_run(ws, "source x=2.5 y=1.25");
        test_run(ws, cmds[k]);
        if (check_inputs(ws, c, cmds[k]))
            fail_msg("%s: gradients disagree with finite differences", cmds[k]);
        iv_workspace_free(ws);
    }
}

/* The affine kinds: an oblique eraser (L != R, about a mean) passes g - (g L^T) R, a shift passes
 * the gradient through unchanged; the whole input gradient agrees with differences. */
static void test_affine_kinds_in_a_network(void **state)
{
    (void)state;
    const float c[2] = {0.7f, -1.3f};
    piecewise_linear = false;
    const char *const cmds[] = {
        "ablate a project rank=1 eraser=0.1,-0.2,0.3,0.6,0,-0.8,0.5,0.5,0.7",
        "ablate a project rank=2 eraser=0,0,0,1,0,0,0,1,0,1,0,0,0,1,0",
        "ablate b.pre project rank=1 eraser=0.2,-0.1,0.6,-0.8,0.3,0.9",
        "ablate a add alpha=1.5 vector=0.4,-0.2,0.9",
        "ablate b[1] add alpha=-2 vector=1"};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        iv_workspace *ws = workspace(tanh_net, "data sample 10 x=-2:2 y=-2:2");
        test_run(ws, cmds[k]);
        if (check_inputs(ws, c, cmds[k]))
            fail_msg("%s: gradients disagree with finite differences", cmds[k]);
        iv_workspace_free(ws);
    }
}

/* Without the hook the pass would let gradient through a replaced neuron: the test above can fail. */
static void test_hook_matters(void **state)
{
    (void)state;
    const float c[2] = {0.7f, -1.3f};
    iv_workspace *ws = workspace(tanh_net, "data sample 10 x=-2:2 y=-2:2");
    test_run(ws, "ablate a[1] zero");
    iv_error err = {{0}};
    iv_acts *a = iv_workspace_run_data(ws, ws->list, ws->count, &err);
    iv_acts *hooked = iv_acts_new(ws->model, a->n, &err), *plain = iv_acts_new(ws->model, a->n, &err);
    float *gout = iv_xmalloc(sizeof(float) * (size_t)(a->n * 2));
    for (long r = 0; r < a->n; r++)
        memcpy(gout + r * 2, c, sizeof c);
    iv_workspace_backward_data(ws, ws->list, ws->count, a, gout, hooked, 0, NULL);
    iv_backward(ws->model, a, gout, plain, 0);
    double diff = 0;
    for (long i = 0; i < a->n * 2; i++)
        diff += fabs(hooked->site[0][i] - plain->site[0][i]);
    assert_true(diff > 1e-3);
    free(gout);
    iv_acts_free(a);
    iv_acts_free(hooked);
    iv_acts_free(plain);
    iv_workspace_free(ws);
}

/* Optimal ablation's constants: the gradient of L with respect to each, against differences. */
static void test_optimal_parameters(void **state)
{
    (void)state;
    const float c[2] = {0.7f, -1.3f};
    iv_workspace *ws = workspace(tanh_net, "data sample 10 x=-2:2 y=-2:2");
    test_run(ws, "ablate b[0,1] optimal");
    iv_intervention *iv = &ws->list[0];
    double pg[2] = {0, 0}, *param_grad[1] = {pg};
    iv_acts *a;
    iv_acts *g = gradients(ws, c, &a, param_grad);
    for (int j = 0; j < 2; j++) {
        double keep = iv->values[j], f[4], steps[4] = {-2 * EPS, -EPS, EPS, 2 * EPS};
        for (int k = 0; k < 4; k++) {
            iv->values[j] = keep + steps[k];
            f[k] = loss(ws, c);
        }
        iv->values[j] = keep;
        double fd = five_point(f[0], f[1], f[2], f[3], EPS);
        if (!close_enough(pg[j], fd))
            fail_msg("constant %d: backward %.6g, differences %.6g", j, pg[j], fd);
        assert_true(fabs(fd) > 1e-3); /* the check is not of a zero against a zero */
    }
    iv_acts_free(a);
    iv_acts_free(g);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_network),
        cmocka_unit_test(test_tanh_network),
        cmocka_unit_test(test_rotate_in_a_network),
        cmocka_unit_test(test_affine_kinds_in_a_network),
        cmocka_unit_test(test_hook_matters),
        cmocka_unit_test(test_optimal_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
