#include "runtime/fs/rootfs.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "runtime/fs/devices.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/fs/mounts.hpp"
#include "runtime/proc.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/fs/safe_path.hpp"

namespace myrt {

namespace {

unsigned long root_propagation(const spec::Config& config) {
    if (config.linux && config.linux->rootfsPropagation)
        return propagation_flags(*config.linux->rootfsPropagation);
    return 0;
}

// What each copy of the host's mounts in our namespace is made by prepare_rootfs, for a
// tree the runtime cloned in the host's (a peer of the host's mount until told otherwise).
unsigned long copy_propagation(const spec::Config& config) {
    unsigned long prop = root_propagation(config);
    if (!prop) return MS_SLAVE | MS_REC;
    if (prop & MS_SHARED) return 0;  // shared with the host, as the clone already is
    return prop | MS_REC;
}

bool is_dev(const spec::Mount& m) {
    std::string d = m.destination;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    return d == "/dev";
}

bool dev_is_mounted(const spec::Config& config) {
    for (const auto& m : config.mounts)
        if (is_dev(m)) return true;
    return false;
}

// A read-only /dev (not a bind) is mounted writable: /dev/pts, /dev/shm and the device
// nodes are made in it first, and only then is it made read-only (runc does the same).
// Returns the attributes to apply at the end, and makes `m` the writable variant.
MountAttrs defer_dev_readonly(spec::Mount& m) {
    MountAttrs later;
    if (!is_dev(m)) return later;
    MountOptions o = parse_mount_options(m.options);
    if (o.bind || m.type == "bind") return later;
    later.set = (o.attr.set | o.rattr.set) & MOUNT_ATTR_RDONLY;
    if (later.set) m.options.push_back("rw");
    return later;
}

bool dev_is_bind(const spec::Config& config) {
    for (const auto& m : config.mounts) {
        if (m.destination != "/dev") continue;
        if (m.type == "bind") return true;
        for (const auto& o : m.options)
            if (o == "bind" || o == "rbind") return true;
    }
    return false;
}

void setattr_path(const char* path, uint64_t set, const std::string& what) {
    mount_attr attr{};
    attr.attr_set = set;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &attr, sizeof attr) < 0)
        throw_errno(what);
}

void write_sysctls(const spec::StringMap& sysctls) {
    for (const auto& [key, value] : sysctls) {
        std::string path = "/proc/sys/";
        for (char c : key) path += c == '.' ? '/' : c;
        if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
            throw Error("linux.sysctl \"" + key + "\": invalid name");
        log::Step step("sysctl");
        step.field("key", key).field("value", value);
        try {
            write_file(path, value);
        } catch (const Error& e) {
            throw Error("linux.sysctl \"" + key + "\": " + e.what(), e.code());
        }
    }
}

// After pivot_root "/" is the container's root, so resolving in "/" keeps every lookup inside;
// magic links (/proc/self/root and friends) are still refused.
UniqueFd open_container_path(const std::string& path, int* err) {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    return try_open_in_root(root.get(), path, O_PATH | O_NOFOLLOW, err);
}

