// CRIU through its command line (`criu dump`, `pre-dump`, `restore`). Debian 12 ships criu
// but no libcriu-dev; the command line does everything checkpoint and restore need here
// except handing a restored terminal's master back (runc's orphan-pts-master is RPC only).
//
// What the container's config means to CRIU is built here as plain argument vectors, so that
// the flag -> option mapping is testable without CRIU (test/unit/test_criu.cpp).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/checkpoint.hpp"
#include "spec/config.hpp"

namespace myrt {

// The criu binary in PATH; "" when there is none.
std::string find_criu();

// Throws the one-line error for a command that needs CRIU when there is none.
void require_criu(const char* command);

// Mounts CRIU must treat as external: key = the destination inside the container, value =
// on dump the same key (a cookie), on restore what to bind there from the host.
struct ExternalMount {
    std::string key, value;
};

struct MountSide {
    bool restore = false;
    std::string cgroup_dir;  // the container's v2 cgroup directory on the host ("" when none)
    // dump: whether a masked path is a file in the container (bound from /dev/null)
    std::function<bool(const std::string&)> masked_file;
};

// Bind mounts, masked files, devices and a cgroup mount without a cgroup namespace (a bind
// of the host's cgroup), as runc passes them to CRIU.
std::vector<ExternalMount> external_mounts(const spec::Config& config, const std::string& bundle,
                                           const MountSide& side);

// Namespaces given by path in the config that CRIU keeps out of the image: network and pid
// ("net[INODE]:extRootNetNS"); restore passes an open fd of the same path instead.
struct ExternalNamespace {
    std::string criu_name;  // net, pid
    std::string path;       // from the config
    std::string key;        // extRootNetNS, extRootPidNS
};
std::vector<ExternalNamespace> external_namespaces(const spec::Config& config);

// --empty-ns takes runc's names ("network"); CRIU knows only the network one ("net").
std::vector<std::string> criu_empty_ns(const std::vector<std::string>& names);

struct DumpTarget {
    pid_t pid = 0;
    std::string rootfs;         // --root
    std::string freeze_cgroup;  // the freezer (v1) or the cgroup (v2) directory
    std::vector<ExternalMount> mounts;
    std::vector<std::string> externals;  // "net[4026531992]:extRootNetNS"
};

// `criu dump|pre-dump ...` for `myrt checkpoint` with o's flags.
std::vector<std::string> criu_dump_args(const CheckpointOptions& o, const DumpTarget& t);

struct RestoreTarget {
    std::string root;      // the rootfs, bound at a mount point of its own
    std::string pid_file;  // absolute
    std::vector<std::string> cgroup_roots;  // "[controller:]/path"
    std::vector<ExternalMount> mounts;
    std::vector<std::string> inherit_fds;  // "fd[1]:pipe:[1234]"
};

// `criu restore ...` for `myrt restore` with o's flags.
std::vector<std::string> criu_restore_args(const RestoreOptions& o, const RestoreTarget& t);

// What descriptors.json (runc's name and format) keeps: what the container's stdin, stdout
// and stderr were ("pipe:[1234]", "/dev/null"). Restore hands CRIU its own stdio for pipes.
std::string descriptors_json(pid_t pid);
std::vector<std::string> parse_descriptors(const std::string& json, const std::string& path);
std::vector<std::string> inherit_stdio(const std::vector<std::string>& descriptors);

// What restore does around the criu process: in_parent (given its pid) runs first, while
// the child waits (a systemd scope started with it); then in_child, in the child before
// exec (joining a cgroup, say), which may add arguments.
struct CriuHooks {
    std::function<void(pid_t)> in_parent;
    std::function<void(std::vector<std::string>&)> in_child;
};

// Runs criu with args (argv[0] is added). Fails with one line naming what and CRIU's first
// error from log.
void run_criu(std::vector<std::string> args, const std::string& what, const std::string& log,
              const CriuHooks& hooks = {});

// The first "Error" line of a CRIU log, its timestamp and source location dropped.
std::string criu_log_error(const std::string& log_text);

}  // namespace myrt
