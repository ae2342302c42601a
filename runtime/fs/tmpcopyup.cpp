#include "runtime/fs/tmpcopyup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

namespace myrt {

namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

// The names in the directory `dir` (its descriptor stays ours).
std::vector<std::string> entries(int dir, const std::string& what) {
    int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) throw_errno(what);
    std::unique_ptr<DIR, DirCloser> d(::fdopendir(copy));
    if (!d) {
        ::close(copy);
        throw_errno(what);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    return names;
}

UniqueFd open_at(int dir, const std::string& name, int flags, const std::string& what,
                 mode_t mode = 0) {
    UniqueFd fd(::openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) throw_errno(what);
    return fd;
}

// Owner, mode (after chown, which clears set-id bits) and modification time of st.
void copy_metadata(int fd, const struct stat& st, const std::string& what) {
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (::fchown(fd, st.st_uid, st.st_gid) < 0 || ::fchmod(fd, st.st_mode & 07777) < 0 ||
        ::futimens(fd, times) < 0)
        throw_errno(what);
}

void copy_file(int src, int dst, const std::string& name, const struct stat& st,
               const std::string& what) {
    UniqueFd in = open_at(src, name, O_RDONLY, what);
    UniqueFd out = open_at(dst, name, O_WRONLY | O_CREAT | O_EXCL, what, 0600);
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(what);
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw_errno(what);
            done += w;
        }
    }
    copy_metadata(out.get(), st, what);
}

void copy_link(int src, int dst, const std::string& name, const struct stat& st,
               const std::string& what) {
    std::vector<char> target(static_cast<size_t>(st.st_size) + 2);
    ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
    if (n < 0) throw_errno(what);
    target[static_cast<size_t>(n)] = '\0';
    if (::symlinkat(target.data(), dst, name.c_str()) < 0 ||
        ::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno(what);
}

void copy_node(int dst, const std::string& name, const struct stat& st, const std::string& what) {
    if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) throw_errno(what);
    UniqueFd fd = open_at(dst, name, O_PATH, what);
    if (::fchownat(fd.get(), "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0) throw_errno(what);
}

}  // namespace

void copy_up(int src, int dst, const std::string& what) {
    for (const std::string& name : entries(src, what + ": read the directory")) {
        std::string here = what + ": copy \"" + name + "\"";
        struct stat st {};
        if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno(here);
        if (S_ISDIR(st.st_mode)) {
            if (::mkdirat(dst, name.c_str(), 0700) < 0) throw_errno(here);
            UniqueFd from = open_at(src, name, O_RDONLY | O_DIRECTORY, here);
            UniqueFd to = open_at(dst, name, O_RDONLY | O_DIRECTORY, here);
            copy_up(from.get(), to.get(), what + ": " + name);
            copy_metadata(to.get(), st, here);
        } else if (S_ISREG(st.st_mode)) {
            copy_file(src, dst, name, st, here);
        } else if (S_ISLNK(st.st_mode)) {
            copy_link(src, dst, name, st, here);
        } else if (!S_ISSOCK(st.st_mode)) {  // a socket is nobody's once copied
            copy_node(dst, name, st, here);
        }
    }
}

}  // namespace myrt
