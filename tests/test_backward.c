/* test_backward.c - the backward pass against central finite differences of the forward pass, for
 * every activation, every site and a batch of independent rows; the lecture's max network checked
 * exactly by hand; the weight and bias gradients; and checks that the tolerance would catch a wrong
 * gradient. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backward.h"
#include "build.h"
#include "formats/formats.h"
#include "formats/text.h"

/* ---- finite differences ---------------------------------------------------------------------- */

/* The forward pass runs in float, so a finite difference over a step h carries a rounding error of
 * about ulp(out) / h ~ 1e-7 |out| / h on top of its truncation error. The five-point central
 * difference (central_difference below) cancels the h^2 term, which lets h be 1e-2 with a
 * truncation error near h^4 and a rounding error near 1e-5. An analytic gradient passes when
 *     |analytic - fd| <= REL |fd| + ABS,   REL = 1e-3, ABS = 1e-4,
 * i.e. it is right to 0.1 % or 1e-4. On these models the worst disagreement of a correct gradient
 * is 0.17 of that bound (7e-5 at most), while a 1 % error at any site is rejected
 * (test_tolerance_catches_wrong_gradients). The plain three-point difference was not accurate
 * enough: at h = 1e-2 its h^2 error reached 2e-4 on a weight gradient, at 1e-3 rounding did. */
#define EPS 1e-2f
#define REL 1e-3
#define ABS 1e-4

/* What the forward hook does: nudge one value (site, row, index) by delta, and, to stand in for an
 * additive intervention (noise), add `shift` to every value of shift_site. */
typedef struct nudge {
    int site; /* -1: nothing nudged */
    long row;
    int index;
    float delta;
    int shift_site; /* -1: no shift */
    float shift;
} nudge;

static void nudge_hook(int site, float *values, long n, int width, void *user)
{
    const nudge *nd = user;
    if (site == nd->shift_site)
        for (long i = 0; i < n * width; i++)
            values[i] += nd->shift;
    if (site == nd->site)
        values[nd->row * width + nd->index] += nd->delta;
}

/* A model, a batch and a loss L = sum over rows r and outputs k of c[k] out[r][k]. */
typedef struct problem {
    iv_model *m;
    long n;
    const float *input; /* (n, n_inputs) */
    const float *c;     /* (output width) */
    int shift_site;     /* additive "intervention", or -1 */
    float shift;
} problem;

static double loss(const problem *p, iv_acts *a, const nudge *nd)
{
    iv_forward(p->m, p->input, a, nudge_hook, (void *)nd);
    int w = iv_model_output_width(p->m);
    const float *out = a->site[iv_model_output_site(p->m)]; /* (n, w) */
    double sum = 0;
    for (long r = 0; r < p->n; r++)
        for (int k = 0; k < w; k++)
            sum += (double)p->c[k] * out[r * w + k];
    return sum;
}

static iv_model *parse(const char *text)
{
    iv_error err;
    iv_model *m = iv_model_parse(text, "test.nn", &err);
    if (!m)
        fail_msg("model did not parse: %s", err.msg);
    return m;
}

static iv_acts *acts_new(const iv_model *m, long n)
{
    iv_error err;
    iv_acts *a = iv_acts_new(m, n, &err);
    if (!a)
        fail_msg("%s", err.msg);
    return a;
}

/* dL/d(output) for every row: c repeated. Caller frees. */
static float *grad_out_of(const problem *p) /* (n, output width) */
{
    int w = iv_model_output_width(p->m);
    float *g = iv_xmalloc(sizeof(float) * (size_t)(p->n * w));
    for (long r = 0; r < p->n; r++)
        memcpy(g + r * w, p->c, sizeof(float) * (size_t)w);
    return g;
}

/* Runs the forward pass (with the problem's shift) and iv_backward down to the input; the forward
 * activations go to *acts_out when it is not NULL. */
