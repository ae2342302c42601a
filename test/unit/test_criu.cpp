// Unit tests of runtime/criu: checkpoint's and restore's flags as CRIU command-line options,
// the config's mounts and namespaces as CRIU externals, descriptors.json, CRIU's log.
#define BOOST_TEST_MODULE criu
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/criu.hpp"
#include "runtime/error.hpp"
#include "spec/config.hpp"

using namespace myrt;

namespace {

using Args = std::vector<std::string>;

bool has(const Args& a, const std::string& s) { return std::find(a.begin(), a.end(), s) != a.end(); }

// The value after option `opt` (first occurrence); "" when absent.
std::string after(const Args& a, const std::string& opt) {
    auto it = std::find(a.begin(), a.end(), opt);
    return it == a.end() || it + 1 == a.end() ? std::string() : *(it + 1);
}

std::vector<std::string> values_of(const Args& a, const std::string& opt) {
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < a.size(); ++i)
        if (a[i] == opt) out.push_back(a[i + 1]);
    return out;
}

spec::Config config_with_mounts() {
    return spec::parse_config(R"({"ociVersion":"1.0.0",
        "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
                  {"destination":"/data/","type":"bind","source":"/srv/data","options":["rbind"]},
                  {"destination":"/rel","source":"files","options":["bind","ro"]},
                  {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup"}],
        "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/x"},{"type":"mount"}],
                 "maskedPaths":["/proc/kcore","/proc/acpi"],
                 "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229}]}})");
}

}  // namespace

BOOST_AUTO_TEST_CASE(dump_flags_map_to_criu_options) {
    CheckpointOptions o;
    o.image_path = "/img";
    o.work_path = "/work";
    o.leave_running = o.tcp_established = o.ext_unix_sk = o.shell_job = o.file_locks = true;
    o.auto_dedup = true;
    o.manage_cgroups_mode = "full";
    o.empty_ns = {"network"};
    DumpTarget t;
    t.pid = 42;
    t.rootfs = "/bundle/rootfs";
    t.freeze_cgroup = "/sys/fs/cgroup/myrt/x";
    t.mounts = {{"/data", "/data"}};
    t.externals = {"net[123]:extRootNetNS"};
    Args a = criu_dump_args(o, t);
    BOOST_TEST(a[0] == "dump");
    BOOST_TEST(after(a, "-t") == "42");
    BOOST_TEST(after(a, "-D") == "/img");
    BOOST_TEST(after(a, "-W") == "/work");
    BOOST_TEST(after(a, "-o") == "dump.log");
    BOOST_TEST(after(a, "--root") == "/bundle/rootfs");
    for (const char* f : {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job",
                          "--file-locks", "--auto-dedup", "--manage-cgroups=full"})
        BOOST_TEST(has(a, f), f);
    BOOST_TEST(after(a, "--empty-ns") == "net");
    BOOST_TEST(after(a, "--freeze-cgroup") == "/sys/fs/cgroup/myrt/x");
    BOOST_TEST(values_of(a, "--external") == (Args{"mnt[/data]:/data", "net[123]:extRootNetNS"}));
    BOOST_TEST(!has(a, "--track-mem"));
    BOOST_TEST(!has(a, "--lazy-pages"));
}

BOOST_AUTO_TEST_CASE(defaults_add_nothing) {
    CheckpointOptions o;
    o.image_path = "checkpoint";
    Args a = criu_dump_args(o, DumpTarget{});
    for (const char* f : {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job",
                          "--file-locks", "--auto-dedup", "--empty-ns", "-W", "--freeze-cgroup",
                          "--prev-images-dir", "--page-server"})
        BOOST_TEST(!has(a, f), f);
    BOOST_TEST(std::none_of(a.begin(), a.end(), [](const std::string& s) { return s.starts_with("--manage-cgroups"); }));
}

BOOST_AUTO_TEST_CASE(pre_dump_and_parent) {
    CheckpointOptions o;
    o.image_path = "/img/2";
    o.pre_dump = true;
    o.leave_running = true;
    DumpTarget t;
    t.mounts = {{"/data", "/data"}};
    Args a = criu_dump_args(o, t);
    BOOST_TEST(a[0] == "pre-dump");
    BOOST_TEST(has(a, "--track-mem"));
    BOOST_TEST(!has(a, "--leave-running"));  // a pre-dump always leaves it running
    BOOST_TEST(!has(a, "--external"));       // memory only
    BOOST_TEST(after(a, "-o") == "pre-dump.log");
    o.pre_dump = false;
    o.parent_path = "../1";
    a = criu_dump_args(o, t);
    BOOST_TEST(a[0] == "dump");
    BOOST_TEST(after(a, "--prev-images-dir") == "../1");
    BOOST_TEST(has(a, "--track-mem"));
}

BOOST_AUTO_TEST_CASE(page_server_and_lazy_pages) {
    CheckpointOptions o;
    o.page_server = "10.0.0.1:1234";
    o.lazy_pages = true;
    o.status_fd = 5;
    Args a = criu_dump_args(o, DumpTarget{});
    BOOST_TEST(has(a, "--page-server"));
    BOOST_TEST(after(a, "--address") == "10.0.0.1");
    BOOST_TEST(after(a, "--port") == "1234");
    BOOST_TEST(has(a, "--lazy-pages"));
    BOOST_TEST(after(a, "--status-fd") == "5");
    o.page_server = "nocolon";
    BOOST_CHECK_THROW(criu_dump_args(o, DumpTarget{}), Error);
    o.page_server = "host:port";
    BOOST_CHECK_THROW(criu_dump_args(o, DumpTarget{}), Error);
}

