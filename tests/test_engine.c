/* test_engine.c - the engine against the lecture's worked values (shared/LECTURE.md), analytic
 * cases for every activation and every intervention, and METHODS.md's oracles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "effect.h"
#include "formats/formats.h"
#include "formats/text.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    return ws;
}

static const float *site(const iv_acts *a, const iv_workspace *ws, const char *name)
{
    int s = iv_model_site_find(ws->model, name);
    assert_true(s >= 0);
    return a->site[s];
}

static void expect_values(const float *got, const double *want, int n, double tol)
{
    for (int i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > tol)
            fail_msg("value %d: got %.9g, expected %.9g (tolerance %g)", i, got[i], want[i], tol);
}

/* Checks h1, h2 and out of the intervened run. */
static void expect_run(const iv_workspace *ws, const double h1[4], const double h2[2], double out,
                       double tol)
{
    expect_values(site(ws->intervened, ws, "h1"), h1, 4, tol);
    expect_values(site(ws->intervened, ws, "h2"), h2, 2, tol);
    expect_values(site(ws->intervened, ws, "out"), &out, 1, tol);
}

/* ---- the worked values of LECTURE.md ------------------------------------------------------------ */

static void test_max_clean_values(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5");
    expect_run(ws, (double[]){0, 2, 3, 5}, (double[]){5, 0}, 5, 0);
    test_run(ws, "input 5 3");
    expect_run(ws, (double[]){2, 0, 5, 3}, (double[]){0, 5}, 5, 0);
    test_run(ws, "input 4 4"); /* the network is wrong on the diagonal */
    expect_run(ws, (double[]){0, 0, 4, 4}, (double[]){4, 4}, 8, 0);
    test_run(ws, "input 5 4.99"); /* and near it */
    expect_run(ws, (double[]){0.01, 0, 5, 4.99}, (double[]){3.99, 5}, 8.99, 2e-4);
    iv_workspace_free(ws);
}

static void test_max_zero_ablation(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; ablate h1[1] zero");
    expect_run(ws, (double[]){0, 0, 3, 5}, (double[]){5, 3}, 8, 0);
    expect_values(site(ws->clean, ws, "out"), (double[]){5}, 1, 0);
    iv_workspace_free(ws);
}

static void test_max_patching(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3; patch h1[0]");
    expect_run(ws, (double[]){2, 2, 3, 5}, (double[]){0, 0}, 0, 0);
    test_run(ws, "clear; patch h1[0:2]");
    expect_run(ws, (double[]){2, 0, 3, 5}, (double[]){0, 3}, 3, 0);
    iv_workspace_free(ws);
}

static void test_max_mean_ablation(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; ablate h1[0] mean");
    int h1 = iv_model_site_find(ws->model, "h1");
    assert_float_equal(ws->stats->mean[h1][0], 220.0 / 121.0, 1e-9);
    expect_run(ws, (double[]){220.0 / 121.0, 2, 3, 5}, (double[]){0, 0}, 0, 1e-6);
    iv_workspace_free(ws);
}

/* ---- activations --------------------------------------------------------------------------------- */

static float act1(iv_activation a, float alpha, float x)
{
    iv_activation_apply(a, alpha, &x, 1, 1);
    return x;
}

