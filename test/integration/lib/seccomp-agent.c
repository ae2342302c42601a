// seccomp-agent: a minimal seccomp notify listener for t-seccomp.sh (built by the test with cc).
//
// Usage: seccomp-agent SOCKET OUTDIR MODE [CONNECTIONS]
//   Listens on the unix socket SOCKET (SOCK_STREAM) and accepts CONNECTIONS (default 1)
//   connections from the runtime: one per filter (create's, then one per `exec`). On each it
//   reads the containerProcessState (config-linux.md) and the descriptors passed by
//   SCM_RIGHTS. Writes:
//     OUTDIR/ready       once it listens (the test waits for it)
//     OUTDIR/state.json  the JSON received on the first connection (state.2.json on the
//                        second, ...)
//     OUTDIR/nfds        how many descriptors came with it (nfds.2, ...)
//     OUTDIR/log         one line per answered mkdir/mkdirat: "mkdir PATH"
//     OUTDIR/count       at the end: how many notifications it answered in all
//   It answers notifications on the first descriptor of every connection until every
//   process using those filters is gone: mkdir and mkdirat get MODE, anything else continues
//   as if unfiltered. MODE: "success" (the syscall returns 0 without running) or "errno:N".
// Exits 0 when all CONNECTIONS came and their filters are gone, non-zero on errors; gives up
// after 60 seconds.
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

static int receive_state(int conn, int nth) {
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
    char name[32];
    snprintf(name, sizeof name, nth == 1 ? "state.json" : "state.%d.json", nth);
    write_out(name, json, len, 0);
    char count[32];
    int cl = snprintf(count, sizeof count, "%d\n", nfds);
    snprintf(name, sizeof name, nth == 1 ? "nfds" : "nfds.%d", nth);
    write_out(name, count, (size_t)cl, 0);
    if (listener < 0) {
        errno = EBADMSG;
        die("no descriptor received");
    }
    return listener;
}

struct request_buffers {
    struct seccomp_notif* req;
    struct seccomp_notif_resp* resp;
    size_t req_size, resp_size;
};

static struct request_buffers make_buffers(void) {
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) die("SECCOMP_GET_NOTIF_SIZES");
    // The kernel's structs may be larger than this program's headers know.
    struct request_buffers b;
    b.req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                     : sizeof(struct seccomp_notif);
    b.resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                      ? sizes.seccomp_notif_resp
                      : sizeof(struct seccomp_notif_resp);
    b.req = malloc(b.req_size);
    b.resp = malloc(b.resp_size);
    if (!b.req || !b.resp) die("malloc");
    return b;
}

// Answers one pending notification on listener; returns 1 if one was answered.
static int answer(int listener, struct request_buffers* b, int err) {
    memset(b->req, 0, b->req_size);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, b->req) < 0) {
        if (errno == EINTR || errno == ENOENT) return 0;  // the caller went away
        die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    memset(b->resp, 0, b->resp_size);
    b->resp->id = b->req->id;
    int nr = b->req->data.nr;
    if (nr == __NR_mkdir || nr == __NR_mkdirat) {
        char path[4096], line[4200];
        read_string((pid_t)b->req->pid, b->req->data.args[nr == __NR_mkdir ? 0 : 1], path, sizeof path);
        // The path is only trustworthy if the request is still the same one.
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &b->req->id) < 0) return 0;
        b->resp->error = err ? -err : 0;
        b->resp->val = 0;
        int n = snprintf(line, sizeof line, "mkdir %s\n", path);
        write_out("log", line, (size_t)n, 1);
    } else {
        b->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, b->resp) == 0) return 1;
    if (errno != ENOENT) die("SECCOMP_IOCTL_NOTIF_SEND");
    return 0;
}

// p[0] is the listening socket (fd -1 once all connections came), p[1..] the listeners.
static void serve(int sock, int connections, const char* mode) {
    struct request_buffers b = make_buffers();
    int err = strncmp(mode, "errno:", 6) == 0 ? atoi(mode + 6) : 0;
    unsigned long answered = 0;
    struct pollfd p[17] = {{sock, POLLIN, 0}};
    int count = 1, accepted = 0;
    while (p[0].fd >= 0 || count > 1) {
        if (poll(p, (nfds_t)count, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        for (int i = count - 1; i >= 1; --i) {
            if (p[i].revents & POLLIN) {
                answered += (unsigned long)answer(p[i].fd, &b, err);
            } else if (p[i].revents) {  // POLLHUP: no process uses that filter any more
                close(p[i].fd);
                p[i] = p[--count];
            }
        }
        if (p[0].fd >= 0 && (p[0].revents & POLLIN)) {
            int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0 && errno == EINTR) continue;
            if (conn < 0) die("accept");
            if (count == 17) die("too many connections");
            p[count++] = (struct pollfd){receive_state(conn, ++accepted), POLLIN, 0};
            close(conn);
            if (accepted == connections) {  // a later runtime must find nobody listening
                close(sock);
                p[0].fd = -1;
            }
        }
    }
    char n[32];
    int len = snprintf(n, sizeof n, "%lu\n", answered);
    write_out("count", n, (size_t)len, 0);
}

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: seccomp-agent SOCKET OUTDIR success|errno:N [CONNECTIONS]\n");
        return 2;
    }
    outdir = argv[2];
    int connections = argc == 5 ? atoi(argv[4]) : 1;
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
    if (listen(sock, 4) < 0) die("listen");
    write_out("ready", "", 0, 0);
    serve(sock, connections, argv[3]);
    return 0;
}
