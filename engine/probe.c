/* probe.c - ridge and logistic probes, their sufficient statistics and their accuracy (probe.h). */
#include "probe.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

/* Halvings of a Newton step before giving up on it: 2^-40 of a step is below any change the
 * log-likelihood can show in double. */
#define MAX_HALVINGS 40
/* A trial step is kept when the penalised log-likelihood falls by no more than this fraction:
 * near the optimum a full step changes it by less than its own rounding. */
#define LL_SLACK 1e-12
/* Rows scored or scaled at once (double scratch of about 2 MiB at d = 1000). */
#define BLOCK_DOUBLES (1L << 18)

static int block_rows(long n, int width)
{
    long c = BLOCK_DOUBLES / (width > 0 ? width : 1);
    c = c < 1 ? 1 : c;
    return (int)(c > n ? n : c);
}

/* The target columns: class 1's 0/1 column for two classes, one-hot columns for more. */
static int target_cols(int k) { return k == 2 ? 1 : k; }
static double target(int y, int col, int cols) { return cols == 1 ? y == 1 : y == col; }

/* ---- checks and the probe itself --------------------------------------------------------------- */

int iv_labelled_check(const iv_labelled *s, long min_rows, const char *name, iv_error *err)
{
    if (s->k < 2)
        return iv_error_set(err, "%s: k=%d classes, expected at least 2", name, s->k);
    if (iv_la_check_rows(s->x, s->n, s->d, min_rows, name, err) < 0)
        return -1;
    if (s->n > 0 && !s->y)
        return iv_error_set(err, "%s: no labels given", name);
    for (long i = 0; i < s->n; i++)
        if (s->y[i] < 0 || s->y[i] >= s->k)
            return iv_error_set(err, "%s: row %ld has class %d, expected 0 to %d", name, i,
                                s->y[i], s->k - 1);
    return 0;
}

static int check_lambda(double lambda, bool positive, iv_error *err)
{
    if (!isfinite(lambda) || lambda < 0)
        return iv_error_set(err, "lambda=%g: expected a finite number >= 0", lambda);
    if (positive && lambda == 0)
        return iv_error_set(err, "lambda=0: the logistic probe needs lambda > 0 (without a "
                            "penalty Newton's steps diverge on separable classes)");
    return 0;
}

static int check_through(const iv_lowrank *through, int d, iv_error *err)
{
    if (through && through->d != d)
        return iv_error_set(err, "the eraser is %d wide, the rows have %d columns", through->d, d);
    return 0;
}

static void probe_init(iv_probe *p, iv_probe_kind kind, int d, int k, double lambda)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->d = d;
    p->k = k;
    p->rows = target_cols(k);
    p->w = iv_xcalloc((size_t)p->rows * (size_t)d, sizeof(double));
    p->b = iv_xcalloc((size_t)p->rows, sizeof(double));
    p->lambda = lambda;
    p->threshold = kind == IV_PROBE_RIDGE ? 0.5 : 0.0;
    p->rank = d;
}

void iv_probe_free(iv_probe *p)
{
    free(p->w);
    free(p->b);
    memset(p, 0, sizeof *p);
}

void iv_probe_copy(iv_probe *dst, const iv_probe *src)
{
    *dst = *src;
    size_t nw = (size_t)src->rows * (size_t)src->d;
    dst->w = iv_xmalloc(sizeof(double) * (nw ? nw : 1));
    dst->b = iv_xmalloc(sizeof(double) * (size_t)(src->rows ? src->rows : 1));
    memcpy(dst->w, src->w, sizeof(double) * nw);
    memcpy(dst->b, src->b, sizeof(double) * (size_t)src->rows);
}

double iv_majority_rate(const int *y, long n, int k)
{
    if (n < 1 || k < 1)
        return NAN;
    long *count = iv_xcalloc((size_t)k, sizeof(long)), top = 0;
    for (long i = 0; i < n; i++)
        if (y[i] >= 0 && y[i] < k && ++count[y[i]] > top)
            top = count[y[i]];
    free(count);
    return (double)top / (double)n;
}

/* ---- sufficient statistics ----------------------------------------------------------------------- */

void iv_probe_stats_free(iv_probe_stats *st)
{
    free(st->mu);
    free(st->ybar);
    free(st->sxx);
    free(st->sxy);
    free(st->count);
    memset(st, 0, sizeof *st);
}

