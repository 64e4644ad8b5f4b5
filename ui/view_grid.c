/* view_grid.c - a transformer's layers panel (laid out by grid.c): under the title, the prompt's
 * tokens over the strips' columns; each site but the cursor's as a strip, the norm of its values
 * at each position coloured (its number too when the cells are wide enough), '*' where a value
 * there changed; the cursor's site as a grid of positions by values, or for an attention pattern
 * its head's queries by keys, with the tokens on both axes and the masked future as dots. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tokenizer.h"
#include "tui.h"

/* A position's token as a short label: its text without the leading space GPT-2's words carry
 * (which would be all one sees of " Mary" in two columns), else its id. */
static void token_label(const tui *t, int pos, char *buf, size_t n)
{
    const iv_model *m = t->ws->model;
    const char *tok = m->tokenizer && pos < m->n_inputs
                          ? iv_tokenizer_token(m->tokenizer, (int)t->ws->base[pos]) : NULL;
    if (tok && tok[0] == ' ' && tok[1])
        tok++;
    if (tok)
        snprintf(buf, n, "%s", tok);
    else
        snprintf(buf, n, "%d", pos < m->n_inputs ? (int)t->ws->base[pos] : pos);
}

/* A vocabulary entry's text, for the logits' columns. */
static void vocab_label(const tui *t, int id, char *buf, size_t n)
{
    const char *tok = t->ws->model->tokenizer ? iv_tokenizer_token(t->ws->model->tokenizer, id)
                                              : NULL;
    if (tok)
        snprintf(buf, n, "%s", tok);
    else
        snprintf(buf, n, "%d", id);
}

/* ---- strips ------------------------------------------------------------------------------------ */

/* The norm of a site's values at one position in the current view (every head of a pattern's
 * query there), and whether any of them changed. The input shows its token id instead. */
static double position_norm(const tui *t, int site, const tui_grid_axes *a, int pos, bool *changed)
{
    double sum = 0;
    *changed = false;
    int heads = a->pattern ? a->H : 1;
    for (int h = 0; h < heads; h++)
        for (int c = 0; c < a->cols; c++) {
            int i = tui_grid_neuron(a, pos, c, h);
            double v = tui_cell_value(t, site, i);
            sum += v * v;
            *changed |= tui_cell_changed(t, site, i);
        }
    return sqrt(sum);
}

static void draw_tokens_line(const tui *t, const tui_layout *lay, int cur_pos)
{
    const tui_rect *p = &lay->layers;
    int dim = tui_attr(t->colour, TUI_ATTR_DIM), hi = tui_attr(t->colour, TUI_ATTR_HEADER);
    tui_draw_padded(p, 1, 0, p->w, " tokens", dim);
    for (int k = 0; k < lay->strip_shown; k++) {
        int pos = lay->strip_first + k;
        char label[64];
        token_label(t, pos, label, sizeof label);
        tui_draw_clipped(p, 1, lay->label_w + k * lay->strip_w, lay->strip_w - 1, label,
                         pos == cur_pos ? (int)(hi | A_BOLD) : (int)A_NORMAL);
    }
    int T = t->ws->model->positions;
    if (lay->strip_shown < T) {
        char range[48];
        int x = lay->label_w + lay->strip_shown * lay->strip_w;
        snprintf(range, sizeof range, " %d-%d of %d", lay->strip_first,
                 lay->strip_first + lay->strip_shown - 1, T);
        if (x + tui_text_width(range) > p->w)
            snprintf(range, sizeof range, " %d-%d", lay->strip_first,
                     lay->strip_first + lay->strip_shown - 1);
        if (x + tui_text_width(range) <= p->w)
            tui_draw_text(p, 1, x, range, dim);
    }
}

static void draw_strip(const tui *t, const tui_layout *lay, int k, int cur_pos)
{
    const iv_model *m = t->ws->model;
    const tui_rect *p = &lay->layers;
    int site = lay->row[k].site, y = lay->row[k].y - p->y;
    tui_grid_axes a;
    tui_grid_axes_of(m, site, &a);
    bool input = m->sites[site].positions <= 0;
    int T = a.T;
    double *norm = iv_xmalloc(sizeof(double) * (size_t)T), scale = 0;
    bool *changed = iv_xcalloc((size_t)T, sizeof(bool));
    for (int pos = 0; pos < T; pos++) {
        norm[pos] = input ? tui_cell_value(t, site, pos) : position_norm(t, site, &a, pos,
                                                                         &changed[pos]);
        scale = fabs(norm[pos]) > scale ? fabs(norm[pos]) : scale;
    }
    char label[130];
    snprintf(label, sizeof label, " %s", iv_model_site_short_name(m, site));
    tui_draw_padded(p, y, 0, lay->label_w, label, A_NORMAL);
    for (int j = 0; j < lay->strip_shown && lay->strip_first + j < T; j++) {
        int pos = lay->strip_first + j, x = p->x + lay->label_w + j * lay->strip_w;
        double v = norm[pos];
        int w = lay->strip_w - 1, attr = pos == cur_pos ? (int)A_UNDERLINE : 0;
        char num[32] = "";
        if (input || w >= 5) /* a column's space before the number, to part it from the last */
            tui_fit_number(num, w - 1, v);
        if (strchr(num, '#'))
            snprintf(num, sizeof num, "."); /* an id too long for the cell: the tokens line says */
        if (t->colour == TUI_COLOUR_NONE || input) {
            attrset(attr);
            mvprintw(p->y + y, x, "%*s", w, "");
            if (!input)
                for (int c = 0; c < w - (int)strlen(num); c++)
                    mvaddstr(p->y + y, x + c, tui_colour_shade(v, scale));
        } else {
            attrset(tui_colour_attr(t->colour, v, scale) | attr);
            mvprintw(p->y + y, x, "%*s", w, "");
        }
        if (num[0])
            mvprintw(p->y + y, x + w - (int)strlen(num), "%s", num);
        attrset(changed[pos] ? tui_attr(t->colour, TUI_ATTR_CHANGED) : (int)A_NORMAL);
        mvaddch(p->y + y, x + w, changed[pos] ? '*' : ' ');
        attrset(A_NORMAL);
    }
    if (!input) {
        char tail[32];
        snprintf(tail, sizeof tail, " max %.3g", scale);
        tui_draw_text(p, y, lay->label_w + lay->strip_shown * lay->strip_w, tail,
                      tui_attr(t->colour, TUI_ATTR_DIM));
    }
    free(norm);
    free(changed);
}

