# shellcheck shell=bash
# Hooks: order, state on stdin, args, env, failures, timeouts.

# Fails after reading its stdin (not reading it is tested on its own).
FAILING_HOOK='{"path": "/bin/sh", "args": ["sh", "-c", "cat > /dev/null; exit 1"]}'

HOOK_NAMES=(prestart createRuntime createContainer startContainer poststart poststop)

# The hook body: logs which hook ran, its stdin (the state), args and env into $HOOKDIR
# when that exists (runtime namespace; createContainer runs before pivot_root), else into
# /mnt (the container namespace: add_ctl mounts $CTL there and HOOKDIR is $CTL).
HOOK_SCRIPT='name=$1; shift
d=$HOOKDIR; [ -d "$d" ] || d=/mnt
cat > "$d/$name.state"
echo "$name" >> "$d/order"
printf "%s|" "$@" > "$d/$name.args"
echo "$HOOK_VAR" > "$d/$name.env"
echo "$$" > "$d/$name.pid"
pwd > "$d/$name.cwd"'

# hook_json NAME: a hook entry running HOOK_SCRIPT for NAME
hook_json() {
	jq -nc --arg s "$HOOK_SCRIPT" --arg n "$1" --arg d "$CTL" --arg tag "$TAG" \
		'{"path": "/bin/sh", "args": ["sh", "-c", $s, "sh", $n, "arg one", "arg2"],
		  "env": ["PATH=/usr/bin:/bin", "HOOKDIR=" + $d, "HOOK_VAR=value-" + $n, "MYRT_IT_TAG=" + $tag]}'
}

# set_hook TYPE JSON: hooks.TYPE = [JSON]
set_hook() { cfg '.hooks[$t] = [$h]' --arg t "$1" --argjson h "$2"; }

order_of() { grep -vx process "$CTL/order" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

test_hooks_all_run_in_order_with_state() {
	mk_bundle
	add_ctl
	local h
	for h in "${HOOK_NAMES[@]}"; do set_hook "$h" "$(hook_json "$h")"; done
	set_args sh -c 'echo process >> /mnt/order; exec sleep 1000'
	# Known deviations of the reference runtimes (their bugs, not the spec's order):
	#   runc 1.1 runs poststart hooks in `create`, right after createContainer;
	#   crun 1.8 runs poststart concurrently with startContainer.
	local after_create="prestart createRuntime createContainer"
	local after_start="prestart createRuntime createContainer startContainer poststart"
	local alt_start=$after_start
	case $RUNTIME_KIND in
		runc)
			after_create="prestart createRuntime createContainer poststart"
			after_start="prestart createRuntime createContainer poststart startContainer"
			alt_start=$after_start
			;;
		crun) alt_start="prestart createRuntime createContainer poststart startContainer" ;;
	esac
	local id pid
	id=$(cid hooks)
	create_ok "$id"
	assert_eq "$after_create" "$(order_of)" "hooks run by create"
	pid=$(init_pid "$id") || exit 1

	start_ok "$id"
	# poststart runs before start returns
	wait_file_contains "$CTL/order" process
	[[ $(order_of) == "$after_start" || $(order_of) == "$alt_start" ]] ||
		fail "hooks run by create+start: expected '$after_start', got '$(order_of)'"
	assert_eq "startContainer process" \
		"$(grep -xE 'startContainer|process' "$CTL/order" | tr '\n' ' ' | sed 's/ $//')" \
		"startContainer runs before the process"

	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_eq "$(order_of | sed 's/ poststop//') poststop" "$(order_of)" "poststop runs last, in delete"

	local st in_ctr
	for h in "${HOOK_NAMES[@]}"; do
		st=$(cat "$CTL/$h.state")
		jq -e . >/dev/null 2>&1 <<<"$st" || fail "$h hook: stdin is not JSON: '$st'"
		assert_eq "$id" "$(jq -r .id <<<"$st")" "$h hook: state id"
		assert_match "$(jq -r .ociVersion <<<"$st")" '^1\.' "$h hook: state ociVersion"
		assert_eq "arg one|arg2|" "$(cat "$CTL/$h.args")" "$h hook: args"
		assert_eq "value-$h" "$(cat "$CTL/$h.env")" "$h hook: env"
		# The hooks run inside the container get the pid as seen inside (1, as runc 1.1
		# gives it), the others the host's; crun 1.8 gives pid 0, bundle "/" and status
		# "starting" inside: not checked for crun. They run from the container's root.
		in_ctr=0
		[[ $h == createContainer || $h == startContainer ]] && in_ctr=1
		[[ $in_ctr == 1 && $RUNTIME_KIND == crun ]] && continue
		assert_eq "$BUNDLE" "$(jq -r .bundle <<<"$st")" "$h hook: state bundle"
		if ((in_ctr)); then
			assert_eq 1 "$(jq -r .pid <<<"$st")" "$h hook: state pid (as seen in the container)"
		elif [[ $h != poststop ]]; then
			assert_eq "$pid" "$(jq -r .pid <<<"$st")" "$h hook: state pid (as seen by the host)"
		fi
	done
	if is_myrt; then
		assert_eq "$EXAMPLE_ROOTFS" "$(cat "$CTL/createContainer.cwd")" "createContainer's cwd: the container's root"
		assert_eq / "$(cat "$CTL/startContainer.cwd")" "startContainer's cwd: the container's root"
	fi
	# Status as seen by each hook (runtime.md: creating/created/running/stopped).
	local s
	for h in prestart createRuntime createContainer; do
		[[ $RUNTIME_KIND == crun && $h == createContainer ]] && continue
		s=$(jq -r .status "$CTL/$h.state")
		assert_match "$s" '^(creating|created)$' "$h hook: state status"
	done
	if [[ $RUNTIME_KIND != crun ]]; then
		assert_match "$(jq -r .status "$CTL/startContainer.state")" '^(created|running)$' "startContainer hook: state status"
	fi
	[[ $RUNTIME_KIND == runc ]] || # runc: poststart runs in create
		assert_eq running "$(jq -r .status "$CTL/poststart.state")" "poststart hook: state status"
	assert_eq stopped "$(jq -r .status "$CTL/poststop.state")" "poststop hook: state status"
}

