// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * odp_stress DEV_A DEV_B LABEL SECONDS SEED [implicit|shmem|hugetlb|touched]:
 * RDMA on ODP memory while the memory is changed under it, for SECONDS.
 * Each side has an 8 MiB buffer (anonymous, with "shmem" a shared mapping
 * of a tmpfs file, with "hugetlb" of 2 MiB hugetlbfs pages, where the chaos
 * works in whole huge pages; "touched": anonymous, written whole before it
 * is registered, so that a memory cgroup smaller than it reclaims from the
 * start however slowly the traffic goes) under one ODP MR (or an implicit
 * MR); its first half ("traffic")
 * takes RC WRITEs, READs, SENDs and atomics from both sides, every byte
 * checked, while a thread invalidates it in ways that keep its contents
 * (fork, fork and exec, MADV_PAGEOUT, MADV_COLLAPSE, compaction, THP
 * splits, and with two NUMA nodes move_pages() between them).  The second
 * half ("chaos") is hit by MADV_DONTNEED, MADV_FREE, mprotect flips,
 * munmap/mmap, mremap and, for a file, truncation and regrowth while a
 * second QP pair runs RDMA into it: there every work request must complete,
 * with success or a clean access error, never hang.  Random choices come
 * from SEED; only timing varies between runs.  One TAP line per outcome.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"

#define ACCESS		(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			 IBV_ACCESS_REMOTE_ATOMIC)
#define REGION		(8u << 20)
#define HALF		(REGION / 2)
#define MAX_XFER	(256u << 10)
#define PAGE		4096u
#define HPAGE		(2u << 20)
#define COUNTER_ROOM	64u	/* the traffic half starts with the FAA counter */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#define MPOL_MF_MOVE	(1 << 1)
#define MIGRATE_PAGES	64	/* pages one move_pages() call moves */

struct pair {
	struct ibv_cq *cq;
	struct ibv_qp *qp;
};

/* One end of the stress: a device, its ODP buffer and MR, and two QPs. */
struct peer {
	const char *dev;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	union ibv_gid gid;
	uint8_t *buf;
	int fd;			/* shmem: the file behind buf */
	struct ibv_mr *mr;
	struct pair t, c;	/* traffic and chaos QPs */
};

static struct peer sa, sb;
static atomic_bool stop;
static bool implicit, shmem, hugetlb, touched;
static int numa_nodes;
static unsigned long long seed;

/* Tallies, each written by one thread and read after the joins. */
static unsigned long long t_ops[5], t_bytes, churn_ops[7], chaos_ops[7], c_ok, c_err;
static unsigned long long pages_migrated;
static char t_fail[256], c_fail[256];

static uint32_t rnd_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(xorshift64(s) % (hi - lo + 1));
}

static void peer_open(struct peer *s, const char *dev)
{
	s->dev = dev;
	s->ctx = open_device(dev);
	s->pd = ibv_alloc_pd(s->ctx);
	if (!s->pd || ibv_query_gid(s->ctx, 1, GID_INDEX, &s->gid))
		die("%s: %s", dev, strerror(errno));
	s->fd = -1;
	if (shmem) {
		s->fd = memfd_create("odp_stress", 0);
		if (s->fd < 0 || ftruncate(s->fd, REGION))
			die("memfd: %s", strerror(errno));
		s->buf = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	} else {
		s->buf = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			      (hugetlb ? MAP_HUGETLB : 0), -1, 0);
	}
	if (s->buf == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	madvise(s->buf, HALF, MADV_HUGEPAGE);
	if (touched)
		memset(s->buf, 0x5a, REGION);
	s->mr = implicit ? ibv_reg_mr(s->pd, NULL, SIZE_MAX, ACCESS) :
			   ibv_reg_mr(s->pd, s->buf, REGION, ACCESS);
	if (!s->mr)
		die("ODP MR on %s: %s", dev, strerror(errno));
}

static void qp_make(struct peer *s, struct pair *p)
{
	if (!p->cq)
		p->cq = ibv_create_cq(s->ctx, 32, NULL, NULL, 0);
	if (!p->cq)
		die("CQ on %s: %s", s->dev, strerror(errno));
	p->qp = rc_qp_new(s->pd, p->cq, 8, 1);
}

