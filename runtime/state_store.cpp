#include "runtime/state_store.hpp"

#include <algorithm>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "runtime/error.hpp"
#include "runtime/proc.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kRecoveryFile = "recovery.json";
constexpr const char* kCheckpointFile = "checkpoint.lock";

// A record is small; annotations (CRI passes a pod's) can make it large, not this large.
constexpr size_t kMaxRecord = 64 << 20;

std::string read_in(int dirfd, const std::string& dir, const char* name) {
    return read_file_at(dirfd, name, dir + "/" + name, kMaxRecord);
}

std::optional<spec::ContainerRecord> parse_file(int dirfd, const std::string& dir,
                                                const char* name) {
    try {
        return spec::parse_record(read_in(dirfd, dir, name));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The record in a container directory: state.json, else recovery.json (a create not
// finished, or state.json damaged). `problem` says what was wrong with state.json.
std::optional<spec::ContainerRecord> read_record(int dirfd, const std::string& dir,
                                                 std::string* problem) {
    try {
        return spec::parse_record(read_in(dirfd, dir, kStateFile));
    } catch (const spec::ParseError& e) {
        if (problem) *problem = dir + "/" + kStateFile + ": " + e.what();
    } catch (const Error& e) {
        if (problem && e.code() != ENOENT) *problem = e.what();
    }
    return parse_file(dirfd, dir, kRecoveryFile);
}

std::string oct_mode(mode_t mode) {
    char buf[8];
    snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// A container's directory is the caller's alone, like the root above it.
void check_container_dir(int fd, const std::string& path) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) throw_errno("stat " + path);
    if (st.st_uid != ::geteuid() || (st.st_mode & 022))
        throw Error(path + ": not owned by uid " + std::to_string(::geteuid()) +
                        " or writable by others (refusing to trust it)",
                    EPERM);
}

void mkdir_p(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
    if (errno != ENOENT) throw_errno("mkdir " + path);
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) throw_errno("mkdir " + path, ENOENT);
    mkdir_p(path.substr(0, slash), mode);
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

// One directory of the path to the state root: root's or the caller's, and if others may
// write to it, sticky (so they cannot rename or remove what is ours inside it). The root
// itself is checked through the descriptor everything is then done relative to.
void check_trusted(const std::string& path, bool is_root, int fd = -1) {
    struct stat st {};
    if ((fd >= 0 ? ::fstat(fd, &st) : ::lstat(path.c_str(), &st)) < 0)
        throw_errno("state directory " + path);
    uid_t me = ::geteuid();
    if (is_root) {
        if (!S_ISDIR(st.st_mode)) throw Error("state directory " + path + ": not a directory", ENOTDIR);
        if (st.st_uid != me)
            throw Error("state directory " + path + ": owned by uid " + std::to_string(st.st_uid) +
                            ", not by uid " + std::to_string(me) + " (refusing to trust it)",
                        EPERM);
        if (st.st_mode & 022)
            throw Error("state directory " + path + ": writable by other users (mode " +
                            oct_mode(st.st_mode) + "; refusing to trust it)",
                        EPERM);
        return;
    }
    // In a user namespace (rootless podman's) the host's root owns /, /run, /tmp... as an
    // id without a mapping there: they show the overflow uid.
    bool unmapped = st.st_uid == overflow_uid() && in_user_namespace();
    if (st.st_uid != 0 && st.st_uid != me && !unmapped)
        throw Error("state directory " + path + ": owned by uid " + std::to_string(st.st_uid) +
                        " (refusing to trust it)",
                    EPERM);
    if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
        throw Error("state directory " + path + ": writable by other users and not sticky " +
                        "(mode " + oct_mode(st.st_mode) + "; refusing to trust it)",
                    EPERM);
}

}  // namespace

const std::string& StateStore::root() const {
    if (checked_.empty()) ensure_root(false);
    return checked_;
}

void StateStore::ensure_root(bool create) const {
    if (root_.empty())
        throw Error("no state directory: XDG_RUNTIME_DIR is not set and /run/user/" +
                        std::to_string(::geteuid()) + " is missing or not yours; set XDG_RUNTIME_DIR or "
                        "pass --root",
                    EINVAL);
    if (create) mkdir_p(root_, 0700);
    char buf[PATH_MAX];
    if (!::realpath(root_.c_str(), buf)) {
        // A root that does not exist yet holds no container; it is made by the first create.
        if (errno == ENOENT && !create) {
            checked_ = root_;
            exists_ = false;
            return;
        }
        throw_errno("state directory " + root_);
    }
    std::string real = buf;
    for (size_t pos = real.find('/', 1); pos != std::string::npos; pos = real.find('/', pos + 1))
        check_trusted(real.substr(0, pos), false);
    check_trusted("/", false);
    UniqueFd fd(::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("state directory " + real);
    check_trusted(real, true, fd.get());
    root_fd_ = std::move(fd);
    checked_ = real;
    exists_ = true;
}

void validate_id(std::string_view id) {
    auto bad = [&](const char* why) {
        std::string shown;
        for (unsigned char c : id.substr(0, 64)) {
            if (c >= 0x20 && c < 0x7f) {
                shown += static_cast<char>(c);
            } else {
                char hex[8];
                snprintf(hex, sizeof hex, "\\x%02x", c);
                shown += hex;
            }
        }
        if (id.size() > 64) shown += "...";
        throw Error("invalid container id \"" + shown + "\": " + why);
    };
    if (id.empty()) bad("must not be empty");
    // It names a directory: NAME_MAX (255) less room for temporary names.
    if (id.size() > 250) bad("longer than 250 characters");
    if (id == "." || id == "..") bad("must not be \".\" or \"..\"");
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == '+';
        if (!ok) bad("only letters, digits and _ - . + are allowed");
    }
}

ContainerDir StateStore::create(const std::string& id) {
    validate_id(id);
    if (!exists_) ensure_root(true);
    std::string path = checked_ + "/" + id;
    if (::mkdirat(root_fd_.get(), id.c_str(), 0700) < 0) {
        if (errno == EEXIST) throw Error("container with given ID already exists", EEXIST);
        throw_errno("mkdir " + path);
    }
    UniqueFd fd(::openat(root_fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || ::flock(fd.get(), LOCK_EX) < 0) {
        int err = errno;
        ::unlinkat(root_fd_.get(), id.c_str(), AT_REMOVEDIR);
        throw_errno("lock " + path, err);
    }
    return ContainerDir(path, id, std::move(fd), root_fd_.get());
}

UniqueFd StateStore::open_dir(const std::string& id) const {
    root();  // checks the root once
    if (!root_fd_) {
        errno = ENOENT;
        return UniqueFd();
    }
    return UniqueFd(::openat(root_fd_.get(), id.c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

ContainerDir StateStore::open(const std::string& id, bool exclusive) {
    validate_id(id);
    UniqueFd fd = open_dir(id);
    std::string path = root() + "/" + id;
    if (!fd) {
        if (errno == ENOENT) throw Error("container does not exist", ENOENT);
        throw_errno("open " + path);
    }
    check_container_dir(fd.get(), path);
    if (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) < 0) throw_errno("lock " + path);
    // The holder of the lock before us may have deleted the container.
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0 || st.st_nlink == 0)
        throw Error("container does not exist", ENOENT);
    return ContainerDir(path, id, std::move(fd), root_fd_.get());
}

std::optional<spec::ContainerRecord> StateStore::peek(const std::string& id,
                                                      std::string* problem) const {
    UniqueFd fd = open_dir(id);
    if (!fd) return std::nullopt;
    return read_record(fd.get(), root() + "/" + id, problem);
}

bool StateStore::busy(const std::string& id) const {
    UniqueFd fd = open_dir(id);
    return !fd || ::flock(fd.get(), LOCK_SH | LOCK_NB) < 0;
}

std::vector<std::string> StateStore::list_ids() const {
    std::vector<std::string> ids;
    root();
    if (!root_fd_) return ids;
    UniqueFd copy(::dup(root_fd_.get()));
    DIR* dir = copy ? ::fdopendir(copy.get()) : nullptr;
    if (!dir) throw_errno("open " + root());
    copy.release();  // the DIR owns it now
    ::rewinddir(dir);
    while (dirent* entry = ::readdir(dir)) {
        try {
            validate_id(entry->d_name);  // not a container: ".", "..", anything else
        } catch (const Error&) {
            continue;
        }
        if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
        ids.emplace_back(entry->d_name);
    }
    ::closedir(dir);
    std::sort(ids.begin(), ids.end());  // `list` by id, as runc
    return ids;
}

spec::ContainerRecord ContainerDir::read() const {
    std::string text;
    try {
        text = read_in(fd_.get(), path_, kStateFile);
    } catch (const Error& e) {
        if (e.code() != ENOENT) throw;
        // A create not finished
        if (auto r = parse_file(fd_.get(), path_, kRecoveryFile)) return *r;
        throw Error("container does not exist", ENOENT);
    }
    try {
        return spec::parse_record(text);
    } catch (const spec::ParseError& e) {
        throw Error(file(kStateFile) + ": " + e.what());
    }
}

std::optional<spec::ContainerRecord> ContainerDir::read_any() const {
    return read_record(fd_.get(), path_, nullptr);
}

void ContainerDir::write(const spec::ContainerRecord& record) const {
    write_file_atomic_at(fd_.get(), kStateFile, spec::to_json(record), 0600, file(kStateFile));
}

void ContainerDir::write_recovery(const spec::ContainerRecord& record) const {
    write_file_atomic_at(fd_.get(), kRecoveryFile, spec::to_json(record), 0600,
                         file(kRecoveryFile));
}

void ContainerDir::create_recovery(const spec::ContainerRecord& record) const {
    write_new(kRecoveryFile, spec::to_json(record));
}

void ContainerDir::write_new(const char* name, std::string_view data) const {
    write_new_file_at(fd_.get(), name, data, 0600, file(name));
}

std::optional<std::string> ContainerDir::read_text(const char* name) const {
    // Mostly absent (hooks.json of a container without poststart/poststop hooks): said by a
    // lookup, not by an exception thrown and caught on every start and delete.
    if (::faccessat(fd_.get(), name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        return std::nullopt;
    try {
        return read_in(fd_.get(), path_, name);
    } catch (const Error& e) {
        if (e.code() == ENOENT) return std::nullopt;
        throw;
    }
}

void ContainerDir::remove() {
    UniqueFd copy(::dup(fd_.get()));
    DIR* dir = copy ? ::fdopendir(copy.get()) : nullptr;
    if (dir) {
        copy.release();  // the DIR owns it now
        ::rewinddir(dir);
        while (dirent* entry = ::readdir(dir)) {
            std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            // A directory where a file should be (a damaged state) goes too, if empty.
            if (::unlinkat(fd_.get(), entry->d_name, 0) < 0 && errno == EISDIR)
                ::unlinkat(fd_.get(), entry->d_name, AT_REMOVEDIR);
        }
        ::closedir(dir);
    }
    if (::unlinkat(root_fd_, id_.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        throw_errno("remove " + path_);
}

UniqueFd ContainerDir::claim_checkpoint() const {
    UniqueFd fd(::openat(fd_.get(), kCheckpointFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + file(kCheckpointFile));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) throw Error("container is being checkpointed by another command", EBUSY);
        throw_errno("lock " + file(kCheckpointFile));
    }
    if (::ftruncate(fd.get(), 0) < 0) throw_errno("truncate " + file(kCheckpointFile));  // a killed one's note
    return fd;
}

void ContainerDir::end_checkpoint() const { ::unlinkat(fd_.get(), kCheckpointFile, 0); }

std::optional<std::string> ContainerDir::checkpoint_note() const {
    UniqueFd fd(::openat(fd_.get(), kCheckpointFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return std::nullopt;
    // Free: a checkpoint that was killed. (Taken for a moment: no claim can come meanwhile.)
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) return std::nullopt;
    char buf[64];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace myrt