# startContainer hooks run as the container's process will (runc does the same): its uid,
# its capabilities and its seccomp filter are in place already.
test_start_container_hook_confined_like_the_process() {
	mk_bundle
	add_ctl
	local body='grep -E "^(Uid|CapEff|Seccomp):" /proc/self/status > /mnt/start.status'
	set_hook startContainer "$(jq -nc --arg s "$body" '{"path": "/bin/sh", "args": ["sh", "-c", $s]}')"
	cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["mknodat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args true
	run_ok "$(cid startconf)"
	local st
	st=$(tr -s ' \t' ' ' <"$CTL/start.status")
	assert_contains "$st" "Uid: 1000 1000 1000 1000" "startContainer hook's uid"
	assert_contains "$st" "CapEff: 0000000000000000" "startContainer hook's effective capabilities"
	assert_contains "$st" "Seccomp: 2" "startContainer hook's seccomp mode"
}

test_hooks_namespaces() {
	# createRuntime runs in the runtime namespace; createContainer and startContainer in
	# the container's (compare the mount and net namespaces of the hook process).
	mk_bundle
	add_ctl
	local body='d=$HOOKDIR; [ -d "$d" ] || d=/mnt; readlink /proc/self/ns/mnt > "$d/$1.mnt"; readlink /proc/self/ns/net > "$d/$1.net"'
	local h
	for h in createRuntime createContainer startContainer poststart; do
		set_hook "$h" "$(jq -nc --arg s "$body" --arg n "$h" --arg d "$CTL" \
			'{"path": "/bin/sh", "args": ["sh", "-c", $s, "sh", $n], "env": ["PATH=/usr/bin:/bin", "HOOKDIR=" + $d]}')"
	done
	set_args sh -c 'exec sleep 1000'
	local id pid
	id=$(cid hookns)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	local host_mnt host_net ctr_mnt ctr_net
	host_mnt=$(ns_of $$ mnt)
	host_net=$(ns_of $$ net)
	ctr_mnt=$(ns_of "$pid" mnt)
	ctr_net=$(ns_of "$pid" net)
	[[ $RUNTIME_KIND == crun ]] && host_mnt=$(cat "$CTL/poststart.mnt") # crun-wrapper: own mount ns
	assert_eq "$host_net" "$(cat "$CTL/createRuntime.net")" "createRuntime hook net namespace"
	assert_eq "$host_mnt" "$(cat "$CTL/createRuntime.mnt")" "createRuntime hook mount namespace"
	assert_eq "$ctr_net" "$(cat "$CTL/createContainer.net")" "createContainer hook net namespace"
	assert_eq "$ctr_mnt" "$(cat "$CTL/createContainer.mnt")" "createContainer hook mount namespace"
	assert_eq "$ctr_net" "$(cat "$CTL/startContainer.net")" "startContainer hook net namespace"
	assert_eq "$ctr_mnt" "$(cat "$CTL/startContainer.mnt")" "startContainer hook mount namespace"
	assert_eq "$host_net" "$(cat "$CTL/poststart.net")" "poststart hook net namespace"
}

test_hook_failing_create_runtime() {
	mk_bundle
	add_ctl
	set_hook createRuntime '{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-said-no >&2; exit 3"]}'
	set_hook createContainer "$(hook_json createContainer)"
	set_args sh -c 'echo SHOULD-NOT-RUN'
	local id
	id=$(cid hookfail)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "create with a failing createRuntime hook"
	[[ ! -e $CTL/createContainer.state ]] || fail "createContainer hook ran after createRuntime failed"
	assert_not_contains "$(cat "$T/out")" SHOULD-NOT-RUN "container process ran"
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state after a failed create"
	assert_no_leftovers "$id"
	rt list --quiet 2>/dev/null | grep -qxF "$id" && fail "list shows the failed container"
	return 0
}

test_hook_failing_prestart_with_run() {
	mk_bundle
	set_hook prestart "$FAILING_HOOK"
	set_args sh -c 'echo SHOULD-NOT-RUN'
	local id
	id=$(cid prefail)
	run_ctr "$id"
	assert_nonzero "run with a failing prestart hook"
	assert_not_contains "$OUT" SHOULD-NOT-RUN "container process ran"
	assert_no_leftovers "$id"
}

test_hook_failing_poststop_is_a_warning() {
	mk_bundle
	add_ctl
	cfg '.hooks.poststop = [$f, $h]' --argjson f "$FAILING_HOOK" --argjson h "$(hook_json poststop)"
	set_args true
	local id
	id=$(cid poststopfail)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	RC=0
	rt delete "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_rc 0 "delete with a failing poststop hook"
	# runc 1.1 stops at the first failing poststop hook (the spec says continue).
	[[ $RUNTIME_KIND == runc || -e $CTL/poststop.state ]] || fail "the poststop hook after the failing one did not run"
	assert_no_leftovers "$id"
}

test_hook_failing_poststart() {
	# runtime-spec 1.3 lifecycle step 9: a failing poststart hook MUST generate an error
	# and stop the container (older specs: only a warning; crun 1.8 warns). myrt: the
	# error. Either way `start` must not leave the container in a half state: afterwards
	# it is stopped or still running, and can be deleted with nothing left behind.
	[[ $RUNTIME_KIND == runc ]] && skip "runc 1.1 runs poststart hooks in create"
	mk_bundle
	set_hook poststart "$FAILING_HOOK"
	set_args sleep 1000
	local id
	id=$(cid poststartfail)
	create_ok "$id"
	RC=0
	rt start "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	local st
	st=$(state_field "$id" status)
	if is_myrt; then
		assert_nonzero "start with a failing poststart hook"
		assert_eq 1 "$(wc -l <"$T/err")" "one line of error"
		assert_contains "$(cat "$T/err")" poststart
	fi
	if [[ $RC != 0 ]]; then
		# error -> the container is stopped
		wait_for_status "$id" stopped
	else
		[[ $st == running ]] || fail "start succeeded (warning only) but status is '$st'"
		kill_ok "$id" KILL
		wait_for_status "$id" stopped
	fi
	delete_ok "$id"
	assert_no_leftovers "$id"
	echo "start with a failing poststart hook: exit $RC"
}

# runtime.md step 7: a failing startContainer hook is an error of `start`; the container
# stops and the poststart hooks do not run.
test_hook_failing_start_container() {
	[[ $RUNTIME_KIND == runc ]] && skip "runc 1.1.5's start exits 0 after a failing startContainer hook (the spec: an error)"
	mk_bundle
	add_ctl
	set_hook startContainer '{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/null; echo start-hook-said-no >&2; exit 3"]}'
	set_hook poststart "$(hook_json poststart)"
	set_args sh -c 'echo SHOULD-NOT-RUN >/mnt/ran; sleep 1000'
	local id
	id=$(cid startfail)
	create_ok "$id"
	rt start "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "start with a failing startContainer hook"
	is_myrt && assert_contains "$(head -n 1 "$T/err")" startContainer
	[[ ! -e $CTL/poststart.state ]] || fail "poststart hooks ran after startContainer failed"
	[[ ! -e $CTL/ran ]] || fail "the container's process ran"
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_no_leftovers "$id"
}

# runtime.md steps 3-5, 12, 13: a create that fails in its hooks destroys the container
# and runs the poststop hooks.
test_hook_failed_create_runs_poststop() {
	mk_bundle
	add_ctl
	set_hook createRuntime "$FAILING_HOOK"
	set_hook poststop "$(hook_json poststop)"
	set_args true
	local id
	id=$(cid createfail)
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "create with a failing createRuntime hook"
	[[ -e $CTL/poststop.state ]] || fail "the poststop hooks did not run after the failed create"
	assert_eq stopped "$(jq -r .status "$CTL/poststop.state")" "poststop hook: state status"
	assert_no_leftovers "$id"
}

test_hook_not_reading_stdin() {
	# A state bigger than a pipe buffer (annotations) and hooks that never read stdin:
	# one exits at once, one lingers briefly. The runtime must not block or die of SIGPIPE.
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8.1 start dies of SIGPIPE (exit 141) when a poststart hook does not read its stdin"
	mk_bundle
	add_ctl
	head -c 200000 /dev/zero | tr '\0' x >"$T/big"
	cfg '.annotations = {"big": $big}' --rawfile big "$T/big"
	local quick='{"path": "/bin/true"}'
	local linger
	linger=$(jq -nc --arg d "$CTL" '{"path": "/bin/sh", "args": ["sh", "-c", "sleep 0.3; echo $0 >> " + $d + "/ran", "h"]}')
	cfg '.hooks = {"createRuntime": [$q, $l], "poststart": [$q, $l], "poststop": [$q, $l]}' \
		--argjson q "$quick" --argjson l "$linger"
	set_args true
	local id
	id=$(cid nostdin)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_eq 3 "$(wc -l <"$CTL/ran")" "lingering hooks that ran"
	assert_no_leftovers "$id"
}

# The state that container init hands to createContainer and startContainer hooks comes
# over the runtime-init channel: with large annotations it must arrive whole (it was cut at
# 64 KiB: invalid JSON for the hooks, and the container could not start).
test_hooks_in_container_get_a_large_state() {
	local size id
	for size in 102400 3145728; do
		mk_bundle "$T/b$size"
		add_ctl
		head -c "$size" /dev/zero | tr '\0' x >"$T/big"
		cfg '.annotations = {"big": $big}' --rawfile big "$T/big"
		# createContainer runs before pivot_root (host paths: jq); startContainer after (/mnt).
		set_hook createContainer "$(jq -nc --arg d "$CTL" \
			'{"path": "/bin/sh", "args": ["sh", "-c", "/usr/bin/jq -e \".annotations.big | length\" > " + $d + "/create.len"]}')"
		set_hook startContainer '{"path": "/bin/sh", "args": ["sh", "-c", "cat > /mnt/start.state"]}'
		set_args sh -c 'echo started > /mnt/process'
		id=$(cid "big$size")
		create_ok "$id"
		assert_eq "$size" "$(cat "$CTL/create.len" 2>/dev/null)" "createContainer hook: annotations.big length ($size)"
		start_ok "$id"
		wait_file_contains "$CTL/process" started 10
		assert_eq "$size" "$(jq '.annotations.big | length' "$CTL/start.state" 2>&1 | head -c 300)" \
			"startContainer hook: annotations.big length ($size)"
		wait_for_status "$id" stopped 10
		delete_ok "$id"
	done
}

