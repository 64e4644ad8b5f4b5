/* files.c - whole files in (as large blocks within the memory budget) and whole files out. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"

/* ---- reading ----------------------------------------------------------------------------------- */

/* Reads a whole file into a buffer with a NUL after its last byte; text files may not hold NULs.
 * The buffer is a large block (budget.h): it is sized from the file, and grows only if the file
 * does while it is read. */
static char *read_whole(const char *path, size_t max_bytes, bool text, size_t *len, iv_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        iv_error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    char what[300];
    snprintf(what, sizeof what, "reading %s", path);
    char *buf = iv_big_alloc(cap, 1, what, err);
    size_t used = 0;
    if (!buf)
        goto fail;
    for (;;) {
        size_t got = fread(buf + used, 1, cap - 1 - used, f);
        if (text && memchr(buf + used, 0, got)) {
            iv_error_set(err, "%s: not a text file (contains a NUL byte)", path);
            goto fail;
        }
        used += got;
        if (used < cap - 1)
            break; /* the end, or an error */
        int c = fgetc(f); /* the buffer is full: is there more? */
        if (c == EOF)
            break;
        if (used + 1 > max_bytes) {
            iv_error_set(err, "%s: file is larger than %zu bytes", path, max_bytes);
            goto fail;
        }
        char *grown = iv_big_realloc(buf, 2 * cap, 1, what, err);
        if (!grown)
            goto fail;
        buf = grown;
        cap *= 2;
        ungetc(c, f);
    }
    if (ferror(f)) {
        iv_error_set(err, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
fail:
    fclose(f);
    free(buf);
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

/* ---- paths ------------------------------------------------------------------------------------- */

char *iv_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return iv_xstrdup(".");
    if (slash == path)
        return iv_xstrdup("/");
    return iv_xasprintf("%.*s", (int)(slash - path), path);
}

char *iv_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return iv_xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
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
    char *dir = iv_path_dir(path);
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
