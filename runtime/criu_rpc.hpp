// CRIU's RPC (`criu swrk FD`): the messages of CRIU's images/rpc.proto that checkpoint and
// restore use, in protobuf's wire format, encoded and decoded here by hand.
//
// Why RPC: only through it does CRIU stop at its steps and wait for the runtime (prestart
// hooks run once the namespaces exist and before the process resumes), and take a
// terminal whose master is outside the container (orphan-pts-master: dumped without it,
// restored with a new one handed back to the runtime for --console-socket). Its command
// line has neither. Why by hand: Debian 12 has no libcriu-dev, and a
// protobuf-c codec generated for five messages would add a library and a code generator
// to the build for ~150 lines of varints and lengths. Only the fields used are known;
// anything else in a response is skipped, as protobuf readers do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::criu_rpc {

// criu_req_type
enum ReqType : int { kDump = 1, kRestore = 2, kPreDump = 4, kNotify = 6 };

// criu_cg_mode: --manage-cgroups-mode's words; -1 = not given (CRIU's default).
int cg_mode(const std::string& word);

struct InheritFd {
    std::string key;  // "pipe:[1234]", "extRootNetNS"
    int fd = -1;      // in CRIU, which inherits it
};

struct CgroupRoot {
    std::string controllers;  // "" = every one (v2)
    std::string path;
};

// criu_opts, the fields checkpoint and restore set.
struct Opts {
    int images_dir_fd = -1;
    int pid = 0;  // dump: the tree's root
    bool leave_running = false, track_mem = false;
    std::string parent_img;     // dump: the pre-dump's directory, relative to the images
    std::string freeze_cgroup;  // dump
    std::string ps_address;     // dump to a page server at ps_address:ps_port
    int ps_port = 0;
    int status_fd = -1;  // lazy pages: CRIU's own descriptor, written when it is ready
    std::string config_file;  // CRIU's settings there win over these
    int work_dir_fd = -1;  // -1: none
    std::string log_file;  // in the work (or images) directory
    int log_level = 4;
    std::string root;
    bool rst_sibling = false, notify_scripts = false, orphan_pts_master = false;
    bool evasive_devices = false, shell_job = false, tcp_established = false;
    bool ext_unix_sk = false, file_locks = false, auto_dedup = false, lazy_pages = false;
    int manage_cgroups_mode = -1;
    uint32_t empty_ns = 0;  // CLONE_NEW* flags
    std::vector<std::string> external;  // "mnt[/data]:/srv/data"
    std::vector<InheritFd> inherit_fds;
    std::vector<CgroupRoot> cgroup_roots;
};

// A criu_req of type (DUMP, PRE_DUMP, RESTORE) with opts.
std::string encode_request(ReqType type, const Opts& opts);
// The answer to a notification: criu_req{type NOTIFY, notify_success}. false makes CRIU
// abandon the restore (it kills what it restored).
std::string encode_notify_reply(bool success);

// criu_resp, the fields read.
struct Response {
    int type = 0;
    bool success = false;
    int restored_pid = 0;       // restore.pid
    std::string notify_script;  // notify.script: "setup-namespaces", "orphan-pts-master"...
    int notify_pid = 0;         // notify.pid
    int cr_errno = 0;
    std::string cr_errmsg;
};

// Throws std::runtime_error on bytes that are not a criu_resp.
Response decode_response(std::string_view bytes);

// One field of a message, for tests and for decode_response: varint fields carry `number`,
// length-delimited ones `bytes`.
struct Field {
    int tag = 0;
    int wire = 0;  // 0 varint, 2 length-delimited (others are skipped)
    uint64_t number = 0;
    std::string_view bytes;
};
std::vector<Field> decode_fields(std::string_view message);

}  // namespace myrt::criu_rpc
