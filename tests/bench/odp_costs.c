// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_costs DEV [basic]: what on-demand paging costs on DEV, as "key value"
 * lines (with "basic", only the first-touch and steady WRITEs, for devices
 * without implicit ODP or ibv_advise_mr):
 *   reg KIND LENGTH USECS      registration time (median), KIND pinned|odp|implicit
 *   first_touch KIND MIBS      RDMA WRITE of 64 MiB into never-touched memory
 *                              through an ODP MR (odp, odp_thp) or an implicit MR
 *   steady KIND MIBS           the same WRITE again, pages mapped (pinned, odp)
 *   first_touch_2qp MIBS       two QPs at once, each such a WRITE into an ODP MR
 *                              of its own (faults served concurrently)
 *   first_touch_cpu MIBS       memset() of 64 MiB of fresh anonymous memory:
 *                              the CPU's own page-fault service, the limit
 *   steady_2qp WHERE MIBS      two QPs at once, 64 MiB each with the pages
 *                              mapped, into halves of one ODP MR (shared) or
 *                              into two (separate): what the range lock costs
 *   invalidate OP USECS BASE   munmap / MADV_DONTNEED of 1 GiB mapped by an ODP
 *                              MR, and the same call on memory no MR covers
 *   implicit_child USECS       creating a child: first 4 KiB prefetch in a new
 *                              span minus one in an existing span (medians)
 * Correctness is the test suites' business; data is still checked here.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>

#include "../progs/common.h"

#define MIB		(1ul << 20)
#define GIB		(1ul << 30)
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_qp *qa, *qb, *qc, *qd;

static int cmp(const void *x, const void *y)
{
	double d = *(const double *)x - *(const double *)y;

	return (d > 0) - (d < 0);
}

static uint8_t *anon(size_t len, int advice)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu: %s", len, strerror(errno));
	if (advice >= 0)
		madvise(p, len, advice);
	return p;
}

static void setup(const char *dev)
{
	ctx = open_device(dev);
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	if (!pd || !cq)
		die("setup: %s", strerror(errno));
	rc_loopback_pair(pd, cq, 4, &qa, &qb);
	rc_loopback_pair(pd, cq, 4, &qc, &qd);
}

static void post_write(struct ibv_qp *qp, struct ibv_mr *smr, void *src, struct ibv_mr *dmr,
		       void *dst, size_t len)
{
	struct ibv_sge sge = { (uintptr_t)src, (uint32_t)len, smr->lkey };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
				  .send_flags = IBV_SEND_SIGNALED,
				  .wr.rdma = { (uintptr_t)dst, dmr->rkey } }, *bad;

	if (ibv_post_send(qp, &wr, &bad))
		die("post_send: %s", strerror(errno));
}

/* One WRITE of @len on each of two QPs at once, from @src into @d1 and @d2. */
static double write2_us(struct ibv_mr *smr, void *src, struct ibv_mr *m1, void *d1,
			struct ibv_mr *m2, void *d2, size_t len)
{
	double t0 = now_us();
	struct ibv_wc wc;
	int i;

	post_write(qa, smr, src, m1, d1, len);
	post_write(qc, smr, src, m2, d2, len);
	for (i = 0; i < 2; i++)
		if (!poll_one(cq, &wc) || wc.status != IBV_WC_SUCCESS)
			die("write failed");
	return now_us() - t0;
}

static double write_us(struct ibv_mr *smr, void *src, struct ibv_mr *dmr, void *dst, size_t len)
{
	struct ibv_sge sge = { (uintptr_t)src, (uint32_t)len, smr->lkey };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
				  .send_flags = IBV_SEND_SIGNALED,
				  .wr.rdma = { (uintptr_t)dst, dmr->rkey } }, *bad;
	struct ibv_wc wc;
	double t0 = now_us();

	if (ibv_post_send(qa, &wr, &bad) || !poll_one(cq, &wc) || wc.status != IBV_WC_SUCCESS)
		die("write failed");
	return now_us() - t0;
}

static double reg_us(void *p, size_t len, int access, int reps)
{
	double t[9];
	int i;

	for (i = 0; i < reps; i++) {
		double t0 = now_us();
		struct ibv_mr *mr = ibv_reg_mr(pd, p, len, access);

		t[i] = now_us() - t0;
		if (!mr)
			return -1;
		ibv_dereg_mr(mr);
	}
	qsort(t, reps, sizeof(t[0]), cmp);
	return t[reps / 2];
}

