# shellcheck shell=bash
# Other command-line features: --preserve-fds, --no-pivot, --console-socket, --debug,
# spec --rootless, state after an outside kill.

test_preserve_fds() {
	mk_bundle
	echo three >"$T/f3"
	echo four >"$T/f4"
	echo five >"$T/f5"
	set_args sh -c 'cat <&3; cat <&4; [ -e /proc/self/fd/5 ] && echo FD5-LEAKED; echo end'
	local id
	id=$(cid fds)
	RC=0
	rt run --bundle "$BUNDLE" --preserve-fds 2 "$id" >"$T/out" 2>"$T/err" </dev/null 3<"$T/f3" 4<"$T/f4" 5<"$T/f5" || RC=$?
	assert_rc 0 "run --preserve-fds 2"
	assert_eq "three
four
end" "$(cat "$T/out")" "preserved fds 3 and 4 (and not 5)"
}

test_no_preserved_fds_by_default() {
	mk_bundle
	set_args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	local id
	id=$(cid nofds)
	RC=0
	rt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null 3<"$T/out" 7<"$T/out" || RC=$?
	assert_rc 0 "run"
	# 0 1 2, and 3 for the directory ls reads
	assert_match "$(cat "$T/out")" '^0 1 2 (3 )?$' "fds inside without --preserve-fds"
}

test_no_pivot() {
	mk_bundle --copy-rootfs
	echo "marker-$TAG" >"$BUNDLE/rootfs/marker"
	set_args sh -c 'cat /marker; [ -e /etc/debian_version ] && echo HOST-VISIBLE; echo "pid=$$"'
	local id
	id=$(cid nopivot)
	RC=0
	rt run --bundle "$BUNDLE" --no-pivot "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_rc 0 "run --no-pivot"
	assert_eq "marker-$TAG
pid=1" "$(cat "$T/out")" "run --no-pivot output"
	assert_no_leftovers "$id"
}

test_debug_flag() {
	mk_bundle
	set_args echo only-this
	local id
	id=$(cid debug)
	RC=0
	rt --debug run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_rc 0 "--debug run"
	assert_eq only-this "$(cat "$T/out")" "stdout of --debug run (debug output belongs on stderr or the log)"
}

test_console_socket() {
	local py
	py=$(command -v /usr/bin/python3 python3 | head -n 1)
	[[ -n $py ]] || skip "no python3 for the console socket receiver"
	mk_bundle
	cfg '.process.terminal = true | .process.consoleSize = {"height": 31, "width": 101}'
	set_args sh -c 'tty; stty size; echo term-ok'
	local sock=$T/console.sock
	cat >"$T/recv.py" <<-'EOF'
		import array, os, socket, sys
		path, out = sys.argv[1], sys.argv[2]
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.bind(path)
		s.listen(1)
		s.settimeout(30)
		c, _ = s.accept()
		fds = array.array("i")
		msg, anc, flags, addr = c.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
		for level, typ, data in anc:
		    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
		        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
		if not fds:
		    sys.exit("no fd received")
		with open(out, "wb") as f:
		    while True:
		        try:
		            d = os.read(fds[0], 4096)
		        except OSError:
		            break
		        if not d:
		            break
		        f.write(d)
		        f.flush()
	EOF
	timeout 40 "$py" "$T/recv.py" "$sock" "$T/console.out" >"$T/recv.log" 2>&1 &
	local recv=$!
	wait_for 20 test -S "$sock" || fail "console socket receiver did not start: $(cat "$T/recv.log")"
	local id
	id=$(cid console)
	# myrt with --debug and no --log: none of its trace may land in the container's console.
	local dbg=()
	is_myrt && dbg=(--debug)
	rt "${dbg[@]}" create --bundle "$BUNDLE" --console-socket "$sock" "$id" >"$T/create.out" 2>"$T/create.err" </dev/null ||
		fail "create --console-socket: $(cat "$T/create.err")"
	rt "${dbg[@]}" start "$id" >"$T/start.out" 2>&1 </dev/null || fail "start: $(cat "$T/start.out")"
	wait_for_status "$id" stopped
	wait "$recv" || fail "console receiver failed: $(cat "$T/recv.log")"
	local out
	out=$(tr -d '\r' <"$T/console.out")
	assert_not_contains "$out" "debug" "the runtime's trace in the container's console"
	assert_match "$out" '(^|
)/dev/pts/[0-9]+
' "tty inside"
	assert_contains "$out" "31 101" "stty size (consoleSize)"
	assert_contains "$out" term-ok "output through the console"
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_state_after_outside_kill() {
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid outside)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	kill -9 "$pid"
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_spec_rootless() {
	mkdir -p "$T/spec"
	RC=0
	"$RUNTIME" spec --rootless --bundle "$T/spec" >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "spec --rootless"
	jq -e '.linux.namespaces | map(.type) | index("user")' "$T/spec/config.json" >/dev/null ||
		fail "spec --rootless: no user namespace"
	# crun leaves the mappings out (it fills them in at create).
	[[ $RUNTIME_KIND == crun ]] ||
		jq -e '(.linux.uidMappings | length > 0) and (.linux.gidMappings | length > 0)' "$T/spec/config.json" >/dev/null ||
		fail "spec --rootless: no uidMappings/gidMappings"
}

