# shellcheck shell=bash
# Filesystem: root, readonly root, mounts (bind rw/ro, tmpfs), masked and readonly
# paths, /dev, linux.devices, sysctl, nothing mounted on the host.

test_rootfs_is_root() {
	# --copy-rootfs: root.path is the relative "rootfs" (other tests use an absolute path)
	mk_bundle --copy-rootfs
	echo "marker-$TAG" >"$BUNDLE/rootfs/marker"
	run_sh 'cat /marker; ls /; [ -e /etc/debian_version ] && echo HOST-FILE-VISIBLE; [ -e /usr/lib/os-release ] && echo HOST-FILE-VISIBLE; [ -e '"$T"' ] && echo HOST-TMP-VISIBLE; cat /etc/hostname'
	assert_eq "marker-$TAG" "$(head -n 1 <<<"$OUT")" "marker file from the bundle's rootfs"
	assert_not_contains "$OUT" HOST-FILE-VISIBLE "host files inside the container"
	assert_not_contains "$OUT" HOST-TMP-VISIBLE "host temp dir inside the container"
	assert_eq myrt-example "$(tail -n 1 <<<"$OUT")" "/etc/hostname from the rootfs"
	# A write inside lands in the bundle's rootfs.
	run_sh 'echo written > /tmp/from-inside'
	assert_eq written "$(cat "$BUNDLE/rootfs/tmp/from-inside" 2>/dev/null)" "file written inside, seen in the rootfs"
}

test_readonly_root() {
	mk_bundle --copy-rootfs # a private copy: a failing test may write to it
	cfg '.root.readonly = true'
	set_args sh -c 'touch /x 2>&1; echo "rc=$?"; touch /tmp/x 2>&1; echo "rc=$?"; touch /dev/shm/ok && echo dev-shm-writable; grep " / " /proc/mounts'
	run_ok "$(cid ro)"
	assert_contains "$OUT" "Read-only file system" "touch /x on a readonly root"
	assert_match "$(grep -m1 '^rc=' <<<"$OUT")" '^rc=[1-9]' "touch /x on a readonly root"
	assert_contains "$OUT" dev-shm-writable "/dev/shm on a readonly root"
	assert_match "$(grep ' / ' <<<"$OUT" | tail -n 1)" ' / [^ ]+ ro[, ]' "/ in /proc/mounts"
	[[ ! -e $BUNDLE/rootfs/x ]] || fail "touch /x wrote into the rootfs"
}

test_bind_mounts_rw_and_ro() {
	mk_bundle
	mkdir -p "$T/rw" "$T/ro"
	echo host-data >"$T/ro/file"
	echo host-rw >"$T/rw/file"
	cfg '.mounts += [
		{"destination": "/home", "type": "bind", "source": $rw, "options": ["rbind", "rw"]},
		{"destination": "/var/log", "type": "bind", "source": $ro, "options": ["bind", "ro"]}]' \
		--arg rw "$T/rw" --arg ro "$T/ro"
	run_sh 'cat /home/file; echo from-inside > /home/new; cat /var/log/file; touch /var/log/x 2>&1; echo "rc=$?"'
	assert_eq "host-rw" "$(sed -n 1p <<<"$OUT")" "rw bind mount content"
	assert_eq "host-data" "$(sed -n 2p <<<"$OUT")" "ro bind mount content"
	assert_contains "$(sed -n 3p <<<"$OUT")" "Read-only file system" "write to a ro bind mount"
	assert_match "$(sed -n 4p <<<"$OUT")" '^rc=[1-9]' "write to a ro bind mount"
	assert_eq from-inside "$(cat "$T/rw/new" 2>/dev/null)" "file written to a rw bind mount, seen on the host"
	[[ ! -e $T/ro/x ]] || fail "write through a ro bind mount reached the host"
	# The ro bind mount must not have made the host directory read-only.
	touch "$T/ro/host-still-writable" || fail "host dir became read-only"
}

test_bind_mount_file_and_created_mountpoint() {
	mk_bundle --copy-rootfs
	mkdir -p "$T/src"
	echo one-file >"$T/single"
	echo deep >"$T/src/f"
	cfg '.mounts += [
		{"destination": "/new/deep/dir", "type": "bind", "source": $d, "options": ["rbind"]},
		{"destination": "/etc/single-file", "type": "bind", "source": $f, "options": ["bind", "ro"]}]' \
		--arg d "$T/src" --arg f "$T/single"
	run_sh 'cat /new/deep/dir/f /etc/single-file; [ -f /etc/single-file ] && echo is-file'
	assert_eq "deep
one-file
is-file" "$OUT" "bind mounts on created mount points"
}

