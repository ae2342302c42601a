// seccomp-agent: a minimal seccomp notify listener for t-seccomp.sh (built by the test with cc)
// and, with runc's command line, for runc's integration suite (test/runc-suite).
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
//
// Usage: seccomp-agent -socketfile=SOCKET [-pid-file FILE]
//   The command line and behaviour of runc's contrib/cmd/seccompagent, which runc's
//   integration tests start: writes its pid to FILE, listens on SOCKET and serves every
//   connection until killed. The filter's descriptor is the one the state's "fds" names
//   "seccompFd". mkdir(PATH, MODE) makes PATH-SUFFIX instead (SUFFIX: the last element of the
//   state's "metadata"; PATH resolved in the caller's root or cwd, never outside it) and
//   returns 0, or ENOSYS when that fails; chmod, fchmod and fchmodat fail with ENOMEDIUM;
//   anything else continues. A connection it cannot use is logged and dropped.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

static int json_complete(const char* json);

// Reads what the runtime sends on conn until it closes it (or, with until_json, until a whole
// JSON value came): the JSON into json (NUL-terminated, *len bytes) and up to maxfds
// descriptors into fds (more are closed; *nfds counts them all). Returns 0, or -1 with errno
// (then the descriptors received are closed).
static int receive_all(int conn, char* json, size_t size, size_t* len, int* fds, int maxfds,
                       int* nfds, int until_json) {
    *len = 0;
    *nfds = 0;
    for (;;) {
        char control[CMSG_SPACE(4 * sizeof(int))];
        struct iovec iov = {json + *len, size - 1 - *len};
        struct msghdr msg = {0};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            for (int i = 0; i < *nfds && i < maxfds; ++i) close(fds[i]);
            errno = e;
            return -1;
        }
        for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; ++i) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (*nfds < maxfds)
                    fds[*nfds] = fd;
                else
                    close(fd);
                ++*nfds;
            }
        }
        if (n == 0 || *len + (size_t)n >= size - 1) break;
        *len += (size_t)n;
        json[*len] = '\0';
        if (until_json && json_complete(json)) break;
    }
    json[*len] = '\0';
    return 0;
}

