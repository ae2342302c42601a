// cgroup v2: one directory in the unified hierarchy.
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <limits>

#include "runtime/cgroup/cgroup_devices.hpp"
#include "runtime/cgroup/cgroup_drivers.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

using cgroupfs::field_error;

constexpr const char* kMount = "/sys/fs/cgroup";
const std::string kRes = "linux.resources.";

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
    ::nanosleep(&ts, nullptr);
}

// A limit file: "max" is no limit (reported as UINT64_MAX, as runc does for v2).
uint64_t read_limit(const std::string& path) {
    if (cgroupfs::read_or_empty(path) == "max") return std::numeric_limits<uint64_t>::max();
    return cgroupfs::read_u64(path);
}

// OOM kills of a v2 cgroup: memory.events (hierarchical) is modified on every event, and
// its oom_kill counter says whether one was a kill.
class OomWatchV2 final : public OomWatch {
public:
    explicit OomWatchV2(std::string dir) : events_(std::move(dir) + "/memory.events") {
        fd_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
        if (!fd_) throw_errno("inotify_init1");
        if (::inotify_add_watch(fd_.get(), events_.c_str(), IN_MODIFY) < 0)
            throw_errno("watch " + events_);
        kills_ = kills();
    }
    int fd() const override { return fd_.get(); }
    uint64_t drain() override {
        char buf[4096];
        while (::read(fd_.get(), buf, sizeof buf) > 0) {
        }
        uint64_t now = kills();
        uint64_t n = now > kills_ ? now - kills_ : 0;
        kills_ = std::max(now, kills_);
        return n;
    }

private:
    uint64_t kills() const { return cgroupfs::read_keyed(events_)["oom_kill"]; }
    std::string events_;
    UniqueFd fd_;
    uint64_t kills_ = 0;
};

class CgroupV2 final : public Cgroup {
public:
    CgroupV2(std::string dir, bool owned) : dir_(std::move(dir)), owned_(owned) {}

    CgroupVersion version() const override { return CgroupVersion::v2; }

    void create() override {
        std::string rel = dir_.substr(std::string_view(kMount).size());
        cgroupfs::make_path(kMount, rel, [&](const std::string& dir) {
            if (dir == dir_) owned_ = true;
        });
        enable_controllers(rel);
    }

    void add_process(pid_t pid) override {
        cgroupfs::write(dir_, "cgroup.procs", std::to_string(pid));
    }

    void apply(const spec::Resources& r) override { set_resources(r, false); }
    void update(const spec::Resources& r) override { set_resources(r, true); }

    void freeze(bool frozen) override {
        cgroupfs::write(dir_, "cgroup.freeze", frozen ? "1" : "0");
        std::string want = frozen ? "frozen 1" : "frozen 0";
        for (int i = 0; i < 1000; ++i) {
            if (cgroupfs::read_trimmed(dir_ + "/cgroup.events").find(want) != std::string::npos)
                return;
            sleep_ms(1);
        }
        throw Error("cgroup " + dir_ + " did not reach " + want);
    }

    // Frozen by its own cgroup.freeze, or by an ancestor's (cgroup.events says so).
    bool frozen() const override {
        try {
            return cgroupfs::read_trimmed(dir_ + "/cgroup.freeze") == "1" ||
                   cgroupfs::read_keyed(dir_ + "/cgroup.events")["frozen"] == 1;
        } catch (const Error&) {
            return false;
        }
    }

    std::vector<pid_t> pids() const override { return cgroupfs::read_pids_tree(dir_); }

    CgroupStats stats() const override;

    std::unique_ptr<OomWatch> watch_oom() const override {
        if (!cgroupfs::has(dir_, "memory.events")) return nullptr;
        return std::make_unique<OomWatchV2>(dir_);
    }

    bool populated() const override { return !pids().empty(); }

    std::vector<std::string> owned() const override {
        return owned_ ? std::vector<std::string>{dir_} : std::vector<std::string>{};
    }

