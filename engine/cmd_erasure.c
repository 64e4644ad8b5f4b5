/* cmd_erasure.c - removing a concept from a site: inlp (step by step), leace, their comparison,
 * and pca of the site's activations (to see the classes before and after).
 *
 * inlp and leace fit on the rows split does not hold out and add the eraser as a `project`
 * intervention over the values they were fitted on (replacing an eraser already there), so that it
 * toggles, saves and acts on the network like any other; compare-erasure fits both and adds
 * neither. Those values are a whole site's, or a transformer site's at one position
 * (SITE[pos=P]): an eraser there leaves every other position as it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concepts.h"
#include "erasure.h"
#include "handlers.h"
#include "metrics.h"
#include "report.h"

#define PCA_MAX_POINTS 4000 /* points a scatter plot shows: evenly spaced rows beyond that */

/* The project intervention of an eraser over the values at `at` (not yet added). */
static int eraser_intervention(iv_workspace *ws, const iv_concept_site *at, const iv_lowrank *e,
                               iv_intervention *iv, iv_error *err)
{
    iv_intervention_init(iv, ws, IV_PROJECT);
    if (e->d != at->addr.n)
        return iv_error_set(err, "an eraser of %d values does not fit the %d of %s", e->d,
                            at->addr.n, at->name);
    iv_addr_copy(&iv->addr, &at->addr);
    int d = e->d, r = e->r;
    iv->dims = r;
    iv->n_values = iv->n_given = (2 * r + 1) * d;
    iv->values = iv_xmalloc(sizeof(double) * (size_t)iv->n_values);
    memcpy(iv->values, e->mu, sizeof(double) * (size_t)d);
    memcpy(iv->values + d, e->l, sizeof(double) * (size_t)r * (size_t)d);
    memcpy(iv->values + d + (size_t)r * d, e->rt, sizeof(double) * (size_t)r * (size_t)d);
    return 0;
}

/* The eraser (a project over exactly the values at `at`) already there, on, or -1. One over the
 * whole site is not one at a position of it, nor the other way round. */
static int eraser_index(const iv_workspace *ws, const iv_concept_site *at)
{
    for (int i = ws->count - 1; i >= 0; i--)
        if (ws->list[i].kind == IV_PROJECT && ws->list[i].enabled &&
            iv_addr_equal(&ws->list[i].addr, &at->addr))
            return i;
    return -1;
}

/* The label's rows at `at` as an eraser there would be fitted to: without the eraser already
 * there, which the new one replaces (a fit on rows it had erased would find nothing). */
static int rows_to_erase(iv_workspace *ws, const iv_concept_site *at, const char *label,
                         iv_concept_rows *r, iv_error *err)
{
    int old = eraser_index(ws, at);
    if (old >= 0)
        ws->list[old].enabled = false;
    int rc = iv_concept_rows_get(ws, at, label, false, r, err);
    if (old >= 0)
        ws->list[old].enabled = true;
    return rc;
}

/* Drops an eraser already at `at`: a new fit replaces it. */
static void drop_eraser_at(iv_workspace *ws, const iv_concept_site *at, int *dropped)
{
    *dropped = 0;
    int i = eraser_index(ws, at);
    if (i >= 0) {
        *dropped = ws->list[i].id;
        iv_error ignored;
        iv_workspace_drop(ws, ws->list[i].id, &ignored);
    }
}

/* Adds the eraser, replacing one at `at`; reports it as ablate does. */
static int add_eraser(iv_workspace *ws, const iv_concept_site *at, const iv_lowrank *e,
                      const iv_sink *sink, json_object *report, iv_error *err)
{
    iv_intervention iv;
    if (eraser_intervention(ws, at, e, &iv, err) < 0) {
        iv_intervention_clear(&iv);
        return -1;
    }
    int dropped;
    drop_eraser_at(ws, at, &dropped);
    if (dropped)
        json_object_object_add(report, "replaced", json_object_new_int(dropped));
    return iv_add_and_report(ws, &iv, sink, err);
}