static iv_acts *analytic(const problem *p, iv_acts **acts_out)
{
    iv_acts *a = acts_new(p->m, p->n);
    nudge nd = {.site = -1, .shift_site = p->shift_site, .shift = p->shift};
    iv_forward(p->m, p->input, a, nudge_hook, &nd);
    iv_acts *g = acts_new(p->m, p->n);
    float *gout = grad_out_of(p);
    iv_backward(p->m, a, gout, g, 0);
    free(gout);
    if (acts_out)
        *acts_out = a;
    else
        iv_acts_free(a);
    return g;
}

/* dL/dv from L at v -/+ EPS and v -/+ 2 EPS: (8 (L(+h) - L(-h)) - (L(+2h) - L(-2h))) / 12 h, the
 * central difference with its h^2 error term cancelled (Richardson), so that EPS can be large
 * enough for float rounding not to matter. f(delta, ctx) is the loss with v moved by delta. */
static double central_difference(double (*f)(float delta, void *ctx), void *ctx)
{
    double d1 = f(EPS, ctx) - f(-EPS, ctx);
    double d2 = f(2 * EPS, ctx) - f(-2 * EPS, ctx);
    return (8 * d1 - d2) / (12.0 * EPS);
}

/* The loss with one site value moved. */
typedef struct site_nudge {
    const problem *p;
    iv_acts *scratch;
    nudge nd;
} site_nudge;

static double loss_nudged_site(float delta, void *ctx)
{
    site_nudge *sn = ctx;
    sn->nd.delta = delta;
    return loss(sn->p, sn->scratch, &sn->nd);
}

/* The loss with one weight or bias moved (restored by the caller). */
typedef struct param_nudge {
    const problem *p;
    iv_acts *scratch;
    float *param;
    float saved;
} param_nudge;

static double loss_nudged_param(float delta, void *ctx)
{
    param_nudge *pn = ctx;
    *pn->param = pn->saved + delta;
    nudge none = {.site = -1, .shift_site = -1};
    return loss(pn->p, pn->scratch, &none);
}

static bool close_enough(double got, double want)
{
    return fabs(got - want) <= REL * fabs(want) + ABS;
}

/* Compares grads at sites lo..hi (inclusive) with central differences; returns how many values
 * disagree, printing the first few when `report` is set. */
static int fd_mismatches(const problem *p, const iv_acts *grads, int lo, int hi, bool report)
{
    iv_acts *a = acts_new(p->m, p->n);
    int bad = 0;
    for (int s = lo; s <= hi; s++) {
        int w = iv_model_site_width(p->m, s);
        for (long r = 0; r < p->n; r++)
            for (int i = 0; i < w; i++) {
                site_nudge sn = {p, a, {s, r, i, 0, p->shift_site, p->shift}};
                double fd = central_difference(loss_nudged_site, &sn);
                double got = grads->site[s][r * w + i];
                if (!close_enough(got, fd)) {
                    if (report && bad < 10) {
                        char name[80];
                        iv_model_site_name(p->m, s, name, sizeof name);
                        print_error("%s row %ld [%d]: backward %.9g, finite difference %.9g\n",
                                    name, r, i, got, fd);
                    }
                    bad++;
                }
            }
    }
    iv_acts_free(a);
    return bad;
}

/* The relu-type derivative jumps at pre = 0: a check is only meaningful when every pre-activation
 * of such a layer stays clear of 0 by more than a nudge can move it. */
static void assert_away_from_kinks(const problem *p, const iv_acts *a)
{
    for (int l = 0; l < p->m->n_layers; l++) {
        const iv_layer *L = &p->m->layers[l];
        if (L->act != IV_ACT_RELU && L->act != IV_ACT_LEAKY_RELU)
            continue;
        for (long i = 0; i < p->n * L->n_out; i++)
            if (fabsf(a->site[L->pre_site][i]) < 0.1f)
                fail_msg("layer %s: pre-activation %g is too near the kink for the test", L->name,
                         a->site[L->pre_site][i]);
    }
}

