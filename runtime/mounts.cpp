#include "runtime/mounts.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "runtime/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/proc.hpp"
#include "runtime/safe_path.hpp"

namespace myrt {

namespace {

struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr std::array<FlagOption, 22> kFlags{{
    {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},     {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},       {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},     {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},  {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},   {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},      {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME}, {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
}};

struct Propagation {
    const char* name;
    unsigned long flags;
};

constexpr std::array<Propagation, 8> kPropagation{{
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},            {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},              {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// Options that only steer the runtime (or that we deliberately ignore) never reach the
// filesystem as data, where the kernel would reject them.
bool runtime_only_option(std::string_view o) {
    return o == "tmpcopyup" || o == "idmap" || o == "ridmap" || o == "defaults" ||
           o == "x-mount.mkdir" || o.starts_with("x-");
}

std::string where(const spec::Mount& m, size_t index) {
    return "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
}

uint64_t mount_attrs(unsigned long flags) {
    uint64_t attr = 0;
    if (flags & MS_RDONLY) attr |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) attr |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) attr |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
    if (flags & MS_NOATIME) attr |= MOUNT_ATTR_NOATIME;
    if (flags & MS_STRICTATIME) attr |= MOUNT_ATTR_STRICTATIME;
    if (flags & MS_NODIRATIME) attr |= MOUNT_ATTR_NODIRATIME;
    return attr;
}

// A bind mount is cloned, given its attributes while still detached, and only then attached
// to the target: there is never a moment where it is visible without "ro" or "nosuid".
void bind_mount(const std::string& source, int target_fd, const MountOptions& o,
                const std::string& what) {
    unsigned int tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (o.recursive) tree_flags |= AT_RECURSIVE;
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), tree_flags)));
    if (!tree) throw_errno(what + ": bind \"" + source + "\"");
    mount_attr attr{};
    attr.attr_set = mount_attrs(o.flags);
    if (attr.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME)) {
        attr.attr_clr = MOUNT_ATTR__ATIME;
    }
    if (attr.attr_set &&
        ::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | (o.recursive ? AT_RECURSIVE : 0),
                  &attr, sizeof attr) < 0)
        throw_errno(what + ": set mount attributes");
    if (::syscall(SYS_move_mount, tree.get(), "", target_fd, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what + ": attach bind mount");
}

void set_propagation(int root_fd, const std::string& dest, unsigned long propagation,
                     const std::string& what) {
    if (!propagation) return;
    // Reopen: the descriptor taken before mounting points below the new mount.
    UniqueFd fd = open_in_root(root_fd, dest, O_PATH);
    if (::mount(nullptr, fd_path(fd.get()).c_str(), nullptr, propagation, nullptr) < 0)
        throw_errno(what + ": set propagation");
}

void mount_cgroup(const MountContext& ctx, const spec::Mount& m, const MountOptions& o,
                  int target_fd, const std::string& what);

}  // namespace

unsigned long propagation_flags(std::string_view name) {
    for (const auto& p : kPropagation)
        if (name == p.name) return p.flags;
    return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions o;
    for (const auto& opt : options) {
        if (opt == "bind" || opt == "rbind") {
            o.bind = true;
            o.recursive = o.recursive || opt == "rbind";
            continue;
        }
        if (unsigned long p = propagation_flags(opt)) {
            o.propagation = p;
            continue;
        }
        bool matched = false;
        for (const auto& f : kFlags) {
            if (opt != f.name) continue;
            matched = true;
            if (f.clear) {
                o.flags &= ~f.flag;
                o.clear |= f.flag;
            } else {
                o.flags |= f.flag;
                o.clear &= ~f.flag;
            }
        }
        if (matched || runtime_only_option(opt)) continue;
        if (!o.data.empty()) o.data += ',';
        o.data += opt;
    }
    return o;
}

void do_mount(const MountContext& ctx, const spec::Mount& m, size_t index) {
    std::string what = where(m, index);
    MountOptions o = parse_mount_options(m.options);
    std::string type = m.type.value_or(o.bind ? "bind" : "");
    if (type == "bind") o.bind = true;
    std::string source = m.source.value_or(type);

    bool directory = true;
    if (o.bind) {
        struct stat st {};
        if (::stat(source.c_str(), &st) < 0) throw_errno(what + ": source \"" + source + "\"");
        directory = S_ISDIR(st.st_mode);
    }
    // proc and sysfs must land on real directories: a symlink there is an attack
    // (CVE-2019-19921), not a layout choice.
    uint64_t strict = (type == "proc" || type == "sysfs") ? RESOLVE_NO_SYMLINKS : 0;
    UniqueFd target;
    try {
        make_mount_target(ctx.root_fd, m.destination, directory);
        target = open_in_root(ctx.root_fd, m.destination, O_PATH, strict);
    } catch (const Error& e) {
        throw Error(what + ": " + e.what(), e.code());  // say which mount of the config
    }
    if (strict) {
        struct stat st {};
        if (::fstat(target.get(), &st) < 0 || !S_ISDIR(st.st_mode))
            throw Error(what + ": " + type + " must be mounted on a directory");
    }

    if (o.bind) {
        bind_mount(source, target.get(), o, what);
    } else if (type == "cgroup" || type == "cgroup2") {
        mount_cgroup(ctx, m, o, target.get(), what);
    } else {
        unsigned long flags = o.flags & ~MS_REMOUNT;
        if (::mount(source.c_str(), fd_path(target.get()).c_str(), type.c_str(), flags,
                    o.data.empty() ? nullptr : o.data.c_str()) < 0)
            throw_errno(what + ": mount " + type);
    }
    set_propagation(ctx.root_fd, m.destination, o.propagation, what);
}

