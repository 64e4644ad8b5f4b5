/* cmd_state.c - commands that choose what is examined: model, inputs, dataset, seed, sessions. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "files.h"
#include "formats/formats.h"
#include "gpt2.h"
#include "handlers.h"
#include "labels.h"
#include "metrics.h"
#include "prompt_data.h"
#include "report.h"
#include "tokenizer.h"

IV_HANDLER(iv_cmd_model)
{
    /* Its errors name the file (or the model's target or data line), not the command. */
    iv_model *m = iv_model_load(argv[0], err);
    if (!m)
        return IV_ERROR_AS_IS;
    /* Sessions record the absolute path, so a saved session loads from any directory. */
    char *abs = strncmp(argv[0], "builtin:", 8) ? realpath(argv[0], NULL) : NULL;
    if (abs)
        m->path = iv_arena_strdup(m->arena, abs);
    free(abs);
    return iv_workspace_set_model(ws, m, err) < 0 ? IV_ERROR_AS_IS : 0;
}

/* A transformer's sizes, its tokenizer, and its sites with their axes (positions, heads,
 * values at each). */
static void transformer_info(const iv_model *m, json_object *obj)
{
    const iv_gpt2_config *c = m->gpt2;
    json_object *t = json_object_new_object();
    json_object_object_add(t, "layers", json_object_new_int(c->n_layer));
    json_object_object_add(t, "heads", json_object_new_int(c->n_head));
    json_object_object_add(t, "width", json_object_new_int(c->d_model));
    json_object_object_add(t, "mlp", json_object_new_int(c->d_mlp));
    json_object_object_add(t, "context", json_object_new_int(c->n_ctx));
    json_object_object_add(t, "vocabulary", json_object_new_int(c->d_vocab));
    iv_json_set_str(t, "activation", iv_activation_name(c->act));
    json_object_object_add(t, "tied", json_object_new_boolean(c->tied));
    json_object_object_add(t, "positions", json_object_new_int(m->positions));
    iv_json_set_str(t, "tokenizer", m->tokenizer ? iv_tokenizer_kind(m->tokenizer) : "none");
    json_object_object_add(t, "parameters", json_object_new_int64(m->n_params));
    iv_json_set(obj, "transformer", t);
    json_object *sites = json_object_new_array();
    for (int s = 1; s < m->n_sites; s++) {
        const iv_site *site = &m->sites[s];
        json_object *row = json_object_new_object();
        char shape[64];
        if (site->kind == IV_SITE_ATTN)
            snprintf(shape, sizeof shape, "heads %d x query %d x key %d", site->heads,
                     site->positions, site->inner);
        else if (site->heads)
            snprintf(shape, sizeof shape, "pos %d x heads %d x %d", site->positions, site->heads,
                     site->inner);
        else
            snprintf(shape, sizeof shape, "pos %d x %d", site->positions, site->inner);
        iv_json_set_str(row, "site", site->name);
        iv_json_set_str(row, "shape", shape);
        json_object_array_add(sites, row);
    }
    iv_json_set(obj, "sites", sites);
}

IV_HANDLER(iv_cmd_info)
{
    const iv_model *m = ws->model;
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "model", m->name ? m->name : "");
    iv_json_set_str(obj, "path", m->path ? m->path : "");
    json_object *inputs = json_object_new_array();
    for (int i = 0; i < m->n_inputs; i++)
        json_object_array_add(inputs, json_object_new_string(m->input_names[i]));
    iv_json_set(obj, "inputs", inputs);
    json_object *layers = json_object_new_array();
    for (int l = 0; l < m->n_layers; l++) {
        const iv_layer *L = &m->layers[l];
        json_object *lo = json_object_new_object();
        iv_json_set_str(lo, "layer", L->name);
        json_object_object_add(lo, "in", json_object_new_int(L->n_in));
        json_object_object_add(lo, "out", json_object_new_int(L->n_out));
        iv_json_set_str(lo, "activation", iv_activation_name(L->act));
        json_object_object_add(lo, "bias", json_object_new_boolean(L->bias != NULL));
        json_object_array_add(layers, lo);
    }
    iv_json_set(obj, "layers", layers);
    if (m->gpt2)
        transformer_info(m, obj);
    if (m->target)
        iv_json_set_str(obj, "target", m->target);
    iv_json_set_str(obj, "dataset", ws->data ? ws->data->spec : "none");
    iv_emit(sink, IV_RESULT_MODEL, obj);
    return 0;
}

