# shellcheck shell=bash
# Under a real systemd: the checks run in a VM booted with systemd as PID 1
# (VM_INIT=systemd test/vm/run: the host's own systemd and dbus, cgroup v2 unified, engines
# and timers masked), where the engines ask for `--systemd-cgroup` and a cgroupsPath
# "slice:prefix:name".
#
# The VM boots once per run of the suite and runs every check (lib/vmgroup.sh): boot
# ~15 s, then the checks one after the other; each test re-emits its check's result. When
# the VM cannot boot here, the tests are skipped with the reason.
#
# Adding a check: write sd_check_NAME (a test body: it runs in the VM in its own bash with
# lib/common.sh, its own $T and cleanup; RUNTIME and RUNTIME_KIND are the runtime under
# test), add NAME to VMG_CHECKS and `test_systemd_NAME() { vmg_result NAME; }`. Checks of
# the runtime's systemd cgroup driver start with sd_need_driver (skipped until `$RUNTIME
# features` says linux.cgroup.systemd) and use sd_rt (the runtime with --systemd-cgroup;
# MRT=sd_rt makes common.sh's create_ok, state_field, delete_ok... use it). Checks as an
# ordinary user with a user session and bus: sd_user_session, sd_as_user.
#
# Container engines (podman as root and rootless, containerd, Docker) on the driver:
# lib/sd-engines.sh.
#
# The VM boots with AppArmor (apparmor=1 security=apparmor, as Debian's kernel by default;
# our CI host has none): podman and dockerd load their default profiles and give them to
# every container (the podman and docker checks assert that the runtime applied them).

# shellcheck disable=SC2016 # single-quoted scripts and jq programs expand elsewhere
# shellcheck source=lib/vmgroup.sh
source "${IT_DIR:?}/lib/vmgroup.sh"
# shellcheck source=lib/sd-engines.sh
source "$IT_DIR/lib/sd-engines.sh"

VMG_GROUP=systemd
VMG_WHAT="the systemd VM"
VMG_SELF=$IT_DIR/t-systemd.sh
VMG_CHECK_FILE=$IT_DIR/t-systemd.sh
VMG_PREFIX=sd_check_
VMG_CHECKS=(pid1 system_running system_bus cgroup2 user_session runc_scope scope_lifecycle
	update_survives_reload limits_hold exec_pause_ps failed_create_no_unit nested_slice rootless_user_scope
	engines_masked podman podman_tty podman_sdnotify podman_rootless containerd docker host_check)
VMG_VM_ENV=(VM_INIT=systemd "VM_KERNEL_ARGS=apparmor=1 security=apparmor")
VMG_PASSENV=SD_NOTIFY_BIN
VMG_TIMEOUT=${SD_VM_TIMEOUT:-1500}

test_systemd_pid1() { vmg_result pid1; }
test_systemd_system_running() { vmg_result system_running; }
test_systemd_system_bus() { vmg_result system_bus; }
test_systemd_cgroup2() { vmg_result cgroup2; }
test_systemd_user_session() { vmg_result user_session; }
test_systemd_runc_scope() { vmg_result runc_scope; }
test_systemd_scope_lifecycle() { vmg_result scope_lifecycle; }
test_systemd_update_survives_reload() { vmg_result update_survives_reload; }
test_systemd_limits_hold() { vmg_result limits_hold; }
test_systemd_exec_pause_ps() { vmg_result exec_pause_ps; }
test_systemd_failed_create_no_unit() { vmg_result failed_create_no_unit; }
test_systemd_nested_slice() { vmg_result nested_slice; }
test_systemd_rootless_user_scope() { vmg_result rootless_user_scope; }
test_systemd_engines_masked() { vmg_result engines_masked; }
test_systemd_podman() { vmg_result podman; }
test_systemd_podman_tty() { vmg_result podman_tty; }
test_systemd_podman_sdnotify() { vmg_result podman_sdnotify; }
test_systemd_podman_rootless() { vmg_result podman_rootless; }
test_systemd_containerd() { vmg_result containerd; }
test_systemd_docker() { vmg_result docker; }
test_systemd_host_check() { vmg_result host_check; }

