#include "runtime/fs/mount_source.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <signal.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/fs/mounts.hpp"
#include "runtime/proc.hpp"
#include "runtime/rootless.hpp"

namespace myrt {

namespace {

bool has_option(const spec::Mount& m, std::string_view name) {
    for (const auto& o : m.options)
        if (o == name) return true;
    return false;
}

// A child parked in a user namespace of its own until that namespace is opened: the
// mount's own uidMappings/gidMappings need a namespace that has exactly them.
class ParkedChild {
public:
    ParkedChild() {
        int ready[2], hold[2];
        if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("pipe");
        UniqueFd ready_rd(ready[0]), ready_wr(ready[1]);
        if (::pipe2(hold, O_CLOEXEC) < 0) throw_errno("pipe");
        UniqueFd hold_rd(hold[0]);
        hold_.reset(hold[1]);
        pid_ = ::fork();
        if (pid_ < 0) throw_errno("fork for an idmapping's user namespace");
        if (pid_ == 0) park(ready_wr.get(), hold_rd.get());
        ready_wr.reset();
        char c;
        ssize_t n;
        while ((n = ::read(ready_rd.get(), &c, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) {
            reap();  // a throwing constructor runs no destructor: end the child here
            throw Error("create a user namespace for a mount's mappings");
        }
    }
    ~ParkedChild() { reap(); }
    ParkedChild(const ParkedChild&) = delete;
    ParkedChild& operator=(const ParkedChild&) = delete;
    pid_t pid() const { return pid_; }

private:
    void reap() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }
    // In the child: only async-signal-safe calls; it waits until the parent is done.
    [[noreturn]] static void park(int ready, int hold) {
        char c;
        if (::unshare(CLONE_NEWUSER) < 0 || ::write(ready, "r", 1) != 1) ::_exit(1);
        while (::read(hold, &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    pid_t pid_ = -1;
    UniqueFd hold_;
};

// The user namespace whose maps are the mount's own.
UniqueFd userns_with(const spec::Mount& m, const std::string& what) {
    ParkedChild child;
    std::string base = "/proc/" + std::to_string(child.pid()) + "/";
    try {
        write_file(base + "uid_map", id_map_text(m.uidMappings));
        write_file(base + "gid_map", id_map_text(m.gidMappings));
    } catch (const Error& e) {
        throw Error(what + ": uidMappings/gidMappings: " + errno_text(e.code()), e.code());
    }
    UniqueFd ns(::open((base + "ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno(what + ": open the mappings' user namespace");
    return ns;
}

void set_idmap(int tree, const spec::Mount& m, pid_t init, const std::string& what) {
    UniqueFd ns;
    if (!m.uidMappings.empty()) {
        ns = userns_with(m, what);
    } else {
        ns.reset(::open(("/proc/" + std::to_string(init) + "/ns/user").c_str(),
                        O_RDONLY | O_CLOEXEC));
        if (!ns) throw_errno(what + ": open the container's user namespace");
    }
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(ns.get());
    unsigned int flags = AT_EMPTY_PATH | (has_option(m, "ridmap") ? AT_RECURSIVE : 0);
    if (::syscall(SYS_mount_setattr, tree, "", flags, &attr, sizeof attr) < 0)
        throw_errno(what + ": idmap the mount" +
                    (errno == EINVAL ? " (does the source's filesystem support idmapped mounts?)"
                                     : ""));
}

}  // namespace

bool is_idmapped(const spec::Mount& m) {
    return !m.uidMappings.empty() || !m.gidMappings.empty() || has_option(m, "idmap") ||
           has_option(m, "ridmap");
}

void check_idmapped_mounts(const spec::Config& config, bool has_userns, bool rootless) {
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        const auto& m = config.mounts[i];
        if (!is_idmapped(m)) continue;
        std::string what = mount_what(m, i);
        MountOptions o = parse_mount_options(m.options);
        if (!o.bind && m.type.value_or("") != "bind")
            throw Error(what + ": idmap: only bind mounts can be idmapped here", EINVAL);
        if (m.uidMappings.empty() && !has_userns)
            throw Error(what + ": idmap without uidMappings/gidMappings needs a user namespace "
                               "(its mappings are used)", EINVAL);
        if (rootless)
            throw Error(what + ": idmapped mounts need a rootful runtime", EPERM);
    }
}

UniqueFd open_bind_source(const spec::Mount& m, size_t index, const std::string& bundle,
                          pid_t init) {
    std::string what = mount_what(m, index);
    MountOptions o = parse_mount_options(m.options);
    std::string source = bind_source(bundle, m.source.value_or(""));
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o.recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags)));
    if (!tree) throw_errno(what + ": bind \"" + source + "\"");
    if (is_idmapped(m)) set_idmap(tree.get(), m, init, what);
    set_attrs(tree.get(), o.attr, false, what);
    set_attrs(tree.get(), o.rattr, true, what);
    return tree;
}

}  // namespace myrt
