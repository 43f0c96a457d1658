// SPDX-License-Identifier: GPL-2.0
/*
 * Implicit ODP: one MR whose keys are valid for every user address.  It
 * has no notifier of its own; the address space is cut into spans, and a
 * span gets a child (an ODP range with its own notifier and table) on its
 * first fault or prefetch.  The data path finds children in an xarray
 * under RCU and holds a reference while it uses one.  A child is unlinked
 * once an unmap, or a fault or prefetch into a hole, leaves nothing of it
 * mapped, and freed when the last reference goes.  docs/odp.md says how
 * the span was chosen.
 */
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/wait_bit.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp_priv.h"

static unsigned int odp_implicit_span_mb = 1024;
module_param(odp_implicit_span_mb, uint, 0644);
MODULE_PARM_DESC(odp_implicit_span_mb,
		 "Address span of one implicit ODP child, in MiB (2 to 65536), for MRs registered after");

int hodp_implicit_init(struct hodp_mr *mr)
{
	unsigned long mb = clamp_t(unsigned long, READ_ONCE(odp_implicit_span_mb), 2, SZ_64K);
	struct hodp_implicit *imp;
	int err;

	if (!current->mm)
		return -EFAULT;
	err = hodp_odp_mr_alloc(mr);
	if (err)
		return err;
	imp = &mr->odp->imp;
	imp->span_shift = ilog2(mb) + 20;
	imp->mm = current->mm;
	mmgrab(imp->mm);
	mutex_init(&imp->lock);
	xa_init(&imp->children);
	atomic_set(&imp->alive, 0);
	return 0;
}

static void hodp_child_free(struct hodp_odp_child *child)
{
	struct hodp_mr *mr = child->odp.mr;
	atomic_t *alive = &mr->odp->imp.alive;

	if (!child->odp.stopped)
		hodp_odp_stop(&child->odp);
	hodp_odp_free_table(&child->odp);
	hodp_odp_count(mr, HODP_ODP_CHILDREN_FREED, 1);
	hodp_odp_count(mr, HODP_ODP_CHILDREN, -1);
	kfree_rcu(child, rcu);
	/*
	 * The parent waits for this in hodp_implicit_release() and may then
	 * free the MR and its ODP state: nothing of them is read after.
	 */
	if (atomic_dec_and_test(alive))
		wake_up_var(alive);
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
	struct hodp_implicit *imp = &child->odp.mr->odp->imp;
	bool unlink;

	mutex_lock(&imp->lock);
	/*
	 * Not while a fault or prefetch fills it: it would fill an orphan.
	 * One that leaves it empty retires it again.
	 */
	down_read(&child->odp.lock);
	unlink = !child->odp.npages && !atomic_read(&child->odp.filling) &&
		 xa_load(&imp->children, child->index) == child;
	up_read(&child->odp.lock);
	if (unlink)
		xa_erase(&imp->children, child->index);
	mutex_unlock(&imp->lock);
	if (unlink)
		hodp_implicit_child_put(child);	/* the xarray's reference */
	hodp_implicit_child_put(child);		/* this work's */
}

static void hodp_child_free_work(struct work_struct *work)
{
	hodp_child_free(container_of(work, struct hodp_odp_child, free_work));
}

void hodp_implicit_child_retire(struct hodp_odp *odp)
{
	struct hodp_odp_child *child = container_of(odp, struct hodp_odp_child, odp);

	/*
	 * Removing its notifier cannot happen inside its own callback: it waits
	 * for the invalidation this is part of.  A retirement already queued
	 * may run and drop its references before this drops its own, so even
	 * this put may be the last one: then the child is freed in a work.
	 */
	if (refcount_inc_not_zero(&child->refs) &&
	    !hodp_odp_queue(HODP_ODP_RETIRE, &child->retire_work) &&
	    refcount_dec_and_test(&child->refs))
		hodp_odp_queue(HODP_ODP_RETIRE, &child->free_work);
}

static struct hodp_odp_child *hodp_child_create(struct hodp_mr *mr, unsigned long index)
{
	struct hodp_implicit *imp = &mr->odp->imp;
	unsigned long start = index << imp->span_shift;
	/* The mm's own limit: a fault runs in a kworker, whose TASK_SIZE says nothing. */
	unsigned long end = min_t(unsigned long, start + (1UL << imp->span_shift),
				  imp->mm->task_size);
	struct hodp_odp_child *child;
	int err;

	if (start >= imp->mm->task_size)
		return ERR_PTR(-EFAULT);
	child = kzalloc_obj(*child);
	if (!child)
		return ERR_PTR(-ENOMEM);
	child->index = index;
	refcount_set(&child->refs, 1);
	INIT_WORK(&child->retire_work, hodp_child_retire_work);
	INIT_WORK(&child->free_work, hodp_child_free_work);
	child->odp.is_child = true;

	if (!mmget_not_zero(imp->mm)) {
		err = -EFAULT;
		goto err_free;
	}
	err = hodp_odp_range_init(&child->odp, mr, imp->mm, start, end);
	mmput_async(imp->mm);	/* imp->lock is held: no exit_mmap in here */
	if (err)
		goto err_free;
	err = xa_err(xa_store(&imp->children, index, child, GFP_KERNEL));
	if (err) {
		mmu_interval_notifier_remove(&child->odp.notifier);
		xa_destroy(&child->odp.chunks);
		goto err_free;
	}
	atomic_inc(&imp->alive);
	hodp_odp_count(mr, HODP_ODP_CHILDREN_CREATED, 1);
	hodp_odp_count(mr, HODP_ODP_CHILDREN, 1);
	return child;

err_free:
	kfree(child);
	return ERR_PTR(err);
}

struct hodp_odp *hodp_implicit_child_get(struct hodp_mr *mr, unsigned long addr, bool create)
{
	struct hodp_implicit *imp = &mr->odp->imp;
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

/*
 * The last hold on the MR is gone: no data path, fault or prefetch uses a
 * child any more.  What may still run is a child's retirement, queued by an
 * unmap (and queued again by the next one while the child has a notifier).
 */
void hodp_implicit_release(struct hodp_mr *mr)
{
	struct hodp_implicit *imp = &mr->odp->imp;
	struct hodp_odp_child *child;
	LIST_HEAD(children);
	unsigned long index;

	mutex_lock(&imp->lock);
	xa_for_each(&imp->children, index, child) {
		xa_erase(&imp->children, index);
		list_add_tail(&child->release_node, &children);
	}
	mutex_unlock(&imp->lock);

	while ((child = list_first_entry_or_null(&children, struct hodp_odp_child,
						 release_node))) {
		list_del(&child->release_node);
		/* No notifier, no retirement queued again; then none left pending. */
		hodp_odp_stop(&child->odp);
		if (cancel_work_sync(&child->retire_work))
			hodp_implicit_child_put(child);	/* the work's */
		hodp_implicit_child_put(child);		/* the xarray's */
	}
	/* Children a retirement unlinked before us are freed by it. */
	wait_var_event(&imp->alive, !atomic_read(&imp->alive));
	xa_destroy(&imp->children);
	mutex_destroy(&imp->lock);
	mmdrop(imp->mm);
}
