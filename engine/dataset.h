/* dataset.h - reference datasets: grids, seeded uniform samples and files (CSV, NumPy).
 *
 * A dataset is n examples of the model's d inputs, plus optional named label columns. It is what
 * mean, noise (k x std) and resample ablation take their statistics from, and what `effect`
 * sweeps over. Every dataset carries a spec, a canonical one-line description that both names it to
 * the user and rebuilds it: "grid x=0:10:1 y=0:10:1", "sample 1000 x=0:1 y=0:1 seed=7",
 * "load data/points.csv". */
#ifndef IV_DATASET_H
#define IV_DATASET_H

#include "util.h"

#define IV_MAX_EXAMPLES 10000000L /* rows in one dataset */

typedef struct iv_dataset {
    char *spec;          /* canonical spec, as above */
    long n;              /* examples */
    int d;               /* inputs, in the model's input order */
    float *x;            /* (n, d) row-major */
    int n_labels;
    char **label_names;  /* (n_labels) */
    double *labels;      /* (n, n_labels) row-major, or NULL */
    /* Grid structure, set only by grids: example index = i0 + count0 * (i1 + count1 * (i2 ...)),
     * so the first input varies fastest (for two inputs: rows are y, columns are x). */
    bool is_grid;
    long *grid_count;    /* (d) */
    double *grid_from;   /* (d) */
    double *grid_step;   /* (d) */
} iv_dataset;

/* Builds a dataset from the words of a `data` command (dataspec.c), e.g. {"grid", "x=0:10:1", "y=0:10"}:
 *   grid NAME=FROM:TO[:STEP] ...        every input named once; TO inclusive; STEP defaults to 1;
 *                                       NAME=VALUE fixes an input
 *   sample N NAME=LO:HI ... [seed=S]    N uniform draws; inputs not named are drawn from [0, 1];
 *                                       the seed defaults to default_seed
 *   load FILE                           a file read by its name (formats/formats.h): .npy and
 *                                       .npz as NumPy's, anything else as CSV
 * Errors name the argument (or FILE:LINE for CSV). */
iv_dataset *iv_dataset_build(int argc, char *const *argv, int n_inputs, char *const *input_names,
                             uint64_t default_seed, iv_error *err);
/* The same from one spec string (split on blanks). */
iv_dataset *iv_dataset_from_spec(const char *spec, int n_inputs, char *const *input_names,
                                 uint64_t default_seed, iv_error *err);
/* The kinds, from the words after `grid` or `sample` (dataset.c). */
iv_dataset *iv_dataset_grid(int argc, char *const *argv, int n_inputs, char *const *input_names,
                            iv_error *err);
iv_dataset *iv_dataset_sample(int argc, char *const *argv, int n_inputs, char *const *input_names,
                              uint64_t default_seed, iv_error *err);
void iv_dataset_free(iv_dataset *ds);

/* The index of label column `name` in ds's labels, or -1 (also for no dataset). */
int iv_dataset_label_column(const iv_dataset *ds, const char *name);

/* "x, y": a list of names as error messages show it ("(none)" for none); allocated. */
char *iv_dataset_join_names(int n, char *const *names);

#endif
