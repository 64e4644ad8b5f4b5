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
    int lines = 1;
    for (const char *p = t.popup.text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(t.popup.scroll, tui_popup_max_scroll(&t));
    assert_int_equal(t.popup.scroll, lines - 21); /* 24 rows: a box of 22, 21 lines inside */
    tui_key_press(&t, 'k');
    assert_int_equal(t.popup.scroll, lines - 22);
    tui_key_press(&t, 'z'); /* closes the popup, and does nothing else */
    assert_null(t.popup.text);
    assert_int_equal(t.ws->count, 0);
    finish(&t);
}

/* A sweep shows as a chart: with no intervention the two curves coincide (only '▒'); with h1[1]
 * zeroed at y = 5 they part for 0 < x < 5 (intervened x + 5 above clean 5). */
static int count_of(const char *from, const char *to, const char *glyph)
{
    int n = 0;
    for (const char *p = strstr(from, glyph); p && p < to; p = strstr(p + 1, glyph))
        n++;
    return n;
}

static void test_sweep_chart(void **state)
{
    (void)state;
    tui t;
    start(&t, 40, 120, false);
    tui_run(&t, "input 3 5; sweep input[x] 0 10 11");
    assert_non_null(t.popup.text);
    assert_non_null(strstr(t.popup.text, "output as input[0] runs from 0 to 10"));
    const char *legend = "▒ both\n"; /* the plot starts after the legend line */
    const char *plot = strstr(t.popup.text, legend) + strlen(legend), *end = plot + strlen(plot);
    assert_int_equal(count_of(plot, end, "█"), 0);
    assert_int_equal(count_of(plot, end, "▒"), 11);
    free(t.popup.text);
    t.popup.text = NULL;
    tui_run(&t, "ablate h1[1] zero; sweep input[x] 0 10 11");
    plot = strstr(t.popup.text, legend) + strlen(legend);
    end = plot + strlen(plot);
    /* x = 1..4 part (4 points each); at x = 0 (0 + 5 = 5) and x = 5..10 they coincide (7) */
    assert_int_equal(count_of(plot, end, "█"), 4);
    assert_int_equal(count_of(plot, end, "·"), 4);
    assert_int_equal(count_of(plot, end, "▒"), 7);
    /* The top row is the largest value, 10: both curves reach it at x = 10 and the intervened one
     * at x = 5 too (5 + 5), where clean is 10 as well (the diagonal: 2 x 5). */
    const char *top = strstr(plot, "10 |");
    assert_non_null(top);
    assert_int_equal(count_of(top, strchr(top, '\n'), "▒"), 2);
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
    assert_string_equal(t.echo, "compare h1[1]");
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

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    setenv("XDG_STATE_HOME", "/nonexistent-state", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_issue_commands),
        cmocka_unit_test(test_keys_zero_ablation_worked_value),
        cmocka_unit_test(test_keys_step_and_views),
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
    };
    return cmocka_run_group_tests_name("tui", tests, NULL, NULL);
}
