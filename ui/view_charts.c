/* view_charts.c - results drawn in a popup rather than printed: the regions of a layer as coloured
 * maps over the grid, and the loss gaps of a comparison as bars.
 *
 * A drawing writes onto a canvas (popup.c) at lines and columns of its own. Batch mode and --json
 * print these results as text; only the explorer draws them.
 *
 * Colour pairs: the categorical colours here (one per region, one per kind of ablation) have a
 * range of their own (TUI_PAIRS_CHARTS in tui.h). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* ---- categorical colours ------------------------------------------------------------------------ */

#define PALETTE 8

/* The pair of colour k of palette `slot` (tui.h numbers them); 0 when the terminal has too few. */
static int top_pair(int slot, int k)
{
    int pair = TUI_PAIRS_CHARTS + slot * PALETTE + k;
    return pair < COLOR_PAIRS ? pair : 0;
}

/* Region k's colour as a background, black or white text on it. */
static int region_attr(const tui_canvas *cv, int k)
{
    static const short bg256[PALETTE] = {67, 179, 71, 168, 110, 97, 186, 137};
    static const short fg256[PALETTE] = {231, 16, 16, 231, 16, 231, 16, 231};
    static const short bg8[PALETTE] = {COLOR_BLUE, COLOR_YELLOW, COLOR_GREEN, COLOR_MAGENTA,
                                       COLOR_CYAN, COLOR_RED, COLOR_WHITE, COLOR_BLACK};
    static const short fg8[PALETTE] = {COLOR_WHITE, COLOR_BLACK, COLOR_BLACK, COLOR_WHITE,
                                       COLOR_BLACK, COLOR_WHITE, COLOR_BLACK, COLOR_WHITE};
    int pair = top_pair(0, k % PALETTE);
    if (cv->t->colour == TUI_COLOUR_NONE || !pair)
        return A_NORMAL;
    if (!cv->measure) {
        bool big = cv->t->colour == TUI_COLOUR_256;
        init_pair((short)pair, big ? fg256[k % PALETTE] : fg8[k % PALETTE],
                  big ? bg256[k % PALETTE] : bg8[k % PALETTE]);
    }
    return (int)COLOR_PAIR(pair);
}

/* The colour of a kind of ablation, on its bar's glyphs. */
static int kind_attr(const tui_canvas *cv, int k)
{
    static const short fg256[] = {160, 33, 136, 245, 34};
    static const short fg8[] = {COLOR_RED, COLOR_BLUE, COLOR_YELLOW, COLOR_WHITE, COLOR_GREEN};
    int pair = top_pair(1, k);
    if (cv->t->colour == TUI_COLOUR_NONE || !pair)
        return A_NORMAL;
    short fg = cv->t->colour == TUI_COLOUR_256 ? fg256[k] : fg8[k];
    /* on the terminal's own background, or black where it has none to lend */
    if (!cv->measure && init_pair((short)pair, fg, -1) == ERR)
        init_pair((short)pair, fg, COLOR_BLACK);
    return (int)COLOR_PAIR(pair);
}

/* ---- regions: the maps of patterns -------------------------------------------------------------- */

/* One map of the regions result: its grid of numbers, rows by y. */
typedef struct region_grid {
    json_object *cells; /* (gy) arrays of (gx) numbers */
    const char *title;
} region_grid;

typedef struct region_layout {
    json_object *xs, *ys;
    const char *x_name, *y_name;
    long gx, gy;
    int n_regions;
    bool letters;        /* cells show the region's character: no colour, or too few colours */
    int lab_w;           /* y tick labels and the blank after them */
    int cw, ch, nc, nr;  /* cell width and height, columns and rows shown (evenly subsampled
                            when fewer) */
    int map_w, gap;      /* one map's columns, and the columns between two */
    int base_i, base_j;  /* the base input's cell, or -1 */
} region_layout;

static long shown_col(const region_layout *L, int j)
{
    return L->nc <= 1 ? 0 : lround((double)j * (double)(L->gx - 1) / (L->nc - 1));
}

/* Row 0 is the top of the map: the largest y, as the effect map draws it. */
static long shown_row(const region_layout *L, int i)
{
    return L->gy - 1 - (L->nr <= 1 ? 0 : lround((double)i * (double)(L->gy - 1) / (L->nr - 1)));
}