static int receive_state(int conn, int nth) {
    static char json[1 << 16];
    size_t len;
    int fds[4], nfds;
    if (receive_all(conn, json, sizeof json, &len, fds, 4, &nfds, 0) < 0) die("recvmsg");
    for (int i = 1; i < nfds && i < 4; ++i) close(fds[i]);
    char name[32];
    snprintf(name, sizeof name, nth == 1 ? "state.json" : "state.%d.json", nth);
    write_out(name, json, len, 0);
    char count[32];
    int cl = snprintf(count, sizeof count, "%d\n", nfds);
    snprintf(name, sizeof name, nth == 1 ? "nfds" : "nfds.%d", nth);
    write_out(name, count, (size_t)cl, 0);
    if (nfds == 0) {
        errno = EBADMSG;
        die("no descriptor received");
    }
    return fds[0];
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

// --- runc's contrib/cmd/seccompagent ---------------------------------------------------

static void note(const char* fmt, const char* what) {
    fprintf(stderr, "seccomp-agent: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n");
}

// A small JSON reader, enough to find two members of the top-level object.
static void skip_ws(const char** p) {
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r') ++*p;
}

// Reads a string at *p into out (non-ASCII \u escapes become '?'); -1 if malformed.
static int json_string(const char** p, char* out, size_t size) {
    size_t n = 0;
    if (**p != '"') return -1;
    for (++*p; **p != '"'; ++*p) {
        char c = **p;
        if (c == '\0') return -1;
        if (c == '\\') {
            c = *++*p;
            switch (c) {
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'u': {
                    unsigned v = 0;
                    for (int i = 0; i < 4; ++i) {
                        char h = *++*p;
                        if (h >= '0' && h <= '9') v = v * 16 + (unsigned)(h - '0');
                        else if (h >= 'a' && h <= 'f') v = v * 16 + (unsigned)(h - 'a' + 10);
                        else if (h >= 'A' && h <= 'F') v = v * 16 + (unsigned)(h - 'A' + 10);
                        else return -1;
                    }
                    c = v < 0x80 ? (char)v : '?';
                    break;
                }
                case '"': case '\\': case '/': break;
                default: return -1;
            }
        }
        if (out && n + 1 < size) out[n++] = c;
    }
    ++*p;
    if (out) out[n] = '\0';
    return 0;
}

static int json_skip(const char** p) {
    skip_ws(p);
    if (**p == '"') return json_string(p, NULL, 0);
    if (**p == '{' || **p == '[') {
        char close = **p == '{' ? '}' : ']';
        ++*p;
        skip_ws(p);
        if (**p == close) { ++*p; return 0; }
        for (;;) {
            if (close == '}') {
                skip_ws(p);
                if (json_string(p, NULL, 0) < 0) return -1;
                skip_ws(p);
                if (*(*p)++ != ':') return -1;
            }
            if (json_skip(p) < 0) return -1;
            skip_ws(p);
            if (**p == close) { ++*p; return 0; }
            if (*(*p)++ != ',') return -1;
        }
    }
    const char* start = *p;
    while (**p && !strchr(" \t\r\n,]}", **p)) ++*p;
    return *p > start ? 0 : -1;
}

static int json_complete(const char* json) {
    const char* p = json;
    return json_skip(&p) == 0;
}

// The index of "seccompFd" in the state's "fds" and its "metadata"; -1 if no single one.
static int parse_state(const char* json, char* metadata, size_t size) {
    const char* p = json;
    int index = -1, found = 0;
    metadata[0] = '\0';
    skip_ws(&p);
    if (*p++ != '{') return -1;
    skip_ws(&p);
    if (*p == '}') return -1;
    for (;;) {
        char key[64];
        skip_ws(&p);
        if (json_string(&p, key, sizeof key) < 0) return -1;
        skip_ws(&p);
        if (*p++ != ':') return -1;
        skip_ws(&p);
        if (!strcmp(key, "fds") && *p == '[') {
            ++p;
            skip_ws(&p);
            for (int i = 0; *p != ']'; ++i) {
                char name[64];
                if (json_string(&p, name, sizeof name) < 0) return -1;
                if (!strcmp(name, "seccompFd")) {
                    index = i;
                    ++found;
                }
                skip_ws(&p);
                if (*p == ',') ++p;
                skip_ws(&p);
                if (!*p) return -1;
            }
            ++p;
        } else if (!strcmp(key, "metadata") && *p == '"') {
            if (json_string(&p, metadata, size) < 0) return -1;
        } else if (json_skip(&p) < 0) {
            return -1;
        }
        skip_ws(&p);
        if (*p == '}') break;
        if (*p++ != ',') return -1;
    }
    return found == 1 ? index : -1;
}

// Go's filepath.Base.
static void base_name(const char* path, char* out, size_t size) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') --len;
    if (len == 0) {
        snprintf(out, size, ".");
        return;
    }
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') --start;
    if (start == len) start = len - 1;  // "/"
    snprintf(out, size, "%.*s", (int)(len - start), path + start);
}

// mkdir PATH-SUFFIX in the root (absolute PATH) or cwd of pid, never resolving outside it.
static int mkdir_for(pid_t pid, const char* path, mode_t mode, const char* suffix) {
    char target[4200], dir[64];
    snprintf(target, sizeof target, "%s-%s", path, suffix);
    snprintf(dir, sizeof dir, "/proc/%d/%s", pid, path[0] == '/' ? "root" : "cwd");
    char* slash = strrchr(target, '/');
    const char* leaf = slash ? slash + 1 : target;
    const char* parent = ".";
    if (slash) {
        *slash = '\0';
        parent = target;
        while (*parent == '/') ++parent;
        if (!*parent) parent = ".";
    }
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return -1;
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int pfd = (int)syscall(SYS_openat2, root, parent, &how, sizeof how);
    close(root);
    if (pfd < 0) return -1;
    if (!strcmp(leaf, "..") || !*leaf) leaf = ".";  // refused below with EEXIST
    int r = mkdirat(pfd, leaf, mode);
    close(pfd);
    return r;
}

struct runc_listener {
    int fd;
    char suffix[256];
};

