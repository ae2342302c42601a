# shellcheck shell=bash
# `myrt check`: run as root, as the tests' ordinary user, as a uid without subordinate ids
# or a state directory, with tools hidden from PATH, and inside a container whose seccomp
# profile makes system calls "missing"; each finding is compared with the facts of that
# caller, read here independently (lib/hostcheck.sh). The v2 VM's check is
# cg_check_host_check (t-cgroups.sh, run by t-cgroups-v2.sh).
#
# `check` is myrt's own command: with another RUNTIME these tests are skipped, except the
# seccomp one, which runs the container with the runtime under test and this build's myrt
# inside it.
# shellcheck disable=SC2016,SC2317 # jq programs and scripts expand elsewhere; wrappers run through check_as
# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"
# shellcheck source=lib/hostcheck.sh
source "$IT_DIR/lib/hostcheck.sh"

MYRT_BUILD=$REPO/build/cmd/myrt

need_myrt_check() {
	is_myrt || skip "check is myrt's own command ($RUNTIME_KIND has none)"
}

# check_as WRAPPER ARGS...: `check` (text) and `check --format json` through WRAPPER
# (e.g. rl_as_user); RC is the text run's status, which the JSON run must share.
# $T/check.txt, $T/check.json.
check_as() {
	local wrap=$1 rc_json
	shift
	"$wrap" "$@" check >"$T/check.txt" 2>"$T/check.err" </dev/null
	RC=$?
	"$wrap" "$@" check --format json >"$T/check.json" 2>"$T/check.json.err" </dev/null
	rc_json=$?
	assert_eq "$RC" "$rc_json" "exit status of check and check --format json"
	[[ ! -s $T/check.err ]] || fail "check wrote to stderr: $(head -c 400 "$T/check.err")"
	hc_assert_json_matches_text "$T/check.json" "$T/check.txt"
}

direct() { "$@"; }

finding() { hc_field "$T/check.json" "$1" "$2"; } # CHECK FIELD

assert_finding() { # CHECK STATUS [DETAIL-SUBSTRING]
	local st detail
	st=$(finding "$1" status)
	detail=$(finding "$1" detail)
	assert_eq "$2" "$st" "$1: status (detail: $detail; fix: $(finding "$1" fix))"
	[[ -z ${3:-} ]] || assert_contains "$detail" "$3" "$1: detail"
}

# The facts every caller shares.
assert_common_facts() {
	local s
	assert_finding kernel ok "Linux $(uname -r)"
	for s in openat2 close_range open_tree mount_setattr pidfd_open clone3 seccomp-notify; do
		assert_finding "$s" ok "available"
	done
	hc_assert_cgroup_findings "$T/check.json"
	if [[ -d /run/systemd/system ]]; then
		assert_ne missing "$(finding systemd status)" "systemd runs here"
	else
		assert_finding systemd missing "PID 1 is $(cat /proc/1/comm)"
		assert_contains "$(finding systemd fix)" "boot with systemd" "systemd: fix"
	fi
	if command -v slirp4netns >/dev/null; then assert_finding slirp4netns ok; else assert_finding slirp4netns missing; fi
	if command -v criu >/dev/null; then assert_finding criu ok "$(command -v criu)"; else assert_finding criu missing; fi
	assert_lsm_findings
}

# The LSMs the kernel runs, from securityfs's lsm list (mounted in a private mount namespace
# when the host has not mounted it), and each one's own filesystem: not the files myrt's
# check reads (/sys/module/apparmor/parameters/enabled, /sys/fs/selinux/enforce).
# $T/lsm: the list; $T/lsm.apparmor: what /sys/kernel/security/apparmor holds.
read_host_lsms() {
	[[ -s $T/lsm ]] && return
	unshare -m sh -c 'if [ ! -e /sys/kernel/security/lsm ]; then mount -t securityfs none /sys/kernel/security || exit 1; fi
		cat /sys/kernel/security/lsm && ls /sys/kernel/security/apparmor >"$1" 2>/dev/null; exit 0' \
		sh "$T/lsm.apparmor" >"$T/lsm" 2>"$T/lsm.err" || fail "cannot read the kernel's LSM list: $(cat "$T/lsm.err")"
	[[ -s $T/lsm ]] || fail "empty LSM list in securityfs"
}

