# shellcheck shell=bash
# Mount options (config.md "Linux mount options"): recursive attributes (rro, rnosuid, ...)
# on rbind mounts, every flag and its clearing twin on bind and non-bind mounts, remount,
# a read-only /dev, relative bind sources, and linux.rootfsPropagation; each checked from
# inside the container and in the mountinfo of its init seen from the host.

# created ID SCRIPT: create a container whose init runs SCRIPT; sets PID (not started yet)
created() {
	set_args sh -c "$2"
	create_ok "$1"
	PID=$(init_pid "$1")
}

# finish ID: start it and wait until it has exited; sets OUT (its stdout)
finish() {
	start_ok "$1"
	wait_for_status "$1" stopped
	OUT=$(<"$T/$1.out")
}

# opts_of PID DEST: the per-mount options of the top mount on DEST in PID's mountinfo
opts_of() { awk -v d="$2" '$5 == d { o = $6 } END { print o }' "/proc/$1/mountinfo"; }

# fields_of PID DEST: the optional fields (shared:N, master:N, unbindable) of DEST
fields_of() {
	awk -v d="$2" '$5 == d { f = ""; for (i = 7; $i != "-"; i++) f = f " " $i; o = f }
		END { print o }' "/proc/$1/mountinfo"
}

# host_tmpfs DIR [OPTS]: a small tmpfs mounted by the test (unmounted at the end by cleanup)
host_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=1m${2:+,$2}" "tmpfs-$TAG" "$1" || fail "mount tmpfs on $1"
}

has_opt() { [[ ,$1, == *",$2,"* ]]; }

# assert_opts PID DEST [+OPT|-OPT]...: the mount on DEST has every +OPT and no -OPT
assert_opts() {
	local pid=$1 dest=$2 o w
	shift 2
	o=$(opts_of "$pid" "$dest")
	for w in "$@"; do
		if [[ $w == +* ]]; then
			has_opt "$o" "${w#+}" || fail "$dest: expected ${w#+} in '$o' (host view of the init's mountinfo)"
		else
			! has_opt "$o" "${w#-}" || fail "$dest: did not expect ${w#-} in '$o' (host view of the init's mountinfo)"
		fi
	done
}

test_recursive_attributes_reach_submounts() {
	mk_bundle
	mkdir -p "$T/src"
	host_tmpfs "$T/src/sub"
	echo host >"$T/src/sub/f"
	ln -s f "$T/src/sub/link"
	cfg '.mounts += [
		{"destination": "/rro", "type": "bind", "source": $s,
		 "options": ["rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow", "rnoatime"]},
		{"destination": "/ro", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]' \
		--arg s "$T/src"
	local id
	id=$(cid rro)
	created "$id" 'touch /rro/sub/x 2>&1; echo "rc=$?"; touch /ro/sub/y && echo sub-of-ro-writable; touch /ro/z 2>&1; cat /rro/sub/link 2>&1; echo "cat-rc=$?"'
	assert_opts "$PID" /rro/sub +ro +nosuid +nodev +noexec +nosymfollow +noatime
	assert_opts "$PID" /ro +ro
	assert_opts "$PID" /ro/sub +rw # rbind,ro: only the top is read-only
	finish "$id"
	assert_contains "$OUT" "Read-only file system" "write into a submount of an rbind,rro mount"
	assert_match "$(grep -m1 '^rc=' <<<"$OUT")" '^rc=[1-9]' "write into a submount of an rbind,rro mount"
	assert_contains "$OUT" sub-of-ro-writable "submount of an rbind,ro mount"
	assert_match "$(grep -m1 '^cat-rc=' <<<"$OUT")" '^cat-rc=[1-9]' "symlink on an rnosymfollow submount"
	[[ ! -e $T/src/sub/x ]] || fail "write through rro reached the host"
}