static int cell_value(json_object *cells, long iy, long ix)
{
    json_object *row = json_object_array_get_idx(cells, (size_t)iy);
    return row ? json_object_get_int(json_object_array_get_idx(row, (size_t)ix)) : -1;
}

static void tick(json_object *values, long i, char *buf, size_t n)
{
    double v = json_object_get_double(json_object_array_get_idx(values, (size_t)i));
    snprintf(buf, n, "%.4g", v == 0 ? 0 : v);
}

/* The character a region is known by when colour cannot tell it: a letter, which no pattern of
 * 0s and 1s can be mistaken for. */
static char region_char(int k)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return k >= 0 && k < (int)sizeof chars - 1 ? chars[k] : '#';
}

/* The shown cell nearest a value along an axis, or -1 off the grid. */
static int nearest_shown(json_object *values, long count, int shown, double v)
{
    if (count < 1)
        return -1;
    double lo = json_object_get_double(json_object_array_get_idx(values, 0));
    double hi = json_object_get_double(json_object_array_get_idx(values, (size_t)(count - 1)));
    if (count == 1)
        return fabs(v - lo) < 1e-9 ? 0 : -1;
    double step = (hi - lo) / (double)(count - 1);
    if (v < lo - step / 2 || v > hi + step / 2)
        return -1;
    return (int)lround((v - lo) / (hi - lo) * (shown - 1));
}

static bool region_prepare(tui_canvas *cv, json_object *result, region_layout *L)
{
    memset(L, 0, sizeof *L);
    json_object *map = json_object_object_get(result, "clean_map");
    L->xs = json_object_object_get(map, "x");
    L->ys = json_object_object_get(map, "y");
    L->x_name = json_object_get_string(json_object_object_get(map, "x_name"));
    L->y_name = json_object_get_string(json_object_object_get(map, "y_name"));
    L->gx = L->xs ? (long)json_object_array_length(L->xs) : 0;
    L->gy = L->ys ? (long)json_object_array_length(L->ys) : 0;
    if (L->gx < 1 || L->gy < 1)
        return false;
    L->n_regions = (int)json_object_array_length(json_object_object_get(result, "patterns"));
    L->letters = cv->t->colour == TUI_COLOUR_NONE || L->n_regions > PALETTE || !top_pair(0, 0);
    char lab[32];
    tick(L->ys, L->gy - 1, lab, sizeof lab);
    int w = tui_text_width(lab);
    tick(L->ys, 0, lab, sizeof lab);
    L->lab_w = (w > tui_text_width(lab) ? w : tui_text_width(lab));
    if (L->y_name && tui_text_width(L->y_name) > L->lab_w && tui_text_width(L->y_name) <= 6)
        L->lab_w = tui_text_width(L->y_name);
    L->lab_w += 1;
    /* Three maps side by side, the y labels once on the left; cells two columns wide (about
     * square) when that fits, else one, else every other grid point. */
    L->gap = 3;
    int room = (cv->width - L->lab_w - 2 * L->gap) / 3;
    L->cw = room >= 2 * L->gx ? 2 : 1;
    L->nc = (int)(L->gx < room / L->cw ? L->gx : room / L->cw);
    if (L->nc < 2)
        return false;
    /* Every row while the maps fit the popup (12 rows at least: it scrolls), else evenly fewer.
     * The head, the titles, the ticks and two lines of key take 6 of the popup's lines. */
    int rows_room = cv->height - 6 > 12 ? cv->height - 6 : 12;
    L->nr = (int)(L->gy < rows_room ? L->gy : rows_room);
    /* A large screen (a projector) gets larger cells, k lines by 2k columns, up to 3. */
    L->ch = 1;
    if (L->cw == 2 && L->nc == L->gx && L->nr == L->gy)
        for (int k = 2; k <= 3 && room >= 2 * k * L->gx && rows_room >= k * L->gy; k++) {
            L->cw = 2 * k;
            L->ch = k;
        }
    L->map_w = L->nc * L->cw;
    L->base_i = L->base_j = -1;
    const iv_workspace *ws = cv->t->ws;
    if (ws->model->n_inputs == 2) {
        L->base_j = nearest_shown(L->xs, L->gx, L->nc, ws->base[0]);
        L->base_i = nearest_shown(L->ys, L->gy, L->nr, ws->base[1]);
        if (L->base_i >= 0)
            L->base_i = L->nr - 1 - L->base_i;
        if (L->base_i < 0 || L->base_j < 0)
            L->base_i = L->base_j = -1;
    }
    return true;
}

