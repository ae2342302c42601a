// cgroup v1: one directory per mounted hierarchy.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "runtime/cgroup/cgroup_devices.hpp"
#include "runtime/cgroup/cgroup_drivers.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

using cgroupfs::field_error;

const std::string kRes = "linux.resources.";

struct Hierarchy {
    std::string controllers;  // super options naming controllers, e.g. "cpu,cpuacct"
    std::string mount;        // e.g. /sys/fs/cgroup/cpu,cpuacct
    std::string dir;          // mount + container path
    bool owned = false;       // dir was made for this container
};

bool has_controller(const std::string& controllers, std::string_view name) {
    size_t pos = 0;
    while (pos <= controllers.size()) {
        size_t end = controllers.find(',', pos);
        if (end == std::string::npos) end = controllers.size();
        if (std::string_view(controllers).substr(pos, end - pos) == name) return true;
        pos = end + 1;
    }
    return false;
}

// Keys of the hierarchies without controllers that the container joins too, as runc does on
// a hybrid host: systemd's named one, and the cgroup2 mount beside the v1 ones ("").
constexpr std::string_view kNamedSystemd = "name=systemd";
bool controllerless(const std::string& key) { return key.empty() || key == kNamedSystemd; }

// Whether what is reachable at `path` now is a filesystem of that type: mountinfo also lists
// a cgroup mount that something else covers (a tmpfs over a hybrid host's unified mount, as
// the bench does for crun), and a directory made there would land in the cover.
bool visible_as(const char* path, long magic) {
    struct statfs fs {};
    return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == magic;
}

// v1 hierarchies from mountinfo: those of the controllers the kernel lists, systemd's named
// one, and the unified (v2) hierarchy of a hybrid host. Other named hierarchies belong to
// their owner and are left alone.
std::vector<Hierarchy> read_v1_hierarchies() {
    std::vector<Hierarchy> out;
    FILE* f = fopen("/proc/self/mountinfo", "re");
    if (!f) throw_errno("open /proc/self/mountinfo");
    char* line = nullptr;
    size_t cap = 0;
    static const char* known[] = {"cpuset", "cpu", "cpuacct", "blkio", "memory", "devices",
                                  "freezer", "net_cls", "perf_event", "net_prio", "hugetlb",
                                  "pids", "rdma", "misc"};
    while (getline(&line, &cap, f) > 0) {
        char* sep = strstr(line, " - ");
        bool v2 = sep && strncmp(sep, " - cgroup2 ", 11) == 0;
        if (!sep || (!v2 && strncmp(sep, " - cgroup ", 10) != 0)) continue;
        char mount[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mount) != 1) continue;
        if (v2) {
            if (std::string_view(mount) != "/sys/fs/cgroup" && visible_as(mount, CGROUP2_SUPER_MAGIC))
                out.push_back({"", mount, ""});
            continue;
        }
        if (!visible_as(mount, CGROUP_SUPER_MAGIC)) continue;
        char* opts = strrchr(sep, ' ');
        std::string super = opts ? opts + 1 : "";
        while (!super.empty() && super.back() == '\n') super.pop_back();
        std::string controllers;
        for (const char* c : known) {
            if (!has_controller(super, c)) continue;
            if (!controllers.empty()) controllers += ',';
            controllers += c;
        }
        if (controllers.empty() && has_controller(super, kNamedSystemd)) controllers = kNamedSystemd;
        if (!controllers.empty()) out.push_back({controllers, mount, ""});
    }
    free(line);
    fclose(f);
    return out;
}

// Read once per process: the runtime reads them for the container's cgroup before it
// clones init, and init (a fork, its mount namespace still a copy of the runtime's when it
// mounts the container's cgroup hierarchies) finds them here instead of parsing mountinfo
// and statfs-ing every hierarchy again. A myrt process lives for one command; the host's
// hierarchies do not change under it.
const std::vector<Hierarchy>& v1_hierarchies() {
    static const std::vector<Hierarchy> hierarchies = read_v1_hierarchies();
    return hierarchies;
}

