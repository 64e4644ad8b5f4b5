/* test_scatter.c - the PCA scatter plot (view_scatter.c) from fabricated `pca` results: where
 * points land, the class a cell shows (its colour, or its glyph without colour), the two panels'
 * shared scale, the axes' names, results missing their optional parts, degenerate ones, and whole
 * screens at 80 x 24 and 160 x 48 compared with saved dumps (IV_UPDATE_GOLDEN=1 rewrites them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "screen.h"

#include "draw.h"
#include "files.h"
#include "formats/formats.h"
#include "tui.h"

/* ---- the explorer on a headless screen (screen.h) ---------------------------------------------------- */

static iv_workspace *ws;

/* Every test sets its locale, so that one that failed half way (in another) leaves nothing. */
static void start_locale(tui *t, int rows, int cols, bool colour, const char *locale)
{
    setlocale(LC_ALL, locale);
    ws = explorer_open(t, iv_model_builtin_max(), rows, cols, colour);
}

static void start(tui *t, int rows, int cols, bool colour)
{
    start_locale(t, rows, cols, colour, "C.UTF-8");
}

static void finish(tui *t) { explorer_close(t, ws); }

static wchar_t cell_at(int y, int x, short *pair) { return screen_cell(y, x, NULL, pair); }

/* Opens a popup holding the drawing of r, as the explorer does for a pca result, and draws. */
static void show(tui *t, json_object *r, const char *title)
{
    bool keep = true;
    tui_drawing draw = tui_drawing_for(IV_RESULT_PCA, r, &keep);
    assert_ptr_equal(draw, tui_draw_pca);
    assert_false(keep);
    tui_popup_free(&t->popup);
    t->popup.title = iv_xstrdup(title);
    t->popup.text = iv_xstrdup("");
    t->popup.parts = iv_xcalloc(1, sizeof *t->popup.parts);
    t->popup.parts[0].draw = draw;
    t->popup.parts[0].result = json_object_get(r);
    t->popup.n_parts = 1;
    snprintf(t->message, sizeof t->message, "results below; any key closes them");
    tui_draw(t);
}

/* ---- reading a drawing back: a grid of characters, the plots in it -------------------------------- */

#define GR 96
#define GC 220

typedef struct grid {
    int rows, cols;
    int y0, x0;          /* where it is on the screen (a popup's inside), 0 for text */
    wchar_t c[GR][GC + 1]; /* each row ends with a 0 */
} grid;

static grid G, H; /* big: kept out of the stack */

static void grid_from_text(grid *g, const char *text)
{
    memset(g, 0, sizeof *g);
    for (int r = 0; r < GR; r++)
        for (int c = 0; c < GC; c++)
            g->c[r][c] = L' ';
    for (const char *p = text; *p && g->rows < GR; g->rows++) {
        size_t len = strcspn(p, "\n");
        char *line = iv_xasprintf("%.*s", (int)len, p);
        wchar_t w[GC + 1];
        size_t n = mbstowcs(w, line, GC);
        assert_true(n != (size_t)-1);
        for (size_t i = 0; i < n; i++)
            g->c[g->rows][i] = w[i];
        if ((int)n > g->cols)
            g->cols = (int)n;
        free(line);
        p += len + (p[len] == '\n');
    }
}

/* The open popup's inside, as the drawing's lines and columns. */
static void grid_from_screen(grid *g, const tui *t)
{
    tui_rect box, body;
    int lines;
    tui_popup_geometry(t, &box, &body, &lines);
    memset(g, 0, sizeof *g);
    g->rows = body.h < GR ? body.h : GR;
    g->cols = body.w < GC ? body.w : GC;
    g->y0 = body.y;
    g->x0 = body.x;
    for (int r = 0; r < g->rows; r++)
        for (int c = 0; c < g->cols; c++)
            g->c[r][c] = cell_at(body.y + r, body.x + c, NULL);
}

static bool grid_has(const grid *g, const char *s)
{
    wchar_t w[256];
    mbstowcs(w, s, 255);
    for (int r = 0; r < g->rows; r++)
        if (wcsstr(g->c[r], w))
            return true;
    return false;
}

static int grid_count(const grid *g, const char *s)
{
    wchar_t w[256];
    mbstowcs(w, s, 255);
    int n = 0;
    for (int r = 0; r < g->rows; r++)
        for (const wchar_t *p = g->c[r]; (p = wcsstr(p, w)); p += wcslen(w))
            n++;
    return n;
}

/* The line and column where s starts, or false. */
static bool grid_find(const grid *g, const char *s, int *line, int *col)
{
    wchar_t w[256];
    mbstowcs(w, s, 255);
    for (int r = 0; r < g->rows; r++) {
        const wchar_t *p = wcsstr(g->c[r], w);
        if (p) {
            *line = r;
            *col = (int)(p - g->c[r]);
            return true;
        }
    }
    return false;
}

