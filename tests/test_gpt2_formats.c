/* test_gpt2_formats.c - the GPT-2 checkpoint readers: HuggingFace's config.json + model.safetensors
 * and llm.c's .bin. Checkpoints are written from C (gpt2_files.h) for random small configs, in both
 * formats and every variant (names with and without "transformer.", with and without the legacy
 * buffers, F32, F16 and BF16; llm.c versions 1, 3 and 5), and every tensor the readers hand over is
 * compared, exactly, with what was written, through the transposes. Then: both readers build the
 * same model from the same weights; the shipped samples read the same in both formats; the
 * tokenizer and prompt beside a checkpoint; a GPT-2-small-sized checkpoint (about 500 MB, written
 * to a temporary directory and deleted); and the hostile corpus tests/bad_gpt2/, each file of which
 * must fail with a one-line message naming it.
 *
 * Test files go into a fresh mkdtemp directory; the corpus and the samples are read from `srcdir`
 * (default "."). */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "forward.h"
#include "formats/formats.h"
#include "formats/gpt2_hf.h"
#include "formats/llmc.h"
#include "gpt2.h"
#include "gpt2_files.h"
#include "model.h"
#include "support.h"
#include "tokenizer.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/iv_gpt2f_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char *cmd = iv_xasprintf("rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* A fresh subdirectory of the test's directory. */
static char *subdir(void **state, const char *name)
{
    char *d = iv_xasprintf("%s/%s", ((fixture *)*state)->dir, name);
    char *cmd = iv_xasprintf("rm -rf '%s' && mkdir -p '%s'", d, d);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return d;
}

