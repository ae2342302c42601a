/* sd-notify: the two ends of sd_notify for the tests, without libsystemd.
 *   sd-notify send MESSAGE         sends MESSAGE to $NOTIFY_SOCKET (a unix datagram socket)
 *   sd-notify listen PATH OUTFILE  binds PATH, writes what it receives to OUTFILE until it has
 *                                  had READY=1 and MAINPID= (runc sends them apart), exits */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t address(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strncpy(a->sun_path, path, sizeof a->sun_path - 1);
    if (path[0] == '@') a->sun_path[0] = 0;
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
}

int main(int argc, char **argv) {
    struct sockaddr_un a;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    if (argc == 3 && !strcmp(argv[1], "send")) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path) { fprintf(stderr, "no NOTIFY_SOCKET\n"); return 1; }
        socklen_t len = address(&a, path);
        if (sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&a, len) < 0) { perror("sendto"); return 1; }
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "listen")) {
        char buf[4097];
        int ready = 0, mainpid = 0;
        socklen_t len = address(&a, argv[2]);
        if (bind(fd, (struct sockaddr *)&a, len) < 0) { perror("bind"); return 1; }
        FILE *out = fopen(argv[3], "w");
        if (!out) { perror(argv[3]); return 1; }
        for (;;) {
            ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
            if (n < 0) { perror("recv"); return 1; }
            buf[n] = 0;
            fprintf(out, "%s\n", buf);
            fflush(out);
            ready = ready || strstr(buf, "READY=1");
            mainpid = mainpid || strstr(buf, "MAINPID=");
            if (ready && mainpid) return fclose(out) ? 1 : 0;
        }
    }
    fprintf(stderr, "usage: sd-notify send MESSAGE | listen PATH OUTFILE\n");
    return 2;
}
