/* csv.h - reference datasets read from CSV files. */
#ifndef IV_CSV_H
#define IV_CSV_H

#include "dataset.h"

/* `load FILE.csv`: the header row names the columns; every input must be present; other numeric
 * columns become labels. Errors name FILE:LINE (and the column). */
iv_dataset *iv_dataset_load_csv(const char *path, int n_inputs, char *const *input_names,
                                iv_error *err);

#endif
