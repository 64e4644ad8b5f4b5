/* text.h - the model text format (doc/model-format.md): the format a person writes by hand, and
 * the one `export model FILE.nn` writes. Read through the builder (build.h), so a parsed model
 * has passed the same check as a model from any other reader. */
#ifndef IV_TEXT_H
#define IV_TEXT_H

#include <stdio.h>

#include "model.h"

#define IV_MAX_MODEL_FILE (1L << 30) /* bytes in one model file, so a hostile one asks no more */

/* Parses the text format. `filename` is used in messages, which read "FILE:LINE: what was
 * expected". Returns NULL on error. */
iv_model *iv_model_parse(const char *text, const char *filename, iv_error *err);
/* Writes the model in the text format (round-trips through iv_model_parse). Returns 0 or -1. */
int iv_model_write(const iv_model *m, FILE *f);
/* The same for a file: read (at most IV_MAX_MODEL_FILE bytes) and parsed with messages naming it,
 * or written whole or not at all (files.h), with "FILE: write error" when the model cannot be. */
iv_model *iv_model_load_text(const char *path, iv_error *err);
int iv_model_write_text(const iv_model *m, const char *path, iv_error *err);

#endif
