/* view_overlay.c - drawing the whole screen: panels, the message line, and what covers them (the
 * help screen, a popup of results, the too-small notice). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* A framed box in the middle of the screen; returns its inside. */
static tui_rect centred_box(const tui *t, int h, int w, const char *title)
{
    if (h > t->rows - 2)
        h = t->rows - 2;
    if (w > t->cols - 4)
        w = t->cols; /* nearly full width: take all of it, rather than leave slivers beside */
    tui_rect r = {(t->rows - h) / 2, (t->cols - w) / 2, h, w};
    attrset(A_NORMAL);
    for (int y = r.y; y < r.y + r.h; y++)
        mvhline(y, r.x, ' ', r.w);
    int attr = tui_attr(t->colour, TUI_ATTR_TITLE);
    tui_draw_padded(&r, 0, 0, r.w, "", attr);
    tui_draw_clipped(&r, 0, 1, r.w - 2, title, attr);
    return (tui_rect){r.y + 1, r.x + 1, r.h - 1, r.w - 2};
}

/* Lines of text into a rectangle, from line `first`. */
static void put_text(const tui_rect *r, const char *text, int first)
{
    int line = 0, y = 0;
    for (const char *p = text; *p && y < r->h; line++) {
        if (line >= first)
            tui_draw_text(r, y++, 0, p, A_NORMAL); /* draws up to the newline */
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
}

void tui_draw_popup(const tui *t)
{
    int widest, lines = tui_popup_lines(t->popup.text, &widest);
    char title[600];
    snprintf(title, sizeof title, "%s   (Up/Down scroll, any other key closes)", t->popup.title);
    tui_rect r = centred_box(t, lines + 2, widest + 4, title);
    put_text(&r, t->popup.text, t->popup.scroll);
}

static void draw_too_small(const tui *t, const tui_layout *lay)
{
    erase();
    /* Short lines, so that the notice itself fits in a very small terminal. */
    char lines[3][80];
    snprintf(lines[0], sizeof lines[0], "intervene needs at least %d x %d;", lay->need_cols,
             lay->need_rows);
    snprintf(lines[1], sizeof lines[1], "this terminal is %d x %d.", t->cols, t->rows);
    snprintf(lines[2], sizeof lines[2], "Enlarge it, or press q to quit.");
    tui_rect screen = {0, 0, t->rows, t->cols};
    for (int i = 0; i < 3; i++)
        tui_draw_text(&screen, t->rows / 2 - 1 + i, 0, lines[i], A_NORMAL);
}

/* The message line: the last command, then what it said (errors stand out). Returns how much of
 * the message it showed. */
static size_t draw_message(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->message;
    tui_draw_padded(r, 0, 0, r->w, "", A_NORMAL);
    int x = 0;
    if (t->demo && t->demo->current >= 0) {
        char step[32];
        snprintf(step, sizeof step, "[%d/%d]", t->demo->current + 1, t->demo->n_steps);
        x = tui_draw_text(r, 0, 0, step, tui_attr(t->colour, TUI_ATTR_HEADER)) + 1;
    }
    if (t->echo[0]) {
        /* A long command leaves the message at least half the line: the message is the news. */
        int room = r->w - x - 2, len = tui_text_width(t->echo);
        if (t->message[0] && room > r->w / 2)
            room = r->w / 2;
        int dim = tui_attr(t->colour, TUI_ATTR_DIM);
        tui_draw_text(r, 0, x, "> ", dim);
        if (len > room && room > 3) {
            int cols = tui_draw_clipped(r, 0, x + 2, room - 3, t->echo, dim);
            tui_draw_text(r, 0, x + 2 + cols, "...", dim);
        } else {
            tui_draw_clipped(r, 0, x + 2, room, t->echo, dim);
        }
        x += 2 + (len < room ? len : room) + 2;
    }
    size_t shown = 0;
    if (x < r->w) {
        tui_draw_text(r, 0, x, t->message,
                      t->message_is_error ? tui_attr(t->colour, TUI_ATTR_ERROR) : (int)A_NORMAL);
        shown = tui_text_fit(t->message, r->w - x, NULL);
    }
    return shown;
}

/* The rest of an error too long for the message line, on the line below in place of the keys'
 * hint: the reason usually comes last, after the file and command it happened in. */
static void draw_error_rest(const tui *t, const tui_layout *lay, size_t shown)
{
    const tui_rect *r = &lay->cmdline;
    const char *rest = t->message + shown;
    int len = tui_text_width(rest), w = r->w, attr = tui_attr(t->colour, TUI_ATTR_ERROR);
    tui_draw_padded(r, 0, 0, w, "", attr);
    if (len > w && w > 3) { /* still too long: its end, where the reason is */
        int skip = len - (w - 3), cut;
        size_t from = tui_text_fit(rest, skip, &cut);
        if (cut < skip) /* a double-width character spans the cut: it goes too */
            from += tui_text_fit(rest + from, skip - cut + 1, NULL);
        tui_draw_text(r, 0, 0, "...", attr);
        tui_draw_text(r, 0, 3, rest + from, attr);
    } else {
        tui_draw_text(r, 0, 0, rest, attr);
    }
}

/* The demo's caption takes the message line's place above it when a step is shown. */
static void draw_hint(const tui *t, const tui_layout *lay)
{
    const char *hint = t->demo ? " ] next step  [ back   : command   ? help   q quit"
                               : " : command   ? help   z m n r p ablate   v view   s swap   "
                                 "+ - step input   q quit";
    tui_draw_padded(&lay->cmdline, 0, 0, lay->cmdline.w, hint, tui_attr(t->colour, TUI_ATTR_DIM));
}

/* The demo step's caption, full width just above the message line: what the lecturer talks to. */
static void draw_caption(const tui *t, const tui_layout *lay)
{
    const char *caption = t->demo->caption[t->demo->current];
    if (!caption || !*caption)
        return;
    int lines = 1;
    for (const char *p = caption; *p; p++)
        lines += *p == '\n';
    int y = lay->message.y - lines, attr = tui_attr(t->colour, TUI_ATTR_HEADER);
    tui_rect screen = {0, 0, t->rows, t->cols};
    for (const char *p = caption; y < lay->message.y; y++) {
        tui_draw_padded(&screen, y, 0, 1, "", attr);
        tui_draw_padded(&screen, y, 1, t->cols - 1, p, attr); /* draws up to the newline */
        size_t len = strcspn(p, "\n");
        p += len + (p[len] ? 1 : 0);
    }
}

void tui_draw(const tui *t)
{
    tui_layout lay;
    tui_layout_compute(t, &lay);
    if (lay.too_small) {
        draw_too_small(t, &lay);
        refresh();
        return;
    }
    erase();
    tui_draw_header(t, &lay);
    tui_draw_layers(t, &lay);
    tui_draw_effect(t, &lay);
    tui_draw_output(t, &lay);
    tui_draw_list(t, &lay);
    size_t shown = draw_message(t, &lay);
    if (t->popup.text)
        tui_draw_popup(t);
    /* In a lecture the caption stays readable, above any popup of the step's results. */
    if (t->demo && t->demo->current >= 0)
        draw_caption(t, &lay);
    if (t->cmdline_open)
        tui_cmdline_draw(t, &lay);
    else {
        if (t->message_is_error && shown < strlen(t->message))
            draw_error_rest(t, &lay, shown);
        else
            draw_hint(t, &lay);
        curs_set(0);
    }
    refresh();
}

/* ---- the progress bar of a long command ------------------------------------------------------ */

static void format_time_left(double seconds, char *buf, size_t n)
{
    long s = (long)(seconds + 0.5);
    if (s < 1)
        s = 1;
    if (s < 60)
        snprintf(buf, n, "~%ld s left", s);
    else if (s < 3600)
        snprintf(buf, n, "~%ld min %02ld s left", s / 60, s % 60);
    else
        snprintf(buf, n, "~%ld h %02ld min left", s / 3600, s / 60 % 60);
}

size_t tui_progress_text(const tui_progress *p, int width, char *buf, size_t size)
{
    double f = p->fraction < 0 ? 0 : p->fraction > 1 ? 1 : p->fraction;
    int percent = (int)(f * 100); /* 100% only when it is all done */
    /* After the percentage: the estimate (before 2% the rate says too little to be worth a
     * number) and "Esc cancels"; or, for a moment, that a key was not taken; or, once Esc came,
     * only that. */
    const char *tail = p->cancelling ? "cancelling..." : p->busy ? "busy: Esc cancels"
                                                                 : "Esc cancels";
    char left[48] = "";
    if (!p->cancelling && !p->busy && f > 0.02 && f < 1)
        format_time_left(p->elapsed / f * (1 - f), left, sizeof left);
    const char *what = p->what && *p->what ? p->what : "the effect map";

    /* The command is cut to what is left beside the longest the rest can be, so that it does not
     * jump about as the estimate and the last part change. */
    int bar = width / 8 < 10 ? 10 : width / 8 > 20 ? 20 : width / 8;
    int rest = 2 + bar + 2 + 5 + 2; /* around the bar and the percentage */
    int room = width - 2 - rest - (int)strlen("~59 min 59 s left   Esc cancels");
    if (room < 12) { /* a narrow screen: the estimate goes first */
        room = width - 2 - rest - (int)strlen("busy: Esc cancels");
        left[0] = '\0';
    }
    iv_buf b = {0};
    if (room >= 4) {
        int cols;
        size_t fit = tui_text_fit(what, room, &cols);
        if (what[fit] && what[fit] != '\n') /* too long: cut, and say so */
            fit = tui_text_fit(what, room - 3, &cols);
        iv_buf_printf(&b, "> %.*s%s  ", (int)fit, what, what[fit] ? "..." : "");
    }
    int full = (int)(f * bar + 0.5);
    iv_buf_append(&b, "[", 1);
    for (int i = 0; i < bar; i++)
        iv_buf_printf(&b, "%s", tui_glyph(i < full ? TUI_GLYPH_FULL : TUI_GLYPH_LIGHT));
    iv_buf_printf(&b, "] %3d%%  ", percent);
    if (left[0])
        iv_buf_printf(&b, "%s   ", left);
    size_t at = b.len;
    iv_buf_printf(&b, "%s", tail);
    snprintf(buf, size, "%s", b.data);
    iv_buf_free(&b);
    return at < size ? at : size - 1;
}

void tui_draw_progress(const tui_progress *p, tui_colour_mode colour, int rows, int cols)
{
    if (rows < 2 || cols < 1)
        return;
    char text[1024];
    size_t tail = tui_progress_text(p, cols, text, sizeof text);
    tui_rect line = {rows - 2, 0, 1, cols};
    tui_draw_padded(&line, 0, 0, cols, "", A_NORMAL);
    char head[sizeof text];
    snprintf(head, sizeof head, "%.*s", (int)tail, text);
    int x = tui_draw_text(&line, 0, 0, head, A_NORMAL);
    int attr = p->busy && !p->cancelling ? tui_attr(colour, TUI_ATTR_ERROR)
                                         : tui_attr(colour, TUI_ATTR_DIM);
    tui_draw_text(&line, 0, x, text + tail, attr);
    curs_set(0);
    refresh();
}
