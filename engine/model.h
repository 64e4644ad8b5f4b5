/* model.h - a network as a sequence of dense layers, its sites, and its text format.
 *
 * A model is `n_layers` dense layers, each y = act(W x + b). Every tensor lives in the model's one
 * arena, so iv_model_free releases everything at once.
 *
 * Sites are the places whose values can be read and edited, in forward order:
 *   site 0                 "input"      width n_inputs (its neuron labels are the input names)
 *   site 1 + 2*l           "NAME.pre"   layer l's pre-activation W x + b (bias included)
 *   site 2 + 2*l           "NAME"       layer l's output act(W x + b) */
#ifndef IV_MODEL_H
#define IV_MODEL_H

#include <stdio.h>
#include "util.h"

/* Limits that keep a hostile file from asking for absurd memory. */
#define IV_MAX_WIDTH 65536         /* neurons in one layer, or inputs */
#define IV_MAX_LAYERS 256
#define IV_MAX_PARAMS 100000000L   /* weights + biases in one model (400 MB of float32) */
#define IV_MAX_MODEL_FILE (1L << 30)

typedef enum {
    IV_ACT_IDENTITY,
    IV_ACT_RELU,
    IV_ACT_LEAKY_RELU, /* x < 0 ? alpha x : x */
    IV_ACT_SIGMOID,
    IV_ACT_TANH,
    IV_ACT_GELU,       /* exact: 0.5 x (1 + erf(x / sqrt 2)), as PyTorch's default */
    IV_ACT_SOFTMAX,    /* only on the last layer */
} iv_activation;

typedef struct iv_layer {
    char *name;         /* "h1" */
    int n_in, n_out;
    float *weight;      /* (n_out, n_in) row-major: weight[o * n_in + i] */
    float *bias;        /* (n_out), or NULL for no bias */
    iv_activation act;
    float alpha;        /* leaky_relu slope */
    char **labels;      /* (n_out) neuron labels, or NULL; an entry may be NULL */
} iv_layer;

typedef struct iv_model {
    iv_arena *arena;    /* owns everything below */
    char *name;         /* "max" */
    char *path;         /* file it came from, or "builtin:max" */
    int n_inputs;
    char **input_names; /* (n_inputs) */
    int n_layers;
    iv_layer *layers;   /* (n_layers) */
    char *target;       /* expression over the inputs, e.g. "max(x, y)", or NULL */
    char *dataset;      /* default reference dataset spec, e.g. "grid x=0:10:1 y=0:10:1", or NULL */
} iv_model;

typedef enum { IV_SITE_INPUT, IV_SITE_PRE, IV_SITE_POST } iv_site_kind;

/* ---- building and freeing ---------------------------------------------------------------------- */

/* Parses the text format (modelfile.c; documented in doc/model-format.md). `filename` is used in
 * messages, which read "FILE:LINE: what was expected". Returns NULL on error. */
iv_model *iv_model_parse(const char *text, const char *filename, iv_error *err);
/* Opens a model by its name (modelload.c): "builtin:max" is the built-in lecture network, .onnx
 * and .safetensors files are read as such, anything else as the text format. */
iv_model *iv_model_load(const char *path, iv_error *err);
/* The max(x, y) network of the lecture, parsed from the same text as sample_models/max.nn. */
iv_model *iv_model_builtin_max(void);
const char *iv_model_builtin_max_text(void);
/* Writes the model in the text format (round-trips through iv_model_parse). Returns 0 or -1. */
int iv_model_write(const iv_model *m, FILE *f);
void iv_model_free(iv_model *m);
/* "dir/net.onnx" -> "net", in the arena: the name of a model whose file does not give one. */
char *iv_model_name_from_path(iv_arena *a, const char *path);

/* ---- sites and neurons ------------------------------------------------------------------------- */

int iv_model_site_count(const iv_model *m);
int iv_model_site_width(const iv_model *m, int site);
iv_site_kind iv_model_site_kind(const iv_model *m, int site);
int iv_model_site_layer(const iv_model *m, int site); /* -1 for the input */
/* Writes the site's name ("input", "h1.pre", "h1") into buf. */
void iv_model_site_name(const iv_model *m, int site, char *buf, size_t n);
/* Finds a site by name; -1 if there is none. */
int iv_model_site_find(const iv_model *m, const char *name);
/* The label of neuron i at a site, or NULL. Pre-activation sites share their layer's labels. */
const char *iv_model_neuron_label(const iv_model *m, int site, int i);
int iv_model_output_site(const iv_model *m);
int iv_model_output_width(const iv_model *m);
bool iv_model_is_classifier(const iv_model *m); /* last layer is softmax */

const char *iv_activation_name(iv_activation a);
int iv_activation_parse(const char *name, iv_activation *out);
/* Applies an activation in place to a (rows, width) row-major block. */
void iv_activation_apply(iv_activation a, float alpha, float *x, long rows, int width);

#endif
