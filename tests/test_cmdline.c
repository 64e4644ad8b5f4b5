/* test_cmdline.c - the ':' command line without a terminal: keys as curses delivers them pass
 * through readline's callback interface into tui_run; editing, history, cancel and completion
 * work; the line drawn on a headless curses screen puts the cursor at the right column, UTF-8
 * text included. */
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

#include <readline/readline.h>

#include "history.h"
#include "kinds.h"
#include "tui.h"
#include "files.h"
#include "formats/formats.h"

static char state_dir[] = "/tmp/test_cmdline.XXXXXX";

typedef struct fixture {
    iv_workspace *ws;
    tui t;
} fixture;

static int setup(void **state)
{
    fixture *f = iv_xcalloc(1, sizeof *f);
    iv_error err;
    f->ws = iv_workspace_new(iv_model_builtin_max(), &err);
    if (!f->ws)
        return -1;
    tui_init(&f->t, f->ws);
    tui_cmdline_init(&f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tui_cmdline_end();
    tui_free(&f->t);
    iv_workspace_free(f->ws);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------------------ */

/* Each byte as wgetch returns it: UTF-8 text arrives one byte at a time. */
static void type(tui *t, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        tui_cmdline_key(t, *p);
}

static void press(tui *t, int key, int times)
{
    while (times-- > 0)
        tui_cmdline_key(t, key);
}

/* The bottom line of an 80 x 24 screen, as layout.c places the command line. */
static tui_layout bottom_line(int width)
{
    tui_layout lay;
    memset(&lay, 0, sizeof lay);
    lay.cmdline = (tui_rect){23, 0, 1, width};
    return lay;
}

/* Draws the line and reads it back: the text without trailing blanks, and the cursor column. */
static int draw_line(const tui *t, int width, char *text, int size)
{
    tui_layout lay = bottom_line(width);
    erase();
    tui_cmdline_draw(t, &lay);
    int y, x;
    getyx(stdscr, y, x);
    assert_int_equal(y, 23);
    mvinnstr(23, 0, text, size - 1);
    text[size - 1] = '\0';
    for (size_t n = strlen(text); n > 0 && text[n - 1] == ' '; n--)
        text[n - 1] = '\0';
    return x;
}

static char *read_history_file(void)
{
    char *path = iv_xasprintf("%s/intervene/history", state_dir);
    iv_error err;
    char *text = iv_read_file(path, 1 << 20, NULL, &err);
    free(path);
    return text;
}

/* ---- running a line ----------------------------------------------------------------------------- */

static void test_enter_runs_the_line(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    assert_true(f->t.cmdline_open);
    type(&f->t, "input 3 5");
    char shown[128];
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 10);
    assert_string_equal(shown, ":input 3 5");
    press(&f->t, '\r', 1);
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.echo, "input 3 5");
    assert_true(f->ws->base[0] == 3 && f->ws->base[1] == 5);
    char *history = read_history_file();
    assert_non_null(history);
    assert_non_null(strstr(history, "input 3 5\n"));
    free(history);
}

static void test_keypad_enter_and_empty_line(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    press(&f->t, '\r', 1); /* an empty line just closes */
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.echo, "");
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 1 2");
    press(&f->t, KEY_ENTER, 1);
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.echo, "input 1 2");
}

static void test_prefill(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "input 3 ");
    char shown[128];
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 9);
    assert_string_equal(shown, ":input 3");
    type(&f->t, "7\n");
    assert_string_equal(f->t.echo, "input 3 7");
    assert_true(f->ws->base[0] == 3 && f->ws->base[1] == 7);
}

static void test_editing_keys(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 3 5");
    press(&f->t, KEY_LEFT, 2);
    press(&f->t, KEY_BACKSPACE, 1); /* deletes the 3 */
    type(&f->t, "4");
    assert_string_equal(rl_line_buffer, "input 4 5");
    press(&f->t, KEY_HOME, 1);
    press(&f->t, KEY_DC, 1);
    assert_string_equal(rl_line_buffer, "nput 4 5");
    type(&f->t, "i");
    press(&f->t, KEY_RIGHT, 1);
    assert_int_equal(rl_point, 2);
    press(&f->t, KEY_END, 1);
    assert_int_equal(rl_point, 9);
    press(&f->t, '\r', 1);
    assert_string_equal(f->t.echo, "input 4 5");
}

