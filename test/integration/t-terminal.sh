# shellcheck shell=bash
# Terminals: `run` in the foreground with process.terminal true, driven through tmux like a
# user at a terminal (prompt, line editing, full-screen programs, resize, Ctrl-C, exit
# status, the outer terminal restored); the console socket of `create` (recvtty);
# `run` with terminal false (the caller's stdio, signals forwarded, exit statuses).

source "$IT_DIR/lib/terminal.sh"
# shellcheck source=lib/signals.sh
source "$IT_DIR/lib/signals.sh"

# --- run with terminal: true, in tmux ---------------------------------------------------

# tty_run ID: the example bundle with terminal true (args ["sh"]); types into the outer
# shell `stty -a > $T/stty.before; rt-it run -b BUNDLE ID; echo "rc=$?"; stty -a > $T/stty.after`
# and waits for the container's shell prompt. Sets RUN_PID (the foreground runtime).
tty_run() {
	mk_bundle
	cfg '.process.terminal = true'
	assert_eq '["sh"]' "$(jq -c .process.args "$BUNDLE/config.json")" "args of the example bundle"
	tm_start 100 30
	tm_line "stty -a > $T/stty.before; $(tm_rt_line "$1" run --bundle "$BUNDLE"); echo \"rc=\$?\"; stty -a > $T/stty.after"
	tm_wait_cursor_line "$INNER_PROMPT" 15 "container shell prompt"
	local pane
	pane=$(tm display -p -t it '#{pane_pid}')
	RUN_PID=$(pgrep -P "$pane")
	[[ $RUN_PID =~ ^[0-9]+$ ]] || fail "no single runtime process under the outer shell: '$RUN_PID'"
}

# tty_exit STATUS: `exit STATUS` in the container's shell; the outer shell prints
# rc=STATUS and its prompt comes back
tty_exit() {
	tm_line "exit $1"
	tm_wait_line "rc=$1" 15 "exit status in the outer shell"
	tm_wait_cursor_line 'OUTER\$' 10 "outer prompt after the container exited"
	wait_for 10 test -s "$T/stty.after" || fail "no $T/stty.after"
}

# stty settings without the window size
stty_no_size() { sed -E 's/rows [0-9]+; columns [0-9]+;//' "$1"; }

test_tty_shell_prompt_command_and_line_editing() {
	local id
	id=$(cid sh)
	tty_run "$id"
	assert_eq running "$(state_field "$id" status)" "status while the shell runs"
	tm_line 'echo $((6*7))'
	tm_wait_line 42 10 "output of echo \$((6*7))"
	# Line editing by the shell on the container's terminal: BSpace erases the X.
	tm_line_editing
	tm_wait_line "$INNER_PROMPT echo abc" 5 "edited command line as shown"
	# The shell is the container's init and the terminal is its controlling terminal.
	# (field 7 of /proc/PID/stat: the controlling tty, 136 << 8 | 0 for /dev/pts/0)
	tm_line 'echo "pid=$$ tty=$(tty) ctty=$(cut -d" " -f7 /proc/$$/stat)"'
	tm_wait_line 'pid=1 tty=/dev/pts/0 ctty=34816' 10 "pid, tty and controlling tty of the shell"
	tty_exit 0
}

test_tty_vi_full_screen() {
	local id
	id=$(cid vi)
	tty_run "$id"
	tm_line 'vi'
	# An empty buffer: line 1, a `~` at the left margin on every other line but the last
	# (the status line): rows - 2 of them.
	_tildes() { [[ $(tm_screen | grep -cx '~') == "$1" ]]; }
	wait_for 10 _tildes $((TM_ROWS - 2)) ||
		_tm_fail "vi: expected $((TM_ROWS - 2)) '~' lines, got $(tm_screen | grep -cx '~')"
	tm_type 'ihello-vi'
	tm_wait_line 'hello-vi' 5 "text typed into vi"
	# Escape alone (not the start of a key sequence): back to command mode, whose status
	# line starts with "-" (insert mode: "I").
	tm_key Escape
	_vi_command_mode() { tm_screen | tail -n 1 | grep -q '^- '; }
	wait_for 5 _vi_command_mode || _tm_fail "vi did not leave insert mode on Escape"
	tm_type ':q!'
	tm_key Enter
	tm_wait_cursor_line "$INNER_PROMPT" 10 "prompt after :q! in vi"
	tm_sync after-vi
	# the shell's terminal settings survived vi
	tm_line 'stty -a | grep -o -- "-*icanon" | head -n 1; echo done-$((1+1))'
	tm_wait_line done-2 10
	tm_wait_line icanon 5 "canonical mode back after vi"
	assert_eq running "$(state_field "$id" status)" "status after vi"
	tty_exit 0
}

