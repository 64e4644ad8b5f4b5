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
 * cancel is seen soon. With several alignments a chunk runs each pair once per variant (all of
 * them patched, then each alone), so it holds this many rows in all. */
#define IIA_MAX_CHUNK_ROWS 2048L

/* ---- the pairs --------------------------------------------------------------------------------- */

/* Pairs in order: given ones, every ordered pair (base-major), or seeded draws. Seeded draws come
 * one after the other (a base, then its sources), so each pass over the pairs starts again from
 * the seed. A pair has n_src sources: 1, or one per alignment with sources=each. */
typedef struct pair_gen {
    const long *base, *source; /* given pairs, or NULL */
    bool all;
    int n_src;
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
    } else if (g->all) { /* i's digits in base `rows`: the base, then the sources, the last fastest */
        for (int j = g->n_src - 1; j >= 0; j--) {
            s[j] = i % g->rows;
            i /= g->rows;
        }
        *b = i;
    } else {
        *b = (long)iv_rng_below(&g->rng, (uint64_t)g->rows);
        for (int j = 0; j < g->n_src; j++)
            s[j] = (long)iv_rng_below(&g->rng, (uint64_t)g->rows);
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

/* A measurement runs each chunk of pairs once per variant, all in one forward pass: variant 0 with
 * every alignment patched, and with several alignments variant 1 + a with alignment a alone. The
 * chunk's rows are variant-major: rows [v n, (v + 1) n) are variant v of the chunk's n pairs. */
typedef struct iia_run {
    iv_workspace *ws;
    const iv_model *m;
    const iv_causal *c;
    const iv_alignment *al;
    int n_al;
    int start, out_site, out_w, nv;
    int pred_off, pred_w; /* the prediction within an output row (iv_model_prediction) */
    bool argmax;
    double tol;
    double *vals;       /* (rows, nv) the causal model's factual values of the dataset's rows */
    int n_src;          /* sources per pair: 1, or n_al with sources=each */
    int n_variants;
    bool *active;       /* (n_variants, n_al) the alignments each variant patches */
    iv_causal_answers *answers; /* (n_variants) the causal model's answers with those set */
    long chunk;         /* pairs per chunk */
    iv_acts acts;       /* a chunk's activations from `start` on, in `block` */
    float *block;
    bool block_owned;   /* block is ours, not the workspace's pass buffer */
    float **src;        /* (n_al) each alignment's source values, (chunk, source width) */
    long *base_rows;    /* (chunk) each pair's base row */
    long *source_rows;  /* (chunk, n_src) its source rows */
    long *set_rows;     /* (n_al) the rows a variant's set variables take their values from */
    long hook_pairs;    /* pairs of the chunk running now; 0 when it runs plain rows */
    iv_apply_ctx user;  /* the workspace's interventions, applied first */
    double done, total; /* progress, in rows run */
} iia_run;

static void iia_hook(int site, float *values, long n, int width, void *user)
{
    iia_run *r = user;
    if (r->user.count)
        iv_apply_hook(site, values, n, width, &r->user);
    for (int v = 0; r->hook_pairs && v < r->n_variants; v++)
        for (int a = 0; a < r->n_al; a++)
            if (r->active[v * r->n_al + a] && r->al[a].addr.site == site)
                iv_alignment_patch(&r->al[a], values + v * r->hook_pairs * width, r->hook_pairs,
                                   width, r->src[a]);
}

static bool agrees(const iia_run *r, const float *y, double expected, double *shown)
{
    y += r->pred_off;
    if (r->argmax) {
        int top = 0;
        for (int k = 1; k < r->pred_w; k++)
            top = y[k] > y[top] ? k : top;
        *shown = top;
        return expected == top;
    }
    *shown = y[0];
    double scale = fabs(expected) > 1.0 ? fabs(expected) : 1.0; /* fmax(1, |e|), not a call */
    return fabs((double)y[0] - expected) <= r->tol * scale; /* NaN: no */
}

/* The source row alignment a of pair p is patched from. */
static long source_of(const iia_run *r, long p, int a)
{
    return r->source_rows[p * r->n_src + (r->n_src > 1 ? a : 0)];
}

/* Fills a chunk's inputs: each base's clean values at the start site (once, then copied whole
 * for the other variants), each source's at the aligned neurons (the clean reference activations
 * hold both). */
static void fill_chunk(iia_run *r, long n)
{
    const iv_acts *ref = r->ws->ref_acts;
    int w = r->m->sites[r->start].width;
    float *first = r->acts.site[r->start];
    const float *clean = ref->site[r->start];
    for (long p = 0; p < n; p++) {
        const float *from = clean + r->base_rows[p] * w;
        float *to = first + p * w;
        for (int j = 0; j < w; j++) /* rows are short: a call to memcpy costs more */
            to[j] = from[j];
    }
    for (int v = 1; v < r->n_variants; v++)
        memcpy(first + v * n * w, first, sizeof(float) * (size_t)(n * w));
    for (int a = 0; a < r->n_al; a++) {
        const iv_alignment *al = &r->al[a];
        int site_w = r->m->sites[al->addr.site].width, sw = source_width(r->m, al);
        const float *site = ref->site[al->addr.site];
        for (long p = 0; p < n; p++) {
            const float *from = site + source_of(r, p, a) * site_w;
            float *to = r->src[a] + p * sw;
            if (al->k > 0)
                for (int j = 0; j < sw; j++)
                    to[j] = from[j];
            else
                for (int j = 0; j < sw; j++)
                    to[j] = from[al->addr.idx[j]];
        }
    }
}

/* The causal model's answer for pair p in variant v: the base with the variant's variables set
 * to their values on their sources. */
static double expected_output(iia_run *r, int v, long p)
{
    int k = 0;
    for (int a = 0; a < r->n_al; a++)
        if (r->active[v * r->n_al + a])
            r->set_rows[k++] = source_of(r, p, a);
    return iv_causal_answer(&r->answers[v], r->base_rows[p], r->set_rows);
}

/* Keeps a pair's outcome in the record while it has room (every pair, or the failing ones). */
static void record_pair(iia_run *r, iv_iia_record *rec, long p, bool ok, double network,
                        double expected)
{
    if (rec->n >= rec->capacity || (ok && rec->failing_only))
        return;
    rec->pairs[rec->n] = (iv_iia_failure){r->base_rows[p], r->source_rows[p * r->n_src], network,
                                          expected};
    if (rec->sources)
        memcpy(rec->sources + rec->n * r->n_src, r->source_rows + p * r->n_src,
               sizeof(long) * (size_t)r->n_src);
    rec->agree[rec->n++] = ok;
}

static void keep_failure(iia_run *r, iv_iia_result *out, long p, double network, double expected)
{
    if (out->n_failures >= IV_IIA_SHOWN_FAILURES)
        return;
    if (out->failure_sources)
        memcpy(out->failure_sources + out->n_failures * r->n_src, r->source_rows + p * r->n_src,
               sizeof(long) * (size_t)r->n_src);
    out->failures[out->n_failures++] = (iv_iia_failure){r->base_rows[p],
                                                        r->source_rows[p * r->n_src], network,
                                                        expected};
}

/* Scores n_pairs pairs in every variant: agree[v] counts variant v's agreeing pairs; the joint
 * variant's pairs go to the record and its first failures to out. Returns 0, or -1 when
 * cancelled. */
static int score_pairs(iia_run *r, pair_gen *g, long n_pairs, long *agree, iv_iia_result *out,
                       iv_error *err)
{
    pairs_restart(g);
    int rc = 0;
    for (long first = 0; first < n_pairs && rc == 0; first += r->chunk) {
        long n = n_pairs - first < r->chunk ? n_pairs - first : r->chunk;
        if (g->all && !g->base && g->n_src == 1) {
            /* every ordered pair, base-major: counted on, not divided out pair by pair */
            long b = first / g->rows, s = first % g->rows;
            for (long p = 0; p < n; p++) {
                r->base_rows[p] = b;
                r->source_rows[p] = s;
                if (++s == g->rows) {
                    s = 0;
                    b++;
                }
            }
        } else {
            for (long p = 0; p < n; p++)
                pairs_next(g, first + p, &r->base_rows[p], &r->source_rows[p * r->n_src]);
        }
        fill_chunk(r, n);
        r->acts.n = n * r->n_variants;
        r->hook_pairs = n;
        iv_forward_from(r->m, &r->acts, r->start, iia_hook, r);
        for (int v = 0; v < r->n_variants; v++)
            for (long p = 0; p < n; p++) {
                double expected = expected_output(r, v, p), shown;
                const float *y = r->acts.site[r->out_site] + (v * n + p) * r->out_w;
                bool ok = agrees(r, y, expected, &shown);
                agree[v] += ok;
                if (v > 0)
                    continue;
                if (g->record)
                    record_pair(r, g->record, p, ok, shown, expected);
                if (!ok)
                    keep_failure(r, out, p, shown, expected);
            }
        r->done += (double)(n * r->n_variants);
        rc = iv_job_progress(r->ws->job, r->done, r->total, err);
    }
    return rc;
}

static bool any_intervention_on(const iv_workspace *ws)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled)
            return true;
    return false;
}

