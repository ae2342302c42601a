// The lifecycle operations after create: start, state, kill, delete, run, list, pause.
#include "runtime/container.hpp"

#include <functional>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/hooks.hpp"
#include "runtime/log.hpp"
#include "runtime/network.hpp"
#include "runtime/notify_socket.hpp"
#include "runtime/proc.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

constexpr const char* kFifo = "exec.fifo";

// Read through the container's directory descriptor: these hooks run as the caller.
std::optional<spec::Hooks> stored_hooks(const ContainerDir& dir) {
    std::string path = dir.file("hooks.json");
    try {
        std::optional<std::string> text = dir.read_text("hooks.json");
        if (!text) return std::nullopt;
        return spec::parse_config(*text).hooks;
    } catch (const std::exception& e) {
        log::warn(path + ": " + e.what());
        return std::nullopt;
    }
}

// Whether pid is in the container's pid namespace or one nested in it (a sandbox the
// container made). A process we may not inspect (not dumpable, e.g. init before its exec,
// seen by a rootless caller; or in a user namespace beside ours, seen by root of another
// one the same user made: rootless podman's next command) counts: only root of the host
// can be denied nothing, and any other caller can signal only its own processes anyway.
bool in_pid_ns(pid_t pid, const spec::ContainerRecord& r) {
    static const bool unprivileged = unprivileged_on_host();
    int within = pid_within_namespace(pid, r.pid_ns);
    return within == 1 || (within == -1 && unprivileged);
}

// A pidfd is taken first and the start time checked after, so the signal can only ever
// reach the process the record describes, never a later process that reused its pid. The
// record is not trusted either: a pid whose pid namespace is not the one recorded at create
// is not the container's init.
UniqueFd open_init(const spec::ContainerRecord& r) {
    if (r.state.pid <= 0) return UniqueFd();
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, r.state.pid, 0)));
    if (!fd) return fd;
    if (!process_alive(r.state.pid, r.pid_start_time)) return UniqueFd();
    if (r.pid_ns != 0 && !in_pid_ns(r.state.pid, r)) return UniqueFd();
    return fd;
}

// The container's processes: those in its cgroup that live in its pid namespace. A host
// process or another container (with a pid namespace of its own) sharing the cgroup is not
// the container's and is never signalled. (Without a pid namespace of its own the container
// shares the host's, which is why create refuses a cgroup that already holds processes.)
std::vector<pid_t> container_pids(const Cgroup* cg, const spec::ContainerRecord& r) {
    std::vector<pid_t> out;
    if (!cg || r.pid_ns == 0) return out;
    // A pid namespace of the container's own died with its init, and the kernel reuses its
    // inode number: one with that number now is someone else's.
    if (r.pid_ns != pid_namespace_of(::getpid()) && !process_alive(r.state.pid, r.pid_start_time))
        return out;
    for (pid_t pid : cg->pids())
        if (in_pid_ns(pid, r)) out.push_back(pid);
    return out;
}

// SIGKILLs the container's processes (init first) and waits, briefly, until they are gone.
void kill_container(Cgroup* cg, const spec::ContainerRecord& r, int init_pidfd) {
    // A frozen process cannot die (v1). A cgroup frozen from above cannot be thawed here:
    // the kill goes on all the same rather than leaving the container behind.
    try {
        if (cg && cg->frozen()) cg->freeze(false);
    } catch (const Error& e) {
        log::warn(std::string("container ") + r.state.id + ": " + e.what());
    }
    if (init_pidfd >= 0) ::syscall(SYS_pidfd_send_signal, init_pidfd, SIGKILL, nullptr, 0);
    for (int i = 0; i < 400; ++i) {
        auto pids = container_pids(cg, r);
        if (pids.empty()) break;
        for (pid_t pid : pids) ::kill(pid, SIGKILL);
        timespec ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
}

void wait_exit(int pidfd) {
    pollfd p{pidfd, POLLIN, 0};
    while (::poll(&p, 1, 10'000) < 0 && errno == EINTR) {
    }
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)), store_(options_.root) {}

std::string Runtime::live_status(const ContainerDir* dir, const spec::ContainerRecord& r) const {
    if (r.state.status == "creating" && r.state.pid == 0)  // no init yet: the creator tells
        return process_alive(r.creator_pid, r.creator_start_time) ? "creating" : "stopped";
    if (!process_alive(r.state.pid, r.pid_start_time)) return "stopped";
    if (r.state.status == "creating") return "creating";  // only recovery.json so far
    std::string fifo = dir ? dir->file(kFifo) : store_.root() + "/" + r.state.id + "/" + kFifo;
    if (::access(fifo.c_str(), F_OK) == 0) return "created";
    // The freezer, not the record, tells paused from running (as in runc): pause needs no
    // state write that could fail after the freeze, and a frozen container is never
    // reported running (resume would refuse it, exec would hang in it).
    std::unique_ptr<Cgroup> cg;
    try {
        cg = cgroup_from_record(r);
    } catch (const Error&) {
        // A record naming no real cgroup: nothing can be frozen.
    }
    return cg && cg->frozen() ? "paused" : "running";
}

void Runtime::start(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    std::string status = live_status(&dir, r);
    if (status == "stopped") throw Error("cannot start a container that has stopped");
    if (status == "creating") throw Error("cannot start a container that is still being created");
    if (status != "created") throw Error("cannot start an already running container");
    std::unique_ptr<NotifyRelay> relay;  // bound before the container can say READY=1
    if (!options_.notify_socket.empty() && ::access(dir.file("notify").c_str(), F_OK) == 0)
        relay = std::make_unique<NotifyRelay>(dir.path(), options_.notify_socket);
    std::string fifo = dir.file(kFifo);
    // init holds the fifo open (read-write, close-on-exec) and waits for one byte. Our own
    // reader is opened before our writer so that the kernel reports POLLHUP once the last
    // writer is gone: that is init's descriptor closing at exec (or init dying), which is
    // the moment the container process runs and poststart hooks may follow.
    UniqueFd rd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd) throw_errno("open " + fifo);
    {
        UniqueFd wr(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        if (!wr) throw_errno("open " + fifo);
        if (::write(wr.get(), "0", 1) != 1) throw_errno("write " + fifo);
    }
    ::unlink(fifo.c_str());
    {
        log::Step step("start.wait_exec");  // from the byte written to init's execve
        pollfd p{rd.get(), 0, 0};
        while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
        }
    }
    // init closes the fifo at exec without a word; one that failed before (a startContainer
    // hook, say) wrote "E" and why. Left unread, our "0" means init died before reading it.
    char buf[4096];
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n > 0 && buf[0] == 'E') throw Error(std::string(buf + 1, static_cast<size_t>(n - 1)));
    if (n > 0) throw Error("container init exited before it could start", ESRCH);
    // No state.json rewrite: the status is computed from the fifo being gone.
    r.state.status = "running";
    run_poststart(dir, r);
    if (relay) relay->relay_ready(r.state.pid, open_init(r).get());
}