static char *src_path(const char *rel)
{
    const char *dir = getenv("srcdir");
    return iv_xasprintf("%s/%s", dir && *dir ? dir : ".", rel);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* A model failed to open, with a one-line message starting with `file` and containing `part`. */
static void expect_failure(const void *opened, const iv_error *err, const char *file,
                           const char *part)
{
    if (opened)
        fail_msg("opened, but expected the error: %s: ...%s...", file, part);
    if (strncmp(err->msg, file, strlen(file)) != 0 || !strstr(err->msg, part))
        fail_msg("\n  got:  %s\n  want: %s: ...%s...", err->msg, file, part);
    assert_null(strchr(err->msg, '\n'));
}

static iv_gpt2_config small_config(int L, int H, int d, int V, int ctx)
{
    return (iv_gpt2_config){.n_layer = L, .n_head = H, .d_model = d, .d_mlp = 4 * d,
                            .n_ctx = ctx, .d_vocab = V, .ln_eps = 1e-5f,
                            .act = IV_ACT_GELU_TANH, .tied = true};
}

/* 0 .. n - 1 from a seeded generator. */
static int next_int(unsigned *s, int n)
{
    *s = *s * 1103515245u + 12345u;
    return (int)((*s >> 16) % (unsigned)n);
}

/* A random config within small bounds. */
static iv_gpt2_config random_config(unsigned *s)
{
    int H = 1 + next_int(s, 3), dh = 1 + next_int(s, 4);
    int L = 1 + next_int(s, 3), V = 2 + next_int(s, 20), ctx = 1 + next_int(s, 7);
    iv_gpt2_config c = small_config(L, H, H * dh, V, ctx);
    if (next_int(s, 2)) /* n_inner given, or not */
        c.d_mlp = 1 + next_int(s, 3 * c.d_model);
    return c;
}

static void assert_config(const iv_gpt2_config *got, const iv_gpt2_config *want)
{
    assert_int_equal(got->n_layer, want->n_layer);
    assert_int_equal(got->n_head, want->n_head);
    assert_int_equal(got->d_model, want->d_model);
    assert_int_equal(got->d_mlp, want->d_mlp);
    assert_int_equal(got->n_ctx, want->n_ctx);
    assert_int_equal(got->d_vocab, want->d_vocab);
    assert_true(got->ln_eps == want->ln_eps);
    assert_int_equal(got->act, want->act);
    assert_int_equal(got->tied, want->tied);
}

/* Every tensor gpt2.h names for config c, with its count; returns how many (at most max). */
typedef struct named_count {
    char name[48];
    long count;
} named_count;

static int tensor_list(const iv_gpt2_config *c, named_count *out, int max)
{
    long d = c->d_model, m = c->d_mlp;
    int n = 0;
#define ADD(cnt, ...)                                                                              \
    do {                                                                                           \
        assert_true(n < max);                                                                      \
        snprintf(out[n].name, sizeof out[n].name, __VA_ARGS__);                                    \
        out[n++].count = (cnt);                                                                    \
    } while (0)
    ADD((long)c->d_vocab * d, "wte");
    ADD((long)c->n_ctx * d, "wpe");
    for (int L = 0; L < c->n_layer; L++) {
        ADD(d, "h.%d.ln_1.weight", L);
        ADD(d, "h.%d.ln_1.bias", L);
        ADD(3 * d * d, "h.%d.attn.c_attn.weight", L);
        ADD(3 * d, "h.%d.attn.c_attn.bias", L);
        ADD(d * d, "h.%d.attn.c_proj.weight", L);
        ADD(d, "h.%d.attn.c_proj.bias", L);
        ADD(d, "h.%d.ln_2.weight", L);
        ADD(d, "h.%d.ln_2.bias", L);
        ADD(m * d, "h.%d.mlp.c_fc.weight", L);
        ADD(m, "h.%d.mlp.c_fc.bias", L);
        ADD(d * m, "h.%d.mlp.c_proj.weight", L);
        ADD(d, "h.%d.mlp.c_proj.bias", L);
    }
    ADD(d, "ln_f.weight");
    ADD(d, "ln_f.bias");
    if (!c->tied)
        ADD((long)c->d_vocab * d, "lm_head.weight");
#undef ADD
    return n;
}

/* Every tensor of the source equals the written values, exactly. */
static void check_tensors(const iv_gpt2_source *src, const iv_gpt2_config *c, unsigned seed,
                          gpt2_files_dtype t)
{
    named_count list[16 * 4 + 8];
    int n = tensor_list(c, list, (int)(sizeof list / sizeof list[0]));
    for (int k = 0; k < n; k++) {
        iv_error err = {{0}};
        const float *v = src->tensor(src->user, list[k].name, list[k].count, &err);
        if (!v)
            fail_msg("tensor '%s': %s", list[k].name, err.msg);
        for (long i = 0; i < list[k].count; i++) {
            float want = gpt2_files_value(seed, list[k].name, i, t);
            if (v[i] != want)
                fail_msg("tensor '%s' element %ld: got %.9g, want %.9g", list[k].name, i,
                         (double)v[i], (double)want);
        }
    }
}

static const char *dtype_name(gpt2_files_dtype t)
{
    return t == GPT2_FILES_F32 ? "F32" : t == GPT2_FILES_F16 ? "F16" : "BF16";
}

/* ---- HuggingFace ------------------------------------------------------------------------------- */

/* Every variant of the format, for random configs, opened by each of the three paths. */
static void test_hf_variants(void **state)
{
    const gpt2_files_hf variants[] = {
        {.dtype = GPT2_FILES_F32, .prefix = true, .buffers = true},
        {.dtype = GPT2_FILES_F32},
        {.dtype = GPT2_FILES_F16},
        {.dtype = GPT2_FILES_BF16},
        {.dtype = GPT2_FILES_F16, .prefix = true, .buffers = true, .bool_mask = true},
        {.dtype = GPT2_FILES_BF16, .prefix = true},
        {.dtype = GPT2_FILES_F32, .buffers = true, .lm_head = true}, /* tied: lm_head ignored */
    };
    unsigned s = 20240901;
    for (int round = 0; round < 4; round++)
        for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
            iv_gpt2_config c = random_config(&s);
            c.tied = !(round == 3 && v < 2); /* and two untied, with their lm_head */
            unsigned seed = s;
            char *dir = subdir(state, "hf");
            /* n_inner: null when it is 4 d_model, as HuggingFace writes it */
            iv_gpt2_config written = c;
            if (c.d_mlp == 4 * c.d_model)
                written.d_mlp = 0;
            assert_int_equal(gpt2_files_write_hf(dir, &written, seed, &variants[v]), 0);
            char *paths[3] = {iv_xstrdup(dir), iv_xasprintf("%s/config.json", dir),
                              iv_xasprintf("%s/model.safetensors", dir)};
            for (int p = 0; p < 3; p++) {
                iv_gpt2_config got;
                iv_error err = {{0}};
                iv_gpt2_hf_file *f = iv_gpt2_hf_open(paths[p], &got, &err);
                if (!f)
                    fail_msg("variant %zu (%s), round %d, %s: %s", v,
                             dtype_name(variants[v].dtype), round, paths[p], err.msg);
                assert_config(&got, &c);
                assert_string_equal(iv_gpt2_hf_dir(f), dir);
                assert_null(iv_gpt2_hf_prompt(f));
                iv_gpt2_source src = iv_gpt2_hf_source(f);
                if (p == 0)
                    check_tensors(&src, &c, seed, variants[v].dtype);
                iv_gpt2_hf_close(f);
                free(paths[p]);
            }
            free(dir);
        }
}

/* A checkpoint saved in shards reads through its index as the same checkpoint in one file does:
 * every tensor exactly as written, opened by the directory, the index or config.json; and the
 * models built from the two are the same, parameter for parameter. */
