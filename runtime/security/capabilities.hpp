// Linux capabilities by name, and applying the five sets of process.capabilities.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

// CAP_SYS_ADMIN -> 21; -1 when unknown to this build.
int capability_from_name(std::string_view name);
std::string capability_name(int cap);
// Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();
// Every capability name this build knows, for `features`.
std::vector<std::string> known_capabilities();

// Bit mask of the named capabilities; unknown names are skipped with a warning, as runc does,
// so that a config written for a newer kernel still runs.
uint64_t capability_mask(const std::optional<std::vector<std::string>>& names);

struct CapabilitySets {
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};
// Resolved in the runtime before the container starts, so warnings reach the caller's log
// rather than the container's stderr.
CapabilitySets resolve_capabilities(const spec::Capabilities& caps);

// Without a user namespace of the container's own, the container can have only the
// capabilities the runtime holds: anything else is refused here, at create (runc fails
// create too), not found at start by a failing capset or a bounding set silently short.
// The error names the set and the first capability missing.
void check_grantable(const CapabilitySets& sets);

// Drops the bounding set to `sets.bounding`. Needs CAP_SETPCAP: call before changing uid.
void apply_bounding_set(const CapabilitySets& sets);
// Sets effective/permitted/inheritable and raises the ambient set. Call after changing uid.
void apply_capability_sets(const CapabilitySets& sets);

}  // namespace myrt
