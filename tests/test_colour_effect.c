/* test_colour_effect.c - the diverging colour scale, the shade glyphs, the named attributes, and
 * the effect panel drawn on a headless curses screen and read back cell by cell.
 *
 * The panel tests use the lecture's max network with `ablate h1[1] zero`: h1[1] = relu(y - x)
 * is what lets h2[1] shut x off when y > x, so without it the output is y + x instead of y there.
 * The change over the grid x, y = 0..10 is therefore exactly x where y > x and 0 elsewhere: its
 * mean is sum_x x (10 - x) / 121 = 165 / 121, and its largest value is 9, at x = 9, y = 10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "formats/formats.h"
#include "tui.h"

#define SCREEN_ROWS 40
#define SCREEN_COLS 132

static SCREEN *screen;
static tui_colour_mode colour256; /* what tui_colour_init found on xterm-256color */

/* ---- reading the screen back ----------------------------------------------------------------- */

typedef struct cell {
    wchar_t ch;
    short pair;
    attr_t attrs;
} cell;

static cell cell_at(int y, int x)
{
    cchar_t cc;
    wchar_t wc[CCHARW_MAX + 1] = {0};
    cell c = {0};
    assert_int_not_equal(mvin_wch(y, x, &cc), ERR);
    assert_int_not_equal(getcchar(&cc, wc, &c.attrs, &c.pair, NULL), ERR);
    c.ch = wc[0];
    return c;
}

/* The text of w screen cells from (y, x), as UTF-8. */
static void line_at(int y, int x, int w, char *buf, size_t n)
{
    cchar_t cc[SCREEN_COLS + 1];
    assert_true(w <= SCREEN_COLS);
    assert_int_not_equal(mvin_wchnstr(y, x, cc, w), ERR);
    size_t len = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (int j = 0; j < w; j++) {
        wchar_t wc[CCHARW_MAX + 1] = {0};
        attr_t a;
        short p;
        getcchar(&cc[j], wc, &a, &p, NULL);
        char mb[MB_LEN_MAX];
        size_t k = wcrtomb(mb, wc[0] ? wc[0] : L' ', &st);
        assert_true(k != (size_t)-1 && len + k < n);
        memcpy(buf + len, mb, k);
        len += k;
    }
    buf[len] = '\0';
}

/* The whole panel as one string, lines joined by '\n'. Caller frees. */
static char *panel_text(const tui_rect *r)
{
    size_t n = (size_t)r->h * ((size_t)r->w * MB_LEN_MAX + 1) + 1;
    char *all = calloc(1, n);
    for (int i = 0; i < r->h; i++) {
        char line[SCREEN_COLS * MB_LEN_MAX + 1];
        line_at(r->y + i, r->x, r->w, line, sizeof line);
        strcat(all, line);
        strcat(all, "\n");
    }
    return all;
}

static void fill_screen(void)
{
    attrset(A_NORMAL);
    for (int y = 0; y < SCREEN_ROWS; y++)
        mvhline(y, 0, '#', SCREEN_COLS);
}

/* Every cell outside the rect still holds the '#' of fill_screen. */
static void assert_outside_untouched(const tui_rect *r)
{
    for (int y = 0; y < SCREEN_ROWS; y++)
        for (int x = 0; x < SCREEN_COLS; x++) {
            bool inside = y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
            if (inside)
                continue;
            cell c = cell_at(y, x);
            if (c.ch != L'#' || c.pair != 0)
                fail_msg("drawn outside the panel at row %d, column %d", y, x);
        }
}

/* ---- fixtures ---------------------------------------------------------------------------------- */

/* A UI state set up by hand (only what the effect panel reads) over a workspace of the max
 * network after a script, with its effect computed. */
