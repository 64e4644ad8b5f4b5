/* view_panels.c - the header, the output panel and the interventions panel. */
#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "causal.h"
#include "report.h"
#include "tokenizer.h"
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

/* A transformer's prompt as its tokens, each quoted so that a leading space shows. */
static void append_tokens(const tui *t, iv_buf *b, const float *v, bool mark_focus)
{
    const iv_model *m = t->ws->model;
    for (int i = 0; i < m->n_inputs && b->len < 400; i++) {
        const char *tok = iv_tokenizer_token(m->tokenizer, (int)v[i]);
        bool focus = mark_focus && i == t->focus_input && m->n_inputs > 1;
        iv_buf_printf(b, " %s\"%s\"%s", focus ? "[" : "", tok ? tok : "?", focus ? "]" : "");
    }
}

static void append_input(const tui *t, iv_buf *b, const float *v, bool mark_focus)
{
    const iv_model *m = t->ws->model;
    if (m->gpt2 && m->tokenizer) {
        append_tokens(t, b, v, mark_focus);
        return;
    }
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
    if (ws->input_row >= 0) /* taken from the dataset: its row says more than its values */
        iv_buf_printf(&b, " row %ld:", ws->input_row);
    append_input(t, &b, ws->base, true);
    iv_buf_printf(&b, "  | source");
    if (ws->has_source && ws->source_row >= 0)
        iv_buf_printf(&b, " row %ld:", ws->source_row);
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

/* The columns of the output table: a name, then clean, intervened and change, each a number
 * right-aligned in num_w columns after a blank. Sized from the panel, so no column is cut. */
typedef struct out_columns {
    int name_w, num_w;
} out_columns;

static void output_name(const iv_model *m, int k, char *buf, size_t n)
{
    const char *label = iv_model_neuron_label(m, iv_model_output_site(m), k);
    if (label)
        snprintf(buf, n, "%s", label);
    else
        snprintf(buf, n, "[%d]", k);
}

static out_columns output_columns(const iv_model *m, int panel_w)
{
    out_columns c = {.name_w = 3};
    for (int k = 0; k < iv_model_output_width(m); k++) {
        char name[64];
        output_name(m, k, name, sizeof name);
        if (tui_text_width(name) > c.name_w)
            c.name_w = tui_text_width(name);
    }
    if (c.name_w > panel_w / 4)
        c.name_w = panel_w / 4;
    /* One column for the top class's mark, the name, then three blanks and three numbers. */
    c.num_w = (panel_w - 1 - c.name_w - 3) / 3;
    if (c.num_w > 9)
        c.num_w = 9;
    return c;
}

/* A change with its sign: "+3", "-0.0033", "0". */
static void signed_number(char *buf, int w, double v)
{
    if (v > 0) {
        buf[0] = '+';
        tui_fit_number(buf + 1, w - 1, v);
    } else {
        tui_fit_number(buf, w, v);
    }
}

/* One output neuron as a table row: name, clean, intervened, change; '>' marks the top class. */
static void output_row(const tui *t, const tui_rect *r, int line, const out_columns *c, int k,
                       double clean, double mean, bool top)
{
    char name[64], cv[32], iv[32], dv[32];
    output_name(t->ws->model, k, name, sizeof name);
    tui_fit_number(cv, c->num_w, clean);
    tui_fit_number(iv, c->num_w, mean);
    signed_number(dv, c->num_w, mean - clean);
    int attr = mean != clean ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL;
    tui_draw_padded(r, line, 0, r->w, top ? ">" : " ", attr);
    tui_draw_clipped(r, line, 1, c->name_w, name, attr);
    char nums[128];
    snprintf(nums, sizeof nums, " %*s %*s %*s", c->num_w, cv, c->num_w, iv, c->num_w, dv);
    tui_draw_text(r, line, 1 + c->name_w, nums, attr);
}

static void output_table_header(const tui *t, const tui_rect *r, int line, const out_columns *c,
                                bool sampled)
{
    const char *iv = sampled ? "mean" : c->num_w >= 10 ? "intervened" : "interv";
    char text[128];
    snprintf(text, sizeof text, " %*s %*s %*s %*s", c->name_w, "", c->num_w, "clean", c->num_w,
             iv, c->num_w, "change");
    put_line(r, line, tui_attr(t->colour, TUI_ATTR_DIM), "%s", text);
}

/* The rows of a table of w outputs: as many as fit, then "... N more (show out)". */
static int output_table(const tui *t, const tui_rect *r, int line, const double *mean, int top)
{
    const iv_workspace *ws = t->ws;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    const float *clean = ws->clean->site[out];
    out_columns c = output_columns(ws->model, r->w);
    output_table_header(t, r, line++, &c, ws->intervened->n > 1);
    int room = r->h - line - tui_output_extra_lines(t);
    int shown = w <= room ? w : room - 1;
    for (int k = 0; k < shown; k++)
        output_row(t, r, line++, &c, k, clean[k], mean[k], iv_model_is_classifier(ws->model) &&
                   k == top);
    if (shown < w && shown >= 0) {
        char site[128];
        iv_model_site_name(ws->model, out, site, sizeof site);
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_DIM), " ... %d more (show %s)", w - shown,
                 site);
    }
    return line;
}

