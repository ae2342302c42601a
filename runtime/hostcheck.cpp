#include "runtime/hostcheck.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/cgroup/systemd.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/security/lsm.hpp"

namespace myrt {

namespace {

using spec::CheckFinding;

// needed: whether a default container needs it, whatever the status.
CheckFinding ok(std::string check, std::string detail, bool needed = false) {
    return {std::move(check), "ok", std::move(detail), "", needed};
}
CheckFinding problem(std::string check, const char* status, std::string detail, std::string fix,
                     bool needed) {
    return {std::move(check), status, std::move(detail), std::move(fix), needed};
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find(sep, pos);
        if (end == std::string_view::npos) end = text.size();
        if (end > pos) out.emplace_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (const auto& p : parts) (out.empty() ? out : out += sep) += p;
    return out;
}

// The caller's login name from /etc/passwd ("" without one): no NSS in a static binary.
std::string user_name(uid_t uid) {
    for (const auto& line : split(cgroupfs::read_or_empty("/etc/passwd"), '\n')) {
        auto f = split(line, ':');
        if (f.size() > 2 && f[2] == std::to_string(uid)) return f[0];
    }
    return "";
}

// "bob (uid 1000)", or "uid 1000" without a name.
std::string who(uid_t uid) {
    std::string name = user_name(uid);
    std::string id = "uid " + std::to_string(uid);
    return name.empty() ? id : name + " (" + id + ")";
}

// An executable file in $PATH (or the shell's default one), "" when there is none.
std::string find_in_path(const std::string& name) {
    const char* env = std::getenv("PATH");
    std::string path = env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& dir : split(path, ':')) {
        std::string file = dir + "/" + name;
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0)
            return file;
    }
    return "";
}

// --- kernel and system calls ----------------------------------------------------------

std::pair<int, int> kernel_version(const std::string& release) {
    int major = 0, minor = 0;
    if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) < 2) return {0, 0};
    return {major, minor};
}

CheckFinding kernel_finding() {
    utsname u{};
    ::uname(&u);
    auto [major, minor] = kernel_version(u.release);
    std::string detail = std::string("Linux ") + u.release;
    if (major > 5 || (major == 5 && minor >= 12))
        return ok("kernel", detail + " (myrt's system calls are all there from 5.12)");
    return problem("kernel", "limited", detail + ": older than 5.12, see the system calls below",
                   "a kernel 5.12 or later (Debian 12's 6.1 has everything)", false);
}

// errno of a call (0 when it worked); an fd it returned is closed.
int call_errno(long r) {
    if (r < 0) return errno;
    ::close(static_cast<int>(r));
    return 0;
}

int probe_openat2() {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return call_errno(::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));
}

// myrt needs its CLOSE_RANGE_CLOEXEC flag (5.11), not only the call (5.9): a kernel that
// refuses the flag (EINVAL) or ignores it lacks what myrt uses (ENOSYS).
int probe_close_range() {
    UniqueFd fd(::open("/dev/null", O_RDONLY));
    if (!fd) return errno;
    unsigned n = static_cast<unsigned>(fd.get());
    if (::syscall(SYS_close_range, n, n, CLOSE_RANGE_CLOEXEC) < 0) return errno == EINVAL ? ENOSYS : errno;
    return (::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) ? 0 : ENOSYS;
}

// Without OPEN_TREE_CLONE this is only an O_PATH descriptor of "/": no mount is made.
int probe_open_tree() {
    return call_errno(::syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC));
}

// A size below MOUNT_ATTR_SIZE_VER0: refused with EINVAL before anything is looked up.
int probe_mount_setattr() {
    return ::syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, nullptr, 0) < 0 ? errno : 0;
}

int probe_pidfd_open() { return call_errno(::syscall(SYS_pidfd_open, ::getpid(), 0)); }

// A size of 0: EINVAL from a kernel that has clone3, before any process is made.
int probe_clone3() { return ::syscall(SYS_clone3, nullptr, 0) < 0 ? errno : 0; }