static void test_hf_shards(void **state)
{
    unsigned s = 20261202;
    for (int shards = 2; shards <= 5; shards += 3) {
        iv_gpt2_config c = random_config(&s);
        c.d_mlp = 0;
        iv_gpt2_config want = c;
        want.d_mlp = 4 * c.d_model;
        char *one = subdir(state, "one"), *split = subdir(state, "split");
        gpt2_files_hf single = {.dtype = GPT2_FILES_BF16, .prefix = true, .buffers = true};
        gpt2_files_hf sharded = single;
        sharded.shards = shards;
        assert_int_equal(gpt2_files_write_hf(one, &c, s, &single), 0);
        assert_int_equal(gpt2_files_write_hf(split, &c, s, &sharded), 0);
        char *index = iv_xasprintf("%s/model.safetensors.index.json", split);
        char *alone = iv_xasprintf("%s/model.safetensors", split);
        assert_true(access(alone, F_OK) != 0); /* only the shards and their index */
        char *paths[3] = {iv_xstrdup(split), iv_xstrdup(index), iv_xasprintf("%s/config.json",
                                                                             split)};
        for (int p = 0; p < 3; p++) {
            assert_true(iv_gpt2_hf_is_checkpoint(paths[p]));
            iv_gpt2_config got;
            iv_error err = {{0}};
            iv_gpt2_hf_file *f = iv_gpt2_hf_open(paths[p], &got, &err);
            if (!f)
                fail_msg("%d shards, %s: %s", shards, paths[p], err.msg);
            assert_config(&got, &want);
            iv_gpt2_source src = iv_gpt2_hf_source(f);
            check_tensors(&src, &want, s, GPT2_FILES_BF16);
            iv_gpt2_hf_close(f);
            free(paths[p]);
        }
        iv_error err = {{0}};
        iv_model *a = iv_model_load_gpt2_hf(one, &err), *b = iv_model_load_gpt2_hf(split, &err);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->n_params, b->n_params);
        assert_memory_equal(a->params, b->params, sizeof(float) * (size_t)a->n_params);
        iv_model_free(a);
        iv_model_free(b);
        free(index);
        free(alone);
        free(one);
        free(split);
    }
}

/* A broken index: each fails with a one-line message naming the index or the shard, and the tensor
 * or the file. */
