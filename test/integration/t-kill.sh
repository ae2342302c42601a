# shellcheck shell=bash
# kill: default TERM, names and numbers, --all, stopped containers.

# start_trapping ID: a running container whose shell traps TERM, USR1 and HUP, logs the
# signal to its stdout ($T/ID.out) and exits 10 + n for TERM.
start_trapping() {
	mk_bundle
	set_args sh -c 'trap "echo got-TERM; exit 25" TERM; trap "echo got-USR1" USR1; trap "echo got-HUP" HUP
		echo ready; while :; do sleep 0.05; done'
	create_ok "$1"
	start_ok "$1"
	wait_file_contains "$T/$1.out" ready
}

test_kill_default_is_term() {
	local id
	id=$(cid term)
	start_trapping "$id"
	kill_ok "$id"
	wait_file_contains "$T/$id.out" got-TERM
	wait_for_status "$id" stopped
}

test_kill_signal_names_and_numbers() {
	local id
	id=$(cid names)
	start_trapping "$id"
	kill_ok "$id" SIGUSR1
	wait_file_contains "$T/$id.out" got-USR1
	kill_ok "$id" HUP
	wait_file_contains "$T/$id.out" got-HUP
	kill_ok "$id" 10 # SIGUSR1 on x86
	_two_usr1() { [[ $(grep -c got-USR1 "$T/$id.out") -ge 2 ]]; }
	wait_for 20 _two_usr1 || fail "kill $id 10 did not deliver SIGUSR1"
	assert_eq running "$(state_field "$id" status)" "status after handled signals"
	kill_ok "$id" SIGTERM
	wait_file_contains "$T/$id.out" got-TERM
	wait_for_status "$id" stopped
}

test_kill_KILL() {
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid kill)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	wait_pid_gone "$pid"
}

test_kill_9() {
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid kill9)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	kill_ok "$id" 9
	wait_for_status "$id" stopped
	wait_pid_gone "$pid"
}

test_kill_created_container() {
	# A created container can be killed: it becomes stopped, its program never runs.
	mk_bundle
	set_args sh -c 'echo SHOULD-NOT-RUN'
	local id pid
	id=$(cid killcreated)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	wait_pid_gone "$pid"
	assert_not_contains "$(cat "$T/$id.out")" SHOULD-NOT-RUN "output of a killed created container"
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_kill_stopped_container_fails() {
	mk_bundle
	set_args true
	local id
	id=$(cid killstopped)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	RC=0
	rt kill "$id" KILL >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "kill of a stopped container"
	if is_myrt; then
		assert_eq "myrt: container not running" "$(cat "$T/err")" "stderr of kill of a stopped container"
	fi
}

test_kill_all() {
	mk_bundle
	add_ctl
	cfg '.linux.namespaces |= map(select(.type != "pid"))' # --all matters most without a pid ns
	set_args sh -c 'sleep 1001 & sleep 1002 & echo $! > /mnt/bg; echo ready > /mnt/ready; wait'
	local id pid
	id=$(cid all)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ready" ready
	pid=$(init_pid "$id") || exit 1
	local n
	n=$(tagged_pids | wc -l)
	((n >= 3)) || fail "expected 3 container processes before kill --all, found $n"
	# runc syntax: flags before the id; myrt also takes them after (`kill ID SIG --all`).
	if is_myrt; then
		kill_ok "$id" KILL --all
	else
		kill_ok --all "$id" KILL
	fi
	wait_for 20 _no_tagged || fail "processes left after kill --all: $(_tagged_desc)"
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_kill_all_with_pid_namespace() {
	mk_bundle
	add_ctl
	mkfifo "$CTL/fifo"
	# init handles TERM (handlers are not inherited by the children) and then blocks in
	# open(fifo) with no child process of its own.
	set_args sh -c 'trap "echo init-got-TERM" TERM; sleep 1001 & sleep 1002 & echo ready > /mnt/ready
		while :; do read x < /mnt/fifo; done'
	local id pid
	id=$(cid allpidns)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ready" ready
	pid=$(init_pid "$id") || exit 1
	_three() { [[ $(tagged_pids | wc -l) -ge 3 ]]; }
	wait_for 20 _three || fail "expected 3 container processes, have: $(_tagged_desc)"
	kill_ok --all "$id" TERM
	# Every process got TERM: the children die, init handles it and stays.
	_only_init_left() { [[ $(tagged_pids) == "$pid" ]]; }
	wait_for 20 _only_init_left || fail "expected only init ($pid) after kill --all TERM, have: $(_tagged_desc)"
	wait_file_contains "$T/$id.out" init-got-TERM
	assert_eq running "$(state_field "$id" status)" "status after kill --all TERM with init handling TERM"
}

# kill ID 0 probes: it signals nothing and succeeds while init lives, fails once it is gone.
test_kill_signal_zero_probes() {
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid probe)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id")
	kill_ok "$id" 0
	pid_alive "$pid" || fail "kill 0 killed init"
	assert_eq running "$(state_field "$id" status)"
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	rt kill "$id" 0 >"$T/k.out" 2>"$T/k.err"
	RC=$?
	assert_nonzero "kill 0 of a stopped container"
}

# kill --all once init has exited signals what the container left in its cgroup (it had no
# pid namespace of its own) and succeeds, as runc does (containerd's shim relies on it).
test_kill_all_after_init_exited() {
	mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo started; exit 0'
	local id left
	id=$(cid stray)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	_stray() { left=$(tagged_pids); [[ -n $left ]]; }
	wait_for 5 _stray || fail "the container left no process behind"
	kill_ok --all "$id" KILL
	wait_for 5 _no_tagged || fail "kill --all left $(_tagged_desc)"
	delete_ok "$id"
}