# Built here (gcc is ~10x slower under the VM's emulation): the static sd_notify sender
# that podman_sdnotify's container runs. The engines the checks call are installed here too.
vmg_before_boot() {
	vmg_install_on_host podman uidmap containerd docker.io
	export SD_NOTIFY_BIN=$1.sd-notify
	gcc -static -O2 -o "$SD_NOTIFY_BIN" "$IT_DIR/lib/sd-notify.c" 2>/dev/null || SD_NOTIFY_BIN=
}
vmg_after_boot() { rm -f "$1.sd-notify"; }

vmg_vm_setup() {
	echo "# vm: kernel $(uname -r), PID 1 $(</proc/1/comm), $(systemctl --version | head -n 1)," \
		"checks start at $(cut -d' ' -f1 /proc/uptime) s of uptime"
}

# ---------------------------------------------------------------------------------------
# Helpers (in the VM)

# sd_in_vm: fails unless this is the systemd VM (users and units are made only there)
sd_in_vm() {
	[[ $(</proc/1/comm) == systemd && -e /run/myrt-vm/cmd ]] || fail "not in the systemd VM"
}

# sd_rt ARGS...: the runtime under test with --systemd-cgroup (as engines call it)
sd_rt() { rt --systemd-cgroup "$@"; }

# sd_need_driver: skips unless `$RUNTIME features` reports the systemd cgroup driver
sd_need_driver() {
	local f
	f=$("$RUNTIME" features 2>/dev/null | jq -r '.linux.cgroup.systemd' 2>/dev/null)
	[[ $f == true ]] ||
		skip "$RUNTIME_KIND: features says linux.cgroup.systemd is ${f:-?} (no systemd cgroup driver)"
}

# sd_use_runc: this check runs runc (the reference) instead of the runtime under test
sd_use_runc() {
	RUNTIME=$(command -v runc) || skip "runc is not installed"
	RUNTIME_KIND=runc
}

# sd_stop_units_at_exit UNIT...: at the end of the check, after the runtime's own cleanup
# had its chance, stop what is left of UNITs (a runtime that leaves its scope behind
# fails the check, and the next check must not inherit it).
sd_stop_units_at_exit() {
	SD_UNITS+=("$@")
	trap _sd_exit EXIT
}
_sd_exit() {
	local rc=$? u id
	trap - EXIT
	set +e
	while read -r id; do
		[[ -n $id && -e $ROOT/$id ]] || continue
		MYRT_IT_RT=$TAG timeout -k 2 10 "$RUNTIME" --root "$ROOT" --systemd-cgroup delete --force "$id" \
			>/dev/null 2>&1
	done < <(sort -u "$T/.ids" 2>/dev/null)
	for u in "${SD_UNITS[@]}"; do
		if [[ $(systemctl show -p LoadState --value "$u" 2>/dev/null) == loaded ]]; then
			echo "cleanup: stopping leftover unit $u" >&2
			systemctl stop "$u" 2>/dev/null
			systemctl reset-failed "$u" 2>/dev/null
		fi
	done
	(exit "$rc")
	it_cleanup
}

# sd_user_session USER: USER (made in the VM's overlay if missing, with a home) gets a
# lingering user manager (systemd --user) and its bus, /run/user/UID/bus; sets SD_UID.
# The manager stays for later checks (the VM is thrown away).
sd_user_session() {
	local user=$1
	sd_in_vm
	if ! getent passwd "$user" >/dev/null; then
		useradd -m -s /bin/bash -c "myrt systemd VM tests" "$user" >"$T/useradd.log" 2>&1 ||
			fail "useradd $user: $(<"$T/useradd.log")"
	fi
	SD_UID=$(id -u "$user")
	loginctl enable-linger "$user" || fail "loginctl enable-linger $user failed"
	wait_for 60 _sd_user_up "$SD_UID" ||
		fail "user@$SD_UID.service: $(systemctl is-active "user@$SD_UID.service") after 60 s," \
			"bus socket: $(ls -l "/run/user/$SD_UID/bus" 2>&1)"
}

