// The lifecycle operations after create: start, state, kill, delete, run, list, pause.
#include "runtime/container.hpp"

#include <functional>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.hpp"
#include "runtime/error.hpp"
#include "runtime/hooks.hpp"
#include "runtime/log.hpp"
#include "runtime/network.hpp"
#include "runtime/proc.hpp"
#include "runtime/terminal.hpp"
#include "spec/parse_error.hpp"

namespace myrt {

namespace {

constexpr const char* kFifo = "exec.fifo";

std::optional<spec::Hooks> stored_hooks(const ContainerDir& dir) {
    std::string path = dir.file("hooks.json");
    if (::access(path.c_str(), F_OK) < 0) return std::nullopt;
    try {
        return spec::load_config(path).hooks;
    } catch (const spec::ParseError& e) {
        log::warn(path + ": " + e.what());
        return std::nullopt;
    }
}

// A pidfd is taken first and the start time checked after, so the signal can only ever
// reach the process the record describes, never a later process that reused its pid.
UniqueFd open_init(const spec::ContainerRecord& r) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, r.state.pid, 0)));
    if (!fd) return fd;
    if (!process_alive(r.state.pid, r.pid_start_time)) return UniqueFd();
    return fd;
}

void wait_exit(int pidfd) {
    pollfd p{pidfd, POLLIN, 0};
    while (::poll(&p, 1, 10'000) < 0 && errno == EINTR) {
    }
}

// Only `run` asks before create: whether it must proxy a terminal itself.
bool config_wants_terminal(const std::string& bundle) {
    try {
        auto c = spec::load_config((bundle.empty() ? std::string(".") : bundle) + "/config.json");
        return c.process && c.process->terminal;
    } catch (const spec::ParseError&) {
        return false;  // create reports the problem properly
    }
}

}  // namespace

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)), store_(options_.root) {
    if (options_.systemd_cgroup)
        throw Error("--systemd-cgroup is not supported by this build (no systemd cgroup driver)");
}

std::string Runtime::live_status(const ContainerDir* dir, const spec::ContainerRecord& r) const {
    if (!process_alive(r.state.pid, r.pid_start_time)) return "stopped";
    std::string fifo = dir ? dir->file(kFifo) : store_.root() + "/" + r.state.id + "/" + kFifo;
    if (::access(fifo.c_str(), F_OK) == 0) return "created";
    return r.state.status == "paused" ? "paused" : "running";
}

void Runtime::start(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    std::string status = live_status(&dir, r);
    if (status == "stopped") throw Error("cannot start a container that has stopped");
    if (status != "created") throw Error("cannot start an already running container");
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
    pollfd p{rd.get(), 0, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    // No state.json rewrite: the status is computed from the fifo being gone.
    r.state.status = "running";
    if (auto hooks = stored_hooks(dir)) {
        std::string state = spec::to_json(r.state, false);
        run_hooks_warn(hooks->poststart, "poststart", state);
    }
}

spec::State Runtime::state(const std::string& id) {
    validate_id(id);
    auto record = store_.peek(id);
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
    if (!pidfd) throw Error("container not running", ESRCH);
    if (all) {
        auto cg = cgroup_from_paths(r.cgroup_paths);
        for (pid_t pid : cg ? cg->pids() : std::vector<pid_t>{}) ::kill(pid, signal);
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) < 0 && errno != ESRCH)
        throw_errno("kill " + std::to_string(r.state.pid));
}

void Runtime::destroy(ContainerDir& dir, const spec::ContainerRecord& r, bool kill_first) {
    auto cg = cgroup_from_paths(r.cgroup_paths);
    if (kill_first) {
        if (UniqueFd pidfd = open_init(r)) {
            if (cg && cg->frozen()) cg->freeze(false);
            ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
            wait_exit(pidfd.get());
        }
    }
    for (int helper : r.helper_pids) stop_helper(helper);
    if (cg) cg->destroy(true);
    auto hooks = stored_hooks(dir);
    spec::State state = r.state;
    state.status = "stopped";
    dir.remove();
    if (hooks) run_hooks_warn(hooks->poststop, "poststop", spec::to_json(state, false));
}

