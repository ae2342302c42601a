// bench/driver.cpp — the benchmark driver of scripts/bench (see bench/README.md).
//
// Runs containers with several OCI runtimes (runc's command line) and measures, per runtime:
// wall time per container (CLOCK_MONOTONIC around create..delete), user+system CPU of every
// process involved (wait4 rusage of each runtime invocation, which includes the children it
// reaped, plus the container's init, which is reparented to this driver: it makes itself a
// child subreaper, as conmon and containerd-shim do), and the peak RSS of the runtime's own
// invocations (wait4 ru_maxrss).
//
// It runs in a private mount namespace; on a hybrid cgroup host it hides the cgroup v2 mount at
// /sys/fs/cgroup/unified under an empty tmpfs (crun 1.8 refuses such hosts otherwise), for every
// runtime alike. Everything it makes (state dirs, bundles, cgroups /myrt-bench/...) is removed at
// the end, also on SIGINT/SIGTERM/SIGHUP and on failure.
//
// In the ops/run modes it also times bench/floor.c (--kernel-floor), the kernel floor of `run`: the
// same container made with only the system calls its config needs, as one more turn in the rotation.
//
// Built by scripts/bench with: g++ -O2 -std=c++20 -static -o DRIVER bench/driver.cpp

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ftw.h>
#include <map>
#include <numeric>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <set>
#include <string>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <dirent.h>

extern char** environ;

namespace {

constexpr long kCgroup2Magic = 0x63677270;
constexpr long kCgroup1Magic = 0x27e0eb;
constexpr const char* kCgroupParent = "myrt-bench";

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_alarm = 0;

void on_signal(int sig) {
    if (sig == SIGALRM)
        g_alarm = 1;
    else
        g_stop = 1;
}

double now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

double cpu_ms(const rusage& r) {
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
           double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

[[noreturn]] void die(const std::string& msg) {
    fprintf(stderr, "bench: %s\n", msg.c_str());
    exit(2);
}

std::string errstr() { return strerror(errno); }

std::string read_file(const std::string& path, size_t max = 1 << 20) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 && out.size() < max)
        out.append(buf, size_t(n));
    close(fd);
    return out;
}

bool write_file(const std::string& path, const std::string& data) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    bool ok = write(fd, data.data(), data.size()) == ssize_t(data.size());
    close(fd);
    return ok;
}

std::vector<std::string> list_dir(const std::string& path, bool dirs_only = false) {
    std::vector<std::string> out;
    DIR* d = opendir(path.c_str());
    if (!d)
        return out;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..")
            continue;
        if (dirs_only && e->d_type != DT_DIR)
            continue;
        out.push_back(n);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

int rm_entry(const char* p, const struct stat*, int type, FTW*) {
    if (type == FTW_DP)
        rmdir(p);
    else
        unlink(p);
    return 0;
}

void rm_rf(const std::string& path) {
    if (!path.empty())
        nftw(path.c_str(), rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
        s.pop_back();
    return s;
}

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t idx = size_t(std::max(0.0, std::ceil(p / 100.0 * double(v.size())) - 1));
    return v[std::min(idx, v.size() - 1)];
}

double vmax(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

// ------------------------------------------------------------------------------------------
// Configuration

struct Runtime {
    std::string name, path, root, log, version;
    int logfd = -1;
};

struct Options {
    std::string mode = "all";
    int n = 100, repeat = 1, warmup = 2, parallel = 100, list_count = 1000, list_runs = 5;
    int concurrency = 4, timeout = 60;
    std::string workdir, config_template, baseline = "crun", list_hook, floor_binary;
    // bench/floor.c's binary (--kernel-floor), or why there is none (--kernel-floor-unavailable)
    std::string kernel_floor, kernel_floor_unavailable;
    std::vector<Runtime> rts;
    bool cleanup_only = false;
    bool state_tmpfs = false;  // the runtimes' --root dirs on a tmpfs (like /run on most hosts)
};

Options g_opt;
int g_name_w = 7;  // width of the runtime column

std::string padded(const std::string& name) {
    return name + std::string(name.size() < size_t(g_name_w) ? size_t(g_name_w) - name.size() : 0, ' ');
}
std::string header_pad(const char* word) { return padded(word); }
std::string g_template;            // config.json with "@CGROUP@" for linux.cgroupsPath
std::vector<std::string> g_cgroup_mounts;  // every cgroup (v1 or v2) hierarchy root we can see
int g_hidden_unified = -1;         // O_PATH fd of the v2 mount we covered with a tmpfs
std::string g_ns_note;

// ------------------------------------------------------------------------------------------
// Processes

struct Exit {
    pid_t pid = -1;
    int status = -1;
    rusage ru{};
    bool timed_out = false;
    bool not_our_child = false;  // a container init we could not reap (so no rusage for it)
    bool ok() const { return !timed_out && status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
    std::string describe() const {
        if (timed_out)
            return "timed out (killed)";
        if (status < 0)
            return "not waited for";
        if (WIFEXITED(status))
            return "exit status " + std::to_string(WEXITSTATUS(status));
        if (WIFSIGNALED(status))
            return std::string("killed by signal ") + strsignal(WTERMSIG(status));
        return "status " + std::to_string(status);
    }
};

std::vector<std::string> rt_argv(const Runtime& rt, const std::vector<std::string>& args) {
    std::vector<std::string> v = {rt.path, "--root", rt.root};
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

std::string shell_join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& a : v)
        s += (s.empty() ? "" : " ") + a;
    return s;
}

int g_devnull = -1;

// Starts ARGV (argv[0] a path) in its own process group (so that a terminal's Ctrl-C reaches only
// the driver, which then finishes cleanly); stdin /dev/null, stdout OUT_FD or /dev/null, stderr
// ERR_FD. A plain fork + exec, not posix_spawn: a vfork child's ru_maxrss would include the
// driver's own peak RSS (exec records the RSS of the mm it replaces, and a vfork child replaces
// the parent's mm); a forked child's only includes the few pages the fork copied, which is why
// the driver is linked statically and keeps its heap small (see the "RSS floor" line).
pid_t spawn_argv(const std::vector<std::string>& full, int out_fd, int err_fd) {
    std::vector<char*> argv;
    for (auto& a : full)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (int attempt = 0; attempt < 50; attempt++) {  // the binary may be briefly missing
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) != 0)
            return -1;
        pid_t pid = fork();
        if (pid < 0) {
            close(pfd[0]);
            close(pfd[1]);
            return -1;
        }
        if (pid == 0) {
            setpgid(0, 0);
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE, SIGCHLD})
                sigaction(sig, &dfl, nullptr);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            dup2(g_devnull, 0);
            dup2(out_fd >= 0 ? out_fd : g_devnull, 1);
            dup2(err_fd >= 0 ? err_fd : g_devnull, 2);
            execve(argv[0], argv.data(), environ);
            int e = errno;
            (void)!write(pfd[1], &e, sizeof e);
            _exit(127);
        }
        setpgid(pid, pid);
        close(pfd[1]);
        int e = 0;
        ssize_t n;
        while ((n = read(pfd[0], &e, sizeof e)) < 0 && errno == EINTR) {
        }
        close(pfd[0]);
        if (n != ssize_t(sizeof e))
            return pid;  // exec'd (the pipe closed on exec)
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (e != ENOENT && e != ETXTBSY) {
            errno = e;
            return -1;
        }
        usleep(100000);
    }
    return -1;
}

pid_t spawn(const Runtime& rt, const std::vector<std::string>& args, int out_fd = -1) {
    return spawn_argv(rt_argv(rt, args), out_fd, rt.logfd);
}

// Waits for our child PID; after TIMEOUT seconds kills its process group.
Exit wait_for(pid_t pid, int timeout_s) {
    Exit x;
    x.pid = pid;
    if (pid <= 0)
        return x;
    g_alarm = 0;
    alarm(unsigned(timeout_s));
    for (;;) {
        pid_t p = wait4(pid, &x.status, 0, &x.ru);
        if (p == pid)
            break;
        if (p < 0 && errno == EINTR) {
            if (g_alarm && !x.timed_out) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                x.timed_out = true;
                g_alarm = 0;
                alarm(5);
            } else if (g_alarm) {
                break;  // even SIGKILL did not end it
            }
            continue;
        }
        x.status = -1;
        break;
    }
    alarm(0);
    return x;
}

// Waits for a container's init, which is our child once the runtime process that forked it has
// exited (we are a child subreaper). If it is not our child (ECHILD), falls back to a pidfd.
Exit wait_init(pid_t pid, int timeout_s) {
    Exit x;
    x.pid = pid;
    g_alarm = 0;
    alarm(unsigned(timeout_s));
    for (;;) {
        pid_t p = wait4(pid, &x.status, 0, &x.ru);
        if (p == pid)
            break;
        if (p < 0 && errno == EINTR) {
            if (g_alarm) {
                x.timed_out = true;
                break;
            }
            continue;
        }
        if (p < 0 && errno == ECHILD) {
            x.not_our_child = true;
            int pfd = int(syscall(SYS_pidfd_open, pid, 0));
            if (pfd >= 0) {
                pollfd pf{pfd, POLLIN, 0};
                int r = poll(&pf, 1, timeout_s * 1000);
                close(pfd);
                x.timed_out = r == 0;
            }
            x.status = x.timed_out ? -1 : 0;  // exited, status unknown
            break;
        }
        x.status = -1;
        break;
    }
    alarm(0);
    return x;
}

