/* demo.c - lecture mode: a script of steps, each with a caption, walked with one key forward and
 * one back. Going back replays from the start, so every number is the same as the first time. */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#include "files.h"

void tui_demo_free(tui_demo *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_steps; i++) {
        free(d->caption[i]);
        free(d->commands[i]);
    }
    free(d->caption);
    free(d->commands);
    free(d->path);
    free(d);
}

/* Whether the first word of a command line names a command of the engine or of the UI. */
static bool known_command(const char *line)
{
    char word[64];
    size_t n = strcspn(line, " \t;");
    if (n >= sizeof word)
        return false;
    memcpy(word, line, n);
    word[n] = '\0';
    if (iv_command_find(word))
        return true;
    int count;
    const tui_command *ui = tui_commands(&count);
    for (int i = 0; i < count; i++)
        if (strcmp(ui[i].name, word) == 0)
            return true;
    return false;
}

/* Ends a step: an empty one (blank lines, or a `say` with nothing to say) is dropped. */
static void add_step(tui_demo *d, iv_buf *caption, iv_buf *commands)
{
    if (!caption->len && !commands->len) {
        iv_buf_free(caption); /* an empty `say` still made the buffer */
        iv_buf_free(commands);
        return;
    }
    d->caption = iv_xrealloc(d->caption, sizeof(char *) * (size_t)(d->n_steps + 1));
    d->commands = iv_xrealloc(d->commands, sizeof(char *) * (size_t)(d->n_steps + 1));
    d->caption[d->n_steps] = iv_xstrdup(caption->data ? caption->data : "");
    d->commands[d->n_steps] = iv_xstrdup(commands->data ? commands->data : "");
    d->n_steps++;
    iv_buf_free(caption);
    iv_buf_free(commands);
}

tui_demo *tui_demo_load(const char *path, iv_error *err)
{
    char *text = iv_read_file(path, 1 << 20, NULL, err);
    if (!text)
        return NULL;
    tui_demo *d = iv_xcalloc(1, sizeof *d);
    d->path = iv_xstrdup(path);
    d->current = -1;
    iv_buf caption = {0}, commands = {0};
    int line_no = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '\r') {
            add_step(d, &caption, &commands); /* a blank line ends a step */
            continue;
        }
        if (*line == '#')
            continue;
        if (strncmp(line, "say", 3) == 0 && (line[3] == ' ' || !line[3])) {
            const char *s = line[3] ? line + 4 : "";
            iv_buf_printf(&caption, "%s%s", caption.len ? "\n" : "", s);
            continue;
        }
        if (!known_command(line)) {
            iv_error_set(err, "%s:%d: unknown command in '%s'", path, line_no, line);
            iv_buf_free(&caption);
            iv_buf_free(&commands);
            tui_demo_free(d);
            free(text);
            return NULL;
        }
        iv_buf_printf(&commands, "%s\n", line);
    }
    add_step(d, &caption, &commands);
    free(text);
    if (d->n_steps == 0) {
        iv_error_set(err, "%s: no steps (steps are separated by blank lines)", path);
        tui_demo_free(d);
        return NULL;
    }
    return d;
}

int tui_demo_step(tui *t, int delta)
{
    tui_demo *d = t->demo;
    int target = d->current + delta;
    if (target < 0 || target >= d->n_steps) {
        snprintf(t->message, sizeof t->message, "%s", target < 0 ? "this is the first step"
                                                                  : "that was the last step");
        t->message_is_error = false;
        return 0;
    }
    if (delta < 0) {
        /* Start over from the model and replay every earlier step. */
        char *reset = iv_xasprintf("model \"%s\"; clear", t->model_arg);
        tui_run(t, reset);
        free(reset);
        for (int i = 0; i < target; i++)
            tui_run(t, d->commands[i]);
        tui_popup_free(&t->popup); /* an earlier step's results are not this step's */
    }
    d->current = target;
    int rc = tui_run(t, d->commands[target]);
    /* The echo line shows the step's commands on one line. */
    size_t len = strlen(t->echo);
    while (len && t->echo[len - 1] == '\n')
        t->echo[--len] = '\0';
    for (char *p = t->echo; *p; p++)
        if (*p == '\n')
            *p = ';'; /* shown as one line */
    return rc;
}
