# shellcheck shell=bash
# Helpers for the caller tests (t-podman.sh, t-containerd.sh; t-docker.sh uses the generic
# and resource helpers below, with lib/docker.sh): real container engines (podman + conmon,
# containerd + the runc v2 shim) driving the runtime under test.
# Sourced by those files on top of lib/common.sh (whose T, TAG, fail, wait_for... they use).
#
# Everything an engine keeps lives under the test's $T: podman's --root/--runroot (vfs
# storage), its tmp/static/volume/network-config dirs; containerd's root, state, sockets
# and opt dir; the runtime's --root. What the engines put elsewhere, unavoidably:
#   podman (default network): /run/netns/netns-* while a container runs, netavark's
#     /run/containers/networks/ipam.db and its iptables chains (NETAVARK-*, left in place,
#     as after any podman use); containers/image's /var/lib/containers/cache.
#   containerd: the shim's socket under /run/containerd/s/ while a task exists (the
#     dir stays), ctr's exec process specs /tmp/runc-process* while an exec starts.
# Cgroups: podman's containers go under a private --cgroup-parent /myrt-it-$TAG (conmon
# in .../conmon), containerd's under /myrt-it-$TAG (its namespace); both are removed at
# the end.
#
# The engines call the runtime through an argv-logging wrapper ($WRAPPER): it appends
# one line per call to $ARGV_LOG ("EPOCHREALTIME PID ARG..." with each ARG %q-quoted)
# and execs $RUNTIME (after waiting up to 10 s for it to be executable: it is rebuilt at
# times), adding `--root $RT_ROOT` when the caller gives no --root (podman never does,
# and its --runtime-flag is not passed on to the `podman container cleanup` that conmon
# runs). IT_KEEP=1 / IT_KEEP_FAILED=1 keep $T, with that log, for debugging.
#
# Cleanup (whether the test passed or not, before common.sh's): podman rm -af / ctr task
# kill+delete and container delete, containerd stopped by its pid; then anything left is
# killed by pid (conmon, shims, container processes, a created container's init), left
# runtime state force-deleted, a killed shim's socket removed, and the cgroup trees removed.

CALLERS_TIMEOUT=${CALLERS_TIMEOUT:-60}
# Images are named like this in both engines.
CALLERS_IMAGE=localhost/myrt-it:latest

# ---------------------------------------------------------------------------------------
# Generic

# callers_on_exit FUNC: run FUNC (the engine's cleanup) when the test ends, before
# common.sh's it_cleanup, keeping the test's exit status.
callers_on_exit() {
	# shellcheck disable=SC2064
	trap "_callers_rc=\$?; $1; (exit \$_callers_rc); it_cleanup" EXIT
}

# callers_wrapper DIR: writes DIR/myrt-wrapper; sets WRAPPER, ARGV_LOG, RT_ROOT.
callers_wrapper() {
	local dir=$1
	WRAPPER=$dir/myrt-wrapper
	ARGV_LOG=$dir/argv.log
	RT_ROOT=$dir/rtroot
	mkdir -p "$RT_ROOT"
	: >"$ARGV_LOG"
	cat >"$WRAPPER" <<EOF
#!/bin/bash
# argv-logging wrapper around the runtime under test (test/integration/lib/callers.sh)
line="\$EPOCHREALTIME \$\$"
for a in "\$@"; do printf -v q ' %q' "\$a"; line+=\$q; done
printf '%s\n' "\$line" >>$(printf '%q' "$ARGV_LOG")
# The binary is rebuilt at times (not executable while being linked): wait up to 10 s.
for ((i = 0; i < 100; i++)); do [[ -x $(printf '%q' "$RUNTIME") ]] && break; sleep 0.1; done
for a in "\$@"; do
	case \$a in --root | --root=*) exec $(printf '%q' "$RUNTIME") "\$@" ;; esac
done
exec $(printf '%q' "$RUNTIME") --root $(printf '%q' "$RT_ROOT") "\$@"
EOF
	chmod 755 "$WRAPPER"
}