static void fixture_init(tui *t, const char *script, tui_colour_mode mode)
{
    iv_error err;
    memset(t, 0, sizeof *t);
    t->ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(t->ws);
    if (iv_script_run(t->ws, script, "test", &iv_sink_discard, false, NULL, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(iv_workspace_effect(t->ws, &t->effect, &err), 0);
    t->effect_valid = true;
    t->colour = mode;
}

static void fixture_free(tui *t)
{
    iv_effect_free(&t->effect);
    iv_workspace_free(t->ws);
}

/* Draws the panel in r on a screen full of '#', and checks that nothing else changed. */
static void draw(const tui *t, tui_rect r)
{
    tui_layout lay;
    memset(&lay, 0, sizeof lay);
    lay.effect = r;
    fill_screen();
    tui_draw_effect(t, &lay);
    assert_outside_untouched(&r);
}

/* The change the map shows at grid point (x, y) under `ablate h1[1] zero` (see the top). */
static double expected_change(int x, int y)
{
    return y > x ? x : 0;
}

/* The 64 x 16 panel lays out as: the title on line 0, the map's 11 rows (y = 10 first) on lines
 * 1..11 after y labels 2 columns wide and a blank, cells 2 columns wide, the tick line on line 12,
 * and the numbers and legend in a column to the right. */
static const tui_rect wide = {2, 5, 16, 64};
#define MAP_TOP (wide.y + 1)
#define MAP_LEFT (wide.x + 3)
#define CELL_Y(y) (MAP_TOP + 10 - (y))
#define CELL_X(x) (MAP_LEFT + 2 * (x))

/* ---- colour ------------------------------------------------------------------------------------ */

/* Relative luminance (WCAG) of an xterm-256 palette entry: the 6x6x6 cube or the grey ramp. */
static double luminance(int index)
{
    double rgb[3];
    if (index >= 232) {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (index - 232);
    } else {
        assert_true(index >= 16);
        static const int level[6] = {0, 95, 135, 175, 215, 255};
        int k = index - 16;
        rgb[0] = level[k / 36];
        rgb[1] = level[k / 6 % 6];
        rgb[2] = level[k % 6];
    }
    for (int i = 0; i < 3; i++) {
        double c = rgb[i] / 255;
        rgb[i] = c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

static double contrast(int a, int b)
{
    double la = luminance(a), lb = luminance(b);
    return (fmax(la, lb) + 0.05) / (fmin(la, lb) + 0.05);
}

static int red_of(int index)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    return level[(index - 16) / 36];
}

static int blue_of(int index)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    return level[(index - 16) % 6];
}

static void test_colour_init_256(void **state)
{
    (void)state;
    assert_int_equal(colour256, TUI_COLOUR_256);
    /* Each step of the scale: text readable on its background (WCAG AA, 4.5:1), backgrounds from
     * pale to saturated (luminance falling with the magnitude), red above zero and blue below. */
    for (int sign = -1; sign <= 1; sign += 2) {
        double last = 2;
        for (int level = 1; level <= 6; level++) {
            double v = sign * (level - 0.5) / 6;
            short fg, bg;
            assert_int_equal(pair_content((short)PAIR_NUMBER(tui_colour_attr(TUI_COLOUR_256, v, 1)),
                                          &fg, &bg), OK);
            assert_true(contrast(fg, bg) >= 4.5);
            assert_true(luminance(bg) < last);
            last = luminance(bg);
            if (sign > 0)
                assert_true(red_of(bg) > blue_of(bg));
            else
                assert_true(blue_of(bg) > red_of(bg));
        }
    }
    /* Zero: a grey (equal red, green, blue) background, lighter than any step of the scale. */
    short fg, bg;
    assert_int_equal(pair_content((short)PAIR_NUMBER(tui_colour_attr(TUI_COLOUR_256, 0, 1)), &fg,
                                  &bg), OK);
    assert_true(bg >= 232);
    assert_true(contrast(fg, bg) >= 4.5);
}

static void test_colour_no_color(void **state)
{
    (void)state;
    setenv("NO_COLOR", "1", 1);
    assert_int_equal(tui_colour_init(), TUI_COLOUR_NONE);
    /* no-color.org: an empty NO_COLOR does not count. */
    setenv("NO_COLOR", "", 1);
    assert_int_equal(tui_colour_init(), TUI_COLOUR_256);
    unsetenv("NO_COLOR");
    assert_int_equal(tui_colour_init(), TUI_COLOUR_256);
}

static void test_colour_attr_scale(void **state)
{
    (void)state;
    tui_colour_mode m = TUI_COLOUR_256;
    /* One value inside each of the six levels of (0, 1]. */
    static const double inside[6] = {0.1, 0.3, 0.45, 0.6, 0.8, 1.0};
    int pos[6], neg[6];
    for (int k = 0; k < 6; k++) {
        pos[k] = PAIR_NUMBER(tui_colour_attr(m, inside[k], 1));
        neg[k] = PAIR_NUMBER(tui_colour_attr(m, -inside[k], 1));
        assert_int_not_equal(pos[k], neg[k]);
        assert_int_not_equal(pos[k], 0);
        if (k > 0) {
            assert_true(pos[k] > pos[k - 1]);
            assert_true(neg[k] > neg[k - 1]);
        }
    }
    /* Levels split (0, 1] evenly; anything but zero is at least level 1. */
    assert_int_equal(tui_colour_attr(m, 0.15, 1), tui_colour_attr(m, 0.1, 1));
    assert_int_equal(tui_colour_attr(m, 1e-12, 1), tui_colour_attr(m, 0.1, 1));
    assert_int_not_equal(tui_colour_attr(m, 0.17, 1), tui_colour_attr(m, 0.1, 1));
    /* The scale: clamped beyond it, relative to it, and 1 when it is not positive. */
    assert_int_equal(tui_colour_attr(m, 7, 1), tui_colour_attr(m, 1, 1));
    assert_int_equal(tui_colour_attr(m, -7, 1), tui_colour_attr(m, -1, 1));
    assert_int_equal(tui_colour_attr(m, 4.5, 9), tui_colour_attr(m, 0.5, 1));
    assert_int_equal(tui_colour_attr(m, 0.5, 0), tui_colour_attr(m, 0.5, 1));
    assert_int_equal(tui_colour_attr(m, 0.5, -3), tui_colour_attr(m, 0.5, 1));
    /* Zero and NaN: their own pairs, NaN reversed so it stands out. */
    int zero = tui_colour_attr(m, 0, 1), nan_attr = tui_colour_attr(m, NAN, 1);
    for (int k = 0; k < 6; k++) {
        assert_int_not_equal(PAIR_NUMBER(zero), pos[k]);
        assert_int_not_equal(PAIR_NUMBER(zero), neg[k]);
        assert_int_not_equal(PAIR_NUMBER(nan_attr), pos[k]);
        assert_int_not_equal(PAIR_NUMBER(nan_attr), neg[k]);
    }
    assert_int_not_equal(PAIR_NUMBER(zero), PAIR_NUMBER(nan_attr));
    assert_true(nan_attr & A_REVERSE);
    assert_int_equal(tui_colour_attr(m, -0.0, 1), zero);
    /* Without colour the glyphs carry the magnitude. */
    assert_int_equal(tui_colour_attr(TUI_COLOUR_NONE, 0.7, 1), A_NORMAL);
    assert_int_equal(tui_colour_attr(TUI_COLOUR_NONE, NAN, 1), A_NORMAL);
}

static void test_colour_attr_8(void **state)
{
    (void)state;
    tui_colour_mode m = TUI_COLOUR_8;
    int last = 0;
    for (int k = 1; k <= 6; k++) {
        double v = (k - 0.5) / 6;
        int p = tui_colour_attr(m, v, 1), n = tui_colour_attr(m, -v, 1);
        assert_int_not_equal(PAIR_NUMBER(p), PAIR_NUMBER(n));
        assert_true(PAIR_NUMBER(p) > last);
        last = PAIR_NUMBER(p);
        /* Bold marks the top of each half: levels 3 and 6. */
        assert_int_equal((p & A_BOLD) != 0, k == 3 || k == 6);
        assert_int_equal((n & A_BOLD) != 0, k == 3 || k == 6);
    }
    assert_true(tui_colour_attr(m, NAN, 1) & A_REVERSE);
}

static void test_colour_shade(void **state)
{
    (void)state;
    assert_string_equal(tui_colour_shade(0, 1), " ");
    assert_string_equal(tui_colour_shade(0.3, 1), "▒");
    assert_string_equal(tui_colour_shade(1, 1), "█");
    assert_string_equal(tui_colour_shade(-0.3, 1), "▒");
    assert_string_equal(tui_colour_shade(0.01, 1), "░");
    assert_string_equal(tui_colour_shade(0.25, 1), "░");
    assert_string_equal(tui_colour_shade(0.6, 1), "▓");
    assert_string_equal(tui_colour_shade(-5, 1), "█");
    assert_string_equal(tui_colour_shade(2.7, 9), "▒");
    assert_string_equal(tui_colour_shade(0.3, 0), "▒");
    assert_string_equal(tui_colour_shade(NAN, 1), "?");
}

static void test_colour_named(void **state)
{
    (void)state;
    static const tui_colour_mode modes[] = {TUI_COLOUR_NONE, TUI_COLOUR_8, TUI_COLOUR_256};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        for (int a = TUI_ATTR_TITLE; a <= TUI_ATTR_SELECTED; a++) {
            assert_int_not_equal(tui_attr(modes[m], a), A_NORMAL);
            for (int b = TUI_ATTR_TITLE; b < a; b++)
                assert_int_not_equal(tui_attr(modes[m], a), tui_attr(modes[m], b));
        }
    /* No colour at all without colour; the three that mark a value's cell can go on its colour. */
    for (int a = TUI_ATTR_TITLE; a <= TUI_ATTR_SELECTED; a++)
        assert_int_equal(PAIR_NUMBER(tui_attr(TUI_COLOUR_NONE, a)), 0);
    for (size_t m = 1; m < sizeof modes / sizeof modes[0]; m++) {
        assert_int_equal(PAIR_NUMBER(tui_attr(modes[m], TUI_ATTR_CURSOR)), 0);
        assert_int_equal(PAIR_NUMBER(tui_attr(modes[m], TUI_ATTR_CHANGED)), 0);
        assert_int_equal(PAIR_NUMBER(tui_attr(modes[m], TUI_ATTR_SELECTED)), 0);
        assert_int_not_equal(PAIR_NUMBER(tui_attr(modes[m], TUI_ATTR_TITLE)), 0);
        assert_int_not_equal(PAIR_NUMBER(tui_attr(modes[m], TUI_ATTR_ERROR)), 0);
    }
}

/* ---- the map ----------------------------------------------------------------------------------- */

static void test_map_title(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    assert_true(fabs(f.effect.mean_change - 165.0 / 121) < 1e-6);
    draw(&f, wide);
    char line[SCREEN_COLS * MB_LEN_MAX + 1];
    line_at(wide.y, wide.x, wide.w, line, sizeof line);
    assert_non_null(strstr(line, "effect over grid x=0:10:1 y=0:10:1 (121 examples)"));
    char *all = panel_text(&wide);
    /* Sizes, said to be; the one output's signed mean says which way (here: up everywhere). */
    assert_non_null(strstr(all, "mean |change| 1.363636"));
    assert_non_null(strstr(all, "signed mean +1.363636"));
    assert_non_null(strstr(all, "largest |change| 9 at x=9 y=10"));
    assert_null(strstr(all, "no intervention"));
    free(all);
    fixture_free(&f);
}

/* Whether a colour pair is one of the value scale's (zero or a level of either sign). */
static bool is_scale_pair(int pair)
{
    if (pair == PAIR_NUMBER(tui_colour_attr(colour256, 0, 1)))
        return true;
    for (int k = 1; k <= 6; k++)
        if (pair == PAIR_NUMBER(tui_colour_attr(colour256, k / 6.0, 1)) ||
            pair == PAIR_NUMBER(tui_colour_attr(colour256, -k / 6.0, 1)))
            return true;
    return false;
}

static void test_map_cells(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    draw(&f, wide);
    int top = PAIR_NUMBER(tui_colour_attr(colour256, 9, 9));
    int zero = PAIR_NUMBER(tui_colour_attr(colour256, 0, 9));
    int strongest = 0;
    for (int y = 0; y <= 10; y++)
        for (int x = 0; x <= 10; x++) {
            int want = PAIR_NUMBER(tui_colour_attr(colour256, expected_change(x, y), 9));
            for (int c = 0; c < 2; c++)
                if (cell_at(CELL_Y(y), CELL_X(x) + c).pair != want)
                    fail_msg("cell x=%d y=%d has pair %d, not %d", x, y,
                             cell_at(CELL_Y(y), CELL_X(x) + c).pair, want);
            if (x >= y)
                assert_int_equal(cell_at(CELL_Y(y), CELL_X(x)).pair, zero);
            strongest += cell_at(CELL_Y(y), CELL_X(x)).pair == top;
        }
    /* The top step holds changes above 5/6 of 9: x = 9 at y = 10, and x = 8 at y = 9, 10. */
    assert_int_equal(cell_at(CELL_Y(10), CELL_X(9)).pair, top);
    assert_int_equal(strongest, 3);
    /* Exactly 11 x 11 cells: no colour of the scale around them (the cells above are the title's,
     * those below the tick line's). */
    for (int y = 0; y <= 10; y++) {
        assert_false(is_scale_pair(cell_at(CELL_Y(y), MAP_LEFT - 1).pair));
        assert_false(is_scale_pair(cell_at(CELL_Y(y), CELL_X(11)).pair));
    }
    for (int x = 0; x <= 10; x++) {
        assert_false(is_scale_pair(cell_at(CELL_Y(11), CELL_X(x)).pair));
        assert_false(is_scale_pair(cell_at(CELL_Y(-1), CELL_X(x)).pair));
    }
    fixture_free(&f);
}

static void test_map_axes(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    draw(&f, wide);
    char line[SCREEN_COLS * MB_LEN_MAX + 1];
    /* y up the left like a plot: 10 at the top, 0 at the bottom, every other row labelled. */
    for (int y = 0; y <= 10; y++) {
        char want[16] = "  ";
        if (y % 2 == 0)
            snprintf(want, sizeof want, "%2d", y);
        line_at(CELL_Y(y), wide.x, 3, line, sizeof line);
        assert_true(line[2] == ' ');
        line[2] = '\0';
        assert_string_equal(line, want);
    }
    /* x along the tick line under the map, ticks at their cells, the names at the ends. */
    line_at(CELL_Y(-1), wide.x, 30, line, sizeof line);
    assert_string_equal(line, "y  0   2   4   6   8   10 x   ");
    fixture_free(&f);
}

static void test_map_markers(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    draw(&f, wide);
    /* The base input at (3, 7) is a '+'; the diagonal x = y is dotted; other cells are blank (the
     * colour speaks on 256 colours). */
    for (int y = 0; y <= 10; y++)
        for (int x = 0; x <= 10; x++) {
            wchar_t want = x == 3 && y == 7 ? L'+' : x == y ? L'·' : L' ';
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x)).ch, want);
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x) + 1).ch, L' ');
        }
    char *all = panel_text(&wide);
    assert_non_null(strstr(all, "+ base"));
    assert_non_null(strstr(all, "· x = y"));
    free(all);
    fixture_free(&f);

    /* Moving the base moves the mark. */
    fixture_init(&f, "ablate h1[1] zero; input 10 0", colour256);
    draw(&f, wide);
    assert_int_equal(cell_at(CELL_Y(0), CELL_X(10)).ch, L'+');
    assert_int_equal(cell_at(CELL_Y(7), CELL_X(3)).ch, L' ');
    fixture_free(&f);
}

