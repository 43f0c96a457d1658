// SPDX-License-Identifier: GPL-2.0
/*
 * ODP memory regions: registration of an explicit ODP MR (a notifier and an
 * empty table: nothing pinned, nothing sized by the length), the data
 * path's access to a range's table, unmapping, release and the per-MR
 * counters.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/wait_bit.h>
#include <net/netlink.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>
#include <uapi/rdma/rdma_netlink.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp_priv.h"

int hodp_odp_range_init(struct hodp_odp *odp, struct hodp_mr *mr, struct mm_struct *mm,
			unsigned long start, unsigned long end)
{
	int err;

	odp->mr = mr;
	odp->start = start;
	odp->end = end;
	init_rwsem(&odp->lock);
	xa_init(&odp->chunks);
	INIT_LIST_HEAD(&odp->walks);
	err = mmu_interval_notifier_insert(&odp->notifier, mm, start, end - start,
					   &hodp_odp_mni_ops);
	if (err)
		xa_destroy(&odp->chunks);
	return err;
}

int hodp_odp_mr_alloc(struct hodp_mr *mr)
{
	mr->odp = kzalloc_obj(*mr->odp);
	if (!mr->odp)
		return -ENOMEM;
	refcount_set(&mr->odp->refs, 1);
	atomic_inc(&to_hdev(mr->ibmr.device)->odp.mrs);
	return 0;
}

/*
 * Free ODP state from hodp_odp_mr_alloc(); last, as the device goes once
 * every ODP MR's has (hodp_odp_dev_fini()).
 */
static void hodp_odp_mr_free(struct hodp_dev *hdev, struct hodp_odp_mr *odp)
{
	kfree_rcu(odp, rcu);
	if (atomic_dec_and_test(&hdev->odp.mrs))
		wake_up_var(&hdev->odp.mrs);
}

int hodp_odp_init(struct hodp_mr *mr, u64 start, u64 length)
{
	int err;

	if (!current->mm || !access_ok(u64_to_user_ptr(start), length))
		return -EFAULT;
	err = hodp_odp_mr_alloc(mr);
	if (err)
		return err;
	err = hodp_odp_range_init(&mr->odp->range, mr, current->mm, start, start + length);
	if (err) {
		hodp_odp_mr_free(to_hdev(mr->ibmr.device), mr->odp);
		mr->odp = NULL;
	}
	return err;
}

/* Huge mapping @order at @page is broken up: entries around it describe 4 KiB pages. */
static void hodp_odp_demote(struct hodp_odp *odp, unsigned long page, unsigned int order)
{
	unsigned long first = ALIGN_DOWN(page, 1UL << order), p;

	for (p = first; p < first + (1UL << order); p++) {
		u64 *slot;

		if (p < odp->start >> PAGE_SHIFT || p > (odp->end - 1) >> PAGE_SHIFT)
			continue;
		slot = hodp_odp_slot(odp, p << PAGE_SHIFT);
		if (slot)
			*slot &= ~HODP_ODP_ORDER_MASK;
	}
}

bool hodp_odp_clear(struct hodp_odp *odp, unsigned long page, u64 *slot)
{
	u64 entry = *slot, phys = entry & PAGE_MASK;
	unsigned int order;

	lockdep_assert_held_write(&odp->lock);
	if (!entry)
		return false;
	*slot = 0;
	order = (entry & HODP_ODP_ORDER_MASK) >> HODP_ODP_ORDER_SHIFT;
	if (order)
		hodp_odp_demote(odp, page, order);
	/* Stores through the kernel mapping bypass the PTE's dirty bit. */
	if (entry & HODP_ODP_WRITE)
		set_page_dirty(pfn_to_page(PHYS_PFN(phys)));
	odp->npages--;
	return true;
}

u64 hodp_odp_unmap(struct hodp_odp *odp, unsigned long start, unsigned long end)
{
	unsigned long first = start >> PAGE_SHIFT, last = (end - 1) >> PAGE_SHIFT;
	struct hodp_odp_chunk *chunk;
	unsigned long index;
	u64 unmapped = 0;

	lockdep_assert_held_write(&odp->lock);
	if (start >= end)
		return 0;
	xa_for_each_range(&odp->chunks, index, chunk, first >> HODP_ODP_CHUNK_SHIFT,
			  last >> HODP_ODP_CHUNK_SHIFT) {
		unsigned long base = index << HODP_ODP_CHUNK_SHIFT, page;

		for (page = max(base, first); page <= min(base + HODP_ODP_CHUNK_PAGES - 1, last);
		     page++)
			unmapped += hodp_odp_clear(odp, page, &chunk->entry[page - base]);
	}
	return unmapped;
}