// OOM notifications of a v1 memory cgroup: an eventfd registered on memory.oom_control
// through cgroup.event_control. The kernel signals it for every failed charge while the
// cgroup is out of memory (several per kill) and when the cgroup goes away, so it is only
// the wake-up: the events are the kills counted in memory.oom_control (oom_kill). Kernels
// before 4.13 have no such count, and with the OOM killer disabled nothing is killed: then
// every notification is an event, as runc reports them.
class OomWatchV1 final : public OomWatch {
public:
    explicit OomWatchV1(std::string dir) : dir_(std::move(dir)) {
        efd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!efd_) throw_errno("eventfd");
        std::string control = dir_ + "/memory.oom_control";
        ofd_ = UniqueFd(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
        if (!ofd_) throw_errno("open " + control);
        cgroupfs::write(dir_, "cgroup.event_control",
                        std::to_string(efd_.get()) + " " + std::to_string(ofd_.get()));
        kills_ = control_values()["oom_kill"];
    }
    int fd() const override { return efd_.get(); }
    uint64_t drain() override {
        uint64_t n = 0;
        if (::read(efd_.get(), &n, sizeof n) != sizeof n) n = 0;
        auto control = control_values();
        if (control.empty()) return 0;  // the cgroup is gone
        if (!control.count("oom_kill") || control["oom_kill_disable"] == 1) return n;
        // The notification comes before the kill: give the kill a moment to be counted.
        uint64_t kills = control["oom_kill"];
        for (int i = 0; n > 0 && kills <= kills_ && i < 20; ++i) {
            timespec ts{0, 5'000'000};
            ::nanosleep(&ts, nullptr);
            kills = control_values()["oom_kill"];
        }
        uint64_t out = kills > kills_ ? kills - kills_ : 0;
        kills_ = std::max(kills, kills_);
        return out;
    }

private:
    std::map<std::string, uint64_t> control_values() const {
        return cgroupfs::read_keyed(dir_ + "/memory.oom_control");
    }
    std::string dir_;
    UniqueFd efd_, ofd_;
    uint64_t kills_ = 0;
};

class CgroupV1 final : public Cgroup {
public:
    explicit CgroupV1(std::vector<Hierarchy> hs) : hs_(std::move(hs)) {}

    CgroupVersion version() const override { return CgroupVersion::v1; }

    void create() override {
        for (auto& h : hs_) {
            try {
                make(h);
            } catch (const Error& e) {
                if (!controllerless(h.controllers)) throw;
                // Nothing is limited there: without it (not delegated, say) the container
                // only lacks a place in systemd's or the unified tree.
                log::debug("cgroup " + h.dir + " not made: " + e.what());
                h.dir.clear();
            }
        }
        std::erase_if(hs_, [](const Hierarchy& h) { return h.dir.empty(); });
    }

    void add_process(pid_t pid) override {
        std::string s = std::to_string(pid);
        for (auto& h : hs_) cgroupfs::write(h.dir, "cgroup.procs", s);
    }

    void apply(const spec::Resources& r) override { set_resources(r, false); }
    void update(const spec::Resources& r) override { set_resources(r, true); }

