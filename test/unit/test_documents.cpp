// Unit tests of the documents spec/ writes for other programs: `features`, `list --format
// json`, `ps --format json`, `events`, the seccomp agent's container process state and
// slirp4netns's API requests and replies.
#define BOOST_TEST_MODULE documents
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "errors.hpp"
#include "spec/events.hpp"
#include "spec/features.hpp"
#include "spec/slirp4netns.hpp"
#include "spec/state.hpp"

using namespace myrt::spec;
using myrt::test::Case;
using myrt::test::check_cases;
using myrt::test::error_of;

namespace {

// Quotes, backslashes, a control character, a tab and a byte that is not UTF-8.
const std::string kHostile = "/b\"q\\x\x01\ty\xff";
// How each must come out: escaped, and the stray byte as U+FFFD (as Go's encoder does).
const std::string kHostileJson = R"("/b\"q\\x\u0001\ty)" "\xef\xbf\xbd\"";

ListEntry sample_entry() {
    return {.ociVersion = "1.3.0",
            .id = "c1",
            .pid = 42,
            .status = "running",
            .bundle = "/b",
            .rootfs = "/b/rootfs",
            .created = "2024-05-01T12:34:56.789012345Z",
            .owner = "root"};
}

Features sample_features() {
    Features f;
    f.ociVersionMin = "1.0.0";
    f.ociVersionMax = "1.3.0";
    f.hooks = {"prestart"};
    f.mountOptions = {"ro", "rw"};
    f.linux.namespaces = {"pid"};
    f.linux.capabilities = {"CAP_KILL"};
    f.linux.cgroup = {.v1 = true, .v2 = true, .systemd = false, .systemdUser = false, .rdma = true};
    f.linux.seccomp.enabled = true;
    f.linux.seccomp.actions = {"SCMP_ACT_ALLOW"};
    f.linux.seccomp.knownFlags = {"SECCOMP_FILTER_FLAG_LOG"};
    f.linux.memoryPolicy.modes = {"MPOL_BIND"};
    f.linux.apparmor.enabled = true;
    f.linux.mountExtensions.idmap.enabled = true;
    // Not in sorted order: the document keeps it.
    f.annotations = {{"run.myrt.version", "0.1.0"}, {"run.myrt.criu", "/usr/sbin/criu"}};
    f.potentiallyUnsafeConfigAnnotations = {"run.myrt.network"};
    return f;
}

}  // namespace

BOOST_AUTO_TEST_CASE(list_json) {
    BOOST_TEST(list_to_json({}) == "[]");
    ListEntry a = sample_entry();
    ListEntry b = sample_entry();
    b.id = "c2";
    b.pid = 0;  // stopped: still written, as runc does
    b.status = "stopped";
    b.owner = "1000";
    b.annotations = {{"k", "v\"q"}};  // between created and owner, as runc writes them
    BOOST_TEST(list_to_json({a, b}) ==
               R"([{"ociVersion":"1.3.0","id":"c1","pid":42,"status":"running","bundle":"/b",)"
               R"("rootfs":"/b/rootfs","created":"2024-05-01T12:34:56.789012345Z","owner":"root"},)"
               R"({"ociVersion":"1.3.0","id":"c2","pid":0,"status":"stopped","bundle":"/b",)"
               R"("rootfs":"/b/rootfs","created":"2024-05-01T12:34:56.789012345Z",)"
               R"("annotations":{"k":"v\"q"},"owner":"1000"}])");
}