test_tmpfs_options() {
	# A mount point that the runtime creates (runc chmods a tmpfs on an existing
	# directory to that directory's mode, overriding mode=).
	mk_bundle --copy-rootfs
	cfg '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1750"]}]'
	run_sh 'grep " /scratch " /proc/mounts; stat -c %a /scratch; dd if=/dev/zero of=/scratch/big bs=4k count=1024 2>/dev/null; echo "dd-rc=$?"; wc -c < /scratch/big'
	local line
	line=$(head -n 1 <<<"$OUT")
	assert_match "$line" '^tmpfs /scratch tmpfs ' "tmpfs in /proc/mounts"
	local o
	for o in rw nosuid nodev noexec size=1024k mode=1750; do
		assert_match "$line" "[ ,]${o}[ ,]" "option $o of the tmpfs"
	done
	assert_eq 1750 "$(sed -n 2p <<<"$OUT")" "mode of the tmpfs root"
	assert_match "$(sed -n 3p <<<"$OUT")" '^dd-rc=[1-9]' "writing 4 MiB into a 1 MiB tmpfs"
	local size
	size=$(sed -n 4p <<<"$OUT" | tr -d ' ')
	((size <= 1048576)) || fail "wrote $size bytes into a tmpfs with size=1m"
}

test_mount_ro_option_on_tmpfs() {
	mk_bundle
	cfg '.mounts += [{"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}]'
	run_sh 'touch /run/x 2>&1; grep " /run " /proc/mounts'
	assert_contains "$OUT" "Read-only file system" "write to a ro tmpfs"
	assert_match "$(tail -n 1 <<<"$OUT")" ' /run tmpfs ro[, ]' "ro tmpfs in /proc/mounts"
}

test_masked_paths() {
	mk_bundle
	# Masked files that exist and have content on this host, and a non-empty directory.
	local f files=() dir=/sys/firmware
	for f in /proc/timer_list /proc/keys /proc/kcore /proc/sched_debug; do
		[[ -e $f && $(head -c 16 "$f" 2>/dev/null | wc -c) -gt 0 ]] && files+=("$f")
	done
	files+=(/proc/interrupts) # not in the example's list: added below
	[[ -n $(ls -A "$dir" 2>/dev/null) ]] || skip "host $dir is empty"
	cfg '.linux.maskedPaths += ["/proc/interrupts"]'
	local script='' i
	for f in "${files[@]}"; do
		script+="echo \"$f \$(wc -c < $f | tr -d ' ') \$(stat -c '%F %t:%T' $f)\"; "
	done
	script+="echo \"$dir \$(ls -A $dir | wc -l | tr -d ' ')\"; touch $dir/x 2>/dev/null || echo dir-not-writable"
	run_sh "$script"
	for f in "${files[@]}"; do
		assert_eq "$f 0 character special file 1:3" "$(grep "^$f " <<<"$OUT")" "masked file $f (read bytes, /dev/null)"
	done
	assert_eq "$dir 0" "$(grep "^$dir " <<<"$OUT")" "entries in masked directory $dir"
	assert_contains "$OUT" dir-not-writable "masked directory $dir"
	# Not masked when not listed.
	cfg '.linux.maskedPaths = []'
	run_sh "ls -A $dir | wc -l; wc -c < /proc/interrupts"
	[[ $(sed -n 1p <<<"$OUT" | tr -d ' ') -gt 0 ]] || fail "$dir empty although not masked"
	[[ $(sed -n 2p <<<"$OUT" | tr -d ' ') -gt 0 ]] || fail "/proc/interrupts empty although not masked"
}

test_readonly_paths() {
	mk_bundle
	# With CAP_NET_ADMIN, writing ip_forward of the container's own netns would be allowed
	# were /proc/sys not read-only.
	cfg '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])
		| .linux.readonlyPaths += ["/proc/sys"]'
	run_sh '(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>&1; echo "rc=$?"; grep " /proc/sys " /proc/mounts; grep " /proc/bus " /proc/mounts'
	assert_contains "$OUT" "Read-only file system" "write to readonly /proc/sys"
	assert_match "$(grep ' /proc/sys ' <<<"$OUT" | tail -n 1)" ' /proc/sys [^ ]+ ro[, ]' "/proc/sys in /proc/mounts"
	assert_match "$(grep ' /proc/bus ' <<<"$OUT" | tail -n 1)" ' /proc/bus [^ ]+ ro[, ]' "/proc/bus in /proc/mounts"
	# Control: without readonlyPaths the same write works (own network namespace).
	cfg '.linux.readonlyPaths = []'
	run_sh 'echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward'
	assert_eq 1 "$OUT" "ip_forward written in the container's netns without readonlyPaths"
}

