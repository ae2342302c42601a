# shellcheck shell=bash
# podman (with conmon) runs containers with the runtime under test, registered in a
# private containers.conf as "myrt" through an argv-logging wrapper (lib/callers.sh).
# Each test has its own podman storage (vfs), image (the example rootfs, podman import)
# and cgroup parent. Podman's default (netavark bridge) network is used unless
# CALLERS_PODMAN_NETWORK is set (e.g. none).
# shellcheck source=lib/callers.sh
source "$IT_DIR/lib/callers.sh"

test_podman_run_echo() {
	pm_setup
	pm_run --rm "$CALLERS_IMAGE" echo hi
	assert_rc 0 "podman run --rm echo hi"
	assert_eq hi "$OUT" "podman run output"
	[[ -n $(argv_calls create) && -n $(argv_calls start) ]] ||
		fail "podman did not call the runtime's create and start: $(<"$ARGV_LOG")"

	pm_run --rm "$CALLERS_IMAGE" sh -c 'echo out-line; echo err-line >&2; exit 7'
	assert_rc 7 "podman run of 'exit 7'"
	assert_eq out-line "$OUT" "stdout"
	assert_contains "$ERR" err-line "stderr"

	# The container saw what podman configured: its hostname, our env.
	pm_run --rm --hostname pm-host "$CALLERS_IMAGE" sh -c 'echo "$(hostname) $MYRT_IT_TAG"'
	assert_rc 0 "podman run --hostname"
	assert_eq "pm-host $TAG" "$OUT" "hostname and env inside"
	pm_assert_clean
}

test_podman_detached_stop_rm() {
	pm_setup
	pm_run -d --name sl "$CALLERS_IMAGE" sleep 1000
	assert_rc 0 "podman run -d"
	local id=$OUT
	assert_match "$id" '^[0-9a-f]{64}$' "container id from run -d"

	pm_cmd ps --format '{{.ID}} {{.Names}} {{.Status}}'
	assert_rc 0 "podman ps"
	assert_match "$OUT" "^${id:0:12} sl Up" "podman ps"

	local running pid status
	read -r running pid status <<<"$(pm_field sl '{{.State.Running}} {{.State.Pid}} {{.State.Status}}')"
	assert_eq true "$running" "inspect State.Running"
	assert_eq running "$status" "inspect State.Status"
	assert_match "$pid" '^[1-9][0-9]*$' "inspect State.Pid"
	pid_alive "$pid" || fail "State.Pid $pid is not alive"
	assert_eq "sleep 1000" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')" "cmdline of State.Pid"
	grep -qzxF "MYRT_IT_TAG=$TAG" "/proc/$pid/environ" || fail "State.Pid $pid is not our container's process"

	# The runtime's own view of it.
	local st
	st=$("$WRAPPER" state "$id" 2>"$T/state.err") || fail "runtime state $id failed: $(<"$T/state.err")"
	assert_eq running "$(jq -r .status <<<"$st")" "runtime state status"
	assert_eq "$pid" "$(jq -r .pid <<<"$st")" "runtime state pid"

	# --sync re-checks the container's state (podman 4.3 reads conmon's exit file for it;
	# it calls the runtime's state only in rare paths).
	pm_cmd ps --sync --format '{{.Names}} {{.Status}}'
	assert_rc 0 "podman ps --sync"
	assert_match "$OUT" '^sl Up' "podman ps --sync"

	# sleep is the container's pid 1 and ignores SIGTERM: podman kills it after -t 1.
	: >"$ARGV_LOG"
	local t0 ms
	t0=$(now)
	pm_cmd stop -t 1 sl
	ms=$((($(now) - t0) / 1000))
	assert_rc 0 "podman stop -t 1"
	((ms < 15000)) || fail "podman stop -t 1 took ${ms} ms"
	wait_pid_gone "$pid"
	read -r running status <<<"$(pm_field sl '{{.State.Running}} {{.State.Status}}')"
	assert_eq "false exited" "$running $status" "inspect after stop"
	assert_eq 137 "$(pm_field sl '{{.State.ExitCode}}')" "exit code after SIGKILL"
	assert_match "$(argv_calls kill | tr '\n' ' ')" " kill $id 15 .* kill $id 9 " "kill calls of stop"

	pm_cmd rm sl
	assert_rc 0 "podman rm"
	pm_assert_clean

	# A container that exits on SIGTERM: stop delivers it through the runtime's kill.
	pm_run -d --name trap "$CALLERS_IMAGE" sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	assert_rc 0 "podman run -d (trap)"
	t0=$(now)
	pm_cmd stop -t 20 trap
	ms=$((($(now) - t0) / 1000))
	assert_rc 0 "podman stop (trap)"
	((ms < 10000)) || fail "podman stop of a container exiting on SIGTERM took ${ms} ms"
	assert_eq 3 "$(pm_field trap '{{.State.ExitCode}}')" "exit code from the TERM trap"
	pm_cmd rm trap
	assert_rc 0 "podman rm (trap)"
	pm_assert_clean
}

