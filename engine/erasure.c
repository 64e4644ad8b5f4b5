/* erasure.c - INLP, LEACE and PCA (erasure.h). */
#include "erasure.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

/* ---- INLP -------------------------------------------------------------------------------------- */

void iv_inlp_options_default(iv_inlp_options *o)
{
    o->iterations = 10;
    o->classifier = IV_PROBE_RIDGE;
    o->lambda = 1.0;
    o->eps = 0.01;
}

static int check_options(const iv_inlp_options *o, iv_error *err)
{
    if (o->iterations < 1 || o->iterations > IV_INLP_MAX_ITERATIONS)
        return iv_error_set(err, "iterations=%d: expected a whole number from 1 to %d",
                            o->iterations, IV_INLP_MAX_ITERATIONS);
    if (o->classifier != IV_PROBE_RIDGE && o->classifier != IV_PROBE_LOGISTIC)
        return iv_error_set(err, "classifier=%d: expected ridge or logistic", (int)o->classifier);
    if (!isfinite(o->eps) || o->eps < -1 || o->eps > 1)
        return iv_error_set(err, "eps=%g: expected a number from -1 to 1", o->eps);
    return 0;
}

static int check_pair(const iv_labelled *train, const iv_labelled *heldout, iv_error *err)
{
    if (iv_labelled_check(train, 2, "train", err) < 0 ||
        iv_labelled_check(heldout, 1, "held-out", err) < 0)
        return -1;
    if (heldout->d != train->d)
        return iv_error_set(err, "held-out: d=%d columns, the training rows have %d", heldout->d,
                            train->d);
    if (heldout->k != train->k)
        return iv_error_set(err, "held-out: k=%d classes, the training rows have %d", heldout->k,
                            train->k);
    return 0;
}

/* Appends the probe's weight rows, scaled to unit length, to the stack (rows of d); a zero row
 * says nothing and is left out. The scaling keeps a small late probe from falling under orth's
 * tolerance, which is relative to the largest row. A ridge probe of k > 2 classes gives its last
 * row only in name: the one-hot targets sum to 1, so its k rows sum to 0 and any k - 1 of them span
 * the same directions; stacked, the rounding in that sum (far above orth's tolerance) would pass
 * for a direction of its own. */
static int stack_rows(double *stack, int at, const iv_probe *p)
{
    int d = p->d, rows = p->kind == IV_PROBE_RIDGE && p->rows > 1 ? p->rows - 1 : p->rows;
    for (int j = 0; j < rows; j++) {
        const double *w = p->w + (size_t)j * d;
        double norm = cblas_dnrm2(d, w, 1);
        if (!(norm > 0))
            continue;
        for (int i = 0; i < d; i++)
            stack[(size_t)at * d + i] = w[i] / norm;
        at++;
    }
    return at;
}

/* P = I - B^T B (d, d) for the first `rank` rows of b. */
static void projection_of(const double *b, int rank, int d, double *p)
{
    memset(p, 0, sizeof(double) * (size_t)d * (size_t)d);
    if (rank > 0)
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, rank, -1.0, b, d, 0.0, p, d);
    for (int i = 0; i < d; i++) {
        p[(size_t)i * d + i] += 1;
        for (int j = 0; j < i; j++)
            p[(size_t)j * d + i] = p[(size_t)i * d + j];
    }
}

/* The working state of a run: the statistics (ridge), the stack of unit weight rows removed, its
 * orthonormal basis, P, and the eraser the probes see the rows through. */
typedef struct inlp_run {
    const iv_labelled *train, *heldout;
    const iv_inlp_options *o;
    int d, stacked, cap;       /* rows in the stack, room for */
    iv_probe_stats st;
    double *stack, *p;
    double *basis;             /* (d, d) scratch: orth of the stack before it is accepted */
    iv_lowrank eraser;         /* L = R = B, mu = 0; r = the rank removed */
} inlp_run;

static void run_free(inlp_run *r)
{
    iv_probe_stats_free(&r->st);
    free(r->stack);
    free(r->p);
    free(r->basis);
    iv_lowrank_free(&r->eraser);
}

