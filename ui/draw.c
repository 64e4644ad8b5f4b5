/* draw.c - text drawn into a rectangle, clipped to a number of screen columns (see draw.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "draw.h"

/* One character of a text as the screen shows it. */
typedef struct piece {
    size_t bytes;     /* taken from the text */
    int width;        /* columns on the screen */
    wchar_t shown[2]; /* what is drawn there */
    int n_shown;
} piece;

/* The character at s, which is neither the text's NUL nor its newline. */
static piece next_piece(const char *s, mbstate_t *st)
{
    piece p = {1, 1, {L'?', 0}, 1};
    wchar_t wc;
    /* Never past the NUL: a sequence the string cuts short is a bad byte like any other. */
    size_t k = mbrtowc(&wc, s, strnlen(s, MB_CUR_MAX), st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        memset(st, 0, sizeof *st); /* an error leaves the state undefined: start afresh */
        return p;
    }
    p.bytes = k;
    if ((unsigned long)wc < 0x20 || wc == 0x7f) {
        /* curses would expand a tab to the next stop and draw others as ^X anyway, in columns
         * nobody counted: counting them here keeps the clip honest. */
        p.shown[0] = L'^';
        p.shown[1] = wc == 0x7f ? L'?' : (wchar_t)(wc + L'@');
        p.n_shown = 2;
        p.width = 2;
        return p;
    }
    int w = wcwidth(wc);
    if (w >= 0) {
        p.shown[0] = wc;
        p.width = w;
    }
    return p;
}

enum { CHUNK = 64 }; /* wide characters handed to curses at once */

/* Lays s out in at most max_cols columns and, when y >= 0, draws it from (y, x) in the current
 * attribute. Returns the bytes taken; *cols gets their columns and *crossed whether a character
 * stopped short of the edge because it would cross it. */
static size_t walk(const char *s, int max_cols, int y, int x, int *cols, bool *crossed)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t buf[CHUNK + 1];
    int n = 0, used = 0, buf_x = x;
    const char *p = s;
    *crossed = false;
    while (*p && *p != '\n') {
        piece c = next_piece(p, &st);
        if (used + c.width > max_cols) {
            *crossed = used < max_cols;
            break;
        }
        p += c.bytes;
        if (c.width == 0 && used == 0)
            continue;
        if (y < 0) {
            used += c.width;
            continue;
        }
        /* Flushing only before a spacing character keeps an accent in the same call as the
         * character it joins. */
        if (c.width > 0 && n + 2 > CHUNK) {
            buf[n] = L'\0';
            mvaddnwstr(y, buf_x, buf, n);
            n = 0;
            buf_x = x + used;
        }
        if (n + c.n_shown <= CHUNK) {
            for (int i = 0; i < c.n_shown; i++)
                buf[n++] = c.shown[i];
        }
        used += c.width;
    }
    if (n > 0) {
        buf[n] = L'\0';
        mvaddnwstr(y, buf_x, buf, n);
    }
    *cols = used;
    return (size_t)(p - s);
}

/* Spaces through waddnstr, as printf-style padding was drawn: they take the current attribute,
 * colour pair included. */
static void blank(int y, int x, int n)
{
    static const char spaces[] = "                                                                ";
    const int chunk = (int)sizeof spaces - 1;
    if (n <= 0)
        return;
    move(y, x);
    for (; n > 0; n -= chunk)
        addnstr(spaces, n < chunk ? n : chunk);
}

/* The screen position of (row, col) of r and the columns from there to r's right edge or the
 * screen's, whichever comes first. False when the position is off either. */
static bool place(const tui_rect *r, int row, int col, int *y, int *x, int *room)
{
    if (!r || row < 0 || row >= r->h || col < 0 || col >= r->w)
        return false;
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    *y = r->y + row;
    *x = r->x + col;
    if (*y < 0 || *y >= rows || *x < 0 || *x >= cols)
        return false;
    int right = r->x + r->w < cols ? r->x + r->w : cols;
    *room = right - *x;
    return true;
}

static int draw(const tui_rect *r, int row, int col, int max_cols, const char *s, int attr,
                bool pad)
{
    int y, x, room;
    if (!s || !place(r, row, col, &y, &x, &room))
        return 0;
    if (max_cols > room)
        max_cols = room;
    if (max_cols <= 0)
        return 0;
    attrset(attr);
    int cols;
    bool crossed;
    walk(s, max_cols, y, x, &cols, &crossed);
    if (pad || crossed) {
        blank(y, x + cols, max_cols - cols);
        cols = max_cols;
    }
    attrset(A_NORMAL);
    return cols;
}

int tui_draw_clipped(const tui_rect *r, int row, int col, int max_cols, const char *s, int attr)
{
    return draw(r, row, col, max_cols, s, attr, false);
}

int tui_draw_text(const tui_rect *r, int row, int col, const char *s, int attr)
{
    return r ? draw(r, row, col, r->w, s, attr, false) : 0;
}

int tui_draw_padded(const tui_rect *r, int row, int col, int cols, const char *s, int attr)
{
    return draw(r, row, col, cols, s, attr, true);
}

size_t tui_text_fit(const char *s, int max_cols, int *cols)
{
    int used = 0;
    bool crossed;
    size_t n = s ? walk(s, max_cols, -1, 0, &used, &crossed) : 0;
    if (cols)
        *cols = used;
    return n;
}

int tui_text_width(const char *s)
{
    int cols;
    /* Half of INT_MAX, so that adding a character's width cannot overflow. */
    tui_text_fit(s, 0x3fffffff, &cols);
    return cols;
}

/* ---- word wrapping ------------------------------------------------------------------------------ */

/* Appends one word (len bytes at w) to the wrapped text, starting a new line when it would run
 * past width; a word wider than the line is cut into pieces that fit. */
static void wrap_word(iv_buf *out, int *col, const char *w, size_t len, int width)
{
    char word[1024];
    snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), w);
    int ww = tui_text_width(word);
    if (*col > 0 && *col + 1 + ww > width) {
        iv_buf_append(out, "\n", 1);
        *col = 0;
    } else if (*col > 0) {
        iv_buf_append(out, " ", 1);
        (*col)++;
    }
    const char *p = word;
    while (*col + tui_text_width(p) > width) { /* only a word wider than the whole line */
        int cols;
        size_t fit = tui_text_fit(p, width - *col, &cols);
        if (fit == 0)
            fit = 1;
        iv_buf_printf(out, "%.*s\n", (int)fit, p);
        p += fit;
        *col = 0;
    }
    iv_buf_printf(out, "%s", p);
    *col += tui_text_width(p);
}

char *tui_wrap_text(const char *text, int width)
{
    iv_buf out = {0};
    int col = 0;
    if (width < 1)
        width = 1;
    for (const char *p = text; *p;) {
        if (*p == '\n' && p[1] == '\n') { /* an empty line: a new paragraph */
            iv_buf_append(&out, "\n\n", col > 0 ? 2 : 1);
            col = 0;
            p += strspn(p, "\n");
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\n') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " \t\n");
        wrap_word(&out, &col, p, len, width);
        p += len;
    }
    return out.data ? out.data : iv_xstrdup("");
}