# argv_calls SUBCOMMAND: the wrapper's log lines for that runtime subcommand
argv_calls() {
	awk -v c="$1" '{ for (i = 3; i <= NF; i++) if ($i !~ /^-/ && $(i - 1) !~ /^--(root|log|log-format)$/) { if ($i == c) print; break } }' "$ARGV_LOG"
}

# callers_rootfs_tar OUT: the example rootfs as a tar (numeric owners)
callers_rootfs_tar() {
	tar --numeric-owner -C "$EXAMPLE_ROOTFS" -cf "$1" . || fail "tar of $EXAMPLE_ROOTFS failed"
}

# callers_oci_archive OUT: an OCI image layout archive (one uncompressed layer: the example
# rootfs) named $CALLERS_IMAGE, as `ctr images import` takes it.
callers_oci_archive() {
	local out=$1 d=$T/oci-build
	local ld ls cd cs md ms
	rm -rf "$d"
	mkdir -p "$d/blobs/sha256"
	callers_rootfs_tar "$d/layer.tar"
	ld=$(sha256sum <"$d/layer.tar" | cut -d' ' -f1)
	ls=$(stat -c %s "$d/layer.tar")
	mv "$d/layer.tar" "$d/blobs/sha256/$ld"
	jq -nc --arg l "sha256:$ld" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$l]}}' >"$d/config.json"
	cd=$(sha256sum <"$d/config.json" | cut -d' ' -f1)
	cs=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$d/blobs/sha256/$cd"
	jq -nc --arg c "sha256:$cd" --argjson cs "$cs" --arg l "sha256:$ld" --argjson ls "$ls" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
		>"$d/manifest.json"
	md=$(sha256sum <"$d/manifest.json" | cut -d' ' -f1)
	ms=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$d/blobs/sha256/$md"
	jq -nc --arg m "sha256:$md" --argjson ms "$ms" --arg n "$CALLERS_IMAGE" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
		annotations: {"io.containerd.image.name": $n, "org.opencontainers.image.ref.name": "latest"}}]}' \
		>"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs || fail "tar of the OCI layout failed"
	rm -rf "$d"
}

# pids_cmdline_has STRING: live processes whose command line contains STRING
pids_cmdline_has() {
	local f p
	for f in $(grep -lsF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		pid_alive "$p" && echo "$p"
	done
	return 0
}

# cgroup_subdirs NAME: directories below /NAME in every cgroup hierarchy (deepest first)
cgroup_subdirs() {
	local h
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[[ -d $h$1 ]] && find "$h$1" -mindepth 1 -type d 2>/dev/null
	done | sort -ru
	return 0
}

# cgroup_rm_tree NAME: remove /NAME and what is below it in every hierarchy (empty ones)
cgroup_rm_tree() {
	local h d
	for d in $(cgroup_subdirs "$1"); do rmdir "$d" 2>/dev/null; done
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[[ -d $h$1 ]] || continue
		# A v1 controller that is not mounted leaves a plain directory of /sys/fs/cgroup's
		# tmpfs, where conmon makes its directories and "tasks" files all the same: rmdir
		# cannot remove those (they were left, 240 a hierarchy here), rm can.
		case $(stat -f -c %T "$h") in
		cgroup*) rmdir "$h$1" 2>/dev/null ;;
		*) rm -rf --one-file-system "$h$1" ;;
		esac
	done
	return 0
}

# kill_pids SIGNAL PID...: signal each pid (ours, found by the callers)
kill_pids() {
	local sig=$1 p
	shift
	for p in "$@"; do kill "-$sig" "$p" 2>/dev/null; done
	return 0
}

# callers_kill_leftovers [PID...]: SIGKILL the given pids and every process with our
# tags (common.sh's leftover_pids: container processes, and the runtime's own, e.g. the
# init of a container that was created but never started), then wait for them to go.
callers_kill_leftovers() {
	local p all
	all=$(printf '%s\n' "$@" $(leftover_pids) | sort -un)
	[[ -n $all ]] || return 0
	echo "cleanup: killing $(_pids_desc $all)" >&2
	kill_pids KILL $all
	_callers_all_gone() {
		for p in $all; do pid_alive "$p" && return 1; done
		return 0
	}
	wait_for 5 _callers_all_gone || echo "cleanup: still alive: $(_pids_desc $all)" >&2
}

