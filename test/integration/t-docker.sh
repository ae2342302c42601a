# shellcheck shell=bash
# (SC2016: the containers' shell commands are in single quotes; SC2317: the functions
# wait_for calls)
# shellcheck disable=SC2016,SC2317
# Docker (Debian's docker.io 20.10) runs containers with the runtime under test: a private
# dockerd with the runtime registered as "myrt" (--add-runtime, through the argv-logging
# wrapper), every container run with --runtime myrt from an image imported offline from
# the example rootfs (docker import). One dockerd for the whole group, booted by its first
# test and stopped by the last one, test_docker_daemon_stop_leaves_nothing, which must
# stay last in this file (lib/docker.sh).
# shellcheck source=lib/callers.sh
source "$IT_DIR/lib/callers.sh"
# shellcheck source=lib/docker.sh
source "$IT_DIR/lib/docker.sh"
source "$IT_DIR/lib/terminal.sh"

test_docker_run_rm() {
	dk_setup
	dk_run --rm "$DK_IMAGE" sh -c 'echo out-line; echo err-line >&2; exit 7'
	assert_rc 7 "docker run --rm of 'exit 7'"
	assert_eq out-line "$OUT" "stdout"
	assert_eq err-line "$ERR" "stderr"
	local id
	id=$(dk_cid)
	assert_match "$id" '^[0-9a-f]{64}$' "container id (--cidfile)"
	# It was our runtime that ran it: the shim's create, start and delete.
	assert_match "$(argv_calls create | grep " $id\$")" " --root [^ ]+ .*create --bundle [^ ]+ .*$id$" \
		"the runtime's create call from the shim"
	if ! argv_calls start | grep -q " $id\$" || ! argv_calls delete | grep -q " $id\$"; then
		fail "no runtime start/delete of $id: $(grep -F "$id" "$ARGV_LOG")"
	fi

	# What docker configured: hostname, env, its default capabilities, pid 1.
	dk_run --rm --hostname dk-host "$DK_IMAGE" sh -c \
		'echo "$(hostname) $MYRT_IT_TAG $$ $(grep CapEff /proc/self/status | cut -f2)"'
	assert_rc 0 "docker run --rm --hostname"
	assert_eq "dk-host $TAG 1 00000000a80425fb" "$OUT" "hostname, env, pid and capabilities inside"

	# Bad commands: Docker's exit statuses, the runtime's message in the daemon's error.
	dk_run --rm "$DK_IMAGE" /bin/nosuch
	assert_rc 127 "docker run of /bin/nosuch"
	assert_contains "$ERR" "no such file or directory" "docker's stderr"
	is_myrt && assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in docker's stderr"
	dk_run --rm "$DK_IMAGE" /etc/passwd
	assert_rc 126 "docker run of a non-executable file"
	assert_contains "$ERR" "permission denied" "docker's stderr"
	dk_assert_clean
}

# docker run -it in tmux, as a user would: the prompt, line editing on the container's
# terminal, its size, the exit status back in the outer shell.
test_docker_run_it_terminal() {
	dk_setup
	dk_tm_start
	tm_line "stty -a > $T/stty.before; docker run -it --rm --runtime myrt --label myrt-it=$TAG -e MYRT_IT_TAG=$TAG --cidfile $T/cid.tty $DK_IMAGE sh; echo \"rc=\$?\"; stty -a > $T/stty.after"
	tm_wait_cursor_line "$INNER_PROMPT" 20 "container shell prompt"
	tm_line 'echo $((6*7))'
	tm_wait_line 42 10 "output of echo \$((6*7))"
	tm_line_editing
	tm_wait_line "$INNER_PROMPT echo abc" 5 "edited command line as shown"
	tm_line 'echo "pid=$$ tty=$(tty) size=$(stty size)"'
	tm_wait_line 'pid=1 tty=/dev/pts/0 size=30 100' 10 "pid, tty and size of the container's terminal"
	local id
	id=$(<"$T/cid.tty")
	assert_match "$(argv_calls create | grep " $id\$")" ' --console-socket [^ ]+ ' "create call with a terminal"
	tm_line 'exit 5'
	tm_wait_line "rc=5" 15 "exit status in the outer shell"
	tm_wait_cursor_line 'OUTER\$' 10 "outer prompt after the container exited"
	wait_for 10 test -s "$T/stty.after" || fail "no $T/stty.after"
	assert_eq "$(cat "$T/stty.before")" "$(cat "$T/stty.after")" "outer stty -a before and after docker run -it"
	dk_assert_clean
}

