/* commands.c - the command table, word splitting, scripts, and saving a session as a script. */
#include "commands.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "handlers.h"
#include "kinds.h"

/* ---- the table --------------------------------------------------------------------------------- */

/* ablate's usage and its lines on each kind come from the table of kinds (kinds.h): they are
 * written here on the first use of the command table (fill_from_kinds). */
static char ablate_usage[256], ablate_detail[4096];

static IV_HANDLER(export_and_report);

static const iv_command table[] = {
    {"model", "FILE", "open a model (.nn, .onnx, .safetensors, or builtin:max)",
     "Replaces the model: inputs reset to 0, interventions cleared, the model's default dataset\n"
     "loaded. Example: model sample_models/max.nn",
     1, 1, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_model},
    {"info", "", "describe the model: inputs, layers, sites, target, dataset", "", 0, 0, 0,
     iv_cmd_info},
    {"input", "[V ...] | [NAME=V ...] | row N|next|prev", "set the base input (no arguments: show it)",
     "Values in the model's input order, or by name (unnamed inputs keep their values), or row N\n"
     "(0-based) of the reference dataset; next and prev step from the current row, wrapping\n"
     "(keys . and ,). For a transformer, words that are not token ids are a prompt's text, as\n"
     "for prompt. Examples: input 3 5    input x=3 y=5    input y=6    input row 17",
     0, -1, IV_CMD_CHANGES, iv_cmd_input},
    {"source", "[V ...] | [NAME=V ...] | row N|next|prev | none",
     "set the source input that patches copy from",
     "The source run is clean (no interventions); 'patch ADDR' copies its values at ADDR into the\n"
     "base run. A row of the dataset, or a transformer's text, as for input. Example: input 3 5;\n"
     "source 5 3; patch h1[0:2]",
     0, -1, IV_CMD_CHANGES, iv_cmd_source},
    {"prompt", "[source] [TEXT]", "a transformer's input as text: tokenise it and show the tokens",
     "Tokenises TEXT with the model's tokenizer (GPT-2's BPE, or a word list) and makes the tokens\n"
     "the base input (prompt source TEXT: the source). A prompt of another length rebuilds the\n"
     "model for it, which needs no interventions and no source of the old length. Without TEXT,\n"
     "shows the tokens. Example: prompt \"When Mary and John went to the store, John gave a drink to\"",
     0, -1, IV_CMD_CHANGES, iv_cmd_prompt},
    {"patch-scan", "resid|heads", "a transformer's patching scan: blocks by positions, or by heads",
     "Patches each cell alone from the source prompt into the base run (the interventions on),\n"
     "and measures the metric: the logit difference of 'metric logit-diff A B', or else the logit\n"
     "of the base run's top next token, at the last position. resid: each block's input\n"
     "(blocks.L.hook_resid_pre) at each position; heads: each head's output (hook_z) at every\n"
     "position. All cells in one batched pass, as many as the pass limit holds at a time.\n"
     "Example: prompt \"3 5 =\"; prompt source \"5 3 =\"; patch-scan resid",
     1, 1, 0, iv_cmd_patch_scan},
    {"attention", "BLOCK HEAD [clean|intervened|difference]",
     "one head's attention pattern: a table of query by key positions",
     "Each row a query position, each column a key, named by their tokens; the causal triangle\n"
     "(a key after its query gets 0). intervened (the default) with the interventions on, clean\n"
     "without, difference the one minus the other. Example: attention 1 0",
     2, 3, 0, iv_cmd_attention},
    {"logit-lens", "[clean|intervened]",
     "each block's residual stream read out as the next token, at every position",
     "The final layer norm and the unembedding applied to resid0 .. residN at each position: the\n"
     "top token there and its probability. The last row is the model's own prediction.\n"
     "Example: logit-lens", 0, 1, 0, iv_cmd_logit_lens},
    {"positions", "[N]", "rebuild a transformer for prompts of N tokens (no N: show it)",
     "The same weights at another length; needs no interventions and no source of the old\n"
     "length, and drops the dataset. A saved session replays it before its inputs. Example:\n"
     "positions 12", 0, 1, IV_CMD_CHANGES, iv_cmd_positions},
    {"swap", "", "exchange the base and the source inputs",
     "Patches then copy from what was the base. Needs a source input.", 0, 0, IV_CMD_CHANGES,
     iv_cmd_swap},
    {"data", "[grid SPEC | sample N SPEC | load FILE | prompts FILE | template \"TEXT\" SLOT=... | none]",
     "set the reference dataset",
     "The dataset that mean, noise (k x std) and resample ablation take statistics from, and\n"
     "that 'effect' runs over. Ranges are inclusive.\n"
     "  data grid x=0:10:1 y=0:10:1       every point of a grid (STEP defaults to 1)\n"
     "  data sample 1000 x=0:10 y=0:10    uniform draws, seeded (seed=S, default the session seed)\n"
     "  data load points.csv              a CSV file whose header names the inputs; other\n"
     "                                    numeric columns are kept as labels\n"
     "  data load X.npy | data.npz        NumPy: an (n, d) array whose first columns are the\n"
     "                                    inputs, or an .npz with one array per input name\n"
     "  data prompts ioi.txt              a transformer's prompts, one a line (label columns\n"
     "                                    after a tab, named by a line 'prompt<TAB>NAME...')\n"
     "  data template \"When {A} and {B} went to the store, {B} gave a drink to\" A=\" Mary\", ...\n"
     "                                    every filling of the slots (each also a label column)",
     0, -1, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_data},
    {"seed", "[N]", "set the seed of new noise / resample interventions and samples",
     "Every stochastic result names its seed, so the same script gives the same numbers.", 0, 1,
     0, iv_cmd_seed},
    {"metric", "[clean|target|label COLUMN|logit-diff A B]",
     "what loss gaps measure: change from clean, error to target, or to labels",
     "clean (the default): squared error to the clean output (KL for a classifier), the loss gap\n"
     "of Li & Janson. target: squared error to the model's target expression, minus the clean\n"
     "network's (negative when an intervention makes the network more right). label COLUMN:\n"
     "cross-entropy to a label column of the dataset whose values are the classes 0 .. (outputs\n"
     "- 1), of the softmax of the outputs (log of the outputs when the model ends in softmax),\n"
     "intervened minus clean; every figure then also gives the accuracy against the labels,\n"
     "clean and intervened. A dataset without that column puts it back to clean. Loss gaps,\n"
     "compare and optimal ablation all use it. For a transformer, clean is the KL of its next\n"
     "token, and logit-diff A B the fall of logit(A) - logit(B) at the last position, clean minus\n"
     "intervened (tokens as the tokenizer writes them, or ids id:N). Examples: data load digits.npz;\n"
     "metric label y    metric logit-diff \" Mary\" \" John\"",
     0, 3, 0, iv_cmd_metric},
    {"ablate", ablate_usage, "add an ablation of the addressed neurons", ablate_detail,
     2, -1, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_ablate},
    {"set", "ADDR VALUE", "set the addressed neurons to a constant", "Same as: ablate ADDR set VALUE",
     2, 2, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_set},
    {"patch", "ADDR", "interchange intervention: copy ADDR from the source run",
     "Same as: ablate ADDR patch. Needs a source input ('source').", 1, 1,
     IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_patch},
    {"list", "", "list the interventions in the order they apply", "", 0, 0, 0, iv_cmd_list},
    {"toggle", "ID", "switch an intervention off or back on", "", 1, 1, IV_CMD_CHANGES,
     iv_cmd_toggle},
    {"drop", "ID", "remove an intervention", "", 1, 1, IV_CMD_CHANGES, iv_cmd_drop},
    {"clear", "", "remove every intervention", "", 0, 0, IV_CMD_CHANGES, iv_cmd_clear},
    {"show", "[SITE]", "values of a site (all sites, input to output, without one)",
     "Reports clean and intervened values (mean, std, min and max over the samples when an\n"
     "intervention is random), and the source run's values when there is a source.",
     0, 1, 0, iv_cmd_show},
    {"effect", "", "the interventions over the whole reference dataset",
     "Mean and largest change of the output over the dataset; for a model with two inputs on a\n"
     "grid, maps of the output change (intervened - clean) and of the (first) output over the\n"
     "grid, y down the rows.",
     0, 0, 0, iv_cmd_effect},
    {"compare", "ADDR", "loss gaps of zero, mean, resample, noise and optimal ablation",
     "For each addressed neuron (up to 64) and for the set as a whole, the loss gap over the\n"
     "reference dataset of each kind of ablation, measured alone: squared error to the clean\n"
     "output (KL for a classifier). Optimal ablation is never worse than the others; where zero\n"
     "ablation's gap is far above it, zero is not a neutral value for that neuron.\n"
     "Example: compare h1[0:2]",
     1, 1, 0, iv_cmd_compare},
    {"scan", "SITE|all [patch|zero|mean] [metric=output|loss|out[K]]",
     "patch (or zero, or mean-ablate) each neuron of a site alone, and the site whole",
     "One row per neuron of SITE (every site with all), and one for the site whole: the\n"
     "intervention on it alone (patch, the default, copies the source run's value; zero; mean over\n"
     "the dataset), added after the interventions on, as ablate would add it. metric=output (the\n"
     "default): the change of the output at the base input, intervened - clean, as 'ablate ...;\n"
     "show out' gives it: the only output, or for several the clean top class (its probability\n"
     "after a softmax, else its logit); out[K] names one. All rows are one batched forward pass.\n"
     "metric=loss: the loss gap over the dataset, as 'ablate ...; effect' gives it, a pass per\n"
     "row. The result names the output, the clean value and the change of the interventions on\n"
     "alone (baseline). Example: input 3 5; source 5 3; scan h1\n"
     "In the explorer each scanned site keeps the figures as a line of cells under its row, on a\n"
     "scale of their own, marked stale once the inputs, interventions, dataset, metric or weights\n"
     "change; 'scan off' removes them. 'scan h1 sorted' draws the rows as bars, largest first.",
     1, 3, 0, iv_cmd_scan},
    {"attribute", "SITE [metric=output|out[K]]",
     "attribution patching: each neuron's patch estimated to first order, beside the true one",
     "For each neuron of SITE, (source - base) x d(output)/d(neuron) from one backward pass at\n"
     "the base input, through the interventions on (the gradient at the site's values after the\n"
     "interventions there, where a patch acts); beside it the patch's true effect (as scan\n"
     "measures it, from the run as it is), their Pearson correlation over the neurons and the\n"
     "largest disagreement. The output is chosen as for scan. metric=loss is refused: the loss\n"
     "at the base is at its minimum when nothing is on, so its first-order estimate is 0.\n"
     "Needs a source input. Example: input 3 5; source 5 3; attribute h1",
     1, 2, 0, iv_cmd_attribute},
    {"sweep", "ADDR FROM TO [STEPS] | alpha FROM TO [STEPS] [id=N]",
     "the output as one neuron or input runs over a range",
     "Sets one neuron (or input, e.g. input[x]) to STEPS evenly spaced values from FROM to TO\n"
     "(default 21) at the base input, and reports the output clean (only the sweep) and\n"
     "intervened (the sweep, then the interventions). Example: sweep h1[0] 0 5 11\n"
     "sweep alpha FROM TO: the strength of the last steering vector that is on (id=N: that one),\n"
     "the output (and with several outputs their softmax probabilities) against it; the clean\n"
     "curve is the output without it.",
     3, 5, 0, iv_cmd_sweep},
    {"regions", "LAYER", "which linear region (ReLU on/off pattern) each example falls in",
     "For each example of the dataset, the on/off pattern of LAYER's neurons (pre-activation > 0),\n"
     "clean and under the interventions, and how many examples an intervention moves to another\n"
     "region; for two inputs on a grid, maps of both and of the flips. Example: regions h1",
     1, 1, 0, iv_cmd_regions},
    {"activations", "SITE", "a site's values on every example of the dataset, clean and intervened",
     "One row per example: its inputs and labels, then each neuron of SITE clean and (marked ')\n"
     "intervened. Meant for export: export \"activations h1\" h1.csv",
     1, 1, 0, iv_cmd_activations},
    {"train", "LABEL[,LABEL...] [epochs=E] [batch=B] [lr=L] [OPTIONS]",
     "train the model's weights on label columns of the dataset (Adam)",
     "Options: epochs=E batch=B lr=L seed=S loss=ce|mse init=keep|random holdout=F.\n"
     "Trains every weight and bias of the clean network (the interventions play no part while it\n"
     "trains, and are kept) by Adam over minibatches of a seeded shuffle of the dataset; the same\n"
     "seed gives the same weights. loss=ce: softmax cross-entropy of the outputs (of the\n"
     "probabilities when the model ends in softmax) against one column of classes 0 .. outputs-1;\n"
     "loss=mse: squared error against one column per output (LABEL1,LABEL2,...). Without loss=,\n"
     "ce for one column and a model of several outputs, else mse. init=random first draws every\n"
     "layer afresh (seeded; He-scaled before ReLU, Xavier otherwise; biases 0). holdout=F keeps a\n"
     "seeded fraction of the rows out of training and reports the loss and accuracy on them.\n"
     "Defaults: epochs=10 batch=32 lr=0.001 seed=the session's init=keep holdout=0. Each epoch's\n"
     "loss and accuracy are over its minibatches as they were trained; held-out ones use the\n"
     "weights at the epoch's end. The trained model replaces the current one (keep it with\n"
     "export model FILE.nn). Example: data load eq.npz; train O epochs=5 batch=64 holdout=0.1",
     1, -1, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_train},
    {"export", "\"COMMAND\" FILE.csv|FILE.json", "write a command's results to a file",
     "JSON keeps everything; CSV writes the result's table (a list of rows, or a map with its\n"
     "axes), else its values as key,value lines.\n"
     "Examples: export effect map.csv    export \"compare h1\" gaps.json\n"
     "          export \"sweep input[x] 0 10\" sweep.csv\n"
     "export model FILE.nn (or FILE.safetensors) writes the current model in the text format (or\n"
     "as safetensors, with its architecture in the metadata).",
     2, -1, 0, export_and_report},
    {"causal", "[FILE | \"NAME = EXPR; ...\" | none]",
     "set the high-level causal model (no arguments: show it)",
     "Assignments NAME = EXPR, one a line or separated by ';', '#' comments, over the network's\n"
     "inputs and the variables assigned before (+ - * / ^, comparisons, ==, and or not, ? :,\n"
     "max min abs ...). The output is the variable named out, else the last one. Text with '='\n"
     "is the model itself, any other word a file. Shows each variable, its expression and its\n"
     "parents. A new model keeps the alignments of the variables it also has.\n"
     "Example: causal \"gt = x > y; out = gt ? x : y\"\n"
     "The explorer draws it as a graph: a box per variable, the inputs left, the output last,\n"
     "lines from each variable's parents, the aligned neurons in the aligned variables' boxes.",
     0, -1, 0, iv_cmd_causal},
    {"align", "[VAR ADDR ...]", "align variables of the causal model with neurons (no arguments: list)",
     "Each VAR ADDR pair aligns a variable (an input, an intermediate or the output) with the\n"
     "neurons of ADDR; aligning a variable again replaces its alignment. Aligned variables need\n"
     "disjoint neurons. VAR SITE subspace K basis=q11,q12,... aligns it with a K-dimensional\n"
     "subspace of the whole site (K orthonormal rows of the site's width), as das learns it and\n"
     "save writes it; subspaces of one site must be orthogonal. Example: align gt h1[0:2]",
     0, -1, 0, iv_cmd_align},
    {"unalign", "VAR|all", "remove a variable's alignment, or every one", "", 1, 1, 0,
     iv_cmd_unalign},
    {"iia", "[pairs=all|N] [seed=S] [sources=each] [OPTIONS] | matrix [rows=N] [tol=T]",
     "interchange intervention accuracy of the alignments over pairs of dataset rows",
     "For each pair (base b, source s) of rows of the dataset: the network on b with every aligned\n"
     "variable's neurons patched from the clean run on s, against the causal model on b with\n"
     "those variables set to their values on s (Geiger et al. 2021). Pairs: every ordered pair\n"
     "when there are at most 1,000,000, else N seeded ones (default 10000, seed the session's);\n"
     "the result says which. Agreement: for several outputs, their argmax against the causal\n"
     "output as a class; for one output, |network - causal| <= T x max(1, |causal|) (tol=T,\n"
     "default 1e-06). The interventions that are on stay applied to the base runs, before the\n"
     "patches (random ones are refused); the sources are clean. Also: the factual accuracy (the\n"
     "network against the causal model on the rows), each variable's IIA aligned alone when\n"
     "several are, and the first failing pairs (10, or N with failures=N, at most 100000).\n"
     "OPTIONS: tol=T, failures=N, sources=one. sources=each: each aligned variable patched from its own source, the causal model's\n"
     "variables each set to their value on their own source: tuples (b, s_1, ..., s_k), drawn\n"
     "seeded (every tuple when there are at most 1,000,000); what das trains and reports on its\n"
     "held-out tuples. With one variable it is the default. With one source for all (the\n"
     "default, sources=one), alignments that cover a whole layer between them patch the source's\n"
     "whole layer, which gives the network's own answer on the source whatever the alignment:\n"
     "the IIA is then the network's accuracy and says nothing about the alignment.\n"
     "iia matrix: every ordered pair of a few rows as a base x source map of agreement (1 or 0)\n"
     "and error (|network - causal|, or 1 where the classes differ): a 2-input grid whole when it\n"
     "has at most 128 points, else an evenly spaced sub-grid of at most 128, in the grid's order\n"
     "(x fastest); any other dataset its first 128 rows (rows=N: the first N); the result says\n"
     "which. Example: align gt h1[0:2]; iia; iia matrix",
     0, 5, 0, iv_cmd_iia},
    {"das", "VAR[,VAR...] SITE dims=K[,K...] [pairs=N] [epochs=E] [lr=L] [OPTIONS]",
     "distributed alignment search: learn subspaces of a site that carry causal variables",
     "Learns K rows of a rotation of SITE's activations (first K for the first variable, the next\n"
     "for the second, ...; at most the site's width in all) from interchange interventions on N\n"
     "seeded tuples of dataset rows: a base b and, for each variable, its own source s_v. The\n"
     "network runs on b with SITE moved to h + sum_v (h_{s_v} - h) Q_v^T Q_v and is trained\n"
     "towards the causal model's output on b with each variable set to its value on s_v:\n"
     "cross-entropy for several outputs, squared error for one. The network is frozen and clean\n"
     "(refused while an intervention is on); Q is stepped by Adam and put back on the nearest\n"
     "orthonormal rows (U V^T from its SVD) after every step; the same seed gives the same Q.\n"
     "Options and defaults: pairs=10000 epochs=10 batch=64 lr=0.01 seed=(the session's)\n"
     "holdout=0.2 (the held-out fraction) tol=1e-06 (the agreement of one output, as for iia).\n"
     "Reports each epoch's loss and IIA, training and held out, and the held-out IIA at the end;\n"
     "the subspaces become the variables' alignments (align VAR SITE subspace K basis=...),\n"
     "which iia measures and save keeps.\n"
     "Example: das WX,YZ layer0 dims=8,8",
     2, -1, 0, iv_cmd_das},
    {"label", "NAME = EXPR | NAME none", "define a label of the dataset over the inputs",
     "A label is a column of the dataset, as label columns of a file are: label gt = x > y gives\n"
     "1 where x > y and 0 elsewhere (the expression language of targets and causal models). It is\n"
     "put on every dataset the session sets afterwards, and save keeps it. label NAME none forgets\n"
     "it. Probes, INLP, LEACE and steering read labels as classes: their distinct values.",
     1, -1, 0, iv_cmd_label},
    {"labels", "", "list the dataset's labels, each with its classes and their counts", "", 0, 0,
     0, iv_cmd_labels},
    {"split", "[FRACTION] [seed=S]", "the held-out share of the dataset that probes are scored on",
     "Probes, INLP and LEACE fit on the other rows and report accuracy on these, beside the rate\n"
     "of the largest class. The rows are drawn by a seeded shuffle. Default: split 0.2 seed=1.",
     0, 2, 0, iv_cmd_split},
    {"probe", "SITE|all LABEL [ridge|logistic|mlp] [lambda=L] [hidden=H epochs=E] [all-sites]",
     "train a linear probe for a label on a site's activations",
     "Fits on the rows that split does not hold out and reports accuracy on both parts, beside\n"
     "the rate of the label's largest class (what a probe that reads nothing scores). logistic\n"
     "(the default): Newton's method on the log-likelihood with an L2 penalty lambda (default 1,\n"
     "scikit-learn's C = 1), the intercept free; ridge: least squares with penalty lambda\n"
     "(default 0: the solution of least norm). Two classes: one weight row; more: one-vs-rest.\n"
     "The values are the site's under the interventions that are on, so a probe after inlp or\n"
     "leace reads what the network reads. all (or all-sites): the same probe at every site, one\n"
     "row each: where the concept is linearly readable. The last probe at one site is kept:\n"
     "steer SITE probe adds its direction, pca draws it. mlp: a nonlinear probe instead, a hidden\n"
     "layer of H ReLU (default 16) trained by the trainer for E epochs (default 30), held-out\n"
     "rows by the split's share and seed: what an eraser of linear readers leaves readable.\n"
     "On a transformer, SITE[pos=P] reads the site's values at one position only (P below 0\n"
     "counts from the end: -1 is the last).\n"
     "Example: label gt = x > y; probe h1 gt",
     2, 6, 0, iv_cmd_probe},
    {"inlp", "SITE LABEL [iterations=T] [classifier=ridge|logistic] [lambda=L] [upto=K]",
     "iterative nullspace projection: remove the directions linear probes read a label from",
     "Ravfogel et al. 2020. Repeats (at most T times, default 10): fit a linear probe on the\n"
     "site's values projected by P (ridge by default, from statistics formed once, in d x d;\n"
     "logistic on the projected rows), score it on the held-out rows; stop when it scores at\n"
     "chance (the largest class's rate + 0.01, eps=E); else add its directions to those removed\n"
     "and set P = I - B^T B, B an orthonormal basis of them all, always of the original values.\n"
     "Adds P as a project intervention over the site (replacing an eraser there): the first K\n"
     "steps with upto=K, else every step. Reports each iteration's accuracies (a chart in the\n"
     "explorer) and a fresh logistic probe after: INLP blinds linear readers only.\n"
     "On a transformer, SITE[pos=P] fits on the values at one position, and P acts there only.\n"
     "Example: label gt = x > y; inlp h1 gt; probe h1 gt",
     2, 7, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_inlp},
    {"leace", "SITE LABEL", "LEACE: the least change of a site that makes a label's class means equal",
     "Belrose et al. 2023, in closed form: r(x) = x - W^+ P W (x - mu), W the covariance's\n"
     "inverse square root, P the projection onto W times the cross-covariance with the classes.\n"
     "Its rank is at most classes - 1. Added as a project intervention over the site (replacing\n"
     "an eraser there). Reports a fresh logistic probe before and after, how far the class means\n"
     "sit from the mean before and after, and the mean squared change of the activations.\n"
     "On a transformer, SITE[pos=P] fits on the values at one position, and erases there only.",
     2, 2, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_leace},
    {"compare-erasure", "SITE LABEL [INLP OPTIONS]", "INLP against LEACE at a site, side by side",
     "Fits both (adding neither) and reports for each: the directions removed, a fresh logistic\n"
     "probe's accuracy after, the mean squared change of the activations, and what the\n"
     "network's output does with the eraser at the site: its mean distance from the clean output\n"
     "(effect's mean |change|) and the loss gap. SITE[pos=P]: at one position, as inlp.",
     2, 7, 0, iv_cmd_compare_erasure},
    {"pca", "SITE [LABEL] [k=K]", "the principal components of a site's activations, as a scatter plot",
     "The top K (default 2) eigenvectors of the covariance of the site's clean values over the\n"
     "dataset, each with the share of the variance it explains; the rows on the first two as\n"
     "points, coloured by LABEL's classes; with an eraser (or any intervention) on, the rows as\n"
     "they are then, on the same components, beside them; the last probe's direction drawn.\n"
     "On a transformer, SITE[pos=P]: the values at one position only.",
     1, 3, 0, iv_cmd_pca},
    {"steer", "ADDR LABEL|probe|FILE [to=V] [alpha=A]", "add a steering vector to the addressed neurons",
     "Adds h <- h + A v (an add intervention; alpha=A, default 1). With a label, v is the mean of\n"
     "the clean activations where the label is V (to=V, default its largest value) minus their\n"
     "mean elsewhere (ActAdd, CAA); with probe, the last probe's direction at that site (unit\n"
     "length); with a file, its numbers. sweep alpha FROM TO [STEPS] then charts the output\n"
     "against A. Example: label gt = x > y; steer h1 gt alpha=2; sweep alpha -5 5",
     2, 4, IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_steer},
    {"stats", "[SITE]", "mean and std of each neuron over the reference dataset", "", 0, 1, 0,
     iv_cmd_stats},
    {"limit", "[memory SIZE | pass SIZE]", "show or set the memory limit, and a pass's working memory",
     "memory: a request over the limit (a pass, a dataset, a result) is refused at once, naming\n"
     "what it would need. The default is 2G.\n"
     "pass: a pass over the dataset works in chunks of at most this much memory, so that large\n"
     "datasets and many samples of noise or resample run in bounded memory. The default is 256M.\n"
     "SIZE is a number of bytes with K, M, G or T (powers of 1024), e.g. limit memory 16G.\n"
     "The limits belong to the running program: sessions do not save them.",
     0, 2, 0, iv_cmd_limit},
    {"save", "FILE", "save the session (model, inputs, dataset, interventions, seed) as a script",
     "The file is a script of commands: 'load FILE' or 'intervene -s FILE' replays it.", 1, 1, 0,
     iv_cmd_save},
    {"load", "FILE", "replace the session with a saved one",
     "If any command of the file fails, the current session is kept unchanged.", 1, 1,
     IV_CMD_CHANGES | IV_CMD_SELF_RUN, iv_cmd_load},
    {"help", "[COMMAND]", "list the commands, or describe one", "", 0, 1, 0, iv_cmd_help},
    {"say", "TEXT ...", "print a line of text (captions in scripts and lectures)", "", 0, -1, 0,
     iv_cmd_say},
};

