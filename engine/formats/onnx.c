/* onnx.c - turns an ONNX file exported from a PyTorch MLP into an iv_model.
 *
 * The file is decoded with protobuf-c (code generated from onnx.proto at build time), then the
 * graph is walked from its input to its output one value at a time: at each step the node(s)
 * reading the current value must be a dense layer, an activation of the layer just read, a skipped
 * node (Identity, Flatten at the input) or the Erf form of GELU. Every tensor of the model goes into
 * its arena as soon as it is built, so any error simply frees the arena. Because the file may be
 * hostile, every field protobuf-c hands back is checked before use: NULL strings, missing graphs,
 * tensor sizes that disagree with their dims, absurd dims and non-finite values. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"

#include "build.h"

#include "files.h"
#include "onnx.pb-c.h"

#define ONNX_MAX_FILE (256L << 20)
#define NAME_MAX_LEN 48
#define SQRT2 1.4142135623730951
#define SQRT1_2 0.7071067811865476 /* room under the text format's 64 for a "_N" suffix */

static const char supported[] = "only Gemm, MatMul+Add, Relu, LeakyRelu, Sigmoid, Tanh, Gelu, "
                                "Softmax, Identity and Flatten are supported";

typedef struct importer {
    const char *file;
    iv_error *err;
    const Onnx__GraphProto *g;
    bool *used;           /* (n_node) nodes already turned into part of the model */
    iv_model *m;
    iv_layer layers[IV_MAX_LAYERS];
    int n_layers;
    bool pending;         /* layers[n_layers - 1] still waits for its activation */
    long params;
    int image_rows, image_cols; /* the input's declared image shape, or 0 */
} importer;

static const char *str(const char *s) { return s ? s : ""; }

static int fail(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(importer *im, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return iv_error_set(im->err, "%s: %s", im->file, msg);
}

static int fail_node(importer *im, const Onnx__NodeProto *n, const char *what)
{
    return fail(im, "node '%.80s' (%.40s): %s", str(n->name), str(n->op_type), what);
}

/* ---- values: initializers, Constant nodes and who reads what ----------------------------------- */

static const Onnx__TensorProto *find_initializer(const importer *im, const char *name)
{
    for (size_t i = 0; i < im->g->n_initializer; i++)
        if (im->g->initializer[i] && strcmp(str(im->g->initializer[i]->name), name) == 0)
            return im->g->initializer[i];
    return NULL;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i] && strcmp(str(n->attribute[i]->name), name) == 0)
            return n->attribute[i];
    return NULL;
}

/* The constant tensor named `name`: an initializer, or the `value` of a Constant node (which is
 * then marked used, since it belongs to the node reading it). NULL when the value is computed. */
static const Onnx__TensorProto *find_constant(importer *im, const char *name)
{
    const Onnx__TensorProto *t = find_initializer(im, name);
    if (t)
        return t;
    for (size_t i = 0; i < im->g->n_node; i++) {
        const Onnx__NodeProto *n = im->g->node[i];
        if (strcmp(str(n->op_type), "Constant") != 0 || n->n_output != 1 ||
            strcmp(str(n->output[0]), name) != 0)
            continue;
        const Onnx__AttributeProto *a = find_attr(n, "value");
        if (a && a->t) {
            im->used[i] = true;
            return a->t;
        }
    }
    return NULL;
}

/* Indices of the nodes (other than Constants) reading `name`; returns how many (at most max). */
static int consumers(const importer *im, const char *name, int *out, int max)
{
    int k = 0;
    for (size_t i = 0; i < im->g->n_node; i++) {
        const Onnx__NodeProto *n = im->g->node[i];
        for (size_t j = 0; j < n->n_input; j++)
            if (strcmp(str(n->input[j]), name) == 0) {
                if (k < max)
                    out[k] = (int)i;
                k++;
                break;
            }
    }
    return k;
}

static bool is_op(const Onnx__NodeProto *n, const char *op) { return strcmp(str(n->op_type), op) == 0; }

/* The node's single output, or NULL when it has none or several. */
static const char *out1(const Onnx__NodeProto *n)
{
    return n->n_output == 1 && n->output[0] && n->output[0][0] ? n->output[0] : NULL;
}

/* ---- tensors ----------------------------------------------------------------------------------- */

