/* test_kinds.c - the table of intervention kinds: an entry for every kind, names that parse back,
 * words that read back as what a session saves, help that lists every kind, and the backward hook:
 * replacing kinds stop the gradient at exactly their neurons, noise passes it through, the list is
 * walked in reverse, disabled ones and other sites are skipped, and optimal's parameter gradients
 * are the row sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "kinds.h"

enum { ROWS = 3, WIDTH = 5 };

/* ---- the table ------------------------------------------------------------------------------- */

static void test_every_kind_has_an_entry(void **state)
{
    (void)state;
    int n;
    const iv_kind_info *kinds = iv_kinds(&n);
    assert_int_equal(n, IV_KIND_COUNT);
    for (int k = 0; k < IV_KIND_COUNT; k++) {
        const iv_kind_info *info = iv_kind_info_of((iv_kind)k);
        assert_non_null(info);
        assert_int_equal(info->kind, k);
        assert_non_null(info->name);
        assert_non_null(info->usage);
        assert_non_null(info->help);
        assert_non_null(info->apply);
        assert_ptr_equal(iv_kind_find(info->name), info);
        iv_kind back;
        assert_int_equal(iv_kind_parse(info->name, &back), 0);
        assert_int_equal(back, k);
        assert_string_equal(iv_kind_name((iv_kind)k), info->name);
        /* The usage starts with the name, as ablate reads it. */
        assert_int_equal(strncmp(info->usage, info->name, strlen(info->name)), 0);
        /* Replacing kinds stop the gradient; a trainable one has parameter gradients. */
        if (info->flags & (IV_KIND_REPLACES | IV_KIND_TRAINABLE))
            assert_non_null(info->backward);
        /* A kind whose values vary from row to row has no fixed value to report. */
        if (info->flags & IV_KIND_RANDOM)
            assert_null(info->fixed_value);
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_true(strcmp(kinds[i].name, kinds[j].name) != 0);
    assert_null(iv_kind_find("erase"));
    assert_null(iv_kind_info_of(IV_KIND_COUNT));
}

static void test_flags(void **state)
{
    (void)state;
    assert_true(iv_kind_is_stochastic(IV_NOISE));
    assert_true(iv_kind_is_stochastic(IV_RESAMPLE));
    assert_false(iv_kind_is_stochastic(IV_ZERO));
    assert_false(iv_kind_is_stochastic(IV_OPTIMAL));
    assert_true(iv_kind_needs_stats(IV_MEAN));
    assert_true(iv_kind_needs_stats(IV_NOISE));
    assert_true(iv_kind_needs_stats(IV_RESAMPLE));
    assert_true(iv_kind_needs_stats(IV_OPTIMAL));
    assert_false(iv_kind_needs_stats(IV_ZERO));
    assert_false(iv_kind_needs_stats(IV_SET));
    assert_false(iv_kind_needs_stats(IV_PATCH));
    assert_true(iv_kind_info_of(IV_PATCH)->flags & IV_KIND_NEEDS_SOURCE);
    assert_true(iv_kind_info_of(IV_OPTIMAL)->flags & IV_KIND_TRAINABLE);
    assert_false(iv_kind_info_of(IV_NOISE)->flags & IV_KIND_REPLACES);
    iv_intervention noise = {.kind = IV_NOISE, .k = 3};
    assert_true(iv_intervention_uses_reference(&noise));
    noise.sigma = 0.5; /* absolute: no statistics */
    assert_false(iv_intervention_uses_reference(&noise));
}

/* ---- reading the words after the kind -------------------------------------------------------- */

static int parse(iv_intervention *iv, iv_kind kind, const char *text, iv_error *err)
{
    memset(iv, 0, sizeof *iv);
    iv->kind = kind;
    iv->enabled = true;
    iv->k = IV_DEFAULT_NOISE_K;
    iv->samples = IV_DEFAULT_SAMPLES;
    iv->seed = 1;
    char **argv;
    int argc = iv_words_split(text, &argv, err);
    assert_true(argc >= 0);
    int rc = iv_kind_parse_words(iv, argc, argv, err);
    iv_words_free(argv);
    return rc;
}

static void test_options(void **state)
{
    (void)state;
    iv_intervention iv;
    iv_error err;
    assert_int_equal(parse(&iv, IV_NOISE, "k=2 std=site samples=7 seed=5", &err), 0);
    assert_float_equal(iv.k, 2, 0);
    assert_true(iv.site_std);
    assert_int_equal(iv.samples, 7);
    assert_int_equal(iv.seed, 5);
    assert_int_equal(parse(&iv, IV_NOISE, "sigma=0.25", &err), 0);
    assert_float_equal(iv.sigma, 0.25, 0);
    assert_int_equal(parse(&iv, IV_RESAMPLE, "samples=3 seed=0", &err), 0);
    assert_int_equal(iv.samples, 3);
    assert_int_equal(iv.seed, 0);
    assert_int_equal(parse(&iv, IV_SET, "2.5", &err), 0);
    assert_float_equal(iv.value, 2.5, 0);

    assert_int_equal(parse(&iv, IV_SET, "", &err), -1);
    assert_string_equal(err.msg, "set needs a finite value, e.g. 'ablate h1[0] set 2'");
    assert_int_equal(parse(&iv, IV_ZERO, "q=1", &err), -1);
    assert_string_equal(err.msg, "'q=1': zero ablation takes no option 'q'");
    assert_int_equal(parse(&iv, IV_ZERO, "q", &err), -1);
    assert_string_equal(err.msg,
                        "'q': options are KEY=VALUE (k, sigma, std, samples, seed, dims, basis, rank, "
                        "eraser, alpha, vector)");
    assert_int_equal(parse(&iv, IV_NOISE, "x=1", &err), -1);
    assert_string_equal(err.msg,
                        "'x=1': noise ablation takes no option 'x' (options: k, sigma, std, "
                        "samples, seed)");
    assert_int_equal(parse(&iv, IV_RESAMPLE, "k=1", &err), -1);
    assert_string_equal(err.msg,
                        "'k=1': resample ablation takes no option 'k' (options: samples, seed)");
    assert_int_equal(parse(&iv, IV_NOISE, "std=layer", &err), -1);
    assert_string_equal(err.msg, "std=layer: expected std=neuron or std=site");
    assert_int_equal(parse(&iv, IV_NOISE, "samples=0", &err), -1);
    assert_int_equal(parse(&iv, IV_SET, "1 seed=2", &err), -1);
    assert_string_equal(err.msg, "'seed=2': set ablation takes no option 'seed'");
}

/* What a session writes after the kind reads back as the same intervention. */
static void test_session_words_read_back(void **state)
{
    (void)state;
    static int idx[] = {0, 2};
    iv_addr addr = {.site = 0, .n = 2, .idx = idx};
    double found[] = {1.5, -2};
    iv_intervention saved[] = {
        {.kind = IV_ZERO, .addr = addr},
        {.kind = IV_SET, .addr = addr, .value = 0.1f}, /* a float's value, as %.9g keeps it */
        {.kind = IV_MEAN, .addr = addr},
        {.kind = IV_NOISE, .addr = addr, .k = 2.5, .site_std = true, .samples = 4, .seed = 8},
        {.kind = IV_NOISE, .addr = addr, .k = 3, .sigma = 0.75, .samples = 10, .seed = 1},
        {.kind = IV_RESAMPLE, .addr = addr, .samples = 6, .seed = 3},
        {.kind = IV_PATCH, .addr = addr},
        {.kind = IV_OPTIMAL, .addr = addr, .values = found},
    };
    for (size_t i = 0; i < sizeof saved / sizeof saved[0]; i++) {
        char *words = iv_kind_session_words(&saved[i]);
        iv_intervention back;
        iv_error err;
        if (parse(&back, saved[i].kind, words, &err) < 0)
            fail_msg("%s '%s': %s", iv_kind_name(saved[i].kind), words, err.msg);
        back.addr = addr;
        if (saved[i].kind == IV_OPTIMAL) {
            assert_string_equal(words, ""); /* found again when replayed */
            back.values = found;
        }
        char *p1 = iv_intervention_params(&saved[i]), *p2 = iv_intervention_params(&back);
        assert_string_equal(p1, p2);
        assert_float_equal(back.value, saved[i].value, 0);
        free(p1);
        free(p2);
        free(words);
    }
}

static void test_params_text(void **state)
{
    (void)state;
    static int idx[] = {1, 3};
    iv_addr addr = {.site = 0, .n = 2, .idx = idx};
    double found[] = {0.5, 4};
    struct {
        iv_intervention iv;
        const char *params;
    } cases[] = {
        {{.kind = IV_ZERO, .addr = addr}, ""},
        {{.kind = IV_SET, .addr = addr, .value = 2}, "value=2"},
        {{.kind = IV_MEAN, .addr = addr}, ""},
        {{.kind = IV_NOISE, .addr = addr, .k = 3, .samples = 10, .seed = 1},
         "k=3 std=neuron samples=10 seed=1"},
        {{.kind = IV_NOISE, .addr = addr, .sigma = 0.5, .samples = 2, .seed = 7},
         "sigma=0.5 samples=2 seed=7"},
        {{.kind = IV_RESAMPLE, .addr = addr, .samples = 10, .seed = 4}, "samples=10 seed=4"},
        {{.kind = IV_PATCH, .addr = addr}, ""},
        {{.kind = IV_OPTIMAL, .addr = addr, .values = found}, "a=0.5,4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = iv_intervention_params(&cases[i].iv);
        assert_string_equal(p, cases[i].params);
        free(p);
    }
}

/* ---- help and the command table -------------------------------------------------------------- */

static void test_ablate_help_lists_every_kind(void **state)
{
    (void)state;
    const iv_command *c = iv_command_find("ablate");
    assert_non_null(c);
    assert_string_equal(c->usage,
                        "ADDR zero|mean|noise|resample|optimal|set V|patch|rotate dims=K|project rank=K "
                        "eraser=...|add alpha=A vector=... [OPTIONS]");
    int n;
    const iv_kind_info *kinds = iv_kinds(&n);
    for (int i = 0; i < n; i++) {
        assert_non_null(strstr(c->usage, kinds[i].usage));
        assert_non_null(strstr(iv_kinds_names(), kinds[i].name));
        /* Each kind's line in the detail: "  USAGE   HELP". */
        char line[200];
        size_t first = strcspn(kinds[i].help, "\n");
        snprintf(line, sizeof line, "  %-21s%.*s\n", kinds[i].usage, (int)first, kinds[i].help);
        if (!strstr(c->detail, line))
            fail_msg("help ablate lacks '%s'", line);
    }
    assert_string_equal(iv_kinds_names(),
                        "zero, mean, noise, resample, optimal, set, patch, rotate, project, add");
    /* Continuation lines are indented under the first. */
    assert_non_null(strstr(c->detail, "\n                       std=neuron|site (per-neuron std"));
    /* What Tab offers after a kind are its KEY= options. */
    const char *const *words = iv_kind_info_of(IV_NOISE)->completions;
    assert_non_null(words);
    assert_string_equal(words[0], "k=");
    assert_null(iv_kind_info_of(IV_ZERO)->completions);
}

/* ---- the backward hook ----------------------------------------------------------------------- */

static void fill_grad(float *g)
{
    for (int i = 0; i < ROWS * WIDTH; i++)
        g[i] = (float)(0.25 * (i + 1) - 1.1 * (i % 3)); /* distinct, some negative */
}

static bool addressed(const iv_addr *a, int i)
{
    for (int j = 0; j < a->n; j++)
        if (a->idx[j] == i)
            return true;
    return false;
}

static void test_backward_replacing_kinds(void **state)
{
    (void)state;
    static int idx[] = {1, 3};
    iv_addr addr = {.site = 2, .n = 2, .idx = idx};
    double values[2] = {0.5, -1};
    for (int k = 0; k < IV_KIND_COUNT; k++) {
        const iv_kind_info *info = iv_kind_info_of((iv_kind)k);
        iv_intervention iv = {.kind = (iv_kind)k, .enabled = true, .addr = addr, .value = 2,
                              .k = 3, .samples = 2, .seed = 1, .values = values};
        iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 1};
        float g[ROWS * WIDTH], before[ROWS * WIDTH];
        fill_grad(g);
        memcpy(before, g, sizeof g);
        iv_apply_backward_hook(2, g, ROWS, WIDTH, &ctx);
        for (int r = 0; r < ROWS; r++)
            for (int i = 0; i < WIDTH; i++) {
                float want = (info->flags & IV_KIND_REPLACES) && addressed(&addr, i)
                                 ? 0.0f : before[r * WIDTH + i];
                if (g[r * WIDTH + i] != want)
                    fail_msg("%s: row %d neuron %d: %g, not %g", info->name, r, i,
                             g[r * WIDTH + i], want);
            }
        /* At another site it does nothing. */
        fill_grad(g);
        iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
        assert_memory_equal(g, before, sizeof g);
    }
    assert_true(iv_kind_info_of(IV_ZERO)->flags & IV_KIND_REPLACES);
    assert_true(iv_kind_info_of(IV_SET)->flags & IV_KIND_REPLACES);
    assert_true(iv_kind_info_of(IV_MEAN)->flags & IV_KIND_REPLACES);
    assert_true(iv_kind_info_of(IV_RESAMPLE)->flags & IV_KIND_REPLACES);
    assert_true(iv_kind_info_of(IV_PATCH)->flags & IV_KIND_REPLACES);
    assert_true(iv_kind_info_of(IV_OPTIMAL)->flags & IV_KIND_REPLACES);
}

static void test_backward_noise_passes_through(void **state)
{
    (void)state;
    static int idx[] = {0, 1, 2, 3, 4};
    iv_intervention iv = {.kind = IV_NOISE, .enabled = true,
                          .addr = {.site = 0, .n = 5, .idx = idx}, .sigma = 2, .samples = 3,
                          .seed = 4};
    iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 3};
    float g[ROWS * WIDTH], before[ROWS * WIDTH];
    fill_grad(g);
    memcpy(before, g, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    assert_memory_equal(g, before, sizeof g);
}

static double row_sum(const float *g, int i)
{
    double s = 0;
    for (long r = 0; r < ROWS; r++)
        s += g[r * WIDTH + i];
    return s;
}

static void test_backward_optimal_param_grad(void **state)
{
    (void)state;
    static int idx[] = {0, 2, 4};
    double values[3] = {1, 2, 3};
    iv_intervention iv = {.kind = IV_OPTIMAL, .enabled = true,
                          .addr = {.site = 1, .n = 3, .idx = idx}, .values = values};
    double pg[3] = {0, 0, 0}, *param_grad[1] = {pg};
    iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 1, .param_grad = param_grad};
    float g[ROWS * WIDTH], before[ROWS * WIDTH];
    fill_grad(g);
    memcpy(before, g, sizeof g);
    iv_apply_backward_hook(1, g, ROWS, WIDTH, &ctx);
    for (int j = 0; j < 3; j++) {
        double want = row_sum(before, idx[j]); /* bitwise: the same sum in the same order */
        assert_memory_equal(&pg[j], &want, sizeof want);
    }
    for (int r = 0; r < ROWS; r++)
        for (int i = 0; i < WIDTH; i++)
            assert_true(g[r * WIDTH + i] == (i % 2 == 0 ? 0.0f : before[r * WIDTH + i]));
    /* It adds to what the buffer holds (a pass in several batches). */
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(1, g, ROWS, WIDTH, &ctx);
    for (int j = 0; j < 3; j++)
        assert_float_equal(pg[j], 2 * row_sum(before, idx[j]), 1e-12);
    /* Without param_grad, or with a NULL entry, it only stops the gradient. */
    double *none[1] = {NULL};
    ctx.param_grad = none;
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(1, g, ROWS, WIDTH, &ctx);
    assert_true(g[0] == 0.0f);
    ctx.param_grad = NULL;
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(1, g, ROWS, WIDTH, &ctx);
    assert_true(g[2] == 0.0f && g[1] == before[1]);
}

