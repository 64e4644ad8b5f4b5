/* csv.c - reference datasets read from CSV files (`data load FILE.csv`): a header row naming the
 * columns, then one row of numbers per example. The model's inputs are picked out by name, in the
 * model's order, and every other column becomes a label. Blank and '#' lines are skipped, and a
 * field may carry blanks and one pair of quotes, as spreadsheet exports write them; anything else
 * (a missing input, a repeated column, a short row, a field that is not a finite number) is
 * refused with its FILE:LINE and column. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "files.h"

#define CSV_MAX_BYTES ((size_t)1 << 30)

/* The index of name among the first n names, or -1. */
static int find_name(const char *name, int n, char *const *names)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

typedef struct csv {
    const char *path;
    int line;          /* 1-based number of the line being read */
    int n_cols;
    char **fields;     /* (n_cols) fields of the current line, pointing into the text */
    char **col_names;  /* (n_cols) copies of the header's names */
    int d;
    int *input_col;    /* (d) column of each model input */
    int n_labels;
    int *label_col;    /* (n_labels) column of each label */
    long n, cap;       /* rows read and allocated */
    float *x;
    double *labels;
} csv;

static void csv_free(csv *c)
{
    for (int i = 0; i < c->n_cols; i++)
        free(c->col_names[i]);
    free(c->col_names);
    free(c->fields);
    free(c->input_col);
    free(c->label_col);
    free(c->x);
    free(c->labels);
}

/* Trims blanks and one pair of surrounding double quotes, as spreadsheet exports write them. */
static char *trim_field(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"' && !memchr(s + 1, '"', n - 2)) {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

/* Splits a line in place at its commas; stores at most max fields and returns how many there are. */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    for (;;) {
        char *comma = strchr(line, ',');
        if (comma)
            *comma = '\0';
        if (n < max)
            fields[n] = trim_field(line);
        n++;
        if (!comma)
            return n;
        line = comma + 1;
    }
}

static int csv_header(csv *c, char *line, int n_inputs, char *const *input_names, iv_error *err)
{
    int n_cols = 1;
    for (const char *p = line; *p; p++)
        n_cols += *p == ',';
    c->n_cols = n_cols;
    c->fields = iv_xcalloc((size_t)n_cols, sizeof(char *));
    c->col_names = iv_xcalloc((size_t)n_cols, sizeof(char *));
    split_fields(line, c->fields, n_cols);
    for (int i = 0; i < n_cols; i++) {
        c->col_names[i] = iv_xstrdup(c->fields[i]);
        if (!*c->fields[i])
            return iv_error_set(err, "%s:%d: column %d has no name", c->path, c->line, i + 1);
        if (find_name(c->fields[i], i, c->col_names) >= 0)
            return iv_error_set(err, "%s:%d: column '%s' appears twice", c->path, c->line,
                                c->fields[i]);
    }
    c->d = n_inputs;
    c->input_col = iv_xcalloc((size_t)n_inputs + 1, sizeof(int));
    for (int j = 0; j < n_inputs; j++) {
        c->input_col[j] = find_name(input_names[j], n_cols, c->col_names);
        if (c->input_col[j] < 0) {
            char *list = iv_dataset_join_names(n_inputs, input_names);
            iv_error_set(err, "%s:%d: no column '%s' (the model's inputs are %s)", c->path, c->line,
                         input_names[j], list);
            free(list);
            return -1;
        }
    }
    /* Whatever is not an input is a label. */
    c->label_col = iv_xcalloc((size_t)n_cols, sizeof(int));
    for (int i = 0; i < n_cols; i++)
        if (find_name(c->col_names[i], n_inputs, input_names) < 0)
            c->label_col[c->n_labels++] = i;
    return 0;
}

