/* test_gpt2_fixtures.c - the engine's GPT-2 against PyTorch: the two transformer samples, read from
 * their HuggingFace checkpoints, give the logits and every hook's activations that
 * sample_models/gpt2_reference.py recorded (tests/fixtures/gpt2/NAME-fixture.npz), clean, with a
 * head zeroed, with a head mean-ablated and with a position patched from a source prompt, to
 * 1e-4 relative. The interventions go through the commands, as a user types them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "formats/formats.h"
#include "formats/npy.h"
#include "gpt2.h"
#include "commands.h"
#include "support.h"
#include "tokenizer.h"

#define TOLERANCE 1e-4

static const char *srcdir(void) { return getenv("srcdir") ? getenv("srcdir") : "."; }

static const iv_npy_array *member(const iv_npz *z, const char *name)
{
    const iv_npz_member *mb = iv_npz_find(z, name);
    if (!mb)
        fail_msg("the fixture has no %s", name);
    return &mb->array;
}

static int scalar(const iv_npz *z, const char *name)
{
    return (int)member(z, name)->data[0];
}

/* Row r of the engine's values against row r of the fixture's: the largest difference, relative to
 * the value's size plus the row's root mean square (so that values near 0 are held to the row's
 * scale, not to their own). */
static double worst_difference(const float *got, const iv_npy_array *want, long r, int width)
{
    if (want->n_cols != width)
        fail_msg("the fixture's row has %ld values, the site %d", want->n_cols, width);
    const double *w = want->data + r * want->n_cols;
    double ss = 0, worst = 0;
    for (int i = 0; i < width; i++)
        ss += w[i] * w[i];
    double rms = sqrt(ss / width);
    for (int i = 0; i < width; i++)
        worst = fmax(worst, fabs(got[i] - w[i]) / (fabs(w[i]) + rms + 1e-30));
    return worst;
}

static void agrees(const char *what, const float *got, const iv_npy_array *want, long r, int width)
{
    double d = worst_difference(got, want, r, width);
    if (!(d <= TOLERANCE))
        fail_msg("%s, prompt %ld: differs from PyTorch by %.3g (relative)", what, r, d);
}

static iv_model *open_sample(const char *name)
{
    char *path = iv_xasprintf("%s/sample_models/%s", srcdir(), name);
    iv_error err;
    iv_model *m = iv_model_load(path, &err);
    free(path);
    if (!m)
        fail_msg("%s", err.msg);
    return m;
}

static void read_fixture(const char *name, iv_npz *z)
{
    char *path = iv_xasprintf("%s/tests/fixtures/gpt2/%s-fixture.npz", srcdir(), name);
    iv_error err;
    if (iv_npz_read(path, z, &err) < 0)
        fail_msg("%s", err.msg);
    free(path);
}

/* The clean run of every prompt: each hook the fixture holds, at every site of the model. */
static void clean_run(const char *name)
{
    iv_model *m = open_sample(name);
    iv_npz z;
    read_fixture(name, &z);
    const iv_npy_array *tok = member(&z, "tokens");
    long B = tok->n_rows;
    int T = (int)tok->n_cols;
    if (T != m->positions) {
        iv_error err;
        iv_model *r = iv_gpt2_rebuild(m, T, &err);
        assert_non_null(r);
        iv_model_free(m);
        m = r;
    }
    float *input = malloc(sizeof(float) * (size_t)(B * T));
    for (long i = 0; i < B * T; i++)
        input[i] = (float)tok->data[i];
    iv_error err;
    iv_acts *a = iv_acts_new(m, B, &err);
    iv_forward(m, input, a, NULL, NULL);
    bool *seen = calloc((size_t)m->n_sites, sizeof(bool));
    int compared = 0;
    for (int k = 0; k < z.n; k++) {
        int s = iv_model_site_find(m, z.members[k].name);
        if (s < 0)
            continue; /* tokens, and the runs with interventions */
        for (long r = 0; r < B; r++)
            agrees(z.members[k].name, a->site[s] + r * m->sites[s].width, &z.members[k].array, r,
                   m->sites[s].width);
        seen[s] = true;
        compared++;
    }
    for (int s = 1; s < m->n_sites; s++)
        if (!seen[s])
            fail_msg("%s: the fixture has no %s", name, m->sites[s].name);
    assert_true(compared >= m->n_sites - 1);
    free(seen);
    free(input);
    iv_acts_free(a);
    iv_npz_free(&z);
    iv_model_free(m);
}

