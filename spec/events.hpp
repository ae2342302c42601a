// `events`: a container's cgroup statistics and its OOM kills as JSON lines in runc's shape
// ({"type":"stats","id":ID,"data":{...}}, {"type":"oom","id":ID}).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

// What a cgroup holds, in the units and shape of runc's `events --stats` (libcontainer's
// types.Stats): times in nanoseconds, sizes in bytes, 0 for "not available" or "no limit".
struct Stats {
    struct Cpu {
        uint64_t total = 0, kernel = 0, user = 0;
        std::vector<uint64_t> percpu, percpu_kernel, percpu_user;
        uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;
    } cpu;
    struct CpuSet {
        std::vector<uint16_t> cpus, mems;
        std::map<std::string, int64_t> flags;  // v1 cpuset.* switches (cpu_exclusive, ...)
    } cpuset;
    struct MemoryEntry {
        uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
    };
    struct Memory {
        uint64_t cache = 0;
        MemoryEntry usage, swap, kernel, kernel_tcp;
        std::map<std::string, uint64_t> raw;  // memory.stat
    } memory;
    struct Pids {
        uint64_t current = 0, limit = 0;
    } pids;
    struct BlkioEntry {
        uint64_t major = 0, minor = 0;
        std::string op;
        uint64_t value = 0;
    };
    struct Blkio {
        std::vector<BlkioEntry> service_bytes, serviced;
    } blkio;
    struct Hugetlb {
        uint64_t usage = 0, max = 0, failcnt = 0;
    };
    std::map<std::string, Hugetlb> hugetlb;  // page size ("2MB") -> usage
};

// {"type":"stats","id":ID,"data":{...}}: members that are zero or empty are omitted where
// runc's (Go's `omitempty`) are, so the output has runc's shape.
std::string stats_event_json(std::string_view id, const Stats& stats);
// An event without data: {"type":TYPE,"id":ID}
std::string event_json(std::string_view type, std::string_view id);

}  // namespace myrt::spec
