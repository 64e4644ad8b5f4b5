/* render.c - results as readable text or as JSON lines. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gridmap.h"

/* ---- scalars ----------------------------------------------------------------------------------- */

static bool is_flat(json_object *v)
{
    return iv_json_is_scalar(v) || iv_json_is_scalar_array(v);
}

/* quote: on a key=value line, strings with blanks are quoted so the line splits cleanly. */
static void scalar_text(json_object *v, bool quote, iv_buf *out)
{
    const char *s = v ? json_object_get_string(v) : "";
    if (!v || !*s) {
        iv_buf_append(out, "-", 1); /* a missing label, an empty field, a number not finite */
        return;
    }
    if (quote && json_object_is_type(v, json_type_string) && strpbrk(s, " \t=\"")) {
        /* A text with double quotes in it goes in single ones (usage="COMMAND" ... would read
         * as an empty string and a stray word); with both kinds, its double quotes are escaped. */
        if (strchr(s, '"') && !strchr(s, '\'')) {
            iv_buf_printf(out, "'%s'", s);
            return;
        }
        iv_buf_append(out, "\"", 1);
        for (const char *c = s; *c; c++) {
            if (*c == '"' || *c == '\\')
                iv_buf_append(out, "\\", 1);
            iv_buf_append(out, c, 1);
        }
        iv_buf_append(out, "\"", 1);
        return;
    }
    iv_buf_printf(out, "%s", s);
}

#define LIST_MAX 32  /* longer lists are shown by their first LIST_HEAD and last LIST_TAIL */
#define LIST_HEAD 12
#define LIST_TAIL 4

/* A value on a key=value line: scalars bare, one-element arrays bare, others in brackets. */
static void flat_text(json_object *v, bool quote, iv_buf *out)
{
    if (!iv_json_is_scalar_array(v)) {
        scalar_text(v, quote, out);
        return;
    }
    size_t n = json_object_array_length(v);
    if (n == 1) {
        scalar_text(json_object_array_get_idx(v, 0), quote, out);
        return;
    }
    /* A list of hundreds (the 784 inputs of an image model, a 512-wide site) does not read on one
     * line: its head and tail, and how many there are; --json and export keep them all. */
    bool cut = n > LIST_MAX;
    iv_buf_append(out, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (cut && i == LIST_HEAD) {
            iv_buf_append(out, " ...", 4);
            i = n - LIST_TAIL;
        }
        if (i)
            iv_buf_append(out, " ", 1);
        scalar_text(json_object_array_get_idx(v, i), quote, out);
    }
    iv_buf_append(out, "]", 1);
    if (cut)
        iv_buf_printf(out, " (%zu in all)", n);
}

/* ---- tables and grids -------------------------------------------------------------------------- */

static bool is_record_list(json_object *v)
{
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
        return false;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *row = json_object_array_get_idx(v, i);
        if (!json_object_is_type(row, json_type_object))
            return false;
        json_object_object_foreach(row, key, val) {
            (void)key;
            if (!is_flat(val))
                return false;
        }
    }
    return true;
}

static void cell_text(json_object *v, char *buf, size_t n)
{
    iv_buf b = {0};
    flat_text(v, false, &b);
    snprintf(buf, n, "%s", b.data ? b.data : "");
    iv_buf_free(&b);
}

