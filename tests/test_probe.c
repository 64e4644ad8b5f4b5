/* test_probe.c - the linear algebra wrappers and the linear probes against references computed
 * here: the covariance against a plain two-pass sum, orth and the eigen-decomposition against their
 * definitions; a binary ridge probe's weights parallel to Sigma^-1 delta (delta the difference of
 * the class means, Sigma^-1 delta solved by LU here); the fit from statistics under P = I equal to
 * the fit on the rows, for two and three classes; the minimum-norm fit of a rank-deficient X equal
 * to the split of the fit on its independent columns; the gradient of the penalised log-likelihood
 * at a logistic probe ~0, for two classes and one-vs-rest on three; separable classes without a
 * penalty refused; scoring through an eraser; and bad input failing with one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "probe.h"
#include "rng.h"

/* ---- data ------------------------------------------------------------------------------------- */

typedef struct dataset {
    float *x;
    int *y;
    long n;
    int d, k;
} dataset;

static iv_labelled view(const dataset *s) { return (iv_labelled){s->x, s->y, s->n, s->d, s->k}; }

static void dataset_free(dataset *s)
{
    free(s->x);
    free(s->y);
}

/* Gaussian classes: class c at mean c * shift (c = 0 .. k-1) plus a correlated draw M g, M lower
 * triangular with 1 on the diagonal and `mix` below it, so Sigma is far from a multiple of I. */
static dataset gaussian_classes(long n, int d, int k, const double *shift, double mix,
                                uint64_t seed)
{
    dataset s = {malloc(sizeof(float) * (size_t)n * (size_t)d), malloc(sizeof(int) * (size_t)n), n,
                 d, k};
    iv_rng rng;
    iv_rng_seed(&rng, seed);
    double *g = malloc(sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++) {
        int c = (int)iv_rng_below(&rng, (uint64_t)k);
        s.y[i] = c;
        for (int j = 0; j < d; j++)
            g[j] = iv_rng_normal(&rng);
        for (int j = 0; j < d; j++) {
            double v = g[j];
            for (int a = 0; a < j; a++)
                v += mix * g[a];
            s.x[i * d + j] = (float)(v + c * shift[j]);
        }
    }
    free(g);
    return s;
}

/* ---- references ------------------------------------------------------------------------------- */

static void reference_mean(const dataset *s, double *mu)
{
    for (int j = 0; j < s->d; j++) {
        mu[j] = 0;
        for (long i = 0; i < s->n; i++)
            mu[j] += s->x[i * s->d + j];
        mu[j] /= (double)s->n;
    }
}

/* (X - mu)^T (X - mu) / (n - 1), two passes, plain sums. */
static void reference_cov(const dataset *s, double *cov)
{
    int d = s->d;
    double *mu = malloc(sizeof(double) * (size_t)d);
    reference_mean(s, mu);
    for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) {
            double sum = 0;
            for (long i = 0; i < s->n; i++)
                sum += (s->x[i * d + a] - mu[a]) * (s->x[i * d + b] - mu[b]);
            cov[a * d + b] = sum / (double)(s->n - 1);
        }
    free(mu);
}

/* mu_1 - mu_0 */
static void reference_delta(const dataset *s, double *delta)
{
    int d = s->d;
    double *m0 = calloc((size_t)d, sizeof(double)), *m1 = calloc((size_t)d, sizeof(double));
    long n0 = 0, n1 = 0;
    for (long i = 0; i < s->n; i++) {
        double *m = s->y[i] ? m1 : m0;
        *(s->y[i] ? &n1 : &n0) += 1;
        for (int j = 0; j < d; j++)
            m[j] += s->x[i * d + j];
    }
    for (int j = 0; j < d; j++)
        delta[j] = m1[j] / (double)n1 - m0[j] / (double)n0;
    free(m0);
    free(m1);
}

/* A x = b by LU with pivoting (a route the code under test does not take), b overwritten. */
static void reference_solve(double *a, int d, double *b)
{
    lapack_int *piv = malloc(sizeof(lapack_int) * (size_t)d);
    assert_int_equal(LAPACKE_dgesv(LAPACK_ROW_MAJOR, d, 1, a, d, piv, b, 1), 0);
    free(piv);
}

static double cosine(const double *a, const double *b, int d)
{
    double ab = 0, aa = 0, bb = 0;
    for (int j = 0; j < d; j++) {
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
    }
    return ab / sqrt(aa * bb);
}

