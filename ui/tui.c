/* tui.c - the explorer's main loop: the terminal set up and always restored, keys and mouse
 * clicks dispatched, the screen redrawn from the state after each event, and each command line
 * run as a job on a worker thread while this one keeps reading keys and shows its progress.
 *
 * SIGTERM, SIGHUP and SIGINT only set a flag (nothing is drawn from a handler); a resize arrives
 * as KEY_RESIZE from curses itself. The terminal is restored on quit, on SIGTERM / SIGHUP, before
 * the abort message of a fatal error, and as the process dies of a crash signal (SIGSEGV, SIGBUS,
 * SIGABRT, SIGFPE). */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tui.h"

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig) { caught_signal = sig; }

/* ---- crash signals ------------------------------------------------------------------------------
 *
 * A crash must not leave the user's shell raw, without echo and on the alternate screen. endwin is
 * not async-signal-safe (it takes curses' locks and buffers and may allocate), so it cannot run
 * from a handler: everything the handler needs is prepared while curses starts, the terminal modes
 * as they were before curses changed them and the bytes that undo curses' screen modes, and the
 * handler only calls write, tcsetattr, sigaction and raise, which are safe there. Then the signal
 * goes on where it would have gone without the explorer: the process dies of it, so a core dump,
 * the exit status and a debugger see the crash as it was, or a sanitizer reports it. */

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE};
#define N_CRASH_SIGNALS (int)(sizeof crash_signals / sizeof crash_signals[0])

static struct sigaction crash_saved[N_CRASH_SIGNALS]; /* what was installed before ours */
static bool crash_installed;
static struct termios tty_saved;
static int tty_fd = -1;      /* the terminal whose modes tty_saved holds; -1 when none */
static int out_fd = -1;      /* where curses writes */
static char reset_bytes[256]; /* attributes off, mouse off, keypad off, cursor on, main screen */
static size_t reset_len;

/* Appends a terminfo string without its padding ("$<2>"): only tputs understands padding, and
 * a modern terminal needs none. Absent (NULL) and non-string ((char *)-1) capabilities add
 * nothing; a string that does not fit is left out whole rather than cut inside a sequence. */
static void add_reset(const char *cap)
{
    if (!cap || cap == (const char *)-1)
        return;
    char buf[sizeof reset_bytes];
    size_t n = 0;
    for (const char *c = cap; *c; c++) {
        if (c[0] == '$' && c[1] == '<') {
            size_t delay = strspn(c + 2, "0123456789.*/");
            if (c[2 + delay] == '>') {
                c += 2 + delay;
                continue;
            }
        }
        if (n + reset_len >= sizeof reset_bytes)
            return;
        buf[n++] = *c;
    }
    memcpy(reset_bytes + reset_len, buf, n);
    reset_len += n;
}

/* Before curses starts: the terminal's own modes, which curses' raw() and noecho() will change. */
static void save_tty_modes(void)
{
    const int fds[] = {fileno(stdout), fileno(stdin), fileno(stderr)};
    tty_fd = -1;
    for (int i = 0; i < 3 && tty_fd < 0; i++)
        if (fds[i] >= 0 && isatty(fds[i]) && tcgetattr(fds[i], &tty_saved) == 0)
            tty_fd = fds[i];
}

/* After curses starts (terminfo is loaded and the mouse set up): the bytes that undo its modes. */
static void prepare_reset_bytes(void)
{
    out_fd = fileno(stdout);
    reset_len = 0;
    add_reset(tigetstr("sgr0"));
    if (has_mouse()) {
        /* Terminfo has no standard "mouse off" string; ncurses uses XM when the entry has one,
         * and otherwise the xterm modes (1000 clicks, 1002 drags, 1006 the SGR encoding). */
        const char *xm = tigetstr("XM");
        if (xm && xm != (const char *)-1)
            add_reset(tiparm(xm, 0));
        else
            add_reset("\033[?1006l\033[?1002l\033[?1000l");
    }
    add_reset(tigetstr("rmkx"));
    add_reset(tigetstr("cnorm"));
    add_reset(tigetstr("rmcup"));
}

static void on_crash_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    /* Async-signal-safe calls only; errors are ignored, as there is nothing left to do about
     * them. */
    if (out_fd >= 0 && reset_len > 0) {
        ssize_t written = write(out_fd, reset_bytes, reset_len);
        (void)written;
    }
    if (tty_fd >= 0)
        tcsetattr(tty_fd, TCSANOW, &tty_saved);
    /* Hand the signal to what was there before: the default action (SA_RESETHAND has already
     * put it back, should this fail), or a sanitizer that reports the crash. A fault the kernel
     * raised recurs when the handler returns, now with its true address for that reporter; a
     * signal sent with kill or raise (si_code <= 0) would not, so it is sent again, and SA_NODEFER
     * lets it arrive at once. */
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        if (crash_signals[i] == sig)
            sigaction(sig, &crash_saved[i], NULL);
    if (!info || info->si_code <= 0)
        raise(sig);
}

