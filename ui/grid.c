/* grid.c - a transformer's sites in the layers panel: where each site's values go and where the
 * cursor moves among them.
 *
 * Every site but the cursor's is one compact line, a strip with one cell per position (the norm
 * of the site's values there); the cursor's site opens into a grid, a line per position (a window
 * of them around the cursor) and a column per value (a window of the columns). An attention
 * pattern's grid is its head's query x key table, the head the cursor is on. The cursor is a
 * (site, position, column, head) here, kept in the cursor neuron: its flat index in the site. */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

bool tui_grid_mode(const tui *t) { return t->ws->model->gpt2 != NULL; }

void tui_grid_axes_of(const iv_model *m, int site, tui_grid_axes *a)
{
    const iv_site *s = &m->sites[site];
    memset(a, 0, sizeof *a);
    a->kind = s->kind;
    if (s->positions <= 0) { /* the input: a token id at each position */
        a->T = s->width;
        a->H = a->K = a->cols = 1;
        return;
    }
    a->T = s->positions;
    a->H = s->kind == IV_SITE_RESID ? 1 : s->heads;
    a->K = s->inner;
    a->pattern = s->kind == IV_SITE_ATTN;
    a->cols = a->pattern ? a->T : a->H * a->K;
}

/* A pattern's flat index is (head, query, key); every other site's (position, head, value). */
void tui_grid_coords(const tui_grid_axes *a, int neuron, int *pos, int *col, int *head)
{
    if (a->pattern) {
        *head = neuron / (a->T * a->T);
        *pos = neuron / a->T % a->T;
        *col = neuron % a->T;
    } else {
        *pos = neuron / a->cols;
        *col = neuron % a->cols;
        *head = *col / a->K;
    }
}

int tui_grid_neuron(const tui_grid_axes *a, int pos, int col, int head)
{
    if (a->pattern)
        return (head * a->T + pos) * a->T + col;
    return pos * a->cols + col;
}

void tui_grid_cursor_place(const tui *t, tui_grid_axes *a, int *pos, int *col, int *head)
{
    tui_grid_axes_of(t->ws->model, t->cur_site, a);
    tui_grid_coords(a, t->cur_neuron, pos, col, head);
}

/* ---- layout -------------------------------------------------------------------------------- */

/* The first of `shown` items of n in a window holding item `at`: whole pages of them, so that the
 * window stays put while the cursor moves within it. */
static int window_first(int at, int shown, int n)
{
    if (shown >= n)
        return 0;
    return clamp(at / shown * shown, 0, n - shown);
}

/* The strips' cells: as wide as the room allows (a number from 5 columns), at least 2. */
static void size_strips(const tui *t, tui_layout *lay, int cursor_pos)
{
    int T = t->ws->model->positions > 0 ? t->ws->model->positions : 1;
    int room = lay->layers.w - lay->label_w - TUI_GRID_TAIL;
    lay->strip_w = clamp(room / T, 2, 7);
    lay->strip_shown = clamp(room / lay->strip_w, 1, T);
    lay->strip_first = window_first(cursor_pos, lay->strip_shown, T);
}

/* The grid's cells: wide enough for a value (a pattern's weights in [0, 1] take fewer columns),
 * twice that for base beside source. */
static void size_grid(const tui *t, tui_layout *lay, const tui_grid_axes *a, int col, int max_lines)
{
    int room = lay->layers.w - lay->label_w - 1;
    /* a pattern's every key when 5 columns each fit them (".93" needs 6), else a window */
    int w = a->pattern ? clamp(room / a->T, 5, 6) : t->cols >= 120 ? 10 : 8;
    if (t->view == TUI_VIEW_SOURCE)
        w = w * 2 - 2;
    lay->cell_w = w;
    lay->cell_h = 1;
    lay->grid_cols = clamp(room / w, 1, a->cols);
    lay->grid_first_col = window_first(col, lay->grid_cols, a->cols);
    lay->grid_rows = clamp(max_lines, 1, a->T);
}

