#include "runtime/netdevices.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>

#include <linux/rtnetlink.h>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "spec/json.hpp"

namespace myrt {

namespace {

std::string json_path(const std::string& key) {
    return "linux.netDevices[" + spec::json::quote(key) + "]";
}

// Runs f; an Error it throws is rethrown as "<what>: <its message>".
template <class F>
void in_context(const std::string& what, F&& f) {
    try {
        f();
    } catch (const Error& e) {
        throw Error(what + ": " + e.what(), e.code());
    }
}

bool same_namespace(int a, int b) {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

// What was configured by hand stays (IFA_F_PERMANENT); addresses with a lifetime (DHCP,
// SLAAC) belong to whatever gave them, in the namespace they came from.
std::vector<rtnl::Address> permanent(std::vector<rtnl::Address> all) {
    std::erase_if(all, [](const rtnl::Address& a) { return !(a.flags & IFA_F_PERMANENT); });
    return all;
}

// The interface's index inside: its own when free there (what the kernel would pick too),
// else one past the highest.
int free_index(const rtnl::Socket& inside, int wanted) {
    std::set<int> used = inside.link_indexes();
    if (!used.count(wanted)) return wanted;
    return *used.rbegin() + 1;
}

// An IPv4 label "<name>" or "<name>:<alias>" follows a rename, as the kernel's own renames
// do (inetdev_changename); any other label is kept as it is.
std::string relabel(const std::string& label, const std::string& from, const std::string& to) {
    if (label != from && !label.starts_with(from + ":")) return label;
    std::string moved = to + label.substr(from.size());
    return moved.size() < IFNAMSIZ ? moved : label;
}

std::string move_failure(const Error& e, const std::string& name) {
    if (e.code() == EEXIST)
        return "the container's network namespace already has an interface named " +
               spec::json::quote(name);
    return "move into the container's network namespace as " + spec::json::quote(name) + ": " +
           e.what();
}

}  // namespace

void check_net_devices_present(const NetDevices& devices) {
    if (devices.empty()) return;
    rtnl::Socket host;
    for (const auto& [key, device] : devices)
        if (!host.link(key)) throw Error(json_path(key) + ": no such network interface", ENODEV);
}

void NetDeviceMoves::into(int netns_fd) {
    host_ns_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!host_ns_) throw_errno("linux.netDevices: open /proc/thread-self/ns/net");
    // A path joining the runtime's own namespace: nothing would move, host interfaces would
    // only be renamed.
    if (same_namespace(host_ns_.get(), netns_fd))
        throw Error("linux.netDevices: the container's network namespace is the runtime's own "
                    "(linux.namespaces joins it by path)", EINVAL);
    host_.emplace();
    in_context("linux.netDevices: enter the container's network namespace",
               [&] { inside_.emplace(rtnl::Socket::in(netns_fd)); });
    for (const auto& [key, device] : devices_) move_one(key, device, netns_fd);
}

void NetDeviceMoves::move_one(const std::string& key, const spec::NetDevice& device,
                              int netns_fd) {
    std::optional<rtnl::Link> link = host_->link(key);
    if (!link) throw Error(json_path(key) + ": no such network interface", ENODEV);
    Moved m{key, *link, {}, 0};
    in_context(json_path(key) + ": list its addresses",
               [&] { m.addresses = permanent(host_->addresses(link->index)); });
    m.inside_index = free_index(*inside_, link->index);
    const std::string& name = device.name.value_or(key);
    try {
        // Move and rename in one request: no name clash on the host in between.
        host_->move_link(link->index, name, netns_fd, m.inside_index);
    } catch (const Error& e) {
        // The kernel renames after the move: a refused name leaves the interface inside.
        if (inside_->link(m.inside_index)) moved_.push_back(std::move(m));
        throw Error(json_path(key) + ": " + move_failure(e, name), e.code());
    }
    moved_.push_back(std::move(m));
    configure_inside(moved_.back());
}

// The kernel drops an interface's addresses when it changes namespace: the global ones are
// added again inside (the spec: "all permanent IP addresses ... with global scope"), then
// the interface is set up (the spec: "MUST set the network device state to up").
void NetDeviceMoves::configure_inside(const Moved& m) const {
    std::string at = json_path(m.key);
    std::optional<rtnl::Link> inside = inside_->link(m.inside_index);
    if (!inside) throw Error(at + ": gone from the container's network namespace", ENODEV);
    for (rtnl::Address a : m.addresses) {
        if (a.head.ifa_scope != RT_SCOPE_UNIVERSE) continue;
        a.label = relabel(a.label, m.host.name, inside->name);
        in_context(at + ": add address " + a.text() + " in the container",
                   [&] { inside_->add_address(inside->index, a); });
    }
    in_context(at + ": set " + spec::json::quote(inside->name) + " up in the container",
               [&] { inside_->set_up(inside->index); });
}

// Back under its own name and, when free, its own index; then its addresses and state.
void NetDeviceMoves::move_back(const Moved& m) const {
    try {
        inside_->move_link(m.inside_index, m.host.name, host_ns_.get(), m.host.index);
    } catch (const Error& e) {
        if (e.code() != EBUSY) throw;  // the index was taken meanwhile
        inside_->move_link(m.inside_index, m.host.name, host_ns_.get(), 0);
    }
    std::optional<rtnl::Link> back = host_->link(m.host.name);
    if (!back) throw Error("not found on the host after the move back", ENODEV);
    for (const rtnl::Address& a : m.addresses) {
        try {
            host_->add_address(back->index, a);
        } catch (const Error& e) {
            if (e.code() != EEXIST) throw;  // e.g. an IPv6 link-local address made anew
        }
    }
    if (m.host.flags & IFF_UP) host_->set_up(back->index);
}

NetDeviceMoves::~NetDeviceMoves() {
    if (committed_) return;
    for (auto it = moved_.rbegin(); it != moved_.rend(); ++it) {
        try {
            move_back(*it);
        } catch (const std::exception& e) {
            log::warn(json_path(it->key) + ": could not be moved back to the host after the "
                      "failed create: " + e.what());
        }
    }
}

}  // namespace myrt
