/* workspace.c - the state under examination and the passes that evaluate it. */
#include "workspace.h"

#include "backward.h"
#include "budget.h"
#include "causal.h"
#include "gpt2.h"
#include "tokenizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void drop_reference(iv_workspace *ws)
{
    iv_acts_free(ws->ref_acts);
    iv_stats_free(ws->stats);
    ws->ref_acts = NULL;
    ws->stats = NULL;
}

static float *copy_floats(const float *v, int n)
{
    float *out = iv_xmalloc(sizeof(float) * (size_t)(n ? n : 1));
    memcpy(out, v, sizeof(float) * (size_t)n);
    return out;
}

/* ---- what the clean and source runs were computed from ----------------------------------------- */

static void key_clear(iv_run_key *k)
{
    free(k->input);
    memset(k, 0, sizeof *k);
}

static void key_set(iv_run_key *k, const iv_model *m, const float *input)
{
    free(k->input);
    k->model = m->serial;
    k->weights = m->weights_version;
    k->input = copy_floats(input, m->n_inputs);
}

/* The serial is compared first: only the same model has inputs of the same width. The inputs are
 * compared as bytes, so that a run is kept only for exactly the same input. */
static bool key_matches(const iv_run_key *k, const iv_model *m, const float *input)
{
    return k->input && k->model == m->serial && k->weights == m->weights_version &&
           memcmp(k->input, input, sizeof(float) * (size_t)m->n_inputs) == 0;
}

static void drop_last_run(iv_workspace *ws)
{
    iv_acts_free(ws->clean);
    iv_acts_free(ws->intervened);
    iv_acts_free(ws->source_acts);
    ws->clean = ws->intervened = ws->source_acts = NULL;
    key_clear(&ws->clean_key);
    key_clear(&ws->source_key);
}

/* The causal model and its alignments speak of this model's inputs and sites. */
static void drop_causal(iv_workspace *ws)
{
    for (int i = 0; i < ws->n_alignments; i++)
        iv_alignment_clear(&ws->alignments[i]);
    free(ws->alignments);
    iv_causal_free(ws->causal);
    ws->alignments = NULL;
    ws->n_alignments = 0;
    ws->causal = NULL;
}

/* The labels defined over the inputs, and what was fitted to a site: both belong to the model
 * they were made for. */
static void drop_labels(iv_workspace *ws)
{
    for (int i = 0; i < ws->n_label_defs; i++)
        free(ws->label_defs[i]);
    free(ws->label_defs);
    ws->label_defs = NULL;
    ws->n_label_defs = 0;
    if (ws->concepts)
        ws->concepts_free(ws->concepts);
    ws->concepts = NULL;
}

void iv_workspace_clear(iv_workspace *ws)
{
    for (int i = 0; i < ws->count; i++)
        iv_intervention_clear(&ws->list[i]);
    if (ws->count)
        ws->unsaved = true;
    ws->count = 0;
    ws->next_id = 1;
}

int iv_dataset_check_inputs(const iv_model *m, const iv_dataset *ds, iv_error *err)
{
    char why[128];
    for (long r = 0; r < ds->n; r++)
        for (int i = 0; i < m->n_inputs; i++)
            if (iv_model_input_check(m, ds->x[r * m->n_inputs + i], why, sizeof why))
                return iv_error_set(err, "%s: row %ld, %s: %s", ds->spec, r, m->input_names[i],
                                    why);
    return 0;
}

/* A transformer opens on the prompt its checkpoint names, when its tokenizer reads it at the
 * length the model was built for (the readers build it so). */
static void open_on_prompt(iv_workspace *ws)
{
    const iv_model *m = ws->model;
    int *ids = NULL, n = 0;
    iv_error ignored;
    if (!m->gpt2 || !m->prompt || !m->tokenizer ||
        iv_tokenizer_encode(m->tokenizer, m->prompt, &ids, &n, &ignored) < 0)
        return;
    if (n == m->n_inputs)
        for (int p = 0; p < n; p++)
            ws->base[p] = ids[p] < m->gpt2->d_vocab ? (float)ids[p] : 0;
    free(ids);
}

