// SPDX-License-Identifier: GPL-2.0
/*
 * Completion queues: the engine produces completions into the ring.  A user
 * CQ holds struct hodp_cqe slots the provider polls straight from its
 * mapping; a kernel CQ holds struct ib_wc slots that hodp_poll_cq() copies.
 * Overflow raises IB_EVENT_CQ_ERR and drops the completion; the caller moves
 * its QP to the error state.
 */
#include <rdma/uverbs_ioctl.h>

#include "hodp.h"
#include "hodp_cq.h"
#include "hodp_qp.h"

static u32 hodp_cq_ring_entries(int cqe)
{
	/* One slot more than asked for: a full ring is told from an empty one by the indices. */
	return (u32)cqe + 1;
}

int hodp_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct uverbs_attr_bundle *attrs)
{
	struct ib_udata *udata = attrs ? &attrs->driver_udata : NULL;
	struct hodp_dev *hdev = to_hdev(ibcq->device);
	struct hodp_cq *cq = to_hcq(ibcq);
	struct hodp_create_cq_resp resp = {};
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->cqe < 1 || attr->cqe > hdev->attr.max_cqe)
		return -EINVAL;
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;

	spin_lock_init(&cq->lock);
	INIT_LIST_HEAD(&cq->send_qps);
	INIT_LIST_HEAD(&cq->recv_qps);
	err = hodp_queue_init(&cq->q, hodp_cq_ring_entries(attr->cqe),
			      udata ? sizeof(struct hodp_cqe) : sizeof(struct ib_wc),
			      hodp_udata_ucontext(udata), &resp.cq);
	if (err)
		return err;
	/* Report the usable depth, not the slot count. */
	ibcq->cqe = cq->q.num_entries - 1;

	if (udata) {
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_queue;
	}
	return 0;

err_queue:
	hodp_queue_cleanup(&cq->q);
	return err;
}

int hodp_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	hodp_queue_cleanup(&to_hcq(ibcq)->q);
	return 0;
}

/* Entries the consumer has not taken yet; bounded, as a user index is untrusted. */
static u32 hodp_cq_used(struct hodp_cq *cq, u32 cons)
{
	u32 used = cq->prod - cons;

	return min(used, cq->q.num_entries);
}

static u32 hodp_cq_consumer(struct hodp_cq *cq)
{
	return cq->q.mmap_entry ? hodp_queue_load(&cq->q.ring->consumer) : cq->kcons;
}

/* XRC QPs lack one CQ or both (an XRC target's receives complete on the SRQs' CQs). */
void hodp_cq_attach_qp(struct hodp_qp *qp)
{
	if (qp->scq) {
		spin_lock_irq(&qp->scq->lock);
		list_add_tail(&qp->scq_node, &qp->scq->send_qps);
		spin_unlock_irq(&qp->scq->lock);
	}
	if (qp->rcq) {
		spin_lock_irq(&qp->rcq->lock);
		list_add_tail(&qp->rcq_node, &qp->rcq->recv_qps);
		spin_unlock_irq(&qp->rcq->lock);
	}
}

void hodp_cq_detach_qp(struct hodp_qp *qp)
{
	if (qp->scq) {
		spin_lock_irq(&qp->scq->lock);
		list_del(&qp->scq_node);
		spin_unlock_irq(&qp->scq->lock);
	}
	if (qp->rcq) {
		spin_lock_irq(&qp->rcq->lock);
		list_del(&qp->rcq_node);
		spin_unlock_irq(&qp->rcq->lock);
	}
}

/* Completions the CQ's QPs may still produce for work already posted (an upper bound). */
static u32 hodp_cq_promised(struct hodp_cq *cq)
{
	struct hodp_qp *qp;
	u32 n = 0;

	list_for_each_entry(qp, &cq->send_qps, scq_node)
		n += min(READ_ONCE(qp->sq.ring->producer) - READ_ONCE(qp->sq_head),
			 qp->sq.num_entries);
	list_for_each_entry(qp, &cq->recv_qps, rcq_node)
		if (hodp_qp_has_rq(qp))
			n += min(READ_ONCE(qp->rq.ring->producer) - READ_ONCE(qp->rq_cons),
				 qp->rq.num_entries);
	return n;
}

