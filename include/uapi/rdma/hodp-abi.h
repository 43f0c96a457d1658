/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * hodp kernel <-> userspace provider ABI.  One copy, included by kernel/ and
 * providers/hodp.  Every structure is naturally aligned and a multiple of 8
 * bytes.
 *
 * Queues are rings in memory the kernel allocates and userspace maps: a
 * struct hodp_ring header, then num_entries slots of stride bytes.  Indices
 * run freely and are masked with num_entries - 1 (a power of two).  Only the
 * producer writes producer, only the consumer writes consumer.
 *
 *   SQ, RQ, SRQ: the provider produces work requests, the kernel consumes.
 *   CQ: the kernel produces completions, the provider consumes.
 */
#ifndef HODP_ABI_USER_H
#define HODP_ABI_USER_H

#include <linux/types.h>
#include <rdma/ib_user_verbs.h>
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif

/* Bumped on any incompatible change; the provider matches it exactly. */
#define HODP_UVERBS_ABI_VERSION 1

#define HODP_RING_HDR_SIZE	256	/* slots start here, cache-line aligned */

struct hodp_ring {
	__u32 producer;
	__u32 reserved0[15];
	__u32 consumer;
	__u32 reserved1[15];
	/*
	 * SQ only: set by the kernel when its requester has gone idle; the
	 * provider rings the doorbell (a zero-WR post_send) only then.
	 */
	__u32 doorbell;
	__u32 reserved2[31];
};

struct hodp_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/*
 * The work request opcodes each QP type may post, as bits of enum
 * ib_uverbs_wr_opcode: the kernel's check and the provider's.
 */
#define HODP_WR_BIT(op)		(1u << IB_UVERBS_WR_##op)
#define HODP_UD_WR_OPS		(HODP_WR_BIT(SEND) | HODP_WR_BIT(SEND_WITH_IMM))
#define HODP_UC_WR_OPS		(HODP_UD_WR_OPS | HODP_WR_BIT(RDMA_WRITE) | \
				 HODP_WR_BIT(RDMA_WRITE_WITH_IMM) | HODP_WR_BIT(BIND_MW) | \
				 HODP_WR_BIT(LOCAL_INV))
#define HODP_RC_WR_OPS		(HODP_UC_WR_OPS | HODP_WR_BIT(SEND_WITH_INV) | \
				 HODP_WR_BIT(RDMA_READ) | HODP_WR_BIT(ATOMIC_CMP_AND_SWP) | \
				 HODP_WR_BIT(ATOMIC_FETCH_AND_ADD) | HODP_WR_BIT(ATOMIC_WRITE) | \
				 HODP_WR_BIT(FLUSH))
/* XRC initiators: RC's but for FLUSH and ATOMIC WRITE (IBA annex A19 is RC's alone). */
#define HODP_XRC_WR_OPS		(HODP_RC_WR_OPS & ~(HODP_WR_BIT(ATOMIC_WRITE) | HODP_WR_BIT(FLUSH)))

/* A send queue slot; SGEs, or inline data, follow the header. */
struct hodp_send_wqe {
	__aligned_u64 wr_id;
	__u32 opcode;		/* enum ib_uverbs_wr_opcode */
	__u32 send_flags;	/* IB_UVERBS_SEND_* */
	__u32 num_sge;
	__u32 inline_len;	/* bytes of inline data (IB_UVERBS_SEND_INLINE) */
	__u32 imm_data;		/* big-endian immediate, or rkey to invalidate */
	__u32 xrc_srqn;		/* XRC initiators: the remote XRC SRQ (24 bits) */
	/* rdma, atomic_write and flush start alike: remote_addr, then rkey. */
	union {
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 compare_add;
			__aligned_u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
		struct {
			__u32 ah_num;
			__u32 remote_qpn;
			__u32 remote_qkey;
			__u32 reserved;
		} ud;
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
			__aligned_u64 value;	/* the 8 bytes written, as in memory */
		} atomic_write;
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 length;
			__u8 type;		/* IB_FLUSH_GLOBAL, IB_FLUSH_PERSISTENT */
			__u8 level;		/* IB_FLUSH_RANGE, IB_FLUSH_MR */
			__u8 reserved[6];
		} flush;
		struct {
			__aligned_u64 addr;
			__aligned_u64 length;
			__u32 mr_lkey;
			__u32 mw_rkey;		/* the window's key when posted */
			__u32 new_rkey;		/* its key once bound */
			__u32 access;		/* IB_UVERBS_ACCESS_* */
		} bind;
	} wr;
	struct hodp_sge sge[];
};

