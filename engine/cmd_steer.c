/* cmd_steer.c - steering: add a direction to a site's activations (ActAdd, CAA) and sweep how far.
 *
 *   steer ADDR LABEL [to=V] [alpha=A]   v = mean(h | LABEL = V) - mean(h | LABEL != V) over the
 *                                       clean activations of the dataset (V: the label's largest
 *                                       value by default, so a binary label's 1 minus its 0)
 *   steer ADDR probe [alpha=A]          v = the direction of the last probe fitted at that site
 *   steer ADDR FILE [alpha=A]           v = the numbers in FILE (one per addressed neuron)
 * Each adds an `add` intervention h <- h + alpha v over the addressed neurons. `sweep alpha FROM TO
 * [STEPS] [id=N]` then runs the base input with alpha set to each step, and charts the output (and,
 * for several outputs, their softmax probabilities) against alpha. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concepts.h"
#include "files.h"
#include "handlers.h"
#include "kinds.h"
#include "labels.h"
#include "report.h"

#define IV_MAX_CLASSES_SHOWN 64 /* probabilities a sweep's point reports */

static bool is_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* v over the addressed neurons: the mean of the rows in class `to` minus that of the others. */
static int mean_difference(iv_workspace *ws, const iv_addr *addr, const char *label,
                           const char *to_text, double *v, char *what, size_t what_len,
                           iv_error *err)
{
    iv_classes c;
    if (iv_label_classes(ws->data, label, &c, err) < 0)
        return -1;
    int to = c.k - 1;
    if (to_text) {
        double want;
        if (iv_parse_double(to_text, &want) < 0) {
            iv_classes_free(&c);
            return iv_error_set(err, "to=%s: expected one of the label's values", to_text);
        }
        to = -1;
        for (int j = 0; j < c.k; j++)
            to = c.values[j] == want ? j : to;
        if (to < 0) {
            iv_classes_free(&c);
            return iv_error_set(err, "to=%s: label '%s' never takes that value", to_text, label);
        }
    }
    if (iv_workspace_reference(ws, err) < 0) {
        iv_classes_free(&c);
        return -1;
    }
    int w = ws->model->sites[addr->site].width, m = addr->n;
    const float *h = ws->ref_acts->site[addr->site];
    double *pos = iv_xcalloc((size_t)m, sizeof(double)), *neg = iv_xcalloc((size_t)m, sizeof(double));
    long n_pos = 0, n_neg = 0;
    for (long r = 0; r < c.n; r++) {
        double *acc = c.y[r] == to ? pos : neg;
        *(c.y[r] == to ? &n_pos : &n_neg) += 1;
        for (int j = 0; j < m; j++)
            acc[j] += h[r * w + addr->idx[j]];
    }
    for (int j = 0; j < m; j++)
        v[j] = pos[j] / (double)n_pos - neg[j] / (double)n_neg;
    snprintf(what, what_len, "mean(%s | %s = %g) - mean(%s | %s != %g), %ld and %ld rows of %s",
             "h", label, c.values[to], "h", label, c.values[to], n_pos, n_neg, ws->data->spec);
    free(pos);
    free(neg);
    iv_classes_free(&c);
    return 0;
}

/* v from a file of numbers separated by blanks, commas or newlines ('#' starts a comment). */
static int vector_from_file(const char *path, int m, double *v, iv_error *err)
{
    char *text = iv_read_file(path, 1 << 24, NULL, err);
    if (!text)
        return -1;
    int n = 0, line = 1;
    for (char *p = text; *p;) {
        if (*p == '#') {
            p += strcspn(p, "\n");
            continue;
        }
        if (*p == '\n')
            line++;
        if (strchr(" \t\r\n,", *p)) {
            p++;
            continue;
        }
        size_t len = strcspn(p, " \t\r\n,#");
        char num[64];
        double x;
        snprintf(num, sizeof num, "%.*s", (int)(len < sizeof num ? len : sizeof num - 1), p);
        if (len >= sizeof num || iv_parse_double(num, &x) < 0) {
            free(text);
            return iv_error_set(err, "%s:%d: '%s' is not a finite number", path, line, num);
        }
        if (n == m) {
            free(text);
            return iv_error_set(err, "%s:%d: more than the %d numbers of the addressed neurons",
                                path, line, m);
        }
        v[n++] = x;
        p += len;
    }
    free(text);
    if (n != m)
        return iv_error_set(err, "%s: %d numbers; the addressed neurons need %d", path, n, m);
    return 0;
}

