// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memcpy_bw: single-thread memcpy bandwidth at 64 KiB and 1 MiB, the limit a
 * software HCA copying with the CPU is measured against.  Prints
 * "memcpy SIZE MiB/s" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	static const size_t sizes[] = { 64 << 10, 1 << 20 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		size_t n = sizes[i], done = 0;
		char *src = aligned_alloc(4096, n), *dst = aligned_alloc(4096, n);
		double t0, t;

		if (!src || !dst)
			return 1;
		memset(src, 1, n);
		memset(dst, 2, n);
		t0 = now();
		do {
			memcpy(dst, src, n);
			/* Keep the copy from being optimized away. */
			__asm__ volatile("" : : "r"(dst) : "memory");
			done += n;
			t = now() - t0;
		} while (t < 1.0);
		printf("memcpy %zu %.1f\n", n, done / t / (1 << 20));
		free(src);
		free(dst);
	}
	return 0;
}
