/* tui.c - the explorer's main loop: the terminal set up and always restored, keys and mouse
 * clicks dispatched, the screen redrawn from the state after each event.
 *
 * SIGTERM, SIGHUP and SIGINT only set a flag (nothing is drawn from a handler); a resize arrives
 * as KEY_RESIZE from curses itself. The terminal is restored on quit, on Ctrl-C, on SIGTERM /
 * SIGHUP, before the abort message of a fatal error, and as the process dies of a crash signal
 * (SIGSEGV, SIGBUS, SIGABRT, SIGFPE). */
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
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
    tui_layout_compute(t, &lay);
    int site, neuron;
    if (lay.too_small || tui_layout_hit(t, &lay, ev.y, ev.x, &site, &neuron) < 0)
        return;
    tui_click(t, site, neuron);
}

static bool start_curses(void)
{
    /* newterm rather than initscr, which exits on its own when the terminal is unusable. */
    if (!newterm(NULL, stdout, stdin))
        return false;
    raw(); /* Ctrl-C arrives as a key: it cancels the command line, or quits */
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25); /* a lone Escape cancels at once */
    timeout(200);     /* wake now and then to notice signals */
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    mouseinterval(0);
    return true;
}

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
    else if (key == 3) /* Ctrl-C */
        t->quit = true;
    else if (key == 12) /* Ctrl-L: throw away what the terminal shows and draw it all */
        clearok(curscr, TRUE);
    else
        tui_key_press(t, key);
}

static void event_loop(tui *t)
{
    bool dirty = true;
    while (!t->quit && !caught_signal) {
        getmaxyx(stdscr, t->rows, t->cols);
        if (dirty)
            tui_draw(t);
        int key = getch();
        dirty = key != ERR;
        if (key == ERR)
            continue;
        handle_key(t, key);
        /* Keys that came faster than a screen can be drawn (a paste, a held key) are all handled
         * before the next draw: a 10,000-character paste costs one redraw, not 10,000. */
        timeout(0);
        while (!t->quit && !caught_signal && (key = getch()) != ERR)
            handle_key(t, key);
        timeout(200);
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
        fprintf(stderr, "intervene: cannot use this terminal (TERM=%s); try -c or -s for batch "
                "mode\n", getenv("TERM") ? getenv("TERM") : "");
        tui_free(&t);
        return 2;
    }
    prepare_reset_bytes();
    install_crash_signals();
    iv_set_fatal_hook(restore_terminal);
    install_signals();
    t.colour = tui_colour_init();
    tui_cmdline_init(&t);
    tui_run(&t, ""); /* computes the effect map */
    if (t.demo)
        tui_demo_step(&t, 1);
    else
        snprintf(t.message, sizeof t.message, "arrows move, Space selects, z zero-ablates, ? help");
    event_loop(&t);
    tui_cmdline_end();
    restore_terminal();
    iv_set_fatal_hook(NULL);
    int status = caught_signal ? 128 + caught_signal : 0;
    tui_free(&t);
    return status;
}
