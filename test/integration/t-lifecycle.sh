# shellcheck shell=bash
# Lifecycle: create / state / start / stopped / delete, run, --pid-file, list.

test_create_start_state_delete() {
	mk_bundle
	add_ctl
	set_args sh -c 'echo "hello from $(hostname)"; while [ ! -e /mnt/go ]; do sleep 0.02; done; echo bye'
	local id
	id=$(cid life)
	create_ok "$id"

	local st pid
	st=$(rt state "$id") || fail "state after create failed"
	jq -e . >/dev/null <<<"$st" || fail "state is not JSON: $st"
	assert_eq created "$(jq -r .status <<<"$st")" "status after create"
	assert_eq "$id" "$(jq -r .id <<<"$st")" "state id"
	assert_eq "$BUNDLE" "$(jq -r .bundle <<<"$st")" "state bundle"
	assert_match "$(jq -r .ociVersion <<<"$st")" '^1\.[0-9]+\.[0-9]+' "state ociVersion"
	pid=$(jq -r .pid <<<"$st")
	assert_match "$pid" '^[1-9][0-9]*$' "state pid"
	pid_alive "$pid" || fail "pid $pid of the created container is not alive"
	assert_ne "$(ns_of $$ pid)" "$(ns_of "$pid" pid)" "pid namespace of the created container's init"
	[[ -d $ROOT/$id ]] || fail "no state dir $ROOT/$id after create"
	# Nothing of the user's program may run before start.
	[[ ! -s $T/$id.out ]] || fail "process output before start: $(<"$T/$id.out")"

	start_ok "$id"
	wait_file_contains "$T/$id.out" "hello from myrt-example"
	assert_eq running "$(state_field "$id" status)" "status after start"
	assert_eq "$pid" "$(state_field "$id" pid)" "pid after start"

	touch "$CTL/go"
	wait_for_status "$id" stopped
	wait_file_contains "$T/$id.out" bye
	pid_gone "$pid" || wait_pid_gone "$pid"

	delete_ok "$id"
	[[ ! -e $ROOT/$id ]] || fail "state dir $ROOT/$id left after delete"
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state after delete"
	rt list --quiet >"$T/list" 2>&1 || fail "list failed: $(<"$T/list")"
	assert_not_contains "$(<"$T/list")" "$id" "list after delete"
	assert_no_leftovers "$id"
}

test_start_twice_fails() {
	mk_bundle
	set_args sh -c 'exec sleep 1000'
	local id
	id=$(cid twice)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" running
	RC=0
	rt start "$id" >/dev/null 2>"$T/err" || RC=$?
	assert_nonzero "second start"
	assert_eq running "$(state_field "$id" status)"
}

test_run_exit_code() {
	mk_bundle
	set_args sh -c 'echo out-line; echo err-line >&2; exit 7'
	local id
	id=$(cid exit7)
	run_ctr "$id"
	assert_rc 7 "run of 'exit 7'"
	assert_eq out-line "$OUT" "run stdout"
	assert_contains "$ERR" err-line "run stderr"
	# run deletes the container afterwards.
	[[ ! -e $ROOT/$id ]] || fail "run left state dir $ROOT/$id"
	RC=0
	rt state "$id" >/dev/null 2>&1 || RC=$?
	assert_nonzero "state after run"
	assert_no_leftovers "$id"

	set_args true
	run_ctr "$(cid exit0)"
	assert_rc 0 "run of true"
}

test_run_killed_by_signal() {
	mk_bundle
	add_ctl
	set_args sh -c 'echo started > /mnt/started; exec sleep 1000'
	local id
	id=$(cid sig)
	rt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null &
	local job=$!
	wait_file_contains "$CTL/started" started
	wait_for_status "$id" running
	kill_ok "$id" KILL
	RC=0
	wait "$job" || RC=$?
	assert_rc 137 "run of a container killed by SIGKILL"
	assert_no_leftovers "$id"
}

test_run_self_term_without_pidns() {
	# Without a pid namespace the shell is not an init: SIGTERM kills it -> 128+15.
	mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'kill -TERM $$; sleep 5'
	run_ctr "$(cid term)"
	assert_rc 143 "run of a container whose process died of SIGTERM"
}

