#!/bin/sh
# golden.sh - batch sessions compared with saved transcripts, as text and as JSON.
# Each tests/golden/NAME.iv runs from the source directory; its output must equal NAME.out (text)
# and NAME.json (--json), and its exit status the number in NAME.status (0 when absent).
# IV_UPDATE_GOLDEN=1 rewrites the transcripts instead (check the diff by hand before committing).
. "$srcdir/tests/tap.sh"
cd "$srcdir" || exit 1
scripts=$(ls tests/golden/*.iv)
count=$(echo "$scripts" | wc -l)
plan $((count * 2))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for script in $scripts; do
    base=${script%.iv}
    want_status=0
    [ -f "$base.status" ] && want_status=$(cat "$base.status")
    for mode in out json; do
        flag=; [ $mode = json ] && flag=--json
        "$INTERVENE" $flag -s "$script" >"$tmp/got" 2>"$tmp/err"
        status=$?
        if [ -n "$IV_UPDATE_GOLDEN" ]; then
            cp "$tmp/got" "$base.$mode"
        fi
        if [ $status -ne "$want_status" ]; then
            not_ok "$base.$mode: exit status $status, expected $want_status" "$(cat "$tmp/err")"
        elif ! diff -u "$base.$mode" "$tmp/got" >"$tmp/diff" 2>&1; then
            not_ok "$base.$mode differs" "$(head -40 "$tmp/diff")"
        else
            ok "$base.$mode"
        fi
    done
done
