#!/usr/bin/env bash
# bench/podman.sh — `podman run --rm IMAGE true` with each runtime (scripts/bench --mode podman;
# see bench/README.md). No target: it shows the runtime's share of what a podman user waits for.
#
#   unshare -m --propagation private bench/podman.sh WORKDIR N ROOTFS NAME=PATH...
#
# Run by scripts/bench in a private mount namespace, where it (like the driver) swaps the v2
# mount of a hybrid host for an empty tmpfs (crun 1.8 refuses such hosts) and puts a tmpfs on
# /run: podman gives its runtime no --root, so the runtimes' default state dirs (/run/myrt,
# /run/crun, /run/runc) are private to this run and vanish with it. Podman's own storage, config
# and runroot are under WORKDIR (removed by scripts/bench); containers go to the cgroup
# /myrt-bench-podman (conmon to .../conmon), removed at the end, also on Ctrl-C.
set -euo pipefail

work=$1 n=$2 rootfs=$3
shift 3
image=localhost/myrt-bench:latest
cg_parent=myrt-bench-podman

if [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs &&
    $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]]; then
    umount -l /sys/fs/cgroup/unified
    mount -t tmpfs -o mode=755 none /sys/fs/cgroup/unified
fi
mount -t tmpfs -o mode=755 none /run
# Hierarchies that are not mounted here (hugetlb, net_cls... on this VM) are plain directories
# of the /sys/fs/cgroup tmpfs, and conmon mkdirs its "cgroups" in them all the same: cover them,
# so that nothing lands in the host's.
for d in /sys/fs/cgroup/*/; do
    [[ -L ${d%/} ]] || mountpoint -q "$d" || mount -t tmpfs -o mode=755 none "$d"
done

pm=$work/podman
mkdir -p "$pm"/{root,runroot,tmp,static,volumes,netconf}
{
    printf '[containers]\n# the hard nofile limit here is 20000: podman'"'"'s default ulimits exceed it\n'
    printf 'default_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n'
    printf 'static_dir = "%s"\ntmp_dir = "%s"\nvolume_path = "%s"\n\n' "$pm/static" "$pm/tmp" "$pm/volumes"
    printf '[network]\nnetwork_config_dir = "%s"\n' "$pm/netconf"
} >"$pm/containers.conf"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$pm/root" "$pm/runroot" >"$pm/storage.conf"
: >"$pm/registries.conf"
export CONTAINERS_CONF=$pm/containers.conf CONTAINERS_STORAGE_CONF=$pm/storage.conf
export CONTAINERS_REGISTRIES_CONF=$pm/registries.conf

pm() { timeout -k 5 120 podman --root "$pm/root" --runroot "$pm/runroot" --storage-driver vfs "$@"; }

cg_mounts() { # the mounted cgroup hierarchies (v1 and v2) that hold our parent
    local m
    for m in /sys/fs/cgroup/*/; do
        case $(stat -f -c %T "$m") in cgroupfs | cgroup2fs) [[ -d $m$cg_parent ]] && echo "$m" ;; esac
    done
}
cleanup() {
    trap - EXIT INT TERM HUP
    set +e
    pm rm -a -f -t 0 >/dev/null 2>&1
    local m d pid try
    for try in 1 2 3 4 5; do
        for m in $(cg_mounts); do
            while read -r d; do
                [[ -f $d/cgroup.procs ]] || continue
                while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$d/cgroup.procs"
            done < <(find "$m$cg_parent" -depth -type d 2>/dev/null)
            sleep 0.1
            find "$m$cg_parent" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        [[ -z $(cg_mounts) ]] && return 0
        sleep 0.5
    done
    echo "podman: warning: could not remove every /$cg_parent cgroup" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tar --numeric-owner -C "$rootfs" -cf "$pm/rootfs.tar" .
pm import "$pm/rootfs.tar" "$image" >/dev/null 2>"$pm/import.err" || {
    echo "podman: skipped: podman import failed: $(tail -1 "$pm/import.err")"
    exit 0
}
rm -f "$pm/rootfs.tar"

names=() paths=()
for a in "$@"; do
    names+=("${a%%=*}") paths+=("${a#*=}")
done
k=${#names[@]}
one() { # RUNTIME-INDEX: one `podman run --rm`, its wall ms appended to $pm/wall.NAME
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    pm --runtime "${paths[$1]}" run --rm --network none --cgroup-parent "/$cg_parent" "$image" true \
        </dev/null >/dev/null 2>>"$pm/err.${names[$1]}" || rc=$?
    t1=$EPOCHREALTIME
    if [[ $rc == 0 ]]; then
        echo "$t0 $t1" | awk '{ printf "%.2f\n", ($2 - $1) * 1000 }' >>"$pm/wall.${names[$1]}"
    else
        echo "rc $rc" >>"$pm/fail.${names[$1]}"
    fi
}
for ((j = 0; j < k; j++)); do # warm-up: one untimed run each (podman's first run sets things up)
    one "$j"
    rm -f "$pm/wall.${names[$j]}"
done
for ((i = 0; i < n; i++)); do
    for ((j = 0; j < k; j++)); do one $(((i + j) % k)); done
done

stats() { # FILE: median p90 count
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 0 0"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        p = int(0.9 * NR + 0.999); if (p < 1) p = 1
        printf "%.2f %.2f %d\n", m, v[p], NR }'
}
base=0
for ((j = 0; j < k; j++)); do
    [[ ${names[$j]} == crun && -s $pm/wall.crun ]] && base=$(stats "$pm/wall.crun" | cut -d' ' -f1)
done
printf '%-8s  median_ms  p90_ms  vs crun  ok\n' runtime
for ((j = 0; j < k; j++)); do
    f=$pm/wall.${names[$j]}
    [[ -f $f ]] || : >"$f"
    read -r med p90 cnt < <(stats "$f")
    ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-8s  %9s  %6s  %7s  %d/%d\n' "${names[$j]}" "$med" "$p90" "$ratio" "$cnt" "$n"
    if [[ -s $pm/err.${names[$j]} && -f $pm/fail.${names[$j]} ]]; then
        echo "  ! ${names[$j]}: $(wc -l <"$pm/fail.${names[$j]}") failed (warm-up included); last error: $(tail -1 "$pm/err.${names[$j]}" | tr -d '\0')"
    fi
done
