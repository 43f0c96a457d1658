// SPDX-License-Identifier: GPL-2.0
/*
 * ODP page faults.  The engine never waits for memory: on a miss it queues
 * the stream's fault on the device's fault queue and parks the stream.  The
 * fault worker resolves each fault with hmm_range_fault() under the
 * notifier's sequence, installs the pages in the MR's table, and resumes
 * the QP; a fault that cannot be served makes the stream's next miss there
 * an access error instead of another fault.
 */
#include <linux/hmm.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp.h"
#include "hodp_qp.h"

#define CREATE_TRACE_POINTS
#include "hodp_trace.h"

/*
 * A fault maps the aligned window around the miss (within the MR and the
 * VMA): sequential first touches then fault once per window, not per packet.
 * docs/odp.md has the measurements behind the default.
 */
static unsigned int odp_fault_around_kb = 256;
module_param(odp_fault_around_kb, uint, 0644);
MODULE_PARM_DESC(odp_fault_around_kb,
		 "ODP faults map this aligned window around the miss, in KiB (4 to 4096)");

static unsigned long hodp_odp_fault_around(void)
{
	unsigned long kb = clamp_t(unsigned long, READ_ONCE(odp_fault_around_kb), 4, SZ_4K);

	return rounddown_pow_of_two(kb * SZ_1K);
}

static struct workqueue_struct *hodp_odp_wq;

/* Make sure the table has chunks for [start, end); before taking the range's lock. */
static int hodp_odp_alloc_chunks(struct hodp_odp *odp, unsigned long start, unsigned long end)
{
	unsigned long index = (start >> PAGE_SHIFT) >> HODP_ODP_CHUNK_SHIFT;
	unsigned long last = ((end - 1) >> PAGE_SHIFT) >> HODP_ODP_CHUNK_SHIFT;
	int err;

	for (; index <= last; index++) {
		struct hodp_odp_chunk *chunk;

		if (xa_load(&odp->chunks, index))
			continue;
		chunk = kzalloc_obj(*chunk);
		if (!chunk)
			return -ENOMEM;
		err = xa_insert(&odp->chunks, index, chunk, GFP_KERNEL);
		if (err) {
			kfree(chunk);
			if (err != -EBUSY)
				return err;
		}
	}
	return 0;
}

/* Under the range's lock, with the range still current: fill the table. */
static u64 hodp_odp_install(struct hodp_odp *odp, const struct hmm_range *range)
{
	struct ib_device *ibdev = odp->mr->ibmr.device;
	unsigned long addr;
	u64 mapped = 0;
	size_t i;

	for (addr = range->start, i = 0; addr < range->end; addr += PAGE_SIZE, i++) {
		unsigned long pfn = range->hmm_pfns[i];
		u64 *slot = hodp_odp_slot(odp, addr);
		dma_addr_t dma;

		if (!(pfn & HMM_PFN_VALID) || (pfn & HMM_PFN_ERROR))
			continue;
		dma = ib_dma_map_page(ibdev, hmm_pfn_to_page(pfn), 0, PAGE_SIZE,
				      DMA_BIDIRECTIONAL);
		if (ib_dma_mapping_error(ibdev, dma))
			continue;
		/* A read-only entry upgraded by a write fault: drop the old mapping first. */
		hodp_odp_clear(odp, addr >> PAGE_SHIFT, slot);
		*slot = dma | HODP_ODP_READ | (pfn & HMM_PFN_WRITE ? HODP_ODP_WRITE : 0) |
			(u64)hmm_pfn_to_map_order(pfn) << HODP_ODP_ORDER_SHIFT;
		mapped++;
	}
	odp->npages += mapped;
	return mapped;
}

/*
 * hmm_range_fault() over [start, end) of @odp, retried while invalidations
 * race with it, then the table filled under the lock.  @pfns has room for
 * the range; on return it holds what HMM found.
 */
static int hodp_odp_fault_range(struct hodp_odp *odp, unsigned long start, unsigned long end,
				unsigned long default_flags, unsigned long *pfns, u64 *mapped)
{
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range range = {
		.notifier = &odp->notifier,
		.start = start,
		.end = end,
		.hmm_pfns = pfns,
		.default_flags = default_flags,
	};
	int err;

	err = hodp_odp_alloc_chunks(odp, start, end);
	if (err)
		return err;
	for (;;) {
		if (time_after(jiffies, timeout))
			return -ETIMEDOUT;
		range.notifier_seq = mmu_interval_read_begin(&odp->notifier);
		mmap_read_lock(mm);
		err = hmm_range_fault(&range);
		mmap_read_unlock(mm);
		if (err == -EBUSY) {
			cond_resched();
			continue;
		}
		if (err)
			return err;

		mutex_lock(&odp->lock);
		if (mmu_interval_read_retry(&odp->notifier, range.notifier_seq)) {
			mutex_unlock(&odp->lock);
			continue;
		}
		*mapped += hodp_odp_install(odp, &range);
		mutex_unlock(&odp->lock);
		return 0;
	}
}

