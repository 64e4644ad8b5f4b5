/* cmd_patch_scan.c - a transformer's tables: `patch-scan resid|heads`, one row per block, a column
 * per position or head, each cell the metric with that cell patched from the source prompt
 * (patch_scan.h); `attention BLOCK HEAD`, a head's pattern, query by key; and `logit-lens`, each
 * block's residual stream at each position read out as the next token. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2.h"
#include "handlers.h"
#include "logit_lens.h"
#include "ops.h"
#include "patch_scan.h"
#include "report.h"
#include "tokenizer.h"

static const char *token_text(const iv_model *m, int id, char *buf, size_t n)
{
    const char *t = m->tokenizer ? iv_tokenizer_token(m->tokenizer, id) : NULL;
    if (t)
        snprintf(buf, n, "\"%s\"", t);
    else
        snprintf(buf, n, "id:%d", id);
    return buf;
}

IV_HANDLER(iv_cmd_patch_scan)
{
    bool heads = strcmp(argv[0], "heads") == 0;
    if (!heads && strcmp(argv[0], "resid") != 0)
        return iv_error_set(err, "expected resid (each block's input at each position) or heads "
                            "(each head's output at every position), got '%s'", argv[0]);
    iv_patch_scan s;
    if (iv_patch_scan_run(ws, heads ? IV_PATCH_SCAN_HEADS : IV_PATCH_SCAN_RESID, &s, err) < 0)
        return -1;
    const iv_model *m = ws->model;
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "patch_scan", heads ? "heads" : "resid");
    iv_json_set_str(obj, "cells", heads ? "blocks.L.attn.hook_z[head=H], every position, from "
                                          "the source"
                                        : "blocks.L.hook_resid_pre[pos=P], from the source");
    char a[96], b[96];
    char *metric = s.token_b >= 0 ? iv_xasprintf("logit %s - logit %s at the last position",
                                                 token_text(m, s.token_a, a, sizeof a),
                                                 token_text(m, s.token_b, b, sizeof b))
                                  : iv_xasprintf("logit %s at the last position (the base run's "
                                                 "top next token)",
                                                 token_text(m, s.token_a, a, sizeof a));
    iv_json_set_str(obj, "metric", metric);
    free(metric);
    iv_json_set_num(obj, "base", s.base);
    iv_json_set_num(obj, "source", s.source);
    json_object *rows = json_object_new_array();
    for (int L = 0; L < s.rows; L++) {
        json_object *row = json_object_new_object();
        json_object_object_add(row, "block", json_object_new_int(L));
        for (int k = 0; k < s.cols; k++) {
            char key[32];
            snprintf(key, sizeof key, heads ? "head %d" : "pos %d", k);
            iv_json_set_num(row, key, s.value[L * s.cols + k]);
        }
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "table", rows);
    iv_patch_scan_free(&s);
    iv_emit(sink, IV_RESULT_PATCH_SCAN, obj);
    return 0;
}

/* ---- attention: one head's pattern as a table of query by key ------------------------------- */

/* A token's text as a column or row name, quoted (a leading space shows), with its position. */
static void position_name(const iv_model *m, const float *input, int p, char *buf, size_t n)
{
    const char *t = m->tokenizer ? iv_tokenizer_token(m->tokenizer, (int)input[p]) : NULL;
    if (t)
        snprintf(buf, n, "%d \"%.12s\"", p, t);
    else
        snprintf(buf, n, "%d id:%d", p, (int)input[p]);
}

IV_HANDLER(iv_cmd_attention)
{
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "%s is not a transformer: it has no attention", m->path);
    long layer, head;
    if (iv_parse_int(argv[0], 0, m->gpt2->n_layer - 1, &layer) < 0)
        return iv_error_set(err, "'%s': expected a block from 0 to %d", argv[0],
                            m->gpt2->n_layer - 1);
    if (iv_parse_int(argv[1], 0, m->gpt2->n_head - 1, &head) < 0)
        return iv_error_set(err, "'%s': expected a head from 0 to %d", argv[1],
                            m->gpt2->n_head - 1);
    const char *which = argc > 2 ? argv[2] : "intervened";
    bool diff = strcmp(which, "difference") == 0, clean = strcmp(which, "clean") == 0;
    if (!diff && !clean && strcmp(which, "intervened") != 0)
        return iv_error_set(err, "expected clean, intervened or difference, got '%s'", which);
    char name[64];
    snprintf(name, sizeof name, "blocks.%ld.attn.hook_pattern", layer);
    int site = iv_model_site_find(m, name), T = m->positions;
    const float *c = ws->clean->site[site] + head * T * T;
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "attention", name);
    json_object_object_add(obj, "head", json_object_new_int((int)head));
    iv_json_set_str(obj, "shown", diff ? "intervened minus clean" : which);
    json_object *rows = json_object_new_array();
    for (int q = 0; q < T; q++) {
        json_object *row = json_object_new_object();
        char label[48];
        position_name(m, ws->base, q, label, sizeof label);
        iv_json_set_str(row, "query", label);
        for (int k = 0; k < T; k++) {
            position_name(m, ws->base, k, label, sizeof label);
            double v = k > q ? 0
                       : clean ? c[q * T + k]
                               : iv_workspace_intervened_mean(ws, site, (int)head * T * T + q * T + k) -
                                     (diff ? c[q * T + k] : 0);
            iv_json_set_num(row, label, round(v * 1000) / 1000); /* a table to read: the
                                                                   values are show's */
        }
        json_object_array_add(rows, row);
    }
    iv_json_set(obj, "pattern", rows);
    iv_emit(sink, IV_RESULT_PATCH_SCAN, obj);
    return 0;
}

/* ---- the logit lens: each block's residual stream read out as the next token ---------------- */

IV_HANDLER(iv_cmd_logit_lens)
{
    (void)argc, (void)argv;
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "%s is not a transformer: it has no residual stream", m->path);
    const char *which = argc > 0 ? argv[0] : "intervened";
    bool clean = strcmp(which, "clean") == 0;
    if (!clean && strcmp(which, "intervened") != 0)
        return iv_error_set(err, "expected clean or intervened, got '%s'", which);
    iv_logit_lens lens;
    iv_logit_lens_run(m, clean ? ws->clean : ws->intervened, 0, &lens);
    json_object *obj = json_object_new_object(), *rows = json_object_new_array();
    iv_json_set_str(obj, "logit_lens", clean ? "clean" : "intervened (the first sample)");
    for (int L = 0; L < lens.rows; L++) {
        char name[32];
        snprintf(name, sizeof name, "resid%d", L);
        json_object *row = json_object_new_object();
        iv_json_set_str(row, "site", name);
        for (int p = 0; p < lens.cols; p++) {
            int top = lens.top[L * lens.cols + p];
            char col[48], cell[64];
            position_name(m, ws->base, p, col, sizeof col);
            const char *t = m->tokenizer ? iv_tokenizer_token(m->tokenizer, top) : NULL;
            if (t)
                snprintf(cell, sizeof cell, "\"%.12s\" %.2f", t, lens.prob[L * lens.cols + p]);
            else
                snprintf(cell, sizeof cell, "id:%d %.2f", top, lens.prob[L * lens.cols + p]);
            iv_json_set_str(row, col, cell);
        }
        json_object_array_add(rows, row);
    }
    iv_logit_lens_free(&lens);
    iv_json_set(obj, "lens", rows);
    iv_emit(sink, IV_RESULT_PATCH_SCAN, obj);
    return 0;
}
