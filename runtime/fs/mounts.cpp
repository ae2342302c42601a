#include "runtime/fs/mounts.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/fs/mount_source.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/fs/tmpcopyup.hpp"
#include "runtime/security/lsm.hpp"

namespace myrt {

namespace {

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

// Options that change one mount (its vfsmount flags): mount(2) flag and mount_setattr(2) bit.
struct AttrOption {
    const char* name;
    bool clear;
    unsigned long flag;
    uint64_t attr;
};

constexpr std::array<AttrOption, 12> kAttrOptions{{
    {"ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY},
    {"nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID},
    {"nodev", false, MS_NODEV, MOUNT_ATTR_NODEV},
    {"dev", true, MS_NODEV, MOUNT_ATTR_NODEV},
    {"noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {"nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
}};

// Options that change the filesystem (the superblock), shared by every bind mount of it;
// "remount" changes an existing mount instead of making one.
struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr std::array<FlagOption, 12> kFlags{{
    {"sync", false, MS_SYNCHRONOUS},  {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},   {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},
    {"iversion", false, MS_I_VERSION}, {"noiversion", true, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME}, {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},     {"loud", true, MS_SILENT},
}};

// The superblock flags a bind mount cannot apply (it shares its source's filesystem).
constexpr unsigned long kSuperblockFlags =
    MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_I_VERSION | MS_LAZYTIME;

constexpr unsigned long kAtimeFlags = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

// The access-time options. Their mount_setattr(2) form is one mode, so the clearing ones
// fall back to the kernel's default (relatime) or, for norelatime, to strictatime.
bool apply_atime(MountOptions& o, MountAttrs& a, std::string_view name, bool recursive) {
    auto choose = [&](unsigned long flag, uint64_t mode) {
        a.atime = mode;
        if (recursive) return;
        o.flags = (o.flags & ~kAtimeFlags) | flag;
        o.clear &= ~flag;
    };
    auto drop = [&](unsigned long flag, uint64_t mode, uint64_t fallback) {
        if (!a.atime || *a.atime == mode) a.atime = fallback;
        if (recursive) return;
        o.flags &= ~flag;
        o.clear |= flag;
    };
    if (name == "noatime") choose(MS_NOATIME, MOUNT_ATTR_NOATIME);
    else if (name == "relatime") choose(MS_RELATIME, MOUNT_ATTR_RELATIME);
    else if (name == "strictatime") choose(MS_STRICTATIME, MOUNT_ATTR_STRICTATIME);
    else if (name == "atime") drop(MS_NOATIME, MOUNT_ATTR_NOATIME, MOUNT_ATTR_RELATIME);
    else if (name == "norelatime") drop(MS_RELATIME, MOUNT_ATTR_RELATIME, MOUNT_ATTR_STRICTATIME);
    else if (name == "nostrictatime") drop(MS_STRICTATIME, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_RELATIME);
    else return false;
    return true;
}

// ro, nosuid, ... (recursive=false) or, without their leading "r", rro, rnosuid, ...
bool apply_attr(MountOptions& o, std::string_view name, bool recursive) {
    MountAttrs& a = recursive ? o.rattr : o.attr;
    for (const auto& f : kAttrOptions) {
        if (name != f.name) continue;
        (f.clear ? a.clr : a.set) |= f.attr;
        (f.clear ? a.set : a.clr) &= ~f.attr;
        if (!recursive) {
            (f.clear ? o.clear : o.flags) |= f.flag;
            (f.clear ? o.flags : o.clear) &= ~f.flag;
        }
        return true;
    }
    return apply_atime(o, a, name, recursive);
}

bool apply_flag(MountOptions& o, std::string_view name) {
    for (const auto& f : kFlags) {
        if (name != f.name) continue;
        (f.clear ? o.clear : o.flags) |= f.flag;
        (f.clear ? o.flags : o.clear) &= ~f.flag;
        return true;
    }
    return false;
}

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

}  // namespace

std::string mount_what(const spec::Mount& m, size_t index) {
    return "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
}

std::string bind_source(const std::string& bundle, const std::string& source) {
    if (source.empty() || source[0] == '/' || bundle.empty()) return source;
    return bundle + "/" + source;
}

void set_attrs(int fd, const MountAttrs& a, bool recursive, const std::string& what) {
    if (a.empty()) return;
    mount_attr attr{};
    attr.attr_set = a.set;
    attr.attr_clr = a.clr;
    if (a.atime) {  // mount_setattr(2): a new atime mode needs MOUNT_ATTR__ATIME cleared
        attr.attr_set |= *a.atime;
        attr.attr_clr |= MOUNT_ATTR__ATIME;
    }
    unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof attr) < 0)
        throw_errno(what + (recursive ? ": set recursive mount attributes"
                                      : ": set mount attributes"));
}

namespace {

// The plain options apply to the top mount only (for a bind: as mount(8) and runc); the
// r-prefixed ones to the whole tree.
void set_mount_attrs(int fd, const MountOptions& o, const std::string& what) {
    set_attrs(fd, o.attr, false, what);
    set_attrs(fd, o.rattr, true, what);
}

// A bind mount is cloned, given its attributes while still detached, and only then attached
// to the target: there is never a moment where it is visible without "ro" or "nosuid".
void bind_mount(const std::string& source, int target_fd, const MountOptions& o,
                const std::string& what) {
    unsigned int tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (o.recursive) tree_flags |= AT_RECURSIVE;
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), tree_flags)));
    if (!tree) throw_errno(what + ": bind \"" + source + "\"");
    set_mount_attrs(tree.get(), o, what);
    if (::syscall(SYS_move_mount, tree.get(), "", target_fd, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what + ": attach bind mount");
}

