# shellcheck shell=bash
# Rootless: the runtime run by an unprivileged user (myrt-it-user, made once and kept: see
# lib/rootless.sh) with setpriv, XDG_RUNTIME_DIR a private dir of the user, bundles made
# with `spec --rootless` by the user and a private copy of the example rootfs owned by it.
# Checked from inside (ids, maps, ps) and from the host (file owners, the host's files,
# the state dir, processes left).
# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"
# shellcheck source=lib/seccomp-agent.sh
source "$IT_DIR/lib/seccomp-agent.sh"

# Every capability: the refusals below must come from the user namespace, not from a
# capability the container lacks.
ALL_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID",
	"CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_OWNER","CAP_SYS_CHROOT",
	"CAP_SYS_ADMIN","CAP_SYS_RESOURCE","CAP_MKNOD","CAP_AUDIT_WRITE","CAP_SETFCAP"]'
all_caps() {
	cfg '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}' --argjson c "$ALL_CAPS"
}

# wide_maps: container 0 -> the user, 1..65536 -> the user's subordinate range
wide_maps() {
	cfg '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $su, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $sg, size: 65536}]' \
		--argjson u "$RL_UID" --argjson g "$RL_GID" --argjson su "$RL_SUBUID" --argjson sg "$RL_SUBGID"
}

rl_run_ok() { # ID: run as the user, must exit 0; sets RC OUT ERR
	use_mode rootless
	m_run_ok "$@"
}
rl_run_sh() {
	use_mode rootless
	m_run_sh "$@"
}

test_rootless_spec_and_run() {
	rl_mk_bundle
	local c=$BUNDLE/config.json
	# What spec --rootless wrote (before rl_mk_bundle's edits, which leave these alone).
	assert_contains "$(jq -c '[.linux.namespaces[].type]' "$c")" '"user"' "spec --rootless namespaces"
	assert_eq "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" "$(jq -c .linux.uidMappings "$c")" "uidMappings"
	assert_eq "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]" "$(jq -c .linux.gidMappings "$c")" "gidMappings"
	if is_myrt; then
		assert_eq bind "$(jq -r '.mounts[] | select(.destination == "/sys") | (.options // []) | map(select(. == "rbind" or . == "bind")) | if length > 0 then "bind" else "no" end' "$c")" \
			"/sys of spec --rootless is a bind mount"
		assert_eq "" "$(jq -r '.mounts[] | select(.type == "sysfs" or .type == "cgroup" or .type == "cgroup2") | .destination' "$c")" \
			"sysfs/cgroup mounts in spec --rootless"
	fi
	rl_run_sh 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; hostname'
	local lines
	mapfile -t lines <<<"$OUT"
	assert_eq 0 "${lines[0]}" "id -u inside"
	assert_eq 0 "${lines[1]}" "id -g inside"
	assert_match "${lines[2]}" "^ *0 +$RL_UID +1\$" "uid_map inside"
	assert_match "${lines[3]}" "^ *0 +$RL_GID +1\$" "gid_map inside"
	assert_eq deny "${lines[4]}" "setgroups inside (own-id gid map)"
	assert_eq myrt-rootless "${lines[5]}" "hostname inside"
	assert_eq 6 "${#lines[@]}" "lines of output: $OUT"
	m_assert_no_leftovers "$(cid run1)"
}

test_rootless_wide_mappings() {
	rl_mk_bundle
	wide_maps
	all_caps
	rl_run_sh 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --
		rm -f /tmp/f /tmp/g; touch /tmp/f && chown 1000:1000 /tmp/f && stat -c "%u:%g" /tmp/f'
	local uidmap gidmap rest
	uidmap=$(awk '/^--$/ { exit } { $1 = $1; print }' <<<"$OUT")
	gidmap=$(awk '/^--$/ { n++; next } n == 1 { $1 = $1; print }' <<<"$OUT")
	rest=$(awk '/^--$/ { n++; next } n == 2' <<<"$OUT")
	assert_eq "0 $RL_UID 1
1 $RL_SUBUID 65536" "$uidmap" "uid_map inside"
	assert_eq "0 $RL_GID 1
1 $RL_SUBGID 65536" "$gidmap" "gid_map inside"
	assert_eq 1000:1000 "$rest" "owner of /tmp/f inside"
	local f=$BUNDLE/rootfs/tmp/f g=$BUNDLE/rootfs/tmp/g
	[[ -e $f ]] || fail "/tmp/f is not in the rootfs on the host"
	assert_eq "$((RL_SUBUID + 999)):$((RL_SUBGID + 999))" "$(stat -c %u:%g "$f")" "owner on the host of a file chowned to 1000:1000 inside"
	# A process running as 1001:1002 inside: its files belong to subuid+1000:subgid+1001.
	cfg '.process.user = {uid: 1001, gid: 1002}'
	rl_run_sh 'id -u; id -g; touch /tmp/g && stat -c "%u:%g" /tmp/g'
	assert_eq "1001
1002
1001:1002" "$OUT" "ids inside and owner of /tmp/g made as 1001:1002"
	[[ -e $g ]] || fail "/tmp/g is not in the rootfs on the host"
	assert_eq "$((RL_SUBUID + 1000)):$((RL_SUBGID + 1001))" "$(stat -c %u:%g "$g")" "owner on the host of a file made by 1001:1002 inside"
	m_assert_no_leftovers "$(cid run1)" "$(cid run2)"
}