/* The target columns of every row, (n, cols). */
static double *targets_of(const iv_labelled *s, int cols, iv_error *err)
{
    double *z = iv_big_alloc((size_t)s->n, sizeof(double) * (size_t)cols, "the probe's targets",
                             err);
    if (z)
        for (long i = 0; i < s->n; i++)
            for (int j = 0; j < cols; j++)
                z[i * cols + j] = target(s->y[i], j, cols);
    return z;
}

int iv_probe_stats_new(const iv_labelled *s, iv_probe_stats *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (iv_labelled_check(s, 2, "x", err) < 0)
        return -1;
    int d = s->d, cols = target_cols(s->k);
    out->d = d;
    out->k = s->k;
    out->cols = cols;
    out->n = s->n;
    out->mu = iv_xmalloc(sizeof(double) * (size_t)d);
    out->ybar = iv_xcalloc((size_t)cols, sizeof(double));
    out->count = iv_xcalloc((size_t)s->k, sizeof(long));
    out->sxx = iv_big_alloc((size_t)d * (size_t)d, sizeof(double), "the Gram matrix X^T X", err);
    out->sxy = out->sxx ? iv_big_alloc((size_t)d, sizeof(double) * (size_t)cols,
                                       "the cross products X^T Y", err)
                        : NULL;
    double *z = out->sxy ? targets_of(s, cols, err) : NULL;
    if (!z) {
        iv_probe_stats_free(out);
        return -1;
    }
    for (long i = 0; i < s->n; i++) {
        out->count[s->y[i]]++;
        for (int j = 0; j < cols; j++)
            out->ybar[j] += z[i * cols + j];
    }
    for (int j = 0; j < cols; j++)
        out->ybar[j] /= (double)s->n;
    iv_la_mean(s->x, s->n, d, out->mu);
    int rc = iv_la_centred_gram(s->x, s->n, d, out->mu, z, cols, out->ybar, out->sxx, out->sxy,
                                err);
    free(z);
    if (rc < 0)
        iv_probe_stats_free(out);
    return rc;
}

/* ---- ridge --------------------------------------------------------------------------------------- */

/* The solution b (d, cols) of the features with mean fmu, as the probe's rows and intercepts. */
static void ridge_result(iv_probe *p, const double *b, const double *ybar, const double *fmu)
{
    for (int j = 0; j < p->rows; j++) {
        double c = ybar[j];
        for (int i = 0; i < p->d; i++) {
            p->w[(size_t)j * p->d + i] = b[(size_t)i * p->rows + j];
            c -= fmu[i] * b[(size_t)i * p->rows + j];
        }
        p->b[j] = c;
    }
}

/* Ridge on the features A x (A (d, d), NULL for the identity) with mean fmu, from the statistics:
 * (A S A^T + lambda I) B = A s; lambda = 0 by dgelsd, whose cut-off sits above the rounding that
 * forming A S A^T leaves (a few d eps of its largest value) in the directions A removes. */
static int ridge_solve(const iv_probe_stats *st, const double *a, const double *fmu, double lambda,
                       iv_probe *out, iv_error *err)
{
    int d = st->d, cols = st->cols;
    size_t dd = (size_t)d * (size_t)d;
    double *m = iv_big_alloc(dd, sizeof(double), "the ridge system", err);
    double *rhs = m ? iv_big_alloc((size_t)d, sizeof(double) * (size_t)cols,
                                   "the ridge right-hand sides", err)
                    : NULL;
    double *t = rhs && a ? iv_big_alloc(dd, sizeof(double), "the projected Gram matrix", err)
                         : NULL;
    int rc = -1, rank = d;
    if (!rhs || (a && !t))
        goto done;
    if (a) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, a, d, st->sxx, d, 0.0,
                    t, d);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, t, d, a, d, 0.0, m, d);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, cols, d, 1.0, a, d, st->sxy, cols,
                    0.0, rhs, cols);
    } else {
        memcpy(m, st->sxx, sizeof(double) * dd);
        memcpy(rhs, st->sxy, sizeof(double) * (size_t)d * (size_t)cols);
    }
    if (lambda > 0) {
        for (int i = 0; i < d; i++)
            m[(size_t)i * d + i] += lambda;
        rc = iv_la_spd_solve(m, d, rhs, cols, "the ridge system X^T X + lambda I", err);
    } else {
        rc = iv_la_lstsq(m, d, d, rhs, cols, 10.0 * d * DBL_EPSILON, &rank, err);
    }
    if (rc == 0) {
        probe_init(out, IV_PROBE_RIDGE, d, st->k, lambda);
        out->rank = rank;
        ridge_result(out, rhs, st->ybar, fmu);
    }
