// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_implicit DEV_A DEV_B LABEL: implicit ODP MRs, ibv_advise_mr() and huge
 * pages, between a QP on DEV_A and one on DEV_B.  Implicit MRs on both
 * sides serve RC writes, reads, sends and atomics into memory mapped after
 * registration, and islands spread over 64 TiB of address space; children
 * are counted as they come and go.  Every prefetch advice, synchronous and
 * not, on explicit and implicit MRs, then a transfer that must not fault.
 * THP and hugetlbfs buffers fault once per 2 MiB.  Bad input gets the errno
 * mlx5 gives.  Every transfer is checked byte for byte.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "common.h"

#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)
#define ODP		(ACCESS | IBV_ACCESS_ON_DEMAND)
#define MIB		(1ul << 20)
#define TIB		(1ull << 40)
#define ISLANDS		16

static struct side a, b;	/* mr: an implicit MR */

static uint8_t *map_at(void *hint, size_t len, int flags)
{
	void *p = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool rdma(enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr, struct ibv_mr *rmr,
		 void *raddr, uint32_t len, enum ibv_wc_status status)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lmr->lkey };
	struct ibv_send_wr wr = { .wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .wr.rdma = { (uintptr_t)raddr, rmr->rkey } };

	return post_expect(a.qp, a.cq, &wr, status);
}

/* Implicit MRs on both sides serve every operation on memory mapped afterwards. */
static bool t_after_registration(void)
{
	uint8_t *src = map_at(NULL, 4 * MIB, 0), *dst = map_at(NULL, 4 * MIB, 0);
	uint64_t *t = (uint64_t *)(dst + 3 * MIB + 8), *r = (uint64_t *)(src + 3 * MIB);
	struct ibv_sge sge = { (uintptr_t)src + 5, 100001, a.mr->lkey };
	struct ibv_sge rsge = { (uintptr_t)dst + 4095, 100001, b.mr->lkey };
	struct ibv_recv_wr rwr = { .wr_id = 1, .sg_list = &rsge, .num_sge = 1 }, *rbad;
	struct ibv_send_wr wr = { .wr_id = 2, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND };

	CHECK(src && dst, "mmap");
	fill(src, 4 * MIB, 1);
	CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src + 3, b.mr, dst + 7, 2 * MIB - 10,
		   IBV_WC_SUCCESS), "write");
	CHECK(!memcmp(dst + 7, src + 3, 2 * MIB - 10) && dst[6] == 0, "write payload");
	fill(dst + 2 * MIB, MIB, 2);
	CHECK(rdma(IBV_WR_RDMA_READ, a.mr, src + 2 * MIB + 1, b.mr, dst + 2 * MIB, MIB - 1,
		   IBV_WC_SUCCESS), "read");
	CHECK(!memcmp(src + 2 * MIB + 1, dst + 2 * MIB, MIB - 1), "read payload");
	CHECK(!ibv_post_recv(b.qp, &rwr, &rbad), "post_recv");
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS), "send");
	CHECK(expect_wc(b.cq, IBV_WC_SUCCESS, IBV_WC_RECV, 100001, NULL), "receive");
	CHECK(!memcmp(dst + 4095, src + 5, 100001), "send payload");
	*t = 41;
	wr = (struct ibv_send_wr) { .wr_id = 3, .sg_list = &sge, .num_sge = 1,
				    .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
				    .wr.atomic = { (uintptr_t)t, 1, 0, b.mr->rkey } };
	sge = (struct ibv_sge) { (uintptr_t)r, 8, a.mr->lkey };
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS) && *r == 41 && *t == 42,
	      "fetch-and-add");
	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.compare_add = 42;
	wr.wr.atomic.swap = 0xabcdef;
	CHECK(post_expect(a.qp, a.cq, &wr, IBV_WC_SUCCESS) && *r == 42 && *t == 0xabcdef,
	      "compare-and-swap");
	printf("#   implicit MRs: children %lld (a) %lld (b)\n",
	       mr_stat(a.dev, a.mr, "implicit_children"),
	       mr_stat(b.dev, b.mr, "implicit_children"));
	munmap(src, 4 * MIB);
	munmap(dst, 4 * MIB);
	return true;
}

