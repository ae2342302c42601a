// linux.seccomp: compiled to BPF by the runtime before the container is cloned (libseccomp
// never runs inside the container), loaded by init with seccomp(2) as late as it can be.
//
// When init loads the filter (see finish_and_exec and container_init in runtime/init.cpp):
// - no_new_privs set: the very last step before execve, so that the profile restricts
//   nothing of init's own work but the execve itself;
// - no_new_privs not set: the kernel then wants CAP_SYS_ADMIN, so the filter goes in
//   before init switches to the container's user and capabilities (as runc does); the
//   profile then also applies to those few calls (setgroups, setres[ug]id, capset, prctl,
//   open/fchdir of the cwd, close_range, rt_sigprocmask/rt_sigaction) and to execve;
// - SCMP_ACT_NOTIFY used: during create, before init reports ready (it still has all its
//   capabilities then), because the listener fd must reach listenerPath on the host, which
//   init, already inside the container's root, can no longer see. The handoff:
//     1. init clones a helper (CLONE_FILES: same descriptor table; not filtered, being
//        cloned before the load), loads the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and
//        stores the listener's number in memory shared with the helper: no syscall between
//        the load and that store;
//     2. the helper sends the fd to the runtime over the sync socket
//        (SyncType::seccomp_listener, SCM_RIGHTS) and exits; init waits for it, then closes
//        its own copy (the container never holds its listener) and reports ready;
//     3. `create` connects to listenerPath and sends the containerProcessState
//        (config-linux.md) with the fd (send_seccomp_listener) before it waits for ready.
//   So every syscall init makes after the load (wait4, close, sendmsg, reading exec.fifo,
//   startContainer hooks, switching user, execve) may be notified, sendmsg and write
//   included (runc refuses notifying write, crun 1.5 hung on sendmsg), and so may the
//   default action: by the time init can block on the agent, the agent has the fd.
//   `exec` does the same for the process it starts (runtime/exec.cpp): a filter of its own,
//   loaded before it switches user, whose listener reaches listenerPath with that process's
//   pid and the running container's state; the process waits for the runtime's word that it
//   did (SyncType::listener_passed), so nothing of the user's runs if the agent is gone.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"
#include "spec/state.hpp"

namespace myrt {

class SyncChannel;

struct SeccompProgram {
    std::vector<sock_filter> bpf;
    unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*, checked against the running kernel
    bool notify = false;     // SCMP_ACT_NOTIFY used: the listener fd goes to listenerPath
    size_t rules = 0;        // syscall rules of the profile in the filter (for the trace)
    std::string listener_path;
    std::string listener_metadata;
};

// Throws Error naming the offending field, e.g.
// `linux.seccomp.syscalls[3].action: unknown action "X"`. Syscall names unknown to
// libseccomp are skipped (logged at debug level), as runc does. Unless the default action
// allows, logs, traces or notifies (or is ENOSYS already), a syscall numbered above every
// one the profile names on its arch gets ENOSYS instead, so that programs fall back from a
// syscall newer than the profile (a BPF stub in front of libseccomp's program, as runc has).
SeccompProgram compile_seccomp(const spec::Seccomp& seccomp);

// What `features` reports (features-linux.md): the names compile_seccomp accepts, the
// architectures this libseccomp knows, and the flags this kernel takes.
struct SeccompFeatures {
    std::vector<std::string> actions, operators, archs, known_flags, supported_flags;
};
SeccompFeatures seccomp_features();

// Loads the filter into the calling process (seccomp(2), no libseccomp); returns the notify
// listener fd (close-on-exec) when program.notify, else -1. Throws Error on failure.
int load_seccomp(const SeccompProgram& program);

// Init side of SCMP_ACT_NOTIFY (see above): loads the filter with a listener and hands the
// listener to the runtime as a SyncType::seccomp_listener message on `sync`, keeping no copy.
// Every syscall init makes after the load may be notified: the message is sent by a helper
// process cloned beforehand (unfiltered, sharing init's descriptor table), which init tells
// the fd number through shared memory, without a syscall. Throws Error on failure.
void load_seccomp_notify(const SeccompProgram& program, const SyncChannel& sync);

// Runtime side of SCMP_ACT_NOTIFY: connects to program.listener_path and sends, on that one
// connection, the containerProcessState JSON (pid, listenerMetadata, `state`: the container
// state) with `listener` as its "seccompFd" (SCM_RIGHTS), then closes it.
void send_seccomp_listener(const SeccompProgram& program, int listener, pid_t pid,
                           const spec::State& state);

}  // namespace myrt