/* Installs m (owned) with fresh inputs and its default dataset; frees m on failure. */
static int install_model(iv_workspace *ws, iv_model *m, iv_error *err)
{
    iv_expr *target = NULL;
    if (m->target) {
        target = iv_expr_parse(m->target, m->n_inputs, m->input_names, err);
        if (!target) {
            iv_error_prefix(err, "%s: target '%s'", m->path ? m->path : "model", m->target);
            iv_model_free(m);
            return -1;
        }
    }
    iv_dataset *ds = NULL;
    if (m->dataset) {
        ds = iv_dataset_from_spec(m->dataset, m->n_inputs, m->input_names, ws->seed, err);
        if (ds && iv_dataset_check_inputs(m, ds, err) < 0) {
            iv_dataset_free(ds);
            ds = NULL;
        }
        if (!ds) {
            iv_error_prefix(err, "%s: data '%s'", m->path ? m->path : "model", m->dataset);
            iv_expr_free(target);
            iv_model_free(m);
            return -1;
        }
    }
    iv_workspace_clear(ws);
    drop_causal(ws);
    drop_labels(ws); /* they name the old model's inputs */
    drop_last_run(ws);
    iv_workspace_set_data(ws, ds);
    iv_expr_free(ws->target);
    iv_model_free(ws->model);
    free(ws->base);
    free(ws->source);
    ws->model = m;
    ws->target = target;
    ws->base = iv_xcalloc((size_t)m->n_inputs, sizeof(float));
    ws->source = iv_xcalloc((size_t)m->n_inputs, sizeof(float));
    ws->has_source = false;
    open_on_prompt(ws);
    ws->unsaved = false;
    return iv_workspace_run(ws, err);
}

/* An empty workspace, before a model is installed. */
static iv_workspace *workspace_blank(uint64_t seed)
{
    iv_workspace *ws = iv_xcalloc(1, sizeof *ws);
    ws->seed = seed;
    ws->next_id = 1;
    ws->label_column = -1;
    ws->logit_diff[0] = ws->logit_diff[1] = -1;
    ws->input_row = ws->source_row = -1;
    ws->holdout = 0.2;
    ws->split_seed = 1;
    return ws;
}

iv_workspace *iv_workspace_new(iv_model *m, iv_error *err)
{
    iv_workspace *ws = workspace_blank(1);
    if (install_model(ws, m, err) < 0) {
        iv_workspace_free(ws);
        return NULL;
    }
    return ws;
}

int iv_workspace_set_model(iv_workspace *ws, iv_model *m, iv_error *err)
{
    iv_workspace *fresh = workspace_blank(ws->seed);
    fresh->loss_vs_target = ws->loss_vs_target;
    if (install_model(fresh, m, err) < 0) {
        iv_workspace_free(fresh);
        return -1;
    }
    iv_workspace_adopt(ws, fresh);
    return 0;
}

void iv_workspace_adopt(iv_workspace *ws, iv_workspace *fresh)
{
    /* What belongs to the running program rather than to the session carries over; the count of
     * evaluations moves past both, so an undo still sees that the evaluation changed. */
    fresh->running = ws->running;
    fresh->job = ws->job;
    fresh->evaluations = (ws->evaluations > fresh->evaluations ? ws->evaluations
                                                               : fresh->evaluations) + 1;
    fresh->clean_passes += ws->clean_passes; /* a count of the session's, not of one model's */
    iv_workspace old = *ws;
    *ws = *fresh;
    *fresh = old;
    iv_workspace_free(fresh);
}

void iv_workspace_free(iv_workspace *ws)
{
    if (!ws)
        return;
    iv_workspace_clear(ws);
    drop_causal(ws);
    drop_labels(ws);
    free(ws->list);
    free(ws->pass_buffer);
    if (ws->effect_cache)
        ws->effect_free(ws->effect_cache);
    drop_last_run(ws);
    drop_reference(ws);
    iv_dataset_free(ws->data);
    iv_expr_free(ws->target);
    iv_model_free(ws->model);
    free(ws->base);
    free(ws->source);
    free(ws);
}

/* The rows inputs came from, and a label column, belong to the dataset they were read from. */
static void forget_rows(iv_workspace *ws)
{
    ws->input_row = ws->source_row = -1;
    ws->label_column = -1;
}

void iv_workspace_set_data(iv_workspace *ws, iv_dataset *ds)
{
    drop_reference(ws);
    iv_dataset_free(ws->data);
    ws->data = ds;
    forget_rows(ws);
}

