/* cmd_prompt.c - a transformer's input as text: `prompt TEXT` tokenises it with the model's
 * tokenizer, shows the tokens with their ids and makes them the base input (or the source), the
 * model rebuilt for the prompt's length when that changes; `positions N` rebuilds it for N tokens
 * (what a saved session replays before its inputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2.h"
#include "handlers.h"
#include "report.h"
#include "tokenizer.h"

static json_object *tokens_report(const iv_model *m, const char *key, const float *ids, int n)
{
    json_object *obj = json_object_new_object(), *rows = json_object_new_array();
    int *as_int = iv_xmalloc(sizeof(int) * (size_t)n);
    for (int p = 0; p < n; p++) {
        as_int[p] = (int)ids[p];
        json_object *row = json_object_new_object();
        json_object_object_add(row, "pos", json_object_new_int(p));
        json_object_object_add(row, "id", json_object_new_int(as_int[p]));
        iv_json_set_str(row, "token", iv_tokenizer_token(m->tokenizer, as_int[p]));
        json_object_array_add(rows, row);
    }
    char *text = iv_tokenizer_decode(m->tokenizer, as_int, n);
    iv_json_set_str(obj, key, text);
    free(text);
    free(as_int);
    json_object_object_add(obj, "positions", json_object_new_int(n));
    json_object_object_add(obj, "tokens", rows);
    return obj;
}

/* The words after the command, as one text: `prompt "A B"` and `prompt A B` say the same. */
static char *joined(int argc, char **argv)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (int i = 0; i < argc; i++)
        iv_buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
    return b.data;
}

/* The model rebuilt for n positions, installed in ws: interventions, the dataset and what was
 * fitted to the old sites go, as when a model is opened. */
static int rebuild(iv_workspace *ws, int n, iv_error *err)
{
    iv_model *m = iv_gpt2_rebuild(ws->model, n, err); /* the tokenizer moves to m */
    if (!m)
        return -1;
    /* On failure (memory) m is freed with the tokenizer: the old model stays, without one. */
    return iv_workspace_set_model(ws, m, err);
}

/* The model rebuilt for n positions when nothing set names the old ones: no intervention, no
 * source (a patch copies between inputs of one length). `what` is the text given, for messages. */
static int refit(iv_workspace *ws, int n, const char *what, iv_error *err)
{
    const iv_model *m = ws->model;
    if (n < 1 || n > m->gpt2->n_ctx)
        return iv_error_set(err, "%s has %d tokens; the model takes 1 to %d", what, n,
                            m->gpt2->n_ctx);
    if (ws->has_source)
        return iv_error_set(err, "%s has %d tokens where the model is built for %d, as the "
                            "source is: a patch copies between inputs of one length (source none "
                            "drops it)", what, n, m->positions);
    if (ws->count)
        return iv_error_set(err, "%s has %d tokens where the model is built for %d: the "
                            "interventions name positions of that length (clear drops them)",
                            what, n, m->positions);
    return rebuild(ws, n, err);
}

IV_HANDLER(iv_cmd_positions)
{
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "%s is not a transformer: it has no positions", m->path);
    if (argc == 0) {
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "positions", json_object_new_int(m->positions));
        json_object_object_add(obj, "context", json_object_new_int(m->gpt2->n_ctx));
        iv_emit(sink, IV_RESULT_SETTING, obj);
        return 0;
    }
    long n;
    if (iv_parse_int(argv[0], 1, m->gpt2->n_ctx, &n) < 0)
        return iv_error_set(err, "'%s': expected a number of tokens from 1 to %d", argv[0],
                            m->gpt2->n_ctx);
    char what[64];
    snprintf(what, sizeof what, "positions %ld", n);
    return n == m->positions ? 0 : refit(ws, (int)n, what, err);
}

IV_HANDLER(iv_cmd_prompt)
{
    const iv_model *m = ws->model;
    if (!m->gpt2)
        return iv_error_set(err, "%s is not a transformer (input sets its inputs)", m->path);
    bool source = argc > 0 && strcmp(argv[0], "source") == 0;
    if (source)
        argc--, argv++;
    if (argc == 0) {
        if (source && !ws->has_source)
            return iv_error_set(err, "no source is set (e.g. prompt source TEXT)");
        if (!m->tokenizer)
            return iv_error_set(err, "%s has no tokenizer beside it (vocab.json and merges.txt, "
                                "or tokens.txt)", m->path);
        iv_emit(sink, IV_RESULT_PROMPT,
                tokens_report(m, source ? "source" : "prompt", source ? ws->source : ws->base,
                              m->n_inputs));
        return 0;
    }
    if (!m->tokenizer)
        return iv_error_set(err, "%s has no tokenizer beside it (vocab.json and merges.txt, or "
                            "tokens.txt): give token ids with input", m->path);
    char *text = joined(argc, argv);
    int *ids = NULL, n = 0;
    int rc = iv_tokenizer_encode(m->tokenizer, text, &ids, &n, err);
    free(text);
    if (rc < 0)
        return -1;
    for (int p = 0; p < n; p++)
        if (ids[p] >= m->gpt2->d_vocab) {
            int id = ids[p];
            free(ids);
            return iv_error_set(err, "token %d is past the model's vocabulary of %d", id,
                                m->gpt2->d_vocab);
        }
    if (source && n != m->positions) {
        free(ids);
        return iv_error_set(err, "the source has %d tokens where the prompt has %d: a patch copies "
                            "between prompts of one length", n, m->positions);
    }
    if (n != m->positions && refit(ws, n, "the prompt", err) < 0) {
        free(ids);
        return -1;
    }
    float *into = source ? ws->source : ws->base;
    for (int p = 0; p < n; p++)
        into[p] = (float)ids[p];
    free(ids);
    if (source) {
        ws->has_source = true;
        ws->source_row = -1;
    } else {
        ws->input_row = -1;
    }
    iv_emit(sink, IV_RESULT_PROMPT,
            tokens_report(ws->model, source ? "source" : "prompt", into, ws->model->n_inputs));
    return 0;
}
