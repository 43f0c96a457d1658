// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_stall DEV FILE: a page fault that never ends must hold up only its
 * own QP.  FILE is on a FUSE server that answers reads a minute late
 * (fuse_stall).  Process B streams ODP WRITEs into memory it empties with
 * MADV_DONTNEED before each one, so that every WRITE faults; process A
 * maps FILE, registers an ODP MR over it and has an RDMA READ and a WRITE
 * fault on it.  B's stream must go on while A is stuck, A's QPs must be
 * destroyed and A killed without waiting for the server.  Prints B's rate
 * before and during the stall and how long the destroy and the kill took;
 * one TAP line per check.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define ODP		(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)
#define LEN		(256u << 10)
#define FILE_LEN	(1u << 20)
/* A hang bound, far below the server's minute: not a speed target. */
#define PROMPT_S	10

static const char *dev;

static double now_s(void)
{
	return now_us() / 1e6;
}

static void post(struct ibv_qp *qp, enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr,
		 struct ibv_mr *rmr, void *raddr, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)laddr, .length = len, .lkey = lmr->lkey };
	struct ibv_send_wr wr = { .wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED,
				  .wr.rdma = { .remote_addr = (uintptr_t)raddr,
					       .rkey = rmr->rkey } };
	struct ibv_send_wr *bad;

	if (ibv_post_send(qp, &wr, &bad))
		die("post_send: %s", strerror(errno));
}

/* Process A: RDMA that faults on FILE, then destroy on request, then wait to be killed. */
static void run_a(const char *file, int to_b, int from_b)
{
	struct ibv_context *ctx = open_device(dev);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	uint8_t *buf = map_anon(FILE_LEN), *p;
	struct ibv_mr *fmr, *bmr;
	struct ibv_qp *qa, *qb;
	double t0, took;
	int fd;
	char c;

	if (!pd || !cq)
		die("A: setup: %s", strerror(errno));
	fd = open(file, O_RDONLY);
	if (fd < 0)
		die("A: %s: %s", file, strerror(errno));
	p = mmap(NULL, FILE_LEN, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("A: mmap: %s", strerror(errno));
	/* Closed now, while the server answers: a close at exit would wait for it (FLUSH). */
	close(fd);
	fmr = ibv_reg_mr(pd, p, FILE_LEN, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	bmr = ibv_reg_mr(pd, buf, FILE_LEN, ODP);
	if (!fmr || !bmr)
		die("A: ibv_reg_mr: %s", strerror(errno));
	rc_loopback_pair(pd, cq, 4, &qa, &qb);
	/* The responder faults reading the file; the requester faults sending from it. */
	post(qa, IBV_WR_RDMA_READ, bmr, buf, fmr, p, 64 << 10);
	post(qb, IBV_WR_RDMA_WRITE, fmr, p + (512 << 10), bmr, buf + (512 << 10), 64 << 10);
	if (write(to_b, "p", 1) != 1 || read(from_b, &c, 1) != 1)
		die("A: pipe");
	t0 = now_s();
	if (ibv_destroy_qp(qa) || ibv_destroy_qp(qb))
		die("A: ibv_destroy_qp: %s", strerror(errno));
	took = now_s() - t0;
	if (write(to_b, &took, sizeof(took)) != sizeof(took))
		die("A: pipe");
	for (;;)
		pause();
}

/* B's stream for @seconds: MiB/s, or -1 if a WRITE never completed. */
static double b_rate(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_mr *smr, uint8_t *src,
		     struct ibv_mr *dmr, uint8_t *dst, double seconds, unsigned long *writes)
{
	double t0 = now_s(), t;
	unsigned long n = 0;
	struct ibv_wc wc;

	do {
		if (madvise(dst, LEN, MADV_DONTNEED))
			die("madvise: %s", strerror(errno));
		src[0] = (uint8_t)n;
		src[LEN - 1] = (uint8_t)~n;
		post(qp, IBV_WR_RDMA_WRITE, smr, src, dmr, dst, LEN);
		if (!poll_one(cq, &wc)) {
			printf("#   B: a WRITE had no completion within %d s\n", poll_seconds());
			return -1;
		}
		if (wc.status != IBV_WC_SUCCESS || memcmp(dst, src, LEN)) {
			printf("#   B: WRITE %lu: %s\n", n, wc.status ? ibv_wc_status_str(wc.status) :
			       "payload differs");
			return -1;
		}
		n++;
		t = now_s() - t0;
	} while (t < seconds);
	*writes += n;
	return n * (LEN / 1048576.0) / t;
}

/* Where the kernel has process @pid waiting, as "#" lines. */
static void show_stacks(pid_t pid)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "cat /proc/%d/task/*/stack 2>&1 | sed 's/^/#     /'", pid);
	if (system(cmd) < 0)
		printf("#   cannot show the stacks of %d\n", pid);
	fflush(stdout);
}

