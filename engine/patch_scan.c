/* patch_scan.c - a transformer's patching scans (patch_scan.h): cells of (block, position) or
 * (block, head), each a row of a batched forward pass. */
#include "patch_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "gpt2.h"
#include "kinds.h"
#include "pass.h"

/* One cell: the values of `site` at idx (n of them) come from the source. */
typedef struct {
    int site, n;
    int *idx;
} cell;

typedef struct {
    const cell *cells; /* the batch's rows, in order */
    int n;
    const iv_apply_ctx *ctx;
    const iv_acts *source;
} scan_pass;

/* Row r's cell, when it is at `site`: its values from the source run. */
static void replace_cells(const scan_pass *p, int site, float *values, int width)
{
    const float *src = p->source->site[site];
    for (int r = 0; r < p->n; r++)
        if (p->cells[r].site == site)
            for (int i = 0; i < p->cells[r].n; i++)
                values[(long)r * width + p->cells[r].idx[i]] = src[p->cells[r].idx[i]];
}

/* The workspace's interventions, then the cells, as `ablate`'s order puts a patch after them. */
static void scan_hook(int site, float *values, long n, int width, void *user)
{
    const scan_pass *p = user;
    iv_apply_hook(site, values, n, width, (void *)p->ctx);
    replace_cells(p, site, values, width);
}

/* The metric on one output row: logit(A) - logit(B) at the last position, or logit(A) alone. */
static double metric_of(const iv_model *m, const float *y, int a, int b)
{
    int off, w;
    iv_model_prediction(m, &off, &w);
    return (double)y[off + a] - (b >= 0 ? y[off + b] : 0);
}

/* The cells of a scan, in row-major order of its table; their index sets in one block. */
static cell *make_cells(const iv_model *m, iv_patch_scan_kind kind, int *rows, int *cols,
                        int **block)
{
    const iv_gpt2_config *c = m->gpt2;
    int T = m->positions, d = c->d_model, dh = d / c->n_head;
    *rows = c->n_layer;
    *cols = kind == IV_PATCH_SCAN_RESID ? T : c->n_head;
    int each = kind == IV_PATCH_SCAN_RESID ? d : T * dh, count = *rows * *cols;
    cell *cells = iv_xmalloc(sizeof(cell) * (size_t)count);
    *block = iv_xmalloc(sizeof(int) * (size_t)count * (size_t)each);
    for (int L = 0; L < *rows; L++) {
        char name[64];
        snprintf(name, sizeof name, kind == IV_PATCH_SCAN_RESID ? "blocks.%d.hook_resid_pre"
                                                                : "blocks.%d.attn.hook_z", L);
        int site = iv_model_site_find(m, name);
        for (int k = 0; k < *cols; k++) {
            cell *x = &cells[L * *cols + k];
            x->site = site;
            x->n = each;
            x->idx = *block + (long)(L * *cols + k) * each;
            for (int i = 0; i < each; i++) /* a position's values; a head's at every position */
                x->idx[i] = kind == IV_PATCH_SCAN_RESID ? k * d + i
                                                        : (i / dh * c->n_head + k) * dh + i % dh;
        }
    }
    return cells;
}

static bool any_random(const iv_workspace *ws)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->list[i].enabled && iv_kind_is_stochastic(ws->list[i].kind))
            return true;
    return false;
}

/* Rows of the batch one pass holds: every site's values for a row, within the pass limit. */
static long rows_per_pass(const iv_model *m, long wanted)
{
    double bytes = 0;
    for (int s = 0; s < m->n_sites; s++)
        bytes += 4.0 * m->sites[s].width;
    long fit = (long)((double)iv_pass_limit() / bytes);
    return fit < 1 ? 1 : fit < wanted ? fit : wanted;
}

int iv_patch_scan_run(iv_workspace *ws, iv_patch_scan_kind kind, iv_patch_scan *out,
                      iv_error *err)
{
    memset(out, 0, sizeof *out);
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "%s is not a transformer (scan patches a site's neurons)",
                            m->path);
    if (!ws->has_source || !ws->source_acts)
        return iv_error_set(err, "no source prompt to patch from (e.g. prompt source TEXT)");
    if (!ws->intervened || ws->intervened->n != 1 || any_random(ws))
        return iv_error_set(err, "a random intervention is on; a scan measures one run (toggle "
                            "it off)");
    int a = ws->logit_diff[0], b = ws->logit_diff[1];
    if (a < 0) { /* the base run's top next token */
        int off, w;
        iv_model_prediction(m, &off, &w);
        const float *y = ws->intervened->site[iv_model_output_site(m)] + off;
        a = 0;
        for (int k = 1; k < w; k++)
            a = y[k] > y[a] ? k : a;
        b = -1;
    }
    int *block, rows, cols;
    cell *cells = make_cells(m, kind, &rows, &cols, &block);
    int count = rows * cols, out_site = iv_model_output_site(m);
    long chunk = rows_per_pass(m, count);
    iv_acts *acts = iv_acts_new(m, chunk, err);
    if (!acts) {
        free(cells);
        free(block);
        return -1;
    }
    iv_apply_ctx ctx;
    iv_workspace_apply_ctx(ws, &ctx, 1);
    /* every cell's site comes after the first block's input: start there, from the base run */
    int start = iv_model_pass_start(m, cells[0].site), w = m->sites[start].width;
    double *value = iv_xmalloc(sizeof(double) * (size_t)count);
    int rc = 0;
    for (long first = 0; first < count && rc == 0; first += chunk) {
        long n = count - first < chunk ? count - first : chunk;
        acts->n = n;
        for (long r = 0; r < n; r++)
            memcpy(acts->site[start] + r * w, ws->intervened->site[start], sizeof(float) * (size_t)w);
        scan_pass p = {cells + first, (int)n, &ctx, ws->source_acts};
        replace_cells(&p, start, acts->site[start], w); /* the base run's values there already
                                                           hold the workspace's interventions */
        iv_forward_after(m, acts, start, scan_hook, &p);
        for (long r = 0; r < n; r++)
            value[first + r] = metric_of(m, acts->site[out_site] + r * m->sites[out_site].width,
                                         a, b);
        rc = iv_job_progress(iv_pass_job(ws), (double)(first + n), (double)count, err);
    }
    iv_acts_free(acts);
    free(cells);
    free(block);
    if (rc < 0) {
        free(value);
        return -1;
    }
    *out = (iv_patch_scan){kind, rows, cols, value,
                           metric_of(m, ws->intervened->site[out_site], a, b),
                           metric_of(m, ws->source_acts->site[out_site], a, b), a, b};
    return 0;
}

void iv_patch_scan_free(iv_patch_scan *s)
{
    free(s->value);
    s->value = NULL;
}
