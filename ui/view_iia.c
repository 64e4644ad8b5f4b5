/* view_iia.c - interchange intervention accuracy drawn in a popup: the `iia` result as a panel (the
 * IIA in big digits with a bar, the factual accuracy, each variable alone, the pairs, the
 * alignments, the first failing pairs), and `iia matrix` as a map of base x source pairs coloured
 * by agreement or by the error.
 *
 * Both read only the result's JSON, and the dataset for the rows' inputs (the popup is opened on
 * the dataset the result was measured on: iia_browse.c checks it).
 *
 * Colour pairs: agree and disagree have a range of their own (TUI_PAIRS_IIA in tui.h); the error
 * uses the value scale of colour.c. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* ---- small pieces --------------------------------------------------------------------------------- */

static const char *str_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return v ? json_object_get_string(v) : NULL;
}

static double num_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

/* "gt <- h1[0:2], YZ <- layer0[4:8]" as the panel writes alignments: "gt ~ h1[0:2], ...". */
static char *aligned_text(const char *engine_text)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (const char *p = engine_text ? engine_text : ""; *p;) {
        const char *arrow = strstr(p, " <- ");
        size_t len = arrow ? (size_t)(arrow - p) : strlen(p);
        iv_buf_printf(&b, "%.*s%s", (int)len, p, arrow ? " ~ " : "");
        p += len + (arrow ? 4 : 0);
    }
    return b.data;
}

/* A bar of `width` columns, filled for fraction f: full blocks, then light shades (ASCII '#' and
 * '.'), so that it reads without colour. */
static void bar_text(double f, int width, char *buf, size_t n)
{
    int full = isfinite(f) ? (int)lround(fmin(fmax(f, 0), 1) * width) : 0;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < width && used + 4 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s",
                                 tui_glyph(i < full ? TUI_GLYPH_FULL : TUI_GLYPH_LIGHT));
}

/* A dataset row's inputs, "x=3 y=1", for a model of a few inputs; "" otherwise. */
static void row_inputs(const tui *t, long row, char *buf, size_t n)
{
    const iv_workspace *ws = t->ws;
    buf[0] = '\0';
    if (!ws->data || row < 0 || row >= ws->data->n || ws->model->n_inputs > 4)
        return;
    size_t used = 0;
    for (int i = 0; i < ws->model->n_inputs && used < n; i++) {
        char v[32];
        iv_format_number(v, sizeof v, ws->data->x[row * ws->data->d + i]);
        used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", i ? " " : "",
                                 ws->model->input_names[i], v);
    }
}

/* Big digits on the canvas: measured like text, drawn through bigdigits.c at the canvas's row
 * (rows scrolled out of the popup are clipped by the drawing itself). Returns the columns. */
static int canvas_big(tui_canvas *cv, int line, int col, const char *s, int size, int attr)
{
    int w = tui_big_width(s, size), h = tui_big_height(size);
    if (col + w > cv->width)
        return 0;
    if (line + h > cv->lines)
        cv->lines = line + h;
    if (col + w > cv->cols)
        cv->cols = col + w;
    if (!cv->measure)
        tui_big_draw(&cv->body, cv->origin + line - cv->first, col, s, size, attr);
    return w;
}

/* ---- the iia panel ------------------------------------------------------------------------------ */

/* "all 14641 ordered pairs of grid x=0:10:1 y=0:10:1", "10000 seeded pairs (seed 1) of ...". */
static void pairs_text(json_object *r, char *buf, size_t n)
{
    const char *drawn = str_of(r, "pairs_drawn"), *data = str_of(r, "dataset");
    long pairs = json_object_get_int64(json_object_object_get(r, "pairs"));
    if (drawn && !strcmp(drawn, "all"))
        snprintf(buf, n, "all %ld ordered pairs of %s", pairs, data ? data : "the dataset");
    else
        snprintf(buf, n, "%ld seeded pairs (seed %s) of %s", pairs,
                 str_of(r, "seed") ? str_of(r, "seed") : "-", data ? data : "the dataset");
}

#define FRACTION_BAR 30 /* the columns of a bar of a whole (IIA, accuracy) */

