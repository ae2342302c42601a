// Unit tests of runtime/seccomp: compile errors (exact messages), what a profile compiles
// to (flags, notify, skipped rules), and what the BPF really does once a child process has
// loaded it: errno actions, the argument operators, AND/OR of conditions, and the notify
// listener handoff over a sync channel.
#define BOOST_TEST_MODULE seccomp
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/error.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/sync.hpp"
#include "runtime_helpers.hpp"
#include "spec/config.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

// linux.seccomp = json, parsed as config.json would be (without spec::validate, so that
// compile_seccomp's own checks are what is tested).
spec::Seccomp parse(const std::string& json) {
    spec::Config c = spec::parse_config(R"({"ociVersion": "1.3.0", "linux": {"seccomp": )" +
                                        json + "}}");
    return *c.linux->seccomp;
}

SeccompProgram compile(const std::string& json) { return compile_seccomp(parse(json)); }

std::string compile_error(const std::string& json) {
    return error_of<Error>([&] { compile(json); });
}

// A default-ALLOW profile with one rule.
std::string allow_all_but(const std::string& rule) {
    return R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [)" + rule + "]}";
}

// Runs f() in a child that has loaded the program (with no_new_privs, which loading without
// CAP_SYS_ADMIN needs); returns what f returns (its exit status).
template <class F>
int with_filter(const SeccompProgram& program, F&& f) {
    return wait_exit(fork_child([&] {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 101;
        load_seccomp(program);
        return f();
    }));
}

// In a child under a rule on kill's argument 1 (the signal): a bitmask of which of the
// signals 10, 12 and 14 (ignored) the filter blocked (bit 0: 10, bit 1: 12, bit 2: 14).
int blocked_signals(const std::string& args_json) {
    SeccompProgram p = compile(allow_all_but(R"({"names": ["kill"], "action": "SCMP_ACT_ERRNO",
        "args": )" + args_json + "}"));
    return with_filter(p, [] {
        int mask = 0, bit = 1;
        for (int sig : {10, 12, 14}) {
            ::signal(sig, SIG_IGN);
            if (::kill(::getpid(), sig) < 0 && errno == EPERM) mask |= bit;
            bit <<= 1;
        }
        return mask;
    });
}

// What the kernel would answer for syscall `nr` of arch `arch` (an AUDIT_ARCH_* value): the
// program run by a small classic-BPF interpreter over a seccomp_data with zero arguments,
// so that other archs' and x32's paths can be checked on any machine.
uint32_t run_bpf(const std::vector<sock_filter>& prog, uint32_t arch, uint32_t nr) {
    seccomp_data data{};
    data.nr = static_cast<int>(nr);
    data.arch = arch;
    uint32_t a = 0;
    for (size_t pc = 0; pc < prog.size();) {
        const sock_filter& i = prog[pc++];
        uint16_t cls = BPF_CLASS(i.code), op = BPF_OP(i.code);
        if (i.code == (BPF_LD | BPF_W | BPF_ABS)) {
            BOOST_REQUIRE(i.k + 4 <= sizeof data);
            std::memcpy(&a, reinterpret_cast<const char*>(&data) + i.k, 4);
        } else if (cls == BPF_ALU && BPF_SRC(i.code) == BPF_K && op == BPF_AND) {
            a &= i.k;
        } else if (cls == BPF_JMP && op == BPF_JA) {
            pc += i.k;
        } else if (cls == BPF_JMP && BPF_SRC(i.code) == BPF_K &&
                   (op == BPF_JEQ || op == BPF_JGT || op == BPF_JGE || op == BPF_JSET)) {
            bool taken = op == BPF_JEQ ? a == i.k : op == BPF_JGT ? a > i.k
                       : op == BPF_JGE ? a >= i.k : (a & i.k) != 0;
            pc += taken ? i.jt : i.jf;
        } else if (i.code == (BPF_RET | BPF_K)) {
            return i.k;
        } else {
            BOOST_FAIL("instruction " << pc - 1 << " not interpreted: code " << i.code);
        }
    }
    BOOST_FAIL("the program runs off its end");
    return 0;
}

