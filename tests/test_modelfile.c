/* test_modelfile.c - the model text format: the lecture network, writing and reading back, every
 * activation, the syntax's corners, the limits, and malformed input (inline and the bad_models
 * corpus, each file of which names the error it must produce on its first line).
 *
 * Paths are relative to the environment variable `srcdir` (default "."). */
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

#include "model.h"
#include "files.h"
#include "formats/text.h"
#include "formats/formats.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

/* srcdir/rel, heap-allocated. */
static char *src_path(const char *rel)
{
    const char *dir = getenv("srcdir");
    return iv_xasprintf("%s/%s", dir && *dir ? dir : ".", rel);
}

static iv_model *parse_ok(const char *text, const char *file)
{
    iv_error err = {{0}};
    iv_model *m = iv_model_parse(text, file, &err);
    if (!m)
        fail_msg("unexpected parse error: %s", err.msg);
    return m;
}

/* The message must start with `expected` (which begins with "FILE:LINE: ") and be one line. */
static void parse_bad(const char *text, const char *expected)
{
    iv_error err = {{0}};
    iv_model *m = iv_model_parse(text, "bad.nn", &err);
    if (m) {
        iv_model_free(m);
        fail_msg("parsed, but expected the error: %s", expected);
    }
    if (strncmp(err.msg, expected, strlen(expected)) != 0)
        fail_msg("error message\n  got:  %s\n  want: %s...", err.msg, expected);
    assert_null(strchr(err.msg, '\n'));
}

/* The model written to a heap string. */
static char *write_to_string(const iv_model *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    int rc = iv_model_write(m, f);
    fclose(f);
    assert_int_equal(rc, 0);
    return text;
}

static void assert_same_string(const char *a, const char *b)
{
    if (a && b)
        assert_string_equal(a, b);
    else
        assert_true(a == b);
}

/* Everything but the path, floats compared bit for bit (so -0 must stay -0). */
static void assert_models_equal(const iv_model *a, const iv_model *b)
{
    assert_same_string(a->name, b->name);
    assert_same_string(a->target, b->target);
    assert_same_string(a->dataset, b->dataset);
    assert_int_equal(a->n_inputs, b->n_inputs);
    for (int i = 0; i < a->n_inputs; i++)
        assert_string_equal(a->input_names[i], b->input_names[i]);
    assert_int_equal(a->n_layers, b->n_layers);
    for (int l = 0; l < a->n_layers; l++) {
        const iv_layer *x = &a->layers[l], *y = &b->layers[l];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->act, y->act);
        if (x->act == IV_ACT_LEAKY_RELU)
            assert_memory_equal(&x->alpha, &y->alpha, sizeof(float));
        assert_int_equal(x->n_in, y->n_in);
        assert_int_equal(x->n_out, y->n_out);
        assert_memory_equal(x->weight, y->weight, sizeof(float) * (size_t)x->n_in * x->n_out);
        assert_true((x->bias == NULL) == (y->bias == NULL));
        if (x->bias)
            assert_memory_equal(x->bias, y->bias, sizeof(float) * (size_t)x->n_out);
        assert_true((x->labels == NULL) == (y->labels == NULL));
        for (int o = 0; x->labels && o < x->n_out; o++)
            assert_same_string(x->labels[o], y->labels[o]);
    }
}

