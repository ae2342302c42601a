# shellcheck shell=bash
# Published container-escape scenarios (runc's and crun's advisories), replayed against the
# runtime. Each test checks the HOST afterwards (files and directories outside the rootfs,
# /proc/self/mountinfo, the runtime's binary) and, where it can, that the attack's setup is
# really live: the symlink exists and points at the host path, a naive path-based runtime
# would have landed outside the rootfs, the racer really swapped, the attacker really ran.
# Refusing a hostile bundle is always an acceptable outcome; touching the host never is.
#
# Scenarios:
#   CVE-2021-30465  symlink-exchange race on mount destinations (also CVE-2024-45310:
#                   runtime-created files/dirs on the host)
#   CVE-2019-16884, CVE-2019-19921, CVE-2023-27561  /proc (and /sys) as a symlink
#   mount destinations with .. and through absolute symlinks, devices with .., masked and
#   readonly paths through symlinks, CVE-2025-31133 (/dev/null replaced by a symlink)
#   CVE-2024-21626  process.cwd /proc/self/fd/N (config, symlink, exec --cwd), leaked fds
#   CVE-2024-21626-like: --preserve-fds N beyond the descriptors really passed
#   CVE-2019-5736   the container overwriting the runtime's binary through /proc/PID/exe
#   linux.sysctl writing the host's (non-namespaced, or not unshared) kernel parameters
# shellcheck source=lib/attacks.sh
source "$IT_DIR/lib/attacks.sh"

# ---------------------------------------------------------------------------------------
# CVE-2021-30465: mount destinations whose components are swapped between a directory and
# a symlink to a host directory while containers are being created.

test_cve_2021_30465_symlink_exchange_race() {
	build_helper swap-race
	mk_bundle --copy-rootfs
	local r=$BUNDLE/rootfs host=$T/host-target
	mk_host_target "$host"
	mkdir -p "$r/mnt/vol/x" "$T/src"
	ln -s "$host" "$r/mnt/vol/x-link"
	echo bind-source >"$T/src/f"
	echo bind-file >"$T/srcfile"
	assert_symlink "$r/mnt/vol/x-link" "$host"
	# Live setup: resolved on the host (what a runtime that mkdirs/mounts by path string
	# does), the destination below the symlink creates entries in the host directory.
	naive_mkdir_escapes "$r" /mnt/vol/x-link/probe "$host" ||
		fail "attack setup: a path-based mkdir through the symlink did not reach $host"
	assert_host_target_intact "$host" "host target after the naive probe"
	# Many mounts at and below the raced component: a tmpfs on it, a directory bind mount
	# two levels below (mkdir -p), a file bind mount (creates the mount point file).
	cfg '.mounts += [
		{"destination": "/mnt/vol/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/mnt/vol/x/d1/d2", "type": "bind", "source": $s, "options": ["rbind"]},
		{"destination": "/mnt/vol/x/f", "type": "bind", "source": $f, "options": ["bind"]},
		{"destination": "/mnt/vol/x/t2", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]' \
		--arg s "$T/src" --arg f "$T/srcfile"
	set_args true
	"$T/swap-race" "$r/mnt/vol/x" "$r/mnt/vol/x-link" "$T/stop-race" >"$T/race.out" 2>&1 &
	local racer=$! n=${ATTACK_RACE_CONTAINERS:-120} par=4 i j ok=0 failed=0
	for ((i = 0; i < n; i += par)); do
		for ((j = i; j < i + par && j < n; j++)); do
			(
				id=$(cid "race$j")
				if rt create --bundle "$BUNDLE" "$id" >/dev/null 2>"$T/race$j.err" </dev/null; then
					rt delete --force "$id" >/dev/null 2>&1
					echo ok >"$T/race$j.res"
				else
					echo failed >"$T/race$j.res"
				fi
			) &
			printf '%s\n' "$(cid "race$j")" >>"$T/.ids"
		done
		wait_children_except "$racer"
	done
	touch "$T/stop-race"
	wait "$racer"
	local swaps
	read -r swaps _ <"$T/race.out"
	ok=$(cat "$T"/race*.res 2>/dev/null | grep -c '^ok$')
	failed=$(cat "$T"/race*.res 2>/dev/null | grep -c '^failed$')
	echo "racer: $(cat "$T/race.out"); creates: $ok ok, $failed failed"
	[[ ${swaps:-0} -gt 100 ]] || fail "the racer swapped only ${swaps:-0} times: the race did not run"
	# Both layouts were hit: some creates succeeded (a directory), some saw the symlink.
	((ok > 0)) || fail "no create succeeded during the race: $(head -c 300 "$T/race0.err")"
	assert_host_target_intact "$host" "host directory behind the raced symlink"
	[[ -z $(host_mounts_under "$T/src" "$T/srcfile" "$r") ]] ||
		fail "mounts left on the host: $(host_mounts_under "$T/src" "$T/srcfile" "$r")"
	assert_eq bind-file "$(cat "$T/srcfile")" "bind source file"
	assert_eq "f" "$(ls -A "$T/src" | tr '\n' ' ' | sed 's/ $//')" "bind source directory"
}

# wait_children_except PID: wait for every background job but PID
wait_children_except() {
	local p
	for p in $(jobs -p); do
		[[ $p == "$1" ]] || wait "$p"
	done
}

# ---------------------------------------------------------------------------------------
# CVE-2019-16884 / CVE-2019-19921 / CVE-2023-27561: /proc is a symlink in the rootfs.

