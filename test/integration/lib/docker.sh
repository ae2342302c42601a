# shellcheck shell=bash
# shellcheck disable=SC2016,SC2317 # (a command for bash -c; functions wait_for calls)
# Helpers for t-docker.sh: Docker (Debian's docker.io 20.10: dockerd, the containerd it
# starts itself and containerd's runc v2 shim) running containers with the runtime under
# test, registered as "myrt" (dockerd --add-runtime myrt=WRAPPER, the argv-logging wrapper
# of lib/callers.sh, which execs $RUNTIME). Sourced on top of lib/common.sh and
# lib/callers.sh. The client is /usr/bin/docker (docker.io's, of dockerd's version).
#
# One dockerd per run of the group (booting it and importing the image takes ~1.5 s; the
# group has ~15 tests): the first t-docker test of a run of ./run boots it under a lock,
# the following ones use it, and the last test of t-docker.sh stops it and checks that
# nothing is left. Its state is named after the runner (the tests' parent: pid and start
# time), so that a run never uses another's daemon:
#   $DK = /tmp/myrt-it-docker.RUNNERPID.START holds --data-root $DK/data, --exec-root
#     $DK/exec, the socket ($DK/docker.sock), --pidfile, --config-file (an empty one:
#     /etc/docker/daemon.json is not read), the client's $DOCKER_CONFIG, the runtime
#     wrapper and its log (argv.log), dockerd's log.
#   cgroups: cgroupfs driver, --cgroup-parent /myrt-it-docker-RUNNERPID (removed at the end).
#   network: --iptables=false --ip-masq=false --ip-forward=false (no firewall rules, no
#     sysctl changed), --userland-proxy=false, and --bridge=myrtdkRUNNERPID: a bridge made
#     at boot on a free 10.213.N.0/24 and deleted at the end (docker's veths come and go
#     with the containers).
#   Elsewhere, unavoidably: dockerd 20.10 writes /etc/docker/key.json and makes
#     /run/docker/plugins whatever its roots (both removed at the end when they were not
#     there before the boot); the shims' sockets are in /run/containerd/s/ while they run.
# A watchdog (a detached bash started at boot) stops dockerd and cleans up the same way
# when the runner goes on to another file's tests, reaches its end (./run waits for that:
# dk_end_of_run) or exits before the last test ran (a filtered run, a crash); a later boot
# also cleans up after runs whose runner and watchdog are both gone.
#
# dockerd 20.10 uses /run/containerd/containerd.sock, when it exists, instead of starting
# its own containerd: the tests are skipped then.
#
# Each test names its containers it-TAG-NAME (dk_name), labels them myrt-it=TAG, puts
# MYRT_IT_TAG=TAG in their environment (common.sh's tagged_pids find their processes) and
# gives each a --cidfile in $T; they are removed (docker rm -f) when the test ends, before
# common.sh's cleanup.

DK_LOCK=/tmp/myrt-it-docker.lock
DK_IMAGE=$CALLERS_IMAGE
DK_PATH=/usr/sbin:/usr/bin:/sbin:/bin

# _dk_vars RUNNER-PID RUNNER-START: DK and the names derived from it
_dk_vars() {
	DK=/tmp/myrt-it-docker.$1.$2
	DK_RUNNER=$1
	DK_SOCK=$DK/docker.sock
	DK_CGROUP=myrt-it-docker-$1
	DK_BRIDGE=myrtdk$1
	WRAPPER=$DK/myrt-wrapper
	ARGV_LOG=$DK/argv.log
	RT_ROOT=$DK/rtroot
}

_dk_start_of() { # PID: its start time (field 22 of /proc/PID/stat), '' when gone
	sed -E 's/.*\) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'
}

# dk ARGS...: the docker client on our daemon, under a timeout
dk() {
	DOCKER_CONFIG=$DK/client timeout -k 5 "$CALLERS_TIMEOUT" /usr/bin/docker -H "unix://$DK_SOCK" "$@"
}

