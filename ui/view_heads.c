/* view_heads.c - two panels of a transformer in the effect map's place (`panel heads`, `panel
 * lens`):
 *   - every head of the cursor's block as a small attention pattern, queries down and keys
 *     across, each screen cell the largest weight of the queries and keys it stands for (so a
 *     thin diagonal survives being shrunk), the cursor's head marked;
 *   - the logit lens: each block's residual stream at each position read out as its top next
 *     token, coloured by that token's probability, '*' where the interventions changed it
 *     (lens_cache.c keeps it between redraws).
 * Both follow the view: clean, intervened, or the difference. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "gpt2.h"
#include "logit_lens.h"
#include "tokenizer.h"
#include "tui.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static const char *view_word(const tui *t)
{
    return t->view == TUI_VIEW_CLEAN ? "clean" : t->view == TUI_VIEW_DIFF ? "difference"
                                                                          : "intervened";
}

/* The block the cursor is in: its site's, the first block's before them, the last's after. */
static int cursor_block(const tui *t)
{
    const iv_model *m = t->ws->model;
    const char *name = m->sites[t->cur_site].name;
    int block;
    if (sscanf(name, "blocks.%d.", &block) == 1)
        return block;
    return t->cur_site < m->n_sites / 2 ? 0 : m->gpt2->n_layer - 1;
}

/* A cell of the current view's value, coloured; without colour a shade glyph. */
static void put_shade(const tui *t, int y, int x, int w, double v, double scale)
{
    if (t->colour == TUI_COLOUR_NONE) {
        attrset(A_NORMAL);
        for (int c = 0; c < w; c++)
            mvaddstr(y, x + c, tui_colour_shade(v, scale));
    } else {
        attrset(tui_colour_attr(t->colour, v, scale));
        mvhline(y, x, ' ', w);
    }
    attrset(A_NORMAL);
}

/* ---- every head of a block ----------------------------------------------------------------------- */

/* A head's weight from query q to key k in the current view. */
static double weight(const tui *t, int site, int T, int head, int q, int k)
{
    int i = (head * T + q) * T + k;
    return tui_cell_value(t, site, i);
}

/* The largest |weight| (the sign kept) over the queries [q0, q1) and keys [k0, k1). */
static double pooled(const tui *t, int site, int T, int head, int q0, int q1, int k0, int k1)
{
    double best = 0;
    for (int q = q0; q < q1; q++)
        for (int k = k0; k < k1 && k <= q; k++) {
            double v = weight(t, site, T, head, q, k);
            best = fabs(v) > fabs(best) ? v : best;
        }
    return best;
}

/* The queries [q0, q1) of `rows` rows standing for T, and the keys likewise: at least one each. */
static void span(int i, int rows, int T, int *lo, int *hi)
{
    *lo = i * T / rows;
    *hi = (i + 1) * T / rows;
    if (*hi <= *lo)
        *hi = *lo + 1;
}

/* One head's pattern in a box of h lines by w columns at screen (y, x): a query row per line, or
 * with halves two, the upper one the glyph's colour and the lower one behind it. A cell wholly in
 * the future a query cannot see is left blank. */
static void draw_head(const tui *t, int site, int T, int head, int y, int x, int h, int w,
                      double scale, bool halves)
{
    int rows = halves ? (2 * h < T ? 2 * h : T) : h;
    for (int line = 0; line < h; line++)
        for (int c = 0; c < w; c++) {
            int k0, k1, q0, q1;
            span(c, w, T, &k0, &k1);
            if (!halves) {
                span(line, rows, T, &q0, &q1);
                if (k0 >= q1) { /* only the future: masked */
                    attrset(A_NORMAL);
                    mvaddch(y + line, x + c, ' ');
                } else {
                    put_shade(t, y + line, x + c, 1, pooled(t, site, T, head, q0, q1, k0, k1),
                              scale);
                }
                continue;
            }
            double v[2] = {0, 0};
            bool seen = false; /* some of the cell is a query's past */
            for (int half = 0; half < 2 && 2 * line + half < rows; half++) {
                span(2 * line + half, rows, T, &q0, &q1);
                if (k0 < q1) {
                    v[half] = pooled(t, site, T, head, q0, q1, k0, k1);
                    seen = true;
                }
            }
            if (!seen || 2 * line >= rows) {
                attrset(A_NORMAL);
                mvaddch(y + line, x + c, ' ');
                continue;
            }
            attrset(tui_colour_halves(t->colour, v[0], v[1], scale));
            mvaddstr(y + line, x + c, tui_colour_halves_glyph());
            attrset(A_NORMAL);
        }
}