/* ---- big digits -------------------------------------------------------------------------------- */

/* clean -> intervened as the big display draws it: the numbers, and the size of the font. */
typedef struct big_display {
    char clean[32], intervened[32];
    int size, width, lines;
} big_display;

static int big_width(const big_display *b, int size)
{
    /* the two numbers and the arrow, a blank of two font columns between each */
    return tui_big_width(b->clean, size) + tui_big_width(">", size) +
           tui_big_width(b->intervened, size) + 4 * size;
}

/* Chooses the most digits, then the largest font, that fit width x lines. Returns false with
 * *need the columns the smallest form needs (0 when the numbers cannot be drawn, or when the
 * lines are too few whatever the width). */
static bool big_fit(double clean, double intervened, int width, int lines, big_display *b,
                    int *need)
{
    *need = 0;
    if (tui_big_height(1) > lines)
        return false;
    for (int chars = 6; chars >= 4; chars--) {
        tui_fit_number(b->clean, chars, clean);
        tui_fit_number(b->intervened, chars, intervened);
        if (!tui_big_drawable(b->clean) || !tui_big_drawable(b->intervened))
            return false;
        for (int size = 2; size >= 1; size--) {
            b->size = size;
            b->width = big_width(b, size);
            b->lines = tui_big_height(size);
            if (b->width <= width && b->lines <= lines)
                return true;
        }
        *need = b->width;
    }
    return false;
}

/* What the big display shows: the one output, or the clean top class of a classifier. */
static int big_neuron(const iv_workspace *ws)
{
    int out = iv_model_output_site(ws->model), top = 0;
    for (int k = 1; k < iv_model_output_width(ws->model); k++)
        if (ws->clean->site[out][k] > ws->clean->site[out][top])
            top = k;
    return top;
}

/* Draws the big display from `line` on; false (and *why) when it does not fit or apply. */
static bool draw_big(const tui *t, const tui_rect *r, int line, const double *mean, int top,
                     char *why, size_t n)
{
    const iv_workspace *ws = t->ws;
    const iv_model *m = ws->model;
    bool classifier = iv_model_is_classifier(m);
    if (iv_model_output_width(m) > 1 && !classifier) {
        snprintf(why, n, "big: for one output or a classifier");
        return false;
    }
    int k = big_neuron(ws), out = iv_model_output_site(m);
    double clean = ws->clean->site[out][k], change = mean[k] - clean;
    /* Lines: the class, the digits, the change; the target only where there is room. */
    int lines = r->h - line - (classifier ? 1 : 0) - 1;
    big_display b;
    int need;
    if (!big_fit(clean, mean[k], r->w - 1, lines, &b, &need)) {
        if (need > 0)
            snprintf(why, n, "big: needs %d columns", need + 1);
        else if (lines < tui_big_height(1))
            snprintf(why, n, "big: needs %d lines", r->h - lines + tui_big_height(1));
        else
            snprintf(why, n, "big: not a finite number");
        return false;
    }
    if (classifier) {
        char name[64], now[96] = "";
        output_name(m, k, name, sizeof name);
        if (top != k) {
            char other[64];
            output_name(m, top, other, sizeof other);
            snprintf(now, sizeof now, "; top now %s", other);
        }
        put_line(r, line++, (int)A_NORMAL, " class %s%s", name, now);
    }
    int col = 1, gap = 2 * b.size;
    tui_big_draw(r, line, col, b.clean, b.size, A_BOLD);
    col += tui_big_width(b.clean, b.size) + gap;
    tui_big_draw(r, line, col, ">", b.size, tui_attr(t->colour, TUI_ATTR_DIM));
    col += tui_big_width(">", b.size) + gap;
    int attr = tui_big_change_attr(t->colour, change);
    tui_big_draw(r, line, col, b.intervened, b.size, attr);
    line += b.lines;
    char d[32];
    signed_number(d, 12, change);
    put_line(r, line++, change != 0 ? attr : (int)A_NORMAL, " change %s%s", d,
             ws->intervened->n > 1 ? " (mean over samples)" : "");
    if (ws->target && line < r->h) {
        char v[32];
        iv_format_number(v, sizeof v, iv_workspace_target(ws, ws->base));
        put_line(r, line++, (int)A_NORMAL, " target %s = %s", v, m->target);
    }
    return true;
}