void hodp_odp_stop(struct hodp_odp *odp)
{
	/*
	 * The table first: a page it still held once the notifier is gone
	 * could be freed by mm under it, and dirtied here afterwards.
	 */
	down_write(&odp->lock);
	hodp_odp_unmap(odp, odp->start & PAGE_MASK, PAGE_ALIGN(odp->end));
	up_write(&odp->lock);
	mmu_interval_notifier_remove(&odp->notifier);
	odp->stopped = true;
}

void hodp_odp_free_table(struct hodp_odp *odp)
{
	struct hodp_odp_chunk *chunk;
	unsigned long index;

	xa_for_each(&odp->chunks, index, chunk) {
		kfree(chunk->entry);
		kfree(chunk);
	}
	xa_destroy(&odp->chunks);
}

unsigned long hodp_odp_addr(struct hodp_mr *mr, u64 iova)
{
	return mr->type == HODP_MR_IMPLICIT ? iova : mr->odp->range.start + (iova - mr->iova);
}

struct hodp_odp *hodp_odp_get(struct hodp_mr *mr, unsigned long addr, bool create)
{
	if (mr->type == HODP_MR_IMPLICIT)
		return hodp_implicit_child_get(mr, addr, create);
	return addr >= mr->odp->range.start && addr < mr->odp->range.end ? &mr->odp->range : NULL;
}

void hodp_odp_put(struct hodp_odp *odp)
{
	if (odp->is_child)
		hodp_implicit_child_put(container_of(odp, struct hodp_odp_child, odp));
}

static void hodp_odp_miss(struct hodp_mr *mr, u64 iova, u32 len, bool write,
			  struct hodp_miss *miss)
{
	refcount_inc(&mr->refs);
	*miss = (struct hodp_miss) { .mr = mr, .iova = iova, .len = len,
				     .write_len = write ? len : 0 };
}

/* Whether table entry @entry grants the access: read, and write if @write. */
static inline bool hodp_odp_grants(u64 entry, bool write)
{
	return (entry & HODP_ODP_READ) && (!write || (entry & HODP_ODP_WRITE));
}

/*
 * The physical address of user address @addr if its entry grants @write,
 * and in *@span how many bytes from there, up to @want at least, one copy
 * may cover: to the end of the page, or of a huge page, or of pages that
 * follow each other in memory (which the kernel maps contiguously unless
 * it has highmem).  Under the lock, for reading.  A responder copies one
 * packet at a time, so the chunk used last is kept: chunks live as long as
 * their table, and most packets find theirs without an xarray walk.
 */
static inline bool hodp_odp_phys(struct hodp_odp *odp, unsigned long addr, bool write, u64 want,
				 phys_addr_t *phys, u64 *span)
{
	unsigned long page = addr >> PAGE_SHIFT, index = page >> HODP_ODP_CHUNK_SHIFT;
	struct hodp_odp_chunk *chunk = READ_ONCE(odp->hot);
	unsigned int order;
	u64 entry, size;

	if (unlikely(!chunk || chunk->index != index)) {
		chunk = xa_load(&odp->chunks, index);
		if (!chunk)
			return false;
		WRITE_ONCE(odp->hot, chunk);
	}
	entry = chunk->entry[page & (HODP_ODP_CHUNK_PAGES - 1)];
	if (!hodp_odp_grants(entry, write))
		return false;
	*phys = (entry & PAGE_MASK) + offset_in_page(addr);
	if (!hodp_kmap_spans_pages()) {
		*span = PAGE_SIZE - offset_in_page(addr);
		return true;
	}
	order = (entry & HODP_ODP_ORDER_MASK) >> HODP_ODP_ORDER_SHIFT;
	size = PAGE_SIZE << order;
	*span = size - (addr & (size - 1));
	while (*span < want) {
		unsigned long next = (addr + *span) >> PAGE_SHIFT;

		if (next >> HODP_ODP_CHUNK_SHIFT != index)
			break;
		entry = chunk->entry[next & (HODP_ODP_CHUNK_PAGES - 1)];
		if (!hodp_odp_grants(entry, write) || (entry & PAGE_MASK) != *phys + *span)
			break;
		*span += PAGE_SIZE;
	}
	return true;
}

int hodp_odp_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
		  enum hodp_copy_dir dir, struct hodp_miss *miss)
{
	bool to_mr = dir == HODP_TO_MR;
	unsigned long addr = hodp_odp_addr(mr, iova);
	int err;

