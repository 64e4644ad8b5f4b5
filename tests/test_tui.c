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
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "screen.h"

#include "draw.h"
#include "report.h"
#include "logit_lens.h"
#include "tokenizer.h"
#include "tui.h"
#include "files.h"
#include "formats/text.h"
#include "formats/formats.h"
#include "iia.h"

/* ---- a headless screen -------------------------------------------------------------------------- */

static iv_workspace *ws;

/* Opens the explorer's state on a model (owned) and a headless screen of the given size. */
static void start_model(tui *t, iv_model *m, int rows, int cols, bool colour)
{
    ws = explorer_open(t, m, rows, cols, colour);
}

static void start(tui *t, int rows, int cols, bool colour)
{
    start_model(t, iv_model_builtin_max(), rows, cols, colour);
}

static void finish(tui *t) { explorer_close(t, ws); }

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
/* Beside the network, under the interventions: the causal model's alignments and the last IIA. */
static void test_alignments_beside_the_network(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_draw(&t);
    char *text = dump(false);
    assert_null(strstr(text, "causal model")); /* nothing without one */
    free(text);
    assert_int_equal(tui_run(&t, "causal \"gt = x > y; out = gt ? x : y\"; align gt h1[0:2]"), 0);
    tui_popup_free(&t.popup);
    tui_draw(&t);
    text = dump(false);
    assert_non_null(strstr(text, " gt ~ h1[0:2]"));
    assert_null(strstr(text, "IIA")); /* not measured yet */
    free(text);
    assert_int_equal(tui_run(&t, "iia"), 0);
    tui_popup_free(&t.popup);
    tui_draw(&t);
    text = dump(false);
    assert_non_null(strstr(text, " IIA 0.917  13431/14641")); /* LECTURE.md's grid, 111 x 121 */
    assert_non_null(strstr(text, " factual 0.917"));
    free(text);
    finish(&t);
}

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
    unsigned a;
    wchar_t c = screen_cell(y, x, &a, NULL);
    if (attrs)
        *attrs = a;
    return c;
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
 * zero, a big one takes a compact exponent, one too small for the cell's digits is 0 there (an
 * attention weight of 1.6e-7 in three columns), and '#'s come only when nothing fits. */
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
        {-123456, 3, "-##"},      {1.6e-7, 3, "0"},       {-2e-7, 3, "0"},
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

/* Every caption of the lectures shows whole at 80 x 24, word-wrapped, and covers neither the
 * map's axis (on the max network's grid) nor the effect panel's labels. */
static void test_captions_whole_at_80x24(void **state)
{
    (void)state;
    const char *demos[] = {"zero-ablation.demo", "why-zero-ablation-misleads.demo",
                           "causal-abstraction.demo"};
    const int most_lines[] = {7, 7, 3}; /* the newest lecture is read from the back of a room */
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(srcdir), 0); /* a lecture may open sample_models/... */
    for (int d = 0; d < 3; d++) {
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
            if (lines > most_lines[d])
                fail_msg("%s step %d: the caption takes %d lines, more than %d", demos[d],
                         step + 1, lines, most_lines[d]);
            assert_true(find_row(0, "mean |change|") < msg - lines);
            /* Another model than max shows a histogram, not the grid's map. */
            if (!ws->data || !ws->data->is_grid || ws->model->n_inputs != 2) {
                free(want);
                continue;
            }
            /* The map's x axis ("y  0 ... 10 x") is on screen above the caption. */
            int axis = find_row(0, "10 x");
            if (axis < 0 || axis >= msg - lines)
                fail_msg("%s step %d: the map's axis is covered", demos[d], step + 1);
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
    assert_int_equal(chdir(cwd), 0);
}

/* ---- the lecture on causal abstraction ---------------------------------------------------------- */

/* The last result of a type that one engine command reports, run on the explorer's workspace. */
typedef struct captured {
    iv_result_type type;
    json_object *result;
} captured;

static void capture_result(iv_result_type type, json_object *result, void *user)
{
    captured *c = user;
    if (type == c->type) {
        json_object_put(c->result);
        c->result = result;
    } else {
        json_object_put(result);
    }
}

static json_object *engine_result(const char *line, iv_result_type type)
{
    captured c = {type, NULL};
    iv_sink sink = {capture_result, &c};
    char **argv;
    iv_error err;
    int argc = iv_words_split(line, &argv, &err);
    assert_true(argc > 0);
    if (iv_command_run(ws, argc, argv, &sink, &err) < 0)
        fail_msg("%s: %s", line, err.msg);
    iv_words_free(argv);
    if (!c.result)
        fail_msg("%s: no result of type %d", line, (int)type);
    return c.result;
}

static double json_num(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        fail_msg("no '%s' in %s", key, json_object_to_json_string(obj));
    return json_object_get_double(v);
}

/* The IIA the workspace's alignments score now, its agreeing pairs and all pairs, and (with
 * several alignments) each alone. */
static void check_iia(long agree, long pairs, const double *alone, int n_alone)
{
    json_object *r = engine_result("iia", IV_RESULT_IIA);
    assert_int_equal((long)json_num(r, "agree"), agree);
    assert_int_equal((long)json_num(r, "pairs"), pairs);
    assert_true(fabs(json_num(r, "iia") - (double)agree / (double)pairs) < 1e-6);
    json_object *per;
    assert_int_equal(json_object_object_get_ex(r, "per_variable", &per), n_alone > 0);
    if (n_alone > 0) {
        assert_int_equal((int)json_object_array_length(per), n_alone);
        for (int i = 0; i < n_alone; i++)
            assert_true(fabs(json_num(json_object_array_get_idx(per, (size_t)i), "iia") -
                             alone[i]) < 1e-9);
    }
    json_object_put(r);
}

/* The max network's output at one input, from a plain forward pass. */
static double max_output_at(float x, float y)
{
    iv_error err;
    iv_acts *a = iv_acts_new(ws->model, 1, &err);
    assert_non_null(a);
    float in[2] = {x, y};
    iv_forward(ws->model, in, a, NULL, NULL);
    double out = a->site[iv_model_output_site(ws->model)][0];
    iv_acts_free(a);
    return out;
}

/* Whether the caption of step `step` (0-based) quotes `text`. */
static void quotes(const tui *t, int step, const char *text)
{
    if (!strstr(t->demo->caption[step], text))
        fail_msg("step %d's caption does not say '%s': %s", step + 1, text,
                 t->demo->caption[step]);
}

/* The causal-abstraction lecture runs start to end, and every number its captions quote is the
 * one the engine gives at that step, each against a value worked out by hand: the swap's output
 * as LECTURE.md has it, the IIA counts of the README (the 1,210 failing pairs of gt ~ h1[0:2] are
 * the 11 diagonal sources times the 110 bases with x != 0, where the network's x + y is not y),
 * the scan's rows from h1 = [0, 2, 3, 5] and [2, 0, 5, 3], and the hand-built hierarchical
 * equality network, whose halves of layer0 see only (w, x) and only (y, z). */
static void walk_causal_abstraction(const char *workdir, const char *lecture)
{
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(workdir), 0);
    tui t;
    start(&t, 30, 100, false);
    iv_error load_err;
    t.demo = tui_demo_load(lecture, &load_err);
    if (!t.demo)
        fail_msg("%s", load_err.msg);
    assert_int_equal(t.demo->n_steps, 12);
    int out = iv_model_output_site(ws->model);
    for (int step = 0; step < t.demo->n_steps; step++) {
        if (step == 0)
            tui_demo_step(&t, 1);
        else
            tui_key_press(&t, ']');
        if (t.message_is_error)
            fail_msg("step %d: %s", step + 1, t.message);
        assert_int_equal(t.demo->current, step);
        tui_draw(&t);
        switch (step) {
        case 0: /* h1[0:2] from (5, 3) into (3, 5): h1 = [2, 0, 3, 5], h2 = [0, 3], out 3 */
            quotes(&t, 0, "(3, 5)");
            quotes(&t, 0, "(5, 3)");
            quotes(&t, 0, ": 3.");
            assert_true(ws->intervened->site[out][0] == 3.0f);
            assert_true(ws->clean->site[out][0] == 5.0f);
            break;
        case 1:
            assert_non_null(ws->causal);
            assert_int_equal(ws->causal->n_vars, 4);
            break;
        case 2:
            assert_int_equal(ws->count, 0);
            assert_int_equal(ws->n_alignments, 1);
            break;
        case 3: {
            quotes(&t, 3, "13,431 of 14,641");
            quotes(&t, 3, "0.917");
            quotes(&t, 3, "(4, 4 gives 8)");
            check_iia(13431, 14641, NULL, 0);
            assert_int_equal(14641 - 13431, 11 * 110);
            assert_true(max_output_at(4, 4) == 8.0);
            /* Every pair with a source off the diagonal agrees. */
            long *base = iv_xmalloc(sizeof(long) * 14641), *source = iv_xmalloc(sizeof(long) * 14641);
            long n = 0;
            for (long b = 0; b < 121; b++)
                for (long s = 0; s < 121; s++)
                    if (s % 11 != s / 11) { /* row s is x = s % 11, y = s / 11 */
                        base[n] = b;
                        source[n++] = s;
                    }
            assert_int_equal(n, 121 * 110);
            iv_iia_result r;
            iv_error err;
            if (iv_iia_run_pairs(ws, base, source, n, IV_IIA_DEFAULT_TOL, &r, &err) < 0)
                fail_msg("%s", err.msg);
            assert_int_equal(r.agree, n);
            iv_iia_result_free(&r);
            free(base);
            free(source);
            break;
        }
        case 4:
            quotes(&t, 4, "0.538 (7,876 pairs)");
            check_iia(7876, 14641, NULL, 0);
            break;
        case 5: { /* at (3, 5) from (5, 3): h1[0] alone shuts h2[0] (out 0), h1[1] alone opens
                   * h2[1] (out 5 + 3), h1[3] = 3 instead of 5 (out 3), h1 whole: the source's 5 */
            quotes(&t, 5, "h1[0] moves out by -5, h1[1] by +3");
            quotes(&t, 5, "h1[3] by -2");
            quotes(&t, 5, "change 0");
            json_object *r = engine_result("scan h1", IV_RESULT_SCAN);
            json_object *rows;
            assert_true(json_object_object_get_ex(r, "rows", &rows));
            const double want[] = {-5, 3, 0, -2, 0};
            assert_int_equal((int)json_object_array_length(rows), 5);
            for (int i = 0; i < 5; i++)
                assert_true(json_num(json_object_array_get_idx(rows, (size_t)i), "value") ==
                            want[i]);
            json_object_put(r);
            break;
        }
        case 6:
            quotes(&t, 6, "1,000 rows");
            assert_int_equal(ws->model->n_inputs, 8);
            assert_int_equal(ws->data->n, 1000);
            assert_int_equal(ws->causal->n_vars, 11);
            break;
        case 7: {
            quotes(&t, 7, "IIA 1.00 over");
            quotes(&t, 7, "all 1,000,000 pairs, and 1.00 for each variable alone");
            const double alone[] = {1, 1};
            check_iia(1000000, 1000000, alone, 2);
            break;
        }
        case 8:
            quotes(&t, 8, "IIA 0.50");
            check_iia(500000, 1000000, NULL, 0);
            break;
        case 9: { /* both halves are the whole layer: the oracle of METHODS.md, the network's
                   * accuracy on the sources, which is 1 */
            quotes(&t, 9, "IIA 1.00 again, though each alone is 0.50");
            const double alone[] = {0.5, 0.5};
            check_iia(1000000, 1000000, alone, 2);
            break;
        }
        case 10: { /* each variable from its own source: the right alignment holds */
            quotes(&t, 10, "holds at 1.00 over 20,000 tuples");
            quotes(&t, 10, "swapped one falls to 0.50");
            json_object *r = t.iia;
            assert_non_null(r);
            assert_int_equal(json_object_get_int64(json_object_object_get(r, "agree")), 20000);
            assert_int_equal(json_object_get_int64(json_object_object_get(r, "pairs")), 20000);
            break;
        }
        case 11: /* the trained network: das's held-out IIA, seeded (tests/golden/das.iv) */
            quotes(&t, 11, "held-out IIA 0.99");
            quotes(&t, 11, "layer0[0:8] scores 0.57");
            assert_int_equal(ws->model->n_inputs, 16);
            assert_int_equal(ws->n_alignments, 2);
            assert_true(ws->alignments[0].k == 8 && ws->alignments[1].k == 8);
            break;
        }
    }
    /* Back three steps replays the lecture from the max network, across two changes of model. */
    for (int back = 0; back < 3; back++)
        tui_key_press(&t, '[');
    assert_false(t.message_is_error);
    assert_int_equal(t.demo->current, 8);
    assert_int_equal(ws->model->n_inputs, 8);
    assert_int_equal(ws->n_alignments, 1);
    check_iia(500000, 1000000, NULL, 0);
    finish(&t);
    assert_int_equal(chdir(cwd), 0);
}

/* From the top of the source tree, as the README runs it. */
static void test_causal_abstraction_demo(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    walk_causal_abstraction(srcdir, "sample_models/lectures/causal-abstraction.demo");
}

/* ---- the lectures on erasure and steering ---------------------------------------------------------- */

/* A result's number, checked to be the figure a caption quotes (to its last digit shown). */
static void near(json_object *r, const char *key, double quoted, double digit)
{
    double v = json_num(r, key);
    if (!(fabs(v - quoted) <= digit / 2 + 1e-12))
        fail_msg("%s is %.6g, the caption says %g", key, v, quoted);
}

/* A step's engine figure: the result of `line` run now, its `key` against the quoted value. */
static void step_quotes(const char *line, iv_result_type type, const char *key, double quoted,
                        double digit)
{
    json_object *r = engine_result(line, type);
    near(r, key, quoted, digit);
    json_object_put(r);
}

