// Device nodes in the container's /dev: the spec's default set, and linux.devices.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

// Creates the default devices and /dev symlinks, then the config's devices. In a user
// namespace mknod is refused, so host devices are bind-mounted instead, as runc and crun do.
void create_devices(int root_fd, const std::vector<spec::Device>& devices, bool in_userns,
                    bool default_devices);

// Without a mount namespace nothing can be created in the image: the default devices must
// already be there, as the right device nodes. Throws naming the first one that is not.
void check_image_has_default_devices(const std::string& rootfs);

}  // namespace myrt
