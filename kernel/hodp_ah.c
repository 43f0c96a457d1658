// SPDX-License-Identifier: GPL-2.0
/*
 * Address handles.  The data path finds an AH by number (the provider puts
 * it in UD WQEs), so the address lives in an RCU-freed entry of a device
 * xarray rather than in the ib_ah the core frees.
 */
#include <rdma/ib_cache.h>
#include <rdma/uverbs_ioctl.h>

#include "hodp.h"
#include "hodp_ah.h"

struct hodp_ah_entry {
	struct hodp_av av;
	struct ib_pd *pd;
	struct rcu_head rcu;
};

int hodp_av_from_attr(struct hodp_av *av, const struct rdma_ah_attr *attr)
{
	const struct ib_gid_attr *sgid_attr = attr->grh.sgid_attr;

	if (!(rdma_ah_get_ah_flags(attr) & IB_AH_GRH) || !sgid_attr ||
	    rdma_ah_get_port_num(attr) != 1)
		return -EINVAL;

	av->net_type = rdma_gid_attr_network_type(sgid_attr);
	if (av->net_type != RDMA_NETWORK_IPV4 && av->net_type != RDMA_NETWORK_IPV6)
		return -EINVAL;	/* RoCEv1 GIDs: hodp speaks RoCEv2 only */
	av->sgid = sgid_attr->gid;
	av->dgid = attr->grh.dgid;
	/* 20 bits on the wire; UCX passes ~0 and expects the rest ignored. */
	av->flow_label = attr->grh.flow_label & IB_GRH_FLOWLABEL_MASK;
	av->sgid_index = attr->grh.sgid_index;
	av->hop_limit = attr->grh.hop_limit;
	av->traffic_class = attr->grh.traffic_class;
	return 0;
}

int hodp_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init, struct ib_udata *udata)
{
	gfp_t gfp = init->flags & RDMA_CREATE_AH_SLEEPABLE ? GFP_KERNEL : GFP_ATOMIC;
	struct hodp_dev *hdev = to_hdev(ibah->device);
	struct hodp_create_ah_resp resp = {};
	struct hodp_ah *ah = to_hah(ibah);
	struct hodp_ah_entry *entry;
	int err;

	if (udata && udata->outlen < sizeof(resp))
		return -EINVAL;
	entry = kzalloc_obj(*entry, gfp);
	if (!entry)
		return -ENOMEM;
	err = hodp_av_from_attr(&entry->av, init->ah_attr);
	if (err)
		goto err_free;
	entry->pd = ibah->pd;

	err = xa_alloc(&hdev->ah_xa, &ah->ah_num, entry, XA_LIMIT(1, HODP_MAX_AH), gfp);
	if (err) {
		err = err == -EBUSY ? -ENOMEM : err;
		goto err_free;
	}
	ah->entry = entry;

	if (udata) {
		resp.ah_num = ah->ah_num;
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err)
			goto err_erase;
	}
	return 0;

err_erase:
	xa_erase(&hdev->ah_xa, ah->ah_num);
	/* Published: a lookup may still be reading it, as after destroy. */
	kfree_rcu(entry, rcu);
	return err;
err_free:
	kfree(entry);
	return err;
}

int hodp_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr)
{
	struct hodp_av *av = &to_hah(ibah)->entry->av;

	memset(attr, 0, sizeof(*attr));
	attr->type = RDMA_AH_ATTR_TYPE_ROCE;
	rdma_ah_set_port_num(attr, 1);
	rdma_ah_set_grh(attr, &av->dgid, av->flow_label, av->sgid_index, av->hop_limit,
			av->traffic_class);
	rdma_ah_set_ah_flags(attr, IB_AH_GRH);
	return 0;
}

int hodp_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	struct hodp_ah *ah = to_hah(ibah);

	xa_erase(&to_hdev(ibah->device)->ah_xa, ah->ah_num);
	kfree_rcu(ah->entry, rcu);
	return 0;
}

bool hodp_ah_lookup(struct hodp_dev *hdev, u32 ah_num, struct ib_pd *pd, struct hodp_av *av)
{
	struct hodp_ah_entry *entry;
	bool found = false;

	rcu_read_lock();
	entry = xa_load(&hdev->ah_xa, ah_num);
	if (entry && entry->pd == pd) {
		*av = entry->av;
		found = true;
	}
	rcu_read_unlock();
	return found;
}
