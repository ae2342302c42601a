# shellcheck shell=bash
# SELinux for real: the checks run in a VM (test/vm/run, the chroot init: labels do not
# depend on paths) booted with `selinux=1 security=selinux` (Debian's kernel has SELinux
# built in), where Debian's reference policy (selinux-policy-default) is loaded by hand,
# permissive: the labels are applied and shown as in enforcing mode, denials only logged.
# (An enforcing test would need the VM's files labelled: they are unlabeled_t on 9p.)
#
# The policy is built on the host before the boot, once, and kept as $SE_POLICY: the
# packages are fetched with apt-get download and unpacked under a temp dir (nothing is
# installed), and their semodule links Debian's module list (~1 min). When that cannot be
# done (no mirror), the tests are skipped with the reason.
#
# Checks: process.selinuxLabel is the container process's /proc/self/attr/current (the
# runtime's own, kernel_t, without it); an exec'd process gets the config's label or
# --process-label's; linux.mountLabel is the context= of the container's tmpfs, devpts and
# mqueue mounts (not of proc and sysfs); a label the policy does not know fails create in
# one line naming process.selinuxLabel and leaves nothing. Every check passes with
# RUNTIME=runc too. The session keyring init makes carries the process's label.
# The host side (no SELinux): t-process.sh's lsm_labels_refused_without_lsm.

# shellcheck disable=SC2016 # single-quoted scripts expand in the container
# shellcheck source=lib/vmgroup.sh
source "${IT_DIR:?}/lib/vmgroup.sh"

VMG_GROUP=selinux
VMG_WHAT="the SELinux VM"
VMG_SELF=$IT_DIR/t-selinux.sh
VMG_CHECK_FILE=$IT_DIR/t-selinux.sh
VMG_PREFIX=se_check_
VMG_CHECKS=(policy process_label exec_label mount_label unknown_label)
VMG_VM_ENV=("VM_KERNEL_ARGS=selinux=1 security=selinux")
VMG_TIMEOUT=${SE_VM_TIMEOUT:-400}

test_selinux_policy() { vmg_result policy; }
test_selinux_process_label() { vmg_result process_label; }
test_selinux_exec_label() { vmg_result exec_label; }
test_selinux_mount_label() { vmg_result mount_label; }
test_selinux_unknown_label() { vmg_result unknown_label; }

# Built once per host (the packages' version in the name) and kept.
SE_POLICY=/tmp/myrt-it-selinux-policy.2.20221101-9.33
SE_LABEL=system_u:system_r:initrc_t:s0
SE_EXEC_LABEL=system_u:system_r:init_t:s0
SE_MOUNT_LABEL=system_u:object_r:tmp_t:s0

vmg_host_skip() {
	local why
	why=$({ flock 9 && se_build_policy; } 9>>/tmp/myrt-it-selinux.lock 2>&1) ||
		echo "cannot build Debian's SELinux policy: $(tail -n 2 <<<"$why" | tr '\n' ' ')"
}

# se_build_policy: $SE_POLICY from selinux-policy-default and semodule, unpacked (not
# installed) under a temp dir. semodule's last step (checking the file contexts with
# setfiles) fails there, after the policy is linked: the policy file is what counts.
se_build_policy() {
	[[ -s $SE_POLICY ]] && return 0
	local d m mods=() rc=0
	d=$(mktemp -d /tmp/myrt-it-selinux-build.XXXXXX)
	(
		cd "$d" || exit 1
		timeout 300 apt-get download selinux-policy-default=2:2.20221101-9 policycoreutils \
			semodule-utils >apt.log 2>&1 || { tail -n 3 apt.log && exit 1; }
		mkdir -p tools root/etc/selinux
		for m in policycoreutils_*.deb semodule-utils_*.deb; do dpkg-deb -x "$m" tools || exit 1; done
		dpkg-deb -x selinux-policy-default_*.deb root || exit 1
		printf 'module-store = direct\nexpand-check = 0\ncompiler-directory = %s\n' \
			"$d/tools/usr/libexec/selinux/hll" >root/etc/selinux/semanage.conf
		for m in $(<root/usr/share/selinux/default/.modules); do
			mods+=(-i "root/usr/share/selinux/default/$m.pp.bz2")
		done
		timeout 600 tools/usr/sbin/semodule -p "$d/root" -X 100 -n -s default "${mods[@]}" >semodule.log 2>&1
		[[ -s root/var/lib/selinux/final/default/policy/policy.33 ]] ||
			{ tail -n 3 semodule.log && exit 1; }
		cp root/var/lib/selinux/final/default/policy/policy.33 "$SE_POLICY.tmp" && mv "$SE_POLICY.tmp" "$SE_POLICY"
	) || rc=1
	rm -rf "$d"
	return $rc
}

# The policy goes in with one write(2), as selinuxfs wants it (cat writes in pieces).
vmg_vm_setup() {
	mkdir -p /sys/fs/selinux
	mountpoint -q /sys/fs/selinux || mount -t selinuxfs selinuxfs /sys/fs/selinux || {
		echo "# vm: cannot mount selinuxfs (is SELinux enabled? $(cat /proc/cmdline))"
		return 1
	}
	dd if="$SE_POLICY" of=/sys/fs/selinux/load bs=8M iflag=fullblock status=none || {
		echo "# vm: loading $SE_POLICY failed: $(dmesg | grep -i selinux | tail -n 2 | tr '\n' ' ')"
		return 1
	}
	echo "# vm: kernel $(uname -r), policy $(cat /sys/fs/selinux/policyvers) loaded," \
		"enforce $(cat /sys/fs/selinux/enforce), we run as $(tr -d '\0' </proc/self/attr/current)," \
		"checks start at $(cut -d' ' -f1 /proc/uptime) s of uptime"
}

