/* iia.c - interchange intervention accuracy over pairs of dataset rows, in batched chunks. */
#include "iia.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "kinds.h"
#include "rng.h"

/* Pairs per chunk at most: enough rows for the products to run at BLAS speed, few enough that a
 * chunk's buffers stay in cache (65,536 pairs of a 16-wide network were 46 MiB of fresh pages to
 * fault in and zero on every call, which cost more than the passes), the progress bar moves and a
 * cancel is seen soon. */
#define IIA_MAX_CHUNK 1024L

/* ---- the pairs --------------------------------------------------------------------------------- */

/* Pairs in order: given ones, every ordered pair (base-major), or seeded draws. Seeded draws come
 * one after the other, so each pass over the pairs starts again from the seed. */
typedef struct pair_gen {
    const long *base, *source; /* given pairs, or NULL */
    bool all;
    long rows;
    uint64_t seed;
    iv_rng rng;
    iv_iia_record *record; /* where the joint measurement's pairs go, or NULL */
} pair_gen;

static void pairs_restart(pair_gen *g) { iv_rng_seed(&g->rng, g->seed); }

static void pairs_next(pair_gen *g, long i, long *b, long *s)
{
    if (g->base) {
        *b = g->base[i];
        *s = g->source[i];
    } else if (g->all) {
        *b = i / g->rows;
        *s = i % g->rows;
    } else {
        *b = (long)iv_rng_below(&g->rng, (uint64_t)g->rows);
        *s = (long)iv_rng_below(&g->rng, (uint64_t)g->rows);
    }
}

/* ---- patching ---------------------------------------------------------------------------------- */

void iv_alignment_patch(const iv_alignment *a, float *values, long n, int width,
                        const float *source)
{
    if (a->k == 0) {
        for (long r = 0; r < n; r++)
            for (int j = 0; j < a->addr.n; j++)
                values[r * width + a->addr.idx[j]] = source[r * a->addr.n + j];
        return;
    }
    /* h + (h_s - h) B^T B, by the rotate kind's arithmetic (kinds.h) over a basis in double. */
    size_t nb = (size_t)a->k * (size_t)width;
    double *basis = iv_xmalloc(sizeof(double) * nb), *scratch = iv_xmalloc(sizeof(double) * 2 *
                                                                          (size_t)width);
    for (size_t i = 0; i < nb; i++)
        basis[i] = a->basis[i];
    for (long r = 0; r < n; r++)
        iv_rotate_row(basis, a->k, width, a->addr.idx, values + r * width, source + r * width,
                      scratch);
    free(basis);
    free(scratch);
}

/* The neurons an alignment reads from its source: its own, or every one of its site. */
static int source_width(const iv_model *m, const iv_alignment *a)
{
    return a->k == 0 ? a->addr.n : m->sites[a->addr.site].width;
}

/* ---- one measurement ----------------------------------------------------------------------------- */

typedef struct iia_run {
    iv_workspace *ws;
    const iv_model *m;
    const iv_causal *c;
    const iv_alignment *al;
    int n_al;
    int start, out_site, out_w, nv;
    bool argmax;
    double tol;
    double *vals;       /* (rows, nv) the causal model's factual values of the dataset's rows */
    long chunk;
    iv_acts acts;       /* a chunk's activations from `start` on, in `block` */
    float *block;
    float **src;        /* (n_al) each alignment's source values, (chunk, source width) */
    double *scratch;    /* (chunk) x (nv base values, n_al set values, nv counterfactuals) */
    long *rows;         /* (2 chunk) base and source row of each pair of the chunk */
    iv_apply_ctx user;  /* the workspace's interventions, applied first */
    const bool *active; /* the alignments patched in this pass */
    double done, total; /* progress, in pairs (and factual rows) */
} iia_run;

static void iia_hook(int site, float *values, long n, int width, void *user)
{
    iia_run *r = user;
    if (r->user.count)
        iv_apply_hook(site, values, n, width, &r->user);
    for (int a = 0; a < r->n_al; a++)
        if (r->active[a] && r->al[a].addr.site == site)
            iv_alignment_patch(&r->al[a], values, n, width, r->src[a]);
}

