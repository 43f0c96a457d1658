// SPDX-License-Identifier: GPL-2.0
/*
 * ODP page faults.  The engine never waits for memory: on a miss it queues
 * a fault for the stream and parks the stream.  Faults run concurrently on
 * the ODP workqueue, a bounded number per owner and per device; each
 * resolves its miss with hmm_range_fault() under the notifier's sequence,
 * installs the pages in the range's table and tells the stream through its
 * wait.  A fault that cannot be served makes the stream's next miss there
 * an access error instead of another fault.  A stream that gives up (QP
 * reset or destroy) waits for nothing: its fault runs on alone, holding
 * the MR's ODP state but not the MR's deregistration.
 */
#include <linux/hmm.h>
#include <linux/log2.h>
#include <linux/magic.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/wait_bit.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp_priv.h"

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

static struct workqueue_struct *hodp_odp_wq, *hodp_prefetch_wq, *hodp_retire_wq;

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
		chunk->index = index;
		chunk->entry = kcalloc(HODP_ODP_CHUNK_PAGES, sizeof(u64), GFP_KERNEL);
		if (!chunk->entry) {
			kfree(chunk);
			return -ENOMEM;
		}
		err = xa_insert(&odp->chunks, index, chunk, GFP_KERNEL);
		if (err) {
			kfree(chunk->entry);
			kfree(chunk);
			if (err != -EBUSY)
				return err;
		}
	}
	return 0;
}

/*
 * Memory hodp must not reach: secretmem's pages are taken out of the
 * kernel's direct map (and memfd_secret() promises that no kernel path
 * reads them).  GUP refuses them for pinned MRs; HMM does not, so faults
 * refuse their VMAs themselves.  Under the mmap lock.
 */
static bool hodp_odp_vmas_reachable(struct mm_struct *mm, unsigned long start,
				    unsigned long end)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;

	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_file &&
		    file_inode(vma->vm_file)->i_sb->s_magic == SECRETMEM_MAGIC)
			return false;
	}
	return true;
}

/* Under the range's lock, with the range still current: fill the table. */
static u64 hodp_odp_install(struct hodp_odp *odp, const struct hmm_range *range)
{
	unsigned long addr;
	u64 mapped = 0;
	size_t i;

	for (addr = range->start, i = 0; addr < range->end; addr += PAGE_SIZE, i++) {
		unsigned long pfn = range->hmm_pfns[i];
		u64 *slot = hodp_odp_slot(odp, addr), entry;

		if (!(pfn & HMM_PFN_VALID) || (pfn & HMM_PFN_ERROR))
			continue;
		entry = (u64)(pfn & ~HMM_PFN_FLAGS) << PAGE_SHIFT | HODP_ODP_READ |
			(pfn & HMM_PFN_WRITE ? HODP_ODP_WRITE : 0) |
			(u64)hmm_pfn_to_map_order(pfn) << HODP_ODP_ORDER_SHIFT;
		/* The window's pass finds what the write pass mapped. */
		if (*slot == entry)
			continue;
		/* A read-only entry upgraded by a write fault: drop the old one first. */
		hodp_odp_clear(odp, addr >> PAGE_SHIFT, slot);
		*slot = entry;
		mapped++;
	}
	odp->npages += mapped;
	return mapped;
}

/*
 * What a fault asks of HMM for [start, end) of @odp: every page present
 * (@fault) or a snapshot of what is, and writable (@write) or not.  The
 * same for every page: HMM retries a walk internally with its own answer
 * in the pfns, so per-page requests would not survive a retry.
 */
struct hodp_odp_req {
	unsigned long start;
	unsigned long end;
	bool fault;
	bool write;
};

