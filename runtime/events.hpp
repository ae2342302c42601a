// `events`: a container's cgroup statistics and OOM kills as JSON lines in runc's shape,
// written by spec/events.
#pragma once

#include "spec/events.hpp"

namespace myrt {

using spec::event_json;
using spec::stats_event_json;

}  // namespace myrt