/* Writes m, parses the text back, compares, and checks that writing again gives the same text. */
static void assert_round_trip(const iv_model *m)
{
    char *text = write_to_string(m);
    iv_model *again = parse_ok(text, "written.nn");
    assert_models_equal(m, again);
    char *text2 = write_to_string(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    iv_model_free(again);
}

static void assert_layer(const iv_layer *L, const char *name, iv_activation act, int n_in,
                         int n_out, const float *w, const char *const *labels)
{
    assert_string_equal(L->name, name);
    assert_int_equal(L->act, act);
    assert_int_equal(L->n_in, n_in);
    assert_int_equal(L->n_out, n_out);
    for (int k = 0; k < n_in * n_out; k++)
        assert_true(L->weight[k] == w[k]);
    assert_null(L->bias);
    if (!labels) {
        assert_null(L->labels);
        return;
    }
    assert_non_null(L->labels);
    for (int o = 0; o < n_out; o++)
        assert_string_equal(L->labels[o], labels[o]);
}

/* ---- the lecture network ----------------------------------------------------------------------- */

static void test_max_file(void **state)
{
    (void)state;
    char *path = src_path("sample_models/max.nn");
    iv_error err = {{0}};
    iv_model *m = iv_model_load(path, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_string_equal(m->path, path);
    assert_string_equal(m->name, "max");
    assert_int_equal(m->n_inputs, 2);
    assert_string_equal(m->input_names[0], "x");
    assert_string_equal(m->input_names[1], "y");
    assert_string_equal(m->target, "max(x, y)");
    assert_string_equal(m->dataset, "grid x=0:10:1 y=0:10:1");
    assert_int_equal(m->n_layers, 3);

    static const float w1[] = {1, -1, -1, 1, 1, 0, 0, 1};
    static const char *const l1[] = {"x-y", "y-x", "x", "y"};
    static const float w2[] = {-100, 0, 0, 1, 0, -100, 1, 0};
    static const float w3[] = {1, 1};
    assert_layer(&m->layers[0], "h1", IV_ACT_RELU, 2, 4, w1, l1);
    assert_layer(&m->layers[1], "h2", IV_ACT_RELU, 4, 2, w2, NULL);
    assert_layer(&m->layers[2], "out", IV_ACT_IDENTITY, 2, 1, w3, NULL);
    iv_model_free(m);
    free(path);
}

/* The shipped file and the built-in text must not drift apart. */
static void test_max_file_is_builtin(void **state)
{
    (void)state;
    char *path = src_path("sample_models/max.nn");
    iv_error err = {{0}};
    char *text = iv_read_file(path, 1 << 20, NULL, &err);
    if (!text)
        fail_msg("%s", err.msg);
    assert_string_equal(text, iv_model_builtin_max_text());

    iv_model *file = iv_model_parse(text, path, &err);
    iv_model *builtin = iv_model_load("builtin:max", &err);
    assert_non_null(file);
    assert_non_null(builtin);
    assert_string_equal(builtin->path, "builtin:max");
    assert_models_equal(file, builtin);
    iv_model_free(file);
    iv_model_free(builtin);
    free(text);
    free(path);
}

static void test_max_round_trip(void **state)
{
    (void)state;
    iv_model *m = iv_model_builtin_max();
    assert_round_trip(m);
    iv_model_free(m);
}

/* ---- writing and reading back ------------------------------------------------------------------ */

/* A model using every feature, with a layer wide enough that the writer spreads its bias. */
static char *rich_text(void)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "model \"two words\"\n"
                      "inputs a b _c\n"
                      "target a > b ? 1 : 0\n"
                      "data sample 100 a=0:1 b=0:1 seed=3\n"
                      "layer h1 leaky_relu alpha=0.2\n"
                      "  labels \"a \\\"quoted\\\" one\" back\\slash \"\"\n"
                      "  weights\n"
                      "    0.1 -0 1e-30\n"
                      "    3.4e38 -3.4028235e38 1.17549435e-38\n"
                      "    1.4e-45 0x1.8p1 -2.5\n"
                      "  bias 1 2 3\n"
                      "layer h2 gelu\n"
                      "  weights\n"
                      "    1 2 3\n"
                      "  bias\n"
                      "    0.5\n"
                      "layer wide tanh\n"
                      "  weights\n");
    for (int o = 0; o < 20; o++)
        iv_buf_printf(&b, "    %g\n", o / 7.0);
    iv_buf_printf(&b, "  bias");
    for (int o = 0; o < 20; o++)
        iv_buf_printf(&b, " %d", -o);
    iv_buf_printf(&b, "\nlayer out softmax\n  weights\n");
    for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 20; i++)
            iv_buf_printf(&b, " %d", (i + o) % 3 - 1);
        iv_buf_printf(&b, "\n");
    }
    return b.data;
}

