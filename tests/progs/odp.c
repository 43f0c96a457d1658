// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp DEV_A DEV_B LABEL: on-demand paging MRs under RDMA between a QP on
 * DEV_A and one on DEV_B (the same device for loopback).  Memory is fresh
 * (never touched, or filled by the CPU after registration) so that the
 * device faults on every page, on both sides; then it is changed under the
 * MRs: MADV_DONTNEED, munmap, mprotect, fork with copy-on-write, a tmpfs
 * file, transparent huge pages, a 1 TiB reservation.  Every transfer is
 * checked byte for byte, and the MRs' counters (rdma statistic show mr)
 * are checked too.  One TAP line per case.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define ODP_ACCESS	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			 IBV_ACCESS_REMOTE_ATOMIC)
#define BIG		(4u << 20)	/* bytes a large transfer moves */
#define MAP_LEN		(BIG + (16u << 10))
#define PAGE		4096u

static struct side a, b;

static struct ibv_mr *reg_odp(struct side *s, void *p, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(s->pd, p, len, ODP_ACCESS);

	if (!mr)
		die("ODP ibv_reg_mr on %s: %s", s->dev, strerror(errno));
	return mr;
}

static bool rdma(struct side *s, enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr,
		 struct ibv_mr *rmr, void *raddr, uint32_t len, enum ibv_wc_status status)
{
	struct ibv_sge sge = { .addr = (uintptr_t)laddr, .length = len, .lkey = lmr->lkey };
	struct ibv_send_wr wr = { .wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .wr.rdma = { .remote_addr = (uintptr_t)raddr,
					       .rkey = rmr->rkey } };

	return post_expect(s->qp, s->cq, &wr, status);
}

/* Counters say the MR faulted and mapped at least @pages pages, every fault handled. */
static bool faulted(struct side *s, struct ibv_mr *mr, long long pages, const char *what)
{
	long long f = mr_stat(s->dev, mr, "page_faults");
	long long h = mr_stat(s->dev, mr, "page_faults_handled");
	long long m = mr_stat(s->dev, mr, "pages_mapped");

	printf("#   %s: page_faults %lld, handled %lld, pages_mapped %lld\n", what, f, h, m);
	CHECK(f >= 1 && h == f && m >= pages, "%s: counters", what);
	return true;
}

static long long span_pages(const void *p, size_t len)
{
	uintptr_t s = (uintptr_t)p & ~(uintptr_t)(PAGE - 1);

	return (long long)(((uintptr_t)p + len - s + PAGE - 1) / PAGE);
}

/* Fresh memory both sides: a CPU-filled source, a never-touched target. */
static bool t_write_fresh(void)
{
	uint8_t *src = map_anon(MAP_LEN), *dst = map_anon(MAP_LEN);
	struct ibv_mr *smr = reg_odp(&a, src, MAP_LEN), *dmr = reg_odp(&b, dst, MAP_LEN);
	uint32_t len = BIG - 11;
	double t0;

	fill(src, MAP_LEN, 1);		/* after registration: the MR maps none of it */
	t0 = now_us();
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src + 7, dmr, dst + 4093, len, IBV_WC_SUCCESS),
	      "write");
	printf("#   first-touch write of 4 MiB: %.1f MiB/s\n", len / (now_us() - t0));
	CHECK(!memcmp(dst + 4093, src + 7, len), "payload differs");
	CHECK(dst[4092] == 0 && dst[4093 + len] == 0, "wrote outside the target");
	CHECK(faulted(&a, smr, span_pages(src + 7, len), "source"), "source");
	CHECK(faulted(&b, dmr, span_pages(dst + 4093, len), "target"), "target");

	/* Dropped pages come back as zeros; the MR refaults them on the next write. */
	CHECK(!madvise(dst, MAP_LEN, MADV_DONTNEED), "madvise");
	CHECK(dst[4093] == 0 && dst[4093 + len - 1] == 0, "DONTNEED left data");
	printf("#   after MADV_DONTNEED: page_invalidations %lld\n",
	       mr_stat(b.dev, dmr, "page_invalidations"));
	CHECK(mr_stat(b.dev, dmr, "page_invalidations") >= span_pages(dst + 4093, len),
	      "invalidations counted");
	long long before = mr_stat(b.dev, dmr, "page_faults");

	fill(src, MAP_LEN, 2);
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src + 7, dmr, dst + 4093, len, IBV_WC_SUCCESS),
	      "write after DONTNEED");
	CHECK(!memcmp(dst + 4093, src + 7, len), "payload differs after refault");
	CHECK(mr_stat(b.dev, dmr, "page_faults") > before, "no refault counted");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(src, MAP_LEN);
	munmap(dst, MAP_LEN);
	return true;
}