test_spec_default_runs() {
	# The config from `spec` works as is with our rootfs (args changed, no terminal).
	mkdir -p "$T/spec"
	"$RUNTIME" spec --bundle "$T/spec" >"$T/out" 2>"$T/err" || fail "spec failed: $(cat "$T/err")"
	BUNDLE=$T/spec
	cfg '.root.path = $r | .process.terminal = false | .process.env += ["MYRT_IT_TAG=" + $tag]' \
		--arg r "$EXAMPLE_ROOTFS" --arg tag "$TAG"
	set_args sh -c 'echo spec-ok; hostname'
	run_ok "$(cid spec)"
	assert_eq spec-ok "$(head -n 1 <<<"$OUT")" "output of a container from the spec config"
}

# --no-pivot: the host's /proc and /sys stay in the mount namespace under the chroot; while
# they are there a user namespace in the container may mount a bare procfs (its masked
# paths visible). They are detached (or covered) before the chroot, as runc does
# (issue 14 item 14). With pivot_root the same holds: the check runs both ways.
test_no_pivot_no_bare_proc() {
	# shellcheck source=lib/attacks.sh
	source "$IT_DIR/lib/attacks.sh"
	build_helper userns-proc -static
	[[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null) != 0 ]] || skip "user namespaces are disabled"
	mk_bundle --copy-rootfs
	cp "$T/userns-proc" "$BUNDLE/rootfs/bin/userns-proc"
	mkdir -p "$BUNDLE/rootfs/tmp/p"
	set_args /bin/userns-proc /tmp/p
	local flag
	for flag in --no-pivot ""; do
		run_ctr "$(cid "np${flag:+x}")" ${flag:+"$flag"}
		assert_rc 0 "run ${flag:-(pivot_root)} (stderr: $ERR)"
		assert_contains "$OUT" "refused" "a bare procfs mount in a user namespace, ${flag:-pivot_root}"
	done
}

