// SPDX-License-Identifier: GPL-2.0
/*
 * Responder: executes incoming requests in PSN order.  SENDs fill receive
 * WQEs, WRITEs and atomics go through rkeys, READs are answered with
 * response packets; duplicates are re-acknowledged or replayed, gaps are
 * NAKed once, and a missing receive WQE is an RNR NAK.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "hodp.h"
#include "hodp_cq.h"
#include "hodp_engine.h"
#include "hodp_mr.h"
#include "hodp_mw.h"
#include "hodp_pkt.h"
#include "hodp_srq.h"

#define HODP_GRH_SIZE	40
/* READ response packets (or trains) sent before the engine looks elsewhere. */
#define HODP_READ_STEPS	16

/* What executing a request calls for. */
enum hodp_resp_result {
	HODP_RESP_OK,
	HODP_RESP_RNR,		/* no receive WQE: RNR NAK, PSN not consumed */
	HODP_RESP_DROP,		/* silently drop (UC/UD) */
	HODP_RESP_NAK_INVALID,
	HODP_RESP_NAK_ACCESS,
	HODP_RESP_NAK_OP,
	HODP_RESP_NAK_XRC_SRQ,	/* XRC: the SRQ named is not one of the domain's */
	HODP_RESP_PARKED,	/* waits for an ODP fault; executed again after it */
};

/*
 * An ODP miss while executing a request: true if the packet is parked for
 * the fault; false if the fault there failed, an access error.  Whatever
 * the handler did before the copy, its replay (qp->rx_resume) skips.
 */
static bool hodp_resp_park(struct hodp_qp *qp, int err, struct hodp_miss *miss)
{
	if (err != -EAGAIN || hodp_qp_park(qp, &qp->rx_wait, miss) != -EAGAIN)
		return false;
	qp->rx_parked_started = true;
	return true;
}

/*
 * An XRC target's request is executed with the PD, receive WQEs and CQ of
 * the XRC SRQ it names; other QPs' with their own.
 */
static struct ib_pd *hodp_resp_pd(struct hodp_qp *qp)
{
	return qp->xrc_srq ? qp->xrc_srq->ibsrq.pd : qp->ibqp.pd;
}

static struct hodp_cq *hodp_resp_rcq(struct hodp_qp *qp)
{
	return qp->xrc_srq ? qp->xrc_srq->cq : qp->rcq;
}

/*
 * XRC target: take the SRQ numbered @srqn for the request in hand.  It must
 * be an XRC SRQ of the QP's domain.  SRQ numbers are allocated cyclically:
 * a number reused while a message is open reaches an SRQ of the same domain
 * at worst.
 */
static bool hodp_resp_xrc_enter(struct hodp_qp *qp, u32 srqn)
{
	struct hodp_srq *srq = hodp_srq_get(qp->hdev, srqn);

	if (!srq)
		return false;
	if (srq->ibsrq.srq_type != IB_SRQT_XRC || srq->ibsrq.ext.xrc.xrcd != qp->ibqp.xrcd) {
		hodp_srq_put(srq);
		return false;
	}
	qp->xrc_srq = srq;
	return true;
}

static void hodp_resp_xrc_leave(struct hodp_qp *qp)
{
	if (qp->xrc_srq) {
		hodp_srq_put(qp->xrc_srq);
		qp->xrc_srq = NULL;
	}
}

static void hodp_resp_send_ack(struct hodp_qp *qp, u8 op, u32 psn, u8 syndrome, u64 orig)
{
	u8 opcode = hodp_qp_transport(qp) | op;
	unsigned int hdr_len = hodp_hdr_len(opcode, hodp_op_flags[op]);
	struct hodp_aeth *aeth;
	struct hodp_bth *bth;
	struct sk_buff *skb;

	skb = hodp_pkt_alloc(qp, hdr_len, 0);
	if (!skb)
		return;	/* the requester's retry covers a lost ACK */
	bth = (struct hodp_bth *)skb->data;
	hodp_bth_init(bth, opcode, 0, qp->dest_qpn, psn);
	aeth = (struct hodp_aeth *)(bth + 1);
	aeth->smsn = cpu_to_be32((u32)syndrome << 24 | (qp->msn & 0xffffff));
	if (op == HODP_ATOMIC_ACKNOWLEDGE)
		((struct hodp_atmack *)(aeth + 1))->orig = cpu_to_be64(orig);
	hodp_pkt_send(qp, &qp->av, skb);
}

static void hodp_resp_nak(struct hodp_qp *qp, u32 psn, u8 syndrome)
{
	hodp_resp_send_ack(qp, HODP_ACKNOWLEDGE, psn, syndrome, 0);
}

/* The NAK code of a failed request. */
static u8 hodp_resp_nak_code(enum hodp_resp_result res)
{
	switch (res) {
	case HODP_RESP_NAK_ACCESS:
		return HODP_NAK_REM_ACCESS;
	case HODP_RESP_NAK_OP:
		return HODP_NAK_REM_OP;
	case HODP_RESP_NAK_XRC_SRQ:
		/* IBA annex A14 reuses RD's code, which XRC has no other use for. */
		return HODP_NAK_INVALID_RD;
	default:
		return HODP_NAK_INVALID_REQ;
	}
}

/* Abandon a multi-packet WRITE. */
static void hodp_resp_drop_write(struct hodp_qp *qp)
{
	qp->write_left = 0;
}