constexpr uint32_t kX32 = 0x40000000;  // __X32_SYSCALL_BIT
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS, kEperm = SECCOMP_RET_ERRNO | EPERM;

}  // namespace

BOOST_AUTO_TEST_CASE(compile_errors_name_the_field) {
    check_cases(
        {
            {R"({"defaultAction": "SCMP_ACT_NOPE"})",
             R"(linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE")"},
            {R"({"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1})",
             R"(linux.seccomp.defaultErrnoRet: not allowed with action "SCMP_ACT_KILL")"},
            {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 65536})",
             "linux.seccomp.defaultErrnoRet: must be at most 65535"},
            {allow_all_but(R"({"names": ["mkdir"], "action": "SCMP_ACT_KILL"}, {"names": ["mkdir"], "action": "X"})"),
             R"(linux.seccomp.syscalls[1].action: unknown action "X")"},
            {allow_all_but(R"({"names": ["mkdir"], "action": "SCMP_ACT_LOG", "errnoRet": 1})"),
             R"(linux.seccomp.syscalls[0].errnoRet: not allowed with action "SCMP_ACT_LOG")"},
            {allow_all_but(R"({"names": [], "action": "SCMP_ACT_ERRNO"})"),
             "linux.seccomp.syscalls[0].names: must contain at least one entry"},
            {allow_all_but(R"({"names": ["kill", ""], "action": "SCMP_ACT_ERRNO"})"),
             "linux.seccomp.syscalls[0].names[1]: must not be empty"},
            {allow_all_but(R"({"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                         {"index": 1, "value": 1, "op": "SCMP_CMP_SIMILAR"}]})"),
             R"(linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_SIMILAR")"},
            {allow_all_but(R"({"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]})"),
             "linux.seccomp.syscalls[0].args[0].index: must be in 0..5"},
            {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_VAX"]})",
             R"(linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX")"},
            {R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"]})",
             R"(linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_FAST")"},
            {allow_all_but(R"({"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"})"),
             "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
            {R"({"defaultAction": "SCMP_ACT_NOTIFY"})",
             "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
#if defined(__x86_64__)
            {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_S390X"]})",
             R"(linux.seccomp.architectures[0]: architecture "SCMP_ARCH_S390X" cannot share )"
             R"(a filter with this machine's (other byte order))"},
#endif
        },
        compile_error);
}

BOOST_AUTO_TEST_CASE(architectures_this_libseccomp_lacks) {
#ifndef SCMP_ARCH_LOONGARCH64
    std::string msg = compile_error(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_LOONGARCH64"]})");
    BOOST_TEST(msg.starts_with(
        R"(linux.seccomp.architectures[0]: architecture "SCMP_ARCH_LOONGARCH64" is not supported by libseccomp )"));
#endif
    // The native architecture (and its companions) may be listed again.
    BOOST_TEST(!compile(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"]})")
                    .bpf.empty());
}

BOOST_AUTO_TEST_CASE(a_profile_compiles_to_bpf) {
    SeccompProgram p = compile(allow_all_but(R"({"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"})"));
    BOOST_TEST(!p.bpf.empty());
    BOOST_TEST(p.bpf.size() < 100u);
    BOOST_TEST(p.flags == 0u);
    BOOST_TEST(!p.notify);
    // Every rule and the default: more instructions.
    SeccompProgram bare = compile(R"({"defaultAction": "SCMP_ACT_ALLOW"})");
    BOOST_TEST(!bare.bpf.empty());
    BOOST_TEST(bare.bpf.size() < p.bpf.size());
}

