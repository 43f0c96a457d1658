// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * srq_resize DEV: resize an SRQ while receive WQEs are posted on it and
 * show that none is lost, reordered or corrupted: WQEs posted before and
 * after the resize each receive one SEND, in posting order, byte for byte.
 * Then the refusals: shrinking below what is posted, zero, and above the
 * device's limit.
 */
#include <stdbool.h>
#include <stdint.h>

#include "common.h"

#define MSG		3001	/* three packets at MTU 1024 */
#define BEFORE		12
#define AFTER		40
#define SMALL		16
#define BIG		64

struct pair {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_srq *srq;
	struct ibv_qp *snd, *rcv;
	struct ibv_mr *mr;
	uint8_t *buf;		/* sender's message, then one slot per receive */
	union ibv_gid gid;
};

static uint8_t *slot(struct pair *p, int i)
{
	return p->buf + 4096 + (size_t)i * (MSG + 5);	/* unaligned, page-crossing */
}

static bool post_recvs(struct pair *p, int first, int n)
{
	int i;

	for (i = first; i < first + n; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)slot(p, i), .length = MSG,
				       .lkey = p->mr->lkey };
		struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

		CHECK(!ibv_post_srq_recv(p->srq, &wr, &bad), "post_srq_recv %d", i);
	}
	return true;
}

static bool send_all(struct pair *p, int n)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < n; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)p->buf + 7, .length = MSG,
				       .lkey = p->mr->lkey };
		struct ibv_send_wr wr = { .wr_id = 1000 + i, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_SEND_WITH_IMM,
					  .send_flags = IBV_SEND_SIGNALED, .imm_data = htobe32(i) },
			*bad;
		int j;

		for (j = 0; j < MSG; j++)
			p->buf[7 + j] = (uint8_t)(i * 31 + j * 7);
		CHECK(!ibv_post_send(p->snd, &wr, &bad), "post_send %d", i);
		/* One CQ for both QPs: a send and a receive completion, either order. */
		for (j = 0; j < 2; j++) {
			CHECK(poll_one(p->cq, &wc), "completion %d of message %d", j, i);
			CHECK(wc.status == IBV_WC_SUCCESS, "message %d: %s", i,
			      ibv_wc_status_str(wc.status));
			if (wc.opcode != IBV_WC_RECV)
				continue;
			CHECK(wc.wr_id == (uint64_t)i, "message %d landed in WQE %llu", i,
			      (unsigned long long)wc.wr_id);
			CHECK(wc.byte_len == MSG && be32toh(wc.imm_data) == (uint32_t)i,
			      "length %u / immediate", wc.byte_len);
			CHECK(!memcmp(slot(p, i), p->buf + 7, MSG), "message %d differs", i);
		}
	}
	return true;
}

static bool srq_max_wr(struct ibv_srq *srq, uint32_t *max_wr)
{
	struct ibv_srq_attr attr;

	CHECK(!ibv_query_srq(srq, &attr), "ibv_query_srq");
	*max_wr = attr.max_wr;
	return true;
}

static int resize(struct ibv_srq *srq, uint32_t max_wr)
{
	struct ibv_srq_attr attr = { .max_wr = max_wr };

	return ibv_modify_srq(srq, &attr, IBV_SRQ_MAX_WR);
}

int main(int argc, char **argv)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = SMALL, .max_sge = 1 } };
	struct ibv_qp_init_attr qattr = { .qp_type = IBV_QPT_RC,
					  .cap = { .max_send_wr = 8, .max_send_sge = 1 } };
	struct ibv_device_attr dattr;
	struct pair p = {};
	uint32_t max_wr = 0;
	bool ok;

	if (argc != 2)
		die("usage: %s DEV", argv[0]);
	p.ctx = open_device(argv[1]);
	p.pd = ibv_alloc_pd(p.ctx);
	p.cq = ibv_create_cq(p.ctx, 256, NULL, NULL, 0);
	p.srq = ibv_create_srq(p.pd, &sattr);
	p.buf = calloc(1, 4096 + (size_t)(BEFORE + AFTER) * (MSG + 5));
	if (!p.pd || !p.cq || !p.srq || !p.buf || ibv_query_device(p.ctx, &dattr) ||
	    ibv_query_gid(p.ctx, 1, GID_INDEX, &p.gid))
		die("setup: %s", strerror(errno));
	p.mr = ibv_reg_mr(p.pd, p.buf, 4096 + (size_t)(BEFORE + AFTER) * (MSG + 5),
			  IBV_ACCESS_LOCAL_WRITE);
	qattr.send_cq = qattr.recv_cq = p.cq;
	p.snd = ibv_create_qp(p.pd, &qattr);
	qattr.srq = p.srq;
	p.rcv = ibv_create_qp(p.pd, &qattr);
	if (!p.mr || !p.snd || !p.rcv || qp_to_init(p.snd) || qp_to_init(p.rcv))
		die("QPs: %s", strerror(errno));
	qp_connect(p.snd, p.rcv->qp_num, &p.gid, 7);
	qp_connect(p.rcv, p.snd->qp_num, &p.gid, 7);

	report(post_recvs(&p, 0, BEFORE), "%d receives posted on a %d-entry SRQ", BEFORE, SMALL);
	report(resize(p.srq, BEFORE - 1) == EINVAL, "shrinking below the posted WQEs: EINVAL");
	report(resize(p.srq, 0) == EINVAL, "resizing to 0: EINVAL");
	report(resize(p.srq, dattr.max_srq_wr + 1) == EINVAL, "above max_srq_wr: EINVAL");
	ok = !resize(p.srq, BIG) && srq_max_wr(p.srq, &max_wr) && max_wr >= BIG;
	report(ok, "resized to %d with WQEs posted (max_wr now %u)", BIG, max_wr);
	report(post_recvs(&p, BEFORE, AFTER), "%d more receives posted after the resize", AFTER);
	report(send_all(&p, BEFORE + AFTER),
	       "%d SENDs land in order in the WQEs from before and after, verified",
	       BEFORE + AFTER);

	ibv_destroy_qp(p.rcv);
	ibv_destroy_qp(p.snd);
	ibv_destroy_srq(p.srq);
	ibv_dereg_mr(p.mr);
	ibv_destroy_cq(p.cq);
	ibv_dealloc_pd(p.pd);
	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