void hodp_resp_reset(struct hodp_qp *qp)
{
	qp->msn = 0;
	qp->nak_seq_sent = false;
	qp->recv_active = false;
	qp->recv_offset = 0;
	hodp_resp_drop_write(qp);
	qp->read_active = NULL;
	qp->rd_res_next = 0;
	if (qp->rd_res)
		memset(qp->rd_res, 0, sizeof(*qp->rd_res) * HODP_MAX_RD_ATOM);
}

static void hodp_resp_complete_recv(struct hodp_qp *qp, struct sk_buff *skb,
				    enum ib_wc_status status, u32 opcode, u32 byte_len)
{
	struct hodp_recv_wqe *rwqe = qp->recv_wqe;
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_cqe cqe = {
		.wr_id = rwqe->wr_id,
		.status = status,
		.opcode = opcode,
		.byte_len = byte_len,
		.src_qp = qp->dest_qpn,
		.network_hdr_type = pkt->net_type,
	};

	if (status == IB_WC_SUCCESS && (pkt->flags & HODP_F_IMM)) {
		cqe.wc_flags |= HODP_WC_WITH_IMM;
		cqe.imm_data = (__force u32)((struct hodp_immdt *)
					      hodp_pkt_ext(skb, HODP_F_IMM))->imm;
	}
	if (status == IB_WC_SUCCESS && (pkt->flags & HODP_F_IETH)) {
		cqe.wc_flags |= HODP_WC_WITH_INV;
		cqe.imm_data = be32_to_cpu(((struct hodp_ieth *)
					    hodp_pkt_ext(skb, HODP_F_IETH))->rkey);
	}
	qp->recv_active = false;
	hodp_qp_complete(qp, hodp_resp_rcq(qp), &cqe, pkt->solicited);
}

/* Map a local copy failure to the receive completion and the NAK to send. */
static enum hodp_resp_result hodp_resp_local_error(struct hodp_qp *qp, struct sk_buff *skb,
						   int err)
{
	if (err == -EMSGSIZE) {
		hodp_resp_complete_recv(qp, skb, IB_WC_LOC_LEN_ERR, IB_WC_RECV, 0);
		return HODP_RESP_NAK_INVALID;
	}
	hodp_resp_complete_recv(qp, skb, IB_WC_LOC_PROT_ERR, IB_WC_RECV, 0);
	return HODP_RESP_NAK_OP;
}

static enum hodp_resp_result hodp_resp_send(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_recv_wqe *rwqe = qp->recv_wqe;
	struct hodp_miss miss;
	int err;

	if ((pkt->flags & HODP_F_FIRST) && !qp->rx_resume) {
		if (qp->recv_active)
			return HODP_RESP_NAK_INVALID;	/* the last message never ended */
		if (!hodp_recv_fetch(qp))
			return HODP_RESP_RNR;
		qp->recv_active = true;
		qp->recv_offset = 0;
	} else if (!qp->recv_active) {
		return HODP_RESP_NAK_INVALID;
	}
	if (!hodp_pkt_size_ok(pkt, qp->mtu))
		return HODP_RESP_NAK_INVALID;

	/* How long the message is, only its last packet says: a packet's worth. */
	err = hodp_sge_copy(qp->hdev, hodp_resp_pd(qp), rwqe->sge, rwqe->num_sge, qp->recv_offset,
			    HODP_XFER_SKB(skb, pkt->hdr_len), pkt->paylen, pkt->paylen, HODP_TO_MR,
			    &miss);
	if (hodp_resp_park(qp, err, &miss))
		return HODP_RESP_PARKED;
	if (err)
		return hodp_resp_local_error(qp, skb, err == -EAGAIN ? -EACCES : err);
	qp->recv_offset += pkt->paylen;

	if ((pkt->flags & HODP_F_IETH) &&
	    hodp_remote_invalidate(qp, hodp_resp_pd(qp),
				   be32_to_cpu(((struct hodp_ieth *)
						hodp_pkt_ext(skb, HODP_F_IETH))->rkey))) {
		hodp_resp_complete_recv(qp, skb, IB_WC_REM_INV_REQ_ERR, IB_WC_RECV, 0);
		return HODP_RESP_NAK_INVALID;
	}
	if (pkt->flags & HODP_F_LAST)
		hodp_resp_complete_recv(qp, skb, IB_WC_SUCCESS, IB_WC_RECV, qp->recv_offset);
	return HODP_RESP_OK;
}

static enum hodp_resp_result hodp_resp_write(struct hodp_qp *qp, struct sk_buff *skb)
{
	enum hodp_resp_result res = HODP_RESP_OK;
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_mr *mr = NULL;
	struct hodp_miss miss;
	int err;

	if ((pkt->flags & HODP_F_FIRST) && !qp->rx_resume) {
		struct hodp_reth *reth = hodp_pkt_ext(skb, HODP_F_RETH);
		u64 va = be64_to_cpu(reth->va);
		u32 len = be32_to_cpu(reth->len);

		if (qp->write_left)
			return HODP_RESP_NAK_INVALID;
		if (!(qp->access_flags & IB_ACCESS_REMOTE_WRITE))
			return HODP_RESP_NAK_ACCESS;
		if (len) {
			mr = hodp_rkey_get(qp, hodp_resp_pd(qp), be32_to_cpu(reth->rkey), va,
					   len, IB_ACCESS_REMOTE_WRITE);
			if (!mr)
				return HODP_RESP_NAK_ACCESS;
		}
		qp->write_rkey = be32_to_cpu(reth->rkey);
		qp->write_va = va;
		qp->write_left = len;
		qp->recv_offset = len;	/* byte_len of a WRITE with immediate */
	} else if (!qp->write_left) {
		return HODP_RESP_NAK_INVALID;
	}
	if (pkt->paylen > qp->write_left || !hodp_pkt_size_ok(pkt, qp->mtu) ||
	    ((pkt->flags & HODP_F_LAST) && pkt->paylen != qp->write_left)) {
		res = HODP_RESP_NAK_INVALID;
		goto out;
	}