/* ---- export: the words it needs, and what it wrote ---------------------------------------------- */

static bool names_result_file(const char *word)
{
    size_t len = strlen(word);
    return (len > 4 && strcmp(word + len - 4, ".csv") == 0) ||
           (len > 5 && strcmp(word + len - 5, ".json") == 0);
}

/* `export compare h1 out.csv`: the command was meant whole, and wants its quotes. */
static int export_needs_quotes(int argc, char **argv, iv_error *err)
{
    iv_buf cmd = {0};
    for (int i = 0; i + 1 < argc; i++)
        iv_buf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
    iv_error_set(err, "put the command in quotes: export \"%s\" %s", cmd.data, argv[argc - 1]);
    iv_buf_free(&cmd);
    return -1;
}

/* CSV rows under their headers; the tables of several results are separated by blank lines. */
static long count_csv_rows(FILE *f)
{
    long rows = 0;
    bool header = true, empty_line = true;
    for (int c; (c = fgetc(f)) != EOF;) {
        if (c != '\n') {
            empty_line = false;
            continue;
        }
        if (empty_line)
            header = true; /* the next result's table starts */
        else if (header)
            header = false;
        else
            rows++;
        empty_line = true;
    }
    return rows;
}

/* JSON results: the members of a top-level array, or one object. */
static long count_json_results(FILE *f)
{
    int depth = 0, c;
    bool quoted = false, escaped = false, array = false, member = false;
    long commas = 0;
    while ((c = fgetc(f)) != EOF) {
        if (quoted) {
            escaped = !escaped && c == '\\';
            quoted = escaped || c != '"';
            continue;
        }
        if (depth == 0 && c == '[')
            array = true;
        else if (depth >= 1 && !strchr(" \t\r\n]", c))
            member = true; /* the array is not empty */
        if (c == '"')
            quoted = true;
        else if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
        else if (c == ',' && depth == 1)
            commas++;
    }
    return array ? (member ? commas + 1 : 0) : 1;
}