/* RDMA READ: the responder reads fresh ODP pages, the requester lands them in fresh ones. */
static bool t_read_fresh(void)
{
	uint8_t *src = map_anon(MAP_LEN), *dst = map_anon(MAP_LEN);
	struct ibv_mr *smr = reg_odp(&b, src, MAP_LEN), *dmr = reg_odp(&a, dst, MAP_LEN);
	uint32_t len = BIG - 3;

	fill(src, MAP_LEN, 3);
	CHECK(rdma(&a, IBV_WR_RDMA_READ, dmr, dst + 5, smr, src + 2049, len, IBV_WC_SUCCESS),
	      "read");
	CHECK(!memcmp(dst + 5, src + 2049, len), "payload differs");
	CHECK(dst[4] == 0 && dst[5 + len] == 0, "wrote outside the local buffer");
	CHECK(faulted(&b, smr, span_pages(src + 2049, len), "read source"), "source");
	CHECK(faulted(&a, dmr, span_pages(dst + 5, len), "read target"), "target");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(src, MAP_LEN);
	munmap(dst, MAP_LEN);
	return true;
}

/* SEND with ODP and pinned SGEs mixed on both sides, into a fresh receive buffer. */
static bool t_send_mixed(void)
{
	uint8_t *o1 = map_anon(1 << 20), *o2 = map_anon(1 << 20), *pin = map_anon(1 << 20);
	uint8_t *r1 = map_anon(1 << 20), *rpin = map_anon(1 << 20), *want = map_anon(1 << 20);
	struct ibv_mr *mo1 = reg_odp(&a, o1, 1 << 20), *mo2 = reg_odp(&a, o2, 1 << 20);
	struct ibv_mr *mpin = ibv_reg_mr(a.pd, pin, 1 << 20, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_mr *mr1 = reg_odp(&b, r1, 1 << 20);
	struct ibv_mr *mrpin = ibv_reg_mr(b.pd, rpin, 1 << 20, IBV_ACCESS_LOCAL_WRITE);
	struct ibv_sge s[3] = {
		{ (uintptr_t)o1 + 3, 30001, mo1->lkey },
		{ (uintptr_t)pin + 100, 5000, mpin->lkey },
		{ (uintptr_t)o2 + 4000, 40003, mo2->lkey },
	};
	struct ibv_sge r[2] = {
		{ (uintptr_t)rpin + 1, 20000, mrpin->lkey },
		{ (uintptr_t)r1 + 4095, 60000, mr1->lkey },
	};
	struct ibv_recv_wr rwr = { .wr_id = 5, .sg_list = r, .num_sge = 2 }, *rbad;
	struct ibv_send_wr wr = { .wr_id = 6, .sg_list = s, .num_sge = 3,
				  .opcode = IBV_WR_SEND };
	uint32_t total = 30001 + 5000 + 40003;

	CHECK(mpin && mrpin, "pinned MRs");
	fill(o1, 1 << 20, 4);
	fill(pin, 1 << 20, 5);
	fill(o2, 1 << 20, 6);
	memcpy(want, o1 + 3, 30001);
	memcpy(want + 30001, pin + 100, 5000);
	memcpy(want + 35001, o2 + 4000, 40003);
	CHECK(!ibv_post_recv(b.qp, &rwr, &rbad), "post_recv");
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS), "send");
	CHECK(expect_wc(b.cq, IBV_WC_SUCCESS, IBV_WC_RECV, total, NULL), "receive");
	CHECK(!memcmp(rpin + 1, want, 20000) && !memcmp(r1 + 4095, want + 20000, total - 20000),
	      "payload differs");
	CHECK(faulted(&b, mr1, span_pages(r1 + 4095, total - 20000), "receive buffer"), "rx");
	ibv_dereg_mr(mo1);
	ibv_dereg_mr(mo2);
	ibv_dereg_mr(mpin);
	ibv_dereg_mr(mr1);
	ibv_dereg_mr(mrpin);
	munmap(o1, 1 << 20);
	munmap(o2, 1 << 20);
	munmap(pin, 1 << 20);
	munmap(r1, 1 << 20);
	munmap(rpin, 1 << 20);
	munmap(want, 1 << 20);
	return true;
}