# proc_symlink_case LINK_TARGET HOSTDIR: rootfs/proc -> LINK_TARGET; create must fail, or
# the container's /proc must be a real procfs on a real directory; HOSTDIR untouched.
proc_symlink_case() {
	local target=$1 host=$2 id
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "$target" "$BUNDLE/rootfs/proc"
	assert_symlink "$BUNDLE/rootfs/proc" "$target"
	set_args sh -c '[ -L /proc ] && echo PROC-IS-SYMLINK; stat -f -c %T /proc/self/; ls /proc/ | grep -c "^[0-9]"; ls -A / | tr "\n" " "'
	id=$(cid "proc$RANDOM")
	run_ctr "$id"
	echo "run rc=$RC out=$OUT err=$ERR"
	if [[ $RC == 0 ]]; then
		assert_not_contains "$OUT" PROC-IS-SYMLINK "the container's /proc"
		assert_eq proc "$(sed -n 1p <<<"$OUT")" "filesystem type of the container's /proc"
		assert_not_contains "$OUT" HOST-MARKER "the container's /"
	else
		assert_not_contains "$OUT" HOST-MARKER "output of the refused container"
		if is_myrt; then
			assert_contains "$ERR" "proc" "myrt's error"
			assert_eq 1 "$(wc -l <"$T/err")" "myrt's error is one line"
		fi
		# runc's words, which runc's own suite matches (mounts.bats).
		[[ $RUNTIME_KIND == crun ]] || assert_contains "$ERR" "must be mounted on ordinary directory" "the error"
	fi
	assert_host_target_intact "$host" "host directory the rootfs's /proc points at"
	assert_no_leftovers "$id"
}

test_cve_2019_19921_proc_symlink_to_host_dir() {
	mk_bundle --copy-rootfs
	mk_host_target "$T/hostproc"
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "$T/hostproc" "$BUNDLE/rootfs/proc"
	naive_realpath_outside "$BUNDLE/rootfs" /proc || fail "attack setup: rootfs/proc does not lead out"
	proc_symlink_case "$T/hostproc" "$T/hostproc"
}

test_cve_2019_19921_proc_symlink_escaping_root() {
	# ../../.. from rootfs/ is above the rootfs: the bundle dir, $T, /tmp.
	mk_bundle --copy-rootfs
	mk_host_target "$T/hostproc"
	echo "host-marker-$TAG" >"$BUNDLE/HOST-MARKER"
	ln -s "$T/hostproc" "$BUNDLE/rootfs/../hostproc-link"
	proc_symlink_case "../hostproc-link" "$T/hostproc"
	naive_realpath_outside "$BUNDLE/rootfs" /proc || fail "attack setup: rootfs/proc does not lead out"
	proc_symlink_case "../../../../../../../../..$T/hostproc" "$T/hostproc"
	naive_realpath_outside "$BUNDLE/rootfs" /proc || fail "attack setup: rootfs/proc does not lead out"
	assert_eq "host-marker-$TAG" "$(cat "$BUNDLE/HOST-MARKER")" "marker in the bundle dir"
}

test_cve_2023_27561_proc_symlink_into_volume() {
	# The image makes /proc a symlink into a volume the attacker controls (and fills with a
	# fake /proc/self/attr, /proc/sys...): procfs must not be mounted into the volume, and
	# nothing of the volume may stand in for /proc.
	mk_bundle --copy-rootfs
	mk_host_target "$T/vol"
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s /vol "$BUNDLE/rootfs/proc"
	cfg '.mounts = [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind", "rw"]}] + .mounts' \
		--arg v "$T/vol"
	proc_symlink_case /vol "$T/vol"
	# The same with /sys.
	mk_bundle --copy-rootfs
	rm -rf "$BUNDLE/rootfs/sys"
	ln -s /vol "$BUNDLE/rootfs/sys"
	cfg '.mounts = [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind", "rw"]}] + .mounts' \
		--arg v "$T/vol"
	set_args sh -c '[ -L /sys ] && echo SYS-IS-SYMLINK; stat -f -c %T /sys/'
	run_ctr "$(cid sys)"
	echo "run rc=$RC out=$OUT err=$ERR"
	if [[ $RC == 0 ]]; then
		assert_eq sysfs "$(tail -n 1 <<<"$OUT")" "filesystem type of the container's /sys"
	fi
	assert_host_target_intact "$T/vol" "the volume"
}

# ---------------------------------------------------------------------------------------
# Mount destinations with .. and through absolute symlinks.

test_mount_destination_dotdot_escape() {
	with_host_path "/tmp/escape-$TAG" _dotdot_escape
}
_dotdot_escape() {
	mk_bundle --copy-rootfs
	local host=/tmp/escape-$TAG
	mk_host_target "$host"
	# The rootfs is /tmp/myrt-it.X/bundle/rootfs: four levels up is /.
	local dest=../../../../tmp/escape-$TAG
	naive_realpath_outside "$BUNDLE/rootfs" "$dest" || fail "attack setup: $dest stays in the rootfs"
	assert_eq "$host" "$(realpath -m "$BUNDLE/rootfs/$dest")" "attack setup: where a naive runtime mounts"
	cfg '.mounts += [
		{"destination": $d, "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": ($d + "/sub/deeper"), "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]},
		{"destination": ("/" + $d + "/file"), "type": "bind", "source": $f, "options": ["bind"]}]' \
		--arg d "$dest" --arg f "$T/bindfile"
	echo bind-file >"$T/bindfile"
	set_args sh -c "grep -E 'escape-$TAG' /proc/self/mountinfo | cut -d' ' -f5; ls -A /tmp/escape-$TAG/"
	run_ctr "$(cid dotdot)"
	echo "run rc=$RC out=$OUT err=$ERR"
	if [[ $RC == 0 ]]; then
		# Inside: the mounts are at /tmp/escape-TAG of the container.
		assert_contains "$OUT" "/tmp/escape-$TAG/sub/deeper" "the nested tmpfs, seen inside"
		assert_contains "$OUT" "/tmp/escape-$TAG/file" "the file bind mount, seen inside"
		assert_not_contains "$OUT" HOST-MARKER "the tmpfs inside the container"
		[[ -d $BUNDLE/rootfs/tmp/escape-$TAG ]] || fail "the mount point was not made inside the rootfs"
	fi
	assert_host_target_intact "$host" "host /tmp/escape-$TAG"
}

