/* concepts.c - a label's rows at a site, split for fitting and scoring; the last probe kept. */
#include "concepts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

/* What the workspace keeps (ws->concepts). */
typedef struct kept {
    int site;
    char *label;
    iv_probe probe;
} kept;

static void kept_free(void *p)
{
    kept *k = p;
    free(k->label);
    iv_probe_free(&k->probe);
    free(k);
}

void iv_concepts_keep_probe(iv_workspace *ws, int site, const char *label, const iv_probe *p)
{
    if (ws->concepts)
        ws->concepts_free(ws->concepts);
    kept *k = iv_xcalloc(1, sizeof *k);
    k->site = site;
    k->label = iv_xstrdup(label);
    iv_probe_copy(&k->probe, p);
    ws->concepts = k;
    ws->concepts_free = kept_free;
}

const iv_probe *iv_concepts_probe_at(const iv_workspace *ws, int site)
{
    const kept *k = ws->concepts;
    return k && k->site == site && k->probe.d == ws->model->sites[site].width ? &k->probe : NULL;
}

int iv_concepts_probe_direction(const iv_workspace *ws, const iv_addr *addr, double *v,
                                char *what, size_t what_len, iv_error *err)
{
    const kept *k = ws->concepts;
    char site[128];
    iv_model_site_name(ws->model, addr->site, site, sizeof site);
    const iv_probe *p = iv_concepts_probe_at(ws, addr->site);
    if (!p)
        return iv_error_set(err, "no probe was fitted at %s: run probe %s LABEL first", site, site);
    double norm = 0;
    for (int j = 0; j < addr->n; j++) {
        v[j] = p->w[addr->idx[j]];
        norm += v[j] * v[j];
    }
    if (!(norm > 0))
        return iv_error_set(err, "the probe of '%s' at %s has no weight on these neurons",
                            k->label, site);
    for (int j = 0; j < addr->n; j++)
        v[j] /= sqrt(norm);
    snprintf(what, what_len, "the %s probe of '%s' at %s (weight row %s, unit length)",
             p->kind == IV_PROBE_RIDGE ? "ridge" : "logistic", k->label, site,
             p->rows > 1 ? "0 of one-vs-rest" : "0");
    return 0;
}

/* ---- a label's rows ------------------------------------------------------------------------------- */

static void gather(const float *values, int w, const int *y, const long *rows, long n, float **x,
                   int **yo)
{
    *x = iv_xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * (size_t)w);
    *yo = iv_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++) {
        memcpy(*x + i * w, values + rows[i] * w, sizeof(float) * (size_t)w);
        (*yo)[i] = y[rows[i]];
    }
}

int iv_concept_rows_get(iv_workspace *ws, int site, const char *label, bool clean,
                        iv_concept_rows *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!ws->data)
        return iv_error_set(err, "no dataset: set one with 'data' (its labels are the concepts)");
    if (iv_label_classes(ws->data, label, &out->classes, err) < 0)
        return -1;
    long n = ws->data->n;
    int w = ws->model->sites[site].width;
    out->site = site;
    out->width = w;
    if (n < 4) {
        iv_concept_rows_free(out);
        return iv_error_set(err, "%ld rows: a probe needs at least 4 (some to fit, some to score)",
                            n);
    }
    /* Each part's copy, and every row's: three times the site's values in all. */
    if (iv_budget_check(3.0 * (double)n * w * sizeof(float), "a site's values on the dataset",
                        err) < 0) {
        iv_concept_rows_free(out);
        return -1;
    }
    if (clean) {
        if (iv_workspace_reference(ws, err) < 0) {
            iv_concept_rows_free(out);
            return -1;
        }
        out->values = iv_xmalloc(sizeof(float) * (size_t)n * (size_t)w);
        memcpy(out->values, ws->ref_acts->site[site], sizeof(float) * (size_t)n * (size_t)w);
    } else {
        out->values = iv_site_values(ws, site, err);
        if (!out->values) {
            iv_concept_rows_free(out);
            return -1;
        }
    }
    long *train, *test;
    iv_split_rows(ws, n, &train, &out->n_train, &test, &out->n_test);
    gather(out->values, w, out->classes.y, train, out->n_train, &out->train_x, &out->train_y);
    gather(out->values, w, out->classes.y, test, out->n_test, &out->test_x, &out->test_y);
    free(train);
    free(test);
    out->train = (iv_labelled){out->train_x, out->train_y, out->n_train, w, out->classes.k};
    out->test = (iv_labelled){out->test_x, out->test_y, out->n_test, w, out->classes.k};
    return 0;
}

void iv_concept_rows_free(iv_concept_rows *r)
{
    iv_classes_free(&r->classes);
    free(r->values);
    free(r->train_x);
    free(r->test_x);
    free(r->train_y);
    free(r->test_y);
    memset(r, 0, sizeof *r);
}