// Reaps every zombie child without blocking; returns how many, adds their CPU.
int reap_strays(double* cpu) {
    int n = 0, st;
    rusage ru;
    while (wait4(-1, &st, WNOHANG, &ru) > 0) {
        if (cpu)
            *cpu += cpu_ms(ru);
        n++;
    }
    return n;
}

pid_t read_pid(const std::string& path) {
    std::string s = read_file(path, 64);
    return s.empty() ? -1 : pid_t(atol(s.c_str()));
}

std::string log_since(const Runtime& rt, off_t pos) {
    std::string all = read_file(rt.log);
    if (off_t(all.size()) <= pos)
        return "";
    std::string s = trim(all.substr(size_t(pos)));
    if (s.size() > 600)
        s = "..." + s.substr(s.size() - 600);
    for (auto& c : s)
        if (c == '\n')
            c = ' ';
    return s;
}

off_t log_pos(const Runtime& rt) { return lseek(rt.logfd, 0, SEEK_END); }

// Runs JOBS (runtime argument lists) with at most K at a time. Any other child that ends
// meanwhile (a container init, or a process reparented to us) goes to ON_OTHER.
template <class F>
std::vector<Exit> run_jobs(const Runtime& rt, const std::vector<std::vector<std::string>>& jobs, int k,
                           int timeout_s, F on_other) {
    std::vector<Exit> out(jobs.size());
    std::map<pid_t, size_t> running;
    size_t next = 0;
    auto launch = [&] {
        while (running.size() < size_t(k) && next < jobs.size()) {
            pid_t p = spawn(rt, jobs[next]);
            out[next].pid = p;
            if (p > 0)
                running[p] = next;
            next++;
        }
    };
    launch();
    g_alarm = 0;
    alarm(unsigned(timeout_s));
    while (!running.empty()) {
        int st;
        rusage ru;
        pid_t p = wait4(-1, &st, 0, &ru);
        if (p < 0) {
            if (errno == EINTR) {
                if (g_alarm) {
                    for (auto& [pid, i] : running) {
                        kill(-pid, SIGKILL);
                        kill(pid, SIGKILL);
                        out[i].timed_out = true;
                    }
                    g_alarm = 0;
                    alarm(5);
                }
                continue;
            }
            break;
        }
        alarm(unsigned(timeout_s));
        auto it = running.find(p);
        if (it == running.end()) {
            on_other(p, st, ru);
            continue;
        }
        out[it->second].status = st;
        out[it->second].ru = ru;
        running.erase(it);
        launch();
    }
    alarm(0);
    return out;
}

// ------------------------------------------------------------------------------------------
// Bundles, cgroups, leftovers

std::string bundle_dir(const std::string& id) { return g_opt.workdir + "/bundles/" + id; }
std::string pid_file(const std::string& id) { return g_opt.workdir + "/pid/" + id; }
std::string cgroup_path(const std::string& id) { return std::string("/") + kCgroupParent + "/" + id; }

void write_bundle(const std::string& id) {
    std::string cfg = g_template;
    auto at = cfg.find("@CGROUP@");
    if (at == std::string::npos)
        die("config template has no @CGROUP@");
    cfg.replace(at, 8, cgroup_path(id));
    std::string dir = bundle_dir(id);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        die("mkdir " + dir + ": " + errstr());
    if (!write_file(dir + "/config.json", cfg))
        die("write " + dir + "/config.json: " + errstr());
}

void remove_bundle(const std::string& id) {
    unlink((bundle_dir(id) + "/config.json").c_str());
    rmdir(bundle_dir(id).c_str());
    unlink(pid_file(id).c_str());
}

void find_cgroup_mounts() {
    g_cgroup_mounts.clear();
    std::string mi = read_file("/proc/self/mountinfo");
    size_t pos = 0;
    while (pos < mi.size()) {
        size_t eol = mi.find('\n', pos);
        if (eol == std::string::npos)
            eol = mi.size();
        std::string line = mi.substr(pos, eol - pos);
        pos = eol + 1;
        std::vector<std::string> f;
        size_t i = 0;
        while (i < line.size()) {
            size_t j = line.find(' ', i);
            if (j == std::string::npos)
                j = line.size();
            f.push_back(line.substr(i, j - i));
            i = j + 1;
        }
        auto dash = std::find(f.begin(), f.end(), "-");
        if (dash == f.end() || dash + 1 == f.end() || f.size() < 5)
            continue;
        std::string type = *(dash + 1);
        struct statfs fs;
        // skip a mount hidden under another one (our tmpfs over the v2 mount)
        if ((type == "cgroup" || type == "cgroup2") && statfs(f[4].c_str(), &fs) == 0 &&
            (long(fs.f_type) == kCgroup2Magic || long(fs.f_type) == kCgroup1Magic))
            g_cgroup_mounts.push_back(f[4]);
    }
    if (g_hidden_unified >= 0)
        g_cgroup_mounts.push_back("/proc/self/fd/" + std::to_string(g_hidden_unified));
}

std::string cg_label(const std::string& mount) {
    if (mount.rfind("/proc/self/fd/", 0) == 0)
        return "unified(hidden v2)";
    auto s = mount.rfind('/');
    return s == std::string::npos ? mount : mount.substr(s + 1);
}

// Cgroup dirs /myrt-bench/PREFIX* left in any hierarchy.
std::vector<std::string> leftover_cgroups(const std::string& prefix) {
    std::vector<std::string> out;
    for (auto& m : g_cgroup_mounts)
        for (auto& d : list_dir(m + "/" + kCgroupParent, true))
            if (d.rfind(prefix, 0) == 0)
                out.push_back(cg_label(m) + ":" + cgroup_path(d));
    return out;
}

// Processes whose cgroup (any hierarchy) is /myrt-bench/PREFIX*.
std::vector<pid_t> leftover_procs(const std::string& prefix) {
    std::vector<pid_t> out;
    std::string needle = cgroup_path(prefix);
    for (auto& e : list_dir("/proc")) {
        if (e.empty() || !isdigit(static_cast<unsigned char>(e[0])))
            continue;
        std::string cg = read_file("/proc/" + e + "/cgroup", 8192);
        if (cg.find(needle) != std::string::npos)
            out.push_back(pid_t(atol(e.c_str())));
    }
    return out;
}

struct Leftovers {
    std::vector<std::string> state, cgroups;
    std::vector<pid_t> procs;
    bool none() const { return state.empty() && cgroups.empty() && procs.empty(); }
    std::string describe() const {
        if (none())
            return "nothing left";
        std::string s;
        auto add = [&](const std::string& what, size_t n, const std::string& first) {
            if (n)
                s += (s.empty() ? "" : "; ") + std::to_string(n) + " " + what + " (e.g. " + first + ")";
        };
        add("state entries", state.size(), state.empty() ? "" : state[0]);
        add("cgroup dirs", cgroups.size(), cgroups.empty() ? "" : cgroups[0]);
        add("processes", procs.size(), procs.empty() ? "" : std::to_string(procs[0]));
        return s;
    }
};

Leftovers leftovers(const Runtime& rt, const std::string& prefix) {
    Leftovers l;
    for (auto& e : list_dir(rt.root))
        if (e.rfind(prefix, 0) == 0)
            l.state.push_back(rt.root + "/" + e);
    l.cgroups = leftover_cgroups(prefix);
    l.procs = leftover_procs(prefix);
    return l;
}

// Kills whatever is still in /myrt-bench/* and removes those cgroups, then /myrt-bench itself.
void remove_cgroups() {
    for (int attempt = 0; attempt < 40; attempt++) {
        bool busy = false;
        for (auto& m : g_cgroup_mounts) {
            std::string parent = m + "/" + kCgroupParent;
            struct stat st;
            if (stat(parent.c_str(), &st) != 0)
                continue;
            // depth-first: nested cgroups first
            std::vector<std::string> dirs;
            nftw(
                parent.c_str(),
                [](const char* p, const struct stat*, int type, FTW*) {
                    if (type == FTW_DP) {
                        std::string procs = read_file(std::string(p) + "/cgroup.procs");
                        for (char* s = procs.data(); *s;) {
                            long pid = strtol(s, &s, 10);
                            if (pid > 0)
                                kill(pid_t(pid), SIGKILL);
                            while (*s == '\n')
                                s++;
                        }
                    }
                    return 0;
                },
                16, FTW_DEPTH | FTW_PHYS);
            reap_strays(nullptr);
            nftw(
                parent.c_str(),
                [](const char* p, const struct stat*, int type, FTW*) {
                    if (type == FTW_DP)
                        rmdir(p);
                    return 0;
                },
                16, FTW_DEPTH | FTW_PHYS);
            if (stat(parent.c_str(), &st) == 0)
                busy = true;
        }
        if (!busy)
            return;
        usleep(50000);
    }
    fprintf(stderr, "bench: warning: could not remove every /%s cgroup\n", kCgroupParent);
}

// Thaws every frozen cgroup under /myrt-bench (v1 freezer): a container left paused (the ops mode
// pauses them; Ctrl-C or a failure may come in between) cannot be killed or deleted while frozen.
void thaw_all() {
    for (auto& m : g_cgroup_mounts) {
        std::string parent = m + "/" + kCgroupParent;
        struct stat st;
        if (stat((parent + "/freezer.state").c_str(), &st) != 0)
            continue;
        nftw(
            parent.c_str(),
            [](const char* p, const struct stat*, int type, FTW*) {
                if (type == FTW_D || type == FTW_DP) {
                    std::string f = std::string(p) + "/freezer.state";
                    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
                    if (fd >= 0) {
                        (void)!write(fd, "THAWED", 6);
                        close(fd);
                    }
                }
                return 0;
            },
            16, FTW_PHYS);
    }
}

