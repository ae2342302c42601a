# shellcheck shell=bash
# The README's examples, run as written (read from README.md at test time, so an edit there
# is what is tested), and checked against what the README promises next to them.
#
# Run as written, except: `myrt` is this build's (through --root of the test, and the
# state therefore private to it), and the quick-run directory /tmp/quick is the test's own
# $T/quick (`myrt spec` refuses to overwrite a config.json, so a fixed path runs once).
# With RUNTIME=runc the config is still written by this build's `myrt spec` (runc's spec
# has no quick-run options) and `run` is runc's: it must keep the same promises.
# shellcheck disable=SC2016 # the block's script expands in its own bash
# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"

MYRT_BUILD=$REPO/build/cmd/myrt

# readme_block HEADING: the first ```sh block after the line HEADING of README.md
readme_block() {
	awk -v h="$1" '$0 == h { f = 1 } f && /^```sh/ { b = 1; next } b && /^```/ { exit } b' "$REPO/README.md"
}

# run_readme_block SCRIPT [WRAPPER...]: SCRIPT in bash with `myrt` defined as above; stdout
# and stderr to $T/block.out and $T/block.err, its exit status in RC.
run_readme_block() {
	local script=$1
	shift
	"$@" bash -c '
		myrt() {
			if [[ $1 == spec ]]; then "$MYRT_BUILD" "$@"; else "$RT" ${RT_ROOT:+--root "$RT_ROOT"} "$@"; fi
		}
		'"$script" >"$T/block.out" 2>"$T/block.err" </dev/null
	RC=$?
}

# The quick run: a 100 MB limit that really holds (the hog is OOM-killed, 137), the hostname.
test_readme_quick_run() {
	[[ -x $MYRT_BUILD ]] || skip "no $MYRT_BUILD"
	local block
	block=$(readme_block '### Quick run: a ready bundle in one command')
	[[ -n $block ]] || fail "README.md has no quick-run block"
	# Its promises, as the README states them: the test fails if they change without it.
	assert_contains "$block" "myrt run q1        # prints my-container, then is OOM-killed at 100 MB: exit status 137" "README's promise"
	block=${block//\/tmp\/quick/$T/quick}
	printf '%s\n' q1 >>"$T/.ids"
	run_readme_block "$block" env MYRT_BUILD="$MYRT_BUILD" RT="$RUNTIME" RT_ROOT="$ROOT" REPO="$REPO" MYRT_IT_RT="$TAG"
	assert_rc 137 "the quick run's status (stdout: $(head -c 300 "$T/block.out"))"
	assert_eq "my-container" "$(cat "$T/block.out")" "what it prints"
	assert_eq 104857600 "$(jq '.linux.resources.memory.limit' "$T/quick/config.json")" "the memory limit written"
	[[ ! -e $ROOT/q1 ]] || fail "run left the container q1 behind"
}

# Rootless: as an ordinary user, root inside and the user's uid outside, state in
# $XDG_RUNTIME_DIR/myrt.
test_readme_rootless() {
	[[ -x $MYRT_BUILD ]] || skip "no $MYRT_BUILD"
	rl_init
	local block
	block=$(readme_block '### Rootless: as an ordinary user, no daemon, no setuid helper of ours')
	[[ -n $block ]] || fail "README.md has no rootless block"
	assert_contains "$block" "myrt run r1        # root inside, your uid outside; state in \$XDG_RUNTIME_DIR/myrt" "README's promise"
	local build=$MYRT_BUILD
	if ! rl_as_user test -x "$build"; then
		cp "$build" "$RL_DIR/bin/myrt-build" 2>/dev/null || { mkdir -p "$RL_DIR/bin" && cp "$build" "$RL_DIR/bin/myrt-build"; }
		build=$RL_DIR/bin/myrt-build
	fi
	# Other runtimes get the state dir the README names; myrt finds it by itself.
	local state_root=''
	is_myrt || state_root=$RL_STATE
	printf '%s\n' r1 >>"$T/.rl_ids"
	run_readme_block "$block" rl_as_user env MYRT_BUILD="$build" RT="$RL_RUNTIME" RT_ROOT="$state_root" REPO="$REPO"
	assert_rc 0 "the rootless example (stderr: $(head -c 300 "$T/block.err"))"
	assert_match "$(head -n 1 "$T/block.out")" '^uid=0\(root\) gid=0\(root\)' "root inside (id)"
	assert_match "$(tail -n 1 "$T/block.out")" "^ +0 +$RL_UID +1\$" "your uid outside (uid_map)"
	[[ -d $RL_STATE ]] || fail "no state directory $RL_STATE (\$XDG_RUNTIME_DIR/myrt)"
	[[ -d $RL_HOME/box/rootfs ]] || fail "the example did not run in ~/box"
}