/* HMM's walk starts over for changes to its part of the range alone. */
static bool hodp_odp_walk_invalidate(struct mmu_interval_notifier *mni,
				     const struct mmu_notifier_range *range, unsigned long cur_seq)
{
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops hodp_odp_walk_ops = {
	.invalidate = hodp_odp_walk_invalidate,
};

/*
 * Walks of one fault that an invalidation may void before they are
 * installed: each has HMM's retry budget (HMM_RANGE_DEFAULT_TIMEOUT without
 * progress) of its own, and a walk that ended is progress; the count bounds
 * a fault whose pages keep changing under it.
 */
#define HODP_ODP_WALKS	8

/*
 * hmm_range_fault() over @req, then the table filled under the lock unless
 * an invalidation of the pages came in between (then again, HODP_ODP_WALKS
 * times at most).  HMM may drop the mmap lock while a fault waits for I/O,
 * so that a file whose server does not answer holds up this fault, not
 * every munmap() of the process.  @pfns has room for the range; on return
 * it holds what HMM found.
 */
static int hodp_odp_fault_range(struct hodp_odp *odp, const struct hodp_odp_req *req,
				unsigned long *pfns, u64 *mapped)
{
	struct mm_struct *mm = odp->notifier.mm;
	struct hodp_odp_walk walk = { .start = req->start, .end = req->end };
	struct hmm_range range = {
		.notifier = &walk.notifier,
		.start = req->start,
		.end = req->end,
		.hmm_pfns = pfns,
		.default_flags = req->fault ? HMM_PFN_REQ_FAULT |
					      (req->write ? HMM_PFN_REQ_WRITE : 0) : 0,
	};
	unsigned int walks = 0;
	bool reachable;
	int err;

	err = hodp_odp_alloc_chunks(odp, req->start, req->end);
	if (err)
		return err;
	err = mmu_interval_notifier_insert(&walk.notifier, mm, walk.start, walk.end - walk.start,
					   &hodp_odp_walk_ops);
	if (err)
		return err;
	down_write(&odp->lock);
	list_add(&walk.node, &odp->walks);
	up_write(&odp->lock);
	for (;;) {
		err = hmm_range_fault_unlocked_timeout(&range,
						       msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT));
		/*
		 * The VMAs now are those HMM walked, or an unmap since made
		 * the walk stale.
		 */
		if (!err) {
			mmap_read_lock(mm);
			reachable = hodp_odp_vmas_reachable(mm, req->start, req->end);
			mmap_read_unlock(mm);
		}
		down_write(&odp->lock);
		if (err || !walk.stale || ++walks == HODP_ODP_WALKS)
			break;
		/*
		 * A change marked so far is over before HMM walks again: the
		 * walk's notifier saw it too, and HMM waits for it there.
		 */
		walk.stale = false;
		up_write(&odp->lock);
		cond_resched();
	}
	if (!err && walk.stale)
		err = -ETIMEDOUT;
	else if (!err && reachable)
		*mapped += hodp_odp_install(odp, &range);
	else if (!err)
		err = -EFAULT;
	list_del(&walk.node);
	up_write(&odp->lock);
	mmu_interval_notifier_remove(&walk.notifier);
	return err == -EBUSY ? -ETIMEDOUT : err;
}

static int hodp_odp_fault_pages(struct hodp_odp *odp, const struct hodp_odp_req *req,
				u64 *mapped, unsigned int *order, unsigned long order_at)
{
	unsigned long *pfns;
	int err;

	pfns = kvmalloc_array((req->end - req->start) >> PAGE_SHIFT, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	err = hodp_odp_fault_range(odp, req, pfns, mapped);
	if (!err && order)
		*order = hmm_pfn_to_map_order(pfns[(order_at - req->start) >> PAGE_SHIFT]);
	kvfree(pfns);
	return err;
}

/*
 * A miss at [addr, addr + len), to be written up to @write_end (or read):
 * the written part first, writable (the miss alone if more cannot be);
 * then the fault-around window in the same VMA for reading (the missing
 * pages alone if the window cannot be mapped); then the rest of the huge
 * page the miss landed in, so that one fault maps a THP or hugetlb page
 * whole.  Write faults stay within the bytes that will be written:
 * breaking copy-on-write sharing or dirtying a file's page is for those.
 */
static int hodp_odp_fault_one(struct hodp_odp *odp, unsigned long addr, unsigned long len,
			      unsigned long write_end, u64 *mapped)
{
	struct mm_struct *mm = odp->notifier.mm;
	unsigned long lo = odp->start & PAGE_MASK, hi = PAGE_ALIGN(odp->end);
	unsigned long need_start = addr & PAGE_MASK, need_end = PAGE_ALIGN(addr + len);
	unsigned long around = hodp_odp_fault_around();
	struct hodp_odp_req win = {
		.start = max(ALIGN_DOWN(addr, around), lo),
		.end = min(ALIGN(addr + len, around), hi),
		.fault = true,
	};
	struct hodp_odp_req req = win;
	struct vm_area_struct *vma;
	unsigned int order = 0;
	unsigned long size;
	int err;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		win.start = max(win.start, vma->vm_start);
		/* A miss running past the VMA faults (and fails) there. */
		win.end = max(min(win.end, vma->vm_end), need_end);
	}
	mmap_read_unlock(mm);
	if (!vma)
		return -EFAULT;

	if (write_end) {
		req.start = need_start;
		req.end = clamp(PAGE_ALIGN(write_end), need_end, win.end);
		req.write = true;
		err = hodp_odp_fault_pages(odp, &req, mapped, &order, addr);
		if (err && req.end != need_end) {
			req.end = need_end;
			err = hodp_odp_fault_pages(odp, &req, mapped, &order, addr);
		}
		if (err)
			return err;
	}
	/* Around the miss, for reading: what is written there stays as it is. */
	err = hodp_odp_fault_pages(odp, &win, mapped, write_end ? NULL : &order, addr);
	if (err && !write_end && (win.start != need_start || win.end != need_end)) {
		win.start = need_start;
		win.end = need_end;
		err = hodp_odp_fault_pages(odp, &win, mapped, &order, addr);
	}
	/* Written, the miss is mapped: the window was only a guess. */
	if ((err && !write_end) || !order)
		return write_end ? 0 : err;

	size = PAGE_SIZE << order;
	if (ALIGN_DOWN(addr, size) >= win.start && ALIGN(addr + 1, size) <= win.end)
		return 0;
	/*
	 * Present already: mapping the rest of the huge page costs no fault.
	 * Only an optimisation: the miss is mapped, whatever happens here (an
	 * munmap splitting the huge page, say) is not the fault's outcome.
	 */
	win.start = max(ALIGN_DOWN(addr, size), lo);
	win.end = min(ALIGN(addr + 1, size), hi);
	hodp_odp_fault_pages(odp, &win, mapped, NULL, 0);
	return 0;
}

