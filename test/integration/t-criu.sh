# shellcheck shell=bash
# checkpoint and restore (CRIU) in the VM: CRIU cannot dump on this host's kernel, but can
# on Debian's 6.1 kernel in test/vm/run's VM, booted with systemd as PID 1 (in the chroot
# mode CRIU's dump fails: it sees the initramfs root). lib/criu-vm.sh gives the VM the
# kernel modules CRIU needs. The VM boots once and runs every check (lib/vmgroup.sh).
#
# A container's stdio are pipes (as runc's tests use) or a terminal (criu_check_terminal):
# CRIU dumps a pipe and restore hands it the restoring runtime's own (runc's
# descriptors.json), while a host file or /dev/null lies on a mount the container does not
# have, which CRIU refuses. A terminal's master comes back from CRIU's RPC on restore.
#
# With RUNTIME=runc the same checks run against runc 1.1.5 (myrt's words are asserted only
# for myrt). They pass but tcp_established: runc's restore fails in CRIU ("Can't connect
# inet socket back: Network is unreachable"), where myrt's restores the connection; and
# lazy_delete: runc's delete --force cannot end a lazy dump (see the check).
# containerd's and Docker's restores (their runc v2 shim) pass "-no-subreaper", one dash.
#
# Time: boot ~15 s, then each check 30-60 s (podman's ~100 s, containerd's and Docker's
# 50-80 s, 100-220 s on a loaded host) under TCG; the group took 4.5-6.5 min on a loaded
# 2-core host, ~9 min with containerd and Docker.

# shellcheck source=lib/vmgroup.sh
source "${IT_DIR:?}/lib/vmgroup.sh"
# shellcheck source=lib/criu-vm.sh
source "$IT_DIR/lib/criu-vm.sh"
# shellcheck source=lib/callers.sh
source "$IT_DIR/lib/callers.sh"

VMG_GROUP=criu
VMG_WHAT="the CRIU VM"
VMG_SELF=$IT_DIR/t-criu.sh
VMG_CHECK_FILE=$IT_DIR/t-criu.sh
VMG_PREFIX=criu_check_
# CRIU_VM_CHECKS (passed into the VM): a subset, for a run by hand, comma-separated (the VM's
# command line keeps only the last of words separated by spaces).
IFS=', ' read -ra VMG_CHECKS <<<"${CRIU_VM_CHECKS:-counter leave_running pre_dump tcp_established terminal hooks externals page_server lazy_delete errors podman containerd docker}"
VMG_PASSENV=CRIU_VM_CHECKS
VMG_VM_ENV=(VM_INIT=systemd VM_KERNEL_ARGS=apparmor=0)
VMG_TIMEOUT=${CRIU_VM_TIMEOUT:-1200}

test_criu_counter() { vmg_result counter; }
test_criu_leave_running() { vmg_result leave_running; }
test_criu_pre_dump() { vmg_result pre_dump; }
test_criu_tcp_established() { vmg_result tcp_established; }
test_criu_terminal() { vmg_result terminal; }
test_criu_hooks() { vmg_result hooks; }
test_criu_externals() { vmg_result externals; }
test_criu_page_server() { vmg_result page_server; }
test_criu_errors() { vmg_result errors; }
test_criu_podman() { vmg_result podman; }
test_criu_containerd() { vmg_result containerd; }
test_criu_docker() { vmg_result docker; }
test_criu_lazy_delete() { vmg_result lazy_delete; }

# The engines the checks call (podman, containerd, Docker), installed on the host first.
vmg_before_boot() { vmg_install_on_host podman containerd docker.io; }

vmg_host_skip() {
	command -v criu >/dev/null || { echo "criu is not installed"; return; }
	local why
	why=$(criu_vm_prepare_modules 2>&1) || echo "no kernel modules for the VM: $why"
}

vmg_vm_setup() {
	local why
	why=$(criu_vm_load_modules)
	echo "# vm: kernel $(uname -r) ${why:+($why) }criu check: $(criu check 2>&1 | tail -n 1)"
	criu check >/dev/null 2>&1 && touch /run/criu-vm-ok
	return 0
}

# ---------------------------------------------------------------------------------------
# Helpers (in the VM)

criu_need() {
	[[ -e /run/criu-vm-ok ]] || skip "criu check fails in the VM: $(criu check 2>&1 | tail -n 1)"
}

# criu_counter_bundle: a container counting 1, 2, 3... into $CTL/count, a line each 0.2 s
criu_counter_bundle() {
	mk_bundle
	add_ctl
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >>/mnt/count; sleep 0.2; done'
}

# criu_run_detached ID: run -d with pipes for stdio (the harness's sleep/cat end with it)
criu_run_detached() {
	rt run -d --bundle "$BUNDLE" "$1" < <(exec sleep 600) > >(exec cat >"$T/$1.out") 2>&1 ||
		fail "run -d $1 failed: $(cat "$T/$1.out")"
}

# criu_restore ID ARGS...: restore -d with pipes for stdio; sets RC, ERR
criu_restore() {
	local id=$1
	shift
	echo "$id" >>"$T/.ids"
	rt restore -d --bundle "$BUNDLE" "$@" "$id" < <(exec sleep 600) > >(exec cat >"$T/$id.rout") 2>"$T/err"
	RC=$?
	ERR=$(<"$T/err")
}

count_now() { tail -n 1 "$CTL/count" 2>/dev/null; }
count_lines() { wc -l <"$CTL/count" 2>/dev/null || echo 0; }
_count_reaches() { (($(count_lines) >= $1)); }
# wait_count N: until the counter file has N lines
wait_count() { wait_for 30 _count_reaches "$1" || fail "the counter did not reach $1 lines (at $(count_lines))"; }

# assert_sequence FROM TO: lines FROM..TO of the count file are the numbers FROM..TO
assert_sequence() {
	local want got
	want=$(seq "$1" "$2" | tr '\n' ' ')
	got=$(sed -n "$1,$2p" "$CTL/count" | tr '\n' ' ')
	assert_eq "$want" "$got" "count lines $1..$2"
}