static int hodp_odp_fault_pages(struct hodp_odp *odp, unsigned long start, unsigned long end,
				unsigned long default_flags, u64 *mapped)
{
	unsigned long *pfns;
	int err;

	pfns = kvmalloc_array((end - start) >> PAGE_SHIFT, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	err = hodp_odp_fault_range(odp, start, end, default_flags, pfns, mapped);
	kvfree(pfns);
	return err;
}

/*
 * A miss at @addr: map the fault-around window in the same VMA, falling back
 * to the missing pages alone; then the rest of the huge page the miss
 * landed in, so that one fault maps a THP or hugetlb page whole.
 */
static int hodp_odp_fault_one(struct hodp_odp *odp, unsigned long addr, unsigned long len,
			      unsigned long default_flags, u64 *mapped)
{
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long lo = odp->start & PAGE_MASK, hi = PAGE_ALIGN(odp->end);
	unsigned long need_start = addr & PAGE_MASK, need_end = PAGE_ALIGN(addr + len);
	unsigned long around = hodp_odp_fault_around();
	unsigned long start = max(ALIGN_DOWN(addr, around), lo);
	unsigned long end = min(ALIGN(addr + len, around), hi);
	unsigned long *pfns, size;
	struct vm_area_struct *vma;
	unsigned int order;
	int err;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		start = max(start, vma->vm_start);
		end = min(end, vma->vm_end);	/* the window holds need_end */
	}
	mmap_read_unlock(mm);
	if (!vma)
		return -EFAULT;

	pfns = kvmalloc_array((end - start) >> PAGE_SHIFT, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	err = hodp_odp_fault_range(odp, start, end, default_flags, pfns, mapped);
	order = err ? 0 : hmm_pfn_to_map_order(pfns[(addr - start) >> PAGE_SHIFT]);
	kvfree(pfns);
	/*
	 * Something around the miss cannot be mapped, or it kept changing
	 * while HMM walked it: the miss alone may still be mapped.
	 */
	if (err && (start != need_start || end != need_end))
		return hodp_odp_fault_pages(odp, need_start, need_end, default_flags, mapped);
	if (err || !order)
		return err;

	size = PAGE_SIZE << order;
	if (ALIGN_DOWN(addr, size) >= start && ALIGN(addr + 1, size) <= end)
		return 0;
	/* Present already: mapping the rest of the huge page costs no fault. */
	return hodp_odp_fault_pages(odp, max(ALIGN_DOWN(addr, size), lo),
				    min(ALIGN(addr + 1, size), hi), default_flags, mapped);
}

s64 hodp_odp_map(struct hodp_mr *mr, unsigned long addr, u64 len, bool write, bool exact,
		 bool snapshot)
{
	unsigned long default_flags = snapshot ? 0 :
				      HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0);
	unsigned long end = addr + len;
	u64 mapped = 0;
	int err = 0;

	if (!len || end < addr)
		return -EINVAL;
	while (addr < end && !err) {
		struct hodp_odp *odp = hodp_odp_get(mr, addr, true);
		struct mm_struct *mm;
		unsigned long stop;

		if (!odp)
			return -EFAULT;
		stop = min(end, odp->end);
		mm = odp->notifier.mm;
		if (!mmget_not_zero(mm)) {
			hodp_odp_put(odp);
			return -EFAULT;
		}
		if (!exact) {
			err = hodp_odp_fault_one(odp, addr, stop - addr, default_flags, &mapped);
		} else {
			/* Prefetch: the range itself, a bounded batch of pages at a time. */
			while (addr < stop && !err) {
				unsigned long next = min(stop, ALIGN(addr + 1, SZ_2M));

				err = hodp_odp_fault_pages(odp, addr & PAGE_MASK, PAGE_ALIGN(next),
							   default_flags, &mapped);
				addr = next;
				cond_resched();
			}
		}
		mmput(mm);
		hodp_odp_put(odp);
		addr = stop;
	}
	return err ?: mapped;
}

