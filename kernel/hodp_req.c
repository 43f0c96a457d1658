// SPDX-License-Identifier: GPL-2.0
/*
 * Requester: takes send WQEs from the ring, splits them into packets of the
 * path MTU and sends them; for RC it keeps a bounded window of unacknowledged
 * packets and the retry timer, and rewinds on NAKs and time-outs.
 */
#include "hodp.h"
#include "hodp_ah.h"
#include "hodp_engine.h"
#include "hodp_mr.h"
#include "hodp_mw.h"
#include "hodp_pkt.h"

/*
 * Unacknowledged packets an RC QP may have in flight: across a wire, what
 * a netdev's queue and a receiver's backlog take without dropping.  To a
 * peer on this host, where a train is one skb for many packets, as many
 * trains as HODP_PEER_TRAINS: the requester does not stall between a train
 * and its ACK (a 512-packet window cost 30 % of loopback bandwidth at 64 KiB),
 * and a parked receiver's queue stays bounded in skbs all the same.
 */
#define HODP_WINDOW		512
#define HODP_PEER_TRAINS	128
#define HODP_WINDOW_PEER	8192
/* An RC requester asks for an ACK at least this often within a message. */
#define HODP_ACKREQ_EVERY	16

/* Copy newly posted WQEs out of the shared ring: userspace may rewrite a slot at any time. */
static void hodp_req_fetch(struct hodp_qp *qp)
{
	u32 prod = hodp_queue_load(&qp->sq.ring->producer);

	while (qp->sq_fetched != prod && qp->sq_fetched - qp->sq_head < qp->sq.num_entries) {
		memcpy(hodp_sq_wqe(qp, qp->sq_fetched), hodp_queue_slot(&qp->sq, qp->sq_fetched),
		       qp->sq.stride);
		memset(hodp_sq_state(qp, qp->sq_fetched), 0, sizeof(struct hodp_send_progress));
		qp->sq_fetched++;
	}
}

/* Operations answered by a READ response or an atomic ACK: they use a credit. */
static bool hodp_wr_is_rd_atomic(u32 opcode)
{
	return opcode == IB_WR_RDMA_READ || opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	       opcode == IB_WR_ATOMIC_FETCH_AND_ADD || opcode == IB_WR_ATOMIC_WRITE ||
	       opcode == IB_WR_FLUSH;
}

/* Operations that carry no data from SGEs or inline. */
static bool hodp_wr_is_dataless(u32 opcode)
{
	return opcode == IB_WR_ATOMIC_WRITE || opcode == IB_WR_FLUSH;
}

bool hodp_opcode_valid(struct hodp_qp *qp, u32 opcode)
{
	u32 ops;

	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		ops = HODP_RC_WR_OPS;
		break;
	case IB_QPT_UC:
		ops = HODP_UC_WR_OPS;
		break;
	case IB_QPT_XRC_INI:
		ops = HODP_XRC_WR_OPS;
		break;
	case IB_QPT_XRC_TGT:
		return false;	/* it has no send queue */
	default:
		ops = HODP_UD_WR_OPS;
		break;
	}
	/* The ring's opcodes are enum ib_uverbs_wr_opcode, equal to enum ib_wr_opcode's. */
	return opcode < 32 && (ops & BIT(opcode));
}

/* Check a WQE as it starts and size its message; returns a completion status. */
static enum ib_wc_status hodp_req_check(struct hodp_qp *qp, struct hodp_send_wqe *wqe,
					struct hodp_send_progress *sw)
{
	u64 len = 0;
	u32 i;

	if (!hodp_opcode_valid(qp, wqe->opcode))
		return IB_WC_LOC_QP_OP_ERR;

	if (hodp_wr_is_dataless(wqe->opcode)) {
		len = wqe->opcode == IB_WR_ATOMIC_WRITE ? sizeof(u64) : 0;
	} else if (wqe->send_flags & IB_SEND_INLINE) {
		if (wqe->inline_len > qp->max_inline || hodp_wr_is_rd_atomic(wqe->opcode))
			return IB_WC_LOC_QP_OP_ERR;
		len = wqe->inline_len;
	} else {
		if (wqe->num_sge > qp->max_send_sge)
			return IB_WC_LOC_QP_OP_ERR;
		for (i = 0; i < wqe->num_sge; i++)
			len += wqe->sge[i].length;
	}
	if (len > HODP_MAX_MSG_SZ)
		return IB_WC_LOC_LEN_ERR;
	/* An unaligned atomic is the responder's to refuse (Invalid Request NAK). */
	if ((wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP ||
	     wqe->opcode == IB_WR_ATOMIC_FETCH_AND_ADD) && len != sizeof(u64))
		return IB_WC_LOC_LEN_ERR;

