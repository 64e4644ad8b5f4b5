/* gpt2_files.h - GPT-2 checkpoints written from C for the tests: HuggingFace's config.json +
 * model.safetensors (F32, F16 or BF16; names with or without "transformer."; with or without the
 * legacy attention-mask buffers) and llm.c's .bin (versions 1, 3 and 5), of any config, holding
 * known values.
 *
 * Every weight is gpt2_files_value(seed, NAME, i, dtype): NAME a tensor name of gpt2.h and i the
 * index in the ENGINE layout ((out, in) for weights), so a test checks what a reader hands over
 * against the same function whatever the file's layout. The values are exact in the dtype they are
 * written in (24 bits for F32, 7 for the half types), so every check is exact. Files are written
 * streaming, a chunk at a time: a GPT-2-small-sized one needs no large buffer. */
#ifndef IV_TEST_GPT2_FILES_H
#define IV_TEST_GPT2_FILES_H

#include <stdbool.h>

#include "gpt2.h"

typedef enum { GPT2_FILES_F32, GPT2_FILES_F16, GPT2_FILES_BF16 } gpt2_files_dtype;

/* The value at engine-layout index i of tensor `name`: a multiple of 2^-22 in [-2, 2) for F32, of
 * 1/32 in [-2, 2) for F16 and BF16. */
float gpt2_files_value(unsigned seed, const char *name, long i, gpt2_files_dtype t);

typedef struct gpt2_files_hf {
    gpt2_files_dtype dtype;
    bool prefix;            /* every name starts with "transformer." (lm_head.weight never does) */
    bool buffers;           /* h.L.attn.bias (1, 1, n_ctx, n_ctx) and h.L.attn.masked_bias () */
    bool bool_mask;         /* ... with attn.bias as BOOL rather than F32 */
    bool lm_head;           /* lm_head.weight written even when tied (untied always has it) */
    const char *config_extra; /* more config.json entries, e.g. "\"intervene_prompt\": \"a b\"" */
    int shards;             /* 2 or more: model-0000K-of-0000N.safetensors files of consecutive
                               tensors and model.safetensors.index.json, as HuggingFace saves a
                               large checkpoint, instead of model.safetensors */
} gpt2_files_hf;

/* Writes DIR/config.json and DIR/model.safetensors (or its shards and their index) for config c
 * (d_mlp 0 is written as "n_inner": null, meaning 4 d_model). Returns 0, or -1 on an I/O error. */
int gpt2_files_write_hf(const char *dir, const iv_gpt2_config *c, unsigned seed,
                        const gpt2_files_hf *o);
/* Just config.json, at `path`. */
int gpt2_files_write_config(const char *path, const iv_gpt2_config *c, const char *extra);

/* Writes an llm.c checkpoint of version 1 (float32, wte of V rows), 3 (float32) or 5 (bfloat16),
 * wte padded with zero rows to vp (ignored for version 1). The config must be llm.c's: d_mlp
 * 4 d_model, tied. Returns 0 or -1. */
int gpt2_files_write_llmc(const char *path, const iv_gpt2_config *c, unsigned seed, int version,
                          int vp);

/* The number of parameters of a model of config c (the unembedding counted once when tied). */
long gpt2_files_param_count(const iv_gpt2_config *c);

#endif
