// SPDX-License-Identifier: GPL-2.0
/*
 * ODP invalidation: the kernel is about to change the mapping of part of an
 * ODP range.  Entries there are cleared under the range's lock, which every
 * data-path access holds (for reading) across its copy, so once this
 * returns no copy is under way there and hodp starts no new access to
 * those pages; a fault whose walk it overlaps is told to start over.  A
 * page a zero-copy train referenced into an skb before (get_page()) stays
 * the receiver's until it is copied, as a page under DMA would.  An
 * implicit child that an unmap leaves empty is unlinked (later: its
 * notifier cannot be removed from inside it).
 */
#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp_priv.h"
#include "hodp_trace.h"

static bool hodp_odp_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct hodp_odp *odp = container_of(mni, struct hodp_odp, notifier);
	struct hodp_odp_walk *walk;
	unsigned long start = max(range->start, odp->start);
	unsigned long end = min(range->end, odp->end);
	bool empty;
	u64 unmapped;

	/*
	 * The OOM reaper may not sleep.  The lock is held only across packets'
	 * copies and table updates, so it is usually free; when it is not,
	 * the reaper tries again.
	 */
	if (mmu_notifier_range_blockable(range))
		down_write(&odp->lock);
	else if (!down_write_trylock(&odp->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	unmapped = hodp_odp_unmap(odp, start, end);
	empty = !odp->npages;
	list_for_each_entry(walk, &odp->walks, node) {
		if (walk->start < end && start < walk->end)
			walk->stale = true;
	}
	up_write(&odp->lock);

	trace_hodp_odp_invalidate(odp->mr->ibmr.lkey, start, end, range->event, unmapped);
	if (unmapped) {
		hodp_odp_count(odp->mr, HODP_ODP_INVALIDATIONS, unmapped);
		hodp_odp_count(odp->mr, HODP_ODP_INVALIDATIONS_HANDLED, 1);
	}
	/*
	 * Only an unmap, but any unmap that finds the child empty (its pages
	 * may have gone to MADV_DONTNEED before): memory still mapped
	 * (DONTNEED, mprotect) refaults soon, and keeps its child.
	 */
	if (odp->is_child && empty && range->event == MMU_NOTIFY_UNMAP)
		hodp_implicit_child_retire(odp);
	return true;
}

const struct mmu_interval_notifier_ops hodp_odp_mni_ops = {
	.invalidate = hodp_odp_invalidate,
};