void Runtime::run_poststart(const ContainerDir& dir, const spec::ContainerRecord& r) {
    auto hooks = stored_hooks(dir);
    if (!hooks) return;
    try {
        run_hooks(hooks->poststart, "poststart", spec::to_json(r.state, false));
    } catch (const Error&) {
        // runtime.md, lifecycle step 9: a failing poststart hook stops the container.
        std::unique_ptr<Cgroup> cg;
        try {
            cg = cgroup_from_record(r);
        } catch (const Error&) {
        }
        UniqueFd pidfd = open_init(r);
        kill_container(cg.get(), r, pidfd.get());
        throw;
    }
}

spec::State Runtime::state(const std::string& id) {
    validate_id(id);
    std::string problem;
    auto record = store_.peek(id, &problem);
    if (!problem.empty()) throw Error(problem);
    if (!record) {
        // peek() cannot tell a missing container from a broken one; open() can.
        ContainerDir dir = store_.open(id, false);
        record = dir.read();
    }
    spec::State s = record->state;
    s.status = live_status(nullptr, *record);
    if (s.status == "stopped") s.pid = 0;
    return s;
}

void Runtime::kill(const std::string& id, int signal, bool all) {
    ContainerDir dir = store_.open(id, false);
    spec::ContainerRecord r = dir.read();
    UniqueFd pidfd = open_init(r);
    if (all) {
        // Also once init has exited (as runc does): what a container without a pid
        // namespace of its own left in its cgroup is still the container's.
        auto cg = cgroup_from_record(r);
        for (pid_t pid : container_pids(cg.get(), r)) ::kill(pid, signal);
        if (!pidfd) return;
    }
    if (!pidfd) throw Error("container not running", ESRCH);
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) < 0 && errno != ESRCH)
        throw_errno("kill " + std::to_string(r.state.pid));
}

void Runtime::destroy(ContainerDir& dir, const spec::ContainerRecord& r, bool kill_first) {
    std::unique_ptr<Cgroup> cg;
    try {
        cg = cgroup_from_record(r);
    } catch (const Error& e) {
        log::warn("container " + r.state.id + ": " + e.what() + ": its cgroup is left alone");
    }
    UniqueFd pidfd = kill_first ? open_init(r) : UniqueFd();
    {
        log::Step step("kill");
        step.field("init_running", static_cast<bool>(pidfd));
        // Even a stopped container may have left processes (it had no pid namespace of its own).
        kill_container(cg.get(), r, pidfd.get());
        stop_checkpoint(dir);  // its CRIU holds the killed tasks until it lets go of them
        if (pidfd) wait_exit(pidfd.get());
    }
    for (int helper : r.helper_pids) stop_helper(helper, dir.path());
    if (cg) {
        log::Step step("cgroup.remove");
        cg->remove();
    }
    auto hooks = stored_hooks(dir);
    spec::State state = r.state;
    state.status = "stopped";
    {
        log::Step step("state.remove");
        step.field("path", dir.path());
        dir.remove();
    }
    if (hooks) run_hooks_warn(hooks->poststop, "poststop", spec::to_json(state, false));
}