/* What a written file holds, read back from it as it streams (no copy of it is made), so that
 * what is said is what landed on disk. -1 when it cannot be read. */
static long count_written(const char *path, bool csv)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = csv ? count_csv_rows(f) : count_json_results(f);
    fclose(f);
    return n;
}

/* "wrote gaps.csv (CSV, 5 rows)", or "wrote model net.nn". */
static void report_written(const char *what, const char *path, const iv_sink *sink)
{
    json_object *obj = json_object_new_object();
    char *done;
    if (strcmp(what, "model") == 0) {
        done = iv_xasprintf("wrote model %s", path);
        json_object_object_add(obj, "format", json_object_new_string("model"));
    } else {
        bool csv = strcmp(path + strlen(path) - 4, ".csv") == 0;
        long n = count_written(path, csv);
        const char *unit = csv ? "row" : "result";
        done = iv_xasprintf("wrote %s (%s, %ld %s%s)", path, csv ? "CSV" : "JSON", n, unit,
                            n == 1 ? "" : "s");
        json_object_object_add(obj, "format", json_object_new_string(csv ? "CSV" : "JSON"));
        json_object_object_add(obj, csv ? "rows" : "results", json_object_new_int64(n));
    }
    json_object_object_add(obj, "done", json_object_new_string(done));
    json_object_object_add(obj, "wrote", json_object_new_string(path));
    free(done);
    iv_emit(sink, IV_RESULT_DONE, obj);
}

