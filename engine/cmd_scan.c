/* cmd_scan.c - scan and attribute: activation-patching scans over a site's neurons, and their
 * first-order estimate (scan.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "metrics.h"
#include "report.h"
#include "scan.h"

/* What a scan measures: the change of one output at the base input, or the loss gap. */
typedef struct scan_metric {
    bool loss;
    int out_k;        /* the output measured; -1 until chosen (iv_scan_default_output) */
    bool top_class;   /* out_k was chosen as the clean top class */
} scan_metric;

/* ---- reading the words ----------------------------------------------------------------------- */

/* A site by name; a neuron address is refused with the site it names. */
static int site_word(const iv_workspace *ws, const char *word, bool or_all, iv_error *err)
{
    int site = iv_model_site_find(ws->model, word);
    if (site >= 0)
        return site;
    iv_addr probe;
    if (iv_addr_parse(ws->model, word, &probe, err) < 0)
        return -1; /* its message lists the sites */
    char name[128];
    iv_model_site_name(ws->model, probe.site, name, sizeof name);
    iv_addr_clear(&probe);
    return iv_error_set(err, "'%s' is a neuron address; give a site name such as '%s'%s", word,
                        name, or_all ? " (or all)" : "");
}

/* out[K], output[K] or NAME[K] (NAME the output site, K an index or a label): one output. */
static int output_word(const iv_workspace *ws, const char *text, int *k, iv_error *err)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    const char *bracket = strchr(text, '[');
    char name[128];
    iv_model_site_name(m, out, name, sizeof name);
    size_t len = bracket ? (size_t)(bracket - text) : 0;
    bool generic = (len == 3 && strncmp(text, "out", 3) == 0) ||
                   (len == 6 && strncmp(text, "output", 6) == 0);
    char *addr_text = generic ? iv_xasprintf("%s%s", name, bracket) : iv_xstrdup(text);
    iv_addr a;
    iv_error why;
    int rc = bracket ? iv_addr_parse(m, addr_text, &a, &why) : -1;
    free(addr_text);
    if (rc == 0 && (a.site != out || a.n != 1)) {
        iv_addr_clear(&a);
        rc = -1;
    }
    if (rc < 0)
        return iv_error_set(err, "metric=%s: expected output, loss, or one output out[K] with K "
                            "from 0 to %d", text, w - 1);
    *k = a.idx[0];
    iv_addr_clear(&a);
    return 0;
}

static int metric_word(const iv_workspace *ws, const char *value, bool loss_allowed,
                       scan_metric *mt, iv_error *err)
{
    mt->loss = false;
    mt->out_k = -1;
    if (strcmp(value, "output") == 0)
        return 0;
    if (strcmp(value, "loss") == 0) {
        if (!loss_allowed)
            return iv_error_set(err, "metric=loss is not offered: a loss gap is a mean over the "
                                "dataset while a patch acts at one base input, and the loss at "
                                "the base is at its minimum (gradient 0) when nothing is on; use "
                                "metric=output or metric=out[K]");
        mt->loss = true;
        return 0;
    }
    return output_word(ws, value, &mt->out_k, err);
}

/* The words after SITE: [patch|zero|mean] [metric=...], in either order. */
static int scan_words(const iv_workspace *ws, int argc, char **argv, iv_kind *kind,
                      scan_metric *mt, iv_error *err)
{
    bool have_kind = false, have_metric = false;
    *kind = IV_PATCH;
    mt->loss = false;
    mt->out_k = -1;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool is_kind = strcmp(w, "patch") == 0 || strcmp(w, "zero") == 0 ||
                       strcmp(w, "mean") == 0;
        if (strncmp(w, "metric=", 7) == 0) {
            if (have_metric)
                return iv_error_set(err, "'%s': the metric is given twice", w);
            if (metric_word(ws, w + 7, true, mt, err) < 0)
                return -1;
            have_metric = true;
        } else if (is_kind) {
            if (have_kind)
                return iv_error_set(err, "'%s': the kind is given twice (one of patch, zero, "
                                    "mean)", w);
            iv_kind_parse(w, kind);
            have_kind = true;
        } else {
            return iv_error_set(err, "'%s': expected patch, zero or mean (the kind), or "
                                "metric=output|loss|out[K]", w);
        }
    }
    return 0;
}

/* ---- the result ------------------------------------------------------------------------------ */

static char *row_name(const iv_model *m, const iv_scan_row *r)
{
    if (r->neuron == IV_SCAN_WHOLE) {
        char name[128];
        iv_model_site_name(m, r->site, name, sizeof name);
        return iv_xstrdup(name);
    }
    int i = r->neuron;
    iv_addr one = {r->site, 1, &i};
    return iv_addr_format(m, &one);
}

static json_object *label_of(const iv_model *m, const iv_scan_row *r)
{
    const char *l = r->neuron == IV_SCAN_WHOLE ? NULL
                                                : iv_model_neuron_label(m, r->site, r->neuron);
    return l ? json_object_new_string(l) : NULL; /* null: no label, or the site whole */
}