test_recursive_clearing_attributes() {
	mk_bundle
	mkdir -p "$T/src"
	host_tmpfs "$T/src/sub"
	# Only this mount is read-only, nosuid, noexec: its superblock stays writable.
	mount -o remount,bind,ro,nosuid,noexec,nodev "$T/src/sub" || fail "remount the host submount"
	cfg '.mounts += [{"destination": "/rw", "type": "bind", "source": $s,
		"options": ["rbind", "rrw", "rsuid", "rexec", "rdev", "rstrictatime", "rsymfollow"]}]' \
		--arg s "$T/src"
	local id
	id=$(cid rrw)
	created "$id" 'touch /rw/sub/x && echo sub-writable'
	assert_opts "$PID" /rw/sub -ro -nosuid -noexec -nodev -relatime -noatime
	finish "$id"
	assert_contains "$OUT" sub-writable "write into a submount made rw by rrw"
	[[ -e $T/src/sub/x ]] || fail "the write did not reach the host"
}

test_bind_clearing_and_atime_options() {
	mk_bundle
	mkdir -p "$T/hs" "$T/at"
	mount --bind "$T/hs" "$T/hs" && mount -o remount,bind,ro,nosuid,noexec,nodev "$T/hs" ||
		fail "make the host source ro,nosuid,noexec,nodev"
	cfg '.mounts += [
		{"destination": "/clear", "type": "bind", "source": $s, "options": ["bind", "rw", "suid", "exec", "dev"]},
		{"destination": "/noatime", "type": "bind", "source": $a, "options": ["bind", "noatime", "nodiratime"]},
		{"destination": "/strict", "type": "bind", "source": $a, "options": ["bind", "strictatime"]},
		{"destination": "/nosym", "type": "bind", "source": $a, "options": ["bind", "nosymfollow"]},
		{"destination": "/sym", "type": "bind", "source": $a, "options": ["bind", "nosymfollow", "symfollow"]}]' \
		--arg s "$T/hs" --arg a "$T/at"
	local id
	id=$(cid clear)
	created "$id" 'touch /clear/x && echo clear-writable'
	assert_opts "$PID" /clear -ro -nosuid -noexec -nodev
	assert_opts "$PID" /noatime +noatime +nodiratime
	assert_opts "$PID" /strict -relatime -noatime
	assert_opts "$PID" /nosym +nosymfollow
	assert_opts "$PID" /sym -nosymfollow
	finish "$id"
	assert_contains "$OUT" clear-writable "write into a bind mount with rw over a ro host mount"
}

test_superblock_flags() {
	mk_bundle --copy-rootfs
	cfg '.mounts += [
		{"destination": "/sb", "type": "tmpfs", "source": "tmpfs",
		 "options": ["sync", "dirsync", "silent", "loud", "lazytime", "nolazytime", "size=1m"]},
		{"destination": "/iv", "type": "tmpfs", "source": "tmpfs", "options": ["iversion", "noiversion", "size=1m"]},
		{"destination": "/st", "type": "tmpfs", "source": "tmpfs", "options": ["norelatime", "size=1m"]}]'
	local id sb
	id=$(cid sb)
	created "$id" 'echo ok > /sb/f && cat /sb/f'
	sb=$(awk '$5 == "/sb" { print $NF }' "/proc/$PID/mountinfo")
	has_opt "$sb" sync && has_opt "$sb" dirsync || fail "tmpfs sync,dirsync: superblock options '$sb'"
	! has_opt "$sb" lazytime || fail "tmpfs lazytime,nolazytime: superblock options '$sb'"
	assert_opts "$PID" /st -relatime -noatime # norelatime: strictatime
	finish "$id"
	assert_eq ok "$OUT" "write on a sync,dirsync tmpfs"
	# A bind mount shares its superblock: sync there is refused, naming the mount.
	mk_bundle
	mkdir -p "$T/b"
	cfg '.mounts += [{"destination": "/b", "type": "bind", "source": $b, "options": ["bind", "sync"]}]' --arg b "$T/b"
	set_args true
	run_ctr "$(cid bsync)"
	assert_nonzero "bind mount with sync"
	if is_myrt; then
		assert_match "$ERR" 'mounts\[[0-9]+\] \(/b\): .*sync' "error for sync on a bind mount"
		[[ $(grep -c . <<<"$ERR") == 1 ]] || fail "error is not one line: $ERR"
	fi
	[[ -z $(our_host_mounts) ]] || fail "mounts left on the host: $(our_host_mounts)"
}