static void install_crash_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_crash_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &sa, &crash_saved[i]);
    crash_installed = true;
}

/* Once curses has ended, the terminal is the user's again: a later crash is an ordinary one, so
 * whatever was installed before (the default, or a sanitizer's reporter) is put back. */
static void remove_crash_signals(void)
{
    if (!crash_installed)
        return;
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &crash_saved[i], NULL);
    crash_installed = false;
}

static void restore_terminal(void)
{
    if (!isendwin())
        endwin();
    remove_crash_signals();
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: getch returns so the loop sees the flag */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* A click moves the cursor to the cell and toggles its selection. */
static void mouse_click(tui *t)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || !(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
        return;
    tui_layout lay;
    tui_screen_layout(t, &lay); /* as drawn: a lecture's caption moves the panels */
    int site, neuron;
    if (lay.too_small || tui_layout_hit(t, &lay, ev.y, ev.x, &site, &neuron) < 0)
        return;
    tui_click(t, site, neuron);
}

#define KEY_CTRL_C 3
#define KEY_ESCAPE 27

/* How long getch waits for a key, as the main loop last set it, to be set again after a job. */
static int key_wait_ms;

static void set_key_wait(int ms)
{
    key_wait_ms = ms;
    timeout(ms);
}

static bool start_curses(void)
{
    /* newterm rather than initscr, which exits on its own when the terminal is unusable. */
    if (!newterm(NULL, stdout, stdin))
        return false;
    /* A terminal that cannot move its cursor (TERM=dumb, an editor's shell buffer) would show a
     * blank screen: refuse it, with a message, instead. */
    const char *cup = tigetstr("cup");
    if (!cup || cup == (const char *)-1) {
        endwin();
        return false;
    }
    raw(); /* Ctrl-C arrives as a key: it cancels the command line or a job, or asks to quit */
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25); /* a lone Escape cancels at once */
    set_key_wait(200); /* wake now and then to notice signals */
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    mouseinterval(0);
    return true;
}

/* ---- a command line as a job on a worker thread -------------------------------------------------
 *
 * The worker runs the line (tui_run_job) and changes the workspace and the explorer's state as it
 * goes; meanwhile this thread reads neither. It only reads keys, for Esc / Ctrl-C, which cancel
 * the job, and draws the progress bar on the message line from the job's atomic fraction. The
 * panels stay as they were drawn before the line, and are drawn again from the state once the
 * worker has finished (pthread_join orders its writes before the reads that follow). A line that
 * ends within SHOW_AFTER shows no bar and reads no keys, so quick commands look as they always
 * did, and keys typed meanwhile wait their turn as before. */

#define SHOW_AFTER 0.15   /* seconds before the bar appears */
#define POLL_MS 50        /* how often the bar moves and keys are read */
#define BUSY_SHOWN 1.5    /* seconds "busy: Esc cancels" stays after a key that was not taken */

typedef struct worker {
    tui *t;
    const char *text;
    iv_job job;
    int rc;
    bool done;
    pthread_mutex_t lock;
    pthread_cond_t finished;
} worker;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    worker *w = arg;
    int rc = tui_run_job(w->t, w->text, &w->job);
    pthread_mutex_lock(&w->lock);
    w->rc = rc;
    w->done = true;
    pthread_cond_signal(&w->finished);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Waits up to ms for the worker; returns whether it has finished. */
static bool wait_worker(worker *w, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        if (pthread_cond_timedwait(&w->finished, &w->lock, &until) == ETIMEDOUT)
            break;
    bool done = w->done;
    pthread_mutex_unlock(&w->lock);
    return done;
}

/* The keys that come while the job runs: Esc and Ctrl-C cancel it, a resize clears the screen for
 * the bar alone (the panels come back when the job ends); the rest are not taken, and the bar says
 * so. */
static void job_keys(worker *w, tui_progress *p, double *busy_since, int *rows, int *cols)
{
    int key;
    while ((key = getch()) != ERR) {
        if (key == KEY_ESCAPE || key == KEY_CTRL_C) {
            iv_job_cancel(&w->job);
        } else if (key == KEY_RESIZE) {
            getmaxyx(stdscr, *rows, *cols);
            erase();
        } else {
            if (key == KEY_MOUSE) {
                MEVENT ev;
                getmouse(&ev); /* taken from the queue, and dropped */
            }
            *busy_since = p->elapsed;
        }
    }
}

/* This thread's part while the worker runs. */
static void follow_job(tui *t, worker *w)
{
    double start = seconds_now(), busy_since = -BUSY_SHOWN;
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    tui_progress p = {.what = w->text};
    bool shown = false;
    while (!wait_worker(w, POLL_MS)) {
        p.elapsed = seconds_now() - start;
        if (p.elapsed < SHOW_AFTER)
            continue;
        timeout(0);
        job_keys(w, &p, &busy_since, &rows, &cols);
        if (caught_signal) /* SIGTERM / SIGHUP: stop the work, then leave */
            iv_job_cancel(&w->job);
        p.fraction = iv_job_fraction(&w->job);
        p.cancelling = iv_job_cancelled(&w->job);
        p.busy = p.elapsed - busy_since < BUSY_SHOWN;
        tui_draw_progress(&p, t->colour, rows, cols);
        shown = true;
    }
    if (shown)
        timeout(key_wait_ms);
}