# dk_tm_start: tmux (lib/terminal.sh) whose outer shell has `docker` for our daemon
dk_tm_start() {
	tm_start 100 30
	cat >"$T/bin/docker" <<EOF
#!/bin/sh
DOCKER_CONFIG=$(printf '%q' "$DK/client") exec /usr/bin/docker -H $(printf '%q' "unix://$DK_SOCK") "\$@"
EOF
	chmod +x "$T/bin/docker"
	# both cleanups: our containers, then tmux's and common.sh's
	trap '_callers_rc=$?; dk_test_cleanup; (exit $_callers_rc); _tm_exit' EXIT
}

test_docker_exec() {
	dk_setup
	local n
	n=$(dk_name ex)
	dk_run -d --name "$n" "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d"
	local id=$OUT
	dk_cmd exec "$n" sh -c 'echo "hi from exec $MYRT_IT_TAG $(cat /proc/1/cmdline | tr "\0" " ")"; echo err-line >&2; exit 4'
	assert_rc 4 "docker exec of 'exit 4'"
	assert_eq "hi from exec $TAG sleep 1000 " "$OUT" "docker exec output"
	assert_eq err-line "$ERR" "docker exec stderr"
	assert_match "$(argv_calls exec | grep " $id\$" | head -n 1)" " exec --process [^ ]+ .*--detach .*$id$" \
		"the runtime's exec call"
	dk_cmd exec -u 1000:1000 -w /tmp -e X=y "$n" sh -c 'echo "$(id -u):$(id -g) $PWD $X"'
	assert_rc 0 "docker exec -u -w -e"
	assert_eq "1000:1000 /tmp y" "$OUT" "docker exec -u -w -e"
	dk_cmd exec "$n" /bin/nosuch
	assert_rc 126 "docker exec of /bin/nosuch (Docker's status for an exec that cannot start)"
	# (docker exec prints the daemon's error on stdout)
	assert_contains "$OUT" "OCI runtime exec failed" "docker exec output"
	assert_contains "$OUT" "no such file or directory" "docker exec output"
	is_myrt && assert_contains "$OUT" 'exec "/bin/nosuch": no such file or directory' "myrt's message in docker's output"

	# exec -it in tmux: prompt, line editing, exit status
	dk_tm_start
	tm_line "docker exec -it $n sh; echo \"rc=\$?\""
	tm_wait_cursor_line "$INNER_PROMPT" 20 "exec'd shell prompt"
	tm_line_editing
	tm_line 'echo "tty=$(tty) size=$(stty size) ppid=$PPID"'
	tm_wait_line 'tty=/dev/pts/[0-9]+ size=30 100 ppid=0' 10 "tty, size, parent of the exec'd shell"
	assert_match "$(argv_calls exec | grep " $id\$" | tail -n 1)" ' --console-socket [^ ]+ ' "exec call with a terminal"
	tm_line 'exit 3'
	tm_wait_line "rc=3" 15 "exit status of docker exec -it in the outer shell"
	tm_wait_cursor_line 'OUTER\$' 10 "outer prompt after the exec"
	assert_eq running "$(dk_field "$n" '{{.State.Status}}')" "container status after the execs"
	dk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	dk_assert_clean
}

