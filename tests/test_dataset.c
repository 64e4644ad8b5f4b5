/* test_dataset.c - the seeded generator and the three kinds of dataset: grids (order and structure),
 * samples (reproducibility and bounds) and CSV files (labels and every error). */
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

#include "dataset.h"
#include "expr.h"
#include "formats/csv.h"
#include "rng.h"

static char *const xy[] = {"x", "y"};

/* ---- rng --------------------------------------------------------------------------------------- */

static void test_rng_reference(void **state)
{
    (void)state;
    /* The published xoshiro256** outputs for the state {1, 2, 3, 4}. */
    iv_rng r = {.s = {1, 2, 3, 4}};
    assert_true(iv_rng_next(&r) == 11520);
    assert_true(iv_rng_next(&r) == 0);
    assert_true(iv_rng_next(&r) == 1509978240);
    assert_true(iv_rng_next(&r) == 1215971899390074240ULL);
    /* Seeding through splitmix64 is part of the contract too: seed 42 must never change. */
    iv_rng_seed(&r, 42);
    assert_true(iv_rng_next(&r) == 0x15780b2e0c2ec716ULL);
    assert_true(iv_rng_next(&r) == 0x6104d9866d113a7eULL);
    assert_true(iv_rng_next(&r) == 0xae17533239e499a1ULL);
}

static void test_rng_streams(void **state)
{
    (void)state;
    iv_rng a, b, c;
    iv_rng_seed(&a, 7);
    iv_rng_seed(&b, 7);
    iv_rng_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t va = iv_rng_next(&a), vb = iv_rng_next(&b), vc = iv_rng_next(&c);
        assert_true(va == vb);
        differ += va != vc;
    }
    assert_true(differ > 990);
    /* Re-seeding also forgets a cached normal. */
    iv_rng_seed(&a, 3);
    double first = iv_rng_normal(&a);
    iv_rng_seed(&a, 3);
    assert_true(iv_rng_normal(&a) == first);
}

