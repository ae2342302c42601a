// One interface over the cgroup v1 and v2 drivers. The driver is chosen by looking at the
// host: a cgroup2 filesystem on /sys/fs/cgroup means v2; otherwise the mounted v1 hierarchies
// are used (a hybrid host's /sys/fs/cgroup/unified carries no controllers and is left alone).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

enum class CgroupVersion { v1, v2 };

class Cgroup {
public:
    virtual ~Cgroup() = default;
    virtual CgroupVersion version() const = 0;
    // Creates the directories (parents too) and prepares them for a first process.
    virtual void create() = 0;
    virtual void add_process(pid_t pid) = 0;
    virtual void apply(const spec::Resources& resources) = 0;
    virtual void freeze(bool frozen) = 0;
    virtual bool frozen() const = 0;
    virtual std::vector<pid_t> pids() const = 0;
    // Kills what is left (when asked) and removes the directories this container owns.
    virtual void destroy(bool kill_remaining) = 0;
    // controller set ("" for v2) -> absolute directory, as stored in the container record.
    virtual std::map<std::string, std::string> paths() const = 0;
};

// The container's cgroup for a config: cgroupsPath (absolute, or relative to /myrt) or
// /myrt/<id> when absent.
std::unique_ptr<Cgroup> cgroup_for(const std::optional<std::string>& cgroups_path,
                                   const std::string& id);
// Reopens a container's cgroup from the paths stored in its record.
std::unique_ptr<Cgroup> cgroup_from_paths(const std::map<std::string, std::string>& paths);

CgroupVersion host_cgroup_version();

}  // namespace myrt