void tui_draw_heads(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->effect;
    const iv_model *m = t->ws->model;
    int block = cursor_block(t), H = m->gpt2->n_head, T = m->positions;
    char name[64];
    snprintf(name, sizeof name, "blocks.%d.attn.hook_pattern", block);
    int site = iv_model_site_find(m, name);
    int dim = tui_attr(t->colour, TUI_ATTR_DIM), hi = tui_attr(t->colour, TUI_ATTR_HEADER);
    char title[160];
    snprintf(title, sizeof title, " attention, block %d, every head (%s)", block, view_word(t));
    tui_draw_padded(r, 0, 0, r->w, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    tui_draw_text(r, 0, tui_text_width(title), "  queries down, keys across  A: the map", dim);
    if (site < 0 || !t->ws->clean)
        return;
    double scale = t->view == TUI_VIEW_DIFF ? tui_site_scale(t, site, false) : 1;
    if (scale <= 0)
        scale = 1;
    /* Heads side by side, in as many bands as the width needs, each at least 6 columns. */
    int per_band = clamp((r->w - 1) / 7, 1, H), bands = (H + per_band - 1) / per_band;
    int box_w = clamp((r->w - 1) / per_band - 1, 1, 2 * T), box_h = (r->h - 1) / bands - 1;
    /* on 256 colours, two queries' rows a line: the pattern at twice the resolution */
    bool halves = t->view != TUI_VIEW_DIFF && tui_colour_halves(t->colour, 0, 0, 1) >= 0;
    box_h = clamp(box_h, 1, halves ? (T + 1) / 2 : T);
    int cur_head = -1;
    tui_grid_axes a;
    int pos, col;
    tui_grid_cursor_place(t, &a, &pos, &col, &cur_head);
    int cur_block;
    bool on_block = a.H > 1 && sscanf(m->sites[t->cur_site].name, "blocks.%d.", &cur_block) == 1 &&
                    cur_block == block; /* the cursor is on one of these heads */
    for (int h = 0; h < H; h++) {
        int band = h / per_band, x = 1 + (h % per_band) * (box_w + 1);
        int y = 1 + band * (box_h + 1);
        if (y + box_h > r->h - 1) /* its last line would be past the panel's */
            break;
        char label[32];
        snprintf(label, sizeof label, on_block && h == cur_head ? "[h%d]" : "h%d", h);
        tui_draw_clipped(r, y, x, box_w, label, on_block && h == cur_head ? (int)(hi | A_BOLD)
                                                                            : dim);
        draw_head(t, site, T, h, r->y + y + 1, r->x + x, box_h, box_w, scale, halves);
    }
}

/* ---- the logit lens ------------------------------------------------------------------------------ */

void tui_draw_lens(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->effect;
    const iv_model *m = t->ws->model;
    int dim = tui_attr(t->colour, TUI_ATTR_DIM), hi = tui_attr(t->colour, TUI_ATTR_HEADER);
    bool clean = t->view == TUI_VIEW_CLEAN;
    char title[160];
    const iv_logit_lens *lens_clean, *lens_intervened;
    bool updating, have = tui_lens_of(t->lens, t->ws, &lens_clean, &lens_intervened, &updating);
    /* a lens being brought up to date shows the last one meanwhile, and says so */
    snprintf(title, sizeof title, " logit lens (%s)%s", clean ? "clean" : "intervened",
             updating ? " updating..." : "");
    tui_draw_padded(r, 0, 0, r->w, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    tui_draw_text(r, 0, tui_text_width(title),
                  "  each block's top next token  * changed  L: the map", dim);
    if (!have)
        return;
    const iv_logit_lens *shown = clean ? lens_clean : lens_intervened;
    int T = shown->cols, label_w = 8;
    int cw = clamp((r->w - label_w) / T, 5, 10), cols = clamp((r->w - label_w) / cw, 1, T);
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_cursor_place(t, &a, &pos, &col, &head);
    int first = cols >= T ? 0 : clamp(pos / cols * cols, 0, T - cols);
    /* the positions' tokens across, then a row per block, the final one last */
    for (int j = 0; j < cols; j++) {
        int p = first + j;
        const char *tok = m->tokenizer && p < m->n_inputs
                              ? iv_tokenizer_token(m->tokenizer, (int)t->ws->base[p]) : NULL;
        char text[64];
        snprintf(text, sizeof text, "%s", tok ? tok : "?");
        tui_draw_clipped(r, 1, label_w + j * cw, cw - 1, text, p == pos ? (int)(hi | A_BOLD) : dim);
    }
    int rows = shown->rows, room = r->h - 2, top = rows > room ? rows - room : 0;
    for (int L = top; L < rows; L++) {
        int y = 2 + L - top;
        char label[32];
        snprintf(label, sizeof label, " resid%d", L);
        tui_draw_padded(r, y, 0, label_w, label, dim);
        for (int j = 0; j < cols; j++) {
            int p = first + j, i = L * T + p;
            int id = shown->top[i];
            bool changed = lens_clean->top[i] != lens_intervened->top[i];
            const char *tok = m->tokenizer ? iv_tokenizer_token(m->tokenizer, id) : NULL;
            char text[64];
            if (tok)
                snprintf(text, sizeof text, "%s", tok);
            else
                snprintf(text, sizeof text, "%d", id);
            int x = r->x + label_w + j * cw;
            put_shade(t, r->y + y, x, cw - 1, t->colour == TUI_COLOUR_NONE ? 0 : shown->prob[i], 1);
            tui_rect cell = {r->y + y, x, 1, cw - 1};
            int attr = t->colour == TUI_COLOUR_NONE ? (int)A_NORMAL
                                                    : tui_colour_attr(t->colour, shown->prob[i], 1);
            tui_draw_clipped(&cell, 0, 0, cw - 2, text, attr);
            attrset(changed ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL);
            mvaddch(r->y + y, x + cw - 2, changed ? '*' : ' ');
            attrset(A_NORMAL);
        }
    }
}