    void remove() override {
        for (int i = 0; i < 200 && populated(); ++i) sleep_ms(5);
        // The device program would go with the cgroup anyway; detached here so that nothing
        // depends on when the kernel frees the cgroup (and a joined cgroup is given back
        // without the container's device rules).
        if (!populated()) {
            try {
                cgroupdev::detach_bpf(dir_);
            } catch (const Error& e) {
                log::debug(std::string("detach device program: ") + e.what());
            }
        }
        if (owned_) cgroupfs::remove_dir(dir_);
    }

    std::map<std::string, std::string> paths() const override { return {{"", dir_}}; }

private:
    // Every level above the container must delegate the controllers to its children.
    void enable_controllers(const std::string& rel) {
        std::string dir = kMount;
        size_t pos = 1;
        while (true) {
            std::string available;
            try {
                available = cgroupfs::read_trimmed(dir + "/cgroup.controllers");
            } catch (const Error&) {
                return;
            }
            std::string enable;
            size_t p = 0;
            while (p < available.size()) {
                size_t e = available.find(' ', p);
                if (e == std::string::npos) e = available.size();
                enable += enable.empty() ? "+" : " +";
                enable.append(available, p, e - p);
                p = e + 1;
            }
            if (!enable.empty()) {
                try {
                    cgroupfs::write(dir, "cgroup.subtree_control", enable);
                } catch (const Error&) {
                    // Some controllers (e.g. cpu with realtime tasks) may refuse; the ones
                    // the container uses are checked when limits are written.
                }
            }
            size_t next = rel.find('/', pos);
            if (next == std::string::npos) break;  // the leaf itself enables nothing
            dir = std::string(kMount) + rel.substr(0, next);
            pos = next + 1;
        }
    }

    // The controller must be enabled for this cgroup (listed in its cgroup.controllers).
    void require(const std::string& field, std::string_view controller) const {
        std::string list = " ", word = " ";
        try {
            list += cgroupfs::read_trimmed(dir_ + "/cgroup.controllers");
        } catch (const Error& e) {
            field_error(field, e.what(), e.code());
        }
        list += ' ';
        word.append(controller).push_back(' ');
        if (list.find(word) == std::string::npos)
            field_error(field, "the " + std::string(controller) +
                                   " controller is not available in " + dir_ +
                                   " (not enabled in the parent's cgroup.subtree_control)",
                        ENOTSUP);
    }

    void set(const std::string& field, std::string_view file, const std::string& value) {
        cgroupfs::set(field, dir_, file, value);
    }

    void set_resources(const spec::Resources& r, bool update);
    void set_devices(const std::vector<spec::DeviceCgroup>& rules);
    void set_memory(const spec::Memory& m, bool update);
    void set_cpu(const spec::CPU& c);
    void set_io(const spec::BlockIO& b);
    void set_hugetlb(const std::vector<spec::HugepageLimit>& limits);
    void set_unified(const spec::StringMap& unified);

    std::string dir_;
    bool owned_ = false;  // dir_ was made for this container
};

void CgroupV2::set_resources(const spec::Resources& r, bool update) {
    cgroupfs::check_cpu(r);
    if (!r.devices.empty()) set_devices(r.devices);
    if (r.memory) set_memory(*r.memory, update);
    if (r.cpu) set_cpu(*r.cpu);
    if (r.pids && r.pids->limit) {
        require(kRes + "pids.limit", "pids");
        set(kRes + "pids.limit", "pids.max", cgroupfs::limit_text(*r.pids->limit));
    }
    if (r.blockIO) set_io(*r.blockIO);
    if (!r.hugepageLimits.empty()) set_hugetlb(r.hugepageLimits);
    if (r.network && (r.network->classID || !r.network->priorities.empty()))
        log::warn(kRes + "network: net_cls and net_prio do not exist on cgroup v2, ignored");
    if (!r.rdma.empty()) {
        require(kRes + "rdma", "rdma");
        for (const auto& [device, limit] : r.rdma)
            set(kRes + "rdma." + device, "rdma.max", cgroupfs::rdma_line(device, limit));
    }
    // Last: the raw settings win over the converted ones.
    if (!r.unified.empty()) set_unified(r.unified);
}

