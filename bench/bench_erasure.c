/* bench_erasure.c - INLP and LEACE on a planted binary concept, timed against one plain pass over
 * the rows.
 *
 * A measurement, not a timed test: it exits 0 whatever the times (1 only when a fit fails). The
 * rows are 10,000 seeded float vectors of width 300: per-coordinate scales from 0.3 to 2, five
 * shared factors that correlate the coordinates, and class 1 shifted along a fixed random
 * direction. The first 8,000 rows train, the last 2,000 are held out. INLP runs 20 ridge probes
 * (lambda 1) with eps = -1, so that every iteration runs whatever the accuracy (as the reference
 * implementation runs its requested number); each probe is fitted from the statistics formed in
 * one pass, in 300 x 300 space, and scored on both parts through the projection. The plain pass is
 * what that one pass costs on its own: the mean and the centred X^T X (dsyrk) of the training rows;
 * the ratio says how many such passes all 20 iterations cost. LEACE is fitted on the training
 * rows too, and a fresh ridge probe trained through it is scored on the held-out rows (an eraser
 * fitted on every row would make the training part's class means the mirror image of the held-out
 * part's, and a probe trained on one then scores below chance on the other).
 * Each time is the best of three runs.
 *
 * Beside it, in the same run, the reference a numpy user would write (bench/numpy_inlp.py: a probe
 * refitted on the projected rows at every step, as the INLP paper's code does), on the same rows
 * written out as .npy files: its time, ours as a fraction of it, and the largest difference of
 * the two runs' held-out accuracies over the steps (they fit the same probe, so it should be ~0).
 * The reference runs when $PYTHON (default /usr/bin/python3) has numpy; else its lines are
 * missing. IV_BENCH_SVC=1 makes it refit scikit-learn's LinearSVC instead (the INLP paper's
 * probe): another probe, so its accuracies may differ a little from ours at each step.
 * Output: NAME VALUE UNIT lines. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "erasure.h"
#include "rng.h"
#include "../ui/blas_core.h"

#define ROWS 10000L
#define TRAIN 8000L
#define WIDTH 300
#define FACTORS 5
#define ITERATIONS 20
#define RUNS 3

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_erasure: %s: %s\n", what, msg);
    exit(1);
}

/* The planted concept: class 1 is shifted by 2.5 along a random unit direction. */
static void make_rows(float *x, int *y)
{
    iv_rng rng;
    iv_rng_seed(&rng, 1);
    static double load[FACTORS][WIDTH], shift[WIDTH];
    double norm = 0;
    for (int j = 0; j < WIDTH; j++) {
        shift[j] = iv_rng_normal(&rng);
        norm += shift[j] * shift[j];
        for (int f = 0; f < FACTORS; f++)
            load[f][j] = 0.5 * iv_rng_normal(&rng);
    }
    for (int j = 0; j < WIDTH; j++)
        shift[j] *= 2.5 / sqrt(norm);
    for (long i = 0; i < ROWS; i++) {
        double f[FACTORS];
        for (int a = 0; a < FACTORS; a++)
            f[a] = iv_rng_normal(&rng);
        y[i] = (int)iv_rng_below(&rng, 2);
        for (int j = 0; j < WIDTH; j++) {
            double v = (0.3 + 1.7 * (j % 17) / 16.0) * iv_rng_normal(&rng) + y[i] * shift[j];
            for (int a = 0; a < FACTORS; a++)
                v += load[a][j] * f[a];
            x[i * WIDTH + j] = (float)v;
        }
    }
}