# --memory/--cpus/--pids-limit reach the cgroups and hold (OOM kill, throttling, fork
# failures); docker stats reports them; docker update changes them through the runtime.
test_docker_resources_stats_update() {
	callers_hog "$T/hog"
	dk_setup
	local n
	n=$(dk_name r)
	dk_run -d --name "$n" --memory 100m --cpus 0.5 --pids-limit 64 -v "$T/hog:/hog:ro" "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d --memory 100m --cpus 0.5 --pids-limit 64"
	local id=$OUT pid bundle res
	pid=$(dk_field "$n" '{{.State.Pid}}')
	assert_match "$pid" '^[1-9][0-9]*$' "inspect State.Pid"
	_dk_ours() { grep -qzxF "MYRT_IT_TAG=$TAG" "/proc/$pid/environ" 2>/dev/null; }
	wait_for 5 _dk_ours || fail "State.Pid $pid is not our container's process"

	# What docker asked for (so that a failure below is the runtime's).
	bundle=$(argv_calls create | grep " $id\$" | grep -oE -- '--bundle [^ ]+' | cut -d' ' -f2)
	res=$(jq -c '[.linux.resources.memory.limit, .linux.resources.memory.swap, .linux.resources.cpu.quota,
		.linux.resources.cpu.period, .linux.resources.pids.limit, .linux.cgroupsPath]' "$bundle/config.json" 2>&1)
	assert_eq "[104857600,209715200,50000,100000,64,\"/$DK_CGROUP/$id\"]" "$res" \
		"resources and cgroupsPath in docker's config.json ($bundle)"
	assert_eq "/$DK_CGROUP/$id" "$(cg_path "$pid" memory)" "memory cgroup of the container's init"
	assert_eq "104857600 50000 100000" "$(cg_limits "$pid")" "memory limit, cpu quota and period (host)"
	assert_eq 64 "$(cg_read "$pid" pids pids.max)" "pids.max (host)"

	# --cpus 0.5 holds: two busy loops for a second are throttled (and stay ~0.5 s of CPU).
	local thr0 cpu0
	thr0=$(cg_keyed "$pid" cpu cpu.stat nr_throttled)
	cpu0=$(cg_read "$pid" cpuacct cpuacct.usage)
	dk_cmd exec "$n" sh -c "$CALLERS_BUSY_LOOPS"
	cg_assert_throttled "$pid" "$thr0" "$cpu0"

	# docker stats (the shim reads the cgroups: Docker 20.10 calls no runtime command)
	local calls0
	calls0=$(wc -l <"$ARGV_LOG")
	dk_cmd stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$n"
	assert_rc 0 "docker stats --no-stream"
	assert_match "$OUT" "^$n [0-9.]+[KMG]?i?B / 100MiB [1-9][0-9]*$" "docker stats"
	echo "runtime calls of docker stats: $(($(wc -l <"$ARGV_LOG") - calls0))" >&2

	# Under the memory limit: fine; past it: the cgroup's OOM killer kills the process.
	local ooms
	ooms=$(cg_oom_kills "$pid")
	dk_cmd exec "$n" /hog/hog 50
	assert_rc 0 "docker exec of a 50 MiB allocation under --memory 100m"
	assert_eq "allocated 50 MiB" "$OUT" "hog output"
	dk_cmd exec "$n" /hog/hog 300
	assert_rc 137 "docker exec of a 300 MiB allocation under --memory 100m"
	if [[ -n $ooms ]]; then
		(($(cg_oom_kills "$pid") > ooms)) || fail "no OOM kill counted in the container's memory cgroup"
	fi
	assert_eq running "$(dk_field "$n" '{{.State.Status}}')" "container status after the OOM kill of an exec"

	# docker update: the runtime's update; the new limits apply.
	dk_cmd update --memory 200m --memory-swap 400m --cpus 0.25 "$n"
	assert_rc 0 "docker update --memory 200m --memory-swap 400m --cpus 0.25"
	assert_match "$(argv_calls update | grep " $id\$")" " update (--resources[= ]|-r )[^ ]+ $id$" "the runtime's update call"
	assert_eq "209715200 25000 100000" "$(cg_limits "$pid")" "limits after docker update (host)"
	assert_eq 64 "$(cg_read "$pid" pids pids.max)" "pids.max after docker update"
	dk_cmd exec "$n" /hog/hog 150
	assert_rc 0 "docker exec of a 150 MiB allocation after update --memory 200m"
	dk_cmd update --memory 50m "$n"
	assert_rc 0 "docker update --memory 50m"
	assert_eq 52428800 "$(cg_limits "$pid" | cut -d' ' -f1)" "memory limit after docker update --memory 50m"
	dk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	dk_assert_clean

	# --pids-limit holds: a shell starting 20 sleeps fails at the limit (and exits 2);
	# then pid 1 counts what is left with builtins: itself and 8 sleeps.
	dk_run --rm --pids-limit 10 "$DK_IMAGE" sh -c \
		'sh -c "i=0; while [ \$i -lt 20 ]; do sleep 100 & i=\$((i + 1)); done"; rc=$?
		set -- /proc/[0-9]*; echo "rc=$rc procs=$#"'
	assert_eq "rc=2 procs=9" "$OUT" "processes in a container with --pids-limit 10 after 20 forks"
	assert_contains "$ERR" "can't fork" "stderr of forking past --pids-limit 10"
	dk_assert_clean

	# The container's init past the limit: docker run exits 137, inspect says OOMKilled.
	n=$(dk_name oom)
	dk_run --name "$n" --memory 100m -v "$T/hog:/hog:ro" "$DK_IMAGE" /hog/hog 300
	assert_rc 137 "docker run --memory 100m of a 300 MiB allocation"
	assert_eq "exited 137 true" "$(dk_field "$n" '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}')" \
		"inspect after the OOM kill"
	dk_cmd rm "$n"
	dk_assert_clean
}

