// Signals: what myrt does with the signals it is sent, and the clean slate every program it
// starts gets.
//
// A foreground `run` or `exec` stands for the container's process: a signal sent to it is
// meant for that process, and must neither kill nor stop myrt while the process lives
// (a dead myrt leaves the container running on, its state never deleted).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "runtime/fd.hpp"

namespace myrt {

// First thing in main(), before anything is forked: SIGCHLD back to default whatever the
// caller left, SIGPIPE ignored (a write to a closed pipe fails with EPIPE, never kills us).
void init_process_signals();

// In a child just before execve: every disposition back to default and an empty mask,
// whatever myrt or its caller had set (SIG_IGN and the mask survive execve).
void reset_signals_for_exec();

// Every signal a caller can send, blocked and read from a signalfd for as long as this
// lives: SIGKILL and SIGSTOP cannot be, SIGCHLD and SIGURG are not (the kernel's notices to
// us, ignored by default). SIGWINCH is read but never forwarded: it resizes a terminal.
// Construct it before the container's process exists, so that no signal slips past;
// the process itself starts from reset_signals_for_exec().
class ForwardedSignals {
public:
    ForwardedSignals();
    // What was not read is dropped (its process is gone), then the caller's mask returns.
    ~ForwardedSignals();
    ForwardedSignals(const ForwardedSignals&) = delete;
    ForwardedSignals& operator=(const ForwardedSignals&) = delete;

    int fd() const { return fd_.get(); }
    // The next pending signal (after poll() said fd() is readable), or 0 when none or when
    // it is one we raised ourselves (the kernel's SIGPIPE for our own write): no caller's.
    int next();

private:
    sigset_t set_{}, old_{};
    UniqueFd fd_;
};

// Waits for pid (our child), passing the signals in `signals` on to it. Returns its exit
// status (128+n when killed by signal n).
int wait_forwarding(pid_t pid, ForwardedSignals& signals);

// A wait status as an exit code: 128+n when killed by signal n.
int exit_code(int status);

}  // namespace myrt
