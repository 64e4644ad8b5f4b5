/* build.c - making a model: the builder's calls, the one check, and handing the sites,
 * operations and parameters over to the model. */
#include "build.h"

#include "budget.h"
#include "ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dense layer as added: where its parameters and sites are, and where it came from. */
typedef struct dense {
    iv_layer L;             /* weight and bias are NULL until the block stops moving */
    long weight, bias;      /* offsets into the block; bias -1 for none */
    char *where;            /* in the arena, or NULL */
    int line;
} dense;

struct iv_builder {
    iv_model *m;            /* lives in its arena; given its arrays by finish */
    char *where;            /* for messages about the model as a whole */
    char *inputs_where;
    char **sorted_inputs;   /* the input names in strcmp order, for finding repeats and clashes */
    bool have_inputs;
    iv_site *sites;         /* heap arrays, grown as sites, operations and layers come */
    int n_sites, sites_cap;
    iv_op *ops;
    int n_ops, ops_cap;
    dense *layers;
    int n_layers, layers_cap;
    bool too_many_layers, too_many_sites;
    float *params;          /* heap block */
    long n_params, params_cap;
    struct iv_site_alias *aliases;
    int n_aliases, aliases_cap;
};

#define GROW(array, count, cap)                                                                    \
    do {                                                                                           \
        if ((count) == (cap)) {                                                                    \
            (cap) = (cap) ? 2 * (cap) : 8;                                                         \
            (array) = iv_xrealloc((array), sizeof *(array) * (size_t)(cap));                       \
        }                                                                                          \
    } while (0)

iv_builder *iv_builder_new(const char *path, const char *where)
{
    iv_arena *a = iv_arena_new();
    iv_builder *b = iv_xcalloc(1, sizeof *b);
    b->m = iv_arena_alloc(a, sizeof *b->m);
    b->m->arena = a;
    b->m->path = iv_arena_strdup(a, path ? path : "<model>");
    b->where = where ? iv_arena_strdup(a, where) : NULL;
    return b;
}

iv_arena *iv_builder_arena(iv_builder *b) { return b->m->arena; }

void iv_builder_free(iv_builder *b)
{
    if (!b)
        return;
    free(b->sites);
    free(b->ops);
    free(b->layers);
    free(b->aliases);
    free(b->params);
    iv_arena_free(b->m->arena);
    free(b);
}

static char *arena_copy(iv_builder *b, const char *s)
{
    return s ? iv_arena_strdup(b->m->arena, s) : NULL;
}

void iv_builder_name(iv_builder *b, const char *name) { b->m->name = arena_copy(b, name); }
void iv_builder_target(iv_builder *b, const char *expr) { b->m->target = arena_copy(b, expr); }
void iv_builder_dataset(iv_builder *b, const char *spec) { b->m->dataset = arena_copy(b, spec); }

static char **copy_labels(iv_builder *b, char *const *labels, int n)
{
    if (!labels || n < 1)
        return NULL;
    char **out = iv_arena_alloc(b->m->arena, sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++)
        out[i] = arena_copy(b, labels[i]);
    return out;
}

/* ---- messages and names ------------------------------------------------------------------------- */

