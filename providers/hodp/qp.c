// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Queue pairs: posting writes WQEs into rings shared with the kernel and
 * makes a system call (a zero-WR post_send) only when the kernel has said
 * its requester is idle.  Both ibv_post_send() and the ibv_wr_*() API.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hodp.h"

int hodp_wq_init(struct hodp_wq *wq, struct ibv_context *ctx, const struct hodp_ring_info *info,
		 uint32_t max_sge)
{
	int ret;

	ret = pthread_spin_init(&wq->lock, PTHREAD_PROCESS_PRIVATE);
	if (ret)
		return ret;
	ret = hodp_uring_map(ctx, &wq->q, info);
	if (ret) {
		pthread_spin_destroy(&wq->lock);
		return ret;
	}
	wq->prod = wq->q.ring->producer;
	wq->max_sge = max_sge;
	return 0;
}

void hodp_wq_cleanup(struct hodp_wq *wq)
{
	if (!wq->q.ring)
		return;
	hodp_uring_unmap(&wq->q);
	pthread_spin_destroy(&wq->lock);
}

static bool hodp_wq_full(struct hodp_wq *wq, uint32_t prod)
{
	return prod - hodp_load_index(&wq->q.ring->consumer) >= wq->q.num_entries;
}

/* Publish everything written up to @prod; true if the kernel asked for a kick. */
static bool hodp_wq_publish(struct hodp_wq *wq, uint32_t prod)
{
	wq->prod = prod;
	hodp_store_index(&wq->q.ring->producer, prod);
	/* Order the producer store before reading the doorbell flag (see the kernel's twin). */
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit((_Atomic(uint32_t) *)&wq->q.ring->doorbell,
				    memory_order_relaxed);
}

