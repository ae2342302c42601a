// Linux security modules: process.apparmorProfile, process.selinuxLabel and
// linux.mountLabel, applied as runc applies them. A label for a module the host does not
// run is refused at create/exec (runtime.md: a property that cannot be applied MUST fail
// create) rather than the container running unconfined while its engine believes it
// confined.
#pragma once

#include <optional>
#include <string>

#include "spec/config.hpp"

namespace myrt {

// Whether the host runs the module (not whether this build supports it: it supports both).
bool apparmor_enabled();
bool selinux_enabled();

// In the runtime, before anything is made: throws for the first label that is set for a
// module the host does not run, naming `where` + its JSON member and the value.
void check_lsm_labels(const spec::Process& process, const std::string& where);
void check_mount_label(const std::optional<std::string>& mount_label);

// In the container's process, once nothing but the final steps is left: the AppArmor
// profile and the SELinux label it gets at its execve (/proc/thread-self/attr/.../exec;
// the current confinement is unchanged until then). A profile that is not loaded fails
// here, in one line naming `where` + the member.
void set_exec_labels(const spec::Process& process, const std::string& where);

// runc's keyring label: the session keyring init joins is made with the process's label.
void set_keyring_label(const spec::Process& process);

// linux.mountLabel as the data option of a new mount: `data` plus context="LABEL".
std::string with_mount_label(const std::string& data, const std::string& label);

}  // namespace myrt
