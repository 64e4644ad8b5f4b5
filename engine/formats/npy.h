/* npy.h - NumPy .npy and .npz files: arrays read into row-major doubles, and datasets built from
 * them.
 *
 * Only what a dataset needs is supported: 1-D and 2-D arrays of floats (f4, f8), signed and
 * unsigned integers (1, 2, 4 or 8 bytes) and booleans, in either byte order and either memory
 * order, in format versions 1.0, 2.0 and 3.0. Everything else (object and structured dtypes, more
 * dimensions, float16, complex) is refused with an error naming the file. Files are treated as
 * hostile: every length and shape is checked before it is used. */
#ifndef IV_NPY_H
#define IV_NPY_H

#include "dataset.h"
#include "util.h"

#define IV_NPY_MAX_HEADER ((size_t)1 << 20) /* header dict bytes */
#define IV_NPY_MAX_BYTES ((size_t)1 << 30)  /* one .npy file or .npz member */

typedef struct iv_npy_array {
    int ndim;      /* as stored: 1 or 2 */
    long n_rows;   /* shape[0] */
    long n_cols;   /* shape[1], or 1 for a 1-D array */
    double *data;  /* (n_rows, n_cols) row-major, whatever the file's order and byte order */
} iv_npy_array;

typedef struct iv_npz_member {
    char *name;    /* the member's name without ".npy", e.g. "x" */
    iv_npy_array array;
} iv_npz_member;

typedef struct iv_npz {
    int n;
    iv_npz_member *members; /* (n) in archive order */
} iv_npz;

/* Parses an in-memory .npy image; name is what error messages call it ("a.npz: x.npy").
 * On failure out is left empty (nothing to free). */
int iv_npy_parse(const void *data, size_t len, const char *name, iv_npy_array *out, iv_error *err);
int iv_npy_read(const char *path, iv_npy_array *out, iv_error *err);
void iv_npy_free(iv_npy_array *a);

/* Reads every NAME.npy member of a zip archive (stored or deflated), as np.savez and
 * np.savez_compressed write them. */
int iv_npz_read(const char *path, iv_npz *out, iv_error *err);
void iv_npz_free(iv_npz *z);
/* The member called name (without ".npy"), or NULL. */
const iv_npz_member *iv_npz_find(const iv_npz *z, const char *name);

/* `load FILE.npy` or `load FILE.npz` (told apart by content, not by name):
 *   .npy  a 2-D array (n, d >= n_inputs): the first n_inputs columns are the inputs in model order,
 *         further columns become labels "label0", "label1", ...; a 1-D array when n_inputs == 1
 *   .npz  one 1-D member per input, named after it (x.npy, y.npy), and any other 1-D members of
 *         the same length as labels under their own names; or a member "X" (n, n_inputs) with an
 *         optional 1-D "y" as a label
 * Inputs and labels must be finite; errors name the file, the member, the row and the column. */
iv_dataset *iv_dataset_load_npy(const char *path, int n_inputs, char *const *input_names,
                                iv_error *err);

#endif