/* The doorbell: an empty post_send makes the kernel run the QP. */
static int hodp_doorbell(struct ibv_qp *ibqp)
{
	struct ib_uverbs_post_send_resp resp;
	struct ibv_post_send cmd = {};

	cmd.hdr.command = IB_USER_VERBS_CMD_POST_SEND;
	cmd.hdr.in_words = sizeof(cmd) / 4;
	cmd.hdr.out_words = sizeof(resp) / 4;
	cmd.response = (uintptr_t)&resp;
	cmd.qp_handle = ibqp->handle;
	cmd.wqe_size = sizeof(struct ibv_send_wr);
	if (write(ibqp->context->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
		return errno;
	return 0;
}

/*
 * A window bind.  Type 1 windows are bound through ibv_bind_mw() only, type 2
 * through work requests only.  The window takes its new key once posted.
 */
static int hodp_fill_bind(struct hodp_send_wqe *wqe, struct ibv_mw *mw, uint32_t rkey,
			  const struct ibv_mw_bind_info *info, enum ibv_mw_type type)
{
	if (!mw || mw->type != type || (info->length && !info->mr))
		return EINVAL;
	wqe->opcode = IBV_WR_BIND_MW;
	wqe->wr.bind.addr = info->addr;
	wqe->wr.bind.length = info->length;
	wqe->wr.bind.mr_lkey = info->mr ? info->mr->lkey : 0;
	wqe->wr.bind.mw_rkey = mw->rkey;
	wqe->wr.bind.new_rkey = rkey;
	wqe->wr.bind.access = info->mw_access_flags;
	mw->rkey = rkey;
	return 0;
}

/* The work request opcodes a QP type offers, bit n for ibv_wr_opcode n (the ABI's table). */
static uint32_t hodp_wr_ops(enum ibv_qp_type type)
{
	switch (type) {
	case IBV_QPT_RC:
		return HODP_RC_WR_OPS;
	case IBV_QPT_UC:
		return HODP_UC_WR_OPS;
	case IBV_QPT_UD:
		return HODP_UD_WR_OPS;
	case IBV_QPT_XRC_SEND:
		return HODP_XRC_WR_OPS;
	default:
		return 0;	/* an XRC target sends nothing */
	}
}

/* The same as ibv_wr_*() operations (IBV_QP_EX_WITH_*, whose bits differ from 10 on). */
static uint64_t hodp_send_ops(enum ibv_qp_type type)
{
	static const struct {
		enum ibv_wr_opcode wr;
		uint64_t with;
	} map[] = {
		{ IBV_WR_RDMA_WRITE, IBV_QP_EX_WITH_RDMA_WRITE },
		{ IBV_WR_RDMA_WRITE_WITH_IMM, IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM },
		{ IBV_WR_SEND, IBV_QP_EX_WITH_SEND },
		{ IBV_WR_SEND_WITH_IMM, IBV_QP_EX_WITH_SEND_WITH_IMM },
		{ IBV_WR_RDMA_READ, IBV_QP_EX_WITH_RDMA_READ },
		{ IBV_WR_ATOMIC_CMP_AND_SWP, IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP },
		{ IBV_WR_ATOMIC_FETCH_AND_ADD, IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD },
		{ IBV_WR_LOCAL_INV, IBV_QP_EX_WITH_LOCAL_INV },
		{ IBV_WR_BIND_MW, IBV_QP_EX_WITH_BIND_MW },
		{ IBV_WR_SEND_WITH_INV, IBV_QP_EX_WITH_SEND_WITH_INV },
		{ IBV_WR_FLUSH, IBV_QP_EX_WITH_FLUSH },
		{ IBV_WR_ATOMIC_WRITE, IBV_QP_EX_WITH_ATOMIC_WRITE },
	};
	uint32_t ops = hodp_wr_ops(type);
	uint64_t with = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ops & (1u << map[i].wr))
			with |= map[i].with;
	return with;
}

static int hodp_fill_send(struct hodp_qp *qp, struct hodp_send_wqe *wqe, struct ibv_send_wr *wr,
			  enum ibv_mw_type bind_type)
{
	uint32_t i, len = 0;

	if ((unsigned int)wr->opcode >= 32 ||
	    !(hodp_wr_ops(qp->vqp.qp.qp_type) & (1u << wr->opcode)))
		return EINVAL;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	if (qp->vqp.qp.qp_type == IBV_QPT_XRC_SEND)
		wqe->xrc_srqn = wr->qp_type.xrc.remote_srqn;

	switch (wr->opcode) {
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		wqe->imm_data = wr->imm_data;
		break;
	case IBV_WR_SEND_WITH_INV:
	case IBV_WR_LOCAL_INV:
		wqe->imm_data = wr->invalidate_rkey;
		break;
	default:
		break;
	}
	switch (wr->opcode) {
	case IBV_WR_LOCAL_INV:
		return 0;
	case IBV_WR_BIND_MW:
		return hodp_fill_bind(wqe, wr->bind_mw.mw, wr->bind_mw.rkey,
				      &wr->bind_mw.bind_info, bind_type);
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = wr->wr.rdma.remote_addr;
		wqe->wr.rdma.rkey = wr->wr.rdma.rkey;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = wr->wr.atomic.remote_addr;
		wqe->wr.atomic.compare_add = wr->wr.atomic.compare_add;
		wqe->wr.atomic.swap = wr->wr.atomic.swap;
		wqe->wr.atomic.rkey = wr->wr.atomic.rkey;
		break;
	case IBV_WR_SEND:
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_SEND_WITH_INV:
		if (qp->vqp.qp.qp_type == IBV_QPT_UD) {
			if (!wr->wr.ud.ah)
				return EINVAL;
			wqe->wr.ud.ah_num = to_hah(wr->wr.ud.ah)->ah_num;
			wqe->wr.ud.remote_qpn = wr->wr.ud.remote_qpn;
			wqe->wr.ud.remote_qkey = wr->wr.ud.remote_qkey;
		}
		break;
	default:
		return EINVAL;
	}

	if (wr->num_sge < 0)
		return EINVAL;
	if (wr->send_flags & IBV_SEND_INLINE) {
		char *dst = (char *)wqe->sge;

		for (i = 0; i < (uint32_t)wr->num_sge; i++) {
			if (wr->sg_list[i].length > qp->max_inline - len)
				return EINVAL;
			memcpy(dst + len, (void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			len += wr->sg_list[i].length;
		}
		wqe->inline_len = len;
		return 0;
	}
	if ((uint32_t)wr->num_sge > qp->sq.max_sge)
		return EINVAL;
	wqe->num_sge = wr->num_sge;
	memcpy(wqe->sge, wr->sg_list, wr->num_sge * sizeof(struct hodp_sge));
	return 0;
}

/*
 * Sending needs a send queue (an XRC target has none) in RTS (or SQD/ERR,
 * where WRs wait or flush); libibverbs tracks the state.
 */
static bool hodp_can_send(struct ibv_qp *ibqp)
{
	return to_hqp(ibqp)->sq.q.ring && ibqp->state != IBV_QPS_RESET &&
	       ibqp->state != IBV_QPS_INIT && ibqp->state != IBV_QPS_RTR;
}

static int hodp_post_send_wrs(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
			       struct ibv_send_wr **bad, enum ibv_mw_type bind_type)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	uint32_t prod;
	bool kick;
	int ret = 0;

	if (!hodp_can_send(ibqp)) {
		*bad = wr;
		return EINVAL;
	}

	pthread_spin_lock(&qp->sq.lock);
	prod = qp->sq.prod;
	for (; wr; wr = wr->next) {
		if (hodp_wq_full(&qp->sq, prod)) {
			ret = ENOMEM;
		} else {
			ret = hodp_fill_send(qp, hodp_uring_slot(&qp->sq.q, prod), wr, bind_type);
			if (!ret)
				prod++;
		}
		if (ret) {
			*bad = wr;
			break;
		}
	}
	kick = hodp_wq_publish(&qp->sq, prod);
	pthread_spin_unlock(&qp->sq.lock);
	if (kick) {
		int err = hodp_doorbell(ibqp);

		ret = ret ?: err;
	}
	return ret;
}

int hodp_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad)
{
	return hodp_post_send_wrs(ibqp, wr, bad, IBV_MW_TYPE_2);
}

int hodp_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *mw, struct ibv_mw_bind *mw_bind)
{
	struct ibv_send_wr wr = {
		.wr_id = mw_bind->wr_id,
		.opcode = IBV_WR_BIND_MW,
		.send_flags = mw_bind->send_flags,
		.bind_mw = {
			.mw = mw,
			.rkey = ibv_inc_rkey(mw->rkey),
			.bind_info = mw_bind->bind_info,
		},
	}, *bad;

	return hodp_post_send_wrs(ibqp, &wr, &bad, IBV_MW_TYPE_1);
}