/* A fresh logistic probe fitted and scored on the rows seen through an eraser (NULL: as they are). */
static int probe_after(const iv_concept_rows *r, const iv_lowrank *e, double *train, double *test,
                       iv_error *err)
{
    iv_probe p;
    if (iv_probe_logistic(&r->train, 1.0, e, &p, err) < 0)
        return -1;
    int rc = iv_probe_accuracy(&p, &r->train, e, train, err);
    if (rc == 0)
        rc = iv_probe_accuracy(&p, &r->test, e, test, err);
    iv_probe_free(&p);
    return rc;
}

/* The mean over rows of |r(x) - x|^2: how far the eraser moves the activations. */
static double mean_square_change(const iv_lowrank *e, const float *x, long n, int d)
{
    double *a = iv_xmalloc(sizeof(double) * (size_t)d), *b = iv_xmalloc(sizeof(double) * (size_t)d);
    double sum = 0;
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            a[j] = x[i * d + j];
        iv_lowrank_apply(e, a, b);
        for (int j = 0; j < d; j++)
            sum += (b[j] - a[j]) * (b[j] - a[j]);
    }
    free(a);
    free(b);
    return n ? sum / (double)n : NAN;
}

/* ---- inlp ------------------------------------------------------------------------------------------ */

typedef struct inlp_words {
    iv_inlp_options opt;
    int upto; /* -1: every step */
} inlp_words;

static int read_inlp_words(int argc, char **argv, inlp_words *w, iv_error *err)
{
    iv_inlp_options_default(&w->opt);
    w->upto = -1;
    bool lambda_given = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        long l;
        if (strncmp(a, "iterations=", 11) == 0) {
            if (iv_parse_int(a + 11, 1, 1000, &l) < 0)
                return iv_error_set(err, "%s: expected a whole number from 1 to 1000", a);
            w->opt.iterations = (int)l;
        } else if (strncmp(a, "upto=", 5) == 0) {
            if (iv_parse_int(a + 5, 0, 1000, &l) < 0)
                return iv_error_set(err, "%s: expected a whole number >= 0 (steps to apply)", a);
            w->upto = (int)l;
        } else if (strcmp(a, "classifier=ridge") == 0 || strcmp(a, "ridge") == 0) {
            w->opt.classifier = IV_PROBE_RIDGE;
        } else if (strcmp(a, "classifier=logistic") == 0 || strcmp(a, "logistic") == 0) {
            w->opt.classifier = IV_PROBE_LOGISTIC;
        } else if (strncmp(a, "lambda=", 7) == 0) {
            if (iv_parse_double(a + 7, &w->opt.lambda) < 0 || w->opt.lambda < 0)
                return iv_error_set(err, "%s: expected a number >= 0", a);
            lambda_given = true;
        } else if (strncmp(a, "eps=", 4) == 0) {
            if (iv_parse_double(a + 4, &w->opt.eps) < 0)
                return iv_error_set(err, "%s: expected a number (-1: never stop early)", a);
        } else {
            return iv_error_set(err, "'%s': expected iterations=T, classifier=ridge|logistic, "
                                "lambda=L, eps=E or upto=K", a);
        }
    }
    if (w->opt.classifier == IV_PROBE_LOGISTIC && lambda_given && !(w->opt.lambda > 0))
        return iv_error_set(err, "lambda=0: a logistic probe needs a penalty above 0");
    return 0;
}

/* The steps whose directions INLP removed (all but a last one that scored at chance). */
static int steps_kept(const iv_inlp_result *r)
{
    int n = 0;
    for (int i = 0; i < r->steps; i++)
        n += r->step[i].removed;
    return n;
}

static const char *stop_text(iv_inlp_stop s)
{
    return s == IV_INLP_AT_CHANCE      ? "a probe scored at chance"
           : s == IV_INLP_NO_DIRECTION ? "a probe found no direction left"
                                       : "every iteration ran";
}

