#include "runtime/namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>

#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

struct NsType {
    const char* type;
    const char* proc;
    int flag;
};

constexpr std::array<NsType, 8> kTypes{{
    {"user", "user", CLONE_NEWUSER},     {"pid", "pid", CLONE_NEWPID},
    {"network", "net", CLONE_NEWNET},    {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},        {"mount", "mnt", CLONE_NEWNS},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
}};

const NsType* find(std::string_view type) {
    for (const auto& t : kTypes)
        if (type == t.type) return &t;
    return nullptr;
}

}  // namespace

int namespace_flag(std::string_view type) {
    const NsType* t = find(type);
    return t ? t->flag : 0;
}

const char* namespace_proc_name(std::string_view type) {
    const NsType* t = find(type);
    return t ? t->proc : "";
}

bool NamespacePlan::has(std::string_view type) const {
    return std::find(types.begin(), types.end(), type) != types.end();
}

NamespacePlan plan_namespaces(const std::vector<spec::Namespace>& namespaces) {
    NamespacePlan plan;
    for (size_t i = 0; i < namespaces.size(); ++i) {
        const auto& ns = namespaces[i];
        const NsType* t = find(ns.type);
        std::string where = "linux.namespaces[" + std::to_string(i) + "]";
        if (!t) throw Error(where + ".type: unknown namespace type \"" + ns.type + "\"");
        plan.types.push_back(ns.type);
        if (ns.path && !ns.path->empty()) {
            UniqueFd fd(::open(ns.path->c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd) throw_errno(where + ".path \"" + *ns.path + "\"");
            int kind = ::ioctl(fd.get(), NS_GET_NSTYPE);
            if (kind < 0 || kind != t->flag)
                throw Error(where + ".path \"" + *ns.path + "\": not a " + ns.type +
                            " namespace");
            plan.join.emplace_back(ns.type, std::move(fd));
            continue;
        }
        if (t->flag == CLONE_NEWCGROUP) plan.new_cgroup = true;
        else if (t->flag == CLONE_NEWTIME) plan.new_time = true;
        else plan.clone_flags |= t->flag;
        if (t->flag == CLONE_NEWUSER) plan.new_user = true;
    }
    // A joined user namespace must be entered first: it owns the others.
    std::stable_sort(plan.join.begin(), plan.join.end(),
                     [](const auto& a, const auto& b) { return a.first == "user" && b.first != "user"; });
    return plan;
}

void join_namespace(const std::string& type, int fd) {
    log::Step step("namespace.join");
    step.field("type", type);
    if (::setns(fd, namespace_flag(type)) < 0) throw_errno("join " + type + " namespace");
}

}  // namespace myrt
