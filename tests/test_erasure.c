/* test_erasure.c - INLP, LEACE and PCA against their oracles, checked here from the results:
 * INLP's P is a projection (P^2 = P = P^T), every step's probe reads nothing through it
 * (W_i P x = 0), its rank is d less the directions removed, the same P comes from the probes' weights
 * orthonormalised here by Gram-Schmidt, and fresh ridge and logistic probes on X P score at the
 * majority rate where the concept was read at >= 0.95, while a quadratic reader still reads a concept
 * with a nonlinear part. LEACE is idempotent, keeps the mean, makes the class means equal, changes X
 * by a matrix of rank <= k - 1, leaves a logistic probe ~0 weights, matches the binary closed form
 * x - delta w^T (x - mu) / (w^T delta) with w = Sigma^-1 delta solved here, and equals one INLP ridge
 * step where Sigma is a multiple of I (a balanced +-1 design). PCA finds known axes and variances.
 * Bad input fails with one line. */
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

#include "erasure.h"
#include "rng.h"

/* ---- data ------------------------------------------------------------------------------------- */

typedef struct dataset {
    float *x;
    int *y;
    long n;
    int d, k;
} dataset;

static iv_labelled view(const dataset *s) { return (iv_labelled){s->x, s->y, s->n, s->d, s->k}; }

static dataset dataset_new(long n, int d, int k)
{
    return (dataset){calloc((size_t)n * (size_t)d, sizeof(float)), calloc((size_t)n, sizeof(int)),
                     n, d, k};
}

static void dataset_free(dataset *s)
{
    free(s->x);
    free(s->y);
}

/* Rows [first, first + n) of s, as a view. */
static iv_labelled part(const dataset *s, long first, long n)
{
    return (iv_labelled){s->x + first * s->d, s->y + first, n, s->d, s->k};
}

/* Class c at mean c * shift plus a correlated draw: coordinate j = g_j + mix * (g_0 + ... g_j-1). */
static dataset gaussian_classes(long n, int d, int k, const double *shift, double mix,
                                uint64_t seed)
{
    dataset s = dataset_new(n, d, k);
    iv_rng rng;
    iv_rng_seed(&rng, seed);
    double *g = malloc(sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++) {
        int c = (int)iv_rng_below(&rng, (uint64_t)k);
        s.y[i] = c;
        for (int j = 0; j < d; j++)
            g[j] = iv_rng_normal(&rng);
        double below = 0;
        for (int j = 0; j < d; j++) {
            s.x[i * d + j] = (float)(g[j] + mix * below + c * shift[j]);
            below += g[j];
        }
    }
    free(g);
    return s;
}

/* ---- references ------------------------------------------------------------------------------- */

static double row_dot(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += a[j] * b[j];
    return s;
}

/* I - L R^T of an eraser, (d, d), summed here from its rows. */
static double *projection_of(const iv_lowrank *e)
{
    int d = e->d;
    double *p = calloc((size_t)d * (size_t)d, sizeof(double));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = i == j;
            for (int a = 0; a < e->r; a++)
                s -= e->l[a * d + i] * e->rt[a * d + j];
            p[i * d + j] = s;
        }
    return p;
}

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

/* The singular values of a (m, n) by dgesvd (a route the code under test does not take). */
static double *singular_values(const double *a, int m, int n)
{
    int k = m < n ? m : n;
    double *copy = malloc(sizeof(double) * (size_t)m * (size_t)n), *s = malloc(sizeof(double) *
                                                                               (size_t)k);
    double *super = malloc(sizeof(double) * (size_t)k);
    memcpy(copy, a, sizeof(double) * (size_t)m * (size_t)n);
    assert_int_equal(LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', m, n, copy, n, s, NULL, 1, NULL, 1,
                                    super),
                     0);
    free(copy);
    free(super);
    return s;
}

/* Orthonormal rows spanning the given rows, by modified Gram-Schmidt run twice, dropping what is
 * left below tol of a row's length. Returns the count. */