_sd_user_up() { [[ -S /run/user/$1/bus ]] && systemctl -q is-active "user@$1.service"; }

# sd_as_user USER CMD...: CMD as USER, as a transient service of USER's own manager (in
# user@UID.service's cgroup, with XDG_RUNTIME_DIR and DBUS_SESSION_BUS_ADDRESS set, like
# a login); stdio is ours, its exit status is CMD's. Needs sd_user_session USER first.
sd_as_user() {
	local user=$1
	shift
	systemd-run --user -M "$user@" --wait --pipe --quiet --collect -- "$@"
}

# ---------------------------------------------------------------------------------------
# Checks: the environment

sd_check_pid1() {
	sd_in_vm
	assert_eq systemd "$(</proc/1/comm)" "PID 1"
	assert_match "$(readlink /proc/1/exe)" '^(/usr)?/lib/systemd/systemd$' "PID 1's executable"
	echo "init: $(readlink /proc/1/exe), $(systemctl --version | head -n 1)"
}

sd_check_system_running() {
	local state failed
	state=$(systemctl is-system-running)
	case $state in
		running) echo "state: running" ;;
		degraded)
			failed=$(systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' ')
			echo "state: degraded; failed units: $failed"
			;;
		*) fail "systemctl is-system-running: '$state'; jobs: $(systemctl list-jobs --no-legend | head -n 5)" ;;
	esac
}

sd_check_system_bus() {
	local version out
	assert_eq active "$(systemctl is-active dbus.service)" "dbus.service"
	# The manager answers on the system bus (not only over its private socket).
	version=$(busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.DBus.Properties Get ss org.freedesktop.systemd1.Manager Version 2>&1) ||
		fail "busctl call org.freedesktop.systemd1 ... Version: $version"
	assert_match "$version" '^v s "[0-9]' "systemd's Version over the bus"
	out=$(busctl --system status org.freedesktop.login1 2>&1) || fail "busctl status org.freedesktop.login1: $out"
	echo "bus: org.freedesktop.systemd1 Version $version; org.freedesktop.login1 answers"
}

sd_check_cgroup2() {
	local c
	assert_eq cgroup2fs "$(stat -fc %T /sys/fs/cgroup)" "/sys/fs/cgroup"
	assert_eq 0 "$(grep -c ' cgroup ' /proc/mounts)" "cgroup v1 hierarchies mounted"
	assert_eq "0::/system.slice/myrt-vm-cmd.service" "$(</proc/self/cgroup)" "the command's cgroup"
	# Available; systemd enables them in subtree_control as units ask for them.
	for c in cpu memory pids io cpuset; do
		assert_match " $(</sys/fs/cgroup/cgroup.controllers) " " $c " "root cgroup.controllers"
	done
	echo "mount: $(grep ' /sys/fs/cgroup ' /proc/mounts)"
}

# An ordinary user with a user manager and bus, as rootless podman needs.
sd_check_user_session() {
	local user=myrt-sd-user out ctl
	sd_user_session "$user"
	out=$(sd_as_user "$user" systemctl --user is-system-running 2>&1)
	[[ $out == running || $out == degraded ]] || fail "systemctl --user is-system-running: $out"
	out=$(sd_as_user "$user" sh -c \
		'echo "$(id -u) $XDG_RUNTIME_DIR $DBUS_SESSION_BUS_ADDRESS $(cat /proc/self/cgroup)"' 2>&1)
	assert_match "$out" "^$SD_UID /run/user/$SD_UID unix:path=/run/user/$SD_UID/bus 0::/user.slice/user-$SD_UID.slice/user@$SD_UID.service/" \
		"uid, XDG_RUNTIME_DIR, bus, cgroup in the user's manager"
	# The same through the bus from root: systemctl --user -M USER@.
	out=$(systemctl --user -M "$user@" show -p Version --value 2>&1) || fail "systemctl --user -M $user@: $out"
	sd_as_user "$user" sh -c 'exit 3'
	assert_eq 3 $? "sd_as_user's exit status"
	ctl=$(</sys/fs/cgroup/user.slice/user-"$SD_UID".slice/user@"$SD_UID".service/cgroup.controllers)
	assert_contains " $ctl " " memory " "controllers delegated to user@$SD_UID.service"
	assert_contains " $ctl " " pids " "controllers delegated to user@$SD_UID.service"
	echo "user: $user uid $SD_UID, manager $out, delegated controllers: $ctl"
}

