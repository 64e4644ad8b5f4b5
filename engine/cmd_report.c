/* cmd_report.c - commands that look at results: show, effect, stats, help. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "handlers.h"
#include "effect.h"
#include "metrics.h"
#include "pass.h"
#include "report.h"

static int site_arg(const iv_workspace *ws, const char *name, iv_error *err)
{
    int site = iv_model_site_find(ws->model, name);
    if (site < 0) {
        iv_addr probe;
        /* Reuse the address parser's message, which lists the sites. */
        if (iv_addr_parse(ws->model, name, &probe, err) == 0) {
            char site_name[128];
            iv_model_site_name(ws->model, probe.site, site_name, sizeof site_name);
            iv_addr_clear(&probe);
            return iv_error_set(err, "'%s' is a neuron address; give a site name such as '%s'",
                                name, site_name);
        }
        return -1;
    }
    return site;
}

/* One site's values; the output's report adds the change and the target. */
static void show_site(const iv_workspace *ws, int site, const iv_sink *sink)
{
    if (site == iv_model_output_site(ws->model))
        iv_emit(sink, IV_RESULT_OUTPUT, iv_report_output(ws));
    else
        iv_emit(sink, IV_RESULT_SITE, iv_report_site(ws, site));
}

IV_HANDLER(iv_cmd_show)
{
    if (!ws->clean || !ws->intervened)
        return iv_error_set(err, "nothing is evaluated (the last run failed; see its message)");
    if (argc == 1) {
        int site = site_arg(ws, argv[0], err);
        if (site < 0)
            return -1;
        show_site(ws, site, sink);
        return 0;
    }
    for (int s = 0; s < iv_model_site_count(ws->model); s++)
        show_site(ws, s, sink);
    return 0;
}

/* The output change over a two-input grid (signed for one output), and the intervened output. */
static double change_at(long r, const void *user)
{
    const iv_effect *e = user;
    /* float arithmetic, as the numbers have always been computed */
    return e->width == 1 ? (double)(e->intervened[r] - e->clean[r]) : e->change[r];
}

static double output_at(long r, const void *user)
{
    const iv_effect *e = user;
    return e->intervened[r * e->width];
}

static json_object *effect_map(const iv_workspace *ws, const iv_effect *e)
{
    iv_map_shape shape;
    iv_map_shape_of(ws->data, &shape);
    json_object *map = iv_report_grid_map(ws, &shape);
    iv_json_set_str(map, "measure", e->width == 1 ? "intervened - clean" : "|intervened - clean|");
    iv_json_set(map, "change", iv_map_matrix(&shape, IV_MAP_MEAN, change_at, e));
    iv_json_set(map, "output", iv_map_matrix(&shape, IV_MAP_MEAN, output_at, e));
    return map;
}

/* Ten equal bins of the size of the change, from 0 to its largest finite value; changes that are
 * not finite (an output driven past float32) are counted apart. */