/* A receive queue (or SRQ) slot. */
struct hodp_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
	struct hodp_sge sge[];
};

/* A completion queue slot. */
struct hodp_cqe {
	__aligned_u64 wr_id;
	__u32 status;		/* enum ib_wc_status */
	__u32 opcode;		/* enum ib_uverbs_wc_opcode */
	__u32 vendor_err;
	__u32 byte_len;
	__u32 imm_data;		/* big-endian immediate, or invalidated rkey */
	__u32 qp_num;
	__u32 src_qp;
	__u32 wc_flags;		/* HODP_WC_* */
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u8 port_num;
	__u8 network_hdr_type;	/* of a UD receive: HODP_NETWORK_* */
	__u32 reserved[4];	/* zeroed: the slot is user memory */
};

/* The header a UD receive came with, valued as the kernel's enum rdma_network_type. */
#define HODP_NETWORK_IPV4	2
#define HODP_NETWORK_IPV6	3

/* Completion flags, valued as libibverbs' enum ibv_wc_flags (not the kernel's). */
#define HODP_WC_GRH		(1 << 0)
#define HODP_WC_WITH_IMM	(1 << 1)
#define HODP_WC_WITH_INV	(1 << 3)

/* Where a ring is and what it holds. */
struct hodp_ring_info {
	__aligned_u64 mmap_offset;
	__u32 mmap_size;
	__u32 num_entries;
	__u32 stride;
	__u32 reserved;
};

struct hodp_alloc_ucontext_resp {
	__u32 abi_version;
	__u32 reserved;
};

struct hodp_create_cq_resp {
	struct hodp_ring_info cq;
};

struct hodp_resize_cq_resp {
	struct hodp_ring_info cq;
};

struct hodp_create_qp_resp {
	struct hodp_ring_info sq;
	struct hodp_ring_info rq;	/* num_entries 0: the QP uses an SRQ, or is XRC */
	__u32 max_inline_data;
	__u32 reserved;
};

struct hodp_create_srq_resp {
	struct hodp_ring_info srq;
	__u32 srq_num;		/* what XRC requests name it by */
	__u32 reserved;
};

/*
 * modify_srq has no response: with IB_SRQ_MAX_WR the kernel writes the new
 * ring's struct hodp_ring_info to this user address.
 */
struct hodp_modify_srq_cmd {
	__aligned_u64 ring_info_addr;
};

struct hodp_create_ah_resp {
	__u32 ah_num;
	__u32 reserved;
};

/*
 * The size of every structure above, checked wherever this header is
 * compiled (the kernel and the provider): a field added without taking it
 * from a reserved word shows.  Sizes are multiples of 8 and every byte is
 * a named field (no padding goes to userspace unset).
 */
static_assert(sizeof(struct hodp_ring) == HODP_RING_HDR_SIZE, "struct hodp_ring");
static_assert(sizeof(struct hodp_sge) == 16, "struct hodp_sge");
static_assert(sizeof(struct hodp_send_wqe) == 64, "struct hodp_send_wqe");
static_assert(sizeof(struct hodp_recv_wqe) == 16, "struct hodp_recv_wqe");
static_assert(sizeof(struct hodp_cqe) == 64, "struct hodp_cqe");
static_assert(sizeof(struct hodp_ring_info) == 24, "struct hodp_ring_info");
static_assert(sizeof(struct hodp_alloc_ucontext_resp) == 8, "struct hodp_alloc_ucontext_resp");
static_assert(sizeof(struct hodp_create_cq_resp) == 24, "struct hodp_create_cq_resp");
static_assert(sizeof(struct hodp_resize_cq_resp) == 24, "struct hodp_resize_cq_resp");
static_assert(sizeof(struct hodp_create_qp_resp) == 56, "struct hodp_create_qp_resp");
static_assert(sizeof(struct hodp_create_srq_resp) == 32, "struct hodp_create_srq_resp");
static_assert(sizeof(struct hodp_modify_srq_cmd) == 8, "struct hodp_modify_srq_cmd");
static_assert(sizeof(struct hodp_create_ah_resp) == 8, "struct hodp_create_ah_resp");

#endif /* HODP_ABI_USER_H */
