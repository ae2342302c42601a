# shellcheck shell=bash
# containerd (its runc v2 shim, containerd-shim-runc-v2) runs containers with the runtime
# under test: `ctr run --runc-binary WRAPPER --runc-root ...`. Each test starts its own
# containerd (private root, state, sockets; no CRI plugin) and stops it at the end, and
# imports the example rootfs as an OCI archive (built by hand, lib/callers.sh).
# shellcheck source=lib/callers.sh
source "$IT_DIR/lib/callers.sh"

test_ctr_run_rm() {
	cd_setup
	ctr_run --rm "$CALLERS_IMAGE" c1 sh -c 'echo out-line; echo err-line >&2; exit 3'
	assert_rc 3 "ctr run --rm of 'exit 3'"
	assert_eq out-line "$OUT" "stdout"
	assert_contains "$ERR" err-line "stderr"

	# ctr's spec: new namespaces (network, uts...), the env from --env.
	ctr_run --rm "$CALLERS_IMAGE" c2 sh -c 'echo "hi $MYRT_IT_TAG $(readlink /proc/self/ns/net)"'
	assert_rc 0 "ctr run --rm of echo"
	assert_eq "hi $TAG" "${OUT% *}" "output"
	assert_ne "$(ns_of $$ net)" "${OUT##* }" "the container's network namespace"

	# The shim puts --root, --log <bundle>/log.json, --log-format json before every command.
	local line n=0
	while read -r line; do
		n=$((n + 1))
		[[ $line =~ ^[0-9.]+\ [0-9]+\ --root\ $RT_ROOT/$CD_NS\ --log\ [^\ ]+/c[12]/log\.json\ --log-format\ json\ (create|start|delete|kill|state)\  ]] ||
			fail "unexpected runtime call from the shim: $line"
	done <"$ARGV_LOG"
	((n > 0)) || fail "the shim never called the runtime"
	[[ -n $(argv_calls create) && -n $(argv_calls start) && -n $(argv_calls delete) ]] ||
		fail "no create/start/delete calls: $(<"$ARGV_LOG")"
	cd_assert_clean
}

test_ctr_detached_kill_delete() {
	cd_setup
	ctr_run -d --null-io "$CALLERS_IMAGE" d1 sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done'
	assert_rc 0 "ctr run -d"
	_task_status_is() { [[ $(ctr_task_field "$1" STATUS) == "$2" ]]; }
	wait_for 10 _task_status_is d1 RUNNING || fail "task d1: status '$(ctr_task_field d1 STATUS)', wanted RUNNING"
	local pid
	pid=$(ctr_task_field d1 PID)
	assert_match "$pid" '^[1-9][0-9]*$' "task pid"
	pid_alive "$pid" || fail "task pid $pid is not alive"
	grep -qzxF "MYRT_IT_TAG=$TAG" "/proc/$pid/environ" || fail "task pid $pid is not our container's process"

	local st
	st=$("$RUNTIME" --root "$RT_ROOT/$CD_NS" state d1 2>"$T/state.err") ||
		fail "runtime state d1 failed: $(<"$T/state.err")"
	assert_eq running "$(jq -r .status <<<"$st")" "runtime state status"
	assert_eq "$pid" "$(jq -r .pid <<<"$st")" "runtime state pid"

	ctr_cmd task ps d1
	assert_rc 0 "ctr task ps"
	grep -qE "^$pid( |\$)" <<<"$OUT" || fail "ctr task ps does not list the init pid $pid: $OUT"

	ctr_cmd task pause d1
	assert_rc 0 "ctr task pause"
	assert_eq PAUSED "$(ctr_task_field d1 STATUS)" "status after pause"
	assert_eq frozen "$(freezer_of "$pid")" "freezer after pause"
	ctr_cmd task resume d1
	assert_rc 0 "ctr task resume"
	assert_eq RUNNING "$(ctr_task_field d1 STATUS)" "status after resume"
	assert_eq thawed "$(freezer_of "$pid")" "freezer after resume"

	ctr_cmd task kill d1
	assert_rc 0 "ctr task kill (SIGTERM)"
	wait_for 10 _task_status_is d1 STOPPED || fail "task d1: status '$(ctr_task_field d1 STATUS)' after kill"
	wait_pid_gone "$pid"
	assert_match "$(argv_calls kill)" ' kill d1 15$' "runtime kill call"
	ctr_cmd task delete d1
	assert_rc 0 "ctr task delete"
	assert_contains "$ERR" "exit code 5" "exit code reported by task delete"
	ctr_cmd container delete d1
	assert_rc 0 "ctr container delete"
	cd_assert_clean

	# kill --all reaches every process of the container, not only its init.
	ctr_run -d --null-io "$CALLERS_IMAGE" d2 sh -c 'sleep 1000 & exec sleep 1001'
	assert_rc 0 "ctr run -d (two processes)"
	wait_for 10 _task_status_is d2 RUNNING || fail "task d2: status '$(ctr_task_field d2 STATUS)', wanted RUNNING"
	_two_procs() { (($(tagged_pids | wc -l) >= 2)); }
	wait_for 10 _two_procs || fail "container d2: processes $(_pids_desc $(tagged_pids)), wanted 2"
	local pids
	pids=$(tagged_pids)
	ctr_cmd task kill --all --signal SIGKILL d2
	assert_rc 0 "ctr task kill --all"
	wait_for 10 _task_status_is d2 STOPPED || fail "task d2: status '$(ctr_task_field d2 STATUS)' after kill --all"
	for pid in $pids; do wait_pid_gone "$pid"; done
	assert_match "$(argv_calls kill)" ' kill --all d2 9$' "runtime kill --all call"
	ctr_cmd task delete d2
	assert_rc 0 "ctr task delete d2"
	ctr_cmd container delete d2
	assert_rc 0 "ctr container delete d2"
	cd_assert_clean
}

