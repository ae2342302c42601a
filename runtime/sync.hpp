// The typed messages between `create` and the container's init over a SOCK_SEQPACKET pair:
// a dead peer reads as EOF. A payload of any size (up to 256 MiB) arrives whole: the
// header gives its size and what does not fit one message follows in further ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/fd.hpp"

struct iovec;

namespace myrt {

enum class SyncType : uint32_t {
    go = 1,            // parent -> init: maps written, cgroup joined; payload: state JSON
    run_hooks = 2,     // init -> parent: run prestart and createRuntime hooks now
    hooks_done = 3,    // parent -> init
    ready = 4,         // init -> parent: set up, waiting for start
    error = 5,         // init -> parent: payload is the message, err the errno
    // init -> parent: the SCMP_ACT_NOTIFY listener fd rides along (see runtime/security/seccomp.hpp)
    seccomp_listener = 6,
    // init -> parent: one of init's namespaces ("user", "net") for a helper such as
    // slirp4netns; init is not dumpable, so nobody else may open its /proc/<pid>/ns.
    namespace_fd = 7,
    // exec's intermediate process -> runtime: payload is the pid of the process it forked
    // inside the container's pid namespace (rootless exec, see runtime/exec.cpp).
    exec_pid = 8,
    // exec's child -> runtime: it is in the container's cgroup; the runtime may unlock.
    cgroup_joined = 9,
    // runtime -> exec's child: its seccomp listener reached listenerPath; it may go on.
    listener_passed = 10,
    // init -> runtime: open mounts[payload] for me (runtime/fs/mount_source.hpp)
    mount_request = 11,
    // runtime -> init: the detached mount, as its fd
    mount_source = 12,
    // runtime -> init, answering its "net" namespace_fd: linux.netDevices are in (see
    // runtime/netdevices.hpp); createContainer hooks and the program find them there.
    net_devices_moved = 13,
    // init -> runtime: one step of --debug's trace (runtime/log.hpp), logged by the runtime
    // so that the log has one writer; receive() takes these in passing.
    log_step = 14,
};

struct SyncMessage {
    SyncType type{};
    int32_t err = 0;
    std::string payload;
    UniqueFd fd;  // a descriptor passed with the message (SCM_RIGHTS), if any
};

class SyncChannel {
public:
    explicit SyncChannel(int fd) : fd_(fd) {}
    // fd >= 0: passed along with the message (SCM_RIGHTS); the peer finds it in
    // SyncMessage::fd.
    void send(SyncType type, std::string_view payload = {}, int err = 0, int fd = -1) const;
    // Throws Error when the peer is gone (EOF) or the message is malformed. Trace steps
    // (log_step) are logged and skipped.
    SyncMessage receive() const;
    // Receives and checks the type; an `error` message is rethrown as Error.
    SyncMessage expect(SyncType type) const;

private:
    SyncMessage receive_one() const;
    int fd_;
};

// One sendmsg(2) of iov with `fd` attached as SCM_RIGHTS (none when fd < 0), retried on
// EINTR, without SIGPIPE. Returns what sendmsg returned (-1 with errno set on failure).
long send_with_fd(int sock, const iovec* iov, size_t iovlen, int fd);

// One recvmsg(2) into iov, retried on EINTR. A descriptor that came with it (SCM_RIGHTS) is
// owned by `passed`, close-on-exec. Returns what recvmsg returned; -1 with EBADMSG when more
// descriptors came than one (the kernel closes the excess).
long receive_with_fd(int sock, iovec* iov, size_t iovlen, UniqueFd& passed);

}  // namespace myrt
