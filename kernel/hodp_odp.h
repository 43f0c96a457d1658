/* SPDX-License-Identifier: GPL-2.0 */
/*
 * On-demand paging memory regions on HMM.  An ODP MR pins nothing: it has a
 * sparse translation table and an mmu_interval_notifier over its range.  The
 * data path uses table entries under the range's lock; a missing or too weak
 * entry makes it queue a fault and park the stream that needed it
 * (hodp_odp_park()); a fault worker fills the table with hmm_range_fault()
 * and tells the stream's engine through its wait; invalidations clear
 * entries.
 */
#ifndef HODP_ODP_H
#define HODP_ODP_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

struct hodp_dev;
struct hodp_mr;
struct hodp_xfer;
struct sk_buff;			/* a netlink message (hodp_fill_stat_mr_entry()) */

/* The direction of a copy with an MR's memory, ODP or not. */
enum hodp_copy_dir {
	HODP_TO_MR,
	HODP_FROM_MR,
};

/* A table chunk: the entries of 512 pages, allocated when first faulted. */
#define HODP_ODP_CHUNK_SHIFT	9
#define HODP_ODP_CHUNK_PAGES	BIT(HODP_ODP_CHUNK_SHIFT)

/*
 * An entry is the page's physical address (its pfn: the page need not be in
 * the kernel's direct map, so it is reached through kmap_local_page()) with
 * its rights and the order of the CPU mapping it belongs to (a THP or
 * hugetlb page: its subpages are contiguous, so one entry serves a copy up
 * to the end of the huge page).
 */
#define HODP_ODP_READ		BIT(0)
#define HODP_ODP_WRITE		BIT(1)
#define HODP_ODP_ORDER_SHIFT	2
#define HODP_ODP_ORDER_MASK	(0x1full << HODP_ODP_ORDER_SHIFT)

