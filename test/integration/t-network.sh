# shellcheck shell=bash
# Networking: a new network namespace without annotations (only lo, up) and slirp4netns
# asked for with myrt's annotations (run.myrt.network, .ports, .host-loopback). Every check
# runs twice through the same net_* helper: as root (test_*_root) and as an unprivileged
# user (test_*_rootless; lib/rootless.sh). Traffic stays on this machine: the host side is
# always 127.0.0.1 (a busybox httpd the test starts and kills by pid, and published ports
# bound to 127.0.0.1 only); 10.0.2.x are slirp4netns's addresses inside the container's own
# namespace.
#
# Rootless slirp4netns needs /dev/net/tun: on this host it is mode 0600 (no udev), so the
# rootless tests make it 0666 (Debian's normal mode) and restore the original mode when the
# test ends (rl_tun_open, an exit hook).
#
# The annotations are myrt's: with another RUNTIME only the lo check runs.
# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"

NET=run.myrt.network
PORTS=run.myrt.network.ports
LOOPBACK=run.myrt.network.host-loopback

# net_setup MODE [slirp]: mode, bundle; with "slirp": slirp4netns installed, myrt only,
# /dev/net/tun usable by the user (rootless), and the network annotation set.
net_setup() {
	local mode=$1 slirp=${2:-}
	if [[ $slirp == slirp ]]; then
		is_myrt || skip "the $NET annotations are myrt's"
		need_slirp
	fi
	use_mode "$mode"
	[[ $slirp == slirp && $mode == rootless ]] && rl_tun_open
	m_mk_bundle
	if [[ $slirp == slirp ]]; then
		annotate "$NET" slirp4netns
		# slirp4netns needs a network namespace; spec --rootless (as runc's) has none.
		cfg '.linux.namespaces |= (if any(.type == "network") then . else . + [{type: "network"}] end)'
	fi
	return 0
}

annotate() { # KEY VALUE
	cfg '.annotations[$k] = $v' --arg k "$1" --arg v "$2"
}

# helper_pid ID: the first of helper_pids in the container's state.json (read as root)
helper_pid() {
	jq -r '(.helper_pids // [])[0] // empty' "$(m_state_dir "$1")/state.json" 2>/dev/null
}

# slirp_pids: live slirp4netns processes started by this test's runtime calls
slirp_pids() {
	local p
	for p in $(leftover_pids); do
		[[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == slirp4netns* ]] && echo "$p"
	done
	return 0
}

# assert_slirp_helper ID: the recorded helper is a live slirp4netns of the right user, its
# API socket and log are in the state dir; sets HELPER
assert_slirp_helper() {
	local id=$1 dir want_uid
	dir=$(m_state_dir "$id")
	HELPER=$(helper_pid "$id")
	[[ $HELPER =~ ^[1-9][0-9]*$ ]] || fail "no helper pid in $dir/state.json: $(cat "$dir/state.json" 2>&1)"
	pid_alive "$HELPER" || fail "helper $HELPER of $id is not alive"
	assert_match "$(tr '\0' ' ' <"/proc/$HELPER/cmdline")" "^slirp4netns .*--configure.*--mtu=65520.*--api-socket $dir/slirp.sock" \
		"command line of helper $HELPER"
	want_uid=0
	[[ $MODE == rootless ]] && want_uid=$RL_UID
	assert_eq "$want_uid" "$(awk '/^Uid:/ { print $2 }' "/proc/$HELPER/status")" "uid of slirp4netns"
	[[ -S $dir/slirp.sock ]] || fail "no API socket $dir/slirp.sock"
	[[ -f $dir/slirp4netns.log ]] || fail "no log $dir/slirp4netns.log"
	assert_eq "$(ns_of "$(init_pid "$id")" net)" "$(_slirp_target_ns "$HELPER")" \
		"network namespace slirp4netns serves vs the container's"
}
_slirp_target_ns() { # PID: the netns of the fd slirp4netns was given (its last-but-one arg)
	local arg
	arg=$(tr '\0' '\n' <"/proc/$1/cmdline" | tail -n 2 | head -n 1)
	readlink "/proc/$1/fd/${arg##*/}" 2>/dev/null
}

# assert_helper_gone ID PID: after delete: helper dead, socket and state dir gone
assert_helper_gone() {
	local dir
	dir=$(m_state_dir "$1")
	wait_pid_gone "$2" 10
	[[ ! -e $dir/slirp.sock ]] || fail "API socket $dir/slirp.sock left"
	[[ ! -e $dir ]] || fail "state dir $dir left"
}