/* Reads input values: all of them in order, or NAME=VALUE pairs changing only those named. */
static int parse_input(const iv_model *m, int argc, char **argv, float *values, iv_error *err)
{
    float *v = iv_xmalloc(sizeof(float) * (size_t)m->n_inputs);
    memcpy(v, values, sizeof(float) * (size_t)m->n_inputs);
    bool named = strchr(argv[0], '=') != NULL;
    if (!named && argc != m->n_inputs) {
        free(v);
        iv_buf names = {0};
        for (int i = 0; i < m->n_inputs && names.len < 200; i++)
            iv_buf_printf(&names, "%s%s", i ? " " : "", m->input_names[i]);
        iv_error_set(err, "expected %d value%s (%s%s), got %d", m->n_inputs,
                     m->n_inputs == 1 ? "" : "s", names.data, names.len >= 200 ? " ..." : "", argc);
        iv_buf_free(&names);
        return -1;
    }
    for (int a = 0; a < argc; a++) {
        int i = a;
        const char *text = argv[a];
        if (named) {
            const char *eq = strchr(argv[a], '=');
            if (!eq) {
                free(v);
                return iv_error_set(err, "'%s': give every value as NAME=VALUE, or none", argv[a]);
            }
            for (i = 0; i < m->n_inputs; i++)
                if (strlen(m->input_names[i]) == (size_t)(eq - argv[a]) &&
                    strncmp(m->input_names[i], argv[a], (size_t)(eq - argv[a])) == 0)
                    break;
            if (i == m->n_inputs) {
                free(v);
                return iv_error_set(err, "'%s': the model has no input named '%.*s'", argv[a],
                                    (int)(eq - argv[a]), argv[a]);
            }
            text = eq + 1;
        }
        double d;
        if (iv_parse_double(text, &d) < 0 || d > 3.0e38 || d < -3.0e38) {
            free(v);
            return iv_error_set(err, "'%s' is not a finite number", text);
        }
        v[i] = (float)d;
        char why[128];
        if (iv_model_input_check(m, v[i], why, sizeof why)) {
            free(v);
            return iv_error_set(err, "'%s': %s", text, why);
        }
    }
    memcpy(values, v, sizeof(float) * (size_t)m->n_inputs);
    free(v);
    return 0;
}

/* ---- inputs: typed, or a row of the dataset ------------------------------------------------------ */

/* The row `input row WORD` names: a number, or next / prev from the current row, wrapping (from no
 * row, next is the first and prev the last). */
static int parse_row(const iv_workspace *ws, const char *word, long current, long *row,
                     iv_error *err)
{
    if (!ws->data)
        return iv_error_set(err, "row %s: no reference dataset: set one with 'data'", word);
    long n = ws->data->n;
    if (strcmp(word, "next") == 0) {
        *row = current < 0 ? 0 : (current + 1) % n;
        return 0;
    }
    if (strcmp(word, "prev") == 0) {
        *row = current < 0 ? n - 1 : (current + n - 1) % n;
        return 0;
    }
    long v;
    if (iv_parse_int(word, 0, LONG_MAX, &v) < 0)
        return iv_error_set(err, "row '%s': expected a row number (0 to %ld), next or prev", word,
                            n - 1);
    if (v >= n)
        return iv_error_set(err, "row %ld is past the last row, %ld", v, n - 1);
    *row = v;
    return 0;
}

/* `input row WORD` or `source row WORD`: copies that row's inputs into values. */
static int take_row(iv_workspace *ws, int argc, char **argv, float *values, long *row,
                    iv_error *err)
{
    if (argc != 2)
        return iv_error_set(err, "expected row N, row next or row prev");
    long r = -1;
    if (parse_row(ws, argv[1], *row, &r, err) < 0)
        return -1;
    int d = ws->model->n_inputs;
    memcpy(values, ws->data->x + r * d, sizeof(float) * (size_t)d);
    *row = r;
    return 0;
}

static bool is_row_command(int argc, char **argv)
{
    return argc >= 1 && strcmp(argv[0], "row") == 0;
}

