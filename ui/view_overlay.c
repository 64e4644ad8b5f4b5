/* view_overlay.c - drawing the whole screen: panels, the message line, and what covers them (the
 * help screen, a popup of results, the too-small notice). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

static const char caption_more[] = " ... (more: ? or resize)";

/* The caption, full width just above the message line: what the lecturer talks to. */
static void draw_caption(const tui *t)
{
    int shown, y;
    bool cut;
    char *text = tui_caption(t, &shown, &cut, &y);
    if (!text)
        return;
    int attr = tui_attr(t->colour, TUI_ATTR_HEADER);
    tui_rect screen = {0, 0, t->rows, t->cols};
    const char *p = text;
    for (int i = 0; i < shown; i++, y++) {
        size_t len = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        if (cut && i == shown - 1) { /* the last line that fits says that more did not */
            int room = t->cols - 2 - (int)strlen(caption_more);
            line[tui_text_fit(line, room > 0 ? room : 0, NULL)] = '\0';
            snprintf(line + strlen(line), sizeof line - strlen(line), "%s", caption_more);
        }
        tui_draw_padded(&screen, y, 0, 1, "", attr);
        tui_draw_padded(&screen, y, 1, t->cols - 1, line, attr);
        p += len + (p[len] ? 1 : 0);
    }
    free(text);
}

/* The frame's lines: top with the title, bottom with how to scroll and close. */
static void frame_line(const tui *t, const tui_rect *box, int row, const char *left,
                       const char *right, const char *label, int attr)
{
    bool ascii = tui_glyphs_ascii();
    const char *h = ascii ? "-" : "─";
    tui_draw_text(box, row, 0, left, A_NORMAL);
    for (int x = 1; x < box->w - 1; x++)
        tui_draw_text(box, row, x, h, A_NORMAL);
    tui_draw_text(box, row, box->w - 1, right, A_NORMAL);
    if (!label || !*label || box->w < 8)
        return;
    /* The label after "─ ", cut with "..." when it is longer than the line. */
    int room = box->w - 6, len = tui_text_width(label);
    char text[600];
    if (len > room) {
        size_t fit = tui_text_fit(label, room - 3 > 0 ? room - 3 : 0, NULL);
        snprintf(text, sizeof text, " %.*s... ", (int)fit, label);
    } else {
        snprintf(text, sizeof text, " %s ", label);
    }
    (void)t;
    tui_draw_text(box, row, 2, text, attr);
}

void tui_draw_popup(const tui *t)
{
    tui_rect box, body;
    int lines;
    tui_popup_geometry(t, &box, &body, &lines);
    /* The popup owns its whole box: nothing drawn under it shows through. */
    attrset(A_NORMAL);
    for (int y = box.y; y < box.y + box.h; y++)
        mvhline(y, box.x, ' ', box.w);
    bool ascii = tui_glyphs_ascii();
    const char *v = ascii ? "|" : "│";
    for (int row = 1; row < box.h - 1; row++) {
        tui_draw_text(&box, row, 0, v, A_NORMAL);
        tui_draw_text(&box, row, box.w - 1, v, A_NORMAL);
    }
    frame_line(t, &box, 0, ascii ? "+" : "┌", ascii ? "+" : "┐", t->popup.title,
               tui_attr(t->colour, TUI_ATTR_TITLE));
    int below = lines - t->popup.scroll - body.h;
    char hint[96];
    if (t->popup.scroll > 0 || below > 0)
        snprintf(hint, sizeof hint, "Up/Down scroll: %d more below, any other key closes",
                 below > 0 ? below : 0);
    else
        snprintf(hint, sizeof hint, "Up/Down scroll, any other key closes");
    frame_line(t, &box, box.h - 1, ascii ? "+" : "└", ascii ? "+" : "┘", hint,
               tui_attr(t->colour, TUI_ATTR_DIM));
    tui_popup_draw_body(t, &body);
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
    /* a transformer's own keys instead of stepping an input (a token id) */
    const char *hint = t->demo         ? " ] next step  [ back   : command   ? help   q quit"
                       : lay->grid ? " : command  ? help  z m r p ablate  J K sites  < > heads  "
                                     "a x head/pos  A L panels  v view  q quit"
                                   : " : command   ? help   z m n r p ablate   v view   s swap   "
                                     "+ - step input   q quit";
    tui_draw_padded(&lay->cmdline, 0, 0, lay->cmdline.w, hint, tui_attr(t->colour, TUI_ATTR_DIM));
}

void tui_draw(const tui *t)
{
    tui_layout lay;
    tui_screen_layout(t, &lay);
    if (lay.too_small) {
        draw_too_small(t, &lay);
        refresh();
        return;
    }
    erase();
    tui_draw_header(t, &lay);
    if (lay.grid)
        tui_draw_grid(t, &lay);
    else
        tui_draw_layers(t, &lay);
    tui_draw_effect(t, &lay);
    tui_draw_output(t, &lay);
    tui_draw_list(t, &lay);
    size_t shown = draw_message(t, &lay);
    draw_caption(t);
    if (t->popup.text)
        tui_draw_popup(t); /* between the header and the caption: it covers neither */
    if (t->cmdline_open)
        tui_cmdline_draw(t, &lay);
    else {
        if (lay.cmdline.y == lay.message.y)
            ; /* the hints gave their line to the caption */
        else if (t->message_is_error && shown < strlen(t->message))
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
