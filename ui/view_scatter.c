/* view_scatter.c - a `pca SITE [LABEL]` result drawn in a popup: the dataset's rows on the site's
 * first two principal components as a scatter plot, coloured by class, and beside it, when an
 * eraser is on, the same rows after the erasure on the same components and the same scale, so that
 * one sees the classes collapse onto each other. The probe's direction, when there is a probe at
 * the site, is a line of dots from the origin to the plot's edge.
 *
 * Marks: braille characters in a UTF-8 locale (2 x 4 dots a cell, each dot lit where a row falls;
 * when the points fill few cells, each lights the 2 x 2 dots of its half cell, to be seen from the
 * back of a hall); elsewhere one mark a cell, '.', 'o' or '*' by how many rows fall in it. A cell
 * takes the colour of the class with the most dots in it (between equals, the one with more rows).
 * Without colour the class is told by the glyph instead: the class's digit (0-9, then a-z) where a
 * cell holds one class only, '#' where it holds several; a result without a label has a single
 * class and keeps its dots. The zero lines are dim rules under the points; the probe's direction
 * is a line of '•' (ASCII ':') under them too, so that it hides no point.
 *
 * The drawing is built once as a grid of characters, each with a role (text, axis, class k, ...);
 * the popup draws the grid with each role's attribute, and tui_scatter_text writes it out as plain
 * text, which is what the screen shows without colour.
 *
 * Colour pairs: one per colour of the class palette, a range of their own (TUI_PAIRS_SCATTER in
 * tui.h). */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

#define PALETTE 8       /* class colours; more classes than that share them (the glyphs do not) */
#define MAX_CLASSES 36  /* classes told apart: digits, then letters */
#define MIN_PLOT_W 10   /* cells of the narrowest plot drawn */
#define MIN_PLOT_H 5    /* lines of the lowest one: a shorter canvas gets a taller drawing */
#define GAP 4           /* columns between the two panels */
#define RIGHT_MARGIN 2  /* room for the last x tick's label past the plot's edge */
#define MAX_TICKS 16

/* ---- the grid of characters ------------------------------------------------------------------- */

enum {
    ROLE_NONE,  /* nothing drawn: a blank */
    ROLE_TEXT,
    ROLE_BOLD,
    ROLE_DIM,   /* the zero lines */
    ROLE_TITLE, /* the axes' names */
    ROLE_PROBE,
    ROLE_CLASS, /* + k: class k's colour */
};

typedef struct pic_cell {
    char g[16];          /* one character, UTF-8 */
    unsigned char role;
    bool cont;           /* the second column of a wide character before it */
} pic_cell;

typedef struct picture {
    int w, h;
    pic_cell *cells;     /* (h, w) */
} picture;

static pic_cell *pic_at(picture *p, int line, int col)
{
    if (line < 0 || col < 0 || col >= p->w)
        return NULL;
    if (line >= p->h) {
        int h = line + 1;
        p->cells = iv_xrealloc(p->cells, sizeof *p->cells * (size_t)h * (size_t)p->w);
        memset(p->cells + (size_t)p->h * (size_t)p->w, 0,
               sizeof *p->cells * (size_t)(h - p->h) * (size_t)p->w);
        p->h = h;
    }
    return &p->cells[(size_t)line * (size_t)p->w + (size_t)col];
}

/* One character (a few bytes) into a cell. */
static void pic_char(picture *p, int line, int col, const char *g, int role)
{
    pic_cell *c = pic_at(p, line, col);
    if (!c)
        return;
    snprintf(c->g, sizeof c->g, "%s", g);
    c->role = (unsigned char)role;
    c->cont = false;
}

/* Text from a column, one cell a column (two for a wide character), cut before column `end`.
 * Returns the columns it took. */
static int pic_text(picture *p, int line, int col, const char *s, int role, int end)
{
    if (end > p->w)
        end = p->w;
    int x = col;
    while (s && *s && x < end) {
        int cols = 0;
        size_t n = tui_text_fit(s, 1, &cols);
        if (n == 0)
            n = tui_text_fit(s, 2, &cols);
        if (n == 0 || x + cols > end)
            break;
        if (cols > 0) {
            pic_cell *c = pic_at(p, line, x);
            if (n < sizeof c->g) {
                memcpy(c->g, s, n);
                c->g[n] = '\0';
            } else {
                snprintf(c->g, sizeof c->g, "?");
            }
            c->role = (unsigned char)role;
            c->cont = false;
            for (int k = 1; k < cols; k++) {
                pic_cell *next = pic_at(p, line, x + k);
                next->g[0] = '\0';
                next->role = (unsigned char)role;
                next->cont = true;
            }
            x += cols;
        }
        s += n;
    }
    return x - col;
}

/* ---- the result ---------------------------------------------------------------------------------- */

