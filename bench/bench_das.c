/* bench_das.c - distributed alignment search on the trained hierarchical equality network, timed
 * to the held-out IIA it reaches.
 *
 * A measurement, not a timed test: it exits 0 whatever the time (1 only when the model, the data or
 * a command cannot be had). The network is sample_models/hierarchical-equality-trained.nn (16
 * inputs, three layers of 16 ReLU, 2 logits) over hierarchical-equality-dim4.npz (20,000 rows), the
 * causal model WX = (w == x), YZ = (y == z), O = (WX == YZ), and the command
 *     das WX,YZ layer0 dims=8,8 DAS_ARGS
 * through the command runner, as a user runs it (the reference pass included: it is the first
 * command to need it). The pyvene tutorial's DAS reaches IIA about 0.97 with a 16 x 16 rotation,
 * WX in dims 0-7 and YZ in 8-15, training for minutes on a GPU. Then, for comparison, the same
 * variables aligned with neurons (WX with layer0[0:8], YZ with layer0[8:16]) by plain `iia` over
 * the same kind of pairs: each variable from its own source is what das measures, so the plain
 * figure is WX alone (one variable: one source).
 *
 * The sample files are read from $srcdir/sample_models ($srcdir defaults to "."; make bench sets
 * it). Output: NAME VALUE UNIT lines. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "formats/formats.h"
#include "workspace.h"
#include "../ui/blas_core.h"

#define DAS_ARGS "pairs=20000 epochs=4 batch=64 lr=0.01 seed=1"
#define CAUSAL "causal \"WX = w0 == x0 and w1 == x1 and w2 == x2 and w3 == x3; " \
               "YZ = y0 == z0 and y1 == z1 and y2 == z2 and y3 == z3; O = WX == YZ\""

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_das: %s: %s\n", what, msg);
    exit(1);
}

/* Keeps the last result's "iia". */
static void keep_iia(iv_result_type type, json_object *result, void *user)
{
    (void)type;
    json_object *v = json_object_object_get(result, "iia");
    if (v)
        *(double *)user = json_object_get_double(v);
    json_object_put(result);
}

static double run(iv_workspace *ws, const char *line)
{
    double iia = -1;
    iv_sink sink = {keep_iia, &iia};
    iv_error err;
    if (iv_script_run(ws, line, "bench_das", &sink, false, NULL, NULL, &err) != 0)
        die(line, err.msg);
    return iia;
}

int main(int argc, char **argv)
{
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/sample_models/hierarchical-equality-trained.nn", srcdir);
    iv_error err;
    iv_model *m = iv_model_load(path, &err);
    if (!m)
        die(path, err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        die("workspace", err.msg);
    snprintf(line, sizeof line, "data load \"%s/sample_models/hierarchical-equality-dim4.npz\"; %s",
             srcdir, CAUSAL);
    run(ws, line);
    snprintf(line, sizeof line, "das WX,YZ layer0 dims=8,8 %s", argc > 1 ? argv[1] : DAS_ARGS);
    double t0 = now();
    double iia = run(ws, line);
    double seconds = now() - t0;
    printf("das_hier_equality_seconds %.3f s\n", seconds);
    printf("das_hier_equality_iia %.4f fraction\n", iia);
    printf("das_hier_equality_iia_tutorial 0.97 fraction\n");
    double neurons = run(ws, "unalign all; align WX layer0[0:8]; iia pairs=10000 seed=1");
    printf("das_hier_equality_neurons_iia %.4f fraction\n", neurons);
    iv_workspace_free(ws);
    return 0;
}
