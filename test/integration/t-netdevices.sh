# shellcheck shell=bash
# linux.netDevices (config-linux.md "Network Devices"): host interfaces moved into the
# container's network namespace by create, renamed as asked (or a "%d" template), with their
# MTU and MAC, their permanent global addresses and nothing else, and up. What is checked:
# from inside (busybox ip, /sys/class/net) and from the host (iproute2, /sys/class/net).
#
# The spec's lifecycle: the runtime "MUST NOT attempt to move the interface out of the
# namespace before deletion"; when the namespace dies the kernel gives physical interfaces
# back to the initial namespace and destroys virtual ones. So after delete a moved virtual
# interface is gone from the host, and in a joined namespace (which outlives the container)
# it stays. A create that fails is another matter (runtime.md "Errors": as if never
# attempted): every interface it moved is back on the host under its name, index, MTU,
# addresses and up/down state.
#
# The interfaces are virtual ones of our own (mtnd<TAG><x>, at most 15 bytes): dummy, or ifb
# on a kernel without the dummy driver (this host's). They are deleted when the test ends
# wherever it stopped (IT_LINKS); the namespaces it adds are too (IT_NETNS).
#
# runc 1.1.5 and crun 1.8.1 predate netDevices: they ignore the member silently, so every
# test fails with them (the interfaces stay on the host, nothing is refused). Newer runc
# (libcontainer/network_linux.go) and crun (src/libcrun/net_device.c) move interfaces in but
# leave a failed create's to the kernel, which destroys virtual ones with the namespace.
# shellcheck source=lib/rootless.sh
source "$IT_DIR/lib/rootless.sh"

# nd_name X: an interface name of this test's own
nd_name() { echo "mtnd${TAG:0:6}$1"; }

# nd_link NAME: a virtual interface on the host, deleted at the end of the test
nd_link() {
	IT_LINKS+=("$1")
	ip link add "$1" type dummy 2>/dev/null || ip link add "$1" type ifb 2>/dev/null ||
		skip "this kernel makes neither a dummy nor an ifb interface"
}

has_ipv6() { [[ -e /proc/sys/net/ipv6/conf/all ]]; }

# nd_state NAME...: what the host knows of each interface: link, index, addresses
nd_state() {
	local d
	for d in "$@"; do
		ip -o link show dev "$d" 2>&1
		cat "/sys/class/net/$d/ifindex" 2>&1
		ip -o addr show dev "$d" 2>&1
	done
}

# nd_configured NAME: MTU, MAC (ND_MAC: ours, or the driver's own where it keeps it: ifb), addresses
# (global v4 twice, one labelled; host-scope v4; global v6 without DAD): what the container
# must and must not get
nd_configured() {
	local d=$1
	nd_link "$d"
	ip link set dev "$d" mtu 1400 || fail "ip link set $d mtu failed"
	ND_MAC=02:00:5e:10:00:01
	ip link set dev "$d" address "$ND_MAC" 2>/dev/null || ND_MAC=$(<"/sys/class/net/$d/address")
	ip addr add 10.213.7.2/24 dev "$d" || fail "ip addr add on $d failed"
	ip addr add 10.213.7.3/24 dev "$d" label "$d:x" || fail "ip addr add label on $d failed"
	ip addr add 127.213.7.2/8 scope host dev "$d" || fail "ip addr add scope host on $d failed"
	if has_ipv6; then
		ip -6 addr add fd00:213:7::2/64 dev "$d" nodad || fail "ip -6 addr add on $d failed"
	fi
}

_link_gone() { [[ ! -e /sys/class/net/$1 ]]; }

# ---------------------------------------------------------------------------------------

