/* view_scan_bars.c - `scan ... sorted` in the explorer: the scan's rows as horizontal bars, the
 * largest |value| first, on the bar scale compare's loss gaps use (view_charts.c). A bar is as
 * long as |value|; its sign shows in its colour (the heatmap's red and blue), in its glyphs without
 * colour (a solid shade for positive, dashes for negative), and in the signed number after it. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "tui.h"

typedef struct scan_bar {
    const char *name, *label;
    double value;
    int index; /* in the table: ties keep its order */
} scan_bar;

static int by_magnitude(const void *a, const void *b)
{
    const scan_bar *x = a, *y = b;
    double mx = isfinite(x->value) ? fabs(x->value) : -1, my = isfinite(y->value) ? fabs(y->value) : -1;
    if (mx != my)
        return mx < my ? 1 : -1;
    return x->index - y->index;
}

static scan_bar *read_bars(json_object *rows, int n, int *name_w)
{
    scan_bar *bars = iv_xcalloc((size_t)n, sizeof *bars);
    *name_w = 8;
    for (int i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(rows, (size_t)i);
        json_object *v = json_object_object_get(row, "value");
        bars[i].name = json_object_get_string(json_object_object_get(row, "neuron"));
        json_object *label = json_object_object_get(row, "label");
        bars[i].label = label && !json_object_is_type(label, json_type_null)
                            ? json_object_get_string(label) : NULL;
        bars[i].value = v && !json_object_is_type(v, json_type_null) ? json_object_get_double(v)
                                                                      : NAN;
        bars[i].index = i;
        int w = tui_text_width(bars[i].name ? bars[i].name : "?") +
                (bars[i].label ? tui_text_width(bars[i].label) + 3 : 0);
        *name_w = w + 2 > *name_w ? w + 2 : *name_w;
    }
    qsort(bars, (size_t)n, sizeof *bars, by_magnitude);
    return bars;
}

/* One bar of len columns from col: spaces in the value's colour, or its signed shade glyphs. */
static void draw_bar(tui_canvas *cv, int line, int col, int len, double v, double top)
{
    if (len <= 0)
        return;
    iv_buf bar = {0};
    bool colour = cv->t->colour != TUI_COLOUR_NONE;
    for (int c = 0; c < len; c++)
        iv_buf_printf(&bar, "%s", colour ? " " : tui_colour_signed_shade(v, fabs(v)));
    tui_canvas_put(cv, line, col, bar.data, colour ? tui_colour_attr(cv->t->colour, v, top)
                                                   : (int)A_NORMAL);
    iv_buf_free(&bar);
}

void tui_draw_scan_bars(tui_canvas *cv, json_object *result)
{
    json_object *rows = json_object_object_get(result, "rows");
    int n = rows ? (int)json_object_array_length(rows) : 0;
    if (n == 0)
        return;
    int name_w;
    scan_bar *bars = read_bars(rows, n, &name_w);
    double *magnitude = iv_xmalloc(sizeof(double) * (size_t)n), top = 0;
    for (int i = 0; i < n; i++) {
        magnitude[i] = fabs(bars[i].value);
        if (isfinite(magnitude[i]))
            top = fmax(top, magnitude[i]);
    }
    enum { VALUE_W = 10 };
    tui_bar_scale s;
    int room = cv->width - name_w - VALUE_W;
    tui_bar_scale_fit(magnitude, n, room > 10 ? room : 10, &s);

    const char *kind = json_object_get_string(json_object_object_get(result, "kind"));
    const char *metric = json_object_get_string(json_object_object_get(result, "metric"));
    const char *output = json_object_get_string(json_object_object_get(result, "output"));
    bool loss = metric && strcmp(metric, "loss") == 0;
    char head[256], quantity[160];
    snprintf(head, sizeof head, "scan of %s (%s), the largest |value| first: %s",
             json_object_get_string(json_object_object_get(result, "scan")), kind ? kind : "?",
             loss ? "loss gap" : "output change");
    if (loss)
        snprintf(quantity, sizeof quantity, "loss gap");
    else
        snprintf(quantity, sizeof quantity, "|change of %s|", output ? output : "the output");
    tui_canvas_put(cv, 0, 0, head, A_BOLD);
    int line = 1;
    for (int i = 0; i < n; i++, line++) {
        char name[256], lab[32];
        snprintf(name, sizeof name, "%s%s%s%s", bars[i].name ? bars[i].name : "?",
                 bars[i].label ? " (" : "", bars[i].label ? bars[i].label : "",
                 bars[i].label ? ")" : "");
        tui_canvas_put(cv, line, 0, name, tui_attr(cv->t->colour, TUI_ATTR_TITLE));
        int len = tui_bar_length(&s, magnitude[i]);
        draw_bar(cv, line, name_w, len, bars[i].value, top > 0 ? top : 1);
        if (bars[i].value == 0)
            snprintf(lab, sizeof lab, "0");
        else if (isfinite(bars[i].value))
            snprintf(lab, sizeof lab, "%+.4g", bars[i].value);
        else
            snprintf(lab, sizeof lab, "-");
        tui_canvas_put(cv, line, name_w + len + 1, lab, A_NORMAL);
    }
    tui_bar_axis(cv, line, name_w, &s, quantity);
    free(magnitude);
    free(bars);
}
