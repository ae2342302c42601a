# shellcheck shell=bash
# Error paths. Every failing command must exit non-zero and leave nothing behind. For
# myrt the message is checked too: ONE line on stderr, the exact text (or prefix) below.
# For other runtimes only the exit status (and leftovers) are checked.

# expect_error WHAT EXACT|PREFIX|CONTAINS TEXT...: checks RC and $T/err
#   exact TEXT       stderr is exactly the one line TEXT
#   prefix TEXT      stderr is one line starting with TEXT
#   contains TEXT... stderr is one line starting "myrt: " containing every TEXT
expect_error() {
	local what=$1 how=$2
	shift 2
	assert_nonzero "$what"
	is_myrt || return 0
	local err n
	err=$(cat "$T/err")
	n=$(wc -l <"$T/err")
	[[ $n == 1 ]] || fail "$what: expected one line on stderr, got $n: $err"
	case $how in
		exact) assert_eq "$1" "$err" "$what: stderr" ;;
		prefix) [[ $err == "$1"* ]] || fail "$what: stderr should start with '$1', got '$err'" ;;
		contains)
			[[ $err == "myrt: "* ]] || fail "$what: stderr should start with 'myrt: ', got '$err'"
			local s
			for s in "$@"; do assert_contains "$err" "$s" "$what: stderr"; done
			;;
	esac
	assert_eq "" "$(cat "$T/out")" "$what: stdout"
}

# try ARGS...: rt ARGS with stdout/stderr to $T/out, $T/err; sets RC
try() {
	RC=0
	rt "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
}

# nothing_left ID: no state dir, process, cgroup, mount; root dir empty
nothing_left() {
	assert_no_leftovers "$1"
	local left
	left=$(ls -A "$ROOT" 2>/dev/null | grep -v -E '^\.' || true)
	[[ -z $left ]] || fail "left in the state root: $left"
}

test_unknown_id() {
	local id cmd
	id=$(cid nosuch)
	for cmd in state start kill delete; do
		try "$cmd" "$id"
		expect_error "$cmd of an unknown id" exact "myrt: container does not exist"
	done
	try kill "$id" KILL
	expect_error "kill KILL of an unknown id" exact "myrt: container does not exist"
	nothing_left "$id"
}

test_create_existing_id() {
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid dup)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with an existing id" exact "myrt: container with given ID already exists"
	assert_eq created "$(state_field "$id" status)" "the first container after a duplicate create"
	assert_eq "$pid" "$(state_field "$id" pid)" "pid of the first container after a duplicate create"
	pid_alive "$pid" || fail "the first container's process died"
	try run --bundle "$BUNDLE" "$id"
	expect_error "run with an existing id" exact "myrt: container with given ID already exists"
	# The duplicates made no container: no other process in a new pid namespace.
	local p others=''
	for p in $(leftover_pids); do
		[[ $p != "$pid" && $(ns_of "$p" pid) != "$(ns_of $$ pid)" ]] && others+="$p "
	done
	[[ -z $others ]] || fail "processes of a duplicate create/run: $(_pids_desc $others)"
}

test_kill_not_running() {
	mk_bundle
	set_args true
	local id
	id=$(cid notrunning)
	create_ok "$id"
	start_ok "$id"
	wait_for_status "$id" stopped
	try kill "$id"
	expect_error "kill of a stopped container" exact "myrt: container not running"
	try kill "$id" KILL
	expect_error "kill KILL of a stopped container" exact "myrt: container not running"
	assert_eq stopped "$(state_field "$id" status)"
}

test_delete_created_without_force() {
	[[ $RUNTIME_KIND == runc || $RUNTIME_KIND == crun ]] &&
		skip "$RUNTIME_KIND deletes a created container without --force"
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid created)
	create_ok "$id"
	pid=$(init_pid "$id") || exit 1
	try delete "$id"
	expect_error "delete of a created container" exact "myrt: cannot delete container that is not stopped: created"
	assert_eq created "$(state_field "$id" status)" "status after a refused delete"
	pid_alive "$pid" || fail "the created container's process died"
}

test_invalid_ids() {
	mk_bundle
	set_args true
	local long
	long=$(printf 'a%.0s' {1..1000})
	local id ids=("a/b" ".." "" "$long")
	# More that runc rejects too (crun 1.8 accepts "a b").
	[[ $RUNTIME_KIND == crun ]] || ids+=("." "../x" "a b")
	for id in "${ids[@]}"; do
		try create --bundle "$BUNDLE" "$id"
		expect_error "create with id '${id:0:20}'" prefix "myrt: invalid container id"
		try run --bundle "$BUNDLE" "$id"
		expect_error "run with id '${id:0:20}'" prefix "myrt: invalid container id"
	done
	for id in "a/b" ".." "" "$long"; do
		try state "$id"
		expect_error "state with id '${id:0:20}'" prefix "myrt: invalid container id"
	done
	[[ -z $(ls -A "$ROOT") ]] || fail "invalid ids left files in the state root: $(ls -A "$ROOT")"
	[[ ! -e $T/x ]] || fail "id ../x wrote outside the state root"
	assert_no_leftovers x
}

test_valid_unusual_ids() {
	# runc accepts [A-Za-z0-9_+.-]; these must work.
	mk_bundle
	set_args echo ran
	local id
	for id in "A_b.c-d+e" "x" "1234"; do
		run_ctr "$id"
		assert_rc 0 "run with id '$id'"
		assert_eq ran "$OUT" "output of the container with id '$id'"
	done
}

test_missing_bundle() {
	local id
	id=$(cid nobundle)
	try create --bundle "$T/does-not-exist" "$id"
	expect_error "create with a missing bundle" contains "$T/does-not-exist"
	nothing_left "$id"
	try run --bundle "$T/does-not-exist" "$id"
	expect_error "run with a missing bundle" contains "$T/does-not-exist"
	nothing_left "$id"
}

