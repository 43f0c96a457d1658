// SPDX-License-Identifier: GPL-2.0
/*
 * Implicit ODP: one MR whose keys are valid for every user address.  It
 * has no notifier of its own; the address space is cut into spans, and a
 * span gets a child (an ODP range with its own notifier and table) on its
 * first fault or prefetch.  The data path finds children in an xarray
 * under RCU and holds a reference while it uses one.  A child is unlinked
 * once an unmap leaves nothing of it mapped, and freed when the last
 * reference goes.  docs/odp.md says how the span was chosen.
 */
#include <linux/sched/mm.h>
#include <linux/sizes.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp.h"

static unsigned int odp_implicit_span_mb = 1024;
module_param(odp_implicit_span_mb, uint, 0644);
MODULE_PARM_DESC(odp_implicit_span_mb,
		 "Address span of one implicit ODP child, in MiB (2 to 65536), for MRs registered after");

int hodp_implicit_init(struct hodp_mr *mr)
{
	struct hodp_implicit *imp = &mr->imp;
	unsigned long mb = clamp_t(unsigned long, READ_ONCE(odp_implicit_span_mb), 2, SZ_64K);

	if (!current->mm)
		return -EFAULT;
	imp->span_shift = ilog2(mb) + 20;
	imp->mm = current->mm;
	mmgrab(imp->mm);
	mutex_init(&imp->lock);
	xa_init(&imp->children);
	return 0;
}

static void hodp_child_free(struct hodp_odp_child *child)
{
	struct hodp_mr *mr = child->odp.mr;

	mmu_interval_notifier_remove(&child->odp.notifier);
	hodp_odp_teardown(&child->odp);
	hodp_odp_count(mr, HODP_ODP_CHILDREN_FREED, 1);
	hodp_odp_count(mr, HODP_ODP_CHILDREN, -1);
	kfree_rcu(child, rcu);
}

void hodp_implicit_child_put(struct hodp_odp_child *child)
{
	if (refcount_dec_and_test(&child->refs))
		hodp_child_free(child);
}

/* Unlink a child whose memory is all unmapped, unless a fault refilled it. */
static void hodp_child_retire_work(struct work_struct *work)
{
	struct hodp_odp_child *child = container_of(work, struct hodp_odp_child, retire_work);
	struct hodp_implicit *imp = &child->odp.mr->imp;
	bool unlink;

	mutex_lock(&imp->lock);
	mutex_lock(&child->odp.lock);
	unlink = !child->odp.npages && xa_load(&imp->children, child->index) == child;
	mutex_unlock(&child->odp.lock);
	if (unlink)
		xa_erase(&imp->children, child->index);
	mutex_unlock(&imp->lock);
	if (unlink)
		hodp_implicit_child_put(child);	/* the xarray's reference */
	hodp_implicit_child_put(child);		/* this work's */
}

void hodp_implicit_child_retire(struct hodp_odp *odp)
{
	struct hodp_odp_child *child = container_of(odp, struct hodp_odp_child, odp);

	/* Removing its notifier cannot happen inside its own callback. */
	if (refcount_inc_not_zero(&child->refs) && !hodp_odp_queue(&child->retire_work))
		hodp_implicit_child_put(child);
}

static struct hodp_odp_child *hodp_child_create(struct hodp_mr *mr, unsigned long index)
{
	struct hodp_implicit *imp = &mr->imp;
	unsigned long start = index << imp->span_shift;
	unsigned long end = min_t(unsigned long, start + (1UL << imp->span_shift), TASK_SIZE);
	struct hodp_odp_child *child;
	int err;

	if (start >= TASK_SIZE)
		return ERR_PTR(-EFAULT);
	child = kzalloc_obj(*child);
	if (!child)
		return ERR_PTR(-ENOMEM);
	child->index = index;
	refcount_set(&child->refs, 1);
	INIT_WORK(&child->retire_work, hodp_child_retire_work);
	child->odp.mr = mr;
	child->odp.start = start;
	child->odp.end = end;
	child->odp.is_child = true;
	mutex_init(&child->odp.lock);
	xa_init(&child->odp.chunks);

	if (!mmget_not_zero(imp->mm)) {
		err = -EFAULT;
		goto err_free;
	}
	err = mmu_interval_notifier_insert(&child->odp.notifier, imp->mm, start, end - start,
					   &hodp_odp_mni_ops);
	mmput(imp->mm);
	if (err)
		goto err_free;
	err = xa_err(xa_store(&imp->children, index, child, GFP_KERNEL));
	if (err) {
		mmu_interval_notifier_remove(&child->odp.notifier);
		goto err_free;
	}
	hodp_odp_count(mr, HODP_ODP_CHILDREN_CREATED, 1);
	hodp_odp_count(mr, HODP_ODP_CHILDREN, 1);
	return child;

err_free:
	xa_destroy(&child->odp.chunks);
	kfree(child);
	return ERR_PTR(err);
}

struct hodp_odp *hodp_implicit_child_get(struct hodp_mr *mr, unsigned long addr, bool create)
{
	struct hodp_implicit *imp = &mr->imp;
	unsigned long index = addr >> imp->span_shift;
	struct hodp_odp_child *child;

	rcu_read_lock();
	child = xa_load(&imp->children, index);
	if (child && !refcount_inc_not_zero(&child->refs))
		child = NULL;
	rcu_read_unlock();
	if (child || !create)
		return child ? &child->odp : NULL;

	/* Faults and prefetches only: they may sleep and allocate. */
	mutex_lock(&imp->lock);
	child = xa_load(&imp->children, index);
	if (!child) {
		child = hodp_child_create(mr, index);
		if (IS_ERR(child))
			child = NULL;
	}
	if (child)
		refcount_inc(&child->refs);
	mutex_unlock(&imp->lock);
	return child ? &child->odp : NULL;
}

/* Deregistration, after every user of the MR is gone. */
void hodp_implicit_release(struct hodp_mr *mr)
{
	struct hodp_implicit *imp = &mr->imp;
	struct hodp_odp_child *child;
	unsigned long index;

	mutex_lock(&imp->lock);
	xa_for_each(&imp->children, index, child) {
		xa_erase(&imp->children, index);
		hodp_implicit_child_put(child);
	}
	mutex_unlock(&imp->lock);
	/* Retirements queued by invalidations hold the last references. */
	hodp_odp_flush();
	xa_destroy(&imp->children);
	mutex_destroy(&imp->lock);
	mmdrop(imp->mm);
}
