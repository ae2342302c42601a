#include "runtime/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.hpp"

namespace myrt {

void init_process_signals() {
    // An ignored SIGCHLD, inherited from a careless caller, has the kernel reap our children
    // itself: every wait for init, a hook or an exec'd process would fail with ECHILD.
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
}

void reset_signals_for_exec() {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
}

ForwardedSignals::ForwardedSignals() {
    // glibc keeps its two internal real-time signals out of any mask by itself.
    sigfillset(&set_);
    for (int sig : {SIGKILL, SIGSTOP, SIGCHLD, SIGURG}) sigdelset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) {
        int err = errno;
        ::sigprocmask(SIG_SETMASK, &old_, nullptr);
        throw_errno("signalfd", err);
    }
}

ForwardedSignals::~ForwardedSignals() {
    signalfd_siginfo info{};
    while (::read(fd_.get(), &info, sizeof info) == sizeof info) {
    }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

int ForwardedSignals::next() {
    signalfd_siginfo info{};
    if (::read(fd_.get(), &info, sizeof info) != sizeof info) return 0;
    if (static_cast<pid_t>(info.ssi_pid) == ::getpid() && info.ssi_code == SI_USER) return 0;
    return static_cast<int>(info.ssi_signo);
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

int wait_forwarding(pid_t pid, ForwardedSignals& signals) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return exit_code(status);
        if (r < 0 && errno != EINTR) throw_errno("wait for the container's process");
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw_errno("poll");
        if (fds[0].revents & POLLIN)
            if (int sig = signals.next(); sig != 0 && sig != SIGWINCH) ::kill(pid, sig);
    }
}

}  // namespace myrt
