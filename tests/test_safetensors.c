/* test_safetensors.c - safetensors import and export: the built-in max network round trip, half and
 * bfloat16 conversion, nn.Sequential state dicts (hand-built and saved from PyTorch), the companion
 * .arch file, and a corpus of hostile files that must each give a precise error.
 *
 * Test files go into a fresh mkdtemp directory; the PyTorch fixture is read from `srcdir` (default
 * "."). */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"
#include "model.h"
#include "formats/safetensors.h"
#include "formats/formats.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/iv_st_XXXXXX");
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

static char *tmp_path(void **state, const char *name)
{
    return iv_xasprintf("%s/%s", ((fixture *)*state)->dir, name);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A safetensors file: the 8-byte length (given explicitly, so tests can lie), header, data. */
static void write_st_len(const char *path, uint64_t len, const char *header, const void *data,
                         size_t n)
{
    size_t h = strlen(header);
    unsigned char *buf = malloc(8 + h + n + 1);
    for (int j = 0; j < 8; j++)
        buf[j] = (unsigned char)(len >> (8 * j));
    memcpy(buf + 8, header, h);
    if (n)
        memcpy(buf + 8 + h, data, n);
    write_bytes(path, buf, 8 + h + n);
    free(buf);
}

static void write_st(const char *path, const char *header, const void *data, size_t n)
{
    write_st_len(path, strlen(header), header, data, n);
}

/* Little-endian float32 bytes of v[0..n). */
static void floats_le(unsigned char *out, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(u >> (8 * j));
    }
}

static iv_model *load_ok(const char *path)
{
    iv_error err = {{0}};
    iv_model *m = iv_model_load_safetensors(path, &err);
    if (!m)
        fail_msg("unexpected load error: %s", err.msg);
    return m;
}

/* Loading must fail with a one-line message that starts with `file` and contains `want`. */
static void load_fails_in(const char *path, const char *file, const char *want)
{
    iv_error err = {{0}};
    iv_model *m = iv_model_load_safetensors(path, &err);
    if (m) {
        iv_model_free(m);
        fail_msg("%s: loaded, expected an error containing '%s'", path, want);
    }
    if (!strstr(err.msg, want) || strncmp(err.msg, file, strlen(file)) != 0 ||
        strchr(err.msg, '\n'))
        fail_msg("%s: error '%s' does not start with '%s' or does not contain '%s'", path,
                 err.msg, file, want);
}

static void load_fails(const char *path, const char *want) { load_fails_in(path, path, want); }

static void forward_one(const iv_model *m, const float *x, float *out, int site)
{
    iv_error err = {{0}};
    iv_acts *a = iv_acts_new(m, 1, &err);
    assert_non_null(a);
    iv_forward(m, x, a, NULL, NULL);
    memcpy(out, a->site[site], (size_t)a->width[site] * sizeof(float));
    iv_acts_free(a);
}

/* ---- round trip -------------------------------------------------------------------------------- */

static void assert_same_model(const iv_model *a, const iv_model *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->n_inputs, b->n_inputs);
    for (int i = 0; i < a->n_inputs; i++)
        assert_string_equal(a->input_names[i], b->input_names[i]);
    assert_string_equal(a->target, b->target);
    assert_string_equal(a->dataset, b->dataset);
    assert_int_equal(a->n_layers, b->n_layers);
    for (int l = 0; l < a->n_layers; l++) {
        const iv_layer *x = &a->layers[l], *y = &b->layers[l];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->act, y->act);
        assert_int_equal(x->n_in, y->n_in);
        assert_int_equal(x->n_out, y->n_out);
        if (x->act == IV_ACT_LEAKY_RELU)
            assert_true(x->alpha == y->alpha);
        assert_memory_equal(x->weight, y->weight, (size_t)x->n_in * (size_t)x->n_out * 4);
        assert_true((x->bias == NULL) == (y->bias == NULL));
        if (x->bias)
            assert_memory_equal(x->bias, y->bias, (size_t)x->n_out * 4);
        assert_true((x->labels == NULL) == (y->labels == NULL));
        for (int o = 0; x->labels && o < x->n_out; o++) {
            assert_true((x->labels[o] == NULL) == (y->labels[o] == NULL));
            if (x->labels[o])
                assert_string_equal(x->labels[o], y->labels[o]);
        }
    }
}

