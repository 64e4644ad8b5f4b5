#!/bin/sh
# tmux.sh - the real binary in a real terminal: tmux runs it in a pane of a fixed size, send-keys
# types, capture-pane reads the screen (with -e, the colours). Waits poll the screen for the
# expected text; there are no fixed sleeps. Skipped, with a message, only where tmux is absent.
. "$srcdir/tests/tap.sh"
cd "$srcdir" || exit 1
if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi
plan 50
sock="intervene-test-$$"
tmp=$(mktemp -d)
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# start NAME COLS ROWS ENV...: runs intervene on max.nn in a new session; when it ends, the pane
# shows its exit status and whether the terminal is back in canonical mode with echo.
start() {
    name=$1 cols=$2 rows=$3; shift 3
    T new-session -d -s "$name" -x "$cols" -y "$rows" \
        "env TERM=xterm-256color INPUTRC=/dev/null XDG_STATE_HOME=$tmp/state $* \
         '$INTERVENE' sample_models/max.nn; echo \"exit status \$?\"; \
         stty -a | tr ' ' '\n' | grep -x -e icanon -e echo | tr '\n' ' '; echo; sleep 60"
}
screen() { T capture-pane -p -t "$1"; }
# wait_for NAME TEXT: polls the screen for up to 10 seconds.
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        screen "$1" | grep -qF -- "$2" && return 0
        i=$((i + 1)); sleep 0.1
    done
    return 1
}
keys() { name=$1; shift; T send-keys -t "$name" "$@"; }
shows() { # NAME TEXT DESCRIPTION
    if wait_for "$1" "$2"; then ok "$3"; else not_ok "$3: '$2' not on screen" "$(screen "$1")"; fi
}

start a 100 30
shows a "intervene: max" "the explorer opens on the max network"

keys a ':' 'input 3 5' Enter
shows a "base [x=3] y=5" "':input 3 5' sets the base input"
keys a ':' 'ablate h1[1] zero' Enter
if wait_for a "intervened  8" && screen a | grep -q "clean       5"; then
    ok "':ablate h1[1] zero' shows intervened output 8 beside clean 5"
else
    not_ok "':ablate h1[1] zero' shows intervened output 8 beside clean 5" "$(screen a)"
fi
shows a ": out 5 -> 8" "the message line reports the change"

keys a c
shows a "> clear" "a key echoes the command it ran"
keys a Right z
shows a "> ablate h1[1] zero" "cursor keys and z ablate the neuron under the cursor"

T capture-pane -e -p -t a >"$tmp/colours"
if grep -q '48;5;' "$tmp/colours"; then ok "cells are coloured in 256 colours"
else not_ok "cells are coloured in 256 colours" "$(head -5 "$tmp/colours" | od -c | head -5)"; fi

keys a ':' 'abl' Tab
shows a ":ablate" "Tab completes a command name"
keys a Escape
shows a "cancelled" "Escape cancels the command line"

# A session that loads itself used to overflow the stack and leave the terminal raw.
printf 'input 1 2\nload %s/self.iv\n# end of session: 2 commands\n' "$tmp" >"$tmp/self.iv"
keys a ':' "load $tmp/self.iv" Enter
shows a "a file cannot load itself" "':load' of a file that loads itself is refused, the explorer alive"

keys a '?'
shows a "Keys (each runs the command" "? shows the help"
keys a Space

T resize-window -t a -x 80 -y 24
if wait_for a ": command" && [ "$(screen a | wc -l)" -eq 24 ]; then ok "a resize redraws at the new size"
else not_ok "a resize redraws at the new size" "$(screen a)"; fi
T resize-window -t a -x 40 -y 12
shows a "intervene needs at least 60 x 20" "a tiny terminal says what size it needs"
T resize-window -t a -x 100 -y 30
shows a "intervene: max" "growing it back restores the explorer"

keys a q
shows a "unsaved interventions" "q asks first when there are unsaved interventions"
keys a q
shows a "exit status 0" "the second q quits"
if wait_for a "icanon echo"; then ok "quitting restores the terminal"
else not_ok "quitting restores the terminal" "$(screen a)"; fi

