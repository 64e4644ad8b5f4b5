/* cmd_causal.c - the high-level causal model, its alignments with neurons, and their IIA. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "files.h"
#include "handlers.h"
#include "iia.h"
#include "kinds.h"
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

/* Whether two subspaces of a site of `width` neurons are orthogonal, to single precision. */
static bool orthogonal_subspaces(const iv_alignment *a, const iv_alignment *b, int width)
{
    for (int i = 0; i < a->k; i++)
        for (int j = 0; j < b->k; j++) {
            double dot = 0;
            for (int c = 0; c < width; c++)
                dot += (double)a->basis[i * width + c] * b->basis[j * width + c];
            if (fabs(dot) > 1e-5)
                return false;
        }
    return true;
}

/* Refuses an alignment whose neurons another variable's alignment (in list) holds too. */
static int check_disjoint(const iv_workspace *ws, const iv_alignment *list, int n,
                          const iv_alignment *a, iv_error *err)
{
    for (int i = 0; i < n; i++) {
        if (list[i].var == a->var)
            continue;
        if (list[i].k > 0 && a->k > 0 && list[i].addr.site == a->addr.site) {
            if (orthogonal_subspaces(&list[i], a, ws->model->sites[a->addr.site].width))
                continue;
            return iv_error_set(err, "the subspaces of '%s' and '%s' are not orthogonal: aligned "
                                "variables need disjoint parts of the site",
                                ws->causal->names[a->var], ws->causal->names[list[i].var]);
        }
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

/* Reads basis=q11,q12,... : k rows of width numbers, orthonormal, into a->basis. */
static int read_basis(const char *word, int k, int width, iv_alignment *a, iv_error *err)
{
    if (strncmp(word, "basis=", 6) != 0)
        return iv_error_set(err, "'%s': expected basis=q11,q12,... (the subspace's %d rows of %d, "
                            "as das and save write them)", word, k, width);
    long want = (long)k * width, got = 0;
    double *q = iv_xmalloc(sizeof(double) * (size_t)want);
    for (const char *p = word + 6; *p; got++) {
        size_t len = strcspn(p, ",");
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(len < sizeof num ? len : sizeof num - 1), p);
        double v;
        if (got >= want || len >= sizeof num || iv_parse_double(num, &v) < 0) {
            free(q);
            return got >= want ? iv_error_set(err, "basis=: more than the %ld numbers of %d rows "
                                              "of %d", want, k, width)
                               : iv_error_set(err, "basis=: '%s' is not a finite number", num);
        }
        q[got] = v;
        p += len + (p[len] == ',');
    }
    if (got != want || !iv_rotate_orthonormal(q, k, width)) {
        free(q);
        return got != want ? iv_error_set(err, "basis=: %ld numbers given; subspace %d of a site "
                                          "of %d neurons needs %ld", got, k, width, want)
                           : iv_error_set(err, "basis=: its %d rows are not orthonormal", k);
    }
    a->basis = iv_xmalloc(sizeof(float) * (size_t)want);
    for (long i = 0; i < want; i++)
        a->basis[i] = (float)q[i];
    free(q);
    return 0;
}

/* After VAR SITE: subspace K basis=... (the words from "subspace" on), a learned subspace of the
 * whole site. *used becomes the words the alignment took in all. */
static int read_subspace(const iv_workspace *ws, int argc, char **argv, iv_alignment *a, int *used,
                         iv_error *err)
{
    int width = ws->model->sites[a->addr.site].width;
    char site[128];
    iv_model_site_name(ws->model, a->addr.site, site, sizeof site);
    if (a->addr.n != width)
        return iv_error_set(err, "a subspace is of a whole site: align %s %s subspace K ...",
                            ws->causal->names[a->var], site);
    long k;
    if (argc < 2 || iv_parse_int(argv[1], 1, width, &k) < 0)
        return iv_error_set(err, "subspace %s: expected its dimension, 1 to %d", argc < 2 ? "" :
                            argv[1], width);
    if (argc < 3)
        return iv_error_set(err, "subspace %ld of %s needs its basis (basis=q11,q12,...): "
                            "distributed alignment search learns one (das %s %s dims=%ld)", k,
                            site, ws->causal->names[a->var], site, k);
    a->k = (int)k;
    *used = 5;
    return read_basis(argv[2], a->k, width, a, err);
}

IV_HANDLER(iv_cmd_align)
{
    if (argc > 0 && need_causal(ws, err) < 0)
        return -1;
    /* The new list is built aside and swapped in whole, so a bad pair changes nothing. */
    int n = ws->n_alignments;
    iv_alignment *list = iv_xcalloc((size_t)(n + argc / 2 + 1), sizeof *list);
    for (int i = 0; i < n; i++)
        iv_alignment_copy(&list[i], &ws->alignments[i]);
    for (int i = 0; i < argc;) {
        if (i + 1 >= argc) {
            free_alignments(list, n);
            return iv_error_set(err, "expected align VAR ADDR [VAR ADDR ...], e.g. align %s %s",
                                ws->causal->names[ws->causal->output],
                                argc == 1 ? "h1[0:2]" : argv[argc - 1]);
        }
        iv_alignment a;
        int used = 2;
        int rc = read_alignment(ws, argv + i, &a, err);
        if (rc == 0 && i + 2 < argc && strcmp(argv[i + 2], "subspace") == 0)
            rc = read_subspace(ws, argc - i - 2, argv + i + 2, &a, &used, err);
        if (rc < 0 || check_disjoint(ws, list, n, &a, err) < 0) {
            iv_alignment_clear(&a);
            free_alignments(list, n);
            return -1;
        }
        put_alignment(list, &n, &a);
        i += used;
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
        return iv_error_set(err, "'%s': expected pairs=all|N, seed=S, tol=T or sources=each|one",
                            word);
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
    } else if (klen == 7 && strncmp(word, "sources", 7) == 0) {
        if (strcmp(val, "each") != 0 && strcmp(val, "one") != 0)
            return iv_error_set(err, "sources=%s: expected each (a source per aligned variable) "
                                "or one (one source for all)", val);
        opt->each = strcmp(val, "each") == 0;
    } else {
        return iv_error_set(err, "unknown option '%.*s' (expected pairs=, seed=, tol= or "
                            "sources=)", (int)klen, word);
    }
    return 0;
}

static char *alignment_text(const iv_workspace *ws, const iv_alignment *a)
{
    char *addr = iv_addr_format(ws->model, &a->addr);
    char *text = a->k ? iv_xasprintf("%s <- %s subspace %d", ws->causal->names[a->var], addr,
                                     a->k)
                      : iv_xasprintf("%s <- %s", ws->causal->names[a->var], addr);
    free(addr);
    return text;
}

/* A failing pair shows its inputs too when there are few enough to read. */
#define FAILURE_MAX_INPUTS 16

/* With sources=each, a failing tuple's source rows, one per alignment in their order. */
static json_object *source_rows(const long *sources, int n)
{
    json_object *rows = json_object_new_array();
    for (int j = 0; j < n; j++)
        json_object_array_add(rows, json_object_new_int64(sources[j]));
    return rows;
}

static json_object *failure_row(const iv_workspace *ws, const iv_iia_failure *f);

static json_object *failures_report(const iv_workspace *ws, const iv_iia_result *r)
{
    json_object *rows = json_object_new_array();
    for (int i = 0; i < r->n_failures; i++) {
        json_object *row = failure_row(ws, &r->failures[i]);
        if (r->failure_sources)
            iv_json_set(row, "source_rows", source_rows(r->failure_sources + i * r->n_sources,
                                                        r->n_sources));
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
    if (r->each)
        iv_json_set_str(obj, "sources", "each");
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

/* ---- iia failures=N: more failing pairs than the result keeps --------------------------------- */

/* Takes a failures=N word (1 when taken, 0 when it is another option, -1 when it is wrong). */
static int take_failures_option(const char *word, long *listed, iv_error *err)
{
    if (strncmp(word, "failures=", 9) != 0)
        return 0;
    if (iv_parse_int(word + 9, 0, IV_IIA_MAX_LISTED, listed) < 0)
        return iv_error_set(err, "%s: expected how many failing pairs to list, 0 to %ld", word,
                            IV_IIA_MAX_LISTED);
    return 1;
}

static json_object *failure_row(const iv_workspace *ws, const iv_iia_failure *f)
{
    json_object *row = json_object_new_object();
    int d = ws->model->n_inputs;
    json_object_object_add(row, "base_row", json_object_new_int64(f->base));
    json_object_object_add(row, "source_row", json_object_new_int64(f->source));
    if (d <= FAILURE_MAX_INPUTS) {
        iv_json_set(row, "base", iv_json_floats(ws->data->x + f->base * d, d));
        iv_json_set(row, "source", iv_json_floats(ws->data->x + f->source * d, d));
    }
    iv_json_set_num(row, "network", f->network);
    iv_json_set_num(row, "expected", f->expected);
    return row;
}

/* The report's "failures" become the first `listed` of the recorded failing pairs. */
static void list_recorded_failures(const iv_workspace *ws, json_object *report,
                                   const iv_iia_record *rec, long listed)
{
    json_object *rows = json_object_new_array();
    for (long i = 0; i < rec->n && i < listed; i++) {
        json_object *row = failure_row(ws, &rec->pairs[i]);
        if (rec->sources)
            iv_json_set(row, "source_rows", source_rows(rec->sources + i * rec->n_sources,
                                                        rec->n_sources));
        json_object_array_add(rows, row);
    }
    iv_json_set(report, "failures", rows);
}

/* ---- iia matrix: every pair of a few rows, as a base x source map ------------------------------ */

/* How many of an axis's g points to take, at most `most`: the most that keep an even stride, as
 * the explorer's maps subsample; `most` itself when no stride is even enough. */
static long even_points(long g, long most)
{
    if (g <= most || most < 2)
        return g < most ? g : most;
    for (long k = most; k >= 2 && 2 * k >= most; k--)
        if ((g - 1) % (k - 1) == 0)
            return k;
    return most;
}

typedef struct matrix_rows {
    long rows[IV_IIA_MATRIX_ROWS];
    int n;
    char chosen[256]; /* which rows, as the result says it */
} matrix_rows;

/* A 2-input grid: the whole grid when it has at most IV_IIA_MATRIX_ROWS points, else an evenly
 * spaced sub-grid of at most that many, in the grid's order (x fastest). */
static void grid_matrix_rows(const iv_dataset *ds, matrix_rows *mr)
{
    long gx = ds->grid_count[0], gy = ds->grid_count[1];
    long kx = gx < 11 ? gx : 11, ky = gy < IV_IIA_MATRIX_ROWS / kx ? gy : IV_IIA_MATRIX_ROWS / kx;
    kx = gx < IV_IIA_MATRIX_ROWS / ky ? gx : IV_IIA_MATRIX_ROWS / ky;
    kx = even_points(gx, kx);
    ky = even_points(gy, ky);
    mr->n = 0;
    for (long j = 0; j < ky; j++) {
        long iy = ky > 1 ? lround((double)j * (double)(gy - 1) / (double)(ky - 1)) : 0;
        for (long i = 0; i < kx; i++) {
            long ix = kx > 1 ? lround((double)i * (double)(gx - 1) / (double)(kx - 1)) : 0;
            mr->rows[mr->n++] = ix + gx * iy;
        }
    }
    if (kx == gx && ky == gy)
        snprintf(mr->chosen, sizeof mr->chosen, "the whole grid (%d rows)", mr->n);
    else
        snprintf(mr->chosen, sizeof mr->chosen, "an evenly spaced %ld x %ld sub-grid of the %ld x "
                 "%ld grid (%d of %ld rows)", kx, ky, gx, gy, mr->n, ds->n);
}

/* rows=N: the first N rows; else a 2-input grid's points (above), else the first rows, as many
 * as the matrix takes. */
static void choose_matrix_rows(const iv_workspace *ws, long asked, matrix_rows *mr)
{
    const iv_dataset *ds = ws->data;
    if (asked == 0 && ds->is_grid && ds->d == 2) {
        grid_matrix_rows(ds, mr);
        return;
    }
    long most = asked > 0 ? asked : IV_IIA_MATRIX_ROWS;
    mr->n = (int)(ds->n < most ? ds->n : most);
    for (int i = 0; i < mr->n; i++)
        mr->rows[i] = i;
    if (mr->n == ds->n)
        snprintf(mr->chosen, sizeof mr->chosen, "every row (%d)", mr->n);
    else
        snprintf(mr->chosen, sizeof mr->chosen, "the first %d of %ld rows%s", mr->n, ds->n,
                 asked > 0 ? " (rows=N)" : "");
}

static int read_matrix_option(const char *word, long *asked, double *tol, iv_error *err)
{
    if (strncmp(word, "rows=", 5) == 0) {
        if (iv_parse_int(word + 5, 1, IV_IIA_MATRIX_ROWS, asked) < 0)
            return iv_error_set(err, "%s: expected a count of rows from 1 to %d", word,
                                IV_IIA_MATRIX_ROWS);
        return 0;
    }
    if (strncmp(word, "tol=", 4) == 0) {
        if (iv_parse_double(word + 4, tol) < 0 || *tol < 0)
            return iv_error_set(err, "%s: expected a finite number >= 0", word);
        return 0;
    }
    return iv_error_set(err, "'%s': expected rows=N or tol=T after 'iia matrix'", word);
}

/* A pair's error: |network - expected|, or for a classifier whether the classes differ. */
static double pair_error(const iv_iia_failure *p, bool argmax)
{
    if (argmax)
        return p->network != p->expected;
    return fabs(p->network - p->expected);
}

/* {"x": source rows, "y": base rows, "agree": [[1|0 per source] per base], "error": [[...]]}: a
 * map as gridmap.h lays one out, so text, CSV and the explorer read it as they read maps. */
static json_object *matrix_report(const matrix_rows *mr, const iv_iia_record *rec, bool argmax)
{
    json_object *m = json_object_new_object(), *agree = json_object_new_array();
    json_object *error = json_object_new_array(), *axis = json_object_new_array();
    for (int i = 0; i < mr->n; i++)
        json_object_array_add(axis, json_object_new_int64(mr->rows[i]));
    iv_json_set(m, "x", axis);
    iv_json_set(m, "y", json_object_get(axis));
    iv_json_set_str(m, "x_name", "source row");
    iv_json_set_str(m, "y_name", "base row");
    for (int b = 0; b < mr->n; b++) {
        json_object *arow = json_object_new_array(), *erow = json_object_new_array();
        for (int s = 0; s < mr->n; s++) {
            long p = (long)b * mr->n + s;
            json_object_array_add(arow, json_object_new_int(rec->agree[p]));
            json_object_array_add(erow, iv_json_num(pair_error(&rec->pairs[p], argmax)));
        }
        json_object_array_add(agree, arow);
        json_object_array_add(error, erow);
    }
    iv_json_set(m, "agree", agree);
    iv_json_set(m, "error", error);
    return m;
}

static int iia_matrix_command(iv_workspace *ws, int argc, char **argv, const iv_sink *sink,
                              iv_error *err)
{
    iv_iia_options opt = {.seed = ws->seed, .tol = IV_IIA_DEFAULT_TOL};
    long asked = 0;
    for (int i = 0; i < argc; i++)
        if (read_matrix_option(argv[i], &asked, &opt.tol, err) < 0)
            return -1;
    iv_iia_result r;
    if (!ws->data) /* no rows to choose: the engine's checks say what is missing, in order */
        return iv_iia_run_matrix(ws, NULL, 0, opt.tol, NULL, &r, err);
    matrix_rows mr;
    choose_matrix_rows(ws, asked, &mr);
    iv_iia_record rec;
    if (iv_iia_record_init(&rec, (long)mr.n * mr.n, false, err) < 0)
        return -1;
    if (iv_iia_run_matrix(ws, mr.rows, mr.n, opt.tol, &rec, &r, err) < 0) {
        iv_iia_record_free(&rec);
        return -1;
    }
    json_object *report = iia_report(ws, &opt, &r);
    iv_json_set_str(report, "pairs_drawn", "matrix");
    json_object_object_del(report, "seed");
    json_object_object_del(report, "failures"); /* the matrix shows every one */
    iv_json_set_str(report, "rows", mr.chosen);
    iv_json_set(report, "matrix", matrix_report(&mr, &rec, r.argmax));
    iv_emit(sink, IV_RESULT_IIA, report);
    iv_iia_record_free(&rec);
    iv_iia_result_free(&r);
    return 0;
}

IV_HANDLER(iv_cmd_iia)
{
    if (argc > 0 && strcmp(argv[0], "matrix") == 0)
        return iia_matrix_command(ws, argc - 1, argv + 1, sink, err);
    iv_iia_options opt = {.seed = ws->seed, .tol = IV_IIA_DEFAULT_TOL};
    long listed = IV_IIA_SHOWN_FAILURES;
    for (int i = 0; i < argc; i++) {
        int took = take_failures_option(argv[i], &listed, err);
        if (took < 0 || (!took && read_iia_option(argv[i], &opt, err) < 0))
            return -1;
    }
    iv_iia_record rec = {0};
    if (listed != IV_IIA_SHOWN_FAILURES && iv_iia_record_init(&rec, listed, true, err) < 0)
        return -1;
    opt.record = rec.pairs ? &rec : NULL;
    iv_iia_result r;
    if (iv_iia_run(ws, &opt, &r, err) < 0) {
        iv_iia_record_free(&rec);
        return -1;
    }
    json_object *report = iia_report(ws, &opt, &r);
    if (opt.record)
        list_recorded_failures(ws, report, &rec, listed);
    iv_emit(sink, IV_RESULT_IIA, report);
    iv_iia_record_free(&rec);
    iv_iia_result_free(&r);
    return 0;
}
