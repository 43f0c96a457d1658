// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xrc INI_DEV TGT_DEV NAME: XRC between two processes that share one XRC
 * domain through a file.
 *
 * This process (A) creates the XRC target QP on TGT_DEV and sends through
 * an XRC initiator on INI_DEV.  A child (B) opens the same domain, opens
 * A's target QP, and owns the SRQs and the memory the requests land in, in
 * its own PD.  SEND, WRITE, READ and atomics of 1 B, 4 KiB and 64 KiB
 * (unaligned too) go into pinned, explicit ODP and implicit ODP memory on
 * both sides, every byte checked where it lands; one initiator feeds three
 * SRQs, each with its own CQ; and what mlx5 refuses is refused.  TAP.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

#define NSRQ		3
#define BUF_SIZE	(1u << 20)
#define SRQ_DEPTH	64
#define MAX_SGE		32

enum mem { MEM_PINNED, MEM_ODP, MEM_IMPLICIT, MEM_KINDS };
static const char *const mem_name[MEM_KINDS] = { "pinned", "odp", "implicit-odp" };

/* A's requests to B, and B's answers. */
enum cmd { CMD_RECV, CMD_EXPECT, CMD_FILL, CMD_CHECK, CMD_GET64, CMD_SET64, CMD_FAULTS,
	   CMD_OPEN_QP, CMD_CLOSE_BUSY, CMD_QUIT };

struct req {
	uint32_t cmd;
	uint32_t srq;		/* index, of B's SRQs */
	uint32_t mem;
	uint32_t seed;
	uint64_t off;
	uint64_t len;		/* or a QP number */
	uint64_t val;		/* CMD_SET64 */
};

struct rep {
	int32_t ok;
	uint32_t pad;
	uint64_t val;
	char why[112];
};

/* What B tells A once it is set up. */
struct target_info {
	uint32_t srqn[NSRQ];
	uint32_t other_domain_srqn;	/* an XRC SRQ of another domain */
	uint32_t basic_srqn;		/* an SRQ that is not XRC */
	uint32_t rkey[MEM_KINDS];	/* 0: that kind is not offered */
	uint64_t addr[MEM_KINDS];
};

static int sock = -1;

static void xfer_all(bool out, void *p, size_t n)
{
	while (n) {
		ssize_t r = out ? write(sock, p, n) : read(sock, p, n);

		if (r <= 0)
			die("socket: %s", r ? strerror(errno) : "closed");
		p = (char *)p + r;
		n -= r;
	}
}

/* A device context with a PD, a memory kind's buffer and its MR. */
struct mem_set {
	uint8_t *buf[MEM_KINDS];
	struct ibv_mr *mr[MEM_KINDS];
};

static bool odp_offered(struct ibv_context *ctx, bool implicit)
{
	struct ibv_device_attr_ex attr = {};
	uint32_t need = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_SRQ_RECV | IBV_ODP_SUPPORT_WRITE |
			IBV_ODP_SUPPORT_READ | IBV_ODP_SUPPORT_ATOMIC;

	if (ibv_query_device_ex(ctx, NULL, &attr))
		return false;
	if (implicit && !(attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT))
		return false;
	return (attr.xrc_odp_caps & need) == need;
}

/* Fresh (never touched) memory of every kind, registered in @pd; ODP kinds if offered. */
static void mem_set_open(struct mem_set *m, struct ibv_pd *pd)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_ATOMIC;
	int k;

	for (k = 0; k < MEM_KINDS; k++) {
		m->buf[k] = map_anon(BUF_SIZE);
		if (k == MEM_PINNED)
			m->mr[k] = ibv_reg_mr(pd, m->buf[k], BUF_SIZE, access);
		else if (odp_offered(pd->context, k == MEM_IMPLICIT))
			m->mr[k] = k == MEM_ODP ?
				ibv_reg_mr(pd, m->buf[k], BUF_SIZE, access | IBV_ACCESS_ON_DEMAND) :
				ibv_reg_mr(pd, NULL, SIZE_MAX, access | IBV_ACCESS_ON_DEMAND);
		else
			continue;
		if (!m->mr[k])
			die("%s MR: %s", mem_name[k], strerror(errno));
	}
}

