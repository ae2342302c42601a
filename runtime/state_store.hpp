// Container state under --root: one directory per container holding state.json (written
// atomically) and exec.fifo while the container waits for `start`. Commands that change a
// container hold an exclusive flock on its directory, so concurrent commands on one id are
// serialised while different ids never wait for each other.
//
// create writes recovery.json before anything of the container exists and again as its
// init and helpers appear, and state.json only once the container is complete. Whatever
// point a create was killed at, and whatever became of state.json, recovery.json still
// names what delete --force must end and remove.
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
    // root_fd: the store's root, which outlives this.
    ContainerDir(std::string path, std::string id, UniqueFd dirfd, int root_fd)
        : path_(std::move(path)), id_(std::move(id)), fd_(std::move(dirfd)), root_fd_(root_fd) {}

    const std::string& path() const { return path_; }
    const std::string& id() const { return id_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

    // state.json; while a create has not finished (or was killed), recovery.json with its
    // status "creating". Throws naming the file when state.json is damaged, and "container
    // does not exist" when neither is there.
    spec::ContainerRecord read() const;
    // What delete --force can work from: read(), else recovery.json, else nothing.
    std::optional<spec::ContainerRecord> read_any() const;
    void write(const spec::ContainerRecord& record) const;
    void write_recovery(const spec::ContainerRecord& record) const;
    // The first recovery.json of a new directory, written in place: until it is complete
    // nothing of the container exists outside this directory (a torn one, of a create killed
    // while writing it, leaves delete --force nothing to end but the directory).
    void create_recovery(const spec::ContainerRecord& record) const;
    // A file of a new directory that nobody reads before state.json exists (config.json,
    // hooks.json: written before it), in place.
    void write_new(const char* name, std::string_view data) const;
    // A file of the container's (a regular file, read through the directory's descriptor);
    // nothing when it does not exist.
    std::optional<std::string> read_text(const char* name) const;
    // Removes every file in the directory and the directory itself.
    void remove();

    // A checkpoint lets the container's lock go while CRIU dumps (a lazy dump lasts until a
    // client fetches the pages, and delete --force must not wait for that); it claims the
    // container instead with a flock on a file of the directory. The claim goes with its
    // descriptor, however its holder ends: a killed checkpoint leaves no stale claim.
    // All three are called under the container's lock, so claims and checks never overlap.
    // The claim, or Error EBUSY when another checkpoint holds it.
    UniqueFd claim_checkpoint() const;
    // Removes the claim's file (its lock goes when the caller closes the claim).
    void end_checkpoint() const;
    // What the claim's holder wrote into its file; nothing when no checkpoint holds it.
    std::optional<std::string> checkpoint_note() const;
    bool checkpointing() const { return checkpoint_note().has_value(); }

private:
    std::string path_;
    std::string id_;
    UniqueFd fd_;  // holds the flock
    int root_fd_;
};

// The state root is trusted only when nobody but the caller (and root) can change it: it
// must be the caller's and not writable by others, and every directory above it must belong
// to root or the caller and, if others may write to it, be sticky (as /tmp). Otherwise
// another user could plant a container whose hooks the caller's delete would run. It is
// checked (and made, 0700) on first use and opened once; containers' directories and their
// records are then reached relative to that descriptor. An empty root means none could be
// chosen.
class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}

    // The checked root (absolute, no symlinks); throws when it cannot be trusted.
    const std::string& root() const;

    // Creates <root>/<id> exclusively and locks it.
    // Throws Error("container with given ID already exists").
    ContainerDir create(const std::string& id);
    // Locks an existing container. Throws Error("container does not exist").
    ContainerDir open(const std::string& id, bool exclusive = true);
    // Reads the record without locking (state.json is replaced atomically). `problem` (if
    // given) says why state.json could not be used when the record comes from elsewhere or
    // there is none.
    std::optional<spec::ContainerRecord> peek(const std::string& id,
                                              std::string* problem = nullptr) const;
    std::vector<std::string> list_ids() const;
    // Whether another command holds the container's lock (or it is gone).
    bool busy(const std::string& id) const;

private:
    // Makes the root if missing, then checks it: see the class comment.
    void ensure_root(bool create) const;
    // The container's directory, opened relative to the root (no symlink followed).
    UniqueFd open_dir(const std::string& id) const;

    std::string root_;
    mutable std::string checked_;  // root_ resolved and checked; empty until then
    mutable bool exists_ = false;  // checked_ was there when checked (else it is root_ as given)
    mutable UniqueFd root_fd_;     // checked_, opened once: it cannot be swapped under us
};

}  // namespace myrt
