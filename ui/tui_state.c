/* tui_state.c - the explorer's application state: cursor, selection, what each cell shows, and how
 * what a popup holds, and the lecture it owns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

void tui_init(tui *t, iv_workspace *ws)
{
    memset(t, 0, sizeof *t);
    t->ws = ws;
    t->view = TUI_VIEW_INTERVENED;
    t->lens = tui_lens_cache_new();
    tui_model_changed(t);
}

void tui_free(tui *t)
{
    free(t->selected);
    free(t->site_offset);
    free(t->model_arg);
    tui_popup_free(&t->popup);
    tui_scans_clear(t);
    tui_iia_forget(t);
    tui_probes_forget(t);
    tui_lens_cache_free(t->lens);
    t->lens = NULL;
    iv_effect_free(&t->effect);
    tui_demo_free(t->demo);
    t->demo = NULL;
}

bool tui_image_shape(const iv_model *m, int site, int *rows, int *cols)
{
    int w = iv_model_site_width(m, site);
    if (iv_model_site_kind(m, site) == IV_SITE_INPUT && m->input_rows > 0 &&
        m->input_rows * m->input_cols == w) {
        *rows = m->input_rows;
        *cols = m->input_cols;
        return true;
    }
    int side = (int)lround(sqrt((double)w));
    if (side < 2 || side * side != w)
        return false;
    *rows = *cols = side;
    return true;
}

/* Whether the model's input is a picture: its file says so, or it is a square of 8 x 8 pixels or
 * more (a 2 x 2 "image" of four inputs is only a coincidence). */
static bool input_is_image(const iv_model *m)
{
    int rows, cols;
    return m->input_rows > 0 || (tui_image_shape(m, 0, &rows, &cols) && rows >= 8);
}

void tui_model_changed(tui *t)
{
    const iv_model *m = t->ws->model;
    tui_probes_forget(t); /* the old model's sites */
    int sites = iv_model_site_count(m);
    free(t->site_offset);
    free(t->selected);
    t->site_offset = iv_xmalloc(sizeof(int) * (size_t)(sites + 1));
    int total = 0;
    for (int s = 0; s < sites; s++) {
        t->site_offset[s] = total;
        total += iv_model_site_width(m, s);
    }
    t->site_offset[sites] = total;
    t->selected = iv_xcalloc((size_t)total, sizeof(bool));
    /* Start on the first hidden layer, where the lecture's story happens; in a transformer on the
     * residual stream at the last position, where the next token is read. */
    t->cur_site = sites > 2 ? 2 : 0;
    t->cur_neuron = 0;
    if (m->gpt2 && iv_model_site_find(m, "resid0") >= 0) {
        t->cur_site = iv_model_site_find(m, "resid0");
        t->cur_neuron = (m->positions - 1) * m->sites[t->cur_site].inner;
    } else {
        t->panel = TUI_PANEL_EFFECT;
    }
    if (t->focus_input >= m->n_inputs)
        t->focus_input = 0;
    /* A picture is shown as one from the start: 784 cells of numbers say nothing. */
    snprintf(t->image_site, sizeof t->image_site, "%s", input_is_image(m) ? "input" : "");
}

bool tui_selected(const tui *t, int site, int neuron)
{
    return t->selected[t->site_offset[site] + neuron];
}

void tui_clear_selection(tui *t)
{
    memset(t->selected, 0,
           sizeof(bool) * (size_t)t->site_offset[iv_model_site_count(t->ws->model)]);
}

int tui_selection_count(const tui *t, int site)
{
    int n = 0;
    for (int i = t->site_offset[site]; i < t->site_offset[site + 1]; i++)
        n += t->selected[i];
    return n;
}

char *tui_target_address(const tui *t)
{
    const iv_model *m = t->ws->model;
    iv_addr a = {.site = t->cur_site};
    int width = iv_model_site_width(m, t->cur_site);
    a.idx = iv_xmalloc(sizeof(int) * (size_t)width);
    for (int i = 0; i < width; i++)
        if (tui_selected(t, t->cur_site, i))
            a.idx[a.n++] = i;
    if (a.n == 0)
        a.idx[a.n++] = t->cur_neuron;
    char *text = iv_addr_format(m, &a);
    iv_addr_clear(&a);
    return text;
}

