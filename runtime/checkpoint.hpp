// checkpoint (runc's command line): what is checked before CRIU is asked. The dump itself
// (CRIU) is not there yet: the command says so after the checks, without touching the
// container.
#pragma once

#include <string>
#include <vector>

namespace myrt {

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

// Checks parent_path: relative, an existing directory
// under image_path. Errors name the flag ("--parent-path must be relative").
void prepare_checkpoint_paths(CheckpointOptions& o);

}  // namespace myrt
