/* cmd_probe.c - probe: how well a linear reader recovers a label from a site, at one site (or one
 * position of a transformer's site) or at every site ("where is this concept linearly
 * readable?"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concepts.h"
#include "handlers.h"
#include "probe_mlp.h"
#include "report.h"

#define DEFAULT_LOGISTIC_LAMBDA 1.0 /* the penalty of scikit-learn's default C = 1 */

typedef struct probe_options {
    iv_probe_kind kind;
    double lambda;
    bool lambda_given, all_sites;
    bool mlp;                   /* a nonlinear probe (probe_mlp.h) instead */
    iv_probe_mlp_options net;
} probe_options;

static int read_options(int argc, char **argv, probe_options *o, iv_error *err)
{
    *o = (probe_options){.kind = IV_PROBE_LOGISTIC,
                         .net = {.hidden = 16, .epochs = 30, .lr = 3e-3}};
    for (int i = 0; i < argc; i++) {
        long l;
        if (strcmp(argv[i], "mlp") == 0) {
            o->mlp = true;
        } else if (strncmp(argv[i], "hidden=", 7) == 0) {
            if (iv_parse_int(argv[i] + 7, 1, 4096, &l) < 0)
                return iv_error_set(err, "%s: expected a whole number from 1 to 4096", argv[i]);
            o->net.hidden = (int)l;
        } else if (strncmp(argv[i], "epochs=", 7) == 0) {
            if (iv_parse_int(argv[i] + 7, 1, 10000, &l) < 0)
                return iv_error_set(err, "%s: expected a whole number from 1 to 10000", argv[i]);
            o->net.epochs = (int)l;
        } else if (strcmp(argv[i], "ridge") == 0) {
            o->kind = IV_PROBE_RIDGE;
        } else if (strcmp(argv[i], "logistic") == 0) {
            o->kind = IV_PROBE_LOGISTIC;
        } else if (strcmp(argv[i], "all-sites") == 0) {
            o->all_sites = true;
        } else if (strncmp(argv[i], "lambda=", 7) == 0) {
            if (iv_parse_double(argv[i] + 7, &o->lambda) < 0 || o->lambda < 0)
                return iv_error_set(err, "%s: expected a number >= 0", argv[i]);
            o->lambda_given = true;
        } else {
            return iv_error_set(err, "'%s': expected ridge, logistic, mlp, lambda=L, hidden=H, "
                                "epochs=E or all-sites", argv[i]);
        }
    }
    if (o->mlp && (o->lambda_given || o->all_sites))
        return iv_error_set(err, "an mlp probe takes hidden=H and epochs=E, at one site");
    if (!o->mlp && (o->net.hidden != 16 || o->net.epochs != 30))
        return iv_error_set(err, "hidden= and epochs= go with mlp");
    if (!o->lambda_given)
        o->lambda = o->kind == IV_PROBE_LOGISTIC ? DEFAULT_LOGISTIC_LAMBDA : 0;
    if (o->kind == IV_PROBE_LOGISTIC && !(o->lambda > 0))
        return iv_error_set(err, "lambda=0: a logistic probe needs a penalty above 0 (on classes "
                            "a hyperplane separates, the unpenalised weights grow without end); "
                            "use ridge for least squares");
    return 0;
}

/* One fitted and scored probe. */
typedef struct probe_score {
    double train, test, majority;
    iv_probe probe;
} probe_score;

static int fit_and_score(const iv_concept_rows *r, const probe_options *o, probe_score *s,
                         iv_error *err)
{
    memset(s, 0, sizeof *s);
    int rc = o->kind == IV_PROBE_RIDGE ? iv_probe_ridge(&r->train, o->lambda, NULL, &s->probe, err)
                                       : iv_probe_logistic(&r->train, o->lambda, NULL, &s->probe,
                                                           err);
    if (rc == 0)
        rc = iv_probe_accuracy(&s->probe, &r->train, NULL, &s->train, err);
    if (rc == 0)
        rc = iv_probe_accuracy(&s->probe, &r->test, NULL, &s->test, err);
    s->majority = iv_majority_rate(r->test_y, r->n_test, r->classes.k);
    if (rc < 0)
        iv_probe_free(&s->probe);
    return rc;
}

static const char *kind_name(iv_probe_kind k) { return k == IV_PROBE_RIDGE ? "ridge" : "logistic"; }

static void common_fields(json_object *obj, const iv_workspace *ws, const char *label,
                          const probe_options *o, const iv_concept_rows *r)
{
    iv_json_set_str(obj, "label", label);
    iv_json_set_str(obj, "classifier", kind_name(o->kind));
    iv_json_set_num(obj, "lambda", o->lambda);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "train_rows", json_object_new_int64(r->n_train));
    json_object_object_add(obj, "holdout_rows", json_object_new_int64(r->n_test));
    json_object_object_add(obj, "classes", json_object_new_int(r->classes.k));
}

static double weight_norm(const iv_probe *p)
{
    double s = 0;
    for (long i = 0; i < (long)p->rows * p->d; i++)
        s += p->w[i] * p->w[i];
    return sqrt(s);
}