/* Two on one site: the later one is undone first. */
static void test_backward_reverse_order_and_disabled(void **state)
{
    (void)state;
    static int both[] = {1, 2}, one[] = {1};
    double values[2] = {5, 6};
    float g[ROWS * WIDTH], before[ROWS * WIDTH];
    fill_grad(before);

    /* optimal on 1, 2 then zero on 1: the output no longer depends on the constant at 1. */
    iv_intervention list[2] = {
        {.kind = IV_OPTIMAL, .enabled = true, .addr = {.site = 0, .n = 2, .idx = both},
         .values = values},
        {.kind = IV_ZERO, .enabled = true, .addr = {.site = 0, .n = 1, .idx = one}},
    };
    double pg[2] = {0, 0}, *param_grad[2] = {pg, NULL};
    iv_apply_ctx ctx = {.list = list, .count = 2, .samples = 1, .param_grad = param_grad};
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    assert_true(pg[0] == 0);
    assert_true(pg[1] == row_sum(before, 2));

    /* zero on 1 then optimal on 1, 2: both constants reach the output. */
    iv_intervention swapped[2] = {list[1], list[0]};
    double pg2[2] = {0, 0}, *param_grad2[2] = {NULL, pg2};
    ctx = (iv_apply_ctx){.list = swapped, .count = 2, .samples = 1, .param_grad = param_grad2};
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    assert_true(pg2[0] == row_sum(before, 1));
    assert_true(pg2[1] == row_sum(before, 2));

    /* A disabled zero is skipped: the constant at 1 gets its gradient again. */
    list[1].enabled = false;
    pg[0] = pg[1] = 0;
    ctx = (iv_apply_ctx){.list = list, .count = 2, .samples = 1, .param_grad = param_grad};
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    assert_true(pg[0] == row_sum(before, 1));
    /* A disabled optimal is skipped too: nothing changes, nothing is added. */
    list[0].enabled = false;
    pg[0] = pg[1] = 0;
    memcpy(g, before, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    assert_memory_equal(g, before, sizeof g);
    assert_true(pg[0] == 0 && pg[1] == 0);
}

/* The forward hook, for the kinds that need no dataset: what each writes. */
static void test_forward_fixed_kinds(void **state)
{
    (void)state;
    static int idx[] = {0, 3};
    double values[2] = {7, -8};
    float src[WIDTH] = {10, 11, 12, 13, 14};
    float *src_site[1] = {src};
    int src_width[1] = {WIDTH};
    iv_acts source = {.n = 1, .n_sites = 1, .site = src_site, .width = src_width};
    iv_intervention list[] = {
        {.kind = IV_ZERO, .enabled = true, .addr = {.site = 0, .n = 1, .idx = idx}},
        {.kind = IV_SET, .enabled = true, .addr = {.site = 0, .n = 1, .idx = idx + 1},
         .value = 2},
    };
    iv_apply_ctx ctx = {.list = list, .count = 2, .samples = 1, .source = &source};
    float v[ROWS * WIDTH];
    fill_grad(v);
    float before[ROWS * WIDTH];
    memcpy(before, v, sizeof v);
    iv_apply_hook(0, v, ROWS, WIDTH, &ctx);
    for (int r = 0; r < ROWS; r++) {
        assert_true(v[r * WIDTH] == 0);
        assert_true(v[r * WIDTH + 3] == 2);
        assert_true(v[r * WIDTH + 1] == before[r * WIDTH + 1]);
    }
    iv_intervention more[] = {
        {.kind = IV_OPTIMAL, .enabled = true, .addr = {.site = 0, .n = 2, .idx = idx},
         .values = values},
        {.kind = IV_PATCH, .enabled = true, .addr = {.site = 0, .n = 1, .idx = idx + 1}},
    };
    ctx.list = more;
    iv_apply_hook(0, v, ROWS, WIDTH, &ctx);
    for (int r = 0; r < ROWS; r++) {
        assert_true(v[r * WIDTH] == 7);
        assert_true(v[r * WIDTH + 3] == 13); /* patched after optimal set it */
    }
    /* What ablate reports as the fixed values. */
    assert_float_equal(iv_kind_info_of(IV_PATCH)->fixed_value(&more[1], &ctx, 0), 13, 0);
    assert_float_equal(iv_kind_info_of(IV_OPTIMAL)->fixed_value(&more[0], &ctx, 1), -8, 0);
    assert_float_equal(iv_kind_info_of(IV_SET)->fixed_value(&list[1], &ctx, 0), 2, 0);
    assert_float_equal(iv_kind_info_of(IV_ZERO)->fixed_value(&list[0], &ctx, 0), 0, 0);
}

/* ---- rotate: h' = h + (h_s - h) Q^T Q ---------------------------------------------------------- */

/* One source row broadcast to the batch: the activations of a model-less site of WIDTH. */
static iv_acts *one_site_acts(int sites, const float *rows, long n)
{
    iv_acts *a = iv_xcalloc(1, sizeof *a);
    a->n = n;
    a->n_sites = sites;
    a->site = iv_xcalloc((size_t)sites, sizeof(float *));
    a->width = iv_xcalloc((size_t)sites, sizeof(int));
    for (int s = 0; s < sites; s++) {
        a->width[s] = WIDTH;
        a->site[s] = iv_xmalloc(sizeof(float) * (size_t)(n * WIDTH));
        memcpy(a->site[s], rows, sizeof(float) * (size_t)(n * WIDTH));
    }
    return a;
}

static void free_acts(iv_acts *a)
{
    for (int s = 0; s < a->n_sites; s++)
        free(a->site[s]);
    free(a->site);
    free(a->width);
    free(a);
}

/* Neurons 1 and 3 of site 1, a one-dimensional subspace along (0.6, 0.8): each row moves by
 * ((h_s - h) . q) q there, and nowhere else; with two dimensions it is a patch of both. */
static void test_rotate_forward(void **state)
{
    (void)state;
    static int idx[] = {1, 3};
    double q1[2] = {0.6, 0.8}, q2[4] = {0.6, 0.8, -0.8, 0.6};
    const float base[WIDTH] = {1, 2, 3, 4, 5}, src[WIDTH] = {9, -1, 9, 7, 9};
    float rows[2 * WIDTH];
    memcpy(rows, base, sizeof base);
    memcpy(rows + WIDTH, base, sizeof base);
    iv_acts *source = one_site_acts(2, src, 1);
    iv_intervention iv = {.kind = IV_ROTATE, .enabled = true,
                          .addr = {.site = 1, .n = 2, .idx = idx}, .dims = 1, .values = q1};
    iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 1, .source = source};
    iv_apply_hook(1, rows, 2, WIDTH, &ctx);
    double c = (-1 - 2) * 0.6 + (7 - 4) * 0.8; /* d . q = 0.6 */
    const float want[WIDTH] = {1, (float)(2 + c * 0.6), 3, (float)(4 + c * 0.8), 5};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < WIDTH; i++)
            assert_float_equal(rows[r * WIDTH + i], want[i], 1e-6);
    iv.dims = 2;
    iv.values = q2;
    memcpy(rows, base, sizeof base);
    iv_apply_hook(1, rows, 1, WIDTH, &ctx);
    const float patched[WIDTH] = {1, -1, 3, 7, 5};
    for (int i = 0; i < WIDTH; i++)
        assert_float_equal(rows[i], patched[i], 1e-6);
    free_acts(source);
}