	/* An immediate needs a receive WQE: take it before any byte lands. */
	if ((pkt->flags & HODP_F_IMM) && !qp->rx_resume && !hodp_recv_fetch(qp)) {
		/* The retry starts this message over if this packet began it. */
		if (pkt->flags & HODP_F_FIRST)
			hodp_resp_drop_write(qp);
		res = HODP_RESP_RNR;
		goto out;
	}

	if (pkt->paylen) {
		/*
		 * The MR is held for one packet and looked up again for the
		 * next: a message its requester never finishes must not keep it
		 * from being deregistered.
		 */
		if (!mr)
			mr = hodp_rkey_get(qp, hodp_resp_pd(qp), qp->write_rkey, qp->write_va,
					   pkt->paylen, IB_ACCESS_REMOTE_WRITE);
		if (!mr) {
			res = HODP_RESP_NAK_ACCESS;
			goto out;
		}
		err = hodp_mr_copy(mr, qp->write_va, HODP_XFER_SKB(skb, pkt->hdr_len),
				   pkt->paylen, HODP_TO_MR, &miss);
		/* The rest of the message will be written too: one write fault for it. */
		if (err == -EAGAIN)
			hodp_miss_write_to(&miss, qp->write_va + qp->write_left);
		if (hodp_resp_park(qp, err, &miss)) {
			res = HODP_RESP_PARKED;
			goto out;
		}
		if (err) {
			res = HODP_RESP_NAK_ACCESS;
			goto out;
		}
	}
	qp->write_va += pkt->paylen;
	qp->write_left -= pkt->paylen;

	if (pkt->flags & HODP_F_LAST) {
		hodp_resp_drop_write(qp);
		if (pkt->flags & HODP_F_IMM)
			hodp_resp_complete_recv(qp, skb, IB_WC_SUCCESS, IB_WC_RECV_RDMA_WITH_IMM,
						qp->recv_offset);
	}
out:
	if (mr)
		hodp_mr_put(mr);
	return res;
}

/* A response packet (or train) of the READ being answered. */
struct hodp_read_pkt {
	struct hodp_pkt_build b;
	struct hodp_qp *qp;
	u32 left;		/* bytes of the READ not sent yet */
	bool last;
	u8 op;
	struct hodp_miss miss;	/* where the copy missed a page */
};

static void hodp_read_shape(struct hodp_pkt_build *b)
{
	struct hodp_read_pkt *rp = container_of(b, struct hodp_read_pkt, b);
	bool first = rp->qp->read_offset == 0;

	b->paylen = min(rp->left, b->npkts * rp->qp->mtu);
	rp->last = b->paylen == rp->left;
	if (first && rp->last)
		rp->op = HODP_READ_RESPONSE_ONLY;
	else if (first)
		rp->op = HODP_READ_RESPONSE_FIRST;
	else if (rp->last)
		rp->op = HODP_READ_RESPONSE_LAST;
	else
		rp->op = HODP_READ_RESPONSE_MIDDLE;
	b->hdr_len = hodp_hdr_len(hodp_qp_transport(rp->qp) | rp->op, hodp_op_flags[rp->op]);
	b->by_ref = true;
}

/* The payload through the READ's rkey (-EACCES: deregistered under us), then the headers. */
static int hodp_read_fill(struct hodp_pkt_build *b, struct sk_buff *skb, struct hodp_xfer *x)
{
	struct hodp_read_pkt *rp = container_of(b, struct hodp_read_pkt, b);
	struct hodp_qp *qp = rp->qp;
	struct hodp_rd_res *res = qp->read_active;
	struct hodp_bth *bth = (struct hodp_bth *)skb->data;
	u64 va = res->va + qp->read_offset;
	struct hodp_mr *mr;
	int err;

	if (b->paylen) {
		mr = hodp_rkey_get(qp, hodp_resp_pd(qp), res->rkey, va, b->paylen,
				   IB_ACCESS_REMOTE_READ);
		if (!mr)
			return -EACCES;
		err = hodp_mr_copy(mr, va, x, b->paylen, HODP_FROM_MR, &rp->miss);
		hodp_mr_put(mr);
		if (err)
			return err;
	}
	hodp_bth_init(bth, hodp_qp_transport(qp) | rp->op, (-b->paylen & 3) << HODP_BTH_PAD_SHIFT,
		      qp->dest_qpn, qp->read_psn);
	if (hodp_op_flags[rp->op] & HODP_F_AETH) {
		if (rp->last)
			qp->msn++;
		((struct hodp_aeth *)(bth + 1))->smsn =
			cpu_to_be32(HODP_AETH_ACK_NO_CREDIT << 24 | (qp->msn & 0xffffff));
	}
	return 0;
}

