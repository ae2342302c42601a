// checkpoint and restore (runc's command lines): their options, and the checks made
// before CRIU is asked (runtime/criu.hpp drives CRIU).
#pragma once

#include <string>
#include <vector>

namespace myrt {

class ContainerDir;

struct CheckpointOptions {
    std::string image_path;   // default: ./checkpoint
    std::string work_path;
    std::string parent_path;  // relative to image_path (a pre-dump's images)
    bool leave_running = false, tcp_established = false, ext_unix_sk = false, shell_job = false;
    bool lazy_pages = false, file_locks = false, pre_dump = false, auto_dedup = false;
    int status_fd = -1;
    std::string page_server, manage_cgroups_mode;
    std::vector<std::string> empty_ns;
};

struct RestoreOptions {
    std::string image_path;  // default: ./checkpoint
    std::string work_path;
    std::string bundle = ".";
    bool detach = false;
    std::string pid_file;
    std::string console_socket;
    bool no_subreaper = false, no_pivot = false;
    bool tcp_established = false, ext_unix_sk = false, shell_job = false, file_locks = false;
    bool lazy_pages = false, auto_dedup = false;
    std::string manage_cgroups_mode;
    std::vector<std::string> empty_ns;
};

// --manage-cgroups-mode: "", soft, full, strict or ignore (runc's set).
void check_manage_cgroups_mode(const std::string& mode);

// Checks parent_path: relative, an existing directory
// under image_path. Errors name the flag ("--parent-path must be relative").
void prepare_checkpoint_paths(CheckpointOptions& o);

// For delete --force (under the container's lock): ends the CRIU of a checkpoint under way.
// CRIU traces the dumped tasks, which cannot finish dying until it lets go of them, and a
// lazy dump waits for its client for ever; the checkpoint then fails.
void stop_checkpoint(const ContainerDir& dir);

}  // namespace myrt
