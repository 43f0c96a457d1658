/* SPDX-License-Identifier: GPL-2.0 */
/* Memory regions and the data path's access to them. */
#ifndef HODP_MR_H
#define HODP_MR_H

#include <linux/completion.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <rdma/ib_umem.h>
#include <rdma/hodp-abi.h>

struct hodp_dev;

enum hodp_mr_type {
	HODP_MR_DMA,		/* kernel virtual addresses, any length */
	HODP_MR_USER,		/* pinned user pages */
};

struct hodp_mr {
	struct ib_mr ibmr;
	enum hodp_mr_type type;
	int access;		/* IB_ACCESS_* */
	u64 iova;
	u64 length;
	struct ib_umem *umem;
	struct page **pages;	/* HODP_MR_USER: the pinned pages in order */
	unsigned int offset;	/* of iova within pages[0] */
	/* Data-path users; dereg waits for them to drain. */
	refcount_t refs;
	struct completion released;
	struct rcu_head rcu;
};

static inline struct hodp_mr *to_hmr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct hodp_mr, ibmr);
}

struct ib_mr *hodp_get_dma_mr(struct ib_pd *ibpd, int access);
struct ib_mr *hodp_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length, u64 iova,
			       int access, struct ib_dmah *dmah, struct ib_udata *udata);
struct ib_mr *hodp_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start, u64 length,
				 u64 iova, int access, struct ib_pd *ibpd,
				 struct ib_udata *udata);
int hodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);

/*
 * Data path.  hodp_mr_get() looks a key up and checks that it is valid in @pd
 * with @access (0 for local reads) over [iova, iova + len); the caller drops
 * the reference with hodp_mr_put().
 */
struct hodp_mr *hodp_mr_get(struct hodp_dev *hdev, u32 key, bool remote, struct ib_pd *pd,
			    u64 iova, u64 len, int access);
void hodp_mr_put(struct hodp_mr *mr);

enum hodp_copy_dir {
	HODP_TO_MR,
	HODP_FROM_MR,
};

void hodp_mr_copy(struct hodp_mr *mr, u64 iova, void *buf, u32 len, enum hodp_copy_dir dir);
/*
 * Compare-and-swap or fetch-and-add on the 8-byte aligned u64 at @iova;
 * returns the original value.
 */
u64 hodp_mr_atomic(struct hodp_mr *mr, u64 iova, bool cmp_swap, u64 compare_add, u64 swap);

/*
 * Copy between @buf and bytes [@offset, @offset + @len) of a scatter/gather
 * list, each SGE checked against its lkey in @pd with @access.  Returns
 * -EACCES on a bad key or range, -EMSGSIZE when the list is too short.
 */
int hodp_sge_copy(struct hodp_dev *hdev, struct ib_pd *pd, const struct hodp_sge *sge,
		  u32 num_sge, u32 offset, void *buf, u32 len, enum hodp_copy_dir dir);

#endif /* HODP_MR_H */