	sw->length = len;
	sw->signaled = qp->sq_sig_all || (wqe->send_flags & IB_SEND_SIGNALED);
	sw->rd_atomic = hodp_wr_is_rd_atomic(wqe->opcode);
	if (wqe->opcode == IB_WR_ATOMIC_CMP_AND_SWP || wqe->opcode == IB_WR_ATOMIC_FETCH_AND_ADD)
		sw->npkts = 1;
	else
		sw->npkts = max_t(u32, 1, DIV_ROUND_UP(len, qp->mtu));
	return IB_WC_SUCCESS;
}

/* The BTH operation of the packet at @offset of a SEND or WRITE message. */
static u8 hodp_req_op(u32 wr_opcode, bool first, bool last)
{
	bool write = wr_opcode == IB_WR_RDMA_WRITE || wr_opcode == IB_WR_RDMA_WRITE_WITH_IMM;
	bool imm = wr_opcode == IB_WR_RDMA_WRITE_WITH_IMM || wr_opcode == IB_WR_SEND_WITH_IMM;
	bool inv = wr_opcode == IB_WR_SEND_WITH_INV;

	if (first && last) {
		if (write)
			return imm ? HODP_WRITE_ONLY_IMM : HODP_WRITE_ONLY;
		return imm ? HODP_SEND_ONLY_IMM : inv ? HODP_SEND_ONLY_INV : HODP_SEND_ONLY;
	}
	if (first)
		return write ? HODP_WRITE_FIRST : HODP_SEND_FIRST;
	if (!last)
		return write ? HODP_WRITE_MIDDLE : HODP_SEND_MIDDLE;
	if (write)
		return imm ? HODP_WRITE_LAST_IMM : HODP_WRITE_LAST;
	return imm ? HODP_SEND_LAST_IMM : inv ? HODP_SEND_LAST_INV : HODP_SEND_LAST;
}

static void hodp_req_complete_error(struct hodp_qp *qp, struct hodp_send_progress *sw,
				    enum ib_wc_status status)
{
	sw->state = HODP_WQE_DONE;
	sw->wc_status = status;
	hodp_qp_error(qp);
}

static bool hodp_wr_is_local(u32 opcode)
{
	return opcode == IB_WR_BIND_MW || opcode == IB_WR_LOCAL_INV;
}

/*
 * Memory window binds and local invalidations take effect when the requester
 * reaches them, so that later WQEs see them; they send nothing and complete
 * in SQ order like the rest.
 */
static bool hodp_req_local(struct hodp_qp *qp, struct hodp_send_wqe *wqe,
			   struct hodp_send_progress *sw)
{
	enum ib_wc_status status = IB_WC_LOC_QP_OP_ERR;

	if ((wqe->send_flags & IB_SEND_FENCE) && qp->rd_atomic_inflight)
		return false;
	if (hodp_qp_connected(qp)) {
		if (wqe->opcode == IB_WR_BIND_MW)
			status = hodp_mw_bind(qp, wqe);
		else
			status = hodp_local_invalidate(qp, wqe->imm_data);
	}
	sw->signaled = qp->sq_sig_all || (wqe->send_flags & IB_SEND_SIGNALED);
	qp->sq_next++;
	if (status != IB_WC_SUCCESS) {
		hodp_req_complete_error(qp, sw, status);
		return false;
	}
	sw->state = HODP_WQE_DONE;
	sw->wc_status = IB_WC_SUCCESS;
	return true;
}

/*
 * The RC window when the message's next trains are @train packets long
 * (0: no trains, the peer is across a wire).
 */
static u32 hodp_req_window(u32 train)
{
	if (!train)
		return HODP_WINDOW;
	return clamp(HODP_PEER_TRAINS * train, HODP_WINDOW, HODP_WINDOW_PEER);
}

