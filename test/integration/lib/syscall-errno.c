// syscall-errno NAME...: makes each syscall NAME with harmless arguments and prints
// "NAME=ERRNO" (0: it succeeded), space-separated. NAME "thread" is glibc's pthread_create,
// which tries clone3 first and falls back to clone only on ENOSYS. For the seccomp tests
// (t-seccomp.sh), built with gcc -static: the example image has no libc.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *idle(void *arg) { return arg; }

static int thread(void) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, idle, NULL);
    if (rc == 0) pthread_join(t, NULL);
    return rc;
}

// A failing call's errno, else 0. The arguments make the calls fail or do nothing should
// the filter let them through: clone3 with no clone_args (EINVAL), mkdirat of a path that
// exists, close_range of an empty range.
static int call(const char *name) {
    long rc;
    if (strcmp(name, "thread") == 0) return thread();
    if (strcmp(name, "clone3") == 0)
        rc = syscall(SYS_clone3, NULL, 0);
    else if (strcmp(name, "mkdirat") == 0)
        rc = syscall(SYS_mkdirat, AT_FDCWD, "/", 0755);
    else if (strcmp(name, "close_range") == 0)
        rc = syscall(SYS_close_range, ~0u, ~0u, 0);
    else
        return -1;
    return rc < 0 ? errno : 0;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("%s%s=%d", i > 1 ? " " : "", argv[i], call(argv[i]));
    printf("\n");
    return 0;
}