BOOST_AUTO_TEST_CASE(unknown_syscalls_and_default_action_rules_are_skipped) {
    std::string bare = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38})";
    size_t size = compile(bare).bpf.size();
    // A rule equal to the default changes nothing (libseccomp would refuse it).
    SeccompProgram same = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                     {"names": ["no_such_syscall_xyz"], "action": "SCMP_ACT_ALLOW"}]})");
    BOOST_TEST(same.bpf.size() == size);
    // Same action, other errno: a real rule.
    SeccompProgram other = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})");
    BOOST_TEST(other.bpf.size() > size);
    // A notify rule whose names are all unknown needs no listener.
    SeccompProgram none = compile(allow_all_but(R"({"names": ["no_such_syscall"], "action": "SCMP_ACT_NOTIFY"})"));
    BOOST_TEST(!none.notify);
}

BOOST_AUTO_TEST_CASE(flags_and_notify) {
    SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]})");
    // WAIT_KILLABLE_RECV means nothing (and the kernel refuses it) without a listener.
    BOOST_TEST(p.flags == unsigned(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));

    SeccompProgram n = compile(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": "/run/agent.sock", "listenerMetadata": "m",
        "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})");
    BOOST_TEST(n.notify);
    BOOST_TEST(n.listener_path == "/run/agent.sock");
    BOOST_TEST(n.listener_metadata == "m");
    // TSYNC with a listener needs TSYNC_ESRCH (the return value is the fd).
    BOOST_TEST(n.flags == unsigned(SECCOMP_FILTER_FLAG_TSYNC | (1u << 4)));
}

BOOST_AUTO_TEST_CASE(features_list_what_compile_accepts) {
    SeccompFeatures f = seccomp_features();
    BOOST_TEST(f.actions.size() == 9u);
    BOOST_TEST(f.operators.size() == 7u);
    BOOST_TEST(f.known_flags.size() == 4u);
    BOOST_TEST(f.supported_flags.size() <= f.known_flags.size());
    BOOST_TEST(!f.archs.empty());
    std::string all = R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": [)";
    for (const auto& flag : f.supported_flags)
        all += (all.back() == '[' ? "\"" : ",\"") + flag + "\"";
    all += "]}";
    BOOST_TEST(compile_error(all) == "<no error>");
    for (const auto& action : f.actions)
        BOOST_TEST_CONTEXT(action) {
            BOOST_TEST(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x",
                "syscalls": [{"names": ["mkdir"], "action": ")" + action + R"("}]})") ==
                       "<no error>");
        }
}

BOOST_AUTO_TEST_CASE(errno_actions_return_their_errno) {
    TempDir dir;
    std::string path = dir / "d";
    auto mkdir_errno = [&](const std::string& rule) {
        return with_filter(compile(allow_all_but(rule)), [&] {
            if (::mkdir(path.c_str(), 0755) == 0) return 0;
            return errno;
        });
    };
    BOOST_TEST(mkdir_errno(R"({"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})") == ENOSYS);
    BOOST_TEST(mkdir_errno(R"({"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"})") == EPERM);
    BOOST_TEST(!exists(path));
    // Unknown names next to known ones: the known ones still count.
    BOOST_TEST(mkdir_errno(R"({"names": ["bogus_call", "mkdir", "mkdirat"],
                               "action": "SCMP_ACT_ERRNO", "errnoRet": 5})") == EIO);
    // KILL_PROCESS: SIGSYS.
    BOOST_TEST(mkdir_errno(R"({"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"})") == 128 + SIGSYS);
    // Default ERRNO with an allow-list (what the child needs to get here and exit).
    SeccompProgram deny = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6,
        "syscalls": [{"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"}]})");
    BOOST_TEST(with_filter(deny, [&] { return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno; }) == ENXIO);
    BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(argument_operators) {
    auto rule = [](const char* op, int value, int two = -1) {
        std::string arg = R"({"index": 1, "op": ")" + std::string(op) +
                          R"(", "value": )" + std::to_string(value);
        if (two >= 0) arg += R"(, "valueTwo": )" + std::to_string(two);
        return "[" + arg + "}]";
    };
    // bit 0: signal 10, bit 1: 12, bit 2: 14
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_NE", 12)) == 0b101);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_LT", 12)) == 0b001);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_LE", 12)) == 0b011);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_EQ", 12)) == 0b010);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_GE", 12)) == 0b110);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_GT", 12)) == 0b100);
    // (sig & value) == valueTwo: 10 & 6 = 2, 12 & 6 = 4, 14 & 6 = 6
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_MASKED_EQ", 6, 4)) == 0b010);
    BOOST_TEST(blocked_signals(rule("SCMP_CMP_MASKED_EQ", 6, 6)) == 0b100);
}