# callers_rm_cgroups NAME: cgroup_rm_tree, retried for up to 5 s (dying processes)
callers_rm_cgroups() {
	_callers_cg_gone() {
		cgroup_rm_tree "$1"
		local h
		for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do [[ -d $h$1 ]] && return 1; done
		return 0
	}
	wait_for 5 _callers_cg_gone "$1" || echo "cleanup: cgroup dirs left: $(cgroup_subdirs "$1")" >&2
}

# ---------------------------------------------------------------------------------------
# podman

# pm_setup [--json]: private podman (config, storage, image $CALLERS_IMAGE imported from
# the example rootfs), the runtime registered as "myrt" through $WRAPPER. With --json,
# myrt is listed in runtime_supports_json, so conmon passes --log-format=json --log FILE.
# Sets PM (podman's dir), PM_CGROUP (cgroup parent name); registers the cleanup.
pm_setup() {
	need_pkg podman podman conmon
	pm_config "$@"
	callers_on_exit pm_cleanup
	pm_import
	pm_cmd info --format '{{.Host.OCIRuntime.Path}}'
	[[ $RC == 0 && $OUT == "$WRAPPER" ]] ||
		fail "podman info: OCI runtime is '$OUT', wanted $WRAPPER (rc $RC): $ERR"
}

# pm_config [--json] [--default-cgroups]: pm_setup's private podman configuration, storage
# dirs and wrapper (no cleanup registered, no image); cgroup_manager is "cgroupfs" unless
# --default-cgroups leaves podman's default ("systemd" under systemd).
pm_config() {
	local json='' manager='cgroup_manager = "cgroupfs"' a
	for a in "$@"; do
		case $a in
			--json) json='runtime_supports_json = ["myrt"]' ;;
			--default-cgroups) manager='' ;;
		esac
	done
	PM=$T/podman
	PM_CGROUP=myrt-it-$TAG
	mkdir -p "$PM"/{root,runroot,tmp,static,volumes,netconf}
	callers_wrapper "$PM"
	cat >"$PM/containers.conf" <<EOF
[containers]
default_ulimits = []

[engine]
runtime = "myrt"
$json
$manager
events_logger = "file"
events_logfile_path = "$PM/events.log"
static_dir = "$PM/static"
tmp_dir = "$PM/tmp"
volume_path = "$PM/volumes"
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MYRT_IT_RT=$TAG"]

[engine.runtimes]
myrt = ["$WRAPPER"]

[network]
network_config_dir = "$PM/netconf"
EOF
	cat >"$PM/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PM/root"
runroot = "$PM/runroot"
EOF
	export CONTAINERS_CONF=$PM/containers.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$PM/registries.conf
	: >"$PM/registries.conf"
}

# pm_import: the image $CALLERS_IMAGE, imported from the example rootfs
pm_import() {
	callers_rootfs_tar "$PM/rootfs.tar"
	pm_cmd import "$PM/rootfs.tar" "$CALLERS_IMAGE"
	[[ $RC == 0 ]] || fail "podman import failed (rc $RC): $ERR"
}

# pm ARGS...: podman with the private storage, under a timeout
pm() {
	MYRT_IT_RT=$TAG timeout -k 5 "$CALLERS_TIMEOUT" \
		podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs "$@"
}

# pm_cmd ARGS...: pm; sets RC, OUT, ERR ($T/out, $T/err)
pm_cmd() {
	pm "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
	echo "podman $* -> rc $RC" >&2
	[[ -z $ERR ]] || sed 's/^/  podman stderr: /' "$T/err" >&2
}

# pm_run ARGS...: pm_cmd run with our cgroup parent and MYRT_IT_TAG in the container's
# env (CALLERS_PODMAN_NETWORK, when set, is passed as --network)
pm_run() {
	local net=()
	[[ -n ${CALLERS_PODMAN_NETWORK:-} ]] && net=(--network "$CALLERS_PODMAN_NETWORK")
	pm_cmd run --cgroup-parent "/$PM_CGROUP" -e "MYRT_IT_TAG=$TAG" "${net[@]}" "$@"
}