static void test_activations(void **state)
{
    (void)state;
    assert_float_equal(act1(IV_ACT_IDENTITY, 0, -2.5f), -2.5, 0);
    assert_float_equal(act1(IV_ACT_RELU, 0, -1), 0, 0);
    assert_float_equal(act1(IV_ACT_RELU, 0, 2), 2, 0);
    assert_float_equal(act1(IV_ACT_LEAKY_RELU, 0.1f, -2), -0.2, 1e-7);
    assert_float_equal(act1(IV_ACT_LEAKY_RELU, 0.1f, 3), 3, 0);
    assert_float_equal(act1(IV_ACT_SIGMOID, 0, 0), 0.5, 1e-7);
    assert_float_equal(act1(IV_ACT_SIGMOID, 0, (float)log(3.0)), 0.75, 1e-6);
    assert_float_equal(act1(IV_ACT_TANH, 0, (float)atanh(0.5)), 0.5, 1e-6);
    /* GELU, exact erf form: x * Phi(x) */
    assert_float_equal(act1(IV_ACT_GELU, 0, 1), 0.8413447, 1e-6);
    assert_float_equal(act1(IV_ACT_GELU, 0, -1), -0.1586553, 1e-6);
    assert_float_equal(act1(IV_ACT_GELU, 0, 0), 0, 0);
    float x[3] = {1, 2, 3};
    iv_activation_apply(IV_ACT_SOFTMAX, 0, x, 1, 3);
    expect_values(x, (double[]){0.09003057, 0.24472847, 0.66524096}, 3, 1e-6);
    float big[2] = {1000, 1000}; /* must not overflow */
    iv_activation_apply(IV_ACT_SOFTMAX, 0, big, 1, 2);
    expect_values(big, (double[]){0.5, 0.5}, 2, 1e-7);
}

/* A model with a bias, to check that a pre-activation site includes it. */
static const char biased_text[] =
    "inputs a b\n"
    "layer h relu\n"
    "  weights\n"
    "    1 2\n"
    "   -1 1\n"
    "  bias 0.5 -3\n"
    "layer o sigmoid\n"
    "  weights\n"
    "    1 1\n";

static void test_bias_and_pre_sites(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(biased_text);
    test_run(ws, "input 1 2");
    /* pre = [1 + 4 + 0.5, -1 + 2 - 3] = [5.5, -2]; h = [5.5, 0]; o = sigmoid(5.5) */
    expect_values(site(ws->clean, ws, "h.pre"), (double[]){5.5, -2}, 2, 1e-6);
    expect_values(site(ws->clean, ws, "h"), (double[]){5.5, 0}, 2, 1e-6);
    expect_values(site(ws->clean, ws, "o"), (double[]){1 / (1 + exp(-5.5))}, 1, 1e-6);
    /* Zeroing the pre-activation replaces W x + b, bias included: h[0] = relu(0) = 0. */
    test_run(ws, "ablate h.pre[0] zero");
    expect_values(site(ws->intervened, ws, "h"), (double[]){0, 0}, 2, 0);
    expect_values(site(ws->intervened, ws, "o"), (double[]){0.5}, 1, 1e-7);
    iv_workspace_free(ws);
}

/* The forward pass against a plain double-precision loop, for a wide layer (the sgemm path), a
 * tiny one (the unrolled path) and every activation but softmax between them. */
static void test_forward_matches_naive(void **state)
{
    (void)state;
    static const char text[] =
        "inputs a b c\n"
        "layer t tanh\n  weights\n    0.5 -1 2\n    1 1 -0.25\n  bias 0.1 -0.2\n"
        "layer w leaky_relu 0.1\n  weights\n"
        "    1 2\n    -1 0.5\n    0.3 -2\n    2 2\n    -0.7 1\n    0 1\n  bias 1 0 -1 0.5 0 -0.5\n"
        "layer g gelu\n  weights\n    1 -1 0.5 0.25 -2 1\n    0.1 0.2 0.3 0.4 0.5 0.6\n"
        "    -1 -1 1 1 0 2\n    3 0 0 -3 1 1\n    0.5 0.5 0.5 0.5 0.5 0.5\n"
        "layer s sigmoid\n  weights\n    1 -1 1 -1 1\n";
    iv_error err;
    iv_model *m = iv_model_parse(text, "naive.nn", &err);
    if (!m)
        fail_msg("%s", err.msg);
    enum { N = 37 };
    float input[N * 3];
    for (int i = 0; i < N * 3; i++)
        input[i] = (float)sin(1.7 * i) * 3;
    iv_acts *a = iv_acts_new(m, N, &err);
    iv_forward(m, input, a, NULL, NULL);
    for (int r = 0; r < N; r++) {
        double x[8] = {input[r * 3], input[r * 3 + 1], input[r * 3 + 2]};
        for (int l = 0; l < m->n_layers; l++) {
            const iv_layer *L = &m->layers[l];
            double y[8];
            for (int o = 0; o < L->n_out; o++) {
                double pre = L->bias ? L->bias[o] : 0;
                for (int i = 0; i < L->n_in; i++)
                    pre += (double)L->weight[o * L->n_in + i] * x[i];
                assert_float_equal(a->site[2 * l + 1][r * L->n_out + o], pre, 1e-5);
                y[o] = L->act == IV_ACT_TANH         ? tanh(pre)
                     : L->act == IV_ACT_LEAKY_RELU   ? (pre > 0 ? pre : 0.1 * pre)
                     : L->act == IV_ACT_GELU         ? 0.5 * pre * (1 + erf(pre / sqrt(2)))
                                                     : 1 / (1 + exp(-pre));
                assert_float_equal(a->site[2 * l + 2][r * L->n_out + o], y[o], 1e-5);
            }
            memcpy(x, y, sizeof y);
        }
    }
    iv_acts_free(a);
    iv_model_free(m);
}