static struct ibv_xrcd *xrcd_open(struct ibv_context *ctx, const char *path)
{
	struct ibv_xrcd_init_attr attr = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.oflags = O_CREAT,
	};
	struct ibv_xrcd *xrcd;

	attr.fd = open(path, O_RDONLY | O_CREAT, 0600);
	if (attr.fd < 0)
		die("%s: %s", path, strerror(errno));
	xrcd = ibv_open_xrcd(ctx, &attr);
	if (!xrcd)
		die("ibv_open_xrcd: %s", strerror(errno));
	close(attr.fd);
	return xrcd;
}

static struct ibv_srq *xrc_srq_new(struct ibv_context *ctx, struct ibv_pd *pd,
				   struct ibv_xrcd *xrcd, struct ibv_cq *cq, uint32_t max_sge)
{
	struct ibv_srq_init_attr_ex attr = {
		.attr = { .max_wr = SRQ_DEPTH, .max_sge = max_sge },
		.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_XRC,
		.pd = pd,
		.xrcd = xrcd,
		.cq = cq,
	};
	struct ibv_srq *srq = ibv_create_srq_ex(ctx, &attr);

	if (!srq)
		die("XRC SRQ: %s", strerror(errno));
	return srq;
}

static uint32_t srq_num(struct ibv_srq *srq)
{
	uint32_t n;

	if (ibv_get_srq_num(srq, &n))
		die("ibv_get_srq_num: %s", strerror(errno));
	return n;
}

/* B: one answer, ok or with a reason. */
static void answer(bool ok, uint64_t val, const char *fmt, ...)
{
	struct rep rep = { .ok = ok, .val = val };
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(rep.why, sizeof(rep.why), fmt, ap);
		va_end(ap);
	}
	xfer_all(true, &rep, sizeof(rep));
}

/* B: what landed in @buf against the pattern of @seed; 0 or the first bad offset + 1. */
static size_t mismatch(const uint8_t *buf, size_t len, unsigned int seed)
{
	uint8_t *want = malloc(len ?: 1);
	size_t i, bad = 0;

	if (!want)
		die("malloc");
	fill(want, len, seed);
	for (i = 0; i < len && !bad; i++)
		if (buf[i] != want[i])
			bad = i + 1;
	free(want);
	return bad;
}

/* B: receive on SRQ @r's CQ and check it (wr_id is the SRQ's index). */
static void target_expect(struct ibv_cq *cq, const struct req *r, uint8_t *buf,
			  uint32_t tgt_qpn)
{
	struct ibv_wc wc;
	size_t bad;

	if (!poll_one(cq, &wc))
		return answer(false, 0, "no receive completion on SRQ %u's CQ", r->srq);
	if (wc.status != IBV_WC_SUCCESS || wc.opcode != IBV_WC_RECV || wc.byte_len != r->len ||
	    wc.wr_id != r->srq || wc.qp_num != tgt_qpn)
		return answer(false, 0, "status %s opcode %d byte_len %u wr_id %llu qp %#x",
			      ibv_wc_status_str(wc.status), wc.opcode, wc.byte_len,
			      (unsigned long long)wc.wr_id, wc.qp_num);
	bad = mismatch(buf + r->off, r->len, r->seed);
	answer(!bad, 0, bad ? "byte %zu differs" : NULL, bad - 1);
}

/* B: the XRC target's handle opened here; sends on it and unknown targets refused. */
static void target_open_qp(struct ibv_context *ctx, struct ibv_xrcd *xrcd, uint32_t qpn,
			   struct ibv_qp **opened)
{
	struct ibv_qp_open_attr attr = {
		.comp_mask = IBV_QP_OPEN_ATTR_NUM | IBV_QP_OPEN_ATTR_XRCD | IBV_QP_OPEN_ATTR_TYPE,
		.qp_num = qpn, .xrcd = xrcd, .qp_type = IBV_QPT_XRC_RECV,
	};
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND }, *bad;
	struct ibv_qp *none;
	int err;

	*opened = ibv_open_qp(ctx, &attr);
	if (!*opened)
		return answer(false, 0, "ibv_open_qp: %s", strerror(errno));
	err = ibv_post_send(*opened, &wr, &bad);
	attr.qp_num = qpn ^ 0x800000;
	errno = 0;
	none = ibv_open_qp(ctx, &attr);
	if (none)
		return answer(false, 0, "a QP number with no target QP opened");
	answer(err == EINVAL && errno == EINVAL, 0, "post_send on the target %d, open of none %d",
	       err, errno);
}