/* What hodp_req_admit() leaves to do with WQE sq_next. */
enum hodp_req_admit {
	HODP_REQ_BUILD,		/* build its next packet */
	HODP_REQ_NEXT,		/* it needs no packet: go on to the next WQE */
	HODP_REQ_STOP,		/* it must wait, or it failed */
};

/*
 * A WQE met for the first time is checked and given its PSNs once the
 * rd_atomic credits and fences allow; a local one takes effect; one already
 * done (met again after a rewind) is stepped over.
 */
static enum hodp_req_admit hodp_req_admit(struct hodp_qp *qp, struct hodp_send_wqe *wqe,
					  struct hodp_send_progress *sw)
{
	enum ib_wc_status status;

	if (sw->state == HODP_WQE_POSTED && hodp_wr_is_local(wqe->opcode))
		return hodp_req_local(qp, wqe, sw) ? HODP_REQ_NEXT : HODP_REQ_STOP;
	if (sw->state == HODP_WQE_DONE) {
		/*
		 * Done while waiting to be resent: a local operation met again
		 * after a rewind, or a READ or atomic whose response came in
		 * meanwhile.  The next WQE starts past its PSNs.
		 */
		if (!hodp_wr_is_local(wqe->opcode) &&
		    hodp_psn_diff(qp->req_psn, sw->last_psn) <= 0)
			qp->req_psn = hodp_psn_add(sw->last_psn, 1);
		qp->req_offset = 0;
		qp->sq_next++;
		return HODP_REQ_NEXT;
	}
	if (sw->state != HODP_WQE_POSTED)
		return HODP_REQ_BUILD;

	status = hodp_req_check(qp, wqe, sw);
	if (status != IB_WC_SUCCESS) {
		hodp_req_complete_error(qp, sw, status);
		return HODP_REQ_STOP;
	}
	/*
	 * A UD message longer than the path MTU is dropped without a packet
	 * and without an error (IBA C10-93.1.1).
	 */
	if (!hodp_qp_connected(qp) && sw->length > qp->mtu) {
		sw->state = HODP_WQE_DONE;
		sw->wc_status = IB_WC_SUCCESS;
		qp->sq_next++;
		return HODP_REQ_NEXT;
	}
	if (sw->rd_atomic && qp->rd_atomic_inflight >= max_t(u32, qp->max_rd_atomic, 1))
		return HODP_REQ_STOP;
	/* A fenced WQE waits for every earlier READ and atomic to finish. */
	if ((wqe->send_flags & IB_SEND_FENCE) && qp->rd_atomic_inflight)
		return HODP_REQ_STOP;
	if (sw->rd_atomic)
		qp->rd_atomic_inflight++;
	sw->first_psn = qp->req_psn;
	sw->last_psn = hodp_psn_add(qp->req_psn, sw->npkts - 1);
	sw->state = HODP_WQE_SENDING;
	return HODP_REQ_BUILD;
}

/* The BTH operation of a single-packet request, or 0 for a SEND or WRITE. */
static u8 hodp_req_single_op(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_READ:
		return HODP_READ_REQUEST;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return HODP_COMPARE_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return HODP_FETCH_ADD;
	case IB_WR_FLUSH:
		return HODP_FLUSH;
	case IB_WR_ATOMIC_WRITE:
		return HODP_ATOMIC_WRITE;
	default:
		return 0;
	}
}

