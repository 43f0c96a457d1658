// SPDX-License-Identifier: GPL-2.0
/*
 * Completer: acknowledgements, NAKs, READ responses and atomic replies for
 * the RC requester; the retry timer; in-order completion of send WQEs; and
 * the flush of the send queue in the error state.
 */
#include "hodp.h"
#include "hodp_cq.h"
#include "hodp_engine.h"
#include "hodp_mr.h"
#include "hodp_pkt.h"

unsigned long hodp_comp_timeout_jiffies(struct hodp_qp *qp)
{
	/* Time-outs in a row, with no progress between them. */
	u32 late = qp->retry_cnt > qp->retry_left ? qp->retry_cnt - qp->retry_left : 0;

	/*
	 * 4.096 µs * 2^timeout, 0 meaning for ever; doubled for each time-out
	 * in a row up to four times (IBA lets the timer run up to four times
	 * its nominal value): a responder that is only busy, behind hundreds
	 * of QPs, answers before the retries run out, and a dead one is still
	 * found within 27 time-outs for retry_cnt 7 (8 without the doubling).
	 */
	if (!qp->timeout)
		return MAX_JIFFY_OFFSET;
	return max_t(unsigned long, 1,
		     nsecs_to_jiffies((4096ULL << qp->timeout) << min(late, 2U)));
}

/* The IB RNR timer encoding (min_rnr_timer and the RNR NAK's AETH), in µs. */
static const u32 hodp_rnr_usecs[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960, 1280, 1920,
	2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720, 40960, 61440, 81920, 122880,
	163840, 245760, 327680, 491520,
};

static enum ib_wc_opcode hodp_send_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
		return IB_WC_RDMA_WRITE;
	case IB_WR_RDMA_READ:
		return IB_WC_RDMA_READ;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		return IB_WC_COMP_SWAP;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		return IB_WC_FETCH_ADD;
	case IB_WR_ATOMIC_WRITE:
		return IB_WC_ATOMIC_WRITE;
	case IB_WR_FLUSH:
		return IB_WC_FLUSH;
	case IB_WR_BIND_MW:
		return IB_WC_BIND_MW;
	case IB_WR_LOCAL_INV:
		return IB_WC_LOCAL_INV;
	default:
		return IB_WC_SEND;
	}
}

/*
 * Post completions for finished WQEs at the head of the SQ, in order.  A slot
 * is handed back before its completion becomes visible: whoever polls it may
 * post again at once and must find room.
 */
static bool hodp_comp_retire(struct hodp_qp *qp)
{
	bool progress = false;

	while (qp->sq_head != qp->sq_next) {
		struct hodp_send_progress *sw = hodp_sq_state(qp, qp->sq_head);
		struct hodp_send_wqe *wqe = hodp_sq_wqe(qp, qp->sq_head);
		struct hodp_cqe cqe;

		if (sw->state != HODP_WQE_DONE)
			break;
		cqe = (struct hodp_cqe) {
			.wr_id = wqe->wr_id,
			.status = sw->wc_status,
			.opcode = hodp_send_wc_opcode(wqe->opcode),
			.byte_len = sw->length,
		};
		qp->sq_head++;
		hodp_queue_store(&qp->sq.ring->consumer, qp->sq_head);
		if (sw->signaled || sw->wc_status != IB_WC_SUCCESS)
			hodp_qp_complete(qp, qp->scq, &cqe, false);
		progress = true;
	}
	return progress;
}

static void hodp_comp_done(struct hodp_qp *qp, struct hodp_send_progress *sw,
			   enum ib_wc_status status)
{
	if (sw->rd_atomic)
		qp->rd_atomic_inflight--;
	sw->state = HODP_WQE_DONE;
	sw->wc_status = status;
	if (status != IB_WC_SUCCESS)
		hodp_qp_error(qp);
}

