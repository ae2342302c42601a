# shellcheck shell=bash
# Helpers for the integration tests (sourced by the runner into each test's own bash).
#
# Environment set by ./run (all exported):
#   RUNTIME        absolute path of the runtime binary under test
#   RUNTIME_KIND   myrt | runc | crun | other (from `$RUNTIME --version`)
#   IT_DIR         test/integration
#   REPO           repository root
#   EXAMPLE_ROOTFS absolute path of bundles/example/rootfs (shared, read-only by convention)
#
# Per test (set by it_run_test):
#   T       the test's private temp dir (removed afterwards)
#   ROOT    the runtime's --root (state dir), $T/state/root
#   TAG     unique tag; every container process made by mk_bundle has MYRT_IT_TAG=$TAG in
#           its environment and rt runs the runtime with MYRT_IT_RT=$TAG: that is how
#           leftover processes are found (and only ours: see leftover_pids)
#   BUNDLE  the current bundle dir (set by mk_bundle)
#
# Conventions: a container id is always the LAST argument of rt create/run; ids come from
# `cid NAME` so that they are unique to the test. Containers made through rt create/run are
# killed and force-deleted when the test ends, whatever happened.

IT_RT_TIMEOUT=${IT_RT_TIMEOUT:-30}

# ---------------------------------------------------------------------------------------
# Results

# fail MESSAGE: the test fails with MESSAGE (first failure wins), cleanup runs.
fail() {
	[[ -s $T/.reason ]] || printf '%s\n' "$*" | head -c 2000 | tr '\n' ' ' >"$T/.reason"
	echo "FAIL: $*" >&2
	exit 1
}

# skip REASON: the test is skipped.
skip() {
	printf '%s' "$*" >"$T/.reason"
	echo "SKIP: $*" >&2
	exit 77
}

is_myrt() { [[ $RUNTIME_KIND == myrt ]]; }

# ---------------------------------------------------------------------------------------
# Assertions (MSG is optional context)

assert_eq() { # EXPECTED ACTUAL [MSG]
	[[ $1 == "$2" ]] || fail "${3:+$3: }expected '$1', got '$2'"
}
assert_ne() { # UNEXPECTED ACTUAL [MSG]
	[[ $1 != "$2" ]] || fail "${3:+$3: }did not expect '$2'"
}
assert_contains() { # HAYSTACK NEEDLE [MSG]
	[[ $1 == *"$2"* ]] || fail "${3:+$3: }expected to contain '$2', got '$1'"
}
assert_not_contains() { # HAYSTACK NEEDLE [MSG]
	[[ $1 != *"$2"* ]] || fail "${3:+$3: }expected not to contain '$2', got '$1'"
}
assert_match() { # STRING ERE [MSG]
	[[ $1 =~ $2 ]] || fail "${3:+$3: }expected to match /$2/, got '$1'"
}
assert_rc() { # EXPECTED [MSG]  checks $RC
	[[ $RC == "$1" ]] || fail "${2:+$2: }expected exit status $1, got $RC; stderr: $(tail -c 600 "$T/err" 2>/dev/null)"
}
assert_nonzero() { # [MSG]  checks $RC
	[[ $RC != 0 ]] || fail "${1:+$1: }expected a non-zero exit status, got 0"
}

# ---------------------------------------------------------------------------------------
# Waiting (no bare sleeps: poll a condition with a deadline)

now() { echo "${EPOCHREALTIME/./}"; } # microseconds

# wait_for SECONDS CMD...: true as soon as CMD succeeds, false after SECONDS.
wait_for() {
	local secs=$1
	shift
	local deadline=$(($(now) + ${secs%.*} * 1000000))
	while :; do
		"$@" && return 0
		(($(now) > deadline)) && return 1
		sleep 0.02
	done
}

# wait_for_status ID STATUS [SECONDS=20]
wait_for_status() {
	local id=$1 want=$2 secs=${3:-20}
	_status_is() { [[ $(state_field "$1" status) == "$2" ]]; }
	wait_for "$secs" _status_is "$id" "$want" ||
		fail "container $id: status '$(state_field "$id" status)' after ${secs}s, wanted '$want'"
}

# wait_file_contains FILE TEXT [SECONDS=20]
wait_file_contains() {
	_fc() { grep -qF -- "$2" "$1" 2>/dev/null; }
	wait_for "${3:-20}" _fc "$1" "$2" ||
		fail "timed out waiting for '$2' in $1 (has: $(head -c 300 "$1" 2>/dev/null))"
}

pid_alive() { # PID: exists and is not a zombie
	local st
	[[ -n $1 && -r /proc/$1/stat ]] || return 1
	st=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}
