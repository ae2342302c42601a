#include "runtime/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>

#include "runtime/error.hpp"
#include "spec/log_json.hpp"

namespace myrt::log {
namespace {

int g_fd = -1;
bool g_json = false;
bool g_debug = false;
std::function<void(std::string_view)> g_forward;
const char* g_process = nullptr;

const char* level_name(Level level) {
    switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    }
    return "error";
}

}  // namespace

std::string rfc3339_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    // Not gmtime_r or strftime: glibc's first call of either loads /etc/localtime (tzset),
    // an open, two fstats and a parse per invocation, for a UTC time. Days to a civil date
    // in the proleptic Gregorian calendar (H. Hinnant's days_from_civil, inverted).
    long long secs = ts.tv_sec;
    long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    long long rem = secs - days * 86400;
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;                                      // [0, 146096]
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
    long long mp = (5 * doy + 2) / 153;                                     // [0, 11]
    long long day = doy - (153 * mp + 2) / 5 + 1;
    long long month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    char buf[128];
    snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%09ldZ", year, static_cast<int>(month),
             static_cast<int>(day), static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
             static_cast<int>(rem % 60), ts.tv_nsec);
    return buf;
}

namespace {

// One write() per line so that concurrent writers to one log never interleave mid-line.
void write_all(int fd, const std::string& line) {
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to report a logging failure
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

std::string format_line(Level level, std::string_view msg) {
    if (g_json) return spec::log_line_json(level_name(level), msg, rfc3339_now());
    std::string line = rfc3339_now() + " " + level_name(level) + ": ";
    line += msg;
    line += '\n';
    return line;
}

}  // namespace

void configure(const std::string& file, bool json, bool debug) {
    g_json = json;
    g_debug = debug;
    if (file.empty()) return;
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("open log file " + file);
    g_fd = fd;
}

bool debug_enabled() { return g_debug; }

int file_fd() { return g_fd; }

void write(Level level, std::string_view msg) {
    if (level == Level::debug && !g_debug) return;
    if (g_fd >= 0) write_all(g_fd, format_line(level, msg));
    if (level == Level::error || level == Level::warning || g_fd < 0) {
        std::string line = "myrt: ";
        if (level == Level::warning) line += "warning: ";
        if (level == Level::debug) line += "debug: ";
        if (level == Level::info) line.clear();
        line += msg;
        line += '\n';
        write_all(STDERR_FILENO, line);
    }
}

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// A step as init sends it: a sequence of parts, each its length in decimal, ':' and its
// bytes (any bytes: a value may hold a NUL). The parts are the process, the name, the
// duration (empty: an instant step), then for each field a tag ('s' text, 'i' number, 'b'
// boolean) followed by its key, and its value.
constexpr char kText = 's', kNumber = 'i', kBool = 'b';

void put_part(std::string& out, std::string_view part) {
    out += std::to_string(part.size());
    out += ':';
    out += part;
}

std::string encode_step(std::string_view name, std::optional<long long> us,
                        const std::vector<Step::Field>& fields) {
    std::string out;
    put_part(out, g_process ? g_process : "child");
    put_part(out, name);
    put_part(out, us ? std::to_string(*us) : std::string());
    for (const auto& f : fields) {
        if (const auto* text = std::get_if<std::string>(&f.value)) {
            put_part(out, kText + f.key);
            put_part(out, *text);
        } else if (const auto* number = std::get_if<long long>(&f.value)) {
            put_part(out, kNumber + f.key);
            put_part(out, std::to_string(*number));
        } else {
            put_part(out, kBool + f.key);
            put_part(out, std::get<bool>(f.value) ? "true" : "false");
        }
    }
    return out;
}

std::optional<long long> parse_number(std::string_view s) {
    long long n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return n;
}

// Keys of the line itself, which a forwarded field must not repeat (a second "level" would
// win in most readers).
bool reserved_key(std::string_view key) {
    for (std::string_view k : {"level", "msg", "step", "duration_us", "process", "time"})
        if (key == k) return true;
    return false;
}

struct DecodedStep {
    std::string process, name;
    std::optional<long long> us;
    std::vector<Step::Field> fields;
};

// What init forwarded, checked: nullopt when it is not a step as encode_step makes them.
std::optional<DecodedStep> decode_step(std::string_view encoded) {
    std::vector<std::string_view> parts;
    while (!encoded.empty()) {
        size_t colon = encoded.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        auto size = parse_number(encoded.substr(0, colon));
        if (!size || *size < 0 || static_cast<size_t>(*size) > encoded.size() - colon - 1) return std::nullopt;
        parts.push_back(encoded.substr(colon + 1, static_cast<size_t>(*size)));
        encoded.remove_prefix(colon + 1 + static_cast<size_t>(*size));
    }
    if (parts.size() < 3 || parts.size() % 2 == 0 || parts[0].empty() || parts[1].empty())
        return std::nullopt;
    DecodedStep step{std::string(parts[0]), std::string(parts[1]), std::nullopt, {}};
    if (!parts[2].empty()) {
        step.us = parse_number(parts[2]);
        if (!step.us || *step.us < 0) return std::nullopt;
    }
    for (size_t i = 3; i + 1 < parts.size(); i += 2) {
        std::string_view tagged = parts[i], value = parts[i + 1];
        if (tagged.size() < 2) return std::nullopt;
        std::string key(tagged.substr(1));
        if (reserved_key(key)) return std::nullopt;
        for (const auto& f : step.fields)
            if (f.key == key) return std::nullopt;
        if (tagged[0] == kText) {
            step.fields.push_back({std::move(key), std::string(value)});
        } else if (tagged[0] == kNumber) {
            auto n = parse_number(value);
            if (!n) return std::nullopt;
            step.fields.push_back({std::move(key), *n});
        } else if (tagged[0] == kBool && (value == "true" || value == "false")) {
            step.fields.push_back({std::move(key), value == "true"});
        } else {
            return std::nullopt;
        }
    }
    return step;
}

// A name or value in the text trace: as it is, unless it holds a control character (a
// newline would start a line that looks like another step).
std::string text_of(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return spec::quote_text(s);
    return std::string(s);
}

std::string text_of(const Step::Field& f) {
    if (const auto* text = std::get_if<std::string>(&f.value)) return text_of(*text);
    if (const auto* number = std::get_if<long long>(&f.value)) return std::to_string(*number);
    return std::get<bool>(f.value) ? "true" : "false";
}

void write_step(std::string_view name, std::optional<long long> us,
                const std::vector<Step::Field>& fields, std::string_view process) {
    if (g_json) {
        // No file: stderr, still one object a line.
        write_all(g_fd >= 0 ? g_fd : STDERR_FILENO,
                  spec::step_line_json(name, us, process, fields, rfc3339_now()));
        return;
    }
    std::string line = process.empty() ? std::string() : text_of(process) + ": ";
    line += text_of(name);
    for (const auto& f : fields) line += " " + text_of(f.key) + "=" + text_of(f);
    if (us) line += " (" + std::to_string(*us) + " us)";
    write(Level::debug, line);
}

void emit(std::string_view name, std::optional<long long> us, const std::vector<Step::Field>& fields) {
    if (g_forward) {
        try {
            g_forward(encode_step(name, us, fields));
            return;
        } catch (...) {
            // the runtime is gone: log it ourselves
        }
    }
    write_step(name, us, fields, g_process ? g_process : "");
}

}  // namespace

