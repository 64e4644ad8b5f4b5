/* view_panels.c - the header, the output panel and the interventions panel. */
#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* A formatted line of a panel, filling its width: a shorter line leaves nothing of the last one. */
static void put_line(const tui_rect *r, int line, int attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put_line(const tui_rect *r, int line, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tui_draw_padded(r, line, 0, r->w, buf, attr);
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
    for (int b = 0; b < BINS && used + 4 < n; b++) {
        int eighths = (counts[b] * 8 + top - 1) / top;
        used += (size_t)snprintf(buf + used, n - used, "%s",
                                 eighths ? tui_glyph(TUI_GLYPH_BAR1 + eighths - 1) : " ");
    }
}

/* Sample std, min and max of output neuron k over the samples of the intervened pass. */
static double sample_spread(const iv_acts *a, int site, int k, double mean, double *lo, double *hi)
{
    int w = a->width[site];
    double var = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (long s = 0; s < a->n; s++) {
        double x = a->site[site][s * w + k];
        var += (x - mean) * (x - mean) / (double)(a->n - 1);
        *lo = fmin(*lo, x);
        *hi = fmax(*hi, x);
    }
    return sqrt(var);
}

/* One output neuron as a table row: name, clean, intervened, change; the top class marked. */
static void output_row(const tui *t, const tui_rect *r, int line, int k, double clean, double mean,
                       bool top)
{
    const char *label = iv_model_neuron_label(t->ws->model, iv_model_output_site(t->ws->model), k);
    char name[16];
    if (label)
        snprintf(name, sizeof name, "%.5s", label);
    else
        snprintf(name, sizeof name, "[%d]", k);
    /* Four digits keep the three columns inside a narrow panel. */
    int attr = mean != clean ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL;
    put_line(r, line, attr, " %-5s %-7.4g %-7.4g %+.3g%s", name, clean, mean, mean - clean,
             top ? " <" : "");
}

void tui_draw_output(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    const tui_rect *r = &lay->output;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model), line = 0;
    bool classifier = iv_model_is_classifier(ws->model);
    put_line(r, line++, tui_attr(t->colour, TUI_ATTR_TITLE), " output%s",
             classifier ? " (probabilities, < top)" : "");
    if (!ws->clean || !ws->intervened) {
        put_line(r, line, tui_attr(t->colour, TUI_ATTR_ERROR), " not evaluated");
        return;
    }
    const iv_acts *a = ws->intervened;
    const float *clean = ws->clean->site[out];
    double *mean = iv_xcalloc((size_t)w, sizeof(double));
    int top = 0, spread_k = 0; /* the top class; the neuron whose samples spread the most */
    double lo, hi, widest = -1;
    for (int k = 0; k < w; k++) {
        mean[k] = iv_workspace_intervened_mean(ws, out, k);
        top = mean[k] > mean[top] ? k : top;
        double sd = a->n > 1 ? sample_spread(a, out, k, mean[k], &lo, &hi) : 0;
        if (sd > widest) {
            widest = sd;
            spread_k = k;
        }
    }
    const char *avg = a->n > 1 ? " (mean)" : "";
    if (w == 1) {
        char c[32], v[32], d[32];
        iv_format_number(c, sizeof c, clean[0]);
        iv_format_number(v, sizeof v, mean[0]);
        iv_format_number(d, sizeof d, mean[0] - clean[0]);
        put_line(r, line++, (int)A_NORMAL, " clean       %s", c);
        put_line(r, line++, (int)A_BOLD, " intervened  %s%s", v, avg);
        put_line(r, line++, mean[0] != clean[0] ? tui_attr(t->colour, TUI_ATTR_CHANGED)
                                                : (int)A_NORMAL,
                 " change      %s%s", mean[0] > clean[0] ? "+" : "", d);
    } else {
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_DIM), " %-5s %-7s %-7s change", "",
                 "clean", a->n > 1 ? "mean" : "interv.");
        /* Leave room for the target and the sample lines below. */
        int room = r->h - line - (ws->target ? 1 : 0) - (a->n > 1 ? 2 : 0);
        for (int k = 0; k < w && k < room; k++)
            output_row(t, r, line++, k, clean[k], mean[k], classifier && k == top);
    }
    if (ws->target) {
        char v[32];
        iv_format_number(v, sizeof v, iv_workspace_target(ws, ws->base));
        put_line(r, line++, (int)A_NORMAL, " target      %s  = %s", v, ws->model->target);
    }
    if (a->n > 1) {
        double sd = sample_spread(a, out, spread_k, mean[spread_k], &lo, &hi);
        char hist[128];
        sample_histogram(a, out, spread_k, hist, sizeof hist);
        char which[32] = "";
        if (w > 1)
            snprintf(which, sizeof which, "[%d] ", spread_k);
        put_line(r, line++, (int)A_NORMAL, " %s+- %.4g  [%.4g, %.4g]  %ld samples", which, sd, lo, hi,
                 a->n);
        put_line(r, line++, (int)A_NORMAL, " %s", hist);
    }
    free(mean);
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
