// seccomp-agent: a minimal seccomp notify listener for t-seccomp.sh (built by the test with cc).
//
// Usage: seccomp-agent SOCKET OUTDIR MODE
//   Listens on the unix socket SOCKET (SOCK_STREAM), accepts ONE connection from the runtime
//   and reads the containerProcessState sent on it (config-linux.md) together with the
//   descriptors passed by SCM_RIGHTS. Writes:
//     OUTDIR/ready       once it listens (the test waits for it)
//     OUTDIR/state.json  the JSON received
//     OUTDIR/nfds        how many descriptors came with it
//     OUTDIR/log         one line per answered mkdir/mkdirat: "mkdir PATH"
//     OUTDIR/count       at the end: how many notifications it answered in all
//   Then answers notifications on the first descriptor until every process using the
//   filter is gone: mkdir and mkdirat get MODE, anything else continues as if unfiltered.
//   MODE: "success" (the syscall returns 0 without running) or "errno:N" (fails with N).
// Exits 0 when the filter is gone, non-zero on errors; gives up after 60 seconds.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static const char* outdir;

static void die(const char* what) {
    fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_out(const char* name, const char* data, size_t len, int append) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE* f = fopen(path, append ? "a" : "w");
    if (!f) die(path);
    fwrite(data, 1, len, f);
    fclose(f);
}

// The string at addr in process pid (the mkdir path), or "?".
static void read_string(pid_t pid, unsigned long long addr, char* buf, size_t size) {
    char mem[64];
    snprintf(mem, sizeof mem, "/proc/%d/mem", pid);
    int fd = open(mem, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, size - 1, (off_t)addr);
    if (fd >= 0) close(fd);
    if (n <= 0) {
        snprintf(buf, size, "?");
        return;
    }
    buf[n] = '\0';
}

static int receive_state(int conn) {
    static char json[1 << 16];
    size_t len = 0;
    int listener = -1, nfds = 0;
    for (;;) {
        char control[CMSG_SPACE(4 * sizeof(int))];
        struct iovec iov = {json + len, sizeof json - 1 - len};
        struct msghdr msg = {0};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("recvmsg");
        for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; ++i) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (listener < 0)
                    listener = fd;
                else
                    close(fd);
                nfds++;
            }
        }
        if (n == 0 || len + (size_t)n >= sizeof json - 1) break;
        len += (size_t)n;
    }
    write_out("state.json", json, len, 0);
    char count[32];
    int cl = snprintf(count, sizeof count, "%d\n", nfds);
    write_out("nfds", count, (size_t)cl, 0);
    if (listener < 0) {
        errno = EBADMSG;
        die("no descriptor received");
    }
    return listener;
}

static void serve(int listener, const char* mode) {
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) die("SECCOMP_GET_NOTIF_SIZES");
    // The kernel's structs may be larger than this program's headers know.
    size_t req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                          : sizeof(struct seccomp_notif);
    size_t resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                           ? sizes.seccomp_notif_resp
                           : sizeof(struct seccomp_notif_resp);
    struct seccomp_notif* req = malloc(req_size);
    struct seccomp_notif_resp* resp = malloc(resp_size);
    if (!req || !resp) die("malloc");
    int err = strncmp(mode, "errno:", 6) == 0 ? atoi(mode + 6) : 0;
    unsigned long answered = 0;
    for (;;) {
        struct pollfd p = {listener, POLLIN, 0};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (!(p.revents & POLLIN)) {  // POLLHUP: no process uses the filter any more
            char count[32];
            int n = snprintf(count, sizeof count, "%lu\n", answered);
            write_out("count", count, (size_t)n, 0);
            return;
        }
        memset(req, 0, req_size);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
            if (errno == EINTR || errno == ENOENT) continue;  // the caller went away
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        memset(resp, 0, resp_size);
        resp->id = req->id;
        int nr = req->data.nr;
        if (nr == __NR_mkdir || nr == __NR_mkdirat) {
            char path[4096], line[4200];
            read_string((pid_t)req->pid, req->data.args[nr == __NR_mkdir ? 0 : 1], path, sizeof path);
            // The path is only trustworthy if the request is still the same one.
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) continue;
            resp->error = err ? -err : 0;
            resp->val = 0;
            int n = snprintf(line, sizeof line, "mkdir %s\n", path);
            write_out("log", line, (size_t)n, 1);
        } else {
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0)
            answered++;
        else if (errno != ENOENT)
            die("SECCOMP_IOCTL_NOTIF_SEND");
    }
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: seccomp-agent SOCKET OUTDIR success|errno:N\n");
        return 2;
    }
    outdir = argv[2];
    alarm(60);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        die(argv[1]);
    }
    strcpy(addr.sun_path, argv[1]);
    unlink(argv[1]);
    if (bind(sock, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
    if (listen(sock, 1) < 0) die("listen");
    write_out("ready", "", 0, 0);
    int conn;
    do conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
    while (conn < 0 && errno == EINTR);
    if (conn < 0) die("accept");
    int listener = receive_state(conn);
    close(conn);
    close(sock);
    serve(listener, argv[3]);
    return 0;
}
