/* test_train.c - the trainer against references: finite differences of its objective, problems
 * whose answer is known (a separable class, an exact linear map), determinism, cancelling, and
 * the errors of bad input. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, when config.h has not asked for more */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "effect.h"
#include "rng.h"
#include "train.h"

/* ---- datasets made here ------------------------------------------------------------------------ */

/* n rows of inputs x, y uniform in [-1, 1] (seeded), with the label columns named by `names`
 * (comma-separated), each a function of the row given by `label`. */
typedef double (*label_fn)(int column, double x, double y);

static iv_dataset *two_inputs_apart(long n, uint64_t seed, const char *names, label_fn label,
                                    double margin)
{
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->spec = iv_xasprintf("made in the test (%ld rows)", n);
    ds->d = 2;
    ds->n = n;
    ds->x = iv_xmalloc(sizeof(float) * (size_t)(2 * n));
    char *copy = iv_xstrdup(names);
    ds->label_names = iv_xcalloc(8, sizeof(char *));
    for (char *p = strtok(copy, ","); p; p = strtok(NULL, ","))
        ds->label_names[ds->n_labels++] = iv_xstrdup(p);
    free(copy);
    ds->labels = iv_xmalloc(sizeof(double) * (size_t)(n * ds->n_labels));
    iv_rng rng;
    iv_rng_seed(&rng, seed);
    for (long r = 0; r < n; r++) {
        /* Rounded to 2 decimals, as the sample data is: the inputs are exact in float too. */
        float x = (float)(round((2 * iv_rng_uniform(&rng) - 1) * 100) / 100);
        float y = (float)(round((2 * iv_rng_uniform(&rng) - 1) * 100) / 100);
        if (fabs(x - y) < margin) { /* too near the diagonal: draw again */
            r--;
            continue;
        }
        ds->x[2 * r] = x;
        ds->x[2 * r + 1] = y;
        for (int c = 0; c < ds->n_labels; c++)
            ds->labels[r * ds->n_labels + c] = label(c, x, y);
    }
    return ds;
}

static iv_dataset *two_inputs(long n, uint64_t seed, const char *names, label_fn label)
{
    return two_inputs_apart(n, seed, names, label, 0);
}

static void use_data(iv_workspace *ws, iv_dataset *ds)
{
    iv_error err;
    if (iv_workspace_replace_data(ws, ds, &err) < 0)
        fail_msg("%s", err.msg);
}

static double x_greater(int column, double x, double y)
{
    (void)column;
    return x > y;
}

/* Column 0: a class (x > y); columns 1, 2: two smooth targets. */
static double mixed(int column, double x, double y)
{
    return column == 0 ? x > y : column == 1 ? sin(x) + y : x * y - 0.5;
}

static double plane(int column, double x, double y)
{
    (void)column;
    return 2 * x - 3 * y + 1;
}

/* ---- (a) the gradient equals finite differences ------------------------------------------------- */

static const char *const small_net =
    "inputs x y\n"
    "layer h tanh\n"
    "  weights\n    0.5 -0.3\n    0.2 0.8\n    -0.7 0.4\n"
    "  bias 0.1 -0.2 0.05\n"
    "layer out identity\n"
    "  weights\n    0.3 -0.6 0.9\n    -0.4 0.5 0.2\n"
    "  bias 0.02 -0.01\n";

static const char *const small_softmax_net =
    "inputs x y\n"
    "layer h tanh\n"
    "  weights\n    0.5 -0.3\n    0.2 0.8\n    -0.7 0.4\n"
    "  bias 0.1 -0.2 0.05\n"
    "layer out softmax\n"
    "  weights\n    0.3 -0.6 0.9\n    -0.4 0.5 0.2\n"
    "  bias 0.02 -0.01\n";