/* Records as columns headed by the first record's keys, each as wide as its widest cell. */
static void table_text(json_object *rows, iv_buf *out)
{
    json_object *first = json_object_array_get_idx(rows, 0);
    size_t nrows = json_object_array_length(rows);
    int ncols = json_object_object_length(first);
    const char **keys = iv_xcalloc((size_t)ncols, sizeof(char *));
    size_t *width = iv_xcalloc((size_t)ncols, sizeof(size_t));
    int c = 0;
    json_object_object_foreach(first, key, unused) {
        (void)unused;
        keys[c] = key;
        width[c] = strlen(key);
        c++;
    }
    char cell[512];
    for (size_t r = 0; r < nrows; r++)
        for (c = 0; c < ncols; c++) {
            cell_text(json_object_object_get(json_object_array_get_idx(rows, r), keys[c]), cell,
                      sizeof cell);
            if (strlen(cell) > width[c])
                width[c] = strlen(cell);
        }
    for (c = 0; c < ncols; c++)
        iv_buf_printf(out, "%-*s%s", c + 1 < ncols ? (int)width[c] : 0, keys[c],
                      c + 1 < ncols ? "  " : "\n");
    for (size_t r = 0; r < nrows; r++)
        for (c = 0; c < ncols; c++) {
            cell_text(json_object_object_get(json_object_array_get_idx(rows, r), keys[c]), cell,
                      sizeof cell);
            iv_buf_printf(out, "%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cell,
                          c + 1 < ncols ? "  " : "\n");
        }
    free(keys);
    free(width);
}

/* A grid cell: four significant digits keep a map readable; JSON keeps full precision. */
static void grid_cell(json_object *v, char *buf, size_t n)
{
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        snprintf(buf, n, "%.4g", d == 0 ? 0 : d);
    } else {
        cell_text(v, buf, n);
    }
}

/* A map's matrix with its row and column axes, when it has them (gridmap.h). */
static void grid_text(const iv_gridmap *g, iv_buf *out)
{
    char cell[64];
    int w = 1;
    for (size_t r = 0; r < g->rows; r++)
        for (size_t c = 0; c < g->cols; c++) {
            grid_cell(iv_gridmap_cell(g, r, c), cell, sizeof cell);
            w = (int)strlen(cell) > w ? (int)strlen(cell) : w;
        }
    if (g->x)
        for (size_t c = 0; c < g->cols; c++) {
            cell_text(json_object_array_get_idx(g->x, c), cell, sizeof cell);
            w = (int)strlen(cell) > w ? (int)strlen(cell) : w;
        }
    char corner[64];
    snprintf(corner, sizeof corner, "%s\\%s", g->y_name ? g->y_name : "y",
             g->x_name ? g->x_name : "x");
    int head = (int)strlen(corner);
    if (g->x) {
        iv_buf_printf(out, "  %*s", head, corner);
        for (size_t c = 0; c < g->cols; c++) {
            cell_text(json_object_array_get_idx(g->x, c), cell, sizeof cell);
            iv_buf_printf(out, " %*s", w, cell);
        }
        iv_buf_append(out, "\n", 1);
    }
    for (size_t r = 0; r < g->rows; r++) {
        if (g->y) {
            cell_text(json_object_array_get_idx(g->y, r), cell, sizeof cell);
            iv_buf_printf(out, "  %*s", head, cell);
        }
        for (size_t c = 0; c < g->cols; c++) {
            grid_cell(iv_gridmap_cell(g, r, c), cell, sizeof cell);
            iv_buf_printf(out, " %*s", w, cell);
        }
        iv_buf_append(out, "\n", 1);
    }
}

/* ---- objects ----------------------------------------------------------------------------------- */

