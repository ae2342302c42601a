#include "runtime/features.hpp"

#include <vector>

#include "runtime/cgroup/systemd.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/container.hpp"
#include "runtime/criu.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/security/seccomp.hpp"
#include "spec/features.hpp"

namespace myrt {

namespace {

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
    spec::Features f;
    f.ociVersionMin = "1.0.0";
    f.ociVersionMax = kOciVersion;
    f.hooks = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
               "poststop"};
    f.mountOptions = kMountOptions;
    auto& l = f.linux;
    l.namespaces = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
    l.capabilities = known_capabilities();
    // systemd: when myrt-systemd (sd-bus) was built and installed beside myrt.
    bool sd = systemd_driver_available();
    l.cgroup = {.v1 = true, .v2 = true, .systemd = sd, .systemdUser = sd, .rdma = true};
    // What this build's tables name, and the flags the running kernel accepts (probed).
    SeccompFeatures sf = seccomp_features();
    l.seccomp = {.enabled = true,
                 .actions = sf.actions,
                 .operators = sf.operators,
                 .archs = sf.archs,
                 .knownFlags = sf.known_flags,
                 .supportedFlags = sf.supported_flags};
    l.memoryPolicy = {.modes = memory_policy_modes(), .flags = memory_policy_flags()};
    // features-linux.md: whether the runtime supports the module, "irrelevant to the
    // availability of AppArmor on the host" (a host without it refuses a label at create).
    l.apparmor.enabled = true;
    l.selinux.enabled = true;
    l.intelRdt.enabled = false;
    l.mountExtensions.idmap.enabled = true;
    l.netDevices.enabled = true;
    f.annotations.emplace_back("run.myrt.version", MYRT_VERSION);
    // checkpoint and restore work only with CRIU installed.
    if (std::string criu = find_criu(); !criu.empty())
        f.annotations.emplace_back("run.myrt.criu", std::move(criu));
    // They start a helper (slirp4netns) and publish host ports.
    f.potentiallyUnsafeConfigAnnotations = {"run.myrt.network", "run.myrt.network."};
    return spec::to_json(f);
}

}  // namespace myrt