# timed VAR CMD...: runs CMD, VAR = its duration in ms
timed() {
	local var=$1 t0
	shift
	t0=$(now)
	"$@"
	local rc=$?
	printf -v "$var" '%d' $((($(now) - t0) / 1000))
	return $rc
}

# ---------------------------------------------------------------------------------------
# Checks

# Checkpointed, the container is gone (runc destroys it too); restored from the image it
# runs with a new pid in its cgroup and counts on from where it was: the file holds 1..N
# without a gap or a restart. kill and delete work on it, and nothing is left.
criu_check_counter() {
	criu_need
	criu_counter_bundle
	local id pid1 pid2 n ms
	id=$(cid count)
	criu_run_detached "$id"
	pid1=$(init_pid "$id")
	wait_count 5
	timed ms rt checkpoint --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" ||
		fail "checkpoint failed: $(cat "$T/err")"
	echo "checkpoint: $ms ms"
	[[ -s $T/img/descriptors.json && -s $T/img/inventory.img ]] || fail "no image in $T/img: $(ls "$T/img")"
	wait_pid_gone "$pid1" 10
	rt state "$id" >/dev/null 2>&1 && fail "state still knows $id after checkpoint: $(rt state "$id")"
	n=$(count_lines)
	sleep 1
	assert_eq "$n" "$(count_lines)" "the counter after checkpoint (stopped)"
	assert_sequence 1 "$n"
	[[ -z $(cgroup_dirs_named "$id") ]] || fail "the checkpointed container's cgroup is left: $(cgroup_dirs_named "$id")"
	timed ms criu_restore "$id" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore failed (rc $RC): $ERR"
	echo "restore: $ms ms"
	assert_eq running "$(state_field "$id" status)" "state after restore"
	pid2=$(init_pid "$id")
	assert_ne "$pid1" "$pid2" "the restored init's pid"
	wait_count $((n + 5))
	assert_sequence 1 $((n + 5))
	echo "counted to $n before, on to $(count_now) after restore"
	local cg
	cg=$(cgroup_dirs_named "$id")
	[[ -n $cg ]] || fail "the restored container has no cgroup named $id"
	grep -qx "$pid2" "$cg/cgroup.procs" || fail "the restored init $pid2 is not in $cg ($(cat "$cg/cgroup.procs"))"
	kill_ok "$id" KILL
	wait_pid_gone "$pid2" 10
	assert_eq stopped "$(state_field "$id" status)" "state after kill"
	delete_ok "$id"
	assert_no_leftovers "$id"
}