/* The whole check: analytic gradients at every site, down to the input, agree with central
 * differences. */
static void check_all_sites(const problem *p)
{
    iv_acts *a;
    iv_acts *g = analytic(p, &a);
    assert_away_from_kinks(p, a);
    int bad = fd_mismatches(p, g, 0, iv_model_output_site(p->m), true);
    if (bad)
        fail_msg("%d gradient values disagree with finite differences", bad);
    iv_acts_free(a);
    iv_acts_free(g);
}

/* ---- one model per activation ---------------------------------------------------------------- */

/* 3 inputs -> 4 (ACT) -> 3 (ACT), with biases. */
static const char two_layer_fmt[] =
    "inputs a b c\n"
    "layer h %s\n"
    "  weights\n"
    "    0.5 -1 2\n"
    "    1 1 -0.25\n"
    "    -0.3 0.8 0.6\n"
    "    1.5 -0.5 0.2\n"
    "  bias 0.1 -0.2 0.3 0\n"
    "layer o %s\n"
    "  weights\n"
    "    1 -1 0.5 2\n"
    "    -0.7 0.4 1.2 -1\n"
    "    0.3 0.9 -1.1 0.25\n"
    "  bias 0.05 -0.1 0.2\n";

/* Four different rows. Each pre-activation of h and o is at least 0.1 away from 0 (checked), so
 * relu and leaky_relu are tested away from their kink, with both signs present. */
static const float rows4[] = {
    0.3f, -0.7f, 1.1f,  /* */
    -1.2f, 0.4f, 0.9f,  /* */
    2.0f, 1.2f, -0.6f,  /* */
    -1.5f, 0.6f, -0.4f,
};
static const float c3[] = {1.5f, -0.75f, 0.5f};

static void check_activation(const char *hidden, const char *out)
{
    char *text = iv_xasprintf(two_layer_fmt, hidden, out);
    problem p = {parse(text), 4, rows4, c3, -1, 0};
    free(text);
    check_all_sites(&p);
    iv_model_free(p.m);
}

static void test_identity(void **state) { check_activation("identity", "identity"); }
static void test_relu(void **state) { check_activation("relu", "relu"); }
static void test_leaky_relu(void **state) { check_activation("leaky_relu 0.2", "leaky_relu 0.05"); }
static void test_sigmoid(void **state) { check_activation("sigmoid", "sigmoid"); }
static void test_tanh(void **state) { check_activation("tanh", "tanh"); }
static void test_gelu(void **state) { check_activation("gelu", "gelu"); }
/* Softmax only on the last layer; with unequal c the loss sum c_k p_k depends on the logits. */
static void test_softmax(void **state) { check_activation("tanh", "softmax"); }

/* ---- a deeper mixed model and a wider one ---------------------------------------------------- */

/* 2 -> 3 gelu -> 3 leaky_relu -> 3 sigmoid -> 4 softmax: every kind of derivative in one chain. The
 * leaky layer is square, so a backward pass that multiplied by W^T instead of W would still run. */
static const char mixed_text[] =
    "inputs x y\n"
    "layer g gelu\n  weights\n    1 -0.5\n    -0.8 1.2\n    0.6 0.9\n  bias 0.1 -0.3 0.2\n"
    "layer k leaky_relu 0.1\n  weights\n    1 -2 0.5\n    0.3 0.8 -1\n    -1.5 0.2 1\n"
    "  bias 0.2 0.1 -0.4\n"
    "layer s sigmoid\n  weights\n    0.7 -1.2 0.4\n    -0.6 0.5 1.3\n    1.1 0.2 -0.9\n"
    "layer p softmax\n  weights\n    1 -1 0.5\n    -0.5 2 -1\n    0.8 0.3 1.5\n    -1 0.4 0.2\n"
    "  bias 0 0.1 -0.1 0.2\n";
