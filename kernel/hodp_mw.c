// SPDX-License-Identifier: GPL-2.0
/*
 * Memory windows.  A window shares the key space of MRs (tagged entries in
 * hdev->key_xa); binding it to part of an MR grants remote access to that
 * part under the window's rkey.  Type 1 windows are bound and unbound by
 * ibv_bind_mw(), type 2 by BIND_MW work requests and invalidated by
 * LOCAL_INV or a SEND with Invalidate; a type 2 window serves only the QP
 * that bound it (type 2B).  Binds run in the requester, in SQ order.
 */
#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_mw.h"
#include "hodp_qp.h"

/* Access a window may grant; local write is accepted and means nothing remotely. */
#define HODP_MW_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ | \
			 IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)

int hodp_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibmw->device);
	struct hodp_mw *mw = to_hmw(ibmw);
	struct hodp_window *win;
	int err;

	if (ibmw->type != IB_MW_TYPE_1 && ibmw->type != IB_MW_TYPE_2)
		return -EINVAL;

	win = kzalloc_obj(*win);
	if (!win)
		return -ENOMEM;
	err = hodp_key_alloc(hdev, &win->rkey);
	if (err) {
		kfree(win);
		return err;
	}
	spin_lock_init(&win->lock);
	win->type = ibmw->type;
	win->pd = ibmw->pd;
	ibmw->rkey = win->rkey;
	mw->win = win;
	xa_store(&hdev->key_xa, win->rkey >> 8, xa_tag_pointer(win, HODP_KEY_TAG_MW),
		 GFP_KERNEL);
	return 0;
}

/* Under win->lock. */
static void hodp_window_unbind(struct hodp_window *win)
{
	if (!win->bound)
		return;
	spin_lock(&win->mr->bind_lock);
	win->mr->num_mw--;
	spin_unlock(&win->mr->bind_lock);
	win->mr = NULL;
	win->bound = false;
}

int hodp_dealloc_mw(struct ib_mw *ibmw)
{
	struct hodp_window *win = to_hmw(ibmw)->win;

	hodp_key_free(to_hdev(ibmw->device), win->rkey);
	spin_lock(&win->lock);
	hodp_window_unbind(win);
	spin_unlock(&win->lock);
	kfree_rcu(win, rcu);
	return 0;
}

/* Under rcu_read_lock(): the window @rkey names, locked, if @pd owns it. */
static struct hodp_window *hodp_window_lock(struct hodp_dev *hdev, u32 rkey, struct ib_pd *pd)
{
	void *entry = xa_load(&hdev->key_xa, rkey >> 8);
	struct hodp_window *win;

	if (!entry || xa_pointer_tag(entry) != HODP_KEY_TAG_MW)
		return NULL;
	win = xa_untag_pointer(entry);
	spin_lock(&win->lock);
	if (win->rkey != rkey || win->pd != pd) {
		spin_unlock(&win->lock);
		return NULL;
	}
	return win;
}

/* Under win->lock: bind to [addr, addr + len) of @mr, which the caller holds. */
static bool hodp_window_bind(struct hodp_window *win, struct hodp_mr *mr, u64 addr, u64 len,
			     int access)
{
	bool ok;

	spin_lock(&mr->bind_lock);
	ok = !mr->dying;
	if (ok)
		mr->num_mw++;
	spin_unlock(&mr->bind_lock);
	if (!ok)
		return false;

	hodp_window_unbind(win);
	win->mr = mr;
	win->va = addr;
	win->length = len;
	win->access = access;
	win->bound = true;
	return true;
}

enum ib_wc_status hodp_mw_bind(struct hodp_qp *qp, const struct hodp_send_wqe *wqe)
{
	u64 addr = wqe->wr.bind.addr, len = wqe->wr.bind.length;
	u32 rkey = wqe->wr.bind.mw_rkey, new_rkey = wqe->wr.bind.new_rkey;
	int access = wqe->wr.bind.access;
	enum ib_wc_status status = IB_WC_MW_BIND_ERR;
	struct hodp_window *win;
	struct hodp_mr *mr;

	/* The consumer owns the low byte of the key only. */
	if ((access & ~HODP_MW_ACCESS) || (rkey ^ new_rkey) >> 8)
		return IB_WC_MW_BIND_ERR;

	rcu_read_lock();
	win = hodp_window_lock(qp->hdev, rkey, qp->ibqp.pd);
	if (!win)
		goto out_rcu;

	if (win->type == IB_MW_TYPE_1 && !len) {
		/* A zero-length bind takes a type 1 window's access away. */
		hodp_window_unbind(win);
		win->rkey = new_rkey;
		status = IB_WC_SUCCESS;
		goto out_unlock;
	}
	if (win->type == IB_MW_TYPE_2 && win->bound)
		goto out_unlock;

	mr = hodp_mr_get(qp->hdev, wqe->wr.bind.mr_lkey, qp->ibqp.pd, addr, len,
			 IB_ACCESS_MW_BIND);
	if (!mr)
		goto out_unlock;
	/* Remote writes through the window need the MR to be locally writable. */
	if (((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	     !(READ_ONCE(mr->access) & IB_ACCESS_LOCAL_WRITE)) ||
	    !hodp_window_bind(win, mr, addr, len, access)) {
		hodp_mr_put(mr);
		goto out_unlock;
	}
	hodp_mr_put(mr);
	win->qpn = qp->ibqp.qp_num;
	win->rkey = new_rkey;
	status = IB_WC_SUCCESS;
out_unlock:
	spin_unlock(&win->lock);
out_rcu:
	rcu_read_unlock();
	return status;
}

/* Only bound type 2 windows can be invalidated; remotely, only by the QP they serve. */
static int hodp_invalidate(struct hodp_qp *qp, struct ib_pd *pd, u32 rkey, bool remote)
{
	struct hodp_window *win;
	int err = -EINVAL;

	rcu_read_lock();
	win = hodp_window_lock(qp->hdev, rkey, pd);
	if (win) {
		if (win->type == IB_MW_TYPE_2 && win->bound &&
		    (!remote || win->qpn == qp->ibqp.qp_num)) {
			hodp_window_unbind(win);
			err = 0;
		}
		spin_unlock(&win->lock);
	}
	rcu_read_unlock();
	return err;
}

enum ib_wc_status hodp_local_invalidate(struct hodp_qp *qp, u32 rkey)
{
	return hodp_invalidate(qp, qp->ibqp.pd, rkey, false) ? IB_WC_LOC_QP_OP_ERR : IB_WC_SUCCESS;
}

int hodp_remote_invalidate(struct hodp_qp *qp, struct ib_pd *pd, u32 rkey)
{
	return hodp_invalidate(qp, pd, rkey, true);
}

struct hodp_mr *hodp_mw_resolve(struct hodp_qp *qp, struct ib_pd *pd, struct hodp_window *win,
				u32 rkey, u64 iova, u64 len, int access)
{
	struct hodp_mr *mr = NULL;

	spin_lock(&win->lock);
	if (win->bound && win->rkey == rkey && win->pd == pd &&
	    (win->type == IB_MW_TYPE_1 || win->qpn == qp->ibqp.qp_num) &&
	    (win->access & access) == access &&
	    (!len || (iova >= win->va && len <= win->length &&
		      iova - win->va <= win->length - len)) &&
	    refcount_inc_not_zero(&win->mr->refs))
		mr = win->mr;
	spin_unlock(&win->lock);
	return mr;
}