/* Both atomics on an ODP target, the original value landing in a fresh ODP buffer. */
static bool t_atomics(void)
{
	uint8_t *tgt = map_anon(2 * PAGE), *res = map_anon(2 * PAGE);
	struct ibv_mr *tmr = reg_odp(&b, tgt, 2 * PAGE), *rmr = reg_odp(&a, res, 2 * PAGE);
	uint64_t *t = (uint64_t *)(tgt + PAGE + 64), *r = (uint64_t *)(res + PAGE - 8);
	struct ibv_sge sge = { (uintptr_t)r, 8, rmr->lkey };
	struct ibv_send_wr wr = { .wr_id = 7, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				  .wr.atomic = { (uintptr_t)t, 0x10001, 0, tmr->rkey } };

	*t = 0x1111222233334444ull;
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS), "fetch-and-add");
	CHECK(*r == 0x1111222233334444ull && *t == 0x1111222233344445ull, "fetch-and-add values");
	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.compare_add = 0x1111222233344445ull;
	wr.wr.atomic.swap = 0xfeedfacecafebeefull;
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS), "compare-and-swap");
	CHECK(*r == 0x1111222233344445ull && *t == 0xfeedfacecafebeefull, "swap values");
	ibv_dereg_mr(tmr);
	ibv_dereg_mr(rmr);
	munmap(tgt, 2 * PAGE);
	munmap(res, 2 * PAGE);
	return true;
}

/* The RC ODP capabilities past libibverbs 56's names (the kernel's IB_UVERBS_ODP_SUPPORT_*). */
#define ODP_SUPPORT_FLUSH		(1u << 6)
#define ODP_SUPPORT_ATOMIC_WRITE	(1u << 7)

/*
 * ATOMIC WRITE and FLUSH into never-touched ODP memory (ibv_wr_*()): the
 * device says RC ODP serves them, the value lands with nothing around it
 * touched, and a FLUSH of a range and of the whole MR follows an unaligned
 * multi-packet WRITE into fresh pages.
 */
static bool t_atomic_write_flush(void)
{
	uint8_t *src = map_anon(MAP_LEN), *dst = map_anon(MAP_LEN);
	struct ibv_mr *smr = reg_odp(&a, src, MAP_LEN);
	struct ibv_mr *dmr = ibv_reg_mr(b.pd, dst, MAP_LEN, ODP_ACCESS | IBV_ACCESS_FLUSH_GLOBAL);
	uint64_t value = 0x0123456789abcdefull, *t = (uint64_t *)(dst + 3 * PAGE - 8);
	uint64_t raddr = (uintptr_t)dst + 5 * PAGE + 3;
	struct ibv_device_attr_ex attr;
	uint32_t len = 65541, caps;
	struct ibv_qp_ex *qpx;

	CHECK(dmr, "ODP MR with flush access: %s", strerror(errno));
	CHECK(!ibv_query_device_ex(b.ctx, NULL, &attr), "query_device_ex");
	caps = attr.odp_caps.per_transport_caps.rc_odp_caps;
	CHECK((caps & ODP_SUPPORT_FLUSH) && (caps & ODP_SUPPORT_ATOMIC_WRITE),
	      "rc_odp_caps %#x", caps);
	pair_reset_ex(&a, &b, 4, IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_ATOMIC_WRITE |
		      IBV_QP_EX_WITH_FLUSH);
	qpx = ibv_qp_to_qp_ex(a.qp);

	ibv_wr_start(qpx);
	qpx->wr_id = 1;
	qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_atomic_write(qpx, dmr->rkey, (uintptr_t)t, &value);
	CHECK(!ibv_wr_complete(qpx), "ibv_wr_complete");
	CHECK(expect_wc(a.cq, IBV_WC_SUCCESS, IBV_WC_ATOMIC_WRITE, -1, NULL), "atomic write");
	CHECK(*t == value, "target %#llx", (unsigned long long)*t);
	CHECK(dst[3 * PAGE - 9] == 0 && dst[3 * PAGE] == 0, "wrote around the target");
	CHECK(faulted(&b, dmr, 1, "atomic write target"), "atomic write faults");

	fill(src, MAP_LEN, 21);
	ibv_wr_start(qpx);
	qpx->wr_id = 2;
	ibv_wr_rdma_write(qpx, dmr->rkey, raddr);
	ibv_wr_set_sge(qpx, smr->lkey, (uintptr_t)src + 7, len);
	qpx->wr_id = 3;
	ibv_wr_flush(qpx, dmr->rkey, raddr, len, IBV_FLUSH_GLOBAL, IBV_FLUSH_RANGE);
	qpx->wr_id = 4;
	ibv_wr_flush(qpx, dmr->rkey, (uintptr_t)dst, 0, IBV_FLUSH_GLOBAL, IBV_FLUSH_MR);
	CHECK(!ibv_wr_complete(qpx), "ibv_wr_complete");
	CHECK(expect_wc(a.cq, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE, -1, NULL), "write");
	CHECK(expect_wc(a.cq, IBV_WC_SUCCESS, IBV_WC_FLUSH, -1, NULL), "flush of the range");
	CHECK(expect_wc(a.cq, IBV_WC_SUCCESS, IBV_WC_FLUSH, -1, NULL), "flush of the MR");
	CHECK(!memcmp(dst + 5 * PAGE + 3, src + 7, len), "payload differs");
	CHECK(dst[5 * PAGE + 2] == 0 && dst[5 * PAGE + 3 + len] == 0, "wrote outside the target");

	pair_reset(&a, &b, 4);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(src, MAP_LEN);
	munmap(dst, MAP_LEN);
	return true;
}

