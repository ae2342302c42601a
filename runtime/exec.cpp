// `exec`: a new process inside a running container, joined to all of its namespaces and its
// cgroup, with the container's (or the process file's) security settings.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "runtime/security/capabilities.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/process.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/proc.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/signals.hpp"
#include "runtime/sync.hpp"
#include "runtime/terminal.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

constexpr std::pair<const char*, int> kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},    {"uts", CLONE_NEWUTS},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

// The namespaces of `pid` that differ from ours: setns() refuses to "join" the user
// namespace we are already in, and joining the others again would be a no-op anyway.
int namespaces_to_join(pid_t pid) {
    int flags = 0;
    for (const auto& [name, flag] : kNamespaces) {
        struct stat mine {}, theirs {};
        std::string self = std::string("/proc/self/ns/") + name;
        std::string other = "/proc/" + std::to_string(pid) + "/ns/" + name;
        if (::stat(other.c_str(), &theirs) < 0) continue;  // kernel without this namespace
        if (::stat(self.c_str(), &mine) < 0 || mine.st_ino != theirs.st_ino ||
            mine.st_dev != theirs.st_dev)
            flags |= flag;
    }
    return flags;
}

spec::Process parse_process_file(const std::string& path) {
    try {
        return spec::load_process(path);
    } catch (const spec::ParseError& e) {
        throw Error(std::string("--process: ") + e.what(), EINVAL);  // names the file
    }
}

void parse_user(const std::string& text, spec::User& user) {
    auto parse = [&](std::string_view s, uint32_t& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc() || p != s.data() + s.size() || s.empty())
            throw Error("--user \"" + text + "\": expected UID[:GID]", EINVAL);
    };
    std::string_view v = text;
    auto colon = v.find(':');
    parse(v.substr(0, colon), user.uid);
    if (colon != std::string_view::npos) parse(v.substr(colon + 1), user.gid);
    user.additionalGids.clear();
}

void add_caps(std::optional<std::vector<std::string>>& set, const std::vector<std::string>& caps) {
    if (!set) set.emplace();
    for (const auto& c : caps) set->push_back(c.starts_with("CAP_") ? c : "CAP_" + c);
}

