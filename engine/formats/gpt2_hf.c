/* gpt2_hf.c - HuggingFace GPT-2 checkpoints (gpt2_hf.h): config.json into an iv_gpt2_config, and
 * model.safetensors's tensors (or its shards', shards.h) matched against what that config calls
 * for, then handed to the builder one at a time. Also the last step both GPT-2 readers share: the tokenizer and the prompt
 * beside the checkpoint, and the build.
 *
 * Everything that can be checked without the data is checked at open - the config's keys, every
 * tensor's presence, dtype and shape, names nobody asked for - so that a bad checkpoint fails
 * before any weight is read, with a message naming the file and the key or the tensor. */
#include "gpt2_hf.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "files.h"
#include "shards.h"
#include "tokenizer.h"

#define MAX_CONFIG_FILE (1L << 20) /* config.json is a kilobyte; this stops a hostile one */
#define INDEX_NAME "model.safetensors.index.json" /* a checkpoint saved in shards */
#define PREFIX "transformer."
#define PREFIX_LEN (sizeof PREFIX - 1)

/* ---- paths ------------------------------------------------------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool iv_gpt2_hf_is_checkpoint(const char *path)
{
    if (is_dir(path)) {
        char *config = iv_path_join(path, "config.json");
        bool yes = is_file(config);
        free(config);
        return yes;
    }
    const char *base = base_name(path);
    if (strcmp(base, "config.json") == 0)
        return true;
    if (strcmp(base, "model.safetensors") != 0 && strcmp(base, INDEX_NAME) != 0)
        return false;
    char *dir = iv_path_dir(path), *config = iv_path_join(dir, "config.json");
    bool yes = is_file(config);
    free(config);
    free(dir);
    return yes;
}

/* ---- the open checkpoint ----------------------------------------------------------------------- */

/* A tensor the config calls for. */
typedef struct want {
    char name[48];       /* the engine's name (gpt2.h) */
    char file_name[80];  /* as the file names it, prefix included */
    int ndim;
    long shape[2];       /* in the file's layout: Conv1D weights (in, out) */
    bool transpose;      /* a Conv1D weight, handed over as (out, in) */
    int index;           /* its entry in the file */
} want;

struct iv_gpt2_hf_file {
    char *dir, *config_path, *weights_path;
    char *prompt;        /* "intervene_prompt", or NULL */
    char *dataset;       /* "intervene_dataset", or NULL */
    iv_gpt2_config cfg;
    iv_shards *st;        /* model.safetensors, or the shards its index names */
    bool prefixed;       /* the names start with "transformer." */
    want *wants;
    int n_wants;
    float *buf;          /* the one tensor handed over last */
    size_t buf_len;      /* floats it holds */
};

void iv_gpt2_hf_close(iv_gpt2_hf_file *f)
{
    if (!f)
        return;
    iv_shards_close(f->st);
    free(f->dir);
    free(f->config_path);
    free(f->weights_path);
    free(f->prompt);
    free(f->dataset);
    free(f->wants);
    free(f->buf);
    free(f);
}

const char *iv_gpt2_hf_prompt(const iv_gpt2_hf_file *f) { return f->prompt; }
const char *iv_gpt2_hf_dir(const iv_gpt2_hf_file *f) { return f->dir; }

/* ---- config.json ------------------------------------------------------------------------------- */

/* The value of a key for messages: its JSON text, cut short. */
static const char *json_text(json_object *v)
{
    return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* An integer key in [lo, hi]. Returns 1 when read, 0 when absent (or null, when null_ok), -1 on
 * error. */
static int get_int(const char *file, json_object *root, const char *key, long lo, long hi,
                   bool null_ok, int *out, iv_error *err)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!v && null_ok)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return iv_error_set(err, "%s: \"%s\" is %.40s, not an integer", file, key, json_text(v));
    int64_t x = json_object_get_int64(v);
    if (x < lo || x > hi)
        return iv_error_set(err, "%s: \"%s\" is %lld; it must be from %ld to %ld", file, key,
                            (long long)x, lo, hi);
    *out = (int)x;
    return 1;
}

