# shellcheck shell=bash
# Never harm what is not the container's (issue 13): processes that share a cgroup with a
# container, cgroups the runtime did not create, the image's own files, another user's state.
# Each test here failed against the runtime before the fix it names.

# v1 hierarchies of this host (one mount per controller set); empty on a pure v2 host.
v1_mounts() { awk '$3 == "cgroup" { print $2 }' /proc/self/mounts; }

# shared_cgroup NAME: a cgroup /NAME that the TEST makes (not the runtime) in every v1
# hierarchy, or in v2; removed at the end. Sets SHARED (the cgroupsPath).
shared_cgroup() {
	SHARED=/$1
	local m
	if [[ -n $(v1_mounts) ]]; then
		for m in $(v1_mounts); do
			mkdir "$m/$1" || fail "mkdir $m/$1"
			IT_CGROUPS+=("$m/$1")
			# A new v1 cpuset takes no task until it has cpus and mems.
			[[ -e $m/$1/cpuset.cpus ]] && cat "$m/cpuset.cpus" >"$m/$1/cpuset.cpus" &&
				cat "$m/cpuset.mems" >"$m/$1/cpuset.mems"
		done
	else
		mkdir "/sys/fs/cgroup/$1" || fail "mkdir /sys/fs/cgroup/$1"
		IT_CGROUPS+=("/sys/fs/cgroup/$1")
	fi
}

# sentinel: a host process (not the container's, not tagged) in $SHARED; sets SENTINEL.
sentinel() {
	sleep 1000 &
	SENTINEL=$!
	IT_PIDS+=("$SENTINEL")
	local m
	if [[ -n $(v1_mounts) ]]; then
		for m in $(v1_mounts); do echo "$SENTINEL" >"$m$SHARED/cgroup.procs" || fail "join $m$SHARED"; done
	else
		echo "$SENTINEL" >"/sys/fs/cgroup$SHARED/cgroup.procs" || fail "join $SHARED"
	fi
}

shared_dirs_exist() {
	local m
	for m in $(v1_mounts); do [[ -d $m$SHARED ]] || return 1; done
	return 0
}

# A failed create and a normal delete of containers in a pre-existing cgroup shared with a
# host process and another container: only each container's own processes die, and the
# cgroup the runtime did not create stays.
test_shared_cgroup_spares_others() {
	shared_cgroup "it-$TAG-shared"
	sentinel
	mk_bundle
	cfg '.linux.cgroupsPath = $p' --arg p "$SHARED"
	set_args sleep 1000
	local a b c pa
	a=$(cid a) b=$(cid b) c=$(cid c)
	create_ok "$a"
	start_ok "$a"
	pa=$(init_pid "$a")
	# b fails after its init is in the cgroup (a prestart hook that fails).
	cfg '.hooks.prestart = [{"path": "/bin/false"}]'
	rt create --bundle "$BUNDLE" "$b" >"$T/b.out" 2>"$T/b.err" </dev/null
	RC=$?
	assert_nonzero "create with a failing prestart hook"
	pid_alive "$SENTINEL" || fail "a failed create killed a host process in the shared cgroup"
	pid_alive "$pa" || fail "a failed create killed another container's init"
	cfg 'del(.hooks)'
	create_ok "$c"
	start_ok "$c"
	kill_ok "$c" KILL
	wait_for_status "$c" stopped
	delete_ok "$c"
	pid_alive "$SENTINEL" || fail "delete of a stopped container killed a host process"
	pid_alive "$pa" || fail "delete of a stopped container killed another container's init"
	delete_ok "$a" --force
	pid_alive "$SENTINEL" || fail "delete --force killed a host process in the shared cgroup"
	wait_pid_gone "$pa" 5
	shared_dirs_exist || fail "delete removed a cgroup that the runtime did not create"
}

