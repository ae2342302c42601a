// The lines of `events`, in the shape of runc's (libcontainer's types.Event and types.Stats).
#include "spec/events.hpp"

#include "spec/json.hpp"

namespace myrt::spec::json {

// opt: omitted when zero or empty, as Go's `omitempty` omits it in runc's output.
template <class V, Is<Stats::MemoryEntry> S>
void fields(V& v, S& e) {
    v.dflt("limit", e.limit);
    v.opt("usage", e.usage);
    v.opt("max", e.max);
    v.dflt("failcnt", e.failcnt);
}

template <class V, Is<Stats::Memory> S>
void fields(V& v, S& m) {
    v.opt("cache", m.cache);
    v.dflt("usage", m.usage);
    v.dflt("swap", m.swap);
    v.dflt("kernel", m.kernel);
    v.dflt("kernelTCP", m.kernel_tcp);
    v.opt("raw", m.raw);
}

template <class V, Is<Stats::Pids> S>
void fields(V& v, S& p) {
    v.opt("current", p.current);
    v.opt("limit", p.limit);
}

template <class V, Is<Stats::BlkioEntry> S>
void fields(V& v, S& e) {
    v.opt("major", e.major);
    v.opt("minor", e.minor);
    v.opt("op", e.op);
    v.opt("value", e.value);
}

template <class V, Is<Stats::Blkio> S>
void fields(V& v, S& b) {
    v.opt("ioServiceBytesRecursive", b.service_bytes);
    v.opt("ioServicedRecursive", b.serviced);
}

template <class V, Is<Stats::Hugetlb> S>
void fields(V& v, S& h) {
    v.opt("usage", h.usage);
    v.opt("max", h.max);
    v.dflt("failcnt", h.failcnt);
}

namespace {

// Stats::Cpu is flat; runc nests it as {"usage":{...},"throttling":{...}}.
template <class W>
void write_cpu(W& w, const Stats::Cpu& c) {
    w.StartObject();
    write_key(w, "usage");
    w.StartObject();
    put_opt(w, "total", c.total);
    put_opt(w, "percpu", c.percpu);
    put_opt(w, "percpu_kernel", c.percpu_kernel);
    put_opt(w, "percpu_user", c.percpu_user);
    put(w, "kernel", c.kernel);
    put(w, "user", c.user);
    w.EndObject();
    write_key(w, "throttling");
    w.StartObject();
    put_opt(w, "periods", c.periods);
    put_opt(w, "throttledPeriods", c.throttled_periods);
    put_opt(w, "throttledTime", c.throttled_time);
    w.EndObject();
    w.EndObject();
}

// The cpuset switches are always written (0 when the host has none), between the lists in
// runc's order.
template <class W>
void write_cpuset(W& w, const Stats::CpuSet& c) {
    auto flag = [&](const char* name) {
        auto it = c.flags.find(name);
        put(w, name, it == c.flags.end() ? std::int64_t{0} : it->second);
    };
    w.StartObject();
    put_opt(w, "cpus", c.cpus);
    flag("cpu_exclusive");
    put_opt(w, "mems", c.mems);
    for (const char* f : {"mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
                          "memory_spread_slab", "memory_pressure", "sched_load_balance",
                          "sched_relax_domain_level"})
        flag(f);
    w.EndObject();
}

template <class W>
void write_stats(W& w, const Stats& s) {
    w.StartObject();
    write_key(w, "cpu");
    write_cpu(w, s.cpu);
    write_key(w, "cpuset");
    write_cpuset(w, s.cpuset);
    put(w, "memory", s.memory);
    put(w, "pids", s.pids);
    put(w, "blkio", s.blkio);
    put(w, "hugetlb", s.hugetlb);  // {} when there are none
    write_key(w, "intel_rdt");     // not supported: empty, as runc without Intel RDT
    w.StartObject();
    w.EndObject();
    write_key(w, "network_interfaces");
    w.Null();
    w.EndObject();
}

template <class W>
void write_event_head(W& w, std::string_view type, std::string_view id) {
    w.StartObject();
    put(w, "type", std::string(type));
    put(w, "id", std::string(id));
}

}  // namespace
}  // namespace myrt::spec::json

namespace myrt::spec {

std::string stats_event_json(std::string_view id, const Stats& stats) {
    return json::serialize_utf8([&](auto& w) {
        json::write_event_head(w, "stats", id);
        json::write_key(w, "data");
        json::write_stats(w, stats);
        w.EndObject();
    });
}

std::string event_json(std::string_view type, std::string_view id) {
    return json::serialize_utf8([&](auto& w) {
        json::write_event_head(w, type, id);
        w.EndObject();
    });
}

}  // namespace myrt::spec