# A detached container that exits by itself: conmon records the status and runs
# `podman container cleanup`, which deletes it from the runtime; it can start again.
test_podman_detached_exit_cleanup() {
	pm_setup
	pm_run -d --name ex3 "$CALLERS_IMAGE" sh -c 'sleep 0.2; exit 3'
	assert_rc 0 "podman run -d"
	local id=$OUT
	pm_cmd wait ex3
	assert_rc 0 "podman wait"
	assert_eq 3 "$OUT" "podman wait: exit code"
	_pm_no_state() { [[ -z $(ls -A "$RT_ROOT") ]]; }
	wait_for 10 _pm_no_state || fail "conmon's cleanup left runtime state: $(ls -A "$RT_ROOT")"
	[[ -n $(argv_calls delete) ]] || fail "no runtime delete after the exit: $(<"$ARGV_LOG")"
	assert_eq "exited 3" "$(pm_field ex3 '{{.State.Status}} {{.State.ExitCode}}')" "inspect after the exit"

	# Start it again (a new create/start with the same id), attached.
	pm_cmd start -a ex3
	assert_rc 3 "podman start -a"
	assert_eq 2 "$(argv_calls create | grep -c " $id$")" "runtime create calls for $id"
	pm_cmd rm ex3
	assert_rc 0 "podman rm"
	pm_assert_clean
}

test_podman_kill_logs_rm_force() {
	pm_setup
	pm_run -d --name k "$CALLERS_IMAGE" sh -c \
		'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	assert_rc 0 "podman run -d"
	local pid
	pid=$(pm_field k '{{.State.Pid}}')
	_pm_logs_has() { pm logs k 2>/dev/null | grep -qx "$1"; }
	wait_for 10 _pm_logs_has ready || fail "podman logs: no 'ready' ($(pm logs k 2>&1 | head -c 300))"
	pm_cmd kill -s USR1 k
	assert_rc 0 "podman kill -s USR1"
	wait_for 10 _pm_logs_has got-usr1 || fail "podman logs: no 'got-usr1' after kill -s USR1"
	assert_match "$(argv_calls kill)" " kill [0-9a-f]{64} 10$" "runtime kill call"
	assert_eq running "$(pm_field k '{{.State.Status}}')" "status after USR1"

	pm_cmd rm -f -t 0 k
	assert_rc 0 "podman rm -f"
	wait_pid_gone "$pid"
	pm_assert_clean
}

test_podman_pause_unpause() {
	pm_setup
	pm_run -d --name p "$CALLERS_IMAGE" sleep 1000
	assert_rc 0 "podman run -d"
	local pid
	pid=$(pm_field p '{{.State.Pid}}')
	pm_cmd pause p
	assert_rc 0 "podman pause"
	assert_eq paused "$(pm_field p '{{.State.Status}}')" "status after pause"
	assert_eq frozen "$(freezer_of "$pid")" "freezer of the paused container's cgroup"
	pm_cmd unpause p
	assert_rc 0 "podman unpause"
	assert_eq running "$(pm_field p '{{.State.Status}}')" "status after unpause"
	assert_eq thawed "$(freezer_of "$pid")" "freezer after unpause"
	[[ -n $(argv_calls pause) && -n $(argv_calls resume) ]] ||
		fail "podman did not call pause and resume: $(<"$ARGV_LOG")"
	pm_cmd rm -f -t 0 p
	assert_rc 0 "podman rm -f"
	pm_assert_clean
}

