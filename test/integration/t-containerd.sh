# shellcheck shell=bash
# containerd (its runc v2 shim, containerd-shim-runc-v2) runs containers with the runtime
# under test: `ctr run --runc-binary WRAPPER --runc-root ...`. Each test starts its own
# containerd (private root, state, sockets; no CRI plugin) and stops it at the end, and
# imports the example rootfs as an OCI archive (built by hand, lib/callers.sh).
# shellcheck source=lib/callers.sh
source "$IT_DIR/lib/callers.sh"

test_ctr_run_rm() {
	cd_setup
	ctr_run --rm "$CALLERS_IMAGE" c1 sh -c 'echo out-line; echo err-line >&2; exit 3'
	assert_rc 3 "ctr run --rm of 'exit 3'"
	assert_eq out-line "$OUT" "stdout"
	assert_contains "$ERR" err-line "stderr"

	# ctr's spec: new namespaces (network, uts...), the env from --env.
	ctr_run --rm "$CALLERS_IMAGE" c2 sh -c 'echo "hi $MYRT_IT_TAG $(readlink /proc/self/ns/net)"'
	assert_rc 0 "ctr run --rm of echo"
	assert_eq "hi $TAG" "${OUT% *}" "output"
	assert_ne "$(ns_of $$ net)" "${OUT##* }" "the container's network namespace"

	# The shim puts --root, --log <bundle>/log.json, --log-format json before every command.
	local line n=0
	while read -r line; do
		n=$((n + 1))
		[[ $line =~ ^[0-9.]+\ [0-9]+\ --root\ $RT_ROOT/$CD_NS\ --log\ [^\ ]+/c[12]/log\.json\ --log-format\ json\ (create|start|delete|kill|state)\  ]] ||
			fail "unexpected runtime call from the shim: $line"
	done <"$ARGV_LOG"
	((n > 0)) || fail "the shim never called the runtime"
	[[ -n $(argv_calls create) && -n $(argv_calls start) && -n $(argv_calls delete) ]] ||
		fail "no create/start/delete calls: $(<"$ARGV_LOG")"
	cd_assert_clean
}

test_ctr_detached_kill_delete() {
	cd_setup
	ctr_run -d --null-io "$CALLERS_IMAGE" d1 sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done'
	assert_rc 0 "ctr run -d"
	_task_status_is() { [[ $(ctr_task_field "$1" STATUS) == "$2" ]]; }
	wait_for 10 _task_status_is d1 RUNNING || fail "task d1: status '$(ctr_task_field d1 STATUS)', wanted RUNNING"
	local pid
	pid=$(ctr_task_field d1 PID)
	assert_match "$pid" '^[1-9][0-9]*$' "task pid"
	pid_alive "$pid" || fail "task pid $pid is not alive"
	grep -qzxF "MYRT_IT_TAG=$TAG" "/proc/$pid/environ" || fail "task pid $pid is not our container's process"

	local st
	st=$("$RUNTIME" --root "$RT_ROOT/$CD_NS" state d1 2>"$T/state.err") ||
		fail "runtime state d1 failed: $(<"$T/state.err")"
	assert_eq running "$(jq -r .status <<<"$st")" "runtime state status"
	assert_eq "$pid" "$(jq -r .pid <<<"$st")" "runtime state pid"

	ctr_cmd task ps d1
	assert_rc 0 "ctr task ps"
	grep -qE "^$pid( |\$)" <<<"$OUT" || fail "ctr task ps does not list the init pid $pid: $OUT"

	ctr_cmd task pause d1
	assert_rc 0 "ctr task pause"
	assert_eq PAUSED "$(ctr_task_field d1 STATUS)" "status after pause"
	assert_eq frozen "$(freezer_of "$pid")" "freezer after pause"
	ctr_cmd task resume d1
	assert_rc 0 "ctr task resume"
	assert_eq RUNNING "$(ctr_task_field d1 STATUS)" "status after resume"
	assert_eq thawed "$(freezer_of "$pid")" "freezer after resume"

	ctr_cmd task kill d1
	assert_rc 0 "ctr task kill (SIGTERM)"
	wait_for 10 _task_status_is d1 STOPPED || fail "task d1: status '$(ctr_task_field d1 STATUS)' after kill"
	wait_pid_gone "$pid"
	assert_match "$(argv_calls kill)" ' kill d1 15$' "runtime kill call"
	ctr_cmd task delete d1
	assert_rc 0 "ctr task delete"
	assert_contains "$ERR" "exit code 5" "exit code reported by task delete"
	ctr_cmd container delete d1
	assert_rc 0 "ctr container delete"
	cd_assert_clean

	# kill --all reaches every process of the container, not only its init.
	ctr_run -d --null-io "$CALLERS_IMAGE" d2 sh -c 'sleep 1000 & exec sleep 1001'
	assert_rc 0 "ctr run -d (two processes)"
	wait_for 10 _task_status_is d2 RUNNING || fail "task d2: status '$(ctr_task_field d2 STATUS)', wanted RUNNING"
	_two_procs() { (($(tagged_pids | wc -l) >= 2)); }
	wait_for 10 _two_procs || fail "container d2: processes $(_pids_desc $(tagged_pids)), wanted 2"
	local pids
	pids=$(tagged_pids)
	ctr_cmd task kill --all --signal SIGKILL d2
	assert_rc 0 "ctr task kill --all"
	wait_for 10 _task_status_is d2 STOPPED || fail "task d2: status '$(ctr_task_field d2 STATUS)' after kill --all"
	for pid in $pids; do wait_pid_gone "$pid"; done
	assert_match "$(argv_calls kill)" ' kill --all d2 9$' "runtime kill --all call"
	ctr_cmd task delete d2
	assert_rc 0 "ctr task delete d2"
	ctr_cmd container delete d2
	assert_rc 0 "ctr container delete d2"
	cd_assert_clean
}

