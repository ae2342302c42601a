#include "runtime/security/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

constexpr std::array<const char*, 41> kNames{
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].effective = static_cast<uint32_t>(effective);
    data[1].effective = static_cast<uint32_t>(effective >> 32);
    data[0].permitted = static_cast<uint32_t>(permitted);
    data[1].permitted = static_cast<uint32_t>(permitted >> 32);
    data[0].inheritable = static_cast<uint32_t>(inheritable);
    data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
    return static_cast<int>(::syscall(SYS_capset, &header, data));
}

// Which of `wanted` this process may pass on: its permitted set, within its bounding set.
// Only the wanted ones are looked up in the bounding set (a prctl each): a config names a
// handful of the ~41.
uint64_t grantable_mask(uint64_t wanted) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) < 0) throw_errno("capget");
    uint64_t mask = wanted & (data[0].permitted | (uint64_t{data[1].permitted} << 32));
    for (uint64_t rest = mask; rest; rest &= rest - 1) {
        int cap = __builtin_ctzll(rest);
        if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) mask &= ~(uint64_t{1} << cap);
    }
    return mask;
}

}  // namespace

void check_grantable(const CapabilitySets& sets) {
    uint64_t have = grantable_mask(sets.bounding | sets.effective | sets.permitted |
                                   sets.inheritable | sets.ambient);
    const std::pair<const char*, uint64_t> named[] = {
        {"bounding", sets.bounding}, {"effective", sets.effective}, {"permitted", sets.permitted},
        {"inheritable", sets.inheritable}, {"ambient", sets.ambient}};
    for (const auto& [set, mask] : named) {
        uint64_t missing = mask & ~have;
        if (!missing) continue;
        int cap = __builtin_ctzll(missing);
        throw Error("process.capabilities." + std::string(set) + ": " + capability_name(cap) +
                        " cannot be granted: the runtime does not hold it (not in this host's "
                        "bounding set?)",
                    EPERM);
    }
}

int capability_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (name == kNames[i]) return static_cast<int>(i);
    return -1;
}

std::string capability_name(int cap) {
    if (cap >= 0 && static_cast<size_t>(cap) < kNames.size()) return kNames[cap];
    return "CAP_" + std::to_string(cap);
}

int last_capability() {
    static int last = [] {
        int value = static_cast<int>(kNames.size()) - 1;
        if (FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re")) {
            if (fscanf(f, "%d", &value) != 1) value = static_cast<int>(kNames.size()) - 1;
            fclose(f);
        }
        return value;
    }();
    return last;
}

std::vector<std::string> known_capabilities() { return {kNames.begin(), kNames.end()}; }

uint64_t capability_mask(const std::optional<std::vector<std::string>>& names) {
    uint64_t mask = 0;
    if (!names) return mask;
    for (const auto& name : *names) {
        int cap = capability_from_name(name);
        if (cap < 0 || cap > last_capability()) {
            log::warn("unknown capability \"" + name + "\" ignored");
            continue;
        }
        mask |= uint64_t{1} << cap;
    }
    return mask;
}

CapabilitySets resolve_capabilities(const spec::Capabilities& caps) {
    return {capability_mask(caps.bounding), capability_mask(caps.effective),
            capability_mask(caps.permitted), capability_mask(caps.inheritable),
            capability_mask(caps.ambient)};
}

void apply_bounding_set(const CapabilitySets& sets) {
    uint64_t keep = sets.bounding;
    for (int cap = 0; cap <= last_capability(); ++cap) {
        if (keep & (uint64_t{1} << cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            throw_errno("drop " + capability_name(cap) + " from the bounding set");
    }
}

void apply_capability_sets(const CapabilitySets& sets) {
    if (capset_raw(sets.effective, sets.permitted, sets.inheritable) < 0) throw_errno("capset");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        throw_errno("clear ambient capabilities");
    for (int cap = 0; cap <= last_capability(); ++cap) {
        if (!(sets.ambient & (uint64_t{1} << cap))) continue;
        // The kernel refuses an ambient capability that is not permitted and inheritable:
        // runc ignores that, and the container sees the result in /proc/self/status.
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
}

}  // namespace myrt