# _pm_bad_commands: /bin/nosuch (127) and a non-executable file (126); the runtime's
# message reaches podman's stderr, on one line.
_pm_bad_commands() {
	pm_run --rm "$CALLERS_IMAGE" /bin/nosuch
	assert_rc 127 "podman run of /bin/nosuch"
	local lines
	lines=$(grep -c nosuch "$T/err")
	assert_eq 1 "$lines" "lines mentioning /bin/nosuch in podman's stderr ($ERR)"
	assert_contains "$(grep nosuch "$T/err")" "no such file or directory" "podman's stderr"
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in podman's stderr"
	fi
	pm_assert_clean

	pm_run --rm "$CALLERS_IMAGE" /etc/passwd
	assert_rc 126 "podman run of a non-executable file"
	assert_eq 1 "$(grep -c /etc/passwd "$T/err")" "lines mentioning /etc/passwd in podman's stderr ($ERR)"
	assert_contains "$(grep /etc/passwd "$T/err")" "permission denied" "podman's stderr"
	if is_myrt; then
		assert_contains "$ERR" 'exec "/etc/passwd": permission denied' "myrt's message in podman's stderr"
	fi
	pm_assert_clean
}

test_podman_bad_command() {
	pm_setup
	_pm_bad_commands
}

# Same with myrt in runtime_supports_json: conmon passes --log-format=json --log FILE.
test_podman_bad_command_json_log() {
	pm_setup --json
	_pm_bad_commands
	assert_match "$(argv_calls create | head -n 1)" ' --log-format=json --log /' \
		"create call with runtime_supports_json"
}

test_podman_exec() {
	pm_setup
	pm_run -d --name ex "$CALLERS_IMAGE" sleep 1000
	assert_rc 0 "podman run -d"
	local id=$OUT
	pm_cmd exec ex sh -c 'echo "hi from exec $MYRT_IT_TAG"; echo err-line >&2; exit 4'
	assert_rc 4 "podman exec of 'exit 4'"
	assert_eq "hi from exec $TAG" "$OUT" "podman exec output"
	assert_contains "$ERR" err-line "podman exec stderr"
	assert_match "$(argv_calls exec | head -n 1)" " exec .*--process [^ ]+ .*$id$" "runtime exec call"

	pm_cmd exec ex /bin/nosuch
	assert_rc 127 "podman exec of /bin/nosuch"
	assert_eq 1 "$(grep -c nosuch "$T/err")" "lines mentioning /bin/nosuch in podman's stderr ($ERR)"
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in podman's stderr"
	fi

	# With a terminal: conmon hands the runtime a --console-socket.
	pm_cmd exec -t ex sh -c 'tty; echo tty-ok'
	assert_rc 0 "podman exec -t"
	assert_match "${OUT//$'\r'/}" $'^/dev/pts/[0-9]+\ntty-ok$' "podman exec -t output"

	assert_eq running "$(pm_field ex '{{.State.Status}}')" "container status after the execs"
	pm_cmd rm -f -t 0 ex
	assert_rc 0 "podman rm -f"
	pm_assert_clean
}

test_podman_run_tty() {
	pm_setup
	pm_run --rm -t "$CALLERS_IMAGE" sh -c 'tty; echo tty-ok; exit 6'
	assert_rc 6 "podman run -t of 'exit 6'"
	assert_match "${OUT//$'\r'/}" $'^/dev/pts/0\ntty-ok$' "podman run -t output"
	assert_match "$(argv_calls create)" ' --console-socket [^ ]+ ' "create call with a terminal"
	pm_assert_clean
}

# Without its own pid namespace a container's init is not the last of its processes:
# podman stops it with `kill --all ID 15`.
test_podman_stop_pid_host() {
	pm_setup
	pm_run -d --name ph --pid host "$CALLERS_IMAGE" sh -c 'sleep 1000 & exec sleep 1001'
	assert_rc 0 "podman run -d --pid host"
	_two_procs() { (($(tagged_pids | wc -l) >= 2)); }
	wait_for 10 _two_procs || fail "container ph: processes $(_pids_desc $(tagged_pids)), wanted 2"
	local pids p
	pids=$(tagged_pids)
	pm_cmd stop -t 10 ph
	assert_rc 0 "podman stop"
	for p in $pids; do wait_pid_gone "$p"; done
	assert_match "$(argv_calls kill | head -n 1)" " kill --all [0-9a-f]{64} 15$" "runtime kill call"
	pm_cmd rm ph
	assert_rc 0 "podman rm"
	pm_assert_clean
}