// Deletes (--force) every container left in every runtime's state dir, kills what is left in
// our cgroups, removes them and the work dir. Used at the end, on a signal and on failure.
void cleanup_all(bool remove_workdir) {
    thaw_all();
    for (auto& rt : g_opt.rts) {
        if (rt.root.empty() || rt.logfd < 0)
            continue;
        std::vector<std::vector<std::string>> jobs;
        for (auto& id : list_dir(rt.root, true))
            jobs.push_back({"delete", "--force", id});
        if (!jobs.empty())
            run_jobs(rt, jobs, g_opt.concurrency, 20, [](pid_t, int, const rusage&) {});
    }
    usleep(20000);
    reap_strays(nullptr);
    remove_cgroups();
    reap_strays(nullptr);
    if (remove_workdir)
        rm_rf(g_opt.workdir);
}

// ------------------------------------------------------------------------------------------
// Mode 1: sequential containers, round-robin over the runtimes

struct Sample {
    bool ok = false;
    std::string err;
    double wall = 0, t_create = 0, t_start = 0, t_run = 0, t_delete = 0, cpu = 0;
    long rt_rss = 0, init_rss = 0;
    long phase_rss[3] = {0, 0, 0};       // create, start, delete
    double phase_cpu[4] = {0, 0, 0, 0};  // create, start, delete, the container's init
    int strays = 0;
    bool init_unreaped = false;
};

Sample run_one(const Runtime& rt, const std::string& id) {
    Sample s;
    write_bundle(id);
    std::string pidf = pid_file(id);
    unlink(pidf.c_str());
    off_t lp = log_pos(rt);
    pid_t init = -1;
    std::vector<std::string> failed_cmd;
    auto account = [&](const Exit& x, int phase) {
        s.cpu += cpu_ms(x.ru);
        s.rt_rss = std::max(s.rt_rss, x.ru.ru_maxrss);
        s.phase_rss[phase] = x.ru.ru_maxrss;
        s.phase_cpu[phase] = cpu_ms(x.ru);
    };

    double t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    // One runtime invocation, timed up to t; false (s.err and failed_cmd set) if it failed.
    auto step = [&](std::vector<std::string> args, int phase, double& t) {
        Exit x = wait_for(spawn(rt, args), g_opt.timeout);
        t = now_ms();
        account(x, phase);
        if (x.ok()) return true;
        s.err = args[0] + ": " + x.describe();
        failed_cmd = std::move(args);
        return false;
    };
    auto container = [&] {
        std::vector<std::string> create = {"create", "--bundle", bundle_dir(id), "--pid-file", pidf, id};
        if (!step(create, 0, t1)) return false;
        if ((init = read_pid(pidf)) <= 0) {
            s.err = "create: no pid in --pid-file";
            failed_cmd = create;
            return false;
        }
        if (!step({"start", id}, 1, t2)) return false;
        Exit ie = wait_init(init, g_opt.timeout);
        t3 = now_ms();
        s.cpu += cpu_ms(ie.ru);
        s.phase_cpu[3] = cpu_ms(ie.ru);
        s.init_rss = ie.ru.ru_maxrss;
        s.init_unreaped = ie.not_our_child;
        init = -1;
        if (ie.timed_out || ie.status != 0) {
            s.err = "container: " + (ie.timed_out ? std::string("did not exit") : ie.describe());
            failed_cmd = {"start", id};
            return false;
        }
        return step({"delete", id}, 2, t4);
    };
    double t0 = now_ms();
    s.ok = container();
    if (s.ok) {
        s.wall = t4 - t0;
        s.t_create = t1 - t0;
        s.t_start = t2 - t1;
        s.t_run = t3 - t2;
        s.t_delete = t4 - t3;
    }
    if (!s.ok) {
        std::string msg = log_since(rt, lp);
        s.err += " [" + shell_join(rt_argv(rt, failed_cmd)) + "]" + (msg.empty() ? "" : ": " + msg);
        wait_for(spawn(rt, {"delete", "--force", id}), 20);
        if (init > 0)
            wait_init(init, 5);
    }
    s.strays = reap_strays(&s.cpu);
    remove_bundle(id);
    return s;
}

struct SeqResult {
    std::vector<Sample> samples;  // timed, successful
    std::vector<std::string> failures;
    int runs = 0;
    std::vector<double> round_medians;
};

std::string fmt_ratio(double v, double base) {
    char b[32];
    if (base <= 0)
        snprintf(b, sizeof b, "  n/a");
    else
        snprintf(b, sizeof b, "%5.2f", v / base);
    return b;
}

// "NAME: N WHATs; first ones:" and up to five of them.
void print_failures(const std::string& name, const char* what, const std::vector<std::string>& F) {
    if (F.empty())
        return;
    printf("\n%s: %zu %s%s; first ones:\n", name.c_str(), F.size(), what, F.size() > 1 ? "s" : "");
    for (size_t i = 0; i < F.size() && i < 5; i++)
        printf("  - %s\n", F[i].c_str());
}

struct Summary {
    double median = 0, p90 = 0, max = 0, cpu = 0, rss_mb = 0;
};
std::map<std::string, Summary> g_seq_summary;

void mode_seq() {
    auto& rts = g_opt.rts;
    size_t k = rts.size();
    std::map<std::string, SeqResult> res;
    int total = g_opt.n * g_opt.repeat;
    printf("\n== sequential: %d containers per runtime (%d round%s of %d), interleaved round-robin "
           "(order rotated each time), %d untimed warm-up each\n",
           total, g_opt.repeat, g_opt.repeat > 1 ? "s" : "", g_opt.n, g_opt.warmup);
    fflush(stdout);
    for (int w = 0; w < g_opt.warmup && !g_stop; w++)
        for (size_t j = 0; j < k && !g_stop; j++) {
            Sample s = run_one(rts[j], rts[j].name + "-w" + std::to_string(w));
            if (!s.ok)
                res[rts[j].name].failures.push_back("warm-up: " + s.err);
        }
    for (int r = 0; r < g_opt.repeat && !g_stop; r++) {
        std::map<std::string, std::vector<double>> round;
        for (int i = 0; i < g_opt.n && !g_stop; i++) {
            for (size_t j = 0; j < k && !g_stop; j++) {
                const Runtime& rt = rts[(size_t(i + r) + j) % k];
                Sample s = run_one(rt, rt.name + "-" + std::to_string(r * g_opt.n + i));
                auto& R = res[rt.name];
                R.runs++;
                if (s.ok) {
                    R.samples.push_back(s);
                    round[rt.name].push_back(s.wall);
                } else {
                    R.failures.push_back(s.err);
                }
            }
            if ((i + 1) % 25 == 0 && isatty(2)) {
                fprintf(stderr, "\r  round %d: %d/%d", r + 1, i + 1, g_opt.n);
                fflush(stderr);
            }
        }
        for (auto& rt : rts)
            res[rt.name].round_medians.push_back(median(round[rt.name]));
    }
    if (isatty(2))
        fprintf(stderr, "\r%40s\r", "");
    if (g_stop)
        printf("(interrupted: partial results)\n");

    for (auto& rt : rts) {
        auto& R = res[rt.name];
        std::vector<double> wall;
        Summary S;
        long rss = 0;
        for (auto& s : R.samples) {
            wall.push_back(s.wall);
            S.cpu += s.cpu;
            rss = std::max(rss, s.rt_rss);
        }
        S.median = median(wall);
        S.p90 = percentile(wall, 90);
        S.max = vmax(wall);
        S.cpu = R.samples.empty() ? 0 : S.cpu / double(R.samples.size());
        S.rss_mb = double(rss) / 1024.0;
        g_seq_summary[rt.name] = S;
    }
    const Summary* base = g_seq_summary.count(g_opt.baseline) ? &g_seq_summary[g_opt.baseline] : nullptr;
    printf("%s  median_ms  p90_ms  max_ms  cpu_ms/ctr  peak_rss_MB  | vs %s: wall   cpu   rss\n",
           header_pad("runtime").c_str(), g_opt.baseline.c_str());
    for (auto& rt : rts) {
        auto& S = g_seq_summary[rt.name];
        printf("%s  %8.2f  %7.2f  %6.1f  %10.2f  %11.2f  | %*s  %s  %s  %s\n", padded(rt.name).c_str(), S.median,
               S.p90, S.max, S.cpu, S.rss_mb, int(g_opt.baseline.size()) + 3, "",
               fmt_ratio(S.median, base ? base->median : 0).c_str(),
               fmt_ratio(S.cpu, base ? base->cpu : 0).c_str(),
               fmt_ratio(S.rss_mb, base ? base->rss_mb : 0).c_str());
    }
    printf("\nper phase: wall (median ms), CPU (mean ms), peak RSS (MB); \"init\" is the container's init "
           "process, reaped by the driver: the runtime's code in it before exec, plus /bin/true\n");
    printf("%s  | wall: create  start  ->exit  delete | cpu: create  start  delete   init | rss: create  "
           "start  delete   init | ok/runs strays\n",
           header_pad("runtime").c_str());
    for (auto& rt : rts) {
        auto& R = res[rt.name];
        std::vector<double> c, s, x, d;
        double pc[4] = {0, 0, 0, 0};
        long irss = 0, prss[3] = {0, 0, 0};
        int strays = 0;
        for (auto& a : R.samples) {
            for (int p = 0; p < 3; p++)
                prss[p] = std::max(prss[p], a.phase_rss[p]);
            for (int p = 0; p < 4; p++)
                pc[p] += a.phase_cpu[p];
            c.push_back(a.t_create);
            s.push_back(a.t_start);
            x.push_back(a.t_run);
            d.push_back(a.t_delete);
            irss = std::max(irss, a.init_rss);
            strays += a.strays;
        }
        double n = R.samples.empty() ? 1 : double(R.samples.size());
        printf("%s  |      %6.2f %6.2f  %6.2f  %6.2f |      %6.2f %6.2f  %6.2f %6.2f |      %6.2f %6.2f  %6.2f "
               "%6.2f | %4zu/%-4d %3d\n",
               padded(rt.name).c_str(), median(c), median(s), median(x), median(d), pc[0] / n, pc[1] / n, pc[2] / n,
               pc[3] / n, double(prss[0]) / 1024.0, double(prss[1]) / 1024.0, double(prss[2]) / 1024.0,
               double(irss) / 1024.0, R.samples.size(), R.runs, strays);
    }
    if (g_opt.repeat > 1) {
        printf("\nmedian ms per round:\n");
        for (auto& rt : rts) {
            printf("%s ", padded(rt.name).c_str());
            for (double m : res[rt.name].round_medians)
                printf(" %7.2f", m);
            printf("\n");
        }
    }
    for (auto& rt : rts) {
        int unreaped = 0;
        for (auto& a : res[rt.name].samples)
            unreaped += a.init_unreaped;
        if (unreaped)
            printf("warning: %s: %d container inits were not reparented to the driver (their CPU is not "
                   "counted)\n", rt.name.c_str(), unreaped);
    }
    for (auto& rt : rts)
        print_failures(rt.name, "failure", res[rt.name].failures);
    fflush(stdout);
}

