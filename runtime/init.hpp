// The container's init, from clone() to exec: everything that runs inside the namespaces.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/security/capabilities.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/security/seccomp.hpp"
#include "spec/config.hpp"

namespace myrt {

// Everything init needs, prepared by the runtime before clone so that init does no parsing,
// no library loading and nothing that could fail for a reason the runtime could have seen.
struct InitContext {
    const spec::Config* config = nullptr;
    std::string id;
    std::string rootfs;
    std::string bundle;  // absolute: relative bind sources are resolved against it
    NamespacePlan* namespaces = nullptr;
    std::optional<CapabilitySets> capabilities;
    std::optional<SeccompProgram> seccomp;
    int sync_fd = -1;
    int fifo_fd = -1;  // exec.fifo opened O_RDWR: one byte from `start` releases init
    int console_fd = -1;  // connected console socket when process.terminal is true
    std::vector<int> cgroup_fds;  // for join_cgroup_self(), see clone_in_cgroup()
    bool no_pivot = false;
    bool rootless = false;
    // Hand "user" and "net" to the runtime (slirp4netns, linux.netDevices).
    bool send_namespaces = false;
    bool wait_net_devices = false;  // after "net", until the runtime has moved linux.netDevices
    bool no_new_keyring = false;
    int preserve_fds = 0;
};

[[noreturn]] void container_init(InitContext& ctx);

}  // namespace myrt
