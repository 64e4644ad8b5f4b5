#!/bin/sh
# stress.sh - the real binary under abuse in a real terminal: a storm of resizes, thousands of
# random keys, a huge paste into the command line, a terminal without colours, a locale without
# UTF-8, and each crash signal. After each, the explorer must still answer, quit with status 0 (or
# die of the signal), and leave the terminal in canonical mode with echo. tmux runs it in panes of
# a private server; waits poll the screen, and the only sleeps pace the storms. Skipped, with a
# message, only where tmux is absent.
. "$srcdir/tests/tap.sh"
if ! command -v tmux >/dev/null 2>&1; then
    echo "1..0 # SKIP tmux is not installed"
    exit 0
fi
# The panes run in a temporary directory (where the history and any stray file land), so every
# path they are given is absolute.
srcdir=$(cd "$srcdir" && pwd)
case $INTERVENE in /*) ;; *) INTERVENE=$(pwd)/$INTERVENE ;; esac
model=$srcdir/sample_models/max.nn

# A Latin-1 locale is tried too where the system has one.
latin1=$(locale -a 2>/dev/null | grep -i -E '8859-?1$|latin-?1$' | sed -n 1p)
if [ -n "$latin1" ]; then plan 32; else plan 28; fi

sock="intervene-stress-$$"
tmp=$(mktemp -d)
cd "$tmp" || exit 1
# SHELL: the server runs each pane's command with it, and the commands below are sh.
T() { SHELL=/bin/sh tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; cd / && rm -rf "$tmp"; }
trap cleanup EXIT

# start NAME COLS ROWS ENV...: runs intervene on max.nn in a new session, its pid in NAME.pid.
# When it ends, the pane shows its exit status, then "tty icanon echo end" when the terminal is
# back in canonical mode with echo ("-icanon" or "-echo" in their place when it is not).
start() {
    name=$1 cols=$2 rows=$3; shift 3
    T new-session -d -s "$name" -x "$cols" -y "$rows" -c "$tmp" \
        "ulimit -c 0; env TERM=xterm-256color INPUTRC=/dev/null XDG_STATE_HOME='$tmp/state' $* \
         sh -c 'echo \$\$ >$name.pid; exec \"\$0\" \"\$1\"' '$INTERVENE' '$model'; \
         echo \"exit status \$?\"; \
         echo \"tty \$(stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo \
                      | tr '\n' ' ')end\"; sleep 120"
}
screen() { T capture-pane -p -t "$1"; }
# wait_for NAME TEXT [TENTHS]: polls the screen for fixed text, for up to 10 seconds by default.
wait_for() {
    i=0
    while [ $i -lt "${3:-100}" ]; do
        screen "$1" | grep -qF -- "$2" && return 0
        i=$((i + 1)); sleep 0.1
    done
    return 1
}
keys() { name=$1; shift; T send-keys -t "$name" -- "$@"; }
shows() { # NAME TEXT DESCRIPTION [TENTHS]
    if wait_for "$1" "$2" "$4"; then ok "$3"; else not_ok "$3: '$2' not on screen" "$(screen "$1")"; fi
}

# answers NAME DESCRIPTION: closes whatever popup is open, then the explorer must still run a
# command typed at the ':' line (the focused input is bracketed, either one).
answers() {
    keys "$1" Escape Escape Escape ':' 'input 3 5' Enter
    i=0
    while [ $i -lt 100 ]; do
        screen "$1" | grep -qE 'base \[?x=3\]? \[?y=5' && { ok "$2"; return; }
        i=$((i + 1)); sleep 0.1
    done
    not_ok "$2: ':input 3 5' did not show the base input" "$(screen "$1")"
}

# quits NAME WHAT: q, and q again when the explorer asks first (unsaved interventions); it must end
# with status 0 and restore the terminal.
quits() {
    keys "$1" q
    i=0
    while [ $i -lt 100 ]; do
        s=$(screen "$1")
        case $s in
        *"exit status"*) break ;;
        *"press q again"*) keys "$1" q; break ;;
        esac
        i=$((i + 1)); sleep 0.1
    done
    shows "$1" "exit status 0" "$2: q quits with status 0"
    shows "$1" "tty icanon echo end" "$2: the terminal is restored (icanon, echo)"
}

# ---- a resize storm: 50 sizes from 1 x 1 to 300 x 100 in about 5 seconds, then 100 x 30 ----------
start resize 100 30
wait_for resize "intervene: max" >/dev/null
awk 'BEGIN { srand(1); print 1, 1
             for (i = 2; i < 50; i++) print 1 + int(rand() * 300), 1 + int(rand() * 100)
             print 300, 100 }' >sizes
while read -r cols rows; do
    T resize-window -t resize -x "$cols" -y "$rows"
    sleep 0.08
done <sizes
T resize-window -t resize -x 100 -y 30
# The end of the title and of the key hints fit only at the full width: seen, it was redrawn so.
if wait_for resize "| seed 1" && wait_for resize "+ - step input   q quit" &&
    ! screen resize | grep -q "exit status"; then
    ok "resize storm: redrawn at 100 x 30 after 50 sizes from 1 x 1 to 300 x 100"
else
    not_ok "resize storm: redrawn at 100 x 30 after 50 sizes from 1 x 1 to 300 x 100" \
        "$(screen resize)"
fi
answers resize "resize storm: the explorer still answers"
quits resize "resize storm"

# ---- 3,000 random keys from a fixed seed: every key of the explorer but those that quit or open
# ---- the command line (q Q Ctrl-C : =), sent 100 at a time --------------------------------------
start storm 100 30
wait_for storm "intervene: max" >/dev/null
awk 'BEGIN {
    srand(20240611)
    n = split("Up Down Left Right h j k l Space Escape z m n r p t u c v s + - Tab P e o C R ? ] [",
              key, " ")
    for (i = 0; i <= 9; i++) key[++n] = i
    letters = "abcdefghijklmnoprstuvwxyzABCDEFGHIJKLMNOPRSTUVWXYZ"
    for (i = 1; i <= length(letters); i++) key[++n] = substr(letters, i, 1)
    for (i = 0; i < 3000; i++) print key[1 + int(rand() * n)]
}' >keys
xargs -n 100 env SHELL=/bin/sh tmux -L "$sock" -f /dev/null send-keys -t storm -- <keys
answers storm "key storm: the explorer still answers after 3,000 random keys"
quits storm "key storm"

# ---- a 10,000-character paste into the ':' line: Enter reports an error; a second one, Escape
# ---- cancels. No ';' (one command only, so nothing can write a file) and no quote or bracket, so
# ---- the error is always the first word's. ---------------------------------------------------------
awk 'BEGIN {
    srand(7); chars = "abcdefghijklmnopqrstuvwxyz0123456789    .=-,"
    s = "frobnicate "
    printf "%s", s
    for (i = length(s); i < 10000; i++) printf "%s", substr(chars, 1 + int(rand() * length(chars)), 1)
}' >paste
T load-buffer -b paste paste
start paste 100 30
wait_for paste "intervene: max" >/dev/null
# readline takes the pasted line one character at a time, each drawn: allow for a slow build.
keys paste ':'
T paste-buffer -b paste -t paste
keys paste Enter
shows paste "unknown command 'frobnicate'" "paste: Enter on a 10,000-character line reports an error" 450
keys paste ':'
T paste-buffer -b paste -t paste
keys paste Escape
shows paste "cancelled" "paste: Escape cancels a second 10,000-character line" 450
answers paste "paste: the explorer still answers"
quits paste "paste"

# ---- TERM=vt100: no colours, no alternate screen --------------------------------------------------
start vt100 100 30 TERM=vt100
shows vt100 "intervene: max" "TERM=vt100: the explorer opens"
keys vt100 v
shows vt100 "> view next" "TERM=vt100: a key runs its command"
quits vt100 "TERM=vt100"

# ---- locales without UTF-8 -----------------------------------------------------------------------
locale_test() { # NAME LOCALE
    start "$1" 100 30 LC_ALL="$2"
    if wait_for "$1" "intervene: max" && wait_for "$1" "effect over grid" &&
        wait_for "$1" "+ - step input   q quit"; then
        ok "LC_ALL=$2: the explorer opens and draws"
    else
        not_ok "LC_ALL=$2: the explorer opens and draws" "$(screen "$1")"
    fi
    # Glyphs beyond ASCII have stand-ins there: a UTF-8 byte drawn as a cell of its own shows as
    # '?' or as '~' and a letter, and shifts the rest of its row.
    keys "$1" ':' 'ablate h2[0] noise' Enter
    if wait_for "$1" "#1 noise h2[0]" && wait_for "$1" "/ x = y" &&
        ! screen "$1" | sed 's/ ? help / help /' | grep -q -e '?' -e '~[A-Z@]'; then
        ok "LC_ALL=$2: the map and the sample histogram are drawn in ASCII"
    else
        not_ok "LC_ALL=$2: the map and the sample histogram are drawn in ASCII" "$(screen "$1")"
    fi
    quits "$1" "LC_ALL=$2"
}
locale_test c C
[ -z "$latin1" ] || locale_test latin1 "$latin1"

# ---- crash signals: the process dies of the signal (status 128 + its number) and the terminal is
# ---- restored. Under a sanitizer the explorer hands the signal on to its reporter, which ends the
# ---- process its own way: then any failing status will do; the restore must hold all the same. ---
sanitized=false
grep -q -e __asan_init -e __ubsan_handle "$INTERVENE" 2>/dev/null && sanitized=true
for sig in SEGV BUS ABRT FPE; do
    start "sig$sig" 100 30
    wait_for "sig$sig" "intervene: max" >/dev/null
    kill -s "$sig" "$(cat "sig$sig.pid")"
    wait_for "sig$sig" "exit status" >/dev/null
    n=1 # the signal's number, found by name: 'kill -l NUMBER' is POSIX, 'kill -l NAME' is not
    while [ $n -lt 64 ] && [ "$(kill -l $n)" != "$sig" ]; do n=$((n + 1)); done
    want=$((128 + n))
    # Anywhere on its line, wrapped lines joined: a terminal left on the explorer's screen gets
    # it wherever the cursor was.
    got=$(T capture-pane -p -J -t "sig$sig" | sed -n 's/.*exit status \([0-9][0-9]*\).*/\1/p' |
          sed -n 1p)
    if [ "$got" = "$want" ] || { $sanitized && [ -n "$got" ] && [ "$got" -ne 0 ]; }; then
        ok "SIG$sig: the explorer dies of it (exit status $got)"
    else
        not_ok "SIG$sig: the explorer dies of it (exit status $want)" "$(screen "sig$sig")"
    fi
    shows "sig$sig" "tty icanon echo end" "SIG$sig: the terminal is restored (icanon, echo)"
done
