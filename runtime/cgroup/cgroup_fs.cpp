#include "runtime/cgroup/cgroup_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"

namespace myrt::cgroupfs {

std::string read_trimmed(const std::string& path) {
    std::string s = read_file(path);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

namespace {

// One write(2) per value: a cgroup knob takes its whole value (one device rule, say) from
// one write, whatever was written through the same open file before.
void write_value(int fd, const std::string& path, std::string_view value) {
    log::Step step("cgroup.write");
    step.field("file", path).field("value", value);
    ssize_t n;
    do {
        n = ::write(fd, value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("write " + path);
    if (static_cast<size_t>(n) != value.size()) throw_errno("write " + path, EIO);
}

// O_TRUNC is ignored by cgroupfs and keeps regular files (unit tests' fake cgroups) exact.
UniqueFd open_for_write(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) throw_errno("open " + path);
    return fd;
}

// body(), its Error named after the linux.resources field it was for.
template <class F>
auto for_field(const std::string& field, F&& body) {
    try {
        return body();
    } catch (const Error& e) {
        throw Error(field + ": " + e.what(), e.code());
    }
}

std::string knob_path(const std::string& dir, std::string_view file) {
    return dir + "/" + std::string(file);
}

}  // namespace

void write(const std::string& dir, std::string_view file, std::string_view value) {
    std::string path = knob_path(dir, file);
    write_value(open_for_write(path).get(), path, value);
}

UniqueFd open_knob(const std::string& field, const std::string& dir, std::string_view file) {
    return for_field(field, [&] { return open_for_write(knob_path(dir, file)); });
}

void write_knob(const std::string& field, int fd, const std::string& dir, std::string_view file,
                std::string_view value) {
    for_field(field, [&] { write_value(fd, knob_path(dir, file), value); });
}

void set(const std::string& field, const std::string& dir, std::string_view file,
         std::string_view value) {
    for_field(field, [&] { write(dir, file, value); });
}

void field_error(const std::string& field, const std::string& why, int err) {
    throw Error(field + ": " + why, err);
}

bool has(const std::string& dir, std::string_view file) {
    return ::access((dir + "/" + std::string(file)).c_str(), F_OK) == 0;
}

namespace {

// The pids in cgroup.procs of the cgroup open as dirfd.
std::vector<pid_t> procs_at(int dirfd) {
    std::vector<pid_t> pids;
    UniqueFd fd(::openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC));
    if (!fd) return pids;
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        pid_t pid = 0;
        if (std::from_chars(text.data() + pos, text.data() + end, pid).ec == std::errc())
            pids.push_back(pid);
        pos = end + 1;
    }
    return pids;
}

// The names of the child cgroups (subdirectories) of the cgroup open as dirfd. Takes a
// duplicate: closedir() closes the fd it reads.
std::vector<std::string> child_names(int dirfd) {
    std::vector<std::string> out;
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return out;
    DIR* d = ::fdopendir(dup);
    if (!d) {
        ::close(dup);
        return out;
    }
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == ".." || e->d_type != DT_DIR) continue;
        out.emplace_back(name);
    }
    ::closedir(d);
    return out;
}

void pids_tree_at(int dirfd, std::vector<pid_t>& out) {
    auto pids = procs_at(dirfd);
    out.insert(out.end(), pids.begin(), pids.end());
    for (const auto& name : child_names(dirfd)) {
        UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (child) pids_tree_at(child.get(), out);
    }
}

}  // namespace

// Relative to an fd of each directory: a missing cgroup (the usual case before create)
// costs one failed lookup and no exception, and the walk below it no absolute paths.
std::vector<pid_t> read_pids_tree(const std::string& dir) {
    std::vector<pid_t> pids;
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd) pids_tree_at(fd.get(), pids);
    return pids;
}

void remove_dir(const std::string& dir) {
    // rmdir first: a cgroup the container left no child cgroups in (the usual case) needs
    // no listing. EBUSY is both "has child cgroups" and "still has processes".
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) throw_errno("remove cgroup " + dir);
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd)
        for (const auto& name : child_names(fd.get())) remove_dir(dir + "/" + name);
    // A killed process leaves its cgroup only once the kernel has torn it down, so rmdir can
    // see EBUSY for a few milliseconds after the last kill.
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY) throw_errno("remove cgroup " + dir);
        timespec ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
    log::warn("cgroup " + dir + " still holds processes (or child cgroups) that are not the "
              "container's: left in place");
}