    void freeze(bool frozen) override {
        const Hierarchy* h = find("freezer");
        if (!h) throw Error("the freezer cgroup controller is not available");
        const char* want = frozen ? "FROZEN" : "THAWED";
        // A deadline, not a count of tries: on a loaded host freezing every task can take
        // long past a thousand 1 ms naps, and a pause must not fail for that.
        timespec start{}, now{};
        ::clock_gettime(CLOCK_MONOTONIC, &start);
        for (long nap_ms = 1;; nap_ms = std::min(nap_ms * 2, 20L)) {
            cgroupfs::write(h->dir, "freezer.state", want);
            if (cgroupfs::read_trimmed(h->dir + "/freezer.state") == want) return;
            ::clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec >= 10) break;
            timespec ts{0, nap_ms * 1'000'000};
            ::nanosleep(&ts, nullptr);
        }
        throw Error("cgroup " + h->dir + " did not reach " + want + " in 10 s");
    }

    bool frozen() const override {
        const Hierarchy* h = find("freezer");
        if (!h) return false;
        try {
            return cgroupfs::read_trimmed(h->dir + "/freezer.state") != "THAWED";
        } catch (const Error&) {
            return false;
        }
    }

    std::vector<pid_t> pids() const override {
        const Hierarchy* h = find("pids");
        if (!h) h = hs_.empty() ? nullptr : &hs_.front();
        return h ? cgroupfs::read_pids_tree(h->dir) : std::vector<pid_t>{};
    }

    CgroupStats stats() const override;

    std::unique_ptr<OomWatch> watch_oom() const override {
        const Hierarchy* h = find("memory");
        if (!h) return nullptr;
        return std::make_unique<OomWatchV1>(h->dir);
    }

    bool populated() const override {
        for (auto& h : hs_)
            if (!cgroupfs::read_pids_tree(h.dir).empty()) return true;
        return false;
    }

    void remove() override {
        for (auto& h : hs_)
            if (h.owned) cgroupfs::remove_dir(h.dir);
    }

    std::map<std::string, std::string> paths() const override {
        std::map<std::string, std::string> out;
        for (auto& h : hs_) out[h.controllers] = h.dir;
        return out;
    }

    std::vector<std::string> owned() const override {
        std::vector<std::string> out;
        for (auto& h : hs_)
            if (h.owned) out.push_back(h.dir);
        return out;
    }

private:
    static void make(Hierarchy& h) {
        std::string rel = h.dir.substr(h.mount.size());
        cgroupfs::make_path(h.mount, rel, [&](const std::string& dir) {
            if (dir == h.dir) h.owned = true;
        });
        if (has_controller(h.controllers, "cpuset")) inherit_cpuset(h.dir, h.mount);
    }

    const Hierarchy* find(std::string_view controller) const {
        for (auto& h : hs_)
            if (has_controller(h.controllers, controller)) return &h;
        return nullptr;
    }

    // The directory of `controller`, or an error naming the field that needs it.
    const std::string& dir_for(const std::string& field, std::string_view controller) const {
        const Hierarchy* h = find(controller);
        if (!h)
            field_error(field, "the " + std::string(controller) +
                                   " cgroup controller is not available (no v1 hierarchy "
                                   "mounted for it)",
                        ENOTSUP);
        return h->dir;
    }

    // A v1 cpuset with no cpus or memory nodes refuses tasks (ENOSPC): dir gets its
    // parent's, and a parent that has none (made by someone who never set them) gets its
    // own parent's first, up to the hierarchy's root, as runc does. A cpuset already set is
    // never changed.
    static void inherit_cpuset(const std::string& dir, const std::string& mount) {
        if (dir.size() <= mount.size()) return;
        std::string parent = dir.substr(0, dir.rfind('/'));
        for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
            if (!cgroupfs::read_trimmed(dir + "/" + f).empty()) continue;
            std::string value = cgroupfs::read_trimmed(parent + "/" + f);
            if (value.empty()) {
                inherit_cpuset(parent, mount);
                value = cgroupfs::read_trimmed(parent + "/" + f);
            }
            cgroupfs::write(dir, f, value);
        }
    }

    void set_resources(const spec::Resources& r, bool update);
    void set_devices(const std::vector<spec::DeviceCgroup>& rules);
    void set_memory(const spec::Memory& m, bool update);
    void set_cpu(const spec::CPU& c);
    void set_blkio(const spec::BlockIO& b);
    void set_hugetlb(const std::vector<spec::HugepageLimit>& limits);
    void set_network(const spec::Network& n);
    void set_rdma(const std::map<std::string, spec::RdmaLimit>& rdma);

    std::vector<Hierarchy> hs_;
};