static const float mixed_rows[] = {1.0f, 2.0f, -1.8f, 0.3f, 2.5f, -1.0f, -0.7f, -2.0f, 0.2f, 1.7f};
static const float mixed_c[] = {1.0f, -2.0f, 0.5f, 3.0f};

static problem mixed_problem(void)
{
    return (problem){parse(mixed_text), 5, mixed_rows, mixed_c, -1, 0};
}

static void test_mixed_chain(void **state)
{
    problem p = mixed_problem();
    check_all_sites(&p);
    iv_model_free(p.m);
}

/* 6 -> 12 tanh -> 10 gelu -> 5 softmax: layers large enough that the forward pass takes its sgemm
 * path rather than the unrolled one for tiny layers. Weights from a fixed formula, at most 0.6. */
static char *wide_text(void)
{
    static const int widths[] = {6, 12, 10, 5};
    static const char *const acts[] = {"tanh", "gelu", "softmax"};
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs");
    for (int i = 0; i < widths[0]; i++)
        iv_buf_printf(&b, " x%d", i);
    iv_buf_printf(&b, "\n");
    int seed = 0;
    for (int l = 0; l < 3; l++) {
        iv_buf_printf(&b, "layer l%d %s\n  weights\n", l, acts[l]);
        for (int o = 0; o < widths[l + 1]; o++) {
            for (int i = 0; i < widths[l]; i++)
                iv_buf_printf(&b, " %.4f", 0.6 * sin(0.9 * ++seed + 0.3));
            iv_buf_printf(&b, "\n");
        }
        iv_buf_printf(&b, "  bias");
        for (int o = 0; o < widths[l + 1]; o++)
            iv_buf_printf(&b, " %.4f", 0.2 * cos(1.3 * ++seed));
        iv_buf_printf(&b, "\n");
    }
    return b.data;
}

static void test_wide_model(void **state)
{
    char *text = wide_text();
    iv_model *m = parse(text);
    free(text);
    enum { N = 5 };
    float input[N * 6];
    for (int i = 0; i < N * 6; i++)
        input[i] = 1.5f * (float)sin(2.1 * i + 0.4);
    static const float c[] = {1, -1, 2, 0.5f, -1.5f};
    problem p = {m, N, input, c, -1, 0};
    check_all_sites(&p);
    iv_model_free(m);
}

/* ---- rows are independent -------------------------------------------------------------------- */

/* Each row's gradients in the batch equal those of the row run alone. */
static void test_rows_independent(void **state)
{
    problem p = mixed_problem();
    iv_acts *all = analytic(&p, NULL);
    for (long r = 0; r < p.n; r++) {
        problem one = p;
        one.n = 1;
        one.input = p.input + r * 2;
        iv_acts *g = analytic(&one, NULL);
        for (int s = 0; s < g->n_sites; s++)
            for (int i = 0; i < g->width[s]; i++) {
                float alone = g->site[s][i], batched = all->site[s][r * all->width[s] + i];
                if (fabsf(alone - batched) > 1e-6f * (1 + fabsf(alone)))
                    fail_msg("site %d row %ld [%d]: %.9g in the batch, %.9g alone", s, r, i,
                             batched, alone);
            }
        iv_acts_free(g);
    }
    /* and the rows really differ, or the comparison above would prove nothing */
    assert_true(all->site[0][0] != all->site[0][2] || all->site[0][1] != all->site[0][3]);
    iv_acts_free(all);
    iv_model_free(p.m);
}

/* ---- the lecture's max network, by hand ------------------------------------------------------ */

static void expect_exact(const float *got, const float *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s[%d]: got %.9g, expected %.9g", what, i, got[i], want[i]);
}