/* ---- the panel ---------------------------------------------------------------------------------- */

static void output_title(const tui *t, const tui_rect *r, const char *note)
{
    bool classifier = iv_model_is_classifier(t->ws->model);
    const char *kind = !classifier ? "" : r->w >= 30 ? " (probabilities, > top)" : " (probs, > top)";
    if (note[0])
        kind = classifier ? " (> top)" : "";
    put_line(r, 0, tui_attr(t->colour, TUI_ATTR_TITLE), " output%s", kind);
    if (note[0]) /* why big mode shows the table: after the title, where there is room */
        tui_draw_text(r, 0, tui_text_width(kind) + 8, note, tui_attr(t->colour, TUI_ATTR_DIM));
}

static void draw_values(const tui *t, const tui_rect *r, int line, const double *mean, int top,
                        int spread_k)
{
    const iv_workspace *ws = t->ws;
    const iv_acts *a = ws->intervened;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    const float *clean = ws->clean->site[out];
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
        line = output_table(t, r, line, mean, top);
    }
    if (ws->target) {
        char v[32];
        iv_format_number(v, sizeof v, iv_workspace_target(ws, ws->base));
        put_line(r, line++, (int)A_NORMAL, " target      %s  = %s", v, ws->model->target);
    }
    if (a->n > 1) {
        double lo, hi, sd = sample_spread(a, out, spread_k, mean[spread_k], &lo, &hi);
        char hist[128];
        sample_histogram(a, out, spread_k, hist, sizeof hist);
        char which[32] = "";
        if (w > 1)
            snprintf(which, sizeof which, "[%d] ", spread_k);
        put_line(r, line++, (int)A_NORMAL, " %s+- %.4g  [%.4g, %.4g]  %ld samples", which, sd, lo, hi,
                 a->n);
        put_line(r, line++, (int)A_NORMAL, " %s", hist);
    }
}

/* With `metric logit-diff A B`: logit A - logit B at the last position, clean -> intervened (the
 * first sample), the metric of IOI-style experiments. */
static void draw_logit_diff(const tui *t, const tui_rect *r, int line)
{
    const iv_workspace *ws = t->ws;
    const iv_model *m = ws->model;
    int out = iv_model_output_site(m), offset, width, a = ws->logit_diff[0], b = ws->logit_diff[1];
    iv_model_prediction(m, &offset, &width);
    const float *c = ws->clean->site[out] + offset, *v = ws->intervened->site[out] + offset;
    const char *ta = m->tokenizer ? iv_tokenizer_token(m->tokenizer, a) : NULL;
    const char *tb = m->tokenizer ? iv_tokenizer_token(m->tokenizer, b) : NULL;
    char na[24], nb[24];
    if (ta)
        snprintf(na, sizeof na, "\"%.8s\"", ta);
    else
        snprintf(na, sizeof na, "id:%d", a);
    if (tb)
        snprintf(nb, sizeof nb, "\"%.8s\"", tb);
    else
        snprintf(nb, sizeof nb, "id:%d", b);
    double dc = (double)c[a] - c[b], dv = (double)v[a] - v[b];
    int attr = fabs(dv - dc) >= 0.005 ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL;
    if (line + 1 < r->h) { /* named on a line of its own when there is one */
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_DIM), " logit diff clean -> interv");
    }
    put_line(r, line, attr, " %s-%s %.3f -> %.3f", na, nb, dc, dv);
}

/* A transformer's output: its most likely next tokens after the last position, their
 * probabilities clean and intervened, and the intervened run's top token when it is another. */
static void draw_next_tokens(const tui *t, const tui_rect *r)
{
    json_object *o = iv_report_next(t->ws);
    json_object *next = json_object_object_get(o, "next");
    put_line(r, 0, tui_attr(t->colour, TUI_ATTR_TITLE), " next token (probabilities)");
    bool change_fits = r->w >= 33; /* the change column, where the panel has room for it */
    put_line(r, 1, tui_attr(t->colour, TUI_ATTR_DIM), change_fits ? " %-9s %6s %6s %7s"
                                                                  : " %-9s %6s %6s",
             "token", "clean", "interv", "change");
    int line = 2;
    for (size_t i = 0; i < json_object_array_length(next) && line < r->h; i++) {
        json_object *row = json_object_array_get_idx(next, i);
        const char *tok = json_object_get_string(json_object_object_get(row, "token"));
        double c = json_object_get_double(json_object_object_get(row, "clean_p"));
        double v = json_object_get_double(json_object_object_get(row, "intervened_p"));
        char shown[40];
        snprintf(shown, sizeof shown, "\"%s\"", tok); /* quoted: a leading space shows */
        int attr = fabs(v - c) >= 0.005 ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL;
        put_line(r, line++, i == 0 ? (int)(attr | A_BOLD) : attr,
                 change_fits ? " %-9.9s %6.3f %6.3f %+7.3f" : " %-9.9s %6.3f %6.3f", shown, c, v,
                 v - c);
    }
    json_object *top = json_object_object_get(o, "intervened_next");
    json_object *first = json_object_array_get_idx(next, 0);
    int top_id = json_object_get_int(json_object_object_get(top, "id"));
    if (first && top_id != json_object_get_int(json_object_object_get(first, "id")) &&
        line < r->h)
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_CHANGED), " top now \"%s\" %.3f",
                 json_object_get_string(json_object_object_get(top, "token")),
                 json_object_get_double(json_object_object_get(top, "p")));
    json_object_put(o);
    if (t->ws->logit_diff[0] >= 0 && line < r->h)
        draw_logit_diff(t, r, line);
}

