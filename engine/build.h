/* build.h - the one way a model is made, and the one check every model passes.
 *
 * Every reader (the text format, ONNX, safetensors) and every model made in code goes through a
 * builder: it names the inputs, adds layers (or sites and operations) in order, and finishes.
 * Finishing checks the whole model once - names are identifiers, none is used twice, `input` is
 * reserved, shapes agree from layer to layer and every operation fits its sites, softmax comes only
 * last, every parameter is finite, sizes are within the limits - and only then hands over the
 * sites, the operations and the one parameter block. A reader checks
 * only what its syntax can get wrong; what it adds to the check's messages is where a layer came
 * from, as the `where` of each layer ("net.nn:7", "net.onnx: node 'fc1' (Gemm)").
 *
 * The builder copies everything it is given, so a reader may free its buffers as soon as a call
 * returns. */
#ifndef IV_BUILD_H
#define IV_BUILD_H

#include "model.h"

typedef struct iv_builder iv_builder;

/* A dense layer y = act(W x + b) to add. */
typedef struct iv_dense_spec {
    const char *name;
    int n_in, n_out;
    const float *weight;        /* (n_out, n_in) row-major */
    const float *bias;          /* (n_out), or NULL */
    iv_activation act;
    float alpha;                /* leaky_relu slope */
    char *const *labels;        /* (n_out) or NULL; an entry may be NULL */
    const char *where;          /* prefix of the check's messages about this layer, or NULL */
    int line;                   /* the line it starts on in a text file, or 0 */
} iv_dense_spec;

/* A builder for a model read from `path` (kept as the model's path; the name defaults to the
 * file's base name). `where` prefixes messages about the model as a whole ("net.nn:12"). */
iv_builder *iv_builder_new(const char *path, const char *where);
/* Strings in the model's arena, for readers that keep texts as they parse. */
iv_arena *iv_builder_arena(iv_builder *b);

void iv_builder_name(iv_builder *b, const char *name);
void iv_builder_target(iv_builder *b, const char *expr);
void iv_builder_dataset(iv_builder *b, const char *spec);
/* The input site: n names, checked at once (identifiers, no repeats, within the limits) so that a
 * reader can report them at their line; `where` prefixes the messages. Called once, before the
 * layers. */
int iv_builder_inputs(iv_builder *b, int n, char *const *names, const char *where, iv_error *err);
/* Whether `name` may name the next layer (identifier, not `input`, not an input's or an earlier
 * layer's name): the rule the finishing check applies, for a reader that wants to report it at the
 * layer's own line before reading the rest. */
int iv_builder_check_name(const iv_builder *b, const char *name, const char *where,
                          iv_error *err);
/* Adds a dense layer. Returns -1 with a message only when its parameters cannot be held (the
 * memory limit, or more than IV_MAX_PARAMS in all); everything else is for the check. */
int iv_builder_dense(iv_builder *b, const iv_dense_spec *d, iv_error *err);
/* Adds n dense layers described as iv_layer values (name, widths, weight, bias, activation, alpha,
 * labels; the rest is ignored), all with the same `where`: for readers that gather a whole chain
 * before building. Returns -1 with a message only as iv_builder_dense does. */
int iv_builder_dense_layers(iv_builder *b, const iv_layer *layers, int n, const char *where,
                            iv_error *err);
/* The general calls, which dense layers are made of and other operations will use: a site
 * (returns its number, in the order the forward pass fills them, or -1 past IV_MAX_SITES, which
 * the check reports), and an operation over sites already added, with its parameters: op->weight
 * and op->bias are offsets into `params` (or -1), and become offsets into the model's block.
 * Returns -1 with a message only when the parameters cannot be held. */
int iv_builder_site(iv_builder *b, const char *name, int width, iv_site_kind kind, int layer,
                    char *const *labels);
int iv_builder_op(iv_builder *b, const iv_op *op, const float *params, long n_params,
                  iv_error *err);
/* A transformer site's axes (model.h), for a site already added. */
void iv_builder_site_axes(iv_builder *b, int site, int positions, int heads, int inner);
/* Another name for a site already added ("resid3"); the check refuses one that is also a site's. */
void iv_builder_alias(iv_builder *b, const char *name, int site);
/* Parameters added so far: where the next operation's begin, so that a later operation can share
 * them (op->shared, its weight given as this absolute offset and n_params 0). */
long iv_builder_param_count(const iv_builder *b);
/* Checks the model and makes it. Frees the builder either way; NULL with a message on error. */
iv_model *iv_builder_finish(iv_builder *b, iv_error *err);
/* Frees a builder that will not be finished (a reader that failed half way). */
void iv_builder_free(iv_builder *b);

/* The longest input or layer name the check accepts. */
#define IV_MAX_NAME 64
bool iv_is_identifier(const char *s);

#endif
