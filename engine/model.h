/* model.h - a network as an ordered list of operations over named sites.
 *
 * A site is a place whose values can be read and edited: a name, a width, a kind and optional
 * neuron labels. An operation reads one or two sites and writes one; the forward pass runs the
 * operations in order (forward.c), the backward pass runs them in reverse (backward.c), and each
 * operation's forward and vector-Jacobian product live together in ops.c. Sites are numbered in the
 * order the forward pass fills them, so every operation reads sites numbered below the one it
 * writes. The parameters of all operations live in one block, `params`, as offsets into it; the
 * model's other tensors, names and labels live in its one arena, so iv_model_free releases all.
 *
 * Models are made by one builder (build.h), which also runs the one check every model passes.
 * A dense layer of the file formats, y = act(W x + b), is built as a linear operation writing the
 * site "NAME.pre" (W x + b) and an activation operation writing "NAME" (act of it); `layers` keeps
 * that grouping, as the formats and the explorer speak of it:
 *   "input"      width n_inputs (its neuron labels are the input names)
 *   "NAME.pre"   a layer's pre-activation W x + b (bias included)
 *   "NAME"       the layer's output act(W x + b)
 * Only this file's functions know that layout; everything else asks them. */
#ifndef IV_MODEL_H
#define IV_MODEL_H

#include "util.h"

/* Limits that keep a hostile file from asking for absurd memory. */
#define IV_MAX_WIDTH 65536         /* neurons in one layer, or inputs */
#define IV_MAX_LAYERS 256
#define IV_MAX_SITES 1024 /* the input and two sites per dense layer; a transformer block has 16 */
#define IV_MAX_SITE_VALUES (1L << 26) /* values of one transformer site, all positions */
#define IV_MAX_PARAMS 400000000L   /* weights + biases in one model (1.6 GB of float32): GPT-2
                                      small (124M) and medium (355M) fit */

