// Unit tests of runtime/log: the --log file in JSON and text form, and what reaches stderr.
#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "errors.hpp"
#include "runtime/error.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime_helpers.hpp"
#include "spec/log_json.hpp"

using namespace myrt;
using namespace myrt::test;

namespace {

const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Sends stderr to a file for its lifetime; text() reads what was written.
class CaptureStderr {
public:
    explicit CaptureStderr(const std::string& path) : path_(path) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        BOOST_REQUIRE(fd >= 0);
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~CaptureStderr() { restore(); }
    std::string text() {
        restore();
        return read_file(path_);
    }

private:
    void restore() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    std::string path_;
    int saved_ = -1;
};

// Checks one JSON log line: exactly level, msg and time, in that order.
void check_json_line(const std::string& line, const std::string& level, const std::string& msg) {
    BOOST_TEST_CONTEXT("line: " << line) {
        rapidjson::Document doc;
        doc.Parse(line.c_str(), line.size());
        BOOST_REQUIRE(!doc.HasParseError());
        BOOST_REQUIRE(doc.IsObject());
        BOOST_REQUIRE(doc.MemberCount() == 3u);
        auto it = doc.MemberBegin();
        BOOST_TEST(std::string(it->name.GetString()) == "level");
        BOOST_TEST(std::string(it->value.GetString()) == level);
        ++it;
        BOOST_TEST(std::string(it->name.GetString()) == "msg");
        BOOST_TEST(std::string(it->value.GetString(), it->value.GetStringLength()) == msg);
        ++it;
        BOOST_TEST(std::string(it->name.GetString()) == "time");
        BOOST_TEST(std::regex_match(std::string(it->value.GetString()), kTime));
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(json_lines) {
    TempDir tmp;
    log::configure(tmp / "log.json", true, false);
    BOOST_TEST(!log::debug_enabled());
    const std::string tricky = "bad \"quote\"\nnext\tline \\ end";
    CaptureStderr err(tmp / "stderr");
    log::error(tricky);
    log::warn("careful");
    log::info("fyi");
    log::debug("hidden");
    std::string stderr_text = err.text();

    std::string text = read_file(tmp / "log.json");
    BOOST_TEST(text.back() == '\n');
    auto lines = lines_of(text);
    BOOST_REQUIRE(lines.size() == 3u);
    check_json_line(lines[0], "error", tricky);
    check_json_line(lines[1], "warning", "careful");
    check_json_line(lines[2], "info", "fyi");
    BOOST_TEST(lines[0].starts_with(
        R"({"level":"error","msg":"bad \"quote\"\nnext\tline \\ end","time":")"));

    // Errors and warnings also reach stderr; info only goes to the file.
    BOOST_TEST(stderr_text == "myrt: " + tricky + "\nmyrt: warning: careful\n");
}

BOOST_AUTO_TEST_CASE(debug_lines) {
    TempDir tmp;
    log::configure(tmp / "log.json", true, true);
    BOOST_TEST(log::debug_enabled());
    log::debug("details");
    auto lines = lines_of(read_file(tmp / "log.json"));
    BOOST_REQUIRE(lines.size() == 1u);
    check_json_line(lines[0], "debug", "details");
}

BOOST_AUTO_TEST_CASE(text_lines) {
    TempDir tmp;
    const std::string path = tmp / "log.txt";
    write_file_atomic(path, "earlier line\n");  // appended to, not truncated
    log::configure(path, false, false);
    log::error("boom: it \"failed\"");
    log::info("note");
    auto lines = lines_of(read_file(path));
    BOOST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[0] == "earlier line");
    std::smatch m;
    BOOST_TEST(std::regex_match(lines[1], m, std::regex(R"((\S+) error: boom: it "failed")")));
    BOOST_TEST(std::regex_match(m[1].str(), kTime));
    BOOST_TEST(std::regex_match(lines[2], m, std::regex(R"((\S+) info: note)")));
}

BOOST_AUTO_TEST_CASE(unopenable_file) {
    BOOST_TEST(error_of<Error>([] { log::configure("/nonexistent/dir/log", true, false); }) ==
               "open log file /nonexistent/dir/log: no such file or directory");
}

BOOST_AUTO_TEST_CASE(json_string_escaping) {
    const char raw[] = "q\" b\\ n\n r\r t\t \x01\x1f\x7f \xc3\xa9 \0";
    std::string out = "x" + spec::json_string(std::string_view(raw, sizeof raw - 1));
    BOOST_TEST(out == "x\"q\\\" b\\\\ n\\n r\\r t\\t \\u0001\\u001F\x7f \xc3\xa9 \\u0000\"");
    // Invalid UTF-8 (a byte of a Latin-1 path, a cut sequence, a surrogate) becomes U+FFFD.
    std::string bad = spec::json_string("a\xff b\xc3 c\xed\xa0\x80");
    BOOST_TEST(bad == "\"a\xef\xbf\xbd b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    BOOST_TEST(spec::json_string("") == "\"\"");
}

namespace {

// A string no path or argument should be able to break a log line with: quotes, backslashes,
// a newline, control characters (a terminal escape among them), DEL and a byte that is not
// UTF-8.
const std::string kHostile = std::string("q\"b\\n\nr\rt\t\x01\x1b[31m\x7f \xff end") + '\0' + "after";
// ... as a JSON reader gives it back: the invalid byte is U+FFFD.
const std::string kHostileRead = std::string("q\"b\\n\nr\rt\t\x01\x1b[31m\x7f \xef\xbf\xbd end") + '\0' + "after";

// Each line of a --log-format json file as a strict reader parses it (valid UTF-8 required).
std::vector<rapidjson::Document> json_lines_of(const std::string& text) {
    std::vector<rapidjson::Document> docs;
    for (const auto& line : lines_of(text)) {
        BOOST_TEST_CONTEXT("line: " << line) {
            rapidjson::Document doc;
            doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
            BOOST_REQUIRE(!doc.HasParseError());
            BOOST_REQUIRE(doc.IsObject());
            docs.push_back(std::move(doc));
        }
    }
    return docs;
}

std::string str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

// A step as init forwards it (see encode_step in runtime/log.cpp): each part as LENGTH:BYTES.
std::string forwarded(std::initializer_list<std::string> parts) {
    std::string out;
    for (const auto& p : parts) out += std::to_string(p.size()) + ":" + p;
    return out;
}

}  // namespace

// Steps with hostile text in their names, keys and values, logged here and forwarded by
// init: every line is one valid JSON object that gives the text back.
BOOST_AUTO_TEST_CASE(step_lines_escape_everything) {
    TempDir tmp;
    log::configure(tmp / "log.json", true, true);
    {
        log::Step s("mount");
        s.field("destination", kHostile).field("index", 3).field("ro", true);
    }
    log::step_now("exec", {{"args", kHostile}});
    log::replay_step(forwarded({"init", "mount" + kHostile, "12", "sdestination", kHostile, "sk" + kHostile, "v",
                                "iindex", "-7", "bro", "false"}));
    auto docs = json_lines_of(read_file(tmp / "log.json"));
    BOOST_REQUIRE(docs.size() == 3u);
    BOOST_TEST(str(docs[0]["destination"]) == kHostileRead);
    BOOST_TEST(docs[0]["index"].GetInt64() == 3);
    BOOST_TEST(docs[0]["ro"].GetBool() == true);
    BOOST_TEST(str(docs[1]["args"]) == kHostileRead);
    BOOST_TEST(!docs[1].HasMember("duration_us"));
    BOOST_TEST(str(docs[2]["step"]) == "mount" + kHostileRead);
    BOOST_TEST(str(docs[2]["process"]) == "init");
    BOOST_TEST(docs[2]["duration_us"].GetInt64() == 12);
    BOOST_TEST(str(docs[2]["destination"]) == kHostileRead);
    const std::string key = "k" + kHostileRead;
    BOOST_TEST(str(docs[2][rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()))]) == "v");
    BOOST_TEST(docs[2]["index"].GetInt64() == -7);
    BOOST_TEST(docs[2]["ro"].GetBool() == false);
}

