// SPDX-License-Identifier: GPL-2.0
/*
 * ODP invalidation: the kernel is about to change the mapping of part of an
 * MR's range.  Entries there are cleared under the MR's lock, which every
 * data-path access holds across its copy, so once this returns nothing in
 * hodp touches those pages; a fault racing with it sees the new sequence
 * and starts over.
 */
#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp.h"
#include "hodp_trace.h"

static bool hodp_odp_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	struct hodp_mr *mr = container_of(mni, struct hodp_mr, odp.notifier);
	unsigned long start = max(range->start, mni->interval_tree.start);
	unsigned long end = min(range->end, mni->interval_tree.last + 1);
	u64 unmapped;

	/* Sleeping for the lock is not allowed here: the caller retries. */
	if (!mmu_notifier_range_blockable(range))
		return false;

	mutex_lock(&mr->odp.lock);
	mmu_interval_set_seq(mni, cur_seq);
	unmapped = hodp_odp_unmap(mr, start, end);
	mutex_unlock(&mr->odp.lock);

	trace_hodp_odp_invalidate(mr->ibmr.lkey, start, end, range->event, unmapped);
	if (unmapped) {
		hodp_odp_count(mr, HODP_ODP_INVALIDATIONS, unmapped);
		hodp_odp_count(mr, HODP_ODP_INVALIDATIONS_HANDLED, 1);
	}
	return true;
}

const struct mmu_interval_notifier_ops hodp_odp_mni_ops = {
	.invalidate = hodp_odp_invalidate,
};
