/* cmd_train.c - `train`: the model's parameters trained on label columns of the dataset, and
 * installed in place of the old ones. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "report.h"
#include "train.h"

/* ---- reading the words --------------------------------------------------------------------------- */

/* "WX,YZ" -> the dataset's columns of those names. */
static int parse_columns(const iv_dataset *ds, const char *word, iv_train_spec *s, iv_error *err)
{
    s->n_columns = 0;
    for (const char *p = word;; p++) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int c = 0; c < ds->n_labels && found < 0; c++)
            if (strlen(ds->label_names[c]) == len && strncmp(ds->label_names[c], p, len) == 0)
                found = c;
        if (found < 0) {
            char *names = iv_dataset_join_names(ds->n_labels, ds->label_names);
            iv_error_set(err, "unknown label column '%.*s' (the labels of %s: %s)",
                         len > 64 ? 64 : (int)len, p, ds->spec, names);
            free(names);
            return -1;
        }
        if (s->n_columns == IV_TRAIN_MAX_COLUMNS)
            return iv_error_set(err, "more than %d label columns", IV_TRAIN_MAX_COLUMNS);
        s->columns[s->n_columns++] = found;
        p += len;
        if (!*p)
            return 0;
    }
}

static int parse_whole(const char *key, const char *val, long lo, long hi, long *out,
                       iv_error *err)
{
    if (iv_parse_int(val, lo, hi, out) < 0)
        return iv_error_set(err, "%s=%s: expected a whole number from %ld to %ld", key, val, lo,
                            hi);
    return 0;
}

/* One KEY=VALUE option; *loss_given says whether loss= was among them. */
static int parse_option(const char *word, iv_train_spec *s, bool *loss_given, iv_error *err)
{
    const char *eq = strchr(word, '=');
    if (!eq)
        return iv_error_set(err, "'%s': expected an option KEY=VALUE (epochs, batch, lr, seed, "
                            "loss, init, holdout)", word);
    size_t klen = (size_t)(eq - word);
    const char *val = eq + 1;
    char key[16];
    snprintf(key, sizeof key, "%.*s", klen < sizeof key ? (int)klen : (int)sizeof key - 1, word);
    long n;
    if (strcmp(key, "epochs") == 0 && klen == 6) {
        if (parse_whole(key, val, 1, IV_TRAIN_MAX_EPOCHS, &n, err) < 0)
            return -1;
        s->epochs = (int)n;
    } else if (strcmp(key, "batch") == 0 && klen == 5) {
        if (parse_whole(key, val, 1, IV_MAX_EXAMPLES, &n, err) < 0)
            return -1;
        s->batch = n;
    } else if (strcmp(key, "seed") == 0 && klen == 4) {
        if (parse_whole(key, val, 0, LONG_MAX, &n, err) < 0)
            return -1;
        s->seed = (uint64_t)n;
    } else if (strcmp(key, "lr") == 0 && klen == 2) {
        if (iv_parse_double(val, &s->lr) < 0 || s->lr <= 0 || s->lr > 1e3)
            return iv_error_set(err, "lr=%s: expected a number above 0 (and at most 1000)", val);
    } else if (strcmp(key, "holdout") == 0 && klen == 7) {
        if (iv_parse_double(val, &s->holdout) < 0 || s->holdout < 0 || s->holdout >= 1)
            return iv_error_set(err, "holdout=%s: expected a fraction from 0 up to (not "
                                "including) 1", val);
    } else if (strcmp(key, "loss") == 0 && klen == 4) {
        if (strcmp(val, "ce") != 0 && strcmp(val, "mse") != 0)
            return iv_error_set(err, "loss=%s: expected ce or mse", val);
        s->loss = strcmp(val, "ce") == 0 ? IV_TRAIN_CE : IV_TRAIN_MSE;
        *loss_given = true;
    } else if (strcmp(key, "init") == 0 && klen == 4) {
        if (strcmp(val, "keep") != 0 && strcmp(val, "random") != 0)
            return iv_error_set(err, "init=%s: expected keep or random", val);
        s->init_random = strcmp(val, "random") == 0;
    } else {
        return iv_error_set(err, "unknown option '%.*s' (expected epochs, batch, lr, seed, loss, "
                            "init or holdout)", klen > 32 ? 32 : (int)klen, word);
    }
    return 0;
}

static int parse_spec(const iv_workspace *ws, int argc, char **argv, iv_train_spec *s,
                      iv_error *err)
{
    iv_train_spec_default(s);
    s->seed = ws->seed;
    if (parse_columns(ws->data, argv[0], s, err) < 0)
        return -1;
    bool loss_given = false;
    for (int a = 1; a < argc; a++)
        if (parse_option(argv[a], s, &loss_given, err) < 0)
            return -1;
    /* Without loss=: classes for one column and several outputs, else values. */
    if (!loss_given)
        s->loss = s->n_columns == 1 && iv_model_output_width(ws->model) >= 2 ? IV_TRAIN_CE
                                                                            : IV_TRAIN_MSE;
    return 0;
}