static void test_hf_shards_refused(void **state)
{
    iv_gpt2_config c = small_config(1, 2, 4, 7, 5);
    static const struct {
        const char *from, *to; /* in the index's text; NULL: a shard's file is removed */
        const char *want;
    } cases[] = {
        {"\"model-00001-of-00002.safetensors\"", "\"../model-00001-of-00002.safetensors\"",
         "a shard is named by a file beside the index"},
        {"\"model-00001-of-00002.safetensors\"", "\"/etc/passwd\"",
         "a shard is named by a file beside the index"},
        {"\"model-00001-of-00002.safetensors\"", "7", "a shard is named by a file beside"},
        {"\"weight_map\"", "\"weights\"", "no \"weight_map\" object"},
        {"\"transformer.wte.weight\": \"model-00001-of-00002.safetensors\"",
         "\"transformer.wte.weight\": \"model-00002-of-00002.safetensors\"",
         "'transformer.wte.weight' is listed in"},
        {"\"transformer.wte.weight\": \"model-00001-of-00002.safetensors\",", "",
         "tensor 'transformer.wte.weight' is not in the index"},
        {"{", "{{", "not valid JSON"},
        {NULL, NULL, "model-00002-of-00002.safetensors"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *dir = subdir(state, "bad");
        gpt2_files_hf o = {.dtype = GPT2_FILES_F32, .prefix = true, .shards = 2};
        assert_int_equal(gpt2_files_write_hf(dir, &c, 3, &o), 0);
        char *index = iv_xasprintf("%s/model.safetensors.index.json", dir);
        if (cases[k].from) {
            size_t len;
            iv_error err;
            char *text = iv_read_file(index, 1 << 20, &len, &err);
            assert_non_null(text);
            char *at = strstr(text, cases[k].from);
            assert_non_null(at);
            char *edited = iv_xasprintf("%.*s%s%s", (int)(at - text), text, cases[k].to,
                                        at + strlen(cases[k].from));
            write_text(index, edited);
            free(edited);
            free(text);
        } else {
            char *shard = iv_xasprintf("%s/model-00002-of-00002.safetensors", dir);
            assert_int_equal(remove(shard), 0);
            free(shard);
        }
        iv_gpt2_config got;
        iv_error err = {{0}};
        iv_gpt2_hf_file *f = iv_gpt2_hf_open(dir, &got, &err);
        if (f)
            fail_msg("case %zu opened", k);
        if (!strstr(err.msg, cases[k].want) || strchr(err.msg, '\n') ||
            !strstr(err.msg, dir))
            fail_msg("case %zu: '%s' does not say '%s' naming a file of %s", k, err.msg,
                     cases[k].want, dir);
        free(index);
        free(dir);
    }
}

/* What the source refuses: a name gpt2.h does not have, or another count than the config's. */
static void test_hf_source_refuses(void **state)
{
    iv_gpt2_config c = small_config(2, 2, 8, 11, 5), got;
    char *dir = subdir(state, "hf");
    gpt2_files_hf o = {.dtype = GPT2_FILES_F32};
    assert_int_equal(gpt2_files_write_hf(dir, &c, 1, &o), 0);
    iv_error err = {{0}};
    iv_gpt2_hf_file *f = iv_gpt2_hf_open(dir, &got, &err);
    assert_non_null(f);
    iv_gpt2_source src = iv_gpt2_hf_source(f);
    char *st = iv_xasprintf("%s/model.safetensors", dir);
    expect_failure(src.tensor(src.user, "h.2.ln_1.weight", 8, &err), &err, st,
                   "no tensor 'h.2.ln_1.weight'");
    expect_failure(src.tensor(src.user, "lm_head.weight", 88, &err), &err, st,
                   "no tensor 'lm_head.weight'"); /* tied: never handed over */
    expect_failure(src.tensor(src.user, "wte", 87, &err), &err, st,
                   "tensor 'wte.weight' holds 88 values, not 87");
    assert_non_null(src.tensor(src.user, "wte", 88, &err)); /* still usable */
    iv_gpt2_hf_close(f);
    free(st);
    free(dir);
}

/* config.json's keys: defaults, alternatives and the options that are refused. */
static void test_hf_config_keys(void **state)
{
    iv_gpt2_config c = small_config(1, 2, 4, 5, 3), got;
    char *dir = subdir(state, "hf");
    gpt2_files_hf o = {.dtype = GPT2_FILES_F32};
    assert_int_equal(gpt2_files_write_hf(dir, &c, 7, &o), 0);
    char *config = iv_xasprintf("%s/config.json", dir);
    iv_error err = {{0}};

    /* The fewest keys: HuggingFace's defaults for the rest; n_ctx for n_positions. */
    write_text(config, "{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, "
                       "\"n_ctx\": 3, \"vocab_size\": 5}");
    iv_gpt2_hf_file *f = iv_gpt2_hf_open(dir, &got, &err);
    if (!f)
        fail_msg("%s", err.msg);
    assert_config(&got, &c);
    iv_gpt2_hf_close(f);

    /* Every activation GPT-2 configs name, a given epsilon and a prompt. */
    const struct {
        const char *name;
        iv_activation act;
    } acts[] = {{"gelu_new", IV_ACT_GELU_TANH}, {"gelu_pytorch_tanh", IV_ACT_GELU_TANH},
                {"gelu_fast", IV_ACT_GELU_TANH}, {"gelu", IV_ACT_GELU}};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        char *text = iv_xasprintf(
            "{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, "
            "\"n_positions\": 3, \"n_ctx\": 99, \"vocab_size\": 5, \"n_inner\": null, "
            "\"layer_norm_epsilon\": 0.001, \"activation_function\": \"%s\", "
            "\"tie_word_embeddings\": true, \"intervene_prompt\": \"a b\"}", acts[a].name);
        write_text(config, text);
        free(text);
        f = iv_gpt2_hf_open(config, &got, &err);
        if (!f)
            fail_msg("%s", err.msg);
        assert_int_equal(got.act, acts[a].act);
        assert_int_equal(got.n_ctx, 3); /* n_positions wins over n_ctx */
        assert_true(got.ln_eps == 0.001f);
        assert_string_equal(iv_gpt2_hf_prompt(f), "a b");
        iv_gpt2_hf_close(f);
    }

    /* Keys that are wrong, each named. */
    const struct {
        const char *json, *part;
    } bad[] = {
        {"{\"model_type\": \"gpt2\", \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5}", "missing key \"n_layer\""},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, "
         "\"vocab_size\": 5}", "missing key \"n_positions\" (or \"n_ctx\")"},
        {"{\"n_layer\": 1}", "missing key \"model_type\""},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1.5}", "\"n_layer\" is 1.5, not an integer"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 49}", "\"n_layer\" is 49; it must be from 1 to 48"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"n_inner\": 0}", "\"n_inner\" is 0; it must be from 1 to 65536"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"layer_norm_epsilon\": -1}", "\"layer_norm_epsilon\" is -1"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"activation_function\": \"relu\"}",
         "\"activation_function\" \"relu\" is not one this tool runs"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"tie_word_embeddings\": 1}", "\"tie_word_embeddings\" is 1, not true "
         "or false"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"scale_attn_by_inverse_layer_idx\": true}",
         "\"scale_attn_by_inverse_layer_idx\": true is not supported"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"scale_attn_weights\": false}",
         "\"scale_attn_weights\": false is not supported"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, \"n_ctx\": 3, "
         "\"vocab_size\": 5, \"intervene_prompt\": 3}", "\"intervene_prompt\" is 3, not a string"},
        {"{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2000, \"n_embd\": 4000, "
         "\"n_ctx\": 3, \"vocab_size\": 5}", "n_head is 2000, expected 1 to 1024"},
        {"[1, 2]", "JSON but not an object"},
        {"{\"model_type\": \"gpt2\"} x", "not valid JSON"},
        {"", "not valid JSON (unexpected end"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_text(config, bad[k].json);
        expect_failure(iv_gpt2_hf_open(dir, &got, &err), &err, config, bad[k].part);
    }

    /* Untied: lm_head.weight is then required. */
    write_text(config, "{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 2, \"n_embd\": 4, "
                       "\"n_ctx\": 3, \"vocab_size\": 5, \"tie_word_embeddings\": false}");
    char *st = iv_xasprintf("%s/model.safetensors", dir);
    expect_failure(iv_gpt2_hf_open(dir, &got, &err), &err, st, "missing tensor 'lm_head.weight'");

    /* The partner file missing. */
    assert_int_equal(unlink(config), 0);
    expect_failure(iv_gpt2_hf_open(st, &got, &err), &err, config, "cannot open");
    char *other = subdir(state, "other");
    char *other_config = iv_xasprintf("%s/config.json", other);
    assert_int_equal(gpt2_files_write_config(other_config, &c, NULL), 0);
    char *other_st = iv_xasprintf("%s/model.safetensors", other);
    expect_failure(iv_gpt2_hf_open(other, &got, &err), &err, other_st, "cannot open");
    free(other_st);
    free(other_config);
    free(other);
    free(st);
    free(config);
    free(dir);
}

