#include "runtime/criu.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/fs/mounts.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/process.hpp"
#include "runtime/signals.hpp"
#include "runtime/sync.hpp"
#include "spec/state.hpp"

namespace myrt {

namespace {

// "/a//b/" -> "/a/b": CRIU compares mount points as the kernel shows them.
std::string clean_path(const std::string& p) {
    std::string out;
    for (char c : p) {
        if (c == '/' && !out.empty() && out.back() == '/') continue;
        out += c;
    }
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    if (out.empty() || out[0] != '/') out.insert(out.begin(), '/');
    return out;
}

bool is_bind(const spec::Mount& m) {
    if (m.type == "bind") return true;
    return std::any_of(m.options.begin(), m.options.end(),
                       [](const std::string& o) { return o == "bind" || o == "rbind"; });
}

bool has_namespace(const spec::Config& c, const char* type) {
    if (!c.linux) return false;
    return std::any_of(c.linux->namespaces.begin(), c.linux->namespaces.end(),
                       [&](const spec::Namespace& n) { return n.type == type; });
}

// The flags checkpoint and restore share.
template <class Options>
void set_shared(criu_rpc::Opts& r, const Options& o) {
    r.manage_cgroups_mode = criu_rpc::cg_mode(o.manage_cgroups_mode);
    r.shell_job = o.shell_job;
    r.tcp_established = o.tcp_established;
    r.ext_unix_sk = o.ext_unix_sk;
    r.file_locks = o.file_locks;
    r.auto_dedup = o.auto_dedup;
    r.lazy_pages = o.lazy_pages;
    if (!criu_empty_ns(o.empty_ns).empty()) r.empty_ns = CLONE_NEWNET;
    // A terminal's master is outside the container (with whoever took --console-socket):
    // dumped without it, restored with a new one that CRIU hands back.
    r.orphan_pts_master = true;
}

}  // namespace

namespace {
std::string g_criu = "criu";  // runc's --criu: a name looked up in PATH, or a path
}

void use_criu(const std::string& name_or_path) { g_criu = name_or_path.empty() ? "criu" : name_or_path; }

std::string find_criu() {
    if (g_criu.find('/') != std::string::npos) return ::access(g_criu.c_str(), X_OK) == 0 ? g_criu : std::string();
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string f = (dir.empty() ? std::string(".") : dir) + "/" + g_criu;
        if (::access(f.c_str(), X_OK) == 0) return f;
        start = end + 1;
    }
    return {};
}

void require_criu(const char* command) {
    if (!find_criu().empty()) return;
    if (g_criu != "criu")
        throw Error(std::string(command) + ": --criu \"" + g_criu + "\": no such executable" +
                    (g_criu.find('/') == std::string::npos ? " in PATH" : ""), ENOENT);
    throw Error(std::string(command) + ": criu is not installed (no criu in PATH): "
                "checkpoint and restore need CRIU", ENOENT);
}

std::vector<ExternalMount> external_mounts(const spec::Config& c, const std::string& bundle,
                                           const MountSide& side) {
    std::vector<ExternalMount> out;
    // dump: the cookie CRIU stores (the key itself, or another mount's key whose source it
    // shares); restore: the host path bound at key.
    auto add = [&](const std::string& dest, const std::string& source, const std::string& cookie) {
        std::string key = side.resolve ? side.resolve(clean_path(dest)) : clean_path(dest);
        for (const auto& e : out)
            if (e.key == key) return;
        out.push_back({key, side.restore ? source : (cookie.empty() ? key : cookie)});
    };
    bool cgroupns = has_namespace(c, "cgroup");
    for (const auto& m : c.mounts) {
        if (is_bind(m)) add(m.destination, bind_source(bundle, m.source.value_or("")), {});
        // Without a cgroup namespace the container's /sys/fs/cgroup is a bind of its cgroup.
        else if ((m.type == "cgroup" || m.type == "cgroup2") && !cgroupns && !side.cgroup_dir.empty())
            add(m.destination, side.cgroup_dir, {});
    }
    if (c.linux) {
        for (const auto& d : c.linux->devices) add(d.path, d.path, {});
    }
    // The default devices, bound from the host where mknod is refused (user namespaces).
    for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
        add(d, d, {});
    // Masked files are /dev/null bound over them: stored as /dev/null's, restored from the
    // host's. (Masked directories get a tmpfs, which CRIU saves itself.)
    if (c.linux && !side.restore)
        for (const auto& p : c.linux->maskedPaths)
            if (side.masked_file && side.masked_file(p)) add(p, {}, "/dev/null");
    return out;
}