/* Islands of memory spread over 64 TiB of address space, each its own child. */
static bool t_islands(void)
{
	size_t span = 64 * TIB;
	uint8_t *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			    -1, 0);
	uint8_t *src = map_at(NULL, MIB, 0);
	long long created0 = mr_stat(b.dev, b.mr, "implicit_children_created");
	long long live, freed0 = mr_stat(b.dev, b.mr, "implicit_children_freed");
	int i, tries;

	CHECK(res != MAP_FAILED && src, "64 TiB reservation: %s", strerror(errno));
	fill(src, MIB, 3);
	for (i = 0; i < ISLANDS; i++) {
		uint8_t *island = res + (size_t)i * (span / ISLANDS) + (size_t)i * 12345 * 4096;

		CHECK(!mprotect(island, MIB, PROT_READ | PROT_WRITE), "mprotect");
		CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src + i, b.mr, island + 100, MIB - 200,
			   IBV_WC_SUCCESS), "write to island %d", i);
		CHECK(!memcmp(island + 100, src + i, MIB - 200), "island %d payload", i);
	}
	live = mr_stat(b.dev, b.mr, "implicit_children");
	printf("#   %d islands over 64 TiB: children created %lld, alive %lld\n", ISLANDS,
	       mr_stat(b.dev, b.mr, "implicit_children_created") - created0, live);
	CHECK(mr_stat(b.dev, b.mr, "implicit_children_created") - created0 >= ISLANDS,
	      "a child per island");
	/* Dropping pages is not unmapping: the children stay for the refaults. */
	created0 = mr_stat(b.dev, b.mr, "implicit_children_created");
	for (i = 0; i < ISLANDS; i++) {
		uint8_t *island = res + (size_t)i * (span / ISLANDS) + (size_t)i * 12345 * 4096;

		CHECK(!madvise(island, MIB, MADV_DONTNEED), "MADV_DONTNEED");
		CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src + i, b.mr, island + 100, MIB - 200,
			   IBV_WC_SUCCESS), "rewrite island %d", i);
		CHECK(!memcmp(island + 100, src + i, MIB - 200), "island %d payload", i);
	}
	usleep(200000);
	CHECK(mr_stat(b.dev, b.mr, "implicit_children_freed") == freed0 &&
	      mr_stat(b.dev, b.mr, "implicit_children_created") == created0,
	      "MADV_DONTNEED freed or recreated children");
	CHECK(!munmap(res, span), "munmap");
	/* Children whose memory is gone are freed, soon, not at once. */
	for (tries = 0; tries < 100; tries++) {
		if (mr_stat(b.dev, b.mr, "implicit_children_freed") - freed0 >= ISLANDS)
			break;
		usleep(50000);
	}
	printf("#   after munmap: children freed %lld, alive %lld\n",
	       mr_stat(b.dev, b.mr, "implicit_children_freed") - freed0,
	       mr_stat(b.dev, b.mr, "implicit_children"));
	CHECK(mr_stat(b.dev, b.mr, "implicit_children_freed") - freed0 >= ISLANDS &&
	      mr_stat(b.dev, b.mr, "implicit_children") <= live - ISLANDS, "children freed");
	munmap(src, MIB);
	return true;
}

/* 64 MiB written through implicit MRs into fresh memory: throughput, children. */
static bool t_first_touch(void)
{
	size_t len = 64 * MIB;
	uint8_t *src = map_at(NULL, len, 0), *dst = map_at(NULL, len, 0);
	long long c0 = mr_stat(b.dev, b.mr, "implicit_children_created");
	double t0;

	CHECK(src && dst, "mmap");
	fill(src, len, 9);
	t0 = now_us();
	CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src, b.mr, dst, len, IBV_WC_SUCCESS), "write");
	printf("#   first touch through implicit MRs: 64 MiB at %.1f MiB/s, %lld children\n",
	       len / (now_us() - t0), mr_stat(b.dev, b.mr, "implicit_children_created") - c0);
	CHECK(!memcmp(src, dst, len), "payload");
	munmap(src, len);
	munmap(dst, len);
	return true;
}

