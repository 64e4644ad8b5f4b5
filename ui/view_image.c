/* view_image.c - a site drawn as a small image, in the effect panel's place: the clean values, the
 * intervened ones beside them, and their difference, so that an ablation of pixels (or of an 8 x 8
 * hidden layer) is seen as a picture rather than as 784 numbers.
 *
 * A cell holds two pixels, one above the other: on 256 colours the upper half block with the top
 * pixel's colour in front and the bottom one's behind; in ASCII the cell takes the colour of their
 * mean; without colour (or on 8) a shade glyph of their mean. Pixels are square on the screen
 * (a cell is about twice as tall as wide). The image is enlarged to fill the panel, or reduced by
 * averaging blocks of pixels when it does not fit. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

#define GAP 2     /* columns between two images */
#define MAX_UP 4  /* the largest enlargement: a 4 x 4 site becomes 16 x 8 cells */

/* ---- colours -------------------------------------------------------------------------------------
 *
 * Two palettes of 256-colour indices: a grey ramp for images with no negative value (an input's
 * pixels), and the value scale's blue - grey - red for the rest and for every difference. Each
 * (front, back) pair of a palette has its own colour pair, numbered from TUI_PAIRS_IMAGE;
 * back = the palette's size stands for no pixel (the terminal's background), under an image with
 * an odd number of rows. */

enum { GREY_LEVELS = 7, SIGNED_LEVELS = 9, PAIR_BASE = TUI_PAIRS_IMAGE };

static const short grey256[GREY_LEVELS] = {16, 237, 240, 244, 248, 252, 231};
static const short signed256[SIGNED_LEVELS] = {19, 27, 111, 189, 255, 224, 210, 160, 124};

typedef struct palette {
    const short *colours;
    int n;
    int first_pair;
} palette;

static const palette grey = {grey256, GREY_LEVELS, PAIR_BASE};
static const palette diverging = {signed256, SIGNED_LEVELS,
                                  PAIR_BASE + GREY_LEVELS * (GREY_LEVELS + 1)};
_Static_assert(PAIR_BASE + GREY_LEVELS * (GREY_LEVELS + 1) + SIGNED_LEVELS * (SIGNED_LEVELS + 1) <= 256,
               "the image's colour pairs fit in an attribute");

/* The palette index of a value: grey from 0 to the scale; signed around the middle entry, any
 * value that is not zero at least one step from it, so that the smallest change shows. */
static int level(const palette *p, double v, double scale)
{
    if (!(v == v) || v == 0)
        return p == &grey ? 0 : p->n / 2;
    double r = fmin(fabs(v) / scale, 1);
    if (p == &grey)
        return v < 0 ? 0 : (int)lround(r * (p->n - 1));
    int half = p->n / 2, k = (int)ceil(r * half);
    k = k < 1 ? 1 : k;
    return half + (v > 0 ? k : -k);
}

/* The attribute of a cell whose front shows level `front` and whose back shows `back` (p->n: none). */
static int pair_attr(const palette *p, int front, int back)
{
    int pair = p->first_pair + front * (p->n + 1) + back;
    if (pair >= COLOR_PAIRS || pair > 255)
        return A_NORMAL;
    short fg, bg;
    if (pair_content(0, &fg, &bg) == ERR)
        bg = -1;
    init_pair((short)pair, p->colours[front], back < p->n ? p->colours[back] : bg);
    return (int)COLOR_PAIR(pair);
}

/* ---- one image ---------------------------------------------------------------------------------- */

typedef struct picture {
    int rows, cols;      /* pixels of the site */
    int up, down;        /* each pixel drawn up x up, or blocks of down x down averaged */
    int shown_rows, shown_cols;
} picture;

/* The largest picture of p's pixels in per columns and `lines` lines (two pixel rows a line). */
static void picture_fit(picture *p, int per, int lines)
{
    p->up = p->down = 1;
    for (int u = MAX_UP; u > 1; u--)
        if (p->cols * u <= per && (p->rows * u + 1) / 2 <= lines) {
            p->up = u;
            break;
        }
    while (p->up == 1 && ((p->cols + p->down - 1) / p->down > per ||
                          ((p->rows + p->down - 1) / p->down + 1) / 2 > lines) &&
           p->down < p->rows + p->cols)
        p->down++;
    p->shown_rows = p->up > 1 ? p->rows * p->up : (p->rows + p->down - 1) / p->down;
    p->shown_cols = p->up > 1 ? p->cols * p->up : (p->cols + p->down - 1) / p->down;
}