typedef struct point_set {
    bool present;
    long n;          /* points with both coordinates */
    long bad;        /* points left out: a coordinate missing or not a number */
    double *x, *y;
    int *cls;
} point_set;

/* A number of the JSON, NaN for null or anything else that is not a number. */
static double num(json_object *v)
{
    if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return NAN;
    return json_object_get_double(v);
}

static const char *str_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The points under `key`: (x, y, class index) each; *max_class gets the largest class seen. */
static void read_points(json_object *r, const char *key, bool classed, point_set *s,
                        int *max_class)
{
    memset(s, 0, sizeof *s);
    json_object *arr = json_object_object_get(r, key);
    if (!arr || !json_object_is_type(arr, json_type_array))
        return;
    s->present = true;
    size_t n = json_object_array_length(arr);
    s->x = iv_xmalloc(sizeof(double) * (n ? n : 1));
    s->y = iv_xmalloc(sizeof(double) * (n ? n : 1));
    s->cls = iv_xmalloc(sizeof(int) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i);
        bool is_arr = p && json_object_is_type(p, json_type_array);
        size_t len = is_arr ? json_object_array_length(p) : 0;
        double x = len >= 2 ? num(json_object_array_get_idx(p, 0)) : NAN;
        double y = len >= 2 ? num(json_object_array_get_idx(p, 1)) : NAN;
        if (!isfinite(x) || !isfinite(y)) {
            s->bad++;
            continue;
        }
        double c = classed && len >= 3 ? num(json_object_array_get_idx(p, 2)) : 0;
        int k = isfinite(c) && c >= 0 && c < MAX_CLASSES ? (int)c : 0;
        s->x[s->n] = x;
        s->y[s->n] = y;
        s->cls[s->n] = k;
        s->n++;
        if (k > *max_class)
            *max_class = k;
    }
}

static void free_points(point_set *s)
{
    free(s->x);
    free(s->y);
    free(s->cls);
}

/* Everything the drawing needs, measured once. */
typedef struct scatter {
    json_object *r;
    bool colour, ascii;
    point_set set[2];    /* the points, and the points after the erasure */
    int n_panels;        /* 2 when the result has erased points */
    int k;               /* classes */
    bool digits;         /* the class is told by its glyph: no colour, and classes to tell apart */
    double x_lo, x_hi, y_lo, y_hi; /* one scale for both panels, the origin always in it */
    bool probe;
    double dx, dy;
    int sub_w, sub_h;    /* dots a cell: 2 x 4 braille, or 1 x 1 */
    int pw, ph;          /* a plot's cells */
    int ylab_w;          /* the y ticks' labels */
    int plot_line;       /* the first line of the plots */
    int max_count;       /* the most rows in one cell of either panel (the ASCII marks) */
    bool big_marks;      /* few points for the cells: each a block of 2 x 2 dots */
    double yt[MAX_TICKS + 1], xt[MAX_TICKS + 1];
    int n_yt, n_xt;
} scatter;

/* ---- classes ------------------------------------------------------------------------------------ */