void hodp_comp_timer_set(struct hodp_qp *qp, unsigned long expires)
{
	qp->retry_deadline = expires;
	mod_timer(&qp->retry_timer, expires);
}

static void hodp_comp_arm_timer(struct hodp_qp *qp)
{
	/* Waiting out an RNR NAK: that timer says when to resend, whatever arrives. */
	if (qp->rnr_wait)
		return;
	if (qp->acked_psn == qp->req_psn)
		timer_delete(&qp->retry_timer);
	else if (qp->timeout)
		hodp_comp_timer_set(qp, jiffies + hodp_comp_timeout_jiffies(qp));
}

void hodp_comp_keep_timer(struct hodp_qp *qp)
{
	if (hodp_qp_reliable(qp) && hodp_qp_state(qp) == IB_QPS_RTS && !qp->rnr_wait &&
	    qp->timeout && qp->acked_psn != qp->req_psn && !timer_pending(&qp->retry_timer))
		hodp_comp_timer_set(qp, jiffies + hodp_comp_timeout_jiffies(qp));
}

/* The oldest WQE with packets out (SENT, or partly sent), or NULL. */
static struct hodp_send_progress *hodp_comp_oldest(struct hodp_qp *qp, u32 *index)
{
	u32 i;

	for (i = qp->sq_head; i != qp->sq_fetched; i++) {
		struct hodp_send_progress *sw = hodp_sq_state(qp, i);

		if (sw->state == HODP_WQE_POSTED)
			break;
		if (sw->state != HODP_WQE_DONE) {
			*index = i;
			return sw;
		}
	}
	return NULL;
}

/* Everything up to and including @psn is acknowledged (a coalesced ACK). */
static void hodp_comp_ack(struct hodp_qp *qp, u32 psn)
{
	u32 acked = hodp_psn_add(psn, 1);
	u32 i;

	/* Not sent yet, or older than what is already acknowledged: ignore. */
	if (hodp_psn_diff(psn, qp->req_psn) >= 0 ||
	    hodp_psn_diff(psn, qp->acked_psn) < 0)
		return;

	for (i = qp->sq_head; i != qp->sq_fetched; i++) {
		struct hodp_send_progress *sw = hodp_sq_state(qp, i);

		if (sw->state == HODP_WQE_DONE)
			continue;
		if (sw->rd_atomic && hodp_psn_diff(psn, sw->first_psn) >= 0 &&
		    sw->state != HODP_WQE_POSTED) {
			u32 next = hodp_psn_add(sw->first_psn, sw->resp_done / qp->mtu);

			/* Only responses acknowledge a READ or atomic. */
			if (hodp_psn_diff(psn, sw->last_psn) < 0) {
				acked = next;
				break;
			}
			/* Acknowledged past a READ or atomic whose reply never came. */
			hodp_req_rewind(qp, next);
			qp->acked_psn = next;
			return;
		}
		if (sw->state != HODP_WQE_SENT || hodp_psn_diff(sw->last_psn, psn) > 0)
			break;
		hodp_comp_done(qp, sw, IB_WC_SUCCESS);
	}
	if (hodp_psn_diff(acked, qp->acked_psn) > 0) {
		qp->acked_psn = acked;
		qp->retry_left = qp->retry_cnt;
		qp->rnr_left = qp->rnr_retry;
	}
}

/*
 * A response's payload missed in an ODP MR of the local SGEs: park the
 * packet until the fault is served (true), or fail the WQE.
 */
static bool hodp_comp_local_fault(struct hodp_qp *qp, struct hodp_send_progress *sw, int err,
				  struct hodp_miss *miss)
{
	if (err == -EAGAIN && hodp_qp_park(qp, &qp->rx_wait, miss) == -EAGAIN) {
		qp->rx_parked_started = false;	/* handling it again changes nothing twice */
		return true;
	}
	hodp_comp_done(qp, sw, IB_WC_LOC_PROT_ERR);
	return false;
}

