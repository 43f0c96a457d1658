// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Memory regions, address handles and shared receive queues. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hodp.h"

struct ibv_mr *hodp_reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t hca_va,
			   int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct verbs_mr *vmr;
	int ret;

	vmr = calloc(1, sizeof(*vmr));
	if (!vmr)
		return NULL;
	ret = ibv_cmd_reg_mr(pd, addr, length, hca_va, access, vmr, &cmd, sizeof(cmd), &resp,
			     sizeof(resp));
	if (ret) {
		free(vmr);
		errno = ret;
		return NULL;
	}
	return &vmr->ibv_mr;
}

int hodp_rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd, void *addr,
		  size_t length, int access)
{
	struct ib_uverbs_rereg_mr_resp resp;
	struct ibv_rereg_mr cmd;

	return ibv_cmd_rereg_mr(vmr, flags, addr, length, (uintptr_t)addr, access, pd, &cmd,
				sizeof(cmd), &resp, sizeof(resp));
}

int hodp_dereg_mr(struct verbs_mr *vmr)
{
	int ret;

	ret = ibv_cmd_dereg_mr(vmr);
	if (ret)
		return ret;
	free(vmr);
	return 0;
}

int hodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice, uint32_t flags,
		   struct ibv_sge *sg_list, uint32_t num_sge)
{
	return ibv_cmd_advise_mr(pd, advice, flags, sg_list, num_sge);
}

struct ibv_mw *hodp_alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	struct ib_uverbs_alloc_mw_resp resp;
	struct ibv_alloc_mw cmd;
	struct ibv_mw *mw;
	int ret;

	mw = calloc(1, sizeof(*mw));
	if (!mw)
		return NULL;
	ret = ibv_cmd_alloc_mw(pd, type, mw, &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(mw);
		errno = ret;
		return NULL;
	}
	return mw;
}

int hodp_dealloc_mw(struct ibv_mw *mw)
{
	int ret;

	ret = ibv_cmd_dealloc_mw(mw);
	if (ret)
		return ret;
	free(mw);
	return 0;
}

struct ibv_ah *hodp_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct hodp_create_ah_cmd_resp resp = {};
	struct hodp_ah *ah;
	int ret;

	ah = calloc(1, sizeof(*ah));
	if (!ah)
		return NULL;
	ret = ibv_cmd_create_ah(pd, &ah->ibah, attr, &resp.ibv_resp, sizeof(resp));
	if (ret) {
		free(ah);
		errno = ret;
		return NULL;
	}
	ah->ah_num = resp.drv.ah_num;
	return &ah->ibah;
}

int hodp_destroy_ah(struct ibv_ah *ibah)
{
	int ret;

	ret = ibv_cmd_destroy_ah(ibah);
	if (ret)
		return ret;
	free(to_hah(ibah));
	return 0;
}

struct ibv_srq *hodp_create_srq(struct ibv_pd *pd, struct ibv_srq_init_attr *attr)
{
	struct hodp_create_srq_cmd_resp resp = {};
	struct ibv_create_srq cmd;
	struct hodp_srq *srq;
	int ret;

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;
	ret = ibv_cmd_create_srq(pd, &srq->vsrq.srq, attr, &cmd, sizeof(cmd), &resp.ibv_resp,
				 sizeof(resp));
	if (ret)
		goto err_free;
	ret = hodp_wq_init(&srq->rq, pd->context, &resp.drv.srq, attr->attr.max_sge);
	if (ret) {
		ibv_cmd_destroy_srq(&srq->vsrq.srq);
		goto err_free;
	}
	return &srq->vsrq.srq;

err_free:
	free(srq);
	errno = ret;
	return NULL;
}

/*
 * A resize gives the SRQ a new ring holding the WQEs not yet consumed; no
 * post may run while the kernel moves them, hence the lock across the call.
 */
int hodp_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr, int mask)
{
	struct hodp_modify_srq_cmd_drv cmd = {};
	struct hodp_srq *srq = to_hsrq(ibsrq);
	struct hodp_ring_info info = {};
	struct hodp_uring newq;
	int ret;

	if (!(mask & IBV_SRQ_MAX_WR))
		return ibv_cmd_modify_srq(ibsrq, attr, mask, &cmd.ibv_cmd, sizeof(cmd));

	cmd.drv.ring_info_addr = (uintptr_t)&info;
	pthread_spin_lock(&srq->rq.lock);
	ret = ibv_cmd_modify_srq(ibsrq, attr, mask, &cmd.ibv_cmd, sizeof(cmd));
	if (!ret)
		ret = hodp_uring_map(ibsrq->context, &newq, &info);
	if (!ret) {
		hodp_uring_unmap(&srq->rq.q);
		srq->rq.q = newq;
	}
	pthread_spin_unlock(&srq->rq.lock);
	return ret;
}

int hodp_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd;

	return ibv_cmd_query_srq(srq, attr, &cmd, sizeof(cmd));
}

int hodp_destroy_srq(struct ibv_srq *ibsrq)
{
	struct hodp_srq *srq = to_hsrq(ibsrq);
	int ret;

	ret = ibv_cmd_destroy_srq(ibsrq);
	if (ret)
		return ret;
	hodp_wq_cleanup(&srq->rq);
	free(srq);
	return 0;
}

int hodp_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad)
{
	bool kick;

	/* An SRQ is never flushed, so it never asks for a kick. */
	return hodp_wq_post_recv(&to_hsrq(srq)->rq, wr, bad, &kick);
}
