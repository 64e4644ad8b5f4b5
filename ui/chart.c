/* chart.c - a sweep as a line chart in block characters: the clean curve in '·', the intervened
 * one in '█' ('▒' where they meet), with labelled axes. Text without colour, so it shows the same
 * under NO_COLOR, in a popup or pasted into notes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

/* The first output of a point (a number, or the first element of a vector). */
static double first_output(json_object *v)
{
    if (json_object_is_type(v, json_type_array))
        v = json_object_array_get_idx(v, 0);
    return v ? json_object_get_double(v) : NAN;
}

char *tui_chart_text(json_object *sweep, int width, int height)
{
    json_object *points = json_object_object_get(sweep, "points");
    int n = points ? (int)json_object_array_length(points) : 0;
    if (n < 2 || width < 20 || height < 5)
        return NULL;
    double *x = iv_xmalloc(sizeof(double) * (size_t)n), *yc = iv_xmalloc(sizeof(double) * (size_t)n);
    double *yi = iv_xmalloc(sizeof(double) * (size_t)n);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(points, (size_t)i);
        x[i] = json_object_get_double(json_object_object_get(p, "value"));
        yc[i] = first_output(json_object_object_get(p, "clean"));
        yi[i] = first_output(json_object_object_get(p, "intervened"));
        lo = fmin(lo, fmin(yc[i], yi[i]));
        hi = fmax(hi, fmax(yc[i], yi[i]));
    }
    if (!(hi > lo)) { /* a flat line: give it some room */
        lo -= 1;
        hi += 1;
    }
    enum { LABEL = 10 };
    int plot_w = width - LABEL - 1;
    /* (height, plot_w) cells: bit 1 the clean curve passes there, bit 2 the intervened one */
    unsigned char *grid = iv_xcalloc((size_t)(height * plot_w), 1);
    const char *const glyph[4] = {" ", tui_glyph(TUI_GLYPH_DOT), tui_glyph(TUI_GLYPH_FULL),
                                  tui_glyph(TUI_GLYPH_MEDIUM)};
    for (int i = 0; i < n; i++) {
        int col = (int)lround((double)i / (n - 1) * (plot_w - 1));
        for (int s = 0; s < 2; s++) {
            double y = s ? yi[i] : yc[i];
            if (!isfinite(y))
                continue;
            int row = (int)lround((hi - y) / (hi - lo) * (height - 1));
            grid[row * plot_w + col] |= (unsigned char)(s ? 2 : 1);
        }
    }
    iv_buf b = {0};
    const char *name = json_object_get_string(json_object_object_get(sweep, "sweep"));
    iv_buf_printf(&b, "output as %s runs from %g to %g   %s clean   %s intervened   %s both\n",
                  name, x[0], x[n - 1], glyph[1], glyph[2], glyph[3]);
    for (int r = 0; r < height; r++) {
        char label[32] = "";
        if (r == 0 || r == height - 1 || r == height / 2)
            snprintf(label, sizeof label, "%.4g", hi - (hi - lo) * r / (height - 1));
        iv_buf_printf(&b, "%*s |", LABEL - 1, label);
        for (int c = 0; c < plot_w; c++)
            iv_buf_printf(&b, "%s", glyph[grid[r * plot_w + c]]);
        iv_buf_append(&b, "\n", 1);
    }
    iv_buf_printf(&b, "%*s +", LABEL - 1, "");
    for (int c = 0; c < plot_w; c++)
        iv_buf_append(&b, "-", 1);
    char left[32], mid[32], right[32];
    snprintf(left, sizeof left, "%g", x[0]);
    snprintf(mid, sizeof mid, "%g", (x[0] + x[n - 1]) / 2);
    snprintf(right, sizeof right, "%g", x[n - 1]);
    iv_buf_printf(&b, "\n%*s  %s%*s%*s\n", LABEL - 1, "", left,
                  plot_w / 2 - (int)strlen(left) + (int)strlen(mid) / 2, mid,
                  plot_w - plot_w / 2 - (int)strlen(mid) / 2, right);
    free(grid);
    free(x);
    free(yc);
    free(yi);
    return b.data;
}