/* ---- interventions ------------------------------------------------------------------------------- */

static void test_set_and_order(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; set h1[0] 1; ablate h1[0] zero");
    assert_float_equal(site(ws->intervened, ws, "h1")[0], 0, 0); /* later ones win */
    test_run(ws, "clear; ablate h1[0] zero; set h1[0] 1");
    assert_float_equal(site(ws->intervened, ws, "h1")[0], 1, 0);
    test_run(ws, "toggle 2");
    assert_float_equal(site(ws->intervened, ws, "h1")[0], 0, 0);
    test_run(ws, "toggle 1");
    assert_float_equal(site(ws->intervened, ws, "h1")[0], 0, 0); /* both off: clean is 0 */
    test_run(ws, "input 5 3");
    assert_float_equal(site(ws->intervened, ws, "h1")[0], 2, 0);
    test_run(ws, "drop 1; drop 2");
    assert_int_equal(ws->count, 0);
    iv_workspace_free(ws);
}

static void test_patch_clean_into_clean(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 3 5; patch h1; patch h2[1]; patch input");
    const iv_acts *c = ws->clean, *v = ws->intervened;
    for (int s = 0; s < c->n_sites; s++)
        assert_memory_equal(c->site[s], v->site[s], sizeof(float) * (size_t)c->width[s]);
    iv_workspace_free(ws);
}

static void test_swap(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    assert_non_null(strstr(test_run_fails(ws, "swap"), "there is no source input"));
    test_run(ws, "input 3 5; source 5 3; patch h1[0:2]; swap");
    /* base (5, 3) with h1[0:2] from (3, 5) = [0, 2]: h2 = [3, 0], out 3 = the new base's y */
    expect_run(ws, (double[]){0, 2, 5, 3}, (double[]){3, 0}, 3, 0);
    assert_float_equal(ws->source[0], 3, 0);
    iv_workspace_free(ws);
}

static void test_patch_whole_layer_gives_source_output(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 7 1; patch h1");
    assert_float_equal(site(ws->intervened, ws, "out")[0], site(ws->source_acts, ws, "out")[0], 0);
    assert_float_equal(site(ws->intervened, ws, "out")[0], 7, 0);
    iv_workspace_free(ws);
}

/* A linear model, so the output's noise is the site's noise. */
static const char linear_text[] =
    "inputs x\n"
    "data grid x=0:10:1\n"
    "layer o identity\n"
    "  weights\n"
    "    1\n";