/* One cell of region k (k < 0: a point that did not flip, on the flips map), ch lines of cw
 * columns from (line, col); its mark (letter, dot, base) at the start of the middle line. */
static void region_cell(tui_canvas *cv, const region_layout *L, int line, int col, int k,
                        bool base)
{
    char mark[8];
    int attr = A_NORMAL;
    if (k < 0) {
        snprintf(mark, sizeof mark, "%s", tui_glyph(TUI_GLYPH_DOT));
        attr = tui_attr(cv->t->colour, TUI_ATTR_DIM);
    } else {
        attr = L->letters ? (int)A_NORMAL : region_attr(cv, k);
        snprintf(mark, sizeof mark, "%c", L->letters ? region_char(k) : ' ');
    }
    if (base) {
        snprintf(mark, sizeof mark, "+");
        attr |= A_BOLD;
    }
    char blank[16];
    snprintf(blank, sizeof blank, "%*s", L->cw, "");
    for (int r = 0; r < L->ch; r++) {
        char text[32];
        if (r == L->ch / 2)
            snprintf(text, sizeof text, "%s%*s", mark, L->cw - 1, "");
        else
            snprintf(text, sizeof text, "%s", blank);
        tui_canvas_put(cv, line + r, col, text, attr);
    }
}

/* A map at column x0 from line y0: its title, its cells, its x ticks. flips: cells that did not
 * flip are dots, the others the region they flip into (from `into`). */
static void region_map(tui_canvas *cv, const region_layout *L, int y0, int x0,
                       const region_grid *g, json_object *into)
{
    int title = tui_attr(cv->t->colour, TUI_ATTR_TITLE);
    tui_canvas_put(cv, y0, x0, g->title, title);
    for (int i = 0; i < L->nr; i++) {
        long iy = shown_row(L, i);
        for (int j = 0; j < L->nc; j++) {
            long ix = shown_col(L, j);
            int k = cell_value(g->cells, iy, ix);
            if (into)
                k = k ? cell_value(into, iy, ix) : -1;
            bool base = !into && i == L->base_i && j == L->base_j;
            region_cell(cv, L, y0 + 1 + i * L->ch, x0 + j * L->cw, k, base);
        }
    }
    /* x ticks: both ends, and between them as many as fit with a blank between neighbours. */
    int line = y0 + 1 + L->nr * L->ch, end = x0;
    char lab[32], last[32];
    tick(L->xs, shown_col(L, L->nc - 1), last, sizeof last);
    int last_x = x0 + L->map_w - tui_text_width(last);
    for (int j = 0; j < L->nc; j++) {
        int x = x0 + j * L->cw;
        tick(L->xs, shown_col(L, j), lab, sizeof lab);
        if (x >= end && x + tui_text_width(lab) < last_x)
            end = x + tui_canvas_put(cv, line, x, lab, A_NORMAL) + 1;
    }
    tui_canvas_put(cv, line, last_x, last, A_NORMAL);
}

static void region_y_axis(tui_canvas *cv, const region_layout *L, int y0)
{
    char lab[32];
    for (int i = 0; i < L->nr; i++) {
        if (i % 2 && i != L->nr - 1 && L->nr > 6 && L->ch == 1)
            continue; /* every other row, as the effect map labels its rows */
        tick(L->ys, shown_row(L, i), lab, sizeof lab);
        tui_canvas_put(cv, y0 + 1 + i * L->ch + L->ch / 2, L->lab_w - 1 - tui_text_width(lab), lab,
                       A_NORMAL);
    }
    int title = tui_attr(cv->t->colour, TUI_ATTR_TITLE);
    if (L->y_name)
        tui_canvas_put(cv, y0, 0, L->y_name, title);
    if (L->x_name)
        tui_canvas_put(cv, y0 + 1 + L->nr * L->ch, 0, L->x_name, title);
}

