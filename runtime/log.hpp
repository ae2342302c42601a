// Logging for myrt itself. Errors and warnings always reach stderr; with --log they are also
// appended to the file, as text or as one JSON object a line ({"level","msg","time"}), which is
// where containerd's shim and conmon look for the reason a command failed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/log_json.hpp"

namespace myrt::log {

enum class Level { debug, info, warning, error };

// file: "" for none. Opening failure is reported as an Error.
void configure(const std::string& file, bool json, bool debug);
bool debug_enabled();
// The log file's descriptor (-1: none): init keeps it for the steps it logs after `start`.
int file_fd();

void write(Level level, std::string_view msg);
inline void debug(std::string_view msg) { write(Level::debug, msg); }
inline void info(std::string_view msg) { write(Level::info, msg); }
inline void warn(std::string_view msg) { write(Level::warning, msg); }
inline void error(std::string_view msg) { write(Level::error, msg); }

// One step of a command for --debug's trace (what was done, with what, what it cost), logged
// when it ends: `Step s("mount"); s.field("destination", d);`. With --debug off a Step costs
// one test of a flag; guard fields that are expensive to build with `if (s)`. A step ended by
// an exception is logged with "failed": true and, when it is an Error with one, its errno.
class Step {
public:
    explicit Step(std::string_view name);
    ~Step();
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;
    explicit operator bool() const { return active_; }
    Step& field(std::string_view key, std::string_view value);
    Step& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
    Step& field(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
    Step& field(std::string_view key, long long value);
    Step& field(std::string_view key, int value) { return field(key, static_cast<long long>(value)); }
    Step& field(std::string_view key, unsigned long value) { return field(key, static_cast<long long>(value)); }
    Step& field(std::string_view key, bool value);

    using Field = spec::LogField;

private:
    bool active_;
    int uncaught_ = 0;
    uint64_t start_ns_ = 0;
    std::string name_;
    std::vector<Field> fields_;
};

// A step that takes no time to speak of (an exec about to happen, a decision).
void step_now(std::string_view name, std::vector<Step::Field> fields);

// In the container's init, until the runtime stops listening (`ready`): steps go to the
// runtime over the sync channel, which logs them (one writer per log). Empty: log directly.
void set_step_forwarder(std::function<void(std::string_view encoded)> forward);
// Who the steps logged here are from ("init"), when not the runtime itself.
void set_step_process(const char* name);
// The runtime: log a step its init forwarded. What init sends is data, checked field by
// field: a step that is not one of ours (a bad number, a key the line itself uses) is dropped
// with a note in the log.
void replay_step(std::string_view encoded);

// The current time as RFC 3339 in UTC with nanoseconds, as in logs and the state.
std::string rfc3339_now();

}  // namespace myrt::log