struct hodp_odp_chunk {
	unsigned long index;		/* user page number >> CHUNK_SHIFT */
	u64 *entry;			/* CHUNK_PAGES of them: one 4 KiB allocation */
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

/*
 * User memory [start, end) the device maps on demand: an explicit ODP MR's
 * range, or one span of an implicit MR (a child).
 */
struct hodp_odp {
	struct mmu_interval_notifier notifier;
	struct hodp_mr *mr;		/* the MR it serves (a child's parent) */
	unsigned long start;
	unsigned long end;
	/*
	 * Guards the table and every access to the pages it points at: the
	 * data path reads (QPs sharing an MR copy at once), faults and
	 * invalidations write.
	 */
	struct rw_semaphore lock;
	struct xarray chunks;		/* user page number >> CHUNK_SHIFT -> chunk */
	/* The chunk the data path used last; any reader replaces it (chunks stay). */
	struct hodp_odp_chunk *hot;
	u64 npages;			/* entries mapped, under lock for writing */
	atomic_t filling;		/* faults and prefetches at work: a child stays linked */
	struct list_head walks;		/* struct hodp_odp_walk in flight, under lock */
	bool is_child;
	bool stopped;			/* hodp_odp_stop() done: no notifier */
};

/*
 * A fault's walk of [start, end) of a range with HMM.  HMM starts a walk
 * over whenever its notifier's range changes; the range's own notifier
 * covers the whole MR, which reclaim invalidates somewhere every few
 * milliseconds under memory pressure, more often than a slow walk ends,
 * so a walk has a notifier of its own for HMM.  Whether what it found may
 * go in the table is the range's invalidation's to say: it marks the walks
 * it overlaps @stale under the range's lock, after clearing the table.
 */
struct hodp_odp_walk {
	struct mmu_interval_notifier notifier;
	struct list_head node;		/* in hodp_odp.walks */
	unsigned long start;
	unsigned long end;
	bool stale;			/* Guarded by the range's lock */
};

/* A span of an implicit MR, created by its first fault or prefetch. */
struct hodp_odp_child {
	struct hodp_odp odp;
	refcount_t refs;		/* the parent's xarray, lookups, queued work */
	unsigned long index;		/* start >> span shift */
	struct work_struct retire_work;	/* unlink once its memory is all unmapped */
	struct work_struct free_work;	/* a last put in a notifier callback frees it here */
	struct list_head release_node;	/* the parent's release */
	struct rcu_head rcu;
};

/* An implicit MR: the whole address space, in children of one span each. */
struct hodp_implicit {
	struct mm_struct *mm;		/* mmgrab()bed: the children's notifiers go here */
	unsigned int span_shift;
	struct mutex lock;		/* creating and unlinking children */
	struct xarray children;		/* index -> struct hodp_odp_child, RCU-freed */
	atomic_t alive;			/* children not freed yet, linked or not */
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

struct hodp_odp_fault;

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

/* The table slot for user address @addr, or NULL if its chunk does not exist. */
static inline u64 *hodp_odp_slot(struct hodp_odp *odp, unsigned long addr)
{
	unsigned long page = addr >> PAGE_SHIFT;
	struct hodp_odp_chunk *chunk = xa_load(&odp->chunks, page >> HODP_ODP_CHUNK_SHIFT);

	return chunk ? &chunk->entry[page & (HODP_ODP_CHUNK_PAGES - 1)] : NULL;
}

/* Registration and release (hodp_odp_mr.c, hodp_odp_implicit.c). */
int hodp_odp_init(struct hodp_mr *mr, u64 start, u64 length);
int hodp_odp_range_init(struct hodp_odp *odp, struct hodp_mr *mr, struct mm_struct *mm,
			unsigned long start, unsigned long end);
int hodp_implicit_init(struct hodp_mr *mr);
/* Keep @mr's ODP state, for a caller holding a data-path reference. */
void hodp_odp_hold(struct hodp_mr *mr);
/*
 * Drop a hold; the registration's is dropped by deregistration, once the
 * data path is done with @mr.  The last frees the ODP state and @mr itself:
 * a dereg never waits for a fault or prefetch still holding them.
 */
void hodp_odp_drop(struct hodp_mr *mr);
void hodp_odp_count(struct hodp_mr *mr, enum hodp_odp_stat stat, s64 n);
int hodp_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

/*
 * The ODP range that serves user address @addr of @mr, referenced until
 * hodp_odp_put(); for an implicit MR its child, created if @create.
 * NULL if there is none.
 */
struct hodp_odp *hodp_odp_get(struct hodp_mr *mr, unsigned long addr, bool create);
void hodp_odp_put(struct hodp_odp *odp);
/* The user address of @iova in @mr. */
unsigned long hodp_odp_addr(struct hodp_mr *mr, u64 iova);

/* Data path, under the range's lock; -EAGAIN with @miss filled on a miss. */
int hodp_odp_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
		  enum hodp_copy_dir dir, struct hodp_miss *miss);
/* The u64 at @iova, writable and mapped, with *@locked held until hodp_odp_unlock(). */
void *hodp_odp_lock_u64(struct hodp_mr *mr, u64 iova, struct hodp_odp **locked,
			struct hodp_miss *miss);
void hodp_odp_unlock(struct hodp_odp *odp, void *va);

/* Unmap the entry @slot of user page number @page, if any; under the lock. */
bool hodp_odp_clear(struct hodp_odp *odp, unsigned long page, u64 *slot);
/* Unmap the table's entries for user addresses [start, end); under the lock. */
u64 hodp_odp_unmap(struct hodp_odp *odp, unsigned long start, unsigned long end);
/* Unmap everything, then remove the notifier: no mapping goes unwatched. */
void hodp_odp_stop(struct hodp_odp *odp);
/* Free the table of a stopped range. */
void hodp_odp_free_table(struct hodp_odp *odp);
extern const struct mmu_interval_notifier_ops hodp_odp_mni_ops;
/* Implicit MRs (hodp_odp_implicit.c). */
struct hodp_odp *hodp_implicit_child_get(struct hodp_mr *mr, unsigned long addr, bool create);
void hodp_implicit_child_put(struct hodp_odp_child *child);
void hodp_implicit_release(struct hodp_mr *mr);
/* Nothing of the child is mapped (an unmap, a fault into a hole): unlink it later. */
void hodp_implicit_child_retire(struct hodp_odp *odp);

/*
 * Map user addresses [addr, addr + len) of @mr, writable within [addr,
 * addr + write_len): for a fault (missing pages are faulted in, around the
 * miss too, for reading) or a prefetch (@exact: only the range; @snapshot:
 * only pages already present).  Returns the pages mapped, or a negative
 * errno.
 */
s64 hodp_odp_map(struct hodp_mr *mr, unsigned long addr, u64 len, u64 write_len, bool exact,
		 bool snapshot);

/* ibv_advise_mr() (hodp_odp_prefetch.c). */
int hodp_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice, u32 flags,
		   struct ib_sge *sg_list, u32 num_sge, struct uverbs_attr_bundle *attrs);

/* Faults (hodp_odp_fault.c). */
int hodp_odp_wq_init(void);
void hodp_odp_wq_exit(void);
/* Work besides faults, each kind on a workqueue of its own. */
enum hodp_odp_queue {
	HODP_ODP_PREFETCH,	/* ibv_advise_mr() without FLUSH */
	HODP_ODP_RETIRE,	/* unlinking an empty implicit child */
};

bool hodp_odp_queue(enum hodp_odp_queue q, struct work_struct *work);
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

#endif /* HODP_ODP_H */