/* As grid_find, from line `from` on. */
static bool grid_find_from(const grid *g, int from, const char *s, int *line, int *col)
{
    wchar_t w[256];
    mbstowcs(w, s, 255);
    for (int r = from; r < g->rows; r++) {
        const wchar_t *p = wcsstr(g->c[r], w);
        if (p) {
            *line = r;
            *col = (int)(p - g->c[r]);
            return true;
        }
    }
    return false;
}

/* A plot found by its frame: the corner '└' of the axes, with the x axis to its right. */
typedef struct plot {
    int axis, base;      /* the y axis's column, the x axis's line */
    int top, bottom;     /* the plot's first and last lines */
    int left, right;     /* its first and last columns */
} plot;

static bool is_vert(wchar_t c) { return c == L'│' || c == L'┤'; }
static bool is_horiz(wchar_t c) { return c == L'─' || c == L'┬'; }

static bool find_plot(const grid *g, int panel, plot *p)
{
    for (int r = 1; r < g->rows; r++) {
        int seen = 0;
        for (int c = 0; c + 1 < GC; c++) {
            if (g->c[r][c] != L'└' || !is_horiz(g->c[r][c + 1]) || !is_vert(g->c[r - 1][c]))
                continue;
            if (seen++ < panel)
                continue;
            p->axis = c;
            p->base = r;
            p->bottom = r - 1;
            p->top = r - 1;
            while (p->top > 0 && is_vert(g->c[p->top - 1][c]))
                p->top--;
            p->left = c + 1;
            p->right = c + 1;
            while (p->right + 1 < GC && is_horiz(g->c[r][p->right + 1]))
                p->right++;
            return true;
        }
    }
    return false;
}

/* The word of a line around a column (blanks end it). */
static void word_at(const grid *g, int line, int col, char *out, size_t n)
{
    int a = col, b = col;
    out[0] = '\0';
    if (g->c[line][col] == L' ')
        return;
    while (a > 0 && g->c[line][a - 1] != L' ')
        a--;
    while (b + 1 < GC && g->c[line][b + 1] != L' ')
        b++;
    wchar_t w[64];
    int k = 0;
    for (int c = a; c <= b && k < 63; c++)
        w[k++] = g->c[line][c];
    w[k] = 0;
    wcstombs(out, w, n);
}

/* The line of the y tick labelled `label`, or -1. */
static int y_tick(const grid *g, const plot *p, const char *label)
{
    for (int r = p->top; r <= p->bottom; r++) {
        char w[64];
        if (g->c[r][p->axis] != L'┤')
            continue;
        word_at(g, r, p->axis - 2, w, sizeof w);
        if (!strcmp(w, label))
            return r;
    }
    return -1;
}

/* The column of the x tick labelled `label`, or -1. */
static int x_tick(const grid *g, const plot *p, const char *label)
{
    for (int c = p->left; c <= p->right; c++) {
        char w[64];
        if (g->c[p->base][c] != L'┬')
            continue;
        word_at(g, p->base + 1, c, w, sizeof w);
        if (!strcmp(w, label))
            return c;
    }
    return -1;
}

/* The y tick labels from the top, joined by spaces; the same for the x ticks. */
static void y_ticks(const grid *g, const plot *p, char *out, size_t n)
{
    out[0] = '\0';
    for (int r = p->top; r <= p->bottom; r++)
        if (g->c[r][p->axis] == L'┤') {
            char w[64];
            word_at(g, r, p->axis - 2, w, sizeof w);
            snprintf(out + strlen(out), n - strlen(out), "%s%s@%d", *out ? " " : "", w,
                     r - p->top);
        }
}

static void x_ticks(const grid *g, const plot *p, char *out, size_t n)
{
    out[0] = '\0';
    for (int c = p->left; c <= p->right; c++)
        if (g->c[p->base][c] == L'┬') {
            char w[64];
            word_at(g, p->base + 1, c, w, sizeof w);
            snprintf(out + strlen(out), n - strlen(out), "%s%s@%d", *out ? " " : "", w,
                     c - p->left);
        }
}

static bool is_braille(wchar_t c) { return c >= 0x2800 && c <= 0x28ff; }

/* Braille cells (points) in a plot. */
static int points_in(const grid *g, const plot *p)
{
    int n = 0;
    for (int r = p->top; r <= p->bottom; r++)
        for (int c = p->left; c <= p->right; c++)
            n += is_braille(g->c[r][c]);
    return n;
}