test_missing_config() {
	mkdir -p "$T/empty-bundle"
	local id
	id=$(cid noconfig)
	try create --bundle "$T/empty-bundle" "$id"
	expect_error "create without config.json" contains "config.json"
	nothing_left "$id"
}

test_malformed_config_json() {
	mk_bundle
	local id
	id=$(cid badjson)
	printf '{"ociVersion": "1.3.0", "process": ' >"$BUNDLE/config.json"
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with invalid JSON" contains "$BUNDLE/config.json"
	nothing_left "$id"
}

test_config_args_not_array() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 accepts process.args as a string"
	mk_bundle
	cfg '.process.args = "sh -c true"'
	local id
	id=$(cid argsstring)
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with process.args a string" exact \
		"myrt: $BUNDLE/config.json: process.args: expected array of strings"
	nothing_left "$id"
}

test_missing_rootfs() {
	mk_bundle
	cfg '.root.path = $p' --arg p "$T/no-rootfs"
	local id
	id=$(cid norootfs)
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with a missing rootfs" contains "rootfs" "no such file or directory"
	nothing_left "$id"
}

test_missing_executable() {
	mk_bundle
	set_args /bin/nosuch
	local id
	id=$(cid noexec)
	try run --bundle "$BUNDLE" "$id"
	expect_error "run of a missing executable" exact 'myrt: exec "/bin/nosuch": no such file or directory'
	nothing_left "$id"
	# Same with create + start: whichever fails, afterwards nothing is left.
	try create --bundle "$BUNDLE" "$id"
	if [[ $RC == 0 ]]; then
		try start "$id"
		expect_error "start of a missing executable" exact 'myrt: exec "/bin/nosuch": no such file or directory'
		rt delete --force "$id" >/dev/null 2>&1
	else
		expect_error "create of a missing executable" exact 'myrt: exec "/bin/nosuch": no such file or directory'
	fi
	nothing_left "$id"
}

test_executable_not_in_path() {
	mk_bundle
	set_args nosuch-command
	local id
	id=$(cid nopath)
	try run --bundle "$BUNDLE" "$id"
	expect_error "run of a command not in PATH" contains "nosuch-command"
	nothing_left "$id"
}

test_unknown_signal() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 kill with an unknown signal name exits 0"
	mk_bundle
	set_args sleep 1000
	local id pid
	id=$(cid badsig)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	try kill "$id" FOO
	expect_error "kill with an unknown signal" exact 'myrt: unknown signal "FOO"'
	try kill "$id" SIGFOO
	expect_error "kill with an unknown signal" exact 'myrt: unknown signal "SIGFOO"'
	try kill "$id" 999
	assert_nonzero "kill with signal 999"
	assert_eq running "$(state_field "$id" status)" "status after kill with an unknown signal"
	pid_alive "$pid" || fail "the container died of an unknown signal"
}

test_unknown_command_and_flag() {
	RC=0
	"$RUNTIME" --root "$ROOT" no-such-command >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "an unknown command"
	RC=0
	"$RUNTIME" --root "$ROOT" state --no-such-flag x >"$T/out" 2>"$T/err" || RC=$?
	assert_nonzero "an unknown flag"
}

test_invalid_namespace_config() {
	[[ $RUNTIME_KIND == crun ]] && skip "crun 1.8 accepts duplicate namespaces"
	mk_bundle
	cfg '.linux.namespaces += [{"type": "pid"}]' # duplicate
	local id
	id=$(cid dupns)
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with a duplicate namespace" contains "namespace"
	nothing_left "$id"
	mk_bundle
	cfg '.linux.namespaces += [{"type": "nosuchns"}]'
	try create --bundle "$BUNDLE" "$id"
	expect_error "create with an unknown namespace type" contains "nosuchns"
	nothing_left "$id"
}

test_log_json() {
	local id
	id=$(cid nolog)
	RC=0
	timeout 30 "$RUNTIME" --root "$ROOT" --log "$T/log.json" --log-format json state "$id" \
		>"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "state of an unknown id (with --log)"
	[[ -s $T/log.json ]] || fail "--log file $T/log.json is empty"
	local line
	while IFS= read -r line; do
		jq -e 'type == "object" and (.level | type == "string") and (.msg | type == "string") and (.time | type == "string")' \
			>/dev/null 2>&1 <<<"$line" || fail "--log-format json: not a {level,msg,time} JSON line: '$line'"
	done <"$T/log.json"
	local err
	err=$(jq -c 'select(.level == "error")' "$T/log.json")
	[[ -n $err ]] || fail "no error-level line in the log: $(cat "$T/log.json")"
	# crun says "error opening file .../status: No such file or directory"
	[[ $RUNTIME_KIND == crun ]] || assert_contains "$err" "container does not exist" "error logged"
	local t
	t=$(jq -r 'select(.level == "error") | .time' "$T/log.json" | head -n 1)
	assert_match "$t" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}' "time field (RFC 3339)"
	if is_myrt; then
		assert_eq "container does not exist" "$(jq -r 'select(.level == "error") | .msg' "$T/log.json")" "msg"
	fi
}

test_log_text() {
	local id
	id=$(cid nolog)
	RC=0
	timeout 30 "$RUNTIME" --root "$ROOT" --log "$T/log.txt" state "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	assert_nonzero "state of an unknown id (with --log)"
	local want="does not exist"
	[[ $RUNTIME_KIND == crun ]] && want="No such file or directory"
	assert_contains "$(cat "$T/log.txt" "$T/err")" "$want" "log text or stderr"
}