static json_object *inlp_record(const iv_inlp_result *res)
{
    json_object *rows = json_object_new_array();
    for (int i = 0; i < res->steps; i++) {
        const iv_inlp_step *s = &res->step[i];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "iteration", json_object_new_int(i + 1));
        iv_json_set_num(row, "train_accuracy", s->train_acc);
        iv_json_set_num(row, "holdout_accuracy", s->heldout_acc);
        iv_json_set_num(row, "majority", res->majority);
        json_object_object_add(row, "removed", json_object_new_int(s->rank));
        iv_json_set_str(row, "kept", s->removed ? "yes" : "no (at chance)");
        json_object_array_add(rows, row);
    }
    return rows;
}

/* SITE LABEL [INLP OPTIONS] read, the label's rows taken and INLP run on them: 0 with where
 * (at) and everything filled, or -1 with a message (nothing to free then). */
static int fit_inlp(iv_workspace *ws, int argc, char **argv, inlp_words *w, iv_concept_site *at,
                    iv_concept_rows *r, iv_inlp_result *res, iv_error *err)
{
    if (iv_concept_site_parse(ws->model, argv[0], at, err) < 0)
        return -1;
    if (read_inlp_words(argc - 2, argv + 2, w, err) < 0 ||
        rows_to_erase(ws, at, argv[1], r, err) < 0) {
        iv_concept_site_free(at);
        return -1;
    }
    if (iv_inlp_fit(&r->train, &r->test, &w->opt, res, err) < 0) {
        iv_concept_rows_free(r);
        iv_concept_site_free(at);
        return -1;
    }
    return 0;
}

IV_HANDLER(iv_cmd_inlp)
{
    inlp_words w;
    iv_concept_site at;
    iv_concept_rows r;
    iv_inlp_result res;
    if (fit_inlp(ws, argc, argv, &w, &at, &r, &res, err) < 0)
        return -1;
    int rc, kept_steps = steps_kept(&res);
    if (w.upto > kept_steps) {
        iv_error_set(err, "upto=%d: INLP removed directions in %d step%s (it stopped when %s)",
                     w.upto, kept_steps, kept_steps == 1 ? "" : "s", stop_text(res.stop));
        iv_inlp_result_free(&res);
        iv_concept_rows_free(&r);
        iv_concept_site_free(&at);
        return -1;
    }
    int upto = w.upto < 0 ? kept_steps : w.upto;
    iv_lowrank e = {0};
    rc = iv_inlp_eraser(&res, upto, &e, err);
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "inlp", at.name);
    iv_json_set_str(obj, "label", argv[1]);
    iv_json_set_str(obj, "classifier", w.opt.classifier == IV_PROBE_RIDGE ? "ridge" : "logistic");
    iv_json_set_num(obj, "lambda", w.opt.lambda);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "train_rows", json_object_new_int64(r.n_train));
    json_object_object_add(obj, "holdout_rows", json_object_new_int64(r.n_test));
    iv_json_set_num(obj, "majority", res.majority);
    json_object_object_add(obj, "steps", json_object_new_int(res.steps));
    iv_json_set_str(obj, "stopped", stop_text(res.stop));
    json_object_object_add(obj, "applied_steps", json_object_new_int(upto));
    json_object_object_add(obj, "rank_removed", json_object_new_int(rc == 0 ? e.r : 0));
    json_object_object_add(obj, "width", json_object_new_int(r.width));
    if (rc == 0) {
        double tr, te;
        rc = probe_after(&r, &e, &tr, &te, err);
        iv_json_set_num(obj, "fresh_probe_train", tr);
        iv_json_set_num(obj, "fresh_probe_holdout", te);
    }
    iv_json_set(obj, "record", inlp_record(&res));
    if (rc == 0 && e.r == 0)
        iv_json_set_str(obj, "note", "no direction removed: nothing added");
    if (rc == 0 && e.r > 0)
        rc = add_eraser(ws, &at, &e, sink, obj, err);
    if (rc == 0)
        iv_emit(sink, IV_RESULT_ERASURE, obj);
    else
        json_object_put(obj);
    if (e.d)
        iv_lowrank_free(&e);
    iv_inlp_result_free(&res);
    iv_concept_rows_free(&r);
    iv_concept_site_free(&at);
    return rc;
}

/* ---- leace ----------------------------------------------------------------------------------------- */

