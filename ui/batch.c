/* batch.c - scripts from -c and -s: results to stdout as text or JSON lines, errors to stderr; each
 * command runs as a job, whose progress shows on stderr when that is a terminal and which SIGINT
 * cancels. */
#include "batch.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "render.h"

/* ---- SIGINT ------------------------------------------------------------------------------------
 *
 * During a command the handler only cancels its job: the command stops at its next progress call,
 * the runner undoes what it had changed, and the caller sees b->interrupted. Between commands
 * there is nothing to undo, so the handler ends the program itself, with what is safe there; so
 * does a second SIGINT, for work that makes no progress calls and would not stop. */

static _Atomic(iv_job *) interruptible; /* the running command's job; NULL between commands */
static volatile sig_atomic_t interrupted;
static bool errors_on_terminal;         /* whether the message starts on a line of its own */

static void on_interrupt(int sig)
{
    iv_job *job = atomic_load(&interruptible);
    if (job && !interrupted) {
        interrupted = 1;
        iv_job_cancel(job);
        return;
    }
    interrupted = 1;
    static const char tty_msg[] = "\nintervene: interrupted\n";
    const char *msg = errors_on_terminal ? tty_msg : tty_msg + 1;
    ssize_t written = write(STDERR_FILENO, msg, strlen(msg));
    (void)written;
    _exit(128 + sig);
}

void ui_batch_catch_interrupt(void)
{
    errors_on_terminal = isatty(STDERR_FILENO);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART; /* output and input carry on; the job notices the cancel */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void ui_batch_clear_interrupt(ui_batch *b)
{
    interrupted = 0;
    b->interrupted = false;
}

/* ---- the progress line on stderr ------------------------------------------------------------- */

#define PROGRESS_AFTER 0.15   /* seconds before a command shows a line: quick ones never do */
#define PROGRESS_EVERY 0.1    /* seconds between two updates */
#define PROGRESS_BAR 10       /* characters of the bar */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int terminal_width(void)
{
    struct winsize w;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
        return w.ws_col;
    return 80;
}

/* Blanks the line, so that what is printed next starts on a clean one. */
static void erase_progress(ui_batch *b)
{
    if (!b->progress_width)
        return;
    fprintf(stderr, "\r%*s\r", b->progress_width, "");
    fflush(stderr);
    b->progress_width = 0;
}

/* "[####......]  40% compare h1", never wider than the terminal: a line that wrapped would not
 * go back to its start with \r. */
static void show_progress(const iv_job *job, void *user)
{
    ui_batch *b = user;
    double now = seconds_now();
    if (now - b->started < PROGRESS_AFTER || now - b->shown_at < PROGRESS_EVERY)
        return;
    b->shown_at = now;
    double f = iv_job_fraction(job);
    int percent = (int)(f * 100), full = (int)(f * PROGRESS_BAR + 0.5);
    char bar[PROGRESS_BAR + 1];
    for (int i = 0; i < PROGRESS_BAR; i++)
        bar[i] = i < full ? '#' : '.';
    bar[PROGRESS_BAR] = '\0';
    int width = terminal_width() - 1;
    char line[512];
    int len = snprintf(line, sizeof line, "[%s] %3d%% %s", bar, percent, b->command);
    if (len >= (int)sizeof line)
        len = (int)sizeof line - 1;
    if (len > width && width > 3) {
        len = width;
        memcpy(line + width - 3, "...", 4);
    }
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    fprintf(stderr, "\r%s%*s", line, b->progress_width > len ? b->progress_width - len : 0, "");
    fflush(stderr);
    if (len > b->progress_width)
        b->progress_width = len;
}

/* ---- results and errors ---------------------------------------------------------------------- */

/* Writes rendered lines to the output, and frees them. */
static void put(ui_batch *b, iv_buf *text)
{
    erase_progress(b);
    if (text->data)
        fputs(text->data, b->out);
    fflush(b->out); /* keep results and error lines in order when both go to a terminal */
    iv_buf_free(text);
}

static void emit(iv_result_type type, json_object *result, void *user)
{
    ui_batch *b = user;
    iv_buf text = {0};
    if (b->json)
        ui_render_json(result, &text);
    else
        ui_render_text(type, result, &text);
    put(b, &text);
    json_object_put(result);
}

static void report_error(const char *where, const char *command, const iv_error *err, ui_batch *b)
{
    erase_progress(b);
    fprintf(b->errors, "intervene: %s: '%s': %s\n", where, command, err->msg);
    fflush(b->errors);
    if (b->json) {
        /* Machine readers see the failure in the same stream as the results. */
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "error", json_object_new_string(err->msg));
        json_object_object_add(obj, "where", json_object_new_string(where));
        json_object_object_add(obj, "command", json_object_new_string(command));
        iv_buf text = {0};
        ui_render_json(obj, &text);
        put(b, &text);
        json_object_put(obj);
    }
}

/* ---- running --------------------------------------------------------------------------------- */

/* As iv_script_run, with each command a job: its own progress line, and SIGINT stops it. */
int ui_batch_run(iv_workspace *ws, const char *text, const char *name, ui_batch *b)
{
    iv_sink sink = {emit, b};
    iv_job job;
    iv_job_init(&job);
    job.on_progress = b->progress ? show_progress : NULL;
    job.user = b;
    ws->job = &job;
    atomic_store(&interruptible, &job);
    if (interrupted) /* before the handler could see the job */
        iv_job_cancel(&job);
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds), failed = 0, ran = 0;
    for (int i = 0; i < n && !interrupted; i++, ran++) {
        /* The job goes on from command to command, its cancel flag kept; only its progress
         * starts again. */
        atomic_store(&job.permille, 0);
        job.start = 0;
        job.span = 1;
        b->command = cmds[i].text;
        b->started = seconds_now();
        b->shown_at = 0;
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        int rc = argc < 0 ? -1 : iv_command_run(ws, argc, argv, &sink, &err);
        if (argc >= 0)
            iv_words_free(argv);
        erase_progress(b);
        if (rc == 0)
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%d", name, cmds[i].line);
        report_error(where, cmds[i].text, &err, b);
        failed++;
        if (!b->keep_going) {
            ran++;
            break;
        }
    }
    atomic_store(&interruptible, NULL);
    ws->job = NULL;
    b->command = NULL;
    if (interrupted) {
        b->interrupted = true;
        b->skipped = n - ran;
    }
    iv_script_free(cmds, n);
    b->failures += failed;
    return failed;
}
