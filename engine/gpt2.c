/* gpt2.c - a GPT-2 model as operations over named sites (gpt2.h): the config's check, the one
 * builder every checkpoint reader goes through, and the same model rebuilt for another number of
 * positions. */
#include "gpt2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *iv_gpt2_config_check(const iv_gpt2_config *c, char *why, size_t n)
{
    struct {
        const char *name;
        long value, most;
    } sizes[] = {
        {"n_layer", c->n_layer, IV_GPT2_MAX_LAYERS}, {"n_head", c->n_head, 1024},
        {"n_embd", c->d_model, IV_MAX_WIDTH},        {"n_positions", c->n_ctx, IV_GPT2_MAX_CTX},
        {"vocab_size", c->d_vocab, IV_GPT2_MAX_VOCAB},
    };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        if (sizes[k].value < 1 || sizes[k].value > sizes[k].most) {
            snprintf(why, n, "%s is %ld, expected 1 to %ld", sizes[k].name, sizes[k].value,
                     sizes[k].most);
            return why;
        }
    if (c->d_mlp < 0 || c->d_mlp > IV_MAX_WIDTH) {
        snprintf(why, n, "n_inner is %d, expected 0 to %d", c->d_mlp, IV_MAX_WIDTH);
        return why;
    }
    if (c->d_model % c->n_head != 0) {
        snprintf(why, n, "n_embd %d is not a multiple of n_head %d", c->d_model, c->n_head);
        return why;
    }
    if (!(c->ln_eps > 0 && c->ln_eps < 1)) {
        snprintf(why, n, "layer_norm_epsilon is %g, expected a small positive number", c->ln_eps);
        return why;
    }
    if (c->act != IV_ACT_GELU_TANH && c->act != IV_ACT_GELU) {
        snprintf(why, n, "the MLP's activation is %s, expected gelu_tanh or gelu",
                 iv_activation_name(c->act));
        return why;
    }
    double d = c->d_model, block = 4 * d + 4 * d * d + 4 * d + 2 * d * c->d_mlp + c->d_mlp + d;
    double params = (double)c->d_vocab * d * (c->tied ? 1 : 2) + (double)c->n_ctx * d +
                    c->n_layer * block + 2 * d;
    if (params > IV_MAX_PARAMS) {
        snprintf(why, n, "the model has %.0f parameters, more than the %ld this tool loads", params,
                 IV_MAX_PARAMS);
        return why;
    }
    return NULL;
}

/* ---- building ---------------------------------------------------------------------------------- */

typedef struct {
    iv_builder *b;
    const iv_gpt2_config *c;
    const iv_gpt2_source *src;
    int T;
    iv_error *err;
} build_ctx;

/* A site of the kind and axes given (heads 0 for a value at each position). */
static int site(build_ctx *B, const char *name, iv_site_kind kind, int heads, int inner)
{
    int width = kind == IV_SITE_ATTN ? heads * B->T * B->T : B->T * (heads ? heads : 1) * inner;
    int s = iv_builder_site(B->b, name, width, kind, -1, NULL);
    iv_builder_site_axes(B->b, s, B->T, heads, inner);
    return s;
}

static int alias(build_ctx *B, int s, const char *fmt, int layer)
{
    char name[64];
    snprintf(name, sizeof name, fmt, layer);
    iv_builder_alias(B->b, name, s);
    return s;
}

/* The tensor `name` (printf-formatted with the layer), count values, or NULL with the message. */
static const float *tensor(build_ctx *B, const char *fmt, int layer, long count)
{
    char name[96];
    snprintf(name, sizeof name, fmt, layer);
    return B->src->tensor(B->src->user, name, count, B->err);
}

/* An operation of one or two inputs with its weight (count_w values) then its bias (count_b, or 0
 * for none) as its parameters. */