test_tty_top_full_screen() {
	local id
	id=$(cid top)
	tty_run "$id"
	tm_line 'top'
	# top clears the screen: its header is on line 1, the column header below.
	_top_drawn() {
		tm_screen | head -n 1 | grep -q '^Mem: ' &&
			tm_screen | grep -qE '^ +PID +PPID +USER +STAT'
	}
	wait_for 10 _top_drawn || _tm_fail "top did not draw its screen"
	tm_wait_line ' +1 +0 root .* sh' 5 "the container's init in top"
	tm_type q
	tm_wait_cursor_line "$INNER_PROMPT" 10 "prompt after q in top"
	tm_sync after-top
	tty_exit 0
}

test_tty_resize_follows_window() {
	local id init
	id=$(cid resize)
	tty_run "$id"
	init=$(init_pid "$id") || exit 1
	tm_line 'stty size'
	tm_wait_line '30 100' 10 "stty size before the resize"
	tm resize-window -t it -x 120 -y 40 || fail "tmux resize-window failed"
	assert_eq 120x40 "$(tm display -p -t it '#{pane_width}x#{pane_height}')" "pane size after resize-window"
	# The runtime gets SIGWINCH and resizes the container's terminal: watch it from the
	# host (init's stdin is the container's pty), then ask inside.
	_inner_size() { [[ $(stty -F "/proc/$init/fd/0" size 2>/dev/null) == "40 120" ]]; }
	wait_for 10 _inner_size ||
		fail "container terminal size '$(stty -F "/proc/$init/fd/0" size 2>&1)' after the window became 40x120"
	tm_line 'clear; stty size'
	tm_wait_line '40 120' 10 "stty size after the resize"
	# again, smaller
	tm resize-window -t it -x 90 -y 25 || fail "tmux resize-window failed"
	_inner_size2() { [[ $(stty -F "/proc/$init/fd/0" size 2>/dev/null) == "25 90" ]]; }
	wait_for 10 _inner_size2 ||
		fail "container terminal size '$(stty -F "/proc/$init/fd/0" size 2>&1)' after the window became 25x90"
	tm_line 'clear; stty size'
	tm_wait_line '25 90' 10 "stty size after the second resize"
	tty_exit 0
	# The outer terminal's settings are restored, apart from its (new) size.
	assert_eq "$(stty_no_size "$T/stty.before")" "$(stty_no_size "$T/stty.after")" "outer stty -a before/after"
	assert_contains "$(cat "$T/stty.after")" "rows 25; columns 90;" "outer stty -a after"
}

test_tty_ctrl_c_interrupts_the_container_process() {
	local id init sleep_pid
	id=$(cid ctrlc)
	tty_run "$id"
	init=$(init_pid "$id") || exit 1
	tm_line 'sleep 100'
	_find_sleep() {
		local p
		for p in $(tagged_pids); do
			[[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "sleep 100 " ]] && { sleep_pid=$p; return 0; }
		done
		return 1
	}
	wait_for 10 _find_sleep || fail "no 'sleep 100' in the container"
	tm_key C-c
	wait_pid_gone "$sleep_pid" 10
	tm_wait_cursor_line "$INNER_PROMPT" 10 "prompt after Ctrl-C"
	pid_alive "$RUN_PID" || fail "the runtime ($RUN_PID) died of the Ctrl-C meant for the container"
	pid_alive "$init" || fail "the container's shell ($init) died of Ctrl-C"
	assert_eq running "$(state_field "$id" status)" "status after Ctrl-C"
	tm_sync after-ctrl-c
	# The shell itself (as on any terminal) saw the interrupt of its job: 128+2
	tm_line 'sleep 100'
	wait_for 10 _find_sleep || fail "no second 'sleep 100' in the container"
	tm_key C-c
	wait_pid_gone "$sleep_pid" 10
	tm_line 'echo "status=$?"'
	tm_wait_line 'status=130' 10 "status of the interrupted sleep"
	tty_exit 0
}

test_tty_exit_status_and_outer_terminal_restored() {
	local id pty
	id=$(cid exit)
	tty_run "$id"
	# While the container runs, the outer terminal is raw: keys go to the container.
	pty=$(tm display -p -t it '#{pane_tty}')
	local during
	during=$(stty -a -F "$pty")
	assert_contains "$during" "-icanon" "outer terminal while the container runs"
	assert_contains "$during" "-echo " "outer terminal while the container runs"
	assert_contains "$(cat "$T/stty.before")" " icanon" "outer terminal before"
	tty_exit 7
	assert_eq "$(cat "$T/stty.before")" "$(cat "$T/stty.after")" "outer stty -a before and after the container"
	pid_gone "$RUN_PID" || fail "runtime $RUN_PID still running"
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state of the container after run returned (run deletes it)"
	assert_no_leftovers "$id"
}