static bool agrees(const iia_run *r, const float *y, double expected, double *shown)
{
    if (r->argmax) {
        int top = 0;
        for (int k = 1; k < r->out_w; k++)
            top = y[k] > y[top] ? k : top;
        *shown = top;
        return expected == top;
    }
    *shown = y[0];
    return fabs((double)y[0] - expected) <= r->tol * fmax(1.0, fabs(expected)); /* NaN: no */
}

/* Fills a chunk's inputs: each base's clean values at the start site, each source's at the
 * aligned neurons (the clean reference activations hold both). */
static void fill_chunk(iia_run *r, long n)
{
    const iv_acts *ref = r->ws->ref_acts;
    int w = r->m->sites[r->start].width;
    for (long p = 0; p < n; p++)
        memcpy(r->acts.site[r->start] + p * w, ref->site[r->start] + r->rows[p] * w,
               sizeof(float) * (size_t)w);
    for (int a = 0; a < r->n_al; a++) {
        if (!r->active[a])
            continue;
        const iv_alignment *al = &r->al[a];
        int site_w = r->m->sites[al->addr.site].width, sw = source_width(r->m, al);
        for (long p = 0; p < n; p++) {
            const float *from = ref->site[al->addr.site] + r->rows[r->chunk + p] * site_w;
            float *to = r->src[a] + p * sw;
            if (al->k > 0)
                memcpy(to, from, sizeof(float) * (size_t)sw);
            else
                for (int j = 0; j < sw; j++)
                    to[j] = from[al->addr.idx[j]];
        }
    }
}

/* The causal model's answer for each pair of the chunk: the base with the active alignments'
 * variables set to their values on the source. */
static const double *expected_outputs(iia_run *r, long n, const int *set, int k)
{
    double *base = r->scratch, *setv = base + r->chunk * r->nv, *cf = setv + r->chunk * r->n_al;
    for (long p = 0; p < n; p++) {
        memcpy(base + p * r->nv, r->vals + r->rows[p] * r->nv, sizeof(double) * (size_t)r->nv);
        for (int j = 0; j < k; j++)
            setv[p * k + j] = r->vals[r->rows[r->chunk + p] * r->nv + set[j]];
    }
    iv_causal_intervene(r->c, base, n, set, k, setv, cf);
    return cf;
}

/* Keeps a pair's outcome in the record while it has room (every pair, or the failing ones). */
static void record_pair(iv_iia_record *rec, long base, long source, bool ok, double network,
                        double expected)
{
    if (rec->n >= rec->capacity || (ok && rec->failing_only))
        return;
    rec->pairs[rec->n] = (iv_iia_failure){base, source, network, expected};
    rec->agree[rec->n++] = ok;
}

/* Scores n_pairs pairs with the active alignments patched; failures, when not NULL, gets the
 * first failing ones. Returns 0, or -1 when cancelled. */
static int score(iia_run *r, pair_gen *g, long n_pairs, const bool *active, long *agree,
                 iv_iia_result *failures, iv_error *err)
{
    int *set = iv_xmalloc(sizeof(int) * (size_t)(r->n_al ? r->n_al : 1)), k = 0;
    for (int a = 0; a < r->n_al; a++)
        if (active[a])
            set[k++] = r->al[a].var;
    r->active = active;
    pairs_restart(g);
    *agree = 0;
    int rc = 0;
    for (long first = 0; first < n_pairs && rc == 0; first += r->chunk) {
        long n = n_pairs - first < r->chunk ? n_pairs - first : r->chunk;
        for (long p = 0; p < n; p++)
            pairs_next(g, first + p, &r->rows[p], &r->rows[r->chunk + p]);
        fill_chunk(r, n);
        r->acts.n = n;
        iv_forward_from(r->m, &r->acts, r->start, iia_hook, r);
        const double *cf = expected_outputs(r, n, set, k);
        for (long p = 0; p < n; p++) {
            double expected = cf[p * r->nv + r->c->output], shown;
            bool ok = agrees(r, r->acts.site[r->out_site] + p * r->out_w, expected, &shown);
            if (failures && g->record)
                record_pair(g->record, r->rows[p], r->rows[r->chunk + p], ok, shown, expected);
            if (ok) {
                (*agree)++;
            } else if (failures && failures->n_failures < IV_IIA_SHOWN_FAILURES) {
                failures->failures[failures->n_failures++] =
                    (iv_iia_failure){r->rows[p], r->rows[r->chunk + p], shown, expected};
            }
        }
        r->done += (double)n;
        rc = iv_job_progress(r->ws->job, r->done, r->total, err);
    }
    free(set);
    return rc;
}

