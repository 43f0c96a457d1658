// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xfer DEV_A DEV_B: data-path checks between a QP on DEV_A and one on DEV_B
 * (the same device for loopback).  Every transfer uses unaligned,
 * page-crossing buffers and is verified byte for byte; completions are
 * checked for status, opcode, length and immediate.  Prints one TAP line per
 * case; exits non-zero if any fails.  Never waits more than a few seconds
 * for a completion.  With a fifth argument "rc", only the RC transfers run
 * (for lossy links, where UC and UD may lose messages and a lost error NAK
 * legitimately turns into a retry error); with "thp", the same on buffers
 * that transparent huge pages back, placed so that the long transfers cross
 * from one huge page into the next (pages contiguous in memory: the data
 * path copies them in one go).
 */
#include <arpa/inet.h>

#include "common.h"

#define BUF_SIZE	(4u << 20)
#define BUF_OFF		4093		/* unaligned, so transfers cross pages */
#define GRH_SIZE	40

/* BUF_SIZE + BUF_OFF bytes on THP, starting half a huge page before a huge page's end. */
static uint8_t *thp_buffer(void)
{
	return map_huge_aligned(BUF_SIZE + BUF_OFF + THP_SIZE, MADV_HUGEPAGE) + THP_SIZE / 2;
}

/* A side with BUF_SIZE + BUF_OFF bytes registered for everything (@thp: on THP). */
static void side_init(struct side *s, const char *dev, bool thp)
{
	side_open(s, dev, 256);
	if (thp)
		s->buf = thp_buffer();
	else if (posix_memalign((void **)&s->buf, 4096, BUF_SIZE + BUF_OFF))
		die("posix_memalign");
	s->mr = ibv_reg_mr(s->pd, s->buf, BUF_SIZE + BUF_OFF,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC |
			   IBV_ACCESS_MW_BIND | IBV_ACCESS_FLUSH_GLOBAL);
	if (!s->mr)
		die("ibv_reg_mr on %s: %s", dev, strerror(errno));
}

/* RC QPs take every operation hodp has through the ibv_wr_*() API as well. */
#define RC_SEND_OPS (IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_RDMA_WRITE | \
		     IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_WRITE | \
		     IBV_QP_EX_WITH_FLUSH | IBV_QP_EX_WITH_BIND_MW | IBV_QP_EX_WITH_LOCAL_INV)

static void qp_create(struct side *s, enum ibv_qp_type type)
{
	struct ibv_qp_init_attr_ex init = {
		.send_cq = s->cq, .recv_cq = s->cq, .qp_type = type, .pd = s->pd,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64, .max_send_sge = 4,
			 .max_recv_sge = 4, .max_inline_data = 256 },
		.comp_mask = IBV_QP_INIT_ATTR_PD,
	};

	if (type == IBV_QPT_RC) {
		init.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		init.send_ops_flags = RC_SEND_OPS;
	}
	s->qp = ibv_create_qp_ex(s->ctx, &init);
	if (!s->qp)
		die("ibv_create_qp: %s", strerror(errno));
	if (qp_to_init(s->qp))
		die("to INIT: %s", strerror(errno));
}

/* Connect a's QP to b's (and back): RTR then RTS. */
static void side_connect(struct side *a, struct side *b, enum ibv_qp_type type,
			 uint8_t rnr_retry)
{
	qp_connect(a->qp, b->qp->qp_num, &b->gid, rnr_retry);
	if (type == IBV_QPT_UD) {
		struct ibv_ah_attr ah = {
			.is_global = 1, .port_num = 1,
			.grh = { .dgid = b->gid, .sgid_index = GID_INDEX, .hop_limit = 64 },
		};

		a->ah = ibv_create_ah(a->pd, &ah);
		if (!a->ah)
			die("ibv_create_ah: %s", strerror(errno));
	}
}

static void pair_setup(struct side *a, struct side *b, enum ibv_qp_type type, uint8_t rnr_retry)
{
	qp_create(a, type);
	qp_create(b, type);
	side_connect(a, b, type, rnr_retry);
	side_connect(b, a, type, rnr_retry);
}

