#include "runtime/security/seccomp.hpp"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <optional>

#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/sync.hpp"
#include "spec/json.hpp"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace myrt {

namespace {

using spec::json::quote;

// ---- names -> values -----------------------------------------------------------------

struct ActionName {
    std::string_view name;
    uint32_t action;   // without data
    bool takes_errno;  // the low 16 bits carry errnoRet
};
constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},  // libseccomp's (and runc's) alias
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

constexpr std::pair<std::string_view, scmp_compare> kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// The spec's list; 0 where the libseccomp this was built with does not know the arch.
#ifndef SCMP_ARCH_LOONGARCH64
#define SCMP_ARCH_LOONGARCH64 0
#endif
#ifndef SCMP_ARCH_M68K
#define SCMP_ARCH_M68K 0
#endif
#ifndef SCMP_ARCH_SH
#define SCMP_ARCH_SH 0
#endif
#ifndef SCMP_ARCH_SHEB
#define SCMP_ARCH_SHEB 0
#endif
#ifndef SCMP_ARCH_PARISC
#define SCMP_ARCH_PARISC 0
#define SCMP_ARCH_PARISC64 0
#endif
#ifndef SCMP_ARCH_RISCV64
#define SCMP_ARCH_RISCV64 0
#endif
constexpr std::pair<std::string_view, uint32_t> kArchitectures[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
};

constexpr std::pair<std::string_view, unsigned> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <class Table>
auto find_name(const Table& table, std::string_view name) -> decltype(&table[0]) {
    for (const auto& entry : table)
        if (entry.first == name) return &entry;
    return nullptr;
}

// ---- errors --------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw Error(where + ": " + what, EINVAL);
}

std::string lib_version() {
    const scmp_version* v = seccomp_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->micro);
}

// libseccomp returns -errno.
std::string lib_error(int rc) { return errno_text(-rc); }

// ---- compile -------------------------------------------------------------------------

// where: the JSON path of the action; errno_where: of its errnoRet (or defaultErrnoRet).
uint32_t resolve_action(const std::string& name, std::optional<uint32_t> errno_ret,
                        const std::string& where, const std::string& errno_where) {
    const ActionName* found = nullptr;
    for (const auto& a : kActions)
        if (a.name == name) found = &a;
    if (!found) fail(where, "unknown action " + quote(name));
    if (!found->takes_errno) {
        if (errno_ret) fail(errno_where, "not allowed with action " + quote(name));
        return found->action;
    }
    // The default, as in the spec and runc: EPERM.
    uint32_t ret = errno_ret.value_or(EPERM);
    if (ret > 0xffff) fail(errno_where, "must be at most 65535");
    return found->action | ret;
}

bool is_notify(uint32_t action) { return action == SCMP_ACT_NOTIFY; }

// Whether the running kernel accepts these SECCOMP_FILTER_FLAG_* bits: with a NULL program,
// seccomp(2) checks the flags (EINVAL) before it reads the program (EFAULT). Anything else
// (e.g. seccomp itself filtered for us) says nothing against the flags.
bool kernel_accepts_flags(unsigned flags) {
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
    return !(rc < 0 && errno == EINVAL);
}

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

void add_architectures(const Filter& f, const std::vector<std::string>& archs) {
    for (std::size_t i = 0; i < archs.size(); ++i) {
        std::string where = "linux.seccomp.architectures[" + std::to_string(i) + "]";
        auto* arch = find_name(kArchitectures, archs[i]);
        if (!arch) fail(where, "unknown architecture " + quote(archs[i]));
        if (arch->second == 0)
            fail(where, "architecture " + quote(archs[i]) + " is not supported by libseccomp " +
                            lib_version());
        // The native arch is in the filter from the start (EEXIST).
        int rc = seccomp_arch_add(f.get(), arch->second);
        if (rc == -EDOM)
            fail(where, "architecture " + quote(archs[i]) +
                            " cannot share a filter with this machine's (other byte order)");
        if (rc < 0 && rc != -EEXIST)
            fail(where, "add architecture " + quote(archs[i]) + ": " + lib_error(rc));
    }
}