static json_object *parse(const char *text)
{
    json_object *r = json_tokener_parse(text);
    assert_non_null(r);
    return r;
}

/* The text form of r read into G, with the screen set up for the locale's glyphs. */
static void text_of(json_object *r, int width, int height)
{
    char *text = tui_scatter_text(r, width, height);
    assert_non_null(text);
    grid_from_text(&G, text);
    free(text);
}

/* ---- registration ---------------------------------------------------------------------------------- */

static void test_registered(void **state)
{
    (void)state;
    bool keep = true;
    json_object *r = parse("{\"pca\": \"h1\", \"points\": [[0, 0, 0]]}");
    assert_ptr_equal(tui_drawing_for(IV_RESULT_PCA, r, &keep), tui_draw_pca);
    assert_false(keep);
    json_object_put(r);
    r = parse("{\"pca\": \"h1\", \"explained\": [0.5, 0.5]}"); /* no points: the text reads best */
    assert_null(tui_drawing_for(IV_RESULT_PCA, r, &keep));
    json_object_put(r);
}

/* ---- where points land ----------------------------------------------------------------------------- */

/* Three points, no label: the largest x (and y) in the last column's top dot, the smallest in the
 * first column's bottom dot, the origin on the line of the y tick 0 and the column of the x tick 0,
 * where the zero lines cross. */
static void test_points_land_in_their_cells(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    json_object *r = parse("{\"pca\": \"h1\", \"explained\": [0.6, 0.3],"
                           " \"points\": [[0, 0, 0], [10, 4, 0], [-4, -2, 0]]}");
    text_of(r, 60, 20);
    plot p;
    assert_true(find_plot(&G, 0, &p));
    assert_false(find_plot(&G, 1, &(plot){0})); /* no erased points: one panel */
    assert_true(p.right - p.left + 1 >= 40 && p.bottom - p.top + 1 >= 10);
    /* three points: big marks, the upper half of the top right cell, the lower half of the bottom
     * left one */
    assert_int_equal(G.c[p.top][p.right], 0x2800 + 0x1b);
    assert_int_equal(G.c[p.bottom][p.left], 0x2800 + 0xe4);
    int row0 = y_tick(&G, &p, "0"), col0 = x_tick(&G, &p, "0");
    assert_true(row0 > p.top && row0 < p.bottom);
    assert_true(col0 > p.left && col0 < p.right);
    assert_true(is_braille(G.c[row0][col0]));
    assert_int_equal(points_in(&G, &p), 3);
    /* the zero lines through the origin */
    int across = 0, down = 0;
    for (int c = p.left; c <= p.right; c++)
        across += G.c[row0][c] == L'─';
    for (int y = p.top; y <= p.bottom; y++)
        down += G.c[y][col0] == L'│';
    assert_true(across >= p.right - p.left - 2);
    assert_true(down >= p.bottom - p.top - 2);
    /* ticks at round numbers, each where its value falls: 10 in the last column, 4 on top */
    assert_int_equal(x_tick(&G, &p, "10"), p.right);
    assert_int_equal(y_tick(&G, &p, "4"), p.top);
    char ticks[256];
    x_ticks(&G, &p, ticks, sizeof ticks);
    assert_non_null(strstr(ticks, "0@"));
    assert_non_null(strstr(ticks, "-2@"));
    json_object_put(r);
    /* among many points, single dots: (10, 4) is the top right dot of its cell, alone in it */
    iv_buf b = {0};
    iv_buf_printf(&b, "{\"points\": [[10, 4, 0]");
    for (int i = 0; i < 28; i++)
        for (int j = 0; j < 12; j++)
            iv_buf_printf(&b, ", [%g, %g, 0]", -4 + 0.5 * i, -2 + 0.5 * j);
    iv_buf_printf(&b, "]}");
    r = parse(b.data);
    iv_buf_free(&b);
    text_of(r, 60, 20);
    assert_true(find_plot(&G, 0, &p));
    assert_true(p.bottom - p.top + 1 > 12 && p.right - p.left + 1 > 28);
    assert_int_equal(G.c[p.top][p.right], 0x2808);
    assert_int_equal(G.c[p.bottom][p.left], 0x2840); /* (-4, -2): the bottom left dot */
    json_object_put(r);
    finish(&t);
}

