/* view_panels.c - the header, the output panel and the interventions panel. */
#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* Prints into a rectangle's line, clipped to its width. */
static void put_line(const tui_rect *r, int line, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put_line(const tui_rect *r, int line, int attr, const char *fmt, ...)
{
    if (line >= r->h)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    attrset(attr);
    mvprintw(r->y + line, r->x, "%-*.*s", r->w, r->w, buf);
    attrset(A_NORMAL);
}

static void append_input(const tui *t, iv_buf *b, const float *v, bool mark_focus)
{
    const iv_model *m = t->ws->model;
    for (int i = 0; i < m->n_inputs && b->len < 400; i++) {
        char num[32];
        iv_format_number(num, sizeof num, v[i]);
        bool focus = mark_focus && i == t->focus_input && m->n_inputs > 1;
        iv_buf_printf(b, " %s%s=%s%s", focus ? "[" : "", m->input_names[i], num, focus ? "]" : "");
    }
    if (m->n_inputs > 8)
        iv_buf_printf(b, " ...");
}

void tui_draw_header(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    iv_buf b = {0};
    iv_buf_printf(&b, " intervene: %s  | base", ws->model->name ? ws->model->name : "model");
    append_input(t, &b, ws->base, true);
    iv_buf_printf(&b, "  | source");
    if (ws->has_source)
        append_input(t, &b, ws->source, false);
    else
        iv_buf_printf(&b, " none");
    if (ws->data)
        iv_buf_printf(&b, "  | data %s (%ld)", ws->data->spec, ws->data->n);
    else
        iv_buf_printf(&b, "  | no data");
    iv_buf_printf(&b, "  | seed %llu", (unsigned long long)ws->seed);
    put_line(&lay->header, 0, tui_attr(t->colour, TUI_ATTR_HEADER), "%s", b.data);
    iv_buf_free(&b);
}

/* ---- output ----------------------------------------------------------------------------------- */

/* A one-line histogram of the samples of output neuron k, in eighth-block glyphs. */
static void sample_histogram(const iv_acts *a, int site, int k, char *buf, size_t n)
{
    static const char *const bars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    enum { BINS = 12 };
    int w = a->width[site], counts[BINS] = {0}, top = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (long s = 0; s < a->n; s++) {
        lo = fmin(lo, a->site[site][s * w + k]);
        hi = fmax(hi, a->site[site][s * w + k]);
    }
    for (long s = 0; s < a->n; s++) {
        double f = hi > lo ? (a->site[site][s * w + k] - lo) / (hi - lo) : 0.5;
        int b = f >= 1 ? BINS - 1 : (int)(f * BINS);
        if (++counts[b] > top)
            top = counts[b];
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int b = 0; b < BINS && used + 4 < n; b++)
        used += (size_t)snprintf(buf + used, n - used, "%s", bars[(counts[b] * 8 + top - 1) / top]);
}

static void format_vector(char *buf, size_t n, const float *v, int count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used + 16 < n; i++) {
        char num[32];
        iv_format_number(num, sizeof num, v[i]);
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "", num);
    }
}

void tui_draw_output(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    const tui_rect *r = &lay->output;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model), line = 0;
    put_line(r, line++, tui_attr(t->colour, TUI_ATTR_TITLE), " output%s",
             iv_model_is_classifier(ws->model) ? " (probabilities)" : "");
    if (!ws->clean || !ws->intervened) {
        put_line(r, line, tui_attr(t->colour, TUI_ATTR_ERROR), " not evaluated");
        return;
    }
    char clean[256], mean[256];
    format_vector(clean, sizeof clean, ws->clean->site[out], w);
    float *avg = iv_xcalloc((size_t)w, sizeof(float));
    for (long s = 0; s < ws->intervened->n; s++)
        for (int k = 0; k < w; k++)
            avg[k] += ws->intervened->site[out][s * w + k] / (float)ws->intervened->n;
    format_vector(mean, sizeof mean, avg, w);
    put_line(r, line++, (int)A_NORMAL, " clean       %s", clean);
    put_line(r, line++, (int)A_BOLD, " intervened  %s%s", mean, ws->intervened->n > 1 ? " (mean)" : "");
    if (w == 1) {
        char d[32];
        iv_format_number(d, sizeof d, avg[0] - ws->clean->site[out][0]);
        bool changed = avg[0] != ws->clean->site[out][0];
        put_line(r, line++, changed ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL,
                 " change      %s%s", avg[0] > ws->clean->site[out][0] ? "+" : "", d);
    }
    if (ws->target) {
        char v[32];
        iv_format_number(v, sizeof v, iv_workspace_target(ws, ws->base));
        put_line(r, line++, (int)A_NORMAL, " target      %s  = %s", v, ws->model->target);
    }
    if (ws->intervened->n > 1 && w >= 1) {
        const iv_acts *a = ws->intervened;
        double sd = 0, lo = INFINITY, hi = -INFINITY;
        for (long s = 0; s < a->n; s++) {
            double x = a->site[out][s * w];
            sd += (x - avg[0]) * (x - avg[0]) / (double)(a->n - 1);
            lo = fmin(lo, x);
            hi = fmax(hi, x);
        }
        char hist[128];
        sample_histogram(a, out, 0, hist, sizeof hist);
        put_line(r, line++, (int)A_NORMAL, " +- %.4g  [%.4g, %.4g]  %ld samples", sqrt(sd), lo, hi, a->n);
        put_line(r, line++, (int)A_NORMAL, " %s", hist);
    }
    free(avg);
}

/* ---- interventions ---------------------------------------------------------------------------- */

void tui_draw_list(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    const tui_rect *r = &lay->list;
    int line = 0;
    put_line(r, line++, tui_attr(t->colour, TUI_ATTR_TITLE), " interventions (t toggles, u drops)");
    if (ws->count == 0)
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_DIM),
                 " none: select neurons, then z m n r p");
    int under_cursor = tui_intervention_at(t, t->cur_site, t->cur_neuron);
    /* The newest ones matter most: when the list is long, show its end. */
    int first = ws->count - (r->h - 1);
    for (int i = first > 0 ? first : 0; i < ws->count; i++) {
        const iv_intervention *iv = &ws->list[i];
        char *addr = iv_addr_format(ws->model, &iv->addr);
        char *params = iv_intervention_params(iv);
        int attr = iv->enabled ? (int)A_NORMAL : tui_attr(t->colour, TUI_ATTR_OFF);
        if (iv->id == under_cursor)
            attr |= A_BOLD;
        put_line(r, line++, attr, "%s#%-2d %-3s %-8s %s %s", iv->id == under_cursor ? ">" : " ",
                 iv->id, iv->enabled ? "on" : "off", iv_kind_name(iv->kind), addr, params);
        free(addr);
        free(params);
    }
}
