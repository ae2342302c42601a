#include "runtime/sync.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {
struct Header {
    uint32_t type;
    int32_t err;
    uint64_t size;  // of the whole payload; what the first message cannot hold follows
};
// A SOCK_SEQPACKET message must fit the socket's send buffer (EMSGSIZE beyond): a payload
// travels in messages of at most kChunk bytes, the first one behind the header, the rest
// as bare bytes. The state JSON (annotations!) is as large as config.json allows.
constexpr size_t kChunk = 32 * 1024;
// Beyond any state of a config.json within its 64 MiB: more is a broken peer.
constexpr uint64_t kMaxPayload = 256ull << 20;

// One message: the header (first message only) and a chunk of the payload.
void send_message(int sock, const Header* header, std::string_view chunk, int fd) {
    iovec iov[2];
    size_t n = 0;
    if (header) iov[n++] = {const_cast<Header*>(header), sizeof *header};
    iov[n++] = {const_cast<char*>(chunk.data()), chunk.size()};
    if (send_with_fd(sock, iov, n, fd) < 0) throw_errno("sync: send");
}

// The payload's remaining bytes after the first message.
void receive_rest(int sock, std::string& payload, size_t size) {
    if (payload.size() >= size) return;
    auto buf = std::make_unique_for_overwrite<char[]>(kChunk);
    while (payload.size() < size) {
        iovec iov{buf.get(), kChunk};
        UniqueFd stray;  // a chunk carries no descriptor: one that came is closed
        long n = receive_with_fd(sock, &iov, 1, stray);
        if (n < 0) throw_errno("sync: receive");
        // A clean EOF (ECHILD) means "the peer is gone" to the callers; mid-message it is not.
        if (n == 0) throw Error("sync: the peer went away in the middle of a message", EPIPE);
        if (static_cast<size_t>(n) > size - payload.size()) throw Error("sync: malformed message");
        payload.append(buf.get(), static_cast<size_t>(n));
    }
}
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
    if (payload.size() > kMaxPayload)
        throw Error("sync: message of " + std::to_string(payload.size()) + " bytes is too large",
                    EMSGSIZE);
    Header h{static_cast<uint32_t>(type), err, payload.size()};
    send_message(fd_, &h, payload.substr(0, kChunk), fd);
    for (size_t off = kChunk; off < payload.size(); off += kChunk)
        send_message(fd_, nullptr, payload.substr(off, kChunk), -1);
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
    for (;;) {
        SyncMessage m = receive_one();
        if (m.type != SyncType::log_step) return m;
        log::replay_step(m.payload);
    }
}

SyncMessage SyncChannel::receive_one() const {
    // Not zeroed: most messages are a bare 16-byte header, and zeroing 32 KB for each one
    // was a memset and, in init (a fork), 8 copy-on-write page faults.
    auto buf = std::make_unique_for_overwrite<char[]>(sizeof(Header) + kChunk);
    iovec iov{buf.get(), sizeof(Header) + kChunk};
    // Owned from here, so that a descriptor nobody asked for is closed, not leaked.
    UniqueFd passed;
    long n = receive_with_fd(fd_, &iov, 1, passed);
    if (n < 0) throw_errno("sync: receive");
    if (n == 0) throw Error("container init exited during setup", ECHILD);
    if (static_cast<size_t>(n) < sizeof(Header)) throw Error("sync: short message");
    Header h;
    memcpy(&h, buf.get(), sizeof h);
    size_t first = static_cast<size_t>(n) - sizeof h;
    if (h.size > kMaxPayload || first != std::min<uint64_t>(h.size, kChunk))
        throw Error("sync: malformed message");
    std::string payload(buf.get() + sizeof h, first);
    receive_rest(fd_, payload, h.size);
    return {static_cast<SyncType>(h.type), h.err, std::move(payload), std::move(passed)};
}

SyncMessage SyncChannel::expect(SyncType type) const {
    SyncMessage m = receive();
    if (m.type == SyncType::error) throw Error(m.payload, m.err);
    if (m.type != type) throw Error("sync: unexpected message " + std::to_string(int(m.type)));
    return m;
}

}  // namespace myrt
