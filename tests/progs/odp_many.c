// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_many DEV_A DEV_B PAIRS ROUNDS: PAIRS RC QP pairs, each side with its
 * own ODP MR over fresh memory, all posting a multi-packet WRITE and a READ
 * at once so that hundreds of faults are queued together; every byte is
 * checked.  Each round drops the pages first (MADV_DONTNEED) so that the
 * next one faults everything again.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "common.h"

#define ACCESS	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)
#define LEN	(96u << 10)		/* per transfer: page-crossing, many packets */
#define AREA	(4 * LEN)		/* per side: write source, write target, read pair */

struct end {
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *mem;
};

struct dev {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	union ibv_gid gid;
};

static void dev_open(struct dev *d, const char *name, int cqe)
{
	d->ctx = open_device(name);
	d->pd = ibv_alloc_pd(d->ctx);
	d->cq = ibv_create_cq(d->ctx, cqe, NULL, NULL, 0);
	if (!d->pd || !d->cq || ibv_query_gid(d->ctx, 1, GID_INDEX, &d->gid))
		die("%s: %s", name, strerror(errno));
}

static void end_make(struct end *e, struct dev *d, uint8_t *mem)
{
	struct ibv_qp_init_attr init = {
		.send_cq = d->cq, .recv_cq = d->cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1, .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};

	e->mem = mem;
	e->qp = ibv_create_qp(d->pd, &init);
	e->mr = ibv_reg_mr(d->pd, mem, AREA, ACCESS);
	if (!e->qp || !e->mr || qp_to_init(e->qp))
		die("QP or ODP MR: %s", strerror(errno));
}

static void post(struct end *e, struct end *peer, enum ibv_wr_opcode op, uint32_t loff,
		 uint32_t roff, uint64_t id)
{
	struct ibv_sge sge = { .addr = (uintptr_t)e->mem + loff, .length = LEN - 13,
			       .lkey = e->mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = id, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)peer->mem + roff, .rkey = peer->mr->rkey },
	}, *bad;

	if (ibv_post_send(e->qp, &wr, &bad))
		die("post_send: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct dev da, db;
	struct end *a, *b;
	uint8_t *mem;
	unsigned int pairs, rounds, r, i, j, done, bad = 0, errors = 0;
	bool *failed;
	size_t total;
	double t0;

	if (argc != 5)
		die("usage: %s DEV_A DEV_B PAIRS ROUNDS", argv[0]);
	pairs = atoi(argv[3]);
	rounds = atoi(argv[4]);
	dev_open(&da, argv[1], 2 * pairs);
	dev_open(&db, argv[2], 2 * pairs);
	a = calloc(pairs, sizeof(*a));
	b = calloc(pairs, sizeof(*b));
	failed = calloc(pairs, sizeof(*failed));
	total = (size_t)2 * pairs * AREA;
	mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!a || !b || !failed || mem == MAP_FAILED)
		die("memory");
	for (i = 0; i < pairs; i++) {
		end_make(&a[i], &da, mem + (size_t)2 * i * AREA);
		end_make(&b[i], &db, mem + (size_t)(2 * i + 1) * AREA);
	}
	/*
	 * 16 times the suites' ACK time-out (268 ms on the stock kernel): 400
	 * QPs queue behind each other's faults, and the suites' 17 ms is only
	 * a few times what that queueing takes across the veth, far less on
	 * the debug kernel (docs/odp.md, Faults).
	 */
	if (!getenv("HODP_ACK_TIMEOUT")) {
		char t[8];

		snprintf(t, sizeof(t), "%d", ack_timeout() + 4);
		setenv("HODP_ACK_TIMEOUT", t, 0);
	}
	for (i = 0; i < pairs; i++) {
		qp_connect(a[i].qp, b[i].qp->qp_num, &db.gid, 7);
		qp_connect(b[i].qp, a[i].qp->qp_num, &da.gid, 7);
	}

	t0 = now_us();
	for (r = 0; r < rounds; r++) {
		/* Everything dropped, then the sources refilled: all of it faults. */
		madvise(mem, total, MADV_DONTNEED);
		for (i = 0; i < pairs; i++)
			for (j = 0; j < LEN; j++) {
				a[i].mem[j + 5] = (uint8_t)(i * 3 + j * 7 + r);
				b[i].mem[2 * LEN + j + 9] = (uint8_t)(i * 5 + j * 11 + r);
			}
		for (i = 0; i < pairs; i++) {
			post(&a[i], &b[i], IBV_WR_RDMA_WRITE, 5, LEN + 4093, 2 * i);
			post(&a[i], &b[i], IBV_WR_RDMA_READ, 3 * LEN + 1, 2 * LEN + 9, 2 * i + 1);
		}
		memset(failed, 0, pairs * sizeof(*failed));
		for (done = 0; done < 2 * pairs; done++) {
			struct ibv_wc wc;

			if (!poll_one(da.cq, &wc)) {
				printf("#   round %u: %u of %u completions, then none\n", r, done,
				       2 * pairs);
				errors++;
				break;
			}
			if (wc.status == IBV_WC_SUCCESS)
				continue;
			failed[wc.wr_id / 2] = true;
			if (!errors++)
				printf("#   round %u, pair %llu: %s\n", r,
				       (unsigned long long)wc.wr_id / 2, ibv_wc_status_str(wc.status));
		}
		/*
		 * Bytes are wrong only where both completions said success: a
		 * failed pair delivered nothing, and that is counted above.
		 */
		for (i = 0; i < pairs && done == 2 * pairs; i++)
			bad += !failed[i] &&
			       (memcmp(b[i].mem + LEN + 4093, a[i].mem + 5, LEN - 13) != 0 ||
				memcmp(a[i].mem + 3 * LEN + 1, b[i].mem + 2 * LEN + 9, LEN - 13) != 0);
	}
	printf("#   %u rounds of %u pairs: %.1f MiB moved in %.1f s\n", rounds, pairs,
	       rounds * pairs * 2.0 * (LEN - 13) / (1 << 20), (now_us() - t0) / 1e6);
	report(!errors && !bad, "%u QP pairs and %u ODP MRs faulting at once, %u rounds: "
	       "%u error completions, %u successful pairs with wrong bytes", pairs, 2 * pairs, rounds,
	       errors, bad);
	return tap_failures ? 1 : 0;
}
