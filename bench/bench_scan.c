/* bench_scan.c - an activation-patching scan at one input, as ratios to plain forward passes
 * measured in the same run.
 *
 * A measurement, not a timed test: nothing here passes or fails. The model is bench_scale's
 * 784-512-512-10 MLP (layer0, layer1, layer2; mlp.h) from a fixed seed, at one input uniform in
 * [0, 1). Measured, each the best of several repetitions after a warm-up:
 *
 *   scan        `scan layer0 zero`: each of layer0's 512 neurons zeroed alone, and the layer whole,
 *               metric=output, through iv_command_run (the result built and discarded)
 *   forward_1   iv_forward of the input alone (one row)
 *   forward_512 iv_forward of 512 rows
 *
 * and printed as NAME VALUE UNIT lines: the three times, scan_layer0_per_forward_1 (what a scan
 * saves over 513 passes of one row is 513 / this ratio) and scan_layer0_per_forward_512 (a scan
 * starts at layer0, so it skips the largest product and should cost less than 512 rows from the
 * input). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "commands.h"
#include "forward.h"
#include "rng.h"
#include "workspace.h"

#include "mlp.h"
#include "../ui/blas_core.h"

#define SEED 20240607
#define ROWS 512
#define MIN_SECONDS 0.3 /* each measurement repeats until it has run this long */
#define MIN_REPS 5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef void (*work_fn)(void *user);

/* The best time of one call of fn, after a warm-up call. */
static double best_of(work_fn fn, void *user)
{
    fn(user);
    double best = 1e30, start = now();
    for (int reps = 0; reps < MIN_REPS || now() - start < MIN_SECONDS; reps++) {
        double t0 = now();
        fn(user);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

typedef struct forward_work {
    const iv_model *m;
    const float *input;
    iv_acts *acts;
} forward_work;

static void run_forward(void *user)
{
    forward_work *w = user;
    iv_forward(w->m, w->input, w->acts, NULL, NULL);
}

typedef struct scan_work {
    iv_workspace *ws;
    char **argv;
    int argc;
} scan_work;

static void run_scan(void *user)
{
    scan_work *w = user;
    iv_error err;
    if (iv_command_run(w->ws, w->argc, w->argv, &iv_sink_discard, &err) < 0) {
        fprintf(stderr, "bench_scan: %s\n", err.msg);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    static const char *const names[MLP_LAYERS] = {"layer0", "layer1", "layer2"};
    iv_rng rng;
    iv_rng_seed(&rng, SEED);
    iv_model *m = mlp_build(&rng, names, "bench_scan");
    iv_error err;
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws) {
        fprintf(stderr, "bench_scan: %s\n", err.msg);
        return 1;
    }
    int d = m->n_inputs;
    float *rows = iv_xmalloc(sizeof(float) * (size_t)ROWS * (size_t)d); /* (ROWS, d) */
    for (long i = 0; i < (long)ROWS * d; i++)
        rows[i] = mlp_uniform(&rng, 0.0f, 1.0f);
    for (int i = 0; i < d; i++)
        ws->base[i] = rows[i];
    if (iv_workspace_run(ws, &err) < 0) {
        fprintf(stderr, "bench_scan: %s\n", err.msg);
        return 1;
    }

    forward_work one = {m, rows, iv_acts_new(m, 1, &err)};
    forward_work many = {m, rows, iv_acts_new(m, ROWS, &err)};
    scan_work scan = {ws, NULL, 0};
    scan.argc = iv_words_split("scan layer0 zero", &scan.argv, &err);
    if (!one.acts || !many.acts || scan.argc < 0) {
        fprintf(stderr, "bench_scan: %s\n", err.msg);
        return 1;
    }
    double t1 = best_of(run_forward, &one);
    double t512 = best_of(run_forward, &many);
    double ts = best_of(run_scan, &scan);
    printf("forward_1_row_us %.2f us\n", t1 * 1e6);
    printf("forward_512_rows_ms %.3f ms\n", t512 * 1e3);
    printf("scan_layer0_zero_ms %.3f ms\n", ts * 1e3);
    printf("scan_layer0_per_forward_1 %.2f ratio\n", ts / t1);
    printf("scan_layer0_per_forward_512 %.2f ratio\n", ts / t512);
    iv_words_free(scan.argv);
    iv_acts_free(one.acts);
    iv_acts_free(many.acts);
    free(rows);
    iv_workspace_free(ws);
    return 0;
}
