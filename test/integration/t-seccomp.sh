# shellcheck shell=bash
# linux.seccomp: actions and their errno, argument rules (every operator, AND and OR of
# several), default-deny allow-lists, unknown syscalls, flags, the order of loading without
# no_new_privs, SCMP_ACT_NOTIFY with a listener (lib/seccomp-agent.c), and the errors.
# The container observes the filter itself: the errno its commands print, the signal that
# kills it, /proc/self/status.

# shellcheck source=lib/seccomp-agent.sh
source "$IT_DIR/lib/seccomp-agent.sh"

# allow_all_but NAMES-JSON ACTION [ERRNO]: default ALLOW, one rule for NAMES
allow_all_but() {
	local rule='{"names": $n, "action": $a}'
	[[ -n ${3:-} ]] && rule='{"names": $n, "action": $a, "errnoRet": ($e | tonumber)}'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": ['"$rule"']}' \
		--argjson n "$1" --arg a "$2" --arg e "${3:-0}"
}

# Sends signals 10, 12 and 14 to itself (pid 1, ignoring them) and prints for each
# "N:ok" or "N:blocked": a rule on kill's argument 1 decides which get through.
KILL_PROBE='trap "" 10 12 14
for s in 10 12 14; do
	if kill -$s 1 2>/dev/null; then printf "%s:ok " $s; else printf "%s:blocked " $s; fi
done'

# expect_create_fails WHAT TEXT...: create from $BUNDLE fails and leaves nothing behind; for
# myrt stderr is one line "myrt: ..." containing every TEXT.
expect_create_fails() {
	local what=$1 id err
	shift
	id=$(cid "bad$((++_bad_seq))")
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "$what"
	assert_no_leftovers "$id"
	is_myrt || return 0
	err=$(<"$T/err")
	[[ $(wc -l <"$T/err") == 1 && $err == "myrt: "* ]] ||
		fail "$what: expected one line 'myrt: ...' on stderr, got: $err"
	local s
	for s in "$@"; do assert_contains "$err" "$s" "$what: stderr"; done
}

test_seccomp_errno_blocks_one_syscall() {
	mk_bundle
	allow_all_but '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO 38
	set_args sh -c 'grep "^Seccomp:" /proc/self/status
		mkdir /dev/shm/d 2>&1; echo "mkdir=$?"
		echo data > /dev/shm/f && cat /dev/shm/f
		[ -e /dev/shm/d ] && echo "the directory exists"; true'
	run_ok "$(cid enosys)"
	assert_contains "$OUT" $'Seccomp:\t2' "the container runs under a filter"
	assert_contains "$OUT" "Function not implemented" "mkdir with errnoRet 38 (ENOSYS)"
	assert_contains "$OUT" "mkdir=1"
	assert_contains "$OUT" $'\ndata' "other syscalls (open, write, read) still work"
	assert_not_contains "$OUT" "the directory exists" "mkdir must not have run"
}

test_seccomp_errno_defaults_to_eperm() {
	mk_bundle
	allow_all_but '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO
	set_args sh -c 'mkdir /dev/shm/d 2>&1; echo "mkdir=$?"'
	run_ok "$(cid eperm)"
	assert_contains "$OUT" "Operation not permitted" "SCMP_ACT_ERRNO without errnoRet"
	assert_contains "$OUT" "mkdir=1"
}

test_seccomp_arg_operators() {
	mk_bundle
	set_args sh -c "$KILL_PROBE"
	# op value [valueTwo] -> which of the signals 10, 12, 14 the rule blocks
	local cases=(
		"SCMP_CMP_NE 12|10:blocked 12:ok 14:blocked"
		"SCMP_CMP_LT 12|10:blocked 12:ok 14:ok"
		"SCMP_CMP_LE 12|10:blocked 12:blocked 14:ok"
		"SCMP_CMP_EQ 12|10:ok 12:blocked 14:ok"
		"SCMP_CMP_GE 12|10:ok 12:blocked 14:blocked"
		"SCMP_CMP_GT 12|10:ok 12:ok 14:blocked"
		# (sig & 6) == 4: 10=0b1010 -> 2, 12=0b1100 -> 4, 14=0b1110 -> 6
		"SCMP_CMP_MASKED_EQ 6 4|10:ok 12:blocked 14:ok"
		# (sig & 2) == 2
		"SCMP_CMP_MASKED_EQ 2 2|10:blocked 12:ok 14:blocked"
	)
	local c spec want op value two n=0
	for c in "${cases[@]}"; do
		spec=${c%%|*}
		want=${c#*|}
		read -r op value two <<<"$spec"
		set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
			"action": "SCMP_ACT_ERRNO",
			"args": [{"index": 1, "op": $op, "value": ($v | tonumber)}
				+ (if $two == "" then {} else {"valueTwo": ($two | tonumber)} end)]}]}' \
			--arg op "$op" --arg v "$value" --arg two "${two:-}"
		run_ok "$(cid "op$((++n))")"
		assert_eq "$want" "${OUT% }" "kill with a rule $spec on the signal"
	done
}

