/* history.h - where the command history of the prompt and the full-screen command line is kept. */
#ifndef IV_HISTORY_H
#define IV_HISTORY_H

/* The history file, $XDG_STATE_HOME/intervene/history or else ~/.local/state/intervene/history,
 * with its directories created (mode 0700). NULL when neither XDG_STATE_HOME nor HOME is set.
 * Caller frees. */
char *ui_history_path(void);

/* Adds one line at the end of the history file, and keeps the file to about `keep` lines; a kill
 * at any moment leaves every earlier line in place. Failures only lose history, silently. */
void ui_history_append(const char *path, const char *line, int keep);

#endif
