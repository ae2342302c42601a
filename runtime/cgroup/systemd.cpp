#include "runtime/cgroup/systemd.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>

#include "runtime/cgroup/cgroup_drivers.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/security/sealed_exe.hpp"
#include "runtime/signals.hpp"

namespace myrt {

namespace {

const std::string kField = "linux.cgroupsPath";
constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();

[[noreturn]] void bad_path(const std::string& p, const std::string& why) {
    throw Error(kField + " \"" + p + "\": " + why +
                    " (with --systemd-cgroup it is \"slice:prefix:name\", e.g. "
                    "\"system.slice:myrt:web\")",
                EINVAL);
}

bool valid_unit_chars(const std::string& s) {
    for (char c : s)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
              c == ':' || c == '\\' || c == '@'))
            return false;
    return !s.empty();
}

// --- running myrt-systemd ---------------------------------------------------------------

// Beside myrt: /proc/self/exe, or where it was before reexec_sealed() ran it from a view
// that has no path (the link then reads "/" or "/memfd:...").
std::string helper_path() {
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string exe = n > 0 ? std::string(self, static_cast<size_t>(n)) : "";
    if ((exe.size() <= 1 || exe.starts_with("/memfd:")) && ::getenv(kOriginalExeEnv))
        exe = ::getenv(kOriginalExeEnv);
    if (exe.size() > 1 && exe[0] == '/') {
        std::string dir = exe.substr(0, exe.find_last_of('/') + 1);
        if (::access((dir + "myrt-systemd").c_str(), X_OK) == 0) return dir + "myrt-systemd";
    }
    for (const char* d : {"/usr/local/libexec/myrt/", "/usr/libexec/myrt/", "/usr/local/bin/", "/usr/bin/"})
        if (::access((std::string(d) + "myrt-systemd").c_str(), X_OK) == 0)
            return std::string(d) + "myrt-systemd";
    throw Error("--systemd-cgroup needs the myrt-systemd program (built with libsystemd-dev) "
                "next to myrt",
                ENOENT);
}

struct HelperResult {
    int status = -1;
    std::string out, err;
};