test_docker_pause_unpause() {
	dk_setup
	local n pid
	n=$(dk_name p)
	dk_run -d --name "$n" "$DK_IMAGE" sh -c 'while :; do date +%s%N >/tmp/tick; sleep 0.05; done'
	assert_rc 0 "docker run -d"
	pid=$(dk_field "$n" '{{.State.Pid}}')
	wait_for 5 test -s "/proc/$pid/root/tmp/tick" || fail "the container's loop did not start"
	dk_cmd pause "$n"
	assert_rc 0 "docker pause"
	assert_eq paused "$(dk_field "$n" '{{.State.Status}}')" "status after pause"
	assert_eq frozen "$(freezer_of "$pid")" "freezer of the paused container's cgroup"
	local t1 t2
	t1=$(cat "/proc/$pid/root/tmp/tick")
	sleep 0.3
	t2=$(cat "/proc/$pid/root/tmp/tick")
	assert_eq "$t1" "$t2" "the container's loop while paused"
	dk_cmd unpause "$n"
	assert_rc 0 "docker unpause"
	assert_eq running "$(dk_field "$n" '{{.State.Status}}')" "status after unpause"
	assert_eq thawed "$(freezer_of "$pid")" "freezer after unpause"
	_dk_ticks() { [[ $(cat "/proc/$pid/root/tmp/tick") != "$t2" ]]; }
	wait_for 5 _dk_ticks || fail "the container's loop did not go on after unpause"
	[[ -n $(argv_calls pause) && -n $(argv_calls resume) ]] ||
		fail "docker did not call the runtime's pause and resume: $(grep -E ' (pause|resume) ' "$ARGV_LOG")"
	dk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	dk_assert_clean
}

