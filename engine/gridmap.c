/* gridmap.c - reading back the layout of a map in a result. */
#include "gridmap.h"

#include <string.h>

bool iv_json_is_scalar(json_object *v)
{
    json_type t = json_object_get_type(v);
    return t != json_type_object && t != json_type_array;
}

bool iv_json_is_scalar_array(json_object *v)
{
    if (!json_object_is_type(v, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!iv_json_is_scalar(json_object_array_get_idx(v, i)))
            return false;
    return true;
}

bool iv_gridmap_is_matrix(json_object *v)
{
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
        return false;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!iv_json_is_scalar_array(json_object_array_get_idx(v, i)))
            return false;
    return true;
}

/* An axis of n values, when the map has one that long. */
static json_object *axis(json_object *map, const char *key, size_t n)
{
    json_object *a = json_object_object_get(map, key);
    return json_object_is_type(a, json_type_array) && json_object_array_length(a) == n ? a : NULL;
}

/* An axis' name, when it is a string. */
static const char *axis_name(json_object *map, const char *key)
{
    json_object *s = json_object_object_get(map, key);
    return json_object_is_type(s, json_type_string) ? json_object_get_string(s) : NULL;
}

bool iv_gridmap_decode(json_object *map, json_object *matrix, iv_gridmap *out)
{
    if (!iv_gridmap_is_matrix(matrix))
        return false;
    out->matrix = matrix;
    out->rows = json_object_array_length(matrix);
    out->cols = json_object_array_length(json_object_array_get_idx(matrix, 0));
    out->x = axis(map, IV_GRIDMAP_X, out->cols);
    out->y = axis(map, IV_GRIDMAP_Y, out->rows);
    out->x_name = axis_name(map, IV_GRIDMAP_X_NAME);
    out->y_name = axis_name(map, IV_GRIDMAP_Y_NAME);
    return true;
}

bool iv_gridmap_is_axis(json_object *obj, const char *key)
{
    if (strcmp(key, IV_GRIDMAP_X) != 0 && strcmp(key, IV_GRIDMAP_Y) != 0)
        return false;
    json_object_object_foreach(obj, k, v) {
        (void)k;
        if (iv_gridmap_is_matrix(v))
            return true;
    }
    return false;
}

json_object *iv_gridmap_cell(const iv_gridmap *g, size_t r, size_t c)
{
    json_object *row = json_object_array_get_idx(g->matrix, r);
    return c < json_object_array_length(row) ? json_object_array_get_idx(row, c) : NULL;
}
