// cgroup v2: one directory in the unified hierarchy.
#include <time.h>

#include "runtime/cgroup_drivers.hpp"
#include "runtime/cgroup_fs.hpp"
#include "runtime/error.hpp"

namespace myrt {

namespace {

constexpr const char* kMount = "/sys/fs/cgroup";

// Standard shares -> weight conversion (runc, crun and systemd agree on it):
// shares 2..262144 map linearly onto weight 1..10000.
uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares < 2) shares = 2;
    if (shares > 262144) shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

class CgroupV2 final : public Cgroup {
public:
    explicit CgroupV2(std::string dir) : dir_(std::move(dir)) {}

    CgroupVersion version() const override { return CgroupVersion::v2; }

    void create() override {
        std::string rel = dir_.substr(std::string_view(kMount).size());
        cgroupfs::make_path(kMount, rel, [](const std::string&) {});
        enable_controllers(rel);
    }

    void add_process(pid_t pid) override {
        cgroupfs::write(dir_, "cgroup.procs", std::to_string(pid));
    }

    void apply(const spec::Resources& r) override;

    void freeze(bool frozen) override {
        cgroupfs::write(dir_, "cgroup.freeze", frozen ? "1" : "0");
        std::string want = frozen ? "frozen 1" : "frozen 0";
        for (int i = 0; i < 1000; ++i) {
            if (cgroupfs::read_trimmed(dir_ + "/cgroup.events").find(want) != std::string::npos)
                return;
            timespec ts{0, 1'000'000};
            ::nanosleep(&ts, nullptr);
        }
        throw Error("cgroup " + dir_ + " did not reach " + want);
    }

    bool frozen() const override {
        try {
            return cgroupfs::read_trimmed(dir_ + "/cgroup.freeze") == "1";
        } catch (const Error&) {
            return false;
        }
    }

    std::vector<pid_t> pids() const override { return cgroupfs::read_pids(dir_); }

    void destroy(bool kill_remaining) override {
        if (kill_remaining) {
            // cgroup.kill (5.14+) kills the whole subtree at once, including frozen tasks.
            try {
                cgroupfs::write(dir_, "cgroup.kill", "1");
            } catch (const Error&) {
                if (frozen()) freeze(false);
            }
        }
        cgroupfs::remove_dir(dir_, kill_remaining);
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
                enable += (enable.empty() ? "+" : " +") + available.substr(p, e - p);
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

    void set(std::string_view file, const std::string& value) {
        cgroupfs::write(dir_, file, value);
    }

    std::string dir_;
};

void CgroupV2::apply(const spec::Resources& r) {
    if (r.memory) {
        const auto& m = *r.memory;
        if (m.limit) set("memory.max", *m.limit < 0 ? "max" : std::to_string(*m.limit));
        if (m.reservation) set("memory.low", std::to_string(*m.reservation));
        // v1's swap is memory+swap; v2's swap.max is swap alone.
        if (m.swap && m.limit) {
            int64_t swap = *m.swap < 0 ? -1 : *m.swap - (*m.limit < 0 ? 0 : *m.limit);
            set("memory.swap.max", swap < 0 ? "max" : std::to_string(swap));
        }
    }
    if (r.cpu) {
        const auto& c = *r.cpu;
        if (c.shares) set("cpu.weight", std::to_string(shares_to_weight(*c.shares)));
        if (c.quota || c.period) {
            std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
            set("cpu.max", quota + " " + std::to_string(c.period ? *c.period : 100000));
        }
        if (c.cpus) set("cpuset.cpus", *c.cpus);
        if (c.mems) set("cpuset.mems", *c.mems);
    }
    if (r.pids && r.pids->limit) {
        int64_t l = *r.pids->limit;
        set("pids.max", l <= 0 ? "max" : std::to_string(l));
    }
    for (const auto& [key, value] : r.unified) {
        if (key.find('/') != std::string::npos || key.starts_with("."))
            throw Error("linux.resources.unified: invalid key \"" + key + "\"");
        set(key, value);
    }
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v2(const std::string& path) {
    return std::make_unique<CgroupV2>(std::string(kMount) + path);
}

std::unique_ptr<Cgroup> reopen_cgroup_v2(const std::string& dir) {
    return std::make_unique<CgroupV2>(dir);
}

}  // namespace myrt
