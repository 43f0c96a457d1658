/* SPDX-License-Identifier: GPL-2.0 */
/*
 * On-demand paging memory regions on HMM: what the rest of the driver
 * uses.  An ODP MR pins nothing: the data path copies through
 * hodp_odp_copy(), which finds a page missing or too weakly mapped, fills
 * a struct hodp_miss and fails; the engine then parks the stream behind a
 * fault (hodp_odp_park()) and resumes it from the wait's callback.  How
 * the pages are tracked is the ODP layer's own (hodp_odp_priv.h).
 *
 * Without CONFIG_HMM_MIRROR (or with `make HODP_ODP=n`) the layer is not
 * built: these become stubs and the device offers no ODP.
 */
#ifndef HODP_ODP_H
#define HODP_ODP_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>

struct hodp_mr;
struct hodp_odp;		/* a range of an ODP MR (hodp_odp_priv.h) */
struct hodp_odp_fault;
struct hodp_xfer;
struct sk_buff;			/* a netlink message (hodp_fill_stat_mr_entry()) */

/* The direction of a copy with an MR's memory, ODP or not. */
enum hodp_copy_dir {
	HODP_TO_MR,
	HODP_FROM_MR,
};

enum hodp_odp_stat {
	HODP_ODP_FAULTS,		/* faults the data path raised */
	HODP_ODP_FAULTS_HANDLED,	/* faults resolved with the pages mapped */
	HODP_ODP_PAGES_MAPPED,
	HODP_ODP_INVALIDATIONS,		/* pages unmapped by invalidations */
	HODP_ODP_INVALIDATIONS_HANDLED,	/* invalidations that unmapped something */
	HODP_ODP_PREFETCHES,		/* pages mapped by ibv_advise_mr() */
	HODP_ODP_CHILDREN,		/* implicit MR: children alive */
	HODP_ODP_CHILDREN_CREATED,
	HODP_ODP_CHILDREN_FREED,
	HODP_ODP_NUM_STATS,
};

/* Where the data path found no translation with the rights it needs. */
struct hodp_miss {
	struct hodp_mr *mr;		/* referenced for the fault */
	u64 iova;
	u32 len;			/* what the copy needs mapped */
	/*
	 * Bytes from @iova on that the stream will write: 0 for a read, @len
	 * or more (the rest of the message in that MR) for a write.  Only
	 * these are faulted for writing; around them a fault maps for reading.
	 */
	u64 write_len;
};

/* The stream that missed will write up to user @end of the MR, not only the copy. */
static inline void hodp_miss_write_to(struct hodp_miss *miss, u64 end)
{
	if (miss->write_len && end > miss->iova + miss->write_len)
		miss->write_len = end - miss->iova;
}

/*
 * A stream (a QP's requester, or its receive side) waiting for a fault.
 * Owned by its engine; the fault's worker only reports the outcome through
 * @done, and a stream that gives up (reset, destroy) waits for nothing.
 */
struct hodp_odp_wait {
	/* The fault being served; guarded by the device's fault lock. */
	struct hodp_odp_fault *fault;
	/* The fault ended: the engine resumes.  Called under the fault lock. */
	void (*done)(struct hodp_odp_wait *w);
	bool pending;
	/* A fault that failed: a miss there again is an access error. */
	int result;
	u32 failed_key;
	u64 failed_iova;
	u32 failed_len;
};

/*
 * Whose faults these are: a process (the user contexts it opened on the
 * device share one), or the device's kernel QPs.  Faults run concurrently,
 * a bounded number per owner and per device, so that memory whose fault
 * never ends (a FUSE or NFS server that does not answer) holds up its
 * owner's streams alone.
 */
struct hodp_odp_owner {
	refcount_t refs;		/* its contexts, and faults queued or running */
	struct hodp_odp_dev *dev;
	struct mm_struct *mm;		/* mmgrab()bed: who, never reused meanwhile */
	struct list_head node;		/* on dev->owners */
	unsigned int running;		/* under the device's fault lock */
	struct list_head queued;	/* faults waiting for a slot, oldest first */
	struct list_head ready;		/* on hodp_odp_dev.ready: queued faults, room */
};

/* A device's faults. */
struct hodp_odp_dev {
	/* Guards the owners' lists and counts, and every wait's fault pointer. */
	spinlock_t lock;
	struct list_head ready;		/* owners with a fault to start, round robin */
	unsigned int running;
	struct hodp_odp_owner kernel_owner;
	struct mutex owners_lock;	/* the owners list */
	struct list_head owners;
	/* ODP MRs not freed yet: faults and prefetches may outlive their dereg. */
	atomic_t mrs;
};

#ifdef HODP_ODP

static inline bool hodp_odp_supported(void)
{
	return true;
}

/* Registration (hodp_odp_mr.c, hodp_odp_implicit.c). */
int hodp_odp_init(struct hodp_mr *mr, u64 start, u64 length);
int hodp_implicit_init(struct hodp_mr *mr);
/*
 * Drop a hold on @mr's ODP state; deregistration drops the registration's
 * once the data path is done with @mr.  The last frees the ODP state and
 * @mr itself: a dereg never waits for a fault or prefetch still holding
 * them.
 */
