// SPDX-License-Identifier: GPL-2.0
/*
 * The per-QP engine: its work item, state changes coming from modify_qp and
 * from errors, the retry timer, and completions.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "hodp.h"
#include "hodp_cq.h"
#include "hodp_engine.h"
#include "hodp_pkt.h"
#include "hodp_srq.h"

/* Rounds of work per run before the QP yields its worker to others. */
#define HODP_RUN_BUDGET		64
/* Received packets handled per round. */
#define HODP_RX_BATCH		32

static struct workqueue_struct *hodp_wq;

void hodp_qp_schedule(struct hodp_qp *qp)
{
	queue_work(hodp_wq, &qp->work);
}

/* Packets for a connected QP come from the peer modify_qp gave it. */
static bool hodp_rx_from_peer(struct hodp_qp *qp, struct sk_buff *skb)
{
	return !hodp_qp_connected(qp) || hodp_pkt_from(skb, &qp->av);
}

static void hodp_qp_run(struct work_struct *work)
{
	struct hodp_qp *qp = container_of(work, struct hodp_qp, work);
	int rounds = HODP_RUN_BUDGET;
	struct sk_buff *skb;
	bool more;
	int n;

	if (READ_ONCE(qp->stopped) || hodp_qp_state(qp) < IB_QPS_RTR) {
		skb_queue_purge(&qp->rx);
		return;
	}
	do {
		more = false;
		/* Packets wait behind one whose ODP fault is being served. */
		for (n = 0; n < HODP_RX_BATCH && !hodp_odp_waiting(&qp->rx_wait); n++) {
			bool parked;

			skb = qp->rx_parked;
			qp->rx_parked = NULL;
			qp->rx_resume = skb && qp->rx_parked_started;
			if (!skb)
				skb = skb_dequeue(&qp->rx);
			if (!skb)
				break;
			if (!hodp_rx_from_peer(qp, skb)) {
				hodp_count(qp->hdev, HODP_CNT_RX_DROPPED);
				kfree_skb(skb);
				more = true;
				continue;
			}
			if (hodp_pkt(skb)->flags & HODP_F_REQ)
				parked = hodp_resp_rcv(qp, skb);
			else
				parked = hodp_comp_rcv(qp, skb);
			qp->rx_resume = false;
			if (parked) {
				/* Behind a fault, or behind a READ's next budget. */
				qp->rx_parked = skb;
				more |= !hodp_odp_waiting(&qp->rx_wait);
				break;
			}
			more = true;
		}
		if (hodp_odp_waiting(&qp->rx_wait))
			hodp_resp_parked_rcv(qp);
		/* In error, the SQ's completions come before the RQ's flushes. */
		more |= hodp_comp_run(qp);
		more |= hodp_resp_run(qp);
		more |= hodp_req_run(qp);
	} while (more && --rounds);
	hodp_comp_keep_timer(qp);

	if (more || (!skb_queue_empty(&qp->rx) && !hodp_odp_waiting(&qp->rx_wait)))
		hodp_qp_schedule(qp);
}

/*
 * Packets a QP may have waiting for its work item: beyond it (a QP parked
 * on a fault while a peer floods it) they are dropped and counted, as a
 * NIC's full receive buffer would; RC's retransmission recovers them.
 */
#define HODP_RX_QUEUE_MAX	1024

/* Hand a packet (or a local train) for @qp to its work item; consumes @skb. */
void hodp_qp_deliver(struct hodp_qp *qp, struct sk_buff *skb)
{
	if (skb_queue_len_lockless(&qp->rx) >= HODP_RX_QUEUE_MAX) {
		hodp_count(qp->hdev, HODP_CNT_RX_QUEUE_FULL);
		kfree_skb(skb);
		return;
	}
	hodp_count_n(qp->hdev, HODP_CNT_RCVD_PKTS, hodp_pkt(skb)->npkts);
	skb_queue_tail(&qp->rx, skb);
	hodp_qp_schedule(qp);
}

static void hodp_retry_timer_fn(struct timer_list *t)
{
	struct hodp_qp *qp = timer_container_of(qp, t, retry_timer);

	WRITE_ONCE(qp->retry_timer_fired, true);
	hodp_qp_schedule(qp);
}

/* A fault a stream waited for ended (under the device's fault lock): run again. */
static void hodp_req_fault_done(struct hodp_odp_wait *w)
{
	hodp_qp_schedule(container_of(w, struct hodp_qp, req_wait));
}

static void hodp_rx_fault_done(struct hodp_odp_wait *w)
{
	hodp_qp_schedule(container_of(w, struct hodp_qp, rx_wait));
}

int hodp_qp_park(struct hodp_qp *qp, struct hodp_odp_wait *w, struct hodp_miss *miss)
{
	/* An XRC target's faults are those of the process whose SRQ its request named. */
	struct hodp_odp_owner *owner = qp->xrc_srq ? qp->xrc_srq->odp_owner : qp->odp_owner;

	return hodp_odp_park(&qp->hdev->odp, owner, w, miss, qp->ibqp.qp_num);
}

void hodp_engine_init_qp(struct hodp_qp *qp)
{
	INIT_WORK(&qp->work, hodp_qp_run);
	hodp_odp_wait_init(&qp->req_wait, hodp_req_fault_done);
	hodp_odp_wait_init(&qp->rx_wait, hodp_rx_fault_done);
	skb_queue_head_init(&qp->rx);
	timer_setup(&qp->retry_timer, hodp_retry_timer_fn, 0);
}

