/* shards.h - one safetensors file, or a checkpoint saved in shards, read as one set of tensors.
 *
 * HuggingFace saves a large checkpoint as model-00001-of-0000N.safetensors files beside
 * model.safetensors.index.json, whose "weight_map" names the shard of every tensor. Opening the
 * index opens every shard it names (plain file names in the index's directory: no paths), and
 * checks that the map and the shards agree: each tensor the map lists is in the shard it names,
 * and each tensor of a shard is listed there. Messages name the index or the shard, and the
 * tensor. Opening any other path opens it as one safetensors file.
 *
 * The tensors are numbered 0 .. count - 1 across the shards, in the shards' order. */
#ifndef IV_SHARDS_H
#define IV_SHARDS_H

#include "safetensors.h"

typedef struct iv_shards iv_shards;

iv_shards *iv_shards_open(const char *path, iv_error *err);
void iv_shards_close(iv_shards *s);
int iv_shards_count(const iv_shards *s);
const iv_safetensors_entry *iv_shards_entry_at(const iv_shards *s, int i);
/* The number of the tensor named `name`, or -1. */
int iv_shards_find(const iv_shards *s, const char *name);
/* The file tensor i is in, for messages. */
const char *iv_shards_file_of(const iv_shards *s, int i);
/* As iv_safetensors_read. */
int iv_shards_read(iv_shards *s, int i, float *out, bool transpose, iv_error *err);
/* Whether a path names a shard index (it ends in ".safetensors.index.json"). */
bool iv_shards_is_index(const char *path);

#endif
