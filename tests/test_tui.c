/* test_tui.c - the explorer without a terminal: keys -> commands -> state, and whole screens drawn
 * on a headless curses screen compared with saved dumps (80 x 24 and 120 x 40, colour and
 * NO_COLOR). IV_UPDATE_GOLDEN=1 rewrites the dumps (read the diff before committing them). */
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
#include <unistd.h>
#include <wchar.h>

#include "draw.h"
#include "tui.h"
#include "files.h"
#include "formats/text.h"
#include "formats/formats.h"

/* ---- a headless screen -------------------------------------------------------------------------- */

static SCREEN *screen;
static FILE *screen_out, *screen_in;

static void open_screen(int rows, int cols, bool colour)
{
    if (colour)
        unsetenv("NO_COLOR");
    else
        setenv("NO_COLOR", "1", 1);
    screen_out = fopen("/dev/null", "w");
    screen_in = fopen("/dev/null", "r");
    screen = newterm("xterm-256color", screen_out, screen_in);
    assert_non_null(screen);
    set_term(screen);
    resizeterm(rows, cols);
}

static void close_screen(void)
{
    endwin();
    delscreen(screen);
    fclose(screen_out);
    fclose(screen_in);
}

static iv_workspace *ws;

/* Opens the explorer's state on a model (owned) and a headless screen of the given size. */
static void start_model(tui *t, iv_model *m, int rows, int cols, bool colour)
{
    iv_error err;
    ws = iv_workspace_new(m, &err);
    assert_non_null(ws);
    open_screen(rows, cols, colour);
    tui_init(t, ws);
    t->model_arg = iv_xstrdup("builtin:max");
    t->colour = tui_colour_init();
    t->rows = rows;
    t->cols = cols;
    tui_run(t, "");
}

static void start(tui *t, int rows, int cols, bool colour)
{
    start_model(t, iv_model_builtin_max(), rows, cols, colour);
}

static void finish(tui *t)
{
    tui_free(t);
    iv_workspace_free(ws);
    close_screen();
}

/* The screen as UTF-8 text, one line per row, trailing blanks kept so columns line up; then, with
 * colour, a second grid with one letter per cell for its colour pair ('.' for none). */
static char *dump(bool colour)
{
    iv_buf b = {0};
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
            cchar_t cell;
            wchar_t wc[CCHARW_MAX + 1];
            attr_t attrs;
            short pair;
            mvin_wch(y, x, &cell);
            getcchar(&cell, wc, &attrs, &pair, NULL);
            char mb[16];
            mbstate_t st = {0};
            size_t n = wcrtomb(mb, wc[0] ? wc[0] : L' ', &st);
            iv_buf_append(&b, mb, n == (size_t)-1 ? 0 : n);
        }
        iv_buf_append(&b, "\n", 1);
    }
    if (colour) {
        iv_buf_append(&b, "--- colour pairs\n", 17);
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                cchar_t cell;
                wchar_t wc[CCHARW_MAX + 1];
                attr_t attrs;
                short pair;
                mvin_wch(y, x, &cell);
                getcchar(&cell, wc, &attrs, &pair, NULL);
                char c = pair == 0 ? '.' : pair < 27 ? (char)('a' + pair - 1) : (char)('A' + (pair - 27) % 26);
                iv_buf_append(&b, &c, 1);
            }
            iv_buf_append(&b, "\n", 1);
        }
    }
    return b.data;
}

static void compare_with(const char *name, const char *got)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/tests/screens/%s.txt", srcdir, name);
    if (getenv("IV_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
    }
    iv_error err;
    char *want = iv_read_file(path, 1 << 20, NULL, &err);
    if (!want)
        fail_msg("%s (set IV_UPDATE_GOLDEN=1 to create it)", err.msg);
    if (strcmp(want, got) != 0) {
        /* Show the first differing line, which is usually all one needs. */
        const char *a = want, *b = got;
        int line = 1;
        while (*a && *a == *b) {
            line += *a == '\n';
            a++;
            b++;
        }
        while (a > want && a[-1] != '\n')
            a--;
        while (b > got && b[-1] != '\n')
            b--;
        fail_msg("%s differs at line %d:\nwant: %.*s\ngot:  %.*s", path, line,
                 (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
    }
    free(want);
    free(path);
}

static void screen_test(const char *name, int rows, int cols, bool colour, const char *commands)
{
    tui t;
    start(&t, rows, cols, colour);
    if (commands)
        assert_int_equal(tui_run(&t, commands), 0);
    tui_draw(&t);
    char *got = dump(colour);
    compare_with(name, got);
    free(got);
    finish(&t);
}

/* ---- keys -> commands -> state ----------------------------------------------------------------- */

static void test_keys_issue_commands(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    /* The cursor starts on h1[0]; keys name what they would run. */
    char *c = tui_key_command(&t, 'z');
    assert_string_equal(c, "ablate h1[0] zero");
    free(c);
    tui_key_press(&t, KEY_RIGHT);
    tui_key_press(&t, ' ');
    tui_key_press(&t, KEY_RIGHT);
    tui_key_press(&t, ' ');
    c = tui_key_command(&t, 'm');
    assert_string_equal(c, "ablate h1[1:3] mean");
    free(c);
    /* A look at the selection (compare) leaves it for the next key; an ablation uses it up. */
    tui_key_press(&t, 'C');
    assert_string_equal(t.echo, "compare h1[1:3]");
    assert_int_equal(tui_selection_count(&t, 2), 2); /* h1[1] and h1[2] still selected */
    tui_key_press(&t, 27); /* Esc closes compare's table */
    assert_null(tui_key_command(&t, 't')); /* nothing acts on h1[2] yet */
    tui_run(&t, "input 3 5; source 5 3");
    tui_key_press(&t, 'p');
    assert_string_equal(t.echo, "patch h1[1:3]");
    assert_int_equal(t.ws->count, 1);
    assert_int_equal(tui_selection_count(&t, 2), 0); /* used up by the patch */
    c = tui_key_command(&t, 't');
    assert_string_equal(c, "toggle 1");
    free(c);
    tui_key_press(&t, 't');
    assert_false(t.ws->list[0].enabled);
    tui_key_press(&t, 'u');
    assert_int_equal(t.ws->count, 0);
    assert_string_equal(t.echo, "drop 1");
    finish(&t);
}

static void test_keys_zero_ablation_worked_value(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5");
    tui_key_press(&t, KEY_RIGHT); /* h1[1] */
    tui_key_press(&t, 'z');
    assert_string_equal(t.echo, "ablate h1[1] zero");
    assert_non_null(strstr(t.message, "out 5 -> 8"));
    int out = iv_model_output_site(t.ws->model);
    assert_float_equal(t.ws->intervened->site[out][0], 8, 0);
    /* The effect panel quotes the loss gap the lecture does: zeroing h1[1] costs 6.818182. */
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "loss gap 6.818182"));
    free(text);
    finish(&t);
}

static void test_keys_step_and_views(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5");
    tui_key_press(&t, '+');
    assert_string_equal(t.echo, "input x=4");
    tui_key_press(&t, '\t');
    tui_key_press(&t, '-');
    assert_string_equal(t.echo, "input y=4");
    assert_float_equal(t.ws->base[1], 4, 0);
    assert_int_equal(t.view, TUI_VIEW_INTERVENED);
    tui_key_press(&t, 'v');
    assert_int_equal(t.view, TUI_VIEW_CLEAN);
    tui_key_press(&t, 's'); /* no source: an error on the message line, nothing lost */
    assert_true(t.message_is_error);
    assert_non_null(strstr(t.message, "no source input"));
    tui_run(&t, "source 5 3");
    tui_key_press(&t, 's');
    assert_float_equal(t.ws->base[0], 5, 0);
    finish(&t);
}

/* . and , step the base input through the dataset's rows, and the header names the row. */
static void test_keys_step_rows(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_key_press(&t, '.');
    assert_string_equal(t.echo, "input row next");
    assert_int_equal(t.ws->input_row, 0); /* the grid's first point, x=0 y=0 */
    tui_key_press(&t, '.');
    assert_int_equal(t.ws->input_row, 1);
    assert_float_equal(t.ws->base[0], 1, 0); /* x varies fastest */
    assert_float_equal(t.ws->base[1], 0, 0);
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "base row 1: [x=1] y=0"));
    free(text);
    tui_key_press(&t, ',');
    tui_key_press(&t, ',');
    assert_string_equal(t.echo, "input row prev");
    assert_int_equal(t.ws->input_row, 120); /* wraps to the last of the 121 points */
    tui_key_press(&t, '+'); /* a typed input is no row */
    assert_int_equal(t.ws->input_row, -1);
    tui_draw(&t);
    text = dump(false);
    assert_null(strstr(text, "base row"));
    free(text);
    finish(&t);
}

