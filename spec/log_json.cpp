#include "spec/log_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "spec/json.hpp"

namespace myrt::spec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The length of the valid UTF-8 sequence at s[i], 0 when there is none (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i) {
    auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    unsigned c = byte(i);
    auto tail = [&](size_t k) { return (byte(k) & 0xc0u) == 0x80u; };
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return tail(i + 1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return byte(i + 1) >= lo && byte(i + 1) <= hi && tail(i + 2) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return byte(i + 1) >= lo && byte(i + 1) <= hi && tail(i + 2) && tail(i + 3) ? 4 : 0;
    }
    return 0;
}

void put_string(Writer& w, std::string_view s) {
    std::string text = valid_utf8(s);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void put_key(Writer& w, std::string_view key) {
    std::string text = valid_utf8(key);
    w.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string finish(Writer& w, rapidjson::StringBuffer& buffer, std::string_view time) {
    put_key(w, "time");
    put_string(w, time);
    w.EndObject();
    std::string line(buffer.GetString(), buffer.GetSize());
    line += '\n';
    return line;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_sequence(s, i);
        if (n == 0) {
            out += "\xef\xbf\xbd";
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out;
}

std::string json_string(std::string_view s) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    put_string(w, s);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string log_line_json(std::string_view level, std::string_view msg, std::string_view time) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    put_key(w, "level");
    put_string(w, level);
    put_key(w, "msg");
    put_string(w, msg);
    return finish(w, buffer, time);
}

std::string step_line_json(std::string_view name, std::optional<long long> duration_us,
                           std::string_view process, const std::vector<LogField>& fields,
                           std::string_view time) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    put_key(w, "level");
    put_string(w, "debug");
    put_key(w, "msg");
    put_string(w, name);
    put_key(w, "step");
    put_string(w, name);
    if (duration_us) {
        put_key(w, "duration_us");
        w.Int64(*duration_us);
    }
    if (!process.empty()) {
        put_key(w, "process");
        put_string(w, process);
    }
    for (const LogField& f : fields) {
        put_key(w, f.key);
        if (const auto* text = std::get_if<std::string>(&f.value))
            put_string(w, *text);
        else if (const auto* number = std::get_if<long long>(&f.value))
            w.Int64(*number);
        else
            w.Bool(std::get<bool>(f.value));
    }
    return finish(w, buffer, time);
}

std::string quote_text(std::string_view s) { return json::quote(s); }

}  // namespace myrt::spec