static void registration(void)
{
	static const size_t lens[] = { 4096, 64 << 10, MIB, 16 * MIB, 256 * MIB, GIB };
	uint8_t *p = anon(GIB, -1), *tib;
	unsigned int i;

	memset(p, 1, GIB);	/* pinning needs the pages; ODP does not care */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		printf("reg pinned %zu %.1f\n", lens[i], reg_us(p, lens[i], ACCESS,
								 lens[i] > 16 * MIB ? 3 : 9));
		printf("reg odp %zu %.1f\n", lens[i],
		       reg_us(p, lens[i], ACCESS | IBV_ACCESS_ON_DEMAND, 9));
	}
	tib = mmap(NULL, 1ull << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (tib != MAP_FAILED) {
		printf("reg odp %llu %.1f\n", 1ull << 40,
		       reg_us(tib, 1ull << 40, ACCESS | IBV_ACCESS_ON_DEMAND, 9));
		munmap(tib, 1ull << 40);
	}
	printf("reg implicit 18446744073709551615 %.1f\n",
	       reg_us(NULL, SIZE_MAX, ACCESS | IBV_ACCESS_ON_DEMAND, 9));
	munmap(p, GIB);
}

/* 64 MiB into fresh memory through @kind of MR, then again with the pages mapped. */
static void first_touch(const char *kind, struct ibv_mr *imr)
{
	size_t len = 64 * MIB;
	bool thp = !strcmp(kind, "odp_thp");
	uint8_t *src = anon(len, -1), *dst = anon(len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	int odp = strcmp(kind, "pinned") ? IBV_ACCESS_ON_DEMAND : 0;
	struct ibv_mr *smr = ibv_reg_mr(pd, src, len, ACCESS);
	struct ibv_mr *dmr = imr ? imr : ibv_reg_mr(pd, dst, len, ACCESS | odp);
	double us;

	if (!smr || !dmr)
		die("MRs: %s", strerror(errno));
	memset(src, 0x5a, len);
	us = write_us(smr, src, dmr, dst, len);
	if (memcmp(src, dst, len))
		die("first touch: data differs");
	if (strcmp(kind, "pinned"))
		printf("first_touch %s %.1f\n", kind, len / us);
	us = write_us(smr, src, dmr, dst, len);
	printf("steady %s %.1f\n", kind, len / us);
	ibv_dereg_mr(smr);
	if (!imr)
		ibv_dereg_mr(dmr);
	munmap(src, len);
	munmap(dst, len);
}

/* Fresh memory under two QPs at once, each into an ODP MR of its own; and the CPU's rate. */
static void first_touch_two(void)
{
	size_t len = 64 * MIB;
	uint8_t *src = anon(len, -1), *d1 = anon(len, MADV_NOHUGEPAGE);
	uint8_t *d2 = anon(len, MADV_NOHUGEPAGE), *cpu = anon(len, MADV_NOHUGEPAGE);
	struct ibv_mr *smr = ibv_reg_mr(pd, src, len, ACCESS);
	struct ibv_mr *m1 = ibv_reg_mr(pd, d1, len, ACCESS | IBV_ACCESS_ON_DEMAND);
	struct ibv_mr *m2 = ibv_reg_mr(pd, d2, len, ACCESS | IBV_ACCESS_ON_DEMAND);
	double us, t0;

	if (!smr || !m1 || !m2)
		die("MRs: %s", strerror(errno));
	memset(src, 0x5b, len);
	us = write2_us(smr, src, m1, d1, m2, d2, len);
	if (memcmp(src, d1, len) || memcmp(src, d2, len))
		die("first touch, two QPs: data differs");
	printf("first_touch_2qp %.1f\n", 2 * len / us);
	t0 = now_us();
	memset(cpu, 1, len);
	printf("first_touch_cpu %.1f\n", len / (now_us() - t0));
	ibv_dereg_mr(smr);
	ibv_dereg_mr(m1);
	ibv_dereg_mr(m2);
	munmap(src, len);
	munmap(d1, len);
	munmap(d2, len);
	munmap(cpu, len);
}

/* Two QPs writing at once into one ODP MR's halves, or into two MRs: medians of 5. */
static void shared_mr(void)
{
	size_t len = 64 * MIB;
	uint8_t *src = anon(len, -1), *dst = anon(2 * len, MADV_NOHUGEPAGE);
	struct ibv_mr *smr = ibv_reg_mr(pd, src, len, ACCESS);
	struct ibv_mr *one = ibv_reg_mr(pd, dst, 2 * len, ACCESS | IBV_ACCESS_ON_DEMAND);
	struct ibv_mr *h1 = ibv_reg_mr(pd, dst, len, ACCESS | IBV_ACCESS_ON_DEMAND);
	struct ibv_mr *h2 = ibv_reg_mr(pd, dst + len, len, ACCESS | IBV_ACCESS_ON_DEMAND);
	double shared[5], separate[5];
	int i;

	if (!smr || !one || !h1 || !h2)
		die("MRs: %s", strerror(errno));
	memset(src, 0x5c, len);
	/* Every MR has the pages mapped before anything is timed. */
	write2_us(smr, src, one, dst, one, dst + len, len);
	write2_us(smr, src, h1, dst, h2, dst + len, len);
	for (i = 0; i < 5; i++) {
		shared[i] = write2_us(smr, src, one, dst, one, dst + len, len);
		separate[i] = write2_us(smr, src, h1, dst, h2, dst + len, len);
	}
	if (memcmp(src, dst, len) || memcmp(src, dst + len, len))
		die("two QPs: data differs");
	qsort(shared, 5, sizeof(double), cmp);
	qsort(separate, 5, sizeof(double), cmp);
	printf("steady_2qp shared %.1f\n", 2 * len / shared[2]);
	printf("steady_2qp separate %.1f\n", 2 * len / separate[2]);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(one);
	ibv_dereg_mr(h1);
	ibv_dereg_mr(h2);
	munmap(src, len);
	munmap(dst, 2 * len);
}

/* munmap and MADV_DONTNEED of 1 GiB that an ODP MR has mapped, and of plain memory. */
static void invalidation(void)
{
	int op;

	for (op = 0; op < 2; op++) {
		double with, base;
		int pass;

		for (pass = 0; pass < 2; pass++) {
			uint8_t *p = anon(GIB, MADV_NOHUGEPAGE);
			struct ibv_mr *mr = NULL;
			struct ibv_sge sge;
			double t0;

			memset(p, 1, GIB);
			if (!pass) {
				mr = ibv_reg_mr(pd, p, GIB, ACCESS | IBV_ACCESS_ON_DEMAND);
				sge = (struct ibv_sge) { (uintptr_t)p, (uint32_t)GIB, mr->lkey };
				if (ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
						  IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1))
					die("prefetch 1 GiB: %s", strerror(errno));
			}
			t0 = now_us();
			if (op)
				madvise(p, GIB, MADV_DONTNEED);
			else
				munmap(p, GIB);
			if (pass)
				base = now_us() - t0;
			else
				with = now_us() - t0;
			if (mr)
				ibv_dereg_mr(mr);
			if (op)
				munmap(p, GIB);
		}
		printf("invalidate %s %.1f %.1f\n", op ? "dontneed" : "munmap", with, base);
	}
}

