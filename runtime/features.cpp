#include "runtime/features.hpp"

#include <initializer_list>
#include <vector>

#include "runtime/cgroup/systemd.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/container.hpp"
#include "runtime/criu.hpp"
#include "runtime/log.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/security/seccomp.hpp"

namespace myrt {

namespace {

void array(std::string& out, const char* key, const std::vector<std::string>& values) {
    out += "\"";
    out += key;
    out += "\":[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        log::append_json_string(out, values[i]);
    }
    out += "]";
}

const std::vector<std::string> kMountOptions{
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
    "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
    "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
    "ratime", "rbind", "rdev", "ridmap", "rdiratime", "relatime", "remount", "rexec", "rnoatime",
    "rnodev", "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid",
    "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave",
    "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave",
    "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable"};

}  // namespace

std::string features_json() {
    std::string out = "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"";
    out += kOciVersion;
    out += "\",";
    array(out, "hooks", {"prestart", "createRuntime", "createContainer", "startContainer",
                         "poststart", "poststop"});
    out += ",";
    array(out, "mountOptions", kMountOptions);
    out += ",\"linux\":{";
    array(out, "namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"});
    out += ",";
    array(out, "capabilities", known_capabilities());
    // systemd: when myrt-systemd (sd-bus) was built and installed beside myrt.
    const char* sd = systemd_driver_available() ? "true" : "false";
    out += ",\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":";
    out += sd;
    out += ",\"systemdUser\":";
    out += sd;
    out += ",\"rdma\":true},\"seccomp\":{\"enabled\":true,";
    // What this build's tables name, and the flags the running kernel accepts (probed).
    SeccompFeatures sf = seccomp_features();
    array(out, "actions", sf.actions);
    out += ",";
    array(out, "operators", sf.operators);
    out += ",";
    array(out, "archs", sf.archs);
    out += ",";
    array(out, "knownFlags", sf.known_flags);
    out += ",";
    array(out, "supportedFlags", sf.supported_flags);
    out += "},\"memoryPolicy\":{";
    array(out, "modes", memory_policy_modes());
    out += ",";
    array(out, "flags", memory_policy_flags());
    // features-linux.md: whether the runtime supports the module, "irrelevant to the
    // availability of AppArmor on the host" (a host without it refuses a label at create).
    out += "},\"apparmor\":{\"enabled\":true},\"selinux\":{\"enabled\":true},"
           "\"intelRdt\":{\"enabled\":false},"
           "\"mountExtensions\":{\"idmap\":{\"enabled\":true}},"
           "\"netDevices\":{\"enabled\":true}},"
           "\"annotations\":{\"run.myrt.version\":\"" MYRT_VERSION "\"";
    // checkpoint and restore work only with CRIU installed.
    std::string criu = find_criu();
    if (!criu.empty()) {
        out += ",\"run.myrt.criu\":";
        log::append_json_string(out, criu);
    }
    // They start a helper (slirp4netns) and publish host ports.
    out += "},\"potentiallyUnsafeConfigAnnotations\":[\"run.myrt.network\",\"run.myrt.network.\"]}";
    return out;
}

}  // namespace myrt
