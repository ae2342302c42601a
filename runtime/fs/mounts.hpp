// The mounts of config.json: options parsed into flags, and each mount made onto a target
// resolved inside the rootfs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

// What mount_setattr(2) is to change on a mount: MOUNT_ATTR_* bits to set and to clear, and
// the access-time mode (one value of MOUNT_ATTR__ATIME) when an option chose one.
struct MountAttrs {
    uint64_t set = 0;
    uint64_t clr = 0;
    std::optional<uint64_t> atime;
    bool empty() const { return !set && !clr && !atime; }
};

struct MountOptions {
    unsigned long flags = 0;        // MS_* given at mount time (MS_RDONLY, MS_NOSUID, ...)
    unsigned long clear = 0;        // flags explicitly turned off (rw, suid, dev, exec)
    unsigned long propagation = 0;  // MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE [|MS_REC]
    bool bind = false;
    bool recursive = false;         // rbind
    bool copy_up = false;           // tmpcopyup
    MountAttrs attr;                // ro, nosuid, noatime...: the mount itself
    MountAttrs rattr;               // rro, rnosuid, rnoatime...: it and every submount
    std::string data;               // filesystem-specific options, comma separated
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// Propagation keyword ("rslave", "private", ...) to MS_ flags; 0 when unknown.
unsigned long propagation_flags(std::string_view name);

struct MountContext {
    int root_fd = -1;          // O_PATH descriptor of the rootfs
    bool new_cgroupns = false; // mount cgroupfs (else bind the container's own cgroup)
    bool in_userns = false;    // mknod is refused: bind-mount host devices instead
    std::string bundle;        // absolute bundle directory: relative bind sources start there
};

// Applies a with mount_setattr(2) to the mount at fd (and, recursive, every mount below it).
void set_attrs(int fd, const MountAttrs& a, bool recursive, const std::string& what);

// Makes one mount of config.json. `index` names it in errors ("mounts[3]").
void do_mount(const MountContext& ctx, const spec::Mount& mount, size_t index);

}  // namespace myrt