/* Unmapped addresses through an implicit MR: errors, no hang. */
static bool t_unmapped(bool remote)
{
	uint8_t *buf = map_at(NULL, MIB, 0), *hole = map_at(NULL, MIB, 0);
	bool ok;

	CHECK(buf && hole && !munmap(hole, MIB), "mmap");
	fill(buf, MIB, 4);
	ok = remote ? rdma(IBV_WR_RDMA_WRITE, a.mr, buf, b.mr, hole, 5000,
			   IBV_WC_REM_ACCESS_ERR) :
		      rdma(IBV_WR_RDMA_WRITE, a.mr, hole, b.mr, buf, 5000, IBV_WC_LOC_PROT_ERR);
	munmap(buf, MIB);
	pair_reset(&a, &b, 2);
	return ok;
}

/* Registration forms that are not implicit ODP, or not ODP at all. */
static bool t_bad_registrations(void)
{
	struct ibv_mr *mr;

	errno = 0;
	mr = ibv_reg_mr(a.pd, NULL, SIZE_MAX, ACCESS);
	CHECK(!mr && errno == EINVAL, "whole address space without ON_DEMAND: errno %d", errno);
	errno = 0;
	mr = ibv_reg_mr(a.pd, (void *)(uintptr_t)4096, SIZE_MAX, ODP);
	CHECK(!mr && errno == EINVAL, "start 4096: errno %d", errno);
	errno = 0;
	mr = ibv_reg_mr_iova(a.pd, NULL, SIZE_MAX, 4096, ODP);
	CHECK(!mr && errno == EINVAL, "iova 4096: errno %d", errno);
	return true;
}

/*
 * @advice on [buf, buf + len) of @mr (on b), synchronously or not, then an
 * inbound WRITE (or a READ of it) must raise no fault on that MR.
 */
static bool prefetch_then_transfer(struct ibv_mr *mr, uint8_t *buf, size_t len,
				   enum ibv_advise_mr_advice advice, bool sync, bool read)
{
	struct ibv_sge sge = { (uintptr_t)buf, (uint32_t)len, mr->lkey };
	uint8_t *src = map_at(NULL, len, 0);
	long long faults, prefetched = mr_stat(b.dev, mr, "page_prefetch");
	int tries;

	CHECK(src, "mmap");
	fill(src, len, 5);
	CHECK(!ibv_advise_mr(b.pd, advice, sync ? IBV_ADVISE_MR_FLAG_FLUSH : 0, &sge, 1),
	      "ibv_advise_mr: %s", strerror(errno));
	for (tries = 0; !sync && tries < 200; tries++) {
		if (mr_stat(b.dev, mr, "page_prefetch") - prefetched >= (long long)(len / 4096))
			break;
		usleep(20000);
	}
	printf("#   prefetched %lld pages\n", mr_stat(b.dev, mr, "page_prefetch") - prefetched);
	CHECK(mr_stat(b.dev, mr, "page_prefetch") - prefetched >= (long long)(len / 4096),
	      "prefetch counted");
	faults = mr_stat(b.dev, mr, "page_faults");
	if (read) {
		struct ibv_mr *smr = ibv_reg_mr(a.pd, src, len, ACCESS);

		CHECK(smr && rdma(IBV_WR_RDMA_READ, smr, src, mr, buf, len, IBV_WC_SUCCESS),
		      "read");
		CHECK(!memcmp(src, buf, len), "read payload");
		ibv_dereg_mr(smr);
	} else {
		CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src, mr, buf, len, IBV_WC_SUCCESS), "write");
		CHECK(!memcmp(src, buf, len), "write payload");
	}
	CHECK(mr_stat(b.dev, mr, "page_faults") == faults, "the transfer faulted (%lld -> %lld)",
	      faults, mr_stat(b.dev, mr, "page_faults"));
	munmap(src, len);
	return true;
}

static bool t_prefetch(bool implicit, enum ibv_advise_mr_advice advice, bool sync)
{
	size_t len = 2 * MIB;
	uint8_t *buf = map_at(NULL, len, 0);
	struct ibv_mr *mr = implicit ? b.mr : ibv_reg_mr(b.pd, buf, len, ODP);
	bool ok;

	CHECK(buf && mr, "buffer and MR");
	/* NO_FAULT maps what is present: make it present. */
	if (advice == IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		fill(buf, len, 6);
	ok = prefetch_then_transfer(mr, buf, len, advice,
				    sync, advice != IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE);
	if (!implicit)
		ibv_dereg_mr(mr);
	munmap(buf, len);
	return ok;
}

/* PREFETCH_NO_FAULT on never-touched memory maps nothing. */
static bool t_no_fault_snapshot(void)
{
	uint8_t *buf = map_at(NULL, MIB, 0);
	struct ibv_mr *mr = ibv_reg_mr(b.pd, buf, MIB, ODP);
	struct ibv_sge sge = { (uintptr_t)buf, MIB, 0 };

	CHECK(buf && mr, "buffer and MR");
	sge.lkey = mr->lkey;
	CHECK(!ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
			     IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1), "advise: %s", strerror(errno));
	CHECK(mr_stat(b.dev, mr, "pages_mapped") == 0 && mr_stat(b.dev, mr, "page_prefetch") == 0,
	      "a snapshot of nothing mapped %lld pages", mr_stat(b.dev, mr, "pages_mapped"));
	ibv_dereg_mr(mr);
	munmap(buf, MIB);
	return true;
}