// No devices controller on v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
// cgroup enforces the same list.
void CgroupV2::set_devices(const std::vector<spec::DeviceCgroup>& rules) {
    cgroupdev::validate(rules);
    try {
        cgroupdev::attach_bpf(dir_, cgroupdev::bpf_program(cgroupdev::effective_rules(rules)));
    } catch (const Error& e) {
        field_error(kRes + "devices", e.what(), e.code());
    }
}

void CgroupV2::set_memory(const spec::Memory& m, bool update) {
    const std::string f = kRes + "memory.";
    cgroupfs::warn_kernel_memory(m);
    if (m.kernel) log::warn(f + "kernel: cgroup v2 has no kernel memory limit, ignored");
    if (m.kernelTCP) log::warn(f + "kernelTCP: cgroup v2 has no kernel TCP memory limit, ignored");
    if (m.swappiness)
        log::warn(f + "swappiness: cgroup v2 has no per-cgroup swappiness, ignored");
    if (m.disableOOMKiller && *m.disableOOMKiller)
        log::warn(f + "disableOOMKiller: the OOM killer cannot be disabled on cgroup v2, ignored");
    if (m.useHierarchy && !*m.useHierarchy)
        log::warn(f + "useHierarchy: cgroup v2 is always hierarchical, ignored");
    // 0 means "not set" for the limits, as in runc.
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0),
            reservation = m.reservation.value_or(0);
    if (limit == 0 && swap == 0 && reservation == 0) return;
    require(f + (limit ? "limit" : swap ? "swap" : "reservation"), "memory");
    if (update && m.checkBeforeUpdate.value_or(false) && limit > 0) {
        // v2 would not refuse: it would reclaim and then OOM-kill.
        uint64_t usage = cgroupfs::read_u64(dir_ + "/memory.current");
        if (static_cast<uint64_t>(limit) < usage)
            field_error(f + "limit", "new limit " + std::to_string(limit) +
                                         " is below the current usage " + std::to_string(usage) +
                                         " (checkBeforeUpdate)",
                        EBUSY);
    }
    if (limit != 0) set(f + "limit", "memory.max", cgroupfs::limit_text(limit));
    // The spec's swap is memory+swap (v1); memory.swap.max is the swap alone.
    if (limit == -1 && swap == 0) swap = -1;
    if (swap != 0) {
        std::string value = "max";
        if (swap > 0) {
            uint64_t memory = limit > 0 ? static_cast<uint64_t>(limit)
                                        : read_limit(dir_ + "/memory.max");
            if (memory == 0 || memory == std::numeric_limits<uint64_t>::max())
                field_error(f + "swap", "a swap limit needs a memory limit", EINVAL);
            if (static_cast<uint64_t>(swap) < memory)
                field_error(f + "swap", "memory+swap " + std::to_string(swap) +
                                            " is below the memory limit " + std::to_string(memory),
                            EINVAL);
            value = std::to_string(static_cast<uint64_t>(swap) - memory);
        }
        if (cgroupfs::has(dir_, "memory.swap.max"))
            set(f + "swap", "memory.swap.max", value);
        else
            log::warn(f + "swap: the kernel does not account swap (no memory.swap.max), ignored");
    }
    if (reservation != 0) set(f + "reservation", "memory.low", cgroupfs::limit_text(reservation));
}