static void test_round_trip_max(void **state)
{
    iv_model *m = iv_model_builtin_max();
    char *path = tmp_path(state, "max.safetensors");
    iv_error err = {{0}};
    assert_int_equal(iv_model_write_safetensors(m, path, &err), 0);
    iv_model *back = load_ok(path);
    assert_same_model(m, back);
    assert_string_equal(back->path, path);
    assert_null(back->layers[1].labels);
    assert_string_equal(back->layers[0].labels[0], "x-y");

    /* Header length is a multiple of 8. */
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, f), 8);
    fclose(f);
    assert_int_equal(len8[0] % 8, 0);
    iv_model_free(back);
    iv_model_free(m);
    free(path);
}

/* Awkward texts: separators, backslashes and edge blanks in labels, leaky_relu alpha, a bias, an
 * unlabelled neuron. */
static void test_round_trip_escapes(void **state)
{
    iv_model *m = iv_model_builtin_max();
    iv_layer *h1 = &m->layers[0], *h2 = &m->layers[1];
    h1->labels[0] = iv_arena_strdup(m->arena, "a,b;c\\d=e:f");
    h1->labels[1] = NULL;
    h1->labels[2] = iv_arena_strdup(m->arena, " spaced ");
    h1->labels[3] = iv_arena_strdup(m->arena, "#hash");
    h2->act = IV_ACT_LEAKY_RELU;
    h2->alpha = 0.2f;
    h2->bias = iv_arena_alloc(m->arena, 2 * sizeof(float));
    h2->bias[0] = -0.0f;
    h2->bias[1] = 1e-40f; /* subnormal */
    m->target = iv_arena_strdup(m->arena, "max(x, y); really");
    m->name = iv_arena_strdup(m->arena, "max v2");
    char *path = tmp_path(state, "esc.safetensors");
    iv_error err = {{0}};
    assert_int_equal(iv_model_write_safetensors(m, path, &err), 0);
    iv_model *back = load_ok(path);
    assert_same_model(m, back);
    assert_null(back->layers[0].labels[1]);
    iv_model_free(back);
    iv_model_free(m);
    free(path);
}

/* ---- number formats ---------------------------------------------------------------------------- */

