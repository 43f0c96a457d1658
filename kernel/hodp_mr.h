/* SPDX-License-Identifier: GPL-2.0 */
/* Memory regions and the data path's access to them. */
#ifndef HODP_MR_H
#define HODP_MR_H

#include <linux/completion.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <rdma/ib_umem.h>
#include <rdma/hodp-abi.h>

#include "hodp_compat.h"
#include "hodp_odp.h"

struct hodp_dev;
struct hodp_qp;

enum hodp_mr_type {
	HODP_MR_DMA,		/* kernel virtual addresses, any length */
	HODP_MR_USER,		/* pinned user pages */
	HODP_MR_ODP,		/* user pages on demand (hodp_odp.h) */
	HODP_MR_IMPLICIT,	/* the whole address space on demand */
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
	struct hodp_odp_mr *odp;	/* HODP_MR_ODP, HODP_MR_IMPLICIT: the ODP layer's */
	/* Memory windows bound to this MR keep it registered. */
	spinlock_t bind_lock;
	u32 num_mw;
	bool dying;		/* deregistration has begun: no new binds */
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
			       int access, HODP_DMAH_PARAM struct ib_udata *udata);
struct ib_mr *hodp_rereg_user_mr(struct ib_mr *ibmr, int flags, u64 start, u64 length,
				 u64 iova, int access, struct ib_pd *ibpd,
				 struct ib_udata *udata);
int hodp_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);

/*
 * Keys (MR lkeys and rkeys, MW rkeys) are an index into hdev->key_xa in the
 * upper 24 bits and a variant in the low byte.  Memory windows are stored
 * with this tag on their entry.
 */
#define HODP_KEY_TAG_MW		1

int hodp_key_alloc(struct hodp_dev *hdev, u32 *key);
void hodp_key_free(struct hodp_dev *hdev, u32 key);

/*
 * Data path.  hodp_mr_get() looks an lkey up and checks that it is valid in
 * @pd with @access (0 for local reads) over [iova, iova + len);
 * hodp_rkey_get() does the same for an rkey (of an MR or a memory window)
 * arriving at @qp for @pd (an XRC target's: the SRQ's), and checks no range
 * when @len is 0.  The caller drops the
 * reference with hodp_mr_put().
 */
struct hodp_mr *hodp_mr_get(struct hodp_dev *hdev, u32 key, struct ib_pd *pd, u64 iova,
			    u64 len, int access);
struct hodp_mr *hodp_rkey_get(struct hodp_qp *qp, struct ib_pd *pd, u32 rkey, u64 iova,
			      u64 len, int access);
bool hodp_mr_covers(struct hodp_mr *mr, u64 iova, u64 len);
void hodp_mr_put(struct hodp_mr *mr);

/*
 * Whether kmap_local_page() of a page maps the pages after it too (the
 * direct map, without highmem and without the debug option that maps each
 * page apart): then one copy may run over pages that follow each other.
 */
static inline bool hodp_kmap_spans_pages(void)
{
	return !IS_ENABLED(CONFIG_HIGHMEM) && !IS_ENABLED(CONFIG_DEBUG_KMAP_LOCAL_FORCE_MAP);
}

/*
 * The other end of a copy to or from an MR: a kernel buffer, or what the
 * caller's @piece makes of each piece of the MR's memory (the engine's
 * packets: hodp_pkt.h), handed over in order, each within one page and
 * mapped at @va.  @piece's error ends the copy.
 */
struct hodp_xfer {
	void *buf;
	int (*piece)(struct hodp_xfer *x, void *va, u32 len, enum hodp_copy_dir dir);
	void *ctx;
	u32 off;
};

#define HODP_XFER_BUF(p)	(&(struct hodp_xfer){ .buf = (p) })

/* Move @len bytes between @x and @va, kernel memory of an MR. */
int hodp_xfer(struct hodp_xfer *x, void *va, u32 len, enum hodp_copy_dir dir);

/*
 * Copy between @x and [iova, iova + len) of @mr, which the caller checked.
 * An ODP MR may lack a translation: -EAGAIN, with @miss saying where.
 */
int hodp_mr_copy(struct hodp_mr *mr, u64 iova, struct hodp_xfer *x, u32 len,
		 enum hodp_copy_dir dir, struct hodp_miss *miss);
enum hodp_atomic_op {
	HODP_ATOMIC_CMP_SWAP,
	HODP_ATOMIC_FETCH_ADD,
	HODP_ATOMIC_STORE,	/* ATOMIC WRITE: @compare_add is stored */
};

/*
 * An atomic operation on the 8-byte aligned u64 at @iova; the original value
 * goes to @orig.  -EAGAIN with @miss filled as for hodp_mr_copy().
 */
int hodp_mr_atomic(struct hodp_mr *mr, u64 iova, enum hodp_atomic_op op, u64 compare_add,
		   u64 swap, u64 *orig, struct hodp_miss *miss);

/*
 * Copy between @x and bytes [@offset, @offset + @len) of a scatter/gather
 * list, each SGE checked against its lkey in @pd with @access; into the
 * list, the message goes on to write @extent bytes (@len or more) from
 * @offset, which an ODP miss asks to fault for writing.  Returns -EACCES
 * on a bad key or range, -EMSGSIZE when the list is too short, -EAGAIN on
 * an ODP miss (@miss filled) and -ENOSPC as hodp_xfer() does.
 */
int hodp_sge_copy(struct hodp_dev *hdev, struct ib_pd *pd, const struct hodp_sge *sge,
		  u32 num_sge, u32 offset, struct hodp_xfer *x, u32 len, u32 extent,
		  enum hodp_copy_dir dir, struct hodp_miss *miss);

#endif /* HODP_MR_H */