static void test_help_popup_scrolls(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_key_press(&t, '?');
    assert_string_equal(t.echo, "help");
    assert_non_null(t.popup.text);
    assert_non_null(strstr(t.popup.text, "  z        zero-ablate the selection"));
    assert_non_null(strstr(t.popup.text, "  ablate  ADDR zero|mean|noise|"));
    assert_non_null(strstr(t.popup.text, "  view    [intervened|clean|diff|source|next]"));
    tui_key_press(&t, KEY_DOWN);
    tui_key_press(&t, KEY_NPAGE);
    assert_int_equal(t.popup.scroll, 11);
    /* Scrolling stops with the last line at the bottom: one key back always shows more. */
    for (int i = 0; i < 500; i++)
        tui_key_press(&t, 'j');
    int lines = 0;
    for (const char *p = t.popup.text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(t.popup.scroll, tui_popup_max_scroll(&t));
    /* 24 rows: a box of 21 between the header and the message line, 19 lines inside its frame.
     * The help's lines wider than the box go on over the next line, so it shows more lines than
     * the text has. */
    tui_rect box, body;
    int shown;
    tui_popup_geometry(&t, &box, &body, &shown);
    assert_int_equal(body.h, 19);
    assert_true(shown > lines);
    assert_int_equal(t.popup.scroll, shown - 19);
    tui_key_press(&t, 'k');
    assert_int_equal(t.popup.scroll, shown - 20);
    tui_key_press(&t, 'z'); /* closes the popup, and does nothing else */
    assert_null(t.popup.text);
    assert_int_equal(t.ws->count, 0);
    finish(&t);
}

/* A sweep shows as a chart: with no intervention the two curves coincide (only '▒'); with h1[1]
 * zeroed at y = 5 they part for 0 < x < 5 (intervened x + 5 above clean 5) and meet from x = 5 on
 * (at x = 5 both are 10: the diagonal's 2 x 5). The curves are lines between the 11 points. */
static int count_of(const char *from, const char *to, const char *glyph)
{
    int n = 0;
    for (const char *p = strstr(from, glyph); p && p < to; p = strstr(p + 1, glyph))
        n++;
    return n;
}

/* The chart's plot as rows of wide characters (the cells right of '|'), top row first, and the
 * rows that hold the value `label` ("10"). Returns the rows. */
static int chart_rows(const char *text, wchar_t rows[][256], int max, const char *label, int *at)
{
    const char *p = strstr(text, "▒ both\n");
    assert_non_null(p);
    p = strchr(p, '\n') + 1;
    int n = 0;
    *at = -1;
    for (const char *nl; n < max && (nl = strchr(p, '\n')); p = nl + 1) {
        char whole[1024];
        snprintf(whole, sizeof whole, "%.*s", (int)(nl - p), p);
        char *bar = strchr(whole, '|');
        if (!bar || strstr(whole, "+--")) /* the x axis ends the plot */
            break;
        mbstowcs(rows[n], bar + 1, 255);
        *bar = '\0';
        if (*at < 0 && strstr(whole, label))
            *at = n;
        n++;
    }
    return n;
}

static void test_sweep_chart(void **state)
{
    (void)state;
    tui t;
    start(&t, 40, 120, false);
    tui_run(&t, "input 3 5; sweep input[x] 0 10 11");
    assert_non_null(t.popup.text);
    assert_non_null(strstr(t.popup.text, "output as x runs from 0 to 10"));
    const char *legend = "▒ both\n"; /* the plot starts after the legend line */
    const char *plot = strstr(t.popup.text, legend) + strlen(legend), *end = plot + strlen(plot);
    assert_int_equal(count_of(plot, end, "█"), 0);
    assert_int_equal(count_of(plot, end, "·"), 0);
    assert_true(count_of(plot, end, "▒") > 11); /* the points and the lines between them */
    tui_popup_free(&t.popup);
    tui_run(&t, "ablate h1[1] zero; sweep input[x] 0 10 11");
    static wchar_t rows[64][256];
    int top;
    int n = chart_rows(t.popup.text, rows, 64, "10", &top);
    assert_true(n > 10);
    int width = (int)wcslen(rows[0]), x5 = -1;
    /* x = 5 is the column where the curves reach the top row together */
    for (int c = 0; c < width && x5 < 0; c++)
        if (rows[top][c] == L'▒')
            x5 = c;
    assert_true(x5 > width / 3 && x5 < width * 2 / 3);
    int parted = 0;
    for (int c = 0; c < width; c++) {
        int intervened = -1, clean = -1;
        for (int r = 0; r < n; r++) {
            if (rows[r][c] == L'█' && intervened < 0)
                intervened = r;
            if (rows[r][c] == L'·')
                clean = r;
        }
        if (c > x5) /* from x = 5 on, one curve */
            assert_true(intervened < 0 && clean < 0);
        if (intervened >= 0 && clean >= 0) {
            assert_true(intervened < clean); /* x + 5 above 5 */
            parted++;
        }
    }
    assert_true(parted > width / 4);
    finish(&t);
}

/* The second lecture runs start to end, and its numbers are the ones its captions quote. */
static void test_why_zero_demo(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/lectures/why-zero-ablation-misleads.demo", srcdir);
    tui t;
    start(&t, 30, 100, false);
    iv_error err;
    t.demo = tui_demo_load(path, &err);
    if (!t.demo)
        fail_msg("%s", err.msg);
    tui_demo_step(&t, 1);
    assert_false(t.message_is_error);
    assert_non_null(strstr(t.popup.text, "h1[1]    6.818182  28.18182"));
    assert_non_null(strstr(t.popup.text, "4.728775"));
    for (int i = 1; i < t.demo->n_steps; i++) {
        tui_key_press(&t, ']');
        if (t.message_is_error)
            fail_msg("step %d: %s", i + 1, t.message);
    }
    assert_int_equal(t.demo->current, t.demo->n_steps - 1);
    tui_draw(&t);
    free(path);
    finish(&t);
}

/* The analysis keys: compare, optimal, regions, and the map's measure. */
static void test_analysis_keys(void **state)
{
    (void)state;
    tui t;
    start(&t, 40, 120, false);
    tui_key_press(&t, KEY_RIGHT); /* h1[1] */
    tui_key_press(&t, 'C');
    assert_string_equal(t.echo, "compare h1"); /* no selection: the whole layer */
    assert_non_null(t.popup.text);
    assert_non_null(strstr(t.popup.text, "h1[1]    6.818182  28.18182"));
    tui_key_press(&t, 'x'); /* closes the popup */
    tui_key_press(&t, 'R');
    assert_string_equal(t.echo, "regions h1");
    assert_non_null(t.popup.text);
    assert_non_null(strstr(t.popup.text, "regions=h1"));
    tui_key_press(&t, 'x'); /* closes the popup */
    tui_key_press(&t, 'o');
    assert_string_equal(t.echo, "ablate h1[1] optimal");
    assert_int_equal(t.ws->list[0].kind, IV_OPTIMAL);
    assert_false(t.map_output);
    tui_key_press(&t, 'e');
    assert_true(t.map_output);
    tui_run(&t, "cursor input[x]");
    assert_null(tui_key_command(&t, 'R')); /* the input is not a layer */
    finish(&t);
}

/* A wide site shows a window of TUI_SITE_LINES lines that follows the cursor; clicks map back
 * to the neurons in view. */
static void test_wide_site_window(void **state)
{
    (void)state;
    iv_buf text = {0};
    iv_buf_printf(&text, "inputs");
    for (int i = 0; i < 784; i++)
        iv_buf_printf(&text, " p%d", i);
    iv_buf_printf(&text, "\nlayer out identity\n  weights\n   ");
    for (int i = 0; i < 784; i++)
        iv_buf_printf(&text, " 1");
    iv_buf_printf(&text, "\n");
    iv_error err;
    iv_model *m = iv_model_parse(text.data, "wide.nn", &err);
    iv_buf_free(&text);
    if (!m)
        fail_msg("%s", err.msg);
    tui t;
    start_model(&t, m, 24, 80, false);
    tui_run(&t, "cursor input[700]");
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    assert_int_equal(lay.row[0].site, 0);
    assert_true(lay.row[0].lines <= TUI_SITE_LINES);
    tui_rect r;
    assert_int_equal(tui_layout_cell(&t, &lay, 0, 700, &r), 0);
    assert_int_equal(tui_layout_cell(&t, &lay, 0, 0, &r), -1); /* scrolled out of view */
    assert_int_equal(tui_layout_cell(&t, &lay, 0, 700, &r), 0);
    int site, neuron;
    assert_int_equal(tui_layout_hit(&t, &lay, r.y, r.x + 1, &site, &neuron), 0);
    assert_int_equal(neuron, 700);
    tui_draw(&t); /* and it draws (under ASan: within bounds) */
    finish(&t);
}

static void test_cursor_bounds_and_pre(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    for (int i = 0; i < 10; i++)
        tui_key_press(&t, KEY_RIGHT);
    assert_int_equal(t.cur_neuron, 3); /* h1 has 4 */
    tui_key_press(&t, KEY_DOWN);       /* to h2: the cursor is clamped to its width */
    assert_int_equal(t.cur_site, iv_model_site_find(t.ws->model, "h2"));
    assert_int_equal(t.cur_neuron, 1);
    for (int i = 0; i < 10; i++)
        tui_key_press(&t, KEY_DOWN);
    assert_int_equal(t.cur_site, iv_model_output_site(t.ws->model));
    tui_key_press(&t, 'P');
    tui_key_press(&t, KEY_UP);
    assert_int_equal(t.cur_site, iv_model_site_find(t.ws->model, "out.pre"));
    tui_run(&t, "cursor input[y]");
    assert_int_equal(t.cur_site, 0);
    assert_int_equal(t.cur_neuron, 1);
    finish(&t);
}

static void test_quit_asks_when_unsaved(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_key_press(&t, 'q');
    assert_true(t.quit);
    t.quit = false;
    tui_key_press(&t, 'z');
    tui_key_press(&t, 'q');
    assert_false(t.quit);
    assert_non_null(strstr(t.message, "unsaved"));
    tui_key_press(&t, 'q');
    assert_true(t.quit);
    finish(&t);
}

static void test_mouse_hit(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    int h2 = iv_model_site_find(t.ws->model, "h2");
    tui_rect r;
    assert_int_equal(tui_layout_cell(&t, &lay, h2, 1, &r), 0);
    int site, neuron;
    assert_int_equal(tui_layout_hit(&t, &lay, r.y, r.x + 2, &site, &neuron), 0);
    assert_int_equal(site, h2);
    assert_int_equal(neuron, 1);
    tui_click(&t, site, neuron);
    assert_int_equal(t.cur_site, h2);
    assert_true(tui_selected(&t, h2, 1));
    assert_int_equal(tui_layout_hit(&t, &lay, 0, 0, &site, &neuron), -1); /* the header */
    finish(&t);
}

static void test_errors_keep_session(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5; ablate h1[1] zero");
    assert_int_equal(tui_run(&t, "ablate h1[9] zero"), -1);
    assert_true(t.message_is_error);
    assert_non_null(strstr(t.message, "no neuron 9 in h1"));
    assert_int_equal(tui_run(&t, "load /nonexistent/file.iv"), -1);
    assert_int_equal(tui_run(&t, "model /nonexistent.nn"), -1);
    assert_int_equal(t.ws->count, 1);
    assert_float_equal(t.ws->base[0], 3, 0);
    finish(&t);
}

/* The UI's commands get their names on their errors as the engine's do, once; a result's type picks
 * where it shows: a new intervention on the message line, a caption there, a sweep as a chart. */
static void test_messages_by_type_and_prefix(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    assert_int_equal(tui_run(&t, "view bogus"), -1);
    assert_string_equal(t.message, "view: expected intervened, clean, diff, source or next, got "
                                   "'bogus'");
    assert_int_equal(tui_run(&t, "cursor h9"), -1);
    assert_true(t.message_is_error);
    assert_int_equal(strncmp(t.message, "cursor: ", 8), 0);
    assert_null(strstr(t.message + 8, "cursor: "));
    assert_int_equal(tui_run(&t, "select"), -1);
    assert_string_equal(t.message, "select: expected ADDR or none");
    assert_int_equal(tui_run(&t, "demo"), -1);
    assert_string_equal(t.message, "demo: not in lecture mode (start with intervene --demo FILE)");
    assert_int_equal(tui_run(&t, "seed abc"), -1);
    assert_string_equal(t.message, "seed: 'abc' is not a whole number >= 0");
    tui_run(&t, "say a caption");
    assert_false(t.message_is_error);
    assert_string_equal(t.message, "a caption");
    assert_null(t.popup.text);
    tui_run(&t, "input 3 5; ablate h1[1] zero");
    assert_non_null(strstr(t.message, "#1 zero h1[1]"));
    assert_null(t.popup.text);
    tui_run(&t, "show");
    assert_non_null(t.popup.text);
    free(t.popup.text);
    t.popup.text = NULL;
    assert_int_equal(tui_run(&t, "q"), -1); /* unsaved: asked, as it is */
    assert_int_equal(strncmp(t.message, "there are unsaved interventions", 31), 0);
    finish(&t);
}

/* A lecture step whose command fails shows that command's message. */
static void test_demo_step_failure_message(void **state)
{
    (void)state;
    char path[] = "/tmp/iv-demo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "say one\ninput 3 5\n\nsay two\nablate h1[9] zero\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    tui t;
    start(&t, 24, 80, false);
    iv_error err;
    t.demo = tui_demo_load(path, &err);
    unlink(path);
    if (!t.demo)
        fail_msg("%s", err.msg);
    assert_int_equal(tui_run(&t, "demo next"), 0);
    assert_int_equal(tui_run(&t, "demo next"), -1);
    assert_true(t.message_is_error);
    assert_int_equal(strncmp(t.message, "ablate: ", 8), 0);
    assert_non_null(strstr(t.message, "no neuron 9"));
    finish(&t);
}

/* An error too long for the message line goes on in place of the keys' hint, so its reason shows. */
static void test_long_error_shows_its_reason(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    assert_int_equal(tui_run(&t, "limit memory 8M; data grid x=0:999:1 y=0:999:1"), -1);
    tui_draw(&t);
    char *screen_text = dump(false);
    const char *last = screen_text + strlen(screen_text) - 81; /* the last row and its newline */
    if (!strstr(last, "limit memory 128M"))
        fail_msg("the last line does not end the message:\n%s", screen_text);
    assert_null(strstr(screen_text, "? help"));
    free(screen_text);
    tui_run(&t, "limit memory 2G");
    assert_int_equal(t.ws->data->n, 121); /* the old dataset stays */
    finish(&t);
}

static void test_demo_steps_back_and_forth(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/lectures/zero-ablation.demo", srcdir);
    tui t;
    start(&t, 24, 80, false);
    iv_error err;
    t.demo = tui_demo_load(path, &err);
    if (!t.demo)
        fail_msg("%s", err.msg);
    int out = iv_model_output_site(t.ws->model);
    tui_demo_step(&t, 1);
    tui_demo_step(&t, 1);
    assert_float_equal(t.ws->intervened->site[out][0], 8, 0); /* step 2: zero h1[1] */
    for (int i = 0; i < 3; i++)
        tui_demo_step(&t, 1);
    assert_float_equal(t.ws->intervened->site[out][0], 0, 0); /* step 5: patch h1[0] */
    tui_demo_step(&t, 1);
    assert_float_equal(t.ws->intervened->site[out][0], 3, 0); /* step 6: patch h1[0:2] */
    tui_demo_step(&t, -1);
    assert_int_equal(t.demo->current, 4);
    assert_float_equal(t.ws->intervened->site[out][0], 0, 0);
    assert_int_equal(t.ws->count, 1);
    for (int i = 0; i < 10; i++)
        tui_demo_step(&t, 1);
    assert_int_equal(t.demo->current, t.demo->n_steps - 1);
    free(path);
    finish(&t);
}

/* Stepping back replays the earlier steps without their popups: step 1's comparison table does
 * not cover step 2 when one comes back to it from step 3. */
static void test_demo_back_closes_earlier_popups(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/lectures/why-zero-ablation-misleads.demo", srcdir);
    tui t;
    start(&t, 24, 80, false);
    iv_error err;
    t.demo = tui_demo_load(path, &err);
    if (!t.demo)
        fail_msg("%s", err.msg);
    tui_demo_step(&t, 1);
    assert_non_null(t.popup.text); /* compare h1 */
    tui_demo_step(&t, 1);
    tui_demo_step(&t, 1);
    assert_non_null(t.popup.text); /* regions h2 */
    tui_demo_step(&t, -1);
    assert_int_equal(t.demo->current, 1);
    assert_null(t.popup.text);
    free(path);
    finish(&t);
}

/* An empty `say` makes no step, and frees what it allocated (LeakSanitizer runs this in the
 * sanitizer build; a fuzzer found the leak). */
static void test_demo_empty_caption(void **state)
{
    (void)state;
    char path[] = "/tmp/iv-demo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "say\n\nsay two\ninput 3 5\n\nsay\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    iv_error err;
    tui_demo *d = tui_demo_load(path, &err);
    unlink(path);
    if (!d)
        fail_msg("%s", err.msg);
    assert_int_equal(d->n_steps, 1);
    assert_string_equal(d->caption[0], "two");
    tui_demo_free(d);
}

/* ---- the clipped-text drawer -------------------------------------------------------------------- */

/* What one cell of the screen holds: its character, and through attrs its attributes. */
static wchar_t cell_at(int y, int x, attr_t *attrs)
{
    cchar_t cell;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t a;
    short pair;
    mvin_wch(y, x, &cell);
    getcchar(&cell, wc, &a, &pair, NULL);
    if (attrs)
        *attrs = a & ~A_COLOR;
    return wc[0];
}

/* Cells y, x .. x + n - 1 as a narrow string, a wide character counting once (its second cell is
 * skipped) and as '@', so that expected rows stay ASCII. */
static void row_text(int y, int x, int n, char *out)
{
    int k = 0;
    for (int c = x; c < x + n; c++) {
        wchar_t wc = cell_at(y, c, NULL);
        if (wcwidth(wc) == 2) {
            out[k++] = '@';
            c++;
        } else {
            out[k++] = wc < 128 ? (char)wc : '%';
        }
    }
    out[k] = '\0';
}

static void fill_screen(void)
{
    for (int y = 0; y < 5; y++)
        mvhline(y, 0, '#', 20);
}

static void test_draw_clipped_edges(void **state)
{
    (void)state;
    open_screen(5, 20, false);
    const tui_rect r = {1, 2, 3, 8}; /* screen rows 1..3, columns 2..9 */
    char got[32];

    /* Bad bytes are one '?' each and decoding resumes after them: a stray byte, a sequence cut by
     * a good byte, and one cut by the end of the string. */
    fill_screen();
    assert_int_equal(tui_draw_clipped(&r, 0, 0, 8, "a\xff" "b\xe2\x82" "c\xe2", A_NORMAL), 7);
    row_text(1, 0, 12, got);
    assert_string_equal(got, "##a?b??c?###");
    assert_int_equal(tui_text_width("a\xff" "b\xe2\x82" "c\xe2"), 7);

    /* A double-width character that would cross the limit is left out, its column blanked in the
     * text's attribute; the cell past the limit is untouched. */
    fill_screen();
    assert_int_equal(tui_draw_clipped(&r, 1, 0, 3, "ab\xe6\xbc\xa2" "c", A_REVERSE), 3);
    row_text(2, 0, 7, got);
    assert_string_equal(got, "##ab ##");
    attr_t a;
    assert_int_equal(cell_at(2, 4, &a), L' ');
    assert_true(a & A_REVERSE);
    /* ... and the same at the rectangle's right edge, while one that fits is drawn whole. */
    fill_screen();
    assert_int_equal(tui_draw_text(&r, 1, 5, "\xe6\xbc\xa2\xe6\xbc\xa2", A_NORMAL), 3);
    row_text(2, 0, 11, got);
    assert_string_equal(got, "#######@ #");
    assert_int_equal(tui_text_width("\xe6\xbc\xa2\xe6\xbc\xa2"), 4);
    int cols;
    assert_int_equal(tui_text_fit("ab\xe6\xbc\xa2" "c", 3, &cols), 2);
    assert_int_equal(cols, 2);

    /* No columns, or a place outside the rectangle: nothing is drawn. */
    fill_screen();
    assert_int_equal(tui_draw_clipped(&r, 0, 0, 0, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_clipped(&r, 0, 0, -4, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_padded(&r, 0, 0, 0, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, -1, 0, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, 3, 0, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, 0, -1, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, 0, 8, "abc", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, 0, 0, "", A_NORMAL), 0);
    assert_int_equal(tui_draw_text(&r, 0, 0, NULL, A_NORMAL), 0);
    const tui_rect off = {3, 18, 1, 8}; /* runs off the screen's right edge */
    assert_int_equal(tui_draw_text(&off, 0, 0, "abcdef", A_NORMAL), 2);
    for (int y = 0; y < 5; y++) {
        row_text(y, 0, 20, got);
        assert_string_equal(got, y == 3 ? "##################ab" : "####################");
    }

    /* Controls are ^X in two columns, a newline ends the text, an accent with nothing before it
     * is dropped and one after a letter joins it. */
    fill_screen();
    assert_int_equal(tui_draw_text(&r, 0, 0, "a\tb\x7f", A_NORMAL), 6);
    row_text(1, 0, 10, got);
    assert_string_equal(got, "##a^Ib^?##");
    fill_screen();
    assert_int_equal(tui_draw_text(&r, 0, 0, "ab\ncd", A_NORMAL), 2);
    assert_int_equal(tui_text_width("ab\ncd"), 2);
    assert_int_equal(tui_draw_text(&r, 1, 0, "\xcc\x81x" "e\xcc\x81", A_NORMAL), 2);
    row_text(1, 0, 6, got);
    assert_string_equal(got, "##ab##");
    assert_int_equal(cell_at(2, 2, NULL), L'x');
    assert_int_equal(cell_at(2, 3, NULL), L'e');
    assert_int_equal(tui_text_width("\xcc\x81x" "e\xcc\x81"), 2);

    /* Padding fills the field exactly, and no further than the rectangle. */
    fill_screen();
    assert_int_equal(tui_draw_padded(&r, 2, 1, 4, "ab", A_NORMAL), 4);
    assert_int_equal(tui_draw_padded(&r, 0, 4, 10, "xy", A_NORMAL), 4);
    row_text(3, 0, 10, got);
    assert_string_equal(got, "###ab  ###");
    row_text(1, 0, 12, got);
    assert_string_equal(got, "######xy  ##");
    close_screen();
}

/* ---- screens ------------------------------------------------------------------------------------ */

static const char lecture_state[] = "input 3 5; source 5 3; ablate h1[1] zero; cursor h1[1]";

static void test_screen_80x24_colour(void **state)
{
    (void)state;
    screen_test("max-80x24-colour", 24, 80, true, lecture_state);
}

static void test_screen_80x24_no_colour(void **state)
{
    (void)state;
    screen_test("max-80x24-nocolour", 24, 80, false, lecture_state);
}

static void test_screen_120x40_colour(void **state)
{
    (void)state;
    screen_test("max-120x40-colour", 40, 120, true,
                "input 3 5; source 5 3; patch h1[0:2]; ablate h2[0] noise seed=3; view diff");
}

static void test_screen_120x40_source_view(void **state)
{
    (void)state;
    screen_test("max-120x40-source-nocolour", 40, 120, false,
                "input 3 5; source 5 3; patch h1[0]; view source; pre on");
}

static void test_screen_too_small(void **state)
{
    (void)state;
    screen_test("too-small-50x15", 15, 50, false, NULL);
}

static void test_screen_help(void **state)
{
    (void)state;
    screen_test("help-80x24", 24, 80, false, "help");
}

/* ---- jobs: a line cancelled part way, and the progress bar -------------------------------------- */

/* Esc as the work would see it: the job is cancelled at its first progress call. */
static void cancel_at_once(const iv_job *job, void *user)
{
    (void)user;
    iv_job_cancel((iv_job *)job);
}

/* A cancelled line is undone whole, the map kept as it was, and the message says so. */
static void test_cancelled_line_changes_nothing(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5");
    assert_true(t.effect_valid);
    double mean_change = t.effect.mean_change;
    iv_job job;
    iv_job_init(&job);
    job.on_progress = cancel_at_once;
    /* The ablation itself or the map after it stops; either way the line is undone. */
    assert_int_equal(tui_run_job(&t, "ablate h1[1] zero", &job), -1);
    assert_int_equal(t.ws->count, 0);
    assert_false(t.ws->unsaved);
    assert_string_equal(t.message, "ablate: cancelled - nothing changed");
    assert_false(t.message_is_error);
    assert_null(t.ws->job);
    assert_true(t.effect_valid);
    assert_true(t.effect.mean_change == mean_change);
    assert_float_equal(t.ws->intervened->site[iv_model_output_site(t.ws->model)][0], 5, 0);
    /* A line of several commands is undone whole, not only the one it stopped in. */
    iv_job_init(&job);
    job.on_progress = cancel_at_once;
    assert_int_equal(tui_run_job(&t, "input 1 2; ablate h1[0] zero; sweep h1[0] 0 1 5", &job), -1);
    assert_non_null(strstr(t.message, ": cancelled - nothing changed"));
    assert_int_equal(t.ws->count, 0);
    assert_float_equal(t.ws->base[0], 3, 0);
    /* A job that runs to its end is a line like any other. */
    iv_job_init(&job);
    assert_int_equal(tui_run_job(&t, "ablate h1[1] zero", &job), 0);
    assert_int_equal(t.ws->count, 1);
    assert_non_null(strstr(t.message, "#1 zero h1[1]"));
    assert_true(t.effect.mean_change > mean_change);
    finish(&t);
}

/* The first map, cancelled, is not started again by every key, only by the next change. */
static void test_cancelled_map_waits_for_a_change(void **state)
{
    (void)state;
    iv_error err;
    ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    open_screen(24, 80, false);
    tui t;
    tui_init(&t, ws);
    t.model_arg = iv_xstrdup("builtin:max");
    t.colour = tui_colour_init();
    t.rows = 24;
    t.cols = 80;
    iv_job job;
    iv_job_init(&job);
    job.on_progress = cancel_at_once;
    assert_int_equal(tui_run_job(&t, "", &job), -1);
    assert_string_equal(t.message, "effect map: cancelled - nothing changed");
    assert_false(t.effect_valid);
    assert_true(t.effect_cancelled);
    tui_run(&t, "cursor up; view next");
    assert_false(t.effect_valid);
    tui_draw(&t); /* the map says why it is missing */
    char *text = dump(false);
    assert_non_null(strstr(text, "cancelled"));
    free(text);
    tui_run(&t, "input 3 5");
    assert_true(t.effect_valid);
    assert_false(t.effect_cancelled);
    finish(&t);
}

static void test_progress_text(void **state)
{
    (void)state;
    char buf[512];
    tui_progress p = {.what = "compare h1[0:2]", .fraction = 0.4, .elapsed = 4};
    size_t tail = tui_progress_text(&p, 100, buf, sizeof buf);
    assert_string_equal(buf + tail, "Esc cancels");
    if (!strstr(buf, "> compare h1[0:2]  [") || !strstr(buf, "]  40%  ~6 s left   Esc cancels"))
        fail_msg("'%s'", buf);
    assert_true(tui_text_width(buf) <= 100);
    /* Until 2% is done the rate says nothing worth a number; at the end no time is left. */
    p.fraction = 0.01;
    tui_progress_text(&p, 100, buf, sizeof buf);
    assert_null(strstr(buf, "left"));
    assert_non_null(strstr(buf, "   1%"));
    p.fraction = 0.5;
    p.elapsed = 200;
    tui_progress_text(&p, 100, buf, sizeof buf);
    assert_non_null(strstr(buf, "~3 min 20 s left"));
    p.busy = true;
    tail = tui_progress_text(&p, 100, buf, sizeof buf);
    assert_string_equal(buf + tail, "busy: Esc cancels");
    p.cancelling = true;
    tail = tui_progress_text(&p, 100, buf, sizeof buf);
    assert_string_equal(buf + tail, "cancelling...");
    assert_null(strstr(buf, "left"));
    /* A long command is cut to fit, and says so; the line never outgrows the screen. */
    p = (tui_progress){.what = "ablate layer0[0:200] noise samples=2000 seed=12345678; effect",
                       .fraction = 0.25, .elapsed = 1};
    for (int width = 60; width <= 200; width += 7) {
        tui_progress_text(&p, width, buf, sizeof buf);
        assert_true(tui_text_width(buf) <= width);
        assert_non_null(strstr(buf, "25%"));
        assert_non_null(strstr(buf, "Esc cancels"));
    }
    tui_progress_text(&p, 80, buf, sizeof buf);
    assert_non_null(strstr(buf, "...  ["));
    p.what = "";
    tui_progress_text(&p, 80, buf, sizeof buf);
    assert_non_null(strstr(buf, "> the effect map  ["));
}

/* Line y of a screen dump, without its newline. */
static void dump_line(const char *dumped, int y, char *buf, size_t n)
{
    for (; y > 0 && dumped; y--) {
        dumped = strchr(dumped, '\n');
        dumped = dumped ? dumped + 1 : NULL;
    }
    if (!dumped) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, n, "%.*s", (int)strcspn(dumped, "\n"), dumped);
}

/* The bar goes on the message line, above the keys' hint, and nowhere else. */
static void test_progress_drawn_on_message_line(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_draw(&t);
    char *before = dump(false);
    tui_progress p = {.what = "compare h1", .fraction = 0.5, .elapsed = 2};
    tui_draw_progress(&p, t.colour, 24, 80);
    char *after = dump(false);
    for (int y = 0; y < 24; y++) {
        char was[1024], now[1024];
        dump_line(before, y, was, sizeof was);
        dump_line(after, y, now, sizeof now);
        if (y != 22)
            assert_string_equal(was, now);
        else if (!strstr(now, "> compare h1  [") || !strstr(now, "50%  ~2 s left   Esc cancels"))
            fail_msg("'%s'", now);
    }
    free(before);
    free(after);
    finish(&t);
}

/* A number fits its cell with as many digits as the cell holds: a small one drops its leading
 * zero, a big one takes a compact exponent, and '#'s come only when nothing fits. */
static void test_fit_number(void **state)
{
    (void)state;
    struct {
        double v;
        int w;
        const char *want;
    } cases[] = {
        {-0.003325, 5, "-.003"},  {0.003325, 5, "0.003"}, {-0.003325, 7, "-0.0033"},
        {123456789, 5, "1e+08"},  {2e6, 3, "2e6"},        {-2e-7, 5, "-2e-7"},
        {5, 5, "5"},              {-1.5, 4, "-1.5"},      {0, 1, "0"},
        {-123456, 3, "-##"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        tui_fit_number(buf, cases[i].w, cases[i].v);
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%g in %d columns: got '%s', want '%s'", cases[i].v, cases[i].w, buf,
                     cases[i].want);
    }
}

/* ---- the layers panel: cell sizes, labels, indices, signs, scales ------------------------------ */

/* The colour pair of a screen cell. */
static int pair_at(int y, int x)
{
    cchar_t cell;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t attrs;
    short pair;
    mvin_wch(y, x, &cell);
    getcchar(&cell, wc, &attrs, &pair, NULL);
    return pair;
}

/* Every site row lies inside the layers panel, and its cells inside the panel's width. */
static void assert_rows_fit(const tui *t, const tui_layout *lay)
{
    for (int k = 0; k < lay->n_rows; k++) {
        assert_true(lay->row[k].y + lay->row[k].height <= lay->layers.y + lay->layers.h);
        int site = lay->row[k].site;
        for (int i = lay->row[k].first; i < lay->row[k].first + lay->row[k].shown; i++) {
            tui_rect r;
            assert_int_equal(tui_layout_cell(t, lay, site, i, &r), 0);
            assert_true(r.x + r.w <= lay->layers.x + lay->layers.w);
        }
    }
}

/* A large screen has larger cells, taller too, with the value in big digits; 80 x 24 and
 * 120 x 40 still fit every site. */
static void test_cells_grow_with_the_screen(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8"); /* whatever a test before left */
    static const struct { int rows, cols, min_w, min_h; } sizes[] = {
        {24, 80, 8, 1}, {40, 120, 11, 2}, {48, 160, 16, 3},
    };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        tui t;
        start(&t, sizes[k].rows, sizes[k].cols, false);
        tui_run(&t, lecture_state);
        tui_layout lay;
        tui_layout_compute(&t, &lay);
        assert_int_equal(lay.n_rows, 4);
        assert_int_equal(lay.sites_above + lay.sites_below, 0);
        assert_true(lay.cell_w >= sizes[k].min_w);
        assert_int_equal(lay.cell_h, sizes[k].min_h);
        assert_rows_fit(&t, &lay);
        finish(&t);
    }
    screen_test("max-160x48-colour", 48, 160, true, lecture_state);
    /* out = 8 in big digits, across three lines of its cell */
    tui t;
    start(&t, 48, 160, false);
    tui_run(&t, lecture_state);
    tui_draw(&t);
    char *text = dump(false);
    const char *eight[] = {"█▀█", "█▀█", "▀▀▀"};
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    tui_rect r;
    assert_int_equal(tui_layout_cell(&t, &lay, iv_model_output_site(t.ws->model), 0, &r), 0);
    for (int line = 0; line < 3; line++) {
        char got[512];
        dump_line(text, r.y + line, got, sizeof got);
        if (!strstr(got, eight[line]))
            fail_msg("line %d of the out cell: '%s'", line, got);
    }
    free(text);
    finish(&t);
}

/* Base beside source at 80 x 24: each site on one line, every label under its own cell. */
static void test_source_view_labels_line_up(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8"); /* whatever a test before left */
    screen_test("max-80x24-source-nocolour", 24, 80, false,
                "input 3 5; source 5 3; patch h1[0]; view source");
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5; source 5 3; patch h1[0]; view source");
    tui_draw(&t);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    assert_int_equal(lay.n_rows, 4);
    for (int k = 0; k < lay.n_rows; k++) {
        int site = lay.row[k].site;
        assert_int_equal(lay.row[k].lines, lay.cell_h); /* one line of cells: no wrap */
        for (int i = 0; i < iv_model_site_width(t.ws->model, site); i++) {
            tui_rect r;
            assert_int_equal(tui_layout_cell(&t, &lay, site, i, &r), 0);
            assert_int_equal(r.y, lay.row[k].y);
            const char *label = iv_model_neuron_label(t.ws->model, site, i);
            if (!label)
                continue;
            char under[64];
            row_text(r.y + r.h, r.x, r.w - 1, under);
            if (!strstr(under, label))
                fail_msg("site %d neuron %d: '%s' is not under its cell ('%s')", site, i, label,
                         under);
        }
    }
    finish(&t);
}

/* A student's 784-64-10 MLP in the text format: no labels, more sites than fit. */
static iv_model *student_mlp(void)
{
    static const int widths[] = {784, 64, 10};
    iv_buf text = {0};
    iv_buf_printf(&text, "model student\ninputs");
    for (int i = 0; i < widths[0]; i++)
        iv_buf_printf(&text, " p%d", i);
    iv_buf_printf(&text, "\n");
    for (int l = 1; l < 3; l++) {
        iv_buf_printf(&text, "layer layer%d %s\n  weights\n", l - 1, l < 2 ? "relu" : "identity");
        for (int o = 0; o < widths[l]; o++) {
            iv_buf_printf(&text, "   ");
            for (int i = 0; i < widths[l - 1]; i++)
                iv_buf_printf(&text, " %d", (o * 7 + i * 3) % 5 - 2);
            iv_buf_printf(&text, "\n");
        }
    }
    iv_error err;
    iv_model *m = iv_model_parse(text.data, "student.nn", &err);
    iv_buf_free(&text);
    if (!m)
        fail_msg("%s", err.msg);
    return m;
}

static void test_unlabelled_neurons_show_indices(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8"); /* whatever a test before left */
    tui t;
    start_model(&t, student_mlp(), 24, 80, false);
    tui_run(&t, "cursor layer0[37]");
    tui_draw(&t);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    char *text = dump(false);
    char line[512];
    dump_line(text, lay.layers.y, line, sizeof line);
    if (!strstr(line, "layer0[37] = ") || !strstr(line, "v 1 more"))
        fail_msg("title: '%s'", line);
    int layer0 = iv_model_site_find(t.ws->model, "layer0");
    tui_rect r;
    assert_int_equal(tui_layout_cell(&t, &lay, layer0, 37, &r), 0);
    char under[64];
    row_text(r.y + r.h, r.x, r.w - 1, under);
    assert_non_null(strstr(under, "[37]"));
    assert_int_equal(tui_layout_cell(&t, &lay, layer0, 36, &r), 0);
    row_text(r.y + r.h, r.x, r.w - 1, under);
    assert_non_null(strstr(under, "36"));
    assert_null(strstr(under, "["));
    assert_int_equal(tui_layout_cell(&t, &lay, 0, 0, &r), 0); /* the input, from its first */
    row_text(r.y + r.h, r.x, r.w - 1, under);
    assert_non_null(strstr(under, "p0"));
    free(text);
    /* At the last site, the first is above the screen. */
    tui_run(&t, "cursor layer1[3]");
    tui_draw(&t);
    text = dump(false);
    dump_line(text, lay.layers.y, line, sizeof line);
    if (!strstr(line, "layer1[3] = ") || !strstr(line, "^ 1 more"))
        fail_msg("title: '%s'", line);
    assert_null(strstr(line, "v 1 more"));
    free(text);
    finish(&t);
}

/* Without colour, a negative cell and a positive one differ by their glyphs, in UTF-8 and ASCII. */
static void test_no_colour_shows_sign(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8"); /* whatever a test before left */
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5; pre on; cursor h1.pre[0]");
    tui_draw(&t);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    int pre = iv_model_site_find(t.ws->model, "h1.pre");
    tui_rect neg, pos;
    assert_int_equal(tui_layout_cell(&t, &lay, pre, 0, &neg), 0); /* y - x... x - y = -2 */
    assert_int_equal(tui_layout_cell(&t, &lay, pre, 1, &pos), 0); /* y - x = 2 */
    assert_true(t.ws->clean->site[pre][0] < 0 && t.ws->clean->site[pre][1] > 0);
    wchar_t n = cell_at(neg.y, neg.x + 1, NULL), p = cell_at(pos.y, pos.x + 1, NULL);
    assert_int_equal(n, L'─');
    assert_int_equal(p, L'▒');
    finish(&t);
    assert_string_equal(tui_colour_signed_shade(2, 5), tui_colour_shade(2, 5));
    assert_string_equal(tui_colour_signed_shade(-0.1, 1), "╌");
    assert_string_equal(tui_colour_signed_shade(-1, 1), "━");
    assert_string_equal(tui_colour_signed_shade(0, 1), " ");
    /* LANG=C: ASCII, and still two families */
    setlocale(LC_ALL, "C");
    open_screen(24, 80, false);
    tui_colour_init();
    assert_string_equal(tui_colour_signed_shade(-0.4, 1), "~");
    assert_string_equal(tui_colour_signed_shade(0.4, 1), ":");
    assert_string_equal(tui_colour_signed_shade(-1, 1), "@");
    close_screen();
    setlocale(LC_ALL, "C.UTF-8");
    open_screen(24, 80, false);
    tui_colour_init(); /* UTF-8 glyphs again for the tests after this one */
    close_screen();
}

/* 'scale shared' colours every site on one scale (the largest |value| shown): h2[1] = 3 goes from
 * 3 of h2's 5 to 3 of out's 8. The key S issues 'scale', which toggles. */
static void test_shared_scale(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8"); /* whatever a test before left */
    tui t;
    start(&t, 24, 80, true);
    tui_run(&t, lecture_state);
    int h2 = iv_model_site_find(t.ws->model, "h2");
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    tui_rect r;
    assert_int_equal(tui_layout_cell(&t, &lay, h2, 1, &r), 0);
    assert_false(t.shared_scale);
    tui_draw(&t);
    assert_int_equal(pair_at(r.y, r.x + 2), PAIR_NUMBER(tui_colour_attr(t.colour, 3, 5)));
    assert_float_equal(tui_site_scale(&t, h2, false), 5, 0);
    assert_int_equal(tui_run(&t, "scale shared"), 0);
    assert_true(t.shared_scale);
    assert_float_equal(tui_site_scale(&t, h2, false), 8, 0);
    tui_draw(&t);
    assert_int_equal(pair_at(r.y, r.x + 2), PAIR_NUMBER(tui_colour_attr(t.colour, 3, 8)));
    assert_int_not_equal(PAIR_NUMBER(tui_colour_attr(t.colour, 3, 8)),
                         PAIR_NUMBER(tui_colour_attr(t.colour, 3, 5)));
    char *text = dump(false), line[512];
    dump_line(text, lay.layers.y, line, sizeof line);
    assert_non_null(strstr(line, "scale shared"));
    free(text);
    char *c = tui_key_command(&t, 'S');
    assert_string_equal(c, "scale");
    free(c);
    tui_key_press(&t, 'S');
    assert_string_equal(t.echo, "scale");
    assert_false(t.shared_scale);
    tui_draw(&t);
    assert_int_equal(pair_at(r.y, r.x + 2), PAIR_NUMBER(tui_colour_attr(t.colour, 3, 5)));
    text = dump(false);
    dump_line(text, lay.layers.y, line, sizeof line);
    assert_non_null(strstr(line, "scale per site"));
    free(text);
    assert_int_equal(tui_run(&t, "scale site"), 0);
    assert_false(t.shared_scale);
    assert_int_equal(tui_run(&t, "scale bogus"), -1);
    assert_string_equal(t.message, "scale: expected shared or site, got 'bogus'");
    assert_false(t.shared_scale);
    char *help = tui_help_text();
    assert_non_null(strstr(help, "  scale   [shared|site]"));
    assert_non_null(strstr(help, "  S        colour scale"));
    free(help);
    finish(&t);
}

/* Runs commands on a state already set up, and compares its screen with a saved dump. */
static void screen_test_state(tui *t, const char *name, const char *commands)
{
    assert_int_equal(tui_run(t, commands), 0);
    tui_draw(t);
    char *got = dump(t->colour != TUI_COLOUR_NONE);
    compare_with(name, got);
    free(got);
}

/* ---- the output panel, big digits, the legend, images ------------------------------------------ */

/* A dense MLP in the text format, n_in - hidden - n_out, with fixed weights that vary enough to
 * give every output its own value; `last` the output layer's activation. */
static iv_model *mlp_model(int n_in, int hidden, int n_out, const char *last)
{
    iv_buf text = {0};
    iv_buf_printf(&text, "model mlp\ninputs");
    for (int i = 0; i < n_in; i++)
        iv_buf_printf(&text, " p%d", i);
    iv_buf_printf(&text, "\nlayer h relu\n  weights\n");
    for (int o = 0; o < hidden; o++) {
        for (int i = 0; i < n_in; i++)
            iv_buf_printf(&text, " %d", (o * 7 + i * 13) % 11 - 4);
        iv_buf_printf(&text, "\n");
    }
    iv_buf_printf(&text, "  bias\n");
    for (int o = 0; o < hidden; o++)
        iv_buf_printf(&text, " %g", 0.25 * (o % 3));
    iv_buf_printf(&text, "\nlayer out %s\n  weights\n", last);
    for (int o = 0; o < n_out; o++) {
        for (int i = 0; i < hidden; i++)
            iv_buf_printf(&text, " %g", ((o * 5 + i * 3) % 7 - 3) / 10.0);
        iv_buf_printf(&text, "\n");
    }
    iv_error err;
    iv_model *m = iv_model_parse(text.data, "mlp.nn", &err);
    iv_buf_free(&text);
    if (!m)
        fail_msg("%s", err.msg);
    return m;
}

/* The output panel's lines: the right-hand columns of screen lines first .. last. */
static void panel_line(const char *dumped, int y, int x, char *buf, size_t n)
{
    char line[2048];
    dump_line(dumped, y, line, sizeof line);
    const char *p = line;
    for (int c = 0; c < x && *p; c++) /* columns, not bytes: the layers' shade glyphs */
        p += mblen(p, MB_CUR_MAX) > 0 ? mblen(p, MB_CUR_MAX) : 1;
    snprintf(buf, n, "%s", p);
}

/* A row of the output table: its name, and its three numbers as drawn, with where each ends. */
typedef struct table_row {
    char name[16];
    double v[3];
    int end[3];
    bool ok;
} table_row;

static table_row parse_row(const char *s)
{
    table_row row = {.ok = false};
    int used = 0, pos = 0;
    if (sscanf(s, " %15s%n", row.name, &used) != 1 || (row.name[0] != '[' && row.name[0] != '>'))
        return row;
    pos = used;
    for (int k = 0; k < 3; k++) {
        char *end;
        row.v[k] = strtod(s + pos, &end);
        if (end == s + pos)
            return row;
        pos = (int)(end - s);
        row.end[k] = pos;
    }
    row.ok = true;
    return row;
}

/* Ten outputs: as many rows as fit, then how many more; every number whole and the columns
 * lined up; at 160 x 48 all ten. */
static void test_output_table_of_ten(void **state)
{
    (void)state;
    const int sizes[][2] = {{24, 80}, {40, 120}, {48, 160}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        tui t;
        start_model(&t, mlp_model(20, 16, 10, "identity"), sizes[s][0], sizes[s][1], false);
        assert_int_equal(tui_run(&t, "input p0=1 p1=2 p3=-1; ablate out[0] zero"), 0);
        tui_draw(&t);
        char *text = dump(false);
        tui_layout lay;
        tui_layout_compute(&t, &lay);
        const float *clean = t.ws->clean->site[iv_model_output_site(t.ws->model)];
        int rows = 0, ends[3] = {0};
        bool more = false;
        for (int y = lay.output.y; y < lay.output.y + lay.output.h; y++) {
            char line[512];
            panel_line(text, y, lay.output.x, line, sizeof line);
            more |= strstr(line, " more (show out)") != NULL;
            table_row row = parse_row(line);
            if (!row.ok)
                continue;
            /* The row's numbers are the clean value, the intervened one and their difference,
             * each to the digits it shows: none was cut. */
            int k = atoi(row.name + 1);
            assert_int_equal(k, rows);
            assert_true(fabs(row.v[0] - clean[k]) <= 1e-3 * fmax(1, fabs(clean[k])));
            assert_true(fabs(row.v[2] - (row.v[1] - row.v[0])) <= 2e-3 * fmax(1, fabs(row.v[0])));
            for (int c = 0; c < 3; c++) {
                if (rows > 0)
                    assert_int_equal(row.end[c], ends[c]);
                ends[c] = row.end[c];
            }
            assert_true(ends[2] <= lay.output.w);
            rows++;
        }
        assert_true(rows >= 4);
        if (sizes[s][1] == 160) {
            assert_int_equal(rows, 10);
            assert_false(more);
        } else if (rows < 10) {
            char want[64];
            snprintf(want, sizeof want, "... %d more (show out)", 10 - rows);
            assert_non_null(strstr(text, want));
        }
        free(text);
        finish(&t);
    }
}

/* Outputs of a millionth are numbers, not '#'s. */
static void test_output_small_numbers(void **state)
{
    (void)state;
    iv_error err;
    iv_model *m = iv_model_parse("inputs x y\nlayer out identity\n  weights\n"
                                 "    0.0000012 0\n    0 -0.0000034\n    0.00000056 0.0000001\n",
                                 "small.nn", &err);
    if (!m)
        fail_msg("%s", err.msg);
    tui t;
    start_model(&t, m, 24, 80, false);
    assert_int_equal(tui_run(&t, "input 3 5; ablate out[1] zero"), 0);
    tui_draw(&t);
    char *text = dump(false);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    int rows = 0;
    for (int y = lay.output.y; y < lay.output.y + lay.output.h; y++) {
        char line[512];
        panel_line(text, y, lay.output.x, line, sizeof line);
        assert_null(strchr(line, '#'));
        table_row row = parse_row(line);
        if (!row.ok)
            continue;
        const float *clean = t.ws->clean->site[iv_model_output_site(t.ws->model)];
        /* as many digits as the column holds: one, for -1.7e-05 in seven columns */
        assert_true(fabs(row.v[0] - clean[rows]) <= 0.3 * fabs(clean[rows]));
        rows++;
    }
    assert_int_equal(rows, 3);
    free(text);
    finish(&t);
}

/* The lines of the output panel as one text. */
static char *output_panel_text(const tui *t, const char *dumped)
{
    tui_layout lay;
    tui_layout_compute(t, &lay);
    iv_buf b = {0};
    for (int y = lay.output.y; y < lay.output.y + lay.output.h; y++) {
        char line[1024];
        panel_line(dumped, y, lay.output.x, line, sizeof line);
        iv_buf_printf(&b, "%s\n", line);
    }
    return b.data;
}

/* 'output big' (key O): clean -> intervened in digits three lines tall and the change below;
 * the table, saying why, where the digits do not fit. */
static void test_output_big(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    char *c = tui_key_command(&t, 'O');
    assert_string_equal(c, "output");
    free(c);
    assert_int_equal(tui_run(&t, "input 3 5; ablate h1[1] zero"), 0);
    tui_key_press(&t, 'O');
    assert_true(t.output_big);
    tui_draw(&t);
    char *text = dump(false), *panel = output_panel_text(&t, text);
    assert_non_null(strstr(panel, " change +3 "));
    assert_null(strstr(panel, "intervened"));
    /* "5 > 8" in the 3 x 5 font, two pixel rows a line: the 5's top bar, the 8's. */
    assert_non_null(strstr(panel, " \u2588\u2580\u2580"));
    assert_int_equal(count_of(panel, panel + strlen(panel), "\u2588"), 2 + 1 + 4); /* 5, >, 8 */
    free(panel);
    free(text);
    /* Numbers too long for the panel: the table, and how wide the panel would have to be. */
    assert_int_equal(tui_run(&t, "input 3.14159 5.27183"), 0);
    tui_draw(&t);
    text = dump(false);
    panel = output_panel_text(&t, text);
    assert_non_null(strstr(panel, "(big: needs "));
    assert_non_null(strstr(panel, " intervened  8.41342"));
    free(panel);
    free(text);
    assert_int_equal(tui_run(&t, "output table"), 0);
    assert_false(t.output_big);
    assert_int_equal(tui_run(&t, "output huge"), -1);
    assert_string_equal(t.message, "output: expected big or table, got 'huge'");
    finish(&t);
}

/* In ASCII the digits are '#'s, five lines tall. */
static void test_output_big_ascii(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C");
    tui t;
    start(&t, 24, 80, false);
    assert_int_equal(tui_run(&t, "input 3 5; ablate h1[1] zero; output big"), 0);
    tui_draw(&t);
    char *text = dump(false), *panel = output_panel_text(&t, text);
    assert_non_null(strstr(panel, " ###  "));
    assert_non_null(strstr(panel, " change +3 "));
    assert_int_equal(count_of(panel, panel + strlen(panel), "#"), 11 + 8 + 13); /* 5, >, 8 */
    free(panel);
    free(text);
    finish(&t);
    setlocale(LC_ALL, "C.UTF-8");
}

static void test_screen_output_big(void **state)
{
    (void)state;
    screen_test("max-80x24-big-colour", 24, 80, true,
                "input 3 5; ablate h1[1] zero; output big");
}

/* The legend's labels share one line at every width: "-7.42", the "0" under the bar's middle,
 * "+7.42" (where the layout leaves the legend room at all). */
static void test_legend_labels_on_one_line(void **state)
{
    (void)state;
    int shown = 0, tried = 0;
    for (int cols = 60; cols <= 200; cols += 10)
        for (int rows = 20; rows <= 50; rows += 10) {
            tui t;
            start(&t, rows, cols, cols % 20 == 0);
            tui_key_press(&t, KEY_RIGHT);
            tui_key_press(&t, 'o');
            tui_draw(&t);
            char *text = dump(false);
            const char *lo = strstr(text, "-7.42");
            tried++;
            if (!lo) { /* a layout with no room for the legend */
                free(text);
                finish(&t);
                continue;
            }
            shown++;
            const char *eol = strchr(lo, '\n'), *hi = strstr(lo, "+7.42");
            const char *zero = strchr(lo + 5, '0');
            if (!hi || hi > eol || !zero || zero > hi)
                fail_msg("%d x %d: the legend's labels are not '-7.42 .. 0 .. +7.42': %.*s", cols,
                         rows, (int)(eol - lo), lo);
            free(text);
            finish(&t);
        }
    assert_true(shown >= tried * 3 / 4);
}

static void test_screen_optimal_legend(void **state)
{
    (void)state;
    screen_test("max-80x24-optimal-colour", 24, 80, true, "cursor h1[1]; ablate h1[1] optimal");
}

/* An image input: p(i, i) = 1 for the 28 pixels of the diagonal, the rest 0. */
static char *diagonal_input(void)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "input");
    for (int i = 0; i < 784; i++)
        iv_buf_printf(&b, " %d", i / 28 == i % 28);
    return b.data;
}

