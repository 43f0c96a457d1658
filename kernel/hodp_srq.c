// SPDX-License-Identifier: GPL-2.0
/*
 * Shared receive queues, and how the responder takes a receive WQE from a
 * QP's own RQ or its SRQ (with the SRQ limit event).
 */
#include <rdma/uverbs_ioctl.h>

#include "hodp.h"
#include "hodp_cq.h"
#include "hodp_engine.h"
#include "hodp_srq.h"

/*
 * SRQ numbers, which XRC requests name: cyclic, so that a number is not
 * soon reused.
 */
static int hodp_srq_publish(struct hodp_dev *hdev, struct hodp_srq *srq)
{
	int err;

	refcount_set(&srq->refs, 1);
	init_completion(&srq->released);
	err = xa_alloc_cyclic(&hdev->srq_xa, &srq->srqn, srq, XA_LIMIT(1, HODP_QPN_MASK),
			      &hdev->next_srqn, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOMEM : err;
	return 0;
}

/* No new lookups, and none still holding it. */
static void hodp_srq_unpublish(struct hodp_srq *srq)
{
	xa_erase(&to_hdev(srq->ibsrq.device)->srq_xa, srq->srqn);
	hodp_srq_put(srq);
	wait_for_completion(&srq->released);
	synchronize_rcu();	/* a lookup that lost the race is out of srq->refs */
}

struct hodp_srq *hodp_srq_get(struct hodp_dev *hdev, u32 srqn)
{
	struct hodp_srq *srq;

	rcu_read_lock();
	srq = xa_load(&hdev->srq_xa, srqn);
	if (srq && !refcount_inc_not_zero(&srq->refs))
		srq = NULL;
	rcu_read_unlock();
	return srq;
}

void hodp_srq_put(struct hodp_srq *srq)
{
	if (refcount_dec_and_test(&srq->refs))
		complete(&srq->released);
}

int hodp_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibsrq->device);
	struct hodp_srq *srq = to_hsrq(ibsrq);
	struct hodp_create_srq_resp resp = {};
	struct ib_srq_attr *attr = &init->attr;
	int err;

	switch (init->srq_type) {
	case IB_SRQT_BASIC:
		break;
	case IB_SRQT_XRC:
		if (!init->ext.cq || !init->ext.xrc.xrcd)
			return -EINVAL;
		srq->cq = to_hcq(init->ext.cq);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!attr->max_wr || attr->max_wr > HODP_MAX_SRQ_WR || attr->max_sge > HODP_MAX_SGE ||
	    attr->srq_limit > attr->max_wr)
		return -EINVAL;
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;
	if (atomic_inc_return(&hdev->num_srq) > HODP_MAX_SRQ) {
		err = -ENOMEM;
		goto err_count;
	}

	spin_lock_init(&srq->lock);
	srq->max_sge = max_t(u32, attr->max_sge, 1);
	err = hodp_queue_init(&srq->q, attr->max_wr, hodp_recv_wqe_size(srq->max_sge),
			      hodp_udata_ucontext(udata), &resp.srq);
	if (err)
		goto err_count;
	srq->max_sge = min_t(u32, HODP_MAX_SGE, (srq->q.stride - sizeof(struct hodp_recv_wqe)) /
					       sizeof(struct hodp_sge));
	srq->limit = attr->srq_limit;
	attr->max_wr = srq->q.num_entries;
	attr->max_sge = srq->max_sge;
	srq->odp_owner = udata ? to_huc(hodp_udata_ucontext(udata))->odp_owner :
				 &hdev->odp.kernel_owner;

	err = hodp_srq_publish(hdev, srq);
	if (err)
		goto err_queue;
	/* The core reports an XRC SRQ's number to userspace; the provider reads it here. */
	ibsrq->ext.xrc.srq_num = srq->srqn;
	resp.srq_num = srq->srqn;
	if (udata) {
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_publish;
	}
	return 0;

err_publish:
	hodp_srq_unpublish(srq);
err_queue:
	hodp_queue_cleanup(&srq->q);
err_count:
	atomic_dec(&hdev->num_srq);
	return err;
}

/*
 * Move the SRQ to a ring of at least @max_wr slots, taking along the WQEs
 * not yet consumed at the same indices.  The old ring stays mapped until
 * userspace unmaps it, which it does once it has mapped the new one.
 */
static int hodp_srq_resize(struct hodp_srq *srq, u32 max_wr, struct ib_udata *udata)
{
	struct hodp_modify_srq_cmd cmd = {};
	struct hodp_ring_info info = {};
	struct hodp_queue newq, oldq;
	u32 prod, i;
	int err;

	if (!max_wr || max_wr > HODP_MAX_SRQ_WR || max_wr < READ_ONCE(srq->limit))
		return -EINVAL;
	if (udata) {
		if (udata->inlen < sizeof(cmd))
			return -EINVAL;
		err = ib_copy_from_udata(&cmd, udata, sizeof(cmd));
		if (err)
			return err;
	}
	err = hodp_queue_init(&newq, max_wr, srq->q.stride, hodp_udata_ucontext(udata), &info);
	if (err)
		return err;
	if (udata && copy_to_user(u64_to_user_ptr(cmd.ring_info_addr), &info, sizeof(info))) {
		hodp_queue_cleanup(&newq);
		return -EFAULT;
	}

	spin_lock_irq(&srq->lock);
	prod = hodp_queue_load(&srq->q.ring->producer);
	/* Fewer slots than WQEs outstanding is refused, whatever the rounding gives. */
	if (prod - srq->cons > srq->q.num_entries || prod - srq->cons > max_wr) {
		spin_unlock_irq(&srq->lock);
		hodp_queue_cleanup(&newq);
		return -EINVAL;
	}
	for (i = srq->cons; i != prod; i++)
		memcpy(hodp_queue_slot(&newq, i), hodp_queue_slot(&srq->q, i), newq.stride);
	newq.ring->producer = prod;
	newq.ring->consumer = srq->cons;
	oldq = srq->q;
	srq->q = newq;
	spin_unlock_irq(&srq->lock);
	hodp_queue_cleanup(&oldq);
	return 0;
}

