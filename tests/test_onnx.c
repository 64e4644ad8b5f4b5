/* test_onnx.c - importing torch-exported ONNX MLPs, checked against torch's own numbers.
 *
 * tests/fixtures/make_onnx_fixtures.py exported the models and wrote onnx_expected.txt: inputs,
 * every site's values (through forward hooks) and the output with one hidden unit zeroed. Here
 * each model is loaded, run with iv_forward, and compared site by site; the ablation is redone
 * with an iv_site_hook at the same site. Refusals (a Conv model, truncated and garbage files)
 * must come back as messages, never crashes. */
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
#include "formats/onnx.h"
#include "onnx.pb-c.h"

static void fixture_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("srcdir");
    snprintf(buf, n, "%s/tests/fixtures/%s", dir ? dir : ".", name);
}

static void check_close(const float *got, const float *want, long n, double rel, const char *what)
{
    for (long k = 0; k < n; k++) {
        double tol = rel * fmax(1.0, fabs(want[k]));
        if (fabs(got[k] - want[k]) > tol) {
            print_error("%s[%ld]: got %.9g, torch %.9g\n", what, k, got[k], want[k]);
            fail();
        }
    }
}

static float *read_floats(FILE *f, long n)
{
    float *v = malloc((size_t)n * sizeof *v);
    assert_non_null(v);
    for (long k = 0; k < n; k++)
        assert_int_equal(fscanf(f, "%f", &v[k]), 1);
    return v;
}

typedef struct ablation {
    int site, unit;
} ablation;

/* Zeroes one neuron at one site, as the torch forward hook did. */
static void zero_hook(int site, float *values, long n, int width, void *user)
{
    const ablation *a = user;
    if (site != a->site)
        return;
    for (long r = 0; r < n; r++)
        values[r * width + a->unit] = 0;
}

/* Checks the block of onnx_expected.txt for `model`. */
static void check_model(const char *model, double rel)
{
    char path[512];
    fixture_path(path, sizeof path, "onnx_expected.txt");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char word[64], name[128];
    long rows = 0, n_in = 0;
    bool found = false;
    while (!found && fscanf(f, "%63s", word) == 1)
        if (strcmp(word, "model") == 0 &&
            fscanf(f, "%127s rows %ld inputs %ld", name, &rows, &n_in) == 3 &&
            strcmp(name, model) == 0)
            found = true;
    assert_true(found);

    char mpath[512];
    fixture_path(mpath, sizeof mpath, model);
    iv_error err = {{0}};
    iv_model *m = iv_model_load_onnx(mpath, &err);
    if (!m)
        print_error("%s\n", err.msg);
    assert_non_null(m);
    assert_int_equal(m->n_inputs, n_in);

    assert_int_equal(fscanf(f, "%63s", word), 1);
    assert_string_equal(word, "input");
    float *x = read_floats(f, rows * n_in);
    iv_acts *acts = iv_acts_new(m, rows, &err);
    assert_non_null(acts);
    iv_forward(m, x, acts, NULL, NULL);
    int sites = 0;
    while (fscanf(f, "%63s", word) == 1 && strcmp(word, "site") == 0) {
        int s, w;
        assert_int_equal(fscanf(f, "%d %d", &s, &w), 2);
        assert_true(s < acts->n_sites);
        assert_int_equal(acts->width[s], w);
        float *want = read_floats(f, rows * w);
        char what[128];
        iv_model_site_name(m, s, what, sizeof what);
        check_close(acts->site[s], want, rows * w, rel, what);
        free(want);
        sites++;
    }
    assert_int_equal(sites, 2 * m->n_layers);
    assert_string_equal(word, "ablate");
    ablation a;
    int w;
    assert_int_equal(fscanf(f, "%d %d %d", &a.site, &a.unit, &w), 3);
    float *want = read_floats(f, rows * w);
    iv_forward(m, x, acts, zero_hook, &a);
    int out = iv_model_output_site(m);
    assert_int_equal(acts->width[out], w);
    check_close(acts->site[out], want, rows * w, rel, "ablated output");
    free(want);
    free(x);
    iv_acts_free(acts);
    iv_model_free(m);
    fclose(f);
}

static void test_relu_tanh(void **state)
{
    (void)state;
    check_model("mlp_relu_tanh.onnx", 1e-5);
}

static void test_leaky_softmax(void **state)
{
    (void)state;
    check_model("mlp_leaky_softmax.onnx", 1e-5);
}

static void test_gelu_erf_subgraph(void **state)
{
    (void)state;
    check_model("mlp_gelu.onnx", 1e-4);
}

