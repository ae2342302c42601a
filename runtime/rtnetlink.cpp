#include "runtime/rtnetlink.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "runtime/error.hpp"
#include "runtime/sync.hpp"

namespace myrt::rtnl {

// One request: the netlink header, the family header, then attributes, each padded to 4.
class Request {
public:
    Request(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN) {
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    }
    template <class Header>
    void header(const Header& h) { append(&h, sizeof h); }
    void attr(uint16_t type, const void* data, size_t len) {
        rtattr a{static_cast<unsigned short>(RTA_LENGTH(len)), type};
        append(&a, sizeof a);
        append(data, len);
    }
    void attr(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
    template <class Int>
    void attr_int(uint16_t type, Int v) { attr(type, &v, sizeof v); }
    nlmsghdr* finish(uint32_t seq) {
        hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
        hdr()->nlmsg_seq = seq;
        return hdr();
    }

private:
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    void append(const void* p, size_t n) {
        size_t at = buf_.size();
        buf_.resize(NLMSG_ALIGN(at + n));
        std::memcpy(buf_.data() + at, p, n);
    }
    std::vector<char> buf_;
};

namespace {

constexpr size_t kReceiveSize = 64 * 1024;  // more than the kernel puts in one dump batch
// What the kernel takes from a user adding an address (the rest it sets itself).
constexpr uint32_t kSettableFlags = IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_HOMEADDRESS |
                                    IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE |
                                    IFA_F_MCAUTOJOIN;

int raw_socket() {
    return ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

// Errors carry the kernel's own words (extended ack); acks do not echo the request. Both
// are best effort: an older kernel answers with the errno alone.
void configure(int fd) {
    int on = 1;
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
}

// Runs in the child of Socket::in(): enters the namespace, sends back a socket or an errno.
[[noreturn]] void make_socket_in(int netns_fd, int reply) {
    int err = 0, fd = -1;
    if (::setns(netns_fd, CLONE_NEWNET) < 0 || (fd = raw_socket()) < 0) err = errno;
    iovec iov{&err, sizeof err};
    ::_exit(send_with_fd(reply, &iov, 1, fd) < 0 ? 1 : 0);
}

std::string payload(const rtattr* a) {
    return std::string(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
}

std::string c_string(const rtattr* a) {
    auto* s = static_cast<const char*>(RTA_DATA(a));
    return std::string(s, strnlen(s, RTA_PAYLOAD(a)));
}

// NLMSGERR_ATTR_MSG of an error answer, "" when the kernel gave none (the attributes follow
// the nlmsgerr only when the request was not echoed: NETLINK_CAP_ACK).
std::string extack_message(const nlmsghdr* h) {
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || !(h->nlmsg_flags & NLM_F_CAPPED)) return {};
    size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nlmsgerr));
    if (h->nlmsg_len <= off) return {};
    auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(h) + off);
    int len = static_cast<int>(h->nlmsg_len - off);
    for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == NLMSGERR_ATTR_MSG) return c_string(a);
    return {};
}

[[noreturn]] void throw_error_answer(const nlmsghdr* h, int err) {
    std::string why = extack_message(h);
    throw Error(errno_text(err) + (why.empty() ? "" : " (" + why + ")"), err);
}

// The errno an answer carries: an error (0 is the ack) or the end of a dump.
int answer_errno(const nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return EBADMSG;
    return -*static_cast<const int*>(NLMSG_DATA(h));
}

Link parse_link(const nlmsghdr* h) {
    auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    Link l{ifi->ifi_index, ifi->ifi_flags, {}};
    int len = static_cast<int>(IFLA_PAYLOAD(h));
    for (auto* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_IFNAME) l.name = c_string(a);
    return l;
}

Address parse_address(const nlmsghdr* h) {
    auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    Address out;
    out.head = *ifa;
    out.flags = ifa->ifa_flags;
    int len = static_cast<int>(IFA_PAYLOAD(h));
    for (auto* a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
            case IFA_FLAGS:
                if (RTA_PAYLOAD(a) >= sizeof out.flags)
                    std::memcpy(&out.flags, RTA_DATA(a), sizeof out.flags);
                break;
            case IFA_LABEL: out.label = c_string(a); break;
            case IFA_ADDRESS:
            case IFA_LOCAL:
            case IFA_BROADCAST:
            case IFA_RT_PRIORITY:
            case IFA_PROTO: out.attrs.emplace_back(a->rta_type, payload(a)); break;
            default: break;  // lifetimes (permanent ones are forever), cache info, multicast
        }
    }
    return out;
}

}  // namespace