# dk_cmd ARGS...: dk; sets RC, OUT, ERR ($T/out, $T/err)
dk_cmd() {
	local t0
	t0=$(now)
	dk "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
	echo "docker $* -> rc $RC ($((($(now) - t0) / 1000)) ms)" >&2
	[[ -z $ERR ]] || sed 's/^/  docker stderr: /' "$T/err" >&2
}

# dk_run ARGS...: dk_cmd run --runtime myrt, our label, MYRT_IT_TAG and a new --cidfile
# ($T/cid.N; dk_cid reads the last one)
DK_RUNS=0
dk_run() {
	DK_RUNS=$((DK_RUNS + 1))
	dk_cmd run --runtime myrt --label "myrt-it=$TAG" -e "MYRT_IT_TAG=$TAG" --cidfile "$T/cid.$DK_RUNS" "$@"
}
dk_cid() { cat "$T/cid.$DK_RUNS" 2>/dev/null; }
_dk_test_ids() { # the ids of every container the test ran (its cid files: no newline)
	local f
	for f in "$T"/cid.*; do [[ -s $f ]] && echo "$(<"$f")"; done
	return 0
}

dk_name() { echo "it-$TAG-$1"; }           # NAME: a container name unique to the test
dk_field() { dk inspect --format "$2" "$1" 2>/dev/null; } # CTR GO-TEMPLATE

# dk_stop SECONDS CTR: docker stop -t SECONDS, must succeed; sets STOP_MS (its duration)
dk_stop() {
	local t0
	t0=$(now)
	dk_cmd stop -t "$1" "$2"
	# shellcheck disable=SC2034 # (read by t-docker.sh)
	STOP_MS=$((($(now) - t0) / 1000))
	assert_rc 0 "docker stop -t $1"
}

# dk_wait_status CTR STATUS [SECONDS=10]
dk_wait_status() {
	_dk_status_is() { [[ $(dk_field "$1" '{{.State.Status}}') == "$2" ]]; }
	wait_for "${3:-10}" _dk_status_is "$1" "$2" ||
		fail "container $1: status '$(dk_field "$1" '{{.State.Status}}')' after ${3:-10}s, wanted '$2'"
}

# dk_logs_has CTR LINE: `docker logs CTR` has LINE (stdout or stderr)
dk_logs_has() { dk logs "$1" 2>&1 | grep -qxF -- "$2"; }

# ---------------------------------------------------------------------------------------
# Setup

# dk_setup: the run's dockerd (booted now if this is the group's first test) with the
# image $DK_IMAGE; registers the test's cleanup. Sets DK and the names above, DK_NET (the
# bridge's /24 without its last byte: the bridge is DK_NET.1).
dk_setup() {
	[[ -x /usr/bin/docker && -x /usr/sbin/dockerd ]] || dk_install
	[[ ! -e /run/containerd/containerd.sock ]] ||
		skip "/run/containerd/containerd.sock exists: dockerd 20.10 would use that containerd instead of its own"
	_dk_vars "$PPID" "$(_dk_start_of "$PPID")"
	callers_on_exit dk_test_cleanup
	# (fail and skip in the subshell record the reason; its status is the test's)
	(
		flock 9
		[[ -e $DK/up ]] || dk_boot
	) 9>>"$DK_LOCK" || exit $?
	# shellcheck disable=SC2034 # (used by t-docker.sh)
	DK_NET=$(<"$DK/net")
}

# dk_install: docker.io with apt-get (need_pkg); no service is started by the package
# (a policy-rc.d refusing it is put in place for the install when there is none).
dk_install() {
	local policy=/usr/sbin/policy-rc.d made=0 rc
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# myrt integration tests: no service starts during their installs\nexit 101\n' >"$policy" &&
			chmod 755 "$policy" && made=1
	fi
	(need_pkg docker.io dockerd docker-init)
	rc=$?
	((made)) && rm -f "$policy"
	((rc == 0)) || exit "$rc"
	[[ -x /usr/bin/docker && -x /usr/sbin/dockerd ]] || skip "docker.io installed but /usr/bin/docker or /usr/sbin/dockerd is missing"
}