/* out = h2[0] + h2[1], h2 = relu(W2 h1), h1 = relu(W1 [x, y]). At (3, 5): h1.pre = [-2, 2, 3, 5],
 * h1 = [0, 2, 3, 5], h2.pre = [5, -197], so d out / d h2 = [1, 1], d out / d h2.pre = [1, 0],
 * d out / d h1 = W2^T [1, 0] = [-100, 0, 0, 1], d out / d h1.pre = that (.) [0, 1, 1, 1] =
 * [0, 0, 0, 1], d out / d input = W1^T [0, 0, 0, 1] = [0, 1]: the gradient picks y, the larger.
 * At (5, 3) everything mirrors and the gradient at the input is [1, 0]. All values are small
 * integers, exact in float, so they are compared exactly. */
static void test_max_by_hand(void **state)
{
    iv_model *m = iv_model_builtin_max();
    static const float input[] = {3, 5, 5, 3};
    iv_acts *a = acts_new(m, 2);
    iv_forward(m, input, a, NULL, NULL);
    iv_acts *g = acts_new(m, 2);
    static const float one[] = {1, 1};
    iv_backward(m, a, one, g, 0);

    expect_exact(a->site[3], (const float[]){5, -197, -197, 5}, 4, "h2.pre");
    expect_exact(g->site[6], (const float[]){1, 1}, 2, "d out");
    expect_exact(g->site[5], (const float[]){1, 1}, 2, "d out.pre");
    expect_exact(g->site[4], (const float[]){1, 1, 1, 1}, 4, "d h2");
    expect_exact(g->site[3], (const float[]){1, 0, 0, 1}, 4, "d h2.pre");
    expect_exact(g->site[2], (const float[]){-100, 0, 0, 1, 0, -100, 1, 0}, 8, "d h1");
    expect_exact(g->site[1], (const float[]){0, 0, 0, 1, 0, 0, 1, 0}, 8, "d h1.pre");
    expect_exact(g->site[0], (const float[]){0, 1, 1, 0}, 4, "d input");
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(m);
}

/* ---- stop_site, and grad_out in place -------------------------------------------------------- */

static void test_stop_site(void **state)
{
    problem p = mixed_problem();
    iv_acts *a;
    iv_acts *full = analytic(&p, &a);
    float *gout = grad_out_of(&p);
    int out = iv_model_output_site(p.m);
    for (int stop = 0; stop <= out + 1; stop++) {
        iv_acts *g = acts_new(p.m, p.n);
        for (long i = 0; i < (long)(g->site[out] - g->block) + p.n * g->width[out]; i++)
            g->block[i] = 12345.0f; /* a value no gradient here takes */
        iv_backward(p.m, a, gout, g, stop);
        for (int s = 0; s <= out; s++)
            for (long i = 0; i < p.n * g->width[s]; i++) {
                float want = s < stop ? 12345.0f : full->site[s][i];
                if (g->site[s][i] != want)
                    fail_msg("stop %d, site %d [%ld]: got %.9g, expected %.9g", stop, s, i,
                             g->site[s][i], want);
            }
        iv_acts_free(g);
    }
    /* grad_out may be the output site of grads itself */
    iv_acts *g = acts_new(p.m, p.n);
    memcpy(g->site[out], gout, sizeof(float) * (size_t)(p.n * g->width[out]));
    iv_backward(p.m, a, g->site[out], g, 0);
    for (long i = 0; i < p.n * p.m->n_inputs; i++)
        assert_true(g->site[0][i] == full->site[0][i]);
    iv_acts_free(g);
    free(gout);
    iv_acts_free(a);
    iv_acts_free(full);
    iv_model_free(p.m);
}

/* ---- an additive intervention ---------------------------------------------------------------- */

/* With a shift added to the sigmoid layer's output (as noise would), d s / d s.pre is still
 * sigmoid'(s.pre); the backward pass must take it at pre, not from the shifted output. The finite
 * differences run the same shifted network. */
