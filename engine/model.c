/* model.c - questions about a built model: its sites, layers, labels and names; freeing it. */
#include "model.h"

#include "gpt2.h"
#include "tokenizer.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *iv_model_name_from_path(iv_arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0)
        return iv_arena_strdup(a, "model");
    char *s = iv_arena_alloc(a, n + 1); /* zeroed: the NUL is there */
    memcpy(s, base, n);
    return s;
}

unsigned long iv_model_new_serial(void)
{
    static atomic_ulong last; /* models may be read on a worker thread */
    return atomic_fetch_add(&last, 1) + 1;
}

void iv_model_weights_changed(iv_model *m) { m->weights_version++; }

void iv_model_free(iv_model *m)
{
    if (!m)
        return;
    free(m->params);          /* the one block outside the arena (it may be large) */
    iv_tokenizer_free(m->tokenizer);
    iv_arena_free(m->arena);  /* the model struct itself lives in its arena */
}

/* ---- sites ------------------------------------------------------------------------------------- */

int iv_model_site_count(const iv_model *m) { return m->n_sites; }

iv_site_kind iv_model_site_kind(const iv_model *m, int site) { return m->sites[site].kind; }

int iv_model_site_layer(const iv_model *m, int site) { return m->sites[site].layer; }

int iv_model_site_width(const iv_model *m, int site) { return m->sites[site].width; }

void iv_model_site_name(const iv_model *m, int site, char *buf, size_t n)
{
    snprintf(buf, n, "%s", m->sites[site].name);
}

const char *iv_model_site_short_name(const iv_model *m, int site)
{
    const char *best = m->sites[site].name;
    for (int k = 0; k < m->n_aliases; k++)
        if (m->aliases[k].site == site && strlen(m->aliases[k].name) < strlen(best))
            best = m->aliases[k].name;
    return best;
}

int iv_model_site_find(const iv_model *m, const char *name)
{
    for (int s = 0; s < m->n_sites; s++)
        if (strcmp(m->sites[s].name, name) == 0)
            return s;
    for (int k = 0; k < m->n_aliases; k++)
        if (strcmp(m->aliases[k].name, name) == 0)
            return m->aliases[k].site;
    return -1;
}

const char *iv_model_neuron_label(const iv_model *m, int site, int i)
{
    char **labels = m->sites[site].labels;
    return labels ? labels[i] : NULL;
}

int iv_model_output_site(const iv_model *m) { return m->n_sites - 1; }

int iv_model_output_width(const iv_model *m) { return m->sites[m->n_sites - 1].width; }

const char *iv_model_input_check(const iv_model *m, float v, char *why, size_t n)
{
    if (!isfinite(v)) {
        snprintf(why, n, "%g is not a finite number", v);
        return why;
    }
    if (m->gpt2 && (v < 0 || v >= m->gpt2->d_vocab || v != floorf(v))) {
        snprintf(why, n, "%g is not a token id (the vocabulary has %d: 0 to %d)", v,
                 m->gpt2->d_vocab, m->gpt2->d_vocab - 1);
        return why;
    }
    return NULL;
}

void iv_model_prediction(const iv_model *m, int *offset, int *width)
{
    const iv_site *out = &m->sites[m->n_sites - 1];
    *width = out->positions ? out->inner : out->width;
    *offset = out->width - *width;
}

bool iv_model_is_classifier(const iv_model *m)
{
    return m->ops[m->n_ops - 1].kind == IV_OP_SOFTMAX;
}

int iv_model_pass_start(const iv_model *m, int site)
{
    int start = site;
    bool moved = true;
    while (moved) { /* moving the start back may bring in operations that reach back further */
        moved = false;
        for (int k = 0; k < m->n_ops; k++)
            for (int i = 0; i < 2; i++)
                if (m->ops[k].out > start && m->ops[k].in[i] >= 0 && m->ops[k].in[i] < start) {
                    start = m->ops[k].in[i];
                    moved = true;
                }
    }
    return start;
}

int iv_model_layer_sites(const iv_model *m, int layer, int *sites, int max)
{
    int n = 0;
    for (int s = 0; s < m->n_sites; s++)
        if (m->sites[s].layer == layer && n < max)
            sites[n++] = s;
    return n;
}

int iv_model_layer_site(const iv_model *m, int layer) { return m->layers[layer].site; }

int iv_model_layer_pre_site(const iv_model *m, int layer) { return m->layers[layer].pre_site; }

const char *iv_model_layer_name(const iv_model *m, int layer) { return m->layers[layer].name; }

/* ---- activations ------------------------------------------------------------------------------- */

static const char *const act_names[] = {
    [IV_ACT_IDENTITY] = "identity", [IV_ACT_RELU] = "relu",   [IV_ACT_LEAKY_RELU] = "leaky_relu",
    [IV_ACT_SIGMOID] = "sigmoid",   [IV_ACT_TANH] = "tanh",   [IV_ACT_GELU] = "gelu",
    [IV_ACT_SOFTMAX] = "softmax",   [IV_ACT_GELU_TANH] = "gelu_tanh",
};

const char *iv_activation_name(iv_activation a) { return act_names[a]; }

int iv_activation_parse(const char *name, iv_activation *out)
{
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *out = (iv_activation)i;
            return 0;
        }
    return -1;
}