/* Fill the extension headers @op carries after the BTH, at @p. */
static void hodp_req_ext_hdrs(struct hodp_qp *qp, struct hodp_send_wqe *wqe, u8 op, u32 offset,
			      u32 length, void *p)
{
	u16 flags = hodp_op_flags[op];

	if (hodp_qp_transport(qp) == HODP_TRANSPORT_UD) {
		struct hodp_deth *deth = p;
		u32 qkey = wqe->wr.ud.remote_qkey;

		/* A Q_Key with the high bit set means "use the QP's own". */
		deth->qkey = cpu_to_be32((int)qkey < 0 ? qp->qkey : qkey);
		deth->sqpn = cpu_to_be32(qp->ibqp.qp_num);
		p += sizeof(*deth);
	} else if (hodp_qp_transport(qp) == HODP_TRANSPORT_XRC) {
		((struct hodp_xrceth *)p)->srqn = cpu_to_be32(wqe->xrc_srqn & HODP_QPN_MASK);
		p += sizeof(struct hodp_xrceth);
	}
	if (flags & HODP_F_FETH) {
		((struct hodp_feth *)p)->bits =
			cpu_to_be32(wqe->wr.flush.level << HODP_FETH_LEVEL_SHIFT |
				    (wqe->wr.flush.type & HODP_FETH_TYPE_MASK));
		p += sizeof(struct hodp_feth);
	}
	if (flags & HODP_F_RETH) {
		struct hodp_reth *reth = p;

		reth->va = cpu_to_be64(wqe->wr.rdma.remote_addr + offset);
		reth->rkey = cpu_to_be32(wqe->wr.rdma.rkey);
		reth->len = cpu_to_be32(op == HODP_FLUSH ? wqe->wr.flush.length : length - offset);
		p += sizeof(*reth);
	}
	if (flags & HODP_F_ATMETH) {
		struct hodp_atmeth *atm = p;

		atm->va = cpu_to_be64(wqe->wr.atomic.remote_addr);
		atm->rkey = cpu_to_be32(wqe->wr.atomic.rkey);
		atm->swap_add = cpu_to_be64(op == HODP_COMPARE_SWAP ? wqe->wr.atomic.swap :
					    wqe->wr.atomic.compare_add);
		atm->compare = cpu_to_be64(wqe->wr.atomic.compare_add);
		p += sizeof(*atm);
	}
	if (flags & HODP_F_IMM) {
		((struct hodp_immdt *)p)->imm = (__force __be32)wqe->imm_data;
		p += sizeof(struct hodp_immdt);
	}
	if (flags & HODP_F_IETH) {
		((struct hodp_ieth *)p)->rkey = cpu_to_be32(wqe->imm_data);
		p += sizeof(struct hodp_ieth);
	}
}

/*
 * The BTH and extension headers of the packet (or train of @npkts) at
 * qp->req_offset of WQE sq_next.
 */
static void hodp_req_headers(struct hodp_qp *qp, struct hodp_send_wqe *wqe,
			     struct hodp_send_progress *sw, struct sk_buff *skb, u8 op,
			     u32 dest_qpn, u32 npkts, u32 paylen, bool last)
{
	u32 rel = hodp_psn_diff(qp->req_psn, sw->first_psn);
	struct hodp_bth *bth = (struct hodp_bth *)skb->data;
	u8 transport = hodp_qp_transport(qp);
	bool ackreq;

	/* Asked whenever one of the packets it stands for would ask. */
	ackreq = hodp_qp_reliable(qp) &&
		 (last || (rel + npkts) / HODP_ACKREQ_EVERY > rel / HODP_ACKREQ_EVERY);
	hodp_bth_init(bth, transport | op, ((-paylen & 3) << HODP_BTH_PAD_SHIFT) |
		      (last && (wqe->send_flags & IB_SEND_SOLICITED) ? HODP_BTH_SE : 0),
		      dest_qpn, qp->req_psn | (ackreq ? HODP_BTH_ACKREQ : 0));
	hodp_req_ext_hdrs(qp, wqe, op, qp->req_offset, sw->length, bth + 1);
}

/* The packet (or train) of WQE sq_next that hodp_req_send_one() builds. */
struct hodp_req_pkt {
	struct hodp_pkt_build b;
	struct hodp_qp *qp;
	struct hodp_send_wqe *wqe;
	struct hodp_send_progress *sw;
	u32 dest_qpn;
	u8 op;			/* a single-packet request's; else set by the shape */
	bool single;
	bool last;
	struct hodp_miss miss;	/* where the payload's copy missed a page */
};

static void hodp_req_shape(struct hodp_pkt_build *b)
{
	struct hodp_req_pkt *rp = container_of(b, struct hodp_req_pkt, b);
	struct hodp_qp *qp = rp->qp;
	u32 offset = qp->req_offset;

	if (!rp->single) {
		b->paylen = min(rp->sw->length - offset, b->npkts * qp->mtu);
		rp->last = offset + b->paylen == rp->sw->length;
		rp->op = hodp_req_op(rp->wqe->opcode, offset == 0, rp->last);
	}
	b->hdr_len = hodp_hdr_len(hodp_qp_transport(qp) | rp->op, hodp_op_flags[rp->op]);
	b->by_ref = rp->op != HODP_ATOMIC_WRITE && !(rp->wqe->send_flags & IB_SEND_INLINE);
}