/* munmap under a registered MR: remote and local accesses fail, nothing hangs. */
static bool t_munmap(bool remote)
{
	uint8_t *src = map_anon(1 << 20), *dst = map_anon(1 << 20);
	struct ibv_mr *smr = reg_odp(&a, src, 1 << 20), *dmr = reg_odp(&b, dst, 1 << 20);
	bool ok;

	fill(src, 1 << 20, 7);
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src, dmr, dst, 100000, IBV_WC_SUCCESS), "write");
	CHECK(!munmap(remote ? dst : src, 1 << 20), "munmap");
	ok = rdma(&a, IBV_WR_RDMA_WRITE, smr, src, dmr, dst, 100000,
		  remote ? IBV_WC_REM_ACCESS_ERR : IBV_WC_LOC_PROT_ERR);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(remote ? src : dst, 1 << 20);
	pair_reset(&a, &b, 4);
	return ok;
}

static void dereg_hung(int sig)
{
	(void)sig;
	printf("not ok - ibv_dereg_mr of a half-written target hung\n");
	_exit(1);
}

/*
 * A WRITE whose source turns PROT_NONE past its first trains fails on the
 * requester, leaving the responder in the middle of the message: the
 * target's MR must still deregister at once (it used to wait for ever for
 * the responder, which held the MR from one packet to the next).
 */
static bool t_half_written(void)
{
	const size_t len = 256u << 10;
	uint8_t *src = map_anon(len), *dst = map_anon(len);
	struct ibv_mr *smr = reg_odp(&a, src, len), *dmr = reg_odp(&b, dst, len);
	int waited;
	bool ok;

	fill(src, len, 11);
	CHECK(!mprotect(src + len / 2, len / 2, PROT_NONE), "mprotect");
	ok = rdma(&a, IBV_WR_RDMA_WRITE, smr, src, dmr, dst, len, IBV_WC_LOC_PROT_ERR);
	/* The first half reached the target: its pages were faulted in. */
	for (waited = 0; mr_stat(b.dev, dmr, "pages_mapped") < 1 && waited < 100 * poll_seconds();
	     waited++)
		usleep(10000);
	CHECK(mr_stat(b.dev, dmr, "pages_mapped") >= 1, "nothing reached the target");
	signal(SIGALRM, dereg_hung);
	alarm(poll_seconds());
	CHECK(!ibv_dereg_mr(dmr), "ibv_dereg_mr: %s", strerror(errno));
	alarm(0);
	ibv_dereg_mr(smr);
	munmap(src, len);
	munmap(dst, len);
	pair_reset(&a, &b, 4);
	return ok;
}

/* A read-only target refuses an inbound write, after serving a READ. */
static bool t_mprotect(void)
{
	uint8_t *buf = map_anon(1 << 20), *dst = map_anon(1 << 20), *src = map_anon(1 << 20);
	struct ibv_mr *mr = reg_odp(&b, buf, 1 << 20), *dmr = reg_odp(&a, dst, 1 << 20);
	struct ibv_mr *smr = reg_odp(&a, src, 1 << 20);
	bool ok;

	fill(buf, 1 << 20, 8);
	fill(src, 1 << 20, 9);
	CHECK(!mprotect(buf, 1 << 20, PROT_READ), "mprotect");
	CHECK(rdma(&a, IBV_WR_RDMA_READ, dmr, dst, mr, buf + 10, 300000, IBV_WC_SUCCESS),
	      "read from read-only memory");
	CHECK(!memcmp(dst, buf + 10, 300000), "read payload differs");
	ok = rdma(&a, IBV_WR_RDMA_WRITE, smr, src, mr, buf + 4096, 5000, IBV_WC_REM_ACCESS_ERR);
	CHECK(buf[4096] == (uint8_t)(8 * 131 + 4096 * 7 + 2), "read-only memory changed");
	ibv_dereg_mr(mr);
	ibv_dereg_mr(dmr);
	ibv_dereg_mr(smr);
	munmap(buf, 1 << 20);
	munmap(dst, 1 << 20);
	munmap(src, 1 << 20);
	pair_reset(&a, &b, 4);
	return ok;
}

