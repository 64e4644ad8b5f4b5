/* prompt_data.c - datasets of prompts for transformers (prompt_data.h). */
#include "prompt_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "gpt2.h"
#include "tokenizer.h"

#define MAX_PROMPT_FILE ((size_t)64 << 20)
#define MAX_LABELS 64

/* A dataset being gathered a prompt at a time. */
typedef struct {
    const iv_model *m;
    iv_buf x, labels;   /* floats (n, positions), doubles (n, n_labels) */
    long n;
    int n_labels;
    char *names[MAX_LABELS];
} gather;

/* Adds one prompt (where names it in messages); its tokens must fill the model's positions. */
static int add_prompt(gather *g, const char *text, const char *where, iv_error *err)
{
    const iv_model *m = g->m;
    int *ids = NULL, n = 0;
    if (iv_tokenizer_encode(m->tokenizer, text, &ids, &n, err) < 0) {
        iv_error_prefix(err, "%s", where);
        return -1;
    }
    if (n != m->positions) {
        free(ids);
        return iv_error_set(err, "%s: \"%.60s\" has %d tokens where the model is built for %d "
                            "(positions %d rebuilds it)", where, text, n, m->positions, n);
    }
    for (int p = 0; p < n; p++) {
        if (ids[p] >= m->gpt2->d_vocab) {
            int id = ids[p];
            free(ids);
            return iv_error_set(err, "%s: token %d is past the model's vocabulary of %d", where,
                                id, m->gpt2->d_vocab);
        }
        float v = (float)ids[p];
        iv_buf_append(&g->x, (const char *)&v, sizeof v);
    }
    free(ids);
    if (++g->n > IV_MAX_EXAMPLES)
        return iv_error_set(err, "%s: more than %ld prompts", where, IV_MAX_EXAMPLES);
    return 0;
}

static iv_dataset *finish(gather *g, char *spec, iv_error *err)
{
    if (g->n == 0) {
        iv_error_set(err, "%s: no prompts", spec);
        free(spec);
        return NULL;
    }
    iv_dataset *ds = iv_xcalloc(1, sizeof *ds);
    ds->spec = spec;
    ds->n = g->n;
    ds->d = g->m->n_inputs;
    ds->x = (float *)g->x.data;
    ds->n_labels = g->n_labels;
    if (g->n_labels) {
        ds->label_names = iv_xmalloc(sizeof(char *) * (size_t)g->n_labels);
        memcpy(ds->label_names, g->names, sizeof(char *) * (size_t)g->n_labels);
        ds->labels = (double *)g->labels.data;
    }
    (void)err;
    return ds;
}

static void drop(gather *g)
{
    iv_buf_free(&g->x);
    iv_buf_free(&g->labels);
    for (int i = 0; i < g->n_labels; i++)
        free(g->names[i]);
}

/* ---- a file, one prompt a line ---------------------------------------------------------------- */

static iv_dataset *from_file(const iv_model *m, const char *path, iv_error *err)
{
    size_t len;
    char *text = iv_read_file(path, MAX_PROMPT_FILE, &len, err);
    if (!text)
        return NULL;
    if (memchr(text, '\0', len)) {
        free(text);
        iv_error_set(err, "%s: holds a NUL byte: not a text file of prompts", path);
        return NULL;
    }
    gather g = {.m = m};
    int rc = 0, line_no = 0;
    bool header_seen = false, first = true;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (first && tab && strncmp(line, "prompt\t", 7) == 0) { /* the labels' names */
            for (char *name = tab + 1, *end; name && g.n_labels < MAX_LABELS; name = end) {
                end = strchr(name, '\t');
                if (end)
                    *end++ = '\0';
                g.names[g.n_labels++] = iv_xstrdup(name);
            }
            header_seen = true;
            first = false;
            continue;
        }
        first = false;
        char where[1100];
        snprintf(where, sizeof where, "%s:%d", path, line_no);
        int columns = 0;
        double values[MAX_LABELS];
        for (char *v = tab ? tab + 1 : NULL, *end; v && rc == 0; v = end) {
            end = strchr(v, '\t');
            if (end)
                *end++ = '\0';
            if (columns == MAX_LABELS || iv_parse_double(v, &values[columns]) < 0)
                rc = iv_error_set(err, "%s: label '%s' is not a number", where, v);
            columns++;
        }
        if (tab)
            *tab = '\0';
        if (rc == 0 && g.n == 0 && !header_seen) /* the first prompt sets the columns */
            for (int i = 0; i < columns; i++)
                g.names[g.n_labels++] = iv_xasprintf("label%d", i);
        if (rc == 0 && columns != g.n_labels)
            rc = iv_error_set(err, "%s: %d label values where the file has %d columns", where,
                              columns, g.n_labels);
        if (rc == 0)
            rc = add_prompt(&g, line, where, err);
        if (rc == 0)
            iv_buf_append(&g.labels, (const char *)values, sizeof(double) * (size_t)columns);
    }
    free(text);
    if (rc < 0) {
        drop(&g);
        return NULL;
    }
    return finish(&g, iv_xasprintf("prompts %s", path), err);
}

/* ---- a template with slots -------------------------------------------------------------------- */

typedef struct {
    char name[32];
    char **values;
    int n;
} slot;