std::vector<ExternalNamespace> external_namespaces(const spec::Config& c) {
    std::vector<ExternalNamespace> out;
    if (!c.linux) return out;
    for (const auto& n : c.linux->namespaces) {
        if (!n.path || n.path->empty()) continue;
        if (n.type == "network") out.push_back({"net", *n.path, "extRootNetNS"});
        if (n.type == "pid") out.push_back({"pid", *n.path, "extRootPidNS"});
    }
    return out;
}

std::string criu_config_file(const spec::Config& c) {
    auto it = c.annotations.find("org.criu.config");
    return it == c.annotations.end() ? "/etc/criu/runc.conf" : it->second;
}

std::vector<std::string> criu_empty_ns(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) {
        if (n != "network")
            throw Error("--empty-ns \"" + n + "\": namespace \"" + n + "\" is not supported "
                        "(only network)", EINVAL);
        if (out.empty()) out.push_back("net");
    }
    return out;
}

criu_rpc::Opts criu_dump_opts(const CheckpointOptions& o, const DumpTarget& t) {
    criu_rpc::Opts r;
    r.images_dir_fd = t.images_dir_fd;
    r.work_dir_fd = t.work_dir_fd;
    r.log_file = o.pre_dump ? "pre-dump.log" : "dump.log";
    r.pid = t.pid;
    r.root = t.rootfs;
    set_shared(r, o);
    r.leave_running = o.leave_running && !o.pre_dump;
    // runc takes --status-fd and ignores it without --lazy-pages: refused here instead.
    if (o.status_fd >= 0 && !o.lazy_pages)
        throw Error("--status-fd: only with --lazy-pages (CRIU writes to it once the lazy pages are served)", EINVAL);
    r.status_fd = o.status_fd;
    if (!o.page_server.empty()) {
        size_t colon = o.page_server.rfind(':');
        if (colon == std::string::npos || colon == 0)
            throw Error("Use --page-server ADDRESS:PORT to specify page server", EINVAL);
        std::string port = o.page_server.substr(colon + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
            throw Error("--page-server \"" + o.page_server + "\": Invalid port number", EINVAL);
        r.ps_address = o.page_server.substr(0, colon);
        r.ps_port = std::stoi(port);
    }
    // A pre-dump tracks memory so the next dump saves only what changed since.
    r.track_mem = o.pre_dump || !o.parent_path.empty();
    r.parent_img = o.parent_path;
    r.freeze_cgroup = t.freeze_cgroup;
    // The mounts are what restore re-binds: a pre-dump saves memory only.
    if (!o.pre_dump) {
        for (const auto& m : t.mounts) r.external.push_back("mnt[" + m.key + "]:" + m.value);
        for (const auto& e : t.externals) r.external.push_back(e);
    }
    return r;
}

criu_rpc::Opts criu_restore_opts(const RestoreOptions& o, const RestoreTarget& t) {
    criu_rpc::Opts r;
    r.images_dir_fd = t.images_dir_fd;
    r.work_dir_fd = t.work_dir_fd;
    r.log_file = "restore.log";
    r.root = t.root;
    // A sibling: the restored init is the runtime's child, and CRIU exits.
    r.rst_sibling = true;
    r.notify_scripts = true;  // setup-namespaces: where the prestart hooks run
    r.evasive_devices = true;
    set_shared(r, o);
    for (const auto& m : t.mounts) r.external.push_back("mnt[" + m.key + "]:" + m.value);
    r.inherit_fds = t.inherit_fds;
    return r;
}

std::string descriptors_json(pid_t pid) {
    std::vector<std::string> fds;
    for (int fd = 0; fd < 3; ++fd) {
        char buf[PATH_MAX];
        std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        fds.push_back(n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/dev/null");
    }
    return spec::strings_to_json(fds);
}

std::vector<std::string> parse_descriptors(const std::string& json, const std::string& path) {
    try {
        return spec::parse_strings(json, path);
    } catch (const std::exception& e) {
        throw Error(e.what(), EINVAL);
    }
}

std::vector<criu_rpc::InheritFd> inherit_stdio(const std::vector<std::string>& descriptors) {
    std::vector<criu_rpc::InheritFd> out;
    for (size_t i = 0; i < descriptors.size() && i < 3; ++i)
        if (descriptors[i].find("pipe:") != std::string::npos)
            out.push_back({descriptors[i], static_cast<int>(i)});
    return out;
}

std::string criu_log_error(const std::string& text) {
    size_t at = text.find("Error (");
    if (at == std::string::npos) at = text.find("Error");
    if (at == std::string::npos) return {};
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    // "Error (criu/mount.c:123): msg" -> "msg"
    size_t close = line.find("): ");
    if (line.starts_with("Error (") && close != std::string::npos) line = line.substr(close + 3);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line;
}

namespace {

int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for criu");
    }
    return status;
}

std::string failure(const std::string& what, int status, const std::string& log) {
    std::string reason;
    try {
        reason = criu_log_error(read_file(log));
    } catch (const Error&) {
    }
    if (reason.empty())
        reason = WIFSIGNALED(status) ? "criu killed by signal " + std::to_string(WTERMSIG(status))
                                     : "criu exited with status " + std::to_string(WEXITSTATUS(status));
    return what + " failed: " + reason + " (see " + log + ")";
}

[[noreturn]] void exec_criu(const std::string& criu, std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(criu.c_str()));
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::execv(criu.c_str(), argv.data());
    ::_exit(127);
}