static int op(build_ctx *B, iv_op o, const float *w, long count_w, const float *bias,
              long count_b)
{
    long total = count_w + count_b;
    float *params = total ? iv_xmalloc(sizeof(float) * (size_t)total) : NULL;
    if (count_w)
        memcpy(params, w, sizeof(float) * (size_t)count_w);
    if (count_b)
        memcpy(params + count_w, bias, sizeof(float) * (size_t)count_b);
    o.weight = count_w ? 0 : -1;
    o.bias = count_b ? count_w : -1;
    int rc = iv_builder_op(B->b, &o, params, total, B->err);
    free(params);
    return rc;
}

static iv_op op_of(iv_op_kind kind, int in0, int in1, int out)
{
    return (iv_op){.kind = kind, .in = {in0, in1}, .out = out, .weight = -1, .bias = -1};
}

/* A layer norm of site `in` into a new site, with the tensors PREFIX.weight and PREFIX.bias. */
static int layernorm(build_ctx *B, int in, const char *name, const char *prefix, int layer)
{
    int d = B->c->d_model;
    char wname[96], bname[96];
    snprintf(wname, sizeof wname, "%s.weight", prefix);
    snprintf(bname, sizeof bname, "%s.bias", prefix);
    const float *w = tensor(B, wname, layer, d);
    if (!w)
        return -1;
    float *wcopy = iv_xmalloc(sizeof(float) * (size_t)d);
    memcpy(wcopy, w, sizeof(float) * (size_t)d); /* valid only until the next tensor call */
    const float *bias = tensor(B, bname, layer, d);
    int out = site(B, name, IV_SITE_RESID, 0, d);
    iv_op o = op_of(IV_OP_LAYERNORM, in, -1, out);
    o.alpha = B->c->ln_eps;
    int rc = bias ? op(B, o, wcopy, d, bias, d) : -1;
    free(wcopy);
    return rc < 0 ? -1 : out;
}

/* A linear map at each position from site `in` into `out`: weights (n_out, n_in) and a bias. */
static int linear(build_ctx *B, int in, int out, const float *w, long n_out, long n_in,
                  const float *bias)
{
    return op(B, op_of(IV_OP_LINEAR_POS, in, -1, out), w, n_out * n_in, bias, bias ? n_out : 0);
}

/* Tensors with their bias, each copied out of the source (which keeps one at a time). */
static float *copy_tensor(build_ctx *B, const char *fmt, int layer, long count)
{
    const float *t = tensor(B, fmt, layer, count);
    if (!t)
        return NULL;
    float *c = iv_xmalloc(sizeof(float) * (size_t)count);
    memcpy(c, t, sizeof(float) * (size_t)count);
    return c;
}

/* A linear map at every position from the source's tensors PART.weight (n_out, n_in) and
 * PART.bias of block L: the weight copied out while the bias is asked for, as the source keeps
 * one tensor at a time. */
static int linear_of(build_ctx *B, int in, int out, const char *part, int L, long n_out,
                     long n_in)
{
    char name[64];
    snprintf(name, sizeof name, "h.%%d.%s.weight", part);
    float *w = copy_tensor(B, name, L, n_out * n_in);
    snprintf(name, sizeof name, "h.%%d.%s.bias", part);
    const float *b = w ? tensor(B, name, L, n_out) : NULL;
    int rc = b ? linear(B, in, out, w, n_out, n_in, b) : -1;
    free(w);
    return rc;
}

