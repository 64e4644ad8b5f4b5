/* causal.h - high-level causal models, and the alignments of their variables with neurons.
 *
 * A causal model is a short program of assignments over the network's inputs, one a line or
 * separated by ';', with '#' comments:
 *     gt = x > y
 *     out = gt ? x : y
 * Its variables are the network's inputs, then each assigned name in order; an expression may read
 * the inputs and the variables assigned before it (expr.h, with and / or / not). The output is the
 * variable named `out`, else the last one assigned. It answers two questions, for many rows at
 * once: the factual value of every variable on an input, and the counterfactual value when some
 * variables are set (do(V = v)) to values taken from other inputs (Geiger et al. 2021). */
#ifndef IV_CAUSAL_H
#define IV_CAUSAL_H

#include "address.h"
#include "expr.h"

typedef struct iv_causal_var {
    char *name;
    char *text;        /* its expression as written (trimmed); NULL for an input */
    iv_expr *expr;     /* NULL for an input */
    int n_parents;
    int *parents;      /* (n_parents) the variables the expression reads, ascending */
    int line;          /* where it is assigned (1-based), 0 for an input */
} iv_causal_var;

typedef struct iv_causal {
    char *origin;      /* the file it was read from, or NULL when given as text */
    int n_inputs;      /* variables 0 .. n_inputs - 1 are the network's inputs */
    int n_vars;
    iv_causal_var *vars;
    char **names;      /* (n_vars) the variables' names, in order */
    int output;        /* the output variable */
} iv_causal;

/* Parses a causal model over the network's inputs. origin names the file in messages
 * ("causal.txt:2: variable 'out': column 7: unknown name 'z' (expected one of: x, y, gt)"), or is
 * NULL for text given inline (then the line is named only when the text has several). Columns
 * count from the start of the line. Refuses a variable assigned twice, one named like an input,
 * and one named like a word operator or a constant. */
iv_causal *iv_causal_parse(const char *text, const char *origin, int n_inputs,
                           char *const *input_names, iv_error *err);
void iv_causal_free(iv_causal *c);
/* Index of the variable named `name`, or -1. */
int iv_causal_find(const iv_causal *c, const char *name);
/* "x, y, gt, out": the variables as messages list them; allocated. */
char *iv_causal_names(const iv_causal *c);
/* One line that parses back to the same model: "gt = x > y; out = gt ? x : y"; allocated. */
char *iv_causal_text(const iv_causal *c);

/* Factual values of every variable on n input rows (n, n_inputs) of float: vals (n, n_vars). */
void iv_causal_eval(const iv_causal *c, const float *inputs, long n, double *vals);

/* Counterfactuals on n base rows: the variables set[0 .. k) fixed to values (n, k) (row r's value
 * of set[j] is values[r * k + j]), every other variable computed from its parents as usual.
 * base_vals (n, n_vars) holds the factual values of the base rows (iv_causal_eval): the variables
 * that nothing set reaches are copied from it. Writes every variable into out (n, n_vars). */
void iv_causal_intervene(const iv_causal *c, const double *base_vals, long n, const int *set,
                         int k, const double *values, double *out);

/* The output alone under do(set = values), for many pairs of rows of a dataset whose factual
 * values are known: the base row's, with each set[j] taking its value on a row of its own. The
 * output depends only on the values set and on the base's values of the few variables that the
 * ones to recompute read without being reached by anything set (the frontier), and IIA's pairs
 * repeat those few values endlessly: each row gets the number of its frontier's values and of its
 * value of each variable set once, and the answers are kept in a table over those numbers, each
 * computed once, when first asked for. The answer is the one iv_causal_intervene gives, bit for
 * bit. When the table would be too large it computes each answer (fewer recomputed variables than
 * iv_causal_intervene, nothing copied). */
typedef struct iv_causal_answers {
    const iv_causal *c;
    const double *vals; /* (n_rows, n_vars) the rows' factual values, not owned */
    long n_rows;
    int k;             /* variables set */
    int *set;          /* (k) their indices */
    int n_front;
    int *front;        /* (n_front) the frontier, ascending */
    int n_redo;
    int *redo;         /* (n_redo) the variables to recompute for the output, ascending */
    int output_set;    /* the output's index in set, or -1 */
    bool direct;       /* no table: each answer is computed */
    int *front_id;     /* (n_rows) the number of each row's frontier values */
    long *front_row;   /* (front ids) a row with those values */
    int **value_id;    /* (k) (n_rows) the number of each row's value of set[j] */
    long **value_row;  /* (k) (value ids of set[j]) a row with that value */
    long *count;       /* (k + 1) how many numbers: of frontiers, then of each set[j]'s values */
    double *table;     /* (product of count) answers, known where `known` says */
    unsigned char *known;
    double *row;       /* (n_vars) scratch */
} iv_causal_answers;

void iv_causal_answers_init(iv_causal_answers *a, const iv_causal *c, const double *vals,
                            long n_rows, const int *set, int k);
/* The output on base row `base` with set[j] given its value on row value_rows[j]. */
double iv_causal_answer(iv_causal_answers *a, long base, const long *value_rows);
void iv_causal_answers_free(iv_causal_answers *a);

/* A variable of the causal model aligned with a part of the network: neurons of one site, or
 * (for distributed alignment search) a k-dimensional subspace of a site. Patching the variable from
 * a source input copies the source's values of those neurons, or moves the base's activation h to
 * h + (h_s - h) B^T B for a basis B of orthonormal rows. */
typedef struct iv_alignment {
    int var;           /* index into the causal model's variables */
    iv_addr addr;      /* the neurons; for a subspace, every neuron of its site */
    int k;             /* 0: the neurons themselves; > 0: the subspace's dimension */
    float *basis;      /* (k, site width) row-major, orthonormal rows, owned; NULL when k is 0 */
} iv_alignment;

void iv_alignment_copy(iv_alignment *dst, const iv_alignment *src);
void iv_alignment_clear(iv_alignment *a);

#endif
