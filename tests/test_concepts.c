/* test_concepts.c - labels, the split, probes, INLP, LEACE, steering and PCA through the commands,
 * against references: counts of the max grid worked out by hand; a probe that reads what the
 * network computes; an eraser after which a fresh probe is at chance and (LEACE) the class means
 * are equal; a steering vector whose effect through a linear readout is exactly alpha U v; saved
 * sessions that put every fit back; and bad words that fail with one line and change nothing. */
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
#include "concepts.h"
#include "files.h"
#include "formats/formats.h"
#include "kinds.h"
#include "labels.h"

/* ---- results --------------------------------------------------------------------------------- */

typedef struct results {
    json_object *last[IV_RESULT_DONE + 1]; /* the last result of each type */
} results;

static void keep(iv_result_type type, json_object *obj, void *user)
{
    results *r = user;
    json_object_put(r->last[type]);
    r->last[type] = obj;
}

static void results_free(results *r)
{
    for (int i = 0; i <= IV_RESULT_DONE; i++)
        json_object_put(r->last[i]);
    memset(r, 0, sizeof *r);
}

/* Runs a line that must succeed; the last result of `type` (owned by r). */
static json_object *run_for(iv_workspace *ws, const char *line, iv_result_type type, results *r)
{
    results_free(r);
    iv_sink sink = {keep, r};
    iv_error err;
    if (iv_script_run(ws, line, "t", &sink, false, NULL, NULL, &err) != 0)
        fail_msg("'%s' failed: %s", line, err.msg);
    if (!r->last[type])
        fail_msg("'%s' gave no result of type %d", line, (int)type);
    return r->last[type];
}

static double num(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    if (!v)
        fail_msg("no '%s' in %s", key, json_object_to_json_string(obj));
    return json_object_get_double(v);
}

static iv_workspace *max_ws(void)
{
    iv_error err;
    iv_workspace *ws = iv_workspace_new(iv_model_builtin_max(), &err);
    assert_non_null(ws);
    return ws;
}

/* ---- labels and the split --------------------------------------------------------------------- */

static void test_labels_over_inputs(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y; label tie=x==y");
    iv_classes c;
    iv_error err;
    /* on the 11 x 11 grid: x > y in 55 points (10 + 9 + ... + 1), x == y in 11 */
    assert_int_equal(iv_label_classes(ws->data, "gt", &c, &err), 0);
    assert_int_equal(c.k, 2);
    assert_int_equal(c.count[0], 66);
    assert_int_equal(c.count[1], 55);
    for (long row = 0; row < ws->data->n; row++) /* rows: x fastest */
        assert_int_equal(c.y[row], (row % 11) > (row / 11));
    iv_classes_free(&c);
    json_object *labels = run_for(ws, "labels", IV_RESULT_LABELS, &r);
    const char *text = json_object_to_json_string(labels);
    assert_non_null(strstr(text, "\"0: 110, 1: 11\""));
    /* a new dataset gets them too, a categorical one counts its classes */
    test_run(ws, "data grid x=0:2 y=0:2; label sum = x + y");
    assert_int_equal(iv_label_classes(ws->data, "gt", &c, &err), 0);
    assert_int_equal(c.count[1], 3);
    iv_classes_free(&c);
    assert_int_equal(iv_label_classes(ws->data, "sum", &c, &err), 0);
    assert_int_equal(c.k, 5); /* 0 .. 4 */
    assert_int_equal(c.count[2], 3);
    iv_classes_free(&c);
    /* forgetting one takes its column away */
    test_run(ws, "label tie none");
    assert_int_equal(iv_label_classes(ws->data, "tie", &c, &err), -1);
    assert_non_null(strstr(err.msg, "no label 'tie'"));
    results_free(&r);
    iv_workspace_free(ws);
}

static void test_split(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    long *train, *test, n_train, n_test;
    iv_split_rows(ws, 121, &train, &n_train, &test, &n_test);
    assert_int_equal(n_test, 24); /* round(0.2 x 121) */
    assert_int_equal(n_train, 97);
    bool seen[121] = {false};
    for (long i = 0; i < n_train; i++)
        seen[train[i]] = true;
    for (long i = 0; i < n_test; i++) {
        assert_false(seen[test[i]]); /* the parts are disjoint and cover every row */
        seen[test[i]] = true;
    }
    for (int i = 0; i < 121; i++)
        assert_true(seen[i]);
    long first = test[0];
    free(train);
    free(test);
    test_run(ws, "split 0.5 seed=7");
    iv_split_rows(ws, 121, &train, &n_train, &test, &n_test);
    assert_int_equal(n_test, 61);
    bool same = true;
    long *again_train, *again_test, a, b;
    iv_split_rows(ws, 121, &again_train, &a, &again_test, &b);
    for (long i = 0; i < n_test; i++)
        same &= test[i] == again_test[i]; /* the same seed, the same rows */
    assert_true(same);
    (void)first;
    free(train);
    free(test);
    free(again_train);
    free(again_test);
    iv_workspace_free(ws);
}

