/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet engine of a QP: one work item runs the completer and responder
 * over received packets, then the requester over the send queue.
 */
#ifndef HODP_ENGINE_H
#define HODP_ENGINE_H

#include "hodp_qp.h"

struct hodp_cqe;

/* hodp_engine.c */
void hodp_qp_schedule(struct hodp_qp *qp);
void hodp_qp_deliver(struct hodp_qp *qp, struct sk_buff *skb);
void hodp_engine_init_qp(struct hodp_qp *qp);
int hodp_engine_alloc_qp(struct hodp_qp *qp);
void hodp_engine_free_qp(struct hodp_qp *qp);
void hodp_engine_stop_qp(struct hodp_qp *qp);
/* Called by modify_qp with attr_lock held. */
void hodp_engine_set_state(struct hodp_qp *qp, enum ib_qp_state next);
void hodp_engine_pause(struct hodp_qp *qp);
void hodp_engine_resume(struct hodp_qp *qp);

/*
 * After an ODP miss: park @w's stream for a fault (-EAGAIN), or an error if
 * the fault there failed (hodp_odp_park()).
 */
int hodp_qp_park(struct hodp_qp *qp, struct hodp_odp_wait *w, struct hodp_miss *miss);

/* Move @qp to the error state (from any context) and tell its owner. */
void hodp_qp_error(struct hodp_qp *qp);

/* Complete one WQE on @cq for @qp; an overflowing CQ moves @qp to error. */
void hodp_qp_complete(struct hodp_qp *qp, struct hodp_cq *cq, struct hodp_cqe *cqe,
		      bool solicited);

/* The send WQE in SQ slot @index, as the kernel copied it. */
static inline struct hodp_send_wqe *hodp_sq_wqe(struct hodp_qp *qp, u32 index)
{
	return qp->sq_shadow + (size_t)(index & (qp->sq.num_entries - 1)) * qp->sq.stride;
}

static inline struct hodp_send_progress *hodp_sq_state(struct hodp_qp *qp, u32 index)
{
	return &qp->send_progress[index & (qp->sq.num_entries - 1)];
}

/* hodp_req.c */
bool hodp_req_run(struct hodp_qp *qp);
/* Whether @qp's transport offers the work request @opcode. */
bool hodp_opcode_valid(struct hodp_qp *qp, u32 opcode);
/* Restart sending at @psn (go-back-N), from the WQE that holds it. */
void hodp_req_rewind(struct hodp_qp *qp, u32 psn);

/* hodp_comp.c */
/*
 * The receive handlers consume @skb, except when an ODP fault parks it
 * (true): the engine replays it once the fault is served.
 */
bool hodp_comp_rcv(struct hodp_qp *qp, struct sk_buff *skb);
bool hodp_comp_run(struct hodp_qp *qp);
void hodp_comp_flush(struct hodp_qp *qp);
/* The retry timer: jiffies before an ACK is overdue, from the QP's timeout attribute. */
unsigned long hodp_comp_timeout_jiffies(struct hodp_qp *qp);
/* (Re)arm the retry timer; a firing for an earlier deadline is then ignored. */
void hodp_comp_timer_set(struct hodp_qp *qp, unsigned long expires);
/*
 * Packets out and no timer (an RNR wait ended, and the window held back the
 * resend that would have armed it): arm it, or a lost ACK would leave the
 * requester waiting for ever.
 */
void hodp_comp_keep_timer(struct hodp_qp *qp);

/* hodp_resp.c */
bool hodp_resp_rcv(struct hodp_qp *qp, struct sk_buff *skb);
bool hodp_resp_run(struct hodp_qp *qp);
void hodp_resp_parked_rcv(struct hodp_qp *qp);
void hodp_resp_reset(struct hodp_qp *qp);

#endif /* HODP_ENGINE_H */
