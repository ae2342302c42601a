// The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a transient scope
// that systemd owns, started with init in it (a scope cannot start empty), Delegate=yes.
// Resources are set twice: as unit properties, so that systemd keeps them across a
// daemon-reload instead of undoing them, and written into the delegated cgroup by the v1 or
// v2 driver, which also sets what systemd has no property for. D-Bus is spoken by the
// myrt-systemd program (cmd/myrt-systemd.cpp, sd-bus).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"

namespace myrt {

// cgroupsPath "slice:prefix:name" (runc's form) taken apart.
struct SystemdUnitPath {
    std::string slice;  // "system.slice"
    std::string unit;   // "prefix-name.scope"
};

// Parses cgroupsPath; absent or empty: "<default slice>:myrt:<id>". The default slice is
// system.slice, user.slice for a rootless runtime. Errors name linux.cgroupsPath and the form.
SystemdUnitPath parse_systemd_path(const std::optional<std::string>& cgroups_path,
                                   const std::string& id, bool rootless);

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's nesting); "-.slice" -> "".
std::string expand_slice(const std::string& slice);

// One unit property for myrt-systemd: "NAME TYPE VALUE" (see cmd/myrt-systemd.cpp).
struct UnitProperty {
    std::string name, type, value;
};

// linux.resources as systemd properties for a cgroup of `version` (v1 and v2 names differ).
std::vector<UnitProperty> systemd_properties(const spec::Resources& r, CgroupVersion version);

// Whether myrt-systemd is there to talk to systemd (`myrt features`).
bool systemd_driver_available();

// The version of the system's (or the user's) systemd, asked over D-Bus through
// myrt-systemd: throws Error with why it cannot be reached (`myrt check`).
std::string systemd_manager_version(bool user_manager);

// The driver for a new container (the unit is started by start_with()).
std::unique_ptr<Cgroup> make_systemd_cgroup(const SystemdUnitPath& path, bool user_manager);

// Reopens a container's: its unit and the cgroup directories recorded.
std::unique_ptr<Cgroup> reopen_systemd_cgroup(const std::string& unit, bool user_manager,
                                              const std::map<std::string, std::string>& paths,
                                              const std::vector<std::string>& owned);

}  // namespace myrt