/* The value shown at pixel (y, x) of the shown grid: the site's pixel, or the mean of a block. */
static double shown_value(const picture *p, const double *v, int y, int x)
{
    if (p->up > 1)
        return v[(y / p->up) * p->cols + x / p->up];
    double sum = 0;
    int n = 0;
    for (int i = y * p->down; i < (y + 1) * p->down && i < p->rows; i++)
        for (int j = x * p->down; j < (x + 1) * p->down && j < p->cols; j++, n++)
            sum += v[i * p->cols + j];
    return n ? sum / n : 0;
}

/* One cell: pixels (2 line, x) and (2 line + 1, x) of the shown grid. */
static void draw_pixel_pair(const tui *t, const tui_rect *r, int row, int col, const picture *p,
                            const double *v, int line, int x, const palette *pal, double scale)
{
    double top = shown_value(p, v, 2 * line, x);
    bool has_bottom = 2 * line + 1 < p->shown_rows;
    double bottom = has_bottom ? shown_value(p, v, 2 * line + 1, x) : top;
    double mean = has_bottom ? (top + bottom) / 2 : top;
    if (t->colour == TUI_COLOUR_256 && !tui_glyphs_ascii()) {
        int back = has_bottom ? level(pal, bottom, scale) : pal->n;
        tui_draw_text(r, row, col, "\u2580", pair_attr(pal, level(pal, top, scale), back));
    } else if (t->colour == TUI_COLOUR_256) {
        int l = level(pal, mean, scale);
        tui_draw_text(r, row, col, " ", pair_attr(pal, l, l));
    } else {
        int attr = pal == &grey && t->colour == TUI_COLOUR_8 ? (int)A_BOLD
                                                             : tui_colour_attr(t->colour, mean,
                                                                               scale);
        if (t->colour == TUI_COLOUR_8 && pal == &grey && mean == 0)
            attr = A_NORMAL;
        tui_draw_text(r, row, col, tui_colour_shade(mean, scale), attr);
    }
}

static void draw_picture(const tui *t, const tui_rect *r, int row, int col, const picture *p,
                         const double *v, const palette *pal, double scale)
{
    for (int line = 0; line < (p->shown_rows + 1) / 2; line++)
        for (int x = 0; x < p->shown_cols; x++)
            draw_pixel_pair(t, r, row + line, col + x, p, v, line, x, pal, scale);
}

/* ---- the panel ------------------------------------------------------------------------------------ */

static double largest(const double *v, int n)
{
    double top = 0;
    for (int i = 0; i < n; i++)
        if (fabs(v[i]) > top)
            top = fabs(v[i]);
    return top > 0 ? top : 1;
}

static bool any_negative(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] < 0)
            return true;
    return false;
}

/* The longest title that fits. */
static void image_title(const char *site, const picture *p, int width, char *buf, size_t n)
{
    char size[64] = "";
    if (p->up > 1)
        snprintf(size, sizeof size, ", shown %d x larger", p->up);
    else if (p->down > 1)
        snprintf(size, sizeof size, ", shown in blocks of %d x %d", p->down, p->down);
    snprintf(buf, n, "image of %s (%d x %d%s) in place of the effect; I hides it", site, p->rows,
             p->cols, size);
    if (tui_text_width(buf) <= width)
        return;
    snprintf(buf, n, "image of %s (%d x %d) in place of the effect", site, p->rows, p->cols);
    if (tui_text_width(buf) <= width)
        return;
    snprintf(buf, n, "image of %s (%d x %d)", site, p->rows, p->cols);
}