static double max_rel_diff(const double *a, const double *b, size_t n)
{
    double scale = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
        scale = fmax(scale, fabs(b[i]));
        diff = fmax(diff, fabs(a[i] - b[i]));
    }
    return diff / fmax(scale, 1e-300);
}

/* The gradient of sum_i [t_i z_i - log(1 + e^z_i)] - lambda/2 |w|^2 at (w, b), in long double from
 * the float rows as given (not centred). Returns its largest |entry|. */
static double penalised_gradient(const dataset *s, const double *w, double b, int cls,
                                 bool one_vs_rest, double lambda)
{
    int d = s->d;
    long double *g = calloc((size_t)d + 1, sizeof(long double));
    for (long i = 0; i < s->n; i++) {
        long double z = b;
        for (int j = 0; j < d; j++)
            z += (long double)w[j] * s->x[i * d + j];
        long double p = 1 / (1 + expl(-z));
        double t = one_vs_rest ? s->y[i] == cls : s->y[i] == 1;
        for (int j = 0; j < d; j++)
            g[j] += (t - p) * s->x[i * d + j];
        g[d] += t - p;
    }
    double worst = 0;
    for (int j = 0; j <= d; j++) {
        long double gj = g[j] - (j < d ? lambda * w[j] : 0);
        worst = fmax(worst, fabs((double)gj));
    }
    free(g);
    return worst;
}

/* ---- linear algebra ----------------------------------------------------------------------------- */

static void test_covariance(void **state)
{
    (void)state;
    const double shift[5] = {1, 0, 0, 2, 0};
    dataset s = gaussian_classes(3001, 5, 2, shift, 0.7, 11);
    double mu[5], cov[25], ref[25], ref_mu[5];
    iv_error err;
    assert_int_equal(iv_la_mean_cov(s.x, s.n, s.d, mu, cov, &err), 0);
    reference_cov(&s, ref);
    reference_mean(&s, ref_mu);
    assert_true(max_rel_diff(mu, ref_mu, 5) < 1e-12);
    assert_true(max_rel_diff(cov, ref, 25) < 1e-12);
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
            assert_true(cov[a * 5 + b] == cov[b * 5 + a]);
    test_expect_error(iv_la_mean_cov(s.x, 1, s.d, mu, cov, &err), &err, "n=1");
    dataset_free(&s);
}

static void test_decompositions(void **state)
{
    (void)state;
    iv_error err;
    /* orth: two rows along e0 and one in the (e1 + e2) direction span a plane */
    const double a[9] = {1, 0, 0, 2, 0, 0, 0, 1, 1};
    double basis[9];
    int rank;
    assert_int_equal(iv_la_orth(a, 3, 3, basis, &rank, &err), 0);
    assert_int_equal(rank, 2);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double dot = 0;
            for (int c = 0; c < 3; c++)
                dot += basis[i * 3 + c] * basis[j * 3 + c];
            assert_true(fabs(dot - (i == j)) < 1e-14);
        }
    for (int i = 0; i < 2; i++) /* in the plane: orthogonal to e1 - e2 */
        assert_true(fabs(basis[i * 3 + 1] - basis[i * 3 + 2]) < 1e-14);
    assert_int_equal(iv_la_orth(a, 0, 3, basis, &rank, &err), 0);
    assert_int_equal(rank, 0);
    /* eigen: ascending, A v = lambda v, row-wise */
    const double sym[9] = {4, 1, 0, 1, 3, 1, 0, 1, 2};
    double e[9], w[3];
    memcpy(e, sym, sizeof e);
    assert_int_equal(iv_la_sym_eig(e, 3, w, &err), 0);
    assert_true(w[0] <= w[1] && w[1] <= w[2]);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 3; i++) {
            double av = 0;
            for (int j = 0; j < 3; j++)
                av += sym[i * 3 + j] * e[r * 3 + j];
            assert_true(fabs(av - w[r] * e[r * 3 + i]) < 1e-13);
        }
    /* a solve that cannot be: the message names the matrix and LAPACK's info */
    double bad[4] = {1, 2, 2, 1}, rhs[2] = {1, 1};
    test_expect_error(iv_la_spd_solve(bad, 2, rhs, 1, "the covariance", &err), &err,
                 "the covariance is not positive definite (dposv info 2)");
    double sq[4] = {1, 0, 0, 4};
    double sv[2];
    assert_int_equal(iv_la_svd(sq, 2, 2, sv, NULL, NULL, &err), 0);
    assert_true(fabs(sv[0] - 4) < 1e-14 && fabs(sv[1] - 1) < 1e-14);
}