static int post_recv(struct side *s, uint64_t wr_id, struct ibv_sge *sge, int n)
{
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = sge, .num_sge = n }, *bad;

	return ibv_post_recv(s->qp, &wr, &bad);
}

static int post_send(struct side *s, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;

	wr->send_flags |= IBV_SEND_SIGNALED;
	return ibv_post_send(s->qp, wr, &bad);
}

static struct ibv_sge sge_of(struct side *s, size_t off, uint32_t len)
{
	return (struct ibv_sge) { .addr = (uintptr_t)s->buf + off, .length = len,
				  .lkey = s->mr->lkey };
}

/* SEND (optionally with immediate, inline or split over SGEs), verified. */
static bool t_send(struct side *a, struct side *b, uint32_t len, bool imm, bool inl, int nsge,
		   bool ud)
{
	uint32_t grh = ud ? GRH_SIZE : 0, chunk = len / nsge, done = 0;
	struct ibv_sge ssge[4], rsge = sge_of(b, BUF_OFF, len + grh);
	struct ibv_send_wr wr = { .wr_id = 7, .sg_list = ssge, .num_sge = nsge };
	struct ibv_wc wc;
	int i;

	fill(a->buf + BUF_OFF, len, len + imm);
	memset(b->buf, 0xee, BUF_SIZE + BUF_OFF);
	for (i = 0; i < nsge; i++) {
		uint32_t n = i == nsge - 1 ? len - done : chunk;

		/* Gaps between the SGEs: only the listed bytes may travel. */
		ssge[i] = sge_of(a, BUF_OFF + done, n);
		done += n;
	}
	wr.opcode = imm ? IBV_WR_SEND_WITH_IMM : IBV_WR_SEND;
	wr.imm_data = htonl(0xabcd0000 | len);
	if (inl)
		wr.send_flags = IBV_SEND_INLINE;
	if (ud) {
		wr.wr.ud.ah = a->ah;
		wr.wr.ud.remote_qpn = b->qp->qp_num;
		wr.wr.ud.remote_qkey = 0x1234;
	}
	CHECK(!post_recv(b, 9, &rsge, 1), "post_recv");
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_SEND, -1, NULL), "sender");
	CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_RECV, len + grh, &wc), "receiver");
	CHECK(wc.wr_id == 9, "recv wr_id %llu", (unsigned long long)wc.wr_id);
	CHECK(!imm || ((wc.wc_flags & IBV_WC_WITH_IMM) && wc.imm_data == htonl(0xabcd0000 | len)),
	      "immediate missing or wrong");
	CHECK(!ud || ((wc.wc_flags & IBV_WC_GRH) && wc.src_qp == a->qp->qp_num),
	      "UD: GRH flag or source QP");
	if (ud) {
		/* RoCEv2 over IPv4: the IPv4 header sits in the GRH's last 20 bytes. */
		CHECK(!memcmp(b->buf + BUF_OFF + 20 + 12, &a->gid.raw[12], 4) &&
		      !memcmp(b->buf + BUF_OFF + 20 + 16, &b->gid.raw[12], 4),
		      "GRH addresses");
	}
	CHECK(!memcmp(b->buf + BUF_OFF + grh, a->buf + BUF_OFF, len), "payload differs");
	CHECK(b->buf[BUF_OFF + grh + len] == 0xee, "wrote past the message");
	return true;
}

/* UC and UD complete at the sender once sent: wait for the bytes to land. */
static bool landed(const uint8_t *dst, const uint8_t *src, size_t len)
{
	int i, tries = poll_seconds() * 1000;

	for (i = 0; i < tries; i++) {
		if (!memcmp(dst, src, len))
			return true;
		usleep(1000);
	}
	return false;
}

