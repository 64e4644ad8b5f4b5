/* labels.c - labels as classes, labels over the inputs, the held-out split, a site's values. */
#include "labels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "build.h"
#include "pass.h"
#include "rng.h"

/* ---- labels defined over the inputs ------------------------------------------------------------ */

/* The name of a definition "NAME = EXPR": its length. */
static size_t def_name_len(const char *def) { return strcspn(def, " ="); }

static int find_def(const iv_workspace *ws, const char *name)
{
    for (int i = 0; i < ws->n_label_defs; i++)
        if (def_name_len(ws->label_defs[i]) == strlen(name) &&
            strncmp(ws->label_defs[i], name, strlen(name)) == 0)
            return i;
    return -1;
}

/* Sets column `name` of ds to values (n), adding the column when it is new. */
static void set_column(iv_dataset *ds, const char *name, const double *values)
{
    int col = iv_dataset_label_column(ds, name);
    if (col < 0) {
        int k = ds->n_labels;
        double *labels = iv_xmalloc(sizeof(double) * (size_t)ds->n * (size_t)(k + 1));
        for (long r = 0; r < ds->n; r++) {
            for (int j = 0; j < k; j++)
                labels[r * (k + 1) + j] = ds->labels[r * k + j];
            labels[r * (k + 1) + k] = 0;
        }
        free(ds->labels);
        ds->labels = labels;
        ds->label_names = iv_xrealloc(ds->label_names, sizeof(char *) * (size_t)(k + 1));
        ds->label_names[k] = iv_xstrdup(name);
        ds->n_labels = k + 1;
        col = k;
    }
    for (long r = 0; r < ds->n; r++)
        ds->labels[r * ds->n_labels + col] = values[r];
}

static void drop_column(iv_dataset *ds, int col)
{
    int k = ds->n_labels;
    for (long r = 0; r < ds->n; r++)
        for (int j = 0, to = 0; j < k; j++)
            if (j != col)
                ds->labels[r * (k - 1) + to++] = ds->labels[r * k + j];
    free(ds->label_names[col]);
    memmove(ds->label_names + col, ds->label_names + col + 1,
            sizeof(char *) * (size_t)(k - 1 - col));
    ds->n_labels = k - 1;
    if (ds->n_labels == 0) {
        free(ds->labels);
        ds->labels = NULL;
        free(ds->label_names);
        ds->label_names = NULL;
    }
}

/* Evaluates a checked definition on every row of ds and sets its column. */
static void apply_def(const iv_model *m, const char *def, iv_dataset *ds)
{
    size_t len = def_name_len(def);
    char *name = iv_xstrdup(def);
    name[len] = '\0';
    const char *text = def + len + strspn(def + len, " =");
    iv_error err;
    iv_expr *e = iv_expr_parse(text, m->n_inputs, m->input_names, &err);
    if (e) { /* it parsed when it was defined, for the same inputs */
        double *vars = iv_xmalloc(sizeof(double) * (size_t)(m->n_inputs > 0 ? m->n_inputs : 1));
        double *values = iv_xmalloc(sizeof(double) * (size_t)(ds->n > 0 ? ds->n : 1));
        for (long r = 0; r < ds->n; r++) {
            for (int i = 0; i < m->n_inputs; i++)
                vars[i] = ds->x[r * ds->d + i];
            values[r] = iv_expr_eval(e, vars);
        }
        set_column(ds, name, values);
        free(values);
        free(vars);
        iv_expr_free(e);
    }
    free(name);
}

void iv_labels_apply(const iv_workspace *ws, iv_dataset *ds)
{
    for (int i = 0; ds && i < ws->n_label_defs; i++)
        apply_def(ws->model, ws->label_defs[i], ds);
}