static int gram_schmidt(const double *rows, int k, int d, double tol, double *basis)
{
    int r = 0;
    double *v = malloc(sizeof(double) * (size_t)d);
    for (int i = 0; i < k; i++) {
        memcpy(v, rows + (size_t)i * d, sizeof(double) * (size_t)d);
        double len = sqrt(row_dot(v, v, d));
        if (!(len > 0))
            continue;
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < r; b++) {
                double c = row_dot(v, basis + (size_t)b * d, d);
                for (int j = 0; j < d; j++)
                    v[j] -= c * basis[(size_t)b * d + j];
            }
        double left = sqrt(row_dot(v, v, d));
        if (left <= tol * len)
            continue;
        for (int j = 0; j < d; j++)
            basis[(size_t)r * d + j] = v[j] / left;
        r++;
    }
    free(v);
    return r;
}

/* Rows of s through the eraser, in double (n, d). */
static double *erased(const dataset *s, const iv_lowrank *e)
{
    double *out = malloc(sizeof(double) * (size_t)s->n * (size_t)s->d);
    for (long i = 0; i < s->n; i++) {
        double *row = out + i * s->d;
        for (int j = 0; j < s->d; j++)
            row[j] = s->x[i * s->d + j];
        iv_lowrank_apply(e, row, row);
    }
    return out;
}

/* A fresh probe fitted on train X P and scored on held-out X P. */
static double fresh_probe(iv_probe_kind kind, const iv_labelled *train, const iv_labelled *held,
                          const iv_lowrank *e)
{
    iv_probe p;
    iv_error err;
    int rc = kind == IV_PROBE_RIDGE ? iv_probe_ridge(train, 1, e, &p, &err)
                                    : iv_probe_logistic(train, 1, e, &p, &err);
    if (rc < 0)
        fail_msg("%s", err.msg);
    double acc;
    assert_int_equal(iv_probe_accuracy(&p, held, e, &acc, &err), 0);
    iv_probe_free(&p);
    return acc;
}

/* ---- INLP ------------------------------------------------------------------------------------- */

