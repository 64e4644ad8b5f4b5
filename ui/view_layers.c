/* view_layers.c - the heatmap: one row of cells per site, input to output, coloured on a diverging
 * scale centred at zero, with the value printed in the cell and the neuron's label under it.
 * Selected cells carry '+', changed cells '*' (so changes show without colour), the cursor is
 * bracketed. Without colour a shade glyph stands for the colour, in one family for positive
 * values and another for negative ones. */
#include <curses.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

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
    if (fabs(v) < 0.01) { /* too small for the cell's digits: zero to the precision it has */
        snprintf(buf, (size_t)w + 1, "0");
        return;
    }
    snprintf(buf, (size_t)w + 1, "%s", v < 0 ? "-#########" : "##########"); /* does not fit */
}

/* ---- big digits: a value three lines tall, for cells on a large screen ---------------------------
 *
 * In bigdigits.c's font, which the output panel's big mode uses too; only where it is three lines
 * tall (a UTF-8 locale: under ASCII it takes five, and the cells show plain numbers). */

/* The value as the most digits that fit in a w-wide field drawn big, leaving the field's last
 * column blank (a big digit's own bars would run into the '|' or '*' after it); false when none
 * do. */
static bool big_number(char *buf, int w, double v)
{
    if (tui_big_height(1) > TUI_BIG_CELL_H)
        return false;
    for (int chars = 6; chars >= 1; chars--) {
        tui_fit_number(buf, chars, v);
        if (tui_big_drawable(buf) && tui_big_width(buf, 1) <= w - 1)
            return true;
    }
    return false;
}

/* Draws s in big digits from line y, right-aligned in the w-wide field at x less its last column,
 * as big_number fits them. */
static void draw_big(int y, int x, int w, const char *s, int attr)
{
    tui_rect field = {y, x, TUI_BIG_CELL_H, w};
    tui_big_draw(&field, 0, w - 1 - tui_big_width(s, 1), s, 1, attr);
}

/* ---- cells ------------------------------------------------------------------------------------- */

/* How a row's cells draw their values: a field per value, big digits or one line. */
typedef struct row_style {
    double scale, source_scale;
    bool big; /* every value of the row fits its field in big digits */
    bool quiet_zeros; /* a value that is 0 to two decimals shows only its colour (a pattern's
                         weights: the few that matter stand out from the zeros) */
} row_style;

/* The columns of a cell's value fields: the whole inside, or two halves beside a '|'. */
static int field_width(const tui *t, const tui_rect *r, bool second)
{
    int inner = r->w - 3; /* marker, value, marker, gap */
    if (t->view != TUI_VIEW_SOURCE || !t->ws->source_acts)
        return inner;
    int half = (inner - 1) / 2;
    return second ? inner - 1 - half : half;
}

/* One value in a w-wide field of a cell of h lines: colour (or a shade glyph down its first
 * column), then the number right-aligned on the middle line, or in big digits across three. */
static void draw_value(const tui *t, int top, int h, int x, int w, double v, double scale,
                       bool big, int extra, bool quiet_zero)
{
    char num[64];
    int glyph = 0, attr = extra;
    if (t->colour == TUI_COLOUR_NONE) {
        attrset(extra);
        for (int line = 0; line < h; line++)
            mvaddstr(top + line, x, tui_colour_signed_shade(v, scale));
        glyph = 1;
    } else {
        attr |= tui_colour_attr(t->colour, v, scale);
    }
    if (big && big_number(num, w - glyph, v)) {
        draw_big(top + (h - 3) / 2, x + glyph, w - glyph, num, attr);
        return;
    }
    attrset(attr);
    tui_fit_number(num, w - glyph, v);
    if (quiet_zero && fabs(v) < 0.005)
        num[0] = '\0';
    mvprintw(top + (h - 1) / 2, x + glyph, "%*s", w - glyph, num);
}

static void draw_cell(const tui *t, const tui_layout *lay, int site, int i, const row_style *st);

void tui_draw_cell(const tui *t, const tui_layout *lay, int site, int i, double scale,
                   double source_scale, bool quiet_zeros)
{
    row_style st = {scale, source_scale, false, quiet_zeros};
    draw_cell(t, lay, site, i, &st);
}

