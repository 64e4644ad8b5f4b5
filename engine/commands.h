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

/* What a result is, so that a front end can choose how to show it without probing its keys. The
 * type travels beside the object: it is not part of the JSON. */
typedef enum iv_result_type {
    IV_RESULT_TEXT,        /* say: {"say": TEXT}, a caption as written */
    IV_RESULT_MODEL,       /* info: the model's inputs, layers, target and dataset */
    IV_RESULT_INPUT,       /* input or source without arguments: {"input"|"source": {NAME: V}} */
    IV_RESULT_DATASET,     /* data without arguments: the reference dataset */
    IV_RESULT_SETTING,     /* seed, metric, limit: a setting's value */
    IV_RESULT_ADDED,       /* ablate, set, patch: {"added": the intervention, "output": ...} */
    IV_RESULT_LIST,        /* list: {"interventions": [...]} */
    IV_RESULT_SITE,        /* show: one site's values (iv_report_site) */
    IV_RESULT_OUTPUT,      /* show: the output's values (iv_report_output) */
    IV_RESULT_EFFECT,      /* effect: over the dataset, with a "map" (a grid) or a "histogram" */
    IV_RESULT_STATS,       /* stats: one site's mean and std */
    IV_RESULT_COMPARISON,  /* compare: a table of loss gaps */
    IV_RESULT_SWEEP,       /* sweep: {"sweep": ADDR, "points": [...]}, best read as a chart */
    IV_RESULT_REGIONS,     /* regions: a table of patterns, and maps over a grid */
    IV_RESULT_ACTIVATIONS, /* activations: a table of one row per example */
    IV_RESULT_HELP,        /* help: the command list, or one command */
    IV_RESULT_TRAINING,    /* train: what was trained, and a "record" of one row per epoch */
    IV_RESULT_CAUSAL,      /* causal, align, unalign: the high-level model and the alignments */
    IV_RESULT_IIA,         /* iia: interchange intervention accuracy, factual accuracy, failures */
    IV_RESULT_SCAN,        /* scan, attribute: one row per neuron (and per site whole) */
    IV_RESULT_DAS,         /* das: the subspaces learned, held-out IIA, a "record" per epoch */
    IV_RESULT_LABELS,      /* label, labels: the dataset's labels with their classes */
    IV_RESULT_PROBE,       /* probe: accuracies (train, held out, majority), at one site or all */
    IV_RESULT_ERASURE,     /* inlp, leace, compare-erasure: what was removed, and the accuracies
                              after; inlp with a "record" of one row per iteration */
    IV_RESULT_PCA,         /* pca: a site's top components, the explained variance and "points"
                              (x, y, class), clean and, with an eraser on, "erased_points" */
    IV_RESULT_STEER,       /* steer: the vector added and where it came from */
    IV_RESULT_PROMPT,      /* prompt: a transformer's input as text, and its tokens with their ids */
    IV_RESULT_PATCH_SCAN,  /* patch-scan: a table of blocks by positions or heads, the metric;
                              attention: a head's pattern, a table of query by key */
    IV_RESULT_DONE,        /* save, export, data: what was done, {"done": "saved session to
                              FILE (7 commands)", ...} with its figures by name */
} iv_result_type;

/* Where results go. emit takes a reference: it must json_object_put the object when done. */
typedef struct iv_sink {
    void (*emit)(iv_result_type type, json_object *result, void *user);
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
    /* Returns 0, or -1 with a message that iv_command_run prefixes with "NAME: ", or
     * IV_ERROR_AS_IS with a message that it leaves as it is. */
    int (*run)(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err);
} iv_command;

/* What a handler returns for a failure whose message is already whole: it names its own origin (a
 * model file, or "export model" rather than "export"), or it comes from evaluating the workspace,
 * whose errors the runner does not prefix after any command. Every other failure (-1) gets the
 * command's name as its prefix, once, from iv_command_run; handlers do not add it themselves. */
#define IV_ERROR_AS_IS (-2)

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
 * that fails (even for want of memory, half way) leaves the workspace as it was, and returns -1
 * with its message prefixed by the command's name ("ablate: ..."), save where its handler said
 * IV_ERROR_AS_IS; errors of the re-run are not prefixed. */
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
