// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Completion queues: the kernel writes hodp_cqe slots into a ring mapped
 * here, so polling is a memory read and never a system call.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hodp.h"

#define HODP_CQ_WC_FLAGS (IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_IMM | \
			  IBV_WC_EX_WITH_QP_NUM | IBV_WC_EX_WITH_SRC_QP | \
			  IBV_WC_EX_WITH_SLID | IBV_WC_EX_WITH_SL | \
			  IBV_WC_EX_WITH_DLID_PATH_BITS)

int hodp_uring_map(struct ibv_context *ctx, struct hodp_uring *q,
		   const struct hodp_ring_info *info)
{
	void *p;

	p = mmap(NULL, info->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ctx->cmd_fd, info->mmap_offset);
	if (p == MAP_FAILED)
		return errno;

	q->ring = p;
	q->slots = (char *)p + HODP_RING_HDR_SIZE;
	q->num_entries = info->num_entries;
	q->stride = info->stride;
	q->map_size = info->mmap_size;
	return 0;
}

void hodp_uring_unmap(struct hodp_uring *q)
{
	if (q->ring)
		munmap(q->ring, q->map_size);
	q->ring = NULL;
}

/* The next completion, or NULL; does not consume it. */
static const struct hodp_cqe *hodp_cq_peek(struct hodp_cq *cq)
{
	if (cq->cons == hodp_load_index(&cq->q.ring->producer))
		return NULL;
	return hodp_uring_slot(&cq->q, cq->cons);
}

/*
 * wc.sl of a UD receive carries the RoCE header type it came with, as
 * libmlx5 reports it (1 IPv6, 2 IPv4): an SL means nothing on RoCE, and UCX's
 * ud_verbs (1.18 and older) reads it to find the destination address in the
 * GRH area, dropping every datagram with sl 0 that arrived over IPv4.
 */
static uint8_t hodp_wc_sl(const struct hodp_cqe *cqe)
{
	if (!(cqe->wc_flags & HODP_WC_GRH))
		return cqe->sl;
	switch (cqe->network_hdr_type) {
	case HODP_NETWORK_IPV4:
		return 2;
	case HODP_NETWORK_IPV6:
		return 1;
	}
	return cqe->sl;
}

static void hodp_cq_consume(struct hodp_cq *cq)
{
	cq->cons++;
	hodp_store_index(&cq->q.ring->consumer, cq->cons);
}

int hodp_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	const struct hodp_cqe *cqe;
	int n;

	pthread_spin_lock(&cq->lock);
	for (n = 0; n < ne && (cqe = hodp_cq_peek(cq)); n++) {
		wc[n] = (struct ibv_wc) {
			.wr_id = cqe->wr_id,
			.status = cqe->status,
			.opcode = cqe->opcode,
			.vendor_err = cqe->vendor_err,
			.byte_len = cqe->byte_len,
			.imm_data = cqe->imm_data,
			.qp_num = cqe->qp_num,
			.src_qp = cqe->src_qp,
			.wc_flags = cqe->wc_flags,
			.pkey_index = cqe->pkey_index,
			.slid = cqe->slid,
			.sl = hodp_wc_sl(cqe),
			.dlid_path_bits = cqe->dlid_path_bits,
		};
		hodp_cq_consume(cq);
	}
	pthread_spin_unlock(&cq->lock);
	return n;
}

int hodp_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	return ibv_cmd_req_notify_cq(ibcq, solicited_only);
}

/* Make the next completion the current one of an extended poll. */
static int hodp_cq_load(struct ibv_cq_ex *ibcq, struct hodp_cq *cq)
{
	cq->cur = hodp_cq_peek(cq);
	if (!cq->cur)
		return ENOENT;
	ibcq->wr_id = cq->cur->wr_id;
	ibcq->status = cq->cur->status;
	return 0;
}