test_mount_destination_is_absolute_symlink() {
	# The destination itself (not a parent) is a symlink in the image, absolute, to a host
	# directory and to a host file: the mount goes on what the link means inside the rootfs.
	mk_bundle --copy-rootfs
	local r=$BUNDLE/rootfs
	mk_host_target "$T/hostdir"
	echo "host-file-$TAG" >"$T/hostfile"
	echo bind-file >"$T/bindfile"
	ln -s "$T/hostdir" "$r/dirlink"
	ln -s "$T/hostfile" "$r/etc/filelink"
	ln -s "$T/nonexistent-$TAG" "$r/danglink"
	assert_symlink "$r/dirlink" "$T/hostdir"
	naive_realpath_outside "$r" /dirlink || fail "attack setup: /dirlink stays in the rootfs"
	cfg '.mounts += [
		{"destination": "/dirlink", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/etc/filelink", "type": "bind", "source": $f, "options": ["bind"]},
		{"destination": "/danglink", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]' \
		--arg f "$T/bindfile"
	set_args sh -c 'cat /etc/filelink; ls -A /dirlink/ | tr "\n" " "; echo; grep -c " tmpfs " /proc/self/mountinfo'
	run_ctr "$(cid abslink)"
	echo "run rc=$RC out=$OUT err=$ERR"
	if [[ $RC == 0 ]]; then
		assert_eq bind-file "$(sed -n 1p <<<"$OUT")" "the file bind mount seen inside"
		assert_not_contains "$OUT" HOST-MARKER "the tmpfs inside"
	fi
	assert_host_target_intact "$T/hostdir"
	assert_host_file_intact "$T/hostfile" "host-file-$TAG"
	[[ ! -e $T/nonexistent-$TAG ]] || fail "the runtime created $T/nonexistent-$TAG on the host"
}

# ---------------------------------------------------------------------------------------
# linux.devices with .., and through symlinked directories.

test_device_path_dotdot_escape() {
	with_host_path "/tmp/evil-dev-$TAG" _device_dotdot
}
_device_dotdot() {
	mk_bundle --copy-rootfs
	local dev=/dev/../../../tmp/evil-dev-$TAG
	naive_realpath_outside "$BUNDLE/rootfs" "$dev" || fail "attack setup: $dev stays in the rootfs"
	cfg '.linux.devices += [{"path": $p, "type": "c", "major": 1, "minor": 3, "fileMode": 438}]' --arg p "$dev"
	set_args sh -c "ls -l /tmp/evil-dev-$TAG 2>&1"
	run_ctr "$(cid devdotdot)"
	echo "run rc=$RC out=$OUT err=$ERR"
	[[ ! -e /tmp/evil-dev-$TAG && ! -L /tmp/evil-dev-$TAG ]] ||
		fail "the device was created on the host: $(ls -l "/tmp/evil-dev-$TAG")"
	# The same with the device under the host's /dev (the bind-mount fallback of user
	# namespaces takes the host's path as the source).
	[[ ! -e /dev/evil-dev-$TAG ]] || fail "/dev/evil-dev-$TAG exists on the host"
}

test_device_path_through_symlinked_dir() {
	# No /dev tmpfs: the image's /dev is used, and /dev/sub is a symlink to a host dir.
	mk_bundle --copy-rootfs
	local r=$BUNDLE/rootfs
	mk_host_target "$T/hostdev"
	ln -s "$T/hostdev" "$r/dev/sub"
	ln -s "$T/hostdev/node" "$r/dev/evil-node"
	cfg '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .linux.devices += [
			{"path": "/dev/sub/node", "type": "c", "major": 1, "minor": 3, "fileMode": 438},
			{"path": "/dev/evil-node", "type": "c", "major": 1, "minor": 5, "fileMode": 438}]'
	set_args sh -c 'ls -l /dev/sub/node /dev/evil-node 2>&1'
	run_ctr "$(cid devlink)"
	echo "run rc=$RC out=$OUT err=$ERR"
	assert_host_target_intact "$T/hostdev" "host directory behind /dev/sub"
}

# ---------------------------------------------------------------------------------------
# maskedPaths / readonlyPaths through symlinks to host files.

test_masked_path_symlink_to_host_file() {
	mk_bundle --copy-rootfs
	local r=$BUNDLE/rootfs
	echo "host-secret-$TAG" >"$T/hostfile"
	mk_host_target "$T/hostdir"
	echo "host-secret-$TAG" >"$T/hostdir/secret"
	rm -f "$T/hostdir/HOST-MARKER"
	echo "host-marker-$TAG" >"$T/hostdir/HOST-MARKER"
	ln -s "$T/hostfile" "$r/etc/masklink"
	ln -s "$T/hostdir" "$r/etc/maskdir"
	naive_realpath_outside "$r" /etc/masklink || fail "attack setup"
	cfg '.linux.maskedPaths += ["/etc/masklink", "/etc/maskdir/secret", "/etc/maskdir"]'
	set_args sh -c 'echo written > /etc/masklink 2>/dev/null; echo written > /etc/maskdir/secret 2>/dev/null; echo end'
	run_ctr "$(cid masklink)"
	echo "run rc=$RC out=$OUT err=$ERR"
	assert_host_file_intact "$T/hostfile" "host-secret-$TAG"
	assert_host_file_intact "$T/hostdir/secret" "host-secret-$TAG"
	assert_eq "HOST-MARKER secret" "$(ls -A "$T/hostdir" | tr '\n' ' ' | sed 's/ $//')" "host dir entries"
	[[ -z $(host_mounts_under "$T/hostdir") ]] || fail "mounted on the host: $(host_mounts_under "$T/hostdir")"
}

test_readonly_path_symlink_to_host_dir() {
	mk_bundle --copy-rootfs
	local r=$BUNDLE/rootfs
	mk_host_target "$T/hostro"
	ln -s "$T/hostro" "$r/rolink"
	ln -s "$T/hostro" "$r/etc/rolink2"
	cfg '.linux.readonlyPaths += ["/rolink", "/etc/rolink2/HOST-MARKER"]'
	set_args true
	run_ctr "$(cid rolink)"
	echo "run rc=$RC err=$ERR"
	assert_host_target_intact "$T/hostro"
	touch "$T/hostro/still-writable" || fail "the host directory became read-only"
	rm -f "$T/hostro/still-writable"
	touch "$T/hostro/HOST-MARKER" || fail "the host marker became read-only"
}