namespace {

// The container's own cgroup, seen from the host, for when it has no cgroup namespace.
std::string own_cgroup_dir(const std::string& hierarchy_line_key) {
    std::string self = read_file("/proc/self/cgroup");
    size_t pos = 0;
    while (pos < self.size()) {
        size_t end = self.find('\n', pos);
        if (end == std::string::npos) end = self.size();
        std::string_view line(self.data() + pos, end - pos);
        size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
        if (c1 != std::string_view::npos && c2 != std::string_view::npos &&
            line.substr(c1 + 1, c2 - c1 - 1) == hierarchy_line_key)
            return std::string(line.substr(c2 + 1));
        pos = end + 1;
    }
    return "/";
}

void mount_cgroup_v2(const MountContext& ctx, const MountOptions& o, int target_fd,
                     const std::string& what) {
    unsigned long flags = o.flags & ~MS_REMOUNT;
    if (ctx.new_cgroupns) {
        if (::mount("cgroup2", fd_path(target_fd).c_str(), "cgroup2", flags, nullptr) < 0)
            throw_errno(what + ": mount cgroup2");
        return;
    }
    MountOptions bind = o;
    bind.recursive = true;
    bind_mount("/sys/fs/cgroup" + own_cgroup_dir(""), target_fd, bind, what);
}

// v1: a tmpfs holding one mount per hierarchy, named like the host's, plus the usual links
// (cpu -> cpu,cpuacct) so tools find every controller where they expect it.
void mount_cgroup_v1(const MountContext& ctx, const spec::Mount& m, const MountOptions& o,
                     int target_fd, const std::string& what) {
    unsigned long flags = (o.flags & ~(MS_REMOUNT | MS_RDONLY));
    if (::mount("tmpfs", fd_path(target_fd).c_str(), "tmpfs", flags, "mode=755") < 0)
        throw_errno(what + ": mount tmpfs for cgroup");
    UniqueFd dir = open_in_root(ctx.root_fd, m.destination, O_PATH | O_DIRECTORY);
    auto cg = cgroup_for(std::string("/"), "");
    for (const auto& [controllers, host_dir] : cg->paths()) {
        if (::mkdirat(dir.get(), controllers.c_str(), 0755) < 0 && errno != EEXIST)
            throw_errno(what + ": mkdir " + controllers);
        UniqueFd sub(::openat(dir.get(), controllers.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) throw_errno(what + ": open " + controllers);
        if (ctx.new_cgroupns) {
            if (::mount("cgroup", fd_path(sub.get()).c_str(), "cgroup", o.flags & ~MS_REMOUNT,
                        controllers.c_str()) < 0)
                throw_errno(what + ": mount cgroup " + controllers);
        } else {
            MountOptions bind = o;
            bind.recursive = false;
            // host_dir is the hierarchy's root (cgroupsPath "/"), e.g. "/sys/fs/cgroup/x".
            bind_mount(host_dir + own_cgroup_dir(controllers), sub.get(), bind, what);
        }
        if (controllers.find(',') == std::string::npos) continue;
        size_t pos = 0;
        while (pos <= controllers.size()) {
            size_t end = controllers.find(',', pos);
            if (end == std::string::npos) end = controllers.size();
            std::string single = controllers.substr(pos, end - pos);
            ::symlinkat(controllers.c_str(), dir.get(), single.c_str());
            pos = end + 1;
        }
    }
    if (o.flags & MS_RDONLY) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, dir.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
            throw_errno(what + ": make cgroup tmpfs read-only");
    }
}

void mount_cgroup(const MountContext& ctx, const spec::Mount& m, const MountOptions& o,
                  int target_fd, const std::string& what) {
    if (host_cgroup_version() == CgroupVersion::v2)
        mount_cgroup_v2(ctx, o, target_fd, what);
    else
        mount_cgroup_v1(ctx, m, o, target_fd, what);
}

}  // namespace

}  // namespace myrt