/* Send the next response packet (or train) of the READ being answered. */
static bool hodp_resp_read_step(struct hodp_qp *qp)
{
	struct hodp_read_pkt rp = {
		.b = { .npkts = 1, .shape = hodp_read_shape, .fill = hodp_read_fill },
		.qp = qp,
		.left = qp->read_active->length - qp->read_offset,
	};
	struct sk_buff *skb;
	bool sent = false;

	rp.b.peer = hodp_pkt_peer(qp, &qp->av);
	if (rp.b.peer)
		rp.b.npkts = hodp_pkt_train_len(qp, rp.left);
	skb = hodp_pkt_build(qp, &rp.b);
	if (!skb)
		goto out;	/* no memory: try again on the next run */
	if (IS_ERR(skb)) {
		/* Parked: this response is built again once the pages are in. */
		if (PTR_ERR(skb) == -EAGAIN && hodp_qp_park(qp, &qp->rx_wait, &rp.miss) == -EAGAIN)
			goto out;
		/* The requester learns of it through a NAK. */
		hodp_resp_nak(qp, qp->read_psn, HODP_AETH_NAK | HODP_NAK_REM_ACCESS);
		qp->read_active = NULL;
		hodp_qp_error(qp);
		goto out;
	}
	hodp_pkt_xmit(qp, &qp->av, skb, rp.b.peer);

	qp->read_psn = hodp_psn_add(qp->read_psn, rp.b.npkts);
	qp->read_offset += rp.b.paylen;
	if (rp.last)
		qp->read_active = NULL;
	sent = true;
out:
	if (rp.b.peer)
		ib_device_put(&rp.b.peer->ib_dev);
	return sent;
}

/*
 * Send a budget of the READ being answered: true if it is still being
 * answered, false once it is all out, failed, or waits for a fault or for
 * memory (the requester's timer then asks for the rest again).
 */
static bool hodp_resp_read_steps(struct hodp_qp *qp)
{
	struct hodp_srq *in_hand = qp->xrc_srq;
	bool more = true;
	int n;

	if (!qp->read_active)
		return false;
	/*
	 * An XRC READ is answered through the SRQ it named, whatever the
	 * request in hand names; with that SRQ gone its key checks fail.
	 */
	if (qp->ibqp.qp_type == IB_QPT_XRC_TGT) {
		qp->xrc_srq = NULL;
		hodp_resp_xrc_enter(qp, qp->read_active->xrc_srqn);
	}
	for (n = 0; n < HODP_READ_STEPS && qp->read_active && more; n++)
		more = hodp_resp_read_step(qp);
	if (qp->ibqp.qp_type == IB_QPT_XRC_TGT) {
		hodp_resp_xrc_leave(qp);
		qp->xrc_srq = in_hand;
	}
	return more && qp->read_active;
}

/* Start answering a READ for [va, va + len) from @psn on. */
static enum hodp_resp_result hodp_resp_read_start(struct hodp_qp *qp, struct hodp_rd_res *res,
						  u32 psn, u64 va, u32 rkey, u32 len)
{
	struct hodp_mr *mr;

	if (!(qp->access_flags & IB_ACCESS_REMOTE_READ))
		return HODP_RESP_NAK_ACCESS;
	if (len) {
		mr = hodp_rkey_get(qp, hodp_resp_pd(qp), rkey, va, len, IB_ACCESS_REMOTE_READ);
		if (!mr)
			return HODP_RESP_NAK_ACCESS;
		hodp_mr_put(mr);
	}
	res->opcode = HODP_READ_REQUEST;
	res->valid = true;
	res->first_psn = psn;
	res->last_psn = hodp_psn_add(psn, max_t(u32, 1, DIV_ROUND_UP(len, qp->mtu)) - 1);
	res->va = va;
	res->rkey = rkey;
	res->length = len;
	res->xrc_srqn = qp->xrc_srq ? qp->xrc_srq->srqn : 0;
	qp->read_active = res;
	qp->read_psn = psn;
	qp->read_offset = 0;
	return HODP_RESP_OK;
}

static struct hodp_rd_res *hodp_resp_next_res(struct hodp_qp *qp)
{
	u32 n = max_t(u32, qp->max_dest_rd_atomic, 1);

	return &qp->rd_res[qp->rd_res_next++ % n];
}

/* An executed atomic, FLUSH or ATOMIC WRITE, kept to answer its duplicates. */
static void hodp_resp_save(struct hodp_qp *qp, u8 op, u32 psn, u64 orig)
{
	*hodp_resp_next_res(qp) = (struct hodp_rd_res) {
		.opcode = op,
		.valid = true,
		.first_psn = psn,
		.last_psn = psn,
		.orig = orig,
	};
}

static enum hodp_resp_result hodp_resp_read(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_reth *reth = hodp_pkt_ext(skb, HODP_F_RETH);
	u32 len = be32_to_cpu(reth->len);

	if (!qp->max_dest_rd_atomic || len > HODP_MAX_MSG_SZ)
		return HODP_RESP_NAK_INVALID;
	return hodp_resp_read_start(qp, hodp_resp_next_res(qp), hodp_pkt(skb)->psn,
				    be64_to_cpu(reth->va), be32_to_cpu(reth->rkey), len);
}