static void answer_runc(struct runc_listener* l, struct request_buffers* b) {
    memset(b->req, 0, b->req_size);
    if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, b->req) < 0) return;
    memset(b->resp, 0, b->resp_size);
    b->resp->id = b->req->id;
    b->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &b->req->id) < 0) return;
    int nr = b->req->data.nr;
    if (nr == __NR_mkdir) {
        char path[4096];
        b->resp->flags = 0;
        read_string((pid_t)b->req->pid, b->req->data.args[0], path, sizeof path);
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &b->req->id) < 0) return;
        if (mkdir_for((pid_t)b->req->pid, path, (mode_t)b->req->data.args[1], l->suffix) < 0) {
            b->resp->error = -ENOSYS;
            b->resp->val = (__s64)-1;
        }
    } else if (nr == __NR_chmod || nr == __NR_fchmod || nr == __NR_fchmodat) {
        b->resp->flags = 0;
        b->resp->error = -ENOMEDIUM;
        b->resp->val = (__s64)-1;
    }
    if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, b->resp) < 0 && errno != ENOENT)
        note("SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));
}

// Takes one connection's listener into l; -1 (logged) if it brought none that can be used.
static int receive_runc(int conn, struct runc_listener* l) {
    static char json[1 << 16];
    size_t len;
    int fds[16], nfds;
    struct timeval tv = {5, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (receive_all(conn, json, sizeof json, &len, fds, 16, &nfds, 1) < 0) {
        note("receiving the state: %s", strerror(errno));
        return -1;
    }
    char metadata[4096];
    int index = parse_state(json, metadata, sizeof metadata);
    if (index < 0 || index >= nfds || index >= 16) {
        note("%s", "seccomp fd not found or malformed containerProcessState.Fds");
        index = -1;
    }
    for (int i = 0; i < nfds && i < 16; ++i)
        if (i != index) close(fds[i]);
    if (index < 0) return -1;
    l->fd = fds[index];
    base_name(metadata, l->suffix, sizeof l->suffix);
    if (strchr(l->suffix, '/')) snprintf(l->suffix, sizeof l->suffix, "agent-generated-suffix");
    return 0;
}

static _Noreturn void runc_agent(const char* socket_file, const char* pid_file) {
    if (unlink(socket_file) < 0 && errno != ENOENT) die(socket_file);
    if (pid_file) {
        FILE* f = fopen(pid_file, "w");
        if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f) != 0) die(pid_file);
    }
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_file) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        die(socket_file);
    }
    strcpy(addr.sun_path, socket_file);
    if (bind(sock, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind");
    if (listen(sock, 16) < 0) die("listen");
    struct request_buffers b = make_buffers();
    enum { MAX = 256 };
    static struct runc_listener ls[MAX];
    struct pollfd p[MAX + 1];
    int count = 0;
    for (;;) {
        p[0] = (struct pollfd){sock, count < MAX ? POLLIN : 0, 0};
        for (int i = 0; i < count; ++i) p[i + 1] = (struct pollfd){ls[i].fd, POLLIN, 0};
        if (poll(p, (nfds_t)count + 1, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        for (int i = count - 1; i >= 0; --i) {
            if (p[i + 1].revents & POLLIN) {
                answer_runc(&ls[i], &b);
            } else if (p[i + 1].revents) {  // no process uses that filter any more
                close(ls[i].fd);
                ls[i] = ls[--count];
            }
        }
        if (p[0].revents & POLLIN) {
            int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0) continue;
            if (receive_runc(conn, &ls[count]) == 0) ++count;
            close(conn);
        }
    }
}

// -name=VALUE, -name VALUE, --name=VALUE or --name VALUE (Go's flag package) at argv[*i].
static const char* go_flag(int argc, char** argv, int* i, const char* name) {
    const char* a = argv[*i];
    a += a[1] == '-' ? 2 : 1;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0' || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

int main(int argc, char** argv) {
    if (argc > 1 && argv[1][0] == '-') {  // runc's contrib/cmd/seccompagent
        const char *socket_file = "/run/seccomp-agent.socket", *pid_file = NULL, *v;
        for (int i = 1; i < argc; ++i) {
            if ((v = go_flag(argc, argv, &i, "socketfile"))) {
                socket_file = v;
            } else if ((v = go_flag(argc, argv, &i, "pid-file"))) {
                pid_file = v;
            } else {
                fprintf(stderr, "usage: seccomp-agent -socketfile=SOCKET [-pid-file FILE]\n");
                return 2;
            }
        }
        runc_agent(socket_file, pid_file);
    }
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
