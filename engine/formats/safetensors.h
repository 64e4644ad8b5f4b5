/* safetensors.h - reading and writing models as safetensors files (doc/safetensors.md).
 *
 * A safetensors file holds only named tensors, so the architecture (inputs, layer order, activations,
 * target, dataset, labels) comes from, in order of preference: the "intervene.architecture" entry of
 * its "__metadata__", a companion file PATH.arch (".safetensors" replaced by ".arch"), or PyTorch
 * nn.Sequential state-dict names ("0.weight", "2.weight", ...) with relu between layers and identity
 * on the last. Files written here carry the architecture in their metadata, so they load back to the
 * same model. */
#ifndef IV_SAFETENSORS_H
#define IV_SAFETENSORS_H

#include "model.h"

/* The largest JSON header accepted: real headers are kilobytes; this stops a hostile length. */
#define IV_SAFETENSORS_MAX_HEADER (100L * 1000 * 1000)

/* Loads a model; NULL with a message naming the file (and the tensor or layer) on any error. */
iv_model *iv_model_load_safetensors(const char *path, iv_error *err);

/* Writes every layer as F32 "NAME.weight" / "NAME.bias" plus the architecture in "__metadata__".
 * Returns 0, or -1 with a message (the partial file is removed). */
int iv_model_write_safetensors(const iv_model *m, const char *path, iv_error *err);

/* ---- the container alone ----------------------------------------------------------------------
 * For readers of checkpoints whose architecture comes from elsewhere (a HuggingFace config.json):
 * the header and every entry checked as the loader checks them - the JSON, known dtypes, shapes
 * whose element count cannot overflow, data_offsets inside the data block and of the right
 * length, no two tensors overlapping - and then tensors read one at a time. Unlike the loader, the
 * file may hold entries of the non-float dtypes safetensors defines (BOOL, U8, I8, I16, U16, I32,
 * U32, I64, U64, F8_E4M3, F8_E5M2), checked the same way, so that a caller can skip them; reading
 * one is an error. Messages name the file and the tensor. */

#define IV_SAFETENSORS_MAX_DIMS 8

typedef struct iv_safetensors iv_safetensors;

typedef struct iv_safetensors_entry {
    const char *name;      /* valid while the file is open */
    const char *dtype;     /* "F32", "BF16", "I64", ... */
    bool is_float;         /* F32, F64, F16 or BF16: what iv_safetensors_read converts */
    int ndim;
    int64_t shape[IV_SAFETENSORS_MAX_DIMS];
    uint64_t elems;        /* the product of the shape (1 for a scalar) */
} iv_safetensors_entry;

iv_safetensors *iv_safetensors_open(const char *path, iv_error *err);
void iv_safetensors_close(iv_safetensors *s);
int iv_safetensors_count(const iv_safetensors *s);
/* Entry i (0 .. count - 1, in the header's order), or NULL. */
const iv_safetensors_entry *iv_safetensors_entry_at(const iv_safetensors *s, int i);
/* The index of the entry named `name`, or -1. */
int iv_safetensors_find(const iv_safetensors *s, const char *name);
/* Reads entry i as elems float32 values into out, refusing values that are not finite (naming the
 * tensor and the element). With `transpose`, a 2-D entry of shape [r, c] is written as its
 * transpose, (c, r) row-major. Returns 0 or -1. */
int iv_safetensors_read(iv_safetensors *s, int i, float *out, bool transpose, iv_error *err);

/* IEEE half precision and bfloat16 bit patterns to float32 (exact: both are subsets of float32). */
float iv_half_to_float(uint16_t h);
float iv_bfloat16_to_float(uint16_t b);

#endif