static void test_alt_chord(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 3 5");
    ungetch('b'); /* Alt-b: Escape with its key right behind it, a word back */
    press(&f->t, 27, 1);
    assert_true(f->t.cmdline_open);
    assert_int_equal(rl_point, 8);
    assert_string_equal(rl_line_buffer, "input 3 5");
    /* Home as screen and tmux send it, which curses did not decode under another TERM. */
    ungetch('~'); /* ungetch is last in, first out */
    ungetch('1');
    ungetch('[');
    press(&f->t, 27, 1);
    assert_true(f->t.cmdline_open);
    assert_int_equal(rl_point, 0);
    assert_string_equal(rl_line_buffer, "input 3 5");
}

static void test_history_recall(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 2 9\r");
    tui_cmdline_open(&f->t, "");
    type(&f->t, "seed 4\r");
    tui_cmdline_open(&f->t, "");
    press(&f->t, KEY_UP, 1);
    assert_string_equal(rl_line_buffer, "seed 4");
    press(&f->t, KEY_UP, 1);
    assert_string_equal(rl_line_buffer, "input 2 9");
    press(&f->t, KEY_DOWN, 1);
    assert_string_equal(rl_line_buffer, "seed 4");
    press(&f->t, KEY_UP, 1);
    press(&f->t, '\r', 1);
    assert_string_equal(f->t.echo, "input 2 9");
}

static void test_history_survives_restart(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 6 1\r");
    tui_cmdline_end(); /* as at the end of a session, then a new one */
    tui_cmdline_init(&f->t);
    tui_cmdline_open(&f->t, "");
    press(&f->t, KEY_UP, 1);
    assert_string_equal(rl_line_buffer, "input 6 1");
    press(&f->t, 27, 1);
}

/* curses in nl mode delivers Return as '\n': it must end an incremental search and run the line. */
static void test_search_then_enter(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 4 4\r");
    tui_cmdline_open(&f->t, "");
    type(&f->t, "clear\r");
    tui_cmdline_open(&f->t, "");
    press(&f->t, 18, 1); /* Ctrl-R */
    type(&f->t, "4 4\n");
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.echo, "input 4 4");
}

/* In vi mode (from ~/.inputrc) Escape leaves insert mode; a second one cancels. */
static void test_vi_mode_escape(void **state)
{
    fixture *f = *state;
    rl_variable_bind("editing-mode", "vi");
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 3 5");
    press(&f->t, 27, 1);
    assert_true(f->t.cmdline_open);
    assert_int_equal(rl_point, 8); /* command mode puts the cursor on the last character */
    type(&f->t, "b");               /* a word back */
    assert_int_equal(rl_point, 6);
    press(&f->t, 27, 1);
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.message, "cancelled");
    rl_variable_bind("editing-mode", "emacs");
}

/* ---- cancelling --------------------------------------------------------------------------------- */

static void test_escape_cancels(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 8 8");
    press(&f->t, 27, 1);
    assert_false(f->t.cmdline_open);
    assert_string_equal(f->t.message, "cancelled");
    assert_string_equal(f->t.echo, "");
    assert_true(f->ws->base[0] == 0 && f->ws->base[1] == 0);
    /* The next line starts empty. */
    tui_cmdline_open(&f->t, "");
    assert_string_equal(rl_line_buffer, "");
    press(&f->t, 27, 1);
}

static void test_ctrl_c_and_ctrl_g_cancel(void **state)
{
    fixture *f = *state;
    int keys[] = {3, 7};
    for (int i = 0; i < 2; i++) {
        tui_cmdline_open(&f->t, "clear");
        f->t.message[0] = '\0';
        press(&f->t, keys[i], 1);
        assert_false(f->t.cmdline_open);
        assert_string_equal(f->t.message, "cancelled");
    }
    assert_string_equal(f->t.echo, "");
}

static void test_cancel_inside_a_search(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "input 4 4\r");
    tui_cmdline_open(&f->t, "");
    press(&f->t, 18, 1); /* Ctrl-R: incremental search, which changes the prompt */
    type(&f->t, "4 4");
    char shown[128];
    draw_line(&f->t, 80, shown, sizeof shown);
    assert_non_null(strstr(shown, "input 4 4"));
    press(&f->t, 27, 1);
    assert_false(f->t.cmdline_open);
    tui_cmdline_open(&f->t, "");
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 1);
    assert_string_equal(shown, ":");
    press(&f->t, 27, 1);
}

