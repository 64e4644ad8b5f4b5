#!/bin/sh
# jobs.sh - long work in the explorer, in a real terminal (tmux, as tests/tmux.sh): on a
# 784-512-512-10 network written at test time, a command that takes many seconds shows a progress
# bar; Esc cancels it within about a second, leaving the interventions as they were and the
# explorer answering keys. And on the max network the explorer stays small: its own memory (heap,
# stacks, private data: RssAnon) under 4 MB, and its peak resident memory, most of which is the
# shared libraries' pages (OpenBLAS, libc, libcrypto through libzip), under 12 MB. Skipped, with a
# message, only where tmux is absent.
. "$srcdir/tests/tap.sh"
cd "$srcdir" || exit 1
if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi
plan 9
sock="intervene-jobs-$$"
tmp=$(mktemp -d)
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# The largest network the explorer is meant for: 784 inputs p0..p783, two hidden layers of 512
# (relu), 10 outputs, seeded weights, 1000 sampled examples as its dataset.
awk 'BEGIN {
    srand(7);
    print "model mnist_like";
    printf "inputs"; for (i = 0; i < 784; i++) printf " p%d", i; print "";
    print "data sample 1000";
    n_in = 784; split("512 512 10", widths, " "); split("relu relu identity", acts, " ");
    for (l = 1; l <= 3; l++) {
        printf "layer layer%d %s\n  weights\n", l - 1, acts[l];
        a = 2 / sqrt(n_in);
        for (o = 0; o < widths[l]; o++) {
            line = "   ";
            for (i = 0; i < n_in; i++) line = line sprintf(" %.3f", (rand() - 0.5) * a);
            print line;
        }
        n_in = widths[l];
    }
}' >"$tmp/big.nn"

# start NAME MODEL: intervene on MODEL in a 100 x 30 pane; its exit status shows when it ends.
start() {
    T new-session -d -s "$1" -x 100 -y 30 \
        "env TERM=xterm-256color INPUTRC=/dev/null XDG_STATE_HOME=$tmp/state \
         '$INTERVENE' '$2'; echo \"exit status \$?\"; sleep 60"
}
screen() { T capture-pane -p -t "$1"; }
# wait_for NAME TEXT [TENTHS]: polls the screen for TEXT, by default for up to 10 seconds.
wait_for() {
    i=0
    while [ $i -lt "${3:-100}" ]; do
        screen "$1" | grep -qF -- "$2" && return 0
        i=$((i + 1)); sleep 0.1
    done
    return 1
}
keys() { name=$1; shift; T send-keys -t "$name" "$@"; }
millis() { date +%s%N | cut -c1-13; }
# The pane runs sh, whose child is intervene (env replaces itself with it).
pid_of() { pgrep -P "$(T display-message -p -t "$1" '#{pane_pid}')" | head -1; }

start big "$tmp/big.nn"
if wait_for big "intervene: mnist_like" 300; then ok "the explorer opens a 784-512-512-10 network"
else not_ok "the explorer opens a 784-512-512-10 network" "$(screen big)"; fi
keys big ':' 'ablate layer0[0] zero' Enter
wait_for big "#1 zero layer0[0]" 300 >/dev/null

# Noise with 2000 samples over 1000 examples: two million rows through the network, twice (the
# ablation's loss gap, then the map), many seconds however fast the passes get.
keys big ':' 'ablate layer0[0:200] noise samples=2000' Enter
bar='^> ablate layer0\[0:200\] noise.*\[.*\] *[0-9]*%.*Esc cancels'
what="a long command shows what runs, a bar, the percentage and 'Esc cancels'"
if wait_for big "Esc cancels" 100 && screen big | grep -q "$bar"; then ok "$what"
else not_ok "$what" "$(screen big)"; fi
if wait_for big "s left" 50; then ok "the bar estimates the time left"
else not_ok "the bar estimates the time left" "$(screen big)"; fi

keys big x
if wait_for big "busy: Esc cancels" 20; then ok "another key is not taken, and the bar says so"
else not_ok "another key is not taken, and the bar says so" "$(screen big)"; fi

before=$(millis)
keys big Escape
if wait_for big "ablate: cancelled - nothing changed" 100; then
    took=$(($(millis) - before))
    # A second and a half: what it takes to notice the cancel (one chunk of the pass) and to put
    # the session back, with room for a loaded machine; under a sanitizer everything is slower.
    limit=1500
    grep -q asan "/proc/$(pid_of big)/maps" 2>/dev/null && limit=10000
    if [ "$took" -le "$limit" ]; then ok "Esc cancels it within a second or so ($took ms)"
    else not_ok "Esc cancels it within a second or so" "it took $took ms"; fi
else
    not_ok "Esc cancels it within a second or so" "$(screen big)"
fi

keys big ':' 'list' Enter
if wait_for big "Up/Down scroll" && screen big | grep -q "zero *layer0\[0\]" &&
    ! screen big | grep -q "noise"
then ok "the interventions are as they were before the cancelled command"
else not_ok "the interventions are as they were before the cancelled command" "$(screen big)"; fi
keys big Space
keys big v
if wait_for big "> view next"; then ok "the explorer still answers keys"
else not_ok "the explorer still answers keys" "$(screen big)"; fi
keys big q
wait_for big "unsaved interventions" >/dev/null
keys big q
if wait_for big "exit status 0"; then ok "and quits as usual"
else not_ok "and quits as usual" "$(screen big)"; fi

# Memory on the max network, after a round of what the explorer does: its own (RssAnon) and the
# high-water mark of all it has resident (VmHWM), read while it runs.
start small sample_models/max.nn
wait_for small "intervene: max" >/dev/null
keys small z
wait_for small "> ablate" >/dev/null
keys small C
wait_for small "results below" >/dev/null
keys small Space
keys small ':' 'sweep h1[0] 0 10 101' Enter
wait_for small "results below" >/dev/null
keys small Space v v R
wait_for small "> regions" >/dev/null
pid=$(pid_of small)
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
anon=$(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
if [ -z "$hwm" ] || [ -z "$anon" ]; then
    ok "memory on the max network # SKIP no /proc/PID/status"
elif grep -q asan "/proc/$pid/maps" 2>/dev/null; then
    ok "memory on the max network # SKIP a sanitizer's shadow memory counts in it"
elif [ "$anon" -lt 4096 ] && [ "$hwm" -lt 12288 ]; then
    ok "memory on the max network: its own under 4 MB ($anon kB), peak resident under 12 MB ($hwm kB)"
else
    not_ok "memory on the max network: its own under 4 MB, peak resident under 12 MB" \
        "RssAnon $anon kB, VmHWM $hwm kB"
fi
