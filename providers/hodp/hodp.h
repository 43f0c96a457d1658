/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* hodp userspace provider: object layouts. */
#ifndef HODP_PROVIDER_H
#define HODP_PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <infiniband/driver.h>
#include <rdma/hodp-abi.h>

#include "compat.h"

struct hodp_device {
	struct verbs_device ibv_dev;
	int abi_version;
};

struct hodp_context {
	struct verbs_context ibv_ctx;
};

/* A ring mapped from the kernel (see include/uapi/rdma/hodp-abi.h). */
struct hodp_uring {
	struct hodp_ring *ring;
	void *slots;
	uint32_t num_entries;
	uint32_t stride;
	size_t map_size;
};

struct hodp_cq {
	struct verbs_cq vcq;
	pthread_spinlock_t lock;
	struct hodp_uring q;
	uint32_t cons;			/* our consumer index */
	const struct hodp_cqe *cur;	/* the completion being read (extended poll) */
};

/* Generic uverbs commands with hodp's driver data appended. */
struct hodp_create_cq_cmd_resp {
	struct ib_uverbs_create_cq_resp ibv_resp;
	struct hodp_create_cq_resp drv;
};

struct hodp_create_cq_ex_cmd_resp {
	struct ib_uverbs_ex_create_cq_resp ibv_resp;
	struct hodp_create_cq_resp drv;
};

struct hodp_resize_cq_cmd_resp {
	struct ib_uverbs_resize_cq_resp ibv_resp;
	struct hodp_resize_cq_resp drv;
};

struct hodp_modify_srq_cmd_drv {
	struct ibv_modify_srq ibv_cmd;
	struct hodp_modify_srq_cmd drv;
};

struct hodp_get_context_resp {
	struct ib_uverbs_get_context_resp ibv_resp;
	struct hodp_alloc_ucontext_resp drv;
};

static inline struct hodp_device *to_hdev(struct ibv_device *ibdev)
{
	return container_of(ibdev, struct hodp_device, ibv_dev.device);
}

static inline struct hodp_context *to_hctx(struct ibv_context *ibctx)
{
	return container_of(ibctx, struct hodp_context, ibv_ctx.context);
}

/* The producer side of a send, receive or shared receive queue. */
struct hodp_wq {
	struct hodp_uring q;
	pthread_spinlock_t lock;
	uint32_t prod;			/* our producer index */
	uint32_t max_sge;
};

struct hodp_qp {
	struct verbs_qp vqp;
	struct hodp_wq sq;
	struct hodp_wq rq;		/* unmapped with an SRQ, and on XRC QPs */
	uint32_t max_inline;
	/* ibv_wr_*() batch in progress: the slot being built and the first error. */
	struct hodp_send_wqe *cur;
	uint32_t cur_prod;
	int wr_err;
};

struct hodp_srq {
	struct verbs_srq vsrq;
	struct hodp_wq rq;
	uint32_t srqn;			/* what XRC requests name it by */
};

struct hodp_ah {
	struct ibv_ah ibah;
	uint32_t ah_num;
};

struct hodp_create_qp_cmd_resp {
	struct ib_uverbs_create_qp_resp ibv_resp;
	struct hodp_create_qp_resp drv;
};

struct hodp_create_qp_ex_cmd_resp {
	struct ib_uverbs_ex_create_qp_resp ibv_resp;
	struct hodp_create_qp_resp drv;
};

struct hodp_create_srq_cmd_resp {
	struct ib_uverbs_create_srq_resp ibv_resp;
	struct hodp_create_srq_resp drv;
};

struct hodp_create_ah_cmd_resp {
	struct ib_uverbs_create_ah_resp ibv_resp;
	struct hodp_create_ah_resp drv;
};

static inline struct hodp_qp *to_hqp(struct ibv_qp *ibqp)
{
	return container_of(ibqp, struct hodp_qp, vqp.qp);
}

static inline struct hodp_srq *to_hsrq(struct ibv_srq *ibsrq)
{
	return container_of(ibsrq, struct hodp_srq, vsrq.srq);
}

