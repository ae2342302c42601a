// Semantic checks of a parsed config: what config.md / config-linux.md say MUST hold (or the
// schema's enums and patterns say), plus values that cannot mean anything on Linux.
// Every error is a ParseError "<json path>: <message>", like the parser's.
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "spec/config.hpp"
#include "spec/json.hpp"

namespace myrt::spec {
namespace {

using json::Path;
using json::quote;
using Names = std::span<const std::string_view>;

constexpr std::string_view namespace_types[] = {"pid", "network", "mount",  "ipc",
                                                "uts", "user",    "cgroup", "time"};
constexpr std::string_view rlimit_types[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
constexpr std::string_view io_priority_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                                    "IOPRIO_CLASS_IDLE"};
constexpr std::string_view scheduler_policies[] = {"SCHED_OTHER",   "SCHED_FIFO", "SCHED_RR",
                                                   "SCHED_BATCH",   "SCHED_ISO",  "SCHED_IDLE",
                                                   "SCHED_DEADLINE"};
constexpr std::string_view scheduler_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX"};
constexpr std::string_view hook_kinds[] = {"prestart",       "createRuntime", "createContainer",
                                           "startContainer", "poststart",     "poststop"};
constexpr std::string_view device_types[] = {"c", "b", "u", "p"};
constexpr std::string_view cgroup_device_types[] = {"a", "c", "b"};
// The spec's four, plus the recursive spellings that runc accepts and CRI-O/containerd emit.
constexpr std::string_view propagations[] = {"shared",  "slave",  "private",  "unbindable",
                                             "rshared", "rslave", "rprivate", "runbindable"};
constexpr std::string_view seccomp_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
// The actions that return an errno: only these may carry errnoRet / defaultErrnoRet.
constexpr std::string_view seccomp_errno_actions[] = {"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"};
constexpr std::string_view seccomp_architectures[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};
constexpr std::string_view seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
constexpr std::string_view seccomp_operators[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                                  "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                                  "SCMP_CMP_MASKED_EQ"};
constexpr std::string_view memory_policy_modes[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"};
constexpr std::string_view memory_policy_flags[] = {"MPOL_F_NUMA_BALANCING",
                                                    "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"};
constexpr std::string_view personality_domains[] = {"LINUX", "LINUX32"};

bool one_of(std::string_view value, Names names) {
    for (std::string_view name : names)
        if (value == name) return true;
    return false;
}

// "<path>: unknown <what> "<value>"" unless value is one of names.
void check_name(const std::string& value, Names names, const char* what, const Path& p) {
    if (!one_of(value, names)) p.fail(std::string("unknown ") + what + " " + quote(value));
}

void check_names(const std::vector<std::string>& values, Names names, const char* what,
                 const Path& p) {
    for (std::size_t i = 0; i < values.size(); ++i) check_name(values[i], names, what, Path(p, i));
}

// The "type" member of a list entry: one of `names` (else "unknown <what>") and not repeating
// an earlier entry's (else "<entry>: duplicate <kind>").
void check_type(const std::string& type, Names names, const char* what, const char* kind,
                std::set<std::string_view>& seen, const Path& entry) {
    check_name(type, names, what, Path(entry, "type"));
    if (!seen.insert(type).second) entry.fail(std::string("duplicate ") + kind + " " + quote(type));
}

// An object with an enum member `member` (named like the enum, e.g. "policy") and "flags".
void check_enum_and_flags(const char* member, const std::string& value, Names values,
                          const std::vector<std::string>& flags, Names flag_names,
                          const Path& object) {
    check_name(value, values, member, Path(object, member));
    check_names(flags, flag_names, "flag", Path(object, "flags"));
}

void check_absolute(const std::string& path, const Path& p) {
    if (path.empty() || path[0] != '/') p.fail("must be an absolute path");
}

void check_absolute_paths(const std::vector<std::string>& paths, const Path& p) {
    for (std::size_t i = 0; i < paths.size(); ++i) check_absolute(paths[i], Path(p, i));
}

bool only_chars(std::string_view s, std::string_view allowed) {
    return s.find_first_not_of(allowed) == std::string_view::npos;
}

void check_no_newline(const std::string& s, const Path& p) {
    if (s.find('\n') != std::string::npos) p.fail("must not contain newlines");
}

bool has_namespace(const Config& c, std::string_view type) {
    if (!c.linux) return false;
    for (const Namespace& ns : c.linux->namespaces)
        if (ns.type == type) return true;
    return false;
}

void check_capabilities(const Capabilities& caps, const Path& p) {
    auto check_set = [&](const std::optional<std::vector<std::string>>& set,
                         std::string_view name) {
        if (!set) return;
        Path sp(p, name);
        for (std::size_t i = 0; i < set->size(); ++i) {
            const std::string& cap = (*set)[i];
            if (cap.size() <= 4 || cap.compare(0, 4, "CAP_") != 0 ||
                !only_chars(std::string_view(cap).substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"))
                Path(sp, i).fail("invalid capability name " + quote(cap));
        }
    };
    check_set(caps.bounding, "bounding");
    check_set(caps.effective, "effective");
    check_set(caps.permitted, "permitted");
    check_set(caps.inheritable, "inheritable");
    check_set(caps.ambient, "ambient");
}

void check_rlimits(const std::vector<Rlimit>& rlimits, const Path& p) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < rlimits.size(); ++i) {
        const Rlimit& r = rlimits[i];
        Path rp(p, i);
        check_type(r.type, rlimit_types, "rlimit", "rlimit", seen, rp);
        if (r.soft > r.hard)
            rp.fail("soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
                    std::to_string(r.hard));
    }
}

void check_process(const Process& proc, const Path& p) {
    if (proc.args.empty()) Path(p, "args").fail("must contain at least one entry");
    check_absolute(proc.cwd, Path(p, "cwd"));
    if (proc.capabilities) check_capabilities(*proc.capabilities, Path(p, "capabilities"));
    check_rlimits(proc.rlimits, Path(p, "rlimits"));
    if (proc.oomScoreAdj && (*proc.oomScoreAdj < -1000 || *proc.oomScoreAdj > 1000))
        Path(p, "oomScoreAdj").fail("must be in -1000..1000");
    if (proc.ioPriority) {
        Path ip(p, "ioPriority");
        check_name(proc.ioPriority->klass, io_priority_classes, "class", Path(ip, "class"));
        if (proc.ioPriority->priority < 0 || proc.ioPriority->priority > 7)
            Path(ip, "priority").fail("must be in 0..7");
    }
    if (proc.scheduler)
        check_enum_and_flags("policy", proc.scheduler->policy, scheduler_policies,
                             proc.scheduler->flags, scheduler_flags, Path(p, "scheduler"));
    if (proc.execCPUAffinity) {
        Path ap(p, "execCPUAffinity");
        auto check_list = [&](const std::optional<std::string>& list, std::string_view name) {
            if (list && !only_chars(*list, "0123456789, -"))
                Path(ap, name).fail("invalid CPU list " + quote(*list));
        };
        check_list(proc.execCPUAffinity->initial, "initial");
        check_list(proc.execCPUAffinity->final, "final");
    }
}

void check_mounts(const std::vector<Mount>& mounts, const Path& p) {
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        const Mount& m = mounts[i];
        Path mp(p, i);
        // Linux allows (deprecated) relative destinations, taken relative to "/".
        if (m.destination.empty()) Path(mp, "destination").fail("must not be empty");
        if (!m.uidMappings.empty() && m.gidMappings.empty())
            Path(mp, "gidMappings").fail("required when uidMappings is set");
        if (!m.gidMappings.empty() && m.uidMappings.empty())
            Path(mp, "uidMappings").fail("required when gidMappings is set");
    }
}

void check_hooks(const Hooks& hooks, const Path& p) {
    const std::vector<Hook>* lists[] = {&hooks.prestart,        &hooks.createRuntime,
                                        &hooks.createContainer, &hooks.startContainer,
                                        &hooks.poststart,       &hooks.poststop};
    const std::string_view* kind = hook_kinds;
    for (const std::vector<Hook>* list : lists) {
        Path lp(p, *kind++);
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Hook& h = (*list)[i];
            Path hp(lp, i);
            check_absolute(h.path, Path(hp, "path"));
            if (h.timeout && *h.timeout <= 0) Path(hp, "timeout").fail("must be greater than zero");
        }
    }
}

void check_namespaces(const std::vector<Namespace>& namespaces, const Path& p) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
        const Namespace& ns = namespaces[i];
        Path np(p, i);
        check_type(ns.type, namespace_types, "namespace type", "namespace", seen, np);
        if (ns.path) check_absolute(*ns.path, Path(np, "path"));
    }
}