/* Every oracle of a finished run, on held-out rows `held`. */
static void check_inlp(const iv_inlp_result *r, const iv_labelled *train, const iv_labelled *held)
{
    int d = r->d;
    iv_error err;
    iv_lowrank e;
    assert_int_equal(iv_inlp_eraser(r, r->steps, &e, &err), 0);
    assert_int_equal(e.r, r->rank);
    assert_true(r->rank > 0 && r->rank < d);
    double *p = projection_of(&e), *pp = calloc((size_t)d * (size_t)d, sizeof(double));
    /* a projection: P^2 = P, P = P^T */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int m = 0; m < d; m++)
                s += p[i * d + m] * p[m * d + j];
            pp[i * d + j] = s - p[i * d + j];
            assert_true(fabs(p[i * d + j] - p[j * d + i]) < 1e-10);
        }
    assert_true(max_abs(pp, (size_t)d * (size_t)d) < 1e-10);
    /* rank(P) = d - removed: its singular values are 1s and 0s */
    double *sv = singular_values(p, d, d);
    for (int i = 0; i < d; i++)
        assert_true(fabs(sv[i] - (i < d - r->rank)) < 1e-10);
    free(sv);
    /* every removed step's probe reads nothing through P: W_i P x = 0 */
    iv_rng rng;
    iv_rng_seed(&rng, 5);
    double *x = malloc(sizeof(double) * (size_t)d), *px = malloc(sizeof(double) * (size_t)d);
    int stacked = 0;
    for (int s = 0; s < r->steps; s++)
        stacked += r->step[s].removed ? r->step[s].probe.rows : 0;
    double *rows = malloc(sizeof(double) * (size_t)(stacked + 1) * (size_t)d);
    double *basis = malloc(sizeof(double) * (size_t)(stacked + 1) * (size_t)d);
    int at = 0;
    for (int s = 0; s < r->steps; s++) {
        const iv_inlp_step *st = &r->step[s];
        if (!st->removed)
            continue;
        for (int trial = 0; trial < 5; trial++) {
            for (int j = 0; j < d; j++)
                x[j] = 3 * iv_rng_normal(&rng);
            for (int i = 0; i < d; i++)
                px[i] = row_dot(p + i * d, x, d);
            for (int j = 0; j < st->probe.rows; j++) {
                const double *w = st->probe.w + j * d;
                double scale = sqrt(row_dot(w, w, d) * row_dot(x, x, d));
                if (!(fabs(row_dot(w, px, d)) < 1e-10 * scale))
                    fail_msg("step %d row %d: W P x = %g", s, j, row_dot(w, px, d));
            }
        }
        memcpy(rows + (size_t)at * d, st->probe.w, sizeof(double) * (size_t)st->probe.rows * d);
        at += st->probe.rows;
    }
    /* the same P from the stacked weights, orthonormalised here */
    int rank = gram_schmidt(rows, at, d, 1e-9, basis);
    assert_int_equal(rank, r->rank);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = i == j;
            for (int b = 0; b < rank; b++)
                s -= basis[b * d + i] * basis[b * d + j];
            assert_true(fabs(s - p[i * d + j]) < 1e-8);
        }
    /* the first steps' erasers nest, and step by step the rank is what each recorded */
    for (int upto = 0; upto <= r->steps; upto++) {
        iv_lowrank part_e;
        assert_int_equal(iv_inlp_eraser(r, upto, &part_e, &err), 0);
        assert_int_equal(part_e.r, upto ? r->step[upto - 1].rank : 0);
        iv_lowrank_free(&part_e);
    }
    /* fresh linear readers of X P are at chance */
    double majority = iv_majority_rate(held->y, held->n, held->k);
    double ridge = fresh_probe(IV_PROBE_RIDGE, train, held, &e);
    double logistic = fresh_probe(IV_PROBE_LOGISTIC, train, held, &e);
    if (!(fabs(ridge - majority) <= 0.05 && fabs(logistic - majority) <= 0.05))
        fail_msg("after INLP: ridge %g, logistic %g, majority %g", ridge, logistic, majority);
    free(x);
    free(px);
    free(rows);
    free(basis);
    free(p);
    free(pp);
    iv_lowrank_free(&e);
}

