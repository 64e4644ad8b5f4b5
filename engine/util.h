/* util.h - errors, allocation, arenas and small string helpers shared by the whole engine.
 *
 * The engine never prints and never exits. Functions that can fail return a status (0 on success,
 * -1 on failure) or NULL, and fill an iv_error whose message names the file and line (for input
 * files) or the argument (for commands). Only the allocation wrappers abort, after calling the hook
 * a front end installs to restore the terminal. */
#ifndef IV_UTIL_H
#define IV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- errors ---------------------------------------------------------------------------------- */

typedef struct iv_error {
    char msg[512];
} iv_error;

/* Formats a message into err (when err is not NULL). Always returns -1, so that
 * `return iv_error_set(err, ...);` reads as one step. */
int iv_error_set(iv_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to an existing message (used to add a file:line or a command name). */
void iv_error_prefix(iv_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- allocation: abort on exhaustion, after the front end's hook ---------------------------- */

void iv_set_fatal_hook(void (*hook)(void)); /* e.g. endwin() before the abort message */
void *iv_xmalloc(size_t n);
void *iv_xcalloc(size_t count, size_t size);
void *iv_xrealloc(void *p, size_t n);
char *iv_xstrdup(const char *s);
char *iv_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- arena: many small allocations freed together (a model owns one) ------------------------- */

typedef struct iv_arena iv_arena;
iv_arena *iv_arena_new(void);
void *iv_arena_alloc(iv_arena *a, size_t n); /* zeroed, 16-byte aligned */
char *iv_arena_strdup(iv_arena *a, const char *s);
void iv_arena_free(iv_arena *a);

/* ---- growable string buffer ------------------------------------------------------------------- */

typedef struct iv_buf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len, cap;
} iv_buf;
void iv_buf_append(iv_buf *b, const char *s, size_t n);
void iv_buf_printf(iv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void iv_buf_free(iv_buf *b);

/* ---- numbers ---------------------------------------------------------------------------------- */

/* Parses a whole string as a finite number; returns 0 or -1 (not a number, trailing junk, NaN, Inf,
 * or out of range). */
int iv_parse_double(const char *s, double *out);
/* Parses a whole string as an integer in [lo, hi]. */
int iv_parse_int(const char *s, long lo, long hi, long *out);
/* Parses numbers separated by commas, the value of an option key= (basis=0.6,-0.8), into a fresh
 * array (the old *out freed); *n gets how many. At most `most` numbers; messages name the key. */
int iv_parse_number_list(const char *key, const char *val, long most, double **out, int *n,
                         iv_error *err);

/* Formats a float32-derived value with the precision float32 carries: 5, 8.99, 1.818182, -0.5. */
void iv_format_number(char *buf, size_t n, double v);

#endif
