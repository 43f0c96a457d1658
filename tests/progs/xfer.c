// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xfer DEV_A DEV_B: data-path checks between a QP on DEV_A and one on DEV_B
 * (the same device for loopback).  Every transfer uses unaligned,
 * page-crossing buffers and is verified byte for byte; completions are
 * checked for status, opcode, length and immediate.  Prints one TAP line per
 * case; exits non-zero if any fails.  Never waits more than a few seconds
 * for a completion.  With a fifth argument "rc", only the RC transfers run
 * (for lossy links, where UC and UD may lose messages and a lost error NAK
 * legitimately turns into a retry error).
 */
#include <arpa/inet.h>

#include "common.h"

#define BUF_SIZE	(4u << 20)
#define BUF_OFF		4093		/* unaligned, so transfers cross pages */
#define GRH_SIZE	40

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t *buf;		/* BUF_SIZE + BUF_OFF bytes registered */
	union ibv_gid gid;
	struct ibv_ah *ah;	/* UD: towards the other side */
};

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void side_init(struct side *s, const char *dev)
{
	s->ctx = open_device(dev);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = ibv_create_cq(s->ctx, 256, NULL, NULL, 0);
	if (posix_memalign((void **)&s->buf, 4096, BUF_SIZE + BUF_OFF))
		die("posix_memalign");
	s->mr = ibv_reg_mr(s->pd, s->buf, BUF_SIZE + BUF_OFF,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC);
	if (!s->pd || !s->cq || !s->mr)
		die("setting up %s: %s", dev, strerror(errno));
	if (ibv_query_gid(s->ctx, 1, GID_INDEX, &s->gid))
		die("ibv_query_gid");
}

static void qp_create(struct side *s, enum ibv_qp_type type)
{
	struct ibv_qp_init_attr init = {
		.send_cq = s->cq, .recv_cq = s->cq, .qp_type = type,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64, .max_send_sge = 4,
			 .max_recv_sge = 4, .max_inline_data = 256 },
	};

	s->qp = ibv_create_qp(s->pd, &init);
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

static void pair_teardown(struct side *a, struct side *b)
{
	struct side *s[2] = { a, b };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		if (s[i]->ah)
			ibv_destroy_ah(s[i]->ah);
		s[i]->ah = NULL;
		if (ibv_destroy_qp(s[i]->qp))
			die("ibv_destroy_qp: %s", strerror(errno));
		while (ibv_poll_cq(s[i]->cq, 1, &wc) > 0)
			;
	}
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
	int i;

	for (i = 0; i < POLL_SECONDS * 1000; i++) {
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

static const uint32_t sizes[] = { 0, 1, 7, 1023, 1024, 1025, 4109, 65541, 1048579 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

int main(int argc, char **argv)
{
	struct side a = {}, b = {};
	const char *path;
	unsigned int i;

	if (argc != 4 && argc != 5)
		die("usage: %s DEV_A DEV_B LABEL [rc]", argv[0]);
	path = argv[3];
	side_init(&a, argv[1]);
	side_init(&b, argv[2]);

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
	pair_teardown(&a, &b);

	/*
	 * Under packet loss only RC promises delivery, and an error NAK that is
	 * lost legitimately ends in a retry error instead: the rest is for
	 * lossless links.
	 */
	if (argc == 5)
		goto out;

	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_bad_lkey(&a, &b), "%s rc bad lkey: local protection error, then flush", path);
	pair_teardown(&a, &b);

	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_bad_rkey(&a, &b), "%s rc write beyond the rkey's range: remote access error",
	       path);
	pair_teardown(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 7);
	report(t_short_recv(&a, &b), "%s rc receive buffer too small: length errors", path);
	pair_teardown(&a, &b);
	pair_setup(&a, &b, IBV_QPT_RC, 1);
	report(t_rnr(&a), "%s rc no receive, rnr_retry 1: RNR retry exceeded", path);
	pair_teardown(&a, &b);

	pair_setup(&a, &b, IBV_QPT_UC, 0);
	for (i = 0; i < NSIZES; i++) {
		report(t_send(&a, &b, sizes[i], false, false, 1, false), "%s uc send %u", path,
		       sizes[i]);
		report(t_write(&a, &b, sizes[i], false), "%s uc write %u", path, sizes[i]);
	}
	report(t_write(&a, &b, 9000, true), "%s uc write+imm", path);
	pair_teardown(&a, &b);

	pair_setup(&a, &b, IBV_QPT_UD, 0);
	report(t_send(&a, &b, 1, false, false, 1, true), "%s ud send 1", path);
	report(t_send(&a, &b, 1024, true, false, 2, true), "%s ud send 1024+imm, 2 SGEs", path);
	report(t_send(&a, &b, 100, false, true, 1, true), "%s ud inline send", path);
	pair_teardown(&a, &b);

out:
	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