static void test_matmul_add(void **state)
{
    (void)state;
    check_model("mlp_matmul_sigmoid.onnx", 1e-5);
}

/* The imported structure: names sanitised from the graph, activations, the classifier flag. */
static void test_structure(void **state)
{
    (void)state;
    char path[512];
    fixture_path(path, sizeof path, "mlp_leaky_softmax.onnx");
    iv_error err = {{0}};
    iv_model *m = iv_model_load_onnx(path, &err);
    assert_non_null(m);
    assert_int_equal(m->n_layers, 2);
    assert_string_equal(m->layers[0].name, "layer0");
    assert_string_equal(m->layers[1].name, "layer2");
    assert_string_equal(m->input_names[0], "x0");
    assert_int_equal(m->layers[0].act, IV_ACT_LEAKY_RELU);
    assert_true(fabsf(m->layers[0].alpha - 0.1f) < 1e-7f);
    assert_true(iv_model_is_classifier(m));
    assert_string_equal(m->name, "mlp_leaky_softmax");
    iv_model_free(m);
    fixture_path(path, sizeof path, "mlp_gelu.onnx");
    m = iv_model_load_onnx(path, &err);
    assert_non_null(m);
    assert_int_equal(m->n_layers, 2);
    assert_int_equal(m->layers[0].act, IV_ACT_GELU);
    assert_int_equal(m->layers[1].act, IV_ACT_IDENTITY);
    iv_model_free(m);
}

static void test_conv_refused(void **state)
{
    (void)state;
    char path[512];
    fixture_path(path, sizeof path, "conv.onnx");
    iv_error err = {{0}};
    assert_null(iv_model_load_onnx(path, &err));
    assert_non_null(strstr(err.msg, "conv.onnx: node '/0/Conv' (Conv): only Gemm, MatMul+Add, "
                                    "Relu, LeakyRelu, Sigmoid, Tanh, Gelu, Softmax, Identity and "
                                    "Flatten are supported"));
}