test_seccomp_args_same_index_or_different_and() {
	mk_bundle
	# Two conditions on the same argument: either one matches (runc's semantics).
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
		"action": "SCMP_ACT_ERRNO", "args": [
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 10},
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 14}]}]}'
	set_args sh -c "$KILL_PROBE"
	run_ok "$(cid or)"
	assert_eq "10:blocked 12:ok 14:blocked" "${OUT% }" "conditions on one argument are OR'ed"

	# Conditions on different arguments: all must match (pid 1 AND signal 12).
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
		"action": "SCMP_ACT_ERRNO", "args": [
			{"index": 0, "op": "SCMP_CMP_EQ", "value": 1},
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 12}]}]}'
	set_args sh -c 'trap "" 10 12
		sleep 1000 & p=$!
		kill -10 1 2>/dev/null && printf "self10:ok " || printf "self10:blocked "
		kill -12 1 2>/dev/null && printf "self12:ok " || printf "self12:blocked "
		kill -12 $p 2>/dev/null && printf "child12:ok" || printf "child12:blocked"'
	run_ok "$(cid and)"
	assert_eq "self10:ok self12:blocked child12:ok" "$OUT" "conditions on two arguments are AND'ed"
}

# The syscalls busybox needs for `sh -c 'echo ...'` (and the reference runtimes need after
# loading the filter); everything else fails with the default errno.
ALLOW_LIST='["execve", "arch_prctl", "brk", "mmap", "munmap", "mprotect", "madvise",
	"set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom", "uname",
	"readlink", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "tgkill", "futex",
	"nanosleep", "sched_yield", "epoll_pwait", "epoll_ctl", "prctl", "fcntl", "dup2", "dup3",
	"openat", "newfstatat", "fstat", "read", "write", "close", "wait4", "clone", "exit",
	"exit_group", "fstatfs", "getdents64"]'

# A deny-by-default profile that allows what a program needs plus what runc 1.1.5 needs
# after the filter (the switch of user, its chdir and path lookup; runc passes this test)
# runs the program, with no_new_privs on and off, for run and for exec: myrt's own calls
# (openat2 for the cwd, close_range, ...) come before the filter (issue 14 item 1).
test_seccomp_allow_list_before_runtime_calls() {
	mk_bundle
	local list nnp id
	list=$(jq -c '. + ["setgroups", "setresgid", "setresuid", "capget", "capset", "clock_nanosleep",
		"setuid", "setgid", "chdir", "fchdir", "getcwd", "faccessat", "faccessat2", "access", "statx",
		"execveat"]' <<<"$ALLOW_LIST")
	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": $allow, "action": "SCMP_ACT_ALLOW"}]}' --argjson allow "$list"
	for nnp in true false; do
		cfg '.process.noNewPrivileges = ($n == "true")' --arg n "$nnp"
		set_args sh -c 'echo ran'
		run_ctr "$(cid "run$nnp")"
		assert_eq "0 ran" "$RC $OUT" "run under an allow-list, noNewPrivileges $nnp (stderr: $ERR)"
		set_args sleep 1000
		id=$(cid "exec$nnp")
		create_ok "$id"
		start_ok "$id"
		rt exec "$id" sh -c 'echo ran' >"$T/out" 2>"$T/err" </dev/null
		assert_eq "0 ran" "$? $(cat "$T/out")" "exec under an allow-list, noNewPrivileges $nnp (stderr: $(cat "$T/err"))"
		delete_ok "$id" --force
	done
}