/* The largest distance between a class's mean and the overall mean, of rows x seen through e. */
static double class_mean_spread(const iv_lowrank *e, const iv_labelled *s)
{
    int d = s->d, k = s->k;
    double *mean = iv_xcalloc((size_t)k * (size_t)d, sizeof(double)), *all = iv_xcalloc((size_t)d, sizeof(double));
    double *a = iv_xmalloc(sizeof(double) * (size_t)d), *b = iv_xmalloc(sizeof(double) * (size_t)d);
    long *count = iv_xcalloc((size_t)k, sizeof(long));
    for (long i = 0; i < s->n; i++) {
        for (int j = 0; j < d; j++)
            a[j] = s->x[i * d + j];
        if (e)
            iv_lowrank_apply(e, a, b);
        else
            memcpy(b, a, sizeof(double) * (size_t)d);
        for (int j = 0; j < d; j++) {
            mean[s->y[i] * d + j] += b[j];
            all[j] += b[j];
        }
        count[s->y[i]]++;
    }
    double most = 0;
    for (int c = 0; c < k; c++) {
        if (!count[c])
            continue;
        double dist = 0;
        for (int j = 0; j < d; j++) {
            double diff = mean[c * d + j] / count[c] - all[j] / s->n;
            dist += diff * diff;
        }
        most = fmax(most, sqrt(dist));
    }
    free(mean);
    free(all);
    free(a);
    free(b);
    free(count);
    return most;
}

IV_HANDLER(iv_cmd_leace)
{
    (void)argc;
    iv_concept_site at;
    if (iv_concept_site_parse(ws->model, argv[0], &at, err) < 0)
        return -1;
    iv_concept_rows r;
    if (rows_to_erase(ws, &at, argv[1], &r, err) < 0) {
        iv_concept_site_free(&at);
        return -1;
    }
    iv_lowrank e;
    if (iv_leace_fit(&r.train, &e, err) < 0) {
        iv_concept_rows_free(&r);
        iv_concept_site_free(&at);
        return -1;
    }
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "leace", at.name);
    iv_json_set_str(obj, "label", argv[1]);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "train_rows", json_object_new_int64(r.n_train));
    json_object_object_add(obj, "holdout_rows", json_object_new_int64(r.n_test));
    json_object_object_add(obj, "rank_removed", json_object_new_int(e.r));
    json_object_object_add(obj, "width", json_object_new_int(r.width));
    iv_json_set_num(obj, "majority", iv_majority_rate(r.test_y, r.n_test, r.classes.k));
    double before_tr, before_te, tr, te;
    int rc = probe_after(&r, NULL, &before_tr, &before_te, err);
    if (rc == 0)
        rc = probe_after(&r, &e, &tr, &te, err);
    if (rc == 0) {
        iv_json_set_num(obj, "probe_holdout_before", before_te);
        iv_json_set_num(obj, "probe_holdout_after", te);
        iv_json_set_num(obj, "class_mean_spread_before", class_mean_spread(NULL, &r.train));
        iv_json_set_num(obj, "class_mean_spread_after", class_mean_spread(&e, &r.train));
        iv_json_set_num(obj, "mean_square_change",
                        mean_square_change(&e, r.values, r.classes.n, r.width));
    }
    if (rc == 0 && e.r == 0)
        iv_json_set_str(obj, "note", "the classes' means are already equal: nothing to erase");
    if (rc == 0 && e.r > 0)
        rc = add_eraser(ws, &at, &e, sink, obj, err);
    if (rc == 0)
        iv_emit(sink, IV_RESULT_ERASURE, obj);
    else
        json_object_put(obj);
    iv_lowrank_free(&e);
    iv_concept_rows_free(&r);
    iv_concept_site_free(&at);
    return rc;
}

/* ---- compare-erasure -------------------------------------------------------------------------------- */

/* What the network's output does with an eraser at the site, over the dataset: the loss gap and
 * the mean distance of each output from its clean one, from one pass. */
typedef struct output_effect {
    iv_metrics_acc acc;
    double change; /* sum over rows of |y - y_clean| */
    long rows;
} output_effect;

