/* SPDX-License-Identifier: GPL-2.0 */
/* Shared receive queues, and taking receive WQEs from an RQ or SRQ. */
#ifndef HODP_SRQ_H
#define HODP_SRQ_H

#include "hodp_queue.h"

struct hodp_cq;
struct hodp_dev;
struct hodp_odp_owner;
struct hodp_qp;

struct hodp_srq {
	struct ib_srq ibsrq;
	u32 srqn;			/* in hdev->srq_xa */
	struct hodp_cq *cq;		/* XRC: where its receives complete */
	struct hodp_odp_owner *odp_owner;	/* XRC: whose faults its requests' are */
	/* XRC targets' lookups by number hold a reference; destroy waits for them. */
	refcount_t refs;
	struct completion released;
	struct hodp_queue q;
	/* Guards the consumer side: several QPs take WQEs. */
	spinlock_t lock;
	u32 cons;
	u32 max_sge;
	u32 limit;		/* armed limit, 0 when disarmed */
};

static inline struct hodp_srq *to_hsrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct hodp_srq, ibsrq);
}

int hodp_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata);
int hodp_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata);
int hodp_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int hodp_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
int hodp_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad_wr);

/* The live SRQ numbered @srqn, referenced; or NULL. */
struct hodp_srq *hodp_srq_get(struct hodp_dev *hdev, u32 srqn);
void hodp_srq_put(struct hodp_srq *srq);

/* Bytes of a receive slot holding @max_sge SGEs. */
static inline u32 hodp_recv_wqe_size(u32 max_sge)
{
	return sizeof(struct hodp_recv_wqe) + max_sge * sizeof(struct hodp_sge);
}

/* Write a kernel consumer's receive WR into @q's next slot (caller serializes). */
int hodp_recv_wr_to_ring(struct hodp_queue *q, u32 max_sge, const struct ib_recv_wr *wr);

/*
 * Copy the QP's next receive WQE (an XRC target's: from the SRQ of the
 * request in hand) into qp->recv_wqe and consume it.  Returns false when
 * none is posted.
 */
bool hodp_recv_fetch(struct hodp_qp *qp);

#endif /* HODP_SRQ_H */