# pm_field CTR GO-TEMPLATE: podman inspect --format
pm_field() {
	pm inspect --format "$2" "$1" 2>/dev/null
}

# pm_assert_clean: no container known to podman, no runtime state, no conmon or cleanup
# process, no container process, no container cgroup, no mount of a container's.
pm_assert_clean() {
	pm_cmd ps -a -q
	[[ $RC == 0 && -z $OUT ]] || fail "podman ps -a after removal: rc $RC, '$OUT' $ERR"
	_pm_no_state() { [[ -z $(ls -A "$RT_ROOT") ]]; }
	wait_for 10 _pm_no_state || fail "runtime state left in $RT_ROOT: $(ls -A "$RT_ROOT")"
	_pm_no_procs() { [[ -z $(pids_cmdline_has "$PM/") && -z $(tagged_pids) ]]; }
	wait_for 10 _pm_no_procs ||
		fail "processes left: $(_pids_desc $(pids_cmdline_has "$PM/") $(tagged_pids))"
	local c
	c=$(cgroup_subdirs "$PM_CGROUP" | grep -v '/conmon$')
	[[ -z $c ]] || fail "cgroup dirs left: $c"
	for c in $(cgroup_subdirs "$PM_CGROUP"); do
		[[ ! -s $c/cgroup.procs ]] || fail "processes left in $c: $(tr '\n' ' ' <"$c/cgroup.procs")"
	done
	c=$(awk -v p="$PM/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo)
	[[ -z $c ]] || fail "mounts left: $c"
}

pm_cleanup() {
	[[ -n ${PM:-} && -d $PM ]] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1
	local d
	for d in "$RT_ROOT"/*; do
		[[ -d $d ]] || continue
		echo "cleanup: runtime state left: $d" >&2
		timeout -k 2 10 "$RUNTIME" --root "$RT_ROOT" delete --force "${d##*/}" >/dev/null 2>&1
	done
	# conmon, `podman container cleanup`, container processes
	callers_kill_leftovers $(pids_cmdline_has "$PM/")
	# (mounts under $T, e.g. a container's shm, are common.sh's it_cleanup's)
	callers_rm_cgroups "$PM_CGROUP"
	return 0
}

# ---------------------------------------------------------------------------------------
# containerd

# cd_setup: a private containerd (root, state, sockets under $T/containerd, CRI off),
# started now and stopped by the cleanup; the image $CALLERS_IMAGE imported into the
# namespace $CD_NS. Sets CD, CD_SOCK, CD_NS, CD_PID, FIFO_DIR.
cd_setup() {
	need_pkg containerd containerd ctr containerd-shim-runc-v2
	CD=$T/containerd
	CD_SOCK=$CD/containerd.sock
	CD_NS=myrt-it-$TAG
	FIFO_DIR=$CD/fifo
	mkdir -p "$CD"/{root,state,opt,fifo}
	callers_wrapper "$CD"
	cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "$CD_SOCK.ttrpc"
[debug]
  address = "$CD/debug.sock"
  level = "debug"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
EOF
	callers_on_exit cd_cleanup
	# MYRT_IT_RT: the shims inherit it, so that common.sh's cleanup finds them too.
	MYRT_IT_RT=$TAG containerd --config "$CD/config.toml" >"$CD/containerd.log" 2>&1 </dev/null &
	CD_PID=$!
	_cd_up() { [[ -S $CD_SOCK ]] && ctr --address "$CD_SOCK" version >/dev/null 2>&1; }
	wait_for 20 _cd_up ||
		fail "containerd did not come up: $(grep -E 'level=(error|fatal)' "$CD/containerd.log" | tail -n 3)"
	callers_oci_archive "$CD/image.tar"
	ctr_cmd images import "$CD/image.tar"
	[[ $RC == 0 ]] || fail "ctr images import failed (rc $RC): $ERR"
	ctr_cmd images ls -q
	[[ $OUT == *"$CALLERS_IMAGE"* ]] || fail "image $CALLERS_IMAGE not listed after import: $OUT"
}

