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

void SyncChannel::send(SyncType type, std::string_view payload, int err) const {
    Header h{static_cast<uint32_t>(type), err};
    if (payload.size() > kMaxPayload) payload = payload.substr(0, kMaxPayload);
    iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(payload.data()), payload.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t n;
    do n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("sync: send");
}

SyncMessage SyncChannel::receive() const {
    std::string buf(sizeof(Header) + kMaxPayload, '\0');
    ssize_t n;
    do n = ::recv(fd_, buf.data(), buf.size(), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("sync: receive");
    if (n == 0) throw Error("container init exited during setup", ECHILD);
    if (static_cast<size_t>(n) < sizeof(Header)) throw Error("sync: short message");
    Header h;
    memcpy(&h, buf.data(), sizeof h);
    return {static_cast<SyncType>(h.type), h.err, buf.substr(sizeof h, n - sizeof h)};
}

SyncMessage SyncChannel::expect(SyncType type) const {
    SyncMessage m = receive();
    if (m.type == SyncType::error) throw Error(m.payload, m.err);
    if (m.type != type) throw Error("sync: unexpected message " + std::to_string(int(m.type)));
    return m;
}

}  // namespace myrt