static bool t_write(struct side *a, struct side *b, uint32_t len, bool imm)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, len);
	struct ibv_send_wr wr = {
		.wr_id = 11, .sg_list = &ssge, .num_sge = 1,
		.opcode = imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_RDMA_WRITE,
		.imm_data = htonl(0x5150 + len),
		.wr.rdma = { .remote_addr = (uintptr_t)b->buf + BUF_OFF, .rkey = b->mr->rkey },
	};
	struct ibv_wc wc;

	fill(a->buf + BUF_OFF, len, len * 3);
	memset(b->buf, 0xee, BUF_SIZE + BUF_OFF);
	if (imm)
		CHECK(!post_recv(b, 12, NULL, 0), "post_recv");
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE, -1, NULL), "writer");
	if (imm) {
		CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_RECV_RDMA_WITH_IMM, len, &wc),
		      "target");
		CHECK(wc.imm_data == htonl(0x5150 + len), "immediate");
	}
	CHECK(landed(b->buf + BUF_OFF, a->buf + BUF_OFF, len), "payload differs");
	CHECK(b->buf[BUF_OFF - 1] == 0xee && b->buf[BUF_OFF + len] == 0xee,
	      "wrote outside the target range");
	return true;
}

static bool t_read(struct side *a, struct side *b, uint32_t len)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, len);
	struct ibv_send_wr wr = {
		.wr_id = 13, .sg_list = &ssge, .num_sge = 1, .opcode = IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = (uintptr_t)b->buf + BUF_OFF, .rkey = b->mr->rkey },
	};

	fill(b->buf + BUF_OFF, len, len * 5);
	memset(a->buf, 0xee, BUF_SIZE + BUF_OFF);
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_RDMA_READ, len, NULL), "reader");
	CHECK(!memcmp(a->buf + BUF_OFF, b->buf + BUF_OFF, len), "payload differs");
	CHECK(a->buf[BUF_OFF + len] == 0xee, "wrote past the local buffer");
	return true;
}

static bool t_atomic(struct side *a, struct side *b, bool cas, bool hit)
{
	uint64_t *target = (uint64_t *)(b->buf + 4096 - 8), *result = (uint64_t *)(a->buf + 64);
	struct ibv_sge ssge = { .addr = (uintptr_t)result, .length = 8, .lkey = a->mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = 17, .sg_list = &ssge, .num_sge = 1,
		.opcode = cas ? IBV_WR_ATOMIC_CMP_AND_SWP : IBV_WR_ATOMIC_FETCH_AND_ADD,
		.wr.atomic = { .remote_addr = (uintptr_t)target, .rkey = b->mr->rkey,
			       .compare_add = cas ? (hit ? 0x1111222233334444ull : 5) : 0x10001,
			       .swap = 0xfeedfacecafebeefull },
	};
	uint64_t before = 0x1111222233334444ull, after;

	*target = before;
	*result = 0;
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, cas ? IBV_WC_COMP_SWAP : IBV_WC_FETCH_ADD, -1,
			NULL), "atomic");
	after = cas ? (hit ? 0xfeedfacecafebeefull : before) : before + 0x10001;
	CHECK(*result == before, "returned %#llx", (unsigned long long)*result);
	CHECK(*target == after, "target %#llx, want %#llx", (unsigned long long)*target,
	      (unsigned long long)after);
	return true;
}

/* Errors: each leaves the pair in error; the caller rebuilds it. */
static bool t_bad_lkey(struct side *a, struct side *b)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, 100);
	struct ibv_send_wr wr = { .wr_id = 21, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE,
				  .wr.rdma = { .remote_addr = (uintptr_t)b->buf, .rkey = b->mr->rkey } };
	struct ibv_send_wr wr2 = wr;

	ssge.lkey ^= 0x5a5a00;
	CHECK(!post_send(a, &wr), "post_send");
	wr2.wr_id = 22;
	wr2.sg_list = NULL;
	wr2.num_sge = 0;
	CHECK(!post_send(a, &wr2), "post_send 2");
	CHECK(expect_wc(a->cq, IBV_WC_LOC_PROT_ERR, -1, -1, NULL), "bad lkey");
	CHECK(expect_wc(a->cq, IBV_WC_WR_FLUSH_ERR, -1, -1, NULL), "the next WR is flushed");
	return true;
}

static bool t_bad_rkey(struct side *a, struct side *b)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, 3000);
	struct ibv_send_wr wr = { .wr_id = 23, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE,
				  .wr.rdma = { .remote_addr = (uintptr_t)b->buf + BUF_SIZE +
							  BUF_OFF - 100,
					       .rkey = b->mr->rkey } };

	/* Starts inside the remote MR and runs past its end. */
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_REM_ACCESS_ERR, -1, -1, NULL), "out-of-range write");
	return true;
}

