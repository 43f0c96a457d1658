/* SPDX-License-Identifier: GPL-2.0 */
/* Completion queues. */
#ifndef HODP_CQ_H
#define HODP_CQ_H

#include "hodp_compat.h"
#include "hodp_queue.h"

struct hodp_qp;

struct hodp_cq {
	struct ib_cq ibcq;
	struct hodp_queue q;
	/* Guards the producer side, the notify state and resizing. */
	spinlock_t lock;
	u32 prod;		/* our copy of the producer index */
	u32 kcons;		/* consumer index when the kernel polls (kernel CQs) */
	u8 notify;		/* IB_CQ_SOLICITED or IB_CQ_NEXT_COMP when armed */
	bool overflowed;
	/* QPs completing here, for the work they may still complete (resize). */
	struct list_head send_qps;
	struct list_head recv_qps;
};

static inline struct hodp_cq *to_hcq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct hodp_cq, ibcq);
}

int hodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs);
int hodp_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int hodp_resize_cq(struct ib_cq *ibcq, HODP_CQE_T cqe, struct ib_udata *udata);
int hodp_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int hodp_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);

void hodp_cq_attach_qp(struct hodp_qp *qp);
void hodp_cq_detach_qp(struct hodp_qp *qp);
int hodp_cq_post(struct hodp_cq *cq, const struct hodp_cqe *cqe, struct ib_qp *qp,
		 bool solicited);

#endif /* HODP_CQ_H */
