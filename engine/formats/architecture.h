/* architecture.h - the "intervene.architecture" language (doc/safetensors.md), private to the
 * safetensors format: what a container of bare tensors cannot say about a model (its inputs, the
 * order, names and activations of its layers, target, dataset and labels), as one line of
 * KEY=VALUE items. Kept apart from the container so that each can be read without the other:
 * safetensors.c decides where the text comes from (metadata or a companion .arch file) and how
 * layers meet tensors; this language only turns text into these fields and a model back into
 * text. */
#ifndef IV_ARCHITECTURE_H
#define IV_ARCHITECTURE_H

#include "model.h"

#define IV_ARCH_DEFAULT_ALPHA 0.01f /* leaky_relu's slope when a layer gives none */

typedef struct iv_arch_layer {
    char *name;
    iv_activation act;
    float alpha;
    char **labels;       /* arena, or NULL */
    int n_labels;
} iv_arch_layer;

/* What an architecture text says; every field optional. Strings live in the arena given to the
 * parser (the model's, while it is being read). */
typedef struct iv_arch {
    char *model, *target, *data;
    char **inputs;
    int n_inputs;           /* 0: not given */
    iv_arch_layer *layers;  /* heap */
    int n_layers;           /* 0: not given */
    bool has_layers;
} iv_arch;

/* Parses text into a (which starts zeroed). Messages are prefixed with `source`: "net.arch", or
 * "net.safetensors: __metadata__ \"intervene.architecture\"". Returns 0 or -1; either way a's
 * layers are freed by iv_arch_free. */
int iv_arch_parse(const char *text, const char *source, iv_arena *arena, iv_arch *a,
                  iv_error *err);
void iv_arch_free(iv_arch *a);

/* Appends the architecture string of a model, which iv_arch_parse reads back to the same fields.
 * Layer names are written bare: the caller has checked that they are identifiers. */
void iv_arch_write(const iv_model *m, iv_buf *b);

#endif