static enum hodp_resp_result hodp_resp_atomic(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_atmeth *atm = hodp_pkt_ext(skb, HODP_F_ATMETH);
	bool cmp_swap = (hodp_pkt(skb)->opcode & ~HODP_TRANSPORT_MASK) == HODP_COMPARE_SWAP;
	u64 va = be64_to_cpu(atm->va);
	struct hodp_miss miss;
	struct hodp_mr *mr;
	u64 orig;
	int err;

	if (!qp->max_dest_rd_atomic || (va & (sizeof(u64) - 1)))
		return HODP_RESP_NAK_INVALID;
	if (!(qp->access_flags & IB_ACCESS_REMOTE_ATOMIC))
		return HODP_RESP_NAK_ACCESS;
	mr = hodp_rkey_get(qp, hodp_resp_pd(qp), be32_to_cpu(atm->rkey), va, sizeof(u64),
			   IB_ACCESS_REMOTE_ATOMIC);
	if (!mr)
		return HODP_RESP_NAK_ACCESS;
	err = hodp_mr_atomic(mr, va, cmp_swap ? HODP_ATOMIC_CMP_SWAP : HODP_ATOMIC_FETCH_ADD,
			     be64_to_cpu(cmp_swap ? atm->compare : atm->swap_add),
			     be64_to_cpu(atm->swap_add), &orig, &miss);
	hodp_mr_put(mr);
	if (hodp_resp_park(qp, err, &miss))
		return HODP_RESP_PARKED;
	if (err)
		return HODP_RESP_NAK_ACCESS;

	hodp_resp_save(qp, hodp_pkt(skb)->opcode & ~HODP_TRANSPORT_MASK, hodp_pkt(skb)->psn,
		       orig);
	return HODP_RESP_OK;
}

/* FLUSH level and placement type as the access they need on the QP and the key. */
static int hodp_flush_access(struct sk_buff *skb, bool *whole_mr)
{
	u32 bits = be32_to_cpu(((struct hodp_feth *)hodp_pkt_ext(skb, HODP_F_FETH))->bits);
	u32 type = bits & HODP_FETH_TYPE_MASK;
	u32 level = (bits & HODP_FETH_LEVEL_MASK) >> HODP_FETH_LEVEL_SHIFT;
	int access = 0;

	if (!type || (type & ~(IB_FLUSH_GLOBAL | IB_FLUSH_PERSISTENT)) || level > IB_FLUSH_MR)
		return -EINVAL;
	if (type & IB_FLUSH_GLOBAL)
		access |= IB_ACCESS_FLUSH_GLOBAL;
	if (type & IB_FLUSH_PERSISTENT)
		access |= IB_ACCESS_FLUSH_PERSISTENT;
	*whole_mr = level == IB_FLUSH_MR;
	return access;
}

/*
 * FLUSH and ATOMIC WRITE (IBA annex A19).  Placement here is the CPU's own
 * stores, so a flush only has to order them before its response.
 */
static enum hodp_resp_result hodp_resp_place(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_reth *reth = hodp_pkt_ext(skb, HODP_F_RETH);
	struct hodp_pkt *pkt = hodp_pkt(skb);
	u8 op = pkt->opcode & ~HODP_TRANSPORT_MASK;
	u64 va = be64_to_cpu(reth->va);
	u32 len = be32_to_cpu(reth->len);
	struct hodp_miss miss;
	struct hodp_mr *mr;
	int access, err = 0;
	bool whole_mr;
	u64 orig, value;

	if (!qp->max_dest_rd_atomic)
		return HODP_RESP_NAK_INVALID;
	if (op == HODP_FLUSH) {
		access = hodp_flush_access(skb, &whole_mr);
		if (access < 0)
			return HODP_RESP_NAK_INVALID;
		if (whole_mr)
			len = 0;	/* the key is checked, not a range */
	} else {
		access = IB_ACCESS_REMOTE_WRITE;
		if (len != sizeof(u64) || pkt->paylen != sizeof(u64) || (va & (sizeof(u64) - 1)))
			return HODP_RESP_NAK_INVALID;
	}
	if ((qp->access_flags & access) != access)
		return HODP_RESP_NAK_ACCESS;
	mr = hodp_rkey_get(qp, hodp_resp_pd(qp), be32_to_cpu(reth->rkey), va, len, access);
	if (!mr)
		return HODP_RESP_NAK_ACCESS;
	if (op == HODP_ATOMIC_WRITE) {
		err = skb_copy_bits(skb, pkt->hdr_len, &value, sizeof(value));
		if (!err)
			err = hodp_mr_atomic(mr, va, HODP_ATOMIC_STORE, value, 0, &orig, &miss);
	} else {
		smp_mb();	/* earlier WRITEs' stores before the response */
	}
	hodp_mr_put(mr);
	if (hodp_resp_park(qp, err, &miss))
		return HODP_RESP_PARKED;
	if (err)
		return HODP_RESP_NAK_ACCESS;

	hodp_resp_save(qp, op, pkt->psn, 0);
	return HODP_RESP_OK;
}

