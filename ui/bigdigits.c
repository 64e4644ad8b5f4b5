/* bigdigits.c - numbers in digits several lines tall, for the output panel's big mode: the one
 * number a lecture hall has to read from the back row.
 *
 * Each character is a pixel font 5 rows tall. In a UTF-8 locale two pixel rows share a line
 * through the half blocks (upper, lower, full), so a digit is 3 lines tall, or 5 lines at double
 * size; in ASCII each pixel row is a line of '#'. */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

#define FONT_ROWS 5

typedef struct glyph {
    char c;
    const char *rows[FONT_ROWS]; /* '#' a pixel, '.' none; all rows of one glyph equally wide */
} glyph;

static const glyph font[] = {
    {'0', {"###", "#.#", "#.#", "#.#", "###"}}, {'1', {".#.", "##.", ".#.", ".#.", "###"}},
    {'2', {"###", "..#", "###", "#..", "###"}}, {'3', {"###", "..#", "###", "..#", "###"}},
    {'4', {"#.#", "#.#", "###", "..#", "..#"}}, {'5', {"###", "#..", "###", "..#", "###"}},
    {'6', {"###", "#..", "###", "#.#", "###"}}, {'7', {"###", "..#", "..#", "..#", "..#"}},
    {'8', {"###", "#.#", "###", "#.#", "###"}}, {'9', {"###", "#.#", "###", "..#", "###"}},
    {'-', {"...", "...", "###", "...", "..."}}, {'+', {"...", ".#.", "###", ".#.", "..."}},
    {'.', {".", ".", ".", ".", "#"}},           {'e', {"...", ".##", "###", "#..", ".##"}},
    {'>', {"..#.", "...#", "####", "...#", "..#."}}, /* the arrow between the two numbers */
    {' ', {".", ".", ".", ".", "."}},
};

static const glyph *find_glyph(char c)
{
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
        if (font[i].c == c)
            return &font[i];
    return NULL;
}

/* Whether every character of s has a glyph (a number that is not finite has none). */
bool tui_big_drawable(const char *s)
{
    for (; *s; s++)
        if (!find_glyph(*s))
            return false;
    return true;
}

int tui_big_width(const char *s, int size)
{
    int w = 0, n = 0;
    for (; *s; s++) {
        const glyph *g = find_glyph(*s);
        if (g) {
            w += (int)strlen(g->rows[0]);
            n++;
        }
    }
    return (w + (n > 1 ? n - 1 : 0)) * size; /* a blank column between characters */
}

int tui_big_height(int size)
{
    return tui_glyphs_ascii() ? FONT_ROWS * size : (FONT_ROWS * size + 1) / 2;
}

/* Pixel (y, x) of s drawn at `size`: whether it is set. */
static bool pixel(const char *s, int size, int y, int x)
{
    y /= size;
    x /= size;
    for (; *s; s++) {
        const glyph *g = find_glyph(*s);
        if (!g)
            continue;
        int w = (int)strlen(g->rows[0]);
        if (x < w)
            return g->rows[y][x] == '#';
        x -= w + 1; /* the character, then its blank column */
        if (x < 0)
            return false;
    }
    return false;
}

void tui_big_draw(const tui_rect *r, int row, int col, const char *s, int size, int attr)
{
    int w = tui_big_width(s, size), h = FONT_ROWS * size;
    bool ascii = tui_glyphs_ascii();
    for (int line = 0; line < tui_big_height(size); line++) {
        char text[1024] = "";
        size_t used = 0;
        for (int x = 0; x < w && used + 4 < sizeof text; x++) {
            const char *cell;
            if (ascii) {
                cell = pixel(s, size, line, x) ? "#" : " ";
            } else {
                bool top = pixel(s, size, 2 * line, x);
                bool bottom = 2 * line + 1 < h && pixel(s, size, 2 * line + 1, x);
                cell = top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
            }
            used += (size_t)snprintf(text + used, sizeof text - used, "%s", cell);
        }
        tui_draw_text(r, row + line, col, text, attr);
    }
}

/* ---- the colour of a change ---------------------------------------------------------------------
 *
 * The value scale's colours fill a cell's background; a digit drawn in blocks needs its colour in
 * the foreground, on the terminal's own background, so it has two pairs of its own. */
enum { PAIR_BIG_UP = TUI_PAIRS_BIG, PAIR_BIG_DOWN = TUI_PAIRS_BIG + 1 };

int tui_big_change_attr(tui_colour_mode mode, double change)
{
    if (mode == TUI_COLOUR_NONE || change == 0 || change != change)
        return A_BOLD;
    short fg, bg;
    if (pair_content(0, &fg, &bg) == ERR) /* the default colours, as colour.c left them */
        bg = -1;
    bool up = change > 0;
    short colour = mode == TUI_COLOUR_256 ? (up ? 160 : 27) : (up ? COLOR_RED : COLOR_BLUE);
    short pair = up ? PAIR_BIG_UP : PAIR_BIG_DOWN;
    if (pair >= COLOR_PAIRS)
        return A_BOLD;
    init_pair(pair, colour, bg);
    return (int)COLOR_PAIR(pair) | A_BOLD;
}
