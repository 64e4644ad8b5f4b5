/* view_effect.c - the effect panel: what the enabled interventions do over the reference dataset.
 *
 * A two-input model on a grid gets a map of the output change, x across and y up like a plot, one
 * grid point per cell, so the lecturer can point at where an intervention breaks the network (for
 * the max network: a triangle on one side of the diagonal x = y). Any other model or dataset gets a
 * histogram of the change. The panel draws only inside lay->effect and copes with any size: it
 * lays itself out in the way that shows the most of the map, leaves out what does not fit, and
 * says so when the map itself does not fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "draw.h"
#include "tui.h"

#define SIDE_MIN 16   /* the narrowest useful column of text beside the map */
#define MAX_CELL_H 3  /* lines per grid point on a large panel (cells grow to use the space) */
#define MAP_MIN 3     /* fewer grid points than this across or down is no map */
#define HIST_BINS 10
#define LEVELS 6      /* steps of the colour scale shown in the legend (as in colour.c) */
#define MAX_ITEMS 8

/* ---- drawing --------------------------------------------------------------------------------- */

/* Writes text word-wrapped into a column width wide, at most max_rows lines. Returns lines used. */
static int put_wrapped(const tui_rect *r, int row, int col, int width, int max_rows, const char *s,
                       int attr)
{
    char line[512] = "";
    int rows = 0, lw = 0;
    while (*s && rows < max_rows) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (len == 0)
            break;
        char word[256];
        snprintf(word, sizeof word, "%.*s", (int)len, s);
        s += len;
        int ww = tui_text_width(word);
        if (lw > 0 && lw + 1 + ww > width) {
            tui_draw_clipped(r, row + rows++, col, width, line, attr);
            line[0] = '\0';
            lw = 0;
            if (rows >= max_rows)
                break;
        }
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, "%s%s", lw > 0 ? " " : "", word);
        lw += (lw > 0) + ww;
    }
    if (lw > 0 && rows < max_rows)
        tui_draw_clipped(r, row + rows++, col, width, line, attr);
    return rows;
}

static void clear_rect(const tui_rect *r)
{
    attrset(A_NORMAL);
    for (int i = 0; i < r->h; i++)
        mvhline(r->y + i, r->x, ' ', r->w);
}

/* Whether a colour fills the cell's background. Then a cell is blank and the colour speaks;
 * otherwise (no colour, or a colour on the glyph only, as small values on 8 colours) the shade
 * glyph carries the magnitude. */
static bool fills_background(int attr)
{
    short fg, bg;
    int pair = PAIR_NUMBER(attr);
    if (pair <= 0 || pair_content((short)pair, &fg, &bg) == ERR)
        return false;
    return bg >= 0 && bg != COLOR_BLACK;
}

static const char *cell_glyph(int attr, double v, double scale)
{
    return fills_background(attr) ? " " : tui_colour_signed_shade(v, scale);
}

/* ---- what the panel says --------------------------------------------------------------------- */

static bool any_enabled(const iv_workspace *ws)
{
    for (int k = 0; k < ws->count; k++)
        if (ws->list[k].enabled)
            return true;
    return false;
}

/* The dataset the effect was computed over, or NULL when the workspace's dataset has changed
 * since (the map would put values on the wrong points). */
static const iv_dataset *effect_data(const tui *t)
{
    const iv_dataset *d = t->ws->data;
    return d && d->n == t->effect.n ? d : NULL;
}

/* The longest title that fits the width: the dataset's spec and size, then less. */
static void title_text(const tui *t, int width, char *buf, size_t n)
{
    const iv_dataset *d = t->ws->data;
    char spec[300];
    snprintf(spec, sizeof spec, "%s", d ? d->spec : "no dataset");
    /* The output only where the map shows it: a dataset that is no grid gets the histogram of
     * the change, whatever `map` says; and every shorter title keeps the same word. */
    bool output = t->map_output && d && d->is_grid && d->d == 2;
    const char *what = output ? "output" : "effect";
    char full[400];
    snprintf(full, sizeof full, "%s over %s (%ld examples)",
             output ? "output (intervened)" : "effect", spec, t->effect.n);
    snprintf(buf, n, "%s", full);
    if (tui_text_width(buf) <= width)
        return;
    snprintf(buf, n, "%s over %s", what, spec);
    if (tui_text_width(buf) <= width)
        return;
    snprintf(buf, n, "%s (%ld examples)", what, t->effect.n);
    if (tui_text_width(buf) <= width)
        return;
    snprintf(buf, n, "%s", what);
}

