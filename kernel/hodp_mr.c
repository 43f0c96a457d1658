// SPDX-License-Identifier: GPL-2.0
/*
 * Memory regions: DMA MRs for kernel users and pinned user MRs.  Keys index a
 * per-device xarray; the data path takes a reference under RCU, and
 * deregistration waits for those references before the pages are released.
 */
#include <linux/highmem.h>
#include <linux/random.h>
#include <linux/vmalloc.h>

#include "hodp.h"
#include "hodp_mr.h"
#include "hodp_mw.h"
#include "hodp_qp.h"

#define HODP_MR_ACCESS	(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | \
			 IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC | \
			 IB_ACCESS_MW_BIND | IB_ACCESS_FLUSH_GLOBAL | \
			 IB_ACCESS_ON_DEMAND | IB_ACCESS_HUGETLB | \
			 IB_ACCESS_RELAXED_ORDERING)

/* A key is an index in key_xa (24 bits) and a variant byte. */
#define HODP_KEY_INDEX_MAX	(U32_MAX >> 8)

/*
 * A fresh key, reserved in key_xa (the object becomes visible when stored):
 * the index is the first free one after a random point of the whole 24-bit
 * space, and the variant byte random, so that a peer guessing rkeys tries
 * about 2^32 values rather than 256 per live index, and a stale key does
 * not reach a new object.  HODP_MAX_MR of them at most.
 */
int hodp_key_alloc(struct hodp_dev *hdev, u32 *key)
{
	u32 start = get_random_u32_inclusive(1, HODP_KEY_INDEX_MAX), index;
	int err;

	if (atomic_inc_return(&hdev->keys) > HODP_MAX_MR) {
		err = -ENOMEM;
		goto err_count;
	}
	err = xa_alloc(&hdev->key_xa, &index, NULL, XA_LIMIT(start, HODP_KEY_INDEX_MAX),
		       GFP_KERNEL_ACCOUNT);
	if (err == -EBUSY)
		err = xa_alloc(&hdev->key_xa, &index, NULL, XA_LIMIT(1, HODP_KEY_INDEX_MAX),
			       GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_count;
	*key = index << 8 | (get_random_u32() & 0xff);
	return 0;

err_count:
	atomic_dec(&hdev->keys);
	return err == -EBUSY ? -ENOMEM : err;
}

void hodp_key_free(struct hodp_dev *hdev, u32 key)
{
	xa_erase(&hdev->key_xa, key >> 8);
	atomic_dec(&hdev->keys);
}

static struct hodp_mr *hodp_mr_alloc(struct hodp_dev *hdev, int access)
{
	struct hodp_mr *mr;
	int err;

	mr = kzalloc_obj(*mr);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	err = hodp_key_alloc(hdev, &mr->ibmr.lkey);
	if (err) {
		kfree(mr);
		return ERR_PTR(err);
	}
	mr->ibmr.rkey = mr->ibmr.lkey;
	/* Set by the core after registration; ODP accounting needs it before. */
	mr->ibmr.device = &hdev->ib_dev;
	mr->access = access;
	spin_lock_init(&mr->bind_lock);
	refcount_set(&mr->refs, 1);
	init_completion(&mr->released);
	return mr;
}

static void hodp_mr_publish(struct hodp_dev *hdev, struct hodp_mr *mr)
{
	xa_store(&hdev->key_xa, mr->ibmr.lkey >> 8, mr, GFP_KERNEL);
}

/* Unpublish, wait for data-path users, release the memory; frees @mr (ODP: soon). */
static void hodp_mr_destroy(struct hodp_dev *hdev, struct hodp_mr *mr)
{
	hodp_key_free(hdev, mr->ibmr.lkey);
	hodp_mr_put(mr);
	wait_for_completion(&mr->released);
	if (mr->type == HODP_MR_ODP || mr->type == HODP_MR_IMPLICIT) {
		hodp_odp_drop(mr);	/* the registration's hold */
		return;
	}
	kvfree(mr->pages);
	ib_umem_release(mr->umem);
	kfree_rcu(mr, rcu);
}

struct ib_mr *hodp_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct hodp_dev *hdev = to_hdev(ibpd->device);
	struct hodp_mr *mr;

	mr = hodp_mr_alloc(hdev, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->type = HODP_MR_DMA;
	mr->length = U64_MAX;
	hodp_mr_publish(hdev, mr);
	return &mr->ibmr;
}

static int hodp_mr_pin(struct hodp_dev *hdev, struct hodp_mr *mr, u64 start, u64 length,
		       u64 iova, int access)
{
	struct sg_page_iter iter;
	struct ib_umem *umem;
	size_t n = 0;

	umem = ib_umem_get_va(&hdev->ib_dev, start, length, access);
	if (IS_ERR(umem))
		return PTR_ERR(umem);

	mr->pages = kvmalloc_array(ib_umem_num_pages(umem), sizeof(*mr->pages), GFP_KERNEL_ACCOUNT);
	if (!mr->pages) {
		ib_umem_release(umem);
		return -ENOMEM;
	}
	for_each_sgtable_page(&umem->sgt_append.sgt, &iter, 0)
		mr->pages[n++] = sg_page_iter_page(&iter);

	mr->umem = umem;
	mr->type = HODP_MR_USER;
	mr->iova = iova;
	mr->length = length;
	mr->offset = ib_umem_offset(umem);
	return 0;
}

static struct ib_mr *hodp_reg_mr(struct ib_pd *ibpd, u64 start, u64 length, u64 iova,
				 int access, struct ib_dmah *dmah, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibpd->device);
	struct hodp_mr *mr;
	int err;

	if (dmah)
		return ERR_PTR(-EOPNOTSUPP);
	if (access & ~HODP_MR_ACCESS)
		return ERR_PTR(-EOPNOTSUPP);
	if (!length || iova + length < iova)
		return ERR_PTR(-EINVAL);
	/* Offsets within pages differ: the engine addresses pages by iova. */
	if ((start ^ iova) & ~PAGE_MASK)
		return ERR_PTR(-EINVAL);

	/* The whole address space: implicit ODP, and only that. */
	if (length == U64_MAX && (!(access & IB_ACCESS_ON_DEMAND) || start || iova))
		return ERR_PTR(-EINVAL);

	mr = hodp_mr_alloc(hdev, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);

	if (length == U64_MAX) {
		mr->type = HODP_MR_IMPLICIT;
		mr->length = U64_MAX;
		err = hodp_implicit_init(mr);
	} else if (access & IB_ACCESS_ON_DEMAND) {
		mr->type = HODP_MR_ODP;
		mr->iova = iova;
		mr->length = length;
		err = hodp_odp_init(mr, start, length);
	} else {
		err = hodp_mr_pin(hdev, mr, start, length, iova, access);
	}
	if (err) {
		hodp_key_free(hdev, mr->ibmr.lkey);
		kfree(mr);
		return ERR_PTR(err);
	}
	mr->ibmr.page_size = PAGE_SIZE;
	hodp_mr_publish(hdev, mr);
	return &mr->ibmr;
}