# dk_boot: makes $DK, the bridge, starts dockerd and the watchdog, imports the image.
# (Under the lock, in a subshell of the test.)
dk_boot() {
	local t0 n p
	t0=$(now)
	_dk_remove_stale
	rm -rf "$DK"
	mkdir -p "$DK"/{data,exec,client}
	# What dockerd makes outside its roots, in the order of removal.
	for p in /etc/docker/key.json /etc/docker /run/docker/plugins /run/docker; do
		[[ -e $p ]] || echo "$p"
	done >"$DK/made-outside"
	for n in $(seq 1 254); do
		ip -4 route show | grep -q "^10\.213\.$n\." && continue
		ip -4 -o addr show | grep -q " 10\.213\.$n\." && continue
		break
	done
	ip link add "$DK_BRIDGE" type bridge 2>"$T/ip.err" || _dk_boot_fail "ip link add $DK_BRIDGE type bridge: $(<"$T/ip.err")"
	echo "$DK_BRIDGE" >"$DK/bridge"
	if ! ip addr add "10.213.$n.1/24" dev "$DK_BRIDGE" || ! ip link set "$DK_BRIDGE" up; then
		_dk_boot_fail "cannot set up the bridge $DK_BRIDGE"
	fi
	echo "10.213.$n" >"$DK/net"
	callers_wrapper "$DK"
	echo '{}' >"$DK/daemon.json"
	dk_start_dockerd --bridge "$DK_BRIDGE" || _dk_boot_fail "$DK_START_ERROR"
	touch "$DK/up" # (the watchdog runs while it is there)
	(
		cd / && exec setsid env -i PATH="$DK_PATH" RUNTIME="$RUNTIME" bash -c \
			'source "$1/lib/common.sh" && source "$1/lib/callers.sh" && source "$1/lib/docker.sh" &&
			dk_watchdog "$2" "$3"' _ "$IT_DIR" "$DK_RUNNER" "${DK#*."$DK_RUNNER".}"
	) </dev/null >"$DK/watchdog.log" 2>&1 9>&- &
	local info
	info=$(dk info --format '{{.CgroupDriver}} {{(index .Runtimes "myrt").Path}} {{.ServerVersion}}' 2>&1)
	[[ $info == "cgroupfs $WRAPPER "* ]] || _dk_boot_fail "docker info: '$info', wanted cgroupfs and myrt=$WRAPPER"
	dk_import_image || _dk_boot_fail "$DK_START_ERROR"
	echo "dockerd ${info##* } ($(_dk_daemon_pid)) up in $((($(now) - t0) / 1000)) ms, image imported" >&2
}

# dk_start_dockerd ARGS...: dockerd on $DK's roots, socket, pidfile and empty config, with
# no firewall rules or sysctls, cgroupfs under /$DK_CGROUP, the runtime as "myrt", and
# ARGS; waits up to 60 s for it to answer, else sets DK_START_ERROR and fails.
dk_start_dockerd() {
	# Detached, in /, with a plain environment (not the test's: its cleanup finds processes
	# by environment and would kill it).
	(
		cd / && exec setsid env -i PATH="$DK_PATH" /usr/sbin/dockerd \
			--data-root "$DK/data" --exec-root "$DK/exec" -H "unix://$DK_SOCK" \
			--pidfile "$DK/dockerd.pid" --config-file "$DK/daemon.json" \
			--iptables=false --ip-masq=false --ip-forward=false --userland-proxy=false \
			--exec-opt native.cgroupdriver=cgroupfs \
			--cgroup-parent "/$DK_CGROUP" --add-runtime "myrt=$WRAPPER" "$@"
	) </dev/null >"$DK/dockerd.log" 2>&1 9>&- &
	_dk_up() { dk version >/dev/null 2>&1; }
	wait_for 60 _dk_up && return 0
	DK_START_ERROR="dockerd did not come up: $(grep -E 'level=(error|fatal)|^[a-z]' "$DK/dockerd.log" | tail -n 3)"
	return 1
}