test_seccomp_default_errno_with_allow_list() {
	mk_bundle
	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": $allow, "action": "SCMP_ACT_ALLOW"}]}' --argjson allow "$ALLOW_LIST"
	set_args sh -c 'echo ok; mkdir /dev/shm/d'
	run_ctr "$(cid allowlist)"
	assert_contains "$OUT" "ok" "sh -c 'echo ok' under an allow-list"
	assert_contains "$ERR" "Operation not permitted" "mkdir, not allowed: the default errno EPERM"

	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6, "syscalls": [
		{"names": $allow, "action": "SCMP_ACT_ALLOW"}]}' --argjson allow "$ALLOW_LIST"
	run_ctr "$(cid enxio)"
	assert_contains "$OUT" "ok" "sh -c 'echo ok' under an allow-list with defaultErrnoRet"
	assert_contains "$ERR" "No such device or address" "mkdir with defaultErrnoRet 6 (ENXIO)"
}

# A syscall newer than every one the profile names gets ENOSYS, not the default errno, so
# that programs fall back: glibc's pthread_create tries clone3 and falls back to clone only
# on ENOSYS (issue 14 item 15, as runc does). ALLOW_LIST names nothing newer than rseq.
# lib/syscall-errno.c prints each call's errno, in the container's process and in an exec'd
# one; the profile lists no architectures (only the native one is in the filter), then
# those of Docker's profile on x86_64 (x32 shares the native arch's AUDIT_ARCH).
test_seccomp_syscall_newer_than_profile_gets_enosys() {
	command -v gcc >/dev/null || skip "no gcc to build lib/syscall-errno.c"
	mkdir -p "$T/probe"
	gcc -static -O2 -pthread -o "$T/probe/syscall-errno" "$IT_DIR/lib/syscall-errno.c" 2>"$T/gcc.err" ||
		skip "gcc -static of lib/syscall-errno.c failed: $(head -c 300 "$T/gcc.err")"
	mk_bundle
	cfg '.mounts += [{"destination": "/probe", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' \
		--arg s "$T/probe"
	local want="clone3=38 close_range=38 mkdirat=1 thread=0" archs id n=0
	for archs in '[]' '["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]'; do
		if [[ $RUNTIME_KIND == runc && $archs == '[]' ]]; then
			echo "runc < 1.1.13 adds no ENOSYS stub when the profile lists no architectures"
			continue
		fi
		# clock_nanosleep: the `sleep` that the exec joins
		set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": $archs, "syscalls": [
			{"names": ($allow + ["clock_nanosleep"]), "action": "SCMP_ACT_ALLOW"}]}' \
			--argjson allow "$ALLOW_LIST" --argjson archs "$archs"
		set_args /probe/syscall-errno clone3 close_range mkdirat thread
		run_ctr "$(cid "newer$((++n))")"
		assert_eq "0 $want" "$RC $OUT" "architectures $archs: newer syscalls get ENOSYS, an older one EPERM (stderr: $ERR)"

		set_args sleep 1000
		id=$(cid "newerexec$n")
		create_ok "$id"
		start_ok "$id"
		rt exec "$id" /probe/syscall-errno clone3 close_range mkdirat thread >"$T/out" 2>"$T/err" </dev/null
		assert_eq "0 $want" "$? $(<"$T/out")" "architectures $archs: the same for exec (stderr: $(<"$T/err"))"
		delete_ok "$id" --force
	done
}

test_seccomp_unknown_syscalls_skipped() {
	mk_bundle
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["no_such_syscall_xyz"], "action": "SCMP_ACT_KILL"},
		{"names": ["mkdir", "not_a_syscall_either", "mkdirat"], "action": "SCMP_ACT_ERRNO",
		 "errnoRet": 38}]}'
	set_args sh -c 'echo started; mkdir /dev/shm/d 2>&1'
	run_ctr "$(cid unknown)"
	assert_rc 1 "the container (mkdir fails)"
	assert_contains "$OUT" "started"
	assert_contains "$OUT" "Function not implemented" "the known names of an entry with unknown ones"
}