static void test_rich_model(void **state)
{
    (void)state;
    char *text = rich_text();
    iv_model *m = parse_ok(text, "rich.nn");
    assert_string_equal(m->name, "two words");
    assert_string_equal(m->target, "a > b ? 1 : 0");
    assert_string_equal(m->dataset, "sample 100 a=0:1 b=0:1 seed=3");
    assert_int_equal(m->n_layers, 4);
    const iv_layer *h1 = &m->layers[0];
    assert_int_equal(h1->act, IV_ACT_LEAKY_RELU);
    assert_true(h1->alpha == 0.2f);
    assert_string_equal(h1->labels[0], "a \"quoted\" one");
    assert_string_equal(h1->labels[1], "back\\slash");
    assert_null(h1->labels[2]); /* "" leaves a neuron unlabelled */
    assert_true(h1->weight[1] == 0 && signbit(h1->weight[1]));
    assert_true(h1->weight[3] == 3.4e38f);
    assert_true(h1->weight[6] == 1.4e-45f && h1->weight[6] > 0);
    assert_true(h1->weight[7] == 3);
    assert_true(h1->bias[2] == 3);
    assert_true(m->layers[1].bias[0] == 0.5f);
    assert_int_equal(m->layers[2].n_out, 20);
    assert_true(m->layers[2].bias[19] == -19);
    assert_true(iv_model_is_classifier(m));

    assert_round_trip(m);
    char *written = write_to_string(m);
    assert_non_null(strstr(written, "\n  bias\n")); /* 20 numbers are spread over lines */
    assert_non_null(strstr(written, "layer h1 leaky_relu 0.200000003\n"));
    assert_non_null(strstr(written, "model \"two words\"\n"));
    free(written);
    iv_model_free(m);
    free(text);
}

/* Random weights of every magnitude survive %.9g exactly. */
static void test_round_trip_random(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs x y z\nlayer h relu\n  weights\n");
    unsigned s = 12345;
    for (int o = 0; o < 50; o++) {
        for (int i = 0; i < 3; i++) {
            s = s * 1103515245u + 12345u;
            double v = ((double)(s >> 8) / (1 << 24) - 0.5) * pow(10, (int)(s % 40) - 20);
            iv_buf_printf(&b, " %.17g", v);
        }
        iv_buf_printf(&b, "\n");
    }
    iv_buf_printf(&b, "  bias");
    for (int o = 0; o < 50; o++)
        iv_buf_printf(&b, " %g", o * 0.1);
    iv_buf_printf(&b, "\n");
    iv_model *m = parse_ok(b.data, "random.nn");
    assert_round_trip(m);
    iv_model_free(m);
    iv_buf_free(&b);
}

/* The writer refuses what could not be read back, rather than writing a broken file. */
static void test_write_refuses(void **state)
{
    (void)state;
    iv_model *m = iv_model_builtin_max();
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    m->layers[0].labels[0] = iv_arena_strdup(m->arena, "two\nlines");
    assert_int_equal(iv_model_write(m, f), -1);
    m->layers[0].labels[0] = NULL;
    m->target = iv_arena_strdup(m->arena, "x # y");
    assert_int_equal(iv_model_write(m, f), -1);
    m->target = NULL;
    m->layers[1].weight[0] = NAN;
    assert_int_equal(iv_model_write(m, f), -1);
    m->layers[1].weight[0] = 1;
    /* Text that would not read back as itself is refused: an open quote (also one whose closing
     * quote is escaped), a comment, blanks around it... */
    const char *unreadable[] = {"load \"a.csv", "load \"a\\\"", "load a.csv # b", " load a.csv"};
    for (int i = 0; i < 4; i++) {
        m->dataset = iv_arena_strdup(m->arena, unreadable[i]);
        if (iv_model_write(m, f) != -1)
            fail_msg("data '%s' was written", unreadable[i]);
    }
    /* ...and an escaped quote inside a closed one is fine. */
    m->dataset = iv_arena_strdup(m->arena, "load \"a\\\".csv\"");
    assert_int_equal(iv_model_write(m, f), 0);
    m->dataset = NULL;
    assert_int_equal(iv_model_write(m, f), 0);
    fclose(f);
    free(text);
    iv_model_free(m);
}