static void draw_cell(const tui *t, const tui_layout *lay, int site, int i, const row_style *st)
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
    /* Taller cells (large screens) keep the markers on their middle line. */
    int y = r.y + (r.h - 1) / 2;
    double v = tui_cell_value(t, site, i);
    /* The whole block takes the value's colour, so a tall cell reads as one swatch. */
    for (int line = 0; line < r.h; line++) {
        attrset((t->colour == TUI_COLOUR_NONE ? (int)A_NORMAL
                                              : tui_colour_attr(t->colour, v, st->scale)) |
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
        int half = field_width(t, &r, false);
        draw_value(t, r.y, r.h, r.x + 1, half, v, st->scale, st->big, extra, st->quiet_zeros);
        attrset(extra);
        for (int line = 0; line < r.h; line++)
            mvaddch(r.y + line, r.x + 1 + half, '|');
        draw_value(t, r.y, r.h, r.x + 2 + half, field_width(t, &r, true),
                   t->ws->source_acts->site[site][i], st->source_scale, st->big, extra,
                   st->quiet_zeros);
    } else {
        draw_value(t, r.y, r.h, r.x + 1, inner, v, st->scale, st->big, extra, st->quiet_zeros);
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

/* Whether every value a row shows fits its field in big digits: then the whole row is big, so
 * that its values read at one size. */
static bool row_fits_big(const tui *t, const tui_layout *lay, int k)
{
    if (lay->cell_h < TUI_BIG_CELL_H)
        return false;
    int site = lay->row[k].site, glyph = t->colour == TUI_COLOUR_NONE;
    bool source = t->view == TUI_VIEW_SOURCE && t->ws->source_acts;
    for (int i = lay->row[k].first; i < lay->row[k].first + lay->row[k].shown; i++) {
        tui_rect r;
        char num[64];
        if (tui_layout_cell(t, lay, site, i, &r) < 0)
            continue;
        if (!big_number(num, field_width(t, &r, false) - glyph, tui_cell_value(t, site, i)))
            return false;
        if (source && !big_number(num, field_width(t, &r, true) - glyph,
                                  t->ws->source_acts->site[site][i]))
            return false;
    }
    return true;
}

/* ---- labels ------------------------------------------------------------------------------------ */

/* Under each line of cells, each neuron's label; a neuron without one shows its index, and the
 * cursor's "[37]", as it is addressed. */
static void draw_labels(const tui *t, const tui_layout *lay, int k)
{
    const iv_model *m = t->ws->model;
    int site = lay->row[k].site, attr = tui_attr(t->colour, TUI_ATTR_DIM);
    for (int i = lay->row[k].first; i < lay->row[k].first + lay->row[k].shown; i++) {
        tui_rect r;
        if (tui_layout_cell(t, lay, site, i, &r) < 0)
            continue;
        const char *label = iv_model_neuron_label(m, site, i);
        char index[32];
        bool cursor = site == t->cur_site && i == t->cur_neuron;
        if (!label) {
            snprintf(index, sizeof index, cursor ? "[%d]" : "%d", i);
            label = index;
        }
        int w = r.w - 1, len = tui_text_width(label);
        int pad = len < w ? (w - len) / 2 : 0;
        tui_rect under = {r.y + r.h, r.x, 1, w}; /* the line under the cell, less the gap after it */
        tui_draw_text(&under, 0, pad, label, cursor ? tui_attr(t->colour, TUI_ATTR_HEADER) : attr);
    }
}

/* ---- the site's last scan -------------------------------------------------------------------------
 *
 * A line under each line of cells (under the labels): one cell per neuron with its figure, coloured
 * on the scan's own scale centred at zero, the sign in the shade glyph without colour. The label
 * column says "scan", or "stale" once the session has moved on; after the cells, the scale, what
 * was scanned and the site whole, as much as fits. */

/* The text after the scan's cells, the longest that fits in room columns: "+-5  scan: patch,
 * output change; h1 whole 0", then without the whole, then the kind alone, then the scale. */
static char *scan_tail(const tui *t, const tui_scan *sc, int room)
{
    char scale[32], whole[160] = "", name[128], kind[96];
    snprintf(scale, sizeof scale, "+-%.3g", tui_scan_scale(sc));
    iv_model_site_name(t->ws->model, sc->site, name, sizeof name);
    if (isfinite(sc->whole))
        snprintf(whole, sizeof whole, "; %s whole %.4g", name, sc->whole == 0 ? 0 : sc->whole);
    snprintf(kind, sizeof kind, "%.*s", (int)strcspn(sc->what, ","), sc->what);
    bool stale = tui_scan_stale(t, sc);
    char options[4][512];
    snprintf(options[0], sizeof options[0], "%s  %s: %s%s", scale,
             stale ? "scan (stale: run it again)" : "scan", sc->what, whole);
    snprintf(options[1], sizeof options[1], "%s %s%s", scale, stale ? "stale: " : "", sc->what);
    snprintf(options[2], sizeof options[2], "%s %s", scale, stale ? "stale" : kind);
    snprintf(options[3], sizeof options[3], "%s", scale);
    for (int k = 0; k < 4; k++)
        if (tui_text_width(options[k]) <= room)
            return iv_xstrdup(options[k]);
    return iv_xstrdup("");
}

static void draw_scan_line(const tui *t, const tui_layout *lay, int k)
{
    const tui_rect *p = &lay->layers;
    int site = lay->row[k].site, labels = lay->row[k].labels;
    const tui_scan *sc = tui_scan_of(t, site);
    if (!sc)
        return;
    double scale = tui_scan_scale(sc);
    bool stale = tui_scan_stale(t, sc);
    int dim = tui_attr(t->colour, TUI_ATTR_DIM);
    int first_y = lay->row[k].y + lay->cell_h + labels - p->y; /* in p */
    tui_draw_padded(p, first_y, 0, lay->label_w, stale ? " stale" : " scan", dim);
    for (int i = lay->row[k].first; i < lay->row[k].first + lay->row[k].shown; i++) {
        tui_rect r;
        if (tui_layout_cell(t, lay, site, i, &r) < 0)
            continue;
        int y = r.y + r.h + labels, inner = r.w - 3;
        double v = sc->value[i];
        attrset(t->colour == TUI_COLOUR_NONE ? (int)A_NORMAL : tui_colour_attr(t->colour, v, scale));
        mvhline(y, r.x + 1, ' ', inner);
        attrset(A_NORMAL);
        mvaddch(y, r.x, ' ');
        mvaddch(y, r.x + 1 + inner, ' ');
        draw_value(t, y, 1, r.x + 1, inner, v, scale, false, 0, false);
        attrset(A_NORMAL);
    }
    int width = iv_model_site_width(t->ws->model, site);
    int last_col = width < lay->per_line ? width : lay->per_line;
    int x = lay->label_w + last_col * lay->cell_w + 1; /* in p */
    if (x < p->w) {
        char *tail = scan_tail(t, sc, p->w - x);
        tui_draw_text(p, first_y, x, tail, dim);
        free(tail);
    }
}

/* ---- the panel --------------------------------------------------------------------------------- */

static const char *view_name(tui_view v, bool brief)
{
    static const char *const names[TUI_VIEW_COUNT] = {"intervened", "clean",
                                                      "difference (intervened - clean)",
                                                      "base | source"};
    return brief && v == TUI_VIEW_DIFF ? "difference" : names[v];
}

/* The neuron under the cursor as the language addresses it, with its value, and its label unless
 * brief: layer0[37] = 0.53, h1[1] "y-x" = 0. */
static void cursor_text(const tui *t, bool brief, char *buf, size_t n)
{
    const iv_model *m = t->ws->model;
    char name[128], num[32];
    if (tui_grid_mode(t)) { /* resid1[pos=2, 5] = 0.12, z1[pos=2, head=1, 3] = -0.5 */
        tui_grid_axes a;
        int pos, col, head;
        tui_grid_cursor_place(t, &a, &pos, &col, &head);
        tui_fit_number(num, 8, tui_cell_value(t, t->cur_site, t->cur_neuron));
        const char *site = iv_model_site_short_name(m, t->cur_site);
        if (m->sites[t->cur_site].positions <= 0)
            snprintf(buf, n, "  %s[%d] = %s", site, t->cur_neuron, num);
        else if (a.H > 1)
            snprintf(buf, n, "  %s[pos=%d, head=%d, %d] = %s", site, pos, head,
                     a.pattern ? col : col % a.K, num);
        else
            snprintf(buf, n, "  %s[pos=%d, %d] = %s", site, pos, col, num);
        return;
    }
    iv_model_site_name(m, t->cur_site, name, sizeof name);
    const char *label = iv_model_neuron_label(m, t->cur_site, t->cur_neuron);
    tui_fit_number(num, 8, tui_cell_value(t, t->cur_site, t->cur_neuron));
    if (label && !brief)
        snprintf(buf, n, "  %s[%d] \"%s\" = %s", name, t->cur_neuron, label, num);
    else
        snprintf(buf, n, "  %s[%d] = %s", name, t->cur_neuron, num);
}

/* The title line's pieces: the view, the cursor's neuron, the sites scrolled out of the panel
 * and which colour scale is in use; brief, they say the same in fewer columns. */
enum { PIECE_VIEW, PIECE_CURSOR, PIECE_ABOVE, PIECE_BELOW, PIECE_SCALE, PIECES };

static int title_pieces(const tui *t, const tui_layout *lay, bool brief, char text[PIECES][200])
{
    snprintf(text[PIECE_VIEW], 200, " %s%s", view_name(t->view, brief),
             t->view == TUI_VIEW_SOURCE && !t->ws->source_acts ? " (no source input)" : "");
    cursor_text(t, brief, text[PIECE_CURSOR], 200);
    text[PIECE_ABOVE][0] = text[PIECE_BELOW][0] = '\0';
    const char *sites = brief ? "" : " site", *plural = brief ? "" : "s";
    if (lay->sites_above)
        snprintf(text[PIECE_ABOVE], 200, "  ^ %d more%s%s", lay->sites_above, sites,
                 lay->sites_above > 1 ? plural : "");
    if (lay->sites_below)
        snprintf(text[PIECE_BELOW], 200, "  v %d more%s%s", lay->sites_below, sites,
                 lay->sites_below > 1 ? plural : "");
    snprintf(text[PIECE_SCALE], 200, "  scale%s%s", brief ? ": " : " ",
             t->shared_scale ? "shared" : brief ? "site" : "per site");
    int width = 0;
    for (int k = 0; k < PIECES; k++)
        width += tui_text_width(text[k]);
    return width;
}

/* The title line: its pieces (brief when they would not fit, and on a very narrow panel only
 * those that fit whole, the view and the sites out of view first), then the markers' legend when
 * there is room for it. */
static void draw_title(const tui *t, const tui_layout *lay)
{
    const tui_rect *p = &lay->layers;
    char text[PIECES][200];
    if (title_pieces(t, lay, false, text) > p->w)
        title_pieces(t, lay, true, text);
    static const int rows_first[PIECES] = {PIECE_VIEW, PIECE_ABOVE, PIECE_BELOW, PIECE_CURSOR,
                                           PIECE_SCALE};
    /* A transformer's title names the cursor's place first: its grid shows only a window. */
    static const int cursor_first[PIECES] = {PIECE_VIEW, PIECE_CURSOR, PIECE_ABOVE, PIECE_BELOW,
                                             PIECE_SCALE};
    const int *priority = lay->grid ? cursor_first : rows_first;
    bool shown[PIECES] = {false};
    int room = p->w;
    for (int k = 0; k < PIECES; k++) {
        int w = tui_text_width(text[priority[k]]);
        if (w <= room || priority[k] == PIECE_VIEW) {
            shown[priority[k]] = true;
            room -= w;
        }
    }
    int title = tui_attr(t->colour, TUI_ATTR_TITLE), header = tui_attr(t->colour, TUI_ATTR_HEADER);
    int dim = tui_attr(t->colour, TUI_ATTR_DIM);
    const int attrs[PIECES] = {title, title, header, header, dim};
    tui_draw_padded(p, 0, 0, p->w, "", A_NORMAL);
    int used = 0;
    for (int k = 0; k < PIECES; k++)
        if (shown[k])
            used += tui_draw_text(p, 0, used, text[k], attrs[k]);
    const char *legend = "  * changed  + selected";
    if (used + tui_text_width(legend) <= p->w)
        tui_draw_text(p, 0, used, legend, dim);
}

/* The last probe's accuracy at this site, beside the row's scale (at x, on line mid of the panel)
 * or on the line under the scale when the row has one free there: the whole mark where either has
 * room for it, else the short one, so that a wide site whose cells reach the output panel still
 * shows its label and accuracy. */
static void draw_probe_mark(const tui *t, const tui_layout *lay, int k, int mid, int x)
{
    const tui_rect *p = &lay->layers;
    int site = lay->row[k].site, row_top = lay->row[k].y - p->y;
    bool wide = lay->row[k].shown < iv_model_site_width(t->ws->model, site);
    bool below_free = mid + 1 < row_top + lay->row[k].height &&
                      !(wide && mid + 1 == row_top + lay->row[k].step); /* a window's range */
    char whole[128], mark[128];
    bool readable;
    if (!tui_probe_mark(t, site, INT_MAX, whole, sizeof whole, &readable))
        return;
    int y = mid, at = x + 8, room = p->w - at;
    if (tui_text_width(whole) > room && below_free && tui_text_width(whole) <= p->w - x) {
        y = mid + 1, at = x, room = p->w - x;
    } else if (tui_text_width(whole) > room) {
        tui_probe_mark(t, site, room, mark, sizeof mark, &readable);
        if (tui_text_width(mark) > room && below_free)
            y = mid + 1, at = x, room = p->w - x;
    }
    tui_probe_mark(t, site, room, mark, sizeof mark, &readable);
    tui_draw_text(p, y, at, mark,
                  readable ? (int)(tui_attr(t->colour, TUI_ATTR_TITLE) | A_BOLD)
                           : tui_attr(t->colour, TUI_ATTR_DIM));
}

void tui_draw_layers_title(const tui *t, const tui_layout *lay) { draw_title(t, lay); }

void tui_draw_layers(const tui *t, const tui_layout *lay)
{
    const iv_model *m = t->ws->model;
    const tui_rect *p = &lay->layers;
    draw_title(t, lay);
    for (int k = 0; k < lay->n_rows; k++) {
        int site = lay->row[k].site;
        int mid = lay->row[k].y - p->y + (lay->cell_h - 1) / 2; /* the row's middle line, in p */
        char label[130]; /* a transformer's rows go by their short names: z1, pattern0, resid2 */
        snprintf(label, sizeof label, " %s", iv_model_site_short_name(m, site));
        tui_draw_padded(p, mid, 0, lay->label_w, label,
                        site == t->cur_site ? tui_attr(t->colour, TUI_ATTR_HEADER) : (int)A_NORMAL);
        row_style st = {tui_site_scale(t, site, false), tui_site_scale(t, site, true),
                        row_fits_big(t, lay, k), false};
        int width = iv_model_site_width(m, site);
        for (int i = lay->row[k].first; i < lay->row[k].first + lay->row[k].shown; i++)
            draw_cell(t, lay, site, i, &st);
        /* The row's colour scale, after its last cell when there is room: the legend's range. */
        int last_col = (width < lay->per_line ? width : lay->per_line);
        int x = lay->label_w + last_col * lay->cell_w + 1; /* in p */
        if (x + 8 <= p->w) {
            char num[32];
            snprintf(num, sizeof num, "+-%.3g", st.scale);
            tui_draw_text(p, mid, x, num, tui_attr(t->colour, TUI_ATTR_DIM));
            draw_probe_mark(t, lay, k, mid, x);
        }
        if (lay->row[k].labels)
            draw_labels(t, lay, k);
        if (lay->row[k].scan)
            draw_scan_line(t, lay, k);
        if (lay->row[k].shown < width && x + 8 <= p->w) {
            /* A window onto a wide site: which neurons, under the row's scale. */
            char range[64];
            snprintf(range, sizeof range, "%d-%d of %d", lay->row[k].first,
                     lay->row[k].first + lay->row[k].shown - 1, width);
            tui_draw_text(p, lay->row[k].y - p->y + lay->row[k].step, x, range,
                          tui_attr(t->colour, TUI_ATTR_DIM));
        }
    }
}