IV_HANDLER(iv_cmd_steer)
{
    iv_intervention iv;
    iv_intervention_init(&iv, ws, IV_ADD);
    iv.value = 1;
    const char *to = NULL;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "alpha=", 6) == 0) {
            if (iv_parse_double(argv[i] + 6, &iv.value) < 0)
                return iv_error_set(err, "%s: expected a finite number", argv[i]);
        } else if (strncmp(argv[i], "to=", 3) == 0) {
            to = argv[i] + 3;
        } else {
            return iv_error_set(err, "'%s': expected alpha=A or to=V", argv[i]);
        }
    }
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0)
        return -1;
    iv.values = iv_xcalloc((size_t)iv.addr.n, sizeof(double));
    char what[512];
    int rc;
    if (strcmp(argv[1], "probe") == 0) {
        rc = to ? iv_error_set(err, "to= goes with a label, not with probe")
                : iv_concepts_probe_direction(ws, &iv.addr, iv.values, what, sizeof what, err);
    } else if (is_file(argv[1])) {
        rc = to ? iv_error_set(err, "to= goes with a label, not with a file")
                : vector_from_file(argv[1], iv.addr.n, iv.values, err);
        snprintf(what, sizeof what, "read from %s", argv[1]);
    } else if (!ws->data) {
        rc = iv_error_set(err, "no dataset for the label '%s' (and no file of that name): set one "
                          "with 'data'", argv[1]);
    } else {
        rc = mean_difference(ws, &iv.addr, argv[1], to, iv.values, what, sizeof what, err);
    }
    if (rc < 0) {
        iv_intervention_clear(&iv);
        return -1;
    }
    iv.n_given = iv.addr.n;
    json_object *obj = json_object_new_object();
    char *addr = iv_addr_format(ws->model, &iv.addr);
    iv_json_set_str(obj, "steer", addr);
    free(addr);
    iv_json_set_str(obj, "vector_from", what);
    iv_json_set(obj, "vector", iv_json_doubles(iv.values, iv.addr.n));
    iv_json_set_num(obj, "alpha", iv.value);
    if (iv_add_and_report(ws, &iv, sink, err) < 0) {
        json_object_put(obj);
        return -1;
    }
    iv_emit(sink, IV_RESULT_STEER, obj);
    return 0;
}

/* ---- sweep alpha ----------------------------------------------------------------------------------- */

#define MAX_ALPHA_STEPS 1001

/* The add intervention a sweep moves: id=N, or the last one that is on. */
static int steering_index(const iv_workspace *ws, const char *id_text, iv_error *err)
{
    if (id_text) {
        long id;
        int at = iv_parse_int(id_text, 1, 1L << 30, &id) < 0 ? -1 : iv_workspace_find(ws, (int)id);
        if (at < 0 || ws->list[at].kind != IV_ADD)
            return iv_error_set(err, "id=%s: no steering (add) intervention has that id", id_text);
        return at;
    }
    for (int i = ws->count - 1; i >= 0; i--)
        if (ws->list[i].kind == IV_ADD && ws->list[i].enabled)
            return i;
    return iv_error_set(err, "no steering vector is on: add one first (steer SITE LABEL)");
}

/* The output on the base input with the interventions of list, the mean over its samples. */
static void run_base(iv_workspace *ws, const iv_intervention *list, iv_acts *acts, float *input,
                     long S, double *out)
{
    const iv_model *m = ws->model;
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, S);
    ctx.list = list;
    for (long r = 0; r < S; r++)
        memcpy(input + r * m->n_inputs, ws->base, sizeof(float) * (size_t)m->n_inputs);
    acts->n = S;
    iv_forward(m, input, acts, iv_apply_hook, &ctx);
    int o = iv_model_output_site(m), w = iv_model_output_width(m);
    for (int k = 0; k < w; k++) {
        double sum = 0;
        for (long r = 0; r < S; r++)
            sum += acts->site[o][r * w + k];
        out[k] = sum / (double)S;
    }
}