// ------------------------------------------------------------------------------------------
// Mode 2: P containers at once per runtime

struct ParResult {
    double all_exited_ms = 0, delete_ms = 0, cpu_ms = 0;
    int ok = 0, failed = 0, strays = 0;
    std::vector<std::string> errors;
    Leftovers left;
};
std::map<std::string, std::vector<ParResult>> g_par;

ParResult run_parallel(const Runtime& rt, int round) {
    ParResult R;
    int P = g_opt.parallel;
    std::string prefix = rt.name + "-p" + std::to_string(round) + "-";
    enum Phase { Create, Start, Init };
    struct Ctr {
        std::string id;
        pid_t init = -1;
        bool created = false, start_done = false, exited = false, failed = false, done = false;
        std::string err;
    };
    std::vector<Ctr> c(static_cast<size_t>(P));
    for (int i = 0; i < P; i++) {
        c[size_t(i)].id = prefix + std::to_string(i);
        write_bundle(c[size_t(i)].id);
        unlink(pid_file(c[size_t(i)].id).c_str());
    }
    std::map<pid_t, std::pair<size_t, Phase>> who;
    size_t pending = size_t(P);
    double t0 = 0, t_end = 0;
    // a container is done when it failed, or when its init exited and its `start` returned
    auto check_done = [&](size_t i) {
        if (!c[i].done && (c[i].failed || (c[i].exited && c[i].start_done))) {
            c[i].done = true;
            pending--;
            t_end = now_ms();
        }
    };
    auto fail = [&](size_t i, const std::string& err) {
        if (!c[i].failed) {
            c[i].failed = true;
            c[i].err = err;
        }
        check_done(i);
    };
    off_t lp = log_pos(rt);
    t0 = t_end = now_ms();
    for (size_t i = 0; i < size_t(P); i++) {
        pid_t p = spawn(rt, {"create", "--bundle", bundle_dir(c[i].id), "--pid-file", pid_file(c[i].id), c[i].id});
        if (p > 0)
            who[p] = {i, Create};
        else
            fail(i, "spawn: " + errstr());
    }
    g_alarm = 0;
    alarm(unsigned(g_opt.timeout));
    while (pending > 0) {
        int st;
        rusage ru;
        pid_t p = wait4(-1, &st, 0, &ru);
        if (p < 0) {
            if (errno == EINTR && !g_alarm)
                continue;
            break;  // timeout, or no children left
        }
        R.cpu_ms += cpu_ms(ru);
        auto it = who.find(p);
        if (it == who.end()) {
            R.strays++;
            continue;
        }
        auto [i, phase] = it->second;
        who.erase(it);
        Exit x;
        x.status = st;
        if (phase == Create) {
            if (!x.ok()) {
                fail(i, "create: " + x.describe());
                continue;
            }
            c[i].created = true;
            c[i].init = read_pid(pid_file(c[i].id));
            if (c[i].init <= 0) {
                fail(i, "create: no pid in --pid-file");
                continue;
            }
            who[c[i].init] = {i, Init};
            pid_t sp = spawn(rt, {"start", c[i].id});
            if (sp > 0)
                who[sp] = {i, Start};
            else
                fail(i, "spawn start: " + errstr());
        } else if (phase == Start) {
            c[i].start_done = true;
            if (!x.ok())
                fail(i, "start: " + x.describe());
            check_done(i);
        } else {
            c[i].exited = true;
            if (!x.ok())
                fail(i, "container: " + x.describe());
            check_done(i);
        }
    }
    alarm(0);
    bool timed_out = pending > 0;
    R.all_exited_ms = t_end - t0;
    for (auto& [pid, w] : who) {  // timed out: stop the stragglers
        if (w.second != Init) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        if (!c[w.first].done)
            fail(w.first, "timed out");
    }

    // delete them all, in parallel too (--force for the failed ones)
    std::vector<std::vector<std::string>> dels;
    std::vector<size_t> del_idx;
    for (size_t i = 0; i < c.size(); i++) {
        if (c[i].created || c[i].failed) {
            if (c[i].failed)
                dels.push_back({"delete", "--force", c[i].id});
            else
                dels.push_back({"delete", c[i].id});
            del_idx.push_back(i);
        }
    }
    double td = now_ms();
    auto dres = run_jobs(rt, dels, P, g_opt.timeout, [&](pid_t p, int, const rusage& ru) {
        R.cpu_ms += cpu_ms(ru);
        if (!who.count(p))
            R.strays++;
    });
    R.delete_ms = now_ms() - td;
    for (size_t j = 0; j < dres.size(); j++) {
        R.cpu_ms += cpu_ms(dres[j].ru);
        size_t i = del_idx[j];
        if (!dres[j].ok() && c[i].created)
            fail(i, "delete: " + dres[j].describe());
    }
    usleep(50000);
    R.strays += reap_strays(&R.cpu_ms);
    for (auto& x : c) {
        if (x.failed) {
            R.failed++;
            if (R.errors.size() < 5)
                R.errors.push_back(x.id + ": " + x.err);
        } else {
            R.ok++;
        }
        remove_bundle(x.id);
    }
    if (timed_out)
        R.errors.push_back("timed out after " + std::to_string(g_opt.timeout) + " s");
    if (R.failed) {
        std::string msg = log_since(rt, lp);
        if (!msg.empty())
            R.errors.push_back("log: " + msg);
    }
    R.left = leftovers(rt, prefix);
    return R;
}

void mode_parallel() {
    auto& rts = g_opt.rts;
    printf("\n== parallel: %d containers started at once per runtime (each its own create, then start as "
           "soon as its create returns), %d round%s\n",
           g_opt.parallel, g_opt.repeat, g_opt.repeat > 1 ? "s" : "");
    fflush(stdout);
    for (int r = 0; r < g_opt.repeat && !g_stop; r++)
        for (size_t j = 0; j < rts.size() && !g_stop; j++) {
            const Runtime& rt = rts[(size_t(r) + j) % rts.size()];
            g_par[rt.name].push_back(run_parallel(rt, r));
        }
    printf("%s  round  all_exited_ms  delete_all_ms  cpu_ms/ctr   ok  failed  leftovers\n",
           header_pad("runtime").c_str());
    for (auto& rt : rts) {
        int r = 0;
        for (auto& R : g_par[rt.name]) {
            printf("%s  %5d  %13.1f  %13.1f  %10.2f  %3d  %6d  %s\n", padded(rt.name).c_str(), ++r, R.all_exited_ms,
                   R.delete_ms, R.cpu_ms / double(g_opt.parallel), R.ok, R.failed, R.left.describe().c_str());
            for (auto& e : R.errors)
                printf("         ! %s\n", e.c_str());
        }
    }
    fflush(stdout);
}

// ------------------------------------------------------------------------------------------
// Mode 3: `list` with C created containers

struct ListResult {
    int created = 0, listed = 0;
    double median = 0, min = 0, max = 0, cpu = 0, rss_mb = 0, create_s = 0;
    bool ok = true;
    std::vector<std::string> errors;
    Leftovers left;
};
std::map<std::string, ListResult> g_list;

