// One interface over the cgroup v1 and v2 drivers. The driver is chosen by looking at the
// host: a cgroup2 filesystem on /sys/fs/cgroup means v2; otherwise the mounted v1 hierarchies
// are used (a hybrid host's /sys/fs/cgroup/unified carries no controllers and is left alone).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "spec/config.hpp"
#include "spec/events.hpp"
#include "spec/state.hpp"

namespace myrt {

enum class CgroupVersion { v1, v2 };

// What a cgroup holds (spec/events.hpp: the shape of runc's `events --stats`).
using CgroupStats = spec::Stats;

// Reports the OOM events of a cgroup: poll fd() for POLLIN, then drain() says how many
// happened since the last call (and re-arms).
class OomWatch {
public:
    virtual ~OomWatch() = default;
    virtual int fd() const = 0;
    virtual uint64_t drain() = 0;
};

class Cgroup {
public:
    virtual ~Cgroup() = default;
    virtual CgroupVersion version() const = 0;
    // Creates the directories (parents too) and prepares them for a first process. Notes
    // which of the container's directories it made: only those are ever removed.
    virtual void create() = 0;
    virtual void add_process(pid_t pid) = 0;
    // Sets every field of linux.resources that is present. A field the host cannot honour
    // is an error or a warning; errors name the field ("linux.resources.memory.limit: ...").
    virtual void apply(const spec::Resources& resources) = 0;
    // apply() on a live container: also honours memory.checkBeforeUpdate.
    virtual void update(const spec::Resources& resources) = 0;
    virtual void freeze(bool frozen) = 0;
    virtual bool frozen() const = 0;
    // Every process in the cgroup and the cgroups below it.
    virtual std::vector<pid_t> pids() const = 0;
    virtual CgroupStats stats() const = 0;
    // nullptr when the host has no memory controller for this cgroup.
    virtual std::unique_ptr<OomWatch> watch_oom() const = 0;
    // Whether any process is in the cgroup, in any of its hierarchies.
    virtual bool populated() const = 0;
    // Removes the directories that create() made once the processes in them are gone. One
    // still busy after a short wait (a process that is not the container's) is left in
    // place with a warning. Never kills anything: a cgroup may hold what is not ours.
    virtual void remove() = 0;
    // controller set ("" for v2) -> absolute directory, as stored in the container record.
    virtual std::map<std::string, std::string> paths() const = 0;
    // The directories among paths() that create() made (stored in the record too).
    virtual std::vector<std::string> owned() const = 0;
    // systemd: a scope cannot start empty, so create() only prepares; init is cloned outside
    // (waiting for the runtime) and start_with() starts the unit with it, then applies what
    // apply() was given.
    virtual bool starts_with_init() const { return false; }
    virtual void start_with(pid_t) {}
    // The systemd unit holding the cgroup; "" for a cgroup of the runtime's own.
    virtual std::string unit() const { return {}; }
};

// The container's cgroup for a config: cgroupsPath (absolute, or relative to /myrt) or
// /myrt/<id> when absent.
std::unique_ptr<Cgroup> cgroup_for(const std::optional<std::string>& cgroups_path,
                                   const std::string& id);
// --systemd-cgroup: a transient scope from "slice:prefix:name" (runtime/cgroup/systemd.hpp),
// of the user's systemd when rootless.
std::unique_ptr<Cgroup> systemd_cgroup_for(const std::optional<std::string>& cgroups_path,
                                           const std::string& id, bool rootless);
// Reopens a cgroup from its paths; `owned` are those that create() made.
std::unique_ptr<Cgroup> cgroup_from_paths(const std::map<std::string, std::string>& paths,
                                          const std::vector<std::string>& owned = {});
// A container's cgroup from its record, which is not trusted: a path outside
// /sys/fs/cgroup is an error. nullptr when it has none.
std::unique_ptr<Cgroup> cgroup_from_record(const spec::ContainerRecord& record);

CgroupVersion host_cgroup_version();

// A cgroup hierarchy mounted on a host that is not pure v2 (from mountinfo).
struct HostHierarchy {
    std::string controllers;  // "cpu,cpuacct", "name=systemd", or "" for the cgroup2 mount
    std::string mount;        // /sys/fs/cgroup/cpu,cpuacct, /sys/fs/cgroup/unified
};
// Those the v1 driver uses: the controllers' hierarchies, systemd's named one and a hybrid
// host's cgroup2 mount (`myrt check` tells v1 from hybrid by the last).
std::vector<HostHierarchy> host_v1_hierarchies();

// A child process, as fork() with clone(2)'s namespace `flags`, that ends up in `cgroup`
// (nullptr: ours) without the runtime writing its pid to cgroup.procs: that takes a global
// lock whose every writer waits for an RCU grace period, 5-30 ms of a create here. On v2 the
// child is born in the cgroup (CLONE_INTO_CGROUP), and so on a hybrid host in the unified
// hierarchy's part. `join` comes back holding the files the child, still single-threaded,
// must pass to join_cgroup_self() first: v1's "tasks" files, since moving only the calling
// thread skips that lock (and cgroup2's cgroup.procs with a kernel before 5.7, or when
// the child was killed at birth: see killed_at_birth in cgroup.cpp). Returns 0 in the
// child, its pid in the parent; throws on failure.
pid_t clone_in_cgroup(unsigned long flags, const Cgroup* cgroup, std::vector<UniqueFd>& join);

// In clone_in_cgroup()'s child: joins by writing "0" to each of `fds`, and closes them.
void join_cgroup_self(const std::vector<int>& fds);

}  // namespace myrt