/* "x=9 y=10": the inputs of an example, for where the largest change is. */
static void example_text(const tui *t, long ex, char *buf, size_t n)
{
    const iv_dataset *d = effect_data(t);
    const iv_model *m = t->ws->model;
    buf[0] = '\0';
    if (!d || ex < 0 || ex >= d->n || d->d != m->n_inputs)
        return;
    size_t len = 0;
    for (int k = 0; k < d->d && len < n; k++) {
        char num[32];
        iv_format_number(num, sizeof num, d->x[ex * d->d + k]);
        len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", k ? " " : "", m->input_names[k], num);
    }
}

/* Lines of text around the map or histogram, in order of importance. A legend item draws the
 * colour scale instead of text. */
typedef struct item {
    char text[200];
    int attr;
    bool legend;
} item;

typedef struct items {
    item it[MAX_ITEMS];
    int n;
} items;

static void items_add(items *l, int attr, const char *text)
{
    if (l->n >= MAX_ITEMS)
        return;
    item *it = &l->it[l->n++];
    snprintf(it->text, sizeof it->text, "%s", text);
    it->attr = attr;
    it->legend = false;
}

/* The numbers every layout shows: the mean and the largest change, and where the largest is. */
static void add_stats(const tui *t, items *l)
{
    char num[32], at[120], text[200];
    const iv_metrics *mt = &t->effect.metrics;
    const iv_workspace *ws = t->ws;
    bool labelled = mt->labelled && ws->data && ws->label_column >= 0;
    if (labelled) {
        /* A classifier scored against its labels: what a TA asks first. */
        char clean[32];
        iv_format_number(clean, sizeof clean, mt->label_accuracy_clean);
        iv_format_number(num, sizeof num, mt->label_accuracy);
        snprintf(text, sizeof text, "accuracy (%s) %s -> %s",
                 ws->data->label_names[ws->label_column], clean, num);
        items_add(l, A_BOLD, text);
    }
    /* The loss gap is the number compare and the lectures quote; the loss it is measured in is
     * named unless it is the default's mean squared change. */
    iv_format_number(num, sizeof num, mt->loss_gap);
    const char *loss = labelled ? " (cross-entropy)" : ws->loss_vs_target ? " (error to target)"
                       : mt->classifier ? " (KL)" : "";
    snprintf(text, sizeof text, "loss gap %s%s%s", labelled && mt->loss_gap > 0 ? "+" : "", num,
             loss);
    items_add(l, A_NORMAL, text);
    /* The map's cells are signed; these are sizes, so they say so, and one output's signed mean
     * says which way it went. */
    iv_format_number(num, sizeof num, t->effect.mean_change);
    snprintf(text, sizeof text, "mean |change| %s", num);
    items_add(l, A_NORMAL, text);
    if (!isnan(t->effect.mean_signed)) { /* a line of its own: it never breaks mid-number */
        iv_format_number(num, sizeof num, t->effect.mean_signed);
        snprintf(text, sizeof text, "signed mean %s%s", t->effect.mean_signed > 0 ? "+" : "",
                 num);
        items_add(l, A_NORMAL, text);
    }
    iv_format_number(num, sizeof num, t->effect.max_change);
    example_text(t, t->effect.argmax, at, sizeof at);
    if (at[0] && t->effect.max_change > 0)
        snprintf(text, sizeof text, "largest |change| %s at %s", num, at);
    else
        snprintf(text, sizeof text, "largest |change| %s", num);
    items_add(l, A_NORMAL, text);
    if (t->effect.samples > 1) {
        snprintf(text, sizeof text, "mean of %ld samples", t->effect.samples);
        items_add(l, A_NORMAL, text);
    }
}

/* ---- the map --------------------------------------------------------------------------------- */

typedef struct heatmap {
    const iv_dataset *data;
    const iv_effect *effect;
    bool is_signed;     /* a one-number output: intervened - clean; else the change's norm */
    bool output;        /* the map shows the intervened output itself, not its change */
    double scale;       /* max |v| over the whole grid; 1 when everything is zero */
    long gx, gy;        /* grid points along x (columns) and y (rows) */
    bool diagonal;      /* the two axes share one range, so x = y is a line worth marking */
    /* the layout, in panel coordinates */
    bool title_top;     /* the title has its own line; else it heads the side column */
    int top;            /* first line of the map */
    int lab_w;          /* y tick labels and the blank after them */
    int cw, ch;         /* columns and lines of one grid point */
    int nc, nr;         /* grid points shown across and down (evenly subsampled when fewer) */
    int side_x, side_w; /* the column of text beside the map; side_w 0 for none */
} heatmap;

static bool same(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1, fmax(fabs(a), fabs(b)));
}

/* The change of one example, as the map shows it. */
static double heat_value(const heatmap *hm, long ex)
{
    const iv_effect *e = hm->effect;
    if (hm->output)
        return e->intervened[ex * e->width];
    return hm->is_signed ? (double)e->intervened[ex] - (double)e->clean[ex] : e->change[ex];
}