static int need_int(const char *file, json_object *root, const char *key, long lo, long hi,
                    int *out, iv_error *err)
{
    int rc = get_int(file, root, key, lo, hi, false, out, err);
    if (rc == 0)
        return iv_error_set(err, "%s: missing key \"%s\"", file, key);
    return rc < 0 ? -1 : 0;
}

/* A boolean key; absent keeps *out. */
static int get_bool(const char *file, json_object *root, const char *key, bool *out, iv_error *err)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return iv_error_set(err, "%s: \"%s\" is %.40s, not true or false", file, key,
                            json_text(v));
    *out = json_object_get_boolean(v);
    return 0;
}

/* A string key, or NULL when absent. */
static int get_string(const char *file, json_object *root, const char *key, const char **out,
                      iv_error *err)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return iv_error_set(err, "%s: \"%s\" is %.40s, not a string", file, key, json_text(v));
    *out = json_object_get_string(v);
    return 0;
}

static int parse_activation(const char *file, const char *name, iv_activation *act,
                            iv_error *err)
{
    if (!name || strcmp(name, "gelu_new") == 0 || strcmp(name, "gelu_pytorch_tanh") == 0 ||
        strcmp(name, "gelu_fast") == 0) /* all three are the tanh approximation */
        *act = IV_ACT_GELU_TANH;
    else if (strcmp(name, "gelu") == 0)
        *act = IV_ACT_GELU;
    else
        return iv_error_set(err, "%s: \"activation_function\" \"%.40s\" is not one this tool "
                            "runs (gelu_new, gelu_pytorch_tanh, gelu_fast or gelu)", file, name);
    return 0;
}

