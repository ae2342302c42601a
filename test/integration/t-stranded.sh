# shellcheck shell=bash
# Never strand a container (issue 13): whatever point a create was killed at, whatever
# became of state.json, `list` shows the container and `delete --force` removes all of it.

# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"

# gone_entirely ID: no state dir, no cgroup, no process of the test left
gone_entirely() {
	local dir
	dir=$(m_state_dir "$1")
	[[ ! -e $dir ]] || fail "state dir of $1 left: $(ls -A "$dir" 2>&1 | tr '\n' ' ')"
	local c
	c=$(cgroup_dirs_named "$1")
	[[ -z $c ]] || fail "cgroup of $1 left: $c"
	wait_for 10 _no_tagged || fail "processes of $1 left: $(_tagged_desc)"
}

listed() { "${MRT:-rt}" list -q 2>/dev/null | grep -qxF "$1"; }

# create_killed_after SECONDS ID: the mode's create of $BUNDLE, SIGKILLed after SECONDS
create_killed_after() {
	if [[ $MODE == rootless ]]; then
		echo "$2" >>"$T/.rl_ids"
		timeout -s KILL "$1" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
			env -i PATH="$RL_PATH" HOME="$RL_HOME" XDG_RUNTIME_DIR="$RL_XDG" MYRT_IT_RT="$TAG" \
			"$RL_RUNTIME" create --bundle "$BUNDLE" "$2" >/dev/null 2>&1 </dev/null
	else
		echo "$2" >>"$T/.ids"
		MYRT_IT_RT=$TAG timeout -s KILL "$1" "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$2" \
			>/dev/null 2>&1 </dev/null
	fi
}

# SIGKILL of create at many points: afterwards the id is listed (if anything of it is
# left), delete --force removes everything, and the id can be created again.
create_killed_anywhere() { # MODE
	use_mode "$1"
	m_mk_bundle
	set_args sleep 1000
	local id d
	id=$(cid k)
	for d in 0.001 0.002 0.003 0.004 0.005 0.006 0.008 0.010 0.012 0.015 0.020 0.030 0.050; do
		create_killed_after "$d" "$id"
		if [[ -e $(m_state_dir "$id") ]]; then
			listed "$id" || fail "$MODE: killed after ${d}s: $id has state but list does not show it ($("${MRT:-rt}" list 2>&1 | tr '\n' ' '))"
		fi
		mrt delete --force "$id" >"$T/del.out" 2>"$T/del.err" ||
			fail "$MODE: killed after ${d}s: delete --force failed: $(cat "$T/del.err")"
		gone_entirely "$id"
	done
	create_ok "$id"
	delete_ok "$id" --force
	gone_entirely "$id"
}
test_create_killed_anywhere_rootless() { create_killed_anywhere rootless; }

test_create_killed_anywhere_is_recoverable() {
	create_killed_anywhere root
	local id
	id=$(cid k)
	# A create that hangs in a hook (init waiting), killed there: same.
	cfg '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "999.123"]}]'
	rt create --bundle "$BUNDLE" "$id" >/dev/null 2>&1 </dev/null &
	local creator=$!
	wait_for 10 listed "$id" || fail "a create blocked in its hook is not listed"
	assert_eq creating "$(rt list -f json | jq -r --arg i "$id" '.[] | select(.id == $i) | .status')" "status while created"
	kill -9 "$creator"
	wait "$creator" 2>/dev/null
	pkill -9 -xf "sleep 999.123" 2>/dev/null  # the orphaned hook (only ours has that cmdline)
	delete_ok "$id" --force
	gone_entirely "$id"
	cfg 'del(.hooks)'
	create_ok "$id"
	delete_ok "$id" --force
}

# A create that has not made its init yet is "creating" while its creator lives, and
# "stopped" once the creator is gone (its record says who is creating it).
test_creating_before_init_follows_the_creator() {
	mk_bundle
	local id=$(cid b) st
	mkdir -m 0700 "$ROOT/$id"
	sleep 1000 &
	local creator=$! start
	start=$(awk '{print $22}' "/proc/$creator/stat")
	printf '{"state":{"ociVersion":"1.3.0","id":"%s","status":"creating","bundle":"%s"},"creator_pid":%d,"creator_start_time":%d}' \
		"$id" "$BUNDLE" "$creator" "$start" >"$ROOT/$id/recovery.json"
	st=$(rt list -f json | jq -r --arg i "$id" '.[] | select(.id == $i) | .status')
	assert_eq creating "$st" "status while the creator lives"
	kill -9 "$creator"
	wait "$creator" 2>/dev/null
	st=$(rt list -f json | jq -r --arg i "$id" '.[] | select(.id == $i) | .status')
	assert_eq stopped "$st" "status once the creator is gone"
	delete_ok "$id" --force
	[[ ! -e $ROOT/$id ]] || fail "state dir left"
}

# A damaged state.json hides nothing: list shows the container (status unknown, the reason
# on stderr) and delete --force ends its init and removes its cgroup and state.
test_damaged_state_json_is_recoverable() {
	mk_bundle
	set_args sleep 1000
	local how id pid
	for how in empty truncated garbage nul removed directory; do
		id=$(cid "$how")
		create_ok "$id"
		start_ok "$id"
		pid=$(init_pid "$id")
		local f=$ROOT/$id/state.json
		case $how in
		empty) : >"$f" ;;
		truncated) head -c 40 "$f" >"$f.x" && mv "$f.x" "$f" ;;
		garbage) echo 'banana{' >"$f" ;;
		nul) printf '\0\0\0' >"$f" ;;
		removed) rm -f "$f" ;;
		directory) rm -f "$f" && mkdir "$f" ;;
		esac
		listed "$id" || fail "state.json $how: the container is not listed"
		rt delete --force "$id" >"$T/del.out" 2>"$T/del.err" ||
			fail "state.json $how: delete --force failed: $(cat "$T/del.err")"
		wait_pid_gone "$pid" 5
		gone_entirely "$id"
	done
}

# Concurrent delete --force of one container: every one succeeds.
test_concurrent_force_delete() {
	mk_bundle
	set_args sleep 1000
	local id i fails=0
	id=$(cid c)
	create_ok "$id"
	start_ok "$id"
	for i in $(seq 20); do
		rt delete --force "$id" >"$T/del.$i.out" 2>"$T/del.$i.err" &
	done
	for i in $(seq 20); do wait %$i || true; done
	for i in $(seq 20); do
		[[ -s $T/del.$i.err ]] && fails=$((fails + 1))
	done
	wait
	assert_eq 0 "$fails" "concurrent delete --force calls that failed ($(cat "$T"/del.*.err | sort | uniq -c | tr '\n' ' '))"
	gone_entirely "$id"
}

# An id ending in .tmp is an id like any other.
test_id_ending_in_tmp_is_listed() {
	mk_bundle
	set_args sleep 1000
	local id
	id=$(cid x).tmp
	create_ok "$id"
	listed "$id" || fail "$id is not listed"
	delete_ok "$id" --force
}
