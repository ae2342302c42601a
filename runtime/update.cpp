// `update`: new resource limits for a live container's cgroup.
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"

namespace myrt {

void Runtime::update(const std::string& id, const spec::Resources& resources) {
    ContainerDir dir = store_.open(id);
    spec::ContainerRecord r = dir.read();
    if (live_status(&dir, r) == "stopped") throw Error("cannot update a stopped container", ESRCH);
    auto cg = cgroup_from_record(r);
    if (!cg) throw Error("container has no cgroup to update (rootless without delegation?)");
    cg->update(resources);
}

}  // namespace myrt