int hodp_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct hodp_srq *srq = to_hsrq(ibsrq);
	int err;

	if (mask & ~(IB_SRQ_MAX_WR | IB_SRQ_LIMIT))
		return -EINVAL;
	if (mask & IB_SRQ_MAX_WR) {
		err = hodp_srq_resize(srq, attr->max_wr, udata);
		if (err)
			return err;
	}
	if (mask & IB_SRQ_LIMIT) {
		if (attr->srq_limit > srq->q.num_entries)
			return -EINVAL;
		spin_lock_irq(&srq->lock);
		srq->limit = attr->srq_limit;
		spin_unlock_irq(&srq->lock);
	}
	return 0;
}

int hodp_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct hodp_srq *srq = to_hsrq(ibsrq);

	attr->max_wr = srq->q.num_entries;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = READ_ONCE(srq->limit);
	return 0;
}

int hodp_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct hodp_srq *srq = to_hsrq(ibsrq);

	hodp_srq_unpublish(srq);
	hodp_queue_cleanup(&srq->q);
	atomic_dec(&to_hdev(ibsrq->device)->num_srq);
	return 0;
}

int hodp_recv_wr_to_ring(struct hodp_queue *q, u32 max_sge, const struct ib_recv_wr *wr)
{
	u32 prod = q->ring->producer;
	struct hodp_recv_wqe *rwqe;
	int i;

	if (prod - READ_ONCE(q->ring->consumer) >= q->num_entries)
		return -ENOMEM;
	if (wr->num_sge > max_sge)
		return -EINVAL;
	rwqe = hodp_queue_slot(q, prod);
	rwqe->wr_id = wr->wr_id;
	rwqe->num_sge = wr->num_sge;
	for (i = 0; i < wr->num_sge; i++) {
		rwqe->sge[i].addr = wr->sg_list[i].addr;
		rwqe->sge[i].length = wr->sg_list[i].length;
		rwqe->sge[i].lkey = wr->sg_list[i].lkey;
	}
	hodp_queue_store(&q->ring->producer, prod + 1);
	return 0;
}

int hodp_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
		       const struct ib_recv_wr **bad_wr)
{
	struct hodp_srq *srq = to_hsrq(ibsrq);
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&srq->lock, flags);
	for (; wr; wr = wr->next) {
		err = hodp_recv_wr_to_ring(&srq->q, srq->max_sge, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&srq->lock, flags);
	return err;
}

/* Copy slot @index of @q into @dst, whose SGE list holds @max_sge entries. */
static void hodp_recv_copy(struct hodp_queue *q, u32 index, u32 max_sge, void *dst)
{
	struct hodp_recv_wqe *rwqe = dst;

	memcpy(dst, hodp_queue_slot(q, index), hodp_recv_wqe_size(max_sge));
	/* Userspace owns the slot: an SGE count beyond the copy is cut to nothing. */
	if (rwqe->num_sge > max_sge)
		rwqe->num_sge = 0;
}

static bool hodp_srq_fetch(struct hodp_qp *qp, struct hodp_srq *srq)
{
	bool limit_reached = false;
	unsigned long flags;
	u32 prod;

	/* Never more than qp->recv_wqe holds (an XRC target's takes any SRQ's). */
	if (WARN_ON_ONCE(srq->max_sge > qp->max_recv_sge))
		return false;
	spin_lock_irqsave(&srq->lock, flags);
	prod = hodp_queue_load(&srq->q.ring->producer);
	if (prod == srq->cons || prod - srq->cons > srq->q.num_entries) {
		spin_unlock_irqrestore(&srq->lock, flags);
		return false;
	}
	hodp_recv_copy(&srq->q, srq->cons, srq->max_sge, qp->recv_wqe);
	srq->cons++;
	hodp_queue_store(&srq->q.ring->consumer, srq->cons);
	if (srq->limit && prod - srq->cons < srq->limit) {
		srq->limit = 0;	/* one event per arming */
		limit_reached = true;
	}
	spin_unlock_irqrestore(&srq->lock, flags);

	if (limit_reached && srq->ibsrq.event_handler) {
		struct ib_event ev = {
			.device = srq->ibsrq.device,
			.element.srq = &srq->ibsrq,
			.event = IB_EVENT_SRQ_LIMIT_REACHED,
		};

		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
	}
	return true;
}

bool hodp_recv_fetch(struct hodp_qp *qp)
{
	struct hodp_srq *srq = qp->xrc_srq ?: qp->srq;
	u32 prod;

	if (srq)
		return hodp_srq_fetch(qp, srq);
	if (!hodp_qp_has_rq(qp))
		return false;

	prod = hodp_queue_load(&qp->rq.ring->producer);
	if (prod == qp->rq_cons || prod - qp->rq_cons > qp->rq.num_entries)
		return false;
	hodp_recv_copy(&qp->rq, qp->rq_cons, qp->max_recv_sge, qp->recv_wqe);
	qp->rq_cons++;
	hodp_queue_store(&qp->rq.ring->consumer, qp->rq_cons);
	return true;
}
