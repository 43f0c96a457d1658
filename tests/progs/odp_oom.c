// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_oom DEV FILE: a process to be killed by the OOM killer (run it in a
 * memory cgroup) whose heap an implicit and an explicit ODP MR cover, with
 * RDMA WRITEs going through both while it runs.  A thread reads FILE, on a
 * FUSE server that does not answer (fuse_stall's "direct" file): once the
 * request is out, that read cannot be interrupted, so the killed process
 * cannot exit and its memory is only returned if the OOM reaper can unmap
 * it, which needs every ODP MR's invalidation to work without sleeping.
 * Prints "allocating" when the reader is blocked and it starts to grow;
 * never exits on its own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>

#include "common.h"

#define ODP		(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)
#define HEAP		(16u << 20)
#define XFER		(256u << 10)

static const char *file;

static void *reader(void *arg)
{
	char buf[4096];
	int fd = open(file, O_RDONLY);

	(void)arg;
	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
		die("read %s: %s", file, strerror(errno));
	return NULL;
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	struct ibv_mr *imr, *hmr;
	struct ibv_qp *qa, *qb;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	pthread_t t;
	uint8_t *heap;
	unsigned long n;

	if (argc != 3)
		die("usage: odp_oom DEV FILE");
	file = argv[2];
	ctx = open_device(argv[1]);
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 64, NULL, NULL, 0);
	heap = malloc(HEAP);
	if (!pd || !cq || !heap)
		die("setup: %s", strerror(errno));
	memset(heap, 1, HEAP);
	imr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP);
	hmr = ibv_reg_mr(pd, heap, HEAP, ODP);
	if (!imr || !hmr)
		die("ibv_reg_mr: %s", strerror(errno));
	rc_loopback_pair(pd, cq, 32, &qa, &qb);
	/* Both MRs have the heap mapped. */
	for (n = 0; n < HEAP / XFER; n++) {
		struct ibv_mr *mr = n & 1 ? imr : hmr;
		struct ibv_sge sge = { .addr = (uintptr_t)heap + n * XFER, .length = XFER,
				       .lkey = mr->lkey };
		struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { .remote_addr = (uintptr_t)heap +
							 ((n + 1) % (HEAP / XFER)) * XFER,
						       .rkey = (n & 1 ? hmr : imr)->rkey } };
		struct ibv_send_wr *bad;
		struct ibv_wc wc;

		if (ibv_post_send(qa, &wr, &bad) || !poll_one(cq, &wc) || wc.status)
			die("WRITE %lu failed", n);
	}
	pthread_create(&t, NULL, reader, NULL);
	sleep(1);
	printf("allocating\n");
	fflush(stdout);
	/* Grow until the OOM killer comes, with WRITEs still in flight. */
	for (n = 0;; n++) {
		uint8_t *p = malloc(1 << 20);
		struct ibv_sge sge = { .addr = (uintptr_t)heap, .length = XFER,
				       .lkey = imr->lkey };
		struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { .remote_addr = (uintptr_t)heap + XFER,
						       .rkey = hmr->rkey } };
		struct ibv_send_wr *bad;
		struct ibv_wc wc;

		if (p)
			memset(p, 2, 1 << 20);
		while (ibv_poll_cq(cq, 1, &wc) > 0)
			;
		if (!(n % 4))
			ibv_post_send(qa, &wr, &bad);
	}
}