void tui_layout_grid(const tui *t, tui_layout *lay, const int *sites, int n, int height)
{
    const iv_model *m = t->ws->model;
    lay->grid = true;
    lay->label_w = 8;
    for (int i = 0; i < n; i++)
        lay->label_w = clamp((int)strlen(iv_model_site_short_name(m, sites[i])) + 2,
                             lay->label_w, 12);
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_cursor_place(t, &a, &pos, &col, &head);
    size_strips(t, lay, pos);
    /* The panel takes all but 8 lines (the effect map's least): its title, the tokens, then the
     * grid's header and its positions, leaving at least a few strips above and below it. */
    int lines = height - 8 - 2;
    int strips = n - 1 < 6 ? n - 1 : 6;
    size_grid(t, lay, &a, col, lines - 1 - strips);
    lay->grid_first_pos = window_first(pos, lay->grid_rows, a.T);
    int grid_h = 1 + lay->grid_rows;

    /* The cursor's site, then as many strips above and below it as fit, shared evenly. */
    int at = 0;
    while (at < n && sites[at] != t->cur_site)
        at++;
    int room = lines - grid_h, above = at, below = n - at - 1;
    int take_above = above < room / 2 ? above : room / 2;
    int take_below = below < room - take_above ? below : room - take_above;
    if (take_above + take_below < room && take_above < above)
        take_above = above < room - take_below ? above : room - take_below;
    int first = at - take_above, last = at + take_below;
    if (last - first + 1 > TUI_MAX_ROWS)
        last = first + TUI_MAX_ROWS - 1;
    int y = lay->layers.y + 2;
    lay->n_rows = 0;
    for (int i = first; i <= last; i++) {
        int h = sites[i] == t->cur_site ? grid_h : 1;
        lay->row[lay->n_rows].site = sites[i];
        lay->row[lay->n_rows].y = y;
        lay->row[lay->n_rows].lines = lay->row[lay->n_rows].step = h;
        lay->row[lay->n_rows].height = h;
        lay->n_rows++;
        y += h;
    }
    lay->sites_above = first;
    lay->sites_below = n - 1 - last;
    lay->layers.h = y - lay->layers.y;
}

/* The row of the cursor's site (the grid), or -1. */
static int grid_row(const tui *t, const tui_layout *lay)
{
    for (int i = 0; i < lay->n_rows; i++)
        if (lay->row[i].site == t->cur_site)
            return i;
    return -1;
}

int tui_grid_cell(const tui *t, const tui_layout *lay, int site, int neuron, tui_rect *r)
{
    int k = grid_row(t, lay);
    if (k < 0 || site != t->cur_site)
        return -1;
    tui_grid_axes a;
    int pos, col, head, cur_pos, cur_col, cur_head;
    tui_grid_cursor_place(t, &a, &cur_pos, &cur_col, &cur_head);
    tui_grid_coords(&a, neuron, &pos, &col, &head);
    if ((a.pattern && head != cur_head) || pos < lay->grid_first_pos ||
        pos >= lay->grid_first_pos + lay->grid_rows || col < lay->grid_first_col ||
        col >= lay->grid_first_col + lay->grid_cols)
        return -1;
    r->y = lay->row[k].y + 1 + pos - lay->grid_first_pos;
    r->x = lay->layers.x + lay->label_w + (col - lay->grid_first_col) * lay->cell_w;
    r->h = 1;
    r->w = lay->cell_w;
    return 0;
}

int tui_grid_hit(const tui *t, const tui_layout *lay, int y, int x, int *site, int *neuron)
{
    int dx = x - lay->layers.x - lay->label_w;
    if (dx < 0)
        return -1;
    tui_grid_axes cur;
    int pos, col, head;
    tui_grid_cursor_place(t, &cur, &pos, &col, &head);
    for (int i = 0; i < lay->n_rows; i++) {
        if (y < lay->row[i].y || y >= lay->row[i].y + lay->row[i].height)
            continue;
        *site = lay->row[i].site;
        tui_grid_axes a;
        tui_grid_axes_of(t->ws->model, *site, &a);
        if (*site != t->cur_site) { /* a strip: that site at the position clicked */
            int p = lay->strip_first + dx / lay->strip_w;
            if (dx / lay->strip_w >= lay->strip_shown || p >= a.T)
                return -1;
            *neuron = tui_grid_neuron(&a, p, clamp(col, 0, a.cols - 1), clamp(head, 0, a.H - 1));
            return 0;
        }
        int line = y - lay->row[i].y - 1, c = dx / lay->cell_w;
        if (line < 0 || line >= lay->grid_rows || c >= lay->grid_cols ||
            lay->grid_first_col + c >= a.cols || lay->grid_first_pos + line >= a.T)
            return -1;
        *neuron = tui_grid_neuron(&a, lay->grid_first_pos + line, lay->grid_first_col + c, head);
        return 0;
    }
    return -1;
}

