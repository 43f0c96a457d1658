/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* hodp userspace provider: object layouts. */
#ifndef HODP_PROVIDER_H
#define HODP_PROVIDER_H

#include <infiniband/driver.h>
#include <rdma/hodp-abi.h>

struct hodp_device {
	struct verbs_device ibv_dev;
	int abi_version;
};

struct hodp_context {
	struct verbs_context ibv_ctx;
};

/* Generic uverbs commands with hodp's driver data appended. */
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

#endif /* HODP_PROVIDER_H */