int hodp_resize_cq(struct ib_cq *ibcq, HODP_CQE_T cqe, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibcq->device);
	struct hodp_cq *cq = to_hcq(ibcq);
	struct hodp_resize_cq_resp resp = {};
	struct hodp_queue newq, oldq;
	u32 cons, used, i;
	int err;

	if (cqe < 1 || cqe > hdev->attr.max_cqe)
		return -EINVAL;
	/* A kernel caller has no udata and no mapping to tell about. */
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;

	err = hodp_queue_init(&newq, hodp_cq_ring_entries(cqe), sizeof(struct hodp_cqe),
			      hodp_udata_ucontext(udata), &resp.cq);
	if (err)
		return err;

	spin_lock_irq(&cq->lock);
	cons = hodp_cq_consumer(cq);
	used = hodp_cq_used(cq, cons);
	/* Refuse a size that work already posted could overflow. */
	if (used + hodp_cq_promised(cq) > newq.num_entries - 1) {
		spin_unlock_irq(&cq->lock);
		err = -EINVAL;	/* fewer slots than completions waiting in the queue */
		goto err_newq;
	}
	/* Pending completions move over, renumbered from zero. */
	for (i = 0; i < used; i++)
		memcpy(hodp_queue_slot(&newq, i), hodp_queue_slot(&cq->q, cons + i),
		       sizeof(struct hodp_cqe));
	newq.ring->producer = used;
	oldq = cq->q;
	cq->q = newq;
	cq->prod = used;
	spin_unlock_irq(&cq->lock);

	err = udata ? ib_copy_to_udata(udata, &resp, sizeof(resp)) : 0;
	hodp_queue_cleanup(&oldq);
	if (err)
		return err;
	ibcq->cqe = cq->q.num_entries - 1;
	return 0;

err_newq:
	hodp_queue_cleanup(&newq);
	return err;
}

static_assert(HODP_NETWORK_IPV4 == RDMA_NETWORK_IPV4 && HODP_NETWORK_IPV6 == RDMA_NETWORK_IPV6);

static void hodp_cqe_to_wc(const struct hodp_cqe *cqe, struct ib_wc *wc)
{
	*wc = (struct ib_wc) {
		.wr_id = cqe->wr_id,
		.status = cqe->status,
		.opcode = cqe->opcode,
		.vendor_err = cqe->vendor_err,
		.byte_len = cqe->byte_len,
		.ex.imm_data = (__force __be32)cqe->imm_data,
		.src_qp = cqe->src_qp,
		.wc_flags = (cqe->wc_flags & HODP_WC_GRH ? IB_WC_GRH : 0) |
			    (cqe->wc_flags & HODP_WC_WITH_IMM ? IB_WC_WITH_IMM : 0) |
			    (cqe->wc_flags & HODP_WC_WITH_INV ? IB_WC_WITH_INVALIDATE : 0),
		.pkey_index = cqe->pkey_index,
		.slid = cqe->slid,
		.sl = cqe->sl,
		.dlid_path_bits = cqe->dlid_path_bits,
		.port_num = cqe->port_num,
		.network_hdr_type = cqe->network_hdr_type,
	};
}

int hodp_cq_post(struct hodp_cq *cq, const struct hodp_cqe *cqe, struct ib_qp *qp,
		 bool solicited)
{
	bool notify = false, overflow = false;
	unsigned long flags;

	spin_lock_irqsave(&cq->lock, flags);
	if (hodp_cq_used(cq, hodp_cq_consumer(cq)) >= cq->q.num_entries - 1) {
		overflow = !cq->overflowed;
		cq->overflowed = true;
	} else {
		void *slot = hodp_queue_slot(&cq->q, cq->prod);

		if (cq->q.mmap_entry) {
			memcpy(slot, cqe, sizeof(*cqe));
		} else {
			hodp_cqe_to_wc(cqe, slot);
			((struct ib_wc *)slot)->qp = qp;
		}
		cq->prod++;
		hodp_queue_store(&cq->q.ring->producer, cq->prod);
		if (cq->notify == IB_CQ_NEXT_COMP ||
		    (cq->notify == IB_CQ_SOLICITED && solicited)) {
			cq->notify = 0;
			notify = true;
		}
	}
	spin_unlock_irqrestore(&cq->lock, flags);

	if (overflow && cq->ibcq.event_handler) {
		struct ib_event ev = {
			.device = cq->ibcq.device,
			.element.cq = &cq->ibcq,
			.event = IB_EVENT_CQ_ERR,
		};

		cq->ibcq.event_handler(&ev, cq->ibcq.cq_context);
	}
	if (notify && cq->ibcq.comp_handler)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	return overflow || cq->overflowed ? -EOVERFLOW : 0;
}

/* Kernel CQs only: user CQs are polled from the mapping by the provider. */
int hodp_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&cq->lock, flags);
	while (n < num_entries && cq->kcons != cq->prod) {
		wc[n] = *(struct ib_wc *)hodp_queue_slot(&cq->q, cq->kcons);
		cq->kcons++;
		n++;
	}
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

int hodp_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct hodp_cq *cq = to_hcq(ibcq);
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&cq->lock, irqflags);
	/* NEXT_COMP covers SOLICITED: keep the wider arming. */
	if (cq->notify != IB_CQ_NEXT_COMP)
		cq->notify = flags & IB_CQ_SOLICITED_MASK;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) && cq->prod != hodp_cq_consumer(cq))
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}