# stop: SIGTERM, then SIGKILL after -t; kill -s; restart
test_docker_stop_kill_restart() {
	dk_setup
	local n id pid
	# sleep is the container's pid 1 and ignores SIGTERM: docker kills it after -t 1.
	n=$(dk_name sl)
	dk_run -d --name "$n" "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d"
	id=$OUT
	pid=$(dk_field "$n" '{{.State.Pid}}')
	dk_stop 1 "$n"
	((STOP_MS >= 900 && STOP_MS < 10000)) || fail "docker stop -t 1 of a process ignoring SIGTERM took ${STOP_MS} ms"
	wait_pid_gone "$pid"
	assert_eq "exited 137" "$(dk_field "$n" '{{.State.Status}} {{.State.ExitCode}}')" "inspect after stop"
	assert_match "$(argv_calls kill | grep " $id " | tr '\n' ' ')" " kill $id 15 .* kill $id 9 " "the runtime's kill calls of stop"

	# A container that exits on SIGTERM stops at once, with its own status.
	n=$(dk_name trap)
	dk_run -d --name "$n" "$DK_IMAGE" sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	assert_rc 0 "docker run -d (trap)"
	dk_stop 20 "$n"
	((STOP_MS < 5000)) || fail "docker stop of a container exiting on SIGTERM took ${STOP_MS} ms"
	assert_eq 3 "$(dk_field "$n" '{{.State.ExitCode}}')" "exit code from the TERM trap"

	# kill -s USR1: delivered, the container goes on; docker kill: SIGKILL.
	n=$(dk_name k)
	dk_run -d --name "$n" "$DK_IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	assert_rc 0 "docker run -d (kill)"
	id=$OUT
	wait_for 10 dk_logs_has "$n" ready || fail "docker logs: no 'ready'"
	dk_cmd kill -s USR1 "$n"
	assert_rc 0 "docker kill -s USR1"
	wait_for 10 dk_logs_has "$n" got-usr1 || fail "docker logs: no 'got-usr1' after kill -s USR1"
	assert_match "$(argv_calls kill | grep " $id ")" " kill $id 10$" "the runtime's kill call"
	assert_eq running "$(dk_field "$n" '{{.State.Status}}')" "status after USR1"
	dk_cmd kill "$n"
	assert_rc 0 "docker kill"
	dk_wait_status "$n" exited
	assert_eq 137 "$(dk_field "$n" '{{.State.ExitCode}}')" "exit code after docker kill"

	# restart: stopped and started again (a new runtime create with the same id).
	n=$(dk_name rs)
	dk_run -d --name "$n" "$DK_IMAGE" sh -c 'echo started; trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_rc 0 "docker run -d (restart)"
	id=$OUT
	pid=$(dk_field "$n" '{{.State.Pid}}')
	dk_cmd restart -t 5 "$n"
	assert_rc 0 "docker restart"
	wait_pid_gone "$pid"
	assert_eq running "$(dk_field "$n" '{{.State.Status}}')" "status after restart"
	local pid2
	pid2=$(dk_field "$n" '{{.State.Pid}}')
	assert_ne "$pid" "$pid2" "State.Pid after restart"
	pid_alive "$pid2" || fail "State.Pid $pid2 after restart is not alive"
	assert_eq 2 "$(argv_calls create | grep -c " $id\$")" "runtime create calls for $id"
	_dk_started_twice() { [[ $(dk logs "$n" 2>&1 | grep -cx started) == 2 ]]; }
	wait_for 10 _dk_started_twice || fail "docker logs after restart: $(dk logs "$n" 2>&1 | head -c 300)"

	dk_cmd rm -f "$(dk_name sl)" "$(dk_name trap)" "$(dk_name k)" "$n"
	assert_rc 0 "docker rm -f"
	dk_assert_clean
}

test_docker_logs() {
	dk_setup
	local n
	n=$(dk_name lg)
	# (stdout and stderr are copied apart: the pause keeps "three" last in the log)
	dk_run -d --name "$n" "$DK_IMAGE" sh -c 'echo one; echo two >&2; sleep 0.2; echo three; exit 2'
	assert_rc 0 "docker run -d"
	dk_cmd wait "$n"
	assert_eq 2 "$OUT" "docker wait"
	dk_cmd logs "$n"
	assert_rc 0 "docker logs"
	assert_eq $'one\nthree' "$OUT" "docker logs: stdout"
	assert_eq two "$ERR" "docker logs: stderr"
	dk_cmd logs --tail 1 "$n"
	assert_eq three "$OUT" "docker logs --tail 1"
	dk_cmd start -a "$n"
	assert_rc 2 "docker start -a"
	dk_cmd logs "$n"
	assert_eq $'one\nthree\none\nthree' "$OUT" "docker logs after a second start"
	dk_cmd rm "$n"
	assert_rc 0 "docker rm"
	dk_assert_clean
}

test_docker_read_only_tmpfs() {
	dk_setup
	dk_run --rm --read-only --tmpfs /run:rw,size=1m,mode=755 "$DK_IMAGE" sh -c '
		touch /etc/x 2>&1; echo "root rc=$?"
		touch /run/x && echo "run ok"
		grep -E "^[^ ]+ / " /proc/mounts | cut -d" " -f4 | cut -d, -f1
		grep " /run " /proc/mounts | cut -d" " -f3,4'
	assert_rc 0 "docker run --read-only --tmpfs"
	assert_match "$OUT" $'^touch: /etc/x: Read-only file system\nroot rc=1\nrun ok\nro\ntmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=755$' \
		"writes to / and /run, their mounts"
	dk_assert_clean
}

