#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/error.hpp"
#include "runtime/fs/safe_path.hpp"
#include "runtime/signals.hpp"
#include "runtime/sync.hpp"

namespace myrt {

UniqueFd connect_console_socket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw Error("--console-socket \"" + path + "\": path too long");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("connect to --console-socket \"" + path + "\"");
    return sock;
}

void send_fd(int sock, int fd, const std::string& name) {
    iovec iov{const_cast<char*>(name.data()), name.size()};
    if (send_with_fd(sock, &iov, 1, fd) < 0) throw_errno("send terminal to the console socket");
}

UniqueFd receive_fd(int sock) {
    char buf[256];
    iovec iov{buf, sizeof buf};
    UniqueFd fd;
    if (receive_with_fd(sock, &iov, 1, fd) < 0) throw_errno("receive terminal");
    if (!fd) throw Error("receive terminal: no descriptor");
    return fd;
}

void setup_container_terminal(int console_sock, const std::optional<spec::ConsoleSize>& size,
                              uint32_t uid, bool bind_console) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("open /dev/ptmx in the container");
    if (::unlockpt(master.get()) < 0) throw_errno("unlockpt");
    // TIOCGPTPEER opens the slave through the master, never by a path the container owns.
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("open the terminal's slave");
    if (size) {
        winsize ws{static_cast<unsigned short>(size->height),
                   static_cast<unsigned short>(size->width), 0, 0};
        ::ioctl(slave.get(), TIOCSWINSZ, &ws);
    }
    // The group stays the one devpts gave it (its gid= option, tty in every engine's
    // config), as runc does: "mesg" and "write" rely on it.
    if (::fchown(slave.get(), uid, static_cast<gid_t>(-1)) < 0 && errno != EINVAL && errno != EPERM)
        throw_errno("chown the terminal");
    if (bind_console) {
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        UniqueFd target = make_mount_target(root.get(), "/dev/console", false);
        if (::mount(fd_path(slave.get()).c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND,
                    nullptr) < 0)
            throw_errno("bind the terminal to /dev/console");
    }
    send_fd(console_sock, master.get(), "/dev/ptmx");
    master.reset();
    if (::setsid() < 0) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) throw_errno("make the terminal controlling");
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave.get(), fd) < 0) throw_errno("dup2 terminal");
}

namespace {

// Restores the caller's terminal however proxy_terminal ends.
class RawMode {
public:
    // Only from the terminal's foreground: SIGTTOU is blocked (runtime/signals.hpp), so a
    // background myrt would otherwise change a terminal that is not its own.
    explicit RawMode(int fd) : fd_(fd) {
        if (!::isatty(fd) || ::tcgetpgrp(fd) != ::getpgrp() || ::tcgetattr(fd, &saved_) < 0)
            return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawMode() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

void copy_winsize(int from, int to) {
    winsize ws{};
    if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool pump(int from, int to) {
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
    for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return false;
        }
        off += w;
    }
    return true;
}

}  // namespace

int proxy_terminal(UniqueFd master, pid_t pid, ForwardedSignals& signals) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open " + std::to_string(pid));
    RawMode raw(STDIN_FILENO);
    if (::isatty(STDIN_FILENO)) copy_winsize(STDIN_FILENO, master.get());
    bool stdin_open = true;
    int status = 0;
    bool exited = false;
    while (!exited || master) {
        pollfd fds[4] = {{signals.fd(), POLLIN, 0},
                         {stdin_open && master ? STDIN_FILENO : -1, POLLIN, 0},
                         {master ? master.get() : -1, POLLIN, 0},
                         {exited ? -1 : pidfd.get(), POLLIN, 0}};
        // Once init is gone, drain what the terminal still holds, then stop.
        int r = ::poll(fds, 4, exited ? 100 : -1);
        if (r < 0 && errno != EINTR) break;
        if (r == 0) break;
        if (fds[0].revents & POLLIN) {
            int sig = signals.next();
            if (sig == SIGWINCH) copy_winsize(STDIN_FILENO, master.get());
            else if (sig != 0) ::kill(pid, sig);
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            stdin_open = pump(STDIN_FILENO, master.get());
        // When our output breaks (`run ID | head`), closing the master hangs the terminal
        // up, as closing a terminal window would: the container ends as it sees fit.
        if ((fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(master.get(), STDOUT_FILENO))
            master.reset();
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
    }
    if (!exited) ::waitpid(pid, &status, 0);
    return exit_code(status);
}

}  // namespace myrt
