# shellcheck shell=bash
# Process attributes that live outside the filesystem and the credentials: process.scheduler,
# process.ioPriority, process.execCPUAffinity (and the reset of an inherited affinity),
# linux.personality, linux.memoryPolicy; and the ones the runtime must refuse rather than
# ignore here: linux.intelRdt without resctrl, linux.timeOffsets on a joined time namespace.
# Each effect is read from the host's /proc (or from inside), never taken on trust.
#
# The peers here predate these fields and ignore them silently, which the spec does not allow
# for intelRdt ("MUST generate an error" without resctrl) and which leaves the others unset:
# runc 1.1.5 fails all nine tests (it cannot make a time namespace at all), crun 1.8.1 passes
# only the personality one (its create of a container with a new time namespace fails here).

# pa_started ID: create + start $BUNDLE (args already set) as ID; sets PID (init)
pa_started() {
	create_ok "$1"
	start_ok "$1"
	PID=$(init_pid "$1")
}

# pa_exec_pid ID ARGS...: a detached exec in ID; prints the exec'd process's pid
pa_exec_pid() {
	local id=$1 f=$T/exec$RANDOM.pid
	shift
	rt exec -d --pid-file "$f" "$id" "$@" >"$T/exec.out" 2>"$T/exec.err" </dev/null ||
		fail "exec in $id failed: $(tail -c 500 "$T/exec.err")"
	cat "$f"
}

