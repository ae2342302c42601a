// Unit tests of the pure parts of runtime/: mount options, capability names, namespace plans
// the config that `myrt spec` writes, and the runtime-init channel.
#define BOOST_TEST_MODULE runtime_misc
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/default_spec.hpp"
#include "runtime/error.hpp"
#include "runtime/fs/mounts.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/sync.hpp"
#include "runtime_helpers.hpp"
#include "spec/config.hpp"
#include "spec/parse_error.hpp"

using namespace myrt;
using namespace myrt::test;

// The expectations below name only the members that differ from the defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

struct ExpectedOptions {
    unsigned long flags = 0;
    unsigned long clear = 0;
    unsigned long propagation = 0;
    bool bind = false;
    bool recursive = false;
    std::string data;
};

void check_options(const std::vector<std::string>& options, const ExpectedOptions& want) {
    std::string shown;
    for (const auto& o : options) shown += (shown.empty() ? "" : ",") + o;
    BOOST_TEST_CONTEXT("options: " << shown) {
        MountOptions got = parse_mount_options(options);
        BOOST_TEST(got.flags == want.flags);
        BOOST_TEST(got.clear == want.clear);
        BOOST_TEST(got.propagation == want.propagation);
        BOOST_TEST(got.bind == want.bind);
        BOOST_TEST(got.recursive == want.recursive);
        BOOST_TEST(got.data == want.data);
    }
}

spec::Namespace ns(std::string type, std::optional<std::string> path = std::nullopt) {
    return spec::Namespace{std::move(type), std::move(path)};
}