/*
 * fork() while the parent's ODP MR takes RDMA writes: the child's copy-on-
 * write copy keeps what the child wrote, the parent's memory gets the RDMA
 * data, every round.
 */
static bool t_fork(void)
{
	uint8_t *src = map_anon(MAP_LEN), *dst = map_anon(MAP_LEN);
	struct ibv_mr *smr = reg_odp(&a, src, MAP_LEN), *dmr = reg_odp(&b, dst, MAP_LEN);
	int round, status;

	for (round = 0; round < 4; round++) {
		pid_t pid;

		fill(dst, MAP_LEN, 50 + round);		/* the parent touches it all */
		fill(src, MAP_LEN, 60 + round);
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (!pid) {
			size_t i;

			memset(dst, 0xc5, MAP_LEN / 2);	/* breaks COW in the child */
			usleep(200000);
			for (i = 0; i < MAP_LEN / 2; i++)
				if (dst[i] != 0xc5)
					_exit(1);
			_exit(0);
		}
		if (round & 1)
			memset(dst + MAP_LEN - PAGE, 0, PAGE);	/* the parent breaks COW too */
		CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src, dmr, dst, BIG, IBV_WC_SUCCESS),
		      "write during fork round %d", round);
		CHECK(!memcmp(dst, src, BIG), "round %d: parent's memory lacks the data", round);
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      !WEXITSTATUS(status), "round %d: the child saw RDMA data", round);
	}
	printf("#   after %d forks: page_invalidations %lld, page_faults %lld\n", round,
	       mr_stat(b.dev, dmr, "page_invalidations"), mr_stat(b.dev, dmr, "page_faults"));
	CHECK(mr_stat(b.dev, dmr, "page_invalidations") > 0, "fork invalidated nothing");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(src, MAP_LEN);
	munmap(dst, MAP_LEN);
	return true;
}

/* A shared tmpfs mapping: what RDMA writes is what the file holds. */
static bool t_shmem(void)
{
	size_t len = 1 << 20;
	int fd = memfd_create("hodp-odp", 0);
	uint8_t *src = map_anon(len), *file, *back = map_anon(len);
	struct ibv_mr *smr, *fmr;

	CHECK(fd >= 0 && !ftruncate(fd, len), "memfd");
	file = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(file != MAP_FAILED, "mmap");
	smr = reg_odp(&a, src, len);
	fmr = reg_odp(&b, file, len);
	fill(src, len, 10);
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src, fmr, file + 13, len - 13, IBV_WC_SUCCESS),
	      "write into the file mapping");
	CHECK(pread(fd, back, len, 0) == (ssize_t)len, "pread");
	CHECK(back[12] == 0 && !memcmp(back + 13, src, len - 13), "file content differs");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(fmr);
	munmap(file, len);
	munmap(src, len);
	munmap(back, len);
	close(fd);
	return true;
}

/* Transparent huge pages under the MR, written and read back across 2 MiB boundaries. */
static bool t_thp(void)
{
	size_t len = 8u << 20;
	uint8_t *raw = map_anon(len + (2u << 20)), *src = map_anon(len);
	uint8_t *thp = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) &
				   ~(uintptr_t)((2u << 20) - 1));
	struct ibv_mr *smr, *tmr;

	CHECK(!madvise(thp, len, MADV_HUGEPAGE), "MADV_HUGEPAGE");
	memset(thp, 0, len);			/* populate, as huge pages where possible */
	smr = reg_odp(&a, src, len);
	tmr = reg_odp(&b, thp, len);
	fill(src, len, 11);
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src, tmr, thp + 1000, len - 2000,
		   IBV_WC_SUCCESS), "write into THP memory");
	CHECK(!memcmp(thp + 1000, src, len - 2000), "payload differs");
	CHECK(rdma(&a, IBV_WR_RDMA_READ, smr, src + 3, tmr, thp + (2u << 20) - 5000, 10000,
		   IBV_WC_SUCCESS), "read across a huge page boundary");
	CHECK(!memcmp(src + 3, thp + (2u << 20) - 5000, 10000), "read payload differs");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(tmr);
	munmap(raw, len + (2u << 20));
	munmap(src, len);
	return true;
}