int hodp_wq_post_recv(struct hodp_wq *wq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad,
		      bool *kick)
{
	uint32_t prod;
	int ret = 0;

	pthread_spin_lock(&wq->lock);
	prod = wq->prod;
	for (; wr; wr = wr->next) {
		struct hodp_recv_wqe *rwqe;

		if (hodp_wq_full(wq, prod))
			ret = ENOMEM;
		else if (wr->num_sge < 0 || (uint32_t)wr->num_sge > wq->max_sge)
			ret = EINVAL;
		if (ret) {
			*bad = wr;
			break;
		}
		rwqe = hodp_uring_slot(&wq->q, prod);
		rwqe->wr_id = wr->wr_id;
		rwqe->num_sge = wr->num_sge;
		memcpy(rwqe->sge, wr->sg_list, wr->num_sge * sizeof(struct hodp_sge));
		prod++;
	}
	*kick = hodp_wq_publish(wq, prod);
	pthread_spin_unlock(&wq->lock);
	return ret;
}

int hodp_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	bool kick;
	int ret;

	/* Not with an SRQ, nor on XRC QPs: no receive queue is mapped. */
	if (!qp->rq.q.ring || ibqp->state == IBV_QPS_RESET) {
		*bad = wr;
		return EINVAL;
	}
	ret = hodp_wq_post_recv(&qp->rq, wr, bad, &kick);
	/* The QP is in error: the kernel flushes what was just posted once kicked. */
	if (kick) {
		int err = hodp_doorbell(ibqp);

		ret = ret ?: err;
	}
	return ret;
}

