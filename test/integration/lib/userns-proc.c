// In a new user, mount and pid namespace (as any unprivileged process may make), tries to
// mount a fresh procfs on ARGV[1] and prints "mounted" or "refused: <errno text>". The
// kernel allows it only when every procfs already in the mount namespace is fully visible:
// a host /proc left reachable under a chroot (--no-pivot) would let the container see
// past its masked paths.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_file(const char* path, const char* text) {
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) perror(path);
        close(fd);
    }
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0) {
        printf("unshare: %s\n", strerror(errno));
        return 1;
    }
    char map[64];
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    write_file("/proc/self/gid_map", map);
    pid_t pid = fork();
    if (pid == 0) {
        if (mount("proc", argv[1], "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
            printf("mounted\n");
        else
            printf("refused: %s\n", strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return 0;
}
