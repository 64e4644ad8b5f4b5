/* cmd_causal.c - the high-level causal model, its alignments with neurons, and their IIA. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "files.h"
#include "handlers.h"
#include "iia.h"
#include "report.h"

#define CAUSAL_MAX_FILE (1u << 20)

/* ---- causal ------------------------------------------------------------------------------------ */

static json_object *causal_report(const iv_workspace *ws)
{
    json_object *obj = json_object_new_object();
    const iv_causal *c = ws->causal;
    if (!c) {
        iv_json_set_str(obj, "causal", "none");
        return obj;
    }
    char *text = iv_causal_text(c);
    iv_json_set_str(obj, "causal", text);
    free(text);
    iv_json_set_str(obj, "from", c->origin ? c->origin : "text");
    iv_json_set_str(obj, "output", c->names[c->output]);
    json_object *rows = json_object_new_array();
    for (int i = 0; i < c->n_vars; i++) {
        const iv_causal_var *v = &c->vars[i];
        json_object *row = json_object_new_object();
        iv_json_set_str(row, "variable", v->name);
        iv_json_set_str(row, "expression", v->expr ? v->text : "(input)");
        iv_buf parents = {0};
        iv_buf_append(&parents, "", 0);
        for (int p = 0; p < v->n_parents; p++)
            iv_buf_printf(&parents, "%s%s", p ? ", " : "", c->names[v->parents[p]]);
        iv_json_set_str(row, "parents", parents.data);
        iv_buf_free(&parents);
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "variables", rows);
    return obj;
}

/* The words after `causal` as one text, when they are one (a word holds '='). */
static char *causal_words(int argc, char **argv)
{
    iv_buf b = {0};
    for (int i = 0; i < argc; i++)
        iv_buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
    if (strchr(b.data, '='))
        return b.data;
    iv_buf_free(&b);
    return NULL;
}

/* Keeps the alignments whose variable the new model has too (by name), renumbered. */
static void keep_alignments(iv_workspace *ws, const iv_causal *next)
{
    int kept = 0;
    for (int i = 0; i < ws->n_alignments; i++) {
        iv_alignment *a = &ws->alignments[i];
        int var = next ? iv_causal_find(next, ws->causal->names[a->var]) : -1;
        if (var < 0) {
            iv_alignment_clear(a);
            continue;
        }
        a->var = var;
        ws->alignments[kept++] = *a;
    }
    ws->n_alignments = kept;
}

static void install_causal(iv_workspace *ws, iv_causal *c)
{
    if (ws->causal)
        keep_alignments(ws, c);
    iv_causal_free(ws->causal);
    ws->causal = c;
    ws->unsaved = true;
}

IV_HANDLER(iv_cmd_causal)
{
    const iv_model *m = ws->model;
    if (argc == 1 && strcmp(argv[0], "none") == 0) {
        install_causal(ws, NULL);
    } else if (argc > 0) {
        char *text = causal_words(argc, argv);
        if (!text && argc > 1)
            return iv_error_set(err, "expected causal FILE, or its text: causal \"NAME = "
                                "EXPRESSION; ...\"");
        const char *origin = text ? NULL : argv[0];
        if (!text && !(text = iv_read_file(argv[0], CAUSAL_MAX_FILE, NULL, err)))
            return -1;
        iv_causal *c = iv_causal_parse(text, origin, m->n_inputs, m->input_names, err);
        free(text);
        if (!c)
            return -1;
        install_causal(ws, c);
    }
    iv_emit(sink, IV_RESULT_CAUSAL, causal_report(ws));
    return 0;
}

/* ---- align, unalign ---------------------------------------------------------------------------- */

