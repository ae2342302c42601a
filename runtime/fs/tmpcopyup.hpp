// "tmpcopyup" (config.md, MAY): a tmpfs mounted over a directory of the rootfs starts with a
// copy of what that directory held, as crun does.
#pragma once

#include <string>

namespace myrt {

// Copies the tree under the directory `src` into the directory `dst` (both descriptors):
// regular files, directories, symlinks (never followed: the image chooses them), fifos and
// device nodes, with their mode, owner and modification time.
void copy_up(int src, int dst, const std::string& what);

}  // namespace myrt
