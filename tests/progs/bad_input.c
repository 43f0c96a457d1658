// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bad_input DEV: bad input through libibverbs, each case with the outcome the
 * IB spec asks for: bad keys and addresses in work requests (completion
 * status, QP in error, later WRs flushed), refused QP state transitions and
 * attributes, refused object sizes, refused posts, legal zero-length
 * transfers, destroying objects still in use, refused registrations.  RC, UC
 * and UD QPs in loopback on DEV (GID index 1).  One TAP line per case; exits
 * non-zero if any fails.  Never waits more than a few seconds for a
 * completion.
 */
#include <arpa/inet.h>
#include <sys/mman.h>

#include "common.h"

#define BUF_SIZE	(1u << 20)
#define GRH_SIZE	40
#define BAD_KEY(k)	((k) ^ 0x5a5a00)	/* a key no MR here has */

static struct ibv_context *ctx;
static struct ibv_device_attr dev;
static struct ibv_port_attr port;
static union ibv_gid gid;
static struct ibv_pd *pd;
static uint8_t *buf;		/* BUF_SIZE bytes, page aligned */
static struct ibv_mr *mr;	/* buf with every access */
static struct ibv_mr *mr_nw;	/* buf without REMOTE_WRITE */
static struct ibv_mr *mr_nr;	/* buf without REMOTE_READ */
static struct ibv_mr *mr_na;	/* buf without REMOTE_ATOMIC */
static struct ibv_mr *mr_lro;	/* buf local read only: no LOCAL_WRITE */

/* Two QPs of one type in loopback, each with its own CQ. */
struct pair {
	struct ibv_qp *a, *b;
	struct ibv_cq *ca, *cb;
	struct ibv_qp_cap cap;	/* as created */
	struct ibv_ah *ah;	/* UD: a towards b */
};

static const struct ibv_qp_cap default_cap = {
	.max_send_wr = 16, .max_recv_wr = 16, .max_send_sge = 4, .max_recv_sge = 4,
	.max_inline_data = 64,
};

static struct ibv_qp *qp_new(struct ibv_pd *qpd, struct ibv_cq *cq, struct ibv_srq *srq,
			     enum ibv_qp_type type, struct ibv_qp_cap *cap)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .srq = srq, .qp_type = type, .cap = *cap,
	};
	struct ibv_qp *qp = ibv_create_qp(qpd, &init);

	if (!qp)
		die("ibv_create_qp: %s", strerror(errno));
	*cap = init.cap;
	return qp;
}

static void pair_up(struct pair *p, enum ibv_qp_type type, const struct ibv_qp_cap *cap)
{
	struct ibv_qp_cap cap_b = *cap;

	memset(p, 0, sizeof(*p));
	p->ca = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	p->cb = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	if (!p->ca || !p->cb)
		die("ibv_create_cq: %s", strerror(errno));
	p->cap = *cap;
	p->a = qp_new(pd, p->ca, NULL, type, &p->cap);
	p->b = qp_new(pd, p->cb, NULL, type, &cap_b);
	if (qp_to_init(p->a) || qp_to_init(p->b))
		die("to INIT: %s", strerror(errno));
	qp_connect(p->a, p->b->qp_num, &gid, 7);
	qp_connect(p->b, p->a->qp_num, &gid, 7);
	if (type == IBV_QPT_UD) {
		struct ibv_ah_attr ah = {
			.is_global = 1, .port_num = 1,
			.grh = { .dgid = gid, .sgid_index = GID_INDEX, .hop_limit = 64 },
		};

		p->ah = ibv_create_ah(pd, &ah);
		if (!p->ah)
			die("ibv_create_ah: %s", strerror(errno));
	}
}

static void pair_down(struct pair *p)
{
	if (p->ah && ibv_destroy_ah(p->ah))
		die("ibv_destroy_ah");
	if (ibv_destroy_qp(p->a) || ibv_destroy_qp(p->b))
		die("ibv_destroy_qp: %s", strerror(errno));
	if (ibv_destroy_cq(p->ca) || ibv_destroy_cq(p->cb))
		die("ibv_destroy_cq: %s", strerror(errno));
}

static struct ibv_sge sge_at(struct ibv_mr *m, size_t off, uint32_t len)
{
	return (struct ibv_sge) { .addr = (uintptr_t)buf + off, .length = len, .lkey = m->lkey };
}

static int post_recv(struct ibv_qp *qp, uint64_t wr_id, struct ibv_sge *sge, int n)
{
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = sge, .num_sge = n }, *bad;

	return ibv_post_recv(qp, &wr, &bad);
}

static const char *state_str(int s)
{
	static const char *const names[] = { "RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR" };

	return s >= 0 && s <= IBV_QPS_ERR ? names[s] : "?";
}

/*
 * Post @wr signaled on p->a; 0 and the completion in @wc, or the post's
 * error, or -1 when no completion came.
 */
static int post_wait(struct pair *p, struct ibv_send_wr *wr, struct ibv_wc *wc)
{
	struct ibv_send_wr *bad;
	int ret;

	wr->send_flags |= IBV_SEND_SIGNALED;
	ret = ibv_post_send(p->a, wr, &bad);
	if (ret)
		return ret;
	return poll_one(p->ca, wc) ? 0 : -1;
}

/* Nothing arrives on @cq for @seconds. */
static bool cq_stays_empty(struct ibv_cq *cq, double seconds)
{
	struct ibv_wc wc;

	if (!poll_one_for(cq, &wc, seconds))
		return true;
	printf("#   unexpected completion: status %s, opcode %d, byte_len %u\n",
	       ibv_wc_status_str(wc.status), wc.opcode, wc.byte_len);
	return false;
}

/* 1, 2: a WR the requester or the responder refuses, on a fresh RC pair. */
struct err_case {
	const char *name;
	enum ibv_wr_opcode opcode;
	struct ibv_sge sge;
	uint64_t raddr;
	uint32_t rkey;
	enum ibv_wc_status want;
	bool flush;		/* also check that later WRs flush */
};

