#include "runtime/criu_rpc.hpp"

#include <stdexcept>

namespace myrt::criu_rpc {

namespace {

// Field numbers of images/rpc.proto.
namespace opt {
constexpr int images_dir_fd = 1, pid = 2, leave_running = 3, ext_unix_sk = 4, tcp_established = 5, evasive_devices = 6,
              shell_job = 7, file_locks = 8, log_level = 9, log_file = 10, ps = 11, notify_scripts = 12,
              root = 13, parent_img = 14, track_mem = 15, auto_dedup = 16, work_dir_fd = 17, cg_root = 25, rst_sibling = 26,
              inherit_fd = 27, manage_cgroups_mode = 34, external = 37, empty_ns = 38,
              freeze_cgroup = 44, lazy_pages = 48, status_fd = 49, orphan_pts_master = 50,
              config_file = 51;
}  // namespace opt
namespace req {
constexpr int type = 1, opts = 2, notify_success = 3;
}
namespace resp {
constexpr int type = 1, success = 2, restore = 4, notify = 5, cr_errno = 7, cr_errmsg = 9;
}

class Writer {
public:
    void varint(int tag, uint64_t v) {
        key(tag, 0);
        raw_varint(v);
    }
    // int32 fields: a negative value is sign-extended to 64 bits, as protobuf does.
    void int32(int tag, int v) { varint(tag, static_cast<uint64_t>(static_cast<int64_t>(v))); }
    void flag(int tag, bool on) {
        if (on) varint(tag, 1);
    }
    void bytes(int tag, std::string_view s) {
        key(tag, 2);
        raw_varint(s.size());
        out_.append(s);
    }
    void message(int tag, const Writer& w) { bytes(tag, w.out_); }
    const std::string& str() const { return out_; }

private:
    void key(int tag, int wire) { raw_varint((static_cast<uint64_t>(tag) << 3) | static_cast<unsigned>(wire)); }
    void raw_varint(uint64_t v) {
        while (v >= 0x80) {
            out_ += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out_ += static_cast<char>(v);
    }
    std::string out_;
};

Writer encode_opts(const Opts& o) {
    Writer w;
    w.int32(opt::images_dir_fd, o.images_dir_fd);
    if (o.pid > 0) w.int32(opt::pid, o.pid);
    w.flag(opt::leave_running, o.leave_running);
    w.flag(opt::track_mem, o.track_mem);
    if (!o.parent_img.empty()) w.bytes(opt::parent_img, o.parent_img);
    if (!o.freeze_cgroup.empty()) w.bytes(opt::freeze_cgroup, o.freeze_cgroup);
    if (!o.ps_address.empty()) {
        Writer ps;
        ps.bytes(1, o.ps_address);
        ps.int32(2, o.ps_port);
        w.message(opt::ps, ps);
    }
    if (o.status_fd >= 0) w.int32(opt::status_fd, o.status_fd);
    if (!o.config_file.empty()) w.bytes(opt::config_file, o.config_file);
    if (o.work_dir_fd >= 0) w.int32(opt::work_dir_fd, o.work_dir_fd);
    w.int32(opt::log_level, o.log_level);
    if (!o.log_file.empty()) w.bytes(opt::log_file, o.log_file);
    if (!o.root.empty()) w.bytes(opt::root, o.root);
    w.flag(opt::rst_sibling, o.rst_sibling);
    w.flag(opt::notify_scripts, o.notify_scripts);
    w.flag(opt::orphan_pts_master, o.orphan_pts_master);
    w.flag(opt::evasive_devices, o.evasive_devices);
    w.flag(opt::shell_job, o.shell_job);
    w.flag(opt::tcp_established, o.tcp_established);
    w.flag(opt::ext_unix_sk, o.ext_unix_sk);
    w.flag(opt::file_locks, o.file_locks);
    w.flag(opt::auto_dedup, o.auto_dedup);
    w.flag(opt::lazy_pages, o.lazy_pages);
    if (o.manage_cgroups_mode >= 0) w.varint(opt::manage_cgroups_mode, static_cast<uint64_t>(o.manage_cgroups_mode));
    if (o.empty_ns) w.varint(opt::empty_ns, o.empty_ns);
    for (const auto& e : o.external) w.bytes(opt::external, e);
    for (const auto& f : o.inherit_fds) {
        Writer m;
        m.bytes(1, f.key);
        m.int32(2, f.fd);
        w.message(opt::inherit_fd, m);
    }
    for (const auto& r : o.cgroup_roots) {
        Writer m;
        if (!r.controllers.empty()) m.bytes(1, r.controllers);
        m.bytes(2, r.path);
        w.message(opt::cg_root, m);
    }
    return w;
}

[[noreturn]] void bad(const char* what) { throw std::runtime_error(std::string("criu's answer: ") + what); }

uint64_t read_varint(std::string_view s, size_t& at) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= s.size()) bad("a number runs past the end");
        auto byte = static_cast<unsigned char>(s[at++]);
        v |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
    bad("a number longer than 10 bytes");
}

void skip(std::string_view s, size_t& at, int wire) {
    size_t n = wire == 1 ? 8 : 4;  // fixed64, fixed32
    if (wire != 1 && wire != 5) bad("an unknown wire type");
    if (s.size() - at < n) bad("a field runs past the end");
    at += n;
}

}  // namespace

int cg_mode(const std::string& word) {
    if (word == "ignore") return 0;
    if (word == "soft") return 3;
    if (word == "full") return 4;
    if (word == "strict") return 5;
    return -1;
}

std::string encode_request(ReqType type, const Opts& opts) {
    Writer w;
    w.varint(req::type, static_cast<uint64_t>(type));
    w.message(req::opts, encode_opts(opts));
    return w.str();
}

std::string encode_notify_reply(bool success) {
    Writer w;
    w.varint(req::type, kNotify);
    w.varint(req::notify_success, success ? 1 : 0);
    return w.str();
}

std::vector<Field> decode_fields(std::string_view s) {
    std::vector<Field> out;
    size_t at = 0;
    while (at < s.size()) {
        uint64_t key = read_varint(s, at);
        Field f;
        f.tag = static_cast<int>(key >> 3);
        f.wire = static_cast<int>(key & 7);
        if (f.wire == 0) {
            f.number = read_varint(s, at);
        } else if (f.wire == 2) {
            uint64_t n = read_varint(s, at);
            if (n > s.size() - at) bad("a field runs past the end");
            f.bytes = s.substr(at, n);
            at += n;
        } else {
            skip(s, at, f.wire);
            continue;
        }
        out.push_back(f);
    }
    return out;
}

Response decode_response(std::string_view bytes) {
    Response r;
    bool typed = false;
    for (const Field& f : decode_fields(bytes)) {
        switch (f.tag) {
        case resp::type:
            r.type = static_cast<int>(f.number);
            typed = true;
            break;
        case resp::success: r.success = f.number != 0; break;
        case resp::cr_errno: r.cr_errno = static_cast<int>(f.number); break;
        case resp::cr_errmsg: r.cr_errmsg = f.bytes; break;
        case resp::restore:
            for (const Field& g : decode_fields(f.bytes))
                if (g.tag == 1) r.restored_pid = static_cast<int>(g.number);
            break;
        case resp::notify:
            for (const Field& g : decode_fields(f.bytes)) {
                if (g.tag == 1) r.notify_script = g.bytes;
                if (g.tag == 2) r.notify_pid = static_cast<int>(g.number);
            }
            break;
        default: break;
        }
    }
    if (!typed) bad("no type");
    return r;
}

}  // namespace myrt::criu_rpc