std::string criu_or_fail(const char* what) {
    std::string criu = find_criu();
    if (criu.empty()) require_criu(what);
    return criu;
}

// The criu process of a request: killed and reaped unless it ended by itself.
class CriuChild {
public:
    explicit CriuChild(pid_t pid) : pid_(pid) {}
    ~CriuChild() {
        if (pid_ > 0) kill_and_reap(pid_);
    }
    CriuChild(const CriuChild&) = delete;
    CriuChild& operator=(const CriuChild&) = delete;
    pid_t pid() const { return pid_; }
    int wait() {
        int status = wait_child(pid_);
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_;
};

// fd, made to be path in the caller's mount namespace (the number stays).
void reopen_dir_at(const std::string& path, int fd) {
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("open " + path);
    if (::dup3(dir.get(), fd, O_CLOEXEC) < 0) throw_errno("dup3 " + path);
}

// Restore: the rootfs on a mount point of its own (CRIU wants its root to be one, under a
// parent that is not overmounted), in a mount namespace of CRIU's, so nothing of it is
// left on the host whatever happens.
void enter_restore_namespace(const SwrkRun& r) {
    if (::unshare(CLONE_NEWNS) < 0) throw_errno("restore: unshare the mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0)
        throw_errno("restore: make CRIU's mounts private");
    if (::mount(r.rootfs.c_str(), r.opts.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("restore: bind the rootfs " + r.rootfs);
}

// In the child, before `criu swrk`:
// - for a restore, a mount namespace of CRIU's own (above);
// - the image and work directories opened again there, where CRIU mounts in its work
//   directory (it finds them as /proc/PEER/fd/N, PEER being whoever made the socket: so
//   the child makes it, and sends the runtime its end over ctl);
// - the descriptors CRIU is told of kept open across exec.
// Returns CRIU's end of the RPC socket.
int prepare_swrk_child(const SwrkRun& r, int ctl) {
    reset_signals_for_exec();
    if (!r.rootfs.empty()) enter_restore_namespace(r);
    reopen_dir_at(r.images_dir, r.opts.images_dir_fd);
    if (r.opts.work_dir_fd >= 0) reopen_dir_at(r.work_dir, r.opts.work_dir_fd);
    int sk[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sk) < 0) throw_errno("socketpair");
    UniqueFd runtime_end(sk[0]);
    char ok[] = "ok";
    iovec iov{ok, 2};
    if (send_with_fd(ctl, &iov, 1, runtime_end.get()) < 0) throw_errno("pass the criu socket");
    std::vector<int> keep{sk[1], r.opts.images_dir_fd, r.opts.work_dir_fd, r.opts.status_fd};
    for (const auto& f : r.opts.inherit_fds) keep.push_back(f.fd);
    for (int fd : keep)
        if (fd > 2 && ::fcntl(fd, F_SETFD, 0) < 0) throw_errno("keep descriptor " + std::to_string(fd));
    return sk[1];
}

// The child: waits for the runtime's go (it is in its cgroup then), prepares, execs `criu
// swrk`. A failure goes to the runtime as text over ctl.
[[noreturn]] void swrk_child(const std::string& criu, const SwrkRun& r, int ctl) {
    int sock;
    try {
        char byte;
        if (::recv(ctl, &byte, 1, 0) != 1) ::_exit(126);  // the runtime gave up
        sock = prepare_swrk_child(r, ctl);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        ::send(ctl, msg.data(), msg.size(), MSG_NOSIGNAL);
        ::_exit(126);
    }
    std::vector<std::string> args{"swrk", std::to_string(sock)};
    exec_criu(criu, args);
}

void send_message(int sock, const std::string& bytes) {
    ssize_t n;
    do n = ::send(sock, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("write to criu");
}

// One message from CRIU; false when it closed the socket (it exited).
bool receive_message(int sock, criu_rpc::Response& resp, UniqueFd& fd) {
    std::string buf(64 * 1024, '\0');
    iovec iov{buf.data(), buf.size()};
    long n = receive_with_fd(sock, &iov, 1, fd);
    if (n < 0) throw_errno("read from criu");
    if (n == 0) return false;
    try {
        resp = criu_rpc::decode_response(std::string_view(buf.data(), static_cast<size_t>(n)));
    } catch (const std::exception& e) {
        throw Error(std::string("criu: ") + e.what(), EPROTO);
    }
    return true;
}

}  // namespace

criu_rpc::Response criu_swrk(SwrkRun& r, const std::string& what, const std::string& log) {
    std::string criu = criu_or_fail(what.c_str());
    ::unlink(log.c_str());
    int ctl[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) throw_errno("socketpair");
    UniqueFd ctl_ours(ctl[0]), ctl_theirs(ctl[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork criu");
    if (pid == 0) swrk_child(criu, r, ctl_theirs.get());
    CriuChild child(pid);
    ctl_theirs.reset();
    if (r.before) r.before(pid, r.opts);
    if (::send(ctl_ours.get(), "1", 1, MSG_NOSIGNAL) != 1) throw_errno("start criu");
    UniqueFd ours;
    {
        char buf[512];
        iovec iov{buf, sizeof buf};
        long n = receive_with_fd(ctl_ours.get(), &iov, 1, ours);
        if (n < 0) throw_errno("read from the criu process");
        if (!ours) {
            std::string why = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "it ended before starting criu";
            throw Error(what + " failed: " + why, EIO);
        }
    }
    ctl_ours.reset();
    send_message(ours.get(), criu_rpc::encode_request(r.type, r.opts));

    std::exception_ptr failed;  // a notification's: CRIU is told, rolls back, then answers
    criu_rpc::Response resp;
    for (;;) {
        UniqueFd fd;
        if (!receive_message(ours.get(), resp, fd)) throw Error(failure(what, child.wait(), log), EIO);
        if (resp.type != criu_rpc::kNotify) break;
        bool ok = !failed;
        if (ok) {
            try {
                if (r.notify) r.notify(resp.notify_script, resp.notify_pid, std::move(fd));
            } catch (...) {
                failed = std::current_exception();
                ok = false;
            }
        }
        send_message(ours.get(), criu_rpc::encode_notify_reply(ok));
    }
    ours.reset();
    int status = child.wait();
    if (failed) std::rethrow_exception(failed);
    if (resp.type != r.type)
        throw Error(what + ": criu answered with a message of type " + std::to_string(resp.type), EPROTO);
    if (!resp.success) {
        // CRIU's message is its log's error line(s): the first, without its source location.
        std::string why = criu_log_error(resp.cr_errmsg);
        if (!why.empty())
            throw Error(what + " failed: " + why + " (see " + log + ")", resp.cr_errno ? resp.cr_errno : EIO);
        throw Error(failure(what, status, log), resp.cr_errno ? resp.cr_errno : EIO);
    }
    return resp;
}

}  // namespace myrt