static IV_HANDLER(export_and_report)
{
    if (argc > 2 && names_result_file(argv[argc - 1]))
        return export_needs_quotes(argc, argv, err);
    if (argc != 2) {
        const iv_command *c = iv_command_find("export");
        return iv_error_set(err, "expected export %s", c->usage);
    }
    int rc = iv_cmd_export(ws, argc, argv, sink, err);
    if (rc == 0)
        report_written(argv[0], argv[1], sink);
    return rc;
}

static void fill_from_kinds(void)
{
    if (*ablate_usage)
        return;
    snprintf(ablate_usage, sizeof ablate_usage, "ADDR %s [OPTIONS]", iv_kinds_usage());
    char *kinds = iv_kinds_help(2, 23);
    snprintf(ablate_detail, sizeof ablate_detail, "%s%s", kinds,
             "ADDR: h1 (all), h1[2], h1[0,3], h1[1:3] (half-open), h1[\"x-y\"] (label), h1.pre[0].\n"
             "Example: input 3 5; ablate h1[1] zero; show out");
    free(kinds);
}

const iv_command *iv_commands(int *count)
{
    fill_from_kinds();
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

const iv_command *iv_command_find(const char *name)
{
    fill_from_kinds();
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static void discard(iv_result_type type, json_object *obj, void *user)
{
    (void)type;
    (void)user;
    json_object_put(obj);
}

const iv_sink iv_sink_discard = {discard, NULL};

void iv_emit(const iv_sink *sink, iv_result_type type, json_object *result)
{
    if (sink && sink->emit)
        sink->emit(type, result, sink->user);
    else
        json_object_put(result);
}

/* ---- words ------------------------------------------------------------------------------------- */

/* Follows quotes and square brackets, inside which blanks, ';' and '#' are ordinary characters. */
static void track_nesting(char c, bool *quoted, int *depth)
{
    if (c == '"')
        *quoted = !*quoted;
    else if (!*quoted && c == '[')
        (*depth)++;
    else if (!*quoted && c == ']' && *depth > 0)
        (*depth)--;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void iv_words_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

int iv_words_split(const char *text, char ***out, iv_error *err)
{
    int n = 0, cap = 8;
    char **argv = iv_xmalloc(sizeof(char *) * (size_t)cap);
    const char *p = text;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        bool quoted = false;
        int depth = 0;
        while (*p && (quoted || depth > 0 || !is_blank(*p)))
            track_nesting(*p++, &quoted, &depth);
        if (quoted || depth > 0) {
            argv[n] = NULL;
            iv_words_free(argv);
            return iv_error_set(err, "unterminated %s in '%s'", quoted ? "quote" : "bracket", start);
        }
        size_t len = (size_t)(p - start);
        if (len >= 2 && start[0] == '"' && start[len - 1] == '"') {
            start++; /* a word wholly in quotes stands for its contents */
            len -= 2;
        }
        if (n + 2 > cap) {
            cap *= 2;
            argv = iv_xrealloc(argv, sizeof(char *) * (size_t)cap);
        }
        argv[n] = iv_xmalloc(len + 1);
        memcpy(argv[n], start, len);
        argv[n][len] = '\0';
        n++;
    }
    argv[n] = NULL;
    *out = argv;
    return n;
}

/* ---- running ----------------------------------------------------------------------------------- */

/* Edits (insert, delete, replace, swap two neighbours) between a and b, up to limit + 1. */
static int edit_distance(const char *a, const char *b, int limit)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 32 || m > 32 || (n > m ? n - m : m - n) > (size_t)limit)
        return limit + 1;
    int d[33][33];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = d[i - 1][j] + 1 < best ? d[i - 1][j] + 1 : best;
            best = d[i][j - 1] + 1 < best ? d[i][j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* The one command a mistyped name is closest to, or NULL: within one edit for a name of up to
 * four letters and two for a longer one (two edits turn `frob` into `drop`), ties refused. */
static const char *nearest_command(const char *name)
{
    int limit = strlen(name) <= 4 ? 1 : 2;
    int count, best = limit + 1, ties = 0;
    const iv_command *all = iv_commands(&count), *found = NULL;
    for (int i = 0; i < count; i++) {
        int dist = edit_distance(name, all[i].name, limit);
        if (dist < best) {
            best = dist;
            found = &all[i];
            ties = 0;
        } else if (dist == best) {
            ties++;
        }
    }
    return found && ties == 0 && best <= limit && strlen(name) > 2 ? found->name : NULL;
}

/* Every message that says a dataset is missing ends with one that would do, whichever part of the
 * engine wrote it, so the hint is added here, once. */
static void add_dataset_hint(const iv_workspace *ws, iv_error *err)
{
    if (ws->data || !strstr(err->msg, "set one with 'data'") || strstr(err->msg, "try: data "))
        return;
    char *hint = iv_workspace_dataset_try(ws);
    size_t len = strlen(err->msg);
    snprintf(err->msg + len, sizeof err->msg - len, "; %s", hint);
    free(hint);
}

int iv_command_run(iv_workspace *ws, int argc, char **argv, const iv_sink *sink, iv_error *err)
{
    if (argc < 1)
        return 0;
    const iv_command *c = iv_command_find(argv[0]);
    if (!c) {
        const char *near = nearest_command(argv[0]);
        if (near)
            return iv_error_set(err, "unknown command '%.40s%s' (did you mean '%s'? try 'help')",
                                argv[0], strlen(argv[0]) > 40 ? "..." : "", near);
        return iv_error_set(err, "unknown command '%.40s%s' (try 'help')", argv[0],
                            strlen(argv[0]) > 40 ? "..." : "");
    }
    int nargs = argc - 1;
    if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args))
        return iv_error_set(err, "%s: expected %s%s%s", c->name, c->name, *c->usage ? " " : "",
                            c->usage);
    bool changes = c->flags & IV_CMD_CHANGES, rerun = changes && !(c->flags & IV_CMD_SELF_RUN);
    /* A command that fails, at any step, leaves the session as it was. */
    iv_workspace_state before;
    if (changes)
        iv_workspace_save_state(ws, &before);
    int rc = c->run(ws, nargs, argv + 1, sink, err);
    if (rc < 0 && rc != IV_ERROR_AS_IS)
        iv_error_prefix(err, "%s", c->name); /* the one place a handler's error gets its name */
    if (rc < 0)
        add_dataset_hint(ws, err);
    if (rc == 0 && rerun)
        rc = iv_workspace_run(ws, err);
    if (changes && rc < 0) {
        /* Putting the session back may redo its evaluation, which a cancelled job would stop
         * half done: the undo runs outside the job. */
        iv_job *job = ws->job;
        ws->job = NULL;
        iv_workspace_restore_state(ws, &before);
        ws->job = job;
    } else if (changes)
        iv_workspace_state_free(&before);
    return rc < 0 ? -1 : rc;
}