/* The config's sizes and options; what HuggingFace defaults is defaulted the same way. */
static int read_keys(iv_gpt2_hf_file *f, json_object *root, iv_error *err)
{
    const char *file = f->config_path, *s;
    iv_gpt2_config *c = &f->cfg;
    if (get_string(file, root, "model_type", &s, err) < 0)
        return -1;
    if (!s)
        return iv_error_set(err, "%s: missing key \"model_type\" (a GPT-2 config says \"gpt2\")",
                            file);
    if (strcmp(s, "gpt2") != 0)
        return iv_error_set(err, "%s: \"model_type\" is \"%.40s\"; only \"gpt2\" is read", file,
                            s);
    if (need_int(file, root, "n_layer", 1, IV_GPT2_MAX_LAYERS, &c->n_layer, err) < 0 ||
        need_int(file, root, "n_head", 1, IV_MAX_WIDTH, &c->n_head, err) < 0 ||
        need_int(file, root, "n_embd", 1, IV_MAX_WIDTH, &c->d_model, err) < 0 ||
        need_int(file, root, "vocab_size", 1, IV_GPT2_MAX_VOCAB, &c->d_vocab, err) < 0)
        return -1;
    int rc = get_int(file, root, "n_positions", 1, IV_GPT2_MAX_CTX, false, &c->n_ctx, err);
    if (rc == 0)
        rc = get_int(file, root, "n_ctx", 1, IV_GPT2_MAX_CTX, false, &c->n_ctx, err);
    if (rc == 0)
        return iv_error_set(err, "%s: missing key \"n_positions\" (or \"n_ctx\")", file);
    if (rc < 0)
        return -1;
    if (c->d_model % c->n_head != 0)
        return iv_error_set(err, "%s: \"n_embd\" %d is not a multiple of \"n_head\" %d", file,
                            c->d_model, c->n_head);
    c->d_mlp = 4 * c->d_model;
    if (get_int(file, root, "n_inner", 1, IV_MAX_WIDTH, true, &c->d_mlp, err) < 0)
        return -1;
    if (c->d_mlp > IV_MAX_WIDTH)
        return iv_error_set(err, "%s: the MLP width 4 x \"n_embd\" = %d is more than %d", file,
                            c->d_mlp, IV_MAX_WIDTH);

    c->ln_eps = 1e-5f;
    json_object *v;
    if (json_object_object_get_ex(root, "layer_norm_epsilon", &v)) {
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
            return iv_error_set(err, "%s: \"layer_norm_epsilon\" is %.40s, not a number", file,
                                json_text(v));
        double eps = json_object_get_double(v);
        if (!(eps > 0 && eps <= 1))
            return iv_error_set(err, "%s: \"layer_norm_epsilon\" is %g; it must be above 0 and "
                                "at most 1", file, eps);
        c->ln_eps = (float)eps;
    }
    if (get_string(file, root, "activation_function", &s, err) < 0 ||
        parse_activation(file, s, &c->act, err) < 0)
        return -1;
    c->tied = true;
    if (get_bool(file, root, "tie_word_embeddings", &c->tied, err) < 0)
        return -1;

    /* Options that change the computation away from GPT-2's. */
    bool scale = true, by_layer = false, cross = false;
    if (get_bool(file, root, "scale_attn_weights", &scale, err) < 0 ||
        get_bool(file, root, "scale_attn_by_inverse_layer_idx", &by_layer, err) < 0 ||
        get_bool(file, root, "add_cross_attention", &cross, err) < 0)
        return -1;
    if (!scale || by_layer || cross)
        return iv_error_set(err, "%s: \"%s\": %s is not supported (this tool runs GPT-2's "
                            "attention only)", file, !scale ? "scale_attn_weights" : by_layer ?
                            "scale_attn_by_inverse_layer_idx" : "add_cross_attention",
                            !scale ? "false" : "true");

    if (get_string(file, root, "intervene_prompt", &s, err) < 0)
        return -1;
    f->prompt = s ? iv_xstrdup(s) : NULL;
    if (get_string(file, root, "intervene_dataset", &s, err) < 0)
        return -1;
    f->dataset = s ? iv_xstrdup(s) : NULL;
    return 0;
}

static int read_config(iv_gpt2_hf_file *f, iv_error *err)
{
    size_t len;
    char *text = iv_read_file(f->config_path, (size_t)MAX_CONFIG_FILE, &len, err);
    if (!text)
        return -1;
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int rc = 0;
    if (!root || jerr != json_tokener_success)
        rc = iv_error_set(err, "%s: not valid JSON (%s at byte %zu)", f->config_path,
                          jerr == json_tokener_continue ? "unexpected end"
                                                        : json_tokener_error_desc(jerr), used);
    for (size_t i = used; rc == 0 && i < len; i++)
        if (!strchr(" \t\r\n", text[i]))
            rc = iv_error_set(err, "%s: text after the JSON object (byte %zu)", f->config_path,
                              i);
    if (rc == 0 && !json_object_is_type(root, json_type_object))
        rc = iv_error_set(err, "%s: JSON but not an object of settings", f->config_path);
    if (rc == 0)
        rc = read_keys(f, root, err);
    if (root)
        json_object_put(root);
    free(text);
    if (rc == 0) {
        char why[256];
        const char *bad = iv_gpt2_config_check(&f->cfg, why, sizeof why);
        if (bad)
            rc = iv_error_set(err, "%s: %s", f->config_path, bad);
    }
    return rc;
}

/* ---- the tensors the config calls for ---------------------------------------------------------- */

