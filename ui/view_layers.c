/* view_layers.c - the heatmap: one row of cells per site, input to output, coloured on a diverging
 * scale centred at zero, with the value printed in the cell and the neuron's label under it.
 * Selected cells carry '+', changed cells '*' (so changes show without colour), the cursor is in
 * reverse video. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* Formats v in at most w characters, with as many significant digits as fit. */
/* Drops the zero before the point, ".003" for "0.003": a column shorter, the same number. */
static void drop_leading_zero(char *s)
{
    char *z = s[0] == '-' ? s + 1 : s;
    if (z[0] == '0' && z[1] == '.')
        memmove(z, z + 1, strlen(z));
}

/* "-3e-03" -> "-3e-3", "2e+06" -> "2e6": an exponent without its plus sign and padding. */
static void compact_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e)
        return;
    char *p = e + 1, *digits = p;
    if (*p == '+')
        memmove(p, p + 1, strlen(p));
    else if (*p == '-')
        digits = p + 1;
    while (digits[0] == '0' && digits[1])
        memmove(digits, digits + 1, strlen(digits));
}

void tui_fit_number(char *buf, int w, double v)
{
    if (w < 1) {
        buf[0] = '\0';
        return;
    }
    if (isnan(v)) {
        snprintf(buf, (size_t)w + 1, "nan");
        return;
    }
    if (v == 0)
        v = 0; /* no "-0" */
    /* The most digits that fit; then without the leading zero (-0.003325 in a cell of five:
     * "-.003"); then as a compact exponent ("-3e-3", "2e6"). */
    for (int pass = 0; pass < 3; pass++)
        for (int digits = 6; digits >= 1; digits--) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, pass < 2 ? "%.*g" : "%.*e", pass < 2 ? digits : digits - 1,
                     v);
            if (pass == 1)
                drop_leading_zero(tmp);
            if (pass == 2)
                compact_exponent(tmp);
            if ((int)strlen(tmp) <= w) {
                memcpy(buf, tmp, strlen(tmp) + 1);
                return;
            }
        }
    snprintf(buf, (size_t)w + 1, "%s", v < 0 ? "-#########" : "##########"); /* does not fit */
}

/* The largest magnitude a site shows in the current view: the colour scale of its row. */
static double site_scale(const tui *t, int site, bool source)
{
    double top = 0;
    for (int i = 0; i < iv_model_site_width(t->ws->model, site); i++) {
        double v = source ? t->ws->source_acts->site[site][i] : tui_cell_value(t, site, i);
        if (isfinite(v) && fabs(v) > top)
            top = fabs(v);
    }
    return top > 0 ? top : 1;
}

/* One value in a w-wide field: colour (or a shade glyph), then the number right-aligned. */
static void draw_value(const tui *t, int y, int x, int w, double v, double scale, int extra)
{
    char num[64];
    if (t->colour == TUI_COLOUR_NONE) {
        attrset(extra);
        mvaddstr(y, x, tui_colour_shade(v, scale));
        tui_fit_number(num, w - 1, v);
        mvprintw(y, x + 1, "%*s", w - 1, num);
        return;
    }
    attrset(tui_colour_attr(t->colour, v, scale) | extra);
    tui_fit_number(num, w, v);
    mvprintw(y, x, "%*s", w, num);
}

static void draw_cell(const tui *t, const tui_layout *lay, int site, int i, double scale,
                      double source_scale)
{
    tui_rect r;
    if (tui_layout_cell(t, lay, site, i, &r) < 0)
        return;
    bool cursor = site == t->cur_site && i == t->cur_neuron;
    bool changed = tui_cell_changed(t, site, i), selected = tui_selected(t, site, i);
    /* The cursor is bold and bracketed in the gaps beside the cell: reverse video would hide
     * the colour the cell is there to show. */
    int extra = cursor ? (int)A_BOLD : 0;
    int inner = r.w - 3; /* marker, value, marker, gap */
    /* Taller cells (large screens) keep the number on their middle line. */
    int y = r.y + (r.h - 1) / 2;
    double v = tui_cell_value(t, site, i);
    /* The whole block takes the value's colour, so a tall cell reads as one swatch. */
    for (int line = 0; line < r.h; line++) {
        attrset((t->colour == TUI_COLOUR_NONE ? (int)A_NORMAL : tui_colour_attr(t->colour, v, scale)) |
                extra);
        mvhline(r.y + line, r.x + 1, ' ', inner);
        attrset(extra);
        mvaddch(r.y + line, r.x, ' ');
        mvaddch(r.y + line, r.x + 1 + inner, ' ');
    }
    attrset(selected ? tui_attr(t->colour, TUI_ATTR_SELECTED) | extra : extra);
    mvaddch(y, r.x, selected ? '+' : ' ');
    if (t->view == TUI_VIEW_SOURCE && t->ws->source_acts) {
        /* base beside source: two half cells */
        int half = (inner - 1) / 2;
        draw_value(t, y, r.x + 1, half, tui_cell_value(t, site, i), scale, extra);
        attrset(extra);
        mvaddch(y, r.x + 1 + half, '|');
        draw_value(t, y, r.x + 2 + half, inner - 1 - half, t->ws->source_acts->site[site][i],
                   source_scale, extra);
    } else {
        draw_value(t, y, r.x + 1, inner, v, scale, extra);
    }
    attrset(changed ? tui_attr(t->colour, TUI_ATTR_CHANGED) | extra : extra);
    mvaddch(y, r.x + 1 + inner, changed ? '*' : ' ');
    if (cursor) {
        attrset(tui_attr(t->colour, TUI_ATTR_CURSOR));
        for (int line = 0; line < r.h; line++) {
            mvaddch(r.y + line, r.x - 1, '[');
            mvaddch(r.y + line, r.x + r.w - 1, ']');
        }
    }
    attrset(A_NORMAL);
}