/* ibv_wr_*(): build WQEs in place, publish them all at wr_complete(). */
static struct hodp_qp *qpx_to_hqp(struct ibv_qp_ex *qpx)
{
	return container_of(qpx, struct hodp_qp, vqp.qp_ex);
}

static void hodp_wr_start(struct ibv_qp_ex *qpx)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);

	pthread_spin_lock(&qp->sq.lock);
	qp->cur_prod = qp->sq.prod;
	qp->cur = NULL;
	qp->wr_err = 0;
}

static int hodp_wr_complete(struct ibv_qp_ex *qpx)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);
	int ret = qp->wr_err;
	bool kick = false;

	if (!ret && !hodp_can_send(&qp->vqp.qp))
		ret = EINVAL;
	if (!ret)
		kick = hodp_wq_publish(&qp->sq, qp->cur_prod);
	pthread_spin_unlock(&qp->sq.lock);
	if (kick)
		ret = hodp_doorbell(&qp->vqp.qp);
	return ret;
}

static void hodp_wr_abort(struct ibv_qp_ex *qpx)
{
	pthread_spin_unlock(&qpx_to_hqp(qpx)->sq.lock);
}

/* Open the next slot for a WQE of @opcode; NULL (and wr_err set) when full. */
static struct hodp_send_wqe *hodp_wr_new(struct ibv_qp_ex *qpx, enum ibv_wr_opcode opcode)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);
	struct hodp_send_wqe *wqe;

	qp->cur = NULL;
	if (qp->wr_err)
		return NULL;
	if (hodp_wq_full(&qp->sq, qp->cur_prod)) {
		qp->wr_err = ENOMEM;
		return NULL;
	}
	wqe = hodp_uring_slot(&qp->sq.q, qp->cur_prod++);
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = qpx->wr_id;
	wqe->send_flags = qpx->wr_flags;
	wqe->opcode = opcode;
	qp->cur = wqe;
	return wqe;
}

static void hodp_wr_send(struct ibv_qp_ex *qpx)
{
	hodp_wr_new(qpx, IBV_WR_SEND);
}

static void hodp_wr_send_imm(struct ibv_qp_ex *qpx, __be32 imm)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->imm_data = imm;
}

static void hodp_wr_send_inv(struct ibv_qp_ex *qpx, uint32_t rkey)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_SEND_WITH_INV);

	if (wqe)
		wqe->imm_data = rkey;
}

static void hodp_wr_rdma(struct ibv_qp_ex *qpx, enum ibv_wr_opcode op, uint32_t rkey,
			 uint64_t addr, __be32 imm)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, op);

	if (!wqe)
		return;
	wqe->wr.rdma.remote_addr = addr;
	wqe->wr.rdma.rkey = rkey;
	wqe->imm_data = imm;
}

static void hodp_wr_rdma_write(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr)
{
	hodp_wr_rdma(qpx, IBV_WR_RDMA_WRITE, rkey, addr, 0);
}

static void hodp_wr_rdma_write_imm(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr,
				   __be32 imm)
{
	hodp_wr_rdma(qpx, IBV_WR_RDMA_WRITE_WITH_IMM, rkey, addr, imm);
}

static void hodp_wr_rdma_read(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr)
{
	hodp_wr_rdma(qpx, IBV_WR_RDMA_READ, rkey, addr, 0);
}

