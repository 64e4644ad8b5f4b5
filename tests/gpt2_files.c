/* gpt2_files.c - GPT-2 checkpoints written from C for the tests (gpt2_files.h). */
#include "gpt2_files.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the values -------------------------------------------------------------------------------- */

static uint64_t mix(uint64_t x) /* splitmix64's finaliser: every input bit moves every output bit */
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t name_hash(const char *s) /* FNV-1a */
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

float gpt2_files_value(unsigned seed, const char *name, long i, gpt2_files_dtype t)
{
    uint64_t h = mix(mix(name_hash(name) ^ seed) ^ (uint64_t)i);
    if (t == GPT2_FILES_F32) /* 24 bits: exact in float32 and nowhere narrower */
        return (float)((int64_t)(h >> 40) - (1 << 23)) / (float)(1 << 22);
    return (float)((int)(h >> 57) - 64) / 32.0f; /* 7 bits: exact in half and bfloat16 */
}

/* ---- encodings --------------------------------------------------------------------------------- */

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* float32 to IEEE half, for values that are exact in it (the test values): no rounding needed. */
static uint16_t to_half(float f)
{
    uint32_t u = float_bits(f), sign = (u >> 16) & 0x8000u;
    int exp = (int)((u >> 23) & 0xff) - 127 + 15;
    uint32_t man = u & 0x7fffffu;
    if ((u & 0x7fffffffu) == 0)
        return (uint16_t)sign;
    if ((u & 0x7f800000u) == 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    if (exp <= 0) /* subnormal in half */
        return (uint16_t)(sign | ((man | 0x800000u) >> (14 - exp)));
    return (uint16_t)(sign | (uint32_t)exp << 10 | man >> 13);
}

static uint16_t to_bf16(float f) { return (uint16_t)(float_bits(f) >> 16); }

static int dtype_size(gpt2_files_dtype t) { return t == GPT2_FILES_F32 ? 4 : 2; }

static void put_value(unsigned char *p, float v, gpt2_files_dtype t)
{
    uint32_t u = t == GPT2_FILES_F32 ? float_bits(v) : t == GPT2_FILES_F16 ? to_half(v)
                                                                          : to_bf16(v);
    for (int j = 0; j < dtype_size(t); j++)
        p[j] = (unsigned char)(u >> (8 * j));
}

/* ---- a tensor, written a chunk at a time ------------------------------------------------------- */

/* What a tensor holds: test values of an engine tensor (transposed for a Conv1D weight), the
 * attention mask, a constant, or an llm.c wte padded with zero rows. */
typedef enum { FILL_VALUES, FILL_MASK, FILL_CONST } fill_kind;

typedef struct tensor_spec {
    char file_name[80];
    char engine_name[48];
    int ndim;
    long shape[4];
    bool transpose;      /* the file holds the engine tensor's transpose */
    long real_rows;      /* llm.c's wte: rows past this are zero padding; else 0 */
    fill_kind fill;
    float constant;
    const char *dtype;   /* the safetensors dtype written */
    gpt2_files_dtype t;  /* how the values are encoded (the mask's BOOL aside) */
    int elem_size;
} tensor_spec;

static long spec_elems(const tensor_spec *s)
{
    long n = 1;
    for (int d = 0; d < s->ndim; d++)
        n *= s->shape[d];
    return n;
}

/* Element k of the tensor as the file orders it. */
static float spec_value(const tensor_spec *s, unsigned seed, long k)
{
    if (s->fill == FILL_CONST)
        return s->constant;
    if (s->fill == FILL_MASK) { /* lower triangular: a query sees its key and the ones before */
        long n = s->shape[3];
        return (k % n) <= (k / n % n) ? 1.0f : 0.0f;
    }
    long cols = s->ndim == 2 ? s->shape[1] : 1;
    if (s->real_rows && k / cols >= s->real_rows)
        return 0.0f;
    if (!s->transpose)
        return gpt2_files_value(seed, s->engine_name, k, s->t);
    long rows = s->shape[0], r = k / cols, c = k % cols; /* file (in, out): engine (out, in) */
    return gpt2_files_value(seed, s->engine_name, c * rows + r, s->t);
}

static int write_spec(FILE *f, const tensor_spec *s, unsigned seed)
{
    enum { CHUNK = 4096 };
    unsigned char buf[CHUNK * 4];
    long n = spec_elems(s);
    for (long done = 0; done < n;) {
        long k = n - done < CHUNK ? n - done : CHUNK;
        for (long e = 0; e < k; e++) {
            float v = spec_value(s, seed, done + e);
            if (strcmp(s->dtype, "BOOL") == 0)
                buf[e] = v != 0;
            else
                put_value(buf + e * s->elem_size, v, s->t);
        }
        if (fwrite(buf, (size_t)s->elem_size, (size_t)k, f) != (size_t)k)
            return -1;
        done += k;
    }
    return 0;
}

/* ---- the list of a checkpoint's tensors -------------------------------------------------------- */

typedef struct spec_list {
    tensor_spec *s;
    int n, cap;
} spec_list;

static tensor_spec *add(spec_list *l, const char *file_name, const char *engine_name, int ndim,
                        long d0, long d1, gpt2_files_dtype t)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->s = iv_xrealloc(l->s, sizeof *l->s * (size_t)l->cap);
    }
    tensor_spec *s = &l->s[l->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->file_name, sizeof s->file_name, "%s", file_name);
    snprintf(s->engine_name, sizeof s->engine_name, "%s", engine_name);
    s->ndim = ndim;
    s->shape[0] = d0;
    s->shape[1] = d1;
    s->fill = FILL_VALUES;
    s->t = t;
    s->dtype = t == GPT2_FILES_F32 ? "F32" : t == GPT2_FILES_F16 ? "F16" : "BF16";
    s->elem_size = dtype_size(t);
    return s;
}

