// Resolving bundle-supplied paths inside the container's root without ever leaving it.
// Every lookup goes through openat2(RESOLVE_IN_ROOT): a symlink or ".." in the rootfs is
// resolved as if the rootfs were "/", so a malicious image cannot point a mount, a device or
// a masked path at the host (CVE-2021-30465, CVE-2019-16884, CVE-2023-27561). Mounts are
// then made onto the opened descriptor (/proc/self/fd/N), so swapping a path component
// after the check changes nothing.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "runtime/fd.hpp"

namespace myrt {

// openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS [| extra]).
UniqueFd open_in_root(int root_fd, std::string_view path, int flags, uint64_t extra_resolve = 0);

// The same without an exception: an invalid fd, with *err set, when it cannot be opened
// (masked and readonly paths that an image lacks are the normal case, not an error).
UniqueFd try_open_in_root(int root_fd, std::string_view path, int flags, int* err,
                          uint64_t extra_resolve = 0);

// Creates missing directories of `path` (mode, owned by the caller) inside root and returns
// an O_PATH descriptor of the last one.
UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode);

// Makes `path` exist inside root as a directory or (for bind mounts of files) as an empty
// file, and returns an O_PATH descriptor of it.
UniqueFd make_mount_target(int root_fd, std::string_view path, bool directory);

// "/proc/self/fd/N": the path through which mount(2) reaches the exact inode held by fd.
std::string fd_path(int fd);

// Splits "a/b/c" into parent "a/b" and name "c" (leading slashes dropped).
std::pair<std::string, std::string> split_parent(std::string_view path);

}  // namespace myrt