/* Element count of a tensor, checking every dim; -1 (with a message) when a dim is absurd. */
static long tensor_size(importer *im, const Onnx__TensorProto *t, const char *what)
{
    long n = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 1 || t->dims[d] > IV_MAX_WIDTH)
            return fail(im, "%s '%.80s' has a dimension of %lld (at most %d)", what, str(t->name),
                        (long long)t->dims[d], IV_MAX_WIDTH);
        n *= (long)t->dims[d];
        if (n > IV_MAX_PARAMS)
            return fail(im, "%s '%.80s' has more than %ld values", what, str(t->name),
                        IV_MAX_PARAMS);
    }
    return n;
}

/* Copies a tensor's n values into out as float32: FLOAT or DOUBLE, inline or in raw_data (which
 * ONNX defines as little-endian, so it is assembled byte by byte rather than memcpy'd). */
static int tensor_values(importer *im, const Onnx__TensorProto *t, long n, float *out,
                         const char *what)
{
    const char *name = str(t->name);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fail(im, "%s '%.80s' is stored in an external file, which is not supported", what,
                    name);
    bool dbl = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !dbl)
        return fail(im, "%s '%.80s' has data type %d (only FLOAT and DOUBLE are supported)", what,
                    name, (int)t->data_type);
    size_t width = dbl ? 8 : 4;
    if (t->has_raw_data && t->raw_data.len > 0) {
        if (t->raw_data.len != (size_t)n * width)
            return fail(im, "%s '%.80s' has %zu bytes of data for %ld values", what, name,
                        t->raw_data.len, n);
        const uint8_t *b = t->raw_data.data;
        for (long k = 0; k < n; k++, b += width) {
            uint64_t u = 0;
            for (size_t j = width; j-- > 0;)
                u = (u << 8) | b[j];
            if (dbl) {
                double v;
                memcpy(&v, &u, sizeof v);
                out[k] = (float)v;
            } else {
                uint32_t u32 = (uint32_t)u;
                memcpy(&out[k], &u32, sizeof out[k]);
            }
        }
    } else if (!dbl && t->n_float_data == (size_t)n) {
        memcpy(out, t->float_data, (size_t)n * sizeof *out);
    } else if (dbl && t->n_double_data == (size_t)n) {
        for (long k = 0; k < n; k++)
            out[k] = (float)t->double_data[k];
    } else {
        return fail(im, "%s '%.80s' does not hold the %ld values its dims announce", what, name,
                    n);
    }
    for (long k = 0; k < n; k++)
        if (!isfinite(out[k]))
            return fail(im, "%s '%.80s' has a non-finite value at index %ld", what, name, k);
    return 0;
}

/* Reads a one-value constant (the scalars of the GELU subgraph); false when it is not one. */
static bool scalar(importer *im, const char *name, float *v)
{
    const Onnx__TensorProto *t = find_constant(im, name);
    if (!t)
        return false;
    iv_error saved = *im->err;
    long n = tensor_size(im, t, "constant");
    bool ok = n == 1 && tensor_values(im, t, 1, v, "constant") == 0;
    *im->err = saved; /* not being a scalar is an answer here, not an error */
    return ok;
}

static bool near(float v, double want) { return fabs(v - want) <= 1e-4 * fabs(want); }

/* ---- names ------------------------------------------------------------------------------------- */

static bool name_taken(const importer *im, const char *s)
{
    if (strcmp(s, "input") == 0)
        return true;
    for (int l = 0; l < im->n_layers; l++)
        if (im->layers[l].name && strcmp(im->layers[l].name, s) == 0)
            return true;
    for (int i = 0; im->m->input_names && i < im->m->n_inputs; i++)
        if (im->m->input_names[i] && strcmp(im->m->input_names[i], s) == 0)
            return true;
    return false;
}