unsigned resolve_flags(const std::vector<std::string>& names) {
    unsigned flags = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto* flag = find_name(kFlags, names[i]);
        if (!flag)
            fail("linux.seccomp.flags[" + std::to_string(i) + "]",
                 "unknown flag " + quote(names[i]));
        flags |= flag->second;
    }
    return flags;
}

// Checks the flags against the kernel now, while an error can still fail `create` cleanly,
// and adds what the listener needs. TSYNC is harmless for the single-threaded init.
unsigned kernel_flags(unsigned flags, bool notify) {
    constexpr unsigned kWaitKillable = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    if ((flags & kWaitKillable) && !notify) {
        // The kernel takes it only together with a listener; without one it means nothing.
        log::debug("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no listener");
        flags &= ~kWaitKillable;
    }
    // TSYNC with a listener: the return value is the fd, so a failed sync must be ESRCH.
    if (notify && (flags & SECCOMP_FILTER_FLAG_TSYNC)) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    unsigned listener = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    if (kernel_accepts_flags(flags | listener)) return flags;
    // Name what the kernel refuses.
    if (notify && !kernel_accepts_flags(listener))
        fail("linux.seccomp", "SCMP_ACT_NOTIFY is not supported by this kernel");
    for (const auto& [name, bit] : kFlags)
        if ((flags & bit) && !kernel_accepts_flags(bit | (bit == kWaitKillable ? listener : 0)))
            fail("linux.seccomp.flags", std::string(name) + " is not supported by this kernel");
    fail("linux.seccomp.flags", "SECCOMP_FILTER_FLAG_TSYNC together with SCMP_ACT_NOTIFY is "
                                "not supported by this kernel");
}

// One syscalls[] entry. runc's semantics for args: all conditions in one rule (AND) unless
// some argument index appears more than once, in which case every condition becomes a rule
// of its own (OR): libseccomp cannot AND two comparisons of the same argument.
// Returns whether a rule was added.
bool add_syscall_rules(const Filter& f, const spec::Syscall& sc, uint32_t action,
                       const std::string& where) {
    std::vector<scmp_arg_cmp> conds;
    std::array<int, 6> per_index{};
    bool repeated = false;
    for (std::size_t j = 0; j < sc.args.size(); ++j) {
        const spec::SyscallArg& a = sc.args[j];
        std::string arg_where = where + ".args[" + std::to_string(j) + "]";
        if (a.index >= per_index.size()) fail(arg_where + ".index", "must be in 0..5");
        auto* op = find_name(kOperators, a.op);
        if (!op) fail(arg_where + ".op", "unknown operator " + quote(a.op));
        if (++per_index[a.index] > 1) repeated = true;
        // MASKED_EQ: (arg & value) == valueTwo; the others ignore valueTwo.
        conds.push_back(scmp_arg_cmp{a.index, op->second, a.value, a.valueTwo.value_or(0)});
    }
    bool added = false;
    for (std::size_t k = 0; k < sc.names.size(); ++k) {
        const std::string& name = sc.names[k];
        if (name.empty()) fail(where + ".names[" + std::to_string(k) + "]", "must not be empty");
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
            // Newer than this libseccomp (or a typo): the kernel may not have it either.
            log::debug("seccomp: unknown syscall " + quote(name) + " ignored");
            continue;
        }
        auto add = [&](const scmp_arg_cmp* c, unsigned n) {
            int rc = seccomp_rule_add_array(f.get(), action, nr, n, c);
            if (rc < 0) fail(where, "add rule for " + quote(name) + ": " + lib_error(rc));
        };
        if (!repeated) {
            add(conds.data(), static_cast<unsigned>(conds.size()));
        } else {
            for (const scmp_arg_cmp& c : conds) add(&c, 1);
        }
        added = true;
    }
    return added;
}

