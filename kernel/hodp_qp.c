// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pair verbs: creation with its rings, the state machine of modify_qp,
 * query, destruction, and posting for kernel consumers.  User consumers post
 * into the mapped rings and ring the doorbell with a zero-WR post_send.
 */
#include <linux/log2.h>
#include <linux/vmalloc.h>
#include <rdma/ib_cache.h>
#include <rdma/uverbs_ioctl.h>

#include "hodp.h"
#include "hodp_ah.h"
#include "hodp_cq.h"
#include "hodp_engine.h"
#include "hodp_hdr.h"
#include "hodp_pkt.h"
#include "hodp_qp.h"
#include "hodp_srq.h"

#define HODP_FIRST_QPN	16
#define HODP_MAX_INLINE	512

static u32 hodp_send_wqe_size(u32 max_sge, u32 max_inline)
{
	return sizeof(struct hodp_send_wqe) +
	       max_t(u32, max_sge * sizeof(struct hodp_sge), max_inline);
}

static int hodp_qp_check_init(struct hodp_dev *hdev, struct ib_qp_init_attr *init)
{
	struct ib_qp_cap *cap = &init->cap;

	if (init->create_flags)
		return -EOPNOTSUPP;
	switch (init->qp_type) {
	case IB_QPT_RC:
	case IB_QPT_UC:
	case IB_QPT_UD:
	case IB_QPT_GSI:
		if (!init->send_cq || !init->recv_cq)
			return -EINVAL;
		break;
	case IB_QPT_XRC_INI:
		/* Sends only: responses complete on its send CQ; receive sizes mean nothing. */
		if (!init->send_cq || init->srq)
			return -EINVAL;
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
		break;
	case IB_QPT_XRC_TGT:
		/*
		 * Receives only, into the SRQs its requests name: queue sizes
		 * mean nothing, and so does an SRQ given to it (the core passes
		 * one through, and takes no reference on it).
		 */
		if (!init->xrcd)
			return -EINVAL;
		*cap = (struct ib_qp_cap){};
		return 0;
	default:
		return -EOPNOTSUPP;
	}
	if (cap->max_send_wr > HODP_MAX_QP_WR || cap->max_send_sge > HODP_MAX_SGE ||
	    cap->max_inline_data > HODP_MAX_INLINE)
		return -EINVAL;
	if (!init->srq && (cap->max_recv_wr > HODP_MAX_QP_WR ||
			   cap->max_recv_sge > HODP_MAX_SGE))
		return -EINVAL;
	return 0;
}

static int hodp_qp_alloc_qpn(struct hodp_dev *hdev, struct hodp_qp *qp, enum ib_qp_type type)
{
	u32 qpn;
	int err;

	if (type == IB_QPT_GSI) {
		err = xa_insert(&hdev->qp_xa, 1, qp, GFP_KERNEL);
		qpn = 1;
	} else {
		err = xa_alloc_cyclic(&hdev->qp_xa, &qpn, qp,
				      XA_LIMIT(HODP_FIRST_QPN, HODP_QPN_MASK),
				      &hdev->next_qpn, GFP_KERNEL);
		err = err < 0 ? err : 0;
	}
	if (err)
		return err == -EBUSY ? -ENOMEM : err;
	qp->ibqp.qp_num = qpn;
	return 0;
}

/*
 * Take a QP out of the lookups by number: no new ones; then no holder of
 * one (a packet being queued, a debugfs reader) is left; then the engine
 * stops and drops what was queued.
 */
static void hodp_qp_unpublish(struct hodp_qp *qp)
{
	xa_erase(&qp->hdev->qp_xa, qp->ibqp.qp_num);
	hodp_qp_put(qp);
	wait_for_completion(&qp->released);
	synchronize_rcu();
	hodp_engine_stop_qp(qp);
}

/*
 * The SQ, at least one slot so that it always exists (an XRC target's is
 * the kernel's, never posted to), the RQ of a QP that has one, and what
 * their strides leave room for.  On failure the caller cleans up both.
 */
static int hodp_qp_init_rings(struct hodp_qp *qp, const struct ib_qp_cap *cap,
			      struct ib_ucontext *uctx, struct hodp_create_qp_resp *resp)
{
	int err;

