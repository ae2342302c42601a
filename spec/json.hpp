// Private helpers of the spec module: reading RapidJSON values into C++ types while keeping
// track of the JSON path (for one-line error messages), and writing them back.
//
// Each document struct is described once, by an overload of
//     template <class V, Is<T> S> void fields(V& v, S& s)
// that names its members with v.req (required), v.opt (optional, omitted from output when
// empty/false/zero) and v.dflt (optional on input, always written). The same description
// drives FieldReader (parsing) and FieldWriter (serializing), so the two cannot drift apart.
// The overloads live in namespace json and are found through the visitor's type.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "spec/config.hpp"
#include "spec/log_json.hpp"
#include "spec/parse_error.hpp"

namespace myrt::spec::json {

using rapidjson::Value;

// "..." with quotes, backslashes and control characters escaped, so that a message that
// quotes user input stays on one line.
std::string quote(std::string_view s);

// A JSON path built on the stack while descending; rendered only when an error is reported.
// The root's label ("config.json") shows only in errors about the root itself.
class Path {
public:
    struct KeyTag {};

    explicit Path(std::string_view root_label) : text_(root_label) {}
    Path(const Path& parent, std::string_view member)
        : parent_(&parent), kind_(Kind::member), text_(member) {}
    Path(const Path& parent, std::size_t index)
        : parent_(&parent), kind_(Kind::index), index_(index) {}
    // An entry of a free-form map, rendered as parent["key"].
    Path(const Path& parent, std::string_view key, KeyTag)
        : parent_(&parent), kind_(Kind::key), text_(key) {}
    Path(const Path&) = delete;
    Path& operator=(const Path&) = delete;

    std::string str() const;
    [[noreturn]] void fail(std::string_view message) const;

private:
    enum class Kind { root, member, index, key };
    void append_to(std::string& out) const;

    const Path* parent_ = nullptr;
    Kind kind_ = Kind::root;
    std::string_view text_;
    std::size_t index_ = 0;
};

// Throws "<path>: expected integer in <min>..<max>".
[[noreturn]] void fail_range(const Path& path, std::int64_t min, std::uint64_t max);
// Throws "<path>: expected integer" or, for integral doubles beyond 64 bits, the range error.
[[noreturn]] void fail_integer(const Value& v, const Path& path, std::int64_t min,
                               std::uint64_t max);

// Parse `text` into `doc`; on a syntax error throws
// "<label>: invalid JSON at offset N: <message>".
void parse_document(rapidjson::Document& doc, std::string_view text, std::string_view label);
// The same, in place: `text` must be NUL-terminated and outlive `doc`.
void parse_document_insitu(rapidjson::Document& doc, std::string& text, std::string_view label);
// Whole file contents; errors are ParseErrors such as "open <path>: no such file or directory".
// Only a regular file of at most 64 MiB: a FIFO, /dev/zero or a huge file is refused at once.
std::string read_file(const std::string& path);
// Standard input to EOF, at most 64 MiB ("standard input: larger than 64 MiB").
std::string read_stdin();
// As read_file, and also a pipe (exec -p <(...), /dev/fd/N), read to its end.
std::string read_file_or_pipe(const std::string& path);

// ---- reading ----

template <class T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

// An object being read: member lookup plus paths for its members.
class Object {
public:
    Object(const Value& v, const Path& path) : value_(v), path_(path) {
        if (!v.IsObject()) path.fail("expected object");
    }
    // The member, or nullptr when absent or null (null reads as absent, like Go's decoder).
    const Value* find(std::string_view name) const {
        auto it = value_.FindMember(Value(
            rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
        if (it == value_.MemberEnd() || it->value.IsNull()) return nullptr;
        return &it->value;
    }
    template <class T>
    bool get(std::string_view name, T& out) const;  // false when absent
    template <class T>
    void need(std::string_view name, T& out) const {
        if (!get(name, out)) Path(path_, name).fail("required");
    }
    const Path& path() const { return path_; }
    const Value& value() const { return value_; }

private:
    const Value& value_;
    const Path& path_;
};

inline void read_json(const Value& v, const Path& p, bool& out) {
    if (!v.IsBool()) p.fail("expected boolean");
    out = v.GetBool();
}

inline void read_json(const Value& v, const Path& p, std::string& out) {
    if (!v.IsString()) p.fail("expected string");
    out.assign(v.GetString(), v.GetStringLength());
    // "\u0000" would silently cut paths, arguments and names short in every C API below.
    if (out.find('\0') != std::string::npos) p.fail("must not contain a NUL character");
}

template <Integer T>
void read_json(const Value& v, const Path& p, T& out) {
    constexpr std::int64_t min = std::numeric_limits<T>::min();
    constexpr std::uint64_t max = std::numeric_limits<T>::max();
    if (v.IsInt64()) {
        std::int64_t x = v.GetInt64();
        if (x < min || (x > 0 && static_cast<std::uint64_t>(x) > max)) fail_range(p, min, max);
        out = static_cast<T>(x);
    } else if (v.IsUint64()) {  // above INT64_MAX
        std::uint64_t x = v.GetUint64();
        if (x > max) fail_range(p, min, max);
        out = static_cast<T>(x);
    } else {
        fail_integer(v, p, min, max);
    }
}

template <class T>
constexpr const char* plural_name() {
    if constexpr (std::same_as<T, std::string>)
        return "strings";
    else if constexpr (std::same_as<T, bool>)
        return "booleans";
    else if constexpr (Integer<T>)
        return "integers";
    else
        return "objects";
}

class FieldReader;

// A struct described by fields().
template <class T>
concept Described = requires(FieldReader& r, T& t) {
    fields(r, t);
};

template <Described T>
void read_json(const Value& v, const Path& p, T& out);

template <class T>
void read_json(const Value& v, const Path& p, std::optional<T>& out) {
    read_json(v, p, out.emplace());
}

template <class T>
void read_json(const Value& v, const Path& p, std::vector<T>& out) {
    if (!v.IsArray()) p.fail(std::string("expected array of ") + plural_name<T>());
    out.clear();
    out.reserve(v.Size());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        Path item(p, std::size_t{i});
        read_json(v[i], item, out.emplace_back());
    }
}

template <class T>
void read_json(const Value& v, const Path& p, std::map<std::string, T>& out) {
    if (!v.IsObject()) p.fail("expected object");
    out.clear();
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        std::string key(it->name.GetString(), it->name.GetStringLength());
        Path item(p, key, Path::KeyTag{});
        read_json(it->value, item, out[key]);
    }
}

// An object whose members keep their document order (a std::map would sort them).
template <class T>
void read_json(const Value& v, const Path& p, std::vector<std::pair<std::string, T>>& out) {
    if (!v.IsObject()) p.fail("expected object");
    out.clear();
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        auto& [key, value] = out.emplace_back();
        key.assign(it->name.GetString(), it->name.GetStringLength());
        Path item(p, key, Path::KeyTag{});
        read_json(it->value, item, value);
    }
}

