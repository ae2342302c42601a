/* bench/floor.c — the kernel floor of `run` for scripts/bench (see bench/README.md).
 *
 *   floor ROOTFS CGROUP        e.g. floor /abs/bundles/example/rootfs /myrt-bench/kernel-floor-or3
 *
 * A hard-coded "runtime" that runs /bin/true in the bench's container (bundles/example/config.json
 * as scripts/bench adapts it: args [/bin/true], terminal false, absolute root.path, cgroupsPath
 * CGROUP) doing only the system calls that config makes unavoidable, in the order myrt does them
 * (taken from `strace -f` of `myrt run` of that config). The bench times it like a runtime's
 * `run`; its CPU is the least any runtime can spend on that container on this host, so the
 * runtimes' figures can be read as "floor + what the runtime adds".
 *
 * What it does (cgroup v1 only: a hybrid host's v2 mount is detached by the bench driver):
 *  parent: read /proc/self/mountinfo once for the v1 hierarchies (every `cgroup` mount: each
 *    controller hierarchy and name=systemd); mkdir CGROUP (and its parent, EEXIST expected) in
 *    each; cpuset: copy cpuset.cpus and cpuset.mems from the parent cgroup; devices: write the
 *    deny-all and the eleven default allow rules (the ones myrt/runc/crun write: mknod of any
 *    c/b, null zero full random urandom tty console ptmx, pts) — through one open fd per file;
 *    open each hierarchy's tasks file; clone(NEWNS|NEWUTS|NEWIPC|NEWPID|NEWNET) (plain clone, not
 *    CLONE_VM); wait4 the child; rmdir CGROUP in each hierarchy. Exit status: the container's.
 *  child (init): write "0" to each tasks file (joins before the cgroup ns is made, so that its
 *    root is the container's cgroup), unshare(CLONE_NEWCGROUP); bring `lo` up and join a new
 *    session keyring (runc, crun and myrt all do both); sethostname; make / rslave; bind the
 *    rootfs onto itself; the config's mounts (proc, /dev tmpfs, devpts, /dev/shm, /dev/mqueue,
 *    sysfs ro, /sys/fs/cgroup: a tmpfs with each v1 hierarchy mounted ro under it, then the tmpfs
 *    made ro) with the flags and data myrt passes; mknod of the six default devices (umask 0
 *    first instead of a chmod of each); the five /dev symlinks; pivot_root(".", "."), rslave and
 *    detach the old root; readonly paths (bind + remount ro) and masked paths (stat, then
 *    /dev/null bound over a file, an empty ro tmpfs over a directory) that exist; setsid;
 *    RLIMIT_NOFILE 1024; drop the bounding set to the config's three capabilities; setgroups,
 *    setresgid, setresuid to 0; capset; the ambient set (cleared, then the three raises, which
 *    fail with EPERM as in myrt: no inheritable set); no_new_privs; execve /bin/true with PATH,
 *    TERM and HOME. The config has no seccomp, no user namespace, no hooks: none here.
 *
 * What it leaves out, and why: everything a runtime does for itself rather than for the kernel —
 * parsing and validating config.json, the state directory (state.json, recovery.json, locks,
 * exec.fifo), reading /proc/PID/stat for the start time, the sync socket between runtime and init
 * (`run` needs no create/start hand-over: init can go straight to exec), logging, the sealed
 * re-exec of the binary, init's re-reading of mountinfo, resolving each mount target with
 * openat2 (it mounts on plain paths: the rootfs is trusted here), re-applying mount flags with
 * mount_setattr, the MS_PRIVATE walk up to the rootfs's mount point, chmod/chown of the device
 * nodes, closing inherited fds and resetting signal handlers (it inherits none from the driver),
 * reopening stdin, the /etc/passwd lookup for HOME (hard-coded /root), PR_SET_DUMPABLE, umask.
 * Nor the C library: on x86-64 it is built with -nostdlib and makes raw system calls from its own
 * _start (a static glibc's start-up alone is ~0.3 ms of CPU on this VM: a CPUID per cache level,
 * each trapping to the hypervisor), so what is measured is the kernel's work, the exec of
 * /bin/true and /bin/true itself.
 *
 * Built by scripts/bench: gcc -O2 -static -nostdlib -DFLOOR_NOLIBC ... (x86-64), else with libc.
 * Errors: one line on stderr naming the step, exit status 111 (the cgroups are removed first).
 */