# kill --all signals the container's processes, not a host process in its cgroup.
test_kill_all_spares_others() {
	shared_cgroup "it-$TAG-killall"
	sentinel
	mk_bundle
	cfg '.linux.cgroupsPath = $p' --arg p "$SHARED"
	set_args sleep 1000
	local a
	a=$(cid a)
	create_ok "$a"
	start_ok "$a"
	kill_ok --all "$a" KILL
	wait_for_status "$a" stopped
	pid_alive "$SENTINEL" || fail "kill --all killed a host process in the container's cgroup"
	delete_ok "$a"
	pid_alive "$SENTINEL" || fail "delete killed a host process in the container's cgroup"
}

# Without its own pid namespace a container's processes are found through its cgroup
# (kill --all, delete): it must not be created in a cgroup that already holds others.
test_no_pidns_refuses_populated_cgroup() {
	shared_cgroup "it-$TAG-nopidns"
	sentinel
	mk_bundle
	cfg '.linux.cgroupsPath = $p | .linux.namespaces |= map(select(.type != "pid"))' --arg p "$SHARED"
	set_args sleep 1000
	local a
	a=$(cid a)
	rt create --bundle "$BUNDLE" "$a" >"$T/a.out" 2>"$T/a.err" </dev/null
	RC=$?
	assert_nonzero "create without a pid namespace in a populated cgroup"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/a.err")" "one line of error"
		assert_contains "$(cat "$T/a.err")" "cgroupsPath"
	fi
	pid_alive "$SENTINEL" || fail "the refused create killed a host process"
	shared_dirs_exist || fail "the refused create removed a cgroup it did not create"
	[[ ! -e $ROOT/$a ]] || fail "the refused create left its state"
}

# A cgroup made by the runtime is removed by delete; one it only joined is not.
test_delete_removes_only_own_cgroup() {
	mk_bundle
	set_args sleep 1000
	local a
	a=$(cid own)
	cfg '.linux.cgroupsPath = $p' --arg p "/myrt/$a"
	create_ok "$a"
	[[ -n $(cgroup_dirs_named "$a") ]] || fail "no cgroup made for $a"
	delete_ok "$a" --force
	[[ -z $(cgroup_dirs_named "$a") ]] || fail "cgroup of $a left: $(cgroup_dirs_named "$a")"
}

# cgroupsPath "/" seen from a cgroup namespace whose root is a cgroup of the test's: the
# runtime must not sweep the "root" cgroup (on the host that is every process).
test_root_cgroup_path_spares_everything() {
	[[ -n $(v1_mounts) ]] || skip "needs v1 hierarchies (the v2 case runs in the VM)"
	shared_cgroup "it-$TAG-fakeroot"
	local stand=() i
	for i in 1 2 3; do
		sleep 1000 &
		stand+=("$!")
		IT_PIDS+=("$!")
		for m in $(v1_mounts); do echo "$!" >"$m$SHARED/cgroup.procs"; done
	done
	mk_bundle
	cfg '.linux.cgroupsPath = "/"'
	set_args true
	local a
	a=$(cid a)
	# In the test's cgroup, a new cgroup namespace and mount namespace with the v1
	# hierarchies mounted again: "/" there is $SHARED here.
	cat >"$T/inner.sh" <<-EOF
		set -e
		mount -t tmpfs none /sys/fs/cgroup
		$(awk '$3 == "cgroup" { print "mkdir -p " $2 "; mount -t cgroup -o " $4 " cgroup " $2 }' /proc/self/mounts)
		"$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$a" || echo "run: \$?"
		"$RUNTIME" --root "$ROOT" delete --force "$a" 2>/dev/null || true
	EOF
	( for m in $(v1_mounts); do echo "$BASHPID" >"$m$SHARED/cgroup.procs"; done
	  exec unshare --cgroup --mount --propagation private bash "$T/inner.sh" ) >"$T/inner.out" 2>&1
	local alive=0
	for i in "${stand[@]}"; do pid_alive "$i" && alive=$((alive + 1)); done
	assert_eq 3 "$alive" "stand-ins alive after run with cgroupsPath / ($(tr '\n' ' ' <"$T/inner.out"))"
}