	qp->max_send_sge = max_t(u32, cap->max_send_sge, 1);
	qp->max_inline = cap->max_inline_data;
	err = hodp_queue_init(&qp->sq, max_t(u32, cap->max_send_wr, 1),
			      hodp_send_wqe_size(qp->max_send_sge, qp->max_inline), uctx,
			      &resp->sq);
	if (err)
		return err;
	qp->max_send_sge = (qp->sq.stride - sizeof(struct hodp_send_wqe)) /
			   sizeof(struct hodp_sge);
	qp->max_send_sge = min_t(u32, qp->max_send_sge, HODP_MAX_SGE);
	qp->max_inline = min_t(u32, qp->sq.stride - sizeof(struct hodp_send_wqe),
			       HODP_MAX_INLINE);
	if (qp->srq) {
		qp->max_recv_sge = qp->srq->max_sge;
		return 0;
	}
	if (!hodp_qp_has_rq(qp)) {
		/* An XRC target's receive WQEs come from any SRQ. */
		qp->max_recv_sge = qp->ibqp.qp_type == IB_QPT_XRC_TGT ? HODP_MAX_SGE : 0;
		return 0;
	}
	qp->max_recv_sge = max_t(u32, cap->max_recv_sge, 1);
	err = hodp_queue_init(&qp->rq, max_t(u32, cap->max_recv_wr, 1),
			      hodp_recv_wqe_size(qp->max_recv_sge), uctx, &resp->rq);
	if (err)
		return err;
	qp->max_recv_sge = min_t(u32, HODP_MAX_SGE,
				 (qp->rq.stride - sizeof(struct hodp_recv_wqe)) /
				 sizeof(struct hodp_sge));
	return 0;
}

int hodp_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibqp->device);
	struct ib_ucontext *uctx = hodp_udata_ucontext(udata);
	struct hodp_qp *qp = to_hqp(ibqp);
	struct hodp_create_qp_resp resp = {};
	int err;

	err = hodp_qp_check_init(hdev, init);
	if (err)
		return err;
	/* A kernel send WR has no field for the XRC SRQ. */
	if (init->qp_type == IB_QPT_XRC_INI && !udata)
		return -EOPNOTSUPP;
	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;
	if (atomic_inc_return(&hdev->num_qp) > HODP_MAX_QP) {
		err = -ENOMEM;
		goto err_count;
	}

	qp->hdev = hdev;
	qp->is_user = !!udata;
	qp->odp_owner = uctx ? to_huc(uctx)->odp_owner : &hdev->odp.kernel_owner;
	qp->state = IB_QPS_RESET;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	qp->scq = init->qp_type != IB_QPT_XRC_TGT ? to_hcq(init->send_cq) : NULL;
	qp->rcq = init->recv_cq && !hodp_qp_is_xrc(qp) ? to_hcq(init->recv_cq) : NULL;
	qp->srq = init->srq && !hodp_qp_is_xrc(qp) ? to_hsrq(init->srq) : NULL;
	qp->mtu = ib_mtu_enum_to_int(IB_MTU_256);
	qp->path_mtu = IB_MTU_256;
	mutex_init(&qp->attr_lock);
	spin_lock_init(&qp->state_lock);
	refcount_set(&qp->refs, 1);
	init_completion(&qp->released);
	hodp_engine_init_qp(qp);

	err = hodp_qp_init_rings(qp, &init->cap, uctx, &resp);
	if (err)
		goto err_rings;

	err = hodp_engine_alloc_qp(qp);
	if (err)
		goto err_rings;

	err = hodp_qp_alloc_qpn(hdev, qp, init->qp_type);
	if (err)
		goto err_engine;
	hodp_cq_attach_qp(qp);

	if (udata) {
		resp.max_inline_data = qp->max_inline;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_qpn;
	}
	if (init->qp_type == IB_QPT_XRC_TGT)
		return 0;
	/* What the rings hold: a caller's request rounded up. */
	init->cap.max_send_wr = qp->sq.num_entries;
	init->cap.max_send_sge = qp->max_send_sge;
	init->cap.max_inline_data = qp->max_inline;
	if (hodp_qp_has_rq(qp)) {
		init->cap.max_recv_wr = qp->rq.num_entries;
		init->cap.max_recv_sge = qp->max_recv_sge;
	}
	return 0;

err_qpn:
	hodp_qp_unpublish(qp);
	hodp_cq_detach_qp(qp);
err_engine:
	hodp_engine_free_qp(qp);
err_rings:
	hodp_queue_cleanup(&qp->rq);
	hodp_queue_cleanup(&qp->sq);
err_count:
	atomic_dec(&hdev->num_qp);
	return err;
}