static void draw_labels(const tui *t, const tui_layout *lay, int site, int first, int y)
{
    const iv_model *m = t->ws->model;
    int attr = tui_attr(t->colour, TUI_ATTR_DIM);
    for (int i = 0; i < iv_model_site_width(m, site); i++) {
        tui_rect r;
        const char *label = iv_model_neuron_label(m, site, i);
        /* One labels line under the site: a wrapped site labels its first line of cells. */
        if (!label || i < first || i >= first + lay->per_line ||
            tui_layout_cell(t, lay, site, i, &r) < 0)
            continue;
        int w = r.w - 1, len = tui_text_width(label);
        int pad = len < w ? (w - len) / 2 : 0;
        tui_rect under = {y, r.x, 1, w}; /* the line under the cell, less the gap after it */
        tui_draw_text(&under, 0, pad, label, attr);
    }
}

static const char *view_name(tui_view v)
{
    static const char *const names[TUI_VIEW_COUNT] = {"intervened", "clean",
                                                      "difference (intervened - clean)",
                                                      "base | source"};
    return names[v];
}

void tui_draw_layers(const tui *t, const tui_layout *lay)
{
    const iv_model *m = t->ws->model;
    const tui_rect *p = &lay->layers;
    char title[160];
    snprintf(title, sizeof title, " %s%s", view_name(t->view),
             t->view == TUI_VIEW_SOURCE && !t->ws->source_acts ? " (no source input)" : "");
    tui_draw_padded(p, 0, 0, p->w, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    int used = tui_text_width(title);
    if (used + 4 < p->w)
        tui_draw_text(p, 0, used, "  * changed  + selected  +-M scale",
                      tui_attr(t->colour, TUI_ATTR_DIM));
    for (int k = 0; k < lay->n_rows; k++) {
        int site = lay->row[k].site;
        int mid = lay->row[k].y - p->y + (lay->cell_h - 1) / 2; /* the row's middle line, in p */
        char name[128], label[130];
        iv_model_site_name(m, site, name, sizeof name);
        snprintf(label, sizeof label, " %s", name);
        tui_draw_padded(p, mid, 0, lay->label_w, label,
                        site == t->cur_site ? tui_attr(t->colour, TUI_ATTR_HEADER) : (int)A_NORMAL);
        double scale = site_scale(t, site, false);
        double source_scale = t->ws->source_acts ? site_scale(t, site, true) : 1;
        for (int i = 0; i < iv_model_site_width(m, site); i++)
            draw_cell(t, lay, site, i, scale, source_scale);
        /* The row's colour scale, after its last cell when there is room: the legend's range. */
        int width = iv_model_site_width(m, site);
        int last_col = (width < lay->per_line ? width : lay->per_line);
        int x = lay->label_w + last_col * lay->cell_w + 1; /* in p */
        if (x + 8 <= p->w) {
            char num[32];
            snprintf(num, sizeof num, "+-%.3g", scale);
            tui_draw_text(p, mid, x, num, tui_attr(t->colour, TUI_ATTR_DIM));
        }
        if (lay->row[k].labels)
            draw_labels(t, lay, site, lay->row[k].first, lay->row[k].y + lay->row[k].lines);
        if (lay->row[k].shown < width && x + 8 <= p->w) {
            /* A window onto a wide site: which neurons, under the row's scale. */
            char range[64];
            snprintf(range, sizeof range, "%d-%d of %d", lay->row[k].first,
                     lay->row[k].first + lay->row[k].shown - 1, width);
            tui_draw_text(p, lay->row[k].y - p->y + lay->cell_h, x, range,
                          tui_attr(t->colour, TUI_ATTR_DIM));
        }
    }
}