static void test_map_monochrome(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", TUI_COLOUR_NONE);
    draw(&f, wide);
    for (int y = 0; y <= 10; y++)
        for (int x = 0; x <= 10; x++) {
            wchar_t shade;
            assert_int_equal(mbtowc(&shade, tui_colour_shade(expected_change(x, y), 9), 8) > 0,
                             1);
            wchar_t first = x == 3 && y == 7 ? L'+' : x == y ? L'·' : shade;
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x)).ch, first);
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x) + 1).ch, shade);
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x)).pair, 0);
        }
    assert_int_equal(cell_at(CELL_Y(10), CELL_X(9)).ch, L'█');
    assert_int_equal(cell_at(CELL_Y(10), CELL_X(1)).ch, L'░');
    fixture_free(&f);
}

/* At 80 x 24 the panel is about 46 x 12: the title moves beside the map so all 11 rows show. */
static void test_map_small_panel(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    tui_rect r = {10, 30, 12, 46};
    draw(&f, r);
    char line[SCREEN_COLS * MB_LEN_MAX + 1];
    line_at(r.y, r.x, 3, line, sizeof line);
    assert_string_equal(line, "10 ");
    line_at(r.y + 10, r.x, 3, line, sizeof line);
    assert_string_equal(line, " 0 ");
    line_at(r.y + 11, r.x, 1, line, sizeof line);
    assert_string_equal(line, "y");
    assert_int_equal(cell_at(r.y, r.x + 3 + 2 * 9).pair, PAIR_NUMBER(tui_colour_attr(colour256,
                                                                                        9, 9)));
    char *all = panel_text(&r);
    assert_non_null(strstr(all, "effect over grid"));
    assert_non_null(strstr(all, "1.363636"));
    free(all);
    fixture_free(&f);
}

