#include "runtime/criu.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/fs/mounts.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
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

void add_flag(std::vector<std::string>& a, bool on, const char* flag) {
    if (on) a.push_back(flag);
}

void add_common(std::vector<std::string>& a, const std::string& image, const std::string& work,
                const char* log) {
    a.insert(a.end(), {"-D", image});
    if (!work.empty()) a.insert(a.end(), {"-W", work});
    a.insert(a.end(), {"-o", log, "-v4"});
}

// The flags checkpoint and restore share.
template <class Options>
void add_shared(std::vector<std::string>& a, const Options& o) {
    if (!o.manage_cgroups_mode.empty()) a.push_back("--manage-cgroups=" + o.manage_cgroups_mode);
    add_flag(a, o.shell_job, "--shell-job");
    add_flag(a, o.tcp_established, "--tcp-established");
    add_flag(a, o.ext_unix_sk, "--ext-unix-sk");
    add_flag(a, o.file_locks, "--file-locks");
    add_flag(a, o.auto_dedup, "--auto-dedup");
    add_flag(a, o.lazy_pages, "--lazy-pages");
    for (const auto& ns : criu_empty_ns(o.empty_ns)) a.insert(a.end(), {"--empty-ns", ns});
}

}  // namespace

std::string find_criu() {
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string f = (dir.empty() ? std::string(".") : dir) + "/criu";
        if (::access(f.c_str(), X_OK) == 0) return f;
        start = end + 1;
    }
    return {};
}

void require_criu(const char* command) {
    if (find_criu().empty())
        throw Error(std::string(command) + ": criu is not installed (no criu in PATH): "
                    "checkpoint and restore need CRIU", ENOENT);
}

std::vector<ExternalMount> external_mounts(const spec::Config& c, const std::string& bundle,
                                           const MountSide& side) {
    std::vector<ExternalMount> out;
    // dump: the cookie CRIU stores (the key itself, or another mount's key whose source it
    // shares); restore: the host path bound at key.
    auto add = [&](const std::string& dest, const std::string& source, const std::string& cookie) {
        std::string key = clean_path(dest);
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

std::vector<std::string> criu_dump_args(const CheckpointOptions& o, const DumpTarget& t) {
    std::vector<std::string> a{o.pre_dump ? "pre-dump" : "dump", "-t", std::to_string(t.pid)};
    add_common(a, o.image_path, o.work_path, o.pre_dump ? "pre-dump.log" : "dump.log");
    a.insert(a.end(), {"--root", t.rootfs});
    add_shared(a, o);
    add_flag(a, o.leave_running && !o.pre_dump, "--leave-running");
    if (o.lazy_pages && o.status_fd >= 0) a.insert(a.end(), {"--status-fd", std::to_string(o.status_fd)});
    if (!o.page_server.empty()) {
        size_t colon = o.page_server.rfind(':');
        if (colon == std::string::npos || colon == 0)
            throw Error("Use --page-server ADDRESS:PORT to specify page server", EINVAL);
        std::string port = o.page_server.substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos)
            throw Error("--page-server \"" + o.page_server + "\": Invalid port number", EINVAL);
        a.insert(a.end(), {"--page-server", "--address", o.page_server.substr(0, colon), "--port", port});
    }
    // A pre-dump tracks memory so the next dump saves only what changed since.
    if (o.pre_dump || !o.parent_path.empty()) a.push_back("--track-mem");
    if (!o.parent_path.empty()) a.insert(a.end(), {"--prev-images-dir", o.parent_path});
    if (!t.freeze_cgroup.empty()) a.insert(a.end(), {"--freeze-cgroup", t.freeze_cgroup});
    // The mounts are what restore re-binds: a pre-dump saves memory only.
    if (!o.pre_dump) {
        for (const auto& m : t.mounts) a.insert(a.end(), {"--external", "mnt[" + m.key + "]:" + m.value});
        for (const auto& e : t.externals) a.insert(a.end(), {"--external", e});
    }
    return a;
}

std::vector<std::string> criu_restore_args(const RestoreOptions& o, const RestoreTarget& t) {
    std::vector<std::string> a{"restore"};
    add_common(a, o.image_path, o.work_path, "restore.log");
    // Detached, as a sibling: the restored init is the runtime's child and CRIU exits.
    a.insert(a.end(), {"--root", t.root, "--restore-detached", "--restore-sibling",
                       "--pidfile", t.pid_file, "--evasive-devices"});
    add_shared(a, o);
    for (const auto& r : t.cgroup_roots) a.insert(a.end(), {"--cgroup-root", r});
    for (const auto& m : t.mounts) a.insert(a.end(), {"--external", "mnt[" + m.key + "]:" + m.value});
    for (const auto& f : t.inherit_fds) a.insert(a.end(), {"--inherit-fd", f});
    return a;
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

std::vector<std::string> inherit_stdio(const std::vector<std::string>& descriptors) {
    std::vector<std::string> out;
    for (size_t i = 0; i < descriptors.size() && i < 3; ++i)
        if (descriptors[i].find("pipe:") != std::string::npos)
            out.push_back("fd[" + std::to_string(i) + "]:" + descriptors[i]);
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

// The criu child: waits for the parent's go (when it has work first), runs in_child, execs.
[[noreturn]] void criu_child(const std::string& criu, std::vector<std::string>& args,
                             const std::string& what, const CriuHooks& hooks, int go_fd) {
    try {
        char byte;
        if (go_fd >= 0 && ::read(go_fd, &byte, 1) != 1) ::_exit(126);  // the parent gave up
        if (hooks.in_child) hooks.in_child(args);
    } catch (const std::exception& e) {
        fprintf(stderr, "myrt: %s: %s\n", what.c_str(), e.what());
        ::_exit(126);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(criu.c_str()));
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    // stdio stays ours: restore hands it to the container (--inherit-fd).
    ::execv(criu.c_str(), argv.data());
    ::_exit(127);
}

int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for criu");
    }
    return status;
}

}  // namespace

void run_criu(std::vector<std::string> args, const std::string& what, const std::string& log,
              const CriuHooks& hooks) {
    std::string criu = find_criu();
    if (criu.empty()) require_criu(what.c_str());
    ::unlink(log.c_str());  // an old log's error must not be taken for this run's
    int go[2] = {-1, -1};
    if (hooks.in_parent && ::pipe2(go, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd go_read(go[0]), go_write(go[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork criu");
    if (pid == 0) criu_child(criu, args, what, hooks, go_read.get());
    go_read.reset();
    if (hooks.in_parent) {
        try {
            hooks.in_parent(pid);
        } catch (...) {
            go_write.reset();  // the child exits without running criu
            wait_child(pid);
            throw;
        }
        if (::write(go_write.get(), "1", 1) != 1) {
            int err = errno;
            go_write.reset();
            wait_child(pid);  // reaped, not left behind
            throw_errno("start criu", err);
        }
        go_write.reset();
    }
    int status = wait_child(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 126) throw Error(what + " failed", EIO);
    std::string reason;
    try {
        reason = criu_log_error(read_file(log));
    } catch (const Error&) {
    }
    if (reason.empty())
        reason = WIFSIGNALED(status) ? "criu killed by signal " + std::to_string(WTERMSIG(status))
                                     : "criu exited with status " + std::to_string(WEXITSTATUS(status));
    throw Error(what + " failed: " + reason + " (see " + log + ")", EIO);
}

}  // namespace myrt