/* Writes bytes to a scratch file and returns its path. */
static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Every prefix of a real model, and some garbage, must be refused or loaded, never crash. */
static void test_truncated_and_garbage(void **state)
{
    (void)state;
    char path[512];
    fixture_path(path, sizeof path, "mlp_relu_tanh.onnx");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char buf[8192];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 100 && len < sizeof buf);
    char tmp[] = "/tmp/test_onnx_XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    iv_error err;
    for (size_t n = 0; n < len; n++) {
        write_file(tmp, buf, n);
        err.msg[0] = 0;
        iv_model *m = iv_model_load_onnx(tmp, &err);
        if (m) { /* fields after the graph (opset_import) may be cut off harmlessly */
            assert_int_equal(m->n_layers, 3);
            iv_model_free(m);
        } else {
            assert_true(strncmp(err.msg, tmp, strlen(tmp)) == 0);
        }
    }
    /* Flipped bytes: anything may happen except a crash or an unexplained failure. */
    for (size_t k = 0; k < len; k++) {
        unsigned char save = buf[k];
        buf[k] ^= 0xA5;
        write_file(tmp, buf, len);
        err.msg[0] = 0;
        iv_model *m = iv_model_load_onnx(tmp, &err);
        if (m)
            iv_model_free(m);
        else
            assert_true(err.msg[0] != 0);
        buf[k] = save;
    }
    const char garbage[] = "this is not a protobuf \xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    write_file(tmp, garbage, sizeof garbage);
    assert_null(iv_model_load_onnx(tmp, &err));
    assert_non_null(strstr(err.msg, "not an ONNX model"));
    write_file(tmp, "", 0);
    assert_null(iv_model_load_onnx(tmp, &err));
    assert_non_null(strstr(err.msg, "no graph"));
    remove(tmp);
    assert_null(iv_model_load_onnx("/nonexistent/x.onnx", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/x.onnx"));
}

/* ---- an image input, built here with the generated ONNX structs --------------------------------- */

/* Writes a model: input "x" of shape dims (a batch first), Flatten, then Gemm to 2 outputs (weights
 * all 0.5, no bias). Returns the file's path (static). */
static const char *write_image_model(const int64_t *dims, size_t n_dims)
{
    static char path[64];
    long width = 1;
    for (size_t d = 1; d < n_dims; d++)
        width *= (long)dims[d];
    Onnx__TensorShapeProto__Dimension dim[4], *dimp[4];
    for (size_t d = 0; d < n_dims; d++) {
        onnx__tensor_shape_proto__dimension__init(&dim[d]);
        dim[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dim[d].dim_value = dims[d];
        dimp[d] = &dim[d];
    }
    Onnx__TensorShapeProto shape;
    onnx__tensor_shape_proto__init(&shape);
    shape.n_dim = n_dims;
    shape.dim = dimp;
    Onnx__TypeProto__Tensor tensor_type;
    onnx__type_proto__tensor__init(&tensor_type);
    tensor_type.has_elem_type = 1;
    tensor_type.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor_type.shape = &shape;
    Onnx__TypeProto type;
    onnx__type_proto__init(&type);
    type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type.tensor_type = &tensor_type;
    Onnx__ValueInfoProto input, output, *inputs[] = {&input}, *outputs[] = {&output};
    onnx__value_info_proto__init(&input);
    input.name = "x";
    input.type = &type;
    onnx__value_info_proto__init(&output);
    output.name = "y";

    float *w = malloc(sizeof(float) * 2 * (size_t)width);
    assert_non_null(w);
    for (long k = 0; k < 2 * width; k++)
        w[k] = 0.5f;
    int64_t wdims[] = {2, width};
    Onnx__TensorProto weight, *inits[] = {&weight};
    onnx__tensor_proto__init(&weight);
    weight.name = "w";
    weight.has_data_type = 1;
    weight.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    weight.n_dims = 2;
    weight.dims = wdims;
    weight.n_float_data = (size_t)(2 * width);
    weight.float_data = w;

    Onnx__AttributeProto trans_b, *attrs[] = {&trans_b};
    onnx__attribute_proto__init(&trans_b);
    trans_b.name = "transB";
    trans_b.has_type = 1;
    trans_b.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    trans_b.has_i = 1;
    trans_b.i = 1;
    char *flat_in[] = {"x"}, *flat_out[] = {"f"}, *gemm_in[] = {"f", "w"}, *gemm_out[] = {"y"};
    Onnx__NodeProto flatten, gemm, *nodes[] = {&flatten, &gemm};
    onnx__node_proto__init(&flatten);
    flatten.op_type = "Flatten";
    flatten.name = "flatten";
    flatten.n_input = 1;
    flatten.input = flat_in;
    flatten.n_output = 1;
    flatten.output = flat_out;
    onnx__node_proto__init(&gemm);
    gemm.op_type = "Gemm";
    gemm.name = "fc";
    gemm.n_input = 2;
    gemm.input = gemm_in;
    gemm.n_output = 1;
    gemm.output = gemm_out;
    gemm.n_attribute = 1;
    gemm.attribute = attrs;

    Onnx__GraphProto graph;
    onnx__graph_proto__init(&graph);
    graph.name = "image";
    graph.n_node = 2;
    graph.node = nodes;
    graph.n_initializer = 1;
    graph.initializer = inits;
    graph.n_input = 1;
    graph.input = inputs;
    graph.n_output = 1;
    graph.output = outputs;
    Onnx__ModelProto model;
    onnx__model_proto__init(&model);
    model.has_ir_version = 1;
    model.ir_version = 8;
    model.graph = &graph;

    size_t len = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    onnx__model_proto__pack(&model, buf);
    snprintf(path, sizeof path, "/tmp/iv-image-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
    free(buf);
    free(w);
    return path;
}

/* An input declared (1, 1, 4, 6) is a 4 x 6 image of 24 inputs, which the explorer draws as one;
 * (1, 3, 4, 4) has channels, and (1, 16) no shape beyond its width: neither is an image. */
static void test_image_shape(void **state)
{
    (void)state;
    const struct {
        int64_t dims[4];
        size_t n;
        int inputs, rows, cols;
    } cases[] = {
        {{1, 1, 4, 6}, 4, 24, 4, 6},
        {{1, 4, 6}, 3, 24, 4, 6},
        {{1, 3, 4, 4}, 4, 48, 0, 0},
        {{1, 16}, 2, 16, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *path = write_image_model(cases[c].dims, cases[c].n);
        iv_error err;
        iv_model *m = iv_model_load_onnx(path, &err);
        unlink(path);
        if (!m)
            fail_msg("case %zu: %s", c, err.msg);
        assert_int_equal(m->n_inputs, cases[c].inputs);
        assert_int_equal(m->input_rows, cases[c].rows);
        assert_int_equal(m->input_cols, cases[c].cols);
        iv_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_tanh),
        cmocka_unit_test(test_leaky_softmax),
        cmocka_unit_test(test_gelu_erf_subgraph),
        cmocka_unit_test(test_matmul_add),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_conv_refused),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_image_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