static bool t_short_recv(struct side *a, struct side *b)
{
	struct ibv_sge rsge = sge_of(b, BUF_OFF, 1000), ssge = sge_of(a, BUF_OFF, 3000);
	struct ibv_send_wr wr = { .wr_id = 25, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };

	CHECK(!post_recv(b, 26, &rsge, 1), "post_recv");
	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(b->cq, IBV_WC_LOC_LEN_ERR, -1, -1, NULL), "receiver");
	CHECK(expect_wc(a->cq, IBV_WC_REM_INV_REQ_ERR, -1, -1, NULL), "sender");
	return true;
}

static bool t_rnr(struct side *a)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, 64);
	struct ibv_send_wr wr = { .wr_id = 27, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };

	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, IBV_WC_RNR_RETRY_EXC_ERR, -1, -1, NULL), "no receive posted");
	return true;
}

static bool t_rnr_recovers(struct side *a, struct side *b)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, 5000), rsge = sge_of(b, BUF_OFF, 5000);
	struct ibv_send_wr wr = { .wr_id = 28, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };

	fill(a->buf + BUF_OFF, 5000, 99);
	CHECK(!post_send(a, &wr), "post_send");
	usleep(200000);	/* the responder answers RNR meanwhile */
	CHECK(!post_recv(b, 29, &rsge, 1), "post_recv");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_SEND, -1, NULL), "sender");
	CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_RECV, 5000, NULL), "receiver");
	CHECK(!memcmp(b->buf + BUF_OFF, a->buf + BUF_OFF, 5000), "payload differs");
	return true;
}

/* RDMA WRITE of @len bytes from a's BUF_OFF to @raddr under @rkey, expecting @status. */
static bool write_via(struct side *a, uint64_t raddr, uint32_t rkey, uint32_t len,
		      enum ibv_wc_status status)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, len);
	struct ibv_send_wr wr = { .wr_id = 30, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE,
				  .wr.rdma = { .remote_addr = raddr, .rkey = rkey } };

	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, status, IBV_WC_RDMA_WRITE, -1, NULL), "write");
	return true;
}

/* RDMA READ of @len bytes from @raddr under @rkey into a's BUF_OFF, expecting @status. */
static bool read_via(struct side *a, uint64_t raddr, uint32_t rkey, uint32_t len,
		     enum ibv_wc_status status)
{
	struct ibv_sge ssge = sge_of(a, BUF_OFF, len);
	struct ibv_send_wr wr = { .wr_id = 31, .sg_list = &ssge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_READ,
				  .wr.rdma = { .remote_addr = raddr, .rkey = rkey } };

	CHECK(!post_send(a, &wr), "post_send");
	CHECK(expect_wc(a->cq, status, IBV_WC_RDMA_READ, -1, NULL), "read");
	return true;
}

#define MW_OFF	(BUF_OFF + 100)
#define MW_LEN	70001u

/* Bind a type 2 window over [MW_OFF, MW_OFF + MW_LEN) of b's MR with a work request. */
static struct ibv_mw *bind_type2(struct side *b, int access)
{
	struct ibv_mw *mw = ibv_alloc_mw(b->pd, IBV_MW_TYPE_2);
	struct ibv_send_wr wr = { .wr_id = 32, .opcode = IBV_WR_BIND_MW };

	if (!mw)
		return NULL;
	wr.bind_mw.mw = mw;
	wr.bind_mw.rkey = ibv_inc_rkey(mw->rkey);
	wr.bind_mw.bind_info = (struct ibv_mw_bind_info) {
		.mr = b->mr, .addr = (uintptr_t)b->buf + MW_OFF, .length = MW_LEN,
		.mw_access_flags = access,
	};
	if (post_send(b, &wr) || !expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_BIND_MW, -1, NULL) ||
	    mw->rkey != wr.bind_mw.rkey) {
		ibv_dealloc_mw(mw);
		return NULL;
	}
	return mw;
}