/* Attribute values the IB spec bounds, checked before anything changes. */
static int hodp_qp_check_attr(struct hodp_qp *qp, struct ib_qp_attr *attr, int mask)
{
	if ((mask & IB_QP_PORT) && attr->port_num != 1)
		return -EINVAL;
	if ((mask & IB_QP_PKEY_INDEX) && attr->pkey_index >= HODP_PKEY_TBL_LEN)
		return -EINVAL;
	if ((mask & IB_QP_PATH_MTU) &&
	    (attr->path_mtu < IB_MTU_256 || attr->path_mtu > IB_MTU_4096))
		return -EINVAL;
	if ((mask & IB_QP_MAX_QP_RD_ATOMIC) && attr->max_rd_atomic > HODP_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_MAX_DEST_RD_ATOMIC) && attr->max_dest_rd_atomic > HODP_MAX_RD_ATOM)
		return -EINVAL;
	if ((mask & IB_QP_RETRY_CNT) && attr->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IB_QP_RNR_RETRY) && attr->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IB_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IB_QP_TIMEOUT) && attr->timeout > 31)
		return -EINVAL;
	if ((mask & IB_QP_DEST_QPN) && attr->dest_qp_num > HODP_QPN_MASK)
		return -EINVAL;
	if ((mask & IB_QP_CAP) &&
	    (attr->cap.max_send_wr > qp->sq.num_entries ||
	     attr->cap.max_send_sge > qp->max_send_sge ||
	     attr->cap.max_inline_data > qp->max_inline ||
	     (hodp_qp_has_rq(qp) && (attr->cap.max_recv_wr > qp->rq.num_entries ||
				     attr->cap.max_recv_sge > qp->max_recv_sge))))
		return -EINVAL;	/* rings are not resized */
	return 0;
}

/* Take the attributes @mask names, checked already; the state is the caller's. */
static void hodp_qp_set_attr(struct hodp_qp *qp, struct ib_qp_attr *attr, int mask)
{
	if (mask & IB_QP_PKEY_INDEX)
		qp->pkey_index = attr->pkey_index;
	if (mask & IB_QP_QKEY)
		qp->qkey = attr->qkey;
	/* Only the remote-access bits mean anything for a QP; the rest are ignored. */
	if (mask & IB_QP_ACCESS_FLAGS)
		qp->access_flags = attr->qp_access_flags &
				   (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ |
				    IB_ACCESS_REMOTE_ATOMIC | IB_ACCESS_FLUSH_GLOBAL |
				    IB_ACCESS_FLUSH_PERSISTENT);
	if (mask & IB_QP_PATH_MTU) {
		enum ib_mtu port_mtu = hodp_netdev_mtu(qp->hdev->ndev);

		qp->path_mtu = attr->path_mtu;
		qp->mtu = ib_mtu_enum_to_int(min(attr->path_mtu, port_mtu));
	}
	if (mask & IB_QP_TIMEOUT)
		qp->timeout = attr->timeout;
	if (mask & IB_QP_RETRY_CNT)
		qp->retry_cnt = attr->retry_cnt;
	if (mask & IB_QP_RNR_RETRY)
		qp->rnr_retry = attr->rnr_retry;
	if (mask & IB_QP_MIN_RNR_TIMER)
		qp->min_rnr_timer = attr->min_rnr_timer;
	if (mask & IB_QP_RQ_PSN)
		qp->rq_psn = attr->rq_psn & HODP_PSN_MASK;
	if (mask & IB_QP_SQ_PSN)
		qp->sq_psn = attr->sq_psn & HODP_PSN_MASK;
	if (mask & IB_QP_MAX_QP_RD_ATOMIC)
		qp->max_rd_atomic = attr->max_rd_atomic;
	if (mask & IB_QP_MAX_DEST_RD_ATOMIC)
		qp->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	if (mask & IB_QP_DEST_QPN)
		qp->dest_qpn = attr->dest_qp_num;
}

