/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels hodp builds for (Debian's 6.12 LTS to
 * 7.3), keyed on what the kernel's headers provide: Kbuild greps them and
 * defines HODP_HAVE_* for each feature found.  Newer kernels need nothing
 * here; every older one gets the newer name or a fallback.  Included
 * through hodp.h by every file.
 */
#ifndef HODP_COMPAT_H
#define HODP_COMPAT_H

#include <linux/hmm.h>
#include <linux/mmap_lock.h>
#include <linux/netdevice.h>
#include <linux/oom.h>
#include <linux/timer.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>

/* timer_container_of() (6.16) was from_timer(). */
#ifndef HODP_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, timer, field)	from_timer(var, timer, field)
#endif

/* A RoCE port's state from its netdev (6.13). */
#ifndef HODP_HAVE_CURR_PORT_STATE
static inline enum ib_port_state ib_get_curr_port_state(struct net_device *ndev)
{
	return netif_running(ndev) && netif_carrier_ok(ndev) ? IB_PORT_ACTIVE : IB_PORT_DOWN;
}
#endif

/* ib_umem_get_va() (7.0) was ib_umem_get(). */
#ifndef HODP_HAVE_UMEM_GET_VA
#define ib_umem_get_va(dev, addr, size, access)	ib_umem_get(dev, addr, size, access)
#endif

/*
 * ODP of FLUSH and ATOMIC WRITE, on kernels that do not name the bits:
 * uverbs hands the per-transport ODP caps to userspace as they are, and the
 * bits' values are its ABI (rdma-core's IBV_ODP_SUPPORT_FLUSH and _ATOMIC_WRITE).
 */
#ifndef HODP_HAVE_ODP_FLUSH
#define IB_ODP_SUPPORT_FLUSH		BIT(6)
#define IB_ODP_SUPPORT_ATOMIC_WRITE	BIT(7)
#endif

/*
 * reg_user_mr() takes a DMA handle (6.17), which a device without DMA
 * refuses: the op's parameter, and what it passes on (NULL before).
 */
#ifdef HODP_HAVE_DMAH
#define HODP_DMAH_PARAM			struct ib_dmah *dmah,
#define HODP_DMAH_ARG			dmah,
#else
struct ib_dmah;
#define HODP_DMAH_PARAM
#define HODP_DMAH_ARG			NULL,
#endif

/* Resizing a user CQ is its own op (7.0), with an unsigned size. */
#ifdef HODP_HAVE_RESIZE_USER_CQ
#define HODP_RESIZE_CQ_OP		resize_user_cq
#define HODP_CQE_T			unsigned int
#else
#define HODP_RESIZE_CQ_OP		resize_cq
#define HODP_CQE_T			int
#endif

/*
 * hmm_range_fault_unlocked_timeout() (7.0) lets a fault drop the mmap lock
 * while it waits (a FUSE read, userfaultfd); before it, HMM faults with the
 * lock held throughout, and a file whose server does not answer would hold
 * off every munmap() of the process.  So the pages HMM would fault are
 * faulted first with fixup_user_fault(), which lets the fault handler drop
 * the lock while it waits; HMM then finds them present, and faults, lock
 * held, only what changed in between.
 */
#if defined(HODP_ODP) && !defined(HODP_HAVE_HMM_UNLOCKED)
static inline void hodp_hmm_prefault(struct hmm_range *range)
{
	struct mm_struct *mm = range->notifier->mm;
	bool write = range->default_flags & HMM_PFN_REQ_WRITE;
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	struct hmm_range snap = *range;
	unsigned long pfn;
	bool unlocked;

	/* What is mapped already, faulting nothing. */
	snap.default_flags = 0;
	snap.pfn_flags_mask = 0;
	snap.notifier_seq = mmu_interval_read_begin(snap.notifier);
	if (mmap_read_lock_killable(mm))
		return;
	if (check_stable_address_space(mm) || hmm_range_fault(&snap))
		goto out;
	for (i = 0; i < n && !fatal_signal_pending(current); i++) {
		pfn = range->hmm_pfns[i];
		if ((pfn & HMM_PFN_VALID) && (!write || (pfn & HMM_PFN_WRITE)))
			continue;
		/* Errors are HMM's to report: it walks again. */
		fixup_user_fault(mm, range->start + (i << PAGE_SHIFT),
				 write ? FAULT_FLAG_WRITE : 0, &unlocked);
	}
out:
	mmap_read_unlock(mm);
}

static inline int hmm_range_fault_unlocked_timeout(struct hmm_range *range,
						   unsigned long timeout)
{
	struct mm_struct *mm = range->notifier->mm;
	unsigned long deadline = jiffies + timeout;
	int ret;

	if (range->default_flags & HMM_PFN_REQ_FAULT)
		hodp_hmm_prefault(range);
	do {
		if (timeout && time_after(jiffies, deadline))
			return -EBUSY;
		range->notifier_seq = mmu_interval_read_begin(range->notifier);
		ret = mmap_read_lock_killable(mm);
		if (ret)
			return ret;
		ret = check_stable_address_space(mm) ? -EFAULT : hmm_range_fault(range);
		mmap_read_unlock(mm);
	} while (ret == -EBUSY);
	return ret;
}
#endif

#endif /* HODP_COMPAT_H */
