# shellcheck shell=bash
# Test groups whose checks run inside a VM (test/vm/run): t-cgroups-v2.sh, t-systemd.sh.
#
# The VM boots once per run of the suite: the first test of the group (under a lock) boots
# it to run every check, the results land in /tmp/myrt-it-<group>.<runner pid>.<runner
# start>, and each test re-emits its own line (ok / FAIL: reason / skip: reason) and log
# from there. Inside the VM each check runs like a test here (own bash, own $T, cleanup),
# driven by the group's file executed with --in-vm.
#
# When the VM never got to the checks (qemu or the kernel cannot be had, the boot fails or
# hangs), the group's tests are skipped with test/vm/run's reason: the environment is
# missing, not the runtime wrong. A check without a result once the checks had started
# fails.
#
# The group's file sets, then sources this file:
#   VMG_GROUP       short name: /tmp/myrt-it-$VMG_GROUP.* results, .lock
#   VMG_WHAT        how messages name the VM ("the v2 VM")
#   VMG_SELF        the group's file (run in the VM with --in-vm; ends with vmg_main "$@")
#   VMG_CHECK_FILE  the file that defines the checks (sourced for each check in the VM)
#   VMG_PREFIX      check NAME is the function ${VMG_PREFIX}NAME
#   VMG_CHECKS      the checks, in the order they run (one after the other)
#   VMG_VM_ENV      (optional) array of VAR=VALUE for test/vm/run, e.g. (VM_INIT=systemd)
#   VMG_PASSENV     (optional) more variable names to pass into the VM
#   VMG_TIMEOUT     VM_TIMEOUT for the whole run
# and may define:
#   vmg_host_skip           prints a reason when the group cannot run on this host
#   vmg_before_boot RESULTS on the host before the boot (under the lock; may export vars)
#   vmg_after_boot RESULTS  on the host after it
#   vmg_vm_setup            in the VM before the checks: prints "# vm: ..." facts; a
#                           non-zero status means no check can run (they all fail)

# vmg_result NAME: this test's outcome is check NAME's in the VM.
vmg_result() {
	local name=$1 results line reason
	if declare -F vmg_host_skip >/dev/null; then
		reason=$(vmg_host_skip)
		[[ -z $reason ]] || skip "$reason"
	fi
	[[ -x $REPO/test/vm/run ]] || skip "no test/vm/run"
	results=$(_vmg_results)
	(
		flock 9
		if [[ ! -s $results ]]; then
			_vmg_remove_stale
			_vmg_boot "$results"
		fi
	) 9>>"/tmp/myrt-it-$VMG_GROUP.lock"
	[[ -s $results ]] || fail "$VMG_WHAT left no results"
	# Its log, then the VM's own lines.
	grep -E "^# ($name|vm):" "$results" >&2
	if ! grep -q '^# vm: started' "$results"; then
		skip "$VMG_WHAT did not run ($(grep -m 1 '^# vm: exit' "$results" | cut -c7-)):" \
			"$(grep '^# vm stderr: ' "$results" | cut -c14- | sed 's/^ *//' | grep -v '^$' | head -n 2 | cut -c1-200 | tr '\n' ' ')"
	fi
	line=$(grep -E "^(ok|FAIL|skip) $name(:|$)" "$results" | head -n 1)
	case $line in
		"ok $name") return 0 ;;
		"skip $name: "*) skip "in $VMG_WHAT: ${line#skip "$name": }" ;;
		"FAIL $name: "*) fail "in $VMG_WHAT: ${line#FAIL "$name": }" ;;
		*) fail "no result for $name from $VMG_WHAT ($(grep '^# vm' "$results" | tail -n 8 | tr '\n' ' '))" ;;
	esac
}

# ---------------------------------------------------------------------------------------
# Host side

# The results file of this run of the suite: named after the runner (our parent), so that
# the tests of one run share one VM boot and a later run never reads stale results.
_vmg_results() {
	local start
	start=$(sed -E 's/.*\) //' "/proc/$PPID/stat" | awk '{ print $20 }')
	echo "/tmp/myrt-it-$VMG_GROUP.$PPID.$start"
}

