/* dataset.c - reference datasets made here rather than read: grids and seeded uniform samples, each
 * with the canonical spec that rebuilds it, and freeing any dataset. The `data` command's words are
 * read in dataspec.c; datasets read from files (CSV, NumPy) are the formats' (engine/formats/). */
#include "dataset.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "rng.h"

#define GRID_USAGE "NAME=FROM:TO[:STEP] or NAME=VALUE"
#define SAMPLE_USAGE "NAME=LO:HI"

/* ---- shared helpers ---------------------------------------------------------------------------- */

/* A dataset of n rows of d inputs, or NULL with a message when they do not fit the budget. */
static iv_dataset *dataset_new(long n, int d, iv_error *err)
{
    char what[64];
    snprintf(what, sizeof what, "a dataset of %ld examples", n);
    float *x = iv_big_alloc((size_t)n * (size_t)d, sizeof(float), what, err); /* (n, d) */
    if (!x)
        return NULL;
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->n = n;
    ds->d = d;
    ds->x = x;
    return ds;
}

void iv_dataset_free(iv_dataset *ds)
{
    if (!ds)
        return;
    for (int i = 0; i < ds->n_labels; i++)
        free(ds->label_names[i]);
    free(ds->label_names);
    free(ds->labels);
    free(ds->spec);
    free(ds->x);
    free(ds->grid_count);
    free(ds->grid_from);
    free(ds->grid_step);
    free(ds);
}

int iv_dataset_label_column(const iv_dataset *ds, const char *name)
{
    for (int i = 0; ds && i < ds->n_labels; i++)
        if (strcmp(ds->label_names[i], name) == 0)
            return i;
    return -1;
}

char *iv_dataset_join_names(int n, char *const *names)
{
    iv_buf b = {0};
    for (int i = 0; i < n; i++)
        iv_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    if (!b.data)
        iv_buf_append(&b, "(none)", 6);
    return b.data;
}

static int find_name(const char *name, size_t len, int n, char *const *names)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
            return i;
    return -1;
}

/* The shortest %g form that reads back as the same double, so a spec rebuilds its dataset exactly
 * while the usual values still print as "0", "10" or "0.1". */
static void format_exact(char *buf, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* One NAME=A[:B[:C]] argument, checked against the model's inputs. */
typedef struct range_arg {
    int input;
    int n_vals;
    double v[3];
} range_arg;

static int bad_range(const char *cmd, const char *arg, const char *usage, iv_error *err)
{
    return iv_error_set(err, "%s: bad range '%s' (expected %s)", cmd, arg, usage);
}

/* Splits "A:B:C" into up to three finite numbers; returns the count, or -1. */
static int parse_values(const char *text, double v[3])
{
    char *copy = iv_xstrdup(text);
    int n = 0;
    char *field = copy;
    for (;;) {
        char *colon = strchr(field, ':');
        if (colon)
            *colon = '\0';
        if (n == 3 || iv_parse_double(field, &v[n]) != 0) {
            n = -1;
            break;
        }
        n++;
        if (!colon)
            break;
        field = colon + 1;
    }
    free(copy);
    return n;
}

static int parse_range(const char *cmd, const char *arg, const char *usage, int n_inputs,
                       char *const *input_names, bool *seen, range_arg *out, iv_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return bad_range(cmd, arg, usage, err);
    out->input = find_name(arg, (size_t)(eq - arg), n_inputs, input_names);
    if (out->input < 0) {
        char *list = iv_dataset_join_names(n_inputs, input_names);
        iv_error_set(err, "%s: unknown input '%.*s' (inputs are %s)", cmd, (int)(eq - arg), arg,
                     list);
        free(list);
        return -1;
    }
    if (seen[out->input])
        return iv_error_set(err, "%s: input '%s' given twice", cmd, input_names[out->input]);
    seen[out->input] = true;
    out->n_vals = parse_values(eq + 1, out->v);
    if (out->n_vals < 0)
        return bad_range(cmd, arg, usage, err);
    /* Inputs are float32: a bound past its range would become an infinite input. */
    for (int k = 0; k < out->n_vals && k < 2; k++)
        if (fabs(out->v[k]) > FLT_MAX)
            return iv_error_set(err, "%s: '%s': inputs are float32, so values must lie within "
                                "+-3.4e38", cmd, arg);
    return 0;
}

/* Every input must be covered; names the first one that is not. */
static int check_all_seen(const char *cmd, const bool *seen, int n_inputs, char *const *input_names,
                          iv_error *err)
{
    for (int i = 0; i < n_inputs; i++)
        if (!seen[i])
            return iv_error_set(err, "%s: no range for input '%s'", cmd, input_names[i]);
    return 0;
}

/* ---- grid -------------------------------------------------------------------------------------- */

typedef struct grid_axis {
    double from, to, step;
    bool fixed; /* NAME=VALUE */
    double count;
} grid_axis;

static int grid_axis_parse(const char *arg, const range_arg *r, grid_axis *a, iv_error *err)
{
    a->from = r->v[0];
    a->fixed = r->n_vals == 1;
    a->to = r->n_vals >= 2 ? r->v[1] : a->from;
    a->step = r->n_vals == 3 ? r->v[2] : 1.0;
    if (a->step <= 0)
        return iv_error_set(err, "grid: step must be positive in '%s'", arg);
    if (a->to < a->from)
        return iv_error_set(err, "grid: range '%s' runs backwards (TO must be >= FROM)", arg);
    /* The epsilon keeps 0:1:0.1 at eleven points despite 1/0.1 rounding just below 10. */
    a->count = floor((a->to - a->from) / a->step + 1e-9) + 1;
    return 0;
}

static int grid_parse_axes(int argc, char *const *argv, int n_inputs, char *const *input_names,
                           grid_axis *axes, iv_error *err)
{
    bool *seen = iv_xcalloc((size_t)n_inputs + 1, sizeof(bool));
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        range_arg r;
        rc = parse_range("grid", argv[i], GRID_USAGE, n_inputs, input_names, seen, &r, err);
        if (rc == 0)
            rc = grid_axis_parse(argv[i], &r, &axes[r.input], err);
    }
    if (rc == 0)
        rc = check_all_seen("grid", seen, n_inputs, input_names, err);
    free(seen);
    return rc;
}