/* A fresh connected pair; an error leaves the old one unusable. */
static void pair_connect(struct pair *a, struct pair *b)
{
	struct ibv_wc wc;

	if (a->qp) {
		ibv_destroy_qp(a->qp);
		ibv_destroy_qp(b->qp);
		while (ibv_poll_cq(a->cq, 1, &wc) > 0 || ibv_poll_cq(b->cq, 1, &wc) > 0)
			;
	}
	qp_make(&sa, a);
	qp_make(&sb, b);
	qp_connect(a->qp, b->qp->qp_num, &sb.gid, 7);
	qp_connect(b->qp, a->qp->qp_num, &sa.gid, 7);
}

/* Post one signalled WR (and a receive for a SEND) and wait for its completion(s). */
static int run_wr(struct peer *from, struct pair *fp, struct peer *to, struct pair *tp,
		  enum ibv_wr_opcode op, uint8_t *laddr, uint8_t *raddr, uint32_t len,
		  uint64_t add, enum ibv_wc_status *st)
{
	struct ibv_sge sge = { .addr = (uintptr_t)laddr, .length = len, .lkey = from->mr->lkey };
	struct ibv_sge rsge = { .addr = (uintptr_t)raddr, .length = len, .lkey = to->mr->lkey };
	struct ibv_recv_wr rwr = { .wr_id = 2, .sg_list = &rsge, .num_sge = 1 }, *rbad;
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;
	struct ibv_wc wc;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = (uintptr_t)raddr;
		wr.wr.atomic.rkey = to->mr->rkey;
		wr.wr.atomic.compare_add = add;
	} else {
		wr.wr.rdma.remote_addr = (uintptr_t)raddr;
		wr.wr.rdma.rkey = to->mr->rkey;
	}
	if (op == IBV_WR_SEND && ibv_post_recv(tp->qp, &rwr, &rbad))
		return -1;
	if (ibv_post_send(fp->qp, &wr, &bad))
		return -1;
	if (!poll_one(fp->cq, &wc))
		return -2;
	*st = wc.status;
	if (op == IBV_WR_SEND && wc.status == IBV_WC_SUCCESS) {
		if (!poll_one(tp->cq, &wc))
			return -2;
		if (wc.status != IBV_WC_SUCCESS || wc.byte_len != len)
			*st = wc.status == IBV_WC_SUCCESS ? IBV_WC_GENERAL_ERR : wc.status;
	}
	return 0;
}

/* The traffic half until @end: every transfer checked byte for byte. */
static void traffic(double end)
{
	static const enum ibv_wr_opcode data_ops[] = {
		IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_RDMA_WRITE, IBV_WR_SEND,
	};
	uint64_t s = seed * 2 + 1, *counter = (uint64_t *)sb.buf, expect = *counter;
	uint8_t *local, *remote;
	struct peer *from, *to;
	enum ibv_wc_status st;
	uint64_t orig;

	while (now_us() < end && !t_fail[0]) {
		uint32_t op = rnd_range(&s, 0, 4), len = rnd_range(&s, 1, MAX_XFER);
		uint8_t *la = sa.buf + rnd_range(&s, COUNTER_ROOM, HALF - len);
		uint8_t *rb = sb.buf + rnd_range(&s, COUNTER_ROOM, HALF - len);
		int err;

		if (op == 4) {	/* FETCH_AND_ADD on b's counter, the old value into a */
			len = sizeof(uint64_t);
			la = sa.buf + COUNTER_ROOM - sizeof(uint64_t);
			orig = xorshift64(&s) >> 16;
			err = run_wr(&sa, &sa.t, &sb, &sb.t, IBV_WR_ATOMIC_FETCH_AND_ADD, la,
				     (uint8_t *)counter, len, orig, &st);
			if (!err && st == IBV_WC_SUCCESS &&
			    (*(uint64_t *)la != expect || *counter != expect + orig))
				snprintf(t_fail, sizeof(t_fail),
					 "fetch-and-add: old %#llx, now %#llx, want %#llx then %#llx",
					 (unsigned long long)*(uint64_t *)la,
					 (unsigned long long)*counter, (unsigned long long)expect,
					 (unsigned long long)(expect + orig));
			expect += orig;
			t_ops[op]++;
			t_bytes += len;
			continue;
		}
		/* WRITE a to b, READ b into a, WRITE b to a, SEND a to b; the source is filled. */
		if (op == 2) {
			from = &sb;
			to = &sa;
			local = rb;
			remote = la;
		} else {
			from = &sa;
			to = &sb;
			local = la;
			remote = rb;
		}
		fill(op == 1 ? remote : local, len, (unsigned int)xorshift64(&s));
		err = run_wr(from, &from->t, to, &to->t, data_ops[op], local, remote, len, 0, &st);
		if (err || st != IBV_WC_SUCCESS) {
			snprintf(t_fail, sizeof(t_fail), "op %u, %u bytes: %s", op, len,
				 err == -2 ? "no completion (hang)" :
				 err ? strerror(errno) : ibv_wc_status_str(st));
			break;
		}
		if (memcmp(la, rb, len)) {
			uint32_t i = 0;

			while (la[i] == rb[i])
				i++;
			snprintf(t_fail, sizeof(t_fail), "op %u, %u bytes: byte %u differs", op,
				 len, i);
			break;
		}
		t_ops[op]++;
		t_bytes += len;
	}
}