int iv_label_define(iv_workspace *ws, const char *name, const char *expr, iv_error *err)
{
    const iv_model *m = ws->model;
    if (!iv_is_identifier(name)) /* named as inputs and layers are */
        return iv_error_set(err, "'%s' is not a label name (a letter or _, then letters, digits "
                            "or _)", name);
    for (int i = 0; i < m->n_inputs; i++)
        if (strcmp(m->input_names[i], name) == 0)
            return iv_error_set(err, "'%s' is an input of the model; name the label otherwise",
                                name);
    int col = iv_dataset_label_column(ws->data, name);
    if (col >= 0 && find_def(ws, name) < 0)
        return iv_error_set(err, "'%s' is a label column of the dataset (%s); name the new label "
                            "otherwise", name, ws->data->spec);
    iv_expr *e = iv_expr_parse(expr, m->n_inputs, m->input_names, err);
    if (!e) {
        iv_error_prefix(err, "%s = %s", name, expr);
        return -1;
    }
    iv_expr_free(e);
    char *def = iv_xasprintf("%s = %s", name, expr);
    int at = find_def(ws, name);
    if (at >= 0) {
        free(ws->label_defs[at]);
        ws->label_defs[at] = def;
    } else {
        ws->label_defs = iv_xrealloc(ws->label_defs, sizeof(char *) * (size_t)(ws->n_label_defs + 1));
        ws->label_defs[ws->n_label_defs++] = def;
    }
    if (ws->data)
        apply_def(m, def, ws->data);
    return 0;
}

int iv_label_undefine(iv_workspace *ws, const char *name, iv_error *err)
{
    int at = find_def(ws, name);
    if (at < 0)
        return iv_error_set(err, "no label '%s' was defined with 'label %s = EXPR'", name, name);
    free(ws->label_defs[at]);
    memmove(ws->label_defs + at, ws->label_defs + at + 1,
            sizeof(char *) * (size_t)(ws->n_label_defs - 1 - at));
    ws->n_label_defs--;
    int col = iv_dataset_label_column(ws->data, name);
    if (col >= 0) {
        if (ws->label_column == col)
            ws->label_column = -1;
        else if (ws->label_column > col)
            ws->label_column--;
        drop_column(ws->data, col);
    }
    return 0;
}