/* f = sum_i c_i h'_i is linear in h' : dL/dh = c (I - P) on the addressed neurons, and dL/dQ
 * from the values before the rewrite (ctx.before), both against central differences. */
static double rotate_objective(const iv_intervention *iv, const iv_apply_ctx *ctx, const float *h,
                               const float *c)
{
    float rows[ROWS * WIDTH];
    memcpy(rows, h, sizeof rows);
    iv_apply_hook(iv->addr.site, rows, ROWS, WIDTH, (void *)ctx);
    double f = 0;
    for (int i = 0; i < ROWS * WIDTH; i++)
        f += (double)c[i] * rows[i];
    return f;
}

static void test_rotate_backward(void **state)
{
    (void)state;
    static int idx[] = {0, 2, 4};
    double q[6];
    float h[ROWS * WIDTH], c[ROWS * WIDTH], src[ROWS * WIDTH];
    for (int i = 0; i < ROWS * WIDTH; i++) {
        h[i] = (float)(0.3 * i - 1);
        src[i] = (float)(1.5 - 0.2 * i * (i % 2 ? -1 : 1));
        c[i] = (float)(0.5 + 0.1 * (i % 4));
    }
    iv_intervention iv = {.kind = IV_ROTATE, .enabled = true,
                          .addr = {.site = 0, .n = 3, .idx = idx}, .dims = 2, .values = q};
    iv_error err;
    iv.seed = 7;
    iv.values = NULL;
    assert_int_equal(iv_kind_info_of(IV_ROTATE)->prepare(&iv, &err), 0); /* a random basis */
    memcpy(q, iv.values, sizeof q);
    free(iv.values);
    iv.values = q;
    iv_acts *source = one_site_acts(1, src, ROWS), *before = one_site_acts(1, h, ROWS);
    double pg[6] = {0}, *param_grad[1] = {pg};
    iv_apply_ctx ctx = {.list = &iv, .count = 1, .samples = 1, .source = source,
                        .param_grad = param_grad, .before = before};
    float g[ROWS * WIDTH];
    memcpy(g, c, sizeof g);
    iv_apply_backward_hook(0, g, ROWS, WIDTH, &ctx);
    const double eps = 1e-3;
    for (int i = 0; i < ROWS * WIDTH; i++) { /* dL/dh */
        float hp[ROWS * WIDTH], hm[ROWS * WIDTH];
        memcpy(hp, h, sizeof hp);
        memcpy(hm, h, sizeof hm);
        hp[i] += (float)eps;
        hm[i] -= (float)eps;
        double fd = (rotate_objective(&iv, &ctx, hp, c) - rotate_objective(&iv, &ctx, hm, c)) /
                    (2 * eps);
        assert_float_equal(g[i], fd, 2e-3);
    }
    for (int k = 0; k < 6; k++) { /* dL/dQ, each entry moved on its own */
        double keep = q[k];
        q[k] = keep + eps;
        double up = rotate_objective(&iv, &ctx, h, c);
        q[k] = keep - eps;
        double down = rotate_objective(&iv, &ctx, h, c);
        q[k] = keep;
        double fd = (up - down) / (2 * eps);
        if (fabs(pg[k] - fd) > 2e-3 * fmax(1, fabs(fd)))
            fail_msg("dL/dQ[%d]: backward %.6g, differences %.6g", k, pg[k], fd);
    }
    free_acts(source);
    free_acts(before);
}