test_cve_2025_31133_dev_null_symlink_for_masking() {
	# Masking bind-mounts /dev/null; the image replaces it by a symlink to a global sysctl.
	# The masked path must not become a writable handle on that sysctl.
	local sysctl=/proc/sys/kernel/printk_ratelimit_burst
	[[ -w $sysctl ]] || skip "$sysctl not writable on this host"
	local before
	before=$(cat "$sysctl")
	mk_bundle --copy-rootfs
	rm -f "$BUNDLE/rootfs/dev/null"
	ln -s "$sysctl" "$BUNDLE/rootfs/dev/null"
	# /proc/sys stays read-only (as in every real config): the container cannot write the
	# sysctl directly; the masked paths must not give it another way.
	cfg '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .linux.maskedPaths = ["/proc/keys", "/proc/timer_list"]
		| .linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"]'
	set_args sh -c "echo 76 > $sysctl 2>/dev/null && echo DIRECT-WRITE-WORKED; echo 77 > /proc/keys 2>/dev/null; echo 78 > /proc/timer_list 2>/dev/null; head -c 40 /proc/keys; echo"
	run_ctr "$(cid devnull)"
	local after
	after=$(cat "$sysctl")
	[[ $after == "$before" ]] || {
		echo "$before" >"$sysctl"
		fail "CVE-2025-31133: the container wrote the host's $sysctl through a masked path ($before -> $after)"
	}
	echo "run rc=$RC out=$OUT err=$ERR"
	# Masking must not silently expose something else (the symlink's target).
	if [[ $RC == 0 ]]; then
		assert_not_contains "$OUT" DIRECT-WRITE-WORKED "control: /proc/sys is read-only"
		assert_eq "" "$(sed -n 1p <<<"$OUT")" "content of masked /proc/keys when the image's /dev/null is a symlink to $sysctl (the mask shows the symlink's target)"
	fi
}

# ---------------------------------------------------------------------------------------
# CVE-2024-21626: a working directory through a leaked descriptor.

# put HOST-MARKER files in the directories the runtime might have open
cwd_markers() {
	local d
	for d in "$T" "$T/state" "$ROOT" "$BUNDLE"; do
		echo "host-marker-$TAG" >"$d/HOST-MARKER-$TAG"
	done
}
CWD_PROBE='pwd -P; ls -a . .. ../.. 2>&1 | tr "\n" " "'
# assert_cwd_contained WHAT: $OUT shows nothing of the host's directories
assert_cwd_contained() {
	local bad
	for bad in "HOST-MARKER-$TAG" cgroup.procs exec.fifo state.json config.json; do
		assert_not_contains "$OUT" "$bad" "$1 (sees a host directory)"
	done
}

test_cve_2024_21626_cwd_proc_self_fd() {
	mk_bundle
	cwd_markers
	# Control: started in one of those directories, the probe does show the marker.
	OUT=$(cd "$ROOT" && sh -c "$CWD_PROBE" 2>&1)
	assert_contains "$OUT" "HOST-MARKER-$TAG" "control: the probe run on the host in the state dir"
	set_args sh -c "$CWD_PROBE"
	local n id
	for n in 3 4 5 6 7 8 9 10 11 12; do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		id=$(cid "cwd$n")
		run_ctr "$id"
		echo "cwd /proc/self/fd/$n: rc=$RC out=$OUT err=$ERR"
		assert_cwd_contained "cwd /proc/self/fd/$n"
		assert_not_contains "$ERR" "HOST-MARKER" "error message"
		# create + start too (start runs the process with its own descriptors)
		try_create "$id"
		if [[ $RC == 0 ]]; then
			RC=0
			rt start "$id" >/dev/null 2>&1 </dev/null || RC=$?
			wait_for 10 _stopped_or_gone "$id"
			OUT=$(cat "$T/$id.out")
			assert_cwd_contained "create+start with cwd /proc/self/fd/$n"
			rt delete --force "$id" >/dev/null 2>&1
		fi
		assert_no_leftovers "$id"
	done
}
_stopped_or_gone() { [[ $(state_field "$1" status) == stopped || ! -e $ROOT/$1 ]]; }

test_cve_2024_21626_cwd_symlink_to_proc_self_fd() {
	mk_bundle --copy-rootfs
	cwd_markers
	local n id
	for n in 3 5 7 9; do
		ln -sfn "/proc/self/fd/$n" "$BUNDLE/rootfs/work$n"
		ln -sfn "../proc/self/fd/$n" "$BUNDLE/rootfs/relwork$n"
	done
	set_args sh -c "$CWD_PROBE"
	for n in 3 5 7 9; do
		for c in "/work$n" "/relwork$n" "/work$n/.." "/work$n/../.."; do
			cfg '.process.cwd = $c' --arg c "$c"
			id=$(cid "cwdl$n")
			run_ctr "$id"
			echo "cwd $c: rc=$RC out=$OUT err=$ERR"
			assert_cwd_contained "cwd $c (symlink to /proc/self/fd/$n)"
			assert_no_leftovers "$id"
		done
	done
}

test_cve_2024_21626_exec_cwd() {
	mk_bundle --copy-rootfs
	cwd_markers
	ln -s /proc/self/fd/7 "$BUNDLE/rootfs/worklink"
	set_args sleep 1000
	local id n c
	id=$(cid execcwd)
	create_ok "$id"
	start_ok "$id"
	for n in 3 4 5 6 7 8 9 10; do
		for c in "/proc/self/fd/$n" "/proc/self/fd/$n/.." "/proc/1/fd/$n"; do
			RC=0
			rt exec --cwd "$c" "$id" sh -c "$CWD_PROBE" >"$T/out" 2>"$T/err" </dev/null || RC=$?
			OUT=$(cat "$T/out")
			echo "exec --cwd $c: rc=$RC out=$OUT err=$(cat "$T/err")"
			assert_cwd_contained "exec --cwd $c"
		done
	done
	RC=0
	rt exec --cwd /worklink "$id" sh -c "$CWD_PROBE" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	OUT=$(cat "$T/out")
	assert_cwd_contained "exec --cwd /worklink (symlink to /proc/self/fd/7)"
	# --process with a cwd
	jq -n --arg c /proc/self/fd/5 --arg p "$CWD_PROBE" \
		'{args: ["sh", "-c", $p], cwd: $c, env: ["PATH=/bin:/usr/bin"], user: {uid: 0, gid: 0}}' >"$T/process.json"
	RC=0
	rt exec --process "$T/process.json" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	OUT=$(cat "$T/out")
	assert_cwd_contained "exec --process with cwd /proc/self/fd/5"
}

