# shellcheck shell=bash
# myrt --debug: the step trace (issue 18). Every step of create/start/delete, from the runtime
# and from inside init, in order, with what it cost; in --log-format json one object per step.
# myrt's own feature: runc's --debug logs other lines, so these tests need myrt.

# trace_json FILE: the steps of a JSON log, one compact object a line.
trace_steps() { jq -c 'select(.step != null)' "$1"; }

# The example bundle, run with --debug --log-format json: the steps named by the issue are
# there, init's among them (through the sync channel), each with a duration, in the order
# they happen.
test_trace_json_steps_of_run() {
	is_myrt || skip "myrt's step trace"
	mk_bundle
	cfg '.linux.resources = {"pids": {"limit": 64}}'
	cfg '.hooks.prestart = [{"path": "/bin/true"}]'
	set_args sh -c 'exit 3'
	local id log
	id=$(cid trace)
	log=$T/log.json
	"$RUNTIME" --root "$ROOT" --debug --log "$log" --log-format json run --bundle "$BUNDLE" "$id" \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	assert_rc 3 "run's exit status (the container's)"
	jq -e . "$log" >/dev/null || fail "the log is not one JSON object a line: $(head -c 300 "$log")"
	trace_steps "$log" >"$T/steps"
	# Every step has a name, a level, a time and a duration (a non-negative integer), except
	# the instant ones.
	jq -e -s 'all(.[]; .level == "debug" and (.time | type) == "string" and
		((.duration_us == null and (.step == "exec" or .step == "process")) or
		 ((.duration_us | type) == "number" and .duration_us >= 0)))' "$T/steps" >/dev/null ||
		fail "a step without level, time or duration: $(jq -c -s 'map(select(.duration_us == null)) | .[0]' "$T/steps")"
	local s
	for s in config cgroup.write cgroup.prepare clone cgroup.join rootfs.bind mount device pivot_root \
		masked_path readonly_path hook user exec start.wait_exec kill cgroup.remove state.remove command; do
		grep -q "\"step\":\"$s\"" "$T/steps" || fail "no step $s in the trace: $(jq -r .step "$T/steps" | sort -u | tr '\n' ' ')"
	done
	# init's steps came from init: tagged so, with the container's mounts and the value
	# the runtime wrote to the pids cgroup.
	assert_eq init "$(jq -r -s 'map(select(.step == "pivot_root"))[0].process' "$T/steps")" "pivot_root's process"
	assert_eq /proc "$(jq -r -s 'map(select(.step == "mount" and .type == "proc"))[0].destination' "$T/steps")" \
		"the proc mount's destination"
	assert_eq 64 "$(jq -r -s 'map(select(.step == "cgroup.write" and (.file | endswith("pids.max"))))[0].value' "$T/steps")" \
		"the value written to pids.max"
	assert_eq 0 "$(jq -r -s 'map(select(.step == "hook"))[0].exit_status' "$T/steps")" "the hook's exit status"
	assert_eq "sh -c exit 3" "$(jq -r -s 'map(select(.step == "exec"))[0].args' "$T/steps")" "what init execs"
	# In order: the order of a container's life (prestart hooks before pivot_root, as runtime.md says).
	local order
	order=$(jq -r .step "$T/steps" | awk '!seen[$0]++' | tr '\n' ' ')
	local prev=-1 pos
	for s in config cgroup.prepare clone rootfs.bind mount hook pivot_root masked_path exec start.wait_exec \
		kill state.remove command; do
		pos=$(jq -r .step "$T/steps" | grep -n -x -F "$s" | head -n 1 | cut -d: -f1)
		((pos > prev)) || fail "step $s out of order: $order"
		prev=$pos
	done
	[[ ! -e $ROOT/$id ]] || fail "run left its state"
}

# A mount that fails: its step is logged as failed, with the errno, before the error.
test_trace_failed_mount_carries_errno() {
	is_myrt || skip "myrt's step trace"
	mk_bundle
	cfg '.mounts += [{"destination": "/mnt/x", "type": "bind", "source": $s, "options": ["rbind"]}]' \
		--arg s "$T/no-such-source"
	local id log
	id=$(cid tracefail)
	log=$T/log.json
	"$RUNTIME" --root "$ROOT" --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$id" \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	assert_nonzero "create with a missing bind source"
	local failed
	failed=$(jq -c 'select(.step == "mount" and .failed == true)' "$log")
	[[ -n $failed ]] || fail "no failed mount step: $(tail -n 3 "$log")"
	assert_eq 2 "$(jq -r .errno <<<"$failed")" "the failed step's errno (ENOENT)"
	assert_eq /mnt/x "$(jq -r .destination <<<"$failed")" "the failed step's destination"
	assert_eq init "$(jq -r .process <<<"$failed")" "the failed step's process"
	# The error line comes after it, and the command is still reported, failed.
	jq -e -s '(map(.level) | index("error")) > (map(.failed) | index(true))' "$log" >/dev/null ||
		fail "the error came before the failed step"
	[[ -n $(jq -c 'select(.step == "command" and .failed == true)' "$log") ]] || fail "the command step is not marked failed"
	[[ ! -e $ROOT/$id ]] || fail "the failed create left its state"
}

