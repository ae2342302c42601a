# shellcheck shell=bash
# Signals sent to a foreground `run` or `exec` (t-terminal.sh, t-exec.sh): each must reach
# the container's process, and none may kill or stop the runtime while that process lives.
#
# SIG_LIST: the signals sent, in order; TERM comes last, separately (the process exits 25
# on it). Among them those whose default action would kill (PIPE, XCPU, XFSZ, VTALRM, PROF,
# IO, PWR, SYS, RTMIN+1) or stop (TSTP, TTIN, TTOU) an unprepared runtime.
SIG_LIST=(PIPE XCPU XFSZ VTALRM PROF IO PWR SYS RTMIN+1 TSTP TTIN TTOU USR1)

# sig_trap_script: a busybox sh script that prints `got-SIG` for each signal of SIG_LIST,
# `got-TERM` and exits 25 on TERM, and prints `ready` once every trap is set. Traps are set
# by number (busybox may not know RTMIN+1 by name).
sig_trap_script() {
	local s n script=''
	for s in "${SIG_LIST[@]}"; do
		n=$(kill -l "$s") || return 1
		script+="trap 'echo got-$s' $n; "
	done
	printf '%s' "$script"'trap "echo got-TERM; exit 25" TERM; echo ready; while :; do sleep 0.05; done'
}

proc_state() { sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null; } # PID: R S T Z...

# sig_send_all PID OUTFILE: sends each signal of SIG_LIST to PID (the runtime), waits for
# the container's `got-SIG` in OUTFILE; fails as soon as the runtime died or stopped.
sig_send_all() {
	local pid=$1 out=$2 s st
	_sig_seen_or_runtime_gone() {
		grep -qxF -- "got-$1" "$out" || pid_gone "$pid" || [[ $(proc_state "$pid") == T ]]
	}
	for s in "${SIG_LIST[@]}"; do
		kill -s "$s" "$pid" || fail "kill -s $s $pid failed"
		wait_for 10 _sig_seen_or_runtime_gone "$s"
		pid_alive "$pid" || fail "the runtime died of SIG$s"
		st=$(proc_state "$pid")
		[[ $st != T ]] || fail "the runtime was stopped by SIG$s"
		grep -qxF -- "got-$s" "$out" || fail "the container did not get SIG$s (has: $(tr '\n' ' ' <"$out"))"
	done
}