static void test_tiny_max_clean(void **state)
{
    (void)state;
    clean_run("tiny-max");
}

static void test_induction_clean(void **state)
{
    (void)state;
    clean_run("induction");
}

/* A line of token ids for `input` or `source`. */
static char *ids_of(const iv_npy_array *tok, long r)
{
    iv_buf b = {0};
    for (long p = 0; p < tok->n_cols; p++)
        iv_buf_printf(&b, " %.0f", tok->data[r * tok->n_cols + p]);
    return b.data;
}

static void check_logits(iv_workspace *ws, const iv_npz *z, const char *key, long r)
{
    int out = iv_model_output_site(ws->model);
    agrees(key, ws->intervened->site[out], member(z, key), r, ws->model->sites[out].width);
}

/* Every block's output in the intervened run. A patch of blocks.L.hook_resid_pre acts on the one
 * site that is also blocks.(L-1).hook_resid_post, where PyTorch records the value before its hook
 * rewrites it (TransformerLens's two hooks on one tensor): there the patched position is left out
 * (skip_layer, skip_pos; -1 for none), and the rest must agree. */
static void check_resid(iv_workspace *ws, const iv_npz *z, const char *run, long r, int skip_layer,
                        int skip_pos)
{
    const iv_model *m = ws->model;
    for (int L = 0; L < m->gpt2->n_layer; L++) {
        char key[96], site[64];
        snprintf(key, sizeof key, "%s.blocks.%d.hook_resid_post", run, L);
        snprintf(site, sizeof site, "blocks.%d.hook_resid_post", L);
        int s = iv_model_site_find(m, site), d = m->sites[s].inner;
        const iv_npy_array *want = member(z, key);
        for (int p = 0; p < m->positions; p++) {
            if (L == skip_layer && p == skip_pos)
                continue;
            /* one position's values, as a row of their own */
            iv_npy_array one = {2, 1, d, want->data + r * want->n_cols + (long)p * d};
            agrees(key, ws->intervened->site[s] + p * d, &one, 0, d);
        }
    }
}

/* Zero and mean ablation of a head and a patch at one position, typed as commands. The mean is over
 * the fixture's prompts, which the workspace's dataset holds. */
static void intervened_runs(const char *name)
{
    iv_npz z;
    read_fixture(name, &z);
    const iv_npy_array *tok = member(&z, "tokens"), *src = member(&z, "patch.source");
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample(name), &err);
    assert_non_null(ws);
    char *line = iv_xasprintf("positions %ld", tok->n_cols);
    test_run(ws, line);
    free(line);
    /* the prompts as a dataset */
    char path[] = "/tmp/iv-fixture-prompts-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (long p = 0; p < tok->n_cols; p++)
        fprintf(f, "%st%ld", p ? "," : "", p);
    fprintf(f, "\n");
    for (long r = 0; r < tok->n_rows; r++)
        for (long p = 0; p < tok->n_cols; p++)
            fprintf(f, "%.0f%s", tok->data[r * tok->n_cols + p], p + 1 < tok->n_cols ? "," : "\n");
    fclose(f);
    line = iv_xasprintf("data load %s", path);
    test_run(ws, line);
    free(line);
    for (long r = 0; r < tok->n_rows; r++) {
        char *base = ids_of(tok, r), *source = ids_of(src, r);
        line = iv_xasprintf("clear; source none; input%s; ablate blocks.%d.attn.hook_z[head=%d] zero",
                            base, scalar(&z, "zero.layer"), scalar(&z, "zero.head"));
        test_run(ws, line);
        free(line);
        check_logits(ws, &z, "zero.logits", r);
        check_resid(ws, &z, "zero", r, -1, -1);
        line = iv_xasprintf("clear; ablate blocks.%d.attn.hook_z[head=%d] mean",
                            scalar(&z, "mean.layer"), scalar(&z, "mean.head"));
        test_run(ws, line);
        free(line);
        check_logits(ws, &z, "mean.logits", r);
        line = iv_xasprintf("clear; source%s; patch blocks.%d.hook_resid_pre[pos=%d]", source,
                            scalar(&z, "patch.layer"), scalar(&z, "patch.pos"));
        test_run(ws, line);
        free(line);
        check_logits(ws, &z, "patch.logits", r);
        check_resid(ws, &z, "patch", r, scalar(&z, "patch.layer") - 1, scalar(&z, "patch.pos"));
        free(base);
        free(source);
    }
    unlink(path);
    iv_workspace_free(ws);
    iv_npz_free(&z);
}

