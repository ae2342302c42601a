// `create`: from a bundle to an init process waiting for `start`.
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/bundle.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/fs/devices.hpp"
#include "runtime/fs/mount_source.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init.hpp"
#include "runtime/log.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/netdevices.hpp"
#include "runtime/network.hpp"
#include "runtime/notify_socket.hpp"
#include "runtime/proc.hpp"
#include "runtime/process.hpp"
#include "runtime/rootless.hpp"
#include "runtime/sync.hpp"
#include "runtime/terminal.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

std::string absolute_dir(const std::string& path, const std::string& what) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) throw_errno(what + " \"" + path + "\"");
    struct stat st {};
    if (::stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
        throw Error(what + " \"" + path + "\": not a directory", ENOTDIR);
    return buf;
}

Bundle load_bundle(const std::string& bundle) {
    Bundle b;
    b.dir = absolute_dir(bundle.empty() ? "." : bundle, "bundle");
    std::string config_path = b.dir + "/config.json";
    log::Step step("config");
    step.field("path", config_path);
    try {
        b.config = spec::load_config(config_path, &b.config_text);
        spec::validate(b.config);
    } catch (const spec::ParseError& e) {
        std::string msg = e.what();
        // Syntax errors are labelled "config.json: "; the full path says more.
        if (msg.rfind("config.json: ", 0) == 0) msg.erase(0, 13);
        // load_config names the file itself when it cannot be read.
        if (msg.find(config_path) == std::string::npos) msg = config_path + ": " + msg;
        throw Error(msg, EINVAL);
    }
    if (!b.config.process) throw Error(config_path + ": process: required", EINVAL);
    if (!b.config.root) throw Error(config_path + ": root: required", EINVAL);
    std::string root = b.config.root->path;
    if (root.empty() || root[0] != '/') root = b.dir + "/" + root;
    struct stat st {};
    if (::lstat(root.c_str(), &st) < 0) throw_errno("rootfs \"" + root + "\"");
    // A symlinked rootfs would let whoever controls the link choose what becomes "/".
    if (S_ISLNK(st.st_mode)) throw Error("rootfs \"" + root + "\": is a symbolic link", ELOOP);
    if (!S_ISDIR(st.st_mode)) throw Error("rootfs \"" + root + "\": not a directory", ENOTDIR);
    b.rootfs = absolute_dir(root, "rootfs");
    return b;
}


// The record as create starts it: status "creating", no init yet, and no annotations
// (they can be large and recovery needs none of them).
spec::ContainerRecord first_record(const std::string& id, const Bundle& b, bool systemd_cgroup) {
    spec::ContainerRecord r;
    r.state.ociVersion = kOciVersion;
    r.state.id = id;
    r.state.status = "creating";
    r.state.bundle = b.dir;
    r.created = log::rfc3339_now();
    r.rootfs = b.rootfs;
    r.owner = ::getuid();
    r.systemd_cgroup = systemd_cgroup;
    r.creator_pid = ::getpid();
    r.creator_start_time = read_proc_stat(r.creator_pid).start_time;
    return r;
}

void write_hooks_file(const ContainerDir& dir, const spec::Config& config) {
    if (!config.hooks || (config.hooks->poststart.empty() && config.hooks->poststop.empty()))
        return;
    spec::Config hooks_only;
    hooks_only.ociVersion = kOciVersion;
    hooks_only.hooks.emplace();
    hooks_only.hooks->poststart = config.hooks->poststart;
    hooks_only.hooks->poststop = config.hooks->poststop;
    dir.write_new("hooks.json", spec::to_json(hooks_only, false));
}