/* Finds the end of one command: a ';' or a '#' that starts a word, outside quotes and brackets. */
static const char *command_end(const char *p, const char **comment)
{
    bool quoted = false, word_start = true;
    int depth = 0;
    *comment = NULL;
    for (; *p && *p != '\n'; p++) {
        if (!quoted && depth == 0 && *p == ';')
            return p;
        if (!quoted && depth == 0 && *p == '#' && word_start) {
            *comment = p;
            return p;
        }
        track_nesting(*p, &quoted, &depth);
        word_start = (*p == ' ' || *p == '\t');
    }
    return p;
}

int iv_script_split(const char *text, iv_script_command **out)
{
    int n = 0, cap = 8, line = 1;
    iv_script_command *cmds = iv_xmalloc(sizeof *cmds * (size_t)cap);
    const char *p = text;
    while (*p) {
        const char *comment;
        const char *end = command_end(p, &comment);
        /* Trim the blanks around the command, and skip empty ones. */
        const char *a = p, *b = end;
        while (a < b && is_blank(*a))
            a++;
        while (b > a && is_blank(b[-1]))
            b--;
        if (b > a) {
            if (n == cap) {
                cap *= 2;
                cmds = iv_xrealloc(cmds, sizeof *cmds * (size_t)cap);
            }
            cmds[n].line = line;
            cmds[n].text = iv_xmalloc((size_t)(b - a) + 1);
            memcpy(cmds[n].text, a, (size_t)(b - a));
            cmds[n].text[b - a] = '\0';
            n++;
        }
        p = end;
        if (comment)
            while (*p && *p != '\n')
                p++;
        if (*p == ';')
            p++;
        else if (*p == '\n') {
            p++;
            line++;
        }
    }
    *out = cmds;
    return n;
}