Step::Step(std::string_view name) : active_(g_debug) {
    if (!active_) return;
    name_ = name;
    uncaught_ = std::uncaught_exceptions();
    start_ns_ = monotonic_ns();
}

Step::~Step() {
    if (!active_) return;
    long long us = static_cast<long long>((monotonic_ns() - start_ns_) / 1000);
    try {
        if (std::uncaught_exceptions() > uncaught_) {
            fields_.push_back({"failed", true});
            if (int err = latest_error_code()) fields_.push_back({"errno", static_cast<long long>(err)});
        }
        emit(name_, us, fields_);
    } catch (...) {
    }
}

Step& Step::field(std::string_view key, std::string_view value) {
    if (active_) fields_.push_back({std::string(key), std::string(value)});
    return *this;
}

Step& Step::field(std::string_view key, long long value) {
    if (active_) fields_.push_back({std::string(key), value});
    return *this;
}

Step& Step::field(std::string_view key, bool value) {
    if (active_) fields_.push_back({std::string(key), value});
    return *this;
}

void step_now(std::string_view name, std::vector<Step::Field> fields) {
    if (g_debug) emit(name, std::nullopt, fields);
}

void set_step_forwarder(std::function<void(std::string_view)> forward) { g_forward = std::move(forward); }

void set_step_process(const char* name) { g_process = name; }

void replay_step(std::string_view encoded) {
    if (!g_debug) return;
    std::optional<DecodedStep> step = decode_step(encoded);
    if (!step) {
        write(Level::debug, "dropped a malformed trace step from the container (" +
                                std::to_string(encoded.size()) + " bytes)");
        return;
    }
    write_step(step->name, step->us, step->fields, step->process);
}

}  // namespace myrt::log
