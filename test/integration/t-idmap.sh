# shellcheck shell=bash
# Idmapped mounts (config.md "idmap", "ridmap", a mount's uidMappings/gidMappings), and bind
# sources that the container's mapped root cannot reach: the runtime opens both in the
# caller's namespaces. Each checked from inside (owners seen there) and from the host (the
# owner on disk of a file made through the mount).

# userns_cfg: the container gets a user namespace, root mapped to host 100000
userns_cfg() {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

# idm_source: $T/idm owned by host root (0755), with a file of root's and one of uid 1000
idm_source() {
	IDM=$T/idm
	mkdir -p "$IDM"
	: >"$IDM/of-root"
	: >"$IDM/of-1000" && chown 1000:1000 "$IDM/of-1000"
}

# bind_at DEST OPTIONS_JSON [EXTRA_JQ]: adds a bind mount of $IDM at DEST (a directory the
# image has: the mapped root cannot make one in the shared rootfs)
bind_at() {
	cfg "(.mounts += [{\"destination\": \"$1\", \"type\": \"bind\", \"source\": \$s, \"options\": $2}]) ${3:+| $3}" \
		--arg s "$IDM"
}

# Another runtime that does not say it implements idmap is skipped (runc 1.1.5 drops the
# option silently); myrt never is.
idmap_supported() {
	is_myrt && return 0
	timeout 10 "$RUNTIME" features | jq -e '.linux.mountExtensions.idmap.enabled' >/dev/null ||
		skip "$RUNTIME_KIND does not implement idmapped mounts"
}

# In a user namespace, "idmap" with no mappings of the mount's own uses the container's:
# host root's files are root's inside, and what root makes there is host root's on disk.
test_idmap_uses_the_containers_mapping() {
	idmap_supported
	mk_bundle
	userns_cfg
	idm_source
	bind_at /mnt '["bind", "idmap"]'
	run_sh 'stat -c %u:%g /mnt/of-root /mnt/of-1000; touch /mnt/made-inside && echo made'
	assert_eq "0:0
1000:1000
made" "$OUT" "owners seen through the idmapped mount, and a write by the container's root"
	assert_eq "0:0" "$(stat -c %u:%g "$IDM/made-inside")" "owner on the host of a file made inside"
}

# The same mount without idmap: host root's files are the overflow id and root cannot write
# (what the test above would see if idmap were dropped).
test_without_idmap_host_files_are_unmapped() {
	mk_bundle
	userns_cfg
	idm_source
	bind_at /mnt '["bind"]'
	run_sh 'stat -c %u /mnt/of-root; touch /mnt/made-inside 2>/dev/null && echo made || echo denied'
	assert_eq "$(cat /proc/sys/kernel/overflowuid)
denied" "$OUT" "owner of host root's file and a write, without idmap"
}

# A mount's own mappings, in a container without a user namespace: on-disk id 0 shows as
# 4242 and 1000 as 5000 (containerID is the id on disk, hostID the id seen through the mount).
test_idmap_with_the_mounts_own_mappings() {
	idmap_supported
	mk_bundle
	idm_source
	bind_at /mnt '["bind", "idmap"]' \
		'.mounts[-1].uidMappings = [{"containerID": 0, "hostID": 4242, "size": 1}, {"containerID": 1000, "hostID": 5000, "size": 1}]
		| .mounts[-1].gidMappings = [{"containerID": 0, "hostID": 4242, "size": 1}, {"containerID": 1000, "hostID": 5000, "size": 1}]'
	run_sh 'stat -c %u:%g /mnt/of-root /mnt/of-1000'
	assert_eq "4242:4242
5000:5000" "$OUT" "owners seen through a mount with its own mappings"
	# From the host, through the container's mountinfo: the mount is idmapped.
	assert_eq "0:0" "$(stat -c %u:%g "$IDM/of-root")" "owner on the host, unchanged"
}

# "idmap" maps only the top mount of an rbind; "ridmap" every submount too.
test_ridmap_reaches_submounts() {
	idmap_supported
	mk_bundle
	userns_cfg
	idm_source
	mkdir -p "$IDM/sub"
	mount -t tmpfs -o size=1m "tmpfs-$TAG" "$IDM/sub" || fail "mount tmpfs"
	: >"$IDM/sub/in-sub"
	bind_at /mnt '["rbind", "idmap"]'
	bind_at /home '["rbind", "ridmap"]'
	run_sh 'stat -c %u /mnt/of-root /mnt/sub/in-sub /home/of-root /home/sub/in-sub'
	assert_eq "0
$(cat /proc/sys/kernel/overflowuid)
0
0" "$OUT" "owners: idmap top, idmap submount, ridmap top, ridmap submount"
}

test_idmap_refusals() {
	idmap_supported
	mk_bundle
	idm_source
	# No mappings of its own and no user namespace: nothing to map with (config.md: MUST error).
	bind_at /mnt '["bind", "idmap"]'
	create_refused "idmap without mappings or user namespace" "mounts[$(($(jq '.mounts | length' "$BUNDLE/config.json") - 1))]" "$(cid refused)"
	# Only bind mounts.
	cfg 'del(.mounts[-1]) | .mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}]'
	userns_cfg
	create_refused "idmap on a tmpfs" "(/mnt)" "$(cid refused)"
}

# A bind source below a directory that only host root can search: the container's root
# (host 100000) cannot reach it, the runtime can (runc opens sources before the user
# namespace too).
test_bind_source_unreachable_by_mapped_root() {
	mk_bundle
	userns_cfg
	mkdir -p "$T/private/data"
	chmod 700 "$T/private"
	chmod 777 "$T/private/data"
	echo secret-but-shared >"$T/private/data/f"
	chmod 644 "$T/private/data/f"
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["bind"]}]' \
		--arg s "$T/private/data"
	run_sh 'cat /mnt/f; touch /mnt/made && echo made'
	assert_eq "secret-but-shared