/* The trainer's gradient at every parameter against central differences of its loss. */
static void check_gradient(const char *net, iv_train_loss loss, const int *columns, int n_columns)
{
    iv_workspace *ws = test_ws_from_text(net);
    iv_dataset *ds = two_inputs(7, 3, "c,u,v", mixed);
    const iv_model *m = ws->model;
    iv_train_spec s;
    iv_train_spec_default(&s);
    s.loss = loss;
    s.n_columns = n_columns;
    memcpy(s.columns, columns, sizeof(int) * (size_t)n_columns);
    iv_error err;
    assert_int_equal(iv_train_check(m, ds, &s, &err), 0);
    long rows[7] = {0, 1, 2, 3, 4, 5, 6};
    float *p = iv_xmalloc(sizeof(float) * (size_t)m->n_params);
    float *g = iv_xmalloc(sizeof(float) * (size_t)m->n_params);
    memcpy(p, m->params, sizeof(float) * (size_t)m->n_params);
    double f;
    assert_int_equal(iv_train_objective(m, p, ds, &s, rows, 7, &f, g, NULL, &err), 0);
    const float h = 1e-2f;
    double largest = 0;
    for (long j = 0; j < m->n_params; j++) {
        float keep = p[j];
        double up, down;
        p[j] = keep + h;
        assert_int_equal(iv_train_objective(m, p, ds, &s, rows, 7, &up, NULL, NULL, &err), 0);
        p[j] = keep - h;
        assert_int_equal(iv_train_objective(m, p, ds, &s, rows, 7, &down, NULL, NULL, &err), 0);
        p[j] = keep;
        double fd = (up - down) / (2 * (double)h);
        if (fabs(g[j] - fd) > 1e-3 * (1 + fabs(fd)))
            fail_msg("parameter %ld: gradient %.7g, central difference %.7g", j, g[j], fd);
        largest = fmax(largest, fabs(fd));
    }
    assert_true(largest > 1e-2); /* the comparison is not between zeros */
    free(p);
    free(g);
    iv_dataset_free(ds);
    iv_workspace_free(ws);
}

static void test_gradient_ce(void **state)
{
    (void)state;
    int c[] = {0};
    check_gradient(small_net, IV_TRAIN_CE, c, 1);         /* softmax cross-entropy of logits */
    check_gradient(small_softmax_net, IV_TRAIN_CE, c, 1); /* -log of the model's probabilities */
}

static void test_gradient_mse(void **state)
{
    (void)state;
    int c[] = {1, 2};
    check_gradient(small_net, IV_TRAIN_MSE, c, 2);
}

/* ---- (b) a separable class is learned whole ------------------------------------------------------ */

static const char *const linear_classifier =
    "inputs x y\n"
    "layer out identity\n"
    "  weights\n    0 0\n    0 0\n"
    "  bias 0 0\n";

/* How often the model's top output is x > y over the dataset, by the model's own forward pass. */
static double accuracy_of(const iv_model *m, const iv_dataset *ds)
{
    iv_error err;
    iv_acts *a = iv_acts_new(m, ds->n, &err);
    assert_non_null(a);
    iv_forward(m, ds->x, a, NULL, NULL);
    const float *y = a->site[iv_model_output_site(m)];
    long right = 0;
    for (long r = 0; r < ds->n; r++)
        right += (y[2 * r + 1] > y[2 * r]) == (ds->x[2 * r] > ds->x[2 * r + 1]);
    iv_acts_free(a);
    return (double)right / (double)ds->n;
}

static void test_separable(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_classifier);
    /* Points at least 0.1 from the boundary x = y, on a 0.01 grid. */
    use_data(ws, two_inputs_apart(400, 5, "gt", x_greater, 0.1));
    assert_true(accuracy_of(ws->model, ws->data) < 0.7); /* all zeros: one class for all */
    test_run(ws, "train gt epochs=60 batch=16 lr=0.05 holdout=0.25 seed=2");
    double acc = accuracy_of(ws->model, ws->data);
    if (acc != 1.0)
        fail_msg("accuracy %.4f after training", acc);
    /* The workspace's own measure agrees: accuracy against the labels, clean. */
    test_run(ws, "metric label gt");
    iv_effect e;
    iv_error err;
    assert_int_equal(iv_workspace_effect(ws, &e, &err), 0);
    assert_true(e.metrics.label_accuracy_clean == 1.0);
    iv_effect_free(&e);
    iv_workspace_free(ws);
}

/* ---- (c) least squares recovers an exact linear map ---------------------------------------------- */

static const char *const linear_regression =
    "inputs x y\n"
    "layer out identity\n"
    "  weights\n    0 0\n"
    "  bias 0\n";

