/* demo.c - lecture mode's file: a script of steps, each with a caption. Reading it checks that every
 * command is one the explorer knows and that every file it reads is there, so a typo is found at
 * start, by FILE:LINE; the files it reads are named from its own directory. (The `demo` command,
 * in tui_commands.c, walks the steps.) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* What reading a lecture keeps for naming its files: its directory, and the files its earlier
 * lines write. */
typedef struct lecture_files {
    char *dir;
    char **written;
    int n_written;
} lecture_files;

/* ---- the files a lecture reads: named from its own directory ------------------------------------ */

/* A lecture names the files it reads (model FILE, data load FILE, causal FILE, load FILE) relative
 * to its own directory, as a #include would, so that it runs from any working directory and from
 * an installed copy. The words are rewritten when the lecture is read, rather than each step run
 * from the lecture's directory: the working directory stays the user's, so the model given on the
 * command line, files the user types at ':', and files a lecture writes (save, export) are where
 * the user expects them, and no chdir races a step running in the background. */

/* path without "." components, empty ones and "NAME/.." pairs: the name as one would write it. */
static char *lexically_clean(const char *path)
{
    bool absolute = path[0] == '/';
    char *copy = iv_xstrdup(path);
    char **parts = iv_xcalloc(strlen(path) / 2 + 2, sizeof *parts);
    int n = 0;
    for (char *save = NULL, *part = strtok_r(copy, "/", &save); part;
         part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0)
            n--;
        else if (!(strcmp(part, "..") == 0 && absolute)) /* "/.." is "/" */
            parts[n++] = part;
    }
    iv_buf b = {0};
    iv_buf_append(&b, absolute ? "/" : "", absolute ? 1 : 0);
    for (int i = 0; i < n; i++)
        iv_buf_printf(&b, "%s%s", i ? "/" : "", parts[i]);
    free(parts);
    free(copy);
    if (!b.len)
        iv_buf_append(&b, ".", 1);
    return b.data;
}

/* dir/name, shortened to its lexically clean form when that is the same file: through a symbolic
 * link ".." leads to the target's parent, not the lexical one, so stat decides. */
static char *join_path(const char *dir, const char *name)
{
    char *joined = iv_xasprintf("%s/%s", dir, name);
    char *clean = lexically_clean(joined);
    struct stat a, b;
    if (stat(joined, &a) == 0 && stat(clean, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        free(joined);
        return clean;
    }
    free(clean);
    return joined;
}

/* The number of leading keywords of a command that reads a file, the file being the word after
 * them and the last; 0 for any other command. */
static int words_before_file(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "model") == 0 && strncmp(argv[1], "builtin:", 8) != 0)
        return 1;
    if (argc == 3 && strcmp(argv[0], "data") == 0 && strcmp(argv[1], "load") == 0)
        return 2;
    /* causal TEXT with '=' is the model itself (cmd_causal.c), none drops it */
    if (argc == 2 && strcmp(argv[0], "causal") == 0 && strcmp(argv[1], "none") != 0 &&
        !strchr(argv[1], '='))
        return 1;
    if (argc == 2 && strcmp(argv[0], "load") == 0)
        return 1;
    return 0;
}

/* The file a command writes (save FILE, export ... FILE), or NULL. */
static const char *written_file(int argc, char **argv)
{
    if ((argc == 2 && strcmp(argv[0], "save") == 0) || (argc >= 3 && strcmp(argv[0], "export") == 0))
        return argv[argc - 1];
    return NULL;
}

/* Whether an earlier line of the lecture writes `name`: it is read back where it was written. */
static bool lecture_writes(const lecture_files *files, const char *name)
{
    for (int i = 0; i < files->n_written; i++)
        if (strcmp(files->written[i], name) == 0)
            return true;
    return false;
}

/* A file name as one word of a command: quoted when a blank, ';', '#' or a bracket would split it. */
static void append_word(iv_buf *b, const char *word)
{
    bool plain = word[0] && !word[strcspn(word, " \t;#[]")];
    iv_buf_printf(b, plain ? "%s" : "\"%s\"", word);
}

/* Appends one command of a lecture's line to out, with the file it reads (if any) named from the
 * lecture's directory. Returns 1 when it rewrote the command, 0 when it kept it as it is, -1 with
 * err (at `where`, the lecture's FILE:LINE) when the file cannot be read. */