# dk_import_image: the example rootfs imported as $DK_IMAGE, else sets DK_START_ERROR and
# fails
dk_import_image() {
	callers_rootfs_tar "$DK/rootfs.tar"
	if ! dk import -c 'CMD ["sh"]' "$DK/rootfs.tar" "$DK_IMAGE" >"$T/import.out" 2>&1; then
		DK_START_ERROR="docker import failed: $(<"$T/import.out")"
		return 1
	fi
	rm -f "$DK/rootfs.tar"
}

_dk_boot_fail() { # MSG: undo the boot, fail the test
	echo "dockerd log:" >&2
	tail -n 20 "$DK/dockerd.log" >&2
	dk_shutdown
	fail "$1"
}

# dk_test_cleanup: the test's containers removed (before common.sh's cleanup)
dk_test_cleanup() {
	local rc=${_callers_rc:-0} ids # (the test's status: lib/callers.sh's callers_on_exit)
	[[ -n ${DK:-} && -S $DK_SOCK ]] || return 0
	ids=$({ dk ps -aq --no-trunc --filter "label=myrt-it=$TAG"; _dk_test_ids; } 2>/dev/null | sort -u)
	# shellcheck disable=SC2086
	[[ -n $ids ]] && dk rm -f $ids >/dev/null 2>&1
	if [[ $rc != 0 && $rc != 77 ]]; then
		echo "--- dockerd errors (last 10) ---" >&2
		grep -E 'level=(error|fatal)' "$DK/dockerd.log" | tail -n 10 >&2
	fi
	return 0
}

# ---------------------------------------------------------------------------------------
# Checks

# _dk_mounts: mounts under $DK (but its data root's own bind mount) and under $T
_dk_mounts() {
	awk -v d="$DK/" -v t="$T/" 'index($5, d) == 1 && $5 != d "data" || index($5, t) == 1 { print $5 }' \
		/proc/self/mountinfo
}