/* Sets up the map when the effect can be shown as one. */
static bool heat_prepare(const tui *t, heatmap *hm)
{
    const iv_dataset *d = effect_data(t);
    const iv_effect *e = &t->effect;
    memset(hm, 0, sizeof *hm);
    if (!d || !d->is_grid || d->d != 2 || t->ws->model->n_inputs != 2 ||
        d->grid_count[0] * d->grid_count[1] != e->n)
        return false;
    hm->data = d;
    hm->effect = e;
    hm->gx = d->grid_count[0];
    hm->gy = d->grid_count[1];
    hm->output = t->map_output;
    hm->is_signed = e->width == 1 || hm->output;
    double top = 0;
    for (long r = 0; r < e->n; r++)
        if (fabs(heat_value(hm, r)) > top) /* false for NaN, which the scale ignores */
            top = fabs(heat_value(hm, r));
    hm->scale = top > 0 && isfinite(top) ? top : 1;
    hm->diagonal = hm->gx == hm->gy && hm->gx > 1 && same(d->grid_from[0], d->grid_from[1]) &&
                   same(d->grid_step[0], d->grid_step[1]);
    return true;
}

/* The grid index of shown column j (left to right) and of shown row i (top to bottom: y falls). */
static long col_index(const heatmap *hm, int j)
{
    return hm->nc <= 1 ? 0 : lround((double)j * (double)(hm->gx - 1) / (hm->nc - 1));
}

static long row_index(const heatmap *hm, int i)
{
    return hm->gy - 1 - (hm->nr <= 1 ? 0 : lround((double)i * (double)(hm->gy - 1) / (hm->nr - 1)));
}

/* The shown column and row nearest a grid index. */
static int col_of(const heatmap *hm, long ix)
{
    return hm->gx <= 1 ? 0 : (int)lround((double)ix * (hm->nc - 1) / (double)(hm->gx - 1));
}

static int row_of(const heatmap *hm, long iy)
{
    return hm->nr - 1 - (hm->gy <= 1 ? 0 : (int)lround((double)iy * (hm->nr - 1) /
                                                        (double)(hm->gy - 1)));
}

static double grid_value(const heatmap *hm, int axis, long i)
{
    return hm->data->grid_from[axis] + (double)i * hm->data->grid_step[axis];
}

static void tick_text(const heatmap *hm, int axis, long i, char *buf, size_t n)
{
    double v = grid_value(hm, axis, i);
    snprintf(buf, n, "%.4g", v == 0 ? 0 : v); /* no "-0" */
}

/* The grid point nearest a value along one axis, or -1 when the value lies off the grid. */
static long grid_index(const heatmap *hm, int axis, double value)
{
    const iv_dataset *d = hm->data;
    if (d->grid_count[axis] == 1)
        return same(value, d->grid_from[axis]) ? 0 : -1;
    long k = lround((value - d->grid_from[axis]) / d->grid_step[axis]);
    return k >= 0 && k < d->grid_count[axis] ? k : -1;
}

/* Labels go on every stride-th row (from the top, so the largest y is always labelled) and on the
 * bottom row; a label sits on the middle line of its cell. Every row shown is labelled when the
 * rows are a subsample or cells are tall. */
static int y_stride(const heatmap *hm)
{
    return hm->ch >= 2 || hm->nr < hm->gy ? 1 : 2; /* rows already thinned out: label each */
}

static bool y_labelled(const heatmap *hm, int i)
{
    return i % y_stride(hm) == 0 || i == hm->nr - 1;
}

/* The width of the y tick labels on the rows shown, or of the y name under them if wider (up to
 * 6 columns), and the blank after them. */