/* B: the owner of the SRQs and the memory, serving A's requests. */
static int target_main(const char *dev, const char *path, const char *other_path)
{
	struct ibv_context *ctx = open_device(dev);
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_xrcd *xrcd = xrcd_open(ctx, path), *other = xrcd_open(ctx, other_path);
	struct ibv_srq_init_attr basic_attr = { .attr = { .max_wr = 4, .max_sge = 1 } };
	struct ibv_cq *cq[NSRQ], *other_cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	struct ibv_srq *srq[NSRQ], *other_srq, *basic_srq;
	struct target_info info = {};
	struct ibv_qp *opened = NULL;
	uint32_t tgt_qpn = 0;
	struct mem_set m = {};
	struct req r;
	int i;

	if (!pd || !other_cq)
		die("B: %s", strerror(errno));
	mem_set_open(&m, pd);
	for (i = 0; i < NSRQ; i++) {
		cq[i] = ibv_create_cq(ctx, SRQ_DEPTH, NULL, NULL, 0);
		if (!cq[i])
			die("CQ: %s", strerror(errno));
		/* The last takes receives of many SGEs. */
		srq[i] = xrc_srq_new(ctx, pd, xrcd, cq[i], i == NSRQ - 1 ? MAX_SGE : 1);
		info.srqn[i] = srq_num(srq[i]);
	}
	other_srq = xrc_srq_new(ctx, pd, other, other_cq, 1);
	info.other_domain_srqn = srq_num(other_srq);
	basic_srq = ibv_create_srq(pd, &basic_attr);
	if (!basic_srq)
		die("SRQ: %s", strerror(errno));
	info.basic_srqn = srq_num(basic_srq);
	for (i = 0; i < MEM_KINDS; i++) {
		info.rkey[i] = m.mr[i] ? m.mr[i]->rkey : 0;
		info.addr[i] = (uintptr_t)m.buf[i];
	}
	xfer_all(true, &info, sizeof(info));

	for (;;) {
		uint8_t *buf;

		xfer_all(false, &r, sizeof(r));
		buf = r.mem < MEM_KINDS ? m.buf[r.mem] : NULL;
		if (r.cmd == CMD_GET64 || r.cmd == CMD_SET64)
			r.len = sizeof(uint64_t);
		if (r.cmd != CMD_QUIT && r.cmd != CMD_OPEN_QP && r.cmd != CMD_CLOSE_BUSY &&
		    (!buf || r.srq >= NSRQ || r.off > BUF_SIZE || r.len > BUF_SIZE - r.off))
			die("B: a bad request");
		switch (r.cmd) {
		case CMD_RECV: {
			/* @seed SGEs (at least one, at most MAX_SGE) end to end. */
			uint32_t n = r.seed ? (r.seed < MAX_SGE ? r.seed : MAX_SGE) : 1, j;
			struct ibv_sge sge[MAX_SGE];
			struct ibv_recv_wr wr = { .wr_id = r.srq, .sg_list = sge, .num_sge = n };
			struct ibv_recv_wr *bad;

			for (j = 0; j < n; j++) {
				sge[j].addr = (uintptr_t)buf + r.off + r.len / n * j;
				sge[j].length = j == n - 1 ? r.len - r.len / n * j : r.len / n;
				sge[j].lkey = m.mr[r.mem]->lkey;
			}
			answer(!ibv_post_srq_recv(srq[r.srq], &wr, &bad), 0, "post_srq_recv");
			break;
		}
		case CMD_EXPECT:
			target_expect(cq[r.srq], &r, buf, tgt_qpn);
			break;
		case CMD_FILL:
			fill(buf + r.off, r.len, r.seed);
			answer(true, 0, NULL);
			break;
		case CMD_CHECK: {
			size_t bad = mismatch(buf + r.off, r.len, r.seed);

			answer(!bad, 0, bad ? "byte %zu differs" : NULL, bad - 1);
			break;
		}
		case CMD_GET64:
			answer(true, *(uint64_t *)(buf + r.off), NULL);
			break;
		case CMD_SET64:
			*(uint64_t *)(buf + r.off) = r.val;
			answer(true, 0, NULL);
			break;
		case CMD_FAULTS:
			answer(true, mr_stat(dev, m.mr[r.mem], "page_faults"), NULL);
			break;
		case CMD_OPEN_QP:
			tgt_qpn = r.len;
			target_open_qp(ctx, xrcd, tgt_qpn, &opened);
			break;
		case CMD_CLOSE_BUSY:
			/* SRQs and the opened QP are on it. */
			errno = 0;
			i = ibv_close_xrcd(xrcd);
			answer(i == EBUSY, 0, "ibv_close_xrcd with SRQs on it: %d", i);
			break;
		case CMD_QUIT:
			if (opened && ibv_destroy_qp(opened))
				die("destroy of the opened QP: %s", strerror(errno));
			for (i = 0; i < NSRQ; i++)
				if (ibv_destroy_srq(srq[i]) || ibv_destroy_cq(cq[i]))
					die("B teardown: %s", strerror(errno));
			if (ibv_destroy_srq(other_srq) || ibv_destroy_srq(basic_srq) ||
			    ibv_close_xrcd(xrcd) || ibv_close_xrcd(other))
				die("B teardown: %s", strerror(errno));
			answer(true, 0, NULL);
			return 0;
		}
	}
}