/* A request the responder has executed before: answer it again, change nothing. */
static void hodp_resp_duplicate(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	u32 n = max_t(u32, qp->max_dest_rd_atomic, 1), i;

	if (pkt->flags & HODP_F_READ) {
		struct hodp_reth *reth = hodp_pkt_ext(skb, HODP_F_RETH);
		struct hodp_rd_res *res = NULL;

		for (i = 0; qp->rd_res && i < n; i++)
			if (qp->rd_res[i].valid && qp->rd_res[i].opcode == HODP_READ_REQUEST &&
			    hodp_psn_diff(pkt->psn, qp->rd_res[i].first_psn) >= 0 &&
			    hodp_psn_diff(pkt->psn, qp->rd_res[i].last_psn) <= 0)
				res = &qp->rd_res[i];
		/* The re-issued READ names the part still wanted; its rkey is checked again. */
		if (res)
			hodp_resp_read_start(qp, res, pkt->psn, be64_to_cpu(reth->va),
					     be32_to_cpu(reth->rkey), be32_to_cpu(reth->len));
		return;
	}
	if (pkt->flags & (HODP_F_ATOMIC | HODP_F_PLACE)) {
		for (i = 0; qp->rd_res && i < n; i++)
			if (qp->rd_res[i].valid && qp->rd_res[i].first_psn == pkt->psn &&
			    qp->rd_res[i].opcode == (pkt->opcode & ~HODP_TRANSPORT_MASK))
				hodp_resp_send_ack(qp, pkt->flags & HODP_F_PLACE ?
						   HODP_READ_RESPONSE_ONLY :
						   HODP_ATOMIC_ACKNOWLEDGE, pkt->psn,
						   HODP_AETH_ACK_NO_CREDIT, qp->rd_res[i].orig);
		return;
	}
	/* SEND or WRITE: everything before resp_psn was executed; say so. */
	hodp_resp_send_ack(qp, HODP_ACKNOWLEDGE, hodp_psn_add(qp->resp_psn, HODP_PSN_MASK),
			   HODP_AETH_ACK_NO_CREDIT, 0);
}

/* True if parked for an ODP fault. */
static bool hodp_resp_ud(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_deth *deth = hodp_pkt_deth(skb);
	struct hodp_recv_wqe *rwqe = qp->recv_wqe;
	u8 grh[HODP_GRH_SIZE] = {};
	struct hodp_cqe cqe = {};
	u32 qkey = be32_to_cpu(deth->qkey);
	struct hodp_miss miss;
	int err;

	if (qkey != (qp->ibqp.qp_type == IB_QPT_GSI ? HODP_GSI_QKEY : qp->qkey))
		return false;
	if (!qp->rx_resume && !hodp_recv_fetch(qp))
		return false;

	/* RoCEv2 GRH: the IPv6 header, or the IPv4 header in its last 20 bytes. */
	if (pkt->net_type == RDMA_NETWORK_IPV4)
		memcpy(grh + 20, skb_network_header(skb), sizeof(struct iphdr));
	else
		memcpy(grh, skb_network_header(skb), sizeof(struct ipv6hdr));

	err = hodp_sge_copy(qp->hdev, qp->ibqp.pd, rwqe->sge, rwqe->num_sge, 0,
			    HODP_XFER_BUF(grh), sizeof(grh), sizeof(grh), HODP_TO_MR, &miss);
	if (!err)
		err = hodp_sge_copy(qp->hdev, qp->ibqp.pd, rwqe->sge, rwqe->num_sge, sizeof(grh),
				    HODP_XFER_SKB(skb, pkt->hdr_len), pkt->paylen, pkt->paylen,
				    HODP_TO_MR, &miss);
	if (hodp_resp_park(qp, err, &miss))
		return true;

	cqe.wr_id = rwqe->wr_id;
	cqe.status = !err ? IB_WC_SUCCESS : err == -EMSGSIZE ? IB_WC_LOC_LEN_ERR :
							       IB_WC_LOC_PROT_ERR;
	cqe.opcode = IB_WC_RECV;
	cqe.byte_len = sizeof(grh) + pkt->paylen;
	cqe.src_qp = be32_to_cpu(deth->sqpn) & HODP_QPN_MASK;
	cqe.wc_flags = HODP_WC_GRH;
	cqe.network_hdr_type = pkt->net_type;
	if (pkt->flags & HODP_F_IMM) {
		cqe.wc_flags |= HODP_WC_WITH_IMM;
		cqe.imm_data = (__force u32)((struct hodp_immdt *)
					      hodp_pkt_ext(skb, HODP_F_IMM))->imm;
	}
	hodp_qp_complete(qp, qp->rcq, &cqe, pkt->solicited);
	/*
	 * A datagram longer than the buffer is the sender's doing, and any
	 * host may send one (QP1's QKey is public): it fails this receive,
	 * not the QP.  A buffer the QP may not write is its owner's error.
	 */
	if (err && err != -EMSGSIZE)
		hodp_qp_error(qp);
	return false;
}

static enum hodp_resp_result hodp_resp_execute(struct hodp_qp *qp, struct sk_buff *skb)
{
	u16 flags = hodp_pkt(skb)->flags;

	if (flags & HODP_F_SEND)
		return hodp_resp_send(qp, skb);
	if (flags & HODP_F_WRITE)
		return hodp_resp_write(qp, skb);
	if (flags & HODP_F_READ)
		return hodp_resp_read(qp, skb);
	if (flags & HODP_F_PLACE)
		return hodp_resp_place(qp, skb);
	return hodp_resp_atomic(qp, skb);
}

/* Requests in the QP's transport; an XRC initiator takes none. */
static bool hodp_resp_transport_ok(struct hodp_qp *qp, u8 opcode)
{
	return qp->ibqp.qp_type != IB_QPT_XRC_INI &&
	       (opcode & HODP_TRANSPORT_MASK) == hodp_qp_transport(qp);
}

