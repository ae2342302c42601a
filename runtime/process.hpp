// The container process itself: its limits, user, capabilities and the final exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/security/capabilities.hpp"
#include "spec/config.hpp"

namespace myrt {

// Call first in main(): remembers which fds from 3 up the caller passed.
void note_inherited_fds();
// --preserve-fds N: fds 3..3+N-1 must have been passed by the caller. Throws Error naming the fd.
void check_preserved_fds(int n);
// Writes a --pid-file atomically; errors name the option.
// SIGKILL to a child of ours, then waits for it (a create or restore undone).
void kill_and_reap(pid_t pid);
void write_pid_file(const std::string& path, pid_t pid);

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits);

// Resolves args[0] inside the (already entered) container root using the process's PATH.
// Throws Error("exec \"x\": no such file or directory") or "executable file not found in $PATH".
std::string find_executable(const spec::Process& process);

// process.env plus HOME (from the container's /etc/passwd) when the config has none.
std::vector<std::string> process_environment(const spec::Process& process);

// setgroups/setresgid/setresuid to process.user keeping the capabilities the config grants.
void switch_user(const spec::User& user, const CapabilitySets* caps);

// Closes every descriptor from 3 + preserve_fds up except those in `keep`.
void close_fds_except(int preserve_fds, std::vector<int> keep);

// Marks every descriptor from 3 + preserve_fds up close-on-exec; 3..3+n-1 are kept open.
void close_descriptors_on_exec(int preserve_fds);

struct SeccompProgram;

// The last steps before execve, for init and for exec alike. What needs the filesystem or
// calls of the runtime's own (the cwd, no_new_privs, signals, descriptors) comes before the
// seccomp filter, so that a deny-by-default profile need allow only what the program and
// the switch of user need (runc's order). Without no_new_privs the filter needs
// CAP_SYS_ADMIN: it goes in before the switch of user; with it, last. `filter` is nullptr
// when there is none (or it is a notify filter, already loaded). The cwd is entered as
// root first and, if root may not (root-squashed or unmapped), again as the user.
void enter_process(const spec::Process& process, const CapabilitySets* caps,
                   const SeccompProgram* filter, int preserve_fds);

[[noreturn]] void exec_process(const std::string& path, const spec::Process& process,
                               const std::vector<std::string>& env);

}  // namespace myrt
