// recvtty: a console-socket receiver for tests. Listens on SOCKET, takes the terminal master
// that `myrt create/exec --console-socket` sends, writes --input to it and copies everything
// the terminal prints to stdout until the terminal closes or --timeout seconds pass.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/fd.hpp"
#include "runtime/terminal.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: recvtty SOCKET [--input TEXT] [--timeout SECONDS] [--ready FILE]\n");
        return 2;
    }
    std::string path = argv[1], input, ready;
    int timeout = 10;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--input")) input = argv[i + 1];
        else if (!strcmp(argv[i], "--timeout")) timeout = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ready")) ready = argv[i + 1];
    }
    myrt::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ::unlink(path.c_str());
    if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(sock.get(), 1) < 0) {
        perror("recvtty: bind");
        return 1;
    }
    if (!ready.empty()) fclose(fopen(ready.c_str(), "w"));
    pollfd p{sock.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout * 1000) != 1) {
        fprintf(stderr, "recvtty: nobody connected\n");
        return 1;
    }
    myrt::UniqueFd conn(::accept4(sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
    myrt::UniqueFd master;
    try {
        master = myrt::receive_fd(conn.get());
    } catch (const std::exception& e) {
        fprintf(stderr, "recvtty: %s\n", e.what());
        return 1;
    }
    if (!input.empty() && ::write(master.get(), input.data(), input.size()) < 0) perror("write");
    time_t end = time(nullptr) + timeout;
    char buf[4096];
    while (time(nullptr) < end) {
        pollfd m{master.get(), POLLIN, 0};
        if (::poll(&m, 1, 200) <= 0) continue;
        ssize_t n = ::read(master.get(), buf, sizeof buf);
        if (n <= 0) return 0;  // EIO: the container closed its end
        fwrite(buf, 1, static_cast<size_t>(n), stdout);
        fflush(stdout);
    }
    return 0;
}
