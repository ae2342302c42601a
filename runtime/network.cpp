#include "runtime/network.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"
#include "runtime/log.hpp"
#include "runtime/proc.hpp"
#include "runtime/signals.hpp"
#include "spec/parse_error.hpp"
#include "spec/slirp4netns.hpp"

namespace myrt {

namespace {

constexpr const char* kNetwork = "run.myrt.network";
constexpr const char* kPorts = "run.myrt.network.ports";
constexpr const char* kLoopback = "run.myrt.network.host-loopback";

int parse_port(std::string_view s, const std::string& spec) {
    int port = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    if (ec != std::errc() || p != s.data() + s.size() || port < 1 || port > 65535)
        throw Error(std::string("annotation ") + kPorts + ": bad port in \"" + spec + "\"", EINVAL);
    return port;
}

// [HOST_ADDR:]HOST_PORT:GUEST_PORT[/tcp|/udp]
PortForward parse_forward(const std::string& spec) {
    PortForward f;
    std::string_view rest = spec;
    if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
        f.proto = std::string(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
        if (f.proto != "tcp" && f.proto != "udp")
            throw Error(std::string("annotation ") + kPorts + ": protocol must be tcp or udp in \"" +
                            spec + "\"", EINVAL);
    }
    auto last = rest.rfind(':');
    if (last == std::string_view::npos)
        throw Error(std::string("annotation ") + kPorts + ": expected HOST_PORT:PORT in \"" + spec +
                        "\"", EINVAL);
    f.guest_port = parse_port(rest.substr(last + 1), spec);
    rest = rest.substr(0, last);
    if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        f.host_addr = std::string(rest.substr(0, colon));
        rest = rest.substr(colon + 1);
    }
    f.host_port = parse_port(rest, spec);
    return f;
}

bool has_new_netns(const spec::Config& config) {
    if (!config.linux) return false;
    for (const auto& ns : config.linux->namespaces)
        if (ns.type == "network") return !ns.path || ns.path->empty();
    return false;
}

bool find_in_path(const char* name) {
    const char* path = ::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t pos = 0;
    while (pos <= dirs.size()) {
        size_t end = dirs.find(':', pos);
        if (end == std::string::npos) end = dirs.size();
        std::string candidate = dirs.substr(pos, end - pos) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        pos = end + 1;
    }
    return false;
}

// One request per connection: the API answers and closes. Throws Error with the reply's
// error description when slirp4netns refuses the request.
void slirp_api(const std::string& socket_path, const std::string& request) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("connect to slirp4netns API " + socket_path);
    if (::write(sock.get(), request.data(), request.size()) < 0) throw_errno("slirp4netns API");
    ::shutdown(sock.get(), SHUT_WR);
    std::string reply;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(sock.get(), buf, sizeof buf)) > 0) reply.append(buf, n);
    // slirp4netns always answers: nothing at all means it died or broke the connection off.
    if (reply.empty())
        throw Error("slirp4netns closed its API socket without a reply (did it exit? see "
                    "slirp4netns.log in the container's state directory)", EPROTO);
    spec::SlirpReply r;
    try {
        r = spec::parse_slirp_reply(reply);
    } catch (const spec::ParseError& e) {
        throw Error(e.what(), EPROTO);
    }
    if (r.failed) throw Error("slirp4netns: " + (r.desc.empty() ? "request refused" : r.desc));
}

void forward_port(const std::string& socket_path, const PortForward& f) {
    std::string req = spec::add_hostfwd_request({.proto = f.proto,
                                                 .host_addr = f.host_addr,
                                                 .host_port = f.host_port,
                                                 .guest_port = f.guest_port});
    try {
        slirp_api(socket_path, req);
    } catch (const Error& e) {
        throw Error("publish " + f.host_addr + ":" + std::to_string(f.host_port) + " -> " +
                        std::to_string(f.guest_port) + "/" + f.proto + ": " + e.what(),
                    e.code());
    }
}

[[noreturn]] void exec_slirp(const NetworkRequest& r, const std::string& dir, int ready_fd,
                             int netns_fd, int userns_fd) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDWR);
    int logfd = ::open((dir + "/slirp4netns.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(logfd >= 0 ? logfd : devnull, STDOUT_FILENO);
    ::dup2(logfd >= 0 ? logfd : devnull, STDERR_FILENO);
    reset_signals_for_exec();
    std::vector<std::string> args{"slirp4netns", "--configure", "--mtu=65520",
                                  "--api-socket", dir + "/slirp.sock",
                                  "--ready-fd", std::to_string(ready_fd)};
    if (!r.host_loopback) args.push_back("--disable-host-loopback");
    args.push_back("--netns-type=path");
    if (userns_fd >= 0) args.push_back("--userns-path=/proc/self/fd/" + std::to_string(userns_fd));
    args.push_back("/proc/self/fd/" + std::to_string(netns_fd));
    args.push_back("tap0");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("slirp4netns", argv.data());
    dprintf(STDERR_FILENO, "exec slirp4netns: %s\n", errno_text(errno).c_str());
    ::_exit(127);
}

}  // namespace

