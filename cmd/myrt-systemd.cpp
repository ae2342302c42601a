// myrt-systemd: the systemd cgroup driver's D-Bus half, through sd-bus. myrt itself is a
// static PIE (no loader work at every start) and Debian ships no static libsystemd, so the
// calls that need systemd live in this small dynamically linked program, run only for
// --systemd-cgroup.
//
//   myrt-systemd [--user] start UNIT SLICE PID   properties on stdin; prints the ControlGroup
//   myrt-systemd [--user] set UNIT               properties on stdin (runtime, not persistent)
//   myrt-systemd [--user] stop UNIT              stops it and waits; a unit that is gone is fine
//   myrt-systemd [--user] version                prints the manager's version (`myrt check`)
//
// A property line is "NAME TYPE VALUE": TYPE s, b, t (uint64) or u; "ay" takes a CPU/node
// list ("0-3,7") and makes systemd's bitmask; "a(ss)" and "a(st)" add one "A B" pair to an
// array (one line per element). Errors: one line on stderr, exit 1; exit 2 for "unit exists".
#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr uint64_t kJobTimeoutUsec = 60'000'000;

struct Failure {
    std::string what;
    int code = 1;
};

[[noreturn]] void fail(const std::string& what, int code = 1) { throw Failure{what, code}; }

void check(int r, const std::string& what, const sd_bus_error* e = nullptr) {
    if (r >= 0) return;
    std::string why = e && sd_bus_error_is_set(e) && e->message ? e->message : std::strerror(-r);
    fail(what + ": " + why);
}

struct Property {
    std::string name, type;
    std::vector<std::string> values;  // one per line (arrays), else one
};

std::vector<Property> read_properties(std::istream& in) {
    std::vector<Property> out;
    std::map<std::string, size_t> index;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
        if (b == std::string::npos) fail("bad property line: " + line);
        std::string name = line.substr(0, a), type = line.substr(a + 1, b - a - 1);
        auto [it, fresh] = index.emplace(name, out.size());
        if (fresh) out.push_back({name, type, {}});
        out[it->second].values.push_back(line.substr(b + 1));
    }
    return out;
}