/* The key: each pattern's swatch, its on/off pattern and its examples clean -> intervened, packed
 * several to a line. Returns the lines used. */
static int region_key(tui_canvas *cv, const region_layout *L, int y0, json_object *patterns,
                      const char *layer)
{
    char head[160];
    snprintf(head, sizeof head, "patterns of %s (1 on, 0 off): examples clean -> intervened%s",
             layer ? layer : "the layer", L->base_i >= 0 ? "   + base" : "");
    tui_canvas_put(cv, y0, 0, head, tui_attr(cv->t->colour, TUI_ATTR_DIM));
    int line = y0 + 1, x = 0;
    for (int k = 0; k < L->n_regions; k++) {
        json_object *p = json_object_array_get_idx(patterns, (size_t)k);
        const char *on = json_object_get_string(json_object_object_get(p, "on"));
        const char *fresh = json_object_get_string(json_object_object_get(p, "new"));
        char entry[256];
        snprintf(entry, sizeof entry, "%s  %d -> %d%s", on ? on : "?",
                 json_object_get_int(json_object_object_get(p, "clean")),
                 json_object_get_int(json_object_object_get(p, "intervened")),
                 fresh && *fresh ? " (new)" : "");
        int w = 3 + tui_text_width(entry);
        if (x > 0 && x + w > cv->width) {
            line++;
            x = 0;
        }
        char swatch[4];
        snprintf(swatch, sizeof swatch, "%c%c", L->letters ? region_char(k) : ' ', ' ');
        tui_canvas_put(cv, line, x, swatch,
                       L->letters ? (int)A_BOLD : region_attr(cv, k));
        tui_canvas_put(cv, line, x + 3, entry, A_NORMAL);
        x += w + 4;
    }
    return line - y0 + 1;
}

void tui_draw_regions(tui_canvas *cv, json_object *result)
{
    region_layout L;
    if (!region_prepare(cv, result, &L))
        return;
    const char *layer = json_object_get_string(json_object_object_get(result, "regions"));
    long flipped = json_object_get_int64(json_object_object_get(result, "flipped"));
    char head[256];
    snprintf(head, sizeof head, "regions of %s over %s: %ld of %ld points flip", layer,
             json_object_get_string(json_object_object_get(result, "dataset")), flipped,
             L.gx * L.gy);
    tui_canvas_put(cv, 0, 0, head, A_BOLD);
    char flips_title[64];
    snprintf(flips_title, sizeof flips_title, "flips (%ld)", flipped);
    json_object *into = json_object_object_get(
        json_object_object_get(result, "intervened_map"), "region");
    region_grid maps[3] = {
        {json_object_object_get(json_object_object_get(result, "clean_map"), "region"), "clean"},
        {into, "intervened"},
        {json_object_object_get(json_object_object_get(result, "flipped_map"), "flipped"),
         flips_title},
    };
    int y0 = 1;
    region_y_axis(cv, &L, y0);
    for (int m = 0; m < 3; m++)
        if (maps[m].cells)
            region_map(cv, &L, y0, L.lab_w + m * (L.map_w + L.gap), &maps[m], m == 2 ? into : NULL);
    region_key(cv, &L, y0 + L.nr * L.ch + 2, json_object_object_get(result, "patterns"), layer);
}

/* ---- compare: the loss gaps as bars ------------------------------------------------------------- */

#define KINDS 5
static const char *const kind_names[KINDS] = {"zero", "mean", "resample", "noise", "optimal"};

static const char *kind_glyph(int k)
{
    static const char *const utf8[KINDS] = {"█", "▓", "▒", "░", "■"};
    static const char *const ascii[KINDS] = {"#", "%", ":", ".", "o"};
    return tui_glyphs_ascii() ? ascii[k] : utf8[k];
}

/* A gap as the bars label it: a few significant digits, never an exponent below a million. */
static void gap_text(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (fabs(v) >= 1e5 && fabs(v) < 1e7)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.4g", v);
}

