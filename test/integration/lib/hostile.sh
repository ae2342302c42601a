# shellcheck shell=bash
# Table-driven hostile inputs for t-hostile.sh: one line per case,
#
#     hc NAME EXPECT SETUP [COMMAND]
#
# NAME     what is wrong (shown in failures)
# EXPECT   ERE the runtime's one-line error must match (myrt only; case-insensitive)
# SETUP    shell code run (eval) after a fresh bundle was made: mk_bundle's $BUNDLE with the
#          example config, `set_args true`; usually a cfg or raw_config call. Empty: nothing.
# COMMAND  shell code (eval) that runs the runtime; default: rt create --bundle "$BUNDLE" "$ID"
#          ($ID is the case's container id, unique to the case).
#
# Every case must: exit non-zero (not by a signal: 129..159, not by the time limit HC_TIMEOUT),
# print exactly one line on stderr ("myrt: ..." matching EXPECT, for myrt), nothing on
# stdout, and leave nothing behind: no state dir (the state root is empty), no process of
# the test's tag, no cgroup dir named after the id, no mount under $T or the example rootfs.
# Failures are collected and reported together by hc_done (so one bad case does not hide
# the others). For other runtimes only exit status and leftovers are checked, and a case
# the runtime accepts is noted, not failed (HOSTILE_STRICT=1 makes it a failure).

HC_TIMEOUT=${HC_TIMEOUT:-15}
_hc_n=0

# raw_config TEXT...: config.json becomes exactly the printf %b of TEXT (escapes allowed)
raw_config() {
	printf '%b' "$*" >"$BUNDLE/config.json"
}

# raw_sub OLD NEW: config.json = base_json with the first OLD replaced by NEW, literally
# raw_sub_bytes OLD NEW: the same with NEW taken through printf %b (\xff, \x00, \x01...)
raw_sub() {
	local j
	j=$(base_json)
	[[ $j == *"$1"* ]] || { echo "raw_sub: '$1' not in the config" >&2; return 1; }
	printf '%s%s%s' "${j%%"$1"*}" "$2" "${j#*"$1"}" >"$BUNDLE/config.json"
}
raw_sub_bytes() {
	local j
	j=$(base_json)
	[[ $j == *"$1"* ]] || { echo "raw_sub_bytes: '$1' not in the config" >&2; return 1; }
	{ printf '%s' "${j%%"$1"*}"; printf '%b' "$2"; printf '%s' "${j#*"$1"}"; } >"$BUNDLE/config.json"
}

# base_json: the example config (compact, one line) with root.path absolute, args ["true"]
base_json() {
	jq -c --arg r "$EXAMPLE_ROOTFS" --arg tag "$TAG" \
		'.root.path = $r | .process.args = ["true"] | .process.env += ["MYRT_IT_TAG=" + $tag]' \
		"$REPO/bundles/example/config.json"
}

hc() {
	local name=$1 expect=$2 setup=$3 command=${4:-'rt create --bundle "$BUNDLE" "$ID"'}
	_hc_n=$((_hc_n + 1))
	local ID
	ID=$(cid "h$_hc_n")
	printf '%s\n' "$ID" >>"$T/.ids"
	rm -rf "$T/hb"
	# Mount targets are created in the rootfs before a mount can fail: cases that add
	# mounts set HC_COPY_ROOTFS so the shared example rootfs stays untouched.
	mk_bundle ${HC_COPY_ROOTFS:+--copy-rootfs} "$T/hb"
	set_args true
	if [[ -n $setup ]]; then
		eval "$setup" || {
			_hc_fail "$name" "setup failed: $setup"
			return 0
		}
	fi
	local rc=0 t0 ms
	t0=$(now)
	(eval "$command") >"$T/hc.out" 2>"$T/hc.err" </dev/null || rc=$?
	ms=$((($(now) - t0) / 1000))
	local err out lines
	err=$(head -c 2000 "$T/hc.err")
	out=$(head -c 500 "$T/hc.out")
	lines=$(wc -l <"$T/hc.err")
	printf 'case %-45s rc=%-3s %5sms  %s\n' "$name" "$rc" "$ms" "$(head -n 1 <<<"$err" | head -c 300)"
	if [[ $rc == 0 ]]; then
		if is_myrt || [[ -n ${HOSTILE_STRICT:-} ]]; then
			_hc_fail "$name" "accepted (exit 0)"
		else
			echo "$name" >>"$T/.accepted"
			echo "NOTE: $RUNTIME_KIND accepts: $name"
		fi
		# whatever it made, under whatever name: gone before the leftover checks
		local e
		for e in "$ROOT"/* "$ROOT"/.[!.]*; do
			[[ -e $e || -L $e ]] && rt delete --force "${e##*/}" >/dev/null 2>&1 </dev/null
		done
		rt delete --force "$ID" >/dev/null 2>&1 </dev/null
	elif [[ $rc == 124 || $rc == 137 ]]; then
		_hc_fail "$name" "hung: killed after ${HC_TIMEOUT}s"
	elif ((rc > 128 && rc < 160)); then
		_hc_fail "$name" "died of signal $((rc - 128)) (exit $rc): $err"
	elif is_myrt; then
		if [[ $lines != 1 ]]; then
			_hc_fail "$name" "expected one line on stderr, got $lines: $(head -c 400 <<<"$err")"
		elif [[ $err != "myrt: "* ]]; then
			_hc_fail "$name" "stderr does not start with 'myrt: ': $err"
		else
			shopt -s nocasematch
			[[ $err =~ $expect ]] || _hc_fail "$name" "error does not name the problem (/$expect/): $err"
			shopt -u nocasematch
		fi
		[[ -z $out ]] || _hc_fail "$name" "stdout not empty: $out"
	fi
	_hc_leftovers "$name" "$ID"
	# A case that made a container after all (or a runtime that left one): clean up.
	rt delete --force "$ID" >/dev/null 2>&1
	return 0
}

