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
		{"destination": "/iv", "type": "tmpfs", "source": "tmpfs", "options": ["noiversion", "size=1m"]}]'
	local id sb
	id=$(cid sb)
	created "$id" 'echo ok > /sb/f && cat /sb/f'
	sb=$(awk '$5 == "/sb" { print $NF }' "/proc/$PID/mountinfo")
	has_opt "$sb" sync && has_opt "$sb" dirsync || fail "tmpfs sync,dirsync: superblock options '$sb'"
	! has_opt "$sb" lazytime || fail "tmpfs lazytime,nolazytime: superblock options '$sb'"
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