	while (len) {
		struct hodp_odp *odp = hodp_odp_get(mr, addr, false);

		if (!odp)
			goto miss;
		/* One train at most: the lock is held across a bounded copy. */
		down_read(&odp->lock);
		while (len && addr < odp->end) {
			phys_addr_t phys;
			u32 chunk;
			u64 span;
			void *va;

			if (!hodp_odp_phys(odp, addr, to_mr, len, &phys, &span)) {
				up_read(&odp->lock);
				hodp_odp_put(odp);
				goto miss;
			}
			chunk = min_t(u64, min_t(u64, len, span), odp->end - addr);
			/* A page referenced into an skb outlives an invalidation, as DMA would. */
			va = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
			err = hodp_xfer(x, va + offset_in_page(phys), chunk, dir);
			kunmap_local(va);
			if (err) {
				up_read(&odp->lock);
				hodp_odp_put(odp);
				return err;
			}
			addr += chunk;
			len -= chunk;
		}
		up_read(&odp->lock);
		hodp_odp_put(odp);
	}
	return 0;

miss:
	hodp_odp_miss(mr, iova + (addr - hodp_odp_addr(mr, iova)), len, to_mr, miss);
	return -EAGAIN;
}

void *hodp_odp_lock_u64(struct hodp_mr *mr, u64 iova, struct hodp_odp **locked,
			struct hodp_miss *miss)
{
	unsigned long addr = hodp_odp_addr(mr, iova);
	struct hodp_odp *odp = hodp_odp_get(mr, addr, false);
	phys_addr_t phys;
	u64 span;

	if (odp) {
		down_read(&odp->lock);
		if (hodp_odp_phys(odp, addr, true, sizeof(u64), &phys, &span)) {
			*locked = odp;
			return kmap_local_page(pfn_to_page(PHYS_PFN(phys))) + offset_in_page(phys);
		}
		up_read(&odp->lock);
		hodp_odp_put(odp);
	}
	hodp_odp_miss(mr, iova, sizeof(u64), true, miss);
	return NULL;
}

void hodp_odp_unlock(struct hodp_odp *odp, void *va)
{
	kunmap_local(va);
	up_read(&odp->lock);
	hodp_odp_put(odp);
}

/* The device's ODP totals are the MR's first stats, in the same order. */
#define HODP_ODP_TOTAL(s) \
	static_assert(HODP_CNT_ODP_##s - HODP_CNT_ODP_FAULTS == HODP_ODP_##s)
HODP_ODP_TOTAL(FAULTS);
HODP_ODP_TOTAL(FAULTS_HANDLED);
HODP_ODP_TOTAL(PAGES_MAPPED);
HODP_ODP_TOTAL(INVALIDATIONS);
HODP_ODP_TOTAL(INVALIDATIONS_HANDLED);
HODP_ODP_TOTAL(PREFETCHES);

void hodp_odp_count(struct hodp_mr *mr, enum hodp_odp_stat stat, s64 n)
{
	atomic64_add(n, &mr->odp->stats[stat]);
	if (stat <= HODP_ODP_PREFETCHES)
		hodp_count_n(to_hdev(mr->ibmr.device), HODP_CNT_ODP_FAULTS + stat, n);
}

static const char * const hodp_odp_stat_names[] = {
	[HODP_ODP_FAULTS] = "page_faults",
	[HODP_ODP_FAULTS_HANDLED] = "page_faults_handled",
	[HODP_ODP_PAGES_MAPPED] = "pages_mapped",
	[HODP_ODP_INVALIDATIONS] = "page_invalidations",
	[HODP_ODP_INVALIDATIONS_HANDLED] = "page_invalidations_handled",
	[HODP_ODP_PREFETCHES] = "page_prefetch",
	[HODP_ODP_CHILDREN] = "implicit_children",
	[HODP_ODP_CHILDREN_CREATED] = "implicit_children_created",
	[HODP_ODP_CHILDREN_FREED] = "implicit_children_freed",
};

static_assert(ARRAY_SIZE(hodp_odp_stat_names) == HODP_ODP_NUM_STATS);

int hodp_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct hodp_mr *mr = to_hmr(ibmr);
	int i, n = HODP_ODP_NUM_STATS;
	struct nlattr *table;

	if (mr->type != HODP_MR_ODP && mr->type != HODP_MR_IMPLICIT)
		return 0;
	if (mr->type == HODP_MR_ODP)
		n = HODP_ODP_CHILDREN;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (rdma_nl_stat_hwcounter_entry(msg, hodp_odp_stat_names[i],
						 atomic64_read(&mr->odp->stats[i]))) {
			nla_nest_cancel(msg, table);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, table);
	return 0;
}

void hodp_odp_hold(struct hodp_mr *mr)
{
	refcount_inc(&mr->odp->refs);
}

void hodp_odp_drop(struct hodp_mr *mr)
{
	struct hodp_dev *hdev = to_hdev(mr->ibmr.device);
	struct hodp_odp_mr *odp = mr->odp;

	if (!refcount_dec_and_test(&odp->refs))
		return;
	if (mr->type == HODP_MR_IMPLICIT) {
		hodp_implicit_release(mr);
	} else {
		hodp_odp_stop(&odp->range);
		hodp_odp_free_table(&odp->range);
	}
	kfree_rcu(mr, rcu);
	hodp_odp_mr_free(hdev, odp);
}
