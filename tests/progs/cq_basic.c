// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cq_basic DEV: completion queues through the provider: sizes, polling an
 * empty ring, arming, resizing, extended CQs, and the errors for bad sizes
 * and unsupported completion fields.
 */
#include <sys/resource.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct ibv_cq_init_attr_ex cq_attr = {
		.cqe = 100,
		.wc_flags = IBV_WC_EX_WITH_BYTE_LEN | IBV_WC_EX_WITH_QP_NUM |
			    IBV_WC_EX_WITH_IMM | IBV_WC_EX_WITH_SRC_QP,
	};
	struct ibv_poll_cq_attr poll_attr = {};
	struct ibv_device_attr attr;
	struct ibv_context *ctx;
	struct ibv_cq_ex *cqx;
	struct ibv_cq *cq;
	struct ibv_wc wc;
	int ret;

	if (argc != 2)
		die("usage: %s DEV", argv[0]);
	ctx = open_device(argv[1]);
	if (ibv_query_device(ctx, &attr))
		die("ibv_query_device");

	cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
	if (!cq || cq->cqe < 1)
		die("ibv_create_cq(1): %s", strerror(errno));
	if (ibv_poll_cq(cq, 1, &wc) != 0)
		die("an empty CQ polled non-empty");
	if (ibv_req_notify_cq(cq, 0) || ibv_req_notify_cq(cq, 1))
		die("ibv_req_notify_cq: %s", strerror(errno));
	ret = ibv_resize_cq(cq, 4000);
	if (ret || cq->cqe < 4000)
		die("ibv_resize_cq(4000): %s, cqe %d", strerror(ret), cq->cqe);
	if (ibv_poll_cq(cq, 1, &wc) != 0)
		die("a resized empty CQ polled non-empty");
	ret = ibv_resize_cq(cq, 2);
	if (ret || cq->cqe < 2)
		die("ibv_resize_cq(2): %s", strerror(ret));
	if (ibv_destroy_cq(cq))
		die("ibv_destroy_cq");

	cq = ibv_create_cq(ctx, attr.max_cqe, NULL, NULL, 0);
	if (!cq || cq->cqe < attr.max_cqe)
		die("ibv_create_cq(max_cqe %d): %s", attr.max_cqe, strerror(errno));
	ibv_destroy_cq(cq);

	errno = 0;
	if (ibv_create_cq(ctx, attr.max_cqe + 1, NULL, NULL, 0) || errno != EINVAL)
		die("max_cqe + 1 gave errno %d, want EINVAL", errno);
	errno = 0;
	if (ibv_create_cq(ctx, 0, NULL, NULL, 0) || errno != EINVAL)
		die("cqe 0 gave errno %d, want EINVAL", errno);

	cqx = ibv_create_cq_ex(ctx, &cq_attr);
	if (!cqx)
		die("ibv_create_cq_ex: %s", strerror(errno));
	if (ibv_start_poll(cqx, &poll_attr) != ENOENT)
		die("an empty extended CQ polled non-empty");
	if (ibv_destroy_cq(ibv_cq_ex_to_cq(cqx)))
		die("destroying the extended CQ");

	cq_attr.wc_flags |= IBV_WC_EX_WITH_COMPLETION_TIMESTAMP;
	errno = 0;
	if (ibv_create_cq_ex(ctx, &cq_attr) || errno != EOPNOTSUPP)
		die("completion timestamps gave errno %d, want EOPNOTSUPP", errno);

	ibv_close_device(ctx);
	printf("CQ checks passed\n");
	return 0;
}
