/* formats.h - the one dispatch over the file formats: a model opened or written by its file's name,
 * and a dataset read by its file's name. The commands (and the `data` command's words, dataspec.c)
 * go through here and nowhere else, so a format is added in one place; each format's own header
 * (text.h, onnx.h, safetensors.h, npy.h, csv.h) is for the tests and fuzzers that drive one reader
 * directly. The engine's core never includes this: formats sit above the model and the dataset,
 * not beside them. */
#ifndef IV_FORMATS_H
#define IV_FORMATS_H

#include "dataset.h"
#include "model.h"

/* Opens a model by its name: "builtin:max" is the built-in lecture network; a HuggingFace GPT-2
 * checkpoint (a directory holding config.json, config.json itself, or model.safetensors beside
 * one) and an llm.c .bin starting with its magic are read as GPT-2 (gpt2_hf.h, llmc.h); other
 * .onnx and .safetensors files are read as such, anything else as the text format. NULL with a
 * message naming the file. */
iv_model *iv_model_load(const char *path, iv_error *err);
/* Writes a model by its name, whole or not at all: FILE.nn in the text format, FILE.safetensors as
 * safetensors with its architecture in the metadata; any other name is refused. Returns 0 or -1. */
int iv_model_save(const iv_model *m, const char *path, iv_error *err);

/* The max(x, y) network of the lecture, parsed from the same text as sample_models/max.nn. */
iv_model *iv_model_builtin_max(void);
const char *iv_model_builtin_max_text(void);

/* Reads a dataset by its name (`data load FILE`): .npy and .npz as NumPy's (npy.h), anything
 * else as CSV (csv.h). The inputs are matched to the model's input_names. */
iv_dataset *iv_dataset_load(const char *path, int n_inputs, char *const *input_names,
                            iv_error *err);

#endif
