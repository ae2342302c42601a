#include "runtime/default_spec.hpp"

#include <algorithm>

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "runtime/container.hpp"
#include "runtime/error.hpp"

namespace myrt {

namespace {

spec::Mount mount(const char* dest, const char* type, const char* source,
                  std::vector<std::string> options) {
    spec::Mount m;
    m.destination = dest;
    m.type = type;
    m.source = source;
    m.options = std::move(options);
    return m;
}

// A deny-list profile: everything a container normally does is allowed, while the calls
// that reach the kernel's global state (modules, clocks, reboot, swap, keyrings, kexec,
// mount and namespace surgery, other processes' memory, perf and bpf) fail with EPERM.
// Docker and podman block the same set for containers without CAP_SYS_ADMIN.
spec::Seccomp default_seccomp() {
    spec::Seccomp s;
    s.defaultAction = "SCMP_ACT_ALLOW";
#if defined(__x86_64__)
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
    s.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#endif
    spec::Syscall deny;
    deny.action = "SCMP_ACT_ERRNO";
    deny.errnoRet = 1;  // EPERM
    deny.names = {
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
        "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
        "get_kernel_syms", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load",
        "kexec_load", "keyctl", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
        "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
        "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module",
        "quotactl", "quotactl_fd", "reboot", "request_key", "setns", "settimeofday", "stime",
        "swapoff", "swapon", "_sysctl", "syslog", "umount", "umount2", "unshare", "uselib",
        "userfaultfd", "ustat", "vm86", "vm86old", "vhangup"};
    s.syscalls.push_back(std::move(deny));
    return s;
}

std::vector<std::string> default_caps() {
    return {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
}

std::vector<spec::Mount> default_mounts(bool rootless) {
    std::vector<spec::Mount> m{
        mount("/proc", "proc", "proc", {}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
        mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
    };
    if (!rootless) {
        m[2].options.push_back("gid=5");
        return m;
    }
    // Without real root: sysfs of the host's netns cannot be mounted, and the cgroup tree
    // is not ours; bind them read-only instead.
    m[5] = mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"});
    m.pop_back();
    return m;
}

}  // namespace

spec::Config default_config(bool rootless) {
    spec::Config c;
    c.ociVersion = kOciVersion;
    c.root = spec::Root{"rootfs", true};
    spec::Process p;
    p.terminal = true;
    p.args = {"sh"};
    p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
    p.cwd = "/";
    p.noNewPrivileges = true;
    spec::Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = caps.ambient = default_caps();
    p.capabilities = caps;
    p.rlimits = {spec::Rlimit{"RLIMIT_NOFILE", 1024, 1024}};
    c.process = p;
    c.hostname = "myrt";
    c.mounts = default_mounts(rootless);
    spec::Linux l;
    // runc spec's shape, so that scripts written for it work unchanged: no cgroup namespace,
    // no seccomp profile (--cgroupns, --seccomp add them), a deny-all device list in
    // linux.resources, and rootless without a network namespace of its own.
    l.namespaces = {{"pid", {}}, {"network", {}}, {"ipc", {}}, {"uts", {}}, {"mount", {}}};
    spec::Resources res;
    res.devices = {spec::DeviceCgroup{false, std::nullopt, std::nullopt, std::nullopt, std::string("rwm")}};
    l.resources = res;
    if (rootless) {
        std::erase_if(l.namespaces, [](const spec::Namespace& n) { return n.type == "network"; });
        l.resources.reset();  // an unprivileged user seldom has cgroups to apply them in
        l.namespaces.push_back({"user", {}});
        l.uidMappings = {{0, static_cast<uint32_t>(::getuid()), 1}};
        l.gidMappings = {{0, static_cast<uint32_t>(::getgid()), 1}};
    }
    l.maskedPaths = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                     "/proc/sched_debug", "/sys/firmware", "/proc/scsi"};
    l.readonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    c.linux = l;
    return c;
}

namespace {

std::vector<std::string> split_command(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (char c : line) {
        if (quote) {
            if (c == quote) quote = 0;
            else cur += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) out.push_back(cur);
            cur.clear();
            in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (quote) throw Error("--args: unterminated quote", EINVAL);
    if (in_word) out.push_back(cur);
    return out;
}

void set_cpus(spec::Config& c, const std::string& text) {
    char* end = nullptr;
    double cpus = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(cpus > 0) || cpus > 1024)
        throw Error("--cpus \"" + text + "\": expected a number of CPUs such as 0.5", EINVAL);
    auto& cpu = c.linux->resources->cpu.emplace();
    cpu.period = 100000;
    cpu.quota = static_cast<int64_t>(std::llround(cpus * 100000));
}

}  // namespace

int64_t parse_size(const std::string& text, const std::string& what) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    std::string unit = end ? end : "";
    for (char& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    double scale = unit.empty() ? 1 : unit == "k" ? 1024.0 : unit == "m" ? 1024.0 * 1024
                 : unit == "g" ? 1024.0 * 1024 * 1024 : unit == "t" ? 1024.0 * 1024 * 1024 * 1024 : -1;
    if (text.empty() || end == text.c_str() || scale < 0 || !(value > 0) || value * scale > 9.2e18)
        throw Error(what + " \"" + text + "\": expected a size such as 200M or 1G", EINVAL);
    return static_cast<int64_t>(value * scale);
}

spec::Config quick_config(const SpecOptions& o) {
    spec::Config c = default_config(o.rootless);
    spec::Process& p = *c.process;
    if (!o.args.empty()) {
        p.args = split_command(o.args);
        if (p.args.empty()) throw Error("--args: no command given", EINVAL);
    }
    p.terminal = o.tty.value_or(o.args.empty());
    for (const auto& kv : o.env) {
        if (kv.find('=') == std::string::npos || kv[0] == '=')
            throw Error("--env \"" + kv + "\": expected KEY=VALUE", EINVAL);
        p.env.push_back(kv);
    }
    if (!o.hostname.empty()) c.hostname = o.hostname;
    if (!o.rootfs.empty()) c.root->path = o.rootfs;
    if ((!o.memory.empty() || !o.cpus.empty()) && !c.linux->resources) c.linux->resources.emplace();
    if (!o.memory.empty()) {
        auto& m = c.linux->resources->memory.emplace();
        m.limit = parse_size(o.memory, "--memory");
        m.swap = m.limit;  // no swap beyond the limit: the limit really holds
    }
    if (!o.cpus.empty()) set_cpus(c, o.cpus);
    if (!o.network.empty() && o.network != "none" && o.network != "slirp4netns")
        throw Error("--network \"" + o.network + "\": expected slirp4netns or none", EINVAL);
    if (o.network == "slirp4netns") c.annotations["run.myrt.network"] = "slirp4netns";
    // A network of its own (none: loopback only), also for rootless, whose default shares
    // the caller's as runc's does.
    auto& ns = c.linux->namespaces;
    bool has_net = std::any_of(ns.begin(), ns.end(), [](const spec::Namespace& n) { return n.type == "network"; });
    if (!o.network.empty() && !has_net) ns.push_back({"network", {}});
    if (o.cgroupns) ns.push_back({"cgroup", {}});
    if (o.seccomp) c.linux->seccomp = default_seccomp();
    if (!o.publish.empty()) {
        if (o.network != "slirp4netns")
            throw Error("--publish needs --network slirp4netns", EINVAL);
        std::string ports;
        for (const auto& pub : o.publish) ports += (ports.empty() ? "" : ",") + pub;
        c.annotations["run.myrt.network.ports"] = ports;
    }
    return c;
}

}  // namespace myrt