static void screen_says(const char *text)
{
    char *shown = dump(false);
    if (!strstr(shown, text))
        fail_msg("the screen does not say '%s':\n%s", text, shown);
    free(shown);
}

static tui *walk_start(tui *t, const char *lecture, int steps)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    assert_int_equal(chdir(srcdir), 0);
    start(t, 30, 100, false);
    iv_error load_err;
    t->demo = tui_demo_load(lecture, &load_err);
    if (!t->demo)
        fail_msg("%s", load_err.msg);
    assert_int_equal(t->demo->n_steps, steps);
    return t;
}

static void walk_step(tui *t, int step)
{
    if (step == 0)
        tui_demo_step(t, 1);
    else
        tui_key_press(t, ']');
    if (t->message_is_error)
        fail_msg("step %d: %s", step + 1, t->message);
    assert_int_equal(t->demo->current, step);
    tui_draw(t);
}

/* The INLP lecture runs start to end on the pronoun sample, and each figure its captions quote is
 * the engine's at that step: probes before and after each eraser, the directions removed, the
 * network's accuracy, the nonlinear probe that still reads what linear ones cannot. */
static void test_inlp_demo(void **state)
{
    (void)state;
    tui t;
    walk_start(&t, "sample_models/lectures/inlp.demo", 11);
    for (int step = 0; step < t.demo->n_steps; step++) {
        walk_step(&t, step);
        switch (step) {
        case 0:
            quotes(&t, 0, "6,000 rows");
            assert_int_equal(ws->data->n, 6000);
            step_quotes("effect", IV_RESULT_EFFECT, "label_accuracy_clean", 1, 0.01);
            break;
        case 1:
            quotes(&t, 1, "1.00 (chance 0.53)");
            step_quotes("probe input gender", IV_RESULT_PROBE, "holdout_accuracy", 1, 0.01);
            step_quotes("probe input gender", IV_RESULT_PROBE, "majority", 0.53, 0.01);
            break;
        case 2:
            quotes(&t, 2, "1.00, where guessing gets 0.09");
            step_quotes("probe input occupation", IV_RESULT_PROBE, "holdout_accuracy", 1, 0.01);
            step_quotes("probe input occupation", IV_RESULT_PROBE, "majority", 0.09, 0.01);
            break;
        case 3:
            quotes(&t, 3, "still scores 0.74");
            assert_int_equal(ws->count, 1);
            assert_int_equal(ws->list[0].dims, 1);
            step_quotes("probe input gender", IV_RESULT_PROBE, "holdout_accuracy", 0.74, 0.01);
            break;
        case 4:
            quotes(&t, 4, "6 directions of 24");
            assert_int_equal(ws->count, 1); /* the full eraser replaced the one-step one */
            assert_int_equal(ws->list[0].dims, 6);
            break;
        case 5:
            quotes(&t, 5, "scores 0.53, chance");
            quotes(&t, 5, "0.56 of the rows (from 1.00)");
            step_quotes("probe input gender", IV_RESULT_PROBE, "holdout_accuracy", 0.53, 0.01);
            step_quotes("effect", IV_RESULT_EFFECT, "label_accuracy", 0.56, 0.01);
            break;
        case 6:
            quotes(&t, 6, "at 1.00");
            step_quotes("probe input occupation", IV_RESULT_PROBE, "holdout_accuracy", 1, 0.01);
            break;
        case 7:
            quotes(&t, 7, "at 0.75");
            step_quotes("probe input gender mlp", IV_RESULT_PROBE, "holdout_accuracy", 0.75, 0.01);
            break;
        case 8: {
            quotes(&t, 8, "1.5 where INLP's is 5.1");
            quotes(&t, 8, "fall to 1e-6");
            assert_int_equal(ws->count, 0);
            json_object *r = engine_result("compare-erasure input gender", IV_RESULT_ERASURE);
            json_object *m = json_object_object_get(r, "methods");
            near(json_object_array_get_idx(m, 1), "mean_square_change", 5.1, 0.1);
            near(json_object_array_get_idx(m, 2), "mean_square_change", 1.5, 0.1);
            assert_int_equal((int)json_num(json_object_array_get_idx(m, 2), "removed"), 1);
            json_object_put(r);
            break;
        }
        case 9: {
            quotes(&t, 9, "0.96");
            step_quotes("probe input gender mlp", IV_RESULT_PROBE, "holdout_accuracy", 0.96, 0.01);
            json_object *r = engine_result("probe input gender", IV_RESULT_PROBE);
            assert_true(json_num(r, "weight_norm") < 5e-6); /* "fall to 1e-6" */
            json_object_put(r);
            break;
        }
        case 10:
            screen_says("PC1");
            break;
        }
    }
    finish(&t);
}

/* The steering lecture: the max network's exact shift through its linear readout, worked by hand
 * (v from the grid's h2, out = h2[0] + h2[1]), then the pronoun word steered across the boundary. */
static void test_steering_demo(void **state)
{
    (void)state;
    tui t;
    walk_start(&t, "sample_models/lectures/steering.demo", 6);
    for (int step = 0; step < t.demo->n_steps; step++) {
        walk_step(&t, step);
        int out = iv_model_output_site(ws->model); /* the lecture opens another model */
        switch (step) {
        case 0: {
            /* h2 = (0, x) where x > y, (y, 0) where x < y, (x, x) where x = y: over the 11 x 11 grid
             * mean h2 where x > y is (0, 220/55) = (0, 4), elsewhere (220/66, 55/66 ... ) */
            double pos[2] = {0, 0}, neg[2] = {0, 0};
            for (int y = 0; y <= 10; y++)
                for (int x = 0; x <= 10; x++) {
                    double *acc = x > y ? pos : neg;
                    acc[0] += x > y ? 0 : y;
                    acc[1] += x < y ? 0 : x;
                }
            double v0 = pos[0] / 55 - neg[0] / 66, v1 = pos[1] / 55 - neg[1] / 66;
            quotes(&t, 0, "v = (-6.67, 6.17)");
            assert_true(fabs(v0 - -6.67) < 0.005 && fabs(v1 - 6.17) < 0.005);
            quotes(&t, 1, "= 2 x (-0.5) = -1: from 5 to 4");
            assert_true(fabs(ws->clean->site[out][0] - 5) < 1e-6);
            assert_true(fabs(ws->intervened->site[out][0] - (5 + 2 * (v0 + v1))) < 1e-4);
            assert_true(fabs(2 * (v0 + v1) - -1) < 1e-9);
            break;
        }
        case 1:
            screen_says("output as alpha");
            break;
        case 2:
            quotes(&t, 2, "margin of 16");
            assert_true(fabs((ws->clean->site[out][0] - ws->clean->site[out][1]) - 16.2) < 0.05);
            break;
        case 3: {
            quotes(&t, 3, "p(she) 0.77");
            double a = ws->intervened->site[out][0], b = ws->intervened->site[out][1];
            assert_true(fabs(1 / (1 + exp(a - b)) - 0.77) < 0.005);
            break;
        }
        case 4: {
            /* the logits move linearly in alpha: the crossing from the points at 0 and 0.5 */
            quotes(&t, 4, "alpha 0.46");
            double d0 = ws->clean->site[out][1] - ws->clean->site[out][0];
            double d1 = ws->intervened->site[out][1] - ws->intervened->site[out][0];
            double cross = 0.5 * -d0 / (d1 - d0);
            assert_true(fabs(cross - 0.46) < 0.005);
            screen_says("probabilities as alpha");
            break;
        }
        case 5: {
            quotes(&t, 5, "alpha 3.8");
            quotes(&t, 5, "0.46 x 8.5 = 3.9");
            double d0 = ws->clean->site[out][1] - ws->clean->site[out][0];
            double d4 = ws->intervened->site[out][1] - ws->intervened->site[out][0];
            assert_true(fabs(4 * -d0 / (d4 - d0) - 3.8) < 0.05);
            break;
        }
        }
    }
    finish(&t);
}

/* The explorer at a size, after `line` run from the source directory, so that the file names a
 * dump shows are the same in any build directory; the popup it opened is closed. */
static void open_from_srcdir(tui *t, int rows, int cols, bool colour, const char *line)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char here[4096];
    assert_non_null(getcwd(here, sizeof here));
    start(t, rows, cols, colour);
    assert_int_equal(chdir(srcdir), 0);
    int status = tui_run(t, line);
    assert_int_equal(chdir(here), 0);
    assert_int_equal(status, 0);
    tui_popup_free(&t->popup);
}

/* The two sizes every view's screen is kept at: 80 x 24 in colour, 160 x 48 without. */
typedef struct view_size {
    int rows, cols;
    bool colour;
    const char *size; /* in the saved screen's name, tests/screens/VIEW-SIZE.txt */
} view_size;
static const view_size view_sizes[] = {{24, 80, true, "80x24-colour"},
                                       {48, 160, false, "160x48-nocolour"}};
#define N_VIEW_SIZES (sizeof view_sizes / sizeof view_sizes[0])

/* The screen against tests/screens/VIEW-SIZE.txt. */
static void compare_view(const char *view, const view_size *z)
{
    char name[96];
    snprintf(name, sizeof name, "%s-%s", view, z->size);
    char *got = dump(z->colour);
    compare_with(name, got);
    free(got);
}

/* The concept views at the two sizes every view is kept at, each against its saved dump: the marks
 * `probe all` leaves beside the site rows (whole even where a wide site's cells reach the output
 * panel), the INLP accuracy chart, and the class probabilities a steering sweep charts. */
static void test_concept_screens(void **state)
{
    (void)state;
    const view_size *cases = view_sizes;
    for (size_t c = 0; c < N_VIEW_SIZES; c++) {
        tui t;
        open_from_srcdir(&t, cases[c].rows, cases[c].cols, cases[c].colour,
                         "model sample_models/pronoun/pronoun.nn; data load "
                         "sample_models/pronoun/pronoun.npz; input row 0; probe all gender");
        tui_draw(&t);
        /* every site's mark, whole: the two wide ones under their scale, the output's beside it */
        int input = find_row(0, " input "), hidden = find_row(input, " hidden[");
        if (!(input > 0 && hidden > input))
            fail_msg("no site rows:\n%s", dump(false));
        int mark = find_row(input, "gender 1.00");
        assert_true(mark >= input && mark <= input + 1);
        mark = find_row(hidden, "gender 1.00");
        assert_true(mark >= hidden && mark <= hidden + 1);
        assert_true(find_row(hidden, cases[c].cols >= 160 ? "probe gender 1.00 (chance 0.53)"
                                                          : "gender 1.00") > hidden);
        compare_view("probe-marks", &cases[c]);

        assert_int_equal(tui_run(&t, "inlp input gender"), 0);
        tui_draw(&t);
        assert_true(find_row(0, "per iteration, 1 to 7:") > 0);
        assert_true(find_row(0, "held-out accuracy") > 0);
        compare_view("inlp-chart", &cases[c]);
        tui_popup_free(&t.popup);

        assert_int_equal(tui_run(&t, "clear; steer hidden gender alpha=0.5; sweep alpha -1 1 21"), 0);
        tui_draw(&t);
        assert_true(find_row(0, "probabilities as alpha of #1 (add at hidden) runs from -1 to 1") >
                    0);
        compare_view("steer-sweep", &cases[c]);
        finish(&t);
    }
}

/* A transformer's output panel reads as its next token: the most likely ones after the last
 * position with their probabilities, clean and intervened, and the new top token when a patch of
 * the first block's input at the second position ("3 5 =" -> "3 3 =") changes the answer. */
static void test_transformer_output_screens(void **state)
{
    (void)state;
    const view_size *cases = view_sizes;
    for (size_t c = 0; c < N_VIEW_SIZES; c++) {
        tui t;
        open_from_srcdir(&t, cases[c].rows, cases[c].cols, cases[c].colour,
                         "model sample_models/tiny-max; source 3 3 =; patch resid0[pos=1]");
        tui_draw(&t);
        int title = find_row(0, "next token (probabilities)");
        assert_true(title >= 0);
        int five = find_row(title, "\"5\"");
        assert_true(five == title + 2);
        char *row = screen_row(five);
        assert_non_null(strstr(row, cases[c].cols >= 160 ? "0.993  0.001  -0.992" : "0.993  0.001"));
        free(row);
        assert_true(find_row(five, "top now \"3\" 0.991") > five);
        compare_view("tiny-max-next", &cases[c]);
        finish(&t);
    }
}

/* The transformer lecture's next token at this step: its probability with the interventions on
 * (the intervened run's top token, named), against the caption's figure. */
static void next_token_is(const tui *t, int step, const char *token, double p)
{
    (void)t;
    json_object *o = iv_report_output(ws);
    json_object *top = json_object_object_get(o, "intervened_next");
    const char *got = json_object_get_string(json_object_object_get(top, "token"));
    double v = json_object_get_double(json_object_object_get(top, "p"));
    if (strcmp(got, token) != 0 || fabs(v - p) > 0.0005)
        fail_msg("step %d: the next token is '%s' at %.4f, the caption says '%s' at %g", step + 1,
                 got, v, token, p);
    json_object_put(o);
}

/* The transformer lecture runs start to end on tiny-max and the induction sample, and each
 * figure its captions quote is the engine's at that step. */
