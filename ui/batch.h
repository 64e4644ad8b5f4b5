/* batch.h - running command scripts without the terminal UI, printing results as text or JSON. */
#ifndef IV_BATCH_H
#define IV_BATCH_H

#include <stdio.h>

#include "commands.h"

typedef struct ui_batch {
    bool json;        /* one JSON object per line instead of text */
    bool keep_going;  /* run the rest of a script after a failing command */
    FILE *out;        /* results */
    FILE *errors;     /* one line per failing command */
    int failures;
} ui_batch;

/* Runs a script named `name` (a file name, or "-c"); returns the number of failed commands. */
int ui_batch_run(iv_workspace *ws, const char *text, const char *name, ui_batch *b);

/* Interactive prompt over the same commands (GNU readline), until end of input or 'quit'. */
int ui_repl_run(iv_workspace *ws);

#endif