static void hodp_wr_atomic(struct ibv_qp_ex *qpx, enum ibv_wr_opcode op, uint32_t rkey,
			   uint64_t addr, uint64_t compare_add, uint64_t swap)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, op);

	if (!wqe)
		return;
	wqe->wr.atomic.remote_addr = addr;
	wqe->wr.atomic.rkey = rkey;
	wqe->wr.atomic.compare_add = compare_add;
	wqe->wr.atomic.swap = swap;
}

static void hodp_wr_atomic_cmp_swp(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr,
				   uint64_t compare, uint64_t swap)
{
	hodp_wr_atomic(qpx, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, addr, compare, swap);
}

static void hodp_wr_atomic_fetch_add(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr,
				     uint64_t add)
{
	hodp_wr_atomic(qpx, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, addr, add, 0);
}

static void hodp_wr_set_sge_list(struct ibv_qp_ex *qpx, size_t num_sge,
				 const struct ibv_sge *sg_list)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);

	if (!qp->cur)
		return;
	if (num_sge > qp->sq.max_sge) {
		qp->wr_err = EINVAL;
		return;
	}
	qp->cur->num_sge = num_sge;
	memcpy(qp->cur->sge, sg_list, num_sge * sizeof(struct hodp_sge));
}

static void hodp_wr_set_sge(struct ibv_qp_ex *qpx, uint32_t lkey, uint64_t addr,
			    uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	hodp_wr_set_sge_list(qpx, 1, &sge);
}

static void hodp_wr_set_inline_data_list(struct ibv_qp_ex *qpx, size_t num_buf,
					 const struct ibv_data_buf *buf_list)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);
	uint32_t len = 0;
	size_t i;

	if (!qp->cur)
		return;
	for (i = 0; i < num_buf; i++) {
		if (buf_list[i].length > qp->max_inline - len) {
			qp->wr_err = EINVAL;
			return;
		}
		memcpy((char *)qp->cur->sge + len, buf_list[i].addr, buf_list[i].length);
		len += buf_list[i].length;
	}
	qp->cur->inline_len = len;
	qp->cur->send_flags |= IBV_SEND_INLINE;
}

static void hodp_wr_set_inline_data(struct ibv_qp_ex *qpx, void *addr, size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	hodp_wr_set_inline_data_list(qpx, 1, &buf);
}

static void hodp_wr_set_ud_addr(struct ibv_qp_ex *qpx, struct ibv_ah *ah, uint32_t remote_qpn,
				uint32_t remote_qkey)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);

	if (!qp->cur)
		return;
	qp->cur->wr.ud.ah_num = to_hah(ah)->ah_num;
	qp->cur->wr.ud.remote_qpn = remote_qpn;
	qp->cur->wr.ud.remote_qkey = remote_qkey;
}

/* Operations hodp does not offer fail the batch rather than crash the caller. */
static void hodp_wr_unsupported(struct ibv_qp_ex *qpx)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);

	qp->cur = NULL;
	if (!qp->wr_err)
		qp->wr_err = EOPNOTSUPP;
}

static void hodp_wr_bind_mw(struct ibv_qp_ex *qpx, struct ibv_mw *mw, uint32_t rkey,
			    const struct ibv_mw_bind_info *info)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_BIND_MW);

	if (wqe && hodp_fill_bind(wqe, mw, rkey, info, IBV_MW_TYPE_2))
		qpx_to_hqp(qpx)->wr_err = EINVAL;
}

static void hodp_wr_local_inv(struct ibv_qp_ex *qpx, uint32_t rkey)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_LOCAL_INV);

	if (wqe)
		wqe->imm_data = rkey;
}

static void hodp_wr_send_tso(struct ibv_qp_ex *qpx, void *hdr, uint16_t hdr_sz, uint16_t mss)
{
	hodp_wr_unsupported(qpx);
}