# ---------------------------------------------------------------------------------------
# Descriptors inherited from the caller, or opened by the runtime, never reach the container.

# The shell lists its own descriptors with a child ls writing straight to stdout: no pipe
# (a pipeline or $(...) would add the shell's end of a pipe to what it sees).
FD_PROBE='echo FDS; ls /proc/$$/fd; echo END; ls -l /proc/$$/fd; [ -e /proc/$$/fd/9 ] && echo FD9-EXISTS; ls /proc/$$/fd/8/ 2>/dev/null | head -n 3; true'

# assert_only_stdio_fds WHAT [EXTRA]: the probe saw 0 1 2 (and EXTRA, e.g. "3 ")
assert_only_stdio_fds() {
	local fds
	fds=$(sed -n '/^FDS$/,/^END$/p' <<<"$OUT" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ')
	assert_eq "0 1 2 ${2:-}" "$fds" "$1: the process's descriptors (ls -l: $(grep -- '->' <<<"$OUT" | sed 's/.* \([0-9]*\) -> /\1->/' | tr '\n' ' '))"
	assert_not_contains "$OUT" FD9-EXISTS "$1"
	assert_not_contains "$OUT" "HOST-MARKER" "$1"
}

test_inherited_fds_run() {
	mk_bundle
	echo "host-marker-$TAG" >"$T/HOST-MARKER-$TAG"
	echo preserved >"$T/preserved"
	set_args sh -c "$FD_PROBE"
	# Control: the probe does see descriptors a process inherits.
	OUT=$(sh -c "$FD_PROBE" 9<"$T/HOST-MARKER-$TAG" 8<"$T" </dev/null 2>&1)
	assert_contains "$OUT" FD9-EXISTS "control: the probe run on the host with fd 9 open"
	assert_contains "$OUT" "HOST-MARKER-$TAG" "control: the probe listing fd 8 on the host"
	local id
	id=$(cid fdrun)
	RC=0
	# 9: a host file, 8: a host directory, 42 and 200: more of them
	rt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null \
		9<"$T/HOST-MARKER-$TAG" 8<"$T" 42<"$T" 200</ || RC=$?
	OUT=$(cat "$T/out")
	echo "$OUT"
	assert_rc 0 "run"
	assert_only_stdio_fds "run with fds 8, 9, 42, 200 open in the caller"
	# With --preserve-fds 1 only fd 3 is added.
	RC=0
	rt run --bundle "$BUNDLE" --preserve-fds 1 "$id" >"$T/out" 2>"$T/err" </dev/null \
		3<"$T/preserved" 9<"$T/HOST-MARKER-$TAG" 8<"$T" || RC=$?
	OUT=$(cat "$T/out")
	assert_rc 0 "run --preserve-fds 1"
	assert_only_stdio_fds "run --preserve-fds 1" "3 "
}

test_inherited_fds_create_start() {
	mk_bundle
	echo "host-marker-$TAG" >"$T/HOST-MARKER-$TAG"
	echo preserved >"$T/preserved"
	set_args sh -c "$FD_PROBE"
	local id
	id=$(cid fdcs)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/$id.out" 2>"$T/$id.err" </dev/null \
		9<"$T/HOST-MARKER-$TAG" 8<"$T" 42<"$T" || fail "create: $(cat "$T/$id.err")"
	local pid
	pid=$(init_pid "$id") || exit 1
	# Before start, the waiting init holds only what it needs (no directory of the host).
	local f l extra=''
	for f in /proc/"$pid"/fd/*; do
		[[ ${f##*/} -gt 2 ]] || continue # its stdio is create's
		l=$(readlink "$f")
		case $l in
			"$ROOT/$id/"*) ;; # its exec.fifo
			"$T"* | /) extra+="${f##*/}->$l " ;;
		esac
	done
	[[ -z $extra ]] || fail "the created init holds host descriptors: $extra"
	rt start "$id" >/dev/null 2>"$T/start.err" </dev/null 9<"$T/HOST-MARKER-$TAG" 8<"$T" ||
		fail "start: $(cat "$T/start.err")"
	wait_for_status "$id" stopped
	OUT=$(cat "$T/$id.out")
	echo "$OUT"
	assert_only_stdio_fds "create+start with fds 8, 9, 42 open in the caller"
}

test_inherited_fds_exec() {
	mk_bundle
	echo "host-marker-$TAG" >"$T/HOST-MARKER-$TAG"
	echo preserved >"$T/preserved"
	set_args sleep 1000
	local id
	id=$(cid fdexec)
	create_ok "$id"
	start_ok "$id"
	RC=0
	rt exec "$id" sh -c "$FD_PROBE" >"$T/out" 2>"$T/err" </dev/null 9<"$T/HOST-MARKER-$TAG" 8<"$T" 42</ || RC=$?
	OUT=$(cat "$T/out")
	echo "$OUT"
	assert_rc 0 "exec"
	assert_only_stdio_fds "exec with fds 8, 9, 42 open in the caller"
	RC=0
	rt exec --preserve-fds 1 "$id" sh -c "$FD_PROBE" >"$T/out" 2>"$T/err" </dev/null \
		3<"$T/preserved" 9<"$T/HOST-MARKER-$TAG" 8<"$T" || RC=$?
	OUT=$(cat "$T/out")
	assert_rc 0 "exec --preserve-fds 1"
	assert_only_stdio_fds "exec --preserve-fds 1" "3 "
	# The container's init (pid 1) holds nothing either.
	RC=0
	rt exec "$id" sh -c 'ls /proc/1/fd | sort -n | tr "\n" " "' >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_eq "0 1 2 " "$(cat "$T/out")" "the container init's descriptors"
}

# ---------------------------------------------------------------------------------------
# CVE-2019-5736: overwriting the runtime's binary from inside the container.