/* Errors are ignored: a knob this kernel lacks is no failure of ours. */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		ssize_t n = write(fd, text, strlen(text));

		(void)n;
		close(fd);
	}
}

/* NUMA nodes online: "0" is one, "0-1" two. */
static int count_numa_nodes(void)
{
	FILE *f = fopen("/sys/devices/system/node/online", "r");
	int lo = 0, hi = 0;

	if (!f)
		return 1;
	if (fscanf(f, "%d-%d", &lo, &hi) < 2)
		hi = lo;
	fclose(f);
	return hi - lo + 1;
}

/* Migrate MIGRATE_PAGES random pages of @half to node @node; count those moved. */
static void migrate_some(uint8_t *half, int node, uint64_t *s)
{
	void *pages[MIGRATE_PAGES];
	int nodes[MIGRATE_PAGES], status[MIGRATE_PAGES];
	unsigned int i;

	for (i = 0; i < MIGRATE_PAGES; i++) {
		pages[i] = half + rnd_range(s, 0, HALF / PAGE - 1) * PAGE;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, MIGRATE_PAGES, pages, nodes, status, MPOL_MF_MOVE))
		return;
	for (i = 0; i < MIGRATE_PAGES; i++)
		pages_migrated += status[i] == node;
}

/*
 * Invalidations of the traffic halves that keep their contents: every kind
 * once per cycle, in a shuffled order, so that a slow kernel running few
 * cycles still runs them all.
 */
