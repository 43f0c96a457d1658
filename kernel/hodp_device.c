// SPDX-License-Identifier: GPL-2.0
/*
 * The hodp ib_device: attributes, the single RoCEv2 port, and creation of a
 * device bound to an Ethernet netdev.
 */
#include <linux/if_arp.h>
#include <net/addrconf.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/rdma_netlink.h>
#include <rdma/hodp-abi.h>

#include "hodp.h"
#include "hodp_ah.h"
#include "hodp_cq.h"
#include "hodp_mcast.h"
#include "hodp_mr.h"
#include "hodp_mw.h"
#include "hodp_pkt.h"
#include "hodp_qp.h"
#include "hodp_queue.h"
#include "hodp_srq.h"

static int hodp_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
			     struct ib_udata *udata)
{
	if (udata && (udata->inlen || udata->outlen))
		return -EINVAL;

	*attr = to_hdev(ibdev)->attr;
	return 0;
}

static int hodp_query_port(struct ib_device *ibdev, u32 port_num,
			   struct ib_port_attr *attr)
{
	struct hodp_dev *hdev = to_hdev(ibdev);
	struct net_device *ndev = hdev->ndev;
	int err;

	/* The core zeroes *attr and rejects ports other than 1 before calling. */
	attr->max_mtu = IB_MTU_4096;
	attr->active_mtu = hodp_netdev_mtu(ndev);
	attr->gid_tbl_len = HODP_GID_TBL_LEN;
	attr->pkey_tbl_len = HODP_PKEY_TBL_LEN;
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->max_msg_sz = HODP_MAX_MSG_SZ;
	attr->max_vl_num = 1;
	attr->ip_gids = true;

	err = ib_get_eth_speed(ibdev, port_num, &attr->active_speed,
			       &attr->active_width);

	attr->state = ib_get_curr_port_state(ndev);
	if (attr->state == IB_PORT_ACTIVE)
		attr->phys_state = IB_PORT_PHYS_STATE_LINK_UP;
	else if (netif_running(ndev))
		attr->phys_state = IB_PORT_PHYS_STATE_POLLING;
	else
		attr->phys_state = IB_PORT_PHYS_STATE_DISABLED;

	return err;
}

static int hodp_get_port_immutable(struct ib_device *ibdev, u32 port_num,
				   struct ib_port_immutable *immutable)
{
	struct ib_port_attr attr;
	int err;

	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	err = ib_query_port(ibdev, port_num, &attr);
	if (err)
		return err;

	immutable->pkey_tbl_len = attr.pkey_tbl_len;
	immutable->gid_tbl_len = attr.gid_tbl_len;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

static enum rdma_link_layer hodp_get_link_layer(struct ib_device *ibdev, u32 port_num)
{
	return IB_LINK_LAYER_ETHERNET;
}

static int hodp_query_pkey(struct ib_device *ibdev, u32 port_num, u16 index, u16 *pkey)
{
	if (index >= HODP_PKEY_TBL_LEN)
		return -EINVAL;

	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

static void hodp_get_dev_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%d.0.0", HODP_HW_VER);
}

/* Called by the core once the device is unregistered, right before it is freed. */
static void hodp_dealloc_driver(struct ib_device *ibdev)
{
	struct hodp_dev *hdev = to_hdev(ibdev);

	hodp_debugfs_dev_del(hdev);
	hodp_net_detach(hdev);
	hodp_odp_dev_fini(&hdev->odp);
	hodp_mcast_cleanup(hdev);
	mutex_destroy(&hdev->mcast_lock);
	WARN_ON(!xa_empty(&hdev->key_xa) || !xa_empty(&hdev->qp_xa) || !xa_empty(&hdev->ah_xa) ||
		!xa_empty(&hdev->srq_xa));
	xa_destroy(&hdev->key_xa);
	xa_destroy(&hdev->qp_xa);
	xa_destroy(&hdev->ah_xa);
	xa_destroy(&hdev->srq_xa);
	hodp_device_list_del(hdev);
	netdev_put(hdev->ndev, &hdev->ndev_tracker);
}

/* What an ODP MR serves, per transport: the engine faults on every path. */
static void hodp_odp_caps(struct ib_device_attr *attr)
{
	attr->kernel_cap_flags |= IBK_ON_DEMAND_PAGING;
	attr->odp_caps.general_caps = IB_ODP_SUPPORT | IB_ODP_SUPPORT_IMPLICIT;
	attr->odp_caps.per_transport_caps.rc_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_RECV | IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ |
		IB_ODP_SUPPORT_ATOMIC | IB_ODP_SUPPORT_SRQ_RECV | IB_ODP_SUPPORT_FLUSH |
		IB_ODP_SUPPORT_ATOMIC_WRITE;
	attr->odp_caps.per_transport_caps.uc_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_RECV | IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_SRQ_RECV;
	attr->odp_caps.per_transport_caps.ud_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_RECV | IB_ODP_SUPPORT_SRQ_RECV;
	/* XRC: RC's, but for annex A19, which it does not carry, and receives only through SRQs. */
	attr->odp_caps.per_transport_caps.xrc_odp_caps = IB_ODP_SUPPORT_SEND |
		IB_ODP_SUPPORT_WRITE | IB_ODP_SUPPORT_READ | IB_ODP_SUPPORT_ATOMIC |
		IB_ODP_SUPPORT_SRQ_RECV;
}

static const struct ib_device_ops hodp_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = HODP_UVERBS_ABI_VERSION,