static void test_tiny_max_interventions(void **state)
{
    (void)state;
    intervened_runs("tiny-max");
}

static void test_induction_interventions(void **state)
{
    (void)state;
    intervened_runs("induction");
}

/* The llm.c export of tiny-max holds the same weights, so it gives the same logits. */
static void test_llmc_same_model(void **state)
{
    (void)state;
    iv_model *hf = open_sample("tiny-max"), *llmc = open_sample("tiny-max/model.bin");
    assert_int_equal(hf->n_params, llmc->n_params);
    assert_memory_equal(hf->params, llmc->params, sizeof(float) * (size_t)hf->n_params);
    iv_model_free(hf);
    iv_model_free(llmc);
}

/* tiny-max opens on its prompt, "3 5 =", with all 100 prompts "X Y =" as its dataset, as its
 * config.json says; a dataset of ids outside the vocabulary is refused, naming the row. */
static void test_opens_on_its_prompts(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("tiny-max"), &err);
    assert_non_null(ws);
    assert_int_equal(ws->data->n, 100);
    assert_true(ws->base[0] == 3 && ws->base[1] == 5 && ws->base[2] == 10);
    for (long r = 0; r < 100; r++)
        assert_true(ws->data->x[r * 3 + 2] == 10);
    /* input and source take a prompt's text as prompt does; ids stay ids */
    test_run(ws, "input 7 2 =; source 2 7 =");
    assert_true(ws->base[0] == 7 && ws->base[1] == 2 && ws->base[2] == 10);
    assert_true(ws->has_source && ws->source[0] == 2 && ws->source[1] == 7 && ws->source[2] == 10);
    test_run(ws, "input 4 4 10");
    assert_true(ws->base[0] == 4 && ws->base[2] == 10);
    assert_non_null(strstr(test_run_fails(ws, "source 2 ="), "the source has 2 tokens where the "
                                                             "prompt has 3"));
    assert_non_null(strstr(test_run_fails(ws, "input 3 x ="), "has no token \"x\""));
    assert_non_null(strstr(test_run_fails(ws, "data grid t0=0:11:1 t1=0:1:1 t2=10:10:1"),
                           "row 11, t0: 11 is not a token id (the vocabulary has 11: 0 to 10)"));
    iv_workspace_free(ws);
}

/* IIA and DAS read a transformer's prediction at its last position, and attribution runs through
 * its backward pass. On tiny-max, which gets every
 * prompt right, the output variable of "m = max" aligned with the whole final residual stream at
 * the last position has IIA 1 (a patch there hands over the source's answer), and so does a DAS
 * rotation spanning the whole site, trained or not; the comparison aligned with it, "big", is
 * right only where patching the answer leaves it unchanged (a tenth of the pairs). */
static void test_iia_and_das(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("tiny-max"), &err);
    assert_non_null(ws);
    test_run(ws, "causal \"m = t0 > t1 ? t0 : t1\"; align m resid2[pos=-1]");
    assert_true(test_number(ws, "iia", IV_RESULT_IIA, "factual_accuracy") == 1);
    assert_true(test_number(ws, "iia", IV_RESULT_IIA, "iia") == 1);
    test_run(ws, "unalign m");
    assert_true(test_number(ws, "das m resid2 dims=96 epochs=1", IV_RESULT_DAS, "iia") == 1);
    test_run(ws, "unalign m; causal \"big = t0 > t1; out = big ? t0 : t1\"; align big resid2[pos=2]");
    assert_true(fabs(test_number(ws, "iia", IV_RESULT_IIA, "iia") - 0.1) < 1e-12);
    /* attribution's first-order estimate of a patch follows the patch itself (0.94 here: the
     * network is not linear, so not 1) */
    test_run(ws, "source 5 3 10");
    double r = test_number(ws, "attribute resid1", IV_RESULT_SCAN, "correlation");
    assert_true(r > 0.8 && r <= 1);
    iv_workspace_free(ws);
}

/* Zeroes the values at idx (n of them) of one site in every row, as the forward pass goes. */
typedef struct {
    int site, n;
    const int *idx;
} zeroing;