static void test_transformer_demo(void **state)
{
    (void)state;
    tui t;
    walk_start(&t, "sample_models/lectures/transformer.demo", 7);
    for (int step = 0; step < t.demo->n_steps; step++) {
        walk_step(&t, step);
        switch (step) {
        case 0:
            quotes(&t, 0, "\"5\" at 0.993");
            next_token_is(&t, 0, "5", 0.993);
            screen_says("next token (probabilities)");
            break;
        case 1: {
            quotes(&t, 1, "\"3\" at 0.991");
            next_token_is(&t, 1, "3", 0.991);
            /* the stars: position 1 of the patched site alone, then in resid1 (after the first
             * attention) the last position too, and never position 0 */
            quotes(&t, 1, "from the first attention on the last one too");
            const iv_model *m = t.ws->model;
            int r0 = iv_model_site_find(m, "resid0"), r1 = iv_model_site_find(m, "resid1");
            int d = m->sites[r0].inner;
            assert_true(tui_cell_changed(&t, r0, 1 * d) && !tui_cell_changed(&t, r0, 2 * d));
            assert_true(tui_cell_changed(&t, r1, 2 * d) && !tui_cell_changed(&t, r1, 0));
            break;
        }
        case 2: {
            quotes(&t, 2, "at 0.81");
            json_object *o = iv_report_output(ws);
            json_object *top = json_object_object_get(o, "intervened_next");
            assert_string_equal(json_object_get_string(json_object_object_get(top, "token")), "H");
            assert_true(fabs(json_object_get_double(json_object_object_get(top, "p")) - 0.81) <
                        0.005);
            json_object_put(o);
            break;
        }
        case 3: {
            quotes(&t, 3, "query 9 \"H\" looks at key 2 \"A\"");
            json_object *r = engine_result("attention 1 0 clean", IV_RESULT_PATCH_SCAN);
            json_object *row = json_object_array_get_idx(json_object_object_get(r, "pattern"), 9);
            assert_string_equal(json_object_get_string(json_object_object_get(row, "query")),
                                "9 \"H\"");
            assert_true(json_object_get_double(json_object_object_get(row, "2 \"A\"")) > 0.9);
            json_object_put(r);
            /* on screen: the head's pattern as the cursor's grid, query 9 "H" among its rows,
             * and every head of the block in small below */
            screen_says("pattern1 h0");
            screen_says("  9 H");
            screen_says("attention, block 1, every head");
            break;
        }
        case 4:
            quotes(&t, 4, "falls to 0.45");
            next_token_is(&t, 4, "H", 0.449);
            break;
        case 5: {
            quotes(&t, 5, "falls to 0.001");
            json_object *o = iv_report_output(ws);
            json_object *h = json_object_array_get_idx(json_object_object_get(o, "next"), 0);
            assert_string_equal(json_object_get_string(json_object_object_get(h, "token")), "H");
            assert_true(fabs(json_object_get_double(json_object_object_get(h, "intervened_p")) -
                             0.001) < 0.0005);
            json_object_put(o);
            break;
        }
        case 6: {
            quotes(&t, 6, "\"B\" at 0.998");
            next_token_is(&t, 6, "B", 0.998);
            /* the lens's last column: "?" from the embedding, "R" after block 0, "B" at the end */
            quotes(&t, 6, "only the final block's says \"B\"");
            screen_says("logit lens");
            iv_logit_lens lens;
            assert_int_equal(iv_logit_lens_run(t.ws->model, t.ws->intervened, 0, &lens), 0);
            int T = lens.cols, b = iv_tokenizer_find(t.ws->model->tokenizer, "B");
            assert_int_equal(lens.top[2 * T + T - 1], b);
            assert_true(lens.top[0 * T + T - 1] != b && lens.top[1 * T + T - 1] != b);
            iv_logit_lens_free(&lens);
            break;
        }
        }
    }
    finish(&t);
}

/* A head's attention pattern draws as a heatmap, queries down and keys across, the causal
 * triangle empty above the diagonal: the induction sample's layer 1 head 0 puts all of each
 * repeated token's weight on the token after its first occurrence, a diagonal seven keys left of
 * the queries'. */
static void test_attention_screens(void **state)
{
    (void)state;
    const view_size *cases = view_sizes;
    for (size_t c = 0; c < N_VIEW_SIZES; c++) {
        tui t;
        open_from_srcdir(&t, cases[c].rows, cases[c].cols, cases[c].colour,
                         "model sample_models/induction");
        assert_int_equal(tui_run(&t, "attention 1 0"), 0);
        tui_draw(&t);
        int title = find_row(0, "head 0 of blocks.1.attn.hook_pattern, intervened");
        assert_true(title > 0);
        int q9 = find_row(title, "9 \"H\"");
        assert_true(q9 > title);
        if (cases[c].colour) { /* "1" at key 2, where the header's "2" stands */
            char *header = screen_row(title + 2), *row = screen_row(q9);
            char *key2 = strstr(header, "  2  3");
            assert_non_null(key2);
            long at = key2 - header + 2;
            assert_true(row[at] == '1');
            assert_true(row[at + 3] == '.');
            free(header);
            free(row);
        }
        compare_view("attention", &cases[c]);
        finish(&t);
    }
}

/* The column of the text `label` in screen row y at or after column from, or -1. */
static int column_of(int y, int from, const char *label)
{
    char *row = screen_row(y);
    char *at = (int)strlen(row) > from ? strstr(row + from, label) : NULL;
    int x = at ? (int)(at - row) : -1;
    free(row);
    return x;
}

/* A transformer's sites in the layers panel, at both sizes, each against its saved dump:
 *   - the cursor's site as a grid of positions by values: layer 1's heads with head 0 zeroed,
 *     its values 0 and starred, the strips after it starred at every position;
 *   - an attention pattern as the cursor's grid, its head's queries by keys with the tokens on
 *     both axes (query 9 "H" puts its weight on key 2 "A"), and every head of the block in small;
 *   - the logit lens after patching layer 1 from the corrupted prompt: the last position reads
 *     "B" at the last residual site only. */
static void test_transformer_grid_screens(void **state)
{
    (void)state;
    const view_size *cases = view_sizes;
    for (size_t c = 0; c < N_VIEW_SIZES; c++) {
        tui t;
        open_from_srcdir(&t, cases[c].rows, cases[c].cols, cases[c].colour,
                         "model sample_models/induction");
        const iv_model *m = t.ws->model;

        assert_int_equal(tui_run(&t, "ablate z1[head=0] zero; cursor z1"), 0);
        tui_draw(&t);
        int header = find_row(1, " z1 ");
        assert_true(header > 0);
        assert_true(column_of(header, 0, "0.0") > 0 && column_of(header, 0, "0.1") > 0);
        int last = find_row(header, " 16 ?");
        assert_true(last > header);
        char *row = screen_row(last);
        assert_non_null(strstr(row, "0*")); /* head 0's values: zero, and changed */
        free(row);
        int strip = find_row(header, " attn_out1");
        assert_true(strip > last);
        row = screen_row(strip);
        int stars = 0;
        for (const char *p = row; *p; p++)
            stars += *p == '*';
        tui_layout lay;
        tui_screen_layout(&t, &lay);
        assert_true(lay.strip_shown <= m->positions && lay.strip_shown >= 10);
        assert_int_equal(stars, lay.strip_shown); /* every position shown changed after it */
        free(row);
        compare_view("grid-z", &cases[c]);

        assert_int_equal(tui_run(&t, "clear; cursor pattern1[head=0, pos=9]; panel heads"), 0);
        tui_draw(&t);
        header = find_row(1, " pattern1 h0");
        assert_true(header > 0);
        int q9 = find_row(header, "  9 H");
        assert_true(q9 > header);
        int key_a = column_of(header, 12, "A"); /* the first "A" among the keys: key 2 */
        assert_true(key_a > 0);
        assert_true(cell_at(q9, key_a, NULL) == L'1'); /* the header is ASCII: bytes are columns */
        assert_true(find_row(header, "attention, block 1, every head (intervened)") > q9);
        int heads = find_row(header, "[h0]");
        assert_true(heads > q9);
        if (cases[c].colour) /* on 256 colours two queries' rows a line, in half blocks */
            assert_true(find_row(heads, "\u2580") > heads);
        compare_view("grid-pattern", &cases[c]);

        assert_int_equal(tui_run(&t, "source \"<bos> H A J K U I S ? B A J K U I S ?\"; "
                                     "patch z1; cursor resid0[pos=16]; panel lens; "
                                     "metric logit-diff H B"), 0);
        tui_popup_free(&t.popup); /* the metric's and the prompt's reports */
        tui_draw(&t);
        /* the output panel's logit difference: logit H - logit B at the last position */
        int diff_row = find_row(1, "\"H\"-\"B\" ");
        assert_true(diff_row > 0);
        char *diff_text = screen_row(diff_row);
        double shown_clean, shown_iv;
        assert_int_equal(sscanf(strstr(diff_text, "\"H\"-\"B\" ") + 8, "%lf -> %lf",
                                &shown_clean, &shown_iv), 2);
        free(diff_text);
        int out = iv_model_output_site(m), offset, width;
        int h = iv_tokenizer_find(m->tokenizer, "H"), bb = iv_tokenizer_find(m->tokenizer, "B");
        iv_model_prediction(m, &offset, &width);
        const float *lc = t.ws->clean->site[out] + offset, *li = t.ws->intervened->site[out] + offset;
        assert_true(fabs(shown_clean - (lc[h] - lc[bb])) < 0.001);
        assert_true(fabs(shown_iv - (li[h] - li[bb])) < 0.001);
        assert_true(shown_clean > 0 && shown_iv < 0); /* the patch turns H's lead into B's */
        int title = find_row(1, "logit lens (intervened)");
        assert_true(title > 0);
        int r1 = find_row(title, " resid1"), r2 = find_row(title, " resid2");
        assert_true(r1 > title && r2 == r1 + 1);
        int pos16 = column_of(title + 1, 8, "?"); /* the window's last "?": position 16 */
        for (int x = pos16 + 1; x > 0 && column_of(title + 1, x, "?") > 0; )
            x = (pos16 = column_of(title + 1, x, "?")) + 1;
        assert_true(pos16 > 0);
        assert_true(cell_at(r2, pos16, NULL) == L'B' && cell_at(r1, pos16, NULL) != L'B');
        compare_view("grid-lens", &cases[c]);
        finish(&t);
    }
}

/* A transformer's cursor: Up and Down over positions and on into the next site, J K over sites
 * at the same position, > < over heads keeping the value within the head, a pattern's key on the
 * diagonal when the cursor comes in from another site; a click on a grid cell is that value, on
 * a strip that site at the position clicked; a and x select a head and a position. */
static void test_transformer_cursor_and_mouse(void **state)
{
    (void)state;
    tui t;
    open_from_srcdir(&t, 30, 100, false, "model sample_models/induction");
    const iv_model *m = t.ws->model;
    int resid0 = iv_model_site_find(m, "resid0"), z1 = iv_model_site_find(m, "z1");
    int d = m->sites[resid0].inner, T = m->positions, K = m->sites[z1].inner;
    assert_int_equal(t.cur_site, resid0); /* it opens at the last position */
    assert_int_equal(t.cur_neuron, (T - 1) * d);
    tui_key_press(&t, KEY_UP);
    assert_int_equal(t.cur_neuron, (T - 2) * d);
    tui_key_press(&t, KEY_DOWN);
    tui_key_press(&t, KEY_DOWN); /* past the last position: the next site's first */
    assert_int_equal(t.cur_site, resid0 + 1);
    assert_int_equal(t.cur_neuron, 0);
    assert_int_equal(tui_run(&t, "cursor z1[pos=4, head=1, 3]"), 0);
    tui_key_press(&t, '>');
    assert_int_equal(t.cur_neuron, 4 * 4 * K + 2 * K + 3); /* head 2, value 3 */
    tui_key_press(&t, 'K'); /* the pattern before: head 2, query 4 on its own key */
    int pattern1 = iv_model_site_find(m, "pattern1");
    assert_int_equal(t.cur_site, pattern1);
    assert_int_equal(t.cur_neuron, (2 * T + 4) * T + 4);
    tui_key_press(&t, 'J');
    assert_int_equal(t.cur_site, z1);
    assert_int_equal(t.cur_neuron, 4 * 4 * K + 2 * K); /* out of a pattern: the head's first */

    tui_layout lay;
    tui_screen_layout(&t, &lay);
    tui_rect r;
    int want = 4 * 4 * K + 2 * K + 1, site, neuron;
    assert_int_equal(tui_layout_cell(&t, &lay, z1, want, &r), 0);
    assert_int_equal(tui_layout_hit(&t, &lay, r.y, r.x + 2, &site, &neuron), 0);
    assert_int_equal(site, z1);
    assert_int_equal(neuron, want);
    int strip = -1; /* the strip just above the grid */
    for (int k = 1; k < lay.n_rows; k++)
        if (lay.row[k].site == z1)
            strip = k - 1;
    assert_true(strip >= 0);
    int x = lay.layers.x + lay.label_w + (7 - lay.strip_first) * lay.strip_w;
    assert_int_equal(tui_layout_hit(&t, &lay, lay.row[strip].y, x, &site, &neuron), 0);
    assert_int_equal(site, lay.row[strip].site);
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_axes_of(m, site, &a);
    tui_grid_coords(&a, neuron, &pos, &col, &head);
    assert_int_equal(pos, 7);

    tui_key_press(&t, 'a');
    assert_int_equal(tui_selection_count(&t, z1), T * K);
    char *addr = tui_target_address(&t);
    assert_string_equal(addr, "blocks.1.attn.hook_z[head=2]");
    free(addr);
    tui_key_press(&t, 27);
    tui_key_press(&t, 'x');
    addr = tui_target_address(&t);
    assert_string_equal(addr, "blocks.1.attn.hook_z[pos=4]");
    free(addr);
    tui_draw(&t);
    finish(&t);
}

/* As the event loop draws the logit lens: a stale one at once, marked as updating, and the cache
 * pending; tui_lens_update brings it to what the lens computed whole says. */
