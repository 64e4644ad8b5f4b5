/* view_attention.c - a head's attention pattern (`attention BLOCK HEAD`) as a heatmap: a row per
 * query, a column per key, each cell the weight in hundredths on the colour scale ("1" for all
 * of it, "." for none; shade glyphs without colour), the queries named by their tokens down the left and the keys numbered across
 * the top; the causal triangle leaves the cells above the diagonal blank. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

#define LABEL_W 12 /* a query's position and token */
#define CELL_W 3

void tui_draw_attention(tui_canvas *cv, json_object *result)
{
    json_object *rows = json_object_object_get(result, "pattern");
    int T = rows ? (int)json_object_array_length(rows) : 0;
    bool colour = cv->t->colour != TUI_COLOUR_NONE;
    char title[160];
    snprintf(title, sizeof title, "head %d of %s, %s",
             json_object_get_int(json_object_object_get(result, "head")),
             json_object_get_string(json_object_object_get(result, "attention")),
             json_object_get_string(json_object_object_get(result, "shown")));
    tui_canvas_put(cv, 0, 0, title, A_BOLD);
    tui_canvas_put(cv, 1, 0, "queries down, keys across, weights in hundredths (1: all, .: none)",
                   A_DIM);
    char num[16];
    for (int k = 0; k < T; k++) { /* the keys' positions across the top */
        snprintf(num, sizeof num, "%*d", CELL_W, k);
        tui_canvas_put(cv, 2, LABEL_W + k * CELL_W, num, A_DIM);
    }
    bool difference = strstr(json_object_get_string(json_object_object_get(result, "shown")),
                             "minus") != NULL;
    for (int q = 0; q < T; q++) {
        json_object *row = json_object_array_get_idx(rows, q);
        char label[LABEL_W + 1];
        snprintf(label, sizeof label, "%-*.*s", LABEL_W - 1, LABEL_W - 1,
                 json_object_get_string(json_object_object_get(row, "query")));
        tui_canvas_put(cv, 3 + q, 0, label, A_NORMAL);
        int k = 0;
        json_object_object_foreach(row, key, val) {
            if (strcmp(key, "query") == 0)
                continue;
            if (k <= q) {
                double v = json_object_get_double(val);
                int attr = colour ? tui_colour_attr(cv->t->colour, v, 1) : (int)A_NORMAL;
                if (colour) { /* hundredths; "1" for all of the weight, "." for none of it */
                    double a = fabs(v);
                    if (a >= 0.995)
                        snprintf(num, sizeof num, "%*s", CELL_W, "1");
                    else if (a < 0.005)
                        snprintf(num, sizeof num, "%*s", CELL_W, ".");
                    else
                        snprintf(num, sizeof num, "%*.0f", CELL_W, a * 100);
                } else {
                    const char *shade = difference ? tui_colour_signed_shade(v, 1)
                                                   : tui_colour_shade(v, 1);
                    snprintf(num, sizeof num, " %s%s", shade, shade);
                }
                tui_canvas_put(cv, 3 + q, LABEL_W + k * CELL_W, num, attr);
            }
            k++;
        }
    }
}