/*
 * The headers, then the payload: inline data or the ATOMIC WRITE's value
 * (never by reference), or the SGEs' bytes at qp->req_offset.
 */
static int hodp_req_fill(struct hodp_pkt_build *b, struct sk_buff *skb, struct hodp_xfer *x)
{
	struct hodp_req_pkt *rp = container_of(b, struct hodp_req_pkt, b);
	struct hodp_send_wqe *wqe = rp->wqe;
	struct hodp_qp *qp = rp->qp;

	hodp_req_headers(qp, wqe, rp->sw, skb, rp->op, rp->dest_qpn, b->npkts, b->paylen,
			 rp->last);
	if (!b->paylen)
		return 0;
	if (rp->op == HODP_ATOMIC_WRITE) {
		memcpy(x->buf, &wqe->wr.atomic_write.value, b->paylen);
		return 0;
	}
	if (wqe->send_flags & IB_SEND_INLINE) {
		memcpy(x->buf, (void *)wqe->sge + qp->req_offset, b->paylen);
		return 0;
	}
	return hodp_sge_copy(qp->hdev, qp->ibqp.pd, wqe->sge, wqe->num_sge, qp->req_offset, x,
			     b->paylen, b->paylen, HODP_FROM_MR, &rp->miss);
}

/* @npkts packets (@paylen bytes) of WQE sq_next went out: move past them. */
static void hodp_req_sent(struct hodp_qp *qp, struct hodp_send_wqe *wqe,
			  struct hodp_send_progress *sw, u32 npkts, u32 paylen, bool last)
{
	bool rc = hodp_qp_reliable(qp);

	/* A READ occupies one PSN per response packet. */
	if (wqe->opcode == IB_WR_RDMA_READ)
		npkts = sw->npkts - hodp_psn_diff(qp->req_psn, sw->first_psn);
	qp->req_psn = hodp_psn_add(qp->req_psn, npkts);
	qp->req_offset += paylen;
	if (last || wqe->opcode == IB_WR_RDMA_READ) {
		qp->req_offset = 0;
		qp->sq_next++;
		/* Only RC waits for an acknowledgment. */
		sw->state = rc ? HODP_WQE_SENT : HODP_WQE_DONE;
	}
	if (rc && !timer_pending(&qp->retry_timer))
		hodp_comp_timer_set(qp, jiffies + hodp_comp_timeout_jiffies(qp));
}

/*
 * Build and send the next packet (or train) of WQE sq_next.  Returns false when nothing
 * could be sent (window full, waiting for credits, or an error).
 */
