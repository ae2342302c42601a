#include "runtime/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "runtime/error.hpp"
#include "runtime/safe_path.hpp"

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

void make_node(int root_fd, const spec::Device& d, bool in_userns) {
    if (in_userns && d.type != "p") return bind_host_device(root_fd, d);
    auto [parent, name] = split_parent(d.path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent, 0755);
    mode_t mode = type_bits(d.type) | (d.fileMode.value_or(0666) & 07777);
    dev_t dev = makedev(static_cast<unsigned>(d.major.value_or(0)),
                        static_cast<unsigned>(d.minor.value_or(0)));
    // A node the image already has (or a symlink planted there) is replaced, never followed.
    ::unlinkat(dir.get(), name.c_str(), 0);
    if (::mknodat(dir.get(), name.c_str(), mode, dev) < 0) {
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
    for (const auto& d : devices) make_node(root_fd, d, in_userns);
}

}  // namespace myrt
