# shellcheck shell=bash
# Namespaces: pid, uts, ipc, net, mount, cgroup; joining by path; user; time.

test_pid_namespace_init_is_pid1() {
	mk_bundle
	# A host process that must not be visible inside.
	sleep 1000 &
	local host_sleep=$!
	run_sh 'echo "pid=$$"; ps -o pid,args'
	kill "$host_sleep" 2>/dev/null
	assert_eq "pid=1" "$(head -n 1 <<<"$OUT")" "\$\$ inside the container"
	local procs
	procs=$(tail -n +3 <<<"$OUT") # skip pid= line and ps header
	assert_not_contains "$procs" "sleep 1000" "ps inside sees a host process"
	local n
	n=$(grep -c . <<<"$procs")
	((n >= 1 && n <= 3)) || fail "ps inside shows $n processes, expected only the container's: $procs"
	while read -r p _; do
		((p < 20)) || fail "ps inside shows pid $p: $procs"
	done <<<"$procs"
}

test_hostname() {
	mk_bundle
	run_sh 'hostname; cat /proc/sys/kernel/hostname'
	assert_eq "myrt-example
myrt-example" "$OUT" "hostname inside"
	assert_ne myrt-example "$(hostname)" "host hostname changed"
	cfg '.hostname = "other-name"'
	run_sh 'hostname'
	assert_eq other-name "$OUT" "hostname inside"
}

test_domainname() {
	[[ $RUNTIME_KIND == runc ]] && skip "runc 1.1 ignores the domainname field"
	mk_bundle
	cfg '.domainname = "example.test"'
	run_sh 'cat /proc/sys/kernel/domainname'
	assert_eq example.test "$OUT" "domainname inside"
}

test_namespaces_differ_from_host() {
	mk_bundle
	add_ctl
	set_args sh -c 'for n in pid mnt uts ipc net cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done > /mnt/ns; exec sleep 1000'
	local id
	id=$(cid ns)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ns" cgroup
	local pid n inside outside
	pid=$(init_pid "$id") || exit 1
	for n in pid mnt uts ipc net cgroup; do
		outside=$(ns_of "$pid" "$n")
		assert_ne "$(ns_of $$ "$n")" "$outside" "$n namespace of the container init vs host"
		inside=$(awk -v n="$n" '$1 == n { print $2 }' "$CTL/ns")
		assert_eq "$outside" "$inside" "$n namespace seen inside vs /proc/PID/ns from outside"
	done
	# The user namespace is not in the config: shared with the host.
	assert_eq "$(ns_of $$ user)" "$(ns_of "$pid" user)" "user namespace (not configured)"
}

test_namespace_not_configured_is_shared() {
	mk_bundle
	add_ctl
	# Without a uts namespace the hostname must not be set (runc refuses the config).
	cfg '.linux.namespaces |= map(select(.type != "uts" and .type != "ipc")) | del(.hostname)'
	set_args sh -c 'hostname > /mnt/h; exec sleep 1000'
	local id
	id=$(cid share)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/h" "$(hostname)"
	local pid
	pid=$(init_pid "$id") || exit 1
	assert_eq "$(ns_of $$ uts)" "$(ns_of "$pid" uts)" "uts namespace (not configured)"
	assert_eq "$(ns_of $$ ipc)" "$(ns_of "$pid" ipc)" "ipc namespace (not configured)"
	assert_ne "$(ns_of $$ net)" "$(ns_of "$pid" net)" "net namespace (configured)"
}

test_network_namespace_only_lo() {
	mk_bundle
	run_sh 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ls /sys/class/net'
	assert_eq "lo
lo" "$OUT" "network interfaces inside"
}

test_join_network_namespace_by_path() {
	command -v ip >/dev/null || skip "no ip command"
	local ns=myrt-test-$$
	ip netns add "$ns" || fail "ip netns add $ns failed"
	IT_NETNS+=("$ns")
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link add dummy-it type dummy 2>/dev/null # marker, when available
	local ino
	ino=$(stat -L -c %i "/run/netns/$ns")
	mk_bundle
	cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/run/netns/$ns"
	run_sh 'readlink /proc/self/ns/net'
	assert_eq "net:[$ino]" "$OUT" "net namespace joined by path"
	if ip netns exec "$ns" ip link show dummy-it >/dev/null 2>&1; then
		run_sh 'ls /sys/class/net | sort | tr "\n" " "'
		assert_contains "$OUT" dummy-it "interfaces of the joined namespace"
	fi
}

test_join_namespace_bad_path_fails() {
	mk_bundle
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/netns" else . end)'
	set_args true
	local id
	id=$(cid badns)
	run_ctr "$id"
	assert_nonzero "joining a nonexistent namespace path"
	assert_no_leftovers "$id"
}

test_ipc_namespace() {
	mk_bundle
	# A SysV message queue made on the host must not be visible inside.
	command -v ipcmk >/dev/null || skip "no ipcmk on the host"
	local q
	q=$(ipcmk -Q | grep -oE '[0-9]+$') || skip "ipcmk -Q failed"
	run_sh 'cat /proc/sysvipc/msg | tail -n +2 | wc -l'
	ipcrm -q "$q"
	assert_eq 0 "$(tr -d ' ' <<<"$OUT")" "SysV message queues visible inside"
}

