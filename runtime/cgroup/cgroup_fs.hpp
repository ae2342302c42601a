// Small helpers shared by the cgroup drivers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/fd.hpp"
#include "spec/config.hpp"

namespace myrt::cgroupfs {

std::string read_trimmed(const std::string& path);
void write(const std::string& dir, std::string_view file, std::string_view value);
// write() for a field of linux.resources: a failure names the field,
// "linux.resources.memory.limit: write /sys/fs/cgroup/...: invalid argument".
void set(const std::string& field, const std::string& dir, std::string_view file,
         std::string_view value);
// For several values to one knob (v1 device rules): open once, write_knob() each. Failures
// name the field as set() does.
UniqueFd open_knob(const std::string& field, const std::string& dir, std::string_view file);
void write_knob(const std::string& field, int fd, const std::string& dir, std::string_view file,
                std::string_view value);
[[noreturn]] void field_error(const std::string& field, const std::string& why, int err = 0);
bool has(const std::string& dir, std::string_view file);
// mkdir -p below `mount_root`, calling on_new(dir) for every directory it makes, top down.
template <typename F>
void make_path(const std::string& mount_root, const std::string& rel, F on_new);
// The pids in cgroup.procs of dir and of every cgroup below it (a container may make
// sub-cgroups); none when dir does not exist.
std::vector<pid_t> read_pids_tree(const std::string& dir);
// rmdir of dir and the cgroups below it, deepest first, each waiting (briefly) for exiting
// processes to leave. One still busy then is left, with a warning: whatever is in it is
// not ours to kill.
void remove_dir(const std::string& dir);

// Readers for statistics: 0 / empty when the file is missing or unreadable.
std::string read_or_empty(const std::string& path);
// A number, with "max" (no limit) read as 0.
uint64_t read_u64(const std::string& path);
// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control, ...).
std::map<std::string, uint64_t> read_keyed(const std::string& path);
// Whitespace-separated numbers (cpuacct.usage_percpu).
std::vector<uint64_t> read_u64_list(const std::string& path);
// "0-3,7" -> 0 1 2 3 7
std::vector<uint16_t> parse_id_list(std::string_view list);

// -1 (or any negative) -> "max", else the number.
std::string limit_text(int64_t value);

// cpu.shares (2..262144) -> cpu.weight (1..10000), the conversion runc, crun and systemd use.
uint64_t shares_to_weight(uint64_t shares);
// blkio.weight (10..1000) -> io.weight (1..10000), runc's conversion.
uint64_t blkio_to_io_weight(uint64_t weight);

// The huge page sizes of the host as cgroup files name them: "2MB", "1GB".
std::vector<std::string> hugepage_sizes();
// blkio / io statistics lines "8:0 Read 4096" (v1) into entries; "Total" lines are skipped.
struct DeviceValue {
    uint64_t major = 0, minor = 0;
    std::string key;
    uint64_t value = 0;
};
std::vector<DeviceValue> read_device_values(const std::string& path);
// io.stat lines "8:0 rbytes=1 wbytes=2 ..." (v2).
std::vector<DeviceValue> read_io_stat(const std::string& path);

// ---- linux.resources checks and formats shared by both drivers ----

// "linux.resources.memory.swap": PREFIX and the first NAME whose flag is set (the field to
// blame when a whole controller is missing), the first NAME when none is.
std::string first_field(const std::string& prefix,
                        std::initializer_list<std::pair<bool, const char*>> fields);
// The first blockIO field set ("linux.resources.blockIO.weight"), "" when none is.
std::string blockio_field(const spec::BlockIO& b);
// cpu.burst must not exceed a positive quota (the spec lets runtimes refuse it).
void check_cpu(const spec::Resources& r);
// memory.kernel and memory.kernelTCP are NOT RECOMMENDED by the spec: warn when present.
void warn_kernel_memory(const spec::Memory& m);
// Error naming the page sizes the host has.
[[noreturn]] void unknown_page_size(const std::string& field, const std::string& size);
// "mlx4_0 hca_handle=2 hca_object=2000" (rdma.max, v1 and v2).
std::string rdma_line(const std::string& device, const spec::RdmaLimit& limit);
// Calls f(field, device, v1 file, v2 io.max key) for every throttle entry of blockIO.
template <typename F>
void for_throttles(const spec::BlockIO& b, F f) {
    struct Kind {
        const std::vector<spec::ThrottleDevice>* list;
        const char* name;
        const char* v1_file;
        const char* v2_key;
    };
    const Kind kinds[] = {
        {&b.throttleReadBpsDevice, "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
        {&b.throttleWriteBpsDevice, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
        {&b.throttleReadIOPSDevice, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
        {&b.throttleWriteIOPSDevice, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
    };
    for (const auto& k : kinds)
        for (size_t i = 0; i < k.list->size(); ++i)
            f("linux.resources.blockIO." + std::string(k.name) + "[" + std::to_string(i) + "]",
              (*k.list)[i], std::string_view(k.v1_file), std::string_view(k.v2_key));
}

}  // namespace myrt::cgroupfs

#include <sys/stat.h>

#include "runtime/error.hpp"

namespace myrt::cgroupfs {

template <typename F>
void make_path(const std::string& mount_root, const std::string& rel, F on_new) {
    std::string dir = mount_root;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos);
        if (next == std::string::npos) next = rel.size();
        if (next > pos) {
            dir += "/";
            dir.append(rel, pos, next - pos);
            if (::mkdir(dir.c_str(), 0755) == 0)
                on_new(dir);
            else if (errno != EEXIST)
                throw_errno("create cgroup " + dir);
        }
        pos = next + 1;
    }
}

}  // namespace myrt::cgroupfs