/* 1 TiB of PROT_NONE reservation registers; memory made usable later in it works. */
static bool t_one_tib(void)
{
	size_t tib = 1ull << 40, mid = 1ull << 39;
	uint8_t *res = mmap(NULL, tib, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			    -1, 0);
	uint8_t *src = map_anon(1 << 20);
	struct ibv_mr *mr, *smr;
	double t0, t1;

	CHECK(res != MAP_FAILED, "1 TiB reservation: %s", strerror(errno));
	t0 = now_us();
	mr = ibv_reg_mr(b.pd, res, tib, ODP_ACCESS);
	t1 = now_us();
	CHECK(mr, "1 TiB ODP registration: %s", strerror(errno));
	printf("#   1 TiB ODP registration: %.0f us\n", t1 - t0);
	CHECK(!mprotect(res + mid, 1 << 20, PROT_READ | PROT_WRITE), "mprotect");
	smr = reg_odp(&a, src, 1 << 20);
	fill(src, 1 << 20, 12);
	CHECK(rdma(&a, IBV_WR_RDMA_WRITE, smr, src, mr, res + mid + 77, 500000, IBV_WC_SUCCESS),
	      "write 512 GiB into the MR");
	CHECK(!memcmp(res + mid + 77, src, 500000), "payload differs");
	CHECK(!ibv_dereg_mr(mr) && !ibv_dereg_mr(smr), "dereg");
	munmap(res, tib);
	munmap(src, 1 << 20);
	return true;
}

/* Registration time must not grow with the length: 4 KiB and 1 GiB, median of 15. */
static int cmp_double(const void *x, const void *y)
{
	double d = *(const double *)x - *(const double *)y;

	return (d > 0) - (d < 0);
}

static double reg_median_us(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double t[15];
	int i;

	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < 15; i++) {
		double t0 = now_us();
		struct ibv_mr *mr = ibv_reg_mr(a.pd, p, len, ODP_ACCESS);

		t[i] = now_us() - t0;
		if (!mr)
			return -1;
		ibv_dereg_mr(mr);
	}
	munmap(p, len);
	qsort(t, 15, sizeof(t[0]), cmp_double);
	return t[7];
}

static bool t_reg_time(void)
{
	double small = reg_median_us(PAGE), big = reg_median_us(1ull << 30);

	CHECK(small >= 0 && big >= 0, "registrations failed");
	printf("#   ODP registration, median of 15: 4 KiB %.1f us, 1 GiB %.1f us\n", small, big);
	return true;
}

int main(int argc, char **argv)
{
	const char *label;

	if (argc != 4)
		die("usage: %s DEV_A DEV_B LABEL", argv[0]);
	label = argv[3];
	side_open(&a, argv[1], 64);
	side_open(&b, argv[2], 64);
	pair_reset(&a, &b, 4);

	report(t_write_fresh(), "%s odp write 4 MiB fresh -> fresh, MADV_DONTNEED, refault",
	       label);
	report(t_read_fresh(), "%s odp read 4 MiB fresh -> fresh", label);
	report(t_send_mixed(), "%s odp send, ODP and pinned SGEs mixed on both sides", label);
	report(t_atomics(), "%s odp fetch-and-add and compare-and-swap", label);
	report(t_atomic_write_flush(), "%s odp ATOMIC WRITE and FLUSH into fresh memory", label);
	report(t_munmap(true), "%s odp target unmapped: remote access error", label);
	report(t_munmap(false), "%s odp source unmapped: local protection error", label);
	report(t_half_written(), "%s odp WRITE failing half-way: the target MR deregisters at once",
	       label);
	report(t_mprotect(), "%s odp read-only target: READ works, WRITE remote access error",
	       label);
	report(t_fork(), "%s odp fork with copy-on-write during RDMA writes", label);
	report(t_shmem(), "%s odp shared tmpfs mapping", label);
	report(t_thp(), "%s odp transparent huge pages", label);
	report(t_one_tib(), "%s odp 1 TiB registration over a PROT_NONE reservation", label);
	report(t_reg_time(), "%s odp registration of 4 KiB and 1 GiB", label);

	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