/* ---- completion --------------------------------------------------------------------------------- */

static void test_complete_command(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "abl\t");
    assert_string_equal(rl_line_buffer, "ablate ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "");
    type(&f->t, "sel\t"); /* a UI command */
    assert_string_equal(rl_line_buffer, "select ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "input 1 1; cle"); /* after a ';' a command starts again */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "input 1 1; clear ");
    press(&f->t, 27, 1);
}

static void test_complete_sites(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "ablate h");
    type(&f->t, "\t\t"); /* ambiguous: the second Tab lists the matches in the message line */
    assert_string_equal(rl_line_buffer, "ablate h");
    assert_string_equal(f->t.message, "h1 h1.pre h2 h2.pre");
    type(&f->t, "2.\t");
    assert_string_equal(rl_line_buffer, "ablate h2.pre ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "show i");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "show input ");
    press(&f->t, 27, 1);
}

static void test_complete_neurons_and_kinds(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "ablate h1[");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[\"");
    type(&f->t, "x-\t");
    assert_string_equal(rl_line_buffer, "ablate h1[\"x-y\"] ");
    type(&f->t, "ze\t");
    assert_string_equal(rl_line_buffer, "ablate h1[\"x-y\"] zero ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate input[y"); /* a bare label becomes the quoted form */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate input[\"y\"] ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h2[1"); /* no labels: by index */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h2[1] ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] re"); /* "r" is resample or rotate */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] resample ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] ro");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] rotate ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] o"); /* every kind completes, optimal too */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] optimal ");
    press(&f->t, 27, 1);
}

/* The kinds and their options come from the table of kinds: every kind is offered after the
 * address, and after a kind its KEY= options, with no blank after a lone KEY=. */
static void test_complete_kinds_from_table(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "ablate h1[0] ");
    type(&f->t, "\t\t");
    int n;
    const iv_kind_info *kinds = iv_kinds(&n);
    for (int i = 0; i < n; i++) {
        char word[40];
        snprintf(word, sizeof word, " %s ", kinds[i].name);
        char shown[600];
        snprintf(shown, sizeof shown, " %s ", f->t.message);
        if (!strstr(shown, word))
            fail_msg("Tab after 'ablate h1[0]' lists '%s' without %s", f->t.message,
                     kinds[i].name);
    }
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] noise s");
    type(&f->t, "\t\t");
    assert_string_equal(f->t.message, "samples= seed= sigma= std=neuron std=site");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] noise k");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] noise k=");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] noise std=s");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] noise std=site ");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] resample samples=3 se");
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] resample samples=3 seed=");
    press(&f->t, 27, 1);
    tui_cmdline_open(&f->t, "ablate h1[0] zero "); /* zero takes no options */
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, "ablate h1[0] zero ");
    press(&f->t, 27, 1);
}

static void test_complete_file_names(void **state)
{
    fixture *f = *state;
    char *path = iv_xasprintf("%s/session.iv", state_dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fclose(out);
    char *typed = iv_xasprintf("save %s/sess", state_dir);
    tui_cmdline_open(&f->t, typed);
    type(&f->t, "\t");
    char *want = iv_xasprintf("save %s ", path);
    assert_string_equal(rl_line_buffer, want);
    press(&f->t, 27, 1);
    /* Elsewhere no file names, even where one would match. */
    free(typed);
    typed = iv_xasprintf("show %s/sess", state_dir);
    tui_cmdline_open(&f->t, typed);
    type(&f->t, "\t");
    assert_string_equal(rl_line_buffer, typed);
    press(&f->t, 27, 1);
    free(typed);
    free(want);
    unlink(path);
    free(path);
}

/* ---- drawing ------------------------------------------------------------------------------------ */

static void test_utf8_cursor_column(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "");
    type(&f->t, "say h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac"); /* "say héllo 日本" */
    char shown[128];
    /* ':' + 10 one-column characters + 2 two-column ones = 15 columns, from 17 bytes. */
    assert_int_equal(rl_point, 17);
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 15);
    assert_string_equal(shown, ":say h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac");
    press(&f->t, KEY_LEFT, 1);
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 13);
    press(&f->t, KEY_LEFT, 6);
    assert_int_equal(draw_line(&f->t, 80, shown, sizeof shown), 6); /* before the é */
    press(&f->t, 27, 1);
}

