// Unit tests of spec/config: parse_config, validate, load_config, to_json.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

#include <rapidjson/document.h>

#include "errors.hpp"
#include "spec/config.hpp"

using namespace myrt::spec;
using myrt::test::Case;
using myrt::test::check_cases;
using myrt::test::error_of;

namespace {

// Every member of config.hpp, each with a value that to_json writes back (no false bools or
// other omitted defaults), so that the round trip can be checked document against document.
const char* const full_config = R"({
    "ociVersion": "1.3.0",
    "root": {"path": "rootfs", "readonly": true},
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/data", "type": "none", "source": "/volumes/data",
         "options": ["rbind", "rw", "idmap"],
         "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
         "gidMappings": [{"containerID": 1, "hostID": 200000, "size": 1000}]}
    ],
    "process": {
        "terminal": true,
        "consoleSize": {"height": 25, "width": 80},
        "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [5, 6], "username": "alice"},
        "args": ["sh", "-c", "echo \"hi\""],
        "commandLine": "sh -c hi",
        "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
        "cwd": "/root",
        "capabilities": {
            "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"],
            "effective": ["CAP_KILL"],
            "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL"],
            "inheritable": [],
            "ambient": ["CAP_NET_BIND_SERVICE"]
        },
        "rlimits": [
            {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 18446744073709551615}
        ],
        "noNewPrivileges": true,
        "apparmorProfile": "acme_secure_profile",
        "oomScoreAdj": -500,
        "selinuxLabel": "system_u:system_r:svirt_lxc_net_t:s0:c124,c675",
        "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 4},
        "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 10,
                      "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 10000000,
                      "deadline": 20000000, "period": 30000000},
        "execCPUAffinity": {"initial": "7", "final": "0-3,7"}
    },
    "hostname": "slartibartfast",
    "domainname": "example.test",
    "hooks": {
        "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix-mounts", "arg1"],
                      "env": ["key1=value1"]}],
        "createRuntime": [{"path": "/usr/bin/setup-network", "timeout": 3}],
        "createContainer": [{"path": "/usr/bin/mount-hook"}],
        "startContainer": [{"path": "/usr/bin/refresh-ldcache"}],
        "poststart": [{"path": "/usr/bin/notify-start", "timeout": 5}],
        "poststop": [{"path": "/usr/sbin/cleanup.sh", "args": ["cleanup.sh", "-f"]}]
    },
    "annotations": {"com.example.key1": "value1", "com.example.key2": ""},
    "linux": {
        "namespaces": [
            {"type": "pid"}, {"type": "network", "path": "/var/run/netns/neta"},
            {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
            {"type": "cgroup"}, {"type": "time"}
        ],
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
        "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 16000}],
        "timeOffsets": {"monotonic": {"secs": 172800, "nanosecs": 0},
                        "boottime": {"secs": -604800, "nanosecs": 500}},
        "devices": [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438,
             "uid": 0, "gid": 0},
            {"path": "/dev/fifo", "type": "p"}
        ],
        "netDevices": {"eth0": {"name": "container_eth0"}, "eth1": {}},
        "cgroupsPath": "/myRuntime/myContainer",
        "resources": {
            "devices": [
                {"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}
            ],
            "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                       "kernel": -1, "kernelTCP": -1, "swappiness": 60,
                       "disableOOMKiller": false, "useHierarchy": true,
                       "checkBeforeUpdate": true},
            "cpu": {"shares": 1024, "quota": 1000000, "burst": 500000, "period": 500000,
                    "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "2-3",
                    "mems": "0-7", "idle": 1},
            "pids": {"limit": 32771},
            "blockIO": {
                "weight": 10, "leafWeight": 20,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                                 {"major": 8, "minor": 16, "weight": 500}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
                "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 700}],
                "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 800}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]
            },
            "hugepageLimits": [{"pageSize": "2MB", "limit": 9223372036854772000},
                               {"pageSize": "64KB", "limit": 1000000}],
            "network": {"classID": 1048577,
                        "priorities": [{"name": "eth0", "priority": 500},
                                       {"name": "eth1", "priority": 1000}]},
            "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000},
                     "mlx4_0": {"hcaObjects": 1000}},
            "unified": {"io.max": "259:0 rbps=2097152 wiops=120", "hugetlb.1GB.max": "1073741824"}
        },
        "rootfsPropagation": "slave",
        "seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "listenerPath": "/run/seccomp-agent.sock",
            "listenerMetadata": "MKNOD=/dev/null",
            "syscalls": [
                {"names": ["getcwd", "chmod"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                 "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                          {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]}
            ]
        },
        "sysctl": {"net.ipv4.ip_forward": "1", "net.core.somaxconn": "256"},
        "maskedPaths": ["/proc/kcore", "/proc/latency_stats"],
        "readonlyPaths": ["/proc/asound", "/proc/bus"],
        "mountLabel": "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
        "intelRdt": {"closID": "guaranteed_group", "schemata": ["L3:0=7f0;1=1f", "MB:0=20;1=70"],
                     "l3CacheSchema": "L3:0=7f0;1=1f", "memBwSchema": "MB:0=20;1=70",
                     "enableMonitoring": true},
        "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "2-3", "flags": ["MPOL_F_STATIC_NODES"]},
        "personality": {"domain": "LINUX32"}
    }
})";

using Strings = std::vector<std::string>;

std::string parse_error(const std::string& json) {
    return error_of([&] { parse_config(json); });
}

std::string validate_error(const std::string& json) {
    Config c = parse_config(json);
    return error_of([&] { validate(c); });
}

// A minimal valid config (without process) plus extra top-level members.
std::string doc(const std::string& members = "") {
    std::string s = R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"})";
    if (!members.empty()) s += ", " + members;
    return s + "}";
}

// doc() with a valid process whose object gets `members` added.
std::string with_process(const std::string& members) {
    std::string process = R"("process": {"cwd": "/", "args": ["sh"])";
    if (!members.empty()) process += ", " + members;
    return doc(process + "}");
}

// doc() with a linux object made of `members`.
std::string with_linux(const std::string& members) {
    return doc(R"("linux": {)" + members + "}");
}

// with_linux() with a network namespace and `devices` as netDevices.
std::string net_devices(const std::string& devices) {
    return with_linux(R"("namespaces": [{"type": "network"}], "netDevices": )" + devices);
}

std::string with_resources(const std::string& members) {
    return with_linux(R"("resources": {)" + members + "}");
}

rapidjson::Document dom(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    return d;
}

std::string temp_file(const std::string& contents) {
    char name[] = "/tmp/myrt-test-config-XXXXXX";
    int fd = mkstemp(name);
    BOOST_REQUIRE(fd >= 0);
    BOOST_REQUIRE(write(fd, contents.data(), contents.size()) == ssize_t(contents.size()));
    close(fd);
    return name;
}

}  // namespace