/* The cells of the image panel's first image, line by line, from the dump: the two pixel rows of
 * each line and the columns of a 28 x 28 image drawn at its own size. */
static void image_cells(const tui *t, const char *dumped, int col, char out[14][29])
{
    tui_layout lay;
    tui_layout_compute(t, &lay);
    for (int line = 0; line < 14; line++) {
        char text[2048];
        panel_line(dumped, lay.effect.y + 2 + line, lay.effect.x + col, text, sizeof text);
        const char *p = text;
        for (int x = 0; x < 28; x++) {
            out[line][x] = *p == ' ' ? '.' : '#';
            p += *p ? (mblen(p, MB_CUR_MAX) > 0 ? mblen(p, MB_CUR_MAX) : 1) : 0;
        }
        out[line][28] = '\0';
    }
}

/* A 784-input model shows its input as 28 x 28 pixels in place of the effect from the start, the
 * stroke where it was drawn; an ablation of the top half shows in the intervened image and the
 * difference, and not in the clean one. The key I hides it and shows it again. */
static void test_image_of_the_input(void **state)
{
    (void)state;
    tui t;
    start_model(&t, mlp_model(784, 64, 10, "softmax"), 48, 160, false);
    assert_string_equal(t.image_site, "input"); /* a picture is shown as one */
    char *input = diagonal_input();
    assert_int_equal(tui_run(&t, input), 0);
    free(input);
    tui_run(&t, "cursor out[0]"); /* on a site that is no image, I means the input */
    tui_key_press(&t, 'I');
    assert_string_equal(t.echo, "image");
    assert_string_equal(t.image_site, "");
    tui_key_press(&t, 'I');
    assert_string_equal(t.image_site, "input");
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "image of input (28 x 28) in place of the effect"));
    char cells[14][29];
    image_cells(&t, text, 0, cells);
    for (int line = 0; line < 14; line++)
        for (int x = 0; x < 28; x++) /* line k holds pixel rows 2k and 2k + 1 */
            if ((cells[line][x] == '#') != (x / 2 == line))
                fail_msg("line %d of the image: %s", line, cells[line]);
    free(text);
    assert_int_equal(tui_run(&t, "ablate input[0:392] zero"), 0);
    tui_draw(&t);
    text = dump(false);
    char clean[14][29], intervened[14][29], diff[14][29];
    image_cells(&t, text, 0, clean);
    image_cells(&t, text, 30, intervened);
    image_cells(&t, text, 60, diff);
    for (int line = 0; line < 14; line++)
        for (int x = 0; x < 28; x++) {
            bool stroke = x / 2 == line, top = line < 7;
            assert_int_equal(clean[line][x] == '#', stroke);
            assert_int_equal(intervened[line][x] == '#', stroke && !top);
            assert_int_equal(diff[line][x] == '#', stroke && top);
        }
    free(text);
    tui_key_press(&t, 'I');
    assert_string_equal(t.image_site, "");
    finish(&t);
}