static void zero_hook(int site, float *v, long rows, int width, void *user)
{
    const zeroing *z = user;
    if (site == z->site)
        for (long r = 0; r < rows; r++)
            for (int i = 0; i < z->n; i++)
                v[r * width + z->idx[i]] = 0;
}

static double log_softmax_at(const float *y, int w, int k)
{
    double top = y[0], sum = 0;
    for (int j = 1; j < w; j++)
        top = fmax(top, y[j]);
    for (int j = 0; j < w; j++)
        sum += exp(y[j] - top);
    return y[k] - top - log(sum);
}

/* A transformer's loss gap is the KL of its next-token distribution at the last position, clean
 * against intervened, averaged over the dataset; its accuracy, how often the top token stays:
 * computed here from two forward passes, against what effect reports. */
static void test_next_token_loss(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("tiny-max"), &err);
    assert_non_null(ws);
    const iv_model *m = ws->model;
    test_run(ws, "ablate z1[head=0] zero");
    double gap = test_number(ws, "effect", IV_RESULT_EFFECT, "loss_gap");
    double accuracy = test_number(ws, "effect", IV_RESULT_EFFECT, "accuracy");
    iv_addr a;
    assert_int_equal(iv_addr_parse(m, "z1[head=0]", &a, &err), 0);
    zeroing z = {a.site, a.n, a.idx};
    long n = ws->data->n;
    iv_acts *clean = iv_acts_new(m, n, &err), *zeroed = iv_acts_new(m, n, &err);
    iv_forward(m, ws->data->x, clean, NULL, NULL);
    iv_forward(m, ws->data->x, zeroed, zero_hook, &z);
    int out = iv_model_output_site(m), w = m->sites[out].width, V = m->gpt2->d_vocab;
    double kl = 0, same = 0;
    for (long r = 0; r < n; r++) {
        const float *c = clean->site[out] + r * w + w - V, *y = zeroed->site[out] + r * w + w - V;
        int tc = 0, ty = 0;
        for (int k = 0; k < V; k++) {
            double lp = log_softmax_at(c, V, k);
            kl += exp(lp) * (lp - log_softmax_at(y, V, k)) / n;
            tc = c[k] > c[tc] ? k : tc;
            ty = y[k] > y[ty] ? k : ty;
        }
        same += (tc == ty) / (double)n;
    }
    assert_true(kl > 0 && fabs(gap - kl) <= 1e-6 * kl + 1e-9);
    assert_true(fabs(accuracy - same) < 1e-12);
    /* metric logit-diff A B: the fall of logit(A) - logit(B) at the last position */
    test_run(ws, "metric logit-diff 5 \"3\"");
    double fall = 0, before = 0;
    for (long r = 0; r < n; r++) {
        const float *c = clean->site[out] + r * w + w - V, *y = zeroed->site[out] + r * w + w - V;
        before += (c[5] - c[3]) / (double)n;
        fall += ((c[5] - c[3]) - (y[5] - y[3])) / (double)n;
    }
    assert_true(fabs(test_number(ws, "effect", IV_RESULT_EFFECT, "loss_gap") - fall) <= 1e-5);
    assert_true(fabs(test_number(ws, "effect", IV_RESULT_EFFECT, "logit_diff_clean") - before) <=
                1e-5);
    /* its gradient drives optimal ablation, which finds a constant whose fall is below zero's
     * (the metric is signed: the search may even widen the difference) */
    test_run(ws, "clear; ablate z1[head=0] optimal");
    assert_true(test_number(ws, "effect", IV_RESULT_EFFECT, "loss_gap") < fall);
    /* saved by the tokens' ids, and read back */
    char *session = iv_session_script(ws);
    assert_non_null(strstr(session, "metric logit-diff id:5 id:3\n"));
    free(session);
    assert_non_null(strstr(test_run_fails(ws, "metric logit-diff 5 id:99"), "no token \"id:99\""));
    test_run(ws, "metric logit-diff id:5 id:3");
    assert_true(ws->logit_diff[0] == 5 && ws->logit_diff[1] == 3);
    test_run(ws, "metric clean");
    assert_true(ws->logit_diff[0] == -1);
    iv_acts_free(clean);
    iv_acts_free(zeroed);
    iv_addr_clear(&a);
    iv_workspace_free(ws);
}

/* patch-scan resid and heads against PyTorch's scans of the same prompts (make_scan_fixture.py),
 * to 1e-4 of each table's scale; and a cell equals the single patch it stands for. */