/* "/0/Gemm" -> "layer0": letters, digits and single '_', starting with a letter, unique. */
static char *make_name(importer *im, const char *raw, const char *fallback)
{
    char base[NAME_MAX_LEN + 8];
    size_t k = 0;
    for (const char *s = raw; *s && k < NAME_MAX_LEN; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok)
            base[k++] = c;
        else if (k > 0 && base[k - 1] != '_')
            base[k++] = '_';
    }
    while (k > 0 && base[k - 1] == '_')
        k--;
    base[k] = 0;
    /* The op type PyTorch appends says nothing the layer view does not: "0_Gemm" -> "0". */
    static const char *const ops[] = {"_Gemm", "_MatMul"};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        size_t len = strlen(ops[o]);
        if (k > len && strcmp(base + k - len, ops[o]) == 0)
            base[k -= len] = 0;
    }
    if (k == 0)
        snprintf(base, sizeof base, "%s", fallback);
    else if (base[0] >= '0' && base[0] <= '9') {
        char tmp[sizeof base];
        snprintf(tmp, sizeof tmp, "layer%.*s", NAME_MAX_LEN, base);
        memcpy(base, tmp, sizeof base);
    }
    char name[NAME_MAX_LEN + 24];
    snprintf(name, sizeof name, "%s", base);
    for (int i = 2; name_taken(im, name); i++)
        snprintf(name, sizeof name, "%s_%d", base, i);
    return iv_arena_strdup(im->m->arena, name);
}

/* ---- dense layers ------------------------------------------------------------------------------ */

/* Starts layer number n_layers with weights (n_out, n_in) and an optional bias; the caller fills
 * them. Checks the chain of widths and the limits first. */
static iv_layer *new_layer(importer *im, const Onnx__NodeProto *n, int n_in, int n_out, bool bias)
{
    if (im->n_layers == IV_MAX_LAYERS) {
        fail_node(im, n, "the model has more layers than the most this tool loads");
        return NULL;
    }
    int want = im->n_layers ? im->layers[im->n_layers - 1].n_out : im->m->n_inputs;
    if (want > 0 && n_in != want) {
        char msg[120];
        snprintf(msg, sizeof msg, "takes %d values but the previous %s has %d", n_in,
                 im->n_layers ? "layer" : "input", want);
        fail_node(im, n, msg);
        return NULL;
    }
    im->params += (long)n_in * n_out + (bias ? n_out : 0);
    if (im->params > IV_MAX_PARAMS) {
        fail(im, "the model has more than %ld parameters, the most this tool loads", IV_MAX_PARAMS);
        return NULL;
    }
    if (im->n_layers == 0)
        im->m->n_inputs = n_in;
    iv_layer *L = &im->layers[im->n_layers];
    memset(L, 0, sizeof *L);
    L->n_in = n_in;
    L->n_out = n_out;
    L->act = IV_ACT_IDENTITY;
    L->weight = iv_arena_alloc(im->m->arena, (size_t)n_in * (size_t)n_out * sizeof(float));
    if (bias)
        L->bias = iv_arena_alloc(im->m->arena, (size_t)n_out * sizeof(float));
    const char *raw = str(n->name)[0] ? n->name : str(out1(n));
    L->name = make_name(im, raw, "dense");
    im->n_layers++;
    im->pending = true;
    return L;
}

/* Reads a bias of n_out values (or one value broadcast to all), scaled by beta. */
static int read_bias(importer *im, const Onnx__NodeProto *n, const char *name, iv_layer *L,
                     float beta)
{
    const Onnx__TensorProto *t = find_constant(im, name);
    if (!t)
        return fail_node(im, n, "the bias must be an initializer");
    long k = tensor_size(im, t, "bias");
    if (k < 0)
        return -1;
    if (k != L->n_out && k != 1) {
        char msg[120];
        snprintf(msg, sizeof msg, "the bias has %ld values for %d outputs", k, L->n_out);
        return fail_node(im, n, msg);
    }
    if (tensor_values(im, t, k, L->bias, "bias") < 0)
        return -1;
    for (int o = L->n_out; o-- > 0;)
        L->bias[o] = beta * L->bias[k == 1 ? 0 : o];
    return 0;
}

/* The weight initializer of a Gemm or MatMul: 2-D, returned with its dims. */
static const Onnx__TensorProto *weight_tensor(importer *im, const Onnx__NodeProto *n,
                                              const char *name, long *rows, long *cols)
{
    const Onnx__TensorProto *t = find_constant(im, name);
    if (!t) {
        fail_node(im, n, "the weight must be an initializer");
        return NULL;
    }
    if (t->n_dims != 2) {
        fail_node(im, n, "the weight must be a matrix");
        return NULL;
    }
    if (tensor_size(im, t, "weight") < 0)
        return NULL;
    *rows = (long)t->dims[0];
    *cols = (long)t->dims[1];
    return t;
}