static char *grid_spec(int n_inputs, char *const *input_names, const grid_axis *axes)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "grid");
    for (int i = 0; i < n_inputs; i++) {
        char from[32], to[32], step[32];
        format_exact(from, sizeof from, axes[i].from);
        if (axes[i].fixed) {
            iv_buf_printf(&b, " %s=%s", input_names[i], from);
            continue;
        }
        format_exact(to, sizeof to, axes[i].to);
        format_exact(step, sizeof step, axes[i].step);
        iv_buf_printf(&b, " %s=%s:%s:%s", input_names[i], from, to, step);
    }
    return b.data;
}

static void grid_fill(iv_dataset *ds, const grid_axis *axes)
{
    int d = ds->d;
    ds->is_grid = true;
    ds->grid_count = iv_xmalloc((size_t)d * sizeof(long) + 1);
    ds->grid_from = iv_xmalloc((size_t)d * sizeof(double) + 1);
    ds->grid_step = iv_xmalloc((size_t)d * sizeof(double) + 1);
    for (int j = 0; j < d; j++) {
        ds->grid_count[j] = (long)axes[j].count;
        ds->grid_from[j] = axes[j].from;
        ds->grid_step[j] = axes[j].step;
    }
    /* The first input varies fastest: peel its index off the example index first. */
    for (long idx = 0; idx < ds->n; idx++) {
        long rest = idx;
        for (int j = 0; j < d; j++) {
            long i = rest % ds->grid_count[j];
            rest /= ds->grid_count[j];
            ds->x[idx * d + j] = (float)(ds->grid_from[j] + (double)i * ds->grid_step[j]);
        }
    }
}

iv_dataset *iv_dataset_grid(int argc, char *const *argv, int n_inputs, char *const *input_names,
                            iv_error *err)
{
    grid_axis *axes = iv_xcalloc((size_t)n_inputs + 1, sizeof *axes);
    iv_dataset *ds = NULL;
    if (grid_parse_axes(argc, argv, n_inputs, input_names, axes, err) == 0) {
        double total = 1;
        for (int i = 0; i < n_inputs; i++)
            total *= axes[i].count;
        if (!isfinite(total)) {
            iv_error_set(err, "grid: too many points (the limit is %ld)", IV_MAX_EXAMPLES);
        } else if (total > IV_MAX_EXAMPLES) {
            /* Exact while the count is an integer a person can read; rounded beyond that. */
            iv_error_set(err, "grid: %.*g points is more than the limit of %ld",
                         total < 1e15 ? 15 : 6, total, IV_MAX_EXAMPLES);
        } else if ((ds = dataset_new((long)total, n_inputs, err)) != NULL) {
            grid_fill(ds, axes);
            ds->spec = grid_spec(n_inputs, input_names, axes);
        }
    }
    free(axes);
    return ds;
}