# ---------------------------------------------------------------------------------------
# Checks: a container in a systemd scope

# _sd_scope_lifecycle: $RUNTIME --systemd-cgroup run -d of a container with cgroupsPath
# system.slice:myrt-it:ID and memory and pids limits: while it runs, myrt-it-ID.scope
# holds it with the limits, as unit properties and in its cgroup; delete --force removes
# the unit and its cgroup.
_sd_scope_lifecycle() {
	local id unit cg pid out
	sd_in_vm
	# shellcheck disable=SC2034 # read by common.sh's helpers
	MRT=sd_rt
	id=$(cid scope)
	unit=myrt-it-$id.scope
	sd_stop_units_at_exit "$unit"
	mk_bundle
	set_args sleep 600
	cfg '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864}
		| .linux.resources.pids = {"limit": 64}' --arg p "system.slice:myrt-it:$id"
	sd_rt run -d --bundle "$BUNDLE" "$id" >"$T/run.out" 2>"$T/run.err" </dev/null ||
		fail "$RUNTIME_KIND --systemd-cgroup run -d failed: $(tail -c 800 "$T/run.err")"
	wait_for_status "$id" running
	pid=$(init_pid "$id")

	out=$(systemctl status --no-pager "$unit" 2>&1) || fail "systemctl status $unit: $out"
	assert_match "$out" "[^0-9]${pid}[^0-9]" "systemctl status $unit shows the init pid"
	cg=$(systemctl show -p ControlGroup --value "$unit")
	assert_eq "/system.slice/$unit" "$cg" "$unit's cgroup"
	assert_eq "0::$cg" "$(<"/proc/$pid/cgroup")" "the init's cgroup"
	assert_eq 67108864 "$(<"/sys/fs/cgroup$cg/memory.max")" "memory.max of $cg"
	assert_eq 64 "$(<"/sys/fs/cgroup$cg/pids.max")" "pids.max of $cg"
	echo "scope: $unit: $(systemctl show -p MemoryMax -p TasksMax -p Delegate "$unit" | tr '\n' ' ')"

	delete_ok "$id" --force
	out=$(systemctl show -p LoadState -p ActiveState "$unit" | tr '\n' ' ')
	assert_eq "LoadState=not-found ActiveState=inactive " "$out" "$unit after delete"
	[[ ! -e /sys/fs/cgroup$cg ]] || fail "$cg is still there after delete"
	wait_for 5 pid_gone "$pid" || fail "the init $pid is still alive after delete"
}

sd_check_runc_scope() {
	sd_use_runc
	_sd_scope_lifecycle
}

sd_check_scope_lifecycle() {
	sd_need_driver
	_sd_scope_lifecycle
}

# sd_scope_ctr ID [JQ]: a detached container from $BUNDLE (made, running sleep 600, when
# unset) in system.slice:myrt-it:ID with JQ applied to its config; sets UNIT, CG (its cgroup, under /sys/fs/cgroup) and PID.
sd_scope_ctr() {
	local id=$1
	sd_in_vm
	# shellcheck disable=SC2034 # read by common.sh's helpers
	MRT=sd_rt
	UNIT=myrt-it-$id.scope
	sd_stop_units_at_exit "$UNIT"
	if [[ -z ${BUNDLE:-} ]]; then
		mk_bundle
		set_args sleep 600
	fi
	cfg ".linux.cgroupsPath = \$p ${2:+| $2}" --arg p "system.slice:myrt-it:$id"
	sd_rt run -d --bundle "$BUNDLE" "$id" >"$T/run.out" 2>"$T/run.err" </dev/null ||
		fail "$RUNTIME_KIND --systemd-cgroup run -d failed: $(tail -c 800 "$T/run.err")"
	wait_for_status "$id" running
	PID=$(init_pid "$id")
	CG=/sys/fs/cgroup$(systemctl show -p ControlGroup --value "$UNIT")
}

