// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_ab DEV PAGES ROUNDS SECONDS [OP [MODE]]: ODP against pinned on the very
 * same pages, 4 KiB pages or THP (PAGES 4k or thp); OP (write, read, send)
 * and MODE (pinned, odp) restrict the run to those, to profile one.
 *
 * perftest's pinned and --odp runs each allocate their own buffers, and
 * under TCG the rate at which the guest copies one set of pages differs from
 * the next set's by more than the 3 % looked for.  Here one process registers
 * a source and a destination buffer twice, pinned and ODP MRs over the same
 * memory, and alternates rounds of 1 MiB RDMA WRITE, READ and SEND (a
 * loopback RC pair, 16 messages in flight) between the two pairs of MRs, so
 * that the kind of MR is the only difference.  ODP MRs are prefetched and
 * warmed up first: this is the steady state.  Lines "ab OP MODE ROUND MIBS";
 * the destination is compared with the source after each operation's rounds.
 * With AB_TIMES set in the environment each round is also followed by a line
 * "span MODE START END" (CLOCK_MONOTONIC seconds), to split a profile taken
 * with perf record -k CLOCK_MONOTONIC by mode.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "../progs/common.h"

#define MSG		(1u << 20)
#define SLOTS		4		/* messages cycle over 4 MiB */
#define DEPTH		16
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

enum { PINNED, ODP, NMODES };
static const char *const mode_name[NMODES] = { "pinned", "odp" };

static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_qp *qa, *qb;
static uint8_t *src, *dst;
static struct ibv_mr *smr[NMODES], *dmr[NMODES];