int iv_workspace_replace_data(iv_workspace *ws, iv_dataset *ds, iv_error *err)
{
    iv_dataset *old = ws->data;
    iv_acts *old_ref = ws->ref_acts;
    iv_stats *old_stats = ws->stats;
    ws->data = ds;
    ws->ref_acts = NULL;
    ws->stats = NULL;
    /* Interventions that read the dataset (mean, resample) need its statistics now. */
    if ((ds && iv_workspace_reference(ws, err) < 0) || iv_workspace_run(ws, err) < 0) {
        drop_reference(ws);
        iv_dataset_free(ds);
        ws->data = old;
        ws->ref_acts = old_ref;
        ws->stats = old_stats;
        return -1;
    }
    iv_dataset_free(old);
    iv_acts_free(old_ref);
    iv_stats_free(old_stats);
    forget_rows(ws);
    return 0;
}

void iv_workspace_forget_effect(iv_workspace *ws)
{
    if (ws->effect_cache)
        ws->effect_free(ws->effect_cache);
    ws->effect_cache = NULL;
}

/* ---- undoing a failed command ------------------------------------------------------------------ */

void iv_workspace_save_state(const iv_workspace *ws, iv_workspace_state *st)
{
    st->model_serial = ws->model->serial;
    st->data = ws->data;
    st->count = ws->count;
    st->next_id = ws->next_id;
    st->list = iv_xcalloc((size_t)(ws->count ? ws->count : 1), sizeof(iv_intervention));
    for (int i = 0; i < ws->count; i++)
        iv_intervention_copy(&st->list[i], &ws->list[i]);
    st->base = copy_floats(ws->base, ws->model->n_inputs);
    st->source = copy_floats(ws->source, ws->model->n_inputs);
    st->has_source = ws->has_source;
    st->loss_vs_target = ws->loss_vs_target;
    st->label_column = ws->label_column;
    memcpy(st->logit_diff, ws->logit_diff, sizeof st->logit_diff);
    st->input_row = ws->input_row;
    st->source_row = ws->source_row;
    st->unsaved = ws->unsaved;
    st->seed = ws->seed;
    st->evaluations = ws->evaluations;
}

void iv_workspace_state_free(iv_workspace_state *st)
{
    for (int i = 0; i < st->count; i++)
        iv_intervention_clear(&st->list[i]);
    free(st->list);
    free(st->base);
    free(st->source);
    memset(st, 0, sizeof *st);
}

void iv_workspace_restore_state(iv_workspace *ws, iv_workspace_state *st)
{
    /* A command that replaced the model or the dataset did so whole, and is not undone here. */
    if (ws->model->serial != st->model_serial || ws->data != st->data) {
        iv_workspace_state_free(st);
        return;
    }
    iv_workspace_clear(ws);
    free(ws->list);
    ws->list = st->list;
    ws->cap = ws->count = st->count;
    ws->next_id = st->next_id;
    free(ws->base);
    free(ws->source);
    ws->base = st->base;
    ws->source = st->source;
    ws->has_source = st->has_source;
    ws->loss_vs_target = st->loss_vs_target;
    if (ws->label_column != st->label_column ||
        memcmp(ws->logit_diff, st->logit_diff, sizeof st->logit_diff) != 0)
        iv_workspace_forget_effect(ws); /* its key does not name the metric */
    ws->label_column = st->label_column;
    memcpy(ws->logit_diff, st->logit_diff, sizeof st->logit_diff);
    ws->input_row = st->input_row;
    ws->source_row = st->source_row;
    ws->unsaved = st->unsaved;
    ws->seed = st->seed;
    /* The evaluation is a function of the state (random draws are seeded): redo it if it moved.
     * The clean and source runs are redone only if the inputs put back differ from those they were
     * computed from (their keys hold the inputs); weights a command changed are not put back. */
    if (ws->evaluations != st->evaluations)
        iv_workspace_run(ws, NULL);
    memset(st, 0, sizeof *st);
}

#define HINT_NAMED_INPUTS 4 /* more inputs than this: only the first two are named */

#define HINT_MOST_PROMPTS 100000 /* a transformer's hint: every prompt, up to this many */

/* Whether a transformer's every prompt (its vocabulary at each position) is few enough to list. */
static bool prompts_listable(const iv_model *m)
{
    double n = 1;
    for (int p = 0; p < m->n_inputs; p++)
        n *= m->gpt2->d_vocab;
    return n <= HINT_MOST_PROMPTS;
}