/* ---- setting up -------------------------------------------------------------------------------- */

static int check_ready(iv_workspace *ws, iv_error *err)
{
    if (!ws->causal)
        return iv_error_set(err, "no causal model: set one with 'causal FILE' or "
                            "'causal \"NAME = EXPRESSION; ...\"'");
    if (ws->n_alignments == 0)
        return iv_error_set(err, "nothing is aligned: align a variable of the causal model with "
                            "neurons first (align VAR ADDR)");
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && iv_kind_is_stochastic(ws->list[i].kind))
            return iv_error_set(err, "intervention #%d (%s) is random, so a pair would have no one "
                                "answer: switch it off ('toggle %d') to measure IIA",
                                ws->list[i].id, iv_kind_name(ws->list[i].kind), ws->list[i].id);
    return iv_workspace_reference(ws, err);
}

/* Where the passes start: the earliest site an alignment or an intervention that is on acts at. */
static int start_site(const iv_workspace *ws)
{
    int s = iv_model_output_site(ws->model);
    for (int a = 0; a < ws->n_alignments; a++)
        s = ws->alignments[a].addr.site < s ? ws->alignments[a].addr.site : s;
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && ws->list[i].addr.site < s)
            s = ws->list[i].addr.site;
    return iv_model_pass_start(ws->model, s);
}

/* With several outputs the causal output must name one of them on every row. */
static int check_classes(const iia_run *r, iv_error *err)
{
    if (!r->argmax)
        return 0;
    for (long row = 0; row < r->ws->data->n; row++) {
        double v = r->vals[row * r->nv + r->c->output];
        if (!(v >= 0 && v < r->out_w && v == floor(v)))
            return iv_error_set(err, "the causal model's output '%s' is %g on row %ld, not a class "
                                "of the network's %d outputs (0 to %d)", r->c->names[r->c->output],
                                v, row, r->out_w, r->out_w - 1);
    }
    return 0;
}

/* The working memory of one chunk, within the pass limit. */
static int alloc_chunks(iia_run *r, long most, iv_error *err)
{
    const iv_model *m = r->m;
    size_t floats = 0;
    for (int s = r->start; s < m->n_sites; s++)
        floats += (size_t)m->sites[s].width;
    for (int a = 0; a < r->n_al; a++)
        floats += (size_t)source_width(m, &r->al[a]);
    size_t doubles = 2 * (size_t)r->nv + (size_t)r->n_al;
    size_t per_pair = floats * sizeof(float) + doubles * sizeof(double) + 2 * sizeof(long);
    long chunk = (long)(iv_pass_limit() / per_pair);
    chunk = chunk > IIA_MAX_CHUNK ? IIA_MAX_CHUNK : chunk > most ? most : chunk < 1 ? 1 : chunk;
    r->chunk = chunk;
    r->block = iv_big_alloc((size_t)chunk * floats, sizeof(float), "the activations of IIA", err);
    r->scratch = r->block ? iv_big_alloc((size_t)chunk * doubles, sizeof(double),
                                         "the causal values of IIA", err)
                          : NULL;
    if (!r->scratch)
        return -1;
    r->rows = iv_xmalloc(sizeof(long) * 2 * (size_t)chunk);
    r->acts.n_sites = m->n_sites;
    r->acts.width = iv_xmalloc(sizeof(int) * (size_t)m->n_sites);
    r->acts.site = iv_xcalloc((size_t)m->n_sites, sizeof(float *));
    float *p = r->block;
    for (int s = 0; s < m->n_sites; s++) {
        r->acts.width[s] = m->sites[s].width;
        if (s >= r->start) {
            r->acts.site[s] = p;
            p += (size_t)chunk * (size_t)m->sites[s].width;
        }
    }
    r->src = iv_xcalloc((size_t)(r->n_al ? r->n_al : 1), sizeof(float *));
    for (int a = 0; a < r->n_al; a++) {
        r->src[a] = p;
        p += (size_t)chunk * (size_t)source_width(m, &r->al[a]);
    }
    return 0;
}