BOOST_AUTO_TEST_CASE(empty_ns_takes_runc_names) {
    BOOST_TEST(criu_empty_ns({"network"}) == Args{"net"});
    BOOST_TEST(criu_empty_ns({}).empty());
    try {
        criu_empty_ns({"pid"});
        BOOST_FAIL("--empty-ns pid accepted");
    } catch (const Error& e) {
        BOOST_TEST(std::string(e.what()).find("not supported") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(restore_flags_map_to_criu_options) {
    RestoreOptions o;
    o.image_path = "/img";
    o.tcp_established = o.ext_unix_sk = o.shell_job = o.file_locks = o.auto_dedup = true;
    o.manage_cgroups_mode = "soft";
    RestoreTarget t;
    t.root = "/run/myrt/x/criu-root";
    t.pid_file = "/run/myrt/x/restore.pid";
    t.cgroup_roots = {"/myrt/x"};
    t.mounts = {{"/data", "/srv/data"}};
    t.inherit_fds = {"fd[1]:pipe:[77]"};
    Args a = criu_restore_args(o, t);
    BOOST_TEST(a[0] == "restore");
    BOOST_TEST(after(a, "--root") == "/run/myrt/x/criu-root");
    BOOST_TEST(after(a, "--pidfile") == "/run/myrt/x/restore.pid");
    BOOST_TEST(after(a, "-o") == "restore.log");
    for (const char* f : {"--restore-detached", "--restore-sibling", "--tcp-established", "--ext-unix-sk",
                          "--shell-job", "--file-locks", "--auto-dedup", "--manage-cgroups=soft"})
        BOOST_TEST(has(a, f), f);
    BOOST_TEST(after(a, "--cgroup-root") == "/myrt/x");
    BOOST_TEST(values_of(a, "--external") == Args{"mnt[/data]:/srv/data"});
    BOOST_TEST(values_of(a, "--inherit-fd") == Args{"fd[1]:pipe:[77]"});
}

BOOST_AUTO_TEST_CASE(external_mounts_of_a_config) {
    spec::Config c = config_with_mounts();
    MountSide dump;
    dump.cgroup_dir = "/sys/fs/cgroup/myrt/x";
    dump.masked_file = [](const std::string& p) { return p == "/proc/kcore"; };
    auto m = external_mounts(c, "/b", dump);
    auto find = [&](const std::string& key) {
        for (const auto& e : m)
            if (e.key == key) return e.value;
        return std::string("<none>");
    };
    BOOST_TEST(find("/data") == "/data");  // cleaned, and the key is its own cookie
    BOOST_TEST(find("/rel") == "/rel");
    BOOST_TEST(find("/proc") == "<none>");  // CRIU saves proc itself
    BOOST_TEST(find("/sys/fs/cgroup") == "/sys/fs/cgroup");  // no cgroup namespace: a bind
    BOOST_TEST(find("/proc/kcore") == "/dev/null");           // a masked file: /dev/null's cookie
    BOOST_TEST(find("/proc/acpi") == "<none>");               // a masked directory: a tmpfs
    BOOST_TEST(find("/dev/fuse") == "/dev/fuse");
    BOOST_TEST(find("/dev/null") == "/dev/null");

    MountSide restore;
    restore.restore = true;
    restore.cgroup_dir = "/sys/fs/cgroup/myrt/y";
    m = external_mounts(c, "/b", restore);
    BOOST_TEST(find("/data") == "/srv/data");
    BOOST_TEST(find("/rel") == "/b/files");  // relative to the bundle
    BOOST_TEST(find("/sys/fs/cgroup") == "/sys/fs/cgroup/myrt/y");
    BOOST_TEST(find("/proc/kcore") == "<none>");  // restored through /dev/null's entry
    BOOST_TEST(find("/dev/null") == "/dev/null");
}

BOOST_AUTO_TEST_CASE(namespaces_by_path_are_external) {
    auto ns = external_namespaces(config_with_mounts());
    BOOST_TEST_REQUIRE(ns.size() == 1u);
    BOOST_TEST(ns[0].criu_name == "net");
    BOOST_TEST(ns[0].path == "/var/run/netns/x");
    BOOST_TEST(ns[0].key == "extRootNetNS");
}

BOOST_AUTO_TEST_CASE(descriptors_round_trip_and_pipes_inherited) {
    auto d = parse_descriptors(R"(["/dev/null","pipe:[12]","pipe:[13]"])", "descriptors.json");
    BOOST_TEST(inherit_stdio(d) == (Args{"fd[1]:pipe:[12]", "fd[2]:pipe:[13]"}));
    BOOST_CHECK_THROW(parse_descriptors("{", "descriptors.json"), Error);
    BOOST_CHECK_THROW(parse_descriptors("[1]", "descriptors.json"), Error);
}

BOOST_AUTO_TEST_CASE(first_error_of_a_criu_log) {
    std::string log = "(00.001) Will take pid namespace\n"
                      "(00.002) Warning: something\n"
                      "(00.003) Error (criu/cr-dump.c:1618): A session leader is outside\n"
                      "(00.004) Error (criu/cr-dump.c:2053): Dumping FAILED.\n";
    BOOST_TEST(criu_log_error(log) == "A session leader is outside");
    BOOST_TEST(criu_log_error("nothing wrong\n").empty());
}