static json_object *alignments_report(const iv_workspace *ws)
{
    json_object *obj = json_object_new_object(), *rows = json_object_new_array();
    for (int i = 0; i < ws->n_alignments; i++) {
        const iv_alignment *a = &ws->alignments[i];
        json_object *row = json_object_new_object();
        iv_json_set_str(row, "variable", ws->causal->names[a->var]);
        char *addr = iv_addr_format(ws->model, &a->addr);
        iv_json_set_str(row, "neurons", addr);
        free(addr);
        char *kind = a->k ? iv_xasprintf("subspace %d", a->k) : iv_xstrdup("neurons");
        iv_json_set_str(row, "kind", kind);
        free(kind);
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "alignments", rows);
    return obj;
}

static int need_causal(const iv_workspace *ws, iv_error *err)
{
    if (ws->causal)
        return 0;
    return iv_error_set(err, "no causal model: set one first with 'causal FILE' or "
                        "'causal \"NAME = EXPRESSION; ...\"'");
}

static int find_variable(const iv_workspace *ws, const char *name, iv_error *err)
{
    int v = iv_causal_find(ws->causal, name);
    if (v < 0) {
        char *names = iv_causal_names(ws->causal);
        iv_error_set(err, "no variable '%s' in the causal model (expected one of: %s)", name, names);
        free(names);
    }
    return v;
}

/* A neuron of b that a also holds, or -1. */
static int shared_neuron(const iv_alignment *a, const iv_alignment *b)
{
    if (a->addr.site != b->addr.site)
        return -1;
    for (int i = 0; i < a->addr.n; i++)
        for (int j = 0; j < b->addr.n; j++)
            if (a->addr.idx[i] == b->addr.idx[j])
                return a->addr.idx[i];
    return -1;
}

/* Refuses an alignment whose neurons another variable's alignment (in list) holds too. */
static int check_disjoint(const iv_workspace *ws, const iv_alignment *list, int n,
                          const iv_alignment *a, iv_error *err)
{
    for (int i = 0; i < n; i++) {
        if (list[i].var == a->var)
            continue;
        int neuron = shared_neuron(&list[i], a);
        if (neuron < 0)
            continue;
        char site[128], *mine = iv_addr_format(ws->model, &a->addr);
        char *theirs = iv_addr_format(ws->model, &list[i].addr);
        iv_model_site_name(ws->model, a->addr.site, site, sizeof site);
        iv_error_set(err, "%s[%d] would be aligned with both '%s' (%s) and '%s' (%s): aligned "
                     "variables need disjoint neurons", site, neuron, ws->causal->names[a->var],
                     mine, ws->causal->names[list[i].var], theirs);
        free(mine);
        free(theirs);
        return -1;
    }
    return 0;
}

/* Puts a into the list (n entries, room for one more), replacing its variable's alignment. */
static void put_alignment(iv_alignment *list, int *n, const iv_alignment *a)
{
    for (int i = 0; i < *n; i++)
        if (list[i].var == a->var) {
            iv_alignment_clear(&list[i]);
            list[i] = *a;
            return;
        }
    list[(*n)++] = *a;
}

static void free_alignments(iv_alignment *list, int n)
{
    for (int i = 0; i < n; i++)
        iv_alignment_clear(&list[i]);
    free(list);
}

/* Reads one VAR ADDR pair into a. */
static int read_alignment(const iv_workspace *ws, char **argv, iv_alignment *a, iv_error *err)
{
    memset(a, 0, sizeof *a);
    a->var = find_variable(ws, argv[0], err);
    if (a->var < 0)
        return -1;
    return iv_addr_parse(ws->model, argv[1], &a->addr, err);
}