void check_devices(const std::vector<Device>& devices, const Path& p) {
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const Device& d = devices[i];
        Path dp(p, i);
        check_name(d.type, device_types, "device type", Path(dp, "type"));
        check_absolute(d.path, Path(dp, "path"));
        if (d.type != "p") {  // major and minor are REQUIRED unless the type is p
            if (!d.major) Path(dp, "major").fail("required");
            if (!d.minor) Path(dp, "minor").fail("required");
            // dev_t carries 32 bits of each; a larger number would silently wrap.
            if (*d.major < 0 || *d.major > 0xffffffffLL)
                Path(dp, "major").fail("must be in 0..4294967295");
            if (*d.minor < 0 || *d.minor > 0xffffffffLL)
                Path(dp, "minor").fail("must be in 0..4294967295");
        }
    }
}

// The kernel's dev_valid_name(): at most IFNAMSIZ-1 (15) bytes, not "." or "..", no "/",
// ":" or whitespace (its isspace() counts byte 0xa0 too); a NUL would cut the name short.
bool valid_interface_name(std::string_view name) {
    constexpr std::string_view refused("/: \t\n\v\f\r\xa0\0", 10);
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    return name.find_first_of(refused) == std::string_view::npos;
}

[[noreturn]] void fail_interface_name(const std::string& name, const char* why, const Path& p) {
    p.fail("invalid network interface name " + quote(name) + " (" + why + ")");
}