start b 100 30 NO_COLOR=1
wait_for b "intervene: max" >/dev/null
# The pane runs sh, whose child is intervene (env replaces itself with it).
pid=$(pgrep -P "$(T display-message -p -t b '#{pane_pid}')" | head -1)
kill -TERM "$pid" 2>/dev/null
if wait_for b "exit status 143" && wait_for b "icanon echo"; then ok "SIGTERM restores the terminal"
else not_ok "SIGTERM restores the terminal" "$(screen b)"; fi

# A terminal that cannot move its cursor gets a message that says what to do, not a blank screen.
start d 100 30 TERM=dumb
shows d "cannot move the cursor" "TERM=dumb is refused with a message, not a blank screen"
shows d "exit status 2" "TERM=dumb exits with status 2"

# The output in big digits (O), block characters in UTF-8 and '#'s in ASCII; a site as an image (I).
start e 80 24 LC_ALL=C.UTF-8
wait_for e "intervene: max" >/dev/null
keys e ':' 'input 3 5; ablate h1[1] zero' Enter
wait_for e ": out 5 -> 8" >/dev/null
keys e O
if wait_for e "change +3" && screen e | grep -qF "█▀▀"; then ok "O shows clean -> intervened in big digits"
else not_ok "O shows clean -> intervened in big digits" "$(screen e)"; fi
keys e I
shows e "image of h1 (2 x 2" "I draws the site under the cursor as an image in the effect's place"
start f 80 24 LC_ALL=C LANG=C
wait_for f "intervene: max" >/dev/null
keys f ':' 'input 3 5; ablate h1[1] zero; output big' Enter
if wait_for f "change +3" && screen f | grep -q "^ .*###  "; then ok "big digits are '#'s under LC_ALL=C"
else not_ok "big digits are '#'s under LC_ALL=C" "$(screen f)"; fi
keys f ':' 'output big; output nonsense' Enter
shows f "output: expected big or table, got 'nonsense'" "a bad argument to output is a one-line error"

# A scan's figures stay under its site after the popup closes; the causal model draws as a graph,
# in box-drawing characters or, under LC_ALL=C, in ASCII.
start g 80 24 LC_ALL=C.UTF-8
wait_for g "intervene: max" >/dev/null
keys g ':' 'input 3 5; source 5 3; scan h1' Enter
wait_for g "results below" >/dev/null
keys g x
shows g " scan      -5       3       0      -2   +-5 patch" "a scan shows as a line of cells under its site"
keys g ':' 'causal "gt = x > y; out = gt ? x : y"; align gt h1[0:2]; causal' Enter
shows g "─>│ gt = x > y ├" "causal draws the model as a graph with arrows into each variable"
start h 80 24 LC_ALL=C LANG=C
wait_for h "intervene: max" >/dev/null
keys h ':' 'causal "gt = x > y; out = gt ? x : y"' Enter
shows h "->| out = gt ? x : y |" "the graph is ASCII under LC_ALL=C"
keys h x
keys h ':' 'input 3 5; source 5 3; scan h1 sorted' Enter
shows h "|change of out|, linear scale" "scan ... sorted draws the rows as bars"

# IIA: the panel with the IIA in big digits, f walking the failing pairs onto the screen as base and
# source rows, X the interchange matrix and E the same by error; at 160 x 48 as on a projector.
start k 160 48 LC_ALL=C.UTF-8
wait_for k "intervene: max" >/dev/null
keys k ':' 'causal "gt = x > y; out = gt ? x : y"; align gt h1[0:2]' Enter
wait_for k "results below" >/dev/null
keys k x ':' 'iia' Enter
shows k "13431 of 14641 pairs agree, 1210 fail" "iia opens a panel with the IIA and its counts"
keys k x f
shows k "failure 1 of 1210: base row 1 (x=1 y=0), source row 0: network 1, causal model 0" \
    "f shows the first failing pair"
keys k F
if wait_for k "failure 1210 of 1210" && screen k | grep -qF "base row 120: [x=10] y=10"; then
    ok "F from the first goes to the last failing pair, base and source on screen"