/* ---- probes ------------------------------------------------------------------------------------- */

static void test_probe_reads_the_network(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y");
    /* h1[0] = relu(x - y) is above 0 exactly where x > y: a linear reader finds it */
    json_object *p = run_for(ws, "probe h1 gt", IV_RESULT_PROBE, &r);
    assert_true(num(p, "holdout_accuracy") == 1.0);
    assert_true(num(p, "train_accuracy") == 1.0);
    /* the majority rate is the held-out rows' largest class, between the 55/121 and 66/121 extremes */
    assert_true(num(p, "majority") >= 0.5 && num(p, "majority") < 0.7);
    /* the output, max(x, y), does not tell x > y from x < y: near chance */
    p = run_for(ws, "probe out gt ridge", IV_RESULT_PROBE, &r);
    assert_true(num(p, "holdout_accuracy") <= num(p, "majority") + 0.1);
    /* every site: one row each, the hidden layers readable */
    p = run_for(ws, "probe all gt", IV_RESULT_PROBE, &r);
    json_object *sites = json_object_object_get(p, "sites");
    assert_int_equal(json_object_array_length(sites), (size_t)ws->model->n_sites);
    json_object *h1 = json_object_array_get_idx(sites, 2);
    assert_string_equal(json_object_get_string(json_object_object_get(h1, "site")), "h1");
    assert_true(num(h1, "holdout_accuracy") == 1.0);
    results_free(&r);
    iv_workspace_free(ws);
}

/* ---- erasers ------------------------------------------------------------------------------------- */

/* The site's values on every row under the interventions that are on. */
static float *values_now(iv_workspace *ws, const char *site)
{
    iv_error err;
    float *v = iv_site_values(ws, iv_model_site_find(ws->model, site), &err);
    if (!v)
        fail_msg("%s", err.msg);
    return v;
}

static void test_inlp_blinds_linear_probes(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y");
    json_object *e = run_for(ws, "inlp h1 gt", IV_RESULT_ERASURE, &r);
    int removed = (int)num(e, "rank_removed");
    assert_true(removed >= 1 && removed < 4);
    assert_true(num(e, "fresh_probe_holdout") <= num(e, "majority") + 0.05);
    json_object *record = json_object_object_get(e, "record");
    assert_true(json_object_array_length(record) >= 2);
    assert_true(num(json_object_array_get_idx(record, 0), "holdout_accuracy") > 0.85);
    assert_int_equal(ws->count, 1);
    assert_int_equal(ws->list[0].kind, IV_PROJECT);
    assert_int_equal(ws->list[0].dims, removed);
    /* a probe fitted afresh on the projected site: at chance */
    json_object *p = run_for(ws, "probe h1 gt", IV_RESULT_PROBE, &r);
    assert_true(num(p, "holdout_accuracy") <= num(p, "majority") + 0.05);
    /* a projection: applying it twice is applying it once */
    float *once = values_now(ws, "h1");
    char *words = iv_kind_session_words(&ws->list[0]);
    char *line = iv_xasprintf("ablate h1 project %s", words); /* the same eraser again */
    free(words);
    test_run(ws, line);
    free(line);
    assert_int_equal(ws->count, 2);
    float *twice = values_now(ws, "h1");
    for (long i = 0; i < 121 * 4; i++)
        assert_true(fabsf(once[i] - twice[i]) <= 1e-5f * (1 + fabsf(once[i])));
    free(once);
    free(twice);
    /* upto=1: one step's directions only; a new fit replaces the eraser at the site */
    test_run(ws, "clear");
    e = run_for(ws, "inlp h1 gt upto=1", IV_RESULT_ERASURE, &r);
    assert_int_equal(ws->count, 1);
    int first = ws->list[0].dims;
    e = run_for(ws, "inlp h1 gt", IV_RESULT_ERASURE, &r);
    assert_int_equal(ws->count, 1);
    assert_true(ws->list[0].dims >= first);
    results_free(&r);
    iv_workspace_free(ws);
}