constexpr const char* kInterfaceNameRules =
    "1 to 15 bytes, not \".\" or \"..\", without \"/\", \":\" or whitespace";

// A name inside the container: a plain name, or a template with one "%d" that the kernel
// fills in with the first free number (its dev_alloc_name() refuses any other "%").
void check_interface_name(const std::string& name, const Path& p) {
    if (!valid_interface_name(name)) fail_interface_name(name, kInterfaceNameRules, p);
    auto percent = name.find('%');
    if (percent != std::string::npos &&
        (name.compare(percent, 2, "%d") != 0 || name.find('%', percent + 1) != std::string::npos))
        fail_interface_name(name, "a template has one \"%d\"", p);
}

// Keys name interfaces that exist on the host (no template); two entries may not ask for the
// same name inside (a template is numbered apart by the kernel).
void check_net_devices(const std::map<std::string, NetDevice>& devices, const Path& p) {
    std::set<std::string> names;
    for (const auto& [host, dev] : devices) {
        Path dp(p, host, Path::KeyTag{});
        if (!valid_interface_name(host)) fail_interface_name(host, kInterfaceNameRules, dp);
        if (host.find('%') != std::string::npos)
            fail_interface_name(host, "the name of a host interface, not a template", dp);
        if (dev.name) check_interface_name(*dev.name, Path(dp, "name"));
        std::string inside = dev.name.value_or(host);
        if (inside.find('%') == std::string::npos && !names.insert(inside).second)
            dp.fail("another entry already moves an interface to the name " + quote(inside));
    }
}

void check_resources(const Resources& r, const Path& p) {
    Path devices(p, "devices");
    for (std::size_t i = 0; i < r.devices.size(); ++i) {
        const DeviceCgroup& d = r.devices[i];
        Path dp(devices, i);
        if (d.type) check_name(*d.type, cgroup_device_types, "device type", Path(dp, "type"));
        if (d.access && !only_chars(*d.access, "rwm"))
            Path(dp, "access").fail("invalid access " + quote(*d.access));
    }
    if (r.memory && r.memory->swappiness && *r.memory->swappiness > 100) {
        Path mp(p, "memory");
        Path(mp, "swappiness").fail("must be in 0..100");
    }
    if (r.cpu && r.cpu->burst && r.cpu->quota && *r.cpu->quota > 0 &&
        *r.cpu->burst > static_cast<uint64_t>(*r.cpu->quota)) {
        Path cp(p, "cpu");
        Path(cp, "burst").fail("must not exceed quota");
    }
    if (r.blockIO) {
        Path bp(p, "blockIO");
        Path wp(bp, "weightDevice");
        for (std::size_t i = 0; i < r.blockIO->weightDevice.size(); ++i) {
            const WeightDevice& d = r.blockIO->weightDevice[i];
            if (!d.weight && !d.leafWeight) Path(wp, i).fail("must set weight or leafWeight");
        }
    }
    Path hp(p, "hugepageLimits");
    for (std::size_t i = 0; i < r.hugepageLimits.size(); ++i) {
        // ^[1-9][0-9]*[KMG]B$
        std::string_view size = r.hugepageLimits[i].pageSize;
        bool ok = size.size() >= 3 && size[0] >= '1' && size[0] <= '9' && size.back() == 'B' &&
                  std::string_view("KMG").find(size[size.size() - 2]) != std::string_view::npos &&
                  only_chars(size.substr(0, size.size() - 2), "0123456789");
        if (!ok) {
            Path ip(hp, i);
            Path(ip, "pageSize").fail("invalid page size " + quote(size));
        }
    }
    Path rp(p, "rdma");
    for (const auto& [device, limit] : r.rdma)
        if (!limit.hcaHandles && !limit.hcaObjects)
            Path(rp, device, Path::KeyTag{}).fail("must set hcaHandles or hcaObjects");
}