/* Splits "A=Mary,John" into a slot; the values are the words between commas, kept as written. */
static int read_slot(const char *word, slot *s, iv_error *err)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word || (size_t)(eq - word) >= sizeof s->name)
        return iv_error_set(err, "template: '%s' is not SLOT=VALUE,VALUE,...", word);
    snprintf(s->name, sizeof s->name, "%.*s", (int)(eq - word), word);
    char *copy = iv_xstrdup(eq + 1);
    s->n = 0;
    for (char *v = copy, *end; v; v = end) {
        end = strchr(v, ',');
        if (end)
            *end++ = '\0';
        s->values = iv_xrealloc(s->values, sizeof(char *) * (size_t)(s->n + 1));
        s->values[s->n++] = iv_xstrdup(v);
    }
    free(copy);
    return 0;
}

/* TEXT with each {SLOT} replaced by its value of filling `pick` (one index per slot). */
static char *fill(const char *text, const slot *slots, int n, const int *pick, iv_error *err)
{
    iv_buf b = {0};
    iv_buf_append(&b, "", 0);
    for (const char *p = text; *p;) {
        if (*p != '{') {
            iv_buf_append(&b, p++, 1);
            continue;
        }
        const char *close = strchr(p, '}');
        int k = 0;
        while (close && k < n && !((size_t)(close - p - 1) == strlen(slots[k].name) &&
                                   strncmp(p + 1, slots[k].name, (size_t)(close - p - 1)) == 0))
            k++;
        if (!close || k == n) {
            iv_error_set(err, "template: '%.*s' names no slot given (give it as NAME=a,b,...)",
                         close ? (int)(close - p + 1) : (int)strlen(p), p);
            iv_buf_free(&b);
            return NULL;
        }
        iv_buf_append(&b, slots[k].values[pick[k]], strlen(slots[k].values[pick[k]]));
        p = close + 1;
    }
    return b.data;
}

static iv_dataset *from_template(const iv_model *m, int argc, char *const *argv, iv_error *err)
{
    if (argc < 2) {
        iv_error_set(err, "template: expected \"TEXT with {SLOT}s\" SLOT=a,b,... for each slot");
        return NULL;
    }
    int n = argc - 2;
    if (n > MAX_LABELS) {
        iv_error_set(err, "template: more than %d slots", MAX_LABELS);
        return NULL;
    }
    slot *slots = iv_xcalloc((size_t)(n ? n : 1), sizeof *slots);
    int rc = 0;
    double total = 1;
    for (int k = 0; k < n && rc == 0; k++) {
        rc = read_slot(argv[2 + k], &slots[k], err);
        total *= slots[k].n;
    }
    if (rc == 0 && total > IV_MAX_TEMPLATE_PROMPTS)
        rc = iv_error_set(err, "template: %.0f fillings, more than %ld", total,
                          IV_MAX_TEMPLATE_PROMPTS);
    gather g = {.m = m};
    int *pick = iv_xcalloc((size_t)(n ? n : 1), sizeof(int));
    for (int k = 0; k < n && rc == 0; k++)
        g.names[g.n_labels++] = iv_xstrdup(slots[k].name);
    for (long f = 0; f < (long)total && rc == 0; f++) {
        char *text = fill(argv[1], slots, n, pick, err);
        if (!text) {
            rc = -1;
            break;
        }
        char where[64];
        snprintf(where, sizeof where, "template, filling %ld", f);
        rc = add_prompt(&g, text, where, err);
        free(text);
        for (int k = 0; k < n && rc == 0; k++) {
            double v = pick[k];
            iv_buf_append(&g.labels, (const char *)&v, sizeof v);
        }
        for (int k = 0; k < n && ++pick[k] == slots[k].n; k++) /* the first slot fastest */
            pick[k] = 0;
    }
    /* the spec: the words as given, the text quoted */
    iv_buf spec = {0};
    iv_buf_printf(&spec, "template \"%s\"", argv[1]);
    for (int k = 0; k < n; k++)
        iv_buf_printf(&spec, " %s", argv[2 + k]);
    for (int k = 0; k < n; k++) {
        for (int v = 0; v < slots[k].n; v++)
            free(slots[k].values[v]);
        free(slots[k].values);
    }
    free(slots);
    free(pick);
    if (rc < 0) {
        drop(&g);
        iv_buf_free(&spec);
        return NULL;
    }
    return finish(&g, spec.data, err);
}

iv_dataset *iv_prompt_dataset(const iv_model *m, int argc, char *const *argv, bool *handled,
                              iv_error *err)
{
    *handled = argc >= 1 && (strcmp(argv[0], "prompts") == 0 || strcmp(argv[0], "template") == 0);
    if (!*handled)
        return NULL;
    if (!m->gpt2 || !m->tokenizer) {
        iv_error_set(err, "%s: %s", argv[0], !m->gpt2 ? "datasets of prompts are for transformers"
                                                        : "the model has no tokenizer");
        return NULL;
    }
    if (strcmp(argv[0], "template") == 0)
        return from_template(m, argc, argv, err);
    if (argc != 2) {
        iv_error_set(err, "prompts: expected one file name, e.g. prompts ioi.txt");
        return NULL;
    }
    return from_file(m, argv[1], err);
}