std::string plan_error(const std::vector<spec::Namespace>& namespaces) {
    return error_of<Error>([&] { plan_namespaces(namespaces); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mount_options)

BOOST_AUTO_TEST_CASE(no_options) { check_options({}, {}); }

BOOST_AUTO_TEST_CASE(flags) {
    check_options({"ro", "nosuid", "nodev", "noexec", "relatime"},
                  {.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME});
    check_options({"strictatime"}, {.flags = MS_STRICTATIME});
    check_options({"noatime", "nodiratime"}, {.flags = MS_NOATIME | MS_NODIRATIME});
    check_options({"sync", "dirsync", "mand", "remount"},
                  {.flags = MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_REMOUNT});
    check_options({"rw", "suid", "dev", "exec", "async", "nomand", "atime", "diratime",
                   "norelatime", "nostrictatime"},
                  {.clear = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
                            MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                            MS_STRICTATIME});
}

BOOST_AUTO_TEST_CASE(last_of_a_pair_wins) {
    check_options({"ro", "rw"}, {.clear = MS_RDONLY});
    check_options({"rw", "ro"}, {.flags = MS_RDONLY});
    check_options({"nosuid", "ro", "suid"}, {.flags = MS_RDONLY, .clear = MS_NOSUID});
    check_options({"exec", "noexec", "exec"}, {.clear = MS_NOEXEC});
    check_options({"ro", "ro"}, {.flags = MS_RDONLY});
}

BOOST_AUTO_TEST_CASE(bind) {
    check_options({"bind"}, {.bind = true});
    check_options({"rbind"}, {.bind = true, .recursive = true});
    check_options({"bind", "rbind"}, {.bind = true, .recursive = true});
    check_options({"rbind", "bind"}, {.bind = true, .recursive = true});
    check_options({"rbind", "ro", "nosuid"},
                  {.flags = MS_RDONLY | MS_NOSUID, .bind = true, .recursive = true});
}

BOOST_AUTO_TEST_CASE(propagation) {
    const std::vector<std::pair<std::string, unsigned long>> cases{
        {"private", MS_PRIVATE},        {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},          {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},            {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (const auto& [name, flags] : cases) {
        BOOST_TEST(propagation_flags(name) == flags);
        check_options({name}, {.propagation = flags});
    }
    BOOST_TEST(propagation_flags("") == 0u);
    BOOST_TEST(propagation_flags("rbind") == 0u);
    BOOST_TEST(propagation_flags("Private") == 0u);
    // The last one wins; it is not a mount flag.
    check_options({"shared", "rbind", "rslave"},
                  {.propagation = MS_SLAVE | MS_REC, .bind = true, .recursive = true});
}

BOOST_AUTO_TEST_CASE(unknown_options_are_data_in_order) {
    check_options({"nosuid", "strictatime", "mode=755", "size=65536k"},
                  {.flags = MS_NOSUID | MS_STRICTATIME, .data = "mode=755,size=65536k"});
    check_options({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
                  {.flags = MS_NOSUID | MS_NOEXEC,
                   .data = "newinstance,ptmxmode=0666,mode=0620,gid=5"});
    check_options({"size=1g", "ro", "mode=1777"},
                  {.flags = MS_RDONLY, .data = "size=1g,mode=1777"});
    check_options({"lowerdir=/a:/b", "upperdir=/u", "workdir=/w"},
                  {.data = "lowerdir=/a:/b,upperdir=/u,workdir=/w"});
}

BOOST_AUTO_TEST_CASE(runtime_only_options_are_not_data) {
    check_options({"tmpcopyup"}, {});
    check_options({"mode=755", "tmpcopyup", "size=1m"}, {.data = "mode=755,size=1m"});
    check_options({"idmap", "ridmap", "defaults", "x-mount.mkdir", "x-anything=1", "uid=1"},
                  {.data = "uid=1"});
}

BOOST_AUTO_TEST_CASE(recursive_attributes) {
    MountOptions o = parse_mount_options({"rbind", "ro", "rro", "rnosuid", "rsuid", "rnoatime",
                                          "rexec", "rnosymfollow", "remount"});
    BOOST_TEST(o.attr.set == MOUNT_ATTR_RDONLY);
    BOOST_TEST(o.rattr.set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSYMFOLLOW));
    BOOST_TEST(o.rattr.clr == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
    BOOST_TEST(o.rattr.atime.value_or(~0ULL) == MOUNT_ATTR_NOATIME);
    BOOST_TEST(o.flags == (MS_RDONLY | MS_REMOUNT));  // rro is not a mount(2) flag
    BOOST_TEST(o.data.empty());
}

BOOST_AUTO_TEST_CASE(atime_modes) {
    BOOST_TEST(parse_mount_options({"noatime", "atime"}).attr.atime.value_or(~0ULL) ==
               MOUNT_ATTR_RELATIME);
    BOOST_TEST(parse_mount_options({"norelatime"}).attr.atime.value_or(~0ULL) ==
               MOUNT_ATTR_STRICTATIME);
    BOOST_TEST(parse_mount_options({"strictatime", "noatime"}).flags == MS_NOATIME);
    BOOST_TEST(parse_mount_options({"rstrictatime", "rnostrictatime"}).rattr.atime.value_or(~0ULL) ==
               MOUNT_ATTR_RELATIME);
    BOOST_TEST(!parse_mount_options({"ro"}).attr.atime);
}

BOOST_AUTO_TEST_CASE(superblock_flags_are_not_data) {
    MountOptions o = parse_mount_options({"iversion", "lazytime", "silent", "loud", "tmpcopyup"});
    BOOST_TEST(o.flags == (MS_I_VERSION | MS_LAZYTIME));
    BOOST_TEST(o.clear == MS_SILENT);
    BOOST_TEST(o.copy_up);
    BOOST_TEST(o.data.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(capabilities)

BOOST_AUTO_TEST_CASE(names_and_numbers) {
    BOOST_TEST(capability_from_name("CAP_CHOWN") == CAP_CHOWN);
    BOOST_TEST(capability_from_name("CAP_KILL") == CAP_KILL);
    BOOST_TEST(capability_from_name("CAP_NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
    BOOST_TEST(capability_from_name("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
    BOOST_TEST(capability_from_name("CAP_SYS_ADMIN") == 21);
    BOOST_TEST(capability_from_name("CAP_AUDIT_WRITE") == CAP_AUDIT_WRITE);
    BOOST_TEST(capability_from_name("CAP_AUDIT_READ") == CAP_AUDIT_READ);
    BOOST_TEST(capability_from_name("CAP_PERFMON") == 38);
    BOOST_TEST(capability_from_name("CAP_BPF") == 39);
    BOOST_TEST(capability_from_name("CAP_CHECKPOINT_RESTORE") == 40);

    BOOST_TEST(capability_name(CAP_SYS_ADMIN) == "CAP_SYS_ADMIN");
    BOOST_TEST(capability_name(0) == "CAP_CHOWN");
    BOOST_TEST(capability_name(40) == "CAP_CHECKPOINT_RESTORE");
    BOOST_TEST(capability_name(41) == "CAP_41");
    BOOST_TEST(capability_name(63) == "CAP_63");
    BOOST_TEST(capability_name(-1) == "CAP_-1");
}

BOOST_AUTO_TEST_CASE(unknown_names) {
    for (const char* name : {"CAP_FOO", "cap_sys_admin", "SYS_ADMIN", "CAP_", "", "CAP_SYS_ADMIN ",
                             "CAP_41", "21"}) {
        BOOST_TEST_CONTEXT("name: \"" << name << "\"") {
            BOOST_TEST(capability_from_name(name) == -1);
        }
    }
}

BOOST_AUTO_TEST_CASE(known_names_round_trip) {
    auto names = known_capabilities();
    BOOST_TEST(names.size() == 41u);
    for (size_t i = 0; i < names.size(); ++i) {
        BOOST_TEST(capability_from_name(names[i]) == static_cast<int>(i));
        BOOST_TEST(capability_name(static_cast<int>(i)) == names[i]);
    }
}

BOOST_AUTO_TEST_CASE(last_capability_is_the_kernels) {
    std::ifstream f("/proc/sys/kernel/cap_last_cap");
    int last = -1;
    f >> last;
    BOOST_TEST(last_capability() == last);
}

BOOST_AUTO_TEST_CASE(masks) {
    BOOST_TEST(capability_mask(std::nullopt) == 0u);
    BOOST_TEST(capability_mask(std::vector<std::string>{}) == 0u);
    BOOST_TEST(capability_mask(std::vector<std::string>{"CAP_KILL", "CAP_FOO", "CAP_AUDIT_WRITE",
                                                        "CAP_KILL", "cap_chown",
                                                        "CAP_NET_BIND_SERVICE"}) ==
               (uint64_t{1} << CAP_KILL | uint64_t{1} << CAP_AUDIT_WRITE |
                uint64_t{1} << CAP_NET_BIND_SERVICE));
    // Capabilities past the running kernel's last one are skipped like unknown names.
    uint64_t newest = last_capability() >= 40 ? uint64_t{1} << 40 : 0;
    BOOST_TEST(capability_mask(std::vector<std::string>{"CAP_CHECKPOINT_RESTORE"}) == newest);
    BOOST_TEST(capability_mask(std::vector<std::string>{"CAP_CHOWN"}) == 1u);
}

BOOST_AUTO_TEST_CASE(resolve_all_five_sets) {
    spec::Capabilities caps;
    caps.bounding = std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"};
    caps.effective = std::vector<std::string>{"CAP_KILL"};
    caps.permitted = std::vector<std::string>{"CAP_CHOWN", "CAP_NOPE"};
    caps.ambient = std::vector<std::string>{"CAP_SYS_ADMIN"};
    CapabilitySets sets = resolve_capabilities(caps);
    BOOST_TEST(sets.bounding == (uint64_t{1} << CAP_CHOWN | uint64_t{1} << CAP_KILL));
    BOOST_TEST(sets.effective == uint64_t{1} << CAP_KILL);
    BOOST_TEST(sets.permitted == uint64_t{1} << CAP_CHOWN);
    BOOST_TEST(sets.inheritable == 0u);
    BOOST_TEST(sets.ambient == uint64_t{1} << CAP_SYS_ADMIN);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(namespaces)

BOOST_AUTO_TEST_CASE(types) {
    const std::vector<std::tuple<std::string, std::string, int>> types{
        {"user", "user", CLONE_NEWUSER}, {"pid", "pid", CLONE_NEWPID},
        {"network", "net", CLONE_NEWNET}, {"ipc", "ipc", CLONE_NEWIPC},
        {"uts", "uts", CLONE_NEWUTS},     {"mount", "mnt", CLONE_NEWNS},
        {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
    };
    for (const auto& [type, proc, flag] : types) {
        BOOST_TEST(namespace_flag(type) == flag);
        BOOST_TEST(std::string(namespace_proc_name(type)) == proc);
    }
    BOOST_TEST(namespace_flag("net") == 0);
    BOOST_TEST(namespace_flag("") == 0);
    BOOST_TEST(std::string(namespace_proc_name("foo")).empty());
}

BOOST_AUTO_TEST_CASE(clone_flags_per_type) {
    const std::vector<std::pair<std::string, int>> cloned{
        {"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET},
        {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"mount", CLONE_NEWNS},
    };
    for (const auto& [type, flag] : cloned) {
        BOOST_TEST_CONTEXT("type: " << type) {
            NamespacePlan plan = plan_namespaces({ns(type)});
            BOOST_TEST(plan.clone_flags == flag);
            BOOST_TEST(plan.new_user == (type == "user"));
            BOOST_TEST(!plan.new_cgroup);
            BOOST_TEST(!plan.new_time);
            BOOST_TEST(plan.join.empty());
            BOOST_TEST(plan.has(type));
        }
    }
    // cgroup and time namespaces are unshared by init, not cloned.
    NamespacePlan cgroup = plan_namespaces({ns("cgroup")});
    BOOST_TEST(cgroup.clone_flags == 0);
    BOOST_TEST(cgroup.new_cgroup);
    BOOST_TEST(!cgroup.new_time);
    NamespacePlan time = plan_namespaces({ns("time", "")});  // empty path: a new one
    BOOST_TEST(time.clone_flags == 0);
    BOOST_TEST(time.new_time);
    BOOST_TEST(!time.new_cgroup);
}

BOOST_AUTO_TEST_CASE(all_types) {
    NamespacePlan plan = plan_namespaces({ns("pid"), ns("network"), ns("ipc"), ns("uts"),
                                          ns("mount"), ns("cgroup"), ns("time"), ns("user")});
    BOOST_TEST(plan.clone_flags == (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                                    CLONE_NEWNS | CLONE_NEWUSER));
    BOOST_TEST(plan.new_cgroup);
    BOOST_TEST(plan.new_time);
    BOOST_TEST(plan.new_user);
    BOOST_TEST(plan.types == (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount",
                                                       "cgroup", "time", "user"}),
               boost::test_tools::per_element());
    BOOST_TEST(!plan.has("foo"));

    NamespacePlan none = plan_namespaces({});
    BOOST_TEST(none.clone_flags == 0);
    BOOST_TEST(none.types.empty());
    BOOST_TEST(!none.has("pid"));
}

BOOST_AUTO_TEST_CASE(unknown_type) {
    BOOST_TEST(plan_error({ns("foo")}) == R"(linux.namespaces[0].type: unknown namespace type "foo")");
    BOOST_TEST(plan_error({ns("pid"), ns("net")}) ==
               R"(linux.namespaces[1].type: unknown namespace type "net")");
    BOOST_TEST(plan_error({ns("")}) == R"(linux.namespaces[0].type: unknown namespace type "")");
}

BOOST_AUTO_TEST_CASE(bad_paths) {
    BOOST_TEST(plan_error({ns("network", "/nonexistent/netns")}) ==
               R"(linux.namespaces[0].path "/nonexistent/netns": no such file or directory)");
    BOOST_TEST(plan_error({ns("pid", "/proc/self/ns/net")}) ==
               R"(linux.namespaces[0].path "/proc/self/ns/net": not a pid namespace)");
    BOOST_TEST(plan_error({ns("mount"), ns("user", "/proc/self/ns/mnt")}) ==
               R"(linux.namespaces[1].path "/proc/self/ns/mnt": not a user namespace)");
    TempDir tmp;
    std::ofstream(tmp / "file") << "x";
    BOOST_TEST(plan_error({ns("network", tmp / "file")}) ==
               "linux.namespaces[0].path \"" + (tmp / "file") + "\": not a network namespace");
}

BOOST_AUTO_TEST_CASE(joins_with_user_first) {
    NamespacePlan plan =
        plan_namespaces({ns("network", "/proc/self/ns/net"), ns("mount"),
                         ns("ipc", "/proc/self/ns/ipc"), ns("user", "/proc/self/ns/user"),
                         ns("pid", "/proc/self/ns/pid")});
    BOOST_TEST(plan.clone_flags == CLONE_NEWNS);
    BOOST_TEST(!plan.new_user);  // joined, not created
    BOOST_TEST(plan.types == (std::vector<std::string>{"network", "mount", "ipc", "user", "pid"}),
               boost::test_tools::per_element());
    std::vector<std::string> order;
    for (const auto& [type, fd] : plan.join) {
        order.push_back(type);
        BOOST_TEST(::fcntl(fd.get(), F_GETFD) == FD_CLOEXEC);
    }
    BOOST_TEST(order == (std::vector<std::string>{"user", "network", "ipc", "pid"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(default_spec)

BOOST_AUTO_TEST_CASE(round_trips_and_validates) {
    for (bool rootless : {false, true}) {
        BOOST_TEST_CONTEXT("rootless: " << rootless) {
            spec::Config config = default_config(rootless);
            std::string json = spec::to_json(config);
            spec::Config parsed;
            BOOST_REQUIRE_NO_THROW(parsed = spec::parse_config(json));
            BOOST_TEST(error_of([&] { spec::validate(parsed); }) == "<no error>");
            BOOST_TEST(spec::to_json(parsed) == json);
        }
    }
}

BOOST_AUTO_TEST_CASE(contents) {
    spec::Config root = default_config(false);
    BOOST_REQUIRE(root.process.has_value());
    BOOST_TEST(root.process->args == std::vector<std::string>{"sh"}, boost::test_tools::per_element());
    BOOST_TEST(root.process->terminal);
    BOOST_REQUIRE(root.root.has_value());
    BOOST_TEST(root.root->path == "rootfs");
    BOOST_REQUIRE(root.linux.has_value());
    NamespacePlan plan = plan_namespaces(root.linux->namespaces);
    BOOST_TEST(!plan.new_user);
    BOOST_TEST(!plan.new_cgroup);  // runc spec's shape: no cgroup namespace unless --cgroupns
    BOOST_TEST(!root.linux->seccomp.has_value());
    BOOST_REQUIRE(root.linux->resources.has_value());
    BOOST_TEST(root.linux->resources->devices.size() == 1u);
    BOOST_TEST(root.linux->uidMappings.empty());
    bool cgroup_mount = false;
    for (const auto& m : root.mounts) cgroup_mount |= m.destination == "/sys/fs/cgroup";
    BOOST_TEST(cgroup_mount);

    spec::Config rootless = default_config(true);
    BOOST_REQUIRE(rootless.linux.has_value());
    BOOST_TEST(plan_namespaces(rootless.linux->namespaces).new_user);
    BOOST_TEST(!plan_namespaces(rootless.linux->namespaces).has("network"));  // as runc's
    BOOST_REQUIRE(rootless.linux->uidMappings.size() == 1u);
    BOOST_TEST(rootless.linux->uidMappings[0].containerID == 0u);
    BOOST_TEST(rootless.linux->uidMappings[0].hostID == ::getuid());
    BOOST_TEST(rootless.linux->uidMappings[0].size == 1u);
    BOOST_REQUIRE(rootless.linux->gidMappings.size() == 1u);
    BOOST_TEST(rootless.linux->gidMappings[0].hostID == ::getgid());
    for (const auto& m : rootless.mounts) {
        BOOST_TEST(m.destination != "/sys/fs/cgroup");
        if (m.destination == "/sys") BOOST_TEST(parse_mount_options(m.options).recursive);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sync_channel)

namespace {

// A SOCK_SEQPACKET pair like create's; `sender` runs in a forked child on one end.
template <typename F>
SyncMessage receive_from_child(F sender) {
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    UniqueFd mine(sv[0]), theirs(sv[1]);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        mine.reset();
        try {
            sender(SyncChannel(theirs.get()));
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    theirs.reset();
    SyncMessage m;
    std::optional<Error> failed;
    try {
        m = SyncChannel(mine.get()).receive();
    } catch (const Error& e) {
        failed = e;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (failed) throw *failed;
    BOOST_TEST(status == 0);
    return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(payloads_of_any_size_arrive_whole) {
    // Around one message's worth (32 KiB) and well beyond the socket buffer.
    for (size_t size : {0ul, 1ul, 32767ul, 32768ul, 32769ul, 65536ul, 102400ul, 3ul << 20}) {
        std::string payload(size, '\0');
        for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
        SyncMessage m = receive_from_child(
            [&](const SyncChannel& c) { c.send(SyncType::go, payload, 7); });
        BOOST_TEST_CONTEXT("size " << size) {
            BOOST_TEST((m.type == SyncType::go));
            BOOST_TEST(m.err == 7);
            BOOST_TEST(m.payload.size() == size);
            BOOST_TEST((m.payload == payload));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_descriptor_rides_along_a_large_payload) {
    std::string payload(100000, 'x');
    SyncMessage m = receive_from_child([&](const SyncChannel& c) {
        UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        c.send(SyncType::namespace_fd, payload, 0, fd.get());
    });
    BOOST_TEST((m.payload == payload));
    BOOST_TEST(static_cast<bool>(m.fd));
}

BOOST_AUTO_TEST_CASE(a_peer_gone_mid_message_is_an_error_not_eof) {
    // Only the header and the first chunk of a 100000-byte payload, then the peer exits.
    try {
        receive_from_child([](const SyncChannel&) {});
        BOOST_FAIL("EOF expected");
    } catch (const Error& e) {
        BOOST_TEST(e.code() == ECHILD);  // a clean EOF between messages
    }
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    UniqueFd a(sv[0]), b(sv[1]);
    struct {
        uint32_t type;
        int32_t err;
        uint64_t size;
    } header{1, 0, 100000};
    BOOST_REQUIRE(::send(b.get(), &header, sizeof header, 0) == sizeof header);
    b.reset();
    try {
        SyncChannel(a.get()).receive();
        BOOST_FAIL("an error expected");
    } catch (const Error& e) {
        BOOST_TEST(e.code() != ECHILD);
    }
}

BOOST_AUTO_TEST_SUITE_END()
