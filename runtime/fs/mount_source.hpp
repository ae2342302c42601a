// Bind mounts the runtime opens for init: idmapped mounts (mount_setattr(MOUNT_ATTR_IDMAP)
// needs privilege over the mapping's user namespace, which init inside the container lacks),
// and bind sources that the container's mapped root cannot reach (runc opens those before
// entering the user namespace too). The runtime clones the source in the caller's mount
// namespace with open_tree(2), sets its attributes while it is still detached, and passes the
// descriptor; init attaches it with move_mount(2).
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt {

// The mount asks for an idmapping: "idmap"/"ridmap", or mappings of its own.
bool is_idmapped(const spec::Mount& m);

// Refuses, naming mounts[i], an idmapped mount that cannot be made: not a bind mount, no
// mapping to use (no mappings and no user namespace, config.md), or a rootless runtime.
void check_idmapped_mounts(const spec::Config& config, bool has_userns, bool rootless);

// The detached tree for mounts[index], idmapped and with its attributes set. `init` is the
// container's init (its user namespace is the mapping when the mount names none).
UniqueFd open_bind_source(const spec::Mount& m, size_t index, const std::string& bundle,
                          pid_t init);

}  // namespace myrt
