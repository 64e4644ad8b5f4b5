/* test_gpt2_concepts.c - probes, INLP, LEACE, PCA and IIA at one position of a transformer's site
 * (SITE[pos=P]), on the tiny-max sample and its 100 prompts "X Y =", each against an oracle
 * computed here from the model's own activations (a forward pass, or the workspace's pass under its
 * interventions), with labels computed here from the prompts' tokens:
 * - LEACE at a position makes the class means of the values there equal on the rows it was fitted
 *   on, and leaves every other position of the site exactly as it was; a new fit there replaces it,
 *   and the saved session replays to the very same values;
 * - a probe at a position is the probe library's fit on the matrix of the values there, not the
 *   whole site's;
 * - after INLP at a position, fresh linear probes on the values there score at the majority rate;
 * - PCA at a position gives the top eigenvalue of the covariance of the values there (Jacobi);
 * - IIA of a variable aligned with one position is the share of pairs that patch by hand agrees on;
 * - what is refused: positions of a site that has none, heads, neurons, ranges, out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "commands.h"
#include "concepts.h"
#include "formats/formats.h"
#include "support.h"

#define POS 2 /* the position the tests read: the prompt's last, "=" */

static const char *srcdir(void) { return getenv("srcdir") ? getenv("srcdir") : "."; }

/* tiny-max with three labels of its prompts t0 t1 "=": a = (t0 >= 5), big = (t0 > t1) and
 * top = (max(t0, t1) >= 7), the answer's. */
static iv_workspace *open_tiny_max(void)
{
    char *path = iv_xasprintf("%s/sample_models/tiny-max", srcdir());
    iv_error err;
    iv_model *m = iv_model_load(path, &err);
    free(path);
    if (!m)
        fail_msg("%s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    assert_non_null(ws);
    test_run(ws, "label a = t0 >= 5; label big = t0 > t1; label top = (t0 > t1 ? t0 : t1) >= 7");
    return ws;
}

/* The classes of the labels above, from the prompts' tokens. */
static int *classes_of(const iv_workspace *ws, const char *label)
{
    long n = ws->data->n;
    int *y = malloc(sizeof(int) * (size_t)n);
    for (long r = 0; r < n; r++) {
        const float *t = ws->data->x + r * ws->model->n_inputs;
        y[r] = strcmp(label, "a") == 0     ? t[0] >= 5
               : strcmp(label, "big") == 0 ? t[0] > t[1]
                                           : fmaxf(t[0], t[1]) >= 7;
    }
    return y;
}

/* The site's values over the dataset in a clean forward pass. */
static iv_acts *clean_pass(const iv_workspace *ws)
{
    iv_error err;
    iv_acts *a = iv_acts_new(ws->model, ws->data->n, &err);
    assert_non_null(a);
    iv_forward(ws->model, ws->data->x, a, NULL, NULL);
    return a;
}

/* The same under the workspace's interventions. */
static iv_acts *intervened_pass(iv_workspace *ws)
{
    iv_error err;
    iv_acts *a = iv_workspace_run_data(ws, ws->list, ws->count, &err);
    if (!a)
        fail_msg("%s", err.msg);
    return a;
}

static int site_of(const iv_workspace *ws, const char *name)
{
    int s = iv_model_site_find(ws->model, name);
    assert_true(s >= 0);
    return s;
}

/* The values at position p of a site with a value per position (n, inner): the slice, taken here
 * from the (positions, inner) layout of each row. */
static float *slice_at(const iv_acts *a, const iv_model *m, int site, int p)
{
    const iv_site *s = &m->sites[site];
    int d = s->inner, w = s->width;
    float *x = malloc(sizeof(float) * (size_t)a->n * (size_t)d);
    for (long r = 0; r < a->n; r++)
        memcpy(x + r * d, a->site[site] + r * w + (long)p * d, sizeof(float) * (size_t)d);
    return x;
}

/* Rows `rows` of x (n, d) and their classes. */
typedef struct part {
    float *x;
    int *y;
    long n;
} part;

static part part_of(const float *x, int d, const int *y, const long *rows, long n)
{
    part p = {malloc(sizeof(float) * (size_t)n * (size_t)d), malloc(sizeof(int) * (size_t)n), n};
    for (long i = 0; i < n; i++) {
        memcpy(p.x + i * d, x + rows[i] * d, sizeof(float) * (size_t)d);
        p.y[i] = y[rows[i]];
    }
    return p;
}

static void part_free(part *p)
{
    free(p->x);
    free(p->y);
}

/* The workspace's split of its dataset into the rows fits see and those they are scored on. */
typedef struct split {
    long *train, *test, n_train, n_test;
} split;

static split split_of(const iv_workspace *ws)
{
    split s;
    iv_split_rows(ws, ws->data->n, &s.train, &s.n_train, &s.test, &s.n_test);
    return s;
}

static void split_free(split *s)
{
    free(s->train);
    free(s->test);
}

static double majority_of(const part *p)
{
    long ones = 0;
    for (long i = 0; i < p->n; i++)
        ones += p->y[i];
    return (double)(ones > p->n - ones ? ones : p->n - ones) / (double)p->n;
}

/* The largest difference between the two classes' means, over the columns of x (n, d). */
static double class_mean_gap(const part *p, int d)
{
    double worst = 0;
    for (int j = 0; j < d; j++) {
        double sum[2] = {0, 0};
        long count[2] = {0, 0};
        for (long i = 0; i < p->n; i++) {
            sum[p->y[i]] += p->x[i * d + j];
            count[p->y[i]]++;
        }
        worst = fmax(worst, fabs(sum[1] / count[1] - sum[0] / count[0]));
    }
    return worst;
}

static double rms(const float *x, long n)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / n);
}

