/* llmc.c - llm.c's GPT-2 checkpoints (llmc.h).
 *
 * The file, as llm.c's train_gpt2.py writes it (write_model) and train_gpt2.c reads it
 * (gpt2_build_from_checkpoint), all little-endian:
 *   header: 256 int32 (1024 bytes), the rest zero
 *     [0] magic 20240326   [1] version   [2] maxT, the context length   [3] V, the vocabulary
 *     [4] L, layers        [5] NH, heads [6] C, the width   [7] Vp, the padded vocabulary
 *   version 3: float32 weights; version 5: bfloat16 weights (the top half of a float32), both with
 *   wte padded with zero rows from V to Vp (a multiple of 128: 50304 for GPT-2's 50257). Version 1
 *   was float32 without padding ([7] unused, wte V rows). Versions 2 and 4 were bfloat16 with the
 *   layer norms kept in float32; no current llm.c writes or reads them.
 *   then the 16 tensors, back to back, each layer's slice of a (L, ...) tensor one after another:
 *     wte (Vp, C)   wpe (maxT, C)   ln1w (L, C)   ln1b (L, C)   qkvw (L, 3C, C)   qkvb (L, 3C)
 *     attprojw (L, C, C)   attprojb (L, C)   ln2w (L, C)   ln2b (L, C)   fcw (L, 4C, C)
 *     fcb (L, 4C)   fcprojw (L, C, 4C)   fcprojb (L, C)   lnfw (C)   lnfb (C)
 *   Weights are nn.Linear's (out, in), the engine's layout; qkvw's rows are Q's, then K's, then
 *   V's. Nothing follows: the file is exactly header + tensors long.
 * The padding rows of wte are dropped: the model has V rows, the unembedding tied to them. */
#include "llmc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "files.h"
#include "gpt2_hf.h"

enum { WTE, WPE, LN1W, LN1B, QKVW, QKVB, ATTPROJW, ATTPROJB, LN2W, LN2B, FCW, FCB, FCPROJW,
       FCPROJB, LNFW, LNFB, N_BLOCKS };

/* llm.c's names of the blocks, for messages. */
static const char *const block_names[N_BLOCKS] = {
    "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
    "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb",
};

struct iv_gpt2_llmc_file {
    char *path, *dir;
    FILE *f;
    int version, elem_size; /* 4 (float32) or 2 (bfloat16) */
    long vp;                /* rows of wte in the file */
    iv_gpt2_config cfg;
    uint64_t start[N_BLOCKS];  /* each block's first element, counted from the header's end */
    uint64_t layer[N_BLOCKS];  /* elements of one layer's slice (the whole block for the rest) */
    float *buf;
    size_t buf_len;
    unsigned char *raw;     /* a chunk of the file as read */
};

enum { CHUNK = 1 << 16 }; /* elements read at a time */

void iv_gpt2_llmc_close(iv_gpt2_llmc_file *f)
{
    if (!f)
        return;
    if (f->f)
        fclose(f->f);
    free(f->path);
    free(f->dir);
    free(f->buf);
    free(f->raw);
    free(f);
}

int iv_gpt2_llmc_version(const iv_gpt2_llmc_file *f) { return f->version; }
int iv_gpt2_llmc_padded_vocab(const iv_gpt2_llmc_file *f) { return (int)f->vp; }

