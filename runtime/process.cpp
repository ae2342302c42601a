#include "runtime/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/fd.hpp"
#include "runtime/proc.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/signals.hpp"

namespace myrt {

namespace {

struct RlimitName {
    const char* name;
    int resource;
};

constexpr std::array<RlimitName, 16> kRlimits{{
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
}};

constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& e : env)
        if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
            return e.substr(key.size() + 1);
    return {};
}

bool is_executable_file(const std::string& path, int* err) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
        *err = errno;
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        *err = EISDIR;
        return false;
    }
    if (!(st.st_mode & 0111)) {
        *err = EACCES;
        return false;
    }
    return true;
}

// The container's /etc/passwd, or "" when it is no regular file of at most 1 MiB. The image
// owns that file: a FIFO there would block create and exec forever, /dev/zero would spin them.
// It is looked at through O_PATH first (opening a device can have effects), inside the
// container's root (we are in it already), then opened as that same file and read with a
// bound. Resolution follows symlinks only within that root.
std::string read_container_passwd() {
    constexpr off_t kMaxSize = 1 << 20;
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    int err = 0;
    UniqueFd probe = try_open_in_root(root.get(), "/etc/passwd", O_PATH, &err);
    struct stat st {}, opened {};
    if (!probe || ::fstat(probe.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxSize)
        return {};
    UniqueFd fd = try_open_in_root(root.get(), "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY, &err);
    if (!fd || ::fstat(fd.get(), &opened) < 0 || opened.st_ino != st.st_ino ||
        opened.st_dev != st.st_dev)
        return {};  // swapped meanwhile
    // Sized by the file, not by the bound: a zeroed 1 MiB buffer cost init 256 page faults
    // (a quarter of a millisecond) for an 82-byte file. It grows only if the file grows.
    std::string text(static_cast<size_t>(opened.st_size) + 1, '\0');
    size_t used = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {};
        if (n == 0) break;
        used += static_cast<size_t>(n);
        if (used > static_cast<size_t>(kMaxSize)) return {};  // grew past the bound meanwhile
        if (used == text.size()) text.resize(std::min(text.size() * 2, size_t{kMaxSize} + 1));
    }
    text.resize(used);
    return text;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (size_t start = 0;;) {
        size_t end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

// HOME of uid in the container's /etc/passwd; "/" when it has none (or no usable file).
std::string home_of(uint32_t uid) {
    std::string passwd = read_container_passwd();
    for (std::string_view line : split(passwd, '\n')) {
        auto f = split(line, ':');  // name:pw:uid:gid:gecos:home:shell
        if (f.size() < 6) continue;
        uint32_t id = 0;
        auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), id);
        if (ec == std::errc() && end == f[2].data() + f[2].size() && id == uid)
            return std::string(f[5]);
    }
    return "/";
}

}  // namespace

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits) {
    if (rlimits.empty()) return;
    log::Step step("rlimits");
    step.field("count", static_cast<long long>(rlimits.size()));
    for (const auto& r : rlimits) {
        int resource = -1;
        for (const auto& k : kRlimits)
            if (r.type == k.name) resource = k.resource;
        if (resource < 0) throw Error("process.rlimits: unknown type \"" + r.type + "\"");
        rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (::setrlimit(resource, &lim) < 0)
            throw_errno("setrlimit " + r.type + " soft " + std::to_string(r.soft) + " hard " +
                        std::to_string(r.hard));
    }
}

std::string find_executable(const spec::Process& process) {
    if (process.args.empty()) throw Error("process.args: must not be empty");
    const std::string& name = process.args[0];
    int err = 0;
    if (name.find('/') != std::string::npos) {
        if (is_executable_file(name, &err)) return name;
        throw Error("exec \"" + name + "\": " + errno_text(err), err);
    }
    std::string path = env_value(process.env, "PATH");
    if (path.empty()) path = kDefaultPath;
    size_t pos = 0;
    int first_err = ENOENT;
    while (pos <= path.size()) {
        size_t end = path.find(':', pos);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(pos, end - pos);
        pos = end + 1;
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (is_executable_file(candidate, &err)) return candidate;
        if (err == EACCES) first_err = EACCES;
    }
    if (first_err == EACCES) throw Error("exec \"" + name + "\": permission denied", EACCES);
    throw Error("exec \"" + name + "\": executable file not found in $PATH", ENOENT);
}

std::vector<std::string> process_environment(const spec::Process& process) {
    std::vector<std::string> env = process.env;
    if (env_value(env, "HOME").empty()) env.push_back("HOME=" + home_of(process.user.uid));
    return env;
}