/* Gemm: Y = alpha A op(B) + beta C, with A the current value. Returns the node's output. */
static const char *do_gemm(importer *im, const Onnx__NodeProto *n)
{
    float alpha = 1, beta = 1;
    int64_t trans_b = 0;
    for (size_t i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        const char *an = str(a->name);
        if (strcmp(an, "alpha") == 0)
            alpha = a->f;
        else if (strcmp(an, "beta") == 0)
            beta = a->f;
        else if (strcmp(an, "transB") == 0)
            trans_b = a->i;
        else if (strcmp(an, "transA") == 0 && a->i != 0) {
            fail_node(im, n, "transA=1 is not supported");
            return NULL;
        }
    }
    if (n->n_input < 2 || !out1(n)) {
        fail_node(im, n, "expected inputs A, B[, C] and one output");
        return NULL;
    }
    long rows, cols;
    const Onnx__TensorProto *w = weight_tensor(im, n, n->input[1], &rows, &cols);
    if (!w)
        return NULL;
    int n_in = (int)(trans_b ? cols : rows), n_out = (int)(trans_b ? rows : cols);
    bool has_c = n->n_input >= 3 && n->input[2][0];
    iv_layer *L = new_layer(im, n, n_in, n_out, has_c);
    if (!L || tensor_values(im, w, rows * cols, L->weight, "weight") < 0)
        return NULL;
    if (!trans_b) { /* B is (in, out); the model keeps (out, in) */
        float *tmp = iv_xmalloc((size_t)rows * (size_t)cols * sizeof *tmp);
        memcpy(tmp, L->weight, (size_t)rows * (size_t)cols * sizeof *tmp);
        for (int i = 0; i < n_in; i++)
            for (int o = 0; o < n_out; o++)
                L->weight[(long)o * n_in + i] = tmp[(long)i * n_out + o];
        free(tmp);
    }
    if (alpha != 1)
        for (long k = 0; k < rows * cols; k++)
            L->weight[k] *= alpha;
    if (has_c && read_bias(im, n, n->input[2], L, beta) < 0)
        return NULL;
    return out1(n);
}

/* MatMul by an (in, out) initializer, then an Add of a constant bias when one follows. */
static const char *do_matmul(importer *im, int idx, const char *cur)
{
    const Onnx__NodeProto *n = im->g->node[idx];
    if (n->n_input != 2 || strcmp(str(n->input[0]), cur) != 0 || !out1(n)) {
        fail_node(im, n, "expected the current value times a weight initializer");
        return NULL;
    }
    long rows, cols;
    const Onnx__TensorProto *w = weight_tensor(im, n, n->input[1], &rows, &cols);
    if (!w)
        return NULL;
    /* Is the single reader of the product an Add of a constant? Then it is this layer's bias. */
    int next[2];
    const Onnx__NodeProto *add = NULL;
    const char *bias = NULL;
    if (consumers(im, out1(n), next, 2) == 1 && is_op(im->g->node[next[0]], "Add") &&
        im->g->node[next[0]]->n_input == 2 && out1(im->g->node[next[0]])) {
        add = im->g->node[next[0]];
        int other = strcmp(str(add->input[0]), out1(n)) == 0 ? 1 : 0;
        bias = add->input[other];
        if (!find_constant(im, bias))
            add = NULL, bias = NULL;
    }
    iv_layer *L = new_layer(im, n, (int)rows, (int)cols, bias != NULL);
    if (!L)
        return NULL;
    float *tmp = iv_xmalloc((size_t)rows * (size_t)cols * sizeof *tmp);
    int rc = tensor_values(im, w, rows * cols, tmp, "weight");
    for (long i = 0; rc == 0 && i < rows; i++)
        for (long o = 0; o < cols; o++)
            L->weight[o * rows + i] = tmp[i * cols + o];
    free(tmp);
    if (rc < 0)
        return NULL;
    if (add) {
        im->used[next[0]] = true;
        if (read_bias(im, add, bias, L, 1) < 0)
            return NULL;
        return out1(add);
    }
    return out1(n);
}

/* ---- activations ------------------------------------------------------------------------------- */