static void run_err_case(const struct err_case *c)
{
	struct ibv_sge rsge = sge_at(mr, BUF_SIZE / 2, BUF_SIZE / 2), sge = c->sge;
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1,
				  .opcode = c->opcode };
	struct ibv_recv_wr rwr = { .wr_id = 3 }, *rbad;
	struct ibv_wc wc = {}, wc2 = {};
	struct pair p;
	int ret, st;

	pair_up(&p, IBV_QPT_RC, &default_cap);
	if (c->opcode == IBV_WR_ATOMIC_CMP_AND_SWP || c->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = c->raddr;
		wr.wr.atomic.rkey = c->rkey;
		wr.wr.atomic.compare_add = 1;
	} else {
		wr.wr.rdma.remote_addr = c->raddr;
		wr.wr.rdma.rkey = c->rkey;
	}
	if (c->opcode == IBV_WR_SEND && post_recv(p.b, 2, &rsge, 1))
		die("post_recv");

	ret = post_wait(&p, &wr, &wc);
	if (ret == 0 && wc.status == c->want && wc.wr_id == 1) {
		report(true, "%s: %s", c->name, ibv_wc_status_str(c->want));
	} else {
		report(false, "%s: %s", c->name, ibv_wc_status_str(c->want));
		if (ret)
			printf("#   ibv_post_send: %s\n", ret < 0 ? "no completion" : strerror(ret));
		else
			printf("#   status %s, wr_id %llu\n", ibv_wc_status_str(wc.status),
			       (unsigned long long)wc.wr_id);
	}
	st = qp_state(p.a);
	report(st == IBV_QPS_ERR, "%s: then the QP is in the error state", c->name);
	if (st != IBV_QPS_ERR)
		printf("#   state %s\n", state_str(st));

	if (c->flush) {
		struct ibv_send_wr later = { .wr_id = 4, .opcode = IBV_WR_RDMA_WRITE,
					     .wr.rdma = { .remote_addr = (uintptr_t)buf,
							  .rkey = mr->rkey } };

		wc.status = wc2.status = IBV_WC_SUCCESS;
		ret = post_wait(&p, &later, &wc);
		rwr.sg_list = &rsge;
		rwr.num_sge = 1;
		if (!ret)
			ret = ibv_post_recv(p.a, &rwr, &rbad) ?: poll_one(p.ca, &wc2) ? 0 : -1;
		report(!ret && wc.status == IBV_WC_WR_FLUSH_ERR && wc.wr_id == 4 &&
		       wc2.status == IBV_WC_WR_FLUSH_ERR && wc2.wr_id == 3,
		       "%s: a later send and receive flush", c->name);
		if (ret)
			printf("#   %s\n", ret < 0 ? "no completion" : strerror(ret));
		else if (wc.status != IBV_WC_WR_FLUSH_ERR || wc2.status != IBV_WC_WR_FLUSH_ERR)
			printf("#   send %s, receive %s\n", ibv_wc_status_str(wc.status),
			       ibv_wc_status_str(wc2.status));
	}
	pair_down(&p);
}

static void t_keys_and_access(void)
{
	uint64_t base = (uintptr_t)buf, end = base + BUF_SIZE;
	const struct err_case cases[] = {
		/* 1: local keys */
		{ "SEND with an invalid lkey", IBV_WR_SEND,
		  { base, 100, BAD_KEY(mr->lkey) }, 0, 0, IBV_WC_LOC_PROT_ERR, true },
		{ "RDMA WRITE with an invalid lkey", IBV_WR_RDMA_WRITE,
		  { base, 100, BAD_KEY(mr->lkey) }, base + 4096, mr->rkey,
		  IBV_WC_LOC_PROT_ERR, true },
		{ "RDMA READ with an invalid lkey", IBV_WR_RDMA_READ,
		  { base, 100, BAD_KEY(mr->lkey) }, base + 4096, mr->rkey,
		  IBV_WC_LOC_PROT_ERR, true },
		/* 2: remote keys, ranges and rights */
		{ "RDMA WRITE with an invalid rkey", IBV_WR_RDMA_WRITE,
		  { base, 100, mr->lkey }, base + 4096, BAD_KEY(mr->rkey),
		  IBV_WC_REM_ACCESS_ERR, true },
		{ "RDMA READ with an invalid rkey", IBV_WR_RDMA_READ,
		  { base, 100, mr->lkey }, base + 4096, BAD_KEY(mr->rkey),
		  IBV_WC_REM_ACCESS_ERR, false },
		{ "fetch-and-add with an invalid rkey", IBV_WR_ATOMIC_FETCH_AND_ADD,
		  { base, 8, mr->lkey }, base + 4096, BAD_KEY(mr->rkey),
		  IBV_WC_REM_ACCESS_ERR, false },
		{ "RDMA WRITE running past the end of the remote MR", IBV_WR_RDMA_WRITE,
		  { base, 100, mr->lkey }, end - 50, mr->rkey, IBV_WC_REM_ACCESS_ERR, false },
		{ "RDMA WRITE starting below the remote MR", IBV_WR_RDMA_WRITE,
		  { base, 100, mr->lkey }, base - 64, mr->rkey, IBV_WC_REM_ACCESS_ERR, false },
		{ "RDMA READ running past the end of the remote MR", IBV_WR_RDMA_READ,
		  { base, 100, mr->lkey }, end - 50, mr->rkey, IBV_WC_REM_ACCESS_ERR, false },
		{ "compare-and-swap just after the remote MR", IBV_WR_ATOMIC_CMP_AND_SWP,
		  { base, 8, mr->lkey }, end, mr->rkey, IBV_WC_REM_ACCESS_ERR, false },
		{ "RDMA WRITE to an MR without REMOTE_WRITE", IBV_WR_RDMA_WRITE,
		  { base, 100, mr->lkey }, base + 4096, mr_nw->rkey, IBV_WC_REM_ACCESS_ERR,
		  false },
		{ "RDMA READ from an MR without REMOTE_READ", IBV_WR_RDMA_READ,
		  { base, 100, mr->lkey }, base + 4096, mr_nr->rkey, IBV_WC_REM_ACCESS_ERR,
		  false },
		{ "fetch-and-add on an MR without REMOTE_ATOMIC", IBV_WR_ATOMIC_FETCH_AND_ADD,
		  { base, 8, mr->lkey }, base + 4096, mr_na->rkey, IBV_WC_REM_ACCESS_ERR, false },
		{ "compare-and-swap on an MR without REMOTE_ATOMIC", IBV_WR_ATOMIC_CMP_AND_SWP,
		  { base, 8, mr->lkey }, base + 4096, mr_na->rkey, IBV_WC_REM_ACCESS_ERR, false },
		/* A misaligned atomic is a class C responder error: NAK Invalid Request (rxe too). */
		{ "fetch-and-add on an address not 8-byte aligned", IBV_WR_ATOMIC_FETCH_AND_ADD,
		  { base, 8, mr->lkey }, base + 4100, mr->rkey, IBV_WC_REM_INV_REQ_ERR, false },
		{ "compare-and-swap on an address not 8-byte aligned", IBV_WR_ATOMIC_CMP_AND_SWP,
		  { base, 8, mr->lkey }, base + 4097, mr->rkey, IBV_WC_REM_INV_REQ_ERR, false },
		/* 2: local SGEs outside their MR, or without the right to be written */
		{ "SEND from an SGE starting below its MR", IBV_WR_SEND,
		  { base - 8, 16, mr->lkey }, 0, 0, IBV_WC_LOC_PROT_ERR, false },
		{ "SEND from an SGE running past the end of its MR", IBV_WR_SEND,
		  { end - 8, 16, mr->lkey }, 0, 0, IBV_WC_LOC_PROT_ERR, false },
		{ "RDMA WRITE from an SGE running past the end of its MR", IBV_WR_RDMA_WRITE,
		  { end - 8, 16, mr->lkey }, base + 4096, mr->rkey, IBV_WC_LOC_PROT_ERR, false },
		{ "RDMA READ into an SGE running past the end of its MR", IBV_WR_RDMA_READ,
		  { end - 8, 16, mr->lkey }, base + 4096, mr->rkey, IBV_WC_LOC_PROT_ERR, false },
		{ "RDMA READ into an MR without LOCAL_WRITE", IBV_WR_RDMA_READ,
		  { base, 100, mr_lro->lkey }, base + 4096, mr->rkey, IBV_WC_LOC_PROT_ERR, false },
		{ "fetch-and-add result into an MR without LOCAL_WRITE",
		  IBV_WR_ATOMIC_FETCH_AND_ADD, { base, 8, mr_lro->lkey }, base + 4096, mr->rkey,
		  IBV_WC_LOC_PROT_ERR, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_err_case(&cases[i]);
}

/* Bring @qp back to RESET, then up to @target (RESET, INIT or RTR, looped to itself). */
static void qp_reach(struct ibv_qp *qp, int target)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RESET };
	int mask;

	if (qp_state(qp) == target)
		return;
	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE))
		die("to RESET: %s", strerror(errno));
	if (target >= IBV_QPS_INIT && qp_to_init(qp))
		die("to INIT: %s", strerror(errno));
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	if (target >= IBV_QPS_RTR && ibv_modify_qp(qp, &attr, mask))
		die("to RTR: %s", strerror(errno));
}

