// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_mm DEV [CASE[=ROUNDS]...]: ODP MRs over memory that mm treats in its
 * own ways, in loopback RC on DEV.  Secret memory (out of the kernel's
 * direct map) must fail each work request cleanly; a MAP_PRIVATE file and
 * memory shared with a forked child must be copied on write only where
 * RDMA writes; implicit children made by faults into holes or emptied by
 * MADV_DONTNEED and munmap must be freed; a first touch of a THP target
 * racing with an munmap of its upper half must succeed; deregistration
 * racing with munmap, and with mmap/munmap churn on an implicit MR, must
 * leave mm's pages alone (the debug kernel's page checks and KASAN watch).
 * Without CASE every case runs once with its default rounds.  One TAP line
 * per case; every transfer is checked byte for byte.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)
#define ODP		(ACCESS | IBV_ACCESS_ON_DEMAND)
#define PAGE		4096ul
#define KIB		1024ul
#define MIB		(1ul << 20)
#define GIB		(1ul << 30)

static struct side a, b;	/* a requests, b responds: one context, one PD */
static struct ibv_mr *imr;		/* implicit, for the cases that need one */

/* Post one work request from a.qp; the status of its completion, or -1 for none. */
static int post_status(enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr, uint32_t len,
		       uint32_t rkey, void *raddr)
{
	struct ibv_sge sge = { .addr = (uintptr_t)laddr, .length = len, .lkey = lmr->lkey };
	struct ibv_send_wr wr = { .wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED };
	struct ibv_send_wr *bad;
	struct ibv_wc wc;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = (uintptr_t)raddr;
		wr.wr.atomic.rkey = rkey;
		wr.wr.atomic.compare_add = 1;
	} else {
		wr.wr.rdma.remote_addr = (uintptr_t)raddr;
		wr.wr.rdma.rkey = rkey;
	}
	if (ibv_post_send(a.qp, &wr, &bad))
		die("post_send: %s", strerror(errno));
	if (!poll_one(a.cq, &wc))
		return -1;
	return wc.status;
}

static bool rdma_ok(enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr, uint32_t len,
		    struct ibv_mr *rmr, void *raddr)
{
	int st = post_status(op, lmr, laddr, len, rmr->rkey, raddr);

	CHECK(st == IBV_WC_SUCCESS, "%s", st < 0 ? "no completion" : ibv_wc_status_str(st));
	return true;
}

/* Expect @want from one work request, then a fresh pair for what follows. */
static bool expect_error(const char *what, int want, enum ibv_wr_opcode op, struct ibv_mr *lmr,
			 void *laddr, uint32_t len, uint32_t rkey, void *raddr)
{
	int st = post_status(op, lmr, laddr, len, rkey, raddr);

	printf("#   %s: %s\n", what, st < 0 ? "no completion" : ibv_wc_status_str(st));
	pair_reset(&a, &b, 1);
	CHECK(st == want, "%s: want %s", what, ibv_wc_status_str(want));
	return true;
}

/* A counter of the implicit MR, once it settles at @want (children go in a work item). */
static long long children_settle(long long want)
{
	long long n = -1;
	int i;

	for (i = 0; i < 50 * time_scale(); i++) {
		n = mr_stat(a.dev, imr, "implicit_children");
		if (n == want)
			break;
		usleep(100000);
	}
	return n;
}

/*
 * memfd_secret() memory is not in the kernel's direct map: an ODP MR over
 * it registers (nothing is touched), but every work request that would
 * reach its pages fails, on either side, and the MR still deregisters.
 */
