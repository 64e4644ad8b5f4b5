/* safetensors.c - the safetensors container (doc/safetensors.md): its header JSON, dtypes, data
 * offsets and tensor data, read into a model and written from one. What the tensors do not say
 * (the architecture) is written in a small language of its own, parsed and written by
 * architecture.c; this file only decides where that text comes from and matches its layers to
 * tensors.
 *
 * Loading runs in stages, each of which can reject a hostile file before the next trusts it:
 *   1. the 8-byte header length and the JSON header (size limits, valid JSON, an object);
 *   2. every tensor entry: known dtype, sane shape (overflow-safe element count), data_offsets
 *      inside the data buffer, matching dtype size x elements, and no two tensors overlapping;
 *   3. the architecture (metadata, companion .arch file or nn.Sequential names) and the mapping of
 *      its layers onto tensors, with shapes that chain from the inputs to the output;
 *   4. the tensor data, read with fread, converted to float32 and checked to be finite.
 * Everything the model keeps goes into its arena; scratch memory is heap memory freed on every
 * path, and the arena is freed on error, so a failed load leaves nothing behind. */
#include "safetensors.h"

#include "architecture.h"
#include "build.h"
#include "files.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIMS IV_SAFETENSORS_MAX_DIMS
#define MAX_ARCH_FILE (1L << 20)
#define ARCH_KEY "intervene.architecture"

/* ---- float formats ----------------------------------------------------------------------------- */

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t float_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float iv_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f) /* inf or nan: keep the payload so a nan stays a nan */
        return bits_to_float(sign | 0x7f800000u | (man << 13));
    if (exp != 0) /* normal: rebias the exponent from 15 to 127 */
        return bits_to_float(sign | ((exp + 112u) << 23) | (man << 13));
    /* zero or subnormal: man x 2^-24, exact in float32 */
    float v = ldexpf((float)man, -24);
    return sign ? -v : v;
}

float iv_bfloat16_to_float(uint16_t b)
{
    return bits_to_float((uint32_t)b << 16); /* bfloat16 is the top half of a float32 */
}

/* ---- dtypes ------------------------------------------------------------------------------------ */

/* The float dtypes come first: they are what a model is read from. The others are known only by
 * their size, so that a checkpoint reader can check and skip entries it does not use (GPT-2's
 * attention-mask buffers, say); the model loader refuses them. */
typedef enum {
    DT_F32, DT_F64, DT_F16, DT_BF16,
    DT_BOOL, DT_U8, DT_I8, DT_F8_E4M3, DT_F8_E5M2,
    DT_I16, DT_U16, DT_I32, DT_U32, DT_I64, DT_U64
} dtype;
#define N_FLOAT_DTYPES 4

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    {"F32", 4}, {"F64", 8}, {"F16", 2}, {"BF16", 2},
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
    {"I16", 2}, {"U16", 2}, {"I32", 4}, {"U32", 4}, {"I64", 8}, {"U64", 8},
};

/* Little-endian decoding, independent of the host's byte order. */
static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static float decode(dtype t, const unsigned char *p)
{
    switch (t) {
    case DT_F32: return bits_to_float((uint32_t)get_le(p, 4));
    case DT_F16: return iv_half_to_float((uint16_t)get_le(p, 2));
    case DT_BF16: return iv_bfloat16_to_float((uint16_t)get_le(p, 2));
    case DT_F64: {
        uint64_t u = get_le(p, 8);
        double d;
        memcpy(&d, &u, sizeof d);
        return (float)d; /* beyond float32's range becomes inf, refused by the caller */
    }
    default: break; /* not a float: never read */
    }
    return NAN;
}

/* ---- loader state ------------------------------------------------------------------------------ */

typedef struct tensor {
    const char *name;    /* points into the JSON tree */
    dtype type;
    int ndim;
    int64_t shape[MAX_DIMS];
    uint64_t elems, begin, end;
    bool used;
} tensor;

typedef struct loader {
    const char *path;
    iv_error *err;
    FILE *f;
    uint64_t file_size, header_len, data_start, data_len;
    char *header;        /* heap, NUL-terminated */
    json_object *root;
    tensor *t;           /* heap */
    int n_t;
    iv_arena *arena;
    char *arch_source;   /* where the architecture was looked for, for messages (heap) */
    iv_arch a;
    bool any_dtype;      /* entries of every dtype are accepted (iv_safetensors_open) */
} loader;