	.advise_mr = hodp_advise_mr,
	.alloc_hw_port_stats = hodp_alloc_hw_port_stats,
	.alloc_mw = hodp_alloc_mw,
	.alloc_pd = hodp_alloc_pd,
	.alloc_xrcd = hodp_alloc_xrcd,
	.alloc_ucontext = hodp_alloc_ucontext,
	.attach_mcast = hodp_attach_mcast,
	.create_ah = hodp_create_ah,
	.create_cq = hodp_create_cq,
	.create_qp = hodp_create_qp,
	.create_srq = hodp_create_srq,
	.create_user_ah = hodp_create_ah,
	.dealloc_driver = hodp_dealloc_driver,
	.dealloc_mw = hodp_dealloc_mw,
	.dealloc_pd = hodp_dealloc_pd,
	.dealloc_xrcd = hodp_dealloc_xrcd,
	.dealloc_ucontext = hodp_dealloc_ucontext,
	.dereg_mr = hodp_dereg_mr,
	.destroy_ah = hodp_destroy_ah,
	.destroy_cq = hodp_destroy_cq,
	.destroy_qp = hodp_destroy_qp,
	.destroy_srq = hodp_destroy_srq,
	.fill_stat_mr_entry = hodp_fill_stat_mr_entry,
	.detach_mcast = hodp_detach_mcast,
	.get_dev_fw_str = hodp_get_dev_fw_str,
	.get_dma_mr = hodp_get_dma_mr,
	.get_hw_stats = hodp_get_hw_stats,
	.get_link_layer = hodp_get_link_layer,
	.get_port_immutable = hodp_get_port_immutable,
	.mmap = hodp_mmap,
	.mmap_free = hodp_mmap_free,
	.modify_qp = hodp_modify_qp,
	.modify_srq = hodp_modify_srq,
	.poll_cq = hodp_poll_cq,
	.post_recv = hodp_post_recv,
	.post_send = hodp_post_send,
	.post_srq_recv = hodp_post_srq_recv,
	.query_ah = hodp_query_ah,
	.query_device = hodp_query_device,
	.query_pkey = hodp_query_pkey,
	.query_port = hodp_query_port,
	.query_qp = hodp_query_qp,
	.query_srq = hodp_query_srq,
	.reg_user_mr = hodp_reg_user_mr,
	.req_notify_cq = hodp_req_notify_cq,
	.rereg_user_mr = hodp_rereg_user_mr,
	.HODP_RESIZE_CQ_OP = hodp_resize_cq,

	INIT_RDMA_OBJ_SIZE(ib_ah, hodp_ah, ibah),
	INIT_RDMA_OBJ_SIZE(ib_cq, hodp_cq, ibcq),
	INIT_RDMA_OBJ_SIZE(ib_mw, hodp_mw, ibmw),
	INIT_RDMA_OBJ_SIZE(ib_pd, hodp_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_qp, hodp_qp, ibqp),
	INIT_RDMA_OBJ_SIZE(ib_srq, hodp_srq, ibsrq),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, hodp_ucontext, ibuc),
	INIT_RDMA_OBJ_SIZE(ib_xrcd, hodp_xrcd, ibxrcd),
};

static void hodp_init_attr(struct hodp_dev *hdev)
{
	struct ib_device_attr *attr = &hdev->attr;

	attr->fw_ver = (u64)HODP_HW_VER << 32;
	attr->sys_image_guid = hdev->ib_dev.node_guid;
	attr->max_mr_size = U64_MAX;
	attr->page_size_cap = PAGE_SIZE;
	attr->vendor_id = HODP_VENDOR_ID;
	attr->vendor_part_id = HODP_VENDOR_PART_ID;
	attr->hw_ver = HODP_HW_VER;
	attr->max_qp = HODP_MAX_QP;
	attr->max_qp_wr = HODP_MAX_QP_WR;
	attr->device_cap_flags = IB_DEVICE_SYS_IMAGE_GUID | IB_DEVICE_PORT_ACTIVE_EVENT |
				 IB_DEVICE_RC_RNR_NAK_GEN | IB_DEVICE_SRQ_RESIZE |
				 IB_DEVICE_MEM_WINDOW | IB_DEVICE_MEM_WINDOW_TYPE_2B |
				 IB_DEVICE_FLUSH_GLOBAL | IB_DEVICE_ATOMIC_WRITE | IB_DEVICE_XRC;
	attr->kernel_cap_flags = IBK_ALLOW_USER_UNREG;
	if (hodp_odp_supported())
		hodp_odp_caps(attr);
	attr->max_send_sge = HODP_MAX_SGE;
	attr->max_recv_sge = HODP_MAX_SGE;
	attr->max_sge_rd = HODP_MAX_SGE_RD;
	attr->max_cq = HODP_MAX_CQ;
	attr->max_cqe = HODP_MAX_CQE;
	attr->max_mr = HODP_MAX_MR;
	attr->max_mw = HODP_MAX_MR;	/* MRs and windows share the key space */
	attr->max_pd = HODP_MAX_PD;
	attr->max_qp_rd_atom = HODP_MAX_RD_ATOM;
	attr->max_qp_init_rd_atom = HODP_MAX_RD_ATOM;
	attr->max_res_rd_atom = HODP_MAX_RD_ATOM * HODP_MAX_QP;
	attr->atomic_cap = IB_ATOMIC_HCA;
	attr->max_ah = HODP_MAX_AH;
	attr->max_srq = HODP_MAX_SRQ;
	attr->max_srq_wr = HODP_MAX_SRQ_WR;
	attr->max_srq_sge = HODP_MAX_SGE;
	attr->max_pkeys = HODP_PKEY_TBL_LEN;
	attr->max_mcast_grp = HODP_MAX_MCAST_GRP;
	attr->max_mcast_qp_attach = HODP_MAX_MCAST_QP_ATTACH;
	attr->max_total_mcast_qp_attach = HODP_MAX_MCAST_GRP * HODP_MAX_MCAST_QP_ATTACH;
	attr->local_ca_ack_delay = HODP_LOCAL_ACK_DELAY;
}

