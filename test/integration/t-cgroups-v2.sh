# shellcheck shell=bash
# cgroups on cgroup v2, for hosts that are not: the cg_check_* bodies of t-cgroups.sh run
# inside a pure cgroup v2 VM (test/vm/run; the device rules there are a BPF program).
#
# The VM boots once per run of the suite and runs every check (lib/vmgroup.sh); each test
# re-emits its check's result. On a host that is v2 itself, t-cgroups.sh already ran the
# checks: these tests are skipped.

# The check bodies and their helpers.
# shellcheck source=t-cgroups.sh
source "${IT_DIR:?}/t-cgroups.sh"
# shellcheck source=lib/vmgroup.sh
source "$IT_DIR/lib/vmgroup.sh"

VMG_GROUP=cgv2
VMG_WHAT="the v2 VM"
VMG_SELF=$IT_DIR/t-cgroups-v2.sh
VMG_CHECK_FILE=$IT_DIR/t-cgroups.sh
VMG_PREFIX=cg_check_
# One after the other (cpu_quota measures CPU time: nothing else may run).
VMG_CHECKS=(applied_reported_removed oom_kill cpu_quota cpu_weight pids_limit update_memory
	pause_resume devices join_without_grace_period host_check)
VMG_PASSENV=CG_HOG
VMG_TIMEOUT=${CGV2_VM_TIMEOUT:-300}

test_v2_applied_reported_removed() { vmg_result applied_reported_removed; }
test_v2_oom_kill() { vmg_result oom_kill; }
test_v2_cpu_quota() { vmg_result cpu_quota; }
test_v2_pids_limit() { vmg_result pids_limit; }
test_v2_cpu_weight() { vmg_result cpu_weight; }
test_v2_update_memory() { vmg_result update_memory; }
test_v2_pause_resume() { vmg_result pause_resume; }
test_v2_devices_bpf() { vmg_result devices; }
test_v2_join_without_grace_period() { vmg_result join_without_grace_period; }
test_v2_host_check() { vmg_result host_check; }

vmg_host_skip() {
	if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
		echo "this host is cgroup v2: t-cgroups.sh runs the checks here"
	fi
}

# Compiled here: gcc is ~10x slower under the VM's emulation.
vmg_before_boot() {
	export CG_HOG=$1.hog
	cg_build_hog "$CG_HOG" || CG_HOG=
}
vmg_after_boot() { rm -f "$1.hog"; }

vmg_vm_setup() {
	if [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]]; then
		echo "# vm: /sys/fs/cgroup is not cgroup v2"
		return 1
	fi
	echo "# vm: kernel $(uname -r), controllers: $(</sys/fs/cgroup/cgroup.subtree_control)"
}

vmg_main "$@"