test_seccomp_kill_trap_log_trace_actions() {
	mk_bundle
	local action
	# The signal SIGSYS (31) ends the container: exit status 128+31.
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
		allow_all_but '["mkdir", "mkdirat"]' "$action"
		set_args mkdir /dev/shm/d
		run_ctr "$(cid "${action,,}")"
		assert_rc 159 "mkdir under $action"
	done
	# LOG allows (and logs).
	allow_all_but '["mkdir", "mkdirat"]' SCMP_ACT_LOG
	set_args sh -c 'mkdir /dev/shm/d && ls -d /dev/shm/d'
	run_ok "$(cid log)"
	assert_eq /dev/shm/d "$OUT" "mkdir under SCMP_ACT_LOG"
	# TRACE without a tracer: the syscall fails with ENOSYS.
	allow_all_but '["mkdir", "mkdirat"]' SCMP_ACT_TRACE
	set_args sh -c 'mkdir /dev/shm/d 2>&1'
	run_ctr "$(cid trace)"
	assert_contains "$OUT" "Function not implemented" "mkdir under SCMP_ACT_TRACE without a tracer"
}

test_seccomp_without_no_new_privs() {
	# Without no_new_privs loading the filter needs CAP_SYS_ADMIN, which the container's
	# user (uid 1000, three harmless capabilities) does not have: the runtime must load it
	# before dropping privileges, and it must still apply.
	mk_bundle
	cfg '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	allow_all_but '["mkdir", "mkdirat"]' SCMP_ACT_ERRNO 38
	set_args sh -c 'grep -E "^(Uid|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /dev/shm/d 2>&1'
	run_ctr "$(cid nonnp)"
	assert_rc 1 "the container (mkdir fails)"
	assert_match "$OUT" $'Uid:\t1000\t' "runs as uid 1000"
	assert_contains "$OUT" $'NoNewPrivs:\t0'
	assert_contains "$OUT" $'Seccomp:\t2'
	assert_contains "$OUT" "Function not implemented" "mkdir, blocked"
}

test_seccomp_flags() {
	mk_bundle
	[[ $RUNTIME_KIND == runc ]] && skip "runc 1.1 supports no linux.seccomp.flags"
	local flags='["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
	# Without a notify rule the flag means nothing; myrt ignores it (runc 1.1 does not know it).
	is_myrt && flags='["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": $f, "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}' \
		--argjson f "$flags"
	set_args sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /dev/shm/d 2>&1'
	run_ctr "$(cid flags)"
	assert_rc 1 "the container (mkdir fails)"
	assert_contains "$OUT" $'Seccomp:\t2'
	assert_contains "$OUT" "Function not implemented"
}

test_seccomp_invalid_profiles() {
	mk_bundle
	set_args true
	allow_all_but '["mkdir"]' SCMP_ACT_BOGUS
	expect_create_fails "an unknown action" 'linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BOGUS"'
	set_seccomp '{"defaultAction": "SCMP_ACT_NOPE"}'
	expect_create_fails "an unknown default action" 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
		"action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "op": "SCMP_CMP_ABOUT", "value": 1}]}]}'
	expect_create_fails "an unknown operator" 'linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_ABOUT"'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}'
	expect_create_fails "an unknown architecture" 'linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_PDP11"'
	if [[ $RUNTIME_KIND != crun ]]; then # crun 1.8 ignores unknown flags
		set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]}'
		expect_create_fails "an unknown flag" 'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"'
	fi
	if is_myrt; then
		# Accepted (and ignored) by runc 1.1.
		allow_all_but '["mkdir"]' SCMP_ACT_ALLOW 1
		expect_create_fails "errnoRet with SCMP_ACT_ALLOW" \
			'linux.seccomp.syscalls[0].errnoRet: not allowed with action "SCMP_ACT_ALLOW"'
		allow_all_but '["mkdir"]' SCMP_ACT_NOTIFY
		expect_create_fails "SCMP_ACT_NOTIFY without listenerPath" \
			'linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used'
		set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_S390X"]}'
		expect_create_fails "an architecture that cannot share this machine's filter" \
			'linux.seccomp.architectures[0]: architecture "SCMP_ARCH_S390X" cannot share'
	fi
}

# --- SCMP_ACT_NOTIFY -------------------------------------------------------------------