// systemd's AllowedCPUs/AllowedMemoryNodes: a little-endian bitmask, byte i bits 8i..8i+7.
std::vector<uint8_t> list_to_mask(const std::string& list) {
    std::vector<uint8_t> mask;
    std::stringstream ss(list);
    std::string part;
    while (std::getline(ss, part, ',')) {
        if (part.empty()) continue;
        size_t dash = part.find('-');
        unsigned long lo = std::stoul(part.substr(0, dash));
        unsigned long hi = dash == std::string::npos ? lo : std::stoul(part.substr(dash + 1));
        if (hi < lo || hi > 65535) fail("bad CPU or node list: " + list);
        for (unsigned long i = lo; i <= hi; ++i) {
            if (mask.size() <= i / 8) mask.resize(i / 8 + 1);
            mask[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
        }
    }
    return mask;
}

void append_pair_array(sd_bus_message* m, const Property& p) {
    char second = p.type == "a(ss)" ? 's' : 't';
    const char* element = second == 's' ? "(ss)" : "(st)";
    check(sd_bus_message_open_container(m, 'v', p.type.c_str()), p.name);
    check(sd_bus_message_open_container(m, 'a', element), p.name);
    for (const auto& v : p.values) {
        size_t sp = v.rfind(' ');
        if (sp == std::string::npos) fail("bad " + p.name + " element: " + v);
        std::string first = v.substr(0, sp), rest = v.substr(sp + 1);
        if (second == 's')
            check(sd_bus_message_append(m, "(ss)", first.c_str(), rest.c_str()), p.name);
        else
            check(sd_bus_message_append(m, "(st)", first.c_str(), std::stoull(rest)), p.name);
    }
    check(sd_bus_message_close_container(m), p.name);
    check(sd_bus_message_close_container(m), p.name);
}

void append_property(sd_bus_message* m, const Property& p) {
    check(sd_bus_message_open_container(m, 'r', "sv"), p.name);
    check(sd_bus_message_append(m, "s", p.name.c_str()), p.name);
    const std::string& v = p.values.front();
    if (p.type == "s") {
        check(sd_bus_message_append(m, "v", "s", v.c_str()), p.name);
    } else if (p.type == "b") {
        check(sd_bus_message_append(m, "v", "b", v == "1" || v == "true"), p.name);
    } else if (p.type == "t") {
        check(sd_bus_message_append(m, "v", "t", static_cast<uint64_t>(std::stoull(v))), p.name);
    } else if (p.type == "u") {
        check(sd_bus_message_append(m, "v", "u", static_cast<uint32_t>(std::stoul(v))), p.name);
    } else if (p.type == "ay") {
        std::vector<uint8_t> mask = list_to_mask(v);
        check(sd_bus_message_open_container(m, 'v', "ay"), p.name);
        check(sd_bus_message_append_array(m, 'y', mask.data(), mask.size()), p.name);
        check(sd_bus_message_close_container(m), p.name);
    } else if (p.type == "a(ss)" || p.type == "a(st)") {
        append_pair_array(m, p);
    } else {
        fail("property " + p.name + ": unknown type " + p.type);
    }
    check(sd_bus_message_close_container(m), p.name);
}

// Waits for JobRemoved of one job: systemd's answer to Start/StopUnit is only "queued".
struct JobWait {
    std::string job;
    std::string result;
    bool done = false;
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* w = static_cast<JobWait*>(userdata);
    uint32_t id;
    const char *path, *unit, *result;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    if (!w->job.empty() && w->job == path) {
        w->result = result;
        w->done = true;
    }
    return 0;
}

void wait_job(sd_bus* bus, JobWait& w, const std::string& what) {
    timespec start{};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    while (!w.done) {
        int r = sd_bus_process(bus, nullptr);
        check(r, what + ": wait for the job");
        if (r > 0) continue;
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t spent = (now.tv_sec - start.tv_sec) * 1'000'000ULL + (now.tv_nsec - start.tv_nsec) / 1000;
        if (spent >= kJobTimeoutUsec) fail(what + ": systemd did not finish the job in 60s");
        check(sd_bus_wait(bus, kJobTimeoutUsec - spent), what + ": wait for the job");
    }
    if (w.result != "done") fail(what + ": systemd's job ended \"" + w.result + "\"");
}

struct Bus {
    sd_bus* bus = nullptr;
    sd_bus_slot* slot = nullptr;
    JobWait job;
    explicit Bus(bool user) {
        check(user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus),
              user ? "connect to the user's systemd (user bus)" : "connect to systemd (system bus)");
        check(sd_bus_match_signal(bus, &slot, kDest, kPath, kManager, "JobRemoved", on_job_removed, &job),
              "subscribe to systemd's job signals");
        // Older systemd sends job signals only to subscribers; an error here is harmless.
        sd_bus_call_method(bus, kDest, kPath, kManager, "Subscribe", nullptr, nullptr, "");
    }
    ~Bus() {
        sd_bus_slot_unref(slot);
        sd_bus_flush_close_unref(bus);
    }
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;
};

// The reply to Start/StopUnit names the job; returns once systemd has done it.
void wait_reply_job(Bus& b, sd_bus_message* reply, const std::string& what) {
    const char* job = nullptr;
    int r = sd_bus_message_read(reply, "o", &job);
    if (r >= 0) b.job.job = job;
    sd_bus_message_unref(reply);
    check(r, what);
    wait_job(b.bus, b.job, what);
}

std::string unit_cgroup(sd_bus* bus, const std::string& unit) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(bus, kDest, kPath, kManager, "GetUnit", &e, &reply, "s", unit.c_str());
    check(r, "get unit " + unit, &e);
    const char* path = nullptr;
    check(sd_bus_message_read(reply, "o", &path), "get unit " + unit);
    std::string object = path;
    sd_bus_message_unref(reply);
    char* cg = nullptr;
    r = sd_bus_get_property_string(bus, kDest, object.c_str(), "org.freedesktop.systemd1.Scope",
                                   "ControlGroup", &e, &cg);
    check(r, "ControlGroup of " + unit, &e);
    std::string out = cg;
    std::free(cg);
    sd_bus_error_free(&e);
    return out;
}

