/* bench_gpt2.c - the forward pass of a GPT-2-small-sized transformer (12 layers, 12 heads, width
 * 768, context 1024, vocabulary 50257, tied embeddings: 124,439,808 parameters), with random
 * weights made here: nothing is downloaded.
 *
 * A measurement, not a timed test: it exits 0 whatever the times (1 only when the model cannot be
 * built). Two workloads:
 *   - a batch of 16 prompts of 32 tokens, its rate in GFLOP/s as a fraction of the rate of one
 *     plain sgemm of the MLP's shape (512 x 768 times 768 x 3072, the largest product of the pass)
 *     measured in the same run: the goal is 0.7 or more, i.e. the rest of the pass (attention, layer
 *     norms, the residual adds) costs little beside the products;
 *   - one prompt of 32 tokens (and one of 20), its latency: what re-running on every key costs;
 *   - a key in the explorer on a 20-token prompt: a head's zero ablation in block 6 switched on,
 *     the workspace's evaluation again (the clean run kept, the intervened one from block 6 on),
 *     alone and with a full redraw of the explorer on a headless screen of 100 x 30 and 160 x 48.
 *     Only the keys that switch the ablation on are timed: switching it off runs nothing
 *     worth timing (the clean run is the intervened one).
 * The work counted is the products' 2 m n k: the four projections and the MLP per block, the
 * scores and the mix of every head, and the unembedding. Each time is the best of five runs.
 * Output: NAME VALUE UNIT lines. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif

#include <cblas.h>
#include <curses.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "forward.h"
#include "gpt2.h"
#include "tui.h"
#include "../ui/blas_core.h"

#define RUNS 5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Random weights of GPT-2's scale (sd 0.02), layer norms at 1 and 0; one buffer reused. */
typedef struct {
    float *buf;
    long cap;
    uint64_t s;
} source_state;

static const float *random_tensor(void *user, const char *name, long count, iv_error *err)
{
    (void)err;
    source_state *S = user;
    if (count > S->cap) {
        free(S->buf);
        S->buf = malloc(sizeof(float) * (size_t)count);
        S->cap = count;
    }
    bool ln = strstr(name, "ln_") != NULL;
    bool weight = strstr(name, ".weight") != NULL;
    for (long i = 0; i < count; i++) {
        S->s = S->s * 6364136223846793005u + 1442695040888963407u;
        float u = (float)((S->s >> 40) / 16777216.0) * 2 - 1; /* uniform, sd 0.577 */
        S->buf[i] = ln ? (weight ? 1 : 0) : 0.0346f * u;
    }
    return S->buf;
}

static double flops(const iv_gpt2_config *c, long prompts, int T)
{
    double rows = (double)prompts * T, d = c->d_model;
    double block = 2 * rows * d * (3 * d) + 2 * rows * d * d + 2 * 2 * rows * d * c->d_mlp +
                   2.0 * prompts * c->n_head * T * T * (d / c->n_head) * 2;
    return c->n_layer * block + 2 * rows * d * c->d_vocab;
}

static double best_forward(const iv_model *m, long prompts, int T)
{
    iv_error err;
    iv_acts *a = iv_acts_new(m, prompts, &err);
    if (!a) {
        fprintf(stderr, "bench_gpt2: %s\n", err.msg);
        exit(1);
    }
    float *tokens = malloc(sizeof(float) * (size_t)(prompts * T));
    for (long i = 0; i < prompts * T; i++)
        tokens[i] = (float)((i * 7919) % m->gpt2->d_vocab);
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        iv_forward(m, tokens, a, NULL, NULL);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(tokens);
    iv_acts_free(a);
    return best;
}