# ---------------------------------------------------------------------------------------

net_lo_only() { # MODE
	net_setup "$1"
	# (runc's spec --rootless has no network namespace: ask for one.)
	cfg '.linux.namespaces |= (if any(.type == "network") then . else . + [{type: "network"}] end)'
	m_run_sh 'ip -o link; echo "ns $(readlink /proc/self/ns/net)"'
	local links
	links=$(grep -v '^ns ' <<<"$OUT")
	assert_eq 1 "$(grep -c . <<<"$links")" "ip -o link lines inside: $links"
	assert_match "$links" '^1: lo: <([A-Z_]+,)*UP(,[A-Z_]+)*>' "lo inside"
	assert_ne "ns $(ns_of $$ net)" "$(grep '^ns ' <<<"$OUT")" "network namespace inside vs host"
	m_assert_no_leftovers "$(cid run1)"
}
test_lo_only_root() { net_lo_only root; }
test_lo_only_rootless() { net_lo_only rootless; }

net_host_loopback() { # MODE
	net_setup "$1" slirp
	local port
	port=$(free_port)
	host_httpd "$port"
	local get="timeout 10 wget -q -O- http://10.0.2.2:$port/; echo \"rc=\$?\""
	annotate "$LOOPBACK" true
	m_run_sh "$get"
	assert_eq "host-page-$TAG
rc=0" "$OUT" "the host's 127.0.0.1:$port as 10.0.2.2 with host-loopback true"
	# Off by default, and with "false".
	cfg 'del(.annotations[$k])' --arg k "$LOOPBACK"
	m_run_sh "$get"
	assert_not_contains "$OUT" "host-page" "10.0.2.2:$port without host-loopback"
	assert_match "$OUT" 'rc=[1-9]' "wget of 10.0.2.2:$port without host-loopback"
	annotate "$LOOPBACK" false
	m_run_sh "$get"
	assert_not_contains "$OUT" "host-page" "10.0.2.2:$port with host-loopback false"
	assert_match "$OUT" 'rc=[1-9]' "wget of 10.0.2.2:$port with host-loopback false"
	m_assert_no_leftovers "$(cid run1)" "$(cid run2)" "$(cid run3)"
	assert_eq "" "$(slirp_pids)" "slirp4netns left after run"
}
test_host_loopback_root() { net_host_loopback root; }
test_host_loopback_rootless() { net_host_loopback rootless; }

net_published_port() { # MODE
	net_setup "$1" slirp
	local hp hp2
	hp=$(free_port)
	hp2=$(free_port)
	[[ $hp != "$hp2" ]] || hp2=$(free_port)
	annotate "$PORTS" "127.0.0.1:$hp:80,127.0.0.1:$hp2:81/tcp"
	set_args sh -c 'mkdir -p /dev/shm/www && echo "ctr-page-$MYRT_IT_TAG" > /dev/shm/www/index.html &&
		httpd -p 81 -h /dev/shm/www && exec httpd -f -p 80 -h /dev/shm/www'
	local id
	id=$(cid srv)
	create_ok "$id"
	start_ok "$id"
	assert_slirp_helper "$id"
	_page() { host_get "http://127.0.0.1:$1/" && [[ $OUT == "ctr-page-$TAG" ]]; }
	wait_for 15 _page "$hp" || fail "GET http://127.0.0.1:$hp/ from the host: rc $RC, '$OUT' $(<"$T/host_get.err")"
	wait_for 15 _page "$hp2" || fail "GET http://127.0.0.1:$hp2/ from the host: rc $RC, '$OUT' $(<"$T/host_get.err")"
	# Published on 127.0.0.1 only, by the recorded slirp4netns.
	local l
	l=$(ss -Htlnp "sport = :$hp")
	assert_match "$l" "127\.0\.0\.1:$hp " "listener for port $hp"
	assert_contains "$l" "pid=$HELPER," "listener of port $hp is the recorded slirp4netns"
	delete_ok "$id" --force
	assert_helper_gone "$id" "$HELPER"
	wait_for 5 _not_listening "$hp" || fail "port $hp still listened on after delete: $(ss -Htlnp "sport = :$hp")"
	m_assert_no_leftovers "$id"
}
_not_listening() { ! _listening "$1"; }
test_published_port_root() { net_published_port root; }
test_published_port_rootless() { net_published_port rootless; }

