// Container state under --root: one directory per container holding state.json (written
// atomically) and exec.fifo while the container waits for `start`. Commands that change a
// container hold an exclusive flock on its directory, so concurrent commands on one id are
// serialised while different ids never wait for each other.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/fd.hpp"
#include "spec/state.hpp"

namespace myrt {

// Throws Error("invalid container id \"...\": <why>") for ids that could escape the root.
void validate_id(std::string_view id);

class ContainerDir {
public:
    ContainerDir(std::string path, std::string id, UniqueFd dirfd)
        : path_(std::move(path)), id_(std::move(id)), fd_(std::move(dirfd)) {}

    const std::string& path() const { return path_; }
    const std::string& id() const { return id_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

    spec::ContainerRecord read() const;
    void write(const spec::ContainerRecord& record) const;
    // Removes every file in the directory and the directory itself.
    void remove();

private:
    std::string path_;
    std::string id_;
    UniqueFd fd_;  // holds the flock
};

class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}

    const std::string& root() const { return root_; }

    // Creates <root>/<id> exclusively and locks it.
    // Throws Error("container with given ID already exists").
    ContainerDir create(const std::string& id);
    // Locks an existing container. Throws Error("container does not exist").
    ContainerDir open(const std::string& id, bool exclusive = true);
    // Reads the record without locking (state.json is replaced atomically).
    std::optional<spec::ContainerRecord> peek(const std::string& id) const;
    std::vector<std::string> list_ids() const;

private:
    std::string root_;
};

}  // namespace myrt
