#include "runtime/proc.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

namespace myrt {

namespace {

struct SignalName {
    const char* name;
    int number;
};

constexpr std::array<SignalName, 34> kSignals{{
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"SYS", SIGSYS},     {"PWR", SIGPWR},
    {"POLL", SIGPOLL},   {"CLD", SIGCHLD},
}};

bool parse_int(std::string_view s, int& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

int parse_realtime(std::string_view s) {
    // RTMIN, RTMIN+3, RTMAX-2
    int base = s.starts_with("RTMIN") ? SIGRTMIN : SIGRTMAX;
    std::string_view rest = s.substr(5);
    if (rest.empty()) return base;
    int off = 0;
    if (rest.size() < 2 || !parse_int(rest.substr(1), off)) return 0;
    int sig = rest[0] == '+' ? base + off : rest[0] == '-' ? base - off : 0;
    return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : 0;
}

}  // namespace

ProcStat read_proc_stat(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return {};
    buf[n] = '\0';
    // comm may contain spaces and parentheses: fields start after the last ')'.
    char* p = strrchr(buf, ')');
    if (!p || p[1] == '\0') return {};
    ProcStat st;
    st.state = p[2];
    p += 2;
    for (int field = 3; field < 22 && p; ++field) {
        p = strchr(p, ' ');
        if (p) ++p;
    }
    if (p) st.start_time = strtoull(p, nullptr, 10);
    return st;
}

bool process_alive(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return false;
    ProcStat st = read_proc_stat(pid);
    if (st.state == 0 || st.state == 'Z' || st.state == 'X') return false;
    return start_time == 0 || st.start_time == start_time;
}

std::vector<ProcCgroup> read_proc_cgroup(pid_t pid) {
    std::vector<ProcCgroup> out;
    std::string text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string_view::npos || b == std::string_view::npos) continue;
        out.push_back({std::string(line.substr(a + 1, b - a - 1)), std::string(line.substr(b + 1))});
    }
    return out;
}

uint64_t pid_namespace_of(pid_t pid) {
    struct stat st {};
    if (::stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) < 0) return 0;
    return st.st_ino;
}

int pid_within_namespace(pid_t pid, uint64_t ns) {
    UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno == EACCES || errno == EPERM ? -1 : 0;
    for (int depth = 0; depth < 40; ++depth) {  // the kernel nests at most 32 deep
        struct stat st {};
        if (::fstat(fd.get(), &st) < 0) return 0;
        if (st.st_ino == ns) return 1;
        UniqueFd parent(::ioctl(fd.get(), NS_GET_PARENT));
        if (!parent) return 0;  // the top, or outside what we may see
        fd = std::move(parent);
    }
    return 0;
}

int parse_signal(std::string_view name) {
    int number = 0;
    if (parse_int(name, number)) {
        // 0 sends nothing: it asks whether the process exists (kill ID 0, as runc takes it).
        if (number >= 0 && number <= SIGRTMAX && name != "-0") return number;
        throw Error("unknown signal \"" + std::string(name) + "\"");
    }
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view bare = upper;
    if (bare.starts_with("SIG")) bare.remove_prefix(3);
    for (const auto& s : kSignals)
        if (bare == s.name) return s.number;
    if (bare.starts_with("RTMIN") || bare.starts_with("RTMAX")) {
        if (int sig = parse_realtime(bare)) return sig;
    }
    throw Error("unknown signal \"" + std::string(name) + "\"");
}

std::string read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

static void write_all_or_throw(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write " + path);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
    write_file_atomic_at(AT_FDCWD, path, data, mode, path);
}

void write_new_file_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
                       const std::string& shown) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) throw_errno("open " + shown);
    write_all_or_throw(fd.get(), data, shown);
}

void write_file_atomic_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
                          const std::string& shown) {
    std::string tmp = name + ".tmp", shown_tmp = shown + ".tmp";
    // A leftover temporary (or a symlink planted there) is never reused or followed: it
    // makes the exclusive create fail, and is removed for a second try. (Not removed first:
    // that is a failed lookup on every write, and there is rarely a leftover.)
    try {
        write_new_file_at(dirfd, tmp, data, mode, shown_tmp);
    } catch (const Error& e) {
        if (e.code() != EEXIST) throw;
        if (::unlinkat(dirfd, tmp.c_str(), 0) < 0 && errno != ENOENT)
            throw_errno("remove " + shown_tmp);
        write_new_file_at(dirfd, tmp, data, mode, shown_tmp);
    }
    if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) {
        int err = errno;
        ::unlinkat(dirfd, tmp.c_str(), 0);
        throw_errno("rename " + shown_tmp, err);
    }
}

std::string read_file_at(int dirfd, const std::string& name, const std::string& shown,
                         size_t limit) {
    // O_NONBLOCK: a FIFO planted there must not block the open.
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw_errno("open " + shown);
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + shown);
    if (!S_ISREG(st.st_mode)) throw Error(shown + ": not a regular file", EINVAL);
    if (static_cast<uint64_t>(st.st_size) > limit)
        throw Error(shown + ": larger than " + std::to_string(limit) + " bytes", EFBIG);
    std::string out(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + shown);
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

std::string read_fd_to_end(int fd) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

void write_file(const std::string& path, std::string_view data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    write_all_or_throw(fd.get(), data, path);
}

namespace {

struct IdRange {
    unsigned long inside, outside, count;
};

// /proc/self/uid_map: "inside outside count" lines ({} when it cannot be read: a kernel
// without user namespaces).
std::vector<IdRange> own_uid_map() {
    std::vector<IdRange> out;
    try {
        std::istringstream in(read_file("/proc/self/uid_map"));
        IdRange r{};
        while (in >> r.inside >> r.outside >> r.count) out.push_back(r);
    } catch (const Error&) {
    }
    return out;
}

}  // namespace

bool in_user_namespace() {
    auto map = own_uid_map();
    return !map.empty() && !(map.size() == 1 && map[0].inside == 0 && map[0].outside == 0 &&
                             map[0].count == 4294967295UL);
}

// (One level: in a user namespace nested in another, the parent's ids decide.)
bool unprivileged_on_host() {
    if (::geteuid() != 0) return true;
    for (const auto& r : own_uid_map())
        if (r.inside == 0 && r.count > 0) return r.outside != 0;
    return false;
}

uid_t overflow_uid() {
    // Read once: a state root's every directory asks (a sysctl only the host's root changes).
    static const uid_t uid = [] {
        try {
            return static_cast<uid_t>(std::stoul(read_file("/proc/sys/kernel/overflowuid")));
        } catch (const std::exception&) {
            return uid_t{65534};
        }
    }();
    return uid;
}

}  // namespace myrt
