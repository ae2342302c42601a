// Factories of the two drivers; only cgroup.cpp chooses between them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "runtime/cgroup/cgroup.hpp"

namespace myrt {

std::unique_ptr<Cgroup> make_cgroup_v1(const std::string& path);
std::unique_ptr<Cgroup> reopen_cgroup_v1(const std::map<std::string, std::string>& paths,
                                         const std::vector<std::string>& owned);
std::unique_ptr<Cgroup> make_cgroup_v2(const std::string& path);
std::unique_ptr<Cgroup> reopen_cgroup_v2(const std::string& dir, bool owned);

}  // namespace myrt