/* tui_run's way of running a line in the event loop (t->background). */
static int run_in_background(tui *t, const char *text)
{
    worker w = {.t = t, .text = text};
    iv_job_init(&w.job);
    pthread_mutex_init(&w.lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.finished, &attr);
    pthread_condattr_destroy(&attr);
    /* The worker blocks the signals this loop must notice, so that they wake its getch: the
     * quitting ones, and curses' resize. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    t->in_job = true;
    pthread_t thread;
    int failed = pthread_create(&thread, NULL, work, &w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (failed) {
        w.rc = tui_run_job(t, text, &w.job); /* no thread to be had: as the tests run it */
    } else {
        follow_job(t, &w);
        pthread_join(thread, NULL);
    }
    t->in_job = false;
    pthread_cond_destroy(&w.finished);
    pthread_mutex_destroy(&w.lock);
    getmaxyx(stdscr, t->rows, t->cols); /* the screen may have been resized meanwhile */
    return w.rc;
}

/* ---- the event loop -------------------------------------------------------------------------- */

/* One key (or mouse event, or resize). */
static void handle_key(tui *t, int key)
{
    getmaxyx(stdscr, t->rows, t->cols);
    if (key == KEY_RESIZE)
        return;
    if (key == KEY_MOUSE)
        mouse_click(t);
    else if (t->cmdline_open)
        tui_cmdline_key(t, key);
    else if (key == KEY_CTRL_C) /* as 'quit': asks first when there is work to lose */
        tui_run(t, "quit");
    else if (key == 12) /* Ctrl-L: throw away what the terminal shows and draw it all */
        clearok(curscr, TRUE);
    else
        tui_key_press(t, key);
}

static void event_loop(tui *t)
{
    bool dirty = true;
    tui_lens_later(t->lens, true);
    while (!t->quit && !caught_signal) {
        getmaxyx(stdscr, t->rows, t->cols);
        if (dirty)
            tui_draw(t);
        /* The logit lens drawn stale comes up to date once no key is waiting: a key on GPT-2
         * small redraws at once, and the lens follows about 100 ms later. */
        if (tui_lens_pending(t->lens)) {
            set_key_wait(0);
            int waiting = getch();
            set_key_wait(200);
            if (waiting == ERR) {
                tui_lens_update(t->lens, t->ws);
                dirty = true;
                continue;
            }
            ungetch(waiting);
        }
        int key = getch();
        dirty = key != ERR;
        if (key == ERR)
            continue;
        handle_key(t, key);
        /* Keys that came faster than a screen can be drawn (a paste, a held key) are all handled
         * before the next draw: a 10,000-character paste costs one redraw, not 10,000. */
        set_key_wait(0);
        while (!t->quit && !caught_signal && (key = getch()) != ERR)
            handle_key(t, key);
        set_key_wait(200);
    }
}

int tui_main(iv_workspace *ws, const char *model_arg, const char *demo_path)
{
    tui t;
    tui_init(&t, ws);
    t.model_arg = iv_xstrdup(model_arg);
    if (demo_path) {
        iv_error err;
        t.demo = tui_demo_load(demo_path, &err);
        if (!t.demo) {
            fprintf(stderr, "intervene: %s\n", err.msg);
            tui_free(&t);
            return 2;
        }
    }
    setlocale(LC_ALL, "");
    save_tty_modes();
    if (!start_curses()) {
        fprintf(stderr, "intervene: cannot use this terminal (TERM=%s: it cannot move the cursor); "
                "set TERM (e.g. TERM=xterm-256color), or use --prompt, or -c / -s for batch mode\n",
                getenv("TERM") ? getenv("TERM") : "");
        tui_free(&t);
        return 2;
    }
    prepare_reset_bytes();
    install_crash_signals();
    iv_set_fatal_hook(restore_terminal);
    install_signals();
    t.colour = tui_colour_init();
    tui_cmdline_init(&t);
    getmaxyx(stdscr, t.rows, t.cols);
    t.background = run_in_background;
    tui_run(&t, ""); /* computes the effect map */
    if (t.demo)
        tui_demo_step(&t, 1);
    else
        snprintf(t.message, sizeof t.message, "%s",
                 tui_grid_mode(&t) ? "arrows move over positions and values, J K over sites, a "
                                     "selects a head, z zero-ablates, ? help"
                                   : "arrows move, Space selects, z zero-ablates, ? help");
    event_loop(&t);
    tui_cmdline_end();
    restore_terminal();
    iv_set_fatal_hook(NULL);
    int status = caught_signal ? 128 + caught_signal : 0;
    tui_free(&t);
    return status;
}