void CgroupV1::set_resources(const spec::Resources& r, bool update) {
    if (!r.unified.empty())
        field_error(kRes + "unified", "invalid configuration: cgroup v2 settings, but this host uses cgroup v1", ENOTSUP);
    cgroupfs::check_cpu(r);
    if (!r.devices.empty()) set_devices(r.devices);
    if (r.memory) set_memory(*r.memory, update);
    if (r.cpu) set_cpu(*r.cpu);
    if (r.pids && r.pids->limit)
        cgroupfs::set(kRes + "pids.limit", dir_for(kRes + "pids.limit", "pids"), "pids.max",
                      cgroupfs::limit_text(*r.pids->limit));
    if (r.blockIO) set_blkio(*r.blockIO);
    if (!r.hugepageLimits.empty()) set_hugetlb(r.hugepageLimits);
    if (r.network) set_network(*r.network);
    if (!r.rdma.empty()) set_rdma(r.rdma);
}

// Rules apply in spec order: a later rule refines an earlier one; the defaults come last.
void CgroupV1::set_devices(const std::vector<spec::DeviceCgroup>& rules) {
    cgroupdev::validate(rules);
    const std::string field = kRes + "devices";
    const std::string& dir = dir_for(field, "devices");
    // One open per run of rules going to the same file (the defaults are a deny-all and ten
    // allows): the kernel takes one rule per write(2), not per open.
    UniqueFd fd;
    const char* open_file = nullptr;
    for (const auto& d : cgroupdev::effective_rules(rules)) {
        const char* file = d.allow ? "devices.allow" : "devices.deny";
        if (file != open_file) {
            fd = cgroupfs::open_knob(field, dir, file);
            open_file = file;
        }
        cgroupfs::write_knob(field, fd.get(), dir, file, cgroupdev::v1_rule(d));
    }
}

