#include "runtime/sync.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

#include "runtime/error.hpp"

namespace myrt {

namespace {
struct Header {
    uint32_t type;
    int32_t err;
};
constexpr size_t kMaxPayload = 64 * 1024;
}  // namespace

long send_with_fd(int sock, const iovec* iov, size_t iovlen, int fd) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = iovlen;
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

void SyncChannel::send(SyncType type, std::string_view payload, int err, int fd) const {
    Header h{static_cast<uint32_t>(type), err};
    if (payload.size() > kMaxPayload) payload = payload.substr(0, kMaxPayload);
    iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(payload.data()), payload.size()}};
    if (send_with_fd(fd_, iov, 2, fd) < 0) throw_errno("sync: send");
}

long receive_with_fd(int sock, iovec* iov, size_t iovlen, UniqueFd& passed) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = iovlen;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return n;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(sizeof(int)))
            continue;
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        passed.reset(fd);
    }
    if (msg.msg_flags & MSG_CTRUNC) {
        errno = EBADMSG;
        return -1;
    }
    return n;
}

SyncMessage SyncChannel::receive() const {
    std::string buf(sizeof(Header) + kMaxPayload, '\0');
    iovec iov{buf.data(), buf.size()};
    // Owned from here, so that a descriptor nobody asked for is closed, not leaked.
    UniqueFd passed;
    long n = receive_with_fd(fd_, &iov, 1, passed);
    if (n < 0) throw_errno("sync: receive");
    if (n == 0) throw Error("container init exited during setup", ECHILD);
    if (static_cast<size_t>(n) < sizeof(Header)) throw Error("sync: short message");
    Header h;
    memcpy(&h, buf.data(), sizeof h);
    return {static_cast<SyncType>(h.type), h.err, buf.substr(sizeof h, n - sizeof h),
            std::move(passed)};
}

SyncMessage SyncChannel::expect(SyncType type) const {
    SyncMessage m = receive();
    if (m.type == SyncType::error) throw Error(m.payload, m.err);
    if (m.type != type) throw Error("sync: unexpected message " + std::to_string(int(m.type)));
    return m;
}

}  // namespace myrt
