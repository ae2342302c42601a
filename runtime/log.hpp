// Logging for myrt itself. Errors and warnings always reach stderr; with --log they are also
// appended to the file, as text or as one JSON object a line ({"level","msg","time"}), which is
// where containerd's shim and conmon look for the reason a command failed.
#pragma once

#include <string>
#include <string_view>

namespace myrt::log {

enum class Level { debug, info, warning, error };

// file: "" for none. Opening failure is reported as an Error.
void configure(const std::string& file, bool json, bool debug);
bool debug_enabled();

void write(Level level, std::string_view msg);
inline void debug(std::string_view msg) { write(Level::debug, msg); }
inline void info(std::string_view msg) { write(Level::info, msg); }
inline void warn(std::string_view msg) { write(Level::warning, msg); }
inline void error(std::string_view msg) { write(Level::error, msg); }

// The current time as RFC 3339 in UTC with nanoseconds, as in logs and the state.
std::string rfc3339_now();

// JSON string escaping, shared with the other hand-written JSON in runtime/.
void append_json_string(std::string& out, std::string_view s);

}  // namespace myrt::log