static void test_lens_drawn_later(void **state)
{
    (void)state;
    tui t;
    open_from_srcdir(&t, 30, 100, false, "model sample_models/induction");
    tui_lens_later(t.lens, true);
    assert_int_equal(tui_run(&t, "panel lens"), 0);
    tui_draw(&t);
    screen_says("logit lens (intervened) updating...");
    assert_true(tui_lens_pending(t.lens));
    tui_lens_update(t.lens, t.ws);
    assert_false(tui_lens_pending(t.lens));
    tui_draw(&t);
    char *shown = dump(false);
    assert_null(strstr(shown, "updating..."));
    free(shown);
    assert_int_equal(tui_run(&t, "ablate z1 zero"), 0);
    tui_draw(&t);
    screen_says("updating...");
    assert_true(tui_lens_pending(t.lens));
    tui_lens_update(t.lens, t.ws);
    const iv_logit_lens *c, *iv;
    bool updating;
    assert_true(tui_lens_of(t.lens, t.ws, &c, &iv, &updating));
    assert_false(updating);
    iv_logit_lens whole;
    assert_int_equal(iv_logit_lens_run(t.ws->model, t.ws->intervened, 0, &whole), 0);
    assert_memory_equal(iv->top, whole.top, sizeof(int) * (size_t)(whole.rows * whole.cols));
    iv_logit_lens_free(&whole);
    finish(&t);
}

/* A prompt of another length rebuilds the model, which may land where the old one was: the
 * explorer still sees another model (by its serial) and sizes its selection and cursor for it. */
static void test_prompt_length_rebuilds_the_explorer(void **state)
{
    (void)state;
    tui t;
    open_from_srcdir(&t, 30, 100, false, "model sample_models/tiny-max");
    static const char *const prompts[] = {"prompt 3 =", "prompt 3 5 =", "prompt 3", "prompt 4 5 ="};
    for (int k = 0; k < 8; k++) {
        assert_int_equal(tui_run(&t, prompts[k % 4]), 0);
        tui_popup_free(&t.popup);
        const iv_model *m = t.ws->model;
        int total = 0;
        for (int s = 0; s < m->n_sites; s++)
            total += m->sites[s].width;
        assert_int_equal(t.site_offset[m->n_sites], total);
        assert_true(t.cur_site < m->n_sites && t.cur_neuron < m->sites[t.cur_site].width);
        assert_int_equal(t.cur_neuron, (m->positions - 1) * m->sites[t.cur_site].inner);
        tui_key_press(&t, 'a'); /* keys and a redraw on the new model */
        tui_key_press(&t, 'x');
        tui_key_press(&t, 'J');
        tui_draw(&t);
        tui_run(&t, "select none; cursor resid0[pos=-1]");
    }
    finish(&t);
}

/* A patching scan draws under its figures as a heatmap of shares of the way from the base's
 * metric to the source's: on the induction sample, with the second copy's first token changed,
 * the changed position carries all of it (100) at both blocks' inputs, the others nothing. */
static void test_patch_scan_screens(void **state)
{
    (void)state;
    const view_size *cases = view_sizes;
    for (size_t c = 0; c < N_VIEW_SIZES; c++) {
        tui t;
        open_from_srcdir(&t, cases[c].rows, cases[c].cols, cases[c].colour,
                         "model sample_models/induction");
        assert_int_equal(tui_run(&t, "source <bos> H A J K U I S ? B A J K U I S ?; metric "
                                     "logit-diff H B; patch-scan resid"),
                         0);
        while (tui_popup_max_scroll(&t) > t.popup.scroll) /* down to the heatmap */
            tui_key_press(&t, KEY_DOWN);
        tui_draw(&t);
        int title = find_row(0, "resid: share of the way from base (5.5) to source (-7.77)");
        assert_true(title > 0);
        if (cases[c].colour) {
            for (int L = 0; L < 2; L++) {
                char *row = screen_row(title + 2 + L);
                assert_non_null(strstr(row, "  0   0   0   0   0   0   0   0   0 100   0"));
                free(row);
            }
        }
        compare_view("patch-scan", &cases[c]);
        finish(&t);
    }
}

/* ---- a lecture's files, named from its own directory ------------------------------------------ */

/* The tests that change the working directory go back to it even when they fail half way, so
 * that a failure does not spread to the tests after them. */
static char dir_before[4096];

static int remember_dir(void **state)
{
    (void)state;
    return getcwd(dir_before, sizeof dir_before) ? 0 : -1;
}

static int back_to_dir(void **state)
{
    (void)state;
    return chdir(dir_before);
}

/* A scratch directory tree for lectures and what they open, removed (deepest first) at the end. */
typedef struct scratch {
    char root[64];
    char *made[32];
    int n;
} scratch;

static void scratch_open(scratch *s)
{
    snprintf(s->root, sizeof s->root, "/tmp/iv-lecture-XXXXXX");
    assert_non_null(mkdtemp(s->root));
    s->n = 0;
}

/* The scratch path of name, remembered for removal. */
static const char *scratch_path(scratch *s, const char *name)
{
    assert_true(s->n < 32);
    s->made[s->n] = iv_xasprintf("%s/%s", s->root, name);
    return s->made[s->n++];
}

static void scratch_dir(scratch *s, const char *name)
{
    assert_int_equal(mkdir(scratch_path(s, name), 0700), 0);
}

static void scratch_file(scratch *s, const char *name, const char *text)
{
    FILE *f = fopen(scratch_path(s, name), "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void scratch_close(scratch *s)
{
    for (int i = s->n - 1; i >= 0; i--) {
        if (unlink(s->made[i]) != 0)
            rmdir(s->made[i]);
        free(s->made[i]);
    }
    assert_int_equal(rmdir(s->root), 0);
}

/* The max network's text, to copy into scratch directories. */
static char *max_network_text(void)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *path = iv_xasprintf("%s/sample_models/max.nn", srcdir);
    iv_error err;
    char *text = iv_read_file(path, 1 << 20, NULL, &err);
    if (!text)
        fail_msg("%s", err.msg);
    free(path);
    return text;
}

/* The same lecture, and the same numbers, from a directory that is neither the source tree nor the
 * lecture's: its model and data are named from the lecture's directory. */
static void test_causal_abstraction_demo_elsewhere(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *top = realpath(srcdir, NULL);
    assert_non_null(top);
    char *lecture = iv_xasprintf("%s/sample_models/lectures/causal-abstraction.demo", top);
    scratch s;
    scratch_open(&s);
    walk_causal_abstraction(s.root, lecture);
    scratch_close(&s);
    free(lecture);
    free(top);
}

/* Reads a lecture from workdir and returns step `step`'s commands (the caller frees them). */
static char *step_commands(const char *workdir, const char *lecture, int step)
{
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(workdir), 0);
    iv_error err;
    tui_demo *d = tui_demo_load(lecture, &err);
    assert_int_equal(chdir(cwd), 0);
    if (!d)
        fail_msg("%s", err.msg);
    assert_true(step < d->n_steps);
    char *commands = iv_xstrdup(d->commands[step]);
    tui_demo_free(d);
    return commands;
}

/* Where the causal-abstraction lecture's model and data are, as the lecture is named from three
 * directories: from the top of the tree its words are what they were before lectures named their
 * files from their own directory, from the lectures' directory they are the lecture's own, and
 * from elsewhere they are absolute. The other lines stay as they are written. */
static void test_lecture_names_files_from_its_directory(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *top = realpath(srcdir, NULL);
    assert_non_null(top);
    const char *rest = "input row 0\ncursor layer0[0]\ncausal \"WX = w0 == x0 and w1 == x1; "
                       "YZ = y0 == z0 and y1 == z1; O = WX == YZ\"\n";
    char *got = step_commands(top, "sample_models/lectures/causal-abstraction.demo", 6);
    char *want = iv_xasprintf("model sample_models/hierarchical-equality.nn\n"
                              "data load sample_models/hierarchical-equality.npz\n%s", rest);
    assert_string_equal(got, want);
    free(got);
    free(want);
    char *lectures = iv_xasprintf("%s/sample_models/lectures", top);
    got = step_commands(lectures, "causal-abstraction.demo", 6);
    want = iv_xasprintf("model ../hierarchical-equality.nn\n"
                        "data load ../hierarchical-equality.npz\n%s", rest);
    assert_string_equal(got, want);
    free(got);
    free(want);
    char *lecture = iv_xasprintf("%s/causal-abstraction.demo", lectures);
    got = step_commands("/", lecture, 6);
    want = iv_xasprintf("model %s/sample_models/hierarchical-equality.nn\n"
                        "data load %s/sample_models/hierarchical-equality.npz\n%s", top, top, rest);
    assert_string_equal(got, want);
    free(got);
    free(want);
    got = step_commands("/", lecture, 0); /* no file in it: as written */
    assert_string_equal(got, "input 3 5\nsource 5 3\nview intervened\ncursor h1[0]\npatch h1[0:2]\n");
    free(got);
    free(lecture);
    free(lectures);
    free(top);
}

/* Each kind of file a lecture reads (model, data load, causal FILE, load) is named from the
 * lecture's directory, and one that is not there stops the lecture at the start with its FILE:LINE,
 * even when the name would do from the working directory. */
static void test_lecture_missing_file_names_its_line(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(srcdir), 0); /* sample_models/max.nn is here, not by the lecture */
    scratch s;
    scratch_open(&s);
    const char *lines[] = {"model sample_models/max.nn", "data load points.csv",
                           "causal gt.causal", "load session.iv"};
    const char *files[] = {"sample_models/max.nn", "points.csv", "gt.causal", "session.iv"};
    const char *lecture = scratch_path(&s, "l.demo");
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(lecture, "w");
        assert_non_null(f);
        fprintf(f, "# a lecture\nsay one\ninput 3 5\n\nsay two\ncausal \"out = x\"; %s\n", lines[i]);
        assert_int_equal(fclose(f), 0);
        iv_error err;
        tui_demo *d = tui_demo_load(lecture, &err);
        assert_null(d);
        char *want = iv_xasprintf("%s:6: '%s': cannot read %s/%s (a lecture's files are named from "
                                  "its directory): No such file or directory", lecture, lines[i],
                                  s.root, files[i]);
        assert_string_equal(err.msg, want);
        free(want);
    }
    /* An absolute name is read as it is. */
    FILE *f = fopen(lecture, "w");
    assert_non_null(f);
    fprintf(f, "say one\nmodel %s/none.nn\n", s.root);
    assert_int_equal(fclose(f), 0);
    iv_error err;
    assert_null(tui_demo_load(lecture, &err));
    char *want = iv_xasprintf("%s:2: 'model %s/none.nn': cannot read %s/none.nn: No such file or "
                              "directory", lecture, s.root, s.root);
    assert_string_equal(err.msg, want);
    free(want);
    scratch_close(&s);
    assert_int_equal(chdir(cwd), 0);
}

/* A lecture beside its files, run from a third directory: the model, the data and the causal
 * model it names open (the dataset's four rows, the causal model's four variables, the network's
 * max(3, 5) = 5), a session it saves is written in the working directory and read back from there,
 * and going back a step reopens the model of the command line from the working directory. */
static void test_lecture_runs_from_another_directory(void **state)
{
    (void)state;
    scratch s;
    scratch_open(&s);
    scratch_dir(&s, "models");
    scratch_dir(&s, "lectures");
    scratch_dir(&s, "work");
    char *max = max_network_text();
    scratch_file(&s, "models/m.nn", max);
    scratch_file(&s, "work/cli.nn", max);
    free(max);
    scratch_file(&s, "models/points.csv", "x,y\n1,2\n3,1\n0,0\n5,4\n");
    scratch_file(&s, "models/gt.causal", "gt = x > y\nout = gt ? x : y\n");
    scratch_file(&s, "lectures/l.demo",
                 "say open\nmodel builtin:max\nmodel ../models/m.nn; data load ../models/points.csv\n"
                 "causal ../models/gt.causal\ninput 3 5\n\n"
                 "say keep\nsave kept.iv\nload kept.iv\n\nsay more\nablate h1[1] zero\n");
    scratch_path(&s, "work/kept.iv"); /* written by the lecture */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *work = iv_xasprintf("%s/work", s.root);
    assert_int_equal(chdir(work), 0);
    tui t;
    start(&t, 24, 80, false);
    free(t.model_arg);
    t.model_arg = iv_xstrdup("cli.nn"); /* as typed, from the working directory */
    char *lecture = iv_xasprintf("%s/lectures/l.demo", s.root);
    iv_error err;
    t.demo = tui_demo_load(lecture, &err);
    if (!t.demo)
        fail_msg("%s", err.msg);
    char *want = iv_xasprintf("model builtin:max\nmodel %s/models/m.nn; data load "
                              "%s/models/points.csv\ncausal %s/models/gt.causal\ninput 3 5\n",
                              s.root, s.root, s.root);
    assert_string_equal(t.demo->commands[0], want);
    free(want);
    assert_string_equal(t.demo->commands[1], "save kept.iv\nload kept.iv\n");
    int out;
    char *model_path = iv_xasprintf("%s/models/m.nn", s.root);
    for (int step = 0; step < 3; step++) {
        tui_demo_step(&t, 1);
        if (t.message_is_error)
            fail_msg("step %d: %s", step + 1, t.message);
        assert_string_equal(ws->model->path, model_path);
        assert_int_equal(ws->data->n, 4);
        assert_int_equal(ws->causal->n_vars, 4);
        out = iv_model_output_site(ws->model);
        assert_true(ws->clean->site[out][0] == 5.0f);
    }
    assert_int_equal(access("kept.iv", R_OK), 0);
    assert_true(ws->intervened->site[out][0] == 8.0f); /* zero h1[1] at (3, 5), as ever */
    tui_demo_step(&t, -1);
    assert_false(t.message_is_error);
    assert_int_equal(t.demo->current, 1);
    assert_int_equal(ws->count, 0);
    free(model_path);
    free(lecture);
    finish(&t);
    assert_int_equal(chdir(cwd), 0);
    free(work);
    scratch_close(&s);
}

/* A directory with a blank in its name is quoted in the command; through a symbolic link, ".."
 * is the link target's parent, so the name is not shortened there: the lecture opens the model
 * beside its real directory (inputs a, b), not the one beside the link (inputs x, y). */
