#include "runtime/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "runtime/error.hpp"

namespace myrt::log {
namespace {

int g_fd = -1;
bool g_json = false;
bool g_debug = false;

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