static json_object *input_report(const iv_workspace *ws, const char *key, const float *v, long row)
{
    const iv_model *m = ws->model;
    json_object *obj = json_object_new_object(), *vals = json_object_new_object();
    for (int i = 0; i < m->n_inputs; i++)
        iv_json_set_num(vals, m->input_names[i], v[i]);
    iv_json_set(obj, key, vals);
    if (row < 0 || !ws->data)
        return obj;
    json_object_object_add(obj, "row", json_object_new_int64(row));
    iv_json_set_str(obj, "dataset", ws->data->spec);
    if (ws->data->n_labels) {
        json_object *labels = json_object_new_object();
        for (int i = 0; i < ws->data->n_labels; i++)
            iv_json_set_num(labels, ws->data->label_names[i],
                            ws->data->labels[row * ws->data->n_labels + i]);
        iv_json_set(obj, "labels", labels);
    }
    return obj;
}

/* For a transformer, words that are not token ids (nor NAME=ID) are a prompt's text:
 * `source "When Mary and John went to the store, Mary gave a drink to"`. */
static bool is_text(const iv_workspace *ws, int argc, char **argv)
{
    if (!ws->model->gpt2)
        return false;
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        double d;
        if (!(eq && eq > argv[i]) && iv_parse_double(argv[i], &d) < 0) /* not NAME=V, no number */
            return true;
    }
    return false;
}

IV_HANDLER(iv_cmd_input)
{
    if (argc > 0 && !is_row_command(argc, argv) && is_text(ws, argc, argv))
        return iv_cmd_prompt(ws, argc, argv, sink, err);
    if (argc == 0) {
        iv_emit(sink, IV_RESULT_INPUT, input_report(ws, "input", ws->base, ws->input_row));
        return 0;
    }
    if (is_row_command(argc, argv))
        return take_row(ws, argc, argv, ws->base, &ws->input_row, err);
    if (parse_input(ws->model, argc, argv, ws->base, err) < 0)
        return -1;
    ws->input_row = -1;
    return 0;
}

IV_HANDLER(iv_cmd_source)
{
    if (argc == 0) {
        if (!ws->has_source)
            return iv_error_set(err, "none is set (e.g. 'source 5 3')");
        iv_emit(sink, IV_RESULT_INPUT, input_report(ws, "source", ws->source, ws->source_row));
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "none") == 0) {
        for (int i = 0; i < ws->count; i++)
            if (ws->list[i].kind == IV_PATCH)
                return iv_error_set(err, "intervention #%d patches from it; drop it first",
                                    ws->list[i].id);
        ws->has_source = false;
        ws->source_row = -1;
        return 0;
    }
    if (!is_row_command(argc, argv) && is_text(ws, argc, argv)) {
        char **words = iv_xmalloc(sizeof(char *) * (size_t)(argc + 1));
        words[0] = "source";
        memcpy(words + 1, argv, sizeof(char *) * (size_t)argc);
        int rc = iv_cmd_prompt(ws, argc + 1, words, sink, err);
        free(words);
        return rc;
    }
    if (is_row_command(argc, argv)) {
        if (take_row(ws, argc, argv, ws->source, &ws->source_row, err) < 0)
            return -1;
    } else {
        if (parse_input(ws->model, argc, argv, ws->source, err) < 0)
            return -1;
        ws->source_row = -1;
    }
    ws->has_source = true;
    return 0;
}

IV_HANDLER(iv_cmd_swap)
{
    if (!ws->has_source)
        return iv_error_set(err, "there is no source input (e.g. 'source 5 3')");
    float *t = ws->base;
    ws->base = ws->source;
    ws->source = t;
    long row = ws->input_row;
    ws->input_row = ws->source_row;
    ws->source_row = row;
    return 0;
}