/* Whether the values of site at every position but p are the same bits in a and b. */
static bool same_elsewhere(const iv_acts *a, const iv_acts *b, const iv_model *m, int site, int p)
{
    const iv_site *s = &m->sites[site];
    for (long r = 0; r < a->n; r++)
        for (int q = 0; q < s->positions; q++) {
            size_t at = (size_t)(r * s->width + (long)q * s->inner);
            if (q != p && memcmp(a->site[site] + at, b->site[site] + at,
                                 sizeof(float) * (size_t)s->inner) != 0)
                return false;
        }
    return true;
}

static bool same_site(const iv_acts *a, const iv_acts *b, int site)
{
    return memcmp(a->site[site], b->site[site], sizeof(float) * (size_t)(a->n * a->width[site])) ==
           0;
}

static iv_addr addr_of(const iv_workspace *ws, const char *text)
{
    iv_addr a;
    iv_error err;
    if (iv_addr_parse(ws->model, text, &a, &err) < 0)
        fail_msg("%s", err.msg);
    return a;
}

static const char *string_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    if (!v)
        fail_msg("no %s in the result", key);
    return json_object_get_string(v);
}

static double number_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    if (!v)
        fail_msg("no %s in the result", key);
    return json_object_get_double(v);
}

/* ---- LEACE ----------------------------------------------------------------------------------- */

/* After LEACE at resid1[pos=2]: the class means there are equal on the rows it was fitted on (to
 * 1e-5 of the values' size, from far apart), every other position of resid1 is bit for bit the
 * clean one while the erased position moved; a fit at the same position (-1 is the same one)
 * replaces it, one over the whole site does not; toggled and saved, the session replays to the
 * same values at every site. */
