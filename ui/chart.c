/* chart.c - a sweep as a line chart in block characters: the clean curve in '·', the intervened
 * one in '█' ('▒' where they meet), with labelled axes. Text without colour, so it shows the same
 * under NO_COLOR, in a popup or pasted into notes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#include "address.h"

/* The first output of a point (a number, or the first element of a vector). */
static double first_output(json_object *v)
{
    if (json_object_is_type(v, json_type_array))
        v = json_object_array_get_idx(v, 0);
    return v ? json_object_get_double(v) : NAN;
}

int tui_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step)
{
    if (max_ticks < 2)
        max_ticks = 2;
    if (!(hi > lo)) {
        ticks[0] = lo;
        *step = 1;
        return 1;
    }
    /* The smallest step of 1, 2 or 5 times a power of ten that needs no more ticks than allowed. */
    double raw = (hi - lo) / (max_ticks - 1), p = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 5, 10};
    double s = 10 * p;
    for (int i = 0; i < 4; i++)
        if (mult[i] * p >= raw * (1 - 1e-9)) {
            s = mult[i] * p;
            break;
        }
    int n = 0;
    for (double v = ceil(lo / s - 1e-9) * s; v <= hi + s * 1e-9 && n < max_ticks + 1; v += s)
        ticks[n++] = fabs(v) < s * 1e-9 ? 0 : v;
    *step = s;
    return n;
}

/* What the sweep runs: an input by its name ("x"), a neuron by its address and its label if it has
 * one ("h1[2] (x)"); the address as given when the model does not know it. */
static void sweep_name(json_object *sweep, const iv_model *m, char *buf, size_t n)
{
    const char *addr = json_object_get_string(json_object_object_get(sweep, "sweep"));
    snprintf(buf, n, "%s", addr ? addr : "?");
    iv_addr a;
    iv_error err;
    if (!m || !addr || iv_addr_parse(m, addr, &a, &err) < 0)
        return;
    if (a.n == 1) {
        const char *label = iv_model_neuron_label(m, a.site, a.idx[0]);
        char site[128];
        iv_model_site_name(m, a.site, site, sizeof site);
        if (iv_model_site_kind(m, a.site) == IV_SITE_INPUT)
            snprintf(buf, n, "%s", label ? label : m->input_names[a.idx[0]]);
        else if (label)
            snprintf(buf, n, "%s[%d] (%s)", site, a.idx[0], label);
        else
            snprintf(buf, n, "%s[%d]", site, a.idx[0]);
    }
    iv_addr_clear(&a);
}

/* The output axis: from zero when all outputs are of one sign and zero is no more than as far again
 * as their spread (a chart of 5..10 reads best from 0), then widened to round ticks. */
static void output_range(double *lo, double *hi, int height, double *ticks, int *n_ticks)
{
    if (!(*hi > *lo)) { /* a flat line: give it some room */
        *lo -= 1;
        *hi += 1;
    }
    if (*lo > 0 && *lo <= *hi - *lo)
        *lo = 0;
    else if (*hi < 0 && -*hi <= *hi - *lo)
        *hi = 0;
    double step;
    int max_ticks = height / 2 + 1 < 7 ? height / 2 + 1 : 7;
    tui_nice_ticks(*lo, *hi, max_ticks, ticks, &step);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    *n_ticks = tui_nice_ticks(*lo, *hi, max_ticks + 1, ticks, &step);
}

/* The row of a value on a plot from hi (row 0) to lo (the last row). */
static int value_row(double v, double lo, double hi, int height)
{
    return (int)lround((hi - v) / (hi - lo) * (height - 1));
}

/* One series into a plot of (height, plot_w) cells, bit `bit` set where it passes: each point in
 * its column, and the straight line between two points, in each column the rows the line crosses
 * there, so a wide chart's curve and a steep step both read as lines. */
