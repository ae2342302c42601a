// The systemd cgroup driver's pure parts: cgroupsPath "slice:prefix:name" taken apart, slice
// names expanded to systemd's nesting, and linux.resources mapped to unit properties (the
// values systemd keeps across a daemon-reload). The D-Bus half is tested in the systemd VM.
#define BOOST_TEST_MODULE systemd
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "errors.hpp"
#include "runtime/cgroup/systemd.hpp"
#include "runtime/error.hpp"

using namespace myrt;
using myrt::test::error_of;

namespace {

std::map<std::string, std::string> props(const spec::Resources& r, CgroupVersion v) {
    std::map<std::string, std::string> out;
    for (const auto& p : systemd_properties(r, v)) {
        std::string& slot = out[p.name];
        slot += (slot.empty() ? "" : ";") + p.type + " " + p.value;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(slices_expand_to_their_parents) {
    BOOST_TEST(expand_slice("system.slice") == "/system.slice");
    BOOST_TEST(expand_slice("-.slice") == "");
    BOOST_TEST(expand_slice("kubepods-burstable-pod123.slice") ==
               "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice");
    for (const char* bad : {"system", ".slice", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice"})
        BOOST_TEST(error_of<Error>([&] { expand_slice(bad); }) != "<no error>", bad);
}

BOOST_AUTO_TEST_CASE(cgroups_path_parsed) {
    auto p = parse_systemd_path(std::string("system.slice:docker:abc"), "id", false);
    BOOST_TEST(p.slice == "system.slice");
    BOOST_TEST(p.unit == "docker-abc.scope");
    p = parse_systemd_path(std::string(":crio:abc"), "id", false);
    BOOST_TEST(p.slice == "system.slice");
    BOOST_TEST(p.unit == "crio-abc.scope");
    p = parse_systemd_path(std::string("::abc"), "id", true);
    BOOST_TEST(p.slice == "user.slice");
    BOOST_TEST(p.unit == "abc.scope");
    p = parse_systemd_path(std::nullopt, "web", false);
    BOOST_TEST(p.slice == "system.slice");
    BOOST_TEST(p.unit == "myrt-web.scope");
    p = parse_systemd_path(std::string("kubepods-besteffort-pod1.slice:cri-containerd:c1"), "x", false);
    BOOST_TEST(p.slice == "kubepods-besteffort-pod1.slice");
    BOOST_TEST(p.unit == "cri-containerd-c1.scope");
}

BOOST_AUTO_TEST_CASE(cgroups_path_errors_name_the_field_and_the_form) {
    BOOST_TEST(error_of<Error>([] { parse_systemd_path(std::string("/myrt/x"), "x", false); }) ==
               "linux.cgroupsPath \"/myrt/x\": not three parts separated by ':' (with "
               "--systemd-cgroup it is \"slice:prefix:name\", e.g. \"system.slice:myrt:web\")");
    for (const char* bad : {"a:b", "a:b:c:d", "system.slice:p:", "nosuffix:p:n", "system.slice:p:n.slice",
                            "system.slice:p:n/x"})
        BOOST_TEST(error_of<Error>([&] { parse_systemd_path(std::string(bad), "x", false); })
                           .starts_with("linux.cgroupsPath \"" + std::string(bad) + "\""),
                   bad);
}

BOOST_AUTO_TEST_CASE(memory_cpu_pids_as_v2_properties) {
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 256 << 20;
    r.memory->reservation = 128 << 20;
    r.memory->swap = 512 << 20;  // memory + swap: 256 MiB of swap
    r.cpu.emplace();
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->cpus = "0-1";
    r.pids.emplace();
    r.pids->limit = 42;
    auto p = props(r, CgroupVersion::v2);
    BOOST_TEST(p["MemoryMax"] == "t 268435456");
    BOOST_TEST(p["MemoryLow"] == "t 134217728");
    BOOST_TEST(p["MemorySwapMax"] == "t 268435456");
    BOOST_TEST(p["CPUWeight"] == "t 100");  // the quadratic mapping: 1024 shares -> 100
    BOOST_TEST(p["CPUQuotaPerSecUSec"] == "t 500000");
    BOOST_TEST(p["CPUQuotaPeriodUSec"] == "t 100000");
    BOOST_TEST(p["AllowedCPUs"] == "ay 0-1");
    BOOST_TEST(p["TasksMax"] == "t 42");
}

BOOST_AUTO_TEST_CASE(unlimited_and_v1_names) {
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = -1;
    r.cpu.emplace();
    r.cpu->shares = 512;
    r.cpu->quota = 1000;  // 1 ms per 100 ms: 10 ms/s, systemd's smallest step
    r.pids.emplace();
    r.pids->limit = -1;
    auto p = props(r, CgroupVersion::v1);
    BOOST_TEST(p["MemoryLimit"] == "t 18446744073709551615");
    BOOST_TEST(p["CPUShares"] == "t 512");
    BOOST_TEST(p["CPUQuotaPerSecUSec"] == "t 10000");
    BOOST_TEST(p["TasksMax"] == "t 18446744073709551615");
    BOOST_TEST(p.count("MemoryMax") == 0);
}

BOOST_AUTO_TEST_CASE(devices_as_a_strict_allow_list) {
    spec::Resources r;
    r.devices.push_back({false, std::string("a"), std::nullopt, std::nullopt, std::string("rwm")});
    r.devices.push_back({true, std::string("c"), 1, 3, std::string("rwm")});
    r.devices.push_back({true, std::string("c"), 136, std::nullopt, std::string("rw")});
    r.devices.push_back({true, std::string("b"), std::nullopt, std::nullopt, std::string("m")});
    auto p = props(r, CgroupVersion::v2);
    BOOST_TEST(p["DevicePolicy"] == "s strict");
    BOOST_TEST(p["DeviceAllow"] == "a(ss) /dev/char/1:3 rwm;a(ss) char-pts rw;a(ss) block-* m");
    // Allow-all (a privileged container): nothing for systemd to restrict.
    spec::Resources all;
    all.devices.push_back({true, std::string("a"), std::nullopt, std::nullopt, std::string("rwm")});
    BOOST_TEST(props(all, CgroupVersion::v2).count("DevicePolicy") == 0);
}