/* 3: ibv_modify_qp refuses, and the QP stays where it was (put back if not). */
static void modify_refused(struct ibv_qp *qp, const char *name, struct ibv_qp_attr *attr,
			   int mask)
{
	int before = qp_state(qp), ret, after;

	ret = ibv_modify_qp(qp, attr, mask);
	after = qp_state(qp);
	report(ret == EINVAL && after == before, "modify_qp %s: EINVAL, state stays %s", name,
	       state_str(before));
	if (ret != EINVAL || after != before)
		printf("#   returned %s, state %s -> %s\n", ret ? strerror(ret) : "success",
		       state_str(before), state_str(after));
	qp_reach(qp, before);
}

static void t_modify(void)
{
	struct ibv_qp_cap cap = default_cap;
	struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	struct ibv_qp_attr attr, init = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	int init_mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	struct ibv_qp *qp;
	int mask;

	if (!cq)
		die("ibv_create_cq");
	qp = qp_new(pd, cq, NULL, IBV_QPT_RC, &cap);

	/* From RESET */
	mask = qp_rts_attr(qp, 7, &attr);
	modify_refused(qp, "RESET to RTS", &attr, mask);
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	modify_refused(qp, "RESET to RTR", &attr, mask);
	attr = init;
	attr.port_num = 0;
	modify_refused(qp, "RESET to INIT on port 0", &attr, init_mask);
	attr.port_num = 2;
	modify_refused(qp, "RESET to INIT on port 2", &attr, init_mask);
	attr = init;
	attr.pkey_index = port.pkey_tbl_len;
	modify_refused(qp, "RESET to INIT with pkey_index = pkey_tbl_len", &attr, init_mask);
	attr = init;
	modify_refused(qp, "RESET to INIT without IBV_QP_ACCESS_FLAGS", &attr,
		       init_mask & ~IBV_QP_ACCESS_FLAGS);
	modify_refused(qp, "RESET to INIT without IBV_QP_PORT", &attr, init_mask & ~IBV_QP_PORT);
	attr.path_mtu = IBV_MTU_1024;
	modify_refused(qp, "RESET to INIT with IBV_QP_PATH_MTU (not allowed)", &attr,
		       init_mask | IBV_QP_PATH_MTU);

	qp_reach(qp, IBV_QPS_INIT);
	mask = qp_rts_attr(qp, 7, &attr);
	modify_refused(qp, "INIT to RTS", &attr, mask);
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	attr.path_mtu = 0;
	modify_refused(qp, "INIT to RTR with path_mtu 0", &attr, mask);
	attr.path_mtu = IBV_MTU_4096 + 1;
	modify_refused(qp, "INIT to RTR with path_mtu 6", &attr, mask);
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	if (dev.max_qp_rd_atom < 255) {
		attr.max_dest_rd_atomic = dev.max_qp_rd_atom + 1;
		modify_refused(qp, "INIT to RTR with max_dest_rd_atomic = max_qp_rd_atom + 1",
			       &attr, mask);
	}
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	attr.min_rnr_timer = 32;
	modify_refused(qp, "INIT to RTR with min_rnr_timer 32", &attr, mask);
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	modify_refused(qp, "INIT to RTR without IBV_QP_AV", &attr, mask & ~IBV_QP_AV);
	modify_refused(qp, "INIT to RTR without IBV_QP_DEST_QPN", &attr, mask & ~IBV_QP_DEST_QPN);
	modify_refused(qp, "INIT to RTR without IBV_QP_PATH_MTU", &attr, mask & ~IBV_QP_PATH_MTU);
	attr.sq_psn = 1;
	modify_refused(qp, "INIT to RTR with IBV_QP_SQ_PSN (not allowed)", &attr,
		       mask | IBV_QP_SQ_PSN);
	attr.ah_attr.port_num = 2;
	modify_refused(qp, "INIT to RTR with an address vector on port 2", &attr, mask);

	qp_reach(qp, IBV_QPS_RTR);
	mask = qp_rts_attr(qp, 7, &attr);
	if (dev.max_qp_init_rd_atom < 255) {
		attr.max_rd_atomic = dev.max_qp_init_rd_atom + 1;
		modify_refused(qp, "RTR to RTS with max_rd_atomic = max_qp_init_rd_atom + 1",
			       &attr, mask);
	}
	mask = qp_rts_attr(qp, 7, &attr);
	attr.timeout = 32;
	modify_refused(qp, "RTR to RTS with timeout 32", &attr, mask);
	mask = qp_rts_attr(qp, 7, &attr);
	attr.retry_cnt = 8;
	modify_refused(qp, "RTR to RTS with retry_cnt 8", &attr, mask);
	mask = qp_rts_attr(qp, 7, &attr);
	attr.rnr_retry = 8;
	modify_refused(qp, "RTR to RTS with rnr_retry 8", &attr, mask);
	mask = qp_rts_attr(qp, 7, &attr);
	modify_refused(qp, "RTR to RTS without IBV_QP_SQ_PSN", &attr, mask & ~IBV_QP_SQ_PSN);
	attr.dest_qp_num = qp->qp_num;
	modify_refused(qp, "RTR to RTS with IBV_QP_DEST_QPN (not allowed)", &attr,
		       mask | IBV_QP_DEST_QPN);

	if (ibv_destroy_qp(qp) || ibv_destroy_cq(cq))
		die("destroy: %s", strerror(errno));
}