ListResult run_list(const Runtime& rt) {
    ListResult L;
    int C = g_opt.list_count;
    std::string prefix = rt.name + "-l";
    std::vector<std::string> ids;
    std::vector<std::vector<std::string>> jobs;
    for (int i = 0; i < C; i++) {
        ids.push_back(prefix + std::to_string(i));
        write_bundle(ids.back());
        jobs.push_back({"create", "--bundle", bundle_dir(ids.back()), ids.back()});
    }
    off_t lp = log_pos(rt);
    double t0 = now_ms();
    int early_exits = 0;
    auto cres = run_jobs(rt, jobs, g_opt.concurrency, g_opt.timeout,
                         [&](pid_t, int, const rusage&) { early_exits++; });
    L.create_s = (now_ms() - t0) / 1e3;
    for (auto& x : cres)
        if (x.ok())
            L.created++;
    if (L.created != C) {
        L.ok = false;
        L.errors.push_back(std::to_string(C - L.created) + " creates failed: " + log_since(rt, lp));
    }

    if (!g_opt.list_hook.empty()) {
        // for profiling: run a command while the containers exist (BENCH_RUNTIME, BENCH_ROOT set)
        setenv("BENCH_RUNTIME", rt.path.c_str(), 1);
        setenv("BENCH_ROOT", rt.root.c_str(), 1);
        fflush(stdout);
        pid_t h = fork();
        if (h == 0) {
            execl("/bin/sh", "sh", "-c", g_opt.list_hook.c_str(), (char*)nullptr);
            _exit(127);
        }
        int st;
        while (waitpid(h, &st, 0) < 0 && errno == EINTR) {
        }
    }

    std::string out = g_opt.workdir + "/list.out";
    std::vector<double> wall, cpu;
    long rss = 0;
    int runs = g_opt.list_runs * g_opt.repeat;
    for (int r = -1; r < runs && !g_stop; r++) {  // r == -1: warm-up
        int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        double a = now_ms();
        Exit x = wait_for(spawn(rt, {"list"}, fd), g_opt.timeout);
        double b = now_ms();
        close(fd);
        if (!x.ok()) {
            L.ok = false;
            L.errors.push_back("list: " + x.describe() + " [" + shell_join(rt_argv(rt, {"list"})) + "]");
            break;
        }
        if (r < 0) {
            std::string o = read_file(out, 64 << 20);
            size_t pos = 0;
            while ((pos = o.find(prefix, pos)) != std::string::npos) {
                if (pos == 0 || o[pos - 1] == '\n')
                    L.listed++;
                pos++;
            }
            continue;
        }
        wall.push_back(b - a);
        cpu.push_back(cpu_ms(x.ru));
        rss = std::max(rss, x.ru.ru_maxrss);
    }
    unlink(out.c_str());
    L.median = median(wall);
    L.min = wall.empty() ? 0 : *std::min_element(wall.begin(), wall.end());
    L.max = vmax(wall);
    L.cpu = median(cpu);
    L.rss_mb = double(rss) / 1024.0;
    if (L.listed != L.created) {
        L.ok = false;
        L.errors.push_back("list showed " + std::to_string(L.listed) + " of " + std::to_string(L.created) +
                           " containers");
    }

    std::vector<std::vector<std::string>> dels;
    for (auto& id : ids)
        dels.push_back({"delete", "--force", id});
    auto dres = run_jobs(rt, dels, g_opt.concurrency, g_opt.timeout, [](pid_t, int, const rusage&) {});
    int dfail = 0;
    for (size_t i = 0; i < dres.size(); i++)
        if (!dres[i].ok() && cres[i].ok())
            dfail++;
    if (dfail) {
        L.ok = false;
        L.errors.push_back(std::to_string(dfail) + " deletes failed");
    }
    usleep(100000);
    reap_strays(nullptr);
    for (auto& id : ids)
        remove_bundle(id);
    L.left = leftovers(rt, prefix);
    return L;
}

void mode_list() {
    printf("\n== list: `RUNTIME list` with %d created (not started) containers; median of %d runs after "
           "one warm-up\n",
           g_opt.list_count, g_opt.list_runs * g_opt.repeat);
    fflush(stdout);
    for (auto& rt : g_opt.rts) {
        if (g_stop)
            break;
        g_list[rt.name] = run_list(rt);
    }
    printf("%s  created  listed  list_median_ms  min_ms  max_ms  cpu_ms  peak_rss_MB  create_all_s  after delete\n",
           header_pad("runtime").c_str());
    for (auto& rt : g_opt.rts) {
        if (!g_list.count(rt.name))
            continue;
        auto& L = g_list[rt.name];
        printf("%s  %7d  %6d  %14.2f  %6.2f  %6.2f  %6.2f  %11.2f  %12.1f  %s\n", padded(rt.name).c_str(), L.created,
               L.listed, L.median, L.min, L.max, L.cpu, L.rss_mb, L.create_s, L.left.describe().c_str());
        for (auto& e : L.errors)
            printf("         ! %s\n", e.c_str());
    }
    fflush(stdout);
}

// ------------------------------------------------------------------------------------------
// Mode 4: one figure per operation a caller makes (issue 18)
//
// Each cycle, per runtime (runtimes interleaved, the order rotated each cycle like `seq`):
//   1. `run` of the /bin/true bundle, in the foreground (what a person types);
//   2. container A, the same bundle: `create`, `start`, wait for its exit, `delete` (the three
//      invocations the `seq` mode times; their sum is what `run` is compared with);
//   3. container B, the bundle with `sleep 600` (created and started untimed): `state`,
//      `ps --format json` (what containerd's shim calls; runc's default table format would time
//      /bin/ps), `exec` of /bin/true, `pause`, `resume`, `kill` (SIGKILL: sleep as pid 1 of its
//      pid namespace ignores SIGTERM); then, untimed, wait for its exit and `delete`.
// Each operation's CPU is its wait4 rusage (with the children it reaped itself) plus any process
// reparented to the driver meanwhile; its RSS, that rusage's ru_maxrss.

const std::vector<std::string> kOps = {"run",   "exec", "create", "start", "kill",
                                       "delete", "state", "ps",    "pause", "resume"};

struct OpStats {
    std::vector<double> wall, cpu;
    long rss = 0;
};

struct OpsResult {
    std::map<std::string, OpStats> op;
    std::vector<double> csd_wall, csd_cpu;  // container A: create .. delete returned, incl. its init
    std::vector<double> init_cpu;            // container A's init: runtime code before exec + /bin/true
    long init_rss = 0;
    std::vector<std::string> failures;
    int cycles = 0, strays = 0;  // strays: other processes reparented to the driver (normally 0)
};
std::map<std::string, OpsResult> g_ops;
bool g_ops_run = true, g_ops_exec = true;  // --mode run: parts 1-2 only; --mode exec: part 3 only
std::string g_long_template;               // the template with process.args = sleep 600

// The /bin/true template with `sleep 600` instead: container B must stay up for exec, ps, pause...
std::string long_running_template(const std::string& t) {
    const std::string from = "\"/bin/true\"";
    auto at = t.find(from);
    if (at == std::string::npos || t.find(from, at + 1) != std::string::npos)
        die("config template: expected \"/bin/true\" exactly once in process.args");
    std::string out = t;
    out.replace(at, from.size(), "\"/bin/sleep\", \"600\"");
    return out;
}

void write_bundle_from(const std::string& id, const std::string& tmpl) {
    std::string saved = g_template;
    g_template = tmpl;
    write_bundle(id);
    g_template = saved;
}

// One cycle for RT, in three parts; false (and a line in R.failures per failed part) if an
// operation failed: that part's containers are then `delete --force`d and its figures dropped.
bool ops_cycle(const Runtime& rt, const std::string& tag, OpsResult& R) {
    struct Timed {
        double wall, cpu;
        long rss;
    };
    std::map<std::string, Timed> got;
    std::string err;
    std::vector<std::string> live;  // containers that may exist in the runtime's state
    off_t lp = log_pos(rt);
    double csd_wall = 0, csd_cpu = 0, init_cpu = 0;
    long init_rss = 0;
    pid_t init = -1;

    auto op = [&](const std::string& name, std::vector<std::string> args, int out_fd = -1) {
        double a = now_ms();
        Exit x = wait_for(spawn(rt, args, out_fd), g_opt.timeout);
        double b = now_ms();
        double cpu = cpu_ms(x.ru);
        // Another child of ours that ended meanwhile is the operation's (e.g. an init `run`
        // left to us), unless a container init is pending: that one is reaped by reap_init,
        // and anything else once the part is over (counted as strays).
        if (init <= 0)
            reap_strays(&cpu);
        if (!name.empty())
            got[name] = {b - a, cpu, x.ru.ru_maxrss};
        if (!x.ok())
            err = args[0] + ": " + x.describe() + " [" + shell_join(rt_argv(rt, args)) + "]";
        return x.ok();
    };
    auto reap_init = [&](const std::string& what) {
        Exit ie = wait_init(init, g_opt.timeout);
        init = -1;
        init_cpu = cpu_ms(ie.ru);
        init_rss = ie.ru.ru_maxrss;
        if (ie.timed_out)
            err = what + ": did not exit";
        return !ie.timed_out;
    };
    auto create = [&](const std::string& name, const std::string& id) {
        std::string pidf = pid_file(id);
        unlink(pidf.c_str());
        live.push_back(id);
        if (!op(name, {"create", "--bundle", bundle_dir(id), "--pid-file", pidf, id}))
            return false;
        if ((init = read_pid(pidf)) <= 0)
            err = "create: no pid in --pid-file";
        return init > 0;
    };

    auto part_run = [&] {
        std::string id = rt.name + "-or" + tag;
        write_bundle_from(id, g_template);
        live.push_back(id);  // `run` deletes it when it exits; --force below only if it failed
        return op("run", {"run", "--bundle", bundle_dir(id), id});
    };
    auto part_csd = [&] {
        std::string id = rt.name + "-oa" + tag;
        write_bundle_from(id, g_template);
        double t0 = now_ms();
        if (!create("create", id) || !op("start", {"start", id}))
            return false;
        bool exited = reap_init("container A");
        if (!exited)
            return false;
        if (!op("delete", {"delete", id}))
            return false;
        csd_wall = now_ms() - t0;
        csd_cpu = got["create"].cpu + got["start"].cpu + got["delete"].cpu + init_cpu;
        return true;
    };
    auto part_running = [&] {
        std::string id = rt.name + "-ob" + tag;
        write_bundle_from(id, g_long_template);
        bool ok = create("", id) && op("", {"start", id}) && op("state", {"state", id}) &&
                  op("ps", {"ps", "--format", "json", id}) && op("exec", {"exec", id, "/bin/true"}) &&
                  op("pause", {"pause", id}) && op("resume", {"resume", id}) && op("kill", {"kill", id, "KILL"});
        if (!ok)
            return false;
        Exit ie = wait_init(init, g_opt.timeout);
        init = -1;
        if (ie.timed_out) {
            err = "container B: did not exit after kill";
            return false;
        }
        return op("", {"delete", id});
    };

    // Each part on its own: a failed part (its figures dropped, its containers force-deleted)
    // does not cost the others theirs.
    auto attempt = [&](auto&& part) {
        got.clear();
        live.clear();
        err.clear();
        lp = log_pos(rt);
        bool ok = part();
        R.strays += reap_strays(nullptr);
        if (!ok) {
            std::string msg = log_since(rt, lp);
            R.failures.push_back(err + (msg.empty() ? "" : ": " + msg));
            thaw_all();  // container B may have been left paused
            for (auto& id : live)
                if (access((rt.root + "/" + id).c_str(), F_OK) == 0)
                    wait_for(spawn(rt, {"delete", "--force", id}), 20);
            if (init > 0)
                wait_init(init, 5);
            init = -1;
            reap_strays(nullptr);
        }
        for (auto& id : live)
            remove_bundle(id);
        if (!ok)
            return false;
        for (auto& [name, t] : got) {
            auto& S = R.op[name];
            S.wall.push_back(t.wall);
            S.cpu.push_back(t.cpu);
            S.rss = std::max(S.rss, t.rss);
        }
        return true;
    };
    bool ok = true;
    if (g_ops_run) {
        ok = attempt(part_run) && ok;
        if (attempt(part_csd)) {
            R.csd_wall.push_back(csd_wall);
            R.csd_cpu.push_back(csd_cpu);
            R.init_cpu.push_back(init_cpu);
            R.init_rss = std::max(R.init_rss, init_rss);
        } else {
            ok = false;
        }
    }
    if (g_ops_exec)
        ok = attempt(part_running) && ok;
    return ok;
}