test_ctr_bad_command() {
	cd_setup
	ctr_run --rm "$CALLERS_IMAGE" b1 /bin/nosuch
	assert_nonzero "ctr run of /bin/nosuch"
	assert_eq 1 "$(grep -c nosuch "$T/err")" "lines mentioning /bin/nosuch in ctr's stderr ($ERR)"
	assert_contains "$(grep nosuch "$T/err")" "OCI runtime create failed" "ctr's stderr"
	assert_contains "$(grep nosuch "$T/err")" "no such file or directory" "ctr's stderr"
	# The shim takes the message from the runtime's --log (json): without it ctr would say
	# only "exit status 1".
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in ctr's stderr"
	fi
	cd_assert_clean
}

test_ctr_exec() {
	cd_setup
	# --seccomp: containerd's default profile (with noNewPrivileges, ctr's default).
	ctr_run -d --null-io --seccomp "$CALLERS_IMAGE" e1 sleep 1000
	assert_rc 0 "ctr run -d --seccomp"
	ctr_cmd task exec --exec-id x1 --fifo-dir "$FIFO_DIR" e1 sh -c 'echo "hi from exec"; echo err-line >&2; exit 4'
	assert_rc 4 "ctr task exec of 'exit 4'"
	assert_eq "hi from exec" "$OUT" "exec output"
	assert_contains "$ERR" err-line "exec stderr"
	assert_match "$(argv_calls exec | head -n 1)" ' exec --process [^ ]+ --detach --pid-file [^ ]+ e1$' "runtime exec call"

	ctr_cmd task exec --exec-id x2 --fifo-dir "$FIFO_DIR" e1 /bin/nosuch
	assert_nonzero "ctr task exec of /bin/nosuch"
	assert_eq 1 "$(grep -c nosuch "$T/err")" "lines mentioning /bin/nosuch in ctr's stderr ($ERR)"
	assert_contains "$(grep nosuch "$T/err")" "OCI runtime exec failed" "ctr's stderr"
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in ctr's stderr"
	fi

	# With a terminal (ctr wants one on its side: script(1) gives it a pty).
	if command -v script >/dev/null; then
		local cmd
		cmd=$(printf '%q ' ctr --address "$CD_SOCK" --namespace "$CD_NS" task exec -t --exec-id x3 \
			--fifo-dir "$FIFO_DIR" e1 sh -c 'tty; echo tty-ok')
		timeout -k 5 "$CALLERS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null >"$T/out" 2>&1
		RC=$?
		assert_rc 0 "ctr task exec -t"
		# (script echoes a NUL from ctr as "^@", anywhere; with runc too)
		assert_match "$(tr -d '\r\0' <"$T/out" | sed 's/\^@//g')" $'(^|\n)/dev/pts/[0-9]+\ntty-ok' \
			"ctr task exec -t output"
		assert_match "$(argv_calls exec | tail -n 1)" ' --console-socket [^ ]+ ' "exec call with a terminal"
	fi

	assert_eq RUNNING "$(ctr_task_field e1 STATUS)" "status after the execs"
	ctr_cmd task kill --signal SIGKILL e1
	assert_rc 0 "ctr task kill"
	_task_stopped() { [[ $(ctr_task_field e1 STATUS) == STOPPED ]]; }
	wait_for 10 _task_stopped || fail "task e1: status '$(ctr_task_field e1 STATUS)' after kill"
	ctr_cmd task delete e1
	assert_rc 0 "ctr task delete"
	ctr_cmd container delete e1
	assert_rc 0 "ctr container delete"
	cd_assert_clean
}

