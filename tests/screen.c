/* screen.c - a headless curses screen for the explorer's tests, and its saved dumps (screen.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "screen.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "files.h"

static SCREEN *screen;
static FILE *screen_out, *screen_in;

void open_screen(int rows, int cols, bool colour)
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

void close_screen(void)
{
    endwin();
    delscreen(screen);
    fclose(screen_out);
    fclose(screen_in);
}

/* The screen as UTF-8 text, one line per row, trailing blanks kept so columns line up; then, with
 * colour, a second grid with one letter per cell for its colour pair ('.' for none). */
char *dump(bool colour)
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

void compare_with(const char *name, const char *got)
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


iv_workspace *explorer_open(tui *t, iv_model *m, int rows, int cols, bool colour)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(m, &err);
    assert_non_null(ws);
    open_screen(rows, cols, colour);
    tui_init(t, ws);
    t->model_arg = iv_xstrdup("builtin:max");
    t->colour = tui_colour_init();
    t->rows = rows;
    t->cols = cols;
    tui_run(t, "");
    return ws;
}

void explorer_close(tui *t, iv_workspace *ws)
{
    tui_free(t);
    iv_workspace_free(ws);
    close_screen();
}

wchar_t screen_cell(int y, int x, unsigned *attrs, short *pair)
{
    cchar_t cell;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t a;
    short p;
    mvin_wch(y, x, &cell);
    getcchar(&cell, wc, &a, &p, NULL);
    if (attrs)
        *attrs = (unsigned)(a & ~A_COLOR);
    if (pair)
        *pair = p;
    return wc[0];
}