static bool hodp_req_send_one(struct hodp_qp *qp)
{
	struct hodp_req_pkt rp = {
		.b = { .npkts = 1, .shape = hodp_req_shape, .fill = hodp_req_fill },
		.qp = qp,
		.wqe = hodp_sq_wqe(qp, qp->sq_next),
		.sw = hodp_sq_state(qp, qp->sq_next),
		.dest_qpn = qp->dest_qpn,
		.last = true,
	};
	struct hodp_av ud_av, *av = &qp->av;
	u32 train = 0, window;
	struct sk_buff *skb;
	bool sent = false;

	switch (hodp_req_admit(qp, rp.wqe, rp.sw)) {
	case HODP_REQ_NEXT:
		return true;
	case HODP_REQ_STOP:
		return false;
	case HODP_REQ_BUILD:
		break;
	}
	/* A connected QP's peer is fixed: found once, it serves the train and the send. */
	if (hodp_qp_connected(qp))
		rp.b.peer = hodp_pkt_peer(qp, av);
	if (rp.b.peer)
		train = hodp_pkt_train_len(qp, rp.sw->length - qp->req_offset);
	window = hodp_req_window(train);
	if (hodp_qp_reliable(qp) && hodp_psn_diff(qp->req_psn, qp->acked_psn) >= window)
		goto out;
	if (hodp_qp_transport(qp) == HODP_TRANSPORT_UD) {
		if (!hodp_ah_lookup(qp->hdev, rp.wqe->wr.ud.ah_num, qp->ibqp.pd, &ud_av)) {
			hodp_req_complete_error(qp, rp.sw, IB_WC_LOC_QP_OP_ERR);
			goto out;
		}
		av = &ud_av;
		rp.dest_qpn = rp.wqe->wr.ud.remote_qpn;
	}

	/* READ requests and atomics are single packets. */
	rp.op = hodp_req_single_op(rp.wqe->opcode);
	rp.single = rp.op != 0;
	if (rp.op == HODP_ATOMIC_WRITE)
		rp.b.paylen = sizeof(u64);
	/* A train fills what the window has left: room for one at least. */
	if (!rp.single && train)
		rp.b.npkts = !hodp_qp_reliable(qp) ? train :
			min_t(u32, train, window - hodp_psn_diff(qp->req_psn, qp->acked_psn));
	skb = hodp_pkt_build(qp, &rp.b);
	if (!skb)
		goto out;	/* no memory: try again on the next run */
	if (IS_ERR(skb)) {
		/* Parked: this packet is built again once the pages are in. */
		if (!(PTR_ERR(skb) == -EAGAIN &&
		      hodp_qp_park(qp, &qp->req_wait, &rp.miss) == -EAGAIN))
			hodp_req_complete_error(qp, rp.sw, IB_WC_LOC_PROT_ERR);
		goto out;
	}

	if (hodp_qp_connected(qp))
		hodp_pkt_xmit(qp, av, skb, rp.b.peer);
	else
		hodp_pkt_send(qp, av, skb);
	hodp_req_sent(qp, rp.wqe, rp.sw, rp.b.npkts, rp.b.paylen, rp.last);
	sent = true;
out:
	if (rp.b.peer)
		ib_device_put(&rp.b.peer->ib_dev);
	return sent;
}

/* Send a burst of packets; false when the requester is idle or blocked. */
bool hodp_req_run(struct hodp_qp *qp)
{
	enum ib_qp_state state = hodp_qp_state(qp);
	int n;

	if (state != IB_QPS_RTS || qp->rnr_wait || hodp_odp_waiting(&qp->req_wait))
		return false;

	WRITE_ONCE(qp->sq.ring->doorbell, 0);
	hodp_req_fetch(qp);
	for (n = 0; n < 16 && qp->sq_next != qp->sq_fetched; n++)
		if (!hodp_req_send_one(qp))
			return n > 0;
	if (qp->sq_next != qp->sq_fetched)
		return true;

	/* Idle: ask for a doorbell, then look once more to close the race with a post. */
	WRITE_ONCE(qp->sq.ring->doorbell, 1);
	/* Store-load order against the provider's producer store then doorbell load. */
	smp_mb();
	if (hodp_queue_load(&qp->sq.ring->producer) != qp->sq_fetched) {
		WRITE_ONCE(qp->sq.ring->doorbell, 0);
		return true;
	}
	return n > 0;
}

void hodp_req_rewind(struct hodp_qp *qp, u32 psn)
{
	u32 i;

	hodp_count(qp->hdev, HODP_CNT_RETRANSMITS);
	/* The WQE at sq_next may be partly sent: it is a candidate too. */
	for (i = qp->sq_head; i != qp->sq_fetched; i++) {
		struct hodp_send_progress *sw = hodp_sq_state(qp, i);

		if (sw->state == HODP_WQE_POSTED)
			return;
		if (sw->state == HODP_WQE_DONE)
			continue;
		if (hodp_psn_diff(psn, sw->last_psn) > 0)
			continue;
		/* Resend from the packet carrying @psn (or the WQE's first one). */
		if (hodp_psn_diff(psn, sw->first_psn) < 0)
			psn = sw->first_psn;
		qp->sq_next = i;
		qp->req_psn = psn;
		qp->req_offset = hodp_psn_diff(psn, sw->first_psn) * qp->mtu;
		sw->state = HODP_WQE_SENDING;
		/* Later WQEs start over; their READ/atomic credits come back. */
		for (i++; i != qp->sq_fetched; i++) {
			struct hodp_send_progress *later = hodp_sq_state(qp, i);

			if (later->state == HODP_WQE_POSTED)
				break;
			if (later->state == HODP_WQE_DONE)
				continue;	/* a local operation */
			if (later->rd_atomic)
				qp->rd_atomic_inflight--;
			later->state = HODP_WQE_POSTED;
		}
		return;
	}
}
