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

/* Make sure the table has chunks for [start, end); before taking the MR's lock. */
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

/* Under the MR's lock, with the range still current: fill the table. */
static u64 hodp_odp_install(struct hodp_mr *mr, const struct hmm_range *range)
{
	unsigned long addr;
	u64 mapped = 0;
	size_t i;

	for (addr = range->start, i = 0; addr < range->end; addr += PAGE_SIZE, i++) {
		unsigned long pfn = range->hmm_pfns[i];
		u64 *slot = hodp_odp_slot(&mr->odp, addr);
		dma_addr_t dma;

		if (!(pfn & HMM_PFN_VALID) || (pfn & HMM_PFN_ERROR))
			continue;
		dma = ib_dma_map_page(mr->ibmr.device, hmm_pfn_to_page(pfn), 0, PAGE_SIZE,
				      DMA_BIDIRECTIONAL);
		if (ib_dma_mapping_error(mr->ibmr.device, dma))
			continue;
		/* A read-only entry upgraded by a write fault: drop the old mapping first. */
		hodp_odp_unmap(mr, addr, addr + PAGE_SIZE);
		*slot = dma | HODP_ODP_READ | (pfn & HMM_PFN_WRITE ? HODP_ODP_WRITE : 0);
		mapped++;
	}
	return mapped;
}

static int hodp_odp_fault_range(struct hodp_mr *mr, unsigned long start, unsigned long end,
				bool write, unsigned long *pfns, u64 *mapped)
{
	struct hodp_odp *odp = &mr->odp;
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range range = {
		.notifier = &odp->notifier,
		.start = start,
		.end = end,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
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
		*mapped = hodp_odp_install(mr, &range);
		mutex_unlock(&odp->lock);
		return 0;
	}
}

/* Map [iova, iova + len) of @mr, and what is around it in the same VMA. */
static int hodp_odp_fault(struct hodp_mr *mr, u64 iova, u32 len, bool write, u64 *mapped)
{
	struct hodp_odp *odp = &mr->odp;
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long addr = odp->start + (iova - mr->iova);
	unsigned long lo = odp->start & PAGE_MASK, hi = PAGE_ALIGN(odp->start + mr->length);
	unsigned long need_start = addr & PAGE_MASK, need_end = PAGE_ALIGN(addr + len);
	unsigned long around = hodp_odp_fault_around();
	unsigned long start = max(ALIGN_DOWN(addr, around), lo);
	unsigned long end = min(ALIGN(addr + len, around), hi);
	struct vm_area_struct *vma;
	unsigned long *pfns;
	int err;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		start = max(start, vma->vm_start);
		end = max(min(end, vma->vm_end), min(need_end, vma->vm_end));
	}
	mmap_read_unlock(mm);
	if (!vma) {
		err = -EFAULT;
		goto out_put;
	}

	pfns = kvmalloc_array((end - start) >> PAGE_SHIFT, sizeof(*pfns), GFP_KERNEL);
	if (!pfns) {
		err = -ENOMEM;
		goto out_put;
	}
	err = hodp_odp_fault_range(mr, start, end, write, pfns, mapped);
	/* Something around the miss cannot be mapped: the miss alone may still be. */
	if (err && err != -ETIMEDOUT && (start != need_start || end != need_end))
		err = hodp_odp_fault_range(mr, need_start, need_end, write, pfns, mapped);
	kvfree(pfns);
out_put:
	mmput(mm);
	return err;
}

static void hodp_odp_fault_work(struct work_struct *work)
{
	struct hodp_dev *hdev = container_of(work, struct hodp_dev, fault_work);

	for (;;) {
		struct hodp_odp_wait *w;
		struct hodp_qp *qp;
		u64 mapped = 0;
		ktime_t t0;
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
		err = hodp_odp_fault(w->mr, w->iova, w->len, w->write, &mapped);
		trace_hodp_odp_fault_done(qp->ibqp.qp_num, w->mr->ibmr.lkey, w->iova, mapped, err,
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