static void test_least_squares(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_regression);
    use_data(ws, two_inputs(200, 7, "t", plane));
    test_run(ws, "train t loss=mse epochs=400 batch=20 lr=0.01");
    const iv_layer *L = &ws->model->layers[0];
    assert_float_equal(L->weight[0], 2, 1e-3);
    assert_float_equal(L->weight[1], -3, 1e-3);
    assert_float_equal(L->bias[0], 1, 1e-3);
    /* One output and one column: mse without being asked. */
    test_run(ws, "train t epochs=1");
    iv_workspace_free(ws);
}

/* ---- (d) determinism ------------------------------------------------------------------------------ */

static const char *const hidden_net =
    "inputs x y\n"
    "layer h relu\n"
    "  weights\n    0 0\n    0 0\n    0 0\n    0 0\n    0 0\n    0 0\n"
    "  bias 0 0 0 0 0 0\n"
    "layer out identity\n"
    "  weights\n    0 0 0 0 0 0\n    0 0 0 0 0 0\n"
    "  bias 0 0\n";

static float *trained(const char *line)
{
    iv_workspace *ws = test_ws_from_text(hidden_net);
    use_data(ws, two_inputs(300, 11, "gt", x_greater));
    test_run(ws, line);
    float *p = iv_xmalloc(sizeof(float) * (size_t)ws->model->n_params);
    memcpy(p, ws->model->params, sizeof(float) * (size_t)ws->model->n_params);
    iv_workspace_free(ws);
    return p;
}

static void test_determinism(void **state)
{
    (void)state;
    size_t bytes = sizeof(float) * (6 * 2 + 6 + 2 * 6 + 2);
    float *a = trained("train gt init=random epochs=3 batch=10 seed=4 holdout=0.1");
    float *b = trained("train gt init=random epochs=3 batch=10 seed=4 holdout=0.1");
    float *c = trained("train gt init=random epochs=3 batch=10 seed=5 holdout=0.1");
    assert_memory_equal(a, b, bytes);
    assert_memory_not_equal(a, c, bytes);
    /* The session's seed is the default. */
    float *d = trained("seed 4; train gt init=random epochs=3 batch=10 holdout=0.1");
    assert_memory_equal(a, d, bytes);
    free(a);
    free(b);
    free(c);
    free(d);
}

/* The initialisation's scale: He for a ReLU layer, zero biases, seeded. */
static void test_init_scale(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(
        "inputs a b c d\nlayer h relu\n  weights\n"
        "    0 0 0 0\n    0 0 0 0\n    0 0 0 0\n    0 0 0 0\n  bias 1 1 1 1\n");
    /* A wide copy of the layer's shape would take long to write; instead many seeds of a 4 x 4. */
    double sum2 = 0;
    long count = 0;
    float *p = iv_xmalloc(sizeof(float) * (size_t)ws->model->n_params);
    for (uint64_t seed = 1; seed <= 500; seed++) {
        memcpy(p, ws->model->params, sizeof(float) * (size_t)ws->model->n_params);
        iv_train_init_random(ws->model, p, seed);
        for (int i = 0; i < 16; i++, count++)
            sum2 += (double)p[i] * p[i];
        for (int i = 16; i < 20; i++)
            assert_true(p[i] == 0);
    }
    /* var = 2 / n_in = 0.5, over 8000 draws: within 5% (about 3 standard errors). */
    assert_float_equal(sum2 / (double)count, 0.5, 0.025);
    free(p);
    iv_workspace_free(ws);
}

/* ---- (e) a cancelled training leaves the model as it was ------------------------------------------ */

typedef struct stopper {
    int calls, stop_at;
    double last;
} stopper;

static void stop_later(const iv_job *job, void *user)
{
    stopper *s = user;
    double f = iv_job_fraction(job);
    assert_true(f >= s->last); /* the bar only moves forward */
    s->last = f;
    if (++s->calls == s->stop_at)
        iv_job_cancel((iv_job *)job);
}

