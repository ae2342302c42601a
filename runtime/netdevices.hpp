// linux.netDevices (config-linux.md "Network Devices"): `create` moves each named host
// interface into the container's network namespace, under the name asked for, with its
// permanent global addresses, and sets it up.
//
// The runtime never moves them out again: the spec says it "MUST NOT attempt to move the
// interface out of the namespace before deletion". When the namespace dies, the kernel
// returns physical interfaces to the initial namespace (under their names inside) and
// destroys virtual ones (dummy, veth, macvlan...). Only a create that fails moves them back,
// under their own names, with their addresses and up state: runtime.md "Errors" wants a
// failed operation to leave the environment as if it had not been attempted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/rtnetlink.hpp"
#include "spec/config.hpp"

namespace myrt {

using NetDevices = std::map<std::string, spec::NetDevice>;

// Throws `linux.netDevices["<key>"]: no such network interface` for a key that names no
// interface of the runtime's network namespace: checked before create makes anything.
void check_net_devices_present(const NetDevices& devices);

// The moves of one create, undone unless committed.
class NetDeviceMoves {
public:
    explicit NetDeviceMoves(const NetDevices& devices) : devices_(devices) {}
    ~NetDeviceMoves();  // not committed: moves back what was moved (a warning when it cannot)
    NetDeviceMoves(const NetDeviceMoves&) = delete;
    NetDeviceMoves& operator=(const NetDeviceMoves&) = delete;

    bool empty() const { return devices_.empty(); }
    // Moves every device into netns_fd (init's network namespace). Throws Error naming the
    // JSON path; what was moved before the failure stays there until the destructor.
    void into(int netns_fd);
    // The container exists: its devices are its namespace's from now on.
    void commit() noexcept { committed_ = true; }

private:
    struct Moved {
        std::string key;                        // in linux.netDevices
        rtnl::Link host;                        // index, flags and name on the host
        std::vector<rtnl::Address> addresses;   // its permanent addresses on the host
        int inside_index = 0;                   // asked for: found again whatever its name
    };
    void move_one(const std::string& key, const spec::NetDevice& device, int netns_fd);
    void configure_inside(const Moved& m) const;
    void move_back(const Moved& m) const;

    const NetDevices& devices_;
    UniqueFd host_ns_;  // to move back into
    std::optional<rtnl::Socket> host_, inside_;
    std::vector<Moved> moved_;
    bool committed_ = false;
};

}  // namespace myrt
