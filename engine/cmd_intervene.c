/* cmd_intervene.c - commands that edit the intervention list: ablate, set, patch, list, toggle,
 * drop, clear. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ablation.h"
#include "handlers.h"
#include "report.h"

/* Reads KEY=VALUE options of noise and resample. */
static int parse_option(iv_intervention *iv, const char *opt, iv_error *err)
{
    const char *eq = strchr(opt, '=');
    if (!eq)
        return iv_error_set(err, "'%s': options are KEY=VALUE (k, sigma, std, samples, seed)", opt);
    size_t klen = (size_t)(eq - opt);
    const char *val = eq + 1;
    bool noise = iv->kind == IV_NOISE, stochastic = iv_kind_is_stochastic(iv->kind);
    long l;
    if (noise && klen == 1 && opt[0] == 'k') {
        if (iv_parse_double(val, &iv->k) < 0 || iv->k < 0)
            return iv_error_set(err, "k=%s: expected a number >= 0", val);
    } else if (noise && klen == 5 && strncmp(opt, "sigma", 5) == 0) {
        if (iv_parse_double(val, &iv->sigma) < 0 || iv->sigma <= 0)
            return iv_error_set(err, "sigma=%s: expected a number > 0", val);
    } else if (noise && klen == 3 && strncmp(opt, "std", 3) == 0) {
        if (strcmp(val, "neuron") && strcmp(val, "site"))
            return iv_error_set(err, "std=%s: expected std=neuron or std=site", val);
        iv->site_std = strcmp(val, "site") == 0;
    } else if (stochastic && klen == 7 && strncmp(opt, "samples", 7) == 0) {
        if (iv_parse_int(val, 1, IV_MAX_SAMPLES, &l) < 0)
            return iv_error_set(err, "samples=%s: expected a whole number from 1 to %d", val,
                                IV_MAX_SAMPLES);
        iv->samples = (int)l;
    } else if (stochastic && klen == 4 && strncmp(opt, "seed", 4) == 0) {
        if (iv_parse_int(val, 0, LONG_MAX, &l) < 0)
            return iv_error_set(err, "seed=%s: expected a whole number >= 0", val);
        iv->seed = (uint64_t)l;
    } else {
        return iv_error_set(err, "'%s': %s ablation takes no option '%.*s'%s", opt,
                            iv_kind_name(iv->kind), (int)klen, opt,
                            noise ? " (options: k, sigma, std, samples, seed)"
                            : stochastic ? " (options: samples, seed)" : "");
    }
    return 0;
}

/* The values an intervention writes, when they are fixed: zero, set, mean, patch. */
static json_object *fixed_values(const iv_workspace *ws, const iv_intervention *iv)
{
    json_object *vals = json_object_new_array();
    for (int j = 0; j < iv->addr.n; j++) {
        int i = iv->addr.idx[j], site = iv->addr.site;
        double v = iv->kind == IV_SET     ? iv->value
                 : iv->kind == IV_OPTIMAL ? iv->values[j]
                 : iv->kind == IV_MEAN    ? ws->stats->mean[site][i]
                 : iv->kind == IV_PATCH  ? ws->source_acts->site[site][i]
                 : 0;
        json_object_array_add(vals, iv_json_num(v));
    }
    return vals;
}

/* Adds iv to the workspace and reports it with the output it produces. */
static int add_and_report(iv_workspace *ws, iv_intervention *iv, const iv_sink *sink, iv_error *err)
{
    int id = iv_workspace_add(ws, iv, err);
    iv_intervention_clear(iv);
    if (id < 0)
        return -1;
    /* On a failure (e.g. too many samples for memory) the command runner takes the intervention
     * back, so the session stays as it was. */
    double gap;
    if (iv_workspace_run(ws, err) < 0 ||
        (ws->data && iv_loss_gap(ws, &ws->list[iv_workspace_find(ws, id)], 1, &gap, err) < 0))
        return -1;
    const iv_intervention *added = &ws->list[iv_workspace_find(ws, id)];
    json_object *obj = json_object_new_object();
    json_object *desc = iv_report_intervention(ws, added);
    if (!iv_kind_is_stochastic(added->kind))
        iv_json_set(desc, "values", fixed_values(ws, added));
    if (iv_kind_needs_stats(added->kind) && ws->data) {
        iv_json_set_str(desc, "dataset", ws->data->spec);
        json_object_object_add(desc, "examples", json_object_new_int64(ws->data->n));
    }
    if (ws->data)
        iv_json_set_num(desc, "loss_gap", gap); /* of this intervention alone */
    iv_json_set(obj, "added", desc);
    iv_json_set(obj, "output", iv_report_output(ws));
    iv_emit(sink, obj);
    return 0;
}