test_rootless_mapping_outside_subuid_fails() {
	rl_mk_bundle
	# Ids below the user's range (and not its own): newuidmap must refuse them.
	local other=$((RL_SUBUID - 1000))
	((other > 0 && other != RL_UID)) || skip "no id outside the user's range to try"
	cfg '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $o, size: 10}]' \
		--argjson u "$RL_UID" --argjson o "$other"
	set_args true
	use_mode rootless
	local id
	id=$(cid badmap)
	m_run_ctr "$id"
	assert_nonzero "uidMappings outside /etc/subuid"
	if is_myrt; then
		assert_contains "$(tail -n 1 "$T/err")" "myrt: linux.uidMappings: newuidmap refused the mapping (check your ranges in /etc/subuid)" \
			"last line of stderr"
	fi
	m_assert_no_leftovers "$id"
	assert_eq "" "$(ls -A "$RL_STATE" 2>/dev/null)" "left in $RL_STATE"
}

test_rootless_created_files_belong_to_user() {
	rl_mk_bundle
	rl_ctl
	all_caps
	rl_run_sh 'touch /mnt/file && mkdir /mnt/dir && echo data > /mnt/dir/inner && stat -c "%u:%g" /mnt/file /mnt/dir/inner /mnt'
	assert_eq "0:0
0:0
0:0" "$OUT" "owners inside"
	local f
	for f in "$CTL/file" "$CTL/dir" "$CTL/dir/inner"; do
		[[ -e $f ]] || fail "$f was not created"
		assert_eq "$RL_UID:$RL_GID" "$(stat -c %u:%g "$f")" "host owner of $f made by root inside"
	done
	m_assert_no_leftovers "$(cid run1)"
}

test_rootless_ps_shows_only_container() {
	rl_mk_bundle
	rl_init
	# Processes of the same user and of root on the host that must not be seen inside.
	# (Not through rl_as_user: that tags it as the runtime's, and the leftover check would
	# count it.)
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups sleep 1001 </dev/null >/dev/null 2>&1 &
	local user_sleep=$!
	it_on_exit "kill $user_sleep 2>/dev/null"
	sleep 1002 </dev/null >/dev/null 2>&1 &
	local root_sleep=$!
	it_on_exit "kill $root_sleep 2>/dev/null"
	rl_run_sh 'echo "pid=$$"; ps -o pid,user,args'
	assert_eq "pid=1" "$(head -n 1 <<<"$OUT")" "\$\$ inside the container"
	local procs n p
	procs=$(tail -n +3 <<<"$OUT")
	assert_not_contains "$procs" "sleep 100" "ps inside sees a host process"
	n=$(grep -c . <<<"$procs")
	((n >= 1 && n <= 2)) || fail "ps inside shows $n processes, expected only the container's: $procs"
	while read -r p _; do
		((p < 10)) || fail "ps inside shows pid $p: $procs"
	done <<<"$procs"
	m_assert_no_leftovers "$(cid run1)"
}