// A kernel that has seccomp but not this action says EOPNOTSUPP: it lacks what myrt uses.
int probe_seccomp_notify() {
    uint32_t action = SECCOMP_RET_USER_NOTIF;
    if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) return 0;
    return errno == EOPNOTSUPP ? ENOSYS : errno;
}

struct SyscallProbe {
    const char* name;
    const char* since;  // the Linux version that has what myrt uses
    const char* use;    // what myrt does with it
    bool needed;        // without it no container starts
    int (*probe)();
};

const SyscallProbe kSyscalls[] = {
    {"openat2", "5.6", "every path inside the rootfs is resolved with RESOLVE_IN_ROOT", true,
     probe_openat2},
    {"close_range", "5.11", "no descriptor of myrt's leaks into the container (CLOSE_RANGE_CLOEXEC)",
     true, probe_close_range},
    {"open_tree", "5.2", "bind mounts are made from detached trees", true, probe_open_tree},
    {"mount_setattr", "5.12", "read-only and other mount flags, idmapped mounts", true,
     probe_mount_setattr},
    {"pidfd_open", "5.3", "signals reach the container's init and never a reused pid", true,
     probe_pidfd_open},
    {"clone3", "5.7", "init is born in its cgroup on v2 (CLONE_INTO_CGROUP; else clone, then a join)",
     false, probe_clone3},
    {"seccomp-notify", "5.5", "seccomp SCMP_ACT_NOTIFY rules (listenerPath agents)", false,
     probe_seccomp_notify},
};

CheckFinding syscall_finding(const SyscallProbe& p) {
    int err = p.probe();
    const char* bad = p.needed ? "missing" : "limited";
    std::string without = p.needed ? "no container can start" : std::string("without it: ") + p.use;
    if (err == ENOSYS)
        return problem(p.name, bad, std::string("the kernel does not have it: ") + without,
                       std::string("a kernel ") + p.since + " or later", p.needed);
    if (err == EPERM || err == EACCES)
        return problem(p.name, bad, std::string("blocked (") + errno_text(err) +
                                        "): a seccomp filter or LSM around myrt refuses it; " + without,
                       std::string("run myrt outside that sandbox, or allow ") + p.name + " in its seccomp profile",
                       p.needed);
    return ok(p.name, std::string("available: ") + p.use, p.needed);
}

// --- namespaces -----------------------------------------------------------------------

