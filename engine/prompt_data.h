/* prompt_data.h - a transformer's datasets of prompts, tokenised by its tokenizer:
 *   prompts FILE                   one prompt a line; after a tab, numbers that become label
 *                                  columns, named by a first line "prompt<TAB>NAME<TAB>..."
 *                                  (label0, label1, ... without one); blank lines and lines
 *                                  starting with # are skipped
 *   template "TEXT" SLOT=a,b,...   every filling of the {SLOT}s of TEXT, the first slot varying
 *                                  fastest; each slot is also a label column, its value's index
 * Every prompt must have the model's number of positions (`positions N` changes it). The spec is
 * the words given ("prompts FILE", 'template "TEXT" A=...'), which rebuild the dataset. */
#ifndef IV_PROMPT_DATA_H
#define IV_PROMPT_DATA_H

#include "dataset.h"
#include "model.h"

#define IV_MAX_TEMPLATE_PROMPTS 1000000L

/* The dataset the words after `data` name when they are `prompts ...` or `template ...`; NULL
 * with *handled false for any other words, NULL with a message on error. */
iv_dataset *iv_prompt_dataset(const iv_model *m, int argc, char *const *argv, bool *handled,
                              iv_error *err);

#endif
