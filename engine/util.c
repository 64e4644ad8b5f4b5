/* util.c - errors, allocation wrappers, arenas, string buffers and number parsing. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int iv_parse_number_list(const char *key, const char *val, long most, double **out, int *n,
                         iv_error *err)
{
    free(*out);
    *out = NULL;
    *n = 0;
    for (const char *p = val; *p;) {
        size_t len = strcspn(p, ",");
        char num[64];
        double v;
        snprintf(num, sizeof num, "%.*s", (int)(len < sizeof num ? len : sizeof num - 1), p);
        if (len >= sizeof num || iv_parse_double(num, &v) < 0)
            return iv_error_set(err, "%s=: '%s' is not a finite number", key, num);
        if (*n >= most)
            return iv_error_set(err, "%s=: more than %ld numbers", key, most);
        if ((*n & (*n - 1)) == 0) /* grown by doubling: at 0, 1, 2, 4, ... */
            *out = iv_xrealloc(*out, sizeof(double) * (size_t)(*n ? 2 * *n : 1));
        (*out)[(*n)++] = v;
        p += len + (p[len] == ',');
    }
    return 0;
}
