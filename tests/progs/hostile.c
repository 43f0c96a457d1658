// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hostile DEV RO_FILE [CASE]: what a local user who does not play by the rules
 * can do to hodp, meant to run unprivileged (tests/suites/hostile.sh), one
 * TAP line per case:
 *   - grow max_dest_rd_atomic in SQD and be answered many READs at once;
 *   - claim a current QP state that is not the QP's;
 *   - re-register a read-only mapping of RO_FILE (a file this user may not
 *     write) for remote writing, then write to it;
 *   - scribble the SQ ring's producer index, then move the QP to error;
 *   - look at the bytes of the completion ring's slots;
 *   - register MRs and look at their keys;
 *   - create a big CQ and look at the memory cgroup's charge.
 * Exits non-zero if any case fails.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <rdma/hodp-abi.h>

#include "common.h"

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid;
static const char *ro_file;	/* a file this user may read and not write */

/* The uverbs mapping with the 8 bytes @marker in a slot: a ring, its header at the start. */
static uint8_t *ring_with(uint64_t marker)
{
	unsigned long lo[256], hi[256], off;
	int n = uverbs_maps(lo, hi, 256), i;

	for (i = 0; i < n; i++)
		for (off = HODP_RING_HDR_SIZE; off + 8 <= hi[i] - lo[i]; off += 16)
			if (!memcmp((void *)(lo[i] + off), &marker, 8))
				return (uint8_t *)lo[i];
	return NULL;
}

static void modify(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask, const char *what)
{
	if (ibv_modify_qp(qp, attr, mask))
		die("%s: %s", what, strerror(errno));
}

/*
 * The responder's READ resources were sized once, at INIT to RTR, and then
 * indexed by whatever max_dest_rd_atomic said: 128 in SQD over an array of
 * one let 100 READs in flight write past it.
 */
static void t_rd_res_grow(void)
{
	const uint32_t n = 100, len = 4096;
	struct ibv_cq *cq = ibv_create_cq(ctx, 2 * n, NULL, NULL, 0);
	struct ibv_qp_init_attr init = { .send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
					 .cap = { .max_send_wr = n, .max_recv_wr = 1,
						  .max_send_sge = 1, .max_recv_sge = 1 } };
	uint8_t *src = map_anon(n * len), *dst = map_anon(n * len);
	struct ibv_mr *smr, *dmr;
	struct ibv_qp *a, *b;
	struct ibv_qp_attr attr;
	uint32_t i, done = 0, bad = 0;
	int mask;

	a = ibv_create_qp(pd, &init);
	b = ibv_create_qp(pd, &init);
	smr = ibv_reg_mr(pd, src, n * len, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ);
	dmr = ibv_reg_mr(pd, dst, n * len, IBV_ACCESS_LOCAL_WRITE);
	if (!cq || !a || !b || !smr || !dmr || qp_to_init(a) || qp_to_init(b))
		die("setup: %s", strerror(errno));
	for (i = 0; i < n * len; i++)
		src[i] = (uint8_t)(i * 7 + i / 4096);
	/* a may have 128 READs out; b starts answering one at a time. */
	mask = qp_rtr_attr(a, b->qp_num, &gid, &attr);
	modify(a, &attr, mask, "a to RTR");
	mask = qp_rts_attr(a, 7, &attr);
	attr.max_rd_atomic = 128;
	modify(a, &attr, mask, "a to RTS");
	mask = qp_rtr_attr(b, a->qp_num, &gid, &attr);
	attr.max_dest_rd_atomic = 1;
	modify(b, &attr, mask, "b to RTR");
	mask = qp_rts_attr(b, 7, &attr);
	modify(b, &attr, mask, "b to RTS");
	/* Then 128 in SQD, which the IB spec allows. */
	attr = (struct ibv_qp_attr) { .qp_state = IBV_QPS_SQD };
	modify(b, &attr, IBV_QP_STATE, "b to SQD");
	attr = (struct ibv_qp_attr) { .qp_state = IBV_QPS_SQD, .max_dest_rd_atomic = 128 };
	modify(b, &attr, IBV_QP_STATE | IBV_QP_MAX_DEST_RD_ATOMIC, "b SQD to SQD, 128");
	attr = (struct ibv_qp_attr) { .qp_state = IBV_QPS_RTS };
	modify(b, &attr, IBV_QP_STATE, "b back to RTS");

	for (i = 0; i < n; i++) {
		struct ibv_sge sge = { (uintptr_t)dst + i * len, len, dmr->lkey };
		struct ibv_send_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_READ,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { (uintptr_t)src + i * len, smr->rkey } }, *badwr;

		if (ibv_post_send(a, &wr, &badwr))
			die("post READ %u: %s", i, strerror(errno));
	}
	for (; done < n; done++) {
		struct ibv_wc wc;

		if (!poll_one(cq, &wc))
			break;
		bad += wc.status != IBV_WC_SUCCESS;
	}
	report(done == n && !bad && !memcmp(src, dst, n * len),
	       "max_dest_rd_atomic 1 -> 128 in SQD: %u READs in flight answered, bytes intact",
	       n);
	if (done != n || bad)
		printf("#   %u completions, %u not successful\n", done, bad);
	if (ibv_destroy_qp(a) || ibv_destroy_qp(b) || ibv_dereg_mr(smr) || ibv_dereg_mr(dmr) ||
	    ibv_destroy_cq(cq))
		die("teardown: %s", strerror(errno));
	munmap(src, n * len);
	munmap(dst, n * len);
}