/* Which inputs are shown as a picture from the start: 8 x 8 and larger squares; four or sixteen
 * inputs are only a coincidence of numbers (they still draw on request). */
static void test_image_shown_from_the_start(void **state)
{
    (void)state;
    const struct { int inputs; const char *shown; } cases[] = {
        {16, ""}, {20, ""}, {64, "input"}, {784, "input"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tui t;
        start_model(&t, mlp_model(cases[k].inputs, 4, 2, "identity"), 24, 80, false);
        assert_string_equal(t.image_site, cases[k].shown);
        finish(&t);
    }
    tui t;
    start(&t, 24, 80, false); /* the max network: two inputs */
    assert_string_equal(t.image_site, "");
    assert_int_equal(tui_run(&t, "image input"), -1); /* two numbers are no picture */
    finish(&t);
}

/* A hidden site of a square width is an image too; the effect panel comes back with 'image off';
 * a site that is no image is refused, naming it. */
static void test_image_of_a_site(void **state)
{
    (void)state;
    tui t;
    start_model(&t, mlp_model(784, 64, 10, "softmax"), 24, 80, true);
    char *input = diagonal_input();
    assert_int_equal(tui_run(&t, input), 0);
    free(input);
    assert_int_equal(tui_run(&t, "cursor h[3]; image"), 0);
    assert_string_equal(t.image_site, "h");
    assert_int_equal(tui_run(&t, "image out"), -1);
    assert_non_null(strstr(t.message, "image: out has 10 neurons, which is no image"));
    assert_string_equal(t.image_site, "h");
    assert_int_equal(tui_run(&t, "image nowhere"), -1);
    assert_non_null(strstr(t.message, "no site 'nowhere'"));
    assert_int_equal(tui_run(&t, "ablate h[0:8] zero; image input"), 0);
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "image of input (28 x 28"));
    free(text);
    screen_test_state(&t, "digits-80x24-image-h-colour", "image h");
    assert_int_equal(tui_run(&t, "image off"), 0);
    tui_draw(&t);
    text = dump(false);
    assert_null(strstr(text, "image of h"));
    assert_non_null(strstr(text, "effect (no dataset)"));
    free(text);
    finish(&t);
}

