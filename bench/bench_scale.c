/* bench_scale.c - the analyses on a student-sized model, as ratios to a plain effect pass measured
 * in the same run.
 *
 * Like bench_forward, a measurement rather than a timed test: nothing here passes or fails, and the
 * program exits 0 whatever its measurements do. The model is what a student exports from PyTorch:
 * a 784-512-512-10 MLP with ReLU on the hidden layers (layer0, layer1, layer2; inputs p0..p783;
 * weights and biases uniform in +-1/sqrt(n_in)), with 10,000 inputs uniform in [0, 1), all from a
 * fixed seed. The inputs are written to a temporary .npy file (<f4, (rows, 784)) so that every
 * measurement starts as a user would, with `data load FILE.npy`.
 *
 * Each measurement runs in a fresh child process: the child makes a workspace on the model, runs
 * the commands through iv_command_run with a discarding sink and exits; the parent takes the wall
 * time around the child (fork to wait4) and its peak RSS from wait4's rusage. The measurements:
 *
 *   effect    data load X.npy; effect                    the baseline: effect_s, effect_peak_rss_mb
 *   compare   data load X.npy; compare layer0[0:16]      compare_16_per_effect <= 25
 *   optimal   data load X.npy; ablate layer0[0] optimal  optimal_1_per_effect <= 5
 *   noise     data load X.npy; ablate layer0[0:100] noise samples=100; effect
 *                                                        noise_100_per_effect <= 100,
 *                                                        noise_100_peak_rss_per_effect <= 3
 *
 * The goals are printed as NAME_goal lines next to each ratio. A quick measurement (under
 * QUICK_SECONDS) is repeated up to REPS times and the best kept, as bench_forward keeps the best of
 * its repetitions. A child that fails prints its error on stderr and its lines say `failed`; one
 * killed by its alarm says `timeout`.
 *
 * Environment: IV_BENCH_ROWS (default 10000) rows of the dataset, to try it small;
 * IV_BENCH_TIMEOUT (default 300) seconds each child may take before its alarm kills it.
 *
 * Output on stdout is one `NAME VALUE UNIT` line per figure and nothing else. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* wait4, mkdtemp, clock_gettime under -std=c11 */
#endif

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "commands.h"
#include "model.h"
#include "rng.h"

#include "mlp.h"
#include "workspace.h"
#include "../ui/blas_core.h"

#define SEED 20240607
#define DEFAULT_ROWS 10000
#define DEFAULT_TIMEOUT 300 /* seconds per child */
#define REPS 3              /* at most, for a measurement quicker than QUICK_SECONDS */
#define QUICK_SECONDS 5.0


static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}


/* A positive integer from the environment, or the default when unset or empty. */
static long env_long(const char *name, long def, long max)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max) {
        fprintf(stderr, "bench_scale: %s=%s is not a whole number from 1 to %ld; using %ld\n",
                name, s, max, def);
        return def;
    }
    return v;
}

/* ---- the model and its data ------------------------------------------------------------------ */

static iv_model *build_mlp(iv_rng *rng)
{
    static const char *const names[MLP_LAYERS] = {"layer0", "layer1", "layer2"};
    return mlp_build(rng, names, "bench_scale");
}

/* Writes `rows` inputs uniform in [0, 1) as an .npy file, format 1.0: the magic, the version, a
 * little-endian header length, and the header dict padded with blanks and a newline so that the
 * data starts at a multiple of 128 bytes; then the float32s, little-endian, row-major. */