/* ---- ridge -------------------------------------------------------------------------------------- */

static void test_ridge_direction(void **state)
{
    (void)state;
    const double shift[4] = {1.2, -0.4, 0.3, 0.8};
    dataset s = gaussian_classes(4000, 4, 2, shift, 0.6, 21);
    iv_labelled v = view(&s);
    double cov[16], delta[4];
    reference_cov(&s, cov);
    reference_delta(&s, delta);
    reference_solve(cov, 4, delta); /* delta := Sigma^-1 delta */
    iv_error err;
    iv_probe rows, stats;
    assert_int_equal(iv_probe_ridge(&v, 0, NULL, &rows, &err), 0);
    assert_int_equal(rows.rows, 1);
    assert_int_equal(rows.rank, 4);
    if (!(cosine(rows.w, delta, 4) > 1 - 1e-9))
        fail_msg("cosine %.15f to Sigma^-1 delta", cosine(rows.w, delta, 4));
    iv_probe_stats st;
    assert_int_equal(iv_probe_stats_new(&v, &st, &err), 0);
    assert_int_equal(iv_probe_ridge_stats(&st, NULL, 0, &stats, &err), 0);
    assert_true(cosine(stats.w, delta, 4) > 1 - 1e-9);
    double acc, majority = iv_majority_rate(s.y, s.n, 2);
    assert_int_equal(iv_probe_accuracy(&rows, &v, NULL, &acc, &err), 0);
    assert_true(acc > majority + 0.2);
    /* lambda > 0: (S + lambda I) b = s with S, s summed here */
    double lambda = 500, m[16], b[4], mu[4];
    reference_cov(&s, m);
    reference_mean(&s, mu);
    for (int i = 0; i < 16; i++)
        m[i] *= (double)(s.n - 1);
    for (int i = 0; i < 4; i++)
        m[i * 5] += lambda;
    double ybar = 0;
    for (long i = 0; i < s.n; i++)
        ybar += s.y[i];
    ybar /= (double)s.n;
    for (int j = 0; j < 4; j++) {
        b[j] = 0;
        for (long i = 0; i < s.n; i++)
            b[j] += (s.x[i * 4 + j] - mu[j]) * (s.y[i] - ybar);
    }
    reference_solve(m, 4, b);
    iv_probe ridge;
    assert_int_equal(iv_probe_ridge(&v, lambda, NULL, &ridge, &err), 0);
    assert_true(max_rel_diff(ridge.w, b, 4) < 1e-10);
    double intercept = ybar;
    for (int j = 0; j < 4; j++)
        intercept -= mu[j] * b[j];
    assert_true(fabs(ridge.b[0] - intercept) < 1e-10);
    iv_probe_free(&ridge);
    iv_probe_free(&rows);
    iv_probe_free(&stats);
    iv_probe_stats_free(&st);
    dataset_free(&s);
}

/* The statistics route under an explicit P = I agrees with the fit on the rows. */
static void compare_routes(const dataset *s, double lambda)
{
    iv_labelled v = view(s);
    int d = s->d;
    double *eye = calloc((size_t)d * (size_t)d, sizeof(double));
    for (int i = 0; i < d; i++)
        eye[i * d + i] = 1;
    iv_error err;
    iv_probe_stats st;
    iv_probe direct, stats;
    assert_int_equal(iv_probe_stats_new(&v, &st, &err), 0);
    assert_int_equal(iv_probe_ridge(&v, lambda, NULL, &direct, &err), 0);
    assert_int_equal(iv_probe_ridge_stats(&st, eye, lambda, &stats, &err), 0);
    assert_int_equal(direct.rows, stats.rows);
    assert_int_equal(direct.rows, s->k == 2 ? 1 : s->k);
    double wd = max_rel_diff(stats.w, direct.w, (size_t)direct.rows * (size_t)d);
    double bd = max_rel_diff(stats.b, direct.b, (size_t)direct.rows);
    if (!(wd < 1e-9 && bd < 1e-9))
        fail_msg("k=%d lambda=%g: weights differ by %g, intercepts by %g", s->k, lambda, wd, bd);
    double a1, a2;
    assert_int_equal(iv_probe_accuracy(&direct, &v, NULL, &a1, &err), 0);
    assert_int_equal(iv_probe_accuracy(&stats, &v, NULL, &a2, &err), 0);
    assert_true(a1 == a2);
    iv_probe_free(&direct);
    iv_probe_free(&stats);
    iv_probe_stats_free(&st);
    free(eye);
}

