/* bench_iia.c - interchange intervention accuracy, as pairs per second over the plain forward
 * pass's rows per second, both measured in the same run.
 *
 * A measurement, not a timed test: nothing here passes or fails, and it exits 0 whatever the
 * ratios are (it exits 1 only when a model, a dataset or a command cannot be had, or when an IIA
 * is not the one it should be, since then the time measures something else). Two cases:
 *
 *   max    the lecture network (builtin:max) over its 0..10 grid, `gt = x > y; out = gt ? x : y`,
 *          gt aligned with h1[0:2]: `iia` scores every ordered pair of the 121 rows, 14,641 pairs
 *          (13,431 agree). Against iv_forward of 14,641 rows (the grid's rows, each repeated).
 *   hier   the trained hierarchical equality network (sample_models/hierarchical-equality-trained.nn,
 *          16 inputs, three layers of 16 ReLU, 2 logits) over its 20,000 rows
 *          (hierarchical-equality-dim4.npz), WX / YZ / O with WX aligned with layer0[0:8] and YZ
 *          with layer0[8:16]: `iia pairs=100000 seed=1`. Against iv_forward of 100,000 rows.
 *          With two alignments `iia` also scores each alone, so it runs the pairs three times;
 *          hier_one (WX alone: the pairs once) tells that cost from the cost of a pass, and
 *          NAME_pass_rows_per_forward_row counts every row the passes run (each pass over the
 *          pairs, and the dataset's rows once for the factual accuracy) per forward row.
 *
 * Each figure is the best of several repetitions after a warm-up (the reference pass the
 * workspace keeps is made in the warm-up, as it is once per dataset in a session). The ratio
 * NAME_pairs_per_forward_row is (pairs / IIA time) / (rows / forward time); its goal, >= 0.3, is
 * printed beside it as NAME_pairs_per_forward_row_goal.
 *
 * The sample files are read from $srcdir/sample_models ($srcdir defaults to "."; make bench sets
 * it). Output on stdout is one `NAME VALUE UNIT` line per figure and nothing else. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "formats/formats.h"
#include "forward.h"
#include "workspace.h"
#include "../ui/blas_core.h"

#define MIN_SECONDS 1.0 /* each pair of measurements repeats until it has run this long */
#define MIN_REPS 5
#define GOAL 0.3
#define HIER_PAIRS 100000L

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_iia: %s: %s\n", what, msg);
    exit(1);
}

typedef void (*work_fn)(void *user);

static double timed(work_fn fn, void *user)
{
    double t0 = now();
    fn(user);
    return now() - t0;
}

/* The best times of one call of a and of b, after a warm-up call of each. The calls alternate, so
 * that both see the same load on a busy machine. */
static void best_of_both(work_fn a, void *ua, double *ta, work_fn b, void *ub, double *tb)
{
    a(ua);
    b(ub);
    *ta = *tb = 1e30;
    double start = now();
    for (int reps = 0; reps < MIN_REPS || now() - start < MIN_SECONDS; reps++) {
        double t = timed(a, ua);
        *ta = t < *ta ? t : *ta;
        t = timed(b, ub);
        *tb = t < *tb ? t : *tb;
    }
}

/* ---- the plain pass ------------------------------------------------------------------------------ */

typedef struct forward_work {
    const iv_model *m;
    float *input; /* (rows, n_inputs): the dataset's rows, repeated */
    iv_acts *acts;
} forward_work;

static void run_forward(void *user)
{
    forward_work *w = user;
    iv_forward(w->m, w->input, w->acts, NULL, NULL);
}

/* A batch of `rows` inputs made of the dataset's rows, in order, over and over. */
static void forward_setup(forward_work *w, const iv_workspace *ws, long rows)
{
    const iv_dataset *d = ws->data;
    int k = d->d;
    w->m = ws->model;
    w->input = iv_xmalloc(sizeof(float) * (size_t)rows * (size_t)k);
    for (long r = 0; r < rows; r++)
        memcpy(w->input + r * k, d->x + (r % d->n) * k, sizeof(float) * (size_t)k);
    iv_error err;
    w->acts = iv_acts_new(w->m, rows, &err);
    if (!w->acts)
        die("forward", err.msg);
}

static void forward_free(forward_work *w)
{
    free(w->input);
    iv_acts_free(w->acts);
}

/* ---- IIA through the command, as a user runs it ------------------------------------------------ */

typedef struct iia_work {
    iv_workspace *ws;
    char **argv;
    int argc;
    long agree, pairs; /* from the last result */
    int alone;         /* the alignments it also scored alone (0 with one alignment) */
} iia_work;

static void keep_counts(iv_result_type type, json_object *result, void *user)
{
    iia_work *w = user;
    json_object *v;
    if (type == IV_RESULT_IIA) {
        if (json_object_object_get_ex(result, "agree", &v))
            w->agree = json_object_get_int64(v);
        if (json_object_object_get_ex(result, "pairs", &v))
            w->pairs = json_object_get_int64(v);
        w->alone = json_object_object_get_ex(result, "per_variable", &v)
                       ? (int)json_object_array_length(v) : 0;
    }
    json_object_put(result);
}

