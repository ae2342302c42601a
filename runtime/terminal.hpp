// Terminals: the container's PTY is created inside it (on its own devpts) and the master is
// handed over a unix socket with SCM_RIGHTS, as conmon and containerd expect; a foreground
// `run`/`exec` proxies the caller's terminal to that master.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "runtime/fd.hpp"
#include "runtime/signals.hpp"
#include "spec/config.hpp"

namespace myrt {

UniqueFd connect_console_socket(const std::string& path);
void send_fd(int sock, int fd, const std::string& name);
UniqueFd receive_fd(int sock);

// In the container, after pivot_root: opens a PTY on the container's devpts, sends its
// master to console_sock, and makes the slave the controlling terminal and stdio.
void setup_container_terminal(int console_sock, const std::optional<spec::ConsoleSize>& size,
                              uint32_t uid, bool bind_console);

// Forwards between the caller's terminal (or plain stdio) and master until `pid` exits;
// `signals` go to pid, but SIGWINCH, which resizes. Closes master (a hangup) once our
// stdout breaks. Returns pid's exit status (128+n for signal n). The caller's terminal
// mode is restored on every path.
int proxy_terminal(UniqueFd master, pid_t pid, ForwardedSignals& signals);

}  // namespace myrt