/*
 * Execute a request; an XRC target's must name an XRC SRQ of the QP's
 * domain (entered already).  A message's SRQ is the one its first packet
 * named: its later packets must name it, and no other message may begin
 * before it ends (its receive WQE, flushed or completed, goes to that
 * SRQ's CQ).
 */
static enum hodp_resp_result hodp_resp_execute_xrc(struct hodp_qp *qp, struct sk_buff *skb)
{
	bool open = qp->recv_active || qp->write_left;
	u32 srqn;

	if (qp->ibqp.qp_type != IB_QPT_XRC_TGT)
		return hodp_resp_execute(qp, skb);
	if (!qp->xrc_srq)
		return HODP_RESP_NAK_XRC_SRQ;
	srqn = hodp_pkt_xrc_srqn(skb);
	if (!(hodp_pkt(skb)->flags & HODP_F_FIRST)) {
		if (srqn != qp->xrc_srqn)
			return HODP_RESP_NAK_INVALID;
	} else if (!qp->rx_resume) {
		if (open)
			return HODP_RESP_NAK_INVALID;
		qp->xrc_srqn = srqn;
	}
	return hodp_resp_execute(qp, skb);
}

/* UC: a PSN gap loses the message in progress; resume at the next first packet. */
static bool hodp_resp_uc_sync(struct hodp_qp *qp, struct hodp_pkt *pkt)
{
	if (pkt->psn != qp->resp_psn) {
		qp->recv_active = false;
		hodp_resp_drop_write(qp);
		qp->resp_psn = pkt->psn;
	}
	return (pkt->flags & HODP_F_FIRST) || qp->recv_active || qp->write_left;
}

/*
 * RC: whether the request at PSN distance @d is the next one.  A gap, or a
 * train reaching back over what was executed, is NAKed once (resend from
 * here); a duplicate is answered again.
 */
static bool hodp_resp_rc_in_order(struct hodp_qp *qp, struct sk_buff *skb, s32 d)
{
	if (d > 0 || (d < 0 && d + (s32)hodp_pkt(skb)->npkts > 0)) {
		if (!qp->nak_seq_sent) {
			hodp_count(qp->hdev, HODP_CNT_SEQ_NAKS_SENT);
			hodp_resp_nak(qp, qp->resp_psn, HODP_AETH_NAK | HODP_NAK_PSN_SEQ);
		}
		qp->nak_seq_sent = true;
		return false;
	}
	if (d < 0) {
		hodp_count(qp->hdev, HODP_CNT_DUP_REQUESTS);
		hodp_resp_duplicate(qp, skb);
		return false;
	}
	qp->nak_seq_sent = false;
	return true;
}

/* A request was executed: move past its PSNs and acknowledge it (RC). */
static void hodp_resp_executed(struct hodp_qp *qp, struct hodp_pkt *pkt)
{
	if (pkt->flags & HODP_F_READ) {
		qp->resp_psn = hodp_psn_add(qp->read_active->last_psn, 1);
		return;
	}
	qp->resp_psn = hodp_psn_add(pkt->psn, pkt->npkts);
	if (!hodp_qp_reliable(qp))
		return;
	if (pkt->flags & HODP_F_ATOMIC) {
		qp->msn++;
		hodp_resp_send_ack(qp, HODP_ATOMIC_ACKNOWLEDGE, pkt->psn, HODP_AETH_ACK_NO_CREDIT,
				   qp->rd_res[(qp->rd_res_next - 1) %
					      max_t(u32, qp->max_dest_rd_atomic, 1)].orig);
		return;
	}
	if (pkt->flags & HODP_F_PLACE) {
		qp->msn++;
		hodp_resp_send_ack(qp, HODP_READ_RESPONSE_ONLY, pkt->psn, HODP_AETH_ACK_NO_CREDIT,
				   0);
		return;
	}
	if (pkt->flags & HODP_F_LAST)
		qp->msn++;
	if (pkt->ackreq)
		hodp_resp_send_ack(qp, HODP_ACKNOWLEDGE, hodp_psn_add(pkt->psn, pkt->npkts - 1),
				   HODP_AETH_ACK_NO_CREDIT, 0);
}

static bool hodp_resp_request(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	bool rc = hodp_qp_reliable(qp);
	enum hodp_resp_result res;
	s32 d;

	if (hodp_qp_state(qp) == IB_QPS_ERR || !hodp_resp_transport_ok(qp, pkt->opcode))
		goto out;
	if (qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI) {
		if (hodp_resp_ud(qp, skb))
			return true;
		goto out;
	}

	d = hodp_psn_diff(pkt->psn, qp->resp_psn);
	/*
	 * A READ being answered goes out before the next request is executed,
	 * unless that request re-issues a READ: then the requester lost part of
	 * the answer, and what is still streaming would only be ignored.  The
	 * request waits, parked, while the READ goes out a budget at a time:
	 * a 2 GiB READ does not hold the QP's work item.
	 */
	if (qp->read_active && !(rc && d < 0 && (pkt->flags & HODP_F_READ)) &&
	    (hodp_resp_read_steps(qp) || hodp_odp_waiting(&qp->rx_wait))) {
		qp->rx_parked_started = qp->rx_resume;
		return true;
	}
	/* That READ failed: nothing after it is executed. */
	if (hodp_qp_state(qp) == IB_QPS_ERR)
		goto out;

	if (rc) {
		if (!hodp_resp_rc_in_order(qp, skb, d))
			goto out;
	} else if (!hodp_resp_uc_sync(qp, pkt)) {
		qp->resp_psn = hodp_psn_add(pkt->psn, pkt->npkts);
		goto out;
	}

	res = hodp_resp_execute_xrc(qp, skb);
	switch (res) {
	case HODP_RESP_OK:
		break;
	case HODP_RESP_PARKED:
		return true;
	case HODP_RESP_RNR:
		if (rc) {
			hodp_count(qp->hdev, HODP_CNT_RNR_NAKS_SENT);
			hodp_resp_nak(qp, pkt->psn, HODP_AETH_RNR_NAK | qp->min_rnr_timer);
		} else {
			qp->resp_psn = hodp_psn_add(pkt->psn, pkt->npkts);
		}
		goto out;
	default:
		hodp_resp_drop_write(qp);
		if (rc) {
			hodp_resp_nak(qp, pkt->psn, HODP_AETH_NAK | hodp_resp_nak_code(res));
			hodp_qp_error(qp);
		} else {
			qp->resp_psn = hodp_psn_add(pkt->psn, pkt->npkts);
			qp->recv_active = false;
		}
		goto out;
	}

	hodp_resp_executed(qp, pkt);
out:
	kfree_skb(skb);
	return false;
}