# --leave-running: the container goes on counting; killed and restored from the image it
# counts on from the moment of the checkpoint.
criu_check_leave_running() {
	criu_need
	criu_counter_bundle
	local id pid1 before after last first ms
	id=$(cid leave)
	criu_run_detached "$id"
	pid1=$(init_pid "$id")
	wait_count 5
	before=$(count_lines)
	timed ms rt checkpoint --leave-running --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" ||
		fail "checkpoint --leave-running failed: $(cat "$T/err")"
	echo "checkpoint --leave-running: $ms ms"
	after=$(count_lines)
	assert_eq running "$(state_field "$id" status)" "state after checkpoint --leave-running"
	assert_eq "$pid1" "$(init_pid "$id")" "init's pid after checkpoint --leave-running"
	wait_count $((after + 3))
	kill_ok "$id" KILL
	wait_pid_gone "$pid1" 10
	delete_ok "$id"
	last=$(count_lines)
	assert_sequence 1 "$last"
	criu_restore "$id" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore failed (rc $RC): $ERR"
	wait_count $((last + 3))
	first=$(sed -n "$((last + 1))p" "$CTL/count")
	((first > before && first <= after + 1)) ||
		fail "the restored counter starts at $first, not after the checkpoint's $before..$after"
	echo "counted to $last; the restored one went on from $first (checkpoint taken at $before..$after)"
	assert_eq "$(seq "$first" $((first + 2)) | tr '\n' ' ')" "$(sed -n "$((last + 1)),$((last + 3))p" "$CTL/count" | tr '\n' ' ')" \
		"the restored counter's first lines"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# A pre-dump (memory only, the container runs on) and a final dump on top of it
# (--parent-path): the final image links its parent, and restores, here in the foreground
# (no --detach): restore waits for the container, passes on its exit status and deletes it.
criu_check_pre_dump() {
	criu_need
	criu_counter_bundle
	local id ms n
	id=$(cid pre)
	criu_run_detached "$id"
	wait_count 3
	mkdir -p "$T/img"
	timed ms rt checkpoint --pre-dump --image-path "$T/img/1" "$id" >"$T/out" 2>"$T/err" ||
		fail "checkpoint --pre-dump failed: $(cat "$T/err")"
	echo "pre-dump: $ms ms"
	assert_eq running "$(state_field "$id" status)" "state after the pre-dump"
	ls "$T/img/1" | grep -q '^pages-' || fail "the pre-dump saved no pages: $(ls "$T/img/1")"
	n=$(count_lines)
	wait_count $((n + 2))
	timed ms rt checkpoint --parent-path ../1 --image-path "$T/img/2" "$id" >"$T/out" 2>"$T/err" ||
		fail "checkpoint --parent-path failed: $(cat "$T/err")"
	echo "dump on the pre-dump: $ms ms"
	[[ -L $T/img/2/parent ]] || fail "the final dump has no parent link: $(ls "$T/img/2")"
	n=$(count_lines)
	echo "$id" >>"$T/.ids"
	rt restore --bundle "$BUNDLE" --image-path "$T/img/2" --pid-file "$T/pid" "$id" \
		< <(exec sleep 600) > >(exec cat >"$T/rout") 2>"$T/err" &
	local fg=$! pid
	wait_count $((n + 3))
	assert_sequence 1 $((n + 3))
	pid=$(init_pid "$id")
	assert_eq "$pid" "$(cat "$T/pid")" "--pid-file"
	kill -0 "$fg" 2>/dev/null || fail "restore without --detach did not wait for the container"
	kill -KILL "$pid"
	wait "$fg"
	assert_eq 137 $? "restore's exit status when its container is killed ($(cat "$T/err"))"
	rt state "$id" >/dev/null 2>&1 && fail "the container is left after the foreground restore ended"
	assert_no_leftovers "$id"
}

# An established TCP connection on the container's loopback (busybox nc, the counter sent
# through it): dumped only with --tcp-established, and restored with it the connection
# carries on.
criu_check_tcp_established() {
	criu_need
	mk_bundle
	add_ctl
	# (busybox nc -l alone writes only the first read: the server's loop reads the socket.)
	set_args sh -c "busybox nc -l -p 5000 -e sh -c 'while read -r l; do echo \$l >>/mnt/count; done' &
		sleep 1; i=0; while :; do i=\$((i+1)); echo \$i; sleep 0.2; done | busybox nc 127.0.0.1 5000"
	local id n
	id=$(cid tcp)
	criu_run_detached "$id"
	wait_count 3
	rt checkpoint --image-path "$T/img0" "$id" >"$T/out" 2>"$T/err" && fail "checkpoint with a TCP connection succeeded without --tcp-established"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err")" "checkpoint without --tcp-established: one line ($(cat "$T/err"))"
		assert_contains "$(cat "$T/err")" "tcp-established"
	fi
	echo "without --tcp-established: $(cat "$T/err")"
	assert_eq running "$(state_field "$id" status)" "state after the failed checkpoint"
	n=$(count_lines)
	wait_count $((n + 2))
	rt checkpoint --tcp-established --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" ||
		fail "checkpoint --tcp-established failed: $(cat "$T/err")"
	n=$(count_lines)
	assert_sequence 1 "$n"
	criu_restore "$id" --tcp-established --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore --tcp-established failed (rc $RC): $ERR $(grep -m 3 Error "$T/img/restore.log")"
	wait_count $((n + 5))
	assert_sequence 1 $((n + 5))
	echo "through the connection: $n before, $(count_now) after restore"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# A container with a terminal (--console-socket): checkpointed, its terminal closes; restored
# with another --console-socket, CRIU makes a new master, the runtime hands it over, and the
# process counts on onto the new terminal and reads what is typed there.
criu_check_terminal() {
	criu_need
	local recvtty=$REPO/build/test/tools/recvtty
	[[ -x $recvtty ]] || fail "no $recvtty (ninja -C build)"
	mk_bundle
	add_ctl
	cfg '.process.terminal = true'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >>/mnt/count; echo "tick $i"
		if read -t 0.2 l; then echo "got:$l" >>/mnt/got; fi; done'
	local id n pid1 pid2 r1 r2
	id=$(cid tty)
	"$recvtty" "$T/tty1.sock" --no-stdin --timeout 300 --ready "$T/tty1.ready" >"$T/tty1.out" 2>"$T/tty1.err" </dev/null &
	r1=$!
	wait_for 10 test -e "$T/tty1.ready" || fail "recvtty did not start: $(cat "$T/tty1.err")"
	echo "$id" >>"$T/.ids"
	rt run -d --console-socket "$T/tty1.sock" --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>&1 ||
		fail "run -d with a terminal failed: $(cat "$T/out")"
	pid1=$(init_pid "$id")
	wait_count 5
	grep -q 'tick 3' "$T/tty1.out" || fail "no ticks on the first terminal: $(head -c 300 "$T/tty1.out")"
	rt checkpoint --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" || fail "checkpoint of a terminal failed: $(cat "$T/err")"
	wait_pid_gone "$pid1" 10
	wait_pid_gone "$r1" 20 # its terminal closed with the container
	n=$(count_lines)
	assert_sequence 1 "$n"

	"$recvtty" "$T/tty2.sock" --no-stdin --input $'typed-after-restore\n' --timeout 300 --ready "$T/tty2.ready" \
		>"$T/tty2.out" 2>"$T/tty2.err" </dev/null &
	r2=$!
	wait_for 10 test -e "$T/tty2.ready" || fail "recvtty did not start: $(cat "$T/tty2.err")"
	criu_restore "$id" --console-socket "$T/tty2.sock" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore --console-socket failed (rc $RC): $ERR $(grep -m 3 Error "$T/img/restore.log")"
	pid2=$(init_pid "$id")
	assert_ne "$pid1" "$pid2" "the restored init's pid"
	wait_count $((n + 5))
	assert_sequence 1 $((n + 5))
	_ticks_after() { grep -q "tick $1" "$T/tty2.out"; }
	wait_for 20 _ticks_after $((n + 3)) || fail "the restored process does not write to the new terminal: $(head -c 300 "$T/tty2.out")"
	_got() { grep -qx 'got:typed-after-restore' "$CTL/got" 2>/dev/null; }
	wait_for 20 _got || fail "the restored process read nothing from the new terminal (got: $(cat "$CTL/got" 2>&1))"
	echo "counted to $n on the first terminal, on to $(count_now) on the second; it read what was typed there"
	delete_ok "$id" --force
	wait_pid_gone "$r2" 20
	assert_no_leftovers "$id"
}

# Hooks on restore, as runc runs them: prestart and createRuntime once CRIU has made the
# namespaces and before the process resumes (the counter stands still while the hook
# runs), given the restored init's pid. A failing prestart hook fails the restore in one
# line, and nothing is left: no process, no cgroup, no state.
criu_check_hooks() {
	criu_need
	criu_counter_bundle
	local id pid n
	id=$(cid hooks)
	criu_run_detached "$id"
	wait_count 5
	rt checkpoint --leave-running --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" || fail "checkpoint failed: $(cat "$T/err")"
	delete_ok "$id" --force
	n=$(count_lines)
	local hook='read -r s; p=$(echo "$s" | grep -o "\"pid\": *[0-9]*" | grep -o "[0-9]*$"); a=$(wc -l <'"$CTL"'/count); sleep 1; b=$(wc -l <'"$CTL"'/count); echo "$0 $p $a $b" >>'"$T"'/hooks.out'
	cfg --arg h "$hook" '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", $h, "prestart"]}],
		"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", $h, "createRuntime"]}]}'
	criu_restore "$id" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore with hooks failed (rc $RC): $ERR"
	pid=$(init_pid "$id")
	cat "$T/hooks.out"
	assert_eq "prestart createRuntime" "$(cut -d' ' -f1 "$T/hooks.out" | tr '\n' ' ' | sed 's/ $//')" "the hooks run, in order"
	local name p a b
	while read -r name p a b; do
		assert_eq "$pid" "$p" "the pid $name is given"
		assert_eq "$a" "$b" "the counter while $name runs (the process has not resumed)"
		((a <= n + 1)) || fail "$name ran after the process counted on ($a lines, $n at the checkpoint)"
	done <"$T/hooks.out"
	wait_count $((n + 3))
	delete_ok "$id" --force

	cfg '.hooks = {"prestart": [{"path": "/bin/false"}]}'
	criu_restore "$id" --image-path "$T/img"
	[[ $RC != 0 ]] || fail "restore with a failing prestart hook succeeded"
	is_myrt && { assert_eq 1 "$(wc -l <"$T/err")" "a failing hook: one line ($ERR)"; assert_contains "$ERR" "error running hook"; }
	echo "failing hook: $ERR"
	n=$(count_lines)
	sleep 1
	assert_eq "$n" "$(count_lines)" "the counter after the failed restore (nothing runs)"
	assert_no_leftovers "$id"
}

