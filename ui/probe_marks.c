/* probe_marks.c - the last probe's accuracy beside each site it was fitted at, so that the
 * heatmaps say where a concept is linearly readable (`probe all LABEL` marks every site). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

void tui_probes_forget(tui *t)
{
    free(t->probe_holdout);
    free(t->probe_majority);
    t->probe_holdout = t->probe_majority = NULL;
    t->probe_label[0] = '\0';
}

/* Marks the site a row (or a one-site result) names. */
static void mark(tui *t, const char *site_name, json_object *row)
{
    int site = iv_model_site_find(t->ws->model, site_name);
    json_object *acc = json_object_object_get(row, "holdout_accuracy");
    json_object *chance = json_object_object_get(row, "majority");
    if (site < 0 || !acc || !chance)
        return;
    t->probe_holdout[site] = json_object_get_double(acc);
    t->probe_majority[site] = json_object_get_double(chance);
}

void tui_probes_take(tui *t, json_object *result)
{
    const char *label = json_object_get_string(json_object_object_get(result, "label"));
    json_object *sites = json_object_object_get(result, "sites");
    if (!label)
        return;
    int n = iv_model_site_count(t->ws->model);
    /* A probe of another label, or the first: the marks start afresh. */
    if (!t->probe_holdout || strcmp(t->probe_label, label) != 0) {
        tui_probes_forget(t);
        t->probe_holdout = iv_xmalloc(sizeof(double) * (size_t)n);
        t->probe_majority = iv_xmalloc(sizeof(double) * (size_t)n);
        for (int s = 0; s < n; s++)
            t->probe_holdout[s] = t->probe_majority[s] = -1;
        snprintf(t->probe_label, sizeof t->probe_label, "%s", label);
    }
    if (sites) {
        for (size_t i = 0; i < json_object_array_length(sites); i++) {
            json_object *row = json_object_array_get_idx(sites, i);
            mark(t, json_object_get_string(json_object_object_get(row, "site")), row);
        }
    } else {
        mark(t, json_object_get_string(json_object_object_get(result, "probe")), result);
    }
}

bool tui_probe_mark(const tui *t, int site, int room, char *buf, size_t n, bool *readable)
{
    if (!t->probe_holdout || t->probe_holdout[site] < 0)
        return false;
    snprintf(buf, n, "probe %s %.2f (chance %.2f)", t->probe_label, t->probe_holdout[site],
             t->probe_majority[site]);
    if ((int)strlen(buf) > room) /* the label's accuracy alone */
        snprintf(buf, n, "%s %.2f", t->probe_label, t->probe_holdout[site]);
    /* readable: clearly above what reading nothing scores */
    *readable = t->probe_holdout[site] > t->probe_majority[site] + 0.1;
    return true;
}