/* Under LANG=C: one mark a cell, by how many rows fall in it, and ASCII axes. */
static void test_ascii_marks(void **state)
{
    (void)state;
    tui t;
    start_locale(&t, 24, 80, false, "C");
    iv_buf b = {0};
    iv_buf_printf(&b, "{\"pca\": \"h1\", \"points\": [[-3, -3, 0], [3, 3, 0]");
    for (int i = 0; i < 30; i++)
        iv_buf_printf(&b, ", [0, 0, 0]");
    iv_buf_printf(&b, "], \"probe_direction\": [0, -1]}");
    json_object *r = parse(b.data);
    iv_buf_free(&b);
    char *text = tui_scatter_text(r, 60, 20);
    for (const char *q = text; *q; q++)
        assert_true((unsigned char)*q < 128);
    /* the lines: find the corner of the axes and the ticks' '+' */
    assert_non_null(strstr(text, "+----"));
    assert_non_null(strchr(text, '*'));   /* the thirty rows at the origin */
    assert_non_null(strstr(text, ".")); /* a single row */
    assert_non_null(strstr(text, "   : probe"));
    /* the first line of the plot, under PC2's name, holds the point (3, 3) in its last column */
    const char *line = strstr(text, "\nPC2\n");
    assert_non_null(line);
    line += 5;
    size_t len = strcspn(line, "\n");
    assert_int_equal(line[len - 1], '.');
    free(text);
    json_object_put(r);
    finish(&t);
}

/* ---- classes: glyphs without colour, colours with it ------------------------------------------------ */

/* Class 0 at the left edge on y = 0, class 1 at the top right, both classes at (2, -3). */
static const char two_classes[] =
    "{\"pca\": \"h1\", \"dataset\": \"grid x=0:10:1 y=0:10:1\", \"label\": \"gt\", \"classes\": [0, 1],"
    " \"explained\": [0.71, 0.2],"
    " \"points\": [[-5, 0, 0], [-5, 0, 0], [5, 1, 1], [2, -3, 0], [2, -3, 1]]}";

static void test_class_glyphs_without_colour(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    json_object *r = parse(two_classes);
    text_of(r, 60, 20);
    plot p;
    assert_true(find_plot(&G, 0, &p));
    int row0 = y_tick(&G, &p, "0"), col2 = x_tick(&G, &p, "2");
    assert_true(row0 > 0 && col2 > 0);
    assert_int_equal(G.c[row0][p.left], L'0');    /* one class: its digit */
    assert_int_equal(G.c[p.top][p.right], L'1');
    assert_int_equal(G.c[p.bottom][col2], L'#');  /* two classes in one cell */
    assert_true(grid_has(&G, "0: gt = 0") && grid_has(&G, "1: gt = 1") && grid_has(&G, "#: mixed"));
    assert_true(grid_has(&G, "PCA of h1 over grid x=0:10:1 y=0:10:1"));
    json_object_put(r);
    /* the legend names the classes by their values; the glyphs stay the classes' indices */
    r = parse("{\"label\": \"digit\", \"classes\": [3, 7], \"points\": [[1, 1, 0], [2, 2, 1]]}");
    text_of(r, 60, 20);
    assert_true(grid_has(&G, "0: digit = 3") && grid_has(&G, "1: digit = 7"));
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(G.c[p.top][p.right], L'1');
    json_object_put(r);
    finish(&t);
}

/* The cell (line, column of the plot) of the dot at (dot row k from the bottom, dot column j). */
static double dot_x(double lo, double hi, int pw, int j) { return lo + (j + 0.5) * (hi - lo) / (2 * pw); }
static double dot_y(double lo, double hi, int ph, int k) { return lo + (k + 0.5) * (hi - lo) / (4 * ph); }

/* With colour, a cell takes the colour of the class with the most dots in it (between equals, the
 * one with more rows) and shows the dots whatever the classes; the legend's dots are coloured so. */