static void scan_against_pytorch(const char *name)
{
    char *path = iv_xasprintf("%s/tests/fixtures/gpt2/%s-scan.npz", srcdir(), name);
    iv_npz z;
    iv_error err;
    if (iv_npz_read(path, &z, &err) < 0)
        fail_msg("%s", err.msg);
    free(path);
    const iv_npy_array *base = member(&z, "base"), *source = member(&z, "source");
    const iv_npy_array *tokens = member(&z, "tokens");
    iv_workspace *ws = iv_workspace_new(open_sample(name), &err);
    assert_non_null(ws);
    char *b = ids_of(base, 0), *src = ids_of(source, 0);
    char *line = iv_xasprintf("positions %ld; input%s; source%s; metric logit-diff id:%.0f id:%.0f",
                              base->n_cols, b, src, tokens->data[0], tokens->data[1]);
    test_run(ws, line);
    free(line);
    static const char *const kinds[2] = {"resid", "heads"};
    for (int k = 0; k < 2; k++) {
        const iv_npy_array *want = member(&z, kinds[k]);
        line = iv_xasprintf("patch-scan %s", kinds[k]);
        json_object *scan = test_result(ws, line, IV_RESULT_PATCH_SCAN);
        free(line);
        json_object *table = json_object_object_get(scan, "table");
        assert_int_equal((long)json_object_array_length(table), want->n_rows);
        double scale = 0;
        for (long i = 0; i < want->n_rows * want->n_cols; i++)
            scale = fmax(scale, fabs(want->data[i]));
        for (long L = 0; L < want->n_rows; L++) {
            json_object *row = json_object_array_get_idx(table, L);
            for (long col = 0; col < want->n_cols; col++) {
                char key[32];
                snprintf(key, sizeof key, k ? "head %ld" : "pos %ld", col);
                double got = json_object_get_double(json_object_object_get(row, key));
                double w = want->data[L * want->n_cols + col];
                if (!(fabs(got - w) <= TOLERANCE * scale))
                    fail_msg("%s %s block %ld %s: %g, PyTorch %g", name, kinds[k], L, key, got, w);
            }
        }
        json_object_put(scan);
    }
    /* one cell is the patch it stands for: the last block's input at the last position */
    char *patch = iv_xasprintf("patch blocks.%d.hook_resid_pre[pos=-1]", ws->model->gpt2->n_layer - 1);
    test_run(ws, patch);
    free(patch);
    int out = iv_model_output_site(ws->model), off, V;
    iv_model_prediction(ws->model, &off, &V);
    const float *y = ws->intervened->site[out] + off;
    const iv_npy_array *resid = member(&z, "resid");
    double cell = resid->data[resid->n_rows * resid->n_cols - 1];
    assert_true(fabs(((double)y[(int)tokens->data[0]] - y[(int)tokens->data[1]]) - cell) <=
                TOLERANCE * (1 + fabs(cell)));
    /* what it refuses, in one line each (noise needs a dataset: tiny-max has one) */
    if (ws->data) {
        test_run(ws, "clear; ablate z0[head=0] noise sigma=1");
        assert_non_null(strstr(test_run_fails(ws, "patch-scan resid"),
                               "a random intervention is on"));
    }
    test_run(ws, "clear; source none");
    assert_non_null(strstr(test_run_fails(ws, "patch-scan heads"), "no source prompt to patch from"));
    assert_non_null(strstr(test_run_fails(ws, "patch-scan mlp"), "expected resid"));
    free(b);
    free(src);
    iv_workspace_free(ws);
    iv_npz_free(&z);
}

static void test_patch_scans(void **state)
{
    (void)state;
    scan_against_pytorch("tiny-max");
    scan_against_pytorch("induction");
}

