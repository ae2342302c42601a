// What differs when an unprivileged user runs myrt: id maps beyond the caller's own id go
// through the setuid newuidmap/newgidmap helpers (package uidmap, reading /etc/subuid and
// /etc/subgid), and cgroups that are not delegated to the user are skipped with a warning.
#pragma once

#include <sys/types.h>

#include <memory>

#include "runtime/cgroup/cgroup.hpp"
#include "spec/config.hpp"

namespace myrt {

// --rootless true|false|auto ("auto": not running as root).
bool resolve_rootless(const std::string& flag);
// The same for cgroups: "auto" is also true for root of a user namespace whose uid 0 is an
// ordinary user's on the host (unprivileged_on_host()).
bool resolve_rootless_cgroups(const std::string& flag);

// uid_map/gid_map text: one "containerID hostID size" line each.
std::string id_map_text(const std::vector<spec::IDMapping>& maps);

// Writes uid_map and gid_map of the user namespace of `pid`.
void write_id_mappings(pid_t pid, const spec::Linux& linux, bool rootless);

// Creates the container's cgroup and applies the limits. For a rootless caller without a
// delegated hierarchy it returns false after a warning (if limits were asked for) instead
// of failing; everything half-made is removed.
bool prepare_cgroup(Cgroup& cgroup, const std::optional<spec::Resources>& resources,
                    bool rootless);

}  // namespace myrt