BOOST_AUTO_TEST_CASE(full_config_values) {
    Config c = parse_config(full_config);
    BOOST_TEST(c.ociVersion == "1.3.0");
    BOOST_REQUIRE(c.root);
    BOOST_TEST(c.root->path == "rootfs");
    BOOST_TEST(c.root->readonly);

    BOOST_REQUIRE(c.mounts.size() == 2u);
    BOOST_TEST(c.mounts[0].destination == "/proc");
    BOOST_TEST(c.mounts[0].type.value() == "proc");
    BOOST_TEST(c.mounts[0].source.value() == "proc");
    BOOST_TEST(c.mounts[0].options.empty());
    BOOST_TEST(c.mounts[1].options == (Strings{"rbind", "rw", "idmap"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(c.mounts[1].uidMappings.size() == 1u);
    BOOST_TEST(c.mounts[1].uidMappings[0].hostID == 100000u);
    BOOST_TEST(c.mounts[1].uidMappings[0].size == 65536u);
    BOOST_TEST(c.mounts[1].gidMappings[0].containerID == 1u);

    BOOST_REQUIRE(c.process);
    const Process& p = *c.process;
    BOOST_TEST(p.terminal);
    BOOST_TEST(p.consoleSize->height == 25u);
    BOOST_TEST(p.consoleSize->width == 80u);
    BOOST_TEST(p.user.uid == 1u);
    BOOST_TEST(p.user.gid == 2u);
    BOOST_TEST(p.user.umask.value() == 18u);
    BOOST_TEST(p.user.additionalGids == (std::vector<uint32_t>{5, 6}),
               boost::test_tools::per_element());
    BOOST_TEST(p.user.username.value() == "alice");
    BOOST_TEST(p.args == (Strings{"sh", "-c", "echo \"hi\""}), boost::test_tools::per_element());
    BOOST_TEST(p.commandLine.value() == "sh -c hi");
    BOOST_TEST(p.env == (Strings{"PATH=/usr/bin:/bin", "TERM=xterm"}),
               boost::test_tools::per_element());
    BOOST_TEST(p.cwd == "/root");
    BOOST_REQUIRE(p.capabilities);
    BOOST_TEST(*p.capabilities->bounding == (Strings{"CAP_AUDIT_WRITE", "CAP_KILL"}),
               boost::test_tools::per_element());
    BOOST_TEST(*p.capabilities->effective == Strings{"CAP_KILL"}, boost::test_tools::per_element());
    BOOST_TEST(p.capabilities->permitted->size() == 2u);
    BOOST_REQUIRE(p.capabilities->inheritable.has_value());  // present but empty
    BOOST_TEST(p.capabilities->inheritable->empty());
    BOOST_TEST(*p.capabilities->ambient == Strings{"CAP_NET_BIND_SERVICE"},
               boost::test_tools::per_element());
    BOOST_REQUIRE(p.rlimits.size() == 2u);
    BOOST_TEST(p.rlimits[0].type == "RLIMIT_NOFILE");
    BOOST_TEST(p.rlimits[0].soft == 1024u);
    BOOST_TEST(p.rlimits[0].hard == 4096u);
    BOOST_TEST(p.rlimits[1].hard == std::numeric_limits<uint64_t>::max());
    BOOST_TEST(p.noNewPrivileges);
    BOOST_TEST(p.apparmorProfile.value() == "acme_secure_profile");
    BOOST_TEST(p.oomScoreAdj.value() == -500);
    BOOST_TEST(p.selinuxLabel.value() == "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
    BOOST_TEST(p.ioPriority->klass == "IOPRIO_CLASS_IDLE");
    BOOST_TEST(p.ioPriority->priority == 4);
    BOOST_TEST(p.scheduler->policy == "SCHED_DEADLINE");
    BOOST_TEST(p.scheduler->nice.value() == -5);
    BOOST_TEST(p.scheduler->priority.value() == 10);
    BOOST_TEST(p.scheduler->flags == Strings{"SCHED_FLAG_RESET_ON_FORK"},
               boost::test_tools::per_element());
    BOOST_TEST(p.scheduler->runtime.value() == 10000000u);
    BOOST_TEST(p.scheduler->deadline.value() == 20000000u);
    BOOST_TEST(p.scheduler->period.value() == 30000000u);
    BOOST_TEST(p.execCPUAffinity->initial.value() == "7");
    BOOST_TEST(p.execCPUAffinity->final.value() == "0-3,7");

    BOOST_TEST(c.hostname.value() == "slartibartfast");
    BOOST_TEST(c.domainname.value() == "example.test");

    BOOST_REQUIRE(c.hooks);
    BOOST_REQUIRE(c.hooks->prestart.size() == 1u);
    BOOST_TEST(c.hooks->prestart[0].path == "/usr/bin/fix-mounts");
    BOOST_TEST(c.hooks->prestart[0].args == (Strings{"fix-mounts", "arg1"}),
               boost::test_tools::per_element());
    BOOST_TEST(c.hooks->prestart[0].env == Strings{"key1=value1"},
               boost::test_tools::per_element());
    BOOST_TEST(!c.hooks->prestart[0].timeout);
    BOOST_TEST(c.hooks->createRuntime[0].timeout.value() == 3);
    BOOST_TEST(c.hooks->createContainer[0].path == "/usr/bin/mount-hook");
    BOOST_TEST(c.hooks->startContainer[0].path == "/usr/bin/refresh-ldcache");
    BOOST_TEST(c.hooks->poststart[0].timeout.value() == 5);
    BOOST_TEST(c.hooks->poststop[0].args.size() == 2u);

    BOOST_TEST(c.annotations.size() == 2u);
    BOOST_TEST(c.annotations.at("com.example.key1") == "value1");
    BOOST_TEST(c.annotations.at("com.example.key2") == "");

    BOOST_REQUIRE(c.linux);
    const Linux& l = *c.linux;
    BOOST_REQUIRE(l.namespaces.size() == 8u);
    BOOST_TEST(l.namespaces[1].type == "network");
    BOOST_TEST(l.namespaces[1].path.value() == "/var/run/netns/neta");
    BOOST_TEST(!l.namespaces[0].path);
    BOOST_TEST(l.uidMappings[0].size == 32000u);
    BOOST_TEST(l.gidMappings[0].hostID == 2000u);
    BOOST_TEST(l.timeOffsets.size() == 2u);
    BOOST_TEST(l.timeOffsets.at("boottime").secs == -604800);
    BOOST_TEST(l.timeOffsets.at("boottime").nanosecs == 500u);
    BOOST_TEST(l.timeOffsets.at("monotonic").secs == 172800);
    BOOST_REQUIRE(l.devices.size() == 2u);
    BOOST_TEST(l.devices[0].type == "c");
    BOOST_TEST(l.devices[0].path == "/dev/fuse");
    BOOST_TEST(l.devices[0].major.value() == 10);
    BOOST_TEST(l.devices[0].minor.value() == 229);
    BOOST_TEST(l.devices[0].fileMode.value() == 438u);
    BOOST_TEST(l.devices[0].uid.value() == 0u);
    BOOST_TEST(l.devices[0].gid.value() == 0u);
    BOOST_TEST(!l.devices[1].major);
    BOOST_TEST(l.netDevices.at("eth0").name.value() == "container_eth0");
    BOOST_TEST(!l.netDevices.at("eth1").name);
    BOOST_TEST(l.cgroupsPath.value() == "/myRuntime/myContainer");

    BOOST_REQUIRE(l.resources);
    const Resources& r = *l.resources;
    BOOST_REQUIRE(r.devices.size() == 2u);
    BOOST_TEST(!r.devices[0].allow);
    BOOST_TEST(!r.devices[0].type);
    BOOST_TEST(r.devices[0].access.value() == "rwm");
    BOOST_TEST(r.devices[1].allow);
    BOOST_TEST(r.devices[1].type.value() == "c");
    BOOST_TEST(r.devices[1].major.value() == 10);
    BOOST_TEST(r.devices[1].minor.value() == 229);
    BOOST_TEST(r.memory->limit.value() == 536870912);
    BOOST_TEST(r.memory->reservation.value() == 268435456);
    BOOST_TEST(r.memory->swap.value() == 1073741824);
    BOOST_TEST(r.memory->kernel.value() == -1);
    BOOST_TEST(r.memory->kernelTCP.value() == -1);
    BOOST_TEST(r.memory->swappiness.value() == 60u);
    BOOST_TEST(r.memory->disableOOMKiller.value() == false);
    BOOST_TEST(r.memory->useHierarchy.value() == true);
    BOOST_TEST(r.memory->checkBeforeUpdate.value() == true);
    BOOST_TEST(r.cpu->shares.value() == 1024u);
    BOOST_TEST(r.cpu->quota.value() == 1000000);
    BOOST_TEST(r.cpu->burst.value() == 500000u);
    BOOST_TEST(r.cpu->period.value() == 500000u);
    BOOST_TEST(r.cpu->realtimeRuntime.value() == 950000);
    BOOST_TEST(r.cpu->realtimePeriod.value() == 1000000u);
    BOOST_TEST(r.cpu->cpus.value() == "2-3");
    BOOST_TEST(r.cpu->mems.value() == "0-7");
    BOOST_TEST(r.cpu->idle.value() == 1);
    BOOST_TEST(r.pids->limit.value() == 32771);
    BOOST_TEST(r.blockIO->weight.value() == 10u);
    BOOST_TEST(r.blockIO->leafWeight.value() == 20u);
    BOOST_REQUIRE(r.blockIO->weightDevice.size() == 2u);
    BOOST_TEST(r.blockIO->weightDevice[0].leafWeight.value() == 300u);
    BOOST_TEST(!r.blockIO->weightDevice[1].leafWeight);
    BOOST_TEST(r.blockIO->weightDevice[1].minor == 16);
    BOOST_TEST(r.blockIO->throttleReadBpsDevice[0].rate == 600u);
    BOOST_TEST(r.blockIO->throttleWriteBpsDevice[0].rate == 700u);
    BOOST_TEST(r.blockIO->throttleReadIOPSDevice[0].rate == 800u);
    BOOST_TEST(r.blockIO->throttleWriteIOPSDevice[0].minor == 16);
    BOOST_REQUIRE(r.hugepageLimits.size() == 2u);
    BOOST_TEST(r.hugepageLimits[0].pageSize == "2MB");
    BOOST_TEST(r.hugepageLimits[0].limit == 9223372036854772000u);
    BOOST_TEST(r.network->classID.value() == 1048577u);
    BOOST_TEST(r.network->priorities[1].name == "eth1");
    BOOST_TEST(r.network->priorities[1].priority == 1000u);
    BOOST_TEST(r.rdma.at("mlx5_1").hcaHandles.value() == 3u);
    BOOST_TEST(r.rdma.at("mlx5_1").hcaObjects.value() == 10000u);
    BOOST_TEST(!r.rdma.at("mlx4_0").hcaHandles);
    BOOST_TEST(r.unified.at("hugetlb.1GB.max") == "1073741824");

    BOOST_TEST(l.rootfsPropagation.value() == "slave");
    BOOST_REQUIRE(l.seccomp);
    const Seccomp& s = *l.seccomp;
    BOOST_TEST(s.defaultAction == "SCMP_ACT_ERRNO");
    BOOST_TEST(s.defaultErrnoRet.value() == 1u);
    BOOST_TEST(s.architectures.size() == 3u);
    BOOST_TEST(s.flags == Strings{"SECCOMP_FILTER_FLAG_LOG"}, boost::test_tools::per_element());
    BOOST_TEST(s.listenerPath.value() == "/run/seccomp-agent.sock");
    BOOST_TEST(s.listenerMetadata.value() == "MKNOD=/dev/null");
    BOOST_REQUIRE(s.syscalls.size() == 2u);
    BOOST_TEST(s.syscalls[0].names == (Strings{"getcwd", "chmod"}),
               boost::test_tools::per_element());
    BOOST_TEST(!s.syscalls[0].errnoRet);
    BOOST_TEST(s.syscalls[1].errnoRet.value() == 38u);
    BOOST_REQUIRE(s.syscalls[1].args.size() == 2u);
    BOOST_TEST(s.syscalls[1].args[0].op == "SCMP_CMP_EQ");
    BOOST_TEST(s.syscalls[1].args[0].value == 8u);
    BOOST_TEST(!s.syscalls[1].args[0].valueTwo);
    BOOST_TEST(s.syscalls[1].args[1].index == 1u);
    BOOST_TEST(s.syscalls[1].args[1].valueTwo.value() == 4u);

    BOOST_TEST(l.sysctl.at("net.core.somaxconn") == "256");
    BOOST_TEST(l.maskedPaths == (Strings{"/proc/kcore", "/proc/latency_stats"}),
               boost::test_tools::per_element());
    BOOST_TEST(l.readonlyPaths == (Strings{"/proc/asound", "/proc/bus"}),
               boost::test_tools::per_element());
    BOOST_TEST(l.mountLabel.value() == "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
    BOOST_TEST(l.intelRdt->closID.value() == "guaranteed_group");
    BOOST_TEST(l.intelRdt->schemata.size() == 2u);
    BOOST_TEST(l.intelRdt->l3CacheSchema.value() == "L3:0=7f0;1=1f");
    BOOST_TEST(l.intelRdt->memBwSchema.value() == "MB:0=20;1=70");
    BOOST_TEST(l.intelRdt->enableMonitoring.value() == true);
    BOOST_TEST(l.memoryPolicy->mode == "MPOL_INTERLEAVE");
    BOOST_TEST(l.memoryPolicy->nodes.value() == "2-3");
    BOOST_TEST(l.memoryPolicy->flags == Strings{"MPOL_F_STATIC_NODES"},
               boost::test_tools::per_element());
    BOOST_TEST(l.personality->domain == "LINUX32");
    BOOST_TEST(l.personality->flags.empty());

    BOOST_CHECK_NO_THROW(validate(c));
}

BOOST_AUTO_TEST_CASE(round_trip_keeps_every_member) {
    Config c = parse_config(full_config);
    for (bool pretty : {true, false}) {
        std::string out = to_json(c, pretty);
        // Document equality (member order aside): nothing read was lost or changed.
        BOOST_TEST((dom(out) == dom(full_config)));
        BOOST_TEST(to_json(parse_config(out), false) == to_json(c, false));
    }
    BOOST_TEST(to_json(c, false).find('\n') == std::string::npos);
    BOOST_TEST(to_json(c, true).find("\n\t\"ociVersion\": \"1.3.0\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(round_trip_of_built_config) {
    Config c;
    c.ociVersion = "1.3.0";
    c.root = Root{"rootfs", false};
    Process p;
    p.args = {"/bin/true"};
    p.cwd = "/";
    p.user.uid = 4294967295u;
    c.process = p;
    Linux l;
    l.timeOffsets["boottime"] = TimeOffset{-1, 999999999};
    Resources r;
    r.memory = Memory{};
    r.memory->limit = std::numeric_limits<int64_t>::min();
    l.resources = r;
    c.linux = l;

    std::string out = to_json(c, false);
    // Empty optionals, vectors and maps and false booleans are omitted.
    BOOST_TEST(out.find("readonly") == std::string::npos);
    BOOST_TEST(out.find("terminal") == std::string::npos);
    BOOST_TEST(out.find("mounts") == std::string::npos);
    BOOST_TEST(out.find("annotations") == std::string::npos);
    BOOST_TEST(out.find("env") == std::string::npos);
    BOOST_TEST(out.find("hooks") == std::string::npos);
    BOOST_TEST(out.find("\"user\":{\"uid\":4294967295,\"gid\":0}") != std::string::npos);

    Config back = parse_config(out);
    BOOST_TEST(back.process->user.uid == 4294967295u);
    BOOST_TEST(back.linux->timeOffsets.at("boottime").secs == -1);
    BOOST_TEST(back.linux->timeOffsets.at("boottime").nanosecs == 999999999u);
    BOOST_TEST(back.linux->resources->memory->limit.value() == std::numeric_limits<int64_t>::min());
    BOOST_TEST(!back.linux->resources->memory->swap);
    BOOST_TEST(to_json(back, false) == out);
}

BOOST_AUTO_TEST_CASE(lenient_input) {
    // Unknown members anywhere are ignored; null reads as absent; unknown clocks are ignored.
    Config c = parse_config(R"({"ociVersion": "1.0.2-dev", "root": {"path": "rootfs", "x": 1},
        "solaris": {}, "vendorExtension": [1, 2],
        "process": {"cwd": "/", "args": ["sh"], "env": null, "user": {"uid": 0, "gid": 0, "y": {}}},
        "linux": {"timeOffsets": {"realtime": {"secs": 1}, "boottime": {"secs": 2}},
                  "namespaces": [{"type": "time", "z": null}]}})");
    BOOST_TEST(c.process->env.empty());
    BOOST_TEST(c.linux->timeOffsets.size() == 1u);
    BOOST_TEST(c.linux->timeOffsets.at("boottime").secs == 2);
    BOOST_CHECK_NO_THROW(validate(c));

    // A process without user runs as 0:0.
    Config d = parse_config(with_process(""));
    BOOST_TEST(d.process->user.uid == 0u);
    BOOST_TEST(d.process->user.gid == 0u);

    for (const char* version : {"1.0.0", "1.0.2-dev", "1.3.0", "1.1.0-rc.1+build.5", "1.2.1+dirty"})
        BOOST_CHECK_NO_THROW(parse_config(std::string(R"({"ociVersion": ")") + version + "\"}"));
}

BOOST_AUTO_TEST_CASE(integer_limits) {
    Config c = parse_config(with_process(
        R"("user": {"uid": 4294967295, "gid": 0}, "oomScoreAdj": -2147483648,
           "rlimits": [{"type": "RLIMIT_AS", "soft": 18446744073709551615, "hard": 18446744073709551615}])"));
    BOOST_TEST(c.process->user.uid == 4294967295u);
    BOOST_TEST(c.process->oomScoreAdj.value() == std::numeric_limits<int>::min());
    BOOST_TEST(c.process->rlimits[0].soft == std::numeric_limits<uint64_t>::max());
    Config d = parse_config(with_resources(
        R"("memory": {"limit": -9223372036854775808, "swap": 9223372036854775807},
           "blockIO": {"weight": 65535, "leafWeight": 0})"));
    BOOST_TEST(d.linux->resources->memory->limit.value() == std::numeric_limits<int64_t>::min());
    BOOST_TEST(d.linux->resources->memory->swap.value() == std::numeric_limits<int64_t>::max());
    BOOST_TEST(d.linux->resources->blockIO->weight.value() == 65535u);
}

BOOST_AUTO_TEST_CASE(parse_errors) {
    const std::string u32 = "expected integer in 0..4294967295";
    const std::string u64 = "expected integer in 0..18446744073709551615";
    const std::string i32 = "expected integer in -2147483648..2147483647";
    const std::string i64 = "expected integer in -9223372036854775808..9223372036854775807";
    std::vector<Case> cases = {
        // document
        {"", "config.json: invalid JSON at offset 0: The document is empty."},
        {R"({"ociVersion": "1.0.2",})",
         "config.json: invalid JSON at offset 23: Missing a name for object member."},
        {R"({"ociVersion": "1.0.2"} {})",
         "config.json: invalid JSON at offset 24: The document root must not be followed by other "
         "values."},
        {"[]", "config.json: expected object"},
        {"\"config\"", "config.json: expected object"},
        // ociVersion
        {"{}", "ociVersion: required"},
        {R"({"ociVersion": null})", "ociVersion: required"},
        {R"({"ociVersion": 1})", "ociVersion: expected string"},
        {R"({"ociVersion": "2.0.0"})",
         R"(ociVersion: unsupported version "2.0.0" (myrt supports 1.x))"},
        {R"({"ociVersion": "0.1.0"})",
         R"(ociVersion: unsupported version "0.1.0" (myrt supports 1.x))"},
        {R"({"ociVersion": "1.0"})",
         R"(ociVersion: unsupported version "1.0" (myrt supports 1.x))"},
        {R"({"ociVersion": "1.0.x"})",
         R"(ociVersion: unsupported version "1.0.x" (myrt supports 1.x))"},
        {R"({"ociVersion": "1.0.0-"})",
         R"(ociVersion: unsupported version "1.0.0-" (myrt supports 1.x))"},
        {R"({"ociVersion": "10.0.0"})",
         R"(ociVersion: unsupported version "10.0.0" (myrt supports 1.x))"},
        // root
        {doc(R"("root2": 1, "hostname": 5)"), "hostname: expected string"},
        {R"({"ociVersion": "1.0.2", "root": {}})", "root.path: required"},
        {R"({"ociVersion": "1.0.2", "root": "rootfs"})", "root: expected object"},
        {R"({"ociVersion": "1.0.2", "root": {"path": "rootfs", "readonly": "yes"}})",
         "root.readonly: expected boolean"},
        // mounts
        {doc(R"("mounts": {})"), "mounts: expected array of objects"},
        {doc(R"("mounts": ["proc"])"), "mounts[0]: expected object"},
        {doc(R"("mounts": [{"destination": "/a"}, {"destination": "/b"}, {"destination": "/c"},
                           {"type": "tmpfs"}])"),
         "mounts[3].destination: required"},
        {doc(R"("mounts": [{"destination": "/a", "options": "ro"}])"),
         "mounts[0].options: expected array of strings"},
        {doc(R"("mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1}]}])"),
         "mounts[0].uidMappings[0].size: required"},
        // process
        {doc(R"("process": {"args": ["sh"]})"), "process.cwd: required"},
        {doc(R"("process": [])"), "process: expected object"},
        {doc(R"("process": {"cwd": 7, "args": ["sh"]})"), "process.cwd: expected string"},
        {doc(R"("process": {"cwd": "/", "args": "sh"})"),
         "process.args: expected array of strings"},
        {doc(R"("process": {"cwd": "/", "args": ["a", "b", 3]})"),
         "process.args[2]: expected string"},
        {with_process(R"("env": ["A=1", null])"), "process.env[1]: expected string"},
        {with_process(R"("terminal": "true")"), "process.terminal: expected boolean"},
        {with_process(R"("consoleSize": {"height": 25})"), "process.consoleSize.width: required"},
        {with_process(R"("consoleSize": {"height": -25, "width": 80})"),
         "process.consoleSize.height: " + u64},
        {with_process(R"("user": {"uid": -1, "gid": 0})"), "process.user.uid: " + u32},
        {with_process(R"("user": {"uid": 4294967296, "gid": 0})"), "process.user.uid: " + u32},
        {with_process(R"("user": {"uid": 1.5, "gid": 0})"), "process.user.uid: expected integer"},
        {with_process(R"("user": {"uid": 1.0, "gid": 0})"), "process.user.uid: expected integer"},
        {with_process(R"("user": {"uid": "0", "gid": 0})"), "process.user.uid: expected integer"},
        {with_process(R"("user": {"gid": 0})"), "process.user.uid: required"},
        {with_process(R"("user": {"uid": 0})"), "process.user.gid: required"},
        {with_process(R"("user": {"uid": 0, "gid": 0, "umask": true})"),
         "process.user.umask: expected integer"},
        {with_process(R"("user": {"uid": 0, "gid": 0, "additionalGids": 5})"),
         "process.user.additionalGids: expected array of integers"},
        {with_process(R"("user": {"uid": 0, "gid": 0, "additionalGids": [1, "2"]})"),
         "process.user.additionalGids[1]: expected integer"},
        {with_process(R"("capabilities": {"bounding": "CAP_KILL"})"),
         "process.capabilities.bounding: expected array of strings"},
        {with_process(R"("capabilities": {"ambient": [1]})"),
         "process.capabilities.ambient[0]: expected string"},
        {with_process(R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1}])"),
         "process.rlimits[0].hard: required"},
        {with_process(R"("rlimits": [{"soft": 1, "hard": 1}])"),
         "process.rlimits[0].type: required"},
        {with_process(R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": -1, "hard": 1}])"),
         "process.rlimits[0].soft: " + u64},
        {with_process(R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1e30}])"),
         "process.rlimits[0].hard: " + u64},
        {with_process(
             R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 18446744073709551616}])"),
         "process.rlimits[0].hard: " + u64},
        {with_process(R"("oomScoreAdj": 2147483648)"), "process.oomScoreAdj: " + i32},
        {with_process(R"("noNewPrivileges": 1)"), "process.noNewPrivileges: expected boolean"},
        {with_process(R"("ioPriority": {"priority": 1})"), "process.ioPriority.class: required"},
        {with_process(R"("ioPriority": {"class": "IOPRIO_CLASS_BE"})"),
         "process.ioPriority.priority: required"},
        {with_process(R"("scheduler": {})"), "process.scheduler.policy: required"},
        {with_process(R"("scheduler": {"policy": "SCHED_OTHER", "nice": -2147483649})"),
         "process.scheduler.nice: " + i32},
        {with_process(R"("execCPUAffinity": {"initial": 7})"),
         "process.execCPUAffinity.initial: expected string"},
        // hooks
        {doc(R"("hooks": [])"), "hooks: expected object"},
        {doc(R"("hooks": {"prestart": [{"args": []}]})"), "hooks.prestart[0].path: required"},
        {doc(R"("hooks": {"poststop": [{"path": "/bin/a"}, {"path": "/bin/b", "timeout": 1.5}]})"),
         "hooks.poststop[1].timeout: expected integer"},
        {doc(R"("hooks": {"startContainer": {"path": "/bin/a"}})"),
         "hooks.startContainer: expected array of objects"},
        // annotations
        {doc(R"("annotations": [])"), "annotations: expected object"},
        {doc(R"("annotations": {"a": 1})"), R"(annotations["a"]: expected string)"},
        {doc(R"("annotations": {"com.ex\"ample\n": false})"),
         R"(annotations["com.ex\"ample\n"]: expected string)"},
        // linux
        {doc(R"("linux": [])"), "linux: expected object"},
        {with_linux(R"("namespaces": [{"type": "pid"}, {"path": "/proc/1/ns/net"}])"),
         "linux.namespaces[1].type: required"},
        {with_linux(R"("namespaces": [{"type": 1}])"), "linux.namespaces[0].type: expected string"},
        {with_linux(R"("uidMappings": [{"containerID": 0, "hostID": -5, "size": 1}])"),
         "linux.uidMappings[0].hostID: " + u32},
        {with_linux(R"("gidMappings": [{"containerID": 0, "hostID": 5, "size": -1}])"),
         "linux.gidMappings[0].size: " + u32},
        {with_linux(R"("gidMappings": [{"hostID": 5, "size": 1}])"),
         "linux.gidMappings[0].containerID: required"},
        {with_linux(R"("timeOffsets": {"boottime": {"secs": "1"}})"),
         "linux.timeOffsets.boottime.secs: expected integer"},
        {with_linux(R"("timeOffsets": {"monotonic": {"nanosecs": -1}})"),
         "linux.timeOffsets.monotonic.nanosecs: " + u32},
        {with_linux(R"("timeOffsets": [])"), "linux.timeOffsets: expected object"},
        {with_linux(R"("devices": [{"path": "/dev/x"}])"), "linux.devices[0].type: required"},
        {with_linux(R"("devices": [{"type": "c"}])"), "linux.devices[0].path: required"},
        {with_linux(R"("devices": [{"type": "c", "path": "/dev/x", "major": "8", "minor": 0}])"),
         "linux.devices[0].major: expected integer"},
        {with_linux(R"("devices": [{"type": "c", "path": "/dev/x", "fileMode": -1}])"),
         "linux.devices[0].fileMode: " + u32},
        {with_linux(R"("netDevices": {"eth0": {"name": 1}})"),
         R"(linux.netDevices["eth0"].name: expected string)"},
        {with_linux(R"("netDevices": {"eth0": "eth1"})"),
         R"(linux.netDevices["eth0"]: expected object)"},
        {with_linux(R"("cgroupsPath": ["a"])"), "linux.cgroupsPath: expected string"},
        {with_linux(R"("sysctl": {"net.ipv4.ip_forward": 1})"),
         R"(linux.sysctl["net.ipv4.ip_forward"]: expected string)"},
        {with_linux(R"("maskedPaths": ["/proc/kcore", 1])"),
         "linux.maskedPaths[1]: expected string"},
        {with_linux(R"("readonlyPaths": "/proc/sys")"),
         "linux.readonlyPaths: expected array of strings"},
        {with_linux(R"("rootfsPropagation": true)"), "linux.rootfsPropagation: expected string"},
        {with_linux(R"("seccomp": {})"), "linux.seccomp.defaultAction: required"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]})"),
         "linux.seccomp.syscalls[0].names: required"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"]}]})"),
         "linux.seccomp.syscalls[0].action: required"},
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                       "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1}]}]})"),
         "linux.seccomp.syscalls[0].args[0].op: required"},
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})"),
         "linux.seccomp.defaultErrnoRet: " + u32},
        {with_linux(R"("intelRdt": {"enableMonitoring": "yes"})"),
         "linux.intelRdt.enableMonitoring: expected boolean"},
        {with_linux(R"("memoryPolicy": {"nodes": "1"})"), "linux.memoryPolicy.mode: required"},
        {with_linux(R"("personality": {})"), "linux.personality.domain: required"},
        // linux.resources
        {with_linux(R"("resources": 1)"), "linux.resources: expected object"},
        {with_resources(R"("memory": {"limit": "1G"})"),
         "linux.resources.memory.limit: expected integer"},
        {with_resources(R"("memory": {"limit": 9223372036854775808})"),
         "linux.resources.memory.limit: " + i64},
        {with_resources(R"("memory": {"limit": -1e20})"), "linux.resources.memory.limit: " + i64},
        {with_resources(R"("memory": {"swappiness": -1})"),
         "linux.resources.memory.swappiness: " + u64},
        {with_resources(R"("memory": {"disableOOMKiller": 0})"),
         "linux.resources.memory.disableOOMKiller: expected boolean"},
        {with_resources(R"("cpu": {"shares": -2})"), "linux.resources.cpu.shares: " + u64},
        {with_resources(R"("cpu": {"cpus": 3})"), "linux.resources.cpu.cpus: expected string"},
        {with_resources(R"("pids": {"limit": 1.5})"),
         "linux.resources.pids.limit: expected integer"},
        {with_resources(R"("devices": [{"access": "rwm"}])"),
         "linux.resources.devices[0].allow: required"},
        {with_resources(R"("blockIO": {"weight": 65536})"),
         "linux.resources.blockIO.weight: expected integer in 0..65535"},
        {with_resources(R"("blockIO": {"weightDevice": [{"major": 8, "weight": 10}]})"),
         "linux.resources.blockIO.weightDevice[0].minor: required"},
        {with_resources(R"("blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]})"),
         "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required"},
        {with_resources(R"("hugepageLimits": [{"pageSize": "2MB"}])"),
         "linux.resources.hugepageLimits[0].limit: required"},
        {with_resources(R"("network": {"priorities": [{"name": "eth0"}]})"),
         "linux.resources.network.priorities[0].priority: required"},
        {with_resources(R"("rdma": {"mlx5_1": {"hcaHandles": -1}})"),
         R"(linux.resources.rdma["mlx5_1"].hcaHandles: )" + u32},
        {with_resources(R"("unified": {"cpu.max": 5})"),
         R"(linux.resources.unified["cpu.max"]: expected string)"},
    };
    BOOST_TEST(cases.size() >= 40u);
    check_cases(cases, parse_error);
}