/* The network against the causal model on the dataset's rows. With no intervention on, the
 * clean reference outputs are the network's answers; else the rows run through them in chunks. */
static int score_factual(iia_run *r, long *agree, iv_error *err)
{
    const iv_acts *ref = r->ws->ref_acts;
    long rows = r->ws->data->n, step = r->chunk * r->n_variants;
    int w = r->m->sites[r->start].width, rc = 0;
    *agree = 0;
    r->hook_pairs = 0;
    for (long first = 0; first < rows && rc == 0; first += step) {
        long n = rows - first < step ? rows - first : step;
        const float *y = ref->site[r->out_site] + first * r->out_w;
        if (any_intervention_on(r->ws)) {
            memcpy(r->acts.site[r->start], ref->site[r->start] + first * w,
                   sizeof(float) * (size_t)(n * w));
            r->acts.n = n;
            iv_forward_from(r->m, &r->acts, r->start, iia_hook, r);
            y = r->acts.site[r->out_site];
        }
        for (long p = 0; p < n; p++) {
            double shown;
            *agree += agrees(r, y + p * r->out_w, r->vals[(first + p) * r->nv + r->c->output],
                             &shown);
        }
        r->done += (double)n;
        rc = iv_job_progress(r->ws->job, r->done, r->total, err);
    }
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
        if (!(v >= 0 && v < r->pred_w && v == floor(v)))
            return iv_error_set(err, "the causal model's output '%s' is %g on row %ld, not a class "
                                "of the network's %d outputs (0 to %d)", r->c->names[r->c->output],
                                v, row, r->pred_w, r->pred_w - 1);
    }
    return 0;
}