static void test_lecture_paths_quoted_and_through_links(void **state)
{
    (void)state;
    scratch s;
    scratch_open(&s);
    scratch_dir(&s, "a dir");
    char *max = max_network_text();
    scratch_file(&s, "a dir/m.nn", max);
    scratch_file(&s, "m.nn", max);
    free(max);
    scratch_file(&s, "a dir/l.demo", "say open\nmodel m.nn\n");
    char *lecture = iv_xasprintf("%s/a dir/l.demo", s.root);
    iv_error err;
    tui_demo *d = tui_demo_load(lecture, &err);
    if (!d)
        fail_msg("%s", err.msg);
    char *want = iv_xasprintf("model \"%s/a dir/m.nn\"\n", s.root);
    assert_string_equal(d->commands[0], want);
    free(want);
    tui_demo_free(d);
    free(lecture);

    scratch_dir(&s, "real");
    scratch_dir(&s, "real/sub");
    scratch_file(&s, "real/m.nn", "inputs a b\nlayer out identity\n  weights\n    1 1\n");
    scratch_file(&s, "real/sub/l.demo", "say open\nmodel ../m.nn\n");
    const char *link = scratch_path(&s, "link");
    char *target = iv_xasprintf("%s/real/sub", s.root);
    assert_int_equal(symlink(target, link), 0);
    lecture = iv_xasprintf("%s/l.demo", link);
    d = tui_demo_load(lecture, &err);
    if (!d)
        fail_msg("%s", err.msg);
    want = iv_xasprintf("model %s/../m.nn\n", link);
    assert_string_equal(d->commands[0], want);
    free(want);
    tui t;
    start(&t, 24, 80, false);
    t.demo = d;
    tui_demo_step(&t, 1);
    if (t.message_is_error)
        fail_msg("%s", t.message);
    assert_string_equal(ws->model->input_names[0], "a");
    finish(&t);
    free(lecture);
    free(target);
    scratch_close(&s);
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

/* ---- scans under their sites, the causal graph, training charts ------------------------------ */

/* The background colour of a screen cell's colour pair. */
static short background_at(int y, int x, short *bg)
{
    cchar_t cell;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t a;
    short pair, fg;
    mvin_wch(y, x, &cell);
    getcchar(&cell, wc, &a, &pair, NULL);
    pair_content(pair, &fg, bg);
    return pair;
}

/* The screen line of a site's scan (under its first line of cells and labels), and the middle
 * column of neuron i's cell there. */
static int scan_line_of(const tui *t, const tui_layout *lay, int site, int i, int *x)
{
    tui_rect r;
    assert_int_equal(tui_layout_cell(t, lay, site, i, &r), 0);
    *x = r.x + r.w / 2;
    return r.y + r.h + tui_site_has_label_line(t->ws->model, site);
}

/* Patching h1 one neuron at a time at (3, 5) from (5, 3), by hand from LECTURE.md's weights:
 * h1[0] 0 -> 2 shuts both of h2 (out 0: -5); h1[1] 2 -> 0 opens h2[1] = x (out 8: +3); h1[2]
 * 3 -> 5 feeds the shut h2[1] (0); h1[3] 5 -> 3 lowers h2[0] (out 3: -2); h1 whole gives the
 * source's 5 (0). The scan line's cells show these, coloured on the scan's own scale (5): -5 the
 * deepest blue, +3 a middle red, 0 the neutral grey, -2 a light blue. */
static void test_scan_row_under_its_site(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, true);
    tui_layout before;
    tui_layout_compute(&t, &before);
    assert_int_equal(tui_run(&t, "input 3 5; source 5 3; scan h1"), 0);
    assert_non_null(strstr(t.popup.text, "h1[0]   x-y    -5")); /* the popup keeps the table */
    tui_popup_free(&t.popup);
    tui_draw(&t);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    int h1 = iv_model_site_find(t.ws->model, "h1");
    const double want[4] = {-5, 3, 0, -2};
    const short bg[4] = {19, 203, 255, 111}; /* blue256[5], red256[3], ZERO256, blue256[2] */
    for (int i = 0; i < 4; i++) {
        int x, y = scan_line_of(&t, &lay, h1, i, &x);
        short b;
        background_at(y, x, &b);
        if (b != bg[i])
            fail_msg("h1[%d]'s scan cell: background %d, want %d", i, b, bg[i]);
        char *row = screen_row(y), num[16];
        snprintf(num, sizeof num, "%g", want[i]);
        assert_non_null(strstr(row, num));
        free(row);
    }
    char *row = screen_row(scan_line_of(&t, &lay, h1, 0, &(int){0}));
    assert_true(strncmp(row, " scan", 5) == 0);
    assert_non_null(strstr(row, "+-5 patch"));
    free(row);
    /* the rows after h1 moved down one line, the rest of the layout as it was */
    assert_int_equal(lay.row[2].y, before.row[2].y + 1);
    assert_int_equal(lay.row[0].y, before.row[0].y);
    assert_true(lay.row[1].scan && !lay.row[0].scan);
    /* a new input makes it stale; scan off takes it away, and the layout is as before */
    tui_run(&t, "input 4 5");
    tui_draw(&t);
    row = screen_row(scan_line_of(&t, &lay, h1, 0, &(int){0}));
    assert_true(strncmp(row, " stale", 6) == 0);
    free(row);
    tui_run(&t, "input 3 5");
    assert_false(tui_scan_stale(&t, tui_scan_of(&t, h1))); /* back to what was scanned */
    tui_run(&t, "ablate h1[1] zero");
    assert_true(tui_scan_stale(&t, tui_scan_of(&t, h1)));
    tui_run(&t, "toggle 1");
    assert_false(tui_scan_stale(&t, tui_scan_of(&t, h1)));
    tui_run(&t, "scan off");
    assert_null(tui_scan_of(&t, h1));
    tui_layout_compute(&t, &lay);
    for (int k = 0; k < before.n_rows; k++)
        assert_int_equal(lay.row[k].y, before.row[k].y);
    /* a new model takes every scan away */
    tui_run(&t, "scan all zero");
    assert_non_null(tui_scan_of(&t, iv_model_site_find(t.ws->model, "h2")));
    tui_run(&t, "model builtin:max");
    assert_int_equal(t.n_scans, 0);
    finish(&t);
}

/* Without colour the scan's cells carry the sign in their shade: dashes for negative values. */
static void test_scan_row_without_colour(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    tui_run(&t, "input 3 5; source 5 3; scan h1");
    tui_popup_free(&t.popup);
    tui_draw(&t);
    tui_layout lay;
    tui_layout_compute(&t, &lay);
    int h1 = iv_model_site_find(t.ws->model, "h1");
    /* -5: the full negative "━"; +3 (0.6 of the scale): "▓"; 0: blank; -2 (0.4): "─" */
    const wchar_t glyph[4] = {L'━', L'▓', L' ', L'─'};
    for (int i = 0; i < 4; i++) {
        tui_rect r;
        tui_layout_cell(&t, &lay, h1, i, &r);
        int x, y = scan_line_of(&t, &lay, h1, i, &x);
        assert_int_equal(cell_at(y, r.x + 1, NULL), glyph[i]);
    }
    finish(&t);
}

static void scan_screen(const char *name, int rows, int cols, bool colour, const char *commands)
{
    tui t;
    start(&t, rows, cols, colour);
    assert_int_equal(tui_run(&t, commands), 0);
    tui_popup_free(&t.popup);
    tui_draw(&t);
    char *got = dump(colour);
    compare_with(name, got);
    free(got);
    finish(&t);
}

static void test_screen_scan(void **state)
{
    (void)state;
    scan_screen("scan-80x24-colour", 24, 80, true, "input 3 5; source 5 3; scan h1");
    scan_screen("scan-160x48-colour", 48, 160, true, "input 3 5; source 5 3; scan h1; scan h2");
    scan_screen("scan-all-160x48-nocolour", 48, 160, false,
                "input 3 5; source 5 3; scan all zero; input 4 5");
}

/* The screen row of a bar's name, at or after `from`. */
static int bar_row(int from, const char *name)
{
    char s[64];
    snprintf(s, sizeof s, "│ %s", name);
    return find_row(from, s);
}

static int glyphs_on(int y, const wchar_t g)
{
    int n = 0;
    for (int x = 0; x < getmaxx(stdscr); x++)
        n += cell_at(y, x, NULL) == g;
    return n;
}

/* scan ... sorted: the table, then bars by |value|: h1[0] (-5), h1[1] (+3), h1[3] (-2), then the
 * zeros in the table's order; the bars' lengths in proportion (linear: 5 / 5 = 1 to 2 / 5). */
static void test_scan_sorted_bars(void **state)
{
    (void)state;
    tui t;
    start(&t, 40, 120, false);
    assert_int_equal(tui_run(&t, "input 3 5; source 5 3; scan h1 sorted"), 0);
    assert_non_null(strstr(t.popup.text, "h1[1]   y-x    3")); /* the table, as batch mode */
    tui_draw(&t);
    int head = find_row(0, "the largest |value| first");
    assert_true(head > find_row(0, "h1[1]   y-x    3"));
    const char *order[] = {"h1[0] (x-y)", "h1[1] (y-x)", "h1[3] (y)", "h1[2] (x)", "h1  "};
    int y[5], prev = head;
    for (int i = 0; i < 5; i++) {
        y[i] = bar_row(prev + 1, order[i]);
        if (y[i] != prev + 1)
            fail_msg("bar %s at row %d, want %d", order[i], y[i], prev + 1);
        prev = y[i];
    }
    int n0 = glyphs_on(y[0], L'━'), n1 = glyphs_on(y[1], L'█'), n3 = glyphs_on(y[2], L'━');
    assert_true(n0 > 20);
    assert_true(abs(n1 - (int)lround(n0 * 0.6)) <= 1);
    assert_true(abs(n3 - (int)lround(n0 * 0.4)) <= 1);
    assert_int_equal(glyphs_on(y[1], L'━'), 0); /* a positive bar is no negative one */
    assert_int_equal(glyphs_on(y[3], L'━') + glyphs_on(y[3], L'█'), 0); /* 0: no bar */
    char *r = screen_row(y[0]);
    assert_non_null(strstr(r, "-5"));
    free(r);
    r = screen_row(y[1]);
    assert_non_null(strstr(r, "+3"));
    free(r);
    assert_true(find_row(prev, "|change of out|, linear scale") > prev);
    /* the word is the explorer's: the engine never sees it, and a plain scan draws no bars */
    tui_popup_free(&t.popup);
    tui_run(&t, "scan h1");
    assert_int_equal(t.popup.n_parts, 0);
    assert_int_equal(tui_run(&t, "scan h1 bogus"), -1);
    assert_non_null(strstr(t.message, "'bogus'"));
    finish(&t);
}

/* ---- the causal graph ---- */

/* The directions a line glyph (or an arrow, or a box's right side) joins. */
static unsigned joins(wchar_t c)
{
    enum { JN = 1, JE = 2, JS = 4, JW = 8 };
    switch (c) {
    case L'─': return JE | JW;
    case L'│': return JN | JS;
    case L'┌': return JE | JS;
    case L'┐': return JS | JW;
    case L'└': return JN | JE;
    case L'┘': return JN | JW;
    case L'├': return JN | JE | JS;
    case L'┤': return JN | JS | JW;
    case L'┬': return JE | JS | JW;
    case L'┴': return JN | JE | JW;
    case L'┼': return 15;
    case L'>': return JW;
    default: return 0;
    }
}

/* The screen column where `text` starts on row y (every glyph here takes one column). */
static int text_column(int y, const char *text)
{
    char *row = screen_row(y);
    char *at = strstr(row, text);
    int col = -1;
    if (at) {
        col = 0;
        for (const char *p = row; p < at; col++) {
            int len = mblen(p, MB_CUR_MAX);
            p += len > 0 ? len : 1;
        }
    }
    free(row);
    return col;
}

/* A box's right side where lines leave it: the row and column of its '├'. */
typedef struct exit_point {
    int y, x;
} exit_point;

/* From the arrow at (y, x), back along the lines: which of the boxes' right sides `exits` the
 * line reaches, as a bit set of their indices, reading a horizontal line through a '│' as
 * passing under it. */
static unsigned trace_back(int y, int x, const exit_point *exits, int n_exits)
{
    enum { H = 64, WD = 200 };
    static bool seen[H][WD];
    static int stack[H * WD][2];
    memset(seen, 0, sizeof seen);
    int n = 0;
    unsigned found = 0;
    stack[n][0] = y, stack[n][1] = x, n++;
    seen[y][x] = true;
    const int dy[4] = {-1, 0, 1, 0}, dx[4] = {0, 1, 0, -1};
    int cols = getmaxx(stdscr), rows = getmaxy(stdscr);
    while (n) {
        n--;
        int cy = stack[n][0], cx = stack[n][1];
        unsigned j = joins(cell_at(cy, cx, NULL));
        for (int d = 0; d < 4; d++) {
            if (!(j & (1u << d)))
                continue;
            int ny = cy + dy[d], nx = cx + dx[d];
            unsigned back = 1u << ((d + 2) % 4);
            /* a horizontal line under a crossing lane */
            while ((d == 1 || d == 3) && nx > 0 && nx < cols - 1 &&
                   cell_at(ny, nx, NULL) == L'│' && joins(cell_at(ny, nx + dx[d], NULL)) & back)
                nx += dx[d];
            if (ny < 0 || ny >= rows || ny >= H || nx < 0 || nx >= cols || seen[ny][nx])
                continue;
            if (!(joins(cell_at(ny, nx, NULL)) & back))
                continue;
            seen[ny][nx] = true;
            int leaf = -1;
            for (int e = 0; e < n_exits; e++)
                if (exits[e].y == ny && exits[e].x == nx)
                    leaf = e;
            if (leaf >= 0) {
                found |= 1u << leaf;
                continue;
            }
            stack[n][0] = ny, stack[n][1] = nx, n++;
        }
    }
    return found;
}

/* The arrow into the box whose line holds `text`: its row, and its column in *x; -1 when there
 * is none ("> │ " before the text). */