# attack_result: wait for the attacker's verdict in $CTL, print its log
attack_result() {
	wait_for 40 test -e "$CTL/done" || {
		[[ -p $BUNDLE/rootfs/preload-fifo ]] && timeout 2 sh -c "echo > '$BUNDLE/rootfs/preload-fifo'"
		fail "the attacker did not finish: $(cat "$CTL/log" 2>/dev/null)"
	}
	cat "$CTL/log"
	! grep -qx NOT-FOUND "$CTL/log" ||
		fail "inconclusive: the attacker never saw a process running the runtime's binary (did the exec of /evil happen?)"
}

test_cve_2019_5736_exec_overwrites_runtime() {
	# The image's /evil is "#!/proc/self/exe": when the runtime's exec process execs it, the
	# kernel runs the runtime's own binary inside the container, where the attacker opens
	# /proc/PID/exe and, once the runtime is gone, writes through it.
	mk_victim
	mk_bundle --copy-rootfs
	add_ctl
	arm_exe_trap "$BUNDLE/rootfs"
	cfg '.process.args = ["/attack", "/mnt", "30"]'
	local id
	id=$(cid exe)
	vrt create --bundle "$BUNDLE" "$id" >"$T/$id.out" 2>"$T/$id.err" </dev/null || fail "create: $(cat "$T/$id.err")"
	vrt start "$id" </dev/null >/dev/null 2>&1 || fail "start failed"
	wait_for 10 test -e "$CTL/scanning" || fail "the attacker did not start: $(cat "$T/$id.err")"
	# Like an exec liveness probe: the same exec, again and again, until the attacker has
	# caught one (a static runtime binary lives for a millisecond in there).
	local i
	for ((i = 1; i <= 50; i++)); do
		vrt exec "$id" /evil >"$T/exec.out" 2>"$T/exec.err" </dev/null
		grep -qs -e '^OPENED' -e '^NOT-FOUND' "$CTL/log" && break
	done
	echo "execs of /evil: $i; the last one said: $(cat "$T/exec.out" "$T/exec.err")"
	attack_result
	local log
	log=$(cat "$CTL/log")
	assert_victim_intact
	assert_not_contains "$log" WROTE "the attacker's log"
	# For the record: did the container get hold of the runtime's binary at all?
	if grep -q "^OPENED" <<<"$log"; then
		echo "NOTE: the container opened /proc/PID/exe of the runtime's binary ($(grep ^OPENED <<<"$log"))"
	fi
}

test_cve_2019_5736_created_init_and_start() {
	# Container A (the attacker) shares its pid namespace with container B. While B is
	# created, A sees B's init (the runtime's binary until exec) and tries to open its exe,
	# environ and mem; then B's process is /evil, which makes B's init exec the runtime's
	# binary again: A must not be able to overwrite it.
	mk_victim
	mk_bundle --copy-rootfs "$T/a"
	local abundle=$BUNDLE
	add_ctl
	arm_exe_trap "$abundle/rootfs"
	cfg '.process.args = ["/attack", "/mnt", "30"]'
	local a b apid bpid
	a=$(cid atk)
	b=$(cid victim)
	vrt create --bundle "$abundle" "$a" >"$T/a.out" 2>"$T/a.err" </dev/null || fail "create A: $(cat "$T/a.err")"
	vrt start "$a" </dev/null >/dev/null 2>&1 || fail "start A failed"
	apid=$(state_field "$a" pid)
	wait_for 10 test -e "$CTL/scanning" || fail "the attacker did not start"
	# B: same rootfs (its /evil), A's pid namespace, no mounts of its own to speak of.
	BUNDLE=$T/b
	mkdir -p "$BUNDLE"
	jq --arg p "/proc/$apid/ns/pid" '.root.path = "../a/rootfs"
		| .mounts |= map(select(.destination != "/mnt"))
		| .linux.namespaces |= map(if .type == "pid" then .path = $p else . end)
		| .process.args = ["/evil"]' "$abundle/config.json" >"$BUNDLE/config.json"
	vrt create --bundle "$BUNDLE" "$b" >"$T/b.out" 2>"$T/b.err" </dev/null || fail "create B: $(cat "$T/b.err")"
	bpid=$(state_field "$b" pid)
	echo "B's init: $bpid, exe -> $(readlink "/proc/$bpid/exe")"
	# From the host, as another user: nothing of the waiting init is readable.
	local what
	for what in environ mem exe cwd root; do
		if setpriv --reuid=65534 --regid=65534 --clear-groups head -c 1 "/proc/$bpid/$what" >/dev/null 2>&1; then
			fail "uid 65534 can read /proc/$bpid/$what of the created init"
		fi
	done
	# Let A scan while B waits: A must have tried B's init (by its pid in A's namespace)
	# and been refused. Then start B.
	local bnspid
	bnspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$bpid/status")
	wait_for 10 grep -qs "^DENIED $bnspid\$" "$CTL/log" ||
		fail "the attacker did not try B's created init (pid $bnspid in its namespace): $(cat "$CTL/log" 2>/dev/null)"
	local log
	log=$(cat "$CTL/log" 2>/dev/null)
	assert_not_contains "$log" OPENED "the attacker, before B started (B's created init must not be openable)"
	vrt start "$b" </dev/null >/dev/null 2>&1 || true
	# Like a restart loop: more containers B, until the attacker has caught one (a static
	# runtime binary lives for a millisecond in there).
	local i
	for ((i = 2; i <= 30; i++)); do
		grep -qs -e '^OPENED' -e '^NOT-FOUND' "$CTL/log" && break
		vrt delete --force "$b" >/dev/null 2>&1 </dev/null
		b=$(cid "victim$i")
		vrt create --bundle "$BUNDLE" "$b" >"$T/b.out" 2>"$T/b.err" </dev/null || fail "create B$i: $(cat "$T/b.err")"
		vrt start "$b" </dev/null >/dev/null 2>&1 || true
	done
	echo "containers B started: $((i - 1))"
	attack_result
	log=$(cat "$CTL/log")
	assert_victim_intact
	assert_not_contains "$log" WROTE "the attacker's log"
}