test_remount_option() {
	mk_bundle --copy-rootfs
	mkdir -p "$T/r"
	cfg '.mounts += [
		{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["remount", "ro", "size=2m"]},
		{"destination": "/rb", "type": "bind", "source": $r, "options": ["bind"]},
		{"destination": "/rb", "type": "bind", "source": $r, "options": ["bind", "remount", "ro"]}]' --arg r "$T/r"
	local id
	id=$(cid remount)
	created "$id" 'touch /scratch/x 2>&1; touch /rb/x 2>&1; true'
	local n
	n=$(awk '$5 == "/scratch"' "/proc/$PID/mountinfo" | wc -l)
	assert_eq 1 "$n" "mounts on /scratch after a remount entry"
	assert_opts "$PID" /scratch +ro
	assert_eq 1 "$(awk '$5 == "/rb"' "/proc/$PID/mountinfo" | wc -l)" "mounts on /rb after a remount entry"
	assert_opts "$PID" /rb +ro
	finish "$id"
	[[ $(grep -c "Read-only file system" <<<"$OUT") == 2 ]] || fail "writes after remount,ro: $OUT"
}

test_readonly_dev_tmpfs() {
	mk_bundle
	cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	local id
	id=$(cid devro)
	created "$id" 'touch /dev/x 2>&1; ls /dev/null /dev/pts/ptmx /dev/zero; echo hi > /dev/null && echo null-ok; grep " /dev " /proc/mounts'
	assert_opts "$PID" /dev +ro
	assert_opts "$PID" /dev/pts +rw
	finish "$id"
	assert_contains "$OUT" "Read-only file system" "write into a ro /dev"
	assert_contains "$OUT" null-ok "/dev/null in a ro /dev"
	assert_contains "$OUT" /dev/pts/ptmx "/dev/pts in a ro /dev"
}

test_relative_bind_source_is_bundle_relative() {
	mk_bundle
	mkdir -p "$BUNDLE/data" "$T/elsewhere/data"
	echo bundle >"$BUNDLE/data/f"
	echo cwd >"$T/elsewhere/data/f"
	cfg '.mounts += [{"destination": "/rel", "type": "bind", "source": "data", "options": ["rbind", "ro"]}]'
	local id
	id=$(cid rel)
	set_args cat /rel/f
	(cd "$T/elsewhere" && create_ok "$id") || exit 1
	finish "$id"
	assert_eq bundle "$OUT" "relative bind source resolved against the bundle"
}

# A host directory that is a shared mount (its own peer group), for propagation tests.
shared_host_dir() {
	mkdir -p "$T/shared"
	mount --bind "$T/shared" "$T/shared" && mount --make-shared "$T/shared" ||
		fail "make $T/shared a shared mount"
}

# prop_ctr ID PROPAGATION: a running container with CAP_SYS_ADMIN, $T/shared at /shared,
# rootfsPropagation PROPAGATION; it mounts a tmpfs on /shared/from-inside, then waits.
prop_ctr() {
	mk_bundle
	shared_host_dir
	add_ctl
	mkdir -p "$T/shared/from-inside" "$T/shared/from-host" "$T/shared/before"
	# Detaching the old root must not unmount this on the host (it is a peer of ours).
	mount -t tmpfs "before-$TAG" "$T/shared/before" || fail "host mount before create"
	cfg '.linux.rootfsPropagation = $p | .process.capabilities[] += ["CAP_SYS_ADMIN"]
		| .mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind"]}]' \
		--arg p "$2" --arg s "$T/shared"
	created "$1" 'mount -t tmpfs inside /shared/from-inside && echo mounted >/mnt/ready; exec sleep 1000'
	start_ok "$1"
	wait_file_contains "$CTL/ready" mounted
	seen_on_host "$T/shared/before" || fail "$2: create unmounted a host mount"
	mount -t tmpfs "host-$TAG" "$T/shared/from-host" || fail "host mount after start"
}

# seen_inside PID DEST: DEST is a mount point in the container of PID
seen_inside() { awk -v d="$2" '$5 == d { f = 1 } END { exit !f }' "/proc/$1/mountinfo"; }
# seen_on_host PATH: PATH is a mount point on the host
seen_on_host() { awk -v d="$1" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo; }

