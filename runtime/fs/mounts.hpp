// The mounts of config.json: options parsed into flags, and each mount made onto a target
// resolved inside the rootfs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
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
    // mounts[i] opened by the runtime (runtime/fs/mount_source.hpp): for idmapped mounts, and
    // for bind sources the container's root cannot reach. Unset: none can be asked for.
    std::function<UniqueFd(size_t index)> source_from_runtime;
    // What a tree from the runtime (a clone in the host's namespace) is made, as every copy of
    // the host's mounts in ours: rslave unless rootfsPropagation says otherwise.
    unsigned long base_propagation = 0;
    // linux.mountLabel: the context= of every new mount but proc, sysfs and cgroup (runc's
    // choice); bind mounts keep their files' labels. Empty: none.
    std::string mount_label;
};

// "mounts[3] (/data)": how errors name a mount of the config.
std::string mount_what(const spec::Mount& m, size_t index);

// config.md: a bind source is absolute or relative to the bundle directory.
std::string bind_source(const std::string& bundle, const std::string& source);

// Applies a with mount_setattr(2) to the mount at fd (and, recursive, every mount below it).
void set_attrs(int fd, const MountAttrs& a, bool recursive, const std::string& what);

// Makes one mount of config.json. `index` names it in errors ("mounts[3]").
void do_mount(const MountContext& ctx, const spec::Mount& mount, size_t index);

}  // namespace myrt
