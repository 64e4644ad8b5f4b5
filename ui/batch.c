/* batch.c - scripts from -c and -s: results to stdout as text or JSON lines, errors to stderr. */
#include "batch.h"

#include "render.h"

/* Writes rendered lines to the output, and frees them. */
static void put(ui_batch *b, iv_buf *text)
{
    if (text->data)
        fputs(text->data, b->out);
    fflush(b->out); /* keep results and error lines in order when both go to a terminal */
    iv_buf_free(text);
}

static void emit(iv_result_type type, json_object *result, void *user)
{
    ui_batch *b = user;
    iv_buf text = {0};
    if (b->json)
        ui_render_json(result, &text);
    else
        ui_render_text(type, result, &text);
    put(b, &text);
    json_object_put(result);
}

static void report_error(const char *where, const char *command, const iv_error *err, void *user)
{
    ui_batch *b = user;
    fprintf(b->errors, "intervene: %s: '%s': %s\n", where, command, err->msg);
    fflush(b->errors);
    if (b->json) {
        /* Machine readers see the failure in the same stream as the results. */
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "error", json_object_new_string(err->msg));
        json_object_object_add(obj, "where", json_object_new_string(where));
        json_object_object_add(obj, "command", json_object_new_string(command));
        iv_buf text = {0};
        ui_render_json(obj, &text);
        put(b, &text);
        json_object_put(obj);
    }
}

int ui_batch_run(iv_workspace *ws, const char *text, const char *name, ui_batch *b)
{
    iv_sink sink = {emit, b};
    int failed = iv_script_run(ws, text, name, &sink, b->keep_going, report_error, b, NULL);
    b->failures += failed;
    return failed;
}