/* A model with no dataset: the effect panel says how to make one, naming the model's inputs. */
static void test_no_dataset_hint(void **state)
{
    (void)state;
    tui t;
    start_model(&t, mlp_model(20, 16, 10, "identity"), 24, 80, false);
    assert_null(t.ws->data);
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "effect (no dataset)"));
    assert_non_null(strstr(text, "  :data sample 1000 p0=-1:1 p1=-1:1 "));
    assert_non_null(strstr(text, "(the other 18 inputs are drawn from [0, 1])"));
    free(text);
    /* and the command it gives makes one */
    assert_int_equal(tui_run(&t, "data sample 1000 p0=-1:1 p1=-1:1"), 0);
    assert_non_null(t.ws->data);
    tui_draw(&t);
    text = dump(false);
    assert_null(strstr(text, "no dataset"));
    free(text);
    finish(&t);
}

/* 'metric label': the effect panel scores the classifier against the labels. The worked values
 * (tests/golden/rows_and_labels.iv): the two logits are x and y, the label says y > x; setting
 * the second logit to 0 leaves rows (1,2) and (0,5) wrong, and the cross-entropy rises from
 * 0.3316 to 0.5063 on average. */
static void test_effect_scores_labels(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    tui t;
    start(&t, 24, 80, false);
    char *line = iv_xasprintf("model %s/tests/golden/two_class.nn; data load %s/tests/golden/points.csv;"
                              " metric label bigger; ablate out.pre[1] set 0", srcdir, srcdir);
    assert_int_equal(tui_run(&t, line), 0);
    free(line);
    tui_popup_free(&t.popup); /* the commands' results, over the panel */
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "accuracy (bigger) 1 -> 0.5"));
    assert_non_null(strstr(text, "loss gap +0.1747711 (cross-entropy)"));
    free(text);
    finish(&t);
}

