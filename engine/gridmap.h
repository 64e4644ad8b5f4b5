/* gridmap.h - the layout of a map in a result, in one place for whoever writes or reads one.
 *
 * A map is an object (effect's "map", regions' "clean_map" ...) holding one or more matrices, rows
 * y down and columns x across, beside the axes they share: "x" and "y", the grid's values (cell
 * centres when binned), and "x_name" and "y_name", the inputs along them. report.c writes maps;
 * the CSV writer of export and the text renderer of the front ends read them back through
 * iv_gridmap_decode. */
#ifndef IV_GRIDMAP_H
#define IV_GRIDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* The members of a map beside its matrices. */
#define IV_GRIDMAP_X "x"
#define IV_GRIDMAP_Y "y"
#define IV_GRIDMAP_X_NAME "x_name"
#define IV_GRIDMAP_Y_NAME "y_name"

/* One matrix of a map, with the axes that fit it. Borrowed from the map's JSON. */
typedef struct iv_gridmap {
    json_object *matrix;         /* the rows, y down: arrays of cells */
    size_t rows, cols;           /* cols: the cells of the first row (a shorter row lacks some) */
    json_object *x, *y;          /* the axes: arrays of cols and of rows values, or NULL */
    const char *x_name, *y_name; /* or NULL */
} iv_gridmap;

/* Whether v is a matrix: a non-empty array whose elements are all arrays of scalars. */
/* A JSON value that is neither an object nor an array; an array of only such values. */
bool iv_json_is_scalar(json_object *v);
bool iv_json_is_scalar_array(json_object *v);
bool iv_gridmap_is_matrix(json_object *v);

/* Decodes the member matrix of map (the object holding it). An axis is kept only when it is an
 * array as long as the matrix is wide (x) or high (y). Returns false when matrix is no matrix. */
bool iv_gridmap_decode(json_object *map, json_object *matrix, iv_gridmap *out);

/* Whether the member key of obj is an axis of a map ("x" or "y" in an object holding a matrix),
 * which goes with the matrix rather than standing on its own. */
bool iv_gridmap_is_axis(json_object *obj, const char *key);

/* The cell at row r, column c; NULL past the end of a short row. */
json_object *iv_gridmap_cell(const iv_gridmap *g, size_t r, size_t c);

#endif
