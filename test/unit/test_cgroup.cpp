// Unit tests of the cgroup drivers without a container: what apply() and update() write,
// for both drivers, into fake cgroup directories (plain files, which is all a driver sees of
// a knob); the statistics and their JSON; OOM watching; and the v2 device program, run both
// in a small BPF interpreter here and, as root with a cgroup2 mount, in the kernel.
#define BOOST_TEST_MODULE cgroup
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "errors.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_devices.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/error.hpp"
#include "runtime/events.hpp"
#include "runtime/proc.hpp"
#include "runtime_helpers.hpp"
#include "spec/config.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

void put(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

std::string get(const std::string& path) {
    try {
        return cgroupfs::read_trimmed(path);
    } catch (const Error&) {
        return "<missing>";
    }
}

// A fake v2 cgroup: the knobs a 6.1 kernel has in a child cgroup, with their defaults.
struct FakeV2 {
    TempDir tmp;
    std::string dir = tmp.path();
    explicit FakeV2(const std::string& controllers = "cpuset cpu io memory hugetlb pids rdma") {
        put(dir + "/cgroup.controllers", controllers + "\n");
        for (const char* f : {"memory.max", "memory.swap.max", "memory.low", "pids.max"})
            put(dir + "/" + f, "max\n");
        put(dir + "/memory.current", "1048576\n");
        put(dir + "/cpu.max", "max 100000\n");
        put(dir + "/cpu.max.burst", "0\n");
        put(dir + "/cpu.weight", "100\n");
        put(dir + "/cpu.idle", "0\n");
        put(dir + "/cpuset.cpus", "\n");
        put(dir + "/cpuset.mems", "\n");
        put(dir + "/io.weight", "default 100\n");
        put(dir + "/io.max", "\n");
        put(dir + "/hugetlb.2MB.max", "max\n");
        put(dir + "/rdma.max", "\n");
    }
    std::unique_ptr<Cgroup> cg() const { return cgroup_from_paths({{"", dir}}); }
    std::string operator[](const std::string& f) const { return get(dir + "/" + f); }
};

// Fake v1 hierarchies, one directory per controller.
struct FakeV1 {
    TempDir tmp;
    std::map<std::string, std::string> paths;
    FakeV1() {
        for (const char* c : {"memory", "cpu", "cpuset", "pids", "blkio", "devices"}) {
            std::string d = tmp / c;
            ::mkdir(d.c_str(), 0755);
            paths[c] = d;
        }
        const std::string unlimited = "9223372036854771712\n";
        for (const char* f : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                              "memory.soft_limit_in_bytes", "memory.kmem.tcp.limit_in_bytes"})
            put(paths["memory"] + "/" + f, unlimited);
        put(paths["memory"] + "/memory.usage_in_bytes", "2097152\n");
        put(paths["memory"] + "/memory.swappiness", "60\n");
        put(paths["memory"] + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        put(paths["memory"] + "/memory.use_hierarchy", "1\n");
        put(paths["cpu"] + "/cpu.shares", "1024\n");
        put(paths["cpu"] + "/cpu.cfs_period_us", "100000\n");
        put(paths["cpu"] + "/cpu.cfs_quota_us", "-1\n");
        put(paths["cpu"] + "/cpu.cfs_burst_us", "0\n");
        put(paths["cpu"] + "/cpu.idle", "0\n");
        put(paths["cpu"] + "/cpu.rt_period_us", "1000000\n");
        put(paths["cpu"] + "/cpu.rt_runtime_us", "0\n");
        put(paths["cpuset"] + "/cpuset.cpus", "0-1\n");
        put(paths["cpuset"] + "/cpuset.mems", "0\n");
        put(paths["pids"] + "/pids.max", "max\n");
        for (const char* f : {"blkio.bfq.weight", "blkio.bfq.weight_device",
                              "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                              "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"})
            put(paths["blkio"] + "/" + f, "");
        for (const char* f : {"devices.allow", "devices.deny"}) put(paths["devices"] + "/" + f, "");
    }
    std::unique_ptr<Cgroup> cg() const { return cgroup_from_paths(paths); }
    std::string operator()(const std::string& c, const std::string& f) {
        return get(paths[c] + "/" + f);
    }
};

spec::Resources resources(const std::string& json) {
    return *spec::parse_config("{\"ociVersion\":\"1.3.0\",\"linux\":{\"resources\":" + json + "}}")
                .linux->resources;
}

std::string apply_error(const Cgroup& cg_const, const std::string& json, bool update = false) {
    auto& cg = const_cast<Cgroup&>(cg_const);
    return error_of<Error>([&] {
        if (update)
            cg.update(resources(json));
        else
            cg.apply(resources(json));
    });
}

// ---- a BPF interpreter for the instructions cgroupdev::bpf_program emits ----
int run_bpf(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t major, uint32_t minor,
            uint32_t access) {
    bpf_cgroup_dev_ctx ctx{(access << 16) | type, major, minor};
    uint64_t r[11] = {};
    size_t pc = 0;
    for (int steps = 0; steps < 100000 && pc < prog.size(); ++steps) {
        const bpf_insn& i = prog[pc++];
        uint8_t cls = BPF_CLASS(i.code), op = BPF_OP(i.code);
        uint64_t src = BPF_SRC(i.code) == BPF_X ? r[i.src_reg] : static_cast<uint64_t>(int64_t{i.imm});
        if (cls == BPF_LDX) {
            BOOST_REQUIRE(i.src_reg == 1 && BPF_SIZE(i.code) == BPF_W);
            uint32_t v;
            std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
            r[i.dst_reg] = v;
        } else if (cls == BPF_ALU64 || cls == BPF_ALU) {
            uint64_t& d = r[i.dst_reg];
            if (op == BPF_MOV) d = src;
            else if (op == BPF_AND) d &= src;
            else if (op == BPF_RSH) d >>= src;
            else BOOST_FAIL("unexpected ALU op");
            if (cls == BPF_ALU) d &= 0xffffffff;
        } else if (cls == BPF_JMP || cls == BPF_JMP32) {
            if (op == BPF_EXIT) return static_cast<int>(r[0]);
            uint64_t d = r[i.dst_reg];
            if (cls == BPF_JMP32) d &= 0xffffffff, src &= 0xffffffff;
            BOOST_REQUIRE(op == BPF_JNE || op == BPF_JEQ);
            bool take = op == BPF_JNE ? d != src : d == src;
            if (take) pc += i.off;
        } else {
            BOOST_FAIL("unexpected instruction class");
        }
    }
    BOOST_FAIL("program did not exit");
    return -1;
}

constexpr uint32_t B = BPF_DEVCG_DEV_BLOCK, C = BPF_DEVCG_DEV_CHAR;
constexpr uint32_t M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE;

std::vector<spec::DeviceCgroup> rules(const std::string& json) {
    return resources("{\"devices\":" + json + "}").devices;
}

bool have_cgroup2(std::string& mount) {
    struct statfs fs {};
    for (const char* m : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"})
        if (::statfs(m, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
            mount = m;
            return true;
        }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(conversions) {
    BOOST_TEST(cgroupfs::shares_to_weight(2) == 1u);
    BOOST_TEST(cgroupfs::shares_to_weight(1024) == 100u);  // the default meets the default
    BOOST_TEST(cgroupfs::shares_to_weight(512) == 59u);
    BOOST_TEST(cgroupfs::shares_to_weight(4096) == 303u);
    BOOST_TEST(cgroupfs::shares_to_weight(262144) == 10000u);
    BOOST_TEST(cgroupfs::shares_to_weight(0) == 0u);
    BOOST_TEST(cgroupfs::blkio_to_io_weight(10) == 1u);
    BOOST_TEST(cgroupfs::blkio_to_io_weight(500) == 4950u);
    BOOST_TEST(cgroupfs::blkio_to_io_weight(1000) == 10000u);
    BOOST_TEST(cgroupfs::limit_text(-1) == "max");
    BOOST_TEST(cgroupfs::limit_text(0) == "0");
    BOOST_TEST((cgroupfs::parse_id_list("0-3,7\n") == std::vector<uint16_t>{0, 1, 2, 3, 7}));
    BOOST_TEST(cgroupfs::parse_id_list("").empty());
}

BOOST_AUTO_TEST_CASE(stat_file_readers) {
    TempDir t;
    put(t / "keyed", "cache 4096\nrss 8192\nbogus\nhierarchical_memory_limit 9223372036854771712\n");
    auto k = cgroupfs::read_keyed(t / "keyed");
    BOOST_TEST(k.size() == 3u);
    BOOST_TEST(k["rss"] == 8192u);
    put(t / "io.stat", "254:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n");
    auto io = cgroupfs::read_io_stat(t / "io.stat");
    BOOST_REQUIRE(io.size() == 6u);
    BOOST_TEST(io[1].major == 254u);
    BOOST_TEST(io[1].key == "wbytes");
    BOOST_TEST(io[1].value == 200u);
    put(t / "blkio", "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n");
    auto b = cgroupfs::read_device_values(t / "blkio");
    BOOST_TEST(b.size() == 3u);
    BOOST_TEST(cgroupfs::read_u64(t / "missing") == 0u);
    put(t / "max", "max\n");
    BOOST_TEST(cgroupfs::read_u64(t / "max") == 0u);
}

BOOST_AUTO_TEST_CASE(v2_apply_writes_every_field) {
    FakeV2 f;
    f.cg()->apply(resources(R"({
        "memory": {"limit": 268435456, "swap": 536870912, "reservation": 134217728},
        "cpu": {"shares": 1024, "quota": 50000, "period": 200000, "burst": 10000,
                "cpus": "0-1", "mems": "0"},
        "pids": {"limit": 0},
        "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 0}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "rdma": {"mlx4_0": {"hcaHandles": 2, "hcaObjects": 2000}},
        "unified": {"memory.low": "1000"}
    })"));
    BOOST_TEST(f["memory.max"] == "268435456");
    BOOST_TEST(f["memory.swap.max"] == "268435456");  // memory+swap minus memory
    BOOST_TEST(f["memory.low"] == "1000");             // unified wins, written last
    BOOST_TEST(f["cpu.weight"] == "100");
    BOOST_TEST(f["cpu.max"] == "50000 200000");
    BOOST_TEST(f["cpu.max.burst"] == "10000");
    BOOST_TEST(f["cpuset.cpus"] == "0-1");
    BOOST_TEST(f["pids.max"] == "0");  // 0 is a real limit (spec)
    BOOST_TEST(f["io.weight"] == "8:0 1");  // the last write; converted to 1..10000
    BOOST_TEST(f["io.max"] == "8:16 wiops=max");
    BOOST_TEST(f["hugetlb.2MB.max"] == "4194304");
    BOOST_TEST(f["rdma.max"] == "mlx4_0 hca_handle=2 hca_object=2000");
}

BOOST_AUTO_TEST_CASE(v2_partial_updates_keep_the_rest) {
    FakeV2 f;
    put(f.dir + "/cpu.max", "30000 100000\n");
    f.cg()->update(resources(R"({"cpu": {"period": 50000}})"));
    BOOST_TEST(f["cpu.max"] == "30000 50000");
    f.cg()->update(resources(R"({"cpu": {"quota": -1}})"));
    BOOST_TEST(f["cpu.max"] == "max");
    f.cg()->update(resources(R"({"memory": {"limit": -1}, "pids": {"limit": -1}})"));
    BOOST_TEST(f["memory.max"] == "max");
    BOOST_TEST(f["memory.swap.max"] == "max");
    BOOST_TEST(f["pids.max"] == "max");
    // Zeros are "unset", as runc treats them.
    put(f.dir + "/memory.max", "123\n");
    f.cg()->update(resources(R"({"memory": {"limit": 0}, "cpu": {"shares": 0}})"));
    BOOST_TEST(f["memory.max"] == "123");
    BOOST_TEST(f["cpu.weight"] == "100");
}

BOOST_AUTO_TEST_CASE(v2_errors_name_the_field) {
    FakeV2 f("cpu memory");  // no pids, io, hugetlb, rdma, cpuset
    auto cg = f.cg();
    BOOST_TEST(apply_error(*cg, R"({"pids": {"limit": 5}})") ==
               "linux.resources.pids.limit: the pids controller is not available in " + f.dir +
                   " (not enabled in the parent's cgroup.subtree_control)");
    BOOST_TEST(apply_error(*cg, R"({"cpu": {"realtimeRuntime": 1000}})") ==
               "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime group scheduling");
    BOOST_TEST(apply_error(*cg, R"({"cpu": {"quota": 1000, "burst": 2000}})") ==
               "linux.resources.cpu.burst: 2000 is larger than the quota 1000");
    BOOST_TEST(apply_error(*cg, R"({"memory": {"swap": 1000}})") ==
               "linux.resources.memory.swap: a swap limit needs a memory limit");
    BOOST_TEST(apply_error(*cg, R"({"memory": {"limit": 2000, "swap": 1000}})") ==
               "linux.resources.memory.swap: memory+swap 1000 is below the memory limit 2000");
    BOOST_TEST(apply_error(*cg, R"({"unified": {"pids.max": "5"}})") ==
               "linux.resources.unified[\"pids.max\"]: the pids controller is not available in " +
                   f.dir + " (not enabled in the parent's cgroup.subtree_control)");
    BOOST_TEST(apply_error(*cg, R"({"unified": {"memory.bogus": "5"}})") ==
               "linux.resources.unified[\"memory.bogus\"]: no such file in " + f.dir);
    BOOST_TEST(apply_error(*cg, R"({"unified": {"../x.y": "5"}})") ==
               "linux.resources.unified[\"../x.y\"]: not a cgroup v2 file name");
    BOOST_TEST(apply_error(*cg, R"({"devices": [{"allow": true, "type": "x"}]})") ==
               "linux.resources.devices[0].type: \"x\" is not a, c or b");
    BOOST_TEST(apply_error(*cg, R"({"devices": [{"allow": true, "access": "rwx"}]})") ==
               "linux.resources.devices[0].access: \"rwx\" is not a combination of r, w and m");
    // checkBeforeUpdate: memory.current is 1 MiB.
    BOOST_TEST(apply_error(*cg, R"({"memory": {"limit": 4096, "checkBeforeUpdate": true}})", true) ==
               "linux.resources.memory.limit: new limit 4096 is below the current usage 1048576 "
               "(checkBeforeUpdate)");
    BOOST_TEST(apply_error(*cg, R"({"memory": {"limit": 4096, "checkBeforeUpdate": true}})") ==
               "<no error>");  // not an update
    BOOST_TEST(f["memory.max"] == "4096");
    // A write the kernel refuses: the error names the field and the file.
    ::unlink((f.dir + "/cpu.weight").c_str());
    BOOST_TEST(apply_error(*cg, R"({"cpu": {"shares": 512}})") ==
               "linux.resources.cpu.shares: open " + f.dir + "/cpu.weight: no such file or directory");
}

BOOST_AUTO_TEST_CASE(v1_apply_writes_every_field) {
    FakeV1 f;
    f.cg()->apply(resources(R"({
        "memory": {"limit": 268435456, "swap": 536870912, "reservation": 134217728,
                   "swappiness": 10, "disableOOMKiller": true, "kernelTCP": 1048576},
        "cpu": {"shares": 512, "quota": 50000, "period": 200000, "burst": 1000, "idle": 1,
                "realtimePeriod": 500000, "realtimeRuntime": 1000, "cpus": "1", "mems": "0"},
        "pids": {"limit": 7},
        "blockIO": {"weight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 30}]},
        "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rw"}]
    })"));
    BOOST_TEST(f("memory", "memory.limit_in_bytes") == "268435456");
    BOOST_TEST(f("memory", "memory.memsw.limit_in_bytes") == "536870912");
    BOOST_TEST(f("memory", "memory.soft_limit_in_bytes") == "134217728");
    BOOST_TEST(f("memory", "memory.swappiness") == "10");
    BOOST_TEST(f("memory", "memory.oom_control") == "1");
    BOOST_TEST(f("memory", "memory.kmem.tcp.limit_in_bytes") == "1048576");
    BOOST_TEST(f("cpu", "cpu.shares") == "512");
    BOOST_TEST(f("cpu", "cpu.cfs_quota_us") == "50000");
    BOOST_TEST(f("cpu", "cpu.cfs_period_us") == "200000");
    BOOST_TEST(f("cpu", "cpu.cfs_burst_us") == "1000");
    BOOST_TEST(f("cpu", "cpu.idle") == "1");
    BOOST_TEST(f("cpu", "cpu.rt_period_us") == "500000");
    BOOST_TEST(f("cpu", "cpu.rt_runtime_us") == "1000");
    BOOST_TEST(f("cpuset", "cpuset.cpus") == "1");
    BOOST_TEST(f("pids", "pids.max") == "7");
    BOOST_TEST(f("blkio", "blkio.bfq.weight") == "300");  // no CFQ blkio.weight: BFQ's file
    BOOST_TEST(f("blkio", "blkio.bfq.weight_device") == "8:0 10");
    BOOST_TEST(f("blkio", "blkio.throttle.read_bps_device") == "8:0 1048576");
    BOOST_TEST(f("blkio", "blkio.throttle.write_iops_device") == "8:16 30");
    BOOST_TEST(f("devices", "devices.deny") == "a *:* rwm");
    // One open, one write per rule (a regular file here keeps them all, in order): the
    // config's rule, then the defaults.
    BOOST_TEST(f("devices", "devices.allow") ==
               std::string("c 10:200 rw") + "c *:* m" + "b *:* m" + "c 1:3 rwm" + "c 1:5 rwm" +
                   "c 1:7 rwm" + "c 1:8 rwm" + "c 1:9 rwm" + "c 5:0 rwm" + "c 5:1 rwm" +
                   "c 5:2 rwm" + "c 136:* rwm");
}

BOOST_AUTO_TEST_CASE(v1_errors_and_warnings) {
    FakeV1 f;
    auto cg = f.cg();
    BOOST_TEST(apply_error(*cg, R"({"unified": {"memory.max": "5"}})") ==
               "linux.resources.unified: invalid configuration: cgroup v2 settings, but this host uses cgroup v1");
    BOOST_TEST(apply_error(*cg, R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 0}]})") ==
               "linux.resources.hugepageLimits[0]: the hugetlb cgroup controller is not available "
               "(no v1 hierarchy mounted for it)");
    BOOST_TEST(apply_error(*cg, R"({"rdma": {"mlx4_0": {"hcaHandles": 1}}})") ==
               "linux.resources.rdma: the rdma cgroup controller is not available (no v1 "
               "hierarchy mounted for it)");
    BOOST_TEST(apply_error(*cg, R"({"memory": {"swappiness": 101}})") ==
               "linux.resources.memory.swappiness: 101 is not in 0..100");
    BOOST_TEST(apply_error(*cg, R"({"memory": {"limit": 1000000, "checkBeforeUpdate": true}})", true) ==
               "linux.resources.memory.limit: new limit 1000000 is below the current usage 2097152 "
               "(checkBeforeUpdate)");
    // Network without net_cls / net_prio hierarchies, leaf weights without CFQ: warnings.
    BOOST_TEST(apply_error(*cg, R"({"network": {"classID": 1}, "blockIO": {"leafWeight": 10}})") ==
               "<no error>");
    // No swap accounting: the swap limit is a warning, the memory limit still applies.
    ::unlink((f.paths["memory"] + "/memory.memsw.limit_in_bytes").c_str());
    BOOST_TEST(apply_error(*cg, R"({"memory": {"limit": 4194304, "swap": 8388608}})") == "<no error>");
    BOOST_TEST(f("memory", "memory.limit_in_bytes") == "4194304");
    BOOST_TEST(f("memory", "memory.memsw.limit_in_bytes") == "<missing>");
    // Without BFQ or CFQ there is no weight file at all: an error.
    ::unlink((f.paths["blkio"] + "/blkio.bfq.weight").c_str());
    BOOST_TEST(apply_error(*cg, R"({"blockIO": {"weight": 100}})") ==
               "linux.resources.blockIO.weight: the kernel has neither blkio.weight nor "
               "blkio.bfq.weight (no CFQ or BFQ I/O scheduler)");
}

BOOST_AUTO_TEST_CASE(stats_and_their_json) {
    FakeV2 f;
    put(f.dir + "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\n"
                             "nr_throttled 4\nthrottled_usec 20\n");
    put(f.dir + "/memory.max", "67108864\n");
    put(f.dir + "/memory.stat", "anon 4096\nfile 8192\n");
    put(f.dir + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    put(f.dir + "/pids.current", "4\n");
    put(f.dir + "/pids.max", "100\n");
    put(f.dir + "/io.stat", "254:0 rbytes=100 wbytes=200 rios=3 wios=4\n");
    CgroupStats s = f.cg()->stats();
    BOOST_TEST(s.cpu.total == 1'500'000u);
    BOOST_TEST(s.cpu.throttled_time == 20'000u);
    BOOST_TEST(s.memory.usage.usage == 1048576u);
    BOOST_TEST(s.memory.usage.limit == 67108864u);
    BOOST_TEST(s.memory.usage.failcnt == 3u);
    BOOST_TEST(s.memory.cache == 8192u);
    BOOST_TEST(s.memory.swap.limit == UINT64_MAX);
    BOOST_TEST(s.pids.current == 4u);
    BOOST_TEST(s.pids.limit == 100u);
    BOOST_TEST(s.blkio.service_bytes.size() == 2u);
    std::string json = stats_event_json("c1", s);
    for (const char* part :
         {R"({"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":1500000,"kernel":500000,"user":1000000},"throttling":{"periods":10,"throttledPeriods":4,"throttledTime":20000}},)",
          R"("memory":{"cache":8192,"usage":{"limit":67108864,"usage":1048576,"failcnt":3},)",
          R"("pids":{"current":4,"limit":100},)",
          R"("blkio":{"ioServiceBytesRecursive":[{"major":254,"op":"Read","value":100},{"major":254,"op":"Write","value":200}],)",
          R"("raw":{"anon":4096,"file":8192}})",
          R"("intel_rdt":{},"network_interfaces":null}})"})
        BOOST_TEST(json.find(part) != std::string::npos, "missing " << part << " in " << json);
    BOOST_TEST(json.back() == '}');
    BOOST_TEST(event_json("oom", "c1") == R"({"type":"oom","id":"c1"})");
}

BOOST_AUTO_TEST_CASE(v2_oom_watch_counts_kills) {
    FakeV2 f;
    put(f.dir + "/memory.events", "oom 0\noom_kill 1\n");
    auto watch = f.cg()->watch_oom();
    BOOST_REQUIRE(watch);
    BOOST_TEST(watch->drain() == 0u);  // kills before the watch started do not count
    put(f.dir + "/memory.events", "oom 2\noom_kill 3\n");
    pollfd p{watch->fd(), POLLIN, 0};
    BOOST_TEST(::poll(&p, 1, 2000) == 1);
    BOOST_TEST(watch->drain() == 2u);
    BOOST_TEST(watch->drain() == 0u);
}

BOOST_AUTO_TEST_CASE(device_rules_v1_text) {
    auto r = rules(R"([{"allow": false}, {"allow": true, "type": "c", "major": 1, "access": "r"},
                       {"allow": true, "type": "b", "minor": 3, "access": "rwm"}])");
    BOOST_TEST(cgroupdev::v1_rule(r[0]) == "a *:* rwm");
    BOOST_TEST(cgroupdev::v1_rule(r[1]) == "c 1:* r");
    BOOST_TEST(cgroupdev::v1_rule(r[2]) == "b *:3 rwm");
    auto all = cgroupdev::effective_rules(r);
    BOOST_TEST(all.size() == 3u + 11u);
    BOOST_TEST(cgroupdev::v1_rule(all.back()) == "c 136:* rwm");
    BOOST_TEST(cgroupdev::effective_rules({}).empty());
}

BOOST_AUTO_TEST_CASE(device_program_semantics) {
    // The example config's rules: deny everything, then the defaults.
    auto p = cgroupdev::bpf_program(cgroupdev::effective_rules(rules(R"([{"allow": false, "access": "rwm"}])")));
    BOOST_TEST(run_bpf(p, C, 1, 3, R | W) == 1);  // /dev/null
    BOOST_TEST(run_bpf(p, C, 136, 7, R | W) == 1);  // a pts slave
    BOOST_TEST(run_bpf(p, B, 7, 0, M) == 1);   // mknod of anything
    BOOST_TEST(run_bpf(p, B, 7, 0, R) == 0);   // but not opening it
    BOOST_TEST(run_bpf(p, C, 1, 1, R) == 0);   // /dev/mem
    BOOST_TEST(run_bpf(p, C, 10, 200, R | W) == 0);

    // Later rules refine earlier ones, bit by bit.
    p = cgroupdev::bpf_program(rules(R"([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "access": "rw"},
        {"allow": false, "type": "c", "major": 10, "minor": 200, "access": "w"},
        {"allow": true, "type": "b", "major": 4000000000, "minor": 1, "access": "r"}])"));
    BOOST_TEST(run_bpf(p, C, 10, 229, R | W) == 1);
    BOOST_TEST(run_bpf(p, C, 10, 200, R) == 1);
    BOOST_TEST(run_bpf(p, C, 10, 200, W) == 0);
    BOOST_TEST(run_bpf(p, C, 10, 200, R | W) == 0);  // write is part of it
    BOOST_TEST(run_bpf(p, C, 10, 229, M) == 0);
    BOOST_TEST(run_bpf(p, B, 10, 229, R) == 0);       // type matters
    BOOST_TEST(run_bpf(p, B, 4000000000u, 1, R) == 1);  // numbers above 2^31
    BOOST_TEST(run_bpf(p, B, 4000000000u, 1, W) == 0);

    // Allow all, then deny one: the rest stays allowed.
    p = cgroupdev::bpf_program(rules(R"([{"allow": true, "access": "rwm"},
        {"allow": false, "type": "c", "major": 1, "minor": 9, "access": "r"}])"));
    BOOST_TEST(run_bpf(p, C, 1, 9, W) == 1);
    BOOST_TEST(run_bpf(p, C, 1, 9, R) == 0);
    BOOST_TEST(run_bpf(p, B, 8, 0, R | W | M) == 1);
    // No rules: nothing allowed.
    BOOST_TEST(run_bpf(cgroupdev::bpf_program({}), C, 1, 3, R) == 0);
}

// The kernel's verifier takes the program and, in a cgroup2 directory of our own, enforces
// it: /dev/null opens, /dev/zero (c 1:5, not allowed by these rules) does not.
BOOST_AUTO_TEST_CASE(device_program_in_the_kernel) {
    std::string mount;
    if (::geteuid() != 0 || !have_cgroup2(mount)) {
        BOOST_TEST_MESSAGE("skipped: needs root and a cgroup2 mount");
        return;
    }
    std::string parent = mount + "/myrt";
    ::mkdir(parent.c_str(), 0755);
    std::string dir = parent + "/unit-devices-" + std::to_string(::getpid());
    BOOST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    auto prog = cgroupdev::bpf_program(rules(R"([{"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}])"));
    std::string err = error_of<Error>([&] { cgroupdev::attach_bpf(dir, prog); });
    if (err == "<no error>") {
        // Attached twice: the second replaces the first (one program left).
        cgroupdev::attach_bpf(dir, prog);
        pid_t pid = fork_child([&] {
            write_file(dir + "/cgroup.procs", std::to_string(::getpid()));
            int null_fd = ::open("/dev/null", O_RDWR);
            int zero_fd = ::open("/dev/zero", O_RDONLY);
            int zero_errno = errno;
            return (null_fd >= 0 ? 0 : 1) | (zero_fd < 0 && zero_errno == EPERM ? 0 : 2);
        });
        BOOST_TEST(wait_exit(pid) == 0);
        cgroupdev::detach_bpf(dir);
        pid = fork_child([&] {
            write_file(dir + "/cgroup.procs", std::to_string(::getpid()));
            return ::open("/dev/zero", O_RDONLY) >= 0 ? 0 : 1;
        });
        BOOST_TEST(wait_exit(pid) == 0);
    }
    ::rmdir(dir.c_str());
    ::rmdir(parent.c_str());  // unless other cgroups of ours are there
    BOOST_TEST(err == "<no error>");
}
