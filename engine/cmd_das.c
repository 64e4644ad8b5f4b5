/* cmd_das.c - `das`: distributed alignment search, its subspaces kept as the variables'
 * alignments. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "das.h"
#include "handlers.h"
#include "report.h"

/* ---- reading the words ------------------------------------------------------------------------- */

/* "WX,YZ" -> the causal model's variables. */
static int parse_variables(const iv_workspace *ws, const char *word, iv_das_spec *s,
                           iv_error *err)
{
    s->n_vars = 0;
    for (const char *p = word;; p++) {
        size_t len = strcspn(p, ",");
        char name[128];
        snprintf(name, sizeof name, "%.*s", len < sizeof name ? (int)len : (int)sizeof name - 1, p);
        int v = iv_causal_find(ws->causal, name);
        if (v < 0) {
            char *names = iv_causal_names(ws->causal);
            iv_error_set(err, "no variable '%s' in the causal model (expected one of: %s)", name,
                         names);
            free(names);
            return -1;
        }
        if (s->n_vars == IV_DAS_MAX_VARS)
            return iv_error_set(err, "more than %d variables", IV_DAS_MAX_VARS);
        s->vars[s->n_vars++] = v;
        p += len;
        if (!*p)
            return 0;
    }
}

/* dims=K[,K2...]: one count per variable. */
static int parse_dims(const char *val, iv_das_spec *s, int *given, iv_error *err)
{
    *given = 0;
    for (const char *p = val;; p++) {
        size_t len = strcspn(p, ",");
        char num[32];
        long k;
        snprintf(num, sizeof num, "%.*s", len < sizeof num ? (int)len : (int)sizeof num - 1, p);
        if (len >= sizeof num || iv_parse_int(num, 1, IV_MAX_WIDTH, &k) < 0)
            return iv_error_set(err, "dims=%s: '%s' is not a whole number from 1 to %d", val, num,
                                IV_MAX_WIDTH);
        if (*given == IV_DAS_MAX_VARS)
            return iv_error_set(err, "dims=%s: more than %d counts", val, IV_DAS_MAX_VARS);
        s->dims[(*given)++] = (int)k;
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

static int parse_fraction(const char *key, const char *val, double lo, double hi, double *out,
                          iv_error *err)
{
    if (iv_parse_double(val, out) < 0 || *out < lo || *out >= hi)
        return iv_error_set(err, "%s=%s: expected a number from %g up to (not including) %g", key,
                            val, lo, hi);
    return 0;
}

#define DAS_OPTIONS "dims, pairs, epochs, batch, lr, seed, holdout, tol"

static int parse_option(const char *word, iv_das_spec *s, int *n_dims, iv_error *err)
{
    const char *eq = strchr(word, '=');
    if (!eq)
        return iv_error_set(err, "'%s': expected an option KEY=VALUE (" DAS_OPTIONS ")", word);
    size_t klen = (size_t)(eq - word);
    const char *val = eq + 1;
    char key[16];
    snprintf(key, sizeof key, "%.*s", klen < sizeof key ? (int)klen : (int)sizeof key - 1, word);
    long n;
    if (klen >= sizeof key)
        key[0] = '\0';
    if (strcmp(key, "dims") == 0)
        return parse_dims(val, s, n_dims, err);
    if (strcmp(key, "pairs") == 0) {
        if (parse_whole(key, val, 2, IV_DAS_MAX_PAIRS, &n, err) < 0)
            return -1;
        s->pairs = n;
    } else if (strcmp(key, "epochs") == 0) {
        if (parse_whole(key, val, 1, IV_DAS_MAX_EPOCHS, &n, err) < 0)
            return -1;
        s->epochs = (int)n;
    } else if (strcmp(key, "batch") == 0) {
        if (parse_whole(key, val, 1, IV_DAS_MAX_PAIRS, &n, err) < 0)
            return -1;
        s->batch = n;
    } else if (strcmp(key, "seed") == 0) {
        if (parse_whole(key, val, 0, LONG_MAX, &n, err) < 0)
            return -1;
        s->seed = (uint64_t)n;
    } else if (strcmp(key, "lr") == 0) {
        if (iv_parse_double(val, &s->lr) < 0 || s->lr <= 0 || s->lr > 1e3)
            return iv_error_set(err, "lr=%s: expected a number above 0 (and at most 1000)", val);
    } else if (strcmp(key, "holdout") == 0) {
        return parse_fraction(key, val, 0, 1, &s->holdout, err);
    } else if (strcmp(key, "tol") == 0) {
        if (iv_parse_double(val, &s->tol) < 0 || s->tol < 0)
            return iv_error_set(err, "tol=%s: expected a finite number >= 0", val);
    } else {
        return iv_error_set(err, "unknown option '%.*s' (expected " DAS_OPTIONS ")",
                            klen > 32 ? 32 : (int)klen, word);
    }
    return 0;
}

/* The site: a whole one, not some of its neurons. */
static int parse_site(const iv_workspace *ws, const char *word, iv_das_spec *s, iv_error *err)
{
    iv_addr a;
    if (iv_addr_parse(ws->model, word, &a, err) < 0)
        return -1;
    int whole = a.n == ws->model->sites[a.site].width;
    s->site = a.site;
    iv_addr_clear(&a);
    if (!whole)
        return iv_error_set(err, "'%s': das learns a subspace of a whole site; give the site's "
                            "name, not some of its neurons", word);
    return 0;
}

static int parse_spec(const iv_workspace *ws, int argc, char **argv, iv_das_spec *s,
                      iv_error *err)
{
    iv_das_spec_default(s);
    s->seed = ws->seed;
    if (parse_variables(ws, argv[0], s, err) < 0 || parse_site(ws, argv[1], s, err) < 0)
        return -1;
    int n_dims = -1;
    for (int a = 2; a < argc; a++)
        if (parse_option(argv[a], s, &n_dims, err) < 0)
            return -1;
    if (n_dims < 0)
        return iv_error_set(err, "dims=K%s is needed: the dimensions of %s", s->n_vars > 1 ?
                            ",K2,..." : "", s->n_vars > 1 ? "each variable's subspace" :
                            "the variable's subspace");
    if (n_dims != s->n_vars)
        return iv_error_set(err, "dims: %d count%s for %d variable%s (one each, in their order)",
                            n_dims, n_dims == 1 ? "" : "s", s->n_vars, s->n_vars == 1 ? "" : "s");
    return 0;
}

/* Another variable's alignment at the site would overlap the subspaces learned there. */
static int check_site_free(const iv_workspace *ws, const iv_das_spec *s, iv_error *err)
{
    for (int i = 0; i < ws->n_alignments; i++) {
        const iv_alignment *a = &ws->alignments[i];
        bool ours = false;
        for (int v = 0; v < s->n_vars; v++)
            ours = ours || a->var == s->vars[v];
        if (ours || a->addr.site != s->site)
            continue;
        char site[128];
        iv_model_site_name(ws->model, s->site, site, sizeof site);
        const char *name = ws->causal->names[a->var];
        return iv_error_set(err, "'%s' is aligned at %s too, where the new subspaces would overlap "
                            "it: unalign it first ('unalign %s')", name, site, name);
    }
    return 0;
}

/* ---- installing the subspaces ------------------------------------------------------------------ */

/* The learned subspaces become the variables' alignments, replacing what they had. */
static void install(iv_workspace *ws, const iv_das_spec *s, const iv_das_result *r)
{
    int n = 0;
    iv_alignment *list = iv_xcalloc((size_t)(ws->n_alignments + s->n_vars), sizeof *list);
    for (int i = 0; i < ws->n_alignments; i++) {
        bool replaced = false;
        for (int v = 0; v < s->n_vars; v++)
            replaced = replaced || ws->alignments[i].var == s->vars[v];
        if (replaced)
            iv_alignment_clear(&ws->alignments[i]);
        else
            list[n++] = ws->alignments[i];
    }
    for (int v = 0, row = 0; v < s->n_vars; row += s->dims[v], v++) {
        iv_alignment *a = &list[n++];
        a->var = s->vars[v];
        a->k = s->dims[v];
        a->addr.site = s->site;
        a->addr.n = r->width;
        a->addr.idx = iv_xmalloc(sizeof(int) * (size_t)r->width);
        for (int j = 0; j < r->width; j++)
            a->addr.idx[j] = j;
        a->basis = iv_xmalloc(sizeof(float) * (size_t)a->k * (size_t)r->width);
        for (long i = 0; i < (long)a->k * r->width; i++)
            a->basis[i] = (float)r->q[(long)row * r->width + i];
    }
    free(ws->alignments);
    ws->alignments = list;
    ws->n_alignments = n;
    ws->unsaved = true;
}

/* ---- the result -------------------------------------------------------------------------------- */

static json_object *epoch_table(const iv_das_result *r)
{
    json_object *rows = json_object_new_array();
    for (int e = 0; e < r->epochs; e++) {
        const iv_das_epoch *x = &r->record[e];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "epoch", json_object_new_int(e + 1));
        iv_json_set_num(row, "loss", x->loss);
        iv_json_set_num(row, "train_iia", x->train_iia);
        iv_json_set_num(row, "holdout_loss", x->holdout_loss);
        iv_json_set_num(row, "iia", x->iia);
        json_object_array_add(rows, row);
    }
    return rows;
}

static json_object *subspaces(const iv_workspace *ws, const iv_das_spec *s)
{
    json_object *rows = json_object_new_array();
    char site[128];
    iv_model_site_name(ws->model, s->site, site, sizeof site);
    for (int v = 0, row = 0; v < s->n_vars; row += s->dims[v], v++) {
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "variable", ws->causal->names[s->vars[v]]);
        iv_json_set_str(obj, "site", site);
        json_object_object_add(obj, "dims", json_object_new_int(s->dims[v]));
        char *rows_text = iv_xasprintf("%d-%d", row, row + s->dims[v] - 1);
        iv_json_set_str(obj, "rows", rows_text);
        free(rows_text);
        json_object_array_add(rows, obj);
    }
    return rows;
}