/* 4: objects larger than the device allows. */
static void create_qp_refused(const char *name, struct ibv_cq *cq, struct ibv_qp_cap cap)
{
	struct ibv_qp_init_attr init = { .send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
					 .cap = cap };
	struct ibv_qp *qp;

	errno = 0;
	qp = ibv_create_qp(pd, &init);
	report(!qp && errno == EINVAL, "create_qp with %s: EINVAL", name);
	if (qp) {
		printf("#   created\n");
		ibv_destroy_qp(qp);
	} else if (errno != EINVAL) {
		printf("#   errno %s\n", strerror(errno));
	}
}

static void t_create(void)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	struct ibv_srq_init_attr srq_init;
	struct ibv_qp_init_attr init;
	struct ibv_qp_cap cap;
	struct ibv_srq *srq;
	struct ibv_qp *qp;

	if (!cq)
		die("ibv_create_cq");
	cap = default_cap;
	cap.max_send_wr = dev.max_qp_wr + 1;
	create_qp_refused("max_send_wr = max_qp_wr + 1", cq, cap);
	cap = default_cap;
	cap.max_recv_wr = dev.max_qp_wr + 1;
	create_qp_refused("max_recv_wr = max_qp_wr + 1", cq, cap);
	cap = default_cap;
	cap.max_send_sge = dev.max_sge + 1;
	create_qp_refused("max_send_sge = max_sge + 1", cq, cap);
	cap = default_cap;
	cap.max_recv_sge = dev.max_sge + 1;
	create_qp_refused("max_recv_sge = max_sge + 1", cq, cap);
	cap = default_cap;
	cap.max_inline_data = 1u << 20;
	create_qp_refused("max_inline_data 1 MiB", cq, cap);

	/* The limits themselves are fine. */
	init = (struct ibv_qp_init_attr) {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = 16,
			 .max_send_sge = dev.max_sge, .max_recv_sge = dev.max_sge },
	};
	qp = ibv_create_qp(pd, &init);
	report(qp && init.cap.max_send_sge >= (uint32_t)dev.max_sge &&
	       init.cap.max_recv_sge >= (uint32_t)dev.max_sge,
	       "create_qp with max_sge send and receive SGEs: created");
	if (!qp)
		printf("#   %s\n", strerror(errno));
	else if (ibv_destroy_qp(qp))
		die("ibv_destroy_qp");
	if (dev.max_qp_wr <= 0x10000) {
		init = (struct ibv_qp_init_attr) {
			.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = dev.max_qp_wr, .max_recv_wr = dev.max_qp_wr,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};
		qp = ibv_create_qp(pd, &init);
		report(qp && init.cap.max_send_wr >= (uint32_t)dev.max_qp_wr &&
		       init.cap.max_recv_wr >= (uint32_t)dev.max_qp_wr,
		       "create_qp with max_qp_wr send and receive WRs: created");
		if (!qp)
			printf("#   %s\n", strerror(errno));
		else if (ibv_destroy_qp(qp))
			die("ibv_destroy_qp");
	} else {
		report_skip("create_qp with max_qp_wr send and receive WRs: created",
			    "max_qp_wr above 65536 (memory)");
	}
	ibv_destroy_cq(cq);

	errno = 0;
	cq = ibv_create_cq(ctx, dev.max_cqe + 1, NULL, NULL, 0);
	report(!cq && errno == EINVAL, "create_cq with max_cqe + 1: EINVAL");
	if (cq)
		ibv_destroy_cq(cq);
	else if (errno != EINVAL)
		printf("#   errno %s\n", strerror(errno));

	srq_init = (struct ibv_srq_init_attr) { .attr = { .max_wr = dev.max_srq_wr + 1,
							  .max_sge = 1 } };
	errno = 0;
	srq = ibv_create_srq(pd, &srq_init);
	report(!srq && errno == EINVAL, "create_srq with max_srq_wr + 1: EINVAL");
	if (srq)
		ibv_destroy_srq(srq);
	srq_init = (struct ibv_srq_init_attr) { .attr = { .max_wr = 16,
							  .max_sge = dev.max_srq_sge + 1 } };
	errno = 0;
	srq = ibv_create_srq(pd, &srq_init);
	report(!srq && errno == EINVAL, "create_srq with max_srq_sge + 1: EINVAL");
	if (srq)
		ibv_destroy_srq(srq);
	srq_init = (struct ibv_srq_init_attr) { .attr = { .max_wr = 16, .max_sge = 1,
							  .srq_limit = 17 } };
	errno = 0;
	srq = ibv_create_srq(pd, &srq_init);
	report(!srq && errno == EINVAL, "create_srq with srq_limit > max_wr: EINVAL");
	if (srq)
		ibv_destroy_srq(srq);
}

/* 5: posting.  Immediate errors: the return value and bad_wr. */
static void post_refused(struct ibv_qp *qp, const char *name, struct ibv_send_wr *wr,
			 struct ibv_send_wr *want_bad, int want)
{
	struct ibv_send_wr *bad = NULL;
	int ret = ibv_post_send(qp, wr, &bad);

	report(ret == want && bad == want_bad, "post_send %s: %s, bad_wr set", name,
	       strerror(want));
	if (ret != want || bad != want_bad)
		printf("#   returned %s, bad_wr %s\n", ret ? strerror(ret) : "success",
		       bad == want_bad ? "right" : bad ? "another WR" : "not set");
}

