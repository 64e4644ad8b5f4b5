/* history.c - the location of the command history file, shared by the prompt (repl.c) and the
 * full-screen command line (cmdline.c), following the XDG base directory convention. */
#include <stdlib.h>
#include <sys/stat.h>

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

char *iv_history_path(void)
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
