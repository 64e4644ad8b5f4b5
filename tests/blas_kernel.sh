#!/bin/sh
# blas_kernel.sh - the OpenBLAS kernel the test suite pins (printed for OPENBLAS_CORETYPE), or
# nothing to leave OpenBLAS to choose.
#
# Float sums rounded by one set of kernels differ from another's in the last bit, and a few
# recorded results carry that bit: a screen's six-digit value, a training trajectory that a
# thousand Adam steps amplify. The results were recorded with the AVX-512 (SkylakeX) kernels, so
# every machine that can run them runs them. OpenBLAS does not always recognise a virtual CPU's
# model and then picks another set of kernels, though the instructions are there.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
for f in avx512f avx512cd avx512bw avx512dq avx512vl; do
    case " $flags " in
    *" $f "*) ;;
    *) exit 0 ;;
    esac
done
echo SkylakeX