BOOST_AUTO_TEST_CASE(list_json_escapes_every_string) {
    ListEntry e = sample_entry();
    e.bundle = kHostile;
    e.rootfs = kHostile + "/rootfs";
    e.id = "a\"b";
    std::string json = list_to_json({e});
    BOOST_TEST(json.find(R"("id":"a\"b")") != std::string::npos);
    BOOST_TEST(json.find(R"("bundle":)" + kHostileJson) != std::string::npos);
    BOOST_TEST(json.find('\n') == std::string::npos);
    rapidjson::Document d;
    d.Parse(json.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d[0]["bundle"].GetString() == std::string("/b\"q\\x\x01\ty\xef\xbf\xbd"));
}

BOOST_AUTO_TEST_CASE(pids_json) {
    BOOST_TEST(pids_to_json({}) == "[]");
    BOOST_TEST(pids_to_json({1, 4422, 2147483647}) == "[1,4422,2147483647]");
}

BOOST_AUTO_TEST_CASE(container_process_state_json) {
    ContainerProcessState p;
    p.ociVersion = "1.3.0";
    p.fds = {"seccompFd"};
    p.pid = 4422;
    p.state = {.ociVersion = "1.3.0", .id = "c1", .status = "creating", .pid = 4422,
               .bundle = "/b", .annotations = {{"k", "v"}}};
    // The shape myrt has always sent, and config-linux.md's member names.
    BOOST_TEST(to_json(p) ==
               R"({"ociVersion":"1.3.0","fds":["seccompFd"],"pid":4422,)"
               R"("state":{"ociVersion":"1.3.0","id":"c1","status":"creating","pid":4422,)"
               R"("bundle":"/b","annotations":{"k":"v"}}})");

    p.metadata = kHostile;
    p.state.bundle = kHostile;
    std::string json = to_json(p);
    BOOST_TEST(json.find(R"("pid":4422,"metadata":)" + kHostileJson + R"(,"state":)") !=
               std::string::npos);
    ContainerProcessState back = parse_container_process_state(json);
    BOOST_TEST(back.metadata == "/b\"q\\x\x01\ty\xef\xbf\xbd");
    BOOST_TEST(back.state.bundle == back.metadata);
    BOOST_TEST(back.state.annotations.at("k") == "v");
    BOOST_TEST((back.fds == std::vector<std::string>{"seccompFd"}));
}

BOOST_AUTO_TEST_CASE(features_json) {
    Features f = sample_features();
    BOOST_TEST(
        to_json(f) ==
        R"({"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","hooks":["prestart"],"mountOptions":["ro","rw"],)"
        R"("linux":{"namespaces":["pid"],"capabilities":["CAP_KILL"],)"
        R"("cgroup":{"v1":true,"v2":true,"systemd":false,"systemdUser":false,"rdma":true},)"
        R"("seccomp":{"enabled":true,"actions":["SCMP_ACT_ALLOW"],"operators":[],"archs":[],)"
        R"("knownFlags":["SECCOMP_FILTER_FLAG_LOG"],"supportedFlags":[]},)"
        R"("memoryPolicy":{"modes":["MPOL_BIND"],"flags":[]},"apparmor":{"enabled":true},)"
        R"("selinux":{"enabled":false},"intelRdt":{"enabled":false},)"
        R"("mountExtensions":{"idmap":{"enabled":true}},"netDevices":{"enabled":false}},)"
        R"("annotations":{"run.myrt.version":"0.1.0","run.myrt.criu":"/usr/sbin/criu"},)"
        R"("potentiallyUnsafeConfigAnnotations":["run.myrt.network"]})");

    Features back = parse_features(to_json(f));
    BOOST_TEST(back.linux.cgroup.rdma);
    BOOST_TEST(!back.linux.cgroup.systemd);
    BOOST_TEST(back.linux.mountExtensions.idmap.enabled);
    BOOST_REQUIRE(back.annotations.size() == 2u);
    BOOST_TEST(back.annotations[0].first == "run.myrt.version");
    BOOST_TEST(back.annotations[1].second == "/usr/sbin/criu");
    BOOST_TEST(to_json(back) == to_json(f));
}

BOOST_AUTO_TEST_CASE(features_json_escapes_annotations) {
    Features f = sample_features();
    f.annotations[1].second = kHostile;  // e.g. a criu found in an odd $PATH directory
    std::string json = to_json(f);
    BOOST_TEST(json.find(R"("run.myrt.criu":)" + kHostileJson + "}") != std::string::npos);
    BOOST_TEST(parse_features(json).annotations[1].second == "/b\"q\\x\x01\ty\xef\xbf\xbd");
    BOOST_TEST(error_of([] { parse_features(R"({"ociVersionMin":"1.0.0"})"); }) ==
               "ociVersionMax: required");
    std::string list = to_json(sample_features());
    const std::string annotations =
        R"("annotations":{"run.myrt.version":"0.1.0","run.myrt.criu":"/usr/sbin/criu"})";
    BOOST_REQUIRE(list.find(annotations) != std::string::npos);
    list.replace(list.find(annotations), annotations.size(), R"("annotations":[])");
    BOOST_TEST(error_of([&] { parse_features(list); }) == "annotations: expected object");
}

BOOST_AUTO_TEST_CASE(slirp_add_hostfwd_request) {
    SlirpHostFwd f{.proto = "tcp", .host_addr = "127.0.0.1", .host_port = 8080, .guest_port = 80};
    BOOST_TEST(add_hostfwd_request(f) ==
               R"({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1",)"
               R"("host_port":8080,"guest_port":80}})");
    // An address slirp4netns will refuse still makes one well-formed request.
    f.host_addr = "1.2.3.4\",\"guest_addr\":\"6.6.6.6";
    std::string req = add_hostfwd_request(f);
    rapidjson::Document d;
    d.Parse(req.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(!d["arguments"].HasMember("guest_addr"));
    BOOST_TEST(d["arguments"]["host_addr"].GetString() == f.host_addr);
}

BOOST_AUTO_TEST_CASE(slirp_replies) {
    // What slirp4netns 1.2 answers (api.c).
    SlirpReply ok = parse_slirp_reply(R"({"return":{"id":1}})");
    BOOST_TEST(!ok.failed);
    BOOST_TEST(ok.desc.empty());
    BOOST_TEST(!parse_slirp_reply(R"({"return": {}})").failed);
    SlirpReply bad = parse_slirp_reply(
        R"({"error":{"desc":"bad request: add_hostfwd: slirp_add_hostfwd failed"}})");
    BOOST_TEST(bad.failed);
    BOOST_TEST(bad.desc == "bad request: add_hostfwd: slirp_add_hostfwd failed");
    // "error" inside a value is not an error (the old substring test said it was).
    BOOST_TEST(!parse_slirp_reply(R"({"return":{"note":"\"error\""}})").failed);
    BOOST_TEST(!parse_slirp_reply(R"({"return":{"error_count":0}})").failed);
    // An error without a usable description is still an error.
    for (const char* reply : {R"({"error":{}})", R"({"error":"busy"})", R"({"error":{"desc":7}})",
                              R"({"error":null})"}) {
        BOOST_TEST_CONTEXT(reply) {
            SlirpReply r = parse_slirp_reply(reply);
            BOOST_TEST(r.failed);
            BOOST_TEST(r.desc.empty());
        }
    }
    BOOST_TEST(parse_slirp_reply(R"({"error":{"class":"GenericError","desc":"a\"b"}})").desc ==
               "a\"b");

    std::vector<Case> cases = {
        {"", "slirp4netns reply: invalid JSON at offset 0: The document is empty."},
        {R"({"return":)", "slirp4netns reply: invalid JSON at offset 10: Invalid value."},
        {"[]", "slirp4netns reply: expected object"},
        {R"("error")", "slirp4netns reply: expected object"},
    };
    check_cases(cases,
                [](const std::string& json) { return error_of([&] { parse_slirp_reply(json); }); });
}