test_cgroup_namespace() {
	mk_bundle
	run_sh 'cat /proc/self/cgroup'
	[[ -n $OUT ]] || fail "empty /proc/self/cgroup"
	# In a cgroup namespace the container's own cgroups are the root: every line ends in ":/".
	local line
	while read -r line; do
		[[ -z $line ]] && continue
		assert_match "$line" ':/$' "/proc/self/cgroup inside a cgroup namespace"
	done <<<"$OUT"
}

test_user_namespace_mapping() {
	mk_bundle
	local shared=$T/shared
	mkdir -p "$shared"
	chown 100000:100000 "$shared"
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
		--arg s "$shared"
	run_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /mnt/from-container; echo made'
	local lines
	lines=$(tr -s ' \t' ' ' <<<"$OUT" | sed 's/^ //')
	assert_eq "0 100000 65536
0 100000 65536
0
0
made" "$lines" "uid_map, gid_map, id inside a user namespace"
	assert_eq "100000:100000" "$(stat -c %u:%g "$shared/from-container")" "owner on the host of a file made inside"
	# The rootfs is owned by host root, which is unmapped: it shows as the overflow uid.
	run_sh 'stat -c %u /bin/busybox'
	assert_eq "$(cat /proc/sys/kernel/overflowuid)" "$OUT" "owner of an unmapped file inside"
}

test_user_namespace_differs_from_host() {
	mk_bundle
	add_ctl
	chown 200000:200000 "$CTL"
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	set_args sh -c 'echo ready > /mnt/ready; exec sleep 1000'
	local id
	id=$(cid userns)
	create_ok "$id"
	start_ok "$id"
	wait_file_contains "$CTL/ready" ready
	local pid
	pid=$(init_pid "$id") || exit 1
	assert_ne "$(ns_of $$ user)" "$(ns_of "$pid" user)" "user namespace of the container init"
	assert_eq 200000 "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "host uid of the container's root"
}

test_time_namespace_offsets() {
	[[ -e /proc/self/ns/time ]] || skip "kernel without CONFIG_TIME_NS"
	local feats
	if feats=$(timeout 10 "$RUNTIME" features 2>/dev/null) && jq -e '.linux.namespaces' >/dev/null 2>&1 <<<"$feats"; then
		jq -e '.linux.namespaces | index("time")' >/dev/null <<<"$feats" ||
			skip "$RUNTIME_KIND has no time namespace support (features)"
	fi
	[[ $RUNTIME_KIND == crun ]] &&
		skip "crun 1.8.1 cannot combine time and pid namespaces (write to sync socket) and ignores timeOffsets"
	mk_bundle
	cfg '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 8640000, "nanosecs": 0}, "boottime": {"secs": 8640000, "nanosecs": 0}}'
	run_sh 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	local offs
	offs=$(head -n 2 <<<"$OUT" | tr -s ' \t' ' ' | sort)
	assert_eq "boottime 8640000 0
monotonic 8640000 0" "$offs" "/proc/self/timens_offsets inside"
	local up host_up
	up=$(tail -n 1 <<<"$OUT")
	host_up=$(cut -d. -f1 /proc/uptime)
	((up >= 8640000 + host_up - 5 && up <= 8640000 + host_up + 60)) ||
		fail "uptime inside $up, host $host_up: boottime offset 8640000 not applied"
}

# No mount namespace in the config: runtime.md says a namespace not listed is inherited, so
# the container runs in the caller's mount namespace, chrooted into its rootfs, and nothing
# of the host changes (no mount made, nothing created in the image). What would need a
# mount (mounts, masked paths, a terminal...) is refused naming it; runc 1.1.5 instead
# mounts the config's /proc, /dev... onto the host. Issue 14 item 2.
test_no_mount_namespace_runs_chrooted() {
	mk_bundle --copy-rootfs
	local n
	for n in null zero full random urandom; do
		mknod -m 666 "$BUNDLE/rootfs/dev/$n" c 1 "$(case $n in null) echo 3 ;; zero) echo 5 ;; full) echo 7 ;; random) echo 8 ;; urandom) echo 9 ;; esac)"
	done
	mknod -m 666 "$BUNDLE/rootfs/dev/tty" c 5 0
	cfg '.linux.namespaces |= map(select(.type != "mount"))'
	set_args true
	local id before
	id=$(cid refused)
	rt create --bundle "$BUNDLE" "$id" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	assert_nonzero "create without a mount namespace but with mounts"
	is_myrt && assert_contains "$(cat "$T/err")" "mounts[0]"
	cfg '.mounts = [] | del(.linux.maskedPaths, .linux.readonlyPaths)'
	set_args sh -c 'ls /; readlink /proc/self/ns/mnt 2>/dev/null; echo done'
	before=$(wc -l </proc/self/mountinfo)
	run_ctr "$(cid chroot)"
	assert_rc 0 "run without a mount namespace (stderr: $ERR)"
	assert_contains "$OUT" "linuxrc" "the container sees its rootfs as /"
	assert_contains "$OUT" done
	assert_eq "$before" "$(wc -l </proc/self/mountinfo)" "mounts on the host"
	[[ -z $(our_host_mounts) ]] || fail "mounts left on the host: $(our_host_mounts)"
	# exec joins the chroot too
	set_args sleep 1000
	id=$(cid chrootexec)
	create_ok "$id"
	start_ok "$id"
	rt exec "$id" ls / >"$T/out" 2>"$T/err" </dev/null || fail "exec: $(cat "$T/err")"
	assert_contains "$(cat "$T/out")" linuxrc "exec sees the container's rootfs as /"
	delete_ok "$id" --force
	assert_no_leftovers "$id"
}
