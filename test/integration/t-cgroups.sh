# shellcheck shell=bash
# cgroups: resources applied (seen from the host and from inside), the devices cgroup
# enforced. Works on v1 (and hybrid) hosts; on a pure v2 host the v1 checks are skipped.

# cg_file PID CONTROLLER FILE: path of FILE in PID's cgroup of CONTROLLER (v1)
cg_file() {
	local rel
	rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	[[ -n $rel ]] || return 1
	echo "/sys/fs/cgroup/$2$rel/$3"
}

v1_or_skip() { [[ -d /sys/fs/cgroup/pids && -d /sys/fs/cgroup/cpu ]] || skip "needs cgroup v1 pids and cpu hierarchies"; }

test_cgroup_resources_applied() {
	v1_or_skip
	mk_bundle
	add_ctl
	cfg '.linux.resources.pids = {"limit": 123}
		| .linux.resources.cpu = {"shares": 512}
		| .linux.resources.memory = {"limit": 268435456}'
	set_args sh -c 'cat /sys/fs/cgroup/pids/pids.max > /mnt/inside; echo ready > /mnt/ready; exec sleep 1000'
	local id pid f
	id=$(cid res)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ready" ready
	pid=$(init_pid "$id") || exit 1
	f=$(cg_file "$pid" pids pids.max) || fail "no pids cgroup for $pid"
	assert_eq 123 "$(cat "$f")" "pids.max (host view, $f)"
	f=$(cg_file "$pid" cpu cpu.shares) || fail "no cpu cgroup for $pid"
	assert_eq 512 "$(cat "$f")" "cpu.shares (host view, $f)"
	f=$(cg_file "$pid" memory memory.limit_in_bytes) || fail "no memory cgroup for $pid"
	assert_eq 268435456 "$(cat "$f")" "memory.limit_in_bytes (host view, $f)"
	assert_eq 123 "$(cat "$CTL/inside")" "pids.max seen inside (cgroup namespace)"
}

test_cgroup_pids_limit_enforced() {
	v1_or_skip
	mk_bundle
	cfg '.linux.resources.pids = {"limit": 5}'
	# Builtins only after the fork storm: no fork is possible once the limit is reached.
	run_sh 'sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo all-forked" >/dev/shm/out 2>&1
		echo "rc=$?"; read cur < /sys/fs/cgroup/pids/pids.current; echo "cur=$cur"; read o < /dev/shm/out; echo "out=$o"'
	assert_not_contains "$OUT" all-forked "8 forks with pids.max=5"
	local cur
	cur=$(grep '^cur=' <<<"$OUT")
	cur=${cur#cur=}
	[[ -n $cur ]] && ((cur <= 5)) || fail "pids.current '$cur' with pids.max=5"
}

test_devices_cgroup_enforced() {
	[[ -d /sys/fs/cgroup/devices ]] || skip "no cgroup v1 devices hierarchy (v2 uses BPF)"
	[[ -b /dev/loop0 ]] || skip "no /dev/loop0 on the host"
	mk_bundle
	# CAP_MKNOD to make a node for a device the cgroup does not allow (loop0, b 7:0).
	cfg '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	run_sh 'mknod /dev/l0 b 7 0 && head -c 1 /dev/l0 2>&1 >/dev/null | head -n 1; echo done'
	assert_contains "$OUT" "Operation not permitted" "opening a device the devices cgroup denies"
	# Allowed explicitly: the open gets past the cgroup.
	cfg '.linux.resources.devices += [{"allow": true, "type": "b", "major": 7, "minor": 0, "access": "rwm"}]'
	run_sh 'mknod /dev/l0 b 7 0 && head -c 1 /dev/l0 2>&1 >/dev/null | head -n 1; echo done'
	assert_not_contains "$OUT" "Operation not permitted" "opening a device the devices cgroup allows"
}