int hodp_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	enum ib_qp_state cur, next;
	int err;

	if (mask & ~IB_QP_ATTR_STANDARD_BITS)
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	mutex_lock(&qp->attr_lock);
	/*
	 * The engine reads the attributes (PSNs, the responder's resources)
	 * as it runs: it is held off until they are all set, then run once
	 * for whatever it was kicked for meanwhile.
	 */
	hodp_engine_pause(qp);
	cur = READ_ONCE(qp->state);
	/* The caller's idea of the current state is checked, not believed. */
	err = -EINVAL;
	if ((mask & IB_QP_CUR_STATE) && attr->cur_qp_state != cur)
		goto out;
	next = (mask & IB_QP_STATE) ? attr->qp_state : cur;
	if (!ib_modify_qp_is_ok(cur, next, ibqp->qp_type, mask))
		goto out;
	err = hodp_qp_check_attr(qp, attr, mask);
	if (err)
		goto out;
	if (mask & IB_QP_AV) {
		err = hodp_av_from_attr(&qp->av, &attr->ah_attr);
		if (err)
			goto out;
	}
	/*
	 * READ/atomic responder resources, when an RC QP or XRC target first
	 * becomes able to receive: as many as any max_dest_rd_atomic, which
	 * may change later (SQD to SQD), while the array and the responder's
	 * pointers into it stay.
	 */
	if ((mask & IB_QP_STATE) && next == IB_QPS_RTR && !qp->rd_res &&
	    hodp_qp_reliable(qp) && ibqp->qp_type != IB_QPT_XRC_INI) {
		qp->rd_res = kcalloc(HODP_MAX_RD_ATOM, sizeof(*qp->rd_res), GFP_KERNEL_ACCOUNT);
		err = -ENOMEM;
		if (!qp->rd_res)
			goto out;
	}

	hodp_qp_set_attr(qp, attr, mask);

	/* Datagrams have no path MTU attribute: they may be as large as the port allows. */
	if ((mask & IB_QP_STATE) && next == IB_QPS_RTR &&
	    (ibqp->qp_type == IB_QPT_UD || ibqp->qp_type == IB_QPT_GSI))
		qp->mtu = ib_mtu_enum_to_int(hodp_netdev_mtu(qp->hdev->ndev));

	if (mask & IB_QP_STATE)
		hodp_engine_set_state(qp, next);
	err = 0;
out:
	hodp_engine_resume(qp);
	mutex_unlock(&qp->attr_lock);
	return err;
}

int hodp_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	struct hodp_av *av = &qp->av;

	memset(attr, 0, sizeof(*attr));
	mutex_lock(&qp->attr_lock);
	attr->qp_state = READ_ONCE(qp->state);
	attr->cur_qp_state = attr->qp_state;
	attr->path_mtu = qp->path_mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qkey = qp->qkey;
	attr->rq_psn = qp->rq_psn;
	attr->sq_psn = qp->sq_psn;
	attr->dest_qp_num = qp->dest_qpn;
	attr->qp_access_flags = qp->access_flags;
	attr->pkey_index = qp->pkey_index;
	attr->port_num = 1;
	attr->max_rd_atomic = qp->max_rd_atomic;
	attr->max_dest_rd_atomic = qp->max_dest_rd_atomic;
	attr->min_rnr_timer = qp->min_rnr_timer;
	attr->timeout = qp->timeout;
	attr->retry_cnt = qp->retry_cnt;
	attr->rnr_retry = qp->rnr_retry;
	attr->sq_draining = 0;
	attr->cap.max_send_wr = qp->sq.num_entries;
	attr->cap.max_send_sge = qp->max_send_sge;
	attr->cap.max_inline_data = qp->max_inline;
	attr->cap.max_recv_wr = hodp_qp_has_rq(qp) ? qp->rq.num_entries : 0;
	attr->cap.max_recv_sge = hodp_qp_has_rq(qp) ? qp->max_recv_sge : 0;
	if (hodp_qp_connected(qp)) {
		attr->ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
		rdma_ah_set_port_num(&attr->ah_attr, 1);
		rdma_ah_set_grh(&attr->ah_attr, &av->dgid, av->flow_label, av->sgid_index,
				av->hop_limit, av->traffic_class);
		rdma_ah_set_ah_flags(&attr->ah_attr, IB_AH_GRH);
	}
	mutex_unlock(&qp->attr_lock);

	init->event_handler = ibqp->event_handler;
	init->qp_context = ibqp->qp_context;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = attr->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
	init->qp_type = ibqp->qp_type;
	init->port_num = 1;
	return 0;
}

int hodp_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	struct hodp_dev *hdev = qp->hdev;

	hodp_qp_unpublish(qp);
	hodp_cq_detach_qp(qp);

	hodp_engine_free_qp(qp);
	hodp_queue_cleanup(&qp->rq);
	hodp_queue_cleanup(&qp->sq);
	atomic_dec(&hdev->num_qp);
	return 0;
}

struct hodp_qp *hodp_qp_get(struct hodp_dev *hdev, u32 qpn)
{
	struct hodp_qp *qp;

