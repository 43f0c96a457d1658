/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What differs between the rdma-core trees the provider builds in (56.1 to
 * 65): the driver API calls whose signatures changed, each behind one
 * wrapper.  CMakeLists.txt reads libibverbs/driver.h of the tree and
 * defines HODP_HAVE_* for what it finds.
 */
#ifndef HODP_PROVIDER_COMPAT_H
#define HODP_PROVIDER_COMPAT_H

#include <infiniband/driver.h>

/* ibv_cmd_get_context() passes file descriptors (fd_arr, rdma-core 60 on). */
static inline int hodp_cmd_get_context(struct verbs_context *ctx, struct ibv_get_context *cmd,
				       size_t cmd_size, struct ib_uverbs_get_context_resp *resp,
				       size_t resp_size)
{
#ifdef HODP_HAVE_FD_ARR
	return ibv_cmd_get_context(ctx, cmd, cmd_size, NULL, resp, resp_size);
#else
	return ibv_cmd_get_context(ctx, cmd, cmd_size, resp, resp_size);
#endif
}

/* ibv_cmd_create_cq_ex() takes provider attributes (prov_attr). */
static inline int hodp_cmd_create_cq_ex(struct ibv_context *ctx,
					const struct ibv_cq_init_attr_ex *attr,
					struct verbs_cq *cq, struct ibv_create_cq_ex *cmd,
					size_t cmd_size, struct ib_uverbs_ex_create_cq_resp *resp,
					size_t resp_size)
{
#ifdef HODP_HAVE_CQ_PROV_ATTR
	return ibv_cmd_create_cq_ex(ctx, attr, NULL, cq, cmd, cmd_size, resp, resp_size, 0);
#else
	return ibv_cmd_create_cq_ex(ctx, attr, cq, cmd, cmd_size, resp, resp_size, 0);
#endif
}

/* ibv_cmd_create_qp_ex2() takes a driver command buffer. */
static inline int hodp_cmd_create_qp_ex2(struct ibv_context *ctx, struct verbs_qp *qp,
					 struct ibv_qp_init_attr_ex *attr,
					 struct ibv_create_qp_ex *cmd, size_t cmd_size,
					 struct ib_uverbs_ex_create_qp_resp *resp,
					 size_t resp_size)
{
#ifdef HODP_HAVE_QP_EX2_DRIVER
	return ibv_cmd_create_qp_ex2(ctx, qp, attr, cmd, cmd_size, resp, resp_size, NULL);
#else
	return ibv_cmd_create_qp_ex2(ctx, qp, attr, cmd, cmd_size, resp, resp_size);
#endif
}

#endif /* HODP_PROVIDER_COMPAT_H */