bool hodp_resp_rcv(struct hodp_qp *qp, struct sk_buff *skb)
{
	bool parked;

	if (qp->ibqp.qp_type == IB_QPT_XRC_TGT &&
	    (hodp_pkt(skb)->opcode & HODP_TRANSPORT_MASK) == HODP_TRANSPORT_XRC)
		hodp_resp_xrc_enter(qp, hodp_pkt_xrc_srqn(skb));
	parked = hodp_resp_request(qp, skb);
	hodp_resp_xrc_leave(qp);
	return parked;
}

/*
 * The responder waits for a page fault (for a request's target, or for the
 * pages of a READ it answers) that outlasts the requester's timer: the
 * requester resends.  Rather than let it spend its transport retries on a
 * responder that is only slow, drop what it sent (all of it will come
 * again) and answer with an RNR NAK, as an HCA answers a page fault, so it
 * waits for the RNR timer instead.
 */
void hodp_resp_parked_rcv(struct hodp_qp *qp)
{
	struct sk_buff *parked = qp->rx_parked, *skb, *tmp;
	struct sk_buff_head resent;
	bool rnr = false;
	unsigned long flags;
	u32 psn;

	if (!hodp_qp_reliable(qp))
		return;
	if (qp->read_active)
		psn = qp->read_psn;
	else if (parked && (hodp_pkt(parked)->flags & HODP_F_REQ))
		psn = hodp_pkt(parked)->psn;
	else
		return;
	__skb_queue_head_init(&resent);
	spin_lock_irqsave(&qp->rx.lock, flags);
	skb_queue_walk(&qp->rx, skb)
		if ((hodp_pkt(skb)->flags & HODP_F_REQ) &&
		    hodp_psn_diff(hodp_pkt(skb)->psn, psn) <= 0)
			rnr = true;
	if (rnr) {
		skb_queue_walk_safe(&qp->rx, skb, tmp) {
			if (hodp_pkt(skb)->flags & HODP_F_REQ) {
				__skb_unlink(skb, &qp->rx);
				__skb_queue_tail(&resent, skb);
			}
		}
	}
	spin_unlock_irqrestore(&qp->rx.lock, flags);
	if (!rnr)
		return;
	__skb_queue_purge(&resent);
	hodp_count(qp->hdev, HODP_CNT_RNR_NAKS_SENT);
	hodp_resp_nak(qp, psn, HODP_AETH_RNR_NAK | qp->min_rnr_timer);
}

/*
 * Error state: every receive WQE of the QP's own RQ completes as flushed,
 * a ring's worth per pass (userspace may go on posting); true if there may
 * be more.
 */
static bool hodp_resp_flush(struct hodp_qp *qp)
{
	struct hodp_recv_wqe *rwqe = qp->recv_wqe;
	struct hodp_cqe cqe = {
		.status = IB_WC_WR_FLUSH_ERR,
		.opcode = IB_WC_RECV,
	};
	u32 n;

	if (qp->recv_active) {
		qp->recv_active = false;
		cqe.wr_id = rwqe->wr_id;
		/* An XRC target's goes to its SRQ's CQ, unless that SRQ is gone. */
		if (qp->ibqp.qp_type != IB_QPT_XRC_TGT || hodp_resp_xrc_enter(qp, qp->xrc_srqn))
			hodp_qp_complete(qp, hodp_resp_rcq(qp), &cqe, false);
		hodp_resp_xrc_leave(qp);
	}
	if (!hodp_qp_has_rq(qp))
		return false;
	for (n = 0; n < qp->rq.num_entries; n++) {
		if (!hodp_recv_fetch(qp))
			return false;
		cqe.wr_id = rwqe->wr_id;
		hodp_qp_complete(qp, qp->rcq, &cqe, false);
	}
	return true;
}

bool hodp_resp_run(struct hodp_qp *qp)
{
	if (hodp_qp_state(qp) == IB_QPS_ERR) {
		qp->read_active = NULL;
		hodp_resp_drop_write(qp);
		return hodp_resp_flush(qp);
	}
	if (hodp_odp_waiting(&qp->rx_wait))
		return false;
	return hodp_resp_read_steps(qp);
}