/* An INIT QP said to be in RTR went to RTS, with no responder resources at all. */
static void t_cur_state_lie(void)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	struct ibv_qp_init_attr init = { .send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
					 .cap = { .max_send_wr = 4, .max_recv_wr = 4,
						  .max_send_sge = 1, .max_recv_sge = 1 } };
	struct ibv_qp *qp = ibv_create_qp(pd, &init);
	struct ibv_qp_attr attr;
	int mask, ret;

	if (!cq || !qp || qp_to_init(qp))
		die("setup: %s", strerror(errno));
	mask = qp_rts_attr(qp, 7, &attr);
	attr.cur_qp_state = IBV_QPS_RTR;
	ret = ibv_modify_qp(qp, &attr, mask | IBV_QP_CUR_STATE);
	report(ret == EINVAL && qp_state(qp) == IBV_QPS_INIT,
	       "INIT to RTS claiming cur_qp_state RTR: EINVAL, the QP stays in INIT");
	if (ret != EINVAL || qp_state(qp) != IBV_QPS_INIT)
		printf("#   returned %s, state %d\n", ret ? strerror(ret) : "success", qp_state(qp));
	/* The truth is accepted (where the IB spec allows the attribute at all). */
	mask = qp_rtr_attr(qp, qp->qp_num, &gid, &attr);
	modify(qp, &attr, mask, "to RTR");
	mask = qp_rts_attr(qp, 7, &attr);
	attr.cur_qp_state = IBV_QPS_RTR;
	ret = ibv_modify_qp(qp, &attr, mask | IBV_QP_CUR_STATE);
	report(!ret && qp_state(qp) == IBV_QPS_RTS, "RTR to RTS with cur_qp_state RTR: done");
	if (ibv_destroy_qp(qp) || ibv_destroy_cq(cq))
		die("teardown: %s", strerror(errno));
}

/*
 * Pages pinned for reading (a read-only shared mapping of a file this user
 * may not write) were made remotely writable by a re-registration that
 * changed only the access flags; RDMA then wrote the page cache.
 */
