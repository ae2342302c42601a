// checkpoint and restore: CRIU (runtime/criu.hpp) told what the container is made of.
#include "runtime/checkpoint.hpp"

#include <fcntl.h>
#include <climits>
#include <cstdio>
#include <memory>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/bundle.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/criu.hpp"
#include "runtime/error.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/hooks.hpp"
#include "runtime/log.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/proc.hpp"
#include "runtime/process.hpp"
#include "runtime/rootless.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

// "a/b" + "../c" -> "a/c": ".." takes away the component before it, not what it links to.
std::string lexical_join(const std::string& base, const std::string& rel) {
    std::vector<std::string> parts;
    bool absolute = !base.empty() && base[0] == '/';
    for (const std::string* s : {&base, &rel}) {
        size_t pos = 0;
        while (pos <= s->size()) {
            size_t end = s->find('/', pos);
            if (end == std::string::npos) end = s->size();
            std::string part = s->substr(pos, end - pos);
            pos = end + 1;
            if (part.empty() || part == ".") continue;
            if (part == ".." && !parts.empty() && parts.back() != "..") parts.pop_back();
            else if (part != ".." || !absolute) parts.push_back(part);
        }
    }
    std::string out = absolute ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
    return out.empty() ? "." : out;
}

}  // namespace

void check_manage_cgroups_mode(const std::string& mode) {
    if (mode != "" && mode != "soft" && mode != "full" && mode != "strict" && mode != "ignore")
        throw Error("--manage-cgroups-mode \"" + mode + "\": invalid manage-cgroups-mode value "
                    "(expected soft, full, strict or ignore)", EINVAL);
}

void prepare_checkpoint_paths(CheckpointOptions& o) {
    if (o.image_path.empty()) o.image_path = "checkpoint";
    check_manage_cgroups_mode(o.manage_cgroups_mode);
    if (o.parent_path.empty()) return;
    if (o.parent_path[0] == '/') throw Error("--parent-path must be relative (to --image-path)", EINVAL);
    // Joined lexically, as runc (Go's filepath.Join): "../1" beside an image dir that does
    // not exist yet is fine.
    std::string real = lexical_join(o.image_path, o.parent_path);
    struct stat st {};
    if (::stat(real.c_str(), &st) < 0) throw_errno("invalid --parent-path \"" + real + "\"");
    if (!S_ISDIR(st.st_mode)) throw Error("invalid --parent-path \"" + real + "\": not a directory", ENOTDIR);
}

namespace {

constexpr const char* kDescriptors = "descriptors.json";

void make_dir(const std::string& path, const char* flag) {
    if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) throw_errno(std::string(flag) + " \"" + path + "\"");
}

// The directory CRIU freezes the container with: the v1 freezer's or the v2 cgroup.
std::string freeze_dir(const spec::ContainerRecord& r) {
    for (const auto& [controllers, path] : r.cgroup_paths)
        if (controllers.empty() || controllers == "freezer") return path;
    return {};
}

std::string v2_cgroup_dir(const spec::ContainerRecord& r) {
    auto it = r.cgroup_paths.find("");
    return it == r.cgroup_paths.end() ? std::string() : it->second;
}

// The config the container was created with (create keeps a copy: the bundle may be gone).
spec::Config stored_config(const ContainerDir& dir) {
    std::optional<std::string> text = dir.read_text("config.json");
    if (!text) throw Error("container " + dir.id() + ": its config is missing from " + dir.path());
    try {
        return spec::parse_config(*text);
    } catch (const spec::ParseError& e) {
        throw Error(dir.file("config.json") + ": " + e.what(), EINVAL);
    }
}

std::vector<std::string> dump_externals(const spec::Config& config) {
    std::vector<std::string> out;
    for (const auto& ns : external_namespaces(config)) {
        struct stat st {};
        if (::stat(ns.path.c_str(), &st) < 0) throw_errno("namespace " + ns.path);
        out.push_back(ns.criu_name + "[" + std::to_string(st.st_ino) + "]:" + ns.key);
    }
    return out;
}

// "0::/myrt/x" -> {"", "/myrt/x"}; "4:cpu,cpuacct:/myrt/x" -> {"cpu,cpuacct", "/myrt/x"}:
// where CRIU puts the restored tasks (the cgroups it is in itself, the container's).
std::vector<criu_rpc::CgroupRoot> cgroup_roots_of(pid_t pid) {
    std::vector<criu_rpc::CgroupRoot> out;
    for (const auto& [controllers, path] : read_proc_cgroup(pid))
        if (!controllers.starts_with("name=")) out.push_back({controllers, path});
    return out;
}