/* Any size at all: nothing outside the panel, and a short note when the map does not fit. */
static void test_map_any_size(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero; input 3 7", colour256);
    for (int h = 1; h <= 18; h++)
        for (int w = 1; w <= 70; w += 3)
            draw(&f, (tui_rect){3, 7, h, w}); /* draw checks the outside */
    tui_rect r = {0, 0, 3, 40};
    draw(&f, r);
    char *all = panel_text(&r);
    assert_non_null(strstr(all, "too small for the map"));
    free(all);
    fixture_free(&f);
}

/* A 101 x 101 grid is subsampled evenly: in 64 x 16 the title goes beside the map so that 15 rows
 * show (y labels 3 wide and a blank; 42 columns of 1 character), both ends included. */
static void test_map_subsampled(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "data grid x=0:10:0.1 y=0:10:0.1; ablate h1[1] zero", colour256);
    tui_rect r = {1, 2, 16, 64};
    draw(&f, r);
    char line[SCREEN_COLS * MB_LEN_MAX + 1];
    /* 101 points each way in room for 60 x 14: every other column (x steps 0.2) and every tenth
     * row (y steps 1), so the points shown are evenly spaced and every row is labelled. */
    line_at(r.y + 1, r.x, 4, line, sizeof line);
    assert_string_equal(line, " 10 ");
    line_at(r.y + 2, r.x, 4, line, sizeof line);
    assert_string_equal(line, "  9 ");
    line_at(r.y + 11, r.x, 4, line, sizeof line);
    assert_string_equal(line, "  0 ");
    line_at(r.y + 12, r.x, 60, line, sizeof line);
    assert_string_equal(line, "y   0   0.8 1.6 2.4 3.2 4   4.8 5.6 6.4 7.2 8   8.8   10 x  ");
    int left = r.x + 4, right = left + 50, top = r.y + 1, bottom = r.y + 11;
    int zero = PAIR_NUMBER(tui_colour_attr(colour256, 0, 1));
    /* x = 0 is unchanged, and so is x >= y: the top right corner is on the diagonal, the bottom
     * right below it; the base (0, 0) sits in the bottom left corner. */
    assert_int_equal(cell_at(top, left).pair, zero);
    assert_int_equal(cell_at(top, right).pair, zero);
    assert_int_equal(cell_at(top, right).ch, L'·');
    assert_int_equal(cell_at(bottom, right).pair, zero);
    assert_int_equal(cell_at(bottom, left).ch, L'+');
    /* Next to the top right corner: x = 9.8 at y = 10, the top step of the scale. */
    assert_int_equal(cell_at(top, right - 1).pair, PAIR_NUMBER(tui_colour_attr(colour256, 1, 1)));
    assert_true(is_scale_pair(cell_at(top, right).pair));
    assert_false(is_scale_pair(cell_at(top, right + 1).pair));
    char *all = panel_text(&r);
    assert_non_null(strstr(all, "(10201 examples)"));
    assert_non_null(strstr(all, "showing 51x11 of 101x101"));
    free(all);
    fixture_free(&f);
}