# `spec` writes runc spec's shape (scripts that edit .linux.resources.memory.limit by path
# work unchanged): compared with runc's own where runc is installed, apart from hostname
# and ociVersion; the extras come only with --seccomp and --cgroupns.
test_spec_shape_matches_runc() {
	is_myrt || skip "checks myrt's spec against runc's"
	mkdir -p "$T/m" "$T/m2"
	(cd "$T/m" && "$RUNTIME" spec) || fail "spec failed"
	local c=$T/m/config.json
	assert_eq '[{"allow":false,"access":"rwm"}]' "$(jq -c '.linux.resources.devices' "$c")" "linux.resources.devices"
	assert_eq "pid network ipc uts mount" "$(jq -r '[.linux.namespaces[].type] | join(" ")' "$c")" "namespaces"
	assert_eq null "$(jq -c '.linux.seccomp' "$c")" "no seccomp profile by default"
	if command -v runc >/dev/null; then
		mkdir -p "$T/r" && (cd "$T/r" && runc spec) || fail "runc spec failed"
		assert_eq "$(jq -S 'del(.hostname, .ociVersion)' "$T/r/config.json")" \
			"$(jq -S 'del(.hostname, .ociVersion)' "$c")" "spec vs runc spec"
	fi
	(cd "$T/m2" && "$RUNTIME" spec --seccomp --cgroupns --memory 64M) || fail "spec --seccomp --cgroupns failed"
	c=$T/m2/config.json
	assert_eq SCMP_ACT_ALLOW "$(jq -r '.linux.seccomp.defaultAction' "$c")" "--seccomp"
	jq -e '.linux.namespaces | any(.type == "cgroup")' "$c" >/dev/null || fail "--cgroupns added no cgroup namespace"
	assert_eq "67108864 rwm" "$(jq -r '"\(.linux.resources.memory.limit) \(.linux.resources.devices[0].access)"' "$c")" \
		"--memory keeps the device list"
}

# checkpoint and restore: runc's arguments are checked (a relative --parent-path that
# exists, the container running); without CRIU in PATH both fail in one line saying so and
# leave the container as it was, and --help does not list them. (The dump itself runs in a
# VM: t-criu.sh; CRIU cannot dump on this host's kernel.)
test_checkpoint_checks_and_no_criu() {
	is_myrt || skip "myrt's words"
	mk_bundle
	set_args sleep 1000
	local id
	id=$(cid ckpt)
	create_ok "$id"
	(cd "$T" && rt checkpoint "$id") >"$T/out" 2>"$T/err" && fail "checkpoint of a created container succeeded"
	assert_contains "$(cat "$T/err")" "cannot be checkpointed in created state" "checkpoint of a created container"
	start_ok "$id"
	(cd "$T" && rt checkpoint --parent-path /abs "$id") >"$T/out" 2>"$T/err" && fail "checkpoint with an absolute --parent-path succeeded"
	assert_contains "$(cat "$T/err")" "--parent-path must be relative" "absolute --parent-path"
	(cd "$T" && rt checkpoint --parent-path nosuch "$id") >"$T/out" 2>"$T/err" && fail "checkpoint with a missing --parent-path succeeded"
	assert_contains "$(cat "$T/err")" "invalid --parent-path" "missing --parent-path"
	(cd "$T" && rt checkpoint --manage-cgroups-mode bogus "$id") >"$T/out" 2>"$T/err" && fail "checkpoint with a bad --manage-cgroups-mode succeeded"
	assert_contains "$(cat "$T/err")" "invalid manage-cgroups-mode value" "bad --manage-cgroups-mode"
	(cd "$T" && PATH=/nonexistent "$RUNTIME" --root "$ROOT" checkpoint "$id") >"$T/out" 2>"$T/err" &&
		fail "checkpoint succeeded without criu in PATH"
	assert_contains "$(cat "$T/err")" "criu is not installed" "checkpoint without criu"
	assert_eq 1 "$(wc -l <"$T/err")" "one line of error: $(cat "$T/err")"
	assert_eq running "$(state_field "$id" status)" "the container after the refused checkpoint"
	[[ ! -e $T/checkpoint ]] || fail "the refused checkpoint left $T/checkpoint"
	(cd "$T" && PATH=/nonexistent "$RUNTIME" --root "$ROOT" restore --bundle "$BUNDLE" "$id-r") >"$T/out" 2>"$T/err" &&
		fail "restore succeeded without criu in PATH"
	assert_contains "$(cat "$T/err")" "criu is not installed" "restore without criu"
	assert_eq 1 "$(wc -l <"$T/err")" "one line of error: $(cat "$T/err")"
	[[ ! -e $ROOT/$id-r ]] || fail "the refused restore left its state"
	PATH=/nonexistent "$RUNTIME" --help >"$T/help" 2>&1
	assert_not_contains "$(cat "$T/help")" "checkpoint" "--help without criu"
	# --criu (runc's) names the criu to run: applied, not ignored.
	(cd "$T" && "$RUNTIME" --root "$ROOT" --criu /nonexistent/criu checkpoint "$id") >"$T/out" 2>"$T/err" &&
		fail "checkpoint succeeded with --criu naming no file"
	assert_contains "$(cat "$T/err")" '--criu "/nonexistent/criu": no such executable' "checkpoint with a bad --criu"
	assert_eq 1 "$(wc -l <"$T/err")" "one line of error: $(cat "$T/err")"
	assert_eq running "$(state_field "$id" status)" "the container after the refused checkpoint"
	"$RUNTIME" --criu=/nonexistent/criu --help >"$T/help" 2>&1
	assert_not_contains "$(cat "$T/help")" "checkpoint" "--help with --criu naming no file"
	if command -v criu >/dev/null; then
		PATH=/nonexistent "$RUNTIME" --criu "$(command -v criu)" --help >"$T/help" 2>&1
		assert_contains "$(cat "$T/help")" "checkpoint" "--help with --criu naming criu, none in PATH"
	fi
	assert_not_contains "$(PATH=/nonexistent "$RUNTIME" features)" "run.myrt.criu" "features without criu"
	if command -v criu >/dev/null; then
		"$RUNTIME" --help >"$T/help" 2>&1
		assert_contains "$(cat "$T/help")" "checkpoint" "--help with criu"
		assert_contains "$(cat "$T/help")" "restore" "--help with criu"
		assert_contains "$("$RUNTIME" features)" "run.myrt.criu" "features with criu"
	fi
}

