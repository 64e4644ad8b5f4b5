/* report.h - building result objects: numbers with float32's precision, vectors, site reports.
 * Shared by the command handlers (engine-private). */
#ifndef IV_REPORT_H
#define IV_REPORT_H

#include <json-c/json.h>

#include "gridmap.h"
#include "workspace.h"

/* A number printed with the precision float32 carries (5, 8.99, 1.818182); null when not finite. */
json_object *iv_json_num(double v);
json_object *iv_json_floats(const float *v, long n);
json_object *iv_json_doubles(const double *v, long n);
/* Adds a number, an owned object or a string to an object. */
void iv_json_set_num(json_object *obj, const char *key, double v);
void iv_json_set(json_object *obj, const char *key, json_object *val);
void iv_json_set_str(json_object *obj, const char *key, const char *s);

/* {"site": NAME, "clean": [...], "intervened": [...]} for the last run, with "source" when there is
 * a source input, "labels" when the site has them, and the distribution ("samples", "std", "min",
 * "max") when the intervened pass has several samples. */
json_object *iv_report_site(const iv_workspace *ws, int site);
/* The output: clean, intervened, change, and the target when the model has one; a transformer's
 * most likely next tokens ("next", "intervened_next"). An output wider than IV_REPORT_OUTPUT_MAX
 * (GPT-2's 50,257 logits at each of 20 positions) is not listed value by value: millions of
 * numbers would take far longer to write than the pass that made them, and its next tokens say
 * what it means; it has "site" and "values" (the count) instead, and `show SITE` lists it. */
#define IV_REPORT_OUTPUT_MAX 65536
json_object *iv_report_output(const iv_workspace *ws);
/* A transformer's next tokens alone (empty for another model), as the explorer draws them. */
json_object *iv_report_next(const iv_workspace *ws);
/* Maps over a two-input grid dataset, rows y, columns x. A grid of more than IV_MAP_MAX_CELLS
 * points along an axis is summarised: each cell of the map stands for a bin of bx x by points, so a
 * result never grows with the grid past what a screen or a file can use. */
#define IV_MAP_MAX_CELLS 200
typedef struct iv_map_shape {
    long nx, ny; /* grid points along x and y */
    long bx, by; /* points in one cell along x and y (1 when the grid is small enough) */
    long cx, cy; /* cells along x and y */
} iv_map_shape;
void iv_map_shape_of(const iv_dataset *ds, iv_map_shape *s);
/* A map before its matrices are added: the axes ("x", "y"; cell centres when binned), their names
 * ("x_name", "y_name"), and "binned" saying how, when it is. Its layout is gridmap.h's. */
json_object *iv_report_grid_map(const iv_workspace *ws, const iv_map_shape *s);
/* A matrix (rows y, columns x) of value(example) summarised over each cell: the mean, the largest
 * value, or the value at the cell's first point (for categories such as region ids). */
typedef enum iv_map_summary { IV_MAP_MEAN, IV_MAP_MAX, IV_MAP_FIRST } iv_map_summary;
json_object *iv_map_matrix(const iv_map_shape *s, iv_map_summary how,
                           double (*value)(long example, const void *user), const void *user);
/* One intervention as listed by `list`. */
json_object *iv_report_intervention(const iv_workspace *ws, const iv_intervention *iv);

#endif
