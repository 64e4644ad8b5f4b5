/* blas_core.h - starting again with OpenBLAS's kernels matched to the CPU (blas_core.c). */
#ifndef IV_BLAS_CORE_H
#define IV_BLAS_CORE_H

/* When OpenBLAS fell back to its oldest kernels on a CPU with AVX2 or AVX-512, and
 * OPENBLAS_CORETYPE is not set: sets it and starts the program again with the same arguments
 * (returns only when it does not). Call first thing in main, before any thread is started. */
void ui_blas_core_fix(char **argv);

#endif
