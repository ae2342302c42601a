// Namespace types of the spec, their clone flags, and joining an existing one by path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt {

// "network" -> CLONE_NEWNET; 0 for an unknown type.
int namespace_flag(std::string_view type);
// "network" -> "net" (the name under /proc/<pid>/ns/).
const char* namespace_proc_name(std::string_view type);

struct NamespacePlan {
    int clone_flags = 0;        // created by clone(): user, mount, uts, ipc, net, pid
    bool new_cgroup = false;    // unshared by init after joining its cgroup
    bool new_time = false;      // unshared by init, offsets written, then entered
    bool new_user = false;
    // Namespaces to join, opened (and type-checked) by the runtime before clone.
    std::vector<std::pair<std::string, UniqueFd>> join;  // type, fd; user first
    bool has(std::string_view type) const;
    std::vector<std::string> types;  // every namespace the container has
};

NamespacePlan plan_namespaces(const std::vector<spec::Namespace>& namespaces);

// Joins one namespace (setns) and names it in the error.
void join_namespace(const std::string& type, int fd);

}  // namespace myrt
