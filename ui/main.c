/* main.c - intervene's entry point: options, the model, then batch scripts or the prompt. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "batch.h"
#include "blas_core.h"
#include "manpage.h"
#include "tui.h"
#include "formats/formats.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static const char usage_text[] =
    "usage: intervene [OPTIONS] [MODEL]\n"
    "Explore interventions on a neural network: ablate, patch and set neurons, and see what\n"
    "changes. MODEL is a model file (the .nn text format, .onnx or .safetensors); without one,\n"
    "the max(x, y) network of the lecture opens.\n"
    "\n"
    "  -c, --command TEXT   run commands (separated by ';') and print their results\n"
    "  -s, --script FILE    run the commands in FILE ('-' for standard input)\n"
    "      --json           print each result as one line of JSON\n"
    "  -k, --keep-going     after a failing command, run the rest of the script\n"
    "      --demo FILE      lecture mode: step through FILE (] next, [ back)\n"
    "      --prompt         a line-by-line prompt instead of the full-screen explorer\n"
    "      --man            print the manual page (also installed as intervene(1))\n"
    "  -h, --help           show this help\n"
    "  -V, --version        show the version\n"
    "\n"
    "-c and -s may be repeated and run in the order given. A failing command is reported as\n"
    "'intervene: WHERE:LINE: 'COMMAND': reason' and ends the run with status 2.\n"
    "Without -c or -s, the full-screen explorer opens (standard input that is not a terminal\n"
    "is read as a script). Press ? there for the keys, or run: intervene -c help\n"
    "\n"
    "Example: intervene -c 'input 3 5; ablate h1[1] zero; show out'\n";

typedef struct job {
    char kind; /* 'c' or 's' */
    const char *arg;
} job;

static char *read_script(const char *path, iv_error *err)
{
    if (strcmp(path, "-") != 0)
        return iv_read_file(path, 64u << 20, NULL, err);
    iv_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        iv_buf_append(&b, chunk, got);
    if (!b.data)
        iv_buf_append(&b, "", 0);
    return b.data;
}

static int run_jobs(iv_workspace *ws, const job *jobs, int n, ui_batch *b)
{
    for (int i = 0; i < n; i++) {
        iv_error err;
        char *text = jobs[i].kind == 'c' ? iv_xstrdup(jobs[i].arg) : read_script(jobs[i].arg, &err);
        if (!text) {
            fprintf(stderr, "intervene: %s\n", err.msg);
            return 2;
        }
        const char *name = jobs[i].kind == 'c' ? "-c" : strcmp(jobs[i].arg, "-") ? jobs[i].arg
                                                                                   : "stdin";
        /* A -s file is on the chain of files being run, so a 'load' inside it cannot replay it. */
        char *real = jobs[i].kind == 's' && strcmp(jobs[i].arg, "-") ? realpath(jobs[i].arg, NULL)
                                                                     : NULL;
        iv_script_frame frame = {jobs[i].arg, real, NULL};
        if (real)
            ws->running = &frame;
        int failed = ui_batch_run(ws, text, name, b);
        ws->running = NULL;
        free(real);
        free(text);
        if (b->interrupted) {
            fprintf(stderr, "intervene: interrupted\n");
            return 128 + SIGINT;
        }
        if (failed && !b->keep_going)
            return 2;
    }
    return b->failures ? 2 : 0;
}

int main(int argc, char **argv)
{
    ui_blas_core_fix(argv);
    static const struct option options[] = {
        {"command", required_argument, NULL, 'c'}, {"script", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},          {"keep-going", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {"demo", required_argument, NULL, 'D'},    {"prompt", no_argument, NULL, 'P'},
        {"man", no_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    job *jobs = iv_xcalloc((size_t)argc, sizeof(job));
    int n_jobs = 0, opt;
    const char *demo = NULL;
    bool prompt = false;
    ui_batch b = {.out = stdout, .errors = stderr, .progress = isatty(STDERR_FILENO)};
    while ((opt = getopt_long(argc, argv, "c:s:khV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            jobs[n_jobs++] = (job){(char)opt, optarg};
            break;
        case 'j':
            b.json = true;
            break;
        case 'k':
            b.keep_going = true;
            break;
        case 'D':
            demo = optarg;
            break;
        case 'P':
            prompt = true;
            break;
        case 'M':
            ui_write_manpage(stdout, PACKAGE_VERSION);
            free(jobs);
            return 0;
        case 'h':
            fputs(usage_text, stdout);
            free(jobs);
            return 0;
        case 'V':
            printf("intervene %s\n", PACKAGE_VERSION);
            free(jobs);
            return 0;
        default:
            fprintf(stderr, "intervene: see 'intervene --help'\n");
            free(jobs);
            return 2;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "intervene: one model at a time (got '%s' and '%s'); see --help\n",
                argv[optind], argv[optind + 1]);
        free(jobs);
        return 2;
    }
    iv_error err;
    const char *model_path = optind < argc ? argv[optind] : "builtin:max";
    /* Until the explorer installs its own: a SIGINT while the model opens, or in batch mode or at
     * the prompt, cancels the running command, or ends the program with status 130. */
    ui_batch_catch_interrupt();
    iv_workspace *ws = NULL;
    /* Opening a model goes through the 'model' command, so the CLI and scripts agree exactly. */
    iv_model *builtin = iv_model_builtin_max();
    ws = iv_workspace_new(builtin, &err);
    char *words[] = {"model", (char *)model_path, NULL};
    if (!ws || iv_command_run(ws, 2, words, &iv_sink_discard, &err) < 0) {
        fprintf(stderr, "intervene: %s\n", err.msg);
        iv_workspace_free(ws);
        free(jobs);
        return 2;
    }
    if (demo && (n_jobs > 0 || !isatty(STDIN_FILENO))) {
        fprintf(stderr, "intervene: --demo needs the explorer: a terminal, and no -c or -s\n");
        iv_workspace_free(ws);
        free(jobs);
        return 2;
    }
    int status;
    if (n_jobs > 0)
        status = run_jobs(ws, jobs, n_jobs, &b);
    else if (!isatty(STDIN_FILENO))
        status = run_jobs(ws, &(job){'s', "-"}, 1, &b);
    else if (prompt)
        status = ui_repl_run(ws);
    else
        status = tui_main(ws, model_path, demo);
    iv_workspace_free(ws);
    free(jobs);
    return status;
}
