# shellcheck shell=bash
# Terminal helpers for t-terminal.sh and t-exec.sh (source after lib/common.sh).
#
# tmux: every test gets its own tmux server (socket `tmux -L it-$TAG`, no config file)
# with one window "it" of a fixed size running an "outer" interactive bash (prompt
# `OUTER$ `, no rc files). Commands are typed into it with tm_type/tm_key, exactly as a
# user would, and the screen is read back with capture-pane. Waits poll the screen with a
# deadline (tm_wait_*); a failed wait prints the screen. The tmux server is killed when the
# test ends (before the usual cleanup), and the screen is dumped to the log on failure.
#
# The outer shell reaches the runtime through $T/bin/rt-it (the runtime with this test's
# --root and MYRT_IT_RT=$TAG, no timeout wrapper: timeout(1) would move the runtime out
# of the terminal's foreground process group). Use tm_rt_line to build such a command line
# (it records the container id for cleanup).
#
# recvtty: build/test/tools/recvtty, a console-socket receiver (see test/tools/recvtty.cpp).

TM_COLS=100
TM_ROWS=30
RECVTTY=$REPO/build/test/tools/recvtty

tm() { tmux -L "it-$TAG" "$@"; }

# tm_start [COLS ROWS]: the tmux server and the outer shell, waits for its prompt.
tm_start() {
	TM_COLS=${1:-100}
	TM_ROWS=${2:-30}
	command -v tmux >/dev/null || skip "tmux is not installed"
	mkdir -p "$T/bin"
	cat >"$T/bin/rt-it" <<EOF
#!/bin/sh
MYRT_IT_RT=$TAG exec $(printf '%q' "$RUNTIME") --root $(printf '%q' "$ROOT") "\$@"
EOF
	chmod +x "$T/bin/rt-it"
	trap _tm_exit EXIT
	# A clean, known outer shell: no rc files, a fixed prompt, the TERM of tmux panes.
	tm -f /dev/null new-session -d -s it -x "$TM_COLS" -y "$TM_ROWS" \
		"env -i PATH=$T/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=$T TERM=screen PS1='OUTER\$ ' bash --norc --noprofile" ||
		fail "tmux new-session failed"
	TM_SOCKET=$(tm display -p '#{socket_path}')
	tm_wait_cursor_line 'OUTER\$' 10 "outer shell prompt"
	local size
	size=$(tm display -p -t it '#{pane_width}x#{pane_height}')
	assert_eq "${TM_COLS}x${TM_ROWS}" "$size" "tmux pane size"
}

_tm_exit() {
	local rc=$?
	if [[ $rc != 0 && $rc != 77 ]]; then
		{
			echo "--- tmux screen at exit ---"
			tm capture-pane -p -t it 2>/dev/null
			echo "---------------------------"
		} >&2
	fi
	tm kill-server >/dev/null 2>&1
	[[ -n ${TM_SOCKET:-} ]] && rm -f "$TM_SOCKET" # kill-server leaves it
	(exit "$rc")
	it_cleanup
}

# tm_rt_line ID ARGS...: the outer-shell command line `rt-it ARGS... ID` (ID recorded)
tm_rt_line() {
	local id=$1
	shift
	printf '%s\n' "$id" >>"$T/.ids"
	printf 'rt-it'
	printf ' %q' "$@" "$id"
}

tm_type() { tm send-keys -t it -l -- "$1" || fail "tmux send-keys failed"; } # literal text
tm_key() { tm send-keys -t it "$@" || fail "tmux send-keys failed"; }        # Enter, C-c, BSpace...
tm_line() { tm_type "$1"; tm_key Enter; }                                    # TEXT + Enter

tm_screen() { tm capture-pane -p -t it; } # the visible screen, trailing blanks trimmed
tm_cursor_line() {                        # the text of the line the cursor is on
	local y
	y=$(tm display -p -t it '#{cursor_y}')
	tm_screen | sed -n "$((y + 1))p"
}

_tm_fail() { # WHAT
	fail "$1; screen: $(tm_screen | grep -v '^$' | tail -n 12 | tr '\n' '|')"
}

# tm_wait_line ERE [SECONDS=10] [WHAT]: a whole line of the screen matches ERE
tm_wait_line() {
	_tm_has_line() { tm_screen | grep -qEx -- "$1"; }
	wait_for "${2:-10}" _tm_has_line "$1" || _tm_fail "${3:-screen} has no line /^$1\$/"
}

# tm_wait_cursor_line ERE [SECONDS=10] [WHAT]: the cursor's line matches ERE (a prompt)
tm_wait_cursor_line() {
	_tm_cursor_is() { [[ $(tm_cursor_line) =~ ^($1)$ ]]; }
	wait_for "${2:-10}" _tm_cursor_is "$1" || _tm_fail "${3:-cursor line} is '$(tm_cursor_line)', wanted /^$1\$/"
}

# tm_sync NAME [SECONDS=10]: type `echo sync-NAME-$((40+2))` and wait for `sync-NAME-42`
# (a line only the shell's output can produce): the shell at the cursor reads commands.
tm_sync() {
	tm_line "echo sync-$1-\$((40+2))"
	tm_wait_line "sync-$1-42" "${2:-10}" "output of 'echo sync-$1-\$((40+2))'"
}

INNER_PROMPT='/ #' # busybox ash's prompt for root in /, trailing blank trimmed by tmux

# tm_line_editing: at a shell prompt, types `echo abX`, BSpace, `c`, Enter: the shell's line
# editing on the terminal erases the X, `abc` is printed
tm_line_editing() {
	tm_type 'echo abX'
	tm_key BSpace
	tm_type c
	tm_key Enter
	tm_wait_line abc 10 "output of 'echo abX<BSpace>c'"
}

# ---------------------------------------------------------------------------------------
# recvtty

# recvtty_start SOCKET OUTFILE [INPUT] [TIMEOUT=15]: a receiver in the background, waits
# until it listens. Sets RECV_PID.
recvtty_start() {
	[[ -x $RECVTTY ]] || skip "no $RECVTTY (ninja -C build)"
	local ready=$T/recvtty.ready.$RANDOM
	local args=("$1" --timeout "${4:-15}" --ready "$ready")
	[[ -n ${3:-} ]] && args+=(--input "$3")
	"$RECVTTY" "${args[@]}" >"$2" 2>"$2.err" </dev/null &
	RECV_PID=$!
	wait_for 10 test -e "$ready" || fail "recvtty did not start: $(cat "$2.err")"
}

# recvtty_wait [SECONDS=20]: wait for the receiver to finish (the terminal closed)
recvtty_wait() {
	wait_pid_gone "$RECV_PID" "${1:-20}"
	wait "$RECV_PID" 2>/dev/null || true
}