static void plot_series(unsigned char *grid, int plot_w, int height, const double *x,
                        const double *y, int n, double lo, double hi, unsigned char bit)
{
    double x0 = x[0], x1 = x[n - 1];
    int prev_col = -1;
    for (int i = 0; i < n; i++) {
        double f = x1 != x0 ? (x[i] - x0) / (x1 - x0) : (double)i / (n - 1);
        int col = (int)lround(f * (plot_w - 1));
        if (isfinite(y[i])) {
            grid[value_row(y[i], lo, hi, height) * plot_w + col] |= bit;
            if (i > 0 && isfinite(y[i - 1]) && col > prev_col)
                for (int c = prev_col; c <= col; c++) {
                    /* the line over this column's width, [c - 1/2, c + 1/2], within the segment */
                    double ta = fmax(0, (c - 0.5 - prev_col) / (col - prev_col));
                    double tb = fmin(1, (c + 0.5 - prev_col) / (col - prev_col));
                    int ra = value_row(y[i - 1] + ta * (y[i] - y[i - 1]), lo, hi, height);
                    int rb = value_row(y[i - 1] + tb * (y[i] - y[i - 1]), lo, hi, height);
                    for (int r = ra < rb ? ra : rb; r <= (ra < rb ? rb : ra); r++)
                        grid[r * plot_w + c] |= bit;
                }
        }
        prev_col = col;
    }
}

/* The x axis: its rule, then round ticks under it, each centred on its column where it fits. */
static void x_axis(iv_buf *b, int label_w, int plot_w, double x0, double x1, bool whole)
{
    iv_buf_printf(b, "%*s +", label_w - 1, "");
    for (int c = 0; c < plot_w; c++)
        iv_buf_append(b, "-", 1);
    iv_buf_append(b, "\n", 1);
    double ticks[16], step;
    int most = plot_w / 10 + 1 < 11 ? plot_w / 10 + 1 : 11;
    if (whole && x1 - x0 + 1 < most) /* whole numbers (epochs): no tick between two */
        most = (int)(x1 - x0) + 1;
    int n = x1 > x0 ? tui_nice_ticks(x0, x1, most, ticks, &step) : 0;
    char line[1024];
    int len = plot_w + label_w + 8 < (int)sizeof line ? plot_w + label_w + 8 : (int)sizeof line - 1;
    memset(line, ' ', (size_t)len);
    line[len] = '\0';
    int end = 0;
    for (int i = 0; i < n; i++) {
        char lab[32];
        snprintf(lab, sizeof lab, "%g", ticks[i]);
        int w = (int)strlen(lab);
        int col = label_w + 1 + (int)lround((ticks[i] - x0) / (x1 - x0) * (plot_w - 1)) - w / 2;
        if (col < end || col + w > len)
            continue;
        memcpy(line + col, lab, (size_t)w);
        end = col + w + 1;
    }
    while (len > 0 && line[len - 1] == ' ')
        line[--len] = '\0';
    iv_buf_printf(b, "%s\n", line);
}

char *tui_chart_text(json_object *sweep, const iv_model *m, int width, int height)
{
    json_object *points = json_object_object_get(sweep, "points");
    int n = points ? (int)json_object_array_length(points) : 0;
    if (n < 2 || width < 20 || height < 5)
        return NULL;
    double *x = iv_xmalloc(sizeof(double) * (size_t)n), *yc = iv_xmalloc(sizeof(double) * (size_t)n);
    double *yi = iv_xmalloc(sizeof(double) * (size_t)n);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(points, (size_t)i);
        x[i] = json_object_get_double(json_object_object_get(p, "value"));
        yc[i] = first_output(json_object_object_get(p, "clean"));
        yi[i] = first_output(json_object_object_get(p, "intervened"));
        lo = fmin(lo, fmin(yc[i], yi[i]));
        hi = fmax(hi, fmax(yc[i], yi[i]));
    }
    double ticks[16];
    int n_ticks;
    output_range(&lo, &hi, height, ticks, &n_ticks);
    if (n_ticks > 1 && height - 1 >= n_ticks - 1) /* ticks evenly spaced, each on its own row */
        height = 1 + (height - 1) / (n_ticks - 1) * (n_ticks - 1);
    enum { LABEL = 10 };
    int plot_w = width - LABEL - 1;
    double x0 = x[0], x1 = x[n - 1];
    /* (height, plot_w) cells: bit 1 the clean curve passes there, bit 2 the intervened one */
    unsigned char *grid = iv_xcalloc((size_t)(height * plot_w), 1);
    const char *const glyph[4] = {" ", tui_glyph(TUI_GLYPH_DOT), tui_glyph(TUI_GLYPH_FULL),
                                  tui_glyph(TUI_GLYPH_MEDIUM)};
    double *ys[2] = {yc, yi};
    for (int series = 0; series < 2; series++)
        plot_series(grid, plot_w, height, x, ys[series], n, lo, hi, (unsigned char)(series + 1));
    iv_buf b = {0};
    char name[256];
    sweep_name(sweep, m, name, sizeof name);
    iv_buf_printf(&b, "output as %s runs from %g to %g   %s clean   %s intervened   %s both\n",
                  name, x0, x1, glyph[1], glyph[2], glyph[3]);
    /* Each tick labels the row it falls on. */
    char (*labels)[32] = iv_xcalloc((size_t)height, sizeof *labels);
    for (int k = 0; k < n_ticks; k++)
        snprintf(labels[value_row(ticks[k], lo, hi, height)], 32, "%g", ticks[k]);
    for (int r = 0; r < height; r++) {
        iv_buf_printf(&b, "%*s |", LABEL - 1, labels[r]);
        for (int c = 0; c < plot_w; c++)
            iv_buf_printf(&b, "%s", glyph[grid[r * plot_w + c]]);
        iv_buf_append(&b, "\n", 1);
    }
    x_axis(&b, LABEL, plot_w, x0, x1, false);
    free(labels);
    free(grid);
    free(x);
    free(yc);
    free(yi);
    return b.data;
}