done:
    free(m);
    free(rhs);
    free(t);
    return rc;
}

int iv_probe_ridge_stats(const iv_probe_stats *st, const double *p, double lambda, iv_probe *out,
                         iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_lambda(lambda, false, err) < 0)
        return -1;
    double *fmu = iv_xmalloc(sizeof(double) * (size_t)st->d);
    if (p)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, st->d, st->d, 1.0, p, st->d, st->mu, 1, 0.0, fmu,
                    1);
    else
        memcpy(fmu, st->mu, sizeof(double) * (size_t)st->d);
    int rc = ridge_solve(st, p, fmu, lambda, out, err);
    free(fmu);
    return rc;
}

/* The rows as double, through the eraser when given, centred; their mean into fmu. */
static double *centred_copy(const iv_labelled *s, const iv_lowrank *through, double *fmu,
                            iv_error *err)
{
    int d = s->d;
    double *xc = iv_big_alloc((size_t)s->n, sizeof(double) * (size_t)d, "the rows in double", err);
    if (!xc)
        return NULL;
    for (size_t i = 0; i < (size_t)s->n * (size_t)d; i++)
        xc[i] = s->x[i];
    if (through)
        iv_lowrank_apply_block(through, xc, s->n);
    memset(fmu, 0, sizeof(double) * (size_t)d);
    for (long i = 0; i < s->n; i++)
        for (int j = 0; j < d; j++)
            fmu[j] += xc[i * d + j];
    for (int j = 0; j < d; j++)
        fmu[j] /= (double)s->n;
    for (long i = 0; i < s->n; i++)
        for (int j = 0; j < d; j++)
            xc[i * d + j] -= fmu[j];
    return xc;
}

/* lambda = 0 on the rows themselves: dgelsd on the centred rows, whose singular values are those of
 * the data (the normal equations would square them). */
static int ridge_rows(const iv_labelled *s, const iv_lowrank *through, iv_probe *out,
                      iv_error *err)
{
    if (s->n > INT_MAX)
        return iv_error_set(err, "n=%ld: too many rows for least squares on the rows; give "
                            "lambda > 0", s->n);
    int d = s->d, cols = target_cols(s->k), n = (int)s->n, m = n > d ? n : d;
    double *fmu = iv_xmalloc(sizeof(double) * (size_t)d), *ybar = iv_xcalloc((size_t)cols,
                                                                            sizeof(double));
    double *xc = centred_copy(s, through, fmu, err);
    double *yc = xc ? iv_big_alloc((size_t)m, sizeof(double) * (size_t)cols,
                                   "the centred targets", err)
                    : NULL;
    int rc = -1, rank = 0;
    if (yc) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < cols; j++)
                ybar[j] += target(s->y[i], j, cols) / (double)n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < cols; j++)
                yc[(size_t)i * cols + j] = target(s->y[i], j, cols) - ybar[j];
        rc = iv_la_lstsq(xc, n, d, yc, cols, (double)m * DBL_EPSILON, &rank, err);
    }
    if (rc == 0) {
        probe_init(out, IV_PROBE_RIDGE, d, s->k, 0);
        out->rank = rank;
        ridge_result(out, yc, ybar, fmu);
    }
    free(fmu);
    free(ybar);
    free(xc);
    free(yc);
    return rc;
}