namespace {

// RDTGROUP_SUPER_MAGIC: resctrl itself, not some directory that happens to be there.
bool resctrl_mounted() {
    struct statfs fs {};
    return ::statfs("/sys/fs/resctrl", &fs) == 0 && fs.f_type == 0x7655821;
}

// Undoes a create that did not finish: nothing of it may survive.
class CreateGuard {
public:
    CreateGuard(ContainerDir& dir, std::unique_ptr<Cgroup>& cgroup) : dir_(dir), cgroup_(cgroup) {}
    ~CreateGuard() {
        if (committed_) return;
        if (pid_ > 0) kill_and_reap(pid_);
        stop_helper(helper_, dir_.path());
        bool had_init = pid_ > 0 || init_reaped_;
        // Only init ran in the cgroup (nothing of the user's has run yet): with init gone,
        // remove what create made and never touch what else is there.
        if (cgroup_ && cgroup_created_) {
            try {
                cgroup_->remove();
            } catch (...) {
            }
        }
        try {
            dir_.remove();
        } catch (...) {
        }
        // runtime.md, lifecycle steps 3-5 and 12-13: once the container existed, a failed
        // create destroys it and then runs the poststop hooks (failures only warned about).
        if (had_init && poststop_ && !poststop_->empty()) run_hooks_warn(*poststop_, "poststop", state_);
    }
    void set_pid(pid_t pid) {
        if (pid < 0 && pid_ > 0) init_reaped_ = true;
        pid_ = pid;
    }
    void set_poststop(const std::vector<spec::Hook>* hooks, std::string stopped_state) {
        poststop_ = hooks;
        state_ = std::move(stopped_state);
    }
    void set_helper(pid_t pid) { helper_ = pid; }
    void cgroup_created() { cgroup_created_ = true; }
    void commit() { committed_ = true; }

private:
    ContainerDir& dir_;
    std::unique_ptr<Cgroup>& cgroup_;
    pid_t pid_ = -1;
    bool init_reaped_ = false;
    pid_t helper_ = -1;
    const std::vector<spec::Hook>* poststop_ = nullptr;
    std::string state_;
    bool cgroup_created_ = false;
    bool committed_ = false;
};

// A sysctl is the container's own only inside a namespace of its own; any other would be
// written to the host's kernel (runc refuses the same set).
void check_sysctls(const spec::Config& config, const NamespacePlan& ns) {
    if (!config.linux) return;
    static const char* const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                           "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : config.linux->sysctl) {
        const char* need = nullptr;
        for (const char* k : ipc_keys)
            if (key == k) need = "ipc";
        if (key.starts_with("fs.mqueue.")) need = "ipc";
        if (key.starts_with("net.")) need = "network";
        if (key == "kernel.hostname" || key == "kernel.domainname") need = "uts";
        if (!need)
            throw Error("linux.sysctl \"" + key + "\": not namespaced, it would change the host",
                        EPERM);
        if (!ns.has(need))
            throw Error("linux.sysctl \"" + key + "\": needs a " + need +
                            " namespace of the container's own, else it would change the host",
                        EPERM);
    }
}

// No mount namespace: the container runs in the caller's (runtime.md: a namespace not
// listed is inherited), chrooted into the rootfs. Nothing may be mounted or created there,
// since it would be on the host: what needs that is refused, naming it.
void check_without_mount_namespace(const Bundle& b, const CreateOptions& options) {
    const spec::Config& c = b.config;
    auto refuse = [](const std::string& what) {
        throw Error(what + ": needs a mount namespace of the container's own (without one it "
                           "would change the host)", EINVAL);
    };
    if (!c.mounts.empty()) refuse("mounts[0] (" + c.mounts[0].destination + ")");
    if (c.root && c.root->readonly) refuse("root.readonly");
    if (c.process && c.process->terminal) refuse("process.terminal");
    if (options.no_pivot) refuse("--no-pivot");
    if (c.linux) {
        const spec::Linux& l = *c.linux;
        if (!l.maskedPaths.empty()) refuse("linux.maskedPaths");
        if (!l.readonlyPaths.empty()) refuse("linux.readonlyPaths");
        if (!l.devices.empty()) refuse("linux.devices");
        if (!l.sysctl.empty()) refuse("linux.sysctl");
        if (l.rootfsPropagation) refuse("linux.rootfsPropagation");
    }
    check_image_has_default_devices(b.rootfs);
}

std::string cgroups_path_or(const spec::Config& config, const std::string& fallback) {
    if (config.linux && config.linux->cgroupsPath) return *config.linux->cgroupsPath;
    return fallback;
}

spec::State state_of(const std::string& id, const std::string& status, pid_t pid,
                     const Bundle& b) {
    spec::State s;
    s.ociVersion = kOciVersion;
    s.id = id;
    s.status = status;
    s.pid = pid;
    s.bundle = b.dir;
    s.annotations = b.config.annotations;
    return s;
}

// init died without a word (e.g. killed by the kernel the moment it joined a cgroup whose
// limit it already exceeds): say how it ended instead of "connection reset".
SyncMessage receive_or_explain(const SyncChannel& sync, pid_t pid, CreateGuard& guard,
                               const spec::Config& config) {
    try {
        return sync.receive();
    } catch (const Error& e) {
        if (e.code() != ECHILD && e.code() != ECONNRESET) throw;
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        guard.set_pid(-1);
        std::string how = WIFSIGNALED(status)
                              ? "was killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status));
        bool limited = config.linux && config.linux->resources && config.linux->resources->memory &&
                       config.linux->resources->memory->limit;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && limited)
            how += " (is linux.resources.memory.limit too low?)";
        throw Error("container init " + how + " during setup", ECHILD);
    }
}