/* The labels of an axis from 0 to 1, each on the row it falls on. */
static void fraction_labels(char (*right)[32], int height)
{
    double ticks[16], step;
    int n = tui_nice_ticks(0, 1, height / 2 + 1 < 6 ? height / 2 + 1 : 6, ticks, &step);
    for (int k = 0; k < n; k++)
        snprintf(right[value_row(ticks[k], 0, 1, height)], 32, "%g", ticks[k]);
}

/* A height of whole rows per 0.1 when there is room for ten of them. */
static int unit_height(int height) { return height >= 11 ? 1 + (height - 1) / 10 * 10 : height; }

/* The rows of a plot from 0 (bottom) to 1 (top) with its labels on the left: each cell the glyph of
 * the lowest bit set in it (glyph[b] for bit b), so the series plotted as bit 0 is drawn over the
 * others. */
static void unit_rows(iv_buf *b, const unsigned char *grid, int label_w, int plot_w, int height,
                      const char *const *glyph, int n_glyphs)
{
    char (*left)[32] = iv_xcalloc((size_t)height, sizeof *left);
    fraction_labels(left, height);
    for (int r = 0; r < height; r++) {
        iv_buf_printf(b, "%*s |", label_w - 1, left[r]);
        for (int c = 0; c < plot_w; c++) {
            unsigned char g = grid[r * plot_w + c];
            int bit = 0;
            while (bit < n_glyphs && !(g & (1u << bit)))
                bit++;
            iv_buf_printf(b, "%s", bit < n_glyphs ? glyph[bit] : " ");
        }
        while (b->len && b->data[b->len - 1] == ' ')
            b->data[--b->len] = '\0';
        iv_buf_append(b, "\n", 1);
    }
    free(left);
}

/* ---- a sweep's class probabilities ----------------------------------------------------------------- */

#define PROB_SERIES 4 /* classes drawn, each in a glyph of its own; the others are left out */