static int probe_one(iv_workspace *ws, const iv_concept_site *at, const char *label,
                     const probe_options *o, const iv_sink *sink, iv_error *err)
{
    iv_concept_rows r;
    if (iv_concept_rows_get(ws, at, label, false, &r, err) < 0)
        return -1;
    probe_score s;
    if (fit_and_score(&r, o, &s, err) < 0) {
        iv_concept_rows_free(&r);
        return -1;
    }
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "probe", at->name);
    common_fields(obj, ws, label, o, &r);
    iv_json_set_num(obj, "train_accuracy", s.train);
    iv_json_set_num(obj, "holdout_accuracy", s.test);
    iv_json_set_num(obj, "majority", s.majority);
    iv_json_set_num(obj, "weight_norm", weight_norm(&s.probe));
    if (o->kind == IV_PROBE_LOGISTIC) {
        json_object_object_add(obj, "newton_steps", json_object_new_int(s.probe.steps));
        json_object_object_add(obj, "converged", json_object_new_boolean(s.probe.converged));
    }
    int on = 0;
    for (int i = 0; i < ws->count; i++)
        on += ws->list[i].enabled;
    iv_json_set_str(obj, "values", on ? "under the interventions that are on" : "clean");
    iv_concepts_keep_probe(ws, at, label, &s.probe);
    iv_probe_free(&s.probe);
    iv_concept_rows_free(&r);
    iv_emit(sink, IV_RESULT_PROBE, obj);
    return 0;
}

/* The nonlinear probe: trained by the trainer on the site's values, its own seeded held-out rows
 * (the workspace's split share and seed). */
static int probe_mlp(iv_workspace *ws, const iv_concept_site *at, const char *label,
                     probe_options *o, const iv_sink *sink, iv_error *err)
{
    iv_concept_rows r;
    if (iv_concept_rows_get(ws, at, label, false, &r, err) < 0)
        return -1;
    o->net.holdout = ws->holdout;
    o->net.seed = ws->split_seed;
    iv_probe_mlp_result res;
    int rc = iv_probe_mlp(r.values, r.classes.n, r.width, r.classes.y, r.classes.k, &o->net,
                          ws->job, &res, err);
    if (rc == 0) {
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "probe", at->name);
        iv_json_set_str(obj, "label", label);
        iv_json_set_str(obj, "classifier", "mlp");
        json_object_object_add(obj, "hidden", json_object_new_int(o->net.hidden));
        json_object_object_add(obj, "epochs", json_object_new_int(o->net.epochs));
        iv_json_set_str(obj, "dataset", ws->data->spec);
        json_object_object_add(obj, "train_rows", json_object_new_int64(res.train_rows));
        json_object_object_add(obj, "holdout_rows", json_object_new_int64(res.holdout_rows));
        json_object_object_add(obj, "classes", json_object_new_int(r.classes.k));
        iv_json_set_num(obj, "train_accuracy", res.train_accuracy);
        iv_json_set_num(obj, "holdout_accuracy", res.holdout_accuracy);
        iv_json_set_num(obj, "majority", iv_classes_majority(&r.classes));
        iv_emit(sink, IV_RESULT_PROBE, obj);
    }
    iv_concept_rows_free(&r);
    return rc;
}

static int probe_every_site(iv_workspace *ws, const char *label, const probe_options *o,
                            const iv_sink *sink, iv_error *err)
{
    const iv_model *m = ws->model;
    json_object *rows = json_object_new_array(), *obj = json_object_new_object();
    int rc = 0;
    for (int site = 0; site < m->n_sites && rc == 0; site++) {
        iv_job_range part = iv_job_part(ws->job, (double)site / m->n_sites,
                                        (double)(site + 1) / m->n_sites);
        iv_concept_site at;
        iv_concept_site_whole(m, site, &at);
        iv_concept_rows r;
        probe_score s;
        rc = iv_concept_rows_get(ws, &at, label, false, &r, err);
        if (rc == 0 && (rc = fit_and_score(&r, o, &s, err)) == 0) {
            json_object *row = json_object_new_object();
            iv_json_set_str(row, "site", at.name);
            json_object_object_add(row, "width", json_object_new_int(r.width));
            iv_json_set_num(row, "train_accuracy", s.train);
            iv_json_set_num(row, "holdout_accuracy", s.test);
            iv_json_set_num(row, "majority", s.majority);
            json_object_array_add(rows, row);
            iv_probe_free(&s.probe);
        }
        if (rc == 0 && site == 0)
            common_fields(obj, ws, label, o, &r);
        iv_concept_rows_free(&r);
        iv_concept_site_free(&at);
        iv_job_restore(ws->job, part);
        if (rc == 0)
            rc = iv_job_progress(ws->job, (double)(site + 1), (double)m->n_sites, err);
    }
    if (rc < 0) {
        json_object_put(rows);
        json_object_put(obj);
        return -1;
    }
    iv_json_set_str(obj, "probe", "all sites");
    iv_json_set(obj, "sites", rows);
    iv_emit(sink, IV_RESULT_PROBE, obj);
    return 0;
}

IV_HANDLER(iv_cmd_probe)
{
    probe_options o;
    if (read_options(argc - 2, argv + 2, &o, err) < 0)
        return -1;
    bool all = o.all_sites || strcmp(argv[0], "all") == 0 || strcmp(argv[0], "all-sites") == 0;
    if (all && o.mlp)
        return iv_error_set(err, "an mlp probe takes hidden=H and epochs=E, at one site");
    if (all)
        return probe_every_site(ws, argv[1], &o, sink, err);
    if (!strchr(argv[0], '[') && iv_model_site_find(ws->model, argv[0]) < 0)
        return iv_error_set(err, "unknown site '%s' (a site's name, or all)", argv[0]);
    iv_concept_site at;
    if (iv_concept_site_parse(ws->model, argv[0], &at, err) < 0)
        return -1;
    int rc = o.mlp ? probe_mlp(ws, &at, argv[1], &o, sink, err)
                   : probe_one(ws, &at, argv[1], &o, sink, err);
    iv_concept_site_free(&at);
    return rc;
}