static void test_noise_moments_and_seed(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_text);
    test_run(ws, "input 4; ablate input noise sigma=2 samples=20000 seed=7");
    const float *o = site(ws->intervened, ws, "o");
    double mean = 0, var = 0;
    for (long s = 0; s < ws->intervened->n; s++)
        mean += o[s] / 20000.0;
    for (long s = 0; s < ws->intervened->n; s++)
        var += (o[s] - mean) * (o[s] - mean) / 19999.0;
    assert_int_equal(ws->intervened->n, 20000);
    assert_float_equal(mean, 4, 5 * 2 / sqrt(20000.0)); /* 5 standard errors */
    assert_float_equal(sqrt(var), 2, 0.05);
    /* The same seed gives the same draws; another seed does not. */
    float first = o[0], last = o[19999];
    test_run(ws, "clear; ablate input noise sigma=2 samples=20000 seed=7");
    assert_float_equal(site(ws->intervened, ws, "o")[0], first, 0);
    assert_float_equal(site(ws->intervened, ws, "o")[19999], last, 0);
    test_run(ws, "clear; ablate input noise sigma=2 samples=20000 seed=8");
    assert_true(site(ws->intervened, ws, "o")[0] != first);
    iv_workspace_free(ws);
}

static void test_noise_k_times_std(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_text);
    /* x over 0..10: sample variance 11 * 110 / (11 * 10) = 11; std sqrt(11). */
    test_run(ws, "input 4; ablate input noise k=3 samples=20000 seed=1");
    assert_float_equal(ws->stats->std[0][0], sqrt(11.0), 1e-9);
    const float *o = site(ws->intervened, ws, "o");
    double mean = 0, var = 0;
    for (long s = 0; s < 20000; s++)
        mean += o[s] / 20000.0;
    for (long s = 0; s < 20000; s++)
        var += (o[s] - mean) * (o[s] - mean) / 19999.0;
    assert_float_equal(sqrt(var), 3 * sqrt(11.0), 0.05 * 3 * sqrt(11.0));
    iv_workspace_free(ws);
}

static void test_resample_never_picks_itself(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_text);
    /* One input: the base input 4 is in the dataset; every draw must be another example. */
    test_run(ws, "input 4; ablate input resample samples=2000 seed=3");
    const float *o = site(ws->intervened, ws, "o");
    int seen[11] = {0};
    for (long s = 0; s < 2000; s++) {
        assert_true(o[s] != 4);
        seen[(int)o[s]]++;
    }
    for (int v = 0; v < 11; v++)
        if (v != 4)
            assert_true(seen[v] > 100); /* the others are all drawn (expected 200 each) */
    /* Over the dataset: a derangement, so no example keeps its own value. */
    iv_effect e;
    iv_error err;
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    for (long r = 0; r < e.n; r++)
        assert_true(e.change[r] > 0);
    iv_effect_free(&e);
    /* Same seed, same draws. */
    float first = o[0];
    test_run(ws, "clear; ablate input resample samples=2000 seed=3");
    assert_float_equal(site(ws->intervened, ws, "o")[0], first, 0);
    iv_workspace_free(ws);
}

static void test_resample_derangement_hook(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_text);
    iv_error err;
    assert_int_equal(iv_workspace_reference(ws, &err), 0);
    iv_intervention iv = {.id = 1, .kind = IV_RESAMPLE, .enabled = true, .samples = 5, .seed = 9};
    assert_int_equal(iv_addr_parse(ws->model, "input", &iv.addr, &err), 0);
    iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 5, .stats = ws->stats,
                        .reference = ws->ref_acts, .batch_is_reference = true};
    float values[11 * 5];
    for (int r = 0; r < 11 * 5; r++)
        values[r] = (float)(r / 5);
    iv_apply_hook(0, values, 11 * 5, 1, &ctx);
    for (int r = 0; r < 11 * 5; r++)
        assert_true(values[r] != (float)(r / 5));
    iv_addr_clear(&iv.addr);
    iv_workspace_free(ws);
}

/* ---- addresses ----------------------------------------------------------------------------------- */