static bool t_advise_bad(void)
{
	uint8_t *buf = map_at(NULL, MIB, 0);
	struct ibv_mr *odp = ibv_reg_mr(b.pd, buf, MIB, ODP);
	struct ibv_mr *pinned = ibv_reg_mr(b.pd, buf, MIB, ACCESS);
	struct ibv_mr *ro = ibv_reg_mr(b.pd, buf, MIB, IBV_ACCESS_ON_DEMAND);
	struct ibv_pd *other = ibv_alloc_pd(b.ctx);
	struct ibv_mr *elsewhere = other ? ibv_reg_mr(other, buf, MIB, ODP) : NULL;
	struct ibv_sge sge = { (uintptr_t)buf, 4096, 0 }, *many;
	int i, ret;

	CHECK(buf && odp && pinned && ro && elsewhere, "setup: %s", strerror(errno));
	sge.lkey = odp->lkey;
	ret = ibv_advise_mr(b.pd, 77, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(ret == EOPNOTSUPP || ret == EINVAL, "unknown advice: %d", ret);
	ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0x80, &sge, 1);
	CHECK(ret == EINVAL, "unknown flag: %d", ret);
	for (i = 0; i < 2; i++) {
		uint32_t flags = i ? IBV_ADVISE_MR_FLAG_FLUSH : 0;

		sge.lkey = odp->lkey ^ 0x3300;
		ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags, &sge, 1);
		CHECK(ret == ENOENT, "an lkey that is not ours: %d", ret);
		sge.lkey = pinned->lkey;
		ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags, &sge, 1);
		CHECK(ret == EINVAL, "a pinned MR: %d", ret);
		sge.lkey = elsewhere->lkey;
		ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags, &sge, 1);
		CHECK(ret == EPERM, "another PD's MR: %d", ret);
		sge.lkey = ro->lkey;
		ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, flags, &sge, 1);
		CHECK(ret == EPERM, "PREFETCH_WRITE of a read-only MR: %d", ret);
	}
	sge.lkey = odp->lkey;
	sge.addr = (uintptr_t)buf + MIB - 100;
	ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	CHECK(ret == EFAULT, "a range beyond the MR: %d", ret);
	many = calloc(5000, sizeof(*many));
	for (i = 0; many && i < 5000; i++)
		many[i] = (struct ibv_sge) { (uintptr_t)buf, 64, odp->lkey };
	ret = ibv_advise_mr(b.pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, many, 5000);
	printf("#   5000 SGEs: %d (%s)\n", ret, strerror(ret));
	CHECK(ret != 0, "5000 SGEs accepted");
	free(many);
	ibv_dereg_mr(odp);
	ibv_dereg_mr(pinned);
	ibv_dereg_mr(ro);
	ibv_dereg_mr(elsewhere);
	ibv_dealloc_pd(other);
	munmap(buf, MIB);
	return true;
}

/* The kernel may not have given THPs: then the fault count says nothing. */
static bool thp_missing;

