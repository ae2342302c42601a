// `myrt features`: the features document of features.md and features-linux.md.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace myrt::spec {

struct Enabled {
    bool enabled = false;
};

struct Features {
    std::string ociVersionMin;
    std::string ociVersionMax;
    std::vector<std::string> hooks;
    std::vector<std::string> mountOptions;
    struct Linux {
        std::vector<std::string> namespaces;
        std::vector<std::string> capabilities;
        struct Cgroup {
            bool v1 = false, v2 = false, systemd = false, systemdUser = false, rdma = false;
        } cgroup;
        struct Seccomp {
            bool enabled = false;
            std::vector<std::string> actions, operators, archs, knownFlags, supportedFlags;
        } seccomp;
        struct MemoryPolicy {
            std::vector<std::string> modes, flags;
        } memoryPolicy;
        Enabled apparmor, selinux, intelRdt;
        struct MountExtensions {
            Enabled idmap;
        } mountExtensions;
        Enabled netDevices;
    } linux;
    // In the order given (a std::map would sort them): the output stays as it always was.
    std::vector<std::pair<std::string, std::string>> annotations;
    std::vector<std::string> potentiallyUnsafeConfigAnnotations;
};

// One compact object of valid UTF-8; every member is written, empty lists included.
std::string to_json(const Features& features);
// Throws ParseError naming the path of a missing or malformed member (for tests).
Features parse_features(std::string_view json);

}  // namespace myrt::spec