/* ---- the cursor ------------------------------------------------------------------------------ */

/* The cursor onto another site at the same position, column and head, as near as it has them.
 * Into a pattern from another site it lands on the diagonal (the position's own token); out of
 * one, on the first value of its head. */
static void move_to_site(tui *t, int site, int pos, int col, int head)
{
    tui_grid_axes from, a;
    tui_grid_axes_of(t->ws->model, t->cur_site, &from);
    tui_grid_axes_of(t->ws->model, site, &a);
    pos = clamp(pos, 0, a.T - 1);
    head = clamp(head, 0, a.H - 1);
    if (a.pattern && !from.pattern)
        col = pos;
    else if (!a.pattern && from.pattern)
        col = a.H > 1 ? head * a.K : 0;
    else if (!a.pattern && a.H > 1 && from.H == 1 && col < a.K)
        col += head * a.K; /* from a site without heads: the same value of the cursor's head */
    t->cur_site = site;
    t->cur_neuron = tui_grid_neuron(&a, pos, clamp(col, 0, a.cols - 1), head);
}

int tui_grid_cursor_site(tui *t, int site)
{
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_cursor_place(t, &a, &pos, &col, &head);
    move_to_site(t, site, pos, col, head);
    return 0;
}

int tui_grid_cursor(tui *t, const char *dir, const int *sites, int n)
{
    tui_grid_axes a;
    int pos, col, head;
    tui_grid_cursor_place(t, &a, &pos, &col, &head);
    int row = 0;
    while (row < n && sites[row] != t->cur_site)
        row++;
    if (!strcmp(dir, "left") || !strcmp(dir, "right")) {
        col += !strcmp(dir, "left") ? -1 : 1;
        if (col >= 0 && col < a.cols)
            t->cur_neuron = tui_grid_neuron(&a, pos, col, a.pattern ? head : col / a.K);
    } else if (!strcmp(dir, "up") || !strcmp(dir, "down")) {
        /* Down the positions, and past the last one into the next site's first. */
        bool up = !strcmp(dir, "up");
        pos += up ? -1 : 1;
        if (pos >= 0 && pos < a.T)
            t->cur_neuron = tui_grid_neuron(&a, pos, col, head);
        else if (row + (up ? -1 : 1) >= 0 && row + (up ? -1 : 1) < n)
            move_to_site(t, sites[row + (up ? -1 : 1)], up ? 1 << 30 : 0, col, head);
    } else if (!strcmp(dir, "next-site") || !strcmp(dir, "prev-site")) {
        int next = row + (!strcmp(dir, "prev-site") ? -1 : 1);
        if (next >= 0 && next < n)
            move_to_site(t, sites[next], pos, col, head);
    } else if (!strcmp(dir, "next-head") || !strcmp(dir, "prev-head")) {
        int step = !strcmp(dir, "prev-head") ? -1 : 1;
        if (a.H > 1 && head + step >= 0 && head + step < a.H)
            t->cur_neuron = a.pattern ? tui_grid_neuron(&a, pos, col, head + step)
                                      : tui_grid_neuron(&a, pos, col + step * a.K, head + step);
        else if (a.H == 1 && a.cols > 1) /* no heads: a window of columns further */
            t->cur_neuron = tui_grid_neuron(&a, pos, clamp(col + step * 8, 0, a.cols - 1), 0);
    } else {
        return -1;
    }
    return 0;
}

char *tui_grid_target(const tui *t, bool head)
{
    const iv_model *m = t->ws->model;
    tui_grid_axes a;
    int pos, col, h;
    tui_grid_cursor_place(t, &a, &pos, &col, &h);
    if (head ? a.H < 2 : m->sites[t->cur_site].positions <= 0)
        return NULL;
    char name[128];
    iv_model_site_name(m, t->cur_site, name, sizeof name);
    /* A pattern's position is a query of the cursor's head. */
    if (head)
        return iv_xasprintf("%s[head=%d]", name, h);
    if (a.pattern)
        return iv_xasprintf("%s[pos=%d, head=%d]", name, pos, h);
    return iv_xasprintf("%s[pos=%d]", name, pos);
}
