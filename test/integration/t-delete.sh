# shellcheck shell=bash
# delete: refuses a running container without --force, --force kills; nothing is left.

start_sleeper() { # ID: a running container with a child process too
	mk_bundle
	add_ctl
	set_args sh -c 'sleep 1001 & echo ready > /mnt/ready; exec sleep 1000'
	create_ok "$1"
	start_ok "$1"
	wait_file_contains "$CTL/ready" ready
}

test_delete_running_without_force_fails() {
	local id pid
	id=$(cid running)
	start_sleeper "$id"
	pid=$(init_pid "$id") || exit 1
	RC=0
	rt delete "$id" >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "delete of a running container without --force"
	if is_myrt; then
		assert_eq "myrt: cannot delete container that is not stopped: running" "$(cat "$T/err")" "stderr"
	fi
	assert_eq running "$(state_field "$id" status)" "status after a refused delete"
	pid_alive "$pid" || fail "the process died after a refused delete"
	[[ -d $ROOT/$id ]] || fail "state dir gone after a refused delete"
}

test_delete_force_running() {
	local id pid
	id=$(cid force)
	start_sleeper "$id"
	pid=$(init_pid "$id") || exit 1
	delete_ok "$id" --force
	wait_pid_gone "$pid"
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state after delete --force"
	assert_no_leftovers "$id"
}

test_delete_force_created() {
	mk_bundle
	set_args sh -c 'echo SHOULD-NOT-RUN'
	local id pid
	id=$(cid forcecreated)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	delete_ok "$id" --force
	wait_pid_gone "$pid"
	assert_not_contains "$(cat "$T/$id.out")" SHOULD-NOT-RUN "output of a deleted created container"
	assert_no_leftovers "$id"
}

test_delete_stopped() {
	local id pid
	id=$(cid stopped)
	start_sleeper "$id"
	pid=$(init_pid "$id") || exit 1
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_no_leftovers "$id"
	# A second delete fails: it does not exist any more.
	RC=0
	rt delete "$id" >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "second delete"
}

test_delete_force_nonexistent() {
	# runc and crun: `delete --force` of an unknown id succeeds (idempotent cleanup);
	# without --force it fails.
	RC=0
	rt delete --force "$(cid nosuch)" >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "delete --force of an unknown id (runc-compatible)"
	RC=0
	rt delete "$(cid nosuch)" >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "delete of an unknown id"
}

test_delete_cleans_cgroups_with_resources() {
	# With resources set the runtime surely makes cgroups: they must go with delete.
	mk_bundle
	add_ctl
	cfg '.linux.resources.pids = {"limit": 100}'
	set_args sh -c 'echo ready > /mnt/ready; exec sleep 1000'
	local id pid
	id=$(cid cgroups)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ready" ready
	pid=$(init_pid "$id") || exit 1
	local cg
	cg=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
	[[ -n $cg && $cg != / ]] || fail "container not in its own pids cgroup: $(cat "/proc/$pid/cgroup")"
	[[ -d /sys/fs/cgroup/pids$cg ]] || fail "pids cgroup dir /sys/fs/cgroup/pids$cg missing"
	assert_eq 100 "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" "pids.max of the container cgroup"
	delete_ok "$id" --force
	wait_pid_gone "$pid"
	[[ ! -d /sys/fs/cgroup/pids$cg ]] || fail "cgroup /sys/fs/cgroup/pids$cg left after delete"
	assert_no_leftovers "$id"
}