static void test_map_no_intervention(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "input 3 7", colour256);
    draw(&f, wide);
    char *all = panel_text(&wide);
    assert_non_null(strstr(all, "no intervention: the map is all zero"));
    free(all);
    int zero = PAIR_NUMBER(tui_colour_attr(colour256, 0, 1));
    for (int y = 0; y <= 10; y++)
        for (int x = 0; x <= 10; x++)
            assert_int_equal(cell_at(CELL_Y(y), CELL_X(x)).pair, zero);
    fixture_free(&f);
}

/* ---- the rest ---------------------------------------------------------------------------------- */

static void test_effect_invalid(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero", colour256);
    f.effect_valid = false;
    snprintf(f.effect_error, sizeof f.effect_error, "no reference dataset: set one with 'data'");
    draw(&f, wide);
    char *all = panel_text(&wide);
    assert_non_null(strstr(all, "no reference dataset: set one with 'data'"));
    assert_null(strstr(all, "mean |change|"));
    free(all);
    fixture_free(&f);
}

/* Not a grid: a histogram of the change, ten bins whose counts add up to the dataset. */
static void test_histogram(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "data sample 200 x=0:10 y=0:10 seed=5; ablate h1[1] zero", TUI_COLOUR_NONE);
    tui_rect r = {0, 0, 18, 60};
    draw(&f, r);
    long total = 0;
    int bins = 0;
    for (int i = 0; i < r.h; i++) {
        char line[SCREEN_COLS * MB_LEN_MAX + 1];
        line_at(r.y + i, r.x, r.w, line, sizeof line);
        if (!strstr(line, ".."))
            continue;
        bins++;
        char *end = line + strlen(line);
        while (end > line && end[-1] == ' ')
            end--;
        *end = '\0';
        char *num = strrchr(line, ' ');
        assert_non_null(num);
        total += strtol(num + 1, NULL, 10);
    }
    assert_int_equal(bins, 10);
    assert_int_equal(total, 200);
    char *all = panel_text(&r);
    assert_non_null(strstr(all, "effect over sample 200"));
    assert_non_null(strstr(all, "█"));
    free(all);
    fixture_free(&f);
}