static inline struct hodp_ah *to_hah(struct ibv_ah *ibah)
{
	return container_of(ibah, struct hodp_ah, ibah);
}

static inline struct hodp_cq *to_hcq(struct ibv_cq *ibcq)
{
	return container_of(ibcq, struct hodp_cq, vcq.cq);
}

/* Index written by the other side, ordered before reading the slots it covers. */
static inline uint32_t hodp_load_index(const uint32_t *index)
{
	return atomic_load_explicit((_Atomic(uint32_t) *)index, memory_order_acquire);
}

/* Publish our index after the slot accesses before it. */
static inline void hodp_store_index(uint32_t *index, uint32_t value)
{
	atomic_store_explicit((_Atomic(uint32_t) *)index, value, memory_order_release);
}

static inline void *hodp_uring_slot(const struct hodp_uring *q, uint32_t index)
{
	return (char *)q->slots + (size_t)(index & (q->num_entries - 1)) * q->stride;
}

int hodp_uring_map(struct ibv_context *ctx, struct hodp_uring *q,
		   const struct hodp_ring_info *info);
void hodp_uring_unmap(struct hodp_uring *q);

/* cq.c */
struct ibv_cq *hodp_create_cq(struct ibv_context *ctx, int cqe,
			      struct ibv_comp_channel *channel, int comp_vector);
struct ibv_cq_ex *hodp_create_cq_ex(struct ibv_context *ctx,
				    struct ibv_cq_init_attr_ex *attr);
int hodp_poll_cq(struct ibv_cq *ibcq, int ne, struct ibv_wc *wc);
int hodp_req_notify_cq(struct ibv_cq *ibcq, int solicited_only);
int hodp_resize_cq(struct ibv_cq *ibcq, int cqe);
int hodp_destroy_cq(struct ibv_cq *ibcq);
void hodp_cq_clean(struct ibv_cq *ibcq, uint32_t qpn);

/* qp.c */
struct ibv_qp *hodp_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *hodp_create_qp_ex(struct ibv_context *ctx, struct ibv_qp_init_attr_ex *attr);
struct ibv_qp *hodp_open_qp(struct ibv_context *ctx, struct ibv_qp_open_attr *attr);
int hodp_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask);
int hodp_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int mask,
		  struct ibv_qp_init_attr *init);
int hodp_destroy_qp(struct ibv_qp *ibqp);
int hodp_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad);
int hodp_bind_mw(struct ibv_qp *ibqp, struct ibv_mw *mw, struct ibv_mw_bind *mw_bind);
int hodp_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad);
int hodp_wq_init(struct hodp_wq *wq, struct ibv_context *ctx, const struct hodp_ring_info *info,
		 uint32_t max_sge);
void hodp_wq_cleanup(struct hodp_wq *wq);
int hodp_wq_post_recv(struct hodp_wq *wq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad,
		      bool *kick);

/* verbs.c */
struct ibv_mr *hodp_reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va,
			   int access);
int hodp_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd, void *addr,
		  size_t length, int access);
int hodp_dereg_mr(struct verbs_mr *vmr);
struct ibv_mw *hodp_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type);
int hodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
		   struct ibv_sge *sg_list, uint32_t num_sge);
int hodp_dealloc_mw(struct ibv_mw *mw);
struct ibv_ah *hodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int hodp_destroy_ah(struct ibv_ah *ah);
struct ibv_srq *hodp_create_srq(struct ibv_pd *pd, struct ibv_srq_init_attr *attr);
struct ibv_srq *hodp_create_srq_ex(struct ibv_context *ctx, struct ibv_srq_init_attr_ex *attr);
int hodp_get_srq_num(struct ibv_srq *srq, uint32_t *srq_num);
struct ibv_xrcd *hodp_open_xrcd(struct ibv_context *ctx, struct ibv_xrcd_init_attr *attr);
int hodp_close_xrcd(struct ibv_xrcd *xrcd);
int hodp_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr, int mask);
int hodp_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr);
int hodp_destroy_srq(struct ibv_srq *srq);
int hodp_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad);

#endif /* HODP_PROVIDER_H */
