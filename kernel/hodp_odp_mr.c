// SPDX-License-Identifier: GPL-2.0
/*
 * ODP memory regions: registration (a notifier, an empty table: nothing
 * pinned, nothing sized by the length), the data path's access to the
 * table, unmapping, release and the per-MR counters.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <net/netlink.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>
#include <uapi/rdma/rdma_netlink.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp.h"

int hodp_odp_init(struct hodp_mr *mr, u64 start, u64 length)
{
	struct hodp_odp *odp = &mr->odp;
	int err;

	if (!current->mm || !access_ok(u64_to_user_ptr(start), length))
		return -EFAULT;
	mutex_init(&odp->lock);
	xa_init(&odp->chunks);
	odp->start = start;
	err = mmu_interval_notifier_insert(&odp->notifier, current->mm, start, length,
					   &hodp_odp_mni_ops);
	if (err) {
		xa_destroy(&odp->chunks);
		mutex_destroy(&odp->lock);
	}
	return err;
}

u64 hodp_odp_unmap(struct hodp_mr *mr, unsigned long start, unsigned long end)
{
	struct hodp_odp *odp = &mr->odp;
	unsigned long first = start >> PAGE_SHIFT, last = (end - 1) >> PAGE_SHIFT;
	struct hodp_odp_chunk *chunk;
	unsigned long index;
	u64 unmapped = 0;

	lockdep_assert_held(&odp->lock);
	if (start >= end)
		return 0;
	xa_for_each_range(&odp->chunks, index, chunk, first >> HODP_ODP_CHUNK_SHIFT,
			  last >> HODP_ODP_CHUNK_SHIFT) {
		unsigned long base = index << HODP_ODP_CHUNK_SHIFT, page;

		for (page = max(base, first); page <= min(base + HODP_ODP_CHUNK_PAGES - 1, last);
		     page++) {
			u64 *slot = &chunk->entry[page - base];
			u64 dma = *slot & PAGE_MASK;

			if (!*slot)
				continue;
			/* Stores through the kernel mapping bypass the PTE's dirty bit. */
			if (*slot & HODP_ODP_WRITE)
				set_page_dirty(virt_to_page((void *)(uintptr_t)dma));
			ib_dma_unmap_page(mr->ibmr.device, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
			*slot = 0;
			unmapped++;
		}
	}
	return unmapped;
}

/* After deregistration's users are gone: no notifier, no mapping, no table. */
void hodp_odp_release(struct hodp_mr *mr)
{
	struct hodp_odp *odp = &mr->odp;
	struct hodp_odp_chunk *chunk;
	unsigned long index;

	mmu_interval_notifier_remove(&odp->notifier);
	mutex_lock(&odp->lock);
	hodp_odp_unmap(mr, odp->start & PAGE_MASK, PAGE_ALIGN(odp->start + mr->length));
	mutex_unlock(&odp->lock);
	xa_for_each(&odp->chunks, index, chunk)
		kfree(chunk);
	xa_destroy(&odp->chunks);
	mutex_destroy(&odp->lock);
}

static void hodp_odp_miss(struct hodp_mr *mr, u64 iova, u32 len, bool write,
			  struct hodp_miss *miss)
{
	refcount_inc(&mr->refs);
	*miss = (struct hodp_miss) { .mr = mr, .iova = iova, .len = len, .write = write };
}

/* The kernel address of user address @addr if its entry grants @write, else NULL. */
static void *hodp_odp_kaddr(struct hodp_odp *odp, unsigned long addr, bool write)
{
	u64 *slot = hodp_odp_slot(odp, addr);
	u64 entry = slot ? *slot : 0;

	if (!(entry & HODP_ODP_READ) || (write && !(entry & HODP_ODP_WRITE)))
		return NULL;
	return (void *)(uintptr_t)(entry & PAGE_MASK) + offset_in_page(addr);
}

int hodp_odp_copy(struct hodp_mr *mr, u64 iova, void *buf, u32 len, bool to_mr,
		  struct hodp_miss *miss)
{
	struct hodp_odp *odp = &mr->odp;
	unsigned long addr = odp->start + (iova - mr->iova);

	/* One packet at most: the lock is held across a bounded copy. */
	mutex_lock(&odp->lock);
	while (len) {
		u32 chunk = min_t(u32, len, PAGE_SIZE - offset_in_page(addr));
		void *va = hodp_odp_kaddr(odp, addr, to_mr);

		if (!va) {
			mutex_unlock(&odp->lock);
			hodp_odp_miss(mr, mr->iova + (addr - odp->start), len, to_mr, miss);
			return -EAGAIN;
		}
		if (to_mr)
			memcpy(va, buf, chunk);
		else
			memcpy(buf, va, chunk);
		buf += chunk;
		addr += chunk;
		len -= chunk;
	}
	mutex_unlock(&odp->lock);
	return 0;
}

void *hodp_odp_lock_u64(struct hodp_mr *mr, u64 iova, struct hodp_miss *miss)
{
	struct hodp_odp *odp = &mr->odp;
	void *va;

	mutex_lock(&odp->lock);
	va = hodp_odp_kaddr(odp, odp->start + (iova - mr->iova), true);
	if (!va) {
		mutex_unlock(&odp->lock);
		hodp_odp_miss(mr, iova, sizeof(u64), true, miss);
	}
	return va;
}

void hodp_odp_unlock(struct hodp_mr *mr)
{
	mutex_unlock(&mr->odp.lock);
}

void hodp_odp_count(struct hodp_mr *mr, enum hodp_odp_stat stat, u64 n)
{
	atomic64_add(n, &mr->odp.stats[stat]);
	hodp_count_n(to_hdev(mr->ibmr.device), HODP_CNT_ODP_FAULTS + stat, n);
}

static const char * const hodp_odp_stat_names[HODP_ODP_NUM_STATS] = {
	[HODP_ODP_FAULTS] = "page_faults",
	[HODP_ODP_FAULTS_HANDLED] = "page_faults_handled",
	[HODP_ODP_PAGES_MAPPED] = "pages_mapped",
	[HODP_ODP_INVALIDATIONS] = "page_invalidations",
	[HODP_ODP_INVALIDATIONS_HANDLED] = "page_invalidations_handled",
	[HODP_ODP_PREFETCHES] = "page_prefetch",
};

int hodp_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct hodp_mr *mr = to_hmr(ibmr);
	struct nlattr *table;
	int i;

	if (mr->type != HODP_MR_ODP)
		return 0;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < HODP_ODP_NUM_STATS; i++) {
		if (rdma_nl_stat_hwcounter_entry(msg, hodp_odp_stat_names[i],
						 atomic64_read(&mr->odp.stats[i]))) {
			nla_nest_cancel(msg, table);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, table);
	return 0;
}
