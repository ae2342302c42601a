// The lines of myrt's --log-format json log: error/warning/info lines and the steps of
// --debug's trace. Built here because spec/ is the one place that writes JSON; every string
// (a message, a step's field, what the container's init forwarded) is escaped and made valid
// UTF-8, so that each line is one JSON object whatever bytes a path or argument holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace myrt::spec {

// One field of a trace step: text, a number or a boolean.
struct LogField {
    std::string key;
    std::variant<std::string, long long, bool> value;
};

// {"level":LEVEL,"msg":MSG,"time":TIME} and a newline.
std::string log_line_json(std::string_view level, std::string_view msg, std::string_view time);

// {"level":"debug","msg":NAME,"step":NAME,"duration_us":US,"process":PROCESS,FIELDS...,
// "time":TIME} and a newline; duration_us absent for an instant step, process when empty.
std::string step_line_json(std::string_view name, std::optional<long long> duration_us,
                           std::string_view process, const std::vector<LogField>& fields,
                           std::string_view time);

// `s` as a JSON string, quotes included.
std::string json_string(std::string_view s);

// `s` with every invalid UTF-8 sequence replaced by U+FFFD, as Go's encoder (runc's logs) does.
std::string valid_utf8(std::string_view s);

// "..." with quotes, backslashes and control characters escaped: one line of text.
std::string quote_text(std::string_view s);

}  // namespace myrt::spec