# Text on the terminal: readable lines, init's marked, each with its cost; exec's steps come
# through too. Without --debug, not one of them: not from create, start, exec, delete or run
# (whose container's own output is on stdout).
test_trace_text_and_off() {
	is_myrt || skip "myrt's step trace"
	mk_bundle
	set_args sleep 1000
	local id
	id=$(cid tracetext)
	"$RUNTIME" --root "$ROOT" --debug create --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>"$T/err" ||
		fail "create --debug: $(cat "$T/err")"
	grep -qE '^myrt: debug: init: pivot_root rootfs=.* \([0-9]+ us\)$' "$T/err" ||
		fail "no readable pivot_root line: $(head -n 5 "$T/err")"
	"$RUNTIME" --root "$ROOT" --debug exec "$id" true </dev/null >"$T/out" 2>"$T/exec.err" ||
		fail "exec --debug: $(cat "$T/exec.err")"
	grep -qE '^myrt: debug: exec: namespace.join .*\([0-9]+ us\)$' "$T/exec.err" ||
		fail "no namespace.join line from exec's child: $(cat "$T/exec.err")"
	grep -qE '^myrt: debug: exec: exec path=/bin/true$' "$T/exec.err" ||
		fail "no exec line from exec's child: $(cat "$T/exec.err")"
	delete_ok "$id" --force
	# The same life without --debug: nothing on stderr, from any command.
	local cmd
	rt create --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>"$T/quiet.create" || fail "create: $(cat "$T/quiet.create")"
	rt start "$id" </dev/null >"$T/out" 2>"$T/quiet.start" || fail "start: $(cat "$T/quiet.start")"
	rt exec "$id" true </dev/null >"$T/out" 2>"$T/quiet.exec" || fail "exec: $(cat "$T/quiet.exec")"
	rt delete --force "$id" </dev/null >"$T/out" 2>"$T/quiet.delete" || fail "delete: $(cat "$T/quiet.delete")"
	set_args sh -c 'echo out'
	rt run --bundle "$BUNDLE" "$id" </dev/null >"$T/run.out" 2>"$T/quiet.run" || fail "run: $(cat "$T/quiet.run")"
	assert_eq out "$(cat "$T/run.out")" "run's stdout (the container's only)"
	for cmd in create start exec delete run; do
		[[ ! -s $T/quiet.$cmd ]] || fail "$cmd without --debug wrote: $(head -c 300 "$T/quiet.$cmd")"
	done
}