/*
 * A type 2 window: multi-packet writes and reads through it land exactly
 * in it; the MR under it refuses deregistration; invalidated locally or by
 * a SEND with Invalidate, its key stops working.
 */
static bool t_mw_type2(struct side *a, struct side *b, bool remote_inv)
{
	uint64_t wva = (uintptr_t)b->buf + MW_OFF;
	struct ibv_wc wc;
	struct ibv_mw *mw;

	mw = bind_type2(b, IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	CHECK(mw, "alloc or bind: %s", strerror(errno));
	fill(a->buf + BUF_OFF, MW_LEN, 41);
	memset(b->buf, 0xee, BUF_SIZE + BUF_OFF);
	CHECK(write_via(a, wva, mw->rkey, MW_LEN, IBV_WC_SUCCESS), "write into the window");
	CHECK(!memcmp(b->buf + MW_OFF, a->buf + BUF_OFF, MW_LEN), "payload differs");
	CHECK(b->buf[MW_OFF - 1] == 0xee && b->buf[MW_OFF + MW_LEN] == 0xee,
	      "wrote outside the window");
	fill(b->buf + MW_OFF + 3, 10000, 43);
	CHECK(read_via(a, wva + 3, mw->rkey, 10000, IBV_WC_SUCCESS), "read from the window");
	CHECK(!memcmp(a->buf + BUF_OFF, b->buf + MW_OFF + 3, 10000), "read payload differs");
	CHECK(ibv_dereg_mr(b->mr) == EBUSY, "deregistering the MR under a window");

	if (remote_inv) {
		struct ibv_send_wr wr = { .wr_id = 33, .opcode = IBV_WR_SEND_WITH_INV,
					  .invalidate_rkey = mw->rkey };

		CHECK(!post_recv(b, 34, NULL, 0), "post_recv");
		CHECK(!post_send(a, &wr), "post_send");
		CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_SEND, -1, NULL), "sender");
		CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_RECV, 0, &wc), "receiver");
		CHECK((wc.wc_flags & IBV_WC_WITH_INV) && wc.invalidated_rkey == mw->rkey,
		      "receive completion names the invalidated key");
	} else {
		struct ibv_send_wr wr = { .wr_id = 35, .opcode = IBV_WR_LOCAL_INV,
					  .invalidate_rkey = mw->rkey };

		CHECK(!post_send(b, &wr), "post_send");
		CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_LOCAL_INV, -1, NULL), "local inv");
	}
	CHECK(write_via(a, wva, mw->rkey, 1, IBV_WC_REM_ACCESS_ERR), "write after invalidation");
	CHECK(!ibv_dealloc_mw(mw), "dealloc");
	return true;
}

/* A write running past the end of a window is refused, though the MR goes on. */
static bool t_mw_bounds(struct side *a, struct side *b)
{
	struct ibv_mw *mw = bind_type2(b, IBV_ACCESS_REMOTE_WRITE);

	CHECK(mw, "alloc or bind: %s", strerror(errno));
	memset(b->buf, 0xee, BUF_SIZE + BUF_OFF);
	CHECK(write_via(a, (uintptr_t)b->buf + MW_OFF + MW_LEN - 10, mw->rkey, 20,
			IBV_WC_REM_ACCESS_ERR), "write across the window's end");
	CHECK(b->buf[MW_OFF + MW_LEN - 10] == 0xee, "bytes landed anyway");
	CHECK(!ibv_dealloc_mw(mw), "dealloc");
	return true;
}