static void t_rereg_ro(void)
{
	const char *path = ro_file;
	const size_t len = 65536;
	struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	uint8_t *src = map_anon(len), *file, check[64];
	struct ibv_qp *a, *b;
	struct ibv_mr *mr, *smr;
	struct ibv_wc wc;
	int fd, ret, rfd;
	bool wrote;

	fd = open(path, O_RDONLY);
	if (fd < 0 || !cq)
		die("%s: %s", path, strerror(errno));
	file = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED || file[0] != 'A')
		die("mmap %s: %s", path, strerror(errno));
	memset(src, 'B', len);
	smr = ibv_reg_mr(pd, src, len, IBV_ACCESS_LOCAL_WRITE);
	mr = ibv_reg_mr(pd, file, len, 0);
	if (!smr || !mr)
		die("ibv_reg_mr: %s", strerror(errno));
	rc_loopback_pair(pd, cq, 4, &a, &b);

	ret = ibv_rereg_mr(mr, IBV_REREG_MR_CHANGE_ACCESS, NULL, NULL, 0,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	report(ret != 0, "re-registering a read-only file mapping for remote write is refused");
	if (!ret)
		printf("#   ibv_rereg_mr succeeded\n");
	/* Whatever it said, a WRITE through the key must not reach the file. */
	{
		struct ibv_sge sge = { (uintptr_t)src, 4096, smr->lkey };
		struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { (uintptr_t)file, mr->rkey } }, *bad;

		if (ibv_post_send(a, &wr, &bad))
			die("post WRITE: %s", strerror(errno));
		if (!poll_one(cq, &wc))
			die("no completion for the WRITE");
	}
	rfd = open(path, O_RDONLY);
	if (rfd < 0 || pread(rfd, check, sizeof(check), 0) != sizeof(check))
		die("read %s: %s", path, strerror(errno));
	close(rfd);
	wrote = check[0] != 'A';
	report(wc.status == IBV_WC_REM_ACCESS_ERR && !wrote,
	       "an RDMA WRITE to it fails with REM_ACCESS_ERR and the file is unchanged");
	if (wc.status != IBV_WC_REM_ACCESS_ERR || wrote)
		printf("#   WRITE: %s; file starts with '%c'\n", ibv_wc_status_str(wc.status),
		       check[0]);
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	ibv_dereg_mr(mr);
	ibv_dereg_mr(smr);
	ibv_destroy_cq(cq);
	munmap(file, len);
	munmap(src, len);
	close(fd);
}

/*
 * The error state's flush walked the SQ up to whatever producer index the
 * ring said, 2^31 WQEs with no end and no rescheduling, and the QP's
 * destroy waited for it.  Also, from the same completions: the CQE's last
 * 4 bytes, padding, came from the kernel's stack.
 */
static void t_flush_bogus_producer(void)
{
	const uint32_t depth = 16;
	const uint64_t marker = 0x686f647000000000ull;	/* "hodp" */
	struct ibv_cq *cq = ibv_create_cq(ctx, 4 * depth, NULL, NULL, 0);
	uint8_t *buf = map_anon(4096), *sq, *cqr;
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE);
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_ERR };
	struct hodp_ring *ring;
	struct ibv_qp *a, *b;
	struct ibv_wc wc;
	uint32_t flushed = 0, i, dirty = 0;
	unsigned long lo[256], hi[256];
	int nmaps, m;
	double t0;

	if (!cq || !mr)
		die("setup: %s", strerror(errno));
	rc_loopback_pair(pd, cq, depth, &a, &b);
	/* Two WRITEs that complete, to find the SQ and the CQ by their wr_id. */
	for (i = 0; i < 2; i++) {
		struct ibv_sge sge = { (uintptr_t)buf, 64, mr->lkey };
		struct ibv_send_wr wr = { .wr_id = marker | i, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { (uintptr_t)buf + 2048, mr->rkey } }, *bad;

		if (ibv_post_send(a, &wr, &bad) || !poll_one(cq, &wc) ||
		    wc.status != IBV_WC_SUCCESS)
			die("WRITE %u", i);
	}
	sq = ring_with(marker);
	if (!sq)
		die("no uverbs mapping holds the WR");
	/* The CQ ring is the other mapping with the marker: its slots are CQEs. */
	cqr = NULL;
	nmaps = uverbs_maps(lo, hi, 256);
	for (m = 0; m < nmaps; m++) {
		unsigned long off;

		if ((uint8_t *)lo[m] == sq)
			continue;
		for (off = HODP_RING_HDR_SIZE; off + sizeof(struct hodp_cqe) <= hi[m] - lo[m];
		     off += sizeof(struct hodp_cqe)) {
			struct hodp_cqe *cqe = (struct hodp_cqe *)(lo[m] + off);

			if ((cqe->wr_id & ~1ull) != marker)
				continue;
			cqr = (uint8_t *)lo[m];
			/* Bytes past network_hdr_type: reserved, zero. */
			for (i = offsetof(struct hodp_cqe, network_hdr_type) + 1; i < sizeof(*cqe);
			     i++)
				dirty += ((uint8_t *)cqe)[i] != 0;
		}
	}
	report(cqr && !dirty, "completion slots: every byte after the fields is zero");
	if (!cqr || dirty)
		printf("#   CQ ring %sfound, %u non-zero reserved bytes\n", cqr ? "" : "not ",
		       dirty);

	ring = (struct hodp_ring *)sq;
	__atomic_store_n(&ring->producer, ring->consumer + 0x80000000u, __ATOMIC_RELEASE);
	modify(a, &attr, IBV_QP_STATE, "a to ERR");
	while (poll_one_for(cq, &wc, 2))
		flushed++;
	t0 = now_us();
	if (ibv_destroy_qp(a))
		die("ibv_destroy_qp: %s", strerror(errno));
	report(flushed <= depth && now_us() - t0 < 5e6 * time_scale(),
	       "SQ producer index 2^31 ahead, then ERR: at most a ring's worth flushed (%u), "
	       "destroy in %.3f s", flushed, (now_us() - t0) / 1e6);
	ibv_destroy_qp(b);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	munmap(buf, 4096);
}

