// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verbs_fuzz DEV SEED CALLS: CALLS randomized verbs calls with malformed and
 * well-formed arguments mixed: registrations of overflowing, unaligned,
 * zero, unmapped or read-only ranges with odd access flags; advise_mr with
 * bad SGEs; work requests with bad keys, lengths and opcodes; QP modifies
 * with illegal transitions and attributes; CQs small enough to overflow;
 * XRC domains, XRC SRQs, initiator and target QPs (created, opened by
 * number, posted to, connected to anything); objects destroyed in every
 * order.  Every call must succeed or fail with
 * an errno of the kind its verb documents; afterwards a fresh context on
 * the device carries a verified transfer.  The sequence is reproducible
 * from SEED.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "common.h"

#define SLOTS		8	/* objects of each kind alive at once */
#define BUF_LEN		(1u << 20)
#define PAGE		4096u
#define XFER_BUF	310000u

static uint64_t rs;
static unsigned long long calls, ok_calls, bad_calls;
static char first_bad[256];

static uint64_t rnd(void)
{
	return xorshift64(&rs);
}

static uint32_t pick(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* An interesting integer: edges, powers of two around them, or anything. */
static uint64_t odd_u64(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 7, 8, 63, 64, 4095, 4096, 4097, 65535, 65536, 1u << 20, 1u << 31,
		0xffffffffull, 0x100000000ull, 1ull << 47, 1ull << 63, ~0ull, ~0ull - 4095,
	};

	switch (pick(4)) {
	case 0:
		return edges[pick(sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rnd();
	case 2:
		return rnd() & 0xffff;
	default:
		return 1ull << pick(64);
	}
}

/*
 * Account for one call: @ret 0 (or a non-NULL object) is a success; else
 * errno must be one of the @n listed.
 */
static void judge(const char *what, bool success, int n, ...)
{
	int err = errno, i;
	va_list ap;

	calls++;
	if (success) {
		ok_calls++;
		return;
	}
	va_start(ap, n);
	for (i = 0; i < n; i++)
		if (va_arg(ap, int) == err) {
			va_end(ap);
			return;
		}
	va_end(ap);
	bad_calls++;
	if (!first_bad[0])
		snprintf(first_bad, sizeof(first_bad), "call %llu, %s: errno %d (%s)", calls, what,
			 err, strerror(err));
}

/* Judge a destroy verb's return; true if the object is gone. */
static bool destroyed(const char *what, int ret)
{
	errno = ret;
	judge(what, !ret, 1, EBUSY);
	return !ret;
}

static struct ibv_context *ctx;
static union ibv_gid gid;
static struct ibv_pd *pds[SLOTS];
static struct ibv_cq *cqs[SLOTS];
static struct ibv_mr *mrs[SLOTS];
static struct ibv_mw *mws[SLOTS];
static struct ibv_qp *qps[SLOTS];
static struct ibv_srq *srqs[SLOTS];
static struct ibv_ah *ahs[SLOTS];
static struct ibv_xrcd *xrcds[SLOTS];
static char xrcd_path[] = "/tmp/hodp-fuzz-xrcd-XXXXXX";	/* the file XRC domains share */
static uint8_t *buf, *robuf, *hole;

#define ANY(arr) ((arr)[pick(SLOTS)])

static struct ibv_pd *some_pd(void)
{
	struct ibv_pd *pd = ANY(pds);

	return pd ? pd : pds[0];
}

/* An address: inside the buffer, read-only, unmapped, NULL, or odd. */
static void *odd_addr(void)
{
	switch (pick(6)) {
	case 0:
	case 1:
		return buf + pick(BUF_LEN);
	case 2:
		return robuf + pick(PAGE * 4);
	case 3:
		return hole + pick(PAGE * 16);
	case 4:
		return NULL;
	default:
		return (void *)(uintptr_t)odd_u64();
	}
}

static uint64_t odd_len(void)
{
	return pick(3) ? pick(3 * PAGE) : odd_u64();
}

static int odd_access(void)
{
	static const int bits[] = {
		IBV_ACCESS_LOCAL_WRITE, IBV_ACCESS_REMOTE_WRITE, IBV_ACCESS_REMOTE_READ,
		IBV_ACCESS_REMOTE_ATOMIC, IBV_ACCESS_MW_BIND, IBV_ACCESS_ZERO_BASED,
		IBV_ACCESS_ON_DEMAND, IBV_ACCESS_HUGETLB, IBV_ACCESS_RELAXED_ORDERING,
		IBV_ACCESS_FLUSH_GLOBAL, IBV_ACCESS_FLUSH_PERSISTENT, 1 << 30,
	};
	int a = 0, i;

	for (i = 0; i < 3; i++)
		if (pick(2))
			a |= bits[pick(sizeof(bits) / sizeof(bits[0]))];
	return a;
}

static bool inside(const void *addr, size_t len)
{
	const uint8_t *p = addr;

	return (p >= buf && len <= 2 * BUF_LEN && (size_t)(p - buf) <= 2 * BUF_LEN - len) ||
	       (p >= robuf && len <= PAGE * 4 && (size_t)(p - robuf) <= PAGE * 4 - len) ||
	       (p >= hole && len <= PAGE * 16 && (size_t)(p - hole) <= PAGE * 16 - len);
}

static void do_reg_mr(void)
{
	uint32_t i = pick(SLOTS);
	struct ibv_mr *mr;
	void *addr = odd_addr();
	size_t len = odd_len();
	int access = odd_access();

	if (mrs[i])
		return;
	if (pick(8) == 0) {
		addr = NULL;	/* implicit ODP, or a refused form of it */
		len = pick(2) ? SIZE_MAX : len;
		access |= IBV_ACCESS_ON_DEMAND;
	}
	/* Writable only inside the buffers: elsewhere RDMA could write over this process. */
	if (!inside(addr, len))
		access &= ~(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_MW_BIND);
	mr = ibv_reg_mr(some_pd(), addr, len, access);
	judge("reg_mr", mr, 5, EINVAL, EFAULT, ENOMEM, EPERM, EOPNOTSUPP);
	mrs[i] = mr;
}

static void do_dereg_mr(void)
{
	uint32_t i = pick(SLOTS);

	if (!mrs[i])
		return;
	if (destroyed("dereg_mr", ibv_dereg_mr(mrs[i])))
		mrs[i] = NULL;
}

static void do_advise(void)
{
	struct ibv_sge sge[4];
	struct ibv_mr *mr = ANY(mrs);
	uint32_t n = pick(5), i;
	int ret;

	for (i = 0; i < n && i < 4; i++) {
		sge[i].addr = pick(2) && mr ? mr->addr ? (uintptr_t)mr->addr + pick(8192) :
				 (uintptr_t)buf + pick(BUF_LEN) : (uintptr_t)odd_addr();
		sge[i].length = (uint32_t)odd_len();
		sge[i].lkey = mr && pick(4) ? mr->lkey : (uint32_t)rnd();
	}
	ret = ibv_advise_mr(some_pd(), pick(4), pick(4) ? IBV_ADVISE_MR_FLAG_FLUSH : pick(4),
			    sge, n);
	errno = ret;
	judge("advise_mr", !ret, 6, EINVAL, EFAULT, ENOENT, EPERM, EOPNOTSUPP, ENOMEM);
}

static void do_create_cq(void)
{
	uint32_t i = pick(SLOTS);
	int cqe = pick(2) ? (int)pick(64) + 1 : (int)odd_u64();

	if (cqs[i])
		return;
	cqs[i] = ibv_create_cq(ctx, cqe, NULL, NULL, 0);
	judge("create_cq", cqs[i], 2, EINVAL, ENOMEM);
}

static void do_create_qp(void)
{
	static const enum ibv_qp_type types[] = { IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD,
						  IBV_QPT_RAW_PACKET, 99 };
	uint32_t i = pick(SLOTS);
	struct ibv_qp_init_attr init = {
		.send_cq = ANY(cqs), .recv_cq = ANY(cqs), .srq = pick(4) ? NULL : ANY(srqs),
		.qp_type = types[pick(5)], .sq_sig_all = pick(2),
		.cap = { .max_send_wr = pick(2) ? pick(64) + 1 : (uint32_t)odd_u64(),
			 .max_recv_wr = pick(2) ? pick(64) + 1 : (uint32_t)odd_u64(),
			 .max_send_sge = pick(6), .max_recv_sge = pick(6),
			 .max_inline_data = pick(2) ? pick(256) : (uint32_t)odd_u64() },
	};

	if (qps[i] || !init.send_cq || !init.recv_cq)
		return;
	qps[i] = ibv_create_qp(some_pd(), &init);
	judge("create_qp", qps[i], 4, EINVAL, ENOMEM, EOPNOTSUPP, EPERM);
}

/* Usually a legal step towards RTS (connected to itself or a peer), sometimes anything. */
static void do_modify_qp(void)
{
	struct ibv_qp *qp = ANY(qps), *peer = ANY(qps);
	struct ibv_qp_attr attr;
	int mask, state;

	if (!qp)
		return;
	state = qp_state(qp);
	if (pick(3) == 0) {
		memset(&attr, 0, sizeof(attr));
		attr.qp_state = pick(8);
		attr.path_mtu = pick(8);
		attr.timeout = pick(40);
		attr.port_num = pick(3);
		attr.max_rd_atomic = pick(300);
		attr.qp_access_flags = odd_access();
		attr.dest_qp_num = (uint32_t)rnd();
		attr.ah_attr.is_global = pick(2);
		attr.ah_attr.port_num = pick(3);
		attr.ah_attr.grh.sgid_index = pick(4);
		mask = (int)(rnd() & 0x3fffff);
	} else if (state == IBV_QPS_RESET) {
		if (qp_to_init(qp) == 0) {
			judge("modify_qp", true, 0);
			return;
		}
		judge("modify_qp to INIT", false, 1, EINVAL);
		return;
	} else if (state == IBV_QPS_INIT) {
		mask = qp_rtr_attr(qp, peer ? peer->qp_num : qp->qp_num, &gid, &attr);
	} else if (state == IBV_QPS_RTR) {
		mask = qp_rts_attr(qp, pick(8), &attr);
	} else {
		memset(&attr, 0, sizeof(attr));
		attr.qp_state = pick(2) ? IBV_QPS_RESET : IBV_QPS_ERR;
		mask = IBV_QP_STATE;
	}
	errno = ibv_modify_qp(qp, &attr, mask);
	judge("modify_qp", !errno, 7, EINVAL, ENOMEM, EOPNOTSUPP, ENODEV, ENODATA,
	      ENETUNREACH, EHOSTUNREACH);
}

static void do_post_send(void)
{
	struct ibv_qp *qp = ANY(qps);
	struct ibv_mr *mr = ANY(mrs), *rmr = ANY(mrs);
	struct ibv_ah *ah = ANY(ahs);
	struct ibv_sge sge[6];
	struct ibv_send_wr wr = {}, *bad;
	uint32_t i, n = pick(7);

	if (!qp)
		return;
	for (i = 0; i < n && i < 6; i++) {
		sge[i].addr = mr && mr->addr && pick(2) ? (uintptr_t)mr->addr + pick(PAGE) :
							   (uintptr_t)odd_addr();
		sge[i].length = pick(3) ? pick(70000) : (uint32_t)odd_u64();
		sge[i].lkey = mr && pick(4) ? mr->lkey : (uint32_t)rnd();
	}
	wr.wr_id = calls;
	wr.sg_list = sge;
	wr.num_sge = n;
	wr.opcode = pick(16);
	/* The provider reads a bind's MW, an ATOMIC WRITE's value and inline data itself. */
	if (wr.opcode == IBV_WR_BIND_MW || wr.opcode == IBV_WR_ATOMIC_WRITE)
		wr.opcode = IBV_WR_RDMA_WRITE;
	wr.send_flags = (unsigned int)(rnd() & 0x3f);
	if (pick(4))
		wr.send_flags &= ~IBV_SEND_INLINE;
	for (i = 0; (wr.send_flags & IBV_SEND_INLINE) && i < n && i < 6; i++) {
		sge[i].addr = (uintptr_t)buf + pick(PAGE);
		sge[i].length = pick(300);
	}
	wr.wr.rdma.remote_addr = rmr && rmr->addr && pick(2) ?
				 (uintptr_t)rmr->addr + pick(PAGE) : (uintptr_t)odd_addr();
	wr.wr.rdma.rkey = rmr && pick(4) ? rmr->rkey : (uint32_t)rnd();
	if (qp->qp_type == IBV_QPT_XRC_SEND) {
		struct ibv_srq *srq = ANY(srqs);
		uint32_t n;

		wr.qp_type.xrc.remote_srqn = srq && !ibv_get_srq_num(srq, &n) && pick(2) ? n :
					     (uint32_t)rnd();
	}
	if (qp->qp_type == IBV_QPT_UD) {
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = pick(2) ? qp->qp_num : (uint32_t)rnd();
		wr.wr.ud.remote_qkey = 0x1234;
		if (!ah)
			return;		/* libibverbs would dereference it */
	}
	errno = ibv_post_send(qp, &wr, &bad);
	judge("post_send", !errno, 2, EINVAL, ENOMEM);
}

static void do_post_recv(void)
{
	struct ibv_qp *qp = ANY(qps);
	struct ibv_srq *srq = ANY(srqs);
	struct ibv_mr *mr = ANY(mrs);
	struct ibv_sge sge[6];
	struct ibv_recv_wr wr = {}, *bad;
	uint32_t i, n = pick(7);

	for (i = 0; i < n && i < 6; i++) {
		sge[i].addr = mr && mr->addr && pick(2) ? (uintptr_t)mr->addr + pick(PAGE) :
							   (uintptr_t)odd_addr();
		sge[i].length = pick(70000);
		sge[i].lkey = mr && pick(4) ? mr->lkey : (uint32_t)rnd();
	}
	wr.wr_id = calls;
	wr.sg_list = sge;
	wr.num_sge = n;
	if (pick(2) && srq) {
		errno = ibv_post_srq_recv(srq, &wr, &bad);
		judge("post_srq_recv", !errno, 2, EINVAL, ENOMEM);
	} else if (qp) {
		errno = ibv_post_recv(qp, &wr, &bad);
		judge("post_recv", !errno, 2, EINVAL, ENOMEM);
	}
}

static void do_poll(void)
{
	struct ibv_cq *cq = ANY(cqs);
	struct ibv_wc wc[16];
	int n;

	if (!cq)
		return;
	n = ibv_poll_cq(cq, 16, wc);
	errno = n < 0 ? -n : 0;
	judge("poll_cq", n >= 0, 0);
}

static void do_srq(void)
{
	uint32_t i = pick(SLOTS);
	struct ibv_srq_init_attr init = {
		.attr = { .max_wr = pick(2) ? pick(64) + 1 : (uint32_t)odd_u64(),
			  .max_sge = pick(6), .srq_limit = pick(8) },
	};
	struct ibv_srq_attr attr = { .max_wr = pick(128), .srq_limit = pick(64) };

	if (!srqs[i]) {
		srqs[i] = ibv_create_srq(some_pd(), &init);
		judge("create_srq", srqs[i], 2, EINVAL, ENOMEM);
		return;
	}
	errno = ibv_modify_srq(srqs[i], &attr, (int)pick(4));
	judge("modify_srq", !errno, 2, EINVAL, ENOMEM);
}

/*
 * XRC: a domain (of a file or none), an XRC SRQ in one, an initiator or a
 * target QP, a target opened by any number; or a domain closed.
 */
static void do_xrc(void)
{
	uint32_t i = pick(SLOTS);
	struct ibv_xrcd *xrcd = ANY(xrcds);

	switch (pick(5)) {
	case 0: {
		struct ibv_xrcd_init_attr attr = {
			.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
			.fd = pick(3) ? -1 : open(xrcd_path, O_RDONLY),
			.oflags = pick(4) ? O_CREAT : (int)rnd(),
		};

		if (xrcds[i])
			return;
		xrcds[i] = ibv_open_xrcd(ctx, &attr);
		judge("open_xrcd", xrcds[i], 4, EINVAL, ENOMEM, EAGAIN, EBADF);
		if (attr.fd >= 0)
			close(attr.fd);
		return;
	}
	case 1: {
		struct ibv_srq_init_attr_ex attr = {
			.attr = { .max_wr = pick(2) ? pick(64) + 1 : (uint32_t)odd_u64(),
				  .max_sge = pick(6) },
			.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
				     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
			.srq_type = IBV_SRQT_XRC, .pd = some_pd(), .xrcd = xrcd, .cq = ANY(cqs),
		};

		if (srqs[i] || !xrcd || !attr.cq)
			return;
		srqs[i] = ibv_create_srq_ex(ctx, &attr);
		judge("create_srq_ex", srqs[i], 2, EINVAL, ENOMEM);
		return;
	}
	case 2: {
		struct ibv_qp_init_attr_ex attr = {
			.send_cq = ANY(cqs), .recv_cq = ANY(cqs), .pd = some_pd(), .xrcd = xrcd,
			.srq = pick(3) ? NULL : ANY(srqs),	/* XRC ignores it, or refuses */
			.cap = { .max_send_wr = pick(2) ? pick(64) + 1 : (uint32_t)odd_u64(),
				 .max_send_sge = pick(6), .max_recv_wr = pick(4) },
		};

		if (pick(2)) {
			attr.qp_type = IBV_QPT_XRC_SEND;
			attr.comp_mask = IBV_QP_INIT_ATTR_PD;
		} else {
			attr.qp_type = IBV_QPT_XRC_RECV;
			attr.comp_mask = IBV_QP_INIT_ATTR_XRCD;
		}
		if (qps[i] || !attr.send_cq || (attr.qp_type == IBV_QPT_XRC_RECV && !xrcd))
			return;
		qps[i] = ibv_create_qp_ex(ctx, &attr);
		judge("create_qp_ex (XRC)", qps[i], 3, EINVAL, ENOMEM, EOPNOTSUPP);
		return;
	}
	case 3: {
		struct ibv_qp *some = ANY(qps);
		struct ibv_qp_open_attr attr = {
			.comp_mask = IBV_QP_OPEN_ATTR_NUM | IBV_QP_OPEN_ATTR_XRCD |
				     IBV_QP_OPEN_ATTR_TYPE,
			.qp_num = some && pick(2) ? some->qp_num : (uint32_t)rnd(),
			.xrcd = xrcd, .qp_type = IBV_QPT_XRC_RECV,
		};

		if (qps[i] || !xrcd)
			return;
		qps[i] = ibv_open_qp(ctx, &attr);
		judge("open_qp", qps[i], 2, EINVAL, ENOMEM);
		return;
	}
	default:
		if (xrcds[i] && destroyed("close_xrcd", ibv_close_xrcd(xrcds[i])))
			xrcds[i] = NULL;
		return;
	}
}

static void do_ah(void)
{
	uint32_t i = pick(SLOTS);
	struct ibv_ah_attr attr = {
		.is_global = pick(4) != 0, .port_num = pick(3),
		.grh = { .dgid = gid, .sgid_index = pick(4), .hop_limit = pick(256) },
	};

	if (ahs[i])
		return;
	ahs[i] = ibv_create_ah(some_pd(), &attr);
	judge("create_ah", ahs[i], 6, EINVAL, ENOMEM, ENODEV, ENODATA, ENETUNREACH, EHOSTUNREACH);
}

static void do_mw(void)
{
	uint32_t i = pick(SLOTS);
	struct ibv_mr *mr = ANY(mrs);
	struct ibv_qp *qp = ANY(qps);
	struct ibv_mw_bind bind = {
		.wr_id = calls, .send_flags = IBV_SEND_SIGNALED,
		.bind_info = { .mr = mr, .addr = mr && mr->addr ? (uintptr_t)mr->addr : 0,
			       .length = pick(3) ? pick(8192) : odd_u64(),
			       .mw_access_flags = odd_access() },
	};

	if (!mws[i]) {
		mws[i] = ibv_alloc_mw(some_pd(), pick(2) ? IBV_MW_TYPE_1 : IBV_MW_TYPE_2);
		judge("alloc_mw", mws[i], 2, EINVAL, ENOMEM);
		return;
	}
	if (qp && mr && mws[i]->type == IBV_MW_TYPE_1 && pick(2)) {
		errno = ibv_bind_mw(qp, mws[i], &bind);
		judge("bind_mw", !errno, 3, EINVAL, ENOMEM, EPERM);
		return;
	}
	if (destroyed("dealloc_mw", ibv_dealloc_mw(mws[i])))
		mws[i] = NULL;
}

/* Destroy one object of any kind; EBUSY while others still use it. */
static void do_destroy(void)
{
	uint32_t i = pick(SLOTS);

	switch (pick(5)) {
	case 0:
		if (qps[i] && destroyed("destroy_qp", ibv_destroy_qp(qps[i])))
			qps[i] = NULL;
		break;
	case 1:
		if (cqs[i] && destroyed("destroy_cq", ibv_destroy_cq(cqs[i])))
			cqs[i] = NULL;
		break;
	case 2:
		if (srqs[i] && destroyed("destroy_srq", ibv_destroy_srq(srqs[i])))
			srqs[i] = NULL;
		break;
	case 3:
		if (ahs[i] && destroyed("destroy_ah", ibv_destroy_ah(ahs[i])))
			ahs[i] = NULL;
		break;
	default:
		if (!i)
			break;		/* the PD every slot falls back to stays */
		if (!pds[i]) {
			pds[i] = ibv_alloc_pd(ctx);
			judge("alloc_pd", pds[i], 1, ENOMEM);
		} else if (destroyed("dealloc_pd", ibv_dealloc_pd(pds[i]))) {
			pds[i] = NULL;
		}
		break;
	}
}

/* A WRITE between two fresh QPs of a fresh context, checked byte for byte. */
static bool still_works(const char *dev)
{
	struct ibv_context *c = open_device(dev);
	struct ibv_pd *pd = ibv_alloc_pd(c);
	struct ibv_cq *cq = ibv_create_cq(c, 16, NULL, NULL, 0);
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1, .max_recv_sge = 1 },
	};
	uint8_t *src = malloc(XFER_BUF), *dst = calloc(1, XFER_BUF);
	struct ibv_qp *q1 = ibv_create_qp(pd, &init), *q2 = ibv_create_qp(pd, &init);
	struct ibv_mr *ms = ibv_reg_mr(pd, src, XFER_BUF, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *md = ibv_reg_mr(pd, dst, XFER_BUF, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	struct ibv_sge sge = { .addr = (uintptr_t)src + 3, .length = 299990, .lkey = 0 };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE };
	uint32_t i;

	CHECK(q1 && q2 && ms && md && !qp_to_init(q1) && !qp_to_init(q2), "setup: %s",
	      strerror(errno));
	qp_connect(q1, q2->qp_num, &gid, 7);
	qp_connect(q2, q1->qp_num, &gid, 7);
	for (i = 0; i < XFER_BUF; i++)
		src[i] = (uint8_t)(i * 13 + 5);
	sge.lkey = ms->lkey;
	wr.wr.rdma.remote_addr = (uintptr_t)dst + 4091;
	wr.wr.rdma.rkey = md->rkey;
	CHECK(post_expect(q1, cq, &wr, IBV_WC_SUCCESS), "write");
	CHECK(!memcmp(dst + 4091, src + 3, 299990) && !dst[4090], "payload differs");
	ibv_destroy_qp(q1);
	ibv_destroy_qp(q2);
	ibv_dereg_mr(ms);
	ibv_dereg_mr(md);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(c);
	return true;
}

int main(int argc, char **argv)
{
	void (*const actions[])(void) = {
		do_reg_mr, do_reg_mr, do_dereg_mr, do_advise, do_create_cq, do_create_qp,
		do_modify_qp, do_modify_qp, do_post_send, do_post_send, do_post_send,
		do_post_recv, do_poll, do_poll, do_srq, do_ah, do_mw, do_destroy, do_xrc,
	};
	unsigned long long target;
	double t0;
	int i;

	if (argc != 4)
		die("usage: %s DEV SEED CALLS", argv[0]);
	rs = strtoull(argv[2], NULL, 0) * 2 + 1;	/* xorshift state: never 0 */
	target = strtoull(argv[3], NULL, 0);
	ctx = open_device(argv[1]);
	if (ibv_query_gid(ctx, 1, GID_INDEX, &gid))
		die("query_gid: %s", strerror(errno));
	/* Twice the length used: transfers running past its end stay inside. */
	buf = mmap(NULL, 2 * BUF_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	robuf = mmap(NULL, PAGE * 4, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, PAGE * 16, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pds[0] = ibv_alloc_pd(ctx);
	i = mkstemp(xrcd_path);
	if (i < 0)
		die("mkstemp: %s", strerror(errno));
	close(i);
	if (buf == MAP_FAILED || robuf == MAP_FAILED || hole == MAP_FAILED || !pds[0])
		die("setup: %s", strerror(errno));
	memset(buf, 0x5a, BUF_LEN);

	t0 = now_us();
	while (calls < target && !first_bad[0])
		actions[pick(sizeof(actions) / sizeof(actions[0]))]();
	printf("# seed %s: %llu calls in %.1f s, %llu succeeded, %llu failed cleanly\n", argv[2],
	       calls, (now_us() - t0) / 1e6, ok_calls, calls - ok_calls - bad_calls);
	report(!bad_calls && calls >= target,
	       "%llu randomized verbs calls, each a success or a documented error%s%s", calls,
	       first_bad[0] ? ": " : "", first_bad);

	/* What the sequence left alive goes with the process (the suite checks). */
	report(still_works(argv[1]), "the device carries a verified WRITE afterwards");
	unlink(xrcd_path);
	return tap_failures ? 1 : 0;
}