/* An .npy file (format 1.0, little-endian, C order) of n rows of `cols` values of `descr`. */
static int write_npy(const char *path, const void *data, long n, int cols, const char *descr,
                     size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    char shape[64], header[256];
    if (cols > 1)
        snprintf(shape, sizeof shape, "(%ld, %d)", n, cols);
    else
        snprintf(shape, sizeof shape, "(%ld,)", n);
    int len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, "
                       "'shape': %s, }", descr, shape);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64; /* the data starts 64-aligned */
    unsigned short hlen = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fwrite(header, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    size_t count = (size_t)n * (size_t)cols;
    int rc = fwrite(data, size, count, f) == count ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

/* Runs the numpy reference on the rows; prints its lines, and the comparison with ours. */
static void reference(const float *x, const int *y, const iv_inlp_result *inlp, double t_inlp)
{
    char dir[] = "/tmp/iv-bench-erasure-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char xp[64], yp[64], cmd[1024];
    snprintf(xp, sizeof xp, "%s/x.npy", dir);
    snprintf(yp, sizeof yp, "%s/y.npy", dir);
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    if (write_npy(xp, x, ROWS, WIDTH, "<f4", sizeof(float)) == 0 &&
        write_npy(yp, y, ROWS, 1, "<i4", sizeof(int)) == 0) {
        snprintf(cmd, sizeof cmd, "%s %s/bench/numpy_inlp.py %s %s %ld %d %s 2>/dev/null", python,
                 srcdir, xp, yp, TRAIN, ITERATIONS, getenv("IV_BENCH_SVC") ? "--svc" : "");
        FILE *p = popen(cmd, "r");
        char line[256];
        double worst = 0, seconds = NAN;
        int step;
        double acc;
        while (p && fgets(line, sizeof line, p)) {
            fputs(line, stdout);
            if (sscanf(line, "numpy_inlp_step%d_heldout %lf", &step, &acc) == 2 && step >= 1 &&
                step <= inlp->steps)
                worst = fmax(worst, fabs(acc - inlp->step[step - 1].heldout_acc));
            sscanf(line, "numpy_inlp_seconds %lf", &seconds);
        }
        if (p && pclose(p) == 0 && isfinite(seconds)) {
            printf("inlp_over_numpy_refit %.3f ratio\n", t_inlp / seconds);
            printf("inlp_heldout_largest_difference_from_numpy %.4f fraction\n", worst);
        }
    }
    unlink(xp);
    unlink(yp);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    float *x = malloc(sizeof(float) * ROWS * WIDTH);
    int *y = malloc(sizeof(int) * ROWS);
    double *mu = malloc(sizeof(double) * WIDTH), *gram = malloc(sizeof(double) * WIDTH * WIDTH);
    if (!x || !y || !mu || !gram)
        die("rows", "out of memory");
    make_rows(x, y);
    iv_labelled train = {x, y, TRAIN, WIDTH, 2};
    iv_labelled held = {x + TRAIN * WIDTH, y + TRAIN, ROWS - TRAIN, WIDTH, 2};
    iv_error err;

    double pass = INFINITY;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        iv_la_mean(train.x, train.n, WIDTH, mu);
        if (iv_la_centred_gram(train.x, train.n, WIDTH, mu, NULL, 0, NULL, gram, NULL, &err) < 0)
            die("X^T X", err.msg);
        pass = fmin(pass, now() - t0);
    }

    iv_inlp_options o;
    iv_inlp_options_default(&o);
    o.iterations = ITERATIONS;
    o.eps = -1;
    iv_inlp_result inlp = {0};
    double t_inlp = INFINITY;
    for (int r = 0; r < RUNS; r++) {
        iv_inlp_result_free(&inlp);
        double t0 = now();
        if (iv_inlp_fit(&train, &held, &o, &inlp, &err) < 0)
            die("inlp", err.msg);
        t_inlp = fmin(t_inlp, now() - t0);
    }

    iv_lowrank leace = {0};
    double t_leace = INFINITY;
    for (int r = 0; r < RUNS; r++) {
        iv_lowrank_free(&leace);
        double t0 = now();
        if (iv_leace_fit(&train, &leace, &err) < 0)
            die("leace", err.msg);
        t_leace = fmin(t_leace, now() - t0);
    }
    /* what a fresh probe reads after LEACE, trained and scored as INLP's were */
    iv_probe probe;
    double leace_acc, before_acc;
    if (iv_probe_ridge(&train, 1, NULL, &probe, &err) < 0 ||
        iv_probe_accuracy(&probe, &held, NULL, &before_acc, &err) < 0)
        die("probe", err.msg);
    iv_probe_free(&probe);
    if (iv_probe_ridge(&train, 1, &leace, &probe, &err) < 0 ||
        iv_probe_accuracy(&probe, &held, &leace, &leace_acc, &err) < 0)
        die("probe after leace", err.msg);
    iv_probe_free(&probe);

    printf("erasure_rows %ld rows\n", ROWS);
    printf("erasure_width %d neurons\n", WIDTH);
    printf("xtx_pass_ms %.3f ms\n", pass * 1e3);
    printf("inlp_%d_iterations_ms %.3f ms\n", ITERATIONS, t_inlp * 1e3);
    printf("inlp_per_iteration_ms %.3f ms\n", t_inlp * 1e3 / inlp.steps);
    printf("inlp_over_xtx_pass %.2f ratio\n", t_inlp / pass);
    printf("inlp_majority %.4f fraction\n", inlp.majority);
    for (int s = 0; s < inlp.steps; s++) {
        printf("inlp_step%02d_train %.4f fraction\n", s + 1, inlp.step[s].train_acc);
        printf("inlp_step%02d_heldout %.4f fraction\n", s + 1, inlp.step[s].heldout_acc);
        printf("inlp_step%02d_removed %d directions\n", s + 1, inlp.step[s].rank);
    }
    printf("leace_fit_ms %.3f ms\n", t_leace * 1e3);
    printf("leace_rank %d directions\n", leace.r);
    printf("ridge_heldout_before %.4f fraction\n", before_acc);
    printf("ridge_heldout_after_leace %.4f fraction\n", leace_acc);
    fflush(stdout);
    reference(x, y, &inlp, t_inlp);
    iv_lowrank_free(&leace);
    iv_inlp_result_free(&inlp);
    free(x);
    free(y);
    free(mu);
    free(gram);
    return 0;
}