/* A: ask B, and report B's failure reason as a diagnostic. */
static bool ask(uint32_t cmd, uint32_t srq, uint32_t mem, uint64_t off, uint64_t len,
		uint32_t seed, uint64_t *val)
{
	struct req r = { .cmd = cmd, .srq = srq, .mem = mem, .seed = seed, .off = off,
			 .len = len, .val = val ? *val : 0 };
	struct rep rep;

	xfer_all(true, &r, sizeof(r));
	xfer_all(false, &rep, sizeof(rep));
	if (!rep.ok)
		printf("#   B: %s\n", rep.why);
	if (val)
		*val = rep.val;
	return rep.ok;
}

/* A's side: the initiator, its memory, and the target QP A created. */
struct initiator {
	const char *dev;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct mem_set m;
	struct target_info t;
};

static bool post_one(struct initiator *a, struct ibv_send_wr *wr, enum ibv_wc_status status)
{
	struct ibv_send_wr *bad;
	struct ibv_wc wc;
	int err;

	wr->send_flags |= IBV_SEND_SIGNALED;
	err = ibv_post_send(a->qp, wr, &bad);
	CHECK(!err, "ibv_post_send: %s", strerror(err));
	CHECK(poll_one(a->cq, &wc), "no completion");
	CHECK(wc.status == status, "%s, wanted %s", ibv_wc_status_str(wc.status),
	      ibv_wc_status_str(status));
	return true;
}

/* A SEND of @len bytes into a receive of @nsge SGEs on B's SRQ @srq. */
static bool case_send(struct initiator *a, enum mem k, uint32_t srq, uint64_t off, uint32_t len,
		      uint32_t seed, uint32_t nsge)
{
	struct ibv_sge sge = { (uintptr_t)a->m.buf[k] + off, len, a->m.mr[k]->lkey };
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND, .sg_list = &sge, .num_sge = 1 };

	wr.qp_type.xrc.remote_srqn = a->t.srqn[srq];
	fill(a->m.buf[k] + off, len, seed);
	return ask(CMD_RECV, srq, k, off + 3, len, nsge, NULL) &&
	       post_one(a, &wr, IBV_WC_SUCCESS) &&
	       ask(CMD_EXPECT, srq, k, off + 3, len, seed, NULL);
}

