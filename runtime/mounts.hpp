// The mounts of config.json: options parsed into flags, and each mount made onto a target
// resolved inside the rootfs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

struct MountOptions {
    unsigned long flags = 0;        // MS_* given at mount time (MS_RDONLY, MS_NOSUID, ...)
    unsigned long clear = 0;        // flags explicitly turned off (rw, suid, dev, exec)
    unsigned long propagation = 0;  // MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE [|MS_REC]
    bool bind = false;
    bool recursive = false;         // rbind
    std::string data;               // filesystem-specific options, comma separated
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// Propagation keyword ("rslave", "private", ...) to MS_ flags; 0 when unknown.
unsigned long propagation_flags(std::string_view name);

struct MountContext {
    int root_fd = -1;          // O_PATH descriptor of the rootfs
    bool new_cgroupns = false; // mount cgroupfs (else bind the container's own cgroup)
    bool in_userns = false;    // mknod is refused: bind-mount host devices instead
};

// Makes one mount of config.json. `index` names it in errors ("mounts[3]").
void do_mount(const MountContext& ctx, const spec::Mount& mount, size_t index);

}  // namespace myrt