static int attention(build_ctx *B, int L, int resid_pre, int *resid_mid)
{
    int d = B->c->d_model, H = B->c->n_head, dh = d / H;
    char name[96];
    snprintf(name, sizeof name, "blocks.%d.ln1.hook_normalized", L);
    int ln1 = layernorm(B, resid_pre, name, "h.%d.ln_1", L);
    if (ln1 < 0)
        return -1;
    alias(B, ln1, "ln1_%d", L);
    float *w = copy_tensor(B, "h.%d.attn.c_attn.weight", L, 3L * d * d);
    float *bias = w ? copy_tensor(B, "h.%d.attn.c_attn.bias", L, 3L * d) : NULL;
    int qkv[3], rc = bias ? 0 : -1;
    static const char *const names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3 && rc == 0; i++) {
        snprintf(name, sizeof name, "blocks.%d.attn.hook_%s", L, names[i]);
        qkv[i] = site(B, name, IV_SITE_HEAD, H, dh);
        snprintf(name, sizeof name, "%s%%d", names[i]);
        alias(B, qkv[i], name, L);
        rc = linear(B, ln1, qkv[i], w + (long)i * d * d, d, d, bias + (long)i * d);
    }
    free(w);
    free(bias);
    if (rc < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.attn.hook_pattern", L);
    int pattern = alias(B, site(B, name, IV_SITE_ATTN, H, B->T), "pattern%d", L);
    if (op(B, op_of(IV_OP_ATTN_PATTERN, qkv[0], qkv[1], pattern), NULL, 0, NULL, 0) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.attn.hook_z", L);
    int z = alias(B, site(B, name, IV_SITE_HEAD, H, dh), "z%d", L);
    if (op(B, op_of(IV_OP_ATTN_MIX, pattern, qkv[2], z), NULL, 0, NULL, 0) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.hook_attn_out", L);
    int attn_out = alias(B, site(B, name, IV_SITE_RESID, 0, d), "attn_out%d", L);
    if (linear_of(B, z, attn_out, "attn.c_proj", L, d, d) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.hook_resid_mid", L);
    *resid_mid = alias(B, site(B, name, IV_SITE_RESID, 0, d), "resid_mid%d", L);
    return op(B, op_of(IV_OP_ADD, resid_pre, attn_out, *resid_mid), NULL, 0, NULL, 0);
}

static int mlp(build_ctx *B, int L, int resid_mid, int *resid_post)
{
    int d = B->c->d_model, dm = B->c->d_mlp;
    char name[96];
    snprintf(name, sizeof name, "blocks.%d.ln2.hook_normalized", L);
    int ln2 = layernorm(B, resid_mid, name, "h.%d.ln_2", L);
    if (ln2 < 0)
        return -1;
    alias(B, ln2, "ln2_%d", L);
    snprintf(name, sizeof name, "blocks.%d.mlp.hook_pre", L);
    int pre = alias(B, site(B, name, IV_SITE_RESID, 0, dm), "mlp_pre%d", L);
    if (linear_of(B, ln2, pre, "mlp.c_fc", L, dm, d) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.mlp.hook_post", L);
    int post = alias(B, site(B, name, IV_SITE_RESID, 0, dm), "mlp_post%d", L);
    iv_op act = op_of(IV_OP_ACTIVATION, pre, -1, post);
    act.act = B->c->act;
    if (op(B, act, NULL, 0, NULL, 0) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.hook_mlp_out", L);
    int out = alias(B, site(B, name, IV_SITE_RESID, 0, d), "mlp_out%d", L);
    if (linear_of(B, post, out, "mlp.c_proj", L, d, dm) < 0)
        return -1;
    snprintf(name, sizeof name, "blocks.%d.hook_resid_post", L);
    *resid_post = site(B, name, IV_SITE_RESID, 0, d);
    return op(B, op_of(IV_OP_ADD, resid_mid, out, *resid_post), NULL, 0, NULL, 0);
}

static int build(build_ctx *B)
{
    const iv_gpt2_config *c = B->c;
    int d = c->d_model, T = B->T;
    char **names = iv_xmalloc(sizeof(char *) * (size_t)T);
    for (int p = 0; p < T; p++)
        names[p] = iv_xasprintf("t%d", p);
    int rc = iv_builder_inputs(B->b, T, names, NULL, B->err);
    for (int p = 0; p < T; p++)
        free(names[p]);
    free(names);
    if (rc < 0)
        return -1;
    /* The embeddings: the token table's place is kept for a tied unembedding. */
    long wte_at = iv_builder_param_count(B->b);
    int embed = alias(B, site(B, "hook_embed", IV_SITE_RESID, 0, d), "embed", 0);
    int pos = alias(B, site(B, "hook_pos_embed", IV_SITE_RESID, 0, d), "pos_embed", 0);
    const float *t = tensor(B, "wte", 0, (long)c->d_vocab * d);
    iv_op e = op_of(IV_OP_EMBED, 0, -1, embed);
    e.rows = c->d_vocab;
    if (!t || op(B, e, t, (long)c->d_vocab * d, NULL, 0) < 0)
        return -1;
    t = tensor(B, "wpe", 0, (long)c->n_ctx * d);
    iv_op pe = op_of(IV_OP_POS_EMBED, 0, -1, pos);
    pe.rows = c->n_ctx;
    if (!t || op(B, pe, t, (long)c->n_ctx * d, NULL, 0) < 0)
        return -1;
    int resid = alias(B, site(B, "blocks.0.hook_resid_pre", IV_SITE_RESID, 0, d), "resid%d", 0);
    if (op(B, op_of(IV_OP_ADD, embed, pos, resid), NULL, 0, NULL, 0) < 0)
        return -1;
    for (int L = 0; L < c->n_layer; L++) {
        int mid, post;
        if (attention(B, L, resid, &mid) < 0)
            return -1;
        if (c->d_mlp > 0) {
            if (mlp(B, L, mid, &post) < 0)
                return -1;
        } else { /* attention only: the block's output is its middle */
            post = alias(B, mid, "blocks.%d.hook_resid_post", L);
        }
        alias(B, post, "resid_post%d", L);
        if (L + 1 < c->n_layer)
            alias(B, post, "blocks.%d.hook_resid_pre", L + 1);
        resid = alias(B, post, "resid%d", L + 1);
    }
    int ln_f = layernorm(B, resid, "ln_final.hook_normalized", "ln_f", 0);
    if (ln_f < 0)
        return -1;
    alias(B, ln_f, "ln_final", 0);
    int logits = site(B, "logits", IV_SITE_RESID, 0, c->d_vocab);
    iv_op un = op_of(IV_OP_LINEAR_POS, ln_f, -1, logits);
    if (c->tied) {
        un.weight = wte_at;
        un.shared = true;
        return iv_builder_op(B->b, &un, NULL, 0, B->err);
    }
    t = tensor(B, "lm_head.weight", 0, (long)c->d_vocab * d);
    return t ? linear(B, ln_f, logits, t, c->d_vocab, d, NULL) : -1;
}

iv_model *iv_gpt2_build(const char *path, const char *where, const iv_gpt2_config *c,
                        const iv_gpt2_source *src, int positions, iv_error *err)
{
    char why[256];
    if (iv_gpt2_config_check(c, why, sizeof why)) {
        iv_error_set(err, "%s: %s", where ? where : path, why);
        return NULL;
    }
    if (positions < 1 || positions > c->n_ctx) {
        iv_error_set(err, "%s: %d positions, expected 1 to the model's context of %d",
                     where ? where : path, positions, c->n_ctx);
        return NULL;
    }
    build_ctx B = {iv_builder_new(path, where), c, src, positions, err};
    if (build(&B) < 0) {
        iv_builder_free(B.b);
        return NULL;
    }
    iv_model *m = iv_builder_finish(B.b, err);
    if (!m)
        return NULL;
    m->gpt2 = iv_arena_alloc(m->arena, sizeof *m->gpt2);
    *m->gpt2 = *c;
    m->positions = positions;
    return m;
}

/* ---- the same weights at another length ------------------------------------------------------- */

/* A source over a built model's parameters: each tensor gathered from the operation that holds
 * it, found by the site it writes. */
typedef struct {
    const iv_model *m;
    float *scratch;
} model_source;

static const iv_op *op_writing(const iv_model *m, const char *site_name)
{
    int s = iv_model_site_find(m, site_name);
    for (int k = 0; k < m->n_ops && s >= 0; k++)
        if (m->ops[k].out == s)
            return &m->ops[k];
    return NULL;
}

static const float *gather(model_source *S, const char *site_fmt, int layer, bool bias,
                           long count, int parts, iv_error *err)
{
    static const char *const qkv[3] = {"q", "k", "v"};
    free(S->scratch);
    S->scratch = iv_xmalloc(sizeof(float) * (size_t)(count ? count : 1));
    long each = count / parts;
    for (int i = 0; i < parts; i++) {
        char name[96];
        snprintf(name, sizeof name, site_fmt, layer, qkv[i]);
        const iv_op *o = op_writing(S->m, name);
        long at = o ? (bias ? o->bias : o->weight) : -1;
        if (at < 0) {
            iv_error_set(err, "%s: no parameters for %s", S->m->path, name);
            return NULL;
        }
        memcpy(S->scratch + i * each, S->m->params + at, sizeof(float) * (size_t)each);
    }
    return S->scratch;
}

static const float *model_tensor(void *user, const char *name, long count, iv_error *err)
{
    model_source *S = user;
    int L = 0;
    char part[64] = "";
    if (strcmp(name, "wte") == 0)
        return gather(S, "hook_embed", 0, false, count, 1, err);
    if (strcmp(name, "wpe") == 0)
        return gather(S, "hook_pos_embed", 0, false, count, 1, err);
    if (strcmp(name, "lm_head.weight") == 0)
        return gather(S, "logits", 0, false, count, 1, err);
    if (strncmp(name, "ln_f.", 5) == 0)
        return gather(S, "ln_final.hook_normalized", 0, strcmp(name + 5, "bias") == 0, count, 1,
                      err);
    if (sscanf(name, "h.%d.%63s", &L, part) != 2) {
        iv_error_set(err, "%s: no tensor %s", S->m->path, name);
        return NULL;
    }
    bool bias = strstr(part, ".bias") != NULL;
    if (strncmp(part, "ln_1.", 5) == 0)
        return gather(S, "blocks.%d.ln1.hook_normalized", L, bias, count, 1, err);
    if (strncmp(part, "ln_2.", 5) == 0)
        return gather(S, "blocks.%d.ln2.hook_normalized", L, bias, count, 1, err);
    if (strncmp(part, "attn.c_attn.", 12) == 0)
        return gather(S, "blocks.%d.attn.hook_%s", L, bias, count, 3, err);
    if (strncmp(part, "attn.c_proj.", 12) == 0)
        return gather(S, "blocks.%d.hook_attn_out", L, bias, count, 1, err);
    if (strncmp(part, "mlp.c_fc.", 9) == 0)
        return gather(S, "blocks.%d.mlp.hook_pre", L, bias, count, 1, err);
    if (strncmp(part, "mlp.c_proj.", 11) == 0)
        return gather(S, "blocks.%d.hook_mlp_out", L, bias, count, 1, err);
    iv_error_set(err, "%s: no tensor %s", S->m->path, name);
    return NULL;
}

iv_model *iv_gpt2_rebuild(iv_model *m, int positions, iv_error *err)
{
    if (!m->gpt2) {
        iv_error_set(err, "%s is not a transformer: it has no positions", m->path);
        return NULL;
    }
    model_source S = {m, NULL};
    iv_gpt2_source src = {&S, model_tensor};
    iv_model *r = iv_gpt2_build(m->path, m->path, m->gpt2, &src, positions, err);
    free(S.scratch);
    if (!r)
        return NULL;
    r->name = iv_arena_strdup(r->arena, m->name);
    r->prompt = m->prompt ? iv_arena_strdup(r->arena, m->prompt) : NULL;
    r->tokenizer = m->tokenizer; /* moves */
    m->tokenizer = NULL;
    return r;
}