static int y_label_width(const tui *t, const heatmap *hm)
{
    int w = (int)fmin(tui_text_width(t->ws->model->input_names[1]), 6);
    for (int i = 0; i < hm->nr; i++) {
        char lab[32];
        tick_text(hm, 1, row_index(hm, i), lab, sizeof lab);
        if (y_labelled(hm, i) && tui_text_width(lab) > w)
            w = tui_text_width(lab);
    }
    return w + 1;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int at_most(long a, int b)
{
    return a < b ? (int)a : b;
}

/* Sets the cell width and the columns shown for the rows already chosen. Returns false when there
 * is no room at all. */
static bool heat_fit_columns(const tui *t, heatmap *hm, const tui_rect *r, bool side)
{
    hm->lab_w = y_label_width(t, hm);
    int avail_w = r->w - hm->lab_w - (side ? SIDE_MIN + 2 : 0);
    if (avail_w < 1)
        return false;
    /* A character is about twice as tall as wide: cells 2 ch columns wide are about square. */
    hm->cw = clamp(avail_w / at_most(hm->gx, avail_w), 1, 2 * hm->ch);
    hm->nc = tui_even_count(hm->gx, at_most(hm->gx, avail_w / hm->cw));
    return true;
}

/* Lays the map out for one choice of title and side column; nr = 0 when no map fits. */
static void heat_fit(const tui *t, heatmap *hm, const tui_rect *r, bool title_top, bool side)
{
    hm->title_top = title_top;
    hm->top = title_top ? 1 : 0;
    hm->nr = hm->nc = hm->side_w = 0;
    int avail_h = r->h - hm->top - 1; /* the tick line under the map */
    if (avail_h < 1)
        return;
    hm->ch = clamp(avail_h / at_most(hm->gy, avail_h), 1, MAX_CELL_H);
    hm->nr = at_most(hm->gy, avail_h / hm->ch);
    bool ok = heat_fit_columns(t, hm, r, side);
    if (ok && hm->ch > 1 && hm->ch > hm->cw / 2) {
        /* Too narrow for tall cells: lower them, which may show more rows. */
        hm->ch = clamp(hm->cw / 2, 1, MAX_CELL_H);
        hm->nr = at_most(hm->gy, avail_h / hm->ch);
        ok = heat_fit_columns(t, hm, r, side);
    }
    hm->nr = tui_even_count(hm->gy, hm->nr);
    if (!ok || hm->nr < at_most(hm->gy, MAP_MIN) || hm->nc < at_most(hm->gx, MAP_MIN)) {
        hm->nr = hm->nc = 0;
        return;
    }
    hm->side_x = hm->lab_w + hm->nc * hm->cw + 2;
    hm->side_w = side ? r->w - hm->side_x : 0;
}

/* Lines left for text: the side column, or the lines under the tick line. */
static int heat_text_rows(const heatmap *hm, const tui_rect *r)
{
    if (hm->side_w > 0)
        return hm->nr * hm->ch;
    return r->h - (hm->top + hm->nr * hm->ch + 1);
}

/* Whether layout a is better than b: the numbers visible first, then more of the map, bigger
 * cells, more room for text, and a title on its own line. */
static bool heat_better(const heatmap *a, const heatmap *b, const tui_rect *r)
{
    int ta = heat_text_rows(a, r), tb = heat_text_rows(b, r);
    long sa = (long)a->nr * a->nc, sb = (long)b->nr * b->nc;
    if (sa == 0 || sb == 0)
        return sa > sb;
    if ((ta >= 2) != (tb >= 2))
        return ta >= 2;
    if (sa != sb)
        return sa > sb;
    if (a->cw * a->ch != b->cw * b->ch)
        return a->cw * a->ch > b->cw * b->ch;
    if (ta != tb)
        return ta > tb;
    return a->title_top && !b->title_top;
}

static void heat_layout(const tui *t, heatmap *hm, const tui_rect *r)
{
    static const bool choices[][2] = {{true, false}, {true, true}, {false, true}};
    heatmap best = *hm, trial = *hm;
    heat_fit(t, &best, r, choices[0][0], choices[0][1]);
    for (size_t k = 1; k < sizeof choices / sizeof choices[0]; k++) {
        heat_fit(t, &trial, r, choices[k][0], choices[k][1]);
        if (heat_better(&trial, &best, r))
            best = trial;
    }
    *hm = best;
}

/* One grid point: a block of cw x ch characters in its colour, with a mark on its middle line. */
static void heat_cell(const tui *t, const tui_rect *r, const heatmap *hm, int i, int j,
                      const char *mark)
{
    double v = heat_value(hm, col_index(hm, j) + hm->gx * row_index(hm, i));
    int attr = tui_colour_attr(t->colour, v, hm->scale);
    const char *g = cell_glyph(attr, v, hm->scale);
    for (int k = 0; k < hm->ch; k++) {
        char line[64] = "";
        for (int c = 0; c < hm->cw; c++)
            strcat(line, mark && k == hm->ch / 2 && c == (hm->cw - 1) / 2 ? mark : g);
        tui_draw_clipped(r, hm->top + i * hm->ch + k, hm->lab_w + j * hm->cw, hm->cw, line,
                         mark ? attr | (int)A_BOLD : attr);
    }
}

/* Where the base input sits on the map: returns false when it lies off the grid. */
static bool heat_base(const tui *t, const heatmap *hm, int *bi, int *bj)
{
    long ix = grid_index(hm, 0, t->ws->base[0]), iy = grid_index(hm, 1, t->ws->base[1]);
    if (ix < 0 || iy < 0)
        return false;
    *bj = col_of(hm, ix);
    *bi = row_of(hm, iy);
    return true;
}

static void heat_cells(const tui *t, const tui_rect *r, const heatmap *hm)
{
    int bi = -1, bj = -1;
    heat_base(t, hm, &bi, &bj);
    for (int i = 0; i < hm->nr; i++) {
        /* x = y: on a shared range, the column whose x equals this row's y. */
        int dj = hm->diagonal ? col_of(hm, row_index(hm, i)) : -1;
        for (int j = 0; j < hm->nc; j++) {
            const char *mark = i == bi && j == bj ? "+" : j == dj ? tui_glyph(TUI_GLYPH_DIAGONAL)
                                                                  : NULL;
            heat_cell(t, r, hm, i, j, mark);
        }
    }
}

/* Tick labels: y down the left, x along the line under the map, and the axis names. */
static void heat_axes(const tui *t, const tui_rect *r, const heatmap *hm)
{
    char lab[32];
    for (int i = 0; i < hm->nr; i++) {
        if (!y_labelled(hm, i))
            continue;
        tick_text(hm, 1, row_index(hm, i), lab, sizeof lab);
        tui_draw_text(r, hm->top + i * hm->ch + hm->ch / 2, hm->lab_w - 1 - tui_text_width(lab),
                      lab, A_NORMAL);
    }
    int row = hm->top + hm->nr * hm->ch;
    int title = tui_attr(t->colour, TUI_ATTR_TITLE);
    tui_draw_clipped(r, row, 0, hm->lab_w - 1, t->ws->model->input_names[1], title);

    /* x labels start at their cell; a stride keeps a blank between neighbours. */
    int widest = 1;
    for (int j = 0; j < hm->nc; j++) {
        tick_text(hm, 0, col_index(hm, j), lab, sizeof lab);
        widest = tui_text_width(lab) > widest ? tui_text_width(lab) : widest;
    }
    /* Both ends are always labelled (the last one pulled in to fit the panel); the stride keeps a
     * blank between neighbours. */
    char last_lab[32];
    tick_text(hm, 0, col_index(hm, hm->nc - 1), last_lab, sizeof last_lab);
    int last = hm->lab_w + (hm->nc - 1) * hm->cw;
    int last_w = tui_text_width(last_lab);
    if (last > r->w - last_w)
        last = r->w - last_w < hm->lab_w ? hm->lab_w : r->w - last_w;
    int stride = (widest + 1 + hm->cw - 1) / hm->cw, end = hm->lab_w;
    for (int j = 0; j < hm->nc - 1; j += stride) {
        int col = hm->lab_w + j * hm->cw;
        tick_text(hm, 0, col_index(hm, j), lab, sizeof lab);
        if (col >= end && col + tui_text_width(lab) < last)
            end = col + tui_draw_text(r, row, col, lab, A_NORMAL) + 1;
    }
    if (last >= end)
        end = last + tui_draw_text(r, row, last, last_lab, A_NORMAL) + 1;
    int map_end = hm->lab_w + hm->nc * hm->cw + 1;
    tui_draw_text(r, row, end > map_end ? end : map_end, t->ws->model->input_names[0], title);
}

/* The colour scale: "-M" [6 blue steps] 0 [6 red steps] "+M" (magnitudes start at 0). Cells come
 * from the same functions as the map's, so the legend cannot disagree with it. The bar takes
 * `cells` columns (at least one per step), each showing the step nearest its place; `zero_mark`
 * writes the "0" on the zero step itself (the one-line form). */
static int legend_bar(const tui *t, const tui_rect *r, int row, int col, const heatmap *hm,
                      int cells, bool zero_mark)
{
    int lo = hm->is_signed ? -LEVELS : 0, steps = LEVELS - lo + 1;
    if (cells < steps)
        cells = steps;
    int n = 0;
    for (int c = 0; c < cells; c++) {
        int k = lo + (int)lround((double)c * (steps - 1) / (cells - 1));
        double v = hm->scale * k / LEVELS;
        int attr = tui_colour_attr(t->colour, v, hm->scale);
        bool zero = k == 0 && zero_mark;
        n += tui_draw_text(r, row, col + n, zero ? "0" : cell_glyph(attr, v, hm->scale), attr);
    }
    return n;
}

/* "-M" and "+M"; magnitudes have no low label, since their bar starts at its "0". */
static void legend_labels(const heatmap *hm, char *lo, char *hi, size_t n)
{
    snprintf(lo, n, "%s", "");
    if (hm->is_signed)
        snprintf(lo, n, "-%.3g", hm->scale);
    snprintf(hi, n, "+%.3g", hm->scale);
}

static int legend_steps(const heatmap *hm)
{
    return hm->is_signed ? 2 * LEVELS + 1 : LEVELS + 1;
}

static int legend_width(const heatmap *hm)
{
    char lo[32], hi[32];
    legend_labels(hm, lo, hi, sizeof lo);
    return (lo[0] ? tui_text_width(lo) + 1 : 0) + legend_steps(hm) + 1 + tui_text_width(hi);
}

/* The two-line form: the bar, and under it its labels, each under the step it names: "-M" at the
 * left end, "0" under the zero step (the middle, or the left end for magnitudes) and "+M" ending
 * at the right end. The bar is widened, when there is room, so that the labels never run into
 * each other. Returns the bar's width. */
static int legend_two_lines(const tui *t, const tui_rect *r, int row, int col, int width,
                            const heatmap *hm)
{
    char lo[32], hi[32];
    legend_labels(hm, lo, hi, sizeof lo);
    int lw = tui_text_width(lo), hw = tui_text_width(hi), steps = legend_steps(hm);
    /* Signed: "-M 0 +M" with the 0 in the middle needs each half as wide as its label and a
     * blank; magnitudes: "0 +M". */
    int need = hm->is_signed ? 2 * ((lw > hw ? lw : hw) + 1) + 1 : hw + 2;
    int cells = need > steps ? need : steps;
    if (hm->is_signed && cells % 2 == 0)
        cells++; /* an odd bar has a middle step */
    if (cells > width && width >= steps)
        cells = width;
    legend_bar(t, r, row, col, hm, cells, false);
    if (hm->is_signed) {
        tui_draw_text(r, row + 1, col, lo, A_NORMAL);
        tui_draw_text(r, row + 1, col + cells / 2, "0", A_NORMAL);
    } else {
        tui_draw_text(r, row + 1, col, "0", A_NORMAL);
    }
    int hx = col + cells - hw;
    int zero_end = col + (hm->is_signed ? cells / 2 + 1 : 1);
    tui_draw_text(r, row + 1, hx > zero_end ? hx : zero_end + 1, hi, A_NORMAL);
    return cells;
}

/* Draws the legend in width columns: on one line when it fits, else the bar over its labels.
 * Returns lines used. */
static int heat_legend(const tui *t, const tui_rect *r, int row, int col, int width,
                       const heatmap *hm)
{
    char lo[32], hi[32];
    legend_labels(hm, lo, hi, sizeof lo);
    if (legend_width(hm) <= width) {
        int c = col + (lo[0] ? tui_draw_text(r, row, col, lo, A_NORMAL) + 1 : 0);
        c += legend_bar(t, r, row, c, hm, legend_steps(hm), true) + 1;
        tui_draw_text(r, row, c, hi, A_NORMAL);
        return 1;
    }
    legend_two_lines(t, r, row, col, width, hm);
    return 2;
}

/* The text items of the map, most important first. */
static void heat_items(const tui *t, const heatmap *hm, items *l)
{
    char text[160];
    if (!any_enabled(t->ws))
        items_add(l, tui_attr(t->colour, TUI_ATTR_ERROR), "no intervention: the map is all zero");
    add_stats(t, l);
    if (l->n < MAX_ITEMS)
        l->it[l->n++] = (item){.legend = true};
    int bi, bj;
    bool base = hm->nr > 0 && heat_base(t, hm, &bi, &bj);
    snprintf(text, sizeof text, "%s%s%s%s", base ? "+ base" : "base off the map",
             hm->diagonal ? "  " : "", hm->diagonal ? tui_glyph(TUI_GLYPH_DIAGONAL) : "",
             hm->diagonal ? " x = y" : "");
    items_add(l, A_NORMAL, text);
    if (hm->nr > 0 && (hm->nc < hm->gx || hm->nr < hm->gy)) {
        snprintf(text, sizeof text, "showing %dx%d of %ldx%ld points", hm->nc, hm->nr, hm->gx,
                 hm->gy);
        items_add(l, A_NORMAL, text);
    }
}

/* Text items in a column beside the map, each on its own lines. */
static void draw_side(const tui *t, const tui_rect *r, const heatmap *hm, const items *l)
{
    int row = hm->top, last = hm->top + hm->nr * hm->ch;
    if (!hm->title_top) {
        char title[400];
        title_text(t, 1 << 20, title, sizeof title);
        row += put_wrapped(r, row, hm->side_x, hm->side_w, last - row, title,
                           tui_attr(t->colour, TUI_ATTR_TITLE));
    }
    for (int k = 0; k < l->n && row < last; k++) {
        if (l->it[k].legend) {
            if (last - row >= 2 || legend_width(hm) <= hm->side_w)
                row += heat_legend(t, r, row, hm->side_x, hm->side_w, hm);
            continue;
        }
        row += put_wrapped(r, row, hm->side_x, hm->side_w, last - row, l->it[k].text,
                           l->it[k].attr);
    }
}

/* Text items on full-width lines from row on, packed several to a line where they fit. */
static void draw_below(const tui *t, const tui_rect *r, int row, const heatmap *hm, const items *l)
{
    int col = 0;
    for (int k = 0; k < l->n && row < r->h; k++) {
        const item *it = &l->it[k];
        int w = it->legend ? legend_width(hm) : tui_text_width(it->text);
        if (col > 0 && col + 2 + w > r->w) {
            row++;
            col = 0;
        }
        if (row >= r->h)
            break;
        if (col > 0)
            col += 2;
        if (it->legend && heat_legend(t, r, row, col, r->w - col, hm) == 2) {
            row += 2; /* too wide even for a line of its own: drawn as bar over labels */
            col = 0;
            continue;
        }
        if (!it->legend)
            tui_draw_text(r, row, col, it->text, it->attr);
        col += w;
    }
}

static void draw_heatmap(const tui *t, const tui_rect *r, heatmap *hm)
{
    heat_layout(t, hm, r);
    items l = {.n = 0};
    heat_items(t, hm, &l);
    int title_attr = tui_attr(t->colour, TUI_ATTR_TITLE);
    char title[400];
    if (hm->nr == 0) {
        /* No map: the title, a note, and the numbers as far as they go. */
        title_text(t, r->w, title, sizeof title);
        tui_draw_text(r, 0, 0, title, title_attr);
        tui_draw_text(r, 1, 0, "(too small for the map)", tui_attr(t->colour, TUI_ATTR_DIM));
        draw_below(t, r, 2, hm, &l);
        return;
    }
    if (hm->title_top) {
        title_text(t, r->w, title, sizeof title);
        tui_draw_text(r, 0, 0, title, title_attr);
    }
    heat_cells(t, r, hm);
    heat_axes(t, r, hm);
    if (hm->side_w > 0)
        draw_side(t, r, hm, &l);
    else
        draw_below(t, r, hm->top + hm->nr * hm->ch + 1, hm, &l);
}

/* ---- the histogram --------------------------------------------------------------------------- */

/* Bin edges: "lo..hi" with the precision a glance needs. */
static void bin_label(double lo, double hi, int digits, char *buf, size_t n)
{
    snprintf(buf, n, "%.*g..%.*g", digits, lo == 0 ? 0 : lo, digits, hi == 0 ? 0 : hi);
}

/* The significant digits the bins' edges need to read apart, 3 or more: when every change is
 * nearly the same, "12..12" says nothing where "12.0003..12.0004" does. */
static int edge_digits(double lo, double hi, int nb)
{
    for (int digits = 3; digits < 15; digits++) {
        bool apart = true;
        for (int b = 0; b < nb && apart; b++) {
            char x[40], y[40];
            snprintf(x, sizeof x, "%.*g", digits, lo + (hi - lo) * b / nb);
            snprintf(y, sizeof y, "%.*g", digits, lo + (hi - lo) * (b + 1) / nb);
            apart = strcmp(x, y) != 0;
        }
        if (apart)
            return digits;
    }
    return 15;
}

static void draw_bins(const tui *t, const tui_rect *r, int row, double lo, double hi)
{
    const iv_effect *e = &t->effect;
    int nb = r->h - row < HIST_BINS ? r->h - row : HIST_BINS;
    if (nb < 1)
        return;
    long count[HIST_BINS] = {0}, most = 1;
    for (long k = 0; k < e->n; k++) {
        if (!isfinite(e->change[k]))
            continue;
        int b = (int)((e->change[k] - lo) / (hi - lo) * nb);
        b = b < 0 ? 0 : b >= nb ? nb - 1 : b;
        if (++count[b] > most)
            most = count[b];
    }
    char lab[96], num[32];
    int lab_w = 0, num_w = snprintf(num, sizeof num, "%ld", most), digits = edge_digits(lo, hi, nb);
    for (int b = 0; b < nb; b++) {
        bin_label(lo + (hi - lo) * b / nb, lo + (hi - lo) * (b + 1) / nb, digits, lab,
                  sizeof lab);
        lab_w = tui_text_width(lab) > lab_w ? tui_text_width(lab) : lab_w;
    }
    int bar_w = r->w - lab_w - num_w - 2;
    for (int b = 0; b < nb; b++) {
        double a = lo + (hi - lo) * b / nb, z = lo + (hi - lo) * (b + 1) / nb;
        bin_label(a, z, digits, lab, sizeof lab);
        tui_draw_text(r, row + b, lab_w - tui_text_width(lab), lab, A_NORMAL);
        int len = count[b] == 0 || bar_w < 1 ? 0 : (int)lround((double)count[b] * bar_w / most);
        len = count[b] > 0 && bar_w >= 1 && len < 1 ? 1 : len;
        int attr = tui_colour_attr(t->colour, (a + z) / 2, fmax(fabs(lo), fabs(hi)));
        const char *g = fills_background(attr) ? " " : tui_glyph(TUI_GLYPH_FULL);
        for (int c = 0; c < len; c++)
            tui_draw_text(r, row + b, lab_w + 1 + c, g, attr);
        snprintf(num, sizeof num, "%ld", count[b]);
        tui_draw_text(r, row + b, lab_w + 1 + len + (len > 0), num, A_NORMAL);
    }
}

static void draw_histogram(const tui *t, const tui_rect *r)
{
    const iv_effect *e = &t->effect;
    char title[400], line[200];
    title_text(t, r->w, title, sizeof title);
    tui_draw_text(r, 0, 0, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    int row = 1;
    if (!any_enabled(t->ws))
        tui_draw_text(r, row++, 0, "no intervention: every change is zero",
                      tui_attr(t->colour, TUI_ATTR_ERROR));
    items l = {.n = 0};
    add_stats(t, &l);
    for (int k = 0; k < l.n && row < r->h - 1; k++)
        tui_draw_text(r, row++, 0, l.it[k].text, A_NORMAL);

    double lo = INFINITY, hi = -INFINITY;
    long nans = 0; /* not finite: an output driven past float32 is inf, and inf - inf is nan */
    for (long k = 0; k < e->n; k++) {
        if (!isfinite(e->change[k])) {
            nans++;
            continue;
        }
        lo = fmin(lo, e->change[k]);
        hi = fmax(hi, e->change[k]);
    }
    char a[32], b[32];
    if (nans == e->n) {
        tui_draw_text(r, row, 0, "no change is a finite number",
                      tui_attr(t->colour, TUI_ATTR_ERROR));
        return;
    }
    iv_format_number(a, sizeof a, lo);
    iv_format_number(b, sizeof b, hi);
    if (hi <= lo) {
        snprintf(line, sizeof line, "all %ld examples change by %s", e->n - nans, a);
        tui_draw_text(r, row, 0, line, A_NORMAL);
        return;
    }
    snprintf(line, sizeof line, "change from %s to %s", a, b);
    if (nans > 0)
        snprintf(line + strlen(line), sizeof line - strlen(line), " (%ld not finite)", nans);
    tui_draw_text(r, row++, 0, line, A_NORMAL);
    draw_bins(t, r, row, lo, hi);
}

/* ---- the panel --------------------------------------------------------------------------------- */

/* No dataset (a model opened from a file that names none): how to make one, with the command
 * spelled out for this model's own inputs, ready to type after ':'. */
static void draw_no_dataset(const tui *t, const tui_rect *r)
{
    tui_draw_text(r, 0, 0, "effect (no dataset)", tui_attr(t->colour, TUI_ATTR_TITLE));
    int row = 1;
    row += put_wrapped(r, row, 0, r->w, r->h - row,
                       "The effect of the interventions is measured over a reference dataset, "
                       "and this model has none. Make one for its inputs with:", A_NORMAL);
    char *hint = iv_workspace_dataset_hint(t->ws);
    char *line = iv_xasprintf(":%s", hint);
    row += put_wrapped(r, row, 2, r->w - 2, r->h - row, line, A_BOLD);
    int named = 0; /* the inputs the command names: one '=' each */
    for (const char *p = hint; (p = strchr(p, '=')); p++)
        named++;
    if (named < t->ws->model->n_inputs && !t->ws->model->gpt2 && row < r->h) {
        char note[160];
        snprintf(note, sizeof note, "(the other %d inputs are drawn from [0, 1])",
                 t->ws->model->n_inputs - named);
        row += put_wrapped(r, row, 2, r->w - 2, r->h - row, note, tui_attr(t->colour, TUI_ATTR_DIM));
    }
    put_wrapped(r, row, 0, r->w, r->h - row,
                "or load yours: data load FILE (.csv, .npy, .npz)",
                tui_attr(t->colour, TUI_ATTR_DIM));
    free(line);
    free(hint);
}

static void draw_invalid(const tui *t, const tui_rect *r)
{
    if (!t->ws->data) {
        draw_no_dataset(t, r);
        return;
    }
    char title[400] = "effect";
    if (t->ws->data)
        snprintf(title, sizeof title, "effect over %s", t->ws->data->spec);
    tui_draw_text(r, 0, 0, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    put_wrapped(r, 1, 0, r->w, r->h - 1,
                t->effect_error[0] ? t->effect_error : "the effect has not been computed",
                tui_attr(t->colour, TUI_ATTR_ERROR));
}

void tui_draw_effect(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->effect;
    if (r->h <= 0 || r->w <= 0)
        return;
    clear_rect(r);
    if (t->image_site[0]) {
        tui_draw_image(t, lay);
        return;
    }
    if (tui_grid_mode(t) && t->panel == TUI_PANEL_HEADS) {
        tui_draw_heads(t, lay);
        return;
    }
    if (tui_grid_mode(t) && t->panel == TUI_PANEL_LENS) {
        tui_draw_lens(t, lay);
        return;
    }
    if (!t->effect_valid || t->effect.n <= 0 || !t->effect.change) {
        draw_invalid(t, r);
        return;
    }
    heatmap hm;
    if (heat_prepare(t, &hm))
        draw_heatmap(t, r, &hm);
    else
        draw_histogram(t, r);
}