/* ---- llm.c ------------------------------------------------------------------------------------- */

static void test_llmc_versions(void **state)
{
    const struct {
        int version;
        gpt2_files_dtype t;
    } versions[] = {{3, GPT2_FILES_F32}, {5, GPT2_FILES_BF16}, {1, GPT2_FILES_F32}};
    unsigned s = 77;
    char *dir = subdir(state, "llmc");
    char *path = iv_xasprintf("%s/model.bin", dir);
    for (int round = 0; round < 3; round++)
        for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
            iv_gpt2_config c = random_config(&s), got;
            c.d_mlp = 4 * c.d_model; /* llm.c's */
            int vp = round == 0 ? c.d_vocab : (c.d_vocab + 127) / 128 * 128;
            assert_int_equal(gpt2_files_write_llmc(path, &c, s, versions[v].version, vp), 0);
            iv_error err = {{0}};
            iv_gpt2_llmc_file *f = iv_gpt2_llmc_open(path, &got, &err);
            if (!f)
                fail_msg("version %d: %s", versions[v].version, err.msg);
            assert_config(&got, &c);
            assert_int_equal(iv_gpt2_llmc_version(f), versions[v].version);
            assert_int_equal(iv_gpt2_llmc_padded_vocab(f), versions[v].version == 1 ? c.d_vocab
                                                                                    : vp);
            iv_gpt2_source src = iv_gpt2_llmc_source(f);
            check_tensors(&src, &c, s, versions[v].t);
            expect_failure(src.tensor(src.user, "lm_head.weight", 8, &err), &err, path,
                           "no tensor 'lm_head.weight'");
            expect_failure(src.tensor(src.user, "h.01.ln_1.weight", c.d_model, &err), &err, path,
                           "no tensor 'h.01.ln_1.weight'");
            expect_failure(src.tensor(src.user, "wte", 1, &err), &err, path, "not 1");
            iv_gpt2_llmc_close(f);
        }
    assert_true(iv_llmc_is_checkpoint(path));
    free(path);
    free(dir);
}

/* ---- the two readers, the builder and the dispatch --------------------------------------------- */