test_run_detach() {
	mk_bundle
	set_args sh -c 'echo detached-out; exec sleep 1000'
	local id
	id=$(cid detach)
	RC=0
	rt run --bundle "$BUNDLE" --detach "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_rc 0 "run --detach"
	assert_eq running "$(state_field "$id" status)" "status after run --detach"
	wait_file_contains "$T/out" detached-out
	local pid
	pid=$(init_pid "$id") || exit 1
	pid_alive "$pid" || fail "detached container's pid $pid not alive"
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_pid_file() {
	mk_bundle
	set_args sleep 1000
	local id
	id=$(cid pidfile)
	create_ok "$id" --pid-file "$T/pidfile"
	[[ -s $T/pidfile ]] || fail "pid file $T/pidfile missing or empty"
	local pf
	pf=$(tr -d '\n' <"$T/pidfile")
	assert_eq "$(state_field "$id" pid)" "$pf" "pid file content vs state pid"

	set_args sh -c 'exit 0'
	rt run --bundle "$BUNDLE" --pid-file "$T/pidfile2" --detach "$(cid pidfile2)" >"$T/out" 2>"$T/err" </dev/null ||
		fail "run --detach --pid-file failed: $(<"$T/err")"
	assert_match "$(tr -d '\n' <"$T/pidfile2")" '^[1-9][0-9]*$' "run --pid-file content"
}

test_list_formats() {
	mk_bundle
	set_args sleep 1000
	local a b
	a=$(cid lista)
	b=$(cid listb)
	create_ok "$a"
	# b has annotations: listed with them, as runc lists them (a has none: no member).
	cfg '.annotations = {"org.example.k": "v \"q\"", "org.example.empty": ""}'
	create_ok "$b"
	start_ok "$b"
	wait_for_status "$b" running

	local js
	js=$(rt list --format json 2>"$T/err") || fail "list --format json failed: $(<"$T/err")"
	jq -e 'type == "array"' >/dev/null <<<"$js" || fail "list json is not an array: $js"
	assert_eq 2 "$(jq length <<<"$js")" "number of containers in list json"
	assert_eq created "$(jq -r --arg id "$a" '.[] | select(.id == $id) | .status' <<<"$js")" "list json status of $a"
	assert_eq running "$(jq -r --arg id "$b" '.[] | select(.id == $id) | .status' <<<"$js")" "list json status of $b"
	assert_eq "$(state_field "$b" pid)" "$(jq -r --arg id "$b" '.[] | select(.id == $id) | .pid' <<<"$js")" "list json pid"
	assert_eq "$BUNDLE" "$(jq -r --arg id "$b" '.[] | select(.id == $id) | .bundle' <<<"$js")" "list json bundle"
	assert_eq '{"org.example.empty":"","org.example.k":"v \"q\""}' \
		"$(jq -cS --arg id "$b" '.[] | select(.id == $id) | .annotations' <<<"$js")" "list json annotations of $b"
	assert_eq false "$(jq --arg id "$a" '.[] | select(.id == $id) | has("annotations")' <<<"$js")" \
		"list json of $a (no annotations) has an annotations member"
	assert_eq '["ociVersion","id","pid","status","bundle","rootfs","created","annotations","owner"]' \
		"$(jq -c --arg id "$b" '.[] | select(.id == $id) | keys_unsorted' <<<"$js")" "list json members, in runc's order"

	local q
	q=$(rt list --quiet 2>"$T/err") || fail "list --quiet failed: $(<"$T/err")"
	assert_eq "$(printf '%s\n' "$a" "$b" | sort)" "$(sort <<<"$q")" "list --quiet"
	# Sorted by id (runc's order; scripts diff lists): created in the other order, still sorted.
	local c
	c=$(cid lis0)
	create_ok "$c"
	q=$(rt list --quiet 2>"$T/err") || fail "list --quiet failed: $(<"$T/err")"
	assert_eq "$(printf '%s\n' "$a" "$b" "$c" | LC_ALL=C sort)" "$q" "list --quiet order"
	delete_ok "$c" --force

	local tbl header
	tbl=$(rt list 2>"$T/err") || fail "list failed: $(<"$T/err")"
	header=$(head -n 1 <<<"$tbl")
	# crun names its first column NAME; runc and myrt use ID.
	[[ $RUNTIME_KIND == crun ]] || assert_match "$header" '^ID[[:space:]]' "list table header"
	assert_contains "$header" PID "list table header"
	assert_contains "$header" STATUS "list table header"
	assert_contains "$header" BUNDLE "list table header"
	assert_match "$(grep -F "$a" <<<"$tbl")" "^${a}[[:space:]]+[0-9]+[[:space:]]+created[[:space:]]+$BUNDLE" "list row of $a"
	assert_match "$(grep -F "$b" <<<"$tbl")" "^${b}[[:space:]]+[0-9]+[[:space:]]+running[[:space:]]+$BUNDLE" "list row of $b"

	# An empty root lists nothing (JSON: an empty array or null).
	js=$(timeout 10 "$RUNTIME" --root "$T/empty-root" list --format json 2>"$T/err") ||
		fail "list on an empty root failed: $(<"$T/err")"
	jq -e 'length == 0' >/dev/null 2>&1 <<<"$js" || fail "list json on an empty root: expected [] (or null), got '$js'"
}

test_state_of_stopped_container() {
	mk_bundle
	set_args true
	local id
	id=$(cid stopped)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	local st
	st=$(rt state "$id") || fail "state of a stopped container failed"
	assert_eq stopped "$(jq -r .status <<<"$st")"
	delete_ok "$id"
	assert_no_leftovers "$id"
}

test_annotations_in_state() {
	mk_bundle
	cfg '.annotations = {"org.example.key": "value one", "second": "2"}'
	set_args sleep 1000
	local id
	id=$(cid annot)
	create_ok "$id"
	local st
	st=$(rt state "$id")
	assert_eq "value one" "$(jq -r '.annotations["org.example.key"]' <<<"$st")" "state annotations"
	assert_eq 2 "$(jq -r '.annotations.second' <<<"$st")" "state annotations"
}

test_version_and_spec() {
	RC=0
	"$RUNTIME" --version >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "--version"
	[[ -s $T/out ]] || fail "--version printed nothing"
	mkdir -p "$T/spec"
	RC=0
	"$RUNTIME" spec --bundle "$T/spec" >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "spec --bundle"
	jq -e '.ociVersion and .process.args and .root.path and (.linux.namespaces | length > 0)' \
		"$T/spec/config.json" >/dev/null || fail "spec wrote no usable config.json"
	# spec refuses to overwrite an existing config.json (runc and crun both do).
	RC=0
	"$RUNTIME" spec --bundle "$T/spec" >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "spec over an existing config.json"
}

test_start_stopped_fails() {
	mk_bundle
	set_args true
	local id
	id=$(cid startstopped)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	RC=0
	rt start "$id" >/dev/null 2>"$T/err" || RC=$?
	assert_nonzero "start of a stopped container"
	assert_eq stopped "$(state_field "$id" status)"
}

test_run_stdin() {
	# The container's stdio is run's: stdin included.
	mk_bundle
	set_args sh -c 'read line; echo "got [$line]"; cat'
	local id
	id=$(cid stdin)
	RC=0
	printf 'first line\nrest\n' | rt run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" || RC=$?
	assert_rc 0 "run with stdin from a pipe"
	assert_eq "got [first line]
rest" "$(cat "$T/out")" "container output of its stdin"
}

test_run_forwards_signals() {
	# Like runc and crun, a foreground `run` passes the signals it gets to the container.
	mk_bundle
	set_args sh -c 'trap "echo got-USR1" USR1; trap "echo got-TERM; exit 9" TERM; echo ready; while :; do sleep 0.05; done'
	local id
	id=$(cid fwd)
	MYRT_IT_RT=$TAG "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null &
	local job=$!
	echo "$id" >>"$T/.ids"
	wait_file_contains "$T/out" ready
	kill -USR1 "$job"
	wait_file_contains "$T/out" got-USR1
	kill -TERM "$job"
	wait_file_contains "$T/out" got-TERM
	RC=0
	wait "$job" || RC=$?
	assert_rc 9 "exit status of run after the container handled TERM"
	assert_no_leftovers "$id"
}

test_pid_file_relative() {
	# A relative --pid-file is relative to the caller's working directory (runc).
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 resolves a relative --pid-file against the bundle"
	mk_bundle
	set_args sleep 1000
	mkdir -p "$T/cwd"
	local id
	id=$(cid relpid)
	(cd "$T/cwd" && rt create --bundle "$BUNDLE" --pid-file rel.pid "$id" >"$T/out" 2>"$T/err" </dev/null) ||
		fail "create --pid-file rel.pid failed: $(cat "$T/err")"
	[[ -s $T/cwd/rel.pid ]] || fail "no pid file at \$PWD/rel.pid"
	assert_eq "$(state_field "$id" pid)" "$(tr -d '\n' <"$T/cwd/rel.pid")" "relative pid file content"
}

# run --keep: the container stays after its process exits (stopped, its cgroup there), for
# a later delete, which removes it all.
test_run_keep() {
	mk_bundle
	set_args sh -c 'exit 3'
	local id
	id=$(cid keep)
	run_ctr "$id" --keep
	assert_eq 3 "$RC" "run --keep exit status (stderr: $ERR)"
	assert_eq stopped "$(state_field "$id" status)" "status after run --keep"
	[[ -n $(cgroup_dirs_named "$id") ]] || fail "run --keep removed the cgroup"
	delete_ok "$id"
	[[ -z $(cgroup_dirs_named "$id") ]] || fail "delete left the cgroup: $(cgroup_dirs_named "$id")"
	[[ ! -e $ROOT/$id ]] || fail "delete left the state"
}