# plant_container DIR ID: a container record in DIR whose poststop hook, if anyone runs it,
# leaves $T/pwned (what another user could plant in a state root it can write to).
plant_container() {
	mkdir -p "$1/$2"
	printf '{"state":{"ociVersion":"1.3.0","id":"%s","status":"stopped","bundle":"/"}}' "$2" >"$1/$2/state.json"
	printf '{"ociVersion":"1.3.0","hooks":{"poststop":[{"path":"/bin/sh","args":["sh","-c","id -u >%s/pwned"]}]}}' "$T" >"$1/$2/hooks.json"
}

# A state root that another user owns, or that sits in a directory others can write to
# (not sticky), is refused: its containers' hooks would run as the caller.
test_state_root_of_another_user_refused() {
	source "$IT_DIR/lib/rootless.sh"
	rl_user
	local planted=$T/planted/root
	mkdir -p "$planted"
	chmod 755 "$T/planted"
	plant_container "$planted" victim
	chown -R "$RL_UID:$RL_GID" "$planted"
	chmod 700 "$planted"
	"$RUNTIME" --root "$planted" delete --force victim >"$T/out" 2>"$T/err"
	RC=$?
	assert_nonzero "delete in a state root owned by uid $RL_UID"
	[[ ! -e $T/pwned ]] || fail "a planted poststop hook ran as uid $(cat "$T/pwned")"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err")" "one line of error"
		assert_contains "$(cat "$T/err")" "refusing to trust"
	fi
	# Ours, but inside a directory anyone can write to (no sticky bit): refused too.
	local open=$T/open
	mkdir -m 0777 "$open"
	chmod 0777 "$open"
	mkdir -m 0700 "$open/root"
	plant_container "$open/root" victim
	"$RUNTIME" --root "$open/root" delete --force victim >"$T/out" 2>"$T/err"
	RC=$?
	assert_nonzero "delete in a state root below a world-writable directory"
	[[ ! -e $T/pwned ]] || fail "a planted poststop hook ran (world-writable parent)"
	is_myrt && assert_contains "$(cat "$T/err")" "not sticky"
	# The same root below a sticky directory (as /tmp) is fine.
	chmod 1777 "$open"
	"$RUNTIME" --root "$open/root" list >"$T/out" 2>"$T/err" || fail "list below a sticky dir: $(cat "$T/err")"
}

# Rootless without XDG_RUNTIME_DIR: no default in a world-writable place (/tmp/myrt-UID,
# which another user can make first); the runtime asks for --root instead.
test_rootless_default_root_not_in_tmp() {
	is_myrt || skip "myrt's default state root"
	source "$IT_DIR/lib/rootless.sh"
	rl_init
	[[ ! -e /run/user/$RL_UID ]] || skip "/run/user/$RL_UID exists on this host"
	local planted=/tmp/myrt-$RL_UID
	[[ -e $planted ]] && skip "$planted exists already"
	# What another local user (here: root standing in for one) plants there.
	plant_container "$planted" victim
	chmod 777 "$planted"
	it_on_exit "rm -rf '$planted'"
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i PATH="$RL_PATH" HOME="$RL_HOME" "$RL_RUNTIME" delete --force victim >"$T/out" 2>"$T/err"
	RC=$?
	rm -rf "$planted"
	assert_nonzero "delete without XDG_RUNTIME_DIR"
	[[ ! -e $T/pwned ]] || fail "the planted container's hook ran as uid $(cat "$T/pwned")"
	assert_eq 1 "$(wc -l <"$T/err")" "one line of error"
	assert_contains "$(cat "$T/err")" "XDG_RUNTIME_DIR"
}

