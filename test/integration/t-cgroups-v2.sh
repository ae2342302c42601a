# shellcheck shell=bash
# cgroups on cgroup v2, for hosts that are not: the cg_check_* bodies of t-cgroups.sh run
# inside a pure cgroup v2 VM (test/vm/run; the device rules there are a BPF program).
#
# The VM boots once per run of the suite: the first of these tests (under a lock) boots it
# to run every check, the results land in /tmp/myrt-it-cgv2.<runner pid>.<runner start>,
# and each test re-emits its own line (ok / FAIL: reason / skip: reason) and log from
# there. Inside the VM each check runs like a test here (own bash, own $T, cleanup), driven
# by this file executed with --in-vm. On a host that is v2 itself, t-cgroups.sh already ran
# the checks: these tests are skipped.

# The check bodies and their helpers.
# shellcheck source=t-cgroups.sh
source "${IT_DIR:?}/t-cgroups.sh"

CGV2_CHECKS=(applied_reported_removed oom_kill cpu_quota cpu_weight pids_limit update_memory
	pause_resume devices join_without_grace_period)

test_v2_applied_reported_removed() { cgv2_result applied_reported_removed; }
test_v2_oom_kill() { cgv2_result oom_kill; }
test_v2_cpu_quota() { cgv2_result cpu_quota; }
test_v2_pids_limit() { cgv2_result pids_limit; }
test_v2_cpu_weight() { cgv2_result cpu_weight; }
test_v2_update_memory() { cgv2_result update_memory; }
test_v2_pause_resume() { cgv2_result pause_resume; }
test_v2_devices_bpf() { cgv2_result devices; }
test_v2_join_without_grace_period() { cgv2_result join_without_grace_period; }

# ---------------------------------------------------------------------------------------
# Host side

# The results file of this run of the suite: named after the runner (our parent), so that
# the tests of one run share one VM boot and a later run never reads stale results.
_cgv2_results() {
	local start
	start=$(sed -E 's/.*\) //' "/proc/$PPID/stat" | awk '{ print $20 }')
	echo "/tmp/myrt-it-cgv2.$PPID.$start"
}

# Results of runs whose runner is gone.
_cgv2_remove_stale() {
	local f pid
	for f in /tmp/myrt-it-cgv2.*; do
		[[ -e $f ]] || continue
		pid=${f#/tmp/myrt-it-cgv2.}
		pid=${pid%%.*}
		[[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -f "$f"
	done
	return 0
}

_cgv2_boot() { # RESULTS: runs every check in the VM, writes RESULTS
	local out=$1.tmp t0 rc
	t0=${EPOCHREALTIME/./}
	# Compiled here: gcc is ~10x slower under the VM's emulation.
	CG_HOG=$1.hog
	cg_build_hog "$CG_HOG" || CG_HOG=
	CG_HOG=$CG_HOG VM_TIMEOUT=${CGV2_VM_TIMEOUT:-240} \
		VM_PASSENV="RUNTIME RUNTIME_KIND REPO IT_DIR EXAMPLE_ROOTFS IT_RT_TIMEOUT CG_HOG" \
		"$REPO/test/vm/run" bash "$IT_DIR/t-cgroups-v2.sh" --in-vm >"$out" 2>"$out.err" </dev/null
	rc=$?
	rm -f "$1.hog"
	{
		echo "# vm: exit $rc after $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
		[[ $rc == 0 ]] || sed 's/^/# vm stderr: /' "$out.err" | tail -n 30
	} >>"$out"
	rm -f "$out.err"
	mv "$out" "$1"
}

# cgv2_result NAME: this test's outcome is check NAME's in the VM.
cgv2_result() {
	local name=$1 results line
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		skip "this host is cgroup v2: t-cgroups.sh runs the checks here"
	fi
	[[ -x $REPO/test/vm/run ]] || skip "no test/vm/run"
	results=$(_cgv2_results)
	(
		flock 9
		if [[ ! -s $results ]]; then
			_cgv2_remove_stale
			_cgv2_boot "$results"
		fi
	) 9>>"/tmp/myrt-it-cgv2.lock"
	[[ -s $results ]] || fail "the v2 VM left no results"
	# Its log, then the VM's own lines.
	grep -E "^# ($name|vm):" "$results" >&2
	line=$(grep -E "^(ok|FAIL|skip) $name(:|$)" "$results" | head -n 1)
	case $line in
		"ok $name") return 0 ;;
		"skip $name: "*) skip "in the v2 VM: ${line#skip "$name": }" ;;
		"FAIL $name: "*) fail "in the v2 VM: ${line#FAIL "$name": }" ;;
		*) fail "no result for $name from the v2 VM ($(grep '^# vm' "$results" | tail -n 8 | tr '\n' ' '))" ;;
	esac
}

# ---------------------------------------------------------------------------------------
# VM side (this file executed with --in-vm)

# _cgv2_check NAME: runs cg_check_NAME like the runner runs a test; prints its result line,
# preceded by what it measured (all of its log when it failed).
_cgv2_check() {
	local name=$1 res log rc reason t0
	res=$(mktemp)
	log=$(mktemp)
	t0=${EPOCHREALTIME/./}
	IT_RESULT_FILE=$res bash -c 'source "$1/lib/common.sh" && source "$1/t-cgroups.sh" && it_run_test "$2"' \
		_ "$IT_DIR" "cg_check_$name" >"$log" 2>&1 </dev/null
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

# Every check, one after the other (cpu_quota measures CPU time: nothing else may run).
_cgv2_in_vm() {
	local name
	if [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]]; then
		echo "# vm: /sys/fs/cgroup is not cgroup v2"
		return 1
	fi
	echo "# vm: kernel $(uname -r), controllers: $(</sys/fs/cgroup/cgroup.subtree_control)"
	# The VM's devtmpfs has no /dev/fd, which bash's <(...) needs (the tests' cleanup).
	[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
	for name in "${CGV2_CHECKS[@]}"; do _cgv2_check "$name"; done
}

if [[ ${1:-} == --in-vm ]]; then
	_cgv2_in_vm
	exit $?
fi