# ctr_ ARGS...: ctr on our socket and namespace, under a timeout
ctr_() {
	timeout -k 5 "$CALLERS_TIMEOUT" ctr --address "$CD_SOCK" --namespace "$CD_NS" "$@"
}

# ctr_cmd ARGS...: ctr_; sets RC, OUT, ERR ($T/out, $T/err)
ctr_cmd() {
	ctr_ "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
	echo "ctr $* -> rc $RC" >&2
	[[ -z $ERR ]] || sed 's/^/  ctr stderr: /' "$T/err" >&2
}

# ctr_run ARGS...: ctr_cmd run through the wrapper, with a private runc root and fifo dir
# and MYRT_IT_TAG in the container's env
ctr_run() {
	ctr_cmd run --runc-binary "$WRAPPER" --runc-root "$RT_ROOT" --fifo-dir "$FIFO_DIR" \
		--env "MYRT_IT_TAG=$TAG" "$@"
}

# ctr_task_field ID COLUMN: PID or STATUS from `ctr task ls`
ctr_task_field() {
	ctr_ task ls 2>/dev/null | awk -v id="$1" -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$1 == id { print $h[col] }'
}

# cd_assert_clean: no container or task, no runtime state, no shim, no container
# process, no cgroup, no mount
cd_assert_clean() {
	ctr_cmd containers ls -q
	[[ $RC == 0 && -z $OUT ]] || fail "ctr containers ls after removal: rc $RC, '$OUT' $ERR"
	ctr_cmd tasks ls -q
	[[ $RC == 0 && -z $OUT ]] || fail "ctr tasks ls after removal: rc $RC, '$OUT' $ERR"
	_cd_no_state() { [[ -z $(find "$RT_ROOT" -mindepth 2 -maxdepth 2 2>/dev/null) ]]; }
	wait_for 10 _cd_no_state ||
		fail "runtime state left: $(find "$RT_ROOT" -mindepth 2 -maxdepth 2)"
	_cd_no_procs() { [[ -z $(_cd_shims) && -z $(tagged_pids) ]]; }
	wait_for 10 _cd_no_procs || fail "processes left: $(_pids_desc $(_cd_shims) $(tagged_pids))"
	local c
	c=$(cgroup_subdirs "$CD_NS")
	[[ -z $c ]] || fail "cgroup dirs left: $c"
	c=$(awk -v p="$CD/state/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo)
	[[ -z $c ]] || fail "mounts left: $c"
}

_cd_shims() { pids_cmdline_has "$CD_SOCK"; }

cd_cleanup() {
	[[ -n ${CD:-} && -d $CD ]] || return 0
	local id p d
	if [[ -n ${CD_PID:-} ]] && pid_alive "$CD_PID"; then
		for id in $(ctr_ tasks ls -q 2>/dev/null); do
			ctr_ tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
		done
		for id in $(ctr_ tasks ls -q 2>/dev/null); do
			ctr_ tasks delete -f "$id" >/dev/null 2>&1
		done
		for id in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ containers delete "$id" >/dev/null 2>&1
		done
		ctr_ images rm "$CALLERS_IMAGE" >/dev/null 2>&1
		kill -TERM "$CD_PID" 2>/dev/null
		wait_for 10 pid_gone "$CD_PID" || kill -KILL "$CD_PID" 2>/dev/null
		wait "$CD_PID" 2>/dev/null
	fi
	for d in "$RT_ROOT"/*/*; do
		[[ -d $d ]] || continue
		echo "cleanup: runtime state left: $d" >&2
		timeout -k 2 10 "$RUNTIME" --root "${d%/*}" delete --force "${d##*/}" >/dev/null 2>&1
	done
	callers_kill_leftovers $(_cd_shims)
	# A killed shim leaves its socket: /run/containerd/s/sha256(ADDRESS/NAMESPACE/ID).
	for id in $(awk '{ print $NF }' "$ARGV_LOG" 2>/dev/null | sort -u); do
		p=/run/containerd/s/$(printf '%s' "$CD_SOCK/$CD_NS/$id" | sha256sum | cut -d' ' -f1)
		[[ -S $p ]] && echo "cleanup: removing shim socket $p" >&2 && rm -f "$p"
	done
	callers_rm_cgroups "$CD_NS"
	return 0
}

