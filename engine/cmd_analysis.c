/* cmd_analysis.c - sweeps of a neuron or an input, and exporting any command's results to CSV or
 * JSON for plotting elsewhere. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "files.h"
#include "formats/formats.h"
#include "gridmap.h"
#include "handlers.h"
#include "report.h"

#define MAX_SWEEP_STEPS 10001

/* ---- sweep ------------------------------------------------------------------------------------ */

typedef struct sweep_ctx {
    int site, neuron;
    const float *value;        /* (rows) the swept value of each row */
    const iv_apply_ctx *apply; /* the interventions, after the sweep; NULL for the clean curve */
} sweep_ctx;

/* Sets the swept neuron first, then lets the interventions act (they may override it). */
static void sweep_hook(int site, float *values, long n, int width, void *user)
{
    const sweep_ctx *c = user;
    if (site == c->site)
        for (long r = 0; r < n; r++)
            values[r * width + c->neuron] = c->value[r];
    if (c->apply)
        iv_apply_hook(site, values, n, width, (void *)c->apply);
}

/* Output rows (steps x samples) averaged over samples into (steps, w). */
static void mean_rows(const iv_acts *a, int site, long steps, long S, int w, double *out)
{
    for (long i = 0; i < steps; i++)
        for (int k = 0; k < w; k++) {
            double sum = 0;
            for (long s = 0; s < S; s++)
                sum += a->site[site][(i * S + s) * w + k];
            out[i * w + k] = sum / (double)S;
        }
}

#define SWEEP_CHUNK_FLOATS ((size_t)8 << 20) /* activations of one chunk of steps: 32 MiB */
#define SWEEP_PROGRESS_STEPS 64              /* chunks a long sweep is cut into, at least */

/* Steps per chunk. The steps run in chunks so that memory does not grow with steps x samples and a
 * cancelled job stops within one chunk; noise draws carry on from chunk to chunk (the streams of
 * the apply context), so the numbers are those of one batch. Resample draws afresh at every call
 * of the hook, so under a resample intervention the sweep stays one batch, whose draws are what
 * they always were. */
static long sweep_chunk(const iv_model *m, const iv_intervention *list, int count, long steps,
                        long S)
{
    for (int i = 0; i < count; i++)
        if (list[i].enabled && list[i].kind == IV_RESAMPLE)
            return steps;
    size_t row = 0;
    for (int s = 0; s < iv_model_site_count(m); s++)
        row += (size_t)iv_model_site_width(m, s);
    long fit = (long)(SWEEP_CHUNK_FLOATS / (row * (size_t)S));
    long chunk = (steps + SWEEP_PROGRESS_STEPS - 1) / SWEEP_PROGRESS_STEPS;
    if (chunk > fit)
        chunk = fit;
    return chunk < 1 ? 1 : chunk;
}

/* The value of step i of FROM..TO, as the activations hold it. */
static float sweep_value(double from, double to, long i, long steps)
{
    return (float)(from + (to - from) * (double)i / (double)(steps - 1));
}