static int32_t get_i32(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

bool iv_llmc_is_checkpoint(const char *path)
{
    size_t n = strlen(path);
    if (n <= 4 || strcmp(path + n - 4, ".bin") != 0)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char b[4];
    bool yes = fread(b, 1, 4, f) == 4 && get_i32(b) == IV_LLMC_MAGIC;
    fclose(f);
    return yes;
}

/* ---- the header -------------------------------------------------------------------------------- */

static int check_magic(const char *path, int32_t magic, iv_error *err)
{
    if (magic == IV_LLMC_MAGIC)
        return 0;
    /* llm.c's other files, which a .bin beside a checkpoint may well be */
    const char *what = magic == 20240327   ? " (llm.c's debugging state file, not a model)"
                       : magic == 20240328 ? " (llm.c's tokenizer file, not a model)"
                       : magic == 20240520 ? " (llm.c's token data file, not a model)"
                                           : "";
    return iv_error_set(err, "%s: magic number %d is not llm.c's %d of a GPT-2 checkpoint%s",
                        path, magic, IV_LLMC_MAGIC, what);
}

static int check_version(iv_gpt2_llmc_file *f, int32_t version, iv_error *err)
{
    f->version = version;
    if (version == 1 || version == 3) {
        f->elem_size = 4;
        return 0;
    }
    if (version == 5) {
        f->elem_size = 2;
        return 0;
    }
    if (version == 2 || version == 4)
        return iv_error_set(err, "%s: version %d (bfloat16 with float32 layer norms, from an "
                            "April 2024 llm.c) is not read; export the model again with llm.c's "
                            "train_gpt2.py, which writes version 3 (float32) or 5 (bfloat16)",
                            f->path, version);
    return iv_error_set(err, "%s: version %d is not an llm.c checkpoint version this reads (1 and "
                        "3: float32, 5: bfloat16)", f->path, version);
}

/* Header field i within [lo, hi]. */
static int field(const iv_gpt2_llmc_file *f, const unsigned char *h, int i, const char *name,
                 long lo, long hi, int *out, iv_error *err)
{
    int32_t v = get_i32(h + 4 * i);
    if (v < lo || v > hi)
        return iv_error_set(err, "%s: header field %d (%s) is %d; it must be from %ld to %ld",
                            f->path, i, name, v, lo, hi);
    *out = v;
    return 0;
}

static int read_header(iv_gpt2_llmc_file *f, iv_error *err)
{
    f->f = fopen(f->path, "rb");
    if (!f->f)
        return iv_error_set(err, "%s: cannot open: %s", f->path, strerror(errno));
    unsigned char h[IV_LLMC_HEADER_BYTES];
    size_t got = fread(h, 1, sizeof h, f->f);
    if (got < 8)
        return iv_error_set(err, "%s: file is %zu bytes, shorter than the %d-byte header of an "
                            "llm.c checkpoint", f->path, got, IV_LLMC_HEADER_BYTES);
    if (check_magic(f->path, get_i32(h), err) < 0 || check_version(f, get_i32(h + 4), err) < 0)
        return -1;
    if (got < sizeof h)
        return iv_error_set(err, "%s: file is %zu bytes, shorter than the %d-byte header of an "
                            "llm.c checkpoint", f->path, got, IV_LLMC_HEADER_BYTES);
    iv_gpt2_config *c = &f->cfg;
    int vp = 0;
    if (field(f, h, 2, "maxT, the context length", 1, IV_GPT2_MAX_CTX, &c->n_ctx, err) < 0 ||
        field(f, h, 3, "V, the vocabulary", 1, IV_GPT2_MAX_VOCAB, &c->d_vocab, err) < 0 ||
        field(f, h, 4, "L, the layers", 1, IV_GPT2_MAX_LAYERS, &c->n_layer, err) < 0 ||
        field(f, h, 5, "NH, the heads", 1, IV_MAX_WIDTH, &c->n_head, err) < 0 ||
        field(f, h, 6, "C, the width", 1, IV_MAX_WIDTH / 4, &c->d_model, err) < 0)
        return -1;
    if (f->version == 1)
        vp = c->d_vocab; /* field 7 came with the padding, in version 3 */
    else if (field(f, h, 7, "Vp, the padded vocabulary", c->d_vocab, INT32_MAX, &vp, err) < 0)
        return -1;
    f->vp = vp;
    if (c->d_model % c->n_head != 0)
        return iv_error_set(err, "%s: the width C %d is not a multiple of the heads NH %d",
                            f->path, c->d_model, c->n_head);
    c->d_mlp = 4 * c->d_model;
    c->ln_eps = 1e-5f;
    c->act = IV_ACT_GELU_TANH;
    c->tied = true;
    char why[256];
    const char *bad = iv_gpt2_config_check(c, why, sizeof why);
    if (bad)
        return iv_error_set(err, "%s: %s", f->path, bad);
    return 0;
}

/* Where each block starts, and the file's size they call for; no product can overflow, as every
 * size is bounded above (C by IV_MAX_WIDTH / 4, so that the MLP's 4C is within IV_MAX_WIDTH; L by
 * IV_GPT2_MAX_LAYERS; Vp by 2^31). */
static int check_size(iv_gpt2_llmc_file *f, iv_error *err)
{
    const iv_gpt2_config *c = &f->cfg;
    uint64_t C = (uint64_t)c->d_model, L = (uint64_t)c->n_layer;
    const uint64_t whole[N_BLOCKS] = {
        [WTE] = (uint64_t)f->vp * C, [WPE] = (uint64_t)c->n_ctx * C, [LNFW] = C, [LNFB] = C};
    const uint64_t per_layer[N_BLOCKS] = {
        [LN1W] = C,         [LN1B] = C,         [QKVW] = 3 * C * C, [QKVB] = 3 * C,
        [ATTPROJW] = C * C, [ATTPROJB] = C,     [LN2W] = C,         [LN2B] = C,
        [FCW] = 4 * C * C,  [FCB] = 4 * C,      [FCPROJW] = 4 * C * C, [FCPROJB] = C};
    uint64_t elems = 0;
    for (int b = 0; b < N_BLOCKS; b++) {
        f->start[b] = elems;
        f->layer[b] = per_layer[b] ? per_layer[b] : whole[b];
        elems += per_layer[b] ? per_layer[b] * L : whole[b];
    }
    uint64_t want = IV_LLMC_HEADER_BYTES + elems * (uint64_t)f->elem_size;
    if (fseeko(f->f, 0, SEEK_END) != 0)
        return iv_error_set(err, "%s: cannot seek: %s", f->path, strerror(errno));
    off_t size = ftello(f->f);
    if (size < 0)
        return iv_error_set(err, "%s: read error: %s", f->path, strerror(errno));
    uint64_t have = (uint64_t)size;
    if (have != want)
        return iv_error_set(err, "%s: file is %llu bytes, but its header (L %d, C %d, maxT %d, "
                            "Vp %ld, %s) calls for %llu: %s", f->path, (unsigned long long)have,
                            c->n_layer, c->d_model, c->n_ctx, f->vp,
                            f->elem_size == 4 ? "float32" : "bfloat16", (unsigned long long)want,
                            have < want ? "truncated" : "trailing bytes after the weights");
    return 0;
}

iv_gpt2_llmc_file *iv_gpt2_llmc_open(const char *path, iv_gpt2_config *cfg, iv_error *err)
{
    iv_gpt2_llmc_file *f = iv_xcalloc(1, sizeof *f);
    f->path = iv_xstrdup(path);
    f->dir = iv_path_dir(path); /* the tokenizer is looked for beside the file */
    if (read_header(f, err) < 0 || check_size(f, err) < 0) {
        iv_gpt2_llmc_close(f);
        return NULL;
    }
    *cfg = f->cfg;
    return f;
}

/* ---- the tensors ------------------------------------------------------------------------------- */

/* Which block and layer a name of gpt2.h is; -1 for none. */
static int find_block(const iv_gpt2_llmc_file *f, const char *name, int *layer)
{
    static const char *const parts[] = {
        [LN1W] = "ln_1.weight",         [LN1B] = "ln_1.bias",
        [QKVW] = "attn.c_attn.weight",  [QKVB] = "attn.c_attn.bias",
        [ATTPROJW] = "attn.c_proj.weight", [ATTPROJB] = "attn.c_proj.bias",
        [LN2W] = "ln_2.weight",         [LN2B] = "ln_2.bias",
        [FCW] = "mlp.c_fc.weight",      [FCB] = "mlp.c_fc.bias",
        [FCPROJW] = "mlp.c_proj.weight", [FCPROJB] = "mlp.c_proj.bias",
    };
    *layer = 0;
    if (strcmp(name, "wte") == 0)
        return WTE;
    if (strcmp(name, "wpe") == 0)
        return WPE;
    if (strcmp(name, "ln_f.weight") == 0)
        return LNFW;
    if (strcmp(name, "ln_f.bias") == 0)
        return LNFB;
    int l, used = 0;
    if (sscanf(name, "h.%d.%n", &l, &used) != 1 || used == 0 || l < 0 || l >= f->cfg.n_layer)
        return -1;
    char canonical[32];
    snprintf(canonical, sizeof canonical, "h.%d.", l);
    if (strncmp(name, canonical, (size_t)used) != 0 || strlen(canonical) != (size_t)used)
        return -1; /* "h.+1." or "h.01." */
    for (int b = LN1W; b <= FCPROJB; b++)
        if (strcmp(name + used, parts[b]) == 0) {
            *layer = l;
            return b;
        }
    return -1;
}

static float decode(const iv_gpt2_llmc_file *f, const unsigned char *p)
{
    uint32_t u = f->elem_size == 4
                     ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24
                     : ((uint32_t)p[0] | (uint32_t)p[1] << 8) << 16; /* bfloat16: the top half */
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static const float *llmc_tensor(void *user, const char *name, long count, iv_error *err)
{
    iv_gpt2_llmc_file *f = user;
    int layer, b = find_block(f, name, &layer);
    if (b < 0) {
        iv_error_set(err, "%s: no tensor '%.80s' in an llm.c checkpoint", f->path, name);
        return NULL;
    }
    /* wte's first V rows: the padding rows after them are dropped. */
    uint64_t elems = b == WTE ? (uint64_t)f->cfg.d_vocab * (uint64_t)f->cfg.d_model : f->layer[b];
    if ((uint64_t)count != elems) {
        iv_error_set(err, "%s: tensor '%s' holds %llu values, not %ld", f->path, name,
                     (unsigned long long)elems, count);
        return NULL;
    }
    if ((size_t)elems > f->buf_len) { /* one buffer, grown to the largest tensor */
        free(f->buf);
        f->buf_len = 0;
        char what[160];
        snprintf(what, sizeof what, "tensor '%s' of %s", name, f->path);
        if (!(f->buf = iv_big_alloc((size_t)elems, sizeof *f->buf, what, err)))
            return NULL;
        f->buf_len = (size_t)elems;
    }
    if (!f->raw)
        f->raw = iv_xmalloc((size_t)CHUNK * 4);
    uint64_t first = f->start[b] + (uint64_t)layer * f->layer[b];
    if (fseeko(f->f, (off_t)(IV_LLMC_HEADER_BYTES + first * (uint64_t)f->elem_size),
               SEEK_SET) != 0) {
        iv_error_set(err, "%s: tensor '%s': cannot seek: %s", f->path, name, strerror(errno));
        return NULL;
    }
    for (uint64_t done = 0; done < elems;) {
        size_t k = elems - done < CHUNK ? (size_t)(elems - done) : CHUNK;
        if (fread(f->raw, (size_t)f->elem_size, k, f->f) != k) {
            iv_error_set(err, "%s: tensor '%s': read error", f->path, name);
            return NULL;
        }
        for (size_t i = 0; i < k; i++) {
            float v = decode(f, f->raw + i * (size_t)f->elem_size);
            if (!isfinite(v)) {
                char block[48];
                if (b >= LN1W && b <= FCPROJB)
                    snprintf(block, sizeof block, "%s, layer %d", block_names[b], layer);
                else
                    snprintf(block, sizeof block, "%s", block_names[b]);
                iv_error_set(err, "%s: tensor '%s' (llm.c's %s): element %llu is %s (weights "
                             "must be finite numbers)", f->path, name, block,
                             (unsigned long long)(done + i), isnan(v) ? "nan" : "inf");
                return NULL;
            }
            f->buf[done + i] = v;
        }
        done += k;
    }
    return f->buf;
}

iv_gpt2_source iv_gpt2_llmc_source(iv_gpt2_llmc_file *f)
{
    return (iv_gpt2_source){.user = f, .tensor = llmc_tensor};
}

iv_model *iv_model_load_llmc(const char *path, iv_error *err)
{
    iv_gpt2_config cfg;
    iv_gpt2_llmc_file *f = iv_gpt2_llmc_open(path, &cfg, err);
    if (!f)
        return NULL;
    iv_gpt2_source src = iv_gpt2_llmc_source(f);
    iv_model *m = iv_gpt2_load_finish(path, path, f->dir, &cfg, &src, NULL, err);
    iv_gpt2_llmc_close(f);
    return m;
}