# ---------------------------------------------------------------------------------------
# Checks (in the VM)

se_current() { tr -d '\0' <"/proc/$1/attr/current"; }

se_check_policy() {
	assert_eq 0 "$(cat /sys/fs/selinux/enforce)" "enforce (permissive)"
	assert_eq system_u:system_r:kernel_t:s0 "$(se_current self)" "our own label"
	echo "features: selinux $("$RUNTIME" features | jq -c .linux.selinux)"
}

se_check_process_label() {
	local id pid
	mk_bundle
	set_args sh -c 'cat /proc/self/attr/current'
	run_ok "$(cid plain)"
	assert_eq system_u:system_r:kernel_t:s0 "$(tr -d '\0' <<<"$OUT")" "without process.selinuxLabel"
	cfg '.process.selinuxLabel = $l' --arg l "$SE_LABEL"
	run_ok "$(cid labelled)"
	assert_eq "$SE_LABEL" "$(tr -d '\0' <<<"$OUT")" "under process.selinuxLabel"
	# From the host: init keeps the runtime's label until its execve, at start.
	set_args sleep 100
	id=$(cid seen)
	create_ok "$id"
	pid=$(state_field "$id" pid)
	assert_eq system_u:system_r:kernel_t:s0 "$(se_current "$pid")" "init before start"
	# runc's keyring label: the session keyring init made carries the process's label.
	assert_eq "$SE_LABEL" "$(se_key_label "$id")" "the label of the container's session keyring"
	start_ok "$id"
	wait_for 10 _se_current_is "$pid" "$SE_LABEL" || fail "init after start: $(se_current "$pid")"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}
# se_key_label ID: the SELinux label of the container's session keyring (_ses.ID, as runc
# names it), with keyctl(KEYCTL_GET_SECURITY) (no keyctl(1) here)
se_key_label() {
	local serial
	serial=$(awk -v d="_ses.$1:" '$8 == "keyring" && $9 == d { print $1 }' /proc/keys)
	[[ -n $serial ]] || fail "no keyring _ses.$1 in /proc/keys: $(grep -c . /proc/keys) keys"
	/usr/bin/python3 - "$serial" <<'EOF'
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(256)
if libc.syscall(250, 17, int(sys.argv[1], 16), buf, 256) < 0:  # SYS_keyctl, KEYCTL_GET_SECURITY
    sys.exit("keyctl(KEYCTL_GET_SECURITY): errno %d" % ctypes.get_errno())
print(buf.value.decode())
EOF
}
_se_current_is() { [[ $(se_current "$1" 2>/dev/null) == "$2" ]]; }

se_check_exec_label() {
	local id out
	mk_bundle
	cfg '.process.selinuxLabel = $l' --arg l "$SE_LABEL"
	set_args sleep 100
	id=$(cid c)
	create_ok "$id"
	start_ok "$id"
	out=$(rt exec "$id" cat /proc/self/attr/current 2>&1) || fail "exec: $out"
	assert_eq "$SE_LABEL" "$(tr -d '\0' <<<"$out")" "exec: the config's label"
	out=$(rt exec --process-label "$SE_EXEC_LABEL" "$id" cat /proc/self/attr/current 2>&1) ||
		fail "exec --process-label: $out"
	assert_eq "$SE_EXEC_LABEL" "$(tr -d '\0' <<<"$out")" "exec --process-label"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

# mqueue takes no context= (EINVAL): its root is labelled instead (runc too).
se_check_mount_label() {
	local mounts m id pid
	mk_bundle
	cfg '.linux.mountLabel = $l' --arg l "$SE_MOUNT_LABEL"
	cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sleep 100
	id=$(cid m)
	create_ok "$id"
	pid=$(state_field "$id" pid)
	mounts=$(<"/proc/$pid/mountinfo")
	for m in /mnt /dev /dev/pts /dev/shm; do
		assert_match "$(awk -v m="$m" '$5 == m' <<<"$mounts")" "context=\"?$SE_MOUNT_LABEL\"?" \
			"the options of $m"
	done
	for m in /proc /sys; do
		assert_not_contains "$(awk -v m="$m" '$5 == m' <<<"$mounts")" "context=" "the options of $m"
	done
	for m in /mnt /dev/mqueue; do
		assert_eq "$SE_MOUNT_LABEL" "$(stat -c %C "/proc/$pid/root$m")" "the label of $m"
	done
	echo "mountinfo: $(awk '$5 == "/mnt"' <<<"$mounts")"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}

se_check_unknown_label() {
	mk_bundle
	set_args true
	cfg '.process.selinuxLabel = "system_u:system_r:myrt_no_such_t:s0"'
	create_refused "create with a label the policy does not know" process.selinuxLabel "$(cid u)"
	echo "create: $(cat "$T/err")"
	assert_no_leftovers "$(cid u)"
}

vmg_main "$@"