static void t_post_limits(void)
{
	struct ibv_sge sges[64], rsge = sge_at(mr, 0, 4096);
	struct ibv_send_wr wr[2], *wrs;
	struct ibv_recv_wr rwr[2], *rbad = NULL;
	struct ibv_wc wc;
	struct pair p;
	unsigned int i, n;
	int ret;

	pair_up(&p, IBV_QPT_RC, &default_cap);
	for (i = 0; i < 64; i++)
		sges[i] = sge_at(mr, i * 16, 16);

	/* A valid zero-length WRITE first: it is posted, the second is refused. */
	memset(wr, 0, sizeof(wr));
	wr[0] = (struct ibv_send_wr) { .wr_id = 10, .opcode = IBV_WR_RDMA_WRITE,
				       .send_flags = IBV_SEND_SIGNALED, .next = &wr[1],
				       .wr.rdma = { .remote_addr = (uintptr_t)buf,
						    .rkey = mr->rkey } };
	wr[1] = (struct ibv_send_wr) { .wr_id = 11, .opcode = IBV_WR_SEND, .sg_list = sges,
				       .num_sge = p.cap.max_send_sge + 1 };
	post_refused(p.a, "with max_send_sge + 1 SGEs (second of two WRs)", &wr[0], &wr[1],
		     EINVAL);
	report(expect_wc(p.ca, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE, -1, &wc) && wc.wr_id == 10 &&
	       cq_stays_empty(p.ca, 0.2), "post_send: the WR before bad_wr was posted, not the rest");

	memset(rwr, 0, sizeof(rwr));
	rwr[0] = (struct ibv_recv_wr) { .wr_id = 12, .sg_list = &rsge, .num_sge = 1,
					.next = &rwr[1] };
	rwr[1] = (struct ibv_recv_wr) { .wr_id = 13, .sg_list = sges,
					.num_sge = p.cap.max_recv_sge + 1 };
	ret = ibv_post_recv(p.a, &rwr[0], &rbad);
	report(ret == EINVAL && rbad == &rwr[1],
	       "post_recv with max_recv_sge + 1 SGEs (second of two WRs): EINVAL, bad_wr set");
	if (ret != EINVAL || rbad != &rwr[1])
		printf("#   returned %s\n", ret ? strerror(ret) : "success");

	wr[0] = (struct ibv_send_wr) { .wr_id = 14, .opcode = IBV_WR_SEND, .sg_list = sges,
				       .num_sge = 1, .send_flags = IBV_SEND_INLINE };
	sges[0].length = p.cap.max_inline_data + 1;
	post_refused(p.a, "inline with max_inline_data + 1 bytes", &wr[0], &wr[0], EINVAL);
	sges[0].length = 16;

	wr[0] = (struct ibv_send_wr) { .wr_id = 15, .opcode = (enum ibv_wr_opcode)0x7f,
				       .sg_list = sges, .num_sge = 1 };
	post_refused(p.a, "with an unknown opcode", &wr[0], &wr[0], EINVAL);
	pair_down(&p);

	/* One chain longer than the send queue: the first WR that does not fit is bad_wr. */
	pair_up(&p, IBV_QPT_RC, &default_cap);
	n = p.cap.max_send_wr + 1;
	wrs = calloc(n, sizeof(*wrs));
	if (!wrs)
		die("calloc");
	for (i = 0; i < n; i++)
		wrs[i] = (struct ibv_send_wr) { .wr_id = 100 + i, .opcode = IBV_WR_RDMA_WRITE,
						.next = i + 1 < n ? &wrs[i + 1] : NULL,
						.wr.rdma = { .remote_addr = (uintptr_t)buf,
							     .rkey = mr->rkey } };
	wrs[n - 2].send_flags = IBV_SEND_SIGNALED;
	post_refused(p.a, "max_send_wr + 1 WRs in one chain", &wrs[0], &wrs[n - 1], ENOMEM);
	report(expect_wc(p.ca, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE, -1, &wc) &&
	       wc.wr_id == 100 + n - 2, "post_send: the max_send_wr WRs that fit all ran");
	free(wrs);
	pair_down(&p);
}

/* 5: a message longer than the port's max_msg_sz: Local Length Error. */
static void t_post_too_long(void)
{
	struct ibv_qp_cap cap = default_cap;
	struct ibv_send_wr wr = { .wr_id = 20, .opcode = IBV_WR_SEND };
	struct ibv_sge sges[64];
	struct ibv_mr *big;
	struct ibv_wc wc;
	struct pair p;
	uint64_t seg;
	void *mem;
	int i, n, ret;

	n = dev.max_sge < 64 ? dev.max_sge : 64;
	/* n SGEs over one MR of seg bytes add up to just over max_msg_sz. */
	seg = ((uint64_t)port.max_msg_sz / n + 4096) & ~4095ull;
	mem = mmap(NULL, seg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap %llu: %s", (unsigned long long)seg, strerror(errno));
	big = ibv_reg_mr(pd, mem, seg, IBV_ACCESS_LOCAL_WRITE);
	if (!big) {
		report(false, "SEND of max_msg_sz + %llu bytes: %s", (unsigned long long)(seg * n -
		       port.max_msg_sz), ibv_wc_status_str(IBV_WC_LOC_LEN_ERR));
		printf("#   cannot register %llu bytes: %s\n", (unsigned long long)seg,
		       strerror(errno));
		munmap(mem, seg);
		return;
	}
	for (i = 0; i < n; i++)
		sges[i] = (struct ibv_sge) { .addr = (uintptr_t)mem, .length = seg,
					     .lkey = big->lkey };
	cap.max_send_sge = n;
	pair_up(&p, IBV_QPT_RC, &cap);
	wr.sg_list = sges;
	wr.num_sge = n;
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_LOC_LEN_ERR, "SEND of max_msg_sz + %llu bytes: %s",
	       (unsigned long long)(seg * n - port.max_msg_sz),
	       ibv_wc_status_str(IBV_WC_LOC_LEN_ERR));
	if (ret)
		printf("#   ibv_post_send: %s\n", ret < 0 ? "no completion" : strerror(ret));
	else if (wc.status != IBV_WC_LOC_LEN_ERR)
		printf("#   status %s\n", ibv_wc_status_str(wc.status));
	pair_down(&p);
	ibv_dereg_mr(big);
	munmap(mem, seg);
}

/* 5: a UD message longer than the port MTU: C10-93.1.1, no packet and no error. */
static void t_ud_too_long(void)
{
	uint32_t mtu = 128u << port.active_mtu;
	struct ibv_sge ssge = sge_at(mr, 0, mtu + 1), rsge = sge_at(mr, BUF_SIZE / 2, 3 * mtu);
	struct ibv_send_wr wr = { .wr_id = 30, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };
	struct ibv_wc wc;
	struct pair p;
	int ret, st;

	pair_up(&p, IBV_QPT_UD, &default_cap);
	wr.wr.ud.ah = p.ah;
	wr.wr.ud.remote_qpn = p.b->qp_num;
	wr.wr.ud.remote_qkey = 0x1234;
	if (post_recv(p.b, 31, &rsge, 1))
		die("post_recv");
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS && wc.wr_id == 30,
	       "UD SEND of port MTU + 1 bytes: completes with SUCCESS");
	if (ret)
		printf("#   ibv_post_send: %s\n", ret < 0 ? "no completion" : strerror(ret));
	else if (wc.status != IBV_WC_SUCCESS)
		printf("#   status %s\n", ibv_wc_status_str(wc.status));
	report(cq_stays_empty(p.cb, 0.5), "UD SEND of port MTU + 1 bytes: nothing delivered");
	st = qp_state(p.a);
	ssge.length = 16;
	wr.wr_id = 32;
	ret = post_wait(&p, &wr, &wc);
	report(st == IBV_QPS_RTS && !ret && wc.status == IBV_WC_SUCCESS &&
	       expect_wc(p.cb, IBV_WC_SUCCESS, IBV_WC_RECV, 16 + GRH_SIZE, NULL),
	       "UD SEND of port MTU + 1 bytes: the QP stays RTS and the next SEND arrives");
	if (st != IBV_QPS_RTS || ret || wc.status != IBV_WC_SUCCESS)
		printf("#   state %s, next send %s\n", state_str(st),
		       ret ? "not completed" : ibv_wc_status_str(wc.status));
	pair_down(&p);
}

