/* demo.c - lecture mode's file: a script of steps, each with a caption. Reading it checks that every
 * command is one the explorer knows, so a typo is found at start, by FILE:LINE. (The `demo`
 * command, in tui_commands.c, walks the steps.) */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#include "files.h"

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
