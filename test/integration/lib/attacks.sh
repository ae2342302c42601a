# shellcheck shell=bash
# Helpers for t-attacks.sh: host-side evidence (mounts, marker files, checksums), proof that
# an attack's setup is live (what a naive, path-based runtime would have done), the racer
# (lib/swap-race.c), and a disposable copy of the runtime binary for CVE-2019-5736.
# Sourced on top of lib/common.sh (T, TAG, fail, rt, ...).

# ---------------------------------------------------------------------------------------
# Host evidence

# host_mounts_under PATH...: host mount points (this mount namespace) at or below PATH
host_mounts_under() {
	local p
	for p in "$@"; do
		awk -v p="$p" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
	done
	return 0
}

# mk_host_target DIR: a host directory holding one marker file (HOST-MARKER, unique text)
mk_host_target() {
	mkdir -p "$1"
	echo "host-marker-$TAG" >"$1/HOST-MARKER"
}

# assert_host_target_intact DIR [WHAT]: only the marker, unchanged, nothing mounted there
assert_host_target_intact() {
	local d=$1 what=${2:-host directory $1} entries m
	[[ -d $d && ! -L $d ]] || fail "$what: $d is no longer a directory"
	entries=$(ls -A "$d" 2>&1 | tr '\n' ' ')
	assert_eq "HOST-MARKER " "$entries" "$what: entries (the runtime created something on the host)"
	assert_eq "host-marker-$TAG" "$(cat "$d/HOST-MARKER" 2>&1)" "$what: marker content"
	m=$(host_mounts_under "$d")
	[[ -z $m ]] || fail "$what: mounted on the host: $m"
}

# assert_host_file_intact FILE CONTENT [WHAT]
assert_host_file_intact() {
	local f=$1 want=$2 what=${3:-host file $1} m
	[[ -f $f && ! -L $f ]] || fail "$what: $f is no longer a regular file"
	assert_eq "$want" "$(cat "$f" 2>&1)" "$what: content"
	m=$(host_mounts_under "$f")
	[[ -z $m ]] || fail "$what: mounted on the host: $m"
}

# assert_symlink LINK TARGET: the attack's symlink really is in place (the test is live)
assert_symlink() {
	[[ -L $1 ]] || fail "attack setup: $1 is not a symlink"
	assert_eq "$2" "$(readlink "$1")" "attack setup: target of $1"
}

# naive_mkdir_escapes ROOTFS DEST HOSTDIR: what a path-based runtime does (mkdir -p
# "$ROOTFS/$DEST", following symlinks): true when that created something in HOSTDIR, i.e.
# the attack would have worked. What it created is removed again.
naive_mkdir_escapes() {
	local rootfs=$1 dest=$2 host=$3 before after
	before=$(ls -A "$host" | sort)
	mkdir -p "$rootfs/$dest" 2>/dev/null
	after=$(ls -A "$host" | sort)
	local new
	new=$(comm -13 <(echo "$before") <(echo "$after"))
	[[ -n $new ]] || return 1
	(cd "$host" && rm -rf -- $new)
	return 0
}

# naive_realpath_outside ROOTFS DEST: true when a path-based runtime would resolve DEST
# (following symlinks on the host) to a path outside ROOTFS.
naive_realpath_outside() {
	local r
	r=$(realpath -m "$1/$2")
	[[ $r != "$(realpath "$1")" && $r != "$(realpath "$1")/"* ]]
}

# with_host_path PATH FUNCTION [ARGS...]: run FUNCTION in a subshell (fail/skip work as
# usual) and remove PATH, which lies outside $T, whatever happened.
with_host_path() {
	local path=$1 rc=0
	shift
	("$@") || rc=$?
	if [[ -n $(host_mounts_under "$path") ]]; then
		echo "with_host_path: unmounting leftovers under $path" >&2
		host_mounts_under "$path" | sort -r | xargs -r -n1 umount -l
	fi
	rm -rf --one-file-system "$path"
	exit "$rc"
}

# try_create ID [FLAGS...]: create from $BUNDLE; sets RC; container stdio to $T/ID.out/.err,
# the runtime's stderr to $T/err.
try_create() {
	local id=$1
	shift
	RC=0
	rt create --bundle "$BUNDLE" "$@" "$id" >"$T/$id.out" 2>"$T/err" </dev/null || RC=$?
	cat "$T/err" >>"$T/$id.err" 2>/dev/null
}