void CgroupV1::set_memory(const spec::Memory& m, bool update) {
    const std::string f = kRes + "memory.";
    cgroupfs::warn_kernel_memory(m);
    std::string field = cgroupfs::first_field(
        f, {{m.limit.has_value(), "limit"}, {m.reservation.has_value(), "reservation"},
            {m.swap.has_value(), "swap"}, {m.swappiness.has_value(), "swappiness"},
            {m.disableOOMKiller.has_value(), "disableOOMKiller"},
            {m.useHierarchy.has_value(), "useHierarchy"}, {m.kernel.has_value(), "kernel"},
            {m.kernelTCP.has_value(), "kernelTCP"}});
    bool any = m.limit || m.reservation || m.swap || m.swappiness || m.disableOOMKiller ||
               m.useHierarchy || m.kernel || m.kernelTCP;
    if (!any) return;
    const std::string& dir = dir_for(field, "memory");
    if (m.kernel) {
        // Refused by kernels since 5.16 (EOPNOTSUPP); older ones still take it.
        try {
            cgroupfs::write(dir, "memory.kmem.limit_in_bytes", std::to_string(*m.kernel));
        } catch (const Error& e) {
            log::warn(f + "kernel: not supported by this kernel, ignored (" + e.what() + ")");
        }
    }
    if (m.kernelTCP) {
        if (cgroupfs::has(dir, "memory.kmem.tcp.limit_in_bytes"))
            cgroupfs::set(f + "kernelTCP", dir, "memory.kmem.tcp.limit_in_bytes",
                          std::to_string(*m.kernelTCP));
        else
            log::warn(f + "kernelTCP: the kernel has no memory.kmem.tcp.limit_in_bytes, ignored");
    }
    // 0 means "not set" for the limits, as in runc (callers fill in zeros for absent values).
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    bool memsw = cgroupfs::has(dir, "memory.memsw.limit_in_bytes");
    if (swap != 0 && !memsw) {
        log::warn(f + "swap: the kernel does not account swap (no memory.memsw.limit_in_bytes; "
                      "boot with swapaccount=1), ignored");
        swap = 0;
    }
    // Unlimited memory with swap unset means unlimited memory+swap, else the old memsw
    // limit would stay below the new limit.
    if (limit == -1 && swap == 0 && memsw) swap = -1;
    if (update && m.checkBeforeUpdate.value_or(false) && limit > 0) {
        uint64_t usage = cgroupfs::read_u64(dir + "/memory.usage_in_bytes");
        if (static_cast<uint64_t>(limit) < usage)
            field_error(f + "limit", "new limit " + std::to_string(limit) +
                                         " is below the current usage " + std::to_string(usage) +
                                         " (checkBeforeUpdate)",
                        EBUSY);
    }
    auto set_limit = [&] {
        if (limit != 0)
            cgroupfs::set(f + "limit", dir, "memory.limit_in_bytes", std::to_string(limit));
    };
    auto set_swap = [&] {
        if (swap != 0)
            cgroupfs::set(f + "swap", dir, "memory.memsw.limit_in_bytes", std::to_string(swap));
    };
    // memory.memsw.limit_in_bytes must never be below memory.limit_in_bytes: raise memsw
    // first when it grows past the current limit.
    uint64_t current = cgroupfs::read_u64(dir + "/memory.limit_in_bytes");
    if (limit != 0 && swap != 0 && (swap == -1 || current < static_cast<uint64_t>(swap))) {
        set_swap();
        set_limit();
    } else {
        set_limit();
        set_swap();
    }
    if (m.reservation && *m.reservation != 0)
        cgroupfs::set(f + "reservation", dir, "memory.soft_limit_in_bytes",
                      std::to_string(*m.reservation));
    if (m.swappiness) {
        if (*m.swappiness > 100)
            field_error(f + "swappiness", std::to_string(*m.swappiness) + " is not in 0..100",
                        EINVAL);
        cgroupfs::set(f + "swappiness", dir, "memory.swappiness", std::to_string(*m.swappiness));
    }
    if (m.disableOOMKiller)
        cgroupfs::set(f + "disableOOMKiller", dir, "memory.oom_control",
                      *m.disableOOMKiller ? "1" : "0");
    if (m.useHierarchy) {
        std::string want = *m.useHierarchy ? "1" : "0";
        if (cgroupfs::read_trimmed(dir + "/memory.use_hierarchy") != want)
            cgroupfs::set(f + "useHierarchy", dir, "memory.use_hierarchy", want);
    }
}

void CgroupV1::set_cpu(const spec::CPU& c) {
    const std::string f = kRes + "cpu.";
    bool cfs = c.shares || c.quota || c.period || c.burst || c.idle || c.realtimePeriod ||
               c.realtimeRuntime;
    if (cfs) {
        const std::string& dir = dir_for(
            cgroupfs::first_field(f, {{c.shares.has_value(), "shares"}, {c.quota.has_value(), "quota"},
                                      {c.period.has_value(), "period"}, {c.burst.has_value(), "burst"},
                                      {c.idle.has_value(), "idle"},
                                      {c.realtimePeriod.has_value(), "realtimePeriod"},
                                      {c.realtimeRuntime.has_value(), "realtimeRuntime"}}),
            "cpu");
        // Realtime first: runc's order, and a realtime budget needs the period it is for.
        if (c.realtimePeriod && *c.realtimePeriod != 0)
            cgroupfs::set(f + "realtimePeriod", dir, "cpu.rt_period_us",
                          std::to_string(*c.realtimePeriod));
        if (c.realtimeRuntime && *c.realtimeRuntime != 0)
            cgroupfs::set(f + "realtimeRuntime", dir, "cpu.rt_runtime_us",
                          std::to_string(*c.realtimeRuntime));
        if (c.shares && *c.shares != 0) {
            cgroupfs::set(f + "shares", dir, "cpu.shares", std::to_string(*c.shares));
            // The kernel clamps instead of refusing: say so.
            uint64_t got = cgroupfs::read_u64(dir + "/cpu.shares");
            if (got != *c.shares)
                field_error(f + "shares", std::to_string(*c.shares) +
                                              " is out of range (the kernel made it " +
                                              std::to_string(got) + ")",
                            EINVAL);
        }
        // A new period (or burst) can be refused (EINVAL) while the old quota is in place:
        // then it is written again once the new quota is.
        std::vector<std::pair<std::string, std::string>> retry;
        auto early = [&](const char* name, const char* file, const std::optional<uint64_t>& v) {
            if (!v) return;
            try {
                cgroupfs::set(f + name, dir, file, std::to_string(*v));
            } catch (const Error& e) {
                if (e.code() != EINVAL || !c.quota || *c.quota == 0) throw;
                retry.emplace_back(name, file);
            }
        };
        if (c.period && *c.period != 0) early("period", "cpu.cfs_period_us", c.period);
        early("burst", "cpu.cfs_burst_us", c.burst);
        if (c.quota && *c.quota != 0)
            cgroupfs::set(f + "quota", dir, "cpu.cfs_quota_us", std::to_string(*c.quota));
        for (const auto& [name, file] : retry)
            cgroupfs::set(f + name, dir, file,
                          std::to_string(name == "period" ? *c.period : *c.burst));
        if (c.idle) cgroupfs::set(f + "idle", dir, "cpu.idle", std::to_string(*c.idle));
    }
    if (c.cpus) cgroupfs::set(f + "cpus", dir_for(f + "cpus", "cpuset"), "cpuset.cpus", *c.cpus);
    if (c.mems) cgroupfs::set(f + "mems", dir_for(f + "mems", "cpuset"), "cpuset.mems", *c.mems);
}