/* Extended polling: the lock is held from start_poll to end_poll. */
static int hodp_start_poll(struct ibv_cq_ex *ibcq, struct ibv_poll_cq_attr *attr)
{
	struct hodp_cq *cq = container_of(ibcq, struct hodp_cq, vcq.cq_ex);
	int ret;

	if (attr->comp_mask)
		return EINVAL;
	pthread_spin_lock(&cq->lock);
	ret = hodp_cq_load(ibcq, cq);
	if (ret)
		pthread_spin_unlock(&cq->lock);
	return ret;
}

static int hodp_next_poll(struct ibv_cq_ex *ibcq)
{
	struct hodp_cq *cq = container_of(ibcq, struct hodp_cq, vcq.cq_ex);

	hodp_cq_consume(cq);
	return hodp_cq_load(ibcq, cq);
}

static void hodp_end_poll(struct ibv_cq_ex *ibcq)
{
	struct hodp_cq *cq = container_of(ibcq, struct hodp_cq, vcq.cq_ex);

	if (cq->cur)
		hodp_cq_consume(cq);
	cq->cur = NULL;
	pthread_spin_unlock(&cq->lock);
}

#define HODP_CQ_READER(name, type, expr)					\
static type hodp_read_##name(struct ibv_cq_ex *ibcq)				\
{										\
	const struct hodp_cqe *cqe =						\
		container_of(ibcq, struct hodp_cq, vcq.cq_ex)->cur;		\
	return (type)(expr);							\
}

HODP_CQ_READER(opcode, enum ibv_wc_opcode, cqe->opcode)
HODP_CQ_READER(vendor_err, uint32_t, cqe->vendor_err)
HODP_CQ_READER(byte_len, uint32_t, cqe->byte_len)
HODP_CQ_READER(imm_data, __be32, cqe->imm_data)
HODP_CQ_READER(qp_num, uint32_t, cqe->qp_num)
HODP_CQ_READER(src_qp, uint32_t, cqe->src_qp)
HODP_CQ_READER(wc_flags, unsigned int, cqe->wc_flags)
HODP_CQ_READER(slid, uint32_t, cqe->slid)
HODP_CQ_READER(sl, uint8_t, hodp_wc_sl(cqe))
HODP_CQ_READER(dlid_path_bits, uint8_t, cqe->dlid_path_bits)

static void hodp_cq_set_ex_ops(struct ibv_cq_ex *cq)
{
	cq->start_poll = hodp_start_poll;
	cq->next_poll = hodp_next_poll;
	cq->end_poll = hodp_end_poll;
	cq->read_opcode = hodp_read_opcode;
	cq->read_vendor_err = hodp_read_vendor_err;
	cq->read_wc_flags = hodp_read_wc_flags;
	cq->read_byte_len = hodp_read_byte_len;
	cq->read_imm_data = hodp_read_imm_data;
	cq->read_qp_num = hodp_read_qp_num;
	cq->read_src_qp = hodp_read_src_qp;
	cq->read_slid = hodp_read_slid;
	cq->read_sl = hodp_read_sl;
	cq->read_dlid_path_bits = hodp_read_dlid_path_bits;
}

static struct hodp_cq *hodp_cq_alloc(void)
{
	struct hodp_cq *cq = calloc(1, sizeof(*cq));

	if (cq && pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(cq);
		return NULL;
	}
	return cq;
}

static void hodp_cq_free(struct hodp_cq *cq)
{
	pthread_spin_destroy(&cq->lock);
	free(cq);
}

/* Map the ring of a CQ the kernel just created; on failure the CQ is destroyed. */
static int hodp_cq_map(struct ibv_context *ctx, struct hodp_cq *cq,
		       const struct hodp_ring_info *info)
{
	int ret = hodp_uring_map(ctx, &cq->q, info);

	if (ret)
		ibv_cmd_destroy_cq(&cq->vcq.cq);
	return ret;
}

struct ibv_cq *hodp_create_cq(struct ibv_context *ctx, int cqe,
			      struct ibv_comp_channel *channel, int comp_vector)
{
	struct hodp_create_cq_cmd_resp resp = {};
	struct ibv_create_cq cmd;
	struct hodp_cq *cq;
	int ret;