static void expect_addr(const iv_model *m, const char *text, const char *canonical, int n)
{
    iv_addr a;
    iv_error err;
    if (iv_addr_parse(m, text, &a, &err) < 0)
        fail_msg("'%s': %s", text, err.msg);
    char *f = iv_addr_format(m, &a);
    assert_string_equal(f, canonical);
    assert_int_equal(a.n, n);
    free(f);
    iv_addr_clear(&a);
}

static void expect_addr_error(const iv_model *m, const char *text, const char *message)
{
    iv_addr a;
    iv_error err;
    assert_int_equal(iv_addr_parse(m, text, &a, &err), -1);
    if (!strstr(err.msg, message))
        fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, message);
}

static void test_addresses(void **state)
{
    (void)state;
    iv_model *m = iv_model_builtin_max();
    expect_addr(m, "h1", "h1", 4);
    expect_addr(m, "h1[2]", "h1[2]", 1);
    expect_addr(m, "h1[0,3]", "h1[0,3]", 2);
    expect_addr(m, "h1[1:3]", "h1[1:3]", 2);
    expect_addr(m, "h1[:2]", "h1[0:2]", 2);
    expect_addr(m, "h1[2:]", "h1[2:4]", 2);
    expect_addr(m, "h1[0:4]", "h1", 4);
    expect_addr(m, "h1[\"y-x\"]", "h1[1]", 1);
    expect_addr(m, "h1[x, \"y\"]", "h1[2:4]", 2);
    expect_addr(m, "input[y]", "input[1]", 1);
    expect_addr(m, "h2.pre[1]", "h2.pre[1]", 1);
    expect_addr(m, "out", "out", 1);
    expect_addr_error(m, "h1[4]", "no neuron 4 in h1 (it has 4: 0 to 3)");
    expect_addr_error(m, "h1[-1]", "no neuron -1 in h1");
    expect_addr_error(m, "h9[0]", "unknown site 'h9' (sites: input, h1.pre, h1, h2.pre, h2, out.pre, out)");
    expect_addr_error(m, "h1[2:2]", "bad range '2:2'");
    expect_addr_error(m, "h1[0:9]", "bad range '0:9'");
    expect_addr_error(m, "h1[\"z\"]", "no neuron of h1 is labelled \"z\"");
    expect_addr_error(m, "h1[0", "missing ']'");
    expect_addr_error(m, "h1[0,,1]", "empty item");
    expect_addr_error(m, "[0]", "not a neuron address");
    iv_model_free(m);
}

/* ---- the effect over the dataset --------------------------------------------------------------- */