static int arrow_into(const char *text, int *x)
{
    int y = find_row(0, text);
    if (y < 0)
        return -1;
    *x = text_column(y, text) - 3;
    return *x >= 0 && cell_at(y, *x, NULL) == L'>' ? y : -1;
}

/* The right side of the box whose line holds `text`, where its lines leave ('├'); y -1 when
 * lines leave it none ('│'). */
static exit_point exit_of(const char *text)
{
    int y = find_row(0, text);
    assert_true(y >= 0);
    for (int x = text_column(y, text) + 1; x < getmaxx(stdscr); x++) {
        wchar_t c = cell_at(y, x, NULL);
        if (c == L'├')
            return (exit_point){y, x};
        if (c == L'│')
            break;
    }
    return (exit_point){-1, -1};
}

static void test_causal_graph_max(void **state)
{
    (void)state;
    tui t;
    start(&t, 24, 80, false);
    assert_int_equal(tui_run(&t, "causal \"gt = x > y; out = gt ? x : y\"; align gt h1[0:2]"), 0);
    tui_popup_free(&t.popup);
    assert_int_equal(tui_run(&t, "causal"), 0);
    tui_draw(&t);
    char *got = dump(false);
    compare_with("causal-max-80x24", got);
    free(got);
    assert_true(find_row(0, "causal model") > 0);
    assert_true(find_row(0, "~ h1[0:2]") == find_row(0, "gt = x > y") + 1);
    int gx, ox, gy = arrow_into("gt = x > y", &gx), oy = arrow_into("out = gt ? x : y", &ox);
    assert_true(gy > 0 && oy > 0 && ox > gx);
    exit_point exits[3] = {exit_of("│ x "), exit_of("│ y "), exit_of("gt = x > y")};
    assert_true(exits[0].y > 0 && exits[1].y > exits[0].y && exits[2].y > 0);
    assert_int_equal(exit_of("out = gt ? x : y").y, -1); /* the output feeds nothing */
    assert_int_equal(arrow_into("x ", &(int){0}), -1);    /* and nothing feeds the inputs */
    assert_int_equal(arrow_into("y ", &(int){0}), -1);
    /* gt's parents are x and y; out's are x, y and gt */
    assert_int_equal(trace_back(gy, gx, exits, 2), 3);
    assert_int_equal(trace_back(oy, ox, exits, 3), 7);
    finish(&t);
}

static void hierarchical_graph(int rows, int cols, const char *name)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    tui t;
    start(&t, rows, cols, false);
    char *line = iv_xasprintf("model %s/sample_models/hierarchical-equality.nn; causal \"WX = w0 == "
                              "x0 and w1 == x1; YZ = y0 == z0 and y1 == z1; O = WX == YZ\"; "
                              "align WX layer0[0:4] YZ layer0[4:8]", srcdir);
    assert_int_equal(tui_run(&t, line), 0);
    free(line);
    tui_popup_free(&t.popup);
    assert_int_equal(tui_run(&t, "causal"), 0);
    tui_draw(&t);
    char *got = dump(false);
    compare_with(name, got);
    free(got);
    /* the eight inputs in two boxes, by the variable they feed */
    exit_point exits[4] = {exit_of("w0 w1 x0 x1"), exit_of("y0 y1 z0 z1"),
                           exit_of("WX = w0 == x0 and w1 == x1"),
                           exit_of("YZ = y0 == z0 and y1 == z1")};
    for (int i = 0; i < 4; i++)
        assert_true(exits[i].y > 0);
    assert_true(exits[1].y > exits[0].y && exits[3].y > exits[2].y);
    assert_int_equal(exit_of("O = WX == YZ").y, -1);
    assert_true(find_row(0, "~ layer0[0:4]") == exits[2].y + 1);
    assert_true(find_row(0, "~ layer0[4:8]") == exits[3].y + 1);
    int ax, ay = arrow_into("WX = w0", &ax), bx, by = arrow_into("YZ = y0", &bx);
    int ox, oy = arrow_into("O = WX == YZ", &ox);
    assert_true(ay > 0 && by > 0 && oy > 0);
    assert_int_equal(trace_back(ay, ax, exits, 4), 1); /* WX from w and x alone */
    assert_int_equal(trace_back(by, bx, exits, 4), 2); /* YZ from y and z */
    assert_int_equal(trace_back(oy, ox, exits, 4), 4 | 8); /* O from WX and YZ */
    finish(&t);
}

static void test_causal_graph_hierarchical(void **state)
{
    (void)state;
    hierarchical_graph(24, 80, "causal-hierarchical-80x24");
    hierarchical_graph(48, 160, "causal-hierarchical-160x48");
}

static void test_screen_causal_160x48(void **state)
{
    (void)state;
    tui t;
    start(&t, 48, 160, true);
    assert_int_equal(tui_run(&t, "causal \"gt = x > y; out = gt ? x : y\"; align gt h1[0:2]; "
                                 "causal"), 0);
    tui_draw(&t);
    char *got = dump(true);
    compare_with("causal-max-160x48-colour", got);
    free(got);
    finish(&t);
}

/* ---- charts of training records ---- */

/* The plot rows of a record chart (right of the left axis '|'), top first. */
static int record_rows(const char *text, wchar_t rows[][256], int max)
{
    const char *p = strchr(text, '\n') + 1; /* after the legend */
    int n = 0;
    for (const char *nl; n < max && (nl = strchr(p, '\n')); p = nl + 1) {
        char whole[1024];
        snprintf(whole, sizeof whole, "%.*s", (int)(nl - p), p);
        char *bar = strchr(whole, '|');
        if (!bar || strstr(whole, "+--"))
            break;
        mbstowcs(rows[n], bar + 1, 255);
        n++;
    }
    return n;
}

/* The row of the chart rows (top first) where a value on a 0-to-1 axis of n rows falls. */
static int unit_row(double v, int n) { return (int)lround((1 - v) * (n - 1)); }

/* A fabricated INLP record: held-out accuracy 1, 0.75, 0.5 against chance 0.5, training 1 at
 * every step. The held-out line starts at the top left and ends on the chance line, which it
 * hides there; the training line runs along the top, under the held-out one at the first step. */
static void test_inlp_chart_fabricated(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8");
    json_object *r = json_tokener_parse(
        "{\"record\": [{\"iteration\": 1, \"train_accuracy\": 1, \"holdout_accuracy\": 1, "
        "\"majority\": 0.5}, {\"iteration\": 2, \"train_accuracy\": 1, \"holdout_accuracy\": "
        "0.75, \"majority\": 0.5}, {\"iteration\": 3, \"train_accuracy\": 1, "
        "\"holdout_accuracy\": 0.5, \"majority\": 0.5}]}");
    tui t;
    start(&t, 24, 80, false);
    char *text = tui_record_chart_text(r, 60, 11);
    assert_non_null(text);
    assert_non_null(strstr(text, "per iteration, 1 to 3"));
    static wchar_t rows[32][256];
    int n = record_rows(text, rows, 32);
    assert_int_equal(n, 11); /* a row per 0.1 */
    int last = (int)wcslen(rows[0]) - 1;
    assert_int_equal(rows[0][0], L'█');                 /* held out 1 at step 1, over training */
    assert_int_equal(rows[0][last], L'·');              /* training 1 at step 3 */
    assert_int_equal(rows[unit_row(0.5, n)][last], L'█'); /* held out on chance at step 3 */
    assert_int_equal(rows[unit_row(0.5, n)][0], L'-');    /* chance alone at step 1 */
    assert_non_null(strstr(text, "      0.8 |")); /* ticks every 0.2 on the left */
    free(text);
    json_object_put(r);
    finish(&t);
}

/* A fabricated steering sweep of two classes: p(he) falls from 1 to 0 as p(she) rises. */
static void test_probability_chart_fabricated(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8");
    json_object *r = json_tokener_parse(
        "{\"sweep\": \"alpha of #1 (add at h1)\", \"points\": ["
        "{\"value\": 0, \"clean\": [0, 0], \"intervened\": [0, 0], \"probabilities\": [1, 0]},"
        "{\"value\": 1, \"clean\": [0, 0], \"intervened\": [0, 0], \"probabilities\": [0.5, 0.5]},"
        "{\"value\": 2, \"clean\": [0, 0], \"intervened\": [0, 0], \"probabilities\": [0, 1]}]}");
    tui t;
    start(&t, 24, 80, false);
    char *text = tui_probability_chart_text(r, NULL, 60, 11);
    assert_non_null(text);
    assert_non_null(strstr(text, "█ class 0  · class 1"));
    static wchar_t rows[32][256];
    int n = record_rows(text, rows, 32);
    assert_int_equal(n, 11);
    int last = (int)wcslen(rows[n - 1]) - 1;
    assert_int_equal(rows[0][0], L'█');     /* class 0 at 1 where alpha is 0 */
    assert_int_equal(rows[n - 1][0], L'·'); /* class 1 at 0 there */
    assert_int_equal(rows[n - 1][last], L'█');
    assert_int_equal(rows[unit_row(0.5, n)][last / 2], L'█'); /* both at 0.5: class 0 on top */
    free(text);
    /* a sweep without probabilities (a regression head) has no such chart */
    json_object *plain = json_tokener_parse("{\"points\": [{\"value\": 0, \"clean\": 1}, "
                                            "{\"value\": 1, \"clean\": 2}]}");
    assert_null(tui_probability_chart_text(plain, NULL, 60, 11));
    json_object_put(plain);
    json_object_put(r);
    finish(&t);
}

/* A fabricated search: loss 2, 1, 0 and IIA 0, 0.5, 1 over three epochs. The loss falls from the
 * top row to the bottom as the IIA rises from the bottom to the top, and at epoch 2 both are half
 * way: the same cell. */
static void test_record_chart_fabricated(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8");
    json_object *r = json_tokener_parse("{\"record\": [{\"epoch\": 1, \"loss\": 2, \"iia\": 0},"
                                        "{\"epoch\": 2, \"loss\": 1, \"iia\": 0.5},"
                                        "{\"epoch\": 3, \"loss\": 0, \"iia\": 1}]}");
    tui t;
    start(&t, 24, 80, false);
    char *text = tui_record_chart_text(r, 60, 11);
    assert_non_null(text);
    assert_non_null(strstr(text, "per epoch, 1 to 3"));
    assert_non_null(strstr(text, "IIA (right, 0 to 1)"));
    static wchar_t rows[32][256];
    int n = record_rows(text, rows, 32);
    assert_true(n >= 5 && n % 2 == 1);
    int last = 0;
    while (rows[0][last + 1] && rows[0][last + 1] != L'|')
        last++;
    assert_int_equal(rows[0][0], L'█');        /* loss 2 at epoch 1: the top */
    assert_int_equal(rows[n - 1][0], L'·');    /* IIA 0 at epoch 1: the bottom */
    assert_int_equal(rows[0][last], L'·');     /* IIA 1 at epoch 3: the top */
    assert_int_equal(rows[n - 1][last], L'█'); /* loss 0 at epoch 3: the bottom */
    assert_int_equal(rows[n / 2][last / 2], L'▒');
    /* the axes: loss ticks at round numbers on the left, 0 and 1 on the right, epochs whole */
    assert_non_null(strstr(text, "        2 |"));
    assert_non_null(strstr(text, "        0 |"));
    const char *axis = strstr(text, "+---"), *ticks = strchr(axis, '\n') + 1;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(ticks, "\n"), ticks);
    char *w = words_of(line);
    assert_string_equal(w, "1 2 3");
    free(w);
    assert_non_null(strstr(ticks, "epoch"));
    char first[512];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(strchr(text, '\n') + 1, "\n"),
             strchr(text, '\n') + 1);
    assert_non_null(strstr(first, "| 1"));
    free(text);
    /* one epoch, or none, is no chart */
    json_object *one = json_tokener_parse("{\"record\": [{\"epoch\": 1, \"loss\": 2}]}");
    assert_null(tui_record_chart_text(one, 60, 11));
    json_object_put(one);
    json_object_put(r);
    finish(&t);
}

