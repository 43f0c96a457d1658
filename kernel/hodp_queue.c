// SPDX-License-Identifier: GPL-2.0
/* Ring memory and its mapping into userspace. */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "hodp_queue.h"

struct hodp_mmap_entry {
	struct rdma_user_mmap_entry rdma;
	void *addr;
};

/* Largest ring we allocate: bounds the effect of a huge requested depth. */
#define HODP_QUEUE_MAX_BYTES	(256u << 20)

int hodp_queue_init(struct hodp_queue *q, u32 min_entries, u32 min_stride,
		    struct ib_ucontext *uctx, struct hodp_ring_info *info)
{
	struct hodp_mmap_entry *entry;
	u64 bytes;
	int err;

	if (!min_entries || !min_stride || min_entries > (1u << 30))
		return -EINVAL;

	q->num_entries = roundup_pow_of_two(min_entries);
	q->stride = roundup_pow_of_two(min_stride);
	bytes = HODP_RING_HDR_SIZE + (u64)q->num_entries * q->stride;
	if (bytes > HODP_QUEUE_MAX_BYTES)
		return -EINVAL;
	q->size = PAGE_ALIGN(bytes);

	/* Zeroed (it is mapped to userspace) and charged to the caller's memcg. */
	q->ring = __vmalloc(q->size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!q->ring)
		return -ENOMEM;
	q->slots = (void *)q->ring + HODP_RING_HDR_SIZE;
	q->mmap_entry = NULL;
	if (!uctx)
		return 0;

	entry = kzalloc_obj(*entry);
	if (!entry) {
		err = -ENOMEM;
		goto err_free;
	}
	entry->addr = q->ring;
	err = rdma_user_mmap_entry_insert(uctx, &entry->rdma, q->size);
	if (err) {
		kfree(entry);
		goto err_free;
	}
	q->mmap_entry = &entry->rdma;

	info->mmap_offset = rdma_user_mmap_get_offset(&entry->rdma);
	info->mmap_size = q->size;
	info->num_entries = q->num_entries;
	info->stride = q->stride;
	return 0;

err_free:
	vfree(q->ring);
	q->ring = NULL;
	return err;
}

void hodp_queue_cleanup(struct hodp_queue *q)
{
	if (!q->ring)
		return;
	/* A mapped ring stays alive until userspace unmaps it: see hodp_mmap_free(). */
	if (q->mmap_entry)
		rdma_user_mmap_entry_remove(q->mmap_entry);
	else
		vfree(q->ring);
	q->ring = NULL;
	q->mmap_entry = NULL;
}

int hodp_mmap(struct ib_ucontext *uctx, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct hodp_mmap_entry *entry;
	unsigned long off;
	int err;

	rdma_entry = rdma_user_mmap_entry_get(uctx, vma);
	if (!rdma_entry)
		return -EINVAL;

	entry = container_of(rdma_entry, struct hodp_mmap_entry, rdma);
	/* The core checked that the VMA is as long as the ring. */
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	for (off = 0, err = 0; off < vma->vm_end - vma->vm_start && !err; off += PAGE_SIZE)
		err = vm_insert_page(vma, vma->vm_start + off, vmalloc_to_page(entry->addr + off));
	rdma_user_mmap_entry_put(rdma_entry);
	return err;
}

void hodp_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct hodp_mmap_entry *entry =
		container_of(rdma_entry, struct hodp_mmap_entry, rdma);

	vfree(entry->addr);
	kfree(entry);
}
