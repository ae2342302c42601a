// rtnetlink (NETLINK_ROUTE) requests about links and addresses, without a library: what
// runtime/netdevices.cpp needs to move an interface from one network namespace to another.
// Errors are Error("<errno text>[ (<the kernel's extended ack message>)]", errno): callers
// say what they were doing.
#pragma once

#include <linux/if_addr.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/fd.hpp"

struct nlmsghdr;

namespace myrt::rtnl {

struct Link {
    int index = 0;
    unsigned flags = 0;  // IFF_*
    std::string name;
};

// An address as the kernel lists it, kept so that it can be added again elsewhere.
struct Address {
    ifaddrmsg head{};    // family, prefix length, scope (index and flags are set on adding)
    uint32_t flags = 0;  // IFA_F_*: the IFA_FLAGS attribute, else the header's 8 bits
    std::string label;   // IPv4's IFA_LABEL ("" when none)
    // IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_RT_PRIORITY, IFA_PROTO: type, payload
    std::vector<std::pair<uint16_t, std::string>> attrs;
    std::string text() const;  // "10.1.2.3/24"
};

class Request;

class Socket {
public:
    // A socket in the caller's network namespace.
    Socket();
    // A socket in the network namespace netns_fd. A child process enters it and hands the
    // socket back: the caller's own namespace never changes (its hooks and helpers start
    // from there).
    static Socket in(int netns_fd);

    std::optional<Link> link(const std::string& name) const;  // nullopt: no such interface
    std::optional<Link> link(int index) const;
    std::set<int> link_indexes() const;
    std::vector<Address> addresses(int index) const;
    // Moves interface `index` into netns_fd and names it `name` there (with one "%d" the
    // kernel numbers it); new_index > 0 asks for that index in the target namespace.
    void move_link(int index, const std::string& name, int netns_fd, int new_index) const;
    // Adds `a` to interface `index` (its label as given; flags the kernel takes from a user).
    void add_address(int index, const Address& a) const;
    void set_up(int index) const;

private:
    explicit Socket(UniqueFd fd);
    // Sends the request and hands each answering message to on_reply until the kernel's ack
    // (or the end of a dump); an error answer throws.
    void transact(Request& request, const std::function<void(const nlmsghdr*)>& on_reply) const;
    std::optional<Link> get_link(int index, const std::string& name) const;

    UniqueFd fd_;
    mutable uint32_t seq_ = 0;
};

}  // namespace myrt::rtnl