/* ---- classes ------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Index of v among the k sorted values (present). */
static int class_of(const double *values, int k, double v)
{
    int lo = 0, hi = k - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (values[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int iv_label_classes(const iv_dataset *ds, const char *name, iv_classes *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!ds)
        return iv_error_set(err, "no dataset: set one with 'data', then name one of its labels");
    int col = iv_dataset_label_column(ds, name);
    if (col < 0) {
        if (ds->n_labels == 0)
            return iv_error_set(err, "no label '%s': the dataset (%s) has no labels; define one "
                                "over the inputs, e.g. label gt = x > y", name, ds->spec);
        char *names = iv_dataset_join_names(ds->n_labels, ds->label_names);
        iv_error_set(err, "no label '%s' (the dataset's labels: %s)", name, names);
        free(names);
        return -1;
    }
    double values[IV_MAX_CLASSES];
    int k = 0;
    for (long r = 0; r < ds->n; r++) {
        double v = ds->labels[r * ds->n_labels + col];
        if (!isfinite(v))
            return iv_error_set(err, "label '%s' is %g on row %ld, which is no class", name, v, r);
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = values[j] == v;
        if (seen)
            continue;
        if (k == IV_MAX_CLASSES)
            return iv_error_set(err, "label '%s' takes more than %d values, so it is no set of "
                                "classes (a number to predict, not a concept to probe)", name,
                                IV_MAX_CLASSES);
        values[k++] = v;
    }
    if (k < 2)
        return iv_error_set(err, "label '%s' takes one value only (%g) on the %ld rows of %s: "
                            "there is nothing to tell apart", name, k ? values[0] : 0.0, ds->n,
                            ds->spec);
    qsort(values, (size_t)k, sizeof(double), cmp_double);
    out->column = col;
    out->k = k;
    out->n = ds->n;
    out->values = iv_xmalloc(sizeof(double) * (size_t)k);
    memcpy(out->values, values, sizeof(double) * (size_t)k);
    out->count = iv_xcalloc((size_t)k, sizeof(long));
    out->y = iv_xmalloc(sizeof(int) * (size_t)ds->n);
    for (long r = 0; r < ds->n; r++) {
        out->y[r] = class_of(values, k, ds->labels[r * ds->n_labels + col]);
        out->count[out->y[r]]++;
    }
    return 0;
}

void iv_classes_free(iv_classes *c)
{
    free(c->values);
    free(c->count);
    free(c->y);
    memset(c, 0, sizeof *c);
}

double iv_classes_majority(const iv_classes *c)
{
    long most = 0;
    for (int j = 0; j < c->k; j++)
        most = c->count[j] > most ? c->count[j] : most;
    return c->n ? (double)most / (double)c->n : 0;
}

/* ---- the split ----------------------------------------------------------------------------------- */

void iv_split_rows(const iv_workspace *ws, long n, long **train, long *n_train, long **test,
                   long *n_test)
{
    long held = (long)floor(ws->holdout * (double)n + 0.5);
    if (n >= 2)
        held = held < 1 ? 1 : held > n - 1 ? n - 1 : held;
    else
        held = 0;
    /* A seeded Fisher-Yates shuffle marks the held-out rows; each part keeps the dataset's order. */
    long *perm = iv_xmalloc(sizeof(long) * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++)
        perm[i] = i;
    iv_rng rng;
    iv_rng_seed(&rng, ws->split_seed);
    for (long i = n - 1; i > 0; i--) {
        long j = (long)iv_rng_below(&rng, (uint64_t)i + 1);
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    bool *out = iv_xcalloc((size_t)(n > 0 ? n : 1), sizeof(bool));
    for (long i = 0; i < held; i++)
        out[perm[i]] = true;
    *train = iv_xmalloc(sizeof(long) * (size_t)(n - held > 0 ? n - held : 1));
    *test = iv_xmalloc(sizeof(long) * (size_t)(held > 0 ? held : 1));
    *n_train = *n_test = 0;
    for (long r = 0; r < n; r++) {
        if (out[r])
            (*test)[(*n_test)++] = r;
        else
            (*train)[(*n_train)++] = r;
    }
    free(out);
    free(perm);
}

/* ---- a site's values ------------------------------------------------------------------------------ */

typedef struct collect {
    int site, width;
    float *out;
} collect;

static int take_chunk(const iv_pass_chunk *c, void *user, iv_error *err)
{
    (void)err;
    collect *k = user;
    const float *v = c->acts->site[k->site];
    for (long e = 0; e < c->n; e++) /* the first sample of each example */
        memcpy(k->out + (c->first + e) * k->width, v + e * c->samples * k->width,
               sizeof(float) * (size_t)k->width);
    return 0;
}

float *iv_site_values(iv_workspace *ws, int site, iv_error *err)
{
    if (!ws->data) {
        iv_error_set(err, "no reference dataset: set one with 'data'");
        return NULL;
    }
    if (iv_workspace_reference(ws, err) < 0)
        return NULL;
    int w = ws->model->sites[site].width;
    collect k = {site, w, iv_big_alloc((size_t)ws->data->n * (size_t)w, sizeof(float),
                                       "a site's values on the dataset", err)};
    if (!k.out)
        return NULL;
    bool changed = false; /* by an intervention at the site or before it */
    for (int i = 0; i < ws->count; i++)
        changed |= ws->list[i].enabled && ws->list[i].addr.site <= site;
    if (!changed) { /* the clean values, which the reference already holds */
        memcpy(k.out, ws->ref_acts->site[site], sizeof(float) * (size_t)ws->data->n * (size_t)w);
        return k.out;
    }
    if (iv_workspace_pass(ws, ws->list, ws->count, site, take_chunk, &k, err) < 0) {
        free(k.out);
        return NULL;
    }
    return k.out;
}
