/* fuzz_util.c - the private directory, the command filter and the model checks of fuzz_util.h. */
#include "fuzz_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "formats/text.h"
#include "workspace.h"

static char dir[4096];

/* Removes the directory and what the targets left in it; the directory holds no subdirectories. */
static void dir_remove(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[sizeof dir + 256];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static const char *dir_get(void)
{
    if (dir[0])
        return dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/intervene-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror(dir);
        abort();
    }
    atexit(dir_remove);
    return dir;
}

char *iv_fuzz_text_dup(const uint8_t *data, size_t size)
{
    char *s = iv_xmalloc(size + 1);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A few names are enough: each target uses one or two. */
#define MAX_NAMES 4
static struct {
    char name[64];
    char path[sizeof dir + 64];
} paths[MAX_NAMES];

const char *iv_fuzz_file_path(const char *name)
{
    const char *d = dir_get();
    int i;
    for (i = 0; i < MAX_NAMES && paths[i].name[0]; i++)
        if (strcmp(paths[i].name, name) == 0)
            return paths[i].path;
    if (i == MAX_NAMES || strlen(name) >= sizeof paths[i].name)
        abort(); /* a target asked for more names than this module keeps */
    snprintf(paths[i].name, sizeof paths[i].name, "%s", name);
    snprintf(paths[i].path, sizeof paths[i].path, "%s/%s", d, name);
    return paths[i].path;
}

const char *iv_fuzz_file_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = iv_fuzz_file_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

bool iv_fuzz_command_check(int argc, char **argv)
{
    if (argc < 1)
        return true;
    static const char *const skipped[] = {"save", "export", "load", "compare"};
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strcmp(argv[0], skipped[i]) == 0)
            return false;
    for (int i = 2; i < argc && strcmp(argv[0], "ablate") == 0; i++)
        if (strcmp(argv[i], "optimal") == 0)
            return false;
    size_t bytes;
    if (strcmp(argv[0], "limit") == 0 && argc == 3 && iv_parse_size(argv[2], &bytes) == 0 &&
        bytes > IV_FUZZ_MEMORY_LIMIT)
        return false;
    /* builtin:max is the one model a command may open; any real file (or device, or directory)
     * would make the run depend on the machine, and a path that exists nowhere still reaches the
     * readers' error paths. */
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (argv[i][0] && stat(argv[i], &st) == 0)
            return false;
    }
    return true;
}

bool iv_fuzz_script_check(const char *text, int max_commands)
{
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds);
    bool ok = n <= max_commands;
    for (int i = 0; i < n && ok; i++) {
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        if (argc < 0)
            continue;
        ok = iv_fuzz_command_check(argc, argv);
        iv_words_free(argv);
    }
    iv_script_free(cmds, n);
    return ok;
}

/* The model in the text format, as a string to free; NULL when the writer refuses the model. */
static char *model_text(const iv_model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        abort();
    int rc = iv_model_write(m, f);
    if (fclose(f) != 0)
        abort();
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void iv_fuzz_model_check(iv_model *m, bool from_text)
{
    char *text = model_text(m);
    if (!text) {
        /* The writer refuses what it could not write so that it reads back (a label holding a
         * newline, say), which only an importer can produce. */
        if (from_text) {
            fprintf(stderr, "fuzz: the writer refuses a model the text parser accepted\n");
            abort();
        }
        return;
    }
    iv_error err;
    iv_model *back = iv_model_parse(text, "written.nn", &err);
    if (!back) {
        fprintf(stderr, "fuzz: an accepted model, written in the text format, does not parse "
                        "back: %s\n--- the text:\n%s", err.msg, text);
        abort();
    }
    char *again = model_text(back);
    if (!again || strcmp(text, again) != 0) {
        fprintf(stderr, "fuzz: writing a model read back from its text gives other text\n"
                        "--- first:\n%s--- second:\n%s", text, again ? again : "(refused)\n");
        abort();
    }
    free(again);
    free(text);
    /* The target and the default dataset may still be refused (a dataset over the memory limit,
     * say): that is an error message, not a finding. The analyses are the command target's. */
    iv_workspace *ws = iv_workspace_new(back, &err);
    if (ws)
        iv_script_run(ws, "show", "check", &iv_fuzz_sink, false, NULL, NULL, &err);
    iv_workspace_free(ws);
}

/* Rendering each result as JSON walks every value a handler put in it. */
static void emit_json(iv_result_type type, json_object *result, void *user)
{
    (void)type;
    (void)user;
    (void)json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN);
    json_object_put(result);
}

const iv_sink iv_fuzz_sink = {emit_json, NULL};