// PATH (absolute, in the rootfs ROOT opened as ROOT_FD) with the rootfs's symlinks resolved
// as the container resolves them, as runc's securejoin does; a part that does not exist is
// kept as written.
std::string resolve_in_rootfs(int root_fd, const std::string& root, const std::string& path) {
    int err = 0;
    UniqueFd fd = try_open_in_root(root_fd, path, O_PATH, &err);
    if (fd) {
        char buf[PATH_MAX];
        ssize_t n = ::readlink(fd_path(fd.get()).c_str(), buf, sizeof buf - 1);
        std::string real(buf, n > 0 ? static_cast<size_t>(n) : 0);
        if (real == root) return "/";
        return real.starts_with(root + "/") ? real.substr(root.size()) : path;
    }
    auto [parent, name] = split_parent(path);
    if (name.empty()) return path;
    std::string dir = resolve_in_rootfs(root_fd, root, "/" + parent);
    return (dir == "/" ? "" : dir) + "/" + name;
}

// MountSide::resolve for the rootfs ROOT (absolute, no symlink).
std::function<std::string(const std::string&)> rootfs_resolver(const std::string& root) {
    auto fd = std::make_shared<UniqueFd>(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!*fd) throw_errno("rootfs " + root);
    return [fd, root](const std::string& p) { return resolve_in_rootfs(fd->get(), root, p); };
}

