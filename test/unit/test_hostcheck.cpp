// `myrt check`'s pure parts: a finding as JSON, the terminal report and its verdict, and the
// findings of this machine that hold wherever the unit tests run. The host facts themselves
// are compared with the host in test/integration/t-check.sh.
#define BOOST_TEST_MODULE hostcheck
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/hostcheck.hpp"
#include "spec/check.hpp"

using namespace myrt;
using spec::CheckFinding;

namespace {

const CheckFinding* find(const std::vector<CheckFinding>& fs, const std::string& check) {
    auto it = std::find_if(fs.begin(), fs.end(), [&](const CheckFinding& f) { return f.check == check; });
    return it == fs.end() ? nullptr : &*it;
}

}  // namespace

BOOST_AUTO_TEST_CASE(finding_json_is_one_escaped_line_with_every_member) {
    CheckFinding f{"subuid", "limited", "no range for \"bob\"\nin /etc/subuid", "usermod --add-subuids", false};
    BOOST_TEST(spec::to_json(f) ==
               R"({"check":"subuid","status":"limited","needed":false,"detail":"no range for \"bob\"\nin /etc/subuid","fix":"usermod --add-subuids"})");
    CheckFinding ok{"openat2", "ok", "available", "", true};
    BOOST_TEST(spec::to_json(ok) == R"({"check":"openat2","status":"ok","needed":true,"detail":"available","fix":""})");
}

BOOST_AUTO_TEST_CASE(only_a_needed_missing_finding_makes_the_host_not_ready) {
    std::vector<CheckFinding> fs{{"kernel", "ok", "Linux 6.1", "", false},
                                 {"criu", "missing", "not found", "apt-get install criu", false},
                                 {"delegation", "limited", "none", "run as root", false}};
    BOOST_TEST(host_ready(fs));
    std::string report = check_report(fs, false);
    BOOST_TEST(report.find("missing  criu            not found\n") != std::string::npos, report);
    BOOST_TEST(report.find("\n                         fix: apt-get install criu\n") != std::string::npos, report);
    BOOST_TEST(report.ends_with("ready: a default container (myrt spec) can run here as root\n"), report);

    fs.push_back({"openat2", "missing", "the kernel does not have it", "a kernel 5.6 or later", true});
    fs.push_back({"state-dir", "missing", "no place", "pass --root DIR", true});
    BOOST_TEST(!host_ready(fs));
    report = check_report(fs, false);
    BOOST_TEST(report.ends_with("not ready: a default container (myrt spec) cannot run here as root: "
                                "openat2, state-dir missing\n"),
               report);
}

// The probes on the machine running the tests: kernels since 5.12 have every call (the
// project's hosts and VMs do), and a fork can always leave a user namespace unmade cleanly.
BOOST_AUTO_TEST_CASE(this_machine_has_the_system_calls_and_every_finding_is_well_formed) {
    char dir[] = "/tmp/myrt-hostcheck.XXXXXX";
    BOOST_TEST_REQUIRE(::mkdtemp(dir) != nullptr);
    std::string root = std::string(dir) + "/state";
    auto fs = check_host({root, ::geteuid() != 0});
    ::rmdir(dir);
    for (const char* name : {"openat2", "close_range", "open_tree", "mount_setattr", "pidfd_open"}) {
        const CheckFinding* f = find(fs, name);
        BOOST_TEST_REQUIRE(f != nullptr, name);
        BOOST_TEST(f->status == "ok", name << ": " << f->detail);
        BOOST_TEST(f->needed, name);
    }
    for (const auto& f : fs) {
        BOOST_TEST((f.status == "ok" || f.status == "missing" || f.status == "limited"), f.check);
        BOOST_TEST(f.fix.empty() == (f.status == "ok"), f.check);
        BOOST_TEST(!f.detail.empty(), f.check);
    }
    const CheckFinding* state = find(fs, "state-dir");
    BOOST_TEST_REQUIRE(state != nullptr);
    BOOST_TEST(state->detail == root + " (made at the first create)");
    BOOST_TEST(state->status == "ok");
}