static int write_npy(const char *path, long rows, int cols, iv_rng *rng)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "bench_scale: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char dict[256];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %d), }", rows, cols);
    size_t total = ((size_t)10 + (size_t)n + 1 + 127) / 128 * 128; /* magic..dict..'\n' */
    size_t hlen = total - 10;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, sizeof pre, f);
    fwrite(dict, 1, (size_t)n, f);
    for (size_t i = 10 + (size_t)n; i < total - 1; i++)
        fputc(' ', f);
    fputc('\n', f);

    unsigned char *row = iv_xmalloc(4 * (size_t)cols); /* (cols) float32, little-endian */
    for (long r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            float v = mlp_uniform(rng, 0.0f, 1.0f);
            uint32_t u;
            memcpy(&u, &v, sizeof u);
            for (int k = 0; k < 4; k++)
                row[4 * c + k] = (unsigned char)(u >> (8 * k));
        }
        fwrite(row, 4, (size_t)cols, f);
    }
    free(row);
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "bench_scale: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

/* ---- one measurement: a child process running commands --------------------------------------- */

typedef enum { RUN_OK, RUN_FAILED, RUN_TIMEOUT } run_status;

typedef struct run {
    run_status status;
    double seconds;  /* wall time, fork to reaped */
    double rss_mb;   /* the child's peak resident set */
} run;

/* In the child: a workspace on the model, the commands, exit. Never returns. */
static void child(iv_model *m, const char *name, const char *const *cmds, int timeout)
{
    alarm((unsigned)timeout); /* SIGALRM's default action ends the child, BLAS threads and all */
    iv_error err;
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws) {
        fprintf(stderr, "bench_scale: %s: %s\n", name, err.msg);
        _exit(1);
    }
    for (int i = 0; cmds[i]; i++) {
        char **argv;
        int argc = iv_words_split(cmds[i], &argv, &err);
        if (argc < 0 || (argc > 0 && iv_command_run(ws, argc, argv, &iv_sink_discard, &err) < 0)) {
            fprintf(stderr, "bench_scale: %s: '%s': %s\n", name, cmds[i], err.msg);
            _exit(1);
        }
        iv_words_free(argv);
    }
    _exit(0); /* the workspace is not freed: the measurement is the work, not the clean-up */
}

static run run_once(iv_model *m, const char *name, const char *const *cmds, int timeout)
{
    run r = {.status = RUN_FAILED};
    fflush(NULL); /* nothing buffered is written twice */
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_scale: %s: fork: %s\n", name, strerror(errno));
        return r;
    }
    if (pid == 0)
        child(m, name, cmds, timeout);
    int status;
    struct rusage ru;
    pid_t got;
    while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    r.seconds = now() - t0;
    if (got < 0) {
        fprintf(stderr, "bench_scale: %s: wait4: %s\n", name, strerror(errno));
        return r;
    }
    r.rss_mb = (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        r.status = RUN_OK;
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        r.status = RUN_TIMEOUT;
        fprintf(stderr, "bench_scale: %s: killed after %d s (IV_BENCH_TIMEOUT)\n", name, timeout);
    } else if (WIFSIGNALED(status))
        fprintf(stderr, "bench_scale: %s: killed by signal %d\n", name, WTERMSIG(status));
    return r;
}

/* The best of up to REPS runs, repeating only while a run is quick. */
static run measure(iv_model *m, const char *name, const char *const *cmds, int timeout)
{
    run best = run_once(m, name, cmds, timeout);
    for (int i = 1; i < REPS && best.status == RUN_OK && best.seconds < QUICK_SECONDS; i++) {
        run r = run_once(m, name, cmds, timeout);
        if (r.status != RUN_OK)
            break;
        best.seconds = fmin(best.seconds, r.seconds);
        best.rss_mb = fmin(best.rss_mb, r.rss_mb);
    }
    return best;
}

static const char *status_word(run_status s) { return s == RUN_TIMEOUT ? "timeout" : "failed"; }

/* NAME VALUE UNIT for an absolute figure of one run. */
static void print_value(const char *name, const run *r, double value, int digits,
                        const char *unit)
{
    if (r->status == RUN_OK)
        printf("%s %.*f %s\n", name, digits, value, unit);
    else
        printf("%s %s %s\n", name, status_word(r->status), unit);
}

