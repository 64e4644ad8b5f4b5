/* workspace.h - everything the user is looking at, and the passes that evaluate it.
 *
 * The workspace holds the model, the base and source inputs, the reference dataset with its cached
 * clean activations and statistics, the ordered list of interventions, the seed, and the last
 * evaluation (clean, intervened and source activations of every site). Both front ends drive it
 * only through the command table (commands.h); analyses read it. */
#ifndef IV_WORKSPACE_H
#define IV_WORKSPACE_H

#include "dataset.h"
#include "expr.h"
#include "intervention.h"
#include "job.h"

/* A script file being run (by 'load' or -s), and the one that runs it: the chain that keeps a file
 * from loading itself. */
typedef struct iv_script_frame {
    const char *path;                 /* as the user named it */
    const char *real;                 /* its absolute path, for comparing */
    const struct iv_script_frame *outer;
} iv_script_frame;

#define IV_MAX_SCRIPT_DEPTH 16

/* What a pass without interventions was computed from: the model's serial and weights version,
 * and a copy of its input; input is NULL when nothing is kept. */
typedef struct iv_run_key {
    unsigned long model, weights;
    float *input;
} iv_run_key;

typedef struct iv_workspace {
    iv_model *model;
    iv_expr *target;          /* compiled model target, or NULL */
    float *base;              /* (n_inputs) the input being examined */
    float *source;            /* (n_inputs) the input patches copy from */
    bool has_source;

    iv_dataset *data;         /* reference dataset, or NULL */
    iv_acts *ref_acts;        /* clean activations over data; cached, NULL until needed */
    iv_stats *stats;          /* statistics of ref_acts; cached with it */

    iv_intervention *list;    /* (count) applied in this order */
    int count, cap;
    int next_id;
    uint64_t seed;            /* default seed of new noise / resample interventions and samples */
    bool loss_vs_target;      /* loss gaps against the target instead of the clean output
                                 ('metric target'; regression heads with a target only) */
    int label_column;         /* loss gaps as cross-entropy to this label column of the dataset
                                 ('metric label COLUMN'), or -1 */
    int logit_diff[2];        /* a transformer's loss gaps as the change of the difference of these
                                 two tokens' logits at the last position ('metric logit-diff A B'),
                                 or -1 */
    long input_row, source_row; /* the dataset row the base (source) input was taken from
                                 ('input row N'), or -1 when it was typed */
    struct iv_causal *causal; /* the high-level causal model ('causal'), or NULL (causal.h) */
    struct iv_alignment *alignments; /* (n_alignments) its variables aligned with neurons ('align') */
    int n_alignments;
    char **label_defs;        /* (n_label_defs) labels over the inputs, "NAME = EXPR" ('label'),
                                 put on every dataset the session sets (labels.h) */
    int n_label_defs;
    double holdout;           /* the fraction of the dataset's rows probes hold out ('split') */
    uint64_t split_seed;      /* the seed of the shuffle that picks them */
    /* The last probe, INLP or LEACE fit (concepts.c), kept for the views and for steering; freed
     * through concepts_free, which concepts.c sets: the workspace does not depend on it. */
    void *concepts;
    void (*concepts_free)(void *);

    /* The last evaluation, refreshed by iv_workspace_run after any change. */
    iv_acts *clean;           /* (1 row) base, no interventions */
    iv_acts *intervened;      /* (samples rows) base under the enabled interventions */
    iv_acts *source_acts;     /* (1 row) source, no interventions; NULL without a source */
    long samples;             /* rows of `intervened`: the largest sample count of the stochastic
                                 interventions that are on, else 1 */
    /* What clean and source_acts were computed from: a run with the same model, weights and
     * input keeps them, so a key that changes only the interventions runs one pass, not three. */
    iv_run_key clean_key, source_key;
    long clean_passes;        /* clean and source passes run rather than kept, for tests and
                                 benches */
    bool unsaved;             /* interventions changed since the last save or load */
    bool model_trained;       /* train changed the weights since the model was read or exported:
                                 its file no longer holds them, so save waits for export model */
    long evaluations;         /* how many times the evaluation above has been redone */
    const iv_script_frame *running; /* the files being run now, innermost first; NULL for none */
    iv_job *job;              /* the progress and cancel of the command running now, or NULL (job.h) */
    float *pass_buffer;       /* the working memory of a pass (pass.c), kept from pass to pass */
    size_t pass_buffer_floats;
    bool pass_busy;           /* a pass is using it */
    /* The last effect over the dataset (effect.c), kept so that `ablate` and the explorer's map,
     * or `ablate` and `effect`, cost one pass, not two; valid while `effect_key` matches. Freed
     * through effect_free, which effect.c sets: the workspace does not depend on it. */
    atomic_long passes;       /* passes over the dataset run so far (pass.c, helper threads too),
                                 for tests and benches */
    void *effect_cache;
    void (*effect_free)(void *);
    long effect_key[4];
} iv_workspace;

/* What a command may change, kept so that a command that fails can be undone whole: the
 * intervention list, the inputs and the settings. The model and the dataset are not copied: the
 * commands that replace them build the new ones aside and swap them in only on success. */