static json_object *input_values(const iv_model *m, const float *x)
{
    json_object *obj = json_object_new_object();
    for (int i = 0; i < m->n_inputs; i++)
        iv_json_set_num(obj, m->input_names[i], x[i]);
    return obj;
}

/* The output measured, by name, and a sentence saying what a value is. */
static void describe_output(const iv_workspace *ws, const scan_metric *mt, json_object *obj)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), k = mt->out_k;
    iv_addr one = {out, 1, &k};
    char *name = iv_addr_format(m, &one);
    char *text;
    if (mt->top_class)
        text = iv_xasprintf("change of %s at the base input (intervened - clean): the clean top "
                            "class, its %s", name, iv_model_is_classifier(m) ? "probability"
                                                                             : "logit");
    else
        text = iv_xasprintf("change of %s at the base input (intervened - clean)", name);
    iv_json_set_str(obj, "output", name);
    iv_json_set_str(obj, "measure", text);
    iv_json_set_num(obj, "clean", ws->clean->site[out][k]);
    free(name);
    free(text);
}

/* Which interventions stay on under the scan's, and a sentence saying so (nothing when none). */
static void describe_kept(const iv_workspace *ws, json_object *obj)
{
    json_object *ids = json_object_new_array();
    iv_buf text = {0};
    int on = 0;
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled) {
            json_object_array_add(ids, json_object_new_int(ws->list[i].id));
            iv_buf_printf(&text, "%s#%d", on++ ? ", " : "", ws->list[i].id);
        }
    if (!on) {
        json_object_put(ids);
        iv_buf_free(&text);
        return;
    }
    iv_json_set(obj, "applied_first", ids);
    char *note = iv_xasprintf("each row's intervention is added after the %d on (%s), as ablate "
                              "would add it", on, text.data);
    iv_json_set_str(obj, "note", note);
    free(note);
    iv_buf_free(&text);
}

static json_object *scan_table(const iv_model *m, const iv_scan_row *rows, int n,
                               const double *value)
{
    json_object *table = json_object_new_array();
    for (int g = 0; g < n; g++) {
        json_object *row = json_object_new_object();
        char *name = row_name(m, &rows[g]);
        iv_json_set_str(row, "neuron", name);
        free(name);
        iv_json_set(row, "label", label_of(m, &rows[g]));
        iv_json_set_num(row, "value", value[g]);
        json_object_array_add(table, row);
    }
    return table;
}

static void choose_output(const iv_workspace *ws, scan_metric *mt)
{
    mt->top_class = mt->out_k < 0 && iv_model_output_width(ws->model) > 1;
    if (mt->out_k < 0)
        mt->out_k = iv_scan_default_output(ws);
}

/* ---- scan ------------------------------------------------------------------------------------ */

/* The rows' values, and what the result says beside them. */
static int run_scan(iv_workspace *ws, iv_kind kind, scan_metric *mt, const iv_scan_row *rows,
                    int n, double *value, json_object *obj, iv_error *err)
{
    if (!mt->loss) {
        choose_output(ws, mt);
        double baseline;
        if (iv_scan_output(ws, kind, rows, n, mt->out_k, value, &baseline, err) < 0)
            return -1;
        describe_output(ws, mt, obj);
        iv_json_set_num(obj, "baseline", baseline); /* the interventions on, alone */
        return 0;
    }
    if (iv_scan_loss(ws, kind, rows, n, value, err) < 0)
        return -1;
    iv_json_set_str(obj, "measure", "loss gap over the dataset of the interventions on with the "
                    "row's added (as ablate ...; effect reports it)");
    iv_json_set_str(obj, "dataset", ws->data->spec);
    iv_json_set_str(obj, "loss", iv_loss_name(ws));
    return 0;
}

IV_HANDLER(iv_cmd_scan)
{
    int site = -1;
    if (strcmp(argv[0], "all") != 0 && (site = site_word(ws, argv[0], true, err)) < 0)
        return -1;
    iv_kind kind;
    scan_metric mt;
    if (scan_words(ws, argc - 1, argv + 1, &kind, &mt, err) < 0)
        return -1;
    if (!ws->clean || !ws->intervened)
        return iv_error_set(err, "nothing is evaluated (the last run failed; see its message)");
    iv_scan_row *rows;
    int n = iv_scan_rows(ws->model, site, &rows);
    double *value = iv_xcalloc((size_t)n, sizeof(double));
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "scan", argv[0]);
    iv_json_set_str(obj, "kind", iv_kind_name(kind));
    iv_json_set_str(obj, "metric", mt.loss ? "loss" : "output");
    int rc = run_scan(ws, kind, &mt, rows, n, value, obj, err);
    if (rc == 0) {
        if (kind == IV_PATCH)
            iv_json_set(obj, "source", input_values(ws->model, ws->source));
        describe_kept(ws, obj);
        iv_json_set(obj, "rows", scan_table(ws->model, rows, n, value));
        iv_emit(sink, IV_RESULT_SCAN, json_object_get(obj));
    }
    json_object_put(obj);
    free(rows);
    free(value);
    return rc;
}