/* Changes that are all nearly the same (12.0001 to 12.0009) get bin labels with the digits that
 * tell them apart: every label differs from the next, none reads "12..12". */
static void test_histogram_narrow_range(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "data sample 200 x=0:10 y=0:10 seed=5; ablate h1[1] zero", TUI_COLOUR_NONE);
    for (long k = 0; k < f.effect.n; k++)
        f.effect.change[k] = 12.0001 + 0.0008 * (double)k / (double)(f.effect.n - 1);
    tui_rect r = {0, 0, 18, 60};
    draw(&f, r);
    char last[SCREEN_COLS * MB_LEN_MAX + 1] = "";
    int bins = 0;
    for (int i = 0; i < r.h; i++) {
        char line[SCREEN_COLS * MB_LEN_MAX + 1];
        line_at(r.y + i, r.x, r.w, line, sizeof line);
        char *dots = strstr(line, "..");
        if (!dots || strstr(line, "change from"))
            continue;
        char label[64];
        assert_int_equal(sscanf(line, " %63s", label), 1);
        assert_true(strcmp(label, last) != 0);
        double a, b;
        assert_int_equal(sscanf(label, "%lf..%lf", &a, &b), 2);
        assert_true(b > a); /* the edges read apart */
        snprintf(last, sizeof last, "%s", label);
        bins++;
    }
    assert_int_equal(bins, 10);
    fixture_free(&f);
}