static void test_cancel(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(hidden_net);
    use_data(ws, two_inputs(300, 11, "gt", x_greater));
    test_run(ws, "train gt init=random epochs=1 seed=9"); /* weights that are not all zero */
    long n = ws->model->n_params;
    float *before = iv_xmalloc(sizeof(float) * (size_t)n);
    memcpy(before, ws->model->params, sizeof(float) * (size_t)n);
    iv_job job;
    iv_job_init(&job);
    stopper s = {0, 25, 0};
    job.on_progress = stop_later;
    job.user = &s;
    ws->job = &job;
    const char *msg = test_run_fails(ws, "train gt epochs=5 batch=10");
    assert_non_null(strstr(msg, "cancelled"));
    assert_int_equal(s.calls, 25); /* one call per minibatch, and it stopped at once */
    assert_memory_equal(before, ws->model->params, sizeof(float) * (size_t)n);
    /* A whole run reports every minibatch: 5 epochs of 30 steps. */
    iv_job_init(&job);
    s = (stopper){0, -1, 0};
    job.on_progress = stop_later;
    job.user = &s;
    test_run(ws, "train gt epochs=5 batch=10");
    assert_int_equal(s.calls, 150);
    assert_float_equal(iv_job_fraction(&job), 1.0, 1e-3);
    ws->job = NULL;
    free(before);
    iv_workspace_free(ws);
}

/* ---- the result -------------------------------------------------------------------------------- */

typedef struct kept {
    json_object *obj;
    iv_result_type type;
} kept;

static void keep_result(iv_result_type type, json_object *obj, void *user)
{
    kept *k = user;
    if (k->obj)
        json_object_put(k->obj);
    k->obj = obj;
    k->type = type;
}

static json_object *result_of(iv_workspace *ws, const char *line, kept *k)
{
    iv_sink sink = {keep_result, k};
    iv_error err;
    if (iv_script_run(ws, line, "test", &sink, false, NULL, NULL, &err) != 0)
        fail_msg("'%s' failed: %s", line, err.msg);
    return k->obj;
}

static double num(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return v ? json_object_get_double(v) : NAN;
}

static void test_record(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_classifier);
    use_data(ws, two_inputs(400, 5, "gt", x_greater));
    test_run(ws, "ablate out[0] zero");
    kept k = {0};
    json_object *r = result_of(ws, "train gt epochs=4 batch=50 lr=0.05 holdout=0.2", &k);
    assert_int_equal(k.type, IV_RESULT_TRAINING);
    assert_int_equal((long)num(r, "rows"), 320);
    assert_int_equal((long)num(r, "holdout_rows"), 80);
    assert_int_equal((long)num(r, "steps"), 4 * 7); /* 320 rows in batches of 50 */
    json_object *record = json_object_object_get(r, "record");
    assert_int_equal(json_object_array_length(record), 4);
    json_object *first = json_object_array_get_idx(record, 0);
    json_object *last = json_object_array_get_idx(record, 3);
    assert_true(num(last, "loss") < num(first, "loss"));
    assert_true(num(last, "holdout_accuracy") > 0.9);
    /* The held-out figure is the trained model's on those rows: recomputed here it agrees. */
    assert_float_equal(num(r, "holdout_accuracy"), num(last, "holdout_accuracy"), 0);
    assert_non_null(strstr(json_object_get_string(json_object_object_get(r, "note")),
                           "interventions off"));
    assert_int_equal(ws->count, 1); /* the intervention is kept */
    /* mse has no accuracy: null */
    json_object_put(k.obj);
    k.obj = NULL;
    iv_workspace_free(ws);
    ws = test_ws_from_text(linear_regression);
    use_data(ws, two_inputs(50, 7, "t", plane));
    r = result_of(ws, "train t epochs=2", &k);
    assert_null(json_object_object_get(json_object_array_get_idx(
        json_object_object_get(r, "record"), 0), "accuracy"));
    json_object_put(k.obj);
    iv_workspace_free(ws);
}

/* ---- (f) errors ----------------------------------------------------------------------------------- */

static void expect_error(iv_workspace *ws, const char *line, const char *part)
{
    const char *msg = test_run_fails(ws, line);
    if (!strstr(msg, part))
        fail_msg("'%s' failed with '%s', which does not say '%s'", line, msg, part);
}

static double class_three(int column, double x, double y)
{
    (void)column;
    return x > y ? 2 : 0;
}

static double half_class(int column, double x, double y)
{
    (void)column;
    (void)y;
    return x > 0 ? 0.5 : 1;
}

