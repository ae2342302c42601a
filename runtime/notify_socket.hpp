// sd_notify through the runtime (as runc and crun): when the caller runs myrt with
// NOTIFY_SOCKET set (systemd services, podman --sdnotify=container, Quadlet Notify=true), the
// container gets a socket of its own at /run/notify/notify.sock (the state directory's
// notify/ bound read-only, NOTIFY_SOCKET set in its environment), and `start` relays the
// container's READY=1, with MAINPID set to the container's init as the host sees it, to the
// caller's socket.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt {

inline constexpr const char* kNotifyInContainer = "/run/notify/notify.sock";

// create: makes <state_dir>/notify and adds its mount and NOTIFY_SOCKET to the config.
void add_notify_socket(spec::Config& config, const std::string& state_dir);

// start: the socket the container writes to, bound before the container runs.
class NotifyRelay {
public:
    NotifyRelay(const std::string& state_dir, std::string host_socket);
    ~NotifyRelay();
    NotifyRelay(const NotifyRelay&) = delete;
    NotifyRelay& operator=(const NotifyRelay&) = delete;
    // Waits for READY=1 from the container and passes it on; returns early when init exits.
    void relay_ready(pid_t init, int init_pidfd);

private:
    std::string path_, host_;
    UniqueFd sock_;
};

}  // namespace myrt
