/* blas_core.c - OpenBLAS's kernels matched to the CPU when OpenBLAS could not tell what it is.
 *
 * OpenBLAS picks its kernels from the CPU's model number when it loads. A virtual machine may
 * report a model it does not know, and it then falls back to its oldest x86-64 kernels (SSE3,
 * "Prescott"), though the CPU has AVX-512: every sgemm runs at a fifth of the speed (38 against
 * 207 GFLOP/s measured on a 2-core machine of that kind). The choice is made before main runs and
 * is read from OPENBLAS_CORETYPE only then, so the program starts itself again with that variable
 * set to the kernels the CPU's instructions allow. Nothing happens when the variable is set
 * already (the user's choice, or the second start), when the BLAS is not OpenBLAS, or when
 * OpenBLAS chose kernels of its own that are not the fallback. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blas_core.h"

/* The kernels the CPU's instructions allow, best first; NULL when none is better than SSE3. */
static const char *kernels_for_cpu(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

/* Whether OpenBLAS's choice is one of its generic fallbacks, older than AVX2. */
static bool fallback_kernels(const char *name)
{
    static const char *const old[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                      "Atom", "Katmai", "Coppermine", "Northwood", "Banias",
                                      "Generic", "Unknown"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
        if (strcasecmp(name, old[i]) == 0)
            return true;
    return false;
}

void ui_blas_core_fix(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return;
    char *(*corename)(void);
    *(void **)&corename = dlsym(RTLD_DEFAULT, "openblas_get_corename"); /* POSIX's way */
    const char *better = kernels_for_cpu();
    if (!corename || !better || !fallback_kernels(corename()))
        return;
    if (setenv("OPENBLAS_CORETYPE", better, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* The program could not be started again: it runs on as it is, only slower. */
}
