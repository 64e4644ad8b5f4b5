/* tokenizer.h - text to token ids and back, for transformers: GPT-2's byte-level BPE (vocab.json +
 * merges.txt, as HuggingFace and OpenAI ship them) and a plain word-level vocabulary (one token a
 * line, for toy models). */
#ifndef IV_TOKENIZER_H
#define IV_TOKENIZER_H

#include "util.h"

typedef struct iv_tokenizer iv_tokenizer;

#define IV_TOKENIZER_MAX_VOCAB 1000000
#define IV_TOKENIZER_MAX_TOKENS 65536 /* tokens one text may encode to */

/* GPT-2's byte-level BPE. NULL with a message naming the file (and line or JSON key) on error. */
iv_tokenizer *iv_tokenizer_load_bpe(const char *vocab_json, const char *merges_txt, iv_error *err);
/* A word-level vocabulary: line k (from 0) is token k's text; blank lines and duplicates are
 * errors naming the line. Texts are split on whitespace, each word one token. */
iv_tokenizer *iv_tokenizer_load_words(const char *path, iv_error *err);
/* The tokenizer kept beside a checkpoint in directory dir: vocab.json + merges.txt, else
 * tokens.txt. NULL with *found false when there is none; NULL with *found true and a message when
 * one is there but cannot be read. */
iv_tokenizer *iv_tokenizer_load_dir(const char *dir, bool *found, iv_error *err);
void iv_tokenizer_free(iv_tokenizer *t);

/* "bpe" or "words". */
const char *iv_tokenizer_kind(const iv_tokenizer *t);
int iv_tokenizer_vocab_size(const iv_tokenizer *t);
/* Encodes text into *ids (caller frees) and its count into *n. Returns 0, or -1 with a message
 * (a word the vocabulary lacks, naming it; invalid UTF-8 for BPE; more than
 * IV_TOKENIZER_MAX_TOKENS tokens). A special token written out in the text ("<|endoftext|>", any
 * vocabulary entry of the form <|...|>) is that token. */
int iv_tokenizer_encode(const iv_tokenizer *t, const char *text, int **ids, int *n, iv_error *err);
/* A token's text as it reads (BPE's bytes decoded: " Mary" with its leading space), in the
 * tokenizer's memory; NULL for an id out of range. */
const char *iv_tokenizer_token(const iv_tokenizer *t, int id);
/* The id of a token given by its text as iv_tokenizer_token writes it, or -1. */
int iv_tokenizer_find(const iv_tokenizer *t, const char *token);
/* The text of n ids joined (words with spaces between them); caller frees. Ids out of range are
 * written as <id N>. */
char *iv_tokenizer_decode(const iv_tokenizer *t, const int *ids, int n);

#endif