static int hint_named_inputs(const iv_model *m)
{
    if (m->gpt2)
        return prompts_listable(m) ? m->n_inputs : 0;
    return m->n_inputs > HINT_NAMED_INPUTS ? 2 : m->n_inputs;
}

char *iv_workspace_dataset_hint(const iv_workspace *ws)
{
    const iv_model *m = ws->model;
    iv_buf b = {0};
    if (m->gpt2) { /* token ids: every prompt, or a file of them */
        if (!prompts_listable(m))
            iv_buf_printf(&b, "data load PROMPTS.csv (a column of token ids for each of t0 .. t%d)",
                          m->n_inputs - 1);
        else
            iv_buf_printf(&b, "data grid");
        for (int i = 0; i < hint_named_inputs(m); i++)
            iv_buf_printf(&b, " %s=0:%d:1", m->input_names[i], m->gpt2->d_vocab - 1);
        return b.data;
    }
    iv_buf_printf(&b, "data sample 1000");
    for (int i = 0; i < hint_named_inputs(m); i++)
        iv_buf_printf(&b, " %s=-1:1", m->input_names[i]);
    return b.data;
}

char *iv_workspace_dataset_try(const iv_workspace *ws)
{
    char *hint = iv_workspace_dataset_hint(ws);
    char *text = hint_named_inputs(ws->model) < ws->model->n_inputs && !ws->model->gpt2
                     ? iv_xasprintf("try: %s (the other inputs are drawn from [0, 1])", hint)
                     : iv_xasprintf("try: %s", hint);
    free(hint);
    return text;
}

int iv_workspace_reference(iv_workspace *ws, iv_error *err)
{
    if (ws->stats)
        return 0;
    if (!ws->data) {
        char *hint = iv_workspace_dataset_try(ws);
        iv_error_set(err, "no reference dataset: set one with 'data'; %s", hint);
        free(hint);
        return -1;
    }
    ws->ref_acts = iv_acts_new(ws->model, ws->data->n, err);
    if (!ws->ref_acts)
        return -1;
    iv_forward(ws->model, ws->data->x, ws->ref_acts, NULL, NULL);
    ws->stats = iv_stats_new(ws->ref_acts);
    return 0;
}

void iv_workspace_stats_site(iv_workspace *ws, int site)
{
    if (ws->stats)
        iv_stats_site(ws->stats, ws->ref_acts, site);
}

void iv_workspace_stats_for(iv_workspace *ws, const iv_intervention *list, int count)
{
    for (int i = 0; i < count; i++)
        if (list[i].enabled && iv_kind_needs_stats(list[i].kind))
            iv_workspace_stats_site(ws, list[i].addr.site);
}

/* ---- the intervention list --------------------------------------------------------------------- */

int iv_workspace_add(iv_workspace *ws, const iv_intervention *iv, iv_error *err)
{
    if (iv_intervention_check(ws->model, iv, ws->has_source, ws->data != NULL, err) < 0)
        return -1;
    if (iv->kind == IV_RESAMPLE && ws->data->n < 2)
        return iv_error_set(err, "resample needs a reference dataset of at least 2 examples");
    if (iv_kind_needs_stats(iv->kind) && iv_workspace_reference(ws, err) < 0)
        return -1;
    if (iv_kind_needs_stats(iv->kind))
        iv_workspace_stats_site(ws, iv->addr.site);
    if (ws->count == ws->cap) {
        ws->cap = ws->cap ? 2 * ws->cap : 8;
        ws->list = iv_xrealloc(ws->list, sizeof(iv_intervention) * (size_t)ws->cap);
    }
    iv_intervention *slot = &ws->list[ws->count++];
    iv_intervention_copy(slot, iv);
    slot->id = ws->next_id++;
    ws->unsaved = true;
    return slot->id;
}

int iv_workspace_find(const iv_workspace *ws, int id)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].id == id)
            return i;
    return -1;
}

static int find_or_fail(const iv_workspace *ws, int id, iv_error *err)
{
    int i = iv_workspace_find(ws, id);
    if (i < 0) {
        if (ws->count == 0)
            return iv_error_set(err, "no intervention #%d: there are none", id);
        return iv_error_set(err, "no intervention #%d (see 'list')", id);
    }
    return i;
}