int tui_bar_length(const tui_bar_scale *s, double v)
{
    if (!isfinite(v) || v <= 0)
        return 0;
    double f = s->log ? (log10(v) - s->lo) / (s->hi - s->lo) : v / s->hi;
    int n = (int)lround(f * s->width);
    return n < 1 ? 1 : n > s->width ? s->width : n;
}

/* Which rows go first: the largest optimal-ablation gap, ties in the table's order. */
typedef struct ranked {
    json_object *row;
    double key;
    int index;
} ranked;

static int by_optimal_gap(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return x->index - y->index;
}

static double gap_of(json_object *row, int k)
{
    json_object *v = json_object_object_get(row, kind_names[k]);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

/* Linear up to a spread of 100, beyond it a log scale: noise's gap is often 10,000 times the
 * others, and would leave them a single cell. */
void tui_bar_scale_fit(const double *values, int n, int width, tui_bar_scale *s)
{
    double top = 0, low = INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i]) && values[i] > 0) {
            top = fmax(top, values[i]);
            low = fmin(low, values[i]);
        }
    s->width = width;
    s->log = top > 0 && top / low > 100;
    if (s->log) {
        s->lo = floor(log10(low));
        s->hi = ceil(log10(top));
        if (s->hi <= s->lo)
            s->hi = s->lo + 1;
    } else {
        s->lo = 0;
        s->hi = top > 0 ? top : 1;
    }
}

/* The scale of every gap of every row. */
static void bar_scale_choose(const ranked *rows, int n, int width, tui_bar_scale *s)
{
    double *gaps = iv_xmalloc(sizeof(double) * (size_t)(n * KINDS + 1));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < KINDS; k++)
            gaps[i * KINDS + k] = gap_of(rows[i].row, k);
    tui_bar_scale_fit(gaps, n * KINDS, width, s);
    free(gaps);
}

static void decade_text(double e, char *buf, size_t n)
{
    if (e >= 0 && e <= 4)
        snprintf(buf, n, "%.0f", pow(10, e));
    else if (e < 0 && e >= -3)
        snprintf(buf, n, "%g", pow(10, e));
    else
        snprintf(buf, n, "1e%.0f", e);
}

void tui_bar_axis(tui_canvas *cv, int line, int x0, const tui_bar_scale *s, const char *quantity)
{
    double ticks[16], step;
    int n = 0;
    if (s->log) {
        for (double e = s->lo; e <= s->hi && n < 16; e++)
            ticks[n++] = e;
    } else {
        n = tui_nice_ticks(0, s->hi, s->width / 8 + 1, ticks, &step);
    }
    char rule[1024] = "";
    for (int c = 0; c <= s->width && c < 300; c++)
        strcat(rule, "-");
    tui_canvas_put(cv, line, x0, rule, tui_attr(cv->t->colour, TUI_ATTR_DIM));
    int end = 0;
    for (int i = 0; i < n; i++) {
        double f = s->log ? (ticks[i] - s->lo) / (s->hi - s->lo) : ticks[i] / s->hi;
        int x = x0 + (int)lround(f * s->width);
        char lab[32];
        if (s->log)
            decade_text(ticks[i], lab, sizeof lab);
        else
            snprintf(lab, sizeof lab, "%g", ticks[i]);
        tui_canvas_put(cv, line, x, "|", A_NORMAL);
        if (x >= end)
            end = x + tui_canvas_put(cv, line + 1, x, lab, A_NORMAL) + 1;
    }
    char name[160];
    snprintf(name, sizeof name, "%s, %s", quantity,
             s->log ? "log scale (each | is 10 times the last)" : "linear scale");
    tui_canvas_put(cv, line + 2, x0, name, tui_attr(cv->t->colour, TUI_ATTR_DIM));
}