/* The glyph that tells class k without colour. */
static char class_char(int k)
{
    static const char chars[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    return k >= 0 && k < (int)sizeof chars - 1 ? chars[k] : '?';
}

/* "gt = 1": the label and the class's value (from "classes"), "class 1" with no label. */
static void class_name(const scatter *S, int k, char *buf, size_t n)
{
    json_object *classes = json_object_object_get(S->r, "classes");
    json_object *v = classes && json_object_is_type(classes, json_type_array)
                         ? json_object_array_get_idx(classes, (size_t)k) : NULL;
    char value[64];
    if (v && json_object_is_type(v, json_type_string))
        snprintf(value, sizeof value, "%s", json_object_get_string(v));
    else if (v && isfinite(num(v)))
        iv_format_number(value, sizeof value, num(v));
    else
        snprintf(value, sizeof value, "#%d", k);
    const char *label = str_of(S->r, "label");
    if (label)
        snprintf(buf, n, "%s = %s", label, value);
    else
        snprintf(buf, n, "class %s", value);
}

/* Class k's colour, on the terminal's own background. */
static int class_attr(const tui_canvas *cv, int k)
{
    static const short fg256[PALETTE] = {33, 166, 34, 163, 37, 136, 99, 124};
    static const short fg8[PALETTE] = {COLOR_BLUE,    COLOR_RED,  COLOR_GREEN, COLOR_MAGENTA,
                                       COLOR_CYAN,    COLOR_YELLOW, COLOR_BLUE, COLOR_RED};
    tui_colour_mode mode = cv->t->colour;
    int slot = k % PALETTE, pair = TUI_PAIRS_SCATTER + slot;
    if (mode == TUI_COLOUR_NONE || pair >= COLOR_PAIRS)
        return A_NORMAL;
    short fg = mode == TUI_COLOUR_256 ? fg256[slot] : fg8[slot];
    if (!cv->measure && init_pair((short)pair, fg, -1) == ERR)
        init_pair((short)pair, fg, COLOR_BLACK);
    /* eight colours have six hues: the last two of the palette are the first two, brighter */
    int extra = mode == TUI_COLOUR_8 && slot >= 6 ? A_BOLD : 0;
    return (int)COLOR_PAIR(pair) | extra;
}

/* ---- scales ------------------------------------------------------------------------------------ */

/* The dot (0 .. dots - 1) a value falls on, along an axis of `dots` dots from lo to hi. */
static int dot_of(double v, double lo, double hi, int dots)
{
    int d = (int)floor((v - lo) / (hi - lo) * dots);
    return d < 0 ? 0 : d >= dots ? dots - 1 : d;
}

/* Dot columns from the left, dot rows from the top (the largest y). */
static int dot_col(const scatter *S, double x) { return dot_of(x, S->x_lo, S->x_hi, S->pw * S->sub_w); }
static int dot_row(const scatter *S, double y)
{
    int dots = S->ph * S->sub_h;
    return dots - 1 - dot_of(y, S->y_lo, S->y_hi, dots);
}
static int cell_col(const scatter *S, double x) { return dot_col(S, x) / S->sub_w; }
static int cell_row(const scatter *S, double y) { return dot_row(S, y) / S->sub_h; }

/* One scale over both panels: every point's coordinates and the origin. */
static void fit_range(scatter *S)
{
    S->x_lo = S->x_hi = S->y_lo = S->y_hi = 0;
    for (int s = 0; s < S->n_panels; s++)
        for (long i = 0; i < S->set[s].n; i++) {
            S->x_lo = fmin(S->x_lo, S->set[s].x[i]);
            S->x_hi = fmax(S->x_hi, S->set[s].x[i]);
            S->y_lo = fmin(S->y_lo, S->set[s].y[i]);
            S->y_hi = fmax(S->y_hi, S->set[s].y[i]);
        }
    /* every point at the origin (or none): a unit around it */
    if (!(S->x_hi - S->x_lo > 0) || !isfinite(S->x_hi - S->x_lo)) {
        S->x_lo = -1;
        S->x_hi = 1;
    }
    if (!(S->y_hi - S->y_lo > 0) || !isfinite(S->y_hi - S->y_lo)) {
        S->y_lo = -1;
        S->y_hi = 1;
    }
}

static void tick_label(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%g", v == 0 ? 0 : v);
}

/* "PC1 (71% of variance)", "PC2 (20%)" (and "PC1 (71%)" when brief); without the fraction just
 * "PC1". */
static void component_name(json_object *r, int c, bool brief, char *buf, size_t n)
{
    json_object *ex = json_object_object_get(r, "explained");
    double f = ex && json_object_is_type(ex, json_type_array)
                   ? num(json_object_array_get_idx(ex, (size_t)c)) : NAN;
    if (!isfinite(f) || f < 0) {
        snprintf(buf, n, "PC%d", c + 1);
        return;
    }
    char pct[16];
    if (f > 0 && f < 0.005)
        snprintf(pct, sizeof pct, "<1%%");
    else
        snprintf(pct, sizeof pct, "%.0f%%", f * 100);
    snprintf(buf, n, c == 0 && !brief ? "PC%d (%s of variance)" : "PC%d (%s)", c + 1, pct);
}

/* ---- the heading: what is shown, and the key ------------------------------------------------------- */

typedef struct item {
    const char *mark;    /* a glyph before the text in its role, or NULL */
    int mark_role;
    char text[256];
    int role;
    bool optional;       /* shown only where it fits on a line already begun */
} item;

static int item_width(const item *it)
{
    return (it->mark ? tui_text_width(it->mark) + 1 : 0) + tui_text_width(it->text);
}

/* The items flowed onto lines from `line`, 3 columns apart; returns the lines they take. The
 * first (the title) has its line to itself unless all the others fit beside it: a key begun
 * beside the title and carried on below reads as two keys. */
static int flow_items(picture *p, int line, const item *items, int n)
{
    int col = 0, lines = n > 0 ? 1 : 0, all = n > 0 ? item_width(&items[0]) : 0;
    for (int i = 1; i < n; i++)
        all += items[i].optional ? 0 : item_width(&items[i]) + 3;
    for (int i = 0; i < n; i++) {
        int w = item_width(&items[i]);
        int x = col ? col + 3 : 0;
        bool own_line = i == 1 && all > p->w;
        if (col && (x + w > p->w || own_line)) {
            if (items[i].optional)
                continue;
            line++;
            lines++;
            x = 0;
        }
        if (items[i].mark) {
            x += pic_text(p, line, x, items[i].mark, items[i].mark_role, p->w);
            x++;
        }
        x += pic_text(p, line, x, items[i].text, items[i].role, p->w);
        col = x;
    }
    return lines;
}

/* The heading's items: the title, the classes, the probe, what was left out. Returns the count. */
static int heading_items(const scatter *S, item *items, int most)
{
    int n = 0;
    const char *site = str_of(S->r, "pca"), *data = str_of(S->r, "dataset");
    item *it = &items[n++];
    memset(it, 0, sizeof *it);
    snprintf(it->text, sizeof it->text, "PCA of %s%s%s", site ? site : "the site",
             data ? " over " : "", data ? data : "");
    it->role = ROLE_BOLD;
    const char *dot = S->ascii ? "*" : "\u25cf";
    for (int k = 0; k < S->k && S->k > 1 && n < most - 6; k++) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        it->role = ROLE_TEXT;
        if (S->digits) { /* "0: gt = 0" */
            it->text[0] = class_char(k);
            it->text[1] = ':';
            it->text[2] = ' ';
            class_name(S, k, it->text + 3, sizeof it->text - 3);
        } else {
            class_name(S, k, it->text, sizeof it->text);
            it->mark = dot;
            it->mark_role = ROLE_CLASS + k;
        }
    }
    if (S->digits) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        snprintf(it->text, sizeof it->text, "#: mixed");
        it->role = ROLE_TEXT;
    }
    if (S->probe) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        it->mark = S->ascii ? ":" : "\u2022";
        it->mark_role = ROLE_PROBE;
        snprintf(it->text, sizeof it->text, "probe");
        it->role = ROLE_TEXT;
    }
    json_object *shown_v = json_object_object_get(S->r, "shown");
    json_object *rows_v = json_object_object_get(S->r, "rows");
    double shown = num(shown_v), rows = num(rows_v);
    if (isfinite(shown) && isfinite(rows) && shown < rows) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        snprintf(it->text, sizeof it->text, "%.0f of %.0f rows shown", shown, rows);
        it->role = ROLE_TEXT;
    }
    long bad = S->set[0].bad + S->set[1].bad;
    if (bad) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        snprintf(it->text, sizeof it->text, "%ld point%s without coordinates left out", bad,
                 bad == 1 ? "" : "s");
        it->role = ROLE_BOLD;
    }
    /* every point in one place: say where, since the plot shows only a dot */
    long total = S->set[0].n + S->set[1].n;
    bool same = total > 1;
    double x0 = 0, y0 = 0;
    for (int s = 0, first = 1; s < S->n_panels && same; s++)
        for (long i = 0; i < S->set[s].n && same; i++, first = 0) {
            if (first) {
                x0 = S->set[s].x[i];
                y0 = S->set[s].y[i];
            } else if (S->set[s].x[i] != x0 || S->set[s].y[i] != y0) {
                same = false;
            }
        }
    if (same) {
        char a[32], b[32];
        iv_format_number(a, sizeof a, x0);
        iv_format_number(b, sizeof b, y0);
        it = &items[n++];
        memset(it, 0, sizeof *it);
        snprintf(it->text, sizeof it->text, "all %ld points at (%s, %s)", total, a, b);
        it->role = ROLE_BOLD;
    }
    if (!str_of(S->r, "label") && S->k == 1) {
        it = &items[n++];
        memset(it, 0, sizeof *it);
        snprintf(it->text, sizeof it->text, "(no label: pca %s LABEL colours the classes)",
                 site ? site : "SITE");
        it->role = ROLE_DIM;
        it->optional = true;
    }
    return n;
}