BOOST_AUTO_TEST_CASE(events_json) {
    BOOST_TEST(event_json("oom", "c1") == R"({"type":"oom","id":"c1"})");
    BOOST_TEST(event_json("oom", kHostile) == R"({"type":"oom","id":)" + kHostileJson + "}");
    // Nothing known: only what runc writes without omitempty is left.
    BOOST_TEST(
        stats_event_json("c1", Stats{}) ==
        R"({"type":"stats","id":"c1","data":{"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},)"
        R"("cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,)"
        R"("memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,)"
        R"("sched_load_balance":0,"sched_relax_domain_level":0},)"
        R"("memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},)"
        R"("kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},)"
        R"("pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}})");

    Stats s;
    s.cpu.percpu = {1, 2};
    s.cpuset.cpus = {0, 1};
    s.cpuset.flags = {{"sched_relax_domain_level", -1}, {"cpu_exclusive", 1}};
    s.memory.raw = {{"weird\"key", 7}};
    s.blkio.serviced = {{.major = 8, .minor = 0, .op = "Read", .value = 3}, {.major = 8, .minor = 0, .op = "", .value = 0}};
    s.hugetlb = {{"2MB", {.usage = 0, .max = 4, .failcnt = 0}}};
    std::string json = stats_event_json("c1", s);
    for (const char* part :
         {R"("usage":{"percpu":[1,2],"kernel":0,"user":0})",
          R"("cpuset":{"cpus":[0,1],"cpu_exclusive":1,"mem_hardwall":0,)",
          R"("sched_relax_domain_level":-1})", R"("raw":{"weird\"key":7}})",
          R"("blkio":{"ioServicedRecursive":[{"major":8,"op":"Read","value":3},{"major":8}]})",
          R"("hugetlb":{"2MB":{"max":4,"failcnt":0}})"})
        BOOST_TEST(json.find(part) != std::string::npos, "missing " << part << " in " << json);
}