void make_readonly(const std::string& path) {
    log::Step step("readonly_path");
    step.field("path", path);
    int err = 0;
    UniqueFd fd = open_container_path(path, &err);
    if (!fd) {
        if (err == ENOENT) return;
        throw_errno("readonly path " + path, err);
    }
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, fd.get(), "",
                                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                                AT_EMPTY_PATH)));
    if (!tree) throw_errno("readonly path " + path);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                  sizeof attr) < 0)
        throw_errno("readonly path " + path);
    if (::syscall(SYS_move_mount, tree.get(), "", fd.get(), "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno("readonly path " + path);
}

// mount_label: linux.mountLabel, on the tmpfs that masks a directory too (as runc).
void mask_path(const std::string& path, const std::string& mount_label) {
    log::Step step("masked_path");
    step.field("path", path);
    int err = 0;
    UniqueFd fd = open_container_path(path, &err);
    if (!fd) {
        if (err == ENOENT) return;
        throw_errno("masked path " + path, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) throw_errno("masked path " + path);
    std::string target = fd_path(fd.get());
    if (S_ISDIR(st.st_mode)) {
        std::string data = with_mount_label("size=0,mode=755", mount_label);
        if (::mount("tmpfs", target.c_str(), "tmpfs", MS_RDONLY, data.c_str()) < 0)
            throw_errno("masked path " + path);
        return;
    }
    // The image controls /dev: a /dev/null that is a symlink or another device would unmask
    // (or expose) what it points at (CVE-2025-31133). Only the real null device masks.
    int null_err = 0;
    UniqueFd null = open_container_path("/dev/null", &null_err);
    struct stat ns {};
    if (!null || ::fstat(null.get(), &ns) < 0 || !S_ISCHR(ns.st_mode) ||
        ns.st_rdev != makedev(1, 3))
        throw Error("masked path " + path + ": /dev/null in the container is not the null device");
    int rc = ::mount(fd_path(null.get()).c_str(), target.c_str(), nullptr, MS_BIND, nullptr);
    if (rc < 0) throw_errno("masked path " + path);
}

// The mount holding the rootfs is made private (in our namespace only): binding the rootfs
// in it then propagates nowhere, and pivot_root accepts it (its parent must not be shared).
// mount(2) says EINVAL for a directory that is not a mount point: go up until one is.
void make_parent_mount_private(std::string path) {
    for (;;) {
        if (::mount(nullptr, path.c_str(), nullptr, MS_PRIVATE, nullptr) == 0) return;
        if (errno != EINVAL || path == "/") throw_errno("make the mount of \"" + path + "\" private");
        size_t slash = path.find_last_of('/');
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
}

// Our copy of the host's mounts gets its propagation, and the rootfs is bound onto itself
// (pivot_root needs the new root to be a mount point). Returns the rootfs, opened.
UniqueFd bind_rootfs(const RootfsOptions& options, unsigned long prop) {
    log::Step step("rootfs.bind");
    step.field("rootfs", options.rootfs);
    if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0)
        throw_errno("linux.rootfsPropagation: set it on /");
    make_parent_mount_private(options.rootfs);
    if (::mount(options.rootfs.c_str(), options.rootfs.c_str(), nullptr, MS_BIND | MS_REC,
                nullptr) < 0)
        throw_errno("bind rootfs \"" + options.rootfs + "\"");
    if (::mount(nullptr, options.rootfs.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        throw_errno("make rootfs private");
    UniqueFd root(::open(options.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs \"" + options.rootfs + "\"");
    return root;
}

}  // namespace

void prepare_rootfs(const spec::Config& config, const RootfsOptions& options) {
    // Our copy of the host's mounts: rslave by default; rshared keeps the host's peer groups,
    // so that mounts under a bind-mounted shared host directory reach the host (as runc and
    // crun). Nothing below may propagate there: the rootfs bind is made under a private
    // mount and every config mount inside that bind.
    unsigned long prop = root_propagation(config);
    if (!prop) prop = MS_SLAVE | MS_REC;
    UniqueFd root = bind_rootfs(options, prop);
    MountContext ctx{root.get(), options.new_cgroupns, options.in_userns, options.bundle,
                     options.source_from_runtime, copy_propagation(config),
                     config.linux ? config.linux->mountLabel.value_or("") : ""};
    MountAttrs dev_readonly;
    std::string dev_what;
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        spec::Mount m = config.mounts[i];
        if (MountAttrs later = defer_dev_readonly(m); !later.empty()) {
            dev_readonly = later;
            dev_what = "mounts[" + std::to_string(i) + "] (/dev): make read-only";
        }
        do_mount(ctx, m, i);
    }

    bool defaults = dev_is_mounted(config) && !dev_is_bind(config);
    static const std::vector<spec::Device> none;
    create_devices(root.get(), config.linux ? config.linux->devices : none, options.in_userns,
                   defaults);
    // The terminal is bound onto /dev/console later: its mount point is made while /dev is
    // still writable.
    if (!dev_readonly.empty() && config.process && config.process->terminal)
        make_mount_target(root.get(), "/dev/console", false);
    if (!dev_readonly.empty())
        set_attrs(open_in_root(root.get(), "/dev", O_PATH | O_DIRECTORY).get(), dev_readonly,
                  false, dev_what);
}

namespace {

// mountinfo writes space, tab, newline and backslash as \ooo octal escapes.
std::string unescape_mountinfo(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && s.size() - i >= 4) {
            out += static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Under chroot the host's procfs and sysfs stay in the mount namespace, and the kernel lets
// a user namespace mount a bare procfs when every procfs in the namespace is fully visible:
// the host's would be, and the container would see past its masked paths. So each full
// proc or sysfs outside the rootfs is detached first (covered by a tmpfs where that is not
// allowed), as runc does; each made a slave first, so that nothing reaches the host.
void hide_host_proc_and_sys(const std::string& rootfs) {
    std::vector<std::string> targets;
    FILE* f = ::fopen("/proc/self/mountinfo", "re");
    if (!f) throw_errno("open /proc/self/mountinfo");
    char* line = nullptr;
    size_t cap = 0;
    while (::getline(&line, &cap, f) > 0) {
        char root[4096], point[4096], type[64];
        const char* sep = ::strstr(line, " - ");
        if (!sep || ::sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
            ::sscanf(sep + 3, "%63s", type) != 1)
            continue;
        std::string mp = unescape_mountinfo(point);
        bool inside = mp == rootfs || mp.starts_with(rootfs + "/");
        if (std::string_view(root) == "/" && !inside &&
            (std::string_view(type) == "proc" || std::string_view(type) == "sysfs"))
            targets.push_back(mp);
    }
    ::free(line);
    ::fclose(f);
    for (const auto& mp : targets) {
        // Slave first: with rootfsPropagation shared, the detach would reach the host.
        if (::mount(nullptr, mp.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
            if (errno == ENOENT) continue;  // gone with a parent detached before
            throw_errno("make " + mp + " slave");
        }
        if (::umount2(mp.c_str(), MNT_DETACH) == 0 || errno == ENOENT) continue;
        if (errno != EINVAL && errno != EPERM) throw_errno("detach " + mp);
        if (::mount("tmpfs", mp.c_str(), "tmpfs", MS_RDONLY, "size=0") < 0 && errno != ENOENT)
            throw_errno("cover " + mp);
    }
}

}  // namespace

void enter_rootfs(const RootfsOptions& options) {
    log::Step step(options.no_pivot ? "move_root" : "pivot_root");
    step.field("rootfs", options.rootfs);
    if (options.no_pivot && options.new_mount_ns) hide_host_proc_and_sys(options.rootfs);
    if (::chdir(options.rootfs.c_str()) < 0) throw_errno("chdir to rootfs");
    if (options.no_pivot) {
        // A shared "/" would hand the moved rootfs to its peers (the host's "/" with rshared).
        if (::mount(nullptr, "/", nullptr, MS_PRIVATE, nullptr) < 0) throw_errno("make / private");
        if (::mount(options.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
            throw_errno("move rootfs to /");
        if (::chroot(".") < 0) throw_errno("chroot");
    } else {
        UniqueFd old_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!old_root) throw_errno("open the old root");
        if (::syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root");
        // The old root is now stacked on top of the new one. "." must name the old root's
        // mount (our cwd's mount is the new root): made rslave, its detach cannot unmount
        // anything on the host, even where rootfsPropagation kept the host's peer groups.
        if (::fchdir(old_root.get()) < 0) throw_errno("chdir to the old root");
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
            throw_errno("make old root slave");
        if (::umount2(".", MNT_DETACH) < 0) throw_errno("detach old root");
    }
    if (::chdir("/") < 0) throw_errno("chdir /");
}

void finalize_rootfs(const spec::Config& config) {
    if (config.linux) {
        write_sysctls(config.linux->sysctl);
        for (const auto& p : config.linux->readonlyPaths) make_readonly(p);
        for (const auto& p : config.linux->maskedPaths) mask_path(p, config.linux->mountLabel.value_or(""));
    }
    if (config.root && config.root->readonly) {
        log::Step step("root.readonly");
        setattr_path("/", MOUNT_ATTR_RDONLY, "make the root read-only");
    }
    if (unsigned long prop = root_propagation(config))
        if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0)
            throw_errno("set rootfsPropagation");
}

}  // namespace myrt