static void add_want(iv_gpt2_hf_file *f, const char *name, const char *file_base, long d0,
                     long d1, bool transpose)
{
    want *w = &f->wants[f->n_wants++];
    snprintf(w->name, sizeof w->name, "%s", name);
    /* lm_head sits beside the transformer in HuggingFace's module tree, never under it. */
    bool under = strcmp(file_base, "lm_head.weight") != 0 && f->prefixed;
    snprintf(w->file_name, sizeof w->file_name, "%s%s", under ? PREFIX : "", file_base);
    w->ndim = d1 ? 2 : 1;
    w->shape[0] = d0;
    w->shape[1] = d1;
    w->transpose = transpose;
    w->index = -1;
}

static void list_wants(iv_gpt2_hf_file *f)
{
    const iv_gpt2_config *c = &f->cfg;
    long d = c->d_model, m = c->d_mlp;
    f->wants = iv_xcalloc((size_t)(16 * c->n_layer + 5), sizeof *f->wants);
    add_want(f, "wte", "wte.weight", c->d_vocab, d, false);
    add_want(f, "wpe", "wpe.weight", c->n_ctx, d, false);
    for (int l = 0; l < c->n_layer; l++) {
        /* Conv1D weights are (in, out); the biases and layer norms are vectors. */
        static const struct {
            const char *part;
            int in, out; /* 1: d, 3: 3d, 4: d_mlp; in 0: a vector of out */
        } parts[] = {
            {"ln_1.weight", 0, 1},       {"ln_1.bias", 0, 1},
            {"attn.c_attn.weight", 1, 3}, {"attn.c_attn.bias", 0, 3},
            {"attn.c_proj.weight", 1, 1}, {"attn.c_proj.bias", 0, 1},
            {"ln_2.weight", 0, 1},       {"ln_2.bias", 0, 1},
            {"mlp.c_fc.weight", 1, 4},   {"mlp.c_fc.bias", 0, 4},
            {"mlp.c_proj.weight", 4, 1}, {"mlp.c_proj.bias", 0, 1},
        };
        for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
            char name[48];
            snprintf(name, sizeof name, "h.%d.%s", l, parts[p].part);
            long out = parts[p].out == 1 ? d : parts[p].out == 3 ? 3 * d : m;
            long in = parts[p].in == 0 ? 0 : parts[p].in == 1 ? d : m;
            if (in)
                add_want(f, name, name, in, out, true);
            else
                add_want(f, name, name, out, 0, false);
        }
    }
    add_want(f, "ln_f.weight", "ln_f.weight", d, 0, false);
    add_want(f, "ln_f.bias", "ln_f.bias", d, 0, false);
    if (!c->tied)
        add_want(f, "lm_head.weight", "lm_head.weight", c->d_vocab, d, false);
}

/* "[64, 190]" */
static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

/* Whether all names carry the prefix or none does (lm_head.weight aside). */
static int find_prefix(iv_gpt2_hf_file *f, iv_error *err)
{
    const char *with = NULL, *without = NULL;
    for (int i = 0; i < iv_shards_count(f->st); i++) {
        const char *name = iv_shards_entry_at(f->st, i)->name;
        if (strcmp(name, "lm_head.weight") == 0)
            continue;
        const char **first = strncmp(name, PREFIX, PREFIX_LEN) == 0 ? &with : &without;
        if (!*first)
            *first = name;
    }
    if (with && without)
        return iv_error_set(err, "%s: tensor names mix '%.80s' and '%.80s': all must start with "
                            "\"" PREFIX "\" or none", f->weights_path, with, without);
    f->prefixed = with != NULL;
    return 0;
}

/* Skipped without a look: the attention-mask buffers of older saves, and a tied lm_head. */
static bool ignored(const iv_gpt2_hf_file *f, const char *name)
{
    if (strcmp(name, "lm_head.weight") == 0)
        return f->cfg.tied;
    if (f->prefixed)
        name += PREFIX_LEN;
    int layer, used = 0;
    if (sscanf(name, "h.%d.attn.%n", &layer, &used) != 1 || used == 0 || layer < 0 ||
        layer >= f->cfg.n_layer)
        return false;
    char canonical[80];
    snprintf(canonical, sizeof canonical, "h.%d.attn.%s", layer, name + used);
    return strcmp(canonical, name) == 0 && /* no leading zeros or signs */
           (strcmp(name + used, "bias") == 0 || strcmp(name + used, "masked_bias") == 0);
}