// errno of unshare(flags) in a child that exits at once (0: it worked).
int probe_unshare(int flags) {
    pid_t pid = ::fork();
    if (pid < 0) return errno;
    if (pid == 0) ::_exit(::unshare(flags) < 0 ? (errno & 0xff) : 0);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

std::string proc_sys(const char* name) { return trimmed(cgroupfs::read_or_empty(std::string("/proc/sys/") + name)); }

// Why an unprivileged user namespace is refused, and the sysctl that allows it.
std::pair<std::string, std::string> userns_blocker() {
    if (proc_sys("user/max_user_namespaces") == "0")
        return {"user.max_user_namespaces is 0", "sysctl -w user.max_user_namespaces=15000 (as root)"};
    if (proc_sys("kernel/unprivileged_userns_clone") == "0")
        return {"kernel.unprivileged_userns_clone is 0 (Debian)",
                "sysctl -w kernel.unprivileged_userns_clone=1 (as root)"};
    if (proc_sys("kernel/apparmor_restrict_unprivileged_userns") == "1")
        return {"AppArmor restricts unprivileged user namespaces",
                "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (as root)"};
    return {"", "check the sandbox myrt runs in (a seccomp filter or LSM refuses unshare)"};
}

CheckFinding userns_finding(bool rootless) {
    std::string facts = "max_user_namespaces " + proc_sys("user/max_user_namespaces");
    std::string clone = proc_sys("kernel/unprivileged_userns_clone");
    if (!clone.empty()) facts += ", unprivileged_userns_clone " + clone;
    int err = probe_unshare(CLONE_NEWUSER);
    if (err == 0)
        return ok("userns", "a user namespace can be made (" + facts + ")" +
                                (rootless ? ": rootless containers run" : ""), rootless);
    auto [why, fix] = userns_blocker();
    std::string detail = "unshare(CLONE_NEWUSER): " + errno_text(err) + (why.empty() ? "" : ": " + why) +
                         " (" + facts + "); " +
                         (rootless ? "an unprivileged user cannot run containers"
                                   : "configs with linux.uidMappings cannot run");
    return problem("userns", rootless ? "missing" : "limited", detail, fix, rootless);
}

// Those of a default config (`myrt spec`): rootless, inside a user namespace of its own
// and without a network namespace.
CheckFinding namespaces_finding(bool rootless) {
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    flags |= rootless ? CLONE_NEWUSER : CLONE_NEWNET;
    std::string names = rootless ? "user, mount, pid, ipc, uts" : "mount, pid, network, ipc, uts";
    int err = probe_unshare(flags);
    if (err == 0) return ok("namespaces", names + ": made (and dropped) by a test child", true);
    std::string fix = rootless ? "see userns" : "run myrt as real root, outside an unprivileged container";
    return problem("namespaces", "missing", names + ": unshare: " + errno_text(err), fix, true);
}

// --- cgroups ----------------------------------------------------------------------------

struct CgroupLayout {
    std::string kind;                      // v2 | hybrid | v1 | none
    std::vector<std::string> controllers;  // those limits can use
    std::vector<HostHierarchy> v1;         // on v1 and hybrid hosts
    std::string unified;                   // a hybrid host's cgroup2 mount
};

CgroupLayout cgroup_layout() {
    CgroupLayout l;
    if (host_cgroup_version() == CgroupVersion::v2) {
        l.kind = "v2";
        l.controllers = split(trimmed(cgroupfs::read_or_empty("/sys/fs/cgroup/cgroup.controllers")), ' ');
        return l;
    }
    for (const auto& h : host_v1_hierarchies()) {
        if (h.controllers.empty()) {
            l.unified = h.mount;
        } else if (h.controllers != "name=systemd") {
            l.v1.push_back(h);
            for (const auto& c : split(h.controllers, ',')) l.controllers.push_back(c);
        }
    }
    l.kind = l.v1.empty() ? (l.unified.empty() ? "none" : "v2") : (l.unified.empty() ? "v1" : "hybrid");
    std::sort(l.controllers.begin(), l.controllers.end());
    return l;
}

std::string layout_text(const CgroupLayout& l) {
    if (l.kind == "v2") return "v2 (unified, /sys/fs/cgroup)";
    std::vector<std::string> mounts;
    for (const auto& h : l.v1) mounts.push_back(h.mount.substr(h.mount.find_last_of('/') + 1));
    std::string text = l.kind + ": v1 hierarchies " + join(mounts, " ");
    if (!l.unified.empty()) {
        std::string own = trimmed(cgroupfs::read_or_empty(l.unified + "/cgroup.controllers"));
        text += ", cgroup2 at " + l.unified + " (controllers: " + (own.empty() ? "none" : own) + ")";
    }
    return text + "; myrt uses the v1 ones";
}

CheckFinding cgroups_finding(const CgroupLayout& l, bool rootless) {
    if (l.kind == "none")
        return problem("cgroups", rootless ? "limited" : "missing",
                       "no cgroup filesystem is mounted: no limits, no pause, no device rules",
                       "mount -t cgroup2 none /sys/fs/cgroup (as root)", !rootless);
    bool devices = l.kind == "v2" || std::find(l.controllers.begin(), l.controllers.end(), "devices") != l.controllers.end();
    if (!devices && !rootless)
        return problem("cgroups", "missing", layout_text(l) + "; no devices controller for the "
                       "default device rules", "mount the v1 devices controller, or boot with cgroup v2", true);
    return ok("cgroups", layout_text(l), !rootless);
}

CheckFinding controllers_finding(const CgroupLayout& l) {
    std::vector<std::string> lacking;
    for (const char* c : {"cpu", "memory", "pids"})
        if (std::find(l.controllers.begin(), l.controllers.end(), c) == l.controllers.end()) lacking.push_back(c);
    std::string have = "controllers: " + (l.controllers.empty() ? std::string("none") : join(l.controllers, " "));
    if (lacking.empty()) return ok("controllers", have);
    return problem("controllers", "limited", have + "; without " + join(lacking, ", ") +
                   " those limits of linux.resources are refused",
                   "enable them (cgroup_enable=memory on the kernel command line, or a kernel built with them)", false);
}

// Our own cgroup in the hierarchy of `controllers` ("" for v2), from /proc/self/cgroup.
std::string own_cgroup(const std::string& controllers) {
    auto want = split(controllers, ',');
    for (const auto& line : split(cgroupfs::read_or_empty("/proc/self/cgroup"), '\n')) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        auto have = split(std::string_view(line).substr(a + 1, b - a - 1), ',');
        std::sort(have.begin(), have.end());
        std::sort(want.begin(), want.end());
        if (have == want) return line.substr(b + 1);
    }
    return "";
}

