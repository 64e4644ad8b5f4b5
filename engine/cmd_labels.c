/* cmd_labels.c - label, labels and split: the concepts probes are trained on, and the rows they
 * are scored on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "labels.h"
#include "report.h"

/* One label's classes as a row of the `labels` table. */
static json_object *label_row(const iv_dataset *ds, int col, bool defined)
{
    json_object *row = json_object_new_object();
    iv_json_set_str(row, "label", ds->label_names[col]);
    iv_classes c;
    iv_error err;
    if (iv_label_classes(ds, ds->label_names[col], &c, &err) < 0) {
        iv_json_set_str(row, "kind", "values");
        iv_json_set_str(row, "classes", "-");
    } else {
        iv_json_set_str(row, "kind", c.k == 2 ? "binary" : "categorical");
        iv_buf counts = {0};
        for (int j = 0; j < c.k; j++)
            iv_buf_printf(&counts, "%s%g: %ld", j ? ", " : "", c.values[j], c.count[j]);
        iv_json_set_str(row, "classes", counts.data);
        iv_buf_free(&counts);
        iv_json_set_num(row, "majority", iv_classes_majority(&c));
        iv_classes_free(&c);
    }
    iv_json_set_str(row, "from", defined ? "label" : "dataset");
    return row;
}

static bool is_defined(const iv_workspace *ws, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < ws->n_label_defs; i++)
        if (strncmp(ws->label_defs[i], name, len) == 0 && ws->label_defs[i][len] == ' ')
            return true;
    return false;
}

static void report_labels(const iv_workspace *ws, const iv_sink *sink)
{
    json_object *obj = json_object_new_object();
    const iv_dataset *ds = ws->data;
    iv_json_set_str(obj, "dataset", ds ? ds->spec : "none");
    json_object *defs = json_object_new_array();
    for (int i = 0; i < ws->n_label_defs; i++)
        json_object_array_add(defs, json_object_new_string(ws->label_defs[i]));
    iv_json_set(obj, "defined", defs);
    json_object *rows = json_object_new_array();
    for (int i = 0; ds && i < ds->n_labels; i++)
        json_object_array_add(rows, label_row(ds, i, is_defined(ws, ds->label_names[i])));
    iv_json_set(obj, "labels", rows);
    iv_emit(sink, IV_RESULT_LABELS, obj);
}

IV_HANDLER(iv_cmd_labels)
{
    (void)argc;
    (void)argv;
    report_labels(ws, sink);
    return 0;
}

/* label NAME = EXPR (the words after NAME joined by blanks; "NAME=EXPR" in one word too), or
 * label NAME none. */
IV_HANDLER(iv_cmd_label)
{
    char *name = iv_xstrdup(argv[0]), *eq = strchr(name, '=');
    iv_buf expr = {0};
    int first = 1;
    if (eq) { /* gt=x>y, or gt= x > y */
        *eq = '\0';
        if (eq[1])
            iv_buf_printf(&expr, "%s", eq + 1);
    } else if (argc >= 2 && strcmp(argv[1], "none") == 0 && argc == 2) {
        int rc = iv_label_undefine(ws, name, err);
        free(name);
        if (rc == 0)
            report_labels(ws, sink);
        return rc;
    } else if (argc >= 2 && argv[1][0] == '=') {
        if (argv[1][1])
            iv_buf_printf(&expr, "%s", argv[1] + 1);
        first = 2;
    } else {
        free(name);
        return iv_error_set(err, "expected label NAME = EXPRESSION over the inputs (e.g. label gt "
                            "= x > y), or label NAME none");
    }
    for (int i = first; i < argc; i++)
        iv_buf_printf(&expr, "%s%s", expr.len ? " " : "", argv[i]);
    if (!expr.len) {
        free(name);
        return iv_error_set(err, "label %s: nothing after '=': give an expression over the "
                            "inputs, e.g. x > y", argv[0]);
    }
    int rc = iv_label_define(ws, name, expr.data, err);
    free(name);
    iv_buf_free(&expr);
    if (rc == 0)
        report_labels(ws, sink);
    return rc;
}

IV_HANDLER(iv_cmd_split)
{
    double frac = ws->holdout;
    long seed = (long)ws->split_seed;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "seed=", 5) == 0) {
            if (iv_parse_int(argv[i] + 5, 0, 0x7fffffffffffffffL, &seed) < 0)
                return iv_error_set(err, "'%s': the seed is a whole number >= 0", argv[i]);
        } else if (iv_parse_double(argv[i], &frac) < 0 || !(frac > 0 && frac < 1)) {
            return iv_error_set(err, "'%s': expected the held-out fraction, a number between 0 "
                                "and 1 (e.g. split 0.2 seed=1)", argv[i]);
        }
    }
    ws->holdout = frac;
    ws->split_seed = (uint64_t)seed;
    json_object *obj = json_object_new_object();
    iv_json_set_num(obj, "holdout", ws->holdout);
    json_object_object_add(obj, "seed", json_object_new_uint64(ws->split_seed));
    if (ws->data) {
        long *train, *test, n_train, n_test;
        iv_split_rows(ws, ws->data->n, &train, &n_train, &test, &n_test);
        json_object_object_add(obj, "train_rows", json_object_new_int64(n_train));
        json_object_object_add(obj, "holdout_rows", json_object_new_int64(n_test));
        free(train);
        free(test);
    }
    iv_emit(sink, IV_RESULT_SETTING, obj);
    return 0;
}