test_seccomp_notify_listener_gets_fd_and_state() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 sends the state at start, with ociVersion 0.2.0"
	build_agent
	mk_bundle
	start_agent success
	notify_profile 'answer=fake "success"'
	set_args sh -c 'mkdir /dev/shm/made && echo mkdir-ok || echo mkdir-failed
		[ -d /dev/shm/made ] && echo exists || echo absent'
	local id pid s
	id=$(cid notify)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	wait_for 10 test -s "$T/agent/state.json" || fail "the agent received no state: $(cat "$T/agent.err")"
	s=$T/agent/state.json
	jq -e . "$s" >/dev/null || fail "the state is not JSON: $(head -c 600 "$s")"
	assert_eq 1 "$(cat "$T/agent/nfds")" "descriptors passed"
	assert_eq '["seccompFd"]' "$(jq -c .fds "$s")" "fds"
	assert_eq "$pid" "$(jq -r .pid "$s")" "pid"
	assert_eq 'answer=fake "success"' "$(jq -r .metadata "$s")" "metadata (listenerMetadata)"
	assert_match "$(jq -r .ociVersion "$s")" '^1\.' "ociVersion"
	assert_eq "$id" "$(jq -r .state.id "$s")" "state.id"
	assert_eq "$pid" "$(jq -r .state.pid "$s")" "state.pid"
	assert_eq creating "$(jq -r .state.status "$s")" "state.status"
	assert_eq "$BUNDLE" "$(jq -r .state.bundle "$s")" "state.bundle"
	start_ok "$id"
	wait_for_status "$id" stopped
	assert_eq $'mkdir-ok\nabsent' "$(cat "$T/$id.out")" \
		"mkdir answered with a fake success by the agent (stderr: $(cat "$T/$id.err"))"
	assert_eq "mkdir /dev/shm/made" "$(cat "$T/agent/log")" "what the agent answered"
	delete_ok "$id"
	agent_done
	assert_no_leftovers "$id"
}

# create + start rather than run: runc 1.1's `run` hangs with a listener.
test_seccomp_notify_listener_answers_errno() {
	build_agent
	mk_bundle
	start_agent errno:13
	notify_profile ''
	set_args sh -c 'mkdir /dev/shm/denied 2>&1; echo "mkdir=$?"; echo still running'
	local id
	id=$(cid notifyerr)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	OUT=$(cat "$T/$id.out")
	assert_contains "$OUT" "Permission denied" "mkdir answered with EACCES by the agent"
	assert_contains "$OUT" $'mkdir=1\nstill running'
	assert_eq "mkdir /dev/shm/denied" "$(cat "$T/agent/log")" "what the agent answered"
	agent_done
}

# Every syscall notified, the sendmsg, close and wait4 of the handoff in init included.
test_seccomp_notify_everything() {
	[[ $RUNTIME_KIND == runc ]] && skip "runc refuses SCMP_ACT_NOTIFY as the default action"
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 fails to load TSYNC with a listener (EINVAL)"
	build_agent
	mk_bundle
	start_agent success
	set_seccomp '{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": $sock,
		"flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"],
		"syscalls": [{"names": ["sendmsg", "write", "close"], "action": "SCMP_ACT_NOTIFY"},
			{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}' --arg sock "$T/agent.sock"
	set_args sh -c 'echo hello; mkdir /dev/shm/d && echo made; [ -d /dev/shm/d ] || echo absent'
	local id
	id=$(cid notifyall)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	assert_eq $'hello\nmade\nabsent' "$(cat "$T/$id.out")" "the container's output ($(cat "$T/$id.err"))"
	agent_done
	assert_eq "mkdir /dev/shm/d" "$(cat "$T/agent/log")" "what the agent answered"
	(($(cat "$T/agent/count") > 20)) || fail "only $(cat "$T/agent/count") syscalls were notified"
}