/* Its words: dims=, basis= (checked against the address once it is known), seed=; and a saved
 * session's words read back to the same basis. */
static void test_rotate_words(void **state)
{
    (void)state;
    static int idx[] = {0, 1};
    const iv_kind_info *info = iv_kind_info_of(IV_ROTATE);
    iv_intervention iv;
    iv_error err;
    assert_int_equal(parse(&iv, IV_ROTATE, "dims=1 basis=0.6,0.8", &err), 0);
    iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
    assert_int_equal(info->prepare(&iv, &err), 0);
    char *words = iv_kind_session_words(&iv);
    assert_string_equal(words, "dims=1 basis=0.6,0.8");
    free(words);
    free(iv.values);
    assert_int_equal(parse(&iv, IV_ROTATE, "seed=3", &err), 0);
    iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
    assert_int_equal(info->prepare(&iv, &err), -1);
    assert_string_equal(err.msg, "rotate needs dims=K, the subspace's dimension (1 to 2)");
    assert_int_equal(parse(&iv, IV_ROTATE, "dims=3", &err), 0);
    iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
    assert_int_equal(info->prepare(&iv, &err), -1);
    assert_string_equal(err.msg, "dims=3: the subspace cannot have more dimensions than the 2 "
                                 "neurons addressed");
    assert_int_equal(parse(&iv, IV_ROTATE, "dims=1 basis=1,1", &err), 0);
    iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
    assert_int_equal(info->prepare(&iv, &err), -1);
    assert_string_equal(err.msg, "basis=: its 1 rows are not orthonormal");
    free(iv.values);
    assert_int_equal(parse(&iv, IV_ROTATE, "dims=2 basis=1,0,0", &err), 0);
    iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
    assert_int_equal(info->prepare(&iv, &err), -1);
    assert_string_equal(err.msg, "basis=: 3 numbers given; dims=2 over 2 neurons needs 4");
    free(iv.values);
    assert_int_equal(parse(&iv, IV_ROTATE, "dims=1 basis=1,x", &err), -1);
    assert_string_equal(err.msg, "basis=: 'x' is not a finite number");
    free(iv.values);
    /* The same seed draws the same basis, orthonormal; another seed another. */
    double first[4];
    for (int pass = 0; pass < 3; pass++) {
        assert_int_equal(parse(&iv, IV_ROTATE, pass < 2 ? "dims=2 seed=5" : "dims=2 seed=6",
                               &err), 0);
        iv.addr = (iv_addr){.site = 1, .n = 2, .idx = idx};
        assert_int_equal(info->prepare(&iv, &err), 0);
        double dot = iv.values[0] * iv.values[2] + iv.values[1] * iv.values[3];
        assert_true(fabs(dot) < 1e-12);
        assert_float_equal(iv.values[0] * iv.values[0] + iv.values[1] * iv.values[1], 1, 1e-12);
        if (pass == 0)
            memcpy(first, iv.values, sizeof first);
        else if (pass == 1)
            assert_memory_equal(first, iv.values, sizeof first);
        else
            assert_true(memcmp(first, iv.values, sizeof first) != 0);
        free(iv.values);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_has_an_entry),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_session_words_read_back),
        cmocka_unit_test(test_params_text),
        cmocka_unit_test(test_ablate_help_lists_every_kind),
        cmocka_unit_test(test_backward_replacing_kinds),
        cmocka_unit_test(test_backward_noise_passes_through),
        cmocka_unit_test(test_backward_optimal_param_grad),
        cmocka_unit_test(test_backward_reverse_order_and_disabled),
        cmocka_unit_test(test_forward_fixed_kinds),
        cmocka_unit_test(test_rotate_forward),
        cmocka_unit_test(test_rotate_backward),
        cmocka_unit_test(test_rotate_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