test_rootless_host_root_files_unwritable() {
	rl_mk_bundle
	all_caps
	wide_maps
	local hf=$T/host-root-file hd=$T/host-root-dir
	echo original >"$hf"
	chmod 0644 "$hf"
	mkdir -p "$hd"
	chmod 0755 "$hd"
	touch -d '2001-01-01 00:00:00' "$hf"
	local before
	before=$(stat -c '%u:%g %a %s %Y' "$hf")
	cfg '.mounts += [{"destination": "/mnt/f", "type": "bind", "source": $f, "options": ["bind", "rw"]},
		{"destination": "/mnt/d", "type": "bind", "source": $d, "options": ["bind", "rw"]}]' \
		--arg f "$hf" --arg d "$hd"
	rl_run_sh 'stat -c "%u:%g" /mnt/f
		(echo changed > /mnt/f) 2>&1; echo "write rc $?"
		(echo more >> /mnt/f) 2>&1; echo "append rc $?"
		chmod 666 /mnt/f 2>&1; echo "chmod rc $?"
		chown 0:0 /mnt/f 2>&1; echo "chown rc $?"
		touch /mnt/d/new 2>&1; echo "create rc $?"
		cat /mnt/f'
	local lines
	mapfile -t lines <<<"$OUT"
	# Unmapped ids show as the overflow id.
	assert_eq 65534:65534 "${lines[0]}" "owner of the host's root file inside"
	assert_match "${lines[1]}" "(Permission denied|Read-only file system)" "write to the host's root file"
	assert_match "${lines[2]}" "^write rc [1-9]" "write to the host's root file"
	assert_match "${lines[3]}" "(Permission denied|Read-only file system)" "append to the host's root file"
	assert_match "${lines[4]}" "^append rc [1-9]" "append to the host's root file"
	assert_match "${lines[6]}" "^chmod rc [1-9]" "chmod of the host's root file: ${lines[5]}"
	assert_match "${lines[8]}" "^chown rc [1-9]" "chown of the host's root file: ${lines[7]}"
	assert_match "${lines[9]}" "(Permission denied|Read-only file system)" "create in the host's root dir"
	assert_match "${lines[10]}" "^create rc [1-9]" "create in the host's root dir"
	assert_eq original "${lines[11]}" "the host's file read inside"
	assert_eq original "$(<"$hf")" "the host file's content"
	assert_eq "$before" "$(stat -c '%u:%g %a %s %Y' "$hf")" "the host file's owner, mode, size, mtime"
	assert_eq "" "$(ls -A "$hd")" "files in the host's root dir"
	m_assert_no_leftovers "$(cid run1)"
}

test_rootless_state_and_lifecycle() {
	rl_mk_bundle
	# pid 1 ignores TERM without a handler: trap it.
	set_args sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	use_mode rootless
	local id pid
	id=$(cid life)
	create_ok "$id"
	if is_myrt; then
		[[ -f $RL_XDG/myrt/$id/state.json ]] || fail "no state under \$XDG_RUNTIME_DIR/myrt/$id: $(ls -la "$RL_XDG" "$RL_XDG/myrt" 2>&1)"
		assert_eq "$RL_UID" "$(stat -c %u "$RL_XDG/myrt/$id")" "owner of the state dir"
		[[ ! -e /run/myrt/$id ]] || fail "state of a rootless container in /run/myrt"
	fi
	assert_eq created "$(state_field "$id" status)" "status after create"
	pid=$(init_pid "$id") || exit 1
	assert_eq "$RL_UID" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "host uid of the container's init"
	assert_ne "$(ns_of $$ user)" "$(ns_of "$pid" user)" "user namespace of the container"
	mrt list >"$T/list.out" 2>&1 || fail "list as the user failed: $(<"$T/list.out")"
	grep -qE "^$id +$pid +created " "$T/list.out" || fail "list does not show $id created: $(<"$T/list.out")"
	mrt list --format json >"$T/list.json" 2>&1 || fail "list --format json failed: $(<"$T/list.json")"
	assert_eq created "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' "$T/list.json")" "list json status"
	start_ok "$id"
	assert_eq running "$(state_field "$id" status)" "status after start"
	# Signals reach the container through kill (as the user).
	mrt kill "$id" TERM >"$T/kill.out" 2>&1 || fail "kill as the user failed: $(<"$T/kill.out")"
	wait_for_status "$id" stopped 10
	wait_pid_gone "$pid"
	delete_ok "$id"
	[[ ! -e $RL_STATE/$id ]] || fail "state dir left after delete"
	mrt state "$id" >"$T/out" 2>"$T/err"
	RC=$?
	assert_nonzero "state after delete"
	# The same for a running container deleted with --force.
	set_args sleep 1000
	id=$(cid life2)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	delete_ok "$id" --force
	wait_pid_gone "$pid"
	m_assert_no_leftovers "$(cid life)" "$id"
	assert_eq "" "$(ls -A "$RL_STATE" 2>/dev/null)" "left in $RL_STATE"
}