/* The same weights in both formats build the same model, through every way of naming it. */
static void test_readers_agree(void **state)
{
    iv_gpt2_config c = small_config(2, 2, 8, 11, 5);
    char *dir = subdir(state, "both");
    gpt2_files_hf o = {.dtype = GPT2_FILES_F32, .prefix = true, .buffers = true};
    assert_int_equal(gpt2_files_write_hf(dir, &c, 5, &o), 0);
    char *bin = iv_xasprintf("%s/gpt2.bin", dir);
    assert_int_equal(gpt2_files_write_llmc(bin, &c, 5, 3, 128), 0);
    iv_error err = {{0}};
    iv_model *hf = iv_model_load_gpt2_hf(dir, &err);
    if (!hf)
        fail_msg("%s", err.msg);
    iv_model *llmc = iv_model_load_llmc(bin, &err);
    if (!llmc)
        fail_msg("%s", err.msg);
    assert_int_equal(hf->n_params, gpt2_files_param_count(&c));
    assert_int_equal(llmc->n_params, hf->n_params);
    assert_memory_equal(hf->params, llmc->params, sizeof(float) * (size_t)hf->n_params);
    assert_int_equal(hf->positions, 1); /* no tokenizer */
    assert_null(hf->tokenizer);
    assert_null(hf->prompt);
    assert_non_null(hf->gpt2);

    char *names[] = {iv_xstrdup(dir), iv_xasprintf("%s/config.json", dir),
                     iv_xasprintf("%s/model.safetensors", dir), iv_xstrdup(bin)};
    for (int k = 0; k < 4; k++) {
        assert_true(k == 3 ? iv_llmc_is_checkpoint(names[k])
                           : iv_gpt2_hf_is_checkpoint(names[k]));
        iv_model *m = iv_model_load(names[k], &err);
        if (!m)
            fail_msg("%s: %s", names[k], err.msg);
        assert_int_equal(m->n_params, hf->n_params);
        assert_memory_equal(m->params, hf->params, sizeof(float) * (size_t)hf->n_params);
        iv_model_free(m);
        free(names[k]);
    }
    iv_model_free(hf);
    iv_model_free(llmc);

    /* What is not a GPT-2 checkpoint keeps its reader: other .safetensors, other .bin files. */
    char *seq = src_path("tests/fixtures/seq.safetensors");
    assert_false(iv_gpt2_hf_is_checkpoint(seq));
    iv_model *m = iv_model_load(seq, &err);
    assert_non_null(m);
    assert_null(m->gpt2);
    iv_model_free(m);
    free(seq);
    char *renamed = iv_xasprintf("%s/weights.safetensors", dir);
    char *st = iv_xasprintf("%s/model.safetensors", dir);
    assert_int_equal(rename(st, renamed), 0);
    assert_false(iv_gpt2_hf_is_checkpoint(renamed));
    char *text_bin = iv_xasprintf("%s/other.bin", dir);
    write_text(text_bin, "model m\n");
    assert_false(iv_llmc_is_checkpoint(text_bin));
    assert_false(iv_llmc_is_checkpoint(dir));
    free(text_bin);
    free(renamed);
    free(st);
    free(bin);
    free(dir);
}