/* "dataset: load x.npy (10000 examples, 784 inputs, labels: y)", or "dataset: none". */
static void report_dataset_set(const iv_workspace *ws, const char *metric_note, const iv_sink *sink)
{
    const iv_dataset *ds = ws->data;
    json_object *obj = json_object_new_object();
    iv_buf done = {0};
    if (!ds) {
        iv_buf_printf(&done, "dataset: none");
    } else {
        iv_buf_printf(&done, "dataset: %s (%ld example%s, %d input%s", ds->spec, ds->n,
                      ds->n == 1 ? "" : "s", ds->d, ds->d == 1 ? "" : "s");
        if (ds->n_labels) {
            char *names = iv_dataset_join_names(ds->n_labels, ds->label_names);
            iv_buf_printf(&done, ", labels: %s", names);
            free(names);
        }
        iv_buf_printf(&done, ")");
    }
    if (metric_note)
        iv_buf_printf(&done, "; %s", metric_note);
    iv_json_set_str(obj, "done", done.data);
    iv_json_set_str(obj, "dataset", ds ? ds->spec : "none");
    if (ds) {
        json_object_object_add(obj, "examples", json_object_new_int64(ds->n));
        json_object_object_add(obj, "inputs", json_object_new_int(ds->d));
        json_object *labels = json_object_new_array();
        for (int i = 0; i < ds->n_labels; i++)
            json_object_array_add(labels, json_object_new_string(ds->label_names[i]));
        iv_json_set(obj, "labels", labels);
    }
    if (metric_note)
        iv_json_set_str(obj, "metric", ws->label_column >= 0 ? "label" : "clean");
    iv_buf_free(&done);
    iv_emit(sink, IV_RESULT_DONE, obj);
}

/* After the dataset changed (which forgets the label column): measures against the same column of
 * the new one when it has it and it still fits, else says that loss gaps are back to clean.
 * Returns the note to report (allocated), or NULL when nothing changed. */
static char *relabel(iv_workspace *ws, const char *label)
{
    if (!label)
        return NULL;
    iv_error why;
    if (ws->data && iv_metrics_set_label(ws, label, &why) == 0)
        return NULL;
    iv_workspace_forget_effect(ws);
    return iv_xasprintf("metric: back to clean (the new dataset has no usable label column '%s')",
                        label);
}

IV_HANDLER(iv_cmd_data)
{
    if (argc == 0) {
        if (!ws->data)
            return iv_error_set(err, "none is set (e.g. 'data grid x=0:10:1 y=0:10:1')");
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "dataset", ws->data->spec);
        json_object_object_add(obj, "examples", json_object_new_int64(ws->data->n));
        json_object *labels = json_object_new_array();
        for (int i = 0; i < ws->data->n_labels; i++)
            json_object_array_add(labels, json_object_new_string(ws->data->label_names[i]));
        iv_json_set(obj, "labels", labels);
        iv_emit(sink, IV_RESULT_DATASET, obj);
        return 0;
    }
    char *label = ws->label_column >= 0
                      ? iv_xstrdup(ws->data->label_names[ws->label_column]) : NULL;
    int rc;
    if (argc == 1 && strcmp(argv[0], "none") == 0) {
        for (int i = 0; i < ws->count; i++)
            if (iv_kind_needs_stats(ws->list[i].kind)) {
                free(label);
                return iv_error_set(err, "intervention #%d uses the dataset; drop it first",
                                    ws->list[i].id);
            }
        /* Dropping the dataset fails only in evaluating the workspace again. */
        rc = iv_workspace_replace_data(ws, NULL, err) < 0 ? IV_ERROR_AS_IS : 0;
    } else {
        const iv_model *m = ws->model;
        bool prompts;
        iv_dataset *ds = iv_prompt_dataset(m, argc, argv, &prompts, err);
        if (!prompts)
            ds = iv_dataset_build(argc, argv, m->n_inputs, m->input_names, ws->seed, err);
        if (ds && iv_dataset_check_inputs(m, ds, err) < 0) {
            iv_dataset_free(ds);
            ds = NULL;
        }
        iv_labels_apply(ws, ds); /* the labels defined over the inputs, on the new rows */
        rc = ds ? iv_workspace_replace_data(ws, ds, err) : -1;
    }
    if (rc == 0) {
        char *note = relabel(ws, label);
        report_dataset_set(ws, note, sink);
        free(note);
    }
    free(label);
    return rc;
}

IV_HANDLER(iv_cmd_seed)
{
    if (argc == 0) {
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "seed", json_object_new_uint64(ws->seed));
        iv_emit(sink, IV_RESULT_SETTING, obj);
        return 0;
    }
    long v;
    if (iv_parse_int(argv[0], 0, LONG_MAX, &v) < 0)
        return iv_error_set(err, "'%s' is not a whole number >= 0", argv[0]);
    ws->seed = (uint64_t)v;
    return 0;
}

