#include "spec/json.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

namespace myrt::spec::json {

std::string quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    out += "\\x";
                    out += hex[u >> 4];
                    out += hex[u & 0xf];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

void Path::append_to(std::string& out) const {
    switch (kind_) {
        case Kind::root:
            out += text_;
            return;
        case Kind::member:
            if (parent_->kind_ != Kind::root) {
                parent_->append_to(out);
                out += '.';
            }
            out += text_;
            return;
        case Kind::index:
            parent_->append_to(out);
            out += '[';
            out += std::to_string(index_);
            out += ']';
            return;
        case Kind::key:
            parent_->append_to(out);
            out += '[';
            out += quote(text_);
            out += ']';
            return;
    }
}

std::string Path::str() const {
    std::string out;
    append_to(out);
    return out;
}

void Path::fail(std::string_view message) const {
    std::string text = str();
    text += ": ";
    text += message;
    throw ParseError(text);
}

void fail_range(const Path& path, std::int64_t min, std::uint64_t max) {
    path.fail("expected integer in " + std::to_string(min) + ".." + std::to_string(max));
}

void fail_integer(const Value& v, const Path& path, std::int64_t min, std::uint64_t max) {
    // An integral double is a number too large for 64 bits (RapidJSON keeps anything that fits
    // as an integer): report it as out of range rather than as "not an integer".
    if (v.IsDouble()) {
        double d = v.GetDouble();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) >= 9223372036854775808.0)
            fail_range(path, min, max);
    }
    path.fail("expected integer");
}

namespace {

[[noreturn]] void fail_syntax(const rapidjson::Document& doc, std::string_view label) {
    std::string text(label);
    text += ": invalid JSON at offset ";
    text += std::to_string(doc.GetErrorOffset());
    text += ": ";
    text += rapidjson::GetParseError_En(doc.GetParseError());
    throw ParseError(text);
}

[[noreturn]] void fail_errno(const char* op, const std::string& path, int err) {
    std::string message = std::generic_category().message(err);
    if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') message[0] += 'a' - 'A';
    throw ParseError(std::string(op) + " " + path + ": " + message);
}

}  // namespace

namespace {

// A raw NUL is never JSON: without this check the parser would stop there and accept
// whatever follows.
void reject_nul(std::string_view text, std::string_view label) {
    if (auto pos = text.find('\0'); pos != std::string_view::npos)
        throw ParseError(std::string(label) + ": invalid JSON at offset " + std::to_string(pos) +
                         ": NUL byte");
}

}  // namespace

// Iterative parsing: the default recursive parser overflows the stack on deeply nested
// input (found by fuzz/). A plain memory stream: no byte-order mark is skipped, so
// parse_config and load_config accept exactly the same bytes (runc rejects a BOM too).
void parse_document(rapidjson::Document& doc, std::string_view text, std::string_view label) {
    reject_nul(text, label);
    rapidjson::MemoryStream stream(text.data(), text.size());
    doc.ParseStream<rapidjson::kParseIterativeFlag, rapidjson::UTF8<>>(stream);
    if (doc.HasParseError()) fail_syntax(doc, label);
}

void parse_document_insitu(rapidjson::Document& doc, std::string& text, std::string_view label) {
    reject_nul(text, label);
    doc.ParseInsitu<rapidjson::kParseIterativeFlag>(text.data());
    if (doc.HasParseError()) fail_syntax(doc, label);
}

namespace {

// Far beyond any real document (a config with big annotations is a few MiB).
constexpr std::size_t kMaxDocument = 64 << 20;

[[noreturn]] void fail_too_large(std::string_view label) {
    throw ParseError(std::string(label) + ": larger than 64 MiB");
}

// fd to EOF, refusing more than kMaxDocument bytes: files that claim size 0 (/proc) and
// pipes have no size to check before reading. expected: the size fstat claims, or 0.
std::string read_bounded(int fd, std::string_view label, std::size_t expected) {
    std::string data;
    if (expected > 0) data.resize(expected + 1);  // +1: EOF without regrowing
    std::size_t used = 0;
    for (;;) {
        if (used == data.size()) {
            if (used > kMaxDocument) fail_too_large(label);
            data.resize(std::min(data.size() < 4096 ? 4096 : data.size() * 2, kMaxDocument + 1));
        }
        ssize_t n = ::read(fd, data.data() + used, data.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno("read", std::string(label), errno);
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    data.resize(used);
    return data;
}

}  // namespace

std::string read_file(const std::string& path) {
    // O_NONBLOCK: a FIFO in place of the file must not hang us until a writer comes.
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (raw < 0) fail_errno("open", path, errno);
    struct Closer {  // spec/ stands alone: no runtime/fd.hpp here
        int fd;
        ~Closer() { ::close(fd); }
    } fd{raw};
    struct stat st {};
    if (::fstat(fd.fd, &st) < 0 || !S_ISREG(st.st_mode)) throw ParseError(path + ": not a regular file");
    if (static_cast<std::size_t>(st.st_size) > kMaxDocument) fail_too_large(path);
    return read_bounded(fd.fd, path, static_cast<std::size_t>(st.st_size));
}

std::string read_stdin() { return read_bounded(STDIN_FILENO, "standard input", 0); }

std::string read_file_or_pipe(const std::string& path) {
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (raw < 0) fail_errno("open", path, errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } fd{raw};
    struct stat st {};
    if (::fstat(fd.fd, &st) < 0) fail_errno("stat", path, errno);
    if (S_ISREG(st.st_mode)) {
        if (static_cast<std::size_t>(st.st_size) > kMaxDocument) fail_too_large(path);
        return read_bounded(fd.fd, path, static_cast<std::size_t>(st.st_size));
    }
    if (!S_ISFIFO(st.st_mode)) throw ParseError(path + ": not a regular file or a pipe");
    // A pipe (`-p <(...)`) is read to its end: blocking, as the writer may not have begun.
    ::fcntl(fd.fd, F_SETFL, ::fcntl(fd.fd, F_GETFL) & ~O_NONBLOCK);
    return read_bounded(fd.fd, path, 0);
}

}  // namespace myrt::spec::json