void tui_draw_compare_bars(tui_canvas *cv, json_object *result)
{
    json_object *gaps = json_object_object_get(result, "loss_gaps");
    int n = gaps ? (int)json_object_array_length(gaps) : 0;
    if (n == 0)
        return;
    ranked *rows = iv_xcalloc((size_t)n, sizeof *rows);
    int name_w = 8;
    for (int i = 0; i < n; i++) {
        rows[i].row = json_object_array_get_idx(gaps, (size_t)i);
        rows[i].index = i;
        double opt = gap_of(rows[i].row, KINDS - 1);
        rows[i].key = isfinite(opt) ? opt : -INFINITY;
        int w = tui_text_width(json_object_get_string(json_object_object_get(rows[i].row,
                                                                             "neurons")));
        name_w = w + 2 > name_w ? w + 2 : name_w;
    }
    qsort(rows, (size_t)n, sizeof *rows, by_optimal_gap);
    enum { KIND_W = 10, VALUE_W = 10 };
    int x0 = name_w + KIND_W;
    tui_bar_scale s;
    bar_scale_choose(rows, n, cv->width - x0 - VALUE_W > 10 ? cv->width - x0 - VALUE_W : 10, &s);

    tui_canvas_put(cv, 0, 0, "loss gaps by neuron, the largest optimal-ablation gap first",
                   A_BOLD);
    int x = 0;
    for (int k = 0; k < KINDS; k++) { /* the legend */
        char sw[16];
        snprintf(sw, sizeof sw, "%s%s", kind_glyph(k), kind_glyph(k));
        tui_canvas_put(cv, 1, x, sw, kind_attr(cv, k));
        x += 3 + tui_canvas_put(cv, 1, x + 3, kind_names[k], A_NORMAL) + 3;
    }
    int line = 3;
    for (int i = 0; i < n; i++, line++) {
        const char *name = json_object_get_string(json_object_object_get(rows[i].row, "neurons"));
        tui_canvas_put(cv, line, 0, name, tui_attr(cv->t->colour, TUI_ATTR_TITLE));
        for (int k = 0; k < KINDS; k++) {
            double v = gap_of(rows[i].row, k);
            if (isnan(v))
                continue;
            tui_canvas_put(cv, line, name_w, kind_names[k], tui_attr(cv->t->colour, TUI_ATTR_DIM));
            iv_buf bar = {0};
            int len = tui_bar_length(&s, v);
            for (int c = 0; c < len; c++)
                iv_buf_printf(&bar, "%s", kind_glyph(k));
            if (len)
                tui_canvas_put(cv, line, x0, bar.data, kind_attr(cv, k));
            iv_buf_free(&bar);
            char lab[32];
            gap_text(v, lab, sizeof lab);
            tui_canvas_put(cv, line, x0 + len + 1, lab, A_NORMAL);
            line++;
        }
    }
    tui_bar_axis(cv, line, x0, &s, "loss gap");
    free(rows);
}

/* ---- which results are drawn -------------------------------------------------------------------- */

tui_drawing tui_drawing_for(iv_result_type type, json_object *result, bool *keep_text)
{
    *keep_text = false;
    if (type == IV_RESULT_REGIONS) {
        json_object *map = json_object_object_get(result, "clean_map");
        return map && json_object_object_get(map, "region") ? tui_draw_regions : NULL;
    }
    if (type == IV_RESULT_IIA && json_object_object_get(result, "matrix"))
        return tui_draw_iia_matrix; /* iia matrix: the map of base x source pairs */
    if (type == IV_RESULT_IIA && json_object_object_get(result, "failing"))
        return tui_draw_iia; /* the IIA in big digits, its parts, the first failing pairs */
    if (type == IV_RESULT_PATCH_SCAN && json_object_object_get(result, "pattern"))
        return tui_draw_attention; /* a head's pattern as a heatmap, query by key */
    if (type == IV_RESULT_PATCH_SCAN && json_object_object_get(result, "table")) {
        *keep_text = true; /* the metric's figures, then the heatmap of shares */
        return tui_draw_patch_scan;
    }
    if (type == IV_RESULT_PCA && json_object_object_get(result, "points"))
        return tui_draw_pca; /* the rows on two components, before and after an erasure */
    if (type == IV_RESULT_CAUSAL && json_object_object_get(result, "variables"))
        return tui_draw_causal; /* the graph holds every variable and expression */
    if (type == IV_RESULT_COMPARISON && json_object_object_get(result, "loss_gaps")) {
        *keep_text = true; /* the table, then the bars under it */
        return tui_draw_compare_bars;
    }
    return NULL;
}