// A tree the runtime cloned in its own namespace is a peer of the host's mount: made what
// every copy of the host's mounts in ours is (rslave by default), before it is attached.
void attach_runtime_tree(int tree, int target_fd, const std::string& what) {
    if (::syscall(SYS_move_mount, tree, "", target_fd, "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what + ": attach the bind mount the runtime opened");
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
        if (opt == "tmpcopyup") {
            o.copy_up = true;
            continue;
        }
        if (unsigned long p = propagation_flags(opt)) {
            o.propagation = p;
            continue;
        }
        if (apply_attr(o, opt, false) || apply_flag(o, opt)) continue;
        if (opt.size() > 1 && opt[0] == 'r' && apply_attr(o, std::string_view(opt).substr(1), true))
            continue;
        if (runtime_only_option(opt)) continue;
        if (!o.data.empty()) o.data += ',';
        o.data += opt;
    }
    return o;
}

namespace {

// A bind mount shares its source's filesystem: sync, dirsync, mand, iversion, lazytime
// would change it for every other user of it, and mount(2) ignores them with MS_BIND.
void refuse_superblock_options(const spec::Mount& m, const MountOptions& o,
                               const std::string& what) {
    if (!(o.flags & kSuperblockFlags)) return;
    for (const auto& opt : m.options)
        for (const auto& f : kFlags)
            if (opt == f.name && !f.clear && (f.flag & kSuperblockFlags & o.flags))
                throw Error(what + ": option \"" + opt +
                                "\" changes the source's filesystem and cannot apply to a bind mount",
                            EINVAL);
}

// "remount": the mount already at the destination gets the options, nothing new is mounted.
void remount(const MountOptions& o, const std::string& type, const std::string& source,
             int target_fd, const std::string& what) {
    if (o.bind) {
        set_mount_attrs(target_fd, o, what);
        return;
    }
    if (::mount(source.c_str(), fd_path(target_fd).c_str(), type.c_str(), o.flags | MS_REMOUNT,
                o.data.empty() ? nullptr : o.data.c_str()) < 0)
        throw_errno(what + ": remount " + type);
    set_attrs(target_fd, o.rattr, true, what);
}

void mount_new(const MountOptions& o, const std::string& type, const std::string& source,
               int target_fd, unsigned long flags, const std::string& what) {
    if (::mount(source.c_str(), fd_path(target_fd).c_str(), type.c_str(), flags,
                o.data.empty() ? nullptr : o.data.c_str()) < 0)
        throw_errno(what + ": mount " + type);
}

// linux.mountLabel as the label of a new mount's root directory.
void label_mount_root(int fd, const std::string& label, const std::string& what) {
    if (::setxattr(fd_path(fd).c_str(), "security.selinux", label.c_str(), label.size() + 1, 0) < 0)
        throw_errno(what + ": label it \"" + label + "\" (linux.mountLabel)");
}

// tmpcopyup: the tmpfs is mounted writable over the directory and filled from what it now
// hides (target_fd still names that directory); "ro" is applied afterwards by the caller.
void mount_copied_up(const MountContext& ctx, const spec::Mount& m, const MountOptions& o,
                     const std::string& source, int target_fd, const std::string& what) {
    UniqueFd below(::openat(target_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!below) throw_errno(what + ": tmpcopyup: open the directory");
    mount_new(o, "tmpfs", source, target_fd, o.flags & ~MS_RDONLY, what);
    UniqueFd top = open_in_root(ctx.root_fd, m.destination, O_RDONLY | O_DIRECTORY);
    copy_up(below.get(), top.get(), what + ": tmpcopyup");
}

// An idmapped mount, or a source that the container's root cannot reach (EACCES from inside
// its user namespace): the runtime opens it. Otherwise we bind it ourselves (no tree).
UniqueFd runtime_tree(const MountContext& ctx, const spec::Mount& m, size_t index,
                      bool remounting, const std::string& source, bool& directory,
                      const std::string& what) {
    if (remounting) return UniqueFd();
    UniqueFd tree;
    struct stat st {};
    if (is_idmapped(m) || ::stat(source.c_str(), &st) < 0) {
        if (!is_idmapped(m) && (errno != EACCES || !ctx.source_from_runtime))
            throw_errno(what + ": source \"" + source + "\"");
        if (!ctx.source_from_runtime) throw Error(what + ": idmap: not possible here", ENOTSUP);
        tree = ctx.source_from_runtime(index);
        if (::fstat(tree.get(), &st) < 0) throw_errno(what + ": the runtime's bind mount");
    }
    directory = S_ISDIR(st.st_mode);
    return tree;
}

// A symlink anywhere on a proc or sysfs destination is refused before anything is made
// there, in runc's words (which callers and runc's suite match).
void refuse_symlink_target(const MountContext& ctx, const spec::Mount& m, const std::string& type,
                           const std::string& what) {
    int err = 0;
    UniqueFd fd = try_open_in_root(ctx.root_fd, m.destination, O_PATH | O_NOFOLLOW, &err,
                                   RESOLVE_NO_SYMLINKS);
    // openat2(2): with O_PATH|O_NOFOLLOW a trailing symlink comes back opened, not refused.
    struct stat st {};
    bool link = fd ? ::fstat(fd.get(), &st) == 0 && S_ISLNK(st.st_mode) : err == ELOOP;
    if (link) throw Error(what + ": " + type + " must be mounted on ordinary directory", ENOTDIR);
}

UniqueFd open_target(const MountContext& ctx, const spec::Mount& m, bool create, bool directory,
                     uint64_t strict, const std::string& what) {
    try {
        if (create) {
            // The target as just made or found, opened in the root: good as it is unless
            // the type needs symlinks refused all the way (proc, sysfs).
            UniqueFd made = make_mount_target(ctx.root_fd, m.destination, directory);
            if (!strict) return made;
        }
        return open_in_root(ctx.root_fd, m.destination, O_PATH, strict);
    } catch (const Error& e) {
        throw Error(what + ": " + e.what(), e.code());  // say which mount of the config
    }
}

}  // namespace

void do_mount(const MountContext& ctx, const spec::Mount& m, size_t index) {
    std::string what = mount_what(m, index);
    MountOptions o = parse_mount_options(m.options);
    std::string type = m.type.value_or(o.bind ? "bind" : "");
    if (type == "bind") o.bind = true;
    std::string source = m.source.value_or(type);
    log::Step step("mount");
    if (step) {
        std::string options;
        for (const auto& opt : m.options) options += (options.empty() ? "" : ",") + opt;
        step.field("index", static_cast<long long>(index)).field("source", source)
            .field("destination", m.destination).field("type", type).field("options", options);
    }
    bool remounting = o.flags & MS_REMOUNT;
    if (o.copy_up && (type != "tmpfs" || remounting || o.bind))
        throw Error(what + ": tmpcopyup needs a new tmpfs mount (type \"tmpfs\")", EINVAL);

    bool directory = true;
    UniqueFd tree;  // the bind mount, when the runtime opened it for us
    if (o.bind) {
        refuse_superblock_options(m, o, what);
        source = bind_source(ctx.bundle, source);
        tree = runtime_tree(ctx, m, index, remounting, source, directory, what);
    }
    // proc and sysfs must land on real directories: a symlink there is an attack
    // (CVE-2019-19921), not a layout choice.
    uint64_t strict = (type == "proc" || type == "sysfs") ? RESOLVE_NO_SYMLINKS : 0;
    if (strict) refuse_symlink_target(ctx, m, type, what);
    UniqueFd target = open_target(ctx, m, !remounting, directory, strict, what);
    if (strict) {
        struct stat st {};
        if (::fstat(target.get(), &st) < 0 || !S_ISDIR(st.st_mode))
            throw Error(what + ": " + type + " must be mounted on ordinary directory", ENOTDIR);
    }

    if (remounting) {
        remount(o, type, source, target.get(), what);
    } else if (tree) {
        attach_runtime_tree(tree.get(), target.get(), what);
        set_propagation(ctx.root_fd, m.destination, ctx.base_propagation, what);
    } else if (o.bind) {
        bind_mount(source, target.get(), o, what);
    } else if (type == "cgroup" || type == "cgroup2") {
        mount_cgroup(ctx, m, o, target.get(), what);
    } else {
        // mqueue refuses context= (EINVAL): its root is labelled once mounted (runc's way).
        bool label_root = type == "mqueue" && !ctx.mount_label.empty();
        if (type != "proc" && type != "sysfs" && !label_root)
            o.data = with_mount_label(o.data, ctx.mount_label);
        if (o.copy_up)
            mount_copied_up(ctx, m, o, source, target.get(), what);
        else
            mount_new(o, type, source, target.get(), o.flags, what);
        // Reopen: the descriptor taken before mounting points below the new mount. The
        // attributes again: mount(2) has no flag for some (norelatime is strictatime).
        UniqueFd mounted = open_in_root(ctx.root_fd, m.destination, O_PATH);
        if (label_root) label_mount_root(mounted.get(), ctx.mount_label, what);
        set_mount_attrs(mounted.get(), o, what);
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
        // Named like the host's: "systemd" for name=systemd, "unified" for the v2 one.
        std::string name = controllers.empty() ? "unified"
                           : controllers.starts_with("name=") ? controllers.substr(5)
                                                               : controllers;
        if (::mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
            throw_errno(what + ": mkdir " + name);
        UniqueFd sub(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) throw_errno(what + ": open " + name);
        if (ctx.new_cgroupns) {
            const char* type = controllers.empty() ? "cgroup2" : "cgroup";
            std::string data = controllers.starts_with("name=") ? "none," + controllers : controllers;
            if (::mount(type, fd_path(sub.get()).c_str(), type, o.flags & ~MS_REMOUNT,
                        controllers.empty() ? nullptr : data.c_str()) < 0)
                throw_errno(what + ": mount cgroup " + name);
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
