/* probe_mlp.c - a small nonlinear probe: a one-hidden-layer ReLU network trained by the trainer
 * (train.h) on a site's values, to show what a linear eraser does not remove. INLP and LEACE blind
 * linear readers; a reader with a hidden layer may still find the concept in what is left. */
#include "probe_mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "train.h"

/* width -> hidden ReLU -> k logits, every weight zero (the trainer draws them). */
static iv_model *probe_model(int width, int hidden, int k, iv_error *err)
{
    iv_builder *b = iv_builder_new(NULL, "the MLP probe");
    iv_builder_name(b, "mlp-probe");
    char **names = iv_xmalloc(sizeof(char *) * (size_t)width);
    for (int j = 0; j < width; j++)
        names[j] = iv_xasprintf("v%d", j);
    int rc = iv_builder_inputs(b, width, names, "the MLP probe", err);
    for (int j = 0; j < width; j++)
        free(names[j]);
    free(names);
    float *w1 = iv_xcalloc((size_t)hidden * (size_t)width, sizeof(float));
    float *w2 = iv_xcalloc((size_t)k * (size_t)hidden, sizeof(float));
    iv_dense_spec h = {.name = "hidden", .n_in = width, .n_out = hidden, .weight = w1,
                       .act = IV_ACT_RELU};
    iv_dense_spec o = {.name = "out", .n_in = hidden, .n_out = k, .weight = w2,
                       .act = IV_ACT_IDENTITY};
    if (rc == 0)
        rc = iv_builder_dense(b, &h, err);
    if (rc == 0)
        rc = iv_builder_dense(b, &o, err);
    free(w1);
    free(w2);
    if (rc < 0) {
        iv_builder_free(b);
        return NULL;
    }
    return iv_builder_finish(b, err);
}

/* The site's values as a dataset with one label column, the class. */
static iv_dataset *values_dataset(const float *x, long n, int width, const int *y)
{
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->spec = iv_xstrdup("a site's values");
    ds->n = n;
    ds->d = width;
    ds->x = iv_xmalloc(sizeof(float) * (size_t)n * (size_t)width);
    memcpy(ds->x, x, sizeof(float) * (size_t)n * (size_t)width);
    ds->n_labels = 1;
    ds->label_names = iv_xmalloc(sizeof(char *));
    ds->label_names[0] = iv_xstrdup("class");
    ds->labels = iv_xmalloc(sizeof(double) * (size_t)n);
    for (long r = 0; r < n; r++)
        ds->labels[r] = y[r];
    return ds;
}

int iv_probe_mlp(const float *x, long n, int width, const int *y, int k,
                 const iv_probe_mlp_options *o, iv_job *job, iv_probe_mlp_result *out,
                 iv_error *err)
{
    memset(out, 0, sizeof *out);
    iv_model *m = probe_model(width, o->hidden, k, err);
    if (!m)
        return -1;
    iv_dataset *ds = values_dataset(x, n, width, y);
    iv_train_spec s;
    iv_train_spec_default(&s);
    s.n_columns = 1;
    s.columns[0] = 0;
    s.loss = IV_TRAIN_CE;
    s.epochs = o->epochs;
    s.batch = 64;
    s.lr = o->lr;
    s.seed = o->seed;
    s.init_random = true;
    s.holdout = o->holdout;
    iv_train_result r;
    int rc = iv_train_run(m, ds, &s, job, &r, err);
    if (rc == 0) {
        const iv_train_epoch *last = &r.record[r.epochs - 1];
        out->train_accuracy = last->accuracy;
        out->holdout_accuracy = last->holdout_accuracy;
        out->train_rows = r.train_rows;
        out->holdout_rows = r.holdout_rows;
        iv_train_result_free(&r);
    }
    iv_dataset_free(ds);
    iv_model_free(m);
    return rc;
}