char *tui_probability_chart_text(json_object *sweep, const iv_model *m, int width, int height)
{
    json_object *points = json_object_object_get(sweep, "points");
    int n = points ? (int)json_object_array_length(points) : 0;
    json_object *first = n ? json_object_object_get(json_object_array_get_idx(points, 0),
                                                    "probabilities") : NULL;
    int k = first ? (int)json_object_array_length(first) : 0;
    if (n < 2 || k < 2 || width < 30 || height < 5)
        return NULL;
    int shown = k < PROB_SERIES ? k : PROB_SERIES;
    double *x = iv_xmalloc(sizeof(double) * (size_t)n);
    double *p = iv_xmalloc(sizeof(double) * (size_t)n * (size_t)shown);
    for (int i = 0; i < n; i++) {
        json_object *pt = json_object_array_get_idx(points, (size_t)i);
        json_object *pr = json_object_object_get(pt, "probabilities");
        x[i] = json_object_get_double(json_object_object_get(pt, "value"));
        for (int c = 0; c < shown; c++) {
            json_object *v = pr ? json_object_array_get_idx(pr, (size_t)c) : NULL;
            p[c * n + i] = v ? json_object_get_double(v) : NAN;
        }
    }
    height = unit_height(height);
    enum { LABEL = 10 };
    int plot_w = width - LABEL - 1;
    unsigned char *grid = iv_xcalloc((size_t)(height * plot_w), 1);
    for (int c = shown - 1; c >= 0; c--) /* bit c: class c passes there */
        plot_series(grid, plot_w, height, x, p + c * n, n, 0, 1, (unsigned char)(1u << c));
    const char *glyph[PROB_SERIES] = {tui_glyph(TUI_GLYPH_FULL), tui_glyph(TUI_GLYPH_DOT),
                                      tui_glyph(TUI_GLYPH_MEDIUM), "o"};
    iv_buf b = {0};
    iv_buf_printf(&b, "probabilities as %s runs from %g to %g:",
                  json_object_get_string(json_object_object_get(sweep, "sweep")), x[0], x[n - 1]);
    int out = m ? iv_model_output_site(m) : -1;
    for (int c = 0; c < shown; c++) {
        const char *label = out >= 0 ? iv_model_neuron_label(m, out, c) : NULL;
        if (label)
            iv_buf_printf(&b, "  %s %s", glyph[c], label);
        else
            iv_buf_printf(&b, "  %s class %d", glyph[c], c);
    }
    if (shown < k)
        iv_buf_printf(&b, "  (first %d of %d)", shown, k);
    iv_buf_append(&b, "\n", 1);
    unit_rows(&b, grid, LABEL, plot_w, height, glyph, shown); /* the first class on top */
    x_axis(&b, LABEL, plot_w, x[0], x[n - 1], false);
    free(grid);
    free(x);
    free(p);
    return b.data;
}

/* ---- training records: loss and accuracy per epoch ------------------------------------------------ */

/* The record's 0-to-1 figure: the IIA of a search (held out, else as trained), else the accuracy
 * of a training; NULL for none. */
static const char *fraction_key(json_object *first)
{
    static const char *const keys[] = {"iia", "train_iia", "accuracy"};
    for (int k = 0; k < 3; k++) {
        json_object *v = json_object_object_get(first, keys[k]);
        if (v && !json_object_is_type(v, json_type_null))
            return keys[k];
    }
    return NULL;
}

static double number_of(json_object *row, const char *key)
{
    json_object *v = key ? json_object_object_get(row, key) : NULL;
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}


/* An INLP record: held-out and training accuracy per iteration on 0 to 1, with the largest
 * class's rate (chance) as a line across: the accuracy falls to it as directions are removed. */
static char *accuracy_chart(json_object *record, int n, int width, int height)
{
    double *x = iv_xmalloc(sizeof(double) * (size_t)n), *test = iv_xmalloc(sizeof(double) * (size_t)n);
    double *train = iv_xmalloc(sizeof(double) * (size_t)n), *chance = iv_xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(record, (size_t)i);
        x[i] = number_of(row, "iteration");
        test[i] = number_of(row, "holdout_accuracy");
        train[i] = number_of(row, "train_accuracy");
        chance[i] = number_of(row, "majority");
    }
    enum { LABEL = 10 };
    int plot_w = width - LABEL - 1;
    height = unit_height(height);
    unsigned char *grid = iv_xcalloc((size_t)(height * plot_w), 1);
    plot_series(grid, plot_w, height, x, chance, n, 0, 1, 4);
    plot_series(grid, plot_w, height, x, train, n, 0, 1, 2);
    plot_series(grid, plot_w, height, x, test, n, 0, 1, 1);
    const char *full = tui_glyph(TUI_GLYPH_FULL), *dot = tui_glyph(TUI_GLYPH_DOT);
    iv_buf b = {0};
    iv_buf_printf(&b, "per iteration, 1 to %g:  %s held-out accuracy  %s training  - chance (the "
                  "largest class)\n", x[n - 1], full, dot);
    const char *const glyph[3] = {full, dot, "-"}; /* held out over training over chance */
    unit_rows(&b, grid, LABEL, plot_w, height, glyph, 3);
    x_axis(&b, LABEL, plot_w, x[0], x[n - 1], true);
    iv_buf_printf(&b, "%*s iteration\n", LABEL + plot_w / 2 - 5, "");
    free(grid);
    free(x);
    free(test);
    free(train);
    free(chance);
    return b.data;
}

