/* test_npy.c - NumPy .npy/.npz reading: the committed fixtures (written by
 * tests/fixtures/make_npy_fixtures.py) checked value by value, a hostile corpus written here into a
 * temporary directory, each with the error it must produce, and datasets built from both layouts.
 * Fixture paths are relative to the environment variable `srcdir` (default "."). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, when config.h has not asked for more */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "formats/npy.h"

static char *const xy[] = {"x", "y"};
static char *const x_only[] = {"x"};

/* The 3 x 2 table every 2-D float fixture holds. */
static const double BASE[3][2] = {{0.5, -1.25}, {2.0, 3.75}, {-4.5, 8.0}};

static char *fixture(const char *name)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    return iv_xasprintf("%s/tests/fixtures/%s", srcdir, name);
}

static void check_base(const iv_npy_array *a)
{
    assert_int_equal(a->ndim, 2);
    assert_int_equal(a->n_rows, 3);
    assert_int_equal(a->n_cols, 2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            assert_true(a->data[i * 2 + j] == BASE[i][j]);
}

static void read_base(const char *name)
{
    char *path = fixture(name);
    iv_npy_array a;
    iv_error err = {{0}};
    int rc = iv_npy_read(path, &a, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    check_base(&a);
    iv_npy_free(&a);
    free(path);
}

/* ---- fixtures -------------------------------------------------------------------------------- */

static void test_f4_c_order(void **state)
{
    (void)state;
    read_base("npy_f4_c.npy");
}

static void test_f8_fortran_order(void **state)
{
    (void)state;
    read_base("npy_f8_fortran.npy");
}

static void test_f8_big_endian(void **state)
{
    (void)state;
    read_base("npy_f8_big.npy");
}

static void test_version_2(void **state)
{
    (void)state;
    read_base("npy_v2.npy");
}

static void test_int64(void **state)
{
    (void)state;
    char *path = fixture("npy_i8.npy");
    iv_npy_array a;
    iv_error err = {{0}};
    assert_int_equal(iv_npy_read(path, &a, &err), 0);
    assert_int_equal(a.n_rows, 2);
    assert_int_equal(a.n_cols, 3);
    const double want[] = {1, -2, 7, 3, -4, 9};
    for (int k = 0; k < 6; k++)
        assert_true(a.data[k] == want[k]);
    iv_npy_free(&a);
    free(path);
}

static void test_one_dimensional(void **state)
{
    (void)state;
    char *path = fixture("npy_1d.npy");
    iv_npy_array a;
    iv_error err = {{0}};
    assert_int_equal(iv_npy_read(path, &a, &err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.n_rows, 4);
    assert_int_equal(a.n_cols, 1);
    const double want[] = {1.5, -2.5, 0.25, 4.0};
    for (int k = 0; k < 4; k++)
        assert_true(a.data[k] == want[k]);
    iv_npy_free(&a);
    free(path);
}

static void check_npz_xy(const char *name)
{
    char *path = fixture(name);
    iv_npz z;
    iv_error err = {{0}};
    int rc = iv_npz_read(path, &z, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(z.n, 3);
    const iv_npz_member *x = iv_npz_find(&z, "x"), *y = iv_npz_find(&z, "y"),
                        *label = iv_npz_find(&z, "label");
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(label);
    assert_null(iv_npz_find(&z, "x.npy"));
    for (int i = 0; i < 3; i++) {
        assert_true(x->array.data[i] == BASE[i][0]);
        assert_true(y->array.data[i] == BASE[i][1]);
        assert_true(label->array.data[i] == (i != 1));
    }
    iv_npz_free(&z);
    free(path);
}

static void test_npz_stored(void **state)
{
    (void)state;
    check_npz_xy("npz_xy.npz");
}

static void test_npz_compressed(void **state)
{
    (void)state;
    check_npz_xy("npz_xy_compressed.npz");
}

/* ---- hostile corpus -------------------------------------------------------------------------- */

typedef struct tmp {
    char dir[64];
    char *files[64];
    int n_files;
} tmp;

static int tmp_setup(void **state)
{
    tmp *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/iv_test_npy_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    tmp *t = *state;
    for (int i = 0; i < t->n_files; i++) {
        unlink(t->files[i]);
        free(t->files[i]);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Writes bytes to DIR/name and returns the path (owned by the fixture). */
static const char *write_bytes(tmp *t, const char *name, const void *data, size_t len)
{
    assert_true(t->n_files < 64);
    char *path = iv_xasprintf("%s/%s", t->dir, name);
    t->files[t->n_files++] = path;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* A .npy image: magic, version, header length, the header text as given, then data. */
static unsigned char *make_npy(int major, const char *header, const void *data, size_t data_len,
                               size_t *len)
{
    size_t hlen = strlen(header), prefix = major == 1 ? 10 : 12;
    *len = prefix + hlen + data_len;
    unsigned char *buf = iv_xmalloc(*len);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    if (major > 1) {
        buf[10] = (unsigned char)(hlen >> 16);
        buf[11] = (unsigned char)(hlen >> 24);
    }
    memcpy(buf + prefix, header, hlen);
    if (data_len)
        memcpy(buf + prefix + hlen, data, data_len);
    return buf;
}

static const char *write_npy(tmp *t, const char *name, const char *header, const void *data,
                             size_t data_len)
{
    size_t len;
    unsigned char *buf = make_npy(1, header, data, data_len, &len);
    const char *path = write_bytes(t, name, buf, len);
    free(buf);
    return path;
}

static void expect_npy_error(const char *path, const char *want)
{
    iv_npy_array a;
    iv_error err = {{0}};
    assert_int_equal(iv_npy_read(path, &a, &err), -1);
    assert_null(a.data);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("expected '%s' naming %s, got: %s", want, path, err.msg);
}

static void test_hostile_npy(void **state)
{
    tmp *t = *state;
    const double two[2] = {1, 2};
    expect_npy_error(write_bytes(t, "empty.npy", "", 0), "bad magic");
    expect_npy_error(write_bytes(t, "magic.npy", "NOTNUMPY\1\0", 10), "bad magic");
    expect_npy_error(write_bytes(t, "short.npy", "\x93NUMPY", 6), "truncated header");
    expect_npy_error(write_bytes(t, "nolen.npy", "\x93NUMPY\1\0\5", 9), "truncated header");
    expect_npy_error(write_bytes(t, "cut.npy", "\x93NUMPY\1\0\x64\0{'descr'", 17),
                     "truncated header");
    expect_npy_error(write_bytes(t, "long.npy", "\x93NUMPY\2\0\0\0\x20\0{", 13),
                     "header too long");
    expect_npy_error(write_bytes(t, "v4.npy", "\x93NUMPY\4\0\2\0{}", 12),
                     "unsupported .npy format version 4.0");
    expect_npy_error(
        write_npy(t, "3d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }",
                  two, sizeof two),
        "more than 2 dimensions");
    expect_npy_error(
        write_npy(t, "0d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", two, 8),
        "0-dimensional");
    expect_npy_error(
        write_npy(t, "obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", two,
                  sizeof two),
        "object arrays");
    expect_npy_error(write_npy(t, "rec.npy",
                               "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }",
                               two, sizeof two),
                     "structured dtypes");
    expect_npy_error(
        write_npy(t, "f2.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", two,
                  4),
        "unsupported dtype '<f2'");
    expect_npy_error(write_npy(t, "huge.npy",
                               "{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (9223372036854775807, 9223372036854775807), }",
                               two, sizeof two),
                     "too large");
    expect_npy_error(write_npy(t, "huge1.npy",
                               "{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (2305843009213693952,), }",
                               two, sizeof two),
                     "too large");
    expect_npy_error(
        write_npy(t, "digits.npy",
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                  two, sizeof two),
        "overflows");
    expect_npy_error(
        write_npy(t, "data.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 2), }",
                  two, 8),
        "truncated data");
    expect_npy_error(
        write_npy(t, "extra.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                  two, sizeof two),
        "unexpected bytes after the data");
    expect_npy_error(
        write_npy(t, "comma.npy", "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}", two,
                  sizeof two),
        "expected ',' or '}'");
    expect_npy_error(write_npy(t, "open.npy", "{'descr': '<f8', ", two, sizeof two),
                     "expected a quoted key");
    expect_npy_error(write_npy(t, "quote.npy", "{'descr: '<f8'}", two, sizeof two),
                     "expected ':'");
    expect_npy_error(write_npy(t, "unterm.npy", "{'descr", two, sizeof two), "unterminated string");
    expect_npy_error(
        write_npy(t, "missing.npy", "{'descr': '<f8', 'shape': (2,)}", two, sizeof two),
        "no 'fortran_order' key");
    expect_npy_error(
        write_npy(t, "unknown.npy",
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", two,
                  sizeof two),
        "unknown key 'x'");
    expect_npy_error(
        write_npy(t, "twice.npy",
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", two,
                  sizeof two),
        "'shape' given twice");
    expect_npy_error(
        write_npy(t, "bool.npy", "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}", two,
                  sizeof two),
        "expected True or False");
    expect_npy_error(
        write_npy(t, "junk.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x", two,
                  sizeof two),
        "unexpected text after '}'");
    expect_npy_error(
        write_npy(t, "neg.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", two,
                  sizeof two),
        "expected a non-negative integer");
    expect_npy_error(write_npy(t, "nul.npy", "{'descr': '<f8'\0}", two, sizeof two),
                     "expected ',' or '}'");
    char *missing = iv_xasprintf("%s/no-such-file.npy", t->dir);
    expect_npy_error(missing, "No such file");
    free(missing);
}

/* A .npz written with libzip, so that broken members can be put in it. */
static const char *write_zip(tmp *t, const char *name, int n, const char *const *members,
                             unsigned char *const *data, const size_t *lens)
{
    char *path = iv_xasprintf("%s/%s", t->dir, name);
    t->files[t->n_files++] = path;
    int code;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    assert_non_null(za);
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(za, data[i], lens[i], 0);
        assert_non_null(src);
        assert_true(zip_file_add(za, members[i], src, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    return path;
}

static void expect_npz_error(const char *path, const char *want)
{
    iv_npz z;
    iv_error err = {{0}};
    assert_int_equal(iv_npz_read(path, &z, &err), -1);
    assert_int_equal(z.n, 0);
    assert_null(z.members);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("expected '%s' naming %s, got: %s", want, path, err.msg);
}

static void test_hostile_npz(void **state)
{
    tmp *t = *state;
    const double two[2] = {1, 2};
    size_t lens[2];
    unsigned char *data[2];
    data[0] = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", two,
                       sizeof two, &lens[0]);
    data[1] = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", two,
                       sizeof two, &lens[1]);
    const char *names_bad[] = {"x.npy", "y.npy"};
    expect_npz_error(write_zip(t, "trunc.npz", 2, names_bad, data, lens),
                     "member 'y.npy': truncated data");
    const char *names_txt[] = {"x.npy", "readme.txt"};
    expect_npz_error(write_zip(t, "txt.npz", 2, names_txt, data, lens),
                     "member 'readme.txt' is not a .npy file");
    /* A deflated member with a flipped byte must fail its CRC, not parse as other numbers. */
    char *good = fixture("npz_xy_compressed.npz");
    FILE *f = fopen(good, "rb");
    assert_non_null(f);
    unsigned char zbuf[4096];
    size_t zlen = fread(zbuf, 1, sizeof zbuf, f);
    fclose(f);
    free(good);
    zbuf[200] ^= 0xff; /* inside the second member's compressed data */
    expect_npz_error(write_bytes(t, "crc.npz", zbuf, zlen), "member 'y.npy'");
    expect_npz_error(write_bytes(t, "notzip.npz", "PK\3\4garbage", 11),
                     "cannot read as a .npz archive");
    expect_npz_error(write_bytes(t, "plain.npz", "hello", 5), "cannot read as a .npz archive");
    free(data[0]);
    free(data[1]);
}

/* ---- datasets -------------------------------------------------------------------------------- */

static iv_dataset *load_ok(const char *path, int n_inputs, char *const *names)
{
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_load_npy(path, n_inputs, names, &err);
    if (!ds)
        fail_msg("%s", err.msg);
    char *spec = iv_xasprintf("load %s", path);
    assert_string_equal(ds->spec, spec);
    free(spec);
    return ds;
}

static void expect_load_error(const char *path, int n_inputs, char *const *names, const char *want)
{
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_load_npy(path, n_inputs, names, &err);
    assert_null(ds);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("expected '%s' naming %s, got: %s", want, path, err.msg);
}

static void check_base_inputs(const iv_dataset *ds)
{
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->d, 2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            assert_true(ds->x[i * 2 + j] == (float)BASE[i][j]);
}

static void test_dataset_npy(void **state)
{
    (void)state;
    char *path = fixture("npy_f8_fortran.npy");
    iv_dataset *ds = load_ok(path, 2, xy);
    check_base_inputs(ds);
    assert_int_equal(ds->n_labels, 0);
    assert_null(ds->labels);
    assert_false(ds->is_grid);
    iv_dataset_free(ds);
    /* One input: the second column becomes a label. */
    ds = load_ok(path, 1, x_only);
    assert_int_equal(ds->d, 1);
    assert_int_equal(ds->n_labels, 1);
    assert_string_equal(ds->label_names[0], "label0");
    for (int i = 0; i < 3; i++) {
        assert_true(ds->x[i] == (float)BASE[i][0]);
        assert_true(ds->labels[i] == BASE[i][1]);
    }
    iv_dataset_free(ds);
    free(path);

    path = fixture("npy_i8.npy");
    ds = load_ok(path, 2, xy);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->n_labels, 1);
    assert_string_equal(ds->label_names[0], "label0");
    assert_true(ds->x[2] == 3.0f && ds->x[3] == -4.0f);
    assert_true(ds->labels[0] == 7 && ds->labels[1] == 9);
    iv_dataset_free(ds);
    free(path);

    path = fixture("npy_1d.npy");
    ds = load_ok(path, 1, x_only);
    assert_int_equal(ds->n, 4);
    assert_true(ds->x[3] == 4.0f);
    iv_dataset_free(ds);
    expect_load_error(path, 2, xy, "a 1-D array holds one input");
    free(path);

    path = fixture("npy_f4_c.npy");
    char *const three[] = {"a", "b", "c"};
    expect_load_error(path, 3, three, "2 columns, but the model has 3 inputs");
    free(path);
}

static void test_dataset_npz(void **state)
{
    (void)state;
    const char *files[] = {"npz_xy.npz", "npz_xy_compressed.npz"};
    for (int f = 0; f < 2; f++) {
        char *path = fixture(files[f]);
        iv_dataset *ds = load_ok(path, 2, xy);
        check_base_inputs(ds);
        assert_int_equal(ds->n_labels, 1);
        assert_string_equal(ds->label_names[0], "label");
        for (int i = 0; i < 3; i++)
            assert_true(ds->labels[i] == (i != 1));
        iv_dataset_free(ds);
        /* Input order is the model's, not the archive's. */
        char *const yx[] = {"y", "x"};
        ds = load_ok(path, 2, yx);
        assert_true(ds->x[0] == (float)BASE[0][1] && ds->x[1] == (float)BASE[0][0]);
        iv_dataset_free(ds);
        char *const xz[] = {"x", "z"};
        expect_load_error(path, 2, xz, "no member 'z.npy' for input 'z'");
        free(path);
    }

    char *path = fixture("npz_X_y.npz");
    char *const ab[] = {"a", "b"};
    iv_dataset *ds = load_ok(path, 2, ab);
    check_base_inputs(ds);
    assert_int_equal(ds->n_labels, 1);
    assert_string_equal(ds->label_names[0], "y");
    assert_true(ds->labels[0] == 0 && ds->labels[1] == 1 && ds->labels[2] == 1);
    iv_dataset_free(ds);
    /* A model whose inputs are x and y still reads X, with y as the label. */
    ds = load_ok(path, 2, xy);
    check_base_inputs(ds);
    assert_string_equal(ds->label_names[0], "y");
    iv_dataset_free(ds);
    char *const abc[] = {"a", "b", "c"};
    expect_load_error(path, 3, abc, "member 'X.npy' has 2 columns, but the model has 3 inputs");
    free(path);
}

static void test_dataset_errors(void **state)
{
    tmp *t = *state;
    const double nan_row[4] = {1, 2, 3, NAN};
    expect_load_error(
        write_npy(t, "nan.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2)}",
                  nan_row, sizeof nan_row),
        2, xy, "row 1, column 1 (input 'y'): nan is not a finite number");
    const double big[2] = {1, 1e300};
    expect_load_error(
        write_npy(t, "big.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", big,
                  sizeof big),
        1, x_only, "row 1, column 0 (input 'x'): 1e+300 is not a finite float32");
    expect_load_error(
        write_npy(t, "rows0.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2)}",
                  big, 0),
        2, xy, "the array has no rows");
    expect_load_error(write_bytes(t, "bad.npy", "\x93NUMPX", 6), 1, x_only, "bad magic");

    /* .npz members of different lengths, a label of the wrong shape, a non-finite label. */
    const double v[3] = {1, 2, INFINITY};
    size_t lens[3];
    unsigned char *data[3];
    data[0] = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", v, 16,
                       &lens[0]);
    data[1] = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", v, 24,
                       &lens[1]);
    data[2] = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}", v, 16,
                       &lens[2]);
    const char *len_names[] = {"x.npy", "y.npy"};
    expect_load_error(write_zip(t, "len.npz", 2, len_names, data, lens), 2, xy,
                      "member 'y.npy' has 3 rows, but 'x.npy' has 2");
    const char *lab_names[] = {"x.npy", "w.npy", "y.npy"};
    unsigned char *lab_data[] = {data[0], data[2], data[0]};
    size_t lab_lens[] = {lens[0], lens[2], lens[0]};
    expect_load_error(write_zip(t, "lab.npz", 3, lab_names, lab_data, lab_lens), 2, xy,
                      "member 'w.npy' has shape (1, 2), but labels must be 1-D with 2 rows");
    const char *inf_names[] = {"x.npy", "w.npy"};
    unsigned char *inf_data[] = {data[0], data[1]};
    size_t inf_lens[] = {lens[0], lens[1]};
    expect_load_error(write_zip(t, "inf.npz", 2, inf_names, inf_data, inf_lens), 1, x_only,
                      "member 'w.npy' has shape (3,)");
    const double finite[3] = {1, 2, 3};
    size_t x3_len;
    unsigned char *x3 = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}",
                                 finite, sizeof finite, &x3_len);
    const char *inf2_names[] = {"x.npy", "w.npy"};
    unsigned char *inf2_data[] = {x3, data[1]};
    size_t inf2_lens[] = {x3_len, lens[1]};
    expect_load_error(write_zip(t, "inf2.npz", 2, inf2_names, inf2_data, inf2_lens), 1, x_only,
                      "row 2, member 'w.npy' (label 'w'): inf is not a finite number");
    const char *X_names[] = {"X.npy", "z.npy"};
    unsigned char *X_data[] = {data[2], data[0]};
    size_t X_lens[] = {lens[2], lens[0]};
    expect_load_error(write_zip(t, "X.npz", 2, X_names, X_data, X_lens), 2, xy,
                      "unexpected member 'z.npy' next to 'X.npy'");
    free(x3);
    for (int i = 0; i < 3; i++)
        free(data[i]);
}

/* An (n, 0) array is empty whatever n says: parsing it must not walk its n empty rows (a fuzzer
 * found the parse looping over 6.5e12 of them). Without the fix this test does not end. */
static void test_empty_rows_parse_at_once(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = make_npy(1, "{'descr': '<f8', 'fortran_order': False, "
                                     "'shape': (6525384587900, 0), }", NULL, 0, &len);
    iv_npy_array a;
    iv_error err = {{0}};
    assert_int_equal(iv_npy_parse(buf, len, "empty.npy", &a, &err), 0);
    assert_int_equal(a.n_rows, 6525384587900L);
    assert_int_equal(a.n_cols, 0);
    iv_npy_free(&a);
    free(buf);
}

/* A file with hundreds of columns more than the model's inputs is another model's data, not
 * inputs and labels: refused, naming both counts; a few extra columns are still labels. */
static void test_dataset_too_many_columns(void **state)
{
    tmp *t = *state;
    float wide[2 * 20], narrow[2 * 5];
    for (int i = 0; i < 40; i++)
        wide[i] = (float)i;
    for (int i = 0; i < 10; i++)
        narrow[i] = (float)i;
    const char *path = write_npy(t, "wide.npy",
                                 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 20), }",
                                 wide, sizeof wide);
    expect_load_error(path, 2, xy, "20 columns, but the model has 2 inputs (the columns after the "
                                   "inputs are labels, at most 16)");
    path = write_npy(t, "narrow.npy",
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 5), }", narrow,
                     sizeof narrow);
    iv_dataset *ds = load_ok(path, 2, xy);
    assert_int_equal(ds->n_labels, 3);
    iv_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f4_c_order),
        cmocka_unit_test(test_f8_fortran_order),
        cmocka_unit_test(test_f8_big_endian),
        cmocka_unit_test(test_version_2),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_one_dimensional),
        cmocka_unit_test(test_npz_stored),
        cmocka_unit_test(test_npz_compressed),
        cmocka_unit_test_setup_teardown(test_hostile_npy, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_npz, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_dataset_npy),
        cmocka_unit_test(test_dataset_npz),
        cmocka_unit_test(test_empty_rows_parse_at_once),
        cmocka_unit_test_setup_teardown(test_dataset_errors, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_dataset_too_many_columns, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