test_rootless_exec() {
	rl_mk_bundle
	set_args sleep 1000
	use_mode rootless
	local id pid
	id=$(cid exec)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	# CVE-2019-5736 without the privilege to mount a read-only view: the created init runs
	# from a sealed memfd copy of myrt, not from the binary on the host.
	assert_match "$(readlink "/proc/$pid/exe")" '^/memfd:myrt' "exe of the created init"
	start_ok "$id"
	mrt exec "$id" sh -c 'id -u; cat /proc/self/uid_map; for n in pid user mnt; do readlink /proc/self/ns/$n; done; echo "pid=$$"' \
		>"$T/exec.out" 2>"$T/exec.err" </dev/null
	RC=$?
	[[ $RC == 0 ]] || fail "exec as the user exited $RC: $(<"$T/exec.err")"
	local lines
	mapfile -t lines <"$T/exec.out"
	assert_eq 0 "${lines[0]}" "id -u in exec"
	assert_match "${lines[1]}" "^ *0 +$RL_UID +1\$" "uid_map in exec"
	assert_eq "$(ns_of "$pid" pid)" "${lines[2]}" "pid namespace of exec vs init"
	assert_eq "$(ns_of "$pid" user)" "${lines[3]}" "user namespace of exec vs init"
	assert_eq "$(ns_of "$pid" mnt)" "${lines[4]}" "mount namespace of exec vs init"
	assert_match "${lines[5]}" '^pid=[2-9][0-9]*$' "pid of exec inside"
	delete_ok "$id" --force
	m_assert_no_leftovers "$id"
}

# The rootless exec forks once more inside the container's pid namespace: the agent must
# still get the listener with the pid of the process that really runs.
test_rootless_exec_seccomp_notify() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 sends the state at start, with ociVersion 0.2.0"
	rl_mk_bundle
	use_mode rootless
	AGENT_DIR=$RL_DIR AGENT_AS=rl_as_user
	build_agent
	start_agent success 2
	notify_profile ''
	set_args sleep 1000
	local id epid
	id=$(cid exnotify)
	create_ok "$id"
	start_ok "$id"
	mrt exec --pid-file "$RL_DIR/exec.pid" "$id" sh -c 'mkdir /tmp/byexec && echo mkdir-ok
		[ -d /tmp/byexec ] && echo exists || echo absent' >"$T/exec.out" 2>"$T/exec.err" </dev/null ||
		fail "exec as the user failed (rc $?): $(<"$T/exec.err")"
	assert_eq $'mkdir-ok\nabsent' "$(<"$T/exec.out")" "the exec'd mkdir answered by the agent"
	epid=$(<"$RL_DIR/exec.pid")
	assert_eq "$epid" "$(jq -r .pid "$RL_DIR/agent/state.2.json")" "pid sent with the exec's listener"
	assert_eq running "$(jq -r .state.status "$RL_DIR/agent/state.2.json")" "state.status"
	delete_ok "$id" --force
	agent_done
	m_assert_no_leftovers "$id"
}

test_rootless_memory_limit_warns() {
	# runc and crun refuse limits they cannot apply.
	is_myrt || skip "a warning instead of a failure for undelegated cgroups is myrt's"
	rl_mk_bundle
	cfg '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 100}'
	set_args sh -c 'echo ran'
	use_mode rootless
	local id
	id=$(cid mem)
	m_run_ctr "$id"
	assert_rc 0 "run with memory limits as a user without delegated cgroups"
	assert_eq ran "$OUT" "stdout"
	if is_myrt; then
		local n
		n=$(grep -c . <<<"$ERR")
		assert_eq 1 "$n" "lines on stderr: $ERR"
		assert_match "$ERR" "^myrt: warning: cgroups are not delegated to uid $RL_UID: linux\.resources are not applied \(.+\)\$" "stderr"
	fi
	m_assert_no_leftovers "$id"
	# Without limits: no warning at all.
	cfg 'del(.linux.resources)'
	id=$(cid nomem)
	m_run_ctr "$id"
	assert_rc 0 "run without limits"
	is_myrt && assert_eq "" "$ERR" "stderr without limits"
	m_assert_no_leftovers "$id"
}