static void test_rng_uniform(void **state)
{
    (void)state;
    iv_rng r;
    iv_rng_seed(&r, 1);
    const int n = 100000;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double u = iv_rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    /* The mean's standard error is sqrt(1/12 / n); five of them cannot flake. */
    assert_true(fabs(sum / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
}

static void test_rng_normal(void **state)
{
    (void)state;
    iv_rng r;
    iv_rng_seed(&r, 2);
    const int n = 100000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; i++) {
        double v = iv_rng_normal(&r);
        assert_true(isfinite(v));
        sum += v;
        sum2 += v * v;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    /* Standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance. */
    assert_true(fabs(mean) < 5 / sqrt(n));
    assert_true(fabs(var - 1) < 5 * sqrt(2.0 / n));
}

static void test_rng_below(void **state)
{
    (void)state;
    iv_rng r;
    iv_rng_seed(&r, 3);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = iv_rng_below(&r, 7);
        assert_true(v < 7);
        counts[v]++;
    }
    /* Each count is binomial(70000, 1/7): mean 10000, standard deviation about 93. */
    for (int k = 0; k < 7; k++)
        assert_true(abs(counts[k] - 10000) < 5 * 93);
    for (int i = 0; i < 100; i++)
        assert_true(iv_rng_below(&r, 1) == 0);
    uint64_t big = (UINT64_C(1) << 63) + 1; /* rejects almost half of all draws */
    for (int i = 0; i < 100; i++)
        assert_true(iv_rng_below(&r, big) < big);
    assert_true(iv_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static iv_dataset *spec_ok(const char *spec)
{
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_from_spec(spec, 2, xy, 99, &err);
    if (!ds)
        fail_msg("'%s' failed: %s", spec, err.msg);
    return ds;
}

static void spec_fails(const char *spec, const char *msg)
{
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_from_spec(spec, 2, xy, 99, &err);
    if (ds) {
        iv_dataset_free(ds);
        fail_msg("'%s' should have failed", spec);
    }
    assert_string_equal(err.msg, msg);
}

/* The spec must rebuild exactly the same examples. */
static void assert_rebuilds(const iv_dataset *ds)
{
    iv_dataset *again = spec_ok(ds->spec);
    assert_string_equal(again->spec, ds->spec);
    assert_int_equal(again->n, ds->n);
    assert_memory_equal(again->x, ds->x, (size_t)ds->n * (size_t)ds->d * sizeof(float));
    iv_dataset_free(again);
}

/* ---- grid -------------------------------------------------------------------------------------- */

static void test_grid_order(void **state)
{
    (void)state;
    iv_dataset *ds = spec_ok("grid x=0:10:1 y=0:10");
    assert_string_equal(ds->spec, "grid x=0:10:1 y=0:10:1");
    assert_int_equal(ds->n, 121);
    assert_int_equal(ds->d, 2);
    assert_true(ds->is_grid);
    assert_int_equal(ds->grid_count[0], 11);
    assert_int_equal(ds->grid_count[1], 11);
    assert_true(ds->grid_from[0] == 0 && ds->grid_step[1] == 1);
    assert_int_equal(ds->n_labels, 0);
    assert_null(ds->labels);
    /* The first input varies fastest. */
    assert_true(ds->x[13 * 2] == 2 && ds->x[13 * 2 + 1] == 1);
    assert_true(ds->x[10 * 2] == 10 && ds->x[10 * 2 + 1] == 0);
    assert_true(ds->x[11 * 2] == 0 && ds->x[11 * 2 + 1] == 1);
    assert_true(ds->x[120 * 2] == 10 && ds->x[120 * 2 + 1] == 10);
    for (long i = 0; i < ds->n; i++) {
        assert_true(ds->x[i * 2] == (float)(i % 11));
        assert_true(ds->x[i * 2 + 1] == (float)(i / 11));
    }
    assert_rebuilds(ds);
    iv_dataset_free(ds);
}

static void test_grid_mean_relu(void **state)
{
    (void)state;
    iv_dataset *ds = spec_ok("grid x=0:10:1 y=0:10:1");
    iv_error err;
    iv_expr *e = iv_expr_parse("relu(x - y)", 2, xy, &err);
    assert_non_null(e);
    double sum = 0;
    for (long i = 0; i < ds->n; i++) {
        double vars[2] = {ds->x[i * 2], ds->x[i * 2 + 1]};
        sum += iv_expr_eval(e, vars);
    }
    /* sum over k = x - y of k (11 - k), k = 1..10, is 220. */
    assert_true(fabs(sum / ds->n - 220.0 / 121.0) < 1e-12);
    iv_expr_free(e);
    iv_dataset_free(ds);
}

static void test_grid_shapes(void **state)
{
    (void)state;
    /* Fractional steps keep their last point, and the spec follows the model's input order. */
    iv_dataset *ds = spec_ok("grid y=0:1:0.1 x=5");
    assert_string_equal(ds->spec, "grid x=5 y=0:1:0.1");
    assert_int_equal(ds->n, 11);
    assert_int_equal(ds->grid_count[0], 1);
    assert_int_equal(ds->grid_count[1], 11);
    assert_true(ds->x[0] == 5 && ds->x[1] == 0);
    assert_true(fabsf(ds->x[10 * 2 + 1] - 1.0f) < 1e-6f);
    assert_rebuilds(ds);
    iv_dataset_free(ds);

    /* TO need not be on the grid; it is kept as given. */
    ds = spec_ok("grid x=-1:1.5:0.5 y=2:2");
    assert_string_equal(ds->spec, "grid x=-1:1.5:0.5 y=2:2:1");
    assert_int_equal(ds->n, 6);
    assert_true(ds->x[5 * 2] == 1.5f && ds->x[5 * 2 + 1] == 2);
    iv_dataset_free(ds);

    ds = spec_ok("grid x=0:0.95:0.5 y=0.1");
    assert_string_equal(ds->spec, "grid x=0:0.95:0.5 y=0.1");
    assert_int_equal(ds->n, 2);
    assert_rebuilds(ds);
    iv_dataset_free(ds);

    /* Values that %g would round are printed in full so the spec rebuilds them. */
    ds = spec_ok("grid x=0.1234567891:1 y=0");
    assert_string_equal(ds->spec, "grid x=0.1234567891:1:1 y=0");
    iv_dataset_free(ds);
}

static void test_grid_errors(void **state)
{
    (void)state;
    spec_fails("grid x=0:10", "grid: no range for input 'y'");
    spec_fails("grid", "grid: no range for input 'x'");
    spec_fails("grid x=0:1 y=0:1 z=0:1", "grid: unknown input 'z' (inputs are x, y)");
    spec_fails("grid x=0:1 x=0:2 y=0", "grid: input 'x' given twice");
    spec_fails("grid x=0:a y=0",
               "grid: bad range 'x=0:a' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x y=0", "grid: bad range 'x' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid =1 y=0", "grid: bad range '=1' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x= y=0", "grid: bad range 'x=' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x=0:1:1:1 y=0",
               "grid: bad range 'x=0:1:1:1' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x=0::1 y=0",
               "grid: bad range 'x=0::1' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x=nan y=0",
               "grid: bad range 'x=nan' (expected NAME=FROM:TO[:STEP] or NAME=VALUE)");
    spec_fails("grid x=0:10:0 y=0", "grid: step must be positive in 'x=0:10:0'");
    spec_fails("grid x=0:10:-1 y=0", "grid: step must be positive in 'x=0:10:-1'");
    spec_fails("grid x=10:0 y=0", "grid: range 'x=10:0' runs backwards (TO must be >= FROM)");
    spec_fails("grid x=0:9999 y=0:9999",
               "grid: 100000000 points is more than the limit of 10000000");
    spec_fails("grid x=0:1e10 y=0:1e10", "grid: 1e+20 points is more than the limit of 10000000");
    spec_fails("grid x=0:1e38:1e-300 y=0", "grid: too many points (the limit is 10000000)");
}

/* ---- sample ------------------------------------------------------------------------------------ */

static void test_sample(void **state)
{
    (void)state;
    iv_dataset *a = spec_ok("sample 1000 x=0:10 y=-1:1 seed=7");
    assert_string_equal(a->spec, "sample 1000 x=0:10 y=-1:1 seed=7");
    assert_int_equal(a->n, 1000);
    assert_false(a->is_grid);
    assert_null(a->grid_count);
    double sum_x = 0;
    for (long i = 0; i < a->n; i++) {
        assert_true(a->x[i * 2] >= 0 && a->x[i * 2] <= 10);
        assert_true(a->x[i * 2 + 1] >= -1 && a->x[i * 2 + 1] <= 1);
        sum_x += a->x[i * 2];
    }
    /* Five standard errors of the mean of U(0, 10) over 1000 draws. */
    assert_true(fabs(sum_x / 1000 - 5) < 5 * 10 / sqrt(12 * 1000.0));
    assert_rebuilds(a);

    iv_dataset *b = spec_ok("sample 1000 y=-1:1 x=0:10 seed=8");
    assert_string_equal(b->spec, "sample 1000 x=0:10 y=-1:1 seed=8");
    assert_true(memcmp(a->x, b->x, 2000 * sizeof(float)) != 0);
    iv_dataset_free(a);
    iv_dataset_free(b);

    /* Unnamed inputs come from [0, 1]; the seed defaults to the caller's. */
    a = spec_ok("sample 5 y=2:3");
    assert_string_equal(a->spec, "sample 5 x=0:1 y=2:3 seed=99");
    for (long i = 0; i < a->n; i++)
        assert_true(a->x[i * 2] >= 0 && a->x[i * 2] <= 1 && a->x[i * 2 + 1] >= 2);
    iv_dataset_free(a);

    a = spec_ok("sample 3 x=4:4 seed=18446744073709551615");
    assert_string_equal(a->spec, "sample 3 x=4:4 y=0:1 seed=18446744073709551615");
    assert_true(a->x[0] == 4 && a->x[2] == 4 && a->x[4] == 4);
    iv_dataset_free(a);

    /* The draws are the generator's uniforms, row by row. */
    a = spec_ok("sample 2 seed=5");
    iv_rng r;
    iv_rng_seed(&r, 5);
    for (int i = 0; i < 4; i++)
        assert_true(a->x[i] == (float)iv_rng_uniform(&r));
    iv_dataset_free(a);
}

static void test_sample_input_named_seed(void **state)
{
    (void)state;
    char *const names[] = {"seed"};
    iv_error err;
    iv_dataset *ds = iv_dataset_from_spec("sample 4 seed=2:3 seed=1", 1, names, 0, &err);
    assert_non_null(ds);
    assert_string_equal(ds->spec, "sample 4 seed=2:3 seed=1");
    assert_true(ds->x[0] >= 2);
    iv_dataset_free(ds);
}

static void test_sample_errors(void **state)
{
    (void)state;
    spec_fails("sample", "sample: expected a count, e.g. sample 1000 x=0:1");
    spec_fails("sample 0", "sample: bad count '0' (expected 1 to 10000000)");
    spec_fails("sample 10000001", "sample: bad count '10000001' (expected 1 to 10000000)");
    spec_fails("sample abc", "sample: bad count 'abc' (expected 1 to 10000000)");
    spec_fails("sample x=0:1", "sample: bad count 'x=0:1' (expected 1 to 10000000)");
    spec_fails("sample 10 x=0", "sample: bad range 'x=0' (expected NAME=LO:HI)");
    spec_fails("sample 10 x=0:1:2", "sample: bad range 'x=0:1:2' (expected NAME=LO:HI)");
    spec_fails("sample 10 x=0:b", "sample: bad range 'x=0:b' (expected NAME=LO:HI)");
    spec_fails("sample 10 x=1:0", "sample: range 'x=1:0' runs backwards (HI must be >= LO)");
    spec_fails("sample 10 z=0:1", "sample: unknown input 'z' (inputs are x, y)");
    spec_fails("sample 10 x=0:1 x=0:1", "sample: input 'x' given twice");
    spec_fails("sample 10 seed=abc", "sample: bad seed 'seed=abc' (expected a non-negative integer)");
    spec_fails("sample 10 seed=-1", "sample: bad seed 'seed=-1' (expected a non-negative integer)");
    spec_fails("sample 10 seed=18446744073709551616",
               "sample: bad seed 'seed=18446744073709551616' (expected a non-negative integer)");
    spec_fails("sample 10 seed=1 seed=2", "sample: seed given twice");
}

/* ---- CSV --------------------------------------------------------------------------------------- */

typedef struct tmp {
    char dir[64];
    char path[128];
} tmp;

static int tmp_setup(void **state)
{
    tmp *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/iv_test_dataset_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof t->path, "%s/data.csv", t->dir);
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    tmp *t = *state;
    unlink(t->path);
    rmdir(t->dir);
    free(t);
    return 0;
}

static const char *write_csv(void **state, const char *text)
{
    tmp *t = *state;
    FILE *f = fopen(t->path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return t->path;
}

static iv_dataset *csv_ok(void **state, const char *text)
{
    const char *path = write_csv(state, text);
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_load_csv(path, 2, xy, &err);
    if (!ds)
        fail_msg("CSV failed: %s", err.msg);
    return ds;
}

/* Loads text and checks the message, which starts with the file's path. */
static void csv_fails(void **state, const char *text, const char *msg_after_path)
{
    const char *path = write_csv(state, text);
    iv_error err = {{0}};
    iv_dataset *ds = iv_dataset_load_csv(path, 2, xy, &err);
    if (ds) {
        iv_dataset_free(ds);
        fail_msg("CSV should have failed: %s", text);
    }
    char want[512];
    snprintf(want, sizeof want, "%s%s", path, msg_after_path);
    assert_string_equal(err.msg, want);
}

static void test_csv_labels(void **state)
{
    iv_dataset *ds = csv_ok(state, "# made by hand\r\n"
                                   "label, y , x\r\n"
                                   "1, 2, 3\r\n"
                                   "\r\n"
                                   "  # a comment inside\n"
                                   "4,5.5,-6\n");
    tmp *t = *state;
    char spec[256];
    snprintf(spec, sizeof spec, "load %s", t->path);
    assert_string_equal(ds->spec, spec);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->d, 2);
    assert_false(ds->is_grid);
    assert_true(ds->x[0] == 3 && ds->x[1] == 2 && ds->x[2] == -6 && ds->x[3] == 5.5f);
    assert_int_equal(ds->n_labels, 1);
    assert_string_equal(ds->label_names[0], "label");
    assert_true(ds->labels[0] == 1 && ds->labels[1] == 4);
    iv_dataset_free(ds);

    /* Through a spec, without a trailing newline, with quoted names and two labels. */
    write_csv(state, "\"x\",\"y\",\"a\",\"b\"\n0,1,2,3\n4,5,6,7");
    ds = iv_dataset_from_spec(spec, 2, xy, 0, NULL);
    assert_non_null(ds);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->n_labels, 2);
    assert_string_equal(ds->label_names[1], "b");
    assert_true(ds->labels[3] == 7 && ds->x[3] == 5);
    iv_dataset_free(ds);

    /* Many rows, to cross the buffers' growth. */
    iv_buf b = {0};
    iv_buf_printf(&b, "x,y\n");
    for (int i = 0; i < 5000; i++)
        iv_buf_printf(&b, "%d,%d\n", i, -i);
    ds = csv_ok(state, b.data);
    iv_buf_free(&b);
    assert_int_equal(ds->n, 5000);
    assert_null(ds->labels);
    assert_true(ds->x[4999 * 2] == 4999 && ds->x[4999 * 2 + 1] == -4999);
    iv_dataset_free(ds);
}

static void test_csv_errors(void **state)
{
    csv_fails(state, "x,z\n1,2\n", ":1: no column 'y' (the model's inputs are x, y)");
    csv_fails(state, "# c\nx\n1\n", ":2: no column 'y' (the model's inputs are x, y)");
    csv_fails(state, "x,y\n1,2\n3\n", ":3: expected 2 fields (as in the header), found 1");
    csv_fails(state, "x,y\n1,2,3\n", ":2: expected 2 fields (as in the header), found 3");
    csv_fails(state, "x,y\n1,abc\n", ":2: column 'y': 'abc' is not a finite number");
    csv_fails(state, "x,y\n1,\n", ":2: column 'y': '' is not a finite number");
    csv_fails(state, "x,y\nnan,1\n", ":2: column 'x': 'nan' is not a finite number");
    csv_fails(state, "x,y\n1,inf\n", ":2: column 'y': 'inf' is not a finite number");
    csv_fails(state, "x,y,name\n1,2,3\n1,2,bob\n", ":3: column 'name': 'bob' is not a finite number");
    csv_fails(state, "x,y,x\n1,2,3\n", ":1: column 'x' appears twice");
    csv_fails(state, ",x,y\n0,1,2\n", ":1: column 1 has no name");
    csv_fails(state, "x,y\n", ": no data rows after the header");
    csv_fails(state, "x,y\n\n# nothing\n", ": no data rows after the header");
    csv_fails(state, "", ": empty file (expected a header row naming the columns)");
    csv_fails(state, "# only a comment\n", ": empty file (expected a header row naming the columns)");

    tmp *t = *state;
    char path[256], want[512];
    snprintf(path, sizeof path, "%s/missing.csv", t->dir);
    iv_error err;
    assert_null(iv_dataset_load_csv(path, 2, xy, &err));
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(err.msg, want);
}

static void test_build_errors(void **state)
{
    (void)state;
    spec_fails("foo x=1", "data: expected grid, sample or load, got 'foo'");
    spec_fails("", "data: expected grid, sample or load");
    spec_fails("  \t ", "data: expected grid, sample or load");
    spec_fails("load", "load: expected one file name, e.g. load data/points.csv");
    spec_fails("load a.csv b.csv", "load: expected one file name, e.g. load data/points.csv");

    /* iv_dataset_build takes the words directly. */
    char *const argv[] = {"grid", "x=0:2", "y=1"};
    iv_error err;
    iv_dataset *ds = iv_dataset_build(3, argv, 2, xy, 0, &err);
    assert_non_null(ds);
    assert_string_equal(ds->spec, "grid x=0:2:1 y=1");
    assert_int_equal(ds->n, 3);
    iv_dataset_free(ds);
    iv_dataset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reference),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_rng_uniform),
        cmocka_unit_test(test_rng_normal),
        cmocka_unit_test(test_rng_below),
        cmocka_unit_test(test_grid_order),
        cmocka_unit_test(test_grid_mean_relu),
        cmocka_unit_test(test_grid_shapes),
        cmocka_unit_test(test_grid_errors),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_sample_input_named_seed),
        cmocka_unit_test(test_sample_errors),
        cmocka_unit_test_setup_teardown(test_csv_labels, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_csv_errors, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