IV_HANDLER(iv_cmd_align)
{
    if (argc > 0 && need_causal(ws, err) < 0)
        return -1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "subspace") == 0)
            return iv_error_set(err, "a subspace alignment (align VAR SITE subspace K) is learned "
                                "by distributed alignment search; align VAR ADDR aligns neurons");
    if (argc % 2 != 0)
        return iv_error_set(err, "expected align VAR ADDR [VAR ADDR ...], e.g. align %s %s",
                            ws->causal->names[ws->causal->output],
                            argc == 1 ? "h1[0:2]" : argv[argc - 1]);
    /* The new list is built aside and swapped in whole, so a bad pair changes nothing. */
    int n = ws->n_alignments;
    iv_alignment *list = iv_xcalloc((size_t)(n + argc / 2 + 1), sizeof *list);
    for (int i = 0; i < n; i++)
        iv_alignment_copy(&list[i], &ws->alignments[i]);
    for (int i = 0; i < argc; i += 2) {
        iv_alignment a;
        if (read_alignment(ws, argv + i, &a, err) < 0 || check_disjoint(ws, list, n, &a, err) < 0) {
            iv_alignment_clear(&a);
            free_alignments(list, n);
            return -1;
        }
        put_alignment(list, &n, &a);
    }
    if (argc > 0) {
        free_alignments(ws->alignments, ws->n_alignments);
        ws->alignments = list;
        ws->n_alignments = n;
        ws->unsaved = true;
    } else {
        free_alignments(list, n);
    }
    iv_emit(sink, IV_RESULT_CAUSAL, alignments_report(ws));
    return 0;
}

IV_HANDLER(iv_cmd_unalign)
{
    (void)argc;
    if (need_causal(ws, err) < 0)
        return -1;
    if (strcmp(argv[0], "all") == 0) {
        free_alignments(ws->alignments, ws->n_alignments);
        ws->alignments = NULL;
        ws->n_alignments = 0;
    } else {
        int v = find_variable(ws, argv[0], err), at = -1;
        if (v < 0)
            return -1;
        for (int i = 0; i < ws->n_alignments; i++)
            at = ws->alignments[i].var == v ? i : at;
        if (at < 0)
            return iv_error_set(err, "'%s' is not aligned (see 'align')", argv[0]);
        iv_alignment_clear(&ws->alignments[at]);
        memmove(&ws->alignments[at], &ws->alignments[at + 1],
                sizeof *ws->alignments * (size_t)(ws->n_alignments - at - 1));
        ws->n_alignments--;
    }
    ws->unsaved = true;
    iv_emit(sink, IV_RESULT_CAUSAL, alignments_report(ws));
    return 0;
}

/* ---- iia --------------------------------------------------------------------------------------- */

static int read_iia_option(const char *word, iv_iia_options *opt, iv_error *err)
{
    const char *eq = strchr(word, '=');
    if (!eq)
        return iv_error_set(err, "'%s': expected pairs=all|N, seed=S or tol=T", word);
    const char *val = eq + 1;
    size_t klen = (size_t)(eq - word);
    long l;
    if (klen == 5 && strncmp(word, "pairs", 5) == 0) {
        if (strcmp(val, "all") == 0) {
            opt->all = true;
            opt->pairs = 0;
        } else if (iv_parse_int(val, 1, IV_IIA_MAX_PAIRS, &l) == 0) {
            opt->all = false;
            opt->pairs = l;
        } else {
            return iv_error_set(err, "pairs=%s: expected all or a count from 1 to %ld", val,
                                IV_IIA_MAX_PAIRS);
        }
    } else if (klen == 4 && strncmp(word, "seed", 4) == 0) {
        if (iv_parse_int(val, 0, LONG_MAX, &l) < 0)
            return iv_error_set(err, "seed=%s: expected a whole number >= 0", val);
        opt->seed = (uint64_t)l;
    } else if (klen == 3 && strncmp(word, "tol", 3) == 0) {
        if (iv_parse_double(val, &opt->tol) < 0 || opt->tol < 0)
            return iv_error_set(err, "tol=%s: expected a finite number >= 0", val);
    } else {
        return iv_error_set(err, "unknown option '%.*s' (expected pairs=, seed= or tol=)",
                            (int)klen, word);
    }
    return 0;
}

