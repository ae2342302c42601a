#include "runtime/security/sealed_exe.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

extern char** environ;

namespace myrt {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

UniqueFd open_self() {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) throw_errno("open /proc/self/exe");
    return self;
}

bool sealed(int fd) {
    struct statvfs vfs {};
    if (::fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return true;
    int seals = ::fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & kSeals) == kSeals;
}

// A bind mount of the binary alone, made read-only while it is still private to this
// process. Executing from it makes /proc/self/exe a file on that mount, and closing the
// tree's descriptor at exec dissolves its mount namespace: from then on nothing can clear
// "ro" again (mount_setattr and remounts need the mount to be in the caller's namespace),
// and no writable path to the file is reachable through it. Costs no copy, but needs
// CAP_SYS_ADMIN over our mount namespace.
UniqueFd read_only_view(int self) {
    UniqueFd tree(static_cast<int>(
        ::syscall(SYS_open_tree, self, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (!tree) return tree;
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return UniqueFd();
    return tree;
}

// The fallback for unprivileged users: a memfd copy, sealed against any change.
UniqueFd sealed_copy(int self) {
    struct stat st {};
    UniqueFd copy(::memfd_create("myrt", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy || ::fstat(self, &st) < 0) throw_errno("copy myrt into memory");
    for (off_t done = 0; done < st.st_size;) {
        ssize_t n = ::sendfile(copy.get(), self, nullptr, static_cast<size_t>(st.st_size - done));
        if (n <= 0) throw_errno("copy myrt into memory", n == 0 ? EIO : errno);
        done += n;
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) < 0) throw_errno("seal myrt's copy");
    return copy;
}

}  // namespace

bool self_exe_sealed() {
    return sealed(open_self().get());
}

void reexec_sealed(char** argv) {
    UniqueFd self = open_self();
    if (sealed(self.get())) return;
    UniqueFd view = read_only_view(self.get());
    if (!view) view = sealed_copy(self.get());
    // The sealed view has no path: where myrt was is kept for finding its companion
    // programs (myrt-systemd). Always overwritten, so a caller's value never counts.
    char path[4096];
    ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) {
        path[n] = 0;
        ::setenv(kOriginalExeEnv, path, 1);
    }
    ::syscall(SYS_execveat, view.get(), "", argv, environ, AT_EMPTY_PATH);
    throw_errno("run myrt from its sealed view");
}

}  // namespace myrt