static void test_leace_equalises_class_means(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y");
    json_object *e = run_for(ws, "leace h1 gt", IV_RESULT_ERASURE, &r);
    assert_int_equal((int)num(e, "rank_removed"), 1); /* at most classes - 1 */
    assert_true(num(e, "class_mean_spread_after") < 1e-9 * (1 + num(e, "class_mean_spread_before")));
    /* through the network: the class means of h1 as it now is are equal, and the overall mean is
     * the clean one (it is fitted on the training rows, so on every row to float precision) */
    float *now = values_now(ws, "h1");
    const float *clean = ws->ref_acts->site[iv_model_site_find(ws->model, "h1")];
    long *train, *test, n_train, n_test;
    iv_split_rows(ws, 121, &train, &n_train, &test, &n_test);
    double mean[2][4] = {{0}}, all_now[4] = {0}, all_clean[4] = {0};
    long count[2] = {0, 0};
    for (long i = 0; i < n_train; i++) {
        long row = train[i];
        int gt = (row % 11) > (row / 11);
        count[gt]++;
        for (int j = 0; j < 4; j++) {
            mean[gt][j] += now[row * 4 + j];
            all_now[j] += now[row * 4 + j];
            all_clean[j] += clean[row * 4 + j];
        }
    }
    for (int j = 0; j < 4; j++) {
        assert_true(fabs(mean[0][j] / count[0] - mean[1][j] / count[1]) < 1e-4);
        assert_true(fabs(all_now[j] - all_clean[j]) / n_train < 1e-4);
    }
    free(train);
    free(test);
    free(now);
    /* compare-erasure: a row per method, none first, both erasers blind the fresh probe */
    test_run(ws, "clear");
    e = run_for(ws, "compare-erasure h1 gt", IV_RESULT_ERASURE, &r);
    json_object *methods = json_object_object_get(e, "methods");
    assert_int_equal(json_object_array_length(methods), 3);
    json_object *none = json_object_array_get_idx(methods, 0);
    assert_true(num(none, "probe_holdout") == 1.0);
    assert_true(num(none, "mean_square_change") == 0);
    for (int m = 1; m < 3; m++) {
        json_object *row = json_object_array_get_idx(methods, (size_t)m);
        assert_true(num(row, "probe_holdout") <= num(e, "majority") + 0.05);
        assert_true(num(row, "mean_square_change") > 0);
    }
    /* LEACE moves the activations least among erasers of its rank: no more than INLP's */
    assert_true(num(json_object_array_get_idx(methods, 2), "mean_square_change") <=
                num(json_object_array_get_idx(methods, 1), "mean_square_change") + 1e-9);
    assert_int_equal(ws->count, 0); /* it adds nothing */
    assert_true(num(none, "output_change") == 0);
    /* each eraser's output change and loss gap are what effect reports with it on */
    const char *const add[2] = {"inlp h1 gt", "leace h1 gt"};
    for (int m = 1; m < 3; m++) {
        json_object *row = json_object_array_get_idx(methods, (size_t)m);
        double change = num(row, "output_change"), gap = num(row, "loss_gap");
        test_run(ws, add[m - 1]);
        json_object *eff = run_for(ws, "effect", IV_RESULT_EFFECT, &r);
        assert_true(fabs(num(eff, "mean_change") - change) <= 1e-9 * (1 + change));
        assert_true(fabs(num(eff, "loss_gap") - gap) <= 1e-9 * (1 + gap));
        assert_true(change > 0);
        test_run(ws, "clear");
        e = run_for(ws, "compare-erasure h1 gt", IV_RESULT_ERASURE, &r);
        methods = json_object_object_get(e, "methods");
    }
    results_free(&r);
    iv_workspace_free(ws);
}

/* ---- steering ------------------------------------------------------------------------------------ */