int iv_workspace_drop(iv_workspace *ws, int id, iv_error *err)
{
    int i = find_or_fail(ws, id, err);
    if (i < 0)
        return -1;
    iv_intervention_clear(&ws->list[i]);
    memmove(&ws->list[i], &ws->list[i + 1], sizeof(iv_intervention) * (size_t)(ws->count - i - 1));
    ws->count--;
    ws->unsaved = true;
    return 0;
}

int iv_workspace_toggle(iv_workspace *ws, int id, iv_error *err)
{
    int i = find_or_fail(ws, id, err);
    if (i < 0)
        return -1;
    ws->list[i].enabled = !ws->list[i].enabled;
    ws->unsaved = true;
    return 0;
}

/* ---- evaluation -------------------------------------------------------------------------------- */

/* Rows of the intervened pass: enough for the most demanding stochastic intervention that is on. */
static long sample_count(const iv_workspace *ws) { return iv_list_samples(ws->list, ws->count); }

static bool needs_reference(const iv_workspace *ws)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && iv_kind_needs_stats(ws->list[i].kind))
            return true;
    return false;
}

/* Reference row whose inputs equal `input` (so resample can avoid the example itself), or -1. */
static long reference_row_of(const iv_workspace *ws, const float *input)
{
    if (!ws->data)
        return -1;
    int d = ws->model->n_inputs;
    for (long r = 0; r < ws->data->n; r++)
        if (memcmp(ws->data->x + r * d, input, sizeof(float) * (size_t)d) == 0)
            return r;
    return -1;
}

/* `times` copies of one input row, (times, width); NULL with a message when over the budget. */
static float *replicate(const float *row, int width, long times, iv_error *err)
{
    float *out = iv_big_alloc((size_t)width * (size_t)times, sizeof(float), "the inputs of a pass",
                              err);
    for (long t = 0; out && t < times; t++)
        memcpy(out + t * width, row, sizeof(float) * (size_t)width);
    return out;
}

void iv_workspace_apply_ctx(const iv_workspace *ws, iv_apply_ctx *ctx, long samples)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->list = ws->list; /* callers running another list replace these two */
    ctx->count = ws->count;
    ctx->samples = samples;
    ctx->stats = ws->stats;
    ctx->reference = ws->ref_acts;
    ctx->source = ws->source_acts;
}

/* Installs the clean run (kept, or new and run now) and the source run (the same, or NULL without
 * a source) in place of the last ones. */
static void install_clean_runs(iv_workspace *ws, iv_acts *clean, iv_acts *source)
{
    const iv_model *m = ws->model;
    if (clean != ws->clean) {
        iv_acts_free(ws->clean);
        ws->clean = clean;
        iv_forward(m, ws->base, clean, NULL, NULL);
        key_set(&ws->clean_key, m, ws->base);
        ws->clean_passes++;
    }
    if (source != ws->source_acts) {
        iv_acts_free(ws->source_acts);
        ws->source_acts = source;
        key_clear(&ws->source_key);
        if (source) {
            iv_forward(m, ws->source, source, NULL, NULL);
            key_set(&ws->source_key, m, ws->source);
            ws->clean_passes++;
        }
    }
}