// Runs myrt-systemd with `input` on stdin. Its stderr is small (one line): read after stdout.
HelperResult run_helper(std::vector<std::string> args, const std::string& input, bool user) {
    std::string path = helper_path();
    if (user) args.insert(args.begin(), "--user");
    args.insert(args.begin(), path);
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]), err_r(err[0]), err_w(err[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork myrt-systemd");
    if (pid == 0) {
        ::dup2(in_r.get(), 0);
        ::dup2(out_w.get(), 1);
        ::dup2(err_w.get(), 2);
        reset_signals_for_exec();
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    in_r.reset();
    out_w.reset();
    err_w.reset();
    // A pipe holds 64 KiB: the property list is far smaller, so this write cannot block.
    if (!input.empty() && ::write(in_w.get(), input.data(), input.size()) < 0) {
    }
    in_w.reset();
    HelperResult r;
    r.out = read_fd_to_end(out_r.get());
    r.err = read_fd_to_end(err_r.get());
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
    while (!r.err.empty() && r.err.back() == '\n') r.err.pop_back();
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r;
}

int exit_code(const HelperResult& r) { return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128; }

// Its one line on stderr, or what little is known without one.
std::string helper_error(const HelperResult& r) {
    return r.err.empty() ? "myrt-systemd failed (status " + std::to_string(r.status) + ")" : r.err;
}

std::string property_text(const std::vector<UnitProperty>& props) {
    std::string text;
    for (const auto& p : props) text += p.name + " " + p.type + " " + p.value + "\n";
    return text;
}

// --- resources as unit properties -------------------------------------------------------

std::string u64(uint64_t v) { return std::to_string(v); }

uint64_t limit_or_infinity(int64_t v) { return v < 0 ? kInfinity : static_cast<uint64_t>(v); }

void memory_properties(const spec::Memory& m, CgroupVersion v, std::vector<UnitProperty>& out) {
    bool v2 = v == CgroupVersion::v2;
    if (m.limit) out.push_back({v2 ? "MemoryMax" : "MemoryLimit", "t", u64(limit_or_infinity(*m.limit))});
    if (m.reservation && v2) out.push_back({"MemoryLow", "t", u64(limit_or_infinity(*m.reservation))});
    // OCI's swap is memory+swap; systemd's MemorySwapMax is the swap alone (v2 only).
    if (v2 && m.swap) {
        uint64_t swap = kInfinity;
        if (*m.swap >= 0 && m.limit && *m.limit >= 0) swap = static_cast<uint64_t>(*m.swap - *m.limit);
        if (*m.swap >= 0 && (!m.limit || *m.limit < 0)) swap = static_cast<uint64_t>(*m.swap);
        out.push_back({"MemorySwapMax", "t", u64(swap)});
    }
}

void cpu_properties(const spec::CPU& c, CgroupVersion v, std::vector<UnitProperty>& out) {
    bool v2 = v == CgroupVersion::v2;
    if (c.shares && *c.shares != 0)
        out.push_back(v2 ? UnitProperty{"CPUWeight", "t", u64(cgroupfs::shares_to_weight(*c.shares))}
                         : UnitProperty{"CPUShares", "t", u64(*c.shares)});
    uint64_t period = c.period && *c.period ? *c.period : 100000;
    if (c.period && *c.period) out.push_back({"CPUQuotaPeriodUSec", "t", u64(period)});
    if (c.quota) {
        // systemd's quota is per second of wall time, in whole 10 ms steps of CPU
        // (rounded up, as runc does, so that a small quota is never none at all).
        uint64_t per_sec = kInfinity;
        if (*c.quota > 0) {
            per_sec = static_cast<uint64_t>(*c.quota) * 1'000'000 / period;
            per_sec = (per_sec + 9'999) / 10'000 * 10'000;
        }
        out.push_back({"CPUQuotaPerSecUSec", "t", u64(per_sec)});
    }
    if (v2 && c.cpus && !c.cpus->empty()) out.push_back({"AllowedCPUs", "ay", *c.cpus});
    if (v2 && c.mems && !c.mems->empty()) out.push_back({"AllowedMemoryNodes", "ay", *c.mems});
}

// The device rules as systemd's allow list: "/dev/char/M:N" for one device, "char-NAME" for
// a whole major (its name in /proc/devices), "char-*" for every major. Only an allow list
// after a deny-all is expressible; anything else leaves systemd's policy open ("auto") and
// the rules to the driver's own program or devices.allow/deny.
std::string major_name(char type, int64_t major) {
    std::string text = cgroupfs::read_or_empty("/proc/devices");
    bool in_section = false;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line == "Character devices:") in_section = type == 'c';
        else if (line == "Block devices:") in_section = type == 'b';
        else if (in_section && !line.empty()) {
            size_t sp = line.find_first_not_of(' ');
            size_t sp2 = line.find(' ', sp);
            if (sp2 != std::string::npos && std::stoll(line.substr(sp, sp2 - sp)) == major)
                return line.substr(sp2 + 1);
        }
    }
    return {};
}

void device_properties(const std::vector<spec::DeviceCgroup>& rules, std::vector<UnitProperty>& out) {
    if (rules.empty()) return;
    const auto& first = rules.front();
    bool deny_all_first = !first.allow && (!first.type || *first.type == "a") && !first.major && !first.minor;
    if (!deny_all_first) return;  // e.g. allow-all (privileged): nothing for systemd to restrict
    std::vector<UnitProperty> allows;
    for (size_t i = 1; i < rules.size(); ++i) {
        const auto& d = rules[i];
        if (!d.allow) return;  // a deny after allows: not expressible, leave it to the driver
        char type = d.type && !d.type->empty() ? (*d.type)[0] : 'a';
        std::string access = d.access.value_or("rwm");
        if (type == 'a') return;  // allow all after deny all: nothing for systemd to restrict
        std::string kind = type == 'c' ? "char" : "block";
        std::string name;
        if (!d.major) {
            name = kind + "-*";
        } else if (!d.minor) {
            std::string n = major_name(type, *d.major);
            if (n.empty()) continue;  // no such driver loaded: nothing to allow
            name = kind + "-" + n;
        } else {
            name = "/dev/" + kind + "/" + std::to_string(*d.major) + ":" + std::to_string(*d.minor);
        }
        allows.push_back({"DeviceAllow", "a(ss)", name + " " + access});
    }
    out.push_back({"DevicePolicy", "s", "strict"});
    out.insert(out.end(), allows.begin(), allows.end());
}

}  // namespace

bool systemd_driver_available() {
    try {
        helper_path();
        return true;
    } catch (const Error&) {
        return false;
    }
}