int iv_probe_ridge(const iv_labelled *s, double lambda, const iv_lowrank *through, iv_probe *out,
                   iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_lambda(lambda, false, err) < 0 || iv_labelled_check(s, 2, "x", err) < 0 ||
        check_through(through, s->d, err) < 0)
        return -1;
    if (lambda == 0)
        return ridge_rows(s, through, out, err);
    iv_probe_stats st;
    if (iv_probe_stats_new(s, &st, err) < 0)
        return -1;
    int d = s->d, rc;
    if (!through) {
        rc = ridge_solve(&st, NULL, st.mu, lambda, out, err);
    } else {
        /* r(x) = A x + c with A = I - L R^T: its statistics are A S A^T and A s, its mean r(mu). */
        double *a = iv_big_alloc((size_t)d * (size_t)d, sizeof(double), "the eraser's matrix", err);
        double *fmu = iv_xmalloc(sizeof(double) * (size_t)d);
        rc = -1;
        if (a) {
            iv_lowrank_matrix(through, a);
            for (size_t i = 0; i < (size_t)d * (size_t)d; i++)
                a[i] = -a[i];
            for (int i = 0; i < d; i++)
                a[(size_t)i * d + i] += 1;
            iv_lowrank_apply(through, st.mu, fmu);
            rc = ridge_solve(&st, a, fmu, lambda, out, err);
        }
        free(a);
        free(fmu);
    }
    iv_probe_stats_free(&st);
    return rc;
}

/* ---- logistic ------------------------------------------------------------------------------------ */

static double sigmoid(double z)
{
    if (z >= 0)
        return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

/* log(1 + e^z) without overflow */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

typedef struct newton {
    const double *xc;  /* (n, d) centred rows */
    const double *t;   /* (n) targets 0/1 */
    int n, d;
    double lambda;
    double *z, *zt;    /* (n) scores at beta and at a trial */
    double *h, *g;     /* (d + 1)^2, (d + 1) */
    double *beta, *trial; /* (d + 1): w, then the intercept */
    double *blk;       /* (c, d + 1) sqrt(w)-scaled rows */
    int c;
} newton;

/* The penalised log-likelihood at beta, and its scores into z. */
static double penalised_ll(const newton *nt, const double *beta, double *z)
{
    int n = nt->n, d = nt->d;
    for (int i = 0; i < n; i++)
        z[i] = beta[d];
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, 1.0, nt->xc, d, beta, 1, 1.0, z, 1);
    double ll = 0;
    for (int i = 0; i < n; i++)
        ll += nt->t[i] * z[i] - softplus(z[i]);
    return ll - 0.5 * nt->lambda * cblas_ddot(d, beta, 1, beta, 1);
}

/* The gradient into g and the Hessian of the negative into h (lower triangle), at the scores z. */
static void gradient_hessian(newton *nt)
{
    int n = nt->n, d = nt->d, e = d + 1;
    double *r = nt->zt; /* free until the line search: t - p */
    for (int i = 0; i < n; i++)
        r[i] = nt->t[i] - sigmoid(nt->z[i]);
    cblas_dgemv(CblasRowMajor, CblasTrans, n, d, 1.0, nt->xc, d, r, 1, 0.0, nt->g, 1);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += r[i];
    nt->g[d] = sum;
    for (int j = 0; j < d; j++)
        nt->g[j] -= nt->lambda * nt->beta[j];
    memset(nt->h, 0, sizeof(double) * (size_t)e * (size_t)e);
    for (int first = 0; first < n; first += nt->c) {
        int rows = n - first < nt->c ? n - first : nt->c;
        for (int i = 0; i < rows; i++) {
            double p = sigmoid(nt->z[first + i]), s = sqrt(p * (1 - p));
            const double *x = nt->xc + (size_t)(first + i) * d;
            double *row = nt->blk + (size_t)i * e;
            for (int j = 0; j < d; j++)
                row[j] = s * x[j];
            row[d] = s;
        }
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, e, rows, 1.0, nt->blk, e, 1.0, nt->h, e);
    }
    for (int j = 0; j < d; j++)
        nt->h[(size_t)j * e + j] += nt->lambda;
}