/* A child's creation: a 4 KiB prefetch in a new span minus one in a span that exists. */
static void implicit_child(struct ibv_mr *imr)
{
	size_t span = 4ull << 40;
	uint8_t *res = mmap(NULL, 16 * span, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double fresh[15], again[15];
	int i;

	if (res == MAP_FAILED)
		die("reservation: %s", strerror(errno));
	for (i = 0; i < 15; i++) {
		uint8_t *p = res + (size_t)i * span;
		struct ibv_sge sge = { (uintptr_t)p, 4096, imr->lkey };
		double t0;

		mprotect(p, 2 * MIB, PROT_READ | PROT_WRITE);
		p[0] = p[4096] = 1;
		t0 = now_us();
		ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH,
			      &sge, 1);
		fresh[i] = now_us() - t0;
		sge.addr += 4096;
		t0 = now_us();
		ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH,
			      &sge, 1);
		again[i] = now_us() - t0;
	}
	qsort(fresh, 15, sizeof(double), cmp);
	qsort(again, 15, sizeof(double), cmp);
	printf("implicit_child %.1f\n", fresh[7] - again[7]);
	munmap(res, 16 * span);
}

int main(int argc, char **argv)
{
	struct ibv_mr *imr;

	if (argc != 2 && argc != 3)
		die("usage: %s DEV [basic]", argv[0]);
	setup(argv[1]);
	if (argc == 3) {
		first_touch("pinned", NULL);
		first_touch("odp", NULL);
		return 0;
	}
	registration();
	first_touch("pinned", NULL);
	first_touch("odp", NULL);
	first_touch("odp_thp", NULL);
	first_touch_two();
	shared_mr();
	imr = ibv_reg_mr(pd, NULL, SIZE_MAX, ACCESS | IBV_ACCESS_ON_DEMAND);
	if (!imr)
		die("implicit MR: %s", strerror(errno));
	first_touch("implicit", imr);
	invalidation();
	implicit_child(imr);
	ibv_dereg_mr(imr);
	return 0;
}