static void test_leace_at_a_position(void **state)
{
    (void)state;
    iv_workspace *ws = open_tiny_max();
    const iv_model *m = ws->model;
    json_object *got = test_result(ws, "leace resid1[pos=2] big", IV_RESULT_ERASURE);
    assert_string_equal(string_of(got, "leace"), "blocks.0.hook_resid_post[pos=2]");
    assert_int_equal((int)number_of(got, "width"), m->sites[site_of(ws, "resid1")].inner);
    json_object_put(got);
    assert_int_equal(ws->count, 1);
    iv_addr want = addr_of(ws, "resid1[pos=2]");
    assert_true(iv_addr_equal(&ws->list[0].addr, &want));

    int site = site_of(ws, "resid1"), d = m->sites[site].inner;
    iv_acts *clean = clean_pass(ws), *erased = intervened_pass(ws);
    assert_true(same_elsewhere(clean, erased, m, site, POS));
    assert_false(same_site(clean, erased, site));
    int *y = classes_of(ws, "big");
    split sp = split_of(ws);
    float *before = slice_at(clean, m, site, POS), *after = slice_at(erased, m, site, POS);
    part fit_before = part_of(before, d, y, sp.train, sp.n_train);
    part fit_after = part_of(after, d, y, sp.train, sp.n_train);
    double scale = rms(fit_before.x, fit_before.n * d);
    assert_true(class_mean_gap(&fit_before, d) > 1e-2 * scale);
    double gap = class_mean_gap(&fit_after, d);
    if (!(gap <= 1e-5 * scale))
        fail_msg("the class means at the position differ by %g after LEACE (values' rms %g)", gap,
                 scale);

    /* the same position again replaces it; the whole site is another place */
    test_run(ws, "leace resid1[pos=-1] big");
    assert_int_equal(ws->count, 1);
    assert_int_equal(ws->list[0].id, 2);
    test_run(ws, "leace resid1 big; toggle 3");
    assert_int_equal(ws->count, 2);
    iv_acts *kept = intervened_pass(ws);
    assert_true(same_site(erased, kept, site)); /* the whole-site eraser is off */

    /* saved and replayed: the same interventions, the same numbers */
    char *session = iv_session_script(ws);
    assert_non_null(strstr(session, "ablate blocks.0.hook_resid_post[pos=2] project rank=1 "));
    iv_error err;
    iv_model *again = iv_model_load(ws->model->path, &err);
    assert_non_null(again);
    iv_workspace *replay = iv_workspace_new(again, &err);
    assert_non_null(replay);
    test_run(replay, session);
    assert_int_equal(replay->count, 2);
    assert_true(iv_addr_equal(&replay->list[0].addr, &want));
    assert_false(replay->list[1].enabled);
    iv_acts *replayed = intervened_pass(replay);
    for (int s = 0; s < m->n_sites; s++)
        if (!same_site(kept, replayed, s))
            fail_msg("the replayed session differs at %s", m->sites[s].name);
    /* on again in both, the whole-site eraser acts the same too */
    test_run(ws, "toggle 3");
    test_run(replay, "toggle 2");
    iv_acts *on = intervened_pass(ws), *on_replayed = intervened_pass(replay);
    assert_false(same_site(on, kept, site));
    for (int s = 0; s < m->n_sites; s++)
        assert_true(same_site(on, on_replayed, s));

    iv_acts_free(on);
    iv_acts_free(on_replayed);
    iv_acts_free(replayed);
    iv_workspace_free(replay);
    free(session);
    iv_acts_free(kept);
    part_free(&fit_before);
    part_free(&fit_after);
    free(before);
    free(after);
    split_free(&sp);
    free(y);
    iv_acts_free(clean);
    iv_acts_free(erased);
    iv_addr_clear(&want);
    iv_workspace_free(ws);
}

/* ---- probes ----------------------------------------------------------------------------------- */

/* probe resid1[pos=2] a is the logistic probe (lambda 1) the library fits on the values at that
 * position of the split's rows, with its accuracy on the held-out ones; pos=-1 names the same
 * position; the whole site's probe is another (over every position), and steering by the kept
 * probe takes its direction at that position only. */
