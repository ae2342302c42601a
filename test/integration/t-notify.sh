# shellcheck shell=bash
# sd_notify through the runtime (runc's NOTIFY_SOCKET protocol): with NOTIFY_SOCKET set for
# create and start, the container finds its own socket in $NOTIFY_SOCKET, and start relays
# its READY=1 to the caller's socket with MAINPID = the container's init as the host sees it.

# notify_setup: builds lib/sd-notify.c into $T/probe (bound at /probe), a host listener on
# $T/host.sock writing what it receives to $T/got; sets LISTENER
notify_setup() {
	command -v gcc >/dev/null || skip "no gcc to build lib/sd-notify.c"
	mkdir -p "$T/probe"
	gcc -static -O2 -o "$T/probe/sd-notify" "$IT_DIR/lib/sd-notify.c" 2>"$T/gcc.err" ||
		skip "gcc -static of lib/sd-notify.c failed: $(head -c 300 "$T/gcc.err")"
	mk_bundle
	add_ctl
	cfg '.mounts += [{"destination": "/probe", "type": "bind", "source": $p, "options": ["rbind", "ro"]}]' \
		--arg p "$T/probe"
	"$T/probe/sd-notify" listen "$T/host.sock" "$T/got" &
	LISTENER=$!
	IT_PIDS+=("$LISTENER")
	wait_for 5 test -S "$T/host.sock" || fail "the test's listener did not bind"
}

test_notify_socket_ready_relayed_with_mainpid() {
	notify_setup
	set_args sh -c 'echo "$NOTIFY_SOCKET" > /mnt/env; sleep 0.3; /probe/sd-notify send "READY=1
STATUS=serving"; exec sleep 1000'
	local id pid
	id=$(cid notify)
	NOTIFY_SOCKET=$T/host.sock rt create --bundle "$BUNDLE" "$id" >"$T/create.out" 2>"$T/create.err" </dev/null ||
		fail "create with NOTIFY_SOCKET failed: $(cat "$T/create.err")"
	pid=$(init_pid "$id")
	NOTIFY_SOCKET=$T/host.sock timeout 20 "$RUNTIME" --root "$ROOT" start "$id" 2>"$T/start.err" ||
		fail "start with NOTIFY_SOCKET failed: $(cat "$T/start.err")"
	# start returns once READY=1 is passed on: the listener has it already.
	wait_pid_gone "$LISTENER" 5
	assert_eq /run/notify/notify.sock "$(cat "$CTL/env")" "NOTIFY_SOCKET inside the container"
	local got
	got=$(cat "$T/got")
	assert_contains "$got" "READY=1" "what reached the caller's socket"
	assert_contains "$got" "MAINPID=$pid" "what reached the caller's socket"
	assert_eq running "$(state_field "$id" status)" "status after the relay"
	delete_ok "$id" --force
}

# A container that ends without READY=1: start does not wait forever.
test_notify_socket_start_returns_when_init_exits() {
	notify_setup
	set_args sh -c 'sleep 0.2; exit 0'
	local id
	id=$(cid notifyexit)
	NOTIFY_SOCKET=$T/host.sock rt create --bundle "$BUNDLE" "$id" >/dev/null 2>"$T/create.err" </dev/null ||
		fail "create with NOTIFY_SOCKET failed: $(cat "$T/create.err")"
	NOTIFY_SOCKET=$T/host.sock timeout 20 "$RUNTIME" --root "$ROOT" start "$id" 2>"$T/start.err"
	RC=$?
	[[ $RC != 124 ]] || fail "start waited for a READY=1 that could never come"
	[[ ! -s $T/got ]] || fail "something was relayed: $(cat "$T/got")"
	delete_ok "$id" --force
}

# Socket activation (sd_listen_fds): fds the caller handed to myrt with LISTEN_FDS and
# LISTEN_PID = myrt's pid reach the container's process as fds 3.., with LISTEN_FDS=n and
# LISTEN_PID=1 there (as runc); fds passed with --preserve-fds follow them.
test_listen_fds_passed_to_the_container() {
	mk_bundle
	set_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES" >&3; echo second >&4; echo preserved >&5'
	local id
	id=$(cid listen)
	: >"$T/fd3" && : >"$T/fd4" && : >"$T/fd5"
	MYRT_IT_RT=$TAG LISTEN_FDS=2 LISTEN_FDNAMES=web:admin RT="$RUNTIME" ROOTDIR="$ROOT" B="$BUNDLE" ID="$id" \
		bash -c 'export LISTEN_PID=$$; exec "$RT" --root "$ROOTDIR" run --preserve-fds 1 -b "$B" "$ID"' \
		3>"$T/fd3" 4>"$T/fd4" 5>"$T/fd5" >"$T/out" 2>"$T/err" </dev/null ||
		fail "run with LISTEN_FDS failed: $(cat "$T/err")"
	echo "$id" >>"$T/.ids"
	# runc 1.1.5 drops LISTEN_FDNAMES (sd_listen_fds_with_names then has no names).
	local names=web:admin
	is_myrt || names=
	assert_eq "2 1 $names" "$(cat "$T/fd3")" "LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES in the container, written to fd 3"
	assert_eq second "$(cat "$T/fd4")" "the second activation fd"
	assert_eq preserved "$(cat "$T/fd5")" "the --preserve-fds fd after them"
}
