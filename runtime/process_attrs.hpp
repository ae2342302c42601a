// Kernel attributes of the container's process that outlive execve: scheduling, I/O priority,
// CPU affinity, execution personality and NUMA memory policy. Each is applied to the calling
// process; errors are one line naming the config field.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

// process.scheduler and process.ioPriority when set. Before the process drops its
// privileges: a negative nice value, a real-time policy or class need CAP_SYS_NICE.
void apply_scheduling(const spec::Process& p);

// process.scheduler through sched_setattr(2); absent values are 0, as the spec says.
void apply_scheduler(const spec::Scheduler& s);

// process.ioPriority through ioprio_set(IOPRIO_WHO_PROCESS, 0, ...).
void apply_io_priority(const spec::IOPriority& p);

// A CPU list ("0-3,7") as the affinity; nullopt or "" means every CPU our cpuset allows.
// `field` names the list in errors ("process.execCPUAffinity.final").
void apply_cpu_affinity(const std::optional<std::string>& cpus, const std::string& field);

// linux.personality through personality(2).
void apply_personality(const spec::Personality& p);

// linux.memoryPolicy through set_mempolicy(2).
void apply_memory_policy(const spec::MemoryPolicy& m);

// The linux.memoryPolicy modes and flags this build knows (for `myrt features`).
std::vector<std::string> memory_policy_modes();
std::vector<std::string> memory_policy_flags();

}  // namespace myrt
