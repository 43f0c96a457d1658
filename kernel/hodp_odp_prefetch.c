// SPDX-License-Identifier: GPL-2.0
/*
 * ibv_advise_mr(): prefetch ranges of ODP MRs into their tables, for reading
 * (PREFETCH), for writing (PREFETCH_WRITE, which breaks copy-on-write
 * sharing now rather than at the first inbound write), or as a snapshot of
 * what is present already (PREFETCH_NO_FAULT).  With
 * IB_UVERBS_ADVISE_MR_FLAG_FLUSH the call returns once the pages are
 * mapped; otherwise the work is queued and the call returns at once.
 * Errors follow mlx5: an unknown key -ENOENT, a key that is not an ODP MR
 * -EINVAL, another PD's MR or writing to a read-only one -EPERM, a range
 * outside the MR -EFAULT (for a synchronous prefetch).
 */
#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_odp_priv.h"

struct hodp_prefetch {
	struct work_struct work;
	enum ib_uverbs_advise_mr_advice advice;
	u32 num_sge;
	struct {
		struct hodp_mr *mr;
		u64 addr;
		u32 length;
	} sge[] __counted_by(num_sge);
};

static struct hodp_mr *hodp_prefetch_mr_get(struct ib_pd *pd,
					    enum ib_uverbs_advise_mr_advice advice, u32 lkey)
{
	struct hodp_dev *hdev = to_hdev(pd->device);
	struct hodp_mr *mr;
	void *entry;

	rcu_read_lock();
	entry = xa_load(&hdev->key_xa, lkey >> 8);
	mr = entry && !xa_pointer_tag(entry) ? entry : NULL;
	if (mr && (mr->ibmr.lkey != lkey || !refcount_inc_not_zero(&mr->refs)))
		mr = NULL;
	rcu_read_unlock();
	if (!mr)
		return ERR_PTR(entry ? -EINVAL : -ENOENT);

	if (mr->type != HODP_MR_ODP && mr->type != HODP_MR_IMPLICIT) {
		hodp_mr_put(mr);
		return ERR_PTR(-EINVAL);
	}
	if (READ_ONCE(mr->ibmr.pd) != pd ||
	    (advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	     !(READ_ONCE(mr->access) & IB_ACCESS_LOCAL_WRITE))) {
		hodp_mr_put(mr);
		return ERR_PTR(-EPERM);
	}
	return mr;
}

static s64 hodp_prefetch_one(struct hodp_mr *mr, enum ib_uverbs_advise_mr_advice advice,
			     u64 addr, u32 length)
{
	bool write = advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE;
	s64 mapped;

	if (!length)
		return 0;
	if (!hodp_mr_covers(mr, addr, length))
		return -EFAULT;
	mapped = hodp_odp_map(mr, hodp_odp_addr(mr, addr), length, write ? length : 0, true,
			      advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT);
	if (mapped > 0)
		hodp_odp_count(mr, HODP_ODP_PREFETCHES, mapped);
	return mapped;
}

static void hodp_prefetch_work(struct work_struct *work)
{
	struct hodp_prefetch *pf = container_of(work, struct hodp_prefetch, work);
	u32 i;

	/* Advice, not an order: what cannot be mapped now is faulted later. */
	for (i = 0; i < pf->num_sge; i++) {
		hodp_prefetch_one(pf->sge[i].mr, pf->advice, pf->sge[i].addr, pf->sge[i].length);
		hodp_odp_drop(pf->sge[i].mr);
	}
	kvfree(pf);
}

int hodp_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice, u32 flags,
		   struct ib_sge *sg_list, u32 num_sge, struct uverbs_attr_bundle *attrs)
{
	struct hodp_prefetch *pf;
	struct hodp_mr *mr;
	u32 i;

	if (advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH &&
	    advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    advice != IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT)
		return -EOPNOTSUPP;

	if (flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH) {
		for (i = 0; i < num_sge; i++) {
			s64 ret;

			mr = hodp_prefetch_mr_get(pd, advice, sg_list[i].lkey);
			if (IS_ERR(mr))
				return PTR_ERR(mr);
			ret = hodp_prefetch_one(mr, advice, sg_list[i].addr, sg_list[i].length);
			hodp_mr_put(mr);
			if (ret < 0)
				return ret;
		}
		return 0;
	}

	pf = kvzalloc_flex(*pf, sge, num_sge);
	if (!pf)
		return -ENOMEM;
	INIT_WORK(&pf->work, hodp_prefetch_work);
	pf->advice = advice;
	pf->num_sge = num_sge;
	for (i = 0; i < num_sge; i++) {
		mr = hodp_prefetch_mr_get(pd, advice, sg_list[i].lkey);
		if (IS_ERR(mr)) {
			while (i--)
				hodp_odp_drop(pf->sge[i].mr);
			kvfree(pf);
			return PTR_ERR(mr);
		}
		/* Queued advice keeps the ODP state, not the registration. */
		hodp_odp_hold(mr);
		hodp_mr_put(mr);
		pf->sge[i].mr = mr;
		pf->sge[i].addr = sg_list[i].addr;
		pf->sge[i].length = sg_list[i].length;
	}
	hodp_odp_queue(HODP_ODP_PREFETCH, &pf->work);
	return 0;
}