void CgroupV2::set_cpu(const spec::CPU& c) {
    const std::string f = kRes + "cpu.";
    if ((c.realtimeRuntime && *c.realtimeRuntime != 0) || (c.realtimePeriod && *c.realtimePeriod != 0))
        field_error(f + (c.realtimeRuntime && *c.realtimeRuntime ? "realtimeRuntime" : "realtimePeriod"),
                    "cgroup v2 has no realtime group scheduling", ENOTSUP);
    bool shares = c.shares && *c.shares != 0, quota = c.quota && *c.quota != 0,
         period = c.period && *c.period != 0;
    if (shares || quota || period || c.burst || c.idle)
        require(cgroupfs::first_field(f, {{shares, "shares"}, {quota, "quota"}, {period, "period"},
                                          {c.burst.has_value(), "burst"}, {c.idle.has_value(), "idle"}}),
                "cpu");
    if (c.idle) set(f + "idle", "cpu.idle", std::to_string(*c.idle));
    if (shares) {
        if (c.idle && *c.idle != 0)
            log::warn(f + "shares: a SCHED_IDLE cgroup (idle=1) has no weight, ignored");
        else
            set(f + "shares", "cpu.weight", std::to_string(cgroupfs::shares_to_weight(*c.shares)));
    }
    // A burst above the old quota is refused (EINVAL): then it is written after the quota.
    bool burst_later = false;
    if (c.burst) {
        try {
            set(f + "burst", "cpu.max.burst", std::to_string(*c.burst));
        } catch (const Error& e) {
            if (e.code() != EINVAL || !quota) throw;
            burst_later = true;
        }
    }
    if (quota || period) {
        // cpu.max is "QUOTA PERIOD"; the half not given keeps its current value.
        std::string q;
        if (quota) {
            q = *c.quota > 0 ? std::to_string(*c.quota) : "max";
        } else {
            std::string cur = cgroupfs::read_trimmed(dir_ + "/cpu.max");
            q = cur.substr(0, cur.find(' '));
        }
        set(f + (quota ? "quota" : "period"), "cpu.max",
            period ? q + " " + std::to_string(*c.period) : q);
    }
    if (burst_later) set(f + "burst", "cpu.max.burst", std::to_string(*c.burst));
    if (c.cpus || c.mems) require(f + (c.cpus ? "cpus" : "mems"), "cpuset");
    if (c.cpus) set(f + "cpus", "cpuset.cpus", *c.cpus);
    if (c.mems) set(f + "mems", "cpuset.mems", *c.mems);
}

void CgroupV2::set_io(const spec::BlockIO& b) {
    const std::string f = kRes + "blockIO.";
    std::string first = cgroupfs::blockio_field(b);
    if (first.empty()) return;
    require(first, "io");
    // BFQ takes blkio's weight range as is; io.weight (1..10000) needs the conversion.
    bool bfq = cgroupfs::has(dir_, "io.bfq.weight");
    auto weight = [&](uint16_t w) {
        return std::to_string(bfq ? w : cgroupfs::blkio_to_io_weight(w));
    };
    if (b.weight && *b.weight != 0)
        set(f + "weight", bfq ? "io.bfq.weight" : "io.weight", weight(*b.weight));
    if (b.leafWeight) log::warn(f + "leafWeight: cgroup v2 has no leaf weight, ignored");
    for (size_t i = 0; i < b.weightDevice.size(); ++i) {
        const auto& w = b.weightDevice[i];
        std::string field = f + "weightDevice[" + std::to_string(i) + "]";
        if (w.weight)
            set(field + ".weight", bfq ? "io.bfq.weight" : "io.weight",
                std::to_string(w.major) + ":" + std::to_string(w.minor) + " " + weight(*w.weight));
        if (w.leafWeight) log::warn(field + ".leafWeight: cgroup v2 has no leaf weight, ignored");
    }
    cgroupfs::for_throttles(b, [&](const std::string& field, const spec::ThrottleDevice& t,
                                   std::string_view, std::string_view key) {
        set(field, "io.max",
            std::to_string(t.major) + ":" + std::to_string(t.minor) + " " + std::string(key) +
                "=" + (t.rate == 0 ? std::string("max") : std::to_string(t.rate)));
    });
}

void CgroupV2::set_hugetlb(const std::vector<spec::HugepageLimit>& limits) {
    for (size_t i = 0; i < limits.size(); ++i) {
        std::string field = kRes + "hugepageLimits[" + std::to_string(i) + "]";
        require(field, "hugetlb");
        const std::string& size = limits[i].pageSize;
        std::string file = "hugetlb." + size + ".max";
        if (size.find('/') != std::string::npos || !cgroupfs::has(dir_, file))
            cgroupfs::unknown_page_size(field, size);
        set(field + ".limit", file, std::to_string(limits[i].limit));
        std::string rsvd = "hugetlb." + size + ".rsvd.max";
        if (cgroupfs::has(dir_, rsvd)) set(field + ".limit", rsvd, std::to_string(limits[i].limit));
    }
}