static void test_ridge_statistics(void **state)
{
    (void)state;
    const double shift[6] = {0.5, 1, -0.5, 0, 0.2, 0.9};
    dataset two = gaussian_classes(2500, 6, 2, shift, 0.4, 31);
    dataset three = gaussian_classes(2500, 6, 3, shift, 0.4, 32);
    compare_routes(&two, 0);
    compare_routes(&two, 3);
    compare_routes(&three, 0);
    compare_routes(&three, 3);
    /* three classes: one-hot columns, argmax, well above the majority */
    iv_labelled v = view(&three);
    iv_probe p;
    iv_error err;
    double acc;
    assert_int_equal(iv_probe_ridge(&v, 1, NULL, &p, &err), 0);
    assert_int_equal(p.rows, 3);
    assert_int_equal(iv_probe_accuracy(&p, &v, NULL, &acc, &err), 0);
    assert_true(acc > iv_majority_rate(three.y, three.n, 3) + 0.15);
    iv_probe_free(&p);
    dataset_free(&two);
    dataset_free(&three);
}

/* Columns 0 and 3 the same, column 2 constant: lambda = 0 gives the minimum-norm solution, the fit
 * on columns 0 and 1 (solved here) with column 0's weight split evenly, none on column 2. */
static void test_ridge_min_norm(void **state)
{
    (void)state;
    const double shift[4] = {1, -0.7, 0, 0};
    dataset s = gaussian_classes(1500, 4, 2, shift, 0.5, 41);
    for (long i = 0; i < s.n; i++) {
        s.x[i * 4 + 2] = 3.5f;
        s.x[i * 4 + 3] = s.x[i * 4 + 0];
    }
    double mu[4], a[4] = {0}, b[2] = {0}, ybar = 0;
    reference_mean(&s, mu);
    for (long i = 0; i < s.n; i++)
        ybar += s.y[i];
    ybar /= (double)s.n;
    for (long i = 0; i < s.n; i++) {
        double x0 = s.x[i * 4] - mu[0], x1 = s.x[i * 4 + 1] - mu[1], t = s.y[i] - ybar;
        a[0] += x0 * x0;
        a[1] += x0 * x1;
        a[3] += x1 * x1;
        b[0] += x0 * t;
        b[1] += x1 * t;
    }
    a[2] = a[1];
    reference_solve(a, 2, b);
    const double expect[4] = {b[0] / 2, b[1], 0, b[0] / 2};
    iv_labelled v = view(&s);
    iv_error err;
    iv_probe rows, stats;
    iv_probe_stats st;
    assert_int_equal(iv_probe_ridge(&v, 0, NULL, &rows, &err), 0);
    assert_int_equal(iv_probe_stats_new(&v, &st, &err), 0);
    assert_int_equal(iv_probe_ridge_stats(&st, NULL, 0, &stats, &err), 0);
    assert_int_equal(rows.rank, 2);
    assert_int_equal(stats.rank, 2);
    if (!(max_rel_diff(rows.w, expect, 4) < 1e-9))
        fail_msg("rows: %g %g %g %g, expected %g %g %g %g", rows.w[0], rows.w[1], rows.w[2],
                 rows.w[3], expect[0], expect[1], expect[2], expect[3]);
    assert_true(max_rel_diff(stats.w, expect, 4) < 1e-9);
    iv_probe_free(&rows);
    iv_probe_free(&stats);
    iv_probe_stats_free(&st);
    dataset_free(&s);
}

/* ---- logistic ------------------------------------------------------------------------------------ */