void Runtime::remove(const std::string& id, bool force) {
    validate_id(id);
    // Like runc: forcing the removal of something already gone is success, which lets
    // callers retry a delete that was interrupted.
    if (force && ::access((store_.root() + "/" + id).c_str(), F_OK) < 0 && errno == ENOENT)
        return;
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    std::string status = live_status(&dir, r);
    if (status != "stopped" && !force)
        throw Error("cannot delete container that is not stopped: " + status);
    destroy(dir, r, status != "stopped");
}

std::vector<ContainerInfo> Runtime::list() {
    std::vector<ContainerInfo> out;
    for (const auto& id : store_.list_ids()) {
        auto record = store_.peek(id);
        if (!record) continue;  // being created or deleted right now
        record->state.status = live_status(nullptr, *record);
        if (record->state.status == "stopped") record->state.pid = 0;
        out.push_back({std::move(*record)});
    }
    return out;
}

void Runtime::pause(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    std::string status = live_status(&dir, r);
    if (status != "running") throw Error("container not running", ESRCH);
    auto cg = cgroup_from_paths(r.cgroup_paths);
    if (!cg) throw Error("container has no cgroup to freeze");
    cg->freeze(true);
    r.state.status = "paused";
    dir.write(r);
}

void Runtime::resume(const std::string& id) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    if (live_status(&dir, r) != "paused") throw Error("container not paused");
    auto cg = cgroup_from_paths(r.cgroup_paths);
    if (cg) cg->freeze(false);
    r.state.status = "running";
    dir.write(r);
}

namespace {

constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
                              SIGCONT, SIGALRM};

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

// Waits for init (our child), passing the signals myrt receives on to it.
int wait_forwarding(pid_t pid, int signal_fd) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return exit_code(status);
        if (r < 0 && errno != EINTR) throw_errno("wait for container");
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw_errno("poll");
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(signal_fd, &info, sizeof info) == sizeof info)
                ::kill(pid, static_cast<int>(info.ssi_signo));
        }
    }
}

}  // namespace

namespace {

// The forwarded signals, blocked and read from a signalfd for as long as this lives; the
// caller's mask comes back on every path.
class ForwardedSignals {
public:
    ForwardedSignals() {
        sigemptyset(&set_);
        for (int sig : kForwarded) sigaddset(&set_, sig);
        ::sigprocmask(SIG_BLOCK, &set_, &old_);
        fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC));
    }
    ~ForwardedSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
    int fd() const { return fd_.get(); }

private:
    sigset_t set_{}, old_{};
    UniqueFd fd_;
};

}  // namespace

int run_forwarding_signals(pid_t pid, const std::function<void()>& before_wait) {
    ForwardedSignals signals;  // blocked before before_wait(): no signal slips past
    if (before_wait) before_wait();
    return wait_forwarding(pid, signals.fd());
}

std::vector<pid_t> Runtime::pids(const std::string& id) {
    ContainerDir dir = store_.open(id, false);
    spec::ContainerRecord r = dir.read();
    auto cg = cgroup_from_paths(r.cgroup_paths);
    return cg ? cg->pids() : std::vector<pid_t>{};
}

namespace {

// `run` removes its container however the container or the wait ended.
int then_remove(Runtime& rt, const std::string& id, const std::function<int()>& body) {
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
    rt.remove(id, true);
    return code;
}

}  // namespace

// run with process.terminal and no console socket: myrt itself receives the master and
// proxies the caller's terminal to it.
int Runtime::run_with_terminal(const std::string& id, CreateOptions options) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd ours(sv[0]), theirs(sv[1]);
    options.console_fd = theirs.get();
    pid_t pid = create(id, options);
    theirs.reset();
    return then_remove(*this, id, [&] {
        UniqueFd master = receive_fd(ours.get());
        start(id);
        return proxy_terminal(master.get(), pid);
    });
}

int Runtime::run(const std::string& id, const CreateOptions& options, bool detach) {
    if (!detach && options.console_socket.empty() && options.console_fd < 0 &&
        config_wants_terminal(options.bundle))
        return run_with_terminal(id, options);
    pid_t pid = create(id, options);
    if (detach) {
        start(id);
        return 0;
    }
    return then_remove(*this, id, [&] { return run_forwarding_signals(pid, [&] { start(id); }); });
}

}  // namespace myrt