/* A type 1 window, bound and unbound with ibv_bind_mw(). */
static bool t_mw_type1(struct side *a, struct side *b)
{
	struct ibv_mw *mw = ibv_alloc_mw(b->pd, IBV_MW_TYPE_1);
	struct ibv_mw_bind bind = {
		.wr_id = 36, .send_flags = IBV_SEND_SIGNALED,
		.bind_info = { .mr = b->mr, .addr = (uintptr_t)b->buf + MW_OFF, .length = MW_LEN,
			       .mw_access_flags = IBV_ACCESS_REMOTE_READ },
	};
	uint32_t old;

	CHECK(mw, "ibv_alloc_mw: %s", strerror(errno));
	old = mw->rkey;
	CHECK(!ibv_bind_mw(b->qp, mw, &bind), "ibv_bind_mw");
	CHECK(expect_wc(b->cq, IBV_WC_SUCCESS, IBV_WC_BIND_MW, -1, NULL), "bind completion");
	CHECK(mw->rkey != old, "the key changes on every bind");
	fill(b->buf + MW_OFF, MW_LEN, 47);
	CHECK(read_via(a, (uintptr_t)b->buf + MW_OFF, mw->rkey, MW_LEN, IBV_WC_SUCCESS),
	      "read through the window");
	CHECK(!memcmp(a->buf + BUF_OFF, b->buf + MW_OFF, MW_LEN), "payload differs");
	CHECK(write_via(a, (uintptr_t)b->buf + MW_OFF, mw->rkey, 8, IBV_WC_REM_ACCESS_ERR),
	      "write through a read-only window");
	CHECK(!ibv_dealloc_mw(mw), "dealloc");
	return true;
}

/* ATOMIC WRITE: 8 bytes stored at once, nothing around them touched. */
static bool t_atomic_write(struct side *a, struct side *b)
{
	struct ibv_qp_ex *qpx = ibv_qp_to_qp_ex(a->qp);
	uint64_t *target = (uint64_t *)(b->buf + 8192 - 8);
	uint64_t value = 0x0123456789abcdefull;

	memset(b->buf, 0xee, BUF_SIZE + BUF_OFF);
	ibv_wr_start(qpx);
	qpx->wr_id = 37;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(qpx, b->mr->rkey, (uintptr_t)target, &value);
	CHECK(!ibv_wr_complete(qpx), "ibv_wr_complete");
	CHECK(expect_wc(a->cq, IBV_WC_SUCCESS, IBV_WC_ATOMIC_WRITE, -1, NULL), "atomic write");
	CHECK(*target == value, "target %#llx", (unsigned long long)*target);
	CHECK(b->buf[8192 - 9] == 0xee && b->buf[8192] == 0xee, "wrote around the target");
	return true;
}

/* FLUSH after a WRITE, of a range and of the whole MR; a placement type the MR lacks fails. */
static bool t_flush(struct side *a, struct side *b, uint8_t type, uint8_t level,
		    enum ibv_wc_status status)
{
	struct ibv_qp_ex *qpx = ibv_qp_to_qp_ex(a->qp);
	uint64_t raddr = (uintptr_t)b->buf + BUF_OFF;

	fill(a->buf + BUF_OFF, 65541, 53);
	CHECK(write_via(a, raddr, b->mr->rkey, 65541, IBV_WC_SUCCESS), "write");
	ibv_wr_start(qpx);
	qpx->wr_id = 38;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_flush(qpx, b->mr->rkey, raddr, 65541, type, level);
	CHECK(!ibv_wr_complete(qpx), "ibv_wr_complete");
	CHECK(expect_wc(a->cq, status, IBV_WC_FLUSH, -1, NULL), "flush");
	CHECK(!memcmp(b->buf + BUF_OFF, a->buf + BUF_OFF, 65541), "payload differs");
	return true;
}