void CgroupV1::set_blkio(const spec::BlockIO& b) {
    const std::string f = kRes + "blockIO.";
    std::string first = cgroupfs::blockio_field(b);
    if (first.empty()) return;
    const std::string& dir = dir_for(first, "blkio");
    // CFQ's files on old kernels, BFQ's on current ones.
    auto weight_file = [&](const std::string& field, const char* cfq, const char* bfq) {
        if (cgroupfs::has(dir, cfq)) return std::string(cfq);
        if (cgroupfs::has(dir, bfq)) return std::string(bfq);
        field_error(field, std::string("the kernel has neither ") + cfq + " nor " + bfq +
                               " (no CFQ or BFQ I/O scheduler)",
                    ENOTSUP);
    };
    if (b.weight && *b.weight != 0)
        cgroupfs::set(f + "weight", dir, weight_file(f + "weight", "blkio.weight", "blkio.bfq.weight"),
                      std::to_string(*b.weight));
    auto leaf = [&](const std::string& field, const char* file, const std::string& value) {
        if (cgroupfs::has(dir, file))
            cgroupfs::set(field, dir, file, value);
        else
            log::warn(field + ": the kernel has no " + file + " (CFQ only), ignored");
    };
    if (b.leafWeight && *b.leafWeight != 0)
        leaf(f + "leafWeight", "blkio.leaf_weight", std::to_string(*b.leafWeight));
    for (size_t i = 0; i < b.weightDevice.size(); ++i) {
        const auto& w = b.weightDevice[i];
        std::string field = f + "weightDevice[" + std::to_string(i) + "]";
        std::string dev = std::to_string(w.major) + ":" + std::to_string(w.minor) + " ";
        if (w.weight)
            cgroupfs::set(field + ".weight", dir,
                          weight_file(field + ".weight", "blkio.weight_device", "blkio.bfq.weight_device"),
                          dev + std::to_string(*w.weight));
        if (w.leafWeight)
            leaf(field + ".leafWeight", "blkio.leaf_weight_device", dev + std::to_string(*w.leafWeight));
    }
    cgroupfs::for_throttles(b, [&](const std::string& field, const spec::ThrottleDevice& t,
                                   std::string_view v1_file, std::string_view) {
        cgroupfs::set(field, dir, v1_file,
                      std::to_string(t.major) + ":" + std::to_string(t.minor) + " " +
                          std::to_string(t.rate));
    });
}