static void test_half_bfloat16(void **state)
{
    (void)state;
    assert_true(iv_half_to_float(0x3C00) == 1.0f);
    assert_true(iv_half_to_float(0xC100) == -2.5f);
    assert_true(iv_half_to_float(0x7BFF) == 65504.0f);
    assert_true(iv_half_to_float(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    assert_true(iv_half_to_float(0x03FF) == ldexpf(1023.0f, -24)); /* largest subnormal */
    assert_true(iv_half_to_float(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
    assert_true(iv_half_to_float(0x8000) == 0.0f && signbit(iv_half_to_float(0x8000)));
    assert_true(isinf(iv_half_to_float(0x7C00)) && iv_half_to_float(0x7C00) > 0);
    assert_true(isinf(iv_half_to_float(0xFC00)) && iv_half_to_float(0xFC00) < 0);
    assert_true(isnan(iv_half_to_float(0x7E00)));
    assert_true(isnan(iv_half_to_float(0x7C01))); /* a signalling payload stays a nan */

    assert_true(iv_bfloat16_to_float(0x3F80) == 1.0f);
    assert_true(iv_bfloat16_to_float(0xC020) == -2.5f);
    assert_true(iv_bfloat16_to_float(0x477F) == 65280.0f);
    assert_true(iv_bfloat16_to_float(0x0001) == ldexpf(1.0f, -133)); /* smallest subnormal */
    assert_true(isinf(iv_bfloat16_to_float(0x7F80)));
    assert_true(isnan(iv_bfloat16_to_float(0x7FC0)));
}

/* A 1-input, 1-output layer stored as F16 / BF16 / F64. */
static void test_other_dtypes(void **state)
{
    char *path = tmp_path(state, "dt.safetensors");
    unsigned char h[4] = {0x00, 0xC1, 0x00, 0x3C}; /* -2.5, 1.0 */
    write_st(path, "{\"0.weight\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[0,2]},"
                   "\"0.bias\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]}}", h, 4);
    iv_model *m = load_ok(path);
    assert_true(m->layers[0].weight[0] == -2.5f && m->layers[0].bias[0] == 1.0f);
    assert_string_equal(m->layers[0].name, "out");
    assert_int_equal(m->layers[0].act, IV_ACT_IDENTITY);
    iv_model_free(m);

    unsigned char b[4] = {0x20, 0xC0, 0x80, 0x3F};
    write_st(path, "{\"0.weight\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[0,2]},"
                   "\"0.bias\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[2,4]}}", b, 4);
    m = load_ok(path);
    assert_true(m->layers[0].weight[0] == -2.5f && m->layers[0].bias[0] == 1.0f);
    iv_model_free(m);

    double d = 0.1;
    unsigned char d8[8];
    memcpy(d8, &d, 8); /* the test host is little-endian (x86-64) */
    write_st(path, "{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[0,8]}}",
             d8, 8);
    m = load_ok(path);
    assert_true(m->layers[0].weight[0] == 0.1f);
    assert_null(m->layers[0].bias);
    iv_model_free(m);

    unsigned char inf16[4] = {0x00, 0x3C, 0x00, 0x7C};
    write_st(path, "{\"0.weight\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[0,4]}}",
             inf16, 4);
    load_fails(path, "tensor '0.weight': element 1 is inf");
    unsigned char nanb[2] = {0xC0, 0x7F};
    write_st(path, "{\"0.weight\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[0,2]}}",
             nanb, 2);
    load_fails(path, "tensor '0.weight': element 0 is nan");
    d = 1e300;
    memcpy(d8, &d, 8);
    write_st(path, "{\"0.weight\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[0,8]}}",
             d8, 8);
    load_fails(path, "too large for a float32");
    free(path);
}

/* ---- nn.Sequential ----------------------------------------------------------------------------- */

static const float W0[8] = {1, -1, -1, 1, 0.5f, 2, -3, 0.25f}; /* (4, 2) */
static const float B0[4] = {0.5f, -0.5f, 1, 0};
static const float W2[4] = {1, 2, -1, 0.5f};                   /* (1, 4) */

static const char seq_header[] =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"net.0.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[0,32]},"
    "\"net.0.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[32,48]},"
    "\"net.2.weight\":{\"dtype\":\"F32\",\"shape\":[1,4],\"data_offsets\":[48,64]}}";

static void write_seq(const char *path)
{
    unsigned char data[64];
    floats_le(data, W0, 8);
    floats_le(data + 32, B0, 4);
    floats_le(data + 48, W2, 4);
    write_st(path, seq_header, data, sizeof data);
}

/* act(i, v) for the hidden and output layers, in double, then rounded like float32 math. */
static float seq_expected(const float *x, float (*hidden)(float), float (*outer)(float), float *h)
{
    float out = 0;
    for (int o = 0; o < 4; o++) {
        h[o] = hidden(W0[2 * o] * x[0] + W0[2 * o + 1] * x[1] + B0[o]);
        out += W2[o] * h[o];
    }
    return outer(out);
}

static float relu_f(float v) { return v > 0 ? v : 0; }
static float ident_f(float v) { return v; }
static float sigmoid_f(float v) { return 1.0f / (1.0f + expf(-v)); }

static void test_sequential(void **state)
{
    char *path = tmp_path(state, "seq.safetensors");
    write_seq(path);
    iv_model *m = load_ok(path);
    assert_string_equal(m->name, "seq");
    assert_int_equal(m->n_inputs, 2);
    assert_string_equal(m->input_names[0], "x0");
    assert_string_equal(m->input_names[1], "x1");
    assert_int_equal(m->n_layers, 2);
    assert_string_equal(m->layers[0].name, "h1");
    assert_string_equal(m->layers[1].name, "out");
    assert_int_equal(m->layers[0].act, IV_ACT_RELU);
    assert_int_equal(m->layers[1].act, IV_ACT_IDENTITY);
    assert_null(m->layers[1].bias);
    assert_null(m->target);
    assert_null(m->layers[0].labels);

    const float x[2] = {1.5f, -2};
    float h[4], got_h[4], got;
    float want = seq_expected(x, relu_f, ident_f, h);
    forward_one(m, x, got_h, 2);
    forward_one(m, x, &got, iv_model_output_site(m));
    for (int o = 0; o < 4; o++)
        assert_float_equal(got_h[o], h[o], 1e-6);
    assert_float_equal(got, want, 1e-5);
    iv_model_free(m);
    free(path);
}

/* A companion .arch file names the layers and inputs and changes the activations. */
static void test_companion_arch(void **state)
{
    char *path = tmp_path(state, "seq2.safetensors"), *arch = tmp_path(state, "seq2.arch");
    write_seq(path);
    const char text[] = "# the sequential net, described\n"
                        "inputs = a, b\n"
                        "layers = hid:sigmoid, y:tanh\n"
                        "target = a > b\n"
                        "labels.hid = p,q,,s\n";
    write_bytes(arch, text, sizeof text - 1);
    iv_model *m = load_ok(path);
    assert_string_equal(m->input_names[0], "a");
    assert_string_equal(m->layers[0].name, "hid");
    assert_int_equal(m->layers[0].act, IV_ACT_SIGMOID);
    assert_int_equal(m->layers[1].act, IV_ACT_TANH);
    assert_string_equal(m->target, "a > b");
    assert_string_equal(m->layers[0].labels[3], "s");
    assert_null(m->layers[0].labels[2]);
    const float x[2] = {0.25f, 1};
    float h[4], got;
    float want = tanhf(seq_expected(x, sigmoid_f, ident_f, h));
    forward_one(m, x, &got, iv_model_output_site(m));
    assert_float_equal(got, want, 1e-5);
    iv_model_free(m);

    /* Errors in the companion name it. */
    const char bad[] = "layers=hid:relux,y:identity\n";
    write_bytes(arch, bad, sizeof bad - 1);
    load_fails_in(path, arch, "unknown activation 'relux'");
    const char three[] = "layers=a1:relu,a2:relu,a3:identity\n";
    write_bytes(arch, three, sizeof three - 1);
    load_fails(path, "lists 3 layers but the file holds 2");
    const char softmax[] = "layers=a1:softmax,a2:identity\n";
    write_bytes(arch, softmax, sizeof softmax - 1);
    load_fails(path, "softmax is allowed only on the last layer");
    const char inputs[] = "inputs=a,b,c\n";
    write_bytes(arch, inputs, sizeof inputs - 1);
    load_fails(path, "takes 2 inputs, but the architecture lists 3");
    const char labels[] = "layers=a1:relu,a2:identity; labels.a1=p,q\n";
    write_bytes(arch, labels, sizeof labels - 1);
    load_fails(path, "labels has 2 labels, expected 4");
    const char key[] = "layerz=a1:relu\n";
    write_bytes(arch, key, sizeof key - 1);
    load_fails_in(path, arch, "unknown key 'layerz'");
    free(path);
    free(arch);
}

/* ---- hostile files ----------------------------------------------------------------------------- */

static void test_hostile(void **state)
{
    char *path = tmp_path(state, "bad.safetensors");
    unsigned char zeros[64] = {0};
    static const struct {
        const char *header;
        size_t data;
        const char *want;
    } cases[] = {
        {"{", 0, "header of 1 bytes cannot hold a JSON object"},
        {"{\"a\"", 0, "header is not valid JSON"},
        {"{\"a\":1,}", 0, "header is not valid JSON"},
        {"[1,2]  ", 0, "not an object"},
        {"{}", 0, "holds no tensors"},
        {"{} x", 0, "header is not valid JSON"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16,
         "tensor '0.weight': data_offsets [0, 12] hold 3 floats, shape [2, 2] needs 4"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,17]}}", 17,
         "hold 17 bytes, not a whole number of F32 values"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,64]}}", 16,
         "tensor '0.weight': data_offsets [0, 64] run past the data buffer (16 bytes)"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,4]}}", 16,
         "end before they begin"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[-4,0]}}", 16,
         "two non-negative integers"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0]}}", 16,
         "two non-negative integers"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],"
         "\"data_offsets\":[0,18446744073709551615]}}", 16, "run past the data buffer"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
         "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
         "overlap tensor"},
        {"{\"0.weight\":{\"dtype\":\"I64\",\"shape\":[1,1],\"data_offsets\":[0,8]}}", 16,
         "tensor '0.weight': unsupported dtype 'I64'"},
        {"{\"0.weight\":{\"dtype\":3,\"shape\":[1,1],\"data_offsets\":[0,4]}}", 16,
         "missing \"dtype\" string"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,4]}}", 16, "has more than 400000000 elements"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[0,9223372036854775807,9223372036854775807],"
         "\"data_offsets\":[0,0]}}", 16, "has more than 400000000 elements"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,-1],\"data_offsets\":[0,4]}}", 16,
         "shape entry 2 is not a non-negative integer"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
         "\"data_offsets\":[0,4]}}", 16, "9 dimensions"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
         "tensor '0.weight': shape [4], expected [out, in]"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[0,2],\"data_offsets\":[0,0]}}", 16,
         "expected [out, in]"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"0.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}", 20,
         "tensor '0.bias': shape [3], expected [2]"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"2.weight\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[8,20]}}", 20,
         "tensor '2.weight': shape [1, 3] takes 3 inputs, but layer 'h1' has 2 outputs"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"2.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16,
         "tensor '2.bias': module 2 has a bias but no weight"},
        {"{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}", 16,
         "tensor 'fc.weight' is not named like an nn.Sequential entry"},
        {"{\"a.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"b.1.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}", 16,
         "different prefixes"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"layers=h1:relu,out:identity\"},"
         "\"h1.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"o.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}", 16,
         "layer 'out': missing tensor 'out.weight'"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"layers=h1:relu\"},"
         "\"h1.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
         "\"extra\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
         "tensor 'extra' is not used by any layer"},
        {"{\"__metadata__\":{\"intervene.architecture\":7},"
         "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}", 16,
         "is not a string"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"layers=h1:leaky_relu:nan\"},"
         "\"h1.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}", 16,
         "__metadata__ \"intervene.architecture\": layers: layer h1: alpha 'nan'"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"layers=input:relu\"},"
         "\"input.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}", 16,
         "layer name 'input' is reserved"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"layers=h.1:relu\"},"
         "\"h.1.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}", 16,
         "layer name 'h.1' is not a valid name"},
        {"{\"__metadata__\":{\"intervene.architecture\":\"inputs=x,x\"},"
         "\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", 16,
         "inputs: 'x' is listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_st(path, cases[i].header, zeros, cases[i].data);
        load_fails(path, cases[i].want);
    }

    /* Broken framing. */
    write_bytes(path, "\x10\0\0", 3);
    load_fails(path, "shorter than the 8-byte header length");
    write_bytes(path, "", 0);
    load_fails(path, "file is 0 bytes");
    write_st_len(path, 1000, "{}", NULL, 0);
    load_fails(path, "header length 1000 runs past the end of the file (10 bytes)");
    write_st_len(path, UINT64_MAX, "{}", NULL, 0);
    load_fails(path, "header length 18446744073709551615 is more than 100000000 bytes");
    write_st_len(path, 4, "{}\0\0", NULL, 0);
    write_bytes(path, "\x04\0\0\0\0\0\0\0{}\0\0", 12);
    load_fails(path, "NUL byte");
    write_st_len(path, 0, "", NULL, 0);
    load_fails(path, "cannot hold a JSON object");
    char *missing = tmp_path(state, "missing.safetensors");
    load_fails(missing, "cannot open");
    free(missing);
    load_fails(((fixture *)*state)->dir, "");

    /* NaN in an F32 weight. */
    float nanw[2] = {1, NAN};
    unsigned char nb[8];
    floats_le(nb, nanw, 2);
    write_st(path, "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", nb,
             8);
    load_fails(path, "tensor '0.weight': element 1 is nan");
    free(path);
}

