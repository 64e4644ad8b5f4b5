/* commands.h - the command language: one table of commands over the workspace.
 *
 * Every action of every front end is a command line such as `ablate h1[1] zero`. A line may hold
 * several commands separated by ';', and '#' starts a comment. Handlers change the workspace and
 * report results as data (json-c objects) through a sink, never as text: the batch front end
 * renders them as text or JSON, the terminal UI shows them in its panels. The help text, tab
 * completion and the manual page are all generated from the same table. */
#ifndef IV_COMMANDS_H
#define IV_COMMANDS_H

#include <json-c/json.h>

#include "workspace.h"

/* Where results go. emit takes a reference: it must json_object_put the object when done. */
typedef struct iv_sink {
    void (*emit)(json_object *result, void *user);
    void *user;
} iv_sink;

/* A sink that discards everything (used when replaying a saved session). */
extern const iv_sink iv_sink_discard;

enum {
    IV_CMD_CHANGES = 1,  /* the command changes what is evaluated: the workspace re-runs after it */
    IV_CMD_SELF_RUN = 2, /* ...but it re-runs the workspace itself (to report the new output) */
};

typedef struct iv_command {
    const char *name;
    const char *usage;    /* arguments, e.g. "ADDR zero|mean|noise|resample [k=K] ..." */
    const char *summary;  /* one line, for the help list */
    const char *detail;   /* the rest of `help NAME`: options, defaults, an example */
    int min_args, max_args; /* words after the name; max -1 for any number */
    unsigned flags;
    int (*run)(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err);
} iv_command;

/* The table, in the order help lists it. */
const iv_command *iv_commands(int *count);
const iv_command *iv_command_find(const char *name);

/* Splits one command (no ';') into words. Blanks separate words except inside double quotes or
 * square brackets, so h1["x > y"] is one word; a word wholly in quotes loses them. Returns the
 * number of words (argv is NULL-terminated; free with iv_words_free), or -1 for an unterminated
 * quote or bracket. */
int iv_words_split(const char *text, char ***argv, iv_error *err);
void iv_words_free(char **argv);

/* Runs one command given as words; re-runs the workspace when the command changes it. A command
 * that fails (even for want of memory, half way) leaves the workspace as it was. */
int iv_command_run(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err);

/* One command of a script, with the line it starts on. */
typedef struct iv_script_command {
    char *text;  /* without the blanks around it */
    int line;
} iv_script_command;

/* Splits a script into its commands: lines, ';' between commands on a line (outside quotes and
 * brackets), '#' comments, empty commands dropped. Returns the count; free with iv_script_free. */
int iv_script_split(const char *text, iv_script_command **cmds);
void iv_script_free(iv_script_command *cmds, int n);

/* Called for a failing command in a script: where is "NAME:LINE", text the command. */
typedef void (*iv_script_error_fn)(const char *where, const char *text, const iv_error *err,
                                   void *user);

/* Runs every command of a script (lines; ';' separates commands on a line; '#' comments). On a
 * failing command it calls on_error, then stops unless keep_going. Returns the number of failed
 * commands; err holds the first failure, prefixed with "NAME:LINE: 'command': ". */
int iv_script_run(iv_workspace *ws, const char *text, const char *name, const iv_sink *sink,
                  bool keep_going, iv_script_error_fn on_error, void *user, iv_error *err);

/* Writes a script that rebuilds the session: model, seed, dataset, inputs, interventions, and as
 * its last line IV_SESSION_END with the number of commands before it, so a file cut short can be
 * told from a whole one. */
char *iv_session_script(const iv_workspace *ws);
#define IV_SESSION_END "# end of session:"
/* Whether text is a whole saved session: not empty, and ending with the line save writes, whose
 * count agrees with the commands above it. Returns 0, or -1 with a message naming the file. */
int iv_session_check(const char *text, const char *name, iv_error *err);

#endif