std::vector<sock_filter> export_bpf(const Filter& f) {
    std::vector<sock_filter> bpf;
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    size_t len = 0;
    int rc = seccomp_export_bpf_mem(f.get(), nullptr, &len);
    if (rc == 0) {
        bpf.resize(len / sizeof(sock_filter));
        rc = seccomp_export_bpf_mem(f.get(), bpf.data(), &len);
    }
    if (rc < 0) fail("linux.seccomp", "export the filter: " + lib_error(rc));
#else
    // libseccomp < 2.6 exports only to a descriptor: a memfd, read back.
    UniqueFd mem(::memfd_create("myrt-seccomp", MFD_CLOEXEC));
    if (!mem) throw_errno("seccomp: memfd_create");
    int rc = seccomp_export_bpf(f.get(), mem.get());
    if (rc < 0) fail("linux.seccomp", "export the filter: " + lib_error(rc));
    off_t size = ::lseek(mem.get(), 0, SEEK_END);
    if (size < 0) throw_errno("seccomp: read the exported filter");
    bpf.resize(static_cast<size_t>(size) / sizeof(sock_filter));
    size_t want = bpf.size() * sizeof(sock_filter);
    if (::pread(mem.get(), bpf.data(), want, 0) != static_cast<ssize_t>(want))
        throw_errno("seccomp: read the exported filter", errno ? errno : EIO);
#endif
    return bpf;
}

}  // namespace

