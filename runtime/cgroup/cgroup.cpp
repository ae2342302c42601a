#include "runtime/cgroup/cgroup.hpp"

#include <fcntl.h>

#include <linux/magic.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "runtime/cgroup/cgroup_drivers.hpp"
#include "runtime/cgroup/systemd.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"

namespace myrt {

CgroupVersion host_cgroup_version() {
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
        return CgroupVersion::v2;
    return CgroupVersion::v1;
}

static std::string container_cgroup_path(const std::optional<std::string>& cgroups_path,
                                         const std::string& id) {
    if (!cgroups_path || cgroups_path->empty()) return "/myrt/" + id;
    const std::string& p = *cgroups_path;
    if (p.find(':') != std::string::npos && p[0] != '/')
        throw Error("linux.cgroupsPath \"" + p +
                    "\": systemd cgroup paths (slice:prefix:name) need --systemd-cgroup");
    // Normalised ("a//b/" is "/a/b"): the directories create() makes are compared with it.
    std::string out = p[0] == '/' ? "" : "/myrt";
    for (size_t pos = 0; pos <= p.size();) {
        size_t end = p.find('/', pos);
        if (end == std::string::npos) end = p.size();
        std::string_view part(p.data() + pos, end - pos);
        if (part == "..") throw Error("linux.cgroupsPath \"" + p + "\": must not contain \"..\"");
        if (!part.empty() && part != ".") (out += '/') += part;
        pos = end + 1;
    }
    return out.empty() ? "/" : out;
}

// A path read back from a record: under /sys/fs/cgroup, no "." or ".." on the way.
static void check_record_path(const std::string& dir) {
    static constexpr std::string_view kRoot = "/sys/fs/cgroup/";
    bool ok = dir.starts_with(kRoot) || dir + "/" == kRoot;
    for (size_t pos = 1; ok && pos <= dir.size();) {
        size_t end = dir.find('/', pos);
        if (end == std::string::npos) end = dir.size();
        std::string_view part(dir.data() + pos, end - pos);
        ok = part != "." && part != "..";
        pos = end + 1;
    }
    if (!ok) throw Error("state: cgroup path \"" + dir + "\" is not under " + std::string(kRoot));
}

std::unique_ptr<Cgroup> cgroup_for(const std::optional<std::string>& cgroups_path,
                                   const std::string& id) {
    std::string path = container_cgroup_path(cgroups_path, id);
    if (host_cgroup_version() == CgroupVersion::v2) return make_cgroup_v2(path);
    return make_cgroup_v1(path);
}

std::unique_ptr<Cgroup> systemd_cgroup_for(const std::optional<std::string>& cgroups_path,
                                           const std::string& id, bool rootless) {
    return make_systemd_cgroup(parse_systemd_path(cgroups_path, id, rootless), rootless);
}

std::unique_ptr<Cgroup> cgroup_from_paths(const std::map<std::string, std::string>& paths,
                                          const std::vector<std::string>& owned) {
    if (paths.empty()) return nullptr;
    if (paths.size() == 1 && paths.begin()->first.empty()) {
        const std::string& dir = paths.begin()->second;
        return reopen_cgroup_v2(dir, std::find(owned.begin(), owned.end(), dir) != owned.end());
    }
    return reopen_cgroup_v1(paths, owned);
}

std::unique_ptr<Cgroup> cgroup_from_record(const spec::ContainerRecord& r) {
    for (const auto& [controllers, dir] : r.cgroup_paths) check_record_path(dir);
    if (!r.systemd_unit.empty()) {
        if (r.systemd_unit.find('/') != std::string::npos || !r.systemd_unit.ends_with(".scope"))
            throw Error("state: \"" + r.systemd_unit + "\" is not a scope unit");
        // (Records of before systemd_user: the owner said it.)
        return reopen_systemd_cgroup(r.systemd_unit, r.systemd_user || r.owner != 0, r.cgroup_paths,
                                     r.cgroup_owned);
    }
    return cgroup_from_paths(r.cgroup_paths, r.cgroup_owned);
}

namespace {

// The cgroup2 directory of `cgroup`: all of it on v2, the unified hierarchy ("") of a
// hybrid host on v1; "" if none.
std::string cgroup2_dir(const Cgroup& cgroup) {
    for (const auto& [controllers, dir] : cgroup.paths())
        if (cgroup.version() == CgroupVersion::v2 || controllers.empty()) return dir;
    return "";
}

// The files the child writes "0" to itself: v1's "tasks" (moving only the calling thread
// skips the global lock), and cgroup2's cgroup.procs unless it is born there (`born_in`).
std::vector<UniqueFd> open_self_join_files(const Cgroup& cgroup, const std::string& born_in) {
    std::vector<UniqueFd> fds;
    for (const auto& [controllers, dir] : cgroup.paths()) {
        bool v1 = cgroup.version() == CgroupVersion::v1 && !controllers.empty();
        if (!v1 && dir == born_in) continue;
        std::string path = dir + (v1 ? "/tasks" : "/cgroup.procs");
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) throw_errno("open " + path);
        fds.push_back(std::move(fd));
    }
    return fds;
}

// Whether the child `pid` just made has SIGKILL pending. A kernel with cgroup.kill's kill
// count (6.18 here; not 6.1) kills a CLONE_INTO_CGROUP child at birth when its parent's
// own cgroup was ever killed through cgroup.kill: it compares the count of the parent's
// cgroup with the new one's. (runc's suite's harness kills the cgroup it runs tests in
// between tests.) The signal is queued before clone3 returns, so it shows already.
bool killed_at_birth(long pid) {
    std::string status;
    try {
        status = read_file("/proc/" + std::to_string(pid) + "/status");
    } catch (const Error&) {
        // An unreaped child always has one: whatever failed, the child runs on (waiting for
        // it here would wait for ever), and a kill shows later as init killed by signal 9.
        return false;
    }
    for (const char* key : {"\nSigPnd:\t", "\nShdPnd:\t"}) {
        size_t at = status.find(key);
        if (at == std::string::npos) continue;
        unsigned long long mask = std::strtoull(status.c_str() + at + 9, nullptr, 16);
        if (mask & (1ull << (SIGKILL - 1))) return true;
    }
    return false;
}

long clone3_into(unsigned long flags, const std::string& dir_path) {
    UniqueFd dir(::open(dir_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return -1;
    clone_args args{};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(dir.get());
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid > 0 && killed_at_birth(pid)) {
        ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
        return -1;  // made again below, joining by cgroup.procs
    }
    return pid;
}

}  // namespace

pid_t clone_in_cgroup(unsigned long flags, const Cgroup* cgroup, std::vector<UniqueFd>& join) {
    join.clear();
    long pid = -1;
    if (cgroup) {
        // Born in the cgroup2 part (a hybrid host's unified hierarchy too): its cgroup.procs
        // takes the lock that costs an RCU grace period. The v1 files are opened first, for
        // the child (they are the same whether or not clone3 works).
        std::string born_in = cgroup2_dir(*cgroup);
        if (!born_in.empty()) {
            join = open_self_join_files(*cgroup, born_in);
            pid = clone3_into(flags, born_in);
        }
        if (pid < 0) join = open_self_join_files(*cgroup, "");  // no clone3 (before 5.7)
    }
    // A plain clone (no CLONE_VM) is a fork whose child is born in its new namespaces.
    if (pid < 0) pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) throw_errno("clone");
    return static_cast<pid_t>(pid);
}

void join_cgroup_self(const std::vector<int>& fds) {
    if (fds.empty()) return;
    log::Step step("cgroup.join");
    step.field("hierarchies", static_cast<long long>(fds.size()));
    for (int fd : fds) {
        if (::write(fd, "0", 1) != 1) throw_errno("join the container's cgroup");
        ::close(fd);
    }
}

}  // namespace myrt