static json_object *report(const iv_workspace *ws, char **argv, const iv_das_spec *s,
                           const iv_das_result *r)
{
    json_object *obj = json_object_new_object();
    const iv_das_epoch *last = &r->record[r->epochs - 1];
    iv_json_set_str(obj, "das", argv[0]);
    char site[128];
    iv_model_site_name(ws->model, s->site, site, sizeof site);
    iv_json_set_str(obj, "site", site);
    iv_buf dims = {0};
    for (int v = 0; v < s->n_vars; v++)
        iv_buf_printf(&dims, "%s%d", v ? "," : "", s->dims[v]);
    iv_json_set_str(obj, "dims", dims.data);
    iv_buf_free(&dims);
    json_object_object_add(obj, "width", json_object_new_int(r->width));
    iv_json_set_str(obj, "objective", r->argmax ? "ce" : "mse");
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "pairs", json_object_new_int64(s->pairs));
    json_object_object_add(obj, "train_pairs", json_object_new_int64(r->train_pairs));
    json_object_object_add(obj, "holdout_pairs", json_object_new_int64(r->holdout_pairs));
    json_object_object_add(obj, "epochs", json_object_new_int(s->epochs));
    json_object_object_add(obj, "batch", json_object_new_int64(s->batch));
    iv_json_set_num(obj, "lr", s->lr);
    json_object_object_add(obj, "seed", json_object_new_int64((int64_t)s->seed));
    json_object_object_add(obj, "steps", json_object_new_int64(r->steps));
    iv_json_set_num(obj, "loss", last->loss);
    iv_json_set_num(obj, "train_iia", last->train_iia);
    iv_json_set_num(obj, "holdout_loss", last->holdout_loss);
    iv_json_set_num(obj, "iia", r->iia);
    json_object_object_add(obj, "agree", json_object_new_int64(r->agree));
    iv_json_set(obj, "subspaces", subspaces(ws, s));
    iv_json_set_str(obj, "note", "each variable patched from its own source; the network frozen "
                                 "and clean; the subspaces are now the variables' alignments");
    iv_json_set(obj, "record", epoch_table(r));
    return obj;
}

IV_HANDLER(iv_cmd_das)
{
    if (!ws->causal)
        return iv_error_set(err, "no causal model: set one first with 'causal FILE' or "
                            "'causal \"NAME = EXPRESSION; ...\"'");
    iv_das_spec s;
    if (parse_spec(ws, argc, argv, &s, err) < 0 || iv_das_check(ws, &s, err) < 0 ||
        check_site_free(ws, &s, err) < 0)
        return -1;
    iv_das_result r;
    if (iv_das_run(ws, &s, &r, err) < 0)
        return -1;
    install(ws, &s, &r);
    iv_emit(sink, IV_RESULT_DAS, report(ws, argv, &s, &r));
    iv_das_result_free(&r);
    return 0;
}