s64 hodp_odp_map(struct hodp_mr *mr, unsigned long addr, u64 len, u64 write_len, bool exact,
		 bool snapshot)
{
	unsigned long end = addr + len, write_end = write_len ? addr + write_len : 0;
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
		atomic_inc(&odp->filling);
		if (!exact) {
			err = hodp_odp_fault_one(odp, addr, stop - addr,
						 write_end ? min(write_end, odp->end) : 0, &mapped);
		} else {
			/* Prefetch: the range itself, a bounded batch of pages at a time. */
			while (addr < stop && !err) {
				unsigned long next = min(stop, ALIGN(addr + 1, SZ_2M));
				struct hodp_odp_req req = {
					.start = addr & PAGE_MASK,
					.end = PAGE_ALIGN(next),
					.fault = !snapshot,
					.write = write_len,
				};

				err = hodp_odp_fault_pages(odp, &req, &mapped, NULL, 0);
				addr = next;
				cond_resched();
			}
		}
		/* The last user gone meanwhile: its teardown is not this fault's to do. */
		mmput_async(mm);
		/* A child made for a hole, or emptied meanwhile, is not kept. */
		if (atomic_dec_and_test(&odp->filling) && odp->is_child && !READ_ONCE(odp->npages))
			hodp_implicit_child_retire(odp);
		hodp_odp_put(odp);
		addr = stop;
	}
	return err ?: mapped;
}

/*
 * Faults running at once: per device, and per owner so that one process
 * whose faults never end (a FUSE server that does not answer) holds a few
 * of the device's slots, not all of them.
 */
#define HODP_ODP_RUNNING_MAX		32
#define HODP_ODP_RUNNING_PER_OWNER	8

/* A fault in flight, from its stream's miss until its worker is done. */
struct hodp_odp_fault {
	struct work_struct work;
	struct list_head node;		/* on its owner's queue until started */
	struct hodp_odp_dev *dev;
	struct hodp_odp_owner *owner;	/* referenced */
	struct hodp_mr *mr;		/* hodp_odp_hold() */
	/* The stream waiting, NULL once it gave up; guarded by dev->lock. */
	struct hodp_odp_wait *w;
	u64 iova;
	u32 len;
	u64 write_len;
	u32 qpn;
	bool started;			/* under dev->lock */
};

static void hodp_odp_owner_init(struct hodp_odp_owner *owner, struct hodp_odp_dev *dev)
{
	refcount_set(&owner->refs, 1);
	owner->dev = dev;
	INIT_LIST_HEAD(&owner->queued);
	INIT_LIST_HEAD(&owner->ready);
}

struct hodp_odp_owner *hodp_odp_owner_get(struct hodp_odp_dev *dev, struct mm_struct *mm)
{
	struct hodp_odp_owner *owner;

