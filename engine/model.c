/* model.c - sites, neuron labels, activations, and freeing a model. */
#include "model.h"

#include <math.h>
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

void iv_model_free(iv_model *m)
{
    if (m)
        iv_arena_free(m->arena); /* the model struct itself lives in its arena */
}

/* ---- sites ------------------------------------------------------------------------------------- */

int iv_model_site_count(const iv_model *m) { return 1 + 2 * m->n_layers; }

iv_site_kind iv_model_site_kind(const iv_model *m, int site)
{
    (void)m;
    if (site == 0)
        return IV_SITE_INPUT;
    return site % 2 ? IV_SITE_PRE : IV_SITE_POST;
}

int iv_model_site_layer(const iv_model *m, int site)
{
    (void)m;
    return site == 0 ? -1 : (site - 1) / 2;
}

int iv_model_site_width(const iv_model *m, int site)
{
    return site == 0 ? m->n_inputs : m->layers[(site - 1) / 2].n_out;
}

void iv_model_site_name(const iv_model *m, int site, char *buf, size_t n)
{
    if (site == 0)
        snprintf(buf, n, "input");
    else
        snprintf(buf, n, "%s%s", m->layers[(site - 1) / 2].name, site % 2 ? ".pre" : "");
}

int iv_model_site_find(const iv_model *m, const char *name)
{
    if (strcmp(name, "input") == 0)
        return 0;
    size_t len = strlen(name);
    bool pre = len > 4 && strcmp(name + len - 4, ".pre") == 0;
    if (pre)
        len -= 4;
    for (int l = 0; l < m->n_layers; l++)
        if (strlen(m->layers[l].name) == len && strncmp(m->layers[l].name, name, len) == 0)
            return 1 + 2 * l + (pre ? 0 : 1);
    return -1;
}

const char *iv_model_neuron_label(const iv_model *m, int site, int i)
{
    if (site == 0)
        return m->input_names[i];
    const iv_layer *L = &m->layers[(site - 1) / 2];
    return L->labels ? L->labels[i] : NULL;
}

int iv_model_output_site(const iv_model *m) { return 2 * m->n_layers; }

int iv_model_output_width(const iv_model *m) { return m->layers[m->n_layers - 1].n_out; }

bool iv_model_is_classifier(const iv_model *m)
{
    return m->layers[m->n_layers - 1].act == IV_ACT_SOFTMAX;
}

/* ---- activations ------------------------------------------------------------------------------- */

static const char *const act_names[] = {
    [IV_ACT_IDENTITY] = "identity", [IV_ACT_RELU] = "relu",   [IV_ACT_LEAKY_RELU] = "leaky_relu",
    [IV_ACT_SIGMOID] = "sigmoid",   [IV_ACT_TANH] = "tanh",   [IV_ACT_GELU] = "gelu",
    [IV_ACT_SOFTMAX] = "softmax",
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

static void softmax_rows(float *x, long rows, int width)
{
    for (long r = 0; r < rows; r++) {
        float *row = x + r * width;
        float top = row[0];
        for (int i = 1; i < width; i++)
            top = fmaxf(top, row[i]);
        double sum = 0; /* subtracting the max keeps exp from overflowing */
        for (int i = 0; i < width; i++) {
            row[i] = expf(row[i] - top);
            sum += row[i];
        }
        for (int i = 0; i < width; i++)
            row[i] = (float)(row[i] / sum);
    }
}

void iv_activation_apply(iv_activation a, float alpha, float *x, long rows, int width)
{
    long n = rows * width;
    switch (a) {
    case IV_ACT_IDENTITY:
        break;
    case IV_ACT_RELU:
        for (long i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case IV_ACT_LEAKY_RELU:
        for (long i = 0; i < n; i++)
            x[i] = x[i] < 0 ? alpha * x[i] : x[i];
        break;
    case IV_ACT_SIGMOID:
        for (long i = 0; i < n; i++)
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case IV_ACT_TANH:
        for (long i = 0; i < n; i++)
            x[i] = tanhf(x[i]);
        break;
    case IV_ACT_GELU:
        for (long i = 0; i < n; i++)
            x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f));
        break;
    case IV_ACT_SOFTMAX:
        softmax_rows(x, rows, width);
        break;
    }
}