pid_gone() { ! pid_alive "$1"; }

wait_pid_gone() { # PID [SECONDS=20]
	wait_for "${2:-20}" pid_gone "$1" || fail "process $1 still alive after ${2:-20}s"
}

# ---------------------------------------------------------------------------------------
# Runtime

# cid NAME: a container id unique to this test
cid() { echo "it-$TAG-$1"; }

# rt ARGS...: the runtime with this test's --root, under a timeout.
# With create/run the last argument (the id) is remembered for cleanup.
rt() {
	local a cmd=''
	for a in "$@"; do
		[[ $a == -* ]] && continue
		cmd=$a
		break
	done
	if [[ ($cmd == create || $cmd == run) && $# -gt 1 ]]; then
		printf '%s\n' "${!#}" >>"$T/.ids"
	fi
	MYRT_IT_RT=$TAG timeout -k 5 "$IT_RT_TIMEOUT" "$RUNTIME" --root "$ROOT" "$@"
}

# The helpers below call the runtime through ${MRT:-rt}: lib/rootless.sh's use_mode sets
# MRT (and MODE, named in their messages) to run the same test as root or rootless.

# state_field ID FIELD: one field of `state ID` ('' when state fails)
state_field() {
	"${MRT:-rt}" state "$1" 2>/dev/null | jq -r ".$2 // empty" 2>/dev/null
}

# init_pid ID: the pid from `state ID`; fails the test unless it is a live process
init_pid() {
	local p
	p=$(state_field "$1" pid)
	[[ $p =~ ^[1-9][0-9]*$ ]] || fail "state $1: no valid pid ('$p')"
	pid_alive "$p" || fail "state $1: pid $p is not alive"
	echo "$p"
}

# create_ok ID [FLAGS...]: create from $BUNDLE; the container's stdout/stderr go to
# $T/ID.out and $T/ID.err (it inherits create's stdio). Fails the test on error.
create_ok() {
	local id=$1
	shift
	"${MRT:-rt}" create --bundle "$BUNDLE" "$@" "$id" >"$T/$id.out" 2>"$T/$id.err" </dev/null ||
		fail "${MODE:+$MODE }create $id failed (rc $?): $(tail -c 800 "$T/$id.err")"
}

start_ok() { # ID
	"${MRT:-rt}" start "$1" >"$T/start.out" 2>"$T/start.err" </dev/null ||
		fail "${MODE:+$MODE }start $1 failed (rc $?): $(tail -c 800 "$T/start.err")"
}

delete_ok() { # ID [--force]
	"${MRT:-rt}" delete "${@:2}" "$1" >"$T/delete.out" 2>"$T/delete.err" </dev/null ||
		fail "${MODE:+$MODE }delete $1 failed (rc $?): $(tail -c 800 "$T/delete.err")"
}

kill_ok() { # [--all] ID [SIGNAL]
	"${MRT:-rt}" kill "$@" >"$T/kill.out" 2>"$T/kill.err" </dev/null ||
		fail "${MODE:+$MODE }kill $* failed (rc $?): $(tail -c 800 "$T/kill.err")"
}

# create_refused WHAT TEXT ID [OTHER]: create ID from $BUNDLE; it must fail (for myrt: in one
# line containing TEXT, e.g. the JSON path) and leave nothing in the state root but OTHER's
# state (the caller checks processes, cgroups and mounts once OTHER is gone)
create_refused() {
	local what=$1 text=$2 id=$3
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "$what"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err")" "$what: one line on stderr ($(cat "$T/err"))"
		assert_contains "$(cat "$T/err")" "$text" "$what: stderr"
	fi
	[[ ! -e $ROOT/$id ]] || fail "$what: the refused create left its state dir"
	local left
	left=$(ls -A "$ROOT" 2>/dev/null | grep -v -e '^\.' | grep -vxF -e "${4:-/}" || true)
	[[ -z $left ]] || fail "$what: left in the state root: $left"
}

# run_ctr ID [RUN FLAGS...]: `run` the container from $BUNDLE in the foreground.
# Sets RC, OUT (its stdout) and ERR (stderr); they are also in $T/out and $T/err.
# RUN_WITH names the function that runs the runtime (default rt).
run_ctr() {
	local id=$1
	shift
	"${RUN_WITH:-rt}" run --bundle "$BUNDLE" "$@" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(<"$T/out")
	ERR=$(<"$T/err")
}

# run_ok ID: run_ctr and fail unless it exits 0
run_ok() {
	run_ctr "$@"
	[[ $RC == 0 ]] || fail "run $1 exited $RC: stdout: ${OUT:0:500} stderr: ${ERR:0:800}"
}

# run_sh SCRIPT: run `sh -c SCRIPT` in a fresh container from $BUNDLE, must exit 0; sets OUT
_run_seq=0
run_sh() {
	set_args sh -c "$1"
	_run_seq=$((_run_seq + 1))
	run_ok "$(cid "run$_run_seq")"
}

# need_pkg PKG CMD...: make sure CMDs exist, installing PKG with apt-get if needed; skips
# the test when that is impossible.
need_pkg() {
	local pkg=$1 c missing=0
	shift
	for c in "$@"; do command -v "$c" >/dev/null || missing=1; done
	((missing)) || return 0
	echo "installing $pkg" >&2
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "$pkg" >"$T/apt.log" 2>&1 ||
		{ timeout 300 apt-get update >>"$T/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "$pkg" >>"$T/apt.log" 2>&1; } ||
		skip "$pkg is not installed and apt-get install $pkg failed: $(tail -n 2 "$T/apt.log" | tr '\n' ' ')"
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$pkg installed but $c is still missing"
	done
}

# ---------------------------------------------------------------------------------------
# Bundles

# mk_bundle [--copy-rootfs] [DIR]: a bundle at DIR (default $T/bundle) from the example
# config; root.path points at the shared example rootfs (absolute), or with --copy-rootfs
# at a private copy DIR/rootfs (relative path "rootfs") that the test may write to.
# Sets BUNDLE.
mk_bundle() {
	local copy=0
	if [[ ${1:-} == --copy-rootfs ]]; then
		copy=1
		shift
	fi
	BUNDLE=${1:-$T/bundle}
	mkdir -p "$BUNDLE"
	local rootpath=$EXAMPLE_ROOTFS
	if ((copy)); then
		cp -a "$EXAMPLE_ROOTFS" "$BUNDLE/rootfs"
		rootpath=rootfs
	fi
	jq --arg r "$rootpath" --arg tag "$TAG" \
		'.root.path = $r | .process.env += ["MYRT_IT_TAG=" + $tag]' \
		"$REPO/bundles/example/config.json" >"$BUNDLE/config.json" || fail "mk_bundle: jq failed"
}

# cfg JQ-EXPR [JQ ARGS...]: edit $BUNDLE/config.json in place
cfg() {
	local expr=$1
	shift
	jq "$expr" "$@" <"$BUNDLE/config.json" >"$BUNDLE/config.json.new" ||
		fail "cfg: jq failed on: $expr"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args
set_args() { cfg '.process.args = $a' --argjson a "$(json_array "$@")"; }

# json_array STRING...: a JSON array of the strings (jq's --args would eat "-c")
json_array() {
	(($# == 0)) && { echo '[]'; return; }
	printf '%s\x1f' "$@" | jq -Rsc 'split("\u001f") | .[:-1]'
}

# add_ctl: bind-mount a fresh host dir $CTL (mode 1777) at /mnt in the container, to pass
# files both ways without writing to the shared rootfs.
add_ctl() {
	CTL=$T/ctl
	mkdir -p "$CTL"
	chmod 1777 "$CTL"
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
		--arg s "$CTL"
}

# ---------------------------------------------------------------------------------------
# Inspection from the host

# Processes are found by environment: container processes have MYRT_IT_TAG=$TAG (from
# mk_bundle's process.env), and rt runs the runtime with MYRT_IT_RT=$TAG, which its
# helpers inherit (a created container's init has not exec'd yet, a monitor process...).

tagged_pids() { # PIDs of live processes with MYRT_IT_TAG=$TAG (the container's processes)
	_pids_with "MYRT_IT_TAG=$TAG"
}

# PIDs of anything left by this test's containers or runtime calls: container processes,
# and processes with the runtime's tag (excluding this test's own shell and its jobs,
# which never have it).
leftover_pids() {
	_pids_with "MYRT_IT_TAG=$TAG" "MYRT_IT_RT=$TAG" | sort -un
}

_pids_with() { # VAR=VALUE...
	local f p pat=() v
	for v in "$@"; do pat+=(-e "$v"); done
	for f in $(grep -lzxF "${pat[@]}" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		pid_alive "$p" && echo "$p"
	done
	return 0
}

cgroup_dirs_named() { # ID: cgroup directories named ID in any hierarchy
	find /sys/fs/cgroup -maxdepth 8 -type d -name "$1" 2>/dev/null
	return 0
}

# mount points on the host under our paths ($T, the example rootfs, $ROOT)
our_host_mounts() {
	awk -v t="$T" -v r="$EXAMPLE_ROOTFS" '
		index($5, t) == 1 || index($5, r) == 1 || index($4, t) == 1 { print $5 }' /proc/self/mountinfo
}

# assert_no_leftovers ID...: no state dir, no tagged process, no cgroup dir, no mount
assert_no_leftovers() {
	local id p c m
	for id in "$@"; do
		[[ ! -e $ROOT/$id ]] || fail "leftover state dir $ROOT/$id"
		c=$(cgroup_dirs_named "$id")
		[[ -z $c ]] || fail "leftover cgroup dir(s): $c"
	done
	wait_for 10 _no_leftover_pids || fail "leftover processes: $(_pids_desc $(leftover_pids))"
	m=$(our_host_mounts)
	[[ -z $m ]] || fail "leftover mounts on the host: $m"
}
_no_tagged() { [[ -z $(tagged_pids) ]]; }
_no_leftover_pids() { [[ -z $(leftover_pids) ]]; }
_tagged_desc() { _pids_desc $(tagged_pids); }
_pids_desc() { # PID...: "pid(cmdline) ..."
	local p
	for p in "$@"; do printf '%s(%s) ' "$p" "$(tr '\0' ' ' 2>/dev/null </proc/$p/cmdline)"; done
}

# ns_of PID TYPE: e.g. "net:[4026531992]"
ns_of() { readlink "/proc/$1/ns/$2"; }

# ---------------------------------------------------------------------------------------
# Per-test setup / cleanup (called by ./run)

it_run_test() { # FUNCTION
	T=$(mktemp -d /tmp/myrt-it.XXXXXX)
	chmod 755 "$T"
	TAG=${T##*.}
	TAG=${TAG,,}
	# Nested, so that a runtime mishandling an id like ".." only hits $T/state.
	ROOT=$T/state/root
	mkdir -p "$ROOT"
	: >"$T/.ids"
	export T TAG ROOT
	IT_NETNS=()
	IT_LINKS=() # network interfaces the test made on the host (ip link del at the end)
	IT_LOOPS=() # loop devices the test attached (losetup -d at the end)
	IT_PIDS=()    # processes the test started itself (killed by pid at the end)
	IT_CGROUPS=() # cgroup directories the test made (removed at the end, deepest first)
	IT_RESULT_FILE=${IT_RESULT_FILE:-/dev/null}
	trap it_cleanup EXIT
	cd "$T" || exit 1
	"$1"
}

it_cleanup() {
	local rc=$? id p m
	trap - EXIT
	set +e
	# Containers this test made: kill, force-delete.
	while read -r id; do
		[[ -n $id && -e $ROOT/$id ]] || continue
		MYRT_IT_RT=$TAG timeout -k 2 10 "$RUNTIME" --root "$ROOT" kill "$id" KILL >/dev/null 2>&1
		MYRT_IT_RT=$TAG timeout -k 2 10 "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
	done < <(sort -u "$T/.ids" 2>/dev/null)
	# Any process of ours that survived (the runtime failed to clean up).
	for p in $(leftover_pids); do
		echo "cleanup: killing leftover process $p" >&2
		kill -9 "$p" 2>/dev/null
	done
	for p in "${IT_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for m in "${IT_CGROUPS[@]}"; do
		wait_for 5 rmdir "$m" 2>/dev/null || echo "cleanup: cannot remove cgroup $m" >&2
	done
	for id in "${IT_NETNS[@]}"; do ip netns del "$id" 2>/dev/null; done
	for id in "${IT_LINKS[@]}"; do ip link del "$id" 2>/dev/null; done
	for id in "${IT_LOOPS[@]}"; do losetup -d "$id" 2>/dev/null; done
	# Never rm -rf through a mount: unmount anything leaked under $T first.
	for m in $(awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		echo "cleanup: unmounting leftover $m" >&2
		umount -l "$m" 2>/dev/null
	done
	# Cgroups named after our ids that the runtime left behind (empty ones only).
	while read -r id; do
		[[ -n $id ]] || continue
		for m in $(cgroup_dirs_named "$id" | sort -r); do rmdir "$m" 2>/dev/null; done
	done < <(sort -u "$T/.ids" 2>/dev/null)
	cp "$T/.reason" "$IT_RESULT_FILE" 2>/dev/null
	cd /
	if [[ -z ${IT_KEEP:-} && ( -z ${IT_KEEP_FAILED:-} || $rc == 0 || $rc == 77 ) ]]; then
		rm -rf --one-file-system "$T"
	else
		echo "kept $T" >&2
	fi
	exit "$rc"
}