/* Writing refuses what could not read back. */
static void test_write_errors(void **state)
{
    iv_model *m = iv_model_builtin_max();
    iv_error err = {{0}};
    char *path = tmp_path(state, "nodir/x.safetensors");
    assert_int_equal(iv_model_write_safetensors(m, path, &err), -1);
    assert_non_null(strstr(err.msg, "cannot open for writing"));
    free(path);
    path = tmp_path(state, "w.safetensors");
    m->layers[2].weight[0] = INFINITY;
    assert_int_equal(iv_model_write_safetensors(m, path, &err), -1);
    assert_non_null(strstr(err.msg, "not finite"));
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    iv_model_free(m);
}

/* ---- the PyTorch fixture ----------------------------------------------------------------------- */

static char *src_path(const char *rel)
{
    const char *dir = getenv("srcdir");
    return iv_xasprintf("%s/%s", dir && *dir ? dir : ".", rel);
}

static void assert_rel(double got, double want)
{
    double tol = 1e-5 * fmax(fabs(want), 1e-3);
    if (fabs(got - want) > tol)
        fail_msg("got %.9g, want %.9g", got, want);
}

/* seq_expected.txt: lines "x0 x1 | h1_0 h1_1 h1_2 h1_3 | out" from torch in float32. */
static void test_torch_fixture(void **state)
{
    (void)state;
    char *st = src_path("tests/fixtures/seq.safetensors");
    char *exp = src_path("tests/fixtures/seq_expected.txt");
    iv_model *m = load_ok(st);
    assert_int_equal(m->n_layers, 2);
    FILE *f = fopen(exp, "r");
    assert_non_null(f);
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        float x[2], h[4], out, got_h[4], got;
        int n = sscanf(line, "%f %f | %f %f %f %f | %f", &x[0], &x[1], &h[0], &h[1], &h[2], &h[3],
                       &out);
        assert_int_equal(n, 7);
        forward_one(m, x, got_h, 2);
        forward_one(m, x, &got, iv_model_output_site(m));
        for (int o = 0; o < 4; o++)
            assert_rel(got_h[o], h[o]);
        assert_rel(got, out);
        rows++;
    }
    fclose(f);
    assert_true(rows >= 3);
    iv_model_free(m);
    free(st);
    free(exp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_escapes, setup, teardown),
        cmocka_unit_test(test_half_bfloat16),
        cmocka_unit_test_setup_teardown(test_other_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_companion_arch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
        cmocka_unit_test(test_torch_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