void Runtime::remove(const std::string& id, bool force) {
    validate_id(id);
    // Like runc: forcing the removal of something already gone is success, which lets
    // callers retry a delete that was interrupted, or race another delete.
    std::optional<ContainerDir> dir;
    try {
        dir.emplace(store_.open(id));
    } catch (const Error& e) {
        if (force && e.code() == ENOENT) return;
        throw;
    }
    // --force works from whatever survives: a create killed half-way, a damaged state.json.
    std::optional<spec::ContainerRecord> r = force ? dir->read_any() : dir->read();
    if (!r) {
        log::warn("container " + id + ": no usable record, removing its state only");
        dir->remove();
        return;
    }
    std::string status = live_status(&*dir, *r);
    if (status != "stopped" && !force)
        throw Error("cannot delete container that is not stopped: " + status);
    destroy(*dir, *r, status != "stopped");
}

std::vector<ContainerInfo> Runtime::list() {
    std::vector<ContainerInfo> out;
    for (const auto& id : store_.list_ids()) {
        ContainerInfo info;
        auto record = store_.peek(id, &info.problem);
        if (record) {
            info.record = std::move(*record);
            info.record.state.status = live_status(nullptr, info.record);
        } else {
            if (info.problem.empty()) {
                if (store_.busy(id)) continue;  // being created or deleted right now
                info.problem = "no state recorded (a create killed at its start)";
            }
            info.record.state.id = id;
        }
        // A damaged state.json: listed with what is known, and why (delete --force works).
        if (!info.problem.empty()) {
            info.record.state.status = "unknown";
            log::warn("container " + id + ": " + info.problem);
        }
        if (info.record.state.status == "stopped") info.record.state.pid = 0;
        out.push_back(std::move(info));
    }
    return out;
}

void Runtime::pause(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    std::string status = live_status(&dir, r);
    if (status != "running") throw Error("container not running", ESRCH);
    // CRIU freezes and thaws it itself meanwhile.
    if (dir.checkpointing()) throw Error("cannot pause a container that is being checkpointed", EBUSY);
    auto cg = cgroup_from_record(r);
    if (!cg) throw Error("container has no cgroup to freeze");
    try {
        cg->freeze(true);
    } catch (...) {
        try {
            cg->freeze(false);  // a half-done freeze must not leave it stuck
        } catch (...) {
        }
        throw;
    }
}

void Runtime::resume(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    if (live_status(&dir, r) != "paused") throw Error("container not paused");
    // Frozen by CRIU for its dump, perhaps: thawing it would spoil the image.
    if (dir.checkpointing()) throw Error("cannot resume a container that is being checkpointed", EBUSY);
    if (auto cg = cgroup_from_record(r)) cg->freeze(false);
}

std::vector<pid_t> Runtime::pids(const std::string& id) {
    ContainerDir dir = store_.open(id, false);
    spec::ContainerRecord r = dir.read();
    auto cg = cgroup_from_record(r);
    std::vector<pid_t> pids = container_pids(cg.get(), r);
    // A container without a cgroup (rootless, not delegated) is at least its init.
    if (pids.empty() && process_alive(r.state.pid, r.pid_start_time)) pids.push_back(r.state.pid);
    return pids;
}

namespace {

// `run` removes its container however the container or the wait ended.
// `run --keep` keeps a container that ran (stopped, with its cgroup) for a later delete.
int then_remove(Runtime& rt, const std::string& id, const std::function<int()>& body,
                bool keep) {
    int code;
    try {
        code = body();
    } catch (...) {
        try {
            rt.remove(id, true);
        } catch (...) {
        }
        throw;
    }
    if (!keep) rt.remove(id, true);
    return code;
}

}  // namespace

// run with process.terminal and no console socket: myrt itself receives the master and
// proxies the caller's terminal to it.
int Runtime::run_with_terminal(const std::string& id, CreateOptions options, Bundle b, bool keep) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd ours(sv[0]), theirs(sv[1]);
    options.console_fd = theirs.get();
    ForwardedSignals signals;  // from before init exists until its container is deleted
    pid_t pid = create_from(id, options, std::move(b));
    theirs.reset();
    return then_remove(*this, id, [&] {
        UniqueFd master = receive_fd(ours.get());
        start(id);
        return proxy_terminal(std::move(master), pid, signals);
    }, keep);
}

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach, bool keep) {
    // The bundle is read once: whether myrt must proxy a terminal itself depends on it.
    Bundle b = prepare_create(id, options);
    if (!detach && options.console_socket.empty() && options.console_fd < 0 && b.config.process->terminal)
        return run_with_terminal(id, options, std::move(b), keep);
    if (detach) {
        create_from(id, options, std::move(b));
        start(id);
        return 0;
    }
    ForwardedSignals signals;  // from before init exists until its container is deleted
    pid_t pid = create_from(id, options, std::move(b));
    return then_remove(*this, id, [&] {
        start(id);
        return wait_forwarding(pid, signals);
    }, keep);
}

}  // namespace myrt