bool ours_and_writable(const std::string& dir) {
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 && st.st_uid == ::geteuid() && ::access(dir.c_str(), W_OK) == 0;
}

// The topmost directory at or above our own cgroup, or myrt's default /myrt, that is ours
// to write: a subtree delegated to us (systemd's user@UID.service, or one root chowned).
std::string delegated_dir(const std::string& mount, const std::string& own) {
    if (ours_and_writable(mount + "/myrt")) return mount + "/myrt";
    std::string found;
    for (std::string rel = own; !rel.empty() && rel != "/"; rel = rel.substr(0, rel.find_last_of('/')))
        if (ours_and_writable(mount + rel)) found = mount + rel;
    return found;
}

CheckFinding delegation_finding(const CgroupLayout& l) {
    std::string fix = l.kind == "v2"
                          ? "log in through systemd (its user@UID.service is delegated to you) and run with --systemd-cgroup"
                          : "run as root for limits, or use a cgroup v2 host with systemd and --systemd-cgroup";
    std::vector<std::string> found, missing;
    std::vector<std::pair<std::string, std::string>> hierarchies;  // controllers, mount
    if (l.kind == "v2") hierarchies.push_back({"", "/sys/fs/cgroup"});
    for (const auto& h : l.v1) hierarchies.push_back({h.controllers, h.mount});
    for (const auto& [controllers, mount] : hierarchies) {
        std::string dir = delegated_dir(mount, own_cgroup(controllers));
        (dir.empty() ? missing : found).push_back(dir.empty() ? mount : dir);
    }
    if (hierarchies.empty())
        return problem("delegation", "limited", "no cgroups: containers run without limits", fix, false);
    if (missing.empty()) return ok("delegation", "yours to write: " + join(found, " "));
    return problem("delegation", "limited",
                   "no cgroup is delegated to you in " + join(missing, " ") +
                       ": containers run, without limits (myrt warns when a config asks for them)",
                   fix, false);
}

// --- systemd ----------------------------------------------------------------------------

CheckFinding systemd_finding(bool rootless) {
    std::string pid1 = trimmed(cgroupfs::read_or_empty("/proc/1/comm"));
    if (::access("/run/systemd/system", F_OK) != 0)
        return problem("systemd", "missing",
                       "not running (PID 1 is " + (pid1.empty() ? std::string("unknown") : pid1) +
                           "): --systemd-cgroup cannot be used; the default cgroupfs driver needs none",
                       "nothing for the default driver; for --systemd-cgroup boot with systemd", false);
    if (!systemd_driver_available())
        return problem("systemd", "limited", "running, but myrt-systemd is not installed next to myrt: "
                       "--systemd-cgroup cannot be used",
                       "build with libsystemd-dev and install myrt-systemd beside myrt", false);
    const char* bus = rootless ? "the user bus" : "the system bus";
    try {
        std::string version = systemd_manager_version(rootless);
        return ok("systemd", "systemd " + version + " answers on " + bus + " (--systemd-cgroup works)");
    } catch (const Error& e) {
        return problem("systemd", "limited", std::string(bus) + " does not answer: " + e.what(),
                       rootless ? "log in through systemd, or as root: loginctl enable-linger " + user_name(::geteuid())
                                : "start D-Bus (apt-get install dbus)",
                       false);
    }
}