static int d_mlp_of(const iv_gpt2_config *c) { return c->d_mlp ? c->d_mlp : 4 * c->d_model; }

/* HuggingFace's tensors in the order its state dict has them. */
static void hf_specs(spec_list *l, const iv_gpt2_config *c, const gpt2_files_hf *o)
{
    const char *p = o->prefix ? "transformer." : "";
    long d = c->d_model, m = d_mlp_of(c);
    char fn[80], en[48];
    snprintf(fn, sizeof fn, "%swte.weight", p);
    add(l, fn, "wte", 2, c->d_vocab, d, o->dtype);
    snprintf(fn, sizeof fn, "%swpe.weight", p);
    add(l, fn, "wpe", 2, c->n_ctx, d, o->dtype);
    for (int L = 0; L < c->n_layer; L++) {
        static const struct {
            const char *part;
            int in, out; /* 1: d, 3: 3d, 4: d_mlp; in 0: a vector */
        } parts[] = {
            {"ln_1.weight", 0, 1},        {"ln_1.bias", 0, 1},
            {"attn.c_attn.weight", 1, 3}, {"attn.c_attn.bias", 0, 3},
            {"attn.c_proj.weight", 1, 1}, {"attn.c_proj.bias", 0, 1},
            {"ln_2.weight", 0, 1},        {"ln_2.bias", 0, 1},
            {"mlp.c_fc.weight", 1, 4},    {"mlp.c_fc.bias", 0, 4},
            {"mlp.c_proj.weight", 4, 1},  {"mlp.c_proj.bias", 0, 1},
        };
        if (o->buffers) {
            snprintf(fn, sizeof fn, "%sh.%d.attn.bias", p, L);
            tensor_spec *s = add(l, fn, "", 4, 1, 1, GPT2_FILES_F32);
            s->shape[2] = s->shape[3] = c->n_ctx;
            s->fill = FILL_MASK;
            if (o->bool_mask) {
                s->dtype = "BOOL";
                s->elem_size = 1;
            }
            snprintf(fn, sizeof fn, "%sh.%d.attn.masked_bias", p, L);
            s = add(l, fn, "", 0, 0, 0, GPT2_FILES_F32);
            s->fill = FILL_CONST;
            s->constant = -1e4f;
        }
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            snprintf(en, sizeof en, "h.%d.%s", L, parts[k].part);
            snprintf(fn, sizeof fn, "%s%s", p, en);
            long out = parts[k].out == 1 ? d : parts[k].out == 3 ? 3 * d : m;
            long in = parts[k].in == 0 ? 0 : parts[k].in == 1 ? d : m;
            if (in)
                add(l, fn, en, 2, in, out, o->dtype)->transpose = true;
            else
                add(l, fn, en, 1, out, 0, o->dtype);
        }
    }
    snprintf(fn, sizeof fn, "%sln_f.weight", p);
    add(l, fn, "ln_f.weight", 1, d, 0, o->dtype);
    snprintf(fn, sizeof fn, "%sln_f.bias", p);
    add(l, fn, "ln_f.bias", 1, d, 0, o->dtype);
    if (!c->tied || o->lm_head)
        add(l, "lm_head.weight", "lm_head.weight", 2, c->d_vocab, d, o->dtype);
}