static int resolve_command(const char *text, lecture_files *files, const char *where, iv_buf *out,
                           iv_error *err)
{
    char **argv;
    iv_error unused;
    int argc = iv_words_split(text, &argv, &unused);
    if (argc < 0) { /* an unterminated quote: the step reports it when it runs */
        iv_buf_printf(out, "%s", text);
        return 0;
    }
    int keys = words_before_file(argc, argv);
    const char *name = keys ? argv[keys] : NULL;
    int rc = 0;
    if (name && name[0] && !lecture_writes(files, name)) {
        bool relative = name[0] != '/';
        char *file = relative ? join_path(files->dir, name) : iv_xstrdup(name);
        if (access(file, R_OK) != 0) {
            rc = iv_error_set(err, "%s: '%s': cannot read %s%s: %s", where, text, file,
                              relative ? " (a lecture's files are named from its directory)" : "",
                              strerror(errno));
        } else if (strchr(file, '"')) {
            rc = iv_error_set(err, "%s: '%s': %s cannot be named in a command (it holds a '\"')",
                              where, text, file);
        } else if (relative) {
            for (int i = 0; i < keys; i++)
                iv_buf_printf(out, "%s ", argv[i]);
            append_word(out, file);
            rc = 1;
        }
        free(file);
    }
    if (rc == 0)
        iv_buf_printf(out, "%s", text);
    const char *writes = written_file(argc, argv);
    if (writes) {
        files->written = iv_xrealloc(files->written, sizeof(char *) * (size_t)(files->n_written + 1));
        files->written[files->n_written++] = iv_xstrdup(writes);
    }
    iv_words_free(argv);
    return rc;
}

/* A lecture's command line with the files its commands read named from the lecture's directory:
 * the line itself when none does, so that what the explorer echoes is the lecture's text. Returns
 * NULL with err at FILE:LINE when such a file cannot be read. */
static char *resolve_line(const char *line, lecture_files *files, const char *path, int line_no,
                          iv_error *err)
{
    char where[300];
    snprintf(where, sizeof where, "%s:%d", path, line_no);
    iv_script_command *cmds;
    int n = iv_script_split(line, &cmds), rc = 0;
    bool rewritten = false;
    iv_buf out = {0};
    for (int i = 0; i < n && rc >= 0; i++) {
        if (i)
            iv_buf_printf(&out, "; ");
        rc = resolve_command(cmds[i].text, files, where, &out, err);
        rewritten = rewritten || rc > 0;
    }
    iv_script_free(cmds, n);
    if (rc < 0 || !rewritten) {
        iv_buf_free(&out);
        return rc < 0 ? NULL : iv_xstrdup(line);
    }
    return out.data;
}

static void lecture_files_free(lecture_files *files)
{
    for (int i = 0; i < files->n_written; i++)
        free(files->written[i]);
    free(files->written);
    free(files->dir);
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

/* Gives up reading a lecture: frees what was read so far. */
static tui_demo *give_up(tui_demo *d, iv_buf *caption, iv_buf *commands, lecture_files *files,
                         char *text)
{
    iv_buf_free(caption);
    iv_buf_free(commands);
    lecture_files_free(files);
    tui_demo_free(d);
    free(text);
    return NULL;
}

tui_demo *tui_demo_load(const char *path, iv_error *err)
{
    char *text = iv_read_file(path, 1 << 20, NULL, err);
    if (!text)
        return NULL;
    tui_demo *d = iv_xcalloc(1, sizeof *d);
    d->path = iv_xstrdup(path);
    d->current = -1;
    lecture_files files = {.dir = iv_path_dir(path)};
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
            return give_up(d, &caption, &commands, &files, text);
        }
        char *resolved = resolve_line(line, &files, path, line_no, err);
        if (!resolved)
            return give_up(d, &caption, &commands, &files, text);
        iv_buf_printf(&commands, "%s\n", resolved);
        free(resolved);
    }
    add_step(d, &caption, &commands);
    lecture_files_free(&files);
    free(text);
    if (d->n_steps == 0) {
        iv_error_set(err, "%s: no steps (steps are separated by blank lines)", path);
        tui_demo_free(d);
        return NULL;
    }
    return d;
}
