# shellcheck shell=bash
# CRIU in test/vm/run's VM: Debian's 6.1 kernel lacks nothing CRIU needs, but the VM has no
# module tree of its own, and CRIU needs netfilter (its network lock, conntrack), the
# socket diag modules and veth/tun loaded. The kernel package's modules (net, lib, crypto,
# drivers/net: ~120 MB) are unpacked once on the host into test/vm/run's cache,
# ${MYRT_VM_CACHE:-/var/cache/myrt-vm}/<kernel version>/criu-modules/<version>, with a
# modules.dep from busybox depmod (the host has no kmod); in the VM they are bound over
# /lib/modules/<version> and loaded with busybox modprobe (~2 s).

CRIU_VM_CACHE=${MYRT_VM_CACHE:-/var/cache/myrt-vm}
CRIU_VM_MODULES=(crc32c_generic libcrc32c veth tun nfnetlink nf_tables nft_ct nft_compat nf_conntrack
	nf_conntrack_netlink nf_nat xt_conntrack xt_mark ip_tables iptable_filter ip6_tables ip6table_filter
	netlink_diag unix_diag inet_diag tcp_diag udp_diag raw_diag af_packet_diag)

# criu_vm_kernel_version: the version test/vm/run boots (its cache says, else apt)
criu_vm_kernel_version() {
	local pkg
	pkg=$(cat "$CRIU_VM_CACHE/kernel-package" 2>/dev/null)
	[[ -n $pkg ]] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[[ -n $pkg ]] || return 1
	echo "${pkg#linux-image-}"
}

# criu_vm_prepare_modules (host): makes the module tree if missing; prints why on failure
criu_vm_prepare_modules() {
	local kver dir tmp bb
	kver=$(criu_vm_kernel_version) || { echo "no kernel package known for the VM"; return 1; }
	dir=$CRIU_VM_CACHE/$kver/criu-modules
	[[ -f $dir/ready ]] && return 0
	mkdir -p "$CRIU_VM_CACHE/$kver" || return 1
	(
		flock 9
		[[ -f $dir/ready ]] && exit 0
		tmp=$(mktemp -d "$CRIU_VM_CACHE/$kver/.criu-modules.XXXXXX") || exit 1
		trap 'rm -rf "$tmp"' EXIT
		cd "$tmp" || exit 1
		apt-get download -q "linux-image-$kver" >download.log 2>&1 ||
			{ echo "apt-get download linux-image-$kver failed: $(tail -n 1 download.log)"; exit 1; }
		dpkg-deb -x linux-image-*.deb pkg || { echo "dpkg-deb -x failed"; exit 1; }
		local m=pkg/lib/modules/$kver
		mkdir -p "out/$kver/kernel/drivers"
		cp "$m"/modules.order "$m"/modules.builtin "out/$kver/"
		mv "$m/kernel/net" "$m/kernel/lib" "$m/kernel/crypto" "out/$kver/kernel/"
		mv "$m/kernel/drivers/net" "out/$kver/kernel/drivers/"
		bb=$CRIU_VM_CACHE/$kver/busybox
		# busybox depmod takes -b as the directory holding lib/modules/VERSION.
		mkdir -p root/lib/modules && mv "out/$kver" root/lib/modules/
		if [[ -x $bb ]]; then
			"$bb" depmod -b root "$kver" || { echo "busybox depmod failed"; exit 1; }
		else
			echo "no busybox in $CRIU_VM_CACHE/$kver (test/vm/run has not built its cache)"
			exit 1
		fi
		rm -rf "$dir"
		mkdir -p "$dir" && mv "root/lib/modules/$kver" "$dir/" && touch "$dir/ready"
	) 9>>"$CRIU_VM_CACHE/.criu-modules.lock"
}

# criu_vm_load_modules (VM): binds the tree and loads the modules; prints what failed
criu_vm_load_modules() {
	local kver bb m failed=()
	kver=$(uname -r)
	bb=$CRIU_VM_CACHE/$kver/busybox
	[[ -f $CRIU_VM_CACHE/$kver/criu-modules/ready ]] || { echo "no module tree for $kver"; return 1; }
	mkdir -p "/lib/modules/$kver"
	mountpoint -q "/lib/modules/$kver" ||
		mount --bind "$CRIU_VM_CACHE/$kver/criu-modules/$kver" "/lib/modules/$kver" || return 1
	for m in "${CRIU_VM_MODULES[@]}"; do
		"$bb" modprobe "$m" 2>/dev/null || failed+=("$m")
	done
	((${#failed[@]} == 0)) || echo "modules not loaded: ${failed[*]}"
	return 0
}