/* ---- sample ------------------------------------------------------------------------------------ */

/* "seed=S" with S a decimal integer that fits 64 bits. */
static int parse_seed(const char *text, uint64_t *out)
{
    if (*text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

typedef struct sample_args {
    long n;
    uint64_t seed;
    double *lo, *hi; /* (d) */
} sample_args;

/* Handles one argument after the count: a seed, or an input's range. */
static int sample_parse_arg(const char *arg, int n_inputs, char *const *input_names, bool *seen,
                            bool *seed_seen, sample_args *s, iv_error *err)
{
    /* An input may itself be called "seed"; a range then tells it apart by its colon. */
    if (strncmp(arg, "seed=", 5) == 0 && !strchr(arg, ':')) {
        if (*seed_seen)
            return iv_error_set(err, "sample: seed given twice");
        *seed_seen = true;
        if (parse_seed(arg + 5, &s->seed) != 0)
            return iv_error_set(err, "sample: bad seed '%s' (expected a non-negative integer)", arg);
        return 0;
    }
    range_arg r;
    if (parse_range("sample", arg, SAMPLE_USAGE, n_inputs, input_names, seen, &r, err) != 0)
        return -1;
    if (r.n_vals != 2)
        return bad_range("sample", arg, SAMPLE_USAGE, err);
    if (r.v[1] < r.v[0])
        return iv_error_set(err, "sample: range '%s' runs backwards (HI must be >= LO)", arg);
    s->lo[r.input] = r.v[0];
    s->hi[r.input] = r.v[1];
    return 0;
}

static int sample_parse(int argc, char *const *argv, int n_inputs, char *const *input_names,
                        sample_args *s, iv_error *err)
{
    if (argc < 1)
        return iv_error_set(err, "sample: expected a count, e.g. sample 1000 x=0:1");
    if (iv_parse_int(argv[0], 1, IV_MAX_EXAMPLES, &s->n) != 0)
        return iv_error_set(err, "sample: bad count '%s' (expected 1 to %ld)", argv[0],
                            IV_MAX_EXAMPLES);
    for (int i = 0; i < n_inputs; i++) {
        s->lo[i] = 0;
        s->hi[i] = 1;
    }
    bool *seen = iv_xcalloc((size_t)n_inputs + 1, sizeof(bool));
    bool seed_seen = false;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++)
        rc = sample_parse_arg(argv[i], n_inputs, input_names, seen, &seed_seen, s, err);
    free(seen);
    return rc;
}

static char *sample_spec(int n_inputs, char *const *input_names, const sample_args *s)
{
    iv_buf b = {0};
    iv_buf_printf(&b, "sample %ld", s->n);
    for (int i = 0; i < n_inputs; i++) {
        char lo[32], hi[32];
        format_exact(lo, sizeof lo, s->lo[i]);
        format_exact(hi, sizeof hi, s->hi[i]);
        iv_buf_printf(&b, " %s=%s:%s", input_names[i], lo, hi);
    }
    iv_buf_printf(&b, " seed=%" PRIu64, s->seed);
    return b.data;
}

iv_dataset *iv_dataset_sample(int argc, char *const *argv, int n_inputs, char *const *input_names,
                              uint64_t default_seed, iv_error *err)
{
    sample_args s = {.seed = default_seed};
    s.lo = iv_xcalloc((size_t)n_inputs + 1, sizeof(double));
    s.hi = iv_xcalloc((size_t)n_inputs + 1, sizeof(double));
    iv_dataset *ds = NULL;
    if (sample_parse(argc, argv, n_inputs, input_names, &s, err) == 0 &&
        (ds = dataset_new(s.n, n_inputs, err)) != NULL) {
        iv_rng rng;
        iv_rng_seed(&rng, s.seed);
        /* Row by row, inputs in order: this draw order is what a seed reproduces. */
        for (long r = 0; r < s.n; r++)
            for (int j = 0; j < n_inputs; j++)
                ds->x[r * n_inputs + j] =
                    (float)(s.lo[j] + (s.hi[j] - s.lo[j]) * iv_rng_uniform(&rng));
        ds->spec = sample_spec(n_inputs, input_names, &s);
    }
    free(s.lo);
    free(s.hi);
    return ds;
}
