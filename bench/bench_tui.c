/* bench_tui.c - how long the explorer takes to answer a key: the command, the forward passes, the
 * effect over the dataset, and a full redraw, on a headless 120 x 40 screen.
 *
 * Like bench_forward, a measurement rather than a timed test. The target is a few milliseconds
 * per key for the lecture network and for the tiny sample transformers (sample_models/tiny-max
 * and sample_models/induction, found under $srcdir, a head of block 1 zero-ablated); the ratio
 * printed is that time against a 16.7 ms frame (one refresh of a 60 Hz display), so under 0.2
 * means no one can see the wait. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "formats/formats.h"
#include "tui.h"
#include "../ui/blas_core.h"

#define REPS 200

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best time over REPS of one key press followed by a redraw. */
static double time_key(tui *t, int key, int undo_key)
{
    double best = 1e9;
    for (int i = 0; i < REPS; i++) {
        double t0 = now();
        tui_key_press(t, key);
        tui_draw(t);
        double dt = now() - t0;
        best = dt < best ? dt : best;
        if (undo_key)
            tui_key_press(t, undo_key);
    }
    return best;
}

/* Best time over REPS of a line run as a key runs it, then a redraw; undo_key (untimed) puts the
 * session back before the next. */
static double time_line(tui *t, const char *line, int undo_key)
{
    double best = 1e9;
    int count = t->ws->count;
    for (int i = 0; i < REPS; i++) {
        double t0 = now();
        int rc = tui_run(t, line);
        tui_draw(t);
        double dt = now() - t0;
        tui_popup_free(&t->popup); /* a popup would take the undo key for itself */
        tui_key_press(t, undo_key);
        if (rc != 0 || t->ws->count != count) {
            fprintf(stderr, "bench_tui: %s: %s\n", line, rc ? t->message : "not undone");
            exit(1);
        }
        best = dt < best ? dt : best;
    }
    return best;
}

/* A sample transformer opened as the program opens it (the `model` command on its directory):
 * a head of block 1 zero-ablated, with the redraw; 'u' drops it again. */
static void sample_head_key(tui *t, const char *dir, const char *name)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char line[4096];
    snprintf(line, sizeof line, "model %s/sample_models/%s", srcdir, dir);
    if (tui_run(t, line) != 0) {
        fprintf(stderr, "bench_tui: %s: %s\n", line, t->message);
        exit(1);
    }
    double key = time_line(t, "ablate blocks.1.attn.hook_z[head=0] zero", 'u');
    printf("key_ablate_head_%s_redraw_ms %.3f ms\n", name, key * 1e3);
    printf("key_ablate_head_%s_redraw_fraction_of_frame %.3f ratio\n", name, key / (1.0 / 60));
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    setlocale(LC_ALL, "C.UTF-8");
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *screen = newterm("xterm-256color", out, in);
    if (!screen) {
        fprintf(stderr, "bench_tui: no xterm-256color terminal description\n");
        return 1;
    }
    set_term(screen);
    resizeterm(40, 120);
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    tui t;
    tui_init(&t, ws);
    t.colour = tui_colour_init();
    t.rows = 40;
    t.cols = 120;
    tui_run(&t, "input 3 5; source 5 3");

    double move = time_key(&t, KEY_RIGHT, KEY_LEFT);
    double ablate = time_key(&t, 'z', 'u');
    tui_run(&t, "data grid x=0:10:0.1 y=0:10:0.1");
    double ablate_big = time_key(&t, 'z', 'u');
    printf("key_cursor_move_ms %.3f ms\n", move * 1e3);
    printf("key_ablate_redraw_ms %.3f ms\n", ablate * 1e3);
    printf("key_ablate_redraw_fraction_of_frame %.3f ratio\n", ablate / (1.0 / 60));
    printf("key_ablate_101x101_grid_ms %.3f ms\n", ablate_big * 1e3);
    printf("key_ablate_101x101_grid_fraction_of_frame %.3f ratio\n", ablate_big / (1.0 / 60));
    sample_head_key(&t, "tiny-max", "tiny_max");
    sample_head_key(&t, "induction", "induction");

    tui_free(&t);
    iv_workspace_free(ws);
    endwin();
    delscreen(screen);
    fclose(out);
    fclose(in);
    return 0;
}
