/* concepts.h - a concept (a label of the dataset) at a site of the workspace: the site's values on
 * the dataset split by the workspace's seed into the rows fits see and the rows they are scored on,
 * and what the workspace keeps of the last fits.
 *
 * The values are the site's under the interventions that are on, so that a probe after an eraser
 * (inlp, leace) reads what the network reads. What is kept: the last probe fitted at one site, whose
 * direction `steer SITE probe` adds and `pca` draws. */
#ifndef IV_CONCEPTS_H
#define IV_CONCEPTS_H

#include "labels.h"
#include "probe.h"

/* A label's rows at a site: every row's values and class, and the split. */
typedef struct iv_concept_rows {
    int site, width;
    iv_classes classes;
    float *values;          /* (n, width): every row of the dataset */
    float *train_x, *test_x; /* the rows of each part, in the dataset's order */
    int *train_y, *test_y;
    long n_train, n_test;
    iv_labelled train, test; /* views of the above */
} iv_concept_rows;

/* Reads SITE (a site's name) and LABEL of the workspace's dataset; the values are the site's
 * under the interventions that are on, or the clean ones when `clean`. */
int iv_concept_rows_get(iv_workspace *ws, int site, const char *label, bool clean,
                        iv_concept_rows *out, iv_error *err);
void iv_concept_rows_free(iv_concept_rows *r);

/* Keeps a probe fitted at a site (a copy) as the workspace's last. */
void iv_concepts_keep_probe(iv_workspace *ws, int site, const char *label, const iv_probe *p);
/* The last probe's direction over the neurons of addr (its weight row, the first of several,
 * taken at those neurons and made unit length); `what` says where it came from. -1 with a message
 * when no probe was fitted at addr's site. */
int iv_concepts_probe_direction(const iv_workspace *ws, const iv_addr *addr, double *v,
                                char *what, size_t what_len, iv_error *err);
/* The last probe at `site` (weights over the site's neurons), or NULL. */
const iv_probe *iv_concepts_probe_at(const iv_workspace *ws, int site);

#endif