// What init forwards is data: a value that is not the number or boolean its tag says, a
// field that would repeat one of the line's own keys, an unknown tag or a bad duration drops
// the step (noted in the log) instead of being pasted into the line.
BOOST_AUTO_TEST_CASE(forwarded_steps_are_checked) {
    TempDir tmp;
    log::configure(tmp / "log.json", true, true);
    const std::vector<std::string> bad = {
        forwarded({"init", "mount", "1", "rindex", "1,\"level\":\"error\""}),  // the old raw tag
        forwarded({"init", "mount", "1", "iindex", "1,\"level\":\"error\""}),
        forwarded({"init", "mount", "1", "iindex", ""}),
        forwarded({"init", "mount", "1", "bro", "1"}),
        forwarded({"init", "mount", "1", "slevel", "error"}),
        forwarded({"init", "mount", "1", "stime", "then"}),
        forwarded({"init", "mount", "1", "sa", "x", "sa", "y"}),
        forwarded({"init", "mount", "1}"}),
        forwarded({"init", "mount", "-5"}),
        forwarded({"init", "mount", "1", "s", "keyless"}),
        forwarded({"init", "mount", "1", "sodd"}),
        forwarded({"", "mount", "1"}),
        forwarded({"init", "", "1"}),
        forwarded({"init"}),
        "",
        "4:init5:mount1:1:9:sdestination",  // a part longer than what is left
        "4:init5:mount1:1-1:x",
        "4:init5:mount1:1x",
    };
    for (const auto& b : bad) log::replay_step(b);
    log::replay_step(forwarded({"init", "loopback", ""}));
    auto docs = json_lines_of(read_file(tmp / "log.json"));
    BOOST_REQUIRE(docs.size() == bad.size() + 1);
    for (size_t i = 0; i < bad.size(); ++i) {
        BOOST_TEST_CONTEXT("forwarded step " << i) {
            BOOST_TEST(str(docs[i]["level"]) == "debug");
            BOOST_TEST(!docs[i].HasMember("step"));
            BOOST_TEST(str(docs[i]["msg"]).starts_with("dropped a malformed trace step from the container"));
        }
    }
    BOOST_TEST(str(docs.back()["step"]) == "loopback");
    BOOST_TEST(!docs.back().HasMember("duration_us"));
}