static void object_text(json_object *obj, const char *indent, iv_buf *out)
{
    /* Flat members first, on one line, so the common case is a single grep-able line. */
    bool any = false;
    json_object_object_foreach(obj, key, val) {
        if (!is_flat(val) || (json_object_is_type(val, json_type_string) &&
                              strchr(json_object_get_string(val), '\n')))
            continue;
        if (iv_gridmap_is_axis(obj, key))
            continue; /* drawn with the grid */
        iv_buf_printf(out, "%s%s%s=", any ? " " : "", any ? "" : indent, key);
        flat_text(val, true, out);
        any = true;
    }
    if (any)
        iv_buf_append(out, "\n", 1);
    json_object_object_foreach(obj, k2, v2) {
        iv_gridmap map;
        if (json_object_is_type(v2, json_type_string) && strchr(json_object_get_string(v2), '\n')) {
            iv_buf_printf(out, "%s%s:\n", indent, k2);
            const char *s = json_object_get_string(v2);
            while (*s) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t)(nl - s) : strlen(s);
                iv_buf_printf(out, "%s  %.*s\n", indent, (int)len, s);
                s += len + (nl ? 1 : 0);
            }
        } else if (iv_gridmap_decode(obj, v2, &map)) {
            iv_buf_printf(out, "%s%s:\n", indent, k2);
            grid_text(&map, out);
        } else if (is_record_list(v2)) {
            table_text(v2, out);
        } else if (json_object_is_type(v2, json_type_object)) {
            iv_buf_printf(out, "%s%s:", indent, k2);
            iv_buf b = {0};
            object_text(v2, "", &b);
            /* A nested flat object fits after its key; a deeper one goes below it, indented. */
            if (b.data && strchr(b.data, '\n') == b.data + b.len - 1) {
                iv_buf_append(out, " ", 1);
                iv_buf_append(out, b.data, b.len);
            } else {
                iv_buf_append(out, "\n", 1);
                iv_buf_free(&b);
                char deeper[64];
                snprintf(deeper, sizeof deeper, "%s  ", indent);
                object_text(v2, deeper, out);
            }
            iv_buf_free(&b);
        } else if (json_object_is_type(v2, json_type_array) && !is_flat(v2)) {
            iv_buf_printf(out, "%s%s: (none)\n", indent, k2); /* an empty list of records */
        }
    }
}

/* An input taken from a dataset row says so in its name: "input (row 17 of load x.npy): x=3 y=5",
 * then the row's labels; an input typed in is an object like any other. */
static bool input_row_text(json_object *result, iv_buf *out)
{
    json_object *row = json_object_object_get(result, "row");
    if (!row)
        return false;
    const char *key = json_object_object_get(result, "input") ? "input" : "source";
    iv_buf_printf(out, "%s (row %s of %s):", key, json_object_get_string(row),
                  json_object_get_string(json_object_object_get(result, "dataset")));
    iv_buf values = {0};
    object_text(json_object_object_get(result, key), "", &values);
    iv_buf_printf(out, " %s", values.data ? values.data : "\n");
    iv_buf_free(&values);
    json_object *labels = json_object_object_get(result, "labels");
    if (labels) {
        out->data[--out->len] = '\0'; /* the labels go on the same line */
        iv_buf_printf(out, "; labels: ");
        object_text(labels, "", out);
    }
    return true;
}

/* train: one line of what was trained and where it ended, the note, then the epochs' table. */
static void training_text(json_object *result, iv_buf *out)
{
    json_object *holdout = json_object_object_get(result, "holdout_accuracy");
    json_object *acc = json_object_object_get(result, "accuracy");
    const char *kind = json_object_get_string(json_object_object_get(result, "objective"));
    iv_buf_printf(out, "trained %s (%s) on %s rows of %s",
                  json_object_get_string(json_object_object_get(result, "train")), kind,
                  json_object_get_string(json_object_object_get(result, "rows")),
                  json_object_get_string(json_object_object_get(result, "dataset")));
    long held = json_object_get_int64(json_object_object_get(result, "holdout_rows"));
    if (held)
        iv_buf_printf(out, " (%ld held out)", held);
    iv_buf_printf(out, ": %s epochs, %s steps of batch %s, lr %s, seed %s, init %s\n",
                  json_object_get_string(json_object_object_get(result, "epochs")),
                  json_object_get_string(json_object_object_get(result, "steps")),
                  json_object_get_string(json_object_object_get(result, "batch")),
                  json_object_get_string(json_object_object_get(result, "lr")),
                  json_object_get_string(json_object_object_get(result, "seed")),
                  json_object_get_string(json_object_object_get(result, "init")));
    iv_buf_printf(out, "last epoch: loss %s",
                  json_object_get_string(json_object_object_get(result, "loss")));
    if (acc)
        iv_buf_printf(out, " accuracy %s", json_object_get_string(acc));
    if (held)
        iv_buf_printf(out, "; held out: loss %s",
                      json_object_get_string(json_object_object_get(result, "holdout_loss")));
    if (held && holdout)
        iv_buf_printf(out, " accuracy %s", json_object_get_string(holdout));
    iv_buf_printf(out, "\n%s\n", json_object_get_string(json_object_object_get(result, "note")));
    json_object *record = json_object_object_get(result, "record");
    if (is_record_list(record))
        table_text(record, out);
}