# update changes the limit in the cgroup and as the unit's property: a daemon-reload, which
# makes systemd rewrite its units' cgroup attributes, keeps it.
sd_check_update_survives_reload() {
	sd_need_driver
	local id
	id=$(cid upd)
	sd_scope_ctr "$id" '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 64}'
	sd_rt update --memory 128m --pids-limit 100 "$id" >"$T/upd.out" 2>&1 || fail "update: $(cat "$T/upd.out")"
	assert_eq 134217728 "$(<"$CG/memory.max")" "memory.max after update"
	systemctl daemon-reload || fail "daemon-reload failed"
	assert_eq 134217728 "$(<"$CG/memory.max")" "memory.max after update and daemon-reload"
	assert_eq 100 "$(<"$CG/pids.max")" "pids.max after update and daemon-reload"
	assert_eq "MemoryMax=134217728 TasksMax=100 " "$(systemctl show -p MemoryMax -p TasksMax "$UNIT" | tr '\n' ' ')" \
		"$UNIT's properties"
	delete_ok "$id" --force
}

# The limits hold: a fork bomb stops at pids.max, a memory hog is OOM-killed at the limit,
# a busy loop gets its CPU quota (cpu.stat's throttling).
sd_check_limits_hold() {
	sd_need_driver
	local id out
	id=$(cid lim)
	sd_scope_ctr "$id" '.linux.resources.pids = {"limit": 10} | .linux.resources.cpu = {"quota": 20000, "period": 100000}'
	# 40 background sleeps from an exec'd shell: the forks past the limit fail.
	sd_rt exec "$id" sh -c 'i=0; while [ $i -lt 40 ]; do sleep 100 & i=$((i+1)); done' >/dev/null 2>&1
	assert_eq 10 "$(<"$CG/pids.max")" "pids.max"
	[[ $(<"$CG/pids.current") -le 10 ]] || fail "pids.current $(<"$CG/pids.current") above the limit"
	grep -q '^max [1-9]' "$CG/pids.events" || fail "no fork was refused: $(<"$CG/pids.events")"
	assert_eq "20000 100000" "$(<"$CG/cpu.max")" "cpu.max"
	assert_eq "CPUQuotaPerSecUSec=200ms" "$(systemctl show -p CPUQuotaPerSecUSec "$UNIT")" "the unit's CPU quota"
	delete_ok "$id" --force
	id=$(cid oom)
	BUNDLE=
	mk_bundle
	# sort holds its whole input (one 100 MB line); its status is the shell's.
	set_args sh -c 'head -c 100000000 /dev/zero | sort >/dev/null'
	cfg '.linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
		--arg p "system.slice:myrt-it:$id"
	sd_stop_units_at_exit "myrt-it-$id.scope"
	RUN_WITH=sd_rt run_ctr "$id"
	assert_eq 137 "$RC" "exit status of a memory hog at a 32 MiB limit (stderr: $ERR)"
	grep -q '^oom_kill [1-9]' "/sys/fs/cgroup/system.slice/myrt-it-$id.scope/memory.events" 2>/dev/null ||
		[[ ! -e /sys/fs/cgroup/system.slice/myrt-it-$id.scope ]] || fail "no OOM kill counted"
}

