#!/bin/sh
# cli.sh - the command line of the binary: options, exit statuses, scripts from stdin, --json,
# --keep-going, opening a model file, and the README's worked examples.
. "$srcdir/tests/tap.sh"
cd "$srcdir" || exit 1
here=$(pwd -P)
plan 56
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
iv() { "$INTERVENE" "$@" >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status"; }
status_is() { [ "$(cat "$tmp/status")" = "$1" ]; }
out_has() { grep -qF -- "$1" "$tmp/out"; }
err_has() { grep -qF -- "$1" "$tmp/err"; }

iv --help
check "--help prints the usage and exits 0" eval 'status_is 0 && out_has "usage: intervene [OPTIONS] [MODEL]"'
iv -c 'help export'
want="usage='\"COMMAND\" FILE.csv|FILE.json'"
check "a usage with double quotes in it is shown in single quotes" eval 'status_is 0 && out_has "$want"'
iv --demo sample_models/lectures/why-zero-ablation-misleads.demo </dev/null
check "--demo without a terminal says it needs one and exits 2" eval 'status_is 2 && err_has "intervene: --demo needs the explorer: a terminal, and no -c or -s"'
iv --version
check "--version names the program" eval 'status_is 0 && out_has "intervene "'
iv --frobnicate
check "an unknown option exits 2" eval 'status_is 2 && err_has "--help"'
iv a.nn b.nn
check "two models are refused" eval 'status_is 2 && err_has "one model at a time"'
iv no-such-model.nn -c show
check "a missing model file names it" eval 'status_is 2 && err_has "no-such-model.nn: cannot open"'

# The README's examples, on the shipped model file.
iv sample_models/max.nn -c 'input 3 5; ablate h1[1] zero; show out'
check "README: zero-ablating h1[1] at (3, 5) gives 8 beside clean 5" \
    eval 'status_is 0 && out_has "site=out clean=5 intervened=8 change=3 target=5"'
iv sample_models/max.nn -c 'input 3 5; source 5 3; patch h1[0]; show out'
check "README: patching h1[0] from (5, 3) gives 0" eval 'out_has "site=out clean=5 intervened=0"'
iv sample_models/max.nn -c 'input 3 5; source 5 3; patch h1[0:2]; show out'
check "README: patching h1[0:2] from (5, 3) gives 3" eval 'out_has "site=out clean=5 intervened=3"'
iv sample_models/max.nn -c 'input 3 5; ablate h1[0] mean; show out'
check "README: mean-ablating h1[0] gives 0, the mean 1.818182" \
    eval 'out_has "values=1.818182" && out_has "site=out clean=5 intervened=0"'

iv --json sample_models/max.nn -c 'input 3 5; ablate h1[1] zero; show out'
check "--json: show out is one object with site, clean and intervened" \
    eval 'tail -n 1 "$tmp/out" | grep -qxF "{\"site\":\"out\",\"clean\":[5],\"intervened\":[8],\"change\":[3],\"target\":5}"'
iv --json -c 'show'
check "--json: show alone gives one object per site, input to output" \
    eval '[ "$(wc -l <"$tmp/out")" -eq 7 ] && head -n 1 "$tmp/out" | grep -qF "\"site\":\"input\"" && tail -n 1 "$tmp/out" | grep -qF "\"site\":\"out\""'
iv --json -c 'show h9'
check "--json: a failure is also reported as an error object" \
    eval 'status_is 2 && out_has "{\"error\":\"show: unknown site" && err_has "-c:1: '"'"'show h9'"'"'"'

echo 'input 3 5; ablate h1[1] zero
show out' | "$INTERVENE" -s - >"$tmp/out" 2>"$tmp/err"
check "-s - reads the script from standard input" eval 'out_has "intervened=8" && [ ! -s "$tmp/err" ]'
echo 'input 3 5; ablate h1[1] zero; show out' | "$INTERVENE" >"$tmp/out" 2>"$tmp/err"
check "without -c or -s, a piped standard input is a script" eval 'out_has "intervened=8"'

iv -c 'input 3 5; show q; ablate h1[1] zero' -c 'show out'
check "a failing command stops the run with status 2" \
    eval 'status_is 2 && ! out_has "intervened=8" && err_has "-c:1: '"'"'show q'"'"'"'
iv -k -c 'input 3 5; show q; ablate h1[1] zero' -c 'show out'
check "--keep-going runs the rest and still exits 2" eval 'status_is 2 && out_has "site=out clean=5 intervened=8"'
iv -c 'input 3 5' -s tests/golden/errors.iv
check "-c and -s run in order; errors name the script and line" \
    eval 'status_is 2 && err_has "tests/golden/errors.iv:5: '"'"'ablate h1[4] zero'"'"'"'

# Sessions: save, then replay in a fresh process, from another directory.
iv -c "input 3 5; source 5 3; ablate h1[1] zero; patch h1[0]; toggle 2; save $tmp/s.iv"
(cd "$tmp" && "$INTERVENE" -c 'load s.iv; show out; list' >"$tmp/out" 2>"$tmp/err")
check "a saved session replays with its interventions and switches" \
    eval 'out_has "site=out clean=5 intervened=8" && grep -q "^2 *patch *h1\[0\] *- *false" "$tmp/out"'
iv sample_models/max.nn -c "save $tmp/s2.iv"
(cd / && "$INTERVENE" -s "$tmp/s2.iv" -c 'info' >"$tmp/out" 2>"$tmp/err")
check "a session names its model by absolute path" eval 'out_has "path=$here/sample_models/max.nn"'

# A script that loads itself, directly or through another, is refused (it used to recurse until the
# stack overflowed), naming the chain of files.
printf 'input 3 5\nload %s/self.iv\n' "$tmp" >"$tmp/self.iv"
iv -s "$tmp/self.iv"
check "-s of a file that loads itself is refused with one line naming it" \
    eval 'status_is 2 && err_has "is already being run" && [ "$(wc -l <"$tmp/err")" -eq 1 ]'
printf 'load b.iv\n# end of session: 1 commands\n' >"$tmp/a.iv"
printf 'load a.iv\n# end of session: 1 commands\n' >"$tmp/b.iv"
(cd "$tmp" && "$INTERVENE" -c 'load a.iv' >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/status")
check "two files that load each other are refused, naming the chain" \
    eval 'status_is 2 && err_has "(a.iv -> b.iv -> a.iv)"'
# A session cut short is refused; the file save writes ends with the line that says it is whole.
iv -c "input 3 5; ablate h1[1] zero; save $tmp/whole.iv"
head -n 3 "$tmp/whole.iv" >"$tmp/cut.iv"
iv -c "load $tmp/cut.iv"
check "a session file cut short is refused" \
    eval 'status_is 2 && err_has "may have been cut short" && [ "$(tail -n 1 "$tmp/whole.iv")" = "# end of session: 5 commands" ]'

# A map over a big grid is summarised to at most 200 cells an axis, and says so.
iv --json -c 'data grid x=0:999:1 y=0:9:1; ablate h1[1] zero; effect'
check "the effect map of a 1000 x 10 grid has 200 x 10 cells, binned 5 x 1 at the bins' centres" \
    eval 'tail -n 1 "$tmp/out" | grep -qF "\"binned\":\"1000 x 10 grid points in 200 x 10 cells of 5 x 1; axes at cell centres\",\"x\":[2,7,12," &&
          [ "$(tail -n 1 "$tmp/out" | sed "s/.*\"change\":\[\[\([^]]*\)\].*/\1/" | tr "," "\n" | wc -l)" -eq 200 ]'
iv -c 'data grid x=0:9999:1 y=0:99:1; effect'
check "an effect over a million points prints a bounded map" \
    eval 'status_is 0 && [ "$(wc -c <"$tmp/out")" -lt 400000 ]'
iv -c 'limit memory 16M; data grid x=0:999:1 y=0:999:1'
check "a dataset over the memory limit is refused with its size and the command to raise it" \
    eval 'status_is 2 && err_has "would need 61 MiB, more than the memory limit of 16 MiB (raise it with '"'"'limit memory 128M'"'"')"'

# An output driven past float32 is infinite: the histogram counts it apart (a fuzzer found the
# cast of its nan bin).
iv --json -c 'data sample 3 x=0:1 y=0:1; ablate h2 set 3e38; effect'
check "changes that are not finite are counted apart in the effect histogram" \
    eval 'status_is 0 && tail -n 1 "$tmp/out" | grep -qF "\"counts\":[0,0,0,0,0,0,0,0,0,0],\"not_finite\":3"'

# Hostile sizes get a message, not a crash.
iv -c 'sweep input[x] -1e308 1e308 11'
check "a sweep whose steps are not finite in float32 is refused" \
    eval 'status_is 2 && err_has "out of range" && [ ! -s "$tmp/out" ]'

iv -c 'data grid x=0:100000:0.001 y=0:100000:0.001'
check "an absurd grid is refused with a message" eval 'status_is 2 && [ "$(wc -l <"$tmp/err")" -eq 1 ]'

# export writes any command's results: a map as a CSV grid, a table as CSV rows, all of it as JSON.
iv -c "ablate h1[1] zero; export effect $tmp/map.csv; export \"compare h1[0]\" $tmp/gaps.json; export \"sweep input[x] 0 10 11\" $tmp/sweep.csv"
check "export effect writes the change map as a CSV grid with its axes" \
    eval '[ "$(head -n 1 "$tmp/map.csv")" = "y\\x,0,1,2,3,4,5,6,7,8,9,10" ] && [ "$(sed -n 12p "$tmp/map.csv")" = "10,0,1,2,3,4,5,6,7,8,9,0" ]'
check "export of compare as JSON keeps the loss gaps" \
    eval 'grep -q "\"zero\":6.818182" "$tmp/gaps.json" && grep -q "\"optimal\":4.7" "$tmp/gaps.json"'
iv -c "export effect $tmp/map.txt"
check "export refuses a file that is neither .csv nor .json" eval 'status_is 2 && err_has "must end in .csv or .json"'

# The manual page comes from the command table: every command has its entry.
iv --man
check "--man prints a manual page" eval 'status_is 0 && head -n 1 "$tmp/out" | grep -q "^.TH INTERVENE 1"'
"$INTERVENE" --json -c help | tr ',' '\n' | sed -n 's/.*"command":"\([a-z]*\)".*/\1/p' >"$tmp/names"
missing=""
for name in $(cat "$tmp/names"); do grep -q "^.B $name" "$tmp/out" || missing="$missing $name"; done
check "the manual page has an entry for every command" eval '[ -s "$tmp/names" ] && [ -z "$missing" ]'

iv -c "export model $tmp/copy.nn"
iv "$tmp/copy.nn" -c 'input 3 5; ablate h1[1] zero; show out'
check "export model writes a model that opens and computes the same" eval 'out_has "site=out clean=5 intervened=8"'

iv -c "export model $tmp/copy.safetensors"
iv "$tmp/copy.safetensors" -c 'input 3 5; source 5 3; patch h1[0:2]; show out'
check "a model exported as safetensors opens with its architecture and computes the same" \
    eval 'out_has "site=out clean=5 intervened=3"'
iv tests/fixtures/mlp_relu_tanh.onnx -c 'info'
check "an ONNX model exported by PyTorch opens" eval 'status_is 0 && out_has "relu" && out_has "tanh"'

iv -c "data grid x=0:2 y=0:1; ablate h1[1] zero; export \"activations h1\" $tmp/h1.csv"
check "export of activations writes a row per example, clean and intervened columns" \
    eval '[ "$(head -n 1 "$tmp/h1.csv")" = "x,y,h1[0],h1[0]'"'"',h1[1],h1[1]'"'"',h1[2],h1[2]'"'"',h1[3],h1[3]'"'"'" ] && grep -qx "0,1,0,0,1,0,0,0,1,1" "$tmp/h1.csv" && [ "$(wc -l <"$tmp/h1.csv")" -eq 7 ]'

# SIGINT during a long command cancels it: the command fails with "cancelled", having changed
# nothing, and the program ends with status 130 at once, without running the rest. The sweep
# (10,001 steps of 10,000 noise samples) takes several seconds; it is stopped after one.
millis() { date +%s%N | cut -c1-13; }
before=$(millis)
"$INTERVENE" -c 'ablate h1 noise samples=10000; sweep input[x] 0 10 10001; show out' \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
echo $? >"$tmp/status"
took=$(($(millis) - before))
check "SIGINT during a command exits 130, saying it was cancelled and interrupted" \
    eval 'status_is 130 && err_has "cancelled" && err_has "intervene: interrupted" && ! grep -q "^site=out" "$tmp/out"'
check "SIGINT stops the command at once, not at its end ($took ms)" [ "$took" -lt 4000 ]
check "with standard error not a terminal, no progress line is written" \
    eval '! grep -q "\[#*\.*\] *[0-9]*%" "$tmp/err"'

# SIGINT between commands (here: waiting for the script to be written) exits 130 too.
mkfifo "$tmp/fifo"
"$INTERVENE" -s "$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.3
kill -INT "$pid"
wait "$pid"
echo $? >"$tmp/status"
check "SIGINT with no command running exits 130" \
    eval 'status_is 130 && [ "$(cat "$tmp/err")" = "intervene: interrupted" ]'

# Saving, exporting and setting a dataset say what they did, once each.
iv -c "data grid x=0:2 y=0:2; save $tmp/said.iv; export \"activations h1\" $tmp/said.csv"
check "save, export and data each say what they did in one line" \
    eval 'status_is 0 && [ "$(grep -c "^saved session to $tmp/said.iv (4 commands)$" "$tmp/out")" -eq 1 ] &&
          out_has "wrote $tmp/said.csv (CSV, 9 rows)" &&
          out_has "dataset: grid x=0:2:1 y=0:2:1 (9 examples, 2 inputs)" && [ "$(wc -l <"$tmp/out")" -eq 3 ]'
iv -c "export compare h1 $tmp/gaps.csv"
check "export of a command not in quotes shows the command with its quotes" \
    eval 'status_is 2 && err_has "export: put the command in quotes: export \"compare h1\" $tmp/gaps.csv"'
# Without a dataset, the error gives a command that makes one, and that command runs as printed.
iv -c 'data none; effect'
hint=$(sed -n 's/.*; try: //p' "$tmp/err")
iv -c "data none; $hint; effect"
check "the dataset a missing one calls for runs as printed" \
    eval 'status_is 0 && [ "$hint" = "data sample 1000 x=-1:1 y=-1:1" ] && out_has "examples=1000"'
iv -c 'input row 2; input; input row 200'
check "input row takes a row of the dataset, says so, and refuses one past the end" \
    eval 'status_is 2 && out_has "input (row 2 of grid x=0:10:1 y=0:10:1): x=2 y=0" &&
          err_has "input: row 200 is past the last row, 120"'

# A list of hundreds does not fill a line: its head, its tail and its length; JSON keeps it all.
awk 'BEGIN { printf "inputs"; for (i = 0; i < 40; i++) printf " x%d", i; print "";
             print "layer out identity"; print "  weights"; printf "   ";
             for (i = 0; i < 40; i++) printf " 1"; print "" }' >"$tmp/wide.nn"
iv "$tmp/wide.nn" -c info
check "a long list in text shows its head and tail, and how many" eval 'status_is 0 && out_has "inputs=[x0 x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11 ... x36 x37 x38 x39] (40 in all)"'
iv "$tmp/wide.nn" --json -c info
check "the same list in JSON is whole" eval 'status_is 0 && out_has "\"x20\"" && out_has "\"x39\""'

# compare gives every neuron of a student-sized layer its own row, up to 64, and says so beyond.
{
    printf 'model wide\ninputs x y\ndata grid x=0:2 y=0:2\n\nlayer h relu\n  weights\n'
    i=0; while [ $i -lt 70 ]; do printf '    %d.5 -1\n' $((i % 5)); i=$((i + 1)); done
    printf '\nlayer out identity\n  weights\n   '
    i=0; while [ $i -lt 70 ]; do printf ' 0.1'; i=$((i + 1)); done
    printf '\n'
} >"$tmp/wide.nn"
iv "$tmp/wide.nn" -c 'compare h[0:64]'
check "compare h[0:64] has a row for each of the 64 neurons and one for the set" \
    eval 'status_is 0 && [ "$(grep -c "^h\[" "$tmp/out")" = 65 ] && ! out_has "note="'
iv "$tmp/wide.nn" -c 'compare h'
check "compare of 70 neurons gives the set's row and says how to get one each" \
    eval 'status_is 0 && [ "$(grep -c "^h" "$tmp/out")" = 1 ] && out_has "70 neurons: the set as a whole only (a row each for up to 64, e.g. compare h[0:64])"'

# A model trained in the session: save waits for export model, then the session opens that file.
cp tests/golden/two_class.nn "$tmp/tc.nn"
iv "$tmp/tc.nn" -c "data load tests/golden/points.csv; train bigger epochs=3 seed=1; save $tmp/s1.iv"
check "save after train says the model's file has the old weights" \
    eval 'status_is 2 && err_has "save: the model was trained in this session and" &&
          err_has "write them first with '"'"'export model FILE.nn'"'"'" && [ ! -e "$tmp/s1.iv" ]'
iv "$tmp/tc.nn" -c "data load tests/golden/points.csv; input 1 2; show out"
cp "$tmp/out" "$tmp/untrained.out"
iv "$tmp/tc.nn" -c "data load tests/golden/points.csv; train bigger epochs=3 seed=1; export model $tmp/tc-trained.nn; input 1 2; save $tmp/s2.iv; show out"
cp "$tmp/out" "$tmp/trained.out"
iv -s "$tmp/s2.iv" -c 'show out'
check "after export model, save records the trained file and the session replays its outputs" \
    eval 'status_is 0 && grep -q "tc-trained.nn" "$tmp/s2.iv" &&
          [ "$(grep "^site=out" "$tmp/out" | tail -1)" = "$(grep "^site=out" "$tmp/trained.out" | tail -1)" ] &&
          [ "$(grep "^site=out" "$tmp/trained.out" | tail -1)" != "$(grep "^site=out" "$tmp/untrained.out" | tail -1)" ]'

# Lectures from an installed-like copy: sample_models/ as share/intervene/models and the lectures
# in models/lectures (Makefile.am's modelsdir and lecturesdir), run from another directory. The
# explorer needs a terminal: script(1) lends one, tmux walks the steps.
inst="$tmp/share/intervene/models"
mkdir -p "$inst/lectures" "$tmp/elsewhere"
cp sample_models/*.nn sample_models/*.npz "$inst/" && cp sample_models/lectures/*.demo "$inst/lectures/"
printf 'say one\ninput 3 5\n\nsay two\nmodel ../missing.nn\n' >"$inst/lectures/broken.demo"
if command -v script >/dev/null 2>&1; then
    # (timeout: a lecture that did start would wait for keys)
    (cd "$tmp/elsewhere" && timeout 10 script -qec "'$INTERVENE' --demo '$inst/lectures/broken.demo'" \
        /dev/null </dev/null >"$tmp/out" 2>&1; echo $? >"$tmp/status")
    check "a lecture naming a missing file beside it stops at the start with its FILE:LINE" \
        eval 'status_is 2 && out_has "intervene: $inst/lectures/broken.demo:5: '"'"'model ../missing.nn'"'"': cannot read $inst/lectures/../missing.nn (a lecture'"'"'s files are named from its directory)"'
else
    ok "a lecture naming a missing file stops at the start # SKIP script(1) is not installed"
fi
if command -v tmux >/dev/null 2>&1; then
    sock="intervene-cli-$$"
    T() { tmux -L "$sock" -f /dev/null "$@"; }
    T new-session -d -s demo -x 100 -y 30 -c "$tmp/elsewhere" \
        "env TERM=xterm-256color INPUTRC=/dev/null XDG_STATE_HOME=$tmp/state \
         '$INTERVENE' --demo '$inst/lectures/causal-abstraction.demo'; sleep 60"
    # Steps 1 to 12, each awaited on the screen; a key that only closed a popup is sent again.
    # Step 10 is the last on the hand-built network; 12 trains DAS on the trained one.
    step=1 tries=0
    while [ $step -le 12 ] && [ $tries -lt 300 ]; do
        if T capture-pane -p -t demo | grep -qF "[$step/12]"; then
            [ $step = 10 ] && T capture-pane -p -t demo >"$tmp/out10"
            step=$((step + 1)) tries=0
            [ $step -le 12 ] && T send-keys -t demo ']'
        else
            tries=$((tries + 1)); sleep 0.1
            [ $((tries % 20)) = 0 ] && T send-keys -t demo ']'
        fi
    done
    T capture-pane -p -t demo >"$tmp/out"
    check "the installed causal-abstraction lecture runs every step from another directory" \
        eval '[ $step = 13 ] && grep -qF "1000000 of 1000000 pairs agree" "$tmp/out10" &&
              out_has "[12/12]" && out_has "intervene: hierarchical-equality"'
    T kill-server 2>/dev/null
else
    ok "the installed lecture runs from another directory # SKIP tmux is not installed"
fi

# OpenBLAS's kernels: where it fell back to its SSE3 ones ("Prescott") on a CPU with AVX2, the
# program starts itself again with OPENBLAS_CORETYPE set; it still gives the same answer.
env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 "$INTERVENE" builtin:max -c 'input 3 5; show out' \
    >"$tmp/out" 2>"$tmp/err"
first=$(grep -m1 '^Core:' "$tmp/out" "$tmp/err" | sed 's/.*Core: //')
last=$(grep -h '^Core:' "$tmp/out" "$tmp/err" | tail -1 | sed 's/.*Core: //')
if [ -z "$first" ]; then
    ok "OpenBLAS's kernels match the CPU # SKIP the BLAS is not OpenBLAS (or says nothing)"
elif grep -qw avx2 /proc/cpuinfo 2>/dev/null && [ "$first" = Prescott ]; then
    check "OpenBLAS's fallback kernels on an AVX2 CPU are replaced by the CPU's own" \
        eval '[ "$last" != Prescott ] && out_has "site=out clean=5 intervened=5"'
else
    check "OpenBLAS chose its kernels itself (Core: $first): the program runs as it is" \
        eval '[ "$last" = "$first" ] && out_has "site=out clean=5 intervened=5"'
fi
