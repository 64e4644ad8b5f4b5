/* pass.c - interventions over the reference dataset: from the first changed site on, in chunks. */
#include "pass.h"

#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "kinds.h"
#include "ops.h"

/* The earliest site an enabled intervention of the list acts on, or `from` when none is earlier. */
static int first_site(const iv_intervention *list, int count, int from)
{
    for (int i = 0; i < count; i++)
        if (list[i].enabled && list[i].addr.site < from)
            from = list[i].addr.site;
    return from;
}

/* The pass's working memory: the workspace's buffer when it is free and big enough (grown when
 * not), so that repeated passes - every candidate of compare or of optimal ablation - reuse pages
 * already faulted in. A nested pass gets its own block. *owned says which. */
static _Thread_local bool on_helper;
static _Thread_local float *helper_memory; /* a helper's own buffer, kept between its passes */
static _Thread_local size_t helper_floats;

void iv_pass_helper_begin(void) { on_helper = true; }

void iv_pass_helper_end(void)
{
    free(helper_memory);
    helper_memory = NULL;
    helper_floats = 0;
    on_helper = false;
}

iv_job *iv_pass_job(const iv_workspace *ws) { return on_helper ? NULL : ws->job; }

/* A helper's working memory: its own buffer, grown when it must be. */
static float *helper_working_memory(size_t floats, iv_error *err)
{
    if (helper_floats < floats) {
        free(helper_memory);
        helper_floats = 0;
        helper_memory = iv_big_alloc(floats, sizeof(float), "the working memory of a pass", err);
        if (!helper_memory)
            return NULL;
        helper_floats = floats;
    }
    return helper_memory;
}

static float *working_memory(iv_workspace *ws, size_t floats, bool *owned, iv_error *err)
{
    *owned = false;
    if (on_helper)
        return helper_working_memory(floats, err);
    *owned = ws->pass_busy;
    if (*owned)
        return iv_big_alloc(floats, sizeof(float), "the working memory of a pass", err);
    if (ws->pass_buffer_floats < floats) {
        free(ws->pass_buffer);
        ws->pass_buffer = NULL;
        ws->pass_buffer_floats = 0;
        ws->pass_buffer = iv_big_alloc(floats, sizeof(float), "the working memory of a pass", err);
        if (!ws->pass_buffer)
            return NULL;
        ws->pass_buffer_floats = floats;
    }
    ws->pass_busy = true;
    return ws->pass_buffer;
}

/* A rank-k update pays when few of the site's neurons change and the site is wide enough for the
 * full product to cost something (the lecture network's layers of 2 and 4 are recomputed). */
#define UPDATE_MIN_WIDTH 32
#define UPDATE_MAX_SHARE 4 /* at most one neuron in four changed */
#define CACHE_BYTES ((size_t)512 << 10) /* a chunk's working set when it should stay in cache */

/* The one operation that reads `site`, or NULL when none or several do. */
static const iv_op *only_reader(const iv_model *m, int site)
{
    const iv_op *found = NULL;
    for (int k = 0; k < m->n_ops; k++)
        for (int i = 0; i < 2; i++)
            if (m->ops[k].in[i] == site) {
                if (found)
                    return NULL;
                found = &m->ops[k];
            }
    return found;
}

/* The neurons of `site` that the enabled interventions there may change, in order, into idx;
 * returns how many. Every kind rewrites only the neurons it addresses. */
static int changed_neurons(const iv_intervention *list, int count, int site, int width, int *idx)
{
    bool *mark = iv_xcalloc((size_t)width, sizeof(bool));
    for (int i = 0; i < count; i++)
        if (list[i].enabled && list[i].addr.site == site)
            for (int j = 0; j < list[i].addr.n; j++)
                mark[list[i].addr.idx[j]] = true;
    int k = 0;
    for (int i = 0; i < width; i++)
        if (mark[i])
            idx[k++] = i;
    free(mark);
    return k;
}

