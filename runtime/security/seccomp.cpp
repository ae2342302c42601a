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

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
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
#include "spec/state.hpp"

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

// ---- ENOSYS for syscalls newer than the profile ---------------------------------------
// A deny-by-default profile written before a syscall existed would answer it with its
// default errno, and programs that probe a new syscall fall back to an old one only on
// ENOSYS (glibc's clone3 -> clone, Go's faccessat2 -> faccessat). So, as runc does, a stub
// in front of libseccomp's program answers ENOSYS to every syscall numbered above the
// largest one the profile names, per architecture of the filter; the rest goes on to the
// filter. Syscall numbers grow with age, bar a few out of order (close_range).

// Tracers and notify agents see every syscall and may emulate new ones; allowing defaults
// need no stub; nor does a default that already is ENOSYS.
bool wants_enosys_stub(uint32_t default_action) {
    if (default_action == SCMP_ACT_ERRNO(ENOSYS)) return false;
    uint32_t kind = default_action & SECCOMP_RET_ACTION_FULL;  // without errno or trace data
    return kind != SCMP_ACT_ALLOW && kind != SCMP_ACT_LOG && kind != SCMP_ACT_TRACE(0) &&
           kind != SCMP_ACT_NOTIFY;
}

// The largest number any entry names on this arch; none when no name resolves there.
// Unknown names and the negative pseudo-numbers of multiplexed calls (i386's socket) count
// for nothing, as in the filter itself.
std::optional<uint32_t> largest_named(const spec::Seccomp& s, uint32_t arch) {
    std::optional<uint32_t> largest;
    for (const spec::Syscall& sc : s.syscalls)
        for (const std::string& name : sc.names) {
            int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
            if (nr < 0) continue;  // also __NR_SCMP_ERROR
            largest = std::max(largest.value_or(0), static_cast<uint32_t>(nr));
        }
    return largest;
}

// What the stub checks for one AUDIT_ARCH_* value. x86_64 and x32 share AUDIT_ARCH_X86_64,
// x32's numbers having bit 30 (__X32_SYSCALL_BIT) set, as libseccomp resolves them too.
struct ArchLimits {
    uint32_t audit_arch;
    std::optional<uint32_t> largest;      // x86_64's, or the arch's
    std::optional<uint32_t> x32_largest;  // for AUDIT_ARCH_X86_64 only
};
constexpr uint32_t kX32Bit = 0x40000000;

// Every arch the filter holds (the native one first: it is checked first), by audit value.
std::vector<ArchLimits> arch_limits(const Filter& f, const spec::Seccomp& s) {
    std::vector<uint32_t> tokens{seccomp_arch_native()};
    for (const auto& [name, token] : kArchitectures)
        if (token != 0 && token != tokens[0] && seccomp_arch_exist(f.get(), token) == 0)
            tokens.push_back(token);
    std::vector<ArchLimits> limits;
    for (uint32_t token : tokens) {
        uint32_t audit = token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
        auto it = std::find_if(limits.begin(), limits.end(),
                               [&](const ArchLimits& l) { return l.audit_arch == audit; });
        if (it == limits.end()) it = limits.insert(limits.end(), ArchLimits{audit, {}, {}});
        (token == SCMP_ARCH_X32 ? it->x32_largest : it->largest) = largest_named(s, token);
    }
    std::erase_if(limits, [](const ArchLimits& l) { return !l.largest && !l.x32_largest; });
    return limits;
}

// BPF whose "exit" jumps go to the first instruction after the stub, resolved once the
// stub's length is known. Every conditional jump is short (a few instructions forward);
// the long ones are BPF_JA, whose offset has 32 bits.
struct StubCode {
    std::vector<sock_filter> insns;
    std::vector<size_t> exits;

    void add(sock_filter insn) { insns.push_back(insn); }
    void load(uint32_t offset) { add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
    void enosys() { add(BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS))); }
    void exit() {
        exits.push_back(insns.size());
        add(BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
    }
    // ENOSYS above `largest`, else the filter; just the filter without a largest.
    void limit(std::optional<uint32_t> largest) {
        if (largest) {
            add(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, *largest, 0, 1));
            enosys();
        }
        exit();
    }
    void append(const StubCode& other) {
        for (size_t e : other.exits) exits.push_back(insns.size() + e);
        insns.insert(insns.end(), other.insns.begin(), other.insns.end());
    }
};

