/* labels.h - what probes are trained on: labels of the reference dataset read as classes, labels
 * defined as expressions over the inputs, the seeded held-out split, and a site's values on every
 * row of the dataset.
 *
 * A label is a column of the dataset: read from the file (CSV columns and .npz arrays that are not
 * inputs) or defined by `label NAME = EXPR` (`label gt = x > y`), which the workspace keeps and
 * puts on every dataset it sets afterwards. Read as classes, a label's distinct values, in
 * increasing order, are classes 0, 1, ...: two of them make it binary, more categorical (at most
 * IV_MAX_CLASSES). */
#ifndef IV_LABELS_H
#define IV_LABELS_H

#include "workspace.h"

#define IV_MAX_CLASSES 64

/* Checks NAME and EXPR (over the model's inputs) and keeps the definition, replacing one of that
 * name; the current dataset gets the column. */
int iv_label_define(iv_workspace *ws, const char *name, const char *expr, iv_error *err);
/* Forgets the definition of NAME (its column leaves the current dataset). */
int iv_label_undefine(iv_workspace *ws, const char *name, iv_error *err);
/* Puts the workspace's defined labels on ds (a dataset for its model), replacing columns of the
 * same names. */
void iv_labels_apply(const iv_workspace *ws, iv_dataset *ds);

/* A label column read as classes. */
typedef struct iv_classes {
    int column;       /* in the dataset's labels */
    int k;            /* classes */
    double *values;   /* (k) the value of each class, increasing */
    long *count;      /* (k) rows of each */
    int *y;           /* (n) the class of each row */
    long n;
} iv_classes;

/* Reads label NAME of ds as classes; errors name the label (unknown: the labels there are; more
 * than IV_MAX_CLASSES values, one class only, or a value that is not a number, with its row). */
int iv_label_classes(const iv_dataset *ds, const char *name, iv_classes *out, iv_error *err);
void iv_classes_free(iv_classes *c);
/* The rate of the largest class: what a probe that always answers it scores. */
double iv_classes_majority(const iv_classes *c);

/* The rows of an n-row dataset split by the workspace's seed: test gets round(holdout n) rows
 * (at least 1 and at most n - 1 when n >= 2), train the rest, each in increasing order. Caller
 * frees both. */
void iv_split_rows(const iv_workspace *ws, long n, long **train, long *n_train, long **test,
                   long *n_test);

/* A site's values on every row of the dataset under the interventions that are on (the first
 * sample of a random one), (n, width) row-major; NULL with a message (memory, cancel). */
float *iv_site_values(iv_workspace *ws, int site, iv_error *err);

#endif
