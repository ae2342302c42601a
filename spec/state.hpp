// The state document of runtime.md, and the record myrt keeps per container.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace myrt::spec {

// What `myrt state` prints (runtime.md "State"). status: creating|created|running|stopped
// (and "paused", which runc and crun report and callers understand).
struct State {
    std::string ociVersion;
    std::string id;
    std::string status;
    int pid = 0;  // 0 = absent (stopped)
    std::string bundle;
    StringMap annotations;
};

// What myrt stores in <root>/<id>/state.json: the OCI state plus what later commands need
// without the bundle (the bundle may be gone by the time `delete` runs poststop hooks).
struct ContainerRecord {
    State state;                     // status stored here is only a hint; it is recomputed
    uint64_t pid_start_time = 0;     // field 22 of /proc/<pid>/stat: tells a reused pid apart
    std::string created;             // RFC 3339, UTC
    std::string rootfs;              // absolute host path
    uint32_t owner = 0;              // uid that created it
    std::map<std::string, std::string> cgroup_paths;  // controller ("" for v2) -> absolute dir
    std::vector<std::string> cgroup_owned;  // those of cgroup_paths that create made (removed by delete)
    uint64_t pid_ns = 0;             // inode of init's pid namespace: the container's processes
    std::vector<Hook> poststop;      // run by delete
    std::map<std::string, std::string> namespace_paths;  // type -> path joined at create, for exec
    std::vector<int> helper_pids;    // e.g. slirp4netns, ended by delete
    bool systemd_cgroup = false;
    std::string systemd_unit;        // --systemd-cgroup: the scope holding the cgroup
    bool systemd_user = false;       // ... made by the caller's user manager (user bus)
    // The `create` writing this record, while it has no init yet: a live creator means the
    // container is still "creating", a dead one that nothing of it runs ("stopped").
    int creator_pid = 0;
    uint64_t creator_start_time = 0;
};

std::string to_json(const State& state, bool pretty = true);
State parse_state(std::string_view json);  // for tests and for reading hooks' stdin

std::string to_json(const ContainerRecord& record);
// Throws ParseError naming the path of a malformed member.
ContainerRecord parse_record(std::string_view json);

// One container in `list --format json`, in runc's shape (runc's containerState, its
// members in its order).
struct ListEntry {
    std::string ociVersion;
    std::string id;
    int pid = 0;  // written even when 0
    std::string status;
    std::string bundle;
    std::string rootfs;
    std::string created;    // RFC 3339
    StringMap annotations;  // the config's; omitted when there are none (runc's omitempty)
    std::string owner;      // "root" or the uid
};

// The compact array ("[]" when empty); strings made valid UTF-8, as in runc's output.
std::string list_to_json(const std::vector<ListEntry>& entries);

// What the runtime sends to a seccomp agent at linux.seccomp.listenerPath: the container
// process state of config-linux.md.
struct ContainerProcessState {
    std::string ociVersion;
    std::vector<std::string> fds;  // names of the descriptors passed with it ("seccompFd")
    int pid = 0;                   // the container process whose filter has the listener
    std::string metadata;          // linux.seccomp.listenerMetadata; omitted when empty
    State state;
};

// Compact, strings made valid UTF-8 (the agent may well be written in Go).
std::string to_json(const ContainerProcessState& process_state);
ContainerProcessState parse_container_process_state(std::string_view json);  // for tests

// `ps --format json`: a compact array of pids.
std::string pids_to_json(const std::vector<int>& pids);

// A JSON array of strings (checkpoint's descriptors.json, as runc writes it).
std::string strings_to_json(const std::vector<std::string>& strings);
std::vector<std::string> parse_strings(std::string_view text, std::string_view label);

}  // namespace myrt::spec
