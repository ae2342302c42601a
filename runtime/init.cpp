#include "runtime/init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>

#include <algorithm>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/hooks.hpp"
#include "runtime/network.hpp"
#include "runtime/process.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/proc.hpp"
#include "runtime/fs/rootfs.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/signals.hpp"
#include "runtime/sync.hpp"
#include "runtime/terminal.hpp"
#include "spec/state.hpp"

namespace myrt {

namespace {

void set_oom_score_adj(int value, bool rootless) {
    try {
        write_file("/proc/self/oom_score_adj", std::to_string(value));
    } catch (const Error& e) {
        // Only root may lower it below the caller's own score; a rootless container then
        // keeps the caller's score (raising it always works).
        if (!rootless || (e.code() != EACCES && e.code() != EPERM)) throw;
    }
}

void become_root_in_userns() {
    if (::setresgid(0, 0, 0) < 0) throw_errno("setgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) < 0) throw_errno("setuid 0 in the user namespace");
}

void enter_time_namespace(const spec::Linux& linux) {
    if (::unshare(CLONE_NEWTIME) < 0) throw_errno("create time namespace");
    std::string offsets;
    for (const auto& [clock, off] : linux.timeOffsets)
        offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    // Offsets can only be written before a process enters the namespace; init then enters
    // it itself, so the container's pid 1 sees the shifted clocks too.
    if (!offsets.empty()) write_file("/proc/self/timens_offsets", offsets);
    UniqueFd ns(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWTIME) < 0) throw_errno("enter time namespace");
}

// Applied before `ready` so that a value the kernel refuses fails create, not start.
void apply_container_attrs(const spec::Config& cfg) {
    apply_scheduling(*cfg.process);
    if (!cfg.linux) return;
    if (cfg.linux->personality) apply_personality(*cfg.linux->personality);
    if (cfg.linux->memoryPolicy) apply_memory_policy(*cfg.linux->memoryPolicy);
}

void set_identity(const spec::Config& config, const NamespacePlan& ns) {
    if (config.hostname && ns.has("uts") &&
        ::sethostname(config.hostname->data(), config.hostname->size()) < 0)
        throw_errno("sethostname");
    if (config.domainname && ns.has("uts") &&
        ::setdomainname(config.domainname->data(), config.domainname->size()) < 0)
        throw_errno("setdomainname");
}

void join_session_keyring(const std::string& id) {
    std::string name = "_ses." + id;
    // EPERM/ENOSYS: keyrings are not available (e.g. some user namespaces); runc goes on too.
    if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS &&
        errno != EPERM && errno != EACCES)
        throw_errno("join session keyring");
}

void setup_namespaces(InitContext& ctx, const SyncChannel& sync) {
    const spec::Config& cfg = *ctx.config;
    NamespacePlan& ns = *ctx.namespaces;
    if (ns.new_user) become_root_in_userns();
    for (auto& [type, fd] : ns.join) {
        join_namespace(type, fd.get());
        if (type == "user") become_root_in_userns();
        fd.reset();
    }
    if (ns.clone_flags & CLONE_NEWNET) {
        log::Step step("loopback");
        bring_up_loopback();
    }
    if (ns.new_time) {
        log::Step step("namespace.create");
        step.field("type", "time");
        enter_time_namespace(*cfg.linux);
    }
    // Unshared only now: the runtime has moved init into the container's cgroup, which must
    // become the root of the new cgroup namespace.
    if (ns.new_cgroup) {
        log::Step step("namespace.create");
        step.field("type", "cgroup");
        if (::unshare(CLONE_NEWCGROUP) < 0) throw_errno("create cgroup namespace");
    }
    set_identity(cfg, ns);
    if (ctx.send_namespaces) {
        for (const char* type : {"user", "net"}) {
            if (std::string_view(type) == "user" && !ns.new_user && !ns.has("user")) continue;
            UniqueFd fd(::open((std::string("/proc/self/ns/") + type).c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd) throw_errno(std::string("open /proc/self/ns/") + type);
            sync.send(SyncType::namespace_fd, type, 0, fd.get());
        }
    }
    if (ctx.wait_net_devices) sync.expect(SyncType::net_devices_moved);
}

// The state for hooks that run in the container's namespaces: init's pid as the container
// sees it (1 in a pid namespace of its own), not the host's.
std::string state_seen_inside(const std::string& state, const char* status) {
    spec::State s = spec::parse_state(state);
    s.pid = ::getpid();
    if (status) s.status = status;
    return spec::to_json(s, false);
}

// stdio that is the host's /dev/null (conmon gives it to podman's containers) becomes the
// container's own, as runc does: CRIU cannot dump a file on a mount the container lacks.
void reopen_dev_null() {
    for (int fd = 0; fd < 3; ++fd) {
        struct stat st {};
        if (::fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) continue;
        int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0) throw_errno("open /dev/null in the container");
        struct stat in {};
        bool same = ::fstat(null, &in) == 0 && S_ISCHR(in.st_mode) && in.st_rdev == st.st_rdev;
        if (same && ::dup3(null, fd, 0) < 0) throw_errno("reopen /dev/null");
        ::close(null);
    }
}

void setup_rootfs(InitContext& ctx, const SyncChannel& sync, const std::string& state) {
    const spec::Config& cfg = *ctx.config;
    RootfsOptions ro{ctx.rootfs, ctx.no_pivot, ctx.namespaces->new_cgroup,
                     ctx.namespaces->new_user || ctx.namespaces->has("user"), ctx.bundle,
                     (ctx.namespaces->clone_flags & CLONE_NEWNS) != 0, {}};
    // Without a mount namespace of its own (create checked there is nothing to mount) the
    // container is only chrooted: the caller's mounts are the host's.
    if (!ctx.rootless)
        ro.source_from_runtime = [&sync](size_t index) {
            sync.send(SyncType::mount_request, std::to_string(index));
            return std::move(sync.expect(SyncType::mount_source).fd);
        };
    bool own_mounts = ctx.namespaces->has("mount");
    if (own_mounts) prepare_rootfs(cfg, ro);
    if (cfg.process) {
        UniqueFd root(::open(ctx.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno("open rootfs");
        mkdir_all_in_root(root.get(), cfg.process->cwd, 0755);
    }
    if (cfg.hooks && (!cfg.hooks->prestart.empty() || !cfg.hooks->createRuntime.empty())) {
        sync.send(SyncType::run_hooks);
        sync.expect(SyncType::hooks_done);
    }
    if (cfg.hooks && !cfg.hooks->createContainer.empty()) {
        // In the container's namespaces, from the container's root (not yet pivoted to).
        if (::chdir(ctx.rootfs.c_str()) < 0) throw_errno("chdir to rootfs");
        run_hooks(cfg.hooks->createContainer, "createContainer", state_seen_inside(state, nullptr));
    }
    if (own_mounts) {
        enter_rootfs(ro);
        finalize_rootfs(cfg);
    } else if (::chdir(ctx.rootfs.c_str()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0) {
        throw_errno("chroot into the rootfs");
    }
    if (cfg.process && cfg.process->terminal) {
        const spec::User& u = cfg.process->user;
        setup_container_terminal(ctx.console_fd, cfg.process->consoleSize, u.uid, true);
        ::close(ctx.console_fd);
    } else {
        // A session of its own, as runc's init has: CRIU refuses to dump a process whose
        // session leader is outside its pid namespace.
        if (::setsid() < 0) throw_errno("setsid");
        if (own_mounts) reopen_dev_null();
    }
}

void wait_for_start(int fifo_fd) {
    char byte;
    ssize_t n;
    do n = ::read(fifo_fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) throw_errno("wait for start on exec.fifo", n == 0 ? EPIPE : errno);
    // fifo_fd stays open until exec closes it: `start` waits for that to run poststart.
}

// init starts with a copy of every descriptor the runtime had open, among them the state
// directory whose flock `start` and `delete` wait for. Keep only what init needs.
void close_inherited_fds(const InitContext& ctx) {
    std::vector<int> keep{ctx.sync_fd, ctx.fifo_fd, ctx.console_fd};
    if (log::debug_enabled()) keep.push_back(log::file_fd());  // close-on-exec
    keep.insert(keep.end(), ctx.cgroup_fds.begin(), ctx.cgroup_fds.end());
    for (const auto& [type, fd] : ctx.namespaces->join) keep.push_back(fd.get());
    close_fds_except(ctx.preserve_fds, keep);
}

// After `start`: from here on a failure can only be reported on the container's stderr.
[[noreturn]] void finish_and_exec(InitContext& ctx, const std::string& path,
                                  const std::vector<std::string>& env, const std::string& state) {
    const spec::Config& cfg = *ctx.config;
    const spec::Process& proc = *cfg.process;
    // A notify filter is in already (runtime/security/seccomp.hpp).
    bool plain = ctx.seccomp && !ctx.seccomp->notify;
    enter_process(proc, ctx.capabilities ? &*ctx.capabilities : nullptr,
                  plain ? &*ctx.seccomp : nullptr, ctx.preserve_fds);
    // startContainer hooks run as the process will: its user, capabilities and seccomp
    // filter (as runc), from the container's root; a profile must then allow what running
    // a hook takes (fork, pipes, wait).
    if (cfg.hooks && !cfg.hooks->startContainer.empty()) {
        UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cwd || ::chdir("/") < 0) throw_errno("chdir / for the startContainer hooks");
        run_hooks(cfg.hooks->startContainer, "startContainer", state_seen_inside(state, "created"));
        if (::fchdir(cwd.get()) < 0) throw_errno("chdir back to process.cwd");
    }
    exec_process(path, proc, env);
}

}  // namespace

void container_init(InitContext& ctx) {
    SyncChannel sync(ctx.sync_fd);
    bool started = false;
    // --debug: the steps of init go to the runtime, which logs them, until `ready`; after
    // `start` init logs its last steps itself (the runtime that created it is gone).
    log::set_step_process("init");
    if (log::debug_enabled())
        log::set_step_forwarder([&sync](std::string_view step) { sync.send(SyncType::log_step, step); });
    try {
        close_inherited_fds(ctx);
        join_cgroup_self(ctx.cgroup_fds);
        // A runtime started pinned (taskset, a pinned shim) must not pin the container: init
        // gets every CPU its cpuset allows. process.execCPUAffinity is "not applicable to the
        // container's init process" (config.md); exec applies it.
        apply_cpu_affinity(std::nullopt, "");
        // Wait for the runtime first: an unprivileged runtime writes our uid_map and
        // setgroups, which become root's files the moment we are not dumpable.
        std::string state = sync.expect(SyncType::go).payload;
        const spec::Config& cfg = *ctx.config;
        // Likewise /proc/self/oom_score_adj.
        if (cfg.process && cfg.process->oomScoreAdj) set_oom_score_adj(*cfg.process->oomScoreAdj, ctx.rootless);
        // Until exec, init holds the runtime's memory image: nobody may ptrace or read it.
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
        setup_namespaces(ctx, sync);
        if (!ctx.no_new_keyring) {
            set_keyring_label(*cfg.process);
            join_session_keyring(ctx.id);
        }
        setup_rootfs(ctx, sync, state);
        const spec::Process& proc = *cfg.process;
        apply_rlimits(proc.rlimits);
        apply_container_attrs(cfg);
        ::umask(proc.user.umask.value_or(022));
        std::string path = find_executable(proc);
        std::vector<std::string> env = process_environment(proc);
        // Before `ready`, so that a profile that is not loaded fails create; before the
        // seccomp filters, which need not allow the write. The startContainer hooks run
        // under them too (as in runc).
        set_exec_labels(proc, "process.");
        // SCMP_ACT_NOTIFY: the filter goes in now and its listener to the runtime, which
        // passes it on to listenerPath (runtime/security/seccomp.hpp).
        if (ctx.seccomp && ctx.seccomp->notify) load_seccomp_notify(*ctx.seccomp, sync);
        // With a terminal, init's stderr is now the container's console: without a log file
        // its last steps go nowhere rather than into the container's output. (Without one,
        // its stderr is still the caller's, where the runtime's own lines went.)
        log::set_step_forwarder(nullptr);
        if (log::file_fd() < 0 && proc.terminal) log::set_step_forwarder([](std::string_view) {});
        sync.send(SyncType::ready);
        ::close(ctx.sync_fd);
        started = true;
        wait_for_start(ctx.fifo_fd);
        finish_and_exec(ctx, path, env, state);
    } catch (const std::exception& e) {
        int err = 0;
        if (auto* me = dynamic_cast<const Error*>(&e)) err = me->code();
        if (!started) {
            try {
                sync.send(SyncType::error, e.what(), err);
            } catch (...) {
            }
        } else {
            // `start` reads this from the fifo once we are gone: it fails with it.
            std::string why = std::string("E") + e.what();
            if (::write(ctx.fifo_fd, why.data(), std::min<size_t>(why.size(), 4096)) < 0) {
            }
            dprintf(STDERR_FILENO, "myrt: %s\n", e.what());
        }
        ::_exit(started ? 127 : 1);
    }
}

}  // namespace myrt