/* Keys were the next free index and one random byte: a peer could guess them. */
static void t_keys(void)
{
	enum { N = 32 };
	uint8_t *buf = map_anon(4096);
	struct ibv_mr *mr[N];
	int i, next = 0;

	for (i = 0; i < N; i++) {
		mr[i] = ibv_reg_mr(pd, buf, 4096, IBV_ACCESS_REMOTE_READ);
		if (!mr[i])
			die("ibv_reg_mr: %s", strerror(errno));
		if (i && (mr[i]->rkey >> 8) == (mr[i - 1]->rkey >> 8) + 1)
			next++;
	}
	report(next < N / 4, "%d MRs registered in a row: %d keys at the index after the last's",
	       N, next);
	for (i = 0; i < N; i++)
		ibv_dereg_mr(mr[i]);
	munmap(buf, 4096);
}

/* This process's memory cgroup charge, in bytes; -1 without one. */
static long long memcg_current(void)
{
	char path[600], line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "0::", 3))
		die("/proc/self/cgroup: not a cgroup v2 member");
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.current", line + 3);
	return file_ll(path);
}

/* Rings came from vmalloc_user(): up to 256 MiB each, charged to no one. */
static void t_memcg(void)
{
	struct ibv_device_attr dev;
	long long before, after;
	struct ibv_cq *cq;
	int cqe;

	if (ibv_query_device(ctx, &dev))
		die("ibv_query_device");
	cqe = dev.max_cqe < (1 << 20) ? dev.max_cqe : (1 << 20);
	before = memcg_current();
	if (before < 0) {
		report(false, "a memory cgroup to charge (memory.current)");
		return;
	}
	cq = ibv_create_cq(ctx, cqe, NULL, NULL, 0);
	if (!cq)
		die("ibv_create_cq %d: %s", cqe, strerror(errno));
	after = memcg_current();
	report(after - before >= (long long)cqe * (long long)sizeof(struct hodp_cqe) * 9 / 10,
	       "a CQ of %d entries is charged to the creator's memory cgroup (%lld KiB)", cqe,
	       (after - before) / 1024);
	ibv_destroy_cq(cq);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "cur-state", t_cur_state_lie },
	{ "rd-res", t_rd_res_grow },
	{ "rereg", t_rereg_ro },
	{ "flush", t_flush_bogus_producer },
	{ "keys", t_keys },
	{ "memcg", t_memcg },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 3)
		die("usage: hostile DEV RO_FILE [CASE]");
	ro_file = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# running as uid %d\n", getuid());
	ctx = open_device(argv[1]);
	pd = ibv_alloc_pd(ctx);
	if (!pd || ibv_query_gid(ctx, 1, GID_INDEX, &gid))
		die("setup: %s", strerror(errno));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (argc < 4 || !strcmp(argv[3], cases[i].name))
			cases[i].fn();
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return tap_failures != 0;
}