static void test_screen_image_input(void **state)
{
    (void)state;
    tui t;
    start_model(&t, mlp_model(784, 64, 10, "softmax"), 40, 120, true);
    char *input = diagonal_input();
    assert_int_equal(tui_run(&t, input), 0);
    free(input);
    screen_test_state(&t, "digits-120x40-image-colour", "ablate input[0:392] zero; image input");
    finish(&t);
    /* At 120 x 40 the effect panel is 76 columns: clean and intervened at their own size (28
     * columns each), the difference beside them at half. (Without colour, a pixel's shade.) */
    start_model(&t, mlp_model(784, 64, 10, "softmax"), 40, 120, false);
    input = diagonal_input();
    assert_int_equal(tui_run(&t, input), 0);
    free(input);
    tui_draw(&t);
    char *text = dump(false);
    assert_non_null(strstr(text, "image of input (28 x 28) in place of the effect"));
    assert_null(strstr(text, "in blocks of"));
    char clean[14][29];
    image_cells(&t, text, 0, clean);
    for (int line = 0; line < 14; line++)
        for (int x = 0; x < 28; x++)
            if ((clean[line][x] == '#') != (x / 2 == line))
                fail_msg("line %d of the clean image: %s", line, clean[line]);
    free(text);
    finish(&t);
}

