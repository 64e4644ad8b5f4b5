/* logit_lens.h - the logit lens: a transformer's residual stream at each block's input (and after
 * the last block) read out as the next token, through the model's own final layer norm and
 * unembedding, at every position. The `logit-lens` command prints it; the explorer draws it. */
#ifndef IV_LOGIT_LENS_H
#define IV_LOGIT_LENS_H

#include "forward.h"

typedef struct iv_logit_lens {
    int rows, cols;    /* n_layer + 1 residual sites (resid0 .. residN) x positions */
    int *top;          /* (rows, cols) the top token */
    double *prob;      /* (rows, cols) its softmax probability */
} iv_logit_lens;

/* The lens of one row of acts (every site of a transformer's run). 0, or -1 when the model is not
 * a transformer. */
int iv_logit_lens_run(const iv_model *m, const iv_acts *acts, long row, iv_logit_lens *out);
/* The same, taking from `like` (the lens of row 0 of like_acts, another run of the model) every
 * block whose residual stream is bit for bit the same in both, rather than unembedding it again:
 * after an intervention in block 6 of GPT-2 small, the first 7 of its 13. */
int iv_logit_lens_like(const iv_model *m, const iv_acts *acts, long row, const iv_logit_lens *like,
                       const iv_acts *like_acts, iv_logit_lens *out);
void iv_logit_lens_free(iv_logit_lens *l);

#endif