static bool hodp_comp_read_response(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_miss miss;
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_send_wqe *wqe;
	struct hodp_send_progress *sw;
	u32 index, expected, paylen;
	int err;
	s32 skip;

	hodp_comp_ack(qp, hodp_psn_add(pkt->psn, HODP_PSN_MASK));	/* psn - 1 */
	sw = hodp_comp_oldest(qp, &index);
	if (!sw)
		return false;
	wqe = hodp_sq_wqe(qp, index);
	if (wqe->opcode == IB_WR_FLUSH || wqe->opcode == IB_WR_ATOMIC_WRITE) {
		/* Their whole answer is one empty READ response. */
		if (pkt->psn != sw->first_psn)
			return false;
		qp->acked_psn = hodp_psn_add(pkt->psn, 1);
		qp->retry_left = qp->retry_cnt;
		hodp_comp_done(qp, sw, pkt->paylen || !(pkt->flags & HODP_F_FIRST) ?
				       IB_WC_BAD_RESP_ERR : IB_WC_SUCCESS);
		return false;
	}
	if (wqe->opcode != IB_WR_RDMA_READ)
		return false;
	expected = hodp_psn_add(sw->first_psn, sw->resp_done / qp->mtu);
	/* A train may begin with packets already taken from an earlier answer. */
	skip = hodp_psn_diff(expected, pkt->psn);
	if (skip < 0 || skip >= pkt->npkts) {
		/* A gap: ask again for the rest once, rather than wait for the timer. */
		if (skip < 0 && !qp->read_gap) {
			qp->read_gap = true;
			hodp_req_rewind(qp, expected);
		}
		return false;
	}
	qp->read_gap = false;
	paylen = pkt->paylen - skip * qp->mtu;
	if (!hodp_pkt_size_ok(pkt, qp->mtu) || paylen > sw->length - sw->resp_done) {
		hodp_comp_done(qp, sw, IB_WC_BAD_RESP_ERR);
		return false;
	}

	err = hodp_sge_copy(qp->hdev, qp->ibqp.pd, wqe->sge, wqe->num_sge, sw->resp_done,
			    HODP_XFER_SKB(skb, pkt->hdr_len + skip * qp->mtu), paylen,
			    sw->length - sw->resp_done, HODP_TO_MR, &miss);
	if (err)
		return hodp_comp_local_fault(qp, sw, err, &miss);
	sw->resp_done += paylen;
	qp->acked_psn = hodp_psn_add(pkt->psn, pkt->npkts);
	qp->retry_left = qp->retry_cnt;
	if (pkt->flags & HODP_F_LAST)
		hodp_comp_done(qp, sw, sw->resp_done == sw->length ? IB_WC_SUCCESS :
							       IB_WC_BAD_RESP_ERR);
	return false;
}

static bool hodp_comp_atomic_ack(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	struct hodp_miss miss;
	struct hodp_atmack *ack = hodp_pkt_ext(skb, HODP_F_ATMACK);
	struct hodp_send_wqe *wqe;
	struct hodp_send_progress *sw;
	u64 orig;
	u32 index;
	int err;

	hodp_comp_ack(qp, hodp_psn_add(pkt->psn, HODP_PSN_MASK));
	sw = hodp_comp_oldest(qp, &index);
	if (!sw || sw->first_psn != pkt->psn)
		return false;
	wqe = hodp_sq_wqe(qp, index);
	if (wqe->opcode != IB_WR_ATOMIC_CMP_AND_SWP && wqe->opcode != IB_WR_ATOMIC_FETCH_AND_ADD)
		return false;

	orig = be64_to_cpu(ack->orig);
	err = hodp_sge_copy(qp->hdev, qp->ibqp.pd, wqe->sge, wqe->num_sge, 0,
			    HODP_XFER_BUF(&orig), sizeof(orig), sizeof(orig), HODP_TO_MR, &miss);
	if (err)
		return hodp_comp_local_fault(qp, sw, err, &miss);
	qp->acked_psn = hodp_psn_add(pkt->psn, 1);
	qp->retry_left = qp->retry_cnt;
	hodp_comp_done(qp, sw, IB_WC_SUCCESS);
	return false;
}