static char *alignment_text(const iv_workspace *ws, const iv_alignment *a)
{
    char *addr = iv_addr_format(ws->model, &a->addr);
    char *text = iv_xasprintf("%s <- %s", ws->causal->names[a->var], addr);
    free(addr);
    return text;
}

/* A failing pair shows its inputs too when there are few enough to read. */
#define FAILURE_MAX_INPUTS 16

static json_object *failures_report(const iv_workspace *ws, const iv_iia_result *r)
{
    json_object *rows = json_object_new_array();
    int d = ws->model->n_inputs;
    for (int i = 0; i < r->n_failures; i++) {
        const iv_iia_failure *f = &r->failures[i];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "base_row", json_object_new_int64(f->base));
        json_object_object_add(row, "source_row", json_object_new_int64(f->source));
        if (d <= FAILURE_MAX_INPUTS) {
            iv_json_set(row, "base", iv_json_floats(ws->data->x + f->base * d, d));
            iv_json_set(row, "source", iv_json_floats(ws->data->x + f->source * d, d));
        }
        iv_json_set_num(row, "network", f->network);
        iv_json_set_num(row, "expected", f->expected);
        json_object_array_add(rows, row);
    }
    return rows;
}

static json_object *iia_report(const iv_workspace *ws, const iv_iia_options *opt,
                               const iv_iia_result *r)
{
    json_object *obj = json_object_new_object();
    iv_buf aligned = {0};
    for (int a = 0; a < ws->n_alignments; a++) {
        char *t = alignment_text(ws, &ws->alignments[a]);
        iv_buf_printf(&aligned, "%s%s", a ? ", " : "", t);
        free(t);
    }
    iv_json_set_str(obj, "alignment", aligned.data);
    iv_buf_free(&aligned);
    iv_json_set_num(obj, "iia", r->iia);
    json_object_object_add(obj, "agree", json_object_new_int64(r->agree));
    json_object_object_add(obj, "pairs", json_object_new_int64(r->pairs));
    iv_json_set_str(obj, "pairs_drawn", r->all ? "all" : "seeded");
    if (!r->all)
        json_object_object_add(obj, "seed", json_object_new_int64((int64_t)opt->seed));
    iv_json_set_num(obj, "factual_accuracy", r->factual);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    char tol[32];
    iv_format_number(tol, sizeof tol, opt->tol);
    char *how = r->argmax ? iv_xstrdup("argmax")
                          : iv_xasprintf("|difference| <= %s x max(1, |expected|)", tol);
    iv_json_set_str(obj, "agreement", how);
    free(how);
    json_object *ids = json_object_new_array();
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled)
            json_object_array_add(ids, json_object_new_int(ws->list[i].id));
    iv_json_set(obj, "interventions", ids);
    json_object_object_add(obj, "failing", json_object_new_int64(r->pairs - r->agree));
    if (r->alone) {
        json_object *rows = json_object_new_array();
        for (int a = 0; a < ws->n_alignments; a++) {
            json_object *row = json_object_new_object();
            char *t = alignment_text(ws, &ws->alignments[a]);
            iv_json_set_str(row, "alone", t);
            free(t);
            iv_json_set_num(row, "iia", r->alone[a]);
            json_object_array_add(rows, row);
        }
        iv_json_set(obj, "per_variable", rows);
    }
    iv_json_set(obj, "failures", failures_report(ws, r));
    return obj;
}

IV_HANDLER(iv_cmd_iia)
{
    iv_iia_options opt = {.seed = ws->seed, .tol = IV_IIA_DEFAULT_TOL};
    for (int i = 0; i < argc; i++)
        if (read_iia_option(argv[i], &opt, err) < 0)
            return -1;
    iv_iia_result r;
    if (iv_iia_run(ws, &opt, &r, err) < 0)
        return -1;
    iv_emit(sink, IV_RESULT_IIA, iia_report(ws, &opt, &r));
    iv_iia_result_free(&r);
    return 0;
}
