/* gpt2_hf.h - GPT-2 checkpoints as HuggingFace transformers saves them: config.json (its
 * GPT2Config) beside model.safetensors.
 *
 * The path may name the directory holding both files, or either file (the other is looked for
 * beside it). config.json must say "model_type": "gpt2" and give n_layer, n_head, n_embd,
 * n_positions (or n_ctx) and vocab_size; layer_norm_epsilon (1e-5), activation_function
 * ("gelu_new"), n_inner (null: 4 n_embd) and tie_word_embeddings (true) have HuggingFace's
 * defaults. "intervene_prompt" and "intervene_dataset", keys of this tool's own, are the prompt the
 * model opens on and its reference dataset (a `data` spec, e.g. "grid t0=0:9:1 t1=0:9:1").
 *
 * A checkpoint saved in shards (model-0000K-of-0000N.safetensors beside
 * model.safetensors.index.json) is read through its index, when there is no model.safetensors.
 *
 * The tensors may be named with or without the "transformer." prefix (all of them the same way),
 * in F32, F16, BF16 or F64. The attention-mask buffers older versions saved (h.L.attn.bias,
 * h.L.attn.masked_bias) are skipped, as is lm_head.weight when the embeddings are tied; any other
 * tensor the config does not call for is an error, as is a missing one or one of another shape.
 * Conv1D weights, stored (in, out), are handed over transposed, in the engine's (out, in).
 *
 * Opening reads the config and the safetensors header and checks every tensor's name, dtype and
 * shape; the data is read one tensor at a time, when the builder asks for it, into one buffer. */
#ifndef IV_GPT2_HF_H
#define IV_GPT2_HF_H

#include "gpt2.h"

typedef struct iv_gpt2_hf_file iv_gpt2_hf_file;

/* Opens a checkpoint and fills *cfg; NULL with a one-line message naming the file (and the key or
 * tensor) on error. */
iv_gpt2_hf_file *iv_gpt2_hf_open(const char *path, iv_gpt2_config *cfg, iv_error *err);
/* Its tensors, by the names of gpt2.h; valid while the file is open. */
iv_gpt2_source iv_gpt2_hf_source(iv_gpt2_hf_file *f);
/* config.json's "intervene_prompt", or NULL; the directory the checkpoint is in. */
const char *iv_gpt2_hf_prompt(const iv_gpt2_hf_file *f);
const char *iv_gpt2_hf_dir(const iv_gpt2_hf_file *f);
void iv_gpt2_hf_close(iv_gpt2_hf_file *f);

/* Opens, builds (iv_gpt2_build) and closes: the model, with the tokenizer found in the
 * checkpoint's directory and the prompt attached (iv_gpt2_load_finish). */
iv_model *iv_model_load_gpt2_hf(const char *path, iv_error *err);

/* Whether the path is read as a HuggingFace GPT-2 checkpoint: a directory holding config.json,
 * a file named config.json, or a file named model.safetensors (or model.safetensors.index.json)
 * with config.json beside it. */
bool iv_gpt2_hf_is_checkpoint(const char *path);

/* ---- what the GPT-2 readers share (llmc.c uses it too) ----------------------------------------- */

/* Builds the model from an opened checkpoint and attaches what lies beside it: the tokenizer in
 * `dir` (iv_tokenizer_load_dir; one that is there but cannot be read is an error) and the prompt
 * (copied into the model's arena; NULL for none). The model is built for as many positions as
 * the prompt has tokens, when there is a tokenizer, the prompt encodes and has 1 .. n_ctx tokens;
 * else for 1. path and where are iv_gpt2_build's. */
iv_model *iv_gpt2_load_finish(const char *path, const char *where, const char *dir,
                              const iv_gpt2_config *c, const iv_gpt2_source *src,
                              const char *prompt, iv_error *err);

#endif
