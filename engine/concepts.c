/* concepts.c - where a concept is read (a site, or one position of it), a label's rows there split
 * for fitting and scoring, and the last probe kept. */
#include "concepts.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

/* ---- where a concept is read ---------------------------------------------------------------------- */

void iv_concept_site_whole(const iv_model *m, int site, iv_concept_site *out)
{
    int w = m->sites[site].width;
    out->addr.site = site;
    out->addr.n = w;
    out->addr.idx = iv_xmalloc(sizeof(int) * (size_t)(w > 0 ? w : 1));
    for (int i = 0; i < w; i++)
        out->addr.idx[i] = i;
    out->name = iv_addr_format(m, &out->addr);
}

bool iv_concept_site_is_whole(const iv_model *m, const iv_concept_site *at)
{
    return at->addr.n == m->sites[at->addr.site].width;
}

void iv_concept_site_free(iv_concept_site *at)
{
    iv_addr_clear(&at->addr);
    free(at->name);
    at->name = NULL;
}

/* Whether the brackets (from '[' to the end) hold nothing but pos=P, P one whole number: no
 * neurons, heads or range of positions. Whether P is in range is the address parser's to say. */
static bool one_position(const char *bracket)
{
    const char *p = bracket + 1;
    while (*p == ' ')
        p++;
    if (strncmp(p, "pos=", 4) != 0)
        return false;
    p += 4;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    while (*p == ' ')
        p++;
    return strcmp(p, "]") == 0;
}

int iv_concept_site_parse(const iv_model *m, const char *text, iv_concept_site *out,
                          iv_error *err)
{
    memset(out, 0, sizeof *out);
    const char *bracket = strchr(text, '[');
    size_t len = bracket ? (size_t)(bracket - text) : strlen(text);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), text);
    int site = len < sizeof name ? iv_model_site_find(m, name) : -1;
    if (site < 0)
        return iv_error_set(err, "unknown site '%s'", name);
    if (!bracket) {
        iv_concept_site_whole(m, site, out);
        return 0;
    }
    if (!m->sites[site].positions)
        return iv_error_set(err, "'%s': %s has no positions (SITE[pos=P] is for a transformer's "
                            "sites; give the site's name to read all its values)", text, name);
    if (!one_position(bracket))
        return iv_error_set(err, "'%s': expected %s or %s[pos=P], the values at one position "
                            "(not neurons, heads or a range of positions)", text, name, name);
    /* the address parser checks the position's range and knows how the site's values lie */
    if (iv_addr_parse(m, text, &out->addr, err) < 0)
        return -1;
    out->name = iv_addr_format(m, &out->addr);
    return 0;
}

/* ---- the last probe ------------------------------------------------------------------------------ */

/* What the workspace keeps (ws->concepts). */
typedef struct kept {
    iv_addr at;  /* the values the probe was fitted on */
    char *where; /* their name */
    char *label;
    iv_probe probe;
} kept;

static void kept_free(void *p)
{
    kept *k = p;
    iv_addr_clear(&k->at);
    free(k->where);
    free(k->label);
    iv_probe_free(&k->probe);
    free(k);
}

void iv_concepts_keep_probe(iv_workspace *ws, const iv_concept_site *at, const char *label,
                            const iv_probe *p)
{
    if (ws->concepts)
        ws->concepts_free(ws->concepts);
    kept *k = iv_xcalloc(1, sizeof *k);
    iv_addr_copy(&k->at, &at->addr);
    k->where = iv_xstrdup(at->name);
    k->label = iv_xstrdup(label);
    iv_probe_copy(&k->probe, p);
    ws->concepts = k;
    ws->concepts_free = kept_free;
}

/* The kept probe, when it fits the model's site still, or NULL. */
static const kept *kept_probe(const iv_workspace *ws)
{
    const kept *k = ws->concepts;
    if (!k || k->at.site >= ws->model->n_sites || k->probe.d != k->at.n || k->at.n < 1 ||
        k->at.idx[k->at.n - 1] >= ws->model->sites[k->at.site].width)
        return NULL;
    return k;
}

const iv_probe *iv_concepts_probe_at(const iv_workspace *ws, const iv_addr *addr)
{
    const kept *k = kept_probe(ws);
    return k && iv_addr_equal(&k->at, addr) ? &k->probe : NULL;
}