static void setup(const char *dev, bool thp)
{
	struct ibv_context *ctx = open_device(dev);
	int m;

	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 4 * DEPTH, NULL, NULL, 0);
	if (!pd || !cq)
		die("setup: %s", strerror(errno));
	rc_loopback_pair(pd, cq, DEPTH, &qa, &qb);

	src = map_huge_aligned(SLOTS * MSG, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	dst = map_huge_aligned(SLOTS * MSG, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (size_t i = 0; i < SLOTS * MSG; i++)
		src[i] = (uint8_t)(i * 7 + i / MSG);
	memset(dst, 0, SLOTS * MSG);
	for (m = 0; m < NMODES; m++) {
		int access = ACCESS | (m == ODP ? IBV_ACCESS_ON_DEMAND : 0);

		smr[m] = ibv_reg_mr(pd, src, SLOTS * MSG, access);
		dmr[m] = ibv_reg_mr(pd, dst, SLOTS * MSG, access);
		if (!smr[m] || !dmr[m])
			die("%s MRs: %s", mode_name[m], strerror(errno));
	}
}

static void post_recv(int slot, int m)
{
	struct ibv_sge sge = { (uintptr_t)dst + slot * MSG, MSG, dmr[m]->lkey };
	struct ibv_recv_wr wr = { .wr_id = slot, .sg_list = &sge, .num_sge = 1 }, *bad;

	if (ibv_post_recv(qb, &wr, &bad))
		die("post_recv: %s", strerror(errno));
}

static void post(enum ibv_wr_opcode op, int slot, int m)
{
	struct ibv_sge sge = { (uintptr_t)src + slot * MSG, MSG, smr[m]->lkey };
	struct ibv_send_wr wr = { .wr_id = slot, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;

	wr.wr.rdma.remote_addr = (uintptr_t)dst + slot * MSG;
	wr.wr.rdma.rkey = dmr[m]->rkey;
	if (op == IBV_WR_RDMA_READ) {
		/* Into the destination from the source: same direction of data as the others. */
		sge = (struct ibv_sge) { (uintptr_t)dst + slot * MSG, MSG, dmr[m]->lkey };
		wr.wr.rdma.remote_addr = (uintptr_t)src + slot * MSG;
		wr.wr.rdma.rkey = smr[m]->rkey;
	}
	if (ibv_post_send(qa, &wr, &bad))
		die("post_send: %s", strerror(errno));
}

/* Keep DEPTH messages in flight for @seconds; MiB/s over the messages completed. */
static double round_mibs(enum ibv_wr_opcode op, int m, double seconds)
{
	double t0 = now_us(), last = t0, t = t0;
	unsigned long sent = 0, done = 0, recvd = 0;
	struct ibv_wc wc[DEPTH];
	int i, n;

	if (op == IBV_WR_SEND)
		for (i = 0; i < DEPTH; i++)
			post_recv(i % SLOTS, m);
	for (; sent < DEPTH; sent++)
		post(op, sent % SLOTS, m);
	while (done < sent) {
		n = ibv_poll_cq(cq, DEPTH, wc);
		if (n < 0)
			die("ibv_poll_cq: %d", n);
		t = now_us();
		for (i = 0; i < n; i++) {
			if (wc[i].status != IBV_WC_SUCCESS)
				die("%s round: %s", mode_name[m], ibv_wc_status_str(wc[i].status));
			if (wc[i].opcode == IBV_WC_RECV) {
				recvd++;
				continue;
			}
			done++;
			if ((t - t0) / 1e6 < seconds) {
				if (op == IBV_WR_SEND)
					post_recv(sent % SLOTS, m);
				post(op, sent++ % SLOTS, m);
			}
		}
		if (n)
			last = t;
		else if ((t - last) / 1e6 > poll_seconds()) {
			show_engine_state();
			die("%s round: no completion in %d s", mode_name[m], poll_seconds());
		}
	}
	/* A receive completes before its send; drain the stragglers all the same. */
	while (op == IBV_WR_SEND && recvd < done) {
		n = ibv_poll_cq(cq, DEPTH, wc);
		if (n < 0 || (n && wc[0].status != IBV_WC_SUCCESS))
			die("receive drain");
		recvd += n;
	}
	return (double)done * MSG / (1 << 20) / ((t - t0) / 1e6);
}

int main(int argc, char **argv)
{
	static const struct { enum ibv_wr_opcode op; const char *name; } ops[] = {
		{ IBV_WR_RDMA_WRITE, "write" }, { IBV_WR_RDMA_READ, "read" },
		{ IBV_WR_SEND, "send" },
	};
	int rounds, r, m;
	double seconds;
	unsigned int o;

	if (argc < 5 || argc > 7 || (strcmp(argv[2], "4k") && strcmp(argv[2], "thp")))
		die("usage: %s DEV 4k|thp ROUNDS SECONDS [OP [MODE]]", argv[0]);
	rounds = atoi(argv[3]);
	seconds = atof(argv[4]);
	setup(argv[1], !strcmp(argv[2], "thp"));
	for (m = 0; m < NMODES; m++) {
		struct ibv_sge sge[2] = { { (uintptr_t)src, SLOTS * MSG, smr[m]->lkey },
					  { (uintptr_t)dst, SLOTS * MSG, dmr[m]->lkey } };

		if (m == ODP && ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
					      IBV_ADVISE_MR_FLAG_FLUSH, sge, 2))
			die("prefetch: %s", strerror(errno));
	}
	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		if (argc > 5 && strcmp(argv[5], ops[o].name))
			continue;
		memset(dst, 0, SLOTS * MSG);
		for (m = 0; m < NMODES; m++)
			round_mibs(ops[o].op, m, 0.2);	/* warm-up, not reported */
		for (r = 1; r <= rounds; r++)
			for (m = 0; m < NMODES; m++) {
				/* Alternate which mode goes first: no order effect. */
				int mm = r % 2 ? m : NMODES - 1 - m;

				if (argc > 6 && strcmp(argv[6], mode_name[mm]))
					continue;
				double t0 = now_us(), mibs = round_mibs(ops[o].op, mm, seconds);

				printf("ab %s %s %d %.1f\n", ops[o].name, mode_name[mm], r, mibs);
				if (getenv("AB_TIMES"))
					printf("span %s %.6f %.6f\n", mode_name[mm], t0 / 1e6,
					       now_us() / 1e6);
				fflush(stdout);
			}
		if (memcmp(src, dst, SLOTS * MSG))
			die("%s: destination differs from source", ops[o].name);
	}
	return 0;
}