static int add_output_chunk(const iv_pass_chunk *c, void *user, iv_error *err)
{
    (void)err;
    output_effect *o = user;
    const iv_workspace *ws = o->acc.ws;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    const float *y = c->acts->site[out], *clean = ws->ref_acts->site[out];
    iv_metrics_add(&o->acc, y, c->first, c->n, c->samples, false);
    for (long r = 0; r < c->n * c->samples; r++) {
        const float *yc = clean + (c->first + r / c->samples) * w;
        double d2 = 0;
        for (int k = 0; k < w; k++)
            d2 += ((double)y[r * w + k] - yc[k]) * ((double)y[r * w + k] - yc[k]);
        o->change += sqrt(d2);
    }
    o->rows += c->n * c->samples;
    return 0;
}

static int output_effect_of(iv_workspace *ws, const iv_intervention *iv, double *gap,
                            double *change, iv_error *err)
{
    output_effect o = {0};
    if (iv_workspace_reference(ws, err) < 0 || iv_metrics_begin(ws, &o.acc, err) < 0)
        return -1;
    int rc = iv_workspace_pass(ws, iv, 1, iv_model_output_site(ws->model), add_output_chunk, &o,
                               err);
    iv_metrics m;
    iv_metrics_end(&o.acc, &m);
    *gap = m.loss_gap;
    *change = o.rows ? o.change / (double)o.rows : 0;
    return rc;
}

/* A row of the comparison: an eraser's directions, the fresh probe after it, how far it moves the
 * activations, and what the network's output does with it at `at`. */
static int compare_row(iv_workspace *ws, const iv_concept_site *at, const char *method,
                       const iv_lowrank *e, const iv_concept_rows *r, json_object *rows,
                       iv_error *err)
{
    double tr, te, gap = 0, change = 0;
    if (probe_after(r, e, &tr, &te, err) < 0)
        return -1;
    if (e && e->r > 0) {
        iv_intervention iv;
        int rc = eraser_intervention(ws, at, e, &iv, err);
        if (rc == 0)
            rc = output_effect_of(ws, &iv, &gap, &change, err);
        iv_intervention_clear(&iv);
        if (rc < 0)
            return -1;
    }
    json_object *row = json_object_new_object();
    iv_json_set_str(row, "method", method);
    json_object_object_add(row, "removed", json_object_new_int(e ? e->r : 0));
    iv_json_set_num(row, "probe_train", tr);
    iv_json_set_num(row, "probe_holdout", te);
    iv_json_set_num(row, "mean_square_change",
                    e ? mean_square_change(e, r->values, r->classes.n, r->width) : 0);
    iv_json_set_num(row, "output_change", change);
    iv_json_set_num(row, "loss_gap", gap);
    json_object_array_add(rows, row);
    return 0;
}

IV_HANDLER(iv_cmd_compare_erasure)
{
    inlp_words w;
    iv_concept_site at;
    iv_concept_rows r;
    iv_inlp_result res;
    if (fit_inlp(ws, argc, argv, &w, &at, &r, &res, err) < 0)
        return -1;
    iv_lowrank inlp = {0}, leace = {0};
    int kept_steps = steps_kept(&res);
    int rc = iv_inlp_eraser(&res, w.upto >= 0 && w.upto < kept_steps ? w.upto : kept_steps, &inlp,
                        err);
    if (rc == 0)
        rc = iv_leace_fit(&r.train, &leace, err);
    json_object *rows = json_object_new_array();
    if (rc == 0)
        rc = compare_row(ws, &at, "none", NULL, &r, rows, err);
    if (rc == 0)
        rc = compare_row(ws, &at, "inlp", &inlp, &r, rows, err);
    if (rc == 0)
        rc = compare_row(ws, &at, "leace", &leace, &r, rows, err);
    if (rc == 0) {
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "compare_erasure", at.name);
        iv_json_set_str(obj, "label", argv[1]);
        iv_json_set_str(obj, "dataset", ws->data->spec);
        iv_json_set_num(obj, "majority", res.majority);
        iv_json_set_str(obj, "probe", "a fresh logistic probe (lambda 1) on the erased rows");
        iv_json_set_str(obj, "loss_gap", ws->label_column >= 0 ? "against the labels"
                                                               : "against the clean output");
        iv_json_set(obj, "methods", rows);
        iv_emit(sink, IV_RESULT_ERASURE, obj);
    } else {
        json_object_put(rows);
    }
    if (inlp.d)
        iv_lowrank_free(&inlp);
    if (leace.d)
        iv_lowrank_free(&leace);
    iv_inlp_result_free(&res);
    iv_concept_rows_free(&r);
    iv_concept_site_free(&at);
    return rc;
}