static void test_effect_zero_h1_1(void **state)
{
    (void)state;
    /* Zeroing relu(y - x) lets h2[1] pass x always: where y > x the output becomes x + y, so the
     * change is x there and 0 elsewhere. Over the 0..10 grid: mean 165/121, largest 9 at (9, 10). */
    iv_workspace *ws = max_ws();
    test_run(ws, "ablate h1[1] zero");
    iv_effect e;
    iv_error err;
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_int_equal(e.n, 121);
    for (long r = 0; r < 121; r++) {
        double x = ws->data->x[2 * r], y = ws->data->x[2 * r + 1];
        assert_float_equal(e.intervened[r] - e.clean[r], y > x ? x : 0, 1e-6);
    }
    assert_float_equal(e.mean_change, 165.0 / 121.0, 1e-9);
    assert_float_equal(e.max_change, 9, 0);
    assert_float_equal(ws->data->x[2 * e.argmax], 9, 0);
    assert_float_equal(ws->data->x[2 * e.argmax + 1], 10, 0);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* ---- errors keep the session ------------------------------------------------------------------- */

static void test_errors_keep_state(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; ablate h1[1] zero");
    assert_non_null(strstr(test_run_fails(ws, "ablate h1[7] zero"), "no neuron 7 in h1"));
    assert_non_null(strstr(test_run_fails(ws, "patch h1[0]"), "patch needs a source input"));
    assert_non_null(strstr(test_run_fails(ws, "input 1"), "expected 2 values"));
    assert_non_null(strstr(test_run_fails(ws, "input nan 2"), "'nan' is not a finite number"));
    assert_non_null(strstr(test_run_fails(ws, "input 1e999 2"), "not a finite number"));
    assert_non_null(strstr(test_run_fails(ws, "ablate h1 bogus"), "unknown kind 'bogus'"));
    assert_non_null(strstr(test_run_fails(ws, "ablate h1 noise k=-1"), "k=-1"));
    assert_non_null(strstr(test_run_fails(ws, "ablate h1 zero k=3"), "takes no option 'k'"));
    assert_non_null(strstr(test_run_fails(ws, "toggle 9"), "no intervention #9"));
    assert_non_null(strstr(test_run_fails(ws, "model /nonexistent.nn"), "/nonexistent.nn"));
    assert_non_null(strstr(test_run_fails(ws, "frobnicate"), "unknown command 'frobnicate' (try"));
    /* A name two edits from one command says which; one as near to two says nothing. */
    assert_non_null(strstr(test_run_fails(ws, "ablat h1[0] zero"),
                           "unknown command 'ablat' (did you mean 'ablate'? try 'help')"));
    assert_non_null(strstr(test_run_fails(ws, "inptu 3 5"), "(did you mean 'input'?"));
    assert_null(strstr(test_run_fails(ws, "se"), "did you mean"));
    assert_non_null(strstr(test_run_fails(ws, "data none; ablate h1 mean"), "needs a reference dataset"));
    /* None of that lost anything. */
    assert_int_equal(ws->count, 1);
    assert_float_equal(site(ws->intervened, ws, "out")[0], 8, 0);
    assert_float_equal(ws->base[0], 3, 0);
    iv_workspace_free(ws);
}

/* ---- the clean and source runs, kept while what they depend on is unchanged --------------------- */

/* Changing only the interventions reruns the intervened pass alone: the clean and source runs are
 * kept (this is what makes a key in the explorer cheap), and they stay what a fresh pass gives. */
static void test_clean_kept_across_interventions(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "input 3 5; source 5 3");
    long passes = ws->clean_passes, evaluations = ws->evaluations;
    test_run(ws, "ablate h1[1] zero");
    expect_run(ws, (double[]){0, 0, 3, 5}, (double[]){5, 3}, 8, 0);
    test_run(ws, "toggle 1");
    expect_run(ws, (double[]){0, 2, 3, 5}, (double[]){5, 0}, 5, 0);
    test_run(ws, "toggle 1");
    expect_run(ws, (double[]){0, 0, 3, 5}, (double[]){5, 3}, 8, 0);
    test_run(ws, "patch h1[0]; drop 2; ablate h2 mean; clear");
    assert_int_equal(ws->clean_passes, passes);
    assert_true(ws->evaluations >= evaluations + 7);
    test_expect_clean_current(ws);
    /* An undo that puts back only the interventions keeps them too ... */
    iv_workspace_state st;
    iv_workspace_save_state(ws, &st);
    test_run(ws, "ablate h1[1] zero");
    iv_workspace_restore_state(ws, &st);
    assert_int_equal(ws->count, 0);
    assert_int_equal(ws->clean_passes, passes);
    /* ... and one that puts back the inputs runs them again, for the inputs put back. */
    iv_workspace_save_state(ws, &st);
    test_run(ws, "input 1 2; source 2 2");
    iv_workspace_restore_state(ws, &st);
    assert_float_equal(ws->base[0], 3, 0);
    assert_float_equal(ws->source[0], 5, 0);
    test_expect_clean_current(ws);
    expect_values(site(ws->clean, ws, "out"), (double[]){5}, 1, 0);
    iv_workspace_free(ws);
}

/* Every change a clean or source run depends on runs it again: the base, the source, the model
 * (one with the same inputs and other weights, at inputs equal to the old ones). */