	rcu_read_lock();
	qp = xa_load(&hdev->qp_xa, qpn);
	if (qp && !refcount_inc_not_zero(&qp->refs))
		qp = NULL;
	rcu_read_unlock();
	return qp;
}

/* The live QP numbered *@qpn or the next one above, referenced (*@qpn moved to it); or NULL. */
struct hodp_qp *hodp_qp_get_next(struct hodp_dev *hdev, unsigned long *qpn)
{
	struct hodp_qp *qp;

	rcu_read_lock();
	for (;;) {
		qp = xa_find(&hdev->qp_xa, qpn, ULONG_MAX, XA_PRESENT);
		if (!qp || refcount_inc_not_zero(&qp->refs))
			break;
		(*qpn)++;	/* being destroyed */
	}
	rcu_read_unlock();
	return qp;
}

void hodp_qp_put(struct hodp_qp *qp)
{
	if (refcount_dec_and_test(&qp->refs))
		complete(&qp->released);
}

/* Kernel consumers: the WR becomes a ring slot, exactly as the provider writes it. */
static int hodp_send_wr_to_ring(struct hodp_qp *qp, const struct ib_send_wr *wr)
{
	struct hodp_send_wqe *wqe;
	u32 prod = qp->sq.ring->producer;
	int i;

	if (prod - READ_ONCE(qp->sq.ring->consumer) >= qp->sq.num_entries)
		return -ENOMEM;
	if (wr->num_sge > qp->max_send_sge || !hodp_opcode_valid(qp, wr->opcode))
		return -EINVAL;

	wqe = hodp_queue_slot(&qp->sq, prod);
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	wqe->imm_data = (__force u32)wr->ex.imm_data;

	switch (wr->opcode) {
	case IB_WR_RDMA_WRITE:
	case IB_WR_RDMA_WRITE_WITH_IMM:
	case IB_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = rdma_wr(wr)->remote_addr;
		wqe->wr.rdma.rkey = rdma_wr(wr)->rkey;
		break;
	case IB_WR_ATOMIC_CMP_AND_SWP:
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = atomic_wr(wr)->remote_addr;
		wqe->wr.atomic.compare_add = atomic_wr(wr)->compare_add;
		wqe->wr.atomic.swap = atomic_wr(wr)->swap;
		wqe->wr.atomic.rkey = atomic_wr(wr)->rkey;
		break;
	case IB_WR_SEND:
	case IB_WR_SEND_WITH_IMM:
		if (qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI) {
			wqe->wr.ud.ah_num = hodp_ah_num(ud_wr(wr)->ah);
			wqe->wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
			wqe->wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;
		}
		break;
	case IB_WR_SEND_WITH_INV:
		wqe->imm_data = wr->ex.invalidate_rkey;
		break;
	default:
		return -EINVAL;
	}

	/* Kernel SGEs carry kernel virtual addresses (the device uses virtual DMA). */
	wqe->num_sge = wr->num_sge;
	for (i = 0; i < wr->num_sge; i++) {
		wqe->sge[i].addr = wr->sg_list[i].addr;
		wqe->sge[i].length = wr->sg_list[i].length;
		wqe->sge[i].lkey = wr->sg_list[i].lkey;
	}
	hodp_queue_store(&qp->sq.ring->producer, prod + 1);
	return 0;
}

int hodp_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	unsigned long flags;
	int err = 0;

	/* From a user QP this is the doorbell: the WQEs are in the ring already. */
	if (qp->is_user) {
		hodp_qp_schedule(qp);
		return 0;
	}

	/*
	 * An XRC target is the kernel's on behalf of every process that
	 * opened it, and it sends nothing.
	 */
	if (READ_ONCE(qp->state) < IB_QPS_RTS || ibqp->qp_type == IB_QPT_XRC_TGT) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->state_lock, flags);
	for (; wr; wr = wr->next) {
		err = hodp_send_wr_to_ring(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->state_lock, flags);
	hodp_qp_schedule(qp);
	return err;
}

int hodp_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr)
{
	struct hodp_qp *qp = to_hqp(ibqp);
	unsigned long flags;
	int err = 0;

	if (!hodp_qp_has_rq(qp) || qp->is_user) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&qp->state_lock, flags);
	for (; wr; wr = wr->next) {
		err = hodp_recv_wr_to_ring(&qp->rq, qp->max_recv_sge, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->state_lock, flags);
	/* In the error state they complete as flushed. */
	if (hodp_qp_state(qp) == IB_QPS_ERR)
		hodp_qp_schedule(qp);
	return err;
}