# exec joins the scope's cgroup, ps lists it, pause and resume freeze and thaw the scope.
sd_check_exec_pause_ps() {
	sd_need_driver
	local id out p
	id=$(cid ex)
	sd_scope_ctr "$id"
	sd_rt exec -d --pid-file "$T/ex.pid" "$id" sleep 601 >/dev/null 2>&1 || fail "exec -d failed"
	p=$(<"$T/ex.pid")
	assert_eq "0::/system.slice/$UNIT" "$(<"/proc/$p/cgroup")" "an exec'd process's cgroup, seen from the host"
	out=$(sd_rt ps -f json "$id")
	assert_eq 2 "$(jq length <<<"$out")" "ps -f json: init and the exec'd sleep ($out)"
	sd_rt pause "$id" || fail "pause failed"
	assert_eq paused "$(state_field "$id" status)" "status after pause"
	assert_eq 1 "$(<"$CG/cgroup.freeze")" "cgroup.freeze after pause"
	sd_rt resume "$id" || fail "resume failed"
	assert_eq running "$(state_field "$id" status)" "status after resume"
	delete_ok "$id" --force
	[[ ! -e $CG ]] || fail "$CG left after delete"
}

# A create that fails after the scope started (a createRuntime hook failing) leaves no unit;
# a unit of the same name that is someone else's is refused and left alone.
sd_check_failed_create_no_unit() {
	sd_need_driver
	local id unit
	id=$(cid fail)
	unit=myrt-it-$id.scope
	sd_stop_units_at_exit "$unit"
	mk_bundle
	set_args sleep 600
	cfg '.linux.cgroupsPath = $p | .hooks.createRuntime = [{"path": "/bin/false"}]' --arg p "system.slice:myrt-it:$id"
	sd_rt create --bundle "$BUNDLE" "$id" >"$T/c.out" 2>"$T/c.err" </dev/null && fail "create with a failing hook succeeded"
	assert_eq "not-found" "$(systemctl show -p LoadState --value "$unit")" "$unit after the failed create"
	[[ ! -e $ROOT/$id ]] || fail "state left after the failed create"
	# Someone else's scope of that name: refused (runc 1.1.5 puts the container into it,
	# and its delete then stops what was not the container's).
	[[ $RUNTIME_KIND == runc ]] && return 0
	systemd-run --scope --unit "$unit" sleep 600 >/dev/null 2>&1 &
	local other=$!
	IT_PIDS+=("$other")
	wait_for 10 systemctl -q is-active "$unit" || fail "could not start the other $unit"
	cfg 'del(.hooks)'
	sd_rt create --bundle "$BUNDLE" "$id" >"$T/c.out" 2>"$T/c.err" </dev/null && fail "create over an existing unit succeeded"
	assert_contains "$(cat "$T/c.err")" "already exists" "the error"
	assert_eq active "$(systemctl is-active "$unit")" "the other $unit after the refused create"
	pid_alive "$other" || fail "the other scope's process was killed"
}

# A pod's slice that does not exist yet (kubelet's nesting) is made with its parents.
sd_check_nested_slice() {
	sd_need_driver
	local id slice
	id=$(cid pod)
	slice=myrtit-burstable-pod$TAG.slice
	sd_stop_units_at_exit "myrt-it-$id.scope" "$slice" myrtit-burstable.slice myrtit.slice
	mk_bundle
	set_args sleep 600
	cfg '.linux.cgroupsPath = $p' --arg p "$slice:myrt-it:$id"
	# shellcheck disable=SC2034
	MRT=sd_rt
	sd_rt run -d --bundle "$BUNDLE" "$id" >"$T/run.out" 2>"$T/run.err" </dev/null ||
		fail "run -d in $slice failed: $(tail -c 800 "$T/run.err")"
	assert_eq "/myrtit.slice/myrtit-burstable.slice/$slice/myrt-it-$id.scope" \
		"$(systemctl show -p ControlGroup --value "myrt-it-$id.scope")" "the scope's cgroup"
	delete_ok "$id" --force
}

