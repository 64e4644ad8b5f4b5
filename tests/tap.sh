# tap.sh - a few shell functions that print TAP, sourced by the shell tests.
# Each test script calls plan N once, then ok / not_ok / check for each test point.
TAP_N=0
TAP_FAILED=0

plan() { echo "1..$1"; }

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }

not_ok() {
    TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $1"
    shift
    # Further arguments are diagnostics, shown as TAP comments.
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}

# check NAME CONDITION-COMMAND...: a test point that passes when the command succeeds.
check() {
    name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

done_testing() { exit 0; }

: "${INTERVENE:?INTERVENE must name the intervene binary}"
: "${srcdir:=.}"
