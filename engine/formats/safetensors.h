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

/* IEEE half precision and bfloat16 bit patterns to float32 (exact: both are subsets of float32). */
float iv_half_to_float(uint16_t h);
float iv_bfloat16_to_float(uint16_t b);

#endif