IV_HANDLER(iv_cmd_metric)
{
    bool label = argc >= 1 && strcmp(argv[0], "label") == 0;
    if (argc >= 1 && strcmp(argv[0], "logit-diff") == 0) {
        if (argc != 3)
            return iv_error_set(err, "expected metric logit-diff A B (two tokens, e.g. \" Mary\" "
                                "\" John\")");
        if (iv_metrics_set_logit_diff(ws, argv[1], argv[2], err) < 0)
            return -1;
        iv_workspace_forget_effect(ws);
        argc = 0; /* reported below */
    }
    if (argc == 3)
        return iv_error_set(err, "expected clean, target, label COLUMN or logit-diff A B");
    if (label && argc != 2)
        return iv_error_set(err, "expected metric label COLUMN (a label column of the dataset)");
    if (!label && argc == 2)
        return iv_error_set(err, "expected clean, target or label COLUMN, got '%s %s'", argv[0],
                            argv[1]);
    if (label) {
        if (iv_metrics_set_label(ws, argv[1], err) < 0)
            return -1;
        iv_workspace_forget_effect(ws); /* the effect's loss was measured another way */
    } else if (argc == 1) {
        if (strcmp(argv[0], "clean") && strcmp(argv[0], "target"))
            return iv_error_set(err, "expected clean, target or label COLUMN, got '%s'", argv[0]);
        bool target = strcmp(argv[0], "target") == 0;
        if (target && (!ws->target || iv_model_is_classifier(ws->model) ||
                       iv_model_output_width(ws->model) != 1))
            return iv_error_set(err, "'target' needs a regression model with one output "
                                "and a target expression");
        if (ws->label_column >= 0 || ws->logit_diff[0] >= 0)
            iv_workspace_forget_effect(ws);
        ws->loss_vs_target = target;
        ws->label_column = -1;
        ws->logit_diff[0] = ws->logit_diff[1] = -1;
    }
    json_object *obj = json_object_new_object();
    if (ws->logit_diff[0] >= 0) {
        const iv_tokenizer *tok = ws->model->tokenizer;
        const char *a = tok ? iv_tokenizer_token(tok, ws->logit_diff[0]) : NULL;
        const char *b = tok ? iv_tokenizer_token(tok, ws->logit_diff[1]) : NULL;
        char *name = a && b ? iv_xasprintf("logit-diff \"%s\" \"%s\"", a, b)
                            : iv_xasprintf("logit-diff id:%d id:%d", ws->logit_diff[0],
                                           ws->logit_diff[1]);
        iv_json_set_str(obj, "metric", name);
        free(name);
    } else if (ws->label_column >= 0) {
        char *name = iv_xasprintf("label %s", ws->data->label_names[ws->label_column]);
        iv_json_set_str(obj, "metric", name);
        free(name);
    } else {
        iv_json_set_str(obj, "metric", ws->loss_vs_target ? "target" : "clean");
    }
    iv_json_set_str(obj, "loss", iv_loss_name(ws));
    iv_emit(sink, IV_RESULT_SETTING, obj);
    return 0;
}

IV_HANDLER(iv_cmd_limit)
{
    (void)ws;
    bool memory = argc == 2 && strcmp(argv[0], "memory") == 0;
    bool pass = argc == 2 && strcmp(argv[0], "pass") == 0;
    if (argc == 1 || (argc == 2 && !memory && !pass))
        return iv_error_set(err, "expected 'limit', 'limit memory SIZE' or 'limit pass SIZE'");
    size_t bytes;
    if (argc == 2 && (iv_parse_size(argv[1], &bytes) < 0 || bytes < ((size_t)1 << 20)))
        return iv_error_set(err, "'%s' is not a size of at least 1M (e.g. 512M, 4G)", argv[1]);
    if (memory)
        iv_memory_limit_set(bytes);
    if (pass)
        iv_pass_limit_set(bytes);
    char text[32], pass_text[32];
    iv_format_size(text, sizeof text, (double)iv_memory_limit());
    iv_format_size(pass_text, sizeof pass_text, (double)iv_pass_limit());
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "memory", text);
    json_object_object_add(obj, "memory_bytes", json_object_new_int64((int64_t)iv_memory_limit()));
    iv_json_set_str(obj, "pass", pass_text);
    json_object_object_add(obj, "pass_bytes", json_object_new_int64((int64_t)iv_pass_limit()));
    iv_emit(sink, IV_RESULT_SETTING, obj);
    return 0;
}

