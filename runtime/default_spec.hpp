// The config.json that `myrt spec` writes: runs `sh` in ./rootfs, like `runc spec`.
#pragma once

#include "spec/config.hpp"

namespace myrt {

spec::Config default_config(bool rootless);

}  // namespace myrt