/* Sets the pending layer's activation; an activation with no dense layer before it is refused. */
static int set_act(importer *im, const Onnx__NodeProto *n, iv_activation act, float alpha)
{
    if (!im->pending)
        return fail_node(im, n, "an activation must directly follow a dense layer (Gemm or "
                         "MatMul)");
    im->layers[im->n_layers - 1].act = act;
    im->layers[im->n_layers - 1].alpha = alpha;
    im->pending = false;
    return 0;
}

/* The node with index `idx` if it is `op` reading `a` and a constant near `k` (either order), or
 * with `k` < 0: reading `a` and the computed value `b`. Returns its output or NULL. */
static const char *match(importer *im, int idx, const char *op, const char *a, const char *b,
                         double k)
{
    if (idx < 0)
        return NULL;
    const Onnx__NodeProto *n = im->g->node[idx];
    if (!is_op(n, op) || n->n_input != 2 || !out1(n))
        return NULL;
    for (int first = 0; first < 2; first++) {
        if (strcmp(str(n->input[first]), a) != 0)
            continue;
        const char *other = n->input[1 - first];
        float v;
        if (k < 0 ? strcmp(str(other), b) == 0 : scalar(im, other, &v) && near(v, k))
            return out1(n);
    }
    return NULL;
}

/* The single non-Constant reader of `name`, or -1. */
static int only_reader(const importer *im, const char *name)
{
    int r[2];
    return consumers(im, name, r, 2) == 1 ? r[0] : -1;
}

/* GELU as torch exports it at opsets without a Gelu op: x/sqrt2 (or x*(1/sqrt2)) -> Erf -> +1 ->
 * times x -> times 0.5, or times (0.5 x). `x` has exactly two readers, r[0] and r[1]. Returns the
 * subgraph's output, or NULL when the nodes are something else. */
static const char *match_gelu(importer *im, const char *x, const int r[2])
{
    for (int s = 0; s < 2; s++) {
        const char *t1 = match(im, r[s], "Div", x, NULL, SQRT2);
        if (!t1)
            t1 = match(im, r[s], "Mul", x, NULL, SQRT1_2);
        if (!t1)
            continue;
        int e = only_reader(im, t1);
        if (e < 0 || !is_op(im->g->node[e], "Erf") || !out1(im->g->node[e]))
            return NULL;
        const char *t2 = out1(im->g->node[e]);
        int ad = only_reader(im, t2);
        const char *t3 = match(im, ad, "Add", t2, NULL, 1.0);
        if (!t3)
            return NULL;
        int other = r[1 - s], last = -1;
        const char *out = NULL, *t4, *h;
        if ((t4 = match(im, other, "Mul", x, t3, -1))) { /* (x * (1 + erf)) * 0.5 */
            last = only_reader(im, t4);
            out = match(im, last, "Mul", t4, NULL, 0.5);
        } else if ((h = match(im, other, "Mul", x, NULL, 0.5))) { /* (0.5 x) * (1 + erf) */
            last = only_reader(im, t3);
            out = match(im, last, "Mul", h, t3, -1);
            if (!out)
                out = match(im, last, "Mul", t3, h, -1);
        } else {
            return NULL;
        }
        if (!out)
            return NULL;
        const int nodes[] = {r[0], r[1], e, ad, last};
        for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
            im->used[nodes[i]] = true;
        return out;
    }
    return NULL;
}

/* ---- the walk ---------------------------------------------------------------------------------- */