// What this runtime cannot apply fails create: a container must never run without a
// setting its engine believes in force.
void refuse_unapplied_linux(const spec::Linux& linux, const NamespacePlan& ns) {
    if (linux.intelRdt) {
        // The spec: no mounted resctrl MUST be an error. Mounted, it is not implemented yet.
        if (!resctrl_mounted())
            throw Error("linux.intelRdt: the host has no resctrl filesystem (Intel RDT)", ENOTSUP);
        throw Error("linux.intelRdt: Intel RDT (resctrl) is not applied by this build yet",
                    ENOTSUP);
    }
    // Offsets can only be written before the first process enters a time namespace: one
    // given by path has had its process already.
    if (!linux.timeOffsets.empty() && !ns.new_time)
        throw Error("linux.timeOffsets: cannot be set on a joined time namespace (offsets "
                    "can only be written to a new one)", EINVAL);
}

// init, cloned into its new namespaces (and, where the kernel can, born in its cgroup).
pid_t clone_init(InitContext& ctx, const NamespacePlan& ns, const Cgroup* cgroup,
                 std::vector<UniqueFd>& cgroup_join, UniqueFd& parent_end) {
    log::Step step("clone");
    pid_t pid = clone_in_cgroup(ns.clone_flags, cgroup, cgroup_join);
    if (pid == 0) {
        parent_end.reset();
        for (const auto& fd : cgroup_join) ctx.cgroup_fds.push_back(fd.get());
        container_init(ctx);
    }
    if (step) {
        std::string created, joined;
        for (const auto& type : ns.types) {
            bool join = false;
            for (const auto& [t, fd] : ns.join) join = join || t == type;
            std::string& list = join ? joined : created;
            list += (list.empty() ? "" : ",") + type;
        }
        step.field("pid", static_cast<long long>(pid)).field("new_namespaces", created)
            .field("joined_namespaces", joined);
        if (cgroup) step.field("cgroup", cgroup_join.empty() ? "init born in it (CLONE_INTO_CGROUP)" : "init joins it itself");
    }
    return pid;
}

}  // namespace

Bundle Runtime::prepare_create(const std::string& id, const CreateOptions& options) const {
    validate_id(id);
    check_preserved_fds(options.preserve_fds);
    return load_bundle(options.bundle);
}

pid_t Runtime::create(const std::string& id, const CreateOptions& options) {
    return create_from(id, options, prepare_create(id, options));
}

