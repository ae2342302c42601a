// Linux security modules: process.apparmorProfile, process.selinuxLabel and
// linux.mountLabel. No code of this build applies them yet, so they are refused
// (runtime.md: a property that cannot be applied MUST fail create) rather than the
// container running unconfined while its engine believes it confined.
#pragma once

#include <optional>
#include <string>

#include "spec/config.hpp"

namespace myrt {

bool apparmor_enabled();
bool selinux_enabled();

// Throws for the first label that is set, naming `where` + its JSON member and the value,
// and why it cannot be applied (the host has no such LSM, or this build does not apply it).
void refuse_lsm_labels(const spec::Process& process, const std::string& where);
void refuse_mount_label(const std::optional<std::string>& mount_label);

}  // namespace myrt
