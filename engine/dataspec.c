/* dataspec.c - a dataset from the words of a `data` command or from its spec: grid and sample are
 * made by dataset.c, and `load FILE` is read by the format its name tells (formats/formats.h). */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "formats/formats.h"

iv_dataset *iv_dataset_build(int argc, char *const *argv, int n_inputs, char *const *input_names,
                             uint64_t default_seed, iv_error *err)
{
    if (argc < 1) {
        iv_error_set(err, "data: expected grid, sample or load");
        return NULL;
    }
    if (strcmp(argv[0], "grid") == 0)
        return iv_dataset_grid(argc - 1, argv + 1, n_inputs, input_names, err);
    if (strcmp(argv[0], "sample") == 0)
        return iv_dataset_sample(argc - 1, argv + 1, n_inputs, input_names, default_seed, err);
    if (strcmp(argv[0], "load") == 0) {
        if (argc != 2) {
            iv_error_set(err, "load: expected one file name, e.g. load data/points.csv");
            return NULL;
        }
        return iv_dataset_load(argv[1], n_inputs, input_names, err);
    }
    iv_error_set(err, "data: expected grid, sample or load, got '%s'", argv[0]);
    return NULL;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

iv_dataset *iv_dataset_from_spec(const char *spec, int n_inputs, char *const *input_names,
                                 uint64_t default_seed, iv_error *err)
{
    char *copy = iv_xstrdup(spec);
    char **argv = iv_xcalloc(strlen(spec) / 2 + 2, sizeof(char *));
    int argc = 0;
    for (char *p = copy; *p;) {
        while (is_blank(*p))
            *p++ = '\0';
        if (*p)
            argv[argc++] = p;
        while (*p && !is_blank(*p))
            p++;
    }
    iv_dataset *ds = iv_dataset_build(argc, argv, n_inputs, input_names, default_seed, err);
    free(argv);
    free(copy);
    return ds;
}
