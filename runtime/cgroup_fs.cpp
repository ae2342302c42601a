#include "runtime/cgroup_fs.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "runtime/proc.hpp"

namespace myrt::cgroupfs {

std::string read_trimmed(const std::string& path) {
    std::string s = read_file(path);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

void write(const std::string& dir, std::string_view file, std::string_view value) {
    write_file(dir + "/" + std::string(file), value);
}

std::vector<pid_t> read_pids(const std::string& dir) {
    std::vector<pid_t> pids;
    std::string text;
    try {
        text = read_file(dir + "/cgroup.procs");
    } catch (const Error&) {
        return pids;
    }
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (end > pos) pids.push_back(static_cast<pid_t>(std::stol(text.substr(pos, end - pos))));
        pos = end + 1;
    }
    return pids;
}

void remove_dir(const std::string& dir, bool kill_remaining) {
    // A killed process leaves its cgroup only once the kernel has torn it down, so rmdir can
    // see EBUSY for a few milliseconds after the last kill.
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY) throw_errno("remove cgroup " + dir);
        if (kill_remaining)
            for (pid_t pid : read_pids(dir)) ::kill(pid, SIGKILL);
        timespec ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
    throw_errno("remove cgroup " + dir, EBUSY);
}

}  // namespace myrt::cgroupfs
