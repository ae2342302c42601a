#include "runtime/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "runtime/error.hpp"
#include "runtime/proc.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

constexpr const char* kStateFile = "state.json";

void mkdir_p(const std::string& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
    if (errno != ENOENT) throw_errno("mkdir " + path);
    auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) throw_errno("mkdir " + path, ENOENT);
    mkdir_p(path.substr(0, slash), mode);
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir " + path);
}

}  // namespace

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
    mkdir_p(root_, 0700);
    std::string path = root_ + "/" + id;
    if (::mkdir(path.c_str(), 0700) < 0) {
        if (errno == EEXIST) throw Error("container with given ID already exists", EEXIST);
        throw_errno("mkdir " + path);
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::flock(fd.get(), LOCK_EX) < 0) {
        int err = errno;
        ::rmdir(path.c_str());
        throw_errno("lock " + path, err);
    }
    return ContainerDir(path, id, std::move(fd));
}

ContainerDir StateStore::open(const std::string& id, bool exclusive) {
    validate_id(id);
    std::string path = root_ + "/" + id;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) throw Error("container does not exist", ENOENT);
        throw_errno("open " + path);
    }
    if (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) < 0) throw_errno("lock " + path);
    // The holder of the lock before us may have deleted the container, or it may be a
    // create that failed half-way: either way there is no container here.
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0 || st.st_nlink == 0 ||
        ::faccessat(fd.get(), kStateFile, F_OK, 0) < 0)
        throw Error("container does not exist", ENOENT);
    return ContainerDir(path, id, std::move(fd));
}

std::optional<spec::ContainerRecord> StateStore::peek(const std::string& id) const {
    try {
        return spec::parse_record(read_file(root_ + "/" + id + "/" + kStateFile));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<std::string> StateStore::list_ids() const {
    std::vector<std::string> ids;
    DIR* dir = ::opendir(root_.c_str());
    if (!dir) {
        if (errno == ENOENT) return ids;
        throw_errno("open " + root_);
    }
    while (dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == ".." || name.ends_with(".tmp")) continue;
        if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
        ids.emplace_back(entry->d_name);
    }
    ::closedir(dir);
    return ids;
}

spec::ContainerRecord ContainerDir::read() const {
    std::string path = file(kStateFile);
    try {
        return spec::parse_record(read_file(path));
    } catch (const spec::ParseError& e) {
        throw Error(path + ": " + e.what());
    }
}

void ContainerDir::write(const spec::ContainerRecord& record) const {
    write_file_atomic(file(kStateFile), spec::to_json(record), 0600);
}

void ContainerDir::remove() {
    DIR* dir = ::fdopendir(::dup(fd_.get()));
    if (dir) {
        ::rewinddir(dir);
        while (dirent* entry = ::readdir(dir)) {
            std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            ::unlinkat(fd_.get(), entry->d_name, 0);
        }
        ::closedir(dir);
    }
    if (::rmdir(path_.c_str()) < 0 && errno != ENOENT) throw_errno("remove " + path_);
}

}  // namespace myrt