test_netdev_moved_renamed_with_addresses() {
	mk_bundle
	local dev inside id idx out link
	dev=$(nd_name a)
	inside=$(nd_name c)
	nd_configured "$dev"
	idx=$(<"/sys/class/net/$dev/ifindex")
	# Down on the host: the runtime sets it up inside.
	cfg '.linux.netDevices = {($d): {name: $n}}' --arg d "$dev" --arg n "$inside"
	set_args sh -c 'ip -o link show "$1"; ip -o addr show dev "$1"
		echo "index $(cat /sys/class/net/"$1"/ifindex)"; echo end; exec sleep 600' sh "$inside"
	id=$(cid moved)
	create_ok "$id"
	_link_gone "$dev" || fail "$dev is still on the host after create"
	start_ok "$id"
	wait_file_contains "$T/$id.out" end
	out=$(<"$T/$id.out")
	link=$(grep -F " $inside: <" <<<"$out")
	assert_match "$link" "^$idx: $inside: <([A-Z_]+,)*UP[,>].* mtu 1400 " "link inside"
	assert_contains "$link" "link/ether $ND_MAC " "MAC inside"
	assert_contains "$out" "index $idx" "index inside (the host's, free there)"
	assert_match "$(grep -F 10.213.7.2/ <<<"$out")" "inet 10\.213\.7\.2/24 .*scope global $inside" \
		"first address inside"
	assert_match "$(grep -F 10.213.7.3/ <<<"$out")" \
		"inet 10\.213\.7\.3/24 .*scope global secondary $inside:x" \
		"labelled address inside (label renamed with the interface)"
	if has_ipv6; then
		assert_match "$out" "inet6 fd00:213:7::2/64 scope global" "IPv6 address inside"
	fi
	assert_not_contains "$out" "127.213.7.2" "a host-scope address inside (only global ones move)"
	_link_gone "$inside" || fail "$inside exists on the host"
	delete_ok "$id" --force
	# Never moved out by the runtime; a virtual interface dies with the namespace.
	sleep 0.5
	_link_gone "$dev" || fail "$dev is back on the host after delete: $(nd_state "$dev")"
	wait_for 10 _link_gone "$inside" || fail "$inside came out on the host after delete"
	assert_no_leftovers "$id"
}

# No name: the host's; a template: the kernel's first free number. Both up.
test_netdev_template_and_host_name() {
	mk_bundle
	local a b
	a=$(nd_name a)
	b=$(nd_name b)
	nd_link "$a"
	nd_link "$b"
	cfg '.linux.netDevices = {($a): {}, ($b): {name: "nd%d"}}' --arg a "$a" --arg b "$b"
	run_sh 'ip -o link | cut -d: -f2 | tr -d " " | sort | tr "\n" " "; echo
		ip -o link | grep -v " lo:" | grep -c "[<,]UP[,>]"'
	assert_eq "lo $a nd0 
2" "$OUT" "interfaces inside, and how many up besides lo"
	_link_gone "$a" || fail "$a still on the host"
	_link_gone "$b" || fail "$b still on the host"
}

# A namespace joined by path outlives the container: what moved in stays there, configured.
test_netdev_joined_namespace_keeps_it() {
	mk_bundle
	local dev ns=myrt-it-$TAG
	dev=$(nd_name a)
	nd_link "$dev"
	ip addr add 10.213.8.2/24 dev "$dev" || fail "ip addr add failed"
	ip netns add "$ns" || fail "ip netns add $ns failed"
	IT_NETNS+=("$ns")
	# eth0, a name the host has too: it is taken inside only.
	cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
		| .linux.netDevices = {($d): {name: "eth0"}}' --arg p "/run/netns/$ns" --arg d "$dev"
	run_sh 'ip -o addr show dev eth0'
	assert_match "$OUT" 'inet 10\.213\.8\.2/24 .*scope global eth0' "address inside"
	local after
	after=$(ip netns exec "$ns" ip -o addr show dev eth0 2>&1)
	assert_match "$after" 'inet 10\.213\.8\.2/24 .*scope global eth0' "in $ns after the container"
	_link_gone "$dev" || fail "$dev is back on the host"
}

