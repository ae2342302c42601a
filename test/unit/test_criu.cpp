// Unit tests of runtime/criu: checkpoint's and restore's flags as CRIU RPC options, their wire format,
// the config's mounts and namespaces as CRIU externals, descriptors.json, CRIU's log.
#define BOOST_TEST_MODULE criu
#include <sched.h>

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
    t.images_dir_fd = 8;
    t.work_dir_fd = 9;
    t.freeze_cgroup = "/sys/fs/cgroup/myrt/x";
    t.mounts = {{"/data", "/data"}};
    t.externals = {"net[123]:extRootNetNS"};
    criu_rpc::Opts r = criu_dump_opts(o, t);
    BOOST_TEST(r.pid == 42);
    BOOST_TEST(r.images_dir_fd == 8);
    BOOST_TEST(r.work_dir_fd == 9);
    BOOST_TEST(r.log_file == "dump.log");
    BOOST_TEST(r.root == "/bundle/rootfs");
    BOOST_TEST((r.leave_running && r.tcp_established && r.ext_unix_sk && r.shell_job && r.file_locks && r.auto_dedup));
    BOOST_TEST(r.orphan_pts_master);  // a terminal's master is outside: always
    BOOST_TEST(r.manage_cgroups_mode == 4);  // FULL
    BOOST_TEST(r.empty_ns == static_cast<uint32_t>(CLONE_NEWNET));
    BOOST_TEST(r.freeze_cgroup == "/sys/fs/cgroup/myrt/x");
    BOOST_TEST(r.external == (Args{"mnt[/data]:/data", "net[123]:extRootNetNS"}));
    BOOST_TEST(!r.track_mem);
    BOOST_TEST(!r.lazy_pages);
    BOOST_TEST(!r.rst_sibling);  // restore's
}

BOOST_AUTO_TEST_CASE(defaults_add_nothing) {
    CheckpointOptions o;
    o.image_path = "checkpoint";
    criu_rpc::Opts r = criu_dump_opts(o, DumpTarget{});
    BOOST_TEST(!(r.leave_running || r.tcp_established || r.ext_unix_sk || r.shell_job || r.file_locks ||
                 r.auto_dedup || r.track_mem));
    BOOST_TEST(r.empty_ns == 0u);
    BOOST_TEST(r.work_dir_fd == -1);
    BOOST_TEST(r.manage_cgroups_mode == -1);
    BOOST_TEST((r.freeze_cgroup.empty() && r.parent_img.empty() && r.ps_address.empty()));
    BOOST_TEST(r.status_fd == -1);
}

BOOST_AUTO_TEST_CASE(pre_dump_and_parent) {
    CheckpointOptions o;
    o.image_path = "/img/2";
    o.pre_dump = true;
    o.leave_running = true;
    DumpTarget t;
    t.mounts = {{"/data", "/data"}};
    criu_rpc::Opts r = criu_dump_opts(o, t);
    BOOST_TEST(r.track_mem);
    BOOST_TEST(!r.leave_running);    // a pre-dump always leaves it running
    BOOST_TEST(r.external.empty());  // memory only
    BOOST_TEST(r.log_file == "pre-dump.log");
    o.pre_dump = false;
    o.parent_path = "../1";
    r = criu_dump_opts(o, t);
    BOOST_TEST(r.parent_img == "../1");
    BOOST_TEST(r.track_mem);
    BOOST_TEST(r.log_file == "dump.log");
}

