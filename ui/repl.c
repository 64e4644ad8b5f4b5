/* repl.c - an interactive prompt over the command language, with GNU readline: history kept in
 * $XDG_STATE_HOME/intervene/history, tab completion of command names and sites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "batch.h"
#include "history.h"

/* Readline's completion callbacks take no user pointer; this is the workspace they complete
 * against, set only while the prompt runs. */
static const iv_workspace *completing;

static char *complete_word(const char *text, int state)
{
    static int index;
    static int phase;
    if (state == 0) {
        index = 0;
        phase = 0;
    }
    size_t len = strlen(text);
    int count;
    const iv_command *table = iv_commands(&count);
    while (phase == 0 && index < count) {
        const char *name = table[index++].name;
        if (strncmp(name, text, len) == 0)
            return iv_xstrdup(name);
    }
    if (phase == 0) {
        phase = 1;
        index = 0;
    }
    while (completing && index < iv_model_site_count(completing->model)) {
        char name[128];
        iv_model_site_name(completing->model, index++, name, sizeof name);
        if (strncmp(name, text, len) == 0)
            return iv_xstrdup(name);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    return rl_completion_matches(text, complete_word);
}

int ui_repl_run(iv_workspace *ws)
{
    char *hist = ui_history_path();
    if (hist)
        read_history(hist);
    completing = ws;
    rl_readline_name = "intervene";
    rl_attempted_completion_function = complete;
    printf("intervene: type 'help' for the commands, 'quit' or Ctrl-D to leave.\n");
    ui_batch b = {.json = false, .keep_going = true, .out = stdout, .errors = stdout,
                  .progress = isatty(STDERR_FILENO)};
    char *line;
    while ((line = readline("intervene> ")) != NULL) {
        char *t = line;
        while (*t == ' ')
            t++;
        if (*t) {
            add_history(line);
            ui_history_append(hist, line, 1000);
        }
        if (strcmp(t, "quit") == 0 || strcmp(t, "exit") == 0) {
            free(line);
            break;
        }
        /* Ctrl-C during a line cancels its command and comes back here; at the prompt itself it
         * ends the program (ui_batch_catch_interrupt). */
        ui_batch_run(ws, line, "input", &b);
        if (b.interrupted && b.skipped > 0)
            printf("interrupted: %d more command%s of the line not run\n", b.skipped,
                   b.skipped == 1 ? "" : "s");
        ui_batch_clear_interrupt(&b);
        free(line);
    }
    completing = NULL;
    free(hist);
    return 0;
}
