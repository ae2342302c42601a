# shellcheck shell=bash
# AppArmor for real: the checks run in a VM booted with systemd (VM_INIT=systemd: it
# switch_roots, so paths are the VM's own; under the chroot VM AppArmor resolves paths
# outside the chroot and a deny rule denies nothing) and `apparmor=1 security=apparmor`
# (Debian's kernel has AppArmor built in; our CI host runs without it).
#
# One small profile, myrt-it-deny, is loaded with apparmor_parser before the checks: it
# allows everything but writing /mnt/denied. A container (a tmpfs on /mnt) runs under it:
# inside, /proc/self/attr/current names it and the write is denied, while without the
# profile it succeeds; an exec'd process is confined too (its config's profile, --apparmor,
# a --process file's); a profile that is not loaded fails create and exec in one line
# and leaves nothing. Every check passes with RUNTIME=runc too.
#
# The VM boots once per run of the suite (lib/vmgroup.sh): ~15 s of boot, then the checks.
# The host side (no AppArmor): t-process.sh's lsm_labels_refused_without_lsm.

# shellcheck disable=SC2016 # single-quoted scripts expand in the container
# shellcheck source=lib/vmgroup.sh
source "${IT_DIR:?}/lib/vmgroup.sh"

VMG_GROUP=apparmor
VMG_WHAT="the AppArmor VM"
VMG_SELF=$IT_DIR/t-apparmor.sh
VMG_CHECK_FILE=$IT_DIR/t-apparmor.sh
VMG_PREFIX=aa_check_
VMG_CHECKS=(enabled confined exec_confined not_loaded unconfined_name)
VMG_VM_ENV=(VM_INIT=systemd "VM_KERNEL_ARGS=apparmor=1 security=apparmor")
VMG_TIMEOUT=${AA_VM_TIMEOUT:-600}

test_apparmor_enabled() { vmg_result enabled; }
test_apparmor_confined() { vmg_result confined; }
test_apparmor_exec_confined() { vmg_result exec_confined; }
test_apparmor_not_loaded() { vmg_result not_loaded; }
test_apparmor_unconfined_name() { vmg_result unconfined_name; }

vmg_host_skip() {
	command -v apparmor_parser >/dev/null || echo "apparmor_parser is not installed (Debian's apparmor package)"
}

AA_PROFILE=myrt-it-deny
# Everything a container needs is allowed; only the write of /mnt/denied is not.
# attach_disconnected: paths outside the container's mount namespace root (its pivoted-away
# old root, the runtime's fds) are named from there rather than refused.
aa_profile_text() {
	cat <<EOF
abi <abi/3.0>,
profile $AA_PROFILE flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /mnt/denied w,
}
EOF
}

vmg_vm_setup() {
	local out
	echo "# vm: kernel $(uname -r), PID 1 $(</proc/1/comm), apparmor enabled:" \
		"$(cat /sys/module/apparmor/parameters/enabled 2>&1), LSMs: $(cat /sys/kernel/security/lsm 2>&1)"
	out=$(aa_profile_text | apparmor_parser -r -K 2>&1) || {
		echo "# vm: apparmor_parser failed: $out"
		return 1
	}
	echo "# vm: loaded: $(grep -F "$AA_PROFILE" /sys/kernel/security/apparmor/profiles)," \
		"checks start at $(cut -d' ' -f1 /proc/uptime) s of uptime"
}

# ---------------------------------------------------------------------------------------
# Helpers (in the VM)

# aa_bundle [PROFILE]: the example bundle with a tmpfs on /mnt, under PROFILE if given
aa_bundle() {
	mk_bundle
	cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
	[[ -z ${1:-} ]] || cfg '.process.apparmorProfile = $p' --arg p "$1"
}

# What a process reports about itself: its confinement, then whether each write worked.
AA_PROBE='cat /proc/self/attr/current
for f in ok denied; do
	if echo x 2>/dev/null >/mnt/$f; then echo "$f: written"; else echo "$f: refused"; fi
done'

aa_confined_out() { printf '%s (enforce)\nok: written\ndenied: refused' "$AA_PROFILE"; }
AA_UNCONFINED_OUT='unconfined
ok: written
denied: written'

# ---------------------------------------------------------------------------------------
# Checks

aa_check_enabled() {
	assert_eq Y "$(cat /sys/module/apparmor/parameters/enabled)" "apparmor enabled"
	assert_match "$(cat /sys/kernel/security/apparmor/profiles)" "^$AA_PROFILE \(enforce\)" "loaded profiles"
	# The profile denies for real here, outside any container (the chroot VM would not).
	local out
	mkdir -p "$T/mnt"
	out=$(aa-exec -p "$AA_PROFILE" -- sh -c 'cat /proc/self/attr/current; echo x >/mnt/denied' 2>&1)
	assert_contains "$out" "$AA_PROFILE (enforce)" "aa-exec: current"
	assert_contains "$out" "Permission denied" "aa-exec: the write of /mnt/denied"
	[[ ! -e /mnt/denied ]] || fail "/mnt/denied was written under the profile"
	echo "features: apparmor $("$RUNTIME" features | jq -c .linux.apparmor)"
}