// The checks for one arch, from the load of the syscall number on.
StubCode arch_section(const ArchLimits& l) {
    StubCode c;
    c.load(offsetof(seccomp_data, nr));
    if (l.audit_arch == SCMP_ARCH_X86_64) {
        // x32 calls (bit 30 set) skip x86_64's limit for their own.
        size_t x86_64_len = l.largest ? 3 : 1;
        c.add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, static_cast<uint8_t>(x86_64_len), 0));
        c.limit(l.largest);
        c.limit(l.x32_largest);
        return c;
    }
    if (l.audit_arch == SCMP_ARCH_S390 || l.audit_arch == SCMP_ARCH_S390X) {
        // s390 hands a syscall number it does not know on as 0 (setup, long gone), so 0 is
        // a syscall newer than the profile too (as runc).
        c.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
        c.enosys();
    }
    c.limit(l.largest);
    return c;
}

// Load the arch; for each one known, jump to its section; anything else goes to the
// filter (which has its own answer for a foreign arch).
std::vector<sock_filter> enosys_stub(const std::vector<ArchLimits>& limits) {
    if (limits.empty()) return {};
    std::vector<StubCode> sections;
    for (const ArchLimits& l : limits) sections.push_back(arch_section(l));
    StubCode stub;
    stub.load(offsetof(seccomp_data, arch));
    size_t section_start = 1 + 2 * limits.size() + 1;
    for (size_t i = 0; i < limits.size(); ++i) {
        stub.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, limits[i].audit_arch, 0, 1));
        size_t next = stub.insns.size() + 1;
        stub.add(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(section_start - next), 0, 0));
        section_start += sections[i].insns.size();
    }
    stub.exit();
    for (const StubCode& s : sections) stub.append(s);
    for (size_t e : stub.exits) stub.insns[e].k = static_cast<uint32_t>(stub.insns.size() - e - 1);
    return stub.insns;
}

void log_limits(const std::vector<ArchLimits>& limits) {
    for (const ArchLimits& l : limits) {
        std::string msg = "seccomp: ENOSYS for arch " + std::to_string(l.audit_arch) + " above";
        if (l.largest) msg.append(" ").append(std::to_string(*l.largest));
        if (l.x32_largest) msg.append(" x32 ").append(std::to_string(*l.x32_largest));
        log::debug(msg);
    }
}

// The stub runs first; libseccomp's program is left as it is.
void prepend_enosys_stub(std::vector<sock_filter>& bpf, const Filter& f, const spec::Seccomp& s,
                         uint32_t default_action) {
    if (!wants_enosys_stub(default_action)) return;
    std::vector<ArchLimits> limits = arch_limits(f, s);
    log_limits(limits);
    std::vector<sock_filter> stub = enosys_stub(limits);
    bpf.insert(bpf.begin(), stub.begin(), stub.end());
}

}  // namespace

SeccompProgram compile_seccomp(const spec::Seccomp& s) {
    const std::string top = "linux.seccomp";
    log::Step step("seccomp.compile");
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
        program.rules += sc.names.size();
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
    prepend_enosys_stub(program.bpf, f, s, default_action);
    if (program.bpf.size() > BPF_MAXINSNS)
        fail(top, "the filter has " + std::to_string(program.bpf.size()) +
                      " instructions, more than the kernel's limit of " +
                      std::to_string(BPF_MAXINSNS));
    step.field("default_action", s.defaultAction).field("rules", static_cast<long long>(program.rules))
        .field("instructions", static_cast<long long>(program.bpf.size()));
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
    log::Step step("seccomp.load");
    step.field("rules", static_cast<long long>(program.rules))
        .field("instructions", static_cast<long long>(program.bpf.size()))
        .field("notify", program.notify);
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
                           const spec::State& state) {
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
    // runc's words, which callers and runc's suite match.
    if (rc < 0) throw_errno(what + ": failed to connect with seccomp agent");

    spec::ContainerProcessState process_state{.ociVersion = kOciVersion,
                                              .fds = {"seccompFd"},
                                              .pid = pid,
                                              .metadata = program.listener_metadata,
                                              .state = state};
    std::string doc = spec::to_json(process_state);

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