/* Handles the one node reading `cur`; returns the value it produces, or NULL on error. */
static const char *step(importer *im, int idx, const char *cur)
{
    const Onnx__NodeProto *n = im->g->node[idx];
    im->used[idx] = true;
    const char *out = out1(n);
    if (is_op(n, "MatMul")) {
        if (im->pending && set_act(im, n, IV_ACT_IDENTITY, 0) < 0)
            return NULL;
        return do_matmul(im, idx, cur);
    }
    if (!out) {
        fail_node(im, n, "expected exactly one output");
        return NULL;
    }
    if (n->n_input < 1 || strcmp(str(n->input[0]), cur) != 0) {
        /* Every op below reads the current value as its first input; anything else (such as a
         * residual Add) is not a chain of dense layers. */
        fail_node(im, n, supported);
        return NULL;
    }
    if (is_op(n, "Identity"))
        return out;
    if (is_op(n, "Flatten")) {
        if (im->n_layers > 0) {
            fail_node(im, n, "Flatten is only supported before the first layer");
            return NULL;
        }
        return out;
    }
    if (is_op(n, "Gemm")) {
        im->pending = false; /* a layer straight after a layer keeps the identity */
        return do_gemm(im, n);
    }
    int rc;
    if (is_op(n, "Relu"))
        rc = set_act(im, n, IV_ACT_RELU, 0);
    else if (is_op(n, "Sigmoid"))
        rc = set_act(im, n, IV_ACT_SIGMOID, 0);
    else if (is_op(n, "Tanh"))
        rc = set_act(im, n, IV_ACT_TANH, 0);
    else if (is_op(n, "LeakyRelu")) {
        const Onnx__AttributeProto *a = find_attr(n, "alpha");
        float alpha = a && a->has_f ? a->f : 0.01f; /* the ONNX default */
        if (!isfinite(alpha)) {
            fail_node(im, n, "alpha is not a finite number");
            return NULL;
        }
        rc = set_act(im, n, IV_ACT_LEAKY_RELU, alpha);
    } else if (is_op(n, "Gelu")) {
        const Onnx__AttributeProto *a = find_attr(n, "approximate");
        if (a && a->has_s && !(a->s.len == 4 && memcmp(a->s.data, "none", 4) == 0)) {
            fail_node(im, n, "only the exact GELU (approximate=\"none\") is supported");
            return NULL;
        }
        rc = set_act(im, n, IV_ACT_GELU, 0);
    } else if (is_op(n, "Softmax")) {
        const Onnx__AttributeProto *a = find_attr(n, "axis");
        if (a && a->i != -1 && a->i != 1) {
            fail_node(im, n, "only a softmax over the last axis (axis -1 or 1) is supported");
            return NULL;
        }
        rc = set_act(im, n, IV_ACT_SOFTMAX, 0);
    } else {
        fail_node(im, n, supported);
        return NULL;
    }
    return rc < 0 ? NULL : out;
}

static int walk(importer *im, const char *input, const char *output)
{
    const char *cur = input;
    for (size_t steps = 0; strcmp(cur, output) != 0; steps++) {
        if (steps > im->g->n_node)
            return fail(im, "the graph is not a chain from its input to its output");
        int r[2];
        int k = consumers(im, cur, r, 2);
        const char *next = NULL;
        if (k == 0)
            return fail(im, "value '%.80s' is not read by any node, so the graph output '%.80s' "
                        "is never reached", cur, output);
        if (k == 1) {
            next = step(im, r[0], cur);
        } else if (k == 2 && im->pending && (next = match_gelu(im, cur, r))) {
            if (set_act(im, im->g->node[r[0]], IV_ACT_GELU, 0) < 0)
                return -1;
        } else {
            /* Name the first node that is not a plain activation, the likelier culprit. */
            const Onnx__NodeProto *n = im->g->node[r[k > 1 && is_op(im->g->node[r[0]], "Mul")]];
            return fail(im, "value '%.80s' is read by %d nodes, including '%.80s' (%.40s): the "
                        "graph is not a chain (%s)", cur, k, str(n->name), str(n->op_type),
                        supported);
        }
        if (!next)
            return -1;
        cur = next;
    }
    if (im->n_layers == 0)
        return fail(im, "the graph has no dense layer (Gemm or MatMul)");
    for (size_t i = 0; i < im->g->n_node; i++)
        if (!im->used[i] && !is_op(im->g->node[i], "Constant"))
            return fail_node(im, im->g->node[i], "is not on the chain from the input to the output");
    return 0;
}

/* The declared feature count of the input (dims after the batch), or 0 when unknown. */
static long declared_width(const Onnx__ValueInfoProto *v)
{
    if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !v->type->tensor_type || !v->type->tensor_type->shape)
        return 0;
    const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
    long w = 1;
    for (size_t d = 1; d < s->n_dim; d++) {
        if (!s->dim[d] || s->dim[d]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            s->dim[d]->dim_value < 1 || s->dim[d]->dim_value > IV_MAX_WIDTH)
            return 0;
        w *= (long)s->dim[d]->dim_value;
        if (w > IV_MAX_WIDTH)
            return 0;
    }
    return s->n_dim >= 2 ? w : 0;
}