std::string systemd_manager_version(bool user_manager) {
    HelperResult r = run_helper({"version"}, "", user_manager);
    if (exit_code(r) != 0)
        throw Error(helper_error(r));
    return r.out;
}

// --- paths --------------------------------------------------------------------------------

std::string expand_slice(const std::string& slice) {
    const std::string suffix = ".slice";
    if (slice == "-.slice") return "";
    if (slice.size() <= suffix.size() || !slice.ends_with(suffix) || slice.find('/') != std::string::npos)
        throw Error("\"" + slice + "\" is not a slice name (NAME.slice)", EINVAL);
    std::string base = slice.substr(0, slice.size() - suffix.size());
    if (base.front() == '-' || base.back() == '-' || base.find("--") != std::string::npos)
        throw Error("\"" + slice + "\" is not a valid slice name", EINVAL);
    std::string out, prefix;
    for (size_t pos = 0;;) {
        size_t dash = base.find('-', pos);
        std::string part = base.substr(0, dash);
        out += "/" + part + suffix;
        if (dash == std::string::npos) break;
        pos = dash + 1;
    }
    return out;
}

SystemdUnitPath parse_systemd_path(const std::optional<std::string>& cgroups_path,
                                   const std::string& id, bool rootless) {
    std::string dflt = rootless ? "user.slice" : "system.slice";
    if (!cgroups_path || cgroups_path->empty()) return {dflt, "myrt-" + id + ".scope"};
    const std::string& p = *cgroups_path;
    size_t a = p.find(':');
    size_t b = a == std::string::npos ? a : p.find(':', a + 1);
    if (b == std::string::npos || p.find(':', b + 1) != std::string::npos)
        bad_path(p, "not three parts separated by ':'");
    SystemdUnitPath out;
    out.slice = p.substr(0, a).empty() ? dflt : p.substr(0, a);
    std::string prefix = p.substr(a + 1, b - a - 1), name = p.substr(b + 1);
    if (name.empty()) bad_path(p, "the name is empty");
    try {
        expand_slice(out.slice);
    } catch (const Error& e) {
        bad_path(p, e.what());
    }
    if (name.ends_with(".slice")) bad_path(p, "a slice as the container's own unit is not supported");
    out.unit = (prefix.empty() ? name : prefix + "-" + name) + (name.ends_with(".scope") ? "" : ".scope");
    if (!valid_unit_chars(out.unit)) bad_path(p, "\"" + out.unit + "\" is not a valid unit name");
    return out;
}

std::vector<UnitProperty> systemd_properties(const spec::Resources& r, CgroupVersion v) {
    std::vector<UnitProperty> out;
    if (r.memory) memory_properties(*r.memory, v, out);
    if (r.cpu) cpu_properties(*r.cpu, v, out);
    if (r.pids && r.pids->limit) out.push_back({"TasksMax", "t", u64(*r.pids->limit > 0 ? *r.pids->limit : kInfinity)});
    if (r.blockIO && r.blockIO->weight && *r.blockIO->weight)
        out.push_back(v == CgroupVersion::v2
                          ? UnitProperty{"IOWeight", "t", u64(cgroupfs::blkio_to_io_weight(*r.blockIO->weight))}
                          : UnitProperty{"BlockIOWeight", "t", u64(*r.blockIO->weight)});
    device_properties(r.devices, out);
    return out;
}

// --- the driver ---------------------------------------------------------------------------

namespace {

class SystemdCgroup final : public Cgroup {
public:
    // `ours`: the unit is the container's (a record says so); a new one is once started.
    SystemdCgroup(std::string unit, std::string slice, bool user, std::unique_ptr<Cgroup> fs, bool ours)
        : unit_(std::move(unit)), slice_(std::move(slice)), user_(user), fs_(std::move(fs)), ours_(ours) {}

    CgroupVersion version() const override { return host_cgroup_version(); }
    bool starts_with_init() const override { return true; }
    // Only once started: a unit of that name may exist and be someone else's until then.
    std::string unit() const override { return ours_ ? unit_ : std::string(); }

    // The unit needs init to exist: start_with() does the work.
    void create() override {}