BOOST_AUTO_TEST_CASE(validate_errors) {
    const std::string ns_user = R"("namespaces": [{"type": "user"}])";
    std::vector<Case> cases = {
        {R"({"ociVersion": "1.0.2"})", "root: required"},
        {R"({"ociVersion": "1.0.2", "root": {"path": ""}})", "root.path: must not be empty"},
        // process
        {doc(R"("process": {"cwd": "relative", "args": ["sh"]})"),
         "process.cwd: must be an absolute path"},
        {doc(R"("process": {"cwd": "", "args": ["sh"]})"), "process.cwd: must be an absolute path"},
        {doc(R"("process": {"cwd": "/"})"), "process.args: must contain at least one entry"},
        {doc(R"("process": {"cwd": "/", "args": []})"),
         "process.args: must contain at least one entry"},
        {with_process(R"("capabilities": {"bounding": ["CAP_KILL", "kill"]})"),
         R"(process.capabilities.bounding[1]: invalid capability name "kill")"},
        {with_process(R"("capabilities": {"ambient": ["CAP_"]})"),
         R"(process.capabilities.ambient[0]: invalid capability name "CAP_")"},
        {with_process(R"("rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])"),
         R"(process.rlimits[0].type: unknown rlimit "RLIMIT_FOO")"},
        {with_process(R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}])"),
         "process.rlimits[0]: soft limit 10 exceeds hard limit 5"},
        {with_process(R"("rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                     {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}])"),
         R"(process.rlimits[1]: duplicate rlimit "RLIMIT_NOFILE")"},
        {with_process(R"("ioPriority": {"class": "IOPRIO_CLASS_X", "priority": 0})"),
         R"(process.ioPriority.class: unknown class "IOPRIO_CLASS_X")"},
        {with_process(R"("ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 8})"),
         "process.ioPriority.priority: must be in 0..7"},
        {with_process(R"("scheduler": {"policy": "SCHED_FAST"})"),
         R"(process.scheduler.policy: unknown policy "SCHED_FAST")"},
        {with_process(R"("scheduler": {"policy": "SCHED_RR", "flags": ["SCHED_FLAG_X"]})"),
         R"(process.scheduler.flags[0]: unknown flag "SCHED_FLAG_X")"},
        {with_process(R"("oomScoreAdj": 1001)"), "process.oomScoreAdj: must be in -1000..1000"},
        {with_process(R"("execCPUAffinity": {"final": "0-3,a"})"),
         R"(process.execCPUAffinity.final: invalid CPU list "0-3,a")"},
        // mounts and hooks
        {doc(R"("mounts": [{"destination": ""}])"), "mounts[0].destination: must not be empty"},
        {doc(R"("mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}])"),
         "mounts[0].gidMappings: required when uidMappings is set"},
        {doc(R"("mounts": [{"destination": "/a", "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}])"),
         "mounts[0].uidMappings: required when gidMappings is set"},
        {doc(R"("hooks": {"createRuntime": [{"path": "/bin/ok"}, {"path": "bin/hook"}]})"),
         "hooks.createRuntime[1].path: must be an absolute path"},
        {doc(R"("hooks": {"poststart": [{"path": "/bin/hook", "timeout": 0}]})"),
         "hooks.poststart[0].timeout: must be greater than zero"},
        {doc(R"("hooks": {"poststop": [{"path": "/bin/hook", "timeout": -3}]})"),
         "hooks.poststop[0].timeout: must be greater than zero"},
        {doc(R"("hostname": "box")"), "hostname: requires a uts namespace"},
        {doc(R"("domainname": "example.test")"), "domainname: requires a uts namespace"},
        {doc(R"("annotations": {"": "x"})"), "annotations: keys must not be empty"},
        // namespaces
        {with_linux(R"("namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "foo"}])"),
         R"(linux.namespaces[2].type: unknown namespace type "foo")"},
        {with_linux(
             R"("namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "pid"}])"),
         R"(linux.namespaces[3]: duplicate namespace "pid")"},
        {with_linux(R"("namespaces": [{"type": "network", "path": "run/netns/x"}])"),
         "linux.namespaces[0].path: must be an absolute path"},
        {with_linux(R"("uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}])"),
         "linux.uidMappings: requires a user namespace"},
        {with_linux(R"("gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}])"),
         "linux.gidMappings: requires a user namespace"},
        {with_linux(R"("timeOffsets": {"boottime": {"secs": 1}})"),
         "linux.timeOffsets: requires a time namespace"},
        {with_linux(R"("netDevices": {"eth0": {}})"),
         "linux.netDevices: requires a network namespace"},
        // netDevices: names as the kernel's dev_valid_name() takes them
        {net_devices(R"({"eth0": {"name": "a/b"}})"),
         R"(linux.netDevices["eth0"].name: invalid network interface name "a/b" (1 to 15 bytes, not "." or "..", without "/", ":" or whitespace))"},
        {net_devices(R"({"eth0": {"name": "sixteen-bytes-xx"}})"),
         R"(linux.netDevices["eth0"].name: invalid network interface name "sixteen-bytes-xx" (1 to 15 bytes, not "." or "..", without "/", ":" or whitespace))"},
        {net_devices(R"({"eth0": {"name": ""}})"),
         R"(linux.netDevices["eth0"].name: invalid network interface name "" (1 to 15 bytes, not "." or "..", without "/", ":" or whitespace))"},
        // U+00A0 is C2 A0 in UTF-8: the kernel's isspace() takes byte A0 for a space.
        {net_devices(R"({"eth0": {"name": "a\u00a0b"}})"),
         "linux.netDevices[\"eth0\"].name: invalid network interface name \"a\xc2\xa0" "b\" (1 to 15 bytes, not \".\" or \"..\", without \"/\", \":\" or whitespace)"},
        {net_devices(R"({"eth0": {"name": "n%d%d"}})"),
         R"(linux.netDevices["eth0"].name: invalid network interface name "n%d%d" (a template has one "%d"))"},
        {net_devices(R"({"eth0": {"name": "n%x"}})"),
         R"(linux.netDevices["eth0"].name: invalid network interface name "n%x" (a template has one "%d"))"},
        {net_devices(R"({"e%d": {}})"),
         R"(linux.netDevices["e%d"]: invalid network interface name "e%d" (the name of a host interface, not a template))"},
        {net_devices(R"({"..": {}})"),
         R"(linux.netDevices[".."]: invalid network interface name ".." (1 to 15 bytes, not "." or "..", without "/", ":" or whitespace))"},
        {net_devices(R"({"a": {"name": "c"}, "b": {"name": "c"}})"),
         R"(linux.netDevices["b"]: another entry already moves an interface to the name "c")"},
        {net_devices(R"({"a": {}, "b": {"name": "a"}})"),
         R"(linux.netDevices["b"]: another entry already moves an interface to the name "a")"},
        // devices
        {with_linux(R"("devices": [{"type": "x", "path": "/dev/x"}])"),
         R"(linux.devices[0].type: unknown device type "x")"},
        {with_linux(R"("devices": [{"type": "c", "path": "dev/x", "major": 1, "minor": 3}])"),
         "linux.devices[0].path: must be an absolute path"},
        {with_linux(R"("devices": [{"type": "b", "path": "/dev/sda", "minor": 0}])"),
         "linux.devices[0].major: required"},
        // resources
        {with_resources(R"("devices": [{"allow": true, "type": "x"}])"),
         R"(linux.resources.devices[0].type: unknown device type "x")"},
        {with_resources(R"("devices": [{"allow": true, "access": "rwx"}])"),
         R"(linux.resources.devices[0].access: invalid access "rwx")"},
        {with_resources(R"("memory": {"swappiness": 101})"),
         "linux.resources.memory.swappiness: must be in 0..100"},
        {with_resources(R"("cpu": {"quota": 1000, "burst": 2000})"),
         "linux.resources.cpu.burst: must not exceed quota"},
        {with_resources(R"("blockIO": {"weightDevice": [{"major": 8, "minor": 0}]})"),
         "linux.resources.blockIO.weightDevice[0]: must set weight or leafWeight"},
        {with_resources(R"("hugepageLimits": [{"pageSize": "2M", "limit": 1}])"),
         R"(linux.resources.hugepageLimits[0].pageSize: invalid page size "2M")"},
        {with_resources(R"("hugepageLimits": [{"pageSize": "02MB", "limit": 1}])"),
         R"(linux.resources.hugepageLimits[0].pageSize: invalid page size "02MB")"},
        {with_resources(R"("rdma": {"mlx5_1": {}})"),
         R"(linux.resources.rdma["mlx5_1"]: must set hcaHandles or hcaObjects)"},
        // misc linux
        {with_linux(R"("rootfsPropagation": "sideways")"),
         R"(linux.rootfsPropagation: unknown propagation "sideways")"},
        {with_linux(R"("maskedPaths": ["/proc/kcore", "proc/keys"])"),
         "linux.maskedPaths[1]: must be an absolute path"},
        {with_linux(R"("readonlyPaths": [""])"),
         "linux.readonlyPaths[0]: must be an absolute path"},
        {with_linux(R"("intelRdt": {"memBwSchema": "L3:0=1"})"),
         R"(linux.intelRdt.memBwSchema: must start with "MB:")"},
        {with_linux(R"("intelRdt": {"schemata": ["L3:0=1\nMB:0=2"]})"),
         "linux.intelRdt.schemata[0]: must not contain newlines"},
        {with_linux(R"("memoryPolicy": {"mode": "MPOL_X"})"),
         R"(linux.memoryPolicy.mode: unknown mode "MPOL_X")"},
        {with_linux(R"("memoryPolicy": {"mode": "MPOL_BIND", "flags": ["MPOL_F_X"]})"),
         R"(linux.memoryPolicy.flags[0]: unknown flag "MPOL_F_X")"},
        {with_linux(R"("personality": {"domain": "LINUX64"})"),
         R"(linux.personality.domain: unknown domain "LINUX64")"},
        {with_linux(R"("personality": {"domain": "LINUX", "flags": ["SHORT_INODE"]})"),
         R"(linux.personality.flags[0]: unknown flag "SHORT_INODE")"},
        // seccomp
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_NOPE"})"),
         R"(linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE")"},
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})"),
         R"(linux.seccomp.defaultErrnoRet: not allowed with action "SCMP_ACT_ALLOW")"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})"),
         R"(linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_Z80")"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_X"]})"),
         R"(linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_X")"},
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"})"),
         "linux.seccomp.listenerMetadata: requires listenerPath"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_FOO"}]})"),
         R"(linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_FOO")"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]})"),
         "linux.seccomp.syscalls[0].names: must contain at least one entry"},
        {with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_ERRNO",
                       "syscalls": [{"names": ["a"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]})"),
         R"(linux.seccomp.syscalls[0].errnoRet: not allowed with action "SCMP_ACT_KILL")"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO",
                       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_APPROX"}]}]})"),
         R"(linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_APPROX")"},
        {with_linux(
             R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO",
                       "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
         "linux.seccomp.syscalls[0].args[0].index: must be in 0..5"},
    };
    BOOST_TEST(cases.size() >= 40u);
    check_cases(cases, validate_error);
}