made" "$OUT" "the bind mount inside"
	assert_eq "100000" "$(stat -c %u "$T/private/data/made")" "owner on the host of a file made inside"
}

# A host mount made under a shared bind source later reaches the container (rslave, the
# default), and a mount made inside does not reach the host: the same whether the runtime
# opened the source (mode 700 above it) or init did.
bind_follows_host_mounts() { # MODE_OF_PARENT
	mk_bundle
	userns_cfg
	mkdir -p "$T/private/data"
	chmod "$1" "$T/private"
	mount -t tmpfs -o size=1m "tmpfs-$TAG" "$T/private/data" || fail "mount tmpfs"
	mount --make-shared "$T/private/data" || fail "make it shared"
	mkdir -p "$T/private/data/later" "$T/private/data/inside"
	chmod 777 "$T/private/data"
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind"]}]
		| .process.capabilities[] += ["CAP_SYS_ADMIN"]' --arg s "$T/private/data"
	set_args sh -c 'mount -t tmpfs none /mnt/inside && sleep 1000'
	local id pid
	id=$(cid slave)
	create_ok "$id"
	start_ok "$id"
	pid=$(init_pid "$id")
	mount -t tmpfs -o size=1m "tmpfs-$TAG" "$T/private/data/later" || fail "mount tmpfs"
	wait_for 5 _mounted_in "$pid" /mnt/inside || fail "the container could not mount inside"
	_mounted_in "$pid" /mnt/later ||
		fail "a host mount under the bind source did not reach the container: $(grep /mnt "/proc/$pid/mountinfo")"
	! _mounted_in $$ "$T/private/data/inside" || fail "a mount made inside reached the host"
	delete_ok "$id" --force
}
_mounted_in() { awk -v d="$2" '$5 == d { f = 1 } END { exit !f }' "/proc/$1/mountinfo"; }
test_runtime_opened_bind_is_rslave() { bind_follows_host_mounts 700; }
test_init_opened_bind_is_rslave() { bind_follows_host_mounts 755; }
