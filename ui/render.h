/* render.h - turning command results (json-c objects) into text or JSON lines for batch mode. */
#ifndef IV_RENDER_H
#define IV_RENDER_H

#include <json-c/json.h>

#include "commands.h"
#include "util.h"

/* Readable text: flat members as key=value on one line, nested objects on lines of their own,
 * lists of records as aligned tables, 2-D arrays as grids with their axes; a caption (say) as it
 * was written. */
void ui_render_text(iv_result_type type, json_object *result, iv_buf *out);
/* One line of compact JSON. */
void ui_render_json(json_object *result, iv_buf *out);

#endif