static bool t_secretmem(void)
{
	size_t len = 64 * KIB;
	uint8_t *plain = map_anon(len), *secret, *check = map_anon(len);
	struct ibv_mr *pmr, *smr;
	int fd, i;

	fd = syscall(SYS_memfd_secret, 0);
	CHECK(fd >= 0, "memfd_secret: %s", strerror(errno));
	CHECK(!ftruncate(fd, len), "ftruncate: %s", strerror(errno));
	secret = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(secret != MAP_FAILED, "mmap secret: %s", strerror(errno));
	memset(secret, 0x5a, len);	/* present, as far as the CPU goes */
	fill(plain, len, 1);
	pmr = ibv_reg_mr(a.pd, plain, len, ACCESS);
	smr = ibv_reg_mr(a.pd, secret, len, ODP);
	CHECK(pmr && smr, "ibv_reg_mr: %s", strerror(errno));

	for (i = 0; i < 2; i++) {
		struct ibv_mr *mr = i ? imr : smr;
		const char *kind = i ? "implicit" : "explicit";
		char what[96];

#define SECRET_CASE(name, want, op, lmr, laddr, n, rkey, raddr) do { \
		snprintf(what, sizeof(what), "%s: %s", kind, name); \
		CHECK(expect_error(what, want, op, lmr, laddr, n, rkey, raddr), "%s", what); \
	} while (0)
		SECRET_CASE("READ into secret memory", IBV_WC_LOC_PROT_ERR, IBV_WR_RDMA_READ,
			    mr, secret, len - 5, pmr->rkey, plain);
		SECRET_CASE("READ from secret memory", IBV_WC_REM_ACCESS_ERR, IBV_WR_RDMA_READ,
			    pmr, plain, len - 5, mr->rkey, secret + 3);
		SECRET_CASE("WRITE from secret memory", IBV_WC_LOC_PROT_ERR, IBV_WR_RDMA_WRITE,
			    mr, secret + 1, len - 1, pmr->rkey, plain);
		SECRET_CASE("WRITE into secret memory", IBV_WC_REM_ACCESS_ERR, IBV_WR_RDMA_WRITE,
			    pmr, plain, len, mr->rkey, secret);
		SECRET_CASE("SEND from secret memory", IBV_WC_LOC_PROT_ERR, IBV_WR_SEND,
			    mr, secret, 5000, 0, NULL);
		SECRET_CASE("fetch-and-add on secret memory", IBV_WC_REM_ACCESS_ERR,
			    IBV_WR_ATOMIC_FETCH_AND_ADD, pmr, plain, 8, mr->rkey, secret + 64);
#undef SECRET_CASE
		/* A receive into secret memory: the receive fails, and so does the SEND. */
		{
			struct ibv_sge rsge = { .addr = (uintptr_t)secret, .length = len,
						.lkey = mr->lkey };
			struct ibv_recv_wr rwr = { .wr_id = 7, .sg_list = &rsge, .num_sge = 1 };
			struct ibv_recv_wr *rbad;
			struct ibv_wc wc;
			int st;

			CHECK(!ibv_post_recv(b.qp, &rwr, &rbad), "post_recv");
			st = post_status(IBV_WR_SEND, pmr, plain, 5000, 0, NULL);
			CHECK(poll_one(b.cq, &wc), "%s: no receive completion", kind);
			printf("#   %s: SEND into secret memory: %s, receive %s\n", kind,
			       st < 0 ? "no completion" : ibv_wc_status_str(st),
			       ibv_wc_status_str(wc.status));
			pair_reset(&a, &b, 1);
			CHECK(st == IBV_WC_REM_OP_ERR && wc.status == IBV_WC_LOC_PROT_ERR,
			      "%s: SEND into secret memory", kind);
		}
	}
	for (i = 0; i < (int)len; i++)
		CHECK(secret[i] == 0x5a, "secret byte %d changed to %#x", i, secret[i]);
	CHECK(!ibv_dereg_mr(smr), "dereg of the secret MR: %s", strerror(errno));
	/* The device still moves bytes. */
	fill(check, len, 2);
	CHECK(rdma_ok(IBV_WR_RDMA_WRITE, imr, check, len - 3, pmr, plain + 1), "WRITE after");
	CHECK(!memcmp(plain + 1, check, len - 3), "payload after");
	ibv_dereg_mr(pmr);
	munmap(secret, len);
	close(fd);
	munmap(plain, len);
	munmap(check, len);
	return true;
}

/*
 * A 4 KiB RDMA WRITE into page 0 of an ODP MR over @p, which a read of every
 * page made present and shared (with a file's page cache, or with a forked
 * child): page 0 alone may be copied, as smaps' @field of the mapping says
 * (Anonymous: the file pages copied; Private_Dirty: the pages no longer
 * shared with the child).
 */