/* train on the golden tests' classifier: the popup starts with the chart, the table under it. */
static void test_record_chart_of_train(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    tui t;
    start(&t, 24, 80, false);
    char *line = iv_xasprintf("model %s/tests/golden/two_class.nn; data load %s/tests/golden/"
                              "points.csv; train bigger init=random epochs=8 batch=1 lr=0.2 seed=3 "
                              "holdout=0.25", srcdir, srcdir);
    assert_int_equal(tui_run(&t, line), 0);
    free(line);
    const char *chart = strstr(t.popup.text, "per epoch, 1 to 8");
    const char *table = strstr(t.popup.text, "trained bigger");
    assert_true(chart && table && chart < table);
    assert_non_null(strstr(chart, "accuracy (right, 0 to 1)"));
    const char *axis = strstr(chart, "+---"), *ticks = strchr(axis, '\n') + 1;
    char tl[256];
    snprintf(tl, sizeof tl, "%.*s", (int)strcspn(ticks, "\n"), ticks);
    char *w = words_of(tl);
    assert_string_equal(w, "2 4 6 8");
    free(w);
    /* the loss of the first and the last epoch, from the table, and the rows of the loss curve
     * ('█', or '▒' where the accuracy meets it) in the first and the last column */
    const char *head = strstr(table, "\nepoch ");
    assert_non_null(head);
    double loss[9] = {0};
    for (const char *p = strchr(head + 1, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
        int e;
        double l;
        if (sscanf(p, "%d %lf", &e, &l) == 2 && e >= 1 && e <= 8)
            loss[e] = l;
        if (!strchr(p, '\n'))
            break;
    }
    static wchar_t rows[32][256];
    int n = record_rows(chart, rows, 32), last = 0;
    while (rows[0][last + 1] && rows[0][last + 1] != L'|')
        last++;
    int first_row = -1, last_row = -1;
    for (int r = 0; r < n; r++) {
        if (first_row < 0 && (rows[r][0] == L'█' || rows[r][0] == L'▒'))
            first_row = r;
        if (last_row < 0 && (rows[r][last] == L'█' || rows[r][last] == L'▒'))
            last_row = r;
    }
    assert_true(first_row >= 0 && last_row >= 0);
    assert_true(loss[1] > loss[8]); /* training lowered the loss */
    assert_true(first_row < last_row);
    tui_draw(&t);
    assert_true(find_row(0, "per epoch, 1 to 8") > 0);
    finish(&t);
}

/* ---- IIA in the explorer: the panel, the failing pairs, the interchange matrix ------------------ */

static const char iia_setup[] = "causal \"gt = x > y; out = gt ? x : y\"";

/* The max network worked by hand from LECTURE.md's weights, on base (bx, by) with h1[0] (and
 * h1[1] when `both`) taken from the source (sx, sy): h1 = [relu(x - y), relu(y - x), x, y],
 * h2 = [relu(y - 100 h1[0]), relu(x - 100 h1[1])], out = h2[0] + h2[1]. */
static double max_patched(double bx, double by, double sx, double sy, bool both)
{
    double d0 = fmax(0, sx - sy), d1 = fmax(0, both ? sy - sx : by - bx);
    return fmax(0, by - 100 * d0) + fmax(0, bx - 100 * d1);
}

/* The causal model gt = x > y; out = gt ? x : y on the base, gt set to its value on the source. */
static double max_expected(double bx, double by, double sx, double sy)
{
    return sx > sy ? bx : by;
}

static bool max_agrees(double bx, double by, double sx, double sy, bool both)
{
    double e = max_expected(bx, by, sx, sy);
    return fabs(max_patched(bx, by, sx, sy, both) - e) <= 1e-6 * fmax(1, fabs(e));
}

/* Row r of the grid x=0:10:1 y=0:10:1 (x fastest). */
static double grid_x(long r) { return (double)(r % 11); }
static double grid_y(long r) { return (double)(r / 11); }

static bool grid_pair_agrees(long b, long s, bool both)
{
    return max_agrees(grid_x(b), grid_y(b), grid_x(s), grid_y(s), both);
}

/* The failing pairs of the grid in the engine's order (base-major), worked by hand. */
static long grid_failures(bool both, long *base, long *source)
{
    long n = 0;
    for (long b = 0; b < 121; b++)
        for (long s = 0; s < 121; s++)
            if (!grid_pair_agrees(b, s, both)) {
                if (base)
                    base[n] = b, source[n] = s;
                n++;
            }
    return n;
}

static void start_aligned(tui *t, int rows, int cols, bool colour, const char *align)
{
    start(t, rows, cols, colour);
    char *line = iv_xasprintf("%s; %s", iia_setup, align);
    assert_int_equal(tui_run(t, line), 0);
    free(line);
    tui_popup_free(&t->popup);
}

/* The iia popup at 80 x 24 and 160 x 48: the IIA in big digits with its counts, the factual
 * accuracy, the pairs, the alignment, and the first failing pair, each against the pairs worked
 * by hand (13,431 and 7,876 agree, as the README says; the factual accuracy 111 / 121). */
static void test_iia_panel(void **state)
{
    (void)state;
    static const struct {
        int rows, cols;
        const char *align, *golden;
        bool both;
    } cases[] = {
        {24, 80, "align gt h1[0:2]", "iia-80x24", true},
        {48, 160, "align gt h1[0:2]", "iia-160x48", true},
        {24, 80, "align gt h1[0]", "iia-h1-0-80x24", false},
    };
    long factual = 0;
    for (long r = 0; r < 121; r++)
        factual += max_agrees(grid_x(r), grid_y(r), grid_x(r), grid_y(r), true);
    assert_int_equal(factual, 111); /* wrong on the diagonal but at (0, 0) */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tui t;
        start_aligned(&t, cases[c].rows, cases[c].cols, true, cases[c].align);
        assert_int_equal(tui_run(&t, "iia"), 0);
        assert_int_equal(t.popup.n_parts, 1);
        assert_ptr_equal(t.popup.parts[0].draw, tui_draw_iia);
        tui_draw(&t);
        static long base[14641], source[14641];
        long failing = grid_failures(cases[c].both, base, source);
        assert_int_equal(failing, cases[c].both ? 1210 : 6765);
        char want[160];
        snprintf(want, sizeof want, "%ld of 14641 pairs agree, %ld fail", 14641 - failing,
                 failing);
        int counts = find_row(0, want);
        assert_true(counts > 0);
        /* the big digits are the lines from under the title to the counts and past them */
        int title = find_row(0, "interchange intervention accuracy of gt ~ h1[0");
        assert_true(title > 0 && counts > title);
        for (int y = title + 1; y < title + 1 + tui_big_height(cases[c].rows >= 48 ? 2 : 1); y++) {
            char *digits = screen_row(y);
            assert_true(strstr(digits, "\u2588") || strstr(digits, "\u2580") ||
                        strstr(digits, "\u2584"));
            free(digits);
        }
        snprintf(want, sizeof want, "factual accuracy        %.3f", (double)factual / 121);
        assert_true(find_row(counts, want) > counts);
        assert_true(find_row(counts, "all 14641 ordered pairs of grid x=0:10:1 y=0:10:1") > 0);
        assert_true(find_row(counts, cases[c].both ? "gt ~ h1[0:2]" : "gt ~ h1[0]") > 0);
        /* the table's first row: the first failing pair, its inputs, the two answers */
        snprintf(want, sizeof want, "1  %ld (x=%g y=%g)", base[0], grid_x(base[0]),
                 grid_y(base[0]));
        int first = find_row(counts, want);
        assert_true(first > 0);
        char *row = screen_row(first);
        snprintf(want, sizeof want, "%ld (x=%g y=%g)", source[0], grid_x(source[0]),
                 grid_y(source[0]));
        assert_non_null(strstr(row, want));
        free(row);
        char *got = dump(true);
        compare_with(cases[c].golden, got);
        free(got);
        finish(&t);
    }
}

/* With two alignments the panel lists each alone, at the IIA the engine reports for it. */
static void test_iia_panel_alone(void **state)
{
    (void)state;
    tui t;
    start_aligned(&t, 30, 100, false, "align gt h1[0:2] y h1[3]");
    json_object *r = engine_result("iia", IV_RESULT_IIA);
    json_object *per = json_object_object_get(r, "per_variable");
    assert_int_equal((int)json_object_array_length(per), 2);
    assert_int_equal(tui_run(&t, "iia"), 0);
    tui_draw(&t);
    static const char *const names[2] = {"gt ~ h1[0:2] alone", "y ~ h1[3] alone"};
    for (int i = 0; i < 2; i++) {
        int y = find_row(0, names[i]);
        assert_true(y > 0);
        char *row = screen_row(y), v[32];
        snprintf(v, sizeof v, "%.3f",
                 json_num(json_object_array_get_idx(per, (size_t)i), "iia"));
        assert_non_null(strstr(row, v));
        free(row);
    }
    assert_true(find_row(0, "gt ~ h1[0:2], y ~ h1[3]") > 0);
    json_object_put(r);
    finish(&t);
}

/* The message `failure K` gives, from the pair worked by hand. */
static void failure_message(long k, long failing, long b, long s, char *buf, size_t n)
{
    double e = max_expected(grid_x(b), grid_y(b), grid_x(s), grid_y(s));
    double net = max_patched(grid_x(b), grid_y(b), grid_x(s), grid_y(s), true);
    snprintf(buf, n, "failure %ld of %ld: base row %ld (x=%g y=%g), source row %ld: network %g, "
             "causal model %g", k, failing, b, grid_x(b), grid_y(b), s, net, e);
}

static void assert_on_failure(const tui *t, long k, const long *base, const long *source)
{
    char want[256];
    failure_message(k, 1210, base[k - 1], source[k - 1], want, sizeof want);
    assert_string_equal(t->message, want);
    /* the heatmaps show that pair: the base and the source are its rows */
    assert_true(t->ws->has_source);
    assert_true(t->ws->base[0] == grid_x(base[k - 1]) && t->ws->base[1] == grid_y(base[k - 1]));
    assert_true(t->ws->source[0] == grid_x(source[k - 1]) &&
                t->ws->source[1] == grid_y(source[k - 1]));
}

/* f and F walk the failing pairs of the last iia, in its order, past the ten the result lists
 * (the engine is asked for more) and around the ends; wrong words and a changed dataset fail
 * with a message and change nothing. */
/* With sources=each the failing tuples have a source per variable: the message names them all, in
 * the order the result lists them, and the screen shows the base and the first source. */
static void test_failure_browser_each(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    tui t;
    start(&t, 24, 80, false);
    char *line = iv_xasprintf(
        "model %s/sample_models/hierarchical-equality.nn; data load "
        "%s/sample_models/hierarchical-equality.npz; causal \"WX = w0 == x0 and w1 == x1; YZ = y0 "
        "== z0 and y1 == z1; O = WX == YZ\"; align WX layer0[4:8] YZ layer0[0:4]; "
        "iia sources=each pairs=2000", srcdir, srcdir);
    if (tui_run(&t, line) != 0)
        fail_msg("%s", t.message);
    free(line);
    assert_non_null(t.iia);
    if (!json_object_object_get(t.iia, "failures"))
        fail_msg("%s", json_object_to_json_string(t.iia));
    json_object *f = json_object_array_get_idx(json_object_object_get(t.iia, "failures"), 0);
    json_object *rows = json_object_object_get(f, "source_rows");
    assert_int_equal((int)json_object_array_length(rows), 2);
    long b = json_object_get_int64(json_object_object_get(f, "base_row"));
    long s0 = json_object_get_int64(json_object_array_get_idx(rows, 0));
    long s1 = json_object_get_int64(json_object_array_get_idx(rows, 1));
    assert_int_equal(tui_run(&t, "failure 1"), 0);
    char want[128];
    snprintf(want, sizeof want, "base row %ld, source rows %ld %ld (the first shown)", b, s0, s1);
    if (!strstr(t.message, want))
        fail_msg("'%s' lacks '%s'", t.message, want);
    assert_int_equal(t.ws->input_row, b);
    assert_int_equal(t.ws->source_row, s0);
    finish(&t);
}

static void test_failure_browser(void **state)
{
    (void)state;
    static long base[1210], source[1210];
    assert_int_equal(grid_failures(true, base, source), 1210);
    tui t;
    start_aligned(&t, 24, 80, false, "align gt h1[0:2]");
    assert_int_equal(tui_run(&t, "failure next"), -1);
    assert_non_null(strstr(t.message, "failure: no IIA yet: run iia first"));
    char *cmd = tui_key_command(&t, 'f');
    assert_string_equal(cmd, "failure next");
    free(cmd);
    cmd = tui_key_command(&t, 'F');
    assert_string_equal(cmd, "failure prev");
    free(cmd);
    assert_int_equal(tui_run(&t, "iia"), 0);
    tui_key_press(&t, 'f'); /* closes the popup */
    assert_null(t.popup.text);
    tui_key_press(&t, 'f');
    assert_string_equal(t.echo, "failure next");
    assert_on_failure(&t, 1, base, source);
    tui_key_press(&t, 'f');
    assert_on_failure(&t, 2, base, source);
    tui_key_press(&t, 'F');
    tui_key_press(&t, 'F'); /* from the first to the last */
    assert_on_failure(&t, 1210, base, source);
    tui_key_press(&t, 'f');
    assert_on_failure(&t, 1, base, source);
    static const long ks[] = {10, 11, 1001, 1000, 600, 1210};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        char line[32];
        snprintf(line, sizeof line, "failure %ld", ks[i]);
        assert_int_equal(tui_run(&t, line), 0);
        assert_on_failure(&t, ks[i], base, source);
    }
    assert_int_equal(tui_run(&t, "failure prev"), 0);
    assert_on_failure(&t, 1209, base, source);
    /* wrong words: a message naming them, and the pair shown stays */
    static const char *const bad[] = {"failure 0", "failure 1211", "failure soon",
                                      "failure 1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tui_run(&t, bad[i]), -1);
        assert_true(t.message_is_error);
        assert_true(strncmp(t.message, "failure: ", 9) == 0);
        assert_true(t.ws->base[0] == grid_x(base[1208]) && t.ws->base[1] == grid_y(base[1208]));
    }
    assert_non_null(strstr(t.message, "expected next, prev or N"));
    assert_int_equal(tui_run(&t, "failure 1211"), -1);
    assert_non_null(strstr(t.message, "from 1 to 1210"));
    /* a new dataset renumbers the rows */
    assert_int_equal(tui_run(&t, "data grid x=0:5:1 y=0:5:1"), 0);
    assert_int_equal(tui_run(&t, "failure next"), -1);
    assert_non_null(strstr(t.message, "the dataset has changed since the last iia"));
    /* every pair agrees: nothing to browse */
    assert_int_equal(tui_run(&t, "data grid x=0:10:1 y=0:10:1"), 0);
    assert_int_equal(tui_run(&t, "iia tol=100; failure"), -1);
    assert_non_null(strstr(t.message, "none fails"));
    finish(&t);
}

static int matrix_int(json_object *m, const char *key, int b, int s)
{
    return json_object_get_int(json_object_array_get_idx(
        json_object_array_get_idx(json_object_object_get(m, key), (size_t)b), (size_t)s));
}

static double matrix_num(json_object *m, const char *key, int b, int s)
{
    return json_object_get_double(json_object_array_get_idx(
        json_object_array_get_idx(json_object_object_get(m, key), (size_t)b), (size_t)s));
}

/* `iia matrix` on the grid: every cell against the pair worked by hand; the cells that disagree
 * are exactly those whose source lies on the diagonal x = y, where the network is wrong (all but
 * the bases with x = 0, where its x + y is y); and METHODS.md's two oracles: a pair (b, b) patches
 * clean into clean, so it agrees where the network is right on b; interchanging a whole layer
 * (h2, with the output) agrees where the network is right on the source. */