int hodp_engine_alloc_qp(struct hodp_qp *qp)
{
	qp->sq_shadow = kvcalloc(qp->sq.num_entries, qp->sq.stride, GFP_KERNEL_ACCOUNT);
	qp->send_progress = kvcalloc(qp->sq.num_entries, sizeof(*qp->send_progress),
				     GFP_KERNEL_ACCOUNT);
	qp->recv_wqe = kmalloc(hodp_recv_wqe_size(qp->max_recv_sge), GFP_KERNEL_ACCOUNT);
	if (!qp->sq_shadow || !qp->send_progress || !qp->recv_wqe) {
		hodp_engine_free_qp(qp);
		return -ENOMEM;
	}
	/* The requester starts idle: the first post must ring. */
	qp->sq.ring->doorbell = 1;
	return 0;
}

void hodp_engine_free_qp(struct hodp_qp *qp)
{
	kvfree(qp->sq_shadow);
	kvfree(qp->send_progress);
	kfree(qp->recv_wqe);
	kfree(qp->rd_res);
	qp->sq_shadow = NULL;
	qp->send_progress = NULL;
	qp->recv_wqe = NULL;
	qp->rd_res = NULL;
}

/* Stop the work item for good: no fault outstanding, no packet held. */
static void hodp_engine_drop_waits(struct hodp_qp *qp)
{
	/* Inert first: a fault ending below may still queue it. */
	WRITE_ONCE(qp->stopped, true);
	cancel_work_sync(&qp->work);
	hodp_odp_wait_reset(&qp->hdev->odp, &qp->req_wait);
	hodp_odp_wait_reset(&qp->hdev->odp, &qp->rx_wait);
	cancel_work_sync(&qp->work);
	kfree_skb(qp->rx_parked);
	qp->rx_parked = NULL;
	skb_queue_purge(&qp->rx);
}

/* Stop all engine activity of @qp and drop what it holds. */
void hodp_engine_stop_qp(struct hodp_qp *qp)
{
	timer_shutdown_sync(&qp->retry_timer);
	hodp_engine_drop_waits(qp);
	hodp_resp_reset(qp);
}

static void hodp_engine_quiesce(struct hodp_qp *qp)
{
	timer_delete_sync(&qp->retry_timer);
	hodp_engine_drop_waits(qp);
}

/* Hold the work item off (it may be kicked meanwhile: nothing runs). */
void hodp_engine_pause(struct hodp_qp *qp)
{
	disable_work_sync(&qp->work);
}

/* Let it run again, and run it for whatever kicked it while paused. */
void hodp_engine_resume(struct hodp_qp *qp)
{
	enable_work(&qp->work);
	hodp_qp_schedule(qp);
}

static void hodp_set_state(struct hodp_qp *qp, enum ib_qp_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&qp->state_lock, flags);
	/* Publishes the attributes set before it to the engine (hodp_qp_state()). */
	smp_store_release(&qp->state, state);
	spin_unlock_irqrestore(&qp->state_lock, flags);
}

void hodp_engine_set_state(struct hodp_qp *qp, enum ib_qp_state next)
{
	u32 prod;

	switch (next) {
	case IB_QPS_RESET:
		/* Posted work is discarded: every index catches up with its producer. */
		hodp_engine_quiesce(qp);
		hodp_set_state(qp, IB_QPS_RESET);
		prod = READ_ONCE(qp->sq.ring->producer);
		qp->sq_head = prod;
		qp->sq_next = prod;
		qp->sq_fetched = prod;
		qp->req_offset = 0;
		qp->rd_atomic_inflight = 0;
		qp->rnr_wait = false;
		hodp_queue_store(&qp->sq.ring->consumer, prod);
		qp->sq.ring->doorbell = 1;
		if (hodp_qp_has_rq(qp)) {
			qp->rq_cons = READ_ONCE(qp->rq.ring->producer);
			hodp_queue_store(&qp->rq.ring->consumer, qp->rq_cons);
			qp->rq.ring->doorbell = 0;
		}
		hodp_resp_reset(qp);
		/* Quiet, reset: the work item may run again (and find RESET). */
		WRITE_ONCE(qp->stopped, false);
		break;
	case IB_QPS_RTR:
		qp->resp_psn = qp->rq_psn;
		hodp_set_state(qp, next);
		break;
	case IB_QPS_RTS:
		qp->req_psn = qp->sq_psn;
		qp->acked_psn = qp->sq_psn;
		qp->retry_left = qp->retry_cnt;
		qp->rnr_left = qp->rnr_retry;
		hodp_set_state(qp, next);
		break;
	case IB_QPS_SQE:
	case IB_QPS_ERR:
		hodp_qp_error(qp);
		return;
	default:
		hodp_set_state(qp, next);
		break;
	}
	hodp_qp_schedule(qp);
}

void hodp_qp_error(struct hodp_qp *qp)
{
	hodp_set_state(qp, IB_QPS_ERR);
	/* Receives posted from now on must be flushed too: ask the provider to kick. */
	if (hodp_qp_has_rq(qp))
		WRITE_ONCE(qp->rq.ring->doorbell, 1);
	hodp_qp_schedule(qp);
}

void hodp_qp_complete(struct hodp_qp *qp, struct hodp_cq *cq, struct hodp_cqe *cqe,
		      bool solicited)
{
	cqe->qp_num = qp->ibqp.qp_num;
	cqe->port_num = 1;
	if (hodp_cq_post(cq, cqe, &qp->ibqp, solicited))
		hodp_qp_error(qp);
}

int hodp_engine_init(void)
{
	/* Unbound: QPs spread over CPUs; WQ_MEM_RECLAIM as the engine serves block ULPs. */
	hodp_wq = alloc_workqueue("hodp", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return hodp_wq ? 0 : -ENOMEM;
}

void hodp_engine_exit(void)
{
	destroy_workqueue(hodp_wq);
}
