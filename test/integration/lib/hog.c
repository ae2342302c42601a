// hog N: allocates and touches N MiB (default 256), one MiB at a time, then prints
// "allocated N MiB". For the memory-limit tests (t-cgroups.sh, lib/callers.sh), built with
// gcc -static: the example image has no libc. A shell growing a string instead needs up to
// twice the memory it ends with, and takes ~10 s per 32 MiB under the VM's emulation.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    long mb = argc > 1 ? atol(argv[1]) : 256;
    for (long i = 0; i < mb; i++) {
        char *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 1;
        memset(p, 1, 1 << 20);
    }
    printf("allocated %ld MiB\n", mb);
    return 0;
}
