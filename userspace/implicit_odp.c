// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * implicit_odp [DEV]: an example of implicit on-demand paging.
 *
 * One memory region is registered for the whole address space:
 *
 *	ibv_reg_mr(pd, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND | ...)
 *
 * Its lkey and rkey are then valid for any address of this process, including
 * memory that did not exist at registration.  Nothing is pinned: the device
 * faults pages in when it meets them and lets go of them when the kernel
 * unmaps or moves them.  The program connects two RC QPs on DEV (default
 * hodp0) to each other, allocates buffers only after registering, does an
 * RDMA WRITE and an RDMA READ between them through the one MR, checks every
 * byte, prefetches a third buffer with ibv_advise_mr() and shows that using it
 * then costs no page fault, and prints the MR's counters as the kernel keeps
 * them ("rdma statistic show mr").
 *
 * Build: cc implicit_odp.c -libverbs.  Needs a device with
 * IBV_ODP_SUPPORT_IMPLICIT (see ibv_devinfo -v).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define SIZE	(8u << 20)	/* bytes per buffer */

#define die(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (list)
		ibv_free_device_list(list);
	return ctx;
}

/* RESET -> INIT -> RTR -> RTS towards @dest on this port's RoCEv2 GID 1. */
static void connect_qp(struct ibv_qp *qp, uint32_t dest, union ibv_gid *gid)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			  IBV_QP_ACCESS_FLAGS))
		die("INIT: %s", strerror(errno));
	attr = (struct ibv_qp_attr) {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024, .dest_qp_num = dest,
		.max_dest_rd_atomic = 4, .min_rnr_timer = 12,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = *gid, .sgid_index = 1, .hop_limit = 64 } },
	};
	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			  IBV_QP_MIN_RNR_TIMER))
		die("RTR: %s", strerror(errno));
	attr = (struct ibv_qp_attr) { .qp_state = IBV_QPS_RTS, .timeout = 14, .retry_cnt = 7,
				      .rnr_retry = 7, .max_rd_atomic = 4 };
	if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
		die("RTS: %s", strerror(errno));
}

/* One RDMA operation of @len bytes through the implicit MR; waits for it. */
static void rdma(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_mr *mr,
		 enum ibv_wr_opcode op, void *local, void *remote, uint32_t len)
{
	struct ibv_sge sge = { (uintptr_t)local, len, mr->lkey };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED,
				  .wr.rdma = { (uintptr_t)remote, mr->rkey } }, *bad;
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(qp, &wr, &bad))
		die("post_send: %s", strerror(errno));
	while ((n = ibv_poll_cq(cq, 1, &wc)) == 0)
		;
	if (n < 0 || wc.status != IBV_WC_SUCCESS)
		die("completion: %s", ibv_wc_status_str(wc.status));
}

static void *fresh(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "hodp0";
	struct ibv_qp_init_attr init = { .qp_type = IBV_QPT_RC,
					 .cap = { .max_send_wr = 4, .max_recv_wr = 1,
						  .max_send_sge = 1, .max_recv_sge = 1 } };
	struct ibv_device_attr_ex attr;
	struct ibv_context *ctx;
	struct ibv_qp *qa, *qb;
	uint8_t *src, *dst, *back, *pre;
	struct ibv_sge sge;
	union ibv_gid gid;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	size_t i;

	ctx = open_dev(dev);
	if (!ctx)
		die("no device %s", dev);
	if (ibv_query_device_ex(ctx, NULL, &attr) ||
	    !(attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT))
		die("%s has no implicit ODP", dev);
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 8, NULL, NULL, 0);
	if (!pd || !cq || ibv_query_gid(ctx, 1, 1, &gid))
		die("setup: %s", strerror(errno));
	init.send_cq = init.recv_cq = cq;
	qa = ibv_create_qp(pd, &init);
	qb = ibv_create_qp(pd, &init);
	if (!qa || !qb)
		die("ibv_create_qp: %s", strerror(errno));
	connect_qp(qa, qb->qp_num, &gid);
	connect_qp(qb, qa->qp_num, &gid);

	/* 1. One MR for everything: address NULL, length SIZE_MAX. */
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!mr)
		die("implicit ibv_reg_mr: %s", strerror(errno));
	printf("implicit MR: lkey 0x%x rkey 0x%x, valid for every address\n", mr->lkey,
	       mr->rkey);

	/* 2. Buffers that did not exist when the MR was registered. */
	src = fresh(SIZE);
	dst = fresh(SIZE);
	back = fresh(SIZE);
	for (i = 0; i < SIZE; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 12));

	/* 3. RDMA WRITE src -> dst, RDMA READ dst -> back, all through the one MR. */
	rdma(qa, cq, mr, IBV_WR_RDMA_WRITE, src, dst, SIZE);
	rdma(qa, cq, mr, IBV_WR_RDMA_READ, back, dst, SIZE);
	if (memcmp(src, dst, SIZE) || memcmp(src, back, SIZE))
		die("data differs");
	printf("RDMA WRITE and READ of %u MiB into memory mapped after registration: "
	       "every byte checked\n", SIZE >> 20);

	/* 4. Prefetch a new buffer for writing, synchronously: the WRITE then faults nothing. */
	pre = fresh(SIZE);
	sge = (struct ibv_sge) { (uintptr_t)pre, SIZE, mr->lkey };
	if (ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, IBV_ADVISE_MR_FLAG_FLUSH,
			  &sge, 1))
		die("ibv_advise_mr: %s", strerror(errno));
	rdma(qa, cq, mr, IBV_WR_RDMA_WRITE, src, pre, SIZE);
	if (memcmp(src, pre, SIZE))
		die("data differs");
	printf("prefetched %u MiB with ibv_advise_mr(PREFETCH_WRITE, FLUSH), then wrote it\n",
	       SIZE >> 20);

	/* 5. What the device did, per MR (page_faults stayed put across step 4). */
	printf("\nrdma statistic show mr:\n");
	fflush(stdout);
	if (system("rdma statistic show mr"))
		printf("(rdma statistic not available)\n");

	munmap(src, SIZE);
	munmap(dst, SIZE);
	munmap(back, SIZE);
	munmap(pre, SIZE);
	ibv_dereg_mr(mr);
	ibv_destroy_qp(qa);
	ibv_destroy_qp(qb);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return 0;
}