struct ib_mr *hodp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length, u64 iova,
			       int access, HODP_DMAH_PARAM struct ib_udata *udata)
{
	return hodp_reg_mr(ibpd, start, length, iova, access, HODP_DMAH_ARG udata);
}

/* Stop new binds; fails while memory windows are bound to @mr. */
static int hodp_mr_freeze(struct hodp_mr *mr, bool freeze)
{
	int err = 0;

	spin_lock(&mr->bind_lock);
	if (mr->num_mw)
		err = -EBUSY;
	else
		mr->dying = freeze;
	spin_unlock(&mr->bind_lock);
	return err;
}

/*
 * A new translation means a new MR (the core swaps it in and deregisters the
 * old one), so the data path never sees pages change under a key.  PD and
 * access changes alone are made in place, except write access to pages
 * pinned for reading only: those are pinned again for writing, which fails
 * as registration would where the user may not write (a file opened
 * read-only), rather than letting RDMA store into them.
 */
struct ib_mr *hodp_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start, u64 length,
				 u64 iova, int access, struct ib_pd *ibpd,
				 struct ib_udata *udata)
{
	struct hodp_mr *mr = to_hmr(ibmr);
	int err;

	if (mr->type == HODP_MR_DMA || mr->type == HODP_MR_IMPLICIT)
		return ERR_PTR(-EINVAL);
	err = hodp_mr_freeze(mr, false);
	if (err)
		return ERR_PTR(err);
	if (flags & IB_MR_REREG_TRANS)
		return hodp_reg_mr(flags & IB_MR_REREG_PD ? ibpd : ibmr->pd, start, length,
				   iova, flags & IB_MR_REREG_ACCESS ? access : mr->access, NULL,
				   udata);
	if (flags & IB_MR_REREG_ACCESS) {
		if (access & ~HODP_MR_ACCESS)
			return ERR_PTR(-EOPNOTSUPP);
		/* Pinned and on-demand differ in translation: only a new one changes that. */
		if ((access ^ mr->access) & IB_ACCESS_ON_DEMAND)
			return ERR_PTR(-EINVAL);
		if (mr->umem && !mr->umem->writable && ib_access_writable(access))
			return hodp_reg_mr(flags & IB_MR_REREG_PD ? ibpd : ibmr->pd,
					   mr->umem->address, mr->umem->length, mr->iova,
					   access, NULL, udata);
		WRITE_ONCE(mr->access, access);
	}
	if (flags & IB_MR_REREG_PD)
		WRITE_ONCE(ibmr->pd, ibpd);
	return NULL;
}

int hodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct hodp_mr *mr = to_hmr(ibmr);
	int err;

	err = hodp_mr_freeze(mr, true);
	if (err)
		return err;
	hodp_mr_destroy(to_hdev(ibmr->device), mr);
	return 0;
}

bool hodp_mr_covers(struct hodp_mr *mr, u64 iova, u64 len)
{
	return mr->type == HODP_MR_DMA || mr->type == HODP_MR_IMPLICIT ||
	       (iova >= mr->iova && len <= mr->length && iova - mr->iova <= mr->length - len);
}

/* A reference on the MR behind @key, if it is an MR that @pd may use with @access. */
static struct hodp_mr *hodp_mr_lookup(struct hodp_dev *hdev, u32 key, bool remote,
				      struct ib_pd *pd, int access)
{
	struct hodp_mr *mr;
	void *entry;

	rcu_read_lock();
	entry = xa_load(&hdev->key_xa, key >> 8);
	mr = entry && !xa_pointer_tag(entry) ? entry : NULL;
	if (mr && !refcount_inc_not_zero(&mr->refs))
		mr = NULL;
	rcu_read_unlock();
	if (!mr)
		return NULL;

	if ((remote ? mr->ibmr.rkey : mr->ibmr.lkey) != key || READ_ONCE(mr->ibmr.pd) != pd ||
	    (READ_ONCE(mr->access) & access) != access) {
		hodp_mr_put(mr);
		return NULL;
	}
	return mr;
}

struct hodp_mr *hodp_mr_get(struct hodp_dev *hdev, u32 key, struct ib_pd *pd, u64 iova,
			    u64 len, int access)
{
	struct hodp_mr *mr = hodp_mr_lookup(hdev, key, false, pd, access);

	if (mr && !hodp_mr_covers(mr, iova, len)) {
		hodp_mr_put(mr);
		return NULL;
	}
	return mr;
}

struct hodp_mr *hodp_rkey_get(struct hodp_qp *qp, struct ib_pd *pd, u32 rkey, u64 iova,
			      u64 len, int access)
{
	struct hodp_dev *hdev = qp->hdev;
	struct hodp_mr *mr;
	void *entry;

	rcu_read_lock();
	entry = xa_load(&hdev->key_xa, rkey >> 8);
	if (entry && xa_pointer_tag(entry) == HODP_KEY_TAG_MW) {
		mr = hodp_mw_resolve(qp, pd, xa_untag_pointer(entry), rkey, iova, len, access);
		rcu_read_unlock();
		return mr;
	}
	rcu_read_unlock();

	mr = hodp_mr_lookup(hdev, rkey, true, pd, access);
	if (mr && len && !hodp_mr_covers(mr, iova, len)) {
		hodp_mr_put(mr);
		return NULL;
	}
	return mr;
}

void hodp_mr_put(struct hodp_mr *mr)
{
	if (refcount_dec_and_test(&mr->refs))
		complete(&mr->released);
}

int hodp_xfer(struct hodp_xfer *x, void *va, u32 len, enum hodp_copy_dir dir)
{
	if (x->piece)
		return x->piece(x, va, len, dir);
	if (dir == HODP_TO_MR)
		memcpy(va, x->buf, len);
	else
		memcpy(x->buf, va, len);
	x->buf += len;
	return 0;
}