# A linux.devices entry never removes or replaces the image's own file: a different file
# at its path is an error (config-linux.md: MUST), the same device is kept as it is.
test_device_never_replaces_image_file() {
	mk_bundle --copy-rootfs
	mkdir -p "$BUNDLE/rootfs/opt"
	echo precious >"$BUNDLE/rootfs/opt/data"
	mknod -m 600 "$BUNDLE/rootfs/opt/null" c 1 3
	cfg '.linux.devices = [{"path": "/opt/data", "type": "c", "major": 1, "minor": 3}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	set_args cat /opt/data
	local a
	a=$(cid a)
	rt create --bundle "$BUNDLE" "$a" >"$T/a.out" 2>"$T/a.err" </dev/null
	RC=$?
	assert_eq precious "$(cat "$BUNDLE/rootfs/opt/data" 2>&1)" "the image's file after create"
	[[ -f $BUNDLE/rootfs/opt/data ]] || fail "the image's file is no longer a regular file"
	if is_myrt; then
		assert_nonzero "a device over an existing regular file"
		assert_eq 1 "$(wc -l <"$T/a.err")" "one line of error"
		assert_contains "$(cat "$T/a.err")" "linux.devices[0]"
	fi
	rt delete --force "$a" >/dev/null 2>&1
	# The same device already there, as asked: kept; the container can use it.
	cfg '.linux.devices = [{"path": "/opt/null", "type": "c", "major": 1, "minor": 3, "fileMode": 384}]'
	set_args sh -c 'echo x >/opt/null && echo written'
	run_ok "$(cid b)"
	assert_eq written "$OUT"
	# With another mode than asked for: refused (it cannot be given without changing the image).
	if is_myrt; then
		cfg '.linux.devices[0].fileMode = 438'
		rt create --bundle "$BUNDLE" "$(cid c)" >"$T/c.out" 2>"$T/c.err" </dev/null
		RC=$?
		assert_nonzero "a device whose mode the image's node lacks"
		assert_contains "$(cat "$T/c.err")" "linux.devices[0]"
	fi
	assert_eq "c 1 3 600" "$(stat -c '%F' "$BUNDLE/rootfs/opt/null" | sed 's/character special file/c/') $(stat -c '%t %T %a' "$BUNDLE/rootfs/opt/null")" "the image's node"
}

# A record read back is not trusted: a pid that is not the recorded process (its start time
# differs), a "helper" that is not this container's slirp4netns (even another slirp4netns),
# a cgroup path outside /sys/fs/cgroup: delete --force signals and removes none of them.
test_forged_record_harms_nothing() {
	is_myrt || skip "myrt's own record format"
	sleep 1000 &
	local victim=$!
	IT_PIDS+=("$victim")
	(exec -a slirp4netns sleep 1000) &
	local fake_helper=$!
	IT_PIDS+=("$fake_helper")
	mkdir -p "$T/not-a-cgroup"
	local id dir
	id=$(cid forged)
	dir=$ROOT/$id
	mkdir -m 0700 "$dir"
	jq -n --arg id "$id" --argjson pid "$victim" --argjson helper "$fake_helper" --arg cg "$T/not-a-cgroup" \
		--argjson ns "$(stat -L -c %i /proc/self/ns/pid)" \
		'{state: {ociVersion: "1.3.0", id: $id, status: "running", pid: $pid, bundle: "/"},
		  pid_start_time: 1, pid_ns: $ns, cgroup_paths: {"pids": $cg}, cgroup_owned: [$cg],
		  helper_pids: [$helper]}' >"$dir/state.json"
	echo "$id" >>"$T/.ids"
	rt delete --force "$id" >"$T/del.out" 2>"$T/del.err" || fail "delete --force of a forged record: $(cat "$T/del.err")"
	pid_alive "$victim" || fail "delete --force killed the pid a forged record named"
	pid_alive "$fake_helper" || fail "delete --force killed a 'helper' that is not the container's"
	[[ -d $T/not-a-cgroup ]] || fail "delete --force removed a directory outside /sys/fs/cgroup"
	[[ ! -e $dir ]] || fail "the forged container's state is still there"
}

# v1_dir HIERARCHY CGROUPSPATH
v1_dir() { echo "/sys/fs/cgroup/$1$2"; }

