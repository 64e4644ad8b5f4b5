#!/usr/bin/env bash
# build.sh - builds the libFuzzer targets with clang: one program per parser, fuzz_NAME.c linked
# with the engine (and, for the demo and keys targets, the explorer's code) compiled again with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer, since the automake build uses gcc.
#
#   build.sh SRCDIR BUILDDIR [NAME...]   builds BUILDDIR/fuzz/fuzz_NAME (every target without NAMEs)
#   build.sh --probe                     exits 0 when clang can build a libFuzzer program
#   build.sh --list                      prints the targets' names
#
# `make fuzz` runs it with the flags configure found (JSONC_CFLAGS, JSONC_LIBS, ...) in the
# environment; run by hand, it asks pkg-config. FUZZ_CC names the compiler (default clang), and
# FUZZ_SANITIZE replaces the sanitizer flags (e.g. to let a known finding recover while hunting
# others). Objects are rebuilt when their source, a header they include or the flags changed.
# shellcheck disable=SC2086,SC2013 # flag lists and dependency files are meant to split into words
set -uo pipefail

cc=${FUZZ_CC:-clang}
sanitize=${FUZZ_SANITIZE:-"-fsanitize=address,undefined -fno-sanitize-recover=all"}
targets_all=(model onnx safetensors npy npz csv command session demo tokenizer gpt2_hf llmc keys shards)

probe() {
    local dir rc
    dir=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$dir/probe.c"
    "$cc" -fsanitize=fuzzer $sanitize "$dir/probe.c" -o "$dir/probe" >/dev/null 2>&1 &&
        "$dir/probe" -runs=1 >/dev/null 2>&1
    rc=$?
    rm -rf "$dir"
    return $rc
}

