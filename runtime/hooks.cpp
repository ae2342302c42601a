#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

[[noreturn]] void exec_hook(const spec::Hook& hook, int stdin_fd, int out_fd) {
    ::dup2(stdin_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path}
                                                       : hook.args;
    auto argv = c_strings(args);
    auto envp = c_strings(hook.env);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    dprintf(out_fd, "exec: %s", errno_text(errno).c_str());
    ::_exit(127);
}

// Feeds the state to the hook. A hook that exits or closes stdin early makes write fail with
// EPIPE; SIGPIPE is blocked here and the pending one discarded so it cannot kill myrt.
void feed_stdin(int fd, std::string_view data) {
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::sigprocmask(SIG_BLOCK, &pipe_set, &old);
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    timespec zero{0, 0};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

// Waits for the hook; returns its wait status, or -1 after killing it on timeout.
int wait_hook(pid_t pid, std::optional<int64_t> timeout) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd && timeout && *timeout > 0) {
        pollfd p{pidfd.get(), POLLIN, 0};
        int ms = *timeout > 86400 ? 86400 * 1000 : static_cast<int>(*timeout * 1000);
        int r;
        do r = ::poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            ::kill(pid, SIGKILL);
            int status;
            ::waitpid(pid, &status, 0);
            return -1;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for hook");
    }
    return status;
}

std::string read_output(int fd) {
    std::string out;
    char buf[1024];
    ::lseek(fd, 0, SEEK_SET);
    ssize_t n;
    while (out.size() < 4096 && (n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    for (char& c : out)
        if (c == '\n') c = ' ';
    return out;
}

}  // namespace

void run_hook(const spec::Hook& hook, std::string_view kind, std::string_view state_json) {
    std::string name = std::string(kind) + " hook \"" + hook.path + "\"";
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_errno(name + ": pipe");
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    UniqueFd out(::memfd_create("myrt-hook-output", MFD_CLOEXEC));
    if (!out) throw_errno(name + ": memfd_create");
    pid_t pid = ::fork();
    if (pid < 0) throw_errno(name + ": fork");
    if (pid == 0) exec_hook(hook, rd.get(), out.get());
    rd.reset();
    feed_stdin(wr.get(), state_json);
    wr.reset();
    int status = wait_hook(pid, hook.timeout);
    if (status == -1)
        throw Error(name + ": timed out after " + std::to_string(*hook.timeout) + "s");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status));
    std::string output = read_output(out.get());
    throw Error(name + " failed: " + why + (output.empty() ? "" : ": " + output));
}

void run_hooks(const std::vector<spec::Hook>& hooks, std::string_view kind,
               std::string_view state_json) {
    for (const auto& hook : hooks) run_hook(hook, kind, state_json);
}

void run_hooks_warn(const std::vector<spec::Hook>& hooks, std::string_view kind,
                    std::string_view state_json) {
    for (const auto& hook : hooks) {
        try {
            run_hook(hook, kind, state_json);
        } catch (const std::exception& e) {
            log::warn(e.what());
        }
    }
}

}  // namespace myrt