	mutex_lock(&dev->owners_lock);
	list_for_each_entry(owner, &dev->owners, node) {
		if (owner->mm == mm && refcount_inc_not_zero(&owner->refs))
			goto out;
	}
	owner = kzalloc_obj(*owner);
	if (owner) {
		hodp_odp_owner_init(owner, dev);
		owner->mm = mm;
		mmgrab(mm);
		list_add(&owner->node, &dev->owners);
	}
out:
	mutex_unlock(&dev->owners_lock);
	return owner;
}

void hodp_odp_owner_put(struct hodp_odp_owner *owner)
{
	struct hodp_odp_dev *dev = owner->dev;

	/* The kernel owner keeps the device's reference: never here. */
	if (!refcount_dec_and_mutex_lock(&owner->refs, &dev->owners_lock))
		return;
	list_del(&owner->node);
	mutex_unlock(&dev->owners_lock);
	mmdrop(owner->mm);
	kfree(owner);
}

/* @owner takes its turn at the tail if it has faults queued and room.  Under dev->lock. */
static void hodp_odp_owner_ready(struct hodp_odp_dev *dev, struct hodp_odp_owner *owner)
{
	if (!list_empty(&owner->queued) && owner->running < HODP_ODP_RUNNING_PER_OWNER &&
	    list_empty(&owner->ready))
		list_add_tail(&owner->ready, &dev->ready);
}

/* Start queued faults while there is room, taking owners in turn.  Under dev->lock. */
static void hodp_odp_dispatch(struct hodp_odp_dev *dev)
{
	while (dev->running < HODP_ODP_RUNNING_MAX && !list_empty(&dev->ready)) {
		struct hodp_odp_owner *owner = list_first_entry(&dev->ready,
								struct hodp_odp_owner, ready);
		struct hodp_odp_fault *f = list_first_entry(&owner->queued,
							    struct hodp_odp_fault, node);

		list_del_init(&f->node);
		f->started = true;
		dev->running++;
		owner->running++;
		list_del_init(&owner->ready);
		hodp_odp_owner_ready(dev, owner);
		queue_work(hodp_odp_wq, &f->work);
	}
}

static void hodp_odp_fault_free(struct hodp_odp_fault *f)
{
	hodp_odp_owner_put(f->owner);
	hodp_odp_drop(f->mr);		/* may free the MR: last */
	kfree(f);
}

static void hodp_odp_fault_work(struct work_struct *work)
{
	struct hodp_odp_fault *f = container_of(work, struct hodp_odp_fault, work);
	struct hodp_odp_dev *dev = f->dev;
	struct hodp_odp_owner *owner = f->owner;
	struct hodp_odp_wait *w;
	ktime_t t0 = ktime_get();
	s64 mapped;
	int err;

	mapped = hodp_odp_map(f->mr, hodp_odp_addr(f->mr, f->iova), f->len, f->write_len, false,
			      false);
	err = mapped < 0 ? mapped : 0;
	trace_hodp_odp_fault_done(f->qpn, f->mr->ibmr.lkey, f->iova, err ? 0 : mapped, err,
				  ktime_to_ns(ktime_sub(ktime_get(), t0)));
	if (!err) {
		hodp_odp_count(f->mr, HODP_ODP_FAULTS_HANDLED, 1);
		hodp_odp_count(f->mr, HODP_ODP_PAGES_MAPPED, mapped);
	}

	spin_lock(&dev->lock);
	w = f->w;
	if (w) {
		if (err) {
			w->result = err;
			w->failed_key = f->mr->ibmr.lkey;
			w->failed_iova = f->iova;
			w->failed_len = f->len;
		}
		w->fault = NULL;
		/* The engine sees the outcome above once it sees the wait is over. */
		smp_store_release(&w->pending, false);
		w->done(w);
	}
	dev->running--;
	owner->running--;
	hodp_odp_owner_ready(dev, owner);
	hodp_odp_dispatch(dev);
	spin_unlock(&dev->lock);
	hodp_odp_fault_free(f);
}

bool hodp_odp_waiting(struct hodp_odp_wait *w)
{
	/* Pairs with the worker's release: its outcome is visible once this reads false. */
	return smp_load_acquire(&w->pending);
}

void hodp_odp_wait_init(struct hodp_odp_wait *w, void (*done)(struct hodp_odp_wait *w))
{
	memset(w, 0, sizeof(*w));
	w->done = done;
}