void iv_script_free(iv_script_command *cmds, int n)
{
    for (int i = 0; i < n; i++)
        free(cmds[i].text);
    free(cmds);
}

int iv_script_run(iv_workspace *ws, const char *text, const char *name, const iv_sink *sink,
                  bool keep_going, iv_script_error_fn on_error, void *user, iv_error *first)
{
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds), failures = 0;
    for (int i = 0; i < n; i++) {
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        int rc = argc < 0 ? -1 : iv_command_run(ws, argc, argv, sink, &err);
        if (argc >= 0)
            iv_words_free(argv);
        if (rc == 0)
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%d", name, cmds[i].line);
        if (on_error)
            on_error(where, cmds[i].text, &err, user);
        if (failures++ == 0 && first) {
            *first = err;
            iv_error_prefix(first, "%s: '%s'", where, cmds[i].text);
        }
        if (!keep_going)
            break;
    }
    iv_script_free(cmds, n);
    return failures;
}

/* ---- sessions ---------------------------------------------------------------------------------- */

static void append_input(iv_buf *b, const char *cmd, const iv_model *m, const float *v, long row)
{
    if (row >= 0) { /* replayed after the dataset, so the row names the same input */
        iv_buf_printf(b, "%s row %ld\n", cmd, row);
        return;
    }
    iv_buf_printf(b, "%s", cmd);
    for (int i = 0; i < m->n_inputs; i++)
        iv_buf_printf(b, " %.9g", v[i]); /* %.9g round-trips float32 exactly */
    iv_buf_append(b, "\n", 1);
}