typedef struct iv_workspace_state {
    unsigned long model_serial; /* the model, by serial: a new one may sit where the old one was */
    const iv_dataset *data;
    iv_intervention *list;
    int count, next_id;
    float *base, *source;
    bool has_source, loss_vs_target, unsaved;
    int label_column, logit_diff[2];
    long input_row, source_row;
    uint64_t seed;
    long evaluations;
} iv_workspace_state;

void iv_workspace_save_state(const iv_workspace *ws, iv_workspace_state *st);
/* Puts the saved state back (re-running the evaluation when it was redone since) and frees st. */
void iv_workspace_restore_state(iv_workspace *ws, iv_workspace_state *st);
void iv_workspace_state_free(iv_workspace_state *st);

/* Takes ownership of the model; loads its default dataset when it names one. */
iv_workspace *iv_workspace_new(iv_model *m, iv_error *err);
void iv_workspace_free(iv_workspace *ws);
/* Replaces the model: inputs reset to zero, interventions cleared, default dataset loaded. All of
 * it is built aside first: on failure (m is then freed) the workspace is as it was. */
int iv_workspace_set_model(iv_workspace *ws, iv_model *m, iv_error *err);
/* Replaces everything in ws by what fresh holds (a workspace built aside, whole) and frees the old
 * contents with fresh. */
void iv_workspace_adopt(iv_workspace *ws, iv_workspace *fresh);
/* Replaces the reference dataset (NULL for none), dropping cached statistics. Takes ownership. */
void iv_workspace_set_data(iv_workspace *ws, iv_dataset *ds);
/* The same, with its statistics computed and the evaluation redone; on failure ds is freed and
 * the old dataset, its statistics and the evaluation stay as they were. */
int iv_workspace_replace_data(iv_workspace *ws, iv_dataset *ds, iv_error *err);
/* A `data` command that makes a dataset for this model, naming its own inputs, to suggest where
 * one is missing: "data sample 1000 x=-1:1 y=-1:1". With more than 4 inputs only the first two are
 * named (the others are drawn from [0, 1]), to keep it short. Allocated; it runs as it is. */
char *iv_workspace_dataset_hint(const iv_workspace *ws);
/* Whether every row of ds is an input m takes (finite; a transformer's are token ids): 0, or -1
 * with a message naming the dataset, the row and the input. */
int iv_dataset_check_inputs(const iv_model *m, const iv_dataset *ds, iv_error *err);
/* The same as the end of a message: "try: data sample ...", with the note about the inputs not
 * named when there are any. Allocated. */
char *iv_workspace_dataset_try(const iv_workspace *ws);
/* Forgets the kept effect (a setting it depends on changed). */
void iv_workspace_forget_effect(iv_workspace *ws);
/* Makes sure ref_acts and stats are computed for the current dataset. */
int iv_workspace_reference(iv_workspace *ws, iv_error *err);

/* Checks and appends a copy of iv (its addr is copied), giving it the next id. Returns the id. */
int iv_workspace_add(iv_workspace *ws, const iv_intervention *iv, iv_error *err);
/* Index in list of the intervention with this id, or -1. */
int iv_workspace_find(const iv_workspace *ws, int id);
int iv_workspace_drop(iv_workspace *ws, int id, iv_error *err);
int iv_workspace_toggle(iv_workspace *ws, int id, iv_error *err);
void iv_workspace_clear(iv_workspace *ws);

/* Makes sure the statistics of a site, or of every site a list's enabled interventions act on, are
 * computed (the reference must be there: iv_workspace_reference). */
void iv_workspace_stats_site(iv_workspace *ws, int site);
void iv_workspace_stats_for(iv_workspace *ws, const iv_intervention *list, int count);

/* The context that applies the workspace's interventions to a batch of `samples` rows per example
 * (statistics, reference activations, source run); callers running another list replace list and
 * count. */
void iv_workspace_apply_ctx(const iv_workspace *ws, iv_apply_ctx *ctx, long samples);

/* Re-runs clean, source and intervened passes for the base input. */
int iv_workspace_run(iv_workspace *ws, iv_error *err);



/* Runs a list of interventions (not necessarily the workspace's) over the reference dataset:
 * returns activations of (examples x samples) rows, example-major; NULL with a message on error. */
iv_acts *iv_workspace_run_data(iv_workspace *ws, const iv_intervention *list, int count,
                               iv_error *err);
/* The backward pass of such a pass: given its activations (from iv_workspace_run_data with the
 * same list) and dL/d(output) for each row, fills grads (iv_acts_new for the same rows) at every
 * site at or above stop_site, each intervention rewriting the gradient at its site as its kind
 * says (backward.h). param_grad is NULL or one entry per intervention of the list, each NULL or a
 * zeroed buffer into which a trainable intervention adds the gradient of its parameters. */
void iv_workspace_backward_data(const iv_workspace *ws, const iv_intervention *list, int count,
                                const iv_acts *acts, const float *grad_out, iv_acts *grads,
                                int stop_site, double **param_grad);
/* Rows per example such a pass needs: the largest sample count of the random ones that are on. */
long iv_list_samples(const iv_intervention *list, int count);

/* A neuron's value in the last intervened run: the mean over its samples when random. */
double iv_workspace_intervened_mean(const iv_workspace *ws, int site, int neuron);

/* Value of the target expression at an input (n_inputs floats); NAN without a target. */
double iv_workspace_target(const iv_workspace *ws, const float *input);

#endif