static void test_probe_at_a_position(void **state)
{
    (void)state;
    iv_workspace *ws = open_tiny_max();
    const iv_model *m = ws->model;
    int site = site_of(ws, "resid1"), d = m->sites[site].inner;
    json_object *got = test_result(ws, "probe resid1[pos=2] a", IV_RESULT_PROBE);
    assert_string_equal(string_of(got, "probe"), "blocks.0.hook_resid_post[pos=2]");

    iv_acts *clean = clean_pass(ws);
    float *x = slice_at(clean, m, site, POS);
    int *y = classes_of(ws, "a");
    split sp = split_of(ws);
    part train = part_of(x, d, y, sp.train, sp.n_train), test = part_of(x, d, y, sp.test, sp.n_test);
    iv_labelled tr = {train.x, train.y, train.n, d, 2}, te = {test.x, test.y, test.n, d, 2};
    iv_probe want;
    iv_error err;
    assert_int_equal(iv_probe_logistic(&tr, 1.0, NULL, &want, &err), 0);
    double acc;
    assert_int_equal(iv_probe_accuracy(&want, &te, NULL, &acc, &err), 0);
    assert_true(number_of(got, "holdout_accuracy") == acc);
    double norm = 0;
    for (int j = 0; j < d; j++)
        norm += want.w[j] * want.w[j];
    assert_true(fabs(number_of(got, "weight_norm") - sqrt(norm)) <= 1e-6 * sqrt(norm));
    json_object_put(got);

    iv_addr at = addr_of(ws, "resid1[pos=2]");
    const iv_probe *p = iv_concepts_probe_at(ws, &at);
    assert_non_null(p);
    assert_int_equal(p->d, d);
    for (int j = 0; j < d; j++)
        if (!(fabs(p->w[j] - want.w[j]) <= 1e-9 * (1 + fabs(want.w[j]))))
            fail_msg("weight %d: %g, fitted here %g", j, p->w[j], want.w[j]);
    assert_true(fabs(p->b[0] - want.b[0]) <= 1e-9 * (1 + fabs(want.b[0])));

    /* the kept probe steers at its position, and only there */
    json_object *steer = test_result(ws, "steer resid1[pos=2] probe", IV_RESULT_STEER);
    json_object *v = json_object_object_get(steer, "vector");
    for (int j = 0; j < d; j++)
        assert_true(fabs(json_object_get_double(json_object_array_get_idx(v, j)) -
                         want.w[j] / sqrt(norm)) <= 1e-6);
    json_object_put(steer);
    assert_non_null(strstr(test_run_fails(ws, "steer resid1[pos=1] probe"),
                           "was fitted at blocks.0.hook_resid_post[pos=2], which does not hold "
                           "every value of blocks.0.hook_resid_post[pos=1]"));
    test_run(ws, "clear");

    /* the last position counted from the end is the same one */
    double again = test_number(ws, "probe resid1[pos=-1] a", IV_RESULT_PROBE, "weight_norm");
    assert_true(again == test_number(ws, "probe resid1[pos=2] a", IV_RESULT_PROBE, "weight_norm"));

    /* the whole site's probe reads every position: other weights, and more of them */
    test_run(ws, "probe resid1 a");
    iv_addr all = addr_of(ws, "resid1");
    const iv_probe *whole = iv_concepts_probe_at(ws, &all);
    assert_non_null(whole);
    assert_null(iv_concepts_probe_at(ws, &at));
    assert_int_equal(whole->d, m->sites[site].width);
    double apart = 0;
    for (int j = 0; j < d; j++)
        apart = fmax(apart, fabs(whole->w[POS * d + j] - want.w[j]));
    assert_true(apart > 1e-3);

    iv_addr_clear(&all);
    iv_addr_clear(&at);
    iv_probe_free(&want);
    part_free(&train);
    part_free(&test);
    split_free(&sp);
    free(y);
    free(x);
    iv_acts_free(clean);
    iv_workspace_free(ws);
}

/* ---- INLP ------------------------------------------------------------------------------------- */

/* inlp resid1[pos=2] top: its first probe reads the label well above chance, its last scores at the
 * majority rate on the held-out rows; with the eraser on, fresh ridge and logistic probes fitted
 * here on the values at that position score at the held-out majority rate too (within one row of
 * twenty: the eraser's values are rounded to float, the loop's are not), and every other position
 * of the site is as it was. */
