#include "runtime/security/lsm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/proc.hpp"

namespace myrt {

namespace {

[[noreturn]] void refuse(const std::string& field, const std::string& value, const char* lsm) {
    throw Error(field + " \"" + value + "\": " + lsm + " is not enabled on this host (refusing "
                "to run the container unconfined)", ENOTSUP);
}

bool set(const std::optional<std::string>& label) { return label && !label->empty(); }

// Writes a task attribute of this thread: it only ever applies to the writer, so
// /proc/thread-self (not /proc/self, which is the thread group leader's).
void write_attr(const std::string& attr, const std::string& value, const std::string& why) {
    std::string path = "/proc/thread-self/attr/" + attr;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno(why + ": open " + path);
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0) throw_errno(why + ": write " + path);
    if (static_cast<size_t>(n) != value.size()) throw Error(why + ": write " + path + ": short write", EIO);
}

}  // namespace

bool apparmor_enabled() {
    try {
        return read_file("/sys/module/apparmor/parameters/enabled").starts_with("Y");
    } catch (const Error&) {
        return false;
    }
}

bool selinux_enabled() { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }

void check_lsm_labels(const spec::Process& p, const std::string& where) {
    if (set(p.apparmorProfile) && !apparmor_enabled())
        refuse(where + "apparmorProfile", *p.apparmorProfile, "AppArmor");
    if (set(p.selinuxLabel) && !selinux_enabled())
        refuse(where + "selinuxLabel", *p.selinuxLabel, "SELinux");
}

void check_mount_label(const std::optional<std::string>& mount_label) {
    if (set(mount_label) && !selinux_enabled()) refuse("linux.mountLabel", *mount_label, "SELinux");
}

void set_exec_labels(const spec::Process& p, const std::string& where) {
    // As runc: "exec NAME" to AppArmor's own attribute (kernels with LSM stacking), else
    // the shared one. The kernel looks the profile up now: ENOENT when it is not loaded.
    // "unconfined" is written like any other name (runc does the same): from an
    // unconfined task it is allowed and changes nothing.
    if (set(p.apparmorProfile)) {
        bool own = ::access("/proc/thread-self/attr/apparmor/exec", F_OK) == 0;
        write_attr(own ? "apparmor/exec" : "exec", "exec " + *p.apparmorProfile,
                   where + "apparmorProfile \"" + *p.apparmorProfile +
                       "\": apparmor failed to apply profile");
    }
    if (set(p.selinuxLabel))
        write_attr("exec", *p.selinuxLabel,
                   where + "selinuxLabel \"" + *p.selinuxLabel + "\": can't set process label");
}

void set_keyring_label(const spec::Process& p) {
    if (set(p.selinuxLabel))
        write_attr("keycreate", *p.selinuxLabel,
                   "process.selinuxLabel \"" + *p.selinuxLabel + "\": set the keyring label");
}

std::string with_mount_label(const std::string& data, const std::string& label) {
    if (label.empty()) return data;
    return (data.empty() ? "" : data + ",") + "context=\"" + label + "\"";
}

}  // namespace myrt
