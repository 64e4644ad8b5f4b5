/* report.c - result objects shared by the command handlers. */
#include "report.h"

#include "tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

json_object *iv_json_num(double v)
{
    if (!isfinite(v))
        return NULL; /* json-c writes a NULL member as null */
    char text[32];
    iv_format_number(text, sizeof text, v);
    return json_object_new_double_s(v, text);
}

json_object *iv_json_floats(const float *v, long n)
{
    json_object *a = json_object_new_array_ext((int)n);
    for (long i = 0; i < n; i++)
        json_object_array_add(a, iv_json_num(v[i]));
    return a;
}

json_object *iv_json_doubles(const double *v, long n)
{
    json_object *a = json_object_new_array_ext((int)n);
    for (long i = 0; i < n; i++)
        json_object_array_add(a, iv_json_num(v[i]));
    return a;
}

void iv_json_set(json_object *obj, const char *key, json_object *val)
{
    json_object_object_add(obj, key, val);
}

void iv_json_set_num(json_object *obj, const char *key, double v)
{
    json_object_object_add(obj, key, iv_json_num(v));
}

void iv_json_set_str(json_object *obj, const char *key, const char *s)
{
    json_object_object_add(obj, key, json_object_new_string(s));
}

/* Adds mean, std, min and max over the samples of a site of the intervened pass. */
static void add_distribution(json_object *obj, const iv_acts *a, int site)
{
    int w = a->width[site];
    long S = a->n;
    const float *x = a->site[site]; /* (S, w) */
    double *mean = iv_xcalloc((size_t)w, sizeof(double)), *sd = iv_xcalloc((size_t)w, sizeof(double));
    double *lo = iv_xmalloc(sizeof(double) * (size_t)w), *hi = iv_xmalloc(sizeof(double) * (size_t)w);
    for (int i = 0; i < w; i++)
        lo[i] = hi[i] = x[i];
    for (long s = 0; s < S; s++)
        for (int i = 0; i < w; i++) {
            mean[i] += x[s * w + i];
            lo[i] = fmin(lo[i], x[s * w + i]);
            hi[i] = fmax(hi[i], x[s * w + i]);
        }
    for (int i = 0; i < w; i++) /* divide once, so a constant neuron has std exactly 0 */
        mean[i] /= (double)S;
    for (long s = 0; s < S; s++)
        for (int i = 0; i < w; i++)
            sd[i] += (x[s * w + i] - mean[i]) * (x[s * w + i] - mean[i]);
    for (int i = 0; i < w; i++)
        sd[i] = sqrt(sd[i] / (double)(S > 1 ? S - 1 : 1));
    iv_json_set(obj, "intervened", iv_json_doubles(mean, w));
    json_object_object_add(obj, "samples", json_object_new_int64(S));
    iv_json_set(obj, "std", iv_json_doubles(sd, w));
    iv_json_set(obj, "min", iv_json_doubles(lo, w));
    iv_json_set(obj, "max", iv_json_doubles(hi, w));
    free(mean);
    free(sd);
    free(lo);
    free(hi);
}

json_object *iv_report_site(const iv_workspace *ws, int site)
{
    const iv_model *m = ws->model;
    int w = iv_model_site_width(m, site);
    char name[128];
    iv_model_site_name(m, site, name, sizeof name);
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "site", name);
    if (iv_model_neuron_label(m, site, 0) || site == 0) {
        json_object *labels = json_object_new_array();
        for (int i = 0; i < w; i++) {
            const char *l = iv_model_neuron_label(m, site, i);
            json_object_array_add(labels, l ? json_object_new_string(l) : NULL);
        }
        iv_json_set(obj, "labels", labels);
    }
    iv_json_set(obj, "clean", iv_json_floats(ws->clean->site[site], w));
    if (ws->intervened->n > 1)
        add_distribution(obj, ws->intervened, site);
    else
        iv_json_set(obj, "intervened", iv_json_floats(ws->intervened->site[site], w));
    if (ws->source_acts)
        iv_json_set(obj, "source", iv_json_floats(ws->source_acts->site[site], w));
    return obj;
}

#define NEXT_TOKENS 5 /* a transformer's output shows its most likely next tokens */

