/* scan_rows.c - the last activation-patching scan of each site, kept by the explorer to show as a
 * line of cells under the site's row (view_layers.c), and whether it still describes the session.
 *
 * A scan's figures depend on the base and source inputs, the interventions on, the dataset (mean
 * ablation, loss gaps), the metric and the weights: when any of them changes the line stays, says
 * it is stale, and a new `scan` refreshes it. A new model drops every scan (tui_commands.c), since
 * its sites are other sites; `scan off` drops them too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#include "address.h"

/* ---- the fingerprint ---------------------------------------------------------------------------- */

/* FNV-1a, over the bytes of what a scan depends on. */
static void mix(uint64_t *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        *h ^= p[i];
        *h *= 1099511628211u;
    }
}

uint64_t tui_scan_fingerprint(const tui *t)
{
    const iv_workspace *ws = t->ws;
    uint64_t h = 14695981039346656037u;
    const void *model = ws->model, *data = ws->data;
    mix(&h, &model, sizeof model);
    mix(&h, &data, sizeof data);
    mix(&h, ws->base, sizeof(float) * (size_t)ws->model->n_inputs);
    mix(&h, &ws->has_source, sizeof ws->has_source);
    if (ws->has_source)
        mix(&h, ws->source, sizeof(float) * (size_t)ws->model->n_inputs);
    mix(&h, &ws->loss_vs_target, sizeof ws->loss_vs_target);
    mix(&h, &ws->label_column, sizeof ws->label_column);
    mix(&h, &t->trainings, sizeof t->trainings);
    /* An intervention does not change once added, save being switched off or on; those off
     * play no part. */
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled)
            mix(&h, &ws->list[i].id, sizeof ws->list[i].id);
    return h;
}

bool tui_scan_stale(const tui *t, const tui_scan *s)
{
    return s->state != tui_scan_fingerprint(t);
}

/* ---- keeping them -------------------------------------------------------------------------------- */

void tui_scans_clear(tui *t)
{
    for (int i = 0; i < t->n_scans; i++)
        free(t->scans[i].value);
    free(t->scans);
    t->scans = NULL;
    t->n_scans = 0;
}

const tui_scan *tui_scan_of(const tui *t, int site)
{
    for (int i = 0; i < t->n_scans; i++)
        if (t->scans[i].site == site && t->scans[i].width == iv_model_site_width(t->ws->model, site))
            return &t->scans[i];
    return NULL;
}

/* The site's entry, emptied for a new scan (made when it has none). */
static tui_scan *fresh_entry(tui *t, int site, const char *what, uint64_t state)
{
    tui_scan *s = (tui_scan *)tui_scan_of(t, site);
    if (!s) {
        t->scans = iv_xrealloc(t->scans, sizeof *t->scans * (size_t)(t->n_scans + 1));
        s = &t->scans[t->n_scans++];
        s->site = site;
        s->width = iv_model_site_width(t->ws->model, site);
        s->value = iv_xmalloc(sizeof(double) * (size_t)s->width);
    }
    for (int i = 0; i < s->width; i++)
        s->value[i] = NAN;
    s->whole = NAN;
    s->state = state;
    snprintf(s->what, sizeof s->what, "%s", what);
    return s;
}

/* "patch, output change", "zero, loss gap", "mean, out[1] change". */
static void describe(json_object *result, char *buf, size_t n)
{
    const char *kind = json_object_get_string(json_object_object_get(result, "kind"));
    const char *metric = json_object_get_string(json_object_object_get(result, "metric"));
    const char *output = json_object_get_string(json_object_object_get(result, "output"));
    bool loss = metric && strcmp(metric, "loss") == 0;
    if (loss)
        snprintf(buf, n, "%s, loss gap", kind ? kind : "?");
    else if (!output || strcmp(output, "out") == 0)
        snprintf(buf, n, "%s, output change", kind ? kind : "?");
    else
        snprintf(buf, n, "%s, %s change", kind ? kind : "?", output);
}

/* One row of the result: a neuron's figure, or its site's whole. */
static void take_row(tui *t, json_object *row, const char *what, uint64_t state, int *last_site)
{
    const iv_model *m = t->ws->model;
    const char *name = json_object_get_string(json_object_object_get(row, "neuron"));
    json_object *v = json_object_object_get(row, "value");
    double value = v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
    if (!name)
        return;
    int site = iv_model_site_find(m, name), neuron = -1;
    if (site < 0) {
        iv_addr a;
        iv_error err;
        if (iv_addr_parse(m, name, &a, &err) < 0)
            return;
        site = a.site;
        neuron = a.n == 1 ? a.idx[0] : -1;
        iv_addr_clear(&a);
        if (neuron < 0)
            return;
    }
    tui_scan *s = site == *last_site ? (tui_scan *)tui_scan_of(t, site)
                                     : fresh_entry(t, site, what, state);
    *last_site = site;
    if (neuron < 0)
        s->whole = value;
    else if (neuron < s->width)
        s->value[neuron] = value;
}

void tui_scans_take(tui *t, json_object *result, uint64_t state)
{
    json_object *rows = json_object_object_get(result, "rows");
    if (!json_object_object_get(result, "scan") || !rows)
        return;
    char what[96];
    describe(result, what, sizeof what);
    int last_site = -1;
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        take_row(t, json_object_array_get_idx(rows, i), what, state, &last_site);
    /* A site of one neuron has only its whole row: that is the neuron's figure too. */
    for (int i = 0; i < t->n_scans; i++)
        if (t->scans[i].width == 1 && isnan(t->scans[i].value[0]))
            t->scans[i].value[0] = t->scans[i].whole;
}

double tui_scan_scale(const tui_scan *s)
{
    /* The cells' own: the site whole is a number after them, not a cell, and a whole far larger
     * than any neuron would wash every cell out. */
    double top = 0;
    for (int i = 0; i < s->width; i++)
        if (isfinite(s->value[i]) && fabs(s->value[i]) > top)
            top = fabs(s->value[i]);
    return top > 0 ? top : 1;
}
