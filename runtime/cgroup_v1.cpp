// cgroup v1: one directory per mounted hierarchy.
#include <time.h>

#include <cstdio>
#include <cstring>

#include "runtime/cgroup_drivers.hpp"
#include "runtime/cgroup_fs.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

struct Hierarchy {
    std::string controllers;  // super options naming controllers, e.g. "cpu,cpuacct"
    std::string mount;        // e.g. /sys/fs/cgroup/cpu,cpuacct
    std::string dir;          // mount + container path
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

// v1 hierarchies from mountinfo. Only the controllers the kernel lists count; named
// hierarchies (name=systemd) belong to their owner and are left alone.
std::vector<Hierarchy> v1_hierarchies() {
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
        if (!sep || strncmp(sep, " - cgroup ", 10) != 0) continue;
        char mount[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mount) != 1) continue;
        char* opts = strrchr(sep, ' ');
        std::string super = opts ? opts + 1 : "";
        while (!super.empty() && super.back() == '\n') super.pop_back();
        std::string controllers;
        for (const char* c : known) {
            if (!has_controller(super, c)) continue;
            if (!controllers.empty()) controllers += ',';
            controllers += c;
        }
        if (!controllers.empty()) out.push_back({controllers, mount, ""});
    }
    free(line);
    fclose(f);
    return out;
}

class CgroupV1 final : public Cgroup {
public:
    explicit CgroupV1(std::vector<Hierarchy> hs) : hs_(std::move(hs)) {}

    CgroupVersion version() const override { return CgroupVersion::v1; }

    void create() override {
        for (auto& h : hs_) {
            std::string rel = h.dir.substr(h.mount.size());
            bool cpuset = has_controller(h.controllers, "cpuset");
            cgroupfs::make_path(h.mount, rel, [&](const std::string& dir) {
                // A new v1 cpuset starts with no cpus or memory nodes and refuses tasks.
                if (cpuset) inherit_cpuset(dir);
            });
        }
    }

    void add_process(pid_t pid) override {
        std::string s = std::to_string(pid);
        for (auto& h : hs_) cgroupfs::write(h.dir, "cgroup.procs", s);
    }

    void apply(const spec::Resources& r) override;

    void freeze(bool frozen) override {
        const Hierarchy* h = find("freezer");
        if (!h) throw Error("the freezer cgroup controller is not available");
        const char* want = frozen ? "FROZEN" : "THAWED";
        for (int i = 0; i < 1000; ++i) {
            cgroupfs::write(h->dir, "freezer.state", want);
            if (cgroupfs::read_trimmed(h->dir + "/freezer.state") == want) return;
            timespec ts{0, 1'000'000};
            ::nanosleep(&ts, nullptr);
        }
        throw Error("cgroup " + h->dir + " did not reach " + want);
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
        return h ? cgroupfs::read_pids(h->dir) : std::vector<pid_t>{};
    }

    void destroy(bool kill_remaining) override {
        // A frozen cgroup's processes cannot die: thaw before killing.
        if (kill_remaining && frozen()) freeze(false);
        for (auto& h : hs_) cgroupfs::remove_dir(h.dir, kill_remaining);
    }

    std::map<std::string, std::string> paths() const override {
        std::map<std::string, std::string> out;
        for (auto& h : hs_) out[h.controllers] = h.dir;
        return out;
    }

private:
    const Hierarchy* find(std::string_view controller) const {
        for (auto& h : hs_)
            if (has_controller(h.controllers, controller)) return &h;
        return nullptr;
    }

    static void inherit_cpuset(const std::string& dir) {
        std::string parent = dir.substr(0, dir.rfind('/'));
        for (const char* f : {"cpuset.cpus", "cpuset.mems"})
            cgroupfs::write(dir, f, cgroupfs::read_trimmed(parent + "/" + f));
    }

    void set(std::string_view controller, std::string_view file, const std::string& value) {
        const Hierarchy* h = find(controller);
        if (!h) throw Error("cgroup controller " + std::string(controller) + " is not available");
        cgroupfs::write(h->dir, file, value);
    }

    std::vector<Hierarchy> hs_;
};

// The devices every container needs whatever its rules say (runc and crun add the same):
// mknod of any node (opening it is what the rules guard), null, zero, full, random,
// urandom, tty, console, ptmx and the pts slaves.
const char* const kDefaultDeviceRules[] = {
    "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

std::string device_rule(const spec::DeviceCgroup& d) {
    std::string type = d.type.value_or("a");
    auto number = [](const std::optional<int64_t>& n) {
        return n && *n >= 0 ? std::to_string(*n) : std::string("*");
    };
    return type + " " + number(d.major) + ":" + number(d.minor) + " " + d.access.value_or("rwm");
}

void CgroupV1::apply(const spec::Resources& r) {
    // Rules apply in spec order: a later rule refines an earlier one.
    for (const auto& d : r.devices)
        set("devices", d.allow ? "devices.allow" : "devices.deny", device_rule(d));
    if (!r.devices.empty())
        for (const char* rule : kDefaultDeviceRules) set("devices", "devices.allow", rule);
    if (r.memory) {
        const auto& m = *r.memory;
        if (m.limit) set("memory", "memory.limit_in_bytes", std::to_string(*m.limit));
        if (m.reservation)
            set("memory", "memory.soft_limit_in_bytes", std::to_string(*m.reservation));
        if (m.swap) set("memory", "memory.memsw.limit_in_bytes", std::to_string(*m.swap));
        if (m.swappiness) set("memory", "memory.swappiness", std::to_string(*m.swappiness));
        if (m.disableOOMKiller && *m.disableOOMKiller) set("memory", "memory.oom_control", "1");
    }
    if (r.cpu) {
        const auto& c = *r.cpu;
        if (c.shares) set("cpu", "cpu.shares", std::to_string(*c.shares));
        if (c.period) set("cpu", "cpu.cfs_period_us", std::to_string(*c.period));
        if (c.quota) set("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota));
        if (c.cpus) set("cpuset", "cpuset.cpus", *c.cpus);
        if (c.mems) set("cpuset", "cpuset.mems", *c.mems);
    }
    if (r.pids && r.pids->limit) {
        int64_t l = *r.pids->limit;
        set("pids", "pids.max", l <= 0 ? "max" : std::to_string(l));
    }
}

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v1(const std::string& path) {
    auto hs = v1_hierarchies();
    if (hs.empty()) throw Error("no cgroup v1 hierarchy is mounted");
    for (auto& h : hs) h.dir = h.mount + path;
    return std::make_unique<CgroupV1>(std::move(hs));
}

std::unique_ptr<Cgroup> reopen_cgroup_v1(const std::map<std::string, std::string>& paths) {
    std::vector<Hierarchy> hs;
    for (const auto& [controllers, dir] : paths) {
        std::string mount = dir.substr(0, dir.find('/', std::string_view("/sys/fs/cgroup/").size()));
        hs.push_back({controllers, mount, dir});
    }
    return std::make_unique<CgroupV1>(std::move(hs));
}

}  // namespace myrt