int tui_visible_sites(const tui *t, int *sites, int max)
{
    int n = 0;
    for (int s = 0; s < iv_model_site_count(t->ws->model) && n < max; s++)
        if (t->show_pre || iv_model_site_kind(t->ws->model, s) != IV_SITE_PRE)
            sites[n++] = s;
    return n;
}


double tui_cell_value(const tui *t, int site, int neuron)
{
    const iv_workspace *ws = t->ws;
    if (!ws->clean || !ws->intervened)
        return NAN;
    double clean = ws->clean->site[site][neuron];
    switch (t->view) {
    case TUI_VIEW_CLEAN:
        return clean;
    case TUI_VIEW_DIFF:
        return iv_workspace_intervened_mean(ws, site, neuron) - clean;
    default:
        return iv_workspace_intervened_mean(ws, site, neuron);
    }
}

/* The largest magnitude a site shows in the current view, its base run or its source run. */
static double site_top(const tui *t, int site, bool source)
{
    double top = 0;
    for (int i = 0; i < iv_model_site_width(t->ws->model, site); i++) {
        double v = source ? t->ws->source_acts->site[site][i] : tui_cell_value(t, site, i);
        if (isfinite(v) && fabs(v) > top)
            top = fabs(v);
    }
    return top;
}

double tui_site_scale(const tui *t, int site, bool source)
{
    if (source && !t->ws->source_acts)
        return 1;
    double top = site_top(t, site, source);
    if (t->shared_scale) {
        /* One scale for all: both runs of every site shown, so that equal values look equal. */
        int sites[IV_MAX_SITES], n = tui_visible_sites(t, sites, IV_MAX_SITES);
        bool with_source = t->view == TUI_VIEW_SOURCE && t->ws->source_acts;
        top = 0;
        for (int k = 0; k < n; k++) {
            top = fmax(top, site_top(t, sites[k], false));
            if (with_source)
                top = fmax(top, site_top(t, sites[k], true));
        }
    }
    return top > 0 ? top : 1;
}

bool tui_cell_changed(const tui *t, int site, int neuron)
{
    const iv_workspace *ws = t->ws;
    if (!ws->clean || !ws->intervened)
        return false;
    const iv_acts *a = ws->intervened;
    int w = a->width[site];
    float clean = ws->clean->site[site][neuron];
    for (long r = 0; r < a->n; r++)
        if (a->site[site][r * w + neuron] != clean)
            return true;
    return false;
}

int tui_intervention_at(const tui *t, int site, int neuron)
{
    const iv_workspace *ws = t->ws;
    for (int k = ws->count - 1; k >= 0; k--) {
        const iv_addr *a = &ws->list[k].addr;
        if (a->site != site)
            continue;
        for (int j = 0; j < a->n; j++)
            if (a->idx[j] == neuron)
                return ws->list[k].id;
    }
    return 0;
}

/* ---- popups ------------------------------------------------------------------------------------ */

void tui_popup_free(tui_popup *p)
{
    for (int i = 0; i < p->n_parts; i++) {
        free(p->parts[i].text);
        json_object_put(p->parts[i].result);
    }
    free(p->parts);
    free(p->title);
    free(p->text);
    memset(p, 0, sizeof *p);
}

void tui_demo_free(tui_demo *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_steps; i++) {
        free(d->caption[i]);
        free(d->commands[i]);
    }
    free(d->caption);
    free(d->commands);
    free(d->path);
    free(d);
}

/* The kept IIA results (iia_browse.c): they belong to the state, which drops them with the model. */
void tui_iia_forget(tui *t)
{
    json_object_put(t->iia);
    json_object_put(t->iia_matrix);
    free(t->iia_args);
    t->iia = t->iia_matrix = NULL;
    t->iia_args = NULL;
    t->iia_failure = 0;
    t->iia_data = NULL;
    t->iia_matrix_data = NULL;
}