static int run_init(inlp_run *r, const iv_labelled *train, const iv_labelled *heldout,
                    const iv_inlp_options *o, iv_error *err)
{
    memset(r, 0, sizeof *r);
    r->train = train;
    r->heldout = heldout;
    r->o = o;
    r->d = train->d;
    iv_lowrank_init(&r->eraser, r->d, r->d);
    r->eraser.r = 0;
    r->basis = iv_big_alloc((size_t)r->d * (size_t)r->d, sizeof(double), "the basis removed", err);
    if (!r->basis)
        return -1;
    if (o->classifier == IV_PROBE_RIDGE) {
        if (iv_probe_stats_new(train, &r->st, err) < 0)
            return -1;
        r->p = iv_big_alloc((size_t)r->d * (size_t)r->d, sizeof(double), "the projection P", err);
        if (!r->p)
            return -1;
        projection_of(NULL, 0, r->d, r->p);
    }
    return 0;
}

static int fit_probe(inlp_run *r, iv_probe *probe, iv_error *err)
{
    const iv_lowrank *through = r->eraser.r > 0 ? &r->eraser : NULL;
    if (r->o->classifier == IV_PROBE_RIDGE)
        return iv_probe_ridge_stats(&r->st, through ? r->p : NULL, r->o->lambda, probe, err);
    return iv_probe_logistic(r->train, r->o->lambda, through, probe, err);
}

/* Adds the step's directions. *grew says whether the rank rose. */
static int remove_directions(inlp_run *r, const iv_probe *probe, bool *grew, iv_error *err)
{
    int d = r->d;
    if (r->stacked + probe->rows > r->cap) {
        int cap = r->cap ? 2 * r->cap : 4 * probe->rows;
        while (cap < r->stacked + probe->rows)
            cap *= 2;
        double *grown = iv_big_realloc(r->stack, (size_t)cap, sizeof(double) * (size_t)d,
                                       "the directions removed", err);
        if (!grown)
            return -1;
        r->stack = grown;
        r->cap = cap;
    }
    int stacked = stack_rows(r->stack, r->stacked, probe), rank;
    if (iv_la_orth(r->stack, stacked, d, r->basis, &rank, err) < 0)
        return -1;
    *grew = rank > r->eraser.r;
    if (!*grew)
        return 0; /* the step's rows lay in what was already removed: the old basis stands */
    r->stacked = stacked;
    r->eraser.r = rank;
    memcpy(r->eraser.l, r->basis, sizeof(double) * (size_t)rank * (size_t)d);
    memcpy(r->eraser.rt, r->basis, sizeof(double) * (size_t)rank * (size_t)d);
    if (r->p)
        projection_of(r->eraser.l, rank, d, r->p);
    return 0;
}

static int run_step(inlp_run *r, iv_inlp_result *out, bool *done, iv_error *err)
{
    iv_inlp_step *s = &out->step[out->steps];
    memset(s, 0, sizeof *s);
    const iv_lowrank *through = r->eraser.r > 0 ? &r->eraser : NULL;
    if (fit_probe(r, &s->probe, err) < 0)
        return -1;
    out->steps++;
    if (iv_probe_accuracy(&s->probe, r->train, through, &s->train_acc, err) < 0 ||
        iv_probe_accuracy(&s->probe, r->heldout, through, &s->heldout_acc, err) < 0)
        return -1;
    s->rank = r->eraser.r;
    if (s->heldout_acc <= out->majority + r->o->eps) {
        out->stop = IV_INLP_AT_CHANCE;
        *done = true;
        return 0;
    }
    bool grew;
    if (remove_directions(r, &s->probe, &grew, err) < 0)
        return -1;
    if (!grew) {
        out->stop = IV_INLP_NO_DIRECTION;
        *done = true;
        return 0;
    }
    s->removed = true;
    s->rank = r->eraser.r;
    return 0;
}

int iv_inlp_fit(const iv_labelled *train, const iv_labelled *heldout, const iv_inlp_options *o,
                iv_inlp_result *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_options(o, err) < 0 || check_pair(train, heldout, err) < 0)
        return -1;
    inlp_run r;
    if (run_init(&r, train, heldout, o, err) < 0) {
        run_free(&r);
        return -1;
    }
    out->d = r.d;
    out->majority = iv_majority_rate(heldout->y, heldout->n, heldout->k);
    out->stop = IV_INLP_ITERATIONS;
    out->step = iv_xcalloc((size_t)o->iterations, sizeof *out->step);
    bool done = false;
    int rc = 0;
    for (int t = 0; t < o->iterations && !done && rc == 0; t++)
        rc = run_step(&r, out, &done, err);
    if (rc == 0) {
        out->rank = r.eraser.r;
        out->basis = iv_xmalloc(sizeof(double) * (size_t)(out->rank ? out->rank : 1) *
                                (size_t)r.d);
        memcpy(out->basis, r.eraser.l, sizeof(double) * (size_t)out->rank * (size_t)r.d);
    }
    run_free(&r);
    if (rc < 0)
        iv_inlp_result_free(out);
    return rc;
}