# -v HOST:CTR:ro, and :rshared (mounts propagate both ways; Docker wants the source's
# mount shared: $T/shared is made a shared bind mount of itself).
test_docker_volumes_ro_rshared() {
	dk_setup
	mkdir -p "$T/vol" "$T/shared"
	echo host-data >"$T/vol/f"
	dk_run --rm -v "$T/vol:/v:ro" "$DK_IMAGE" sh -c 'cat /v/f; echo x >/v/g; echo "rc=$?"'
	assert_rc 0 "docker run -v :ro"
	assert_eq $'host-data\nrc=1' "$OUT" "read and write on a :ro volume"
	assert_contains "$ERR" "can't create /v/g: Read-only file system" "stderr of the write"
	[[ ! -e $T/vol/g ]] || fail "a write through a :ro volume reached the host"

	if ! mount --bind "$T/shared" "$T/shared" || ! mount --make-shared "$T/shared"; then
		fail "cannot make $T/shared a shared mount"
	fi
	mkdir -p "$T/shared/from-ctr" "$T/shared/from-host"
	local n pid
	n=$(dk_name sh)
	dk_run -d --name "$n" --cap-add SYS_ADMIN -v "$T/shared:/s:rshared" "$DK_IMAGE" sh -c \
		'mount -t tmpfs ctr-tmpfs /s/from-ctr && echo mounted; sleep 1000'
	assert_rc 0 "docker run -d -v :rshared"
	pid=$(dk_field "$n" '{{.State.Pid}}')
	wait_for 10 dk_logs_has "$n" mounted || fail "the container's mount failed: $(dk logs "$n" 2>&1)"
	# The container's mount shows on the host ...
	_dk_host_sees() { grep -qE "^ctr-tmpfs $T/shared/from-ctr tmpfs " /proc/self/mounts; }
	wait_for 5 _dk_host_sees || fail "the mount made in the container under /s (rshared) is not on the host"
	# ... and one made on the host shows in the container.
	mount -t tmpfs host-tmpfs "$T/shared/from-host" || fail "mount of a tmpfs on the host failed"
	_dk_ctr_sees() { grep -qE "^host-tmpfs /s/from-host tmpfs " "/proc/$pid/mounts"; }
	wait_for 5 _dk_ctr_sees || fail "the host's mount under $T/shared is not in the container"
	assert_match "$(awk '$5 == "/s" { print $0 }' "/proc/$pid/mountinfo")" ' shared:[0-9]+ ' \
		"the volume's propagation in the container"
	dk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	umount "$T/shared/from-host" "$T/shared/from-ctr" "$T/shared" || fail "umount of our mounts under $T/shared failed"
	dk_assert_clean
}

# --network none: only lo; the default network: docker's bridge network on the bridge the
# boot made (dockerd --bridge), an address in its subnet, traffic both ways.
test_docker_network_none_and_bridge() {
	dk_setup
	dk_run --rm --network none "$DK_IMAGE" sh -c 'ip -o link | cut -d" " -f2; ls /sys/class/net'
	assert_rc 0 "docker run --network none"
	assert_eq $'lo:\nlo' "$OUT" "interfaces with --network none"

	local n pid ip veth
	n=$(dk_name net)
	dk_run -d --name "$n" "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d (default network)"
	pid=$(dk_field "$n" '{{.State.Pid}}')
	ip=$(dk_field "$n" '{{.NetworkSettings.IPAddress}}')
	assert_match "$ip" "^${DK_NET//./\\.}\\.[0-9]+$" "the container's address (inspect)"
	assert_ne "$(ns_of $$ net)" "$(ns_of "$pid" net)" "the container's network namespace"
	dk_cmd exec "$n" sh -c "ip -o -4 addr show eth0 | awk '{ print \$4 }'; ip route | grep default; ping -c 1 -W 5 $DK_NET.1 >/dev/null && echo ping-ok"
	assert_rc 0 "docker exec (network)"
	assert_eq "$ip/24"$'\n'"default via $DK_NET.1 dev eth0 "$'\n'ping-ok "$OUT" "address, route, ping of the bridge"
	# The host reaches the container: a line from a listener in it.
	dk_cmd exec -d "$n" sh -c 'echo from-the-container | nc -l -p 7777'
	_dk_listens() { dk exec "$n" netstat -ltn 2>/dev/null | grep -q ':7777 '; }
	wait_for 10 _dk_listens || fail "no listener on port 7777 in the container"
	assert_eq from-the-container "$(timeout 5 bash -c "cat </dev/tcp/$ip/7777" 2>&1)" "read from $ip:7777 on the host"
	veth=$(ip -o link show master "$DK_BRIDGE" | awk -F': ' '{ print $2 }')
	assert_match "$veth" '^veth[0-9a-f]+@if[0-9]+$' "the container's veth on $DK_BRIDGE"
	dk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	dk_assert_clean
}

