/* files.h - reading a whole file, and writing one so that it is never left half written. */
#ifndef IV_FILES_H
#define IV_FILES_H

#include <stdio.h>

#include "util.h"

/* ---- reading a whole file --------------------------------------------------------------------- */

/* Reads a file into a NUL-terminated buffer; fails (naming the file) on I/O errors, on embedded NUL
 * bytes and on files larger than max_bytes. */
char *iv_read_file(const char *path, size_t max_bytes, size_t *len, iv_error *err);
/* The same for binary files (NUL bytes allowed); the buffer still ends with an extra NUL. */
void *iv_read_binary(const char *path, size_t max_bytes, size_t *len, iv_error *err);

/* ---- paths ------------------------------------------------------------------------------------- */

/* The directory part of a path: "a/b/c" -> "a/b", "c" -> ".", "/c" -> "/". Caller frees. */
char *iv_path_dir(const char *path);
/* dir/name, with no second '/' when dir ends in one. Caller frees. */
char *iv_path_join(const char *dir, const char *name);

/* ---- writing a file all at once -------------------------------------------------------------- */

/* A file written so that a crash, a kill or a full disk never leaves it empty or half written: the
 * data goes to a temporary file in the same folder, which is flushed to disk (fsync) and renamed over
 * the old file only when complete. Readers see the old file or the new one, never a mixture. */
typedef struct iv_atomic_file {
    FILE *f;          /* write here */
    char *path;       /* the file to replace */
    char *temp;       /* the temporary file beside it */
} iv_atomic_file;

/* Opens the temporary file; returns its stream, or NULL with a message naming path. */
FILE *iv_atomic_open(iv_atomic_file *a, const char *path, iv_error *err);
/* Flushes, syncs and renames it over the path; on any error the old file is kept and the temporary
 * one removed. Returns 0 or -1 with a message. */
int iv_atomic_commit(iv_atomic_file *a, iv_error *err);
/* Throws the temporary file away (after an error while writing it). */
void iv_atomic_abort(iv_atomic_file *a);
/* The whole of data as the new contents of path. */
int iv_write_file_atomic(const char *path, const char *data, size_t len, iv_error *err);

#endif