test_ctr_bad_command() {
	cd_setup
	ctr_run --rm "$CALLERS_IMAGE" b1 /bin/nosuch
	assert_nonzero "ctr run of /bin/nosuch"
	assert_eq 1 "$(grep -c nosuch "$T/err")" "lines mentioning /bin/nosuch in ctr's stderr ($ERR)"
	assert_contains "$(grep nosuch "$T/err")" "OCI runtime create failed" "ctr's stderr"
	assert_contains "$(grep nosuch "$T/err")" "no such file or directory" "ctr's stderr"
	# The shim takes the message from the runtime's --log (json): without it ctr would say
	# only "exit status 1".
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in ctr's stderr"
	fi
	cd_assert_clean
}

test_ctr_exec() {
	cd_setup
	# --seccomp: containerd's default profile (with noNewPrivileges, ctr's default).
	ctr_run -d --null-io --seccomp "$CALLERS_IMAGE" e1 sleep 1000
	assert_rc 0 "ctr run -d --seccomp"
	ctr_cmd task exec --exec-id x1 --fifo-dir "$FIFO_DIR" e1 sh -c 'echo "hi from exec"; echo err-line >&2; exit 4'
	assert_rc 4 "ctr task exec of 'exit 4'"
	assert_eq "hi from exec" "$OUT" "exec output"
	assert_contains "$ERR" err-line "exec stderr"
	assert_match "$(argv_calls exec | head -n 1)" ' exec --process [^ ]+ --detach --pid-file [^ ]+ e1$' "runtime exec call"

	ctr_cmd task exec --exec-id x2 --fifo-dir "$FIFO_DIR" e1 /bin/nosuch
	assert_nonzero "ctr task exec of /bin/nosuch"
	assert_eq 1 "$(grep -c nosuch "$T/err")" "lines mentioning /bin/nosuch in ctr's stderr ($ERR)"
	assert_contains "$(grep nosuch "$T/err")" "OCI runtime exec failed" "ctr's stderr"
	if is_myrt; then
		assert_contains "$ERR" 'exec "/bin/nosuch": no such file or directory' "myrt's message in ctr's stderr"
	fi

	# With a terminal (ctr wants one on its side: script(1) gives it a pty).
	if command -v script >/dev/null; then
		local cmd
		cmd=$(printf '%q ' ctr --address "$CD_SOCK" --namespace "$CD_NS" task exec -t --exec-id x3 \
			--fifo-dir "$FIFO_DIR" e1 sh -c 'tty; echo tty-ok')
		timeout -k 5 "$CALLERS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null >"$T/out" 2>&1
		RC=$?
		assert_rc 0 "ctr task exec -t"
		# (script echoes a NUL from ctr as "^@", anywhere; with runc too)
		assert_match "$(tr -d '\r\0' <"$T/out" | sed 's/\^@//g')" $'(^|\n)/dev/pts/[0-9]+\ntty-ok' \
			"ctr task exec -t output"
		assert_match "$(argv_calls exec | tail -n 1)" ' --console-socket [^ ]+ ' "exec call with a terminal"
	fi

	assert_eq RUNNING "$(ctr_task_field e1 STATUS)" "status after the execs"
	ctr_cmd task kill --signal SIGKILL e1
	assert_rc 0 "ctr task kill"
	_task_stopped() { [[ $(ctr_task_field e1 STATUS) == STOPPED ]]; }
	wait_for 10 _task_stopped || fail "task e1: status '$(ctr_task_field e1 STATUS)' after kill"
	ctr_cmd task delete e1
	assert_rc 0 "ctr task delete"
	ctr_cmd container delete e1
	assert_rc 0 "ctr container delete"
	cd_assert_clean
}

test_ctr_run_tty() {
	command -v script >/dev/null || skip "script(1) (bsdutils) is missing: ctr run -t needs a terminal"
	cd_setup
	local cmd
	cmd=$(printf '%q ' ctr --address "$CD_SOCK" --namespace "$CD_NS" run -t --rm \
		--runc-binary "$WRAPPER" --runc-root "$RT_ROOT" --fifo-dir "$FIFO_DIR" --env "MYRT_IT_TAG=$TAG" \
		"$CALLERS_IMAGE" t1 sh -c 'tty; echo tty-ok; exit 6')
	timeout -k 5 "$CALLERS_TIMEOUT" script -qec "$cmd" /dev/null </dev/null >"$T/out" 2>&1
	RC=$?
	cat "$T/out" >&2
	assert_rc 6 "ctr run -t --rm of 'exit 6' (through script -e)"
	assert_match "$(tr -d '\r\0' <"$T/out" | sed 's/\^@//g')" $'(^|\n)/dev/pts/0\ntty-ok' "ctr run -t output"
	assert_match "$(argv_calls create)" ' --console-socket [^ ]+ ' "create call with a terminal"
	cd_assert_clean
}
