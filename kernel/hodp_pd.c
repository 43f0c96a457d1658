// SPDX-License-Identifier: GPL-2.0
/*
 * Protection and XRC domains: the core tracks them (and shares XRC domains
 * between processes); the engine compares pointers.
 */
#include "hodp.h"

/* One more object of a kind there may be @max of: 0, or -ENOMEM. */
static int hodp_domain_take(atomic_t *count, int max)
{
	if (atomic_inc_return(count) > max) {
		atomic_dec(count);
		return -ENOMEM;
	}
	return 0;
}

int hodp_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	return hodp_domain_take(&to_hdev(ibpd->device)->num_pd, HODP_MAX_PD);
}

int hodp_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	atomic_dec(&to_hdev(ibpd->device)->num_pd);
	return 0;
}

int hodp_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	return hodp_domain_take(&to_hdev(ibxrcd->device)->num_xrcd, HODP_MAX_XRCD);
}

int hodp_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	atomic_dec(&to_hdev(ibxrcd->device)->num_xrcd);
	return 0;
}