static char *write_text(const char *text)
{
    char *path = iv_xstrdup("/tmp/iv-prompts-XXXXXX.txt");
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Datasets of prompts: a file (one a line, label columns after a tab) and a template with slots,
 * each prompt tokenised; what they hold, their specs, and their errors, each naming the line. */
static void test_prompt_datasets(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("tiny-max"), &err);
    assert_non_null(ws);
    char *path = write_text("prompt\tbig\r\n3 5 =\t1\r\n# a comment\n\n5 3 =\t0\n7 7 =\t0\n");
    char *line = iv_xasprintf("data prompts %s", path);
    test_run(ws, line);
    free(line);
    assert_int_equal(ws->data->n, 3);
    assert_int_equal(ws->data->n_labels, 1);
    assert_string_equal(ws->data->label_names[0], "big");
    static const float want[9] = {3, 5, 10, 5, 3, 10, 7, 7, 10};
    assert_memory_equal(ws->data->x, want, sizeof want);
    assert_true(ws->data->labels[0] == 1 && ws->data->labels[1] == 0 && ws->data->labels[2] == 0);
    unlink(path);
    free(path);
    /* every filling, the first slot fastest, each slot a label of its value's index */
    test_run(ws, "data template \"{A} {B} =\" A=1,2,3 B=4,5; ablate z1[head=0] mean");
    assert_int_equal(ws->data->n, 6);
    assert_true(ws->data->x[1 * 3 + 0] == 2 && ws->data->x[1 * 3 + 1] == 4);
    assert_true(ws->data->x[3 * 3 + 0] == 1 && ws->data->x[3 * 3 + 1] == 5);
    assert_true(ws->data->labels[5 * 2 + 0] == 2 && ws->data->labels[5 * 2 + 1] == 1);
    assert_string_equal(ws->data->spec, "template \"{A} {B} =\" A=1,2,3 B=4,5");
    char *session = iv_session_script(ws);
    assert_non_null(strstr(session, "data template \"{A} {B} =\" A=1,2,3 B=4,5\n"));
    free(session);
    /* errors name the file and line, or the filling */
    path = write_text("3 5 =\n3 5\n");
    line = iv_xasprintf("clear; data prompts %s", path);
    const char *msg = test_run_fails(ws, line);
    char *where = iv_xasprintf("%s:2: \"3 5\" has 2 tokens where the model is built for 3", path);
    if (!strstr(msg, where))
        fail_msg("'%s' does not say '%s'", msg, where);
    free(where);
    free(line);
    unlink(path);
    free(path);
    path = write_text("3 5 =\tx\n");
    line = iv_xasprintf("data prompts %s", path);
    assert_non_null(strstr(test_run_fails(ws, line), ":1: label 'x' is not a number"));
    free(line);
    unlink(path);
    free(path);
    assert_non_null(strstr(test_run_fails(ws, "data template \"{A} {C} =\" A=1,2"),
                           "template: '{C}' names no slot given"));
    assert_non_null(strstr(test_run_fails(ws, "data template \"{A} 5 =\" A=1,x"),
                           "template, filling 1: the vocabulary"));
    assert_non_null(strstr(test_run_fails(ws, "data prompts /nonexistent/p.txt"),
                           "/nonexistent/p.txt"));
    iv_workspace_free(ws);
    iv_workspace *mlp = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(strstr(test_run_fails(mlp, "data template \"{A}\" A=1"),
                           "datasets of prompts are for transformers"));
    iv_workspace_free(mlp);
}

/* The induction sample's layer 1 head 0 is an induction head, as its README says: on its prompt
 * "<bos> r r" (r of 8 tokens), each query of the repeat attends to the key after its token's first
 * occurrence (query - 7) with nearly all its weight; the table names the positions by their
 * tokens, and a head's zero ablation leaves its clean pattern as it was. */
static void test_attention_table(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("induction"), &err);
    assert_non_null(ws);
    json_object *got =
        test_result(ws, "ablate z1[head=0] zero; attention 1 0 clean", IV_RESULT_PATCH_SCAN);
    json_object *rows = json_object_object_get(got, "pattern");
    assert_int_equal((int)json_object_array_length(rows), 17);
    for (int q = 9; q < 17; q++) {
        json_object *row = json_object_array_get_idx(rows, q);
        const char *query = json_object_get_string(json_object_object_get(row, "query"));
        double on = 0, sum = 0;
        json_object_object_foreach(row, key, val) {
            if (strcmp(key, "query") == 0)
                continue;
            sum += json_object_get_double(val);
            if (atoi(key) == q - 7)
                on = json_object_get_double(val);
        }
        if (!(on > 0.9 && fabs(sum - 1) < 0.01))
            fail_msg("query %s: %.3f on key %d, %.3f in all", query, on, q - 7, sum);
    }
    /* the first repeated token: query 9 is "H" again, and key 2 the token after the first "H" */
    json_object *row9 = json_object_array_get_idx(rows, 9);
    assert_string_equal(json_object_get_string(json_object_object_get(row9, "query")), "9 \"H\"");
    json_object_put(got);
    assert_non_null(strstr(test_run_fails(ws, "attention 2 0"), "expected a block from 0 to 1"));
    assert_non_null(strstr(test_run_fails(ws, "attention 1 4"), "expected a head from 0 to 3"));
    assert_non_null(strstr(test_run_fails(ws, "attention 1 0 sideways"),
                           "expected clean, intervened or difference"));
    iv_workspace_free(ws);
}