static void hodp_comp_nak(struct hodp_qp *qp, u32 psn, u8 syndrome)
{
	struct hodp_send_progress *sw;
	u32 index;

	hodp_comp_ack(qp, hodp_psn_add(psn, HODP_PSN_MASK));
	sw = hodp_comp_oldest(qp, &index);
	if (!sw || hodp_psn_diff(psn, sw->first_psn) < 0 ||
	    hodp_psn_diff(psn, sw->last_psn) > 0)
		return;	/* stale */

	if ((syndrome & HODP_AETH_TYPE_MASK) == HODP_AETH_RNR_NAK) {
		hodp_count(qp->hdev, HODP_CNT_RNR_NAKS_RCVD);
		if (qp->rnr_retry != 7 && !qp->rnr_left--) {
			hodp_comp_done(qp, sw, IB_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		/*
		 * A responder that answers is there: time-outs lost before
		 * this (a dropped packet, a slow fault) are forgiven, and the
		 * RNR budget alone counts from here.
		 */
		qp->retry_left = qp->retry_cnt;
		hodp_req_rewind(qp, psn);
		qp->rnr_wait = true;
		hodp_comp_timer_set(qp, jiffies +
				    usecs_to_jiffies(hodp_rnr_usecs[syndrome & 0x1f]));
		return;
	}

	switch (syndrome & 0x1f) {
	case HODP_NAK_PSN_SEQ:
		hodp_count(qp->hdev, HODP_CNT_SEQ_NAKS_RCVD);
		hodp_req_rewind(qp, psn);
		break;
	case HODP_NAK_REM_ACCESS:
		hodp_comp_done(qp, sw, IB_WC_REM_ACCESS_ERR);
		break;
	case HODP_NAK_INVALID_REQ:
		hodp_comp_done(qp, sw, IB_WC_REM_INV_REQ_ERR);
		break;
	case HODP_NAK_INVALID_RD:
		hodp_comp_done(qp, sw, IB_WC_REM_INV_RD_REQ_ERR);
		break;
	default:
		hodp_comp_done(qp, sw, IB_WC_REM_OP_ERR);
		break;
	}
}

bool hodp_comp_rcv(struct hodp_qp *qp, struct sk_buff *skb)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	bool parked = false;
	u8 syndrome = 0;

	/* Responses come to an RC QP or an XRC initiator, in their transport. */
	if (!hodp_qp_reliable(qp) || qp->ibqp.qp_type == IB_QPT_XRC_TGT ||
	    hodp_qp_state(qp) != IB_QPS_RTS ||
	    (pkt->opcode & HODP_TRANSPORT_MASK) != hodp_qp_transport(qp))
		goto out;

	if (pkt->flags & HODP_F_AETH)
		syndrome = be32_to_cpu(((struct hodp_aeth *)hodp_pkt_ext(skb, HODP_F_AETH))->smsn)
			   >> 24;
	if ((syndrome & HODP_AETH_TYPE_MASK) != HODP_AETH_ACK) {
		hodp_comp_nak(qp, pkt->psn, syndrome);
		goto out;
	}

	switch (pkt->opcode & ~HODP_TRANSPORT_MASK) {
	case HODP_ACKNOWLEDGE:
		hodp_comp_ack(qp, pkt->psn);
		break;
	case HODP_ATOMIC_ACKNOWLEDGE:
		parked = hodp_comp_atomic_ack(qp, skb);
		break;
	default:
		parked = hodp_comp_read_response(qp, skb);
		break;
	}
	hodp_comp_arm_timer(qp);
	if (parked)
		return true;
out:
	kfree_skb(skb);
	return false;
}

/*
 * Send WQEs posted and not completed, as the ring's producer says; if it
 * says more than the ring holds, it is not believed: only those the
 * requester copied count.  Bounds every pass over the ring by its size.
 */
static u32 hodp_sq_posted(struct hodp_qp *qp)
{
	u32 n = hodp_queue_load(&qp->sq.ring->producer) - qp->sq_head;

	return n <= qp->sq.num_entries ? n : qp->sq_fetched - qp->sq_head;
}

/* Complete every outstanding send WQE with a flush error. */
void hodp_comp_flush(struct hodp_qp *qp)
{
	u32 n = hodp_sq_posted(qp);

	timer_delete(&qp->retry_timer);
	qp->rnr_wait = false;
	qp->rd_atomic_inflight = 0;
	/* Every posted WQE is flushed; those posted since, on the next run. */
	for (; n; n--) {
		struct hodp_send_progress *sw = hodp_sq_state(qp, qp->sq_head);
		struct hodp_send_wqe *wqe = hodp_queue_slot(&qp->sq, qp->sq_head);
		struct hodp_cqe cqe = {};

		if (qp->sq_head == qp->sq_fetched) {
			/* Not fetched yet: the ring slot is all there is. */
			cqe.wr_id = READ_ONCE(wqe->wr_id);
			cqe.opcode = hodp_send_wc_opcode(READ_ONCE(wqe->opcode));
			cqe.status = IB_WC_WR_FLUSH_ERR;
			qp->sq_fetched++;
		} else {
			wqe = hodp_sq_wqe(qp, qp->sq_head);
			cqe.wr_id = wqe->wr_id;
			cqe.opcode = hodp_send_wc_opcode(wqe->opcode);
			cqe.status = sw->state == HODP_WQE_DONE ? sw->wc_status :
								  IB_WC_WR_FLUSH_ERR;
			if (sw->state == HODP_WQE_DONE && sw->wc_status == IB_WC_SUCCESS &&
			    !sw->signaled)
				cqe.status = IB_WC_WR_FLUSH_ERR;
		}
		qp->sq_head++;
		hodp_queue_store(&qp->sq.ring->consumer, qp->sq_head);
		hodp_qp_complete(qp, qp->scq, &cqe, false);
	}
	qp->sq_next = qp->sq_head;
	qp->sq_fetched = qp->sq_head;
	WRITE_ONCE(qp->sq.ring->doorbell, 1);
}

bool hodp_comp_run(struct hodp_qp *qp)
{
	bool progress;

	if (hodp_qp_state(qp) == IB_QPS_ERR) {
		hodp_comp_retire(qp);
		if (hodp_sq_posted(qp)) {
			hodp_comp_flush(qp);
			return true;
		}
		WRITE_ONCE(qp->sq.ring->doorbell, 1);
		return false;
	}

	if (READ_ONCE(qp->retry_timer_fired)) {
		WRITE_ONCE(qp->retry_timer_fired, false);
		if (time_before(jiffies, qp->retry_deadline)) {
			/* Fired for a deadline moved since: it fires again. */
		} else if (qp->rnr_wait) {
			qp->rnr_wait = false;
		} else if (hodp_odp_waiting(&qp->rx_wait)) {
			/* A response waits for our own page fault: not the peer's delay. */
			hodp_comp_arm_timer(qp);
		} else if (hodp_qp_reliable(qp) && qp->acked_psn != qp->req_psn) {
			struct hodp_send_progress *sw;
			u32 index;

			hodp_count(qp->hdev, HODP_CNT_ACK_TIMEOUTS);
			sw = hodp_comp_oldest(qp, &index);
			if (sw && !qp->retry_left--) {
				hodp_comp_done(qp, sw, IB_WC_RETRY_EXC_ERR);
			} else {
				qp->read_gap = false;
				hodp_req_rewind(qp, qp->acked_psn);
				hodp_comp_arm_timer(qp);
			}
		}
	}
	progress = hodp_comp_retire(qp);
	return progress;
}