# _dk_leftovers ID...: what is left of those containers (one line per item; none: clean)
_dk_leftovers() {
	local id p
	for id in "$@"; do
		p=$(pids_cmdline_has "-id $id")
		# shellcheck disable=SC2086
		[[ -z $p ]] || echo "shim of $id: $(_pids_desc $p)"
		p=$(find "$DK/exec" "$RT_ROOT" -name "$id" 2>/dev/null)
		[[ -z $p ]] || echo "state: $p"
		p=$(cgroup_dirs_named "$id")
		[[ -z $p ]] || echo "cgroups: $p"
	done
	p=$(tagged_pids)
	# shellcheck disable=SC2086
	[[ -z $p ]] || echo "container processes: $(_pids_desc $p)"
	p=$(_dk_mounts)
	[[ -z $p ]] || echo "mounts: $p"
	p=$(ip -o link show master "$DK_BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }')
	[[ -z $p ]] || echo "interfaces on $DK_BRIDGE: $p"
}

# dk_assert_clean: nothing left of the test's containers: not known to docker, no shim,
# no runtime or containerd state, no process, no cgroup, no mount, no veth.
dk_assert_clean() {
	local ids
	dk_cmd ps -aq --filter "label=myrt-it=$TAG"
	[[ $RC == 0 && -z $OUT ]] || fail "docker ps -a after removal: rc $RC, '$OUT' $ERR"
	ids=$(_dk_test_ids)
	# shellcheck disable=SC2086
	_dk_clean() { [[ -z $(_dk_leftovers $ids) ]]; }
	# shellcheck disable=SC2086
	wait_for 10 _dk_clean || fail "left after removal: $(_dk_leftovers $ids | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------------------
# Shutdown

_dk_daemon_pid() { # dockerd's pid (from its pidfile) when it is alive and ours
	local p
	p=$(cat "$DK/dockerd.pid" 2>/dev/null)
	[[ $p =~ ^[0-9]+$ ]] && pid_alive "$p" && grep -qzxF -- "$DK/data" "/proc/$p/cmdline" 2>/dev/null &&
		echo "$p"
	return 0
}

# dk_stop_daemon [--keep-containers]: removes every container (unless told not to:
# dockerd stops them itself), stops dockerd (SIGTERM; SIGKILL after 20 s) and the
# watchdog. Sets DK_STOP_MS and DK_STOPPED_PID (dockerd's pid, '' when none was running).
# shellcheck disable=SC2120 # (t-docker.sh passes --keep-containers)
dk_stop_daemon() {
	local pid ids t0 w
	t0=$(now)
	w=$(cat "$DK/watchdog.pid" 2>/dev/null)
	if [[ $w =~ ^[0-9]+$ && $w != "$$" ]] && grep -qsF dk_watchdog "/proc/$w/cmdline"; then
		kill -TERM "$w" 2>/dev/null
	fi
	rm -f "$DK/up"
	pid=$(_dk_daemon_pid)
	# shellcheck disable=SC2034 # (read by t-docker.sh)
	DK_STOPPED_PID=$pid
	if [[ -n $pid ]]; then
		if [[ ${1:-} != --keep-containers ]]; then
			ids=$(dk ps -aq 2>/dev/null)
			# shellcheck disable=SC2086
			[[ -n $ids ]] && dk rm -f $ids >/dev/null 2>&1
		fi
		kill -TERM "$pid" 2>/dev/null
		wait_for 20 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		wait_for 5 pid_gone "$pid"
	fi
	# shellcheck disable=SC2034 # (read by t-docker.sh)
	DK_STOP_MS=$((($(now) - t0) / 1000))
}

_dk_cgroup_pids() { # processes in our cgroup tree (any hierarchy)
	local d
	for d in $(cgroup_subdirs "$DK_CGROUP"); do cat "$d/cgroup.procs" 2>/dev/null; done | sort -un
}

# dk_undo: kills what is left of ours (containerd, shims: their command lines name $DK;
# container processes: in our cgroups), force-deletes runtime state, unmounts what is
# under $DK, removes the cgroup tree, the shims' sockets, the bridge, what dockerd made
# outside its roots, and $DK. Every step only touches what is ours.
dk_undo() {
	local d p m
	_dk_procs() { pids_cmdline_has "$DK/"; _dk_cgroup_pids; }
	# shellcheck disable=SC2046
	kill_pids KILL $(_dk_procs)
	_dk_no_procs() { [[ -z $(_dk_procs) ]]; }
	# shellcheck disable=SC2046
	wait_for 5 _dk_no_procs || echo "cleanup: still alive: $(_pids_desc $(_dk_procs))" >&2
	for d in "$DK"/exec/runtime-*/*/*; do
		[[ -d $d ]] || continue
		echo "cleanup: runtime state left: $d" >&2
		timeout -k 2 10 "$RUNTIME" --root "${d%/*}" delete --force "${d##*/}" >/dev/null 2>&1
	done
	while read -r m; do
		umount -l "$m" 2>/dev/null || echo "cleanup: cannot unmount $m" >&2
	done < <(awk -v d="$DK/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	callers_rm_cgroups "$DK_CGROUP"
	# A killed shim leaves its socket: /run/containerd/s/sha256(ADDRESS/NAMESPACE/ID).
	while read -r d; do
		p=/run/containerd/s/$(printf '%s' "$DK/exec/containerd/containerd.sock/moby/$d" | sha256sum | cut -d' ' -f1)
		[[ -S $p ]] && echo "cleanup: removing shim socket $p" >&2 && rm -f "$p"
	done < <(awk '{ print $NF }' "$ARGV_LOG" 2>/dev/null | sort -u)
	[[ -s $DK/bridge ]] && ip link del "$(<"$DK/bridge")" 2>/dev/null
	while read -r p; do
		[[ -n $p ]] || continue
		if [[ -d $p ]]; then rmdir "$p" 2>/dev/null; else rm -f "$p"; fi
	done < <(cat "$DK/made-outside" 2>/dev/null)
	rm -rf --one-file-system "$DK"
}

# dk_shutdown: dk_stop_daemon + dk_undo (best effort)
dk_shutdown() {
	dk_stop_daemon
	dk_undo
}

# dk_watchdog RUNNER-PID RUNNER-START: waits while the runner runs t-docker tests (or is
# between two), then shuts the daemon down unless the last test did.
dk_watchdog() {
	_dk_vars "$1" "$2"
	echo "$$" >"$DK/watchdog.pid"
	trap 'exit 0' TERM
	while [[ -e $DK/up ]]; do
		[[ $(_dk_start_of "$1") == "$2" ]] || break
		_dk_runner_elsewhere "$1" && break
		[[ -e $DK/run-ended ]] && break # (the runner, at its end: dk_end_of_run)
		sleep 0.5
	done
	[[ -e $DK/up ]] || exit 0
	trap - TERM
	echo "watchdog: shutting down $DK" >&2
	dk_shutdown
}

# dk_end_of_run RUNNER-PID: called by ./run as it ends (lib/common.sh and lib/callers.sh
# sourced). A run whose last t-docker test did not stop the daemon (a filtered run, a
# failure) has it shut down now, by its watchdog (waited for, at most 90 s) or, with no
# watchdog alive, here: the run leaves nothing behind, and not only after it exited.
dk_end_of_run() {
	local d i w
	for d in /tmp/myrt-it-docker."$1".[0-9]*; do
		[[ -d $d ]] || continue
		w=$(cat "$d/watchdog.pid" 2>/dev/null)
		if [[ $w =~ ^[0-9]+$ ]] && grep -qsF dk_watchdog "/proc/$w/cmdline"; then
			touch "$d/run-ended" 2>/dev/null
			for ((i = 0; i < 900; i++)); do
				[[ -e $d ]] || break
				sleep 0.1
			done
			[[ ! -e $d ]] || echo "run: $d is still there (its watchdog did not shut the daemon down in 90 s)" >&2
		else
			(
				_dk_vars "$1" "${d##*.}"
				dk_shutdown
			)
		fi
	done
	return 0
}

_dk_runner_elsewhere() { # RUNNER-PID: it runs a test of another file
	local c cmd
	for c in $(pgrep -P "$1"); do
		cmd=$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)
		[[ $cmd == *it_run_test* && $cmd != */t-docker.sh\ * ]] && return 0
	done
	return 1
}

# _dk_remove_stale: shuts down what runs whose runner and watchdog are gone left
_dk_remove_stale() {
	local d r s w
	for d in /tmp/myrt-it-docker.*.*; do
		[[ -d $d ]] || continue
		r=${d#/tmp/myrt-it-docker.}
		s=${r#*.}
		r=${r%%.*}
		[[ $r =~ ^[0-9]+$ && $s =~ ^[0-9]+$ ]] || continue
		[[ $(_dk_start_of "$r") == "$s" ]] && continue
		w=$(cat "$d/watchdog.pid" 2>/dev/null)
		[[ $w =~ ^[0-9]+$ ]] && grep -qsF dk_watchdog "/proc/$w/cmdline" && continue
		echo "cleanup: shutting down the docker of a gone run: $d" >&2
		(
			_dk_vars "$r" "$s"
			dk_shutdown
		)
	done
	return 0
}