/* ---- pca ---------------------------------------------------------------------------------------------- */

/* The dataset row of the i-th point shown of n rows: every row, or evenly spaced ones. */
static long shown_row(long i, long n)
{
    long shown = n < PCA_MAX_POINTS ? n : PCA_MAX_POINTS;
    return shown == n ? i : i * n / shown;
}

/* Up to PCA_MAX_POINTS evenly spaced rows, each (x, y, class). */
static json_object *points_of(const double *coords, int k, const int *y, long n)
{
    json_object *pts = json_object_new_array();
    long shown = n < PCA_MAX_POINTS ? n : PCA_MAX_POINTS;
    for (long i = 0; i < shown; i++) {
        long row = shown_row(i, n);
        json_object *p = json_object_new_array();
        json_object_array_add(p, iv_json_num(coords[row * k]));
        json_object_array_add(p, iv_json_num(k > 1 ? coords[row * k + 1] : 0));
        json_object_array_add(p, json_object_new_int(y ? y[row] : 0));
        json_object_array_add(pts, p);
    }
    return pts;
}

static bool values_differ(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return true;
    return false;
}

/* Whether two addresses of one site share a neuron (both ascending). */
static bool overlap(const iv_addr *a, const iv_addr *b)
{
    for (int i = 0, j = 0; i < a->n && j < b->n;) {
        if (a->idx[i] == b->idx[j])
            return true;
        if (a->idx[i] < b->idx[j])
            i++;
        else
            j++;
    }
    return false;
}

/* The eraser (or other interventions) that change the values at `at`, named for the panel after:
 * every one on before the site, and those at the site on some of those values. */
static char *changed_by(const iv_workspace *ws, const iv_concept_site *at)
{
    iv_buf b = {0};
    int site = at->addr.site;
    for (int i = 0; i < ws->count; i++) {
        const iv_intervention *iv = &ws->list[i];
        if (!iv->enabled || iv->addr.site > site ||
            (iv->addr.site == site && !overlap(&iv->addr, &at->addr)))
            continue;
        char *addr = iv_addr_format(ws->model, &iv->addr);
        char *params = iv_intervention_params(iv);
        iv_buf_printf(&b, "%s#%d %s %s%s%s", b.len ? ", " : "", iv->id, iv_kind_name(iv->kind),
                      addr, *params ? " " : "", params);
        free(params);
        free(addr);
    }
    return b.data ? b.data : iv_xstrdup("the interventions");
}

/* The principal components of the clean values at `at`; `typed` names a whole site as the user
 * did. */