static void test_class_colours(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, true);
    assert_int_not_equal(t.colour, TUI_COLOUR_NONE);
    json_object *r = parse(two_classes);
    show(&t, r, "pca h1 gt");
    grid_from_screen(&G, &t);
    plot p;
    assert_true(find_plot(&G, 0, &p));
    int pw = p.right - p.left + 1, ph = p.bottom - p.top + 1;
    json_object_put(r);
    /* The same extremes, so the same plot; in cell column pw / 4, the plot's third line: class 0
     * on two dots, class 1 five times on one. In column pw / 2, the fourth line: class 1 three
     * times on one dot, class 0 once on the same dot. */
    int c1 = pw / 4, c2 = pw / 2, k1 = 4 * (ph - 3) + 1, k2 = 4 * (ph - 4) + 2;
    iv_buf b = {0};
    iv_buf_printf(&b, "{\"pca\": \"h1\", \"dataset\": \"grid x=0:10:1 y=0:10:1\", \"label\": \"gt\","
                  " \"classes\": [0, 1], \"explained\": [0.71, 0.2], \"points\": [[-5, 0, 0],"
                  " [-5, 0, 0], [5, 1, 1], [2, -3, 0], [2, -3, 1]");
    double ya = dot_y(-3, 1, ph, k1), yb = dot_y(-3, 1, ph, k2);
    iv_buf_printf(&b, ", [%.17g, %.17g, 0], [%.17g, %.17g, 0]", dot_x(-5, 5, pw, 2 * c1), ya,
                  dot_x(-5, 5, pw, 2 * c1 + 1), ya);
    for (int i = 0; i < 5; i++)
        iv_buf_printf(&b, ", [%.17g, %.17g, 1]", dot_x(-5, 5, pw, 2 * c1), ya);
    for (int i = 0; i < 3; i++)
        iv_buf_printf(&b, ", [%.17g, %.17g, 1]", dot_x(-5, 5, pw, 2 * c2), yb);
    iv_buf_printf(&b, ", [%.17g, %.17g, 0]]}", dot_x(-5, 5, pw, 2 * c2), yb);
    r = parse(b.data);
    iv_buf_free(&b);
    show(&t, r, "pca h1 gt");
    grid_from_screen(&H, &t);
    plot q;
    assert_true(find_plot(&H, 0, &q));
    assert_memory_equal(&p, &q, sizeof p);
    short pair;
    int y1 = H.y0 + q.top + 2, x1 = H.x0 + q.left + c1;
    /* few points: each lights its half of the cell, here the lower half (third dot row) */
    assert_int_equal(cell_at(y1, x1, &pair), 0x2800 + 0xe4);
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 0);
    int y2 = H.y0 + q.top + 3, x2 = H.x0 + q.left + c2;
    assert_int_equal(cell_at(y2, x2, &pair), 0x2800 + 0x1b); /* second dot row: upper half */
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 1);
    /* class 0 alone at the left on y = 0, class 1 alone at the top right: dots in their colours */
    int row0 = y_tick(&H, &q, "0");
    assert_true(is_braille(cell_at(H.y0 + row0, H.x0 + q.left, &pair)));
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 0);
    assert_true(is_braille(cell_at(H.y0 + q.top, H.x0 + q.right, &pair)));
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 1);
    short fg, bg;
    pair_content(TUI_PAIRS_SCATTER + 0, &fg, &bg);
    short fg1;
    pair_content(TUI_PAIRS_SCATTER + 1, &fg1, &bg);
    assert_int_not_equal(fg, fg1);
    /* the legend: "● gt = 0  ● gt = 1", each dot in its class's colour; no digits for the classes */
    int line = -1, col = -1;
    assert_true(grid_find(&H, "\u25cf gt = 0", &line, &col));
    cell_at(H.y0 + line, H.x0 + col, &pair);
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 0);
    assert_true(grid_find(&H, "\u25cf gt = 1", &line, &col));
    cell_at(H.y0 + line, H.x0 + col, &pair);
    assert_int_equal(pair, TUI_PAIRS_SCATTER + 1);
    assert_false(grid_has(&H, "#: mixed"));
    json_object_put(r);
    finish(&t);
}

/* ---- two panels, one scale ------------------------------------------------------------------------- */

static const char erased[] =
    "{\"pca\": \"h1\", \"label\": \"gt\", \"classes\": [0, 1], \"explained\": [0.71, 0.2],"
    " \"points\": [[-3, -1, 0], [3, 2, 1], [0, 0, 0]],"
    " \"erased_points\": [[-8, -1, 0], [3, 2, 1], [1, 0, 1]],"
    " \"erased_by\": \"#3 project h1 rank=1\"}";

static void test_panels_share_one_scale(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    json_object *r = parse(erased);
    for (int width = 76; width <= 156; width += 80) {
        text_of(r, width, width == 76 ? 19 : 43);
        plot a, b;
        assert_true(find_plot(&G, 0, &a));
        assert_true(find_plot(&G, 1, &b));
        assert_true(b.left > a.right);
        assert_int_equal(a.right - a.left, b.right - b.left);
        assert_int_equal(a.top, b.top);
        assert_int_equal(a.bottom, b.bottom);
        char ya[256], yb[256], xa[256], xb[256];
        y_ticks(&G, &a, ya, sizeof ya);
        y_ticks(&G, &b, yb, sizeof yb);
        x_ticks(&G, &a, xa, sizeof xa);
        x_ticks(&G, &b, xb, sizeof xb);
        assert_string_equal(ya, yb);
        assert_string_equal(xa, xb);
        assert_non_null(strstr(xa, "0@"));
        /* (3, 2) in both: the same cell of each plot, the top right one */
        assert_int_equal(G.c[a.top][a.right], L'1');
        assert_int_equal(G.c[b.top][b.right], L'1');
        /* x = -8, only after the erasure, is the left edge of both: nothing before is there */
        assert_int_equal(G.c[b.bottom][b.left], L'0');
        for (int rr = a.top; rr <= a.bottom; rr++)
            assert_true(G.c[rr][a.left] == L' ' || G.c[rr][a.left] == L'─');
        /* the panels' titles over them */
        int line = -1, col = -1;
        assert_true(grid_find(&G, "before", &line, &col));
        assert_true(col >= a.left - 6 && col < a.right && line < a.top);
        assert_true(grid_find(&G, "after: #3 project h1 rank=1", &line, &col));
        assert_true(col >= b.left - 6 && col < b.right && line < b.top);
    }
    json_object_put(r);
    finish(&t);
}