static void test_inlp_at_a_position(void **state)
{
    (void)state;
    iv_workspace *ws = open_tiny_max();
    const iv_model *m = ws->model;
    int site = site_of(ws, "resid1"), d = m->sites[site].inner;
    json_object *got = test_result(ws, "inlp resid1[pos=2] top", IV_RESULT_ERASURE);
    assert_string_equal(string_of(got, "inlp"), "blocks.0.hook_resid_post[pos=2]");
    double majority = number_of(got, "majority");
    json_object *record = json_object_object_get(got, "record");
    size_t steps = json_object_array_length(record);
    assert_true(steps >= 2);
    double first = number_of(json_object_array_get_idx(record, 0), "holdout_accuracy");
    double last = number_of(json_object_array_get_idx(record, steps - 1), "holdout_accuracy");
    assert_true(first >= majority + 0.2);
    assert_true(last <= majority + 0.01 + 1e-12);
    assert_true(number_of(got, "rank_removed") >= 1);
    json_object_put(got);
    assert_int_equal(ws->count, 1);

    iv_acts *clean = clean_pass(ws), *erased = intervened_pass(ws);
    assert_true(same_elsewhere(clean, erased, m, site, POS));
    float *x = slice_at(erased, m, site, POS);
    int *y = classes_of(ws, "top");
    split sp = split_of(ws);
    part train = part_of(x, d, y, sp.train, sp.n_train), test = part_of(x, d, y, sp.test, sp.n_test);
    assert_true(fabs(majority_of(&test) - majority) < 1e-12);
    iv_labelled tr = {train.x, train.y, train.n, d, 2}, te = {test.x, test.y, test.n, d, 2};
    iv_error err;
    for (int kind = 0; kind < 2; kind++) {
        iv_probe p;
        int rc = kind == 0 ? iv_probe_ridge(&tr, 1.0, NULL, &p, &err)
                           : iv_probe_logistic(&tr, 1.0, NULL, &p, &err);
        assert_int_equal(rc, 0);
        double acc;
        assert_int_equal(iv_probe_accuracy(&p, &te, NULL, &acc, &err), 0);
        if (!(acc <= majority + 0.05 + 1e-12))
            fail_msg("a fresh %s probe after INLP scores %g, the majority rate %g",
                     kind ? "logistic" : "ridge", acc, majority);
        iv_probe_free(&p);
    }
    part_free(&train);
    part_free(&test);
    split_free(&sp);
    free(y);
    free(x);
    iv_acts_free(clean);
    iv_acts_free(erased);
    iv_workspace_free(ws);
}

/* ---- PCA -------------------------------------------------------------------------------------- */

/* The eigenvalues of a symmetric d x d matrix a (destroyed), by cyclic Jacobi rotations. */
static void jacobi_eigenvalues(double *a, int d, double *lambda)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
                off += a[i * d + j] * a[i * d + j];
        if (off < 1e-30)
            break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                if (a[p * d + q] == 0)
                    continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) { /* columns p and q */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) { /* rows p and q */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < d; i++)
        lambda[i] = a[i * d + i];
}

/* pca resid1[pos=2]: its first component's variance and share of the total are the largest
 * eigenvalue of the covariance (n - 1) of the values at that position, over the trace; an eraser
 * at another position of the site leaves those values, so nothing is drawn as erased, and one at
 * that position is. */