/* A ratio of a run's figure to the baseline's, and its goal. */
static void print_ratio(const char *name, const run *r, double num, const run *base, double den,
                        double goal)
{
    if (r->status != RUN_OK)
        printf("%s %s ratio\n", name, status_word(r->status));
    else if (base->status != RUN_OK || !(den > 0))
        printf("%s failed ratio\n", name); /* no baseline to divide by */
    else
        printf("%s %.2f ratio\n", name, num / den);
    printf("%s_goal %g ratio\n", name, goal);
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    long rows = env_long("IV_BENCH_ROWS", DEFAULT_ROWS, 10000000L);
    int timeout = (int)env_long("IV_BENCH_TIMEOUT", DEFAULT_TIMEOUT, 86400L);

    const char *tmp = getenv("TMPDIR");
    char *dir = iv_xasprintf("%s/bench_scale.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_scale: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char *npy = iv_xasprintf("%s/x.npy", dir);

    iv_rng rng;
    iv_rng_seed(&rng, SEED);
    iv_model *m = build_mlp(&rng); /* made once here; each child works on its own copy */
    int failed_setup = write_npy(npy, rows, mlp_width[0], &rng) < 0;

    if (!failed_setup) {
        char *load = iv_xasprintf("data load \"%s\"", npy);
        const char *effect[] = {load, "effect", NULL};
        const char *compare[] = {load, "compare layer0[0:16]", NULL};
        const char *optimal[] = {load, "ablate layer0[0] optimal", NULL};
        const char *noise[] = {load, "ablate layer0[0:100] noise samples=100", "effect", NULL};
        /* a probe at every site (7 of them, 784 to 10 wide) for a label over the inputs */
        const char *ridge[] = {load, "label half = p0 + p1 > 1", "probe all half ridge", NULL};
        const char *logistic[] = {load, "label half = p0 + p1 > 1", "probe all half", NULL};

        run e = measure(m, "effect", effect, timeout);
        run c = measure(m, "compare layer0[0:16]", compare, timeout);
        run o = measure(m, "ablate layer0[0] optimal", optimal, timeout);
        run n = measure(m, "ablate layer0[0:100] noise samples=100; effect", noise, timeout);
        run pr = measure(m, "probe all half ridge", ridge, timeout);
        run pl = measure(m, "probe all half", logistic, timeout);

        printf("scale_rows %ld count\n", rows);
        print_value("effect_s", &e, e.seconds, 3, "s");
        print_value("effect_peak_rss_mb", &e, e.rss_mb, 1, "MB");
        print_value("compare_16_s", &c, c.seconds, 3, "s");
        print_ratio("compare_16_per_effect", &c, c.seconds, &e, e.seconds, 25);
        print_value("optimal_1_s", &o, o.seconds, 3, "s");
        print_ratio("optimal_1_per_effect", &o, o.seconds, &e, e.seconds, 5);
        print_value("noise_100_s", &n, n.seconds, 3, "s");
        print_ratio("noise_100_per_effect", &n, n.seconds, &e, e.seconds, 100);
        print_value("noise_100_peak_rss_mb", &n, n.rss_mb, 1, "MB");
        print_ratio("noise_100_peak_rss_per_effect", &n, n.rss_mb, &e, e.rss_mb, 3);
        /* no goal was set for these: the time, and how many effect passes it is worth */
        print_value("probe_all_sites_ridge_s", &pr, pr.seconds, 3, "s");
        print_value("probe_all_sites_ridge_per_effect", &pr, pr.seconds / e.seconds, 2, "ratio");
        print_value("probe_all_sites_logistic_s", &pl, pl.seconds, 3, "s");
        print_value("probe_all_sites_logistic_per_effect", &pl, pl.seconds / e.seconds, 2, "ratio");
        free(load);
    }

    if (remove(npy) != 0 && errno != ENOENT)
        fprintf(stderr, "bench_scale: %s: %s\n", npy, strerror(errno));
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_scale: %s: %s\n", dir, strerror(errno));
    free(npy);
    free(dir);
    iv_model_free(m);
    return failed_setup;
}
