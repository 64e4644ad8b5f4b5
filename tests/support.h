/* support.h - what the cmocka tests share: a workspace over a model written in the text format,
 * and command lines that must succeed, or must fail (with the message they fail with). Each
 * failure fails the running test, naming the line. Include after cmocka.h. */
#ifndef IV_TEST_SUPPORT_H
#define IV_TEST_SUPPORT_H

#include "commands.h"
#include "workspace.h"

/* A workspace over the model `text` (the text format); the workspace owns the model. */
iv_workspace *test_ws_from_text(const char *text);
/* Runs a line of commands (';' between them) as a script would. */
void test_run(iv_workspace *ws, const char *line);
/* Runs a line that must fail; returns its message (static: the next call overwrites it). */
const char *test_run_fails(iv_workspace *ws, const char *line);

/* The last result of a type that a line (which must succeed) emits, owned by the caller; and one
 * number of it. */
json_object *test_result(iv_workspace *ws, const char *line, iv_result_type type);
double test_number(iv_workspace *ws, const char *line, iv_result_type type, const char *key);

/* That the workspace's clean run (and its source run, or none without a source) are, bit for bit,
 * a fresh pass of its model over its inputs: nothing kept from an earlier run is stale. */
void test_expect_clean_current(const iv_workspace *ws);

/* A call that must fail (rc -1) with a one-line message containing `part`. */
void test_expect_error(int rc, const iv_error *err, const char *part);

#endif