# Results of runs whose runner is gone.
_vmg_remove_stale() {
	local f pid
	for f in "/tmp/myrt-it-$VMG_GROUP".*; do
		[[ -e $f ]] || continue
		pid=${f#/tmp/myrt-it-"$VMG_GROUP".}
		pid=${pid%%.*}
		[[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -f "$f"
	done
	return 0
}

# vmg_install_on_host PACKAGE...: from a group's vmg_before_boot, installs on the host what
# its checks call in the VM (the VM shares the host's root but has no network, so
# need_pkg cannot install there; the host tests that would install these may run after
# the group). Services are kept from starting, as lib/docker.sh's dk_install does (a
# containerd started here would take dockerd's place). Best effort: a check whose program
# is still missing skips in the VM, saying so.
vmg_install_on_host() {
	local missing=() p policy=/usr/sbin/policy-rc.d made=0
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# myrt integration tests: no service starts during their installs\nexit 101\n' >"$policy" &&
			chmod 755 "$policy" && made=1
	fi
	echo "# installing ${missing[*]} for the checks in $VMG_WHAT" >&2
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
		{ timeout 300 apt-get update >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y "${missing[@]}" >/dev/null 2>&1; } ||
		echo "# apt-get install ${missing[*]} failed: the checks that need them skip" >&2
	((made)) && rm -f "$policy"
	return 0
}

_vmg_boot() { # RESULTS: runs every check in the VM, writes RESULTS
	local out=$1.tmp t0 rc
	t0=${EPOCHREALTIME/./}
	if declare -F vmg_before_boot >/dev/null; then vmg_before_boot "$1"; fi
	env "${VMG_VM_ENV[@]}" VM_TIMEOUT="$VMG_TIMEOUT" \
		VM_PASSENV="RUNTIME RUNTIME_KIND REPO IT_DIR EXAMPLE_ROOTFS IT_RT_TIMEOUT ${VMG_PASSENV:-}" \
		"$REPO/test/vm/run" bash "$VMG_SELF" --in-vm >"$out" 2>"$out.err" </dev/null
	rc=$?
	if declare -F vmg_after_boot >/dev/null; then vmg_after_boot "$1"; fi
	{
		echo "# vm: exit $rc after $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
		[[ $rc == 0 ]] || sed 's/^/# vm stderr: /' "$out.err" | tail -n 30
	} >>"$out"
	rm -f "$out.err"
	mv "$out" "$1"
}

# ---------------------------------------------------------------------------------------
# VM side (the group's file executed with --in-vm)

# _vmg_check NAME: runs ${VMG_PREFIX}NAME like the runner runs a test; prints its result
# line, preceded by what it measured (all of its log when it failed).
_vmg_check() {
	local name=$1 res log rc reason t0
	res=$(mktemp)
	log=$(mktemp)
	t0=${EPOCHREALTIME/./}
	IT_RESULT_FILE=$res bash -c 'source "$1/lib/common.sh" && source "$2" && it_run_test "$3"' \
		_ "$IT_DIR" "$VMG_CHECK_FILE" "$VMG_PREFIX$name" >"$log" 2>&1 </dev/null
	rc=$?
	reason=$(head -c 2000 "$res")
	if [[ $rc == 0 && -z $reason ]]; then
		grep -E "^[a-z]+: " "$log" | sed "s/^/# $name: /"
		echo "ok $name"
	elif [[ $rc == 77 ]]; then
		echo "skip $name: ${reason:-no reason given}"
	else
		tail -n 25 "$log" | sed "s/^/# $name: /"
		echo "FAIL $name: ${reason:-exit status $rc}"
	fi
	echo "# $name: ($(((${EPOCHREALTIME/./} - t0) / 1000)) ms)"
	rm -f "$res" "$log"
}

# Every check, one after the other.
_vmg_in_vm() {
	local name
	echo "# vm: started"
	if declare -F vmg_vm_setup >/dev/null; then vmg_vm_setup || return 1; fi
	# A devtmpfs without /dev/fd (the chroot VM's), which bash's <(...) needs.
	[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
	for name in "${VMG_CHECKS[@]}"; do _vmg_check "$name"; done
}

# vmg_main "$@": the last line of the group's file.
vmg_main() {
	if [[ ${1:-} == --in-vm ]]; then
		_vmg_in_vm
		exit $?
	fi
}
