/* report.h - building result objects: numbers with float32's precision, vectors, site reports.
 * Shared by the command handlers (engine-private). */
#ifndef IV_REPORT_H
#define IV_REPORT_H

#include <json-c/json.h>

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
/* The output: clean, intervened, change, and the target when the model has one. */
json_object *iv_report_output(const iv_workspace *ws);
/* A map over a two-input grid dataset, before its matrices are added: the axes ("x", "y", rows
 * y, columns x) and their names ("x_name", "y_name"). */
json_object *iv_report_grid_map(const iv_workspace *ws);
/* One intervention as listed by `list`. */
json_object *iv_report_intervention(const iv_workspace *ws, const iv_intervention *iv);

#endif
