#include "runtime/hooks.hpp"

#include <cctype>
#include <cstring>

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
#include "runtime/signals.hpp"

namespace myrt {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// dup2 onto itself keeps close-on-exec set: such a descriptor is moved out of the way first.
void move_to(int fd, int target) {
    if (fd == target) {
        ::fcntl(fd, F_SETFD, 0);
        return;
    }
    ::dup2(fd, target);
}

[[noreturn]] void exec_hook(const spec::Hook& hook, int stdin_fd, int out_fd) {
    if (stdin_fd <= STDERR_FILENO && stdin_fd != STDIN_FILENO)
        stdin_fd = ::fcntl(stdin_fd, F_DUPFD_CLOEXEC, 3);
    if (out_fd <= STDERR_FILENO) out_fd = ::fcntl(out_fd, F_DUPFD_CLOEXEC, 3);
    move_to(stdin_fd, STDIN_FILENO);
    move_to(out_fd, STDOUT_FILENO);
    move_to(out_fd, STDERR_FILENO);
    reset_signals_for_exec();
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path}
                                                       : hook.args;
    auto argv = c_strings(args);
    auto envp = c_strings(hook.env);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    dprintf(out_fd, "exec: %s", errno_text(errno).c_str());
    ::_exit(127);
}

int remaining_ms(const timespec& deadline) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : static_cast<int>(ms);
}

// Feeds the state to the hook and waits for it, all under one deadline: a hook that neither
// reads its stdin nor exits is killed on time. Writes never raise SIGPIPE (MSG-less pipes:
// the signal is blocked and the pending one discarded), so a hook that exits without
// reading cannot kill myrt. Returns the wait status, or -1 after a timeout kill.
int feed_and_wait(pid_t pid, UniqueFd wr, std::string_view data, std::optional<int64_t> timeout) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    bool limited = timeout && *timeout > 0;
    if (limited) deadline.tv_sec += *timeout > 86400 ? 86400 : *timeout;
    ::fcntl(wr.get(), F_SETFL, O_NONBLOCK);
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    ::sigprocmask(SIG_BLOCK, &pipe_set, &old);
    bool exited = false, timed_out = false;
    while (!exited && !timed_out) {
        pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {wr ? wr.get() : -1, POLLOUT, 0}};
        int r = ::poll(fds, 2, limited ? remaining_ms(deadline) : -1);
        if (r < 0 && errno != EINTR) break;
        if (r == 0) timed_out = true;
        if (fds[0].revents & POLLIN) exited = true;
        if (wr && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = ::write(wr.get(), data.data(), data.size());
            if (n > 0) data.remove_prefix(static_cast<size_t>(n));
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || data.empty()) wr.reset();
        }
    }
    wr.reset();
    timespec zero{0, 0};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("wait for hook");
    }
    return timed_out ? -1 : status;
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

// "31 (bad system call)": the number, and what it means (a seccomp kill reads as such).
std::string signal_text(int sig) {
    std::string name = ::strsignal(sig) ? ::strsignal(sig) : "";
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::to_string(sig) + (name.empty() ? "" : " (" + name + ")");
}

}  // namespace

void run_hook(const spec::Hook& hook, std::string_view kind, std::string_view state_json) {
    std::string name = std::string(kind) + " hook \"" + hook.path + "\"";
    log::Step step("hook");
    step.field("kind", kind).field("path", hook.path);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_errno(name + ": pipe");
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    UniqueFd out(::memfd_create("myrt-hook-output", MFD_CLOEXEC));
    if (!out) throw_errno(name + ": memfd_create");
    pid_t pid = ::fork();
    if (pid < 0) throw_errno(name + ": fork");
    if (pid == 0) exec_hook(hook, rd.get(), out.get());
    rd.reset();
    int status = feed_and_wait(pid, std::move(wr), state_json, hook.timeout);
    if (status == -1)
        throw Error(name + ": timed out after " + std::to_string(*hook.timeout) + "s");
    if (WIFEXITED(status)) step.field("exit_status", WEXITSTATUS(status));
    else step.field("signal", WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + signal_text(WTERMSIG(status));
    std::string output = read_output(out.get());
    // "error running hook": runc's words, which callers and runc's suite match.
    throw Error(name + " failed: error running hook: " + why + (output.empty() ? "" : ": " + output));
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