static void intervention_init(iv_intervention *iv, const iv_workspace *ws, iv_kind kind)
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
    iv_kind kind;
    if (iv_kind_parse(argv[1], &kind) < 0)
        return iv_error_set(err, "ablate: unknown kind '%s' (zero, mean, noise, resample, "
                            "optimal, set, patch)", argv[1]);
    intervention_init(&iv, ws, kind);
    int first_option = 2;
    if (kind == IV_SET) {
        if (argc < 3 || iv_parse_double(argv[2], &iv.value) < 0)
            return iv_error_set(err, "ablate: set needs a finite value, e.g. 'ablate h1[0] set 2'");
        first_option = 3;
    }
    for (int a = first_option; a < argc; a++)
        if (parse_option(&iv, argv[a], err) < 0) {
            iv_error_prefix(err, "ablate");
            return -1;
        }
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0) {
        iv_error_prefix(err, "ablate");
        return -1;
    }
    if (kind == IV_OPTIMAL) {
        double gap;
        iv.values = iv_xcalloc((size_t)iv.addr.n, sizeof(double));
        if (iv_optimal_ablation(ws, &iv.addr, iv.values, &gap, err) < 0) {
            iv_intervention_clear(&iv);
            iv_error_prefix(err, "ablate");
            return -1;
        }
    }
    if (add_and_report(ws, &iv, sink, err) < 0) {
        iv_error_prefix(err, "ablate");
        return -1;
    }
    return 0;
}

IV_HANDLER(iv_cmd_set)
{
    iv_intervention iv;
    intervention_init(&iv, ws, IV_SET);
    if (iv_parse_double(argv[1], &iv.value) < 0)
        return iv_error_set(err, "set: '%s' is not a finite number", argv[1]);
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0 ||
        add_and_report(ws, &iv, sink, err) < 0) {
        iv_error_prefix(err, "set");
        return -1;
    }
    return 0;
}

IV_HANDLER(iv_cmd_patch)
{
    iv_intervention iv;
    intervention_init(&iv, ws, IV_PATCH);
    if (iv_addr_parse(ws->model, argv[0], &iv.addr, err) < 0 ||
        add_and_report(ws, &iv, sink, err) < 0) {
        iv_error_prefix(err, "patch");
        return -1;
    }
    return 0;
}

IV_HANDLER(iv_cmd_list)
{
    json_object *obj = json_object_new_object(), *items = json_object_new_array();
    for (int i = 0; i < ws->count; i++)
        json_object_array_add(items, iv_report_intervention(ws, &ws->list[i]));
    iv_json_set(obj, "interventions", items);
    iv_emit(sink, obj);
    return 0;
}

/* Runs toggle or drop on the intervention an argument names ("2", or "#2" as list shows it). */
static int by_id(iv_workspace *ws, const char *cmd, const char *text,
                 int (*action)(iv_workspace *, int, iv_error *), iv_error *err)
{
    const char *t = text[0] == '#' ? text + 1 : text;
    long id;
    if (iv_parse_int(t, 1, INT_MAX, &id) < 0)
        return iv_error_set(err, "%s: '%s' is not an intervention id (see 'list')", cmd, text);
    if (action(ws, (int)id, err) < 0) {
        iv_error_prefix(err, "%s", cmd);
        return -1;
    }
    return 0;
}

IV_HANDLER(iv_cmd_toggle) { return by_id(ws, "toggle", argv[0], iv_workspace_toggle, err); }

IV_HANDLER(iv_cmd_drop) { return by_id(ws, "drop", argv[0], iv_workspace_drop, err); }

IV_HANDLER(iv_cmd_clear)
{
    iv_workspace_clear(ws);
    return 0;
}