/* ---- popups, captions and the result charts ---------------------------------------------------- */

/* Screen row y as UTF-8 text, trailing blanks cut. */
static char *screen_row(int y)
{
    iv_buf b = {0};
    for (int x = 0; x < getmaxx(stdscr); x++) {
        wchar_t wc = cell_at(y, x, NULL);
        char mb[16];
        mbstate_t st = {0};
        size_t n = wcrtomb(mb, wc ? wc : L' ', &st);
        iv_buf_append(&b, mb, n == (size_t)-1 ? 0 : n);
    }
    while (b.len && b.data[b.len - 1] == ' ')
        b.data[--b.len] = '\0';
    return b.data ? b.data : iv_xstrdup("");
}

static bool row_starts(int y, const char *prefix)
{
    char *row = screen_row(y);
    bool yes = strncmp(row, prefix, strlen(prefix)) == 0;
    free(row);
    return yes;
}

/* The row whose text contains s, from row `from` on, or -1. */
static int find_row(int from, const char *s)
{
    for (int y = from; y < getmaxy(stdscr); y++) {
        char *row = screen_row(y);
        bool hit = strstr(row, s) != NULL;
        free(row);
        if (hit)
            return y;
    }
    return -1;
}

static void load_demo(tui *t, const char *name)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/lectures/%s", srcdir, name);
    iv_error err;
    t->demo = tui_demo_load(path, &err);
    if (!t->demo)
        fail_msg("%s", err.msg);
    free(path);
}

/* A popup owns its box: a frame on every row of it, its title alone on the top line, and nothing
 * of it on the message line; when it closes the screen under it comes back. */
static void test_popups_own_their_box(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    load_demo(&t, "why-zero-ablation-misleads.demo");
    tui_demo_step(&t, 1); /* compare h1 */
    tui_draw(&t);
    assert_true(row_starts(1, "┌─ input 3 5; cursor h1[1]; compare h1 ─"));
    /* The table's first line is wider than the screen: it goes on, indented, on the next line,
     * rather than losing its end (the seed) at the edge. */
    assert_true(row_starts(2, "│ dataset="));
    assert_true(row_starts(3, "│   random=\"noise k=3, resample: 10 samples, seed 1\""));
    int bottom = find_row(2, "└─");
    assert_true(bottom > 2);
    for (int y = 2; y < bottom; y++) { /* the map's fragments do not show through */
        assert_int_equal(cell_at(y, 0, NULL), L'│');
        assert_int_equal(cell_at(y, 79, NULL), L'│');
    }
    /* At 24 rows the key hints give the caption their line: the message line is the last. */
    assert_true(row_starts(23, "[1/6] > input 3 5"));
    tui_key_press(&t, ']'); /* closes it, and steps on */
    tui_key_press(&t, ']'); /* regions h2 */
    tui_draw(&t);
    assert_true(row_starts(1, "┌─ regions h2 ─"));
    assert_true(row_starts(23, "[3/6] > regions h2  results below"));
    assert_true(find_row(0, "└─") < 23 - 3); /* above the caption's three lines */
    char *c = dump(false);
    compare_with("why-zero-regions-80x24", c);
    free(c);
    tui_key_press(&t, 'x');
    tui_draw(&t);
    assert_int_equal(find_row(0, "┌─"), -1);
    assert_true(row_starts(1, " intervened"));
    finish(&t);
}

/* The words of a text, one space between each. */
static char *words_of(const char *s)
{
    iv_buf b = {0};
    for (const char *p = s; *p;) {
        p += strspn(p, " \n\t");
        size_t n = strcspn(p, " \n\t");
        if (n)
            iv_buf_printf(&b, "%s%.*s", b.len ? " " : "", (int)n, p);
        p += n;
    }
    return b.data ? b.data : iv_xstrdup("");
}

/* Every caption of both lectures shows whole at 80 x 24, word-wrapped, and covers neither the
 * map's axis nor the effect panel's labels. */
static void test_captions_whole_at_80x24(void **state)
{
    (void)state;
    const char *demos[] = {"zero-ablation.demo", "why-zero-ablation-misleads.demo"};
    for (int d = 0; d < 2; d++) {
        tui t;
        start(&t, 24, 80, false);
        load_demo(&t, demos[d]);
        for (int step = 0; step < t.demo->n_steps; step++) {
            tui_demo_step(&t, 1);
            free(t.popup.text); /* the popup closed, to see the map under it */
            t.popup.text = NULL;
            tui_draw(&t);
            char *want = words_of(t.demo->caption[step]);
            /* The caption's rows, just above the message line: their words are the caption's. At
             * 24 rows the key hints give their line, so the message line is the last row. */
            const int msg = 23;
            char *message = screen_row(msg);
            assert_non_null(strstr(message, "] >")); /* "[2/6] > ablate ..." */
            free(message);
            int lines = 0;
            for (lines = 1; lines < 8; lines++) {
                iv_buf b = {0};
                for (int y = msg - lines; y < msg; y++) {
                    char *row = screen_row(y);
                    iv_buf_printf(&b, "%s\n", row);
                    free(row);
                }
                char *got = words_of(b.data);
                bool same_words = strcmp(got, want) == 0;
                free(got);
                iv_buf_free(&b);
                if (same_words)
                    break;
            }
            if (lines == 8)
                fail_msg("%s step %d: the caption is not shown whole", demos[d], step + 1);
            /* The map's x axis ("y  0 ... 10 x") is on screen above the caption. */
            int axis = find_row(0, "10 x");
            if (axis < 0 || axis >= msg - lines)
                fail_msg("%s step %d: the map's axis is covered", demos[d], step + 1);
            assert_true(find_row(0, "mean |change|") < msg - lines);
            /* A caption of up to three lines leaves the map every one of the grid's 11 rows: y = 0
             * just above the axis, y = 10 ten rows up. */
            if (lines <= 3) {
                char *bottom = screen_row(axis - 1), *top = screen_row(axis - 11);
                if (strncmp(bottom, " 0 ", 3) || strncmp(top, "10 ", 3))
                    fail_msg("%s step %d: the map lost rows:\n%s\n%s", demos[d], step + 1, top,
                             bottom);
                free(bottom);
                free(top);
            }
            free(want);
        }
        finish(&t);
    }
}