void CgroupV2::set_unified(const spec::StringMap& unified) {
    for (const auto& [key, value] : unified) {
        std::string field = kRes + "unified[\"" + key + "\"]";
        if (key.empty() || key.find('/') != std::string::npos || key.starts_with(".") ||
            key.find('.') == std::string::npos)
            field_error(field, "not a cgroup v2 file name", EINVAL);
        std::string controller = key.substr(0, key.find('.'));
        if (controller != "cgroup") require(field, controller);
        if (!cgroupfs::has(dir_, key))
            field_error(field, "no such file in " + dir_, ENOENT);
        set(field, key, value);
    }
}

CgroupStats CgroupV2::stats() const {
    CgroupStats s;
    auto cpu = cgroupfs::read_keyed(dir_ + "/cpu.stat");
    s.cpu.total = cpu["usage_usec"] * 1000;
    s.cpu.user = cpu["user_usec"] * 1000;
    s.cpu.kernel = cpu["system_usec"] * 1000;
    s.cpu.periods = cpu["nr_periods"];
    s.cpu.throttled_periods = cpu["nr_throttled"];
    s.cpu.throttled_time = cpu["throttled_usec"] * 1000;
    s.cpuset.cpus = cgroupfs::parse_id_list(cgroupfs::read_or_empty(dir_ + "/cpuset.cpus.effective"));
    s.cpuset.mems = cgroupfs::parse_id_list(cgroupfs::read_or_empty(dir_ + "/cpuset.mems.effective"));

    auto& m = s.memory;
    m.usage.usage = cgroupfs::read_u64(dir_ + "/memory.current");
    m.usage.limit = read_limit(dir_ + "/memory.max");
    m.usage.max = cgroupfs::read_u64(dir_ + "/memory.peak");
    m.usage.failcnt = cgroupfs::read_keyed(dir_ + "/memory.events")["max"];
    // v1 reports swap as memory+swap; so do we, for the same readers.
    m.swap.usage = cgroupfs::read_u64(dir_ + "/memory.swap.current") + m.usage.usage;
    m.swap.limit = read_limit(dir_ + "/memory.swap.max");
    if (m.swap.limit != std::numeric_limits<uint64_t>::max()) m.swap.limit += m.usage.limit;
    m.swap.failcnt = cgroupfs::read_keyed(dir_ + "/memory.swap.events")["max"];
    m.raw = cgroupfs::read_keyed(dir_ + "/memory.stat");
    m.cache = m.raw.count("file") ? m.raw["file"] : 0;

    s.pids.current = cgroupfs::read_u64(dir_ + "/pids.current");
    s.pids.limit = cgroupfs::read_u64(dir_ + "/pids.max");

    for (const auto& v : cgroupfs::read_io_stat(dir_ + "/io.stat")) {
        if (v.key == "rbytes" || v.key == "wbytes")
            s.blkio.service_bytes.push_back({v.major, v.minor, v.key == "rbytes" ? "Read" : "Write", v.value});
        if (v.key == "rios" || v.key == "wios")
            s.blkio.serviced.push_back({v.major, v.minor, v.key == "rios" ? "Read" : "Write", v.value});
    }
    for (const auto& size : cgroupfs::hugepage_sizes()) {
        std::string p = dir_ + "/hugetlb." + size;
        if (!cgroupfs::has(dir_, "hugetlb." + size + ".current")) continue;
        s.hugetlb[size] = {cgroupfs::read_u64(p + ".current"), 0,
                           cgroupfs::read_keyed(p + ".events")["max"]};
    }
    return s;
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v2(const std::string& path) {
    return std::make_unique<CgroupV2>(path == "/" ? kMount : kMount + path, false);
}

std::unique_ptr<Cgroup> reopen_cgroup_v2(const std::string& dir, bool owned) {
    return std::make_unique<CgroupV2>(dir, owned);
}

}  // namespace myrt