aa_check_confined() {
	local id pid
	aa_bundle
	set_args sh -c "$AA_PROBE"
	run_ok "$(cid plain)"
	assert_eq "$AA_UNCONFINED_OUT" "$OUT" "without a profile"

	aa_bundle "$AA_PROFILE"
	set_args sh -c "$AA_PROBE"
	run_ok "$(cid confined)"
	assert_eq "$(aa_confined_out)" "$OUT" "under process.apparmorProfile"

	# Seen from the host: the container's init once started (before, it is still the
	# runtime's, unconfined: the profile applies at its execve).
	set_args sleep 100
	id=$(cid seen)
	create_ok "$id"
	pid=$(state_field "$id" pid)
	assert_eq unconfined "$(cat "/proc/$pid/attr/current")" "init before start"
	start_ok "$id"
	wait_for 10 _aa_current_is "$pid" "$AA_PROFILE (enforce)" ||
		fail "init after start: $(cat "/proc/$pid/attr/current")"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}
_aa_current_is() { [[ $(cat "/proc/$1/attr/current" 2>/dev/null) == "$2" ]]; }

# aa_start NAME [PROFILE]: a started container (sleep) from aa_bundle; sets AA_ID
aa_start() {
	aa_bundle "${2:-}"
	set_args sleep 100
	AA_ID=$(cid "$1")
	create_ok "$AA_ID"
	start_ok "$AA_ID"
}

# aa_exec_probe EXPECTED WHAT ID [EXEC FLAGS...]: the probe exec'd in ID (by a --process
# file when the flags give one) prints EXPECTED; what it wrote is removed after
aa_exec_probe() {
	local expected=$1 what=$2 id=$3 probe=(sh -c "$AA_PROBE")
	shift 3
	[[ ${1:-} != --process ]] || probe=()
	OUT=$(rt exec "$@" "$id" "${probe[@]}" 2>"$T/err") || fail "$what: $(cat "$T/err")"
	assert_eq "$expected" "$OUT" "$what"
	rt exec "$id" rm -f /mnt/ok /mnt/denied || fail "rm in $id"
}

aa_check_exec_confined() {
	local id plain
	aa_start confined "$AA_PROFILE"
	id=$AA_ID
	aa_exec_probe "$(aa_confined_out)" "exec in a confined container" "$id"
	aa_start plain
	plain=$AA_ID
	aa_exec_probe "$AA_UNCONFINED_OUT" "exec in an unconfined container" "$plain"
	aa_exec_probe "$(aa_confined_out)" "exec --apparmor in an unconfined container" "$plain" \
		--apparmor "$AA_PROFILE"
	jq --arg p "$AA_PROFILE" --arg s "$AA_PROBE" '.process | .apparmorProfile = $p | .args = ["sh", "-c", $s]' \
		"$BUNDLE/config.json" >"$T/process.json"
	aa_exec_probe "$(aa_confined_out)" "exec --process with apparmorProfile" "$plain" \
		--process "$T/process.json"
	delete_ok "$id" --force
	delete_ok "$plain" --force
	assert_no_leftovers "$id" "$plain"
}

aa_check_not_loaded() {
	local id
	aa_bundle myrt-it-not-loaded
	set_args true
	create_refused "create under a profile that is not loaded" \
		'process.apparmorProfile "myrt-it-not-loaded"' "$(cid missing)"
	echo "create: $(cat "$T/err")"
	assert_no_leftovers "$(cid missing)"

	aa_start plain
	id=$AA_ID
	rt exec --apparmor myrt-it-not-loaded "$id" true >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "exec --apparmor with a profile that is not loaded"
	if is_myrt; then
		assert_eq 1 "$(wc -l <"$T/err")" "exec: one line on stderr ($(cat "$T/err"))"
		assert_contains "$(cat "$T/err")" 'apparmorProfile "myrt-it-not-loaded"' "exec: stderr"
	fi
	echo "exec: $(cat "$T/err")"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# "unconfined" is written like any name (runc does so): from the unconfined runtime the
# change is allowed and the container runs unconfined.
aa_check_unconfined_name() {
	aa_bundle unconfined
	set_args sh -c "$AA_PROBE"
	run_ok "$(cid u)"
	assert_eq "$AA_UNCONFINED_OUT" "$OUT" "process.apparmorProfile \"unconfined\""
}

vmg_main "$@"