# Rootless, as rootless podman runs it: an ordinary user with a user session asks its own
# systemd (the user bus) for the scope; the memory limit holds in the delegated cgroup.
sd_check_rootless_user_scope() {
	sd_need_driver
	local user=myrt-sd-user id out cg
	sd_user_session "$user"
	id=$(cid rl)
	# The runtime (and its companions) where the user can run them.
	mkdir -p "$T/rt" "$T/b"
	cp "$RUNTIME" "$T/rt/"
	[[ -x $(dirname "$RUNTIME")/myrt-systemd ]] && cp "$(dirname "$RUNTIME")/myrt-systemd" "$T/rt/"
	chown -R "$user" "$T/b"
	local rt=$T/rt/$(basename "$RUNTIME")
	# (runc's spec takes no --rootfs, --args, --no-tty: set with jq)
	sd_as_user "$user" sh -c "cd '$T/b' && '$rt' spec --rootless" || fail "spec --rootless as $user failed"
	jq --arg p "user.slice:myrt-it:$id" --arg r "$EXAMPLE_ROOTFS" '.root.path = $r
		| .process.args = ["sleep", "60"] | .process.terminal = false
		| .linux.cgroupsPath = $p | .linux.resources.memory = {"limit": 67108864}' \
		"$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json" && chown "$user" "$T/b/config.json"
	out=$(sd_as_user "$user" sh -c "cd '$T/b' && '$rt' --systemd-cgroup run -d '$id' </dev/null >/dev/null 2>&1 &&
		cat /sys/fs/cgroup\$(systemctl --user show -p ControlGroup --value 'myrt-it-$id.scope')/memory.max &&
		systemctl --user show -p ControlGroup --value 'myrt-it-$id.scope' &&
		'$rt' --systemd-cgroup delete --force '$id' &&
		systemctl --user show -p LoadState --value 'myrt-it-$id.scope'" 2>&1) ||
		fail "rootless --systemd-cgroup run as $user: $out"
	cg="/user.slice/user-$SD_UID.slice/user@$SD_UID.service/user.slice/myrt-it-$id.scope"
	assert_eq "67108864
$cg
not-found" "$out" "memory.max, the scope's cgroup in the user's manager, the unit after delete"
}

# ---------------------------------------------------------------------------------------
# Checks: `myrt check` under systemd

# As root it reaches systemd on the system bus and reports the manager's version; as a
# user with a session, on the user bus, with user@UID.service as the delegated cgroup.
sd_check_host_check() {
	is_myrt || skip "check is myrt's own command"
	local user=myrt-sd-user version out
	# shellcheck source=lib/hostcheck.sh
	source "$IT_DIR/lib/hostcheck.sh"
	version=$(busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.systemd1.Manager Version | sed -E 's/^s "(.*)"$/\1/')
	[[ -n $version ]] || fail "busctl get-property Version: nothing"
	rt check --format json >"$T/check.json" 2>"$T/check.err" </dev/null
	RC=$?
	assert_rc 0 "check as root"
	assert_eq ok "$(hc_field "$T/check.json" systemd status)" "systemd as root ($(hc_field "$T/check.json" systemd detail))"
	assert_contains "$(hc_field "$T/check.json" systemd detail)" "systemd $version answers on the system bus" "systemd as root"
	hc_assert_cgroup_findings "$T/check.json"

	sd_user_session "$user"
	mkdir -p "$T/rt"
	cp "$RUNTIME" "$(dirname "$RUNTIME")/myrt-systemd" "$T/rt/" || fail "copy myrt and myrt-systemd"
	chmod 755 "$T" "$T/rt"
	sd_as_user "$user" "$T/rt/$(basename "$RUNTIME")" check --format json >"$T/user.json" 2>"$T/user.err"
	RC=$?
	assert_rc 0 "check as $user"
	assert_eq ok "$(hc_field "$T/user.json" systemd status)" "systemd as $user ($(hc_field "$T/user.json" systemd detail))"
	assert_contains "$(hc_field "$T/user.json" systemd detail)" "answers on the user bus" "systemd as $user"
	assert_eq ok "$(hc_field "$T/user.json" delegation status)" "delegation as $user ($(hc_field "$T/user.json" delegation detail))"
	assert_eq "yours to write: /sys/fs/cgroup/user.slice/user-$SD_UID.slice/user@$SD_UID.service" \
		"$(hc_field "$T/user.json" delegation detail)" "the delegated cgroup"
	echo "check: root: $(hc_field "$T/check.json" systemd detail); $user: $(hc_field "$T/user.json" systemd detail)"
}

vmg_main "$@"