/* Sets the error, prefixed with the file it is about. */
static int fail(loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(loader *L, const char *fmt, ...)
{
    if (!L->err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->err->msg, sizeof L->err->msg, fmt, ap);
    va_end(ap);
    iv_error_prefix(L->err, "%s", L->path);
    return -1;
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* "[2, 2]" for messages. */
static const char *shape_str(const tensor *t, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && o < n; d++)
        o += (size_t)snprintf(buf + o, n - o, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
    return buf;
}

/* ---- stage 1: the header ----------------------------------------------------------------------- */

static int read_header(loader *L)
{
    L->f = fopen(L->path, "rb");
    if (!L->f)
        return fail(L, "cannot open: %s", strerror(errno));
    if (fseek(L->f, 0, SEEK_END) != 0)
        return fail(L, "cannot seek: %s", strerror(errno));
    long size = ftell(L->f);
    if (size < 0)
        return fail(L, "read error: %s", strerror(errno));
    rewind(L->f);
    L->file_size = (uint64_t)size;
    unsigned char len8[8];
    if (L->file_size < 8 || fread(len8, 1, 8, L->f) != 8)
        return fail(L, "file is %llu bytes, shorter than the 8-byte header length of a "
                    "safetensors file", (unsigned long long)L->file_size);
    L->header_len = get_le(len8, 8);
    if (L->header_len > (uint64_t)IV_SAFETENSORS_MAX_HEADER)
        return fail(L, "header length %llu is more than %ld bytes (100 MB): not a safetensors "
                    "file?", (unsigned long long)L->header_len, IV_SAFETENSORS_MAX_HEADER);
    if (L->header_len > L->file_size - 8)
        return fail(L, "header length %llu runs past the end of the file (%llu bytes)",
                    (unsigned long long)L->header_len, (unsigned long long)L->file_size);
    if (L->header_len < 2)
        return fail(L, "header of %llu bytes cannot hold a JSON object",
                    (unsigned long long)L->header_len);
    L->data_start = 8 + L->header_len;
    L->data_len = L->file_size - L->data_start;
    L->header = iv_xmalloc((size_t)L->header_len + 1);
    if (fread(L->header, 1, (size_t)L->header_len, L->f) != (size_t)L->header_len)
        return fail(L, "read error in the header");
    L->header[L->header_len] = '\0';
    if (memchr(L->header, '\0', (size_t)L->header_len))
        return fail(L, "header contains a NUL byte (not JSON)");

    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT); /* no trailing commas, single quotes... */
    L->root = json_tokener_parse_ex(tok, L->header, (int)L->header_len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!L->root || jerr != json_tokener_success)
        return fail(L, "header is not valid JSON (%s at byte %zu)",
                    jerr == json_tokener_continue ? "unexpected end"
                                                  : json_tokener_error_desc(jerr), used);
    /* The format pads the header with spaces; anything else after the object is junk. */
    for (size_t i = used; i < (size_t)L->header_len; i++)
        if (!strchr(" \t\r\n", L->header[i]))
            return fail(L, "header has text after its JSON object (byte %zu)", i);
    if (!json_object_is_type(L->root, json_type_object))
        return fail(L, "header is JSON but not an object of tensors");
    return 0;
}

/* ---- stage 2: tensor entries ------------------------------------------------------------------- */

/* A non-negative JSON integer. json-c saturates huge values at INT64_MAX, still caught by the
 * range checks that follow. */
static bool get_count(json_object *o, int64_t *out)
{
    if (!json_object_is_type(o, json_type_int))
        return false;
    errno = 0;
    int64_t v = json_object_get_int64(o);
    if (v < 0)
        return false;
    *out = v;
    return true;
}

static int parse_entry(loader *L, const char *name, json_object *v, tensor *t)
{
    json_object *jd, *js, *jo;
    char sh[128];
    t->name = name;
    if (!json_object_is_type(v, json_type_object))
        return fail(L, "tensor '%s': entry is not an object", name);
    if (!json_object_object_get_ex(v, "dtype", &jd) || !json_object_is_type(jd, json_type_string))
        return fail(L, "tensor '%s': missing \"dtype\" string", name);
    const char *ds = json_object_get_string(jd);
    int found = -1;
    for (int i = 0; i < (int)(sizeof dtypes / sizeof dtypes[0]); i++)
        if (strcmp(ds, dtypes[i].name) == 0)
            found = i;
    if (found < 0 || (found >= N_FLOAT_DTYPES && !L->any_dtype))
        return fail(L, "tensor '%s': unsupported dtype '%.32s' (expected F32, F64, F16 or BF16)",
                    name, ds);
    t->type = (dtype)found;

    if (!json_object_object_get_ex(v, "shape", &js) || !json_object_is_type(js, json_type_array))
        return fail(L, "tensor '%s': missing \"shape\" array", name);
    size_t nd = json_object_array_length(js);
    if (nd > MAX_DIMS)
        return fail(L, "tensor '%s': shape has %zu dimensions, more than %d", name, nd, MAX_DIMS);
    t->ndim = (int)nd;
    uint64_t elems = 1;
    for (size_t d = 0; d < nd; d++) {
        if (!get_count(json_object_array_get_idx(js, d), &t->shape[d]))
            return fail(L, "tensor '%s': shape entry %zu is not a non-negative integer", name,
                        d + 1);
        /* Check before multiplying, so the product can never overflow. */
        uint64_t dim = (uint64_t)t->shape[d];
        if (dim > (uint64_t)IV_MAX_PARAMS || (dim && elems > (uint64_t)IV_MAX_PARAMS / dim)) {
            t->ndim = (int)d + 1;
            return fail(L, "tensor '%s': shape %s%s has more than %ld elements, the most this "
                        "tool loads", name, shape_str(t, sh, sizeof sh), d + 1 < nd ? "..." : "",
                        IV_MAX_PARAMS);
        }
        elems *= dim;
    }
    t->elems = elems;

    int64_t b, e;
    if (!json_object_object_get_ex(v, "data_offsets", &jo) ||
        !json_object_is_type(jo, json_type_array) || json_object_array_length(jo) != 2 ||
        !get_count(json_object_array_get_idx(jo, 0), &b) ||
        !get_count(json_object_array_get_idx(jo, 1), &e))
        return fail(L, "tensor '%s': \"data_offsets\" must be [begin, end], two non-negative "
                    "integers", name);
    t->begin = (uint64_t)b;
    t->end = (uint64_t)e;
    if (t->begin > t->end)
        return fail(L, "tensor '%s': data_offsets [%llu, %llu] end before they begin", name,
                    (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end > L->data_len)
        return fail(L, "tensor '%s': data_offsets [%llu, %llu] run past the data buffer (%llu "
                    "bytes)", name, (unsigned long long)t->begin, (unsigned long long)t->end,
                    (unsigned long long)L->data_len);
    uint64_t bytes = t->end - t->begin, size = (uint64_t)dtypes[t->type].size;
    if (bytes != elems * size) {
        if (bytes % size)
            return fail(L, "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, not a whole "
                        "number of %s values (%llu bytes each)", name,
                        (unsigned long long)t->begin, (unsigned long long)t->end,
                        (unsigned long long)bytes, dtypes[t->type].name, (unsigned long long)size);
        return fail(L, "tensor '%s': data_offsets [%llu, %llu] hold %llu float%s, shape %s needs "
                    "%llu", name, (unsigned long long)t->begin, (unsigned long long)t->end,
                    (unsigned long long)(bytes / size), plural(bytes / size),
                    shape_str(t, sh, sizeof sh), (unsigned long long)elems);
    }
    return 0;
}

static int by_begin(const void *a, const void *b)
{
    const tensor *x = *(tensor *const *)a, *y = *(tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

static int check_overlaps(loader *L)
{
    tensor **s = iv_xmalloc((size_t)(L->n_t ? L->n_t : 1) * sizeof *s);
    for (int i = 0; i < L->n_t; i++)
        s[i] = &L->t[i];
    qsort(s, (size_t)L->n_t, sizeof *s, by_begin);
    int rc = 0;
    const tensor *prev = NULL; /* the tensor reaching furthest so far */
    for (int i = 0; i < L->n_t && rc == 0; i++) {
        if (s[i]->begin == s[i]->end)
            continue; /* empty tensors occupy no bytes */
        if (prev && s[i]->begin < prev->end)
            rc = fail(L, "tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' [%llu, %llu]",
                      s[i]->name, (unsigned long long)s[i]->begin, (unsigned long long)s[i]->end,
                      prev->name, (unsigned long long)prev->begin, (unsigned long long)prev->end);
        if (!prev || s[i]->end > prev->end)
            prev = s[i];
    }
    free(s);
    return rc;
}

/* Reads every tensor entry; returns the metadata architecture string (or NULL) through *meta. */
static int read_entries(loader *L, const char **meta)
{
    *meta = NULL;
    int n = json_object_object_length(L->root);
    L->t = iv_xcalloc((size_t)(n ? n : 1), sizeof *L->t);
    json_object_object_foreach(L->root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_object_is_type(val, json_type_object))
                return fail(L, "\"__metadata__\" is not an object");
            json_object *a;
            if (json_object_object_get_ex(val, ARCH_KEY, &a)) {
                if (!json_object_is_type(a, json_type_string))
                    return fail(L, "__metadata__ \"%s\" is not a string", ARCH_KEY);
                *meta = json_object_get_string(a);
            }
            continue;
        }
        if (parse_entry(L, key, val, &L->t[L->n_t]) < 0)
            return -1;
        L->n_t++;
    }
    if (L->n_t == 0)
        return fail(L, "the file holds no tensors");
    return check_overlaps(L);
}

/* ---- stage 3a: where the architecture comes from (its language is architecture.c's) ------------ */

/* Finds the architecture: metadata, then the companion file. Returns 1 if found, 0 if not. */
static int find_arch(loader *L, const char *meta)
{
    if (meta) {
        L->arch_source = iv_xasprintf("%s: __metadata__ \"%s\"", L->path, ARCH_KEY);
        return iv_arch_parse(meta, L->arch_source, L->arena, &L->a, L->err) < 0 ? -1 : 1;
    }
    size_t n = strlen(L->path);
    const char *ext = ".safetensors";
    size_t en = strlen(ext);
    char *companion = n > en && strcmp(L->path + n - en, ext) == 0
                          ? iv_xasprintf("%.*s.arch", (int)(n - en), L->path)
                          : iv_xasprintf("%s.arch", L->path);
    L->arch_source = companion;
    FILE *f = fopen(companion, "r");
    if (!f)
        return errno == ENOENT ? 0 : fail(L, "companion %s: cannot open: %s", companion,
                                          strerror(errno));
    fclose(f);
    char *text = iv_read_file(companion, (size_t)MAX_ARCH_FILE, NULL, L->err);
    if (!text)
        return -1;
    int rc = iv_arch_parse(text, companion, L->arena, &L->a, L->err);
    free(text);
    return rc < 0 ? -1 : 1;
}

/* ---- stage 3b: layers onto tensors ------------------------------------------------------------- */

static tensor *find_tensor(loader *L, const char *name)
{
    for (int i = 0; i < L->n_t; i++)
        if (strcmp(L->t[i].name, name) == 0)
            return &L->t[i];
    return NULL;
}

typedef struct module {
    long index;
    tensor *weight, *bias;
} module;

static int by_index(const void *a, const void *b)
{
    const module *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Groups tensors named PREFIX INDEX ".weight" / ".bias" into modules sorted by index. Returns the
 * number of modules, or -1 (message set when `why` is true) if the names do not fit. */
static int sequential_modules(loader *L, module **out, bool why)
{
    module *mods = iv_xcalloc((size_t)L->n_t, sizeof *mods);
    int n = 0;
    const char *prefix = NULL;
    size_t prefix_len = 0;
    for (int i = 0; i < L->n_t; i++) {
        const char *name = L->t[i].name, *dot = strrchr(name, '.');
        bool is_w = dot && strcmp(dot, ".weight") == 0, is_b = dot && strcmp(dot, ".bias") == 0;
        const char *d = dot;
        while (d && d > name && d[-1] >= '0' && d[-1] <= '9')
            d--;
        size_t digits = dot ? (size_t)(dot - d) : 0;
        if ((!is_w && !is_b) || digits == 0 || digits > 9 || (d > name && d[-1] != '.')) {
            free(mods);
            if (why)
                fail(L, "tensor '%s' is not named like an nn.Sequential entry (INDEX.weight or "
                     "INDEX.bias, e.g. '0.weight'), and no architecture was given (neither "
                     "__metadata__ \"%s\" nor %s)", name, ARCH_KEY, L->arch_source);
            return -1;
        }
        size_t pl = (size_t)(d - name);
        if (!prefix) {
            prefix = name;
            prefix_len = pl;
        } else if (pl != prefix_len || strncmp(prefix, name, pl) != 0) {
            free(mods);
            if (why)
                fail(L, "tensors '%s' and '%s' have different prefixes, so they are not one "
                     "nn.Sequential, and no architecture was given (neither __metadata__ \"%s\" "
                     "nor %s)", prefix, name, ARCH_KEY, L->arch_source);
            return -1;
        }
        long idx = strtol(d, NULL, 10);
        int m = 0;
        while (m < n && mods[m].index != idx)
            m++;
        if (m == n)
            mods[n++].index = idx;
        if (is_w)
            mods[m].weight = &L->t[i];
        else
            mods[m].bias = &L->t[i];
    }
    qsort(mods, (size_t)n, sizeof *mods, by_index);
    for (int m = 0; m < n; m++)
        if (!mods[m].weight) {
            if (why)
                fail(L, "tensor '%s': module %ld has a bias but no weight", mods[m].bias->name,
                     mods[m].index);
            free(mods);
            return -1;
        }
    *out = mods;
    return n;
}

/* Fills the default architecture of an nn.Sequential with n Linear modules. */
static void default_layers(loader *L, int n)
{
    iv_arch *A = &L->a;
    A->layers = iv_xcalloc((size_t)n, sizeof *A->layers);
    A->n_layers = n;
    for (int l = 0; l < n; l++) {
        char buf[24];
        snprintf(buf, sizeof buf, l == n - 1 ? "out" : "h%d", l + 1);
        A->layers[l].name = iv_arena_strdup(L->arena, buf);
        A->layers[l].act = l == n - 1 ? IV_ACT_IDENTITY : IV_ACT_RELU;
        A->layers[l].alpha = IV_ARCH_DEFAULT_ALPHA;
    }
}

/* Assigns each architecture layer its weight and bias tensors: by "NAME.weight" when every layer
 * has one, else by position among nn.Sequential modules. */
static int map_layers(loader *L, int have_arch, tensor **w, tensor **b)
{
    iv_arch *A = &L->a;
    module *mods = NULL;
    if (!have_arch || !A->has_layers) {
        int n = sequential_modules(L, &mods, true);
        if (n < 0)
            return -1;
        if (n > IV_MAX_LAYERS) {
            free(mods);
            return fail(L, "%d modules, more than the %d layers a model may have", n,
                        IV_MAX_LAYERS);
        }
        default_layers(L, n);
        for (int l = 0; l < n; l++) {
            w[l] = mods[l].weight;
            b[l] = mods[l].bias;
        }
        free(mods);
        return 0;
    }
    bool by_name = true;
    for (int l = 0; l < A->n_layers && by_name; l++) {
        char *wn = iv_xasprintf("%s.weight", A->layers[l].name);
        char *bn = iv_xasprintf("%s.bias", A->layers[l].name);
        w[l] = find_tensor(L, wn);
        b[l] = find_tensor(L, bn);
        by_name = w[l] != NULL;
        free(wn);
        free(bn);
    }
    if (by_name)
        return 0;
    int n = sequential_modules(L, &mods, false);
    if (n < 0) {
        int l = 0; /* the first layer without its tensor */
        while (l < A->n_layers && w[l])
            l++;
        return fail(L, "layer '%s': missing tensor '%s.weight'", A->layers[l].name,
                    A->layers[l].name);
    }
    if (n != A->n_layers) {
        free(mods);
        return fail(L, "the architecture lists %d layer%s but the file holds %d numbered "
                    "module%s (and no tensor '%s.weight')", A->n_layers, plural((uint64_t)A->n_layers),
                    n, plural((uint64_t)n), A->layers[0].name);
    }
    for (int l = 0; l < n; l++) {
        w[l] = mods[l].weight;
        b[l] = mods[l].bias;
    }
    free(mods);
    return 0;
}

/* ---- stage 4: building the model --------------------------------------------------------------- */

/* Reads tensor t (a float dtype) as float32 into out, refusing values that are not finite. With
 * `transpose`, a 2-D tensor of shape [r, c] lands as its transpose, (c, r) row-major: element (i, j)
 * at out[j r + i]. */
static int read_floats(loader *L, const tensor *t, float *out, bool transpose)
{
    size_t size = (size_t)dtypes[t->type].size, n = (size_t)t->elems;
    size_t rows = t->ndim == 2 ? (size_t)t->shape[0] : 1;
    size_t cols = t->ndim == 2 ? (size_t)t->shape[1] : n;
    if (t->ndim != 2)
        transpose = false;
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = iv_xmalloc(CHUNK * 8);
    if (fseek(L->f, (long)(L->data_start + t->begin), SEEK_SET) != 0) {
        free(buf);
        return fail(L, "tensor '%s': cannot seek: %s", t->name, strerror(errno));
    }
    size_t i = 0, j = 0; /* the row and column of the next element, when transposing */
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (fread(buf, size, k, L->f) != k) {
            free(buf);
            return fail(L, "tensor '%s': read error", t->name);
        }
        for (size_t e = 0; e < k; e++) {
            float v = decode(t->type, buf + e * size);
            if (!isfinite(v)) {
                free(buf);
                return fail(L, "tensor '%s': element %zu is %s (weights must be finite numbers)",
                            t->name, done + e, isnan(v) ? "nan" : t->type == DT_F64 ? "inf or too "
                            "large for a float32" : "inf");
            }
            if (!transpose) {
                out[done + e] = v;
                continue;
            }
            out[j * rows + i] = v;
            if (++j == cols) {
                j = 0;
                i++;
            }
        }
        done += k;
    }
    free(buf);
    return 0;
}

/* Reads tensor t into a new arena array of float32, refusing values that are not finite. */
static float *read_tensor(loader *L, tensor *t)
{
    float *out = iv_arena_alloc(L->arena, (size_t)t->elems * sizeof *out + 1);
    return read_floats(L, t, out, false) < 0 ? NULL : out;
}

static int build(loader *L, iv_model *m, tensor **w, tensor **b)
{
    iv_arch *A = &L->a;
    int n = A->n_layers;
    if (n == 0)
        return fail(L, "the model has no layers");
    m->n_layers = n;
    m->layers = iv_arena_alloc(L->arena, (size_t)n * sizeof *m->layers);
    long params = 0;
    char sh[128];
    for (int l = 0; l < n; l++) {
        iv_layer *ly = &m->layers[l];
        iv_arch_layer *al = &A->layers[l];
        tensor *tw = w[l], *tb = b[l];
        ly->name = al->name;
        ly->act = al->act;
        ly->alpha = al->alpha;
        if (tw->ndim != 2 || tw->shape[0] < 1 || tw->shape[1] < 1)
            return fail(L, "tensor '%s': shape %s, expected [out, in] (a dense layer's weight, "
                        "for layer '%s')", tw->name, shape_str(tw, sh, sizeof sh), al->name);
        if (tw->shape[0] > IV_MAX_WIDTH || tw->shape[1] > IV_MAX_WIDTH)
            return fail(L, "tensor '%s': shape %s is wider than %d neurons", tw->name,
                        shape_str(tw, sh, sizeof sh), IV_MAX_WIDTH);
        ly->n_out = (int)tw->shape[0];
        ly->n_in = (int)tw->shape[1];
        int prev = l ? m->layers[l - 1].n_out : m->n_inputs;
        if (l == 0 && !m->n_inputs)
            prev = ly->n_in;
        if (ly->n_in != prev) {
            if (l == 0)
                return fail(L, "tensor '%s': shape %s takes %d input%s, but the architecture "
                            "lists %d", tw->name, shape_str(tw, sh, sizeof sh), ly->n_in,
                            plural((uint64_t)ly->n_in), prev);
            return fail(L, "tensor '%s': shape %s takes %d input%s, but layer '%s' has %d "
                        "output%s (shapes do not chain)", tw->name, shape_str(tw, sh, sizeof sh),
                        ly->n_in, plural((uint64_t)ly->n_in), m->layers[l - 1].name, prev,
                        plural((uint64_t)prev));
        }
        if (l == 0 && !m->n_inputs) { /* inputs x0, x1, ... from the first weight */
            m->n_inputs = ly->n_in;
            m->input_names = iv_arena_alloc(L->arena, (size_t)ly->n_in * sizeof(char *));
            for (int i = 0; i < ly->n_in; i++) {
                char buf[24];
                snprintf(buf, sizeof buf, "x%d", i);
                m->input_names[i] = iv_arena_strdup(L->arena, buf);
            }
        }
        if (tb && (tb->ndim != 1 || tb->shape[0] != ly->n_out))
            return fail(L, "tensor '%s': shape %s, expected [%d] (one bias per row of '%s')",
                        tb->name, shape_str(tb, sh, sizeof sh), ly->n_out, tw->name);
        if (al->labels && al->n_labels != ly->n_out)
            return fail(L, "layer %s: labels has %d label%s, expected %d (one per neuron)",
                        al->name, al->n_labels, plural((uint64_t)al->n_labels), ly->n_out);
        ly->labels = al->labels;
        params += (long)tw->elems + (tb ? (long)tb->elems : 0);
        if (params > IV_MAX_PARAMS)
            return fail(L, "the model has more than %ld parameters (weights and biases), the "
                        "most this tool loads", IV_MAX_PARAMS);
        tw->used = true;
        if (tb)
            tb->used = true;
    }
    for (int i = 0; i < L->n_t; i++)
        if (!L->t[i].used)
            return fail(L, "tensor '%s' is not used by any layer of the architecture",
                        L->t[i].name);
    for (int l = 0; l < n; l++) { /* the data last: only now is every tensor known to fit */
        if (!(m->layers[l].weight = read_tensor(L, w[l])))
            return -1;
        if (b[l] && !(m->layers[l].bias = read_tensor(L, b[l])))
            return -1;
    }
    return 0;
}

static int load(loader *L, iv_model *m)
{
    const char *meta;
    if (read_header(L) < 0 || read_entries(L, &meta) < 0)
        return -1;
    int have_arch = find_arch(L, meta);
    if (have_arch < 0)
        return -1;
    iv_arch *A = &L->a;
    m->n_inputs = A->n_inputs;
    m->input_names = A->inputs;
    m->target = A->target;
    m->dataset = A->data;
    m->name = A->model ? A->model : iv_model_name_from_path(L->arena, L->path);
    tensor **w = iv_xcalloc((size_t)L->n_t + (size_t)IV_MAX_LAYERS, sizeof *w);
    tensor **b = iv_xcalloc((size_t)L->n_t + (size_t)IV_MAX_LAYERS, sizeof *b);
    int rc = map_layers(L, have_arch, w, b);
    if (rc == 0)
        rc = build(L, m, w, b);
    free(w);
    free(b);
    return rc;
}

/* The layers read, through the builder and its check; messages name the file. */
static iv_model *through_builder(loader *L, const iv_model *m)
{
    iv_builder *b = iv_builder_new(L->path, L->path);
    iv_builder_name(b, m->name);
    iv_builder_target(b, m->target);
    iv_builder_dataset(b, m->dataset);
    if (iv_builder_inputs(b, m->n_inputs, m->input_names, L->path, L->err) < 0 ||
        iv_builder_dense_layers(b, m->layers, m->n_layers, L->path, L->err) < 0) {
        iv_builder_free(b);
        return NULL;
    }
    return iv_builder_finish(b, L->err);
}

iv_model *iv_model_load_safetensors(const char *path, iv_error *err)
{
    loader L = {.path = path, .err = err};
    L.arena = iv_arena_new();
    iv_model *m = iv_arena_alloc(L.arena, sizeof *m);
    m->arena = L.arena;
    m->path = iv_arena_strdup(L.arena, path);
    int rc = load(&L, m);
    if (L.f)
        fclose(L.f);
    if (L.root)
        json_object_put(L.root);
    free(L.header);
    free(L.t);
    iv_arch_free(&L.a);
    free(L.arch_source);
    iv_model *made = rc == 0 ? through_builder(&L, m) : NULL;
    iv_arena_free(L.arena); /* the builder has copied what it keeps */
    return made;
}

/* ---- the container alone ----------------------------------------------------------------------- */

struct iv_safetensors {
    loader L;                        /* stages 1 and 2 only: no arena, no architecture */
    char *path;                      /* L.path's copy */
    iv_safetensors_entry *entries;   /* (L.n_t), in the header's order */
};

void iv_safetensors_close(iv_safetensors *s)
{
    if (!s)
        return;
    if (s->L.f)
        fclose(s->L.f);
    if (s->L.root)
        json_object_put(s->L.root);
    free(s->L.header);
    free(s->L.t);
    free(s->path);
    free(s->entries);
    free(s);
}

iv_safetensors *iv_safetensors_open(const char *path, iv_error *err)
{
    iv_safetensors *s = iv_xcalloc(1, sizeof *s);
    loader *L = &s->L;
    L->path = s->path = iv_xstrdup(path);
    L->err = err;
    L->any_dtype = true;
    const char *meta;
    if (read_header(L) < 0 || read_entries(L, &meta) < 0) {
        iv_safetensors_close(s);
        return NULL;
    }
    s->entries = iv_xcalloc((size_t)L->n_t, sizeof *s->entries);
    for (int i = 0; i < L->n_t; i++) {
        const tensor *t = &L->t[i];
        iv_safetensors_entry *e = &s->entries[i];
        e->name = t->name;
        e->dtype = dtypes[t->type].name;
        e->is_float = t->type < N_FLOAT_DTYPES;
        e->ndim = t->ndim;
        memcpy(e->shape, t->shape, sizeof e->shape);
        e->elems = t->elems;
    }
    return s;
}

int iv_safetensors_count(const iv_safetensors *s) { return s->L.n_t; }

const iv_safetensors_entry *iv_safetensors_entry_at(const iv_safetensors *s, int i)
{
    return i >= 0 && i < s->L.n_t ? &s->entries[i] : NULL;
}

int iv_safetensors_find(const iv_safetensors *s, const char *name)
{
    for (int i = 0; i < s->L.n_t; i++)
        if (strcmp(s->L.t[i].name, name) == 0)
            return i;
    return -1;
}

int iv_safetensors_read(iv_safetensors *s, int i, float *out, bool transpose, iv_error *err)
{
    loader *L = &s->L;
    L->err = err;
    if (i < 0 || i >= L->n_t)
        return fail(L, "no tensor number %d", i);
    const tensor *t = &L->t[i];
    if (t->type >= N_FLOAT_DTYPES)
        return fail(L, "tensor '%s' has dtype %s, not a float (F32, F64, F16 or BF16)", t->name,
                    dtypes[t->type].name);
    return read_floats(L, t, out, transpose);
}

/* ---- writing ----------------------------------------------------------------------------------- */

static bool all_finite(const float *v, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

static int write_floats(FILE *f, const float *v, long n)
{
    unsigned char buf[4096];
    for (long done = 0; done < n;) {
        long k = n - done < 1024 ? n - done : 1024;
        for (long i = 0; i < k; i++) {
            uint32_t u = float_to_bits(v[done + i]);
            for (int j = 0; j < 4; j++)
                buf[4 * i + j] = (unsigned char)(u >> (8 * j));
        }
        if (fwrite(buf, 4, (size_t)k, f) != (size_t)k)
            return -1;
        done += k;
    }
    return 0;
}

static void add_tensor(json_object *root, const char *name, long rows, long cols, int ndim,
                       uint64_t *offset)
{
    json_object *e = json_object_new_object(), *shape = json_object_new_array();
    json_object *offs = json_object_new_array();
    json_object_array_add(shape, json_object_new_int64(rows));
    if (ndim == 2)
        json_object_array_add(shape, json_object_new_int64(cols));
    uint64_t bytes = (uint64_t)rows * (uint64_t)(ndim == 2 ? cols : 1) * 4;
    json_object_array_add(offs, json_object_new_int64((int64_t)*offset));
    json_object_array_add(offs, json_object_new_int64((int64_t)(*offset + bytes)));
    *offset += bytes;
    json_object_object_add(e, "dtype", json_object_new_string("F32"));
    json_object_object_add(e, "shape", shape);
    json_object_object_add(e, "data_offsets", offs);
    json_object_object_add(root, name, e);
}

int iv_model_write_safetensors(const iv_model *m, const char *path, iv_error *err)
{
    if (m->n_inputs < 1 || m->n_layers < 1)
        return iv_error_set(err, "%s: cannot write a model without inputs or layers", path);
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *ly = &m->layers[l];
        if (!iv_is_identifier(ly->name) || strlen(ly->name) > IV_MAX_NAME)
            return iv_error_set(err, "%s: layer name '%.80s' cannot name a tensor", path,
                                ly->name);
        if (!all_finite(ly->weight, (long)ly->n_in * ly->n_out) ||
            (ly->bias && !all_finite(ly->bias, ly->n_out)))
            return iv_error_set(err, "%s: layer %s has weights that are not finite", path,
                                ly->name);
    }
    iv_buf text = {0};
    iv_arch_write(m, &text);
    json_object *root = json_object_new_object(), *meta = json_object_new_object();
    json_object_object_add(meta, ARCH_KEY, json_object_new_string(text.data));
    json_object_object_add(meta, "format", json_object_new_string("pt"));
    json_object_object_add(root, "__metadata__", meta);
    iv_buf_free(&text);
    uint64_t offset = 0;
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *ly = &m->layers[l];
        char *wn = iv_xasprintf("%s.weight", ly->name), *bn = iv_xasprintf("%s.bias", ly->name);
        add_tensor(root, wn, ly->n_out, ly->n_in, 2, &offset);
        if (ly->bias)
            add_tensor(root, bn, ly->n_out, 0, 1, &offset);
        free(wn);
        free(bn);
    }
    iv_buf hdr = {0};
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    iv_buf_append(&hdr, js, strlen(js));
    json_object_put(root);
    while (hdr.len % 8) /* the format's alignment: data starts on an 8-byte boundary */
        iv_buf_append(&hdr, " ", 1);

    iv_atomic_file out;
    FILE *f = iv_atomic_open(&out, path, err);
    if (!f) {
        iv_buf_free(&hdr);
        return -1;
    }
    unsigned char len8[8];
    for (int j = 0; j < 8; j++)
        len8[j] = (unsigned char)((uint64_t)hdr.len >> (8 * j));
    int rc = fwrite(len8, 1, 8, f) == 8 && fwrite(hdr.data, 1, hdr.len, f) == hdr.len ? 0 : -1;
    iv_buf_free(&hdr);
    for (int l = 0; l < m->n_layers && rc == 0; l++) {
        const iv_layer *ly = &m->layers[l];
        rc = write_floats(f, ly->weight, (long)ly->n_in * ly->n_out);
        if (rc == 0 && ly->bias)
            rc = write_floats(f, ly->bias, ly->n_out);
    }
    if (rc < 0) {
        iv_error_set(err, "%s: write error: %s", path, strerror(errno));
        iv_atomic_abort(&out);
        return -1;
    }
    return iv_atomic_commit(&out, err);
}