# The bytes of a path or argument are data: a mount destination and a process argument
# holding quotes, a backslash, a newline, control characters (a terminal escape), DEL and a
# byte that is not UTF-8 still give one valid JSON object a line (a strict reader:
# python's json on the bytes), which gives the text back (the stray byte as U+FFFD); in the
# text trace each step stays on its line. Init's steps before `ready` come over the sync
# socket, its exec step after `start` is written by init itself: both are checked.
test_trace_hostile_text_stays_data() {
	is_myrt || skip "myrt's step trace"
	command -v python3 >/dev/null || skip "python3 not installed"
	mk_bundle
	cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/mnt/HOSTILE", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sh -c 'exit 0' HOSTILE
	# In JSON: q"b\s<newline>n<SOH><ESC>[31m<DEL><0xff>: raw bytes that jq would not keep.
	python3 - "$BUNDLE/config.json" <<'PY' || fail "could not write the hostile config"
import sys
p = sys.argv[1]
data = open(p, "rb").read()
hostile = b'q\\"b\\\\s\\nn\\u0001\\u001b[31m\x7f\xff'
assert data.count(b"HOSTILE") == 2
open(p, "wb").write(data.replace(b"HOSTILE", hostile))
PY
	local id log
	id=$(cid hostile)
	log=$T/log.json
	"$RUNTIME" --root "$ROOT" --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$id" \
		</dev/null >"$T/out" 2>"$T/err" || fail "create --debug: $(cat "$T/err")"
	"$RUNTIME" --root "$ROOT" --debug --log "$log" --log-format json start "$id" \
		</dev/null >"$T/out" 2>"$T/err" || fail "start --debug: $(cat "$T/err")"
	wait_for_status "$id" stopped
	python3 - "$log" >"$T/check" 2>&1 <<'PY' || fail "$(cat "$T/check")"
import json, sys
want = 'q"b\\s\nn\x01\x1b[31m\x7f\ufffd'
mount = exec_ = None
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON (%s): %r" % (n, e, line[:300]))
    if not isinstance(obj, dict) or obj.get("level") != "debug" and "step" in obj:
        sys.exit("line %d is not a debug object: %r" % (n, line[:300]))
    if obj.get("step") == "mount" and obj.get("destination", "").startswith("/mnt/"):
        mount = obj
    if obj.get("step") == "exec" and obj.get("process") == "init":
        exec_ = obj
if mount is None or mount["destination"] != "/mnt/" + want or mount.get("process") != "init":
    sys.exit("the hostile mount's step: %r" % (mount,))
if exec_ is None or exec_["args"] != "sh -c exit 0 " + want:
    sys.exit("init's exec step: %r" % (exec_,))
PY
	delete_ok "$id"
	# Text: every line of the trace is one of myrt's, the newline is shown as \n.
	"$RUNTIME" --root "$ROOT" --debug create --bundle "$BUNDLE" "$id" </dev/null >"$T/out" 2>"$T/err" ||
		fail "create --debug (text): $(cat "$T/err")"
	local stray
	stray=$(grep -v -a '^myrt: debug: ' "$T/err" | head -n 3)
	[[ -z $stray ]] || fail "the text trace has lines that are not myrt's: $stray"
	grep -a -qF 'destination="/mnt/q\"b\\s\nn\x01\x1b[31m' "$T/err" ||
		fail "no quoted destination in the text trace: $(grep -a 'destination=/mnt' "$T/err" | head -c 300)"
	delete_ok "$id" --force
}

# init writes its steps into the sync socket while the runtime reads them: a --debug create
# with 2000 mounts (far more steps than the socket buffer holds, ~200 messages) completes
# and logs every mount, in order.
test_trace_many_mounts_do_not_block() {
	is_myrt || skip "myrt's step trace"
	mk_bundle
	cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}] +
		[range(0; 2000) | {"destination": "/mnt/m\(.)", "type": "tmpfs", "source": "tmpfs", "options": ["size=16k"]}]'
	local id log
	id=$(cid many)
	log=$T/log.json
	timeout 300 "$RUNTIME" --root "$ROOT" --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$id" \
		</dev/null >"$T/out" 2>"$T/err"
	RC=$?
	assert_rc 0 "create --debug with 2000 mounts (124: it hung)"
	assert_eq 2000 "$(jq -r 'select(.step == "mount" and (.destination | startswith("/mnt/m"))) | .destination' "$log" |
		awk '$0 == "/mnt/m" n { n++ } END { print n + 0 }' n=0)" "the mounts' steps, in order"
	delete_ok "$id" --force
}

# README's "What happens when you run a container": its command, run as written (on a copy of
# the example's config, so that the shared bundle is untouched), gives the steps the README
# shows, in the README's order.
test_trace_readme_walkthrough_holds() {
	is_myrt || skip "myrt's step trace"
	local readme=$REPO/README.md cmd id want got
	cmd=$(awk '/^## What happens when you run a container/ { on = 1 } on && /^cd bundles\/example && / { print; exit }' "$readme")
	[[ -n $cmd ]] || fail "README has no walkthrough command"
	want=$(awk '/^## What happens when you run a container/ { on = 1 } /^## How a container/ { on = 0 }
		on && /^myrt: debug: / { sub(/^myrt: debug: (init: )?/, ""); print $1 }' "$readme" | awk '!seen[$0]++' | tr '\n' ' ')
	[[ -n $want ]] || fail "README shows no trace"
	mk_bundle
	id=$(cid walk)
	# The README's command, in the test's bundle, state root and runtime.
	cmd=${cmd/cd bundles\/example/cd \"$BUNDLE\"}
	cmd=${cmd/..\/..\/build\/cmd\/myrt/\"$RUNTIME\" --root \"$ROOT\"}
	cmd=${cmd/ demo / $id }
	bash -c "$cmd" >"$T/out" 2>"$T/err"
	RC=$?
	assert_rc 0 "the README's command ($cmd)"
	got=$(sed -n 's/^myrt: debug: \(init: \)\{0,1\}\([^ ]*\).*/\2/p' "$T/err" | awk '!seen[$0]++' | tr '\n' ' ')
	assert_eq "$want" "$got" "the steps (first appearance of each), README vs a real run"
}