static void test_pca_at_a_position(void **state)
{
    (void)state;
    iv_workspace *ws = open_tiny_max();
    const iv_model *m = ws->model;
    int site = site_of(ws, "resid1"), d = m->sites[site].inner;
    long n = ws->data->n;
    json_object *got = test_result(ws, "pca resid1[pos=2] a k=3", IV_RESULT_PCA);
    assert_string_equal(string_of(got, "pca"), "blocks.0.hook_resid_post[pos=2]");
    iv_acts *clean = clean_pass(ws);
    float *x = slice_at(clean, m, site, POS);
    double *mean = calloc((size_t)d, sizeof(double)), *cov = calloc((size_t)d * d, sizeof(double));
    double *lambda = malloc(sizeof(double) * (size_t)d);
    for (long r = 0; r < n; r++)
        for (int j = 0; j < d; j++)
            mean[j] += x[r * d + j] / (double)n;
    for (long r = 0; r < n; r++)
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                cov[i * d + j] += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]) / (n - 1);
    double trace = 0, top = -1;
    for (int i = 0; i < d; i++)
        trace += cov[i * d + i];
    jacobi_eigenvalues(cov, d, lambda);
    for (int i = 0; i < d; i++)
        top = fmax(top, lambda[i]);
    double variance = json_object_get_double(
        json_object_array_get_idx(json_object_object_get(got, "variance"), 0));
    double explained = json_object_get_double(
        json_object_array_get_idx(json_object_object_get(got, "explained"), 0));
    if (!(fabs(variance - top) <= 1e-9 * top && fabs(explained - top / trace) <= 1e-9))
        fail_msg("PC1: variance %.12g (%.12g of the total); the covariance's top eigenvalue "
                 "%.12g (%.12g)", variance, explained, top, top / trace);
    assert_null(json_object_object_get(got, "erased_points"));
    json_object_put(got);

    got = test_result(ws, "leace resid1[pos=1] a; pca resid1[pos=2] a", IV_RESULT_PCA);
    assert_null(json_object_object_get(got, "erased_points"));
    json_object_put(got);
    got = test_result(ws, "leace resid1[pos=2] a; pca resid1[pos=2] a", IV_RESULT_PCA);
    assert_non_null(json_object_object_get(got, "erased_points"));
    const char *by = string_of(got, "erased_by");
    assert_non_null(strstr(by, "[pos=2]"));
    assert_null(strstr(by, "[pos=1]"));
    json_object_put(got);

    free(mean);
    free(cov);
    free(lambda);
    free(x);
    iv_acts_free(clean);
    iv_workspace_free(ws);
}

/* ---- IIA -------------------------------------------------------------------------------------- */

/* Sets resid1 at one position of every row to one source row's clean values there. */
typedef struct patching {
    int site, pos, inner;
    const float *source; /* (width) the source's clean values at the site */
} patching;

static void patch_hook(int site, float *v, long rows, int width, void *user)
{
    const patching *p = user;
    if (site != p->site)
        return;
    for (long r = 0; r < rows; r++)
        memcpy(v + r * width + (long)p->pos * p->inner, p->source + (long)p->pos * p->inner,
               sizeof(float) * (size_t)p->inner);
}

static int argmax(const float *y, int n)
{
    int top = 0;
    for (int k = 1; k < n; k++)
        top = y[k] > y[top] ? k : top;
    return top;
}

/* align m resid1[pos=2] for m = max(t0, t1): over every ordered pair of prompts, the share whose
 * next token with resid1 at position 2 patched from the source (by hand here, one forward pass
 * per source) is the source's max, as the causal model says. */
static void test_iia_at_a_position(void **state)
{
    (void)state;
    iv_workspace *ws = open_tiny_max();
    const iv_model *m = ws->model;
    test_run(ws, "causal \"m = t0 > t1 ? t0 : t1\"; align m resid1[pos=2]");
    json_object *got = test_result(ws, "iia", IV_RESULT_IIA);
    long n = ws->data->n;
    assert_int_equal((long)number_of(got, "pairs"), n * n);
    int site = site_of(ws, "resid1"), out = iv_model_output_site(m), off, V;
    iv_model_prediction(m, &off, &V);
    iv_acts *clean = clean_pass(ws), *patched = clean_pass(ws);
    long agree = 0;
    for (long s = 0; s < n; s++) {
        patching p = {site, POS, m->sites[site].inner, clean->site[site] + s * m->sites[site].width};
        iv_forward(m, ws->data->x, patched, patch_hook, &p);
        const float *src = ws->data->x + s * m->n_inputs;
        int expected = (int)(src[0] > src[1] ? src[0] : src[1]);
        for (long b = 0; b < n; b++)
            agree += argmax(patched->site[out] + b * m->sites[out].width + off, V) == expected;
    }
    assert_int_equal((long)number_of(got, "agree"), agree);
    assert_true(fabs(number_of(got, "iia") - (double)agree / (double)(n * n)) < 1e-12);
    assert_true(agree < n * n); /* the other positions still carry the base's tokens */
    json_object_put(got);
    iv_acts_free(clean);
    iv_acts_free(patched);
    iv_workspace_free(ws);
}

