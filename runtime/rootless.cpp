#include "runtime/rootless.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/signals.hpp"

namespace myrt {

std::string id_map_text(const std::vector<spec::IDMapping>& maps) {
    std::string text;
    for (const auto& m : maps)
        text += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " +
                std::to_string(m.size) + "\n";
    return text;
}

namespace {

// The kernel lets an unprivileged process map exactly its own id, once, and nothing more.
bool only_own_id(const std::vector<spec::IDMapping>& maps, uint32_t own) {
    return maps.size() == 1 && maps[0].size == 1 && maps[0].hostID == own;
}

void run_map_helper(const char* helper, pid_t pid, const std::vector<spec::IDMapping>& maps,
                    const char* field) {
    std::vector<std::string> args{helper, std::to_string(pid)};
    for (const auto& m : maps) {
        args.push_back(std::to_string(m.containerID));
        args.push_back(std::to_string(m.hostID));
        args.push_back(std::to_string(m.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno(std::string("fork ") + helper);
    if (child == 0) {
        // Its complaints are the user's best clue (e.g. no range in /etc/subuid): keep stderr.
        ::dup2(STDERR_FILENO, STDOUT_FILENO);
        reset_signals_for_exec();
        ::execvp(helper, argv.data());
        dprintf(STDERR_FILENO, "myrt: %s: %s\n", helper, errno_text(errno).c_str());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw Error(std::string("linux.") + field + ": mapping more than your own id needs " +
                    helper + " (package uidmap)");
    throw Error(std::string("linux.") + field + ": " + helper +
                " refused the mapping (check your ranges in /etc/sub" +
                (field[0] == 'u' ? "uid" : "gid") + ")");
}

void write_map(pid_t pid, const char* file, const char* field, const char* helper,
               const std::vector<spec::IDMapping>& maps, bool rootless, uint32_t own) {
    if (maps.empty()) return;
    if (rootless && !only_own_id(maps, own)) return run_map_helper(helper, pid, maps, field);
    std::string base = "/proc/" + std::to_string(pid) + "/";
    // Without CAP_SETGID in the parent namespace, gid_map is writable only once setgroups
    // is denied: the container then cannot drop or add supplementary groups.
    if (rootless && file[0] == 'g') write_file(base + "setgroups", "deny");
    try {
        write_file(base + file, id_map_text(maps));
    } catch (const Error& e) {
        throw Error(std::string("linux.") + field + ": write " + file + ": " +
                        errno_text(e.code()),
                    e.code());
    }
}

}  // namespace

bool resolve_rootless(const std::string& flag) {
    if (flag == "true") return true;
    if (flag == "false") return false;
    return ::geteuid() != 0;
}

bool resolve_rootless_cgroups(const std::string& flag) {
    if (flag == "true") return true;
    if (flag == "false") return false;
    return unprivileged_on_host();
}

void write_id_mappings(pid_t pid, const spec::Linux& linux, bool rootless) {
    log::Step step("id_mappings");
    step.field("uid_mappings", static_cast<long long>(linux.uidMappings.size()))
        .field("gid_mappings", static_cast<long long>(linux.gidMappings.size()))
        .field("helper", rootless);
    write_map(pid, "uid_map", "uidMappings", "newuidmap", linux.uidMappings, rootless,
              ::geteuid());
    write_map(pid, "gid_map", "gidMappings", "newgidmap", linux.gidMappings, rootless,
              ::getegid());
}

bool prepare_cgroup(Cgroup& cgroup, const std::optional<spec::Resources>& resources,
                    bool rootless) {
    log::Step step("cgroup.prepare");
    if (step)
        for (const auto& [controllers, path] : cgroup.paths())
            step.field(controllers.empty() ? "unified" : controllers, path);
    try {
        cgroup.create();
        if (resources) cgroup.apply(*resources);
        return true;
    } catch (const Error& e) {
        bool denied = e.code() == EACCES || e.code() == EPERM || e.code() == EROFS;
        if (!rootless || !denied) throw;
        try {
            cgroup.remove();
        } catch (const Error&) {
        }
        if (resources)
            log::warn("cgroups are not delegated to uid " + std::to_string(::geteuid()) +
                      ": linux.resources are not applied (" + e.what() + ")");
        else
            log::debug(std::string("no cgroup for this rootless container: ") + e.what());
        return false;
    }
}

}  // namespace myrt