/* Where neuron `neuron` of the site is among the kept probe's values (ascending), or -1. */
static int feature_of(const kept *k, int neuron)
{
    int lo = 0, hi = k->at.n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (k->at.idx[mid] == neuron)
            return mid;
        if (k->at.idx[mid] < neuron)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int iv_concepts_probe_direction(const iv_workspace *ws, const iv_addr *addr, double *v,
                                char *what, size_t what_len, iv_error *err)
{
    const kept *k = kept_probe(ws);
    char site[128];
    iv_model_site_name(ws->model, addr->site, site, sizeof site);
    if (!k || k->at.site != addr->site)
        return iv_error_set(err, "no probe was fitted at %s: run probe %s LABEL first", site, site);
    const iv_probe *p = &k->probe;
    double norm = 0;
    for (int j = 0; j < addr->n; j++) {
        int f = feature_of(k, addr->idx[j]);
        if (f < 0) {
            char *a = iv_addr_format(ws->model, addr);
            iv_error_set(err, "the probe of '%s' was fitted at %s, which does not hold every value "
                         "of %s: steer inside it (e.g. steer %s probe)", k->label, k->where, a,
                         k->where);
            free(a);
            return -1;
        }
        v[j] = p->w[f];
        norm += v[j] * v[j];
    }
    if (!(norm > 0))
        return iv_error_set(err, "the probe of '%s' at %s has no weight on these neurons",
                            k->label, k->where);
    for (int j = 0; j < addr->n; j++)
        v[j] /= sqrt(norm);
    snprintf(what, what_len, "the %s probe of '%s' at %s (weight row %s, unit length)",
             p->kind == IV_PROBE_RIDGE ? "ridge" : "logistic", k->label, k->where,
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

/* The addressed values of each of n rows of a site's values (n, width), (n, addr->n): those of
 * one position, taken out of the whole site's. */
static float *slice(const float *site_values, long n, int width, const iv_addr *addr)
{
    float *out = iv_xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * (size_t)addr->n);
    for (long r = 0; r < n; r++)
        for (int j = 0; j < addr->n; j++)
            out[r * addr->n + j] = site_values[r * width + addr->idx[j]];
    return out;
}

float *iv_concept_values(iv_workspace *ws, const iv_concept_site *at, bool clean, iv_error *err)
{
    if (!ws->data) {
        iv_error_set(err, "no dataset: set one with 'data'");
        return NULL;
    }
    int site = at->addr.site, width = ws->model->sites[site].width;
    long n = ws->data->n;
    bool whole = iv_concept_site_is_whole(ws->model, at);
    const float *from;
    float *all = NULL;
    if (clean) {
        if (iv_workspace_reference(ws, err) < 0)
            return NULL;
        from = ws->ref_acts->site[site];
    } else {
        all = iv_site_values(ws, site, err);
        if (!all)
            return NULL;
        if (whole)
            return all;
        from = all;
    }
    float *out;
    if (whole) {
        out = iv_xmalloc(sizeof(float) * (size_t)n * (size_t)width);
        memcpy(out, from, sizeof(float) * (size_t)n * (size_t)width);
    } else {
        out = slice(from, n, width, &at->addr);
    }
    free(all);
    return out;
}

int iv_concept_rows_get(iv_workspace *ws, const iv_concept_site *at, const char *label,
                        bool clean, iv_concept_rows *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!ws->data)
        return iv_error_set(err, "no dataset: set one with 'data' (its labels are the concepts)");
    if (iv_label_classes(ws->data, label, &out->classes, err) < 0)
        return -1;
    long n = ws->data->n;
    int w = at->addr.n, site = at->addr.site;
    out->site = site;
    out->width = w;
    if (n < 4) {
        iv_concept_rows_free(out);
        return iv_error_set(err, "%ld rows: a probe needs at least 4 (some to fit, some to score)",
                            n);
    }
    /* Each part's copy, and every row's: three times the values read in all, and the whole site's
     * for a while when they are one position's. */
    double values = 3.0 * (double)n * w;
    if (!iv_concept_site_is_whole(ws->model, at))
        values += (double)n * ws->model->sites[site].width;
    if (iv_budget_check(values * sizeof(float), "a site's values on the dataset", err) < 0) {
        iv_concept_rows_free(out);
        return -1;
    }
    out->values = iv_concept_values(ws, at, clean, err);
    if (!out->values) {
        iv_concept_rows_free(out);
        return -1;
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
