# shellcheck shell=bash
# Helpers for the rootless and network tests (t-rootless.sh, t-network.sh), sourced on top
# of lib/common.sh (whose T, TAG, ROOT, fail, cfg, wait_for... they use).
#
# The unprivileged user
# ---------------------
# Rootless tests run the runtime as $RL_USER (myrt-it-user), through
#     setpriv --reuid --regid --init-groups env -i PATH=... HOME=... XDG_RUNTIME_DIR=...
# so it has no capability and only the environment a login would give (plus MYRT_IT_RT=$TAG,
# which marks every process the runtime starts, slirp4netns too, for the leftover checks).
# The user is created once (`useradd -M -s /usr/sbin/nologin`, no home) when missing and
# is KEPT afterwards, so that the tests are idempotent and /etc/subuid does not fill up
# with ranges of users that come and go; it owns no file outside the tests' temp dirs.
# It needs a range in /etc/subuid and /etc/subgid (Debian's useradd allocates one; when
# none is there, 65536 ids above every range already listed are appended). The ranges
# actually used are read back: RL_SUBUID/RL_SUBGID (start), RL_SUBUID_SIZE.
#
# Per test (rl_init): RL_DIR=$T/rl (0755, the user's; $T itself is 0755 so the user can
# reach it), RL_XDG=$RL_DIR/xdg (0700, XDG_RUNTIME_DIR), RL_HOME=$RL_DIR/home, and the
# runtime's state RL_STATE=$RL_XDG/myrt: myrt's default for a non-root caller, so no --root
# is given to myrt (other runtimes get --root $RL_STATE). The runtime binary is used in
# place when the user can execute it, else copied to $RL_DIR/bin.
#
# Containers made by rl_rt create/run are killed and force-deleted (as the user) when the
# test ends, before common.sh's cleanup (which then kills anything still tagged).
#
# Mode-neutral helpers (for checks that run both as root and rootless)
# --------------------------------------------------------------------
# use_mode root|rootless picks the runtime wrapper: `mrt` is rt (root, --root $ROOT) or
# rl_rt; m_mk_bundle, m_run_ctr/m_run_ok/m_run_sh, m_state_dir, m_assert_no_leftovers and
# common.sh's create_ok, start_ok, delete_ok, kill_ok, state_field, init_pid follow it.
#
# Other host changes: rl_tun_open makes /dev/net/tun mode 0666 (see there) and restores
# the original mode at the end; host_httpd starts a busybox httpd on 127.0.0.1 that is
# killed by its pid at the end.

RL_USER=${RL_USER:-myrt-it-user}
RL_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------------------------------
# Exit hooks: run (last added first) before common.sh's it_cleanup, keeping the status.

