/* budget.c - the memory limit, checked large allocations and the allocation-failure test hook. */
#include "budget.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t memory_limit = IV_DEFAULT_MEMORY_LIMIT;
/* Atomic: compare's helper thread allocates too. */
static atomic_long big_allocs; /* large allocations made so far */
static atomic_long fail_at;    /* the value of big_allocs at which one fails; 0 for none */

static size_t pass_limit = IV_DEFAULT_PASS_LIMIT;

size_t iv_pass_limit(void) { return pass_limit; }
void iv_pass_limit_set(size_t bytes) { pass_limit = bytes; }

size_t iv_memory_limit(void) { return memory_limit; }
void iv_memory_limit_set(size_t bytes) { memory_limit = bytes; }
void iv_fault_inject(long nth)
{
    atomic_store(&fail_at, nth > 0 ? atomic_load(&big_allocs) + nth : 0);
}
long iv_big_alloc_count(void) { return atomic_load(&big_allocs); }

void iv_format_size(char *buf, size_t n, double bytes)
{
    static const char *unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, n, "%.0f bytes", bytes);
        return;
    }
    int u = -1;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int iv_budget_check(double bytes, const char *what, iv_error *err)
{
    if (bytes <= (double)memory_limit)
        return 0;
    char limit[32];
    iv_format_size(limit, sizeof limit, (double)memory_limit);
    if (!isfinite(bytes) || bytes > 1e18)
        return iv_error_set(err, "%s would need more memory than any machine has (the limit is %s)",
                            what, limit);
    /* Suggest a limit that would let this request through, in round figures. */
    char need[32], raise[32];
    iv_format_size(need, sizeof need, bytes);
    double mib = ceil(bytes / (1 << 20));
    if (mib < 1024)
        snprintf(raise, sizeof raise, "%.0fM", ceil(mib / 128) * 128);
    else
        snprintf(raise, sizeof raise, "%.0fG", ceil(bytes / (1 << 30)));
    return iv_error_set(err, "%s would need %s, more than the memory limit of %s (raise it with "
                        "'limit memory %s')", what, need, limit, raise);
}

/* Counts the allocation, and tells whether the test hook makes it fail. */
static int take_one(size_t bytes, const char *what, iv_error *err)
{
    if (iv_budget_check((double)bytes, what, err) < 0)
        return -1;
    long armed = atomic_fetch_add(&big_allocs, 1) + 1; /* fails when fail_at is this one */
    if (atomic_compare_exchange_strong(&fail_at, &armed, 0)) {
        char need[32];
        iv_format_size(need, sizeof need, (double)bytes);
        return iv_error_set(err, "out of memory: %s needs %s (injected failure)", what, need);
    }
    return 0;
}

static int overflows(size_t count, size_t size, const char *what, iv_error *err)
{
    if (size && count > SIZE_MAX / size)
        return iv_budget_check(INFINITY, what, err);
    return 0;
}

static int refused(size_t bytes, const char *what, iv_error *err)
{
    char need[32];
    iv_format_size(need, sizeof need, (double)bytes);
    return iv_error_set(err, "out of memory: %s needs %s, which this machine cannot give now", what,
                        need);
}

void *iv_big_alloc(size_t count, size_t size, const char *what, iv_error *err)
{
    if (overflows(count, size, what, err) < 0 || take_one(count * size, what, err) < 0)
        return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        refused(count * size, what, err);
    return p;
}

void *iv_big_realloc(void *p, size_t count, size_t size, const char *what, iv_error *err)
{
    if (overflows(count, size, what, err) < 0 || take_one(count * size, what, err) < 0)
        return NULL;
    size_t bytes = count * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        refused(count * size, what, err);
    return q;
}

int iv_parse_size(const char *text, size_t *bytes)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v) || v < 0)
        return -1;
    double scale = 1;
    if (*end) {
        const char *units = "KMGT";
        const char *u = strchr(units, *end >= 'a' && *end <= 'z' ? *end - 32 : *end);
        if (!u || !*u)
            return -1;
        scale = pow(1024, (double)(u - units + 1));
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return -1;
    }
    double b = v * scale;
    if (b < 1 || b > 9.0e18)
        return -1;
    *bytes = (size_t)b;
    return 0;
}