/* The logit lens's last row is the model's own output: at every position, its top token is the
 * top of the logits there, with the probability their softmax gives. */
static void test_logit_lens(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("induction"), &err);
    assert_non_null(ws);
    json_object *got = test_result(ws, "logit-lens clean", IV_RESULT_PATCH_SCAN);
    json_object *rows = json_object_object_get(got, "lens");
    int L = ws->model->gpt2->n_layer, T = ws->model->positions, V = ws->model->gpt2->d_vocab;
    assert_int_equal((int)json_object_array_length(rows), L + 1);
    json_object *last = json_object_array_get_idx(rows, L);
    const float *logits = ws->clean->site[iv_model_output_site(ws->model)];
    int p = 0;
    json_object_object_foreach(last, key, val) {
        if (strcmp(key, "site") == 0)
            continue;
        const float *y = logits + (long)p * V;
        int top = 0;
        for (int k = 1; k < V; k++)
            top = y[k] > y[top] ? k : top;
        char want[64];
        snprintf(want, sizeof want, "\"%s\" %.2f", iv_tokenizer_token(ws->model->tokenizer, top),
                 exp(log_softmax_at(y, V, top)));
        assert_string_equal(json_object_get_string(val), want);
        p++;
    }
    assert_int_equal(p, T);
    json_object_put(got);
    assert_non_null(strstr(test_run_fails(ws, "logit-lens sideways"), "expected clean or intervened"));
    iv_workspace_free(ws);
}

/* Steering at one position of a transformer site: the vector is the difference of the label's
 * class means at that position, and it moves those values by exactly alpha v and no others;
 * probes and LEACE fit a whole transformer site. */
static void test_concepts_on_positions(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(open_sample("tiny-max"), &err);
    assert_non_null(ws);
    test_run(ws, "label big = t0 > t1; steer resid1[pos=2] big alpha=2");
    const iv_model *m = ws->model;
    int site = iv_model_site_find(m, "resid1"), d = m->gpt2->d_model, T = m->positions;
    iv_acts *all = iv_acts_new(m, ws->data->n, &err);
    iv_forward(m, ws->data->x, all, NULL, NULL);
    for (int k = 0; k < d; k++) {
        double pos = 0, neg = 0;
        long np = 0, nn = 0;
        for (long r = 0; r < ws->data->n; r++) {
            float v = all->site[site][r * T * d + 2 * d + k];
            bool big = ws->data->x[r * 3] > ws->data->x[r * 3 + 1];
            if (big)
                pos += v, np++;
            else
                neg += v, nn++;
        }
        double want = ws->clean->site[site][2 * d + k] + 2 * (pos / np - neg / nn);
        assert_true(fabs(ws->intervened->site[site][2 * d + k] - want) <= 1e-5 * (1 + fabs(want)));
    }
    assert_memory_equal(ws->intervened->site[site], ws->clean->site[site],
                        sizeof(float) * (size_t)(2 * d)); /* the positions before: unchanged */
    iv_acts_free(all);
    test_run(ws, "clear");
    double acc = test_number(ws, "probe resid1 big", IV_RESULT_PROBE, "holdout_accuracy");
    assert_true(acc >= 0 && acc <= 1);
    test_run(ws, "leace resid1 big");
    assert_int_equal(ws->count, 1);
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_max_clean),
        cmocka_unit_test(test_induction_clean),
        cmocka_unit_test(test_tiny_max_interventions),
        cmocka_unit_test(test_induction_interventions),
        cmocka_unit_test(test_llmc_same_model),
        cmocka_unit_test(test_opens_on_its_prompts),
        cmocka_unit_test(test_iia_and_das),
        cmocka_unit_test(test_next_token_loss),
        cmocka_unit_test(test_patch_scans),
        cmocka_unit_test(test_prompt_datasets),
        cmocka_unit_test(test_attention_table),
        cmocka_unit_test(test_logit_lens),
        cmocka_unit_test(test_concepts_on_positions),
    };
    return cmocka_run_group_tests_name("gpt2_fixtures", tests, NULL, NULL);
}