/* ---- axes' names ----------------------------------------------------------------------------------- */

static void test_axis_names(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    json_object *r = parse(erased);
    text_of(r, 76, 19);
    assert_int_equal(grid_count(&G, "PC1 (71% of variance)"), 2); /* under each panel */
    assert_int_equal(grid_count(&G, "PC2 (20%)"), 2);             /* over each y axis */
    plot a;
    assert_true(find_plot(&G, 0, &a));
    int line = -1, col = -1;
    assert_true(grid_find(&G, "PC1 (71% of variance)", &line, &col));
    assert_int_equal(line, a.base + 2);
    assert_true(col > a.left && col + 21 <= a.right + 1); /* centred under the plot */
    assert_true(grid_find(&G, "PC2 (20%)", &line, &col));
    assert_int_equal(line, a.top - 1);
    json_object_put(r);
    r = parse("{\"explained\": [0.004, 0], \"points\": [[1, 1, 0]]}");
    text_of(r, 60, 20);
    assert_true(grid_has(&G, "PC1 (<1% of variance)") && grid_has(&G, "PC2 (0%)"));
    json_object_put(r);
    r = parse("{\"points\": [[1, 1, 0]]}");
    text_of(r, 60, 20);
    assert_true(grid_has(&G, "PC1") && grid_has(&G, "PC2"));
    assert_false(grid_has(&G, "PC1 (") || grid_has(&G, "PC2 ("));
    json_object_put(r);
    finish(&t);
}

/* ---- optional parts missing; the probe ----------------------------------------------------------- */

static void test_missing_parts(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    /* nothing but points of two numbers: one class, its dots, a hint for a label */
    json_object *r = parse("{\"points\": [[1, 2], [3, 4], [-1, -1]]}");
    text_of(r, 76, 19);
    plot p;
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(points_in(&G, &p), 3);
    assert_true(grid_has(&G, "PCA of the site"));
    assert_false(grid_has(&G, " = "));
    assert_false(grid_has(&G, "probe"));
    assert_true(grid_has(&G, "(no label: pca SITE LABEL colours the classes)"));
    json_object_put(r);
    /* classes given as indices: without a label every point is still class 0 unless classes come */
    r = parse("{\"pca\": \"h1\", \"points\": [[1, 2, 1], [3, 4, 0]]}");
    text_of(r, 76, 19);
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(points_in(&G, &p), 2);
    assert_true(grid_has(&G, "pca h1 LABEL"));
    json_object_put(r);
    /* a label without its classes' values: the classes by index */
    r = parse("{\"label\": \"gt\", \"points\": [[1, 2, 1], [3, 4, 0]]}");
    text_of(r, 76, 19);
    assert_true(grid_has(&G, "0: gt = #0") && grid_has(&G, "1: gt = #1"));
    json_object_put(r);
    finish(&t);
}

/* The probe's direction: a line of dots from the origin to the plot's edge, named "probe". */
static void test_probe_direction(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    json_object *r = parse("{\"points\": [[0, 0, 0], [-4, -2, 0], [10, 5, 0]],"
                           " \"probe_direction\": [2, 0]}");
    text_of(r, 60, 20);
    plot p;
    assert_true(find_plot(&G, 0, &p));
    int row0 = y_tick(&G, &p, "0"), col0 = x_tick(&G, &p, "0");
    assert_true(is_braille(G.c[row0][col0])); /* the point at the origin is not hidden */
    for (int c = col0 + 1; c <= p.right; c++)
        assert_int_equal(G.c[row0][c], L'•');
    for (int c = p.left; c < col0; c++)
        assert_int_not_equal(G.c[row0][c], L'•'); /* from the origin, one way */
    int line = -1, col = -1;
    assert_true(grid_find_from(&G, p.top, "probe", &line, &col)); /* in the plot, not the key */
    assert_true(line >= p.top && line <= p.bottom && abs(line - row0) <= 2);
    assert_true(col >= p.left && col + 5 <= p.right + 1 && col + 5 >= p.right - 2);
    assert_true(grid_find(&G, "\u2022 probe", &line, &col) && line < p.top); /* the key */
    json_object_put(r);
    /* up and to the left: it ends at the top edge or the left one */
    r = parse("{\"points\": [[-4, -2, 0], [4, 4, 0]], \"probe_direction\": [-1, 1]}");
    text_of(r, 60, 20);
    assert_true(find_plot(&G, 0, &p));
    bool edge = false;
    for (int c = p.left; c <= p.right; c++)
        edge |= G.c[p.top][c] == L'•';
    for (int rr = p.top; rr <= p.bottom; rr++)
        edge |= G.c[rr][p.left] == L'•';
    assert_true(edge);
    assert_true(grid_count(&G, "probe") == 2);
    json_object_put(r);
    /* no direction: a zero one, or one that is not a number */
    r = parse("{\"points\": [[1, 1, 0], [-1, -1, 0]], \"probe_direction\": [0, 0]}");
    text_of(r, 60, 20);
    assert_false(grid_has(&G, "probe"));
    json_object_put(r);
    r = parse("{\"points\": [[1, 1, 0], [-1, -1, 0]], \"probe_direction\": [null, 1]}");
    text_of(r, 60, 20);
    assert_false(grid_has(&G, "probe"));
    json_object_put(r);
    finish(&t);
}

