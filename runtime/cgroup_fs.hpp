// Small helpers shared by the cgroup drivers.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace myrt::cgroupfs {

std::string read_trimmed(const std::string& path);
void write(const std::string& dir, std::string_view file, std::string_view value);
// mkdir -p below `mount_root`, calling on_new(dir) for every directory it makes, top down.
template <typename F>
void make_path(const std::string& mount_root, const std::string& rel, F on_new);
std::vector<pid_t> read_pids(const std::string& dir);
// rmdir that waits (briefly) for exiting processes to leave; kills them first when asked.
void remove_dir(const std::string& dir, bool kill_remaining);

}  // namespace myrt::cgroupfs

#include <sys/stat.h>

#include "runtime/error.hpp"

namespace myrt::cgroupfs {

template <typename F>
void make_path(const std::string& mount_root, const std::string& rel, F on_new) {
    std::string dir = mount_root;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos);
        if (next == std::string::npos) next = rel.size();
        if (next > pos) {
            dir += "/";
            dir.append(rel, pos, next - pos);
            if (::mkdir(dir.c_str(), 0755) == 0)
                on_new(dir);
            else if (errno != EEXIST)
                throw_errno("create cgroup " + dir);
        }
        pos = next + 1;
    }
}

}  // namespace myrt::cgroupfs