BOOST_AUTO_TEST_CASE(several_conditions_and_or) {
    // Same index: OR (each condition is a rule of its own), as runc does.
    BOOST_TEST(blocked_signals(R"([{"index": 1, "op": "SCMP_CMP_EQ", "value": 10},
                                   {"index": 1, "op": "SCMP_CMP_EQ", "value": 14}])") == 0b101);
    // Different indexes: AND. Our pid and signal 12; pid 1 never matches.
    std::string pid = std::to_string(::getpid());
    BOOST_TEST(blocked_signals(R"([{"index": 0, "op": "SCMP_CMP_NE", "value": 1},
                                   {"index": 1, "op": "SCMP_CMP_GE", "value": 12}])") == 0b110);
    BOOST_TEST(blocked_signals(R"([{"index": 0, "op": "SCMP_CMP_EQ", "value": 1},
                                   {"index": 1, "op": "SCMP_CMP_GE", "value": 12}])") == 0);
    // Repeating one index switches the whole entry to OR: pid != 1 alone blocks everything.
    BOOST_TEST(blocked_signals(R"([{"index": 0, "op": "SCMP_CMP_NE", "value": 1},
                                   {"index": 1, "op": "SCMP_CMP_EQ", "value": 10},
                                   {"index": 1, "op": "SCMP_CMP_EQ", "value": 14}])") == 0b111);
}