else not_ok "F from the first goes to the last failing pair, base and source on screen" "$(screen k)"; fi
keys k X
shows k "shown: 31 of 121 bases, 121 of 121 sources, evenly" "X draws the interchange matrix"
keys k x E
shows k "error: 0 " "E shows the matrix again by the error"

# Concepts on the pronoun sample: probe all marks every site row, inlp charts its accuracy per
# step, a steering sweep charts the class probabilities, pca draws the scatter plot.
start p 100 30 LC_ALL=C.UTF-8
wait_for p "intervene: max" >/dev/null
keys p ':' 'model sample_models/pronoun/pronoun.nn; data load sample_models/pronoun/pronoun.npz' Enter
wait_for p "results below" >/dev/null
keys p x ':' 'probe all gender' Enter
wait_for p "results below" >/dev/null
keys p x
if wait_for p "probe gender 1.00 (chance 0.53)" && [ "$(screen p | grep -c 'gender 1.00')" -eq 3 ]; then
    ok "probe all marks each of the three site rows with its held-out accuracy"
else not_ok "probe all marks each of the three site rows with its held-out accuracy" "$(screen p)"; fi
keys p ':' 'inlp input gender' Enter
shows p "per iteration, 1 to 7:" "inlp charts the probe's accuracy at each step"
keys p x ':' 'clear; steer hidden gender alpha=0.5; sweep alpha -1 1 21' Enter
shows p "probabilities as alpha of #1 (add at hidden) runs from -1 to 1" \
    "a steering sweep charts the class probabilities"
keys p x ':' 'clear; pca hidden gender' Enter
shows p "PC1 (" "pca draws the site's rows on their first two components"
keys p x ':' 'probe hidden nonsense' Enter
shows p "probe: no label 'nonsense'" "a probe of an unknown label is a one-line error"

# A transformer: the output panel shows the next token; a patch of the second token from
# "3 3 =" turns tiny-max's answer from 5 to 3.
start q 100 30 LC_ALL=C.UTF-8
wait_for q "intervene: max" >/dev/null
keys q ':' 'model sample_models/tiny-max' Enter
shows q "next token (probabilities)" "a transformer's output panel shows its next token"
keys q ':' 'source 3 3 =; patch resid0[pos=1]' Enter
shows q 'top now "3" 0.991' "patching the second token's embedding changes tiny-max's answer to 3"

# The induction model's sites as grids: keys step sites (J K) and heads (> <), select a head (a)
# and ablate it (z); A and L put every head's pattern and the logit lens under the layers.
keys q ':' 'model sample_models/induction' Enter
shows q " tokens     < H A J K U I S ? H A J K U I S ?" "a transformer's strips run under its tokens"
# ':' over a popup closes it and opens the command line: the command after it runs whole, its
# letters are not taken for keys (s would swap base and source)
keys q ':' 'source "<bos> H A J K U I S ? B A J K U I S ?"' Enter
wait_for q "results below" >/dev/null
keys q ':' 'source none' Enter
shows q "> source none" "':' over a popup opens the command line, and its command runs"
if screen q | grep -q 'base \["<bos>"\] "H" "A" "J" "K" "U" "I" "S" "?" "H"'; then
    ok "the base prompt is as it was: no key was taken from the command's text"
else
    not_ok "the base prompt is as it was: no key was taken from the command's text" "$(screen q)"
fi
keys q J
shows q "ln1_0[pos=16, 0] =" "J steps to the next site at the same position"
keys q ':' 'cursor z1' Enter
keys q '>'
shows q "z1[pos=16, head=1, 0] =" "> steps to the next head"
keys q K
shows q "pattern1[pos=16, head=1, 16] =" "K steps back a site, keeping the position and head"
keys q J a z
shows q "> ablate blocks.1.attn.hook_z[head=1] zero" "a selects the head at every position, z ablates it"
keys q A
shows q "attention, block 1, every head (intervened)" "A shows every head of the cursor's block"
keys q L
shows q "logit lens (intervened)" "L shows the logit lens"
keys q Up x p
shows q "> patch blocks.1.attn.hook_z[pos=15]" "x selects the position under the cursor, p patches it"
