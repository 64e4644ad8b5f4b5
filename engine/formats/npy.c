/* npy.c - reading NumPy .npy files and .npz archives into row-major doubles, and building datasets
 * from them.
 *
 * The .npy format is a 6-byte magic, a version, a little-endian header length, a Python dict
 * literal such as {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), } and then the raw
 * elements. The dict is parsed here by hand, strictly: it comes from a file we do not trust, and
 * the few forms np.save writes are all we need to accept. */
#include "npy.h"

#include "budget.h"
#include "files.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_TOKEN_MAX 64 /* longest dict key or descr we accept */

/* ---- the header dict ------------------------------------------------------------------------- */

typedef struct npy_dtype {
    char kind;      /* 'f', 'i', 'u' or 'b' */
    int size;       /* bytes per element */
    bool big;       /* stored big-endian */
} npy_dtype;

typedef struct npy_header {
    npy_dtype dtype;
    bool fortran;
    int ndim;
    long shape[2];
} npy_header;

/* A cursor over the header text; name and err are only for messages. */
typedef struct hdr_cursor {
    const char *start, *p, *end;
    const char *name;
    iv_error *err;
} hdr_cursor;

static int hdr_fail(hdr_cursor *c, const char *what)
{
    return iv_error_set(c->err, "%s: bad .npy header: %s at byte %ld of the header dict", c->name,
                        what, (long)(c->p - c->start));
}