lsm_active() { [[ ,$(cat "$T/lsm"), == *,"$1",* ]]; }

# apparmor and selinux: exactly what this host has, each way. AppArmor active has its
# securityfs directory (with its policy interface); SELinux active has selinuxfs mounted,
# whose enforce file gives the mode the finding must name.
assert_lsm_findings() {
	read_host_lsms
	if lsm_active apparmor; then
		grep -qx profiles "$T/lsm.apparmor" || fail "AppArmor is active but securityfs has no apparmor/profiles"
		assert_finding apparmor ok
		assert_eq "enabled: process.apparmorProfile is applied (the profile must be loaded)" \
			"$(finding apparmor detail)" "apparmor: detail (active: $(cat "$T/lsm"))"
	else
		[[ ! -s $T/lsm.apparmor ]] || fail "AppArmor is not in the LSM list but securityfs has apparmor/"
		assert_finding apparmor ok
		assert_eq "not enabled: a config with process.apparmorProfile is refused" \
			"$(finding apparmor detail)" "apparmor: detail (active: $(cat "$T/lsm"))"
	fi
	local selinuxfs mode
	selinuxfs=$(awk '$0 ~ / - selinuxfs / { print $5; exit }' /proc/self/mountinfo)
	if lsm_active selinux; then
		[[ -n $selinuxfs ]] || fail "SELinux is active but selinuxfs is not mounted"
		mode=permissive
		[[ $(cat "$selinuxfs/enforce") == 1 ]] && mode=enforcing
		assert_finding selinux ok
		assert_eq "$mode: process.selinuxLabel and linux.mountLabel are applied" \
			"$(finding selinux detail)" "selinux: detail (active: $(cat "$T/lsm"))"
	else
		[[ -z $selinuxfs ]] || fail "SELinux is not in the LSM list but selinuxfs is mounted at $selinuxfs"
		assert_finding selinux ok
		assert_eq "not enabled: a config with process.selinuxLabel or linux.mountLabel is refused" \
			"$(finding selinux detail)" "selinux: detail (active: $(cat "$T/lsm"))"
	fi
}

test_check_as_root() {
	need_myrt_check
	check_as rt
	assert_rc 0 "check as root on a host where containers run"
	assert_common_facts
	assert_finding namespaces ok "mount, pid, network, ipc, uts"
	assert_finding userns ok "max_user_namespaces $(cat /proc/sys/user/max_user_namespaces)"
	assert_finding subuid ok
	assert_finding /dev/net/tun ok
	assert_finding state-dir ok "$ROOT"
	assert_eq "" "$(finding delegation status)" "no delegation finding for root"
	if command -v newuidmap >/dev/null; then assert_finding newuidmap ok "$(command -v newuidmap)"; fi
	assert_eq "ready: a default container (myrt spec) can run here as root" "$(tail -n 1 "$T/check.txt")" "verdict"
	# The text is for a terminal: a line per finding, "fix:" under each problem.
	assert_eq "$(jq -s length "$T/check.json")" "$(grep -cE '^(ok|missing|limited) ' "$T/check.txt")" "one line per finding"
}

