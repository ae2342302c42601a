#include "runtime/features.hpp"

#include <initializer_list>
#include <vector>

#include "runtime/capabilities.hpp"
#include "runtime/container.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

void array(std::string& out, const char* key, const std::vector<std::string>& values) {
    out += "\"";
    out += key;
    out += "\":[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        log::append_json_string(out, values[i]);
    }
    out += "]";
}

const std::vector<std::string> kMountOptions{
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "mand",
    "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime",
    "nosuid", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
    "runbindable", "rw", "shared", "slave", "strictatime", "suid", "sync", "tmpcopyup",
    "unbindable"};

const std::vector<std::string> kSeccompActions{
    "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};

const std::vector<std::string> kSeccompOperators{
    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};

const std::vector<std::string> kSeccompArchs{
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"};

const std::vector<std::string> kSeccompFlags{
    "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"};

}  // namespace

std::string features_json() {
    std::string out = "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"";
    out += kOciVersion;
    out += "\",";
    array(out, "hooks", {"prestart", "createRuntime", "createContainer", "startContainer",
                         "poststart", "poststop"});
    out += ",";
    array(out, "mountOptions", kMountOptions);
    out += ",\"linux\":{";
    array(out, "namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"});
    out += ",";
    array(out, "capabilities", known_capabilities());
    out += ",\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,\"systemdUser\":false,"
           "\"rdma\":true},\"seccomp\":{\"enabled\":true,";
    array(out, "actions", kSeccompActions);
    out += ",";
    array(out, "operators", kSeccompOperators);
    out += ",";
    array(out, "archs", kSeccompArchs);
    out += ",";
    array(out, "knownFlags", kSeccompFlags);
    out += ",";
    array(out, "supportedFlags", kSeccompFlags);
    out += "},\"apparmor\":{\"enabled\":false},\"selinux\":{\"enabled\":false},"
           "\"intelRdt\":{\"enabled\":false},"
           "\"mountExtensions\":{\"idmap\":{\"enabled\":false}}},"
           "\"annotations\":{\"run.myrt.version\":\"" MYRT_VERSION "\"}}";
    return out;
}

}  // namespace myrt