static void *churn(void *arg)
{
	uint32_t order[7], kinds = numa_nodes > 1 ? 7 : 6, next = 0, i, j, t;
	uint64_t s = seed * 3 + 7;
	char text[96];

	(void)arg;
	for (i = 0; i < kinds; i++)
		order[i] = i;
	while (!atomic_load(&stop)) {
		uint32_t op;
		uint8_t *half;
		pid_t pid;

		if (!next)
			for (i = kinds - 1; i > 0; i--) {
				j = rnd_range(&s, 0, i);
				t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
		op = order[next];
		next = (next + 1) % kinds;
		half = xorshift64(&s) & 1 ? sa.buf : sb.buf;

		switch (op) {
		case 0:		/* fork: the parent's pages become copy-on-write */
		case 1:		/* and exec in the child */
			pid = fork();
			if (pid == 0) {
				if (op == 1)
					execl("/bin/true", "true", (char *)NULL);
				_exit(0);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
			break;
		case 2:
			madvise(half, HALF, MADV_PAGEOUT);
			break;
		case 3:
			madvise(half, HALF, MADV_COLLAPSE);
			break;
		case 4:
			write_file("/proc/sys/vm/compact_memory", "1");
			break;
		case 6:
			migrate_some(half, (int)rnd_range(&s, 0, numa_nodes - 1), &s);
			break;
		default:
			snprintf(text, sizeof(text), "%d,%#lx,%#lx", getpid(), (unsigned long)half,
				 (unsigned long)(half + HALF));
			write_file("/sys/kernel/debug/split_huge_pages", text);
			break;
		}
		churn_ops[op]++;
		usleep(rnd_range(&s, 0, 20000));
	}
	return NULL;
}

static void remap(void *p, size_t len, int prot)
{
	if (mmap(p, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		 (hugetlb ? MAP_HUGETLB : 0), -1, 0) == MAP_FAILED)
		die("mmap: %s", strerror(errno));
}

/* Destructive changes to the chaos halves. */
static void *chaos(void *arg)
{
	uint64_t s = seed * 5 + 11;

	(void)arg;
	while (!atomic_load(&stop)) {
		uint32_t op = rnd_range(&s, 0, shmem ? 6 : 5), len = rnd_range(&s, 1, 256) * PAGE;
		struct peer *side = xorshift64(&s) & 1 ? &sa : &sb;
		uint8_t *base = side->buf + HALF;
		uint8_t *p = base + rnd_range(&s, 0, HALF / PAGE - len / PAGE) * PAGE;
		void *tmp;

		if (hugetlb) {	/* hugetlbfs maps, protects and unmaps whole pages */
			len = HPAGE;
			p = base + rnd_range(&s, 0, HALF / HPAGE - 1) * HPAGE;
		}

		switch (op) {
		case 0:
			madvise(p, len, MADV_DONTNEED);
			break;
		case 1:
			madvise(p, len, MADV_FREE);
			break;
		case 2:
		case 3:
			mprotect(p, len, op == 2 ? PROT_READ : PROT_NONE);
			usleep(rnd_range(&s, 0, 5000));
			mprotect(p, len, PROT_READ | PROT_WRITE);
			break;
		case 4:
			/*
			 * Unmapped, then a new mapping: both by MAP_FIXED, so no
			 * other thread's mmap (a QP's rings) can take the hole.
			 */
			remap(p, len, PROT_NONE);
			usleep(rnd_range(&s, 0, 5000));
			remap(p, len, PROT_READ | PROT_WRITE);
			break;
		case 5:		/* move the pages away and back; the range stays mapped */
			tmp = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
			if (tmp != MAP_FAILED &&
			    mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED)
				die("mremap back: %s", strerror(errno));
			break;
		default:	/* the file loses its tail from p, then grows back as holes */
			if (ftruncate(side->fd, HALF + (p - base)))
				die("ftruncate: %s", strerror(errno));
			usleep(rnd_range(&s, 0, 5000));
			if (ftruncate(side->fd, REGION))
				die("ftruncate: %s", strerror(errno));
			break;
		}
		chaos_ops[op]++;
		usleep(rnd_range(&s, 0, 10000));
	}
	return NULL;
}

/* RDMA into the chaos halves: success or a clean error, always a completion. */
static void *chaos_traffic(void *arg)
{
	uint64_t s = seed * 7 + 13;
	enum ibv_wc_status st;

	(void)arg;
	while (!atomic_load(&stop) && !c_fail[0]) {
		uint32_t op = rnd_range(&s, 0, 3), len = rnd_range(&s, 1, MAX_XFER);
		uint8_t *la = sa.buf + HALF + rnd_range(&s, 0, HALF - len);
		uint8_t *rb = sb.buf + HALF + (rnd_range(&s, 0, HALF - len) & ~7u);
		static const enum ibv_wr_opcode ops[] = {
			IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_SEND,
			IBV_WR_ATOMIC_FETCH_AND_ADD,
		};
		int err;

		if (ops[op] == IBV_WR_ATOMIC_FETCH_AND_ADD)
			len = sizeof(uint64_t);
		err = run_wr(&sa, &sa.c, &sb, &sb.c, ops[op], la, rb, len, 1, &st);
		if (err) {
			snprintf(c_fail, sizeof(c_fail), "op %u: %s", op,
				 err == -2 ? "no completion (hang)" : strerror(errno));
			break;
		}
		if (st == IBV_WC_SUCCESS) {
			c_ok++;
			continue;
		}
		if (st != IBV_WC_LOC_PROT_ERR && st != IBV_WC_REM_ACCESS_ERR &&
		    st != IBV_WC_REM_OP_ERR && st != IBV_WC_WR_FLUSH_ERR) {
			snprintf(c_fail, sizeof(c_fail), "op %u: %s", op, ibv_wc_status_str(st));
			break;
		}
		c_err++;
		pair_connect(&sa.c, &sb.c);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[3];
	const char *label;
	unsigned int secs, i;
	long long inval_a, inval_b;
	enum ibv_wc_status st;
	uint64_t s;
	int err;

	if (argc != 6 && argc != 7)
		die("usage: %s DEV_A DEV_B LABEL SECONDS SEED [implicit|shmem|hugetlb|touched]",
		    argv[0]);
	label = argv[3];
	secs = atoi(argv[4]);
	seed = strtoull(argv[5], NULL, 0);
	implicit = argc == 7 && !strcmp(argv[6], "implicit");
	shmem = argc == 7 && !strcmp(argv[6], "shmem");
	hugetlb = argc == 7 && !strcmp(argv[6], "hugetlb");
	touched = argc == 7 && !strcmp(argv[6], "touched");
	numa_nodes = count_numa_nodes();
	peer_open(&sa, argv[1]);
	peer_open(&sb, argv[2]);
	pair_connect(&sa.t, &sb.t);
	pair_connect(&sa.c, &sb.c);
	printf("# %s: seed %llu, %u s, %s MRs, %s memory, %d NUMA node(s)\n", label, seed, secs,
	       implicit ? "implicit" : "explicit",
	       shmem ? "tmpfs file" : hugetlb ? "hugetlbfs" : "anonymous", numa_nodes);

	if (pthread_create(&th[0], NULL, churn, NULL) ||
	    pthread_create(&th[1], NULL, chaos, NULL) ||
	    pthread_create(&th[2], NULL, chaos_traffic, NULL))
		die("pthread_create");
	alarm(secs + 4 * poll_seconds());		/* a hang ends the run, loudly */
	traffic(now_us() + secs * 1e6);
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	printf("#   traffic: %llu WRITE a>b, %llu READ, %llu WRITE b>a, %llu SEND, %llu FAA; "
	       "%llu bytes verified\n", t_ops[0], t_ops[1], t_ops[2], t_ops[3], t_ops[4],
	       t_bytes);
	report(!t_fail[0] && t_bytes, "%s: traffic half, %llu MiB verified byte for byte%s%s",
	       label, t_bytes >> 20, t_fail[0] ? ": " : "", t_fail);
	printf("#   churn: fork %llu, fork+exec %llu, pageout %llu, collapse %llu, "
	       "compact %llu, split %llu, move_pages %llu (%llu pages moved)\n", churn_ops[0],
	       churn_ops[1], churn_ops[2], churn_ops[3], churn_ops[4], churn_ops[5],
	       churn_ops[6], pages_migrated);
	report(churn_ops[0] && churn_ops[1] && churn_ops[2],
	       "%s: contents-keeping invalidations ran during the traffic", label);
	if (numa_nodes > 1)
		report(pages_migrated, "%s: move_pages() migrated %llu traffic pages between nodes",
		       label, pages_migrated);
	printf("#   chaos: dontneed %llu, free %llu, mprotect ro %llu, mprotect none %llu, "
	       "munmap+mmap %llu, mremap %llu, truncate %llu\n", chaos_ops[0], chaos_ops[1],
	       chaos_ops[2], chaos_ops[3], chaos_ops[4], chaos_ops[5], chaos_ops[6]);
	if (shmem)
		report(chaos_ops[6], "%s: the files were truncated under the chaos traffic", label);
	report(!c_fail[0] && c_ok + c_err,
	       "%s: chaos half, %llu WRs completed (%llu ok, %llu clean errors), none hung%s%s",
	       label, c_ok + c_err, c_ok, c_err, c_fail[0] ? ": " : "", c_fail);
	inval_a = mr_stat(sa.dev, sa.mr, "page_invalidations");
	inval_b = mr_stat(sb.dev, sb.mr, "page_invalidations");
	report(inval_a > 0 && inval_b > 0, "%s: MRs counted invalidations (%lld, %lld)", label,
	       inval_a, inval_b);

	/* Afterwards the device serves a large transfer as before. */
	pair_connect(&sa.t, &sb.t);
	s = seed;
	fill(sa.buf + 5, HALF - 64, (unsigned int)xorshift64(&s));
	err = run_wr(&sa, &sa.t, &sb, &sb.t, IBV_WR_RDMA_WRITE, sa.buf + 5, sb.buf + 4093,
		     HALF - 4096 - 64, 0, &st);
	report(!err && st == IBV_WC_SUCCESS && !memcmp(sa.buf + 5, sb.buf + 4093, HALF - 4096 - 64),
	       "%s: a 4 MiB WRITE afterwards lands intact", label);
	return tap_failures ? 1 : 0;
}