std::string Address::text() const {
    const std::string* addr = nullptr;
    for (const auto& [type, data] : attrs)
        if (type == IFA_LOCAL || (type == IFA_ADDRESS && !addr)) addr = &data;
    char buf[INET6_ADDRSTRLEN] = "?";
    if (addr) ::inet_ntop(head.ifa_family, addr->data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(head.ifa_prefixlen);
}

Socket::Socket() : Socket(UniqueFd(raw_socket())) {}

Socket::Socket(UniqueFd fd) : fd_(std::move(fd)) {
    if (!fd_) throw_errno("netlink socket");
    configure(fd_.get());
}

Socket Socket::in(int netns_fd) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd mine(sv[0]), theirs(sv[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) make_socket_in(netns_fd, theirs.get());
    theirs.reset();
    int err = 0;
    iovec iov{&err, sizeof err};
    UniqueFd sock;
    long n = receive_with_fd(mine.get(), &iov, 1, sock);
    if (n < 0) err = errno;
    else if (n != sizeof err || (!err && !sock)) err = EPIPE;  // the child died before answering
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (err) throw Error(errno_text(err), err);
    return Socket(std::move(sock));
}

void Socket::transact(Request& request,
                      const std::function<void(const nlmsghdr*)>& on_reply) const {
    uint32_t seq = ++seq_;
    nlmsghdr* req = request.finish(seq);
    if (::send(fd_.get(), req, req->nlmsg_len, 0) < 0) throw_errno("netlink send");
    std::vector<char> buf(kReceiveSize);
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("netlink receive");
        int len = static_cast<int>(n);
        auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
        for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq) continue;  // a late answer to an earlier request
            if (h->nlmsg_type == NLMSG_ERROR) {
                if (int err = answer_errno(h)) throw_error_answer(h, err);
                return;
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                if (int err = answer_errno(h); err > 0) throw Error(errno_text(err), err);
                return;
            }
            // A dump marked NLM_F_DUMP_INTR (changed while listed) is taken as it is, as
            // runc and crun do: nothing else should be changing these interfaces meanwhile.
            on_reply(h);
        }
    }
}

std::optional<Link> Socket::get_link(int index, const std::string& name) const {
    Request r(RTM_GETLINK, NLM_F_ACK);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    r.header(ifi);
    if (!name.empty()) r.attr(IFLA_IFNAME, name);
    r.attr_int<uint32_t>(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);  // a smaller answer
    std::optional<Link> found;
    try {
        transact(r, [&](const nlmsghdr* h) {
            if (h->nlmsg_type == RTM_NEWLINK) found = parse_link(h);
        });
    } catch (const Error& e) {
        if (e.code() != ENODEV) throw;
    }
    return found;
}

std::optional<Link> Socket::link(const std::string& name) const { return get_link(0, name); }

std::optional<Link> Socket::link(int index) const { return get_link(index, {}); }

std::set<int> Socket::link_indexes() const {
    Request r(RTM_GETLINK, NLM_F_DUMP);
    r.header(ifinfomsg{});
    r.attr_int<uint32_t>(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    std::set<int> out;
    transact(r, [&](const nlmsghdr* h) {
        if (h->nlmsg_type == RTM_NEWLINK)
            out.insert(static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index);
    });
    return out;
}

std::vector<Address> Socket::addresses(int index) const {
    Request r(RTM_GETADDR, NLM_F_DUMP);
    r.header(ifaddrmsg{});
    std::vector<Address> out;
    transact(r, [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWADDR) return;
        if (static_cast<int>(static_cast<const ifaddrmsg*>(NLMSG_DATA(h))->ifa_index) == index)
            out.push_back(parse_address(h));
    });
    return out;
}

void Socket::move_link(int index, const std::string& name, int netns_fd, int new_index) const {
    Request r(RTM_SETLINK, NLM_F_ACK);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    r.header(ifi);
    // One request: the name is taken in the target namespace only, so a device named like
    // one of the host's (eth0) can go in, and no host interface is ever renamed.
    r.attr(IFLA_IFNAME, name);
    r.attr_int<uint32_t>(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
    if (new_index > 0) r.attr_int<int32_t>(IFLA_NEW_IFINDEX, new_index);
    transact(r, [](const nlmsghdr*) {});
}

void Socket::add_address(int index, const Address& a) const {
    Request r(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    ifaddrmsg head = a.head;
    head.ifa_index = static_cast<uint32_t>(index);
    head.ifa_flags = static_cast<uint8_t>(a.flags & kSettableFlags);
    r.header(head);
    for (const auto& [type, data] : a.attrs) r.attr(type, data.data(), data.size());
    if (!a.label.empty()) r.attr(IFA_LABEL, a.label);
    r.attr_int<uint32_t>(IFA_FLAGS, a.flags & kSettableFlags);
    transact(r, [](const nlmsghdr*) {});
}

void Socket::set_up(int index) const {
    Request r(RTM_SETLINK, NLM_F_ACK);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
    r.header(ifi);
    transact(r, [](const nlmsghdr*) {});
}

}  // namespace myrt::rtnl