static int match_tensors(iv_gpt2_hf_file *f, iv_error *err)
{
    if (find_prefix(f, err) < 0)
        return -1;
    list_wants(f);
    int n = iv_shards_count(f->st);
    bool *used = iv_xcalloc((size_t)n, sizeof *used);
    int rc = 0;
    for (int k = 0; k < f->n_wants && rc == 0; k++) {
        want *w = &f->wants[k];
        w->index = iv_shards_find(f->st, w->file_name);
        if (w->index < 0) {
            rc = iv_error_set(err, "%s: missing tensor '%s'", f->weights_path, w->file_name);
            break;
        }
        used[w->index] = true;
        const iv_safetensors_entry *e = iv_shards_entry_at(f->st, w->index);
        if (!e->is_float) {
            rc = iv_error_set(err, "%s: tensor '%s' has dtype %s; expected F32, F16, BF16 or "
                              "F64", iv_shards_file_of(f->st, w->index), w->file_name, e->dtype);
            break;
        }
        bool same = e->ndim == w->ndim;
        for (int i = 0; i < w->ndim && same; i++)
            same = e->shape[i] == w->shape[i];
        if (!same) {
            char got[128], expected[64];
            int64_t ws[2] = {w->shape[0], w->shape[1]};
            shape_text(got, sizeof got, e->ndim, e->shape);
            shape_text(expected, sizeof expected, w->ndim, ws);
            rc = iv_error_set(err, "%s: tensor '%s' has shape %s, expected %s",
                              iv_shards_file_of(f->st, w->index), w->file_name, got, expected);
        }
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = iv_shards_entry_at(f->st, i)->name;
        if (!used[i] && !ignored(f, name))
            rc = iv_error_set(err, "%s: tensor '%.80s' is not part of GPT-2 as %s describes it",
                              iv_shards_file_of(f->st, i), name, f->config_path);
    }
    free(used);
    return rc;
}

/* ---- opening, and the tensors handed over ------------------------------------------------------ */

/* The directory and the two files, whichever of the three the path names. */
/* The weights in a directory: model.safetensors, else the index of the shards it was saved in
 * (the file named in a message when neither is there is model.safetensors). */
static char *weights_in(const char *dir)
{
    char *one = iv_path_join(dir, "model.safetensors");
    if (is_file(one))
        return one;
    char *index = iv_path_join(dir, INDEX_NAME);
    if (is_file(index)) {
        free(one);
        return index;
    }
    free(index);
    return one;
}

static void find_paths(iv_gpt2_hf_file *f, const char *path)
{
    if (is_dir(path)) {
        f->dir = iv_xstrdup(path);
        f->config_path = iv_path_join(path, "config.json");
        f->weights_path = weights_in(path);
        return;
    }
    f->dir = iv_path_dir(path);
    if (strcmp(base_name(path), "config.json") == 0) {
        f->config_path = iv_xstrdup(path);
        f->weights_path = weights_in(f->dir);
    } else {
        f->config_path = iv_path_join(f->dir, "config.json");
        f->weights_path = iv_xstrdup(path);
    }
}

iv_gpt2_hf_file *iv_gpt2_hf_open(const char *path, iv_gpt2_config *cfg, iv_error *err)
{
    iv_gpt2_hf_file *f = iv_xcalloc(1, sizeof *f);
    find_paths(f, path);
    if (read_config(f, err) < 0 || !(f->st = iv_shards_open(f->weights_path, err)) ||
        match_tensors(f, err) < 0) {
        iv_gpt2_hf_close(f);
        return NULL;
    }
    *cfg = f->cfg;
    return f;
}