BOOST_AUTO_TEST_CASE(notify_listener_reaches_the_runtime) {
    TempDir dir;
    std::string path = dir / "d";
    // mkdir, close, wait4 and sendmsg are notified: the handoff must not need any of them
    // answered before the runtime has the listener.
    SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x.sock",
        "syscalls": [{"names": ["mkdir", "mkdirat", "close", "wait4", "sendmsg"],
                      "action": "SCMP_ACT_NOTIFY"}]})");
    BOOST_REQUIRE(p.notify);
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    UniqueFd parent_end(sv[0]), child_end(sv[1]);
    pid_t child = fork_child([&] {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 101;
        SyncChannel sync(child_end.get());
        load_seccomp_notify(p, sync);
        sync.send(SyncType::ready);
        return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
    });
    child_end.reset();
    SyncChannel sync(parent_end.get());
    SyncMessage m = sync.receive();
    BOOST_REQUIRE(m.type == SyncType::seccomp_listener);
    BOOST_REQUIRE(m.fd);
    // Answer everything: the child's close/wait4/sendmsg continue, its mkdir fails EXDEV.
    seccomp_notif_sizes sizes{};
    BOOST_REQUIRE(::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0);
    std::vector<char> req_buf(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    std::vector<char> resp_buf(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
    auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
    bool saw_mkdir = false;
    while (!saw_mkdir) {
        std::fill(req_buf.begin(), req_buf.end(), 0);
        BOOST_REQUIRE(::ioctl(m.fd.get(), SECCOMP_IOCTL_NOTIF_RECV, req) == 0);
        std::fill(resp_buf.begin(), resp_buf.end(), 0);
        resp->id = req->id;
        if (req->data.nr == __NR_mkdir || req->data.nr == __NR_mkdirat) {
            saw_mkdir = true;
            resp->error = -EXDEV;
        } else {
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        BOOST_REQUIRE(::ioctl(m.fd.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) == 0);
    }
    BOOST_TEST(wait_exit(child) == EXDEV);
    BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(send_listener_to_a_missing_socket_fails) {
    TempDir dir;
    SeccompProgram p;
    p.notify = true;
    p.listener_path = dir / "none.sock";
    BOOST_TEST(error_of<Error>([&] { send_seccomp_listener(p, 0, 1, spec::State{}); }) ==
               "linux.seccomp.listenerPath \"" + p.listener_path +
                   "\": failed to connect with seccomp agent: no such file or directory");
}

// Issue 14 item 15: a syscall newer than every one the profile names gets ENOSYS, not the
// default errno, so that the program falls back to an older one (glibc: clone3 -> clone).
BOOST_AUTO_TEST_CASE(syscalls_newer_than_the_profile_get_enosys) {
    TempDir dir;
    std::string path = dir / "d";
    // The largest name: io_uring_setup (425 on every arch), with an errno of its own.
    SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["exit", "exit_group"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]})");
    auto errno_of = [&](long nr) {
        return with_filter(p, [&] {
            if (nr == SYS_mkdirat) return ::mkdirat(AT_FDCWD, path.c_str(), 0755) == 0 ? 0 : errno;
            return ::syscall(nr, 0, 0, 0, 0, 0, 0) == 0 ? 0 : errno;
        });
    };
    BOOST_TEST(errno_of(SYS_clone3) == ENOSYS);   // 435: glibc falls back to clone
    BOOST_TEST(errno_of(SYS_io_uring_setup) == EXDEV);  // named: its rule
    BOOST_TEST(errno_of(SYS_mkdirat) == EPERM);   // older, not named: the default
    BOOST_TEST(!exists(path));
    // Killing defaults too: the newer syscall fails, the older one kills.
    SeccompProgram kill = compile(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
        {"names": ["exit", "exit_group", "io_uring_setup"], "action": "SCMP_ACT_ALLOW"}]})");
    auto clone3 = [] { return ::syscall(SYS_clone3, 0, 0) < 0 ? errno : 0; };
    auto mkdirat = [&] { return ::mkdirat(AT_FDCWD, path.c_str(), 0755); };
    BOOST_TEST(with_filter(kill, clone3) == ENOSYS);
    BOOST_TEST(with_filter(kill, mkdirat) == 128 + SIGSYS);
}

BOOST_AUTO_TEST_CASE(no_enosys_when_the_default_allows_traces_or_notifies) {
    uint32_t native = seccomp_arch_native();
    auto newest = [&](const std::string& head) {
        return run_bpf(compile(head + R"(, "syscalls": [{"names": ["exit_group"],
            "action": "SCMP_ACT_KILL_PROCESS"}]})").bpf, native, SYS_clone3);
    };
    BOOST_TEST(newest(R"({"defaultAction": "SCMP_ACT_ALLOW")") == SECCOMP_RET_ALLOW);
    BOOST_TEST(newest(R"({"defaultAction": "SCMP_ACT_LOG")") == SECCOMP_RET_LOG);
    BOOST_TEST(newest(R"({"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 7)") ==
               (SECCOMP_RET_TRACE | 7));
    BOOST_TEST(newest(R"({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/x")") ==
               SECCOMP_RET_USER_NOTIF);
    BOOST_TEST(newest(R"({"defaultAction": "SCMP_ACT_TRAP")") == kEnosys);
    // A default that is ENOSYS already needs no stub: the program is libseccomp's alone.
    std::string rules = R"(, "syscalls": [{"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"}]})";
    std::string head = R"({"defaultAction": "SCMP_ACT_ERRNO")";
    size_t enosys = compile(head + R"(, "defaultErrnoRet": 38)" + rules).bpf.size();
    size_t eperm = compile(head + rules).bpf.size();
    BOOST_TEST(enosys < eperm);
}