IV_HANDLER(iv_cmd_sweep)
{
    if (strcmp(argv[0], "alpha") == 0 && iv_model_site_find(ws->model, "alpha") < 0)
        return iv_sweep_alpha(ws, argc, argv, sink, err); /* a steering vector's strength */
    const iv_model *m = ws->model;
    iv_addr addr;
    double from, to;
    long steps = 21;
    if (iv_parse_double(argv[1], &from) < 0 || iv_parse_double(argv[2], &to) < 0)
        return iv_error_set(err, "FROM and TO must be finite numbers");
    /* Activations are float32: a range past its limits, or whose width overflows, has no steps. */
    if (fabs(from) > FLT_MAX || fabs(to) > FLT_MAX || !isfinite(to - from))
        return iv_error_set(err, "%s to %s is out of range: FROM and TO must lie within "
                            "+-3.4e38, the range of float32", argv[1], argv[2]);
    if (argc == 4 && iv_parse_int(argv[3], 2, MAX_SWEEP_STEPS, &steps) < 0)
        return iv_error_set(err, "STEPS must be a whole number from 2 to %d",
                            MAX_SWEEP_STEPS);
    if (iv_addr_parse(m, argv[0], &addr, err) < 0)
        return -1;
    if (addr.n != 1) {
        iv_addr_clear(&addr);
        return iv_error_set(err, "'%s' addresses %d neurons; sweep one (e.g. h1[0] or "
                            "input[x])", argv[0], addr.n);
    }
    if (ws->count && iv_workspace_run(ws, err) < 0) { /* statistics for mean / noise / resample */
        iv_addr_clear(&addr);
        return IV_ERROR_AS_IS; /* an error of evaluating the workspace */
    }
    long S = iv_list_samples(ws->list, ws->count);
    long chunk = sweep_chunk(m, ws->list, ws->count, steps, S), rows = chunk * S;
    int d = m->n_inputs, out = iv_model_output_site(m), w = iv_model_output_width(m);
    float *input = iv_big_alloc((size_t)(rows * d), sizeof(float), "the sweep's inputs", err);
    float *value = input ? iv_big_alloc((size_t)rows, sizeof(float), "the sweep's values", err)
                         : NULL;                                        /* (rows, d), (rows) */
    iv_acts *acts = value ? iv_acts_new(m, rows, err) : NULL;
    double *yc = acts ? iv_big_alloc((size_t)(steps * w), sizeof(double), "the sweep's curve", err)
                      : NULL;
    double *yi = yc ? iv_big_alloc((size_t)(steps * w), sizeof(double), "the sweep's curve", err)
                    : NULL;                                             /* (steps, w) each */
    int rc = yi ? 0 : -1;
    if (rc == 0)
        iv_workspace_stats_for(ws, ws->list, ws->count);
    iv_rng *streams = iv_xcalloc((size_t)(ws->count ? ws->count : 1), sizeof(iv_rng));
    for (int i = 0; i < ws->count; i++)
        iv_rng_seed(&streams[i], ws->list[i].seed);
    iv_apply_ctx apply = {.list = ws->list, .count = ws->count, .samples = S,
                          .stats = ws->stats, .reference = ws->ref_acts,
                          .source = ws->source_acts, .streams = streams};
    for (long first = 0; rc == 0 && first < steps; first += chunk) {
        long n = steps - first < chunk ? steps - first : chunk;
        acts->n = n * S; /* the last chunk may be short; each site's block holds a whole one */
        for (long r = 0; r < n * S; r++) {
            memcpy(input + r * d, ws->base, sizeof(float) * (size_t)d);
            value[r] = sweep_value(from, to, first + r / S, steps);
        }
        sweep_ctx c = {addr.site, addr.idx[0], value, NULL};
        iv_forward(m, input, acts, sweep_hook, &c);
        mean_rows(acts, out, n, S, w, yc + first * w);
        c.apply = &apply;
        iv_forward(m, input, acts, sweep_hook, &c);
        mean_rows(acts, out, n, S, w, yi + first * w);
        rc = iv_job_progress(ws->job, (double)(first + n), (double)steps, err);
    }
    if (rc == 0) {
        json_object *table = json_object_new_array();
        for (long i = 0; i < steps; i++) {
            json_object *row = json_object_new_object();
            iv_json_set_num(row, "value", sweep_value(from, to, i, steps));
            iv_json_set(row, "clean", w == 1 ? iv_json_num(yc[i]) : iv_json_doubles(yc + i * w, w));
            iv_json_set(row, "intervened",
                        w == 1 ? iv_json_num(yi[i]) : iv_json_doubles(yi + i * w, w));
            json_object_array_add(table, row);
        }
        char *name = iv_addr_format(m, &addr);
        json_object *obj = json_object_new_object();
        iv_json_set_str(obj, "sweep", name);
        json_object_object_add(obj, "samples", json_object_new_int64(S));
        iv_json_set(obj, "points", table);
        iv_emit(sink, IV_RESULT_SWEEP, obj);
        free(name);
    }
    free(streams);
    free(yc);
    free(yi);
    iv_acts_free(acts);
    free(input);
    free(value);
    iv_addr_clear(&addr);
    return rc;
}

/* ---- export ----------------------------------------------------------------------------------- */

static void collect(iv_result_type type, json_object *obj, void *user)
{
    (void)type;
    json_object_array_add(user, obj);
}