test_default_devices() {
	mk_bundle
	run_sh '
		for d in null zero full random urandom tty; do
			[ -c /dev/$d ] && echo "$d $(stat -c "%t:%T %a" /dev/$d)" || echo "$d MISSING"
		done
		[ -e /dev/ptmx ] && echo ptmx-ok
		for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		echo x > /dev/null && echo null-writable
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		head -c 16 /dev/urandom | wc -c | tr -d " "
		echo x 2>&1 > /dev/full | head -n 1
		ls /dev/pts/ >/dev/null && echo pts-ok
		[ -d /dev/shm ] && echo shm-ok
		[ -d /dev/mqueue ] && echo mqueue-ok'
	local d
	for d in "null 1:3 666" "zero 1:5 666" "full 1:7 666" "random 1:8 666" "urandom 1:9 666" "tty 5:0 666"; do
		assert_contains "$OUT" "$d" "device node /dev/${d%% *} (major:minor mode)"
	done
	assert_contains "$OUT" ptmx-ok "/dev/ptmx"
	assert_contains "$OUT" "fd -> /proc/self/fd" "/dev/fd symlink"
	assert_contains "$OUT" "stdin -> /proc/self/fd/0" "/dev/stdin symlink"
	assert_contains "$OUT" "stdout -> /proc/self/fd/1" "/dev/stdout symlink"
	assert_contains "$OUT" "stderr -> /proc/self/fd/2" "/dev/stderr symlink"
	assert_contains "$OUT" null-writable "writing /dev/null"
	assert_contains "$OUT" "00000000" "reading /dev/zero"
	assert_contains "$OUT" pts-ok "/dev/pts"
	assert_contains "$OUT" shm-ok "/dev/shm"
	assert_contains "$OUT" mqueue-ok "/dev/mqueue"
	# Host devices are not there.
	run_sh 'ls /dev'
	assert_not_contains "$OUT" vda "host disk visible in the container's /dev"
}

test_linux_devices() {
	mk_bundle
	cfg '.linux.devices = [
		{"path": "/dev/myrt-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 1234, "gid": 5678},
		{"path": "/dev/sub/myrt-zero", "type": "c", "major": 1, "minor": 5},
		{"path": "/dev/myrt-fifo", "type": "p"}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	run_sh 'stat -c "%n %F %t:%T %a %u:%g" /dev/myrt-null; stat -c "%n %F %t:%T" /dev/sub/myrt-zero; stat -c "%n %F" /dev/myrt-fifo; echo hi > /dev/myrt-null && echo written'
	assert_eq "/dev/myrt-null character special file 1:3 666 1234:5678
/dev/sub/myrt-zero character special file 1:5
/dev/myrt-fifo fifo
written" "$OUT" "linux.devices nodes"
}

test_sysctl() {
	mk_bundle
	local host_fwd host_shm
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shm_rmid_forced)
	local want_fwd=$((1 - host_fwd)) want_shm=$((1 - host_shm))
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": $f, "kernel.shm_rmid_forced": $s}' \
		--arg f "$want_fwd" --arg s "$want_shm"
	run_sh 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced'
	assert_eq "$want_fwd
$want_shm" "$OUT" "sysctl values inside"
	assert_eq "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward changed"
	assert_eq "$host_shm" "$(cat /proc/sys/kernel/shm_rmid_forced)" "host shm_rmid_forced changed"
}