/* Softmax of the outputs (the outputs themselves when the model ends in softmax). */
static json_object *probabilities(const iv_model *m, const double *y, int w)
{
    double p[IV_MAX_CLASSES_SHOWN], top = y[0], sum = 0;
    int n = w < IV_MAX_CLASSES_SHOWN ? w : IV_MAX_CLASSES_SHOWN;
    if (iv_model_is_classifier(m))
        return iv_json_doubles(y, n);
    for (int k = 1; k < w; k++)
        top = y[k] > top ? y[k] : top;
    for (int k = 0; k < w; k++)
        sum += exp(y[k] - top);
    for (int k = 0; k < n; k++)
        p[k] = exp(y[k] - top) / sum;
    return iv_json_doubles(p, n);
}

int iv_sweep_alpha(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err)
{
    double from, to;
    long steps = 21;
    const char *id = NULL;
    if (argc < 3 || iv_parse_double(argv[1], &from) < 0 || iv_parse_double(argv[2], &to) < 0)
        return iv_error_set(err, "expected sweep alpha FROM TO [STEPS] [id=N], FROM and TO finite "
                            "numbers");
    for (int i = 3; i < argc; i++) {
        if (strncmp(argv[i], "id=", 3) == 0)
            id = argv[i] + 3;
        else if (iv_parse_int(argv[i], 2, MAX_ALPHA_STEPS, &steps) < 0)
            return iv_error_set(err, "'%s': STEPS must be a whole number from 2 to %d, or id=N",
                                argv[i], MAX_ALPHA_STEPS);
    }
    int at = steering_index(ws, id, err);
    if (at < 0)
        return -1;
    if (iv_workspace_run(ws, err) < 0)
        return IV_ERROR_AS_IS;
    const iv_model *m = ws->model;
    long S = iv_list_samples(ws->list, ws->count);
    int w = iv_model_output_width(m);
    iv_acts *acts = iv_acts_new(m, S, err);
    if (!acts)
        return -1;
    iv_intervention *list = iv_xmalloc(sizeof *list * (size_t)ws->count);
    memcpy(list, ws->list, sizeof *list * (size_t)ws->count); /* shallow: only alpha changes */
    float *input = iv_xmalloc(sizeof(float) * (size_t)(S * m->n_inputs));
    double *y = iv_xmalloc(sizeof(double) * (size_t)w), *y0 = iv_xmalloc(sizeof(double) * (size_t)w);
    list[at].enabled = false;
    run_base(ws, list, acts, input, S, y0); /* the steering off: the curve's reference */
    list[at].enabled = true;
    json_object *points = json_object_new_array();
    int rc = 0;
    for (long i = 0; i < steps && rc == 0; i++) {
        double alpha = from + (to - from) * (double)i / (double)(steps - 1);
        list[at].value = alpha;
        run_base(ws, list, acts, input, S, y);
        json_object *row = json_object_new_object();
        iv_json_set_num(row, "value", alpha);
        iv_json_set(row, "clean", w == 1 ? iv_json_num(y0[0]) : iv_json_doubles(y0, w));
        iv_json_set(row, "intervened", w == 1 ? iv_json_num(y[0]) : iv_json_doubles(y, w));
        if (w > 1)
            iv_json_set(row, "probabilities", probabilities(m, y, w));
        json_object_array_add(points, row);
        rc = iv_job_progress(ws->job, (double)(i + 1), (double)steps, err);
    }
    char *addr = iv_addr_format(m, &list[at].addr);
    json_object *obj = json_object_new_object();
    char *name = iv_xasprintf("alpha of #%d (add at %s)", list[at].id, addr);
    iv_json_set_str(obj, "sweep", name);
    json_object_object_add(obj, "samples", json_object_new_int64(S));
    iv_json_set(obj, "points", points);
    free(name);
    free(addr);
    free(list);
    free(input);
    free(y);
    free(y0);
    iv_acts_free(acts);
    if (rc < 0) {
        json_object_put(obj);
        return -1;
    }
    iv_emit(sink, IV_RESULT_SWEEP, obj);
    return 0;
}
