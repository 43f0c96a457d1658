/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ODP layer's own: an ODP MR has a sparse translation table and an
 * mmu_interval_notifier over its range (an implicit MR: one of each per
 * span, in children).  The data path reads table entries under the range's
 * lock; a fault worker fills the table with hmm_range_fault();
 * invalidations clear entries.  Only hodp_odp_*.c include this.
 */
#ifndef HODP_ODP_PRIV_H
#define HODP_ODP_PRIV_H

#include <linux/mmu_notifier.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "hodp_odp.h"

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

/* What an ODP MR (struct hodp_mr's @odp) has besides the MR itself. */
struct hodp_odp_mr {
	union {
		struct hodp_odp range;		/* HODP_MR_ODP */
		struct hodp_implicit imp;	/* HODP_MR_IMPLICIT */
	};
	atomic64_t stats[HODP_ODP_NUM_STATS];
	/* The registration, faults and prefetches (hodp_odp_hold()). */
	refcount_t refs;
	struct rcu_head rcu;
};

/* The table slot for user address @addr, or NULL if its chunk does not exist. */
static inline u64 *hodp_odp_slot(struct hodp_odp *odp, unsigned long addr)
{
	unsigned long page = addr >> PAGE_SHIFT;
	struct hodp_odp_chunk *chunk = xa_load(&odp->chunks, page >> HODP_ODP_CHUNK_SHIFT);

	return chunk ? &chunk->entry[page & (HODP_ODP_CHUNK_PAGES - 1)] : NULL;
}

int hodp_odp_range_init(struct hodp_odp *odp, struct hodp_mr *mr, struct mm_struct *mm,
			unsigned long start, unsigned long end);
/* The ODP state of a new MR, with the registration's hold; the last drop frees it. */
int hodp_odp_mr_alloc(struct hodp_mr *mr);
/* Keep @mr's ODP state, for a caller holding a data-path reference. */
void hodp_odp_hold(struct hodp_mr *mr);
void hodp_odp_count(struct hodp_mr *mr, enum hodp_odp_stat stat, s64 n);

/*
 * The ODP range that serves user address @addr of @mr, referenced until
 * hodp_odp_put(); for an implicit MR its child, created if @create.
 * NULL if there is none.
 */
struct hodp_odp *hodp_odp_get(struct hodp_mr *mr, unsigned long addr, bool create);
void hodp_odp_put(struct hodp_odp *odp);
/* The user address of @iova in @mr. */
unsigned long hodp_odp_addr(struct hodp_mr *mr, u64 iova);

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

/* Work besides faults, each kind on a workqueue of its own (hodp_odp_fault.c). */
enum hodp_odp_queue {
	HODP_ODP_PREFETCH,	/* ibv_advise_mr() without FLUSH */
	HODP_ODP_RETIRE,	/* unlinking an empty implicit child */
};

bool hodp_odp_queue(enum hodp_odp_queue q, struct work_struct *work);

#endif /* HODP_ODP_PRIV_H */