template <class T>
bool Object::get(std::string_view name, T& out) const {
    const Value* member = find(name);
    if (member == nullptr) return false;
    Path p(path_, name);
    read_json(*member, p, out);
    return true;
}

// The parsing visitor of fields().
class FieldReader {
public:
    explicit FieldReader(const Object& object) : object_(object) {}
    template <class T>
    void req(std::string_view name, T& field) {
        object_.need(name, field);
    }
    template <class T>
    void opt(std::string_view name, T& field) {
        object_.get(name, field);
    }
    template <class T>
    void dflt(std::string_view name, T& field) {
        object_.get(name, field);
    }
    // A map whose keys are fixed by the spec: other keys are unknown members, ignored.
    template <class T>
    void known_keys(std::string_view name, std::map<std::string, T>& field,
                    std::initializer_list<std::string_view> keys) {
        const Value* member = object_.find(name);
        if (member == nullptr) return;
        Path p(object_.path(), name);
        Object map(*member, p);
        for (std::string_view key : keys) {
            T value{};
            if (map.get(key, value)) field.insert_or_assign(std::string(key), std::move(value));
        }
    }

private:
    const Object& object_;
};

template <Described T>
void read_json(const Value& v, const Path& p, T& out) {
    Object object(v, p);
    FieldReader reader(object);
    fields(reader, out);
}

// ---- writing ----

template <class W>
void write_key(W& w, std::string_view key) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

template <class W>
void write_json(W& w, bool b) {
    w.Bool(b);
}