/* 5: opcodes the QP type does not have are refused at post time. */
/*
 * 7b: a datagram longer than the receive buffer fails that receive with
 * LOC_LEN_ERR and leaves the QP running: any host may send one, to QP1 too
 * (its QKey is public), and QP1 in error would end rdma_cm on the device.
 */
static void t_ud_recv_too_small(void)
{
	struct ibv_sge ssge = sge_at(mr, 0, 1000), rsge = sge_at(mr, BUF_SIZE / 2, GRH_SIZE + 200);
	struct ibv_send_wr wr = { .wr_id = 40, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };
	struct ibv_qp_attr attr = { .qkey = 0x80010000 };
	struct ibv_wc wc;
	struct pair p;
	char cmd[128], *qp1;
	int ret, st;

	pair_up(&p, IBV_QPT_UD, &default_cap);
	wr.wr.ud.ah = p.ah;
	wr.wr.ud.remote_qpn = p.b->qp_num;
	wr.wr.ud.remote_qkey = 0x1234;
	if (post_recv(p.b, 41, &rsge, 1))
		die("post_recv");
	ret = post_wait(&p, &wr, &wc);
	st = qp_state(p.b);
	report(!ret && wc.status == IBV_WC_SUCCESS && poll_one(p.cb, &wc) && wc.wr_id == 41 &&
	       wc.status == IBV_WC_LOC_LEN_ERR && st == IBV_QPS_RTS,
	       "UD SEND of 1000 bytes into a 200-byte receive: LOC_LEN_ERR, the QP stays RTS");
	if (st != IBV_QPS_RTS || wc.wr_id != 41)
		printf("#   receiver %s, completion %lu %s\n", state_str(st),
		       (unsigned long)wc.wr_id, ibv_wc_status_str(wc.status));
	rsge.length = GRH_SIZE + 2000;
	if (post_recv(p.b, 42, &rsge, 1))
		die("post_recv");
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS &&
	       expect_wc(p.cb, IBV_WC_SUCCESS, IBV_WC_RECV, 1000 + GRH_SIZE, NULL),
	       "UD: the next SEND, into a buffer large enough, arrives");

	/* QP1, with its QKey (a controlled one: the sending QP's own is used). */
	if (ibv_modify_qp(p.a, &attr, IBV_QP_QKEY))
		die("QKey 0x80010000: %s", strerror(errno));
	wr.wr.ud.remote_qpn = 1;
	wr.wr.ud.remote_qkey = 0x80010000;
	ret = post_wait(&p, &wr, &wc);
	usleep(200000);
	snprintf(cmd, sizeof(cmd), "rdma res show qp link %s/1 lqpn 1",
		 ibv_get_device_name(ctx->device));
	qp1 = command_output(cmd);
	report(!ret && wc.status == IBV_WC_SUCCESS && qp1 && strstr(qp1, "state RTS"),
	       "UD SEND of 1000 bytes to QP1 (MAD buffers are 296): QP1 stays RTS");
	if (!qp1 || !strstr(qp1, "state RTS"))
		printf("#   %s\n", qp1 ? qp1 : "no rdma res output");
	free(qp1);
	pair_down(&p);
}

static void t_post_wrong_type(void)
{
	struct ibv_sge sge = sge_at(mr, 0, 8);
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct pair p;
	static const struct { enum ibv_qp_type type; enum ibv_wr_opcode op; const char *name; }
	cases[] = {
		{ IBV_QPT_UD, IBV_WR_RDMA_WRITE, "RDMA WRITE on a UD QP" },
		{ IBV_QPT_UD, IBV_WR_RDMA_READ, "RDMA READ on a UD QP" },
		{ IBV_QPT_UC, IBV_WR_RDMA_READ, "RDMA READ on a UC QP" },
		{ IBV_QPT_UC, IBV_WR_ATOMIC_FETCH_AND_ADD, "fetch-and-add on a UC QP" },
		{ IBV_QPT_UC, IBV_WR_ATOMIC_CMP_AND_SWP, "compare-and-swap on a UC QP" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ibv_send_wr *bad = NULL;
		int ret;

		pair_up(&p, cases[i].type, &default_cap);
		wr = (struct ibv_send_wr) { .wr_id = 40, .sg_list = &sge, .num_sge = 1,
					    .opcode = cases[i].op,
					    .send_flags = IBV_SEND_SIGNALED };
		if (cases[i].type == IBV_QPT_UD) {
			wr.wr.ud.ah = p.ah;
			wr.wr.ud.remote_qpn = p.b->qp_num;
			wr.wr.ud.remote_qkey = 0x1234;
		} else if (cases[i].op == IBV_WR_RDMA_READ) {
			wr.wr.rdma.remote_addr = (uintptr_t)buf + 4096;
			wr.wr.rdma.rkey = mr->rkey;
		} else {
			wr.wr.atomic.remote_addr = (uintptr_t)buf + 4096;
			wr.wr.atomic.rkey = mr->rkey;
		}
		ret = ibv_post_send(p.a, &wr, &bad);
		report(ret == EINVAL && bad == &wr, "post_send %s: EINVAL, bad_wr set",
		       cases[i].name);
		if (ret == 0)
			printf("#   posted; completion: %s\n", poll_one_for(p.ca, &wc, 2) ?
			       ibv_wc_status_str(wc.status) : "none");
		else if (ret != EINVAL)
			printf("#   returned %s\n", strerror(ret));
		pair_down(&p);
	}
}

/* 5: zero-length SEND, WRITE and READ are legal. */
static void t_zero_length(void)
{
	struct ibv_sge rsge = sge_at(mr, 0, 64), zsge = sge_at(mr, 128, 0);
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	struct pair p;
	int ret;

	pair_up(&p, IBV_QPT_RC, &default_cap);
	if (post_recv(p.b, 51, &rsge, 1))
		die("post_recv");
	wr = (struct ibv_send_wr) { .wr_id = 50, .opcode = IBV_WR_SEND };
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_SEND &&
	       expect_wc(p.cb, IBV_WC_SUCCESS, IBV_WC_RECV, 0, &wc) && wc.wr_id == 51,
	       "zero-length SEND (no SGE): SUCCESS at both ends, byte_len 0");
	if (post_recv(p.b, 53, &rsge, 1))
		die("post_recv");
	wr = (struct ibv_send_wr) { .wr_id = 52, .opcode = IBV_WR_SEND, .sg_list = &zsge,
				    .num_sge = 1 };
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS &&
	       expect_wc(p.cb, IBV_WC_SUCCESS, IBV_WC_RECV, 0, &wc) && wc.wr_id == 53,
	       "zero-length SEND (one empty SGE): SUCCESS at both ends, byte_len 0");

	wr = (struct ibv_send_wr) { .wr_id = 54, .opcode = IBV_WR_RDMA_WRITE,
				    .wr.rdma = { .remote_addr = (uintptr_t)buf,
						 .rkey = mr->rkey } };
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RDMA_WRITE,
	       "zero-length RDMA WRITE: SUCCESS");
	if (!ret && wc.status != IBV_WC_SUCCESS)
		printf("#   status %s\n", ibv_wc_status_str(wc.status));
	wr = (struct ibv_send_wr) { .wr_id = 55, .opcode = IBV_WR_RDMA_READ,
				    .wr.rdma = { .remote_addr = (uintptr_t)buf,
						 .rkey = mr->rkey } };
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RDMA_READ &&
	       wc.byte_len == 0, "zero-length RDMA READ: SUCCESS, byte_len 0");
	if (!ret && (wc.status != IBV_WC_SUCCESS || wc.byte_len))
		printf("#   status %s, byte_len %u\n", ibv_wc_status_str(wc.status), wc.byte_len);

	/* C9-88: with a DMA length of zero the R_Key and VA are not checked. */
	wr = (struct ibv_send_wr) { .wr_id = 56, .opcode = IBV_WR_RDMA_WRITE,
				    .wr.rdma = { .remote_addr = 0, .rkey = BAD_KEY(mr->rkey) } };
	ret = post_wait(&p, &wr, &wc);
	report(!ret && wc.status == IBV_WC_SUCCESS,
	       "zero-length RDMA WRITE with an invalid rkey and address 0: SUCCESS");
	if (!ret && wc.status != IBV_WC_SUCCESS)
		printf("#   status %s\n", ibv_wc_status_str(wc.status));
	if (qp_state(p.a) == IBV_QPS_RTS) {
		wr = (struct ibv_send_wr) { .wr_id = 57, .opcode = IBV_WR_RDMA_READ,
					    .wr.rdma = { .remote_addr = 0,
							 .rkey = BAD_KEY(mr->rkey) } };
		ret = post_wait(&p, &wr, &wc);
		report(!ret && wc.status == IBV_WC_SUCCESS && wc.byte_len == 0,
		       "zero-length RDMA READ with an invalid rkey and address 0: SUCCESS");
		if (!ret && wc.status != IBV_WC_SUCCESS)
			printf("#   status %s\n", ibv_wc_status_str(wc.status));
	} else {
		report(false, "zero-length RDMA READ with an invalid rkey and address 0: SUCCESS");
		printf("#   the QP is in error after the WRITE\n");
	}
	pair_down(&p);
}