static void hodp_wr_set_xrc_srqn(struct ibv_qp_ex *qpx, uint32_t srqn)
{
	struct hodp_qp *qp = qpx_to_hqp(qpx);

	if (!qp->cur)
		return;
	if (qp->vqp.qp.qp_type != IBV_QPT_XRC_SEND)
		qp->wr_err = EINVAL;
	qp->cur->xrc_srqn = srqn;
}

static void hodp_wr_atomic_write(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr,
				 const void *data)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_ATOMIC_WRITE);

	if (!wqe)
		return;
	wqe->wr.atomic_write.remote_addr = addr;
	wqe->wr.atomic_write.rkey = rkey;
	memcpy(&wqe->wr.atomic_write.value, data, sizeof(wqe->wr.atomic_write.value));
}

static void hodp_wr_flush(struct ibv_qp_ex *qpx, uint32_t rkey, uint64_t addr, size_t len,
			  uint8_t type, uint8_t level)
{
	struct hodp_send_wqe *wqe = hodp_wr_new(qpx, IBV_WR_FLUSH);

	if (!wqe)
		return;
	if (len > UINT32_MAX) {
		qpx_to_hqp(qpx)->wr_err = EINVAL;
		return;
	}
	wqe->wr.flush.remote_addr = addr;
	wqe->wr.flush.rkey = rkey;
	wqe->wr.flush.length = len;
	wqe->wr.flush.type = type;
	wqe->wr.flush.level = level;
}

static int hodp_check_qp_attr(struct ibv_qp_init_attr_ex *attr)
{
	uint64_t ops;

	if (attr->comp_mask & ~(IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_XRCD |
				 IBV_QP_INIT_ATTR_SEND_OPS_FLAGS | IBV_QP_INIT_ATTR_CREATE_FLAGS))
		return EOPNOTSUPP;
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS))
		return 0;
	ops = hodp_send_ops(attr->qp_type);
	if (!ops)
		return EOPNOTSUPP;
	return attr->send_ops_flags & ~ops ? EOPNOTSUPP : 0;
}

static void hodp_set_wr_ops(struct ibv_qp_ex *qpx)
{
	qpx->wr_start = hodp_wr_start;
	qpx->wr_complete = hodp_wr_complete;
	qpx->wr_abort = hodp_wr_abort;
	qpx->wr_send = hodp_wr_send;
	qpx->wr_send_imm = hodp_wr_send_imm;
	qpx->wr_send_inv = hodp_wr_send_inv;
	qpx->wr_rdma_write = hodp_wr_rdma_write;
	qpx->wr_rdma_write_imm = hodp_wr_rdma_write_imm;
	qpx->wr_rdma_read = hodp_wr_rdma_read;
	qpx->wr_atomic_cmp_swp = hodp_wr_atomic_cmp_swp;
	qpx->wr_atomic_fetch_add = hodp_wr_atomic_fetch_add;
	qpx->wr_set_sge = hodp_wr_set_sge;
	qpx->wr_set_sge_list = hodp_wr_set_sge_list;
	qpx->wr_set_inline_data = hodp_wr_set_inline_data;
	qpx->wr_set_inline_data_list = hodp_wr_set_inline_data_list;
	qpx->wr_set_ud_addr = hodp_wr_set_ud_addr;
	qpx->wr_bind_mw = hodp_wr_bind_mw;
	qpx->wr_local_inv = hodp_wr_local_inv;
	qpx->wr_send_tso = hodp_wr_send_tso;
	qpx->wr_set_xrc_srqn = hodp_wr_set_xrc_srqn;
	qpx->wr_atomic_write = hodp_wr_atomic_write;
	qpx->wr_flush = hodp_wr_flush;
}

/*
 * Map the rings the kernel reported for a new QP: none for an XRC target
 * (the kernel's own, never posted to), no RQ with an SRQ or on XRC.
 */