static void test_steering_through_a_linear_readout(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y; input 3 5");
    /* out = h2[0] + h2[1] (identity): steering h2 by alpha v moves it by exactly alpha (v0 + v1) */
    json_object *s = run_for(ws, "steer h2 gt alpha=2", IV_RESULT_STEER, &r);
    json_object *v = json_object_object_get(s, "vector");
    double v0 = json_object_get_double(json_object_array_get_idx(v, 0));
    double v1 = json_object_get_double(json_object_array_get_idx(v, 1));
    /* v by hand: mean of h2 where x > y minus where not; h2 = (relu(y - 100 relu(x - y)),
     * relu(x - 100 relu(y - x))) is (0, x) for x > y and (y, 0) for x < y, (x, x) on the diagonal */
    double pos[2] = {0, 0}, neg[2] = {0, 0};
    for (int y = 0; y <= 10; y++)
        for (int x = 0; x <= 10; x++) {
            double h[2] = {x > y ? 0 : y, x < y ? 0 : x};
            double *acc = x > y ? pos : neg;
            acc[0] += h[0];
            acc[1] += h[1];
        }
    assert_true(fabs(v0 - (pos[0] / 55 - neg[0] / 66)) < 1e-9);
    assert_true(fabs(v1 - (pos[1] / 55 - neg[1] / 66)) < 1e-9);
    int o = iv_model_output_site(ws->model);
    double clean = ws->clean->site[o][0], steered = ws->intervened->site[o][0];
    assert_true(fabs((steered - clean) - 2 * (v0 + v1)) < 1e-4);
    /* sweep alpha: a straight line through the clean output with slope v0 + v1 */
    json_object *sw = run_for(ws, "sweep alpha -4 4 9", IV_RESULT_SWEEP, &r);
    json_object *points = json_object_object_get(sw, "points");
    assert_int_equal(json_object_array_length(points), 9);
    for (int i = 0; i < 9; i++) {
        json_object *p = json_object_array_get_idx(points, (size_t)i);
        double alpha = num(p, "value"), y = num(p, "intervened");
        assert_true(fabs(alpha - (-4 + i)) < 1e-12);
        assert_true(fabs(y - (clean + alpha * (v0 + v1))) < 1e-4);
        assert_true(fabs(num(p, "clean") - clean) < 1e-6);
    }
    /* the probe's direction: unit length over the addressed neurons */
    test_run(ws, "clear; probe h1 gt");
    s = run_for(ws, "steer h1 probe alpha=1", IV_RESULT_STEER, &r);
    v = json_object_object_get(s, "vector");
    double norm = 0;
    for (int j = 0; j < 4; j++)
        norm += pow(json_object_get_double(json_object_array_get_idx(v, (size_t)j)), 2);
    assert_true(fabs(norm - 1) < 1e-9);
    /* from a file */
    char path[] = "/tmp/iv_steer_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# a vector\n1, 2\n", f);
    fclose(f);
    char line[256];
    snprintf(line, sizeof line, "clear; steer h2 %s alpha=0.5", path);
    test_run(ws, line);
    assert_true(fabs((ws->intervened->site[o][0] - ws->clean->site[o][0]) - 0.5 * 3) < 1e-5);
    unlink(path);
    results_free(&r);
    iv_workspace_free(ws);
}

/* ---- pca ------------------------------------------------------------------------------------------- */

static void test_pca(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    results r = {0};
    test_run(ws, "label gt = x > y");
    /* the input grid: x and y independent with equal variance, so two components of half each */
    json_object *p = run_for(ws, "pca input gt", IV_RESULT_PCA, &r);
    json_object *ex = json_object_object_get(p, "explained");
    assert_true(fabs(json_object_get_double(json_object_array_get_idx(ex, 0)) - 0.5) < 1e-9);
    assert_int_equal(json_object_array_length(json_object_object_get(p, "points")), 121);
    assert_null(json_object_object_get(p, "erased_points"));
    /* with an eraser on, the rows after it, on the same components; the probe drawn */
    test_run(ws, "probe h1 gt; leace h1 gt");
    p = run_for(ws, "pca h1 gt", IV_RESULT_PCA, &r);
    assert_non_null(json_object_object_get(p, "erased_points"));
    assert_non_null(json_object_object_get(p, "probe_direction"));
    assert_non_null(strstr(json_object_get_string(json_object_object_get(p, "erased_by")),
                           "project h1"));
    results_free(&r);
    iv_workspace_free(ws);
}

/* ---- sessions and errors ------------------------------------------------------------------------------ */

static void test_session_keeps_every_fit(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "label gt = x > y; split 0.25 seed=9; inlp h1 gt; steer h2 gt alpha=1.5; "
                 "input 3 5");
    int o = iv_model_output_site(ws->model);
    double before = ws->intervened->site[o][0];
    char path[] = "/tmp/iv_concepts_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char line[256];
    snprintf(line, sizeof line, "save %s; clear; label gt none; load %s", path, path);
    test_run(ws, line);
    unlink(path);
    assert_int_equal(ws->count, 2);
    assert_int_equal(ws->list[0].kind, IV_PROJECT);
    assert_int_equal(ws->list[1].kind, IV_ADD);
    assert_true(ws->holdout == 0.25 && ws->split_seed == 9);
    assert_int_equal(ws->n_label_defs, 1);
    assert_true(ws->intervened->site[o][0] == before); /* %.17g: the very same doubles */
    iv_workspace_free(ws);
}