/* ---- attribute ------------------------------------------------------------------------------- */

static json_object *attribution_row(const iv_model *m, const iv_scan_row *r, double source,
                                    double base, double gradient, double estimate, double actual)
{
    json_object *row = json_object_new_object();
    char *name = row_name(m, r);
    iv_json_set_str(row, "neuron", name);
    free(name);
    iv_json_set(row, "label", label_of(m, r));
    if (r->neuron != IV_SCAN_WHOLE) {
        iv_json_set_num(row, "source", source);
        iv_json_set_num(row, "base", base);
        iv_json_set_num(row, "gradient", gradient);
    }
    iv_json_set_num(row, "estimate", estimate);
    iv_json_set_num(row, "actual", actual);
    return row;
}

/* The neuron whose estimate is furthest from its true patching effect. */
static json_object *largest_disagreement(const iv_model *m, const iv_scan_row *rows, int w,
                                         const double *estimate, const double *actual)
{
    int worst = 0;
    for (int i = 1; i < w; i++)
        if (fabs(estimate[i] - actual[i]) > fabs(estimate[worst] - actual[worst]))
            worst = i;
    json_object *obj = json_object_new_object();
    char *name = row_name(m, &rows[worst]);
    iv_json_set_str(obj, "neuron", name);
    free(name);
    iv_json_set_num(obj, "estimate", estimate[worst]);
    iv_json_set_num(obj, "actual", actual[worst]);
    iv_json_set_num(obj, "difference", estimate[worst] - actual[worst]);
    return obj;
}

static json_object *attribution_result(const iv_workspace *ws, const scan_metric *mt,
                                       const char *site_name, const iv_scan_row *rows, int n,
                                       const iv_attribution *a, const double *actual)
{
    const iv_model *m = ws->model;
    int w = a->width;
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "attribute", site_name);
    describe_output(ws, mt, obj);
    iv_json_set_str(obj, "method", "estimate: (source - base) x d(output)/d(neuron), from one "
                    "backward pass at the base; actual: the patch itself, as the change from the "
                    "run with the interventions on");
    double r = iv_pearson(a->estimate, actual, w);
    iv_json_set_num(obj, "correlation", r);
    if (!isfinite(r))
        iv_json_set_str(obj, "correlation_note", w < 2 ? "undefined for one neuron"
                                                       : "undefined: estimate or actual is "
                                                         "the same for every neuron");
    iv_json_set(obj, "source", input_values(m, ws->source));
    describe_kept(ws, obj);
    iv_json_set(obj, "largest_disagreement", largest_disagreement(m, rows, w, a->estimate,
                                                                  actual));
    json_object *table = json_object_new_array();
    double sum = 0;
    for (int i = 0; i < w; i++) {
        sum += a->estimate[i];
        json_object_array_add(table, attribution_row(m, &rows[i], a->source[i], a->base[i],
                                                     a->gradient[i], a->estimate[i], actual[i]));
    }
    if (n > w) /* the site whole: to first order, the sum of its neurons' estimates */
        json_object_array_add(table, attribution_row(m, &rows[w], 0, 0, 0, sum, actual[w]));
    iv_json_set(obj, "rows", table);
    return obj;
}

IV_HANDLER(iv_cmd_attribute)
{
    int site = site_word(ws, argv[0], false, err);
    if (site < 0)
        return -1;
    scan_metric mt = {.out_k = -1};
    if (argc == 2 && strncmp(argv[1], "metric=", 7) != 0)
        return iv_error_set(err, "'%s': expected metric=output or metric=out[K]", argv[1]);
    if (argc == 2 && metric_word(ws, argv[1] + 7, false, &mt, err) < 0)
        return -1;
    if (!ws->clean || !ws->intervened)
        return iv_error_set(err, "nothing is evaluated (the last run failed; see its message)");
    choose_output(ws, &mt);
    iv_attribution a;
    if (iv_attribute(ws, site, mt.out_k, &a, err) < 0)
        return -1;
    iv_scan_row *rows;
    int n = iv_scan_rows(ws->model, site, &rows);
    double *actual = iv_xcalloc((size_t)n, sizeof(double)), baseline;
    int rc = iv_scan_output(ws, IV_PATCH, rows, n, mt.out_k, actual, &baseline, err);
    for (int g = 0; rc == 0 && g < n; g++)
        actual[g] -= baseline; /* from the run as it is, where the gradient is taken */
    if (rc == 0)
        iv_emit(sink, IV_RESULT_SCAN,
                attribution_result(ws, &mt, argv[0], rows, n, &a, actual));
    iv_attribution_free(&a);
    free(rows);
    free(actual);
    return rc;
}