test_cve_2019_5736_run_parent_visible_without_pidns() {
	# No pid namespace: the container sees the host's processes, among them the runtime's
	# `run` parent and `exec` processes. Their exe (the runtime's binary) must stay out of
	# reach.
	mk_victim
	mk_bundle --copy-rootfs
	add_ctl
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	cat >"$BUNDLE/rootfs/scan.sh" <<EOF
#!/bin/sh
# find processes running the victim binary (by their command line); try to open their
# exe, environ, mem; stop once one was found and tried (or after 20 rounds)
n=0
seen=''
while [ \$n -lt 20 ] && [ -z "\$seen" ]; do
	for p in /proc/[0-9]*; do
		grep -q "$VICTIM" \$p/cmdline 2>/dev/null || continue
		seen=1
		echo "VISIBLE \${p#/proc/}" >>/mnt/log
		for f in exe environ mem; do
			if (exec 3<\$p/\$f) 2>/dev/null; then echo "OPENED \${p#/proc/} \$f" >>/mnt/log; fi
		done
		if (echo x >\$p/exe) 2>/dev/null; then echo "WROTE" >>/mnt/log; fi
	done
	n=\$((n + 1))
done
echo done >/mnt/done
EOF
	chmod 755 "$BUNDLE/rootfs/scan.sh"
	cfg '.process.args = ["/scan.sh"]'
	local id
	id=$(cid nopidns)
	RC=0
	vrt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	local log
	log=$(cat "$CTL/log" 2>/dev/null)
	echo "run rc=$RC; log: $(sort -u <<<"$log" | head -n 20)"
	assert_rc 0 "run of the scanner"
	assert_victim_intact
	assert_contains "$log" VISIBLE "attack setup: the runtime's run process, seen from the container"
	assert_not_contains "$log" OPENED "the scanner (opening /proc/PID/* of the runtime)"
	assert_not_contains "$log" WROTE "the scanner"
	# Whether the parent was visible at all, for the record (readlink needs ptrace access).
	grep -q VISIBLE <<<"$log" && echo "NOTE: the runtime's process was visible: $(grep VISIBLE <<<"$log" | sort -u | head -n 3)"
	true
}

test_cve_2019_5736_created_init_runs_from_read_only_view() {
	# As root, myrt re-executes itself from a private read-only bind mount of its binary
	# (no copy): the created init's exe is the binary itself, on a read-only mount that is
	# attached nowhere.
	is_myrt || skip "myrt's own mechanism"
	mk_victim
	mk_bundle
	set_args true
	local id pid
	id=$(cid rov)
	vrt create --bundle "$BUNDLE" "$id" >/dev/null 2>"$T/err" </dev/null || fail "create: $(cat "$T/err")"
	pid=$(state_field "$id" pid)
	[[ -n $pid ]] || fail "no pid in the state"
	# The mount's root is the file itself, so the link reads "/" (a memfd would read
	# "/memfd:myrt (deleted)").
	assert_eq / "$(readlink "/proc/$pid/exe")" "exe link of the created init"
	cmp -s "/proc/$pid/exe" "$VICTIM" || fail "the created init's exe is not the runtime's binary"
	assert_eq 1 "$(python3 -c 'import os, sys; print(os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY)' "/proc/$pid/exe")" \
		"read-only flag of the mount under /proc/$pid/exe"
	findmnt -rn -o TARGET | grep -qF "$VICTIM" && fail "the read-only view is visible as a mount on the host"
	vrt delete --force "$id" >/dev/null 2>&1 || fail "delete failed"
}

test_cve_2019_5736_view_made_before_libc() {
	# create, run and exec re-execute myrt from its read-only view at its ELF entry point,
	# before the C library starts (cmd/sealed_entry.cpp): the replaced process makes no
	# system call of the C library's start-up (arch_prctl sets up its TLS), and the one
	# re-execution gets the path myrt was run from in _MYRT_ORIGINAL_EXE, a caller's value
	# replaced. state is never re-executed, nor is a myrt on a read-only mount.
	# (strace without -f: only the first process, not the init that create leaves waiting.)
	is_myrt || skip "myrt's own mechanism"
	command -v strace >/dev/null || skip "needs strace"
	mk_victim
	mk_bundle
	set_args sleep 100
	local id tr
	id=$(cid bl)
	tr=$T/strace
	echo "$id" >>"$T/.ids"
	_MYRT_ORIGINAL_EXE=/evil timeout 60 strace -v -s 4096 -o "$tr.create" "$VICTIM" --root "$ROOT" \
		create --bundle "$BUNDLE" "$id" >/dev/null 2>"$T/err" </dev/null || fail "create: $(cat "$T/err")"
	timeout 60 strace -v -s 4096 -o "$tr.exec" "$VICTIM" --root "$ROOT" exec "$id" true </dev/null ||
		fail "exec failed"
	timeout 60 strace -o "$tr.state" "$VICTIM" --root "$ROOT" state "$id" >/dev/null || fail "state failed"
	local f
	for f in create exec; do
		assert_eq 1 "$(grep -c '^execveat(' "$tr.$f")" "re-executions of myrt $f"
		sed -n '/^execve(/,/^execveat(/p' "$tr.$f" | grep -q '^arch_prctl(' &&
			fail "myrt $f started the C library before re-executing itself; its system calls: $(sed -n '/^execve(/,/^execveat(/p' "$tr.$f" | cut -d'(' -f1 | tr '\n' ' ')"
		grep '^execveat(' "$tr.$f" | grep -qF "\"_MYRT_ORIGINAL_EXE=$VICTIM\"" ||
			fail "myrt $f re-executed without _MYRT_ORIGINAL_EXE=$VICTIM: $(grep execveat "$tr.$f")"
		grep '^execveat(' "$tr.$f" | grep -q '_MYRT_ORIGINAL_EXE=/evil' &&
			fail "myrt $f passed on the caller's _MYRT_ORIGINAL_EXE"
	done
	grep -q '^execveat(' "$tr.state" && fail "myrt state re-executed itself"
	# From a read-only mount: already safe, so no re-execution at all.
	mkdir "$T/ro"
	mount --bind "$T/victim" "$T/ro" || fail "bind $T/victim"
	mount -o remount,bind,ro "$T/ro" || { umount "$T/ro"; fail "read-only bind"; }
	RC=0
	timeout 60 strace -o "$tr.ro" "$T/ro/$(basename "$VICTIM")" --root "$ROOT" exec "$id" true </dev/null || RC=$?
	umount "$T/ro"
	assert_rc 0 "exec from a read-only mount"
	grep -q '^execveat(' "$tr.ro" && fail "myrt on a read-only mount re-executed itself"
	vrt delete --force "$id" >/dev/null 2>&1 || fail "delete failed"
}