/* Newton's method from w = 0 and the intercept at the targets' log-odds. */
static int newton_run(newton *nt, int *steps, bool *converged, iv_error *err)
{
    int d = nt->d, e = d + 1;
    double tbar = 0;
    for (int i = 0; i < nt->n; i++)
        tbar += nt->t[i];
    tbar /= nt->n;
    memset(nt->beta, 0, sizeof(double) * (size_t)e);
    nt->beta[d] = log(tbar / (1 - tbar));
    double ll = penalised_ll(nt, nt->beta, nt->z);
    *steps = 0;
    *converged = false;
    while (*steps < IV_PROBE_MAX_STEPS && !*converged) {
        gradient_hessian(nt);
        if (iv_la_cholesky(nt->h, e, "the logistic Hessian", err) < 0 ||
            iv_la_cholesky_solve(nt->h, e, nt->g, 1, err) < 0)
            return -1;
        double dmax = 0, step = 1, llt = -INFINITY;
        for (int j = 0; j < e; j++)
            dmax = fmax(dmax, fabs(nt->g[j]));
        int halvings = 0;
        for (; halvings <= MAX_HALVINGS; halvings++, step /= 2) {
            for (int j = 0; j < e; j++)
                nt->trial[j] = nt->beta[j] + step * nt->g[j];
            llt = penalised_ll(nt, nt->trial, nt->zt);
            if (llt >= ll - LL_SLACK * (1 + fabs(ll)))
                break;
        }
        if (halvings > MAX_HALVINGS) { /* no step along D helps: the optimum, to rounding */
            *converged = dmax < IV_PROBE_STEP_TOL;
            break;
        }
        double *swap = nt->beta;
        nt->beta = nt->trial;
        nt->trial = swap;
        swap = nt->z;
        nt->z = nt->zt;
        nt->zt = swap;
        ll = llt;
        ++*steps;
        *converged = dmax < IV_PROBE_STEP_TOL;
    }
    return 0;
}

static void newton_free(newton *nt)
{
    free(nt->z);
    free(nt->zt);
    free(nt->h);
    free(nt->g);
    free(nt->beta);
    free(nt->trial);
    free(nt->blk);
}

static int newton_alloc(newton *nt, int n, int d, iv_error *err)
{
    size_t e = (size_t)d + 1;
    nt->n = n;
    nt->d = d;
    nt->c = block_rows(n, d + 1);
    nt->z = iv_big_alloc((size_t)n, sizeof(double), "the logistic scores", err);
    nt->zt = nt->z ? iv_big_alloc((size_t)n, sizeof(double), "the logistic scores", err) : NULL;
    nt->h = nt->zt ? iv_big_alloc(e * e, sizeof(double), "the logistic Hessian", err) : NULL;
    nt->blk = nt->h ? iv_big_alloc((size_t)nt->c * e, sizeof(double), "a block of scaled rows",
                                   err)
                    : NULL;
    nt->g = iv_xmalloc(sizeof(double) * e);
    nt->beta = iv_xmalloc(sizeof(double) * e);
    nt->trial = iv_xmalloc(sizeof(double) * e);
    return nt->blk ? 0 : -1;
}

static int check_classes(const iv_labelled *s, iv_error *err)
{
    long *count = iv_xcalloc((size_t)s->k, sizeof(long));
    for (long i = 0; i < s->n; i++)
        count[s->y[i]]++;
    int missing = -1;
    for (int c = 0; c < s->k && missing < 0; c++)
        if (count[c] == 0)
            missing = c;
    free(count);
    if (missing >= 0)
        return iv_error_set(err, "y: class %d has no rows; the logistic probe needs every class "
                            "0 to %d", missing, s->k - 1);
    return 0;
}

int iv_probe_logistic(const iv_labelled *s, double lambda, const iv_lowrank *through,
                      iv_probe *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_lambda(lambda, true, err) < 0 || iv_labelled_check(s, 2, "x", err) < 0 ||
        check_through(through, s->d, err) < 0 || check_classes(s, err) < 0)
        return -1;
    if (s->n > INT_MAX)
        return iv_error_set(err, "n=%ld: more rows than the logistic probe takes (%d)", s->n,
                            INT_MAX);
    int d = s->d, n = (int)s->n, rows = target_cols(s->k);
    newton nt = {.lambda = lambda};
    double *fmu = iv_xmalloc(sizeof(double) * (size_t)d), *t = iv_xmalloc(sizeof(double) *
                                                                          (size_t)n);
    double *xc = centred_copy(s, through, fmu, err);
    int rc = xc ? newton_alloc(&nt, n, d, err) : -1;
    nt.xc = xc;
    nt.t = t;
    if (rc == 0) {
        probe_init(out, IV_PROBE_LOGISTIC, d, s->k, lambda);
        out->converged = true;
    }
    for (int j = 0; j < rows && rc == 0; j++) {
        for (int i = 0; i < n; i++)
            t[i] = target(s->y[i], j, rows);
        int steps;
        bool converged;
        rc = newton_run(&nt, &steps, &converged, err);
        if (rc < 0)
            break;
        /* The fit is on centred rows: the intercept moves by w . mean to score the rows as given. */
        memcpy(out->w + (size_t)j * d, nt.beta, sizeof(double) * (size_t)d);
        out->b[j] = nt.beta[d] - cblas_ddot(d, nt.beta, 1, fmu, 1);
        out->steps = steps > out->steps ? steps : out->steps;
        out->converged = out->converged && converged;
    }
    if (rc < 0 && out->w)
        iv_probe_free(out);
    newton_free(&nt);
    free(fmu);
    free(t);
    free(xc);
    return rc;
}

