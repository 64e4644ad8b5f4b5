#!/usr/bin/env bash
# run.sh - runs the libFuzzer targets for a while each and reports one TAP line per target.
#
#   run.sh SRCDIR BUILDDIR [NAME...]      every target without NAMEs (build them first: make fuzz)
#
# FUZZ_SECONDS (default 20) is each target's time, FUZZ_JOBS (default 2) how many run at once.
# Each target starts from a fresh copy of its committed corpus (tests/fuzz/corpus/NAME) in
# BUILDDIR/fuzz/run/NAME/corpus, which is where the inputs libFuzzer adds go: the committed corpus
# never grows. A finding lands in BUILDDIR/fuzz/run/NAME/ as crash-*, leak-*, timeout-* or oom-*,
# with libFuzzer's log beside it (NAME.log).
set -uo pipefail

if (($# < 2)); then
    echo "usage: $0 SRCDIR BUILDDIR [NAME...]" >&2
    exit 2
fi
src=$(cd "$1" && pwd) && build=$(cd "$2" && pwd) || exit 2
shift 2
targets=("$@")
# shellcheck disable=SC2207 # the names are words
((${#targets[@]})) || targets=($(bash "$src/tests/fuzz/build.sh" --list))
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}

export INTERVENE=${INTERVENE:-$build/intervene}
# shellcheck source=tests/tap.sh
. "$src/tests/tap.sh"

# The longest input worth trying, per format: a little above the largest seed, so that mutations
# explore structure rather than bulk.
max_len() {
    case $1 in
    npy) echo 1024 ;;
    csv) echo 2048 ;;
    keys) echo 256 ;; # 64 keys and their escapes: fuzz_keys reads no more
    *) echo 4096 ;;
    esac
}

# run_one NAME: one libFuzzer run; its log and findings stay in BUILDDIR/fuzz/run/NAME*.
run_one() {
    local t=$1 dir=$build/fuzz/run/$1
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/tmp"
    cp "$src/tests/fuzz/corpus/$t"/* "$dir/corpus/"
    local start end
    start=$(date +%s)
    # TMPDIR: where the targets make their private directories, so nothing is left elsewhere.
    # A fixed seed (FUZZ_SEED, default 1): the same run explores the same inputs each time, so a
    # brief run in the test suite repeats; runs for hours (README) take a random one.
    TMPDIR=$dir/tmp "$build/fuzz/fuzz_$t" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 \
        -max_len="$(max_len "$t")" -dict="$src/tests/fuzz/$t.dict" -artifact_prefix="$dir/" \
        -print_final_stats=1 "$dir/corpus" >"$dir.log" 2>&1
    echo $? >"$dir.status"
    end=$(date +%s)
    echo $((end - start)) >"$dir.seconds"
}

for t in "${targets[@]}"; do
    if [[ ! -x $build/fuzz/fuzz_$t ]]; then
        echo "$0: $build/fuzz/fuzz_$t is missing: run 'make fuzz' first" >&2
        exit 2
    fi
done

running=0
for t in "${targets[@]}"; do
    if ((running >= jobs)); then
        wait -n
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

plan ${#targets[@]}
total=0
for t in "${targets[@]}"; do
    dir=$build/fuzz/run/$t
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir.log" | tail -1)
    [[ -n $runs ]] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$dir.log" | tail -1)
    runs=${runs:-0}
    total=$((total + runs))
    finding=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
        -name 'timeout-*' -o -name 'oom-*' \) | head -1)
    if [[ -n $finding ]]; then
        kind=$(basename "$finding")
        not_ok "fuzz $t: ${kind%%-*}, reproducer at $finding" \
            "$(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$dir.log")" "log: $dir.log"
    elif [[ $(cat "$dir.status") != 0 ]]; then
        not_ok "fuzz $t: libFuzzer exited with status $(cat "$dir.status")" "log: $dir.log" \
            "$(tail -5 "$dir.log")"
    else
        ok "fuzz $t: $runs runs in $(cat "$dir.seconds") s, no finding"
    fi
done
echo "# fuzz: $total runs in all"
((TAP_FAILED == 0))
