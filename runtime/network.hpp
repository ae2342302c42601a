// Networking on request: slirp4netns gives a container's new network namespace a user-mode
// route to the outside (for rootless containers too), with ports forwarded from the host.
// Asked for with annotations, so the bundle stays a plain OCI bundle:
//   "run.myrt.network": "slirp4netns"
//   "run.myrt.network.ports": "8080:80/tcp,127.0.0.1:5353:53/udp"
//   "run.myrt.network.host-loopback": "true"   (container may reach the host's 127.0.0.1 as 10.0.2.2)
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

struct PortForward {
    std::string proto = "tcp";
    std::string host_addr = "0.0.0.0";
    int host_port = 0;
    int guest_port = 0;
};

struct NetworkRequest {
    bool slirp = false;
    bool host_loopback = false;
    std::vector<PortForward> ports;
};

// Reads and checks the annotations; throws Error naming the annotation on bad input, when
// slirp4netns is asked for without a new network namespace, or when it is not installed.
NetworkRequest network_request(const spec::Config& config);

// Starts slirp4netns for the network namespace of `pid`, waits until the interface is up and
// the ports are forwarded. Its API socket and log live in state_dir. Returns its pid.
// netns_fd/userns_fd: init's namespaces (userns_fd -1 without a user namespace).
pid_t start_slirp(const NetworkRequest& request, const std::string& state_dir, int netns_fd,
                  int userns_fd);

// Ends a helper recorded in the state of the container in state_dir, if it is still the
// process started for it (slirp4netns with that directory's API socket), and waits for it.
void stop_helper(pid_t pid, const std::string& state_dir);

// A bind mount of <state_dir>/resolv.conf (pointing at slirp's DNS) onto /etc/resolv.conf,
// added when the bundle mounts none of its own.
void add_slirp_resolv_conf(spec::Config& config, const std::string& state_dir);

// Brings up "lo" in a new network namespace, as runc and crun do.
void bring_up_loopback();

}  // namespace myrt