/* ---- scoring ------------------------------------------------------------------------------------- */

static int predict_scores(const iv_probe *p, const double *s)
{
    if (p->rows == 1)
        return s[0] > p->threshold;
    int top = 0;
    for (int j = 1; j < p->rows; j++)
        top = s[j] > s[top] ? j : top;
    return top;
}

int iv_probe_predict(const iv_probe *p, const double *x)
{
    double *s = iv_xmalloc(sizeof(double) * (size_t)p->rows);
    memcpy(s, p->b, sizeof(double) * (size_t)p->rows);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, p->rows, p->d, 1.0, p->w, p->d, x, 1, 1.0, s, 1);
    int c = predict_scores(p, s);
    free(s);
    return c;
}

/* The probe read through the eraser as a probe on the rows themselves: w . r(x) + b =
 * (w - R L^T w) . x + b + (L^T w) . R^T mu, so scoring through an eraser costs what plain scoring
 * does, whatever its rank. */
static void fold(const iv_probe *p, const iv_lowrank *e, iv_probe *out)
{
    iv_probe_copy(out, p);
    int d = p->d, r = e->r;
    double *c = iv_xmalloc(sizeof(double) * (size_t)(r > 0 ? r : 1));
    for (int j = 0; j < p->rows && r > 0; j++) {
        double *w = out->w + (size_t)j * d;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, r, d, 1.0, e->l, d, p->w + (size_t)j * d, 1, 0.0,
                    c, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, r, d, -1.0, e->rt, d, c, 1, 1.0, w, 1);
        for (int a = 0; a < r; a++)
            out->b[j] += c[a] * cblas_ddot(d, e->rt + (size_t)a * d, 1, e->mu, 1);
    }
    free(c);
}

static long count_right(const iv_probe *p, const iv_labelled *s, double *block, double *scores,
                        int c)
{
    int d = s->d;
    long right = 0;
    for (long first = 0; first < s->n; first += c) {
        int rows = s->n - first < c ? (int)(s->n - first) : c;
        const float *x = s->x + first * d;
        for (size_t i = 0; i < (size_t)rows * (size_t)d; i++)
            block[i] = x[i];
        for (int i = 0; i < rows; i++)
            memcpy(scores + (size_t)i * p->rows, p->b, sizeof(double) * (size_t)p->rows);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, p->rows, d, 1.0, block, d, p->w,
                    d, 1.0, scores, p->rows);
        for (int i = 0; i < rows; i++)
            right += predict_scores(p, scores + (size_t)i * p->rows) == s->y[first + i];
    }
    return right;
}

int iv_probe_accuracy(const iv_probe *p, const iv_labelled *s, const iv_lowrank *through,
                      double *acc, iv_error *err)
{
    if (s->d != p->d)
        return iv_error_set(err, "d=%d: the rows have %d columns, the probe %d", s->d, s->d,
                            p->d);
    if (s->k != p->k)
        return iv_error_set(err, "k=%d: the rows have %d classes, the probe %d", s->k, s->k,
                            p->k);
    if (iv_labelled_check(s, 1, "x", err) < 0 || check_through(through, s->d, err) < 0)
        return -1;
    int c = block_rows(s->n, s->d);
    double *block = iv_big_alloc((size_t)c, sizeof(double) * (size_t)s->d, "a block of rows", err);
    if (!block)
        return -1;
    double *scores = iv_xmalloc(sizeof(double) * (size_t)c * (size_t)p->rows);
    long right;
    if (through) {
        iv_probe folded;
        fold(p, through, &folded);
        right = count_right(&folded, s, block, scores, c);
        iv_probe_free(&folded);
    } else {
        right = count_right(p, s, block, scores, c);
    }
    free(block);
    free(scores);
    *acc = (double)right / (double)s->n;
    return 0;
}