BOOST_AUTO_TEST_CASE(page_server_and_lazy_pages) {
    CheckpointOptions o;
    o.page_server = "10.0.0.1:1234";
    o.lazy_pages = true;
    o.status_fd = 5;
    criu_rpc::Opts r = criu_dump_opts(o, DumpTarget{});
    BOOST_TEST(r.ps_address == "10.0.0.1");
    BOOST_TEST(r.ps_port == 1234);
    BOOST_TEST(r.lazy_pages);
    BOOST_TEST(r.status_fd == 5);
    o.lazy_pages = false;  // --status-fd means something only with --lazy-pages
    BOOST_CHECK_THROW(criu_dump_opts(o, DumpTarget{}), Error);
    o.lazy_pages = true;
    o.page_server = "nocolon";
    BOOST_CHECK_THROW(criu_dump_opts(o, DumpTarget{}), Error);
    o.page_server = "host:port";
    BOOST_CHECK_THROW(criu_dump_opts(o, DumpTarget{}), Error);
    o.page_server = "host:9999999999";
    BOOST_CHECK_THROW(criu_dump_opts(o, DumpTarget{}), Error);
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
    o.empty_ns = {"network"};
    RestoreTarget t;
    t.root = "/run/myrt/x/criu-root";
    t.images_dir_fd = 7;
    t.mounts = {{"/data", "/srv/data"}};
    t.inherit_fds = {{"pipe:[77]", 1}};
    criu_rpc::Opts r = criu_restore_opts(o, t);
    BOOST_TEST(r.root == "/run/myrt/x/criu-root");
    BOOST_TEST(r.images_dir_fd == 7);
    BOOST_TEST(r.work_dir_fd == -1);
    BOOST_TEST(r.log_file == "restore.log");
    BOOST_TEST((r.rst_sibling && r.notify_scripts && r.orphan_pts_master && r.evasive_devices));
    BOOST_TEST((r.tcp_established && r.ext_unix_sk && r.shell_job && r.file_locks && r.auto_dedup));
    BOOST_TEST(!r.lazy_pages);
    BOOST_TEST(r.manage_cgroups_mode == 3);  // criu_cg_mode SOFT
    BOOST_TEST(r.empty_ns == static_cast<uint32_t>(CLONE_NEWNET));
    BOOST_TEST(r.external == Args{"mnt[/data]:/srv/data"});
    BOOST_TEST_REQUIRE(r.inherit_fds.size() == 1u);
    BOOST_TEST(r.inherit_fds[0].key == "pipe:[77]");
    BOOST_TEST(r.inherit_fds[0].fd == 1);
    o.manage_cgroups_mode.clear();
    r = criu_restore_opts(o, t);
    BOOST_TEST(r.manage_cgroups_mode == -1);  // not sent: CRIU's default
}

// The request as bytes: protobuf's wire format, field numbers of CRIU's rpc.proto.
BOOST_AUTO_TEST_CASE(restore_request_wire_format) {
    criu_rpc::Opts o;
    o.images_dir_fd = 5;
    o.root = "/r";
    o.rst_sibling = true;
    o.cgroup_roots = {{"", "/myrt/x"}, {"cpu,cpuacct", "/y"}};
    o.inherit_fds = {{"extRootNetNS", 300}};
    std::string bytes = criu_rpc::encode_request(criu_rpc::kRestore, o);
    // criu_req: type (1) = RESTORE (2), then opts (2) length-delimited.
    BOOST_TEST_REQUIRE(bytes.size() > 4u);
    BOOST_TEST(bytes.substr(0, 2) == std::string("\x08\x02", 2));
    BOOST_TEST(bytes[2] == '\x12');
    auto req = criu_rpc::decode_fields(bytes);
    BOOST_TEST_REQUIRE(req.size() == 2u);
    auto opts = criu_rpc::decode_fields(req[1].bytes);
    auto value = [&](int tag) {
        for (const auto& f : opts)
            if (f.tag == tag) return f.number;
        return uint64_t(999);
    };
    auto all = [&](int tag) {
        std::vector<std::string> out;
        for (const auto& f : opts)
            if (f.tag == tag) out.emplace_back(f.bytes);
        return out;
    };
    BOOST_TEST(value(1) == 5u);   // images_dir_fd
    BOOST_TEST(value(9) == 4u);   // log_level
    BOOST_TEST(value(26) == 1u);  // rst_sibling
    BOOST_TEST(value(50) == 999u);  // orphan_pts_master: not sent when false
    BOOST_TEST(all(13) == Args{"/r"});
    auto roots = all(25);
    BOOST_TEST_REQUIRE(roots.size() == 2u);
    auto first = criu_rpc::decode_fields(roots[0]);  // no ctrl: the v2 hierarchy
    BOOST_TEST_REQUIRE(first.size() == 1u);
    BOOST_TEST(first[0].tag == 2);
    BOOST_TEST(first[0].bytes == "/myrt/x");
    BOOST_TEST(criu_rpc::decode_fields(roots[1]).size() == 2u);
    auto inherits = all(27);  // decode_fields views into it
    BOOST_TEST_REQUIRE(inherits.size() == 1u);
    auto inherit = criu_rpc::decode_fields(inherits[0]);
    BOOST_TEST_REQUIRE(inherit.size() == 2u);
    BOOST_TEST(inherit[0].bytes == "extRootNetNS");
    BOOST_TEST(inherit[1].number == 300u);  // a two-byte varint
    BOOST_TEST(criu_rpc::encode_notify_reply(true) == std::string("\x08\x06\x18\x01", 4));
    BOOST_TEST(criu_rpc::encode_notify_reply(false) == std::string("\x08\x06\x18\x00", 4));
}