/* The safetensors header for the list, padded with spaces to a multiple of 8. */
static void st_header(iv_buf *h, const spec_list *l)
{
    iv_buf_printf(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    long offset = 0;
    for (int i = 0; i < l->n; i++) {
        const tensor_spec *s = &l->s[i];
        long bytes = spec_elems(s) * s->elem_size;
        iv_buf_printf(h, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", s->file_name, s->dtype);
        for (int d = 0; d < s->ndim; d++)
            iv_buf_printf(h, "%s%ld", d ? "," : "", s->shape[d]);
        iv_buf_printf(h, "],\"data_offsets\":[%ld,%ld]}", offset, offset + bytes);
        offset += bytes;
    }
    iv_buf_printf(h, "}");
    while (h->len % 8)
        iv_buf_append(h, " ", 1);
}

int gpt2_files_write_config(const char *path, const iv_gpt2_config *c, const char *extra)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    char inner[24];
    if (c->d_mlp)
        snprintf(inner, sizeof inner, "%d", c->d_mlp);
    else
        snprintf(inner, sizeof inner, "null");
    fprintf(f,
            "{\n  \"activation_function\": \"%s\",\n  \"architectures\": [\"GPT2LMHeadModel\"],\n"
            "  \"bos_token_id\": 0,\n  \"eos_token_id\": 0,\n  \"layer_norm_epsilon\": %.9g,\n"
            "  \"model_type\": \"gpt2\",\n  \"n_ctx\": %d,\n  \"n_embd\": %d,\n  \"n_head\": %d,\n"
            "  \"n_inner\": %s,\n  \"n_layer\": %d,\n  \"n_positions\": %d,\n"
            "  \"tie_word_embeddings\": %s,\n  \"vocab_size\": %d%s%s\n}\n",
            c->act == IV_ACT_GELU ? "gelu" : "gelu_new", (double)c->ln_eps, c->n_ctx, c->d_model,
            c->n_head, inner, c->n_layer, c->n_ctx, c->tied ? "true" : "false", c->d_vocab,
            extra ? ",\n  " : "", extra ? extra : "");
    return fclose(f) == 0 ? 0 : -1;
}

/* One safetensors file of the tensors l holds. */
static int write_safetensors(const char *path, const spec_list *l, unsigned seed)
{
    iv_buf h = {0};
    st_header(&h, l);
    FILE *f = fopen(path, "wb");
    unsigned char len8[8];
    for (int j = 0; j < 8; j++)
        len8[j] = (unsigned char)((uint64_t)h.len >> (8 * j));
    int rc = f && fwrite(len8, 1, 8, f) == 8 && fwrite(h.data, 1, h.len, f) == h.len ? 0 : -1;
    for (int i = 0; i < l->n && rc == 0; i++)
        rc = write_spec(f, &l->s[i], seed);
    if (f && fclose(f) != 0)
        rc = -1;
    iv_buf_free(&h);
    return rc;
}

/* The tensors in o->shards files of consecutive tensors, as HuggingFace names them, and the index
 * that maps each tensor to its file. */
static int write_shards(const char *dir, const spec_list *l, unsigned seed, int shards)
{
    iv_buf index = {0};
    iv_buf_printf(&index, "{\n  \"metadata\": {\"total_size\": 0},\n  \"weight_map\": {");
    int rc = 0;
    for (int k = 0, first = 0; k < shards && rc == 0; k++) {
        int last = (int)((long)l->n * (k + 1) / shards);
        spec_list part = {l->s + first, last - first, last - first};
        char name[64];
        snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", k + 1, shards);
        char *path = iv_xasprintf("%s/%s", dir, name);
        rc = write_safetensors(path, &part, seed);
        free(path);
        for (int i = first; i < last; i++)
            iv_buf_printf(&index, "%s\n    \"%s\": \"%s\"", i ? "," : "", l->s[i].file_name,
                          name);
        first = last;
    }
    iv_buf_printf(&index, "\n  }\n}\n");
    char *path = iv_xasprintf("%s/model.safetensors.index.json", dir);
    FILE *f = rc == 0 ? fopen(path, "w") : NULL;
    if (!f || fwrite(index.data, 1, index.len, f) != index.len)
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(path);
    iv_buf_free(&index);
    return rc;
}

int gpt2_files_write_hf(const char *dir, const iv_gpt2_config *c, unsigned seed,
                        const gpt2_files_hf *o)
{
    char *config = iv_xasprintf("%s/config.json", dir);
    int rc = gpt2_files_write_config(config, c, o->config_extra);
    free(config);
    if (rc < 0)
        return -1;
    spec_list l = {0};
    hf_specs(&l, c, o);
    if (o->shards > 1) {
        rc = write_shards(dir, &l, seed, o->shards);
    } else {
        char *path = iv_xasprintf("%s/model.safetensors", dir);
        rc = write_safetensors(path, &l, seed);
        free(path);
    }
    free(l.s);
    return rc;
}

/* ---- llm.c ------------------------------------------------------------------------------------- */

int gpt2_files_write_llmc(const char *path, const iv_gpt2_config *c, unsigned seed, int version,
                          int vp)
{
    gpt2_files_dtype t = version == 5 ? GPT2_FILES_BF16 : GPT2_FILES_F32;
    if (version == 1)
        vp = c->d_vocab;
    int32_t header[256] = {20240326, version, c->n_ctx, c->d_vocab, c->n_layer, c->n_head,
                           c->d_model, version == 1 ? 0 : vp};
    unsigned char hb[1024];
    for (int i = 0; i < 256; i++)
        for (int j = 0; j < 4; j++)
            hb[4 * i + j] = (unsigned char)((uint32_t)header[i] >> (8 * j));
    long C = c->d_model;
    spec_list l = {0};
    add(&l, "wte", "wte", 2, vp, C, t)->real_rows = c->d_vocab;
    add(&l, "wpe", "wpe", 2, c->n_ctx, C, t);
    /* Each (L, ...) block is its layers' tensors one after another. */
    static const struct {
        const char *part;
        int rows, cols; /* 1: C, 3: 3C, 4: 4C; cols 0: a vector */
    } blocks[] = {
        {"ln_1.weight", 1, 0},        {"ln_1.bias", 1, 0},
        {"attn.c_attn.weight", 3, 1}, {"attn.c_attn.bias", 3, 0},
        {"attn.c_proj.weight", 1, 1}, {"attn.c_proj.bias", 1, 0},
        {"ln_2.weight", 1, 0},        {"ln_2.bias", 1, 0},
        {"mlp.c_fc.weight", 4, 1},    {"mlp.c_fc.bias", 4, 0},
        {"mlp.c_proj.weight", 1, 4},  {"mlp.c_proj.bias", 1, 0},
    };
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
        for (int L = 0; L < c->n_layer; L++) {
            char en[48];
            snprintf(en, sizeof en, "h.%d.%s", L, blocks[b].part);
            long rows = blocks[b].rows * C, cols = blocks[b].cols * C;
            if (cols)
                add(&l, en, en, 2, rows, cols, t);
            else
                add(&l, en, en, 1, rows, 0, t);
        }
    add(&l, "ln_f.weight", "ln_f.weight", 1, C, 0, t);
    add(&l, "ln_f.bias", "ln_f.bias", 1, C, 0, t);
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(hb, 1, sizeof hb, f) == sizeof hb ? 0 : -1;
    for (int i = 0; i < l.n && rc == 0; i++)
        rc = write_spec(f, &l.s[i], seed);
    if (f && fclose(f) != 0)
        rc = -1;
    free(l.s);
    return rc;
}

long gpt2_files_param_count(const iv_gpt2_config *c)
{
    long d = c->d_model, m = d_mlp_of(c);
    long block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (m * d + m) + (d * m + d);
    return (long)c->d_vocab * d * (c->tied ? 1 : 2) + (long)c->n_ctx * d + c->n_layer * block +
           2 * d;
}
