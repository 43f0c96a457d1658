// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pd_basic DEV: device and port queries and protection domains through the
 * hodp provider, with the kernel's answers checked.
 */
#include "common.h"

#define NPD 256

int main(int argc, char **argv)
{
	struct ibv_device_attr_ex attr;
	struct ibv_port_attr port;
	struct ibv_pd *pd[NPD];
	struct ibv_context *ctx;
	union ibv_gid gid;
	int i, ret;

	if (argc != 2)
		die("usage: %s DEV", argv[0]);
	ctx = open_device(argv[1]);

	ret = ibv_query_device_ex(ctx, NULL, &attr);
	if (ret)
		die("ibv_query_device_ex: %s", strerror(ret));
	if (attr.orig_attr.phys_port_cnt != 1 || attr.orig_attr.max_pd < NPD)
		die("unexpected device attributes");

	ret = ibv_query_port(ctx, 1, &port);
	if (ret)
		die("ibv_query_port(1): %s", strerror(ret));
	if (port.link_layer != IBV_LINK_LAYER_ETHERNET)
		die("link layer %d is not Ethernet", port.link_layer);
	ret = ibv_query_port(ctx, 2, &port);
	if (ret != EINVAL)
		die("ibv_query_port(2) gave %d, want EINVAL", ret);

	if (ibv_query_gid(ctx, 1, 1, &gid))
		die("ibv_query_gid(1): %s", strerror(errno));
	/* ::ffff:10.99.0.1, the IPv4-mapped GID of veth0 */
	if (gid.raw[10] != 0xff || gid.raw[11] != 0xff || gid.raw[12] != 10 ||
	    gid.raw[13] != 99 || gid.raw[14] != 0 || gid.raw[15] != 1)
		die("GID 1 is not ::ffff:10.99.0.1");

	for (i = 0; i < NPD; i++) {
		pd[i] = ibv_alloc_pd(ctx);
		if (!pd[i])
			die("ibv_alloc_pd #%d: %s", i, strerror(errno));
		if (pd[i]->context != ctx || (i && pd[i]->handle == pd[i - 1]->handle))
			die("PD #%d is malformed", i);
	}
	for (i = NPD - 1; i >= 0; i--) {
		ret = ibv_dealloc_pd(pd[i]);
		if (ret)
			die("ibv_dealloc_pd #%d: %s", i, strerror(ret));
	}
	if (ibv_close_device(ctx))
		die("ibv_close_device: %s", strerror(errno));
	printf("%d PDs allocated and freed\n", NPD);
	return 0;
}