test_rootless_without_user_namespace_fails() {
	rl_mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings) | del(.linux.gidMappings)'
	set_args true
	use_mode rootless
	local id
	id=$(cid nouserns)
	m_run_ctr "$id"
	m_expect_one_line_error "rootless run without a user namespace" "user namespace"
	is_myrt && assert_eq "myrt: linux.namespaces: running without root needs a user namespace (see myrt spec --rootless)" \
		"$ERR" "stderr"
	m_assert_no_leftovers "$id"
	assert_eq "" "$(ls -A "$RL_STATE" 2>/dev/null)" "left in $RL_STATE"
	# As root, --rootless true asks for the same.
	is_myrt || return 0
	mk_bundle
	set_args true
	id=$(cid forced)
	rt --rootless true run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	m_expect_one_line_error "root with --rootless true, no user namespace" "running without root needs a user namespace"
	assert_no_leftovers "$id"
}

# As rootless podman runs it: the runtime as uid 0 of a user namespace that the user made
# (unshare -r), the container in that namespace (none of its own). Root there cannot write
# /run: the state goes to XDG_RUNTIME_DIR (myrt's, runc's default there); the host's
# directories on the way, owned by ids that have no mapping there, do not stop it; the
# cgroups it may not make are skipped as for a rootless caller.
test_rootless_userns_root() {
	rl_mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	set_args sleep 1000
	local id state pid
	id=$(cid nsroot)
	it_on_exit "_userns_rt delete --force $id >/dev/null 2>&1"
	_userns_rt run -d --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null ||
		fail "run -d as root of the user's user namespace failed: $(<"$T/err")"
	state=$RL_XDG/$(basename "$RL_RUNTIME")/$id
	[[ -d $state ]] || fail "no state dir $state: $(find "$RL_XDG" -maxdepth 2 | tr '\n' ' ')"
	assert_eq "$RL_UID" "$(stat -c %u "$state")" "owner of the state dir"
	pid=$(_userns_rt state "$id" | jq -r .pid)
	assert_match "$pid" '^[1-9][0-9]*$' "state's pid"
	assert_eq "$RL_UID" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "host uid of the container's init"
	assert_ne "$(ns_of $$ user)" "$(ns_of "$pid" user)" "user namespace of the container"
	_userns_rt delete --force "$id" >"$T/out" 2>"$T/err" </dev/null || fail "delete --force failed: $(<"$T/err")"
	wait_pid_gone "$pid"
	[[ ! -e $state ]] || fail "state dir $state left after delete"
}

# _userns_rt ARGS...: the runtime as the user, as uid 0 of a new user namespace (unshare -r)
_userns_rt() { rl_as_user timeout -k 5 "$IT_RT_TIMEOUT" unshare -r "$RL_RUNTIME" "$@"; }

test_rootless_oom_score_adj() {
	rl_mk_bundle
	rl_init
	local own
	own=$(rl_as_user cat /proc/self/oom_score_adj)
	# Raising is allowed.
	cfg '.process.oomScoreAdj = 500'
	rl_run_sh 'cat /proc/self/oom_score_adj'
	assert_eq 500 "$OUT" "oom_score_adj inside after asking for 500"
	m_assert_no_leftovers "$(cid run1)"
	# Lowering below the caller's value is refused by the kernel: myrt ignores that (runc
	# fails).
	is_myrt || return 0
	cfg '.process.oomScoreAdj = -500'
	rl_run_sh 'cat /proc/self/oom_score_adj'
	assert_eq "$own" "$OUT" "oom_score_adj inside after asking for -500"
	m_assert_no_leftovers "$(cid run2)"
}

test_rootless_devices() {
	rl_mk_bundle
	cfg '.linux.devices = [{"path": "/dev/full", "type": "c", "major": 1, "minor": 7, "fileMode": 438, "uid": 0, "gid": 0}]'
	rl_run_sh 'echo x > /dev/null && echo null-ok
		head -c 5 /dev/zero | wc -c
		head -c 7 /dev/urandom | wc -c
		(echo x > /dev/full) 2>&1 | grep -o "No space left on device"
		stat -c "%t:%T" /dev/null /dev/zero /dev/full'
	assert_eq "null-ok
5
7
No space left on device
1:3
1:5
1:7" "$OUT" "devices inside a rootless container"
	m_assert_no_leftovers "$(cid run1)"
}