/* The causal model and the alignments of its variables with neurons, as the commands that set
 * them again. */
static void append_causal(const iv_workspace *ws, iv_buf *b)
{
    if (!ws->causal)
        return;
    char *text = iv_causal_text(ws->causal); /* one line: no quote, ';' or '#' can be in it */
    iv_buf_printf(b, "causal \"%s\"\n", text);
    free(text);
    for (int i = 0; i < ws->n_alignments; i++) {
        const iv_alignment *a = &ws->alignments[i];
        char *addr = iv_addr_format(ws->model, &a->addr);
        iv_buf_printf(b, "align %s %s", ws->causal->names[a->var], addr);
        if (a->k > 0) { /* a learned subspace, written whole: %.9g round-trips each float */
            iv_buf_printf(b, " subspace %d basis=", a->k);
            for (long j = 0; j < (long)a->k * a->addr.n; j++)
                iv_buf_printf(b, "%s%.9g", j ? "," : "", a->basis[j]);
        }
        iv_buf_append(b, "\n", 1);
        free(addr);
    }
}

char *iv_session_script(const iv_workspace *ws)
{
    const iv_model *m = ws->model;
    iv_buf b = {0};
    iv_buf_printf(&b, "# intervene session: replay with 'load FILE' or 'intervene -s FILE'\n");
    iv_buf_printf(&b, "model \"%s\"\n", m->path ? m->path : "builtin:max");
    if (m->gpt2) /* before the dataset and the inputs, which have its length */
        iv_buf_printf(&b, "positions %d\n", m->positions);
    iv_buf_printf(&b, "seed %llu\n", (unsigned long long)ws->seed);
    if (ws->loss_vs_target)
        iv_buf_printf(&b, "metric target\n");
    iv_buf_printf(&b, "data %s\n", ws->data ? ws->data->spec : "none");
    for (int i = 0; i < ws->n_label_defs; i++) /* before metric: it may name one */
        iv_buf_printf(&b, "label %s\n", ws->label_defs[i]);
    if (ws->holdout != 0.2 || ws->split_seed != 1)
        iv_buf_printf(&b, "split %.17g seed=%llu\n", ws->holdout,
                      (unsigned long long)ws->split_seed);
    if (ws->label_column >= 0)
        iv_buf_printf(&b, "metric label \"%s\"\n", ws->data->label_names[ws->label_column]);
    if (ws->logit_diff[0] >= 0) /* by id: a token's text may hold a quote */
        iv_buf_printf(&b, "metric logit-diff id:%d id:%d\n", ws->logit_diff[0], ws->logit_diff[1]);
    append_input(&b, "input", m, ws->base, ws->input_row);
    if (ws->has_source)
        append_input(&b, "source", m, ws->source, ws->source_row);
    for (int i = 0; i < ws->count; i++) {
        const iv_intervention *iv = &ws->list[i];
        char *addr = iv_addr_format(m, &iv->addr);
        char *words = iv_kind_session_words(iv); /* set's value; optimal's are found again */
        iv_buf_printf(&b, "ablate %s %s%s%s\n", addr, iv_kind_name(iv->kind), *words ? " " : "",
                      words);
        if (!iv->enabled) /* ids are renumbered 1, 2, ... in order when the script replays */
            iv_buf_printf(&b, "toggle %d\n", i + 1);
        free(addr);
        free(words);
    }
    append_causal(ws, &b);
    iv_script_command *cmds;
    int n = iv_script_split(b.data, &cmds);
    iv_script_free(cmds, n);
    iv_buf_printf(&b, IV_SESSION_END " %d commands\n", n);
    return b.data;
}