static void test_logistic_gradient(void **state)
{
    (void)state;
    const double shift[3] = {1, 0.5, -0.8};
    dataset s = gaussian_classes(300, 3, 2, shift, 0.3, 51);
    for (long i = 0; i < s.n * 3; i++)
        s.x[i] += 2.0f; /* far from the origin: the intercept matters */
    iv_labelled v = view(&s);
    const double lambdas[3] = {1, 0.01, 30};
    for (int l = 0; l < 3; l++) {
        iv_probe p;
        iv_error err;
        assert_int_equal(iv_probe_logistic(&v, lambdas[l], NULL, &p, &err), 0);
        assert_int_equal(p.rows, 1);
        assert_true(p.converged);
        assert_true(p.steps >= 2 && p.steps <= IV_PROBE_MAX_STEPS);
        double g = penalised_gradient(&s, p.w, p.b[0], 1, false, lambdas[l]);
        if (!(g < 1e-8))
            fail_msg("lambda=%g: gradient %g at the fit", lambdas[l], g);
        double acc;
        assert_int_equal(iv_probe_accuracy(&p, &v, NULL, &acc, &err), 0);
        assert_true(acc > 0.7);
        iv_probe_free(&p);
    }
    dataset_free(&s);
}

static void test_logistic_separable(void **state)
{
    (void)state;
    /* class 1 exactly where x0 > 0, with a margin */
    const double shift[2] = {0, 0};
    dataset s = gaussian_classes(200, 2, 2, shift, 0, 61);
    for (long i = 0; i < s.n; i++) {
        float *x = s.x + i * 2;
        x[0] = s.y[i] ? fabsf(x[0]) + 0.5f : -fabsf(x[0]) - 0.5f;
    }
    iv_labelled v = view(&s);
    iv_probe p;
    iv_error err;
    test_expect_error(iv_probe_logistic(&v, 0, NULL, &p, &err), &err, "lambda=0");
    assert_null(p.w);
    assert_int_equal(iv_probe_logistic(&v, 0.1, NULL, &p, &err), 0);
    assert_true(p.converged);
    assert_true(penalised_gradient(&s, p.w, p.b[0], 1, false, 0.1) < 1e-8);
    double acc;
    assert_int_equal(iv_probe_accuracy(&p, &v, NULL, &acc, &err), 0);
    assert_true(acc == 1);
    iv_probe_free(&p);
    dataset_free(&s);
}

static void test_logistic_one_vs_rest(void **state)
{
    (void)state;
    const double shift[3] = {1.5, -1, 0.5};
    dataset s = gaussian_classes(900, 3, 3, shift, 0.2, 71);
    iv_labelled v = view(&s);
    iv_probe p;
    iv_error err;
    assert_int_equal(iv_probe_logistic(&v, 0.5, NULL, &p, &err), 0);
    assert_int_equal(p.rows, 3);
    assert_int_equal(p.k, 3);
    assert_true(p.converged);
    for (int c = 0; c < 3; c++) {
        double g = penalised_gradient(&s, p.w + c * 3, p.b[c], c, true, 0.5);
        if (!(g < 1e-8))
            fail_msg("class %d: gradient %g at the fit", c, g);
    }
    double acc;
    assert_int_equal(iv_probe_accuracy(&p, &v, NULL, &acc, &err), 0);
    assert_true(acc > iv_majority_rate(s.y, s.n, 3) + 0.2);
    /* accuracy counts what predict says, row by row */
    long right = 0;
    for (long i = 0; i < s.n; i++) {
        double x[3] = {s.x[i * 3], s.x[i * 3 + 1], s.x[i * 3 + 2]};
        right += iv_probe_predict(&p, x) == s.y[i];
    }
    assert_true(fabs(acc - (double)right / (double)s.n) < 1e-15);
    iv_probe_free(&p);
    dataset_free(&s);
}

/* ---- scoring through an eraser, majority, bad input ------------------------------------------------ */