// The mount points CRIU binds the external mounts onto must exist in the rootfs, as create
// makes them; those under a tmpfs of the config come back with the tmpfs. One inside an
// earlier bind mount is made in that mount's source, where create made it (runc binds the
// mounts for this; the source may have lost it since, as runc's 'nested bind mounts' test
// makes sure).
void make_restore_mount_points(const Bundle& b, const std::vector<ExternalMount>& mounts) {
    UniqueFd root(::open(b.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("rootfs " + b.rootfs);
    for (size_t i = 0; i < mounts.size(); i++) {
        const auto& m = mounts[i];
        bool on_tmpfs = false;
        for (const auto& cm : b.config.mounts)
            if (cm.type == "tmpfs" && m.key.starts_with(cm.destination + "/")) on_tmpfs = true;
        if (on_tmpfs || m.key.starts_with("/dev/") || m.key.starts_with("/proc/") || m.key.starts_with("/sys/"))
            continue;
        struct stat st {};
        if (::stat(m.value.c_str(), &st) < 0) throw_errno("mount source " + m.value + " (for " + m.key + ")");
        const ExternalMount* outer = nullptr;  // the last earlier mount that holds this one
        for (size_t j = 0; j < i; j++)
            if (m.key.starts_with(mounts[j].key + "/")) outer = &mounts[j];
        if (!outer) {
            make_mount_target(root.get(), m.key, S_ISDIR(st.st_mode));
            continue;
        }
        UniqueFd dir(::open(outer->value.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir) throw_errno("mount source " + outer->value + " (for " + outer->key + ")");
        make_mount_target(dir.get(), m.key.substr(outer->key.size()), S_ISDIR(st.st_mode));
    }
}

// The directory CRIU's own mount namespace binds the rootfs on; removed afterwards.
class RestoreRootDir {
public:
    explicit RestoreRootDir(std::string path) : path_(std::move(path)) {
        if (::mkdir(path_.c_str(), 0700) < 0) throw_errno("mkdir " + path_);
    }
    ~RestoreRootDir() { ::rmdir(path_.c_str()); }
    RestoreRootDir(const RestoreRootDir&) = delete;
    RestoreRootDir& operator=(const RestoreRootDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

UniqueFd open_dir(const std::string& path, const char* flag) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno(std::string(flag) + " \"" + path + "\"");
    return fd;
}

// Undoes a restore that did not finish.
class RestoreGuard {
public:
    RestoreGuard(ContainerDir& dir, std::unique_ptr<Cgroup>& cgroup) : dir_(dir), cgroup_(cgroup) {}
    ~RestoreGuard() {
        if (committed_) return;
        if (pid_ > 0) kill_and_reap(pid_);
        if (cgroup_) {
            try {
                cgroup_->remove();
            } catch (...) {
            }
        }
        try {
            dir_.remove();
        } catch (...) {
        }
    }
    RestoreGuard(const RestoreGuard&) = delete;
    RestoreGuard& operator=(const RestoreGuard&) = delete;
    void set_pid(pid_t pid) { pid_ = pid; }
    void commit() { committed_ = true; }

private:
    ContainerDir& dir_;
    std::unique_ptr<Cgroup>& cgroup_;  // made by restore: removed
    pid_t pid_ = -1;
    bool committed_ = false;
};

// A checkpoint is there: runc's descriptors.json and CRIU's inventory. Errors say so in
// one line before anything is made.
std::vector<std::string> read_checkpoint(const std::string& image) {
    std::string inventory = image + "/inventory.img";
    if (::access(inventory.c_str(), F_OK) < 0)
        throw Error("--image-path \"" + image + "\": no checkpoint there (no inventory.img)", ENOENT);
    std::string path = image + "/" + kDescriptors;
    std::string text;
    try {
        text = read_file(path);
    } catch (const Error& e) {
        throw Error("--image-path \"" + image + "\": no checkpoint there (" + e.what() + ")", e.code());
    }
    return parse_descriptors(text, path);
}

// A checkpoint's claim on its container (ContainerDir::claim_checkpoint): its file is
// removed only under the container's lock, so a later checkpoint never takes a claim that
// is about to go while a third makes a new one.
class CheckpointClaim {
public:
    explicit CheckpointClaim(const ContainerDir& dir) : fd_(dir.claim_checkpoint()), dir_(&dir) {}
    ~CheckpointClaim() {
        if (dir_) dir_->end_checkpoint();
    }
    CheckpointClaim(const CheckpointClaim&) = delete;
    CheckpointClaim& operator=(const CheckpointClaim&) = delete;
    // The container's lock is let go (or taken again, DIR): whether its file may be removed.
    void locked(const ContainerDir* dir) { dir_ = dir; }
    // CRIU's pid and start time, for a delete --force to end it (stop_checkpoint).
    void note_criu(pid_t criu) {
        std::string note = std::to_string(criu) + " " + std::to_string(read_proc_stat(criu).start_time);
        if (::pwrite(fd_.get(), note.data(), note.size(), 0) != static_cast<ssize_t>(note.size()))
            throw_errno("write " + note + " to the checkpoint's claim");
    }

private:
    UniqueFd fd_;
    const ContainerDir* dir_;
};

}  // namespace

void stop_checkpoint(const ContainerDir& dir) {
    std::optional<std::string> note = dir.checkpoint_note();
    if (!note) return;
    long long pid = 0;
    unsigned long long start = 0;
    if (std::sscanf(note->c_str(), "%lld %llu", &pid, &start) != 2 || pid <= 0) return;  // not started yet
    if (process_alive(static_cast<pid_t>(pid), start)) ::kill(static_cast<pid_t>(pid), SIGKILL);
}

std::optional<ContainerDir> Runtime::relock_dumped(const std::string& id, const spec::ContainerRecord& dumped) {
    try {
        ContainerDir dir = store_.open(id);
        std::optional<spec::ContainerRecord> now = dir.read_any();
        if (now && now->state.pid == dumped.state.pid && now->pid_start_time == dumped.pid_start_time)
            return dir;
    } catch (const Error& e) {
        if (e.code() != ENOENT) throw;
    }
    return std::nullopt;
}

void Runtime::checkpoint(const std::string& id, CheckpointOptions o) {
    std::optional<ContainerDir> dir(store_.open(id));
    spec::ContainerRecord r = dir->read();
    std::string status = live_status(&*dir, r);
    if (status != "running" && status != "paused")
        throw Error("Container cannot be checkpointed in " + status + " state");
    CheckpointClaim claim(*dir);  // before the image directory is touched
    prepare_checkpoint_paths(o);
    require_criu("checkpoint");
    spec::Config config = stored_config(*dir);
    DumpTarget t;
    t.pid = r.state.pid;
    t.rootfs = r.rootfs;
    t.freeze_cgroup = freeze_dir(r);
    MountSide side;
    side.cgroup_dir = v2_cgroup_dir(r);
    side.masked_file = [&r](const std::string& p) {
        struct stat st {};
        std::string inside = "/proc/" + std::to_string(r.state.pid) + "/root" + p;
        return ::stat(inside.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
    };
    side.resolve = rootfs_resolver(r.rootfs);
    t.mounts = external_mounts(config, r.state.bundle, side);
    t.externals = dump_externals(config);
    criu_dump_opts(o, t);  // bad flags fail before anything is made
    make_dir(o.image_path, "--image-path");
    o.image_path = absolute_dir(o.image_path, "--image-path");
    if (!o.work_path.empty()) {
        make_dir(o.work_path, "--work-path");
        o.work_path = absolute_dir(o.work_path, "--work-path");
    }
    if (!o.pre_dump)
        write_file_atomic(o.image_path + "/" + kDescriptors, descriptors_json(r.state.pid), 0600);
    UniqueFd images = open_dir(o.image_path, "--image-path");
    UniqueFd work = o.work_path.empty() ? UniqueFd() : open_dir(o.work_path, "--work-path");
    t.images_dir_fd = images.get();
    t.work_dir_fd = work.get();
    SwrkRun run;
    run.type = o.pre_dump ? criu_rpc::kPreDump : criu_rpc::kDump;
    run.opts = criu_dump_opts(o, t);
    run.opts.config_file = criu_config_file(config);
    run.images_dir = o.image_path;
    run.work_dir = o.work_path;
    // The container's lock is let go once CRIU's pid is noted, while CRIU runs: a lazy
    // dump lasts until a client has fetched the pages, and kill or delete --force must not
    // wait for that. A delete --force ends CRIU too; the container is then not ours.
    run.before = [&](pid_t criu, criu_rpc::Opts&) {
        claim.note_criu(criu);
        claim.locked(nullptr);
        dir.reset();
    };
    std::string log = (o.work_path.empty() ? o.image_path : o.work_path) +
                      (o.pre_dump ? "/pre-dump.log" : "/dump.log");
    std::exception_ptr failed;
    try {
        criu_swrk(run, o.pre_dump ? "criu pre-dump" : "criu dump", log);
    } catch (const std::exception&) {
        failed = std::current_exception();
    }
    if (!dir) dir = relock_dumped(id, r);
    if (!dir) throw Error("checkpoint: container " + id + " was deleted while it was being dumped", ENOENT);
    claim.locked(&*dir);
    if (failed) std::rethrow_exception(failed);
    // As runc: the dumped container is gone (CRIU ended its processes), so is its record.
    if (!o.leave_running && !o.pre_dump) destroy(*dir, r, true);
}

namespace {

// runc's rules for a terminal (checkTerminal): a restored terminal's master can only go to
// --console-socket, and a console socket without a terminal would be taken and ignored.
void check_terminal(const spec::Config& config, const RestoreOptions& o) {
    bool terminal = config.process && config.process->terminal;
    if (terminal && o.console_socket.empty())
        throw Error("process.terminal is true but no --console-socket was given", EINVAL);
    if (!terminal && !o.console_socket.empty())
        throw Error("--console-socket: cannot use console socket if runc will not detach or allocate tty "
                    "(process.terminal is false)", EINVAL);
}

}  // namespace

int Runtime::restore(const std::string& id, RestoreOptions o) {
    validate_id(id);
    // Accepted by runc; refused here rather than taken and ignored.
    if (o.no_pivot)
        throw Error("restore --no-pivot: not supported (CRIU restores into the rootfs itself)", ENOTSUP);
    check_manage_cgroups_mode(o.manage_cgroups_mode);
    criu_empty_ns(o.empty_ns);
    require_criu("restore");
    if (o.image_path.empty()) o.image_path = "checkpoint";
    o.image_path = absolute_dir(o.image_path, "--image-path");
    read_checkpoint(o.image_path);  // before anything is made
    if (!o.work_path.empty()) {
        make_dir(o.work_path, "--work-path");
        o.work_path = absolute_dir(o.work_path, "--work-path");
    }
    pid_t pid;
    {
        ContainerDir dir = store_.create(id);
        pid = restore_into(dir, id, o);
    }
    if (o.detach) return 0;
    ForwardedSignals signals;
    int code = wait_forwarding(pid, signals);
    try {
        remove(id, true);
    } catch (const Error& e) {
        log::warn(e.what());
    }
    return code;
}

pid_t Runtime::restore_into(ContainerDir& dir, const std::string& id, const RestoreOptions& o) {
    std::unique_ptr<Cgroup> cgroup;  // before the guard, which removes it
    RestoreGuard guard(dir, cgroup);
    std::vector<std::string> descriptors = read_checkpoint(o.image_path);
    Bundle b = load_bundle(o.bundle);
    check_terminal(b.config, o);
    auto path = b.config.linux ? b.config.linux->cgroupsPath : std::nullopt;
    auto checked = options_.systemd_cgroup ? systemd_cgroup_for(path, id, options_.rootless_cgroups)
                                           : cgroup_for(path, id);
    if (checked->populated())
        throw Error("linux.cgroupsPath: container's cgroup is not empty", EBUSY);
    spec::ContainerRecord record = first_record(id, b, options_.systemd_cgroup);
    record.systemd_user = options_.systemd_cgroup && options_.rootless_cgroups;
    record.cgroup_paths = checked->paths();
    for (const auto& [controllers, path] : record.cgroup_paths)
        if (::access(path.c_str(), F_OK) < 0) record.cgroup_owned.push_back(path);
    dir.create_recovery(record);
    cgroup = std::move(checked);
    static const std::optional<spec::Resources> no_resources;
    if (!prepare_cgroup(*cgroup, b.config.linux ? b.config.linux->resources : no_resources,
                        options_.rootless_cgroups))
        cgroup.reset();

    UniqueFd images = open_dir(o.image_path, "--image-path");
    UniqueFd work = o.work_path.empty() ? UniqueFd() : open_dir(o.work_path, "--work-path");
    RestoreTarget t;
    t.images_dir_fd = images.get();
    t.work_dir_fd = work.get();
    MountSide side;
    side.restore = true;
    if (cgroup) side.cgroup_dir = v2_cgroup_dir(record);
    side.resolve = rootfs_resolver(b.rootfs);
    t.mounts = external_mounts(b.config, b.dir, side);
    t.inherit_fds = inherit_stdio(descriptors);
    std::vector<UniqueFd> ns_fds;
    for (const auto& ns : external_namespaces(b.config)) {
        // CRIU takes the namespace from this descriptor, which it inherits.
        ns_fds.emplace_back(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns_fds.back()) throw_errno("namespace " + ns.path);
        t.inherit_fds.push_back({ns.key, ns_fds.back().get()});
    }
    make_restore_mount_points(b, t.mounts);
    std::string log = (o.work_path.empty() ? o.image_path : o.work_path) + "/restore.log";
    RestoreRootDir root(dir.file("criu-root"));
    t.root = root.path();

    SwrkRun r;
    r.type = criu_rpc::kRestore;
    r.opts = criu_restore_opts(o, t);
    r.opts.config_file = criu_config_file(b.config);
    r.rootfs = b.rootfs;
    r.images_dir = o.image_path;
    r.work_dir = o.work_path;
    Cgroup* cg = cgroup.get();
    // CRIU goes into the container's cgroup (systemd: the scope starts with it) and puts the
    // restored tasks where it is.
    r.before = [&](pid_t criu, criu_rpc::Opts& opts) {
        if (!cg) return;
        if (cg->starts_with_init()) {
            cg->start_with(criu);
            record.systemd_unit = cg->unit();
            record.cgroup_paths = cg->paths();
            record.cgroup_owned = cg->owned();
            dir.write_recovery(record);
        } else {
            cg->add_process(criu);
        }
        opts.cgroup_roots = cgroup_roots_of(criu);
    };
    r.notify = [&](const std::string& script, pid_t pid, UniqueFd fd) {
        // The namespaces exist, the process has not resumed: where create runs these too.
        if (script == "setup-namespaces" && b.config.hooks) {
            spec::State s = record.state;
            s.pid = pid;
            s.status = "creating";
            std::string state = spec::to_json(s, false);
            run_hooks(b.config.hooks->prestart, "prestart", state);
            run_hooks(b.config.hooks->createRuntime, "createRuntime", state);
        }
        if (script == "orphan-pts-master") {
            if (o.console_socket.empty()) throw Error("restore: a terminal, but no --console-socket", EINVAL);
            if (!fd) throw Error("restore: criu sent no terminal master", EPROTO);
            UniqueFd sock = connect_console_socket(o.console_socket);
            send_fd(sock.get(), fd.get(), "/dev/ptmx");
        }
    };
    pid_t pid = criu_swrk(r, "criu restore", log).restored_pid;
    if (pid <= 0) throw Error("criu restore: criu named no restored process", EPROTO);
    guard.set_pid(pid);
    record.state.pid = pid;
    record.state.status = "running";
    record.state.annotations = b.config.annotations;
    record.pid_start_time = read_proc_stat(pid).start_time;
    record.pid_ns = pid_namespace_of(pid);
    if (cgroup) {
        record.cgroup_paths = cgroup->paths();
        record.cgroup_owned = cgroup->owned();
    } else {
        record.cgroup_paths.clear();
        record.cgroup_owned.clear();
    }
    if (b.config.linux)
        for (const auto& ns : b.config.linux->namespaces)
            if (ns.type != "user" && ns.type != "mount")
                record.namespace_paths[ns.type] =
                    "/proc/" + std::to_string(pid) + "/ns/" + namespace_proc_name(ns.type);
    write_hooks_file(dir, b.config);
    dir.write_new("config.json", b.config_text);  // read only once state.json exists
    dir.write(record);
    // Before commit: a pid file that cannot be written fails the restore, which ends it.
    if (!o.pid_file.empty()) write_pid_file(o.pid_file, pid);
    guard.commit();
    return pid;
}

}  // namespace myrt
