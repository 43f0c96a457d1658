// SPDX-License-Identifier: GPL-2.0
/* A user context: one per process that opens the device. */
#include <rdma/uverbs_ioctl.h>
#include <rdma/hodp-abi.h>

#include "hodp.h"

int hodp_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata)
{
	struct hodp_dev *hdev = to_hdev(ibuc->device);
	struct hodp_ucontext *huc = to_huc(ibuc);
	struct hodp_alloc_ucontext_resp resp = {
		.abi_version = HODP_UVERBS_ABI_VERSION,
	};
	int err;

	if (atomic_inc_return(&hdev->num_ucontext) > HODP_MAX_UCONTEXT) {
		err = -ENOMEM;
		goto err_dec;
	}
	huc->odp_owner = hodp_odp_owner_get(&hdev->odp, current->mm);
	if (!huc->odp_owner) {
		err = -ENOMEM;
		goto err_dec;
	}

	err = ib_copy_to_udata(udata, &resp, min(sizeof(resp), udata->outlen));
	if (err)
		goto err_owner;
	return 0;

err_owner:
	hodp_odp_owner_put(huc->odp_owner);
err_dec:
	atomic_dec(&hdev->num_ucontext);
	return err;
}

void hodp_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	hodp_odp_owner_put(to_huc(ibuc)->odp_owner);
	atomic_dec(&to_hdev(ibuc->device)->num_ucontext);
}