typedef enum {
    IV_ACT_IDENTITY,
    IV_ACT_RELU,
    IV_ACT_LEAKY_RELU, /* x < 0 ? alpha x : x */
    IV_ACT_SIGMOID,
    IV_ACT_TANH,
    IV_ACT_GELU,       /* exact: 0.5 x (1 + erf(x / sqrt 2)), as PyTorch's default */
    IV_ACT_SOFTMAX,    /* only on the last layer; built as a softmax operation */
    IV_ACT_GELU_TANH,  /* GPT-2's: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
} iv_activation;

/* What a site holds. */
typedef enum {
    IV_SITE_INPUT,     /* the model's input */
    IV_SITE_PRE,       /* a layer's pre-activation */
    IV_SITE_POST,      /* a layer's output */
    IV_SITE_RESID,     /* a transformer's value at each position: (positions, inner) */
    IV_SITE_ATTN,      /* an attention pattern: (heads, positions, inner = positions), query by key */
    IV_SITE_HEAD,      /* per head at each position: (positions, heads, inner = head width) */
} iv_site_kind;

typedef struct iv_site {
    char *name;        /* "input", "h1.pre", "h1" */
    int width;
    iv_site_kind kind;
    int layer;         /* the layer it belongs to (index into layers), -1 for the input */
    char **labels;     /* (width) neuron labels, or NULL; an entry may be NULL */
    /* The axes of a transformer's site (kinds RESID, ATTN, HEAD; all 0 for every other site):
     * width = positions x heads x inner, heads counted as 1 for RESID. */
    int positions, heads, inner;
} iv_site;

typedef enum {
    IV_OP_LINEAR,      /* out = in W^T + b; W (width out, width in) row-major, b optional */
    IV_OP_ACTIVATION,  /* out = act(in), element by element */
    IV_OP_SOFTMAX,     /* out = softmax(in), by rows */
    IV_OP_ADD,         /* out = in0 + in1 */
    /* A transformer's (ops_transformer.c); `positions` rows of each batch row, see gpt2.h. */
    IV_OP_EMBED,       /* out[p] = weight row token[p] (the input holds token ids) */
    IV_OP_POS_EMBED,   /* out[p] = weight row p */
    IV_OP_LAYERNORM,   /* out[p] = (in[p] - mean) / sqrt(var + eps) * weight + bias */
    IV_OP_LINEAR_POS,  /* out[p] = in[p] W^T + b, W (inner out, inner in) */
    IV_OP_ATTN_PATTERN,/* in0 q, in1 k -> causal softmax(q k^T / sqrt(head width)) per head */
    IV_OP_ATTN_MIX,    /* in0 pattern, in1 v -> z = pattern v per head */
    IV_OP_KIND_COUNT
} iv_op_kind;

typedef struct iv_op {
    iv_op_kind kind;
    int in[2];         /* sites read; in[1] is -1 for operations of one input */
    int out;           /* site written */
    long weight, bias; /* offsets into params (LINEAR, and the transformer's with parameters);
                          bias -1 when there is none */
    iv_activation act; /* IV_OP_ACTIVATION */
    float alpha;       /* leaky_relu slope; IV_OP_LAYERNORM: its eps */
    bool shared;       /* its weight is another operation's (a tied unembedding): its parameter
                          gradient adds onto what that operation wrote */
    int rows;          /* IV_OP_EMBED, IV_OP_POS_EMBED: rows of its table (vocabulary, context) */
} iv_op;

/* A dense layer as the formats and the explorer name it: a view of its two operations and sites.
 * weight and bias point into the model's params. */
typedef struct iv_layer {
    char *name;         /* "h1" */
    int n_in, n_out;
    float *weight;      /* (n_out, n_in) row-major: weight[o * n_in + i] */
    float *bias;        /* (n_out), or NULL for no bias */
    iv_activation act;
    float alpha;        /* leaky_relu slope */
    char **labels;      /* (n_out) neuron labels, or NULL; an entry may be NULL */
    int pre_site, site; /* "NAME.pre" and "NAME" */
    int linear_op;      /* its linear operation; the activation or softmax follows it */
} iv_layer;

typedef struct iv_model {
    iv_arena *arena;    /* owns everything below but params */
    char *name;         /* "max" */
    char *path;         /* file it came from, or "builtin:max" */
    int n_inputs;       /* the input site's width ... */
    char **input_names; /* ... and its labels (n_inputs) */
    int n_sites;
    iv_site *sites;     /* (n_sites) in the order the forward pass fills them */
    int n_ops;
    iv_op *ops;         /* (n_ops) in forward order */
    long n_params;
    float *params;      /* (n_params) every operation's parameters, one allocation */
    int n_layers;
    iv_layer *layers;   /* (n_layers) */
    int n_aliases;      /* other names of sites ("resid3", and TransformerLens's second names) */
    struct iv_site_alias { char *name; int site; } *aliases;
    char *target;       /* expression over the inputs, e.g. "max(x, y)", or NULL */
    char *dataset;      /* default reference dataset spec, e.g. "grid x=0:10:1 y=0:10:1", or NULL */
    int input_rows, input_cols; /* the input as an image, rows x cols = n_inputs, when the file
                                   gives that shape (an ONNX input of N x 1 x 28 x 28); else 0 */
    /* A transformer (gpt2.h): its config (NULL for every other model), the number of positions
     * it is built for (its input's width), the tokenizer found beside its checkpoint (or NULL,
     * owned: iv_model_free frees it) and a prompt to open it on (in the arena, or NULL). */
    struct iv_gpt2_config *gpt2;
    int positions;
    struct iv_tokenizer *tokenizer;
    char *prompt;
    /* Which model this is and which weights it holds, for what keeps values computed from it (the
     * workspace's clean run): serial is unique to every model built, as an address is not once
     * a model is freed; weights_version moves on each change of params in place. */
    unsigned long serial;
    unsigned long weights_version;
} iv_model;

/* ---- freeing ----------------------------------------------------------------------------------- */

/* Models are made by the builder (build.h); reading and writing them is the formats'
 * (engine/formats/). */
void iv_model_free(iv_model *m);
/* "dir/net.onnx" -> "net", in the arena: the name of a model whose file does not give one. */
char *iv_model_name_from_path(iv_arena *a, const char *path);
/* A serial no model built before has had (the builder gives each model one). */
unsigned long iv_model_new_serial(void);
/* Every writer of m->params calls this after writing, so that values kept from the old weights
 * are known to be stale. */
void iv_model_weights_changed(iv_model *m);

/* ---- sites and neurons ------------------------------------------------------------------------- */

int iv_model_site_count(const iv_model *m);
int iv_model_site_width(const iv_model *m, int site);
iv_site_kind iv_model_site_kind(const iv_model *m, int site);
int iv_model_site_layer(const iv_model *m, int site); /* -1 for the input */
/* Writes the site's name ("input", "h1.pre", "h1") into buf. */
void iv_model_site_name(const iv_model *m, int site, char *buf, size_t n);
/* The shortest name of a site: its shortest alias when that is shorter than its name (a
 * transformer's "z1" for blocks.1.attn.hook_z), else its name; in the model's memory. */
const char *iv_model_site_short_name(const iv_model *m, int site);
/* Finds a site by name or alias; -1 if there is none. */
int iv_model_site_find(const iv_model *m, const char *name);
/* The label of neuron i at a site, or NULL. Pre-activation sites share their layer's labels. */
const char *iv_model_neuron_label(const iv_model *m, int site, int i);
int iv_model_output_site(const iv_model *m);
/* Where a pass whose first change is at `site` can start: the latest site at or before it such
 * that every operation writing a later site reads only sites from there on. In a chain of layers
 * that is the site itself; a residual connection reaching back further moves it earlier. */
int iv_model_pass_start(const iv_model *m, int site);
/* The sites of a layer, in forward order (its pre-activation, then its output), and the one the
 * explorer shows when pre-activations are hidden. */
int iv_model_layer_sites(const iv_model *m, int layer, int *sites, int max);
int iv_model_layer_site(const iv_model *m, int layer);
int iv_model_layer_pre_site(const iv_model *m, int layer);
const char *iv_model_layer_name(const iv_model *m, int layer);
int iv_model_output_width(const iv_model *m);
/* Where in an output row the model's prediction is read, as classes or a value: the whole row,
 * and for a transformer the logits of its last position (the next token). */
void iv_model_prediction(const iv_model *m, int *offset, int *width);
/* Whether v may be the model's input i: any finite number, and for a transformer a token id
 * (a whole number below its vocabulary's size). NULL when it may, else why not, into why. */
const char *iv_model_input_check(const iv_model *m, float v, char *why, size_t n);
bool iv_model_is_classifier(const iv_model *m); /* last layer is softmax */

const char *iv_activation_name(iv_activation a);
int iv_activation_parse(const char *name, iv_activation *out);
/* Applies an activation in place to a (rows, width) row-major block (ops.c). */
void iv_activation_apply(iv_activation a, float alpha, float *x, long rows, int width);

#endif
