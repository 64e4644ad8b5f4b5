/* concepts.h - a concept (a label of the dataset) at a site of the workspace: the site's values on
 * the dataset split by the workspace's seed into the rows fits see and the rows they are scored on,
 * and what the workspace keeps of the last fits.
 *
 * A concept is read from every value of a site, or from a transformer site's values at one
 * position (SITE[pos=P], P below 0 counting from the end): the features are then those values
 * alone, over the dataset's rows, and an eraser fitted there acts on that position only.
 *
 * The values are the site's under the interventions that are on, so that a probe after an eraser
 * (inlp, leace) reads what the network reads. What is kept: the last probe fitted at one site (or one
 * position of it), whose direction `steer SITE probe` adds and `pca` draws. */
#ifndef IV_CONCEPTS_H
#define IV_CONCEPTS_H

#include "address.h"
#include "labels.h"
#include "probe.h"

/* Where a concept is read: a whole site, or the values of one position of a transformer's site. */
typedef struct iv_concept_site {
    iv_addr addr;   /* the values read, in the site's order */
    char *name;     /* "blocks.1.hook_resid_pre", or "blocks.1.hook_resid_pre[pos=2]" */
} iv_concept_site;

/* Reads SITE or SITE[pos=P]. Anything else in the brackets (neurons, head=, a range of
 * positions), brackets on a site without positions, or a position out of range is refused in one
 * line naming the argument; an unknown site is "unknown site 'NAME'". */
int iv_concept_site_parse(const iv_model *m, const char *text, iv_concept_site *out,
                          iv_error *err);
/* Every value of a site. */
void iv_concept_site_whole(const iv_model *m, int site, iv_concept_site *out);
/* Whether it is every value of its site. */
bool iv_concept_site_is_whole(const iv_model *m, const iv_concept_site *at);
void iv_concept_site_free(iv_concept_site *at);

/* Every row's values at `at` over the workspace's dataset, (n, at->addr.n): the clean ones, or
 * under the interventions that are on; NULL with a message. */
float *iv_concept_values(iv_workspace *ws, const iv_concept_site *at, bool clean, iv_error *err);

/* A label's rows where a concept is read: every row's values and class, and the split. */
typedef struct iv_concept_rows {
    int site, width; /* width: the values read at each row (the site's, or a position's) */
    iv_classes classes;
    float *values;          /* (n, width): every row of the dataset */
    float *train_x, *test_x; /* the rows of each part, in the dataset's order */
    int *train_y, *test_y;
    long n_train, n_test;
    iv_labelled train, test; /* views of the above */
} iv_concept_rows;

/* Reads the values at `at` and LABEL of the workspace's dataset; the values are the site's
 * under the interventions that are on, or the clean ones when `clean`. */
int iv_concept_rows_get(iv_workspace *ws, const iv_concept_site *at, const char *label,
                        bool clean, iv_concept_rows *out, iv_error *err);
void iv_concept_rows_free(iv_concept_rows *r);

/* Keeps a probe fitted at `at` (a copy) as the workspace's last. */
void iv_concepts_keep_probe(iv_workspace *ws, const iv_concept_site *at, const char *label,
                            const iv_probe *p);
/* The last probe's direction over the neurons of addr (its weight row, the first of several,
 * taken at those neurons and made unit length); `what` says where it came from. -1 with a message
 * when no probe was fitted at addr's site, or the probe's values do not hold all of addr. */
int iv_concepts_probe_direction(const iv_workspace *ws, const iv_addr *addr, double *v,
                                char *what, size_t what_len, iv_error *err);
/* The last probe when it was fitted at exactly the values of addr (its weights over them), or
 * NULL. */
const iv_probe *iv_concepts_probe_at(const iv_workspace *ws, const iv_addr *addr);

#endif
