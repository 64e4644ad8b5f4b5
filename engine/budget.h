/* budget.h - the memory budget, and large allocations that fail with a message instead of aborting.
 *
 * Every large block (a dataset, the activations of a pass, a map, a matrix) is taken through
 * iv_big_alloc: a request over the limit is refused at once with the size it needs, the limit and
 * the command that changes it, and a request the system cannot meet is reported the same way. Small
 * allocations still go through iv_xmalloc and its siblings (util.h), which abort.
 *
 * The limit and the test hook below are the engine's only process-wide state: like a ulimit they
 * belong to the process, not to one workspace, and the fuzzers and tests set them once. */
#ifndef IV_BUDGET_H
#define IV_BUDGET_H

#include <stddef.h>

#include "util.h"

#define IV_DEFAULT_MEMORY_LIMIT ((size_t)2 << 30)
/* What one number of a result (a JSON value in a table or map) costs in memory, about: results
 * whose size follows the data are checked against the limit with it before they are built. */
#define IV_RESULT_NUMBER_BYTES 128

size_t iv_memory_limit(void);
void iv_memory_limit_set(size_t bytes);
/* The working memory of one chunk of a pass over a dataset (pass.h): a pass over more rows than
 * fit runs in chunks of this size, so its memory does not grow with the dataset or the samples. */
#define IV_DEFAULT_PASS_LIMIT ((size_t)256 << 20)
size_t iv_pass_limit(void);
void iv_pass_limit_set(size_t bytes);

/* count * size bytes, zeroed, for `what` (e.g. "the activations of 10000 examples"); NULL with a
 * message when the product overflows, is over the limit, or cannot be had. Free with free(). */
void *iv_big_alloc(size_t count, size_t size, const char *what, iv_error *err);
/* Grows a large block the same way; on failure p is left as it was. */
void *iv_big_realloc(void *p, size_t count, size_t size, const char *what, iv_error *err);
/* Fails with the same message as iv_big_alloc when `bytes` is over the limit (for a request that
 * is checked before the work that would allocate it starts). */
int iv_budget_check(double bytes, const char *what, iv_error *err);

/* Test hook (sqlite's way of testing out-of-memory paths): the nth large allocation from now on
 * fails as if the system had refused it; 0 turns the hook off. iv_big_alloc_count tells how many
 * large allocations have been made so far, so a test can walk n over all of them. */
void iv_fault_inject(long nth);
long iv_big_alloc_count(void);

/* Sizes in words: "512M", "4G", "1.5G", "100000000" (bytes); K, M, G and T are powers of 1024. */
int iv_parse_size(const char *text, size_t *bytes);
/* "1.2 GiB", "340 MiB", "12 KiB", "800 bytes". */
void iv_format_size(char *buf, size_t n, double bytes);

#endif
