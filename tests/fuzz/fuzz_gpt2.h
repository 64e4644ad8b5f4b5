/* fuzz_gpt2.h - what the GPT-2 checkpoint targets (fuzz_gpt2_hf.c, fuzz_llmc.c) share: every
 * tensor of gpt2.h asked for from a reader's source, as the builder asks, and checked finite; the
 * checks an opened checkpoint's config and its whole load must pass. */
#ifndef IV_FUZZ_GPT2_H
#define IV_FUZZ_GPT2_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpt2.h"
#include "model.h"

/* Asks for one tensor; returns its count when handed over (all finite), -1 when refused. */
static inline long fuzz_gpt2_ask(const iv_gpt2_source *src, const char *name, long count)
{
    iv_error err;
    const float *v = src->tensor(src->user, name, count, &err);
    if (!v)
        return -1;
    for (long i = 0; i < count; i++)
        if (!isfinite(v[i])) {
            fprintf(stderr, "fuzz: tensor '%s' element %ld is not finite\n", name, i);
            abort();
        }
    return count;
}

/* Every tensor of gpt2.h in the builder's order; the parameters they hold, or -1 when one was
 * refused. */
static inline long fuzz_gpt2_ask_all(const iv_gpt2_source *src, const iv_gpt2_config *c)
{
    long d = c->d_model, m = c->d_mlp, total = 0;
    char name[64];
#define ASK(count, ...)                                                                            \
    do {                                                                                           \
        snprintf(name, sizeof name, __VA_ARGS__);                                                  \
        if (fuzz_gpt2_ask(src, name, (count)) < 0)                                                 \
            return -1;                                                                             \
        total += (count);                                                                          \
    } while (0)
    ASK((long)c->d_vocab * d, "wte");
    ASK((long)c->n_ctx * d, "wpe");
    for (int L = 0; L < c->n_layer; L++) {
        ASK(d, "h.%d.ln_1.weight", L);
        ASK(d, "h.%d.ln_1.bias", L);
        ASK(3 * d * d, "h.%d.attn.c_attn.weight", L);
        ASK(3 * d, "h.%d.attn.c_attn.bias", L);
        ASK(d * d, "h.%d.attn.c_proj.weight", L);
        ASK(d, "h.%d.attn.c_proj.bias", L);
        ASK(d, "h.%d.ln_2.weight", L);
        ASK(d, "h.%d.ln_2.bias", L);
        ASK(m * d, "h.%d.mlp.c_fc.weight", L);
        ASK(m, "h.%d.mlp.c_fc.bias", L);
        ASK(d * m, "h.%d.mlp.c_proj.weight", L);
        ASK(d, "h.%d.mlp.c_proj.bias", L);
    }
    ASK(d, "ln_f.weight");
    ASK(d, "ln_f.bias");
    if (!c->tied)
        ASK((long)c->d_vocab * d, "lm_head.weight");
#undef ASK
    return total;
}

/* What both readers must hold to: an opened checkpoint's config passes the check ... */
static inline void fuzz_gpt2_config_passes(const iv_gpt2_config *c)
{
    char why[256];
    if (iv_gpt2_config_check(c, why, sizeof why)) {
        fprintf(stderr, "fuzz: an opened checkpoint's config fails the check: %s\n", why);
        abort();
    }
}

/* ... and the whole load agrees with the tensors asked for one by one (params, or -1 when one
 * was refused): a model exactly when every tensor was handed over, with as many parameters. The
 * builder may still refuse for the memory limit, so no model is no finding. */
static inline void fuzz_gpt2_load_agrees(const iv_model *m, long params)
{
    if (m && params < 0) {
        fprintf(stderr, "fuzz: a model built from a checkpoint whose tensors were refused\n");
        abort();
    }
    if (m && m->n_params != params) {
        fprintf(stderr, "fuzz: the model has %ld parameters, its tensors %ld\n", m->n_params,
                params);
        abort();
    }
}

#endif
