/* screen.h - what the explorer's cmocka tests share: a headless curses screen, its contents as
 * text, and the comparison with a saved dump in tests/screens/ (IV_UPDATE_GOLDEN=1 rewrites it).
 * Include after cmocka.h. */
#ifndef IV_TEST_SCREEN_H
#define IV_TEST_SCREEN_H

#include <stdbool.h>
#include <wchar.h>

#include "tui.h"

/* A headless xterm-256color screen of rows x cols, NO_COLOR set unless colour; one at a time. */
void open_screen(int rows, int cols, bool colour);
void close_screen(void);
/* The screen as UTF-8 text, one line per row, trailing blanks kept so columns line up; then, with
 * colour, a second grid with one letter per cell for its colour pair ('.' for none). Caller
 * frees. */
char *dump(bool colour);
/* What cell y, x holds: its character, and (each unless NULL) its attributes without the colour
 * and its colour pair. */
wchar_t screen_cell(int y, int x, unsigned *attrs, short *pair);
/* Fails the running test, showing the first differing line, unless `got` is the saved dump
 * tests/screens/NAME.txt (under $srcdir). */
void compare_with(const char *name, const char *got);

/* The explorer's state on a model (the workspace owns it) and a headless screen of the given
 * size, drawn once; its workspace. explorer_close frees both and closes the screen. */
iv_workspace *explorer_open(tui *t, iv_model *m, int rows, int cols, bool colour);
void explorer_close(tui *t, iv_workspace *ws);

#endif