/* das: what was learned and how well it holds on held-out pairs, the subspaces, the note, then
 * the epochs' table. */
static void das_text(json_object *result, iv_buf *out)
{
#define DAS_FIELD(key) json_object_get_string(json_object_object_get(result, key))
    iv_buf_printf(out, "das %s at %s (dims %s of %s, %s): %s pairs of %s (%s held out): %s epochs, "
                  "%s steps of batch %s, lr %s, seed %s\n", DAS_FIELD("das"), DAS_FIELD("site"),
                  DAS_FIELD("dims"), DAS_FIELD("width"), DAS_FIELD("objective"),
                  DAS_FIELD("train_pairs"), DAS_FIELD("dataset"), DAS_FIELD("holdout_pairs"),
                  DAS_FIELD("epochs"), DAS_FIELD("steps"), DAS_FIELD("batch"), DAS_FIELD("lr"),
                  DAS_FIELD("seed"));
    iv_buf_printf(out, "held-out IIA %s (%s of %s pairs); last epoch: loss %s, training IIA %s\n",
                  DAS_FIELD("iia"), DAS_FIELD("agree"), DAS_FIELD("holdout_pairs"),
                  DAS_FIELD("loss"), DAS_FIELD("train_iia"));
    json_object *subspaces = json_object_object_get(result, "subspaces");
    iv_buf_printf(out, "aligned:");
    for (size_t i = 0; subspaces && i < json_object_array_length(subspaces); i++) {
        json_object *row = json_object_array_get_idx(subspaces, i);
        iv_buf_printf(out, "%s %s <- %s subspace %s (rows %s)", i ? "," : "",
                      json_object_get_string(json_object_object_get(row, "variable")),
                      json_object_get_string(json_object_object_get(row, "site")),
                      json_object_get_string(json_object_object_get(row, "dims")),
                      json_object_get_string(json_object_object_get(row, "rows")));
    }
    iv_buf_printf(out, "\n%s\n", DAS_FIELD("note"));
#undef DAS_FIELD
    json_object *record = json_object_object_get(result, "record");
    if (is_record_list(record))
        table_text(record, out);
}

void ui_render_text(iv_result_type type, json_object *result, iv_buf *out)
{
    if (type == IV_RESULT_DAS) {
        das_text(result, out);
        return;
    }
    if (type == IV_RESULT_TRAINING) {
        training_text(result, out);
        return;
    }
    if (type == IV_RESULT_INPUT && input_row_text(result, out))
        return;
    if (type == IV_RESULT_DONE) { /* one line saying what was done; the figures are for JSON */
        iv_buf_printf(out, "%s\n", json_object_get_string(json_object_object_get(result, "done")));
        return;
    }
    if (type == IV_RESULT_TEXT) {
        /* a caption, as written */
        iv_buf_printf(out, "%s\n", json_object_get_string(json_object_object_get(result, "say")));
        return;
    }
    if (json_object_is_type(result, json_type_object))
        object_text(result, "", out);
    else {
        flat_text(result, true, out);
        iv_buf_append(out, "\n", 1);
    }
}

void ui_render_json(json_object *result, iv_buf *out)
{
    const char *s = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    iv_buf_printf(out, "%s\n", s);
}