int hodp_mr_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
		 enum hodp_copy_dir dir, struct hodp_miss *miss)
{
	u64 off;
	int err;

	if (mr->type == HODP_MR_ODP || mr->type == HODP_MR_IMPLICIT)
		return hodp_odp_copy(mr, iova, x, len, dir, miss);
	if (mr->type == HODP_MR_DMA)
		return hodp_xfer(x, (void *)(uintptr_t)iova, len, dir);

	off = iova - mr->iova + mr->offset;
	while (len) {
		unsigned long i = off >> PAGE_SHIFT, n;
		struct page *page = mr->pages[i];
		unsigned int pgoff = offset_in_page(off);
		u32 chunk = min_t(u32, len, PAGE_SIZE - pgoff);
		void *va;

		/* Pages that follow each other in memory (a huge page's) go in one call. */
		for (n = 1; hodp_kmap_spans_pages() && chunk < len &&
		     page_to_pfn(mr->pages[i + n]) == page_to_pfn(page) + n; n++)
			chunk = min_t(u32, len, chunk + PAGE_SIZE);
		va = kmap_local_page(page);
		err = hodp_xfer(x, va + pgoff, chunk, dir);
		kunmap_local(va);
		if (err)
			return err;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* A real CPU atomic: atomic against other QPs and against the CPU too. */
static u64 hodp_atomic_op(atomic64_t *target, enum hodp_atomic_op op, u64 compare_add, u64 swap)
{
	switch (op) {
	case HODP_ATOMIC_CMP_SWAP:
		return atomic64_cmpxchg(target, compare_add, swap);
	case HODP_ATOMIC_FETCH_ADD:
		return atomic64_fetch_add(compare_add, target);
	default:
		return atomic64_xchg(target, compare_add);
	}
}

int hodp_mr_atomic(struct hodp_mr *mr, u64 iova, enum hodp_atomic_op op, u64 compare_add,
		   u64 swap, u64 *orig, struct hodp_miss *miss)
{
	struct hodp_odp *locked;
	void *va;
	u64 off;

	if (mr->type == HODP_MR_ODP || mr->type == HODP_MR_IMPLICIT) {
		va = hodp_odp_lock_u64(mr, iova, &locked, miss);
		if (!va)
			return -EAGAIN;
		*orig = hodp_atomic_op(va, op, compare_add, swap);
		hodp_odp_unlock(locked, va);
		return 0;
	}
	if (mr->type == HODP_MR_DMA) {
		*orig = hodp_atomic_op((atomic64_t *)(uintptr_t)iova, op, compare_add, swap);
		return 0;
	}
	off = iova - mr->iova + mr->offset;
	va = kmap_local_page(mr->pages[off >> PAGE_SHIFT]);
	*orig = hodp_atomic_op(va + offset_in_page(off), op, compare_add, swap);
	kunmap_local(va);
	return 0;
}

int hodp_sge_copy(struct hodp_dev *hdev, struct ib_pd *pd, const struct hodp_sge *sge,
		  u32 num_sge, u32 offset, struct hodp_xfer *x, u32 len, u32 extent,
		  enum hodp_copy_dir dir, struct hodp_miss *miss)
{
	int access = dir == HODP_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u32 i;
	int err;

	for (i = 0; i < num_sge && len; i++) {
		struct hodp_mr *mr;
		u32 chunk;

		if (offset >= sge[i].length) {
			offset -= sge[i].length;
			continue;
		}
		chunk = min(len, sge[i].length - offset);
		mr = hodp_mr_get(hdev, sge[i].lkey, pd, sge[i].addr + offset, chunk, access);
		if (!mr)
			return -EACCES;
		err = hodp_mr_copy(mr, sge[i].addr + offset, x, chunk, dir, miss);
		hodp_mr_put(mr);
		if (err == -EAGAIN)
			hodp_miss_write_to(miss, sge[i].addr +
					   min_t(u64, sge[i].length, (u64)offset + extent));
		if (err)
			return err;
		len -= chunk;
		extent -= chunk;
		offset = 0;
	}
	return len ? -EMSGSIZE : 0;
}
