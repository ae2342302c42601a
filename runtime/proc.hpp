// Facts about host processes read from /proc, and signal names.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace myrt {

struct ProcStat {
    char state = 0;           // R S D Z T ...; 0 when the process does not exist
    uint64_t start_time = 0;  // clock ticks after boot (field 22)
};

ProcStat read_proc_stat(pid_t pid);

// True when pid is alive (not a zombie) and is the same process that started at start_time.
bool process_alive(pid_t pid, uint64_t start_time);

// The inode of pid's pid namespace; 0 when the process is gone.
uint64_t pid_namespace_of(pid_t pid);
// 1 when pid lives in the pid namespace `ns` or one nested in it (as a sandbox in the
// container makes), 0 when not, -1 when pid's namespace cannot be read (not dumpable).
int pid_within_namespace(pid_t pid, uint64_t ns);

// pid's cgroups from /proc/PID/cgroup: {controllers, path} a line ("" for the v2
// hierarchy, "cpu,cpuacct", "name=systemd"). Throws Error when it cannot be read.
struct ProcCgroup {
    std::string controllers, path;
};
std::vector<ProcCgroup> read_proc_cgroup(pid_t pid);

// "TERM", "SIGTERM", "term", "15" -> 15. Throws Error("unknown signal \"X\"").
int parse_signal(std::string_view name);

// Reads a whole small file; throws Error on failure.
std::string read_file(const std::string& path);
// Writes atomically: <path>.tmp then rename, so readers never see half a file.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// write_file_atomic() of `name` in the directory `dirfd`, never following a symlink;
// errors name `shown`.
void write_file_atomic_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
                          const std::string& shown);
// A file that must not exist yet, written in place (no temporary, no rename: on ext4 a
// rename is a journalled metadata update of its own). Only for a file nobody reads until
// something written after it says it is complete; fails with EEXIST when it is there.
void write_new_file_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
                       const std::string& shown);
// A regular file of at most `limit` bytes in the directory `dirfd` (no symlink followed, a
// FIFO or device refused without blocking); errors name `shown`.
std::string read_file_at(int dirfd, const std::string& name, const std::string& shown,
                         size_t limit);
// Everything fd gives until EOF (a pipe from a helper program), retried on EINTR.
std::string read_fd_to_end(int fd);

// Writes a small file in place (e.g. /proc and cgroup knobs); throws Error naming the path.
void write_file(const std::string& path, std::string_view data);

// True in a user namespace other than the initial one (/proc/self/uid_map is not the
// identity over all ids): e.g. where rootless podman runs the runtime, as its uid 0.
bool in_user_namespace();
// Whether our effective uid is, seen from the host, not root: an ordinary user, or root
// of a user namespace that maps uid 0 to an ordinary user's id (rootless podman's). Such a
// caller can write neither /run nor the host's cgroups.
bool unprivileged_on_host();
// The uid that files of ids without a mapping in our user namespace show (65534 unless
// /proc/sys/kernel/overflowuid says otherwise).
uid_t overflow_uid();

}  // namespace myrt