pid_t Runtime::create_from(const std::string& id, const CreateOptions& options, Bundle b) {
    const spec::Process& proc = *b.config.process;
    if (proc.terminal && options.console_socket.empty() && options.console_fd < 0)
        throw Error("process.terminal is true but no --console-socket was given", EINVAL);
    static const std::vector<spec::Namespace> no_namespaces;
    NamespacePlan ns = plan_namespaces(b.config.linux ? b.config.linux->namespaces : no_namespaces);
    if (!ns.has("mount")) check_without_mount_namespace(b, options);
    if (ns.new_user && (b.config.linux->uidMappings.empty() || b.config.linux->gidMappings.empty()))
        throw Error("linux.uidMappings and linux.gidMappings: a new user namespace needs both",
                    EINVAL);
    if (options_.rootless && !ns.has("user"))
        throw Error("linux.namespaces: running without root needs a user namespace "
                    "(see myrt spec --rootless)", EPERM);
    check_lsm_labels(proc, "process.");
    static const NetDevices no_net_devices;
    const NetDevices& net_devices = b.config.linux ? b.config.linux->netDevices : no_net_devices;
    check_net_devices_present(net_devices);
    if (b.config.linux) check_mount_label(b.config.linux->mountLabel);
    if (b.config.linux) refuse_unapplied_linux(*b.config.linux, ns);
    check_sysctls(b.config, ns);
    check_idmapped_mounts(b.config, ns.new_user || ns.has("user"), options_.rootless);
    NetworkRequest net = network_request(b.config);
    std::unique_ptr<Cgroup> cgroup =
        options_.systemd_cgroup
            ? systemd_cgroup_for(b.config.linux ? b.config.linux->cgroupsPath : std::nullopt, id,
                                 options_.rootless_cgroups)
            : cgroup_for(b.config.linux ? b.config.linux->cgroupsPath : std::nullopt, id);

    InitContext ctx;
    ctx.rootless = options_.rootless;
    ctx.send_namespaces = net.slirp || !net_devices.empty();
    ctx.wait_net_devices = !net_devices.empty();
    ctx.config = &b.config;
    ctx.id = id;
    ctx.rootfs = b.rootfs;
    ctx.bundle = b.dir;
    ctx.namespaces = &ns;
    if (proc.capabilities) {
        ctx.capabilities = resolve_capabilities(*proc.capabilities);
        if (!ns.has("user")) check_grantable(*ctx.capabilities);
    }
    if (b.config.linux && b.config.linux->seccomp)
        ctx.seccomp = compile_seccomp(*b.config.linux->seccomp);
    ctx.no_pivot = options.no_pivot;
    ctx.no_new_keyring = options.no_new_keyring;
    ctx.preserve_fds = options.listen_fds + options.preserve_fds;
    if (options.listen_fds > 0 && b.config.process) {
        auto& env = b.config.process->env;
        std::erase_if(env, [](const std::string& e) {
            return e.starts_with("LISTEN_FDS=") || e.starts_with("LISTEN_PID=") || e.starts_with("LISTEN_FDNAMES=");
        });
        env.push_back("LISTEN_FDS=" + std::to_string(options.listen_fds));
        env.push_back("LISTEN_PID=1");
        if (!options.listen_fdnames.empty()) env.push_back("LISTEN_FDNAMES=" + options.listen_fdnames);
    }

    UniqueFd console;
    if (proc.terminal)
        ctx.console_fd = options.console_fd >= 0
                             ? options.console_fd
                             : (console = connect_console_socket(options.console_socket)).get();

    ContainerDir dir = store_.create(id);
    // Without a mount namespace nothing can be bound into the container: no relay then.
    if (!options_.notify_socket.empty() && ns.has("mount")) add_notify_socket(b.config, dir.path());
    CreateGuard guard(dir, cgroup);
    // Undone before the guard kills init (declared after it).
    NetDeviceMoves net_moves(net_devices);
    // Checked before anything is written to a cgroup that may not be ours (and after the id:
    // "already exists" comes first).
    std::string cgroups_path = cgroups_path_or(b.config, "/myrt/" + id);
    // The directories already there are not ours to remove; and only they can hold anyone
    // (usually none is: no lookup of cgroup.procs then).
    std::map<std::string, std::string> cgroup_paths = cgroup->paths();
    std::vector<std::string> cgroup_missing;
    for (const auto& [controllers, path] : cgroup_paths)
        if (::access(path.c_str(), F_OK) < 0) cgroup_missing.push_back(path);
    if (cgroup_missing.size() < cgroup_paths.size() && cgroup->populated()) {
        if (!(ns.clone_flags & CLONE_NEWPID))
            throw Error("linux.cgroupsPath \"" + cgroups_path +
                            "\": the cgroup already holds processes; a container without a pid "
                            "namespace of its own needs a cgroup of its own",
                        EBUSY);
        // runc's words first: callers and runc's suite match them.
        log::warn("linux.cgroupsPath \"" + cgroups_path + "\": container's cgroup is not empty: "
                  "it holds processes that are not the container's (they share its limits)");
    }
    // From here on something of the container exists: recovery.json says where, so that
    // delete --force can end it whatever point this create is killed at.
    spec::ContainerRecord record = first_record(id, b, options_.systemd_cgroup);
    record.systemd_user = options_.systemd_cgroup && options_.rootless_cgroups;
    record.cgroup_paths = std::move(cgroup_paths);
    record.cgroup_owned = std::move(cgroup_missing);
    dir.create_recovery(record);
    if (net.slirp) add_slirp_resolv_conf(b.config, dir.path());
    std::string fifo = dir.file("exec.fifo");
    if (::mkfifo(fifo.c_str(), 0600) < 0) throw_errno("mkfifo " + fifo);
    UniqueFd fifo_fd(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!fifo_fd) throw_errno("open " + fifo);
    ctx.fifo_fd = fifo_fd.get();

    guard.cgroup_created();
    static const std::optional<spec::Resources> no_resources;
    if (!prepare_cgroup(*cgroup, b.config.linux ? b.config.linux->resources : no_resources,
                        options_.rootless_cgroups))
        cgroup.reset();
    // A cgroup frozen by someone else (or below a frozen one) would freeze init: create
    // would never finish.
    if (cgroup && cgroup->frozen())
        throw Error("linux.cgroupsPath \"" + cgroups_path + "\": container's cgroup unexpectedly frozen", EBUSY);

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sv[0]), child_end(sv[1]);
    ctx.sync_fd = child_end.get();

    for (auto& [type, fd] : ns.join) {
        // pid_for_children: the runtime joins, so the clone below is born inside.
        if (type == "pid") join_namespace(type, fd.get());
    }
    std::vector<UniqueFd> cgroup_join;
    bool late_cgroup = cgroup && cgroup->starts_with_init();
    pid_t pid = clone_init(ctx, ns, late_cgroup ? nullptr : cgroup.get(), cgroup_join, parent_end);
    guard.set_pid(pid);
    if (b.config.hooks)
        guard.set_poststop(&b.config.hooks->poststop,
                           spec::to_json(state_of(id, "stopped", pid, b), false));
    child_end.reset();
    fifo_fd.reset();
    SyncChannel sync(parent_end.get());
    // Killed before this is written, init finds its sync socket closed and exits.
    record.state.pid = pid;
    record.pid_start_time = read_proc_stat(pid).start_time;
    record.pid_ns = pid_namespace_of(pid);
    dir.write_recovery(record);
    if (late_cgroup) {  // systemd: the scope starts with init in it (before init goes on)
        cgroup->start_with(pid);
        // Recorded only once it is the container's: killed before, the scope ends by itself
        // when init (its only process) finds the runtime gone and exits.
        record.systemd_unit = cgroup->unit();
        record.cgroup_paths = cgroup->paths();
        record.cgroup_owned = cgroup->owned();
        dir.write_recovery(record);
    }

    if (ns.new_user) write_id_mappings(pid, *b.config.linux, options_.rootless);
    cgroup_join.clear();  // init has its own copies
    std::vector<int> helpers;
    UniqueFd userns_fd;
    spec::State creating = state_of(id, "creating", pid, b);
    const auto& hooks = b.config.hooks;
    bool any_hooks = hooks && (!hooks->prestart.empty() || !hooks->createRuntime.empty() ||
                               !hooks->createContainer.empty() || !hooks->startContainer.empty());
    // init needs the state only for the hooks it runs (createContainer, startContainer).
    std::string creating_json = any_hooks ? spec::to_json(creating, false) : std::string();
    sync.send(SyncType::go, creating_json);
    for (;;) {
        SyncMessage m = receive_or_explain(sync, pid, guard, b.config);
        if (m.type == SyncType::error) throw Error(m.payload, m.err);
        if (m.type == SyncType::ready) break;
        if (m.type == SyncType::namespace_fd && m.payload == "user") userns_fd = std::move(m.fd);
        if (m.type == SyncType::namespace_fd && m.payload == "net" && net.slirp) {
            helpers.push_back(start_slirp(net, dir.path(), m.fd.get(), userns_fd.get()));
            guard.set_helper(helpers.back());
            record.helper_pids = helpers;
            dir.write_recovery(record);
        }
        if (m.type == SyncType::namespace_fd && m.payload == "net" && !net_moves.empty()) {
            net_moves.into(m.fd.get());
            sync.send(SyncType::net_devices_moved);
        }
        if (m.type == SyncType::seccomp_listener && ctx.seccomp)  // see runtime/security/seccomp.hpp
            send_seccomp_listener(*ctx.seccomp, m.fd.get(), pid, creating);
        if (m.type == SyncType::mount_request) {
            size_t i = std::stoul(m.payload);
            if (i >= b.config.mounts.size()) throw Error("init asked for a mount the config lacks");
            UniqueFd tree = open_bind_source(b.config.mounts[i], i, b.dir, pid);
            sync.send(SyncType::mount_source, {}, 0, tree.get());
        }
        if (m.type == SyncType::run_hooks) {
            run_hooks(b.config.hooks->prestart, "prestart", creating_json);
            run_hooks(b.config.hooks->createRuntime, "createRuntime", creating_json);
            sync.send(SyncType::hooks_done);
        }
    }

    record.state.status = "created";
    record.state.annotations = b.config.annotations;
    record.cgroup_paths.clear();
    record.cgroup_owned.clear();
    if (cgroup) {
        record.cgroup_paths = cgroup->paths();
        record.cgroup_owned = cgroup->owned();
    }
    record.helper_pids = helpers;
    for (const auto& type : ns.types)
        if (type != "user" && type != "mount")
            record.namespace_paths[type] =
                "/proc/" + std::to_string(pid) + "/ns/" + namespace_proc_name(type);
    write_hooks_file(dir, b.config);
    // exec needs the container's process settings (user, capabilities, seccomp...) even
    // when the bundle is gone: the very bytes this create validated and applied. Written in
    // place: nothing reads it before state.json, which comes after.
    dir.write_new("config.json", b.config_text);
    dir.write(record);
    if (!options.pid_file.empty()) write_pid_file(options.pid_file, pid);
    guard.commit();
    net_moves.commit();
    return pid;
}

}  // namespace myrt