test_ctr_run_tty() {
	command -v script >/dev/null || skip "script(1) (bsdutils) is missing: ctr run -t needs a terminal"
	cd_setup
	local cmd
	cmd=$(printf '%q ' ctr --address "$CD_SOCK" --namespace "$CD_NS" run -t --rm \
		--runc-binary "$WRAPPER" --runc-root "$RT_ROOT" --fifo-dir "$FIFO_DIR" --env "MYRT_IT_TAG=$TAG" \
		"$CALLERS_IMAGE" t1 sh -c 'tty; echo tty-ok; exit 6')
	timeout -k 5 "$CALLERS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null >"$T/out" 2>&1
	RC=$?
	cat "$T/out" >&2
	assert_rc 6 "ctr run -t --rm of 'exit 6' (through script -e)"
	assert_match "$(tr -d '\r\0' <"$T/out" | sed 's/\^@//g')" $'(^|\n)/dev/pts/0\ntty-ok' "ctr run -t output"
	assert_match "$(argv_calls create)" ' --console-socket [^ ]+ ' "create call with a terminal"
	cd_assert_clean
}

# Issue 6: ctr's resource options (--memory-limit, --cpus) reach the task's cgroups (as
# ctr's spec asks: checked on the host, ctr mounts no cgroupfs inside) and are enforced
# (throttling; an allocation past the limit is OOM-killed: exit status 137, and the shim,
# watching the task's memory cgroup, publishes /tasks/oom); `ctr task metrics` (the shim
# reads the cgroups itself: no runtime call) reports the limit and the usage.
test_ctr_resources_oom_metrics() {
	callers_hog "$T/hog"
	cd_setup
	timeout -k 5 "$CALLERS_TIMEOUT" ctr --address "$CD_SOCK" --namespace "$CD_NS" events \
		>"$T/events" 2>&1 </dev/null &
	local ev_pid=$!
	ctr_run -d --null-io --memory-limit 104857600 --cpus 0.5 \
		--mount "type=bind,src=$T/hog,dst=/hog,options=rbind:ro" "$CALLERS_IMAGE" m1 sleep 1000
	assert_rc 0 "ctr run -d --memory-limit 104857600 --cpus 0.5"
	_task_status_is() { [[ $(ctr_task_field "$1" STATUS) == "$2" ]]; }
	wait_for 10 _task_status_is m1 RUNNING || fail "task m1: status '$(ctr_task_field m1 STATUS)', wanted RUNNING"
	local pid res
	pid=$(ctr_task_field m1 PID)
	assert_match "$pid" '^[1-9][0-9]*$' "task pid"

	# What ctr asked for (so that a failure below is the runtime's).
	res=$(jq -c '[.linux.resources.memory.limit, .linux.resources.cpu.quota,
		.linux.resources.cpu.period, .linux.cgroupsPath]' \
		"$CD/state/io.containerd.runtime.v2.task/$CD_NS/m1/config.json" 2>&1)
	assert_eq "[104857600,50000,100000,\"/$CD_NS/m1\"]" "$res" "resources and cgroupsPath in ctr's config.json"

	assert_eq "/$CD_NS/m1" "$(cg_path "$pid" memory)" "memory cgroup of the task's init"
	assert_eq "104857600 50000 100000" "$(cg_limits "$pid")" \
		"memory limit, cpu quota and period of the task's cgroups (host)"

	# An exec'd process is in the same cgroups, and --cpus 0.5 throttles two busy loops
	# running for a second (and keeps them to ~0.5 s of CPU: checked with the metrics).
	local thr0 cpu0
	thr0=$(cg_keyed "$pid" cpu cpu.stat nr_throttled)
	cpu0=$(cg_read "$pid" cpuacct cpuacct.usage)
	ctr_cmd task exec --exec-id x1 --fifo-dir "$FIFO_DIR" m1 sh -c "$CALLERS_BUSY_LOOPS; cat /proc/self/cgroup"
	assert_eq "/$CD_NS/m1" "$(awk -F: -v c=memory '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) p = $3 }
		$1 == "0" && p == "" { v2 = $3 } END { print (p != "" ? p : v2) }' <<<"$OUT")" \
		"memory cgroup of an exec'd process ($OUT)"
	cg_assert_throttled "$pid" "$thr0" "$cpu0"

	# ctr task metrics: the shim's cgroup statistics (containerd 1.6 calls no runtime
	# command for them).
	: >"$ARGV_LOG"
	ctr_cmd task metrics m1
	assert_rc 0 "ctr task metrics"
	if [[ -n $(cg_read "$pid" memory memory.limit_in_bytes) ]]; then
		assert_match "$OUT" $'(^|\n)memory\\.limit_in_bytes +104857600 *(\n|$)' "ctr task metrics: memory limit"
	else
		assert_match "$OUT" $'(^|\n)memory\\.limit +104857600 *(\n|$)' "ctr task metrics: memory limit"
	fi
	ctr_cmd task metrics --format json m1
	assert_rc 0 "ctr task metrics --format json"
	local lim use cpu pids
	read -r lim use cpu pids < <(jq -r '[.memory.usage.limit // .memory.usage_limit,
		.memory.usage.usage // .memory.usage, .cpu.usage.total // .cpu.usage_usec * 1000,
		.pids.current] | map(tostring) | join(" ")' <<<"$OUT" 2>&1)
	assert_eq 104857600 "$lim" "ctr task metrics json: memory limit ($OUT)"
	((use > 0 && use < 104857600)) || fail "ctr task metrics json: memory usage $use"
	((cpu > 100000000 && cpu < 900000000)) ||
		fail "ctr task metrics json: cpu usage $cpu ns after two busy loops for a second under --cpus 0.5"
	((pids >= 1 && pids < 10)) || fail "ctr task metrics json: pids $pids"
	echo "runtime calls of ctr task metrics: $(wc -l <"$ARGV_LOG")" >&2
	# The runtime's own statistics of the task agree.
	rt_stats_check "events --stats" --root "$RT_ROOT/$CD_NS" events --stats m1
	read -r lim use cpu pids <<<"$STATS"
	assert_eq 104857600 "$lim" "runtime events --stats: memory limit ($STATS)"
	((use > 0 && use < 104857600)) || fail "runtime events --stats: memory usage $use"
	((cpu > 100000000 && cpu < 900000000)) || fail "runtime events --stats: cpu usage $cpu"
	((pids >= 1 && pids < 10)) || fail "runtime events --stats: pids $pids"

	# Under the limit: fine; past it: the cgroup's OOM killer kills the process (not the
	# task), and the shim reports an OOM event.
	local ooms
	ooms=$(cg_oom_kills "$pid")
	ctr_cmd task exec --exec-id x2 --fifo-dir "$FIFO_DIR" m1 /hog/hog 50
	assert_rc 0 "exec of a 50 MiB allocation under --memory-limit 104857600"
	assert_eq "allocated 50 MiB" "$OUT" "hog output"
	ctr_cmd task exec --exec-id x3 --fifo-dir "$FIFO_DIR" m1 /hog/hog 300
	assert_rc 137 "exec of a 300 MiB allocation under --memory-limit 104857600"
	assert_not_contains "$OUT" allocated "hog output"
	if [[ -n $ooms ]]; then
		(($(cg_oom_kills "$pid") > ooms)) ||
			fail "no OOM kill counted in the task's memory cgroup ($ooms -> $(cg_oom_kills "$pid"))"
	fi
	_oom_event() { grep -E " $CD_NS /tasks/oom .*\"?container_id\"?: ?\"?m1\b" "$T/events" >/dev/null; }
	wait_for 10 _oom_event || fail "no /tasks/oom event for m1: $(grep -v /snapshot "$T/events" | tail -n 5)"
	assert_eq RUNNING "$(ctr_task_field m1 STATUS)" "task status after the OOM kill of an exec"
	kill -TERM "$ev_pid" 2>/dev/null
	wait "$ev_pid" 2>/dev/null

	ctr_cmd task kill --signal SIGKILL m1
	assert_rc 0 "ctr task kill"
	wait_for 10 _task_status_is m1 STOPPED || fail "task m1: status '$(ctr_task_field m1 STATUS)' after kill"
	ctr_cmd task delete m1
	assert_rc 0 "ctr task delete"
	ctr_cmd container delete m1
	assert_rc 0 "ctr container delete"
	cd_assert_clean

	# The init itself past the limit: ctr run exits 137.
	ctr_run --rm --memory-limit 104857600 --mount "type=bind,src=$T/hog,dst=/hog,options=rbind:ro" \
		"$CALLERS_IMAGE" m2 /hog/hog 300
	assert_rc 137 "ctr run --memory-limit 104857600 of a 300 MiB allocation"
	assert_not_contains "$OUT" allocated "hog output"
	cd_assert_clean
}
