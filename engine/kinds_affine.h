/* kinds_affine.h - the functions of the project and add kinds (kinds_affine.c), for their entries
 * in the table of kinds (kinds.c) and for the fits that make them (concepts.c). */
#ifndef IV_KINDS_AFFINE_H
#define IV_KINDS_AFFINE_H

#include "intervention.h"

extern const char *const iv_project_words[];
int iv_project_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                      iv_error *err);
int iv_project_prepare(iv_intervention *iv, iv_error *err);
int iv_project_check(const iv_intervention *iv, iv_error *err);
void iv_apply_project(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                      long n, int width);
void iv_backward_project(const iv_intervention *iv, const iv_apply_ctx *ctx, int index, int site,
                         float *grad, long n, int width);
char *iv_project_params(const iv_intervention *iv);
char *iv_project_session(const iv_intervention *iv);
/* One row's addressed neurons idx (m of them) through the eraser (mu, L, R as project keeps
 * them) in place, in double; scratch holds rank doubles. */
void iv_project_row(const double *eraser, int rank, int m, const int *idx, float *h,
                    double *scratch);

extern const char *const iv_add_words[];
int iv_add_args(iv_intervention *iv, int argc, char **argv, iv_error *err);
int iv_add_option(iv_intervention *iv, const char *key, size_t klen, const char *val,
                  iv_error *err);
int iv_add_prepare(iv_intervention *iv, iv_error *err);
int iv_add_check(const iv_intervention *iv, iv_error *err);
void iv_apply_add(const iv_intervention *iv, const iv_apply_ctx *ctx, int site, float *values,
                  long n, int width);
char *iv_add_params(const iv_intervention *iv);
char *iv_add_session(const iv_intervention *iv);

#endif
