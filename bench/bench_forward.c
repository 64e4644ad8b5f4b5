/* bench_forward.c - how fast iv_forward runs, as ratios to a ceiling measured in the same run.
 *
 * This is a measurement, not a timed test: nothing here passes or fails. Absolute times depend on
 * the machine and on what else it is doing, so the headline figures are ratios to a ceiling taken
 * in the same process, interleaved with the measured code so both see the same load:
 *
 *   ceiling   three bare cblas_sgemm calls with exactly the shapes of a 784-512-512-10 MLP's layers
 *             on 10,000 rows (RowMajor, NoTrans, Trans, as iv_forward calls them), no other work.
 *   measured  iv_forward on that MLP, clean and with two interventions applied by iv_apply_hook.
 *
 * Targets: the MLP forward at >= 0.9 of the sgemm ceiling (mlp_forward_fraction_of_sgemm), and the
 * lecture's max network on its 101 x 101 grid (10,201 rows) in tens of microseconds.
 *
 * Every time is the best (minimum) of several repetitions after a warm-up, with
 * clock_gettime(CLOCK_MONOTONIC), which keeps the figures stable on a busy 2-core machine. Output on
 * stdout is one `NAME VALUE UNIT` line per figure and nothing else. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "build.h"
#include "formats/formats.h"
#include "forward.h"
#include "intervention.h"
#include "model.h"
#include "rng.h"

#include "mlp.h"
#include "../ui/blas_core.h"

/* OpenBLAS's extension; weak so this still links against a CBLAS without it (then it is NULL). */
extern int openblas_get_num_threads(void) __attribute__((weak));

#define N_ROWS 10000       /* MLP batch */
#define MLP_ROUNDS 10      /* timed rounds of (ceiling, clean, intervened), after one warm-up */
#define GRID_SIDE 101      /* 0, 0.1, ..., 10 */
#define GRID_REPS 200


static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double min2(double a, double b) { return a < b ? a : b; }

/* ---- the MLP, made through the builder ----------------------------------------------------------- */

static iv_model *build_mlp(iv_rng *rng)
{
    static const char *const names[MLP_LAYERS] = {"h1", "h2", "out"};
    return mlp_build(rng, names, "bench");
}

/* The ceiling: the MLP's three layer products as bare sgemms into scratch buffers (bias, hooks and
 * activations left out). Returns seconds. */
static double ideal_forward(const iv_model *m, const float *x, float *const buf[MLP_LAYERS])
{
    double t0 = now();
    const float *in = x;
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *L = &m->layers[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N_ROWS, L->n_out, L->n_in, 1.0f, in,
                    L->n_in, L->weight, L->n_in, 0.0f, buf[l], L->n_out);
        in = buf[l];
    }
    return now() - t0;
}

static double timed_forward(const iv_model *m, const float *x, iv_acts *acts, iv_apply_ctx *ctx)
{
    double t0 = now();
    iv_forward(m, x, acts, ctx ? iv_apply_hook : NULL, ctx);
    return now() - t0;
}

/* An address of `count` neurons spread evenly over a site of `width`. */
static iv_addr spread_addr(int site, int count, int width)
{
    iv_addr a = {.site = site, .n = count, .idx = malloc(sizeof(int) * (size_t)count)}; // (count)
    for (int j = 0; j < count; j++)
        a.idx[j] = j * (width / count);
    return a;
}

