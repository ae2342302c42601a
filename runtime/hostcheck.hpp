// `myrt check`: what containers need from this host, looked at for real before the first
// one runs, with the one thing to do about each problem. Every probe is harmless: system
// calls are made on the caller's own objects or with arguments the kernel refuses only
// after it has recognised the call (ENOSYS then means the kernel lacks it, EPERM that a
// seccomp filter or an LSM of the caller's sandbox blocks it); namespaces are made by a
// child that exits at once; nothing is written to the host.
#pragma once

#include <string>
#include <vector>

#include "spec/check.hpp"

namespace myrt {

struct HostCheckOptions {
    std::string state_root;  // the --root myrt would use ("" when it has none)
    bool rootless = false;   // for an unprivileged caller (what `myrt spec` writes differs)
};

// In a fixed order: kernel, system calls, namespaces, cgroups, systemd, rootless helpers,
// networking, CRIU, LSMs, the state directory.
std::vector<spec::CheckFinding> check_host(const HostCheckOptions& options);

// Lines for a terminal (status, what, detail; a "fix:" line under each problem) and a
// closing verdict on the default container.
std::string check_report(const std::vector<spec::CheckFinding>& findings, bool rootless);

// False when something a default container needs is missing.
bool host_ready(const std::vector<spec::CheckFinding>& findings);

}  // namespace myrt
