/* handlers.h - the command handlers, one file per group (engine-private; the table is in
 * commands.c). Each takes the words after the command name. A failing handler does not name its
 * command: the runner puts "NAME: " before the message (see IV_ERROR_AS_IS for the exceptions). */
#ifndef IV_HANDLERS_H
#define IV_HANDLERS_H

#include "commands.h"

#define IV_HANDLER(name) \
    int name(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err)

/* cmd_state.c: what is examined */
IV_HANDLER(iv_cmd_model);
IV_HANDLER(iv_cmd_info);
IV_HANDLER(iv_cmd_input);
IV_HANDLER(iv_cmd_source);
IV_HANDLER(iv_cmd_swap);
IV_HANDLER(iv_cmd_data);
IV_HANDLER(iv_cmd_seed);
IV_HANDLER(iv_cmd_metric);
IV_HANDLER(iv_cmd_limit);
IV_HANDLER(iv_cmd_save);
IV_HANDLER(iv_cmd_load);

/* cmd_intervene.c: the intervention list */
IV_HANDLER(iv_cmd_ablate);
IV_HANDLER(iv_cmd_set);
IV_HANDLER(iv_cmd_patch);
IV_HANDLER(iv_cmd_list);
IV_HANDLER(iv_cmd_toggle);
IV_HANDLER(iv_cmd_drop);
IV_HANDLER(iv_cmd_clear);
/* For the commands that make an intervention (steer, inlp, leace): a fresh one of a kind, with
 * the defaults ablate gives it; and adding it (the workspace takes a copy, iv is cleared),
 * reported as ablate reports one, with the output it produces. */
void iv_intervention_init(iv_intervention *iv, const iv_workspace *ws, iv_kind kind);
int iv_add_and_report(iv_workspace *ws, iv_intervention *iv, const iv_sink *sink, iv_error *err);

/* cmd_report.c: looking at results */
IV_HANDLER(iv_cmd_show);
IV_HANDLER(iv_cmd_effect);
IV_HANDLER(iv_cmd_compare);
IV_HANDLER(iv_cmd_stats);
IV_HANDLER(iv_cmd_help);
IV_HANDLER(iv_cmd_say);

/* cmd_analysis.c: sweeps and exports */
IV_HANDLER(iv_cmd_sweep);
IV_HANDLER(iv_cmd_export);
IV_HANDLER(iv_cmd_regions);
IV_HANDLER(iv_cmd_activations);

/* cmd_train.c: training the model's parameters */
IV_HANDLER(iv_cmd_train);

/* cmd_scan.c: activation-patching scans and attribution patching */
IV_HANDLER(iv_cmd_scan);
IV_HANDLER(iv_cmd_attribute);

/* cmd_causal.c: the high-level causal model, alignments and interchange intervention accuracy */
IV_HANDLER(iv_cmd_causal);
IV_HANDLER(iv_cmd_align);
IV_HANDLER(iv_cmd_unalign);
IV_HANDLER(iv_cmd_iia);

/* cmd_das.c: distributed alignment search */
IV_HANDLER(iv_cmd_das);

/* Sends a result of the given type to the sink (which takes the reference). */
void iv_emit(const iv_sink *sink, iv_result_type type, json_object *result);

/* cmd_labels.c: labels as concepts, and the held-out split */
IV_HANDLER(iv_cmd_label);
IV_HANDLER(iv_cmd_labels);
IV_HANDLER(iv_cmd_split);

/* cmd_prompt.c: a transformer's input as text */
IV_HANDLER(iv_cmd_prompt);
IV_HANDLER(iv_cmd_positions);
/* cmd_patch_scan.c: a transformer's patching scans */
IV_HANDLER(iv_cmd_patch_scan);
IV_HANDLER(iv_cmd_attention);
IV_HANDLER(iv_cmd_logit_lens);

/* cmd_probe.c, cmd_steer.c: probes and steering */
IV_HANDLER(iv_cmd_probe);
IV_HANDLER(iv_cmd_steer);

/* cmd_erasure.c: removing a concept, and seeing it */
IV_HANDLER(iv_cmd_inlp);
IV_HANDLER(iv_cmd_leace);
IV_HANDLER(iv_cmd_compare_erasure);
IV_HANDLER(iv_cmd_pca);
/* sweep alpha FROM TO [STEPS] [id=N]: the words after sweep, for cmd_analysis.c's sweep */
int iv_sweep_alpha(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err);

#endif
