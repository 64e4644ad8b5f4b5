/* history.c - the command history file, shared by the prompt (repl.c) and the full-screen command
 * line (cmdline.c): its location, following the XDG base directory convention, and how lines are
 * added to it without ever losing the lines already there. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "history.h"
#include "util.h"

/* Creates a directory and its parents. Failures are ignored: they only mean that no history is
 * kept, which the caller finds out when reading or writing the file. */
static void make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    mkdir(dir, 0700);
}

char *ui_history_path(void)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char *dir = state && *state ? iv_xasprintf("%s/intervene", state)
              : home && *home   ? iv_xasprintf("%s/.local/state/intervene", home)
                                : NULL;
    if (!dir)
        return NULL;
    make_dirs(dir);
    char *path = iv_xasprintf("%s/history", dir);
    free(dir);
    return path;
}

/* Keeps the last `keep` lines of text, rewriting the file whole (see iv_write_file_atomic). */
static void trim(const char *path, const char *text, size_t len, int keep)
{
    const char *start = text + len;
    for (int lines = 0; start > text; start--)
        if (start[-1] == '\n' && start != text + len && ++lines == keep)
            break;
    iv_error err;
    iv_write_file_atomic(path, start, len - (size_t)(start - text), &err);
}

void ui_history_append(const char *path, const char *line, int keep)
{
    if (!path || strchr(line, '\n'))
        return;
    /* One write(2) to a file opened for appending: a kill leaves the line whole or absent, and the
     * lines of two explorers running at once do not mix. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return;
    char *text = iv_xasprintf("%s\n", line);
    ssize_t wrote = write(fd, text, strlen(text));
    close(fd);
    free(text);
    if (wrote < 0)
        return;
    /* Trimmed only once it is half as long again as kept. The file is read (to count its lines)
     * the first time and then only when the lines appended since may have taken it past that, so
     * most lines cost one append. Another explorer's lines make the count low: it trims later. */
    static long lines_known = -1;
    static char *known_path; /* the file lines_known counts */
    if (!known_path || strcmp(known_path, path) != 0) {
        free(known_path);
        known_path = iv_xstrdup(path);
        lines_known = -1;
    }
    if (lines_known >= 0 && ++lines_known <= keep + keep / 2)
        return;
    size_t len;
    iv_error err;
    char *all = iv_read_file(path, 64u << 20, &len, &err);
    if (!all)
        return;
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += all[i] == '\n';
    lines_known = lines;
    if (lines > keep + keep / 2) {
        trim(path, all, len, keep);
        lines_known = keep;
    }
    free(all);
}