static void draw_message(const tui *t, const tui_rect *r, const char *title, const char *text)
{
    tui_draw_text(r, 0, 0, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    tui_draw_text(r, 1, 0, text, tui_attr(t->colour, TUI_ATTR_ERROR));
}

/* The values of a site: clean, intervened (the mean over samples) and their difference. */
static void site_values(const iv_workspace *ws, int site, int n, double *clean, double *iv,
                        double *diff)
{
    for (int i = 0; i < n; i++) {
        clean[i] = ws->clean->site[site][i];
        iv[i] = iv_workspace_intervened_mean(ws, site, i);
        diff[i] = iv[i] - clean[i];
    }
}

/* The line under the images: what the shades mean. */
static void draw_scale(const tui *t, const tui_rect *r, int row, bool signed_values, double scale,
                       double diff_scale)
{
    char a[32], b[32], text[200];
    iv_format_number(a, sizeof a, scale);
    iv_format_number(b, sizeof b, diff_scale);
    if (t->colour == TUI_COLOUR_NONE)
        snprintf(text, sizeof text, "shades: |value| up to %s, |difference| up to %s", a, b);
    else if (signed_values)
        snprintf(text, sizeof text, "values -%s..+%s, difference -%s..+%s (blue -, red +)", a,
                 a, b, b);
    else
        snprintf(text, sizeof text, "values 0..%s (%s), difference -%s..+%s (blue -, red +)", a,
                 t->colour == TUI_COLOUR_256 ? "black to white" : "by shade", b, b);
    if (tui_text_width(text) > r->w) /* the numbers alone */
        snprintf(text, sizeof text, "%s%s, difference +-%s", signed_values ? "+-" : "0..", a, b);
    tui_draw_text(r, row, 0, text, tui_attr(t->colour, TUI_ATTR_DIM));
}

void tui_draw_image(const tui *t, const tui_layout *lay)
{
    const tui_rect *r = &lay->effect;
    const iv_workspace *ws = t->ws;
    int site = iv_model_site_find(ws->model, t->image_site), rows, cols;
    if (site < 0 || !tui_image_shape(ws->model, site, &rows, &cols)) {
        char text[300];
        snprintf(text, sizeof text, "this model has no image '%s' (I shows the effect)",
                 t->image_site);
        draw_message(t, r, "image", text);
        return;
    }
    if (!ws->clean || !ws->intervened) {
        draw_message(t, r, "image", "not evaluated");
        return;
    }
    /* Three pictures of one size and two gaps across; when that reduces them, clean and intervened
     * larger and the difference at half their width may show more (28 x 28 pixels whole in a
     * panel of 76 columns). The title, the captions and the scale take three lines. */
    picture p = {.rows = rows, .cols = cols}, pd;
    picture_fit(&p, (r->w - 2 * GAP) / 3, r->h - 3);
    pd = p;
    if (p.down > 1) {
        picture big = {.rows = rows, .cols = cols}, small = big;
        picture_fit(&big, (r->w - 2 * GAP) * 2 / 5, r->h - 3);
        picture_fit(&small, (r->w - 2 * GAP) / 5, r->h - 3);
        if (big.down < p.down) {
            p = big;
            pd = small;
        }
    }
    char title[300];
    image_title(t->image_site, &p, r->w, title, sizeof title);
    tui_draw_text(r, 0, 0, title, tui_attr(t->colour, TUI_ATTR_TITLE));
    if (r->h < 4 || p.shown_cols * 2 + pd.shown_cols + 2 * GAP > r->w) {
        tui_draw_text(r, 1, 0, "(too small for the image)", tui_attr(t->colour, TUI_ATTR_DIM));
        return;
    }
    int n = rows * cols;
    double *clean = iv_xmalloc(3 * (size_t)n * sizeof(double)), *iv = clean + n, *diff = iv + n;
    site_values(ws, site, n, clean, iv, diff);
    bool signed_values = any_negative(clean, n) || any_negative(iv, n);
    double scale = fmax(largest(clean, n), largest(iv, n)), diff_scale = largest(diff, n);
    const palette *pal = signed_values ? &diverging : &grey;
    bool narrow = p.shown_cols + GAP - 1 < 11;
    const char *captions[3] = {"clean", narrow ? "interv." : ws->intervened->n > 1 ?
                               "intervened (mean)" : "intervened", narrow ? "diff." : "difference"};
    const double *values[3] = {clean, iv, diff};
    for (int k = 0; k < 3; k++) {
        int col = k * (p.shown_cols + GAP);
        tui_draw_clipped(r, 1, col, p.shown_cols + (k < 2 ? GAP - 1 : r->w), captions[k],
                         tui_attr(t->colour, TUI_ATTR_DIM));
        draw_picture(t, r, 2, col, k < 2 ? &p : &pd, values[k], k < 2 ? pal : &diverging,
                     k < 2 ? scale : diff_scale);
    }
    draw_scale(t, r, 2 + (p.shown_rows + 1) / 2, signed_values, scale, diff_scale);
    free(clean);
}