double mean(const std::vector<double>& v) {
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

// The kernel floor of `run` (bench/floor.c): a hard-coded program that runs the same /bin/true
// container making only the system calls its config needs. Timed like a runtime's `run` (spawn,
// wait4 rusage incl. the container it reaps), in the same rotation; its cgroup is
// /myrt-bench/kernel-floor-<n>. The first failure disables it and gives the reason, which is
// printed instead of its figures: the floor never makes the benchmark fail.
struct KernelFloor {
    bool on = false;
    std::string rootfs, reason, log;
    int logfd = -1;
    std::vector<double> wall, cpu;
};
KernelFloor g_floor;

// root.path of the config template (scripts/bench writes it with jq: "root": { "path": "/..." })
std::string template_rootfs(const std::string& t) {
    auto r = t.find("\"root\"");
    auto p = r == std::string::npos ? r : t.find("\"path\"", r);
    auto q1 = p == std::string::npos ? p : t.find('"', p + 6);
    auto q2 = q1 == std::string::npos ? q1 : t.find('"', q1 + 1);
    return q2 == std::string::npos ? "" : t.substr(q1 + 1, q2 - q1 - 1);
}

void floor_setup() {
    g_floor.on = false;
    if (!g_opt.kernel_floor_unavailable.empty()) {
        g_floor.reason = g_opt.kernel_floor_unavailable;
        return;
    }
    if (g_opt.kernel_floor.empty()) {
        g_floor.reason = "no --kernel-floor binary given";
        return;
    }
    g_floor.rootfs = template_rootfs(g_template);
    if (g_floor.rootfs.empty() || g_floor.rootfs[0] != '/') {
        g_floor.reason = "no absolute root.path in the config template";
        return;
    }
    g_floor.log = g_opt.workdir + "/kernel-floor.log";
    g_floor.logfd = open(g_floor.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    g_floor.on = g_floor.logfd >= 0;
    if (!g_floor.on)
        g_floor.reason = "cannot open " + g_floor.log;
}

void floor_cycle(const std::string& tag, bool timed) {
    if (!g_floor.on)
        return;
    std::vector<std::string> argv = {g_opt.kernel_floor, g_floor.rootfs, cgroup_path("kernel-floor-" + tag)};
    off_t lp = lseek(g_floor.logfd, 0, SEEK_END);
    double a = now_ms();
    Exit x = wait_for(spawn_argv(argv, -1, g_floor.logfd), g_opt.timeout);
    double b = now_ms();
    double cpu = cpu_ms(x.ru);
    reap_strays(&cpu);
    if (!x.ok()) {
        std::string all = read_file(g_floor.log);
        std::string msg = off_t(all.size()) > lp ? trim(all.substr(size_t(lp))) : "";
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        g_floor.on = false;
        g_floor.reason = shell_join(argv) + ": " + x.describe() + (msg.empty() ? "" : ": " + msg);
        return;
    }
    if (timed) {
        g_floor.wall.push_back(b - a);
        g_floor.cpu.push_back(cpu);
    }
}

void print_floor() {
    if (!g_floor.on || g_floor.cpu.empty()) {
        printf("kernel floor: not measured (%s)\n", g_floor.reason.empty() ? "no cycle ran" : g_floor.reason.c_str());
        return;
    }
    double fw = median(g_floor.wall), fc = mean(g_floor.cpu);
    printf("kernel floor for run (bench/floor.c: only the syscalls the config needs): wall %.2f ms, cpu %.2f ms", fw,
           fc);
    auto cpu_of = [](const std::string& name) {
        return g_ops.count(name) && g_ops[name].op.count("run") ? mean(g_ops[name].op["run"].cpu) : 0.0;
    };
    double base = cpu_of(g_opt.baseline), me = cpu_of("myrt");
    if (base > 0)
        printf(" = %.2f x %s's run CPU", fc / base, g_opt.baseline.c_str());
    if (me > 0)
        printf(", myrt run = %.2f x the floor", me / fc);
    printf(" (%zu runs)\n", g_floor.cpu.size());
    if (base > 0) {
        printf("  so myrt run CPU <= 0.5x %s (%.2f ms) %s: the floor leaves %.2f ms for all a runtime adds",
               g_opt.baseline.c_str(), 0.5 * base, fc < 0.5 * base ? "is reachable" : "is NOT reachable on this host",
               0.5 * base - fc);
        if (me > 0)
            printf(" (myrt adds %.2f ms now)", me - fc);
        printf("\n");
    }
}

void mode_ops() {
    auto& rts = g_opt.rts;
    size_t k = rts.size();
    if (g_ops_run)
        floor_setup();
    // the floor takes a turn in the rotation (slot k) when it is measured
    size_t slots = k + (g_floor.on ? 1 : 0);
    g_long_template = long_running_template(g_template);
    printf("\n== per operation: %d cycles per runtime, interleaved round-robin (order rotated each cycle), "
           "%d untimed warm-up each; a cycle: %s%s\n",
           g_opt.n * g_opt.repeat, g_opt.warmup,
           g_ops_run ? (g_ops_exec ? "`run` (/bin/true, foreground), create+start+wait+delete of /bin/true; "
                                   : "`run` (/bin/true, foreground), create+start+wait+delete of /bin/true")
                     : "",
           g_ops_exec ? "on a running `sleep 600`: state, ps --format json, exec /bin/true, pause, resume, kill KILL"
                      : "");
    fflush(stdout);
    OpsResult warm;
    for (int w = 0; w < g_opt.warmup && !g_stop; w++) {
        floor_cycle("w" + std::to_string(w), false);
        for (size_t j = 0; j < k && !g_stop; j++) {
            warm.failures.clear();
            ops_cycle(rts[j], "w" + std::to_string(w), warm);
            for (auto& f : warm.failures)
                g_ops[rts[j].name].failures.push_back("warm-up: " + f);
        }
    }
    int total = g_opt.n * g_opt.repeat;
    for (int i = 0; i < total && !g_stop; i++) {
        for (size_t j = 0; j < slots && !g_stop; j++) {
            size_t slot = (size_t(i) + j) % slots;
            if (slot == k) {
                floor_cycle(std::to_string(i), true);
                continue;
            }
            const Runtime& rt = rts[slot];
            g_ops[rt.name].cycles++;
            ops_cycle(rt, std::to_string(i), g_ops[rt.name]);
        }
        if ((i + 1) % 10 == 0 && isatty(2))
            fprintf(stderr, "\r  cycle %d/%d", i + 1, total);
    }
    if (isatty(2))
        fprintf(stderr, "\r%40s\r", "");
    if (g_stop)
        printf("(interrupted: partial results)\n");

    const std::string& base = g_opt.baseline;
    printf("wall: median and p90 ms; cpu: mean ms (user+system); rss: peak MB (ru_maxrss); ratios against %s\n",
           base.c_str());
    printf("%-8s %s  wall_med  wall_p90   cpu_ms  rss_MB  | vs %s: wall   cpu   rss |  ok\n", "op",
           header_pad("runtime").c_str(), base.c_str());
    auto row = [&](const std::string& label, const std::string& rtname, const std::vector<double>& wall,
                   const std::vector<double>& cpu, long rss, const std::vector<double>& bwall,
                   const std::vector<double>& bcpu, long brss, int ok, int runs) {
        printf("%-8s %s  %8.2f  %8.2f  %7.2f  %6.2f  | %*s  %s  %s  %s | %3d/%-3d\n", label.c_str(),
               padded(rtname).c_str(), median(wall), percentile(wall, 90), mean(cpu), double(rss) / 1024.0,
               int(base.size()) + 3, "", fmt_ratio(median(wall), median(bwall)).c_str(),
               fmt_ratio(mean(cpu), mean(bcpu)).c_str(), fmt_ratio(double(rss), double(brss)).c_str(), ok, runs);
    };
    OpsResult none;
    const OpsResult& B = g_ops.count(base) ? g_ops[base] : none;
    for (auto& name : kOps) {
        bool first = true;
        for (auto& rt : rts) {
            auto& R = g_ops[rt.name];
            if (!R.op.count(name))
                continue;
            auto& S = R.op[name];
            OpStats empty;
            auto& BS = B.op.count(name) ? B.op.at(name) : empty;
            row(first ? name : "", rt.name, S.wall, S.cpu, S.rss, BS.wall, BS.cpu, BS.rss, int(S.wall.size()),
                R.cycles);
            first = false;
        }
    }
    if (g_ops_run) {
        printf("\ncreate+start+delete of the same /bin/true container, three invocations (create started -> "
               "delete returned, incl. the wait for its exit; cpu incl. the container's init, as `run`'s rusage "
               "includes it), against `run`:\n");
        printf("%s  c+s+d_wall_med  run_wall_med  run/c+s+d | c+s+d_cpu  run_cpu  run/c+s+d | init_cpu  init_rss_MB\n",
               header_pad("runtime").c_str());
        for (auto& rt : rts) {
            auto& R = g_ops[rt.name];
            if (R.csd_wall.empty())
                continue;
            auto& run = R.op["run"];
            printf("%s  %14.2f  %12.2f  %9s | %9.2f  %7.2f  %9s | %8.2f  %11.2f\n", padded(rt.name).c_str(),
                   median(R.csd_wall), median(run.wall), fmt_ratio(median(run.wall), median(R.csd_wall)).c_str(),
                   mean(R.csd_cpu), mean(run.cpu), fmt_ratio(mean(run.cpu), mean(R.csd_cpu)).c_str(),
                   mean(R.init_cpu), double(R.init_rss) / 1024.0);
        }
        print_floor();
    }
    for (auto& rt : rts)
        if (g_ops[rt.name].strays)
            printf("warning: %s: %d processes other than the runtime's own were reparented to the driver (their "
                   "CPU is not counted)\n", rt.name.c_str(), g_ops[rt.name].strays);
    for (auto& rt : rts)
        print_failures(rt.name, "failed part", g_ops[rt.name].failures);
    fflush(stdout);
}

// Issue 18's targets, per operation: myrt <= 0.5x crun wall and CPU, peak RSS <= crun's; `run`
// within 10% of create+start+delete (taken as: not more than 10% slower; faster passes).
// A benchmark reports: MISS does not change the exit status.
void print_ops_targets() {
    const std::string me = "myrt", base = "crun";
    if (!g_ops.count(me) || !g_ops.count(base))
        return;
    auto& M = g_ops[me];
    auto& C = g_ops[base];
    printf("\n== issue 18 targets (per operation, myrt against crun, this run)\n");
    auto line = [](const std::string& what, const std::string& value, bool pass) {
        printf("  %-44s %-32s %s\n", what.c_str(), value.c_str(), pass ? "PASS" : "MISS");
    };
    char b[128];
    int pass = 0, all = 0;
    for (auto& name : kOps) {
        if (!M.op.count(name) || !C.op.count(name) || M.op[name].wall.empty() || C.op[name].wall.empty())
            continue;
        auto& m = M.op[name];
        auto& c = C.op[name];
        double mw = median(m.wall), cw = median(c.wall), mc = mean(m.cpu), cc = mean(c.cpu);
        snprintf(b, sizeof b, "%.2fx (%.2f vs %.2f ms)", mw / cw, mw, cw);
        line(name + ": wall <= 0.5x crun", b, mw <= 0.5 * cw);
        snprintf(b, sizeof b, "%.2fx (%.2f vs %.2f ms)", mc / cc, mc, cc);
        line(name + ": CPU <= 0.5x crun", b, mc <= 0.5 * cc);
        snprintf(b, sizeof b, "%.2f vs %.2f MB", double(m.rss) / 1024.0, double(c.rss) / 1024.0);
        line(name + ": peak RSS <= crun's", b, m.rss <= c.rss);
        pass += (mw <= 0.5 * cw) + (mc <= 0.5 * cc) + (m.rss <= c.rss);
        all += 3;
    }
    if (!M.csd_wall.empty() && M.op.count("run")) {
        double r = median(M.op["run"].wall), s = median(M.csd_wall);
        snprintf(b, sizeof b, "%.2fx (%.2f vs %.2f ms)", r / s, r, s);
        line("run wall within 10% of create+start+delete", b, r <= 1.1 * s);
        pass += r <= 1.1 * s;
        all++;
    }
    printf("  %d of %d targets met\n", pass, all);
}

// ------------------------------------------------------------------------------------------
// Targets (issue 4)

void print_targets() {
    const std::string me = "myrt";
    bool have_me = std::any_of(g_opt.rts.begin(), g_opt.rts.end(), [&](auto& r) { return r.name == me; });
    if (!have_me || (g_seq_summary.empty() && g_par.empty() && g_list.empty()))
        return;  // (the ops mode alone has issue 18's targets, printed after these)
    printf("\n== issue 4 targets\n");
    auto line = [](const std::string& what, const std::string& value, bool pass) {
        printf("  %-52s %-28s %s\n", what.c_str(), value.c_str(), pass ? "PASS" : "FAIL");
    };
    char b[128];
    if (g_seq_summary.count(me) && g_seq_summary.count("crun") && g_seq_summary["crun"].median > 0) {
        auto& m = g_seq_summary[me];
        auto& c = g_seq_summary["crun"];
        snprintf(b, sizeof b, "%.2fx (%.2f vs %.2f ms)", m.median / c.median, m.median, c.median);
        line("myrt wall time per container <= 0.7x crun", b, m.median <= 0.7 * c.median);
        snprintf(b, sizeof b, "%.2fx (%.2f vs %.2f ms)", m.cpu / c.cpu, m.cpu, c.cpu);
        line("myrt CPU per container <= 0.7x crun", b, m.cpu <= 0.7 * c.cpu);
        snprintf(b, sizeof b, "%.2f vs %.2f MB", m.rss_mb, c.rss_mb);
        line("myrt peak RSS <= crun's", b, m.rss_mb <= c.rss_mb);
    }
    if (g_par.count(me)) {
        bool all = true;
        int ok = 0, n = 0;
        for (auto& R : g_par[me]) {
            all = all && R.failed == 0 && R.left.none() && R.ok == g_opt.parallel;
            ok += R.ok;
            n += g_opt.parallel;
        }
        snprintf(b, sizeof b, "%d/%d ok%s", ok, n, all ? ", nothing left" : "");
        line(std::to_string(g_opt.parallel) + " concurrent containers all succeed, nothing left", b, all);
    }
    if (g_list.count(me)) {
        auto& L = g_list[me];
        snprintf(b, sizeof b, "%.2f ms (%d containers)", L.median, L.created);
        line("myrt list with " + std::to_string(g_opt.list_count) + " containers < 50 ms", b,
             L.ok && L.median < 50.0 && L.created == g_opt.list_count);
    }
}

// ------------------------------------------------------------------------------------------
// Setup

std::string first_line_of(const std::string& cmd) {
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
        char buf[512];
        if (fgets(buf, sizeof buf, f))
            out = trim(buf);
        while (fgets(buf, sizeof buf, f)) {
        }
        pclose(f);
    }
    return out;
}

std::string fs_name(const std::string& path) {
    struct statfs fs {};
    statfs(path.c_str(), &fs);
    switch (long(fs.f_type)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    default: return "filesystem type 0x" + [&] { char b[32]; snprintf(b, sizeof b, "%lx", long(fs.f_type)); return std::string(b); }();
    }
}

// ru_maxrss of a tiny static program spawned exactly like the runtimes: the lowest peak RSS the
// driver can report (the pages a fork copies count towards the child's peak).
double rss_floor_mb() {
    if (g_opt.floor_binary.empty())
        return 0;
    long best = 0;
    for (int i = 0; i < 3; i++) {
        Exit x = wait_for(spawn_argv({g_opt.floor_binary, "true"}, -1, -1), 10);
        best = std::max(best, x.ru.ru_maxrss);
    }
    return double(best) / 1024.0;
}

void print_load(const char* when) {
    double l[3] = {0, 0, 0};
    getloadavg(l, 3);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("load average %s: %.2f %.2f %.2f%s\n", when, l[0], l[1], l[2],
           l[0] > 0.5 * double(ncpu) ? "  (WARNING: the host is busy; timings are noisy)" : "");
}

void setup_namespace() {
    if (unshare(CLONE_NEWNS) != 0)
        die("unshare(CLONE_NEWNS): " + errstr());
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        die("make / rprivate: " + errstr());
    struct statfs root_fs, uni_fs;
    bool root_v2 = statfs("/sys/fs/cgroup", &root_fs) == 0 && long(root_fs.f_type) == kCgroup2Magic;
    if (!root_v2 && statfs("/sys/fs/cgroup/unified", &uni_fs) == 0 && long(uni_fs.f_type) == kCgroup2Magic) {
        g_hidden_unified = open("/sys/fs/cgroup/unified", O_PATH | O_DIRECTORY | O_CLOEXEC);
        // Detached, not only covered: a covered mount is still in /proc/self/mountinfo, and a
        // runtime that reads it (myrt does) would take the tmpfs for the v2 hierarchy. The fd
        // above keeps the detached hierarchy reachable for the leftover checks.
        if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0)
            die("detach /sys/fs/cgroup/unified: " + errstr());
        // and a tmpfs in its place: crun mkdirs there, which must not land in the host's dir
        if (mount("none", "/sys/fs/cgroup/unified", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") != 0)
            die("mount tmpfs on /sys/fs/cgroup/unified: " + errstr());
        g_ns_note = "all runtimes ran in a private mount namespace with the v2 mount at /sys/fs/cgroup/unified detached and an empty tmpfs in its place "
                    "(hybrid cgroup host: crun 1.8 refuses it while the v2 mount is visible), so every "
                    "runtime used the cgroup v1 hierarchies";
    } else {
        g_ns_note = std::string("all runtimes ran in a private mount namespace; cgroups: ") +
                    (root_v2 ? "unified (v2)" : "v1, no v2 mount to hide");
    }
}

void usage() {
    fprintf(stderr,
            "usage: driver --workdir DIR --config TEMPLATE --runtime NAME=PATH... [--mode seq|parallel|list|ops|run|exec|all]\n"
            "              [--n N] [--repeat R] [--warmup W] [--parallel P] [--list-count C] [--list-runs K]\n"
            "              [--concurrency K] [--timeout S] [--baseline NAME] [--cleanup-only]\n"
            "              [--state-tmpfs] [--rss-floor-binary STATIC-BUSYBOX] [--list-hook SHELL-CMD]  (list mode, for profiling: run with the containers created;\n"
            "                                        $BENCH_RUNTIME and $BENCH_ROOT are set)\n"
            "              [--kernel-floor FLOOR-BINARY | --kernel-floor-unavailable REASON]  (ops/run modes: bench/floor.c)\n");
    exit(2);
}

void parse_args(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        auto num = [&]() { return atoi(val().c_str()); };
        if (a == "--mode")
            g_opt.mode = val();
        else if (a == "--n")
            g_opt.n = num();
        else if (a == "--repeat")
            g_opt.repeat = num();
        else if (a == "--warmup")
            g_opt.warmup = num();
        else if (a == "--parallel")
            g_opt.parallel = num();
        else if (a == "--list-count")
            g_opt.list_count = num();
        else if (a == "--list-runs")
            g_opt.list_runs = num();
        else if (a == "--concurrency")
            g_opt.concurrency = num();
        else if (a == "--timeout")
            g_opt.timeout = num();
        else if (a == "--workdir")
            g_opt.workdir = val();
        else if (a == "--config")
            g_opt.config_template = val();
        else if (a == "--baseline")
            g_opt.baseline = val();
        else if (a == "--list-hook")
            g_opt.list_hook = val();
        else if (a == "--rss-floor-binary")
            g_opt.floor_binary = val();
        else if (a == "--kernel-floor")
            g_opt.kernel_floor = val();
        else if (a == "--kernel-floor-unavailable")
            g_opt.kernel_floor_unavailable = val();
        else if (a == "--cleanup-only")
            g_opt.cleanup_only = true;
        else if (a == "--state-tmpfs")
            g_opt.state_tmpfs = true;
        else if (a == "--runtime") {
            std::string v = val();
            auto eq = v.find('=');
            if (eq == std::string::npos)
                usage();
            Runtime rt;
            rt.name = v.substr(0, eq);
            rt.path = v.substr(eq + 1);
            g_opt.rts.push_back(rt);
        } else
            usage();
    }
    if (g_opt.workdir.empty() || g_opt.rts.empty() || (!g_opt.cleanup_only && g_opt.config_template.empty()))
        usage();
    if (g_opt.n < 1 || g_opt.repeat < 1 || g_opt.parallel < 1 || g_opt.list_count < 1 || g_opt.concurrency < 1)
        usage();
}

}  // namespace