# Sub-cgroups the container made (here: made from the host, a process moved into one) do
# not block delete: its processes there are found and killed, the cgroups removed deepest
# first (issue 14 item 12).
test_subcgroups_do_not_block_delete() {
	[[ -n $(v1_mounts) ]] || skip "v1 host check"
	mk_bundle
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1000 & exec sleep 1001'
	local id m bg
	id=$(cid sub)
	create_ok "$id"
	start_ok "$id"
	_bg() { bg=$(pgrep -f '^sleep 1000$' | while read -r p; do grep -qz "MYRT_IT_TAG=$TAG" "/proc/$p/environ" 2>/dev/null && echo "$p"; done | head -n 1); [[ -n $bg ]]; }
	wait_for 5 _bg || fail "no background sleep in the container"
	for m in $(v1_mounts); do
		[[ -d $m/myrt/$id ]] || continue
		mkdir -p "$m/myrt/$id/sub/deeper"
		[[ -e $m/myrt/$id/sub/cpuset.cpus ]] && for d in sub sub/deeper; do
			cat "$m/myrt/$id/cpuset.cpus" >"$m/myrt/$id/$d/cpuset.cpus"
			cat "$m/myrt/$id/cpuset.mems" >"$m/myrt/$id/$d/cpuset.mems"
		done
		echo "$bg" >"$m/myrt/$id/sub/deeper/cgroup.procs" || fail "move $bg into $m/myrt/$id/sub/deeper"
	done
	rt delete --force "$id" >"$T/del.out" 2>"$T/del.err" || fail "delete --force with sub-cgroups: $(cat "$T/del.err")"
	wait_pid_gone "$bg" 5
	[[ -z $(cgroup_dirs_named "$id") ]] || fail "cgroups left: $(cgroup_dirs_named "$id")"
}

# A pre-existing parent cpuset with no cpus or mems (never set by whoever made it) gets its
# parent's copied down, as runc does, instead of create failing with "no space left".
test_empty_parent_cpuset_copied_down() {
	[[ -e /sys/fs/cgroup/cpuset/cpuset.cpus ]] || skip "no v1 cpuset hierarchy"
	local parent=/it-$TAG-emptycpuset m
	for m in $(v1_mounts); do
		mkdir "$m$parent" && IT_CGROUPS+=("$m$parent")
	done
	assert_eq "" "$(cat "/sys/fs/cgroup/cpuset$parent/cpuset.cpus")" "the test's parent cpuset starts empty"
	mk_bundle
	set_args sleep 1000
	local id
	id=$(cid cpus)
	cfg '.linux.cgroupsPath = $p' --arg p "$parent/$id"
	create_ok "$id"
	# A hybrid host's unified hierarchy: the runtime made the parent there (it removes only
	# the container's own cgroup), so it is the test's to remove.
	[[ -d /sys/fs/cgroup/unified$parent ]] && IT_CGROUPS+=("/sys/fs/cgroup/unified$parent")
	start_ok "$id"
	assert_ne "" "$(cat "/sys/fs/cgroup/cpuset$parent/$id/cpuset.cpus")" "the container's cpus"
	delete_ok "$id" --force
	[[ -z $(cgroup_dirs_named "$id") ]] || fail "cgroups left: $(cgroup_dirs_named "$id")"
}

# A cgroup frozen by someone else would freeze init: create refuses it at once.
test_frozen_cgroup_refused() {
	[[ -d /sys/fs/cgroup/freezer && -n $(v1_mounts) ]] || skip "no v1 freezer hierarchy"
	shared_cgroup "it-$TAG-frozen"
	echo FROZEN >"/sys/fs/cgroup/freezer$SHARED/freezer.state"
	mk_bundle
	set_args true
	cfg '.linux.cgroupsPath = $p' --arg p "$SHARED"
	local id
	id=$(cid frozen)
	IT_RT_TIMEOUT=10 rt run --bundle "$BUNDLE" -d "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	echo THAWED >"/sys/fs/cgroup/freezer$SHARED/freezer.state"
	((RC != 124 && RC != 137)) || fail "run -d in a frozen cgroup hung"
	if is_myrt; then
		assert_nonzero "run -d in a frozen cgroup"
		assert_contains "$(cat "$T/err")" "frozen"
		[[ ! -e $ROOT/$id ]] || fail "the refused create left its state"
	fi
}