BOOST_AUTO_TEST_CASE(validate_accepts) {
    std::vector<std::string> ok = {
        doc(),
        with_process(
            R"("capabilities": {"bounding": []}, "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 5, "hard": 5}])"),
        // Relative mount destinations are deprecated but allowed on Linux ("relative to /").
        doc(R"("mounts": [{"destination": "tmp", "type": "tmpfs"}])"),
        doc(R"("hostname": "")"),
        doc(R"("hostname": "box", "linux": {"namespaces": [{"type": "uts"}]})"),
        with_linux(
            R"("namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}])"),
        with_linux(R"("rootfsPropagation": "rprivate")"),
        with_linux(R"("devices": [{"type": "u", "path": "/dev/u", "major": 1, "minor": 2}])"),
        with_resources(R"("cpu": {"quota": -1, "burst": 2000})"),
        with_linux(R"("seccomp": {"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 1})"),
        // 15 bytes; one template for several entries (the kernel numbers them apart)
        net_devices(R"({"fifteen-bytes-x": {}, "a": {"name": "c%d"}, "b": {"name": "c%d"}})"),
    };
    for (const std::string& json : ok) {
        BOOST_TEST_CONTEXT("json: " << json) {
            BOOST_TEST(validate_error(json) == "<no error>");
        }
    }
}

