#include "runtime/seccomp.hpp"

#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

SeccompProgram compile_seccomp(const spec::Seccomp&) {
    log::warn("linux.seccomp is not supported by this build yet; the container runs without it");
    return {};
}

int load_seccomp(const SeccompProgram&) { return -1; }

}  // namespace myrt