static bool case_rdma(struct initiator *a, enum mem k, bool write, uint64_t off, uint32_t len,
		      uint32_t seed)
{
	struct ibv_sge sge = { (uintptr_t)a->m.buf[k] + off, len, a->m.mr[k]->lkey };
	struct ibv_send_wr wr = {
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.sg_list = &sge, .num_sge = 1,
		.wr.rdma = { .remote_addr = a->t.addr[k] + off + 5, .rkey = a->t.rkey[k] },
	};
	size_t bad;

	/* The SRQ names the domain member whose PD the key must belong to. */
	wr.qp_type.xrc.remote_srqn = a->t.srqn[1];
	if (write) {
		fill(a->m.buf[k] + off, len, seed);
		return post_one(a, &wr, IBV_WC_SUCCESS) &&
		       ask(CMD_CHECK, 0, k, off + 5, len, seed, NULL);
	}
	memset(a->m.buf[k] + off, 0, len);
	if (!ask(CMD_FILL, 0, k, off + 5, len, seed, NULL) || !post_one(a, &wr, IBV_WC_SUCCESS))
		return false;
	bad = mismatch(a->m.buf[k] + off, len, seed);
	CHECK(!bad, "READ: byte %zu differs", bad - 1);
	return true;
}

static bool case_atomics(struct initiator *a, enum mem k)
{
	uint64_t *local = (uint64_t *)(a->m.buf[k] + 4096 * 3);
	struct ibv_sge sge = { (uintptr_t)local, 8, a->m.mr[k]->lkey };
	uint64_t off = 4096 * 7 + 8, val = 0x4000000000000001ull;
	struct ibv_send_wr wr = {
		.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD, .sg_list = &sge, .num_sge = 1,
		.wr.atomic = { .remote_addr = a->t.addr[k] + off, .rkey = a->t.rkey[k],
			       .compare_add = 0x1111 },
	};

	wr.qp_type.xrc.remote_srqn = a->t.srqn[2];
	if (!ask(CMD_SET64, 0, k, off, 0, 0, &val) ||
	    !post_one(a, &wr, IBV_WC_SUCCESS))
		return false;
	CHECK(*local == 0x4000000000000001ull, "fetch-add returned %#llx",
	      (unsigned long long)*local);
	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.compare_add = 0x4000000000001112ull;
	wr.wr.atomic.swap = 0xfeed;
	if (!post_one(a, &wr, IBV_WC_SUCCESS) || !ask(CMD_GET64, 0, k, off, 0, 0, &val))
		return false;
	CHECK(*local == 0x4000000000001112ull && val == 0xfeed,
	      "compare-swap returned %#llx, memory %#llx", (unsigned long long)*local,
	      (unsigned long long)val);
	return true;
}

/* One SEND to each of B's SRQs in turn, each landing on its own CQ. */
static bool case_fan_out(struct initiator *a)
{
	uint32_t i;

	for (i = 0; i < 3 * NSRQ; i++)
		if (!case_send(a, MEM_PINNED, i % NSRQ, 8192 * i, 3000 + i, 40 + i, 1))
			return false;
	return true;
}

/* A SEND naming SRQ number @srqn, which is not one of the domain's: the QPs end in error. */
static bool case_bad_srqn(struct initiator *a, uint32_t srqn)
{
	struct ibv_sge sge = { (uintptr_t)a->m.buf[0], 64, a->m.mr[0]->lkey };
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND, .sg_list = &sge, .num_sge = 1 };

	wr.qp_type.xrc.remote_srqn = srqn;
	return post_one(a, &wr, IBV_WC_REM_INV_RD_REQ_ERR);
}

static void xrc_connect(struct initiator *a, struct ibv_qp *tgt, const union ibv_gid *tgt_gid,
			const union ibv_gid *ini_gid)
{
	if (qp_to_init(a->qp) || qp_to_init(tgt))
		die("XRC to INIT: %s", strerror(errno));
	qp_connect(tgt, a->qp->qp_num, ini_gid, 7);
	qp_connect(a->qp, tgt->qp_num, tgt_gid, 7);
}