namespace {

std::optional<std::string> try_read(const std::string& path) {
    try {
        return read_file(path);
    } catch (const Error&) {
        return std::nullopt;
    }
}

bool to_u64(std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// Splits on blanks and newlines.
std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\n' && s[j] != '\t') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

}  // namespace

std::string read_or_empty(const std::string& path) {
    try {
        return read_trimmed(path);
    } catch (const Error&) {
        return std::string();
    }
}

uint64_t read_u64(const std::string& path) {
    auto text = try_read(path);
    uint64_t v = 0;
    if (!text) return 0;
    auto w = words(*text);
    if (w.empty() || !to_u64(w[0], v)) return 0;
    return v;
}

std::map<std::string, uint64_t> read_keyed(const std::string& path) {
    std::map<std::string, uint64_t> out;
    auto text = try_read(path);
    if (!text) return out;
    std::string_view s = *text;
    while (!s.empty()) {
        size_t end = s.find('\n');
        std::string_view line = s.substr(0, end);
        s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
        auto w = words(line);
        uint64_t v = 0;
        if (w.size() == 2 && to_u64(w[1], v)) out[std::string(w[0])] = v;
    }
    return out;
}

std::vector<uint64_t> read_u64_list(const std::string& path) {
    std::vector<uint64_t> out;
    auto text = try_read(path);
    if (!text) return out;
    for (auto w : words(*text)) {
        uint64_t v = 0;
        if (to_u64(w, v)) out.push_back(v);
    }
    return out;
}

std::vector<uint16_t> parse_id_list(std::string_view list) {
    std::vector<uint16_t> out;
    for (auto item : words(list)) {
        while (!item.empty()) {
            size_t comma = item.find(',');
            std::string_view range = item.substr(0, comma);
            item = comma == std::string_view::npos ? std::string_view() : item.substr(comma + 1);
            size_t dash = range.find('-');
            uint64_t lo = 0, hi = 0;
            if (!to_u64(range.substr(0, dash), lo)) continue;
            hi = lo;
            if (dash != std::string_view::npos && !to_u64(range.substr(dash + 1), hi)) continue;
            for (uint64_t i = lo; i <= hi && i <= 0xffff; ++i) out.push_back(static_cast<uint16_t>(i));
        }
    }
    return out;
}

std::string limit_text(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

// The quadratic (in log2) mapping that crun 1.15+ and runc 1.3 use, so that the default
// shares meet the default weight: 2 -> 1, 1024 -> 100 (the old linear 1 + (s-2)*9999/262142
// gave 39, below every unconfigured sibling's 100), 262144 -> 10000.
uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    double l = std::log2(static_cast<double>(shares));
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

uint64_t blkio_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    if (weight < 10) weight = 10;
    if (weight > 1000) weight = 1000;
    return 1 + (weight - 10) * 9999 / 990;
}

std::vector<std::string> hugepage_sizes() {
    std::vector<std::string> out;
    DIR* d = ::opendir("/sys/kernel/mm/hugepages");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (!name.starts_with("hugepages-") || !name.ends_with("kB")) continue;
        uint64_t kb = 0;
        if (!to_u64(name.substr(10, name.size() - 12), kb) || kb == 0) continue;
        if (kb % (1024 * 1024) == 0)
            out.push_back(std::to_string(kb / (1024 * 1024)) + "GB");
        else if (kb % 1024 == 0)
            out.push_back(std::to_string(kb / 1024) + "MB");
        else
            out.push_back(std::to_string(kb) + "KB");
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

namespace {

bool parse_device(std::string_view s, DeviceValue& d) {
    size_t colon = s.find(':');
    return colon != std::string_view::npos && to_u64(s.substr(0, colon), d.major) &&
           to_u64(s.substr(colon + 1), d.minor);
}

template <typename F>
void for_lines(const std::string& path, F f) {
    auto text = try_read(path);
    if (!text) return;
    std::string_view s = *text;
    while (!s.empty()) {
        size_t end = s.find('\n');
        f(words(s.substr(0, end)));
        s = end == std::string_view::npos ? std::string_view() : s.substr(end + 1);
    }
}

}  // namespace

std::vector<DeviceValue> read_device_values(const std::string& path) {
    std::vector<DeviceValue> out;
    for_lines(path, [&](const std::vector<std::string_view>& w) {
        DeviceValue d;
        if (w.size() == 3 && parse_device(w[0], d) && to_u64(w[2], d.value)) {
            d.key = w[1];
            out.push_back(d);
        }
    });
    return out;
}

std::vector<DeviceValue> read_io_stat(const std::string& path) {
    std::vector<DeviceValue> out;
    for_lines(path, [&](const std::vector<std::string_view>& w) {
        DeviceValue dev;
        if (w.empty() || !parse_device(w[0], dev)) return;
        for (size_t i = 1; i < w.size(); ++i) {
            size_t eq = w[i].find('=');
            DeviceValue d = dev;
            if (eq == std::string_view::npos || !to_u64(w[i].substr(eq + 1), d.value)) continue;
            d.key = w[i].substr(0, eq);
            out.push_back(d);
        }
    });
    return out;
}

std::string first_field(const std::string& prefix,
                        std::initializer_list<std::pair<bool, const char*>> fields) {
    for (const auto& [present, name] : fields)
        if (present) return prefix + name;
    return prefix + fields.begin()->second;
}

std::string blockio_field(const spec::BlockIO& b) {
    std::string f = first_field(
        "linux.resources.blockIO.",
        {{b.weight.has_value(), "weight"}, {b.leafWeight.has_value(), "leafWeight"},
         {!b.weightDevice.empty(), "weightDevice"},
         {!b.throttleReadBpsDevice.empty(), "throttleReadBpsDevice"},
         {!b.throttleWriteBpsDevice.empty(), "throttleWriteBpsDevice"},
         {!b.throttleReadIOPSDevice.empty(), "throttleReadIOPSDevice"},
         {!b.throttleWriteIOPSDevice.empty(), "throttleWriteIOPSDevice"}});
    bool any = b.weight || b.leafWeight || !b.weightDevice.empty() ||
               !b.throttleReadBpsDevice.empty() || !b.throttleWriteBpsDevice.empty() ||
               !b.throttleReadIOPSDevice.empty() || !b.throttleWriteIOPSDevice.empty();
    return any ? f : std::string();
}

void check_cpu(const spec::Resources& r) {
    if (!r.cpu || !r.cpu->burst || !r.cpu->quota || *r.cpu->quota <= 0) return;
    if (*r.cpu->burst > static_cast<uint64_t>(*r.cpu->quota))
        field_error("linux.resources.cpu.burst",
                    std::to_string(*r.cpu->burst) + " is larger than the quota " +
                        std::to_string(*r.cpu->quota),
                    EINVAL);
}

void warn_kernel_memory(const spec::Memory& m) {
    if (m.kernel)
        log::warn("linux.resources.memory.kernel: kernel memory limits are deprecated "
                  "(NOT RECOMMENDED by the runtime spec)");
    if (m.kernelTCP)
        log::warn("linux.resources.memory.kernelTCP: kernel TCP memory limits are deprecated "
                  "(NOT RECOMMENDED by the runtime spec)");
}

void unknown_page_size(const std::string& field, const std::string& size) {
    std::string have;
    for (const auto& s : hugepage_sizes()) {
        if (!have.empty()) have += ", ";
        have += s;
    }
    field_error(field + ".pageSize",
                "no huge page size \"" + size + "\" on this host (have: " +
                    (have.empty() ? "none" : have) + ")",
                EINVAL);
}

std::string rdma_line(const std::string& device, const spec::RdmaLimit& limit) {
    std::string line = device;
    if (limit.hcaHandles) line += " hca_handle=" + std::to_string(*limit.hcaHandles);
    if (limit.hcaObjects) line += " hca_object=" + std::to_string(*limit.hcaObjects);
    return line;
}

}  // namespace myrt::cgroupfs