/* ---- main -------------------------------------------------------------------------------------- */

static int screen_up(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    screen = newterm("xterm-256color", out, in);
    if (!screen)
        return -1;
    set_term(screen);
    resizeterm(SCREEN_ROWS, SCREEN_COLS);
    unsetenv("NO_COLOR");
    colour256 = tui_colour_init();
    return 0;
}

static int screen_down(void **state)
{
    (void)state;
    endwin();
    delscreen(screen);
    return 0;
}

/* In map mode the title says "output" at every width where the map shows the output, and
 * "effect" where a dataset that is no grid shows the histogram of the change. */
static void test_map_output_title(void **state)
{
    (void)state;
    tui f;
    fixture_init(&f, "ablate h1[1] zero", colour256);
    f.map_output = true;
    const tui_rect narrow = {2, 5, 16, 40}; /* too narrow for the spec and the count */
    draw(&f, narrow);
    char line[SCREEN_COLS * MB_LEN_MAX + 1];
    line_at(narrow.y, narrow.x, narrow.w, line, sizeof line);
    if (strncmp(line, "output over grid", 16) != 0)
        fail_msg("narrow title: '%s'", line);
    fixture_free(&f);

    fixture_init(&f, "data sample 50 x=0:10 y=0:10; ablate h1[1] zero", colour256);
    f.map_output = true;
    draw(&f, wide);
    line_at(wide.y, wide.x, wide.w, line, sizeof line);
    if (strncmp(line, "effect over sample", 18) != 0)
        fail_msg("histogram title: '%s'", line);
    fixture_free(&f);
}

int main(void)
{
    /* The glyphs are UTF-8: take the user's locale, or C.UTF-8 when that is not UTF-8. */
    setlocale(LC_ALL, "");
    if (MB_CUR_MAX == 1)
        setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colour_init_256),
        cmocka_unit_test(test_colour_no_color),
        cmocka_unit_test(test_colour_attr_scale),
        cmocka_unit_test(test_colour_attr_8),
        cmocka_unit_test(test_colour_shade),
        cmocka_unit_test(test_colour_named),
        cmocka_unit_test(test_map_title),
        cmocka_unit_test(test_map_output_title),
        cmocka_unit_test(test_map_cells),
        cmocka_unit_test(test_map_axes),
        cmocka_unit_test(test_map_markers),
        cmocka_unit_test(test_map_monochrome),
        cmocka_unit_test(test_map_small_panel),
        cmocka_unit_test(test_map_any_size),
        cmocka_unit_test(test_map_subsampled),
        cmocka_unit_test(test_map_no_intervention),
        cmocka_unit_test(test_effect_invalid),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_narrow_range),
    };
    return cmocka_run_group_tests(tests, screen_up, screen_down);
}
