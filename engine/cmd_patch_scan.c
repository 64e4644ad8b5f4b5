/* cmd_patch_scan.c - `patch-scan resid|heads`: a transformer's patching scan as a table, one row
 * per block, a column per position or head, each cell the metric with that cell patched from the
 * source prompt (patch_scan.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
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