# ---------------------------------------------------------------------------------------
# freezer_of PID: frozen | thawed, from the freezer of PID's cgroup (v1 freezer.state or
# v2 cgroup.freeze); '' when unknown
freezer_of() {
	local p v
	p=$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$1/cgroup" 2>/dev/null)
	if [[ -n $p && -r /sys/fs/cgroup/freezer$p/freezer.state ]]; then
		v=$(<"/sys/fs/cgroup/freezer$p/freezer.state")
		case $v in FROZEN) echo frozen ;; THAWED) echo thawed ;; *) echo "$v" ;; esac
		return
	fi
	p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup" 2>/dev/null)
	if [[ -n $p && -r /sys/fs/cgroup$p/cgroup.freeze ]]; then
		[[ $(<"/sys/fs/cgroup$p/cgroup.freeze") == 1 ]] && echo frozen || echo thawed
	fi
}

# ---------------------------------------------------------------------------------------
# Resources (issue 6): cgroup limits set through the engines, OOM kills, update, stats

# callers_hog DIR: DIR/hog (mounted read-only into containers as /hog/hog), compiled with
# gcc -static; skips the test when that is impossible (a shell growing a string instead
# needs up to twice the memory it ends with: the checks under the limit could not pass).
callers_hog() {
	mkdir -p "$1"
	command -v gcc >/dev/null || skip "no gcc to build a static memory hog"
	gcc -static -O2 -o "$1/hog" "$IT_DIR/lib/hog.c" 2>"$T/gcc.err" ||
		skip "gcc -static of the memory hog failed: $(head -c 300 "$T/gcc.err")"
}

# cg_path PID CONTROLLER: PID's cgroup path in the v1 hierarchy of CONTROLLER, else in
# the v2 one (as /proc/PID/cgroup has it)
cg_path() {
	awk -F: -v c="$2" '
		$1 == "0" { v2 = $3 }
		{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; found = 1; exit } }
		END { if (!found && v2 != "") print v2 }' "/proc/$1/cgroup" 2>/dev/null
}

# cg_file PID CONTROLLER FILE: the host path of FILE in PID's cgroup of CONTROLLER (v1
# hierarchy /sys/fs/cgroup/CONTROLLER, else the v2 one); '' when there is none.
cg_file() {
	local p
	p=$(cg_path "$1" "$2")
	if [[ -n $p && -d /sys/fs/cgroup/$2 && -e /sys/fs/cgroup/$2${p%/}/$3 ]]; then
		echo "/sys/fs/cgroup/$2${p%/}/$3"
		return
	fi
	p=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup" 2>/dev/null)
	[[ -n $p && -e /sys/fs/cgroup${p%/}/$3 ]] && echo "/sys/fs/cgroup${p%/}/$3"
	return 0
}

# cg_read PID CONTROLLER FILE: cg_file's content ('' when there is none)
cg_read() {
	local f
	f=$(cg_file "$@")
	[[ -n $f ]] && cat "$f" 2>/dev/null
	return 0
}

# cg_limits PID: "MEMORY-LIMIT CPU-QUOTA CPU-PERIOD" of PID's cgroups, from the host (v1:
# memory.limit_in_bytes, cpu.cfs_quota_us, cpu.cfs_period_us; v2: memory.max, cpu.max)
cg_limits() {
	local m q p
	m=$(cg_read "$1" memory memory.limit_in_bytes)
	[[ -n $m ]] || m=$(cg_read "$1" memory memory.max)
	q=$(cg_read "$1" cpu cpu.cfs_quota_us)
	p=$(cg_read "$1" cpu cpu.cfs_period_us)
	[[ -n $q ]] || read -r q p < <(cg_read "$1" cpu cpu.max)
	echo "$m $q $p"
}

