#include "runtime/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "runtime/error.hpp"

namespace myrt::log {
namespace {

int g_fd = -1;
bool g_json = false;
bool g_debug = false;
thread_local int g_last_error = 0;
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
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
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
    std::string line;
    if (g_json) {
        line = "{\"level\":\"";
        line += level_name(level);
        line += "\",\"msg\":";
        append_json_string(line, msg);
        line += ",\"time\":\"" + rfc3339_now() + "\"}\n";
    } else {
        line = rfc3339_now() + " " + level_name(level) + ": ";
        line += msg;
        line += '\n';
    }
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

void note_error_code(int err) noexcept { g_last_error = err; }

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// A step as init sends it: its process, name, duration and fields separated by NUL, each
// field's key tagged 'r' (raw) or 's'.
std::string encode_step(std::string_view name, long long us, const std::vector<Step::Field>& f) {
    std::string out(g_process ? g_process : "child");
    out += '\0';
    out += name;
    out += '\0';
    out += std::to_string(us);
    for (const auto& x : f) {
        out += '\0';
        out += x.raw ? 'r' : 's';
        out += x.key;
        out += '\0';
        out += x.value;
    }
    return out;
}

void write_step(std::string_view name, long long us, const std::vector<Step::Field>& fields,
                const char* process) {
    std::string line;
    if (g_json) {
        line = "{\"level\":\"debug\",\"msg\":";
        append_json_string(line, name);
        line += ",\"step\":";
        append_json_string(line, name);
        if (us >= 0) line += ",\"duration_us\":" + std::to_string(us);
        if (process) {
            line += ",\"process\":";
            append_json_string(line, process);
        }
        for (const auto& f : fields) {
            line += ',';
            append_json_string(line, f.key);
            line += ':';
            if (f.raw) line += f.value;
            else append_json_string(line, f.value);
        }
        line += ",\"time\":\"" + rfc3339_now() + "\"}\n";
    } else {
        line = process ? std::string(process) + ": " : std::string();
        line += name;
        for (const auto& f : fields) line += " " + f.key + "=" + f.value;
        if (us >= 0) line += " (" + std::to_string(us) + " us)";
    }
    if (g_json && g_fd >= 0) {
        write_all(g_fd, line);
        return;
    }
    if (g_json) {  // no file: stderr, still one object a line
        write_all(STDERR_FILENO, line);
        return;
    }
    write(Level::debug, line);
}

void emit(std::string_view name, long long us, const std::vector<Step::Field>& fields) {
    if (g_forward) {
        try {
            g_forward(encode_step(name, us, fields));
            return;
        } catch (...) {
            // the runtime is gone: log it ourselves
        }
    }
    write_step(name, us, fields, g_process);
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
    if (std::uncaught_exceptions() > uncaught_) {
        fields_.push_back({"failed", "true", true});
        if (g_last_error) fields_.push_back({"errno", std::to_string(g_last_error), true});
    }
    try {
        emit(name_, us, fields_);
    } catch (...) {
    }
}

Step& Step::field(std::string_view key, std::string_view value) {
    if (active_) fields_.push_back({std::string(key), std::string(value), false});
    return *this;
}

Step& Step::field(std::string_view key, long long value) {
    if (active_) fields_.push_back({std::string(key), std::to_string(value), true});
    return *this;
}

Step& Step::field(std::string_view key, bool value) {
    if (active_) fields_.push_back({std::string(key), value ? "true" : "false", true});
    return *this;
}

void step_now(std::string_view name, std::vector<Step::Field> fields) {
    if (g_debug) emit(name, -1, fields);
}

void set_step_forwarder(std::function<void(std::string_view)> forward) { g_forward = std::move(forward); }

void set_step_process(const char* name) { g_process = name; }

void replay_step(std::string_view encoded) {
    if (!g_debug) return;
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t z = encoded.find('\0', start);
        parts.push_back(encoded.substr(start, z == std::string_view::npos ? z : z - start));
        if (z == std::string_view::npos) break;
        start = z + 1;
    }
    if (parts.size() < 3 || parts.size() % 2 == 0) return;  // not one of ours: drop it
    std::vector<Step::Field> fields;
    for (size_t i = 3; i + 1 < parts.size(); i += 2) {
        if (parts[i].empty()) return;
        fields.push_back({std::string(parts[i].substr(1)), std::string(parts[i + 1]), parts[i][0] == 'r'});
    }
    long long us = std::atoll(std::string(parts[2]).c_str());
    std::string process(parts[0]);
    write_step(parts[1], us, fields, process.c_str());
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

}  // namespace myrt::log