static void test_additive_intervention(void **state)
{
    problem p = mixed_problem();
    p.shift_site = iv_model_site_find(p.m, "s");
    p.shift = 0.3f;
    check_all_sites(&p);

    /* The output-based formula s (1 - s), with s the shifted output, is measurably wrong here. */
    iv_acts *a;
    iv_acts *g = analytic(&p, &a);
    int s = p.shift_site;
    for (long i = 0; i < p.n * g->width[s]; i++) {
        float post = a->site[s][i];
        g->site[s - 1][i] = g->site[s][i] * post * (1 - post);
    }
    assert_true(fd_mismatches(&p, g, s - 1, s - 1, false) > 0);
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(p.m);
}

/* ---- the tolerance can fail ------------------------------------------------------------------ */

/* The comparison above must not be so loose that a wrong gradient passes: a 1 % error at any one
 * site, and W^T used in place of W in the square leaky layer, are each rejected. */
static void test_tolerance_catches_wrong_gradients(void **state)
{
    problem p = mixed_problem();
    iv_acts *a;
    iv_acts *g = analytic(&p, &a);
    for (int s = 0; s < g->n_sites; s++) {
        float *copy = iv_xmalloc(sizeof(float) * (size_t)(p.n * g->width[s]));
        memcpy(copy, g->site[s], sizeof(float) * (size_t)(p.n * g->width[s]));
        for (long i = 0; i < p.n * g->width[s]; i++)
            g->site[s][i] *= 1.01f;
        int bad = fd_mismatches(&p, g, s, s, false);
        if (bad == 0)
            fail_msg("a 1%% error at site %d passed the finite-difference check", s);
        memcpy(g->site[s], copy, sizeof(float) * (size_t)(p.n * g->width[s]));
        free(copy);
    }

    /* d g = d k.pre . W^T instead of d k.pre . W */
    const iv_layer *K = &p.m->layers[1];
    assert_int_equal(K->n_in, K->n_out);
    for (long r = 0; r < p.n; r++)
        for (int i = 0; i < K->n_in; i++) {
            double sum = 0;
            for (int o = 0; o < K->n_out; o++)
                sum += (double)g->site[3][r * K->n_out + o] * K->weight[i * K->n_in + o];
            g->site[2][r * K->n_in + i] = (float)sum;
        }
    assert_true(fd_mismatches(&p, g, 2, 2, false) > 0);
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(p.m);
}

/* ---- weights and biases ---------------------------------------------------------------------- */

/* iv_backward_params against central differences of each weight and bias of every layer (the
 * loss summed over the whole batch, as the parameters are shared by all rows). */
static void test_params(void **state)
{
    problem p = mixed_problem();
    iv_acts *a;
    iv_acts *g = analytic(&p, &a);
    iv_acts *scratch = acts_new(p.m, p.n);
    int bad = 0;
    for (int l = 0; l < p.m->n_layers; l++) {
        iv_layer *L = &p.m->layers[l];
        float *dW = iv_xmalloc(sizeof(float) * (size_t)(L->n_out * L->n_in)); /* (n_out, n_in) */
        float *db = iv_xmalloc(sizeof(float) * (size_t)L->n_out);              /* (n_out) */
        iv_backward_params(p.m, a, g, l, dW, db);
        for (int j = 0; j < L->n_out * (L->n_in + 1); j++) {
            /* the first n_out n_in are weights, then the biases (every layer but s has them) */
            bool is_bias = j >= L->n_out * L->n_in;
            if (is_bias && !L->bias)
                continue;
            float *param = is_bias ? &L->bias[j - L->n_out * L->n_in] : &L->weight[j];
            float analytic_value = is_bias ? db[j - L->n_out * L->n_in] : dW[j];
            param_nudge pn = {&p, scratch, param, *param};
            double fd = central_difference(loss_nudged_param, &pn);
            *param = pn.saved;
            if (!close_enough(analytic_value, fd)) {
                print_error("layer %s %s %d: backward %.9g, finite difference %.9g\n", L->name,
                            is_bias ? "bias" : "weight", j, analytic_value, fd);
                bad++;
            }
        }
        /* either output may be skipped */
        float *dW2 = iv_xmalloc(sizeof(float) * (size_t)(L->n_out * L->n_in));
        iv_backward_params(p.m, a, g, l, dW2, NULL);
        assert_memory_equal(dW, dW2, sizeof(float) * (size_t)(L->n_out * L->n_in));
        float db2[8];
        iv_backward_params(p.m, a, g, l, NULL, db2);
        assert_memory_equal(db, db2, sizeof(float) * (size_t)L->n_out);
        free(dW2);
        free(dW);
        free(db);
    }
    if (bad)
        fail_msg("%d parameter gradients disagree with finite differences", bad);
    iv_acts_free(scratch);
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(p.m);
}