/* The declared image shape of the input: its last two dims, when it has more than two (a batch,
 * maybe channels, rows, columns) and every dim between the batch and the rows is 1. */
static void declared_image(importer *im, const Onnx__ValueInfoProto *v)
{
    if (!declared_width(v))
        return;
    const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
    if (s->n_dim < 3)
        return;
    for (size_t d = 1; d + 2 < s->n_dim; d++)
        if (s->dim[d]->dim_value != 1)
            return;
    im->image_rows = (int)s->dim[s->n_dim - 2]->dim_value;
    im->image_cols = (int)s->dim[s->n_dim - 1]->dim_value;
}

static int import_graph(importer *im)
{
    const Onnx__GraphProto *g = im->g;
    for (size_t i = 0; i < g->n_node; i++)
        if (!g->node[i])
            return fail(im, "the graph has an empty node");
    /* Older exporters also list initializers as graph inputs; the real input is the other one. */
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        if (!g->input[i] || find_initializer(im, str(g->input[i]->name)))
            continue;
        if (in)
            return fail(im, "the graph has several inputs ('%.80s' and '%.80s'); only one is "
                        "supported", str(in->name), str(g->input[i]->name));
        in = g->input[i];
    }
    if (!in || !str(in->name)[0])
        return fail(im, "the graph has no input");
    if (g->n_output != 1 || !g->output[0] || !str(g->output[0]->name)[0])
        return fail(im, "the graph must have exactly one output (it has %zu)", g->n_output);
    if (walk(im, in->name, g->output[0]->name) < 0)
        return -1;
    long declared = declared_width(in);
    if (declared && declared != im->m->n_inputs)
        return fail(im, "the input '%.80s' has %ld features but the first layer takes %d",
                    in->name, declared, im->m->n_inputs);
    if (declared)
        declared_image(im, in);

    iv_model *m = im->m;
    /* Input names come after the layer names so that make_name can keep them apart. */
    m->input_names = iv_arena_alloc(m->arena, (size_t)m->n_inputs * sizeof *m->input_names);
    for (int i = 0; i < m->n_inputs; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "x%d", i);
        m->input_names[i] = make_name(im, m->n_inputs == 1 ? in->name : buf, "x");
    }
    return 0;
}

/* The layers read, through the builder and its check, which names the file in its messages. */
static iv_model *build(importer *im)
{
    const iv_model *m = im->m;
    iv_builder *b = iv_builder_new(im->file, im->file);
    iv_builder_name(b, m->name);
    if (iv_builder_inputs(b, m->n_inputs, m->input_names, im->file, im->err) < 0 ||
        iv_builder_dense_layers(b, im->layers, im->n_layers, im->file, im->err) < 0) {
        iv_builder_free(b);
        return NULL;
    }
    return iv_builder_finish(b, im->err);
}


iv_model *iv_model_load_onnx(const char *path, iv_error *err)
{
    size_t len;
    uint8_t *data = iv_read_binary(path, (size_t)ONNX_MAX_FILE, &len, err);
    if (!data)
        return NULL;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
    free(data);
    if (!mp) {
        iv_error_set(err, "%s: not an ONNX model (the file could not be decoded)", path);
        return NULL;
    }
    iv_error spare; /* scalar() saves and restores the message, so there must be one */
    importer im = {.file = path, .err = err ? err : &spare};
    iv_model *result = NULL;
    if (!mp->graph) {
        fail(&im, "not an ONNX model (it has no graph)");
        goto done;
    }
    im.g = mp->graph;
    im.used = iv_xcalloc(im.g->n_node + 1, sizeof *im.used);
    iv_arena *a = iv_arena_new();
    im.m = iv_arena_alloc(a, sizeof *im.m);
    im.m->arena = a;
    im.m->path = iv_arena_strdup(a, path);
    im.m->name = iv_model_name_from_path(a, path);
    if (import_graph(&im) == 0)
        result = build(&im);
    if (result) {
        result->input_rows = im.image_rows;
        result->input_cols = im.image_cols;
    }
    iv_arena_free(a); /* the builder has copied what it keeps */
    free(im.used);
done:
    onnx__model_proto__free_unpacked(mp, NULL);
    return result;
}