static json_object *effect_histogram(const iv_effect *e)
{
    enum { BINS = 10 };
    long counts[BINS] = {0}, not_finite = 0;
    double top = 0;
    for (long r = 0; r < e->n; r++)
        top = isfinite(e->change[r]) ? fmax(top, e->change[r]) : top;
    top = top > 0 ? top : 1;
    for (long r = 0; r < e->n; r++) {
        if (!isfinite(e->change[r])) {
            not_finite++;
            continue;
        }
        int b = (int)(e->change[r] / top * BINS);
        counts[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
    }
    json_object *h = json_object_new_object(), *edges = json_object_new_array();
    json_object *cs = json_object_new_array();
    for (int b = 0; b <= BINS; b++)
        json_object_array_add(edges, iv_json_num(top * b / BINS));
    for (int b = 0; b < BINS; b++)
        json_object_array_add(cs, json_object_new_int64(counts[b]));
    iv_json_set(h, "edges", edges);
    iv_json_set(h, "counts", cs);
    if (not_finite)
        json_object_object_add(h, "not_finite", json_object_new_int64(not_finite));
    return h;
}

/* Accuracy against the label column ('metric label'): by name for JSON, and as one phrase,
 * "accuracy clean 0.912 -> intervened 0.45", for reading. intervened < 0: the clean one alone. */
static void report_label_accuracy(const iv_workspace *ws, double clean, double intervened,
                                  json_object *obj)
{
    char c[32], i[32];
    iv_format_number(c, sizeof c, clean);
    iv_format_number(i, sizeof i, intervened);
    iv_json_set_str(obj, "label", ws->data->label_names[ws->label_column]);
    iv_json_set_num(obj, "label_accuracy_clean", clean);
    if (intervened >= 0)
        iv_json_set_num(obj, "label_accuracy", intervened);
    char *text = intervened >= 0 ? iv_xasprintf("accuracy clean %s -> intervened %s", c, i)
                                 : iv_xasprintf("accuracy clean %s", c);
    iv_json_set_str(obj, "label_summary", text);
    free(text);
}

/* The clean network's accuracy against the labels, over the dataset. */
static double clean_label_accuracy(const iv_workspace *ws)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    const iv_dataset *ds = ws->data;
    long right = 0;
    for (long r = 0; r < ds->n; r++) {
        const float *y = ws->ref_acts->site[out] + r * w;
        int top = 0;
        for (int k = 1; k < w; k++)
            top = y[k] > y[top] ? k : top;
        right += top == (int)ds->labels[r * ds->n_labels + ws->label_column];
    }
    return (double)right / (double)ds->n;
}

IV_HANDLER(iv_cmd_effect)
{
    iv_effect e;
    if (iv_workspace_effect(ws, &e, err) < 0)
        return -1;
    const iv_model *m = ws->model;
    json_object *obj = json_object_new_object(), *ids = json_object_new_array();
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled)
            json_object_array_add(ids, json_object_new_int(ws->list[i].id));
    iv_json_set(obj, "interventions", ids);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "examples", json_object_new_int64(e.n));
    json_object_object_add(obj, "samples", json_object_new_int64(e.samples));
    iv_json_set_num(obj, "mean_change", e.mean_change); /* of |change|, as its name keeps */
    if (e.width == 1)
        iv_json_set_num(obj, "mean_signed_change", e.mean_signed);
    iv_json_set_num(obj, "max_change", e.max_change);
    json_object *at = json_object_new_object();
    for (int i = 0; i < m->n_inputs; i++)
        iv_json_set_num(at, m->input_names[i], ws->data->x[e.argmax * m->n_inputs + i]);
    iv_json_set(obj, "max_change_at", at);
    const iv_metrics *mt = &e.metrics;
    iv_json_set_str(obj, "loss", iv_loss_name(ws));
    iv_json_set_num(obj, "loss_gap", mt->loss_gap);
    if (mt->classifier) {
        iv_json_set_num(obj, "accuracy", mt->accuracy);
        iv_json_set_num(obj, "logit_diff", mt->logit_diff);
    }
    if (mt->labelled)
        report_label_accuracy(ws, mt->label_accuracy_clean, mt->label_accuracy, obj);
    if (mt->logit_diff_set) {
        iv_json_set_num(obj, "logit_diff_clean", mt->logit_diff_clean);
        iv_json_set_num(obj, "logit_diff_intervened", mt->logit_diff_intervened);
    }
    if (mt->has_target) {
        iv_json_set_num(obj, "target_mse_clean", mt->target_mse_clean);
        iv_json_set_num(obj, "target_mse", mt->target_mse);
    }
    if (m->n_inputs == 2 && ws->data->is_grid)
        iv_json_set(obj, "map", effect_map(ws, &e));
    else
        iv_json_set(obj, "histogram", effect_histogram(&e));
    iv_effect_free(&e);
    iv_emit(sink, IV_RESULT_EFFECT, obj);
    return 0;
}