case ${1:-} in
--probe) probe; exit ;;
--list) echo "${targets_all[*]}"; exit 0 ;;
esac
if (($# < 2)); then
    echo "usage: $0 SRCDIR BUILDDIR [NAME...] | --probe | --list" >&2
    exit 2
fi
src=$(cd "$1" && pwd) && build=$(cd "$2" && pwd) || exit 2
shift 2
targets=("$@")
((${#targets[@]})) || targets=("${targets_all[@]}")

if ! probe; then
    echo "$0: $cc cannot build a libFuzzer program (install clang and libclang-rt-dev)" >&2
    exit 1
fi
if [[ ! -f $build/config.h || ! -f $build/onnx.pb-c.c ]]; then
    echo "$0: $build has no config.h or onnx.pb-c.c: configure it and run 'make onnx.pb-c.h'" >&2
    exit 1
fi

# Flags of the libraries, as configure found them, else from pkg-config.
flags() { # VAR PKG-CONFIG-ARGS...
    local var=$1; shift
    if [[ -n ${!var+set} ]]; then printf '%s' "${!var}"; else pkg-config "$@" 2>/dev/null; fi
}
engine_cflags="$(flags JSONC_CFLAGS --cflags json-c) $(flags LAPACKE_CFLAGS --cflags lapacke)
    $(flags BLAS_CFLAGS --cflags blas) $(flags PROTOBUFC_CFLAGS --cflags libprotobuf-c)
    $(flags LIBZIP_CFLAGS --cflags libzip) $(flags PCRE2_CFLAGS --cflags libpcre2-8)"
ui_cflags="$(flags NCURSESW_CFLAGS --cflags ncursesw) $(flags READLINE_CFLAGS --cflags readline)"
engine_libs="$(flags JSONC_LIBS --libs json-c) $(flags LAPACKE_LIBS --libs lapacke)
    $(flags BLAS_LIBS --libs blas) $(flags PROTOBUFC_LIBS --libs libprotobuf-c)
    $(flags LIBZIP_LIBS --libs libzip) $(flags PCRE2_LIBS --libs libpcre2-8) -lm"
ui_libs="$(flags READLINE_LIBS --libs readline) $(flags NCURSESW_LIBS --libs ncursesw)"

cflags="-std=c11 -g -O1 -fno-omit-frame-pointer $sanitize -include $build/config.h
    -I$src/engine -I$src/ui -I$build -I$src/tests/fuzz $engine_cflags"
warn="-Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes"
out=$build/fuzz
obj=$out/obj
mkdir -p "$obj"
# Other flags make every object stale.
if [[ $(cat "$obj/flags" 2>/dev/null) != "$cc $cflags" ]]; then
    rm -f "$obj"/*.o "$obj"/*.d "$out"/fuzz_*
    printf '%s' "$cc $cflags" >"$obj/flags"
fi

# An object is stale when it is missing or older than anything its dependency file lists.
stale() { # OBJECT
    local o=$1 f
    [[ -f $o && -f ${o%.o}.d ]] || return 0
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "${o%.o}.d"); do
        [[ $f == *: ]] && continue
        [[ $f -nt $o ]] && return 0
    done
    return 1
}

failed=0
jobs_running=0
compile() { # SOURCE OBJECT [EXTRA FLAGS...]
    local s=$1 o=$2; shift 2
    stale "$o" || return 0
    if ((jobs_running >= ${FUZZ_BUILD_JOBS:-2})); then
        wait -n || failed=1
        jobs_running=$((jobs_running - 1))
    fi
    echo "  CC (fuzz) ${s#"$src"/}"
    "$cc" $cflags "$@" -fsanitize=fuzzer-no-link -MMD -MP -MF "${o%.o}.d" -c "$s" -o "$o" &
    jobs_running=$((jobs_running + 1))
}

engine_objs=() ui_objs=()
for s in "$src"/engine/*.c "$src"/engine/formats/*.c; do
    rel=${s#"$src"/}
    o=$obj/${rel//\//-} # engine/formats/text.c -> engine-formats-text.o
    o=${o%.c}.o
    compile "$s" "$o" $warn
    engine_objs+=("$o")
done
# Generated code is compiled without the project's warnings, as in the automake build.
compile "$build/onnx.pb-c.c" "$obj/onnx.pb-c.o"
engine_objs+=("$obj/onnx.pb-c.o")
for s in "$src"/ui/*.c; do
    [[ $(basename "$s") == main.c ]] && continue
    o=$obj/ui-$(basename "${s%.c}").o
    compile "$s" "$o" $warn $ui_cflags
    ui_objs+=("$o")
done
compile "$src/tests/fuzz/fuzz_util.c" "$obj/fuzz_util.o" $warn
for t in "${targets[@]}"; do
    if [[ ! -f $src/tests/fuzz/fuzz_$t.c ]]; then
        echo "$0: no target '$t' (targets: ${targets_all[*]})" >&2
        exit 2
    fi
    extra=
    [[ $t == demo || $t == keys ]] && extra=$ui_cflags
    compile "$src/tests/fuzz/fuzz_$t.c" "$obj/fuzz_$t.o" $warn $extra
done
while ((jobs_running > 0)); do
    wait -n || failed=1
    jobs_running=$((jobs_running - 1))
done
((failed == 0)) || { echo "$0: compiling failed" >&2; exit 1; }

for t in "${targets[@]}"; do
    objs=("$obj/fuzz_$t.o" "$obj/fuzz_util.o" "${engine_objs[@]}")
    libs=$engine_libs
    if [[ $t == demo || $t == keys ]]; then
        objs+=("${ui_objs[@]}")
        libs="$ui_libs $engine_libs"
    fi
    newest=no
    for o in "${objs[@]}"; do [[ $o -nt $out/fuzz_$t ]] && newest=yes && break; done
    [[ -x $out/fuzz_$t && $newest == no ]] && continue
    echo "  CCLD (fuzz) fuzz/fuzz_$t"
    "$cc" -fsanitize=fuzzer $sanitize -g "${objs[@]}" $libs -o "$out/fuzz_$t" || exit 1
done
