/* layout.c - where each panel and each neuron's cell goes, from the terminal size alone.
 *
 *   header                                  (1 line)
 *   layers: one row per site      | output: clean, intervened, change, target
 *   effect: the map over the data | interventions: the list
 *   message line                            (1 line)
 *   command line                            (1 line)
 *
 * The views draw into these rectangles and the mouse handler maps clicks back through them, so the
 * two always agree. */
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

bool tui_site_has_label_line(const iv_model *m, int site)
{
    int width = iv_model_site_width(m, site);
    if (width > TUI_INDEX_MIN_WIDTH)
        return true; /* indices, where a label is missing */
    for (int i = 0; i < width; i++)
        if (iv_model_neuron_label(m, site, i))
            return true;
    return false;
}

/* Lines of cells a site takes: all it needs, up to TUI_SITE_LINES. */
static int site_lines(const tui_layout *lay, int width)
{
    int lines = (width + lay->per_line - 1) / lay->per_line;
    return lines < TUI_SITE_LINES ? lines : TUI_SITE_LINES;
}

/* A site's last scan takes a line under each line of its cells (under their labels). */
static int site_has_scan_line(const tui *t, int site)
{
    return tui_scan_of(t, site) != NULL;
}

/* Screen lines the layers panel needs with cells cell_h lines tall: the title, then each site's
 * lines of cells, each with its line of labels under it. */
static int layers_need(const tui *t, const tui_layout *lay, const int *sites, int n, int cell_h)
{
    const iv_model *m = t->ws->model;
    int need = 1;
    for (int i = 0; i < n; i++)
        need += site_lines(lay, iv_model_site_width(m, sites[i])) *
                (cell_h + tui_site_has_label_line(m, sites[i]) + site_has_scan_line(t, sites[i]));
    return need;
}

/* Cell width: wide enough for values like -197.5, wider on a wide screen for a lecture hall, as
 * wide as the room there is allows. */
static void size_cells_across(const tui *t, tui_layout *lay, const int *sites, int n)
{
    const iv_model *m = t->ws->model;
    int widest = 1;
    lay->label_w = 6;
    for (int i = 0; i < n; i++) {
        const char *name = iv_model_site_short_name(m, sites[i]); /* as the row shows it */
        lay->label_w = clamp((int)strlen(name) + 2, lay->label_w, 12);
        if (iv_model_site_width(m, sites[i]) > widest)
            widest = iv_model_site_width(m, sites[i]);
    }
    /* From 160 columns a cell may be wide enough for its value in big digits (a few of them). */
    int max_w = t->cols >= 160 ? TUI_BIG_CELL_W + 4 : t->cols >= 120 ? 11 : 8;
    int min_w = 8; /* narrower cells cannot show a value such as -0.25 */
    if (t->view == TUI_VIEW_SOURCE) { /* two values side by side in each cell */
        max_w = max_w * 2 - 2;
        min_w = 11; /* two values of three and four characters, and the bar between them */
    }
    /* After the cells, room for the row's scale ("+-197"); a site too wide for one line needs
     * room for "0-20 of 784" instead. When the widest site fits on one line only without its
     * scale, the scale gives way: a row that wraps would part values from their labels. */
    int room = lay->layers.w - lay->label_w, tail = 7;
    if (widest * min_w + tail > room)
        tail = widest * min_w <= room ? 0 : 12;
    int avail = room - tail;
    lay->cell_w = clamp(avail / widest, min_w, max_w);
    lay->per_line = avail / lay->cell_w > 0 ? avail / lay->cell_w : 1;
}

/* Cell height, from the room there is: taller cells while the layers take at most half of the
 * screen between the header and the message line, so the effect map keeps the other half. Three
 * lines only in a cell wide enough for the value in big three-line digits, which is what the
 * third line is for. */
static void size_cells_down(const tui *t, tui_layout *lay, const int *sites, int n, int height)
{
    lay->cell_h = 1;
    for (int h = 2; h <= TUI_BIG_CELL_H; h++) {
        if (h == TUI_BIG_CELL_H && lay->cell_w < TUI_BIG_CELL_W)
            break;
        if (layers_need(t, lay, sites, n, h) > height / 2)
            break;
        lay->cell_h = h;
    }
}