template <class W>
void write_json(W& w, const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <class W, Integer T>
void write_json(W& w, T x) {
    if constexpr (std::is_signed_v<T>)
        w.Int64(x);
    else
        w.Uint64(x);
}

template <class W, Described T>
void write_json(W& w, const T& s);

template <class W, class T>
void write_json(W& w, const std::vector<T>& v) {
    w.StartArray();
    for (const T& item : v) write_json(w, item);
    w.EndArray();
}

template <class W, class T>
void write_json(W& w, const std::map<std::string, T>& m) {
    w.StartObject();
    for (const auto& [key, value] : m) {
        write_key(w, key);
        write_json(w, value);
    }
    w.EndObject();
}

template <class W, class T>
void write_json(W& w, const std::vector<std::pair<std::string, T>>& members) {
    w.StartObject();
    for (const auto& [key, value] : members) {
        write_key(w, key);
        write_json(w, value);
    }
    w.EndObject();
}

template <class W, class T>
void put(W& w, std::string_view key, const T& value) {
    write_key(w, key);
    write_json(w, value);
}

// Members that are omitted when empty, false or zero.
template <class W, class T>
void put_opt(W& w, std::string_view key, const std::optional<T>& v) {
    if (v) put(w, key, *v);
}
template <class W, class T>
void put_opt(W& w, std::string_view key, const std::vector<T>& v) {
    if (!v.empty()) put(w, key, v);
}
template <class W, class T>
void put_opt(W& w, std::string_view key, const std::map<std::string, T>& v) {
    if (!v.empty()) put(w, key, v);
}
template <class W>
void put_opt(W& w, std::string_view key, bool v) {
    if (v) put(w, key, v);
}
template <class W, Integer T>
void put_opt(W& w, std::string_view key, T v) {
    if (v != 0) put(w, key, v);
}
template <class W>
void put_opt(W& w, std::string_view key, const std::string& v) {
    if (!v.empty()) put(w, key, v);
}

// The serializing visitor of fields().
template <class W>
class FieldWriter {
public:
    explicit FieldWriter(W& w) : w_(w) {}
    template <class T>
    void req(std::string_view name, const T& field) {
        put(w_, name, field);
    }
    template <class T>
    void opt(std::string_view name, const T& field) {
        put_opt(w_, name, field);
    }
    template <class T>
    void dflt(std::string_view name, const T& field) {
        put(w_, name, field);
    }
    template <class T>
    void known_keys(std::string_view name, const std::map<std::string, T>& field,
                    std::initializer_list<std::string_view>) {
        put_opt(w_, name, field);
    }

private:
    W& w_;
};

template <class W, Described T>
void write_json(W& w, const T& s) {
    w.StartObject();
    FieldWriter<W> writer(w);
    fields(writer, s);
    w.EndObject();
}

// Runs body(writer) with a pretty (tab-indented) or compact writer and returns the text.
template <class Body>
std::string serialize(bool pretty, Body&& body) {
    rapidjson::StringBuffer buffer;
    if (pretty) {
        rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
        w.SetIndent('\t', 1);
        body(w);
    } else {
        rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
        body(w);
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

// `text` (labelled `label` in errors) parsed into a T described by fields() or a container
// of them; throws ParseError.
template <class T>
T parse_as(std::string_view text, std::string_view label) {
    rapidjson::Document doc;
    parse_document(doc, text, label);
    Path root(label);
    T out;
    read_json(doc, root, out);
    return out;
}

// A writer that makes every string valid UTF-8 on the way (an invalid sequence becomes
// U+FFFD, as Go's encoder does for runc), for documents other programs read: a path or an
// id may hold any bytes, and a reader may reject the whole document for one of them.
// Not for state.json, which must give back the exact bytes it was given.
template <class W>
class ValidUtf8Writer {
public:
    explicit ValidUtf8Writer(W& w) : w_(w) {}
    bool String(const char* s, rapidjson::SizeType n) {
        std::string text = valid_utf8(std::string_view(s, n));
        return w_.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    bool Key(const char* s, rapidjson::SizeType n) {
        std::string text = valid_utf8(std::string_view(s, n));
        return w_.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    bool Null() { return w_.Null(); }
    bool Bool(bool b) { return w_.Bool(b); }
    bool Int64(std::int64_t x) { return w_.Int64(x); }
    bool Uint64(std::uint64_t x) { return w_.Uint64(x); }
    bool StartObject() { return w_.StartObject(); }
    bool EndObject() { return w_.EndObject(); }
    bool StartArray() { return w_.StartArray(); }
    bool EndArray() { return w_.EndArray(); }

private:
    W& w_;
};

// body(writer) through a ValidUtf8Writer: one compact line of valid UTF-8.
template <class Body>
std::string serialize_utf8(Body&& body) {
    return serialize(false, [&](auto& w) {
        ValidUtf8Writer<std::remove_reference_t<decltype(w)>> out(w);
        body(out);
    });
}

// `value` as one compact line of valid UTF-8 (see ValidUtf8Writer).
template <class T>
std::string to_compact_utf8(const T& value) {
    return serialize_utf8([&](auto& w) { write_json(w, value); });
}

// ---- config helpers ----

// Throws `ociVersion: unsupported version "2.0.0" (myrt supports 1.x)` unless `version` is
// MAJOR.MINOR.PATCH[-pre][+build] with major version 1. `root` is the document's root path.
void check_oci_version(const std::string& version, const Path& root);

// ---- descriptions shared by config.cpp and state.cpp ----

// S is T or const T: one description serves reading and writing.
template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <class V, Is<Hook> S>
void fields(V& v, S& h) {
    v.req("path", h.path);
    v.opt("args", h.args);
    v.opt("env", h.env);
    v.opt("timeout", h.timeout);
}

}  // namespace myrt::spec::json