static void bench_mlp(void)
{
    iv_rng rng;
    iv_rng_seed(&rng, 20240607);
    iv_model *m = build_mlp(&rng);

    float *x = malloc(sizeof(float) * N_ROWS * (size_t)mlp_width[0]); // (N_ROWS, 784)
    for (size_t i = 0; i < (size_t)N_ROWS * (size_t)mlp_width[0]; i++)
        x[i] = mlp_uniform(&rng, 0.0f, 1.0f);
    float *buf[MLP_LAYERS]; // (N_ROWS, 512), (N_ROWS, 512), (N_ROWS, 10)
    for (int l = 0; l < MLP_LAYERS; l++)
        buf[l] = calloc((size_t)N_ROWS * (size_t)mlp_width[l + 1], sizeof(float));
    iv_error err;
    iv_acts *acts = iv_acts_new(m, N_ROWS, &err); // site s is (N_ROWS, width[s])
    if (!acts) {
        fprintf(stderr, "bench_forward: %s\n", err.msg);
        exit(1);
    }

    /* Zero 64 neurons of h1 (site 2) and set 32 neurons of h2.pre (site 3) to 1. */
    iv_intervention ivs[2] = {
        {.id = 1, .kind = IV_ZERO, .enabled = true, .addr = spread_addr(2, 64, mlp_width[1])},
        {.id = 2, .kind = IV_SET, .enabled = true, .value = 1.0,
         .addr = spread_addr(3, 32, mlp_width[2])},
    };
    iv_apply_ctx ctx = {.list = ivs, .count = 2, .samples = 1};

    /* Round 0 is the warm-up (page faults, BLAS thread start-up); the three measurements are
     * interleaved so that a burst of outside load hits all of them alike. */
    double ideal = INFINITY, clean = INFINITY, hooked = INFINITY;
    for (int round = 0; round <= MLP_ROUNDS; round++) {
        double ti = ideal_forward(m, x, buf);
        double tc = timed_forward(m, x, acts, NULL);
        double th = timed_forward(m, x, acts, &ctx);
        if (round > 0) {
            ideal = min2(ideal, ti);
            clean = min2(clean, tc);
            hooked = min2(hooked, th);
        }
    }

    double flops = 0;
    for (int l = 0; l < MLP_LAYERS; l++)
        flops += 2.0 * N_ROWS * mlp_width[l] * mlp_width[l + 1];
    printf("sgemm_gflops %.2f GFLOP/s\n", flops / ideal * 1e-9);
    printf("mlp_forward_ms %.3f ms\n", clean * 1e3);
    printf("mlp_forward_gflops %.2f GFLOP/s\n", flops / clean * 1e-9);
    printf("mlp_forward_fraction_of_sgemm %.3f ratio\n", ideal / clean);
    printf("mlp_forward_intervened_ms %.3f ms\n", hooked * 1e3);
    printf("mlp_intervened_fraction_of_sgemm %.3f ratio\n", ideal / hooked);

    for (int k = 0; k < 2; k++)
        free(ivs[k].addr.idx);
    iv_acts_free(acts);
    for (int l = 0; l < MLP_LAYERS; l++)
        free(buf[l]);
    free(x);
    iv_model_free(m);
}

/* ---- the lecture's max network on its grid ------------------------------------------------------- */

static double best_forward(const iv_model *m, const float *x, iv_acts *acts, iv_apply_ctx *ctx,
                           int reps)
{
    double best = INFINITY;
    for (int r = -reps / 10; r < reps; r++) { /* the negative rounds are the warm-up */
        double t = timed_forward(m, x, acts, ctx);
        if (r >= 0)
            best = min2(best, t);
    }
    return best;
}

static void bench_max_grid(void)
{
    iv_model *m = iv_model_builtin_max();
    long n = (long)GRID_SIDE * GRID_SIDE;
    float *x = malloc(sizeof(float) * (size_t)n * 2); // (10201, 2): rows (x, y)
    for (int i = 0; i < GRID_SIDE; i++)
        for (int j = 0; j < GRID_SIDE; j++) {
            x[2 * (i * GRID_SIDE + j)] = (float)i / 10.0f;
            x[2 * (i * GRID_SIDE + j) + 1] = (float)j / 10.0f;
        }
    iv_error err;
    iv_acts *acts = iv_acts_new(m, n, &err); // site s is (10201, width[s])
    if (!acts) {
        fprintf(stderr, "bench_forward: %s\n", err.msg);
        exit(1);
    }
    int one[1] = {1};
    iv_intervention ablate = {.id = 1, .kind = IV_ZERO, .enabled = true,
                              .addr = {.site = iv_model_site_find(m, "h1"), .n = 1, .idx = one}};
    iv_apply_ctx ctx = {.list = &ablate, .count = 1, .samples = 1};

    double clean = best_forward(m, x, acts, NULL, GRID_REPS);
    double hooked = best_forward(m, x, acts, &ctx, GRID_REPS);
    printf("max_grid_forward_us %.2f us\n", clean * 1e6);
    printf("max_grid_intervened_us %.2f us\n", hooked * 1e6);
    printf("max_grid_rows_per_us %.1f rows/us\n", (double)n / (clean * 1e6));

    iv_acts_free(acts);
    free(x);
    iv_model_free(m);
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    bench_mlp();
    bench_max_grid();
    printf("threads %d count\n", openblas_get_num_threads ? openblas_get_num_threads() : 0);
    return 0;
}