static void test_inlp(iv_probe_kind kind, int k, int d)
{
    double shift[16] = {3.5, -2.5, 2, 0, 1.5, -1, 3, 0.8}; /* the rest 0: nothing to read there */
    dataset s = gaussian_classes(4000, d, k, shift, 0.5, 100 + (uint64_t)k);
    for (long i = 0; i < s.n; i++) /* three classes: class 2 off the line of 0 and 1 */
        if (s.y[i] == 2)
            s.x[i * d + 3] += 4.0f;
    iv_labelled train = part(&s, 0, 3000), held = part(&s, 3000, 1000);
    double before = fresh_probe(kind, &train, &held, NULL);
    if (!(before >= (k == 2 ? 0.95 : 0.9)))
        fail_msg("before INLP a probe reads %g", before);
    iv_inlp_options o;
    iv_inlp_options_default(&o);
    o.iterations = 20;
    o.classifier = kind;
    iv_inlp_result r;
    iv_error err;
    if (iv_inlp_fit(&train, &held, &o, &r, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(r.stop, IV_INLP_AT_CHANCE);
    assert_true(r.steps >= 2);
    assert_true(r.step[0].heldout_acc >= 0.9);
    const iv_inlp_step *last = &r.step[r.steps - 1];
    assert_false(last->removed);
    assert_true(last->heldout_acc <= r.majority + o.eps);
    for (int i = 0; i + 1 < r.steps; i++) {
        assert_true(r.step[i].removed);
        assert_true(r.step[i].heldout_acc > r.majority + o.eps);
        assert_true(r.step[i].rank > (i ? r.step[i - 1].rank : 0));
    }
    assert_int_equal(r.rank, last->rank);
    check_inlp(&r, &train, &held);
    iv_inlp_result_free(&r);
    dataset_free(&s);
}

static void test_inlp_ridge(void **state)
{
    (void)state;
    test_inlp(IV_PROBE_RIDGE, 2, 8);
}

static void test_inlp_logistic(void **state)
{
    (void)state;
    test_inlp(IV_PROBE_LOGISTIC, 2, 8);
}

static void test_inlp_three_classes(void **state)
{
    (void)state;
    test_inlp(IV_PROBE_RIDGE, 3, 16);
}

/* Class 1 is both further along x2 (linear) and on a ring of (x0, x1) around class 0's disc
 * (quadratic only): INLP blinds the linear readers, the squares of X P still tell the classes. */
static void test_inlp_nonlinear(void **state)
{
    (void)state;
    int d = 5;
    dataset s = dataset_new(4000, d, 2);
    iv_rng rng;
    iv_rng_seed(&rng, 7);
    for (long i = 0; i < s.n; i++) {
        int c = (int)iv_rng_below(&rng, 2);
        double angle = 2 * M_PI * iv_rng_uniform(&rng);
        double radius = c ? 1.5 + iv_rng_uniform(&rng) : iv_rng_uniform(&rng);
        float *x = s.x + i * d;
        s.y[i] = c;
        x[0] = (float)(radius * cos(angle));
        x[1] = (float)(radius * sin(angle));
        x[2] = (float)(2.0 * c + iv_rng_normal(&rng));
        x[3] = (float)iv_rng_normal(&rng);
        x[4] = (float)iv_rng_normal(&rng);
    }
    iv_labelled train = part(&s, 0, 3000), held = part(&s, 3000, 1000);
    iv_inlp_options o;
    iv_inlp_options_default(&o);
    iv_inlp_result r;
    iv_error err;
    assert_int_equal(iv_inlp_fit(&train, &held, &o, &r, &err), 0);
    assert_int_equal(r.stop, IV_INLP_AT_CHANCE);
    iv_lowrank e;
    assert_int_equal(iv_inlp_eraser(&r, r.steps, &e, &err), 0);
    double majority = iv_majority_rate(held.y, held.n, 2);
    assert_true(fabs(fresh_probe(IV_PROBE_RIDGE, &train, &held, &e) - majority) <= 0.05);
    /* a reader of the squares of the erased coordinates */
    double *xe = erased(&s, &e);
    dataset sq = dataset_new(s.n, d, 2);
    for (long i = 0; i < s.n * d; i++)
        sq.x[i] = (float)(xe[i] * xe[i]);
    memcpy(sq.y, s.y, sizeof(int) * (size_t)s.n);
    iv_labelled sq_train = part(&sq, 0, 3000), sq_held = part(&sq, 3000, 1000);
    double quadratic = fresh_probe(IV_PROBE_RIDGE, &sq_train, &sq_held, NULL);
    if (!(quadratic > majority + 0.3))
        fail_msg("a quadratic reader after INLP: %g (majority %g)", quadratic, majority);
    free(xe);
    dataset_free(&sq);
    iv_lowrank_free(&e);
    iv_inlp_result_free(&r);
    dataset_free(&s);
}

/* ---- LEACE ------------------------------------------------------------------------------------ */

static void check_leace(const dataset *s, const iv_lowrank *e)
{
    int d = s->d, k = s->k;
    long n = s->n;
    assert_int_equal(e->r, k - 1);
    double *xe = erased(s, e);
    double scale = 0;
    for (long i = 0; i < n * d; i++)
        scale = fmax(scale, fabs(s->x[i]));
    /* idempotent */
    double *twice = malloc(sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++) {
        iv_lowrank_apply(e, xe + i * d, twice);
        for (int j = 0; j < d; j++)
            assert_true(fabs(twice[j] - xe[i * d + j]) < 1e-10 * scale);
    }
    free(twice);
    /* the mean stays; every class's mean is the same */
    double *mean = calloc((size_t)d, sizeof(double)), *erased_mean = calloc((size_t)d,
                                                                            sizeof(double));
    double *cls = calloc((size_t)k * (size_t)d, sizeof(double));
    long *count = calloc((size_t)k, sizeof(long));
    for (long i = 0; i < n; i++) {
        count[s->y[i]]++;
        for (int j = 0; j < d; j++) {
            mean[j] += s->x[i * d + j] / (double)n;
            erased_mean[j] += xe[i * d + j] / (double)n;
            cls[s->y[i] * d + j] += xe[i * d + j];
        }
    }
    for (int j = 0; j < d; j++) {
        assert_true(fabs(mean[j] - erased_mean[j]) < 1e-10);
        for (int c = 0; c < k; c++)
            if (!(fabs(cls[c * d + j] / (double)count[c] - erased_mean[j]) < 1e-10))
                fail_msg("class %d's mean at %d: %.15g, the overall %.15g", c, j,
                         cls[c * d + j] / (double)count[c], erased_mean[j]);
    }
    /* X - r(X) has rank <= k - 1 */
    double *diff = malloc(sizeof(double) * (size_t)n * (size_t)d);
    for (long i = 0; i < n * d; i++)
        diff[i] = s->x[i] - xe[i];
    double *sv = singular_values(diff, (int)n, d);
    assert_true(sv[k - 2] > 1e-3 * sv[0]);
    for (int i = k - 1; i < d; i++)
        assert_true(sv[i] < 1e-10 * sv[0]);
    /* a logistic probe finds nothing to read */
    iv_labelled v = view(s);
    iv_probe before, after;
    iv_error err;
    assert_int_equal(iv_probe_logistic(&v, 1e-6, NULL, &before, &err), 0);
    assert_int_equal(iv_probe_logistic(&v, 1e-6, e, &after, &err), 0);
    size_t nw = (size_t)before.rows * (size_t)d;
    if (!(max_abs(before.w, nw) > 0.05 && max_abs(after.w, nw) < 1e-4))
        fail_msg("max |w|: %g before LEACE, %g after", max_abs(before.w, nw),
                 max_abs(after.w, nw));
    iv_probe_free(&before);
    iv_probe_free(&after);
    free(sv);
    free(diff);
    free(mean);
    free(erased_mean);
    free(cls);
    free(count);
    free(xe);
}

static void test_leace_binary(void **state)
{
    (void)state;
    const double shift[6] = {0.8, -0.3, 0.5, 0, 0.4, -0.6};
    dataset s = gaussian_classes(2000, 6, 2, shift, 0.6, 200);
    iv_labelled v = view(&s);
    iv_lowrank e;
    iv_error err;
    assert_int_equal(iv_leace_fit(&v, &e, &err), 0);
    check_leace(&s, &e);
    /* the closed form: L R^T = delta w^T / (w^T delta), w = Sigma^-1 delta */
    int d = 6;
    double mu[6] = {0}, m0[6] = {0}, m1[6] = {0}, cov[36] = {0}, delta[6], w[6];
    long n1 = 0;
    for (long i = 0; i < s.n; i++) {
        n1 += s.y[i];
        for (int j = 0; j < d; j++) {
            mu[j] += s.x[i * d + j] / (double)s.n;
            (s.y[i] ? m1 : m0)[j] += s.x[i * d + j];
        }
    }
    for (int j = 0; j < d; j++)
        delta[j] = w[j] = m1[j] / (double)n1 - m0[j] / (double)(s.n - n1);
    for (long i = 0; i < s.n; i++)
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                cov[a * d + b] += (s.x[i * d + a] - mu[a]) * (s.x[i * d + b] - mu[b]) /
                                  (double)(s.n - 1);
    lapack_int piv[6];
    assert_int_equal(LAPACKE_dgesv(LAPACK_ROW_MAJOR, d, 1, cov, d, piv, w, 1), 0);
    double wd = row_dot(w, delta, d);
    double *p = projection_of(&e);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            assert_true(fabs((i == j) - p[i * d + j] - delta[i] * w[j] / wd) < 1e-10);
    for (int j = 0; j < d; j++)
        assert_true(fabs(e.mu[j] - mu[j]) < 1e-12);
    /* in place on float rows: what the double map gives, rounded */
    double *xe = erased(&s, &e);
    assert_int_equal(iv_lowrank_apply_rows(&e, s.x, s.n, d, &err), 0);
    for (long i = 0; i < s.n * d; i++)
        assert_true(fabs(s.x[i] - xe[i]) <= 1e-6 * fmax(1, fabs(xe[i])));
    free(xe);
    free(p);
    iv_lowrank_free(&e);
    dataset_free(&s);
}

static void test_leace_three_classes(void **state)
{
    (void)state;
    const double shift[5] = {0.7, 0.2, -0.5, 0.9, 0};
    dataset s = gaussian_classes(3000, 5, 3, shift, 0.4, 300);
    /* class 2 off the line of 0 and 1: the class means span two directions */
    for (long i = 0; i < s.n; i++)
        if (s.y[i] == 2)
            s.x[i * 5 + 4] += 1.5f;
    iv_labelled v = view(&s);
    iv_lowrank e;
    iv_error err;
    assert_int_equal(iv_leace_fit(&v, &e, &err), 0);
    check_leace(&s, &e);
    iv_lowrank_free(&e);
    dataset_free(&s);
}

/* A column repeated and a constant one: Sigma is singular, and the pseudo-inverse root (eigenvalues
 * at rounding level left out) still erases the class exactly. */
static void test_leace_singular_covariance(void **state)
{
    (void)state;
    const double shift[6] = {0.9, 0.4, -0.7, 0, 0, 0.5};
    dataset s = gaussian_classes(1500, 6, 2, shift, 0.3, 250);
    for (long i = 0; i < s.n; i++) {
        s.x[i * 6 + 3] = s.x[i * 6 + 0];
        s.x[i * 6 + 4] = -2.25f;
    }
    iv_labelled v = view(&s);
    iv_lowrank e;
    iv_error err;
    assert_int_equal(iv_leace_fit(&v, &e, &err), 0);
    check_leace(&s, &e);
    iv_lowrank_free(&e);
    dataset_free(&s);
}

/* Every +-1 pattern of 4 coordinates, 8 times: the mean is 0 and Sigma = (128 / 127) I exactly, so
 * one INLP ridge step removes what LEACE removes. */
static void test_leace_is_inlp_when_isotropic(void **state)
{
    (void)state;
    int d = 4;
    dataset s = dataset_new(128, d, 2);
    for (long i = 0; i < s.n; i++) {
        int bits = (int)(i % 16), sum = 0;
        for (int j = 0; j < d; j++) {
            s.x[i * d + j] = bits >> j & 1 ? 1.0f : -1.0f;
            sum += j < 3 ? (int)s.x[i * d + j] : 0;
        }
        s.y[i] = sum > 0;
    }
    iv_labelled v = view(&s);
    iv_lowrank leace, inlp;
    iv_error err;
    assert_int_equal(iv_leace_fit(&v, &leace, &err), 0);
    iv_inlp_options o;
    iv_inlp_options_default(&o);
    o.iterations = 1;
    iv_inlp_result r;
    assert_int_equal(iv_inlp_fit(&v, &v, &o, &r, &err), 0);
    assert_int_equal(r.steps, 1);
    assert_true(r.step[0].removed);
    assert_int_equal(iv_inlp_eraser(&r, 1, &inlp, &err), 0);
    assert_int_equal(inlp.r, 1);
    assert_int_equal(leace.r, 1);
    double *pl = projection_of(&leace), *pi = projection_of(&inlp);
    for (int i = 0; i < d * d; i++)
        if (!(fabs(pl[i] - pi[i]) < 1e-12))
            fail_msg("entry %d: LEACE %.15g, INLP %.15g", i, pl[i], pi[i]);
    /* the direction is (1, 1, 1, 0) / sqrt 3 */
    assert_true(fabs(fabs(inlp.l[0]) - 1 / sqrt(3)) < 1e-12 && fabs(inlp.l[3]) < 1e-12);
    free(pl);
    free(pi);
    iv_lowrank_free(&leace);
    iv_lowrank_free(&inlp);
    iv_inlp_result_free(&r);
    dataset_free(&s);
}

/* ---- PCA -------------------------------------------------------------------------------------- */

static void test_pca(void **state)
{
    (void)state;
    /* axes: the columns of the reflection Q = I - 2 v v^T / |v|^2, variances 9, 4, 1, 0.25, 0.04 */
    int d = 5;
    const double v[5] = {1, 2, -1, 0.5, 3}, sd[5] = {3, 2, 1, 0.5, 0.2};
    double q[25], vv = row_dot(v, v, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            q[i * d + j] = (i == j) - 2 * v[i] * v[j] / vv;
    long n = 20000;
    float *x = malloc(sizeof(float) * (size_t)n * (size_t)d);
    iv_rng rng;
    iv_rng_seed(&rng, 400);
    for (long i = 0; i < n; i++) {
        double g[5];
        for (int a = 0; a < d; a++)
            g[a] = sd[a] * iv_rng_normal(&rng);
        for (int j = 0; j < d; j++) {
            double s = 1.5; /* an offset the mean takes */
            for (int a = 0; a < d; a++)
                s += q[j * d + a] * g[a];
            x[i * d + j] = (float)s;
        }
    }
    iv_pca p;
    iv_error err;
    assert_int_equal(iv_pca_fit(x, n, d, d, &p, &err), 0);
    double sum = 0;
    for (int c = 0; c < d; c++) {
        sum += p.fraction[c];
        double axis[5];
        for (int j = 0; j < d; j++)
            axis[j] = q[j * d + c];
        double cosine = fabs(row_dot(axis, p.components + c * d, d));
        if (!(cosine > 0.999))
            fail_msg("component %d: |cos| %g to its axis", c, cosine);
        assert_true(fabs(p.variance[c] / (sd[c] * sd[c]) - 1) < 0.05);
        if (c)
            assert_true(p.variance[c] <= p.variance[c - 1]);
        assert_true(fabs(row_dot(p.components + c * d, p.components + c * d, d) - 1) < 1e-12);
    }
    assert_true(fabs(sum - 1) < 1e-12);
    /* the coordinates along the components: mean 0, each one's variance its component's */
    iv_pca top;
    assert_int_equal(iv_pca_fit(x, n, d, 2, &top, &err), 0);
    double *coord = malloc(sizeof(double) * (size_t)n * 2);
    assert_int_equal(iv_pca_project(&top, x, n, d, coord, &err), 0);
    for (int c = 0; c < 2; c++) {
        double m = 0, var = 0;
        for (long i = 0; i < n; i++)
            m += coord[i * 2 + c] / (double)n;
        for (long i = 0; i < n; i++)
            var += (coord[i * 2 + c] - m) * (coord[i * 2 + c] - m) / (double)(n - 1);
        assert_true(fabs(m) < 1e-10);
        assert_true(fabs(var / top.variance[c] - 1) < 1e-9);
    }
    test_expect_error(iv_pca_project(&top, x, n, 4, coord, &err), &err, "d=4");
    free(coord);
    iv_pca_free(&top);
    iv_pca_free(&p);
    free(x);
}

/* ---- bad input -------------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
    (void)state;
    const double shift[4] = {1, 0, 0, 0};
    dataset s = gaussian_classes(100, 3, 2, shift, 0, 500);
    dataset other = gaussian_classes(50, 4, 2, shift, 0, 501);
    iv_labelled v = view(&s), ov = view(&other);
    iv_inlp_options o;
    iv_inlp_options_default(&o);
    iv_inlp_result r;
    iv_lowrank e;
    iv_pca p;
    iv_error err;
    test_expect_error(iv_inlp_fit(&v, &ov, &o, &r, &err), &err,
                 "held-out: d=4 columns, the training rows have 3");
    iv_labelled k3 = v;
    k3.k = 3;
    test_expect_error(iv_inlp_fit(&v, &k3, &o, &r, &err), &err, "held-out: k=3 classes");
    iv_labelled one = v;
    one.n = 1;
    test_expect_error(iv_inlp_fit(&one, &v, &o, &r, &err), &err, "train: n=1 row");
    test_expect_error(iv_leace_fit(&one, &e, &err), &err, "n=1 row");
    iv_labelled k1 = v;
    k1.k = 1;
    test_expect_error(iv_leace_fit(&k1, &e, &err), &err, "k=1 classes");
    test_expect_error(iv_inlp_fit(&k1, &k1, &o, &r, &err), &err, "k=1 classes");
    iv_labelled d0 = v;
    d0.d = 0;
    test_expect_error(iv_leace_fit(&d0, &e, &err), &err, "d=0 columns");
    test_expect_error(iv_pca_fit(s.x, s.n, 0, 1, &p, &err), &err, "d=0 columns");
    test_expect_error(iv_pca_fit(s.x, 1, 3, 1, &p, &err), &err, "n=1 row");
    test_expect_error(iv_pca_fit(s.x, s.n, 3, 0, &p, &err), &err, "k=0: expected 1 to 3 components");
    test_expect_error(iv_pca_fit(s.x, s.n, 3, 4, &p, &err), &err, "k=4");
    o.iterations = 0;
    test_expect_error(iv_inlp_fit(&v, &v, &o, &r, &err), &err, "iterations=0");
    iv_inlp_options_default(&o);
    o.eps = NAN;
    test_expect_error(iv_inlp_fit(&v, &v, &o, &r, &err), &err, "eps=nan");
    iv_inlp_options_default(&o);
    o.classifier = IV_PROBE_LOGISTIC;
    o.lambda = 0;
    test_expect_error(iv_inlp_fit(&v, &v, &o, &r, &err), &err, "lambda=0");
    iv_inlp_options_default(&o);
    s.x[7] = NAN;
    test_expect_error(iv_leace_fit(&v, &e, &err), &err, "row 2 column 1 is nan");
    test_expect_error(iv_inlp_fit(&v, &v, &o, &r, &err), &err, "row 2 column 1 is nan");
    test_expect_error(iv_pca_fit(s.x, s.n, 3, 1, &p, &err), &err, "row 2 column 1 is nan");
    s.x[7] = 0;
    assert_int_equal(iv_inlp_fit(&v, &v, &o, &r, &err), 0);
    test_expect_error(iv_inlp_eraser(&r, r.steps + 1, &e, &err), &err, "upto=");
    test_expect_error(iv_inlp_eraser(&r, -1, &e, &err), &err, "upto=-1");
    iv_inlp_result_free(&r);
    assert_int_equal(iv_leace_fit(&v, &e, &err), 0);
    test_expect_error(iv_lowrank_apply_rows(&e, other.x, other.n, 4, &err), &err,
                 "d=4: the rows have 4 columns, the eraser 3");
    iv_lowrank_free(&e);
    dataset_free(&s);
    dataset_free(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inlp_ridge),
        cmocka_unit_test(test_inlp_logistic),
        cmocka_unit_test(test_inlp_three_classes),
        cmocka_unit_test(test_inlp_nonlinear),
        cmocka_unit_test(test_leace_binary),
        cmocka_unit_test(test_leace_three_classes),
        cmocka_unit_test(test_leace_singular_covariance),
        cmocka_unit_test(test_leace_is_inlp_when_isotropic),
        cmocka_unit_test(test_pca),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