test_rootfs_propagation_rshared() {
	local id
	id=$(cid rshared)
	prop_ctr "$id" rshared
	wait_for 5 seen_on_host "$T/shared/from-inside" ||
		fail "rshared: a mount made inside under a shared host dir did not reach the host (/shared in the container:$(fields_of "$PID" /shared), host:$(awk -v d="$T/shared" '$5 == d { print $7 }' /proc/self/mountinfo))"
	wait_for 5 seen_inside "$PID" /shared/from-host || fail "rshared: a host mount did not reach the container"
	[[ $(fields_of "$PID" /) == *shared:* ]] || fail "rshared: / in the container is '$(fields_of "$PID" /)'"
	seen_inside "$PID" /shared/before || fail "rshared: a host mount made before create is missing inside"
	umount "$T/shared/from-inside" 2>/dev/null
}

test_rootfs_propagation_rslave() {
	local id
	id=$(cid rslave)
	prop_ctr "$id" rslave
	wait_for 5 seen_inside "$PID" /shared/from-host || fail "rslave: a host mount did not reach the container"
	seen_on_host "$T/shared/from-inside" && fail "rslave: a mount made inside reached the host"
	[[ $(fields_of "$PID" /) != *shared:* ]] || fail "rslave: / is shared ('$(fields_of "$PID" /)')"
}

test_rootfs_propagation_private() {
	local id
	id=$(cid rprivate)
	prop_ctr "$id" rprivate
	! wait_for 1 seen_inside "$PID" /shared/from-host || fail "rprivate: a host mount reached the container"
	seen_on_host "$T/shared/from-inside" && fail "rprivate: a mount made inside reached the host"
	assert_eq "" "$(fields_of "$PID" /shared | tr -d ' ')" "rprivate: propagation of /shared"
}

test_rootfs_propagation_unbindable() {
	local p id
	for p in unbindable runbindable; do
		mk_bundle
		cfg '.linux.rootfsPropagation = $p' --arg p "$p"
		id=$(cid "$p")
		created "$id" 'grep -E "^([^ ]+ ){4}/ " /proc/self/mountinfo'
		[[ $(fields_of "$PID" /) == *unbindable* ]] || fail "$p: / is '$(fields_of "$PID" /)'"
		finish "$id"
		assert_contains "$OUT" unbindable "$p: / inside the container"
	done
	[[ -z $(our_host_mounts) ]] || fail "mounts left on the host: $(our_host_mounts)"
}

test_tmpcopyup() {
	mk_bundle --copy-rootfs
	local d=$BUNDLE/rootfs/opt/data
	mkdir -p "$d/sub"
	echo one >"$d/f"
	echo two >"$d/sub/g"
	chmod 640 "$d/f"
	chown 1000:1000 "$d/sub/g"
	ln -s /etc/hostname "$d/link"
	cfg '.mounts += [
		{"destination": "/opt/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=1m"]},
		{"destination": "/opt/ro", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro", "size=1m"]}]'
	cp -a "$d" "$BUNDLE/rootfs/opt/ro"
	local id
	id=$(cid copyup)
	created "$id" 'cat /opt/data/f /opt/data/sub/g; stat -c "%a %u" /opt/data/f /opt/data/sub/g; readlink /opt/data/link; echo new > /opt/data/new && echo wrote; cat /opt/ro/sub/g; touch /opt/ro/x 2>&1'
	[[ $(awk '$5 == "/opt/data" { print $9 }' "/proc/$PID/mountinfo") == tmpfs ]] ||
		fail "no tmpfs on /opt/data in the init's mountinfo"
	assert_opts "$PID" /opt/ro +ro
	finish "$id"
	assert_eq "one
two
640 0
644 1000
/etc/hostname
wrote
two" "$(grep -v 'Read-only' <<<"$OUT")" "contents of the tmpfs copied up"
	assert_contains "$OUT" "Read-only file system" "write into a ro tmpcopyup tmpfs"
	[[ ! -e $d/new ]] || fail "a write into the tmpfs reached the rootfs below it"
}