void CgroupV1::set_hugetlb(const std::vector<spec::HugepageLimit>& limits) {
    for (size_t i = 0; i < limits.size(); ++i) {
        std::string field = kRes + "hugepageLimits[" + std::to_string(i) + "]";
        const std::string& dir = dir_for(field, "hugetlb");
        const std::string& size = limits[i].pageSize;
        std::string file = "hugetlb." + size + ".limit_in_bytes";
        if (size.find('/') != std::string::npos || !cgroupfs::has(dir, file))
            cgroupfs::unknown_page_size(field, size);
        cgroupfs::set(field + ".limit", dir, file, std::to_string(limits[i].limit));
        std::string rsvd = "hugetlb." + size + ".rsvd.limit_in_bytes";
        if (cgroupfs::has(dir, rsvd))
            cgroupfs::set(field + ".limit", dir, rsvd, std::to_string(limits[i].limit));
    }
}

void CgroupV1::set_network(const spec::Network& n) {
    const std::string f = kRes + "network.";
    if (n.classID) {
        if (const Hierarchy* h = find("net_cls"))
            cgroupfs::set(f + "classID", h->dir, "net_cls.classid", std::to_string(*n.classID));
        else
            log::warn(f + "classID: the net_cls cgroup controller is not available, ignored");
    }
    if (!n.priorities.empty()) {
        const Hierarchy* h = find("net_prio");
        if (!h) log::warn(f + "priorities: the net_prio cgroup controller is not available, ignored");
        for (size_t i = 0; h && i < n.priorities.size(); ++i)
            cgroupfs::set(f + "priorities[" + std::to_string(i) + "]", h->dir, "net_prio.ifpriomap",
                          n.priorities[i].name + " " + std::to_string(n.priorities[i].priority));
    }
}

void CgroupV1::set_rdma(const std::map<std::string, spec::RdmaLimit>& rdma) {
    const std::string field = kRes + "rdma";
    const std::string& dir = dir_for(field, "rdma");
    for (const auto& [device, limit] : rdma)
        cgroupfs::set(field + "." + device, dir, "rdma.max", cgroupfs::rdma_line(device, limit));
}

