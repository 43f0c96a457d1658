// SPDX-License-Identifier: GPL-2.0
/*
 * Protection and XRC domains: the core tracks them (and shares XRC domains
 * between processes); the engine compares pointers.
 */
#include "hodp.h"

int hodp_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibpd->device);

	if (atomic_inc_return(&hdev->num_pd) > HODP_MAX_PD) {
		atomic_dec(&hdev->num_pd);
		return -ENOMEM;
	}
	return 0;
}

int hodp_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	atomic_dec(&to_hdev(ibpd->device)->num_pd);
	return 0;
}

int hodp_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibxrcd->device);

	if (atomic_inc_return(&hdev->num_xrcd) > HODP_MAX_XRCD) {
		atomic_dec(&hdev->num_xrcd);
		return -ENOMEM;
	}
	return 0;
}

int hodp_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	atomic_dec(&to_hdev(ibxrcd->device)->num_xrcd);
	return 0;
}