void start(Bus& b, const std::string& unit, const std::string& slice, uint32_t pid) {
    sd_bus_message* m = nullptr;
    check(sd_bus_message_new_method_call(b.bus, &m, kDest, kPath, kManager, "StartTransientUnit"),
          "start " + unit);
    check(sd_bus_message_append(m, "ss", unit.c_str(), "fail"), "start " + unit);
    check(sd_bus_message_open_container(m, 'a', "(sv)"), "start " + unit);
    std::string description = "myrt container " + unit;
    check(sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", description.c_str(),
                                "Slice", "s", slice.c_str(), "Delegate", "b", 1,
                                "DefaultDependencies", "b", 0, "PIDs", "au", 1, pid),
          "start " + unit);
    for (const auto& p : read_properties(std::cin)) append_property(m, p);
    check(sd_bus_message_close_container(m), "start " + unit);
    check(sd_bus_message_append(m, "a(sa(sv))", 0), "start " + unit);
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call(b.bus, m, 0, &e, &reply);
    sd_bus_message_unref(m);
    if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
        fail("unit " + unit + " already exists", 2);
    check(r, "start " + unit, &e);
    wait_reply_job(b, reply, "start " + unit);
    std::cout << unit_cgroup(b.bus, unit) << "\n";
}

void set(Bus& b, const std::string& unit) {
    sd_bus_message* m = nullptr;
    check(sd_bus_message_new_method_call(b.bus, &m, kDest, kPath, kManager, "SetUnitProperties"),
          "set properties of " + unit);
    check(sd_bus_message_append(m, "sb", unit.c_str(), 1), "set properties of " + unit);
    check(sd_bus_message_open_container(m, 'a', "(sv)"), "set properties of " + unit);
    for (const auto& p : read_properties(std::cin)) append_property(m, p);
    check(sd_bus_message_close_container(m), "set properties of " + unit);
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = sd_bus_call(b.bus, m, 0, &e, nullptr);
    sd_bus_message_unref(m);
    check(r, "set properties of " + unit, &e);
}

void stop(Bus& b, const std::string& unit) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(b.bus, kDest, kPath, kManager, "StopUnit", &e, &reply, "ss",
                               unit.c_str(), "replace");
    if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) return;
    check(r, "stop " + unit, &e);
    wait_reply_job(b, reply, "stop " + unit);
    // A scope whose processes were killed ends "failed": forget it, or its name stays taken.
    sd_bus_call_method(b.bus, kDest, kPath, kManager, "ResetFailedUnit", nullptr, nullptr, "s",
                       unit.c_str());
}

// The manager answers on the bus: what `myrt check` reports as "systemd reachable".
void version(Bus& b) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    char* text = nullptr;
    int r = sd_bus_get_property_string(b.bus, kDest, kPath, kManager, "Version", &e, &text);
    check(r, "ask systemd for its version", &e);
    std::cout << text << "\n";
    free(text);
}

int usage() {
    std::cerr << "usage: myrt-systemd [--user] start UNIT SLICE PID | set UNIT | stop UNIT | version\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool user = !args.empty() && args[0] == "--user";
    if (user) args.erase(args.begin());
    if (args.empty()) return usage();
    try {
        Bus bus(user);
        if (args[0] == "start" && args.size() == 4)
            start(bus, args[1], args[2], static_cast<uint32_t>(std::stoul(args[3])));
        else if (args[0] == "set" && args.size() == 2)
            set(bus, args[1]);
        else if (args[0] == "stop" && args.size() == 2)
            stop(bus, args[1]);
        else if (args[0] == "version" && args.size() == 1)
            version(bus);
        else
            return usage();
    } catch (const Failure& f) {
        std::cerr << f.what << "\n";
        return f.code;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
