// The cgroup commands: update (new limits for a live container) and events (statistics and
// OOM kills as JSON), with runc's flags.
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

#include "cmd/commands.hpp"
#include "runtime/error.hpp"
#include "runtime/rootless.hpp"
#include "spec/parse_error.hpp"

namespace myrt::cmd {

namespace {

// The number at the start of text (std::stod / std::stoll); used = how many characters it
// took, 0 when there is none.
template <typename T, typename F>
T leading_number(const std::string& text, size_t& used, F parse) {
    try {
        return parse(text, &used);
    } catch (const std::exception&) {
        used = 0;
        return T{};
    }
}

// A size as runc reads it (docker/go-units RAMInBytes), in parts: "1.5 GiB" -> {1, 5, 3}.
struct SizeParts {
    std::string_view whole, fraction;
    unsigned exp = 0;  // of 1024
};

std::string_view take_digits(std::string_view& rest) {
    size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    std::string_view d = rest.substr(0, n);
    rest.remove_prefix(n);
    return d;
}

// Digits with an optional fraction, an optional space, then an optional unit k, m, g, t or
// p (case-insensitive) with an optional "i" and/or "b". Nothing else: no sign, no exponent.
std::optional<SizeParts> split_size(std::string_view rest) {
    SizeParts p;
    p.whole = take_digits(rest);
    if (p.whole.empty()) return std::nullopt;
    if (rest.starts_with('.')) {
        rest.remove_prefix(1);
        p.fraction = take_digits(rest);
        if (p.fraction.empty()) return std::nullopt;
    }
    if (rest.starts_with(' ')) rest.remove_prefix(1);
    std::string unit;
    for (char c : rest) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.ends_with('b')) unit.pop_back();
    if (unit.size() == 2 && unit[1] == 'i') unit.pop_back();
    if (unit.empty()) return p;
    size_t at = std::string_view("kmgtp").find(unit);
    if (unit.size() != 1 || at == std::string_view::npos) return std::nullopt;
    p.exp = static_cast<unsigned>(at) + 1;
    return p;
}

// whole.fraction * 1024^exp in integers, rounded down as runc's float arithmetic does;
// nullopt beyond int64 (where a double's conversion would be undefined behaviour).
std::optional<int64_t> size_in_bytes(const SizeParts& p) {
    constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
    unsigned shift = 10 * p.exp;
    uint64_t whole = 0;
    auto parsed = std::from_chars(p.whole.data(), p.whole.data() + p.whole.size(), whole);
    if (parsed.ec != std::errc() || whole > (kMax >> shift)) return std::nullopt;
    uint64_t bytes = whole << shift;
    if (!p.fraction.empty()) {
        long double f = std::stold("0." + std::string(p.fraction));
        bytes += static_cast<uint64_t>(f * static_cast<long double>(1ull << shift));  // < 2^64
    }
    if (bytes > kMax) return std::nullopt;
    return static_cast<int64_t>(bytes);
}

// "4096", "256m", "1.5GiB", "64 mb" -> bytes; "-1": no limit. All else is refused, among it
// "1e3" (not 1000), inf, nan, signs and sizes beyond int64.
int64_t parse_bytes(const std::string& flag, const std::string& text) {
    if (text == "-1") return -1;
    std::optional<SizeParts> parts = split_size(text);
    std::optional<int64_t> bytes = parts ? size_in_bytes(*parts) : std::nullopt;
    if (!bytes)
        throw Error(flag + " \"" + text + "\": expected a size such as 268435456, 256m or 1g",
                    EINVAL);
    return *bytes;
}

int64_t parse_int(const std::string& flag, const std::string& text) {
    size_t pos = 0;
    int64_t v = leading_number<int64_t>(
        text, pos, [](const std::string& s, size_t* n) { return std::stoll(s, n); });
    if (pos == 0 || pos != text.size()) throw Error(flag + " \"" + text + "\": expected an integer", EINVAL);
    return v;
}

uint64_t parse_uint(const std::string& flag, const std::string& text) {
    int64_t v = parse_int(flag, text);
    if (v < 0) throw Error(flag + " \"" + text + "\": expected a number >= 0", EINVAL);
    return static_cast<uint64_t>(v);
}

// The decimal number at the start of text ("5", "0.5", ".5"): digits and one point, so no
// exponent, hex, inf or nan gets in; used = its length, 0 when there is none.
double leading_decimal(std::string_view text, size_t& used) {
    std::string_view rest = text;
    bool digits = !take_digits(rest).empty();
    if (rest.starts_with('.')) {
        rest.remove_prefix(1);
        digits |= !take_digits(rest).empty();
    }
    used = digits ? text.size() - rest.size() : 0;
    return digits ? std::strtod(std::string(text.substr(0, used)).c_str(), nullptr) : 0;
}

// A Go duration: "5s", "500ms", "1m30s", "0.5s" -> milliseconds.
int parse_duration_ms(const std::string& text) {
    static const std::pair<const char*, double> units[] = {
        {"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
    double total = 0;
    size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        size_t used = 0;
        double v = leading_decimal(std::string_view(text).substr(i), used);
        if (used == 0 || !std::isfinite(v)) break;
        i += used;
        bool matched = false;
        for (const auto& [name, ms] : units) {
            std::string_view u(name);
            // "m" must not take the "m" of "ms".
            if (text.compare(i, u.size(), u) == 0 &&
                !(u == "m" && text.compare(i, 2, "ms") == 0)) {
                total += v * ms;
                i += u.size();
                matched = any = true;
                break;
            }
        }
        if (!matched) break;
    }
    if (!any || i != text.size() || total < 1)
        throw Error("--interval \"" + text + "\": expected a duration such as 5s or 500ms", EINVAL);
    return static_cast<int>(std::min(total, 2.0e9));
}

spec::Resources parse_resources(const std::string& path) {
    try {
        return spec::load_resources(path);
    } catch (const spec::ParseError& e) {
        throw Error(std::string("--resources: ") + e.what(), EINVAL);  // names the file
    }
}

struct UpdateFlags {
    std::string resources;
    std::string memory, memory_swap, memory_reservation, kernel_memory, kernel_memory_tcp;
    std::string cpu_quota, cpu_period, cpu_shares, cpu_rt_period, cpu_rt_runtime, cpu_idle;
    std::string cpuset_cpus, cpuset_mems, pids_limit, blkio_weight;
    std::string l3_cache_schema, mem_bw_schema;
};

// --resources first, then every flag given replaces its field.
spec::Resources update_resources(const UpdateFlags& f) {
    spec::Resources r;
    if (!f.resources.empty()) r = parse_resources(f.resources);
    if (!f.l3_cache_schema.empty() || !f.mem_bw_schema.empty())
        throw Error("--l3-cache-schema / --mem-bw-schema: Intel RDT is not supported", ENOTSUP);
    auto memory = [&]() -> spec::Memory& {
        if (!r.memory) r.memory.emplace();
        return *r.memory;
    };
    auto cpu = [&]() -> spec::CPU& {
        if (!r.cpu) r.cpu.emplace();
        return *r.cpu;
    };
    if (!f.memory.empty()) memory().limit = parse_bytes("--memory", f.memory);
    if (!f.memory_swap.empty()) memory().swap = parse_bytes("--memory-swap", f.memory_swap);
    if (!f.memory_reservation.empty())
        memory().reservation = parse_bytes("--memory-reservation", f.memory_reservation);
    if (!f.kernel_memory.empty()) memory().kernel = parse_bytes("--kernel-memory", f.kernel_memory);
    if (!f.kernel_memory_tcp.empty())
        memory().kernelTCP = parse_bytes("--kernel-memory-tcp", f.kernel_memory_tcp);
    if (!f.cpu_quota.empty()) cpu().quota = parse_int("--cpu-quota", f.cpu_quota);
    if (!f.cpu_period.empty()) cpu().period = parse_uint("--cpu-period", f.cpu_period);
    if (!f.cpu_shares.empty()) cpu().shares = parse_uint("--cpu-shares", f.cpu_shares);
    if (!f.cpu_rt_period.empty()) cpu().realtimePeriod = parse_uint("--cpu-rt-period", f.cpu_rt_period);
    if (!f.cpu_rt_runtime.empty()) cpu().realtimeRuntime = parse_int("--cpu-rt-runtime", f.cpu_rt_runtime);
    if (!f.cpu_idle.empty()) cpu().idle = parse_int("--cpu-idle", f.cpu_idle);
    if (!f.cpuset_cpus.empty()) cpu().cpus = f.cpuset_cpus;
    if (!f.cpuset_mems.empty()) cpu().mems = f.cpuset_mems;
    if (!f.pids_limit.empty()) r.pids = spec::Pids{parse_int("--pids-limit", f.pids_limit)};
    if (!f.blkio_weight.empty()) {
        uint64_t w = parse_uint("--blkio-weight", f.blkio_weight);
        if (w > 1000) throw Error("--blkio-weight " + f.blkio_weight + ": the range is 10..1000", EINVAL);
        if (!r.blockIO) r.blockIO.emplace();
        r.blockIO->weight = static_cast<uint16_t>(w);
    }
    return r;
}

void print_line(const std::string& line) { print(line + "\n"); }

}  // namespace

void register_cgroup_commands(CLI::App& app, Globals& g, Registry& reg) {
    auto action = reg.action;
    auto runtime = [&g] {
        RuntimeOptions o = g.runtime;
        o.rootless = resolve_rootless(g.rootless);
        o.rootless_cgroups = resolve_rootless_cgroups(g.rootless);
        return Runtime(o);
    };
    {
        auto f = std::make_shared<UpdateFlags>();
        auto id = std::make_shared<std::string>();
        auto* sub = app.add_subcommand("update", "change the resource limits of a container");
        sub->add_option("-r,--resources", f->resources,
                        "a linux.resources JSON object in FILE ('-': standard input)");
        sub->add_option("--memory", f->memory, "memory limit in bytes (256m, 1g; -1: none)");
        sub->add_option("--memory-swap", f->memory_swap, "memory+swap limit in bytes (-1: none)");
        sub->add_option("--memory-reservation", f->memory_reservation, "memory soft limit in bytes");
        sub->add_option("--kernel-memory", f->kernel_memory, "deprecated kernel memory limit");
        sub->add_option("--kernel-memory-tcp", f->kernel_memory_tcp, "deprecated kernel TCP memory limit");
        sub->add_option("--cpu-quota", f->cpu_quota, "CFS quota in microseconds per period (-1: none)");
        sub->add_option("--cpu-period", f->cpu_period, "CFS period in microseconds");
        sub->add_option("--cpu-share,--cpu-shares", f->cpu_shares, "CPU shares (relative weight)");
        sub->add_option("--cpu-rt-period", f->cpu_rt_period, "realtime period in microseconds");
        sub->add_option("--cpu-rt-runtime", f->cpu_rt_runtime, "realtime runtime in microseconds");
        sub->add_option("--cpu-idle", f->cpu_idle, "1: SCHED_IDLE cgroup, 0: normal");
        sub->add_option("--cpuset-cpus", f->cpuset_cpus, "CPUs to use (0-3,7)");
        sub->add_option("--cpuset-mems", f->cpuset_mems, "memory nodes to use");
        sub->add_option("--pids-limit", f->pids_limit, "maximum number of tasks (-1: none)");
        sub->add_option("--blkio-weight", f->blkio_weight, "block I/O weight, 10..1000");
        sub->add_option("--l3-cache-schema", f->l3_cache_schema, "Intel RDT (not supported)");
        sub->add_option("--mem-bw-schema", f->mem_bw_schema, "Intel RDT (not supported)");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] {
            *action = [=] {
                spec::Resources r = update_resources(*f);
                runtime().update(*id, r);
                return 0;
            };
        });
    }
    {
        auto stats = std::make_shared<bool>(false);
        auto interval = std::make_shared<std::string>("5s");
        auto id = std::make_shared<std::string>();
        auto* sub = app.add_subcommand("events", "print a container's cgroup statistics and OOM events as JSON");
        sub->add_flag("--stats", *stats, "print the statistics once and exit");
        sub->add_option("--interval", *interval, "time between statistics (Go duration)");
        sub->add_option("id", *id, "container id")->required();
        sub->callback([=] {
            *action = [=] {
                int ms = parse_duration_ms(*interval);
                runtime().events(*id, *stats, ms, print_line);
                return 0;
            };
        });
    }
}

}  // namespace myrt::cmd