int iv_session_check(const char *text, const char *name, iv_error *err)
{
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds);
    iv_script_free(cmds, n);
    /* The last line that is not blank. */
    const char *end = text + strlen(text);
    while (end > text && is_blank(end[-1]))
        end--;
    const char *last = end;
    while (last > text && last[-1] != '\n')
        last--;
    size_t tag = strlen(IV_SESSION_END);
    long said;
    char count[32], word[16];
    bool tagged = (size_t)(end - last) > tag && strncmp(last, IV_SESSION_END, tag) == 0;
    if (n == 0 && !tagged)
        return iv_error_set(err, "%s: holds no session (it is empty); nothing was loaded", name);
    if (!tagged)
        return iv_error_set(err, "%s: does not end with the line '" IV_SESSION_END " N commands' "
                            "that save writes, so it may have been cut short; nothing was loaded "
                            "(to run a script of your own, use 'intervene -s FILE')", name);
    int len = (int)(end - last - (long)tag);
    if (len > 40 || sscanf(last + tag, "%31s %15s", count, word) != 2 ||
        iv_parse_int(count, 0, INT_MAX, &said) < 0 || strcmp(word, "commands") != 0 ||
        sscanf(last + tag, "%*s %*s %1s", word) == 1)
        return iv_error_set(err, "%s: its last line '%.*s' is not '" IV_SESSION_END " N commands'",
                            name, (int)(end - last) > 80 ? 80 : (int)(end - last), last);
    if (said != n)
        return iv_error_set(err, "%s: says it holds %ld commands but holds %d, so it is not whole; "
                            "nothing was loaded", name, said, n);
    return 0;
}
