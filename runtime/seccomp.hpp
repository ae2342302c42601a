// linux.seccomp: compiled to BPF by the runtime before the container is cloned (libseccomp
// never runs inside the container), loaded by init as the very last step before exec.
#pragma once

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace myrt {

struct SeccompProgram {
    std::vector<sock_filter> bpf;
    unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*
    bool notify = false;     // has SCMP_ACT_NOTIFY rules: the listener fd goes to listenerPath
    std::string listener_path;
    std::string listener_metadata;
};

// Throws Error naming the offending field (e.g. an unknown action or architecture).
SeccompProgram compile_seccomp(const spec::Seccomp& seccomp);

// Loads the filter into the calling process; returns the notify listener fd or -1.
int load_seccomp(const SeccompProgram& program);

}  // namespace myrt