// --- rootless helpers -----------------------------------------------------------------

// "start-end (N ids)" of each range for uid in /etc/subuid or /etc/subgid, by name or number.
std::vector<std::string> subid_ranges(const std::string& file, uid_t uid) {
    std::string name = user_name(uid);
    std::vector<std::string> out;
    for (const auto& line : split(cgroupfs::read_or_empty(file), '\n')) {
        auto f = split(line, ':');
        if (f.size() != 3 || (f[0] != name && f[0] != std::to_string(uid))) continue;
        unsigned long start = std::strtoul(f[1].c_str(), nullptr, 10);
        unsigned long count = std::strtoul(f[2].c_str(), nullptr, 10);
        if (count) out.push_back(f[1] + "-" + std::to_string(start + count - 1) + " (" + f[2] + " ids)");
    }
    return out;
}

CheckFinding subid_finding(const char* kind, bool rootless) {
    std::string file = std::string("/etc/sub") + kind;
    uid_t id = kind[0] == 'u' ? ::geteuid() : ::getegid();
    std::string check = std::string("sub") + kind;
    auto ranges = subid_ranges(file, ::geteuid());
    if (!ranges.empty()) return ok(check, file + ": " + join(ranges, ", "));
    if (!rootless) return ok(check, "no range for root in " + file + ": not needed, root writes id maps itself");
    std::string name = user_name(::geteuid());
    return problem(check, "limited",
                   "no range for " + who(::geteuid()) + " in " + file + ": only your own " + kind + " " +
                       std::to_string(id) + " can be mapped (enough for `myrt spec --rootless`)",
                   "as root: usermod --add-sub" + std::string(kind) + "s 100000-165535 " +
                       (name.empty() ? std::string("USER") : name),
                   false);
}

CheckFinding idmap_tool_finding(const char* tool, bool rootless) {
    std::string path = find_in_path(tool);
    std::string use = rootless ? "mapping more than your own id (uidMappings of your /etc/subuid ranges)"
                               : "rootless containers mapping more than one id (root needs it not)";
    if (path.empty())
        return problem(tool, "missing", std::string("not found in PATH: needed for ") + use,
                       "apt-get install uidmap", false);
    struct stat st {};
    bool setuid = ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0;
    bool fcaps = ::getxattr(path.c_str(), "security.capability", nullptr, 0) > 0;
    if (!setuid && !fcaps)
        return problem(tool, "limited", path + " is neither setuid root nor has file capabilities: it cannot map ids",
                       "apt-get install --reinstall uidmap", false);
    return ok(tool, path + (setuid ? " (setuid root)" : " (file capabilities)"));
}

// --- networking, CRIU, LSMs, state ------------------------------------------------------

CheckFinding slirp_finding() {
    std::string path = find_in_path("slirp4netns");
    if (path.empty())
        return problem("slirp4netns", "missing", "not found in PATH: `myrt spec --network slirp4netns` cannot run",
                       "apt-get install slirp4netns", false);
    return ok("slirp4netns", path + ": what --network slirp4netns runs (it needs /dev/net/tun too)");
}

CheckFinding tun_finding() {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (fd) return ok("/dev/net/tun", "you can open it (slirp4netns makes its tap device there)");
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO)
        return problem("/dev/net/tun", "missing", "open: " + errno_text(err) + ": slirp4netns networking fails",
                       "modprobe tun (as root)", false);
    return problem("/dev/net/tun", "limited", "open: " + errno_text(err) + ": slirp4netns networking fails for you",
                   "as root: chmod 0666 /dev/net/tun (Debian's default; only tap devices of your own become possible)",
                   false);
}

CheckFinding criu_finding() {
    std::string path = find_in_path("criu");
    if (path.empty())
        return problem("criu", "missing", "not found in PATH: `myrt checkpoint` and `restore` are not available",
                       "apt-get install criu", false);
    return ok("criu", path + ": `myrt checkpoint` and `restore` use it (`criu check` says whether this kernel can)");
}

