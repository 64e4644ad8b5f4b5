/* llmc.h - GPT-2 checkpoints as llm.c writes them (gpt2_124M.bin, gpt2_124M_bf16.bin): a
 * 1024-byte header of 256 int32 and then every weight, in llm.c's order (llmc.c describes the
 * layout). Versions 3 (float32) and 5 (bfloat16), with the vocabulary padded, are what llm.c
 * writes today; version 1 (float32, unpadded) is read too; versions 2 and 4, bfloat16 files of a
 * few days in April 2024 that kept the layer norms in float32, are refused with a message saying
 * how to export them again.
 *
 * llm.c's GPT-2 ties the unembedding to the token embedding, uses the tanh GELU, layer norms
 * with epsilon 1e-5 and an MLP 4 times the width. The weights are stored (out, in) already. */
#ifndef IV_LLMC_H
#define IV_LLMC_H

#include "gpt2.h"

#define IV_LLMC_MAGIC 20240326 /* the first int32 of a model checkpoint */
#define IV_LLMC_HEADER_BYTES 1024

typedef struct iv_gpt2_llmc_file iv_gpt2_llmc_file;

/* Opens a checkpoint and fills *cfg: the header checked, and the file's size against it exactly.
 * NULL with a one-line message naming the file on error. */
iv_gpt2_llmc_file *iv_gpt2_llmc_open(const char *path, iv_gpt2_config *cfg, iv_error *err);
/* Its tensors, by the names of gpt2.h; valid while the file is open. */
iv_gpt2_source iv_gpt2_llmc_source(iv_gpt2_llmc_file *f);
/* The header's version (1, 3 or 5) and padded vocabulary (the rows of its wte). */
int iv_gpt2_llmc_version(const iv_gpt2_llmc_file *f);
int iv_gpt2_llmc_padded_vocab(const iv_gpt2_llmc_file *f);
void iv_gpt2_llmc_close(iv_gpt2_llmc_file *f);

/* Opens, builds and closes, with the tokenizer found beside the file (iv_gpt2_load_finish); an
 * llm.c checkpoint carries no prompt. */
iv_model *iv_model_load_llmc(const char *path, iv_error *err);

/* Whether the file is one: its name ends in .bin and its first int32 is IV_LLMC_MAGIC. */
bool iv_llmc_is_checkpoint(const char *path);

#endif