BOOST_AUTO_TEST_CASE(load_config_file) {
    std::string path = temp_file(full_config);
    Config c = load_config(path);
    BOOST_TEST(to_json(c, false) == to_json(parse_config(full_config), false));

    std::string bad = temp_file(R"({"ociVersion": "1.0.2", "process": {"cwd": 1}})");
    BOOST_TEST(error_of([&] { load_config(bad); }) == "process.cwd: expected string");
    std::string truncated = temp_file(R"({"ociVersion": )");
    BOOST_TEST(error_of([&] { load_config(truncated); }) ==
               "config.json: invalid JSON at offset 15: Invalid value.");
    std::string empty = temp_file("");
    BOOST_TEST(error_of([&] { load_config(empty); }) ==
               "config.json: invalid JSON at offset 0: The document is empty.");
    unlink(path.c_str());
    unlink(bad.c_str());
    unlink(truncated.c_str());
    unlink(empty.c_str());

    BOOST_TEST(error_of([] { load_config("/nonexistent/bundle/config.json"); }) ==
               "open /nonexistent/bundle/config.json: no such file or directory");
    BOOST_TEST(error_of([] { load_config("/"); }) == "/: not a regular file");
}

// docs/config-properties.md says what myrt does with every member of config.json: a member
// the parser knows and the table does not name fails here.
BOOST_AUTO_TEST_SUITE(properties_table)