net_resolv_conf() { # MODE
	net_setup "$1" slirp
	m_run_sh 'cat /etc/resolv.conf; ip -o -4 addr show tap0; ip -o link show tap0; ip route'
	local lines
	mapfile -t lines <<<"$OUT"
	assert_eq "nameserver 10.0.2.3" "${lines[0]}" "/etc/resolv.conf inside"
	assert_match "${lines[1]}" 'inet 10\.0\.2\.100/24 ' "tap0 address"
	assert_match "${lines[2]}" ' mtu 65520 ' "tap0 mtu"
	assert_contains "$OUT" "default via 10.0.2.2 dev tap0" "routes inside"
	# The rootfs's own file is untouched (a bind mount over it).
	local rootfs
	rootfs=$(jq -r .root.path "$BUNDLE/config.json")
	[[ $rootfs == /* ]] || rootfs=$BUNDLE/$rootfs
	[[ ! -e $rootfs/etc/resolv.conf ]] || assert_ne "nameserver 10.0.2.3" "$(<"$rootfs/etc/resolv.conf")" \
		"the rootfs's /etc/resolv.conf was written"
	# A bundle that mounts its own resolv.conf keeps it.
	local own=$T/own-resolv.conf
	echo "nameserver 127.0.0.53" >"$own"
	chmod 644 "$own"
	cfg '.mounts += [{"destination": "/etc/resolv.conf", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$own"
	m_run_sh 'cat /etc/resolv.conf'
	assert_eq "nameserver 127.0.0.53" "$OUT" "/etc/resolv.conf inside with the bundle's own mount"
	m_assert_no_leftovers "$(cid run1)" "$(cid run2)"
	assert_eq "" "$(slirp_pids)" "slirp4netns left after run"
}
test_resolv_conf_root() { net_resolv_conf root; }
test_resolv_conf_rootless() { net_resolv_conf rootless; }

net_delete_cleanup() { # MODE
	net_setup "$1" slirp
	set_args sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	# Stopped, then delete.
	local id pid
	id=$(cid stop)
	create_ok "$id"
	assert_slirp_helper "$id"
	start_ok "$id"
	pid=$(init_pid "$id") || exit 1
	mrt kill "$id" TERM >"$T/kill.out" 2>&1 || fail "kill $id TERM failed: $(<"$T/kill.out")"
	wait_pid_gone "$pid" 10
	wait_for_status "$id" stopped 10
	delete_ok "$id"
	assert_helper_gone "$id" "$HELPER"
	# Running, then delete --force.
	id=$(cid force)
	create_ok "$id"
	start_ok "$id"
	assert_slirp_helper "$id"
	delete_ok "$id" --force
	assert_helper_gone "$id" "$HELPER"
	# Created (never started), then delete --force.
	id=$(cid created)
	create_ok "$id"
	assert_slirp_helper "$id"
	delete_ok "$id" --force
	assert_helper_gone "$id" "$HELPER"
	# run in the foreground: its helper goes when the container exits.
	set_args true
	m_run_ok "$(cid fg)"
	m_assert_no_leftovers "$(cid stop)" "$(cid force)" "$(cid created)" "$(cid fg)"
	assert_eq "" "$(slirp_pids)" "slirp4netns left"
	assert_eq "" "$(ls -A "$(m_state_dir "")" 2>/dev/null)" "left in the state root"
}
test_delete_cleanup_root() { net_delete_cleanup root; }
test_delete_cleanup_rootless() { net_delete_cleanup rootless; }

# delete returns only once the helper has exited: a caller that re-creates the container
# at once must find the published port free. Repeated, since the window is short.
net_delete_waits_for_helper() { # MODE
	net_setup "$1" slirp
	local hp id i st
	hp=$(free_port)
	annotate "$PORTS" "127.0.0.1:$hp:80"
	set_args sleep 1000
	id=$(cid again)
	for i in 1 2 3 4 5; do
		create_ok "$id"
		assert_slirp_helper "$id"
		delete_ok "$id" --force
		st=$(sed -E 's/.*\) (.).*/\1/' "/proc/$HELPER/stat" 2>/dev/null)
		[[ -z $st || $st == Z || $st == X ]] ||
			fail "round $i: slirp4netns $HELPER still there (state $st) when delete returned"
	done
	create_ok "$id"
	delete_ok "$id" --force
	m_assert_no_leftovers "$id"
}
test_delete_waits_for_helper_root() { net_delete_waits_for_helper root; }
test_delete_waits_for_helper_rootless() { net_delete_waits_for_helper rootless; }

# bad_run WHAT TEXT...: run must fail with one line naming TEXT..., nothing left behind
_bad_seq=0
bad_run() {
	local what=$1 id
	shift
	_bad_seq=$((_bad_seq + 1))
	id=$(cid "bad$_bad_seq")
	set_args true
	m_run_ctr "$id"
	m_expect_one_line_error "$what" "$@"
	m_assert_no_leftovers "$id"
	assert_eq "" "$(ls -A "$(m_state_dir "")" 2>/dev/null)" "$what: left in the state root"
	assert_eq "" "$(slirp_pids)" "$what: slirp4netns left"
}

net_bad_annotations() { # MODE
	is_myrt || skip "the $NET annotations are myrt's"
	need_slirp
	net_setup "$1"
	[[ $MODE == rootless ]] && rl_tun_open
	cfg '.linux.namespaces |= (if any(.type == "network") then . else . + [{type: "network"}] end)'
	local base
	base=$(<"$BUNDLE/config.json")
	annotate "$PORTS" "127.0.0.1:8080:80"
	bad_run "ports without the network annotation" "annotation $PORTS needs $NET=slirp4netns"
	local spec
	for spec in "127.0.0.1:70000:80" "127.0.0.1:8080" "8080" "127.0.0.1:x:80" "127.0.0.1:8080:0" \
		"127.0.0.1:8080:80/sctp" "127.0.0.1:8080:80,:81"; do
		printf '%s\n' "$base" >"$BUNDLE/config.json"
		annotate "$NET" slirp4netns
		annotate "$PORTS" "$spec"
		bad_run "port spec '$spec'" "annotation $PORTS" "\"${spec##*,}\""
	done
	printf '%s\n' "$base" >"$BUNDLE/config.json"
	annotate "$NET" bridge
	bad_run "unknown network" "annotation $NET: unknown network \"bridge\""
	printf '%s\n' "$base" >"$BUNDLE/config.json"
	annotate "$NET" slirp4netns
	cfg '.linux.namespaces |= map(select(.type != "network"))'
	bad_run "slirp4netns without a network namespace" "annotation $NET=slirp4netns needs a new network namespace"
	if [[ $MODE == root ]]; then
		# Joining an existing namespace (one of ours) is no new namespace either.
		local ns=myrt-it-$TAG
		ip netns add "$ns" || fail "ip netns add $ns failed"
		IT_NETNS+=("$ns")
		printf '%s\n' "$base" >"$BUNDLE/config.json"
		annotate "$NET" slirp4netns
		cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/run/netns/$ns"
		bad_run "slirp4netns joining a network namespace" "annotation $NET=slirp4netns needs a new network namespace"
		assert_eq "1: lo" "$(ip netns exec "$ns" ip -o link | cut -d: -f1-2)" "links in the joined namespace"
	fi
	# A host port that is taken: slirp4netns cannot publish it.
	local busy
	busy=$(free_port)
	host_httpd "$busy"
	printf '%s\n' "$base" >"$BUNDLE/config.json"
	annotate "$NET" slirp4netns
	annotate "$PORTS" "127.0.0.1:$busy:80"
	# The reply's error.desc (slirp4netns's api.c), not the raw JSON of the reply.
	bad_run "publishing a port in use" "publish 127.0.0.1:$busy -> 80/tcp: slirp4netns: bad request: add_hostfwd"
	# slirp4netns not in PATH.
	local nobin=$T/nobin id
	mkdir -p "$nobin"
	chmod 755 "$nobin"
	printf '%s\n' "$base" >"$BUNDLE/config.json"
	annotate "$NET" slirp4netns
	set_args true
	id=$(cid nobin)
	if [[ $MODE == rootless ]]; then
		RL_PATH=$nobin m_run_ctr "$id"
	else
		printf '%s\n' "$id" >>"$T/.ids"
		MYRT_IT_RT=$TAG timeout -k 5 "$IT_RT_TIMEOUT" env PATH="$nobin" "$RUNTIME" --root "$ROOT" \
			run --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null
		RC=$?
	fi
	m_expect_one_line_error "slirp4netns missing"
	assert_eq "myrt: slirp4netns is not installed (package slirp4netns) but annotation $NET asks for it" \
		"$(<"$T/err")" "stderr with slirp4netns missing"
	m_assert_no_leftovers "$id"
}
test_bad_annotations_root() { net_bad_annotations root; }
test_bad_annotations_rootless() { net_bad_annotations rootless; }