/* 6: a receive buffer too small for the SEND. */
static void t_short_recv(void)
{
	struct ibv_sge rsge = sge_at(mr, 0, 1000), ssge = sge_at(mr, 8192, 3000);
	struct ibv_send_wr wr = { .wr_id = 60, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };
	struct ibv_wc wc;
	struct pair p;
	int ret;

	pair_up(&p, IBV_QPT_RC, &default_cap);
	if (post_recv(p.b, 61, &rsge, 1))
		die("post_recv");
	ret = post_wait(&p, &wr, &wc);
	report(expect_wc(p.cb, IBV_WC_LOC_LEN_ERR, -1, -1, NULL),
	       "SEND of 3000 bytes into a 1000-byte receive: receiver LOC_LEN_ERR");
	report(!ret && wc.status == IBV_WC_REM_INV_REQ_ERR,
	       "SEND of 3000 bytes into a 1000-byte receive: sender REM_INV_REQ_ERR");
	if (ret)
		printf("#   ibv_post_send: %s\n", ret < 0 ? "no completion" : strerror(ret));
	else if (wc.status != IBV_WC_REM_INV_REQ_ERR)
		printf("#   status %s\n", ibv_wc_status_str(wc.status));
	pair_down(&p);
}

/* 7: destroying what is still in use: EBUSY, and nothing is harmed. */
static void busy(const char *name, int ret)
{
	report(ret == EBUSY, "%s: EBUSY", name);
	if (ret != EBUSY)
		printf("#   returned %s\n", ret ? strerror(ret) : "success");
}