int main(int argc, char** argv) {
    parse_args(argc, argv);
    setvbuf(stdout, nullptr, _IOLBF, 0);

    struct sigaction sa{};
    sa.sa_handler = on_signal;  // no SA_RESTART: wait4 returns EINTR
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGALRM})
        sigaction(s, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    g_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (g_devnull < 0)
        die("open /dev/null: " + errstr());
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        die("prctl(PR_SET_CHILD_SUBREAPER): " + errstr());
    setup_namespace();
    find_cgroup_mounts();

    std::string state_dir = g_opt.workdir;
    if (g_opt.state_tmpfs && !g_opt.cleanup_only) {
        // private to our mount namespace: if we die, it goes with it (cgroups are still cleaned)
        state_dir = g_opt.workdir + "/state";
        mkdir(state_dir.c_str(), 0700);
        if (mount("tmpfs", state_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=700") != 0)
            die("mount tmpfs on " + state_dir + ": " + errstr());
    }
    for (auto& rt : g_opt.rts)
        g_name_w = std::max(g_name_w, int(rt.name.size()));
    for (auto& rt : g_opt.rts) {
        rt.root = state_dir + "/root-" + rt.name;
        rt.log = g_opt.workdir + "/" + rt.name + ".log";
        mkdir(rt.root.c_str(), 0700);
        rt.logfd = open(rt.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (rt.logfd < 0)
            die("open " + rt.log + ": " + errstr());
    }
    if (g_opt.cleanup_only) {
        cleanup_all(true);
        return 0;
    }

    g_template = read_file(g_opt.config_template);
    if (g_template.find("@CGROUP@") == std::string::npos)
        die("config template " + g_opt.config_template + " has no \"@CGROUP@\"");
    mkdir((g_opt.workdir + "/bundles").c_str(), 0755);
    mkdir((g_opt.workdir + "/pid").c_str(), 0755);

    utsname u{};
    uname(&u);
    std::string cpu = first_line_of("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-");
    printf("host: Linux %s %s, %ld CPUs,%s\n", u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), cpu.c_str());
    for (auto& rt : g_opt.rts) {
        rt.version = first_line_of("'" + rt.path + "' --version 2>&1");
        printf("runtime %-5s %s  (%s)\n", rt.name.c_str(), rt.version.c_str(), rt.path.c_str());
    }
    printf("note: %s\n", g_ns_note.c_str());
    print_load("at start");
    if (!g_opt.floor_binary.empty())
        printf("RSS floor: %.2f MB (ru_maxrss of a static busybox `true` started the same way; peak RSS figures "
               "cannot be lower)\n", rss_floor_mb());
    printf("state dirs (--root): %s\n",
           g_opt.state_tmpfs ? "on a private tmpfs (--state-tmpfs)"
                             : ("under " + g_opt.workdir + " (" + fs_name(g_opt.workdir) + "; --state-tmpfs for a tmpfs)").c_str());
    printf("workload: /bin/true from bundles/example/rootfs; config = bundles/example/config.json with "
           "args [/bin/true], terminal false, absolute root.path, ociVersion 1.0.2 (crun 1.8 rejects 1.3.0), "
           "linux.cgroupsPath /%s/<runtime>-<n>; each runtime has its own --root\n",
           kCgroupParent);
    fflush(stdout);

    bool all = g_opt.mode == "all";
    bool ops = all || g_opt.mode == "ops" || g_opt.mode == "run" || g_opt.mode == "exec";
    if (!all && !ops && g_opt.mode != "seq" && g_opt.mode != "parallel" && g_opt.mode != "list")
        usage();
    g_ops_run = g_opt.mode != "exec";
    g_ops_exec = g_opt.mode != "run";
    if ((all || g_opt.mode == "seq") && !g_stop)
        mode_seq();
    if ((all || g_opt.mode == "parallel") && !g_stop)
        mode_parallel();
    if ((all || g_opt.mode == "list") && !g_stop)
        mode_list();
    if (ops && !g_stop)
        mode_ops();
    print_load("at end");
    if (!g_opt.floor_binary.empty())
        printf("RSS floor at end: %.2f MB\n", rss_floor_mb());
    print_targets();
    print_ops_targets();

    cleanup_all(false);
    bool clean = true;
    for (auto& rt : g_opt.rts) {
        Leftovers l = leftovers(rt, "");
        l.cgroups = leftover_cgroups("");
        if (!l.none()) {
            clean = false;
            printf("after cleanup, %s: %s\n", rt.name.c_str(), l.describe().c_str());
        }
    }
    std::vector<std::string> parents;
    for (auto& m : g_cgroup_mounts) {
        struct stat st;
        if (stat((m + "/" + kCgroupParent).c_str(), &st) == 0)
            parents.push_back(m);
    }
    if (!parents.empty()) {
        clean = false;
        printf("after cleanup: /%s still exists in %zu hierarchies\n", kCgroupParent, parents.size());
    }
    printf("\ncleanup: %s\n", clean ? "every container deleted; no state dirs, cgroups or processes left"
                                     : "INCOMPLETE (see above)");
    if (g_stop)
        printf("interrupted\n");
    return g_stop ? 130 : 0;
}
