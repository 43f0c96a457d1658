/* SPDX-License-Identifier: GPL-2.0 */
/* Memory windows: remote access to part of an MR, bound and invalidated by work requests. */
#ifndef HODP_MW_H
#define HODP_MW_H

#include <rdma/ib_verbs.h>
#include <rdma/hodp-abi.h>

struct hodp_mr;
struct hodp_qp;

/*
 * What the data path sees of a window.  It lives apart from the ib_mw, which
 * the core frees as soon as dealloc_mw returns, so that a lookup under RCU
 * never touches freed memory.
 */
struct hodp_window {
	spinlock_t lock;	/* everything below */
	enum ib_mw_type type;
	struct ib_pd *pd;
	u32 rkey;
	bool bound;
	struct hodp_mr *mr;	/* while bound; the MR cannot be deregistered */
	u32 qpn;		/* type 2: the QP that bound it, the only one it serves */
	u64 va;
	u64 length;
	int access;
	struct rcu_head rcu;
};

struct hodp_mw {
	struct ib_mw ibmw;
	struct hodp_window *win;
};

static inline struct hodp_mw *to_hmw(struct ib_mw *ibmw)
{
	return container_of(ibmw, struct hodp_mw, ibmw);
}

int hodp_alloc_mw(struct ib_mw *ibmw, struct ib_udata *udata);
int hodp_dealloc_mw(struct ib_mw *ibmw);

/* Requester: execute a bind or local-invalidate WQE; returns its completion status. */
enum ib_wc_status hodp_mw_bind(struct hodp_qp *qp, const struct hodp_send_wqe *wqe);
enum ib_wc_status hodp_local_invalidate(struct hodp_qp *qp, u32 rkey);
/* Responder: SEND with Invalidate of a window in @pd; 0 or -EINVAL. */
int hodp_remote_invalidate(struct hodp_qp *qp, struct ib_pd *pd, u32 rkey);

/* Under rcu_read_lock(): the MR behind @win for an access by @qp, referenced, or NULL. */
struct hodp_mr *hodp_mw_resolve(struct hodp_qp *qp, struct ib_pd *pd, struct hodp_window *win,
				u32 rkey, u64 iova, u64 len, int access);

#endif /* HODP_MW_H */