int iv_workspace_run(iv_workspace *ws, iv_error *err)
{
    const iv_model *m = ws->model;
    if (needs_reference(ws) && iv_workspace_reference(ws, err) < 0)
        return -1;
    iv_workspace_stats_for(ws, ws->list, ws->count);
    /* The clean and source runs depend on the model, its weights and their input only: when those
     * are as last time (a key that changed an intervention), they are kept. */
    bool keep_clean = ws->clean && key_matches(&ws->clean_key, m, ws->base);
    bool keep_source = ws->has_source && ws->source_acts &&
                       key_matches(&ws->source_key, m, ws->source);
    /* Everything is allocated before anything is replaced: on failure the last evaluation stays. */
    long samples = sample_count(ws);
    iv_acts *clean = keep_clean ? ws->clean : iv_acts_new(m, 1, err);
    iv_acts *source = !clean || !ws->has_source ? NULL
                      : keep_source             ? ws->source_acts
                                                : iv_acts_new(m, 1, err);
    iv_acts *intervened = clean && (source || !ws->has_source) ? iv_acts_new(m, samples, err)
                                                               : NULL;
    float *input = intervened ? replicate(ws->base, m->n_inputs, samples, err) : NULL;
    if (!input) {
        if (!keep_clean)
            iv_acts_free(clean);
        if (!keep_source)
            iv_acts_free(source);
        iv_acts_free(intervened);
        return -1;
    }
    install_clean_runs(ws, clean, source);
    iv_acts_free(ws->intervened);
    ws->intervened = intervened;
    ws->samples = samples;
    ws->evaluations++;
    long self = reference_row_of(ws, ws->base);
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, samples);
    ctx.self_row = &self;
    /* One row: up to the first intervened site the run is the clean one, so it starts there from
     * the clean values (a head in a transformer's middle block skips half its blocks). With
     * samples the whole pass runs, as before: several rows may round otherwise than one. */
    int first = m->n_sites - 1;
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && ws->list[i].addr.site < first)
            first = ws->list[i].addr.site;
    int start = iv_model_pass_start(m, first);
    if (samples == 1 && start > 0) {
        for (int s = 0; s <= start; s++)
            memcpy(ws->intervened->site[s], ws->clean->site[s],
                   sizeof(float) * (size_t)m->sites[s].width);
        iv_forward_from(m, ws->intervened, start, iv_apply_hook, &ctx);
    } else {
        iv_forward(m, input, ws->intervened, iv_apply_hook, &ctx);
    }
    free(input);
    return 0;
}

/* ---- passes over the dataset ------------------------------------------------------------------- */

long iv_list_samples(const iv_intervention *list, int count)
{
    long s = 1;
    for (int i = 0; i < count; i++)
        if (list[i].enabled && iv_kind_is_stochastic(list[i].kind) && list[i].samples > s)
            s = list[i].samples;
    return s;
}

iv_acts *iv_workspace_run_data(iv_workspace *ws, const iv_intervention *list, int count,
                               iv_error *err)
{
    if (iv_workspace_reference(ws, err) < 0)
        return NULL;
    iv_workspace_stats_for(ws, list, count);
    const iv_model *m = ws->model;
    long n = ws->data->n, S = iv_list_samples(list, count);
    int d = m->n_inputs;
    if ((double)n * (double)S > (double)IV_MAX_EXAMPLES) {
        iv_error_set(err, "%ld examples x %ld samples is too large a pass; use fewer samples or a "
                     "smaller dataset", n, S);
        return NULL;
    }
    iv_acts *acts = iv_acts_new(m, n * S, err);
    float *input = acts ? iv_big_alloc((size_t)(n * S) * (size_t)d, sizeof(float),
                                       "the inputs of a pass", err) /* (n * S, d) */
                        : NULL;
    if (!input) {
        iv_acts_free(acts);
        return NULL;
    }
    for (long r = 0; r < n; r++)
        for (long s = 0; s < S; s++)
            memcpy(input + (r * S + s) * d, ws->data->x + r * d, sizeof(float) * (size_t)d);
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, S);
    ctx.list = list;
    ctx.count = count;
    ctx.batch_is_reference = true;
    iv_forward(m, input, acts, iv_apply_hook, &ctx);
    free(input);
    return acts;
}

void iv_workspace_backward_data(const iv_workspace *ws, const iv_intervention *list, int count,
                                const iv_acts *acts, const float *grad_out, iv_acts *grads,
                                int stop_site, double **param_grad)
{
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, acts->n / ws->data->n);
    ctx.list = list;
    ctx.count = count;
    ctx.batch_is_reference = true;
    ctx.param_grad = param_grad;
    iv_backward_hooked(ws->model, acts, grad_out, grads, stop_site, iv_apply_backward_hook, &ctx);
}

double iv_workspace_intervened_mean(const iv_workspace *ws, int site, int neuron)
{
    const iv_acts *a = ws->intervened;
    int w = a->width[site];
    double sum = 0;
    for (long r = 0; r < a->n; r++)
        sum += a->site[site][r * w + neuron];
    return sum / (double)a->n; /* divided once, so an untouched value stays exact */
}

double iv_workspace_target(const iv_workspace *ws, const float *input)
{
    if (!ws->target)
        return NAN;
    int d = ws->model->n_inputs;
    double *vars = iv_xmalloc(sizeof(double) * (size_t)d);
    for (int i = 0; i < d; i++)
        vars[i] = input[i];
    double v = iv_expr_eval(ws->target, vars);
    free(vars);
    return v;
}