static double sgemm_rate(void)
{
    int M = 512, K = 768, N = 3072;
    float *A = calloc((size_t)M * K, sizeof(float)), *B = calloc((size_t)K * N, sizeof(float));
    float *C = calloc((size_t)M * N, sizeof(float));
    for (long i = 0; i < (long)M * K; i++)
        A[i] = (float)(i % 13) * 0.01f;
    for (long i = 0; i < (long)K * N; i++)
        B[i] = (float)(i % 7) * 0.01f;
    double best = 1e30;
    for (int r = 0; r < RUNS * 4; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    free(A);
    free(B);
    free(C);
    return 2.0 * M * N * K / best / 1e9;
}

#define HEAD_ABLATION "ablate blocks.6.attn.hook_z[head=3] zero"

/* The two keys timed: the ablation switched on (`toggle 1` on it while it is off, as 't' runs
 * it), and added (as 'z' adds it: its result reports the output too). `setup` makes the state
 * each run starts from; `undo`, untimed, puts it back before the next run. */
typedef struct {
    const char *name, *setup, *line, *undo;
} key_case;

static const key_case keys[] = {
    {"toggle_head_on", "clear; " HEAD_ABLATION "; toggle 1", "toggle 1", "toggle 1"},
    {"ablate_head", "clear", HEAD_ABLATION, "clear"},
};

static void fail_on(const char *what, const char *why)
{
    fprintf(stderr, "bench_gpt2: %s: %s\n", what, why);
    exit(1);
}

static void run_or_fail(iv_workspace *ws, const char *line)
{
    iv_error err;
    if (iv_script_run(ws, line, "bench", &iv_sink_discard, false, NULL, NULL, &err) != 0)
        fail_on(line, err.msg);
}

/* That a run switched the ablation on: the one thing each key case does. */
static void check_on(const iv_workspace *ws, const key_case *k)
{
    if (ws->count != 1 || !ws->list[0].enabled)
        fail_on(k->line, "did not leave the ablation on");
}

/* The engine alone: the command, its evaluation and its result (to a sink that drops it). */
static double engine_key(iv_workspace *ws, const key_case *k)
{
    run_or_fail(ws, k->setup);
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        run_or_fail(ws, k->line);
        double t = now() - t0;
        check_on(ws, k);
        best = t < best ? t : best;
        run_or_fail(ws, k->undo);
    }
    return best;
}

/* The key with the explorer's redraw on a rows x cols screen: the line run as the key runs it,
 * then the whole screen drawn, with `panel` (heads, lens) under the layers, or NULL for the map. */
static double key_and_redraw(iv_workspace *ws, const key_case *k, int rows, int cols,
                             const char *panel, double *lens_after)
{
    run_or_fail(ws, k->setup);
    resizeterm(rows, cols);
    tui t;
    tui_init(&t, ws);
    t.colour = tui_colour_init();
    t.rows = rows;
    t.cols = cols;
    char line[32];
    snprintf(line, sizeof line, "panel %s", panel ? panel : "effect");
    if (panel && tui_run(&t, line) != 0)
        fail_on(line, t.message);
    /* As the explorer's event loop draws the lens: stale at once, up to date when no key waits;
     * lens_after gets the second frame's time. */
    tui_lens_later(t.lens, lens_after != NULL);
    tui_draw(&t);
    double best = 1e30, best_after = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        int rc = tui_run(&t, k->line);
        tui_draw(&t);
        double dt = now() - t0;
        if (rc != 0)
            fail_on(k->line, t.message);
        check_on(ws, k);
        best = dt < best ? dt : best;
        if (lens_after) {
            if (!tui_lens_pending(t.lens))
                fail_on(k->line, "the lens was not left to draw later");
            t0 = now();
            tui_lens_update(t.lens, ws);
            tui_draw(&t);
            dt = now() - t0;
            best_after = dt < best_after ? dt : best_after;
        }
        tui_popup_free(&t.popup);
        if (tui_run(&t, k->undo) != 0)
            fail_on(k->undo, t.message);
    }
    tui_free(&t);
    if (lens_after)
        *lens_after = best_after;
    return best;
}