static void test_through_eraser(void **state)
{
    (void)state;
    const double shift[3] = {2, 0, 0};
    dataset s = gaussian_classes(1000, 3, 2, shift, 0, 81);
    iv_labelled v = view(&s);
    iv_probe p;
    iv_error err;
    assert_int_equal(iv_probe_ridge(&v, 1, NULL, &p, &err), 0);
    /* an eraser that removes x0 about 0: the probe then reads a constant and says one class */
    iv_lowrank e;
    iv_lowrank_init(&e, 3, 1);
    e.l[0] = e.rt[0] = 1;
    double acc, plain;
    assert_int_equal(iv_probe_accuracy(&p, &v, NULL, &plain, &err), 0);
    assert_int_equal(iv_probe_accuracy(&p, &v, &e, &acc, &err), 0);
    assert_true(plain > 0.8);
    double maj = iv_majority_rate(s.y, s.n, 2);
    assert_true(fabs(acc - maj) < 0.05 || fabs(acc - (1 - maj)) < 0.05);
    /* a probe fitted through it has no weight on x0 */
    iv_probe q;
    assert_int_equal(iv_probe_ridge(&v, 1, &e, &q, &err), 0);
    assert_true(fabs(q.w[0]) < 1e-12);
    iv_probe_free(&q);
    assert_int_equal(iv_probe_logistic(&v, 1, &e, &q, &err), 0);
    assert_true(fabs(q.w[0]) < 1e-12);
    iv_probe_free(&q);
    iv_lowrank wrong;
    iv_lowrank_init(&wrong, 4, 1);
    test_expect_error(iv_probe_accuracy(&p, &v, &wrong, &acc, &err), &err, "the eraser is 4 wide");
    test_expect_error(iv_probe_ridge(&v, 1, &wrong, &q, &err), &err, "the eraser is 4 wide");
    iv_lowrank_free(&wrong);
    iv_lowrank_free(&e);
    iv_probe_free(&p);
    dataset_free(&s);
    const int y[6] = {0, 2, 2, 1, 2, 0};
    assert_true(fabs(iv_majority_rate(y, 6, 3) - 0.5) < 1e-15);
    assert_true(isnan(iv_majority_rate(y, 0, 3)));
}

static void test_bad_input(void **state)
{
    (void)state;
    const double shift[3] = {1, 0, 0};
    dataset s = gaussian_classes(50, 2, 2, shift, 0, 91);
    iv_labelled v = view(&s);
    iv_probe p;
    iv_probe_stats st;
    iv_error err;
    iv_labelled one = v;
    one.n = 1;
    test_expect_error(iv_probe_ridge(&one, 1, NULL, &p, &err), &err, "n=1 row, expected at least 2");
    test_expect_error(iv_probe_logistic(&one, 1, NULL, &p, &err), &err, "n=1 row");
    test_expect_error(iv_probe_stats_new(&one, &st, &err), &err, "n=1 row");
    iv_labelled k1 = v;
    k1.k = 1;
    test_expect_error(iv_probe_ridge(&k1, 1, NULL, &p, &err), &err, "k=1 classes, expected at least 2");
    iv_labelled d0 = v;
    d0.d = 0;
    test_expect_error(iv_probe_ridge(&d0, 1, NULL, &p, &err), &err, "d=0 columns");
    test_expect_error(iv_probe_ridge(&v, -1, NULL, &p, &err), &err, "lambda=-1");
    test_expect_error(iv_probe_ridge(&v, NAN, NULL, &p, &err), &err, "lambda=nan");
    s.y[7] = 2;
    test_expect_error(iv_probe_ridge(&v, 1, NULL, &p, &err), &err, "row 7 has class 2, expected 0 to 1");
    s.y[7] = 1;
    s.x[9] = NAN;
    test_expect_error(iv_probe_logistic(&v, 1, NULL, &p, &err), &err, "row 4 column 1 is nan");
    test_expect_error(iv_probe_stats_new(&v, &st, &err), &err, "is nan");
    s.x[9] = 0;
    for (long i = 0; i < s.n; i++)
        s.y[i] = 0; /* class 1 has no rows */
    test_expect_error(iv_probe_logistic(&v, 1, NULL, &p, &err), &err, "class 1 has no rows");
    s.y[0] = 1;
    assert_int_equal(iv_probe_ridge(&v, 1, NULL, &p, &err), 0);
    dataset other = gaussian_classes(10, 3, 2, shift, 0, 92);
    iv_labelled ov = view(&other);
    double acc;
    test_expect_error(iv_probe_accuracy(&p, &ov, NULL, &acc, &err), &err,
                 "d=3: the rows have 3 columns, the probe 2");
    iv_labelled three = v;
    three.k = 3;
    test_expect_error(iv_probe_accuracy(&p, &three, NULL, &acc, &err), &err, "k=3");
    iv_probe_free(&p);
    dataset_free(&other);
    dataset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_covariance),
        cmocka_unit_test(test_decompositions),
        cmocka_unit_test(test_ridge_direction),
        cmocka_unit_test(test_ridge_statistics),
        cmocka_unit_test(test_ridge_min_norm),
        cmocka_unit_test(test_logistic_gradient),
        cmocka_unit_test(test_logistic_separable),
        cmocka_unit_test(test_logistic_one_vs_rest),
        cmocka_unit_test(test_through_eraser),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