/* ---- operations beyond the dense chain, through the builder's general calls ------------------ */

/* input (2) -> a.pre = W input + b -> a = tanh -> res = a + input -> out.pre = v res -> out: the
 * input is read twice (by the linear operation and by the add), so its gradient is the sum of two
 * contributions, the path a chain of dense layers never takes. */
static iv_model *residual_model(bool bad_width, iv_error *err)
{
    iv_builder *b = iv_builder_new("residual", NULL);
    char *names[] = {"x", "y"};
    if (iv_builder_inputs(b, 2, names, NULL, err) < 0)
        fail_msg("%s", err->msg);
    const float first[] = {0.9f, -0.4f, 0.3f, 0.8f, 0.1f, -0.2f}; /* W (2, 2), then b (2) */
    const float last[] = {1.2f, -0.7f};                           /* v (1, 2), no bias */
    int pre = iv_builder_site(b, "a.pre", 2, IV_SITE_PRE, -1, NULL);
    int act = iv_builder_site(b, "a", 2, IV_SITE_POST, -1, NULL);
    int res = iv_builder_site(b, "res", bad_width ? 3 : 2, IV_SITE_RESID, -1, NULL);
    int opre = iv_builder_site(b, "out.pre", 1, IV_SITE_PRE, -1, NULL);
    int out = iv_builder_site(b, "out", 1, IV_SITE_POST, -1, NULL);
    iv_op ops[] = {
        {.kind = IV_OP_LINEAR, .in = {0, -1}, .out = pre, .weight = 0, .bias = 4},
        {.kind = IV_OP_ACTIVATION, .in = {pre, -1}, .out = act, .weight = -1, .bias = -1,
         .act = IV_ACT_TANH},
        {.kind = IV_OP_ADD, .in = {act, 0}, .out = res, .weight = -1, .bias = -1},
        {.kind = IV_OP_LINEAR, .in = {res, -1}, .out = opre, .weight = 0, .bias = -1},
        {.kind = IV_OP_ACTIVATION, .in = {opre, -1}, .out = out, .weight = -1, .bias = -1,
         .act = IV_ACT_IDENTITY},
    };
    const float *params[] = {first, NULL, NULL, last, NULL};
    const long counts[] = {6, 0, 0, 2, 0};
    for (int k = 0; k < 5; k++)
        if (iv_builder_op(b, &ops[k], params[k], counts[k], err) < 0)
            fail_msg("%s", err->msg);
    return iv_builder_finish(b, err);
}

static void test_two_readers(void **state)
{
    (void)state;
    iv_error err = {{0}};
    static const float rows[] = {0.5f, -1.0f, 2.0f, 0.25f, -0.6f, 1.4f};
    static const float c[] = {1.0f};
    problem p = {.m = residual_model(false, &err), .n = 3, .input = rows, .c = c,
                 .shift_site = -1};
    if (!p.m)
        fail_msg("%s", err.msg);
    check_all_sites(&p);
    /* By hand at the input: dL/dx = W^T (v (.) tanh'(a.pre)) + v, the second term the add's. */
    iv_acts *a;
    iv_acts *g = analytic(&p, &a);
    for (long r = 0; r < p.n; r++) {
        const float *x = rows + 2 * r;
        double d[2];
        for (int o = 0; o < 2; o++) {
            double pre = (o ? 0.3 * x[0] + 0.8 * x[1] - 0.2 : 0.9 * x[0] - 0.4 * x[1] + 0.1);
            double t = tanh(pre);
            d[o] = (o ? -0.7 : 1.2) * (1 - t * t);
        }
        double want[2] = {0.9 * d[0] + 0.3 * d[1] + 1.2, -0.4 * d[0] + 0.8 * d[1] - 0.7};
        for (int i = 0; i < 2; i++)
            assert_true(fabs(g->site[0][r * 2 + i] - want[i]) < 1e-5);
    }
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(p.m);
}