test_tty_run_piped_into_head() {
	# `run ID | head -n1` with a terminal: once head is gone the runtime's output is a
	# broken pipe. It must not die of SIGPIPE (leaving the container and its state): the
	# terminal hangs up, the container ends, run deletes it and restores the terminal.
	mk_bundle
	cfg '.process.terminal = true'
	set_args sh -c 'echo first; while echo more; do sleep 0.01; done'
	local id
	id=$(cid head)
	tm_start 100 30
	tm_line "stty -a > $T/stty.before; $(tm_rt_line "$id" run --bundle "$BUNDLE") | head -n1; echo \"rc=\${PIPESTATUS[0]}\"; stty -a > $T/stty.after"
	tm_wait_line 'rc=[0-9]+' 15 "exit status of run | head"
	tm_wait_cursor_line 'OUTER\$' 10 "outer prompt after run | head"
	tm_wait_line 'first.?' 5 "the container's first line, through head"
	local rc
	rc=$(tm_screen | grep -Eo '^rc=[0-9]+$')
	[[ $rc != rc=141 ]] || fail "run died of SIGPIPE (rc=141)"
	wait_for 10 test -s "$T/stty.after" || fail "no $T/stty.after"
	assert_eq "$(cat "$T/stty.before")" "$(cat "$T/stty.after")" "outer stty -a before and after run | head"
	assert_no_leftovers "$id"
}

# --- console socket (create --console-socket, recvtty) ----------------------------------

# console_run ID INPUT [CONFIG-JQ]: create --console-socket with recvtty writing INPUT,
# start, wait for the terminal to close. Sets OUT (the terminal's output, no CRs).
console_run() {
	local id=$1 input=$2
	mk_bundle
	cfg ".process.terminal = true ${3:+| $3}"
	recvtty_start "$T/console.sock" "$T/console.out" "$input"
	create_ok "$id" --console-socket "$T/console.sock"
	assert_eq created "$(state_field "$id" status)" "status after create"
	start_ok "$id"
	recvtty_wait 20
	wait_for_status "$id" stopped
	OUT=$(tr -d '\r' <"$T/console.out")
	echo "terminal output:"
	echo "$OUT"
}

has_line() { grep -qFx -- "$2" <<<"$1"; } # TEXT LINE

test_console_socket_recvtty() {
	local id
	id=$(cid console)
	console_run "$id" $'echo hi-$((6*7)); tty; exit\n'
	has_line "$OUT" hi-42 || fail "no line 'hi-42' on the terminal: $OUT"
	has_line "$OUT" /dev/pts/0 || fail "no line '/dev/pts/0' (tty) on the terminal: $OUT"
	# The container's stdout/stderr were the terminal, not create's stdio.
	assert_eq "" "$(cat "$T/$id.out")" "create's stdout"
	delete_ok "$id"
	assert_no_leftovers "$id"
}

# The terminal belongs to the process's user and keeps the group devpts gave it (gid=5,
# tty, in the config's devpts options), as with runc; it used to get the process's gid.
test_console_owner_and_tty_group() {
	local id
	id=$(cid owner)
	console_run "$id" $'stat -c "owner=%u:%g" $(tty); exit\n' '.process.user = {"uid": 1000, "gid": 1000}'
	has_line "$OUT" "owner=1000:5" || fail "the terminal's owner and group, want 1000:5: $OUT"
}

test_console_size() {
	local id
	id=$(cid size)
	console_run "$id" $'stty size; exit\n' '.process.consoleSize = {"height": 33, "width": 77}'
	has_line "$OUT" "33 77" || fail "stty size with consoleSize 33x77: $OUT"
}

test_terminal_without_console_socket_fails() {
	mk_bundle
	cfg '.process.terminal = true'
	local id
	id=$(cid nosock)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "create with terminal true and no --console-socket"
	if is_myrt; then
		assert_eq "myrt: process.terminal is true but no --console-socket was given" "$(cat "$T/err")" "stderr"
	fi
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state of the container that failed to be created"
	assert_no_leftovers "$id"
}

