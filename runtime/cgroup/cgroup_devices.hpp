// linux.resources.devices for both drivers: the rule list (the config's rules in order, then
// the devices every container needs), as v1 devices.allow/deny lines or as the cgroup v2
// device eBPF program that enforces the same rules.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt::cgroupdev {

// Checks type and access of every rule; errors name the rule (linux.resources.devices[2]).
void validate(const std::vector<spec::DeviceCgroup>& rules);
// The config's rules followed by the defaults runc and crun add (mknod of anything, null,
// zero, full, random, urandom, tty, console, ptmx, the pts slaves); empty when the config
// has no rules.
std::vector<spec::DeviceCgroup> effective_rules(const std::vector<spec::DeviceCgroup>& rules);
// The v1 devices.allow / devices.deny line: "c 1:3 rwm", "a *:* rwm".
std::string v1_rule(const spec::DeviceCgroup& rule);

// A BPF_PROG_TYPE_CGROUP_DEVICE program enforcing `rules` with the v1 meaning of a list
// applied in order: for each access bit asked for (m, r, w), the last rule that matches the
// device and names that bit decides; a bit no rule decides is denied.
std::vector<bpf_insn> bpf_program(const std::vector<spec::DeviceCgroup>& rules);
// Loads `program` and attaches it to the cgroup directory (BPF_F_ALLOW_MULTI), then detaches
// the device programs attached there before, so that the new rules replace the old ones.
void attach_bpf(const std::string& cgroup_dir, const std::vector<bpf_insn>& program);
// Detaches every device program attached to the directory (none: nothing to do).
void detach_bpf(const std::string& cgroup_dir);

}  // namespace myrt::cgroupdev
