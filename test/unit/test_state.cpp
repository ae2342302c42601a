// Unit tests of spec/state: the OCI state document and myrt's container record.
#define BOOST_TEST_MODULE state
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "errors.hpp"
#include "spec/state.hpp"

using namespace myrt::spec;
using myrt::test::Case;
using myrt::test::check_cases;
using myrt::test::error_of;

namespace {

State sample_state() {
    State s;
    s.ociVersion = "1.3.0";
    s.id = "oci-container1";
    s.status = "running";
    s.pid = 4422;
    s.bundle = "/containers/redis";
    s.annotations = {{"myKey", "myValue"}, {"other", ""}};
    return s;
}

ContainerRecord sample_record() {
    ContainerRecord r;
    r.state = sample_state();
    r.pid_start_time = 18446744073709551615u;
    r.created = "2024-05-01T12:34:56.789012345Z";
    r.rootfs = "/containers/redis/rootfs";
    r.owner = 1000;
    r.cgroup_paths = {{"", "/sys/fs/cgroup/myrt/oci-container1"}};
    Hook h1;
    h1.path = "/usr/sbin/cleanup.sh";
    h1.args = {"cleanup.sh", "-f"};
    h1.env = {"A=1"};
    h1.timeout = 10;
    Hook h2;
    h2.path = "/bin/true";
    r.poststop = {h1, h2};
    r.namespace_paths = {{"network", "/proc/4422/ns/net"}, {"pid", "/proc/4422/ns/pid"}};
    r.helper_pids = {4500, 4501};
    r.systemd_cgroup = true;
    r.systemd_unit = "myrt-c1.scope";
    r.systemd_user = true;
    return r;
}

void check_same(const State& a, const State& b) {
    BOOST_TEST(a.ociVersion == b.ociVersion);
    BOOST_TEST(a.id == b.id);
    BOOST_TEST(a.status == b.status);
    BOOST_TEST(a.pid == b.pid);
    BOOST_TEST(a.bundle == b.bundle);
    BOOST_TEST((a.annotations == b.annotations));
}

}  // namespace

BOOST_AUTO_TEST_CASE(state_to_json) {
    State s = sample_state();
    BOOST_TEST(to_json(s, false) ==
               R"({"ociVersion":"1.3.0","id":"oci-container1","status":"running","pid":4422,)"
               R"("bundle":"/containers/redis","annotations":{"myKey":"myValue","other":""}})");

    // pid 0 (stopped) and empty annotations are omitted.
    s.pid = 0;
    s.status = "stopped";
    s.annotations.clear();
    BOOST_TEST(
        to_json(s, false) ==
        R"({"ociVersion":"1.3.0","id":"oci-container1","status":"stopped","bundle":"/containers/redis"})");

    std::string pretty = to_json(s, true);
    BOOST_TEST(pretty.find('\n') != std::string::npos);
    rapidjson::Document d;
    d.Parse(pretty.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d["id"].GetString() == std::string("oci-container1"));
    BOOST_TEST(!d.HasMember("pid"));
}

BOOST_AUTO_TEST_CASE(state_round_trip) {
    State s = sample_state();
    for (bool pretty : {true, false}) check_same(parse_state(to_json(s, pretty)), s);
    s.pid = 0;
    s.annotations.clear();
    check_same(parse_state(to_json(s)), s);

    // The spec's example, with an extra member (the state MAY include additional properties).
    State e = parse_state(R"({"ociVersion": "0.2.0", "id": "oci-container1", "status": "running",
        "pid": 4422, "bundle": "/containers/redis", "annotations": {"myKey": "myValue"}, "extra": [1]})");
    BOOST_TEST(e.ociVersion == "0.2.0");
    BOOST_TEST(e.pid == 4422);
    BOOST_TEST(e.annotations.at("myKey") == "myValue");
}

BOOST_AUTO_TEST_CASE(state_parse_errors) {
    std::vector<Case> cases = {
        {"", "state: invalid JSON at offset 0: The document is empty."},
        {R"({"id": "x",)", "state: invalid JSON at offset 11: Missing a name for object member."},
        {"[]", "state: expected object"},
        {R"({"id": "c", "status": "created", "bundle": "/b"})", "ociVersion: required"},
        {R"({"ociVersion": "1.3.0", "status": "created", "bundle": "/b"})", "id: required"},
        {R"({"ociVersion": "1.3.0", "id": "c", "bundle": "/b"})", "status: required"},
        {R"({"ociVersion": "1.3.0", "id": "c", "status": "created"})", "bundle: required"},
        {R"({"ociVersion": "1.3.0", "id": 5, "status": "created", "bundle": "/b"})",
         "id: expected string"},
        {R"({"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b", "pid": "1"})",
         "pid: expected integer"},
        {R"({"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b", "pid": 2147483648})",
         "pid: expected integer in -2147483648..2147483647"},
        {R"({"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b", "annotations": {"k": 1}})",
         R"(annotations["k"]: expected string)"},
    };
    check_cases(cases,
                [](const std::string& json) { return error_of([&] { parse_state(json); }); });
}

