# shellcheck shell=bash
# cgroups: resource limits applied and enforced on this host's cgroups, v1 (or hybrid) or
# v2: memory (an OOM kill, its exit status and its event), a CPU quota (measured), pids, a read
# throttle on a loop device (measured; host only: the VM has no loop driver), a
# live update, pause/resume, the devices rules, ps and events --stats, delete.
#
# The bodies are the cg_check_* functions; each test_* here runs one on the host.
# t-cgroups-v2.sh runs the same bodies inside a cgroup v2 VM (test/vm/run) when this host
# is not v2. Every container gets cgroupsPath /myrt/<id> (myrt's default, given explicitly
# so that another runtime under test creates its cgroups there too).

# ---------------------------------------------------------------------------------------
# Helpers

# Looked up once: starting a process is slow in the VM.
CG_FSTYPE=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
cg_is_v2() { [[ $CG_FSTYPE == cgroup2fs ]]; }

# cg_dir PID CONTROLLER: PID's cgroup directory (v1: in CONTROLLER's hierarchy; v2: the
# unified one, CONTROLLER ignored).
cg_dir() {
	local line rel='' list
	while IFS= read -r line; do
		list=${line#*:}
		list=${list%%:*}
		if cg_is_v2; then
			[[ ${line%%:*} == 0 ]] && rel=${line#*:*:}
		elif [[ ,$list, == *,"$2",* ]]; then
			rel=${line#*:*:}
		fi
	done <"/proc/$1/cgroup"
	[[ -n $rel ]] || return 1
	if cg_is_v2; then
		echo "/sys/fs/cgroup${rel%/}"
	else
		echo "/sys/fs/cgroup/$2${rel%/}"
	fi
}

# cg_file PID CONTROLLER FILE: path of FILE in PID's cgroup of CONTROLLER
cg_file() {
	local d
	d=$(cg_dir "$1" "$2") || return 1
	echo "$d/$3"
}

# keyed FILE KEY: the value on the "KEY value" line of FILE
keyed() {
	local k v
	while read -r k v; do
		[[ $k == "$2" ]] && echo "$v"
	done <"$1"
}

# json_args ARG...: a JSON array of the strings, without starting jq (slow in the VM)
json_args() {
	local a e out=''
	for a in "$@"; do
		e=${a//\\/\\\\}
		e=${e//\"/\\\"}
		e=${e//$'\n'/\\n}
		e=${e//$'\t'/\\t}
		out+="${out:+,}\"$e\""
	done
	echo "[$out]"
}

# cg_bundle NAME JQ-FILTER ARG...: a bundle for container $(cid NAME) with $CTL at /mnt,
# cgroupsPath /myrt/<id>, JQ-FILTER applied to its config and process.args ARG...; sets ID.
cg_bundle() {
	ID=$(cid "$1")
	local filter=$2
	shift 2
	mk_bundle
	CTL=$T/ctl
	mkdir -p "$CTL"
	chmod 1777 "$CTL"
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]
		| .linux.cgroupsPath = $p | .process.args = $a | '"$filter" \
		--arg s "$CTL" --arg p "/myrt/$ID" --argjson a "$(json_args "$@")"
}

# cg_build_hog OUT: compile lib/hog.c (static: the container has no libc)
cg_build_hog() {
	command -v gcc >/dev/null && gcc -static -O2 -o "$1" "$IT_DIR/lib/hog.c" 2>/dev/null
}

# cg_hog: /mnt/hog N in the container allocates N MiB ($CTL/hog). $CG_HOG: a prebuilt one.
cg_hog() {
	if [[ -n ${CG_HOG:-} && -x $CG_HOG ]]; then
		cp "$CG_HOG" "$CTL/hog"
	elif ! cg_build_hog "$CTL/hog"; then
		printf '#!/bin/sh\nx=$(yes | head -c $(($1 * 1048576))) && echo "allocated $1 MiB"\n' >"$CTL/hog"
		chmod 755 "$CTL/hog"
	fi
}

# cg_started: create + start $ID from $BUNDLE; sets PID (init)
cg_started() {
	create_ok "$ID" --pid-file "$T/$ID.pid"
	PID=$(<"$T/$ID.pid")
	[[ $PID =~ ^[1-9][0-9]*$ ]] && pid_alive "$PID" || fail "create $ID: no live pid in --pid-file ('$PID')"
	start_ok "$ID"
}

# cpu_usage_ns DIR: CPU time the cgroup used so far, in nanoseconds
cpu_usage_ns() {
	if cg_is_v2; then
		echo $(($(keyed "$1/cpu.stat" usage_usec) * 1000))
	else
		cat "$1/cpuacct.usage"
	fi
}

# cpu_percent DIR SECONDS: percent of one CPU the cgroup used over the next SECONDS
cpu_percent() {
	local u0 u1 t0 t1
	u0=$(cpu_usage_ns "$1")
	t0=${EPOCHREALTIME/./}
	sleep "$2"
	u1=$(cpu_usage_ns "$1")
	t1=${EPOCHREALTIME/./}
	echo $(((u1 - u0) / (t1 - t0) / 10))
}

# rt_has_events: the runtime has an events command (crun has none; myrt must)
rt_has_events() { is_myrt || "$RUNTIME" events --help >/dev/null 2>&1; }

# counter FILE: the number in FILE (0 while it does not exist yet)
counter() {
	local c=''
	[[ -e $1 ]] && c=$(<"$1")
	echo "${c:-0}"
}

# ---------------------------------------------------------------------------------------
# Checks (also run in the v2 VM by t-cgroups-v2.sh)

# swap = limit: no swap to escape into where swap is accounted.
CG_MEM32='.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'

# A process allocating past memory.limit is OOM-killed: run exits 137, events reports it,
# the kernel counted it.
cg_check_oom_kill() {
	cg_bundle oomrun "$CG_MEM32" /mnt/hog 256
	cg_hog
	run_ctr "$ID"
	assert_rc 137 "run of a process allocating 256 MiB under a 32 MiB memory limit"
	assert_not_contains "$OUT" allocated "output of the process"

	cg_bundle oom "$CG_MEM32" sh -c 'while [ ! -e /mnt/go ]; do sleep 0.05; done; exec /mnt/hog 256 > /mnt/out'
	cg_started
	local dir ev='' kills
	dir=$(cg_dir "$PID" memory) || fail "no memory cgroup for $PID"
	: >"$T/events"
	if rt_has_events; then
		rt events --interval 200ms "$ID" >"$T/events" 2>"$T/events.err" &
		ev=$!
		# A first stats event: events is up and watching.
		wait_file_contains "$T/events" '"type":"stats"'
	fi
	touch "$CTL/go"
	_oom_line() { grep -qFx "{\"type\":\"oom\",\"id\":\"$ID\"}" "$T/events"; }
	[[ -z $ev ]] || wait_for 20 _oom_line ||
		fail "no oom event from events: $(grep -v '"stats"' "$T/events" | head -c 300) $(head -c 300 "$T/events.err")"
	wait_for_status "$ID" stopped
	assert_not_contains "$(cat "$CTL/out" 2>/dev/null)" allocated "the 256 MiB allocation under a 32 MiB limit"
	if cg_is_v2; then
		kills=$(keyed "$dir/memory.events" oom_kill)
	else
		kills=$(keyed "$dir/memory.oom_control" oom_kill)
	fi
	((${kills:-0} >= 1)) || fail "oom_kill count of $dir: '$kills'"
	echo "oom: run exit 137; events: $(grep -c '"type":"oom"' "$T/events") oom event(s); kernel oom_kill=$kills"
	# runc's events only ends when the cgroup is removed.
	if is_myrt; then
		wait_for 10 pid_gone "$ev" || fail "events still running 10 s after the container stopped"
		wait "$ev"
		RC=$?
		assert_rc 0 "events exit status"
	fi
	[[ -z $ev ]] || { kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null; }
	return 0
}

# A busy loop under a 50% quota uses about half a CPU (the cgroup's own accounting over
# 3 s); updated to 20%, at most about a fifth (over 1.5 s).
# Other load on the machine must not starve the loop below its quota: the scheduler
# shares the CPU between the groups at each level, so the container's cgroup is a
# top-level one of its own (/<id>) with the highest weight.
cg_check_cpu_quota() {
	cg_bundle cpu '.linux.cgroupsPath = ($p | sub("^/myrt"; ""))
		| .linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 262144}' \
		sh -c 'while :; do :; done'
	cg_started
	local dir pct f
	dir=$(cg_dir "$PID" cpuacct) || fail "no cpuacct cgroup for $PID"
	sleep 0.5
	pct=$(cpu_percent "$dir" 3)
	echo "cpu: busy loop under quota 50000/100000: ${pct}% of a CPU over 3 s"
	((pct >= 35 && pct <= 65)) || fail "busy loop under a 50% CPU quota used ${pct}% of a CPU over 3 s"

	rt update --cpu-quota 20000 "$ID" >"$T/update.out" 2>&1 || fail "update --cpu-quota failed: $(<"$T/update.out")"
	if cg_is_v2; then
		assert_eq "20000 100000" "$(<"$dir/cpu.max")" "cpu.max after update"
	else
		f=$(cg_file "$PID" cpu cpu.cfs_quota_us)
		assert_eq 20000 "$(<"$f")" "cpu.cfs_quota_us after update"
	fi
	sleep 0.3
	pct=$(cpu_percent "$dir" 1.5)
	echo "cpu: after update to quota 20000/100000: ${pct}% of a CPU over 1.5 s"
	((pct <= 30)) || fail "busy loop under a 20% CPU quota (after update) used ${pct}% of a CPU"
}

# cpu.shares on v2 becomes cpu.weight by the mapping crun and runc use: the default 1024
# meets the default weight 100 (the old linear formula gave 39), 512 -> 59.
cg_check_cpu_weight() {
	cg_bundle weight '.linux.resources.cpu = {"shares": 1024}' sleep 1000
	cg_started
	local f want
	if cg_is_v2; then f=$(cg_file "$PID" cpu cpu.weight); want=100; else f=$(cg_file "$PID" cpu cpu.shares); want=1024; fi
	assert_eq "$want" "$(<"$f")" "$f for shares 1024"
	rt update --cpu-share 512 "$ID" >"$T/update.out" 2>&1 || fail "update --cpu-share failed: $(<"$T/update.out")"
	cg_is_v2 && want=59 || want=512
	assert_eq "$want" "$(<"$f")" "$f for shares 512"
	echo "cpu: shares 1024 and 512 -> $(basename "$f") $([[ $want == 59 ]] && echo 100 and 59 || echo 1024 and 512)"
}

# A fork loop stops at pids.limit.
cg_check_pids_limit() {
	# A shell whose fork fails gives up: the loop runs in a child shell. Init + that shell
	# + 8 sleeps reach the limit; the child then exits, init execs sleep: 9 processes.
	cg_bundle pids '.linux.resources.pids = {"limit": 10}' \
		sh -c 'sh -c "i=0; while [ \$i -lt 30 ]; do sleep 1000 & i=\$((i+1)); done; echo all-forked" >/mnt/forks 2>&1
		echo done > /mnt/done; exec sleep 1000'
	cg_started
	local dir n
	dir=$(cg_dir "$PID" pids) || fail "no pids cgroup for $PID"
	wait_file_contains "$CTL/done" done
	assert_not_contains "$(<"$CTL/forks")" all-forked "30 forks with pids.limit 10"
	assert_contains "$(<"$CTL/forks")" "fork" "the refused fork's error"
	n=$(rt ps -f json "$ID" | jq length)
	assert_eq 9 "$n" "processes listed by ps (init and 8 sleeps)"
	assert_eq 9 "$(<"$dir/pids.current")" "pids.current"
	n=$(keyed "$dir/pids.events" max)
	((${n:-0} >= 1)) || fail "pids.events max: '$n' (expected a refused fork)"
	echo "pids: fork loop stopped at pids.limit 10 (8 sleeps forked, $n refused); pids.current=9 after the loop's shell exited"
}

# update raises the memory limit of a running container: an allocation that was OOM-killed
# succeeds afterwards.
cg_check_update_memory() {
	cg_bundle upd "$CG_MEM32" sh -c '/mnt/hog 64 > /mnt/first; echo "status $?" >> /mnt/first
		while [ ! -e /mnt/go ]; do sleep 0.05; done
		/mnt/hog 64 > /mnt/second; echo "status $?" >> /mnt/second
		exec sleep 1000'
	cg_hog
	cg_started
	local f
	if cg_is_v2; then f=$(cg_file "$PID" memory memory.max); else f=$(cg_file "$PID" memory memory.limit_in_bytes); fi
	wait_file_contains "$CTL/first" status
	assert_eq "status 137" "$(<"$CTL/first")" "64 MiB allocation under a 32 MiB limit"
	if is_myrt; then
		# checkBeforeUpdate: a limit below the usage is refused, naming the field.
		echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' |
			rt update --resources - "$ID" >"$T/update.out" 2>&1 && fail "update to 4096 bytes with checkBeforeUpdate succeeded"
		assert_contains "$(<"$T/update.out")" "linux.resources.memory.limit: new limit 4096 is below the current usage" "update error"
		assert_eq 33554432 "$(<"$f")" "memory limit after the refused update"
	fi
	rt update --memory 268435456 --memory-swap 268435456 "$ID" >"$T/update.out" 2>&1 ||
		fail "update --memory failed: $(<"$T/update.out")"
	assert_eq 268435456 "$(<"$f")" "memory limit after update ($f)"
	touch "$CTL/go"
	wait_file_contains "$CTL/second" status
	assert_eq "allocated 64 MiB
status 0" "$(<"$CTL/second")" "64 MiB allocation after update to 256 MiB"
	assert_eq running "$(state_field "$ID" status)" "status after both allocations"
	echo "update: 64 MiB under 32 MiB: killed (137); after update --memory 256M: allocated"
}

# pause stops a counting process, resume lets it go on.
cg_check_pause_resume() {
	cg_bundle pause . sh -c 'i=0; while :; do i=$((i+1)); echo $i > /mnt/c.new; mv /mnt/c.new /mnt/count; sleep 0.05; done'
	cg_started
	_counted() { (($(counter "$CTL/count") >= $1)); }
	wait_for 20 _counted 3 || fail "the counter did not start"
	rt pause "$ID" >"$T/pause.out" 2>&1 || fail "pause failed: $(<"$T/pause.out")"
	assert_eq paused "$(state_field "$ID" status)" "status after pause"
	if cg_is_v2; then
		assert_eq 1 "$(<"$(cg_file "$PID" "" cgroup.freeze)")" "cgroup.freeze after pause"
		assert_contains "$(<"$(cg_file "$PID" "" cgroup.events)")" "frozen 1" "cgroup.events after pause"
	else
		assert_eq FROZEN "$(<"$(cg_file "$PID" freezer freezer.state)")" "freezer.state after pause"
	fi
	local c1 c2
	c1=$(counter "$CTL/count")
	sleep 1
	c2=$(counter "$CTL/count")
	assert_eq "$c1" "$c2" "counter over 1 s while paused"
	rt resume "$ID" >"$T/resume.out" 2>&1 || fail "resume failed: $(<"$T/resume.out")"
	assert_eq running "$(state_field "$ID" status)" "status after resume"
	wait_for 10 _counted $((c2 + 3)) || fail "counter stuck at $(counter "$CTL/count") after resume (was $c2)"
	echo "pause: counter $c1 -> $c2 over 1 s paused, $(counter "$CTL/count") after resume"
}

# The devices rules: mknod is allowed (defaults), opening a device the rules deny is not;
# an allow rule for reading only lets reads through, not writes (v2: the BPF program).
cg_check_devices() {
	cg_bundle dev '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])' \
		sh -c 'echo x > /dev/null && echo null-ok; mknod /dev/l0 b 7 0 || echo mknod-failed
		head -c 1 /dev/l0 2>&1 >/dev/null | head -n 1; echo done'
	run_ok "$ID"
	assert_contains "$OUT" null-ok "writing /dev/null (a default rule)"
	assert_not_contains "$OUT" mknod-failed "mknod (allowed by the defaults)"
	assert_contains "$OUT" "Operation not permitted" "opening b 7:0, which the rules deny"
	cfg '.linux.resources.devices += [{"allow": true, "type": "b", "major": 7, "minor": 0, "access": "r"}]
		| .process.args = $a' --argjson a "$(json_args sh -c 'mknod /dev/l0 b 7 0
		head -c 1 /dev/l0 2>&1 >/dev/null | head -n 1; echo ---; (echo x > /dev/l0) 2>&1; echo done')"
	run_ok "$ID"
	assert_not_contains "${OUT%%---*}" "Operation not permitted" "reading b 7:0 with an allow rule for r"
	assert_contains "${OUT#*---}" "Operation not permitted" "writing b 7:0 with an allow rule for r only"
}

# blockIO.throttleReadBpsDevice on a loop device of the test's own: the limit is in the
# cgroup's file, and reading 3 MiB with O_DIRECT at 1 MiB/s takes over 2 s (the kernel lets a
# first slice through at once), while the same read without the limit takes well under 1 s.
cg_check_io_throttle() {
	[[ -e /dev/loop-control ]] && command -v losetup >/dev/null || skip "no loop devices here"
	local img=$T/disk.img dev maj min t0 t1 slow fast f
	head -c $((4 * 1048576)) /dev/zero >"$img"
	dev=$(losetup --find --show "$img") || skip "losetup failed"
	IT_LOOPS+=("$dev")
	read -r maj min < <(stat -c '%Hr %Lr' "$dev")
	local d='"major": '"$maj"', "minor": '"$min"
	cg_bundle io '.linux.devices += [{"path": "/dev/disk0", "type": "b", '"$d"'}]
		| .linux.resources.devices += [{"allow": true, "type": "b", '"$d"', "access": "r"}]
		| .linux.resources.blockIO = {"throttleReadBpsDevice": [{'"$d"', "rate": 1048576}]}' \
		sh -c 'dd if=/dev/disk0 of=/dev/null bs=64k count=48 iflag=direct 2>&1; echo "dd status $?"
			while [ ! -e /mnt/go ]; do sleep 0.05; done; dd if=/dev/disk0 of=/dev/null bs=64k count=48 iflag=direct'
	t0=${EPOCHREALTIME/./}
	cg_started
	wait_file_contains "$T/$ID.out" "dd status" 30
	t1=${EPOCHREALTIME/./}
	assert_contains "$(<"$T/$ID.out")" "dd status 0" "dd of the loop device ($(<"$T/$ID.err"))"
	slow=$(((t1 - t0) / 1000))
	((slow >= 2000)) || fail "3 MiB at 1 MiB/s read in $slow ms"
	if cg_is_v2; then
		f=$(cg_file "$PID" io io.max)
		assert_contains "$(<"$f")" "$maj:$min rbps=1048576" "$f"
	else
		f=$(cg_file "$PID" blkio blkio.throttle.read_bps_device)
		assert_eq "$maj:$min 1048576" "$(<"$f")" "$f"
	fi
	# The same read with the limit lifted (update), so the device itself is not that slow.
	printf '{"blockIO": {"throttleReadBpsDevice": [{"major": %d, "minor": %d, "rate": 0}]}}' "$maj" "$min" >"$T/r.json"
	rt update --resources "$T/r.json" "$ID" 2>"$T/update.err" || fail "update failed: $(<"$T/update.err")"
	t0=${EPOCHREALTIME/./}
	touch "$CTL/go"
	wait_for 30 pid_gone "$PID" || fail "the second dd did not finish"
	fast=$(((${EPOCHREALTIME/./} - t0) / 1000))
	((fast < slow / 2)) || fail "without the limit the read took $fast ms (with it: $slow ms)"
	delete_ok "$ID"
	echo "io: 3 MiB read at 1 MiB/s in $slow ms; without the limit in $fast ms"
}

# One container: its limits are in its cgroup (seen from the host and from inside), ps
# and events --stats report what the cgroup holds, delete removes every directory of it.
cg_check_applied_reported_removed() {
	local inside=/sys/fs/cgroup/pids/pids.max
	cg_is_v2 && inside=/sys/fs/cgroup/pids.max
	cg_bundle res '.linux.resources.pids = {"limit": 20}
		| .linux.resources.cpu = {"shares": 512}
		| .linux.resources.memory = {"limit": 67108864}' \
		sh -c "cat $inside > /mnt/inside; sleep 1000 & sleep 1000 & echo ready > /mnt/ready; wait"
	cg_started
	wait_file_contains "$CTL/ready" ready
	# Applied.
	local f
	f=$(cg_file "$PID" pids pids.max) || fail "no pids cgroup for $PID"
	assert_eq 20 "$(<"$f")" "pids.max (host view, $f)"
	if cg_is_v2; then
		f=$(cg_file "$PID" cpu cpu.weight)
		assert_eq 59 "$(<"$f")" "cpu.weight for shares 512 (host view, $f)"
		f=$(cg_file "$PID" memory memory.max)
	else
		f=$(cg_file "$PID" cpu cpu.shares) || fail "no cpu cgroup for $PID"
		assert_eq 512 "$(<"$f")" "cpu.shares (host view, $f)"
		f=$(cg_file "$PID" memory memory.limit_in_bytes) || fail "no memory cgroup for $PID"
	fi
	assert_eq 67108864 "$(<"$f")" "memory limit (host view, $f)"
	assert_eq 20 "$(<"$CTL/inside")" "pids.max seen inside (cgroup namespace)"

	# Reported.
	local dir s='{}' got
	dir=$(cg_dir "$PID" pids)
	if rt_has_events; then
		s=$(rt events --stats "$ID") || fail "events --stats failed"
	fi
	[[ $s != *$'\n'* ]] || fail "events --stats printed more than one line: $(head -c 300 <<<"$s")"
	got=$(jq -r --argjson ps "$(rt ps -f json "$ID")" --arg procs "$(<"$dir/cgroup.procs")" \
		--arg current "$(<"$dir/pids.current")" '
		"ps: \($ps | length) processes, \(if ($ps | sort) == ($procs | split("\n") | map(select(. != "") | tonumber) | sort)
			then "the cgroup'"'"'s" else "not the cgroup'"'"'s (\($procs))" end)",
		"stats: \(.type) \(.id) pids \(.data.pids.current)/\(.data.pids.limit) (pids.current \($current)) memory limit \(.data.memory.usage.limit) usage>0 \(.data.memory.usage.usage > 0) cpu>0 \(.data.cpu.usage.total > 0) memory.stat \((.data.memory.raw | length) > 0)",
		"# \({pids: .data.pids, memory: .data.memory.usage, cpu: .data.cpu.usage.total} | tojson)"' <<<"$s")
	local want="ps: 3 processes, the cgroup's
stats: stats $ID pids 3/20 (pids.current 3) memory limit 67108864 usage>0 true cpu>0 true memory.stat true"
	rt_has_events || want=$(head -n 1 <<<"$want")$'\n'$(sed -n 2p <<<"$got")
	assert_eq "$want" "$(grep -v '^#' <<<"$got")" "ps -f json and events --stats"
	echo "stats: $(grep '^#' <<<"$got" | cut -c3-)"

	# Removed.
	local dirs=() c d
	for c in cpu cpuacct cpuset memory pids devices freezer blkio; do
		d=$(cg_dir "$PID" "$c") || continue
		[[ $d == */"$ID" && " ${dirs[*]} " != *" $d "* ]] && dirs+=("$d")
	done
	((${#dirs[@]} > 0)) || fail "no cgroup directory named $ID for $PID: $(<"/proc/$PID/cgroup")"
	delete_ok "$ID" --force
	for d in "${dirs[@]}"; do [[ ! -e $d ]] || fail "cgroup $d left after delete"; done
	assert_no_leftovers "$ID"
	echo "delete: removed ${dirs[*]}"
}

# How init and exec's process get into the cgroup: never by the runtime writing their pid to
# cgroup.procs, which takes the lock whose writers wait for an RCU grace period (5-30 ms of a
# create here). On v2 they are born there (clone3 CLONE_INTO_CGROUP); on v1 each writes "0"
# to its own tasks files.
cg_check_join_without_grace_period() {
	is_myrt || skip "checks myrt's debug log"
	cg_bundle join '.' sleep 1000
	local how="itself" c dir pid
	cg_is_v2 && how="(CLONE_INTO_CGROUP)"
	rt --debug --log="$T/debug.log" create --bundle "$BUNDLE" --pid-file "$T/$ID.pid" "$ID" \
		>"$T/create.out" 2>&1 || fail "create --debug: $(tail -c 500 "$T/create.out")"
	PID=$(<"$T/$ID.pid")
	start_ok "$ID"
	rt --debug --log="$T/debug.log" exec -d --pid-file "$T/exec.pid" "$ID" sleep 1000 \
		>"$T/exec.out" 2>&1 || fail "exec --debug: $(tail -c 500 "$T/exec.out")"
	assert_contains "$(grep init "$T/debug.log")" "$how" "debug log of create"
	assert_contains "$(grep exec: "$T/debug.log")" "$how" "debug log of exec"
	for pid in "$PID" "$(<"$T/exec.pid")"; do
		for c in pids memory; do
			dir=$(cg_dir "$pid" "$c") || fail "$pid is in no $c cgroup: $(<"/proc/$pid/cgroup")"
			[[ $dir == */myrt/$ID ]] || fail "$c cgroup of $pid: $dir, not .../myrt/$ID"
		done
	done
	delete_ok "$ID" --force
	assert_no_leftovers "$ID"
}

# `myrt check` names this host's layout (v2, hybrid or v1) and its controllers, read here
# from /proc/self/mounts and the cgroup files (lib/hostcheck.sh); on a v2 host it says v2
# and lists /sys/fs/cgroup/cgroup.controllers.
cg_check_host_check() {
	is_myrt || skip "check is myrt's own command"
	# shellcheck source=lib/hostcheck.sh
	source "$IT_DIR/lib/hostcheck.sh"
	rt check --format json >"$T/check.json" 2>"$T/check.err" </dev/null
	RC=$?
	assert_rc 0 "check as root"
	hc_assert_cgroup_findings "$T/check.json"
	assert_eq ok "$(hc_field "$T/check.json" cgroups status)" "cgroups status"
	echo "check: $(hc_field "$T/check.json" cgroups detail); $(hc_field "$T/check.json" controllers detail)"
}

# ---------------------------------------------------------------------------------------
# Tests on this host

test_cgroup_applied_reported_removed() { cg_check_applied_reported_removed; }
test_cgroup_oom_kill() { cg_check_oom_kill; }
test_cgroup_cpu_quota() { cg_check_cpu_quota; }
test_cgroup_pids_limit() { cg_check_pids_limit; }
test_cgroup_cpu_weight() { cg_check_cpu_weight; }
test_cgroup_update_memory() { cg_check_update_memory; }
test_cgroup_pause_resume() { cg_check_pause_resume; }
test_cgroup_devices() { cg_check_devices; }
test_cgroup_join_without_grace_period() { cg_check_join_without_grace_period; }
test_cgroup_io_throttle() { cg_check_io_throttle; }
test_cgroup_host_check() { cg_check_host_check; }

# Errors name the field (myrt's wording).
test_cgroup_errors_name_the_field() {
	is_myrt || skip "checks myrt's error messages"
	if cg_is_v2; then
		cg_bundle err '.linux.resources.unified = {"memory.bogus": "1"}' true
		run_ctr "$ID"
		assert_nonzero "run with an unknown unified key"
		assert_contains "$ERR" 'linux.resources.unified["memory.bogus"]: no such file'
	else
		cg_bundle err '.linux.resources.unified = {"memory.max": "1"}' true
		run_ctr "$ID"
		assert_nonzero "run with unified on cgroup v1"
		assert_contains "$ERR" "linux.resources.unified: invalid configuration: cgroup v2 settings, but this host uses cgroup v1"
	fi
	cfg 'del(.linux.resources.unified) | .linux.resources.cpu = {"cpus": "0-4096"}'
	run_ctr "$ID"
	assert_nonzero "run with cpus 0-4096"
	assert_match "$ERR" 'linux\.resources\.cpu\.cpus: write /sys/fs/cgroup/.*cpuset\.cpus: ' "error for cpus 0-4096"
	assert_no_leftovers "$ID"
}

# On a hybrid host (v1 controllers, systemd's named hierarchy and a cgroup2 mount beside
# them) the container joins every one of them, as runc does, and finds systemd's and the
# unified one in its /sys/fs/cgroup (a container running systemd looks there).
test_hybrid_joins_systemd_and_unified() {
	[[ -d /sys/fs/cgroup/systemd && $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]] ||
		skip "not a hybrid host with name=systemd and a unified mount"
	mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "cgroup"))'
	set_args sh -c 'cat /proc/self/cgroup; ls /sys/fs/cgroup/systemd/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs 2>&1; true'
	local id
	id=$(cid hybrid)
	run_ok "$id"
	assert_match "$OUT" "(^|"$'\n'")[0-9]+:name=systemd:/([^"$'\n'"]*/)?$id("$'\n'"|\$)" "name=systemd line"
	assert_match "$OUT" "(^|"$'\n'")0::/([^"$'\n'"]*/)?$id("$'\n'"|\$)" "unified (0::) line"
	assert_not_contains "$OUT" "systemd/cgroup.procs: No such" "systemd hierarchy inside"
	# runc 1.1.5 joins the unified hierarchy but does not mount it inside.
	[[ $RUNTIME_KIND == runc ]] || assert_not_contains "$OUT" "unified/cgroup.procs: No such" "unified hierarchy inside"
	[[ -z $(cgroup_dirs_named "$id") ]] || fail "cgroups left after run: $(cgroup_dirs_named "$id")"
}

# A hybrid host's unified mount covered by a tmpfs (in a mount namespace of the caller's, as
# scripts/bench does for crun's sake) is no cgroup hierarchy: the container runs, joining the
# v1 ones only, and nothing is made in the cover.
test_hybrid_covered_unified_is_skipped() {
	[[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]] || skip "no unified mount beside v1"
	mk_bundle
	set_args true
	local id
	id=$(cid covered)
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 myrt-it-cover /sys/fs/cgroup/unified || exit 99
		"$1" --root "$2" run --bundle "$3" "$4" </dev/null >"$5/out" 2>"$5/err"; rc=$?
		ls -A /sys/fs/cgroup/unified >"$5/cover"
		exit $rc' _ "$RUNTIME" "$ROOT" "$BUNDLE" "$id" "$T"
	RC=$?
	[[ $RC != 99 ]] || skip "cannot mount a tmpfs over the unified mount here"
	assert_rc 0 "run with the unified mount covered (stderr: $(head -c 300 "$T/err"))"
	assert_eq "" "$(cat "$T/cover")" "what was made in the tmpfs cover"
}

# A caller whose own cgroup2 cgroup was once emptied through cgroup.kill (runc's suite's
# harness does that to the cgroup it runs every test in): a kernel with cgroup.kill's kill
# count (6.18 here, not 6.1) kills a child made by clone3 CLONE_INTO_CGROUP at birth. The
# container must still run: myrt sees the SIGKILL pending and clones again, joining by
# cgroup.procs. (It failed "container init was killed by signal 9 during setup".)
test_caller_cgroup_once_killed() {
	local u=/sys/fs/cgroup/unified
	[[ $(stat -f -c %T $u 2>/dev/null) == cgroup2fs ]] || u=/sys/fs/cgroup
	[[ $(stat -f -c %T $u) == cgroup2fs ]] || skip "no cgroup2 hierarchy"
	local cg=$u/it-$TAG-killed
	mkdir "$cg" && IT_CGROUPS+=("$cg") || fail "mkdir $cg"
	[[ -e $cg/cgroup.kill ]] || skip "no cgroup.kill (a kernel before 5.14)"
	echo 1 >"$cg/cgroup.kill" || fail "cgroup.kill"
	mk_bundle
	set_args sh -c 'echo ran'
	local id i
	for i in 1 2; do
		id=$(cid killed$i)
		RC=0
		(echo "$BASHPID" >"$cg/cgroup.procs" && exec "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$id") \
			>"$T/out" 2>"$T/err" </dev/null || RC=$?
		echo "$id" >>"$T/.ids"
		assert_rc 0 "run $i from a cgroup that was killed once"
		assert_eq ran "$(cat "$T/out")" "the container's output"
	done
}