/* ---- one panel ---------------------------------------------------------------------------------- */

/* The dot bit of the braille character for the dot at (row r of 4, column c of 2). */
static unsigned braille_bit(int r, int c)
{
    static const unsigned bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    return bits[r][c];
}

static void braille_glyph(unsigned mask, char out[4])
{
    unsigned cp = 0x2800 + mask;
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    out[3] = '\0';
}

static int popcount8(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* What fell in each cell of a panel: the dots lit and the rows, by class. */
typedef struct panel_grid {
    unsigned char *mask;  /* (cells * k) the dots each class lit */
    int *count;           /* (cells * k) the rows of each class */
} panel_grid;

/* The dots drawn for the dots lit: with big marks, each lit dot fills its half of the cell (2 x 2
 * dots), since a single dot is hard to see from the back of a lecture hall. */
static unsigned shown_dots(const scatter *S, unsigned lit)
{
    if (!S->big_marks)
        return lit;
    unsigned upper = 0x01 | 0x02 | 0x08 | 0x10, lower = 0x04 | 0x20 | 0x40 | 0x80;
    return (lit & upper ? upper : 0) | (lit & lower ? lower : 0);
}

static void grid_fill(const scatter *S, const point_set *s, panel_grid *g)
{
    size_t cells = (size_t)S->pw * (size_t)S->ph;
    g->mask = iv_xcalloc(cells * (size_t)S->k, 1);
    g->count = iv_xcalloc(cells * (size_t)S->k, sizeof(int));
    for (long i = 0; i < s->n; i++) {
        int dc = dot_col(S, s->x[i]), dr = dot_row(S, s->y[i]);
        size_t cell = (size_t)(dr / S->sub_h) * (size_t)S->pw + (size_t)(dc / S->sub_w);
        size_t at = cell * (size_t)S->k + (size_t)s->cls[i];
        g->mask[at] |= (unsigned char)(S->sub_w == 2 ? braille_bit(dr % 4, dc % 2) : 1);
        g->count[at]++;
    }
}

/* The most rows in one cell (for the ASCII marks, one measure over both panels), and in
 * *occupied the cells that hold any. */
static int grid_max(const scatter *S, const panel_grid *g, long *occupied)
{
    int most = 0;
    *occupied = 0;
    for (size_t c = 0; c < (size_t)S->pw * (size_t)S->ph; c++) {
        int total = 0;
        for (int k = 0; k < S->k; k++)
            total += g->count[c * (size_t)S->k + (size_t)k];
        most = total > most ? total : most;
        *occupied += total > 0;
    }
    return most;
}

/* A cell's glyph and role; false when nothing fell in it. */
static bool cell_look(const scatter *S, const panel_grid *g, size_t cell, char glyph[8], int *role)
{
    unsigned all = 0;
    int total = 0, classes = 0, best = -1, best_dots = -1, best_count = -1;
    for (int k = 0; k < S->k; k++) {
        unsigned m = g->mask[cell * (size_t)S->k + (size_t)k];
        int c = g->count[cell * (size_t)S->k + (size_t)k];
        if (!c)
            continue;
        all |= m;
        total += c;
        classes++;
        int dots = popcount8(m);
        /* the class with the most dots; between equals, the one with more rows */
        if (dots > best_dots || (dots == best_dots && c > best_count)) {
            best = k;
            best_dots = dots;
            best_count = c;
        }
    }
    if (!total)
        return false;
    *role = ROLE_CLASS + best;
    if (S->digits) {
        glyph[0] = classes == 1 ? class_char(best) : '#';
        glyph[1] = '\0';
    } else if (S->sub_w == 2) {
        braille_glyph(shown_dots(S, all), glyph);
    } else {
        int most = S->max_count > 1 ? S->max_count : 1;
        glyph[0] = total <= (most / 10 > 1 ? most / 10 : 1) ? '.' : total <= most / 3 ? 'o' : '*';
        glyph[1] = '\0';
    }
    return true;
}

/* The cells the probe's direction crosses, from the origin to the plot's edge; returns the last
 * one (-1 for none). The line starts at the middle of the origin's cell, where the zero lines
 * cross, and runs in cells: started from the origin's dot, a nearly level direction from a dot at
 * the top of its cell would step up a line at once and look as if it missed the origin. */
static long probe_cells(const scatter *S, bool *ray)
{
    double xr = S->x_hi - S->x_lo, yr = S->y_hi - S->y_lo;
    double vx = S->dx / xr * S->pw, vy = -S->dy / yr * S->ph; /* cells per unit, down the lines */
    double speed = fmax(fabs(vx), fabs(vy));
    if (!(speed > 0) || !isfinite(speed))
        return -1;
    vx /= speed * 5; /* a fifth of a cell a step */
    vy /= speed * 5;
    double cx = cell_col(S, 0) + 0.5, cy = cell_row(S, 0) + 0.5;
    long last = -1;
    for (int i = 0; i < 100000; i++) {
        double x = cx + i * vx, y = cy + i * vy;
        if (x < 0 || x >= S->pw || y < 0 || y >= S->ph)
            break;
        long cell = (long)y * S->pw + (long)x;
        ray[cell] = true;
        last = cell;
    }
    return last;
}

/* "probe" beside the end of the ray, inside the plot and off the ray: where it covers no point
 * if it can, else where it covers the fewest. */
static void probe_label(const scatter *S, picture *p, int x0, const bool *ray, const bool *filled,
                        long end)
{
    static const char word[] = "probe";
    int len = (int)strlen(word), er = (int)(end / S->pw), ec = (int)(end % S->pw);
    const int rows[] = {er, er + 1, er - 1, er + 2, er - 2};
    int best_r = -1, best_c = -1, best_cover = len + 1;
    for (int ri = 0; ri < 5; ri++) {
        int r = rows[ri];
        if (r < 0 || r >= S->ph)
            continue;
        /* ending just before the end, starting just after it, then ending or starting at it */
        const int starts[] = {ec - len, ec + 1, ec - len + 1, ec};
        for (int si = 0; si < 4; si++) {
            int c0 = starts[si], cover = 0;
            if (c0 < 0 || c0 + len > S->pw)
                continue;
            bool on_ray = false;
            for (int c = c0; c < c0 + len; c++) {
                on_ray |= ray[(long)r * S->pw + c];
                cover += filled[(long)r * S->pw + c];
            }
            if (!on_ray && cover < best_cover) {
                best_r = r;
                best_c = c0;
                best_cover = cover;
            }
        }
    }
    if (best_r >= 0)
        pic_text(p, S->plot_line + best_r, x0 + best_c, word, ROLE_PROBE, x0 + S->pw);
}

/* A plot's cells from column x0: the zero lines, the probe's direction, then the points over
 * them (the direction shows where no point hides it), and the probe's name. */
static void plot_cells(const scatter *S, picture *p, int x0, const panel_grid *g)
{
    int zc = cell_col(S, 0), zr = cell_row(S, 0);
    size_t cells = (size_t)S->pw * (size_t)S->ph;
    /* the zero lines, where they are not the frame's own axes */
    bool vline = zc > 0, hline = zr < S->ph - 1;
    const char *h = S->ascii ? "-" : "\u2500", *v = S->ascii ? "|" : "\u2502";
    const char *cross = S->ascii ? "+" : "\u253c";
    for (int c = 0; c < S->pw && hline; c++)
        pic_char(p, S->plot_line + zr, x0 + c, h, ROLE_DIM);
    for (int r = 0; r < S->ph && vline; r++)
        pic_char(p, S->plot_line + r, x0 + zc, r == zr && hline ? cross : v, ROLE_DIM);
    bool *ray = iv_xcalloc(cells, sizeof *ray), *filled = iv_xcalloc(cells, sizeof *filled);
    long end = S->probe ? probe_cells(S, ray) : -1;
    for (size_t cell = 0; cell < cells; cell++)
        if (ray[cell])
            pic_char(p, S->plot_line + (int)(cell / (size_t)S->pw),
                     x0 + (int)(cell % (size_t)S->pw), S->ascii ? ":" : "\u2022", ROLE_PROBE);
    for (size_t cell = 0; cell < cells; cell++) {
        char glyph[8];
        int role;
        filled[cell] = cell_look(S, g, cell, glyph, &role);
        if (filled[cell])
            pic_char(p, S->plot_line + (int)(cell / (size_t)S->pw),
                     x0 + (int)(cell % (size_t)S->pw), glyph, role);
    }
    if (end >= 0)
        probe_label(S, p, x0, ray, filled, end);
    free(ray);
    free(filled);
}

/* The frame: the y axis with its ticks and labels, the x axis under the plot, the axes' names. */
static void plot_frame(const scatter *S, picture *p, int px, int right_end)
{
    int axis = px + S->ylab_w + 1, x0 = axis + 1;
    const char *vert = S->ascii ? "|" : "\u2502", *ytick = S->ascii ? "+" : "\u2524";
    const char *horiz = S->ascii ? "-" : "\u2500", *xtick = S->ascii ? "+" : "\u252c";
    const char *corner = S->ascii ? "+" : "\u2514";
    bool *ticked = iv_xcalloc((size_t)S->ph, sizeof *ticked);
    for (int t = 0; t < S->n_yt; t++) {
        int r = cell_row(S, S->yt[t]);
        if (ticked[r])
            continue;
        ticked[r] = true;
        char lab[32];
        tick_label(S->yt[t], lab, sizeof lab);
        pic_text(p, S->plot_line + r, px + S->ylab_w - tui_text_width(lab), lab, ROLE_TEXT, axis);
    }
    for (int r = 0; r < S->ph; r++)
        pic_char(p, S->plot_line + r, axis, ticked[r] ? ytick : vert, ROLE_TEXT);
    free(ticked);
    int base = S->plot_line + S->ph;
    pic_char(p, base, axis, corner, ROLE_TEXT);
    for (int c = 0; c < S->pw; c++)
        pic_char(p, base, x0 + c, horiz, ROLE_TEXT);
    int end = px; /* labels do not touch: a column between two */
    for (int t = 0; t < S->n_xt; t++) {
        char lab[32];
        tick_label(S->xt[t], lab, sizeof lab);
        int c = cell_col(S, S->xt[t]), w = tui_text_width(lab), at = x0 + c - (w - 1) / 2;
        if (at < end || at + w > right_end)
            continue;
        pic_char(p, base, x0 + c, xtick, ROLE_TEXT);
        pic_text(p, base + 1, at, lab, ROLE_TEXT, right_end);
        end = at + w + 1;
    }
    char name[64];
    component_name(S->r, 0, false, name, sizeof name);
    if (tui_text_width(name) > right_end - px - 1) /* narrow panels: "PC1 (71%)" */
        component_name(S->r, 0, true, name, sizeof name);
    int w = tui_text_width(name), at = x0 + (S->pw - w) / 2;
    pic_text(p, base + 2, at > px ? at : px, name, ROLE_TITLE, right_end);
    component_name(S->r, 1, true, name, sizeof name);
    pic_text(p, S->plot_line - 1, px, name, ROLE_TITLE, right_end);
}

/* A panel's title over its plot: centred where it fits, else from the panel's left. */
static void panel_title(const scatter *S, picture *p, int line, int px, int right_end, int panel)
{
    const char *by = str_of(S->r, "erased_by");
    char title[512];
    if (panel == 0)
        snprintf(title, sizeof title, "before");
    else
        snprintf(title, sizeof title, "after: %s", by ? by : "the erasure");
    int x0 = px + S->ylab_w + 2, w = tui_text_width(title);
    int at = w <= S->pw ? x0 + (S->pw - w) / 2 : px;
    pic_text(p, line, at, title, ROLE_BOLD, right_end);
}

/* ---- the whole drawing --------------------------------------------------------------------------- */

static void scatter_read(scatter *S, json_object *r, bool colour)
{
    memset(S, 0, sizeof *S);
    S->r = r;
    S->colour = colour;
    S->ascii = tui_glyphs_ascii();
    bool classed = str_of(r, "label") || json_object_object_get(r, "classes");
    int max_class = 0;
    read_points(r, "points", classed, &S->set[0], &max_class);
    read_points(r, "erased_points", classed, &S->set[1], &max_class);
    S->n_panels = S->set[1].present ? 2 : 1;
    json_object *classes = json_object_object_get(r, "classes");
    int listed = classed && classes && json_object_is_type(classes, json_type_array)
                     ? (int)json_object_array_length(classes) : 0;
    S->k = max_class + 1 > listed ? max_class + 1 : listed;
    S->k = S->k < 1 ? 1 : S->k > MAX_CLASSES ? MAX_CLASSES : S->k;
    S->digits = !colour && S->k > 1;
    fit_range(S);
    json_object *dir = json_object_object_get(r, "probe_direction");
    if (dir && json_object_is_type(dir, json_type_array) && json_object_array_length(dir) >= 2) {
        S->dx = num(json_object_array_get_idx(dir, 0));
        S->dy = num(json_object_array_get_idx(dir, 1));
        S->probe = isfinite(S->dx) && isfinite(S->dy) && (S->dx != 0 || S->dy != 0);
    }
    S->sub_w = S->ascii ? 1 : 2;
    S->sub_h = S->ascii ? 1 : 4;
}

/* The notice of a canvas too narrow for even the smallest plot. */
static void too_small(picture *p, int need)
{
    char text[160];
    snprintf(text, sizeof text, "The scatter plot needs %d columns; this has %d.", need, p->w);
    if (tui_text_width(text) > p->w) /* a few words that a tiny canvas still shows whole */
        snprintf(text, sizeof text, "needs %d columns", need);
    char *lines = tui_wrap_text(text, p->w);
    int line = 0;
    for (char *q = lines; q && *q; line++) {
        size_t len = strcspn(q, "\n");
        char keep = q[len];
        q[len] = '\0';
        pic_text(p, line, 0, q, ROLE_BOLD, p->w);
        q[len] = keep;
        q += len + (keep ? 1 : 0);
    }
    free(lines);
}

/* The drawing as a picture of width x height (taller when height is too low for the plot). */
static void scatter_picture(json_object *r, bool colour, int width, int height, picture *p)
{
    scatter S;
    scatter_read(&S, r, colour);
    memset(p, 0, sizeof *p);
    p->w = width > 1 ? width : 1;
    enum { MOST_ITEMS = MAX_CLASSES + 8 };
    item items[MOST_ITEMS];
    int n_items = heading_items(&S, items, MOST_ITEMS);
    int head = flow_items(p, 0, items, n_items);
    /* the heading, the panels' titles, PC2's name, the plot, its axis, ticks and PC1's name */
    int fixed = head + (S.n_panels == 2) + 1 + 3;
    S.ph = height - fixed > MIN_PLOT_H ? height - fixed : MIN_PLOT_H;
    S.plot_line = head + (S.n_panels == 2) + 1;
    double step;
    int most = S.ph / 3 + 1 < 9 ? S.ph / 3 + 1 : 9;
    S.n_yt = tui_nice_ticks(S.y_lo, S.y_hi, most, S.yt, &step);
    S.ylab_w = 1;
    for (int t = 0; t < S.n_yt; t++) {
        char lab[32];
        tick_label(S.yt[t], lab, sizeof lab);
        S.ylab_w = tui_text_width(lab) > S.ylab_w ? tui_text_width(lab) : S.ylab_w;
    }
    int panel_fixed = S.ylab_w + 2;
    S.pw = (p->w - S.n_panels * panel_fixed - (S.n_panels - 1) * GAP - RIGHT_MARGIN) / S.n_panels;
    if (S.pw < MIN_PLOT_W) {
        /* start again on a clean picture: the heading would only be cut */
        free(p->cells);
        memset(p, 0, sizeof *p);
        p->w = width > 1 ? width : 1;
        too_small(p, S.n_panels * (panel_fixed + MIN_PLOT_W) + (S.n_panels - 1) * GAP +
                             RIGHT_MARGIN);
        free_points(&S.set[0]);
        free_points(&S.set[1]);
        return;
    }
    most = S.pw / 5 + 1 < 12 ? S.pw / 5 + 1 : 12;
    S.n_xt = tui_nice_ticks(S.x_lo, S.x_hi, most, S.xt, &step);
    panel_grid grids[2] = {{0}};
    long fuller = 0;
    for (int s = 0; s < S.n_panels; s++) {
        grid_fill(&S, &S.set[s], &grids[s]);
        long occupied;
        int m = grid_max(&S, &grids[s], &occupied);
        S.max_count = m > S.max_count ? m : S.max_count;
        fuller = occupied > fuller ? occupied : fuller;
    }
    /* Points in a third of the cells or fewer, in both panels: big marks, since the eye finds
     * no cloud to follow and single dots are lost. */
    S.big_marks = S.sub_w == 2 && fuller * 3 <= (long)S.pw * S.ph;
    for (int s = 0; s < S.n_panels; s++) {
        int px = s * (panel_fixed + S.pw + GAP);
        int right_end = s + 1 < S.n_panels ? px + panel_fixed + S.pw + GAP - 1 : p->w;
        if (S.n_panels == 2)
            panel_title(&S, p, head, px, right_end, s);
        int x0 = px + panel_fixed;
        plot_cells(&S, p, x0, &grids[s]);
        if (S.set[s].n == 0) {
            const char *none = "no points";
            pic_text(p, S.plot_line + S.ph / 2, x0 + (S.pw - (int)strlen(none)) / 2, none,
                     ROLE_BOLD, x0 + S.pw);
        }
        plot_frame(&S, p, px, right_end);
        free(grids[s].mask);
        free(grids[s].count);
    }
    free_points(&S.set[0]);
    free_points(&S.set[1]);
}

/* ---- out: onto the canvas, or as text ---------------------------------------------------------- */

static int role_attr(const tui_canvas *cv, int role)
{
    switch (role) {
    case ROLE_BOLD:
    case ROLE_PROBE:
        return A_BOLD;
    case ROLE_DIM:
        return tui_attr(cv->t->colour, TUI_ATTR_DIM);
    case ROLE_TITLE:
        return tui_attr(cv->t->colour, TUI_ATTR_TITLE);
    case ROLE_NONE:
    case ROLE_TEXT:
        return A_NORMAL;
    default:
        return class_attr(cv, role - ROLE_CLASS);
    }
}

void tui_draw_pca(tui_canvas *cv, json_object *result)
{
    picture p;
    scatter_picture(result, cv->t->colour != TUI_COLOUR_NONE, cv->width, cv->height, &p);
    iv_buf run = {0};
    for (int line = 0; line < p.h; line++) {
        const pic_cell *row = &p.cells[(size_t)line * (size_t)p.w];
        for (int c = 0; c < p.w;) {
            if (!row[c].g[0]) {
                c++;
                continue;
            }
            /* a run of one role, drawn at once */
            int start = c, role = row[c].role;
            run.len = 0;
            iv_buf_append(&run, "", 0);
            while (c < p.w && (row[c].g[0] || row[c].cont) && row[c].role == role) {
                iv_buf_append(&run, row[c].g, strlen(row[c].g));
                c++;
            }
            tui_canvas_put(cv, line, start, run.data, role_attr(cv, role));
        }
    }
    iv_buf_free(&run);
    free(p.cells);
}

char *tui_scatter_text(json_object *result, int width, int height)
{
    picture p;
    scatter_picture(result, false, width, height, &p);
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (int line = 0; line < p.h; line++) {
        size_t start = b.len;
        for (int c = 0; c < p.w; c++) {
            const pic_cell *cell = &p.cells[(size_t)line * (size_t)p.w + (size_t)c];
            if (cell->cont)
                continue;
            iv_buf_append(&b, cell->g[0] ? cell->g : " ", cell->g[0] ? strlen(cell->g) : 1);
        }
        while (b.len > start && b.data[b.len - 1] == ' ')
            b.data[--b.len] = '\0';
        iv_buf_append(&b, "\n", 1);
    }
    free(p.cells);
    return b.data;
}