NetworkRequest network_request(const spec::Config& config) {
    NetworkRequest r;
    auto it = config.annotations.find(kNetwork);
    if (it == config.annotations.end() || it->second.empty() || it->second == "none") {
        if (config.annotations.count(kPorts))
            throw Error(std::string("annotation ") + kPorts + " needs " + kNetwork +
                            "=slirp4netns", EINVAL);
        return r;
    }
    if (it->second != "slirp4netns")
        throw Error(std::string("annotation ") + kNetwork + ": unknown network \"" + it->second +
                        "\" (supported: slirp4netns)", EINVAL);
    if (!has_new_netns(config))
        throw Error(std::string("annotation ") + kNetwork +
                        "=slirp4netns needs a new network namespace in linux.namespaces", EINVAL);
    if (!find_in_path("slirp4netns"))
        throw Error("slirp4netns is not installed (package slirp4netns) but annotation " +
                        std::string(kNetwork) + " asks for it", ENOENT);
    r.slirp = true;
    if (auto lb = config.annotations.find(kLoopback); lb != config.annotations.end())
        r.host_loopback = lb->second == "true";
    if (auto p = config.annotations.find(kPorts); p != config.annotations.end()) {
        const std::string& list = p->second;
        size_t pos = 0;
        while (pos < list.size()) {
            size_t end = list.find(',', pos);
            if (end == std::string::npos) end = list.size();
            std::string one = list.substr(pos, end - pos);
            if (!one.empty()) r.ports.push_back(parse_forward(one));
            pos = end + 1;
        }
    }
    return r;
}

pid_t start_slirp(const NetworkRequest& r, const std::string& dir, int netns_fd, int userns_fd) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd rd(fds[0]), wr(fds[1]);
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork slirp4netns");
    if (child == 0) {
        // Duplicates lose close-on-exec: these are the descriptors slirp4netns inherits.
        int ready = ::fcntl(wr.get(), F_DUPFD, 3);
        int net = ::fcntl(netns_fd, F_DUPFD, 3);
        int user = userns_fd >= 0 ? ::fcntl(userns_fd, F_DUPFD, 3) : -1;
        exec_slirp(r, dir, ready, net, user);
    }
    wr.reset();
    // slirp4netns writes "1" on the ready fd once tap0 is configured; EOF means it died.
    pollfd p{rd.get(), POLLIN, 0};
    char c = 0;
    if (::poll(&p, 1, 10'000) != 1 || ::read(rd.get(), &c, 1) != 1) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        std::string log;
        try {
            log = read_file(dir + "/slirp4netns.log");
        } catch (const Error&) {
        }
        while (!log.empty() && log.back() == '\n') log.pop_back();
        for (char& ch : log)
            if (ch == '\n') ch = ' ';
        throw Error("slirp4netns did not start" + (log.empty() ? "" : ": " + log));
    }
    for (const auto& f : r.ports) {
        try {
            forward_port(dir + "/slirp.sock", f);
        } catch (...) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
            throw;
        }
    }
    return child;
}

namespace {

// Signals the process behind pidfd and waits up to timeout_ms for it to exit; false when it
// has not by then.
bool signal_and_wait(int pidfd, int sig, int timeout_ms) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0 && errno != ESRCH)
        return false;
    pollfd p{pidfd, POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    return r == 1;
}

}  // namespace

namespace {

// The helper started for the container in `dir`: slirp4netns with that directory's API
// socket. A record read back is not trusted to name it (another slirp4netns, any process).
bool is_our_helper(const std::string& cmdline, const std::string& dir) {
    std::string socket = dir + "/slirp.sock";
    bool first = true, slirp = false;
    for (size_t pos = 0; pos < cmdline.size();) {
        size_t end = cmdline.find('\0', pos);
        if (end == std::string::npos) end = cmdline.size();
        std::string_view arg(cmdline.data() + pos, end - pos);
        if (first) slirp = arg == "slirp4netns" || arg.ends_with("/slirp4netns");
        else if (slirp && arg == socket) return true;
        first = false;
        pos = end + 1;
    }
    return false;
}

}  // namespace

void stop_helper(pid_t pid, const std::string& dir) {
    if (pid <= 0) return;
    // The pidfd before the check: what is signalled below is the process checked, never a
    // later one that reused its pid since create.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) return;  // already gone
    std::string cmd;
    try {
        cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    } catch (const Error&) {
        return;
    }
    if (!is_our_helper(cmd, dir)) return;  // only ever this container's slirp4netns
    // Returning only once it has exited: until then it holds the published ports, which a
    // caller re-creating the container at once asks for again.
    if (!signal_and_wait(pidfd.get(), SIGTERM, 2000) && !signal_and_wait(pidfd.get(), SIGKILL, 2000))
        log::warn("slirp4netns " + std::to_string(pid) + " has not exited 4 s after it was killed");
    ::waitpid(pid, nullptr, WNOHANG);  // ours only when `run` started it
}

void add_slirp_resolv_conf(spec::Config& config, const std::string& dir) {
    for (const auto& m : config.mounts)
        if (m.destination == "/etc/resolv.conf") return;
    std::string file = dir + "/resolv.conf";
    write_file_atomic(file, "nameserver 10.0.2.3\n", 0644);
    spec::Mount m;
    m.destination = "/etc/resolv.conf";
    m.type = "bind";
    m.source = file;
    m.options = {"bind", "ro", "nosuid", "nodev", "noexec"};
    config.mounts.push_back(m);
}

void bring_up_loopback() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    ifreq ifr{};
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) throw_errno("get flags of lo");
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) throw_errno("bring up lo");
}

}  // namespace myrt
