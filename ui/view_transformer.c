/* view_transformer.c - a transformer's tables as heatmaps.
 *
 * A head's attention pattern (`attention BLOCK HEAD`): a row per query, a column per key, each
 * cell the weight in hundredths on the colour scale ("1" for all of it, "." for none; shade glyphs
 * without colour), the queries named by their tokens down the left, the keys numbered across the
 * top with their tokens under the numbers; the causal triangle leaves the cells above the diagonal
 * blank. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

#define LABEL_W 12 /* a query's position and token */
#define CELL_W 3
#define SCAN_LABEL_W 8 /* "block 11" */

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
    /* under them the keys' tokens, from the columns' names ("2 \"A\""), as many characters as a
     * cell has */
    int k = 0;
    json_object_object_foreach(json_object_array_get_idx(rows, 0), column, unused) {
        (void)unused;
        const char *quote = strchr(column, '"');
        if (strcmp(column, "query") == 0 || !quote)
            continue;
        char token[16];
        snprintf(token, sizeof token, "%.*s", CELL_W - 1, quote + 1);
        char *end = strchr(token, '"');
        if (end)
            *end = '\0';
        snprintf(num, sizeof num, "%*s", CELL_W, token);
        tui_canvas_put(cv, 3, LABEL_W + k++ * CELL_W, num, A_DIM);
    }
    bool difference = strstr(json_object_get_string(json_object_object_get(result, "shown")),
                             "minus") != NULL;
    for (int q = 0; q < T; q++) {
        json_object *row = json_object_array_get_idx(rows, q);
        char label[LABEL_W + 1];
        snprintf(label, sizeof label, "%-*.*s", LABEL_W - 1, LABEL_W - 1,
                 json_object_get_string(json_object_object_get(row, "query")));
        tui_canvas_put(cv, 4 + q, 0, label, A_NORMAL);
        k = 0;
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
                tui_canvas_put(cv, 4 + q, LABEL_W + k * CELL_W, num, attr);
            }
            k++;
        }
    }
}

/* A patching scan (`patch-scan resid|heads`): a row per block, a column per position or head,
 * each cell how much of the way from the base run's metric to the source's the patch goes
 * ((patched - base) / (source - base), in hundredths: 100 when the cell alone carries the whole
 * difference), coloured on that scale; the metric itself is in the text above. */
void tui_draw_patch_scan(tui_canvas *cv, json_object *result)
{
    json_object *rows = json_object_object_get(result, "table");
    int n = rows ? (int)json_object_array_length(rows) : 0;
    double base = json_object_get_double(json_object_object_get(result, "base"));
    double source = json_object_get_double(json_object_object_get(result, "source"));
    double span = source - base;
    bool colour = cv->t->colour != TUI_COLOUR_NONE;
    char line[160];
    snprintf(line, sizeof line, "%s: share of the way from base (%.3g) to source (%.3g), hundredths",
             json_object_get_string(json_object_object_get(result, "patch_scan")), base, source);
    tui_canvas_put(cv, 0, 0, line, A_BOLD);
    if (fabs(span) < 1e-9) {
        tui_canvas_put(cv, 1, 0, "the base and the source give the same metric: nothing to share",
                       A_DIM);
        return;
    }
    for (int L = 0; L < n; L++) {
        json_object *row = json_object_array_get_idx(rows, L);
        int k = 0;
        snprintf(line, sizeof line, "block %d", L);
        tui_canvas_put(cv, 2 + L, 0, line, A_NORMAL);
        json_object_object_foreach(row, key, val) {
            if (strcmp(key, "block") == 0)
                continue;
            if (L == 0) { /* the columns' names: "pos 3", "head 1" -> their numbers */
                const char *space = strchr(key, ' ');
                snprintf(line, sizeof line, "%*s", CELL_W + 1, space ? space + 1 : key);
                tui_canvas_put(cv, 1, SCAN_LABEL_W + k * (CELL_W + 1), line, A_DIM);
            }
            double share = (json_object_get_double(val) - base) / span;
            char num[16];
            if (colour) /* no "-0": what rounds to nothing is 0 */
                snprintf(num, sizeof num, "%*.0f", CELL_W + 1,
                         fabs(share) < 0.005 ? 0.0 : share * 100);
            else
                snprintf(num, sizeof num, " %s%s%s", tui_colour_signed_shade(share, 1),
                         tui_colour_signed_shade(share, 1), tui_colour_signed_shade(share, 1));
            tui_canvas_put(cv, 2 + L, SCAN_LABEL_W + k * (CELL_W + 1), num,
                           colour ? tui_colour_attr(cv->t->colour, share, 1) : (int)A_NORMAL);
            k++;
        }
    }
}