IV_HANDLER(iv_cmd_stats)
{
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    int first = 0, last = iv_model_site_count(ws->model) - 1;
    if (argc == 1) {
        first = last = site_arg(ws, argv[0], err);
        if (first < 0)
            return -1;
    }
    for (int s = first; s <= last; s++) {
        char name[128];
        iv_model_site_name(ws->model, s, name, sizeof name);
        int w = iv_model_site_width(ws->model, s);
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "site", name);
        iv_json_set_str(obj, "dataset", ws->data->spec);
        iv_workspace_stats_site(ws, s);
        iv_json_set(obj, "mean", iv_json_doubles(ws->stats->mean[s], w));
        iv_json_set(obj, "std", iv_json_doubles(ws->stats->std[s], w));
        iv_json_set_num(obj, "site_std", ws->stats->site_std[s]);
        iv_emit(sink, IV_RESULT_STATS, obj);
    }
    return 0;
}

IV_HANDLER(iv_cmd_help)
{
    int count;
    const iv_command *table = iv_commands(&count);
    if (argc == 1) {
        const iv_command *c = iv_command_find(argv[0]);
        if (!c)
            return iv_error_set(err, "no command '%s' (try 'help')", argv[0]);
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "command", c->name);
        iv_json_set_str(obj, "usage", c->usage);
        iv_json_set_str(obj, "summary", c->summary);
        if (*c->detail)
            iv_json_set_str(obj, "detail", c->detail);
        iv_emit(sink, IV_RESULT_HELP, obj);
        return 0;
    }
    json_object *obj = json_object_new_object(), *rows = json_object_new_array();
    for (int i = 0; i < count; i++) {
        json_object *row = json_object_new_object();
        iv_json_set_str(row, "command", table[i].name);
        iv_json_set_str(row, "usage", table[i].usage);
        iv_json_set_str(row, "summary", table[i].summary);
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "commands", rows);
    iv_emit(sink, IV_RESULT_HELP, obj);
    return 0;
}

IV_HANDLER(iv_cmd_say)
{
    iv_buf text = {0};
    iv_buf_append(&text, "", 0);
    for (int i = 0; i < argc; i++)
        iv_buf_printf(&text, "%s%s", i ? " " : "", argv[i]);
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "say", text.data);
    iv_buf_free(&text);
    iv_emit(sink, IV_RESULT_TEXT, obj);
    return 0;
}

/* One row of the comparison table. */
static json_object *comparison_row(const char *neurons, const iv_comparison *c, int n)
{
    json_object *row = json_object_new_object();
    iv_json_set_str(row, "neurons", neurons);
    iv_json_set_num(row, "zero", c->zero);
    iv_json_set_num(row, "mean", c->mean);
    iv_json_set_num(row, "resample", c->resample);
    iv_json_set_num(row, "noise", c->noise);
    iv_json_set_num(row, "optimal", c->optimal);
    iv_json_set(row, "optimal_at", iv_json_doubles(c->optimal_values, n));
    return row;
}

/* The neurons compared one by one: every other one on a helper thread, so that the second core
 * does half of the small passes, which are too small for BLAS to share out (pass.h). */
typedef struct rows_task {
    iv_workspace *ws;
    const iv_addr *addr;
    iv_comparison *out; /* (addr->n) */
    int *rc;            /* (addr->n) */
    iv_error *err;      /* (addr->n) */
    int first, step;
} rows_task;

static void compare_rows(rows_task *t)
{
    for (int j = t->first; j < t->addr->n; j += t->step) {
        iv_addr one = {.site = t->addr->site, .n = 1, .idx = &t->addr->idx[j]};
        t->rc[j] = iv_compare_ablations(t->ws, &one, &t->out[j], &t->err[j]);
        if (t->rc[j] < 0)
            break; /* (a cancel, or memory: the other thread sees it too) */
    }
}

static void *compare_rows_on_helper(void *arg)
{
    iv_pass_helper_begin();
    compare_rows(arg);
    iv_pass_helper_end();
    return NULL;
}