test_cve_2024_21626_preserve_fds_beyond_open_fds() {
	# --preserve-fds N with fewer than N descriptors actually passed: whatever the runtime
	# itself has open at those numbers (its state dir, the container's cgroup...) must not be
	# handed to the container. Refusing is fine; hanging is not.
	mk_bundle
	echo "host-marker-$TAG" >"$T/HOST-MARKER-$TAG"
	local probe='for n in 3 4 5 6 7 8 9 10 11 12; do l=$(readlink /proc/$$/fd/$n 2>/dev/null) || continue; echo "fd $n -> $l"; if [ -d /proc/$$/fd/$n/ ]; then echo "DIR $n: $(ls /proc/$$/fd/$n/ | tr "\n" " ")"; echo x > /proc/$$/fd/$n/../ESCAPED-'"$TAG"' 2>/dev/null && echo "WROTE through fd $n"; fi; done; echo probe-done'
	set_args sleep 1000
	local id
	id=$(cid pfds)
	create_ok "$id"
	start_ok "$id"
	local how n
	for how in exec:10 exec:1 run:10 run-log:1 create:10; do
		n=${how#*:}
		how=${how%:*}
		RC=0
		(
			for fd in /proc/$BASHPID/fd/*; do
				fd=${fd##*/}
				((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
			done
			case $how in
				exec) IT_RT_TIMEOUT=20 rt exec --preserve-fds "$n" "$id" sh -c "$probe" ;;
				run | run-log)
					BUNDLE=$T/b2
					mk_bundle "$T/b2"
					set_args sh -c "$probe"
					# (--log: the runtime's log file, opened early, is one more of its fds)
					if [[ $how == run-log ]]; then
						IT_RT_TIMEOUT=20 rt --log "$T/rt.log" run --bundle "$BUNDLE" --preserve-fds "$n" "$(cid pfrun)"
					else
						IT_RT_TIMEOUT=20 rt run --bundle "$BUNDLE" --preserve-fds "$n" "$(cid pfrun)"
					fi
					;;
				create)
					BUNDLE=$T/b3
					mk_bundle "$T/b3"
					set_args sh -c "$probe"
					IT_RT_TIMEOUT=20 rt create --bundle "$BUNDLE" --preserve-fds "$n" "$(cid pfcreate)" &&
						IT_RT_TIMEOUT=20 rt start "$(cid pfcreate)" && sleep 1
					;;
			esac
		) >"$T/out" 2>"$T/err" </dev/null || RC=$?
		OUT=$(cat "$T/out")
		how="$how --preserve-fds $n (no fds passed)"
		echo "$how: rc=$RC out=$OUT err=$(cat "$T/err")"
		[[ $RC != 124 && $RC != 137 ]] || fail "$how hung"
		assert_not_contains "$OUT" "WROTE through" "$how: CVE-2024-21626-like escape"
		assert_not_contains "$OUT" "DIR " "$how: a directory descriptor in the container"
		assert_not_contains "$OUT" "$T" "$how: a host path in the container's descriptors"
		[[ -z $(find "$T" -name "ESCAPED-$TAG" 2>/dev/null) ]] ||
			fail "$how: the container wrote $(find "$T" -name "ESCAPED-$TAG")"
		IT_RT_TIMEOUT=20 rt delete --force "$(cid pfcreate)" >/dev/null 2>&1 </dev/null
	done
	# And the container can still be deleted (nothing holds its state dir's lock).
	IT_RT_TIMEOUT=20
	rt delete --force "$(cid pfcreate)" >/dev/null 2>&1 </dev/null
	[[ $? != 124 ]] || fail "delete --force of the --preserve-fds 10 container hung"
}

# ---------------------------------------------------------------------------------------
# linux.sysctl must only touch the container's own namespaces (runc refuses the rest).

test_sysctl_cannot_change_the_host() {
	# key, value to try, namespace the key belongs to ("" = not namespaced at all)
	local cases=(
		"kernel.printk_ratelimit_burst 11 -"
		"kernel.domainname myrt-$TAG uts"
		"kernel.shm_rmid_forced X ipc"
		"net.ipv4.tcp_fin_timeout X network"
	)
	local c key val ns f before after id bad=''
	for c in "${cases[@]}"; do
		read -r key val ns <<<"$c"
		f=/proc/sys/${key//.//}
		[[ -w $f ]] || { echo "skip $key: not on this host"; continue; }
		before=$(cat "$f")
		if [[ $val == X ]]; then
			# a value different from the host's
			[[ $before == 1 ]] && val=0 || val=1
			[[ $key == net.ipv4.tcp_fin_timeout ]] && val=$((before + 1))
		fi
		mk_bundle
		set_args true
		cfg '.linux.sysctl = {($k): $v}' --arg k "$key" --arg v "$val"
		# Without the namespace the key lives in (or any, for a global key).
		if [[ $ns == - ]]; then
			:
		else
			cfg '.linux.namespaces |= map(select(.type != $n))' --arg n "$ns"
			[[ $ns == uts ]] && cfg 'del(.hostname)'
		fi
		id=$(cid "sysctl$RANDOM")
		run_ctr "$id"
		after=$(cat "$f")
		if [[ $after != "$before" ]]; then
			echo "$before" >"$f"
			bad+="$key ($before -> $after, restored); "
		fi
		echo "sysctl $key=$val without ${ns/-/any} namespace: rc=$RC err=$ERR host: $before -> $after"
		assert_no_leftovers "$id"
	done
	[[ -z $bad ]] || fail "linux.sysctl changed the host's kernel parameters: $bad"
	# Control: a net.* sysctl in the container's own network namespace is fine.
	mk_bundle
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args cat /proc/sys/net/ipv4/ip_forward
	run_ok "$(cid sysctlok)"
	assert_eq 1 "$OUT" "net.ipv4.ip_forward in the container's own network namespace"
}