static void test_iia_matrix_cells(void **state)
{
    (void)state;
    tui t;
    start_aligned(&t, 24, 80, false, "align gt h1[0:2]");
    json_object *r = engine_result("iia matrix", IV_RESULT_IIA);
    assert_string_equal(json_object_get_string(json_object_object_get(r, "rows")),
                        "the whole grid (121 rows)");
    json_object *m = json_object_object_get(r, "matrix");
    assert_int_equal((int)json_object_array_length(json_object_object_get(m, "x")), 121);
    long agree = 0;
    for (int b = 0; b < 121; b++)
        for (int s = 0; s < 121; s++) {
            double bx = grid_x(b), by = grid_y(b), sx = grid_x(s), sy = grid_y(s);
            bool hand = max_agrees(bx, by, sx, sy, true);
            assert_int_equal(matrix_int(m, "agree", b, s), hand);
            assert_int_equal(!hand, sx == sy && bx != 0);
            assert_true(fabs(matrix_num(m, "error", b, s) -
                             fabs(max_patched(bx, by, sx, sy, true) -
                                  max_expected(bx, by, sx, sy))) < 1e-6);
            agree += hand;
            if (s == b) /* clean into clean: the network as it is */
                assert_int_equal(matrix_int(m, "agree", b, b),
                                 fabs(max_patched(bx, by, bx, by, false) - fmax(bx, by)) < 1e-6);
        }
    assert_int_equal((long)json_num(r, "agree"), agree);
    assert_int_equal((long)json_num(r, "pairs"), 14641);
    json_object_put(r);

    assert_int_equal(tui_run(&t, "unalign all; align out h2"), 0);
    r = engine_result("iia matrix", IV_RESULT_IIA);
    m = json_object_object_get(r, "matrix");
    for (int b = 0; b < 121; b++)
        for (int s = 0; s < 121; s++)
            assert_int_equal(matrix_int(m, "agree", b, s),
                             grid_x(s) != grid_y(s) || grid_x(s) == 0);
    json_object_put(r);
    finish(&t);
}

/* Which rows the matrix takes: a larger grid evenly (every 10th point of 0..100 along each axis,
 * in the grid's order), any other dataset its first 128 rows, or rows=N; and the errors. */
static void test_iia_matrix_rows(void **state)
{
    (void)state;
    tui t;
    start_aligned(&t, 24, 80, false, "align gt h1[0:2]");
    assert_int_equal(tui_run(&t, "data grid x=0:100:1 y=0:100:1"), 0);
    json_object *r = engine_result("iia matrix", IV_RESULT_IIA);
    json_object *axis = json_object_object_get(json_object_object_get(r, "matrix"), "y");
    assert_int_equal((int)json_object_array_length(axis), 121);
    for (int i = 0; i < 121; i++)
        assert_int_equal(json_object_get_int(json_object_array_get_idx(axis, (size_t)i)),
                         (i % 11) * 10 + 101 * 10 * (i / 11));
    assert_non_null(strstr(json_object_get_string(json_object_object_get(r, "rows")),
                           "11 x 11 sub-grid of the 101 x 101 grid"));
    assert_int_equal((long)json_num(r, "agree"), 13431); /* the same structure, 10 times as wide */
    json_object_put(r);
    assert_int_equal(tui_run(&t, "data sample 300 x=0:10 y=0:10 seed=3"), 0);
    r = engine_result("iia matrix", IV_RESULT_IIA);
    assert_string_equal(json_object_get_string(json_object_object_get(r, "rows")),
                        "the first 128 of 300 rows");
    axis = json_object_object_get(json_object_object_get(r, "matrix"), "x");
    for (int i = 0; i < 128; i++)
        assert_int_equal(json_object_get_int(json_object_array_get_idx(axis, (size_t)i)), i);
    json_object_put(r);
    r = engine_result("iia matrix rows=5", IV_RESULT_IIA);
    assert_int_equal((long)json_num(r, "pairs"), 25);
    json_object_put(r);
    static const char *const bad[][2] = {
        {"iia matrix rows=0", "rows=0: expected a count of rows from 1 to 128"},
        {"iia matrix rows=129", "rows=129: expected a count of rows from 1 to 128"},
        {"iia matrix tol=-1", "tol=-1: expected a finite number >= 0"},
        {"iia matrix pairs=5", "'pairs=5': expected rows=N or tol=T after 'iia matrix'"},
        {"iia failures=-1", "failures=-1: expected how many failing pairs to list, 0 to 100000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tui_run(&t, bad[i][0]), -1);
        if (!strstr(t.message, bad[i][1]))
            fail_msg("%s: %s", bad[i][0], t.message);
    }
    assert_int_equal(tui_run(&t, "matrix"), -1);
    assert_non_null(strstr(t.message, "no interchange matrix yet"));
    finish(&t);
}

/* The screen columns of row's text before p (the frame's glyphs take several bytes each). */
static int columns_before(const char *row, const char *p)
{
    int cols = 0;
    mbstate_t st = {0};
    for (const char *q = row; q < p; cols++) {
        size_t k = mbrtowc(NULL, q, MB_CUR_MAX, &st);
        q += k && k < (size_t)-2 ? k : 1;
    }
    return cols;
}

/* One screen row of the matrix: the base its label names, and whether each source shown
 * disagrees, read from the glyphs (no colour: a full block disagrees, the diagonal's mark is
 * X-shaped where it disagrees). Returns the base row, or -1 when the row is no matrix row. */
static long matrix_screen_row(int y, int n_shown, bool *disagrees, int *diagonal)
{
    char *row = screen_row(y);
    char *open = strchr(row, '('), *close = open ? strchr(open, ')') : NULL;
    int bx, by;
    long b = -1;
    if (open && close && sscanf(open, "(%d,%d)", &bx, &by) == 2) {
        b = (long)by * 11 + bx;
        int x0 = columns_before(row, close) + 2; /* after the label and its blank */
        *diagonal = -1;
        for (int j = 0; j < n_shown; j++) {
            wchar_t c = cell_at(y, x0 + j, NULL);
            disagrees[j] = c == L'\u2588' || c == L'\u2573';
            if (c == L'\u2572' || c == L'\u2573')
                *diagonal = j;
        }
    }
    free(row);
    return b;
}

/* The matrix drawn at 80 x 24 (evenly subsampled) and 160 x 48 (every source): each row's cells
 * against the pairs worked by hand, the diagonal marked in every row, the axes named; the demo's
 * screens as goldens, in colour and without. */
static void test_iia_matrix_screen(void **state)
{
    (void)state;
    static const struct {
        int rows, cols;
        bool colour;
        const char *golden;
    } cases[] = {
        {24, 80, false, NULL}, {48, 160, false, NULL},
        {24, 80, true, "iia-matrix-80x24"}, {48, 160, true, "iia-matrix-160x48"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tui t;
        start_aligned(&t, cases[c].rows, cases[c].cols, cases[c].colour, "align gt h1[0:2]");
        tui_key_press(&t, 'X');
        assert_string_equal(t.echo, "iia matrix");
        assert_ptr_equal(t.popup.parts[0].draw, tui_draw_iia_matrix);
        tui_draw(&t);
        int axes = find_row(0, "base (x, y) source (x, y) ->");
        assert_true(axes > 0);
        int nr = 121, nc = 121;
        char *row = screen_row(axes), *shown = strstr(row, "shown: ");
        if (shown)
            assert_int_equal(sscanf(shown, "shown: %d of 121 bases, %d of 121 sources", &nr,
                                    &nc), 2);
        free(row);
        if (cases[c].cols == 160)
            assert_int_equal(nc, 121); /* every source at 160 columns */
        else
            assert_true(nc < 121 && nr < 121);
        if (!cases[c].colour) {
            int rows_seen = 0;
            for (int y = axes + 1; y < axes + 1 + nr; y++) {
                bool dis[121];
                int diag;
                long b = matrix_screen_row(y, nc, dis, &diag);
                assert_true(b >= 0);
                rows_seen++;
                for (int j = 0; j < nc; j++) {
                    long s = lround((double)j * 120 / (nc - 1));
                    if (dis[j] != !grid_pair_agrees(b, s, true))
                        fail_msg("%dx%d: base row %ld, source row %ld: on screen %s",
                                 cases[c].cols, cases[c].rows, b, s, dis[j] ? "disagrees"
                                                                            : "agrees");
                }
                /* the diagonal: the source shown nearest to the base itself */
                assert_int_equal(diag, (int)lround((double)b * (nc - 1) / 120));
            }
            assert_int_equal(rows_seen, nr);
            assert_true(find_row(axes, "(0,0)") > axes); /* the sources' axis under the map */
        } else {
            char *got = dump(true);
            compare_with(cases[c].golden, got);
            free(got);
        }
        finish(&t);
    }
}

/* E shows the last matrix again by the error |network - causal model| (a shade for each without
 * colour), and again by agreement; under LANG=C the map is ASCII. */
static void test_iia_matrix_by_error(void **state)
{
    (void)state;
    tui t;
    start_aligned(&t, 48, 160, false, "align gt h1[0:2]");
    assert_int_equal(tui_run(&t, "iia matrix"), 0);
    tui_key_press(&t, 'q'); /* closes it */
    tui_key_press(&t, 'E');
    assert_string_equal(t.echo, "matrix");
    assert_true(t.iia_matrix_error);
    assert_string_equal(t.message, "the matrix by error; any key closes it");
    tui_draw(&t);
    /* the largest error: the network's x + y against y, x = 10 */
    assert_true(find_row(0, "error: 0 ") > 0 && find_row(0, " 10  (|network - causal model|)") > 0);
    int y = find_row(0, "(4,0)"); /* base (4, 0): error 4 where the source is on the diagonal */
    assert_true(y > 0);
    char *row = screen_row(y);
    int x0 = columns_before(row, strstr(row, "(4,0)")) + 6;
    free(row);
    for (int s = 0; s < 121; s++) {
        double e = fabs(max_patched(4, 0, grid_x(s), grid_y(s), true) -
                        max_expected(4, 0, grid_x(s), grid_y(s)));
        wchar_t want[4];
        mbstowcs(want, s == 4 && e == 0 ? "\u2572" : tui_colour_shade(e, 10), 4);
        if (cell_at(y, x0 + s, NULL) != want[0])
            fail_msg("source row %d: error %g drawn as %lc", s, e, (wint_t)cell_at(y, x0 + s, NULL));
    }
    assert_int_equal(tui_run(&t, "matrix agree"), 0);
    assert_false(t.iia_matrix_error);
    finish(&t);

    setlocale(LC_ALL, "C");
    start_aligned(&t, 24, 80, false, "align gt h1[0:2]");
    assert_int_equal(tui_run(&t, "iia matrix"), 0);
    tui_draw(&t);
    int axes = find_row(0, "base (x, y)");
    row = screen_row(axes + 2); /* base (10, 0): disagrees on every diagonal source */
    assert_non_null(strstr(row, "(10,0)"));
    assert_non_null(strchr(row, '#'));
    free(row);
    assert_true(find_row(axes, "\\") > axes);
    for (int r = axes + 1; r < axes + 14; r++) /* the map's rows: ASCII inside the frame */
        for (int x = 1; x < 79; x++)
            assert_true(cell_at(r, x, NULL) < 128);
    finish(&t);
    setlocale(LC_ALL, "C.UTF-8");
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
        cmocka_unit_test(test_alignments_beside_the_network),
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
        cmocka_unit_test_setup_teardown(test_captions_whole_at_80x24, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_causal_abstraction_demo, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_causal_abstraction_demo_elsewhere, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_inlp_demo, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_steering_demo, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_transformer_demo, remember_dir, back_to_dir),
        cmocka_unit_test(test_concept_screens),
        cmocka_unit_test(test_transformer_output_screens),
        cmocka_unit_test(test_attention_screens),
        cmocka_unit_test(test_transformer_grid_screens),
        cmocka_unit_test(test_transformer_cursor_and_mouse),
        cmocka_unit_test(test_prompt_length_rebuilds_the_explorer),
        cmocka_unit_test(test_lens_drawn_later),
        cmocka_unit_test(test_patch_scan_screens),
        cmocka_unit_test_setup_teardown(test_lecture_names_files_from_its_directory, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_lecture_missing_file_names_its_line, remember_dir, back_to_dir),
        cmocka_unit_test_setup_teardown(test_lecture_runs_from_another_directory, remember_dir, back_to_dir),
        cmocka_unit_test(test_lecture_paths_quoted_and_through_links),
        cmocka_unit_test(test_caption_too_long_says_so),
        cmocka_unit_test(test_regions_map),
        cmocka_unit_test(test_regions_map_grows),
        cmocka_unit_test(test_compare_bars),
        cmocka_unit_test(test_sweep_chart_axes),
        cmocka_unit_test(test_scan_row_under_its_site),
        cmocka_unit_test(test_scan_row_without_colour),
        cmocka_unit_test(test_screen_scan),
        cmocka_unit_test(test_scan_sorted_bars),
        cmocka_unit_test(test_causal_graph_max),
        cmocka_unit_test(test_causal_graph_hierarchical),
        cmocka_unit_test(test_screen_causal_160x48),
        cmocka_unit_test(test_record_chart_fabricated),
        cmocka_unit_test(test_inlp_chart_fabricated),
        cmocka_unit_test(test_probability_chart_fabricated),
        cmocka_unit_test(test_record_chart_of_train),
        cmocka_unit_test(test_iia_panel),
        cmocka_unit_test(test_iia_panel_alone),
        cmocka_unit_test(test_failure_browser),
        cmocka_unit_test(test_failure_browser_each),
        cmocka_unit_test(test_iia_matrix_cells),
        cmocka_unit_test(test_iia_matrix_rows),
        cmocka_unit_test(test_iia_matrix_screen),
        cmocka_unit_test(test_iia_matrix_by_error),
    };
    return cmocka_run_group_tests_name("tui", tests, NULL, NULL);
}