# Issue 6: podman's resource options reach the container's cgroups (as podman's spec asks,
# seen from the host and from inside), are enforced (a CPU-bound loop is throttled, an
# allocation past the memory limit is OOM-killed: exit status 137), `podman update`
# changes them through the runtime's update, and `podman stats` (which reads the cgroups
# itself: no runtime call) reports them.
test_podman_resources_update_stats() {
	callers_hog "$T/hog"
	pm_setup
	pm_run -d --name r --memory 100m --cpus 0.5 --pids-limit 64 -v "$T/hog:/hog:ro" \
		"$CALLERS_IMAGE" sleep 1000
	assert_rc 0 "podman run -d --memory 100m --cpus 0.5 --pids-limit 64"
	local id=$OUT pid bundle res
	pid=$(pm_field r '{{.State.Pid}}')
	assert_match "$pid" '^[1-9][0-9]*$' "inspect State.Pid"

	# What podman asked for (so that a failure below is the runtime's).
	bundle=$(argv_calls create | grep -oE -- '--bundle [^ ]+' | head -n 1 | cut -d' ' -f2)
	res=$(jq -c '[.linux.resources.memory.limit, .linux.resources.cpu.quota,
		.linux.resources.cpu.period, .linux.resources.pids.limit, .linux.cgroupsPath]' \
		"$bundle/config.json" 2>&1)
	assert_eq "[104857600,50000,100000,64,\"/$PM_CGROUP/libpod-$id\"]" "$res" \
		"resources and cgroupsPath in podman's config.json ($bundle)"

	# The container's cgroups, from the host: under our parent, with the limits.
	assert_eq "/$PM_CGROUP/libpod-$id" "$(cg_path "$pid" memory)" "memory cgroup of the container's init"
	assert_eq "104857600 50000 100000" "$(cg_limits "$pid")" \
		"memory limit, cpu quota and period of the container's cgroups (host)"
	assert_eq 64 "$(cg_read "$pid" pids pids.max)" "pids.max (host)"
	# ... and from inside (podman mounts the container's own cgroups at /sys/fs/cgroup).
	pm_cmd exec r sh -c "$CALLERS_CG_LIMITS_INSIDE"
	assert_rc 0 "podman exec (cgroup files inside)"
	assert_eq "104857600 50000 100000" "$OUT" "memory limit, cpu quota and period (inside)"

	# --cpus 0.5 is enforced: two busy loops for a second (two, so that other load on the
	# host does not keep them under the quota) are throttled, and use at most ~0.5 s of
	# CPU (checked with the stats below). The exec'd processes are in the cgroups too.
	local thr0 cpu0
	thr0=$(cg_keyed "$pid" cpu cpu.stat nr_throttled)
	cpu0=$(cg_read "$pid" cpuacct cpuacct.usage)
	pm_cmd exec r sh -c "$CALLERS_BUSY_LOOPS; grep -E 'cpu[,:]' /proc/self/cgroup"
	cg_assert_throttled "$pid" "$thr0" "$cpu0"

	# podman stats reads the cgroups itself (podman 4.3 calls no runtime command for it;
	# its MemLimit comes from the container's stored spec, which its update leaves alone:
	# not checked after the update).
	: >"$ARGV_LOG"
	pm_cmd stats --no-stream --format json r
	assert_rc 0 "podman stats --no-stream --format json"
	assert_eq "r 104.9MB" "$(jq -r '.[0] | "\(.name) \(.mem_usage | sub(".* / "; ""))"' <<<"$OUT" 2>&1)" \
		"podman stats json: name and memory limit ($OUT)"
	assert_match "$(jq -r '.[0].pids' <<<"$OUT")" '^[1-9][0-9]*$' "podman stats json: pids"
	assert_match "$(jq -r '.[0].mem_usage' <<<"$OUT")" '^[0-9.]+[kMG]?B / ' "podman stats json: mem_usage"
	local lim use cpu pids
	pm_cmd stats --no-stream --format '{{.MemLimit}} {{.CPUNano}} {{.PIDs}}' r
	assert_rc 0 "podman stats --format"
	read -r lim cpu pids <<<"$OUT"
	assert_eq 104857600 "$lim" "podman stats MemLimit"
	((cpu > 100000000 && cpu < 900000000)) ||
		fail "podman stats CPUNano $cpu after two busy loops for a second under --cpus 0.5"
	((pids >= 1 && pids <= 64)) || fail "podman stats PIDs $pids"
	echo "runtime calls of podman stats: $(wc -l <"$ARGV_LOG")" >&2
	# The runtime's own statistics of the container podman made agree.
	rt_stats_check "events --stats" events --stats "$id"
	read -r lim use cpu pids <<<"$STATS"
	assert_eq 104857600 "$lim" "runtime events --stats: memory limit ($STATS)"
	((use > 0 && use < 104857600)) || fail "runtime events --stats: memory usage $use"
	((cpu > 100000000 && cpu < 900000000)) || fail "runtime events --stats: cpu usage $cpu"
	((pids >= 1 && pids <= 64)) || fail "runtime events --stats: pids $pids"

	# Under the limit: fine; past it: the cgroup's OOM killer kills the process, not the
	# container.
	local ooms
	ooms=$(cg_oom_kills "$pid")
	pm_cmd exec r /hog/hog 50
	assert_rc 0 "podman exec of a 50 MiB allocation under --memory 100m"
	assert_eq "allocated 50 MiB" "$OUT" "hog output"
	pm_cmd exec r /hog/hog 300
	assert_rc 137 "podman exec of a 300 MiB allocation under --memory 100m"
	assert_not_contains "$OUT" allocated "hog output"
	if [[ -n $ooms ]]; then
		(($(cg_oom_kills "$pid") > ooms)) ||
			fail "no OOM kill counted in the container's memory cgroup ($ooms -> $(cg_oom_kills "$pid"))"
	fi
	assert_eq running "$(pm_field r '{{.State.Status}}')" "container status after the OOM kill of an exec"

	# podman update: the runtime's update with a resources file; the new limits apply.
	: >"$ARGV_LOG"
	pm_cmd update --memory 200m --cpus 0.25 r
	assert_rc 0 "podman update --memory 200m --cpus 0.25"
	assert_match "$(argv_calls update)" " update (--resources[= ]|-r )[^ ]+ $id$" "runtime update call"
	assert_eq "209715200 25000 100000" "$(cg_limits "$pid")" "limits after podman update (host)"
	pm_cmd exec r sh -c "$CALLERS_CG_LIMITS_INSIDE"
	assert_eq "209715200 25000 100000" "$OUT" "limits after podman update (inside)"
	assert_eq 64 "$(cg_read "$pid" pids pids.max)" "pids.max after podman update"
	rt_stats_check "events --stats after update" events --stats "$id"
	assert_eq 209715200 "${STATS%% *}" "runtime events --stats: memory limit after podman update ($STATS)"
	pm_cmd exec r /hog/hog 150
	assert_rc 0 "podman exec of a 150 MiB allocation after update --memory 200m"
	# v1: memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes (podman asks for
	# swap = 2 x memory): raising past the old swap limit needs memsw written first,
	# lowering under the old memory limit needs it written last.
	pm_cmd update --memory 1g r
	assert_rc 0 "podman update --memory 1g (past the old swap limit)"
	assert_eq 1073741824 "$(cg_limits "$pid" | cut -d' ' -f1)" "memory limit after podman update --memory 1g"
	pm_cmd update --memory 50m r
	assert_rc 0 "podman update --memory 50m (under the old memory limit)"
	assert_eq 52428800 "$(cg_limits "$pid" | cut -d' ' -f1)" "memory limit after podman update --memory 50m"
	pm_cmd exec r /hog/hog 80
	assert_rc 137 "podman exec of an 80 MiB allocation after update --memory 50m"
	pm_cmd rm -f -t 0 r
	assert_rc 0 "podman rm -f"
	pm_assert_clean

	# The init itself past the limit: podman run exits 137.
	pm_run --rm --memory 100m -v "$T/hog:/hog:ro" "$CALLERS_IMAGE" /hog/hog 300
	assert_rc 137 "podman run --memory 100m of a 300 MiB allocation"
	assert_not_contains "$OUT" allocated "hog output"
	pm_assert_clean
}
