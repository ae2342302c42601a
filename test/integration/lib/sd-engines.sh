# shellcheck shell=bash
# Container engines on the systemd cgroup driver, for t-systemd.sh's VM (systemd as PID 1;
# test/vm/run masks the engines' own units): podman with its default cgroup_manager
# ("systemd"), as root and rootless as an ordinary user with a user session; containerd's
# runc shim with SystemdCgroup; dockerd with native.cgroupdriver=systemd. Each runs
# containers with the runtime under test, and the checks look at the scopes from systemd's
# side (units, their properties and ControlGroup) and in the cgroup files. Sourced by
# t-systemd.sh: the sd_check_* here run in the VM like its own (lib/common.sh, its helpers).
#
# Each check has its engine to itself, under its $T: podman's --root/--runroot (vfs), its
# containers.conf and storage.conf; containerd from lib/callers.sh's cd_setup (its root on
# a tmpfs); dockerd's data and exec roots, socket, pidfile and config file, run as a
# transient service of its own. The root engines call the runtime through lib/callers.sh's
# argv-logging wrapper (so its state is under $T too); rootless podman calls a copy of it
# (its default state dir, the user's XDG_RUNTIME_DIR). Images are the example rootfs,
# imported offline. Containers run with --network none: the VM has no network, and no
# modprobe for bridges and netfilter. Overlayfs cannot stack on the VM's root (an overlay
# over 9p): podman and dockerd use vfs, containerd's snapshots live on a tmpfs.
#
# Cleanup, whatever happened: the engine's containers removed (engine first), its daemon
# stopped, then the units named in SD_UNITS (scopes of the containers, the daemons'
# services) stopped if left, then common.sh's cleanup.
#
# shellcheck disable=SC2016 # single-quoted scripts run in containers and shells elsewhere
# shellcheck source=callers.sh
source "$IT_DIR/lib/callers.sh"
# shellcheck source=terminal.sh
source "$IT_DIR/lib/terminal.sh"

SDE_IMAGE=$CALLERS_IMAGE