/* ---- installing the trained parameters ----------------------------------------------------------- */

static void swap_floats(float *a, float *b, long n)
{
    for (long i = 0; i < n; i++) {
        float t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Puts the trained parameters into the model (r->params then holds the old ones) and evaluates
 * the workspace again, the reference activations to be recomputed when next needed. The model's
 * shape is unchanged, so every intervention's address still fits and all are kept. On failure
 * the old parameters, reference and evaluation are put back. */
static int install(iv_workspace *ws, iv_train_result *r, iv_error *err)
{
    iv_acts *old_ref = ws->ref_acts;
    iv_stats *old_stats = ws->stats;
    ws->ref_acts = NULL;
    ws->stats = NULL;
    iv_workspace_forget_effect(ws);
    swap_floats(ws->model->params, r->params, r->n_params);
    iv_model_weights_changed(ws->model);
    if (iv_workspace_run(ws, err) < 0) {
        swap_floats(ws->model->params, r->params, r->n_params);
        iv_model_weights_changed(ws->model);
        iv_acts_free(ws->ref_acts);
        iv_stats_free(ws->stats);
        ws->ref_acts = old_ref;
        ws->stats = old_stats;
        return -1;
    }
    iv_acts_free(old_ref);
    iv_stats_free(old_stats);
    ws->model_trained = true;
    ws->unsaved = true; /* quitting now would lose the weights: the explorer asks first */
    return 0;
}

/* ---- the result ---------------------------------------------------------------------------------- */

static json_object *epoch_table(const iv_train_result *r)
{
    json_object *rows = json_object_new_array();
    for (int e = 0; e < r->epochs; e++) {
        const iv_train_epoch *x = &r->record[e];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "epoch", json_object_new_int(e + 1));
        iv_json_set_num(row, "loss", x->loss);
        iv_json_set_num(row, "accuracy", x->accuracy);
        iv_json_set_num(row, "holdout_loss", x->holdout_loss);
        iv_json_set_num(row, "holdout_accuracy", x->holdout_accuracy);
        json_object_array_add(rows, row);
    }
    return rows;
}

static json_object *report(const iv_workspace *ws, const char *columns, const iv_train_spec *s,
                           const iv_train_result *r)
{
    json_object *obj = json_object_new_object();
    const iv_train_epoch *last = &r->record[r->epochs - 1];
    iv_json_set_str(obj, "train", columns);
    iv_json_set_str(obj, "objective", s->loss == IV_TRAIN_CE ? "ce" : "mse");
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "rows", json_object_new_int64(r->train_rows));
    json_object_object_add(obj, "holdout_rows", json_object_new_int64(r->holdout_rows));
    json_object_object_add(obj, "epochs", json_object_new_int(s->epochs));
    json_object_object_add(obj, "batch", json_object_new_int64(s->batch));
    iv_json_set_num(obj, "lr", s->lr);
    json_object_object_add(obj, "seed", json_object_new_int64((int64_t)s->seed));
    iv_json_set_str(obj, "init", s->init_random ? "random" : "keep");
    json_object_object_add(obj, "steps", json_object_new_int64(r->steps));
    json_object_object_add(obj, "parameters", json_object_new_int64(r->n_params));
    iv_json_set_num(obj, "loss", last->loss);
    iv_json_set_num(obj, "accuracy", last->accuracy);
    iv_json_set_num(obj, "holdout_loss", last->holdout_loss);
    iv_json_set_num(obj, "holdout_accuracy", last->holdout_accuracy);
    char *note = iv_xasprintf("the clean network was trained (interventions off); %d "
                              "intervention%s kept", ws->count, ws->count == 1 ? "" : "s");
    iv_json_set_str(obj, "note", note);
    free(note);
    iv_json_set(obj, "record", epoch_table(r));
    return obj;
}

IV_HANDLER(iv_cmd_train)
{
    if (!ws->data)
        return iv_error_set(err, "no dataset to train on: load one with label columns first "
                            "(data load FILE.csv, FILE.npy or FILE.npz)");
    if (ws->data->n_labels == 0)
        return iv_error_set(err, "the dataset (%s) has no label columns to train on", ws->data->spec);
    iv_train_spec s;
    if (parse_spec(ws, argc, argv, &s, err) < 0)
        return -1;
    iv_train_result r;
    if (iv_train_run(ws->model, ws->data, &s, ws->job, &r, err) < 0)
        return -1;
    if (install(ws, &r, err) < 0) {
        iv_train_result_free(&r);
        return IV_ERROR_AS_IS; /* an error of evaluating the workspace */
    }
    iv_emit(sink, IV_RESULT_TRAINING, report(ws, argv[0], &s, &r));
    iv_train_result_free(&r);
    return 0;
}
