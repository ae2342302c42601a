#include "runtime/checkpoint.hpp"

#include <sys/stat.h>

#include "runtime/error.hpp"

namespace myrt {

void prepare_checkpoint_paths(CheckpointOptions& o) {
    // Not made while the dump itself is missing: a refused checkpoint leaves nothing.
    if (o.image_path.empty()) o.image_path = "checkpoint";
    if (o.manage_cgroups_mode != "" && o.manage_cgroups_mode != "soft" &&
        o.manage_cgroups_mode != "full" && o.manage_cgroups_mode != "strict")
        throw Error("--manage-cgroups-mode \"" + o.manage_cgroups_mode + "\": expected soft, full or strict", EINVAL);
    if (o.parent_path.empty()) return;
    if (o.parent_path[0] == '/') throw Error("--parent-path must be relative (to --image-path)", EINVAL);
    std::string real = o.image_path + "/" + o.parent_path;
    struct stat st {};
    if (::stat(real.c_str(), &st) < 0) throw_errno("invalid --parent-path \"" + real + "\"");
    if (!S_ISDIR(st.st_mode)) throw Error("invalid --parent-path \"" + real + "\": not a directory", ENOTDIR);
}

}  // namespace myrt