# restore: --no-pivot is refused in one line, not taken and ignored; --console-socket
# without a terminal, and a terminal without --console-socket, are refused as create and runc
# refuse them. Nothing is made.
test_restore_refuses_unapplied_flags() {
	is_myrt || skip "myrt's refusal (runc 1.1.5 takes --no-pivot)"
	mk_bundle
	local id flag
	id=$(cid restoreflags)
	mkdir -p "$T/img"
	: >"$T/img/inventory.img" # enough to pass the image check: the flags fail first
	echo '["/dev/null","/dev/null","/dev/null"]' >"$T/img/descriptors.json"
	for flag in "--console-socket=$T/sock" --no-pivot; do
		rt restore "$flag" --bundle "$BUNDLE" --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" </dev/null
		RC=$?
		assert_nonzero "restore $flag"
		assert_eq 1 "$(wc -l <"$T/err")" "one line of error for $flag"
		assert_contains "$(cat "$T/err")" "${flag%%=*}" "the error names the flag"
		[[ ! -e $ROOT/$id ]] || fail "restore $flag left state"
	done
	cfg '.process.terminal = true'
	rt restore --bundle "$BUNDLE" --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "restore of a terminal without --console-socket"
	assert_eq 1 "$(wc -l <"$T/err")" "one line of error"
	assert_contains "$(cat "$T/err")" "process.terminal" "the error names the property"
	[[ ! -e $ROOT/$id ]] || fail "restore left state"
}

# As runc's Go flag parsing: restore takes "-no-subreaper" (one dash), as containerd's
# shim passes it (go-runc); and a usage error goes to the --log file too (runc's too),
# where the shim reads the runtime's error from.
test_go_style_flag_and_logged_usage_error() {
	command -v criu >/dev/null || skip "no criu: restore is not available"
	mk_bundle
	local id
	id=$(cid goflags)
	rt restore -no-subreaper --bundle "$BUNDLE" --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "restore from a missing image"
	assert_not_contains "$(cat "$T/err")" "no-subreaper" "restore -no-subreaper"
	is_myrt && assert_contains "$(cat "$T/err")" "--image-path" "restore from a missing image"
	[[ ! -e $ROOT/$id ]] || fail "the failed restore left its state"

	rt --log "$T/log.json" --log-format json state --zz "$id" >"$T/out" 2>"$T/err"
	RC=$?
	assert_nonzero "state --zz"
	assert_contains "$(cat "$T/err")" "zz" "stderr of state --zz"
	assert_contains "$(jq -r 'select(.level == "error") | .msg' "$T/log.json" 2>&1)" "zz" "the --log file after state --zz"
}
