// The runtime library's entry points: one method per lifecycle operation. It knows nothing
// of the command line; cmd/ parses flags and calls these.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/bundle.hpp"
#include "runtime/checkpoint.hpp"
#include "runtime/state_store.hpp"
#include "spec/config.hpp"
#include "spec/state.hpp"

namespace myrt {

inline constexpr const char* kOciVersion = "1.3.0";

struct RuntimeOptions {
    std::string root = "/run/myrt";
    bool systemd_cgroup = false;
    bool rootless = false;
    // Cgroups as an unprivileged caller: made only where delegated, with --systemd-cgroup
    // through the user's own systemd (user bus). Also for root of a user namespace that
    // an ordinary user made (rootless podman's), which `rootless` is not.
    bool rootless_cgroups = false;
    // The caller's $NOTIFY_SOCKET: the container's READY=1 is relayed there (notify_socket.hpp).
    std::string notify_socket;
};

struct CreateOptions {
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    int console_fd = -1;  // instead of console_socket: an already connected socket (run)
    // Socket-activation fds (LISTEN_FDS, from 3) passed on before the preserved ones; the
    // process gets LISTEN_FDS=n and LISTEN_PID=1.
    int listen_fds = 0;
    std::string listen_fdnames;  // LISTEN_FDNAMES, passed on as it is
};

struct ExecOptions {
    std::string process_file;  // a process JSON (runtime-spec "process") replacing the rest
    std::string apparmor, process_label;  // --apparmor, --process-label
    bool tty = false;
    std::string console_socket;
    bool detach = false;
    std::string pid_file;
    std::string cwd;
    std::vector<std::string> env;
    std::string user;  // UID[:GID]
    std::vector<std::string> caps;
    std::vector<uint32_t> additional_gids;  // -g, added to the process's supplementary groups
    std::vector<std::string> cgroups;       // --cgroup [CONTROLLER:]SUB, a sub-cgroup to join
    bool no_new_privs = false;
    int preserve_fds = 0;
    bool ignore_paused = false;
    std::vector<std::string> args;
};

struct ContainerInfo {
    spec::ContainerRecord record;  // record.state.status is the live status
    std::string problem;           // why state.json could not be read (status "unknown")
};

class Runtime {
public:
    explicit Runtime(RuntimeOptions options);

    // Sets the container up and leaves init waiting for start. Returns init's pid; init is a
    // child of the calling process (which `run` waits for).
    pid_t create(const std::string& id, const CreateOptions& options);
    void start(const std::string& id);
    spec::State state(const std::string& id);
    void kill(const std::string& id, int signal, bool all);
    void remove(const std::string& id, bool force);
    // create + start; unless detached waits, forwarding signals, deletes the container and
    // returns its exit status (128+n when killed by signal n).
    // keep: a container that ran is left stopped (state, cgroup) for `delete`.
    int run(const std::string& id, const CreateOptions& options, bool detach, bool keep = false);
    // Runs a process inside a running container; unless detached, waits and returns its
    // exit status.
    int exec(const std::string& id, const ExecOptions& options);
    std::vector<ContainerInfo> list();
    std::vector<pid_t> pids(const std::string& id);
    // CRIU dump of a running or paused container (runtime/checkpoint.cpp). Unless it is left
    // running (or this is a pre-dump) the container is then destroyed, as runc does.
    void checkpoint(const std::string& id, CheckpointOptions options);
    // A new container `id` from a checkpoint and a bundle; unless detached, waits and
    // returns its exit status, then deletes it (as run does).
    int restore(const std::string& id, RestoreOptions options);
    void pause(const std::string& id);
    void resume(const std::string& id);
    // New limits for the cgroup of a created, running or paused container (runtime/update.cpp).
    void update(const std::string& id, const spec::Resources& resources);
    // Cgroup statistics as JSON events (runtime/events.cpp): one stats event and return
    // with stats_only; else a stats event every interval_ms plus an oom event per OOM
    // kill, until the container stops.
    void events(const std::string& id, bool stats_only, int interval_ms,
                const std::function<void(const std::string&)>& emit);

private:
    // create's checks of its arguments, then the bundle: what run looks at before it chooses.
    Bundle prepare_create(const std::string& id, const CreateOptions& options) const;
    pid_t create_from(const std::string& id, const CreateOptions& options, Bundle b);
    int run_with_terminal(const std::string& id, CreateOptions options, Bundle b, bool keep);
    // runtime.md, lifecycle step 9: a failing poststart hook stops the container.
    void run_poststart(const ContainerDir& dir, const spec::ContainerRecord& r);
    std::string live_status(const ContainerDir* dir, const spec::ContainerRecord& record) const;
    void destroy(ContainerDir& dir, const spec::ContainerRecord& record, bool kill_first);
    // checkpoint's lock taken again after the dump: the container's, if it is still the one
    // dumped (the same init); nothing if it was deleted (or replaced) meanwhile.
    std::optional<ContainerDir> relock_dumped(const std::string& id, const spec::ContainerRecord& dumped);
    // restore's part after the id is taken: CRIU, then the record.
    pid_t restore_into(ContainerDir& dir, const std::string& id, const RestoreOptions& options);

    RuntimeOptions options_;
    StateStore store_;
};

}  // namespace myrt