static void hdr_skip_blanks(hdr_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Skips blanks, then consumes ch if it is next. */
static bool hdr_accept(hdr_cursor *c, char ch)
{
    hdr_skip_blanks(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes (np.save never writes any in the keys or descr). */
static int hdr_string(hdr_cursor *c, char out[NPY_TOKEN_MAX], const char *what)
{
    hdr_skip_blanks(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected a quoted %s", what);
        return hdr_fail(c, msg);
    }
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20)
            return hdr_fail(c, "unexpected escape or control character in a string");
        if (n + 1 >= NPY_TOKEN_MAX)
            return hdr_fail(c, "string too long");
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return hdr_fail(c, "unterminated string");
    c->p++;
    out[n] = '\0';
    return 0;
}

static int hdr_bool(hdr_cursor *c, bool *out)
{
    hdr_skip_blanks(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *out = true;
    } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *out = false;
    } else {
        return hdr_fail(c, "expected True or False for 'fortran_order'");
    }
    return 0;
}

/* A non-negative decimal integer that fits a long; Python 2 era files write "3L". */
static int hdr_dim(hdr_cursor *c, long *out)
{
    hdr_skip_blanks(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return hdr_fail(c, "expected a non-negative integer in 'shape'");
    long v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int digit = *c->p - '0';
        if (v > (LONG_MAX - digit) / 10)
            return iv_error_set(c->err, "%s: shape dimension too large (it overflows)", c->name);
        v = v * 10 + digit;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L')
        c->p++;
    *out = v;
    return 0;
}

/* "(3, 2)", "(3,)" or "()": only the dimension count is limited here, sizes are checked later. */
static int hdr_shape(hdr_cursor *c, npy_header *h)
{
    if (!hdr_accept(c, '('))
        return hdr_fail(c, "expected '(' to start 'shape'");
    h->ndim = 0;
    while (!hdr_accept(c, ')')) {
        long dim = 0;
        if (hdr_dim(c, &dim) != 0)
            return -1;
        if (h->ndim == 2)
            return iv_error_set(c->err,
                                "%s: arrays with more than 2 dimensions are not supported "
                                "(a dataset is rows x columns)",
                                c->name);
        h->shape[h->ndim++] = dim;
        if (hdr_accept(c, ','))
            continue;
        if (!hdr_accept(c, ')'))
            return hdr_fail(c, "expected ',' or ')' in 'shape'");
        break;
    }
    if (h->ndim == 0)
        return iv_error_set(c->err, "%s: 0-dimensional arrays (single numbers) are not supported",
                            c->name);
    return 0;
}

/* '<f8', '>i4', '|u1', ...: byte order, kind, size. */
static int parse_descr(const char *descr, const char *name, npy_dtype *dt, iv_error *err)
{
    if (strchr(descr, 'O'))
        return iv_error_set(err, "%s: object arrays ('%s') are not supported (save plain numbers)",
                            name, descr);
    size_t len = strlen(descr);
    char order = len ? descr[0] : '\0';
    char kind = len > 1 ? descr[1] : '\0';
    int size = 0;
    if (len == 3 && descr[2] >= '1' && descr[2] <= '8')
        size = descr[2] - '0';
    bool order_ok = order == '<' || order == '>' || order == '|' || order == '=';
    bool kind_ok = (kind == 'f' && (size == 4 || size == 8)) ||
                   ((kind == 'i' || kind == 'u') &&
                    (size == 1 || size == 2 || size == 4 || size == 8)) ||
                   (kind == 'b' && size == 1);
    if (!order_ok || !kind_ok)
        return iv_error_set(err,
                            "%s: unsupported dtype '%s' (expected float32/64, integers or bool, "
                            "e.g. '<f8')",
                            name, descr);
    /* '=' is the writer's native order; the bytes are assembled below without assuming ours. */
    const union {
        uint16_t u;
        unsigned char b[2];
    } probe = {.u = 1};
    dt->big = order == '>' || (order == '=' && probe.b[0] == 0);
    dt->kind = kind;
    dt->size = size;
    return 0;
}

static int hdr_parse(const char *text, size_t len, const char *name, npy_header *h, iv_error *err)
{
    hdr_cursor c = {.start = text, .p = text, .end = text + len, .name = name, .err = err};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!hdr_accept(&c, '{'))
        return hdr_fail(&c, "expected '{'");
    while (!hdr_accept(&c, '}')) {
        char key[NPY_TOKEN_MAX];
        if (hdr_string(&c, key, "key") != 0)
            return -1;
        if (!hdr_accept(&c, ':'))
            return hdr_fail(&c, "expected ':' after a key");
        bool *seen;
        int rc;
        if (strcmp(key, "descr") == 0) {
            seen = &have_descr;
            hdr_skip_blanks(&c);
            if (c.p < c.end && *c.p == '[')
                return iv_error_set(err, "%s: structured dtypes (records) are not supported", name);
            char descr[NPY_TOKEN_MAX];
            rc = hdr_string(&c, descr, "dtype for 'descr'");
            if (rc == 0)
                rc = parse_descr(descr, name, &h->dtype, err);
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &have_order;
            rc = hdr_bool(&c, &h->fortran);
        } else if (strcmp(key, "shape") == 0) {
            seen = &have_shape;
            rc = hdr_shape(&c, h);
        } else {
            return iv_error_set(err, "%s: bad .npy header: unknown key '%s'", name, key);
        }
        if (rc != 0)
            return -1;
        if (*seen)
            return iv_error_set(err, "%s: bad .npy header: key '%s' given twice", name, key);
        *seen = true;
        if (hdr_accept(&c, ','))
            continue;
        if (!hdr_accept(&c, '}'))
            return hdr_fail(&c, "expected ',' or '}'");
        break;
    }
    /* np.save pads the dict with blanks and ends it with a newline; nothing else may follow. */
    hdr_skip_blanks(&c);
    if (c.p != c.end)
        return hdr_fail(&c, "unexpected text after '}'");
    const char *missing = !have_descr ? "descr" : !have_order ? "fortran_order"
                        : !have_shape ? "shape" : NULL;
    if (missing)
        return iv_error_set(err, "%s: bad .npy header: no '%s' key", name, missing);
    return 0;
}

/* ---- elements -------------------------------------------------------------------------------- */

/* One element as a double. Bytes are put together arithmetically, so the host's byte order never
 * matters; only the IEEE layout of float and double is assumed. */
static double element(const unsigned char *p, const npy_dtype *dt)
{
    uint64_t v = 0;
    for (int k = 0; k < dt->size; k++) {
        int byte = dt->big ? k : dt->size - 1 - k;
        v = (v << 8) | p[byte];
    }
    switch (dt->kind) {
    case 'f':
        if (dt->size == 4) {
            uint32_t u = (uint32_t)v;
            float f;
            memcpy(&f, &u, sizeof f);
            return f;
        } else {
            double d;
            memcpy(&d, &v, sizeof d);
            return d;
        }
    case 'i': {
        /* Sign-extend from the element's width. */
        int shift = 64 - 8 * dt->size;
        int64_t s = (int64_t)(v << shift) >> shift;
        return (double)s;
    }
    case 'b':
        return v != 0;
    default:
        return (double)v;
    }
}

/* ---- .npy ------------------------------------------------------------------------------------ */

int iv_npy_parse(const void *data, size_t len, const char *name, iv_npy_array *out, iv_error *err)
{
    const unsigned char *bytes = data;
    memset(out, 0, sizeof *out);
    if (len < NPY_MAGIC_LEN || memcmp(bytes, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return iv_error_set(err, "%s: not a .npy file (bad magic; expected \\x93NUMPY)", name);
    if (len < NPY_MAGIC_LEN + 2)
        return iv_error_set(err, "%s: truncated header (no version)", name);
    int major = bytes[6], minor = bytes[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return iv_error_set(err, "%s: unsupported .npy format version %d.%d (expected 1.0, 2.0 "
                            "or 3.0)", name, major, minor);
    /* Version 1.0 has a 2-byte header length, later versions a 4-byte one. */
    size_t prefix = major == 1 ? 10 : 12;
    if (len < prefix)
        return iv_error_set(err, "%s: truncated header (no header length)", name);
    size_t hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    if (major > 1)
        hlen |= (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
    if (hlen > IV_NPY_MAX_HEADER)
        return iv_error_set(err, "%s: header too long (%zu bytes; the limit is %zu)", name, hlen,
                            IV_NPY_MAX_HEADER);
    if (len - prefix < hlen)
        return iv_error_set(err, "%s: truncated header (%zu bytes promised, %zu present)", name,
                            hlen, len - prefix);
    const char *text = (const char *)bytes + prefix;
    /* Versions 1 and 2 are latin-1 and a NUL is never valid in the literal; version 3 allows
     * UTF-8, which the parser only ever meets inside strings it then rejects as unknown. */
    if (memchr(text, '\0', hlen))
        return iv_error_set(err, "%s: bad .npy header: NUL byte in the header dict", name);
    npy_header h = {0};
    if (hdr_parse(text, hlen, name, &h, err) != 0)
        return -1;

    long rows = h.shape[0], cols = h.ndim == 2 ? h.shape[1] : 1;
    size_t avail = len - prefix - hlen;
    size_t count = (size_t)rows * (size_t)cols;
    if ((cols != 0 && (size_t)rows > SIZE_MAX / (size_t)cols) ||
        count > SIZE_MAX / (size_t)h.dtype.size / sizeof(double))
        return iv_error_set(err, "%s: shape (%ld, %ld) is too large", name, rows, cols);
    size_t need = count * (size_t)h.dtype.size;
    if (need > avail)
        return iv_error_set(err, "%s: truncated data (shape (%ld, %ld) needs %zu bytes, "
                            "%zu present)", name, rows, cols, need, avail);
    if (need < avail)
        return iv_error_set(err, "%s: %zu unexpected bytes after the data", name, avail - need);

    const unsigned char *src = bytes + prefix + hlen;
    double *dst = iv_big_alloc(count, sizeof(double), "the array's values", err);
    if (!dst) {
        iv_error_prefix(err, "%s", name);
        return -1;
    }
    /* The common case - C order, little-endian floats on a little-endian host - copies the values
     * as they lie: the element-by-element assembly below took a quarter of `data load` of a
     * 10,000 x 784 array. */
    const uint16_t probe = 1;
    bool as_they_lie = !h.fortran && !h.dtype.big && h.dtype.kind == 'f' &&
                       *(const unsigned char *)&probe == 1;
    if (as_they_lie && h.dtype.size == 4) {
        for (size_t k = 0; k < count; k++) {
            float f;
            memcpy(&f, src + 4 * k, sizeof f);
            dst[k] = f;
        }
    } else if (as_they_lie && h.dtype.size == 8) {
        memcpy(dst, src, sizeof(double) * count);
    } else {
        /* An (n, 0) array holds nothing whatever n says: no loop over its empty rows. */
        for (long i = 0; cols > 0 && i < rows; i++)
            for (long j = 0; j < cols; j++) {
                /* Fortran order stores columns one after another: (i, j) at j*rows + i. */
                size_t k = h.fortran ? (size_t)j * (size_t)rows + (size_t)i
                                     : (size_t)i * (size_t)cols + (size_t)j;
                dst[(size_t)i * (size_t)cols + (size_t)j] =
                    element(src + k * (size_t)h.dtype.size, &h.dtype);
            }
    }
    out->ndim = h.ndim;
    out->n_rows = rows;
    out->n_cols = cols;
    out->data = dst;
    return 0;
}

void iv_npy_free(iv_npy_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Reads a whole binary file (iv_read_file refuses NUL bytes, which .npy data is full of). */

int iv_npy_read(const char *path, iv_npy_array *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    size_t len;
    unsigned char *data = iv_read_binary(path, IV_NPY_MAX_BYTES, &len, err);
    if (!data)
        return -1;
    int rc = iv_npy_parse(data, len, path, out, err);
    free(data);
    return rc;
}

/* ---- .npz ------------------------------------------------------------------------------------ */

void iv_npz_free(iv_npz *z)
{
    if (!z)
        return;
    for (int i = 0; i < z->n; i++) {
        free(z->members[i].name);
        iv_npy_free(&z->members[i].array);
    }
    free(z->members);
    memset(z, 0, sizeof *z);
}

const iv_npz_member *iv_npz_find(const iv_npz *z, const char *name)
{
    for (int i = 0; i < z->n; i++)
        if (strcmp(z->members[i].name, name) == 0)
            return &z->members[i];
    return NULL;
}

/* Decompresses one member into memory; size is what the archive's directory declares, which also
 * bounds what a deflate bomb could make us allocate. */
static unsigned char *npz_member_bytes(zip_t *za, zip_uint64_t index, const char *path,
                                       const char *member, zip_uint64_t size, iv_error *err)
{
    zip_file_t *zf = zip_fopen_index(za, index, 0);
    if (!zf) {
        iv_error_set(err, "%s: member '%s': %s", path, member, zip_strerror(za));
        return NULL;
    }
    unsigned char *buf = iv_big_alloc((size_t)size, 1, "the member's bytes", err);
    if (!buf) {
        iv_error_prefix(err, "%s: member '%s'", path, member);
        zip_fclose(zf);
        return NULL;
    }
    zip_uint64_t got = 0;
    while (got < size) {
        zip_int64_t r = zip_fread(zf, buf + got, size - got);
        if (r < 0) {
            iv_error_set(err, "%s: member '%s': %s", path, member, zip_file_strerror(zf));
            break;
        }
        if (r == 0) {
            iv_error_set(err, "%s: member '%s': truncated (%llu of %llu bytes)", path, member,
                         (unsigned long long)got, (unsigned long long)size);
            break;
        }
        got += (zip_uint64_t)r;
    }
    /* One more read reaches the end of the stream, which is where libzip checks the CRC: without
     * it a corrupted member would be parsed as if it were intact. */
    if (got == size) {
        unsigned char extra;
        zip_int64_t r = zip_fread(zf, &extra, 1);
        if (r != 0) {
            if (r < 0)
                iv_error_set(err, "%s: member '%s': %s", path, member, zip_file_strerror(zf));
            else
                iv_error_set(err, "%s: member '%s' is longer than the archive declares", path,
                             member);
            got = 0;
        }
    }
    zip_fclose(zf);
    if (got < size) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int npz_read_member(zip_t *za, zip_uint64_t index, const char *path, iv_npz *out,
                           iv_error *err)
{
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, index, 0, &st) != 0)
        return iv_error_set(err, "%s: member %llu: %s", path, (unsigned long long)index,
                            zip_strerror(za));
    if (!(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
        return iv_error_set(err, "%s: member %llu has no name or size", path,
                            (unsigned long long)index);
    size_t nlen = strlen(st.name);
    if (nlen <= 4 || strcmp(st.name + nlen - 4, ".npy") != 0)
        return iv_error_set(err, "%s: member '%s' is not a .npy file", path, st.name);
    if (st.size > IV_NPY_MAX_BYTES)
        return iv_error_set(err, "%s: member '%s' is too large (%llu bytes; the limit is %zu)",
                            path, st.name, (unsigned long long)st.size, IV_NPY_MAX_BYTES);
    char *name = iv_xstrdup(st.name);
    name[nlen - 4] = '\0';
    if (iv_npz_find(out, name)) {
        iv_error_set(err, "%s: member '%s' appears twice", path, st.name);
        free(name);
        return -1;
    }
    unsigned char *bytes = npz_member_bytes(za, index, path, st.name, st.size, err);
    int rc = -1;
    if (bytes) {
        char *label = iv_xasprintf("%s: member '%s'", path, st.name);
        iv_npz_member *m = &out->members[out->n];
        rc = iv_npy_parse(bytes, (size_t)st.size, label, &m->array, err);
        if (rc == 0) {
            m->name = name;
            name = NULL;
            out->n++;
        }
        free(label);
        free(bytes);
    }
    free(name);
    return rc;
}

int iv_npz_read(const char *path, iv_npz *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &code);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        iv_error_set(err, "%s: cannot read as a .npz archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    zip_int64_t n = zip_get_num_entries(za, 0);
    int rc = 0;
    if (n <= 0) {
        rc = iv_error_set(err, "%s: empty .npz archive", path);
    } else if (n > 100000) {
        rc = iv_error_set(err, "%s: too many members (%lld)", path, (long long)n);
    } else {
        out->members = iv_xcalloc((size_t)n, sizeof *out->members);
        for (zip_int64_t i = 0; i < n && rc == 0; i++)
            rc = npz_read_member(za, (zip_uint64_t)i, path, out, err);
    }
    zip_discard(za); /* opened read-only: nothing to write back */
    if (rc != 0)
        iv_npz_free(out);
    return rc;
}

/* ---- datasets -------------------------------------------------------------------------------- */

/* Where one dataset column comes from: a column of an array, and how messages describe it. */
typedef struct col_src {
    const iv_npy_array *a;
    long col;
    char *where;  /* "column 1 (input 'y')", "member 'y.npy' (input 'y')" */
    char *label;  /* the label's name, for label columns */
} col_src;

typedef struct npy_plan {
    int d, n_labels;
    col_src *in;   /* (d) */
    col_src *lab;  /* (n_labels), grown as labels are found */
    long n;
} npy_plan;

/* "(3,)" or "(3, 2)", as NumPy prints shapes. */
static void shape_str(char *buf, size_t n, const iv_npy_array *a)
{
    if (a->ndim == 1)
        snprintf(buf, n, "(%ld,)", a->n_rows);
    else
        snprintf(buf, n, "(%ld, %ld)", a->n_rows, a->n_cols);
}

static void plan_free(npy_plan *p)
{
    for (int j = 0; j < p->d; j++)
        free(p->in[j].where);
    for (int k = 0; k < p->n_labels; k++) {
        free(p->lab[k].where);
        free(p->lab[k].label);
    }
    free(p->in);
    free(p->lab);
}

static void plan_add_label(npy_plan *p, const iv_npy_array *a, long col, char *where, char *label)
{
    p->lab = iv_xrealloc(p->lab, (size_t)(p->n_labels + 1) * sizeof *p->lab);
    p->lab[p->n_labels++] = (col_src){.a = a, .col = col, .where = where, .label = label};
}

static int check_rows(const char *path, const char *what, long n, iv_error *err)
{
    if (n == 0)
        return iv_error_set(err, "%s: %s has no rows", path, what);
    if (n > IV_MAX_EXAMPLES)
        return iv_error_set(err, "%s: %s has %ld rows (the limit is %ld)", path, what, n,
                            IV_MAX_EXAMPLES);
    return 0;
}

#define MAX_NPY_LABELS 16

/* A plain .npy: inputs are the first columns, the rest are labels. */
static int plan_npy(const char *path, const iv_npy_array *a, int n_inputs, char *const *names,
                    npy_plan *p, iv_error *err)
{
    if (a->ndim == 1 && n_inputs != 1)
        return iv_error_set(err, "%s: a 1-D array holds one input, but the model has %d (save an "
                            "array of shape (n, %d))", path, n_inputs, n_inputs);
    if (a->n_cols < n_inputs)
        return iv_error_set(err, "%s: %ld columns, but the model has %d inputs", path, a->n_cols,
                            n_inputs);
    /* A few columns after the inputs are labels; hundreds mean the file is another model's
     * inputs (784 pixels into a 2-input model), which silently taking as labels would hide. */
    if (a->n_cols - n_inputs > MAX_NPY_LABELS)
        return iv_error_set(err, "%s: %ld columns, but the model has %d inputs (the columns after "
                            "the inputs are labels, at most %d); is this the data of another "
                            "model?", path, a->n_cols, n_inputs, MAX_NPY_LABELS);
    if (check_rows(path, "the array", a->n_rows, err) != 0)
        return -1;
    p->n = a->n_rows;
    for (int j = 0; j < n_inputs; j++)
        p->in[j] = (col_src){.a = a, .col = j,
                             .where = iv_xasprintf("column %d (input '%s')", j, names[j])};
    for (long c = n_inputs; c < a->n_cols; c++) {
        char *label = iv_xasprintf("label%ld", c - n_inputs);
        plan_add_label(p, a, c, iv_xasprintf("column %ld (label '%s')", c, label), label);
    }
    return 0;
}

/* An .npz of "X" (n, d) and an optional 1-D "y". */
static int plan_npz_X(const char *path, const iv_npz *z, int n_inputs, char *const *names,
                      npy_plan *p, iv_error *err)
{
    const iv_npz_member *X = iv_npz_find(z, "X"), *y = iv_npz_find(z, "y");
    for (int i = 0; i < z->n; i++)
        if (&z->members[i] != X && &z->members[i] != y)
            return iv_error_set(err, "%s: unexpected member '%s.npy' next to 'X.npy' (only "
                                "'y.npy' may accompany it)", path, z->members[i].name);
    const iv_npy_array *a = &X->array;
    if (a->ndim == 1 && n_inputs != 1)
        return iv_error_set(err, "%s: member 'X.npy' is 1-D, but the model has %d inputs", path,
                            n_inputs);
    if (a->n_cols != n_inputs)
        return iv_error_set(err, "%s: member 'X.npy' has %ld columns, but the model has %d inputs",
                            path, a->n_cols, n_inputs);
    if (check_rows(path, "member 'X.npy'", a->n_rows, err) != 0)
        return -1;
    p->n = a->n_rows;
    for (int j = 0; j < n_inputs; j++)
        p->in[j] = (col_src){.a = a, .col = j,
                             .where = iv_xasprintf("member 'X.npy' column %d (input '%s')", j,
                                                   names[j])};
    if (y) {
        if (y->array.ndim != 1)
            return iv_error_set(err, "%s: member 'y.npy' must be 1-D (labels), not (%ld, %ld)",
                                path, y->array.n_rows, y->array.n_cols);
        if (y->array.n_rows != p->n)
            return iv_error_set(err, "%s: member 'y.npy' has %ld rows, but 'X.npy' has %ld", path,
                                y->array.n_rows, p->n);
        plan_add_label(p, &y->array, 0, iv_xstrdup("member 'y.npy' (label 'y')"),
                       iv_xstrdup("y"));
    }
    return 0;
}

static bool is_input_name(const char *name, int n_inputs, char *const *names)
{
    for (int j = 0; j < n_inputs; j++)
        if (strcmp(names[j], name) == 0)
            return true;
    return false;
}

/* An .npz with one 1-D member per input, other 1-D members being labels. */
static int plan_npz_named(const char *path, const iv_npz *z, int n_inputs, char *const *names,
                          npy_plan *p, iv_error *err)
{
    for (int j = 0; j < n_inputs; j++) {
        const iv_npz_member *m = iv_npz_find(z, names[j]);
        if (!m)
            return iv_error_set(err, "%s: no member '%s.npy' for input '%s' (nor an 'X.npy' "
                                "holding all inputs)", path, names[j], names[j]);
        if (m->array.ndim != 1) {
            char shape[64];
            shape_str(shape, sizeof shape, &m->array);
            return iv_error_set(err, "%s: member '%s.npy' must be 1-D, not %s", path, m->name,
                                shape);
        }
        if (j == 0) {
            char *what = iv_xasprintf("member '%s.npy'", m->name);
            int rc = check_rows(path, what, m->array.n_rows, err);
            free(what);
            if (rc != 0)
                return -1;
            p->n = m->array.n_rows;
        } else if (m->array.n_rows != p->n) {
            return iv_error_set(err, "%s: member '%s.npy' has %ld rows, but '%s.npy' has %ld", path,
                                m->name, m->array.n_rows, names[0], p->n);
        }
        p->in[j] = (col_src){.a = &m->array, .col = 0,
                             .where = iv_xasprintf("member '%s.npy' (input '%s')", m->name,
                                                   names[j])};
    }
    for (int i = 0; i < z->n; i++) {
        const iv_npz_member *m = &z->members[i];
        if (is_input_name(m->name, n_inputs, names))
            continue;
        if (m->array.ndim != 1 || m->array.n_rows != p->n) {
            char shape[64];
            shape_str(shape, sizeof shape, &m->array);
            return iv_error_set(err, "%s: member '%s.npy' has shape %s, but labels must be 1-D "
                                "with %ld rows like the inputs", path, m->name, shape, p->n);
        }
        plan_add_label(p, &m->array, 0,
                       iv_xasprintf("member '%s.npy' (label '%s')", m->name, m->name),
                       iv_xstrdup(m->name));
    }
    return 0;
}

/* Copies every planned column into a new dataset, refusing values that are not finite (or that
 * overflow float32, for inputs). */
static iv_dataset *plan_fill(const char *path, const npy_plan *p, iv_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "a dataset of %ld examples", p->n);
    float *x = iv_big_alloc((size_t)p->n * (size_t)p->d, sizeof(float), what, err); /* (n, d) */
    double *labels = x && p->n_labels ? iv_big_alloc((size_t)p->n * (size_t)p->n_labels,
                                                     sizeof(double), what, err)
                                      : NULL;
    if (!x || (p->n_labels && !labels)) {
        free(x);
        iv_error_prefix(err, "%s", path);
        return NULL;
    }
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->n = p->n;
    ds->d = p->d;
    ds->x = x;
    ds->spec = iv_xasprintf("load %s", path);
    if (p->n_labels) {
        ds->labels = labels;
        ds->label_names = iv_xcalloc((size_t)p->n_labels, sizeof(char *));
        ds->n_labels = p->n_labels;
        for (int k = 0; k < p->n_labels; k++)
            ds->label_names[k] = iv_xstrdup(p->lab[k].label);
    }
    for (long r = 0; r < p->n; r++) {
        for (int j = 0; j < p->d + p->n_labels; j++) {
            const col_src *s = j < p->d ? &p->in[j] : &p->lab[j - p->d];
            double v = s->a->data[r * s->a->n_cols + s->col];
            bool ok = isfinite(v) && (j >= p->d || isfinite((float)v));
            if (!ok) {
                iv_error_set(err, "%s: row %ld, %s: %g is not a finite %s (rows and columns "
                             "count from 0)", path, r, s->where, v,
                             isfinite(v) ? "float32" : "number");
                iv_dataset_free(ds);
                return NULL;
            }
            if (j < p->d)
                ds->x[r * p->d + j] = (float)v;
            else
                ds->labels[r * p->n_labels + (j - p->d)] = v;
        }
    }
    return ds;
}

/* Zip archives start with a local file header ("PK\3\4") or, when empty, the end record. */
static int sniff_zip(const char *path, bool *is_zip, iv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return iv_error_set(err, "%s: %s", path, strerror(errno));
    unsigned char head[4] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    *is_zip = got == 4 && head[0] == 'P' && head[1] == 'K' &&
              ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    return 0;
}

iv_dataset *iv_dataset_load_npy(const char *path, int n_inputs, char *const *input_names,
                                iv_error *err)
{
    bool is_zip = false;
    if (sniff_zip(path, &is_zip, err) != 0)
        return NULL;
    npy_plan p = {.d = n_inputs};
    p.in = iv_xcalloc((size_t)n_inputs + 1, sizeof *p.in);
    iv_npy_array a = {0};
    iv_npz z = {0};
    int rc;
    if (!is_zip) {
        rc = iv_npy_read(path, &a, err);
        if (rc == 0)
            rc = plan_npy(path, &a, n_inputs, input_names, &p, err);
    } else {
        rc = iv_npz_read(path, &z, err);
        if (rc == 0) {
            /* "X" (with "y") is the layout unless members are named after inputs; an input
             * called "y" does not count, since "y" is also the label that accompanies "X". */
            bool named = is_input_name("X", n_inputs, input_names);
            for (int j = 0; j < n_inputs; j++)
                named = named || (strcmp(input_names[j], "y") != 0 &&
                                  iv_npz_find(&z, input_names[j]));
            if (named || !iv_npz_find(&z, "X"))
                rc = plan_npz_named(path, &z, n_inputs, input_names, &p, err);
            else
                rc = plan_npz_X(path, &z, n_inputs, input_names, &p, err);
        }
    }
    iv_dataset *ds = rc == 0 ? plan_fill(path, &p, err) : NULL;
    plan_free(&p);
    iv_npy_free(&a);
    iv_npz_free(&z);
    return ds;
}