static void free_run(iia_run *r)
{
    free(r->vals);
    free(r->block);
    free(r->scratch);
    free(r->rows);
    free(r->acts.width);
    free(r->acts.site);
    free(r->src);
}

static int setup(iia_run *r, iv_workspace *ws, long most_pairs, double tol, iv_error *err)
{
    memset(r, 0, sizeof *r);
    if (check_ready(ws, err) < 0)
        return -1;
    iv_workspace_stats_for(ws, ws->list, ws->count);
    r->ws = ws;
    r->m = ws->model;
    r->c = ws->causal;
    r->al = ws->alignments;
    r->n_al = ws->n_alignments;
    r->nv = r->c->n_vars;
    r->out_site = iv_model_output_site(r->m);
    r->out_w = iv_model_output_width(r->m);
    r->argmax = r->out_w > 1;
    r->tol = tol;
    r->start = start_site(ws);
    iv_workspace_apply_ctx(ws, &r->user, 1);
    long rows = ws->data->n;
    r->vals = iv_big_alloc((size_t)rows * (size_t)r->nv, sizeof(double),
                           "the causal model's values on the dataset", err);
    if (!r->vals)
        return -1;
    iv_causal_eval(r->c, ws->data->x, rows, r->vals);
    if (check_classes(r, err) < 0)
        return -1;
    return alloc_chunks(r, most_pairs > rows ? most_pairs : rows, err);
}

/* Factual accuracy, the joint IIA with its first failures, and each alignment alone. */
static int measure(iia_run *r, pair_gen *g, long n_pairs, iv_iia_result *out, iv_error *err)
{
    long rows = r->ws->data->n;
    bool *active = iv_xcalloc((size_t)(r->n_al ? r->n_al : 1), sizeof(bool));
    r->total = (double)rows + (double)n_pairs * (1 + (r->n_al > 1 ? r->n_al : 0));
    pair_gen diagonal = {.all = true, .rows = 1}; /* pair i is (i, 0): the rows themselves */
    int rc = score(r, &diagonal, rows, active, &out->factual_agree, NULL, err);
    for (int a = 0; a < r->n_al; a++)
        active[a] = true;
    if (rc == 0)
        rc = score(r, g, n_pairs, active, &out->agree, out, err);
    if (rc == 0 && r->n_al > 1) {
        out->alone = iv_xcalloc((size_t)r->n_al, sizeof(double));
        for (int a = 0; a < r->n_al && rc == 0; a++) {
            memset(active, 0, sizeof(bool) * (size_t)r->n_al);
            active[a] = true;
            long agree;
            rc = score(r, g, n_pairs, active, &agree, NULL, err);
            out->alone[a] = n_pairs ? (double)agree / (double)n_pairs : NAN;
        }
    }
    free(active);
    out->rows = rows;
    out->pairs = n_pairs;
    out->argmax = r->argmax;
    out->factual = rows ? (double)out->factual_agree / (double)rows : NAN;
    out->iia = n_pairs ? (double)out->agree / (double)n_pairs : NAN;
    if (rc < 0)
        iv_iia_result_free(out);
    return rc;
}

static int run_with(iv_workspace *ws, pair_gen *g, long n_pairs, double tol, iv_iia_result *out,
                    iv_error *err)
{
    memset(out, 0, sizeof *out);
    iia_run r;
    int rc = setup(&r, ws, n_pairs, tol, err);
    if (rc == 0) {
        g->rows = ws->data->n;
        rc = measure(&r, g, n_pairs, out, err);
    }
    free_run(&r);
    return rc;
}

