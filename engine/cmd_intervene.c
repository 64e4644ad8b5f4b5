/* cmd_intervene.c - commands that edit the intervention list: ablate, set, patch, list, toggle,
 * drop, clear. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "handlers.h"
#include "kinds.h"
#include "effect.h"
#include "report.h"

/* The values an intervention writes, when they are fixed (kinds.h: fixed_value). */
static json_object *fixed_values(const iv_workspace *ws, const iv_intervention *iv)
{
    const iv_kind_info *kind = iv_kind_info_of(iv->kind);
    iv_apply_ctx ctx = {.stats = ws->stats, .source = ws->source_acts};
    json_object *vals = json_object_new_array();
    for (int j = 0; j < iv->addr.n; j++)
        json_object_array_add(vals, iv_json_num(kind->fixed_value(iv, &ctx, j)));
    return vals;
}

/* The loss gap of intervention `id` alone. When it is the only one on, that is the effect of the
 * whole list, which the explorer's map and `effect` show next: one pass gives both (effect.c
 * keeps it). */
static int gap_alone(iv_workspace *ws, int id, double *gap, iv_error *err)
{
    int on = 0;
    for (int i = 0; i < ws->count; i++)
        on += ws->list[i].enabled;
    if (on != 1)
        return iv_loss_gap(ws, &ws->list[iv_workspace_find(ws, id)], 1, gap, err);
    iv_effect e;
    if (iv_workspace_effect(ws, &e, err) < 0)
        return -1;
    *gap = e.metrics.loss_gap;
    iv_effect_free(&e);
    return 0;
}

int iv_add_and_report(iv_workspace *ws, iv_intervention *iv, const iv_sink *sink, iv_error *err)
{
    int id = iv_workspace_add(ws, iv, err);
    iv_intervention_clear(iv);
    if (id < 0)
        return -1;
    /* On a failure (e.g. too many samples for memory) the command runner takes the intervention
     * back, so the session stays as it was. */
    double gap;
    if (iv_workspace_run(ws, err) < 0 || (ws->data && gap_alone(ws, id, &gap, err) < 0))
        return -1;
    const iv_intervention *added = &ws->list[iv_workspace_find(ws, id)];
    json_object *obj = json_object_new_object();
    json_object *desc = iv_report_intervention(ws, added);
    if (iv_kind_info_of(added->kind)->fixed_value)
        iv_json_set(desc, "values", fixed_values(ws, added));
    if (iv_kind_needs_stats(added->kind) && ws->data) {
        iv_json_set_str(desc, "dataset", ws->data->spec);
        json_object_object_add(desc, "examples", json_object_new_int64(ws->data->n));
    }
    if (ws->data)
        iv_json_set_num(desc, "loss_gap", gap); /* of this intervention alone */
    iv_json_set(obj, "added", desc);
    iv_json_set(obj, "output", iv_report_output(ws));
    iv_emit(sink, IV_RESULT_ADDED, obj);
    return 0;
}

void iv_intervention_init(iv_intervention *iv, const iv_workspace *ws, iv_kind kind)
{
    memset(iv, 0, sizeof *iv);
    iv->kind = kind;
    iv->enabled = true;
    iv->k = IV_DEFAULT_NOISE_K;
    iv->samples = IV_DEFAULT_SAMPLES;
    iv->seed = ws->seed;
}

IV_HANDLER(iv_cmd_ablate)
{
    iv_intervention iv;
    const iv_kind_info *kind = iv_kind_find(argv[1]);
    if (!kind)
        return iv_error_set(err, "unknown kind '%s' (%s)", argv[1], iv_kinds_names());
    iv_intervention_init(&iv, ws, kind->kind);
    if (iv_kind_parse_words(&iv, argc - 2, argv + 2, err) < 0) { /* its value, KEY=VALUE options */
        iv_intervention_clear(&iv);
        return -1;
    }
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0 ||
        (kind->prepare && kind->prepare(&iv, err) < 0)) {
        iv_intervention_clear(&iv);
        return -1;
    }
    if (kind->flags & IV_KIND_TRAINABLE) { /* its constants are found now (ablation.h) */
        double gap;
        iv.values = iv_xcalloc((size_t)iv.addr.n, sizeof(double));
        if (iv_optimal_ablation(ws, &iv.addr, iv.values, &gap, err) < 0) {
            iv_intervention_clear(&iv);
            return -1;
        }
    }
    return iv_add_and_report(ws, &iv, sink, err);
}

IV_HANDLER(iv_cmd_set)
{
    iv_intervention iv;
    iv_intervention_init(&iv, ws, IV_SET);
    if (iv_parse_double(argv[1], &iv.value) < 0)
        return iv_error_set(err, "'%s' is not a finite number", argv[1]);
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0)
        return -1;
    return iv_add_and_report(ws, &iv, sink, err);
}

IV_HANDLER(iv_cmd_patch)
{
    iv_intervention iv;
    iv_intervention_init(&iv, ws, IV_PATCH);
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0)
        return -1;
    return iv_add_and_report(ws, &iv, sink, err);
}

IV_HANDLER(iv_cmd_list)
{
    json_object *obj = json_object_new_object(), *items = json_object_new_array();
    for (int i = 0; i < ws->count; i++)
        json_object_array_add(items, iv_report_intervention(ws, &ws->list[i]));
    iv_json_set(obj, "interventions", items);
    iv_emit(sink, IV_RESULT_LIST, obj);
    return 0;
}

/* Runs toggle or drop on the intervention an argument names ("2", or "#2" as list shows it). */
static int by_id(iv_workspace *ws, const char *text,
                 int (*action)(iv_workspace *, int, iv_error *), iv_error *err)
{
    const char *t = text[0] == '#' ? text + 1 : text;
    long id;
    if (iv_parse_int(t, 1, INT_MAX, &id) < 0)
        return iv_error_set(err, "'%s' is not an intervention id (see 'list')", text);
    return action(ws, (int)id, err) < 0 ? -1 : 0;
}

IV_HANDLER(iv_cmd_toggle) { return by_id(ws, argv[0], iv_workspace_toggle, err); }

IV_HANDLER(iv_cmd_drop) { return by_id(ws, argv[0], iv_workspace_drop, err); }

IV_HANDLER(iv_cmd_clear)
{
    iv_workspace_clear(ws);
    return 0;
}
