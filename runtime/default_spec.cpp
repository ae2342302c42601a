#include "runtime/default_spec.hpp"

#include <unistd.h>

#include "runtime/container.hpp"

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
    l.namespaces = {{"pid", {}}, {"network", {}}, {"ipc", {}}, {"uts", {}}, {"mount", {}},
                    {"cgroup", {}}};
    if (rootless) {
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

}  // namespace myrt