void hodp_odp_drop(struct hodp_mr *mr);
int hodp_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/* Data path; -EAGAIN with @miss filled where a page is missing. */
int hodp_odp_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
		  enum hodp_copy_dir dir, struct hodp_miss *miss);
/* The u64 at @iova, writable and mapped, with *@locked held until hodp_odp_unlock(). */
void *hodp_odp_lock_u64(struct hodp_mr *mr, u64 iova, struct hodp_odp **locked,
			struct hodp_miss *miss);
void hodp_odp_unlock(struct hodp_odp *odp, void *va);

/* ibv_advise_mr() (hodp_odp_prefetch.c). */
int hodp_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice, u32 flags,
		   struct ib_sge *sg_list, u32 num_sge, struct uverbs_attr_bundle *attrs);

/* Faults (hodp_odp_fault.c). */
int hodp_odp_wq_init(void);
void hodp_odp_wq_exit(void);
void hodp_odp_dev_init(struct hodp_odp_dev *dev);
/* Device removal: wait until every ODP MR, and so every fault, is gone. */
void hodp_odp_dev_fini(struct hodp_odp_dev *dev);
/* The owner for process @mm, referenced; NULL when out of memory. */
struct hodp_odp_owner *hodp_odp_owner_get(struct hodp_odp_dev *dev, struct mm_struct *mm);
void hodp_odp_owner_put(struct hodp_odp_owner *owner);
void hodp_odp_wait_init(struct hodp_odp_wait *w, void (*done)(struct hodp_odp_wait *w));
/*
 * After a miss: queue a fault for it on behalf of @owner and park @w's
 * stream (-EAGAIN), or, if a fault there has already failed, -EACCES for
 * an access error.  Consumes @miss->mr's reference; @qpn is for tracing.
 */
int hodp_odp_park(struct hodp_odp_dev *dev, struct hodp_odp_owner *owner,
		  struct hodp_odp_wait *w, struct hodp_miss *miss, u32 qpn);
/* Whether @w's stream is parked; ordered before what the worker did. */
bool hodp_odp_waiting(struct hodp_odp_wait *w);
/*
 * QP reset or destroy: forget failed faults and give up the one being
 * served, if any; it runs on without the stream, which waits for nothing.
 */
void hodp_odp_wait_reset(struct hodp_odp_dev *dev, struct hodp_odp_wait *w);

#else /* !HODP_ODP: no ODP MR ever exists, so the data path never gets here. */

static inline bool hodp_odp_supported(void)
{
	return false;
}

static inline int hodp_odp_init(struct hodp_mr *mr, u64 start, u64 length)
{
	return -EOPNOTSUPP;
}

static inline int hodp_implicit_init(struct hodp_mr *mr)
{
	return -EOPNOTSUPP;
}

static inline void hodp_odp_drop(struct hodp_mr *mr)
{
}

static inline int hodp_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	return 0;
}

static inline int hodp_odp_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
				enum hodp_copy_dir dir, struct hodp_miss *miss)
{
	WARN_ON_ONCE(1);
	return -EFAULT;
}

static inline void *hodp_odp_lock_u64(struct hodp_mr *mr, u64 iova, struct hodp_odp **locked,
				      struct hodp_miss *miss)
{
	WARN_ON_ONCE(1);
	return NULL;
}

static inline void hodp_odp_unlock(struct hodp_odp *odp, void *va)
{
}

static inline int hodp_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
				 u32 flags, struct ib_sge *sg_list, u32 num_sge,
				 struct uverbs_attr_bundle *attrs)
{
	return -EOPNOTSUPP;
}

static inline int hodp_odp_wq_init(void)
{
	return 0;
}

static inline void hodp_odp_wq_exit(void)
{
}

static inline void hodp_odp_dev_init(struct hodp_odp_dev *dev)
{
}

static inline void hodp_odp_dev_fini(struct hodp_odp_dev *dev)
{
}

/* Every context shares the device's owner, which faults nothing. */
static inline struct hodp_odp_owner *hodp_odp_owner_get(struct hodp_odp_dev *dev,
							struct mm_struct *mm)
{
	return &dev->kernel_owner;
}

static inline void hodp_odp_owner_put(struct hodp_odp_owner *owner)
{
}

static inline void hodp_odp_wait_init(struct hodp_odp_wait *w,
				      void (*done)(struct hodp_odp_wait *w))
{
	*w = (struct hodp_odp_wait){ .done = done };
}

static inline int hodp_odp_park(struct hodp_odp_dev *dev, struct hodp_odp_owner *owner,
				struct hodp_odp_wait *w, struct hodp_miss *miss, u32 qpn)
{
	WARN_ON_ONCE(1);
	return -EACCES;
}

static inline bool hodp_odp_waiting(struct hodp_odp_wait *w)
{
	return false;
}

static inline void hodp_odp_wait_reset(struct hodp_odp_dev *dev, struct hodp_odp_wait *w)
{
}

#endif /* HODP_ODP */
#endif /* HODP_ODP_H */