static void run_iia(void *user)
{
    iia_work *w = user;
    iv_sink sink = {keep_counts, w};
    iv_error err;
    if (iv_command_run(w->ws, w->argc, w->argv, &sink, &err) < 0)
        die("iia", err.msg);
}

static void on_error(const char *where, const char *text, const iv_error *err, void *user)
{
    (void)user;
    fprintf(stderr, "bench_iia: %s: '%s': %s\n", where, text, err->msg);
}

static iv_workspace *open_workspace(iv_model *m, const char *script)
{
    iv_error err;
    if (!m)
        return NULL;
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        die("workspace", err.msg);
    if (iv_script_run(ws, script, "setup", &iv_sink_discard, false, on_error, NULL, &err))
        exit(1);
    return ws;
}

/* Times `command` against a plain pass of `rows` rows and prints the figures as NAME_*; returns
 * the agreeing pairs. */
static long measure(const char *name, iv_workspace *ws, const char *command, long rows)
{
    iia_work w = {.ws = ws};
    iv_error err;
    w.argc = iv_words_split(command, &w.argv, &err);
    if (w.argc < 0)
        die(command, err.msg);
    forward_work f;
    forward_setup(&f, ws, rows);
    double t_iia, t_fwd;
    best_of_both(run_iia, &w, &t_iia, run_forward, &f, &t_fwd);
    double pairs_per_s = (double)w.pairs / t_iia, rows_per_s = (double)rows / t_fwd;
    printf("%s_pairs %ld pairs\n", name, w.pairs);
    printf("%s_iia %.6f fraction\n", name, w.pairs ? (double)w.agree / (double)w.pairs : 0.0);
    printf("%s_iia_ms %.3f ms\n", name, t_iia * 1e3);
    printf("%s_forward_%ld_rows_ms %.3f ms\n", name, rows, t_fwd * 1e3);
    printf("%s_pairs_per_s %.0f pairs/s\n", name, pairs_per_s);
    printf("%s_forward_rows_per_s %.0f rows/s\n", name, rows_per_s);
    printf("%s_pairs_per_forward_row %.3f ratio\n", name, pairs_per_s / rows_per_s);
    printf("%s_pairs_per_forward_row_goal %.1f ratio\n", name, GOAL);
    /* What a pass costs, whatever the number of passes: every pair once, again for each
     * alignment alone, and the dataset's rows once for the factual accuracy. */
    double pass_rows = (double)w.pairs * (1 + w.alone) + (double)ws->data->n;
    printf("%s_passes_over_pairs %d passes\n", name, 1 + w.alone);
    printf("%s_pass_rows_per_forward_row %.3f ratio\n", name, pass_rows / t_iia / rows_per_s);
    forward_free(&f);
    iv_words_free(w.argv);
    return w.agree;
}

static void expect(const char *name, long got, long want)
{
    if (got != want) {
        fprintf(stderr, "bench_iia: %s: %ld pairs agree, expected %ld\n", name, got, want);
        exit(1);
    }
}

static char *sample_path(const char *file)
{
    const char *srcdir = getenv("srcdir");
    return iv_xasprintf("%s/sample_models/%s", srcdir && *srcdir ? srcdir : ".", file);
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    iv_workspace *max = open_workspace(iv_model_builtin_max(),
                                       "causal \"gt = x > y; out = gt ? x : y\"; align gt h1[0:2]");
    expect("max", measure("iia_max_grid", max, "iia", 121 * 121), 13431);
    iv_workspace_free(max);

    iv_error err;
    char *model = sample_path("hierarchical-equality-trained.nn");
    char *data = sample_path("hierarchical-equality-dim4.npz");
    iv_model *m = iv_model_load(model, &err);
    if (!m)
        die(model, err.msg);
    char *setup = iv_xasprintf(
        "data load \"%s\"; causal \"WX = w0 == x0 and w1 == x1 and w2 == x2 and w3 == x3; "
        "YZ = y0 == z0 and y1 == z1 and y2 == z2 and y3 == z3; O = WX == YZ\"; "
        "align WX layer0[0:8] YZ layer0[8:16]", data);
    iv_workspace *hier = open_workspace(m, setup);
    char *command = iv_xasprintf("iia pairs=%ld seed=1", HIER_PAIRS);
    /* The two halves together are the whole of layer0: every pair agrees (the network is right
     * on every row). */
    expect("hier", measure("iia_hier", hier, command, HIER_PAIRS), HIER_PAIRS);
    if (iv_script_run(hier, "unalign YZ", "setup", &iv_sink_discard, false, on_error, NULL, &err))
        return 1;
    measure("iia_hier_one", hier, command, HIER_PAIRS);
    iv_workspace_free(hier);
    free(command);
    free(setup);
    free(model);
    free(data);
    return 0;
}
