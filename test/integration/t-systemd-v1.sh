# shellcheck shell=bash
# The systemd cgroup driver on a cgroup v1 host: the checks run in a VM booted with systemd
# as PID 1 in systemd's hybrid layout (VM_INIT=systemd VM_CGROUP=hybrid test/vm/run: v1
# controllers under /sys/fs/cgroup, systemd's cgroup2 at /sys/fs/cgroup/unified), as on
# Ubuntu 20.04, Debian 10 or RHEL 8 hosts. There the scope's limits are the v1 unit
# properties (MemoryLimit, CPUShares, BlockIOWeight...) and the files of each v1 hierarchy.
# Each check runs with myrt and with runc, in the same boot.
#
# The helpers (sd_rt, sd_need_driver, sd_use_runc, sd_stop_units_at_exit) are
# t-systemd.sh's; its VM group is not run from here.

# shellcheck disable=SC2016 # single-quoted jq programs
# shellcheck source=t-systemd.sh
source "${IT_DIR:?}/t-systemd.sh" --helpers-only

VMG_GROUP=systemd-v1
VMG_WHAT="the systemd v1 VM"
VMG_SELF=$IT_DIR/t-systemd-v1.sh
VMG_CHECK_FILE=$IT_DIR/t-systemd-v1.sh
VMG_PREFIX=sdv1_check_
VMG_CHECKS=(hybrid_layout runc_scope scope)
VMG_VM_ENV=(VM_INIT=systemd VM_CGROUP=hybrid VM_KERNEL_ARGS=apparmor=0)
VMG_PASSENV=
VMG_TIMEOUT=${SD_VM_TIMEOUT:-600}
vmg_before_boot() { :; }
vmg_after_boot() { :; }

test_systemd_v1_hybrid_layout() { vmg_result hybrid_layout; }
test_systemd_v1_runc_scope() { vmg_result runc_scope; }
test_systemd_v1_scope() { vmg_result scope; }

sdv1_check_hybrid_layout() {
	sd_in_vm
	assert_eq cgroup "$(stat -f -c %T /sys/fs/cgroup/memory 2>/dev/null | sed 's/cgroupfs/cgroup/')" \
		"the memory hierarchy's filesystem"
	assert_eq cgroup2fs "$(stat -f -c %T /sys/fs/cgroup/unified)" "systemd's unified hierarchy"
	[[ -e /sys/fs/cgroup/memory/system.slice ]] || fail "systemd's system.slice is not in the memory hierarchy"
}

sdv1_check_runc_scope() {
	sd_use_runc
	_sdv1_scope
}

sdv1_check_scope() {
	sd_need_driver
	_sdv1_scope
}

# v1_dir CONTROLLER: the scope's directory in CONTROLLER's hierarchy (from /proc/PID/cgroup)
v1_dir() {
	local line
	line=$(grep -E "^[0-9]+:([^:]*,)?$1(,[^:]*)?:" "/proc/$PID/cgroup") || fail "init has no $1 cgroup"
	echo "/sys/fs/cgroup/$(awk -F: '{ print $2 }' <<<"$line")${line##*:}"
}

# A scope with memory, pids and CPU limits: the v1 files and the v1 unit properties hold
# them, exec joins the scope, update changes a limit that a daemon-reload keeps, and
# delete removes the unit and its cgroups.
_sdv1_scope() {
	sd_in_vm
	local id unit mem
	id=$(cid v1)
	unit=myrt-it-$id.scope
	MRT=sd_rt
	sd_stop_units_at_exit "$unit"
	mk_bundle
	set_args sleep 600
	cfg '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 64} | .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000}' \
		--arg p "system.slice:myrt-it:$id"
	sd_rt run -d --bundle "$BUNDLE" "$id" >"$T/run.out" 2>"$T/run.err" </dev/null ||
		fail "$RUNTIME_KIND --systemd-cgroup run -d failed: $(tail -c 800 "$T/run.err")"
	wait_for_status "$id" running
	PID=$(init_pid "$id")
	assert_eq active "$(systemctl is-active "$unit")" "$unit"
	mem=$(v1_dir memory)
	assert_eq "/sys/fs/cgroup/memory/system.slice/$unit" "$mem" "init's memory cgroup"
	assert_eq 67108864 "$(<"$mem/memory.limit_in_bytes")" "memory.limit_in_bytes"
	assert_eq 64 "$(<"$(v1_dir pids)/pids.max")" "pids.max"
	assert_eq 20000 "$(<"$(v1_dir cpu)/cpu.cfs_quota_us")" "cpu.cfs_quota_us"
	assert_eq 512 "$(<"$(v1_dir cpu)/cpu.shares")" "cpu.shares"
	assert_eq "CPUShares=512 MemoryLimit=67108864 TasksMax=64 " \
		"$(systemctl show -p MemoryLimit -p TasksMax -p CPUShares "$unit" | tr '\n' ' ')" "the unit's v1 properties"
	# init is in the scope in every v1 hierarchy, not only in systemd's controllers, and
	# so is an exec'd process: inside the cgroup namespace made there, each reads "/".
	local line
	while read -r line; do
		# runc 1.1.5 does not know the misc controller (Linux 5.13): it leaves init at its root.
		[[ $RUNTIME_KIND == runc && $line == *:misc:* ]] && continue
		[[ $line == *":/system.slice/$unit" ]] || fail "init is not in the scope in every hierarchy: $line"
	done < <(grep -v '^0::' "/proc/$PID/cgroup")
	line=$(sd_rt exec "$id" cat /proc/self/cgroup 2>&1) || fail "exec: $line"
	assert_eq "" "$(grep -v ':/$' <<<"$line")" "exec's cgroups outside the container's (cgroup namespace) root"
	local f
	f=$(v1_dir freezer)
	sd_rt pause "$id" || fail "pause failed"
	assert_eq FROZEN "$(<"$f/freezer.state")" "the scope's freezer after pause"
	grep -qx "$PID" "$f/cgroup.procs" || fail "init is not in the frozen cgroup"
	sd_rt resume "$id" || fail "resume failed"
	sd_rt update --memory 128m "$id" >"$T/upd.out" 2>&1 || fail "update: $(cat "$T/upd.out")"
	assert_eq 134217728 "$(<"$mem/memory.limit_in_bytes")" "memory.limit_in_bytes after update"
	systemctl daemon-reload || fail "daemon-reload failed"
	assert_eq 134217728 "$(<"$mem/memory.limit_in_bytes")" "memory.limit_in_bytes after update and daemon-reload"
	delete_ok "$id" --force
	wait_for 10 sh -c "! systemctl -q is-active '$unit'" || fail "$unit still active after delete"
	[[ ! -e $mem ]] || fail "the scope's memory cgroup is left after delete: $mem"
}

vmg_main "$@"