void switch_user(const spec::User& user, const CapabilitySets* caps) {
    log::Step step("user");
    step.field("uid", static_cast<long long>(user.uid)).field("gid", static_cast<long long>(user.gid))
        .field("additional_gids", static_cast<long long>(user.additionalGids.size()))
        .field("capabilities", caps != nullptr);
    if (caps) apply_bounding_set(*caps);
    // Keep the permitted set across the uid change; the final sets are applied just after.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
    std::vector<gid_t> groups(user.additionalGids.begin(), user.additionalGids.end());
    if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
        throw_errno("setgroups");
    if (::setresgid(user.gid, user.gid, user.gid) < 0)
        throw_errno("setgid " + std::to_string(user.gid));
    if (::setresuid(user.uid, user.uid, user.uid) < 0)
        throw_errno("setuid " + std::to_string(user.uid));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
    if (caps) apply_capability_sets(*caps);
}

void close_fds_except(int preserve_fds, std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned next = 3u + static_cast<unsigned>(preserve_fds);
    for (int fd : keep) {
        if (fd < 0 || static_cast<unsigned>(fd) < next) continue;
        if (static_cast<unsigned>(fd) > next) ::syscall(SYS_close_range, next, fd - 1, 0);
        next = static_cast<unsigned>(fd) + 1;
    }
    ::syscall(SYS_close_range, next, ~0u, 0);
}

void close_descriptors_on_exec(int preserve_fds) {
    unsigned first = 3u + static_cast<unsigned>(preserve_fds);
    for (unsigned fd = 3; fd < first; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, 0);
    if (::syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
        throw_errno("close_range");
}

namespace {

// The cwd is resolved inside the container's root and never through a magic link: a
// "/proc/self/fd/N" cwd cannot reach a host directory. False when permission was denied.
bool enter_cwd(const std::string& cwd, bool retry_later) {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open /");
    int err = 0;
    UniqueFd dir = try_open_in_root(root.get(), cwd, O_PATH | O_DIRECTORY, &err);
    if (dir && ::fchdir(dir.get()) == 0) return true;
    if (dir) err = errno;
    if (retry_later && (err == EACCES || err == EPERM)) return false;
    throw_errno("chdir \"" + cwd + "\"", err);
}

}  // namespace

void enter_process(const spec::Process& p, const CapabilitySets* caps, const SeccompProgram* filter,
                   int preserve_fds) {
    const std::string cwd = p.cwd.empty() ? "/" : p.cwd;
    bool in_cwd = enter_cwd(cwd, true);
    if (log::debug_enabled())
        log::step_now("process", {{"cwd", cwd}, {"no_new_privileges", p.noNewPrivileges}});
    if (p.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
    reset_signals_for_exec();
    close_descriptors_on_exec(preserve_fds);
    if (filter && !p.noNewPrivileges) load_seccomp(*filter);
    switch_user(p.user, caps);
    if (!in_cwd) enter_cwd(cwd, false);
    if (filter && p.noNewPrivileges) load_seccomp(*filter);
}

void exec_process(const std::string& path, const spec::Process& process,
                  const std::vector<std::string>& env) {
    std::vector<char*> argv, envp;
    for (const auto& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    if (log::debug_enabled()) {
        std::string args;
        for (const auto& a : process.args) args += (args.empty() ? "" : " ") + a;
        log::step_now("exec", {{"path", path}, {"args", args}});
    }
    ::execve(path.c_str(), argv.data(), envp.data());
    int err = errno;
    dprintf(STDERR_FILENO, "myrt: exec \"%s\": %s\n", process.args[0].c_str(),
            errno_text(err).c_str());
    ::_exit(err == ENOENT ? 127 : 126);
}

namespace {
// Which of fds 3.. the caller handed us, noted before myrt opened anything of its own: a
// state directory or log file that lands on fd 3 must never pass for a preserved fd.
std::vector<bool> g_inherited;
bool g_noted = false;
}  // namespace

void note_inherited_fds() {
    g_noted = true;
    for (int fd = 3; fd < 3 + 4096; ++fd) {
        bool open = ::fcntl(fd, F_GETFD) >= 0;
        if (!open) break;  // --preserve-fds passes a contiguous run from 3
        g_inherited.push_back(true);
    }
}

void check_preserved_fds(int n) {
    if (n < 0) throw Error("--preserve-fds must not be negative", EINVAL);
    for (int fd = 3; fd < 3 + n; ++fd)
        if (g_noted ? static_cast<size_t>(fd - 3) >= g_inherited.size() : ::fcntl(fd, F_GETFD) < 0)
            throw Error("--preserve-fds " + std::to_string(n) + ": fd " + std::to_string(fd) +
                            " is not open", EBADF);
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

void write_pid_file(const std::string& path, pid_t pid) {
    try {
        write_file_atomic(path, std::to_string(pid), 0644);
    } catch (const Error& e) {
        throw Error("--pid-file " + path + ": " + errno_text(e.code()), e.code());
    }
}

}  // namespace myrt