test_docker_pid_host_user_caps_nnp() {
	dk_setup
	# --pid host: the host's pid namespace, its pid 1
	dk_run --rm --pid host "$DK_IMAGE" sh -c 'readlink /proc/self/ns/pid; tr "\0" " " </proc/1/cmdline'
	assert_rc 0 "docker run --pid host"
	assert_eq "$(ns_of $$ pid)"$'\n'"$(tr '\0' ' ' </proc/1/cmdline)" "$OUT" "pid namespace and pid 1 with --pid host"

	dk_run --rm --user 1000:1001 "$DK_IMAGE" sh -c 'echo "$(id -u) $(id -g) $(grep CapEff /proc/self/status | cut -f2)"'
	assert_rc 0 "docker run --user 1000:1001"
	assert_eq "1000 1001 0000000000000000" "$OUT" "uid, gid, capabilities with --user 1000:1001"
	dk_run --rm --user nobody "$DK_IMAGE" id
	assert_rc 0 "docker run --user nobody"
	assert_match "$OUT" '^uid=65534\(nobody\) gid=65534\(nobody\)' "id with --user nobody"

	dk_run --rm --cap-drop ALL --cap-add NET_BIND_SERVICE "$DK_IMAGE" sh -c \
		'grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status | cut -f2 | tr "\n" " "; nc -l -p 80 -w 1 & sleep 0.3; netstat -ltn | grep -c ":80 "'
	assert_rc 0 "docker run --cap-drop ALL --cap-add NET_BIND_SERVICE"
	assert_eq '0000000000000400 0000000000000400 0000000000000400 1' "$OUT" \
		"capabilities (CapPrm CapEff CapBnd) and a listener on port 80"

	dk_run --rm --security-opt no-new-privileges "$DK_IMAGE" sh -c 'grep NoNewPrivs /proc/self/status | cut -f2'
	assert_rc 0 "docker run --security-opt no-new-privileges"
	assert_eq 1 "$OUT" "NoNewPrivs with --security-opt no-new-privileges"
	dk_run --rm "$DK_IMAGE" sh -c 'grep NoNewPrivs /proc/self/status | cut -f2'
	assert_eq 0 "$OUT" "NoNewPrivs without it"
	dk_assert_clean
}

# --init: docker-init (tini) is pid 1, runs the command, passes its status, forwards
# docker stop's SIGTERM.
test_docker_init() {
	dk_setup
	local init
	init=$(command -v docker-init) || skip "no docker-init in PATH (docker.io ships /usr/bin/docker-init -> tini-static)"
	dk_run --rm --init "$DK_IMAGE" sh -c 'echo "$(cat /proc/1/comm) $$ $PPID $(tr "\0" " " </proc/1/cmdline)"; exit 9'
	assert_rc 9 "docker run --init of 'exit 9'"
	assert_match "${OUT%%echo*}" '^docker-init [1-9][0-9]* 1 /sbin/docker-init -- sh -c $' \
		"pid 1, the shell's pid and parent, pid 1's command line"
	[[ $OUT != "docker-init 1 "* ]] || fail "the shell is pid 1 with --init: $OUT"
	local n pid
	n=$(dk_name init)
	dk_run -d --init --name "$n" "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d --init"
	pid=$(dk_field "$n" '{{.State.Pid}}')
	# (the runtime's start returns once the init is told to exec: it may not have yet)
	_dk_comm_is() { [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]]; }
	wait_for 5 _dk_comm_is docker-init || fail "State.Pid's command: '$(cat "/proc/$pid/comm")', wanted docker-init"
	dk_stop 10 "$n"
	((STOP_MS < 5000)) || fail "docker stop of an --init container took ${STOP_MS} ms (SIGTERM not forwarded?)"
	assert_eq 143 "$(dk_field "$n" '{{.State.ExitCode}}')" "exit code of sleep killed by the forwarded SIGTERM"
	dk_cmd rm "$n"
	dk_assert_clean
	echo "docker-init: $init -> $(readlink -f "$init")" >&2
}

