// The config.json that `myrt spec` writes: runs `sh` in ./rootfs, like `runc spec`, and the
// quick-run options that turn it into a ready bundle in one command (the seeds' `run`):
//   myrt spec --args "stress --vm 1 --vm-bytes 300M" --memory 200M --cpus 0.5
//             --hostname my-container --network slirp4netns --publish 8080:80 --tty
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

struct SpecOptions {
    bool rootless = false;
    std::string args;        // a command line, split on whitespace ('...' and "..." group)
    std::string memory;      // 200M, 1G, 512k or bytes
    std::string cpus;        // 0.5 = half a CPU
    std::string hostname;
    std::string network;     // slirp4netns | none
    std::vector<std::string> publish;  // [HOST_ADDR:]HOST_PORT:PORT[/tcp|udp]
    std::vector<std::string> env;      // KEY=VALUE
    std::string rootfs;      // default "rootfs"
    std::optional<bool> tty; // default: a terminal only for the interactive default `sh`
    bool seccomp = false;    // add a default seccomp profile (Docker's dangerous calls denied)
    bool cgroupns = false;   // add a cgroup namespace
};

spec::Config default_config(bool rootless);
// Throws Error naming the option on bad values.
spec::Config quick_config(const SpecOptions& options);

// "200M" -> 209715200. Throws Error naming `what` on a bad size.
int64_t parse_size(const std::string& text, const std::string& what);

}  // namespace myrt
