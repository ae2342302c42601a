// The API of slirp4netns (its --api-socket, slirp4netns(1) "API SOCKET"): a request is one
// JSON object {"execute": COMMAND, "arguments": {...}}; the reply is one JSON object,
// {"return": {...}} on success or {"error": {"desc": TEXT}} on failure.
#pragma once

#include <string>
#include <string_view>

namespace myrt::spec {

// add_hostfwd's arguments: forward host_addr:host_port on the host to guest_port in the
// container (guest_addr left to slirp4netns: the address --configure gave it).
struct SlirpHostFwd {
    std::string proto;      // tcp | udp
    std::string host_addr;  // IPv4
    int host_port = 0;
    int guest_port = 0;
};

// {"execute":"add_hostfwd","arguments":{"proto":..,"host_addr":..,"host_port":..,"guest_port":..}}
std::string add_hostfwd_request(const SlirpHostFwd& forward);

struct SlirpReply {
    bool failed = false;  // the reply has an "error" member
    std::string desc;     // error.desc when it is given as a string, else ""
};

// Throws ParseError ("slirp4netns reply: ...") when `reply` is not a JSON object.
SlirpReply parse_slirp_reply(std::string_view reply);

}  // namespace myrt::spec