/* ---- the grid ---------------------------------------------------------------------------------- */

static void column_label(const tui *t, int site, const tui_grid_axes *a, int col, char *buf,
                         size_t n)
{
    if (a->pattern)
        token_label(t, col, buf, n);
    else if (site == iv_model_output_site(t->ws->model))
        vocab_label(t, col, buf, n);
    else if (a->H > 1)
        snprintf(buf, n, "%d.%d", col / a->K, col % a->K);
    else
        snprintf(buf, n, "%d", col);
}

/* The header line: the site's name, each column's label over its cell, then which columns
 * (and for a pattern which head) the window shows. */
static void draw_grid_header(const tui *t, const tui_layout *lay, int k, const tui_grid_axes *a,
                             int cur_col, int head)
{
    const tui_rect *p = &lay->layers;
    int site = lay->row[k].site, y = lay->row[k].y - p->y;
    int hi = tui_attr(t->colour, TUI_ATTR_HEADER), dim = tui_attr(t->colour, TUI_ATTR_DIM);
    char label[130];
    snprintf(label, sizeof label, " %s", iv_model_site_short_name(t->ws->model, site));
    if (a->pattern && tui_text_width(label) + 3 <= lay->label_w) /* whose pattern: " pattern1 h0" */
        snprintf(label + strlen(label), sizeof label - strlen(label), " h%d", head);
    tui_draw_padded(p, y, 0, lay->label_w, label, hi);
    for (int j = 0; j < lay->grid_cols; j++) {
        int col = lay->grid_first_col + j, inner = lay->cell_w - 3;
        char text[64];
        column_label(t, site, a, col, text, sizeof text);
        int len = tui_text_width(text), pad = len < inner ? inner - len : 0;
        tui_draw_clipped(p, y, lay->label_w + j * lay->cell_w + 1 + pad, inner, text,
                         col == cur_col ? (int)(hi | A_BOLD) : dim);
    }
    char tail[96] = "";
    if (a->pattern)
        snprintf(tail, sizeof tail, " head %d of %d (< >)", head, a->H);
    else if (lay->grid_cols < a->cols)
        snprintf(tail, sizeof tail, " %d-%d of %d", lay->grid_first_col,
                 lay->grid_first_col + lay->grid_cols - 1, a->cols);
    if (a->H > 1 && !a->pattern && strlen(tail) < 60)
        snprintf(tail + strlen(tail), sizeof tail - strlen(tail), " head.value");
    int x = lay->label_w + lay->grid_cols * lay->cell_w;
    if (x + tui_text_width(tail) <= p->w)
        tui_draw_text(p, y, x, tail, dim);
}

static void draw_grid(const tui *t, const tui_layout *lay, int k)
{
    const tui_rect *p = &lay->layers;
    int site = lay->row[k].site;
    tui_grid_axes a;
    int cur_pos, cur_col, head;
    tui_grid_cursor_place(t, &a, &cur_pos, &cur_col, &head);
    draw_grid_header(t, lay, k, &a, cur_col, head);
    double scale = tui_site_scale(t, site, false), source_scale = tui_site_scale(t, site, true);
    int hi = tui_attr(t->colour, TUI_ATTR_HEADER), dim = tui_attr(t->colour, TUI_ATTR_DIM);
    for (int line = 0; line < lay->grid_rows; line++) {
        int pos = lay->grid_first_pos + line, y = lay->row[k].y - p->y + 1 + line;
        char tok[64], label[96];
        token_label(t, pos, tok, sizeof tok);
        snprintf(label, sizeof label, "%3d %s", pos, tok);
        tui_draw_padded(p, y, 0, lay->label_w, label, pos == cur_pos ? (int)(hi | A_BOLD) : dim);
        for (int j = 0; j < lay->grid_cols; j++) {
            int col = lay->grid_first_col + j;
            if (a.pattern && col > pos) { /* the future a query cannot see */
                tui_draw_padded(p, y, lay->label_w + j * lay->cell_w, lay->cell_w - 1, "", 0);
                tui_draw_text(p, y, lay->label_w + j * lay->cell_w + lay->cell_w - 3, ".", dim);
                continue;
            }
            tui_draw_cell(t, lay, site, tui_grid_neuron(&a, pos, col, head), scale,
                          source_scale, a.pattern);
        }
        if (line == 0) {
            char num[32];
            snprintf(num, sizeof num, " +-%.3g", scale);
            int x = lay->label_w + lay->grid_cols * lay->cell_w;
            if (x + tui_text_width(num) <= p->w)
                tui_draw_text(p, y, x, num, dim);
        }
    }
}

void tui_draw_grid(const tui *t, const tui_layout *lay)
{
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_cursor_place(t, &a, &pos, &col, &head);
    tui_draw_layers_title(t, lay);
    draw_tokens_line(t, lay, pos);
    for (int k = 0; k < lay->n_rows; k++) {
        if (lay->row[k].site == t->cur_site)
            draw_grid(t, lay, k);
        else
            draw_strip(t, lay, k, pos);
    }
}
