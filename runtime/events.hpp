// `events`: a container's cgroup statistics and OOM kills as JSON lines in runc's shape
// ({"type":"stats","id":ID,"data":{...}}, {"type":"oom","id":ID}).
#pragma once

#include <string>

#include "runtime/cgroup/cgroup.hpp"

namespace myrt {

std::string stats_event_json(const std::string& id, const CgroupStats& stats);
// An event without data: {"type":TYPE,"id":ID}
std::string event_json(const std::string& type, const std::string& id);

}  // namespace myrt
