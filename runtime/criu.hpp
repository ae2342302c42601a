// CRIU, as checkpoint and restore use it: through its RPC (`criu swrk`, runtime/criu_rpc.hpp;
// Debian 12 ships criu but no libcriu-dev), because only there does CRIU wait at its steps
// for the runtime (prestart hooks run between its namespaces and the process resuming) and
// take a terminal whose master is outside the container (orphan-pts-master), as runc uses it.
//
// What the container's config means to CRIU is built here as plain values (the RPC
// options), so the flag -> option mapping is testable without CRIU (test/unit/test_criu.cpp).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/checkpoint.hpp"
#include "runtime/criu_rpc.hpp"
#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt {

// runc's --criu: the criu to run, a name looked up in PATH or a path ("criu" by default).
void use_criu(const std::string& name_or_path);
// The criu binary (see use_criu); "" when there is none.
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
    // a destination as the container sees it (symlinks of the rootfs resolved): CRIU names a
    // mount by its real mount point
    std::function<std::string(const std::string&)> resolve;
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

// The CRIU configuration file of a container, as runc chooses it: the annotation
// org.criu.config (empty: none), else /etc/criu/runc.conf (CRIU ignores a missing file).
std::string criu_config_file(const spec::Config& config);

// --empty-ns takes runc's names ("network"); CRIU knows only the network one ("net").
std::vector<std::string> criu_empty_ns(const std::vector<std::string>& names);

struct DumpTarget {
    pid_t pid = 0;
    std::string rootfs;  // the container's root
    int images_dir_fd = -1, work_dir_fd = -1;
    std::string freeze_cgroup;  // the freezer (v1) or the cgroup (v2) directory
    std::vector<ExternalMount> mounts;
    std::vector<std::string> externals;  // "net[4026531992]:extRootNetNS"
};

// The RPC options of `myrt checkpoint` with o's flags (a page server's address checked).
criu_rpc::Opts criu_dump_opts(const CheckpointOptions& o, const DumpTarget& t);

struct RestoreTarget {
    std::string root;  // where CRIU's mount namespace binds the rootfs (a mount point of its own)
    int images_dir_fd = -1, work_dir_fd = -1;
    std::vector<ExternalMount> mounts;
    std::vector<criu_rpc::InheritFd> inherit_fds;  // {"pipe:[1234]", 1}
};

// The RPC options of `myrt restore` with o's flags.
criu_rpc::Opts criu_restore_opts(const RestoreOptions& o, const RestoreTarget& t);

// What descriptors.json (runc's name and format) keeps: what the container's stdin, stdout
// and stderr were ("pipe:[1234]", "/dev/null"). Restore hands CRIU its own stdio for pipes.
std::string descriptors_json(pid_t pid);
std::vector<std::string> parse_descriptors(const std::string& json, const std::string& path);
std::vector<criu_rpc::InheritFd> inherit_stdio(const std::vector<std::string>& descriptors);

// One request to `criu swrk`.
struct SwrkRun {
    criu_rpc::ReqType type = criu_rpc::kDump;
    criu_rpc::Opts opts;
    // Opened again, in CRIU's mount namespace, at opts' images_dir_fd and work_dir_fd.
    std::string images_dir, work_dir;  // absolute
    // Restore: bound at opts.root in a mount namespace of CRIU's own, gone with it.
    std::string rootfs;
    // Runs while CRIU waits to start (given its pid): joins it to the container's cgroup and
    // may add to opts (the cgroup roots).
    std::function<void(pid_t criu, criu_rpc::Opts&)> before;
    // A notification: its script ("setup-namespaces", "orphan-pts-master"...), the pid it
    // names, the descriptor that came with it (or none). Throwing makes CRIU abandon the
    // request (a restore kills what it restored); the exception is then the request's.
    std::function<void(const std::string& script, pid_t pid, UniqueFd fd)> notify;
};

// Runs r; returns CRIU's successful answer (a restore's names the restored init, a child of
// the caller: rst_sibling). Fails with one line naming what: CRIU's message, or its log's
// first error.
criu_rpc::Response criu_swrk(SwrkRun& r, const std::string& what, const std::string& log);

// The first "Error" line of a CRIU log, its timestamp and source location dropped.
std::string criu_log_error(const std::string& log_text);

}  // namespace myrt