// The text trace: a value with a newline or control characters stays on its line, quoted.
BOOST_AUTO_TEST_CASE(text_steps_stay_on_one_line) {
    TempDir tmp;
    log::configure(tmp / "log.txt", false, true);
    log::step_now("exec", {{"path", std::string("/bin/x\nmyrt: debug: init: forged\x1b[0m")}, {"n", 1LL}});
    log::step_now("mount", {{"destination", std::string("/plain path")}});
    auto lines = lines_of(read_file(tmp / "log.txt"));
    BOOST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(lines[0].ends_with(R"( debug: exec path="/bin/x\nmyrt: debug: init: forged\x1b[0m" n=1)"));
    BOOST_TEST(lines[1].ends_with(" debug: mount destination=/plain path"));
}

// A step that fails reports the errno of what failed it: an Error's, and none for another
// exception, even when an Error with an errno was thrown (and handled) before.
BOOST_AUTO_TEST_CASE(failed_step_errno_is_its_own) {
    TempDir tmp;
    log::configure(tmp / "log.json", true, true);
    try {
        throw Error("earlier", EACCES);
    } catch (const Error&) {
    }
    auto fail_with = [](auto exception) {
        try {
            log::Step s("work");
            throw exception;
        } catch (...) {
        }
    };
    fail_with(std::runtime_error("not an Error"));
    fail_with(Error("has one", ENOENT));
    fail_with(Error("has none"));
    fail_with(std::bad_alloc());
    // An Error rethrown as a copy (catch by value, on purpose) keeps its errno.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcatch-value"
    try {
        try {
            throw Error("inner", EPERM);
        } catch (Error e) {
            log::Step s("rethrow");
            throw e;
        }
    } catch (...) {
    }
#pragma GCC diagnostic pop
    auto docs = json_lines_of(read_file(tmp / "log.json"));
    BOOST_REQUIRE(docs.size() == 5u);
    for (auto& d : docs) BOOST_TEST(d["failed"].GetBool() == true);
    BOOST_TEST(!docs[0].HasMember("errno"));
    BOOST_TEST(docs[1]["errno"].GetInt64() == ENOENT);
    BOOST_TEST(!docs[2].HasMember("errno"));
    BOOST_TEST(!docs[3].HasMember("errno"));
    BOOST_TEST(docs[4]["errno"].GetInt64() == EPERM);
}
