#include "runtime/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "runtime/error.hpp"
#include "runtime/log.hpp"

namespace myrt {

namespace {

sockaddr_un unix_address(const std::string& path, socklen_t& len) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path)
        throw Error("NOTIFY_SOCKET \"" + path + "\": not a usable socket path", EINVAL);
    std::memcpy(a.sun_path, path.data(), path.size());
    if (path[0] == '@') a.sun_path[0] = '\0';  // an abstract socket
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    return a;
}

}  // namespace

void add_notify_socket(spec::Config& config, const std::string& state_dir) {
    std::string dir = state_dir + "/notify";
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + dir);
    spec::Mount m;
    m.destination = "/run/notify";
    m.type = "bind";
    m.source = dir;
    m.options = {"bind", "nosuid", "noexec", "nodev", "ro"};
    config.mounts.push_back(std::move(m));
    if (!config.process) return;
    auto& env = config.process->env;
    std::erase_if(env, [](const std::string& e) { return e.starts_with("NOTIFY_SOCKET="); });
    env.push_back(std::string("NOTIFY_SOCKET=") + kNotifyInContainer);
}

NotifyRelay::NotifyRelay(const std::string& state_dir, std::string host_socket)
    : path_(state_dir + "/notify/notify.sock"), host_(std::move(host_socket)) {
    sock_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!sock_) throw_errno("notify socket");
    ::unlink(path_.c_str());
    socklen_t len;
    sockaddr_un a = unix_address(path_, len);
    if (::bind(sock_.get(), reinterpret_cast<sockaddr*>(&a), len) < 0) throw_errno("bind " + path_);
    // Any user the container runs as may notify.
    if (::chmod(path_.c_str(), 0777) < 0) throw_errno("chmod " + path_);
}

NotifyRelay::~NotifyRelay() { ::unlink(path_.c_str()); }

void NotifyRelay::relay_ready(pid_t init, int init_pidfd) {
    if (init_pidfd < 0) return;  // init is gone already: nothing will ever be ready
    char buf[4096];
    for (;;) {
        pollfd p[2] = {{sock_.get(), POLLIN, 0}, {init_pidfd, POLLIN, 0}};
        int n = ::poll(p, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("wait for the container's READY=1");
        if (p[1].revents) return;  // init is gone: nothing will be ready
        ssize_t got = ::recv(sock_.get(), buf, sizeof buf - 1, 0);
        if (got <= 0) continue;
        std::string msg(buf, static_cast<size_t>(got));
        if (msg.find("READY=1") == std::string::npos) continue;
        // What the container said, with the pid the caller's systemd must watch.
        std::string out = "MAINPID=" + std::to_string(init) + "\n" + msg;
        UniqueFd host(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        socklen_t len;
        sockaddr_un a = unix_address(host_, len);
        if (!host || ::sendto(host.get(), out.data(), out.size(), MSG_NOSIGNAL,
                              reinterpret_cast<sockaddr*>(&a), len) < 0)
            throw_errno("NOTIFY_SOCKET \"" + host_ + "\": pass READY=1 on");
        return;
    }
}

}  // namespace myrt