/* A fraction with its bar: "factual accuracy   0.917  ████░░". Returns the next line. */
static int fraction_line(tui_canvas *cv, int line, const char *label, int label_w, double f,
                         int bar_w)
{
    char v[32], bar[1024];
    if (isfinite(f))
        snprintf(v, sizeof v, "%.3f", f);
    else
        snprintf(v, sizeof v, "-");
    bar_text(f, bar_w, bar, sizeof bar);
    tui_canvas_put(cv, line, 0, label, tui_attr(cv->t->colour, TUI_ATTR_TITLE));
    tui_canvas_put(cv, line, label_w, v, A_BOLD);
    tui_canvas_put(cv, line, label_w + 7, bar, A_NORMAL);
    return line + 1;
}

/* The IIA itself: big digits, and beside them its bar and counts. Returns the next line. */
static int iia_headline(tui_canvas *cv, int line, json_object *r)
{
    double iia = num_of(r, "iia");
    long agree = json_object_get_int64(json_object_object_get(r, "agree"));
    long pairs = json_object_get_int64(json_object_object_get(r, "pairs"));
    char digits[32], counts[96], bar[1024];
    if (isfinite(iia))
        snprintf(digits, sizeof digits, "%.3f", iia);
    else
        snprintf(digits, sizeof digits, "-");
    /* Double size on a screen with room for it (a projector), else single. */
    int size = cv->height >= 30 && tui_big_width(digits, 2) + 40 <= cv->width ? 2 : 1;
    int w = tui_big_drawable(digits) ? canvas_big(cv, line, 0, digits, size, A_BOLD) : 0;
    int h = w ? tui_big_height(size) : 1;
    if (!w)
        w = tui_canvas_put(cv, line, 0, digits, A_BOLD);
    /* as wide as the bars under it, so that the fractions compare by eye */
    int x = w + 3, bar_w = cv->width - x > FRACTION_BAR ? FRACTION_BAR : cv->width - x;
    snprintf(counts, sizeof counts, "%ld of %ld pairs agree, %ld fail", agree, pairs,
             pairs - agree);
    bar_text(iia, bar_w > 4 ? bar_w : 4, bar, sizeof bar);
    int mid = (h - 2) / 2;
    tui_canvas_put(cv, line + mid, x, bar, tui_attr(cv->t->colour, TUI_ATTR_TITLE));
    tui_canvas_put(cv, line + mid + 1, x, counts, A_NORMAL);
    return line + (h > 2 ? h : 2);
}

/* Each alignment's IIA on its own (only when several are aligned). */
static int alone_lines(tui_canvas *cv, int line, json_object *r, int label_w, int bar_w)
{
    json_object *rows = json_object_object_get(r, "per_variable");
    for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
        json_object *row = json_object_array_get_idx(rows, i);
        char *name = aligned_text(str_of(row, "alone"));
        char label[160];
        snprintf(label, sizeof label, "  %s alone", name);
        free(name);
        line = fraction_line(cv, line, label, label_w, num_of(row, "iia"), bar_w);
    }
    return line;
}

/* One failing pair's cells: its number, base, source, the network's answer, the causal model's. */
enum { FAILURE_COLS = 5 };

static void failure_cells(const tui *t, json_object *f, int i, char cells[FAILURE_COLS][128])
{
    long rows[2] = {json_object_get_int64(json_object_object_get(f, "base_row")),
                    json_object_get_int64(json_object_object_get(f, "source_row"))};
    snprintf(cells[0], 128, "%d", i + 1);
    for (int k = 0; k < 2; k++) {
        char in[96];
        row_inputs(t, rows[k], in, sizeof in);
        snprintf(cells[1 + k], 128, "%ld%s%s%s", rows[k], *in ? " (" : "", in, *in ? ")" : "");
    }
    iv_format_number(cells[3], 128, num_of(f, "network"));
    iv_format_number(cells[4], 128, num_of(f, "expected"));
}

/* The first failing pairs as a table (as many as the popup shows without scrolling, 3 at least
 * and 10 at most), and how to browse all of them. */