void check_seccomp(const Seccomp& s, const Path& p) {
    check_name(s.defaultAction, seccomp_actions, "action", Path(p, "defaultAction"));
    if (s.defaultErrnoRet && !one_of(s.defaultAction, seccomp_errno_actions))
        Path(p, "defaultErrnoRet").fail("not allowed with action " + quote(s.defaultAction));
    check_names(s.architectures, seccomp_architectures, "architecture", Path(p, "architectures"));
    check_names(s.flags, seccomp_flags, "flag", Path(p, "flags"));
    if (s.listenerMetadata && !s.listenerPath)
        Path(p, "listenerMetadata").fail("requires listenerPath");
    Path sp(p, "syscalls");
    for (std::size_t i = 0; i < s.syscalls.size(); ++i) {
        const Syscall& sc = s.syscalls[i];
        Path cp(sp, i);
        if (sc.names.empty()) Path(cp, "names").fail("must contain at least one entry");
        check_name(sc.action, seccomp_actions, "action", Path(cp, "action"));
        if (sc.errnoRet && !one_of(sc.action, seccomp_errno_actions))
            Path(cp, "errnoRet").fail("not allowed with action " + quote(sc.action));
        Path ap(cp, "args");
        for (std::size_t j = 0; j < sc.args.size(); ++j) {
            Path argp(ap, j);
            if (sc.args[j].index > 5) Path(argp, "index").fail("must be in 0..5");
            check_name(sc.args[j].op, seccomp_operators, "operator", Path(argp, "op"));
        }
    }
}

void check_linux(const Config& c, const Linux& l, const Path& p) {
    check_namespaces(l.namespaces, Path(p, "namespaces"));
    if (!l.uidMappings.empty() && !has_namespace(c, "user"))
        Path(p, "uidMappings").fail("requires a user namespace");
    if (!l.gidMappings.empty() && !has_namespace(c, "user"))
        Path(p, "gidMappings").fail("requires a user namespace");
    if (!l.timeOffsets.empty() && !has_namespace(c, "time"))
        Path(p, "timeOffsets").fail("requires a time namespace");
    check_devices(l.devices, Path(p, "devices"));
    if (!l.netDevices.empty() && !has_namespace(c, "network"))
        Path(p, "netDevices").fail("requires a network namespace");
    check_net_devices(l.netDevices, Path(p, "netDevices"));
    if (l.resources) check_resources(*l.resources, Path(p, "resources"));
    if (l.rootfsPropagation)
        check_name(*l.rootfsPropagation, propagations, "propagation", Path(p, "rootfsPropagation"));
    if (l.seccomp) check_seccomp(*l.seccomp, Path(p, "seccomp"));
    check_absolute_paths(l.maskedPaths, Path(p, "maskedPaths"));
    check_absolute_paths(l.readonlyPaths, Path(p, "readonlyPaths"));
    if (l.intelRdt) {
        Path rp(p, "intelRdt");
        if (l.intelRdt->memBwSchema) {
            Path mp(rp, "memBwSchema");
            if (l.intelRdt->memBwSchema->compare(0, 3, "MB:") != 0)
                mp.fail("must start with \"MB:\"");
            check_no_newline(*l.intelRdt->memBwSchema, mp);
        }
        Path sp(rp, "schemata");
        for (std::size_t i = 0; i < l.intelRdt->schemata.size(); ++i)
            check_no_newline(l.intelRdt->schemata[i], Path(sp, i));
    }
    if (l.memoryPolicy)
        check_enum_and_flags("mode", l.memoryPolicy->mode, memory_policy_modes,
                             l.memoryPolicy->flags, memory_policy_flags, Path(p, "memoryPolicy"));
    // "Currently no flag values are supported."
    if (l.personality)
        check_enum_and_flags("domain", l.personality->domain, personality_domains,
                             l.personality->flags, Names{}, Path(p, "personality"));
}

}  // namespace

void validate(const Config& c) {
    Path root("config.json");
    if (c.ociVersion.empty()) Path(root, "ociVersion").fail("required");
    json::check_oci_version(c.ociVersion, root);
    if (!c.root) Path(root, "root").fail("required");
    if (c.root->path.empty()) {
        Path rp(root, "root");
        Path(rp, "path").fail("must not be empty");
    }
    if (c.process) check_process(*c.process, Path(root, "process"));
    check_mounts(c.mounts, Path(root, "mounts"));
    if (c.hooks) check_hooks(*c.hooks, Path(root, "hooks"));
    // Without a uts namespace of its own the container would rename the host.
    if (c.hostname && !c.hostname->empty() && !has_namespace(c, "uts"))
        Path(root, "hostname").fail("requires a uts namespace");
    if (c.domainname && !c.domainname->empty() && !has_namespace(c, "uts"))
        Path(root, "domainname").fail("requires a uts namespace");
    if (c.linux) check_linux(c, *c.linux, Path(root, "linux"));
    for (const auto& [key, value] : c.annotations)
        if (key.empty()) Path(root, "annotations").fail("keys must not be empty");
}

}  // namespace myrt::spec