SeccompProgram compile_seccomp(const spec::Seccomp& s) {
    const std::string top = "linux.seccomp";
    uint32_t default_action = resolve_action(s.defaultAction, s.defaultErrnoRet,
                                             top + ".defaultAction", top + ".defaultErrnoRet");
    unsigned flags = resolve_flags(s.flags);

    Filter f(seccomp_init(default_action));
    if (!f) fail(top, "cannot create a filter for action " + quote(s.defaultAction));
    add_architectures(f, s.architectures);
    // Binary-tree dispatch for long profiles, as runc does: fewer instructions per syscall.
    // (libseccomp <= 2.5.4 misbehaves with it on an empty filter, hence the threshold.)
    if (s.syscalls.size() > 32 && seccomp_attr_set(f.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
        log::debug("seccomp: libseccomp has no binary tree optimization");

    SeccompProgram program;
    program.notify = is_notify(default_action);
    for (std::size_t i = 0; i < s.syscalls.size(); ++i) {
        const spec::Syscall& sc = s.syscalls[i];
        std::string where = top + ".syscalls[" + std::to_string(i) + "]";
        if (sc.names.empty()) fail(where + ".names", "must contain at least one entry");
        uint32_t action =
            resolve_action(sc.action, sc.errnoRet, where + ".action", where + ".errnoRet");
        if (action == default_action) {
            // libseccomp refuses rules that repeat the default (EACCES); they change nothing.
            log::debug("seccomp: " + where + " has the default action, skipped");
            continue;
        }
        if (add_syscall_rules(f, sc, action, where) && is_notify(action)) program.notify = true;
    }
    if (program.notify) {
        if (!s.listenerPath || s.listenerPath->empty())
            fail(top + ".listenerPath", "required when SCMP_ACT_NOTIFY is used");
        program.listener_path = *s.listenerPath;
        program.listener_metadata = s.listenerMetadata.value_or("");
    }
    program.flags = kernel_flags(flags, program.notify);
    program.bpf = export_bpf(f);
    if (program.bpf.empty()) fail(top, "libseccomp produced an empty filter");
    if (program.bpf.size() > BPF_MAXINSNS)
        fail(top, "the filter has " + std::to_string(program.bpf.size()) +
                      " instructions, more than the kernel's limit of " +
                      std::to_string(BPF_MAXINSNS));
    return program;
}

SeccompFeatures seccomp_features() {
    SeccompFeatures f;
    for (const auto& a : kActions) f.actions.emplace_back(a.name);
    for (const auto& [name, op] : kOperators) f.operators.emplace_back(name);
    for (const auto& [name, token] : kArchitectures)
        if (token != 0) f.archs.emplace_back(name);
    for (const auto& [name, bit] : kFlags) {
        f.known_flags.emplace_back(name);
        // WAIT_KILLABLE_RECV: only valid with a listener.
        unsigned listener =
            bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        if (kernel_accepts_flags(bit | listener)) f.supported_flags.emplace_back(name);
    }
    return f;
}

int load_seccomp(const SeccompProgram& program) {
    if (program.bpf.empty()) throw Error("seccomp: empty filter", EINVAL);
    sock_fprog prog{static_cast<unsigned short>(program.bpf.size()),
                    const_cast<sock_filter*>(program.bpf.data())};
    unsigned flags = program.flags | (program.notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (rc < 0) throw_errno("load the seccomp filter");
    // TSYNC without TSYNC_ESRCH: a positive value is the thread that could not be synced.
    if (!program.notify && rc > 0)
        throw Error("load the seccomp filter: thread " + std::to_string(rc) + " cannot sync",
                    ESRCH);
    return program.notify ? static_cast<int>(rc) : -1;
}

void load_seccomp_notify(const SeccompProgram& program, const SyncChannel& sync) {
    // One word shared with the helper: MAP_SHARED memory stays shared across the clone.
    constexpr int kPending = -1, kFailed = -2;
    using Slot = std::atomic<int>;
    static_assert(Slot::is_always_lock_free);
    void* mem = ::mmap(nullptr, sizeof(Slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
    if (mem == MAP_FAILED) throw_errno("seccomp: mmap");
    struct Unmap {
        void* p;
        ~Unmap() { ::munmap(p, sizeof(Slot)); }
    } unmap{mem};
    Slot* slot = new (mem) Slot(kPending);

    // CLONE_FILES: the helper shares init's descriptor table, so it sees the listener
    // without init sending it anywhere; being cloned before the filter, it is not filtered.
    long helper = ::syscall(SYS_clone, CLONE_FILES | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (helper < 0) throw_errno("seccomp: start the listener helper");
    if (helper == 0) {
        int fd;
        while ((fd = slot->load()) == kPending) {
            timespec pause{0, 50'000};
            ::nanosleep(&pause, nullptr);
        }
        int rc = fd >= 0 ? 0 : 1;
        try {
            if (fd >= 0) sync.send(SyncType::seccomp_listener, {}, 0, fd);
        } catch (...) {
            rc = 1;
        }
        ::_exit(rc);
    }
    auto reap = [&] {
        int status = 0;
        while (::waitpid(static_cast<pid_t>(helper), &status, 0) < 0 && errno == EINTR) {
        }
        return status;
    };
    int listener;
    try {
        listener = load_seccomp(program);
    } catch (...) {
        slot->store(kFailed);
        reap();
        throw;
    }
    // No syscall between the load and this store: nothing can wait on the agent yet.
    slot->store(listener);
    // From here any syscall may be notified: the runtime passes the fd on as soon as the
    // helper has sent it, and the agent answers.
    int status = reap();
    ::close(listener);  // the container keeps no handle on its own listener
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("seccomp: could not hand the notify listener to the runtime");
}

void send_seccomp_listener(const SeccompProgram& program, int listener, pid_t pid,
                           std::string_view state_json) {
    const std::string& path = program.listener_path;
    std::string what = "linux.seccomp.listenerPath " + quote(path);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        throw Error(what + ": not a usable socket path", ENAMETOOLONG);
    memcpy(addr.sun_path, path.data(), path.size());
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno(what + ": socket");
    int rc;
    do rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) throw_errno(what + ": connect");

    // The containerProcessState of config-linux.md.
    std::string doc = "{\"ociVersion\":";
    log::append_json_string(doc, kOciVersion);
    doc += ",\"fds\":[\"seccompFd\"],\"pid\":" + std::to_string(pid);
    if (!program.listener_metadata.empty()) {
        doc += ",\"metadata\":";
        log::append_json_string(doc, program.listener_metadata);
    }
    doc += ",\"state\":";
    doc += state_json;
    doc += "}";

    // The descriptor travels with the first sendmsg only; a short send goes on without it.
    size_t sent = 0;
    int fd = listener;
    while (sent < doc.size()) {
        iovec iov{doc.data() + sent, doc.size() - sent};
        long n = send_with_fd(sock.get(), &iov, 1, fd);
        if (n < 0) throw_errno(what + ": send the seccomp listener");
        sent += static_cast<size_t>(n);
        fd = -1;
    }
}

}  // namespace myrt