/* softmax of w logits into p (double), shifted by the largest so that exp cannot overflow. */
static void softmax_of(const float *logits, int w, double *p)
{
    double top = logits[0], sum = 0;
    for (int k = 1; k < w; k++)
        top = fmax(top, logits[k]);
    for (int k = 0; k < w; k++)
        sum += p[k] = exp((double)logits[k] - top);
    for (int k = 0; k < w; k++)
        p[k] /= sum;
}

/* The k most probable of w, most probable first (ties: the lower id), into order: one pass
 * keeping a short sorted list, since the explorer asks for it on every redraw and a vocabulary
 * may have 50,000 entries. Returns how many (k, or w when there are fewer). */
static int top_k(const double *p, int w, int k, int *order)
{
    int n = 0;
    for (int v = 0; v < w; v++) {
        int at = n < k ? n : k; /* where v goes, from the end of the list */
        while (at > 0 && p[v] > p[order[at - 1]])
            at--;
        if (at == k)
            continue;
        for (int j = (n < k ? n : k - 1); j > at; j--)
            order[j] = order[j - 1];
        order[at] = v;
        if (n < k)
            n++;
    }
    return n;
}

/* A transformer's next token after its last position: the most likely ones, clean, with their
 * probabilities clean and intervened (the interventions' samples averaged as logits), and the
 * intervened run's most likely one. */
static void next_tokens(const iv_workspace *ws, json_object *obj)
{
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), off, V;
    iv_model_prediction(m, &off, &V);
    double *clean = iv_xmalloc(sizeof(double) * (size_t)V * 2), *inter = clean + V;
    float *mean = iv_xmalloc(sizeof(float) * (size_t)V);
    int order[NEXT_TOKENS];
    for (int k = 0; k < V; k++)
        mean[k] = (float)iv_workspace_intervened_mean(ws, out, off + k);
    softmax_of(ws->clean->site[out] + off, V, clean);
    softmax_of(mean, V, inter);
    int shown = top_k(clean, V, NEXT_TOKENS, order);
    json_object *rows = json_object_new_array();
    for (int r = 0; r < shown; r++) {
        json_object *row = json_object_new_object();
        const char *text = m->tokenizer ? iv_tokenizer_token(m->tokenizer, order[r]) : NULL;
        json_object_object_add(row, "id", json_object_new_int(order[r]));
        iv_json_set_str(row, "token", text ? text : "");
        iv_json_set_num(row, "clean_p", clean[order[r]]);
        iv_json_set_num(row, "intervened_p", inter[order[r]]);
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "next", rows);
    int top = 0;
    for (int k = 1; k < V; k++)
        top = inter[k] > inter[top] ? k : top;
    json_object *it = json_object_new_object();
    const char *text = m->tokenizer ? iv_tokenizer_token(m->tokenizer, top) : NULL;
    json_object_object_add(it, "id", json_object_new_int(top));
    iv_json_set_str(it, "token", text ? text : "");
    iv_json_set_num(it, "p", inter[top]);
    iv_json_set(obj, "intervened_next", it);
    free(mean);
    free(clean);
}

json_object *iv_report_next(const iv_workspace *ws)
{
    json_object *obj = json_object_new_object();
    if (ws->model->gpt2)
        next_tokens(ws, obj);
    return obj;
}

json_object *iv_report_output(const iv_workspace *ws)
{
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    if (w > IV_REPORT_OUTPUT_MAX) { /* its next tokens, and how many values `show SITE` lists */
        json_object *obj = iv_report_next(ws);
        char name[128];
        iv_model_site_name(ws->model, out, name, sizeof name);
        iv_json_set_str(obj, "site", name);
        json_object_object_add(obj, "values", json_object_new_int(w));
        return obj;
    }
    json_object *obj = iv_report_site(ws, out);
    json_object_object_del(obj, "source");
    json_object *change = json_object_new_array(); /* (mean) intervened - clean */
    for (int i = 0; i < w; i++)
        json_object_array_add(change, iv_json_num(iv_workspace_intervened_mean(ws, out, i) -
                                                  ws->clean->site[out][i]));
    iv_json_set(obj, "change", change);
    if (ws->target)
        iv_json_set_num(obj, "target", iv_workspace_target(ws, ws->base));
    if (ws->model->gpt2)
        next_tokens(ws, obj);
    return obj;
}