/* What the parser accepts, the writer writes so that it reads back: a target with a backslash
 * and no quote, a data line with paired quotes (both found by a fuzzer). */
static void test_write_what_parses(void **state)
{
    (void)state;
    const char *texts[] = {
        "inputs x\ntarget x \\ 2\nlayer out relu\n  weights\n    1\n",
        "inputs x\ndata load \"a b.csv\"\nlayer out relu\n  weights\n    1\n",
    };
    for (int i = 0; i < 2; i++) {
        iv_error err;
        iv_model *m = iv_model_parse(texts[i], "t.nn", &err);
        if (!m)
            fail_msg("%s", err.msg);
        char *written = write_to_string(m);
        iv_model *back = iv_model_parse(written, "w.nn", &err);
        if (!back)
            fail_msg("%s\n%s", err.msg, written);
        assert_models_equal(m, back);
        free(written);
        iv_model_free(back);
        iv_model_free(m);
    }
}

/* ---- activations and syntax -------------------------------------------------------------------- */

static void test_activations(void **state)
{
    (void)state;
    static const iv_activation acts[] = {IV_ACT_IDENTITY, IV_ACT_RELU, IV_ACT_LEAKY_RELU,
                                         IV_ACT_SIGMOID,  IV_ACT_TANH, IV_ACT_GELU,
                                         IV_ACT_SOFTMAX};
    static const char *const names[] = {"identity", "relu", "leaky_relu", "sigmoid",
                                        "tanh",     "gelu", "softmax"};
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        char *text = iv_xasprintf("inputs x\nlayer out %s\n  weights\n    1\n    2\n", names[k]);
        iv_model *m = parse_ok(text, "act.nn");
        assert_int_equal(m->layers[0].act, acts[k]);
        assert_string_equal(iv_activation_name(m->layers[0].act), names[k]);
        assert_round_trip(m);
        iv_model_free(m);
        free(text);
    }
    static const char *const leaky[] = {"leaky_relu", "leaky_relu 0.2", "leaky_relu alpha=0.2",
                                        "leaky_relu -1e-3"};
    static const float alpha[] = {0.01f, 0.2f, 0.2f, -1e-3f};
    for (size_t k = 0; k < sizeof leaky / sizeof leaky[0]; k++) {
        char *text = iv_xasprintf("inputs x\nlayer h %s\n  weights\n    1\n", leaky[k]);
        iv_model *m = parse_ok(text, "leaky.nn");
        assert_true(m->layers[0].alpha == alpha[k]);
        assert_round_trip(m);
        iv_model_free(m);
        free(text);
    }
}