static int failure_lines(tui_canvas *cv, int line, json_object *r)
{
    long failing = json_object_get_int64(json_object_object_get(r, "failing"));
    json_object *rows = json_object_object_get(r, "failures");
    if (failing == 0) {
        tui_canvas_put(cv, line, 0, "every pair agrees", A_BOLD);
        return line + 1;
    }
    char head[160];
    snprintf(head, sizeof head, "%ld failing pairs: f and F (failure next, prev, N) show each",
             failing);
    tui_canvas_put(cv, line++, 0, head, A_BOLD);
    int room = cv->height - line - 2, listed = rows ? (int)json_object_array_length(rows) : 0;
    int most = room < 3 ? 3 : room > 10 ? 10 : room, shown = listed < most ? listed : most;
    static const char *const names[FAILURE_COLS] = {"#", "base row", "source row", "network",
                                                    "causal model"};
    char (*cells)[FAILURE_COLS][128] = iv_xcalloc((size_t)shown + 1, sizeof *cells);
    int width[FAILURE_COLS];
    for (int c = 0; c < FAILURE_COLS; c++) {
        snprintf(cells[0][c], 128, "%s", names[c]);
        width[c] = tui_text_width(names[c]);
    }
    for (int i = 0; i < shown; i++) {
        failure_cells(cv->t, json_object_array_get_idx(rows, (size_t)i), i, cells[i + 1]);
        for (int c = 0; c < FAILURE_COLS; c++)
            width[c] = tui_text_width(cells[i + 1][c]) > width[c] ? tui_text_width(cells[i + 1][c])
                                                                   : width[c];
    }
    int dim = tui_attr(cv->t->colour, TUI_ATTR_DIM);
    for (int i = 0; i <= shown; i++, line++)
        for (int c = 0, x = 0; c < FAILURE_COLS; x += width[c] + 2, c++) {
            int pad = c == 0 ? width[0] - tui_text_width(cells[i][0]) : 0; /* numbers right */
            tui_canvas_put(cv, line, x + pad, cells[i][c], i == 0 ? dim : (int)A_NORMAL);
        }
    free(cells);
    if (failing > shown) {
        char more[96];
        snprintf(more, sizeof more, "... and %ld more", failing - shown);
        tui_canvas_put(cv, line++, 0, more, dim);
    }
    return line;
}

void tui_draw_iia(tui_canvas *cv, json_object *r)
{
    char *aligned = aligned_text(str_of(r, "alignment"));
    char head[512], pairs[300];
    pairs_text(r, pairs, sizeof pairs);
    snprintf(head, sizeof head, "interchange intervention accuracy of %s", aligned);
    tui_canvas_put(cv, 0, 0, head, A_BOLD);
    int line = iia_headline(cv, 1, r) + 1;
    enum { LABEL_W = 24 };
    int label_w = LABEL_W, bar_w = cv->width - label_w - 7 > FRACTION_BAR ? FRACTION_BAR
                                                                          : cv->width - label_w - 7;
    line = fraction_line(cv, line, "factual accuracy", label_w, num_of(r, "factual_accuracy"),
                         bar_w > 4 ? bar_w : 4);
    line = alone_lines(cv, line, r, label_w, bar_w > 4 ? bar_w : 4);
    int title = tui_attr(cv->t->colour, TUI_ATTR_TITLE);
    tui_canvas_put(cv, line, 0, "pairs", title);
    tui_canvas_put(cv, line++, label_w, pairs, A_NORMAL);
    tui_canvas_put(cv, line, 0, "aligned", title);
    tui_canvas_put(cv, line++, label_w, aligned, A_NORMAL);
    tui_canvas_put(cv, line, 0, "agreement", title);
    tui_canvas_put(cv, line++, label_w, str_of(r, "agreement"), A_NORMAL);
    json_object *ids = json_object_object_get(r, "interventions");
    if (ids && json_object_array_length(ids) > 0) {
        tui_canvas_put(cv, line, 0, "interventions on", title);
        tui_canvas_put(cv, line++, label_w, json_object_get_string(ids), A_NORMAL);
    }
    free(aligned);
    failure_lines(cv, line + 1, r);
}

/* ---- the interchange matrix --------------------------------------------------------------------- */

enum { PAIR_AGREE = TUI_PAIRS_IIA, PAIR_DISAGREE = TUI_PAIRS_IIA + 1 };

/* The attribute of an agreeing or disagreeing cell: a pale background or a red one (on 8 colours
 * the terminal's own, or red). */