int hodp_odp_park(struct hodp_odp_dev *dev, struct hodp_odp_owner *owner,
		  struct hodp_odp_wait *w, struct hodp_miss *miss, u32 qpn)
{
	struct hodp_mr *mr = miss->mr;
	struct hodp_odp_fault *f;

	if (w->result && w->failed_key == mr->ibmr.lkey && miss->iova >= w->failed_iova &&
	    miss->iova - w->failed_iova < w->failed_len) {
		w->result = 0;
		hodp_mr_put(mr);
		return -EACCES;
	}
	w->result = 0;
	f = kzalloc_obj(*f);
	if (!f) {
		hodp_mr_put(mr);
		return -ENOMEM;
	}
	INIT_WORK(&f->work, hodp_odp_fault_work);
	f->dev = dev;
	f->owner = owner;
	refcount_inc(&owner->refs);
	/* The fault keeps the MR's ODP state, not the MR: a dereg does not wait for it. */
	f->mr = mr;
	hodp_odp_hold(mr);
	hodp_mr_put(mr);
	f->iova = miss->iova;
	f->len = miss->len;
	f->write_len = miss->write_len;
	f->qpn = qpn;
	f->w = w;
	hodp_odp_count(mr, HODP_ODP_FAULTS, 1);
	trace_hodp_odp_fault(qpn, mr->ibmr.lkey, miss->iova, miss->len, miss->write_len);

	spin_lock(&dev->lock);
	/* One fault per stream: the engine parks a stream only once at a time. */
	WARN_ON_ONCE(w->fault);
	w->fault = f;
	WRITE_ONCE(w->pending, true);
	list_add_tail(&f->node, &owner->queued);
	hodp_odp_owner_ready(dev, owner);
	hodp_odp_dispatch(dev);
	spin_unlock(&dev->lock);
	return -EAGAIN;
}

void hodp_odp_wait_reset(struct hodp_odp_dev *dev, struct hodp_odp_wait *w)
{
	struct hodp_odp_fault *f;

	spin_lock(&dev->lock);
	f = w->fault;
	if (f) {
		/* Running, it ends on its own (possibly much later) and tells no one. */
		f->w = NULL;
		w->fault = NULL;
		if (!f->started) {
			list_del(&f->node);
			if (list_empty(&f->owner->queued))
				list_del_init(&f->owner->ready);
		} else {
			f = NULL;
		}
	}
	WRITE_ONCE(w->pending, false);
	w->result = 0;
	spin_unlock(&dev->lock);
	if (f)
		hodp_odp_fault_free(f);
}

void hodp_odp_dev_init(struct hodp_odp_dev *dev)
{
	spin_lock_init(&dev->lock);
	INIT_LIST_HEAD(&dev->ready);
	hodp_odp_owner_init(&dev->kernel_owner, dev);
	mutex_init(&dev->owners_lock);
	INIT_LIST_HEAD(&dev->owners);
	atomic_set(&dev->mrs, 0);
}

void hodp_odp_dev_fini(struct hodp_odp_dev *dev)
{
	/* Faults and prefetches hold their MR: none is left once every MR is gone. */
	wait_var_event(&dev->mrs, !atomic_read(&dev->mrs));
	mutex_destroy(&dev->owners_lock);
}

bool hodp_odp_queue(enum hodp_odp_queue q, struct work_struct *work)
{
	return queue_work(q == HODP_ODP_PREFETCH ? hodp_prefetch_wq : hodp_retire_wq, work);
}

int hodp_odp_wq_init(void)
{
	/* Faults may be what reclaim waits on, like the engine. */
	hodp_odp_wq = alloc_workqueue("hodp_odp", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	/* Advice stuck on a file server holds up advice only, a few at a time. */
	hodp_prefetch_wq = alloc_workqueue("hodp_prefetch", WQ_UNBOUND, HODP_ODP_RUNNING_PER_OWNER);
	/* A release (in a fault or a prefetch) waits for these: never behind either. */
	hodp_retire_wq = alloc_workqueue("hodp_retire", WQ_UNBOUND, 0);
	if (hodp_odp_wq && hodp_prefetch_wq && hodp_retire_wq)
		return 0;
	hodp_odp_wq_exit();
	return -ENOMEM;
}

void hodp_odp_wq_exit(void)
{
	/* Each is flushed: no work runs module code once this returns. */
	if (hodp_odp_wq)
		destroy_workqueue(hodp_odp_wq);
	if (hodp_prefetch_wq)
		destroy_workqueue(hodp_prefetch_wq);
	if (hodp_retire_wq)
		destroy_workqueue(hodp_retire_wq);
}
