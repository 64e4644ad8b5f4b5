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
    bool progress;    /* a progress line on stderr while a command takes long (a terminal's) */
    int failures;
    /* After ui_batch_run: SIGINT came (ui_batch_catch_interrupt), and so many commands of the
     * script were left unrun (the one it stopped, if it did, reported as failing with
     * "cancelled"). */
    bool interrupted;
    int skipped;
    /* the progress line of the command running now */
    const char *command;
    double started, shown_at;
    int progress_width; /* columns it takes on the terminal; 0 when none is shown */
} ui_batch;

/* Runs a script named `name` (a file name, or "-c"); returns the number of failed commands. A
 * SIGINT stops the run (see interrupted). */
int ui_batch_run(iv_workspace *ws, const char *text, const char *name, ui_batch *b);
/* Installs the SIGINT handler of batch mode and the prompt: during a command it cancels the
 * command's job (the command fails with "cancelled", having changed nothing); otherwise the
 * program ends at once with "intervene: interrupted" and status 130. */
void ui_batch_catch_interrupt(void);
/* Forgets a SIGINT that ui_batch_run has reported, for the prompt to go on. */
void ui_batch_clear_interrupt(ui_batch *b);

/* Interactive prompt over the same commands (GNU readline), until end of input or 'quit'. */
int ui_repl_run(iv_workspace *ws);

#endif
