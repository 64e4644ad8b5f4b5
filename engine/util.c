/* util.c - errors, allocation wrappers, arenas, string buffers and number parsing. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------------------------------- */

int iv_error_set(iv_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void iv_error_prefix(iv_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Assemble by hand, never overrunning the buffer. When prefixes pile up (a load inside a
     * load), the middle gives way: the outermost context and the innermost reason both stay. */
    size_t cap = sizeof err->msg - 1, p = strlen(prefix), rest = strlen(old);
    if (p > cap / 2)
        p = cap / 2;
    char *out = err->msg;
    memcpy(out, prefix, p);
    memcpy(out + p, ": ", 2);
    out += p + 2;
    size_t room = cap - p - 2;
    if (rest <= room) {
        memcpy(out, old, rest + 1);
        return;
    }
    static const char gap[] = " ... ";
    size_t head = (room - (sizeof gap - 1)) / 3, tail = room - (sizeof gap - 1) - head;
    memcpy(out, old, head);
    memcpy(out + head, gap, sizeof gap - 1);
    memcpy(out + head + sizeof gap - 1, old + rest - tail, tail);
    out[room] = '\0';
}

/* ---- allocation ------------------------------------------------------------------------------ */

/* The one piece of process-wide state: set once by a front end before anything else runs. */
static void (*fatal_hook)(void);

void iv_set_fatal_hook(void (*hook)(void)) { fatal_hook = hook; }

static void out_of_memory(size_t n)
{
    if (fatal_hook)
        fatal_hook();
    fprintf(stderr, "intervene: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *iv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *iv_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *iv_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *iv_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(iv_xmalloc(n), s, n);
}

char *iv_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = iv_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- arena ----------------------------------------------------------------------------------- */

/* A linked list of chunks; big requests get a chunk of their own. */
typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} chunk;

struct iv_arena {
    chunk *head;
};

#define ARENA_CHUNK (64 * 1024)

iv_arena *iv_arena_new(void) { return iv_xcalloc(1, sizeof(iv_arena)); }

void *iv_arena_alloc(iv_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = iv_xmalloc(sizeof(chunk) + size);
        c->used = 0;
        c->size = size;
        /* Keep a partly used small chunk at the head so later small requests still fit in it. */
        if (a->head && n > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *iv_arena_strdup(iv_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(iv_arena_alloc(a, n), s, n);
}

void iv_arena_free(iv_arena *a)
{
    if (!a)
        return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

/* ---- string buffer --------------------------------------------------------------------------- */

void iv_buf_append(iv_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = iv_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void iv_buf_printf(iv_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof small) {
        iv_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = iv_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    iv_buf_append(b, big, (size_t)n);
    free(big);
}

void iv_buf_free(iv_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- numbers --------------------------------------------------------------------------------- */

int iv_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int iv_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

void iv_format_number(char *buf, size_t n, double v)
{
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "inf" : "-inf");
        return;
    }
    /* float32 carries about 7 significant digits; print no more than that, and no "-0". */
    if (v == 0)
        v = 0;
    snprintf(buf, n, "%.7g", v);
}

/* ---- files ----------------------------------------------------------------------------------- */

/* Reads a whole file into a buffer with a NUL after its last byte; text files may not hold NULs. */
static char *read_whole(const char *path, size_t max_bytes, bool text, size_t *len, iv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        iv_error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    iv_buf b = {0};
    char piece[65536];
    size_t got;
    while ((got = fread(piece, 1, sizeof piece, f)) > 0) {
        if (b.len + got > max_bytes) {
            iv_error_set(err, "%s: file is larger than %zu bytes", path, max_bytes);
            goto fail;
        }
        if (text && memchr(piece, 0, got)) {
            iv_error_set(err, "%s: not a text file (contains a NUL byte)", path);
            goto fail;
        }
        iv_buf_append(&b, piece, got);
    }
    if (ferror(f)) {
        iv_error_set(err, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    if (!b.data)
        iv_buf_append(&b, "", 0);
    if (len)
        *len = b.len;
    return b.data;
fail:
    fclose(f);
    iv_buf_free(&b);
    return NULL;
}

char *iv_read_file(const char *path, size_t max_bytes, size_t *len, iv_error *err)
{
    return read_whole(path, max_bytes, true, len, err);
}

void *iv_read_binary(const char *path, size_t max_bytes, size_t *len, iv_error *err)
{
    return read_whole(path, max_bytes, false, len, err);
}

/* ---- writing a file all at once -------------------------------------------------------------- */

FILE *iv_atomic_open(iv_atomic_file *a, const char *path, iv_error *err)
{
    memset(a, 0, sizeof *a);
    const char *slash = strrchr(path, '/');
    /* A hidden name beside the file, so that the rename stays within one file system. */
    a->temp = slash ? iv_xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
                    : iv_xasprintf(".%s.XXXXXX", path);
    int fd = mkstemp(a->temp);
    if (fd < 0) {
        iv_error_set(err, "%s: cannot open for writing: %s", path, strerror(errno));
        free(a->temp);
        a->temp = NULL;
        return NULL;
    }
    /* mkstemp makes the file private; give it the mode a plain create would (or the old file's). */
    struct stat old;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, stat(path, &old) == 0 ? old.st_mode & 07777 : 0666 & ~mask);
    a->f = fdopen(fd, "w");
    if (!a->f) {
        iv_error_set(err, "%s: cannot open for writing: %s", path, strerror(errno));
        close(fd);
        unlink(a->temp);
        free(a->temp);
        a->temp = NULL;
        return NULL;
    }
    a->path = iv_xstrdup(path);
    return a->f;
}

void iv_atomic_abort(iv_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    if (a->temp)
        unlink(a->temp);
    free(a->temp);
    free(a->path);
    memset(a, 0, sizeof *a);
}

/* Syncs the folder that holds path, so that the rename itself survives a power cut. */
static void sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? iv_xasprintf("%.*s", slash == path ? 1 : (int)(slash - path), path)
                      : iv_xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int iv_atomic_commit(iv_atomic_file *a, iv_error *err)
{
    int rc = 0;
    if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
        rc = iv_error_set(err, "%s: write error: %s", a->path, strerror(errno));
    if (fclose(a->f) != 0 && rc == 0)
        rc = iv_error_set(err, "%s: write error: %s", a->path, strerror(errno));
    a->f = NULL;
    if (rc == 0 && rename(a->temp, a->path) != 0)
        rc = iv_error_set(err, "%s: cannot replace it: %s", a->path, strerror(errno));
    if (rc == 0)
        sync_folder(a->path);
    else
        unlink(a->temp);
    free(a->temp);
    free(a->path);
    memset(a, 0, sizeof *a);
    return rc;
}

int iv_write_file_atomic(const char *path, const char *data, size_t len, iv_error *err)
{
    iv_atomic_file a;
    FILE *f = iv_atomic_open(&a, path, err);
    if (!f)
        return -1;
    if (fwrite(data, 1, len, f) != len) {
        iv_error_set(err, "%s: write error: %s", path, strerror(errno));
        iv_atomic_abort(&a);
        return -1;
    }
    return iv_atomic_commit(&a, err);
}