# An exec'd process gets the container's filter afresh: its own listener goes to the agent
# too, with the exec'd process's pid and the running container's state.
test_seccomp_notify_listener_for_exec() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 sends the state at start, with ociVersion 0.2.0"
	build_agent
	mk_bundle
	start_agent success 2
	notify_profile 'exec-meta'
	set_args sleep 60
	local id pid s epid
	id=$(cid notifyexec)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	start_ok "$id"
	wait_for 10 test -s "$T/agent/state.json" || fail "the agent received no state: $(cat "$T/agent.err")"
	rt exec --pid-file "$T/exec.pid" "$id" sh -c 'mkdir /dev/shm/byexec && echo mkdir-ok || echo mkdir-failed
		[ -d /dev/shm/byexec ] && echo exists || echo absent' >"$T/out" 2>"$T/err" </dev/null ||
		fail "exec failed (rc $?): $(tail -c 800 "$T/err")"
	assert_eq $'mkdir-ok\nabsent' "$(cat "$T/out")" "the exec'd mkdir answered by the agent"
	s=$T/agent/state.2.json
	[[ -s $s ]] || fail "the agent received no state for the exec ($(cat "$T/agent.err"))"
	jq -e . "$s" >/dev/null || fail "the state is not JSON: $(head -c 600 "$s")"
	assert_eq 1 "$(cat "$T/agent/nfds.2")" "descriptors passed for the exec"
	epid=$(cat "$T/exec.pid")
	assert_eq "$epid" "$(jq -r .pid "$s")" "pid: the exec'd process"
	assert_ne "$pid" "$epid" "the exec'd process is not init"
	assert_eq exec-meta "$(jq -r .metadata "$s")" "metadata"
	assert_eq running "$(jq -r .state.status "$s")" "state.status"
	assert_eq "$pid" "$(jq -r .state.pid "$s")" "state.pid: the container's init"
	assert_eq "$id" "$(jq -r .state.id "$s")" "state.id"
	assert_eq "mkdir /dev/shm/byexec" "$(cat "$T/agent/log")" "what the agent answered"
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	delete_ok "$id"
	agent_done
	assert_no_leftovers "$id"
}

# The agent gone by the time of an exec: exec fails with one line naming listenerPath, and
# the process it started does not run.
test_seccomp_notify_exec_listener_gone() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 sends the state at start, with ociVersion 0.2.0"
	build_agent
	mk_bundle
	start_agent success
	notify_profile ''
	set_args sleep 60
	local id
	id=$(cid notifygone)
	create_ok "$id"
	start_ok "$id"
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
	rm -f "$T/agent.sock"
	RC=0
	rt exec "$id" sh -c 'echo ran' >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "exec without a listener"
	if is_myrt; then
		assert_eq "myrt: linux.seccomp.listenerPath \"$T/agent.sock\": failed to connect with seccomp agent: no such file or directory" \
			"$(<"$T/err")" "exec's error"
	fi
	assert_not_contains "$(<"$T/out")" ran "the exec'd process's output"
	assert_eq 1 "$(rt ps -f json "$id" | jq length)" "processes left in the container (init only)"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

test_seccomp_notify_listener_unreachable() {
	mk_bundle
	set_args true
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$T/nobody.sock"
	expect_create_fails "a listenerPath nobody listens on" \
		"linux.seccomp.listenerPath \"$T/nobody.sock\": failed to connect with seccomp agent: no such file or directory"
}

# `features` says what the build and the kernel do: knownFlags are the flags the config
# parser takes (WAIT_KILLABLE_RECV among them), supportedFlags those the running kernel
# accepts, each of which a container can load; the slirp annotations are listed as
# potentially unsafe (they start a helper and publish host ports). Issue 14 item 11.
test_features_seccomp_flags_and_unsafe_annotations() {
	is_myrt || skip "myrt's own features"
	local f flag
	f=$(rt features) || fail "features failed"
	jq -e '.linux.seccomp.knownFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null <<<"$f" ||
		fail "knownFlags lacks WAIT_KILLABLE_RECV: $(jq -c .linux.seccomp.knownFlags <<<"$f")"
	jq -e '(.linux.seccomp.supportedFlags - .linux.seccomp.knownFlags) == []' >/dev/null <<<"$f" ||
		fail "a supported flag that is not known"
	jq -e '.potentiallyUnsafeConfigAnnotations | index("run.myrt.network.")' >/dev/null <<<"$f" ||
		fail "run.myrt.network. is not listed as potentially unsafe"
	mk_bundle
	set_args true
	for flag in $(jq -r '.linux.seccomp.supportedFlags[]' <<<"$f"); do
		[[ $flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ]] && continue # needs a listener
		set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": [$f],
			"syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO"}]}' --arg f "$flag"
		run_ctr "$(cid "flag$RANDOM")"
		assert_rc 0 "a container with the supported flag $flag (stderr: $ERR)"
	done
}