static void test_errors(void **state)
{
    (void)state;
    iv_workspace *ws = test_ws_from_text(linear_classifier);
    expect_error(ws, "train gt", "no dataset to train on");
    test_run(ws, "data sample 10 x=0:1 y=0:1");
    expect_error(ws, "train gt", "has no label columns");
    use_data(ws, two_inputs(40, 5, "gt,other", x_greater));
    expect_error(ws, "train q", "unknown label column 'q' (the labels of made in the test "
                                "(40 rows): gt, other)");
    expect_error(ws, "train gt,q", "unknown label column 'q'");
    expect_error(ws, "train gt epochs=0", "epochs=0: expected a whole number from 1 to 100000");
    expect_error(ws, "train gt epochs=1000000000", "epochs=1000000000: expected");
    expect_error(ws, "train gt batch=0", "batch=0: expected");
    expect_error(ws, "train gt batch=99999999999", "batch=99999999999: expected");
    expect_error(ws, "train gt lr=nan", "lr=nan: expected a number above 0");
    expect_error(ws, "train gt lr=-1", "lr=-1");
    expect_error(ws, "train gt holdout=1", "holdout=1: expected a fraction");
    expect_error(ws, "train gt loss=hinge", "loss=hinge: expected ce or mse");
    expect_error(ws, "train gt init=zero", "init=zero: expected keep or random");
    expect_error(ws, "train gt speed=3", "unknown option 'speed'");
    expect_error(ws, "train gt 3", "'3': expected an option KEY=VALUE");
    /* The model's width against the columns. */
    expect_error(ws, "train gt loss=mse", "loss=mse needs one label column per output: the model "
                                          "has 2 outputs, 1 column was given");
    expect_error(ws, "train gt,other loss=ce", "loss=ce trains against one column of classes");
    /* A class out of range, and a class that is not whole, name the row. */
    use_data(ws, two_inputs(40, 5, "c", class_three));
    expect_error(ws, "train c", "label 'c' is 2, not a class of the model's 2 outputs (0 to 1)");
    use_data(ws, two_inputs(40, 5, "c", half_class));
    expect_error(ws, "train c", "label 'c' is 0.5, not a class");
    /* NaN in the data (a file cannot carry one: the loaders refuse it). */
    iv_dataset *ds = two_inputs(40, 5, "gt", x_greater);
    ds->labels[17] = NAN;
    use_data(ws, ds);
    expect_error(ws, "train gt", "row 17 of made in the test (40 rows): label 'gt' is nan, not a "
                                 "finite number");
    ds = two_inputs(40, 5, "gt", x_greater);
    ds->x[2 * 3 + 1] = INFINITY;
    use_data(ws, ds);
    expect_error(ws, "train gt", "row 3 of made in the test (40 rows): input 'y' is inf");
    /* A failed train changes nothing. */
    float w0 = ws->model->params[0];
    assert_true(w0 == 0);
    iv_workspace_free(ws);
    /* One output: no classes to cross-entropy over. */
    ws = test_ws_from_text(linear_regression);
    use_data(ws, two_inputs(40, 5, "gt", x_greater));
    expect_error(ws, "train gt loss=ce", "loss=ce needs a model with at least 2 outputs");
    expect_error(ws, "train gt holdout=0.99", "holdout=0.99 of 40 rows leaves none to train on");
    iv_workspace_free(ws);
}

/* The trained model is what `export model` writes, and reads back to the same numbers. */
static void test_export_trained(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_train_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], line[256];
    snprintf(path, sizeof path, "%s/t.nn", dir);
    iv_workspace *ws = test_ws_from_text(linear_regression);
    use_data(ws, two_inputs(100, 7, "t", plane));
    test_run(ws, "train t epochs=20 lr=0.05");
    snprintf(line, sizeof line, "export model %s", path);
    test_run(ws, line);
    float w[3];
    memcpy(w, ws->model->params, sizeof w);
    snprintf(line, sizeof line, "model %s", path);
    test_run(ws, line);
    assert_memory_equal(w, ws->model->params, sizeof w);
    iv_workspace_free(ws);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_ce),
        cmocka_unit_test(test_gradient_mse),
        cmocka_unit_test(test_separable),
        cmocka_unit_test(test_least_squares),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_init_scale),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_export_trained),
    };
    return cmocka_run_group_tests_name("train", tests, NULL, NULL);
}