test_hook_timeout() {
	mk_bundle
	add_ctl
	local hook
	hook=$(jq -nc --arg tag "$TAG" --arg d "$CTL" \
		'{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ > " + $d + "/hook.pid; exec sleep 60"],
		  "env": ["MYRT_IT_TAG=" + $tag], "timeout": 1}')
	set_hook createRuntime "$hook"
	set_args true
	local id t0 elapsed
	id=$(cid hooktimeout)
	t0=$(now)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	elapsed=$((($(now) - t0) / 1000))
	assert_nonzero "create with a hook exceeding its timeout"
	((elapsed < 20000)) || fail "create took ${elapsed}ms with a 1s hook timeout"
	((elapsed >= 900)) || fail "create failed after ${elapsed}ms, before the 1s hook timeout"
	local hp
	hp=$(cat "$CTL/hook.pid" 2>/dev/null)
	[[ -n $hp ]] || fail "the hook did not run"
	wait_pid_gone "$hp" 5
	assert_no_leftovers "$id"
}

test_hook_without_args() {
	# A hook without args gets argv[0] = path (runc and crun also pass their own
	# environment to a hook without env, so that is not checked).
	mk_bundle
	add_ctl
	cat >"$CTL/hook.sh" <<-EOF
		#!/bin/sh
		echo "argv0=\$0 nargs=\$#" > $CTL/noargs
	EOF
	chmod 755 "$CTL/hook.sh"
	set_hook createRuntime "$(jq -nc --arg p "$CTL/hook.sh" '{"path": $p}')"
	set_args true
	run_ok "$(cid hookargs)"
	assert_eq "argv0=$CTL/hook.sh nargs=0" "$(cat "$CTL/noargs")" "hook without args"
}

test_hook_missing_path() {
	mk_bundle
	set_hook createRuntime '{"path": "/nonexistent/hook"}'
	set_args sh -c 'echo SHOULD-NOT-RUN'
	local id
	id=$(cid hookmissing)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "create with a hook whose path does not exist"
	assert_not_contains "$(cat "$T/out")" SHOULD-NOT-RUN "container process ran"
	assert_no_leftovers "$id"
}