json_object *iv_report_intervention(const iv_workspace *ws, const iv_intervention *iv)
{
    json_object *obj = json_object_new_object();
    char *addr = iv_addr_format(ws->model, &iv->addr);
    char *params = iv_intervention_params(iv);
    json_object_object_add(obj, "id", json_object_new_int(iv->id));
    iv_json_set_str(obj, "kind", iv_kind_name(iv->kind));
    iv_json_set_str(obj, "neurons", addr);
    iv_json_set_str(obj, "params", params);
    json_object_object_add(obj, "on", json_object_new_boolean(iv->enabled));
    free(addr);
    free(params);
    return obj;
}

void iv_map_shape_of(const iv_dataset *ds, iv_map_shape *s)
{
    s->nx = ds->grid_count[0];
    s->ny = ds->grid_count[1];
    s->bx = (s->nx + IV_MAP_MAX_CELLS - 1) / IV_MAP_MAX_CELLS;
    s->by = (s->ny + IV_MAP_MAX_CELLS - 1) / IV_MAP_MAX_CELLS;
    s->cx = (s->nx + s->bx - 1) / s->bx;
    s->cy = (s->ny + s->by - 1) / s->by;
}

/* The mean coordinate of the grid points in cell c along an axis of n points, bins of b. */
static double cell_coordinate(const iv_dataset *ds, int axis, long c, long b, long n)
{
    long first = c * b, last = first + b < n ? first + b - 1 : n - 1;
    return ds->grid_from[axis] + ds->grid_step[axis] * (double)(first + last) / 2;
}

json_object *iv_report_grid_map(const iv_workspace *ws, const iv_map_shape *s)
{
    const iv_dataset *ds = ws->data;
    json_object *map = json_object_new_object();
    json_object *xs = json_object_new_array(), *ys = json_object_new_array();
    /* Unbinned, the axes are the dataset's own values, exactly as the grid made them. */
    for (long i = 0; i < s->cx; i++)
        json_object_array_add(xs, iv_json_num(s->bx == 1 ? ds->x[i * 2]
                                              : cell_coordinate(ds, 0, i, s->bx, s->nx)));
    for (long j = 0; j < s->cy; j++)
        json_object_array_add(ys, iv_json_num(s->by == 1 ? ds->x[j * s->nx * 2 + 1]
                                              : cell_coordinate(ds, 1, j, s->by, s->ny)));
    iv_json_set_str(map, IV_GRIDMAP_X_NAME, ws->model->input_names[0]);
    iv_json_set_str(map, IV_GRIDMAP_Y_NAME, ws->model->input_names[1]);
    if (s->bx > 1 || s->by > 1) {
        char text[160];
        snprintf(text, sizeof text, "%ld x %ld grid points in %ld x %ld cells of %ld x %ld; "
                 "axes at cell centres", s->nx, s->ny, s->cx, s->cy, s->bx, s->by);
        iv_json_set_str(map, "binned", text);
    }
    iv_json_set(map, IV_GRIDMAP_X, xs);
    iv_json_set(map, IV_GRIDMAP_Y, ys);
    return map;
}

json_object *iv_map_matrix(const iv_map_shape *s, iv_map_summary how,
                           double (*value)(long example, const void *user), const void *user)
{
    json_object *rows = json_object_new_array();
    for (long cy = 0; cy < s->cy; cy++) {
        json_object *row = json_object_new_array();
        for (long cx = 0; cx < s->cx; cx++) {
            double acc = how == IV_MAP_MAX ? -INFINITY : 0;
            long count = 0;
            for (long j = cy * s->by; j < (cy + 1) * s->by && j < s->ny; j++)
                for (long i = cx * s->bx; i < (cx + 1) * s->bx && i < s->nx; i++) {
                    double v = value(j * s->nx + i, user);
                    acc = how == IV_MAP_MAX ? fmax(acc, v) : acc + v;
                    count++;
                    if (how == IV_MAP_FIRST)
                        goto done;
                }
        done:
            json_object_array_add(row, how == IV_MAP_MEAN ? iv_json_num(acc / (double)count)
                                                          : iv_json_num(acc));
        }
        json_object_array_add(rows, row);
    }
    return rows;
}
