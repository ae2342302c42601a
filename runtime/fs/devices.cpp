#include "runtime/fs/devices.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/fs/safe_path.hpp"

namespace myrt {

namespace {

constexpr std::array<std::pair<const char*, const char*>, 5> kLinks{{
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
}};

std::vector<spec::Device> default_devices() {
    auto dev = [](const char* path, int64_t major, int64_t minor) {
        spec::Device d;
        d.type = "c";
        d.path = path;
        d.major = major;
        d.minor = minor;
        d.fileMode = 0666;
        d.uid = 0;
        d.gid = 0;
        return d;
    };
    return {dev("/dev/null", 1, 3),    dev("/dev/zero", 1, 5),  dev("/dev/full", 1, 7),
            dev("/dev/random", 1, 8),  dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)};
}

mode_t type_bits(const std::string& type) {
    if (type == "b") return S_IFBLK;
    if (type == "p") return S_IFIFO;
    return S_IFCHR;  // "c" and "u"
}

void bind_host_device(int root_fd, const spec::Device& d) {
    UniqueFd target = make_mount_target(root_fd, d.path, false);
    if (::mount(d.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
        throw_errno("bind device " + d.path);
}

dev_t device_number(const spec::Device& d) {
    return makedev(static_cast<unsigned>(d.major.value_or(0)),
                   static_cast<unsigned>(d.minor.value_or(0)));
}

// What the image already has at the device's path. The image's own files are never
// removed or replaced: the same device is kept as it is (true: nothing to do, unless it is
// on a tmpfs of ours); anything else is an error (config-linux.md: a file that does not
// match the requested device MUST be an error). Nothing there: false.
bool existing_matches(int dir, const std::string& name, const spec::Device& d, bool* on_tmpfs) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return false;
        throw_errno("stat " + d.path);
    }
    bool same = (st.st_mode & S_IFMT) == type_bits(d.type) &&
                (d.type == "p" || st.st_rdev == device_number(d));
    if (!same)
        throw Error("a file that is not this device already exists at " + d.path, EEXIST);
    struct statfs fs {};
    *on_tmpfs = ::fstatfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
    // The image's own node is kept as it is: a mode or owner asked for that it lacks
    // cannot be given without changing the image, so it is an error, not a silent skip.
    bool mode_ok = !d.fileMode || (st.st_mode & 07777) == (*d.fileMode & 07777);
    bool owner_ok = (!d.uid || st.st_uid == *d.uid) && (!d.gid || st.st_gid == *d.gid);
    if (!*on_tmpfs && (!mode_ok || !owner_ok))
        throw Error("the image's device node at " + d.path + " has another mode or owner than "
                    "asked for (the image is not changed)", EEXIST);
    return true;
}

void make_node(int root_fd, const spec::Device& d, bool in_userns) {
    log::Step step("device");
    step.field("path", d.path).field("type", d.type);
    if (d.type != "p") step.field("major", static_cast<long long>(d.major.value_or(0))).field("minor", static_cast<long long>(d.minor.value_or(0)));
    auto [parent, name] = split_parent(d.path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent, 0755);
    bool on_tmpfs = false;
    if (existing_matches(dir.get(), name, d, &on_tmpfs) && !on_tmpfs) return;
    if (in_userns && d.type != "p") return bind_host_device(root_fd, d);
    mode_t mode = type_bits(d.type) | (d.fileMode.value_or(0666) & 07777);
    if (::mknodat(dir.get(), name.c_str(), mode, device_number(d)) < 0 && errno != EEXIST) {
        if (errno == EPERM && d.type != "p") return bind_host_device(root_fd, d);
        throw_errno("mknod " + d.path);
    }
    // mknod applies the umask; the config's mode is exact.
    UniqueFd node(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!node) throw_errno("open " + d.path);
    if (::fchmodat(dir.get(), name.c_str(), mode & 07777, 0) < 0) throw_errno("chmod " + d.path);
    if (::fchownat(dir.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0),
                   AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("chown " + d.path);
}

}  // namespace

void check_image_has_default_devices(const std::string& rootfs) {
    for (const auto& d : default_devices()) {
        struct stat st {};
        bool ok = ::lstat((rootfs + d.path).c_str(), &st) == 0 && S_ISCHR(st.st_mode) &&
                  st.st_rdev == device_number(d);
        if (!ok)
            throw Error("linux.namespaces: without a mount namespace the image must have the "
                        "default devices itself, and " + d.path + " is missing or not " +
                        "the right device", ENODEV);
    }
}

void create_devices(int root_fd, const std::vector<spec::Device>& devices, bool in_userns,
                    bool with_defaults) {
    if (with_defaults) {
        for (const auto& d : default_devices()) make_node(root_fd, d, in_userns);
        UniqueFd dev = mkdir_all_in_root(root_fd, "/dev", 0755);
        for (const auto& [target, link] : kLinks) {
            auto [parent, name] = split_parent(link);
            if (::symlinkat(target, dev.get(), name.c_str()) < 0 && errno != EEXIST)
                throw_errno(std::string("symlink ") + link);
        }
    }
    for (size_t i = 0; i < devices.size(); ++i) {
        // runtime-linux.md: /dev/ptmx is a symlink to pts/ptmx, the same device (5:2) a
        // config may list again (runc takes it too): already there.
        const auto& d = devices[i];
        if (with_defaults && d.path == "/dev/ptmx" && d.type == "c" && d.major == 5 && d.minor == 2)
            continue;
        try {
            make_node(root_fd, devices[i], in_userns);
        } catch (const Error& e) {
            throw Error("linux.devices[" + std::to_string(i) + "] (" + devices[i].path +
                            "): " + e.what(),
                        e.code());
        }
    }
}

}  // namespace myrt
