#include "runtime/security/lsm.hpp"

#include <unistd.h>

#include "runtime/error.hpp"
#include "runtime/proc.hpp"

namespace myrt {

namespace {

void refuse(const std::string& field, const std::string& value, bool host_has, const char* lsm) {
    std::string why = host_has ? std::string(lsm) + " labels are not applied by this build yet"
                               : std::string(lsm) + " is not enabled on this host";
    throw Error(field + " \"" + value + "\": " + why + " (refusing to run the container "
                "unconfined)", ENOTSUP);
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

void refuse_lsm_labels(const spec::Process& p, const std::string& where) {
    if (p.apparmorProfile && !p.apparmorProfile->empty())
        refuse(where + "apparmorProfile", *p.apparmorProfile, apparmor_enabled(), "AppArmor");
    if (p.selinuxLabel && !p.selinuxLabel->empty())
        refuse(where + "selinuxLabel", *p.selinuxLabel, selinux_enabled(), "SELinux");
}

void refuse_mount_label(const std::optional<std::string>& mount_label) {
    if (mount_label && !mount_label->empty())
        refuse("linux.mountLabel", *mount_label, selinux_enabled(), "SELinux");
}

}  // namespace myrt