# ---------------------------------------------------------------------------------------
# Helpers written in C

# build_helper NAME [CFLAGS...]: compile lib/NAME.c to $T/NAME (skip when there is no
# compiler; e.g. -static for a helper run inside the busybox rootfs)
build_helper() {
	local name=$1
	shift
	[[ -x $T/$name ]] && return 0
	command -v cc >/dev/null || skip "no C compiler (cc) to build lib/$name.c"
	cc -O2 "$@" -o "$T/$name" "$IT_DIR/lib/$name.c" 2>"$T/cc.err" ||
		fail "building lib/$name.c: $(head -c 600 "$T/cc.err")"
}

# ---------------------------------------------------------------------------------------
# CVE-2019-5736: a disposable copy of the runtime, so that a successful attack overwrites
# the copy and never the binary under test.
#
# mk_victim: VICTIM = the copied executable (what /proc/PID/exe of the runtime's processes
# is), VICTIM_CMD = how to run it (for crun through a copy of lib/crun-wrapper),
# VICTIM_SUM = its sha256 now.
mk_victim() {
	mkdir -p "$T/victim"
	if [[ $RUNTIME_KIND == crun && $RUNTIME == *crun-wrapper ]]; then
		VICTIM=$T/victim/crun
		cp "$(command -v crun)" "$VICTIM"
		VICTIM_CMD=$T/victim/crun-wrapper
		sed "s#exec crun \"\\\$@\"#exec $VICTIM \"\$@\"#" "$RUNTIME" >"$VICTIM_CMD"
		chmod 755 "$VICTIM_CMD"
		grep -q "exec $VICTIM " "$VICTIM_CMD" || fail "mk_victim: could not rewrite $RUNTIME"
	else
		VICTIM=$T/victim/$(basename "$RUNTIME")
		cp "$RUNTIME" "$VICTIM"
		VICTIM_CMD=$VICTIM
	fi
	chmod 755 "$VICTIM"
	VICTIM_SUM=$(sha256sum <"$VICTIM")
}

# vrt ARGS...: like rt, with the victim copy
vrt() {
	RUNTIME=$VICTIM_CMD rt "$@"
}

# assert_victim_intact: the runtime's binary on the host is unchanged
assert_victim_intact() {
	local now
	now=$(sha256sum <"$VICTIM")
	[[ $now == "$VICTIM_SUM" ]] ||
		fail "CVE-2019-5736: the container overwrote the runtime binary on the host ($VICTIM now starts with: $(head -c 60 "$VICTIM" | tr -c '[:print:]' '.'))"
}

# elf_interpreter FILE: its PT_INTERP (empty for a static binary)
elf_interpreter() {
	readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
}

# arm_exe_trap ROOTFS: make ROOTFS an image that attacks the runtime when the runtime
# execs /evil in it (the CVE-2019-5736 image):
#   /evil            "#!/proc/self/exe": the kernel runs the exec'ing process's own binary
#                    (the runtime's, unless it exec'd from a sealed copy) as the interpreter
#   /attack OUT SECS the attacker, lib/exe-grabber.c built static: catches that process
#                    (even one living a millisecond), opens its /proc/PID/exe and, once the
#                    runtime is gone, writes through it
#   for a dynamically linked runtime also: the host's dynamic loader at the binary's
#   PT_INTERP (so that it starts at all) and /etc/ld.so.preload naming a FIFO, on which
#   ld.so blocks until the attacker releases it (a longer window, not needed)
arm_exe_trap() {
	local r=$1 interp
	build_helper exe-grabber -static
	cp "$T/exe-grabber" "$r/attack"
	interp=$(elf_interpreter "$VICTIM")
	if [[ -n $interp ]]; then
		mkdir -p "$r$(dirname "$interp")"
		cp -L "$interp" "$r$interp"
		mkfifo "$r/preload-fifo"
		echo /preload-fifo >"$r/etc/ld.so.preload"
	fi
	printf '#!/proc/self/exe\n' >"$r/evil"
	chmod 755 "$r/evil"
}
