// SPDX-License-Identifier: GPL-2.0
/*
 * UD multicast.  A group is the QPNs attached to one multicast GID (the
 * IPv6 group address, or an IPv4 one mapped).  Receivers walk the groups
 * under RCU; attach and detach replace a group with an updated copy under
 * hdev->mcast_lock and keep the netdev's multicast MAC filter in step.
 */
#include <linux/etherdevice.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <rdma/ib_addr.h>

#include "hodp.h"
#include "hodp_engine.h"
#include "hodp_mcast.h"
#include "hodp_pkt.h"

struct hodp_mcg {
	struct list_head node;		/* on hdev->mcast_groups */
	union ib_gid mgid;
	u32 num_qps;
	u32 qpn[HODP_MAX_MCAST_QP_ATTACH];
	struct rcu_head rcu;
};

static void hodp_mcast_mac(const union ib_gid *gid, u8 *mac)
{
	const struct in6_addr *addr = (const struct in6_addr *)gid->raw;

	if (ipv6_addr_v4mapped(addr))
		ip_eth_mc_map(addr->s6_addr32[3], mac);
	else
		ipv6_eth_mc_map(addr, mac);
}

/* Under mcast_lock or RCU. */
static struct hodp_mcg *hodp_mcg_find(struct hodp_dev *hdev, const union ib_gid *gid)
{
	struct hodp_mcg *mcg;

	list_for_each_entry_rcu(mcg, &hdev->mcast_groups, node,
				lockdep_is_held(&hdev->mcast_lock))
		if (!memcmp(mcg->mgid.raw, gid->raw, sizeof(gid->raw)))
			return mcg;
	return NULL;
}

static int hodp_mcg_find_qpn(const struct hodp_mcg *mcg, u32 qpn)
{
	u32 i;

	for (i = 0; i < mcg->num_qps; i++)
		if (mcg->qpn[i] == qpn)
			return i;
	return -1;
}

int hodp_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct hodp_dev *hdev = to_hdev(ibqp->device);
	struct hodp_mcg *old, *mcg;
	u8 mac[ETH_ALEN];
	int err = 0;

	if (ibqp->qp_type != IB_QPT_UD || !rdma_is_multicast_addr((struct in6_addr *)gid->raw))
		return -EINVAL;

	mutex_lock(&hdev->mcast_lock);
	old = hodp_mcg_find(hdev, gid);
	if (old && hodp_mcg_find_qpn(old, ibqp->qp_num) >= 0)
		goto out;	/* attached already */
	if (old ? old->num_qps == HODP_MAX_MCAST_QP_ATTACH :
		  hdev->num_mcast_groups == HODP_MAX_MCAST_GRP) {
		err = -ENOMEM;
		goto out;
	}
	mcg = old ? kmemdup(old, sizeof(*old), GFP_KERNEL) : kzalloc_obj(*mcg);
	if (!mcg) {
		err = -ENOMEM;
		goto out;
	}
	mcg->mgid = *gid;
	mcg->qpn[mcg->num_qps++] = ibqp->qp_num;
	if (old) {
		list_replace_rcu(&old->node, &mcg->node);
		kfree_rcu(old, rcu);
	} else {
		hodp_mcast_mac(gid, mac);
		err = dev_mc_add(hdev->ndev, mac);
		if (err) {
			kfree(mcg);
			goto out;
		}
		list_add_rcu(&mcg->node, &hdev->mcast_groups);
		hdev->num_mcast_groups++;
	}
out:
	mutex_unlock(&hdev->mcast_lock);
	return err;
}

int hodp_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid)
{
	struct hodp_dev *hdev = to_hdev(ibqp->device);
	struct hodp_mcg *old, *mcg;
	u8 mac[ETH_ALEN];
	int i, err = 0;

	mutex_lock(&hdev->mcast_lock);
	old = hodp_mcg_find(hdev, gid);
	i = old ? hodp_mcg_find_qpn(old, ibqp->qp_num) : -1;
	if (i < 0) {
		err = -EINVAL;
		goto out;
	}
	if (old->num_qps == 1) {
		list_del_rcu(&old->node);
		hdev->num_mcast_groups--;
		hodp_mcast_mac(gid, mac);
		dev_mc_del(hdev->ndev, mac);
	} else {
		mcg = kmemdup(old, sizeof(*old), GFP_KERNEL);
		if (!mcg) {
			err = -ENOMEM;
			goto out;
		}
		mcg->qpn[i] = mcg->qpn[--mcg->num_qps];
		list_replace_rcu(&old->node, &mcg->node);
	}
	kfree_rcu(old, rcu);
out:
	mutex_unlock(&hdev->mcast_lock);
	return err;
}

/* The device is going away: uverbs has detached every user QP already. */
void hodp_mcast_cleanup(struct hodp_dev *hdev)
{
	struct hodp_mcg *mcg, *tmp;

	list_for_each_entry_safe(mcg, tmp, &hdev->mcast_groups, node) {
		list_del(&mcg->node);
		kfree(mcg);
	}
}

bool hodp_av_is_mcast(const struct hodp_av *av)
{
	return rdma_is_multicast_addr((struct in6_addr *)av->dgid.raw);
}

void hodp_mcast_rcv(struct hodp_dev *hdev, struct sk_buff *skb)
{
	u32 qpn[HODP_MAX_MCAST_QP_ATTACH];
	struct hodp_mcg *mcg;
	union ib_gid dgid;
	u32 n = 0, i;

	if (hodp_pkt(skb)->net_type == RDMA_NETWORK_IPV4)
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, (struct in6_addr *)dgid.raw);
	else
		memcpy(dgid.raw, &ipv6_hdr(skb)->daddr, sizeof(dgid.raw));

	rcu_read_lock();
	mcg = hodp_mcg_find(hdev, &dgid);
	if (mcg) {
		n = mcg->num_qps;
		memcpy(qpn, mcg->qpn, n * sizeof(*qpn));
	}
	rcu_read_unlock();

	for (i = 0; i < n; i++) {
		struct sk_buff *copy = i + 1 < n ? skb_clone(skb, GFP_ATOMIC) : skb;
		struct hodp_qp *qp;

		if (!copy)
			continue;
		qp = hodp_qp_get(hdev, qpn[i]);
		if (!qp) {
			kfree_skb(copy);
			continue;
		}
		hodp_qp_deliver(qp, copy);
		hodp_qp_put(qp);
	}
	if (!n) {
		hodp_count(hdev, HODP_CNT_RX_DROPPED);
		kfree_skb(skb);
	}
}