static void test_long_line_scrolls(void **state)
{
    fixture *f = *state;
    tui_cmdline_open(&f->t, "say ");
    for (int i = 0; i < 10; i++)
        type(&f->t, i % 2 ? "abcdefghij" : "0123456789");
    char shown[128];
    int x = draw_line(&f->t, 40, shown, sizeof shown);
    assert_true(x > 0 && x < 40);
    assert_true(strlen(shown) <= 40);
    assert_non_null(strstr(shown, "abcdefghij")); /* the end of the text is in view */
    press(&f->t, KEY_HOME, 1);
    x = draw_line(&f->t, 40, shown, sizeof shown);
    assert_int_equal(x, 1);
    assert_true(strncmp(shown, ":say 0123456789", 15) == 0);
    press(&f->t, 27, 1);
}

static void test_closed_line_draws_nothing(void **state)
{
    fixture *f = *state;
    tui_layout lay = bottom_line(80);
    erase();
    mvaddstr(23, 0, "hint");
    tui_cmdline_draw(&f->t, &lay);
    char shown[16];
    mvinnstr(23, 0, shown, 4);
    shown[4] = '\0';
    assert_string_equal(shown, "hint");
}

/* The history file keeps about its last `keep` lines: trimmed (atomically) once it is half as long
 * again, to the newest `keep`, whether it grew here or came long from an earlier run. */
static long count_lines(const char *path, char *first, size_t n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[64];
    long lines = 0;
    while (fgets(line, sizeof line, f))
        if (lines++ == 0)
            snprintf(first, n, "%s", line);
    fclose(f);
    return lines;
}

static void test_history_trimmed(void **state)
{
    (void)state;
    char dir[] = "/tmp/iv-history-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = iv_xasprintf("%s/history", dir), first[64];
    for (int i = 1; i <= 160; i++) {
        char line[32];
        snprintf(line, sizeof line, "input %d 0", i);
        ui_history_append(path, line, 100);
    }
    /* 151 lines made it 1.5 x 100 + 1: trimmed to the newest 100, then 9 more appended. */
    assert_int_equal(count_lines(path, first, sizeof first), 109);
    assert_string_equal(first, "input 52 0\n");
    /* A long file from before is trimmed at the first line added. */
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 500; i++)
        fprintf(f, "old %d\n", i);
    fclose(f);
    char *other = iv_xasprintf("%s/history2", dir);
    rename(path, other);
    ui_history_append(other, "new", 100);
    assert_int_equal(count_lines(other, first, sizeof first), 100);
    assert_string_equal(first, "old 401\n");
    unlink(other);
    rmdir(dir);
    free(other);
    free(path);
}

int main(void)
{
    /* A UTF-8 locale as the explorer runs in; no user's ~/.inputrc, no user's history. */
    setlocale(LC_ALL, "C.UTF-8");
    setenv("INPUTRC", "/dev/null", 1);
    if (!mkdtemp(state_dir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("XDG_STATE_HOME", state_dir, 1);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *screen = newterm("xterm-256color", out, in);
    if (!screen) {
        fprintf(stderr, "test_cmdline: no xterm-256color terminal description\n");
        return 1;
    }
    set_term(screen);
    resizeterm(24, 80);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_trimmed),
        cmocka_unit_test_setup_teardown(test_enter_runs_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keypad_enter_and_empty_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_editing_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alt_chord, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_recall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_survives_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_then_enter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vi_mode_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escape_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_c_and_ctrl_g_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_inside_a_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_neurons_and_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_kinds_from_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_file_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8_cursor_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_scrolls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_line_draws_nothing, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    endwin();
    delscreen(screen);
    fclose(out);
    fclose(in);
    char *history = iv_xasprintf("%s/intervene/history", state_dir);
    char *dir = iv_xasprintf("%s/intervene", state_dir);
    unlink(history);
    rmdir(dir);
    rmdir(state_dir);
    free(history);
    free(dir);
    return failed;
}