char *tui_record_chart_text(json_object *result, int width, int height)
{
    json_object *record = json_object_object_get(result, "record");
    int n = json_object_is_type(record, json_type_array) ? (int)json_object_array_length(record)
                                                         : 0;
    if (n < 2 || width < 30 || height < 5)
        return NULL;
    json_object *first_row = json_object_array_get_idx(record, 0);
    if (json_object_object_get(first_row, "iteration") &&
        json_object_object_get(first_row, "holdout_accuracy"))
        return accuracy_chart(record, n, width, height);
    const char *frac = fraction_key(json_object_array_get_idx(record, 0));
    double *x = iv_xmalloc(sizeof(double) * (size_t)n), *loss = iv_xmalloc(sizeof(double) * (size_t)n);
    double *acc = iv_xmalloc(sizeof(double) * (size_t)n), lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(record, (size_t)i);
        double e = number_of(row, "epoch");
        x[i] = isfinite(e) ? e : i + 1;
        loss[i] = number_of(row, "loss");
        acc[i] = number_of(row, frac);
        if (isfinite(loss[i])) {
            lo = fmin(lo, loss[i]);
            hi = fmax(hi, loss[i]);
        }
    }
    char *text = NULL;
    if (!isfinite(lo) || !(x[n - 1] > x[0]))
        goto done;
    double ticks[16];
    int n_ticks;
    output_range(&lo, &hi, height, ticks, &n_ticks);
    if (n_ticks > 1 && height - 1 >= n_ticks - 1) /* ticks evenly spaced, each on its own row */
        height = 1 + (height - 1) / (n_ticks - 1) * (n_ticks - 1);
    enum { LABEL = 10, RIGHT = 6 };
    int plot_w = width - LABEL - 1 - (frac ? RIGHT : 0);
    /* (height, plot_w) cells: bit 1 the loss passes there, bit 2 the accuracy (or IIA) */
    unsigned char *grid = iv_xcalloc((size_t)(height * plot_w), 1);
    plot_series(grid, plot_w, height, x, loss, n, lo, hi, 1);
    if (frac) /* on its own axis: 0 at the bottom row, 1 at the top */
        for (int i = 0; i < n; i++)
            acc[i] = isfinite(acc[i]) ? lo + (hi - lo) * fmin(1, fmax(0, acc[i])) : NAN;
    if (frac)
        plot_series(grid, plot_w, height, x, acc, n, lo, hi, 2);
    const char *const glyph[4] = {" ", tui_glyph(TUI_GLYPH_FULL), tui_glyph(TUI_GLYPH_DOT),
                                  tui_glyph(TUI_GLYPH_MEDIUM)};
    iv_buf b = {0};
    if (frac)
        iv_buf_printf(&b, "per epoch, %g to %g:  %s loss (left axis)  %s %s (right, 0 to 1)  %s "
                      "both\n", x[0], x[n - 1], glyph[1], glyph[2],
                      strstr(frac, "iia") ? "IIA" : "accuracy", glyph[3]);
    else
        iv_buf_printf(&b, "per epoch, %g to %g:   %s loss\n", x[0], x[n - 1], glyph[1]);
    char (*left)[32] = iv_xcalloc((size_t)height, sizeof *left);
    char (*right)[32] = iv_xcalloc((size_t)height, sizeof *right);
    for (int k = 0; k < n_ticks; k++)
        snprintf(left[value_row(ticks[k], lo, hi, height)], 32, "%g", ticks[k]);
    if (frac)
        fraction_labels(right, height);
    for (int r = 0; r < height; r++) {
        iv_buf_printf(&b, "%*s |", LABEL - 1, left[r]);
        for (int c = 0; c < plot_w; c++)
            iv_buf_printf(&b, "%s", glyph[grid[r * plot_w + c]]);
        if (frac)
            iv_buf_printf(&b, "| %s", right[r]);
        while (b.len && b.data[b.len - 1] == ' ')
            b.data[--b.len] = '\0';
        iv_buf_append(&b, "\n", 1);
    }
    x_axis(&b, LABEL, plot_w, x[0], x[n - 1], true);
    iv_buf_printf(&b, "%*s epoch\n", LABEL + plot_w / 2 - 3, "");
    free(left);
    free(right);
    free(grid);
    text = b.data;
done:
    free(x);
    free(loss);
    free(acc);
    return text;
}