static int agree_attr(const tui_canvas *cv, bool agree)
{
    tui_colour_mode mode = cv->t->colour;
    short pair = agree ? PAIR_AGREE : PAIR_DISAGREE;
    if (mode == TUI_COLOUR_NONE || pair >= COLOR_PAIRS)
        return A_NORMAL;
    if (agree && mode == TUI_COLOUR_8)
        return A_NORMAL;
    if (!cv->measure) {
        bool big = mode == TUI_COLOUR_256;
        if (agree)
            init_pair(pair, 16, 194); /* black on a pale green */
        else
            init_pair(pair, big ? 231 : COLOR_WHITE, big ? 160 : COLOR_RED);
    }
    return (int)COLOR_PAIR(pair);
}

typedef struct matrix_layout {
    json_object *agree, *error, *rows; /* the matrices (base down) and the rows along both axes */
    int n;                             /* rows (and columns) of the matrix */
    bool by_error;
    double scale;                      /* the largest error, for its colours */
    int lab_w;                         /* the base labels' column and the blank after it */
    int cw, ch, nc, nr;                /* cell size; columns and rows shown (evenly fewer) */
} matrix_layout;

static int shown_index(int count, int shown, int k)
{
    return shown <= 1 ? 0 : (int)lround((double)k * (count - 1) / (shown - 1));
}

static long matrix_row(const matrix_layout *L, int i)
{
    return json_object_get_int64(json_object_array_get_idx(L->rows, (size_t)i));
}

/* A row's label: its inputs "(3,1)" for a model of a few inputs, else "row 14". */
static void axis_label(const tui *t, long row, char *buf, size_t n)
{
    const iv_workspace *ws = t->ws;
    if (!ws->data || row < 0 || row >= ws->data->n || ws->model->n_inputs > 3) {
        snprintf(buf, n, "%ld", row);
        return;
    }
    size_t used = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ws->model->n_inputs && used < n; i++) {
        char v[32];
        iv_format_number(v, sizeof v, ws->data->x[row * ws->data->d + i]);
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? "," : "", v);
    }
    if (used < n)
        snprintf(buf + used, n - used, ")");
}

static json_object *cell(json_object *matrix, int b, int s)
{
    return json_object_array_get_idx(json_object_array_get_idx(matrix, (size_t)b), (size_t)s);
}

static double cell_error(const matrix_layout *L, int b, int s)
{
    json_object *v = cell(L->error, b, s);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
}

static bool matrix_prepare(tui_canvas *cv, json_object *r, matrix_layout *L)
{
    memset(L, 0, sizeof *L);
    json_object *m = json_object_object_get(r, "matrix");
    L->agree = json_object_object_get(m, "agree");
    L->error = json_object_object_get(m, "error");
    L->rows = json_object_object_get(m, "y");
    if (!L->agree || !L->error || !L->rows)
        return false;
    L->n = (int)json_object_array_length(L->rows);
    if (L->n < 1 || (int)json_object_array_length(L->agree) != L->n)
        return false;
    L->by_error = cv->t->iia_matrix_error;
    for (int b = 0; b < L->n; b++)
        for (int s = 0; s < L->n; s++) {
            double e = cell_error(L, b, s);
            L->scale = isfinite(e) && e > L->scale ? e : L->scale;
        }
    L->scale = L->scale > 0 ? L->scale : 1;
    for (int i = 0; i < L->n; i++) {
        char lab[64];
        axis_label(cv->t, matrix_row(L, i), lab, sizeof lab);
        int w = tui_text_width(lab) + 1;
        L->lab_w = w > L->lab_w ? w : L->lab_w;
    }
    if (L->lab_w < 12)
        L->lab_w = 12; /* room for "base (x, y)" above the labels */
    /* Every row while the map fits the popup (12 at least: it scrolls), else evenly fewer; the
     * head, the axis titles, the ticks and the key take 5 lines. */
    int rows_room = cv->height - 5 > 12 ? cv->height - 5 : 12;
    int cols_room = cv->width - L->lab_w;
    if (cols_room < 2)
        return false;
    L->nr = tui_even_count(L->n, rows_room);
    L->ch = L->nr == L->n ? rows_room / L->n : 1;
    L->ch = L->ch < 1 ? 1 : L->ch > 3 ? 3 : L->ch;
    /* A character is about twice as tall as wide: cells 2 ch columns wide are about square. */
    L->cw = cols_room / L->n;
    L->cw = L->cw < 1 ? 1 : L->cw > 2 * L->ch ? 2 * L->ch : L->cw;
    L->nc = tui_even_count(L->n, cols_room / L->cw);
    return true;
}