static void test_clean_follows_inputs_and_model(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    static const char *const lines[] = {"input 3 5",   "ablate h1[1] zero; input 5 3",
                                        "source 1 2",  "source 2 1",
                                        "swap",        "input 4 4",
                                        "source none", "source 0 0; input 0 0"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        test_run(ws, lines[i]);
        test_expect_clean_current(ws);
    }
    expect_values(site(ws->clean, ws, "out"), (double[]){0}, 1, 0);
    iv_error err;
    iv_model *other = iv_model_parse("inputs x y\n"
                                     "layer h1 relu\n  weights\n    1 2\n    3 4\n  bias 1 1\n"
                                     "layer out identity\n  weights\n    1 1\n  bias 0.5\n",
                                     "other.nn", &err);
    assert_non_null(other);
    assert_int_equal(iv_workspace_set_model(ws, other, &err), 0);
    test_expect_clean_current(ws);
    expect_values(site(ws->clean, ws, "out"), (double[]){2.5}, 1, 0);
    test_run(ws, "input 1 1; source 0 0");
    test_expect_clean_current(ws);
    iv_workspace_free(ws);
}

/* The output's clean value as `show` reports it. */
static double shown_clean_output(iv_workspace *ws)
{
    json_object *r = test_result(ws, "show out", IV_RESULT_OUTPUT);
    json_object *clean = json_object_object_get(r, "clean");
    assert_int_equal(json_object_array_length(clean), 1);
    double v = json_object_get_double(json_object_array_get_idx(clean, 0));
    json_object_put(r);
    return v;
}

/* `train` changes the weights in place: the clean and source runs after it are those of the
 * trained weights, as a fresh workspace over them shows, not the ones kept from before. */
static void test_clean_after_train(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    static const char *const setup = "input 3 5; source 5 3; ablate h1[1] zero";
    test_run(ws, setup);
    test_run(ws, "data grid x=0:10:1 y=0:10:1; label t = x + y");
    double before = shown_clean_output(ws);
    test_run(ws, "train t epochs=3 lr=0.05");
    double after = shown_clean_output(ws);
    assert_float_equal(before, 5, 0);
    assert_true(after != before);
    test_expect_clean_current(ws);

    iv_workspace *fresh = max_ws();
    memcpy(fresh->model->params, ws->model->params, sizeof(float) * (size_t)ws->model->n_params);
    iv_model_weights_changed(fresh->model);
    test_run(fresh, setup);
    assert_true(shown_clean_output(fresh) == after);
    for (int s = 0; s < ws->model->n_sites; s++) {
        size_t bytes = sizeof(float) * (size_t)ws->model->sites[s].width;
        assert_memory_equal(ws->clean->site[s], fresh->clean->site[s], bytes);
        assert_memory_equal(ws->source_acts->site[s], fresh->source_acts->site[s], bytes);
        assert_memory_equal(ws->intervened->site[s], fresh->intervened->site[s], bytes);
    }
    iv_workspace_free(fresh);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_clean_values),
        cmocka_unit_test(test_max_zero_ablation),
        cmocka_unit_test(test_max_patching),
        cmocka_unit_test(test_max_mean_ablation),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_bias_and_pre_sites),
        cmocka_unit_test(test_forward_matches_naive),
        cmocka_unit_test(test_set_and_order),
        cmocka_unit_test(test_patch_clean_into_clean),
        cmocka_unit_test(test_patch_whole_layer_gives_source_output),
        cmocka_unit_test(test_swap),
        cmocka_unit_test(test_noise_moments_and_seed),
        cmocka_unit_test(test_noise_k_times_std),
        cmocka_unit_test(test_resample_never_picks_itself),
        cmocka_unit_test(test_resample_derangement_hook),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_effect_zero_h1_1),
        cmocka_unit_test(test_errors_keep_state),
        cmocka_unit_test(test_clean_kept_across_interventions),
        cmocka_unit_test(test_clean_follows_inputs_and_model),
        cmocka_unit_test(test_clean_after_train),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