/* Rows for each neuron of addr; their share of the job is [0, share). */
static int compare_each(iv_workspace *ws, const iv_addr *addr, double share, json_object *rows,
                        iv_error *err)
{
    /* What the rows read is made before the threads start, so that they only read it. */
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    iv_workspace_stats_site(ws, addr->site);
    int n = addr->n;
    iv_comparison *out = iv_xcalloc((size_t)n, sizeof *out);
    int *rc = iv_xmalloc(sizeof(int) * (size_t)n);
    iv_error *errs = iv_xcalloc((size_t)n, sizeof *errs);
    for (int j = 0; j < n; j++)
        rc[j] = 1; /* not run */
    rows_task mine = {ws, addr, out, rc, errs, 0, 2}, theirs = {ws, addr, out, rc, errs, 1, 2};
    pthread_t helper;
    bool threaded = n > 1 && pthread_create(&helper, NULL, compare_rows_on_helper, &theirs) == 0;
    if (!threaded)
        mine.step = 1;
    /* This thread's rows move the bar; the helper's take the same time beside them. */
    iv_job_range was = iv_job_part(ws->job, 0, share);
    compare_rows(&mine);
    iv_job_restore(ws->job, was);
    if (threaded)
        pthread_join(helper, NULL);
    int result = 0;
    for (int j = 0; j < n; j++) {
        if (result == 0 && rc[j] < 0) {
            result = -1;
            *err = errs[j];
        }
        if (result == 0 && rc[j] == 0) {
            iv_addr one = {.site = addr->site, .n = 1, .idx = &addr->idx[j]};
            char *name = iv_addr_format(ws->model, &one);
            json_object_array_add(rows, comparison_row(name, &out[j], 1));
            free(name);
        }
        if (rc[j] == 0)
            iv_comparison_free(&out[j]);
    }
    free(out);
    free(rc);
    free(errs);
    return result;
}

/* Neurons up to which compare gives each its own row as well as the set's. */
#define COMPARE_EACH_MAX 64

IV_HANDLER(iv_cmd_compare)
{
    iv_addr addr;
    if (iv_addr_parse(ws->model, argv[0], &addr, err) < 0)
        return -1;
    json_object *rows = json_object_new_array();
    int rc = 0;
    /* Each neuron alone (a student's hidden layer of up to 64), then the set as a whole; each row
     * its share of the job's progress. */
    bool each = addr.n > 1 && addr.n <= COMPARE_EACH_MAX;
    int parts = each ? addr.n + 1 : 1;
    if (each)
        rc = compare_each(ws, &addr, (double)(parts - 1) / parts, rows, err);
    iv_comparison c;
    iv_job_range was = iv_job_part(ws->job, (double)(parts - 1) / parts, 1);
    if (rc == 0)
        rc = iv_compare_ablations(ws, &addr, &c, err);
    iv_job_restore(ws->job, was);
    if (rc == 0) {
        char *name = iv_addr_format(ws->model, &addr);
        json_object_array_add(rows, comparison_row(name, &c, addr.n));
        free(name);
        iv_comparison_free(&c);
    }
    int addr_n = addr.n;
    char site_name[128];
    iv_model_site_name(ws->model, addr.site, site_name, sizeof site_name);
    iv_addr_clear(&addr);
    if (rc < 0) {
        json_object_put(rows);
        return -1;
    }
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "dataset", ws->data->spec);
    iv_json_set_str(obj, "loss", iv_loss_name(ws));
    char seed[64];
    snprintf(seed, sizeof seed, "noise k=3, resample: %d samples, seed %llu", IV_DEFAULT_SAMPLES,
             (unsigned long long)ws->seed);
    iv_json_set_str(obj, "random", seed);
    if (addr_n > COMPARE_EACH_MAX) {
        char note[320];
        snprintf(note, sizeof note, "%d neurons: the set as a whole only (a row each for up to %d, "
                 "e.g. compare %s[0:%d])", addr_n, COMPARE_EACH_MAX, site_name, COMPARE_EACH_MAX);
        iv_json_set_str(obj, "note", note);
    }
    if (ws->label_column >= 0)
        report_label_accuracy(ws, clean_label_accuracy(ws), -1, obj);
    iv_json_set(obj, "loss_gaps", rows);
    iv_emit(sink, IV_RESULT_COMPARISON, obj);
    return 0;
}
