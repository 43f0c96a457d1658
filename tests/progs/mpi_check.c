// SPDX-License-Identifier: GPL-2.0
/*
 * mpi_check [BYTES [ROUNDS]]: MPI traffic with every byte checked, for the
 * clients suite (Open MPI over UCX over hodp).  On any number of ranks:
 *   ring      each rank sends BYTES to the next and receives from the
 *             previous, ROUNDS times, the pattern a function of sender,
 *             round and offset;
 *   put/get   one-sided MPI_Put into the next rank's window and MPI_Get from
 *             the previous one's, fenced;
 *   alltoall  BYTES / size to each rank.
 * Prints one "ok"/"not ok" line per part from rank 0 (with the bytes moved
 * and the wrong bytes counted over all ranks; for the ring, the rate of its
 * transfers alone, for make bench) and exits non-zero on any wrong byte.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pattern(int from, int round, size_t off)
{
	uint32_t x = (uint32_t)from * 2654435761u ^ (uint32_t)round * 40503u ^ (uint32_t)off;

	x ^= x >> 13;
	x *= 0x5bd1e995u;
	return (unsigned char)(x ^ x >> 15);
}

static void fill(unsigned char *buf, size_t len, int from, int round)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(from, round, i);
}

static long long wrong(const unsigned char *buf, size_t len, int from, int round)
{
	long long bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += buf[i] != pattern(from, round, i);
	return bad;
}

/*
 * Sum @bad over the ranks and report @what from rank 0, with the bytes
 * received in @secs of transfer (the slowest rank's), when timed.
 */
static int report(const char *what, long long bad, long long bytes, double secs, int rank)
{
	long long all_bad, all_bytes;
	double slowest;

	MPI_Allreduce(&bad, &all_bad, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
	MPI_Allreduce(&bytes, &all_bytes, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
	MPI_Allreduce(&secs, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
	if (rank != 0)
		return all_bad != 0;
	printf("%s %s: %lld bytes received, %lld wrong", all_bad ? "not ok" : "ok", what,
	       all_bytes, all_bad);
	if (slowest > 0)
		printf(", %.1f MB/s per rank", bytes / slowest / 1e6);
	printf("\n");
	return all_bad != 0;
}

static int ring(size_t len, int rounds, int rank, int size)
{
	unsigned char *out = malloc(len), *in = malloc(len);
	int next = (rank + 1) % size, prev = (rank + size - 1) % size;
	long long bad = 0;
	double secs = 0, t;

	for (int r = 0; r < rounds; r++) {
		fill(out, len, rank, r);
		memset(in, 0, len);
		t = MPI_Wtime();
		MPI_Sendrecv(out, (int)len, MPI_BYTE, next, r, in, (int)len, MPI_BYTE, prev, r,
			     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		secs += MPI_Wtime() - t;
		bad += wrong(in, len, prev, r);
	}
	free(out);
	free(in);
	return report("ring", bad, (long long)len * rounds, secs, rank);
}

/* Put our pattern into the next rank's window, then get the previous one's. */
static int put_get(size_t len, int rank, int size)
{
	int next = (rank + 1) % size, prev = (rank + size - 1) % size;
	unsigned char *base, *src = malloc(len), *dst = malloc(len);
	long long bad;
	MPI_Win win;
	int err;

	MPI_Win_allocate((MPI_Aint)len, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win);
	memset(base, 0, len);
	fill(src, len, rank, 1000);
	MPI_Win_fence(0, win);
	MPI_Put(src, (int)len, MPI_BYTE, next, 0, (int)len, MPI_BYTE, win);
	MPI_Win_fence(0, win);
	bad = wrong(base, len, prev, 1000);
	err = report("MPI_Put into the next rank's window", bad, (long long)len, 0, rank);

	/* Our window now holds prev's pattern; next's holds ours. */
	memset(dst, 0, len);
	MPI_Win_fence(0, win);
	MPI_Get(dst, (int)len, MPI_BYTE, next, 0, (int)len, MPI_BYTE, win);
	MPI_Win_fence(0, win);
	bad = wrong(dst, len, rank, 1000);
	err |= report("MPI_Get from the next rank's window", bad, (long long)len, 0, rank);
	MPI_Win_free(&win);
	free(src);
	free(dst);
	return err;
}

static int alltoall(size_t len, int rank, int size)
{
	size_t part = len / (size_t)size;
	unsigned char *out = malloc(part * size), *in = calloc(size, part);
	long long bad = 0;

	for (int to = 0; to < size; to++)
		fill(out + part * to, part, rank, 2000 + to);
	MPI_Alltoall(out, (int)part, MPI_BYTE, in, (int)part, MPI_BYTE, MPI_COMM_WORLD);
	for (int from = 0; from < size; from++)
		bad += wrong(in + part * from, part, from, 2000 + rank);
	free(out);
	free(in);
	return report("alltoall", bad, (long long)part * size, 0, rank);
}

int main(int argc, char **argv)
{
	size_t len = argc > 1 ? strtoull(argv[1], NULL, 0) : 4 << 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 8;
	int rank, size, err;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (len < (size_t)size || len > (size_t)1 << 30 || rounds < 1) {
		if (rank == 0)
			fprintf(stderr, "usage: mpi_check [BYTES (%d..1 GiB) [ROUNDS]]\n", size);
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	err = ring(len, rounds, rank, size);
	err |= put_get(len, rank, size);
	err |= alltoall(len, rank, size);
	MPI_Finalize();
	return err;
}