/* Every result exports as CSV: the fit's table (not the intervention it added), the points with
 * their columns named and their dataset rows. */
static void test_exports(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    char dir[] = "/tmp/iv-concepts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const struct {
        const char *command, *file, *head;
    } cases[] = {
        {"inlp h1 gt", "i.csv", "iteration,train_accuracy,holdout_accuracy,majority,removed,kept\n1,"},
        {"probe all gt", "p.csv", "site,width,train_accuracy,holdout_accuracy,majority\ninput,2,"},
        {"pca h1 gt", "c.csv", "row\\coordinate,PC1,PC2,class\n0,"},
        {"compare-erasure h1 gt", "e.csv", "method,removed,probe_train,probe_holdout,"},
        {"labels", "l.csv", "label,kind,classes,majority,from\ngt,binary,\"0: 66, 1: 55\","},
    };
    test_run(ws, "label gt = x > y");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = iv_xasprintf("%s/%s", dir, cases[i].file);
        char *line = iv_xasprintf("clear; export \"%s\" %s", cases[i].command, path);
        test_run(ws, line);
        iv_error err;
        char *text = iv_read_file(path, 1 << 24, NULL, &err);
        assert_non_null(text);
        if (strncmp(text, cases[i].head, strlen(cases[i].head)) != 0)
            fail_msg("%s wrote:\n%.200s", cases[i].command, text);
        free(text);
        unlink(path);
        free(path);
        free(line);
    }
    rmdir(dir);
    iv_workspace_free(ws);
}

static void test_bad_words(void **state)
{
    (void)state;
    iv_workspace *ws = max_ws();
    test_run(ws, "label gt = x > y");
    static const struct {
        const char *line, *says;
    } cases[] = {
        {"label x = 1", "'x' is an input of the model"},
        {"label q = z", "unknown name 'z'"},
        {"label 3a = x", "is not a label name"},
        {"label q", "expected label NAME = EXPRESSION"},
        {"label q =", "nothing after '='"},
        {"label nope none", "no label 'nope' was defined"},
        {"split 1.5", "between 0 and 1"},
        {"probe h1 nope", "no label 'nope' (the dataset's labels: gt)"},
        {"probe nowhere gt", "unknown site 'nowhere'"},
        {"probe h1 gt lambda=0", "needs a penalty above 0"},
        {"probe h1 gt lambda=-1", "expected a number >= 0"},
        {"probe h1 gt sideways", "expected ridge, logistic"},
        {"label one = 1; probe h1 one", "takes one value only"},
        {"label many = x * 11 + y; probe h1 many", "more than 64 values"},
        {"inlp h1 gt upto=9", "upto=9: INLP removed directions in"},
        {"inlp h1 gt iterations=0", "expected a whole number from 1 to 1000"},
        {"steer h1 gt to=7", "never takes that value"},
        {"steer h1[9] gt", "h1[9]"},
        {"sweep alpha 0 1", "no steering vector is on"},
        {"pca h1 k=9", "has 4 neurons"},
        {"ablate h1 project rank=1 eraser=1,2", "eraser=: 2 numbers given"},
        {"ablate h1 add vector=1", "vector=: 1 numbers given for 4 neurons"},
        {"ablate h1 add alpha=nan vector=1,2,3,4", "alpha=nan: expected a finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int count = ws->count, defs = ws->n_label_defs;
        const char *msg = test_run_fails(ws, cases[i].line);
        if (!strstr(msg, cases[i].says))
            fail_msg("'%s' said '%s', not '%s'", cases[i].line, msg, cases[i].says);
        if (strchr(msg, '\n'))
            fail_msg("'%s': more than one line: %s", cases[i].line, msg);
        assert_int_equal(ws->count, count); /* nothing added */
        (void)defs;
    }
    /* no dataset */
    test_run(ws, "data none");
    const char *msg = test_run_fails(ws, "probe h1 gt");
    assert_non_null(strstr(msg, "no dataset"));
    msg = test_run_fails(ws, "steer h1 gt");
    assert_non_null(strstr(msg, "no dataset"));
    iv_workspace_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_over_inputs),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_probe_reads_the_network),
        cmocka_unit_test(test_inlp_blinds_linear_probes),
        cmocka_unit_test(test_leace_equalises_class_means),
        cmocka_unit_test(test_steering_through_a_linear_readout),
        cmocka_unit_test(test_pca),
        cmocka_unit_test(test_session_keeps_every_fit),
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_bad_words),
    };
    return cmocka_run_group_tests_name("concepts", tests, NULL, NULL);
}