test_no_mounts_leak_to_host() {
	local before after
	before=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	mk_bundle --copy-rootfs
	mkdir -p "$T/rw"
	cfg '.mounts += [
		{"destination": "/home", "type": "bind", "source": $rw, "options": ["rbind", "rw"]},
		{"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]' --arg rw "$T/rw"
	add_ctl
	set_args sh -c 'echo up > /mnt/up; exec sleep 1000'
	local id
	id=$(cid mounts)
	create_ok "$id"
	local m
	m=$(our_host_mounts)
	[[ -z $m ]] || fail "mounts visible on the host while the container is created: $m"
	start_ok "$id"
	wait_file_contains "$CTL/up" up
	m=$(our_host_mounts)
	[[ -z $m ]] || fail "mounts visible on the host while the container runs: $m"
	kill_ok "$id" KILL
	wait_for_status "$id" stopped
	delete_ok "$id"
	after=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	local new
	# Only paths this container could have leaked to (other work on the host may mount
	# elsewhere meanwhile).
	new=$(comm -13 <(echo "$before") <(echo "$after") | grep -E "^($T|$EXAMPLE_ROOTFS|/sys/fs/cgroup)" || true)
	[[ -z $new ]] || fail "new mounts on the host after delete: $new"
	assert_no_leftovers "$id"
}

test_proc_and_sys_mounted() {
	local line
	mk_bundle
	run_sh 'grep -E " /(proc|sys|dev|dev/pts|dev/shm|dev/mqueue|sys/fs/cgroup(/[^ ]*)?) " /proc/mounts | cut -d" " -f2,3,4'
	assert_match "$(grep '^/proc ' <<<"$OUT")" '^/proc proc ' "/proc"
	assert_match "$(grep '^/sys ' <<<"$OUT")" '^/sys sysfs ro,' "/sys (ro)"
	assert_match "$(grep '^/dev ' <<<"$OUT")" '^/dev tmpfs ' "/dev"
	assert_match "$(grep '^/dev/pts ' <<<"$OUT")" '^/dev/pts devpts ' "/dev/pts"
	assert_match "$(grep '^/dev/shm ' <<<"$OUT")" '^/dev/shm tmpfs ' "/dev/shm"
	assert_match "$(grep '^/dev/mqueue ' <<<"$OUT")" '^/dev/mqueue mqueue ' "/dev/mqueue"
	# cgroup v2: one ro cgroup2 mount; v1: a tmpfs with ro cgroup mounts below it.
	local cg
	cg=$(grep -E '^/sys/fs/cgroup(/[^ ]*)? cgroup2? ' <<<"$OUT")
	[[ -n $cg ]] || fail "no cgroup mount under /sys/fs/cgroup: $OUT"
	while read -r line; do
		assert_match "$line" '^[^ ]+ cgroup2? ro,' "cgroup mount (ro)"
	done <<<"$cg"
}

test_bind_mount_type_none_or_absent() {
	mk_bundle
	mkdir -p "$T/a" "$T/b"
	echo from-a >"$T/a/f"
	echo from-b >"$T/b/f"
	cfg '.mounts += [
		{"destination": "/home", "type": "none", "source": $a, "options": ["rbind", "ro"]},
		{"destination": "/var/log", "source": $b, "options": ["bind"]}]' --arg a "$T/a" --arg b "$T/b"
	run_sh 'cat /home/f /var/log/f'
	assert_eq "from-a
from-b" "$OUT" "bind mounts with type none and without type"
}

test_mount_destination_symlink_stays_in_rootfs() {
	# Destinations are resolved inside the rootfs: a symlink in the rootfs pointing to a
	# host path (absolute, or escaping with ..) must not make the runtime create or mount
	# anything on the host.
	mk_bundle --copy-rootfs
	mkdir -p "$T/hostdir" "$T/hostdir2"
	ln -s "$T/hostdir" "$BUNDLE/rootfs/evil"
	ln -s "../../../../../../../../../..$T/hostdir2" "$BUNDLE/rootfs/evil2"
	cfg '.mounts += [
		{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/evil2/sub", "type": "tmpfs", "source": "tmpfs"}]'
	add_ctl
	set_args sh -c 'touch /evil/sub/x /evil2/sub/y; echo ready > /mnt/ready; exec sleep 1000'
	local id
	id=$(cid symlink)
	RC=0
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null || RC=$?
	if [[ $RC == 0 ]]; then
		start_ok "$id"
		wait_file_contains "$CTL/ready" ready
	fi
	local d
	for d in "$T/hostdir" "$T/hostdir2"; do
		[[ -z $(ls -A "$d") ]] || fail "the runtime wrote to the host through a symlink in the rootfs: $d: $(ls -AR "$d")"
	done
	local m
	m=$(awk -v a="$T/hostdir" '$5 == a || $5 == a "/sub" || $5 == a "2/sub" { print $5 }' /proc/self/mountinfo)
	[[ -z $m ]] || fail "mount on the host through a symlink: $m"
	# Refusing such a config is fine too; running it must stay inside the rootfs.
	echo "create rc=$RC"
}

test_mount_destination_through_symlinks_in_rootfs() {
	# Symlinks in the rootfs are followed inside it (images often have /var/run -> /run):
	# an absolute one and a relative one, both pointing at existing directories.
	mk_bundle --copy-rootfs
	ln -s /home "$BUNDLE/rootfs/abs-link"
	ln -s ../../run "$BUNDLE/rootfs/var/rel-link"
	mkdir -p "$BUNDLE/rootfs/home/sub" "$BUNDLE/rootfs/run/sub"
	cfg '.mounts += [
		{"destination": "/abs-link/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/var/rel-link/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}]'
	run_sh 'grep -E " /(home|run)/sub " /proc/mounts | cut -d" " -f2,4'
	assert_match "$(grep '^/home/sub ' <<<"$OUT")" 'size=1024k' "tmpfs mounted through an absolute symlink"
	assert_match "$(grep '^/run/sub ' <<<"$OUT")" 'size=2048k' "tmpfs mounted through a relative symlink"
}