_hc_fail() {
	printf '%s: %s\n' "$1" "$2" >>"$T/.hcfail"
	echo "  -> FAIL: $2"
}

_hc_leftovers() {
	local name=$1 id=$2 left c m p
	left=$(ls -A "$ROOT" 2>/dev/null | tr '\n' ' ')
	[[ -z $left ]] || _hc_fail "$name" "left in the state root: $left"
	c=$(cgroup_dirs_named "$id")
	[[ -z $c ]] || _hc_fail "$name" "left cgroup dirs: $c"
	if ! wait_for 5 _no_leftover_pids; then
		_hc_fail "$name" "left processes: $(_pids_desc $(leftover_pids))"
		# killed, so that the next cases start clean
		for p in $(leftover_pids); do kill -9 "$p" 2>/dev/null; done
	fi
	m=$(our_host_mounts)
	[[ -z $m ]] || _hc_fail "$name" "left mounts: $m"
	# (state root leftovers are removed so that the next case starts clean)
	[[ -z $left ]] || { rm -rf "${ROOT:?}"/* "$ROOT"/.[!.]* 2>/dev/null; }
}

# hc_done: fail the test with every failed case
hc_done() {
	echo "$_hc_n cases"
	if [[ -s $T/.accepted ]]; then
		echo "accepted by $RUNTIME_KIND: $(tr '\n' ';' <"$T/.accepted")"
	fi
	if [[ -s $T/.hcfail ]]; then
		fail "$(wc -l <"$T/.hcfail") of $_hc_n cases failed: $(tr '\n' ';' <"$T/.hcfail")"
	fi
}

# Cases against a running container (t-hostile.sh's other tests):
#
# start_sleeper NAME [MK_BUNDLE ARGS...]: a fresh bundle and a container NAME running
# `sleep 1000`, created and started; sets SID (its id) and SPID (its init's pid).
start_sleeper() {
	local name=$1
	shift
	mk_bundle "$@"
	set_args sleep 1000
	SID=$(cid "$name")
	create_ok "$SID"
	start_ok "$SID"
	SPID=$(init_pid "$SID") || exit 1
}

# refused WHAT ERE CMD...: CMD must fail within 5 s, not by a signal nor the time limit; for
# myrt with exactly one line on stderr, matching ^myrt: ERE. Its stdin is $REFUSED_STDIN
# (default /dev/null), its stdout $REFUSED_STDOUT (default $T/out), its stderr $T/err.
refused() {
	local what=$1 ere=$2 rc=0 t0 ms
	shift 2
	t0=$(now)
	"$@" >"${REFUSED_STDOUT:-$T/out}" 2>"$T/err" <"${REFUSED_STDIN:-/dev/null}" || rc=$?
	ms=$((($(now) - t0) / 1000))
	echo "$what: rc=$rc ${ms}ms $(head -c 300 "$T/err")"
	((rc != 0)) || fail "$what: accepted (exit 0)"
	((rc != 124 && rc != 137 && (rc <= 128 || rc >= 160))) || fail "$what: exit $rc (hung, killed or crashed)"
	((ms < 5000)) || fail "$what: took ${ms}ms"
	is_myrt || return 0
	assert_eq 1 "$(wc -l <"$T/err")" "$what: lines on stderr"
	assert_match "$(cat "$T/err")" "^myrt: $ere" "$what: error"
}