static int fail(iv_error *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(iv_error *err, const char *where, const char *fmt, ...)
{
    char msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (where)
        return iv_error_set(err, "%s: %s", where, msg);
    return iv_error_set(err, "%s", msg);
}

bool iv_is_identifier(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* `what` is "input" or "layer". */
static int check_name(iv_error *err, const char *where, const char *what, const char *name)
{
    if (!iv_is_identifier(name))
        return fail(err, where, "%s name '%.80s' is not a valid name (a name starts with a letter "
                    "or '_' and has only letters, digits and '_')", what, name);
    if (strlen(name) > IV_MAX_NAME)
        return fail(err, where, "%s name '%.80s' is longer than %d characters", what, name,
                    IV_MAX_NAME);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- sites, operations, parameters -------------------------------------------------------------- */

int iv_builder_site(iv_builder *b, const char *name, int width, iv_site_kind kind, int layer,
                    char *const *labels)
{
    if (b->n_sites == IV_MAX_SITES) {
        b->too_many_sites = true; /* reported by the check */
        return -1;
    }
    GROW(b->sites, b->n_sites, b->sites_cap);
    b->sites[b->n_sites] = (iv_site){.name = arena_copy(b, name), .width = width, .kind = kind,
                                     .layer = layer, .labels = copy_labels(b, labels, width)};
    return b->n_sites++;
}

void iv_builder_site_axes(iv_builder *b, int site, int positions, int heads, int inner)
{
    if (site < 0 || site >= b->n_sites)
        return; /* a site past the limit: the check reports it */
    b->sites[site].positions = positions;
    b->sites[site].heads = heads;
    b->sites[site].inner = inner;
}

void iv_builder_alias(iv_builder *b, const char *name, int site)
{
    if (site < 0 || site >= b->n_sites)
        return;
    GROW(b->aliases, b->n_aliases, b->aliases_cap);
    b->aliases[b->n_aliases++] = (struct iv_site_alias){arena_copy(b, name), site};
}

long iv_builder_param_count(const iv_builder *b) { return b->n_params; }

/* Makes room for `more` parameters; the block doubles, so adding layers stays linear. */
static int reserve_params(iv_builder *b, long more, iv_error *err)
{
    if (more > IV_MAX_PARAMS - b->n_params)
        return fail(err, b->where, "the model has more than %ld parameters (weights and biases), "
                    "the most this tool loads", IV_MAX_PARAMS);
    long need = b->n_params + more;
    if (need <= b->params_cap)
        return 0;
    long cap = b->params_cap ? b->params_cap : 1024;
    while (cap < need)
        cap = cap > IV_MAX_PARAMS / 2 ? IV_MAX_PARAMS : 2 * cap;
    float *grown = iv_big_realloc(b->params, (size_t)cap, sizeof(float),
                                  "the model's parameters", err);
    if (!grown)
        return -1;
    b->params = grown;
    b->params_cap = cap;
    return 0;
}

/* Adds an operation whose n_params parameters are already at the end of the block (reserved and
 * written by the caller). */
static void push_op(iv_builder *b, const iv_op *op, long n_params)
{
    GROW(b->ops, b->n_ops, b->ops_cap);
    iv_op *o = &b->ops[b->n_ops++];
    *o = *op;
    /* Offsets come relative to the operation's own parameters; in the block they follow the
     * parameters of the operations before it. */
    if (o->weight >= 0 && !o->shared) /* a shared weight is given where it already is */
        o->weight += b->n_params;
    if (o->bias >= 0)
        o->bias += b->n_params;
    b->n_params += n_params;
}

int iv_builder_op(iv_builder *b, const iv_op *op, const float *params, long n_params,
                  iv_error *err)
{
    if (n_params < 0 || reserve_params(b, n_params, err) < 0)
        return n_params < 0 ? fail(err, b->where, "an operation with %ld parameters", n_params)
                            : -1;
    if (n_params > 0)
        memcpy(b->params + b->n_params, params, sizeof(float) * (size_t)n_params);
    push_op(b, op, n_params);
    return 0;
}

/* ---- the inputs and dense layers ---------------------------------------------------------------- */

/* Inputs may be tens of thousands (a 784-pixel image and wider), so repeats are found by sorting a
 * copy, which later answers whether a layer takes an input's name. */
int iv_builder_inputs(iv_builder *b, int n, char *const *names, const char *where, iv_error *err)
{
    iv_model *m = b->m;
    b->inputs_where = arena_copy(b, where ? where : b->where);
    where = b->inputs_where;
    if (n < 1 || !names)
        return fail(err, where, "the model has no inputs");
    if (n > IV_MAX_WIDTH)
        return fail(err, where, "inputs: %d inputs, more than the limit of %d", n, IV_MAX_WIDTH);
    for (int i = 0; i < n; i++)
        if (check_name(err, where, "input", names[i]) < 0)
            return -1;
    if (b->n_sites)
        return fail(err, where, "inputs: given twice, or after a layer");
    int s = iv_builder_site(b, "input", n, IV_SITE_INPUT, -1, names);
    m->n_inputs = n;
    m->input_names = b->sites[s].labels;
    b->sorted_inputs = iv_arena_alloc(m->arena, sizeof(char *) * (size_t)n);
    memcpy(b->sorted_inputs, m->input_names, sizeof(char *) * (size_t)n);
    qsort(b->sorted_inputs, (size_t)n, sizeof(char *), compare_names);
    for (int i = 1; i < n; i++)
        if (strcmp(b->sorted_inputs[i - 1], b->sorted_inputs[i]) == 0)
            return fail(err, where, "inputs: '%s' is listed twice", b->sorted_inputs[i]);
    b->have_inputs = true;
    return 0;
}

/* The rules for the name of layer number `l`, against the inputs and the layers before it. */
static int check_layer_name(const iv_builder *b, int l, const char *name, const char *where,
                            iv_error *err)
{
    if (check_name(err, where, "layer", name) < 0)
        return -1;
    if (strcmp(name, "input") == 0)
        return fail(err, where, "layer name 'input' is reserved (it names the input site)");
    for (int j = 0; j < l; j++)
        if (strcmp(b->layers[j].L.name, name) == 0) {
            if (b->layers[j].line)
                return fail(err, where, "layer name '%s' is already used by the layer on line %d",
                            name, b->layers[j].line);
            return fail(err, where, "layer name '%s' is used twice", name);
        }
    if (b->have_inputs && bsearch(&name, b->sorted_inputs, (size_t)b->m->n_inputs,
                                  sizeof(char *), compare_names))
        return fail(err, where, "layer name '%s' is already the name of an input", name);
    return 0;
}

int iv_builder_check_name(const iv_builder *b, const char *name, const char *where,
                          iv_error *err)
{
    return check_layer_name(b, b->n_layers, name, where, err);
}

/* Each dense layer is a linear operation into NAME.pre and an activation (or softmax) into NAME:
 * the site names every address, transcript and screen uses. */
int iv_builder_dense(iv_builder *b, const iv_dense_spec *d, iv_error *err)
{
    if (b->n_layers == IV_MAX_LAYERS) {
        b->too_many_layers = true; /* reported by the check, with the others */
        return 0;
    }
    /* Shapes are the check's; here they only have to be sizes that can be multiplied. */
    bool sized = d->n_in > 0 && d->n_out > 0 && d->n_in <= IV_MAX_WIDTH && d->n_out <= IV_MAX_WIDTH;
    long n_w = sized ? (long)d->n_in * d->n_out : 0, n_b = sized && d->bias ? d->n_out : 0;
    int l = b->n_layers;
    const char *name = d->name ? d->name : "";
    char *pre_name = iv_xasprintf("%s.pre", name);
    int in = b->n_sites - 1; /* a dense layer reads the site before it */
    int pre = iv_builder_site(b, pre_name, d->n_out, IV_SITE_PRE, l, sized ? d->labels : NULL);
    int post = iv_builder_site(b, name, d->n_out, IV_SITE_POST, l, sized ? d->labels : NULL);
    free(pre_name);
    if (pre < 0 || post < 0)
        return 0; /* too many sites: the check says so */
    GROW(b->layers, b->n_layers, b->layers_cap);
    dense *D = &b->layers[b->n_layers++];
    *D = (dense){.L = {.name = b->sites[post].name, .n_in = d->n_in, .n_out = d->n_out,
                       .act = d->act, .alpha = d->alpha, .labels = b->sites[post].labels,
                       .pre_site = pre, .site = post, .linear_op = b->n_ops},
                 .where = arena_copy(b, d->where), .line = d->line};
    /* The linear operation's parameters: weights, then the bias. */
    /* The weights, then the bias, straight into the block (no copy on the way). */
    if (reserve_params(b, n_w + n_b, err) < 0)
        return -1;
    D->weight = b->n_params;
    D->bias = n_b ? b->n_params + n_w : -1;
    if (n_w)
        memcpy(b->params + b->n_params, d->weight, sizeof(float) * (size_t)n_w);
    if (n_b)
        memcpy(b->params + b->n_params + n_w, d->bias, sizeof(float) * (size_t)n_b);
    iv_op linear = {.kind = IV_OP_LINEAR, .in = {in, -1}, .out = pre, .weight = sized ? 0 : -1,
                    .bias = n_b ? n_w : -1};
    push_op(b, &linear, n_w + n_b);
    iv_op act = d->act == IV_ACT_SOFTMAX
                    ? (iv_op){.kind = IV_OP_SOFTMAX, .in = {pre, -1}, .out = post, .weight = -1,
                              .bias = -1}
                    : (iv_op){.kind = IV_OP_ACTIVATION, .in = {pre, -1}, .out = post,
                              .weight = -1, .bias = -1, .act = d->act, .alpha = d->alpha};
    return iv_builder_op(b, &act, NULL, 0, err);
}

int iv_builder_dense_layers(iv_builder *b, const iv_layer *layers, int n, const char *where,
                            iv_error *err)
{
    for (int l = 0; l < n; l++) {
        const iv_layer *L = &layers[l];
        iv_dense_spec d = {.name = L->name, .n_in = L->n_in, .n_out = L->n_out,
                           .weight = L->weight, .bias = L->bias, .act = L->act,
                           .alpha = L->alpha, .labels = L->labels, .where = where};
        if (iv_builder_dense(b, &d, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the check ---------------------------------------------------------------------------------- */

static int check_values(const dense *D, const float *v, long n, const char *what, iv_error *err)
{
    for (long k = 0; k < n; k++)
        if (!isfinite(v[k]))
            return fail(err, D->where, "layer %s: %s %ld is %s (weights must be finite numbers)",
                        D->L.name, what, k, isnan(v[k]) ? "nan" : "inf");
    return 0;
}

/* A dense layer's rules, in the words of the formats that write them. */
static int check_layer(const iv_builder *b, int l, iv_error *err)
{
    const dense *D = &b->layers[l];
    const iv_layer *L = &D->L;
    if (check_layer_name(b, l, L->name, D->where, err) < 0)
        return -1;
    if (L->n_out < 1 || L->n_out > IV_MAX_WIDTH || L->n_in < 1 || L->n_in > IV_MAX_WIDTH)
        return fail(err, D->where, "layer %s: %d inputs and %d outputs (each must be 1 to %d)",
                    L->name, L->n_in, L->n_out, IV_MAX_WIDTH);
    int before = l ? b->layers[l - 1].L.n_out : b->m->n_inputs;
    if (L->n_in != before)
        return fail(err, D->where, "layer %s: takes %d inputs, but %s %d", L->name, L->n_in,
                    l ? "the layer before it has" : "the model has", before);
    if (L->act == IV_ACT_SOFTMAX && l != b->n_layers - 1)
        return fail(err, D->where, "layer %s: softmax is allowed only on the last layer", L->name);
    if (!isfinite(L->alpha))
        return fail(err, D->where, "layer %s: alpha is not a finite number", L->name);
    if (check_values(D, b->params + D->weight, (long)L->n_in * L->n_out, "weight", err) < 0)
        return -1;
    return D->bias >= 0 ? check_values(D, b->params + D->bias, L->n_out, "bias", err) : 0;
}

/* Every operation, whoever added it: it reads sites before the one it writes, and fits them. */
static int check_op(const iv_builder *b, int k, iv_error *err)
{
    const iv_op *op = &b->ops[k];
    const iv_op_type *type = (int)op->kind >= 0 && (int)op->kind < IV_OP_KIND_COUNT
                                 ? iv_op_type_of(op->kind) : NULL;
    if (!type)
        return fail(err, b->where, "operation %d is of no known kind", k);
    bool joined = op->out > 0 && op->out < b->n_sites;
    for (int i = 0; i < 2 && joined; i++)
        joined = i < type->n_inputs ? op->in[i] >= 0 && op->in[i] < op->out : op->in[i] == -1;
    if (!joined)
        return fail(err, b->where, "operation %d (%s) does not read earlier sites into a later one",
                    k, type->name);
    char why[256];
    if (type->check(op, b->sites, b->n_params, why, sizeof why))
        return fail(err, b->where, "operation %d (%s) writing %s: %s", k, type->name,
                    b->sites[op->out].name, why);
    return 0;
}

/* Site names are how users address sites, so each names one. */
static int check_sites(const iv_builder *b, iv_error *err)
{
    char **sorted = iv_xmalloc(sizeof(char *) * (size_t)b->n_sites);
    for (int s = 0; s < b->n_sites; s++)
        sorted[s] = b->sites[s].name;
    qsort(sorted, (size_t)b->n_sites, sizeof *sorted, compare_names);
    int rc = 0;
    for (int s = 1; s < b->n_sites && rc == 0; s++)
        if (strcmp(sorted[s - 1], sorted[s]) == 0)
            rc = fail(err, b->where, "two sites are named '%s'", sorted[s]);
    free(sorted);
    for (int s = 0; s < b->n_sites && rc == 0; s++) {
        /* A transformer's site holds every position of its value. */
        long most = b->sites[s].positions ? IV_MAX_SITE_VALUES : IV_MAX_WIDTH;
        if (b->sites[s].width < 1 || b->sites[s].width > most)
            rc = fail(err, b->where, "site %s has %d values (at most %ld)", b->sites[s].name,
                      b->sites[s].width, most);
    }
    for (int k = 0; k < b->n_aliases && rc == 0; k++)
        if (iv_model_site_find(&(iv_model){.n_sites = b->n_sites, .sites = b->sites},
                               b->aliases[k].name) >= 0)
            rc = fail(err, b->where, "the alias '%s' is also a site's name", b->aliases[k].name);
    return rc;
}

/* What only the whole model can show; the inputs were checked as they came. */
static int check(const iv_builder *b, iv_error *err)
{
    if (!b->have_inputs)
        return fail(err, b->inputs_where ? b->inputs_where : b->where, "the model has no inputs");
    if (b->n_ops == 0)
        return fail(err, b->where, "the model has no layers");
    if (b->too_many_layers || b->too_many_sites)
        return fail(err, b->where, "more than %d layers, the most a model may have", IV_MAX_LAYERS);
    for (int l = 0; l < b->n_layers; l++)
        if (check_layer(b, l, err) < 0)
            return -1;
    if (check_sites(b, err) < 0)
        return -1;
    for (int k = 0; k < b->n_ops; k++)
        if (check_op(b, k, err) < 0)
            return -1;
    if (b->ops[b->n_ops - 1].out != b->n_sites - 1)
        return fail(err, b->where, "the last operation does not write the last site (the output)");
    for (int k = 0; k + 1 < b->n_ops; k++)
        if (b->ops[k].kind == IV_OP_SOFTMAX)
            return fail(err, b->where, "softmax is allowed only as the last operation");
    for (long k = 0; k < b->n_params; k++)
        if (!isfinite(b->params[k]))
            return fail(err, b->where, "parameter %ld is not a finite number", k);
    return 0;
}

/* ---- finishing ---------------------------------------------------------------------------------- */

/* Moves a heap array into the model's arena, where the model's other parts live. */
static void *into_arena(iv_arena *a, const void *p, size_t bytes)
{
    void *q = iv_arena_alloc(a, bytes ? bytes : 1);
    if (bytes)
        memcpy(q, p, bytes);
    return q;
}

iv_model *iv_builder_finish(iv_builder *b, iv_error *err)
{
    if (check(b, err) < 0) {
        iv_builder_free(b);
        return NULL;
    }
    /* Give back what doubling reserved beyond the last layer; keeping the block is fine too. */
    if (b->n_params < b->params_cap) {
        float *fit = realloc(b->params, sizeof(float) * (size_t)(b->n_params ? b->n_params : 1));
        if (fit)
            b->params = fit;
    }
    iv_model *m = b->m;
    iv_arena *a = m->arena;
    m->n_sites = b->n_sites;
    m->sites = into_arena(a, b->sites, sizeof *b->sites * (size_t)b->n_sites);
    m->n_ops = b->n_ops;
    m->ops = into_arena(a, b->ops, sizeof *b->ops * (size_t)b->n_ops);
    m->n_aliases = b->n_aliases;
    m->aliases = into_arena(a, b->aliases, sizeof *b->aliases * (size_t)b->n_aliases);
    m->n_params = b->n_params;
    m->params = b->params ? b->params : iv_xcalloc(1, sizeof(float));
    b->params = NULL; /* the block moves to the model whole */
    m->n_layers = b->n_layers;
    m->layers = iv_arena_alloc(a, sizeof *m->layers * (size_t)(b->n_layers ? b->n_layers : 1));
    for (int l = 0; l < b->n_layers; l++) {
        m->layers[l] = b->layers[l].L;
        m->layers[l].weight = m->params + b->layers[l].weight;
        m->layers[l].bias = b->layers[l].bias >= 0 ? m->params + b->layers[l].bias : NULL;
    }
    if (!m->name)
        m->name = iv_model_name_from_path(a, m->path);
    m->serial = iv_model_new_serial();
    b->m = NULL;
    free(b->sites);
    free(b->ops);
    free(b->layers);
    free(b->aliases);
    free(b);
    return m;
}
