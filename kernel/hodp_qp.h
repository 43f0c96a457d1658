/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Queue pairs: verbs-visible attributes, the rings, and the engine state of
 * the requester, responder and completer.  All engine state of a QP is owned
 * by its work item (hodp_qp_run()), which the workqueue never runs twice at
 * once; other contexts only queue packets and schedule the work.
 */
#ifndef HODP_QP_H
#define HODP_QP_H

#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "hodp_hdr.h"
#include "hodp_odp.h"
#include "hodp_queue.h"

struct hodp_cq;
struct hodp_srq;
struct hodp_mr;

/* Where packets of a connected QP (or a UD AH) go. */
struct hodp_av {
	union ib_gid sgid;
	union ib_gid dgid;
	enum rdma_network_type net_type;	/* RDMA_NETWORK_IPV4 or _IPV6 */
	u32 flow_label;
	u8 sgid_index;
	u8 hop_limit;
	u8 traffic_class;
};

/* Requester's view of one send WQE while it is outstanding. */
struct hodp_send_progress {
	u32 first_psn;
	u32 last_psn;
	u32 npkts;
	u32 length;		/* total bytes of the message */
	u32 resp_done;		/* READ: response bytes received so far */
	u8 state;		/* enum hodp_wqe_stage */
	u8 wc_status;
	bool signaled;
	bool rd_atomic;		/* holds an outstanding RDMA READ/atomic credit */
};

enum hodp_wqe_stage {
	HODP_WQE_POSTED,	/* copied, not started */
	HODP_WQE_SENDING,	/* some packets sent */
	HODP_WQE_SENT,		/* every packet sent, waiting for the ACK/response */
	HODP_WQE_DONE,		/* completed (status in wc_status) */
};

/* A received READ or atomic, kept to answer a duplicate request. */
struct hodp_rd_res {
	u8 opcode;		/* HODP_READ_REQUEST, HODP_COMPARE_SWAP, HODP_FETCH_ADD */
	bool valid;
	u32 first_psn;
	u32 last_psn;
	u64 va;
	u32 rkey;
	u32 length;
	u64 orig;		/* atomics: the value returned */
	u32 xrc_srqn;		/* XRC target: the SRQ (and so the PD) the READ named */
};

struct hodp_qp {
	struct ib_qp ibqp;
	struct hodp_dev *hdev;

	/* Serializes modify/query against each other. */
	struct mutex attr_lock;
	/* Guards state changes: modify_qp and the engine's moves to ERR. */
	spinlock_t state_lock;
	enum ib_qp_state state;
	bool sq_sig_all;
	bool is_user;

	/* Attributes set by modify_qp. */
	struct hodp_av av;
	u32 dest_qpn;
	u32 qkey;
	u32 sq_psn;
	u32 rq_psn;
	enum ib_mtu path_mtu;
	u32 mtu;			/* bytes: min(path MTU, port MTU) */
	int access_flags;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
	u8 min_rnr_timer;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	u16 pkey_index;

	/* Rings and their limits. */
	struct hodp_queue sq;
	struct hodp_queue rq;		/* unused with an SRQ */
	void *sq_shadow;		/* kernel copies of the SQ slots */
	struct hodp_send_progress *send_progress;	/* the requester's, per SQ slot */
	u32 max_send_sge;
	u32 max_inline;
	u32 max_recv_sge;
	struct hodp_srq *srq;
	struct hodp_cq *scq;
	struct hodp_cq *rcq;
	struct list_head scq_node;	/* on scq->send_qps */
	struct list_head rcq_node;	/* on rcq->recv_qps */

	/* Engine: everything below belongs to the QP's work item. */
	struct work_struct work;
	/*
	 * Being reset or destroyed: the work item does nothing, though an ODP
	 * fault ending may still queue it.  Set and cleared by modify/destroy.
	 */
	bool stopped;
	struct sk_buff_head rx;		/* packets from the wire or a local QP */
	struct timer_list retry_timer;	/* ACK time-out and RNR wait */
	unsigned long retry_deadline;	/* when it is due, in jiffies */
	bool retry_timer_fired;