/* Stacks the site rows in the layers panel, scrolled so that the cursor's site is on screen. */
static void place_rows(const tui *t, tui_layout *lay, const int *sites, int n)
{
    const iv_model *m = t->ws->model;
    int first = 0;
    for (;;) {
        int y = lay->layers.y + 1, bottom = lay->layers.y + lay->layers.h;
        bool cursor_placed = false;
        lay->n_rows = 0;
        for (int i = first; i < n && lay->n_rows < TUI_MAX_ROWS; i++) {
            int width = iv_model_site_width(m, sites[i]);
            int cell_lines = site_lines(lay, width);
            bool labels = tui_site_has_label_line(m, sites[i]);
            bool scan = site_has_scan_line(t, sites[i]);
            int step = lay->cell_h + labels + scan, height = cell_lines * step;
            if (y + height > bottom)
                break;
            /* A window of whole lines of cells, holding the cursor when it is on this site. */
            int first_line = 0, total_lines = (width + lay->per_line - 1) / lay->per_line;
            if (sites[i] == t->cur_site) {
                first_line = t->cur_neuron / lay->per_line - (cell_lines - 1);
                if (first_line < 0)
                    first_line = 0;
                if (first_line > total_lines - cell_lines)
                    first_line = total_lines - cell_lines;
            }
            lay->row[lay->n_rows].first = first_line * lay->per_line;
            lay->row[lay->n_rows].shown = width - lay->row[lay->n_rows].first;
            if (lay->row[lay->n_rows].shown > cell_lines * lay->per_line)
                lay->row[lay->n_rows].shown = cell_lines * lay->per_line;
            lay->row[lay->n_rows].site = sites[i];
            lay->row[lay->n_rows].y = y;
            lay->row[lay->n_rows].lines = cell_lines * lay->cell_h;
            lay->row[lay->n_rows].step = step;
            lay->row[lay->n_rows].height = height;
            lay->row[lay->n_rows].labels = labels;
            lay->row[lay->n_rows].scan = scan;
            lay->n_rows++;
            cursor_placed |= sites[i] == t->cur_site;
            y += height;
        }
        lay->sites_above = first;
        lay->sites_below = n - first - lay->n_rows;
        if (cursor_placed || first + 1 >= n)
            return;
        first++;
    }
}

void tui_layout_compute(const tui *t, tui_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    lay->need_cols = TUI_MIN_COLS;
    lay->need_rows = TUI_MIN_ROWS;
    if (t->cols < TUI_MIN_COLS || t->rows < TUI_MIN_ROWS) {
        lay->too_small = true;
        return;
    }
    int R = t->rows, C = t->cols;
    lay->header = (tui_rect){0, 0, 1, C};
    lay->message = (tui_rect){R - 2, 0, 1, C};
    lay->cmdline = (tui_rect){R - 1, 0, 1, C};
    int top = 1, height = R - 3;
    int right_w = clamp(C * 36 / 100, 28, 56), left_w = C - right_w - 1;

    int sites[IV_MAX_SITES];
    int n = tui_visible_sites(t, sites, IV_MAX_SITES);
    lay->layers = (tui_rect){top, 0, height, left_w};
    if (tui_grid_mode(t)) {
        tui_layout_grid(t, lay, sites, n, height);
    } else {
        size_cells_across(t, lay, sites, n);
        size_cells_down(t, lay, sites, n, height);
        /* The layers take what they need, leaving the effect map at least 8 lines. */
        lay->layers.h = clamp(layers_need(t, lay, sites, n, lay->cell_h), 3, height - 8);
        place_rows(t, lay, sites, n);
    }
    lay->effect = (tui_rect){top + lay->layers.h, 0, height - lay->layers.h, left_w};

    /* The output panel grows to show every output, up to half the height. */
    int output_h = clamp(tui_output_lines(t), clamp(height / 3, 7, 10), height / 2);
    lay->output = (tui_rect){top, left_w + 1, output_h, right_w};
    lay->list = (tui_rect){top + output_h, left_w + 1, height - output_h, right_w};
}

int tui_layout_cell(const tui *t, const tui_layout *lay, int site, int neuron, tui_rect *r)
{
    if (lay->grid)
        return tui_grid_cell(t, lay, site, neuron, r);
    for (int i = 0; i < lay->n_rows; i++) {
        if (lay->row[i].site != site)
            continue;
        int k = neuron - lay->row[i].first; /* position in the site's window */
        if (k < 0 || k >= lay->row[i].shown)
            return -1;
        r->y = lay->row[i].y + (k / lay->per_line) * lay->row[i].step;
        r->x = lay->layers.x + lay->label_w + (k % lay->per_line) * lay->cell_w;
        r->h = lay->cell_h;
        r->w = lay->cell_w;
        return 0;
    }
    return -1;
}