void iv_inlp_result_free(iv_inlp_result *r)
{
    for (int i = 0; i < r->steps; i++)
        iv_probe_free(&r->step[i].probe);
    free(r->step);
    free(r->basis);
    memset(r, 0, sizeof *r);
}

int iv_inlp_eraser(const iv_inlp_result *r, int upto, iv_lowrank *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (upto < 0 || upto > r->steps)
        return iv_error_set(err, "upto=%d: expected 0 to %d steps", upto, r->steps);
    int d = r->d, rows = 0;
    for (int i = 0; i < upto; i++)
        rows += r->step[i].removed ? r->step[i].probe.rows : 0;
    double *stack = iv_big_alloc((size_t)(rows ? rows : 1), sizeof(double) * (size_t)d,
                                 "the directions removed", err);
    if (!stack)
        return -1;
    int at = 0, rank = 0;
    for (int i = 0; i < upto; i++)
        if (r->step[i].removed)
            at = stack_rows(stack, at, &r->step[i].probe);
    iv_lowrank_init(out, d, d);
    int rc = iv_la_orth(stack, at, d, out->l, &rank, err);
    free(stack);
    if (rc < 0) {
        iv_lowrank_free(out);
        return -1;
    }
    out->r = rank;
    memcpy(out->rt, out->l, sizeof(double) * (size_t)rank * (size_t)d);
    return 0;
}

/* ---- LEACE ------------------------------------------------------------------------------------- */

/* Sigma^{1/2} and W = (Sigma^{1/2})^+ (d, d) from Sigma's eigenvectors e (rows) and values lam
 * (ascending), keeping those above lambda_max d eps. */
static void roots_of(const double *e, const double *lam, int d, double *half, double *winv,
                     double *scaled)
{
    double keep = lam[d - 1] * d * DBL_EPSILON;
    int first = 0;
    while (first < d && !(lam[first] > keep))
        first++;
    int q = d - first;
    memset(half, 0, sizeof(double) * (size_t)d * (size_t)d);
    memset(winv, 0, sizeof(double) * (size_t)d * (size_t)d);
    if (q < 1 || !(lam[d - 1] > 0))
        return;
    const double *ek = e + (size_t)first * d;
    for (int a = 0; a < q; a++)
        for (int j = 0; j < d; j++)
            scaled[(size_t)a * d + j] = sqrt(lam[first + a]) * ek[(size_t)a * d + j];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, q, 1.0, ek, d, scaled, d, 0.0, half,
                d);
    for (int a = 0; a < q; a++)
        for (int j = 0; j < d; j++)
            scaled[(size_t)a * d + j] = ek[(size_t)a * d + j] / sqrt(lam[first + a]);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, q, 1.0, ek, d, scaled, d, 0.0, winv,
                d);
}