static void key_in_explorer(iv_model *m)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(m, &err); /* owns m */
    if (!ws)
        fail_on("workspace", err.msg);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        printf("gpt2_small_key_%s_1x20 %.1f ms (the engine alone)\n", keys[k].name,
               engine_key(ws, &keys[k]) * 1e3);
    setlocale(LC_ALL, "C.UTF-8");
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *screen = out && in ? newterm("xterm-256color", out, in) : NULL;
    if (!screen)
        fail_on("screen", "no xterm-256color terminal description");
    set_term(screen);
    static const int sizes[][2] = {{30, 100}, {48, 160}};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            int rows = sizes[z][0], cols = sizes[z][1];
            double key = key_and_redraw(ws, &keys[k], rows, cols, NULL, NULL);
            printf("gpt2_small_key_%s_redraw_1x20_%dx%d %.1f ms\n", keys[k].name, cols, rows,
                   key * 1e3);
            printf("gpt2_small_key_%s_redraw_1x20_%dx%d_over_100ms %.2f ratio (goal well under "
                   "1)\n", keys[k].name, cols, rows, key / 0.1);
        }
    /* with a transformer's own panels in the map's place: every head of a block, the lens */
    static const char *const panels[] = {"heads", "lens"};
    for (size_t p = 0; p < 2; p++) {
        double after = 0;
        bool lens = strcmp(panels[p], "lens") == 0;
        double key = key_and_redraw(ws, &keys[0], 30, 100, panels[p], lens ? &after : NULL);
        printf("gpt2_small_key_%s_redraw_%s_1x20_100x30 %.1f ms%s\n", keys[0].name, panels[p],
               key * 1e3, lens ? " (the first frame: the last lens, marked as updating)" : "");
        printf("gpt2_small_key_%s_redraw_%s_1x20_100x30_over_100ms %.2f ratio (goal well under "
               "1)\n", keys[0].name, panels[p], key / 0.1);
        if (lens)
            printf("gpt2_small_lens_update_redraw_1x20_100x30 %.1f ms (the lens up to date, "
                   "drawn when no key waits)\n", after * 1e3);
    }
    endwin();
    delscreen(screen);
    fclose(out);
    fclose(in);
    iv_workspace_free(ws);
}

/* The same forward passes in PyTorch (bench/torch_gpt2.py), when $PYTHON (default
 * /usr/bin/python3) has torch: its times and ours as a fraction of them. */
static void same_work_in_torch(double batch, double single)
{
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char cmd[1024], line[256];
    snprintf(cmd, sizeof cmd, "%s %s/bench/torch_gpt2.py 2>/dev/null", python, srcdir);
    FILE *p = popen(cmd, "r");
    double torch_batch = 0, torch_single = 0;
    while (p && fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        sscanf(line, "torch_gpt2_small_forward_16x32 %lf", &torch_batch);
        sscanf(line, "torch_gpt2_small_forward_1x32 %lf", &torch_single);
    }
    if (p && pclose(p) == 0 && torch_batch > 0 && torch_single > 0) {
        printf("gpt2_small_forward_16x32_over_torch %.2f ratio\n", batch * 1e3 / torch_batch);
        printf("gpt2_small_forward_1x32_over_torch %.2f ratio\n", single * 1e3 / torch_single);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    ui_blas_core_fix(argv);
    iv_gpt2_config c = {.n_layer = 12, .n_head = 12, .d_model = 768, .d_mlp = 3072,
                        .n_ctx = 1024, .d_vocab = 50257, .ln_eps = 1e-5f,
                        .act = IV_ACT_GELU_TANH, .tied = true};
    source_state S = {NULL, 0, 42};
    iv_gpt2_source src = {&S, random_tensor};
    iv_error err;
    double t0 = now();
    iv_model *m = iv_gpt2_build("gpt2-small-random", NULL, &c, &src, 32, &err);
    free(S.buf);
    if (!m) {
        fprintf(stderr, "bench_gpt2: %s\n", err.msg);
        return 1;
    }
    printf("gpt2_small_params %ld count\n", m->n_params);
    printf("gpt2_small_build %.3f s\n", now() - t0);
    double rate = sgemm_rate();
    double batch = best_forward(m, 16, 32);
    double batch_rate = flops(&c, 16, 32) / batch / 1e9;
    printf("sgemm_512x768x3072 %.1f GFLOP/s\n", rate);
    printf("gpt2_small_forward_16x32 %.1f ms\n", batch * 1e3);
    printf("gpt2_small_forward_16x32_rate %.1f GFLOP/s\n", batch_rate);
    printf("gpt2_small_forward_16x32_fraction_of_sgemm %.2f ratio (goal >= 0.7)\n",
           batch_rate / rate);
    double single = best_forward(m, 1, 32);
    printf("gpt2_small_forward_1x32 %.1f ms (goal well under 100)\n", single * 1e3);
    iv_model *m20 = iv_gpt2_rebuild(m, 20, &err);
    if (m20) {
        printf("gpt2_small_forward_1x20 %.1f ms\n", best_forward(m20, 1, 20) * 1e3);
        key_in_explorer(m20);
    }
    iv_model_free(m);
    same_work_in_torch(batch, single);
    return 0;
}