/* The one check judges every operation: an add of unequal widths is refused by name. */
static void test_check_judges_operations(void **state)
{
    (void)state;
    iv_error err = {{0}};
    assert_null(residual_model(true, &err));
    assert_non_null(strstr(err.msg, "operation 2 (add) writing res: it reads a of 2 values into "
                                    "res of 3"));
    /* An operation must read sites before the one it writes. */
    iv_builder *b = iv_builder_new("loop", NULL);
    char *names[] = {"x"};
    assert_int_equal(iv_builder_inputs(b, 1, names, NULL, &err), 0);
    int s1 = iv_builder_site(b, "a", 1, IV_SITE_POST, -1, NULL);
    iv_op loop = {.kind = IV_OP_ACTIVATION, .in = {s1, -1}, .out = s1, .weight = -1, .bias = -1};
    assert_int_equal(iv_builder_op(b, &loop, NULL, 0, &err), 0);
    assert_null(iv_builder_finish(b, &err));
    assert_non_null(strstr(err.msg, "does not read earlier sites into a later one"));
}

/* Only some columns of the gradient at a site: those agree with the whole backward pass, the others
 * are zero, and every site above is the whole pass's. */
static void test_columns_only(void **state)
{
    (void)state;
    char *text = wide_text();
    problem p = {.m = parse(text), .n = 3, .shift_site = -1};
    free(text);
    float input[18], c[5] = {1, -0.5f, 0.25f, 2, -1};
    for (int i = 0; i < 18; i++)
        input[i] = (float)(0.3 * sin(1.3 * i));
    p.input = input;
    p.c = c;
    iv_acts *a;
    iv_acts *whole = analytic(&p, &a);
    int site = p.m->layers[0].site, w = p.m->layers[0].n_out; /* the first hidden layer */
    int cols[3] = {7, 2, 10};
    iv_acts *part = acts_new(p.m, p.n);
    float *gout = grad_out_of(&p);
    iv_backward_columns(p.m, a, gout, part, site, cols, 3, NULL, NULL);
    for (long r = 0; r < p.n; r++)
        for (int i = 0; i < w; i++) {
            bool wanted = i == 7 || i == 2 || i == 10;
            float got = part->site[site][r * w + i], want = whole->site[site][r * w + i];
            if (wanted)
                assert_true(fabsf(got - want) <= 1e-6f * fabsf(want) + 1e-7f);
            else
                assert_true(got == 0);
        }
    int out = iv_model_output_site(p.m);
    for (int s = site + 1; s <= out; s++)
        assert_memory_equal(part->site[s], whole->site[s], sizeof(float) * (size_t)(p.n * a->width[s]));
    free(gout);
    iv_acts_free(part);
    iv_acts_free(whole);
    iv_acts_free(a);
    iv_model_free(p.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_leaky_relu),
        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_tanh),
        cmocka_unit_test(test_gelu),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_mixed_chain),
        cmocka_unit_test(test_wide_model),
        cmocka_unit_test(test_rows_independent),
        cmocka_unit_test(test_max_by_hand),
        cmocka_unit_test(test_stop_site),
        cmocka_unit_test(test_additive_intervention),
        cmocka_unit_test(test_tolerance_catches_wrong_gradients),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_two_readers),
        cmocka_unit_test(test_check_judges_operations),
        cmocka_unit_test(test_columns_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