	/* Requester and completer: SQ indices run freely like the ring's. */
	u32 sq_head;		/* oldest uncompleted WQE */
	u32 sq_next;		/* next WQE the requester starts or continues */
	u32 sq_fetched;		/* WQEs copied from the ring */
	u32 req_psn;		/* next PSN to send */
	u32 acked_psn;		/* every PSN before this one is acknowledged */
	u32 read_resp_psn;	/* next READ response PSN the completer expects */
	u32 req_offset;		/* bytes of WQE sq_next already sent */
	u32 rd_atomic_inflight;
	u32 retry_left;
	u32 rnr_left;
	bool rnr_wait;		/* waiting out an RNR NAK before resending */
	bool read_gap;		/* a READ was re-issued for a gap in its responses */
	bool req_flush;		/* SQ in error: complete everything flushed */

	/* Responder. */
	u32 rq_cons;		/* our copy of the RQ consumer index */
	u32 resp_psn;		/* expected PSN */
	u32 msn;
	bool nak_seq_sent;	/* a PSN sequence NAK is outstanding */
	bool recv_active;	/* a multi-packet SEND is filling recv_wqe */
	u32 recv_offset;
	void *recv_wqe;		/* kernel copy of the receive WQE in use */
	u32 write_rkey;		/* multi-packet RDMA WRITE in progress (write_left) */
	u64 write_va;
	u32 write_left;
	/* RC: HODP_MAX_RD_ATOM entries, the first max_dest_rd_atomic used round robin. */
	struct hodp_rd_res *rd_res;
	u32 rd_res_next;
	/*
	 * XRC target: the SRQ the request in hand names, referenced while it
	 * is handled (hodp_resp_xrc_enter()), whose PD, receive WQEs and CQ
	 * it uses; and the SRQ of the message in progress.
	 */
	struct hodp_srq *xrc_srq;
	u32 xrc_srqn;
	/* An RDMA READ being answered, possibly over several runs. */
	struct hodp_rd_res *read_active;
	u32 read_psn;
	u32 read_offset;

	/*
	 * ODP: the requester and the receive side each wait for at most one
	 * fault; a receive-side fault keeps the packet it interrupted.
	 */
	struct hodp_odp_wait req_wait;
	struct hodp_odp_wait rx_wait;
	struct hodp_odp_owner *odp_owner;	/* whose faults they are */
	struct sk_buff *rx_parked;
	bool rx_parked_started;	/* it had begun executing: its replay resumes it */
	bool rx_resume;		/* the packet being handled is such a replay */

	/* Lookups from the receive path hold a reference; destroy waits for them. */
	refcount_t refs;
	struct completion released;
};

/* The state, ordered before the attributes modify_qp set before changing it. */
static inline enum ib_qp_state hodp_qp_state(struct hodp_qp *qp)
{
	/* Pairs with the release in hodp_set_state(). */
	return smp_load_acquire(&qp->state);
}

static inline struct hodp_qp *to_hqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct hodp_qp, ibqp);
}

static inline bool hodp_qp_is_xrc(const struct hodp_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_XRC_INI || qp->ibqp.qp_type == IB_QPT_XRC_TGT;
}

/* RC and both ends of XRC: acknowledged and retried. */
static inline bool hodp_qp_reliable(const struct hodp_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_RC || hodp_qp_is_xrc(qp);
}

/* Connected to one peer QP by modify_qp. */
static inline bool hodp_qp_connected(const struct hodp_qp *qp)
{
	return hodp_qp_reliable(qp) || qp->ibqp.qp_type == IB_QPT_UC;
}

/* The transport bits of the QP's BTH opcodes. */
static inline u8 hodp_qp_transport(const struct hodp_qp *qp)
{
	switch (qp->ibqp.qp_type) {
	case IB_QPT_RC:
		return HODP_TRANSPORT_RC;
	case IB_QPT_UC:
		return HODP_TRANSPORT_UC;
	case IB_QPT_XRC_INI:
	case IB_QPT_XRC_TGT:
		return HODP_TRANSPORT_XRC;
	default:
		return HODP_TRANSPORT_UD;
	}
}

/* A receive queue of its own: not on an SRQ, not XRC (whose target takes the request's SRQ). */
static inline bool hodp_qp_has_rq(const struct hodp_qp *qp)
{
	return !qp->srq && !hodp_qp_is_xrc(qp);
}

int hodp_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init, struct ib_udata *udata);
int hodp_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata);
int hodp_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init);
int hodp_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int hodp_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr);
int hodp_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr);

struct hodp_qp *hodp_qp_get(struct hodp_dev *hdev, u32 qpn);
struct hodp_qp *hodp_qp_get_next(struct hodp_dev *hdev, unsigned long *qpn);
void hodp_qp_put(struct hodp_qp *qp);

#endif /* HODP_QP_H */