	cq = hodp_cq_alloc();
	if (!cq)
		return NULL;

	ret = ibv_cmd_create_cq(ctx, cqe, channel, comp_vector, &cq->vcq.cq,
				&cmd, sizeof(cmd), &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto err_free;

	ret = hodp_cq_map(ctx, cq, &resp.drv.cq);
	if (ret)
		goto err_free;
	return &cq->vcq.cq;

err_free:
	hodp_cq_free(cq);
	errno = ret;
	return NULL;
}

struct ibv_cq_ex *hodp_create_cq_ex(struct ibv_context *ctx,
				    struct ibv_cq_init_attr_ex *attr)
{
	struct hodp_create_cq_ex_cmd_resp resp = {};
	struct ibv_create_cq_ex cmd;
	struct hodp_cq *cq;
	int ret;

	if (attr->wc_flags & ~HODP_CQ_WC_FLAGS) {
		errno = EOPNOTSUPP;
		return NULL;
	}

	cq = hodp_cq_alloc();
	if (!cq)
		return NULL;

	ret = hodp_cmd_create_cq_ex(ctx, attr, &cq->vcq, &cmd, sizeof(cmd), &resp.ibv_resp,
				    sizeof(resp));
	if (ret)
		goto err_free;

	ret = hodp_cq_map(ctx, cq, &resp.drv.cq);
	if (ret)
		goto err_free;
	hodp_cq_set_ex_ops(&cq->vcq.cq_ex);
	return &cq->vcq.cq_ex;

err_free:
	hodp_cq_free(cq);
	errno = ret;
	return NULL;
}

int hodp_resize_cq(struct ibv_cq *ibcq, int cqe)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	struct hodp_resize_cq_cmd_resp resp = {};
	struct ibv_resize_cq cmd;
	struct hodp_uring newq = {};
	int ret;

	pthread_spin_lock(&cq->lock);
	ret = ibv_cmd_resize_cq(ibcq, cqe, &cmd, sizeof(cmd), &resp.ibv_resp,
				sizeof(resp));
	if (!ret)
		ret = hodp_uring_map(ibcq->context, &newq, &resp.drv.cq);
	if (!ret) {
		/* The kernel moved pending completions to the start of the new ring. */
		hodp_uring_unmap(&cq->q);
		cq->q = newq;
		cq->cons = 0;
	}
	pthread_spin_unlock(&cq->lock);
	return ret;
}

int hodp_destroy_cq(struct ibv_cq *ibcq)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	int ret;

	ret = ibv_cmd_destroy_cq(ibcq);
	if (ret)
		return ret;

	hodp_uring_unmap(&cq->q);
	hodp_cq_free(cq);
	return 0;
}

/*
 * Drop the completions of QP @qpn still waiting in @ibcq (a QP reset discards
 * them).  Survivors move towards the producer, so the kernel, which only
 * writes at and beyond the producer index, is never in the way.
 */
void hodp_cq_clean(struct ibv_cq *ibcq, uint32_t qpn)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	uint32_t prod, i, freed = 0;

	pthread_spin_lock(&cq->lock);
	prod = hodp_load_index(&cq->q.ring->producer);
	/* A ring's worth at most, whatever the (writable) index says. */
	if (prod - cq->cons > cq->q.num_entries)
		prod = cq->cons + cq->q.num_entries;
	for (i = prod; i != cq->cons; i--) {
		struct hodp_cqe *cqe = hodp_uring_slot(&cq->q, i - 1);

		if (cqe->qp_num == qpn)
			freed++;
		else if (freed)
			memcpy(hodp_uring_slot(&cq->q, i - 1 + freed), cqe, sizeof(*cqe));
	}
	if (freed) {
		cq->cons += freed;
		hodp_store_index(&cq->q.ring->consumer, cq->cons);
	}
	pthread_spin_unlock(&cq->lock);
}