/* The variants and the causal model's answers for each. */
static void set_variants(iia_run *r)
{
    int n_al = r->n_al;
    r->n_variants = n_al > 1 ? 1 + n_al : 1;
    r->active = iv_xcalloc((size_t)(r->n_variants * n_al), sizeof(bool));
    r->answers = iv_xcalloc((size_t)r->n_variants, sizeof *r->answers);
    int *set = iv_xmalloc(sizeof(int) * (size_t)n_al);
    for (int v = 0; v < r->n_variants; v++) {
        int k = 0;
        for (int a = 0; a < n_al; a++)
            if (v == 0 || v == 1 + a) {
                r->active[v * n_al + a] = true;
                set[k++] = r->al[a].var;
            }
        iv_causal_answers_init(&r->answers[v], r->c, r->vals, r->ws->data->n, set, k);
    }
    free(set);
    r->set_rows = iv_xmalloc(sizeof(long) * (size_t)n_al);
}

/* A chunk's activations: the workspace's pass buffer when no pass holds it (kept from call to
 * call, so that its pages are not faulted in again each time), else a buffer of its own. */
static float *chunk_memory(iia_run *r, size_t floats, iv_error *err)
{
    iv_workspace *ws = r->ws;
    r->block_owned = ws->pass_busy;
    if (r->block_owned)
        return iv_big_alloc(floats, sizeof(float), "the activations of IIA", err);
    if (ws->pass_buffer_floats < floats) {
        free(ws->pass_buffer);
        ws->pass_buffer_floats = 0;
        ws->pass_buffer = iv_big_alloc(floats, sizeof(float), "the activations of IIA", err);
        if (!ws->pass_buffer)
            return NULL;
        ws->pass_buffer_floats = floats;
    }
    ws->pass_busy = true;
    return ws->pass_buffer;
}