static void csv_cell(FILE *f, json_object *v)
{
    if (!v) {
        fputs("", f); /* null: an empty field */
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (strpbrk(s, ",\"\n")) {
            fputc('"', f);
            for (; *s; s++) {
                if (*s == '"')
                    fputc('"', f);
                fputc(*s, f);
            }
            fputc('"', f);
        } else {
            fputs(s, f);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        /* a vector in one field: values separated by blanks */
        for (size_t i = 0; i < json_object_array_length(v); i++)
            fprintf(f, "%s%s", i ? " " : "", json_object_get_string(json_object_array_get_idx(v, i)));
    } else {
        fputs(json_object_get_string(v), f);
    }
}

/* The first table in a result: a list of records, or a matrix with its axes (effect's map). */
static bool write_csv(FILE *f, json_object *obj)
{
    json_object_object_foreach(obj, key, val) {
        (void)key;
        if (json_object_is_type(val, json_type_object) && write_csv(f, val))
            return true;
        if (!json_object_is_type(val, json_type_array) || !json_object_array_length(val))
            continue;
        json_object *first = json_object_array_get_idx(val, 0);
        if (json_object_is_type(first, json_type_object)) { /* records */
            bool comma = false;
            json_object_object_foreach(first, k, unused) {
                (void)unused;
                fprintf(f, "%s%s", comma ? "," : "", k);
                comma = true;
            }
            fputc('\n', f);
            for (size_t r = 0; r < json_object_array_length(val); r++) {
                comma = false;
                json_object_object_foreach(first, k2, unused2) {
                    (void)unused2;
                    fputs(comma ? "," : "", f);
                    csv_cell(f, json_object_object_get(json_object_array_get_idx(val, r), k2));
                    comma = true;
                }
                fputc('\n', f);
            }
            return true;
        }
        iv_gridmap g;
        if (iv_gridmap_decode(obj, val, &g)) { /* a matrix: y down, x across */
            fprintf(f, "%s\\%s", g.y_name ? g.y_name : "row", g.x_name ? g.x_name : "column");
            for (size_t c = 0; c < g.cols; c++) {
                fputc(',', f);
                if (g.x)
                    csv_cell(f, json_object_array_get_idx(g.x, c));
                else
                    fprintf(f, "%zu", c);
            }
            fputc('\n', f);
            for (size_t r = 0; r < g.rows; r++) {
                if (g.y)
                    csv_cell(f, json_object_array_get_idx(g.y, r));
                else
                    fprintf(f, "%zu", r);
                json_object *row = json_object_array_get_idx(g.matrix, r);
                for (size_t c = 0; c < json_object_array_length(row); c++) {
                    fputc(',', f);
                    csv_cell(f, json_object_array_get_idx(row, c));
                }
                fputc('\n', f);
            }
            return true;
        }
    }
    return false;
}

/* Whether write_csv finds a table in a result. */
static bool has_table(json_object *obj)
{
    json_object_object_foreach(obj, key, val) {
        (void)key;
        if (json_object_is_type(val, json_type_object) && has_table(val))
            return true;
        if (!json_object_is_type(val, json_type_array) || !json_object_array_length(val))
            continue;
        iv_gridmap g;
        if (json_object_is_type(json_object_array_get_idx(val, 0), json_type_object) ||
            iv_gridmap_decode(obj, val, &g))
            return true;
    }
    return false;
}

/* A result with no table: its flat members as key,value lines. */
static void write_csv_pairs(FILE *f, json_object *obj)
{
    fputs("key,value\n", f);
    json_object_object_foreach(obj, key, val) {
        if (json_object_is_type(val, json_type_object))
            continue;
        fprintf(f, "%s,", key);
        csv_cell(f, val);
        fputc('\n', f);
    }
}

/* export model FILE, whose errors name "export model" rather than the command alone. A model
 * trained in this session then is that file: a saved session opens it (by its absolute path). */
static int export_model(iv_workspace *ws, const char *path, iv_error *err)
{
    if (iv_model_save(ws->model, path, err) < 0) {
        iv_error_prefix(err, "export model");
        return IV_ERROR_AS_IS;
    }
    if (ws->model_trained) {
        char *abs = realpath(path, NULL);
        ws->model->path = iv_arena_strdup(ws->model->arena, abs ? abs : path);
        free(abs);
        ws->model_trained = false;
    }
    return 0;
}

IV_HANDLER(iv_cmd_export)
{
    const char *what = argv[0], *path = argv[1];
    if (strcmp(what, "model") == 0)
        return export_model(ws, path, err);
    size_t len = strlen(path);
    bool csv = len > 4 && strcmp(path + len - 4, ".csv") == 0;
    bool json = len > 5 && strcmp(path + len - 5, ".json") == 0;
    if (!csv && !json)
        return iv_error_set(err, "'%s' must end in .csv or .json", path);
    char **words;
    int n = iv_words_split(what, &words, err);
    if (n <= 0 || strcmp(words[0], "export") == 0) {
        if (n >= 0)
            iv_words_free(words);
        /* COMMAND's words do not split: said as for a line of a script, without a prefix. */
        return n < 0 ? IV_ERROR_AS_IS : iv_error_set(err, "name a command whose results to write, "
                                                     "e.g. export effect map.csv");
    }
    json_object *results = json_object_new_array();
    iv_sink capture = {collect, results};
    /* The command is nearly all the work; a cancel that comes as it ends still writes nothing. */
    iv_job_range whole = iv_job_part(ws->job, 0, 0.95);
    int rc = iv_command_run(ws, n, words, &capture, err);
    iv_job_restore(ws->job, whole);
    iv_words_free(words);
    if (rc == 0 && json_object_array_length(results) == 0)
        rc = iv_error_set(err, "'%s' reports nothing to write", what);
    if (rc == 0)
        rc = iv_job_progress(ws->job, 0.95, 1, err);
    iv_atomic_file out;
    FILE *f = rc == 0 ? iv_atomic_open(&out, path, err) : NULL;
    if (rc == 0 && !f)
        rc = -1;
    if (rc == 0) {
        if (json) {
            /* one result as an object; several (show with no site) as an array of them */
            json_object *doc = json_object_array_length(results) == 1
                                   ? json_object_array_get_idx(results, 0) : results;
            fprintf(f, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
        } else {
            /* A command that adds an intervention and reports a fit (inlp, leace) writes the
             * fit's table: when some results have tables, the others are left out. */
            bool tables = false;
            for (size_t i = 0; i < json_object_array_length(results); i++)
                tables |= has_table(json_object_array_get_idx(results, i));
            bool first = true;
            for (size_t i = 0; i < json_object_array_length(results); i++) {
                json_object *r = json_object_array_get_idx(results, i);
                if (tables && !has_table(r))
                    continue;
                if (!first)
                    fputc('\n', f);
                first = false;
                if (!write_csv(f, r))
                    write_csv_pairs(f, r);
            }
        }
        rc = iv_atomic_commit(&out, err);
    }
    json_object_put(results);
    return rc; /* the command's own error, as iv_command_run prefixed it, then "export: " */
}

/* ---- linear regions --------------------------------------------------------------------------- */

#define MAX_REGION_WIDTH 64 /* neurons whose on/off pattern names a region */

/* The on/off pattern of a layer's neurons (pre-activation > 0) on one row, as '0' / '1'. */
static void pattern_of(const float *pre, int width, char *out)
{
    for (int i = 0; i < width; i++)
        out[i] = pre[i] > 0 ? '1' : '0';
    out[width] = '\0';
}

/* The id of a pattern in the table, adding it when new. */
static int region_id(char ***table, int *count, const char *pattern)
{
    for (int i = 0; i < *count; i++)
        if (strcmp((*table)[i], pattern) == 0)
            return i;
    *table = iv_xrealloc(*table, sizeof(char *) * (size_t)(*count + 1));
    (*table)[*count] = iv_xstrdup(pattern);
    return (*count)++;
}

static double id_at(long r, const void *user) { return ((const int *)user)[r]; }

#define PROGRESS_ROWS 4096 /* rows of a loop over the dataset between two progress calls */

/* The region of each row's pattern, reporting progress (done + r of total) as it goes: with many
 * patterns the lookup makes this loop far longer than the pass that fed it. */
static int regions_of(const float *pre, long n, long stride, int width, char ***table, int *count,
                      int *id, iv_job *job, long done, long total, iv_error *err)
{
    char pattern[MAX_REGION_WIDTH + 1];
    for (long r = 0; r < n; r++) {
        if (r % PROGRESS_ROWS == 0 && iv_job_progress(job, (double)(done + r), (double)total,
                                                      err) < 0)
            return -1;
        pattern_of(pre + r * stride * width, width, pattern);
        id[r] = region_id(table, count, pattern);
    }
    return 0;
}

IV_HANDLER(iv_cmd_regions)
{
    const iv_model *m = ws->model;
    int site = iv_model_site_find(m, argv[0]);
    int layer = site < 0 ? -1 : iv_model_site_layer(m, site);
    if (layer < 0)
        return iv_error_set(err, "'%s' is not a layer (e.g. regions h1)", argv[0]);
    int pre = iv_model_layer_pre_site(m, layer);
    int width = iv_model_site_width(m, pre);
    if (width > MAX_REGION_WIDTH)
        return iv_error_set(err, "%s has %d neurons; patterns are shown for at most %d",
                            argv[0], width, MAX_REGION_WIDTH);
    /* The pass takes the first half of the bar, the patterns the second. */
    iv_job_range whole = iv_job_part(ws->job, 0, 0.5);
    iv_acts *acts = iv_workspace_run_data(ws, ws->list, ws->count, err);
    iv_job_restore(ws->job, whole);
    if (!acts)
        return -1;
    long n = ws->data->n, S = acts->n / n;
    int *clean_id = iv_big_alloc((size_t)n, 3 * sizeof(int), "the regions of every example", err);
    if (!clean_id) {
        iv_acts_free(acts);
        return -1;
    }
    int *iv_id = clean_id + n, *flipped = clean_id + 2 * n; /* (n) each, in one block */
    char **table = NULL;
    int count = 0;
    long flips = 0;
    iv_job_range half = iv_job_part(ws->job, 0.5, 1);
    int rc = regions_of(ws->ref_acts->site[pre], n, 1, width, &table, &count, clean_id, ws->job,
                        0, 2 * n, err);
    int clean_count = count;
    if (rc == 0) /* the first sample of each example */
        rc = regions_of(acts->site[pre], n, S, width, &table, &count, iv_id, ws->job, n, 2 * n,
                        err);
    iv_job_restore(ws->job, half);
    for (long r = 0; rc == 0 && r < n; r++) {
        flipped[r] = iv_id[r] != clean_id[r];
        flips += flipped[r];
    }
    char what[80];
    snprintf(what, sizeof what, "a table of %d patterns", count);
    if (rc < 0 || iv_budget_check((double)count * 5 * IV_RESULT_NUMBER_BYTES, what, err) < 0) {
        for (int i = 0; i < count; i++)
            free(table[i]);
        free(table);
        free(clean_id);
        iv_acts_free(acts);
        return -1;
    }
    json_object *obj = json_object_new_object(), *list = json_object_new_array();
    iv_json_set_str(obj, "regions", iv_model_layer_name(m, layer));
    iv_json_set_str(obj, "dataset", ws->data->spec);
    json_object_object_add(obj, "flipped", json_object_new_int64(flips));
    /* Examples per region, counted in one sweep of the rows rather than one per region. */
    long *in_region = iv_xcalloc((size_t)count * 2, sizeof(long)); /* clean, then intervened */
    for (long r = 0; r < n; r++) {
        in_region[clean_id[r]]++;
        in_region[count + iv_id[r]]++;
    }
    for (int i = 0; i < count; i++) {
        json_object *row = json_object_new_object();
        json_object_object_add(row, "region", json_object_new_int(i));
        iv_json_set_str(row, "on", table[i]);
        json_object_object_add(row, "clean", json_object_new_int64(in_region[i]));
        json_object_object_add(row, "intervened", json_object_new_int64(in_region[count + i]));
        iv_json_set_str(row, "new", i >= clean_count ? "new" : "");
        json_object_array_add(list, row);
    }
    free(in_region);
    iv_json_set(obj, "patterns", list);
    if (m->n_inputs == 2 && ws->data->is_grid) {
        /* Three maps over the grid, rows y, columns x: region ids clean and intervened, and 1
         * where the intervention moved the example to another region. */
        const char *titles[3] = {"clean_map", "intervened_map", "flipped_map"};
        int *maps[3] = {clean_id, iv_id, flipped};
        iv_map_shape shape;
        iv_map_shape_of(ws->data, &shape);
        for (int k = 0; k < 3; k++) {
            /* Binned, a cell shows the region of its first point, and whether any point flipped. */
            json_object *map = iv_report_grid_map(ws, &shape);
            iv_json_set(map, k == 2 ? "flipped" : "region",
                        iv_map_matrix(&shape, k == 2 ? IV_MAP_MAX : IV_MAP_FIRST, id_at, maps[k]));
            iv_json_set(obj, titles[k], map);
        }
    }
    for (int i = 0; i < count; i++)
        free(table[i]);
    free(table);
    free(clean_id);
    iv_acts_free(acts);
    iv_emit(sink, IV_RESULT_REGIONS, obj);
    return 0;
}

/* ---- activations over the dataset ------------------------------------------------------------- */

#define MAX_ACTIVATION_ROWS 100000 /* rows reported; export larger sets in pieces of the dataset */

IV_HANDLER(iv_cmd_activations)
{
    const iv_model *m = ws->model;
    int site = iv_model_site_find(m, argv[0]);
    if (site < 0)
        return iv_error_set(err, "unknown site '%s'", argv[0]);
    if (!ws->data)
        return iv_error_set(err, "no reference dataset: set one with 'data'");
    long n = ws->data->n;
    if (n > MAX_ACTIVATION_ROWS)
        return iv_error_set(err, "%ld examples; at most %d are reported", n,
                            MAX_ACTIVATION_ROWS);
    int w = iv_model_site_width(m, site), d = m->n_inputs;
    /* The table is checked before the pass: each number of a result costs far more than 4 bytes. */
    double cells = (double)n * (double)(d + ws->data->n_labels + 2 * w);
    char what[96];
    snprintf(what, sizeof what, "a table of %ld rows x %ld columns", n,
             (long)(d + ws->data->n_labels + 2 * w));
    if (iv_budget_check(cells * IV_RESULT_NUMBER_BYTES, what, err) < 0)
        return -1;
    /* The pass takes the first half of the bar, building the table the second. */
    iv_job_range whole = iv_job_part(ws->job, 0, 0.5);
    iv_acts *acts = iv_workspace_run_data(ws, ws->list, ws->count, err);
    iv_job_restore(ws->job, whole);
    if (!acts)
        return -1;
    long S = acts->n / n;
    json_object *rows = json_object_new_array_ext((int)n);
    for (long r = 0; r < n; r++) {
        if (r % PROGRESS_ROWS == 0 &&
            iv_job_progress(ws->job, 0.5 * (1 + (double)r / (double)n), 1, err) < 0) {
            json_object_put(rows);
            iv_acts_free(acts);
            return -1;
        }
        json_object *row = json_object_new_object();
        for (int i = 0; i < d; i++)
            iv_json_set_num(row, m->input_names[i], ws->data->x[r * d + i]);
        for (int k = 0; k < ws->data->n_labels; k++)
            iv_json_set_num(row, ws->data->label_names[k], ws->data->labels[r * ws->data->n_labels + k]);
        /* one column per neuron, clean and intervened (the first sample when random) */
        for (int j = 0; j < w; j++) {
            char key[160];
            snprintf(key, sizeof key, "%s[%d]", argv[0], j);
            iv_json_set_num(row, key, ws->ref_acts->site[site][r * w + j]);
            snprintf(key, sizeof key, "%s[%d]'", argv[0], j);
            iv_json_set_num(row, key, acts->site[site][(r * S) * w + j]);
        }
        json_object_array_add(rows, row);
    }
    iv_acts_free(acts);
    json_object *obj = json_object_new_object();
    iv_json_set_str(obj, "activations", argv[0]);
    iv_json_set_str(obj, "dataset", ws->data->spec);
    iv_json_set_str(obj, "columns", "inputs, labels, then each neuron clean and (with ') intervened");
    iv_json_set(obj, "rows", rows);
    iv_emit(sink, IV_RESULT_ACTIVATIONS, obj);
    return 0;
}