CgroupStats CgroupV1::stats() const {
    CgroupStats s;
    if (const Hierarchy* h = find("cpuacct")) {
        const std::string& d = h->dir;
        s.cpu.total = cgroupfs::read_u64(d + "/cpuacct.usage");
        s.cpu.percpu = cgroupfs::read_u64_list(d + "/cpuacct.usage_percpu");
        s.cpu.percpu_kernel = cgroupfs::read_u64_list(d + "/cpuacct.usage_percpu_sys");
        s.cpu.percpu_user = cgroupfs::read_u64_list(d + "/cpuacct.usage_percpu_user");
        // cpuacct.stat counts USER_HZ ticks.
        auto st = cgroupfs::read_keyed(d + "/cpuacct.stat");
        uint64_t tick_ns = 1'000'000'000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        s.cpu.user = st["user"] * tick_ns;
        s.cpu.kernel = st["system"] * tick_ns;
    }
    if (const Hierarchy* h = find("cpu")) {
        auto st = cgroupfs::read_keyed(h->dir + "/cpu.stat");
        s.cpu.periods = st["nr_periods"];
        s.cpu.throttled_periods = st["nr_throttled"];
        s.cpu.throttled_time = st["throttled_time"];
    }
    if (const Hierarchy* h = find("cpuset")) {
        auto read = [&](const std::string& f) { return cgroupfs::read_or_empty(h->dir + "/" + f); };
        s.cpuset.cpus = cgroupfs::parse_id_list(read("cpuset.cpus"));
        s.cpuset.mems = cgroupfs::parse_id_list(read("cpuset.mems"));
        for (const char* flag : {"cpu_exclusive", "mem_hardwall", "mem_exclusive",
                                 "memory_migrate", "memory_spread_page", "memory_spread_slab",
                                 "memory_pressure", "sched_load_balance",
                                 "sched_relax_domain_level"}) {
            std::string v = read(std::string("cpuset.") + flag);
            s.cpuset.flags[flag] = v.empty() ? 0 : std::strtoll(v.c_str(), nullptr, 10);
        }
    }
    if (const Hierarchy* h = find("memory")) {
        const std::string& d = h->dir;
        auto entry = [&](const std::string& prefix) {
            CgroupStats::MemoryEntry e;
            e.usage = cgroupfs::read_u64(d + "/" + prefix + ".usage_in_bytes");
            e.max = cgroupfs::read_u64(d + "/" + prefix + ".max_usage_in_bytes");
            e.limit = cgroupfs::read_u64(d + "/" + prefix + ".limit_in_bytes");
            e.failcnt = cgroupfs::read_u64(d + "/" + prefix + ".failcnt");
            return e;
        };
        s.memory.usage = entry("memory");
        s.memory.swap = entry("memory.memsw");
        s.memory.kernel = entry("memory.kmem");
        s.memory.kernel_tcp = entry("memory.kmem.tcp");
        s.memory.raw = cgroupfs::read_keyed(d + "/memory.stat");
        s.memory.cache = s.memory.raw.count("cache") ? s.memory.raw["cache"] : 0;
    }
    if (const Hierarchy* h = find("pids")) {
        s.pids.current = cgroupfs::read_u64(h->dir + "/pids.current");
        s.pids.limit = cgroupfs::read_u64(h->dir + "/pids.max");
    }
    if (const Hierarchy* h = find("blkio")) {
        // CFQ's statistics, else BFQ's, else the throttling layer's (always there).
        auto pick = [&](const char* name) {
            for (const char* prefix : {"blkio.", "blkio.bfq.", "blkio.throttle."}) {
                auto v = cgroupfs::read_device_values(h->dir + "/" + prefix + name);
                if (!v.empty()) return v;
            }
            return std::vector<cgroupfs::DeviceValue>{};
        };
        for (auto& v : pick("io_service_bytes_recursive"))
            s.blkio.service_bytes.push_back({v.major, v.minor, v.key, v.value});
        for (auto& v : pick("io_serviced_recursive"))
            s.blkio.serviced.push_back({v.major, v.minor, v.key, v.value});
    }
    if (const Hierarchy* h = find("hugetlb")) {
        for (const auto& size : cgroupfs::hugepage_sizes()) {
            std::string p = h->dir + "/hugetlb." + size;
            s.hugetlb[size] = {cgroupfs::read_u64(p + ".usage_in_bytes"),
                               cgroupfs::read_u64(p + ".max_usage_in_bytes"),
                               cgroupfs::read_u64(p + ".failcnt")};
        }
    }
    return s;
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v1(const std::string& path) {
    std::vector<Hierarchy> hs = v1_hierarchies();
    if (hs.empty()) throw Error("no cgroup v1 hierarchy is mounted");
    for (auto& h : hs) h.dir = path == "/" ? h.mount : h.mount + path;
    return std::make_unique<CgroupV1>(std::move(hs));
}

std::unique_ptr<Cgroup> reopen_cgroup_v1(const std::map<std::string, std::string>& paths,
                                         const std::vector<std::string>& owned) {
    std::vector<Hierarchy> hs;
    for (const auto& [controllers, dir] : paths) {
        std::string mount = dir.substr(0, dir.find('/', std::string_view("/sys/fs/cgroup/").size()));
        bool own = std::find(owned.begin(), owned.end(), dir) != owned.end();
        hs.push_back({controllers, mount, dir, own});
    }
    return std::make_unique<CgroupV1>(std::move(hs));
}

std::vector<HostHierarchy> host_v1_hierarchies() {
    std::vector<HostHierarchy> out;
    for (const auto& h : v1_hierarchies()) out.push_back({h.controllers, h.mount});
    return out;
}

}  // namespace myrt