/* The working memory of one chunk, within the pass limit. */
static int alloc_chunks(iia_run *r, long most, iv_error *err)
{
    const iv_model *m = r->m;
    size_t row_floats = 0, src_floats = 0;
    for (int s = r->start; s < m->n_sites; s++)
        row_floats += (size_t)m->sites[s].width;
    for (int a = 0; a < r->n_al; a++)
        src_floats += (size_t)source_width(m, &r->al[a]);
    size_t floats = row_floats * (size_t)r->n_variants + src_floats;
    size_t per_pair = floats * sizeof(float) + (1 + (size_t)r->n_src) * sizeof(long);
    long chunk = (long)(iv_pass_limit() / per_pair), cap = IIA_MAX_CHUNK_ROWS / r->n_variants;
    chunk = chunk > cap ? cap : chunk > most ? most : chunk < 1 ? 1 : chunk;
    r->chunk = chunk;
    r->block = chunk_memory(r, (size_t)chunk * floats, err);
    if (!r->block)
        return -1;
    r->base_rows = iv_xmalloc(sizeof(long) * (size_t)chunk);
    r->source_rows = iv_xmalloc(sizeof(long) * (size_t)chunk * (size_t)r->n_src);
    r->acts.n_sites = m->n_sites;
    r->acts.width = iv_xmalloc(sizeof(int) * (size_t)m->n_sites);
    r->acts.site = iv_xcalloc((size_t)m->n_sites, sizeof(float *));
    float *p = r->block;
    for (int s = 0; s < m->n_sites; s++) {
        r->acts.width[s] = m->sites[s].width;
        if (s >= r->start) {
            r->acts.site[s] = p;
            p += (size_t)chunk * (size_t)r->n_variants * (size_t)m->sites[s].width;
        }
    }
    r->src = iv_xcalloc((size_t)r->n_al, sizeof(float *));
    for (int a = 0; a < r->n_al; a++) {
        r->src[a] = p;
        p += (size_t)chunk * (size_t)source_width(m, &r->al[a]);
    }
    return 0;
}

static void free_run(iia_run *r)
{
    free(r->vals);
    if (r->block_owned)
        free(r->block);
    else if (r->block)
        r->ws->pass_busy = false;
    for (int v = 0; r->answers && v < r->n_variants; v++)
        iv_causal_answers_free(&r->answers[v]);
    free(r->answers);
    free(r->active);
    free(r->set_rows);
    free(r->base_rows);
    free(r->source_rows);
    free(r->acts.width);
    free(r->acts.site);
    free(r->src);
}

static int setup(iia_run *r, iv_workspace *ws, long most_pairs, int n_src, double tol,
                 iv_error *err)
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
    r->n_src = n_src;
    r->nv = r->c->n_vars;
    r->out_site = iv_model_output_site(r->m);
    r->out_w = iv_model_output_width(r->m);
    iv_model_prediction(r->m, &r->pred_off, &r->pred_w);
    r->argmax = r->pred_w > 1;
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
    set_variants(r);
    return alloc_chunks(r, most_pairs > rows ? most_pairs : rows, err);
}