int tui_layout_hit(const tui *t, const tui_layout *lay, int y, int x, int *site, int *neuron)
{
    if (lay->grid)
        return tui_grid_hit(t, lay, y, x, site, neuron);
    for (int i = 0; i < lay->n_rows; i++) {
        int s = lay->row[i].site, width = iv_model_site_width(t->ws->model, s);
        if (y < lay->row[i].y || y >= lay->row[i].y + lay->row[i].height)
            continue;
        int col = (x - lay->layers.x - lay->label_w) / lay->cell_w;
        if (x < lay->layers.x + lay->label_w || col >= lay->per_line)
            return -1;
        int line = (y - lay->row[i].y) / lay->row[i].step;
        if ((y - lay->row[i].y) % lay->row[i].step >= lay->cell_h)
            return -1; /* a line of labels, or of the site's scan */
        int k = line * lay->per_line + col;
        if (k >= lay->row[i].shown || lay->row[i].first + k >= width)
            return -1;
        *site = s;
        *neuron = lay->row[i].first + k;
        return 0;
    }
    return -1;
}

/* Lines of a text (a last newline ends the last line, it does not start another). */
static int count_lines(const char *text)
{
    if (!text || !*text)
        return 0;
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == '\n' && p[1];
    return n;
}

/* ---- the lecture's caption ------------------------------------------------------------------------ */

/* The step's caption wrapped to the screen, and how many of its lines are shown: all of them, or
 * as many as leave the panels the least screen they need (the last one then says there is more). */
static char *caption_wrapped(const tui *t, int *shown, bool *cut)
{
    *shown = 0;
    *cut = false;
    if (!t->demo || t->demo->current < 0)
        return NULL;
    const char *caption = t->demo->caption[t->demo->current];
    if (!caption || !*caption)
        return NULL;
    char *text = tui_wrap_text(caption, t->cols - 2);
    int lines = count_lines(text), room = t->rows - TUI_MIN_ROWS;
    if (room < 2)
        room = 2;
    *shown = lines < room ? lines : room;
    *cut = lines > room;
    return text;
}

/* On a short screen (a projector's large font) a lecture's caption takes the line of key hints:
 * the message line moves down to the last row, and the line it frees goes to the panels, which
 * are what the audience reads (at 80 x 24 that is the effect map's last row). */
static bool hints_give_way(const tui *t, int caption_lines)
{
    return caption_lines > 0 && t->rows < 30;
}

/* The row under the caption: the message line's. */
static int caption_bottom(const tui *t, int caption_lines)
{
    return t->rows - (hints_give_way(t, caption_lines) ? 1 : 2);
}

void tui_screen_layout(const tui *t, tui_layout *lay)
{
    int shown;
    bool cut;
    free(caption_wrapped(t, &shown, &cut));
    if (shown == 0) {
        tui_layout_compute(t, lay);
        return;
    }
    /* The panels are laid out on the screen above the caption, so that the caption covers none of
     * them (the map keeps its axis, the effect panel its labels); the message and command lines
     * stay at the bottom. */
    tui above = *t;
    int bottom = caption_bottom(t, shown);
    /* A screen whose last two lines would be the message and command lines, just under the panels */
    above.rows = bottom - shown + 2 > TUI_MIN_ROWS ? bottom - shown + 2 : TUI_MIN_ROWS;
    tui_layout_compute(&above, lay);
    if (lay->too_small) {
        tui_layout_compute(t, lay);
        return;
    }
    lay->message.y = bottom;
    lay->cmdline.y = t->rows - 1;
}

int tui_caption_top(const tui *t)
{
    int shown;
    bool cut;
    free(caption_wrapped(t, &shown, &cut));
    return caption_bottom(t, shown) - shown;
}

char *tui_caption(const tui *t, int *shown, bool *cut, int *top)
{
    char *text = caption_wrapped(t, shown, cut);
    *top = caption_bottom(t, *shown) - *shown;
    return text;
}

/* ---- the output panel's height ---------------------------------------------------------------- */

/* The lines the panel below the title takes besides the outputs: the target, the samples. */
int tui_output_extra_lines(const tui *t)
{
    const iv_workspace *ws = t->ws;
    return (ws->target ? 1 : 0) + (ws->intervened && ws->intervened->n > 1 ? 2 : 0);
}

int tui_output_lines(const tui *t)
{
    int w = iv_model_output_width(t->ws->model);
    /* The title, then three lines for one output, or the header and one line per output. */
    return 1 + (w == 1 ? 3 : 1 + w) + tui_output_extra_lines(t);
}

/* ---- maps of grid points ----------------------------------------------------------------------- */

int tui_even_count(long g, int n)
{
    if (n >= g || n < 2)
        return n < g ? n : (int)g;
    for (int k = n; k >= 2 && 2 * k >= n; k--)
        if ((g - 1) % (k - 1) == 0)
            return k;
    return n;
}