static bool write_one_page(uint8_t *p, size_t len, const char *field, const char *what)
{
	uint8_t *src = map_anon(PAGE);
	struct ibv_mr *smr = ibv_reg_mr(a.pd, src, PAGE, ACCESS);
	struct ibv_mr *mr = ibv_reg_mr(a.pd, p, len, ODP);
	volatile uint8_t sum = 0;
	size_t i;
	long dirty;

	CHECK(smr && mr, "ibv_reg_mr: %s", strerror(errno));
	for (i = 0; i < len; i += PAGE)
		sum += p[i];
	fill(src, PAGE, 3);
	CHECK(rdma_ok(IBV_WR_RDMA_WRITE, smr, src, PAGE, mr, p), "%s: WRITE", what);
	CHECK(!memcmp(p, src, PAGE), "%s: payload", what);
	dirty = smaps_kb(p, field);
	printf("#   %s: %s %ld kB after a 4 KiB WRITE, page faults %lld\n", what, field,
	       dirty, mr_stat(a.dev, mr, "page_faults"));
	CHECK(dirty == 4, "%s: %ld kB copied, want 4", what, dirty);
	ibv_dereg_mr(mr);
	ibv_dereg_mr(smr);
	munmap(src, PAGE);
	return true;
}

/* MAP_PRIVATE file: pages RDMA does not write stay the file's. */
static bool t_private_file(void)
{
	char path[] = "/tmp/odp_mm.XXXXXX";
	size_t len = MIB;
	uint8_t *data = map_anon(len), *p, page5[PAGE];
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	fill(data, len, 4);
	CHECK(pwrite(fd, data, len, 0) == (ssize_t)len, "pwrite");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(write_one_page(p, len, "Anonymous", "MAP_PRIVATE file"), "one page written");
	/* Page 5 was never written: the mapping still shows the file. */
	fill(page5, PAGE, 5);
	CHECK(pwrite(fd, page5, PAGE, 5 * PAGE) == PAGE, "pwrite page 5");
	CHECK(!memcmp(p + 5 * PAGE, page5, PAGE), "page 5 no longer follows the file");
	munmap(p, len);
	munmap(data, len);
	close(fd);
	return true;
}

/* Anonymous memory shared copy-on-write with a forked child. */
static bool t_fork_shared(void)
{
	size_t len = MIB;
	uint8_t *p = map_anon(len), *copy = map_anon(len);
	int pipefd[2], status;
	char c = 0;
	pid_t pid;
	bool ok;

	fill(p, len, 6);
	memcpy(copy, p, len);
	CHECK(!pipe(pipefd), "pipe");
	pid = fork();
	if (!pid) {
		/* The child keeps the pages shared, then checks it saw no write. */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(2);
		_exit(memcmp(p, copy, len) ? 1 : 0);
	}
	close(pipefd[0]);
	ok = write_one_page(p, len, "Private_Dirty", "fork-shared memory");
	CHECK(write(pipefd[1], &c, 1) == 1, "pipe write");
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	CHECK(ok, "one page written");
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the child saw the parent's write");
	munmap(p, len);
	munmap(copy, len);
	return true;
}