/* The glyph of the line x = y, here base = source: down to the right, as the map runs. */
static const char *diagonal_glyph(bool disagree)
{
    if (tui_glyphs_ascii())
        return disagree ? "X" : "\\";
    return disagree ? "\u2573" : "\u2572";
}

/* What one cell shows: its text and attribute. */
static void matrix_cell_look(const tui_canvas *cv, const matrix_layout *L, int b, int s,
                             bool diagonal, const char **text, int *attr)
{
    bool colour = cv->t->colour != TUI_COLOUR_NONE;
    bool agree = json_object_get_int(cell(L->agree, b, s)) != 0;
    if (L->by_error) {
        double e = cell_error(L, b, s);
        *attr = colour ? tui_colour_attr(cv->t->colour, e, L->scale) : (int)A_NORMAL;
        *text = colour ? " " : tui_colour_shade(e, L->scale);
        /* Without colour the shade carries the error, so the diagonal is underlined there and
         * drawn only where the error is 0. */
        if (diagonal && (colour || !(e > 0)))
            *text = diagonal_glyph(false);
        if (diagonal)
            *attr |= (int)A_BOLD | (colour ? 0 : (int)A_UNDERLINE);
        return;
    }
    *attr = agree_attr(cv, agree);
    if (diagonal)
        *text = diagonal_glyph(!agree && !colour);
    else if (colour)
        *text = " ";
    else
        *text = agree ? " " : tui_glyph(TUI_GLYPH_FULL);
    if (diagonal)
        *attr |= A_BOLD;
}

static void matrix_cells(tui_canvas *cv, const matrix_layout *L, int y0)
{
    for (int i = 0; i < L->nr; i++) {
        int b = shown_index(L->n, L->nr, i);
        /* the diagonal: the shown column nearest to the base's own row */
        int dj = L->nc > 1 ? (int)lround((double)b * (L->nc - 1) / (L->n - 1)) : 0;
        for (int j = 0; j < L->nc; j++) {
            int s = shown_index(L->n, L->nc, j);
            const char *glyph;
            int attr;
            matrix_cell_look(cv, L, b, s, j == dj, &glyph, &attr);
            char text[64];
            for (int r = 0; r < L->ch; r++) {
                if (r == L->ch / 2)
                    snprintf(text, sizeof text, "%s%*s", glyph, L->cw - 1, "");
                else
                    snprintf(text, sizeof text, "%*s", L->cw, "");
                tui_canvas_put(cv, y0 + i * L->ch + r, L->lab_w + j * L->cw, text, attr);
            }
        }
        char lab[64];
        axis_label(cv->t, matrix_row(L, b), lab, sizeof lab);
        tui_canvas_put(cv, y0 + i * L->ch + L->ch / 2, L->lab_w - 1 - tui_text_width(lab), lab,
                       A_NORMAL);
    }
}

/* Ticks under the map: a source's label where the last input changes from the column before (a
 * new line of the grid), when there is room; else evenly. */
static void matrix_ticks(tui_canvas *cv, const matrix_layout *L, int line)
{
    const iv_workspace *ws = cv->t->ws;
    int d = ws->model->n_inputs, end = L->lab_w, placed = 0;
    for (int pass = 0; pass < 2 && placed < 2; pass++) {
        end = L->lab_w;
        placed = 0;
        for (int j = 0; j < L->nc; j++) {
            long s = matrix_row(L, shown_index(L->n, L->nc, j));
            bool new_line = j == 0;
            if (!new_line && pass == 0 && ws->data && s < ws->data->n && d > 1) {
                long prev = matrix_row(L, shown_index(L->n, L->nc, j - 1));
                new_line = ws->data->x[s * d + d - 1] != ws->data->x[prev * d + d - 1];
            }
            if (!new_line && pass == 1)
                new_line = true;
            char lab[64];
            axis_label(cv->t, s, lab, sizeof lab);
            int x = L->lab_w + j * L->cw;
            if (new_line && x >= end && x + tui_text_width(lab) <= cv->width) {
                tui_canvas_put(cv, line, x, "|", tui_attr(cv->t->colour, TUI_ATTR_DIM));
                end = x + tui_canvas_put(cv, line + 1, x, lab, A_NORMAL) + 1;
                placed++;
            }
        }
    }
}