static const float *hf_tensor(void *user, const char *name, long count, iv_error *err)
{
    iv_gpt2_hf_file *f = user;
    const want *w = NULL;
    for (int k = 0; k < f->n_wants && !w; k++)
        if (strcmp(f->wants[k].name, name) == 0)
            w = &f->wants[k];
    if (!w) {
        iv_error_set(err, "%s: no tensor '%.80s' in a GPT-2 checkpoint of this config",
                     f->weights_path, name);
        return NULL;
    }
    long elems = w->shape[0] * (w->ndim == 2 ? w->shape[1] : 1);
    if (count != elems) {
        iv_error_set(err, "%s: tensor '%s' holds %ld values, not %ld", f->weights_path,
                     w->file_name, elems, count);
        return NULL;
    }
    if ((size_t)elems > f->buf_len) { /* one buffer, grown to the largest tensor */
        free(f->buf);
        f->buf_len = 0;
        char what[160];
        snprintf(what, sizeof what, "tensor '%s' of %s", w->file_name, f->weights_path);
        if (!(f->buf = iv_big_alloc((size_t)elems, sizeof *f->buf, what, err)))
            return NULL;
        f->buf_len = (size_t)elems;
    }
    return iv_shards_read(f->st, w->index, f->buf, w->transpose, err) < 0 ? NULL : f->buf;
}

iv_gpt2_source iv_gpt2_hf_source(iv_gpt2_hf_file *f)
{
    return (iv_gpt2_source){.user = f, .tensor = hf_tensor};
}

iv_model *iv_model_load_gpt2_hf(const char *path, iv_error *err)
{
    iv_gpt2_config cfg;
    iv_gpt2_hf_file *f = iv_gpt2_hf_open(path, &cfg, err);
    if (!f)
        return NULL;
    iv_gpt2_source src = iv_gpt2_hf_source(f);
    iv_model *m = iv_gpt2_load_finish(path, f->weights_path, f->dir, &cfg, &src, f->prompt, err);
    if (m && f->dataset) /* the workspace reads it, and names this file if it cannot */
        m->dataset = iv_arena_strdup(m->arena, f->dataset);
    iv_gpt2_hf_close(f);
    return m;
}

/* ---- the last step of both readers ------------------------------------------------------------- */

iv_model *iv_gpt2_load_finish(const char *path, const char *where, const char *dir,
                              const iv_gpt2_config *c, const iv_gpt2_source *src,
                              const char *prompt, iv_error *err)
{
    bool found = false;
    iv_tokenizer *tok = iv_tokenizer_load_dir(dir, &found, err);
    if (!tok && found)
        return NULL;
    if (tok && iv_tokenizer_vocab_size(tok) > c->d_vocab) {
        /* Its ids would run past the token embedding. */
        const char *file = strcmp(iv_tokenizer_kind(tok), "bpe") == 0 ? "vocab.json"
                                                                        : "tokens.txt";
        char *where_tok = iv_path_join(dir, file);
        iv_error_set(err, "%s: the tokenizer has %d tokens, more than the model's %d", where_tok,
                     iv_tokenizer_vocab_size(tok), c->d_vocab);
        free(where_tok);
        iv_tokenizer_free(tok);
        return NULL;
    }
    int positions = 1;
    if (tok && prompt) {
        int *ids = NULL, n = 0;
        iv_error ignored_err; /* a prompt that does not encode opens on one position */
        if (iv_tokenizer_encode(tok, prompt, &ids, &n, &ignored_err) == 0 && n >= 1 &&
            n <= c->n_ctx)
            positions = n;
        free(ids);
    }
    iv_model *m = iv_gpt2_build(path, where, c, src, positions, err);
    if (!m) {
        iv_tokenizer_free(tok);
        return NULL;
    }
    m->tokenizer = tok;
    m->prompt = prompt ? iv_arena_strdup(m->arena, prompt) : NULL;
    return m;
}