/* The commands of a saved session, not counting the line that ends it. */
static int session_command_count(const char *text)
{
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds);
    iv_script_free(cmds, n);
    return n;
}

IV_HANDLER(iv_cmd_save)
{
    /* A session opens its model from its file, which no longer holds trained weights. */
    if (ws->model_trained)
        return iv_error_set(err, "the model was trained in this session and %s has the old "
                            "weights: write them first with 'export model FILE.nn' (the session "
                            "then opens that file)", ws->model->path ? ws->model->path : "its file");
    char *text = iv_session_script(ws);
    if (iv_write_file_atomic(argv[0], text, strlen(text), err) < 0) {
        free(text);
        return -1;
    }
    ws->unsaved = false;
    json_object *obj = json_object_new_object();
    int commands = session_command_count(text);
    char *done = iv_xasprintf("saved session to %s (%d command%s)", argv[0], commands,
                              commands == 1 ? "" : "s");
    iv_json_set_str(obj, "done", done);
    iv_json_set_str(obj, "saved", argv[0]);
    json_object_object_add(obj, "commands", json_object_new_int(commands));
    free(done);
    free(text);
    iv_emit(sink, IV_RESULT_DONE, obj);
    return 0;
}

/* Refuses a file that is already being run by a load or -s outside this one (it would replay
 * itself without end), naming the chain of files, and chains deeper than IV_MAX_SCRIPT_DEPTH. */
static int check_not_running(const iv_workspace *ws, const char *path, const char *real,
                             iv_error *err)
{
    int depth = 0;
    bool loop = false;
    for (const iv_script_frame *f = ws->running; f; f = f->outer, depth++)
        loop = loop || strcmp(f->real, real) == 0;
    if (!loop && depth < IV_MAX_SCRIPT_DEPTH)
        return 0;
    /* The chain, outermost first; a deep one shows its two ends. */
    const iv_script_frame *stack[IV_MAX_SCRIPT_DEPTH + 1];
    int n = 0;
    for (const iv_script_frame *f = ws->running; f && n <= IV_MAX_SCRIPT_DEPTH; f = f->outer)
        stack[n++] = f;
    iv_buf chain = {0};
    for (int i = n - 1; i >= 0; i--)
        if (i >= n - 2 || i < 2)
            iv_buf_printf(&chain, "%s -> ", stack[i]->path);
        else if (i == n - 3)
            iv_buf_printf(&chain, "... -> ");
    iv_buf_printf(&chain, "%s", path);
    if (loop)
        iv_error_set(err, "'%s' is already being run (%s): a file cannot load itself", path,
                     chain.data);
    else
        iv_error_set(err, "files load each other more than %d deep (%s)", IV_MAX_SCRIPT_DEPTH,
                     chain.data);
    iv_buf_free(&chain);
    return -1;
}

IV_HANDLER(iv_cmd_load)
{
    char *real = realpath(argv[0], NULL);
    if (!real) {
        iv_error_set(err, "%s: cannot open: %s", argv[0], strerror(errno));
        return -1;
    }
    if (check_not_running(ws, argv[0], real, err) < 0) {
        free(real);
        return -1;
    }
    char *text = iv_read_file(argv[0], 16u << 20, NULL, err);
    if (!text || iv_session_check(text, argv[0], err) < 0) {
        free(text);
        free(real);
        return -1;
    }
    /* Replay into a fresh workspace and swap only on success, so a bad file loses nothing. */
    iv_model *builtin = iv_model_load("builtin:max", err);
    iv_workspace *fresh = builtin ? iv_workspace_new(builtin, err) : NULL;
    if (!fresh) {
        free(text);
        free(real);
        return IV_ERROR_AS_IS; /* evaluating the builtin model failed */
    }
    fresh->seed = ws->seed;
    fresh->job = ws->job; /* a long replay reports progress and can be cancelled too */
    iv_script_frame frame = {argv[0], real, ws->running};
    fresh->running = &frame;
    int failures = iv_script_run(fresh, text, argv[0], &iv_sink_discard, false, NULL, NULL, err);
    free(text);
    free(real);
    fresh->running = NULL;
    if (failures) {
        iv_workspace_free(fresh);
        return -1;
    }
    iv_workspace_adopt(ws, fresh);
    ws->unsaved = false;
    return 0;
}