    void start_with(pid_t pid) override {
        std::vector<UnitProperty> props = accounting();
        if (resources_) {
            auto more = systemd_properties(*resources_, version());
            props.insert(props.end(), more.begin(), more.end());
        }
        HelperResult r = run_helper({"start", unit_, slice_, std::to_string(pid)}, property_text(props), user_);
        if (exit_code(r) == 2) throw Error(kField + ": " + r.err, EEXIST);
        if (exit_code(r) != 0) throw Error(kField + ": systemd: " + helper_error(r), EIO);
        ours_ = started_ = true;
        open_fs(r.out);
        // v1: systemd put init in the hierarchies of its own controllers only; the others
        // (cpuset, freezer, net_cls, perf_event, hugetlb...) are joined here, before init
        // makes its cgroup namespace, as runc does. Without it, pause froze nothing of init.
        if (version() != CgroupVersion::v2) fs_->add_process(pid);
        if (resources_) fs_->apply(*resources_);
    }

    void add_process(pid_t pid) override { need_fs()->add_process(pid); }

    void apply(const spec::Resources& resources) override {
        if (!started_ && !fs_) {
            resources_ = resources;  // applied by start_with()
            return;
        }
        set_properties(resources);
        need_fs()->apply(resources);
    }

    void update(const spec::Resources& resources) override {
        set_properties(resources);
        need_fs()->update(resources);
    }

    void freeze(bool frozen) override { need_fs()->freeze(frozen); }
    bool frozen() const override { return fs_ && fs_->frozen(); }
    std::vector<pid_t> pids() const override { return fs_ ? fs_->pids() : std::vector<pid_t>{}; }
    CgroupStats stats() const override { return need_fs()->stats(); }
    std::unique_ptr<OomWatch> watch_oom() const override { return fs_ ? fs_->watch_oom() : nullptr; }
    bool populated() const override { return fs_ && fs_->populated(); }

    // Stopping the scope removes its cgroup (systemd's); what the v1 driver made beside it
    // (controllers systemd does not manage) goes after.
    void remove() override {
        if (!ours_) return;  // never stop a unit that is not the container's
        HelperResult r = run_helper({"stop", unit_}, "", user_);
        if (exit_code(r) != 0) log::warn("systemd: " + helper_error(r));
        if (fs_) fs_->remove();
    }

    std::map<std::string, std::string> paths() const override {
        return fs_ ? fs_->paths() : std::map<std::string, std::string>{};
    }
    std::vector<std::string> owned() const override {
        return fs_ ? fs_->owned() : std::vector<std::string>{};
    }

private:

    std::vector<UnitProperty> accounting() const {
        bool v2 = version() == CgroupVersion::v2;
        return {{"MemoryAccounting", "b", "1"},
                {"CPUAccounting", "b", "1"},
                {"TasksAccounting", "b", "1"},
                {v2 ? "IOAccounting" : "BlockIOAccounting", "b", "1"}};
    }

    void set_properties(const spec::Resources& resources) {
        auto props = systemd_properties(resources, version());
        if (props.empty()) return;
        HelperResult r = run_helper({"set", unit_}, property_text(props), user_);
        if (exit_code(r) != 0) throw Error(kField + ": systemd: " + helper_error(r), EIO);
    }

    // systemd made the unit's directories: the v2 one is never ours to remove; on v1 the
    // driver makes (and owns) those of the controllers systemd left out.
    void open_fs(const std::string& control_group) {
        if (control_group.empty() || control_group[0] != '/')
            throw Error(kField + ": systemd gave no cgroup for " + unit_, EIO);
        if (version() == CgroupVersion::v2) {
            fs_ = reopen_cgroup_v2("/sys/fs/cgroup" + control_group, false);
        } else {
            fs_ = make_cgroup_v1(control_group);
            fs_->create();
        }
    }

    Cgroup* need_fs() const {
        if (!fs_) throw Error("container's systemd unit " + unit_ + " has no cgroup yet", ENOENT);
        return fs_.get();
    }

    std::string unit_, slice_;
    bool user_;
    std::unique_ptr<Cgroup> fs_;
    std::optional<spec::Resources> resources_;
    bool ours_;
    bool started_ = false;
};

}  // namespace

std::unique_ptr<Cgroup> make_systemd_cgroup(const SystemdUnitPath& path, bool user_manager) {
    return std::make_unique<SystemdCgroup>(path.unit, path.slice, user_manager, nullptr, false);
}

std::unique_ptr<Cgroup> reopen_systemd_cgroup(const std::string& unit, bool user_manager,
                                              const std::map<std::string, std::string>& paths,
                                              const std::vector<std::string>& owned) {
    return std::make_unique<SystemdCgroup>(unit, "", user_manager, cgroup_from_paths(paths, owned), true);
}

}  // namespace myrt