/* A caption longer than the room there is shows what fits, and says so. */
static void test_caption_too_long_says_so(void **state)
{
    (void)state;
    char path[] = "/tmp/iv-demo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    iv_buf text = {0};
    for (int i = 0; i < 12; i++)
        iv_buf_printf(&text, "say line %d of a caption far too long for a small screen to hold\n", i);
    iv_buf_printf(&text, "input 3 5\n");
    assert_int_equal(write(fd, text.data, text.len), (ssize_t)text.len);
    close(fd);
    tui t;
    start(&t, 24, 80, false);
    iv_error err;
    t.demo = tui_demo_load(path, &err);
    unlink(path);
    iv_buf_free(&text);
    assert_non_null(t.demo);
    tui_demo_step(&t, 1);
    tui_draw(&t);
    int more = find_row(0, "... (more: ? or resize)");
    assert_int_equal(more, 22); /* on the last caption line, over the message line */
    assert_true(find_row(0, "10 x") < 22 - 3);
    tui_key_press(&t, '?'); /* the help starts with the whole caption */
    assert_non_null(strstr(t.popup.text, "line 11 of a caption"));
    finish(&t);
}

/* Regions over the grid: three maps, y up (the largest at the top), each region its own letter
 * without colour and its own colour with it. */
/* On a projector's screen the regions maps get larger cells: at 160 x 48 each grid point is 4
 * columns by 2 lines, its letter on the lower line, y labelled beside it. */
static void test_regions_map_grows(void **state)
{
    (void)state;
    tui t;
    start(&t, 48, 160, false);
    tui_run(&t, "input 3 5; ablate h1[1] zero; regions h2");
    tui_draw(&t);
    int top = find_row(0, "│ 10 "), bottom = find_row(top, "│  0 ");
    assert_true(top > 0 && bottom > top);
    assert_int_equal(bottom - top, 20); /* 11 rows of 2 lines */
    char *r = screen_row(top);
    assert_non_null(strstr(r, "│ 10 c   c   c   c   c   c   c   c   c   c   d   "));
    free(r);
    r = screen_row(top - 1); /* the upper line of the same cells: no letters */
    assert_null(strchr(r + 10, 'c'));
    free(r);
    finish(&t);
}

static void test_regions_map(void **state)
{
    (void)state;
    for (int colour = 0; colour < 2; colour++) {
        tui t;
        start(&t, 24, 80, colour);
        tui_run(&t, "input 3 5; ablate h1[1] zero; cursor h2[0]");
        tui_key_press(&t, 'R');
        assert_string_equal(t.echo, "regions h2");
        assert_non_null(strstr(t.popup.text, "regions=h2")); /* the text, as batch mode has it */
        tui_draw(&t);
        int top = find_row(0, "│ 10 "), bottom = find_row(top, "│  0 ");
        assert_true(top > 0 && bottom > top);
        assert_int_equal(bottom - top, 10);
        assert_true(find_row(0, "clean") < top);
        assert_true(find_row(0, "flips (45)") < top);
        assert_true(find_row(bottom, "patterns of h2") > bottom);
        if (!colour) {
            char *r = screen_row(top);
            assert_non_null(strstr(r, "│ 10 c c c c c c c c c c d"));     /* y = 10, clean */
            free(r);
            r = screen_row(bottom);
            assert_non_null(strstr(r, "│  0 a b b b b b b b b b b"));     /* y = 0 */
            free(r);
            r = screen_row(top + 5); /* y = 5: the base input (3, 5) marked */
            assert_non_null(strstr(r, "c c c + c d b b b b b"));
            free(r);
        } else {
            /* x = 0 at the top (region 2) and at the bottom (region 0): two colours */
            short pt, pb;
            cchar_t cell;
            wchar_t wc[CCHARW_MAX + 1];
            attr_t a;
            mvin_wch(top, 5, &cell);
            getcchar(&cell, wc, &a, &pt, NULL);
            mvin_wch(bottom, 5, &cell);
            getcchar(&cell, wc, &a, &pb, NULL);
            assert_true(pt > 0 && pb > 0 && pt != pb);
            char *c = dump(true);
            compare_with("regions-80x24-colour", c);
            free(c);
        }
        finish(&t);
    }
}

/* The glyphs of one kind's bar on a screen row, or -1 when the row has no bar of that kind. */
static int bar_on_row(int y, const char *kind, const char *glyph)
{
    char *row = screen_row(y);
    char *at = strstr(row, kind);
    int n = -1;
    if (at) {
        n = 0;
        for (char *p = strstr(at, glyph); p; p = strstr(p + strlen(glyph), glyph))
            n++;
    }
    free(row);
    return n;
}

/* C on the whole layer: the table, then the gaps as bars by neuron, the largest optimal gap first,
 * on a log scale (noise's gap is 10,000 times the others). */
static void test_compare_bars(void **state)
{
    (void)state;
    tui t;
    start(&t, 60, 140, false);
    char *c = tui_key_command(&t, 'C');
    assert_string_equal(c, "compare h1"); /* no selection: the layer under the cursor */
    free(c);
    tui_run(&t, "select h1[2]");
    c = tui_key_command(&t, 'C');
    assert_string_equal(c, "compare h1[2]");
    free(c);
    tui_run(&t, "select none");
    tui_key_press(&t, 'C');
    assert_string_equal(t.echo, "compare h1");
    tui_draw(&t);
    assert_true(find_row(0, "h1[1]    6.818182  28.18182") > 0); /* the table */
    int legend = find_row(0, "██ zero");
    assert_true(legend > find_row(0, "h1[1]    6.818182"));
    /* groups by optimal gap: h1 9.83, h1[0] and h1[1] 4.73 (table order), h1[2] and h1[3] 3.94 */
    const char *order[] = {"│ h1      ", "│ h1[0]   ", "│ h1[1]   ", "│ h1[2]   ", "│ h1[3]   "};
    int prev = legend;
    for (int i = 0; i < 5; i++) {
        int y = find_row(prev + 1, order[i]);
        if (y < 0)
            fail_msg("group %s not after row %d", order[i], prev);
        prev = y;
    }
    /* h1[2]: noise 35.3 > zero 28.2 > resample 11 > mean 5.45 > optimal 3.94 */
    int g = find_row(legend, "│ h1[2]   ");
    int zero = bar_on_row(g, "zero", "█"), mean = bar_on_row(g + 1, "mean", "▓");
    int resample = bar_on_row(g + 2, "resample", "▒"), noise = bar_on_row(g + 3, "noise", "░");
    int optimal = bar_on_row(g + 4, "optimal", "■");
    assert_true(noise > zero && zero > resample && resample > mean && mean > optimal &&
                optimal > 0);
    /* h1[0]: its noise gap, 205921, is the longest bar of the group */
    g = find_row(legend, "│ h1[0]   ");
    assert_true(bar_on_row(g + 3, "noise", "░") > bar_on_row(g + 1, "mean", "▓"));
    assert_true(find_row(0, "log scale") > g);
    finish(&t);
}

/* The sweep's chart names its axis by the input or the neuron, ticked at round numbers. */
static void test_sweep_chart_axes(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5; ablate h1[1] zero; sweep input[x] 0 10 41");
    assert_non_null(strstr(t.popup.text, "output as x runs from 0 to 10"));
    assert_null(strstr(t.popup.text, "7.308"));
    /* the y ticks, top to bottom, and the x ticks along the axis */
    const char *y_ticks[] = {"       10 |", "        8 |", "        6 |", "        4 |",
                             "        2 |", "        0 |"};
    const char *p = t.popup.text;
    for (int i = 0; i < 6; i++) {
        const char *at = strstr(p, y_ticks[i]);
        if (!at)
            fail_msg("no y tick '%s' after the one before", y_ticks[i]);
        p = at + 1;
    }
    const char *axis = strstr(p, "+---");
    assert_non_null(axis);
    const char *ticks = strchr(axis, '\n') + 1;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(ticks, "\n"), ticks);
    char *w = words_of(line);
    assert_string_equal(w, "0 2 4 6 8 10");
    free(w);
    tui_run(&t, "sweep h1[2] 0 10 11");
    assert_non_null(strstr(t.popup.text, "output as h1[2] (x) runs from 0 to 10"));
    finish(&t);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    setenv("XDG_STATE_HOME", "/nonexistent-state", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_issue_commands),
        cmocka_unit_test(test_keys_zero_ablation_worked_value),
        cmocka_unit_test(test_keys_step_and_views),
        cmocka_unit_test(test_keys_step_rows),
        cmocka_unit_test(test_help_popup_scrolls),
        cmocka_unit_test(test_sweep_chart),
        cmocka_unit_test(test_why_zero_demo),
        cmocka_unit_test(test_analysis_keys),
        cmocka_unit_test(test_wide_site_window),
        cmocka_unit_test(test_cursor_bounds_and_pre),
        cmocka_unit_test(test_quit_asks_when_unsaved),
        cmocka_unit_test(test_mouse_hit),
        cmocka_unit_test(test_errors_keep_session),
        cmocka_unit_test(test_messages_by_type_and_prefix),
        cmocka_unit_test(test_demo_step_failure_message),
        cmocka_unit_test(test_long_error_shows_its_reason),
        cmocka_unit_test(test_demo_empty_caption),
        cmocka_unit_test(test_demo_steps_back_and_forth),
        cmocka_unit_test(test_demo_back_closes_earlier_popups),
        cmocka_unit_test(test_draw_clipped_edges),
        cmocka_unit_test(test_fit_number),
        cmocka_unit_test(test_screen_80x24_colour),
        cmocka_unit_test(test_screen_80x24_no_colour),
        cmocka_unit_test(test_screen_120x40_colour),
        cmocka_unit_test(test_screen_120x40_source_view),
        cmocka_unit_test(test_screen_too_small),
        cmocka_unit_test(test_screen_help),
        cmocka_unit_test(test_cancelled_line_changes_nothing),
        cmocka_unit_test(test_cancelled_map_waits_for_a_change),
        cmocka_unit_test(test_progress_text),
        cmocka_unit_test(test_progress_drawn_on_message_line),
        cmocka_unit_test(test_output_table_of_ten),
        cmocka_unit_test(test_output_small_numbers),
        cmocka_unit_test(test_output_big),
        cmocka_unit_test(test_output_big_ascii),
        cmocka_unit_test(test_screen_output_big),
        cmocka_unit_test(test_legend_labels_on_one_line),
        cmocka_unit_test(test_screen_optimal_legend),
        cmocka_unit_test(test_image_of_the_input),
        cmocka_unit_test(test_image_of_a_site),
        cmocka_unit_test(test_image_shown_from_the_start),
        cmocka_unit_test(test_screen_image_input),
        cmocka_unit_test(test_no_dataset_hint),
        cmocka_unit_test(test_effect_scores_labels),
        cmocka_unit_test(test_cells_grow_with_the_screen),
        cmocka_unit_test(test_source_view_labels_line_up),
        cmocka_unit_test(test_unlabelled_neurons_show_indices),
        cmocka_unit_test(test_no_colour_shows_sign),
        cmocka_unit_test(test_shared_scale),
        cmocka_unit_test(test_popups_own_their_box),
        cmocka_unit_test(test_captions_whole_at_80x24),
        cmocka_unit_test(test_caption_too_long_says_so),
        cmocka_unit_test(test_regions_map),
        cmocka_unit_test(test_regions_map_grows),
        cmocka_unit_test(test_compare_bars),
        cmocka_unit_test(test_sweep_chart_axes),
    };
    return cmocka_run_group_tests_name("tui", tests, NULL, NULL);
}