/* ---- degenerate results ----------------------------------------------------------------------------- */

/* Each drawn as text and on the screen, in a popup and on a canvas of 10 x 5. */
static void draw_everywhere(tui *t, const char *json, int width, int height)
{
    json_object *r = parse(json);
    text_of(r, width, height);
    show(t, r, "pca");
    tui_canvas cv = {.t = t, .body = {2, 2, 5, 10}, .width = 10, .height = 5};
    tui_draw_pca(&cv, r);
    tui_canvas measure = {.t = t, .measure = true, .width = 10, .height = 5};
    tui_draw_pca(&measure, r);
    assert_true(measure.cols <= 10);
    json_object_put(r);
}

static void test_degenerate(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, true);
    plot p;
    /* one point: the origin and the point span the plot */
    draw_everywhere(&t, "{\"points\": [[2, 3, 0]]}", 76, 19);
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(points_in(&G, &p), 1);
    assert_true(is_braille(G.c[p.top][p.right]));
    assert_false(grid_has(&G, "all "));
    /* all in one place */
    draw_everywhere(&t, "{\"points\": [[2, 3, 0], [2, 3, 0], [2, 3, 0], [2, 3, 0], [2, 3, 0]]}",
                    76, 19);
    assert_true(grid_has(&G, "all 5 points at (2, 3)"));
    draw_everywhere(&t, "{\"points\": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]}", 76, 19);
    assert_true(grid_has(&G, "all 3 points at (0, 0)"));
    assert_true(find_plot(&G, 0, &p));
    int row0 = y_tick(&G, &p, "0"), col0 = x_tick(&G, &p, "0");
    assert_true(row0 > p.top && col0 > p.left && is_braille(G.c[row0][col0]));
    assert_int_equal(points_in(&G, &p), 1);
    /* coordinates that are not numbers are left out, and counted */
    draw_everywhere(&t, "{\"points\": [[null, 1, 0], [1, \"x\", 0], [1], 7, [2, 2, 0]]}", 76, 19);
    assert_true(grid_has(&G, "4 points without coordinates left out"));
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(points_in(&G, &p), 1);
    /* nothing to plot: the axes, and why they are empty */
    draw_everywhere(&t, "{\"pca\": \"h1\", \"points\": []}", 76, 19);
    assert_true(find_plot(&G, 0, &p));
    assert_true(grid_has(&G, "no points"));
    assert_int_equal(points_in(&G, &p), 0);
    draw_everywhere(&t, "{\"points\": [[1, 1, 0]], \"erased_points\": []}", 76, 19);
    assert_int_equal(grid_count(&G, "no points"), 1);
    plot b;
    assert_true(find_plot(&G, 1, &b));
    int line = -1, col = -1;
    assert_true(grid_find(&G, "no points", &line, &col) && col > b.left);
    /* classes out of range, huge and infinite spans */
    draw_everywhere(&t, "{\"label\": \"gt\", \"classes\": [0], \"points\": [[1, 1, 99], [2, 2, -1],"
                        " [3, 3, 1.5]]}", 76, 19);
    draw_everywhere(&t, "{\"points\": [[1e300, 1, 0], [-1e300, -1, 0]]}", 76, 19);
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(points_in(&G, &p), 2);
    draw_everywhere(&t, "{\"points\": [[1.7e308, 1, 0], [-1.7e308, -1, 0]]}", 76, 19);
    /* a canvas too narrow says what it needs, in its own width */
    json_object *r = parse(two_classes);
    char *text = tui_scatter_text(r, 10, 5);
    assert_non_null(strstr(text, "needs"));
    grid_from_text(&G, text);
    assert_true(G.cols <= 10);
    free(text);
    /* a low one: the plot keeps 5 lines, and the text is that much taller */
    text_of(r, 80, 5);
    assert_true(find_plot(&G, 0, &p));
    assert_int_equal(p.bottom - p.top + 1, 5);
    json_object_put(r);
    finish(&t);
}