static struct ibv_qp *ini_qp_new(struct initiator *a)
{
	struct ibv_qp_init_attr_ex init = {
		.send_cq = a->cq, .qp_type = IBV_QPT_XRC_SEND, .pd = a->pd,
		.cap = { .max_send_wr = 16, .max_send_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(a->ctx, &init);

	if (!qp)
		die("XRC initiator: %s", strerror(errno));
	return qp;
}

/* An XRC target; @srq, which XRC ignores, attached as a careless caller might. */
static struct ibv_qp *tgt_qp_new(struct ibv_context *ctx, struct ibv_xrcd *xrcd,
				 struct ibv_srq *srq)
{
	struct ibv_qp_init_attr_ex init = {
		.qp_type = IBV_QPT_XRC_RECV, .xrcd = xrcd, .comp_mask = IBV_QP_INIT_ATTR_XRCD,
		.srq = srq,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(ctx, &init);

	if (!qp)
		die("XRC target: %s", strerror(errno));
	return qp;
}

/* The MRs' counters, which only root may read (rdma resource show). */
static void check_faults(struct initiator *a, enum mem k, const char *name)
{
	long long mine = mr_stat(a->dev, a->m.mr[k], "page_faults");
	uint64_t theirs = 0;
	bool ok = ask(CMD_FAULTS, 0, k, 0, 0, 0, &theirs);

	if (geteuid()) {
		char what[128];

		snprintf(what, sizeof(what), "%s: %s: page faults served on both sides", name,
			 mem_name[k]);
		report_skip(what, "the MR counters are root's to read");
		return;
	}
	report(ok && mine > 0 && (long long)theirs > 0,
	       "%s: %s: page faults served on both sides (A %lld, B %lld)", name, mem_name[k],
	       mine, (long long)theirs);
}

static void traffic_cases(struct initiator *a, const char *name)
{
	static const uint32_t lens[] = { 1, 4096, 65536 };
	enum mem k;
	size_t i;

	for (k = 0; k < MEM_KINDS; k++) {
		if (!a->m.mr[k] || !a->t.rkey[k]) {
			char what[128];

			snprintf(what, sizeof(what), "%s: XRC traffic, %s", name, mem_name[k]);
			report_skip(what, "the device offers no XRC ODP of that kind");
			continue;
		}
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			/* Odd offsets on both sides: unaligned and page-crossing. */
			uint64_t off = 65536 * (2 * i + 1) + (lens[i] > 1 ? 4093 : 0);

			report(case_send(a, k, 0, off, lens[i], k * 10 + i, 1),
			       "%s: SEND %u B into B's SRQ, %s", name, lens[i], mem_name[k]);
			report(case_rdma(a, k, true, off, lens[i], 20 + k * 10 + i),
			       "%s: RDMA WRITE %u B, %s", name, lens[i], mem_name[k]);
			report(case_rdma(a, k, false, off + 131072, lens[i], 30 + k * 10 + i),
			       "%s: RDMA READ %u B, %s", name, lens[i], mem_name[k]);
		}
		report(case_atomics(a, k), "%s: fetch-add and compare-swap, %s", name,
		       mem_name[k]);
		if (k != MEM_PINNED)
			check_faults(a, k, name);
	}
	report(case_fan_out(a), "%s: one initiator feeds %d SRQs, each on its own CQ", name,
	       NSRQ);
	/*
	 * The target was created with a one-SGE SRQ attached, which XRC
	 * ignores: a receive of MAX_SGE SGEs from another SRQ used to
	 * overflow the copy the target sized by the attached one's.
	 */
	report(case_send(a, MEM_PINNED, NSRQ - 1, 0, 4096, 77, MAX_SGE),
	       "%s: a target created with a 1-SGE SRQ takes a %d-SGE receive of another SRQ",
	       name, MAX_SGE);
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/hodp-xrc-XXXXXX", other_path[64];
	struct ibv_context *tctx;
	struct ibv_xrcd *xrcd;
	struct ibv_srq *small;
	struct ibv_pd *tpd;
	struct ibv_cq *tcq;
	struct ibv_qp *tgt;
	union ibv_gid tgid, igid;
	struct initiator a = {};
	int fds[2], status, fd, i;
	pid_t pid;

	if (argc != 4)
		die("usage: xrc INI_DEV TGT_DEV NAME");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp: %s", strerror(errno));
	close(fd);
	snprintf(other_path, sizeof(other_path), "%s-other", path);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(fds[0]);
		sock = fds[1];
		exit(target_main(argv[2], path, other_path));
	}
	close(fds[1]);
	sock = fds[0];
	xfer_all(false, &a.t, sizeof(a.t));