IT_EXIT_HOOKS=()
it_on_exit() { # SHELL-CODE
	IT_EXIT_HOOKS+=("$1")
	trap _it_run_exit_hooks EXIT
}
_it_run_exit_hooks() {
	local rc=$? i
	trap - EXIT
	set +e
	for ((i = ${#IT_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${IT_EXIT_HOOKS[i]}"
	done
	(exit "$rc")
	it_cleanup
}

# ---------------------------------------------------------------------------------------
# The user

# rl_need_tools: setpriv, newuidmap/newgidmap; skips when they cannot be had
rl_need_tools() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
	if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
		need_pkg uidmap newuidmap newgidmap
	fi
}

# rl_user: make sure $RL_USER exists with subordinate id ranges; sets RL_UID, RL_GID,
# RL_SUBUID, RL_SUBGID, RL_SUBUID_SIZE, RL_SUBGID_SIZE.
rl_user() {
	local lock
	# Two suites at once must not both add the user or its ranges.
	exec {lock}>/run/lock/myrt-it-user.lock
	flock -w 60 "$lock" || fail "could not lock /run/lock/myrt-it-user.lock"
	if ! getent passwd "$RL_USER" >/dev/null; then
		useradd -M -s /usr/sbin/nologin -c "myrt integration tests" "$RL_USER" >"$T/useradd.log" 2>&1 ||
			fail "useradd $RL_USER failed: $(<"$T/useradd.log")"
	fi
	_rl_subid_range /etc/subuid
	_rl_subid_range /etc/subgid
	flock -u "$lock"
	exec {lock}>&-
	RL_UID=$(id -u "$RL_USER") && RL_GID=$(id -g "$RL_USER") || fail "id $RL_USER failed"
	read -r RL_SUBUID RL_SUBUID_SIZE < <(awk -F: -v u="$RL_USER" '$1 == u { print $2, $3; exit }' /etc/subuid)
	read -r RL_SUBGID RL_SUBGID_SIZE < <(awk -F: -v u="$RL_USER" '$1 == u { print $2, $3; exit }' /etc/subgid)
	[[ $RL_SUBUID =~ ^[0-9]+$ && $RL_SUBGID =~ ^[0-9]+$ ]] || fail "no subordinate ids for $RL_USER"
	((RL_SUBUID_SIZE >= 65536 && RL_SUBGID_SIZE >= 65536)) ||
		fail "$RL_USER's subordinate ranges are too small ($RL_SUBUID_SIZE, $RL_SUBGID_SIZE; want 65536)"
}

_rl_subid_range() { # FILE: append 65536 ids above all others for $RL_USER unless it has some
	local f=$1 start
	touch "$f"
	grep -q "^$RL_USER:" "$f" && return 0
	start=$(awk -F: 'BEGIN { m = 300000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' "$f")
	echo "$RL_USER:$start:65536" >>"$f"
}

# rl_init: the user, its private dirs, cleanup of its containers. Idempotent per test.
rl_init() {
	[[ -n ${RL_DIR:-} ]] && return 0
	rl_need_tools
	rl_user
	RL_DIR=$T/rl
	RL_XDG=$RL_DIR/xdg
	RL_HOME=$RL_DIR/home
	RL_STATE=$RL_XDG/myrt
	mkdir -p "$RL_DIR" "$RL_XDG" "$RL_HOME"
	chown "$RL_UID:$RL_GID" "$RL_DIR" "$RL_XDG" "$RL_HOME"
	chmod 755 "$RL_DIR"
	chmod 700 "$RL_XDG"
	: >"$T/.rl_ids"
	RL_RUNTIME=$RUNTIME
	if ! rl_as_user test -x "$RUNTIME"; then
		mkdir -p "$RL_DIR/bin"
		cp "$RUNTIME" "$RL_DIR/bin/" || fail "copy $RUNTIME for $RL_USER failed"
		RL_RUNTIME=$RL_DIR/bin/$(basename "$RUNTIME")
	fi
	rl_as_user test -x "$RL_RUNTIME" || fail "$RL_USER cannot execute $RL_RUNTIME"
	export RL_UID RL_GID RL_DIR RL_XDG RL_HOME RL_STATE RL_RUNTIME
	it_on_exit _rl_cleanup
}

# rl_as_user CMD...: CMD as the user, with a clean login-like environment
rl_as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i PATH="$RL_PATH" HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
		XDG_RUNTIME_DIR="$RL_XDG" MYRT_IT_RT="$TAG" "$@"
}

# rl_rt ARGS...: the runtime as the user, under a timeout; create/run ids are remembered
rl_rt() {
	local a cmd='' root=()
	for a in "$@"; do
		[[ $a == -* ]] && continue
		cmd=$a
		break
	done
	if [[ ($cmd == create || $cmd == run) && $# -gt 1 ]]; then
		printf '%s\n' "${!#}" >>"$T/.rl_ids"
	fi
	is_myrt || root=(--root "$RL_STATE")
	timeout -k 5 "$IT_RT_TIMEOUT" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i PATH="$RL_PATH" HOME="$RL_HOME" USER="$RL_USER" LOGNAME="$RL_USER" \
		XDG_RUNTIME_DIR="$RL_XDG" MYRT_IT_RT="$TAG" "$RL_RUNTIME" "${root[@]}" "$@"
}

_rl_cleanup() {
	local id
	while read -r id; do
		[[ -n $id && -e $RL_STATE/$id ]] || continue
		rl_rt kill "$id" KILL >/dev/null 2>&1
		rl_rt delete --force "$id" >/dev/null 2>&1
	done < <(sort -u "$T/.rl_ids" 2>/dev/null)
}

# rl_mk_bundle [DIR]: a bundle at DIR (default $RL_DIR/bundle) whose config.json is what
# `RUNTIME spec --rootless` writes when the user runs it, with terminal off, a writable
# private copy of the example rootfs (owned by the user) and the MYRT_IT_TAG env.
# shellcheck disable=SC2120
rl_mk_bundle() {
	rl_init
	BUNDLE=${1:-$RL_DIR/bundle}
	mkdir -p "$BUNDLE"
	chown "$RL_UID:$RL_GID" "$BUNDLE"
	(cd "$BUNDLE" && rl_as_user "$RL_RUNTIME" spec --rootless) >"$T/spec.out" 2>&1 ||
		fail "spec --rootless as $RL_USER failed: $(<"$T/spec.out")"
	[[ -s $BUNDLE/config.json ]] || fail "spec --rootless wrote no $BUNDLE/config.json"
	[[ $(stat -c %u "$BUNDLE/config.json") == "$RL_UID" ]] ||
		fail "config.json from spec --rootless is not owned by the user"
	cp -a "$EXAMPLE_ROOTFS" "$BUNDLE/rootfs" || fail "copy of the example rootfs failed"
	chown -R "$RL_UID:$RL_GID" "$BUNDLE/rootfs"
	cfg '.root.path = "rootfs" | .root.readonly = false | .process.terminal = false
		| .process.env += ["MYRT_IT_TAG=" + $tag] | .hostname = "myrt-rootless"' --arg tag "$TAG"
	chown "$RL_UID:$RL_GID" "$BUNDLE/config.json"
}

# rl_ctl: a dir $CTL owned by the user, bind-mounted rw at /mnt, to pass files both ways
rl_ctl() {
	CTL=$RL_DIR/ctl
	mkdir -p "$CTL"
	chown "$RL_UID:$RL_GID" "$CTL"
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
		--arg s "$CTL"
}

rl_state_field() { # ID FIELD
	rl_rt state "$1" 2>/dev/null | jq -r ".$2 // empty" 2>/dev/null
}

# ---------------------------------------------------------------------------------------
# Mode-neutral runtime helpers

# use_mode root|rootless
use_mode() {
	MODE=$1
	case $MODE in
		root) MRT=rt ;;
		rootless)
			MRT=rl_rt
			rl_init
			;;
		*) fail "use_mode: unknown mode '$MODE'" ;;
	esac
}