/* The operation that reads `start`, when the pass can run it as its clean output plus the change
 * of the k changed neurons because that is cheaper; NULL when it runs as usual. */
static const iv_op *updatable_reader(const iv_model *m, int start, int k)
{
    int w = m->sites[start].width;
    const iv_op *op = only_reader(m, start);
    const iv_op_type *type = op ? iv_op_type_of(op->kind) : NULL;
    if (!type || !type->forward_update || op->in[1] >= 0 || k == 0 || w < UPDATE_MIN_WIDTH ||
        k * UPDATE_MAX_SHARE > w)
        return NULL;
    return op;
}

/* After the interventions at `start`: the operation op reading it, as its clean output plus the
 * change of the k neurons idx. */
static void update_reader(const iv_workspace *ws, const iv_op *op, iv_acts *acts, int start,
                          long first, long S, const int *idx, int k)
{
    const iv_model *m = ws->model;
    int w = m->sites[start].width;
    const iv_op_type *type = iv_op_type_of(op->kind);
    long rows = acts->n;
    const float *clean_in = ws->ref_acts->site[start], *clean_out = ws->ref_acts->site[op->out];
    int w_out = m->sites[op->out].width;
    float *delta = iv_xmalloc(sizeof(float) * (size_t)rows * (size_t)k); /* (rows, k) */
    for (long r = 0; r < rows; r++) {
        long e = first + r / S;
        for (int j = 0; j < k; j++)
            delta[r * k + j] = acts->site[start][r * w + idx[j]] - clean_in[e * w + idx[j]];
    }
    iv_op_io io;
    iv_op_io_of(m, op, acts, &io);
    const float *base = clean_out + first * w_out; /* one sample: the clean rows as they are */
    if (S > 1) {                                   /* else each row's example's, repeated */
        for (long r = 0; r < rows; r++)
            memcpy(io.out + r * w_out, clean_out + (first + r / S) * w_out,
                   sizeof(float) * (size_t)w_out);
        base = io.out;
    }
    type->forward_update(m, op, &io, base, delta, idx, k);
    free(delta);
}

/* The random state a pass over all rows at once would have: each noise stream seeded once, each
 * resample plan drawn for the whole set. */
static void random_state(const iv_workspace *ws, iv_apply_ctx *ctx, long samples)
{
    const iv_intervention *list = ctx->list;
    ctx->streams = iv_xcalloc((size_t)(ctx->count ? ctx->count : 1), sizeof(iv_rng));
    ctx->resample_plans = iv_xcalloc((size_t)(ctx->count ? ctx->count : 1), sizeof(long *));
    for (int i = 0; i < ctx->count; i++) {
        iv_rng_seed(&ctx->streams[i], list[i].seed);
        const iv_kind_info *kind = iv_kind_info_of(list[i].kind);
        if (list[i].enabled && kind->plan && ws->data->n > 1)
            ctx->resample_plans[i] = kind->plan(&list[i], ws->data->n, samples);
    }
}

static void free_random_state(iv_apply_ctx *ctx)
{
    for (int i = 0; i < ctx->count; i++)
        free(ctx->resample_plans[i]);
    free(ctx->resample_plans);
    free(ctx->streams);
}

int iv_workspace_pass(iv_workspace *ws, const iv_intervention *list, int count, int keep_from,
                      iv_pass_fn fn, void *user, iv_error *err)
{
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    return iv_workspace_pass_range(ws, list, count, keep_from, 0, ws->data->n, fn, user, err);
}