# A create that fails after the moves puts every interface back as it was, including one
# the kernel moved before refusing its name inside.
test_netdev_failed_create_puts_them_back() {
	mk_bundle
	local a b before id
	a=$(nd_name a)
	b=$(nd_name b)
	nd_configured "$a"
	ip link set dev "$a" up
	nd_link "$b"
	ip addr add 10.213.9.2/24 dev "$b" || fail "ip addr add failed"
	before=$(nd_state "$a" "$b")
	cfg '.linux.netDevices = {($a): {name: "x1"}, ($b): {}}' --arg a "$a" --arg b "$b"
	set_args /nonexistent-program
	id=$(cid fail1)
	create_refused "create with a missing program" "/nonexistent-program" "$id"
	assert_eq "$before" "$(nd_state "$a" "$b")" "the interfaces after the failed create"
	# "lo" is taken inside: the kernel moves $b, then refuses to rename it.
	cfg '.linux.netDevices = {($a): {name: "x1"}, ($b): {name: "lo"}}' --arg a "$a" --arg b "$b"
	set_args true
	id=$(cid fail2)
	create_refused "create with a name taken inside" "linux.netDevices[\"$b\"]: the container's network \
namespace already has an interface named \"lo\"" "$id"
	assert_eq "$before" "$(nd_state "$a" "$b")" "the interfaces after the refused name"
	assert_no_leftovers "$(cid fail1)" "$id"
}

test_netdev_refused() {
	mk_bundle
	set_args true
	local dev br base before n=0
	dev=$(nd_name a)
	nd_link "$dev"
	ip addr add 10.213.10.2/24 dev "$dev" || fail "ip addr add failed"
	before=$(nd_state "$dev")
	base=$(<"$BUNDLE/config.json")
	_refused() { # WHAT TEXT NETDEVICES-JQ [JQ-EXPR [JQ ARGS...]]
		printf '%s\n' "$base" >"$BUNDLE/config.json"
		cfg ".linux.netDevices = $3 | ${4:-.}" --arg d "$dev" "${@:5}"
		n=$((n + 1))
		create_refused "$1" "$2" "$(cid "r$n")"
		assert_eq "$before" "$(nd_state "$dev")" "$dev after: $1"
	}
	_refused "no network namespace" "linux.netDevices: requires a network namespace" \
		'{($d): {}}' '.linux.namespaces |= map(select(.type != "network"))'
	_refused "a missing interface" "linux.netDevices[\"$(nd_name z)\"]: no such network interface" \
		"{\"$(nd_name z)\": {}}"
	local bad
	for bad in "a/b" "a:b" "a b" "." ".." "" "sixteen-bytes-xx" "n%d%d" "n%s"; do
		_refused "name '$bad'" "linux.netDevices[\"$dev\"].name: invalid network interface name" \
			"{(\$d): {name: \"$bad\"}}"
	done
	_refused "a template as the host name" 'linux.netDevices["e%d"]: invalid network interface name' \
		'{"e%d": {}}'
	_refused "two entries for one name" "another entry already moves an interface to the name \"c1\"" \
		"{(\$d): {name: \"c1\"}, \"$(nd_name z)\": {name: \"c1\"}}"
	_refused "the runtime's own namespace by path" \
		"linux.netDevices: the container's network namespace is the runtime's own" \
		'{($d): {}}' '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "/proc/$$/ns/net"
	# A bridge cannot change namespace: refused naming it, $dev (moved first) put back.
	br=$(nd_name b)
	IT_LINKS+=("$br")
	if ip link add "$br" type bridge 2>/dev/null; then
		_refused "a bridge" "linux.netDevices[\"$br\"]: move into the container's network namespace" \
			"{(\$d): {}, \"$br\": {}}"
		[[ -e /sys/class/net/$br ]] || fail "$br is gone from the host"
	fi
	assert_no_leftovers
}

# Unprivileged, the runtime can neither enter the container's network namespace nor move a
# host interface: refused in one line, the interface untouched.
test_netdev_rootless_refused() {
	use_mode rootless
	m_mk_bundle
	set_args true
	local dev before
	dev=$(nd_name a)
	nd_link "$dev"
	ip addr add 10.213.11.2/24 dev "$dev" || fail "ip addr add failed"
	before=$(nd_state "$dev")
	cfg '.linux.namespaces |= (if any(.type == "network") then . else . + [{type: "network"}] end)
		| .linux.netDevices = {($d): {}}' --arg d "$dev"
	m_run_ctr "$(cid rl)"
	m_expect_one_line_error "rootless run with netDevices" "linux.netDevices"
	assert_eq "$before" "$(nd_state "$dev")" "$dev after the rootless run"
	m_assert_no_leftovers "$(cid rl)"
}
