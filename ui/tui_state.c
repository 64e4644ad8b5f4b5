/* tui_state.c - the explorer's application state: cursor, selection, what each cell shows, and how
 * far a popup scrolls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

void tui_init(tui *t, iv_workspace *ws)
{
    memset(t, 0, sizeof *t);
    t->ws = ws;
    t->view = TUI_VIEW_INTERVENED;
    tui_model_changed(t);
}

void tui_free(tui *t)
{
    free(t->selected);
    free(t->site_offset);
    free(t->model_arg);
    free(t->popup.title);
    free(t->popup.text);
    iv_effect_free(&t->effect);
    tui_demo_free(t->demo);
    t->demo = NULL;
}

void tui_model_changed(tui *t)
{
    const iv_model *m = t->ws->model;
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
    /* Start on the first hidden layer, where the lecture's story happens. */
    t->cur_site = sites > 2 ? 2 : 0;
    t->cur_neuron = 0;
    if (t->focus_input >= m->n_inputs)
        t->focus_input = 0;
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

/* The popup's lines and its widest line, in screen columns (a chart's glyphs take 3 bytes each). */
int tui_popup_lines(const char *text, int *widest)
{
    int lines = 1;
    *widest = 20;
    for (const char *p = text; *p; p++) {
        const char *nl = strchr(p, '\n');
        int len = tui_text_width(p); /* up to the newline */
        *widest = len > *widest ? len : *widest;
        lines++;
        if (!nl)
            break;
        p = nl;
    }
    return lines;
}

int tui_popup_max_scroll(const tui *t)
{
    int widest, lines = tui_popup_lines(t->popup.text, &widest);
    /* The box is as view_overlay.c's centred_box sizes it, with the title on its first line. */
    int h = lines + 2 > t->rows - 2 ? t->rows - 2 : lines + 2;
    int shown = h - 1;
    return lines - shown > 0 ? lines - shown : 0;
}
