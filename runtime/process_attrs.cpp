#include "runtime/process_attrs.hpp"

#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/error.hpp"

namespace myrt {

namespace {

struct Name {
    std::string_view name;
    unsigned value;
};
using Names = std::span<const Name>;

// The uapi values (linux/sched.h, linux/ioprio.h, linux/mempolicy.h): spelled out here since
// glibc has no wrappers for these calls and the uapi headers clash with glibc's.
constexpr Name kPolicies[]{{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
                          {"SCHED_BATCH", 3}, {"SCHED_ISO", 4},  {"SCHED_IDLE", 5},
                          {"SCHED_DEADLINE", 6}};
constexpr Name kSchedFlags[]{{"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
                            {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
                            {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
                            {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
constexpr Name kIoClasses[]{{"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
constexpr Name kMemModes[]{{"MPOL_DEFAULT", 0},   {"MPOL_PREFERRED", 1},      {"MPOL_BIND", 2},
                          {"MPOL_INTERLEAVE", 3}, {"MPOL_LOCAL", 4},         {"MPOL_PREFERRED_MANY", 5},
                          {"MPOL_WEIGHTED_INTERLEAVE", 6}};
constexpr Name kMemFlags[]{{"MPOL_F_STATIC_NODES", 1u << 15}, {"MPOL_F_RELATIVE_NODES", 1u << 14},
                          {"MPOL_F_NUMA_BALANCING", 1u << 13}};
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;
// CPU and node numbers above this are refused rather than allocated for.
constexpr unsigned kMaxId = 1u << 16;

struct SchedAttr {  // struct sched_attr, SCHED_ATTR_SIZE_VER1
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

// The validator has checked every name already; an unknown one here is a bug upstream.
unsigned value_of(Names names, const std::string& name, const std::string& field) {
    for (const Name& n : names)
        if (n.name == name) return n.value;
    throw Error(field + ": unknown value \"" + name + "\"", EINVAL);
}

unsigned flags_of(Names names, const std::vector<std::string>& flags, const std::string& field) {
    unsigned out = 0;
    for (const auto& f : flags) out |= value_of(names, f, field);
    return out;
}

unsigned parse_id(std::string_view s, const std::string& list, const std::string& field) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v >= kMaxId)
        throw Error(field + " \"" + list + "\": invalid list (expected e.g. \"0-3,7\")", EINVAL);
    return v;
}

// "0-3,7" as a bitmask of unsigned longs, the layout of cpu_set_t and of a nodemask.
std::vector<unsigned long> parse_id_list(const std::string& list, const std::string& field) {
    constexpr unsigned kBits = sizeof(unsigned long) * CHAR_BIT;
    std::vector<unsigned long> mask;
    std::string_view rest = list;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        size_t dash = item.find('-');
        unsigned lo = parse_id(item.substr(0, dash), list, field);
        unsigned hi = dash == std::string_view::npos ? lo : parse_id(item.substr(dash + 1), list, field);
        if (hi < lo) throw Error(field + " \"" + list + "\": range " + std::string(item) + " is reversed", EINVAL);
        if (mask.size() < hi / kBits + 1) mask.resize(hi / kBits + 1);
        for (unsigned i = lo; i <= hi; ++i) mask[i / kBits] |= 1ul << (i % kBits);
    }
    return mask;
}

}  // namespace

void apply_scheduling(const spec::Process& p) {
    if (p.scheduler) apply_scheduler(*p.scheduler);
    if (p.ioPriority) apply_io_priority(*p.ioPriority);
}

void apply_scheduler(const spec::Scheduler& s) {
    const std::string field = "process.scheduler";
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = value_of(kPolicies, s.policy, field + ".policy");
    attr.sched_flags = flags_of(kSchedFlags, s.flags, field + ".flags");
    attr.sched_nice = s.nice.value_or(0);
    attr.sched_priority = static_cast<uint32_t>(s.priority.value_or(0));
    attr.sched_runtime = s.runtime.value_or(0);
    attr.sched_deadline = s.deadline.value_or(0);
    attr.sched_period = s.period.value_or(0);
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
        int err = errno;
        // With RT group scheduling a cgroup gets no real-time budget unless given one.
        bool rt = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
        throw Error(field + ": sched_setattr " + s.policy + ": " + errno_text(err) +
                        (rt && err == EPERM ? " (does the container's cpu cgroup have "
                                              "linux.resources.cpu.realtimeRuntime?)" : ""),
                    err);
    }
}

void apply_io_priority(const spec::IOPriority& p) {
    unsigned klass = value_of(kIoClasses, p.klass, "process.ioPriority.class");
    int prio = static_cast<int>(klass << kIoprioClassShift) | p.priority;
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, prio) < 0)
        throw_errno("process.ioPriority: ioprio_set " + p.klass + " " + std::to_string(p.priority));
}

void apply_cpu_affinity(const std::optional<std::string>& cpus, const std::string& field) {
    std::vector<unsigned long> mask;
    if (cpus && !cpus->empty()) {
        mask = parse_id_list(*cpus, field);
    } else {
        // Every CPU there could be: the kernel narrows it to what our cpuset allows.
        mask.assign(kMaxId / (sizeof(unsigned long) * CHAR_BIT), ~0ul);
    }
    size_t bytes = mask.size() * sizeof(unsigned long);
    if (::sched_setaffinity(0, bytes, reinterpret_cast<const cpu_set_t*>(mask.data())) < 0) {
        if (!cpus || cpus->empty()) throw_errno("reset the CPU affinity");
        throw_errno(field + " \"" + *cpus + "\": sched_setaffinity");
    }
}

void apply_personality(const spec::Personality& p) {
    // The validator allows no flags yet ("Currently no flag values are supported").
    if (p.domain != "LINUX" && p.domain != "LINUX32")
        throw Error("linux.personality.domain: unknown value \"" + p.domain + "\"", EINVAL);
    unsigned long persona = p.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
    if (::personality(persona) < 0) throw_errno("linux.personality: personality " + p.domain);
}

void apply_memory_policy(const spec::MemoryPolicy& m) {
    const std::string field = "linux.memoryPolicy";
    unsigned mode = value_of(kMemModes, m.mode, field + ".mode") |
                    flags_of(kMemFlags, m.flags, field + ".flags");
    std::vector<unsigned long> nodes;
    if (m.nodes && !m.nodes->empty()) nodes = parse_id_list(*m.nodes, field + ".nodes");
    // maxnode counts bits and the kernel reads one fewer than it is told.
    unsigned long maxnode = nodes.empty() ? 0 : nodes.size() * sizeof(unsigned long) * CHAR_BIT + 1;
    if (::syscall(SYS_set_mempolicy, mode, nodes.empty() ? nullptr : nodes.data(), maxnode) < 0)
        throw_errno(field + ": set_mempolicy " + m.mode + (m.nodes ? " nodes \"" + *m.nodes + "\"" : ""));
}

std::vector<std::string> memory_policy_modes() {
    std::vector<std::string> out;
    for (const auto& n : kMemModes) out.emplace_back(n.name);
    return out;
}

std::vector<std::string> memory_policy_flags() {
    std::vector<std::string> out;
    for (const auto& n : kMemFlags) out.emplace_back(n.name);
    return out;
}

}  // namespace myrt