static int pca_at(iv_workspace *ws, const iv_concept_site *at, const char *typed,
                  const char *label, int k, const iv_sink *sink, iv_error *err)
{
    if (!ws->data)
        return iv_error_set(err, "no dataset: set one with 'data'");
    bool whole = iv_concept_site_is_whole(ws->model, at);
    const char *name = whole ? typed : at->name;
    int site = at->addr.site, w = at->addr.n;
    if (k > w)
        return iv_error_set(err, "k=%d: %s has %d %s", k, name, w,
                            whole ? "neurons" : "values at that position");
    iv_classes classes = {0};
    if (label && iv_label_classes(ws->data, label, &classes, err) < 0)
        return -1;
    if (iv_workspace_reference(ws, err) < 0) {
        iv_classes_free(&classes);
        return -1;
    }
    long n = ws->data->n;
    /* a whole site's clean values are the reference's own; a position's are taken out of them */
    float *clean_slice = whole ? NULL : iv_concept_values(ws, at, true, err);
    const float *clean = whole ? ws->ref_acts->site[site] : clean_slice;
    float *now = clean ? iv_concept_values(ws, at, false, err) : NULL;
    iv_pca p;
    if (!now || iv_pca_fit(clean, n, w, k, &p, err) < 0) {
        free(now);
        free(clean_slice);
        iv_classes_free(&classes);
        return -1;
    }
    double *coords = iv_xmalloc(sizeof(double) * (size_t)n * (size_t)k);
    iv_pca_project(&p, clean, n, w, coords, err);
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "pca", name);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    if (label)
        iv_json_set_str(obj, "label", label);
    json_object_object_add(obj, "components", json_object_new_int(k));
    iv_json_set(obj, "explained", iv_json_doubles(p.fraction, k));
    iv_json_set(obj, "variance", iv_json_doubles(p.variance, k));
    if (label)
        iv_json_set(obj, "classes", iv_json_doubles(classes.values, classes.k));
    iv_json_set(obj, "points", points_of(coords, k, label ? classes.y : NULL, n));
    /* the points' axes, so that an export's table says what each column and row is */
    json_object *cols = json_object_new_array(), *rows_shown = json_object_new_array();
    json_object_array_add(cols, json_object_new_string("PC1"));
    json_object_array_add(cols, json_object_new_string("PC2"));
    json_object_array_add(cols, json_object_new_string("class"));
    for (long i = 0; i < (n < PCA_MAX_POINTS ? n : PCA_MAX_POINTS); i++)
        json_object_array_add(rows_shown, json_object_new_int64(shown_row(i, n)));
    iv_json_set(obj, "x", cols);
    iv_json_set_str(obj, "x_name", "coordinate");
    iv_json_set(obj, "y", rows_shown);
    iv_json_set_str(obj, "y_name", "row");
    if (values_differ(clean, now, (size_t)n * (size_t)w)) {
        iv_pca_project(&p, now, n, w, coords, err); /* on the clean components, about the clean mean */
        iv_json_set(obj, "erased_points", points_of(coords, k, label ? classes.y : NULL, n));
        char *by = changed_by(ws, at);
        iv_json_set_str(obj, "erased_by", by);
        free(by);
    }
    const iv_probe *probe = iv_concepts_probe_at(ws, &at->addr);
    if (probe && k >= 2) { /* the probe's first weight row, in the plane of the components */
        double dir[2] = {0, 0};
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < w; j++)
                dir[c] += probe->w[j] * p.components[(size_t)c * w + j];
        iv_json_set(obj, "probe_direction", iv_json_doubles(dir, 2));
    }
    json_object_object_add(obj, "shown", json_object_new_int64(n < PCA_MAX_POINTS ? n : PCA_MAX_POINTS));
    json_object_object_add(obj, "rows", json_object_new_int64(n));
    iv_emit(sink, IV_RESULT_PCA, obj);
    free(coords);
    free(now);
    free(clean_slice);
    iv_pca_free(&p);
    iv_classes_free(&classes);
    return 0;
}

/* PCA's words after SITE: one LABEL and k=K. */
static int read_pca_words(int argc, char **argv, const char **label, long *k, iv_error *err)
{
    *label = NULL;
    *k = 2;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "k=", 2) == 0) {
            if (iv_parse_int(argv[i] + 2, 1, IV_MAX_WIDTH, k) < 0)
                return iv_error_set(err, "%s: expected a whole number >= 1", argv[i]);
        } else if (!*label) {
            *label = argv[i];
        } else {
            return iv_error_set(err, "'%s': expected one LABEL and k=K", argv[i]);
        }
    }
    return 0;
}

IV_HANDLER(iv_cmd_pca)
{
    iv_concept_site at;
    if (iv_concept_site_parse(ws->model, argv[0], &at, err) < 0)
        return -1;
    const char *label;
    long k;
    if (read_pca_words(argc - 1, argv + 1, &label, &k, err) < 0) {
        iv_concept_site_free(&at);
        return -1;
    }
    int rc = pca_at(ws, &at, argv[0], label, (int)k, sink, err);
    iv_concept_site_free(&at);
    return rc;
}
