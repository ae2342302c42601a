# shellcheck shell=bash
# Helpers for SCMP_ACT_NOTIFY tests with the agent lib/seccomp-agent.c, sourced by
# t-seccomp.sh and t-rootless.sh.
# AGENT_DIR  where the agent's binary, its socket (agent.sock) and its output (agent/) go;
#            default $T. AGENT_AS: a command the agent runs under (e.g. rl_as_user).

# set_seccomp JSON [JQ ARGS...]: linux.seccomp = JSON (a jq expression: $T etc. via args)
set_seccomp() {
	local expr=$1
	shift
	cfg ".linux.seccomp = ($expr)" "$@"
}

build_agent() {
	command -v cc >/dev/null || skip "no C compiler (cc) to build lib/seccomp-agent.c"
	cc -O2 -o "${AGENT_DIR:-$T}/seccomp-agent" "$IT_DIR/lib/seccomp-agent.c" 2>"$T/cc.err" ||
		fail "building lib/seccomp-agent.c: $(head -c 600 "$T/cc.err")"
}

# start_agent MODE [CONNECTIONS]: the agent listens on $AGENT_DIR/agent.sock for
# CONNECTIONS filters (default 1: create's; one more per exec) and writes into
# $AGENT_DIR/agent/; AGENT is its pid. MYRT_IT_RT makes the test's cleanup kill it should it
# be left running.
start_agent() {
	local d=${AGENT_DIR:-$T}
	${AGENT_AS:-} mkdir -p "$d/agent"
	MYRT_IT_RT=$TAG ${AGENT_AS:-} "$d/seccomp-agent" "$d/agent.sock" "$d/agent" "$@" 2>"$T/agent.err" &
	AGENT=$!
	wait_for 10 test -e "$d/agent/ready" || fail "the seccomp agent did not start: $(cat "$T/agent.err")"
}

# agent_done: the agent exits by itself (status 0) once no process uses the filters.
agent_done() {
	wait_for 10 pid_gone "$AGENT" || fail "the seccomp agent is still running"
	local rc=0
	wait "$AGENT" || rc=$?
	assert_eq 0 "$rc" "the seccomp agent's exit status ($(cat "$T/agent.err"))"
}

# notify_profile METADATA: mkdir and mkdirat go to the agent, everything else is allowed
notify_profile() {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"listenerMetadata": $meta,
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg sock "${AGENT_DIR:-$T}/agent.sock" --arg meta "$1"
}