// `*` is any text, everything else itself ("[]" and "." included).
bool matches(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) return text.empty();
    if (pattern[0] == '*')
        for (size_t i = 0; i <= text.size(); ++i)
            if (matches(pattern.substr(1), text.substr(i))) return true;
    return !text.empty() && pattern[0] != '*' && pattern[0] == text[0] &&
           matches(pattern.substr(1), text.substr(1));
}

BOOST_AUTO_TEST_CASE(every_config_member_is_in_the_table) {
    std::ifstream in(MYRT_SOURCE_ROOT "/docs/config-properties.md");
    BOOST_REQUIRE_MESSAGE(in, "cannot read docs/config-properties.md");
    std::vector<std::string> patterns;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("| `")) continue;
        std::string first = line.substr(0, line.find(" |", 2));  // the property cell
        for (size_t a = first.find('`'); a != std::string::npos; a = first.find('`', a + 1)) {
            size_t b = first.find('`', a + 1);
            if (b == std::string::npos) break;
            patterns.push_back(first.substr(a + 1, b - a - 1));
            a = b;
        }
    }
    BOOST_TEST(patterns.size() > 50u);
    auto paths = myrt::spec::config_member_paths();
    BOOST_TEST(paths.size() > 200u);
    for (const auto& path : paths) {
        bool named = false;
        for (const auto& p : patterns)
            named = named || matches(p, path);
        BOOST_TEST(named, "config.json member " << path << " is not in docs/config-properties.md");
    }
}

BOOST_AUTO_TEST_SUITE_END()