/* Factual accuracy, the joint IIA with its first failures, and each alignment alone. */
static int measure(iia_run *r, pair_gen *g, long n_pairs, iv_iia_result *out, iv_error *err)
{
    long rows = r->ws->data->n;
    long *agree = iv_xcalloc((size_t)r->n_variants, sizeof(long));
    r->total = (double)rows + (double)n_pairs * r->n_variants;
    out->n_sources = r->n_src;
    if (r->n_src > 1)
        out->failure_sources = iv_xmalloc(sizeof(long) * IV_IIA_SHOWN_FAILURES *
                                          (size_t)r->n_src);
    if (g->record && r->n_src > 1 && !g->record->sources) {
        g->record->n_sources = r->n_src;
        g->record->sources = iv_xmalloc(sizeof(long) * (size_t)g->record->capacity *
                                        (size_t)r->n_src);
    }
    int rc = score_factual(r, &out->factual_agree, err);
    if (rc == 0)
        rc = score_pairs(r, g, n_pairs, agree, out, err);
    out->agree = agree[0];
    if (rc == 0 && r->n_variants > 1) {
        out->alone = iv_xcalloc((size_t)r->n_al, sizeof(double));
        for (int a = 0; a < r->n_al; a++)
            out->alone[a] = n_pairs ? (double)agree[1 + a] / (double)n_pairs : NAN;
    }
    free(agree);
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
    int rc = setup(&r, ws, n_pairs, g->n_src, tol, err);
    if (rc == 0) {
        g->rows = ws->data->n;
        rc = measure(&r, g, n_pairs, out, err);
    }
    free_run(&r);
    return rc;
}

/* How many tuples (a base and n_src sources) n rows make: n^(1 + n_src). */
static double tuples_of(long n, int n_src)
{
    double t = (double)n;
    for (int j = 0; j < n_src; j++)
        t *= (double)n;
    return t;
}

int iv_iia_run(iv_workspace *ws, const iv_iia_options *opt, iv_iia_result *out, iv_error *err)
{
    if (check_ready(ws, err) < 0)
        return -1;
    long n = ws->data->n;
    int n_src = opt->each ? ws->n_alignments : 1;
    double every = tuples_of(n, n_src);
    if (opt->all && every > IV_IIA_ALL_PAIRS && n_src == 1)
        return iv_error_set(err, "pairs=all would be %ld x %ld = %.0f pairs, more than %ld; give "
                            "a count, e.g. pairs=%ld", n, n, every, IV_IIA_ALL_PAIRS,
                            IV_IIA_DEFAULT_PAIRS);
    if (opt->all && every > IV_IIA_ALL_PAIRS)
        return iv_error_set(err, "pairs=all with sources=each would be %ld^%d = %.0f tuples (a "
                            "base and %d sources), more than %ld; give a count, e.g. pairs=%ld",
                            n, 1 + n_src, every, n_src, IV_IIA_ALL_PAIRS, IV_IIA_DEFAULT_PAIRS);
    bool all = opt->pairs == 0 && every <= IV_IIA_ALL_PAIRS;
    long count = all ? (long)every : opt->pairs > 0 ? opt->pairs : IV_IIA_DEFAULT_PAIRS;
    pair_gen g = {.all = all, .n_src = n_src, .seed = opt->seed, .record = opt->record};
    int rc = run_with(ws, &g, count, opt->tol, out, err);
    out->all = all;
    out->each = opt->each;
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
    pair_gen g = {.base = base, .source = source, .n_src = 1};
    return run_with(ws, &g, n_pairs, tol, out, err);
}

void iv_iia_result_free(iv_iia_result *r)
{
    free(r->alone);
    r->alone = NULL;
    free(r->failure_sources);
    r->failure_sources = NULL;
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
    free(rec->sources);
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
    pair_gen g = {.base = base, .source = source, .n_src = 1, .record = rec};
    int rc = run_with(ws, &g, n_pairs, tol, out, err);
    free(base);
    return rc;
}