/* The eraser from the statistics: Sigma = S / (n - 1), Sigma_XZ = the first z columns of s. */
static int leace_from(const iv_probe_stats *st, int z, iv_lowrank *out, iv_error *err)
{
    int d = st->d;
    size_t dd = (size_t)d * (size_t)d;
    double *e = iv_big_alloc(4 * dd, sizeof(double), "LEACE's covariance and its roots", err);
    if (!e)
        return -1;
    double *half = e + dd, *winv = e + 2 * dd, *scaled = e + 3 * dd;
    double *lam = iv_xmalloc(sizeof(double) * (size_t)d);
    double *mt = iv_xmalloc(sizeof(double) * (size_t)z * (size_t)d);
    double *u = iv_xmalloc(sizeof(double) * (size_t)z * (size_t)d);
    double scale = 1.0 / (double)(st->n - 1);
    for (size_t i = 0; i < dd; i++)
        e[i] = st->sxx[i] * scale;
    int rank = 0, rc = iv_la_sym_eig(e, d, lam, err);
    if (rc == 0) {
        roots_of(e, lam, d, half, winv, scaled);
        /* (W Sigma_XZ)^T = Sigma_XZ^T W (W is symmetric), one row per indicator: its row space
         * is U's span */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, z, d, d, scale, st->sxy, st->cols,
                    winv, d, 0.0, mt, d);
        rc = iv_la_orth(mt, z, d, u, &rank, err);
    }
    if (rc == 0) {
        iv_lowrank_init(out, d, rank);
        if (rank > 0) { /* L^T = U Sigma^{1/2}, R^T = U W (both symmetric) */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rank, d, d, 1.0, u, d, half, d,
                        0.0, out->l, d);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rank, d, d, 1.0, u, d, winv, d,
                        0.0, out->rt, d);
        }
        memcpy(out->mu, st->mu, sizeof(double) * (size_t)d);
    }
    free(e);
    free(lam);
    free(mt);
    free(u);
    return rc;
}

int iv_leace_fit(const iv_labelled *s, iv_lowrank *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    iv_probe_stats st;
    if (iv_probe_stats_new(s, &st, err) < 0)
        return -1;
    int rc = leace_from(&st, s->k == 2 ? 1 : s->k - 1, out, err);
    iv_probe_stats_free(&st);
    return rc;
}

/* ---- PCA --------------------------------------------------------------------------------------- */

void iv_pca_free(iv_pca *p)
{
    free(p->mu);
    free(p->components);
    free(p->variance);
    free(p->fraction);
    memset(p, 0, sizeof *p);
}

int iv_pca_fit(const float *x, long n, int d, int k, iv_pca *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (iv_la_check_rows(x, n, d, 2, "x", err) < 0)
        return -1;
    if (k < 1 || k > d)
        return iv_error_set(err, "k=%d: expected 1 to %d components", k, d);
    double *cov = iv_big_alloc((size_t)d * (size_t)d, sizeof(double), "the covariance", err);
    if (!cov)
        return -1;
    double *lam = iv_xmalloc(sizeof(double) * (size_t)d);
    out->d = d;
    out->k = k;
    out->mu = iv_xmalloc(sizeof(double) * (size_t)d);
    out->components = iv_xmalloc(sizeof(double) * (size_t)k * (size_t)d);
    out->variance = iv_xmalloc(sizeof(double) * (size_t)k);
    out->fraction = iv_xmalloc(sizeof(double) * (size_t)k);
    int rc = iv_la_mean_cov(x, n, d, out->mu, cov, err);
    for (int i = 0; i < d && rc == 0; i++)
        out->total += cov[(size_t)i * d + i];
    if (rc == 0)
        rc = iv_la_sym_eig(cov, d, lam, err);
    for (int c = 0; c < k && rc == 0; c++) {
        const double *v = cov + (size_t)(d - 1 - c) * d; /* ascending: the largest last */
        double *out_v = out->components + (size_t)c * d;
        int big = 0;
        for (int j = 1; j < d; j++)
            big = fabs(v[j]) > fabs(v[big]) ? j : big;
        double sign = v[big] < 0 ? -1 : 1; /* an eigenvector's sign is arbitrary: fix it */
        for (int j = 0; j < d; j++)
            out_v[j] = sign * v[j];
        out->variance[c] = fmax(lam[d - 1 - c], 0); /* rounding can leave a zero below 0 */
        out->fraction[c] = out->total > 0 ? out->variance[c] / out->total : 0;
    }
    free(cov);
    free(lam);
    if (rc < 0)
        iv_pca_free(out);
    return rc;
}

int iv_pca_project(const iv_pca *p, const float *x, long n, int d, double *out, iv_error *err)
{
    if (d != p->d)
        return iv_error_set(err, "d=%d: the rows have %d columns, the components %d", d, d, p->d);
    if (iv_la_check_rows(x, n, d, 1, "x", err) < 0)
        return -1;
    double *row = iv_xmalloc(sizeof(double) * (size_t)d);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            row[j] = x[i * d + j] - p->mu[j];
        cblas_dgemv(CblasRowMajor, CblasNoTrans, p->k, d, 1.0, p->components, d, row, 1, 0.0,
                    out + i * p->k, 1);
    }
    free(row);
    return 0;
}