static int hodp_qp_map(struct hodp_qp *qp, struct ibv_context *ctx,
		       const struct hodp_create_qp_resp *resp,
		       const struct ibv_qp_init_attr_ex *attr)
{
	int ret;

	if (attr->qp_type == IBV_QPT_XRC_RECV)
		return 0;
	qp->max_inline = resp->max_inline_data;
	ret = hodp_wq_init(&qp->sq, ctx, &resp->sq, attr->cap.max_send_sge);
	if (ret)
		return ret;
	if (!attr->srq && attr->qp_type != IBV_QPT_XRC_SEND) {
		ret = hodp_wq_init(&qp->rq, ctx, &resp->rq, attr->cap.max_recv_sge);
		if (ret) {
			hodp_wq_cleanup(&qp->sq);
			return ret;
		}
	}
	return 0;
}

struct ibv_qp *hodp_create_qp_ex(struct ibv_context *ctx, struct ibv_qp_init_attr_ex *attr)
{
	struct hodp_create_qp_ex_cmd_resp resp = {};
	struct ibv_create_qp_ex cmd = {};
	struct hodp_qp *qp;
	int ret;

	ret = hodp_check_qp_attr(attr);
	if (ret) {
		errno = ret;
		return NULL;
	}
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;

	ret = hodp_cmd_create_qp_ex2(ctx, &qp->vqp, attr, &cmd, sizeof(cmd), &resp.ibv_resp,
				     sizeof(resp));
	if (ret)
		goto err_free;
	ret = hodp_qp_map(qp, ctx, &resp.drv, attr);
	if (ret)
		goto err_destroy;
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		hodp_set_wr_ops(&qp->vqp.qp_ex);
		qp->vqp.comp_mask |= VERBS_QP_EX;
	}
	return &qp->vqp.qp;

err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	free(qp);
	errno = ret;
	return NULL;
}

struct ibv_qp *hodp_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct ibv_qp *qp;

	qp = hodp_create_qp_ex(pd->context, &attr_ex);
	if (qp)
		attr->cap = attr_ex.cap;
	return qp;
}

int hodp_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask)
{
	struct ibv_modify_qp cmd = {};
	int ret;

	ret = ibv_cmd_modify_qp(ibqp, attr, mask, &cmd, sizeof(cmd));
	/*
	 * A reset QP starts over: its completions still queued go too, as on
	 * mlx5.  An XRC target's are its SRQs', which it does not know; an
	 * XRC initiator has no receive CQ.
	 */
	if (!ret && (mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_RESET &&
	    ibqp->qp_type != IBV_QPT_XRC_RECV) {
		struct ibv_cq *rcq = ibqp->qp_type == IBV_QPT_XRC_SEND ? NULL : ibqp->recv_cq;

		if (rcq)
			hodp_cq_clean(rcq, ibqp->qp_num);
		if (ibqp->send_cq != rcq)
			hodp_cq_clean(ibqp->send_cq, ibqp->qp_num);
	}
	return ret;
}

/* An XRC target another process created: a handle, no rings. */
struct ibv_qp *hodp_open_qp(struct ibv_context *ctx, struct ibv_qp_open_attr *attr)
{
	struct ib_uverbs_create_qp_resp resp;
	struct ibv_open_qp cmd;
	struct hodp_qp *qp;
	int ret;

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	ret = ibv_cmd_open_qp(ctx, &qp->vqp, sizeof(qp->vqp), attr, &cmd, sizeof(cmd), &resp,
			      sizeof(resp));
	if (ret) {
		free(qp);
		errno = ret;
		return NULL;
	}
	return &qp->vqp.qp;
}

int hodp_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask,
		  struct ibv_qp_init_attr *init)
{
	struct ibv_query_qp cmd = {};

	return ibv_cmd_query_qp(ibqp, attr, mask, init, &cmd, sizeof(cmd));
}

int hodp_destroy_qp(struct ibv_qp *ibqp)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	int ret;

	ret = ibv_cmd_destroy_qp(ibqp);
	if (ret)
		return ret;
	hodp_wq_cleanup(&qp->sq);
	hodp_wq_cleanup(&qp->rq);
	free(qp);
	return 0;
}