# pa_cpus PID: its Cpus_allowed_list
pa_cpus() { awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$1/status"; }

# pa_stat PID FIELD: one field of /proc/PID/stat (19 nice, 41 policy); comm has no spaces here
pa_stat() { cut -d' ' -f"$2" "/proc/$1/stat"; }

test_scheduler_init_and_exec() {
	mk_bundle
	set_args sleep 1000
	# SCHED_BATCH with a nice value: meaningful unprivileged and without RT bandwidth (the
	# container's cpu cgroup gets rt_runtime_us 0 on this host, so SCHED_FIFO would be EPERM).
	cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	local id pid
	id=$(cid sched)
	pa_started "$id"
	assert_eq 3 "$(pa_stat "$PID" 41)" "init's policy (3 = SCHED_BATCH)"
	assert_eq 7 "$(pa_stat "$PID" 19)" "init's nice"
	assert_contains "$(chrt -p "$PID")" SCHED_BATCH "chrt -p of init"
	pid=$(pa_exec_pid "$id" sleep 1000)
	assert_eq 3 "$(pa_stat "$pid" 41)" "exec'd process's policy"
	assert_eq 7 "$(pa_stat "$pid" 19)" "exec'd process's nice"
	delete_ok "$id" --force
	# SCHED_IDLE: the lowest class, again from the host's view.
	cfg '.process.scheduler = {"policy": "SCHED_IDLE"}'
	id=$(cid schedidle)
	pa_started "$id"
	assert_eq 5 "$(pa_stat "$PID" 41)" "init's policy (5 = SCHED_IDLE)"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# A policy the kernel refuses fails create in one line naming process.scheduler.
test_scheduler_refused_by_kernel() {
	mk_bundle
	set_args true
	cfg '.process.scheduler = {"policy": "SCHED_ISO"}'  # not in mainline Linux: EINVAL
	local id
	id=$(cid schediso)
	create_refused "create with SCHED_ISO" process.scheduler "$id"
	assert_no_leftovers "$id"
}

test_io_priority_init_and_exec() {
	need_pkg util-linux ionice
	mk_bundle
	set_args sleep 1000
	cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	local id pid
	id=$(cid ioprio)
	pa_started "$id"
	assert_eq "best-effort: prio 6" "$(ionice -p "$PID")" "ionice -p of init"
	pid=$(pa_exec_pid "$id" sleep 1000)
	assert_eq "best-effort: prio 6" "$(ionice -p "$pid")" "ionice -p of the exec'd process"
	delete_ok "$id" --force
	cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	id=$(cid ioidle)
	pa_started "$id"
	assert_eq "idle" "$(ionice -p "$PID")" "ionice -p of init"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# A runtime started pinned (taskset -c 0 myrt run ..., e.g. from a pinned shim) must not pass
# its pin on: the container gets every CPU its cpuset allows (runc does the same since 1.2).
test_cpu_affinity_reset_when_pinned() {
	need_pkg util-linux taskset
	local online
	online=$(cat /sys/devices/system/cpu/online)
	[[ $online == 0 ]] && skip "one CPU only: nothing to reset"
	mk_bundle
	set_args sleep 1000
	taskset -pc 0 "$BASHPID" >/dev/null || fail "taskset -pc 0 of the test shell"
	local id pid
	id=$(cid reset)
	pa_started "$id"
	assert_eq "$online" "$(pa_cpus "$PID")" \
		"init's Cpus_allowed_list when the runtime was pinned to CPU 0"
	pid=$(pa_exec_pid "$id" sleep 1000)
	assert_eq "$online" "$(pa_cpus "$pid")" \
		"exec'd process's Cpus_allowed_list when the runtime was pinned to CPU 0"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# execCPUAffinity: "not applicable to the container's init process" (config.md), so init
# keeps every CPU; an exec'd process ends on `final`; with `initial` alone the kernel keeps
# the affinity asked for across the move into the cgroup (Linux >= 6.2 preserves a
# user-requested mask), and a CPU that does not exist fails exec naming the field.
test_exec_cpu_affinity() {
	local online
	online=$(cat /sys/devices/system/cpu/online)
	[[ $online == 0-1 ]] || skip "needs exactly CPUs 0-1 online (have $online)"
	mk_bundle
	set_args sleep 1000
	cfg '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
	local id pid
	id=$(cid affinity)
	pa_started "$id"
	assert_eq "0-1" "$(pa_cpus "$PID")" "init's affinity"
	pid=$(pa_exec_pid "$id" sleep 1000)
	assert_eq 1 "$(pa_cpus "$pid")" "exec'd process's affinity (final)"
	# --process: a process file of its own, here with `initial` alone.
	jq '.process | .args = ["sleep", "1000"] | .execCPUAffinity = {"initial": "1"}' \
		"$BUNDLE/config.json" >"$T/p.json"
	rt exec -d --pid-file "$T/p.pid" --process "$T/p.json" "$id" >"$T/out" 2>"$T/err" </dev/null ||
		fail "exec --process with execCPUAffinity.initial: $(cat "$T/err")"
	assert_eq 1 "$(pa_cpus "$(cat "$T/p.pid")")" "exec'd process's affinity (initial only)"
	jq '.process | .args = ["true"] | .execCPUAffinity = {"final": "7"}' \
		"$BUNDLE/config.json" >"$T/bad.json"
	rt exec --process "$T/bad.json" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "exec with a final affinity on a CPU that does not exist"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err")" "one line on stderr ($(cat "$T/err"))"
		assert_contains "$(cat "$T/err")" "process.execCPUAffinity.final"
	fi
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

test_personality_linux32() {
	[[ $(uname -m) == x86_64 ]] || skip "LINUX32 checked on x86_64 only"
	mk_bundle
	cfg '.linux.personality = {"domain": "LINUX32"}'
	run_sh 'uname -m; cat /proc/self/personality'
	assert_eq "i686
00000008" "$OUT" "uname -m and personality inside"
	cfg '.linux.personality = {"domain": "LINUX"}'
	run_sh 'uname -m; cat /proc/self/personality'
	assert_eq "x86_64
00000000" "$OUT" "uname -m and personality inside"
}

# One NUMA node here: MPOL_BIND (and MPOL_PREFERRED) to node 0 are the meaningful policies.
# numa_maps shows the task's policy for every mapping without one of its own.
test_memory_policy_init_and_exec() {
	[[ -e /proc/self/numa_maps ]] || skip "kernel without NUMA"
	mk_bundle
	set_args sleep 1000
	cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}'
	local id pid
	id=$(cid mempol)
	pa_started "$id"
	assert_eq "bind=static:0" "$(awk 'NR == 1 {print $2}' "/proc/$PID/numa_maps")" "init's policy"
	pid=$(pa_exec_pid "$id" sleep 1000)
	assert_eq "bind=static:0" "$(awk 'NR == 1 {print $2}' "/proc/$pid/numa_maps")" \
		"exec'd process's policy"
	delete_ok "$id" --force
	cfg '.linux.memoryPolicy = {"mode": "MPOL_PREFERRED", "nodes": "0"}'
	set_args sh -c 'head -n 1 /proc/self/numa_maps'
	run_ok "$(cid preferred)"
	assert_contains "$OUT" " prefer:0 " "policy seen from inside"
	# Node 5 does not exist: the kernel refuses, create fails naming the field.
	cfg '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "5"}'
	id=$(cid badnode)
	create_refused "create with MPOL_BIND to node 5" linux.memoryPolicy "$id"
	assert_no_leftovers "$id"
}

# intelRdt set and no resctrl mounted: the spec says the runtime MUST generate an error.
test_intel_rdt_refused_without_resctrl() {
	grep -qs ' /sys/fs/resctrl resctrl ' /proc/self/mounts && skip "resctrl is mounted here"
	mk_bundle
	set_args true
	cfg '.linux.intelRdt = {"closID": "myrt-test"}'
	local id
	id=$(cid rdt)
	create_refused "create with intelRdt" linux.intelRdt "$id"
	is_myrt && assert_contains "$(cat "$T/err")" "resctrl"
	assert_no_leftovers "$id"
}

# Offsets can only be written to a time namespace no process has entered yet: with a joined
# one they would be silently lost.
test_time_offsets_with_joined_time_namespace_refused() {
	[[ -e /proc/self/ns/time ]] || skip "kernel without time namespaces"
	mk_bundle
	set_args sleep 1000
	cfg '.linux.namespaces += [{"type": "time"}]'
	local owner id
	owner=$(cid timeowner)
	pa_started "$owner"
	cfg '.linux.namespaces |= map(if .type == "time" then .path = $p else . end)
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}}' \
		--arg p "/proc/$PID/ns/time"
	id=$(cid timejoin)
	create_refused "create with timeOffsets and a joined time namespace" linux.timeOffsets "$id" \
		"$owner"
	delete_ok "$owner" --force
	assert_no_leftovers "$owner"
}

# features-linux.md: memoryPolicy lists the modes and flags that create recognizes; each
# listed mode is taken by create (MPOL_DEFAULT/LOCAL need no nodes: they must run).
test_features_memory_policy() {
	is_myrt || skip "$RUNTIME_KIND: features memoryPolicy is not checked"
	local f
	f=$(timeout 10 "$RUNTIME" features) || fail "features failed"
	assert_eq "MPOL_BIND MPOL_DEFAULT MPOL_INTERLEAVE MPOL_LOCAL MPOL_PREFERRED MPOL_PREFERRED_MANY MPOL_WEIGHTED_INTERLEAVE" \
		"$(jq -r '.linux.memoryPolicy.modes | sort | join(" ")' <<<"$f")" "features: memoryPolicy modes"
	assert_eq "MPOL_F_NUMA_BALANCING MPOL_F_RELATIVE_NODES MPOL_F_STATIC_NODES" \
		"$(jq -r '.linux.memoryPolicy.flags | sort | join(" ")' <<<"$f")" "features: memoryPolicy flags"
	mk_bundle
	local mode
	for mode in MPOL_DEFAULT MPOL_LOCAL; do
		cfg '.linux.memoryPolicy = {"mode": $m}' --arg m "$mode"
		run_sh 'grep -c . /proc/self/status >/dev/null && echo ok'
		assert_eq ok "$OUT" "a container with memoryPolicy $mode"
	done
}