/* A 1 GiB-aligned address with nothing mapped in the @len bytes from it. */
static uint8_t *find_hole(size_t len)
{
	uint8_t *r = mmap(NULL, len + GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);

	if (r == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	munmap(r, len + GIB);
	return (uint8_t *)(((uintptr_t)r + GIB - 1) & ~(GIB - 1));
}

/* Faults and prefetches into holes leave no implicit child behind. */
static bool t_implicit_hole(void)
{
	size_t len = 64 * KIB;
	uint8_t *buf = map_anon(len), *hole = find_hole(GIB);
	struct ibv_mr *mr = ibv_reg_mr(a.pd, buf, len, ACCESS);
	long long c0 = mr_stat(a.dev, imr, "implicit_children"), n;
	struct ibv_sge sge = { .addr = (uintptr_t)hole + 12345, .length = 3 * MIB,
			       .lkey = imr->lkey };

	CHECK(mr && c0 >= 0, "setup: %s", strerror(errno));
	fill(buf, len, 7);
	CHECK(expect_error("READ into a hole", IBV_WC_LOC_PROT_ERR, IBV_WR_RDMA_READ, imr,
			   hole + 100, len, mr->rkey, buf), "READ into a hole");
	CHECK(expect_error("WRITE into a hole", IBV_WC_REM_ACCESS_ERR, IBV_WR_RDMA_WRITE, mr,
			   buf, len, imr->rkey, hole + GIB / 2), "WRITE into a hole");
	ibv_advise_mr(a.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT, IBV_ADVISE_MR_FLAG_FLUSH,
		      &sge, 1);
	n = children_settle(c0);
	printf("#   implicit children: %lld before, %lld after\n", c0, n);
	CHECK(n == c0, "children left behind by holes");
	ibv_dereg_mr(mr);
	munmap(buf, len);
	return true;
}

/* An island written, emptied by MADV_DONTNEED, then unmapped: its child goes. */
static bool t_implicit_dontneed_munmap(void)
{
	size_t len = 4 * MIB;
	uint8_t *src = map_anon(len), *hole = find_hole(GIB), *island;
	struct ibv_mr *smr = ibv_reg_mr(a.pd, src, len, ACCESS);
	long long c0 = mr_stat(a.dev, imr, "implicit_children"), c1, c2, c3;

	CHECK(smr && c0 >= 0, "setup: %s", strerror(errno));
	island = mmap(hole, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(island == hole, "mmap island: %s", strerror(errno));
	fill(src, len, 8);
	CHECK(rdma_ok(IBV_WR_RDMA_WRITE, smr, src, len, imr, island), "WRITE island");
	CHECK(!memcmp(island, src, len), "island payload");
	c1 = children_settle(c0 + 1);
	CHECK(!madvise(island, len, MADV_DONTNEED), "MADV_DONTNEED");
	c2 = children_settle(c0 + 1);
	CHECK(!munmap(island, len), "munmap");
	c3 = children_settle(c0);
	printf("#   implicit children: %lld, written %lld, DONTNEED %lld, munmap %lld\n", c0,
	       c1, c2, c3);
	CHECK(c1 == c0 + 1 && c3 == c0, "the island's child outlived its memory");
	ibv_dereg_mr(smr);
	munmap(src, len);
	return true;
}

struct unmapper {
	uint8_t *addr;
	size_t len;
	unsigned int delay_us;
	volatile int go;
};

static void *unmapper_run(void *arg)
{
	struct unmapper *u = arg;

	while (!u->go)
		;
	usleep(u->delay_us);
	munmap(u->addr, u->len);
	return NULL;
}

/*
 * A first-touch WRITE at offset 0 of a THP target while another thread
 * unmaps the upper half of the same 2 MiB: mapping the rest of the huge
 * page fails then, which must not fail the WRITE, whose page is mapped.
 */
static bool t_thp_half_unmapped(int rounds)
{
	uint8_t *src = map_anon(PAGE);
	struct ibv_mr *smr = ibv_reg_mr(a.pd, src, PAGE, ACCESS);
	int r, failed = 0;

	CHECK(smr, "ibv_reg_mr: %s", strerror(errno));
	for (r = 0; r < rounds; r++) {
		uint8_t *p = map_huge_aligned(THP_SIZE, MADV_HUGEPAGE);
		struct ibv_mr *mr = ibv_reg_mr(a.pd, p, THP_SIZE, ODP);
		struct unmapper u = { .addr = p + THP_SIZE / 2, .len = THP_SIZE / 2,
				      .delay_us = (r * 97) % 1500 };
		pthread_t t;
		int st;

		CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
		fill(src, PAGE, r);
		pthread_create(&t, NULL, unmapper_run, &u);
		u.go = 1;
		st = post_status(IBV_WR_RDMA_WRITE, smr, src, PAGE, mr->rkey, p);
		pthread_join(t, NULL);
		if (st != IBV_WC_SUCCESS || memcmp(p, src, PAGE)) {
			printf("#   round %d (munmap after %u us): %s%s\n", r, u.delay_us,
			       st < 0 ? "no completion" : ibv_wc_status_str(st),
			       st == IBV_WC_SUCCESS ? ", payload differs" : "");
			failed++;
			if (st != IBV_WC_SUCCESS)
				pair_reset(&a, &b, 1);
		}
		ibv_dereg_mr(mr);
		munmap(p, THP_SIZE / 2);
	}
	printf("#   %d rounds, %d failed\n", rounds, failed);
	CHECK(!failed, "a WRITE into a mapped page failed");
	ibv_dereg_mr(smr);
	munmap(src, PAGE);
	return true;
}

/*
 * Deregistration racing with munmap of the MR's memory: the table is torn
 * down while the notifier still reports, so no page is touched (dirtied)
 * after mm freed it.  The kernel's page checks report such a page.
 */
static bool t_dereg_munmap(int rounds)
{
	size_t len = 4 * MIB;
	uint8_t *src = map_anon(len);
	struct ibv_mr *smr = ibv_reg_mr(a.pd, src, len, ACCESS);
	int r;

	CHECK(smr, "ibv_reg_mr: %s", strerror(errno));
	fill(src, len, 9);
	for (r = 0; r < rounds; r++) {
		uint8_t *p = map_anon(len);
		struct ibv_mr *mr = ibv_reg_mr(a.pd, p, len, ODP);
		struct unmapper u = { .addr = p, .len = len, .delay_us = (r * 13) % 200 };
		pthread_t t;

		CHECK(mr, "ibv_reg_mr: %s", strerror(errno));
		CHECK(rdma_ok(IBV_WR_RDMA_WRITE, smr, src, len, mr, p), "round %d: WRITE", r);
		CHECK(!memcmp(p, src, len), "round %d: payload", r);
		pthread_create(&t, NULL, unmapper_run, &u);
		u.go = 1;
		CHECK(!ibv_dereg_mr(mr), "round %d: dereg: %s", r, strerror(errno));
		pthread_join(t, NULL);
	}
	printf("#   %d rounds of 4 MiB written, deregistered and unmapped at once\n", rounds);
	ibv_dereg_mr(smr);
	munmap(src, len);
	return true;
}

struct churner {
	uint8_t *base;		/* CHURN_SPANS spans of 1 GiB */
	unsigned int seed;
	volatile int stop;
	unsigned long maps;
};

#define CHURN_SPANS	8

static void *churner_run(void *arg)
{
	struct churner *c = arg;

	while (!c->stop) {
		unsigned int s = rand_r(&c->seed) % CHURN_SPANS;
		/* Each thread its own MiBs: one must not unmap what the other touches. */
		uint8_t *p = c->base + s * GIB + (rand_r(&c->seed) % 2 * 2 + c->seed % 2) * MIB;
		uint8_t *m = mmap(p, MIB, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		/* Mapped over again (an unmap for mm), and kept reserved. */
		if (m != MAP_FAILED) {
			memset(m, 1, PAGE);
			mmap(m, MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			     MAP_FIXED, -1, 0);
			c->maps++;
		}
	}
	return NULL;
}

/*
 * An implicit MR deregistered while two threads map and unmap memory over
 * many of its spans: every child's cleanup queued by an unmap must be done
 * or cancelled before the MR goes (KASAN on the debug kernel watches).
 */
static bool t_implicit_dereg_churn(int rounds)
{
	uint8_t *base = find_hole(CHURN_SPANS * GIB), *src = map_anon(MIB);
	struct ibv_mr *smr = ibv_reg_mr(a.pd, src, MIB, ACCESS);
	struct churner c[2] = { { .base = base, .seed = 1 }, { .base = base, .seed = 2 } };
	unsigned long maps = 0;
	int r, s, i;

	CHECK(smr, "ibv_reg_mr: %s", strerror(errno));
	/* Keep the spans' address range ours: nothing else gets mapped there. */
	CHECK(mmap(base, CHURN_SPANS * GIB, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0) == base,
	      "reserve: %s", strerror(errno));
	fill(src, MIB, 10);
	for (r = 0; r < rounds; r++) {
		struct ibv_mr *mr = ibv_reg_mr(a.pd, NULL, SIZE_MAX, ODP);
		pthread_t t[2];

		CHECK(mr, "implicit ibv_reg_mr: %s", strerror(errno));
		/* A child in each span, then churn under it while it goes. */
		for (s = 0; s < CHURN_SPANS; s++) {
			uint8_t *p = mmap(base + s * GIB, MIB, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

			CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
			CHECK(rdma_ok(IBV_WR_RDMA_WRITE, smr, src, 64 * KIB, mr, p), "round %d", r);
		}
		for (i = 0; i < 2; i++) {
			c[i].stop = 0;
			pthread_create(&t[i], NULL, churner_run, &c[i]);
		}
		usleep(1000 * (r % 5));
		CHECK(!ibv_dereg_mr(mr), "round %d: dereg: %s", r, strerror(errno));
		for (i = 0; i < 2; i++) {
			c[i].stop = 1;
			pthread_join(t[i], NULL);
			maps += c[i].maps;
		}
	}
	printf("#   %d implicit MRs deregistered under churn, %lu maps and unmaps\n", rounds,
	       maps);
	munmap(base, CHURN_SPANS * GIB);
	ibv_dereg_mr(smr);
	munmap(src, MIB);
	return true;
}

struct mm_case {
	const char *name;
	int rounds;		/* the default; 0: the case takes none */
	bool (*run)(void);
	bool (*run_rounds)(int rounds);
	const char *title;
};

static const struct mm_case cases[] = {
	{ "secretmem", 0, t_secretmem, NULL,
	  "memfd_secret memory: every access fails cleanly, the MR deregisters" },
	{ "private-file", 0, t_private_file, NULL,
	  "MAP_PRIVATE file: a 4 KiB WRITE copies 4 KiB, the rest follows the file" },
	{ "fork-shared", 0, t_fork_shared, NULL,
	  "memory shared with a forked child: a 4 KiB WRITE copies 4 KiB" },
	{ "implicit-hole", 0, t_implicit_hole, NULL,
	  "implicit MR: faults and prefetches into holes leave no child" },
	{ "implicit-dontneed-munmap", 0, t_implicit_dontneed_munmap, NULL,
	  "implicit MR: MADV_DONTNEED then munmap frees the island's child" },
	{ "thp-half-unmapped", 30, NULL, t_thp_half_unmapped,
	  "first-touch WRITE into THP while its upper half is unmapped" },
	{ "dereg-munmap", 20, NULL, t_dereg_munmap,
	  "deregistration racing with munmap of the memory" },
	{ "implicit-dereg-churn", 20, NULL, t_implicit_dereg_churn,
	  "implicit MR deregistered under mmap/munmap churn over its spans" },
};

static void run_case(const struct mm_case *c, int rounds)
{
	bool ok;

	pair_reset(&a, &b, 1);
	ok = c->run ? c->run() : c->run_rounds(rounds);
	if (c->rounds)
		report(ok, "%s (%d rounds)", c->title, rounds);
	else
		report(ok, "%s", c->title);
}

int main(int argc, char **argv)
{
	size_t i;
	int k;

	if (argc < 2)
		die("usage: odp_mm DEV [CASE[=ROUNDS]...]");
	side_open(&a, argv[1], 64);
	b = a;
	b.cq = ibv_create_cq(a.ctx, 64, NULL, NULL, 0);
	if (!b.cq)
		die("setup: %s", strerror(errno));
	imr = ibv_reg_mr(a.pd, NULL, SIZE_MAX, ODP);
	if (!imr)
		die("implicit ibv_reg_mr: %s", strerror(errno));

	if (argc == 2) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&cases[i], cases[i].rounds);
	}
	for (k = 2; k < argc; k++) {
		const char *eq = strchr(argv[k], '=');
		size_t n = eq ? (size_t)(eq - argv[k]) : strlen(argv[k]);

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strlen(cases[i].name) == n && !strncmp(cases[i].name, argv[k], n))
				break;
		if (i == sizeof(cases) / sizeof(cases[0]))
			die("unknown case %s", argv[k]);
		run_case(&cases[i], eq ? atoi(eq + 1) : cases[i].rounds);
	}
	printf("1..%d\n", tap_tests);
	return tap_failures ? 1 : 0;
}