# The same seen from inside a container whose /sys/fs/cgroup is its own (v1: per
# controller, v2: a cgroup namespace), as a command for sh.
# shellcheck disable=SC2034 # (used by t-podman.sh)
CALLERS_CG_LIMITS_INSIDE='c=/sys/fs/cgroup
if [ -e $c/memory/memory.limit_in_bytes ]; then
	echo "$(cat $c/memory/memory.limit_in_bytes) $(cat $c/cpu/cpu.cfs_quota_us) $(cat $c/cpu/cpu.cfs_period_us)"
else
	echo "$(cat $c/memory.max) $(cat $c/cpu.max)"
fi'

# Two busy loops for a second, in the background and in the foreground (for sh -c)
# shellcheck disable=SC2034 # (used by t-podman.sh, t-containerd.sh)
CALLERS_BUSY_LOOPS='timeout 1 sh -c "while :; do :; done" & timeout 1 sh -c "while :; do :; done"; wait'

# cg_assert_throttled PID THR0 CPU0: after CALLERS_BUSY_LOOPS under --cpus 0.5 (nr_throttled
# and cpuacct.usage were THR0 and CPU0 before), the cgroup was throttled and kept the loops
# under ~0.9 s of CPU. On a host too loaded to give the loops the quota's 0.5 s in their
# second, throttling cannot show: then only the upper bound is checked (and said).
cg_assert_throttled() {
	local pid=$1 thr0=$2 cpu0=$3 thr1 cpu1 used
	thr1=$(cg_keyed "$pid" cpu cpu.stat nr_throttled)
	cpu1=$(cg_read "$pid" cpuacct cpuacct.usage)
	assert_match "$thr0 $thr1" '^[0-9]+ [0-9]+$' "cpu.stat nr_throttled (host)"
	assert_match "$cpu0 $cpu1" '^[0-9]+ [0-9]+$' "cpuacct.usage (host)"
	used=$((cpu1 - cpu0))
	((used < 900000000)) || fail "two busy loops for 1 s under --cpus 0.5 used $used ns of CPU"
	if ((used < 450000000)); then
		echo "busy loops got $((used / 1000000)) ms of CPU in their second (loaded host): throttling not checked"
		return 0
	fi
	((thr1 > thr0)) || fail "busy loops under --cpus 0.5 used $((used / 1000000)) ms of CPU and were never throttled" \
		"(nr_throttled $thr0 -> $thr1; cpu.stat: $(cg_read "$pid" cpu cpu.stat | tr '\n' ' '))"
}

# cg_keyed PID CONTROLLER FILE KEY: KEY's value in a "key value" file of PID's cgroup
# (cpu.stat nr_throttled, memory.oom_control / memory.events oom_kill)
cg_keyed() {
	cg_read "$1" "$2" "$3" | awk -v k="$4" '$1 == k { print $2; exit }'
}

# cg_oom_kills PID: OOM kills in PID's memory cgroup so far (v1 memory.oom_control,
# v2 memory.events); '' when the kernel does not count them
cg_oom_kills() {
	local n
	n=$(cg_keyed "$1" memory memory.oom_control oom_kill)
	[[ -n $n ]] || n=$(cg_keyed "$1" memory memory.events oom_kill)
	echo "$n"
}

# rt_stats_check MSG RUNTIME-ARGS...: the runtime's `events --stats` (runc's JSON shape)
# for a container an engine made; sets STATS ("LIMIT USAGE CPU-NS PIDS"); fails unless it
# is one stats event for that id.
rt_stats_check() {
	local msg=$1 id=${*: -1} out
	shift
	out=$(timeout -k 2 10 "$WRAPPER" "$@" 2>"$T/stats.err") || fail "$msg: runtime $* failed: $(head -c 300 "$T/stats.err")"
	[[ $(jq -r '"\(.type) \(.id)"' <<<"$out" 2>&1) == "stats $id" ]] || fail "$msg: not a stats event for $id: ${out:0:300}"
	# shellcheck disable=SC2034 # (read by the tests)
	STATS=$(jq -r '[.data.memory.usage.limit, .data.memory.usage.usage, .data.cpu.usage.total,
		.data.pids.current] | map(tostring) | join(" ")' <<<"$out" 2>&1)
}