static void hodp_odp_fault_work(struct work_struct *work)
{
	struct hodp_dev *hdev = container_of(work, struct hodp_dev, fault_work);

	for (;;) {
		struct hodp_odp_wait *w;
		struct hodp_qp *qp;
		ktime_t t0;
		s64 mapped;
		int err;

		spin_lock(&hdev->fault_lock);
		w = list_first_entry_or_null(&hdev->fault_queue, struct hodp_odp_wait, node);
		if (w)
			list_del_init(&w->node);
		spin_unlock(&hdev->fault_lock);
		if (!w)
			return;

		qp = w->qp;
		t0 = ktime_get();
		mapped = hodp_odp_map(w->mr, hodp_odp_addr(w->mr, w->iova), w->len, w->write,
				      false, false);
		err = mapped < 0 ? mapped : 0;
		trace_hodp_odp_fault_done(qp->ibqp.qp_num, w->mr->ibmr.lkey, w->iova,
					  err ? 0 : mapped, err,
					  ktime_to_ns(ktime_sub(ktime_get(), t0)));
		if (err) {
			w->result = err;
			w->failed_key = w->mr->ibmr.lkey;
			w->failed_iova = w->iova;
			w->failed_len = w->len;
		} else {
			hodp_odp_count(w->mr, HODP_ODP_FAULTS_HANDLED, 1);
			hodp_odp_count(w->mr, HODP_ODP_PAGES_MAPPED, mapped);
		}
		hodp_mr_put(w->mr);
		w->mr = NULL;
		/* The engine sees the outcome above once it sees the wait is over. */
		smp_store_release(&w->pending, false);
		hodp_qp_schedule(qp);
		hodp_qp_put(qp);
		cond_resched();
	}
}

bool hodp_odp_waiting(struct hodp_odp_wait *w)
{
	/* Pairs with the worker's release: its outcome is visible once this reads false. */
	return smp_load_acquire(&w->pending);
}

int hodp_odp_park(struct hodp_qp *qp, struct hodp_odp_wait *w, struct hodp_miss *miss)
{
	struct hodp_dev *hdev = qp->hdev;
	struct hodp_mr *mr = miss->mr;

	if (w->result && w->failed_key == mr->ibmr.lkey && miss->iova >= w->failed_iova &&
	    miss->iova - w->failed_iova < w->failed_len) {
		w->result = 0;
		hodp_mr_put(mr);
		return -EACCES;
	}
	w->result = 0;
	WRITE_ONCE(w->pending, true);
	/* A QP being destroyed stays parked: destroy cleans up. */
	if (!refcount_inc_not_zero(&qp->refs)) {
		hodp_mr_put(mr);
		return -EAGAIN;
	}
	w->qp = qp;
	w->mr = mr;
	w->iova = miss->iova;
	w->len = miss->len;
	w->write = miss->write;
	hodp_odp_count(mr, HODP_ODP_FAULTS, 1);
	trace_hodp_odp_fault(qp->ibqp.qp_num, mr->ibmr.lkey, miss->iova, miss->len, miss->write);

	spin_lock(&hdev->fault_lock);
	list_add_tail(&w->node, &hdev->fault_queue);
	spin_unlock(&hdev->fault_lock);
	queue_work(hodp_odp_wq, &hdev->fault_work);
	return -EAGAIN;
}

void hodp_odp_wait_reset(struct hodp_qp *qp, struct hodp_odp_wait *w)
{
	/* A fault being served holds a QP reference and finishes in bounded time. */
	if (READ_ONCE(w->pending))
		flush_work(&qp->hdev->fault_work);
	WRITE_ONCE(w->pending, false);
	w->result = 0;
}

void hodp_odp_dev_init(struct hodp_dev *hdev)
{
	spin_lock_init(&hdev->fault_lock);
	INIT_LIST_HEAD(&hdev->fault_queue);
	INIT_WORK(&hdev->fault_work, hodp_odp_fault_work);
}

void hodp_odp_dev_fini(struct hodp_dev *hdev)
{
	flush_work(&hdev->fault_work);
}

bool hodp_odp_queue(struct work_struct *work)
{
	return queue_work(hodp_odp_wq, work);
}

void hodp_odp_flush(void)
{
	flush_workqueue(hodp_odp_wq);
}

int hodp_odp_wq_init(void)
{
	/* Faults may be what reclaim waits on, like the engine. */
	hodp_odp_wq = alloc_workqueue("hodp_odp", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return hodp_odp_wq ? 0 : -ENOMEM;
}

void hodp_odp_wq_exit(void)
{
	destroy_workqueue(hodp_odp_wq);
}