BOOST_AUTO_TEST_CASE(enosys_limit_counts_every_name) {
    uint32_t native = seccomp_arch_native();
    // A rule with the default action is left out of the filter but still names clone3;
    // unknown names count for nothing.
    SeccompProgram p = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["exit_group", "no_such_syscall_xyz"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
    BOOST_TEST(run_bpf(p.bpf, native, SYS_clone3) == kEperm);
    BOOST_TEST(run_bpf(p.bpf, native, SYS_clone3 + 1) == kEnosys);
    BOOST_TEST(run_bpf(p.bpf, native, SYS_exit_group) == SECCOMP_RET_ALLOW);
    // No name resolves: no limit to go by, the default for everything (as runc).
    SeccompProgram none = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["no_such_syscall_xyz"], "action": "SCMP_ACT_ALLOW"}]})");
    BOOST_TEST(run_bpf(none.bpf, native, SYS_clone3) == kEperm);
    // A long profile (libseccomp's binary tree) keeps the stub in front.
    std::string many = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)";
    for (const char* name :
         {"read", "write", "close", "fstat", "lseek", "mmap", "mprotect", "munmap", "brk",
          "ioctl", "pread64", "pwrite64", "readv", "writev", "pipe2", "dup", "dup3", "nanosleep",
          "getpid", "socket", "connect", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg",
          "shutdown", "bind", "listen", "getsockname", "getpeername", "socketpair", "setsockopt",
          "exit_group"})
        many += std::string(many.back() == '[' ? "" : ",") + R"({"names": [")" + name +
                R"("], "action": "SCMP_ACT_ALLOW"})";
    SeccompProgram tree = compile(many + "]}");
    BOOST_TEST(run_bpf(tree.bpf, native, SYS_clone3) == kEnosys);
    BOOST_TEST(run_bpf(tree.bpf, native, SYS_exit_group) == SECCOMP_RET_ALLOW);
    BOOST_TEST(run_bpf(tree.bpf, native, SYS_getpid) == SECCOMP_RET_ALLOW);
}

#if defined(__x86_64__)
// Each arch of the filter has its own limit: i386's numbers are not x86_64's, and x32
// (x86_64's AUDIT_ARCH with bit 30 set in the number) has its own.
BOOST_AUTO_TEST_CASE(enosys_limit_per_architecture) {
    constexpr uint32_t kI386 = AUDIT_ARCH_I386, kX86_64 = AUDIT_ARCH_X86_64;
    // exit_group: x86_64 231, i386 252, x32 231 | bit 30. mkdir: x86_64 83, i386 39.
    std::string rules =
        R"("syscalls": [{"names": ["read", "exit_group"], "action": "SCMP_ACT_ALLOW"}]})";
    SeccompProgram all = compile(R"({"defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], )" + rules);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, 231) == SECCOMP_RET_ALLOW);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, 232) == kEnosys);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, 83) == kEperm);
    BOOST_TEST(run_bpf(all.bpf, kI386, 252) == SECCOMP_RET_ALLOW);
    BOOST_TEST(run_bpf(all.bpf, kI386, 253) == kEnosys);
    BOOST_TEST(run_bpf(all.bpf, kI386, 232) == kEperm);  // above x86_64's limit, not i386's
    BOOST_TEST(run_bpf(all.bpf, kI386, 39) == kEperm);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, kX32 | 231) == SECCOMP_RET_ALLOW);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, kX32 | 232) == kEnosys);
    BOOST_TEST(run_bpf(all.bpf, kX86_64, kX32 | 83) == kEperm);
    // Without x32 or i386 in the profile, their calls get libseccomp's answer for a foreign
    // arch (it kills), never ENOSYS.
    SeccompProgram native = compile(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + rules);
    BOOST_TEST(run_bpf(native.bpf, kX86_64, 232) == kEnosys);
    BOOST_TEST(run_bpf(native.bpf, kX86_64, kX32 | 435) != kEnosys);
    BOOST_TEST(run_bpf(native.bpf, kI386, 435) == SECCOMP_RET_KILL_THREAD);
    BOOST_TEST(run_bpf(native.bpf, AUDIT_ARCH_AARCH64, 435) == SECCOMP_RET_KILL_THREAD);
}
#endif