/* The shipped sample, written by an independent (Python) writer in both formats, reads the same. */
static void test_sample_both_formats(void **state)
{
    (void)state;
    char *dir = src_path("sample_models/tiny-max");
    char *bin = src_path("sample_models/tiny-max/model.bin");
    iv_gpt2_config hc, lc;
    iv_error err = {{0}};
    iv_gpt2_hf_file *hf = iv_gpt2_hf_open(dir, &hc, &err);
    if (!hf)
        fail_msg("%s", err.msg);
    iv_gpt2_llmc_file *lf = iv_gpt2_llmc_open(bin, &lc, &err);
    if (!lf)
        fail_msg("%s", err.msg);
    assert_config(&lc, &hc);
    assert_string_equal(iv_gpt2_hf_prompt(hf), "3 5 =");
    iv_gpt2_source hs = iv_gpt2_hf_source(hf), ls = iv_gpt2_llmc_source(lf);
    named_count list[16 * 4 + 8];
    int n = tensor_list(&hc, list, (int)(sizeof list / sizeof list[0]));
    for (int k = 0; k < n; k++) {
        const float *a = hs.tensor(hs.user, list[k].name, list[k].count, &err);
        if (!a)
            fail_msg("%s", err.msg);
        float *copy = iv_xmalloc(sizeof(float) * (size_t)list[k].count);
        memcpy(copy, a, sizeof(float) * (size_t)list[k].count);
        const float *b = ls.tensor(ls.user, list[k].name, list[k].count, &err);
        if (!b)
            fail_msg("%s", err.msg);
        for (long i = 0; i < list[k].count; i++)
            if (copy[i] != b[i])
                fail_msg("tensor '%s' element %ld: %.9g in model.safetensors, %.9g in model.bin",
                         list[k].name, i, (double)copy[i], (double)b[i]);
        free(copy);
    }
    iv_gpt2_hf_close(hf);
    iv_gpt2_llmc_close(lf);

    /* With its tokenizer, the model opens on its prompt's three tokens. */
    iv_model *m = iv_model_load(dir, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_non_null(m->tokenizer);
    assert_string_equal(m->prompt, "3 5 =");
    assert_int_equal(m->positions, 3);
    iv_model_free(m);
    free(bin);
    free(dir);
}

/* The tokenizer and the prompt beside a checkpoint. */
static void test_tokenizer_beside(void **state)
{
    iv_gpt2_config c = small_config(1, 2, 4, 5, 3);
    char *dir = subdir(state, "tok");
    gpt2_files_hf o = {.dtype = GPT2_FILES_F32, .config_extra = "\"intervene_prompt\": \"b c\""};
    assert_int_equal(gpt2_files_write_hf(dir, &c, 3, &o), 0);
    char *tokens = iv_xasprintf("%s/tokens.txt", dir);
    char *bin = iv_xasprintf("%s/model.bin", dir);
    assert_int_equal(gpt2_files_write_llmc(bin, &c, 3, 3, 8), 0);
    iv_error err = {{0}};

    write_text(tokens, "a\nb\nc\nd\ne\n");
    iv_model *m = iv_model_load_gpt2_hf(dir, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_non_null(m->tokenizer);
    assert_int_equal(iv_tokenizer_vocab_size(m->tokenizer), 5);
    assert_string_equal(m->prompt, "b c");
    assert_int_equal(m->positions, 2);
    iv_model_free(m);
    m = iv_model_load_llmc(bin, &err); /* the tokenizer, but no prompt */
    if (!m)
        fail_msg("%s", err.msg);
    assert_non_null(m->tokenizer);
    assert_null(m->prompt);
    assert_int_equal(m->positions, 1);
    iv_model_free(m);

    /* A prompt that does not encode, or is longer than the context, opens on one position. */
    const char *prompts[] = {"\"b zz\"", "\"a b c d\"", "\"\""};
    for (size_t k = 0; k < sizeof prompts / sizeof prompts[0]; k++) {
        char *extra = iv_xasprintf("\"intervene_prompt\": %s", prompts[k]);
        char *config = iv_xasprintf("%s/config.json", dir);
        assert_int_equal(gpt2_files_write_config(config, &c, extra), 0);
        m = iv_model_load_gpt2_hf(dir, &err);
        if (!m)
            fail_msg("%s", err.msg);
        assert_int_equal(m->positions, 1);
        assert_non_null(m->prompt);
        iv_model_free(m);
        free(config);
        free(extra);
    }

    /* A tokenizer that is there but unreadable, or larger than the vocabulary, is an error. */
    write_text(tokens, "a\n\nc\n");
    expect_failure(iv_model_load_gpt2_hf(dir, &err), &err, tokens, "");
    expect_failure(iv_model_load_llmc(bin, &err), &err, tokens, "");
    write_text(tokens, "a\nb\nc\nd\ne\nf\n");
    expect_failure(iv_model_load_gpt2_hf(dir, &err), &err, tokens,
                   "the tokenizer has 6 tokens, more than the model's 5");
    free(bin);
    free(tokens);
    free(dir);
}

/* ---- GPT-2 small ------------------------------------------------------------------------------- */

static iv_gpt2_config gpt2_small(void)
{
    iv_gpt2_config c = small_config(12, 12, 768, 50257, 1024);
    c.d_mlp = 0; /* written as "n_inner": null */
    return c;
}

/* Its shapes, written at full size (about 500 MB, streaming) with the legacy buffers: opens, and
 * every tensor has its shape; a few values are checked. */
static void test_gpt2_small_opens(void **state)
{
    iv_gpt2_config c = gpt2_small(), got;
    char *dir = subdir(state, "gpt2");
    gpt2_files_hf o = {.dtype = GPT2_FILES_F32, .buffers = true};
    assert_int_equal(gpt2_files_write_hf(dir, &c, 124, &o), 0);
    c.d_mlp = 3072;
    iv_error err = {{0}};
    iv_gpt2_hf_file *f = iv_gpt2_hf_open(dir, &got, &err);
    if (!f)
        fail_msg("%s", err.msg);
    assert_config(&got, &c);
    iv_gpt2_source src = iv_gpt2_hf_source(f);
    named_count list[16 * 12 + 8];
    int n = tensor_list(&c, list, (int)(sizeof list / sizeof list[0]));
    assert_int_equal(n, 2 + 12 * 12 + 2);
    long total = 0;
    for (int k = 0; k < n; k++) {
        const float *v = src.tensor(src.user, list[k].name, list[k].count, &err);
        if (!v)
            fail_msg("%s", err.msg);
        total += list[k].count;
        for (long i = 0; i < list[k].count; i += list[k].count / 7 + 1)
            assert_true(v[i] == gpt2_files_value(124, list[k].name, i, GPT2_FILES_F32));
        assert_true(v[list[k].count - 1] ==
                    gpt2_files_value(124, list[k].name, list[k].count - 1, GPT2_FILES_F32));
    }
    assert_int_equal(total, 124439808L); /* GPT-2 small, its unembedding tied */
    assert_int_equal(gpt2_files_param_count(&c), 124439808L);
    iv_gpt2_hf_close(f);

    /* Built: the same count of parameters; and it runs: four tokens give finite logits, the
     * first position's the same as the one-token model's (causality, and the rebuild keeps the
     * weights). */
    iv_model *m = iv_model_load_gpt2_hf(dir, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_int_equal(m->n_params, 124439808L);
    assert_int_equal(m->positions, 1);
    iv_model *m4 = iv_gpt2_rebuild(m, 4, &err);
    assert_non_null(m4);
    const float tokens[4] = {50256, 464, 3290, 13};
    iv_acts *a1 = iv_acts_new(m, 1, &err), *a4 = iv_acts_new(m4, 1, &err);
    assert_true(a1 && a4);
    iv_forward(m, tokens, a1, NULL, NULL);
    iv_forward(m4, tokens, a4, NULL, NULL);
    const float *l1 = a1->site[iv_model_output_site(m)], *l4 = a4->site[iv_model_output_site(m4)];
    for (long i = 0; i < 4L * 50257; i++)
        assert_true(isfinite(l4[i]));
    for (long i = 0; i < 50257; i++)
        assert_true(fabsf(l1[i] - l4[i]) <= 1e-4f * (1 + fabsf(l1[i])));
    iv_acts_free(a1);
    iv_acts_free(a4);
    iv_model_free(m4);
    iv_model_free(m);
    char *cmd = iv_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

/* ---- the hostile corpus ------------------------------------------------------------------------ */

/* tests/bad_gpt2/LIST: lines "READER PATH | FILE | PART | PART..." - the path opened with the hf or
 * llmc reader must fail with a message starting with FILE (both relative to tests/bad_gpt2) and
 * containing every PART. */
static int check_corpus_line(char *line)
{
    char *fields[8];
    int n = 0;
    for (char *p = strtok(line, "|"); p && n < 8; p = strtok(NULL, "|")) {
        while (*p == ' ')
            p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ')
            p[--len] = '\0';
        fields[n++] = p;
    }
    if (n < 3)
        fail_msg("LIST: '%s' is not 'READER PATH | FILE | PART...'", line);
    char reader[8], rel[128];
    if (sscanf(fields[0], "%7s %127s", reader, rel) != 2)
        fail_msg("LIST: '%s' is not 'READER PATH'", fields[0]);
    char *corpus = src_path("tests/bad_gpt2");
    char *path = iv_xasprintf("%s/%s", corpus, rel);
    char *file = iv_xasprintf("%s/%s", corpus, fields[1]);
    iv_error err = {{0}};
    iv_model *m = NULL;
    if (strcmp(reader, "hf") == 0)
        m = iv_model_load_gpt2_hf(path, &err);
    else if (strcmp(reader, "llmc") == 0)
        m = iv_model_load_llmc(path, &err);
    else
        fail_msg("LIST: reader '%s' is neither hf nor llmc", reader);
    if (m)
        fail_msg("%s: opened, but expected an error", rel);
    for (int k = 2; k < n; k++)
        expect_failure(m, &err, file, fields[k]);
    free(file);
    free(path);
    free(corpus);
    return 1;
}

static void test_corpus(void **state)
{
    (void)state;
    char *list = src_path("tests/bad_gpt2/LIST");
    iv_error err = {{0}};
    char *text = iv_read_file(list, 1 << 20, NULL, &err);
    if (!text)
        fail_msg("%s", err.msg);
    char *listed = iv_xstrdup(text);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (*line && *line != '#')
            n += check_corpus_line(line);
    assert_true(n >= 25);

    /* Every checkpoint of the directory is in LIST, so none is silently skipped. */
    char *dir_path = src_path("tests/bad_gpt2");
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        if (strncmp(e->d_name, "hf_", 3) != 0 && strncmp(e->d_name, "llmc_", 5) != 0)
            continue;
        char *entry = iv_xasprintf(" %s |", e->d_name);
        if (!strstr(listed, entry))
            fail_msg("tests/bad_gpt2/%s is not in LIST", e->d_name);
        free(entry);
    }
    closedir(dir);
    free(dir_path);
    free(listed);
    free(text);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hf_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_shards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_shards_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_source_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_config_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_llmc_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_agree, setup, teardown),
        cmocka_unit_test(test_sample_both_formats),
        cmocka_unit_test_setup_teardown(test_tokenizer_beside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpt2_small_opens, setup, teardown),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests_name("gpt2_formats", tests, NULL, NULL);
}