/* Huge pages: one fault per 2 MiB; a split THP falls back to 4 KiB entries. */
static bool t_huge(bool hugetlb)
{
	size_t len = 8 * MIB;
	uint8_t *raw = NULL, *buf, *src = map_at(NULL, len, 0);
	struct ibv_mr *mr;
	long long faults;

	if (hugetlb) {
		buf = map_at(NULL, len, MAP_HUGETLB);
		CHECK(buf, "MAP_HUGETLB: %s", strerror(errno));
	} else {
		raw = map_at(NULL, len + 2 * MIB, 0);
		CHECK(raw, "mmap");
		buf = (uint8_t *)(((uintptr_t)raw + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
		CHECK(!madvise(buf, len, MADV_HUGEPAGE), "MADV_HUGEPAGE");
	}
	fill(buf, len, 7);		/* the CPU populates it, huge */
	thp_missing = !hugetlb && thp_kb(buf) < (long)(len >> 10);
	mr = ibv_reg_mr(b.pd, buf, len, ODP);
	CHECK(mr && src, "MR");
	{
		struct ibv_mr *smr = ibv_reg_mr(a.pd, src, len, ACCESS);

		CHECK(smr && rdma(IBV_WR_RDMA_READ, smr, src, mr, buf, len, IBV_WC_SUCCESS),
		      "read 8 MiB");
		CHECK(!memcmp(src, buf, len), "read payload");
		ibv_dereg_mr(smr);
	}
	faults = mr_stat(b.dev, mr, "page_faults");
	printf("#   %s: %lld faults for 8 MiB\n", hugetlb ? "hugetlbfs" : "THP", faults);
	CHECK(thp_missing || faults == 4, "%lld faults for four 2 MiB pages", faults);
	if (!hugetlb) {
		/* Split one THP, then write across the split. */
		CHECK(!mprotect(buf + 2 * MIB + 8192, 4096, PROT_READ), "mprotect");
		CHECK(!mprotect(buf + 2 * MIB + 8192, 4096, PROT_READ | PROT_WRITE), "mprotect");
		fill(src, len, 8);
		CHECK(rdma(IBV_WR_RDMA_WRITE, a.mr, src, mr, buf + MIB, 3 * MIB, IBV_WC_SUCCESS),
		      "write across the split");
		CHECK(!memcmp(buf + MIB, src, 3 * MIB), "payload after the split");
	}
	ibv_dereg_mr(mr);
	munmap(hugetlb ? buf : raw, hugetlb ? len : len + 2 * MIB);
	munmap(src, len);
	return true;
}

int main(int argc, char **argv)
{
	static const char *advice_name[] = { "PREFETCH", "PREFETCH_WRITE", "PREFETCH_NO_FAULT" };
	const char *label;
	double t0;
	bool ok;
	int i, k;

	if (argc != 4)
		die("usage: %s DEV_A DEV_B LABEL", argv[0]);
	label = argv[3];
	side_open(&a, argv[1], 64);
	side_open(&b, argv[2], 64);
	pair_reset(&a, &b, 2);
	t0 = now_us();
	a.mr = ibv_reg_mr(a.pd, NULL, SIZE_MAX, ODP);
	printf("#   implicit registration: %.1f us\n", now_us() - t0);
	b.mr = ibv_reg_mr(b.pd, NULL, SIZE_MAX, ODP);
	if (!a.mr || !b.mr)
		die("implicit ibv_reg_mr: %s", strerror(errno));

	report(t_bad_registrations(), "%s implicit: refused forms give EINVAL", label);
	report(t_after_registration(), "%s implicit: write, read, send, atomics into memory "
	       "mapped after registration", label);
	report(t_islands(), "%s implicit: %d islands over 64 TiB, kept across MADV_DONTNEED, "
	       "freed after munmap", label, ISLANDS);
	report(t_first_touch(), "%s implicit: 64 MiB first touch", label);
	report(t_unmapped(true), "%s implicit: unmapped target, remote access error", label);
	report(t_unmapped(false), "%s implicit: unmapped source, local protection error",
	       label);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 3; i++) {
			report(t_prefetch(k, i, true), "%s %s sync %s, then no fault", label,
			       k ? "implicit" : "explicit", advice_name[i]);
			report(t_prefetch(k, i, false), "%s %s async %s, then no fault", label,
			       k ? "implicit" : "explicit", advice_name[i]);
		}
	report(t_no_fault_snapshot(), "%s PREFETCH_NO_FAULT of untouched memory maps nothing",
	       label);
	report(t_advise_bad(), "%s advise_mr bad input", label);
	ok = t_huge(false);
	if (ok && thp_missing) {
		report(true, "%s THP buffer and split THP: data correct", label);
		report_skip("THP: one fault per 2 MiB",
			    "the kernel backed the buffer with 4 KiB pages");
	} else {
		report(ok, "%s THP: one fault per 2 MiB, split THP", label);
	}
	report(t_huge(true), "%s hugetlbfs: one fault per 2 MiB", label);

	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
