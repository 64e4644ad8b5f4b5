/* bench_train.c - one epoch of `train` against the passes it is made of, as a ratio.
 *
 * A measurement, not a timed test. The fixed-seed 784-512-512-10 MLP of mlp.h and 10,000 inputs
 * uniform in [0, 1) with a class column drawn from 0..9; `train y epochs=1 batch=256` through the
 * command runner, as a user runs it (a minibatch shuffle, the forward pass, the loss's gradient,
 * the backward pass, the parameter gradients and Adam's step, then the model installed), against
 * the same number of forward + backward passes over the same batches with nothing else: the gather,
 * the loss and the optimizer are what the ratio charges to the trainer. The two are interleaved,
 * and each figure is the best of several rounds after a warm-up, so both see the same load.
 *
 * Output: NAME VALUE UNIT lines. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backward.h"
#include "commands.h"
#include "mlp.h"
#include "workspace.h"
#include "../ui/blas_core.h"

#define ROWS 10000
#define BATCH 256
#define ROUNDS 3 /* timed rounds of (passes, train), after one warm-up */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, const iv_error *err)
{
    fprintf(stderr, "bench_train: %s: %s\n", what, err->msg);
    exit(1);
}

static iv_dataset *make_data(const iv_model *m, iv_rng *rng)
{
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->spec = iv_xstrdup("bench rows");
    ds->n = ROWS;
    ds->d = m->n_inputs;
    ds->x = iv_xmalloc(sizeof(float) * (size_t)ROWS * (size_t)ds->d);
    for (long i = 0; i < (long)ROWS * ds->d; i++)
        ds->x[i] = mlp_uniform(rng, 0, 1);
    ds->n_labels = 1;
    ds->label_names = iv_xcalloc(1, sizeof(char *));
    ds->label_names[0] = iv_xstrdup("y");
    ds->labels = iv_xmalloc(sizeof(double) * ROWS);
    for (long r = 0; r < ROWS; r++)
        ds->labels[r] = (double)iv_rng_below(rng, 10);
    return ds;
}

/* The work of an epoch with nothing else: each batch's forward pass, a gradient at the output,
 * the backward pass and the parameter gradients. Returns seconds. */
static double plain_passes(const iv_model *m, const iv_dataset *ds, iv_acts *acts, iv_acts *grads,
                           float *dparams)
{
    int out = iv_model_output_site(m), w = iv_model_output_width(m);
    double t0 = now();
    for (long first = 0; first < ds->n; first += BATCH) {
        long n = ds->n - first < BATCH ? ds->n - first : BATCH;
        acts->n = grads->n = n;
        iv_forward(m, ds->x + first * ds->d, acts, NULL, NULL);
        for (long i = 0; i < n * w; i++)
            grads->site[out][i] = acts->site[out][i] / (float)n;
        iv_backward(m, acts, grads->site[out], grads, 1);
        iv_backward_param_block(m, acts, grads, dparams);
    }
    return now() - t0;
}

static double one_epoch(iv_workspace *ws, int round)
{
    char line[96];
    snprintf(line, sizeof line, "train y epochs=1 batch=%d seed=%d", BATCH, round + 1);
    iv_error err;
    double t0 = now();
    if (iv_script_run(ws, line, "bench", &iv_sink_discard, false, NULL, NULL, &err) != 0)
        die("train", &err);
    return now() - t0;
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv); /* the kernels the program itself would run on */
    static const char *const names[MLP_LAYERS] = {"h1", "h2", "out"};
    iv_rng rng;
    iv_rng_seed(&rng, 1);
    iv_model *m = mlp_build(&rng, names, "bench_train");
    iv_error err;
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        die("workspace", &err);
    if (iv_workspace_replace_data(ws, make_data(m, &rng), &err) < 0)
        die("data", &err);
    iv_acts *acts = iv_acts_new(m, BATCH, &err), *grads = iv_acts_new(m, BATCH, &err);
    float *dparams = iv_xmalloc(sizeof(float) * (size_t)m->n_params);
    if (!acts || !grads)
        die("activations", &err);
    double best_plain = 1e30, best_train = 1e30;
    for (int round = 0; round <= ROUNDS; round++) {
        double plain = plain_passes(ws->model, ws->data, acts, grads, dparams);
        double train = one_epoch(ws, round);
        if (round == 0)
            continue; /* the warm-up */
        best_plain = plain < best_plain ? plain : best_plain;
        best_train = train < best_train ? train : best_train;
    }
    printf("train_epoch_ms %.1f ms\n", best_train * 1e3);
    printf("train_passes_ms %.1f ms\n", best_plain * 1e3);
    printf("train_epoch_over_passes %.3f ratio\n", best_train / best_plain);
    free(dparams);
    iv_acts_free(acts);
    iv_acts_free(grads);
    iv_workspace_free(ws);
    return 0;
}