static const uint32_t sizes[] = { 0, 1, 7, 1023, 1024, 1025, 4109, 65541, 1048579 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

int main(int argc, char **argv)
{
	struct side a = {}, b = {};
	const char *path;
	unsigned int i;
	bool thp;

	if (argc != 4 && argc != 5)
		die("usage: %s DEV_A DEV_B LABEL [rc|thp]", argv[0]);
	path = argv[3];
	thp = argc == 5 && !strcmp(argv[4], "thp");
	side_init(&a, argv[1], thp);
	side_init(&b, argv[2], thp);
	if (thp) {
		long kb_a = thp_kb(a.buf), kb_b = thp_kb(b.buf);

		/* Each buffer spans at least two huge pages whole. */
		report(kb_a >= (long)(2 * THP_SIZE >> 10) && kb_b >= (long)(2 * THP_SIZE >> 10),
		       "%s buffers on huge pages (%ld and %ld KiB)", path, kb_a, kb_b);
	}

	pair_setup(&a, &b, IBV_QPT_RC, 7);
	for (i = 0; i < NSIZES; i++) {
		report(t_send(&a, &b, sizes[i], false, false, 1, false), "%s rc send %u", path,
		       sizes[i]);
		report(t_write(&a, &b, sizes[i], false), "%s rc write %u", path, sizes[i]);
		report(t_read(&a, &b, sizes[i]), "%s rc read %u", path, sizes[i]);
	}
	report(t_send(&a, &b, 70001, true, false, 3, false), "%s rc send+imm, 3 SGEs", path);
	report(t_send(&a, &b, 200, false, true, 2, false), "%s rc inline send", path);
	report(t_write(&a, &b, 33333, true), "%s rc write+imm", path);
	report(t_write(&a, &b, 0, true), "%s rc zero-length write+imm", path);
	report(t_atomic(&a, &b, false, false), "%s rc fetch-and-add", path);
	report(t_atomic(&a, &b, true, true), "%s rc compare-and-swap (equal)", path);
	report(t_atomic(&a, &b, true, false), "%s rc compare-and-swap (different)", path);
	report(t_rnr_recovers(&a, &b), "%s rc RNR NAK, then the retry lands", path);
	report(t_atomic_write(&a, &b), "%s rc atomic write", path);
	report(t_flush(&a, &b, IBV_FLUSH_GLOBAL, IBV_FLUSH_RANGE, IBV_WC_SUCCESS),
	       "%s rc write then flush (range)", path);
	report(t_flush(&a, &b, IBV_FLUSH_GLOBAL, IBV_FLUSH_MR, IBV_WC_SUCCESS),
	       "%s rc write then flush (whole MR)", path);
	pair_destroy(&a, &b);

	/*
	 * Under packet loss only RC promises delivery, and an error NAK that is
	 * lost legitimately ends in a retry error instead: the rest is for
	 * lossless links.
	 */
	if (argc == 5)
		goto out;

	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_bad_lkey(&a, &b), "%s rc bad lkey: local protection error, then flush", path);
	pair_destroy(&a, &b);

	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_bad_rkey(&a, &b), "%s rc write beyond the rkey's range: remote access error",
	       path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_short_recv(&a, &b), "%s rc receive buffer too small: length errors", path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 1);
	report(t_rnr(&a), "%s rc no receive, rnr_retry 1: RNR retry exceeded", path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_flush(&a, &b, IBV_FLUSH_PERSISTENT, IBV_FLUSH_RANGE, IBV_WC_REM_ACCESS_ERR),
	       "%s rc flush to persistence the MR does not allow: remote access error", path);
	pair_destroy(&a, &b);

	/* Memory windows; each case ends with a refused access, so a fresh pair. */
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_mw_type2(&a, &b, false), "%s mw type 2: write, read, local invalidate", path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_mw_type2(&a, &b, true), "%s mw type 2: write, read, send with invalidate",
	       path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_mw_bounds(&a, &b), "%s mw type 2: write across the window's end refused", path);
	pair_destroy(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_mw_type1(&a, &b), "%s mw type 1: read through it, write refused", path);
	pair_destroy(&a, &b);

	pair_setup(&a, &b, IBV_QPT_UC, 0);
	for (i = 0; i < NSIZES; i++) {
		report(t_send(&a, &b, sizes[i], false, false, 1, false), "%s uc send %u", path,
		       sizes[i]);
		report(t_write(&a, &b, sizes[i], false), "%s uc write %u", path, sizes[i]);
	}
	report(t_write(&a, &b, 9000, true), "%s uc write+imm", path);
	pair_destroy(&a, &b);

	pair_setup(&a, &b, IBV_QPT_UD, 0);
	report(t_send(&a, &b, 1, false, false, 1, true), "%s ud send 1", path);
	report(t_send(&a, &b, 1024, true, false, 2, true), "%s ud send 1024+imm, 2 SGEs", path);
	report(t_send(&a, &b, 100, false, true, 1, true), "%s ud inline send", path);
	pair_destroy(&a, &b);

out:
	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
