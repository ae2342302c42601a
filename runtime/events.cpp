#include "runtime/events.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"

namespace myrt {

namespace {

// Writes a JSON object member by member; omit_zero() gives Go's `omitempty`, which is what
// decides runc's output shape.
class Obj {
public:
    explicit Obj(std::string& out) : out_(out) { out_ += '{'; }
    ~Obj() { out_ += '}'; }
    Obj(const Obj&) = delete;
    Obj& operator=(const Obj&) = delete;

    std::string& key(std::string_view k) {
        out_ += first_ ? "" : ",";
        first_ = false;
        log::append_json_string(out_, k);
        out_ += ':';
        return out_;
    }
    void num(std::string_view k, uint64_t v) { key(k) += std::to_string(v); }
    void inum(std::string_view k, int64_t v) { key(k) += std::to_string(v); }
    void omit_zero(std::string_view k, uint64_t v) {
        if (v) num(k, v);
    }
    void str(std::string_view k, std::string_view v) { log::append_json_string(key(k), v); }
    template <typename T>
    void list(std::string_view k, const std::vector<T>& v) {  // omitted when empty
        if (v.empty()) return;
        std::string& o = key(k);
        o += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) o += ',';
            o += std::to_string(v[i]);
        }
        o += ']';
    }

private:
    std::string& out_;
    bool first_ = true;
};

void memory_entry(Obj& parent, std::string_view k, const CgroupStats::MemoryEntry& e) {
    Obj o(parent.key(k));
    o.num("limit", e.limit);
    o.omit_zero("usage", e.usage);
    o.omit_zero("max", e.max);
    o.num("failcnt", e.failcnt);
}

void blkio_list(Obj& parent, std::string_view k, const std::vector<CgroupStats::BlkioEntry>& v) {
    if (v.empty()) return;
    std::string& out = parent.key(k);
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        Obj o(out);
        o.omit_zero("major", v[i].major);
        o.omit_zero("minor", v[i].minor);
        if (!v[i].op.empty()) o.str("op", v[i].op);
        o.omit_zero("value", v[i].value);
    }
    out += ']';
}

int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

std::string event_json(const std::string& type, const std::string& id) {
    std::string out;
    {
        Obj e(out);
        e.str("type", type);
        e.str("id", id);
    }
    return out;
}

std::string stats_event_json(const std::string& id, const CgroupStats& s) {
    std::string out;
    {
        Obj e(out);
        e.str("type", "stats");
        e.str("id", id);
        {
            Obj data(e.key("data"));
            {
                Obj cpu(data.key("cpu"));
                {
                    Obj u(cpu.key("usage"));
                    u.omit_zero("total", s.cpu.total);
                    u.list("percpu", s.cpu.percpu);
                    u.list("percpu_kernel", s.cpu.percpu_kernel);
                    u.list("percpu_user", s.cpu.percpu_user);
                    u.num("kernel", s.cpu.kernel);
                    u.num("user", s.cpu.user);
                }
                Obj t(cpu.key("throttling"));
                t.omit_zero("periods", s.cpu.periods);
                t.omit_zero("throttledPeriods", s.cpu.throttled_periods);
                t.omit_zero("throttledTime", s.cpu.throttled_time);
            }
            {
                Obj cs(data.key("cpuset"));
                auto flag = [&](const char* name) {
                    auto it = s.cpuset.flags.find(name);
                    cs.inum(name, it == s.cpuset.flags.end() ? 0 : it->second);
                };
                cs.list("cpus", s.cpuset.cpus);
                flag("cpu_exclusive");
                cs.list("mems", s.cpuset.mems);
                for (const char* f : {"mem_hardwall", "mem_exclusive", "memory_migrate",
                                      "memory_spread_page", "memory_spread_slab", "memory_pressure",
                                      "sched_load_balance", "sched_relax_domain_level"})
                    flag(f);
            }
            {
                Obj m(data.key("memory"));
                m.omit_zero("cache", s.memory.cache);
                memory_entry(m, "usage", s.memory.usage);
                memory_entry(m, "swap", s.memory.swap);
                memory_entry(m, "kernel", s.memory.kernel);
                memory_entry(m, "kernelTCP", s.memory.kernel_tcp);
                if (!s.memory.raw.empty()) {
                    Obj raw(m.key("raw"));
                    for (const auto& [k, v] : s.memory.raw) raw.num(k, v);
                }
            }
            {
                Obj p(data.key("pids"));
                p.omit_zero("current", s.pids.current);
                p.omit_zero("limit", s.pids.limit);
            }
            {
                Obj b(data.key("blkio"));
                blkio_list(b, "ioServiceBytesRecursive", s.blkio.service_bytes);
                blkio_list(b, "ioServicedRecursive", s.blkio.serviced);
            }
            {
                Obj h(data.key("hugetlb"));
                for (const auto& [size, v] : s.hugetlb) {
                    Obj one(h.key(size));
                    one.omit_zero("usage", v.usage);
                    one.omit_zero("max", v.max);
                    one.num("failcnt", v.failcnt);
                }
            }
            { Obj rdt(data.key("intel_rdt")); }
            data.key("network_interfaces") += "null";
        }
    }
    return out;
}

void Runtime::events(const std::string& id, bool stats_only, int interval_ms,
                     const std::function<void(const std::string&)>& emit) {
    validate_id(id);
    // No lock is held while streaming: a delete must not wait for us.
    auto record = store_.peek(id);
    if (!record) {
        ContainerDir dir = store_.open(id, false);
        record = dir.read();
    }
    if (live_status(nullptr, *record) == "stopped") throw Error("container is not running", ESRCH);
    auto cg = cgroup_from_record(*record);
    if (!cg) throw Error("container has no cgroup (rootless without delegation?)");
    if (stats_only) {
        emit(stats_event_json(id, cg->stats()));
        return;
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, record->state.pid, 0)));
    if (!pidfd) throw_errno("pidfd_open " + std::to_string(record->state.pid));
    if (!process_alive(record->state.pid, record->pid_start_time)) return;
    std::unique_ptr<OomWatch> oom;
    try {
        oom = cg->watch_oom();
    } catch (const Error& e) {
        log::warn(std::string("OOM events are not reported: ") + e.what());
    }
    if (interval_ms <= 0) interval_ms = 1;
    auto report_oom = [&] {
        for (uint64_t n = oom ? oom->drain() : 0; n > 0; --n) emit(event_json("oom", id));
    };
    int64_t next = now_ms() + interval_ms;
    for (;;) {
        pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {oom ? oom->fd() : -1, POLLIN, 0}};
        int64_t wait = std::max<int64_t>(0, next - now_ms());
        int n = ::poll(fds, 2, static_cast<int>(wait));
        if (n < 0 && errno != EINTR) throw_errno("poll");
        if (n > 0 && fds[1].revents) report_oom();
        if (n > 0 && fds[0].revents) {
            // The container stopped: the kill that stopped it may not have been read yet.
            report_oom();
            return;
        }
        if (now_ms() >= next) {
            report_oom();  // a kill counted after its notification was read
            emit(stats_event_json(id, cg->stats()));
            next = std::max(next + interval_ms, now_ms());
        }
    }
}

}  // namespace myrt