void tui_draw_output(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    const tui_rect *r = &lay->output;
    int out = iv_model_output_site(ws->model), w = iv_model_output_width(ws->model);
    if (!ws->clean || !ws->intervened) {
        output_title(t, r, "");
        put_line(r, 1, tui_attr(t->colour, TUI_ATTR_ERROR), " not evaluated");
        return;
    }
    if (ws->model->gpt2) {
        draw_next_tokens(t, r);
        return;
    }
    const iv_acts *a = ws->intervened;
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
    char why[64] = "";
    if (t->output_big) {
        /* Drawn below a plain title; the table replaces it when the digits do not fit. */
        for (int i = 0; i < r->h; i++)
            put_line(r, i, (int)A_NORMAL, "%s", "");
        if (draw_big(t, r, 1, mean, top, why, sizeof why)) {
            output_title(t, r, "");
            free(mean);
            return;
        }
    }
    char note[80] = "";
    if (why[0])
        snprintf(note, sizeof note, "(%s)", why);
    output_title(t, r, note);
    draw_values(t, r, 1, mean, top, spread_k);
    free(mean);
}

/* ---- interventions ---------------------------------------------------------------------------- */

/* The causal model beside the network, under the interventions: its graph when the panel has
 * the room (compact: names and arrows; the causal popup has the expressions), each variable with
 * the neurons (or subspace) that are to carry it, and the last IIA measured. Returns the lines it
 * takes from the bottom of the panel (none without a causal model). */
static int draw_alignments(const tui *t, const tui_rect *r)
{
    const iv_workspace *ws = t->ws;
    if (!ws->causal)
        return 0;
    json_object *iia = t->iia;
    int want = 1 + (ws->n_alignments ? ws->n_alignments : 1) + (iia ? 2 : 0);
    if (want + 2 > r->h)
        return 0; /* the interventions come first */
    int graph_h = tui_causal_compact_height(ws, r->w);
    if (graph_h < 0 || want + graph_h + 4 > r->h)
        graph_h = 0; /* two lines of interventions at least, and the list's own lines */
    want += graph_h;
    int line = r->h - want;
    put_line(r, line++, tui_attr(t->colour, TUI_ATTR_TITLE), " causal model (causal: graph)");
    if (graph_h) {
        tui_draw_causal_compact(t, r, line);
        line += graph_h;
    }
    if (!ws->n_alignments)
        put_line(r, line++, tui_attr(t->colour, TUI_ATTR_DIM), " nothing aligned: align VAR ADDR");
    for (int i = 0; i < ws->n_alignments; i++) {
        const iv_alignment *a = &ws->alignments[i];
        char *addr = iv_addr_format(ws->model, &a->addr);
        char site[128];
        iv_model_site_name(ws->model, a->addr.site, site, sizeof site);
        if (a->k > 0)
            put_line(r, line++, A_NORMAL, " %s ~ %s subspace %d", ws->causal->names[a->var], site,
                     a->k);
        else
            put_line(r, line++, A_NORMAL, " %s ~ %s", ws->causal->names[a->var], addr);
        free(addr);
    }
    if (iia) { /* the last iia, as its panel showed it (key f browses its failing pairs) */
        put_line(r, line++, A_BOLD, " IIA %.3f  %lld/%lld",
                 json_object_get_double(json_object_object_get(iia, "iia")),
                 (long long)json_object_get_int64(json_object_object_get(iia, "agree")),
                 (long long)json_object_get_int64(json_object_object_get(iia, "pairs")));
        put_line(r, line++, A_NORMAL, " factual %.3f",
                 json_object_get_double(json_object_object_get(iia, "factual_accuracy")));
    }
    return want;
}

void tui_draw_list(const tui *t, const tui_layout *lay)
{
    const iv_workspace *ws = t->ws;
    tui_rect room = lay->list;
    room.h -= draw_alignments(t, &lay->list);
    const tui_rect *r = &room;
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
