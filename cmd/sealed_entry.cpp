// myrt's entry point, before the C library starts: create, run and exec re-execute myrt
// from a read-only view of itself (runtime/security/sealed_exe.cpp says why) here, so that
// the process that is replaced never runs the C library's start-up. That start-up costs a
// quarter of a millisecond on a virtual machine (glibc asks CPUID for every cache level,
// and each CPUID is a trap to the hypervisor), a third of what the re-execution cost.
//
// The rules of this file: it runs before a static PIE is relocated and before thread-local
// storage exists. So no library calls (the compiler's own memset/memcpy included: see the
// flags in cmd/meson.build), no stack protector, no data holding pointers, only code and
// constants reached relative to the instruction pointer, and system calls made directly.
// Whatever it cannot do it leaves to main(), which makes the same decision again
// (myrt::reexec_sealed): this is only the fast path, never the only guard.
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "cmd/global_options.hpp"
#include "runtime/security/sealed_exe.hpp"

namespace {

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
    long ret;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                 : "rcx", "r11", "memory");
    return ret;
}

bool starts_with(const char* s, const char* prefix) {
    while (*prefix && *s == *prefix) ++s, ++prefix;
    return !*prefix;
}

// As command_name() in main.cpp: the first argument that is neither a global flag nor the
// value of one.
bool command_needs_sealed_exe(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (a[0] != '-') return myrt::cmd::command_runs_sealed(a);
        if (myrt::cmd::global_takes_value(a)) ++i;
    }
    return false;
}

constexpr long kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// As sealed() in sealed_exe.cpp: on a read-only mount, or a sealed memfd.
bool sealed(int fd) {
    struct statfs st;
    if (sys(SYS_fstatfs, fd, reinterpret_cast<long>(&st)) == 0 && (st.f_flags & ST_RDONLY))
        return true;
    long seals = sys(SYS_fcntl, fd, F_GET_SEALS);
    return seals >= 0 && (seals & kSeals) == kSeals;
}

// As read_only_view() in sealed_exe.cpp; -1 when it cannot be made (main() then copies).
int read_only_view(int self) {
    long tree = sys(SYS_open_tree, self, reinterpret_cast<long>(""),
                    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) return -1;
    mount_attr attr;
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    attr.attr_clr = 0;
    attr.propagation = 0;
    attr.userns_fd = 0;
    if (sys(SYS_mount_setattr, tree, reinterpret_cast<long>(""), AT_EMPTY_PATH,
            reinterpret_cast<long>(&attr), sizeof attr) < 0) {
        sys(SYS_close, tree);
        return -1;
    }
    return static_cast<int>(tree);
}

constexpr int kMaxEnv = 2048;
constexpr char kEnvPrefix[] = "_MYRT_ORIGINAL_EXE=";
constexpr bool env_prefix_is_name() {
    const char* n = myrt::kOriginalExeEnv;
    const char* p = kEnvPrefix;
    while (*n && *n == *p) ++n, ++p;
    return !*n && p[0] == '=' && !p[1];
}
static_assert(env_prefix_is_name());

// The environment with kOriginalExeEnv set to where myrt was run from (a caller's value
// never counts), as reexec_sealed() sets it. False when it does not fit.
bool environment_with_origin(char** envp, char** out, char* entry, long entry_size) {
    int n = 0;
    for (char** e = envp; *e; ++e) {
        if (starts_with(*e, kEnvPrefix)) continue;
        if (n == kMaxEnv - 2) return false;
        out[n++] = *e;
    }
    long len = 0;
    for (const char* p = kEnvPrefix; *p; ++p) entry[len++] = *p;
    long got = sys(SYS_readlinkat, AT_FDCWD, reinterpret_cast<long>("/proc/self/exe"),
                   reinterpret_cast<long>(entry + len), entry_size - len - 1);
    if (got > 0) {
        entry[len + got] = 0;
        out[n++] = entry;
    }
    out[n] = nullptr;
    return true;
}

// Returns unless myrt was re-executed from its read-only view.
void reexec_from_view(int argc, char** argv, char** envp) {
    if (!command_needs_sealed_exe(argc, argv)) return;
    long self = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/exe"),
                    O_RDONLY | O_CLOEXEC);
    if (self < 0) return;
    int view = sealed(static_cast<int>(self)) ? -1 : read_only_view(static_cast<int>(self));
    sys(SYS_close, self);
    if (view < 0) return;
    char* env[kMaxEnv];
    char entry[4096 + sizeof kEnvPrefix];
    if (environment_with_origin(envp, env, entry, sizeof entry))
        sys(SYS_execveat, view, reinterpret_cast<long>(""), reinterpret_cast<long>(argv),
            reinterpret_cast<long>(env), AT_EMPTY_PATH);
    sys(SYS_close, view);  // main() tries again and reports what fails
}

}  // namespace

// Called by myrt_entry with the stack the kernel handed over: argc, argv..., 0, envp..., 0.
extern "C" void myrt_before_libc(long* stack) {
    int argc = static_cast<int>(stack[0]);
    char** argv = reinterpret_cast<char**>(stack + 1);
    reexec_from_view(argc, argv, argv + argc + 1);
}

// The ELF entry point (cmd/meson.build: -e myrt_entry): the kernel's stack pointer is
// 16-byte aligned, as a call needs it; rdx (a function for atexit, 0 for a static program)
// is kept in a callee-saved register for the C library's own _start.
asm(R"(
    .text
    .globl myrt_entry
    .type myrt_entry, @function
myrt_entry:
    xor %ebp, %ebp
    mov %rdx, %r12
    mov %rsp, %rdi
    call myrt_before_libc
    mov %r12, %rdx
    jmp _start
    .size myrt_entry, .-myrt_entry
)");