/* ---- what is refused ------------------------------------------------------------------------- */

static void expect_refused(iv_workspace *ws, const char *line, const char *says)
{
    const char *msg = test_run_fails(ws, line);
    if (!strstr(msg, says))
        fail_msg("'%s' says '%s', not '%s'", line, msg, says);
    assert_null(strchr(msg, '\n'));
}

/* A position of a site without positions (the max network's layers), heads, neurons, a range of
 * positions and a position out of range are each refused in one line naming the argument, by
 * every command that reads a concept, and nothing is added; probe all stays whole-site. */
static void test_refused(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *mlp = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(mlp);
    test_run(mlp, "label gt = x > y");
    static const char *const commands[] = {"probe", "inlp", "leace", "compare-erasure", "pca"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        char *line = iv_xasprintf("%s h1[pos=0] gt", commands[i]);
        expect_refused(mlp, line, "'h1[pos=0]': h1 has no positions");
        free(line);
    }
    expect_refused(mlp, "probe h1[0] gt", "'h1[0]': h1 has no positions");
    assert_int_equal(mlp->count, 0);
    iv_workspace_free(mlp);

    iv_workspace *ws = open_tiny_max();
    static const struct {
        const char *line, *says;
    } cases[] = {
        {"probe resid1[pos=3] a", "resid1[pos=3]: no position 3 (there are 3: 0 to 2, or -1 for "
                                  "the last)"},
        {"leace resid1[pos=-4] a", "resid1[pos=-4]: no position -4"},
        {"inlp resid1[pos=x] a", "'resid1[pos=x]': expected resid1 or resid1[pos=P]"},
        {"probe z1[pos=2, head=0] a", "'z1[pos=2, head=0]': expected z1 or z1[pos=P], the values "
                                      "at one position (not neurons, heads or a range of "
                                      "positions)"},
        {"leace z1[head=1] a", "'z1[head=1]': expected z1 or z1[pos=P]"},
        {"inlp resid1[0:4] a", "'resid1[0:4]': expected resid1 or resid1[pos=P]"},
        {"probe resid1[pos=2, 5] a", "'resid1[pos=2, 5]': expected"},
        {"pca resid1[#5]", "'resid1[#5]': expected"},
        {"compare-erasure resid1[pos=0:2] a", "'resid1[pos=0:2]': expected"},
        {"probe resid9[pos=0] a", "unknown site 'resid9'"},
        {"pca resid1[pos=2] k=33", "k=33: blocks.0.hook_resid_post[pos=2] has 32 values at that "
                                   "position"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_refused(ws, cases[i].line, cases[i].says);
    assert_int_equal(ws->count, 0);

    /* probe all reads whole sites */
    json_object *got = test_result(ws, "probe all a", IV_RESULT_PROBE);
    json_object *sites = json_object_object_get(got, "sites");
    assert_int_equal((int)json_object_array_length(sites), ws->model->n_sites);
    for (size_t i = 0; i < json_object_array_length(sites); i++) {
        json_object *row = json_object_array_get_idx(sites, i);
        assert_null(strchr(string_of(row, "site"), '['));
        assert_int_equal((int)number_of(row, "width"), ws->model->sites[i].width);
    }
    json_object_put(got);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leace_at_a_position),
        cmocka_unit_test(test_probe_at_a_position),
        cmocka_unit_test(test_inlp_at_a_position),
        cmocka_unit_test(test_pca_at_a_position),
        cmocka_unit_test(test_iia_at_a_position),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests_name("gpt2_concepts", tests, NULL, NULL);
}