void hodp_port_event(struct hodp_dev *hdev, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = &hdev->ib_dev,
		.element.port_num = 1,
		.event = type,
	};

	ib_dispatch_event(&ev);
}

static int hodp_check_netdev(const char *ibdev_name, struct net_device *ndev)
{
	struct ib_device *other;

	/* libibverbs binds our provider to devices by the name prefix. */
	if (strncmp(ibdev_name, HODP_LINK_TYPE, strlen(HODP_LINK_TYPE))) {
		pr_err("device name '%s' must start with '%s'\n", ibdev_name,
		       HODP_LINK_TYPE);
		return -EINVAL;
	}
	if (ndev->type != ARPHRD_ETHER) {
		pr_err("%s is not an Ethernet device\n", netdev_name(ndev));
		return -EINVAL;
	}
	other = ib_device_get_by_netdev(ndev, RDMA_DRIVER_UNKNOWN);
	if (other) {
		pr_err("%s already carries RDMA device %s\n", netdev_name(ndev),
		       dev_name(&other->dev));
		ib_device_put(other);
		return -EEXIST;
	}
	return 0;
}

int hodp_device_add(const char *ibdev_name, struct net_device *ndev)
{
	struct hodp_dev *hdev;
	struct ib_device *ibdev;
	int err;

	err = hodp_check_netdev(ibdev_name, ndev);
	if (err)
		return err;

	hdev = ib_alloc_device(hodp_dev, ib_dev);
	if (!hdev)
		return -ENOMEM;
	ibdev = &hdev->ib_dev;

	netdev_hold(ndev, &hdev->ndev_tracker, GFP_KERNEL);
	hdev->ndev = ndev;
	xa_init_flags(&hdev->key_xa, XA_FLAGS_ALLOC1);
	xa_init_flags(&hdev->qp_xa, XA_FLAGS_ALLOC);
	xa_init_flags(&hdev->ah_xa, XA_FLAGS_ALLOC1);
	xa_init_flags(&hdev->srq_xa, XA_FLAGS_ALLOC1);
	hodp_odp_dev_init(&hdev->odp);
	mutex_init(&hdev->mcast_lock);
	INIT_LIST_HEAD(&hdev->mcast_groups);
	hodp_device_list_add(hdev);

	strscpy(ibdev->node_desc, "hodp", sizeof(ibdev->node_desc));
	ibdev->node_type = RDMA_NODE_IB_CA;
	ibdev->phys_port_cnt = 1;
	ibdev->num_comp_vectors = num_possible_cpus();
	ibdev->local_dma_lkey = 0;
	ibdev->link_ops = &hodp_link_ops;
	/* Zero-WR post_send is the provider's doorbell; these two are write() commands. */
	ibdev->uverbs_cmd_mask |= BIT_ULL(IB_USER_VERBS_CMD_POST_SEND) |
				  BIT_ULL(IB_USER_VERBS_CMD_REQ_NOTIFY_CQ);
	addrconf_addr_eui48((u8 *)&ibdev->node_guid, ndev->dev_addr);
	hodp_init_attr(hdev);
	ib_set_device_ops(ibdev, &hodp_dev_ops);

	err = ib_device_set_netdev(ibdev, ndev, 1);
	if (err)
		goto err_dealloc;
	err = hodp_net_attach(hdev);
	if (err)
		goto err_dealloc;

	err = ib_register_device(ibdev, ibdev_name, NULL);
	if (err)
		goto err_dealloc;
	hodp_debugfs_dev_add(hdev);
	return 0;

err_dealloc:
	pr_err("adding %s on %s failed: %d\n", ibdev_name, netdev_name(ndev), err);
	/* Runs hodp_dealloc_driver(), which undoes everything above. */
	ib_dealloc_device(ibdev);
	return err;
}