#define _GNU_SOURCE 1
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#ifndef MOUNT_ATTR_RDONLY  /* glibc < 2.36 */
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
    unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
#endif

/* ---------------------------------------------------------------------------------------- */
/* system calls: raw on x86-64 (no C library at all), syscall(2) elsewhere */

#ifdef FLOOR_NOLIBC
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret; /* -errno on failure */
}
/* gcc may emit calls to these for struct copies and zeroing (built with
 * -fno-tree-loop-distribute-patterns, so these loops do not become calls to themselves) */
void* memset(void* d, int c, unsigned long n) {
    unsigned char* p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}
void* memcpy(void* d, const void* s, unsigned long n) {
    unsigned char* p = d;
    const unsigned char* q = s;
    while (n--)
        *p++ = *q++;
    return d;
}
#else
#include <errno.h>
#include <string.h>
#include <unistd.h>
static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long r = syscall(n, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#endif

#define S0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define S1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define S2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define S3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define S4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define S5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

#define AT_FDCWD_ (-100)
#define EEXIST_ 17
#define ENOENT_ 2
#define EBUSY_ 16

static long xopen(const char* p, int flags) { return S4(__NR_openat, AT_FDCWD_, p, flags | O_CLOEXEC, 0); }
static long xmkdir(const char* p) { return S3(__NR_mkdirat, AT_FDCWD_, p, 0755); }
static long xmount(const char* src, const char* tgt, const char* type, unsigned long fl, const char* data) {
    return S5(__NR_mount, src, tgt, type, fl, data);
}

/* ---------------------------------------------------------------------------------------- */
/* strings, without a C library */

static unsigned slen(const char* s) {
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}
static int sprefix(const char* s, const char* p) {
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}
/* dst = a + b + c (each may be 0); returns dst */
static char* cat3(char* dst, const char* a, const char* b, const char* c) {
    char* d = dst;
    const char* parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        for (const char* s = parts[i]; s && *s;)
            *d++ = *s++;
    *d = 0;
    return dst;
}

static int g_cgroups_made;  /* in the parent: die() removes them */
static void remove_cgroups(void);

static void die(const char* what, long err) {
    char msg[1024], num[16];
    int i = 15;
    num[i] = 0;
    unsigned long e = (unsigned long)(err < 0 ? -err : err);
    do
        num[--i] = (char)('0' + e % 10);
    while ((e /= 10) && i > 0);
    cat3(msg, "floor: ", what, err ? ": errno " : "");
    cat3(msg + slen(msg), err ? num + i : "", "\n", 0);
    S3(__NR_write, 2, msg, slen(msg));
    if (g_cgroups_made)
        remove_cgroups();
    S1(__NR_exit_group, 111);
    for (;;) {
    }
}
#define CHECK(expr, what)                                                                                  \
    do {                                                                                                   \
        long r_ = (expr);                                                                                  \
        if (r_ < 0)                                                                                        \
            die(what, r_);                                                                                 \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* cgroup v1 hierarchies */

#define MAX_H 16
static struct {
    char mnt[128];  /* /sys/fs/cgroup/cpu */
    char name[64];  /* cpu: the dir under the container's /sys/fs/cgroup */
    char opts[96];  /* cpu, or none,name=systemd: the data of the container's cgroup mount */
    char dir[256];  /* mnt + CGROUP */
    long tasks;     /* fd of dir/tasks, opened before the clone, written by the child */
} H[MAX_H];
static int nh;
static char mountinfo[65536];

/* Every `cgroup` (v1) mount in mountinfo: field 5 the mount point, after " - " the type, the
 * source and the super options ("rw,cpu", "rw,name=systemd"). */
static void find_hierarchies(const char* cgroup) {
    long fd = xopen("/proc/self/mountinfo", O_RDONLY), n, len = 0;
    CHECK(fd, "open /proc/self/mountinfo");
    while ((n = S3(__NR_read, fd, mountinfo + len, sizeof mountinfo - 1 - len)) > 0)
        len += n;
    S1(__NR_close, fd);
    mountinfo[len] = 0;
    for (char* line = mountinfo; *line && nh < MAX_H;) {
        char* eol = line;
        while (*eol && *eol != '\n')
            eol++;
        char* next = *eol ? eol + 1 : eol;
        char* f[16];
        int nf = 0;
        for (char* p = line; p < eol && nf < 16;) {
            f[nf++] = p;
            while (p < eol && *p != ' ')
                p++;
            *p++ = 0;
        }
        int dash = 0;
        for (int i = 5; i < nf; i++)
            if (f[i][0] == '-' && f[i][1] == 0)
                dash = i;
        if (dash && dash + 3 < nf && f[dash + 1][0] == 'c' && slen(f[dash + 1]) == 6 &&
            sprefix(f[dash + 1], "cgroup") && sprefix(f[4], "/sys/fs/cgroup/")) {
            const char* so = f[dash + 3];
            if (sprefix(so, "rw,") || sprefix(so, "ro,"))
                so += 3;
            cat3(H[nh].mnt, f[4], 0, 0);
            cat3(H[nh].name, f[4] + slen("/sys/fs/cgroup/"), 0, 0);
            cat3(H[nh].opts, sprefix(so, "name=") ? "none," : "", so, 0);
            cat3(H[nh].dir, f[4], cgroup, 0);
            nh++;
        }
        line = next;
    }
    if (!nh)
        die("no cgroup v1 hierarchy in /proc/self/mountinfo (the floor knows only v1)", 0);
}

static void write_str(const char* path, const char* s) {
    long fd = xopen(path, O_WRONLY);
    CHECK(fd, path);
    CHECK(S3(__NR_write, fd, s, slen(s)), path);
    S1(__NR_close, fd);
}

/* cpuset.cpus and cpuset.mems of a new v1 cpuset cgroup start empty: copy the parent's */
static void cpuset_copy(const char* hmnt, const char* parent, const char* dir, const char* file) {
    char p[512], buf[256];
    long fd = xopen(cat3(p, hmnt, parent, file), O_RDONLY);
    CHECK(fd, p);
    long n = S3(__NR_read, fd, buf, sizeof buf - 1);
    CHECK(n, p);
    S1(__NR_close, fd);
    while (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = 0;
    write_str(cat3(p, dir, file, 0), buf);
}

static void devices_rules(const char* dir) {
    static const char* allow[] = {"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",  "c 1:8 rwm",
                                  "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"};
    char p[512];
    write_str(cat3(p, dir, "/devices.deny", 0), "a *:* rwm");
    long fd = xopen(cat3(p, dir, "/devices.allow", 0), O_WRONLY);
    CHECK(fd, p);
    for (unsigned i = 0; i < sizeof allow / sizeof *allow; i++)  /* one rule per write() */
        CHECK(S3(__NR_write, fd, allow[i], slen(allow[i])), "devices.allow");
    S1(__NR_close, fd);
}

static void make_cgroups(const char* cgroup) {
    char parent[256], p[512];
    cat3(parent, cgroup, 0, 0);
    for (int i = slen(parent); i > 0; i--)
        if (parent[i] == '/') {
            parent[i] = 0;
            break;
        }
    g_cgroups_made = 1;
    for (int i = 0; i < nh; i++) {
        long r = xmkdir(cat3(p, H[i].mnt, parent, 0));
        if (r < 0 && r != -EEXIST_)
            die(p, r);
        CHECK(xmkdir(H[i].dir), H[i].dir);
        if (sprefix(H[i].opts, "cpuset") && H[i].opts[6] == 0) {
            if (r == 0) {  /* a new parent (the bench's first container): fill it from the root */
                cpuset_copy(H[i].mnt, "", p, "/cpuset.cpus");
                cpuset_copy(H[i].mnt, "", p, "/cpuset.mems");
            }
            cpuset_copy(H[i].mnt, parent, H[i].dir, "/cpuset.cpus");
            cpuset_copy(H[i].mnt, parent, H[i].dir, "/cpuset.mems");
        }
        if (sprefix(H[i].opts, "devices") && H[i].opts[7] == 0)
            devices_rules(H[i].dir);
    }
    for (int i = 0; i < nh; i++) {
        H[i].tasks = xopen(cat3(p, H[i].dir, "/tasks", 0), O_WRONLY);
        CHECK(H[i].tasks, p);
    }
}

static void remove_cgroups(void) {
    for (int i = 0; i < nh; i++)
        for (int t = 0; t < 200 && S1(__NR_rmdir, H[i].dir) == -EBUSY_; t++) {
            struct timespec_ { long s, ns; } ts = {0, 1000000};
            S2(__NR_nanosleep, &ts, 0);
        }
}

/* ---------------------------------------------------------------------------------------- */
/* the container's init */

static void lo_up(void) {
    long s = S3(__NR_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O_CLOEXEC, 0);
    CHECK(s, "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    cat3(ifr.ifr_name, "lo", 0, 0);
    CHECK(S3(__NR_ioctl, s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP;
    CHECK(S3(__NR_ioctl, s, SIOCSIFFLAGS, &ifr), "SIOCSIFFLAGS lo");
    S1(__NR_close, s);
}

static void mount_fs(const char* root, const char* dst, const char* src, const char* type, unsigned long fl,
                     const char* data, int make_dir) {
    char p[512];
    cat3(p, root, dst, 0);
    if (make_dir)
        CHECK(xmkdir(p), p);
    CHECK(xmount(src, p, type, fl, data), p);
}

static void mount_cgroups(const char* root) {
    char base[512], p[512];
    cat3(base, root, "/sys/fs/cgroup", 0);
    CHECK(xmount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME, "mode=755"), base);
    for (int i = 0; i < nh; i++) {
        cat3(p, base, "/", H[i].name);
        CHECK(xmkdir(p), p);
        CHECK(xmount("cgroup", p, "cgroup", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME, H[i].opts),
              p);
    }
    struct mount_attr a;
    memset(&a, 0, sizeof a);
    a.attr_set = MOUNT_ATTR_RDONLY;
    CHECK(S5(__NR_mount_setattr, AT_FDCWD_, base, 0, &a, sizeof a), "mount_setattr /sys/fs/cgroup");
}

static void make_devices(const char* root) {
    static const struct { const char* name; unsigned maj, min; } dev[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
        {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
    static const char* link[][2] = {{"/proc/self/fd", "/dev/fd"},     {"/proc/self/fd/0", "/dev/stdin"},
                                    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
                                    {"pts/ptmx", "/dev/ptmx"}};
    char p[512];
    S1(__NR_umask, 0);  /* the nodes are 0666 */
    for (unsigned i = 0; i < sizeof dev / sizeof *dev; i++)
        CHECK(S4(__NR_mknodat, AT_FDCWD_, cat3(p, root, dev[i].name, 0), S_IFCHR | 0666,
                 (dev[i].maj << 8) | dev[i].min),
              p);
    for (unsigned i = 0; i < sizeof link / sizeof *link; i++)
        CHECK(S3(__NR_symlinkat, link[i][0], AT_FDCWD_, cat3(p, root, link[i][1], 0)), p);
}

static void readonly_paths(void) {
    static const char* ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
    for (unsigned i = 0; i < sizeof ro / sizeof *ro; i++) {
        long r = xmount(ro[i], ro[i], 0, MS_BIND | MS_REC, 0);
        if (r == -ENOENT_)
            continue;
        CHECK(r, ro[i]);
        CHECK(xmount(0, ro[i], 0, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0), ro[i]);
    }
}

static void masked_paths(void) {
    static const char* masked[] = {"/proc/acpi",        "/proc/asound",     "/proc/kcore",      "/proc/keys",
                                   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                   "/proc/sched_debug", "/sys/firmware",    "/proc/scsi"};
    struct stat st;
    for (unsigned i = 0; i < sizeof masked / sizeof *masked; i++) {
        long r = S4(__NR_newfstatat, AT_FDCWD_, masked[i], &st, 0);
        if (r == -ENOENT_)
            continue;
        CHECK(r, masked[i]);
        if (S_ISDIR(st.st_mode))
            CHECK(xmount("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0,mode=755"), masked[i]);
        else
            CHECK(xmount("/dev/null", masked[i], 0, MS_BIND, 0), masked[i]);
    }
}

/* CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: bounding, effective, permitted, ambient */
static void capabilities(void) {
    static const int keep[] = {CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE};
    for (int c = 0; c <= CAP_LAST_CAP; c++)
        if (c != CAP_KILL && c != CAP_NET_BIND_SERVICE && c != CAP_AUDIT_WRITE)
            CHECK(S2(__NR_prctl, PR_CAPBSET_DROP, c), "PR_CAPBSET_DROP");
    CHECK(S2(__NR_setgroups, 0, 0), "setgroups");
    CHECK(S3(__NR_setresgid, 0, 0, 0), "setresgid");
    CHECK(S3(__NR_setresuid, 0, 0, 0), "setresuid");
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    for (int i = 0; i < 3; i++)
        d[0].effective |= 1u << keep[i];
    d[0].permitted = d[0].effective;
    CHECK(S2(__NR_capset, &h, d), "capset");
    CHECK(S5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient clear");
    for (int i = 0; i < 3; i++)  /* EPERM: not inheritable (the config sets no inheritable set) */
        S5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep[i], 0, 0);
}

static void init(const char* root, char** argv_exec) {
    g_cgroups_made = 0;  /* the parent removes them */
    for (int i = 0; i < nh; i++) {
        CHECK(S3(__NR_write, H[i].tasks, "0", 1), H[i].dir);
        S1(__NR_close, H[i].tasks);
    }
    CHECK(S1(__NR_unshare, CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)");
    lo_up();
    CHECK(S2(__NR_sethostname, "myrt-example", 12), "sethostname");
    CHECK(S2(__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0), "keyctl(JOIN_SESSION_KEYRING)");

    CHECK(xmount(0, "/", 0, MS_REC | MS_SLAVE, 0), "make / rslave");
    CHECK(xmount(root, root, 0, MS_BIND | MS_REC, 0), "bind the rootfs");
    mount_fs(root, "/proc", "proc", "proc", 0, 0, 0);
    mount_fs(root, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", 0);
    mount_fs(root, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620,gid=5", 1);
    mount_fs(root, "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", 1);
    mount_fs(root, "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 1);
    mount_fs(root, "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0);
    mount_cgroups(root);
    make_devices(root);

    CHECK(S1(__NR_chdir, root), "chdir rootfs");
    CHECK(S2(__NR_pivot_root, ".", "."), "pivot_root");
    CHECK(xmount(0, ".", 0, MS_REC | MS_SLAVE, 0), "make the old root rslave");
    CHECK(S2(__NR_umount2, ".", MNT_DETACH), "detach the old root");
    CHECK(S1(__NR_chdir, "/"), "chdir /");
    readonly_paths();
    masked_paths();

    CHECK(S0(__NR_setsid), "setsid");
    struct rlimit64_ { unsigned long cur, max; } nofile = {1024, 1024};
    CHECK(S4(__NR_prlimit64, 0, RLIMIT_NOFILE, &nofile, 0), "prlimit RLIMIT_NOFILE");
    capabilities();
    CHECK(S5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS");
    static char* env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                          "HOME=/root", 0};
    CHECK(S3(__NR_execve, argv_exec[0], argv_exec, env), argv_exec[0]);
}

/* ---------------------------------------------------------------------------------------- */

static int floor_main(int argc, char** argv) {
    if (argc < 3) {
        static const char u[] = "usage: floor ROOTFS CGROUP [PROGRAM ARGS...]  (default /bin/true)\n";
        S3(__NR_write, 2, u, sizeof u - 1);
        return 2;
    }
    const char* root = argv[1];
    const char* cgroup = argv[2];
    static char* def_argv[] = {"/bin/true", 0};
    char** argv_exec = argc > 3 ? argv + 3 : def_argv;  /* by hand: check what the container sees */
    find_hierarchies(cgroup);
    make_cgroups(cgroup);
    long pid = S5(__NR_clone, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | SIGCHLD, 0,
                  0, 0, 0);
    if (pid == 0)
        init(root, argv_exec); /* does not return */
    for (int i = 0; i < nh; i++)
        S1(__NR_close, H[i].tasks);
    int status = 0;
    if (pid > 0)
        while (S4(__NR_wait4, pid, &status, 0, 0) == -4 /* EINTR */) {
        }
    remove_cgroups();
    if (pid < 0)
        die("clone", pid);
    if ((status & 0x7f) != 0)
        return 128 + (status & 0x7f);
    return (status >> 8) & 0xff;
}

#ifdef FLOOR_NOLIBC
__attribute__((used, noreturn)) void floor_start(long* sp) {
    S1(__NR_exit_group, floor_main((int)sp[0], (char**)(sp + 1)));
    for (;;) {
    }
}
__asm__(".text\n.global _start\n_start:\n\txor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall floor_start\n\thlt\n");
#else
int main(int argc, char** argv) { return floor_main(argc, argv); }
#endif
