// The typed messages between `create` and the container's init over a SOCK_SEQPACKET pair:
// each send is one whole message, so no framing is needed and a dead peer reads as EOF.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace myrt {

enum class SyncType : uint32_t {
    go = 1,            // parent -> init: maps written, cgroup joined; payload: state JSON
    run_hooks = 2,     // init -> parent: run prestart and createRuntime hooks now
    hooks_done = 3,    // parent -> init
    ready = 4,         // init -> parent: set up, waiting for start
    error = 5,         // init -> parent: payload is the message, err the errno
};

struct SyncMessage {
    SyncType type{};
    int32_t err = 0;
    std::string payload;
};

class SyncChannel {
public:
    explicit SyncChannel(int fd) : fd_(fd) {}
    void send(SyncType type, std::string_view payload = {}, int err = 0) const;
    // Throws Error when the peer is gone (EOF) or the message is malformed.
    SyncMessage receive() const;
    // Receives and checks the type; an `error` message is rethrown as Error.
    SyncMessage expect(SyncType type) const;

private:
    int fd_;
};

}  // namespace myrt