/* The key: what the colours (or glyphs) mean, and what is shown. */
static void matrix_key(tui_canvas *cv, const matrix_layout *L, int line, json_object *r)
{
    int x = 0;
    bool colour = cv->t->colour != TUI_COLOUR_NONE;
    if (L->by_error) {
        char lo[32], hi[32];
        iv_format_number(hi, sizeof hi, L->scale);
        snprintf(lo, sizeof lo, "error: 0 ");
        x += tui_canvas_put(cv, line, x, lo, A_NORMAL);
        for (int k = 0; k <= 6; k++) {
            double v = L->scale * k / 6;
            x += tui_canvas_put(cv, line, x, colour ? " " : tui_colour_shade(v, L->scale),
                                colour ? tui_colour_attr(cv->t->colour, v, L->scale) : (int)A_NORMAL);
        }
        char tail[160];
        snprintf(tail, sizeof tail, " %s  (%s)   %s base = source   E: by agreement", hi,
                 strstr(str_of(r, "agreement") ? str_of(r, "agreement") : "", "argmax")
                     ? "1 where the classes differ" : "|network - causal model|",
                 diagonal_glyph(false));
        tui_canvas_put(cv, line, x, tail, A_NORMAL);
        return;
    }
    long agree = json_object_get_int64(json_object_object_get(r, "agree"));
    long pairs = json_object_get_int64(json_object_object_get(r, "pairs"));
    char text[96];
    x += tui_canvas_put(cv, line, x, colour ? "  " : " ", agree_attr(cv, true)) + 1;
    snprintf(text, sizeof text, "agree %ld   ", agree);
    x += tui_canvas_put(cv, line, x, text, A_NORMAL);
    x += tui_canvas_put(cv, line, x, colour ? "  " : tui_glyph(TUI_GLYPH_FULL),
                        agree_attr(cv, false)) + 1;
    snprintf(text, sizeof text, "disagree %ld   %s base = source   E: by error", pairs - agree,
             diagonal_glyph(false));
    tui_canvas_put(cv, line, x, text, A_NORMAL);
}

void tui_draw_iia_matrix(tui_canvas *cv, json_object *r)
{
    matrix_layout L;
    if (!matrix_prepare(cv, r, &L))
        return;
    char *aligned = aligned_text(str_of(r, "alignment"));
    char head[512];
    snprintf(head, sizeof head, "interchange matrix of %s, %s: IIA %.3f", aligned,
             str_of(r, "rows") ? str_of(r, "rows") : "the rows", num_of(r, "iia"));
    free(aligned);
    tui_canvas_put(cv, 0, 0, head, A_BOLD);
    matrix_key(cv, &L, 1, r);
    /* The axes, named by the inputs: "base (x, y)" down the left, "source (x, y)" across. */
    const iv_model *m = cv->t->ws->model;
    iv_buf names = {0};
    iv_buf_append(&names, "", 0);
    for (int i = 0; i < m->n_inputs && m->n_inputs <= 3; i++)
        iv_buf_printf(&names, "%s%s", i ? ", " : "", m->input_names[i]);
    char base_axis[160], source_axis[160];
    snprintf(base_axis, sizeof base_axis, m->n_inputs <= 3 ? "base (%s)" : "base row%s",
             names.data);
    snprintf(source_axis, sizeof source_axis, m->n_inputs <= 3 ? "source (%s) ->" : "source row%s ->",
             names.data);
    iv_buf_free(&names);
    int title = tui_attr(cv->t->colour, TUI_ATTR_TITLE);
    tui_canvas_put(cv, 2, 0, base_axis, title);
    int x = L.lab_w + tui_canvas_put(cv, 2, L.lab_w, source_axis, title) + 3;
    if (L.nr < L.n || L.nc < L.n) { /* say what the screen leaves out */
        char shown[96];
        snprintf(shown, sizeof shown, "shown: %d of %d bases, %d of %d sources, evenly", L.nr,
                 L.n, L.nc, L.n);
        tui_canvas_put(cv, 2, x, shown, tui_attr(cv->t->colour, TUI_ATTR_DIM));
    }
    matrix_cells(cv, &L, 3);
    matrix_ticks(cv, &L, 3 + L.nr * L.ch);
}
