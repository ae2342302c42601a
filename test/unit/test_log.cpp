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
    std::string out = "x";
    log::append_json_string(out, std::string(raw, sizeof raw - 1));
    BOOST_TEST(out == "x\"q\\\" b\\\\ n\\n r\\r t\\t \\u0001\\u001f\x7f \xc3\xa9 \\u0000\"");
    std::string empty;
    log::append_json_string(empty, "");
    BOOST_TEST(empty == "\"\"");
}