	tctx = open_device(argv[2]);
	xrcd = xrcd_open(tctx, path);
	tpd = ibv_alloc_pd(tctx);
	tcq = ibv_create_cq(tctx, 4, NULL, NULL, 0);
	if (!tpd || !tcq)
		die("A: %s", strerror(errno));
	small = xrc_srq_new(tctx, tpd, xrcd, tcq, 1);
	tgt = tgt_qp_new(tctx, xrcd, small);
	a.dev = argv[1];
	a.ctx = open_device(argv[1]);
	a.pd = ibv_alloc_pd(a.ctx);
	a.cq = ibv_create_cq(a.ctx, 64, NULL, NULL, 0);
	if (!a.pd || !a.cq || ibv_query_gid(tctx, 1, GID_INDEX, &tgid) ||
	    ibv_query_gid(a.ctx, 1, GID_INDEX, &igid))
		die("A: %s", strerror(errno));
	mem_set_open(&a.m, a.pd);
	a.qp = ini_qp_new(&a);
	xrc_connect(&a, tgt, &tgid, &igid);

	report(ask(CMD_OPEN_QP, 0, 0, 0, tgt->qp_num, 0, NULL),
	       "%s: B opens A's target QP; posting a send on it, or opening a QP number "
	       "with no target, is EINVAL", argv[3]);
	traffic_cases(&a, argv[3]);

	{
		struct ibv_recv_wr rwr = {}, *rbad;
		struct ibv_send_wr swr = { .opcode = IBV_WR_SEND }, *sbad;

		report(ibv_post_recv(a.qp, &rwr, &rbad) == EINVAL &&
		       ibv_post_send(tgt, &swr, &sbad) == EINVAL,
		       "%s: a receive posted on the initiator, a send on the target: EINVAL",
		       argv[3]);
	}
	i = ibv_close_xrcd(xrcd);
	report(i == EBUSY && ask(CMD_CLOSE_BUSY, 0, 0, 0, 0, 0, NULL),
	       "%s: closing the domain with a target QP (A) or SRQs (B) on it: EBUSY (%d)",
	       argv[3], i);

	/* Each of these leaves the pair in error: a new one for each. */
	for (i = 0; i < 3; i++) {
		static const char *const what[] = { "of another XRC domain", "that is not XRC",
						     "that does not exist" };
		uint32_t srqn = i == 0 ? a.t.other_domain_srqn :
				i == 1 ? a.t.basic_srqn : 0xfffff0;

		if (i) {
			if (ibv_destroy_qp(a.qp) || ibv_destroy_qp(tgt))
				die("destroy: %s", strerror(errno));
			a.qp = ini_qp_new(&a);
			tgt = tgt_qp_new(tctx, xrcd, small);
			xrc_connect(&a, tgt, &tgid, &igid);
		}
		report(case_bad_srqn(&a, srqn) && qp_state(tgt) == IBV_QPS_ERR,
		       "%s: a SEND naming an SRQ %s: Invalid RD Request NAK, target in error",
		       argv[3], what[i]);
	}

	report(ask(CMD_QUIT, 0, 0, 0, 0, 0, NULL) && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status),
	       "%s: B tears its SRQs and domains down and exits cleanly", argv[3]);
	for (i = 0; i < MEM_KINDS; i++)
		if (a.m.mr[i] && ibv_dereg_mr(a.m.mr[i]))
			die("dereg: %s", strerror(errno));
	if (ibv_destroy_qp(a.qp) || ibv_destroy_qp(tgt) || ibv_destroy_srq(small) ||
	    ibv_destroy_cq(tcq) || ibv_dealloc_pd(tpd) || ibv_close_xrcd(xrcd) ||
	    ibv_destroy_cq(a.cq) || ibv_dealloc_pd(a.pd))
		die("A teardown: %s", strerror(errno));
	unlink(path);
	unlink(other_path);
	printf("1..%d\n", tap_tests);
	return tap_failures ? 1 : 0;
}