# What create set up comes back on restore, seen from inside the restored container: the
# network namespace it joined by path (the same one, with its address), a bind mount of the
# host (written on through), a masked file and a masked directory, a read-only path, a
# config device, and the cgroup.
criu_check_externals() {
	criu_need
	command -v ip >/dev/null || skip "no ip command"
	local ns=myrt-ck-$$ ino id pid n
	ip netns add "$ns" || fail "ip netns add $ns failed"
	IT_NETNS+=("$ns")
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip addr add 10.77.0.1/8 dev lo || fail "ip addr add failed"
	ino=$(stat -L -c %i "/run/netns/$ns")
	criu_counter_bundle
	cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/run/netns/$ns"
	cfg '.linux.devices += [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 292}]'
	id=$(cid ext)
	criu_run_detached "$id"
	wait_count 3
	rt checkpoint --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" || fail "checkpoint failed: $(cat "$T/err")"
	n=$(count_lines)
	criu_restore "$id" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore failed (rc $RC): $ERR $(grep -m 3 Error "$T/img/restore.log")"
	pid=$(init_pid "$id")
	wait_count $((n + 3))
	assert_sequence 1 $((n + 3)) # through the bind mount, on the host
	assert_eq "net:[$ino]" "$(readlink "/proc/$pid/ns/net")" "the restored init's network namespace"
	local inside
	inside=$(rt exec "$id" sh -c 'ip addr show lo 2>&1 | grep -o "10\.77\.0\.1"; echo "kcore:$(wc -c </proc/kcore)";
		ls /proc/acpi 2>&1 | wc -l | sed "s/^/acpi:/"; echo 1 >/proc/sys/kernel/hostname 2>/dev/null && echo sys-writable || echo sys-ro;
		echo "kmsg:$(stat -c %t:%T /dev/kmsg)"; head -c 4 /dev/full | wc -c | sed "s/^/full:/"' </dev/null 2>&1)
	echo "inside the restored container: $(tr '\n' ' ' <<<"$inside")"
	assert_contains "$inside" "10.77.0.1" "the joined namespace's address, inside"
	assert_contains "$inside" "kcore:0" "/proc/kcore masked"
	assert_contains "$inside" "acpi:0" "/proc/acpi masked (empty)"
	assert_contains "$inside" "sys-ro" "/proc/sys read-only"
	assert_contains "$inside" "kmsg:1:b" "the config's device /dev/kmsg (1:11)"
	assert_contains "$inside" "full:4" "the default device /dev/full"
	local cg
	cg=$(cgroup_dirs_named "$id")
	[[ -n $cg ]] && grep -qx "$pid" "$cg/cgroup.procs" || fail "the restored init $pid is not in its cgroup ($cg)"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
	ip netns exec "$ns" true || fail "the namespace joined by path is gone after delete"
}

# --page-server: the memory goes to a CRIU page server (here on loopback, into the same
# directory), the rest of the image to --image-path; restored from there the counter goes
# on. A page server that is not there fails the checkpoint in one line, the container
# running on.
criu_check_page_server() {
	criu_need
	criu_counter_bundle
	local id n port=27277 ps
	id=$(cid ps)
	criu_run_detached "$id"
	wait_count 3
	rt checkpoint --page-server "127.0.0.1:$port" --image-path "$T/img0" "$id" >"$T/out" 2>"$T/err" &&
		fail "checkpoint to a page server that is not there succeeded"
	is_myrt && assert_eq 1 "$(wc -l <"$T/err")" "no page server: one line ($(cat "$T/err"))"
	echo "no page server: $(cat "$T/err")"
	assert_eq running "$(state_field "$id" status)" "state after the failed checkpoint"
	mkdir -p "$T/img"
	# (It serves one dump, then exits; killed here if the check fails first.)
	criu page-server --images-dir "$T/img" --port "$port" -o "$T/ps.log" -v4 &
	ps=$!
	_ps_fail() { kill "$ps" 2>/dev/null; fail "$@"; }
	_listening() { grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp; }
	wait_for 20 _listening || _ps_fail "the page server does not listen: $(tail -n 3 "$T/ps.log")"
	rt checkpoint --page-server "127.0.0.1:$port" --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" ||
		_ps_fail "checkpoint --page-server failed: $(cat "$T/err")"
	wait "$ps" || fail "the page server failed: $(grep -m 3 Error "$T/ps.log")"
	ls "$T/img" | grep -q '^pages-' || fail "no pages came to the page server: $(ls "$T/img")"
	n=$(count_lines)
	assert_sequence 1 "$n"
	criu_restore "$id" --image-path "$T/img"
	[[ $RC == 0 ]] || fail "restore of the page server's image failed (rc $RC): $ERR"
	wait_count $((n + 3))
	assert_sequence 1 $((n + 3))
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# A lazy checkpoint (--lazy-pages --page-server --status-fd) lasts until a lazy-pages client
# has fetched the memory, here never. A second checkpoint meanwhile is refused (myrt: pause
# too, "being checkpointed"); delete --force ends the container and the dump at once (myrt's waited for the checkpoint's lock), the checkpoint then exits (failing
# is fine: myrt says in one line that the container was deleted) and nothing is left, the
# deleted container's state not made again. runc 1.1.5 fails it: its delete --force gives
# up after 10 s ("container init still running": CRIU traces the killed tasks, which cannot
# finish dying until it lets go of them) and its checkpoint waits on.
criu_check_lazy_delete() {
	criu_need
	criu_counter_bundle
	local id pid cpid port=27278 byte ms rc
	id=$(cid lazy)
	criu_run_detached "$id"
	pid=$(init_pid "$id")
	wait_count 3
	mkfifo "$T/status"
	exec {status}<>"$T/status"
	# (A long timeout: the dump waits for a client that never comes.)
	IT_RT_TIMEOUT=600 rt checkpoint --lazy-pages --page-server "localhost:$port" --status-fd 3 \
		--image-path "$T/img" --work-path "$T/work" "$id" 3>"$T/status" >"$T/out" 2>"$T/err" &
	cpid=$!
	byte=$(timeout 120 dd bs=1 count=1 <&"$status" 2>/dev/null | od -An -tx1 | tr -d ' ')
	exec {status}>&-
	[[ $byte == 00 ]] || fail "no ready byte on the status fd in 120 s ('$byte'): $(cat "$T/err")"
	pid_alive "$cpid" || fail "the lazy checkpoint ended before a client came: $(cat "$T/err")"
	# Meanwhile a second checkpoint is refused, and makes nothing (myrt: at once, in one line).
	rt checkpoint --image-path "$T/img2" "$id" >"$T/out2" 2>"$T/err2"
	rc=$?
	echo "second: checkpoint exit $rc: $(head -n 3 "$T/err2")"
	[[ $rc != 0 ]] || fail "a second checkpoint during the lazy dump succeeded"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err2")" "the second checkpoint's error: one line ($(cat "$T/err2"))"
		assert_contains "$(cat "$T/err2")" "being checkpointed" "the second checkpoint's error"
		[[ ! -e $T/img2 ]] || fail "the refused second checkpoint made $T/img2"
		rt pause "$id" >"$T/out2" 2>"$T/err2" && fail "pause during the lazy dump succeeded"
		assert_contains "$(cat "$T/err2")" "being checkpointed" "pause during the lazy dump"
	fi
	pid_alive "$cpid" || fail "the lazy checkpoint ended after the second one: $(cat "$T/err")"
	timed ms rt delete --force "$id" >"$T/dout" 2>"$T/derr"
	rc=$?
	echo "delete: $ms ms (--force, during the lazy dump), exit $rc"
	[[ $rc == 0 ]] || fail "delete --force failed after $ms ms: $(cat "$T/derr")"
	((ms < 20000)) || fail "delete --force took $ms ms during the lazy dump"
	wait_pid_gone "$pid" 10
	timed ms wait_for 60 pid_gone "$cpid" || fail "the lazy checkpoint still runs 60 s after delete --force"
	wait "$cpid"
	rc=$?
	echo "checkpoint: ended $ms ms after the delete, exit $rc: $(cat "$T/err")"
	if is_myrt; then
		assert_ne 0 "$rc" "the checkpoint's exit status"
		assert_eq 1 "$(wc -l <"$T/err")" "the checkpoint's error: one line ($(cat "$T/err"))"
		assert_contains "$(cat "$T/err")" "deleted"
	fi
	rt state "$id" >/dev/null 2>&1 && fail "state knows $id after delete and checkpoint: $(rt state "$id")"
	assert_no_leftovers "$id"
}

# Each refused in one line (myrt), nothing left: checkpoint of an unknown and of a stopped
# container, restore into an existing id (which is left alone), from an empty and from a
# damaged image directory.
criu_check_errors() {
	criu_need
	mk_bundle
	local id other
	id=$(cid err)
	_one_line() { # WHAT TEXT: after a failed command, $T/err
		if is_myrt; then
			assert_eq 1 "$(wc -l <"$T/err")" "$1: one line ($(cat "$T/err"))"
			assert_contains "$(cat "$T/err")" "$2" "$1"
		fi
	}
	rt checkpoint --image-path "$T/img" nosuch >"$T/out" 2>"$T/err" && fail "checkpoint of an unknown container succeeded"
	_one_line "checkpoint of an unknown container" "does not exist"
	[[ ! -e $T/img ]] || fail "checkpoint of an unknown container made $T/img"

	set_args true
	rt create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 || fail "create $id failed"
	start_ok "$id"
	wait_for 10 _stopped "$id" || fail "$id did not stop"
	rt checkpoint --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" && fail "checkpoint of a stopped container succeeded"
	_one_line "checkpoint of a stopped container" "cannot be checkpointed in stopped state"
	[[ ! -e $T/img ]] || fail "checkpoint of a stopped container made $T/img"
	delete_ok "$id"

	# A real image, then restore into an id that exists.
	criu_counter_bundle
	other=$(cid other)
	criu_run_detached "$id"
	wait_count 3
	rt checkpoint --leave-running --image-path "$T/img" "$id" >"$T/out" 2>"$T/err" || fail "checkpoint failed: $(cat "$T/err")"
	local pid
	pid=$(init_pid "$id")
	criu_restore "$id" --image-path "$T/img"
	[[ $RC != 0 ]] || fail "restore into the existing id $id succeeded"
	is_myrt && { assert_eq 1 "$(wc -l <"$T/err")" "restore into an existing id: one line ($ERR)"; assert_contains "$ERR" "already exists"; }
	assert_eq "$pid" "$(init_pid "$id")" "the existing container after the refused restore"
	delete_ok "$id" --force

	mkdir -p "$T/empty"
	criu_restore "$other" --image-path "$T/empty"
	[[ $RC != 0 ]] || fail "restore from an empty directory succeeded"
	is_myrt && { assert_eq 1 "$(wc -l <"$T/err")" "restore from an empty dir: one line ($ERR)"; assert_contains "$ERR" "no checkpoint there"; }
	assert_no_leftovers "$other"

	# Damaged: the pages of the image cut short.
	local p
	p=$(ls "$T/img"/pages-*.img | head -n 1)
	[[ -n $p ]] || fail "no pages image in $T/img"
	truncate -s 4096 "$p"
	rm -f "$T/img"/core-1.img
	criu_restore "$other" --image-path "$T/img"
	[[ $RC != 0 ]] || fail "restore from a damaged image succeeded"
	is_myrt && { assert_eq 1 "$(wc -l <"$T/err")" "restore from a damaged image: one line ($ERR)"; assert_contains "$ERR" "criu restore failed"; }
	echo "damaged image: $ERR"
	assert_no_leftovers "$other"
}
_stopped() { [[ $(state_field "$1" status) == stopped ]]; }

# podman container checkpoint/restore with the runtime (podman's default cgroup manager,
# systemd's: restore runs with --systemd-cgroup), and with --export/--import to a tarball:
# the counter in podman logs goes on without a gap or restart; nothing is left.
criu_check_podman() {
	criu_need
	need_pkg podman podman conmon
	pm_config --default-cgroups
	callers_on_exit pm_cleanup
	pm_import
	pm_cmd run -d --network none -e "MYRT_IT_TAG=$TAG" --name ck "$CALLERS_IMAGE" \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.2; done'
	[[ $RC == 0 ]] || fail "podman run -d failed (rc $RC): $ERR"
	local n ms
	wait_for 30 _pm_logs_reach 5 || fail "podman logs: $(pm logs ck 2>&1 | tail -n 3)"
	timed ms pm_cmd container checkpoint ck
	[[ $RC == 0 ]] || fail "podman container checkpoint failed (rc $RC): $ERR"
	echo "podman container checkpoint: $ms ms"
	# (podman asks `checkpoint --help` first.)
	assert_match "$(argv_calls checkpoint | grep -e --image-path | head -n 1)" ' checkpoint .*--image-path ' "podman's checkpoint call"
	assert_eq exited "$(pm_field ck '{{.State.Status}}')" "podman's state after checkpoint"
	n=$(pm logs ck 2>/dev/null | wc -l)
	timed ms pm_cmd container restore ck
	[[ $RC == 0 ]] || fail "podman container restore failed (rc $RC): $ERR $(tail -n 5 "$PM"/root/vfs-containers/*/userdata/restore.log 2>/dev/null)"
	echo "podman container restore: $ms ms"
	echo "restore call: $(argv_calls restore | grep -e --image-path | head -n 1 | cut -d' ' -f3-)"
	assert_eq running "$(pm_field ck '{{.State.Status}}')" "podman's state after restore"
	wait_for 30 _pm_logs_reach $((n + 5)) || fail "podman logs after restore: $(pm logs ck 2>&1 | tail -n 3)"
	assert_eq "$(seq 1 $((n + 5)) | tr '\n' ' ')" "$(pm logs ck 2>/dev/null | head -n $((n + 5)) | tr '\n' ' ')" \
		"podman logs across checkpoint and restore"

	pm_cmd container checkpoint --export "$T/ck.tar.gz" ck
	[[ $RC == 0 ]] || fail "podman container checkpoint --export failed (rc $RC): $ERR"
	n=$(pm logs ck 2>/dev/null | tail -n 1)
	pm_cmd rm ck
	[[ $RC == 0 ]] || fail "podman rm after the export failed (rc $RC): $ERR"
	pm_cmd container restore --import "$T/ck.tar.gz"
	[[ $RC == 0 ]] || fail "podman container restore --import failed (rc $RC): $ERR"
	_pm_last_beyond() { (($(pm logs ck 2>/dev/null | tail -n 1) >= $1)); }
	wait_for 30 _pm_last_beyond $((n + 3)) || fail "podman logs after the import: $(pm logs ck 2>&1 | tail -n 3)"
	# The tarball carries the log too: it goes on 1..m, or starts afresh at n+1.
	local logs first last
	logs=$(pm logs ck 2>/dev/null | tr '\n' ' ')
	first=${logs%% *}
	last=$(pm logs ck 2>/dev/null | tail -n 1)
	[[ $first == 1 || $first == $((n + 1)) ]] || fail "the imported container's log starts at $first (exported at $n)"
	assert_eq "$(seq "$first" "$last" | tr '\n' ' ')" "$(pm logs ck 2>/dev/null | head -n $((last - first + 1)) | tr '\n' ' ')" \
		"the imported container counts on from $n"
	echo "imported: its log goes $first..$last (exported at $n)"
	pm_cmd rm -f -t 0 ck
	[[ $RC == 0 ]] || fail "podman rm -f failed (rc $RC): $ERR"
	pm_assert_clean
}
_pm_logs_reach() { (($(pm logs ck 2>/dev/null | wc -l) >= $1)); }

# containerd 1.6 and its runc v2 shim with the runtime as the shim's binary (ctr run
# --runc-binary: containerd keeps it in the container's runtime options, and the
# checkpoint keeps those): `ctr task checkpoint --image-path` dumps into a directory and
# the task runs on; `ctr containers checkpoint --task` pauses the task, has the
# runtime dump it (--leave-running) into containerd's content store as an image, and
# resumes it; with the task and container gone, `ctr containers restore --live` makes the
# container again and restores the task from that image: the counter goes on from the
# checkpoint. containerd's root is a tmpfs: its overlayfs snapshotter cannot stack on
# the VM's overlay root.
criu_check_containerd() {
	criu_need
	mkdir -p "$T/containerd"
	mount -t tmpfs -o mode=711 myrt-it-cd "$T/containerd" || fail "cannot mount a tmpfs at $T/containerd"
	local t0
	t0=$(now)
	cd_setup
	callers_on_exit _criu_cd_cleanup
	echo "containerd: up, image imported in $((($(now) - t0) / 1000)) ms"
	CTL=$T/ctl
	mkdir -p "$CTL" && chmod 1777 "$CTL"
	local ref=localhost/myrt-it-ck:checkpoint pid1 pid2 before after last first ms
	ctr_run -d --mount "type=bind,src=$CTL,dst=/mnt,options=rbind:rw" "$CALLERS_IMAGE" ck \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i >>/mnt/count; sleep 0.2; done'
	assert_rc 0 "ctr run -d"
	wait_count 5
	pid1=$(ctr_task_field ck PID)
	# ctr task checkpoint --image-path: the runtime dumps into that directory; the task runs on.
	ctr_cmd task checkpoint --image-path "$T/timg" ck
	assert_rc 0 "ctr task checkpoint --image-path"
	[[ -s $T/timg/inventory.img ]] || fail "no image in $T/timg: $(ls "$T/timg" 2>&1)"
	assert_eq RUNNING "$(ctr_task_field ck STATUS)" "the task's status after ctr task checkpoint"
	before=$(count_lines)
	timed ms ctr_cmd containers checkpoint --task ck "$ref"
	assert_rc 0 "ctr containers checkpoint --task"
	echo "checkpoint: ctr containers checkpoint --task $ms ms"
	after=$(count_lines)
	assert_match "$(argv_calls checkpoint | tail -n 1)" " checkpoint .*--image-path [^ ]+ .*--leave-running .*ck$" \
		"the shim's checkpoint call"
	assert_eq RUNNING "$(ctr_task_field ck STATUS)" "the task's status after the checkpoint"
	assert_eq "$pid1" "$(ctr_task_field ck PID)" "the task's pid after the checkpoint"
	ctr_cmd images ls -q
	assert_contains "$OUT" "$ref" "ctr images ls after the checkpoint"
	wait_count $((after + 3))

	ctr_cmd task kill --signal SIGKILL ck
	assert_rc 0 "ctr task kill"
	wait_pid_gone "$pid1" 10
	ctr_cmd task delete ck
	assert_rc 0 "ctr task delete"
	ctr_cmd containers delete ck
	assert_rc 0 "ctr containers delete"
	last=$(count_lines)
	assert_sequence 1 "$last"

	timed ms ctr_cmd containers restore --live ck "$ref"
	assert_rc 0 "ctr containers restore --live"
	echo "restore: ctr containers restore --live $ms ms"
	echo "call: $(argv_calls restore | tail -n 1 | cut -d' ' -f3-)"
	assert_match "$(argv_calls restore | tail -n 1)" " restore .*--image-path [^ ]+ .*ck$" "the shim's restore call"
	assert_eq RUNNING "$(ctr_task_field ck STATUS)" "the task's status after the restore"
	pid2=$(ctr_task_field ck PID)
	assert_ne "$pid1" "$pid2" "the restored task's pid"
	wait_count $((last + 3))
	first=$(sed -n "$((last + 1))p" "$CTL/count")
	((first > before && first <= after + 1)) ||
		fail "the restored counter starts at $first, not after the checkpoint's $before..$after"
	assert_eq "$(seq "$first" $((first + 2)) | tr '\n' ' ')" "$(sed -n "$((last + 1)),$((last + 3))p" "$CTL/count" | tr '\n' ' ')" \
		"the restored counter's first lines"
	echo "counter: to $last; the restored task went on from $first (checkpoint taken at $before..$after)"

	ctr_cmd task kill --signal SIGKILL ck
	assert_rc 0 "ctr task kill of the restored task"
	wait_pid_gone "$pid2" 10
	ctr_cmd task delete ck
	assert_rc 0 "ctr task delete of the restored task"
	ctr_cmd containers delete ck
	assert_rc 0 "ctr containers delete of the restored container"
	ctr_cmd images rm "$ref"
	assert_rc 0 "ctr images rm of the checkpoint"
	cd_assert_clean
}
_criu_cd_cleanup() {
	cd_cleanup
	umount "$T/containerd" 2>/dev/null
	return 0
}

# Docker 20.10 (docker.io: dockerd, its own containerd and the runc v2 shim), the runtime
# registered as "myrt": `docker checkpoint create` (dockerd --experimental) dumps the
# container through the shim and stops it; `docker start --checkpoint` restores it: the
# counter goes on without a gap or restart; nothing is left.
criu_check_docker() {
	criu_need
	# shellcheck source=lib/docker.sh
	source "$IT_DIR/lib/docker.sh"
	criu_dk_boot
	CTL=$T/ctl
	mkdir -p "$CTL" && chmod 1777 "$CTL"
	local name n ms id
	name=$(dk_name ck)
	dk_run -d --network none --name "$name" -v "$CTL:/mnt" "$DK_IMAGE" \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i >>/mnt/count; sleep 0.2; done'
	assert_rc 0 "docker run -d"
	id=$(dk_cid)
	wait_count 5
	timed ms dk_cmd checkpoint create "$name" c1
	assert_rc 0 "docker checkpoint create"
	echo "checkpoint: docker checkpoint create $ms ms"
	assert_match "$(argv_calls checkpoint | tail -n 1)" " checkpoint .*--image-path [^ ]+ .*$id$" "the shim's checkpoint call"
	dk_wait_status "$name" exited
	n=$(count_lines)
	sleep 1
	assert_eq "$n" "$(count_lines)" "the counter after the checkpoint (stopped)"
	assert_sequence 1 "$n"
	dk_cmd checkpoint ls "$name"
	assert_contains "$OUT" c1 "docker checkpoint ls"

	timed ms dk_cmd start --checkpoint c1 "$name"
	assert_rc 0 "docker start --checkpoint"
	echo "restore: docker start --checkpoint $ms ms"
	echo "call: $(argv_calls restore | tail -n 1 | cut -d' ' -f3-)"
	assert_match "$(argv_calls restore | tail -n 1)" " restore .*--image-path [^ ]+ .*$id$" "the shim's restore call"
	dk_wait_status "$name" running
	wait_count $((n + 5))
	assert_sequence 1 $((n + 5))
	echo "counter: to $n before, on to $(count_now) after docker start --checkpoint"
	dk_cmd rm -f "$name"
	assert_rc 0 "docker rm -f"
	dk_assert_clean
}

# criu_dk_boot: a private dockerd as lib/docker.sh's dk_boot starts one, but with
# --experimental (docker checkpoint needs it), without a bridge (containers run with
# --network none) or a watchdog: for this check only, stopped by its cleanup. Its data
# root is a tmpfs (overlay2 cannot stack on the VM's overlay root).
criu_dk_boot() {
	[[ -x /usr/bin/docker && -x /usr/sbin/dockerd ]] || skip "docker.io is not installed"
	[[ ! -e /run/containerd/containerd.sock ]] ||
		skip "/run/containerd/containerd.sock exists: dockerd 20.10 would use that containerd instead of its own"
	_dk_vars "criu$$" "$(_dk_start_of $$)"
	local p t0
	t0=$(now)
	mkdir -p "$DK"/{data,exec,client}
	for p in /etc/docker/key.json /etc/docker /run/docker/plugins /run/docker; do
		[[ -e $p ]] || echo "$p"
	done >"$DK/made-outside"
	callers_wrapper "$DK"
	echo '{}' >"$DK/daemon.json"
	callers_on_exit criu_dk_cleanup
	mount -t tmpfs -o mode=711 myrt-it-dk "$DK/data" || fail "cannot mount a tmpfs at $DK/data"
	dk_start_dockerd --experimental --bridge none || fail "$DK_START_ERROR"
	local info
	info=$(dk info --format '{{.ExperimentalBuild}} {{(index .Runtimes "myrt").Path}} {{.Driver}} {{.ServerVersion}}' 2>&1)
	[[ $info == "true $WRAPPER "* ]] || fail "docker info: '$info', wanted experimental and myrt=$WRAPPER"
	dk_import_image || fail "$DK_START_ERROR"
	echo "dockerd: $info, up and image imported in $((($(now) - t0) / 1000)) ms"
}
criu_dk_cleanup() {
	dk_test_cleanup
	dk_shutdown
}

# runc's own checkpoint.bats (runc 1.1.5's, by test/runc-suite/run --strict) against the
# runtime, in the VM where CRIU can dump: a behaviour counts when a suite nobody here wrote
# agrees (issue 17). Every test must pass or skip ('cgroupns' skips: it needs cgroup v1) and
# "checkpoint and restore" itself must pass (a suite that only skipped would prove nothing).
# Each test's result is printed; "seconds:" lists their times.
# Opt-in (CRIU_VM_CHECKS=runc_suite): the ten tests took 9 min under TCG alone, 12-13 min with
# two such VMs at once (host load ~8): 30 s for a skip (bats, the busybox bundle, the harness's cleanup),
# 60-120 s for a test that dumps and restores twice; more than the rest of the group.
criu_check_runc_suite() {
	criu_need
	local rc
	RUNC=$RUNTIME RUNC_SUITE_RETRY=0 RUNC_SUITE_TIMEOUT=${CRIU_RUNC_SUITE_TIMEOUT:-240} \
		"$REPO/test/runc-suite/run" --strict --results "$T/results" 'checkpoint.bats' >"$T/out" 2>&1
	rc=$?
	sed -nE 's/^(ok|FAIL|skip) checkpoint\.bats: /\L\1\E: /p' "$T/out"
	echo "seconds: $(awk -F'\t' '{ sub(/^checkpoint\.bats: /, "", $2); printf "%s %s; ", $4, $2 }' "$T/results" 2>/dev/null)"
	grep -E '^(FAIL |#   |runc-suite: )' "$T/out" >&2
	[[ -s $T/results ]] || fail "runc's suite ran no test (exit $rc): $(tail -n 5 "$T/out")"
	grep -q $'^ok\tcheckpoint.bats: checkpoint and restore\t' "$T/results" ||
		fail "runc's 'checkpoint and restore' did not pass: $(grep $'\tcheckpoint.bats: checkpoint and restore\t' "$T/results")"
	[[ $rc == 0 ]] || fail "runc's checkpoint.bats: $(tail -n 1 "$T/out"): $(grep -E '^FAIL ' "$T/out" | tr '\n' ' ')"
}
test_criu_runc_suite() {
	[[ " ${VMG_CHECKS[*]} " == *" runc_suite "* ]] ||
		skip "opt-in: CRIU_VM_CHECKS=runc_suite (runc's checkpoint.bats in the VM, 9-13 min)"
	vmg_result runc_suite
}
# Opted in, the VM may run 20 min more.
if [[ " ${VMG_CHECKS[*]} " == *" runc_suite "* && -z ${CRIU_VM_TIMEOUT:-} ]]; then
	VMG_TIMEOUT=$((VMG_TIMEOUT + 1200))
fi

vmg_main "$@"