# sde_on_exit FUNC: FUNC (an engine's cleanup) runs when the check ends, before the units of
# SD_UNITS are stopped (t-systemd.sh's _sd_exit) and common.sh's cleanup; last added first.
SDE_CLEANUPS=()
sde_on_exit() {
	SDE_CLEANUPS+=("$1")
	trap _sde_exit EXIT
}
_sde_exit() {
	local rc=$? i
	trap - EXIT
	set +e
	for ((i = ${#SDE_CLEANUPS[@]} - 1; i >= 0; i--)); do "${SDE_CLEANUPS[i]}"; done
	(exit "$rc")
	_sd_exit
}

# sde_units UNIT...: stopped at the end if still there (after the engine's cleanup)
sde_units() { SD_UNITS+=("$@"); }

# sde_unit_gone UNIT [USER]: UNIT (of USER's manager) is not loaded any more
sde_unit_gone() {
	local state
	if [[ -n ${2:-} ]]; then
		state=$(systemctl --user -M "$2@" show -p LoadState --value "$1" 2>/dev/null)
	else
		state=$(systemctl show -p LoadState --value "$1" 2>/dev/null)
	fi
	[[ $state == not-found ]]
}

# sde_assert_unit_gone UNIT [USER]: within 10 s
sde_assert_unit_gone() {
	wait_for 10 sde_unit_gone "$@" ||
		fail "$1 is still there: $(systemctl ${2:+--user -M "$2@"} show -p LoadState -p ActiveState -p SubState "$1" | tr '\n' ' ')"
}

# sde_assert_scope UNIT CGROUP PID [USER]: UNIT is an active scope, its cgroup is CGROUP
# and holds PID
sde_assert_scope() {
	local unit=$1 cg=$2 pid=$3 ctl=(systemctl)
	[[ -n ${4:-} ]] && ctl=(systemctl --user -M "$4@")
	assert_eq active "$("${ctl[@]}" show -p ActiveState --value "$unit")" "ActiveState of $unit"
	assert_eq "$cg" "$("${ctl[@]}" show -p ControlGroup --value "$unit")" "ControlGroup of $unit"
	assert_eq "0::$cg" "$(<"/proc/$pid/cgroup")" "the cgroup of the container's init $pid"
}

# sde_assert_limits CGROUP: memory.max 64 MiB and cpu.max 50 ms a 100 ms (--memory 64m
# --cpus 0.5) in CGROUP's files
sde_assert_limits() {
	assert_eq 67108864 "$(<"/sys/fs/cgroup$1/memory.max")" "memory.max of $1"
	assert_eq "50000 100000" "$(<"/sys/fs/cgroup$1/cpu.max")" "cpu.max of $1"
}

# sde_assert_profile PID ERE WHAT: PID runs under the AppArmor profile ERE matches (enforce
# mode), the engine's default profile, which the runtime applied. The VM boots with AppArmor
# (t-systemd.sh).
sde_assert_profile() {
	local cur
	cur=$(cat "/proc/$1/attr/current" 2>&1)
	assert_match "$cur" "^$2 \(enforce\)\$" "$3: its AppArmor confinement"
	echo "apparmor: $3: $cur"
}

# sde_cmd WHAT CMD...: CMD with our stdin /dev/null; sets RC, OUT, ERR ($T/out, $T/err) and
# logs "WHAT -> rc N" (and the stderr, indented)
sde_cmd() {
	local what=$1
	shift
	"$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
	echo "$what -> rc $RC" >&2
	[[ -z $ERR ]] || sed 's/^/  stderr: /' "$T/err" >&2
}

# The engines' own units are masked in the VM (test/vm/run): only what the checks start
# runs.
sd_check_engines_masked() {
	sd_in_vm
	local u state
	for u in docker.service docker.socket containerd.service podman.service podman.socket; do
		state=$(systemctl show -p LoadState -p ActiveState --value "$u" | tr '\n' ' ')
		[[ $state == "masked inactive " || $state == "not-found inactive " ]] || fail "$u: $state"
	done
}

# ---------------------------------------------------------------------------------------
# podman as root

# sde_pm_setup: lib/callers.sh's private podman with podman's default cgroup manager
# (systemd's under systemd), the runtime registered as "myrt" through the wrapper, the
# image imported. (pm_setup's check of podman info is left out: 30 s in the VM.)
sde_pm_setup() {
	need_pkg podman podman conmon
	pm_config --default-cgroups
	sde_on_exit pm_cleanup
	pm_import
}

# sde_pm_run ARGS...: pm_cmd run --network none, MYRT_IT_TAG in the container's env
sde_pm_run() { pm_cmd run --network none -e "MYRT_IT_TAG=$TAG" "$@"; }

# sde_pm_units ID: the container's scope and conmon's, stopped at the end if left
sde_pm_units() { sde_units "libpod-$1.scope" "libpod-conmon-$1.scope"; }

# sde_pm_assert_clean: lib/callers.sh's pm_assert_clean, and no libpod unit left
sde_pm_assert_clean() {
	pm_assert_clean
	local u
	u=$(systemctl list-units --all --plain --no-legend 'libpod-*' | awk '{ print $1 }')
	[[ -z $u ]] || fail "units left: $u"
}

# run, run -d with --memory/--cpus in the scope podman names (machine.slice/libpod-ID.scope,
# conmon beside it in libpod-conmon-ID.scope), exec into the scope, stats from the scope's
# cgroup, pause/unpause freeze it, stop and rm: the scope goes.
sd_check_podman() {
	sd_need_driver
	sd_in_vm
	local id unit cg pid conmon out p
	sde_pm_setup
	sde_pm_run --rm "$SDE_IMAGE" sh -c 'echo "hi $MYRT_IT_TAG"; exit 3'
	assert_rc 3 "podman run --rm of 'exit 3'"
	assert_eq "hi $TAG" "$OUT" "podman run output"
	assert_match "$(argv_calls create | head -n 1)" ' --systemd-cgroup .*create ' \
		"podman's create call (its default cgroup manager is systemd)"

	sde_pm_run -d --name lim --memory 64m --cpus 0.5 "$SDE_IMAGE" sleep 1000
	assert_rc 0 "podman run -d --memory 64m --cpus 0.5"
	id=$OUT
	unit=libpod-$id.scope
	sde_pm_units "$id"
	assert_eq "machine.slice:libpod:$id" "$(jq -r .linux.cgroupsPath "$(argv_calls create |
		grep -oE -- '--bundle [^ ]+' | tail -n 1 | cut -d' ' -f2)/config.json")" "podman's cgroupsPath"
	pid=$(pm_field lim '{{.State.Pid}}')
	cg=/machine.slice/$unit
	sde_assert_scope "$unit" "$cg" "$pid"
	sde_assert_limits "$cg"
	assert_eq 67108864 "$(systemctl show -p MemoryMax --value "$unit")" "MemoryMax of $unit"
	assert_eq 500ms "$(systemctl show -p CPUQuotaPerSecUSec --value "$unit")" "CPUQuotaPerSecUSec of $unit"
	conmon=$(pm_field lim '{{.State.ConmonPid}}')
	assert_eq "0::/machine.slice/libpod-conmon-$id.scope" "$(<"/proc/$conmon/cgroup")" "conmon's cgroup"
	echo "scope: $(systemctl status --no-pager "$unit" | grep -E '^ +(Memory|CPU|Tasks):' | tr -s ' \n' ' ')"

	pm_cmd exec lim sh -c 'echo "exec $MYRT_IT_TAG"; exit 4'
	assert_rc 4 "podman exec of 'exit 4'"
	assert_eq "exec $TAG" "$OUT" "podman exec output"
	pm_cmd exec -d lim sleep 999
	assert_rc 0 "podman exec -d"
	_sde_two_in() { [[ $(grep -c . "/sys/fs/cgroup$cg/cgroup.procs") == 2 ]]; }
	wait_for 10 _sde_two_in || fail "$cg/cgroup.procs: $(tr '\n' ' ' <"/sys/fs/cgroup$cg/cgroup.procs"), wanted init and the exec'd sleep"
	for p in $(<"/sys/fs/cgroup$cg/cgroup.procs"); do
		[[ $p == "$pid" ]] || assert_eq "sleep 999" "$(tr '\0' ' ' <"/proc/$p/cmdline" | sed 's/ $//')" "the exec'd process in $cg"
		sde_assert_profile "$p" 'containers-default-[0-9.]+' "podman's process $p"
	done

	pm_cmd stats --no-stream --format json lim
	assert_rc 0 "podman stats --no-stream"
	out=$(jq -r '.[0] | "\(.name) \(.mem_usage | sub(".* / "; "")) \(.pids)"' <<<"$OUT" 2>&1)
	assert_eq "lim 67.11MB 2" "$out" "podman stats: name, memory limit, pids ($OUT)"

	pm_cmd pause lim
	assert_rc 0 "podman pause"
	assert_eq paused "$(pm_field lim '{{.State.Status}}')" "status after pause"
	assert_eq 1 "$(<"/sys/fs/cgroup$cg/cgroup.freeze")" "cgroup.freeze of $cg after pause"
	pm_cmd unpause lim
	assert_rc 0 "podman unpause"
	assert_eq running "$(pm_field lim '{{.State.Status}}')" "status after unpause"
	assert_eq 0 "$(<"/sys/fs/cgroup$cg/cgroup.freeze")" "cgroup.freeze of $cg after unpause"

	# sleep, the container's pid 1, ignores SIGTERM: killed after -t 1.
	pm_cmd stop -t 1 lim
	assert_rc 0 "podman stop -t 1"
	assert_eq "exited 137" "$(pm_field lim '{{.State.Status}} {{.State.ExitCode}}')" "status after stop"
	sde_assert_unit_gone "$unit"
	sde_assert_unit_gone "libpod-conmon-$id.scope"
	pm_cmd rm lim
	assert_rc 0 "podman rm"
	sde_pm_assert_clean
}

# podman run -it in tmux (a terminal, a shell at the prompt), its scope while it runs,
# the exit status back in the outer shell, and the scope gone.
sd_check_podman_tty() {
	sd_need_driver
	sd_in_vm
	local id unit pid
	sde_pm_setup
	tm_start 100 30
	sde_on_exit _tm_kill
	cat >"$T/bin/podman" <<EOF
#!/bin/sh
MYRT_IT_RT=$TAG CONTAINERS_CONF=$CONTAINERS_CONF CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF \\
CONTAINERS_REGISTRIES_CONF=$CONTAINERS_REGISTRIES_CONF exec /usr/bin/podman --root $PM/root --runroot $PM/runroot --storage-driver vfs "\$@"
EOF
	chmod 755 "$T/bin/podman"
	tm_line "podman run -it --rm --network none -e MYRT_IT_TAG=$TAG --name tty $SDE_IMAGE sh; echo \"rc=\$?\""
	tm_wait_cursor_line "$INNER_PROMPT" 40 "container shell prompt"
	tm_line 'echo "tty=$(tty) size=$(stty size) sum=$((6*7))"'
	tm_wait_line 'tty=/dev/pts/0 size=30 100 sum=42' 10 "tty, size and output in the container"
	id=$(pm_field tty '{{.Id}}')
	unit=libpod-$id.scope
	sde_pm_units "$id"
	pid=$(pm_field tty '{{.State.Pid}}')
	sde_assert_scope "$unit" "/machine.slice/$unit" "$pid"
	assert_match "$(argv_calls create)" ' --systemd-cgroup .*create .*--console-socket [^ ]+ ' \
		"podman's create call with a terminal"
	tm_line 'exit 5'
	tm_wait_line "rc=5" 30 "exit status of podman run -it in the outer shell"
	tm_wait_cursor_line 'OUTER\$' 10 "outer prompt after the container exited"
	sde_assert_unit_gone "$unit"
	sde_pm_assert_clean
}

_tm_kill() {
	tm kill-server >/dev/null 2>&1
	[[ -n ${TM_SOCKET:-} ]] && rm -f "$TM_SOCKET"
	return 0
}

# --sdnotify=container under a Type=notify service (how podman runs as a systemd unit, e.g.
# podman generate systemd): the container's READY=1 goes through the runtime to systemd,
# which starts the service only then; conmon is its main pid (podman's MAINPID).
sd_check_podman_sdnotify() {
	sd_need_driver
	sd_in_vm
	[[ -x ${SD_NOTIFY_BIN:-} ]] || skip "no static sd-notify sender (gcc -static of lib/sd-notify.c on the host failed)"
	local svc id t0 ms conmon
	sde_pm_setup
	mkdir -p "$T/sdn" "$T/v"
	cp "$SD_NOTIFY_BIN" "$T/sdn/sd-notify"
	svc=myrt-it-sdn-$TAG.service
	sde_units "$svc"
	t0=$(now)
	# systemd-run returns once the start job is done: READY=1 came.
	systemd-run --unit "$svc" --quiet --collect -p Type=notify -p NotifyAccess=all -p TimeoutStartSec=60 \
		--setenv=CONTAINERS_CONF="$CONTAINERS_CONF" --setenv=CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" \
		--setenv=CONTAINERS_REGISTRIES_CONF="$CONTAINERS_REGISTRIES_CONF" --setenv=MYRT_IT_RT="$TAG" \
		podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs run -d --name sdn \
		--network none --sdnotify=container -e "MYRT_IT_TAG=$TAG" -v "$T/sdn:/sdn:ro" -v "$T/v:/v" "$SDE_IMAGE" \
		sh -c 'echo "$NOTIFY_SOCKET" >/v/socket; sleep 2; touch /v/sent; /sdn/sd-notify send READY=1 && exec sleep 1000' \
		>"$T/out" 2>"$T/err" </dev/null
	RC=$?
	ms=$((($(now) - t0) / 1000))
	id=$(pm_field sdn '{{.Id}}')
	[[ -n $id ]] && sde_pm_units "$id"
	[[ $RC == 0 ]] || fail "systemd-run of podman run -d --sdnotify=container as a Type=notify service:" \
		"rc $RC after ${ms} ms: $(journalctl -u "$svc" --no-pager -q | tail -n 5 | tr '\n' ' ')"
	[[ -e $T/v/sent ]] || fail "the service was started before the container sent READY=1 (after ${ms} ms)"
	assert_match "$(<"$T/v/socket")" '^/' "NOTIFY_SOCKET in the container"
	assert_eq active "$(systemctl show -p ActiveState --value "$svc")" "ActiveState of $svc"
	conmon=$(pm_field sdn '{{.State.ConmonPid}}')
	assert_eq "$conmon" "$(systemctl show -p MainPID --value "$svc")" "MainPID of $svc (conmon, podman's MAINPID)"
	assert_eq running "$(pm_field sdn '{{.State.Status}}')" "podman inspect: status"
	sde_assert_scope "libpod-$id.scope" "/machine.slice/libpod-$id.scope" "$(pm_field sdn '{{.State.Pid}}')"
	echo "sdnotify: $svc started after ${ms} ms (the container sends READY=1 after 2 s)"
	pm_cmd rm -f -t 0 sdn
	assert_rc 0 "podman rm -f"
	systemctl stop "$svc"
	sde_assert_unit_gone "libpod-$id.scope"
	sde_pm_assert_clean
}

# ---------------------------------------------------------------------------------------
# Rootless podman: an ordinary user with a user session; podman (as it does for a user
# under systemd) asks the user's own systemd for the scopes, and runs the runtime in its
# user namespace (uid 0 there), with the state in the user's XDG_RUNTIME_DIR.

SDE_USER=myrt-sd-user

# sde_pmu ARGS...: podman as $SDE_USER, in a transient service of the user's manager
# (sd_as_user) without INVOCATION_ID (podman keeps conmon in the service it runs in when it
# is set: it would end with the service); sets RC, OUT, ERR.
sde_pmu() {
	sde_cmd "podman (as $SDE_USER) $*" timeout -k 5 "$CALLERS_TIMEOUT" \
		systemd-run --user -M "$SDE_USER@" --wait --pipe --quiet --collect \
		-E CONTAINERS_CONF="$PMU/containers.conf" -E CONTAINERS_STORAGE_CONF="$PMU/storage.conf" \
		-E CONTAINERS_REGISTRIES_CONF="$PMU/registries.conf" -E MYRT_IT_RT="$TAG" \
		-- env -u INVOCATION_ID podman "$@"
}

sd_check_podman_rootless() {
	sd_need_driver
	need_pkg podman podman conmon
	need_pkg uidmap newuidmap newgidmap
	local id unit cg pid state
	sd_user_session "$SDE_USER"
	PMU=$T/pmu
	mkdir -p "$PMU/bin"
	# The runtime (and its companions) where the user can run them.
	cp "$RUNTIME" "$PMU/bin/"
	[[ -x $(dirname "$RUNTIME")/myrt-systemd ]] && cp "$(dirname "$RUNTIME")/myrt-systemd" "$PMU/bin/"
	cat >"$PMU/containers.conf" <<EOF
[engine]
runtime = "rt"
events_logger = "file"
events_logfile_path = "$PMU/events.log"

[engine.runtimes]
rt = ["$PMU/bin/$(basename "$RUNTIME")"]
EOF
	printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$PMU/root" "$PMU/runroot" \
		>"$PMU/storage.conf"
	: >"$PMU/registries.conf"
	callers_rootfs_tar "$PMU/rootfs.tar"
	chown -R "$SDE_USER:" "$PMU"
	sde_on_exit _sde_pmu_cleanup
	sde_pmu import "$PMU/rootfs.tar" "$SDE_IMAGE"
	[[ $RC == 0 ]] || fail "podman import as $SDE_USER failed (rc $RC): $ERR"

	sde_pmu run -d --name rl --network none --memory 64m --cpus 0.5 -e "MYRT_IT_TAG=$TAG" "$SDE_IMAGE" sleep 1000
	assert_rc 0 "rootless podman run -d --memory 64m --cpus 0.5"
	id=$OUT
	unit=libpod-$id.scope
	pid=$(tagged_pids)
	assert_match "$pid" '^[0-9]+$' "the container's init (tagged processes)"
	cg=/user.slice/user-$SD_UID.slice/user@$SD_UID.service/user.slice/$unit
	sde_assert_scope "$unit" "$cg" "$pid" "$SDE_USER"
	sde_assert_limits "$cg"
	assert_eq 67108864 "$(systemctl --user -M "$SDE_USER@" show -p MemoryMax --value "$unit")" \
		"MemoryMax of $unit in the user's manager"
	# The runtime kept its state in the user's XDG_RUNTIME_DIR (its default there).
	state=/run/user/$SD_UID/$(basename "$RUNTIME")/$id
	[[ -d $state ]] || fail "no $state: $(ls -la "/run/user/$SD_UID" 2>&1 | tr '\n' ' ')"

	sde_pmu exec rl sh -c 'echo "exec $MYRT_IT_TAG $(id -u)"; exit 4'
	assert_rc 4 "rootless podman exec of 'exit 4'"
	assert_eq "exec $TAG 0" "$OUT" "rootless podman exec output"

	sde_pmu rm -f -t 0 rl
	assert_rc 0 "rootless podman rm -f"
	sde_assert_unit_gone "$unit" "$SDE_USER"
	wait_pid_gone "$pid" 10
	[[ ! -e $state ]] || fail "the runtime's state $state is left after podman rm"
}

_sde_pmu_cleanup() {
	local u
	[[ -n ${PMU:-} && -d $PMU ]] || return 0
	sde_pmu rm -a -f -t 0 >/dev/null 2>&1
	# podman's pause process (its user namespace) and whatever podman left
	for u in $(systemctl --user -M "$SDE_USER@" list-units --all --plain --no-legend 'libpod-*' 'podman-pause-*' 2>/dev/null |
		awk '{ print $1 }'); do
		systemctl --user -M "$SDE_USER@" stop "$u" >/dev/null 2>&1
	done
	return 0
}

# ---------------------------------------------------------------------------------------
# containerd: the runc v2 shim with SystemdCgroup (ctr run --runc-systemd-cgroup, a
# cgroupsPath slice:prefix:name as the CRI plugin gives)

sd_check_containerd() {
	sd_need_driver
	sd_in_vm
	local cid unit cg pid
	need_pkg containerd containerd ctr containerd-shim-runc-v2
	mkdir -p "$T/containerd/root"
	mount -t tmpfs -o mode=0711 tmpfs "$T/containerd/root" || fail "cannot mount a tmpfs on $T/containerd/root"
	sde_on_exit _sde_cd_umount
	cd_setup
	sde_on_exit cd_cleanup
	cid=ctr-$TAG
	unit=myrt-it-$cid.scope
	sde_units "$unit"
	ctr_run -d --null-io --runc-systemd-cgroup --cgroup "system.slice:myrt-it:$cid" \
		--memory-limit 67108864 --cpus 0.5 "$CALLERS_IMAGE" "$cid" sleep 1000
	assert_rc 0 "ctr run -d --runc-systemd-cgroup"
	_task_status_is() { [[ $(ctr_task_field "$1" STATUS) == "$2" ]]; }
	wait_for 10 _task_status_is "$cid" RUNNING || fail "task $cid: status '$(ctr_task_field "$cid" STATUS)', wanted RUNNING"
	pid=$(ctr_task_field "$cid" PID)
	cg=/system.slice/$unit
	sde_assert_scope "$unit" "$cg" "$pid"
	sde_assert_limits "$cg"
	assert_match "$(argv_calls create)" ' --systemd-cgroup .*create ' "the shim's create call"

	ctr_cmd task exec --exec-id x1 --fifo-dir "$FIFO_DIR" "$cid" sh -c 'cat /proc/self/cgroup; exit 4'
	assert_rc 4 "ctr task exec of 'exit 4'"
	assert_eq "0::$cg" "$OUT" "the cgroup of an exec'd process"

	ctr_cmd task kill --signal SIGKILL "$cid"
	assert_rc 0 "ctr task kill"
	wait_for 10 _task_status_is "$cid" STOPPED || fail "task $cid: status '$(ctr_task_field "$cid" STATUS)' after kill"
	ctr_cmd task delete "$cid"
	assert_rc 0 "ctr task delete"
	sde_assert_unit_gone "$unit"
	ctr_cmd container delete "$cid"
	assert_rc 0 "ctr container delete"
	cd_assert_clean
}

_sde_cd_umount() { umount "$T/containerd/root" 2>/dev/null || umount -l "$T/containerd/root"; }

# ---------------------------------------------------------------------------------------
# Docker: dockerd (Debian's docker.io 20.10, the client /usr/bin/docker of its version) with
# native.cgroupdriver=systemd, as a Type=notify service of its own (as docker.service runs
# it); the runtime added as "myrt". Kept to one container: dockerd is slow under the VM's
# emulation (~10 s to start, ~10 s for a docker run).

# sdk ARGS...: the docker client on our daemon; sdk_cmd: sets RC, OUT, ERR
sdk() { DOCKER_CONFIG=$DK/client timeout -k 5 "$CALLERS_TIMEOUT" /usr/bin/docker -H "unix://$DK/docker.sock" "$@"; }
sdk_cmd() { sde_cmd "docker $*" sdk "$@"; }

sd_check_docker() {
	sd_need_driver
	sd_in_vm
	[[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || skip "docker.io (dockerd, /usr/bin/docker) is not installed"
	# dockerd 20.10 would use a containerd listening there instead of starting its own.
	[[ ! -e /run/containerd/containerd.sock ]] || fail "/run/containerd/containerd.sock exists in the VM"
	local svc n id unit cg pid t0
	DK=$T/docker
	mkdir -p "$DK"/{data,exec,client}
	echo '{}' >"$DK/daemon.json"
	callers_wrapper "$DK"
	svc=myrt-it-dockerd-$TAG.service
	sde_units "$svc"
	sde_on_exit _sdk_cleanup
	t0=$(now)
	systemd-run --unit "$svc" --quiet --collect -p Type=notify -p TimeoutStartSec=120 \
		--setenv=MYRT_IT_RT="$TAG" \
		/usr/sbin/dockerd --data-root "$DK/data" --exec-root "$DK/exec" -H "unix://$DK/docker.sock" \
		--pidfile "$DK/dockerd.pid" --config-file "$DK/daemon.json" --storage-driver vfs \
		--iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false --bridge=none \
		--exec-opt native.cgroupdriver=systemd --add-runtime "myrt=$WRAPPER" >"$T/out" 2>&1 </dev/null ||
		fail "dockerd did not start: $(journalctl -u "$svc" --no-pager -q | grep -E 'level=(error|fatal)' | tail -n 3 | tr '\n' ' ')"
	echo "dockerd: up in $((($(now) - t0) / 1000)) ms"
	sdk_cmd info --format '{{.CgroupDriver}} {{.CgroupVersion}} {{(index .Runtimes "myrt").Path}}'
	assert_eq "systemd 2 $WRAPPER" "$OUT" "docker info: cgroup driver, cgroup version, the myrt runtime"
	callers_rootfs_tar "$DK/rootfs.tar"
	sdk_cmd import -c 'CMD ["sh"]' "$DK/rootfs.tar" "$SDE_IMAGE"
	assert_rc 0 "docker import"

	n=it-$TAG
	sdk_cmd run -d --runtime myrt --network none --name "$n" -e "MYRT_IT_TAG=$TAG" --memory 64m --cpus 0.5 \
		"$SDE_IMAGE" sleep 1000
	assert_rc 0 "docker run -d --runtime myrt --memory 64m --cpus 0.5"
	id=$OUT
	unit=docker-$id.scope
	sde_units "$unit"
	pid=$(sdk inspect --format '{{.State.Pid}}' "$n")
	cg=/system.slice/$unit
	sde_assert_scope "$unit" "$cg" "$pid"
	sde_assert_limits "$cg"
	assert_match "$(argv_calls create)" " --systemd-cgroup .*create .*$id\$" "the shim's create call"
	sde_assert_profile "$pid" docker-default "docker's container"

	sdk_cmd exec "$n" sh -c 'echo "exec $MYRT_IT_TAG"; exit 4'
	assert_rc 4 "docker exec of 'exit 4'"
	assert_eq "exec $TAG" "$OUT" "docker exec output"
	sdk_cmd exec "$n" cat /proc/self/attr/current
	assert_eq "docker-default (enforce)" "$OUT" "docker exec: its AppArmor confinement"

	sdk_cmd rm -f "$n"
	assert_rc 0 "docker rm -f"
	sde_assert_unit_gone "$unit"
	wait_pid_gone "$pid" 10
	_sdk_no_state() { [[ -z $(find "$RT_ROOT" -mindepth 2 -maxdepth 2 2>/dev/null) ]]; }
	wait_for 10 _sdk_no_state || fail "runtime state left: $(find "$RT_ROOT" -mindepth 2 -maxdepth 2)"
	systemctl stop "$svc" || fail "systemctl stop $svc failed"
	sde_assert_unit_gone "$svc"
	local left
	left=$(pids_cmdline_has "$DK/")
	# shellcheck disable=SC2086 # pids
	[[ -z $left ]] || fail "processes left after dockerd stopped: $(_pids_desc $left)"
}

_sdk_cleanup() {
	local ids
	[[ -S ${DK:-}/docker.sock ]] || return 0
	ids=$(sdk ps -aq 2>/dev/null)
	# shellcheck disable=SC2086
	[[ -n $ids ]] && sdk rm -f $ids >/dev/null 2>&1
	systemctl stop "myrt-it-dockerd-$TAG.service" >/dev/null 2>&1
	# shellcheck disable=SC2046 # pids
	callers_kill_leftovers $(pids_cmdline_has "$DK/")
	return 0
}