/* Wait up to @seconds for @fd to be readable. */
static bool readable_within(int fd, double seconds)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, seconds * 1000) == 1;
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qa, *qb;
	struct ibv_mr *smr, *dmr;
	uint8_t *src, *dst;
	int a_to_b[2], b_to_a[2], status;
	double alone, during = -1, destroy_s = -1, kill_s = -1, t0;
	unsigned long writes = 0;
	pid_t a;
	char c;

	if (argc != 3)
		die("usage: odp_stall DEV FILE");
	dev = argv[1];
	if (pipe(a_to_b) || pipe(b_to_a))
		die("pipe: %s", strerror(errno));
	a = fork();
	if (!a) {
		close(a_to_b[0]);
		close(b_to_a[1]);
		run_a(argv[2], a_to_b[1], b_to_a[0]);
	}
	close(a_to_b[1]);
	close(b_to_a[0]);

	ctx = open_device(dev);
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	src = map_anon(LEN);
	dst = map_anon(LEN);
	if (!pd || !cq)
		die("B: setup: %s", strerror(errno));
	smr = ibv_reg_mr(pd, src, LEN, ODP);
	dmr = ibv_reg_mr(pd, dst, LEN, ODP);
	if (!smr || !dmr)
		die("B: ibv_reg_mr: %s", strerror(errno));
	memset(src, 0x5b, LEN);
	rc_loopback_pair(pd, cq, 4, &qa, &qb);

	alone = b_rate(qa, cq, smr, src, dmr, dst, 2, &writes);
	/* A's faults are out and stuck in the server. */
	if (!readable_within(a_to_b[0], poll_seconds()) || read(a_to_b[0], &c, 1) != 1)
		die("A did not start");
	usleep(500000);
	if (alone > 0)
		during = b_rate(qa, cq, smr, src, dmr, dst, 2, &writes);
	printf("#   B alone %.1f MiB/s, while A is stuck %.1f MiB/s (ratio %.2f), %lu WRITEs\n",
	       alone, during, alone > 0 ? during / alone : 0, writes);
	report(alone > 0 && during > 0,
	       "B's ODP WRITEs (a fault each) go on while A's faults are stuck in FUSE");

	t0 = now_s();
	if (write(b_to_a[1], "d", 1) == 1 && readable_within(a_to_b[0], PROMPT_S * time_scale()) &&
	    read(a_to_b[0], &destroy_s, sizeof(destroy_s)) == sizeof(destroy_s))
		printf("#   ibv_destroy_qp of A's two QPs: %.3f s\n", destroy_s);
	else {
		printf("#   ibv_destroy_qp of A's QPs still blocked after %.1f s\n", now_s() - t0);
		show_stacks(a);
	}
	report(destroy_s >= 0, "A's QPs are destroyed while their faults are stuck");

	kill(a, SIGKILL);
	t0 = now_s();
	while (now_s() - t0 < PROMPT_S * time_scale()) {
		if (waitpid(a, &status, WNOHANG) == a) {
			kill_s = now_s() - t0;
			break;
		}
		usleep(10000);
	}
	printf("#   A killed: %s %.3f s\n", kill_s >= 0 ? "exited after" : "still there after",
	       kill_s >= 0 ? kill_s : now_s() - t0);
	if (kill_s < 0)
		show_stacks(a);
	report(kill_s >= 0, "A exits when killed while its faults are stuck");

	ibv_destroy_qp(qa);
	ibv_destroy_qp(qb);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	printf("1..%d\n", tap_tests);
	return tap_failures ? 1 : 0;
}