int iv_iia_run(iv_workspace *ws, const iv_iia_options *opt, iv_iia_result *out, iv_error *err)
{
    if (check_ready(ws, err) < 0)
        return -1;
    long n = ws->data->n;
    double every = (double)n * (double)n;
    if (opt->all && every > IV_IIA_ALL_PAIRS)
        return iv_error_set(err, "pairs=all would be %ld x %ld = %.0f pairs, more than %ld; give "
                            "a count, e.g. pairs=%ld", n, n, every, IV_IIA_ALL_PAIRS,
                            IV_IIA_DEFAULT_PAIRS);
    bool all = opt->pairs == 0 && every <= IV_IIA_ALL_PAIRS;
    long count = all ? n * n : opt->pairs > 0 ? opt->pairs : IV_IIA_DEFAULT_PAIRS;
    pair_gen g = {.all = all, .seed = opt->seed, .record = opt->record};
    int rc = run_with(ws, &g, count, opt->tol, out, err);
    out->all = all;
    return rc;
}

int iv_iia_run_pairs(iv_workspace *ws, const long *base, const long *source, long n_pairs,
                     double tol, iv_iia_result *out, iv_error *err)
{
    if (check_ready(ws, err) < 0)
        return -1;
    for (long i = 0; i < n_pairs; i++)
        if (base[i] < 0 || base[i] >= ws->data->n || source[i] < 0 || source[i] >= ws->data->n)
            return iv_error_set(err, "pair %ld (%ld, %ld) is not a pair of rows 0 to %ld", i,
                                base[i], source[i], ws->data->n - 1);
    pair_gen g = {.base = base, .source = source};
    return run_with(ws, &g, n_pairs, tol, out, err);
}

void iv_iia_result_free(iv_iia_result *r)
{
    free(r->alone);
    r->alone = NULL;
}

/* ---- each pair's outcome ----------------------------------------------------------------------- */

int iv_iia_record_init(iv_iia_record *rec, long capacity, bool failing_only, iv_error *err)
{
    memset(rec, 0, sizeof *rec);
    rec->capacity = capacity > 0 ? capacity : 1;
    rec->failing_only = failing_only;
    rec->pairs = iv_big_alloc((size_t)rec->capacity, sizeof *rec->pairs, "the pairs of IIA", err);
    rec->agree = rec->pairs ? iv_big_alloc((size_t)rec->capacity, sizeof *rec->agree,
                                           "the agreement of IIA's pairs", err)
                            : NULL;
    if (!rec->agree) {
        iv_iia_record_free(rec);
        return -1;
    }
    return 0;
}

void iv_iia_record_free(iv_iia_record *rec)
{
    free(rec->pairs);
    free(rec->agree);
    memset(rec, 0, sizeof *rec);
}

int iv_iia_run_matrix(iv_workspace *ws, const long *rows, int n_rows, double tol,
                      iv_iia_record *rec, iv_iia_result *out, iv_error *err)
{
    if (check_ready(ws, err) < 0)
        return -1;
    if (n_rows < 1 || n_rows > IV_IIA_MATRIX_ROWS)
        return iv_error_set(err, "the matrix takes 1 to %d rows, not %d", IV_IIA_MATRIX_ROWS,
                            n_rows);
    for (int i = 0; i < n_rows; i++)
        if (rows[i] < 0 || rows[i] >= ws->data->n)
            return iv_error_set(err, "row %ld is not a row of the dataset (0 to %ld)", rows[i],
                                ws->data->n - 1);
    long n_pairs = (long)n_rows * n_rows;
    if (rec->capacity < n_pairs || rec->failing_only)
        return iv_error_set(err, "the record holds %ld pairs, not the matrix's %ld", rec->capacity,
                            n_pairs);
    long *base = iv_xmalloc(sizeof(long) * 2 * (size_t)n_pairs), *source = base + n_pairs;
    for (long p = 0; p < n_pairs; p++) {
        base[p] = rows[p / n_rows];
        source[p] = rows[p % n_rows];
    }
    rec->n = 0;
    pair_gen g = {.base = base, .source = source, .record = rec};
    int rc = run_with(ws, &g, n_pairs, tol, out, err);
    free(base);
    return rc;
}