// Answers as criu writes them: a notification with a script and a pid, a restore's pid,
// an error; unknown fields are skipped, garbage is refused.
BOOST_AUTO_TEST_CASE(criu_responses_decode) {
    // type NOTIFY, success, notify{script "setup-namespaces", pid 4242}, an unknown field 99
    std::string notify("\x08\x06\x10\x01\x2a\x15\x0a\x10setup-namespaces\x10\x92\x21\x98\x06\x07", 30);
    auto r = criu_rpc::decode_response(notify);
    BOOST_TEST(r.type == 6);
    BOOST_TEST(r.success);
    BOOST_TEST(r.notify_script == "setup-namespaces");
    BOOST_TEST(r.notify_pid == 4242);
    // type RESTORE, success, restore{pid 77}
    r = criu_rpc::decode_response(std::string("\x08\x02\x10\x01\x22\x02\x08\x4d", 8));
    BOOST_TEST(r.type == 2);
    BOOST_TEST(r.restored_pid == 77);
    // type RESTORE, failed, cr_errno 2, cr_errmsg "no"
    r = criu_rpc::decode_response(std::string("\x08\x02\x10\x00\x38\x02\x4a\x02no", 10));
    BOOST_TEST(!r.success);
    BOOST_TEST(r.cr_errno == 2);
    BOOST_TEST(r.cr_errmsg == "no");
    for (std::string bad : {std::string("\x08", 1), std::string("\x08\x02\x4a\x09no", 5), std::string("\x10\x01", 2)})
        BOOST_CHECK_THROW(criu_rpc::decode_response(bad), std::runtime_error);
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

    // A destination through a symlink of the rootfs: CRIU knows the mount by where it is.
    auto real = [](const std::string& p) { return p == "/data" ? std::string("/real/data") : p; };
    dump.resolve = real;
    m = external_mounts(c, "/b", dump);
    BOOST_TEST(find("/real/data") == "/real/data");
    BOOST_TEST(find("/data") == "<none>");
    restore.resolve = real;
    m = external_mounts(c, "/b", restore);
    BOOST_TEST(find("/real/data") == "/srv/data");
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
    auto in = inherit_stdio(d);
    BOOST_TEST_REQUIRE(in.size() == 2u);
    BOOST_TEST(in[0].key == "pipe:[12]");
    BOOST_TEST(in[0].fd == 1);
    BOOST_TEST(in[1].key == "pipe:[13]");
    BOOST_TEST(in[1].fd == 2);
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

// runc's choice of CRIU configuration file: the annotation, none when it is empty, else
// /etc/criu/runc.conf; sent as config_file (51) when set.
BOOST_AUTO_TEST_CASE(criu_config_file_as_runc) {
    spec::Config c = config_with_mounts();
    BOOST_TEST(criu_config_file(c) == "/etc/criu/runc.conf");
    c.annotations["org.criu.config"] = "/etc/criu/mine.conf";
    BOOST_TEST(criu_config_file(c) == "/etc/criu/mine.conf");
    c.annotations["org.criu.config"] = "";
    BOOST_TEST(criu_config_file(c).empty());
    criu_rpc::Opts o;
    o.config_file = "/c";
    std::string bytes = criu_rpc::encode_request(criu_rpc::kDump, o);  // decode_fields views into it
    auto req = criu_rpc::decode_fields(bytes);
    BOOST_TEST_REQUIRE(req.size() == 2u);
    BOOST_TEST(req[0].number == 1u);  // DUMP
    std::string opts(req[1].bytes);
    bool found = false;
    for (const auto& f : criu_rpc::decode_fields(opts))
        if (f.tag == 51) found = f.bytes == "/c";
    BOOST_TEST(found);
}
