/* gpt2.h - the GPT-2 architecture as operations over sites: what a reader of a transformer
 * checkpoint (HuggingFace's config.json + model.safetensors, llm.c's .bin) hands over, and the one
 * builder that turns it into a model.
 *
 * A transformer's sites carry a position axis. A batch row of the model is one prompt of
 * `positions` tokens: the input site holds the token ids (as floats, exact below 2^24), and each
 * later site holds all positions of its value, flattened position-major:
 *   (positions, width)              the residual stream, layer norms, MLP, attention output
 *   (positions, heads, head width)  hook_q, hook_k, hook_v, hook_z
 *   (heads, positions, positions)   hook_pattern, query by key
 * The model is built for one number of positions (at most n_ctx); a prompt of another length is
 * run on the same weights rebuilt for it (iv_gpt2_rebuild).
 *
 * Sites are named as TransformerLens names them: hook_embed, hook_pos_embed, blocks.L.hook_resid_pre
 * (the first block's is embed + pos_embed; a later block's is the block before's hook_resid_post,
 * reached by that name as an alias), blocks.L.ln1.hook_normalized, blocks.L.attn.hook_q / hook_k /
 * hook_v / hook_pattern / hook_z, blocks.L.hook_attn_out, blocks.L.hook_resid_mid,
 * blocks.L.ln2.hook_normalized, blocks.L.mlp.hook_pre / hook_post, blocks.L.hook_mlp_out,
 * blocks.L.hook_resid_post, ln_final.hook_normalized and the output, logits (positions, vocab). */
#ifndef IV_GPT2_H
#define IV_GPT2_H

#include "build.h"

#define IV_GPT2_MAX_LAYERS 48
#define IV_GPT2_MAX_VOCAB 1000000
#define IV_GPT2_MAX_CTX 65536

typedef struct iv_gpt2_config {
    int n_layer, n_head;
    int d_model;          /* n_embd; d_model / n_head is the head width */
    int d_mlp;            /* n_inner, 4 d_model when the config gives none; 0: attention only */
    int n_ctx;            /* n_positions: rows of the position embedding */
    int d_vocab;          /* vocab_size: rows of the token embedding */
    float ln_eps;         /* layer_norm_epsilon, 1e-5 in GPT-2 */
    iv_activation act;    /* IV_ACT_GELU_TANH (GPT-2's "gelu_new") or IV_ACT_GELU (exact) */
    bool tied;            /* the unembedding is the token embedding (GPT-2's tie_word_embeddings) */
} iv_gpt2_config;

/* The tensors, by these names, each as `count` float32 values in this engine's layout: a linear
 * map's weight is (out, in) row-major, y = x W^T + b (HuggingFace's Conv1D stores (in, out), its
 * transpose; llm.c stores (out, in)).
 *   "wte"                   (d_vocab, d_model)   token embedding
 *   "wpe"                   (n_ctx, d_model)     position embedding
 *   "h.L.ln_1.weight", "h.L.ln_1.bias"           (d_model)
 *   "h.L.attn.c_attn.weight" (3 d_model, d_model): the rows of W_Q, then W_K, then W_V; a head's
 *                           rows within each are h * head width ... (h + 1) * head width - 1
 *   "h.L.attn.c_attn.bias"  (3 d_model)
 *   "h.L.attn.c_proj.weight" (d_model, d_model), "h.L.attn.c_proj.bias" (d_model)
 *   "h.L.ln_2.weight", "h.L.ln_2.bias"           (d_model)
 *   "h.L.mlp.c_fc.weight"   (d_mlp, d_model),     "h.L.mlp.c_fc.bias" (d_mlp)
 *   "h.L.mlp.c_proj.weight" (d_model, d_mlp),     "h.L.mlp.c_proj.bias" (d_model)
 *   "ln_f.weight", "ln_f.bias"                   (d_model)
 *   "lm_head.weight"        (d_vocab, d_model), only when not tied
 * The MLP's tensors are asked for only when d_mlp > 0. */
typedef struct iv_gpt2_source {
    void *user;
    /* The tensor `name` as `count` floats, valid until the next call; NULL with a message in err
     * (naming the file and the tensor: missing, of another shape, not finite) when it cannot be
     * given. */
    const float *(*tensor)(void *user, const char *name, long count, iv_error *err);
} iv_gpt2_source;

/* Checks a config: every size positive and within the limits above, d_model a multiple of n_head,
 * the parameter count within IV_MAX_PARAMS. NULL when it is fine, else a message into why. */
const char *iv_gpt2_config_check(const iv_gpt2_config *c, char *why, size_t n);

/* Builds a GPT-2 model of `positions` tokens (1 .. n_ctx) from its config and tensors: the model's
 * sites and operations as above, its parameters copied from src. path and where are as for
 * iv_builder_new. NULL with a message on error. */
iv_model *iv_gpt2_build(const char *path, const char *where, const iv_gpt2_config *c,
                        const iv_gpt2_source *src, int positions, iv_error *err);

/* The same model for another number of positions (1 .. n_ctx): same weights, name, path and
 * prompt; m's tokenizer moves to it. NULL with a message (m unchanged) when m is not a transformer
 * or positions is out of range. */
iv_model *iv_gpt2_rebuild(iv_model *m, int positions, iv_error *err);

#endif