# A capability the host cannot grant: docker run fails with the daemon's error (125),
# naming the capability (myrt; runc's message does not name it).
test_docker_cap_not_grantable() {
	local bnd
	bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	(((0x$bnd >> 24) & 1)) && skip "CAP_SYS_RESOURCE is in this host's bounding set: it can be granted"
	dk_setup
	dk_run --rm --cap-add SYS_RESOURCE "$DK_IMAGE" true
	assert_rc 125 "docker run --cap-add SYS_RESOURCE"
	assert_match "$ERR" '^docker: Error response from daemon: failed to create shim task: OCI runtime create failed: ' \
		"docker's stderr"
	is_myrt && assert_contains "$(head -n 1 <<<"$ERR")" CAP_SYS_RESOURCE "the daemon's error"
	dk_assert_clean
}

# Last: dockerd stopped with a container running; nothing of it is left.
test_docker_daemon_stop_leaves_nothing() {
	dk_setup
	local n pid id
	n=$(dk_name last)
	dk_run -d --name "$n" --stop-timeout 1 "$DK_IMAGE" sleep 1000
	assert_rc 0 "docker run -d"
	id=$OUT
	pid=$(dk_field "$n" '{{.State.Pid}}')
	local dpid cpid
	dpid=$(_dk_daemon_pid)
	cpid=$(pids_cmdline_has "$DK/exec/containerd/containerd.toml")
	assert_match "$dpid $cpid" '^[0-9]+ [0-9]+$' "dockerd and its containerd"
	# dockerd stops the running container on its way out.
	dk_stop_daemon --keep-containers
	[[ -n $DK_STOPPED_PID ]] || fail "no dockerd to stop"
	echo "dockerd stopped in $DK_STOP_MS ms" >&2
	((DK_STOP_MS < 10000)) || fail "dockerd took ${DK_STOP_MS} ms to stop"
	pid_gone "$dpid" || fail "dockerd $dpid still alive"
	wait_pid_gone "$cpid" 5
	wait_pid_gone "$pid" 5
	local left p
	left=$(_dk_leftovers "$id")
	p=$(pids_cmdline_has "$DK/")
	# shellcheck disable=SC2086
	[[ -z $p ]] || left+="processes: $(_pids_desc $p)"
	[[ -z $(find "$DK"/exec/runtime-*/ -mindepth 2 2>/dev/null) ]] ||
		left+=" runtime state: $(find "$DK"/exec/runtime-*/ -mindepth 2)"
	[[ -z $(cgroup_subdirs "$DK_CGROUP") ]] || left+=" cgroups: $(cgroup_subdirs "$DK_CGROUP")"
	[[ -z $(awk -v d="$DK/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo) ]] ||
		left+=" mounts: $(awk -v d="$DK/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)"
	p=/run/containerd/s/$(printf '%s' "$DK/exec/containerd/containerd.sock/moby/$id" | sha256sum | cut -d' ' -f1)
	[[ ! -e $p ]] || left+=" shim socket: $p"
	dk_undo
	[[ -z $left ]] || fail "left after dockerd stopped: $left"
	[[ ! -e $DK ]] || fail "$DK still there"
	[[ -z $(ip -o link show "$DK_BRIDGE" 2>/dev/null) ]] || fail "bridge $DK_BRIDGE still there"
}