test_dev_console_is_the_pty() {
	local id
	id=$(cid devconsole)
	console_run "$id" '[ -c /dev/console ] && echo console-is-$((1+1))-chardev
stat -c "C %d:%i %t:%T" /dev/console; stat -c "P %d:%i %t:%T" $(tty)
echo via-$((1+1))-console > /dev/console; exit
'
	has_line "$OUT" console-is-2-chardev || fail "/dev/console is not a character device: $OUT"
	local c p
	c=$(grep '^C ' <<<"$OUT" | cut -d' ' -f2-)
	p=$(grep '^P ' <<<"$OUT" | cut -d' ' -f2-)
	[[ -n $p ]] || fail "no stat of the tty: $OUT"
	assert_match "$p" ' 88:0$' "the tty is /dev/pts/0 (136:0)"
	assert_eq "$p" "$c" "/dev/console (device:inode rdev) vs the pty"
	has_line "$OUT" via-2-console || fail "what was written to /dev/console did not reach the terminal: $OUT"
}

# --- run with terminal: false -----------------------------------------------------------

test_run_notty_stdio_is_the_callers() {
	mk_bundle
	set_args sh -c 'cat; echo to-stderr >&2'
	local id
	id=$(cid stdin)
	RC=0
	echo data-in | rt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "echo data-in | run cat"
	assert_eq data-in "$(cat "$T/out")" "what cat read from the pipe"
	assert_eq to-stderr "$(cat "$T/err")" "stderr"
	if is_myrt; then
		# myrt passes its own stdio to the container: the same open files
		set_args sh -c 'stat -L -c %d:%i /proc/self/fd/1 /proc/self/fd/2'
		run_ctr "$(cid same)"
		assert_rc 0 "run"
		assert_eq "$(stat -c %d:%i "$T/out")
$(stat -c %d:%i "$T/err")" "$OUT" "device:inode of the container's stdout and stderr"
	fi
}

# bg_run ID: `run` in the background (not through rt: $! is the runtime itself), output
# in $T/out. Sets RUN_PID.
bg_run() {
	printf '%s\n' "$1" >>"$T/.ids"
	MYRT_IT_RT=$TAG "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$1" >"$T/out" 2>"$T/err" </dev/null &
	RUN_PID=$!
}

# bg_wait: wait for the background runtime; sets RC
bg_wait() {
	wait_pid_gone "$RUN_PID" 20
	RC=0
	wait "$RUN_PID" || RC=$?
}

test_run_notty_signals_forwarded() {
	mk_bundle
	set_args sh -c 'trap "echo got-TERM; exit 25" TERM; trap "echo got-USR1" USR1; trap "echo got-HUP" HUP
		echo ready; while :; do sleep 0.05; done'
	local id
	id=$(cid fwd)
	bg_run "$id"
	wait_file_contains "$T/out" ready
	kill -USR1 "$RUN_PID"
	wait_file_contains "$T/out" got-USR1
	kill -HUP "$RUN_PID"
	wait_file_contains "$T/out" got-HUP
	pid_alive "$RUN_PID" || fail "the runtime died of a forwarded signal"
	assert_eq running "$(state_field "$id" status)" "status after USR1 and HUP"
	kill -TERM "$RUN_PID"
	wait_file_contains "$T/out" got-TERM
	bg_wait
	assert_rc 25 "run's exit status (the container handled TERM and exited 25)"
	assert_eq "ready
got-USR1
got-HUP
got-TERM" "$(cat "$T/out")" "container output"
	assert_no_leftovers "$id"
}

test_run_notty_every_signal_forwarded() {
	# Signals whose default would kill or stop the runtime (PIPE, XCPU... RTMIN+1, TSTP...)
	# go to the container like the others: the runtime neither dies nor stops, the
	# container runs on, then exits and run returns its status and deletes it.
	mk_bundle
	set_args sh -c "$(sig_trap_script)"
	local id
	id=$(cid every)
	bg_run "$id"
	wait_file_contains "$T/out" ready
	sig_send_all "$RUN_PID" "$T/out"
	assert_eq running "$(state_field "$id" status)" "status after the signals"
	kill -TERM "$RUN_PID"
	bg_wait
	assert_rc 25 "run's exit status (the container handled TERM and exited 25)"
	assert_no_leftovers "$id"
}

test_run_notty_exit_status_killed_by_signal() {
	mk_bundle
	set_args sh -c 'echo ready; exec sleep 1000'
	local id
	id=$(cid sigkill)
	bg_run "$id"
	wait_file_contains "$T/out" ready
	kill_ok "$id" KILL
	bg_wait
	assert_rc 137 "run of a container killed by SIGKILL (128+9)"
	# Without a pid namespace the forwarded TERM kills the process (no init protection).
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	id=$(cid sigterm)
	bg_run "$id"
	wait_file_contains "$T/out" ready
	kill -TERM "$RUN_PID"
	bg_wait
	assert_rc 143 "run of a container whose process died of the forwarded SIGTERM (128+15)"
	assert_no_leftovers "$id"
}