static void test_syntax(void **state)
{
    (void)state;
    /* A byte order mark, CRLF, tabs, comments everywhere, '#' inside quotes, bias before weights
     * and over several lines, labels after weights, no newline at the end. */
    const char *text = "\xef\xbb\xbf# header comment\r\n"
                       "inputs\tx   y # two inputs\r\n"
                       "   \t \r\n"
                       "target   max( x,  y )   # kept verbatim, trimmed\r\n"
                       "layer h1 relu#no space needed\n"
                       "  bias\n"
                       "    1 2 # first two\n"
                       "    3\n"
                       "  weights\n"
                       "\t1 -1#a comment\n"
                       "\n"
                       "    # a comment between rows\n"
                       "    -1 1\n"
                       "    +.5 2E1\n"
                       "  labels \"a # b\" b\t\"c\"\n"
                       "layer out identity\n"
                       "  weights\n"
                       "    1 1 1";
    iv_model *m = parse_ok(text, "dir/sub/net.v2.nn");
    assert_string_equal(m->path, "dir/sub/net.v2.nn");
    assert_string_equal(m->name, "net.v2"); /* no `model` line: the file's base name */
    assert_string_equal(m->input_names[1], "y");
    assert_string_equal(m->target, "max( x,  y )");
    assert_null(m->dataset);
    const iv_layer *h1 = &m->layers[0];
    assert_int_equal(h1->n_out, 3);
    assert_true(h1->bias[0] == 1 && h1->bias[1] == 2 && h1->bias[2] == 3);
    assert_true(h1->weight[4] == 0.5f && h1->weight[5] == 20);
    assert_string_equal(h1->labels[0], "a # b");
    assert_string_equal(h1->labels[2], "c");
    assert_int_equal(m->layers[1].n_in, 3);
    iv_model_free(m);

    m = parse_ok("inputs x\nlayer h relu\n  weights\n    1\n", "");
    assert_string_equal(m->name, "model");
    iv_model_free(m);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_bad_inline(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "bad.nn:1: empty model file"},
        {"# only a comment\n\n", "bad.nn:2: empty model file"},
        {"model m\n", "bad.nn:1: missing `inputs` line (e.g. `inputs x y`)"},
        {"inputs\n", "bad.nn:1: inputs: expected at least one input name"},
        {"inputs x 2y\n", "bad.nn:1: input name '2y' is not a valid name"},
        {"inputs x \"y\"\n", "bad.nn:1: input name 'y' is not a valid name"},
        {"inputs x\nmodel\n", "bad.nn:2: model: expected one name"},
        {"inputs x\nmodel a b\n", "bad.nn:2: model: expected one name"},
        {"inputs x\nmodel \"\"\n", "bad.nn:2: model: expected one name"},
        {"inputs x\ntarget\n", "bad.nn:2: target: expected text after the keyword"},
        {"inputs x\ndata # nothing\n", "bad.nn:2: data: expected text after the keyword"},
        {"inputs x\ninputs y\n", "bad.nn:2: duplicate `inputs` line (the first is on line 1)"},
        {"model a\ninputs x\nmodel b\n", "bad.nn:3: duplicate `model` line (the first is on "
                                         "line 1)"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\nmodel late\n",
         "bad.nn:5: `model` must come before the first `layer`"},
        {"inputs x\nlayer\n", "bad.nn:2: layer: expected `layer NAME ACTIVATION`"},
        {"inputs x\nlayer h1\n", "bad.nn:2: layer h1: missing activation (expected one of: "
                                 "identity, relu, leaky_relu, sigmoid, tanh, gelu, softmax)"},
        {"inputs x\nlayer h1 \"relu\"\n", "bad.nn:2: layer h1: unknown activation 'relu'"},
        {"inputs x\nlayer h1 relu 0.5\n", "bad.nn:2: layer h1: relu takes no parameter"},
        {"inputs x\nlayer h1 leaky_relu 0.1 0.2\n",
         "bad.nn:2: layer h1: unexpected '0.2' after the alpha"},
        {"inputs x\nlayer h1 leaky_relu alpha=big\n",
         "bad.nn:2: layer h1: alpha is not a number: 'big'"},
        {"inputs x\nlayer h1 leaky_relu alpha=\n", "bad.nn:2: layer h1: alpha is not a number: ''"},
        {"inputs x\nlayer h1 leaky_relu nan\n",
         "bad.nn:2: layer h1: alpha is not a finite number: 'nan'"},
        {"inputs x\nlayer x relu\n", "bad.nn:2: layer name 'x' is already the name of an input"},
        {"inputs x\nlayer h-1 relu\n", "bad.nn:2: layer name 'h-1' is not a valid name"},
        {"inputs x\nweights\n", "bad.nn:2: `weights` outside a layer"},
        {"inputs x\nbias 1\n", "bad.nn:2: `bias` outside a layer"},
        {"labels a\n", "bad.nn:1: `labels` outside a layer"},
        {"inputs x\nlayer h1 relu\n  weights 1\n", "bad.nn:3: layer h1: nothing may follow "
                                                   "`weights`"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\n  weights\n",
         "bad.nn:5: layer h1: duplicate `weights` (the first is on line 3)"},
        {"inputs x\nlayer h1 relu\n  bias 1\n  bias 1\n",
         "bad.nn:4: layer h1: duplicate `bias` (the first is on line 3)"},
        {"inputs x\nlayer h1 relu\n  labels a\n  labels a\n",
         "bad.nn:4: layer h1: duplicate `labels` (the first is on line 3)"},
        {"inputs x\nlayer h1 relu\n  weights\n  bias 1\n",
         "bad.nn:3: layer h1: `weights` has no rows below it"},
        {"inputs x\nlayer h1 relu\n", "bad.nn:2: layer h1: no `weights`"},
        {"inputs x\nlayer h1 relu\n  labels\n", "bad.nn:3: layer h1: `labels` needs one label"},
        {"inputs x y\nlayer h1 relu\n  weights\n    1 abc\n",
         "bad.nn:4: layer h1: weight is not a number: 'abc'"},
        {"inputs x y\nlayer h1 relu\n  weights\n    1 \"2\"\n",
         "bad.nn:4: layer h1: weight is not a number: '2'"},
        {"inputs x\nlayer h1 relu\n  weights\n    1e39\n",
         "bad.nn:4: layer h1: weight is too large for a float32: '1e39'"},
        {"inputs x\nlayer h1 relu\n  weights\n    1e999\n",
         "bad.nn:4: layer h1: weight is too large for a float32: '1e999'"},
        {"inputs x\nlayer h1 relu\n  weights\n    inf\n",
         "bad.nn:4: layer h1: weight is not a finite number: 'inf'"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\n  bias 1 2\n",
         "bad.nn:5: layer h1: bias has 2 numbers, expected 1 (one per weight row)"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\n    2\n  bias\n    1\nlayer h2 relu\n",
         "bad.nn:6: layer h1: bias has 1 number, expected 2 (one per weight row)"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\n  bias x\n",
         "bad.nn:5: layer h1: bias is not a number: 'x'"},
        {"inputs x\nlayer h1 relu\n  weights\n    1\n  labels a b\n",
         "bad.nn:5: layer h1: labels has 2 labels, expected 1 (one per weight row)"},
        {"inputs x\n1 2\n", "bad.nn:2: row of numbers outside a `weights` or `bias` block"},
        {"inputs x\nlayer h1 relu\n  bias 1\n  2\n", "bad.nn:4: row of numbers outside"},
        {"inputs x\nlayer h relu\n  labels a\"b\n", "bad.nn:3: stray '\"' inside a word"},
        {"inputs x\nlayer h relu\n  labels \"a\"b\n", "bad.nn:3: text right after a closing "
                                                      "quote"},
        {"inputs x\nlayer h relu\n  labels \"a\\\"\n", "bad.nn:3: unterminated quoted string"},
        {"\xff\xfe junk\n", "bad.nn:1: unknown keyword '\\xff\\xfe' (expected model, inputs, "
                            "target, data, layer, weights, bias or labels)"},
        {"\"model\" m\n", "bad.nn:1: unknown keyword 'model'"},
        {"inputs x\ninfo\n", "bad.nn:2: unknown keyword 'info'"},
        {"inputs x\n-Infinity\n", "bad.nn:2: row of numbers outside"},
        {"inputs x\n\x1b[2J\n", "bad.nn:2: control character 0x1b in column 1"},
        {"inputs x\nlayer h1 softmax\n  weights\n    1\nlayer h2 relu\n  weights\n    1\n",
         "bad.nn:2: layer h1: softmax is allowed only on the last layer"},
        {"inputs x y\nlayer h1 relu\n  weights\n    1 1\nlayer h2 relu\n  weights\n    1 1\n",
         "bad.nn:7: layer h2: weights row 1 has 2 numbers, expected 1 (the width of h1)"},
        {"inputs x y\nlayer h1 relu\n  weights\n    1\n",
         "bad.nn:4: layer h1: weights row 1 has 1 number, expected 2 (the number of inputs)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        parse_bad(cases[k][0], cases[k][1]);
}

static void test_long_names(void **state)
{
    (void)state;
    char name[80], label[300];
    memset(name, 'a', 65);
    name[65] = '\0';
    memset(label, 'b', 256);
    label[256] = '\0';

    char *text = iv_xasprintf("inputs x\nlayer %.64s relu\n  labels %.255s\n  weights\n    1\n",
                              name, label);
    iv_model_free(parse_ok(text, "ok.nn")); /* at the limits */
    free(text);
    text = iv_xasprintf("inputs %s\n", name);
    parse_bad(text, "bad.nn:1: input name 'aaaa");
    assert_non_null(strstr(text, name));
    free(text);
    text = iv_xasprintf("inputs x\nlayer %s relu\n", name);
    parse_bad(text, "bad.nn:2: layer name 'aaaa");
    free(text);
    text = iv_xasprintf("inputs x\nlayer h relu\n  labels \"%s\"\n", label);
    parse_bad(text, "bad.nn:3: layer h: label 'bbbb");
    free(text);
}

/* ---- limits ------------------------------------------------------------------------------------ */

static void test_limit_inputs(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs");
    for (int i = 0; i <= IV_MAX_WIDTH; i++)
        iv_buf_printf(&b, " i%d", i);
    iv_buf_printf(&b, "\n");
    parse_bad(b.data, "bad.nn:1: inputs: 65537 inputs, more than the limit of 65536");
    iv_buf_free(&b);
}

/* The widest layer, with the longest numbers %.9g prints, is written in lines the parser takes. */
static void test_limit_widest_row(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs");
    for (int i = 0; i < IV_MAX_WIDTH; i++)
        iv_buf_printf(&b, " i%d", i);
    iv_buf_printf(&b, "\nlayer out identity\n  weights\n");
    for (int i = 0; i < IV_MAX_WIDTH; i++)
        iv_buf_printf(&b, i ? " -1.23456789e-05" : "-1.23456789e-05");
    iv_buf_printf(&b, "\n  bias -1.23456789e-05\n");
    iv_model *m = parse_ok(b.data, "wide.nn");
    assert_int_equal(m->layers[0].n_in, IV_MAX_WIDTH);
    assert_round_trip(m);
    iv_model_free(m);
    iv_buf_free(&b);
}

static void test_limit_rows(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs x\nlayer h1 relu\n  weights\n");
    for (int o = 0; o <= IV_MAX_WIDTH; o++)
        iv_buf_append(&b, "1\n", 2);
    parse_bad(b.data, "bad.nn:65540: layer h1: more than 65536 weight rows");
    iv_buf_free(&b);

    iv_buf_printf(&b, "inputs x\nlayer h1 relu\n  weights\n    1\n  bias\n");
    for (int o = 0; o <= IV_MAX_WIDTH; o++)
        iv_buf_append(&b, "1\n", 2);
    parse_bad(b.data, "bad.nn:65542: layer h1: bias has more than 65536 numbers");
    iv_buf_free(&b);
}

static void test_limit_layers(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs x\n");
    for (int l = 0; l < IV_MAX_LAYERS; l++)
        iv_buf_printf(&b, "layer l%d identity\n  weights\n    1\n", l);
    iv_model *m = parse_ok(b.data, "deep.nn");
    assert_int_equal(m->n_layers, IV_MAX_LAYERS);
    iv_model_free(m);
    iv_buf_printf(&b, "layer too_many identity\n  weights\n    1\n");
    parse_bad(b.data, "bad.nn:770: more than 256 layers");
    iv_buf_free(&b);
}

static void test_limit_line(void **state)
{
    (void)state;
    iv_buf b = {0};
    iv_buf_printf(&b, "inputs x\n#");
    for (long i = 1; i < (1L << 20); i++)
        iv_buf_append(&b, "a", 1);
    iv_buf_printf(&b, "\nlayer h relu\n  weights\n    1"); /* a line of exactly 1 MiB is fine */
    iv_model_free(parse_ok(b.data, "long.nn"));
    iv_buf_free(&b);

    iv_buf_printf(&b, "inputs x\n");
    for (long i = 0; i <= (1L << 20); i++)
        iv_buf_append(&b, " ", 1);
    parse_bad(b.data, "bad.nn:2: line is longer than 1048576 bytes (1 MiB)");
    iv_buf_free(&b);

    /* The CR of a Windows line end counts, so this line is one byte too long. */
    iv_buf_printf(&b, "inputs x\n#");
    for (long i = 1; i < (1L << 20); i++)
        iv_buf_append(&b, "a", 1);
    iv_buf_printf(&b, "\r\nlayer h relu\n  weights\n    1\n");
    parse_bad(b.data, "bad.nn:2: line is longer than 1048576 bytes (1 MiB)");
    iv_buf_free(&b);
}

/* ---- files ------------------------------------------------------------------------------------- */

static void test_load_errors(void **state)
{
    (void)state;
    iv_error err = {{0}};
    assert_null(iv_model_load("/nonexistent/model.nn", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/model.nn: cannot open"));

    char *dir = src_path("tests/bad_models");
    assert_null(iv_model_load(dir, &err));
    assert_int_equal(strncmp(err.msg, dir, strlen(dir)), 0);
    assert_non_null(strstr(err.msg, "directory"));
    free(dir);
}

/* Reads `# expect: MESSAGE` from the first line of a corpus file. */
static void read_expectation(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[512] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    const char *prefix = "# expect: ";
    if (strncmp(line, prefix, strlen(prefix)) != 0)
        fail_msg("%s: first line is not `# expect: MESSAGE`", path);
    snprintf(out, n, "%s", line + strlen(prefix));
    out[strcspn(out, "\r\n")] = '\0';
    assert_true(out[0] != '\0');
}

static void check_corpus_file(const char *name)
{
    char *rel = iv_xasprintf("tests/bad_models/%s", name);
    char *path = src_path(rel);
    char expect[512];
    read_expectation(path, expect, sizeof expect);
    iv_error err = {{0}};
    iv_model *m = iv_model_load(path, &err);
    if (m) {
        iv_model_free(m);
        fail_msg("%s: parsed, but expected the error: %s", name, expect);
    }
    if (strncmp(err.msg, path, strlen(path)) != 0 || !strstr(err.msg, expect))
        fail_msg("%s:\n  got:  %s\n  want: ...%s...", name, err.msg, expect);
    free(path);
    free(rel);
}

/* Every name in LIST; returns how many. */
static int check_corpus_list(char ***names)
{
    char *list = src_path("tests/bad_models/LIST");
    iv_error err = {{0}};
    char *text = iv_read_file(list, 1 << 20, NULL, &err);
    if (!text)
        fail_msg("%s", err.msg);
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line[strcspn(line, "\r")] = '\0';
        if (!*line || *line == '#')
            continue;
        check_corpus_file(line);
        *names = iv_xrealloc(*names, sizeof **names * (size_t)(n + 1));
        (*names)[n++] = iv_xstrdup(line);
    }
    free(text);
    free(list);
    return n;
}

static void test_corpus(void **state)
{
    (void)state;
    char **names = NULL;
    int n = check_corpus_list(&names);
    assert_true(n >= 15);

    /* Every .nn file in the directory is in LIST, so none is silently skipped. */
    char *dir_path = src_path("tests/bad_models");
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 3, ".nn") != 0)
            continue;
        bool listed = false;
        for (int i = 0; i < n && !listed; i++)
            listed = strcmp(names[i], e->d_name) == 0;
        if (!listed)
            fail_msg("tests/bad_models/%s is not in LIST", e->d_name);
    }
    closedir(dir);
    free(dir_path);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_file),
        cmocka_unit_test(test_max_file_is_builtin),
        cmocka_unit_test(test_max_round_trip),
        cmocka_unit_test(test_rich_model),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_write_refuses),
        cmocka_unit_test(test_write_what_parses),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_bad_inline),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_limit_inputs),
        cmocka_unit_test(test_limit_widest_row),
        cmocka_unit_test(test_limit_rows),
        cmocka_unit_test(test_limit_layers),
        cmocka_unit_test(test_limit_line),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