spec::Process exec_process(const spec::Config& config, const ExecOptions& o) {
    if (!o.process_file.empty()) return parse_process_file(o.process_file);
    spec::Process p = config.process.value_or(spec::Process{});
    if (o.args.empty()) throw Error("exec: no command given", EINVAL);
    p.args = o.args;
    p.terminal = o.tty;
    if (!o.cwd.empty()) p.cwd = o.cwd;
    for (const auto& kv : o.env) {
        auto eq = kv.find('=');
        std::string key = kv.substr(0, eq);
        std::erase_if(p.env, [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
        p.env.push_back(kv);
    }
    if (!o.user.empty()) parse_user(o.user, p.user);
    for (uint32_t gid : o.additional_gids) p.user.additionalGids.push_back(gid);
    if (!o.caps.empty()) {
        if (!p.capabilities) p.capabilities.emplace();
        auto& c = *p.capabilities;
        for (auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient}) add_caps(*set, o.caps);
    }
    if (o.no_new_privs) p.noNewPrivileges = true;
    if (!o.apparmor.empty()) p.apparmorProfile = o.apparmor;
    if (!o.process_label.empty()) p.selinuxLabel = o.process_label;
    return p;
}

// --cgroup [CONTROLLER:]SUB (runc's form): the process joins SUB below the container's
// cgroup, in CONTROLLER's hierarchy only or (no controller) in every one; SUB must exist.
std::unique_ptr<Cgroup> exec_cgroup(const spec::ContainerRecord& r, const std::vector<std::string>& subs) {
    std::unique_ptr<Cgroup> base = cgroup_from_record(r);
    if (subs.empty() || !base) return base;
    std::map<std::string, std::string> paths = base->paths();
    for (const auto& arg : subs) {
        size_t colon = arg.find(':');
        std::string controller = colon == std::string::npos ? "" : arg.substr(0, colon);
        std::string sub = colon == std::string::npos ? arg : arg.substr(colon + 1);
        while (!sub.empty() && sub.front() == '/') sub.erase(0, 1);
        bool up = sub == ".." || sub.starts_with("../") || sub.find("/../") != std::string::npos ||
                  sub.ends_with("/..");
        if (up)
            throw Error("--cgroup \"" + arg + "\": " + sub + " is not a sub cgroup path", EINVAL);
        // CONTROLLER may name several ("cpu,cpuacct"), mounted together or apart.
        std::vector<std::string> wanted;
        for (size_t pos = 0; !controller.empty() && pos <= controller.size();) {
            size_t end = std::min(controller.find(',', pos), controller.size());
            wanted.push_back(controller.substr(pos, end - pos));
            pos = end + 1;
        }
        auto in = [](const std::string& list, const std::string& c) {
            return ("," + list + ",").find("," + c + ",") != std::string::npos;
        };
        for (const auto& c : wanted) {
            bool known = std::any_of(paths.begin(), paths.end(), [&](const auto& p) { return in(p.first, c); });
            if (!known)
                throw Error("--cgroup \"" + arg + "\": unknown controller \"" + c +
                                "\" (the container has no such cgroup)", ENOENT);
        }
        for (auto& [controllers, dir] : paths) {
            bool hit = wanted.empty() || std::any_of(wanted.begin(), wanted.end(),
                                                     [&](const std::string& c) { return in(controllers, c); });
            if (!hit || sub.empty()) continue;  // sub "/": the container's own cgroup
            std::string target = dir + "/" + sub;
            struct stat st {};
            if (::stat(target.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
                throw Error("--cgroup \"" + arg + "\": adding pid to " + target +
                                "/cgroup.procs: no such file or directory (no such sub-cgroup)", ENOENT);
            dir = target;
        }
    }
    return cgroup_from_paths(paths);
}

struct ExecChild {
    const spec::Process* process;
    std::optional<CapabilitySets> caps;
    std::optional<SeccompProgram> seccomp;
    const spec::MemoryPolicy* memory_policy;  // the container's, for its every process
    int pidfd;
    int join_flags;
    int sync_fd;
    int console_fd;
    int preserve_fds;
    // An unprivileged runtime cannot setns() its own pid_for_children: the child joins every
    // namespace (the user namespace gives it the right) and forks the real process there.
    bool fork_after_join;
    std::vector<int> cgroup_fds;  // for join_cgroup_self(), see clone_in_cgroup()
    pid_t init_pid = 0;           // as the host sees it
    std::string label_where;      // how errors name the process's LSM labels
};

// The intermediate reports the real process's pid and exits; the real process goes on only
// once that report is out, so the runtime knows the pid before any later message (a seccomp
// listener's containerProcessState names it). Should the report fail, the runtime never
// learns the pid and cannot kill it: the real process then ends itself.
void fork_in_container(const SyncChannel& sync) {
    int reported[2];
    if (::pipe2(reported, O_CLOEXEC) < 0) throw_errno("pipe2");
    pid_t inner = ::fork();
    if (inner < 0) throw_errno("fork in the container's pid namespace");
    if (inner > 0) {
        sync.send(SyncType::exec_pid, std::to_string(inner));
        if (::write(reported[1], "1", 1) != 1) throw_errno("report the exec'd process");
        ::_exit(0);
    }
    ::close(reported[1]);
    char byte;
    ssize_t n;
    do n = ::read(reported[0], &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(255);
    ::close(reported[0]);
}

[[noreturn]] void exec_child(ExecChild& c) {
    SyncChannel sync(c.sync_fd);
    // --debug: our steps go to the runtime, which reads this socket until our execve.
    log::set_step_process("exec");
    if (log::debug_enabled())
        log::set_step_forwarder([&sync](std::string_view step) { sync.send(SyncType::log_step, step); });
    const spec::Process& p = *c.process;
    const std::optional<spec::ExecCPUAffinity>& affinity = p.execCPUAffinity;
    try {
        // execCPUAffinity.initial from the start, before the cgroup move; without it an
        // affinity inherited from a pinned runtime is dropped.
        apply_cpu_affinity(affinity ? affinity->initial : std::nullopt,
                           "process.execCPUAffinity.initial");
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
        // Among the inherited descriptors is the state directory's flock: holding it while
        // frozen in a paused container would block `resume` forever.
        std::vector<int> keep{c.sync_fd, c.pidfd, c.console_fd};
        keep.insert(keep.end(), c.cgroup_fds.begin(), c.cgroup_fds.end());
        close_fds_except(c.preserve_fds, keep);
        join_cgroup_self(c.cgroup_fds);
        // Also says the lock is no longer ours: into a paused container the runtime moves
        // us only after this.
        sync.send(SyncType::cgroup_joined);
        sync.expect(SyncType::go);
        // One setns() on the pidfd enters every namespace at once, user namespace first, and
        // cannot be fooled by a recycled pid. It also moves us to the container's root.
        // A container in our own mount namespace is only chrooted: its root is found
        // through init before the pid namespace hides the host's /proc view of it.
        UniqueFd init_root;
        if (!(c.join_flags & CLONE_NEWNS)) {
            init_root.reset(::open(("/proc/" + std::to_string(c.init_pid) + "/root").c_str(),
                                   O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!init_root) throw_errno("open the container's root");
        }
        if (c.join_flags) {
            log::Step step("namespace.join");
            step.field("flags", static_cast<long long>(c.join_flags)).field("by", "pidfd");
            if (::setns(c.pidfd, c.join_flags) < 0) throw_errno("join the container's namespaces");
        }
        if (init_root && (::fchdir(init_root.get()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0))
            throw_errno("chroot into the container's root");
        ::close(c.pidfd);
        if (c.fork_after_join) fork_in_container(sync);
        apply_rlimits(p.rlimits);
        apply_scheduling(p);
        if (c.memory_policy) apply_memory_policy(*c.memory_policy);
        if (p.terminal) {
            setup_container_terminal(c.console_fd, p.consoleSize, p.user.uid, false);
            ::close(c.console_fd);
        }
        ::umask(p.user.umask.value_or(022));
        std::string path = find_executable(p);
        std::vector<std::string> env = process_environment(p);
        // Before any seccomp filter (which need not allow the write) and early enough that
        // a profile that is not loaded fails the exec with its reason.
        set_exec_labels(p, c.label_where);
        // A notify filter goes in here, its listener to the runtime (runtime/security/seccomp.hpp);
        // a plain one in enter_process (init's order).
        bool notify = c.seccomp && c.seccomp->notify;
        if (notify) {
            load_seccomp_notify(*c.seccomp, sync);
            // Nothing of the user's may run unless the agent has the listener.
            sync.expect(SyncType::listener_passed);
        }
        // "final": after the cgroup move; without it the kernel's choice stands (config.md).
        if (affinity && affinity->final && !affinity->final->empty())
            apply_cpu_affinity(affinity->final, "process.execCPUAffinity.final");
        enter_process(p, c.caps ? &*c.caps : nullptr, c.seccomp && !notify ? &*c.seccomp : nullptr,
                      c.preserve_fds);
        // From here the sync socket closes at exec: EOF tells the runtime we made it.
        std::vector<char*> argv, envp;
        for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        if (log::debug_enabled()) log::step_now("exec", {{"path", path}});
        ::execve(path.c_str(), argv.data(), envp.data());
        throw_errno("exec \"" + p.args[0] + "\"");
    } catch (const std::exception& e) {
        int err = 0;
        if (auto* me = dynamic_cast<const Error*>(&e)) err = me->code();
        try {
            sync.send(SyncType::error, e.what(), err);
        } catch (...) {
        }
        ::_exit(255);
    }
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for exec process");
    return exit_code(status);
}

}  // namespace

int Runtime::exec(const std::string& id, const ExecOptions& o) {
    // The lock is held only until the process is in the container's cgroup: a long exec must
    // not block pause, resume or delete (a paused container would never thaw).
    std::optional<ContainerDir> dir(store_.open(id, false));
    spec::ContainerRecord r = dir->read();
    std::string status = live_status(&*dir, r);
    if (status == "stopped") throw Error("cannot exec in a stopped container", ESRCH);
    if (status == "creating") throw Error("cannot exec in a container that is still being created");
    if (status == "paused" && !o.ignore_paused) throw Error("cannot exec in a paused container");
    // A process joining it now would be missed by the dump, or spoil it.
    if (dir->checkpointing()) throw Error("cannot exec in a container that is being checkpointed", EBUSY);
    spec::Config config;
    try {
        std::optional<std::string> text = dir->read_text("config.json");
        if (!text) throw Error(dir->file("config.json") + ": missing", ENOENT);
        config = spec::parse_config(*text);
    } catch (const spec::ParseError& e) {
        throw Error(dir->file("config.json") + ": " + e.what());
    }
    check_preserved_fds(o.preserve_fds);
    spec::Process proc = exec_process(config, o);
    // --apparmor and --process-label land in the process: checked and applied like the config's.
    std::string label_where = o.process_file.empty() ? "exec: process." : "--process: ";
    check_lsm_labels(proc, label_where);
    if (proc.args.empty()) throw Error("process.args: must not be empty", EINVAL);
    if (proc.terminal && o.console_socket.empty() && o.detach)
        throw Error("--tty with --detach needs --console-socket", EINVAL);

    // A foreground exec stands for its process from before that exists (runtime/signals.hpp).
    std::optional<ForwardedSignals> signals;
    if (!o.detach) signals.emplace();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, r.state.pid, 0)));
    if (!pidfd || !process_alive(r.state.pid, r.pid_start_time))
        throw Error("container not running", ESRCH);
    int join = namespaces_to_join(r.state.pid);
    const spec::MemoryPolicy* memory_policy =
        config.linux && config.linux->memoryPolicy ? &*config.linux->memoryPolicy : nullptr;
    ExecChild child{&proc, std::nullopt, std::nullopt, memory_policy, pidfd.get(), join, -1, -1, o.preserve_fds,
                    options_.rootless && (join & CLONE_NEWUSER) && (join & CLONE_NEWPID), {},
                    r.state.pid, label_where};
    if (proc.capabilities) {
        child.caps = resolve_capabilities(*proc.capabilities);
        if (!(join & CLONE_NEWUSER)) check_grantable(*child.caps);
    }
    if (config.linux && config.linux->seccomp) child.seccomp = compile_seccomp(*config.linux->seccomp);

    UniqueFd console, console_peer;
    if (proc.terminal) {
        if (!o.console_socket.empty()) {
            console = connect_console_socket(o.console_socket);
        } else {
            int sv[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
            console.reset(sv[0]);
            console_peer.reset(sv[1]);
        }
        child.console_fd = console.get();
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sv[0]), child_end(sv[1]);
    child.sync_fd = child_end.get();
    // pid_for_children: the process forked next is born in the container's pid namespace.
    if (child.fork_after_join) {
        // The grandchild becomes ours when the intermediate exits, so we can wait for it.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    } else {
        if ((child.join_flags & CLONE_NEWPID) && ::setns(pidfd.get(), CLONE_NEWPID) < 0)
            throw_errno("join the container's pid namespace");
        child.join_flags &= ~CLONE_NEWPID;
    }

    // A paused container's cgroup would freeze the child before it could say it joined, and
    // `resume` waits for our lock: then the runtime moves it, the slow way, and only once the
    // child has said so after closing its copy of the lock's descriptor. Moved before that,
    // it froze holding the lock, and `resume` (and so the exec) waited forever.
    bool paused = status == "paused";
    std::unique_ptr<Cgroup> cgroup = exec_cgroup(r, o.cgroups);
    std::vector<UniqueFd> cgroup_join;
    pid_t pid = clone_in_cgroup(0, paused ? nullptr : cgroup.get(), cgroup_join);
    if (pid == 0) {
        parent_end.reset();
        for (const auto& fd : cgroup_join) child.cgroup_fds.push_back(fd.get());
        exec_child(child);
    }
    if (cgroup && !paused)
        log::debug(cgroup_join.empty() ? "exec: born in the cgroup (CLONE_INTO_CGROUP)"
                                       : "exec: joins the cgroup itself");
    cgroup_join.clear();
    child_end.reset();
    console.reset();
    SyncChannel sync(parent_end.get());
    try {
        sync.expect(SyncType::cgroup_joined);
        if (paused && cgroup) cgroup->add_process(pid);
        dir.reset();
        sync.send(SyncType::go);
        for (;;) {
            SyncMessage m;
            try {
                m = sync.receive();
            } catch (const Error& e) {
                if (e.code() != ECHILD) throw;
                break;  // EOF: every copy of the socket closed at exec, the exec succeeded
            }
            if (m.type == SyncType::error) throw Error(m.payload, m.err);
            if (m.type == SyncType::exec_pid) {
                wait_exit_code(pid);  // the intermediate
                pid = static_cast<pid_t>(std::stol(m.payload));
            }
            if (m.type == SyncType::seccomp_listener && child.seccomp) {
                r.state.status = status;
                send_seccomp_listener(*child.seccomp, m.fd.get(), pid, r.state);
                sync.send(SyncType::listener_passed);
            }
        }
    } catch (...) {
        ::kill(pid, SIGKILL);
        wait_exit_code(pid);
        throw;
    }
    if (!o.pid_file.empty()) write_pid_file(o.pid_file, pid);
    if (o.detach) return 0;
    if (console_peer) return proxy_terminal(receive_fd(console_peer.get()), pid, *signals);
    return wait_forwarding(pid, *signals);
}

}  // namespace myrt