/* Doubles the room for rows; the old rows stay where they are when the room cannot be had. */
static int csv_grow(csv *c, iv_error *err)
{
    long cap = c->cap ? 2 * c->cap : 1024;
    if (cap > IV_MAX_EXAMPLES)
        cap = IV_MAX_EXAMPLES;
    char what[300];
    snprintf(what, sizeof what, "%s: %ld rows", c->path, cap);
    float *x = iv_big_realloc(c->x, (size_t)cap * (size_t)c->d, sizeof(float), what, err);
    if (!x)
        return -1;
    c->x = x;
    if (c->n_labels) {
        double *labels = iv_big_realloc(c->labels, (size_t)cap * (size_t)c->n_labels,
                                        sizeof(double), what, err);
        if (!labels)
            return -1;
        c->labels = labels;
    }
    c->cap = cap;
    return 0;
}

/* Reads the number in column col of the current line. */
static int csv_number(csv *c, int col, double *out, iv_error *err)
{
    const char *text = c->fields[col];
    if (iv_parse_double(text, out) == 0)
        return 0;
    return iv_error_set(err, "%s:%d: column '%s': '%s' is not a finite number", c->path, c->line,
                        c->col_names[col], text);
}

static int csv_row(csv *c, char *line, iv_error *err)
{
    int n = split_fields(line, c->fields, c->n_cols);
    if (n != c->n_cols)
        return iv_error_set(err, "%s:%d: expected %d fields (as in the header), found %d", c->path,
                            c->line, c->n_cols, n);
    if (c->n == IV_MAX_EXAMPLES)
        return iv_error_set(err, "%s:%d: more than %ld rows", c->path, c->line, IV_MAX_EXAMPLES);
    if (c->n == c->cap && csv_grow(c, err) < 0)
        return -1;
    for (int j = 0; j < c->d; j++) {
        double v;
        if (csv_number(c, c->input_col[j], &v, err) != 0)
            return -1;
        c->x[c->n * c->d + j] = (float)v;
    }
    for (int k = 0; k < c->n_labels; k++)
        if (csv_number(c, c->label_col[k], &c->labels[c->n * c->n_labels + k], err) != 0)
            return -1;
    c->n++;
    return 0;
}

static bool is_skipped_line(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    return *line == '\0' || *line == '#';
}

/* Walks the lines, skipping blank and '#' lines: the first other line is the header. */
static int csv_parse(csv *c, char *text, int n_inputs, char *const *input_names, iv_error *err)
{
    bool have_header = false;
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3; /* a UTF-8 byte order mark, as some spreadsheets write */
    for (char *p = text; *p;) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p += strlen(p);
        }
        c->line++;
        if (is_skipped_line(line))
            continue;
        int rc = have_header ? csv_row(c, line, err)
                             : csv_header(c, line, n_inputs, input_names, err);
        if (rc != 0)
            return -1;
        have_header = true;
    }
    if (!have_header)
        return iv_error_set(err, "%s: empty file (expected a header row naming the columns)",
                            c->path);
    if (c->n == 0)
        return iv_error_set(err, "%s: no data rows after the header", c->path);
    return 0;
}

/* Moves the parsed rows and label names into a dataset; c keeps nothing it would free twice. */
static iv_dataset *csv_to_dataset(csv *c)
{
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->n = c->n;
    ds->d = c->d;
    ds->x = c->x;
    c->x = NULL;
    ds->spec = iv_xasprintf("load %s", c->path);
    ds->n_labels = c->n_labels;
    if (c->n_labels) {
        ds->labels = c->labels;
        c->labels = NULL;
        ds->label_names = iv_xcalloc((size_t)c->n_labels, sizeof(char *));
        for (int k = 0; k < c->n_labels; k++)
            ds->label_names[k] = iv_xstrdup(c->col_names[c->label_col[k]]);
    }
    return ds;
}

iv_dataset *iv_dataset_load_csv(const char *path, int n_inputs, char *const *input_names,
                                iv_error *err)
{
    char *text = iv_read_file(path, CSV_MAX_BYTES, NULL, err);
    if (!text)
        return NULL;
    csv c = {.path = path};
    iv_dataset *ds = NULL;
    if (csv_parse(&c, text, n_inputs, input_names, err) == 0)
        ds = csv_to_dataset(&c);
    csv_free(&c);
    free(text);
    return ds;
}