/* ---- whole screens ---------------------------------------------------------------------------------- */

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* About normal, sd 1 (a sum of four uniforms), rounded to hundredths: the same on every machine. */
static double bump(void)
{
    double s = (uniform() + uniform() + uniform() + uniform() - 2) * 1.7320508075688772;
    return floor(s * 100 + 0.5) / 100;
}

/* A lecture's result: two classes apart along PC1 and after an erasure of the probe's direction
 * collapsed onto each other; 2000 of 10000 rows shown. */
static json_object *lecture_result(void)
{
    rng_state = 7;
    iv_buf b = {0};
    iv_buf_printf(&b, "{\"pca\": \"h1\", \"dataset\": \"grid x=0:10:1 y=0:10:1\", \"label\": \"gt\","
                  " \"components\": 2, \"explained\": [0.71, 0.2], \"variance\": [12.3, 3.4],"
                  " \"classes\": [0, 1], \"points\": [");
    iv_buf after = {0};
    iv_buf_append(&after, "", 0);
    for (int i = 0; i < 2000; i++) {
        int c = i % 2;
        double spread = 1.4 * bump(), y = 1.8 * bump() + 0.3 * spread;
        double x = (c ? 3.2 : -3.2) + spread;
        iv_buf_printf(&b, "%s[%.2f, %.2f, %d]", i ? ", " : "", x, y, c);
        iv_buf_printf(&after, "%s[%.2f, %.2f, %d]", i ? ", " : "", 0.35 * spread, y, c);
    }
    iv_buf_printf(&b, "], \"erased_points\": [%s], \"erased_by\": \"#3 project h1 rank=1\","
                  " \"probe_direction\": [0.97, 0.12], \"shown\": 2000, \"rows\": 10000}",
                  after.data);
    iv_buf_free(&after);
    json_object *r = parse(b.data);
    iv_buf_free(&b);
    return r;
}

static void test_screens(void **state)
{
    (void)state;
    static const struct {
        int rows, cols;
        bool colour;
        const char *golden;
    } cases[] = {
        {24, 80, true, "pca-80x24-colour"},    {24, 80, false, "pca-80x24-nocolour"},
        {48, 160, true, "pca-160x48-colour"}, {48, 160, false, "pca-160x48-nocolour"},
    };
    json_object *r = lecture_result();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tui t;
        start(&t, cases[c].rows, cases[c].cols, cases[c].colour);
        show(&t, r, "pca h1 gt");
        /* the whole drawing in the popup, nothing to scroll */
        assert_int_equal(tui_popup_max_scroll(&t), 0);
        grid_from_screen(&G, &t);
        plot a, b;
        assert_true(find_plot(&G, 0, &a) && find_plot(&G, 1, &b));
        assert_true(a.bottom - a.top + 1 >= (cases[c].rows == 24 ? 11 : 34));
        assert_true(grid_has(&G, "2000 of 10000 rows shown"));
        assert_int_equal(grid_count(&G, "PC1 (71% of variance)"), 2);
        if (!cases[c].colour) { /* the same as the text form */
            tui_rect box, body;
            int lines;
            tui_popup_geometry(&t, &box, &body, &lines);
            char *text = tui_scatter_text(r, cases[c].cols - 4, tui_popup_room(&t));
            grid_from_text(&H, text);
            free(text);
            for (int y = 0; y < H.rows; y++)
                assert_memory_equal(H.c[y], G.c[y], sizeof(wchar_t) * (size_t)G.cols);
        }
        char *got = dump(cases[c].colour);
        compare_with(cases[c].golden, got);
        free(got);
        finish(&t);
    }
    json_object_put(r);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    setenv("XDG_STATE_HOME", "/nonexistent-state", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_points_land_in_their_cells),
        cmocka_unit_test(test_ascii_marks),
        cmocka_unit_test(test_class_glyphs_without_colour),
        cmocka_unit_test(test_class_colours),
        cmocka_unit_test(test_panels_share_one_scale),
        cmocka_unit_test(test_axis_names),
        cmocka_unit_test(test_missing_parts),
        cmocka_unit_test(test_probe_direction),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_screens),
    };
    return cmocka_run_group_tests_name("scatter", tests, NULL, NULL);
}