static void t_busy(void)
{
	struct ibv_srq_init_attr srq_init = { .attr = { .max_wr = 16, .max_sge = 1 } };
	struct ibv_qp_cap cap = default_cap;
	struct ibv_sge ssge, rsge;
	struct ibv_send_wr swr = { .wr_id = 70, .opcode = IBV_WR_SEND, .num_sge = 1,
				   .send_flags = IBV_SEND_SIGNALED }, *sbad;
	struct ibv_recv_wr rwr = { .wr_id = 71, .num_sge = 1 }, *rbad;
	struct ibv_qp *q1, *q2;
	struct ibv_srq *srq;
	struct ibv_mr *m, *m2;
	struct ibv_pd *p2;
	struct ibv_cq *cq, *cq2;
	struct ibv_ah *ah;
	struct ibv_ah_attr ah_attr = {
		.is_global = 1, .port_num = 1,
		.grh = { .dgid = gid, .sgid_index = GID_INDEX, .hop_limit = 64 },
	};
	struct ibv_wc wc;
	bool ok;

	/* A PD with only an MR, then only an AH, then only a QP. */
	p2 = ibv_alloc_pd(ctx);
	m = p2 ? ibv_reg_mr(p2, buf, 4096, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!m)
		die("alloc_pd/reg_mr: %s", strerror(errno));
	busy("dealloc_pd with an MR on it", ibv_dealloc_pd(p2));
	m2 = ibv_reg_mr(p2, buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	report(m2 && !ibv_dereg_mr(m2) && !ibv_dereg_mr(m) && !ibv_dealloc_pd(p2),
	       "the PD still registers; dereg_mr, then dealloc_pd succeed");

	p2 = ibv_alloc_pd(ctx);
	ah = p2 ? ibv_create_ah(p2, &ah_attr) : NULL;
	if (!ah)
		die("create_ah: %s", strerror(errno));
	busy("dealloc_pd with an AH on it", ibv_dealloc_pd(p2));
	report(!ibv_destroy_ah(ah) && !ibv_dealloc_pd(p2), "destroy_ah, then dealloc_pd succeed");

	p2 = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	if (!p2 || !cq)
		die("alloc_pd/create_cq: %s", strerror(errno));
	q1 = qp_new(p2, cq, NULL, IBV_QPT_RC, &cap);
	busy("dealloc_pd with a QP on it", ibv_dealloc_pd(p2));
	busy("destroy_cq with a QP on it", ibv_destroy_cq(cq));
	report(!ibv_destroy_qp(q1) && !ibv_dealloc_pd(p2) && !ibv_destroy_cq(cq),
	       "destroy_qp, then dealloc_pd and destroy_cq succeed");

	/* Everything at once: two QPs on one CQ and one SRQ, then a SEND through them. */
	p2 = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	cq2 = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	srq = p2 ? ibv_create_srq(p2, &srq_init) : NULL;
	m = p2 ? ibv_reg_mr(p2, buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!cq || !cq2 || !srq || !m)
		die("setting up: %s", strerror(errno));
	q1 = qp_new(p2, cq, srq, IBV_QPT_RC, &cap);
	cap = default_cap;
	q2 = qp_new(p2, cq2, srq, IBV_QPT_RC, &cap);
	if (qp_to_init(q1) || qp_to_init(q2))
		die("to INIT: %s", strerror(errno));
	qp_connect(q1, q2->qp_num, &gid, 7);
	qp_connect(q2, q1->qp_num, &gid, 7);
	busy("dealloc_pd with QPs, an SRQ and an MR on it", ibv_dealloc_pd(p2));
	busy("destroy_cq of the sender's CQ", ibv_destroy_cq(cq));
	busy("destroy_srq with QPs on it", ibv_destroy_srq(srq));
	busy("destroy_cq of the receiver's CQ", ibv_destroy_cq(cq2));

	memset(buf, 0, 128);
	memcpy(buf, "still alive", 12);
	ssge = (struct ibv_sge) { .addr = (uintptr_t)buf, .length = 12, .lkey = m->lkey };
	rsge = (struct ibv_sge) { .addr = (uintptr_t)buf + 64, .length = 64, .lkey = m->lkey };
	swr.sg_list = &ssge;
	rwr.sg_list = &rsge;
	ok = !ibv_post_srq_recv(srq, &rwr, &rbad) && !ibv_post_send(q1, &swr, &sbad);
	ok = ok && expect_wc(cq, IBV_WC_SUCCESS, IBV_WC_SEND, -1, NULL) &&
	     expect_wc(cq2, IBV_WC_SUCCESS, IBV_WC_RECV, 12, &wc) && wc.wr_id == 71 &&
	     !memcmp(buf + 64, "still alive", 12);
	report(ok, "after the refusals a SEND through the QPs, CQs, SRQ and MR still works");
	report(!ibv_destroy_qp(q1) && !ibv_destroy_qp(q2) && !ibv_destroy_srq(srq) &&
	       !ibv_destroy_cq(cq) && !ibv_destroy_cq(cq2) && !ibv_dereg_mr(m) &&
	       !ibv_dealloc_pd(p2), "destroyed in order (QPs, SRQ, CQs, MR, PD): all succeed");
}

/* 8: registrations. */
static void reg_refused(const char *name, void *addr, size_t len, int access, int want,
			int also)
{
	struct ibv_mr *m;

	errno = 0;
	m = ibv_reg_mr(pd, addr, len, access);
	report(!m && (errno == want || errno == also), "reg_mr %s: %s%s%s", name,
	       strerror(want), also ? " or " : "", also ? strerror(also) : "");
	if (m) {
		printf("#   registered\n");
		ibv_dereg_mr(m);
	} else if (errno != want && errno != also) {
		printf("#   errno %s\n", strerror(errno));
	} else if (also) {
		printf("#   %s\n", strerror(errno));
	}
}

static void t_reg(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *hole, *ro;
	struct ibv_mr *m;

	reg_refused("of length 0", buf, 0, IBV_ACCESS_LOCAL_WRITE, EINVAL, 0);
	reg_refused("of a range wrapping past the top of the address space",
		    (void *)(uintptr_t)(UINT64_MAX & ~(uint64_t)(pg - 1)), 2 * pg,
		    IBV_ACCESS_LOCAL_WRITE, EINVAL, 0);

	hole = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED || ro == MAP_FAILED)
		die("mmap");
	munmap(hole, 4 * pg);
	reg_refused("of unmapped memory", hole, 4 * pg, IBV_ACCESS_LOCAL_WRITE, EFAULT, 0);
	reg_refused("with REMOTE_WRITE without LOCAL_WRITE", buf, 4096,
		    IBV_ACCESS_REMOTE_WRITE, EINVAL, 0);
	reg_refused("with REMOTE_ATOMIC without LOCAL_WRITE", buf, 4096,
		    IBV_ACCESS_REMOTE_ATOMIC, EINVAL, 0);
	reg_refused("of read-only memory with LOCAL_WRITE", ro, 4 * pg, IBV_ACCESS_LOCAL_WRITE,
		    EFAULT, 0);
	m = ibv_reg_mr(pd, ro, 4 * pg, IBV_ACCESS_REMOTE_READ);
	report(m != NULL, "reg_mr of read-only memory for REMOTE_READ: registered");
	if (m)
		ibv_dereg_mr(m);
	else
		printf("#   %s\n", strerror(errno));
	reg_refused("with an unknown access bit (1 << 15)", buf, 4096,
		    IBV_ACCESS_LOCAL_WRITE | (1 << 15), EINVAL, EOPNOTSUPP);
	munmap(ro, 4 * pg);
}

static struct ibv_mr *reg(int access)
{
	struct ibv_mr *m = ibv_reg_mr(pd, buf, BUF_SIZE, access);

	if (!m)
		die("ibv_reg_mr(access %#x): %s", access, strerror(errno));
	return m;
}

int main(int argc, char **argv)
{
	const int lw = IBV_ACCESS_LOCAL_WRITE;

	if (argc != 2)
		die("usage: %s DEV", argv[0]);
	ctx = open_device(argv[1]);
	if (ibv_query_device(ctx, &dev) || ibv_query_port(ctx, 1, &port) ||
	    ibv_query_gid(ctx, 1, GID_INDEX, &gid))
		die("querying %s", argv[1]);
	pd = ibv_alloc_pd(ctx);
	if (!pd || posix_memalign((void **)&buf, 4096, BUF_SIZE))
		die("alloc_pd");
	memset(buf, 0, BUF_SIZE);
	mr = reg(lw | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
	mr_nw = reg(lw | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
	mr_nr = reg(lw | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC);
	mr_na = reg(lw | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	mr_lro = reg(0);

	t_keys_and_access();
	t_modify();
	t_create();
	t_post_limits();
	t_post_wrong_type();
	t_zero_length();
	t_post_too_long();
	t_ud_too_long();
	t_ud_recv_too_small();
	t_short_recv();
	t_busy();
	t_reg();

	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
