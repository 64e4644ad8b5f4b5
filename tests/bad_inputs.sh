#!/bin/sh
# bad_inputs.sh - malformed model files and scripts through the real binary: each must end with
# status 2 and one line on stderr naming the file (and line) and what was wrong; none may crash.
# Every corpus file starts with a line '# expect: TEXT', TEXT a part of the message.
. "$srcdir/tests/tap.sh"
cd "$srcdir" || exit 1
models=$(cat tests/bad_models/LIST)
scripts=$(ls tests/bad_scripts/*.iv)
plan $(( $(echo "$models" | wc -w) + $(echo "$scripts" | wc -w) ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_failure() { # NAME FILE-WITH-EXPECT COMMAND...
    name=$1 file=$2; shift 2
    want=$(sed -n '1s/^# expect: //p' "$file")
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    lines=$(wc -l <"$tmp/err")
    if [ $status -ne 2 ]; then
        not_ok "$name: exit status $status, expected 2" "$(cat "$tmp/err")"
    elif [ "$lines" -ne 1 ]; then
        not_ok "$name: $lines lines on stderr, expected 1" "$(cat "$tmp/err")"
    elif ! grep -qF -- "$want" "$tmp/err"; then
        not_ok "$name: message lacks '$want'" "$(cat "$tmp/err")"
    elif ! grep -qF -- "$file" "$tmp/err"; then
        not_ok "$name: message does not name the file" "$(cat "$tmp/err")"
    else
        ok "$name"
    fi
}

for m in $models; do
    expect_failure "model $m" "tests/bad_models/$m" "$INTERVENE" "tests/bad_models/$m" -c show
done
for s in $scripts; do
    expect_failure "script $s" "$s" "$INTERVENE" -s "$s"
done