CheckFinding apparmor_finding() {
    if (!apparmor_enabled())
        return ok("apparmor", "not enabled: a config with process.apparmorProfile is refused");
    return ok("apparmor", "enabled: process.apparmorProfile is applied (the profile must be loaded)");
}

CheckFinding selinux_finding() {
    if (!selinux_enabled())
        return ok("selinux", "not enabled: a config with process.selinuxLabel or linux.mountLabel is refused");
    std::string mode = trimmed(cgroupfs::read_or_empty("/sys/fs/selinux/enforce")) == "1" ? "enforcing" : "permissive";
    return ok("selinux", mode + ": process.selinuxLabel and linux.mountLabel are applied");
}

// The nearest existing directory at or above `path`.
std::string existing_ancestor(std::string path) {
    while (path.size() > 1 && ::access(path.c_str(), F_OK) != 0) path = path.substr(0, path.find_last_of('/'));
    return path.empty() ? "/" : path;
}

CheckFinding state_finding(const std::string& root) {
    const char* fix = "export XDG_RUNTIME_DIR (a login session sets it) or pass --root DIR, a directory of yours";
    if (root.empty())
        return problem("state-dir", "missing",
                       "no place for container state: XDG_RUNTIME_DIR is unset and /run/user/" +
                           std::to_string(::geteuid()) + " is not yours",
                       fix, true);
    std::string dir = existing_ancestor(root);
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        int err = errno;
        return problem("state-dir", "missing", root + ": " + dir + " is not writable for you (" + errno_text(err) + ")",
                       fix, true);
    }
    return ok("state-dir", root + (dir == root ? " (exists)" : " (made at the first create)"), true);
}

}  // namespace

std::vector<CheckFinding> check_host(const HostCheckOptions& o) {
    std::vector<CheckFinding> out{kernel_finding()};
    for (const auto& p : kSyscalls) out.push_back(syscall_finding(p));
    out.push_back(namespaces_finding(o.rootless));
    out.push_back(userns_finding(o.rootless));
    CgroupLayout layout = cgroup_layout();
    out.push_back(cgroups_finding(layout, o.rootless));
    out.push_back(controllers_finding(layout));
    if (o.rootless) out.push_back(delegation_finding(layout));
    out.push_back(systemd_finding(o.rootless));
    out.push_back(subid_finding("uid", o.rootless));
    out.push_back(subid_finding("gid", o.rootless));
    out.push_back(idmap_tool_finding("newuidmap", o.rootless));
    out.push_back(idmap_tool_finding("newgidmap", o.rootless));
    out.push_back(slirp_finding());
    out.push_back(tun_finding());
    out.push_back(criu_finding());
    out.push_back(apparmor_finding());
    out.push_back(selinux_finding());
    out.push_back(state_finding(o.state_root));
    return out;
}

bool host_ready(const std::vector<CheckFinding>& findings) {
    return std::none_of(findings.begin(), findings.end(),
                        [](const CheckFinding& f) { return f.needed && f.status == "missing"; });
}

std::string check_report(const std::vector<CheckFinding>& findings, bool rootless) {
    std::string out;
    std::vector<std::string> blockers;
    for (const auto& f : findings) {
        std::string status = f.status, check = f.check;
        status.resize(std::max<size_t>(status.size(), 8), ' ');
        check.resize(std::max<size_t>(check.size(), 15), ' ');
        out += status + " " + check + " " + f.detail + "\n";
        if (!f.fix.empty()) out += std::string(25, ' ') + "fix: " + f.fix + "\n";
        if (f.needed && f.status == "missing") blockers.push_back(f.check);
    }
    std::string as = rootless ? "as " + who(::geteuid()) + " (rootless)" : std::string("as root");
    if (blockers.empty()) return out + "ready: a default container (myrt spec) can run here " + as + "\n";
    return out + "not ready: a default container (myrt spec) cannot run here " + as + ": " +
           join(blockers, ", ") + " missing\n";
}

}  // namespace myrt
