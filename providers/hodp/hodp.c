// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hodp userspace provider: binds libibverbs to hodp devices.  Device and port
 * queries and protection domains go straight to the kernel through uverbs.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "hodp.h"

/* An out-of-tree driver owns no rdma_driver_id: match hodp* device names. */
static const struct verbs_match_ent hodp_match_table[] = {
	VERBS_NAME_MATCH("hodp", NULL),
	{},
};

static int hodp_query_device(struct ibv_context *ctx,
			     const struct ibv_query_device_ex_input *input,
			     struct ibv_device_attr_ex *attr, size_t attr_size)
{
	struct ib_uverbs_ex_query_device_resp resp;
	size_t resp_size = sizeof(resp);
	uint64_t fw;
	int ret;

	ret = ibv_cmd_query_device_any(ctx, input, attr, attr_size, &resp,
				       &resp_size);
	if (ret)
		return ret;

	fw = resp.base.fw_ver;
	snprintf(attr->orig_attr.fw_ver, sizeof(attr->orig_attr.fw_ver),
		 "%u.%u.%u", (unsigned int)(fw >> 32) & 0xffff,
		 (unsigned int)(fw >> 16) & 0xffff, (unsigned int)fw & 0xffff);
	return 0;
}

static int hodp_query_port(struct ibv_context *ctx, uint8_t port,
			   struct ibv_port_attr *attr)
{
	struct ibv_query_port cmd;

	return ibv_cmd_query_port(ctx, port, attr, &cmd, sizeof(cmd));
}

static struct ibv_pd *hodp_alloc_pd(struct ibv_context *ctx)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct ibv_alloc_pd cmd;
	struct ibv_pd *pd;
	int ret;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;

	ret = ibv_cmd_alloc_pd(ctx, pd, &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (ret) {
		free(pd);
		errno = ret;
		return NULL;
	}
	return pd;
}

static int hodp_dealloc_pd(struct ibv_pd *pd)
{
	int ret;

	ret = ibv_cmd_dealloc_pd(pd);
	if (ret)
		return ret;

	free(pd);
	return 0;
}

static void hodp_free_context(struct ibv_context *ibctx)
{
	struct hodp_context *ctx = to_hctx(ibctx);

	verbs_uninit_context(&ctx->ibv_ctx);
	free(ctx);
}

static const struct verbs_context_ops hodp_ctx_ops = {
	.advise_mr = hodp_advise_mr,
	.alloc_mw = hodp_alloc_mw,
	.alloc_pd = hodp_alloc_pd,
	.attach_mcast = ibv_cmd_attach_mcast,
	.bind_mw = hodp_bind_mw,
	.close_xrcd = hodp_close_xrcd,
	.create_ah = hodp_create_ah,
	.create_cq = hodp_create_cq,
	.create_cq_ex = hodp_create_cq_ex,
	.create_qp = hodp_create_qp,
	.create_qp_ex = hodp_create_qp_ex,
	.create_srq = hodp_create_srq,
	.create_srq_ex = hodp_create_srq_ex,
	.dealloc_mw = hodp_dealloc_mw,
	.dealloc_pd = hodp_dealloc_pd,
	.dereg_mr = hodp_dereg_mr,
	.destroy_ah = hodp_destroy_ah,
	.destroy_cq = hodp_destroy_cq,
	.destroy_qp = hodp_destroy_qp,
	.destroy_srq = hodp_destroy_srq,
	.detach_mcast = ibv_cmd_detach_mcast,
	.free_context = hodp_free_context,
	.get_srq_num = hodp_get_srq_num,
	.modify_qp = hodp_modify_qp,
	.modify_srq = hodp_modify_srq,
	.open_qp = hodp_open_qp,
	.open_xrcd = hodp_open_xrcd,
	.poll_cq = hodp_poll_cq,
	.post_recv = hodp_post_recv,
	.post_send = hodp_post_send,
	.post_srq_recv = hodp_post_srq_recv,
	.query_device_ex = hodp_query_device,
	.query_port = hodp_query_port,
	.query_qp = hodp_query_qp,
	.query_srq = hodp_query_srq,
	.reg_mr = hodp_reg_mr,
	.req_notify_cq = hodp_req_notify_cq,
	.rereg_mr = hodp_rereg_mr,
	.resize_cq = hodp_resize_cq,
};

static struct verbs_context *hodp_alloc_context(struct ibv_device *ibdev,
						int cmd_fd, void *private_data)
{
	struct hodp_get_context_resp resp = {};
	struct ibv_get_context cmd;
	struct hodp_context *ctx;

	ctx = verbs_init_and_alloc_context(ibdev, cmd_fd, ctx, ibv_ctx,
					   RDMA_DRIVER_UNKNOWN);
	if (!ctx)
		return NULL;

	if (hodp_cmd_get_context(&ctx->ibv_ctx, &cmd, sizeof(cmd), &resp.ibv_resp,
				 sizeof(resp)))
		goto err_free;

	if (resp.drv.abi_version != HODP_UVERBS_ABI_VERSION) {
		verbs_err(&ctx->ibv_ctx, "hodp: kernel ABI %u, provider ABI %u\n",
			  resp.drv.abi_version, HODP_UVERBS_ABI_VERSION);
		errno = EPROTO;
		goto err_free;
	}

	verbs_set_ops(&ctx->ibv_ctx, &hodp_ctx_ops);
	return &ctx->ibv_ctx;

err_free:
	verbs_uninit_context(&ctx->ibv_ctx);
	free(ctx);
	return NULL;
}

static struct verbs_device *hodp_device_alloc(struct verbs_sysfs_dev *sysfs_dev)
{
	struct hodp_device *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;

	dev->abi_version = sysfs_dev->abi_ver;
	return &dev->ibv_dev;
}

static void hodp_uninit_device(struct verbs_device *verbs_device)
{
	free(to_hdev(&verbs_device->device));
}

static const struct verbs_device_ops hodp_dev_ops = {
	.name = "hodp",
	.match_min_abi_version = HODP_UVERBS_ABI_VERSION,
	.match_max_abi_version = HODP_UVERBS_ABI_VERSION,
	.match_table = hodp_match_table,
	.alloc_device = hodp_device_alloc,
	.uninit_device = hodp_uninit_device,
	.alloc_context = hodp_alloc_context,
};
PROVIDER_DRIVER(hodp, hodp_dev_ops);
