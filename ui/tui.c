/* tui.c - the explorer's main loop: the terminal set up and always restored, keys and mouse
 * clicks dispatched, the screen redrawn from the state after each event.
 *
 * Signals only set a flag (nothing is drawn from a handler); a resize arrives as KEY_RESIZE from
 * curses itself. The terminal is restored on quit, on Ctrl-C, on SIGTERM / SIGHUP, and before the
 * abort message of a fatal error. */
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig) { caught_signal = sig; }

static void restore_terminal(void)
{
    if (!isendwin())
        endwin();
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

static void event_loop(tui *t)
{
    bool dirty = true;
    while (!t->quit && !caught_signal) {
        getmaxyx(stdscr, t->rows, t->cols);
        if (dirty)
            tui_draw(t);
        int key = getch();
        dirty = key != ERR;
        if (key == ERR || key == KEY_RESIZE)
            continue;
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
    if (!start_curses()) {
        fprintf(stderr, "intervene: cannot use this terminal (TERM=%s); try -c or -s for batch "
                "mode\n", getenv("TERM") ? getenv("TERM") : "");
        tui_free(&t);
        return 2;
    }
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
