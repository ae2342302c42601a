// The container's root filesystem: made a mount point, populated with the config's mounts
// and devices, pivoted into, then masked and made read-only where asked.
#pragma once

#include <functional>
#include <string>

#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt {

struct RootfsOptions {
    std::string rootfs;        // absolute host path
    bool no_pivot = false;
    bool new_cgroupns = false;
    bool in_userns = false;
    std::string bundle;        // absolute bundle directory
    bool new_mount_ns = true;  // false: a joined one (possibly the host's): never detach in it
    // Asks the runtime for mounts[i] (runtime/fs/mount_source.hpp); unset when it cannot.
    std::function<UniqueFd(size_t index)> source_from_runtime;
};

// In the new mount namespace, before pivot_root: propagation, rootfs bind, mounts, devices.
// Returns with the rootfs ready to be pivoted into.
void prepare_rootfs(const spec::Config& config, const RootfsOptions& options);

// pivot_root into the rootfs (or move + chroot with --no-pivot) and drop the old root.
void enter_rootfs(const RootfsOptions& options);

// After pivot_root: sysctls, readonly and masked paths, read-only root, root propagation.
void finalize_rootfs(const spec::Config& config);

}  // namespace myrt
