// recvtty: a console-socket receiver for tests. Listens on SOCKET and takes the terminal
// master that `myrt create/exec --console-socket` sends.
//
//   recvtty [OPTIONS] SOCKET [OPTIONS]
//   --mode single (default): one terminal; writes --input to it, copies stdin to it (not with
//                 --no-stdin; stops at EOF) and everything it prints to stdout, until the
//                 terminal closes or --timeout seconds pass.
//   --mode null:  as many terminals as are sent, their output read and dropped, until killed
//                 or --timeout seconds pass.
//   --pid-file FILE  write recvtty's pid to FILE first
//   --ready FILE     create FILE once listening
//   --timeout SECONDS  give up then (default: never)
// The options runc's contrib/cmd/recvtty has (--mode/-m, --pid-file, --no-stdin) mean the
// same there, so runc's integration suite can use this one (test/runc-suite).
#include <linux/close_range.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/fd.hpp"
#include "runtime/terminal.hpp"

namespace {

[[noreturn]] void usage() {
    fprintf(stderr,
            "usage: recvtty [--mode single|null] [--pid-file FILE] [--no-stdin] [--input TEXT]"
            " [--timeout SECONDS] [--ready FILE] SOCKET\n");
    exit(2);
}

// Milliseconds left before the deadline (-1: none), for poll.
int remaining_ms(time_t deadline) {
    if (deadline == 0) return -1;
    time_t now = time(nullptr);
    return now >= deadline ? 0 : static_cast<int>((deadline - now) * 1000);
}

// The terminal sent on the next connection; none (reported unless quiet) if none came.
myrt::UniqueFd receive_terminal(int sock, bool quiet) {
    myrt::UniqueFd conn(::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return {};
    try {
        return myrt::receive_fd(conn.get());
    } catch (const std::exception& e) {
        if (!quiet) fprintf(stderr, "recvtty: %s\n", e.what());
        return {};
    }
}

int run_single(int sock, const std::string& input, bool relay_stdin, time_t deadline) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) {
        fprintf(stderr, "recvtty: nobody connected\n");
        return 1;
    }
    myrt::UniqueFd master = receive_terminal(sock, false);
    if (!master) return 1;
    if (!input.empty() && ::write(master.get(), input.data(), input.size()) < 0) perror("write");
    char buf[4096];
    for (;;) {
        pollfd fds[2] = {{master.get(), POLLIN, 0}, {relay_stdin ? 0 : -1, POLLIN, 0}};
        int r = ::poll(fds, 2, deadline ? std::min(remaining_ms(deadline), 200) : -1);
        if (deadline && remaining_ms(deadline) == 0) return 0;
        if (r <= 0) continue;
        if (fds[0].revents) {
            ssize_t n = ::read(master.get(), buf, sizeof buf);
            if (n <= 0) return 0;  // EIO: the container closed its end
            fwrite(buf, 1, static_cast<size_t>(n), stdout);
            fflush(stdout);
        }
        if (fds[1].revents) {
            ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0 || ::write(master.get(), buf, static_cast<size_t>(n)) < 0) relay_stdin = false;
        }
    }
}

int run_null(int sock, time_t deadline) {
    std::vector<myrt::UniqueFd> masters;
    char buf[4096];
    for (;;) {
        std::vector<pollfd> fds{{sock, POLLIN, 0}};
        for (auto& m : masters) fds.push_back({m.get(), POLLIN, 0});
        int r = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
        if (r == 0) return 0;
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("recvtty: poll");
            return 1;
        }
        for (size_t i = fds.size() - 1; i >= 1; --i) {
            if (!fds[i].revents) continue;
            if (::read(fds[i].fd, buf, sizeof buf) <= 0) masters.erase(masters.begin() + static_cast<long>(i - 1));
        }
        if (fds[0].revents & POLLIN) {
            // A runtime that fails before sending the terminal closes the connection.
            myrt::UniqueFd m = receive_terminal(sock, true);
            if (m) masters.push_back(std::move(m));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Descriptors inherited past stderr are not recvtty's: a test runner waiting for its own
    // output pipe to close (bats' fd 3) must not wait for a receiver left running.
    ::close_range(3, ~0U, 0);
    std::string path, input, ready, pid_file, mode = "single";
    bool relay_stdin = true;
    int timeout = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], value;
        bool has_value = false;
        if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
            value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
            has_value = true;
        }
        auto take = [&]() -> std::string {
            if (has_value) return value;
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--mode" || a == "-m") mode = take();
        else if (a == "--pid-file") pid_file = take();
        else if (a == "--input") input = take();
        else if (a == "--timeout") timeout = atoi(take().c_str());
        else if (a == "--ready") ready = take();
        else if (a == "--no-stdin") relay_stdin = false;
        else if (a.empty() || a[0] == '-' || !path.empty()) usage();
        else path = a;
    }
    if (path.empty() || (mode != "single" && mode != "null")) usage();
    if (!pid_file.empty()) {
        FILE* f = fopen(pid_file.c_str(), "w");
        if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0) {
            perror("recvtty: pid file");
            return 1;
        }
    }
    // The socket appears at SOCKET only once it listens (bound under a temporary name, then
    // renamed): runc's suite starts recvtty in the background, and a caller that waits for
    // the socket to exist must not connect in between and be refused.
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    if (tmp.size() >= sizeof(sockaddr_un::sun_path)) tmp = path;
    myrt::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", tmp.c_str());
    ::unlink(tmp.c_str());
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(sock.get(), 16) < 0 || ::rename(tmp.c_str(), path.c_str()) < 0) {
        perror("recvtty: bind");
        ::unlink(tmp.c_str());
        return 1;
    }
    if (!ready.empty()) fclose(fopen(ready.c_str(), "w"));
    time_t deadline = timeout > 0 ? time(nullptr) + timeout : 0;
    return mode == "null" ? run_null(sock.get(), deadline) : run_single(sock.get(), input, relay_stdin, deadline);
}