mrt() { "$MRT" "$@"; }

m_state_dir() { # ID: the runtime's state dir of container ID
	if [[ $MODE == rootless ]]; then echo "$RL_STATE/$1"; else echo "$ROOT/$1"; fi
}

# m_mk_bundle: root: mk_bundle (shared rootfs); rootless: rl_mk_bundle (private copy)
m_mk_bundle() {
	if [[ $MODE == rootless ]]; then rl_mk_bundle; else mk_bundle; fi
}

m_run_ctr() { # ID [RUN FLAGS...]: sets RC OUT ERR
	RUN_WITH=mrt run_ctr "$@"
}

m_run_ok() {
	m_run_ctr "$@"
	[[ $RC == 0 ]] || fail "$MODE run $1 exited $RC: stdout: ${OUT:0:500} stderr: ${ERR:0:800}"
}

_m_run_seq=0
m_run_sh() { # SCRIPT: sh -c SCRIPT in a fresh container, must exit 0; sets OUT
	set_args sh -c "$1"
	_m_run_seq=$((_m_run_seq + 1))
	m_run_ok "$(cid "run$_m_run_seq")"
}

# m_assert_no_leftovers ID...: common.sh's checks plus the mode's state dir
m_assert_no_leftovers() {
	local id
	for id in "$@"; do
		[[ ! -e $(m_state_dir "$id") ]] || fail "leftover state dir $(m_state_dir "$id")"
	done
	assert_no_leftovers "$@"
}

# m_expect_one_line_error WHAT TEXT...: RC non-zero; for myrt, stderr ($T/err) is one line
# starting "myrt: " that contains every TEXT
m_expect_one_line_error() {
	local what=$1 err n s
	shift
	assert_nonzero "$what"
	is_myrt || return 0
	err=$(<"$T/err")
	n=$(wc -l <"$T/err")
	[[ $n == 1 ]] || fail "$what: expected one line on stderr, got $n: $err"
	[[ $err == "myrt: "* ]] || fail "$what: stderr should start with 'myrt: ', got '$err'"
	for s in "$@"; do assert_contains "$err" "$s" "$what: stderr"; done
}

# ---------------------------------------------------------------------------------------
# Network helpers

# rl_tun_open: lets an unprivileged slirp4netns open /dev/net/tun.
# On this host /dev/net/tun is mode 0600 (no udev to apply Debian's usual 0666), so a
# rootless slirp4netns cannot open it. We make it 0666 (Debian's normal mode) for the test
# and restore the original mode when the test ends, whatever happened.
rl_tun_open() {
	[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing"
	local mode
	mode=$(stat -c %a /dev/net/tun)
	[[ $mode == 666 ]] && return 0
	# shellcheck disable=SC2064
	it_on_exit "chmod $mode /dev/net/tun"
	chmod 666 /dev/net/tun || fail "chmod 666 /dev/net/tun failed"
}

# need_slirp: slirp4netns installed (with apt-get when missing), else skip
need_slirp() {
	need_pkg slirp4netns slirp4netns
}

# free_port: a TCP port nobody listens on at 127.0.0.1 (random in 20000-39999)
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . && continue
		echo "$p"
		return 0
	done
	fail "no free port found"
}

# host_httpd PORT: busybox httpd on 127.0.0.1:PORT serving $T/www/index.html
# ("host-page-$TAG"); sets HTTPD_PID; killed by that pid when the test ends.
host_httpd() {
	local port=$1
	mkdir -p "$T/www"
	echo "host-page-$TAG" >"$T/www/index.html"
	chmod -R a+rX "$T/www"
	busybox httpd -f -p "127.0.0.1:$port" -h "$T/www" </dev/null >"$T/httpd.log" 2>&1 &
	HTTPD_PID=$!
	it_on_exit "kill $HTTPD_PID 2>/dev/null; wait $HTTPD_PID 2>/dev/null"
	wait_for 10 _listening "$port" || fail "host httpd did not listen on 127.0.0.1:$port: $(<"$T/httpd.log")"
}
_listening() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# host_get URL: busybox wget from the host (10 s timeout; not wget -T, which makes
# busybox 1.35 segfault when the connection fails); sets RC, OUT
host_get() {
	OUT=$(timeout -k 2 10 busybox wget -q -O- "$1" 2>"$T/host_get.err")
	RC=$?
}
