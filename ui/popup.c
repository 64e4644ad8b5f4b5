/* popup.c - what a popup shows and where: its parts, text and drawings, measured and drawn on one
 * canvas, so that its size and its scrolling come from the very code that draws it; its box, from
 * under the header to above the caption. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

/* ---- the canvas -------------------------------------------------------------------------------- */

int tui_canvas_put(tui_canvas *cv, int line, int col, const char *s, int attr)
{
    if (line < 0 || col < 0 || col >= cv->width)
        return 0;
    int room = cv->width - col, cols;
    tui_text_fit(s, room, &cols);
    if (line + 1 > cv->lines)
        cv->lines = line + 1;
    if (col + cols > cv->cols)
        cv->cols = col + cols;
    int row = cv->origin + line - cv->first;
    if (!cv->measure && row >= 0 && row < cv->body.h)
        tui_draw_clipped(&cv->body, row, col, room, s, attr);
    return cols;
}

/* ---- the popup's box ---------------------------------------------------------------------------- */

/* Lines of text onto the canvas. A line wider than the canvas (a result's key=value header, a
 * table's last column) goes on over the next lines, indented, broken at a space where there is
 * one: cut at the edge, its end would be lost. */
static void canvas_text(tui_canvas *cv, const char *text)
{
    enum { INDENT = 2 };
    int line = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        char *rest = iv_xasprintf("%.*s", (int)len, p), *q = rest;
        int col = 0;
        while (cv->width - col > 8 && tui_text_width(q) > cv->width - col) {
            size_t fit = tui_text_fit(q, cv->width - col, NULL), cut = fit;
            for (size_t k = fit; k > fit / 2; k--)
                if (q[k - 1] == ' ') {
                    cut = k;
                    break;
                }
            char keep = q[cut];
            q[cut] = '\0';
            tui_canvas_put(cv, line++, col, q, A_NORMAL);
            q[cut] = keep;
            q += cut + strspn(q + cut, " ");
            col = INDENT;
        }
        tui_canvas_put(cv, line++, col, q, A_NORMAL);
        free(rest);
        p += len + (p[len] == '\n');
    }
}

/* Every part of the popup onto the canvas, one after another with a blank line between; returns
 * the lines they take, and in *widest the widest. Text may use the whole screen's width less the
 * frame; drawings lay themselves out a little narrower, to keep a margin inside the frame. */
static int popup_parts(const tui *t, tui_canvas *cv, int *widest)
{
    int line = 0, n = t->popup.n_parts ? t->popup.n_parts : 1;
    *widest = 0;
    for (int i = 0; i < n; i++) {
        const tui_popup_part *part = t->popup.n_parts ? &t->popup.parts[i] : NULL;
        const char *text = part ? part->text : t->popup.text;
        cv->origin = line;
        cv->lines = cv->cols = 0;
        cv->width = text ? t->cols - 2 : t->cols - 4;
        if (text)
            canvas_text(cv, text);
        else
            part->draw(cv, part->result);
        if (cv->lines == 0)
            continue;
        line += cv->lines + 1;
        *widest = cv->cols > *widest ? cv->cols : *widest;
    }
    return line > 0 ? line - 1 : 0;
}

/* The rows a popup may take: from under the header to above the caption, or the message line. */
static tui_rect popup_area(const tui *t)
{
    int bottom = tui_caption_top(t);
    return (tui_rect){1, 0, bottom - 1 > 3 ? bottom - 1 : 3, t->cols};
}

int tui_popup_room(const tui *t)
{
    return popup_area(t).h - 2;
}

void tui_popup_geometry(const tui *t, tui_rect *box, tui_rect *body, int *lines)
{
    tui_rect area = popup_area(t);
    tui_canvas cv = {.t = t, .measure = true, .height = area.h - 2};
    int widest = 0;
    *lines = t->popup.text ? popup_parts(t, &cv, &widest) : 0;
    int title_w = t->popup.title ? tui_text_width(t->popup.title) : 0;
    /* A blank column inside the frame on each side, when the screen has room for it. */
    int pad = widest + 4 <= t->cols ? 1 : 0;
    int w = widest + 2 + 2 * pad;
    if (w < title_w + 6)
        w = title_w + 6;
    if (w < 40)
        w = 40;
    if (w > t->cols - 8)
        w = t->cols; /* nearly full width: take all of it, rather than leave slivers beside */
    int h = *lines + 2 < area.h ? *lines + 2 : area.h;
    *box = (tui_rect){area.y, (t->cols - w) / 2, h, w};
    *body = (tui_rect){box->y + 1, box->x + 1 + pad, h - 2, w - 2 - 2 * pad};
}

int tui_popup_max_scroll(const tui *t)
{
    tui_rect box, body;
    int lines;
    tui_popup_geometry(t, &box, &body, &lines);
    return lines - body.h > 0 ? lines - body.h : 0;
}

void tui_popup_draw_body(const tui *t, const tui_rect *body)
{
    tui_canvas cv = {.t = t, .body = *body, .first = t->popup.scroll, .height = tui_popup_room(t)};
    int widest;
    popup_parts(t, &cv, &widest);
}
