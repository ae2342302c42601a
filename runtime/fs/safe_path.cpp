#include "runtime/fs/safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/error.hpp"

namespace myrt {

namespace {

std::string_view strip_slashes(std::string_view p) {
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    return p;
}

int openat2_raw(int dirfd, const char* path, int flags, uint64_t resolve) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
    how.resolve = resolve;
    int fd;
    do fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return fd;
}

}  // namespace

UniqueFd try_open_in_root(int root_fd, std::string_view path, int flags, int* err,
                          uint64_t extra_resolve) {
    std::string rel(strip_slashes(path));
    if (rel.empty()) rel = ".";
    int fd = openat2_raw(root_fd, rel.c_str(), flags,
                         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve);
    *err = fd < 0 ? errno : 0;
    return UniqueFd(fd);
}

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, uint64_t extra_resolve) {
    int err = 0;
    UniqueFd fd = try_open_in_root(root_fd, path, flags, &err, extra_resolve);
    if (!fd) throw_errno("open \"" + std::string(path) + "\" in the container's root", err);
    return fd;
}

std::pair<std::string, std::string> split_parent(std::string_view path) {
    std::string_view p = strip_slashes(path);
    auto slash = p.rfind('/');
    if (slash == std::string_view::npos) return {"", std::string(p)};
    return {std::string(p.substr(0, slash)), std::string(p.substr(slash + 1))};
}

UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode) {
    std::string_view rel = strip_slashes(path);
    UniqueFd current(::dup(root_fd));
    if (!current) throw_errno("dup");
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t end = rel.find('/', pos);
        if (end == std::string_view::npos) end = rel.size();
        std::string prefix(rel.substr(0, end));
        std::string name(rel.substr(pos, end - pos));
        pos = end + 1;
        if (name.empty() || name == ".") continue;
        int fd = openat2_raw(root_fd, prefix.c_str(), O_PATH | O_DIRECTORY,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 && errno == ENOENT && name != "..") {
            // mkdirat with a plain name never follows a symlink: a dangling link here makes
            // it fail with EEXIST instead of creating a directory somewhere else.
            if (::mkdirat(current.get(), name.c_str(), mode) < 0 && errno != EEXIST)
                throw_errno("mkdir \"/" + prefix + "\" in the container's root");
            fd = openat2_raw(root_fd, prefix.c_str(), O_PATH | O_DIRECTORY,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        }
        if (fd < 0) throw_errno("open \"/" + prefix + "\" in the container's root");
        current.reset(fd);
    }
    return current;
}

UniqueFd make_mount_target(int root_fd, std::string_view path, bool directory) {
    if (directory) return mkdir_all_in_root(root_fd, path, 0755);
    auto [parent, name] = split_parent(path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent, 0755);
    UniqueFd real_dir = open_in_root(root_fd, parent, O_DIRECTORY | O_RDONLY);
    int fd = ::openat(real_dir.get(), name.c_str(),
                      O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
    else if (errno != EEXIST)
        throw_errno("create \"" + std::string(path) + "\" in the container's root");
    return open_in_root(root_fd, path, O_PATH);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace myrt