int iv_workspace_pass_range(iv_workspace *ws, const iv_intervention *list, int count,
                            int keep_from, long from, long examples, iv_pass_fn fn, void *user,
                            iv_error *err)
{
    if (iv_workspace_reference(ws, err) < 0)
        return -1;
    iv_workspace_stats_for(ws, list, count);
    const iv_model *m = ws->model;
    const iv_acts *ref = ws->ref_acts;
    long S = iv_list_samples(list, count);
    int start = iv_model_pass_start(m, first_site(list, count, keep_from));

    int *changed = iv_xmalloc(sizeof(int) * (size_t)m->sites[start].width);
    int n_changed = changed_neurons(list, count, start, m->sites[start].width, changed);
    const iv_op *reader = updatable_reader(m, start, n_changed);
    bool only_changed = reader && keep_from > start;

    /* Rows per chunk: as many whole examples as the pass limit holds, at least one. When the
     * largest product is replaced by an update, what is left (an activation, a narrow product, the
     * loss) is bound by memory, not arithmetic: chunks small enough to stay in cache then save the
     * trips to memory between one operation and the next. */
    size_t per_row = 0; /* floats of one row, at the sites the pass writes */
    for (int s = start; s < m->n_sites; s++)
        per_row += (size_t)m->sites[s].width;
    size_t per_example = per_row * (size_t)S;
    size_t room = reader ? CACHE_BYTES : iv_pass_limit();
    long chunk = (long)(room / sizeof(float) / per_example);
    chunk = chunk < 1 ? 1 : chunk > examples ? examples : chunk;
    bool owned;
    float *block = working_memory(ws, (size_t)chunk * per_example, &owned, err);
    bool from_workspace = !on_helper && !owned;
    if (!block) {
        free(changed);
        return -1;
    }

    iv_acts acts = {.n_sites = m->n_sites};
    acts.width = iv_xmalloc(sizeof(int) * (size_t)m->n_sites);
    acts.site = iv_xcalloc((size_t)m->n_sites, sizeof(float *));
    for (int s = 0; s < m->n_sites; s++)
        acts.width[s] = m->sites[s].width;
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, S);
    ctx.list = list;
    ctx.count = count;
    ctx.batch_is_reference = true;
    random_state(ws, &ctx, S);

    atomic_fetch_add(&ws->passes, 1);
    int rc = 0;
    long end = from + examples;
    for (long first = from; first < end && rc == 0; first += chunk) {
        long ne = end - first < chunk ? end - first : chunk, rows = ne * S;
        acts.n = rows;
        float *p = block;
        for (int s = 0; s < m->n_sites; s++) {
            int w = acts.width[s];
            if (s >= start) {
                acts.site[s] = p;
                p += (size_t)rows * (size_t)w;
            } else { /* not recomputed: with one sample per example, the clean rows themselves */
                acts.site[s] = S == 1 ? ref->site[s] + first * w : NULL;
            }
        }
        int w = acts.width[start];
        for (long e = 0; e < ne; e++)
            for (long k = 0; k < S; k++) {
                float *to = acts.site[start] + (e * S + k) * w;
                const float *clean = ref->site[start] + (first + e) * w;
                if (!only_changed) {
                    memcpy(to, clean, sizeof(float) * (size_t)w);
                    continue;
                }
                /* Nothing reads the rest of the row: every kind reads and writes only the neurons
                 * it addresses, the update reads only those, and the consumer starts later. */
                for (int j = 0; j < n_changed; j++)
                    to[changed[j]] = clean[changed[j]];
            }
        ctx.first_example = first;
        iv_apply_hook(start, acts.site[start], rows, w, &ctx);
        int done = start;
        if (reader) {
            update_reader(ws, reader, &acts, start, first, S, changed, n_changed);
            done = reader->out;
            iv_apply_hook(done, acts.site[done], rows, acts.width[done], &ctx);
        }
        iv_forward_after(m, &acts, done, iv_apply_hook, &ctx);
        iv_pass_chunk c = {&acts, start, first, ne, S};
        rc = fn(&c, user, err);
        if (rc == 0 && !on_helper)
            rc = iv_job_progress(ws->job, (double)(first + ne - from), (double)examples, err);
        else if (rc == 0 && iv_job_cancelled(ws->job))
            rc = iv_error_set(err, "cancelled");
    }
    free_random_state(&ctx);
    free(changed);
    free(acts.width);
    free(acts.site);
    if (owned)
        free(block);
    else if (from_workspace)
        ws->pass_busy = false;
    return rc;
}
