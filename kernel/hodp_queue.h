/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rings shared with userspace (or private to kernel consumers): a struct
 * hodp_ring header and power-of-two slots, in vmalloc_user() memory.  A user
 * ring's memory belongs to its mmap entry and is freed only when both the
 * object and every mapping of it are gone.
 */
#ifndef HODP_QUEUE_H
#define HODP_QUEUE_H

#include <rdma/hodp-abi.h>
#include <rdma/ib_verbs.h>

struct hodp_queue {
	struct hodp_ring *ring;
	void *slots;
	u32 num_entries;	/* power of two */
	u32 stride;		/* bytes per slot, power of two */
	size_t size;		/* header and slots, page aligned */
	struct rdma_user_mmap_entry *mmap_entry;	/* NULL: a kernel queue */
};

int hodp_queue_init(struct hodp_queue *q, u32 min_entries, u32 min_stride,
		    struct ib_ucontext *uctx, struct hodp_ring_info *info);
void hodp_queue_cleanup(struct hodp_queue *q);

static inline void *hodp_queue_slot(const struct hodp_queue *q, u32 index)
{
	return q->slots + (size_t)(index & (q->num_entries - 1)) * q->stride;
}

/*
 * The other side's index, ordered before the slot accesses that follow it.
 * A user-owned index is untrusted: callers bound what it implies.
 */
static inline u32 hodp_queue_load(const u32 *index)
{
	/* Pairs with the other side's release of the index after its slot writes. */
	return smp_load_acquire(index);
}

/* Publish an index after the slot accesses before it. */
static inline void hodp_queue_store(u32 *index, u32 value)
{
	/* Pairs with the other side's acquire before it reads the slots. */
	smp_store_release(index, value);
}

int hodp_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma);
void hodp_mmap_free(struct rdma_user_mmap_entry *entry);

#endif /* HODP_QUEUE_H */
