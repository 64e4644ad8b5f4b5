/* draw.h - text drawn into a rectangle, clipped to a number of screen columns.
 *
 * The views draw their text through here, so that they agree on how wide a text is and none of
 * them writes past its panel: printf's "%.*s" counts bytes, not columns, and curses wraps a line
 * that runs off the screen onto the next one.
 *
 * A text is UTF-8 (the locale's multibyte encoding) and ends at its NUL or its first newline: a
 * view draws one line at a time, and a newline handed to curses would clear the rest of the line
 * and carry on below. On the screen:
 *   - a byte that does not begin a valid character is '?' in one column, and decoding resumes at
 *     the next byte, so a file name in another encoding costs one column per bad byte;
 *   - a control character (below space, or DEL) is ^X in two columns, as readline shows it;
 *   - another character the locale cannot print is '?' in one column;
 *   - a character that would cross the clip edge (a double-width one, or ^X, with one column left)
 *     is left out and its column blanked, rather than drawn half or pushed over the edge;
 *   - a zero-width character (a combining accent) joins the character before it, and is dropped
 *     when it would come first, since it would join whatever another panel drew to the left.
 * Rows and columns are relative to the rectangle; a row or a starting column outside it, or no
 * columns to draw in, draws nothing. The rectangle is clipped to the screen too. */
#ifndef IV_DRAW_H
#define IV_DRAW_H

#include <stddef.h>

#include "tui.h"

/* Draws s at (row, col) of r in attr, in at most max_cols columns and never past r's right edge;
 * the attribute is A_NORMAL afterwards. Returns the columns written (blanked ones included). */
int tui_draw_clipped(const tui_rect *r, int row, int col, int max_cols, const char *s, int attr);
/* As tui_draw_clipped, with r's right edge the only limit. */
int tui_draw_text(const tui_rect *r, int row, int col, const char *s, int attr);
/* As tui_draw_clipped, then spaces in attr up to exactly cols columns (or r's edge): a line that
 * fills its field, so a shorter text leaves nothing of what was there before. */
int tui_draw_padded(const tui_rect *r, int row, int col, int cols, const char *s, int attr);

/* The columns s takes when drawn unclipped. */
int tui_text_width(const char *s);
/* How many bytes of s fit in max_cols columns, as tui_draw_clipped would draw them (a character
 * crossing the edge does not fit). *cols, unless NULL, gets the columns those bytes take. */
size_t tui_text_fit(const char *s, int max_cols, int *cols);
/* Text word-wrapped to width columns: its lines flow into one paragraph, an empty line starts
 * another, a word wider than a line is cut. Caller frees. */
char *tui_wrap_text(const char *text, int width);

#endif