BOOST_AUTO_TEST_CASE(record_round_trip) {
    ContainerRecord r = sample_record();
    std::string json = to_json(r);
    BOOST_TEST(json.find('\n') == std::string::npos);
    BOOST_TEST(json.find(' ') == std::string::npos);  // compact (no value here has a space)
    BOOST_TEST(json.find(R"("systemd_cgroup":true)") != std::string::npos);
    BOOST_TEST(
        json.find(
            R"("poststop":[{"path":"/usr/sbin/cleanup.sh","args":["cleanup.sh","-f"],"env":["A=1"],"timeout":10},{"path":"/bin/true"}])") !=
        std::string::npos);

    ContainerRecord b = parse_record(json);
    check_same(b.state, r.state);
    BOOST_TEST(b.pid_start_time == r.pid_start_time);
    BOOST_TEST(b.created == r.created);
    BOOST_TEST(b.rootfs == r.rootfs);
    BOOST_TEST(b.owner == r.owner);
    BOOST_TEST((b.cgroup_paths == r.cgroup_paths));
    BOOST_REQUIRE(b.poststop.size() == 2u);
    BOOST_TEST(b.poststop[0].path == "/usr/sbin/cleanup.sh");
    BOOST_TEST((b.poststop[0].args == r.poststop[0].args));
    BOOST_TEST((b.poststop[0].env == r.poststop[0].env));
    BOOST_TEST(b.poststop[0].timeout.value() == 10);
    BOOST_TEST(b.poststop[1].path == "/bin/true");
    BOOST_TEST(!b.poststop[1].timeout);
    BOOST_TEST((b.namespace_paths == r.namespace_paths));
    BOOST_TEST((b.helper_pids == r.helper_pids));
    BOOST_TEST(b.systemd_cgroup);
    BOOST_TEST(b.systemd_unit == "myrt-c1.scope");
    BOOST_TEST(b.systemd_user);
    BOOST_TEST(to_json(b) == json);
}

BOOST_AUTO_TEST_CASE(record_minimal) {
    ContainerRecord r;
    r.state.ociVersion = "1.3.0";
    r.state.id = "c";
    r.state.status = "creating";
    r.state.bundle = "/b";
    std::string json = to_json(r);
    BOOST_TEST(json ==
               R"({"state":{"ociVersion":"1.3.0","id":"c","status":"creating","bundle":"/b"},)"
               R"("pid_start_time":0,"created":"","rootfs":"","owner":0})");
    ContainerRecord b = parse_record(json);
    BOOST_TEST(b.state.pid == 0);
    BOOST_TEST(b.cgroup_paths.empty());
    BOOST_TEST(b.poststop.empty());
    BOOST_TEST(!b.systemd_cgroup);
    BOOST_TEST(!b.systemd_user);

    // Only "state" is required.
    ContainerRecord c =
        parse_record(R"({"state": {"ociVersion": "1.3.0", "id": "c", "status": "created",
                                         "pid": 7, "bundle": "/b"}})");
    BOOST_TEST(c.state.pid == 7);
    BOOST_TEST(c.owner == 0u);
}

BOOST_AUTO_TEST_CASE(record_parse_errors) {
    const std::string st =
        R"("state": {"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b"})";
    std::vector<Case> cases = {
        {"", "state.json: invalid JSON at offset 0: The document is empty."},
        {"{\"state\": {}",
         "state.json: invalid JSON at offset 12: Missing a comma or '}' after an object member."},
        {"1", "state.json: expected object"},
        {"{}", "state: required"},
        {R"({"state": []})", "state: expected object"},
        {R"({"state": {"ociVersion": "1.3.0", "status": "created", "bundle": "/b"}})",
         "state.id: required"},
        {R"({"state": {"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b", "pid": -1.5}})",
         "state.pid: expected integer"},
        {"{" + st + R"(, "pid_start_time": -1})",
         "pid_start_time: expected integer in 0..18446744073709551615"},
        {"{" + st + R"(, "created": 0})", "created: expected string"},
        {"{" + st + R"(, "owner": 4294967296})", "owner: expected integer in 0..4294967295"},
        {"{" + st + R"(, "cgroup_paths": {"cpu": 1}})", R"(cgroup_paths["cpu"]: expected string)"},
        {"{" + st + R"(, "cgroup_paths": []})", "cgroup_paths: expected object"},
        {"{" + st + R"(, "poststop": [{"args": ["x"]}]})", "poststop[0].path: required"},
        {"{" + st + R"(, "poststop": [{"path": "/x", "timeout": "5"}]})",
         "poststop[0].timeout: expected integer"},
        {"{" + st + R"(, "namespace_paths": {"net": null}})",
         R"(namespace_paths["net"]: expected string)"},
        {"{" + st + R"(, "helper_pids": [1, 2147483648]})",
         "helper_pids[1]: expected integer in -2147483648..2147483647"},
        {"{" + st + R"(, "helper_pids": 5})", "helper_pids: expected array of integers"},
        {"{" + st + R"(, "systemd_cgroup": "yes"})", "systemd_cgroup: expected boolean"},
    };
    check_cases(cases,
                [](const std::string& json) { return error_of([&] { parse_record(json); }); });
}

// `myrt list` parses one record per container and must answer 1,000 of them in < 50 ms;
// parsing is a small part of that. Generous bound, to catch an accidental slow path only.
BOOST_AUTO_TEST_CASE(record_parse_speed) {
    std::string json = to_json(sample_record());
    auto start = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (int i = 0; i < 1000; ++i) total += parse_record(json).state.id.size();
    auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_TEST(total == 1000u * sample_record().state.id.size());
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 50);
}