test_check_as_user() {
	need_myrt_check
	rl_init
	check_as rl_as_user "$RL_RUNTIME"
	assert_rc 0 "check as $RL_USER (the rootless tests run containers as it)"
	assert_common_facts
	assert_finding namespaces ok "user, mount, pid, ipc, uts"
	assert_finding userns ok "rootless containers run"
	assert_finding subuid ok "$RL_SUBUID-$((RL_SUBUID + RL_SUBUID_SIZE - 1)) ($RL_SUBUID_SIZE ids)"
	assert_finding subgid ok "$RL_SUBGID-$((RL_SUBGID + RL_SUBGID_SIZE - 1)) ($RL_SUBGID_SIZE ids)"
	assert_finding state-dir ok "$RL_STATE"
	# /dev/net/tun as the user, whatever its mode is now.
	if rl_as_user sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
		assert_finding /dev/net/tun ok
	else
		assert_finding /dev/net/tun limited "permission denied"
		assert_contains "$(finding /dev/net/tun fix)" "chmod 0666 /dev/net/tun"
	fi
	# A delegated cgroup is one the user owns and may write; none here unless systemd made it.
	local layout own=''
	layout=$(hc_layout)
	if [[ $layout == v2 ]]; then
		own=/sys/fs/cgroup$(rl_as_user sed -n 's/^0:://p' /proc/self/cgroup)
	else
		own=/sys/fs/cgroup/memory$(rl_as_user awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	fi
	if [[ $(stat -c %u "$own" 2>/dev/null) == "$RL_UID" ]]; then
		assert_finding delegation ok
	else
		assert_finding delegation limited "no cgroup is delegated to you"
	fi
	assert_eq "ready: a default container (myrt spec) can run here as $RL_USER (uid $RL_UID) (rootless)" \
		"$(tail -n 1 "$T/check.txt")" "verdict"
	# What it says is true: the default rootless container runs.
	mkdir -p "$RL_DIR/box" && cp -a "$EXAMPLE_ROOTFS" "$RL_DIR/box/rootfs" && chown -R "$RL_UID:$RL_GID" "$RL_DIR/box"
	rl_as_user sh -c "cd '$RL_DIR/box' && '$RL_RUNTIME' spec --rootless --args 'true'" >"$T/spec.err" 2>&1 ||
		fail "spec --rootless as $RL_USER: $(cat "$T/spec.err")"
	rl_rt run --bundle "$RL_DIR/box" "$(cid ready)" >"$T/run.out" 2>"$T/run.err" </dev/null
	RC=$?
	assert_rc 0 "the default rootless container that check called ready"
}

# A uid with no passwd entry, no subordinate ids and (without XDG_RUNTIME_DIR) no state
# directory: the first two are told, the last makes check fail.
nobody_uid() {
	local u=47811
	while getent passwd "$u" >/dev/null || grep -q "^$u:" /etc/subuid /etc/subgid 2>/dev/null; do u=$((u + 1)); done
	echo "$u"
}
as_uid() { # UID CMD...: CMD as UID:UID without groups, with a login-like environment
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups env -i PATH="$RL_PATH" HOME=/ "$@"
}

test_check_user_without_subids_or_state_dir() {
	need_myrt_check
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
	local u bin
	u=$(nobody_uid)
	chmod 755 "$T"
	mkdir -p "$T/bin" "$T/xdg"
	cp "$RUNTIME" "$T/bin/myrt" && chmod 755 "$T/bin" "$T/bin/myrt"
	chown "$u:$u" "$T/xdg" && chmod 700 "$T/xdg"
	bin=$T/bin/myrt
	with_xdg() { as_uid "$u" XDG_RUNTIME_DIR="$T/xdg" "$@"; }
	check_as with_xdg "$bin"
	assert_rc 0 "uid $u: subordinate ids are not needed by the default rootless container"
	assert_finding subuid limited "no range for uid $u in /etc/subuid: only your own uid $u can be mapped"
	assert_finding subgid limited "no range for uid $u in /etc/subgid: only your own gid $u can be mapped"
	assert_contains "$(finding subuid fix)" "usermod --add-subuids 100000-165535" "subuid: fix"
	assert_finding state-dir ok "$T/xdg/myrt"

	# No XDG_RUNTIME_DIR and no /run/user/UID: nowhere to keep state, so nothing can run.
	[[ ! -e /run/user/$u ]] || skip "/run/user/$u exists"
	without_xdg() { as_uid "$u" "$@"; }
	check_as without_xdg "$bin"
	assert_rc 1 "check without a state directory"
	assert_finding state-dir missing "XDG_RUNTIME_DIR is unset"
	assert_eq true "$(finding state-dir needed)" "state-dir is needed"
	assert_contains "$(finding state-dir fix)" "--root DIR" "state-dir: fix"
	assert_contains "$(tail -n 1 "$T/check.txt")" "not ready: a default container (myrt spec) cannot run here as uid $u (rootless): state-dir missing" "verdict"
	# --root somewhere it cannot write: the same.
	check_as without_xdg "$bin" --root "/var/lib/myrt-check-$TAG/state"
	assert_rc 1 "check with an unwritable --root"
	assert_finding state-dir missing "/var/lib is not writable for you (permission denied)"
	[[ ! -e "/var/lib/myrt-check-$TAG" ]] || fail "check made its state directory"
}

test_check_tools_missing_from_path() {
	need_myrt_check
	# A PATH with every tool but the rootless and networking helpers and CRIU.
	mkdir -p "$T/path"
	local d f
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for f in "$d"/*; do
			case ${f##*/} in newuidmap | newgidmap | slirp4netns | criu) continue ;; esac
			[[ -e $T/path/${f##*/} ]] || ln -s "$f" "$T/path/${f##*/}"
		done
	done
	hidden() { PATH=$T/path "$@"; }
	check_as hidden rt
	assert_rc 0 "none of them is needed by a default container as root"
	assert_finding newuidmap missing "not found in PATH"
	assert_finding newgidmap missing "not found in PATH"
	assert_eq "apt-get install uidmap" "$(finding newuidmap fix)" "newuidmap: fix"
	assert_finding slirp4netns missing "not found in PATH"
	assert_eq "apt-get install slirp4netns" "$(finding slirp4netns fix)" "slirp4netns: fix"
	assert_finding criu missing "not found in PATH"
	assert_eq false "$(finding newuidmap needed)" "newuidmap is not needed by the default container"
	# And with PATH as it was, found again (the finding follows PATH, not a fixed list).
	check_as direct rt
	if command -v newuidmap >/dev/null; then assert_finding newuidmap ok; fi
	if command -v slirp4netns >/dev/null; then assert_finding slirp4netns ok; fi
}

# Inside a container whose seccomp profile answers openat2 with ENOSYS (as on a kernel
# before 5.6) and clone3 with EPERM (a sandbox that blocks it): check tells the first as
# missing (no container can start: exit 1, and it is the only blocker) and the second as
# limited. The same container without those rules is ready: the status follows the probe.
# The container (with CAP_SYS_ADMIN, so that check's namespace probe works inside) is run
# by the runtime under test, runc too; the checker is this build's myrt.
sandbox_check() { # SECCOMP-RULES-JSON: sets RC (check's), $T/check.json, $T/verdict
	# (myrt goes in through /mnt: a mount point of its own would be made in the shared rootfs)
	mk_bundle
	add_ctl
	cp "$MYRT_BUILD" "$CTL/myrt" || fail "copy $MYRT_BUILD"
	cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: $rules}' --argjson rules "$1"
	set_args sh -c '/mnt/myrt --root /dev/shm/state check --format json; echo "rc=$?"; /mnt/myrt --root /dev/shm/state check | tail -n 1'
	run_ctr "$(cid "sandbox$2")"
	[[ $RC == 0 ]] || fail "the container: exit status $RC: $(tail -c 600 "$T/err")"
	grep '^{' "$T/out" >"$T/check.json"
	RC=$(sed -n 's/^rc=//p' "$T/out")
	tail -n 1 "$T/out" >"$T/verdict"
}

test_check_syscalls_missing_in_sandbox() {
	[[ -x $MYRT_BUILD ]] || skip "no $MYRT_BUILD"
	sandbox_check '[{"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
		{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]' 1
	assert_rc 1 "check with openat2 answering ENOSYS"
	assert_finding openat2 missing "the kernel does not have it: no container can start"
	assert_eq true "$(finding openat2 needed)" "openat2 is needed"
	assert_contains "$(finding openat2 fix)" "a kernel 5.6 or later" "openat2: fix"
	assert_finding clone3 limited "blocked (operation not permitted)"
	assert_eq false "$(finding clone3 needed)" "clone3 is not needed"
	assert_finding close_range ok
	assert_finding namespaces ok
	assert_match "$(cat "$T/verdict")" "^not ready: a default container \(myrt spec\) cannot run here as root: openat2 missing$" "verdict"

	sandbox_check '[{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]' 2
	assert_rc 0 "check in the same container without the openat2 rule"
	assert_finding openat2 ok
	assert_finding clone3 ok
	assert_eq "ready: a default container (myrt spec) can run here as root" "$(cat "$T/verdict")" "verdict"
}
